/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "selector/selector-internal.h"

/* jansson 2.14 provides json_decrefp() itself (base/json-cleanup.h clashes with it). */
#define _cleanup_json_ _cleanup_(json_decrefp)

#define QNAME_REGEX_MSG                                                                         \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "      \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_REGEX_MSG                                                                         \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or " \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "          \
    "'my_value',  or '12345', regex used for validation is "                                    \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define REQ "unable to parse requirement: "

static json_t *labels_fixture(void)
{
    json_error_t err;
    json_t *v = json_loads("{\"app\":\"web\",\"tier\":\"front\",\"n\":\"10\",\"empty\":\"\","
                           "\"k\":\"notin\",\"example.com/role\":\"master\",\"num\":7}",
                           0, &err);
    assert_non_null(v);
    return v;
}

static void test_label_selector_matches_every_operator(void **state)
{
    static const struct {
        const char *sel;
        bool want;
    } cases[] = {
            {"", true},
            {"   ", true},
            {"app=web", true},
            {"app==web", true},
            {"app=db", false},
            {"app==db", false},
            {"app!=db", true},
            {"app!=web", false},
            {"missing!=x", true},
            {"app in (web,db)", true},
            {"app in (db)", false},
            {"missing in (a)", false},
            {"app notin (db)", true},
            {"app notin (db,web)", false},
            {"missing notin (a)", true},
            {"app", true},
            {"missing", false},
            {"!missing", true},
            {"!app", false},
            {"n>5", true},
            {"n>10", false},
            {"n<11", true},
            {"n<10", false},
            {"app>1", false},
            {"missing>1", false},
            {"missing<1", false},
            {"empty=", true},
            {"empty==", true},
            {"empty!=", false},
            {"empty in ()", true},
            {"app in (,web)", true},
            {"empty in (a,)", true},
            {"empty in (a,,b)", true},
            {"app=web,tier=front", true},
            {"app=web,tier=back", false},
            {"app=web,!missing,n>9", true},
            {" app = web , tier in ( front ) ", true},
            {"\tapp\n=\rweb", true},
            {"k in (in,notin)", true},
            {"k=notin", true},
            {"in", false},
            {"example.com/role=master", true},
            {"example.com/role notin (master)", false},
            {"num", false}, /* non-string values count as absent */
            {"!num", true},
            {"num!=7", true},
    };
    _cleanup_json_ json_t *labels = labels_fixture();
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
        _cleanup_free_ char *error = NULL;
        int r = label_selector_parse(cases[i].sel, &sel, &error);
        if (r != 0)
            fail_msg("parse \"%s\": %d %s", cases[i].sel, r, error);
        if (label_selector_matches(sel, labels) != cases[i].want)
            fail_msg("\"%s\" should %smatch", cases[i].sel, cases[i].want ? "" : "not ");
    }
}

static void test_label_selector_matches_null_labels(void **state)
{
    static const struct {
        const char *sel;
        bool want;
    } cases[] = {
            {"", true},       {"app", false},        {"!app", true},          {"app=x", false},
            {"app!=x", true}, {"app in (x)", false}, {"app notin (x)", true}, {"app>1", false},
    };
    _cleanup_json_ json_t *not_an_object = json_string("app");
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
        assert_int_equal(label_selector_parse(cases[i].sel, &sel, NULL), 0);
        assert_true(label_selector_matches(sel, NULL) == cases[i].want);
        assert_true(label_selector_matches(sel, not_an_object) == cases[i].want);
    }
}

