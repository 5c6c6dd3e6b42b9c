/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf/buf.h"

static void test_buf_append_grows_and_terminates(void **state)
{
    (void)state;
    _cleanup_buf_ struct buf b = BUF_INIT(1024);
    for (int i = 0; i < 100; i++)
        assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(b.len, 200);
    assert_int_equal(strlen(buf_str(&b)), 200);
}

static void test_buf_append_past_cap_fails_and_frees(void **state)
{
    (void)state;
    _cleanup_buf_ struct buf b = BUF_INIT(4);
    assert_int_equal(buf_append(&b, "abcd", 4), 0);
    assert_int_equal(buf_append(&b, "e", 1), -E2BIG);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_append(&b, NULL, SIZE_MAX), -E2BIG);
}

static void test_buf_printf_and_consume(void **state)
{
    (void)state;
    _cleanup_buf_ struct buf b = BUF_INIT(64);
    assert_int_equal(buf_printf(&b, "%s=%d;", "x", 42), 0);
    assert_int_equal(buf_printf(&b, "%s", "tail"), 0);
    assert_string_equal(buf_str(&b), "x=42;tail");
    buf_consume(&b, 5);
    assert_string_equal(buf_str(&b), "tail");
    buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_printf(&b, "%0100d", 1), -E2BIG);
}

static void test_buf_take_leaves_empty(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(64);
    size_t len = 99;
    char *empty = buf_take(&b, &len);
    assert_string_equal(empty, "");
    assert_int_equal(len, 0);
    free(empty);
    assert_int_equal(buf_append_str(&b, "hello"), 0);
    _cleanup_free_ char *s = buf_take(&b, &len);
    assert_string_equal(s, "hello");
    assert_int_equal(len, 5);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_buf_append_grows_and_terminates),
            cmocka_unit_test(test_buf_append_past_cap_fails_and_frees),
            cmocka_unit_test(test_buf_printf_and_consume),
            cmocka_unit_test(test_buf_take_leaves_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
