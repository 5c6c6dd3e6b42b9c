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

#include "base/macro.h"
#include "buf/buf.h"
#include "yamljson/yamljson.h"

/* jansson 2.14 provides json_decrefp() itself (base/json-cleanup.h clashes with it). */
#define _cleanup_json_ _cleanup_(json_decrefp)

static json_t *load_json(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, err.text);
    return v;
}

static void assert_yaml_is(const char *yaml, const char *want_json)
{
    _cleanup_json_ json_t *got = NULL, *want = load_json(want_json);
    struct yamljson_error err = {};
    int r = yamljson_parse(yaml, strlen(yaml), &got, &err);

    if (r != 0)
        fail_msg("%s: %d at %d:%d %s", yaml, r, err.line, err.column, err.message);
    if (!json_equal(got, want)) {
        _cleanup_free_ char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("%s: got %s, want %s", yaml, g, want_json);
    }
}

static void test_yamljson_parse_plain_scalars_core_schema(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
            {"v:", "null"},
            {"v: ~", "null"},
            {"v: null", "null"},
            {"v: Null", "null"},
            {"v: NULL", "null"},
            {"v: nULL", "\"nULL\""},
            {"v: true", "true"},
            {"v: True", "true"},
            {"v: TRUE", "true"},
            {"v: tRuE", "true"},
            {"v: false", "false"},
            {"v: FaLsE", "false"},
            {"v: yes", "\"yes\""},
            {"v: off", "\"off\""},
            {"v: 0", "0"},
            {"v: -0", "0"},
            {"v: 42", "42"},
            {"v: +42", "42"},
            {"v: -42", "-42"},
            {"v: 0777", "777"}, /* 1.2 core: decimal, not octal */
            {"v: 0o17", "15"},
            {"v: 0x1F", "31"},
            {"v: 0xff", "255"},
            {"v: 9223372036854775807", "9223372036854775807"},
            {"v: -9223372036854775808", "-9223372036854775808"},
            {"v: 9223372036854775808", "9.2233720368547758e18"},
            {"v: 99999999999999999999", "1e20"},
            {"v: 0x7FFFFFFFFFFFFFFF", "9223372036854775807"},
            {"v: 0x8000000000000000", "\"0x8000000000000000\""},
            {"v: 0o1777777777777777777777", "\"0o1777777777777777777777\""},
            {"v: 1.5", "1.5"},
            {"v: -1.5", "-1.5"},
            {"v: .5", "0.5"},
            {"v: 1.", "1.0"},
            {"v: 1e3", "1000.0"},
            {"v: 1.5E-3", "0.0015"},
            {"v: 6.02e+23", "6.02e23"},
            {"v: 1e400", "\"1e400\""},
            {"v: 1_000", "\"1_000\""},
            {"v: 0b101", "\"0b101\""},
            {"v: 0x", "\"0x\""},
            {"v: +0x1", "\"+0x1\""},
            {"v: 1e", "\"1e\""},
            {"v: .5.", "\".5.\""},
            {"v: 12:30", "\"12:30\""},
            {"v: 2024-01-02", "\"2024-01-02\""},
            {"v: .inf.", "\".inf.\""},
            {"v: hello world", "\"hello world\""},
            {"v: a: b", NULL}, /* error row, checked elsewhere */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (!cases[i].json)
            continue;
        char want[128];
        snprintf(want, sizeof(want), "{\"v\":%s}", cases[i].json);
        assert_yaml_is(cases[i].yaml, want);
    }
}

