/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a Lease as read from the API server. The input is JSON; a
 * decoded record must respect the bounds (strings <= LEASE_MAX_FIELD, no
 * embedded NUL, integers in [0, INT32_MAX], non-empty resourceVersion) and
 * survive a round trip through the spec encoder unchanged. Anything else
 * must be refused with -EBADMSG.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leader/leader-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz-leader-record: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                       \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static void check_string(const char *s)
{
    CHECK(s);
    CHECK(strlen(s) <= LEASE_MAX_FIELD);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    json_t *obj = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!obj)
        return 0;
    struct lease_record rec = {0};
    int r = lease_record_from_json(obj, &rec);
    if (r < 0) {
        CHECK(r == -EBADMSG || r == -ENOMEM);
        CHECK(!rec.holder_identity && !rec.resource_version);
        json_decref(obj);
        return 0;
    }
    check_string(rec.holder_identity);
    check_string(rec.acquire_time);
    check_string(rec.renew_time);
    check_string(rec.resource_version);
    CHECK(*rec.resource_version);
    CHECK(rec.lease_duration_seconds >= 0 && rec.lease_duration_seconds <= INT32_MAX);
    CHECK(rec.lease_transitions >= 0 && rec.lease_transitions <= INT32_MAX);

    /* encode the spec, put it in a fresh Lease, decode again: same record */
    json_t *spec = NULL;
    r = lease_record_spec_json(&rec, &spec);
    CHECK(r == 0); /* everything decoded was valid UTF-8 already */
    json_t *again = json_pack("{s:{s:s}, s:o}", "metadata", "resourceVersion",
                              rec.resource_version, "spec", spec);
    CHECK(again);
    struct lease_record back = {0};
    CHECK(lease_record_from_json(again, &back) == 0);
    CHECK(lease_record_spec_equal(&rec, &back));
    CHECK(strcmp(rec.resource_version, back.resource_version) == 0);

    struct lease_record copy = {0};
    CHECK(lease_record_copy(&copy, &rec) == 0);
    CHECK(lease_record_spec_equal(&copy, &rec));

    lease_record_done(&copy);
    lease_record_done(&back);
    lease_record_done(&rec);
    json_decref(again);
    json_decref(obj);
    return 0;
}
