/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/apiserver-internal.h"
#include "base/json-cleanup.h"

static void test_api_path_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int ret;
        enum api_path_kind kind;
        const char *group, *version, *ns, *resource, *name, *sub;
    } cases[] = {
            {"/version", 0, API_PATH_VERSION, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/readyz", 0, API_PATH_HEALTH, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/api", 0, API_PATH_DISCOVERY, "", NULL, NULL, NULL, NULL, NULL},
            {"/apis", 0, API_PATH_DISCOVERY, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/apis/tinkerbell.org/v1alpha1", 0, API_PATH_DISCOVERY, "tinkerbell.org", "v1alpha1",
             NULL, NULL, NULL, NULL},
            {"/api/v1/namespaces", 0, API_PATH_RESOURCE, "", "v1", NULL, "namespaces", NULL, NULL},
            {"/api/v1/namespaces/default", 0, API_PATH_RESOURCE, "", "v1", NULL, "namespaces",
             "default", NULL},
            {"/api/v1/namespaces/default/status", 0, API_PATH_RESOURCE, "", "v1", NULL,
             "namespaces", "default", "status"},
            {"/api/v1/namespaces/default/events", 0, API_PATH_RESOURCE, "", "v1", "default",
             "events", NULL, NULL},
            {"/apis/tinkerbell.org/v1alpha1/namespaces/ns1/hardware/hw1/status", 0,
             API_PATH_RESOURCE, "tinkerbell.org", "v1alpha1", "ns1", "hardware", "hw1", "status"},
            {"/apis/tinkerbell.org/v1alpha1/hardware", 0, API_PATH_RESOURCE, "tinkerbell.org",
             "v1alpha1", NULL, "hardware", NULL, NULL},
            {"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.y/status/", 0,
             API_PATH_RESOURCE, "apiextensions.k8s.io", "v1", NULL, "customresourcedefinitions",
             "x.y", "status"},
            {"/apis/g/v/namespaces/a/r/n/s/extra", -EINVAL, 0, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/apis/g/v/../x", -EINVAL, 0, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/apis//v", -EINVAL, 0, NULL, NULL, NULL, NULL, NULL, NULL},
            {"relative", -EINVAL, 0, NULL, NULL, NULL, NULL, NULL, NULL},
            {"/nothing", -ENOENT, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_path p;
        int r = api_path_parse(cases[i].path, &p);
        assert_int_equal(r, cases[i].ret);
        if (r < 0)
            continue;
        assert_int_equal(p.kind, cases[i].kind);
#define S(field, want)                          \
    do {                                        \
        if (want)                               \
            assert_string_equal(p.field, want); \
        else                                    \
            assert_null(p.field);               \
    } while (0)
        S(group, cases[i].group);
        S(version, cases[i].version);
        S(ns, cases[i].ns);
        S(resource, cases[i].resource);
        S(name, cases[i].name);
        S(subresource, cases[i].sub);
#undef S
        api_path_clear(&p);
    }
}

static void test_api_query_parse_decodes(void **state)
{
    (void)state;
    struct api_query q;
    api_query_init(&q);
    assert_int_equal(api_query_parse("labelSelector=rack+in+%28r1%2Cr2%29&watch=1&limit=500&"
                                     "timeoutSeconds=534&resourceVersion=12&unknown=x",
                                     &q),
                     0);
    assert_string_equal(q.label_selector, "rack in (r1,r2)");
    assert_true(q.watch);
    assert_int_equal(q.limit, 500);
    assert_int_equal(q.timeout_seconds, 534);
    assert_string_equal(q.resource_version, "12");
    api_query_clear(&q);
    assert_int_equal(api_query_parse("limit=-1", &q), -EINVAL);
    api_query_clear(&q);
    assert_int_equal(api_query_parse("watch=maybe", &q), -EINVAL);
    api_query_clear(&q);
    assert_int_equal(api_query_parse("labelSelector=%zz", &q), -EINVAL);
    api_query_clear(&q);
    assert_int_equal(api_query_parse("labelSelector=a%00b", &q), -EINVAL);
    api_query_clear(&q);
}

