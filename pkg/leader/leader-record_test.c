/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lease record codec: decoding a Lease read from the API (every
 * rejection has a case), encoding the spec, and MicroTime formatting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "leader/leader-internal.h"

static void test_lease_record_decode_valid(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *holder;
        int64_t duration, transitions;
        const char *acquire, *renew, *rv;
    } cases[] = {
            {"{\"metadata\":{\"resourceVersion\":\"12\"},\"spec\":{\"holderIdentity\":\"a_1\","
             "\"leaseDurationSeconds\":15,\"acquireTime\":\"2026-11-21T05:23:01.123456Z\","
             "\"renewTime\":\"2026-11-21T05:23:03.000001Z\",\"leaseTransitions\":4}}",
             "a_1", 15, 4, "2026-11-21T05:23:01.123456Z", "2026-11-21T05:23:03.000001Z", "12"},
            /* no spec at all: a Lease nobody holds */
            {"{\"metadata\":{\"resourceVersion\":\"1\"}}", "", 0, 0, "", "", "1"},
            /* nulls and absent fields take zero values */
            {"{\"metadata\":{\"resourceVersion\":\"2\"},\"spec\":null}", "", 0, 0, "", "", "2"},
            {"{\"metadata\":{\"resourceVersion\":\"3\"},\"spec\":{\"holderIdentity\":null,"
             "\"leaseDurationSeconds\":null,\"renewTime\":null}}",
             "", 0, 0, "", "", "3"},
            /* out-of-range integers are clamped to int32 >= 0 */
            {"{\"metadata\":{\"resourceVersion\":\"4\"},\"spec\":{\"leaseDurationSeconds\":-5,"
             "\"leaseTransitions\":99999999999}}",
             "", 0, INT32_MAX, "", "", "4"},
            /* unknown fields (strategy, preferredHolder) are ignored */
            {"{\"metadata\":{\"resourceVersion\":\"5\",\"labels\":{\"a\":\"b\"}},\"spec\":"
             "{\"holderIdentity\":\"x\",\"strategy\":\"OldestEmulationVersion\"}}",
             "x", 0, 0, "", "", "5"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *obj = json_loads(cases[i].json, 0, NULL);
        assert_non_null(obj);
        struct lease_record rec = {0};
        assert_int_equal(lease_record_from_json(obj, &rec), 0);
        assert_string_equal(rec.holder_identity, cases[i].holder);
        assert_int_equal(rec.lease_duration_seconds, cases[i].duration);
        assert_int_equal(rec.lease_transitions, cases[i].transitions);
        assert_string_equal(rec.acquire_time, cases[i].acquire);
        assert_string_equal(rec.renew_time, cases[i].renew);
        assert_string_equal(rec.resource_version, cases[i].rv);
        lease_record_done(&rec);
    }
}

static void test_lease_record_decode_rejects(void **state)
{
    (void)state;
    static const char *const cases[] = {
            "[]",
            "\"lease\"",
            "{}",                                             /* no metadata */
            "{\"metadata\":[]}",                              /* metadata not an object */
            "{\"metadata\":{}}",                              /* no resourceVersion */
            "{\"metadata\":{\"resourceVersion\":\"\"}}",      /* empty resourceVersion */
            "{\"metadata\":{\"resourceVersion\":7}}",         /* resourceVersion not a string */
            "{\"metadata\":{\"resourceVersion\":null}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":[]}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":\"x\"}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":5}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":{}}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseDurationSeconds\":\"15\"}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseDurationSeconds\":1.5}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseTransitions\":true}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"acquireTime\":1}}",
            "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"renewTime\":[]}}",
            ("{\"metadata\":{\"resourceVersion\":\"1\"},"
             "\"spec\":{\"holderIdentity\":\"a\\u0000b\"}}"),
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *obj = json_loads(cases[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_non_null(obj);
        struct lease_record rec = {0};
        if (lease_record_from_json(obj, &rec) != -EBADMSG)
            fail_msg("accepted: %s", cases[i]);
        assert_null(rec.holder_identity);
        assert_null(rec.resource_version);
    }
    assert_int_equal(lease_record_from_json(NULL, &(struct lease_record){0}), -EBADMSG);
}

/* Strings longer than LEASE_MAX_FIELD in any field are refused. */
static void test_lease_record_decode_too_long(void **state)
{
    (void)state;
    static const char *const fields[] = {"holderIdentity", "acquireTime", "renewTime"};
    char *big = malloc(LEASE_MAX_FIELD + 2);
    assert_non_null(big);
    memset(big, 'x', LEASE_MAX_FIELD + 1);
    big[LEASE_MAX_FIELD + 1] = '\0';
    for (size_t i = 0; i <= ARRAY_SIZE(fields); i++) {
        _cleanup_json_ json_t *obj =
                json_pack("{s:{s:s}, s:{}}", "metadata", "resourceVersion", "1", "spec");
        assert_non_null(obj);
        if (i < ARRAY_SIZE(fields))
            json_object_set_new(json_object_get(obj, "spec"), fields[i], json_string(big));
        else
            json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
                                json_string(big));
        struct lease_record rec = {0};
        assert_int_equal(lease_record_from_json(obj, &rec), -EBADMSG);
    }
    /* exactly LEASE_MAX_FIELD is fine */
    big[LEASE_MAX_FIELD] = '\0';
    _cleanup_json_ json_t *ok = json_pack("{s:{s:s}, s:{s:s}}", "metadata", "resourceVersion", "1",
                                          "spec", "holderIdentity", big);
    struct lease_record rec = {0};
    assert_int_equal(lease_record_from_json(ok, &rec), 0);
    assert_int_equal(strlen(rec.holder_identity), LEASE_MAX_FIELD);
    lease_record_done(&rec);
    free(big);
}

