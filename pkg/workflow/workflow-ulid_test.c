/* SPDX-License-Identifier: Apache-2.0 */
/* ULIDs, RFC 3339 time stamps and state names. */
#include "workflow/workflow-test.h"

static const struct {
    int64_t ms;
    uint8_t fill;
    const char *want;
} encode_cases[] = {
        {0, 0x00, "00000000000000000000000000"},
        {0, 0xff, "0000000000ZZZZZZZZZZZZZZZZ"},
        /* The time part of the reference implementation's test vector. */
        {1469918176385, 0xff, "01ARYZ6S41ZZZZZZZZZZZZZZZZ"},
        {WORKFLOW_ULID_TIME_MAX, 0x00, "7ZZZZZZZZZ0000000000000000"},
        {1, 0x01, "0000000001040G2081040G2081"},
};

static void test_workflow_ulid_next_encodes_time_and_random(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(encode_cases); i++) {
        struct test_random tr = {.fixed = true, .fill = encode_cases[i].fill};
        _cleanup_(workflow_ulid_freep) struct workflow_ulid *g = test_ids(&tr);
        char id[WORKFLOW_ULID_LEN + 1];
        int64_t ms = -1;

        assert_int_equal(workflow_ulid_next(g, encode_cases[i].ms, id), 0);
        assert_string_equal(id, encode_cases[i].want);
        assert_int_equal(workflow_ulid_parse(id, &ms), 0);
        assert_int_equal(ms, encode_cases[i].ms);
    }
}

static void test_workflow_ulid_next_monotonic_within_ms(void **state)
{
    struct test_random tr = {.fixed = true, .fill = 0x10};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *g = test_ids(&tr);
    char a[WORKFLOW_ULID_LEN + 1], b[WORKFLOW_ULID_LEN + 1], c[WORKFLOW_ULID_LEN + 1];

    (void)state;
    assert_int_equal(workflow_ulid_next(g, 1000, a), 0);
    assert_int_equal(workflow_ulid_next(g, 1000, b), 0);
    assert_int_equal(tr.calls, 1); /* the second id increments, it does not draw */
    assert_true(strcmp(a, b) < 0);
    assert_memory_equal(a, b, WORKFLOW_ULID_LEN - 1);
    assert_int_equal(b[WORKFLOW_ULID_LEN - 1], a[WORKFLOW_ULID_LEN - 1] + 1);
    /* A new millisecond draws again. */
    assert_int_equal(workflow_ulid_next(g, 1001, c), 0);
    assert_int_equal(tr.calls, 2);
    assert_true(strcmp(b, c) < 0);
}

static void test_workflow_ulid_next_clock_backwards_stays_monotonic(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *g = test_ids(&tr);
    char a[WORKFLOW_ULID_LEN + 1], b[WORKFLOW_ULID_LEN + 1];
    int64_t ms;

    (void)state;
    assert_int_equal(workflow_ulid_next(g, 5000, a), 0);
    assert_int_equal(workflow_ulid_next(g, 4000, b), 0);
    assert_true(strcmp(a, b) < 0);
    assert_int_equal(workflow_ulid_parse(b, &ms), 0);
    assert_int_equal(ms, 5000); /* keeps the later time */
}

static void test_workflow_ulid_next_overflow_within_ms(void **state)
{
    struct test_random tr = {.fixed = true, .fill = 0xff};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *g = test_ids(&tr);
    char a[WORKFLOW_ULID_LEN + 1], b[WORKFLOW_ULID_LEN + 1] = "untouched";

    (void)state;
    assert_int_equal(workflow_ulid_next(g, 7, a), 0);
    assert_int_equal(workflow_ulid_next(g, 7, b), -EOVERFLOW);
    assert_string_equal(b, "untouched");
    /* The next millisecond recovers. */
    assert_int_equal(workflow_ulid_next(g, 8, b), 0);
    assert_true(strcmp(a, b) < 0);
}

static void test_workflow_ulid_next_rejects_bad_input(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *g = test_ids(&tr);
    char id[WORKFLOW_ULID_LEN + 1] = "untouched";
    struct workflow_ulid *n = NULL;

    (void)state;
    assert_int_equal(workflow_ulid_next(g, -1, id), -ERANGE);
    assert_int_equal(workflow_ulid_next(g, WORKFLOW_ULID_TIME_MAX + 1, id), -ERANGE);
    assert_string_equal(id, "untouched");
    assert_int_equal(workflow_ulid_next(NULL, 0, id), -EINVAL);
    assert_int_equal(workflow_ulid_next(g, 0, NULL), -EINVAL);
    assert_int_equal(workflow_ulid_new(&n, NULL, NULL), -EINVAL);
    assert_int_equal(workflow_ulid_new(NULL, test_random_fn, &tr), -EINVAL);
    assert_null(n);
    assert_null(workflow_ulid_free(NULL));

    tr.fail = -EIO;
    assert_int_equal(workflow_ulid_next(g, 1, id), -EIO);
    assert_string_equal(id, "untouched");
}