static void test_yamljson_parse_quoted_block_and_tagged_scalars(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
            {"v: \"42\"", "\"42\""},
            {"v: '42'", "\"42\""},
            {"v: 'true'", "\"true\""},
            {"v: \"\"", "\"\""},
            {"v: ''", "\"\""},
            {"v: \"null\"", "\"null\""},
            {"v: \"a\\tb\\u00e9\\0\"", "\"a\\tb\\u00e9\\u0000\""},
            {"v: 'it''s'", "\"it's\""},
            {"v: |\n  a\n  b\n", "\"a\\nb\\n\""},
            {"v: |-\n  a\n", "\"a\""},
            {"v: >\n  a\n  b\n", "\"a b\\n\""},
            {"v: |\n  42\n", "\"42\\n\""},
            {"v: !!str 42", "\"42\""},
            {"v: !!str true", "\"true\""},
            {"v: !!str", "\"\""},
            {"v: ! 42", "\"42\""},
            {"v: !!int \"42\"", "42"},
            {"v: !!int 0x10", "16"},
            {"v: !!int -7", "-7"},
            {"v: !!float 1", "1.0"},
            {"v: !!float \"2.5\"", "2.5"},
            {"v: !!bool \"FALSE\"", "false"},
            {"v: !!null ''", "null"},
            {"v: !!null ~", "null"},
            {"v: !!binary aGk=", "\"aGk=\""},
            {"v: !!timestamp 2001-12-14", "\"2001-12-14\""},
            {"v: !local 12", "12"},
            {"v: !local '12'", "\"12\""},
            {"v: !!map {a: 1}", "{\"a\":1}"},
            {"v: !!seq [1]", "[1]"},
            {"v: !!set {a}", "{\"a\":null}"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char want[128];
        snprintf(want, sizeof(want), "{\"v\":%s}", cases[i].json);
        assert_yaml_is(cases[i].yaml, want);
    }
}

static void test_yamljson_parse_keys_collections_and_anchors(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
            {"1: a\ntrue: b\n~: c\n0x10: d\n1.5: e\n", "{\"1\":\"a\",\"true\":\"b\",\"~\":\"c\","
                                                       "\"0x10\":\"d\",\"1.5\":\"e\"}"},
            {"? a\n: 1\n", "{\"a\":1}"},
            {"{a, b: }", "{\"a\":null,\"b\":null}"},
            {"[]", "[]"},
            {"{}", "{}"},
            {"- a\n- - b\n  - c\n", "[\"a\",[\"b\",\"c\"]]"},
            {"a: &x {k: v}\nb: *x\n", "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"}}"},
            {"a: &n 5\nb: *n\n", "{\"a\":5,\"b\":5}"},
            {"a: &n 5\n*n : b\n", "{\"a\":5,\"5\":\"b\"}"},
            {"&k key: 1\nother: *k\n", "{\"key\":1,\"other\":\"key\"}"},
            {"a: &x 1\nb: &x 2\nc: *x\n", "{\"a\":1,\"b\":2,\"c\":2}"},
            {"a: &e {}\nb: *e\n", "{\"a\":{},\"b\":{}}"},
            {"<<: {a: 1}\n", "{\"<<\":{\"a\":1}}"},
            {"%YAML 1.1\n---\na: 1\n", "{\"a\":1}"},
            {"\xef\xbb\xbf"
             "a: 1\n",
             "{\"a\":1}"},
            {"---\n---\na: 1\n---\n", "{\"a\":1}"},
            {"# only a comment\na: 1 # trailing\n", "{\"a\":1}"},
            {"null", "null"},
            {"--- ~", "null"},
            {"42", "42"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_yaml_is(cases[i].yaml, cases[i].json);
}

