/* SPDX-License-Identifier: Apache-2.0 */
/* pkg/syslog text hygiene, timestamps, and the facility and severity names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "syslog/syslog-internal.h"

static void test_text_escape_table(void **state)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *out;
    } cases[] = {
            {"plain text", 0, "plain text"},
            {"", 0, ""},
            {"a\tb", 0, "a b"},
            {"a\r\nb\n", 0, "ab"},
            {"\x01\x02\x1f", 0, ""},
            {"a\0b", 3, "ab"},
            {"\x7f", 0, ""},
            {"back\\slash", 0, "back\\slash"},
            {"\xc3\xa9", 0, "\xc3\xa9"},                  /* U+00E9 */
            {"\xc2\xa0", 0, "\xc2\xa0"},                  /* U+00A0, first after C1 */
            {"\xc2\x80\xc2\x9f", 0, ""},                  /* C1 controls */
            {"\xe2\x82\xac", 0, "\xe2\x82\xac"},          /* U+20AC */
            {"\xef\xbb\xbf", 0, "\xef\xbb\xbf"},          /* BOM inside text stays */
            {"\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"},  /* U+1F600 */
            {"\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf"},  /* U+10FFFF */
            {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
            {"\xc1\xbf", 0, "\\xc1\\xbf"},                /* overlong */
            {"\xe0\x9f\xbf", 0, "\\xe0\\x9f\\xbf"},       /* overlong */
            {"\xf0\x8f\xbf\xbf", 0, "\\xf0\\x8f\\xbf\\xbf"}, /* overlong */
            {"\xed\xbf\xbf", 0, "\\xed\\xbf\\xbf"},       /* surrogate */
            {"\x80", 0, "\\x80"},                          /* lone continuation */
            {"\xf8\x88\x80\x80\x80", 0, "\\xf8\\x88\\x80\\x80\\x80"},
            {"\xc3", 0, "\\xc3"},                          /* truncated */
            {"\xc3(", 0, "\\xc3("},
            {"\xe2\x82", 0, "\\xe2\\x82"},
            {"ok\xffok", 0, "ok\\xffok"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        size_t n = syslog_text_escape((const uint8_t *)cases[i].in, len, NULL);
        char *out = malloc(n + 1);
        assert_non_null(out);
        assert_int_equal(syslog_text_escape((const uint8_t *)cases[i].in, len, out), n);
        out[n] = '\0';
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("case %zu: got '%s', expected '%s'", i, out, cases[i].out);
        free(out);
    }
}

static void test_timestamp_rfc3339_table(void **state)
{
    static const struct {
        const char *ts;
        bool ok;
    } cases[] = {
            {"1985-04-12T23:20:50.52Z", true},
            {"1985-04-12T19:20:50.52-04:00", true},
            {"2003-10-11T22:14:15.003Z", true},
            {"2003-08-24T05:14:15.000003-07:00", true},
            {"2024-01-01T00:00:00Z", true},
            {"2024-01-01T00:00:60+00:00", true},
            {"2003-08-24T05:14:15.000000003-07:00", false}, /* §6.2.3 example 5 */
            {"1985-04-12T23:20:50.52", false},
            {"1985-04-12 23:20:50Z", false},
            {"1985-04-12t23:20:50Z", false},
            {"85-04-12T23:20:50Z", false},
            {"1985-4-12T23:20:50Z", false},
            {"1985-04-32T23:20:50Z", false},
            {"1985-00-12T23:20:50Z", false},
            {"1985-04-12T23:20:61Z", false},
            {"1985-04-12T23:20:50ZZ", false},
            {"1985-04-12T23:20:50+04", false},
            {"1985-04-12T23:20:50+04:60", false},
            {"1985-04-12T23:20:50+04:00x", false},
            {"", false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bool ok = syslog_timestamp_is_rfc3339((const uint8_t *)cases[i].ts, strlen(cases[i].ts));
        if (ok != cases[i].ok)
            fail_msg("'%s'", cases[i].ts);
    }
}

static void test_timestamp_bsd_table(void **state)
{
    static const struct {
        const char *ts;
        bool ok;
    } cases[] = {
            {"Jan  1 00:00:00", true}, {"Dec 31 23:59:59", true}, {"Feb 29 12:00:60", true},
            {"Oct 11 22:14:15", true}, {"Jan 01 00:00:00", true}, {"jan  1 00:00:00", false},
            {"Jan 1 00:00:00 ", false}, {"Jan  0 00:00:00", false}, {"Jan 32 00:00:00", false},
            {"Jan  1 24:00:00", false}, {"Jan  1 00:60:00", false}, {"Jan  1 00:00:61", false},
            {"Jan  1 00-00-00", false}, {"Jan  1 00:00:0", false},  {"Xyz  1 00:00:00", false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bool ok = syslog_timestamp_is_bsd((const uint8_t *)cases[i].ts, strlen(cases[i].ts));
        if (ok != cases[i].ok)
            fail_msg("'%s'", cases[i].ts);
    }
}

static void test_facility_names_roundtrip(void **state)
{
    static const char *const names[] = {
            "kern",   "user",   "mail",   "daemon", "auth",   "syslog",   "lpr",    "news",
            "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",    "alert",  "clock",
            "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    };
    (void)state;

    assert_int_equal(ARRAY_SIZE(names), SYSLOG_FACILITY_MAX + 1);
    for (unsigned i = 0; i <= SYSLOG_FACILITY_MAX; i++) {
        unsigned v = 999;
        assert_string_equal(syslog_facility_to_string(i), names[i]);
        assert_int_equal(syslog_facility_from_string(names[i], &v), 0);
        assert_int_equal(v, i);
    }
    assert_null(syslog_facility_to_string(SYSLOG_FACILITY_MAX + 1));
    unsigned v = 999;
    assert_int_equal(syslog_facility_from_string("Kern", &v), -EINVAL);
    assert_int_equal(syslog_facility_from_string("local8", &v), -EINVAL);
    assert_int_equal(syslog_facility_from_string("", &v), -EINVAL);
    assert_int_equal(syslog_facility_from_string(NULL, &v), -EINVAL);
    assert_int_equal(v, 999);
}

static void test_severity_names_roundtrip(void **state)
{
    static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                        "warning", "notice", "info", "debug"};
    (void)state;

    for (unsigned i = 0; i <= SYSLOG_SEVERITY_MAX; i++) {
        unsigned v = 999;
        assert_string_equal(syslog_severity_to_string(i), names[i]);
        assert_int_equal(syslog_severity_from_string(names[i], &v), 0);
        assert_int_equal(v, i);
    }
    assert_null(syslog_severity_to_string(SYSLOG_SEVERITY_MAX + 1));
    unsigned v = 999;
    assert_int_equal(syslog_severity_from_string("warn", &v), -EINVAL);
    assert_int_equal(syslog_severity_from_string("info", NULL), -EINVAL);
    assert_int_equal(v, 999);
}

static void test_format_names(void **state)
{
    (void)state;
    assert_string_equal(syslog_format_to_string(SYSLOG_FORMAT_RFC3164), "rfc3164");
    assert_string_equal(syslog_format_to_string(SYSLOG_FORMAT_RFC5424), "rfc5424");
    assert_null(syslog_format_to_string(_SYSLOG_FORMAT_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_text_escape_table),
            cmocka_unit_test(test_timestamp_rfc3339_table),
            cmocka_unit_test(test_timestamp_bsd_table),
            cmocka_unit_test(test_facility_names_roundtrip),
            cmocka_unit_test(test_severity_names_roundtrip),
            cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