static const struct {
    const char *s;
    int ret;
    int64_t ms;
} parse_cases[] = {
        {"01ARYZ6S41TSV4RRFFQ69G5FAV", 0, 1469918176385},
        {"01aryz6s41tsv4rrffq69g5fav", 0, 1469918176385},
        {"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 0, WORKFLOW_ULID_TIME_MAX},
        {"80000000000000000000000000", -EINVAL, 0}, /* past 48 bits */
        {"01ARYZ6S41TSV4RRFFQ69G5FA", -EINVAL, 0},  /* 25 characters */
        {"01ARYZ6S41TSV4RRFFQ69G5FAVX", -EINVAL, 0},
        {"01ARYZ6S41TSV4RRFFQ69G5FAI", -EINVAL, 0}, /* I, L, O, U are not Crockford digits */
        {"01ARYZ6S41TSV4RRFFQ69G5FAL", -EINVAL, 0},
        {"01ARYZ6S41TSV4RRFFQ69G5FAO", -EINVAL, 0},
        {"01ARYZ6S41TSV4RRFFQ69G5FAU", -EINVAL, 0},
        {"01ARYZ6S41TSV4RRFFQ69G5FA-", -EINVAL, 0},
        {"", -EINVAL, 0},
};

static void test_workflow_ulid_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
        int64_t ms = -1;
        int r = workflow_ulid_parse(parse_cases[i].s, &ms);
        if (r != parse_cases[i].ret)
            fail_msg("%s: want %d, got %d", parse_cases[i].s, parse_cases[i].ret, r);
        if (r == 0)
            assert_int_equal(ms, parse_cases[i].ms);
        else
            assert_int_equal(ms, -1);
    }
    assert_int_equal(workflow_ulid_parse(NULL, NULL), -EINVAL);
}

static const struct {
    int64_t ms;
    int ret;
    const char *want;
} format_cases[] = {
        {0, 0, "1970-01-01T00:00:00Z"},
        {999, 0, "1970-01-01T00:00:00Z"},
        {-1, 0, "1969-12-31T23:59:59Z"},
        {951782400000, 0, "2000-02-29T00:00:00Z"},
        {TEST_NOW + 3723456, 0, "2024-05-01T13:02:03Z"},
        {-62167219200000, 0, "0000-01-01T00:00:00Z"},
        {253402300799999, 0, "9999-12-31T23:59:59Z"},
        {253402300800000, -ERANGE, NULL},
        {-62167219200001, -ERANGE, NULL},
        {INT64_MAX, -ERANGE, NULL},
        {INT64_MIN, -ERANGE, NULL},
};

static void test_workflow_time_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(format_cases); i++) {
        char buf[WORKFLOW_TIME_LEN + 1] = "untouched";
        int r = workflow_time_format(format_cases[i].ms, buf);
        if (r != format_cases[i].ret)
            fail_msg("%lld: want %d, got %d", (long long)format_cases[i].ms, format_cases[i].ret,
                     r);
        assert_string_equal(buf, format_cases[i].want ? format_cases[i].want : "untouched");
    }
}

static const struct {
    const char *s;
    int ret;
    int64_t ms;
} time_parse_cases[] = {
        {"2024-05-01T12:00:00Z", 0, TEST_NOW},
        {"2024-05-01t12:00:00z", 0, TEST_NOW},
        {"2024-05-01T12:00:00.5Z", 0, TEST_NOW + 500},
        {"2024-05-01T12:00:00.123456789Z", 0, TEST_NOW + 123},
        {"2024-05-01T14:30:00+02:30", 0, TEST_NOW},
        {"2024-05-01T09:00:00-03:00", 0, TEST_NOW},
        {"2000-02-29T00:00:00Z", 0, 951782400000},
        {"1969-12-31T23:59:59Z", 0, -1000},
        {"2024-05-01T12:00:00", -EINVAL, 0},  /* no zone */
        {"2024-05-01 12:00:00Z", -EINVAL, 0}, /* space for T */
        {"2024-13-01T12:00:00Z", -EINVAL, 0}, /* month */
        {"2024-00-01T12:00:00Z", -EINVAL, 0},
        {"2023-02-29T12:00:00Z", -EINVAL, 0}, /* not a leap year */
        {"1900-02-29T12:00:00Z", -EINVAL, 0},
        {"2024-04-31T12:00:00Z", -EINVAL, 0},
        {"2024-05-01T24:00:00Z", -EINVAL, 0},
        {"2024-05-01T12:60:00Z", -EINVAL, 0},
        {"2024-05-01T12:00:60Z", -EINVAL, 0},            /* leap seconds, as Go */
        {"2024-05-01T12:00:00.Z", -EINVAL, 0},           /* empty fraction */
        {"2024-05-01T12:00:00.1234567890Z", -EINVAL, 0}, /* ten digits */
        {"2024-05-01T12:00:00+24:00", -EINVAL, 0},
        {"2024-05-01T12:00:00+0200", -EINVAL, 0},
        {"2024-05-01T12:00:00Zjunk", -EINVAL, 0},
        {"2024-5-01T12:00:00Z", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"2024", -EINVAL, 0},
};

