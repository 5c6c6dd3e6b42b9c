/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/json-cleanup.h"
#include "buf/buf.h"
#include "enroll/enroll-internal.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);

    if (!v)
        fail_msg("bad test JSON at %d:%d: %s: %s", err.line, err.column, err.text, text);
    return v;
}

static void assert_json_equal(const json_t *got, const char *want_text)
{
    _cleanup_json_ json_t *want = J(want_text);

    if (!json_equal((json_t *)got, want)) {
        _cleanup_free_ char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
        _cleanup_free_ char *w = json_dumps(want, JSON_SORT_KEYS);
        fail_msg("JSON differs\n got: %s\nwant: %s", g ? g : "(null)", w);
    }
}

static const char ATTRS[] =
        "{\"cpu\":{\"totalCores\":4},"
        "\"blockDevices\":[{\"name\":\"sda\",\"size\":\"512GB\"},{\"name\":\"sr0\",\"size\":\"\"},"
        "{\"name\":\"loop0\"},{\"name\":\"nvme0n1\",\"size\":1024},{\"name\":\"../etc\","
        "\"size\":\"1GB\"},{\"name\":\"a/b\",\"size\":\"1GB\"},{\"size\":\"1GB\"},"
        "{\"name\":\"sda\",\"size\":\"512GB\"},{\"name\":\"zero\",\"size\":0},\"junk\"],"
        "\"networkInterfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:AB:CD:EF\"},"
        "{\"name\":\"bond0\",\"mac\":\"52-54-00-ab-cd-ef\"},{\"name\":\"ib0\","
        "\"mac\":\"80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c\"},"
        "{\"name\":\"lo\",\"mac\":\"\"},{\"name\":\"eth1\",\"mac\":\"5254.0012.3456\"},"
        "{\"name\":\"x\"}]}";

static void test_discovery_hardware_builds_whole_object(void **state)
{
    _cleanup_json_ json_t *attrs = J(ATTRS), *hw = NULL;
    _cleanup_free_ char *annotation = json_dumps(attrs, JSON_COMPACT);
    _cleanup_buf_ struct buf want = BUF_INIT(1 << 20);
    _cleanup_json_ json_t *annotation_json = json_string(annotation);
    _cleanup_free_ char *annotation_quoted = json_dumps(annotation_json, JSON_ENCODE_ANY);

    (void)state;
    assert_int_equal(
            enroll_discovery_hardware("52:54:00:AB:CD:EF", attrs,
                                      &(struct enroll_discovery_opts){.namespace = "tink",
                                                                      .enrollment_enabled = true},
                                      &hw),
            0);
    assert_int_equal(
            buf_printf(
                    &want,
                    "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\","
                    "\"metadata\":{\"name\":\"discovery-52-54-00-ab-cd-ef\",\"namespace\":\"tink\","
                    "\"labels\":{\"tinkerbell.org/auto-discovered\":\"true\"},"
                    "\"annotations\":{\"tinkerbell.org/agent-attributes\":%s}},"
                    "\"spec\":{\"agentID\":\"52:54:00:AB:CD:EF\","
                    "\"auto\":{\"enrollmentEnabled\":true},"
                    "\"disks\":[{\"device\":\"/dev/sda\"},{\"device\":\"/dev/nvme0n1\"}],"
                    "\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:ab:cd:ef\"}},"
                    "{\"dhcp\":{\"mac\":\"52:54:00:12:34:56\"}}]}}",
                    annotation_quoted),
            0);
    assert_json_equal(hw, buf_str(&want));
}

static void test_discovery_hardware_without_attributes(void **state)
{
    _cleanup_json_ json_t *hw = NULL, *hw2 = NULL, *empty = J("{}");

    (void)state;
    assert_int_equal(
            enroll_discovery_hardware(" node-7 ", NULL,
                                      &(struct enroll_discovery_opts){.namespace = "default"}, &hw),
            0);
    assert_json_equal(hw, "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\","
                          "\"metadata\":{\"name\":\"discovery-node-7\",\"namespace\":\"default\","
                          "\"labels\":{\"tinkerbell.org/auto-discovered\":\"true\"}},"
                          "\"spec\":{\"agentID\":\" node-7 \","
                          "\"auto\":{\"enrollmentEnabled\":false}}}");
    assert_int_equal(
            enroll_discovery_hardware(
                    "n", empty, &(struct enroll_discovery_opts){.namespace = "default"}, &hw2),
            0);
    assert_json_equal(hw2, "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\","
                           "\"metadata\":{\"name\":\"discovery-n\",\"namespace\":\"default\","
                           "\"labels\":{\"tinkerbell.org/auto-discovered\":\"true\"},"
                           "\"annotations\":{\"tinkerbell.org/agent-attributes\":\"{}\"}},"
                           "\"spec\":{\"agentID\":\"n\",\"auto\":{\"enrollmentEnabled\":false}}}");
}

