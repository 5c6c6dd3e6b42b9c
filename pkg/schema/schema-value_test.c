/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pieces under the messages: Go-style value formatting, the pattern
 * translator and the string formats.
 */
#include "schema/schema-internal.h"
#include "schema/schema-testutil.h"

static void test_value_go_formatting(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *value; /* ErrorBody value */
        const char *gojson;
    } t[] = {
            {"'abc'", "\"abc\"", "\"abc\""},
            {"'a\\nb\\t\\u0007\\\\\\''", "\"a\\nb\\t\\a\\\\\\\"\"", "\"a\\nb\\t\\u0007\\\\\\\"\""},
            {"'<&>'", "\"<&>\"", "\"\\u003c\\u0026\\u003e\""},
            {"'\\u00e9\\u0085'", "\"\xc3\xa9\\u0085\"", "\"\xc3\xa9\xc2\x85\""},
            {"5", "5", "5"},
            {"-2.5", "-2.5", "-2.5"},
            {"1000000.0", "1e+06", "1000000"},
            {"123456.0", "123456", "123456"},
            {"0.0001", "0.0001", "0.0001"},
            {"0.00001", "1e-05", "0.00001"},
            {"1e21", "1e+21", "1e+21"},
            {"1e-7", "1e-07", "1e-7"},
            {"true", "true", "true"},
            {"null", "\"null\"", "null"},
            {"{'b':[1,null],'a':'x'}", "map[string]interface {}{\"a\":\"x\", \"b\":[]interface "
                                       "{}{1, interface {}(nil)}}",
             "{\"a\":\"x\",\"b\":[1,null]}"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        _cleanup_json_ json_t *v = tjson(t[i].json);
        _cleanup_buf_ struct buf a = BUF_INIT(4096), b = BUF_INIT(4096);
        assert_int_equal(schema_go_value(&a, v), 0);
        assert_int_equal(schema_go_json(&b, v), 0);
        if (strcmp(buf_str(&a), t[i].value) != 0 || strcmp(buf_str(&b), t[i].gojson) != 0)
            fail_msg("%s: got %s / %s, want %s / %s", t[i].json, buf_str(&a), buf_str(&b),
                     t[i].value, t[i].gojson);
    }
    _cleanup_buf_ struct buf q = BUF_INIT(64);
    assert_int_equal(schema_go_quote(&q, "\xff" "a", 2), 0);
    assert_string_equal(buf_str(&q), "\"\\xffa\"");
}

enum {
    NO = 0,
    YES = 1,
    SKIP = 2, /* unsupported construct */
    BAD = 3,  /* invalid in RE2 */
};

static void test_value_patterns(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        const char *input;
        int want;
    } t[] = {
            {"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-name", YES},
            {"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "-bad", NO},
            {"^\\d{1,3}(\\.\\d{1,3}){3}$", "10.0.0.1", YES},
            {"^\\d{1,3}(\\.\\d{1,3}){3}$", "10.0.0", NO},
            {"^\\w+$", "a_1", YES},
            {"^\\s*$", " \t", YES},
            {"^\\S+$", "a b", NO},
            {"^[\\w.-]+$", "a.b-c", YES},
            {"^[^/]+$", "a/b", NO},
            {"^a.c$", "a\nc", NO},
            {"^a.c$", "a\xc3\xa9" "c", YES},
            {"^[\\]\\[^-]+$", "][^-", YES},
            {"(?i)^abc$", "ABC", YES},
            {"^(?:ab)+$", "abab", YES},
            {"^(?P<x>a)b$", "ab", YES},
            {"^a+?b$", "aab", YES},
            {"^\\x41\\x{263a}$", "A\xe2\x98\xba", YES},
            {"^[[:digit:]]+$", "123", YES},
            {"^\\$\\{[a-z]+\\}$", "${ab}", YES},
            {"a{2}", "caab", YES},
            {"^[0-9]{4}$", "123", NO},
            {"^[\\D]$", "x", YES},
            {"\\bword\\b", "word", SKIP},
            {"^\\p{L}+$", "abc", SKIP},
            {"(?s).", "x", SKIP},
            {"(a", "a", BAD},
            {"a)", "a", BAD},
            {"[a", "a", BAD},
            {"*a", "a", BAD},
            {"a**", "a", BAD},
            {"(?=a)", "a", BAD},
            {"\\k", "k", BAD},
            {"a{1001}", "a", BAD},
            {"[z-a]", "a", BAD},
            {"a\\", "a", BAD},
    };
    struct schema_ctx c = {0};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        bool match = false;
        const char *err = NULL;
        int r = schema_rx_match(&c, t[i].pattern, t[i].input, strlen(t[i].input), &match, &err);
        int got = r == 1 ? SKIP : r == 2 ? BAD : r == 0 ? (match ? YES : NO) : -1;
        if (got != t[i].want)
            fail_msg("/%s/ on %s: got %d (r=%d), want %d", t[i].pattern, t[i].input, got, r,
                     t[i].want);
        if (got == BAD)
            assert_true(err && strncmp(err, "error parsing regexp: ", 22) == 0);
    }
    schema_ctx_done(&c);
}