static void test_label_selector_parse_errors(void **state)
{
    static const struct {
        const char *sel;
        const char *msg;
    } cases[] = {
            {"=a", "found '=', expected: !, identifier, or 'end of string'"},
            {",a", "found ',', expected: !, identifier, or 'end of string'"},
            {"(", "found '(', expected: !, identifier, or 'end of string'"},
            {"a,", "found '', expected: identifier after ','"},
            {"a,,b", "found ',', expected: identifier after ','"},
            {"a=b c", "found 'c', expected: ',' or 'end of string'"},
            {"a=b=c", "found '=', expected: ',' or 'end of string'"},
            {"!a=b", "found '=', expected: ',' or 'end of string'"},
            {"a in (b) c", "found 'c', expected: ',' or 'end of string'"},
            {"!", REQ "found '', expected: identifier"},
            {"!,a", REQ "found ',', expected: identifier"},
            {"a b", REQ "found 'b', expected: in, notin, =, ==, !=, gt, lt"},
            {"a (b)", REQ "found '(', expected: in, notin, =, ==, !=, gt, lt"},
            {"a !b", REQ "found '!', expected: in, notin, =, ==, !=, gt, lt"},
            {"a in b", REQ "found 'b' expected: '('"},
            {"a in", REQ "found '' expected: '('"},
            {"a notin in", REQ "found 'in' expected: '('"},
            {"a in (=)", REQ "found '=', expected: ',', ')' or identifier"},
            {"a in (", REQ "found '', expected: ',', ')' or identifier"},
            {"a in (b c)", REQ "found 'c', expected: ',' or ')'"},
            {"a in (b", REQ "found '', expected: ',' or ')'"},
            {"a in (b,=)", REQ "found '=', expected: ',', or identifier"},
            {"a in (b,", REQ "found '', expected: ',', or identifier"},
            {"a==!", REQ "found '!', expected: identifier"},
            {"a=(b)", REQ "found '(', expected: identifier"},
            {"a>=1", REQ "found '=', expected: identifier"},
            {"a@b=c", REQ "<nil>: Invalid value: \"a@b\": name part " QNAME_REGEX_MSG},
            {"-a", REQ "<nil>: Invalid value: \"-a\": name part " QNAME_REGEX_MSG},
            {"a/b/c",
             REQ "<nil>: Invalid value: \"a/b/c\": a qualified name " QNAME_REGEX_MSG
                 " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
            {"/a", REQ "<nil>: Invalid value: \"/a\": prefix part must be non-empty"},
            {"a/", REQ "<nil>: Invalid value: \"a/\": name part must be non-empty; name "
                       "part " QNAME_REGEX_MSG},
            {"Example.com/a",
             REQ "<nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 "
                 "subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                 "must start and end with an alphanumeric character (e.g. 'example.com', regex "
                 "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-"
                 "z0-9])?)*')"},
            {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             REQ "<nil>: Invalid value: "
                 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": name part "
                 "must be no more than 63 characters"},
            {"a\"\xff=b", REQ "<nil>: Invalid value: \"a\\\"\\xff\": name part " QNAME_REGEX_MSG},
            {"a=b_", REQ "values[0][a]: Invalid value: \"b_\": " VALUE_REGEX_MSG},
            {"a in (ok,-x)", REQ "values[0][a]: Invalid value: \"-x\": " VALUE_REGEX_MSG},
            {"a in (x_,-x)", REQ "[values[0][a]: Invalid value: \"-x\": " VALUE_REGEX_MSG
                                 ", values[1][a]: Invalid value: \"x_\": " VALUE_REGEX_MSG "]"},
            {"a=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             REQ "values[0][a]: Invalid value: "
                 "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\": must be no "
                 "more than 63 characters"},
            {"a>x", REQ "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must "
                        "be an integer"},
            {"a<", REQ "values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must "
                       "be an integer"},
            {"a<99999999999999999999",
             REQ "values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, "
                 "the value must be an integer"},
            {"a>x_",
             REQ "[values[0]: Invalid value: \"x_\": for 'Gt', 'Lt' operators, the value must be "
                 "an integer, values[0][a]: Invalid value: \"x_\": " VALUE_REGEX_MSG "]"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct label_selector *sel = NULL;
        _cleanup_free_ char *error = NULL;
        int r = label_selector_parse(cases[i].sel, &sel, &error);
        if (r != -EINVAL)
            fail_msg("\"%s\": want -EINVAL, got %d", cases[i].sel, r);
        assert_null(sel);
        assert_non_null(error);
        if (strcmp(error, cases[i].msg) != 0)
            fail_msg("\"%s\":\n got  %s\n want %s", cases[i].sel, error, cases[i].msg);
    }
}

static void test_label_selector_parse_error_without_message(void **state)
{
    struct label_selector *sel = NULL;
    (void)state;
    assert_int_equal(label_selector_parse("a in (", &sel, NULL), -EINVAL);
    assert_null(sel);
    assert_int_equal(label_selector_parse("x", NULL, NULL), -EINVAL);
}

static void test_label_selector_error_echo_is_bounded_utf8(void **state)
{
    char input[2048];
    _cleanup_free_ char *error = NULL;
    struct label_selector *sel = NULL;
    (void)state;

    memset(input, '\xc3', sizeof(input) - 1); /* lone lead bytes: invalid UTF-8 */
    memcpy(input, "a in (b ", 8);
    input[sizeof(input) - 1] = '\0';
    assert_int_equal(label_selector_parse(input, &sel, &error), -EINVAL);
    assert_non_null(error);
    assert_true(strlen(error) < 1200);
    assert_non_null(strstr(error, "\xef\xbf\xbd"));
    assert_non_null(strstr(error, "...'"));
    json_t *s = json_string(error); /* jansson accepts only valid UTF-8 */
    assert_non_null(s);
    json_decref(s);
}

static void test_label_selector_values_sorted_unique(void **state)
{
    _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
    (void)state;

    assert_int_equal(label_selector_parse("x in (b,a,,b),!y,z", &sel, NULL), 0);
    assert_int_equal(sel->n_reqs, 3);
    assert_string_equal(sel->reqs[0].key, "x");
    assert_int_equal(sel->reqs[0].op, LABEL_OP_IN);
    assert_int_equal(sel->reqs[0].n_values, 3);
    assert_string_equal(sel->reqs[0].values[0], "");
    assert_string_equal(sel->reqs[0].values[1], "a");
    assert_string_equal(sel->reqs[0].values[2], "b");
    assert_int_equal(sel->reqs[1].op, LABEL_OP_DOES_NOT_EXIST);
    assert_int_equal(sel->reqs[2].op, LABEL_OP_EXISTS);
    assert_int_equal(sel->reqs[2].n_values, 0);
}

static void test_label_selector_parse_many_terms(void **state)
{
    _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
    _cleanup_buf_ struct buf b = BUF_INIT(1 << 20);
    _cleanup_json_ json_t *labels = json_pack("{s:s}", "x", "v777");
    (void)state;

    assert_int_equal(buf_append_str(&b, "x in ("), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_printf(&b, "%sv%d", i ? "," : "", i), 0);
    assert_int_equal(buf_append_str(&b, ")"), 0);
    for (int i = 0; i < 300; i++)
        assert_int_equal(buf_printf(&b, ",!k%d", i), 0);

    assert_int_equal(label_selector_parse(buf_str(&b), &sel, NULL), 0);
    assert_int_equal(sel->n_reqs, 301);
    assert_int_equal(sel->reqs[0].n_values, 1000);
    assert_true(label_selector_matches(sel, labels));
    json_object_set_new(labels, "k299", json_string(""));
    assert_false(label_selector_matches(sel, labels));
}

static void test_label_selector_is_empty(void **state)
{
    static const struct {
        const char *sel;
        bool empty;
    } cases[] = {{NULL, true}, {"", true}, {" \t", true}, {"a", false}, {"!a", false}};
    (void)state;

    assert_true(label_selector_is_empty(NULL));
    assert_true(label_selector_matches(NULL, NULL));
    assert_null(label_selector_free(NULL));
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
        assert_int_equal(label_selector_parse(cases[i].sel, &sel, NULL), 0);
        assert_non_null(sel);
        assert_true(label_selector_is_empty(sel) == cases[i].empty);
    }
}

static void test_selector_parse_int64_bounds(void **state)
{
    static const struct {
        const char *s;
        bool ok;
        int64_t v;
    } cases[] = {
            {"0", true, 0},
            {"+5", true, 5},
            {"-5", true, -5},
            {"9223372036854775807", true, INT64_MAX},
            {"-9223372036854775808", true, INT64_MIN},
            {"9223372036854775808", false, 0},
            {"-9223372036854775809", false, 0},
            {"", false, 0},
            {"-", false, 0},
            {"1x", false, 0},
            {" 1", false, 0},
            {"1_0", false, 0},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = 42;
        bool ok = selector_parse_int64(cases[i].s, strlen(cases[i].s), &v);
        if (ok != cases[i].ok)
            fail_msg("\"%s\": ok=%d", cases[i].s, ok);
        if (ok)
            assert_true(v == cases[i].v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_label_selector_matches_every_operator),
            cmocka_unit_test(test_label_selector_matches_null_labels),
            cmocka_unit_test(test_label_selector_parse_errors),
            cmocka_unit_test(test_label_selector_parse_error_without_message),
            cmocka_unit_test(test_label_selector_error_echo_is_bounded_utf8),
            cmocka_unit_test(test_label_selector_values_sorted_unique),
            cmocka_unit_test(test_label_selector_parse_many_terms),
            cmocka_unit_test(test_label_selector_is_empty),
            cmocka_unit_test(test_selector_parse_int64_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