/* Attributes whose compact text is exactly n bytes: {"pad":"xxx..."}. */
static json_t *attrs_of_size(size_t n)
{
    size_t pad = n - strlen("{\"pad\":\"\"}");
    char *s = malloc(pad + 1);
    json_t *v;

    assert_non_null(s);
    memset(s, 'x', pad);
    s[pad] = '\0';
    v = json_pack("{s:s}", "pad", s);
    free(s);
    return v;
}

static void test_discovery_hardware_annotation_cap(void **state)
{
    (void)state;
    for (size_t n = ENROLL_ATTRIBUTES_ANNOTATION_MAX; n <= ENROLL_ATTRIBUTES_ANNOTATION_MAX + 1;
         n++) {
        _cleanup_json_ json_t *attrs = attrs_of_size(n), *hw = NULL;
        _cleanup_free_ char *text = NULL;
        const json_t *ann;

        assert_int_equal(
                enroll_discovery_hardware("n", attrs,
                                          &(struct enroll_discovery_opts){.namespace = "d"}, &hw),
                0);
        ann = json_object_get(json_object_get(json_object_get(hw, "metadata"), "annotations"),
                              ENROLL_ANNOTATION_ATTRIBUTES);
        if (n == ENROLL_ATTRIBUTES_ANNOTATION_MAX) {
            assert_int_equal(json_string_length(ann), n);
            assert_int_equal(enroll_attributes_annotation(attrs, &text), 0);
            assert_int_equal(strlen(text), n);
        } else {
            assert_null(json_object_get(json_object_get(hw, "metadata"), "annotations"));
            assert_int_equal(enroll_attributes_annotation(attrs, &text), -E2BIG);
            assert_null(text);
        }
    }
}

static void test_discovery_hardware_rejects_bad_arguments(void **state)
{
    static const struct {
        const char *id;
        const char *ns;
    } cases[] = {
            {NULL, "default"},   {"", "default"}, {"  ", "default"},
            {"\xff", "default"}, {"n", NULL},     {"n", ""},
    };
    json_t *hw = NULL;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(enroll_discovery_hardware(
                                 cases[i].id, NULL,
                                 &(struct enroll_discovery_opts){.namespace = cases[i].ns}, &hw),
                         -EINVAL);
        assert_null(hw);
    }
    assert_int_equal(enroll_discovery_hardware("n", NULL, NULL, &hw), -EINVAL);
    assert_int_equal(enroll_discovery_hardware(
                             "n", NULL, &(struct enroll_discovery_opts){.namespace = "d"}, NULL),
                     -EINVAL);
}

static void test_attributes_macs_lists_normalised_unique_macs(void **state)
{
    _cleanup_json_ json_t *attrs = J(ATTRS), *a = NULL, *b = NULL, *c = NULL;

    (void)state;
    assert_int_equal(enroll_attributes_macs(attrs, "5254.0012.3456", &a), 0);
    assert_json_equal(a, "[\"52:54:00:12:34:56\",\"52:54:00:ab:cd:ef\"]");
    assert_int_equal(enroll_attributes_macs(attrs, "node-1", &b), 0);
    assert_json_equal(b, "[\"52:54:00:ab:cd:ef\",\"52:54:00:12:34:56\"]");
    assert_int_equal(enroll_attributes_macs(NULL, NULL, &c), 0);
    assert_json_equal(c, "[]");
}