static void test_value_formats(void **state)
{
    (void)state;
    static const struct {
        const char *format;
        const char *input;
        int want;
    } t[] = {
            {"datetime", "2024-02-29T23:59:59Z", 1},
            {"datetime", "2023-02-29T00:00:00Z", 0},
            {"datetime", "2024-01-01T24:00:00Z", 0},
            {"datetime", "2024-01-01t10:00:00.123-07:00", 1},
            {"datetime", "2024-01-01", 0},
            {"date", "2024-12-31", 1},
            {"date", "2024-13-01", 0},
            {"byte", "aGVsbG8=", 1},
            {"byte", "aGVsbG8", 0},
            {"byte", "", 0},
            {"uri", "https://example.com/x?y=1", 1},
            {"uri", "/just/a/path", 1},
            {"uri", "example.com", 0},
            {"uri", "http://a/%zz", 0},
            {"ipv4", "192.168.0.1", 1},
            {"ipv4", "192.168.0.256", 0},
            {"ipv4", "01.2.3.4", 0},
            {"ipv6", "fe80::1", 1},
            {"ipv6", "1.2.3.4", 0},
            {"cidr", "10.0.0.0/8", 1},
            {"cidr", "10.0.0.0/33", 0},
            {"mac", "00:11:22:aa:bb:cc", 1},
            {"mac", "00-11-22-aa-bb-cc", 1},
            {"mac", "0011.22aa.bbcc", 1},
            {"mac", "00:11:22:aa:bb", 0},
            {"uuid", "123e4567-e89b-12d3-a456-426614174000", 1},
            {"uuid4", "123e4567-e89b-42d3-a456-426614174000", 1},
            {"uuid4", "123e4567-e89b-12d3-a456-426614174000", 0},
            {"hostname", "myhost", 1},
            {"hostname", "m-yhost", 1},
            /* strfmt's single-label form allows one dash, right after the first character */
            {"hostname", "my-host", 0},
            {"hostname", "my-host.example.com", 1},
            {"hostname", "a.example.com", 1},
            {"hostname", "-bad", 0},
            {"hexcolor", "#a0b", 1},
            {"rgbcolor", "rgb(0, 255,10)", 1},
            {"rgbcolor", "rgb(0,256,0)", 0},
            {"ssn", "123-45-6789", 1},
            {"bsonobjectid", "507f1f77bcf86cd799439011", 1},
            {"duration", "1h30m", 1},
            {"duration", "3 days", 1},
            {"duration", "soon", 0},
            {"quantity", "10Gi", 1},
            {"quantity", "1.5", 1},
            {"quantity", "10GB", 0},
            {"email", "a@b.c", 1},
            {"email", "nobody", 0},
            {"password", "", 1},
            {"isbn", "x", -1},
            {"frobnicate", "x", -1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        int got = schema_format_check(t[i].format, t[i].input, strlen(t[i].input));
        if (got != t[i].want)
            fail_msg("%s %s: got %d want %d", t[i].format, t[i].input, got, t[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_value_go_formatting),
            cmocka_unit_test(test_value_patterns),
            cmocka_unit_test(test_value_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
