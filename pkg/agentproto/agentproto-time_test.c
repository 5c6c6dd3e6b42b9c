/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agentproto/agentproto.h"

#define SEC    1000000000LL
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)

/* Expected strings are those Go's time.Duration.String() prints. */
static void test_duration_format_matches_go(void **state)
{
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
            {0, "0s"},
            {1, "1ns"},
            {999, "999ns"},
            {1000, "1\xc2\xb5s"},
            {1100, "1.1\xc2\xb5s"},
            {2200000, "2.2ms"},
            {2000001, "2.000001ms"},
            {3300000000LL, "3.3s"},
            {SEC, "1s"},
            {62500000000LL, "1m2.5s"},
            {4 * MINUTE + 5 * SEC, "4m5s"},
            {4 * MINUTE + 5001000000LL, "4m5.001s"},
            {5 * HOUR + 6 * MINUTE + 7001000000LL, "5h6m7.001s"},
            {8 * MINUTE + 1, "8m0.000000001s"},
            {HOUR, "1h0m0s"},
            {-3 * SEC, "-3s"},
            {-1, "-1ns"},
            {-1500, "-1.5\xc2\xb5s"},
            {INT64_MAX, "2562047h47m16.854775807s"},
            {INT64_MIN, "-2562047h47m16.854775808s"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char got[AGENTPROTO_DURATION_STRLEN];
        assert_int_equal(agentproto_duration_format(cases[i].ns, got), 0);
        assert_string_equal(got, cases[i].want);
    }
}

/* Cases from the behaviour of Go's time.ParseDuration. */
static void test_duration_parse_matches_go(void **state)
{
    static const struct {
        const char *s;
        int64_t want;
    } cases[] = {
            {"0", 0},
            {"5s", 5 * SEC},
            {"30s", 30 * SEC},
            {"1478s", 1478 * SEC},
            {"-5s", -5 * SEC},
            {"+5s", 5 * SEC},
            {"-0", 0},
            {"+0", 0},
            {"5.0s", 5 * SEC},
            {"5.6s", 5 * SEC + 600000000},
            {"5.s", 5 * SEC},
            {".5s", 500000000},
            {"1.004s", SEC + 4000000},
            {"1.0040s", SEC + 4000000},
            {"100.00100s", 100 * SEC + 1000000},
            {"10ns", 10},
            {"11us", 11000},
            {"12\xc2\xb5s", 12000},
            {"12\xce\xbcs", 12000},
            {"13ms", 13000000},
            {"15m", 15 * MINUTE},
            {"16h", 16 * HOUR},
            {"3h30m", 3 * HOUR + 30 * MINUTE},
            {"10.5s4m", 4 * MINUTE + 10 * SEC + 500000000},
            {"-2m3.4s", -(2 * MINUTE + 3 * SEC + 400000000)},
            {"1h2m3s4ms5us6ns", HOUR + 2 * MINUTE + 3 * SEC + 4000000 + 5000 + 6},
            {"39h9m14.425s", 39 * HOUR + 9 * MINUTE + 14 * SEC + 425000000},
            {"52763797000ns", 52763797000LL},
            {"0.3333333333333333333h", 20 * MINUTE},
            {"9007199254740993ns", 9007199254740993LL},
            {"9223372036854775807ns", INT64_MAX},
            {"9223372036854775.807us", INT64_MAX},
            {"9223372036s854ms775us807ns", INT64_MAX},
            {"-9223372036854775808ns", INT64_MIN},
            {"-9223372036s854ms775us808ns", INT64_MIN},
            {"0.100000000000000000000h", 6 * MINUTE},
            {"0.830103483285477580700h", 49 * MINUTE + 48 * SEC + 372539827},
            {"1m2.5s", 62500000000LL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t got = 12345;
        if (agentproto_duration_parse(cases[i].s, &got) != 0 || got != cases[i].want)
            fail_msg("%s: got %lld want %lld", cases[i].s, (long long)got,
                     (long long)cases[i].want);
    }
}

static void test_duration_parse_rejects_malformed(void **state)
{
    static const struct {
        const char *s;
        int want;
    } cases[] = {
            {"", -EINVAL},
            {"3", -EINVAL},
            {"-", -EINVAL},
            {"s", -EINVAL},
            {".", -EINVAL},
            {"-.", -EINVAL},
            {".s", -EINVAL},
            {"+.s", -EINVAL},
            {"1d", -EINVAL},
            {"1.5", -EINVAL},
            {"1s2", -EINVAL},
            {"1 s", -EINVAL},
            {"--1s", -EINVAL},
            {"\x85\x85", -EINVAL},
            {"\xff"
             "ff",
             -EINVAL},
            {"hello \xff"
             "ff world",
             -EINVAL},
            {"1\xc2\xb5", -EINVAL},
            {"9223372036854775808ns", -ERANGE},
            {"9223372036854775.808us", -ERANGE},
            {"9223372036854ms775us808ns", -ERANGE},
            {"-9223372036854775809ns", -ERANGE},
            {"99999999999999999999s", -ERANGE},
            {"2562048h", -ERANGE},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t got = 12345;
        int r = agentproto_duration_parse(cases[i].s, &got);
        if (r != cases[i].want)
            fail_msg("\"%s\": got %d want %d", cases[i].s, r, cases[i].want);
        assert_int_equal(got, 12345);
    }
    assert_int_equal(agentproto_duration_parse(NULL, &(int64_t){0}), -EINVAL);
    assert_int_equal(agentproto_duration_parse("1s", NULL), -EINVAL);
}

static void test_duration_format_parse_round_trip(void **state)
{
    static const int64_t values[] = {1,         999,        1001,     123456789,     SEC - 1,
                                     SEC + 1,   59 * SEC,   HOUR - 1, 25 * HOUR + 1, INT64_MAX,
                                     INT64_MIN, -7 * MINUTE};
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
        char s[AGENTPROTO_DURATION_STRLEN];
        int64_t back;
        assert_int_equal(agentproto_duration_format(values[i], s), 0);
        assert_int_equal(agentproto_duration_parse(s, &back), 0);
        assert_int_equal(back, values[i]);
    }
}

