/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON side of Events (jansson): involvedObject from a reference or
 * from an object, the core/v1 Event, the repeat patch, timestamps, names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "events/events-internal.h"

static const char *const type_names[_EVENTS_TYPE_MAX] = {
        [EVENTS_NORMAL] = "Normal",
        [EVENTS_WARNING] = "Warning",
};

/* Sets key to string s unless s is NULL or empty. */
static int set_opt_string(json_t *o, const char *key, const char *s)
{
    if (!s || !*s)
        return 0;
    json_t *v = json_string(s);
    if (!v)
        return -EINVAL; /* not UTF-8 */
    return json_object_set_new(o, key, v) < 0 ? -ENOMEM : 0;
}

int events_involved_json(const struct events_ref *ref, json_t **ret)
{
    assert_return(ref && ret, -EINVAL);
    _cleanup_json_ json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    int r = set_opt_string(o, "kind", ref->kind);
    if (r >= 0)
        r = set_opt_string(o, "namespace", ref->namespace_);
    if (r >= 0)
        r = set_opt_string(o, "name", ref->name);
    if (r >= 0)
        r = set_opt_string(o, "uid", ref->uid);
    if (r >= 0)
        r = set_opt_string(o, "apiVersion", ref->api_version);
    if (r >= 0)
        r = set_opt_string(o, "resourceVersion", ref->resource_version);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(o);
    return 0;
}

static const char *string_or_null(const json_t *parent, const char *key)
{
    return json_string_value(json_object_get(parent, key)); /* NULL unless a string */
}

int events_ref_from_object(const json_t *obj, struct events_ref *ret)
{
    assert_return(ret, -EINVAL);
    if (!json_is_object(obj))
        return -EINVAL;
    const json_t *meta = json_object_get(obj, "metadata");
    struct events_ref ref = {
            .api_version = string_or_null(obj, "apiVersion"),
            .kind = string_or_null(obj, "kind"),
            .namespace_ = string_or_null(meta, "namespace"),
            .name = string_or_null(meta, "name"),
            .uid = string_or_null(meta, "uid"),
            .resource_version = string_or_null(meta, "resourceVersion"),
    };
    if (!ref.kind || !*ref.kind || !ref.name || !*ref.name)
        return -EINVAL;
    *ret = ref;
    return 0;
}

int events_format_time(int64_t wall_ns, char *buf, size_t size)
{
    const int64_t max_s = INT64_C(253402300799); /* 9999-12-31T23:59:59Z */
    struct tm tm;

    assert_return(buf && size >= EVENTS_TIME_SIZE, -EINVAL);
    int64_t secs = wall_ns < 0 ? 0 : wall_ns / 1000000000;
    if (secs > max_s)
        secs = max_s;
    time_t t = (time_t)secs;
    if (!gmtime_r(&t, &tm))
        return -EINVAL;
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

size_t events_utf8_cut(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    /* back off continuation bytes (10xxxxxx) so the cut lands on a lead byte */
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

void events_make_name(const char *obj_name, uint64_t unique, char *buf, size_t size)
{
    size_t n = events_utf8_cut(obj_name, EVENTS_NAME_PREFIX);
    if (n < strlen(obj_name))
        while (n > 0 && (obj_name[n - 1] == '.' || obj_name[n - 1] == '-'))
            n--;
    (void)snprintf(buf, size, "%.*s.%016" PRIx64, (int)n, obj_name, unique);
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    /* json_object_set_new consumes v even on failure */
    return json_object_set_new(o, key, v) < 0 ? -ENOMEM : 0;
}

int events_event_json(const struct events_recorder *r, const struct events_item *it, json_t **ret)
{
    char first[EVENTS_TIME_SIZE], last[EVENTS_TIME_SIZE];

    assert_return(r && it && ret, -EINVAL);
    int k = events_format_time(it->first_ns, first, sizeof(first));
    if (k >= 0)
        k = events_format_time(it->at_ns, last, sizeof(last));
    if (k < 0)
        return k;
    json_t *involved = json_loads(it->involved, 0, NULL); /* our own encoding */
    if (!involved)
        return -ENOMEM;
    /* Every string below was validated as UTF-8 when recorded. */
    _cleanup_json_ json_t *ev = json_pack(
            "{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:s, s:s}",
            "apiVersion", "v1", "kind", "Event", "metadata", "name", it->name, "namespace", it->ns,
            "involvedObject", involved, "reason", it->reason, "message", it->message, "type",
            type_names[it->type], "source", "component", r->component, "host", r->instance,
            "firstTimestamp", first, "lastTimestamp", last, "count", (int)it->count,
            "reportingComponent", r->component, "reportingInstance", r->instance);
    if (!ev)
        return -ENOMEM;
    *ret = TAKE_PTR(ev);
    return 0;
}

int events_patch_json(const struct events_item *it, json_t **ret)
{
    char last[EVENTS_TIME_SIZE];

    assert_return(it && ret, -EINVAL);
    int k = events_format_time(it->at_ns, last, sizeof(last));
    if (k < 0)
        return k;
    _cleanup_json_ json_t *p = json_object();
    if (!p)
        return -ENOMEM;
    k = set_new(p, "count", json_integer(it->count));
    if (k >= 0)
        k = set_new(p, "lastTimestamp", json_string(last));
    if (k < 0)
        return k;
    *ret = TAKE_PTR(p);
    return 0;
}
