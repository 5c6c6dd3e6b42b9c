/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Test doubles for the recorder, shared by events_test.c and the fuzzer: a
 * fake sink that keeps the Events it was given (by name) and can fail
 * calls on demand, and a fake clock. Header-only (static functions, marked
 * unused) so each test executable gets its own copy.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/macro.h"
#include "events/events-internal.h"

#define FAKE_MAX_FAILS 16

struct fake_sink {
    json_t *events;    /* object: "<ns>/<name>" -> Event */
    json_t *calls;     /* array of {"op","ns","name","body"} in call order */
    int fails[FAKE_MAX_FAILS]; /* errors for the next calls, in order (0 = ok) */
    size_t n_fails, next_fail;
    bool create_lands; /* a create failing in transit still stores the Event */
};

struct fake_clock {
    uint64_t now_ms;
    int64_t wall_ns;
};

static _unused_ uint64_t fake_now_ms(void *userdata)
{
    return ((struct fake_clock *)userdata)->now_ms;
}

static _unused_ int64_t fake_wall_ns(void *userdata)
{
    return ((struct fake_clock *)userdata)->wall_ns;
}

static _unused_ void fake_advance(struct fake_clock *c, uint64_t ms)
{
    c->now_ms += ms;
    c->wall_ns += (int64_t)ms * 1000000;
}

static _unused_ int fake_sink_init(struct fake_sink *s)
{
    *s = (struct fake_sink){.events = json_object(), .calls = json_array()};
    return s->events && s->calls ? 0 : -ENOMEM;
}

static _unused_ void fake_sink_done(struct fake_sink *s)
{
    json_decref(s->events);
    json_decref(s->calls);
}

static _unused_ void fake_sink_fail(struct fake_sink *s, int err)
{
    if (s->n_fails < FAKE_MAX_FAILS)
        s->fails[s->n_fails++] = err;
}

static _unused_ int next_result(struct fake_sink *s)
{
    return s->next_fail < s->n_fails ? s->fails[s->next_fail++] : 0;
}

static _unused_ char *store_key(const char *ns, const char *name)
{
    char *k = NULL;
    if (asprintf(&k, "%s/%s", ns, name) < 0)
        return NULL;
    return k;
}

/* prev: the count of the Event stored under that name before the call, or
 * -1 when there was none. */
static _unused_ void log_call(struct fake_sink *s, const char *op, const char *ns, const char *name,
                     const json_t *body, int result, json_int_t prev)
{
    (void)json_array_append_new(s->calls,
                                json_pack("{s:s, s:s, s:s, s:O, s:i, s:I}", "op", op, "ns", ns,
                                          "name", name, "body", body, "result", result, "prev",
                                          prev));
}

static _unused_ json_int_t stored_count(const json_t *ev)
{
    return ev ? json_integer_value(json_object_get(ev, "count")) : -1;
}

static _unused_ int fake_create(void *userdata, const char *ns, const json_t *event)
{
    struct fake_sink *s = userdata;
    const char *name = json_string_value(json_object_get(json_object_get(event, "metadata"),
                                                         "name"));
    if (!name)
        return -EINVAL;
    char *key = store_key(ns, name);
    if (!key)
        return -ENOMEM;
    int r = next_result(s);
    const json_t *old = json_object_get(s->events, key);
    json_int_t prev = stored_count(old);
    if (r == 0 && old)
        r = -EEXIST;
    /* only a transport failure can hide a create that happened */
    if (r == 0 || (s->create_lands && !old && events_error_is_transient(r)))
        (void)json_object_set_new(s->events, key, json_deep_copy(event));
    log_call(s, "create", ns, name, event, r, prev);
    free(key);
    return r;
}

static _unused_ int fake_patch(void *userdata,
                               const char *ns,
                               const char *name,
                               const json_t *patch)
{
    struct fake_sink *s = userdata;
    char *key = store_key(ns, name);
    if (!key)
        return -ENOMEM;
    int r = next_result(s);
    json_t *ev = json_object_get(s->events, key);
    json_int_t prev = stored_count(ev);
    if (r == -ENOENT && ev) {
        /* an injected 404: the Event was deleted just before */
        (void)json_object_del(s->events, key);
        ev = NULL;
    }
    if (r == 0 && !ev)
        r = -ENOENT;
    if (r == 0)
        (void)json_object_update(ev, (json_t *)patch); /* a flat merge patch */
    log_call(s, "patch", ns, name, patch, r, prev);
    free(key);
    return r;
}

static _unused_ struct events_sink fake_sink_ops(struct fake_sink *s)
{
    return (struct events_sink){.create = fake_create, .patch = fake_patch, .userdata = s};
}