static void test_time_format_rfc3339(void **state)
{
    static const struct {
        struct agentproto_time t;
        const char *want;
    } cases[] = {
            {{0, 0}, "1970-01-01T00:00:00Z"},
            {{1, 500000000}, "1970-01-01T00:00:01.5Z"},
            {{-1, 0}, "1969-12-31T23:59:59Z"},
            {{-1, 999999999}, "1969-12-31T23:59:59.999999999Z"},
            {{951782400, 0}, "2000-02-29T00:00:00Z"},
            {{1700000000, 123000000}, "2023-11-14T22:13:20.123Z"},
            {{1700000000, 1}, "2023-11-14T22:13:20.000000001Z"},
            {{253402300799LL, 999999999}, "9999-12-31T23:59:59.999999999Z"},
            {{-62167219200LL, 0}, "0000-01-01T00:00:00Z"},
            {{-62135596800LL, 0}, "0001-01-01T00:00:00Z"},
            {{4102444800LL, 0}, "2100-01-01T00:00:00Z"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char got[AGENTPROTO_TIME_STRLEN];
        struct agentproto_time back;
        assert_int_equal(agentproto_time_format(&cases[i].t, got), 0);
        assert_string_equal(got, cases[i].want);
        assert_int_equal(agentproto_time_parse(got, &back), 0);
        assert_int_equal(back.sec, cases[i].t.sec);
        assert_int_equal(back.nsec, cases[i].t.nsec);
    }
}

static void test_time_format_rejects_out_of_range(void **state)
{
    static const struct agentproto_time bad[] = {
            {253402300800LL, 0}, {-62167219201LL, 0}, {0, 1000000000}, {0, -1}, {INT64_MIN, 0},
    };
    char got[AGENTPROTO_TIME_STRLEN] = "untouched";

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(agentproto_time_format(&bad[i], got), -ERANGE);
    assert_string_equal(got, "untouched");
    assert_int_equal(agentproto_time_format(NULL, got), -EINVAL);
}

static void test_time_parse_accepts_rfc3339(void **state)
{
    static const struct {
        const char *s;
        int64_t sec;
        int32_t nsec;
    } cases[] = {
            {"1970-01-01T00:00:00Z", 0, 0},
            {"2023-11-14T22:13:20.123Z", 1700000000, 123000000},
            {"2023-11-14t22:13:20.123z", 1700000000, 123000000},
            {"2023-11-15T00:13:20.123+02:00", 1700000000, 123000000},
            {"2023-11-14T17:13:20-05:00", 1700000000, 0},
            {"2023-11-14T22:13:20+00:00", 1700000000, 0},
            {"2023-11-14T22:13:20-00:00", 1700000000, 0},
            {"2023-11-14T22:13:20.5Z", 1700000000, 500000000},
            {"2023-11-14T22:13:20.000000001Z", 1700000000, 1},
            {"2000-02-29T00:00:00Z", 951782400, 0},
            {"2024-02-29T12:00:00Z", 1709208000, 0},
            {"0000-01-01T00:00:00Z", -62167219200LL, 0},
            {"9999-12-31T23:59:59.999999999Z", 253402300799LL, 999999999},
            {"0000-01-01T01:00:00+01:00", -62167219200LL, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct agentproto_time t;
        if (agentproto_time_parse(cases[i].s, &t) != 0)
            fail_msg("%s refused", cases[i].s);
        assert_int_equal(t.sec, cases[i].sec);
        assert_int_equal(t.nsec, cases[i].nsec);
    }
}

static void test_time_parse_rejects_malformed(void **state)
{
    static const struct {
        const char *s;
        int want;
    } cases[] = {
            {"", -EINVAL},
            {"2023-11-14", -EINVAL},
            {"2023-11-14T22:13:20", -EINVAL},
            {"2023-11-14 22:13:20Z", -EINVAL},
            {"2023-11-14T22:13Z", -EINVAL},
            {"2023-13-01T00:00:00Z", -EINVAL},
            {"2023-00-01T00:00:00Z", -EINVAL},
            {"2023-01-00T00:00:00Z", -EINVAL},
            {"2023-02-29T00:00:00Z", -EINVAL},
            {"1900-02-29T00:00:00Z", -EINVAL},
            {"2023-11-31T00:00:00Z", -EINVAL},
            {"2023-11-14T24:00:00Z", -EINVAL},
            {"2023-11-14T23:60:00Z", -EINVAL},
            {"2023-11-14T23:59:60Z", -EINVAL},
            {"2023-11-14T22:13:20.Z", -EINVAL},
            {"2023-11-14T22:13:20.1234567890Z", -EINVAL},
            {"2023-11-14T22:13:20+0200", -EINVAL},
            {"2023-11-14T22:13:20+02", -EINVAL},
            {"2023-11-14T22:13:20+24:00", -EINVAL},
            {"2023-11-14T22:13:20+02:60", -EINVAL},
            {"2023-11-14T22:13:20ZZ", -EINVAL},
            {"2023-11-14T22:13:20Z ", -EINVAL},
            {"+2023-11-14T22:13:20Z", -EINVAL},
            {"2023-1-14T22:13:20Z", -EINVAL},
            {"20231114T221320Z", -EINVAL},
            {"2023-11-14T22:13:2aZ", -EINVAL},
            {"0000-01-01T00:00:00+00:01", -ERANGE},
            {"9999-12-31T23:59:59-00:01", -ERANGE},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct agentproto_time t = {42, 42};
        int r = agentproto_time_parse(cases[i].s, &t);
        if (r != cases[i].want)
            fail_msg("\"%s\": got %d want %d", cases[i].s, r, cases[i].want);
        assert_int_equal(t.sec, 42);
    }
    assert_int_equal(agentproto_time_parse(NULL, &(struct agentproto_time){0}), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_duration_format_matches_go),
            cmocka_unit_test(test_duration_parse_matches_go),
            cmocka_unit_test(test_duration_parse_rejects_malformed),
            cmocka_unit_test(test_duration_format_parse_round_trip),
            cmocka_unit_test(test_time_format_rfc3339),
            cmocka_unit_test(test_time_format_rejects_out_of_range),
            cmocka_unit_test(test_time_parse_accepts_rfc3339),
            cmocka_unit_test(test_time_parse_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