static void test_yamljson_parse_json_input(void **state)
{
    static const struct {
        const char *text, *json;
    } cases[] = {
            {"{\"a\":1,\"b\":[true,null,\"x\\/y\"],\"c\":{\"d\":-1.5e3}}",
             "{\"a\":1,\"b\":[true,null,\"x/y\"],\"c\":{\"d\":-1500.0}}"},
            {"{\n\t\"a\": 1\n}", "{\"a\":1}"},
            {" [1, 2, 3] ", "[1,2,3]"},
            /* libyaml rejects surrogate escapes; the JSON reader takes them. */
            {"{\"e\":\"\\ud83d\\ude00\"}", "{\"e\":\"\xf0\x9f\x98\x80\"}"},
            {"\xef\xbb\xbf{\"e\":\"\\ud83d\\ude00\"}", "{\"e\":\"\xf0\x9f\x98\x80\"}"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_yaml_is(cases[i].text, cases[i].json);
}

static void test_yamljson_parse_errors_have_positions(void **state)
{
    static const struct {
        const char *yaml;
        int r, line, column;
        const char *msg; /* substring */
    } cases[] = {
            {"a: 1\na: 2\n", -EBADMSG, 2, 1, "duplicate mapping key \"a\""},
            {"{\"a\":1,\"a\":2}", -EBADMSG, 1, 8, "duplicate mapping key \"a\""},
            {"a:\n  b: 1\n  b: 2\n", -EBADMSG, 3, 3, "duplicate mapping key \"b\""},
            {"a: [1, 2\n", -EBADMSG, 2, 1,
             "while parsing a flow sequence: did not find expected ',' or ']'"},
            {"key: value: x", -EBADMSG, 1, 11, "mapping values are not allowed"},
            {"? [a]\n: 1\n", -EBADMSG, 1, 3, "a mapping key must be a scalar"},
            {"? {a: 1}\n: 1\n", -EBADMSG, 1, 3, "a mapping key must be a scalar"},
            {"x: &s [1]\n*s : 1\n", -EBADMSG, 2, 1, "a mapping key must be a scalar"},
            {"\"a\\0b\": 1\n", -EBADMSG, 1, 1, "must not contain a NUL character"},
            {"a: *nope", -EBADMSG, 1, 4, "unknown anchor \"nope\""},
            {"a: &r [*r]", -EBADMSG, 1, 8, "unknown anchor \"r\""},
            {"a: !!int abc", -EBADMSG, 1, 4, "invalid value for !!int"},
            {"a: !!int 99999999999999999999", -EBADMSG, 1, 4, "!!int value out of range"},
            {"a: !!float abc", -EBADMSG, 1, 4, "invalid value for !!float"},
            {"a: !!float 1e400", -EBADMSG, 1, 4, "!!float value out of range"},
            {"a: !!float .nan", -EBADMSG, 1, 4, "infinity and NaN"},
            {"a: !!bool yes", -EBADMSG, 1, 4, "invalid value for !!bool"},
            {"a: !!null x", -EBADMSG, 1, 4, "invalid value for !!null"},
            {"a: .inf", -EBADMSG, 1, 4, "infinity and NaN cannot be represented in JSON"},
            {"a: -.Inf", -EBADMSG, 1, 4, "infinity and NaN"},
            {"- .NaN", -EBADMSG, 1, 3, "infinity and NaN"},
            {"a: !!str [1]", -EBADMSG, 1, 4, "tag !!str cannot apply to a sequence"},
            {"a: !!int {b: 1}", -EBADMSG, 1, 4, "tag !!int cannot apply to a mapping"},
            {"a: !!seq {b: 1}", -EBADMSG, 1, 4, "tag !!seq cannot apply to a mapping"},
            {"a: !!map [1]", -EBADMSG, 1, 4, "tag !!map cannot apply to a sequence"},
            {"a: b\nc: \xff", -EBADMSG, 2, 4, "invalid leading UTF-8 octet"},
            {"a: b\x01", -EBADMSG, 1, 5, "control characters are not allowed"},
            {"x:\n  - \"open\n", -EBADMSG, 3, 1, "while scanning a quoted scalar"},
            {"a:\n\tb: 1", -EBADMSG, 2, 1, "found character that cannot start any token"},
            {"a: 1\n---\nb: 2\n", -E2BIG, 2, 1, "expected one YAML document, found more"},
            {"", -ENODATA, 1, 1, "no YAML document found"},
            {"# nothing\n", -ENODATA, 1, 1, "no YAML document found"},
            {"---\n...\n---\n", -ENODATA, 1, 1, "no YAML document found"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct yamljson_error err = {};
        json_t *v = NULL;
        int r = yamljson_parse(cases[i].yaml, strlen(cases[i].yaml), &v, &err);
        if (r != cases[i].r)
            fail_msg("%s: want %d got %d (%s)", cases[i].yaml, cases[i].r, r, err.message);
        assert_null(v);
        if (err.line != cases[i].line || err.column != cases[i].column ||
            !strstr(err.message, cases[i].msg))
            fail_msg("%s: got %d:%d \"%s\", want %d:%d \"%s\"", cases[i].yaml, err.line, err.column,
                     err.message, cases[i].line, cases[i].column, cases[i].msg);
        /* reterr is optional */
        assert_int_equal(yamljson_parse(cases[i].yaml, strlen(cases[i].yaml), &v, NULL),
                         cases[i].r);
    }
}

static char *nested_flow(size_t depth, const char *leaf)
{
    struct buf b = BUF_INIT(1 << 20);
    for (size_t i = 0; i < depth; i++)
        assert_int_equal(buf_append_str(&b, "["), 0);
    assert_int_equal(buf_append_str(&b, leaf), 0);
    for (size_t i = 0; i < depth; i++)
        assert_int_equal(buf_append_str(&b, "]"), 0);
    return buf_take(&b, NULL);
}

static void test_yamljson_parse_nesting_capped(void **state)
{
    static const struct {
        size_t depth;
        int r;
    } cases[] = {
            {1, 0},
            {YAMLJSON_MAX_DEPTH, 0},
            {YAMLJSON_MAX_DEPTH + 1, -EBADMSG},
            {100000, -EBADMSG},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *text = nested_flow(cases[i].depth, "1");
        struct yamljson_error err = {};
        json_t *v = NULL;
        assert_int_equal(yamljson_parse(text, strlen(text), &v, &err), cases[i].r);
        if (cases[i].r == 0)
            json_decref(v);
        else
            assert_non_null(strstr(err.message, "nest deeper than 256"));
    }

    /* Aliases count towards the nesting of where they land. */
    _cleanup_free_ char *inner = nested_flow(200, "1");
    _cleanup_free_ char *doc = NULL;
    assert_true(asprintf(&doc,
                         "a: &d %s\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                         "[[[[[[[[*d]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
                         inner) > 0);
    struct yamljson_error err = {};
    json_t *v = NULL;
    assert_int_equal(yamljson_parse(doc, strlen(doc), &v, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "alias nests deeper"));
}

static void test_yamljson_parse_alias_bomb_rejected(void **state)
{
    /* The classic "billion laughs": 10^9 strings if expanded. */
    static const char bomb[] =
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
            "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
            "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
            "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    struct yamljson_error err = {};
    json_t *v = NULL;
    (void)state;

    assert_int_equal(yamljson_parse(bomb, strlen(bomb), &v, &err), -EBADMSG);
    assert_null(v);
    assert_non_null(strstr(err.message, "aliases expand to more than 100000 nodes"));
    assert_int_equal(err.line, 6);

    /* Few nodes, many bytes: one big scalar aliased over and over. */
    struct buf b = BUF_INIT(4 << 20);
    assert_int_equal(buf_append_str(&b, "s: &s \""), 0);
    for (int i = 0; i < 1 << 20; i++)
        assert_int_equal(buf_append_str(&b, "x"), 0);
    assert_int_equal(buf_append_str(&b, "\"\nl: ["), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(buf_append_str(&b, "*s,"), 0);
    assert_int_equal(buf_append_str(&b, "]\n"), 0);
    assert_int_equal(yamljson_parse(b.data, b.len, &v, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "bytes"));
    buf_free(&b);

    /* Within the caps, aliases are fine. */
    static const char ok[] = "a: &a [1,2,3]\nb: [*a,*a,*a]\n";
    assert_int_equal(yamljson_parse(ok, strlen(ok), &v, &err), 0);
    assert_int_equal(json_array_size(json_array_get(json_object_get(v, "b"), 2)), 3);
    json_decref(v);
}

static void test_yamljson_parse_all_streams(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
            {"", "[]"},
            {"# comment only\n", "[]"},
            {"a: 1\n", "[{\"a\":1}]"},
            {"a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]"},
            {"---\n---\na: 1\n---\n\n---\nb: 2\n...\n", "[{\"a\":1},{\"b\":2}]"},
            {"--- null\n---\n- 1\n", "[null,[1]]"},
            {"a: &x 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]"},
            {"[1]", "[[1]]"},
            {"{\"e\":\"\\ud83d\\ude00\"}", "[{\"e\":\"\xf0\x9f\x98\x80\"}]"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *got = NULL, *want = load_json(cases[i].json);
        struct yamljson_error err = {};
        int r = yamljson_parse_all(cases[i].yaml, strlen(cases[i].yaml), &got, &err);
        if (r != 0)
            fail_msg("%s: %d %s", cases[i].yaml, r, err.message);
        assert_true(json_equal(got, want));
    }

    /* Anchors do not cross documents; errors in a later document fail all. */
    static const char cross[] = "a: &x 1\n---\nb: *x\n";
    struct yamljson_error err = {};
    json_t *v = NULL;
    assert_int_equal(yamljson_parse_all(cross, strlen(cross), &v, &err), -EBADMSG);
    assert_null(v);
    assert_int_equal(err.line, 3);
    assert_int_equal(yamljson_parse_all(NULL, 0, &v, NULL), 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    assert_int_equal(yamljson_parse_all("a", 1, NULL, NULL), -EINVAL);
}

static void test_yamljson_parse_kubeconfig(void **state)
{
    static const char kubeconfig[] =
            "apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- cluster:\n"
            "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
            "    server: https://127.0.0.1:6443\n"
            "  name: anvil\n"
            "contexts:\n"
            "- context:\n"
            "    cluster: anvil\n"
            "    namespace: default\n"
            "    user: admin\n"
            "  name: anvil\n"
            "current-context: anvil\n"
            "preferences: {}\n"
            "users:\n"
            "- name: admin\n"
            "  user:\n"
            "    token: abc.def-123\n";
    _cleanup_json_ json_t *v = NULL;
    (void)state;

    assert_int_equal(yamljson_parse(kubeconfig, sizeof(kubeconfig) - 1, &v, NULL), 0);
    json_t *cluster = json_object_get(json_array_get(json_object_get(v, "clusters"), 0), "cluster");
    assert_string_equal(json_string_value(json_object_get(cluster, "server")),
                        "https://127.0.0.1:6443");
    assert_string_equal(json_string_value(json_object_get(v, "current-context")), "anvil");
    assert_true(json_is_object(json_object_get(v, "preferences")));
    json_t *user = json_object_get(json_array_get(json_object_get(v, "users"), 0), "user");
    assert_string_equal(json_string_value(json_object_get(user, "token")), "abc.def-123");
}

static void test_yamljson_parse_tinkerbell_template(void **state)
{
    static const char tmpl[] = "version: \"0.1\"\n"
                               "name: ubuntu_provisioning\n"
                               "global_timeout: 6000\n"
                               "tasks:\n"
                               "  - name: \"os-installation\"\n"
                               "    worker: \"{{.device_1}}\"\n"
                               "    volumes:\n"
                               "      - /dev:/dev\n"
                               "      - /lib/firmware:/lib/firmware:ro\n"
                               "    actions:\n"
                               "      - name: \"stream-ubuntu-image\"\n"
                               "        image: quay.io/tinkerbell-actions/image2disk:v1.0.0\n"
                               "        timeout: 600\n"
                               "        environment:\n"
                               "          DEST_DISK: /dev/sda\n"
                               "          IMG_URL: \"http://{{ .artifact_host }}/ubuntu.raw.gz\"\n"
                               "          COMPRESSED: true\n"
                               "          MODE: 0644\n"
                               "      - name: \"kexec\"\n"
                               "        image: quay.io/tinkerbell-actions/kexec:v1.0.0\n"
                               "        pid: host\n"
                               "        command: [\"/bin/sh\", \"-c\", \"echo {{.x}} > /tmp/y\"]\n";
    _cleanup_json_ json_t *v = NULL;
    (void)state;

    assert_int_equal(yamljson_parse(tmpl, sizeof(tmpl) - 1, &v, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(v, "version")), "0.1");
    assert_int_equal(json_integer_value(json_object_get(v, "global_timeout")), 6000);
    json_t *task = json_array_get(json_object_get(v, "tasks"), 0);
    assert_string_equal(json_string_value(json_object_get(task, "worker")), "{{.device_1}}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(task, "volumes"), 1)),
                        "/lib/firmware:/lib/firmware:ro");
    json_t *action = json_array_get(json_object_get(task, "actions"), 0);
    json_t *env = json_object_get(action, "environment");
    assert_int_equal(json_integer_value(json_object_get(action, "timeout")), 600);
    assert_true(json_is_true(json_object_get(env, "COMPRESSED")));
    assert_int_equal(json_integer_value(json_object_get(env, "MODE")), 644);
    assert_string_equal(json_string_value(json_object_get(env, "IMG_URL")),
                        "http://{{ .artifact_host }}/ubuntu.raw.gz");
    json_t *kexec = json_array_get(json_object_get(task, "actions"), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(kexec, "command"), 2)),
                        "echo {{.x}} > /tmp/y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_yamljson_parse_plain_scalars_core_schema),
            cmocka_unit_test(test_yamljson_parse_quoted_block_and_tagged_scalars),
            cmocka_unit_test(test_yamljson_parse_keys_collections_and_anchors),
            cmocka_unit_test(test_yamljson_parse_json_input),
            cmocka_unit_test(test_yamljson_parse_errors_have_positions),
            cmocka_unit_test(test_yamljson_parse_nesting_capped),
            cmocka_unit_test(test_yamljson_parse_alias_bomb_rejected),
            cmocka_unit_test(test_yamljson_parse_all_streams),
            cmocka_unit_test(test_yamljson_parse_kubeconfig),
            cmocka_unit_test(test_yamljson_parse_tinkerbell_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