static void test_lease_record_spec_roundtrip(void **state)
{
    (void)state;
    struct lease_record rec = {
            .holder_identity = (char *)"node-1_00ff",
            .lease_duration_seconds = 15,
            .acquire_time = (char *)"2026-11-21T05:23:01.123456Z",
            .renew_time = (char *)"2026-11-21T05:23:05.000000Z",
            .lease_transitions = 2,
            .resource_version = (char *)"9",
    };
    _cleanup_json_ json_t *spec = NULL;
    assert_int_equal(lease_record_spec_json(&rec, &spec), 0);
    _cleanup_free_ char *text = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text, "{\"acquireTime\":\"2026-11-21T05:23:01.123456Z\",\"holderIdentity\":"
                              "\"node-1_00ff\",\"leaseDurationSeconds\":15,\"leaseTransitions\":2,"
                              "\"renewTime\":\"2026-11-21T05:23:05.000000Z\"}");

    _cleanup_json_ json_t *obj = json_pack("{s:{s:s}, s:O}", "metadata", "resourceVersion", "9",
                                           "spec", spec);
    struct lease_record back = {0};
    assert_int_equal(lease_record_from_json(obj, &back), 0);
    assert_true(lease_record_spec_equal(&rec, &back));
    lease_record_done(&back);

    /* a released record: empty holder is written, empty times are omitted */
    struct lease_record rel = {.holder_identity = (char *)"", .lease_duration_seconds = 1};
    _cleanup_json_ json_t *spec2 = NULL;
    assert_int_equal(lease_record_spec_json(&rel, &spec2), 0);
    _cleanup_free_ char *text2 = json_dumps(spec2, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text2, "{\"holderIdentity\":\"\",\"leaseDurationSeconds\":1,"
                               "\"leaseTransitions\":0}");

    /* an identity that is not UTF-8 cannot be encoded */
    struct lease_record bad = {.holder_identity = (char *)"\xff\xfe"};
    json_t *spec3 = NULL;
    assert_int_equal(lease_record_spec_json(&bad, &spec3), -EINVAL);
    assert_null(spec3);
}

static void test_lease_record_spec_equal(void **state)
{
    (void)state;
    struct lease_record a = {.holder_identity = (char *)"a",
                             .lease_duration_seconds = 15,
                             .acquire_time = (char *)"t1",
                             .renew_time = (char *)"t2",
                             .lease_transitions = 1,
                             .resource_version = (char *)"1"};
    struct lease_record b = a;
    b.resource_version = (char *)"2"; /* not part of the spec */
    assert_true(lease_record_spec_equal(&a, &b));
    b.renew_time = (char *)"t3";
    assert_false(lease_record_spec_equal(&a, &b));
    b = a;
    b.lease_transitions = 2;
    assert_false(lease_record_spec_equal(&a, &b));
    b = a;
    b.holder_identity = NULL; /* NULL and "" compare as empty */
    a.holder_identity = (char *)"";
    assert_true(lease_record_spec_equal(&a, &b));
}

static void test_lease_format_micro_time(void **state)
{
    (void)state;
    static const struct {
        int64_t us;
        const char *want;
    } cases[] = {
            {INT64_C(1795238581123456), "2026-11-21T05:23:01.123456Z"},
            {INT64_C(1795238581000001), "2026-11-21T05:23:01.000001Z"},
            {0, "1970-01-01T00:00:00.000000Z"},
            {-5, "1970-01-01T00:00:00.000000Z"},                       /* clamped */
            {INT64_MAX, "9999-12-31T23:59:59.999999Z"},                /* clamped */
            {INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z"}, /* leap day */
    };
    char buf[LEASE_MICROTIME_SIZE];
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(lease_format_micro_time(cases[i].us, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].want);
    }
    assert_int_equal(lease_format_micro_time(0, buf, LEASE_MICROTIME_SIZE - 1), -EINVAL);
    assert_int_equal(lease_format_micro_time(0, NULL, 64), -EINVAL);
}

static void test_lease_record_copy(void **state)
{
    (void)state;
    struct lease_record src = {.holder_identity = (char *)"h", .lease_transitions = 3};
    struct lease_record dst = {0};
    assert_int_equal(lease_record_copy(&dst, &src), 0);
    assert_string_equal(dst.holder_identity, "h");
    assert_string_equal(dst.acquire_time, ""); /* NULL becomes "" */
    assert_string_equal(dst.resource_version, "");
    assert_int_equal(dst.lease_transitions, 3);
    lease_record_done(&dst);
    assert_null(dst.holder_identity);
    lease_record_done(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lease_record_decode_valid),
            cmocka_unit_test(test_lease_record_decode_rejects),
            cmocka_unit_test(test_lease_record_decode_too_long),
            cmocka_unit_test(test_lease_record_spec_roundtrip),
            cmocka_unit_test(test_lease_record_spec_equal),
            cmocka_unit_test(test_lease_format_micro_time),
            cmocka_unit_test(test_lease_record_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