static void test_discovery_hardware_caps_item_lists(void **state)
{
    _cleanup_json_ json_t *attrs = json_pack("{s:[], s:[]}", "networkInterfaces", "blockDevices");
    _cleanup_json_ json_t *hw = NULL, *macs = NULL;
    const json_t *spec;

    (void)state;
    for (int i = 0; i < ENROLL_DISCOVERY_MAX_ITEMS + 44; i++) {
        char mac[32], name[32];
        snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        snprintf(name, sizeof(name), "sd%d", i);
        json_array_append_new(json_object_get(attrs, "networkInterfaces"),
                              json_pack("{s:s}", "mac", mac));
        json_array_append_new(json_object_get(attrs, "blockDevices"),
                              json_pack("{s:s, s:s}", "name", name, "size", "1GB"));
    }
    assert_int_equal(enroll_discovery_hardware(
                             "n", attrs, &(struct enroll_discovery_opts){.namespace = "d"}, &hw),
                     0);
    spec = json_object_get(hw, "spec");
    assert_int_equal(json_array_size(json_object_get(spec, "interfaces")),
                     ENROLL_DISCOVERY_MAX_ITEMS);
    assert_int_equal(json_array_size(json_object_get(spec, "disks")), ENROLL_DISCOVERY_MAX_ITEMS);
    assert_int_equal(enroll_attributes_macs(attrs, "aa:aa:aa:aa:aa:aa", &macs), 0);
    assert_int_equal(json_array_size(macs), ENROLL_DISCOVERY_MAX_ITEMS);
    assert_string_equal(json_string_value(json_array_get(macs, 0)), "aa:aa:aa:aa:aa:aa");
}

static const char WRS[] =
        "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"WorkflowRuleSet\","
        "\"metadata\":{\"name\":\"qemu\",\"namespace\":\"tink\",\"uid\":\"u-1\"},"
        "\"spec\":{\"rules\":[\"{\\\"chassis\\\":{\\\"vendor\\\":[\\\"QEMU\\\"]}}\"],"
        "\"workflow\":{\"disabled\":false,\"namespace\":\"tink\",\"addAttributes\":true,"
        "\"template\":{\"agentValue\":\"worker_id\",\"ref\":\"debian\","
        "\"kvs\":{\"device_1\":\"/dev/sda\",\"worker_id\":\"overridden\"}}}}}";

static void test_enrollment_workflow_builds_whole_object(void **state)
{
    _cleanup_json_ json_t *wrs = J(WRS), *attrs = J("{\"chassis\":{\"vendor\":\"QEMU\"}}");
    _cleanup_json_ json_t *wf = NULL;

    (void)state;
    assert_int_equal(
            enroll_enrollment_workflow(
                    wrs, "52:54:00:12:34:56", attrs,
                    &(struct enroll_workflow_opts){.hardware_ref = "discovery-52-54-00-12-34-56"},
                    &wf, NULL),
            0);
    assert_json_equal(
            wf,
            "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Workflow\","
            "\"metadata\":{\"name\":\"enrollment-52-54-00-12-34-56\",\"namespace\":\"tink\","
            "\"labels\":{\"tinkerbell.org/auto-enrollment\":\"true\"},"
            "\"annotations\":{\"tinkerbell.org/agent-attributes\":"
            "\"{\\\"chassis\\\":{\\\"vendor\\\":\\\"QEMU\\\"}}\"},"
            "\"ownerReferences\":[{\"apiVersion\":\"tinkerbell.org/v1alpha1\","
            "\"kind\":\"WorkflowRuleSet\",\"name\":\"qemu\",\"uid\":\"u-1\",\"controller\":true}]},"
            "\"spec\":{\"templateRef\":\"debian\",\"hardwareRef\":\"discovery-52-54-00-12-34-56\","
            "\"hardwareMap\":{\"device_1\":\"/dev/sda\",\"worker_id\":\"52:54:00:12:34:56\"},"
            "\"disabled\":false}}");
}

