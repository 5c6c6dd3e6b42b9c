/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The election state machine: client-go's tryAcquireOrRenew, the leading
 * and stepping-down decisions, and release. No threads and no sleeping
 * here; the clock and the Lease store are injected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "leader/leader-internal.h"

/* a + b, saturating. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool lease_observed_valid(const struct lease_elector *e, uint64_t now_ms)
{
    if (!e->have_observed)
        return false;
    uint64_t dur_ms = (uint64_t)e->observed.lease_duration_seconds * 1000u;
    return add_sat(e->observed_ms, dur_ms) > now_ms;
}

static bool is_self(const struct lease_elector *e, const char *holder)
{
    return holder && strcmp(holder, e->identity) == 0;
}

/* Takes ownership of *rec: it becomes the observed record, seen at now_ms
 * when its spec differs from the previous one (client-go compares the raw
 * record and restarts its local timer on any change). */
static void observe(struct lease_elector *e, struct lease_record *rec, uint64_t now_ms)
{
    if (!e->have_observed || !lease_record_spec_equal(&e->observed, rec))
        e->observed_ms = now_ms;
    lease_record_done(&e->observed);
    e->observed = *rec;
    *rec = (struct lease_record){0};
    e->have_observed = true;
}

/* The record this candidate writes at now: itself as holder, both times now. */
static int desired_record(struct lease_elector *e, struct lease_record *ret)
{
    char now[LEASE_MICROTIME_SIZE];
    int r = lease_format_micro_time(e->clock.wall_us(e->clock.userdata), now, sizeof(now));
    if (r < 0)
        return r;
    struct lease_record rec = {
            .holder_identity = e->identity,
            .lease_duration_seconds = (int64_t)(e->lease_duration_ms / 1000u),
            .acquire_time = now,
            .renew_time = now,
            .resource_version = "",
    };
    return lease_record_copy(ret, &rec);
}

static int replace_string(char **dst, const char *src)
{
    char *s = strdup(src ? src : "");
    if (!s)
        return -ENOMEM;
    free(*dst);
    *dst = s;
    return 0;
}

/* Writes want with the lock's update and, on success, observes it. */
static int write_update(struct lease_elector *e, struct lease_record *want, uint64_t now_ms)
{
    _cleanup_free_ char *rv = NULL;
    int r = e->lock.update(e->lock.userdata, want, &rv);
    if (r < 0)
        return r;
    free(want->resource_version);
    want->resource_version = TAKE_PTR(rv);
    if (!want->resource_version)
        want->resource_version = strdup("");
    if (!want->resource_version)
        return -ENOMEM;
    observe(e, want, now_ms);
    return 1;
}

/* Fast path: a leader whose Lease is still valid renews without a GET, from
 * the resourceVersion of its own last write (client-go does the same).
 * Returns 1 when renewed, 0 when the full path must run, -ENOMEM. */
static int fast_renew(struct lease_elector *e, uint64_t now_ms)
{
    if (!e->have_observed || !is_self(e, e->observed.holder_identity) ||
        !lease_observed_valid(e, now_ms))
        return 0;
    struct lease_record want = {0};
    int r = desired_record(e, &want);
    if (r >= 0) {
        want.lease_transitions = e->observed.lease_transitions;
        r = replace_string(&want.acquire_time, e->observed.acquire_time);
    }
    if (r >= 0)
        r = replace_string(&want.resource_version, e->observed.resource_version);
    if (r >= 0)
        r = write_update(e, &want, now_ms);
    lease_record_done(&want);
    return r == -ENOMEM ? r : r > 0;
}

/* The Lease does not exist: create it with this candidate as holder. */
static int create_lease(struct lease_elector *e, uint64_t now_ms)
{
    struct lease_record want = {0};
    _cleanup_free_ char *rv = NULL;
    int r = desired_record(e, &want);
    if (r >= 0)
        r = e->lock.create(e->lock.userdata, &want, &rv);
    if (r >= 0)
        r = replace_string(&want.resource_version, rv);
    if (r >= 0) {
        observe(e, &want, now_ms);
        r = 1;
    }
    lease_record_done(&want);
    return r;
}

/* old may be taken: renew it (keeping acquireTime and the transition
 * count) or take it over (new acquireTime, one more transition). */
