/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lease record: copies, comparison, decoding from and encoding to the
 * coordination.k8s.io/v1 Lease JSON (jansson), and MicroTime formatting.
 * Everything read from the API is bounded by LEASE_MAX_FIELD.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "leader/leader-internal.h"

void lease_record_done(struct lease_record *r)
{
    if (!r)
        return;
    free(r->holder_identity);
    free(r->acquire_time);
    free(r->renew_time);
    free(r->resource_version);
    *r = (struct lease_record){0};
}

static int dup_or_empty(const char *s, char **ret)
{
    char *d = strdup(s ? s : "");
    if (!d)
        return -ENOMEM;
    *ret = d;
    return 0;
}

int lease_record_copy(struct lease_record *dst, const struct lease_record *src)
{
    struct lease_record c = {
            .lease_duration_seconds = src->lease_duration_seconds,
            .lease_transitions = src->lease_transitions,
    };
    if (dup_or_empty(src->holder_identity, &c.holder_identity) < 0 ||
        dup_or_empty(src->acquire_time, &c.acquire_time) < 0 ||
        dup_or_empty(src->renew_time, &c.renew_time) < 0 ||
        dup_or_empty(src->resource_version, &c.resource_version) < 0) {
        lease_record_done(&c);
        return -ENOMEM;
    }
    *dst = c;
    return 0;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

bool lease_record_spec_equal(const struct lease_record *a, const struct lease_record *b)
{
    return str_eq(a->holder_identity, b->holder_identity) &&
           a->lease_duration_seconds == b->lease_duration_seconds &&
           str_eq(a->acquire_time, b->acquire_time) && str_eq(a->renew_time, b->renew_time) &&
           a->lease_transitions == b->lease_transitions;
}

/* A string field that may be absent or null ("" then). */
static int get_string(const json_t *parent, const char *key, bool required, char **ret)
{
    const json_t *v = json_object_get(parent, key);
    const char *s = "";
    if (!v || json_is_null(v)) {
        if (required)
            return -EBADMSG;
    } else if (json_is_string(v)) {
        if (json_string_length(v) > LEASE_MAX_FIELD)
            return -EBADMSG;
        s = json_string_value(v);
        /* An embedded NUL would make the C string differ from the JSON one. */
        if (strlen(s) != json_string_length(v))
            return -EBADMSG;
        if (required && !*s)
            return -EBADMSG;
    } else
        return -EBADMSG;
    return dup_or_empty(s, ret);
}

/* An int32 field that may be absent or null (0 then); clamped to [0, INT32_MAX]. */
static int get_int32(const json_t *parent, const char *key, int64_t *ret)
{
    const json_t *v = json_object_get(parent, key);
    if (!v || json_is_null(v)) {
        *ret = 0;
        return 0;
    }
    if (!json_is_integer(v))
        return -EBADMSG;
    json_int_t n = json_integer_value(v);
    *ret = n < 0 ? 0 : n > INT32_MAX ? INT32_MAX : (int64_t)n;
    return 0;
}

int lease_record_from_json(const json_t *obj, struct lease_record *ret)
{
    struct lease_record rec = {0};
    int r;

    assert_return(ret, -EINVAL);
    if (!json_is_object(obj))
        return -EBADMSG;
    const json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta))
        return -EBADMSG;
    const json_t *spec = json_object_get(obj, "spec");
    if (spec && !json_is_null(spec) && !json_is_object(spec))
        return -EBADMSG;
    if (!json_is_object(spec))
        spec = NULL; /* absent: an empty spec; json_object_get(NULL) is NULL */

    r = get_string(meta, "resourceVersion", true, &rec.resource_version);
    if (r >= 0)
        r = get_string(spec, "holderIdentity", false, &rec.holder_identity);
    if (r >= 0)
        r = get_string(spec, "acquireTime", false, &rec.acquire_time);
    if (r >= 0)
        r = get_string(spec, "renewTime", false, &rec.renew_time);
    if (r >= 0)
        r = get_int32(spec, "leaseDurationSeconds", &rec.lease_duration_seconds);
    if (r >= 0)
        r = get_int32(spec, "leaseTransitions", &rec.lease_transitions);
    if (r < 0) {
        lease_record_done(&rec);
        return r;
    }
    *ret = rec;
    return 0;
}

static int set_string(json_t *o, const char *key, const char *s)
{
    json_t *v = json_string(s);
    if (!v)
        return -EINVAL; /* jansson refuses invalid UTF-8 */
    return json_object_set_new(o, key, v) < 0 ? -ENOMEM : 0;
}

static int set_int(json_t *o, const char *key, int64_t n)
{
    return json_object_set_new(o, key, json_integer((json_int_t)n)) < 0 ? -ENOMEM : 0;
}

int lease_record_spec_json(const struct lease_record *rec, json_t **ret)
{
    assert_return(rec && ret, -EINVAL);
    _cleanup_json_ json_t *spec = json_object();
    if (!spec)
        return -ENOMEM;
    int r = set_string(spec, "holderIdentity", rec->holder_identity ? rec->holder_identity : "");
    if (r >= 0)
        r = set_int(spec, "leaseDurationSeconds", rec->lease_duration_seconds);
    if (r >= 0 && rec->acquire_time && *rec->acquire_time)
        r = set_string(spec, "acquireTime", rec->acquire_time);
    if (r >= 0 && rec->renew_time && *rec->renew_time)
        r = set_string(spec, "renewTime", rec->renew_time);
    if (r >= 0)
        r = set_int(spec, "leaseTransitions", rec->lease_transitions);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(spec);
    return 0;
}

int lease_format_micro_time(int64_t wall_us, char *buf, size_t size)
{
    /* 9999-12-31T23:59:59.999999Z */
    const int64_t max_us = INT64_C(253402300799999999);
    struct tm tm;

    assert_return(buf && size >= LEASE_MICROTIME_SIZE, -EINVAL);
    if (wall_us < 0)
        wall_us = 0;
    if (wall_us > max_us)
        wall_us = max_us;
    time_t secs = (time_t)(wall_us / 1000000);
    long micros = (long)(wall_us % 1000000);
    if (!gmtime_r(&secs, &tm))
        return -EINVAL;
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    if (n < 0 || (size_t)n >= size)
        return -EINVAL;
    return 0;
}
