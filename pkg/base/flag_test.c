/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/flag.h"

static void test_flag_bool(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int want; /* 1 true, 0 false, -1 refused */
    } cases[] = {
            {NULL, 1}, {"true", 1}, {"1", 1},  {"false", 0}, {"0", 0},
            {"", -1},  {"yes", -1}, {"TRUE", -1}, {"2", -1}, {"true ", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool b = true, before = b;
        int r = base_flag_bool("--x", cases[i].v, &b);
        if (cases[i].want < 0) {
            assert_int_equal(r, -EINVAL);
            assert_true(b == before); /* untouched */
        } else {
            assert_int_equal(r, 0);
            assert_int_equal(b, cases[i].want);
        }
    }
}

static void test_flag_int(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        long long min, max;
        int ok;
        long long want;
    } cases[] = {
            {"1", 1, 65535, 1, 1},
            {"65535", 1, 65535, 1, 65535},
            {"0", 1, 65535, 0, 0},
            {"65536", 1, 65535, 0, 0},
            {"-5", -10, 10, 1, -5},
            {"-11", -10, 10, 0, 0},
            {"9223372036854775807", 0, LLONG_MAX, 1, LLONG_MAX},
            {"9223372036854775808", 0, LLONG_MAX, 0, 0}, /* ERANGE */
            {"", 0, 10, 0, 0},
            {"7x", 0, 10, 0, 0},
            {" 7", 0, 10, 1, 7}, /* strtoll skips leading space, as before */
            {"0x10", 0, 100, 0, 0},
            {NULL, 0, 10, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long x = 42;
        int r = base_flag_int("--n", cases[i].v, cases[i].min, cases[i].max, NULL, &x);
        if (cases[i].ok) {
            assert_int_equal(r, 0);
            assert_true(x == cases[i].want);
        } else {
            assert_int_equal(r, -EINVAL);
            assert_true(x == 42);
        }
    }
    assert_int_equal(base_flag_int("--n", "3", 5, 9, "a count 5..9", &(long long){0}), -EINVAL);
    assert_int_equal(base_flag_invalid("--n", NULL, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flag_bool),
            cmocka_unit_test(test_flag_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