static void test_api_human_duration_matches_kubectl(void **state)
{
    (void)state;
    static const struct {
        int64_t secs;
        const char *want;
    } cases[] = {
            {-5, "<invalid>"},
            {-1, "0s"},
            {0, "0s"},
            {119, "119s"},
            {120, "2m"},
            {150, "2m30s"},
            {600, "10m"},
            {3 * 3600 - 1, "179m"},
            {3 * 3600, "3h"},
            {7200 + 1800 + 3 * 3600, "5h30m"},
            {8 * 3600, "8h"},
            {47 * 3600, "47h"},
            {50 * 3600, "2d2h"},
            {8 * 86400, "8d"},
            {800 * 86400, "2y70d"},
            {9 * 365 * 86400, "9y"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        api_human_duration(cases[i].secs, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
}

static void test_api_jsonpath_eval_paths(void **state)
{
    (void)state;
    _cleanup_json_ json_t *obj = json_loads(
            "{\"spec\":{\"a\":[{\"b\":1},{\"b\":2}],\"s\":\"x\"},\"metadata\":{\"labels\":"
            "{\"k.io/x\":\"v\"}}}",
            0, NULL);
    assert_non_null(obj);
    _cleanup_json_ json_t *v1 = api_jsonpath_eval(obj, ".spec.s");
    assert_string_equal(json_string_value(v1), "x");
    _cleanup_json_ json_t *v2 = api_jsonpath_eval(obj, ".spec.a[1].b");
    assert_int_equal(json_integer_value(v2), 2);
    _cleanup_json_ json_t *v3 = api_jsonpath_eval(obj, "{.spec.a[*].b}");
    assert_int_equal(json_array_size(v3), 2);
    _cleanup_json_ json_t *v4 = api_jsonpath_eval(obj, ".metadata.labels['k.io/x']");
    assert_string_equal(json_string_value(v4), "v");
    assert_null(api_jsonpath_eval(obj, ".spec.missing"));
    assert_null(api_jsonpath_eval(obj, ".spec.a[7].b"));
    _cleanup_json_ json_t *v5 = api_jsonpath_eval(obj, ".spec.a[-1].b");
    assert_int_equal(json_integer_value(v5), 2);
}

static void test_api_table_build_columns_and_cells(void **state)
{
    (void)state;
    _cleanup_json_ json_t *cols = json_loads(
            "[{\"name\":\"State\",\"type\":\"string\",\"jsonPath\":\".status.state\"},"
            "{\"name\":\"N\",\"type\":\"integer\",\"jsonPath\":\".spec.n\",\"priority\":1},"
            "{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":\".metadata.creationTimestamp\"}]",
            0, NULL);
    _cleanup_json_ json_t *items = json_loads(
            "[{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"2026-11-21T05:00:00Z\"},"
            "\"spec\":{\"n\":3},\"status\":{\"state\":\"Ready\"}},"
            "{\"metadata\":{\"name\":\"b\",\"creationTimestamp\":\"bad\"}}]",
            0, NULL);
    int64_t now;
    assert_int_equal(api_parse_rfc3339("2026-11-21T05:05:00Z", &now), 0);
    _cleanup_json_ json_t *t = api_table_build(cols, items, NULL, true, "7", now);
    assert_non_null(t);
    json_t *defs = json_object_get(t, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(defs, 0), "name")),
                        "Name");
    json_t *rows = json_object_get(t, "rows");
    json_t *c0 = json_object_get(json_array_get(rows, 0), "cells");
    assert_string_equal(json_string_value(json_array_get(c0, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(c0, 1)), "Ready");
    assert_int_equal(json_integer_value(json_array_get(c0, 2)), 3);
    assert_string_equal(json_string_value(json_array_get(c0, 3)), "5m");
    json_t *c1 = json_object_get(json_array_get(rows, 1), "cells");
    assert_true(json_is_null(json_array_get(c1, 1)));
    assert_string_equal(json_string_value(json_array_get(c1, 3)), "<invalid>");
    json_t *obj = json_object_get(json_array_get(rows, 0), "object");
    assert_string_equal(json_string_value(json_object_get(obj, "kind")), "PartialObjectMetadata");
    _cleanup_json_ json_t *t2 = api_table_build(cols, items, "None", false, "7", now);
    assert_null(json_object_get(t2, "columnDefinitions"));
    assert_null(json_object_get(json_array_get(json_object_get(t2, "rows"), 0), "object"));
}

static void test_api_dns_names(void **state)
{
    (void)state;
    assert_true(api_is_dns1123_subdomain("hardware.tinkerbell.org"));
    assert_true(api_is_dns1123_subdomain("discovery-52-54-00-12-34-56"));
    assert_false(api_is_dns1123_subdomain("Upper"));
    assert_false(api_is_dns1123_subdomain("-lead"));
    assert_false(api_is_dns1123_subdomain("a..b"));
    assert_false(api_is_dns1123_subdomain(""));
    assert_true(api_is_dns1123_label("default"));
    assert_false(api_is_dns1123_label("a.b"));
}

static void test_api_validate_labels_causes(void **state)
{
    (void)state;
    _cleanup_json_ json_t *causes = json_array();
    _cleanup_json_ json_t *labels = json_loads(
            "{\"ok\":\"v\",\"tinkerbell.org/auto-discovered\":\"true\",\"bad key!\":\"x\","
            "\"k\":\"bad value!\"}",
            0, NULL);
    api_validate_labels(labels, "metadata.labels", causes);
    assert_int_equal(json_array_size(causes), 2);
}

static void test_api_crd_prepare_sets_conditions(void **state)
{
    (void)state;
    _cleanup_json_ json_t *causes = json_array();
    _cleanup_json_ json_t *crd = json_loads(
            "{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
            "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"widgets\",\"kind\":\"Widget\"},"
            "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":"
            "{\"openAPIV3Schema\":{\"type\":\"object\"}}}]}}",
            0, NULL);
    assert_int_equal(api_crd_prepare(crd, causes), 0);
    assert_int_equal(json_array_size(causes), 0);
    json_t *st = json_object_get(crd, "status");
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), 2);
    assert_string_equal(
            json_string_value(json_object_get(json_object_get(st, "acceptedNames"), "listKind")),
            "WidgetList");
    _cleanup_json_ json_t *bad = json_loads(
            "{\"metadata\":{\"name\":\"wrong\"},\"spec\":{\"group\":\"nodot\",\"scope\":\"X\","
            "\"names\":{\"plural\":\"w\",\"kind\":\"W\"},\"versions\":[]}}",
            0, NULL);
    _cleanup_json_ json_t *c2 = json_array();
    assert_int_equal(api_crd_prepare(bad, c2), 0);
    assert_true(json_array_size(c2) >= 4);
}

