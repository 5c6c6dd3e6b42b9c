/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Test doubles for the elector, shared by leader_test.c and the fuzzer: a
 * fake Lease store implementing struct lease_lock with injectable errors,
 * a fake clock, and callbacks that count transitions. Header-only (static
 * functions, marked unused) so each test executable gets its own copy.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "leader/leader-internal.h"

struct fake_store {
    bool exists;
    struct lease_record rec; /* rec.resource_version unused: version is the truth */
    uint64_t version;
    uint64_t modified_ms; /* fake time of the last write, for safety checks */
    int fail_get;         /* next get returns this error (0: none) */
    int fail_create;
    int fail_update;
    bool sticky; /* failures stay until cleared (an unreachable API) */
    unsigned n_get, n_create, n_update;
    const uint64_t *now_ms; /* for modified_ms */
};

struct fake_clock {
    uint64_t now_ms;
    int64_t wall_us;
};

struct fake_events {
    unsigned started, stopped, new_leader;
    char last_leader[64];
    bool order_broken; /* started/stopped did not alternate */
};

static _unused_ uint64_t fake_now_ms(void *userdata)
{
    return ((struct fake_clock *)userdata)->now_ms;
}

static _unused_ int64_t fake_wall_us(void *userdata)
{
    return ((struct fake_clock *)userdata)->wall_us;
}

static _unused_ void fake_advance(struct fake_clock *c, uint64_t ms)
{
    c->now_ms += ms;
    c->wall_us += (int64_t)ms * 1000;
}

static _unused_ int take_failure(struct fake_store *s, int *slot)
{
    int r = *slot;
    if (r && !s->sticky)
        *slot = 0;
    return r;
}

static _unused_ char *version_string(uint64_t v)
{
    char *s = NULL;
    if (asprintf(&s, "%" PRIu64, v) < 0)
        return NULL;
    return s;
}

static _unused_ int fake_get(void *userdata, struct lease_record *ret)
{
    struct fake_store *s = userdata;
    s->n_get++;
    int r = take_failure(s, &s->fail_get);
    if (r)
        return r;
    if (!s->exists)
        return -ENOENT;
    struct lease_record c = {0};
    r = lease_record_copy(&c, &s->rec);
    if (r < 0)
        return r;
    free(c.resource_version);
    c.resource_version = version_string(s->version);
    if (!c.resource_version) {
        lease_record_done(&c);
        return -ENOMEM;
    }
    *ret = c;
    return 0;
}

static _unused_ int store_put(struct fake_store *s, const struct lease_record *rec)
{
    struct lease_record c = {0};
    int r = lease_record_copy(&c, rec);
    if (r < 0)
        return r;
    lease_record_done(&s->rec);
    s->rec = c;
    s->exists = true;
    s->version++;
    s->modified_ms = s->now_ms ? *s->now_ms : 0;
    return 0;
}

static _unused_ int fake_create(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    struct fake_store *s = userdata;
    s->n_create++;
    int r = take_failure(s, &s->fail_create);
    if (r)
        return r;
    if (s->exists)
        return -EEXIST;
    r = store_put(s, rec);
    if (r < 0)
        return r;
    *ret_rv = version_string(s->version);
    return *ret_rv ? 0 : -ENOMEM;
}

static _unused_ int fake_update(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    struct fake_store *s = userdata;
    s->n_update++;
    int r = take_failure(s, &s->fail_update);
    if (r)
        return r;
    if (!s->exists)
        return -ENOENT;
    char *cur = version_string(s->version);
    if (!cur)
        return -ENOMEM;
    bool match = strcmp(cur, rec->resource_version ? rec->resource_version : "") == 0;
    free(cur);
    if (!match)
        return -ECANCELED;
    r = store_put(s, rec);
    if (r < 0)
        return r;
    *ret_rv = version_string(s->version);
    return *ret_rv ? 0 : -ENOMEM;
}

/* Another candidate writes the Lease (a renewal or takeover). */
static _unused_ int store_put_foreign(struct fake_store *s, const char *holder, int64_t duration_s,
                             const char *renew_time, int64_t transitions)
{
    struct lease_record rec = {
            .holder_identity = (char *)holder,
            .lease_duration_seconds = duration_s,
            .acquire_time = (char *)"2026-01-01T00:00:00.000000Z",
            .renew_time = (char *)renew_time,
            .lease_transitions = transitions,
            .resource_version = (char *)"",
    };
    return store_put(s, &rec);
}

static _unused_ void store_done(struct fake_store *s)
{
    lease_record_done(&s->rec);
}

static _unused_ struct lease_lock fake_lock(struct fake_store *s)
{
    return (struct lease_lock){
            .get = fake_get, .create = fake_create, .update = fake_update, .userdata = s};
}

static _unused_ void on_started(void *userdata)
{
    struct fake_events *ev = userdata;
    if (ev->started != ev->stopped)
        ev->order_broken = true;
    ev->started++;
}

static _unused_ void on_stopped(void *userdata)
{
    struct fake_events *ev = userdata;
    if (ev->started != ev->stopped + 1)
        ev->order_broken = true;
    ev->stopped++;
}

static _unused_ void on_new_leader(const char *identity, void *userdata)
{
    struct fake_events *ev = userdata;
    ev->new_leader++;
    snprintf(ev->last_leader, sizeof(ev->last_leader), "%s", identity);
}