static void test_workflow_time_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(time_parse_cases); i++) {
        int64_t ms = 42;
        int r = workflow_time_parse(time_parse_cases[i].s, &ms);
        if (r != time_parse_cases[i].ret)
            fail_msg("%s: want %d, got %d", time_parse_cases[i].s, time_parse_cases[i].ret, r);
        assert_int_equal(ms, r == 0 ? time_parse_cases[i].ms : 42);
    }
    assert_int_equal(workflow_time_parse(NULL, &(int64_t){0}), -EINVAL);
}

static void test_workflow_time_round_trip(void **state)
{
    (void)state;
    /* Every day boundary over four centuries round-trips. */
    for (int64_t ms = -62167219200000; ms < 253402300800000; ms += 86400000LL * 97 + 1000) {
        char buf[WORKFLOW_TIME_LEN + 1];
        int64_t back;
        assert_int_equal(workflow_time_format(ms, buf), 0);
        assert_int_equal(workflow_time_parse(buf, &back), 0);
        assert_int_equal(back, ms - (((ms % 1000) + 1000) % 1000));
    }
}

static const struct {
    const char *s;
    enum workflow_state st;
    bool terminal;
    const char *back;
} state_cases[] = {
        {NULL, WORKFLOW_STATE_NEW, false, ""},
        {"", WORKFLOW_STATE_NEW, false, ""},
        {"PREPARING", WORKFLOW_STATE_PREPARING, false, "PREPARING"},
        {"PENDING", WORKFLOW_STATE_PENDING, false, "PENDING"},
        {"RUNNING", WORKFLOW_STATE_RUNNING, false, "RUNNING"},
        {"POST", WORKFLOW_STATE_POST, false, "POST"},
        {"SUCCESS", WORKFLOW_STATE_SUCCESS, true, "SUCCESS"},
        {"FAILED", WORKFLOW_STATE_FAILED, true, "FAILED"},
        {"TIMEOUT", WORKFLOW_STATE_TIMEOUT, true, "TIMEOUT"},
        {"STATE_PENDING", WORKFLOW_STATE_LEGACY, false, NULL},
        {"STATE_PREPARING", WORKFLOW_STATE_LEGACY, false, NULL},
        {"STATE_RUNNING", WORKFLOW_STATE_LEGACY, false, NULL},
        {"STATE_POST", WORKFLOW_STATE_LEGACY_DONE, true, NULL},
        {"STATE_SUCCESS", WORKFLOW_STATE_LEGACY_DONE, true, NULL},
        {"STATE_FAILED", WORKFLOW_STATE_LEGACY_DONE, true, NULL},
        {"STATE_TIMEOUT", WORKFLOW_STATE_LEGACY_DONE, true, NULL},
        {"pending", WORKFLOW_STATE_UNKNOWN, false, NULL},
        {"STATE_BOGUS", WORKFLOW_STATE_UNKNOWN, false, NULL},
};

static void test_workflow_state_strings_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(state_cases); i++) {
        enum workflow_state st = workflow_state_from_string(state_cases[i].s);
        assert_int_equal(st, state_cases[i].st);
        assert_int_equal(workflow_state_is_terminal(st), state_cases[i].terminal);
        if (state_cases[i].back)
            assert_string_equal(workflow_state_to_string(st), state_cases[i].back);
        else
            assert_null(workflow_state_to_string(st));
    }
    assert_null(workflow_state_to_string(_WORKFLOW_STATE_MAX));
    assert_null(workflow_state_to_string((enum workflow_state) - 1));

    _cleanup_json_ json_t *num = j("{'status':{'state':7}}");
    _cleanup_json_ json_t *none = j("{'spec':{}}");
    _cleanup_json_ json_t *arr = j("[]");
    assert_int_equal(workflow_get_state(num), WORKFLOW_STATE_UNKNOWN);
    assert_int_equal(workflow_get_state(none), WORKFLOW_STATE_NEW);
    assert_int_equal(workflow_get_state(arr), WORKFLOW_STATE_UNKNOWN);
    assert_int_equal(workflow_get_state(NULL), WORKFLOW_STATE_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_workflow_ulid_next_encodes_time_and_random),
            cmocka_unit_test(test_workflow_ulid_next_monotonic_within_ms),
            cmocka_unit_test(test_workflow_ulid_next_clock_backwards_stays_monotonic),
            cmocka_unit_test(test_workflow_ulid_next_overflow_within_ms),
            cmocka_unit_test(test_workflow_ulid_next_rejects_bad_input),
            cmocka_unit_test(test_workflow_ulid_parse_table),
            cmocka_unit_test(test_workflow_time_format_table),
            cmocka_unit_test(test_workflow_time_parse_table),
            cmocka_unit_test(test_workflow_time_round_trip),
            cmocka_unit_test(test_workflow_state_strings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