static void test_api_base64_check_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ret;
        size_t decoded, bad;
    } cases[] = {
            {"YWRtaW4=", 0, 5, 0},
            {"YWJj", 0, 3, 0},
            {"YQ==", 0, 1, 0},
            {"", 0, 0, 0},
            {"YW\nJj\r\n", 0, 3, 0},
            {"!!!", -EBADMSG, 0, 0},
            {"YWJ", -EBADMSG, 0, 0},
            {"Y===", -EBADMSG, 0, 1},
            {"YW=j", -EBADMSG, 0, 2},
            {"YQ==YQ==", -EBADMSG, 0, 4},
            {"YQ=", -EBADMSG, 0, 3},
            {"YW\nJ", -EBADMSG, 0, 1},
            {"YWI=\n", 0, 2, 0},
            {"YW Jj", -EBADMSG, 0, 2},
            {"YWJj-_==", -EBADMSG, 0, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t dec = 99, bad = 99;
        assert_int_equal(api_base64_check(cases[i].in, &dec, &bad), cases[i].ret);
        if (cases[i].ret == 0) {
            assert_int_equal(dec, cases[i].decoded);
            assert_int_equal(bad, 99);
        } else {
            assert_int_equal(bad, cases[i].bad);
            assert_int_equal(dec, 99);
        }
    }
    assert_int_equal(api_base64_check(NULL, NULL, NULL), -EINVAL);
}