static void test_enrollment_workflow_minimal_rule_set(void **state)
{
    _cleanup_json_ json_t *wrs = J("{\"metadata\":{\"name\":\"r\",\"namespace\":\"ns1\","
                                   "\"uid\":\"u\"},\"spec\":{\"workflow\":{\"disabled\":true,"
                                   "\"template\":{\"agentValue\":\"device_1\",\"ref\":\"t\"}}}}");
    _cleanup_json_ json_t *wf = NULL, *wf2 = NULL;

    (void)state;
    /* No addAttributes: no annotation even with attributes; no hardwareRef. */
    assert_int_equal(enroll_enrollment_workflow(wrs, "Node.1", wrs, NULL, &wf, NULL), 0);
    assert_json_equal(
            wf, "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Workflow\","
                "\"metadata\":{\"name\":\"enrollment-node-1\",\"namespace\":\"ns1\","
                "\"labels\":{\"tinkerbell.org/auto-enrollment\":\"true\"},"
                "\"ownerReferences\":[{\"apiVersion\":\"tinkerbell.org/v1alpha1\","
                "\"kind\":\"WorkflowRuleSet\",\"name\":\"r\",\"uid\":\"u\",\"controller\":true}]},"
                "\"spec\":{\"templateRef\":\"t\",\"hardwareMap\":{\"device_1\":\"Node.1\"},"
                "\"disabled\":true}}");
    /* An empty hardware_ref is left out too. */
    assert_int_equal(enroll_enrollment_workflow(wrs, "n", NULL,
                                                &(struct enroll_workflow_opts){.hardware_ref = ""},
                                                &wf2, NULL),
                     0);
    assert_null(json_object_get(json_object_get(wf2, "spec"), "hardwareRef"));
}

static void test_enrollment_workflow_rejects_bad_rule_sets(void **state)
{
    static const struct {
        const char *wrs;
        const char *want;
    } cases[] = {
            {"[]", "WorkflowRuleSet: must be an object"},
            {"{}", "metadata: required"},
            {"{\"metadata\":{\"namespace\":\"a\",\"uid\":\"u\"}}", "metadata.name: required"},
            {"{\"metadata\":{\"name\":5}}", "metadata.name: must be a string"},
            {"{\"metadata\":{\"name\":\"r\"}}", "metadata.uid: required for the owner reference"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"}}",
             "spec.workflow.template.ref: required"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},\"spec\":[]}",
             "spec: must be an object"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":1}}",
             "spec.workflow: must be an object"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"template\":\"t\"}}}",
             "spec.workflow.template: must be an object"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\"}}}}",
             "spec.workflow.template.agentValue: required"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\",\"agentValue\":1}}}}",
             "spec.workflow.template.agentValue: must be a string"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\",\"agentValue\":\"w\","
             "\"kvs\":{\"k\":1}}}}}",
             "spec.workflow.template.kvs.k: must be a string"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\",\"agentValue\":\"w\","
             "\"kvs\":[]}}}}",
             "spec.workflow.template.kvs: must be an object"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"disabled\":\"yes\",\"template\":{\"ref\":\"t\","
             "\"agentValue\":\"w\"}}}}",
             "spec.workflow.disabled: must be true or false"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"addAttributes\":1,\"template\":{\"ref\":\"t\","
             "\"agentValue\":\"w\"}}}}",
             "spec.workflow.addAttributes: must be true or false"},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\",\"namespace\":\"a\"},"
             "\"spec\":{\"workflow\":{\"namespace\":\"b\",\"template\":{\"ref\":\"t\","
             "\"agentValue\":\"w\"}}}}",
             "spec.workflow.namespace: \"b\" is not the rule set's namespace \"a\""},
            {"{\"metadata\":{\"name\":\"r\",\"uid\":\"u\"},"
             "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\",\"agentValue\":\"w\"}}}}",
             "metadata.namespace: required"},
            {"{\"kind\":7,\"metadata\":{\"name\":\"r\",\"uid\":\"u\"}}", "kind: must be a string"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *wrs = json_loads(cases[i].wrs, JSON_DECODE_ANY, NULL);
        json_t *wf = NULL;
        char *err = NULL;

        assert_non_null(wrs);
        assert_int_equal(enroll_enrollment_workflow(wrs, "n", NULL, NULL, &wf, &err), -EINVAL);
        assert_null(wf);
        if (!err || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\" want \"%s\"", i, err ? err : "(null)", cases[i].want);
        free(err);
    }
}

