/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log/log.h"

static void test_log_format_line_logfmt_quotes_values(void **state)
{
    (void)state;
    char out[256];
    const struct log_field f[] = {LOG_STR("mac", "aa:bb"), LOG_STR("why", "two words"),
                                  LOG_HEX("xid", 0x1f), LOG_INT("n", -3), LOG_BOOL("ok", true)};
    log_format_line(out, sizeof(out), LOG_FORMAT_TEXT, "T", LOG_LEVEL_INFO, "dhcp", "offer sent", f,
                    5);
    assert_string_equal(out, "ts=T level=info comp=dhcp msg=\"offer sent\" mac=aa:bb "
                             "why=\"two words\" xid=0x1f n=-3 ok=true\n");
}

static void test_log_format_line_json_escapes(void **state)
{
    (void)state;
    char out[256];
    const struct log_field f[] = {LOG_STR("q", "a\"b\n"), LOG_U64("n", 7)};
    log_format_line(out, sizeof(out), LOG_FORMAT_JSON, "T", LOG_LEVEL_WARN, "x", "m", f, 2);
    assert_string_equal(out, "{\"ts\":\"T\",\"level\":\"warn\",\"comp\":\"x\",\"msg\":\"m\","
                             "\"q\":\"a\\\"b\\n\",\"n\":7}\n");
}

static void test_log_format_line_truncates_safely(void **state)
{
    (void)state;
    char out[8];
    size_t n = log_format_line(out, sizeof(out), LOG_FORMAT_TEXT, "T", LOG_LEVEL_INFO, "c",
                               "long message", NULL, 0);
    assert_true(n > sizeof(out));
    assert_int_equal(strlen(out), sizeof(out) - 1);
}

static void test_log_level_from_string(void **state)
{
    (void)state;
    enum log_level l;
    assert_int_equal(log_level_from_string("debug", &l), 0);
    assert_int_equal(l, LOG_LEVEL_DEBUG);
    assert_int_equal(log_level_from_string("warning", &l), 0);
    assert_int_equal(l, LOG_LEVEL_WARN);
    assert_int_equal(log_level_from_string("loud", &l), -EINVAL);
    enum log_format f;
    assert_int_equal(log_format_from_string("json", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_int_equal(log_format_from_string("xml", &f), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_log_format_line_logfmt_quotes_values),
            cmocka_unit_test(test_log_format_line_json_escapes),
            cmocka_unit_test(test_log_format_line_truncates_safely),
            cmocka_unit_test(test_log_level_from_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