static void test_api_is_config_key_table(void **state)
{
    (void)state;
    char long_key[300];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    static const struct {
        const char *k;
        bool ok;
    } cases[] = {
            {"key.name", true}, {"KEY_NAME", true}, {"key-name", true}, {".hidden", true},
            {"bad key", false}, {".", false},       {"..", false},      {"..x", false},
            {"", false},        {"a/b", false},     {"ü", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(api_is_config_key(cases[i].k), cases[i].ok);
    assert_false(api_is_config_key(long_key));
    long_key[253] = '\0';
    assert_true(api_is_config_key(long_key));
    assert_false(api_is_config_key(NULL));
}

/* Runs api_validate_builtin on JSON text; returns its result, the causes'
 * fields joined by spaces in fields, the 400 message in msg. */
static int validate_builtin(
        const char *group, const char *plural, const char *json, char *fields, size_t n, char **msg)
{
    struct api_resource res = {.group = (char *)group, .plural = (char *)plural, .builtin = true};
    _cleanup_json_ json_t *obj = json_loads(json, 0, NULL);
    _cleanup_json_ json_t *causes = json_array();
    assert_non_null(obj);
    int r = api_validate_builtin(&res, obj, causes, msg);
    size_t i, off = 0;
    json_t *c;
    fields[0] = '\0';
    json_array_foreach(causes, i, c) {
        const char *f = json_string_value(json_object_get(c, "field"));
        off += (size_t)snprintf(fields + off, n - off, "%s%s", i ? " " : "", f);
    }
    return r;
}

static void test_api_validate_builtin_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *group, *plural, *json;
        int ret;
        const char *fields, *msg;
    } cases[] = {
            {"", "secrets", "{\"data\":{\"username\":\"YWRtaW4=\"}}", 0, "", NULL},
            {"", "secrets", "{\"data\":{\"k\":\"!!!\"}}", -EBADMSG, "",
             "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at "
             "input byte 0"},
            {"", "secrets", "{\"data\":{\"bad key\":\"YQ==\"}}", 0, "data[bad key]", NULL},
            {"", "configmaps", "{\"data\":{\"mode\":\"auto\",\"bad key\":\"v\"}}", 0,
             "data[bad key]", NULL},
            {"", "configmaps", "{\"data\":{\"k\":\"v\"},\"binaryData\":{\"k\":\"YQ==\"}}", 0,
             "data[k]", NULL},
            {"", "configmaps", "{\"binaryData\":{\"k\":\"YQ=\"}}", -EBADMSG, "",
             "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 data "
             "at input byte 3"},
            {"", "events",
             "{\"metadata\":{\"namespace\":\"default\"},\"involvedObject\":{\"namespace\":"
             "\"other\"}}",
             0, "involvedObject.namespace", NULL},
            {"", "events",
             "{\"metadata\":{\"namespace\":\"default\"},\"involvedObject\":{\"namespace\":"
             "\"default\"}}",
             0, "", NULL},
            {"", "events", "{\"metadata\":{\"namespace\":\"default\"},\"involvedObject\":{}}", 0,
             "", NULL},
            {"coordination.k8s.io", "leases",
             "{\"spec\":{\"leaseDurationSeconds\":-1,\"leaseTransitions\":-2}}", 0,
             "spec.leaseDurationSeconds spec.leaseTransitions", NULL},
            {"coordination.k8s.io", "leases", "{\"spec\":{\"leaseDurationSeconds\":15}}", 0, "",
             NULL},
            {"", "namespaces", "{\"data\":{\"k\":\"!!!\"}}", 0, "", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char fields[256];
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(validate_builtin(cases[i].group, cases[i].plural, cases[i].json, fields,
                                          sizeof(fields), &msg),
                         cases[i].ret);
        assert_string_equal(fields, cases[i].fields);
        if (cases[i].msg)
            assert_string_equal(msg, cases[i].msg);
        else
            assert_null(msg);
    }
    /* Custom resources are left to their schema. */
    struct api_resource cr = {.group = (char *)"tinkerbell.org", .plural = (char *)"hardware"};
    _cleanup_json_ json_t *obj = json_loads("{\"data\":{\"k\":\"!!!\"}}", 0, NULL);
    _cleanup_json_ json_t *causes = json_array();
    char *msg = NULL;
    assert_int_equal(api_validate_builtin(&cr, obj, causes, &msg), 0);
    assert_int_equal(json_array_size(causes), 0);
    assert_null(msg);
    assert_int_equal(api_validate_builtin(NULL, obj, causes, &msg), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_api_path_parse_table),
            cmocka_unit_test(test_api_query_parse_decodes),
            cmocka_unit_test(test_api_human_duration_matches_kubectl),
            cmocka_unit_test(test_api_jsonpath_eval_paths),
            cmocka_unit_test(test_api_table_build_columns_and_cells),
            cmocka_unit_test(test_api_dns_names),
            cmocka_unit_test(test_api_validate_labels_causes),
            cmocka_unit_test(test_api_crd_prepare_sets_conditions),
            cmocka_unit_test(test_api_base64_check_table),
            cmocka_unit_test(test_api_is_config_key_table),
            cmocka_unit_test(test_api_validate_builtin_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