static void test_enrollment_workflow_namespace_resolution(void **state)
{
    static const struct {
        const char *meta_ns; /* NULL: absent */
        const char *spec_ns; /* NULL: absent */
        const char *want;
    } cases[] = {
            {"a", NULL, "a"}, {"a", "", "a"}, {"a", "a", "a"}, {NULL, "b", "b"}, {"", "b", "b"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *wrs = J("{\"metadata\":{\"name\":\"r\",\"uid\":\"u\"},"
                                       "\"spec\":{\"workflow\":{\"template\":{\"ref\":\"t\","
                                       "\"agentValue\":\"w\"}}}}");
        _cleanup_json_ json_t *wf = NULL;

        if (cases[i].meta_ns)
            json_object_set_new(json_object_get(wrs, "metadata"), "namespace",
                                json_string(cases[i].meta_ns));
        if (cases[i].spec_ns)
            json_object_set_new(json_object_get(json_object_get(wrs, "spec"), "workflow"),
                                "namespace", json_string(cases[i].spec_ns));
        assert_int_equal(enroll_enrollment_workflow(wrs, "n", NULL, NULL, &wf, NULL), 0);
        assert_string_equal(enroll_json_str(json_object_get(wf, "metadata"), "namespace"),
                            cases[i].want);
    }
}

static void test_enrollment_workflow_rejects_bad_agent_ids(void **state)
{
    _cleanup_json_ json_t *wrs = J(WRS);
    static const struct {
        const char *id;
        const char *want;
    } cases[] = {
            {NULL, "agentID: must not be empty"},
            {"", "agentID: must not be empty"},
            {" \t", "agentID: must not be empty"},
            {"a\xff", "agentID: not valid UTF-8"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *wf = NULL;
        char *err = NULL;

        assert_int_equal(enroll_enrollment_workflow(wrs, cases[i].id, NULL, NULL, &wf, &err),
                         -EINVAL);
        assert_null(wf);
        assert_string_equal(err, cases[i].want);
        free(err);
    }
}

static void test_hardware_match_table(void **state)
{
    _cleanup_json_ json_t *attrs = J("{\"networkInterfaces\":[{\"mac\":\"52:54:00:AB:CD:EF\"},"
                                     "{\"mac\":\"bogus\"}]}");
    static const struct {
        const char *hw;
        const char *agent;
        bool with_attrs;
        enum enroll_hw_match want;
    } cases[] = {
            {"{\"spec\":{\"agentID\":\"node-1\"}}", "node-1", true, ENROLL_HW_MATCH_AGENT_ID},
            {"{\"spec\":{\"agentID\":\"node-1\"}}", "node-2", true, ENROLL_HW_MATCH_NONE},
            /* agentID names another agent: the MAC does not count. */
            {"{\"spec\":{\"agentID\":\"node-1\",\"interfaces\":[{\"dhcp\":{\"mac\":"
             "\"52:54:00:ab:cd:ef\"}}]}}",
             "node-2", true, ENROLL_HW_MATCH_NONE},
            {"{\"spec\":{\"agentID\":\"52:54:00:ab:cd:ef\"}}", "52-54-00-AB-CD-EF", false,
             ENROLL_HW_MATCH_AGENT_ID},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:ab:cd:ef\"}}]}}", "x", true,
             ENROLL_HW_MATCH_MAC},
            {"{\"spec\":{\"agentID\":\"\",\"interfaces\":[{\"dhcp\":{\"mac\":"
             "\"52:54:00:AB:CD:EF\"}}]}}",
             "x", true, ENROLL_HW_MATCH_MAC},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:ab:cd:ef\"}}]}}", "x", false,
             ENROLL_HW_MATCH_NONE},
            /* The agent ID itself is a MAC. */
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"aa:bb:cc:dd:ee:ff\"}}]}}",
             "AABBCCDDEEFF", false, ENROLL_HW_MATCH_MAC},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"aa:bb:cc:dd:ee:00\"}},"
             "{\"dhcp\":{}},{\"netboot\":{}},{\"dhcp\":{\"mac\":\"52:54:00:ab:cd:ef\"}}]}}",
             "x", true, ENROLL_HW_MATCH_MAC},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"bogus\"}}]}}", "x", true,
             ENROLL_HW_MATCH_NONE},
            {"{\"spec\":{}}", "x", true, ENROLL_HW_MATCH_NONE},
            {"{}", "x", true, ENROLL_HW_MATCH_NONE},
            {"{\"spec\":{\"agentID\":\"node-1\"}}", "", true, ENROLL_HW_MATCH_NONE},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *hw = J(cases[i].hw);
        enum enroll_hw_match got =
                enroll_hardware_match(hw, cases[i].agent, cases[i].with_attrs ? attrs : NULL);
        if (got != cases[i].want)
            fail_msg("case %zu: got %d want %d", i, got, cases[i].want);
    }
    assert_int_equal(enroll_hardware_match(NULL, "x", attrs), ENROLL_HW_MATCH_NONE);
    {
        _cleanup_json_ json_t *hw = J("{\"spec\":{\"agentID\":\"x\"}}");
        assert_int_equal(enroll_hardware_match(hw, NULL, attrs), ENROLL_HW_MATCH_NONE);
    }
}

