/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's fmt on JSON values: every verb, flag, width, precision, argument
 * index and error form that printf accepts, plus Sprint/Sprintln spacing,
 * %v of floats and containers, strconv.Quote and the bounded buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl/tmpl-test.h"

static void check_sprintf(const char *format, const char *args, const char *want)
{
    json_t *a = test_json(args);
    struct buf b = BUF_INIT(1u << 20);
    json_t **argv = calloc(json_array_size(a) + 1, sizeof(*argv));

    assert_non_null(argv);
    for (size_t i = 0; i < json_array_size(a); i++)
        argv[i] = json_array_get(a, i);
    assert_int_equal(tmpl_fmt_sprintf(NULL, &b, format, strlen(format), argv, json_array_size(a)),
                     0);
    if (strcmp(buf_str(&b), want) != 0)
        fail_msg("printf(%s, %s):\n got \"%s\"\nwant \"%s\"", format, args, buf_str(&b), want);
    buf_free(&b);
    free(argv);
    json_decref(a);
}

static void test_fmt_sprintf_verbs(void **state)
{
    static const struct {
        const char *format, *args, *want;
    } cases[] = {
            {"plain", "[]", "plain"},
            {"%d %5d %-5d| %05d %+d % d %.3d", "[42,42,42,-42,5,5,7]",
             "42    42 42   | -0042 +5  5 007"},
            {"%x %X %o %O %b %#x %#o %#b %x", "[255,255,8,8,5,255,8,5,-255]",
             "ff FF 10 0o10 101 0xff 010 0b101 -ff"},
            {"%c %q %#q %U %#U %+q", "[65,65,233,65,233,9731]",
             "A 'A' 'é' U+0041 U+00E9 'é' '\\u2603'"},
            {"%s|%10s|%-10s|%.2s|%q|%x|% x|%#x|%X",
             "[\"héllo\",\"ab\",\"ab\",\"héllo\",\"a\\tb\",\"hi\","
             "\"hi\",\"hi\",\"hi\"]",
             "héllo|        ab|ab        |hé|\"a\\tb\"|6869|68 69|0x6869|6869"},
            {"%#q %#q %+q %05s", "[\"ab\",\"a`b\",\"é\",\"ab\"]", "`ab` \"a`b\" \"\\u00e9\" 000ab"},
            {"%v %.2f %8.3f %-8.2f| %08.3f %e %E %g %G %.3g",
             "[1.5,3.14159,3.14159,3.14159,-3.14159,"
             "1234.5678,0.000012,1e21,1e-7,1234.5678]",
             "1.5 3.14    3.142 3.14    | -003.142 1.234568e+03 1.200000E-05 1e+21 1E-07 1.23e+03"},
            {"%v %v %v %v %v %v", "[100000.0,1000000.0,0.0001,0.00001,123456789.0,-0.5]",
             "100000 1e+06 0.0001 1e-05 1.23456789e+08 -0.5"},
            {"%+.1f % .1f %x", "[2.0,2.0,1.5]", "+2.0  2.0 0x1.8p+00"},
            {"%t %v %5t", "[true,false,true]", "true false  true"},
            {"%v %d %s", "[{\"b\":[1,\"x\"],\"a\":null},[1,\"x\",null],[1,\"x\"]]",
             "map[a:<nil> b:[1 x]] [1 %!d(string=x) <nil>] [%!s(int=1) x]"},
            {"%#v %#v %#v %#v", "[{\"a\":null,\"b\":[1]},\"s\",1,true]",
             "map[string]interface {}{\"a\":interface {}(nil), \"b\":[]interface {}{1}} \"s\" 1 "
             "true"},
            {"%T %T %T %T %T %T %T", "[1,1.5,\"s\",true,null,[],{}]",
             "int float64 string bool <nil> []interface {} map[string]interface {}"},
            {"%v %d %s", "[null,null,null]", "<nil> %!d(<nil>) %!s(<nil>)"},
            {"%d %s %t %z %f", "[\"x\",1,1,1,\"s\"]",
             "%!d(string=x) %!s(int=1) %!t(int=1) %!z(int=1) %!f(string=s)"},
            {"%d %d", "[1]", "1 %!d(MISSING)"},
            {"%d", "[1,2,\"x\"]", "1%!(EXTRA int=2, string=x)"},
            {"%!", "[]", "%!!(MISSING)"},
            {"%", "[]", "%!(NOVERB)"},
            {"100%%", "[]", "100%"},
            {"%[2]d %[1]d %d", "[1,2]", "2 1 2"},
            {"%[3]d", "[1]", "%!d(BADINDEX)"},
            {"%[]d %[2d", "[1]", "%!d(BADINDEX) %!d(BADINDEX)"},
            {"%*d|%-*d|%.*f", "[5,1,3,2,2,3.14159]", "    1|2  |3.14"},
            {"%*d", "[\"x\",1]", "%!(BADWIDTH)1"},
            {"%.*d", "[\"x\",1]", "%!(BADPREC)1"},
            {"%-05d|", "[3]", "3    |"},
            {"%99999999d|", "[3]", "%!(NOVERB)%!(EXTRA int=3)"},
            {"%é", "[1]", "%!é(int=1)"},
            {"%v %v", "[\"\\u00ff\",\"\\t\"]", "ÿ \t"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        check_sprintf(cases[i].format, cases[i].args, cases[i].want);
}

static void test_fmt_sprint_spacing(void **state)
{
    static const struct {
        const char *args, *print, *println;
    } cases[] = {
            {"[]", "", "\n"},
            {"[1,2]", "1 2", "1 2\n"},
            {"[\"a\",\"b\"]", "ab", "a b\n"},
            {"[1,\"a\",2,3,\"b\"]", "1a2 3b", "1 a 2 3 b\n"},
            {"[null,1.5,true]", "<nil> 1.5 true", "<nil> 1.5 true\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *a = test_json(cases[i].args);
        json_t *argv[8];
        struct buf b = BUF_INIT(1024);
        for (size_t k = 0; k < json_array_size(a); k++)
            argv[k] = json_array_get(a, k);
        assert_int_equal(tmpl_fmt_sprint(NULL, &b, argv, json_array_size(a), false), 0);
        assert_string_equal(buf_str(&b), cases[i].print);
        buf_reset(&b);
        assert_int_equal(tmpl_fmt_sprint(NULL, &b, argv, json_array_size(a), true), 0);
        assert_string_equal(buf_str(&b), cases[i].println);
        buf_free(&b);
        json_decref(a);
    }
}

static void test_fmt_quote(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        bool ascii;
        const char *want;
    } cases[] = {
            {"abc", 3, false, "\"abc\""},
            {"a\"b\\c", 5, false, "\"a\\\"b\\\\c\""},
            {"\a\b\f\n\r\t\v\x01\x7f", 9, false, "\"\\a\\b\\f\\n\\r\\t\\v\\x01\\x7f\""},
            {"\xc3\xa9\xe2\x98\x83", 5, false, "\"\xc3\xa9\xe2\x98\x83\""},
            {"\xc3\xa9\xf0\x9f\x98\x80", 6, true, "\"\\u00e9\\U0001f600\""},
            {"\xff\xc3", 2, false, "\"\\xff\\xc3\""},
            {"\xc2\x85\xe2\x80\xa8", 5, false, "\"\\u0085\\u2028\""},
            {"a\0b", 3, false, "\"a\\x00b\""},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT(256);
        assert_int_equal(tmpl_fmt_quote(&b, cases[i].in, cases[i].len, cases[i].ascii), 0);
        assert_string_equal(buf_str(&b), cases[i].want);
        buf_free(&b);
    }
}

static void test_fmt_float_digits_shortest(void **state)
{
    static const struct {
        double d;
        const char *digits;
        int dp;
    } cases[] = {
            {0, "0", 1},     {1, "1", 1},         {0.1, "1", 0}, {123.456, "123456", 3},
            {1e21, "1", 22}, {5e-324, "5", -323}, {0.3, "3", 0}, {1.0 / 3, "3333333333333333", 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char digits[32];
        int nd, dp;
        tmpl_float_digits(cases[i].d, digits, &nd, &dp);
        assert_int_equal(nd, strlen(cases[i].digits));
        assert_memory_equal(digits, cases[i].digits, (size_t)nd);
        assert_int_equal(dp, cases[i].dp);
    }
}

static void test_fmt_bounded_output(void **state)
{
    json_t *big = json_array();
    struct buf b = BUF_INIT(100);
    (void)state;

    for (int i = 0; i < 1000; i++)
        assert_int_equal(json_array_append_new(big, json_integer(i)), 0);
    assert_int_equal(tmpl_fmt_value(NULL, &b, big), -E2BIG);
    buf_free(&b);

    /* nesting past TMPL_MAX_VALUE_DEPTH */
    json_t *deep = json_array();
    for (unsigned i = 0; i < TMPL_MAX_VALUE_DEPTH + 2; i++) {
        json_t *outer = json_array();
        assert_int_equal(json_array_append_new(outer, deep), 0);
        deep = outer;
    }
    b = BUF_INIT(1u << 20);
    assert_int_equal(tmpl_fmt_value(NULL, &b, deep), -ELOOP);
    buf_free(&b);
    b = BUF_INIT(1u << 20);
    assert_int_equal(tmpl_json_encode(NULL, &b, deep, false, true), -ELOOP);
    buf_free(&b);
    json_decref(deep);
    json_decref(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fmt_sprintf_verbs),
            cmocka_unit_test(test_fmt_sprint_spacing),
            cmocka_unit_test(test_fmt_quote),
            cmocka_unit_test(test_fmt_float_digits_shortest),
            cmocka_unit_test(test_fmt_bounded_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