static int take_or_renew(struct lease_elector *e, const struct lease_record *old, uint64_t now_ms)
{
    struct lease_record want = {0};
    int r = desired_record(e, &want);
    if (r >= 0 && is_self(e, old->holder_identity)) {
        want.lease_transitions = old->lease_transitions;
        r = replace_string(&want.acquire_time, old->acquire_time);
    } else
        want.lease_transitions = old->lease_transitions >= INT32_MAX ? INT32_MAX
                                                                     : old->lease_transitions + 1;
    if (r >= 0)
        r = replace_string(&want.resource_version, old->resource_version);
    if (r >= 0)
        r = write_update(e, &want, now_ms);
    lease_record_done(&want);
    return r;
}

int lease_try_acquire_or_renew(struct lease_elector *e, uint64_t now_ms)
{
    struct lease_record old = {0}, seen = {0};

    int r = fast_renew(e, now_ms);
    if (r != 0)
        return r;
    r = e->lock.get(e->lock.userdata, &old);
    if (r == -ENOENT)
        return create_lease(e, now_ms);
    if (r < 0)
        return r;

    /* The observed record and its local time change only when the spec
     * does; the resourceVersion always follows the latest read. */
    r = lease_record_copy(&seen, &old);
    if (r >= 0) {
        observe(e, &seen, now_ms);
        if (*old.holder_identity && !is_self(e, old.holder_identity) &&
            lease_observed_valid(e, now_ms))
            r = 0; /* held by another and fresh: wait */
        else
            r = take_or_renew(e, &old, now_ms);
    }
    lease_record_done(&old);
    return r;
}

void lease_step_down(struct lease_elector *e)
{
    if (!atomic_load(&e->leading))
        return;
    atomic_store(&e->leading, false);
    if (e->cb.stopped_leading)
        e->cb.stopped_leading(e->cb.userdata);
}

static void start_leading(struct lease_elector *e)
{
    if (atomic_load(&e->leading))
        return;
    atomic_store(&e->leading, true);
    if (e->cb.started_leading)
        e->cb.started_leading(e->cb.userdata);
}

/* client-go's maybeReportTransition, minus empty holders. */
static void report_leader(struct lease_elector *e)
{
    if (!e->have_observed)
        return;
    const char *holder = e->observed.holder_identity;
    if (!*holder || (e->reported_leader && strcmp(e->reported_leader, holder) == 0))
        return;
    char *copy = strdup(holder);
    if (!copy)
        return; /* reported again at the next round */
    free(e->reported_leader);
    e->reported_leader = copy;
    if (e->cb.new_leader)
        e->cb.new_leader(copy, e->cb.userdata);
}

int lease_tick(struct lease_elector *e, uint64_t *ret_next_ms)
{
    uint64_t now = e->clock.now_ms(e->clock.userdata);
    int r;

    /* A leader past its renew deadline steps down before trying again: a
     * call that starts now may hang, and others may take over soon. */
    if (atomic_load(&e->leading) && now - e->last_renew_ms >= e->renew_deadline_ms)
        lease_step_down(e);

    r = lease_try_acquire_or_renew(e, now);
    if (r == LEASE_ROUND_HELD) {
        e->last_renew_ms = now;
        start_leading(e);
    } else if (atomic_load(&e->leading)) {
        uint64_t after = e->clock.now_ms(e->clock.userdata);
        bool taken = e->have_observed && *e->observed.holder_identity &&
                     !is_self(e, e->observed.holder_identity);
        if (taken || after - e->last_renew_ms >= e->renew_deadline_ms)
            lease_step_down(e);
    }
    report_leader(e);
    if (ret_next_ms)
        *ret_next_ms = e->retry_period_ms;
    return r;
}

int lease_write_release(struct lease_elector *e)
{
    if (!e->have_observed || !is_self(e, e->observed.holder_identity))
        return 0;

    char now[LEASE_MICROTIME_SIZE];
    int r = lease_format_micro_time(e->clock.wall_us(e->clock.userdata), now, sizeof(now));
    if (r < 0)
        return r;
    struct lease_record rel = {
            .holder_identity = "",
            .lease_duration_seconds = 1,
            .acquire_time = now,
            .renew_time = now,
            .lease_transitions = e->observed.lease_transitions,
            .resource_version = e->observed.resource_version,
    };
    struct lease_record want = {0};
    r = lease_record_copy(&want, &rel);
    if (r < 0)
        return r;
    r = write_update(e, &want, e->clock.now_ms(e->clock.userdata));
    lease_record_done(&want);
    return r < 0 ? r : 0;
}