static json_t *wrs_with_rules(const char *ns, const char *name, const char *rules_json)
{
    json_t *rules = J(rules_json);
    json_t *wrs = json_pack("{s:{s:s, s:s, s:s}, s:{s:o, s:{s:{s:s, s:s}}}}", "metadata", "name",
                            name, "namespace", ns, "uid", "u", "spec", "rules", rules, "workflow",
                            "template", "ref", "t", "agentValue", "worker_id");
    assert_non_null(wrs);
    return wrs;
}

static void test_ruleset_counts_matching_rules(void **state)
{
    _cleanup_json_ json_t *attrs =
            J("{\"chassis\":{\"vendor\":\"QEMU\"},\"cpu\":{\"totalCores\":8}}");
    _cleanup_json_ json_t *wrs = wrs_with_rules(
            "d", "r",
            "[\"{\\\"chassis\\\":{\\\"vendor\\\":[\\\"QEMU\\\"]}}\","
            "\"{\\\"cpu\\\":{\\\"totalCores\\\":[{\\\"numeric\\\":[\\\">\\\",4]}]}}\","
            "\"{\\\"chassis\\\":{\\\"vendor\\\":[\\\"Dell\\\"]}}\"]");
    _cleanup_(enroll_ruleset_freep) struct enroll_ruleset *rs = NULL;

    (void)state;
    assert_int_equal(enroll_ruleset_new(wrs, &rs, NULL), 0);
    assert_int_equal(enroll_ruleset_count_matches(rs, attrs), 2);
    assert_int_equal(enroll_ruleset_count_matches(rs, NULL), 0);
    assert_int_equal(enroll_ruleset_count_matches(NULL, attrs), 0);
    assert_ptr_equal(enroll_ruleset_object(rs), wrs);
    assert_string_equal(enroll_ruleset_namespace(rs), "d");
    assert_string_equal(enroll_ruleset_name(rs), "r");
}

static void test_ruleset_new_rejects_bad_rules(void **state)
{
    static const struct {
        const char *rules;
        int want_r;
        const char *want;
    } cases[] = {
            {"{}", -EINVAL, "spec.rules: must be an array of strings"},
            {"[\"{\\\"a\\\":[1]}\", 5]", -EINVAL, "spec.rules[1]: must be a string"},
            {"[\"{\\\"a\\\":[1]}\", \"{\\\"cpu\\\":1}\"]", -EINVAL,
             "spec.rules[1]: field \"cpu\": value must be an array or an object"},
            {"[\"nope\"]", -EINVAL, "spec.rules[0]: pattern: invalid JSON"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *wrs = wrs_with_rules("d", "r", cases[i].rules);
        struct enroll_ruleset *rs = NULL;
        char *err = NULL;

        assert_int_equal(enroll_ruleset_new(wrs, &rs, &err), cases[i].want_r);
        assert_null(rs);
        assert_non_null(err);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got \"%s\" want \"%s\"", i, err, cases[i].want);
        free(err);
    }
    /* Too many rules. */
    {
        _cleanup_json_ json_t *wrs = wrs_with_rules("d", "r", "[]");
        json_t *rules = json_object_get(json_object_get(wrs, "spec"), "rules");
        struct enroll_ruleset *rs = NULL;
        _cleanup_free_ char *err = NULL;

        for (int i = 0; i <= ENROLL_RULESET_MAX_RULES; i++)
            json_array_append_new(rules, json_string("{\"a\":[1]}"));
        assert_int_equal(enroll_ruleset_new(wrs, &rs, &err), -E2BIG);
        assert_string_equal(err, "spec.rules: more than 256 rules");
        assert_null(rs);
    }
    /* A rule set that cannot make a Workflow does not compile either. */
    {
        _cleanup_json_ json_t *wrs = J("{\"metadata\":{\"name\":\"r\",\"namespace\":\"d\"}}");
        struct enroll_ruleset *rs = NULL;
        _cleanup_free_ char *err = NULL;

        assert_int_equal(enroll_ruleset_new(wrs, &rs, &err), -EINVAL);
        assert_string_equal(err, "metadata.uid: required for the owner reference");
    }
}

