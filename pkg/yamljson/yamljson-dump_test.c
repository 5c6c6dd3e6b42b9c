/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/macro.h"
#include "yamljson/yamljson-internal.h"
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

static void test_yamljson_dump_block_style_output(void **state)
{
    static const struct {
        const char *json, *yaml;
    } cases[] = {
            {"{\"a\":1,\"b\":\"x\",\"c\":{\"d\":[1,2,{\"e\":null}],\"f\":{},\"g\":[]}}",
             "a: 1\nb: x\nc:\n  d:\n  - 1\n  - 2\n  - e: null\n  f: {}\n  g: []\n"},
            {"{\"z\":1,\"a\":2,\"m\":3}", "z: 1\na: 2\nm: 3\n"}, /* object order kept */
            {"[\"1\",\"true\",\"\",\"null\",\"yes\",\"~\",\"0x1\",\"Off\",\"y\",\"<<\",\"1.2.3\","
             "\"-1x\",\"v1.2\",\"a b\"]",
             "- \"1\"\n- \"true\"\n- \"\"\n- \"null\"\n- \"yes\"\n- \"~\"\n- \"0x1\"\n- \"Off\"\n"
             "- \"y\"\n- \"<<\"\n- \"1.2.3\"\n- \"-1x\"\n- v1.2\n- a b\n"},
            {"[\" lead\",\"#x\",\"a: b\",\"- x\",\"{x}\",\"*a\"]",
             "- ' lead'\n- '#x'\n- 'a: b'\n- '- x'\n- '{x}'\n- '*a'\n"},
            {"{\"multi\":\"line1\\nline2\\n\",\"k\\ney\":1,\"\":2}",
             "multi: |\n  line1\n  line2\n? \"k\\ney\"\n: 1\n\"\": 2\n"},
            {"[\"x\\ny\",\"x\\r\\ny\",\"a\\u0000b\",\"\\t\"]",
             "- |-\n  x\n  y\n- \"x\\r\\ny\"\n- \"a\\0b\"\n- \"\\t\"\n"},
            {"[0.1,1.0,1e20,-0.0,1e-300,123456789012345678,true,false,null]",
             "- 0.1\n- 1.0\n- 1e+20\n- -0.0\n- 1e-300\n- 123456789012345678\n- true\n- false\n"
             "- null\n"},
            {"\"top\"", "top\n"},
            {"null", "null\n"},
            {"{\"caf\\u00e9\":\"\\u00fcber\"}", "café: über\n"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *v = load_json(cases[i].json);
        _cleanup_free_ char *yaml = NULL;
        assert_int_equal(yamljson_dump(v, &yaml), 0);
        if (strcmp(yaml, cases[i].yaml) != 0)
            fail_msg("%s:\n--- got\n%s--- want\n%s", cases[i].json, yaml, cases[i].yaml);
    }
}

static void test_yamljson_dump_round_trips(void **state)
{
    static const char *const cases[] = {
            "{}",
            "[]",
            "[[[[]]],{\"a\":{\"b\":{}}}]",
            "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\",\"metadata\":{"
            "\"name\":\"hw-1\",\"labels\":{\"app.kubernetes.io/name\":\"x\"}},\"spec\":{"
            "\"interfaces\":[{\"dhcp\":{\"mac\":\"00:11:22:33:44:55\",\"ip\":{\"address\":"
            "\"10.0.0.5\",\"netmask\":\"255.255.255.0\"},\"lease_time\":86400},\"netboot\":{"
            "\"allowPXE\":true}}]}}",
            "[\"\\n\",\"\\n\\n\",\" \\n\",\"a\\n "
            "\",\"\\u2028\",\"\\u0085\",\"\\ufeff\",\"\\ud83d\\ude00\","
            "\"a  b\",\"'\",\"\\\"\",\"\\\\\",\":\",\"?\",\"-\",\"|\",\">\",\"---\",\"...\",\"#\"]",
            "[\"0o7\",\"0x1F\",\"+1\",\"-1\",\".5\",\"1e3\",\".inf\",\"-.Inf\",\".nan\",\"TRUE\","
            "\"False\",\"NULL\",\"Null\",\"nULL\",\"ON\",\"n\",\"N\",\"=\"]",
            "[9223372036854775807,-9223372036854775808,0,1.5,-2.25e-10,1.7976931348623157e308,"
            "5e-324]",
            "{\"a\":\"x\\u0000y\",\"b\":\"\\u0001\\u001f\\u007f\\u0080\\u00a0\"}",
            "\"just a string\"",
            "42",
            "true",
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *v = load_json(cases[i]), *back = NULL;
        _cleanup_free_ char *yaml = NULL;
        struct yamljson_error err = {};
        assert_int_equal(yamljson_dump(v, &yaml), 0);
        int r = yamljson_parse(yaml, strlen(yaml), &back, &err);
        if (r != 0)
            fail_msg("%s: reparse %d at %d:%d %s\n%s", cases[i], r, err.line, err.column,
                     err.message, yaml);
        if (!json_equal(v, back))
            fail_msg("%s: round trip differs:\n%s", cases[i], yaml);
    }
}

static void test_yamljson_dump_errors(void **state)
{
    json_t *deep = json_array(), *cur = deep;
    _cleanup_json_ json_t *bad = json_stringn_nocheck("\xff", 1);
    _cleanup_json_ json_t *bad_key = json_object();
    char *yaml = NULL;
    (void)state;

    for (int i = 0; i < YAMLJSON_MAX_DUMP_DEPTH; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    assert_int_equal(yamljson_dump(deep, &yaml), -ELOOP);
    assert_null(yaml);
    json_decref(deep);

    assert_int_equal(yamljson_dump(bad, &yaml), -EINVAL);
    assert_int_equal(json_object_set_new_nocheck(bad_key, "\xc3", json_true()), 0);
    assert_int_equal(yamljson_dump(bad_key, &yaml), -EINVAL);
    assert_null(yaml);
    assert_int_equal(yamljson_dump(NULL, &yaml), -EINVAL);
    assert_int_equal(yamljson_dump(bad, NULL), -EINVAL);
}

static void test_yamljson_plain_needs_quotes(void **state)
{
    static const struct {
        const char *s;
        bool quote;
    } cases[] = {
            {"", true},      {"~", true},       {"null", true},  {"Null", true},
            {"true", true},  {"FALSE", true},   {"tRUE", true},  {"yes", true},
            {"No", true},    {"on", true},      {"OFF", true},   {"y", true},
            {"N", true},     {"<<", true},      {"=", true},     {"0", true},
            {"-12", true},   {"0x1f", true},    {"0o7", true},   {"1.5", true},
            {".5", true},    {"-.5", true},     {"1e3", true},   {".inf", true},
            {"-.INF", true}, {".NaN", true},    {"1_000", true}, {"2024-01-01", true},
            {"12:30", true}, {"+x", false},     {"-", false},    {"abc", false},
            {"nULL", false}, {"yes-no", false}, {"v1", false},   {"a b", false},
            {".x", false},   {"x1", false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (yamljson_plain_needs_quotes(cases[i].s, strlen(cases[i].s)) != cases[i].quote)
            fail_msg("\"%s\": want %s", cases[i].s, cases[i].quote ? "quotes" : "plain");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_yamljson_dump_block_style_output),
            cmocka_unit_test(test_yamljson_dump_round_trips),
            cmocka_unit_test(test_yamljson_dump_errors),
            cmocka_unit_test(test_yamljson_plain_needs_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