static void test_ruleset_select_most_matches_then_name(void **state)
{
    _cleanup_json_ json_t *attrs =
            J("{\"chassis\":{\"vendor\":\"QEMU\"},\"cpu\":{\"totalCores\":8}}");
    static const char two[] = "[\"{\\\"chassis\\\":{\\\"vendor\\\":[\\\"QEMU\\\"]}}\","
                              "\"{\\\"cpu\\\":{\\\"totalCores\\\":[8]}}\"]";
    static const char one[] = "[\"{\\\"cpu\\\":{\\\"totalCores\\\":[8]}}\","
                              "\"{\\\"cpu\\\":{\\\"totalCores\\\":[9]}}\"]";
    static const char none[] = "[\"{\\\"cpu\\\":{\\\"totalCores\\\":[9]}}\"]";
    static const struct {
        const char *ns, *name, *rules;
    } defs[] = {
            {"default", "one", one},                             /* 0: 1 match */
            {"zeta", "b", two},                                  /* 1: 2 matches */
            {"default", "zz", two},                              /* 2: 2 matches, sorts before 1 */
            {"default", "none", none}, {"alpha", "empty", "[]"}, /* no rules: never matches */
    };
    struct enroll_ruleset *sets[ARRAY_SIZE(defs) + 1] = {};
    size_t idx = 99, matches = 99;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
        _cleanup_json_ json_t *wrs = wrs_with_rules(defs[i].ns, defs[i].name, defs[i].rules);
        assert_int_equal(enroll_ruleset_new(wrs, &sets[i], NULL), 0);
    }
    /* sets[5] stays NULL and is skipped. */
    assert_int_equal(enroll_ruleset_select(sets, ARRAY_SIZE(sets), attrs, &idx, &matches), 0);
    assert_int_equal(idx, 2);
    assert_int_equal(matches, 2);
    /* Order of the input does not matter. */
    {
        struct enroll_ruleset *rev[] = {sets[2], sets[1], sets[0]};
        assert_int_equal(enroll_ruleset_select(rev, 3, attrs, &idx, NULL), 0);
        assert_int_equal(idx, 0);
        struct enroll_ruleset *only[] = {sets[1], sets[0]};
        assert_int_equal(enroll_ruleset_select(only, 2, attrs, &idx, &matches), 0);
        assert_int_equal(idx, 0);
        assert_int_equal(matches, 2);
    }
    idx = matches = 99;
    assert_int_equal(enroll_ruleset_select(&sets[3], 2, attrs, &idx, &matches), -ENOENT);
    assert_int_equal(idx, 99);
    assert_int_equal(matches, 99);
    assert_int_equal(enroll_ruleset_select(sets, 0, attrs, &idx, NULL), -ENOENT);
    assert_int_equal(enroll_ruleset_select(sets, ARRAY_SIZE(sets), NULL, &idx, NULL), -ENOENT);
    assert_int_equal(enroll_ruleset_select(NULL, 1, attrs, &idx, NULL), -EINVAL);
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
        enroll_ruleset_free(sets[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_discovery_hardware_builds_whole_object),
            cmocka_unit_test(test_discovery_hardware_without_attributes),
            cmocka_unit_test(test_discovery_hardware_annotation_cap),
            cmocka_unit_test(test_discovery_hardware_rejects_bad_arguments),
            cmocka_unit_test(test_discovery_hardware_caps_item_lists),
            cmocka_unit_test(test_attributes_macs_lists_normalised_unique_macs),
            cmocka_unit_test(test_enrollment_workflow_builds_whole_object),
            cmocka_unit_test(test_enrollment_workflow_minimal_rule_set),
            cmocka_unit_test(test_enrollment_workflow_rejects_bad_rule_sets),
            cmocka_unit_test(test_enrollment_workflow_namespace_resolution),
            cmocka_unit_test(test_enrollment_workflow_rejects_bad_agent_ids),
            cmocka_unit_test(test_hardware_match_table),
            cmocka_unit_test(test_ruleset_counts_matching_rules),
            cmocka_unit_test(test_ruleset_new_rejects_bad_rules),
            cmocka_unit_test(test_ruleset_select_most_matches_then_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
