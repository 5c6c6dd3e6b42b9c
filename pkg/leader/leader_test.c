/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The election state machine against a fake Lease store and a fake clock:
 * each round is one lease_tick() at a chosen time, with the store's answers
 * and contents checked after it. No sleeps; the one threaded test
 * synchronises on a condition variable.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "leader/leader-test.h"

#define T0_WALL_US INT64_C(1795238581000000) /* 2026-11-21T05:23:01Z */

struct rig {
    struct fake_store store;
    struct fake_clock clock;
    struct fake_events ev;
    struct lease_elector *e;
};

static void rig_init(struct rig *g, const char *identity)
{
    *g = (struct rig){.clock = {.now_ms = 1000000, .wall_us = T0_WALL_US}};
    g->store.now_ms = &g->clock.now_ms;
    struct lease_lock lock = fake_lock(&g->store);
    struct lease_opts o = {
            .identity = identity,
            .clock = &(struct lease_clock){.now_ms = fake_now_ms,
                                           .wall_us = fake_wall_us,
                                           .userdata = &g->clock},
            .callbacks = &(struct lease_callbacks){.started_leading = on_started,
                                                   .stopped_leading = on_stopped,
                                                   .new_leader = on_new_leader,
                                                   .userdata = &g->ev},
    };
    assert_int_equal(lease_new(&g->e, &lock, &o), 0);
}

static void rig_done(struct rig *g)
{
    g->e = lease_free(g->e);
    store_done(&g->store);
    assert_false(g->ev.order_broken);
}

/* A second candidate on the same store and clock. */
static struct lease_elector *other_candidate(struct rig *g, const char *identity,
                                             struct fake_events *ev)
{
    struct lease_lock lock = fake_lock(&g->store);
    struct lease_opts o = {
            .identity = identity,
            .clock = &(struct lease_clock){.now_ms = fake_now_ms,
                                           .wall_us = fake_wall_us,
                                           .userdata = &g->clock},
            .callbacks = &(struct lease_callbacks){.started_leading = on_started,
                                                   .stopped_leading = on_stopped,
                                                   .new_leader = on_new_leader,
                                                   .userdata = ev},
    };
    struct lease_elector *e = NULL;
    assert_int_equal(lease_new(&e, &lock, &o), 0);
    return e;
}

static void test_lease_acquire_when_absent(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    uint64_t next = 0;

    assert_int_equal(lease_tick(g.e, &next), LEASE_ROUND_HELD);
    assert_int_equal(next, 2000);
    assert_true(lease_is_leader(g.e));
    assert_int_equal(g.ev.started, 1);
    assert_int_equal(g.ev.new_leader, 1);
    assert_string_equal(g.ev.last_leader, "me");
    assert_int_equal(g.store.n_get, 1);
    assert_int_equal(g.store.n_create, 1);
    assert_int_equal(g.store.n_update, 0);
    assert_string_equal(g.store.rec.holder_identity, "me");
    assert_int_equal(g.store.rec.lease_duration_seconds, 15);
    assert_int_equal(g.store.rec.lease_transitions, 0);
    assert_string_equal(g.store.rec.acquire_time, "2026-11-21T05:23:01.000000Z");
    assert_string_equal(g.store.rec.renew_time, "2026-11-21T05:23:01.000000Z");
    rig_done(&g);
}

static void test_lease_create_race_lost(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    g.store.fail_create = -EEXIST; /* another candidate created it first */

    assert_int_equal(lease_tick(g.e, NULL), -EEXIST);
    assert_false(lease_is_leader(g.e));
    assert_int_equal(g.ev.started, 0);
    rig_done(&g);
}

/* A foreign holder renewing regularly keeps the candidate waiting forever,
 * whatever the remote renewTime says. */
static void test_lease_wait_while_held_and_fresh(void **state)
{
    (void)state;
    /* each renewal writes a new renewTime: prefix + seconds */
    static const char *const renew_formats[] = {
            "2026-11-21T05:23:", /* around now */
            "2000-01-01T00:00:", /* long ago (skewed clock) */
            "2999-01-01T00:00:", /* far future */
    };
    for (size_t i = 0; i < ARRAY_SIZE(renew_formats); i++) {
        struct rig g;
        char renew[64];
        rig_init(&g, "me");
        snprintf(renew, sizeof(renew), "%s%02d.000000Z", renew_formats[i], 0);
        assert_int_equal(store_put_foreign(&g.store, "other", 15, renew, 3), 0);
        for (int round = 0; round < 30; round++) {
            assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
            fake_advance(&g.clock, 2000);
            /* the holder renews every 4 s: its record changes */
            if (round % 2 == 1) {
                snprintf(renew, sizeof(renew), "%s%02d.000000Z", renew_formats[i], round);
                assert_int_equal(store_put_foreign(&g.store, "other", 15, renew, 3), 0);
            }
        }
        assert_false(lease_is_leader(g.e));
        assert_int_equal(g.store.n_update, 0);
        assert_int_equal(g.ev.started, 0);
        assert_int_equal(g.ev.new_leader, 1);
        assert_string_equal(g.ev.last_leader, "other");
        rig_done(&g);
    }
}

/* Expiry is measured from the moment this candidate first saw the record
 * (local clock), not from the remote renewTime. */
static void test_lease_takeover_after_expiry(void **state)
{
    (void)state;
    static const struct {
        const char *renew_time;
        int64_t duration_s;
        uint64_t first_held_ms; /* after the first observation */
    } cases[] = {
            {"2000-01-01T00:00:00.000000Z", 15, 15000}, /* stale remote time: still 15 s */
            {"2999-01-01T00:00:00.000000Z", 15, 15000}, /* future remote time: still 15 s */
            {"2026-11-21T05:23:01.000000Z", 40, 40000}, /* the holder's own duration counts */
            {"2026-11-21T05:23:01.000000Z", 0, 0},      /* zero duration: expired at once */
            {"", 15, 15000},                            /* never renewed: unset renewTime */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig g;
        rig_init(&g, "me");
        assert_int_equal(store_put_foreign(&g.store, "other", cases[i].duration_s,
                                           cases[i].renew_time, 7),
                         0);
        uint64_t t0 = g.clock.now_ms;
        if (cases[i].first_held_ms > 0) {
            assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
            g.clock.now_ms = t0 + cases[i].first_held_ms - 1;
            assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
            assert_int_equal(g.store.n_update, 0);
            g.clock.now_ms = t0 + cases[i].first_held_ms;
        }
        assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
        assert_true(lease_is_leader(g.e));
        assert_int_equal(g.ev.started, 1);
        assert_string_equal(g.store.rec.holder_identity, "me");
        assert_int_equal(g.store.rec.lease_transitions, 8);
        assert_int_equal(g.store.rec.lease_duration_seconds, 15);
        /* a takeover writes a new acquireTime */
        assert_string_not_equal(g.store.rec.acquire_time, "2026-01-01T00:00:00.000000Z");
        assert_string_equal(g.store.rec.acquire_time, g.store.rec.renew_time);
        rig_done(&g);
    }
}

/* A change of the record restarts the local timer. */
static void test_lease_observation_restarts_on_change(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(store_put_foreign(&g.store, "other", 15, "a", 0), 0);
    uint64_t t0 = g.clock.now_ms;
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    g.clock.now_ms = t0 + 10000;
    assert_int_equal(store_put_foreign(&g.store, "other", 15, "b", 0), 0);
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    g.clock.now_ms = t0 + 24999;
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    /* a new resourceVersion alone (same spec) does not restart it */
    g.store.version += 5;
    g.clock.now_ms = t0 + 25000;
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    assert_int_equal(g.store.rec.lease_transitions, 1);
    rig_done(&g);
}

/* A released Lease (empty holder) is taken at once, however fresh. */
static void test_lease_takeover_released(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(store_put_foreign(&g.store, "", 1, "x", 4), 0);
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    assert_int_equal(g.store.rec.lease_transitions, 5);
    assert_int_equal(g.ev.new_leader, 1);
    assert_string_equal(g.ev.last_leader, "me");
    rig_done(&g);
}

/* Errors of each lock call during a campaign: the round fails with that
 * error and nothing changes. */
static void test_lease_campaign_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool exists;
        int fail_get, fail_create, fail_update;
        int want;
    } cases[] = {
            {"get unreachable", true, -ECONNREFUSED, 0, 0, -ECONNREFUSED},
            {"get undecodable", true, -EBADMSG, 0, 0, -EBADMSG},
            {"create timeout", false, 0, -ETIMEDOUT, 0, -ETIMEDOUT},
            {"update conflict", true, 0, 0, -ECANCELED, -ECANCELED},
            {"update vanished", true, 0, 0, -ENOENT, -ENOENT},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig g;
        rig_init(&g, "me");
        if (cases[i].exists)
            assert_int_equal(store_put_foreign(&g.store, "", 15, "x", 0), 0);
        g.store.fail_get = cases[i].fail_get;
        g.store.fail_create = cases[i].fail_create;
        g.store.fail_update = cases[i].fail_update;
        uint64_t version = g.store.version;
        if (lease_tick(g.e, NULL) != cases[i].want)
            fail_msg("case %s", cases[i].name);
        assert_false(lease_is_leader(g.e));
        assert_int_equal(g.ev.started, 0);
        assert_int_equal(g.store.version, version);
        rig_done(&g);
    }
}

/* Two candidates race for an expired Lease: the loser's update conflicts. */
static void test_lease_conflict_on_update(void **state)
{
    (void)state;
    struct rig g;
    struct fake_events ev_b = {0};
    rig_init(&g, "a");
    struct lease_elector *b = other_candidate(&g, "b", &ev_b);
    assert_int_equal(store_put_foreign(&g.store, "old", 15, "x", 2), 0);

    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    assert_int_equal(lease_tick(b, NULL), LEASE_ROUND_WAIT);
    fake_advance(&g.clock, 15000);
    /* b reads, then a reads and writes first, then b writes with a stale rv:
     * simulate by letting a win and replaying b's update from its read. */
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    struct lease_record stale = {0};
    assert_int_equal(lease_record_copy(&stale, &g.store.rec), 0);
    free(stale.resource_version);
    stale.resource_version = strdup("1"); /* the version both read */
    char *rv = NULL;
    assert_int_equal(fake_update(&g.store, &stale, &rv), -ECANCELED);
    assert_null(rv);
    lease_record_done(&stale);

    /* and b itself, ticking now, sees a fresh holder and waits */
    assert_int_equal(lease_tick(b, NULL), LEASE_ROUND_WAIT);
    assert_false(lease_is_leader(b));
    assert_int_equal(ev_b.started, 0);
    assert_string_equal(g.store.rec.holder_identity, "a");
    assert_int_equal(g.store.rec.lease_transitions, 3);
    lease_free(b);
    rig_done(&g);
}

/* The leader renews every retry period without a GET, keeping acquireTime
 * and the transition count. */
static void test_lease_renew(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    char *acquired = strdup(g.store.rec.acquire_time);
    assert_non_null(acquired);

    for (int i = 1; i <= 20; i++) {
        fake_advance(&g.clock, 2000);
        uint64_t next = 0;
        assert_int_equal(lease_tick(g.e, &next), LEASE_ROUND_HELD);
        assert_int_equal(next, 2000);
        assert_true(lease_is_leader(g.e));
        assert_string_equal(g.store.rec.acquire_time, acquired);
        assert_int_equal(g.store.rec.lease_transitions, 0);
    }
    assert_string_equal(g.store.rec.renew_time, "2026-11-21T05:23:41.000000Z");
    assert_int_equal(g.store.n_get, 1);
    assert_int_equal(g.store.n_update, 20);
    assert_int_equal(g.ev.started, 1);
    assert_int_equal(g.ev.stopped, 0);
    assert_int_equal(g.ev.new_leader, 1);
    free(acquired);
    rig_done(&g);
}

/* A failed fast-path renewal falls back to GET + update. */
static void test_lease_renew_after_fast_path_failure(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    fake_advance(&g.clock, 2000);
    g.store.version += 1; /* e.g. someone edited labels: our rv is stale */
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    assert_int_equal(g.store.n_get, 2);
    assert_int_equal(g.store.n_update, 2);
    assert_true(lease_is_leader(g.e));
    assert_int_equal(g.store.rec.lease_transitions, 0);
    rig_done(&g);
}

/* The API goes away: the leader keeps leading until the renew deadline
 * (10 s after its last successful renewal), then steps down, well before a
 * rival could take over (15 s after it last saw a change). */
static void test_lease_step_down_after_renew_deadline(void **state)
{
    (void)state;
    static const int errors[] = {-ECONNREFUSED, -ETIMEDOUT, -EIO};
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct rig g;
        rig_init(&g, "me");
        assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
        uint64_t renewed = g.clock.now_ms;
        g.store.sticky = true;
        g.store.fail_get = g.store.fail_update = g.store.fail_create = errors[i];
        for (uint64_t t = 2000; t < 10000; t += 2000) {
            g.clock.now_ms = renewed + t;
            assert_int_equal(lease_tick(g.e, NULL), errors[i]);
            assert_true(lease_is_leader(g.e));
            assert_int_equal(g.ev.stopped, 0);
        }
        g.clock.now_ms = renewed + 10000;
        assert_int_equal(lease_tick(g.e, NULL), errors[i]);
        assert_false(lease_is_leader(g.e));
        assert_int_equal(g.ev.stopped, 1);

        /* the API comes back and nobody else took it: lead again */
        g.store.sticky = false;
        g.store.fail_get = g.store.fail_update = g.store.fail_create = 0;
        g.clock.now_ms = renewed + 12000;
        assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
        assert_true(lease_is_leader(g.e));
        assert_int_equal(g.ev.started, 2);
        assert_int_equal(g.store.rec.lease_transitions, 0);
        rig_done(&g);
    }
}

/* A round that fails but ends after the deadline (a slow call) steps down. */
static void test_lease_step_down_after_slow_call(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    uint64_t renewed = g.clock.now_ms;
    g.clock.now_ms = renewed + 9999;
    g.store.sticky = true;
    g.store.fail_update = g.store.fail_get = -EIO;
    assert_int_equal(lease_tick(g.e, NULL), -EIO);
    assert_true(lease_is_leader(g.e));
    g.clock.now_ms = renewed + 10000;
    assert_int_equal(lease_tick(g.e, NULL), -EIO);
    assert_false(lease_is_leader(g.e));
    assert_int_equal(g.ev.stopped, 1);
    rig_done(&g);
}

/* Someone else holds the Lease now (we were partitioned): step down at the
 * first round that sees it, without waiting for the deadline. */
static void test_lease_step_down_when_taken(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    fake_advance(&g.clock, 2000);
    assert_int_equal(store_put_foreign(&g.store, "rival", 15, "y", 1), 0);
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    assert_false(lease_is_leader(g.e));
    assert_int_equal(g.ev.stopped, 1);
    assert_int_equal(g.ev.new_leader, 2);
    assert_string_equal(g.ev.last_leader, "rival");
    /* and it does not steal it back while the rival's Lease is fresh */
    fake_advance(&g.clock, 2000);
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_WAIT);
    assert_string_equal(g.store.rec.holder_identity, "rival");
    rig_done(&g);
}

/* lease_release writes an empty holder with a 1 s duration; a waiting
 * candidate takes over at its next round. */
static void test_lease_release(void **state)
{
    (void)state;
    struct rig g;
    struct fake_events ev_b = {0};
    rig_init(&g, "a");
    struct lease_elector *b = other_candidate(&g, "b", &ev_b);

    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    assert_int_equal(lease_tick(b, NULL), LEASE_ROUND_WAIT);
    fake_advance(&g.clock, 500);
    assert_int_equal(lease_release(g.e), 0);
    assert_false(lease_is_leader(g.e));
    assert_int_equal(g.ev.stopped, 1);
    assert_string_equal(g.store.rec.holder_identity, "");
    assert_int_equal(g.store.rec.lease_duration_seconds, 1);
    assert_int_equal(g.store.rec.lease_transitions, 0);
    assert_string_equal(g.store.rec.renew_time, "2026-11-21T05:23:01.500000Z");

    fake_advance(&g.clock, 100);
    assert_int_equal(lease_tick(b, NULL), LEASE_ROUND_HELD);
    assert_true(lease_is_leader(b));
    assert_string_equal(g.store.rec.holder_identity, "b");
    assert_int_equal(g.store.rec.lease_transitions, 1);

    /* releasing again, or releasing a non-leader, writes nothing */
    unsigned updates = g.store.n_update;
    assert_int_equal(lease_release(g.e), 0);
    assert_int_equal(g.store.n_update, updates);
    assert_int_equal(g.ev.stopped, 1);
    lease_free(b);
    rig_done(&g);
}

/* A release that conflicts (someone took over meanwhile) reports it. */
static void test_lease_release_conflict(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    g.store.version += 3;
    assert_int_equal(lease_release(g.e), -ECANCELED);
    assert_int_equal(g.ev.stopped, 1);
    assert_false(lease_is_leader(g.e));
    assert_string_equal(g.store.rec.holder_identity, "me");
    rig_done(&g);
}

/* lease_stop leaves the Lease to expire and cannot be restarted. */
static void test_lease_stop(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g, "me");
    assert_int_equal(lease_tick(g.e, NULL), LEASE_ROUND_HELD);
    unsigned updates = g.store.n_update;
    assert_int_equal(lease_stop(g.e), 0);
    assert_int_equal(g.ev.stopped, 1);
    assert_int_equal(g.store.n_update, updates);
    assert_string_equal(g.store.rec.holder_identity, "me");
    assert_int_equal(lease_stop(g.e), 0);
    assert_int_equal(lease_start(g.e), -EBUSY);
    rig_done(&g);
}

/* Two candidates driven round by round on one clock: never two leaders;
 * when the leader dies, the other leads 15 s after it last saw a change. */
static void test_lease_two_candidates(void **state)
{
    (void)state;
    struct rig g;
    struct fake_events ev_b = {0};
    rig_init(&g, "a");
    struct lease_elector *b = other_candidate(&g, "b", &ev_b);
    bool a_alive = true;
    uint64_t died = 0, b_led = 0;

    for (int step = 0; step < 60; step++) {
        if (a_alive)
            (void)lease_tick(g.e, NULL);
        (void)lease_tick(b, NULL);
        assert_false(a_alive && lease_is_leader(g.e) && lease_is_leader(b));
        if (step == 0) {
            assert_true(lease_is_leader(g.e));
            assert_false(lease_is_leader(b));
        }
        if (step == 10) { /* SIGKILL a: no release */
            a_alive = false;
            died = g.clock.now_ms;
        }
        if (!b_led && lease_is_leader(b))
            b_led = g.clock.now_ms;
        fake_advance(&g.clock, 1000);
    }
    assert_true(b_led > 0);
    /* a's last renewal was at step 10 (b saw it then); b leads 15 s later */
    assert_int_equal(b_led - died, 15000);
    assert_int_equal(g.store.rec.lease_transitions, 1);
    lease_free(b);
    rig_done(&g);
}

static void test_lease_new_invalid(void **state)
{
    (void)state;
    static const struct lease_clock no_wall = {.now_ms = fake_now_ms};
    static const struct lease_opts bad[] = {
            {.lease_duration_ms = 15500},                          /* not whole seconds */
            {.lease_duration_ms = 10000},                          /* == renew deadline */
            {.lease_duration_ms = 5000},                           /* < renew deadline */
            {.renew_deadline_ms = 2400},                           /* == 1.2 * retry */
            {.renew_deadline_ms = 1000, .retry_period_ms = 1000},  /* < 1.2 * retry */
            {.lease_duration_ms = 90000000},                       /* over a day */
            {.retry_period_ms = 90000000},                         /* over a day */
            {.identity = ""},                                      /* empty identity */
            {.clock = &no_wall},                                     /* no wall clock */
    };
    struct fake_store s = {0};
    struct lease_lock lock = fake_lock(&s);
    struct lease_elector *e = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (lease_new(&e, &lock, &bad[i]) != -EINVAL)
            fail_msg("case %zu accepted", i);
        assert_null(e);
    }
    char *long_id = malloc(LEASE_MAX_FIELD + 2);
    assert_non_null(long_id);
    memset(long_id, 'x', LEASE_MAX_FIELD + 1);
    long_id[LEASE_MAX_FIELD + 1] = '\0';
    assert_int_equal(lease_new(&e, &lock, &(struct lease_opts){.identity = long_id}), -EINVAL);
    free(long_id);

    struct lease_lock partial = lock;
    partial.update = NULL;
    assert_int_equal(lease_new(&e, &partial, NULL), -EINVAL);
    assert_int_equal(lease_new(NULL, &lock, NULL), -EINVAL);
    assert_int_equal(lease_new(&e, NULL, NULL), -EINVAL);

    /* the tightest valid settings */
    assert_int_equal(lease_new(&e, &lock,
                               &(struct lease_opts){.lease_duration_ms = 3000,
                                                    .renew_deadline_ms = 2000,
                                                    .retry_period_ms = 1000}),
                     0);
    e = lease_free(e);
    assert_null(lease_free(NULL));
    assert_int_equal(lease_start(NULL), -EINVAL);
    assert_int_equal(lease_stop(NULL), -EINVAL);
    assert_int_equal(lease_release(NULL), -EINVAL);
    assert_false(lease_is_leader(NULL));
}

static void test_lease_default_identity(void **state)
{
    (void)state;
    struct fake_store s = {0};
    struct lease_lock lock = fake_lock(&s);
    struct lease_elector *e1 = NULL, *e2 = NULL;
    assert_int_equal(lease_new(&e1, &lock, NULL), 0);
    assert_int_equal(lease_new(&e2, &lock, NULL), 0);
    const char *id = lease_identity(e1);
    const char *us = strrchr(id, '_');
    assert_non_null(us);
    assert_true(us > id);
    assert_int_equal(strlen(us + 1), 16);
    assert_int_equal(strspn(us + 1, "0123456789abcdef"), 16);
    assert_string_not_equal(lease_identity(e1), lease_identity(e2));
    lease_free(e1);
    lease_free(e2);
}

static void test_lease_jitter_range(void **state)
{
    (void)state;
    struct fake_store s = {0};
    struct lease_lock lock = fake_lock(&s);
    struct lease_elector *e = NULL;
    assert_int_equal(lease_new(&e, &lock, NULL), 0);
    for (int i = 0; i < 1000; i++) {
        uint64_t j = lease_jitter(e, 2000);
        assert_true(j >= 2000 && j < 4400);
    }
    lease_free(e);
}

/* ---- the thread ---- */

struct sync_events {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned started, stopped;
};

static void sync_started(void *userdata)
{
    struct sync_events *s = userdata;
    pthread_mutex_lock(&s->m);
    s->started++;
    pthread_cond_broadcast(&s->c);
    pthread_mutex_unlock(&s->m);
}

static void sync_stopped(void *userdata)
{
    struct sync_events *s = userdata;
    pthread_mutex_lock(&s->m);
    s->stopped++;
    pthread_mutex_unlock(&s->m);
}

static void test_lease_thread_start_release(void **state)
{
    (void)state;
    struct fake_store store = {0};
    struct fake_clock clock = {.now_ms = 5000, .wall_us = T0_WALL_US};
    struct sync_events s = {.m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};
    struct lease_lock lock = fake_lock(&store);
    struct lease_elector *e = NULL;
    /* The fake clock stands still: the thread only ever runs its first
     * round and then waits for the (real) retry period or for stop. */
    assert_int_equal(lease_new(&e, &lock,
                               &(struct lease_opts){
                                       .identity = "t",
                                       .clock = &(struct lease_clock){.now_ms = fake_now_ms,
                                                                      .wall_us = fake_wall_us,
                                                                      .userdata = &clock},
                                       .callbacks = &(struct lease_callbacks){
                                               .started_leading = sync_started,
                                               .stopped_leading = sync_stopped,
                                               .userdata = &s},
                               }),
                     0);
    assert_int_equal(lease_start(e), 0);
    assert_int_equal(lease_start(e), -EBUSY);
    pthread_mutex_lock(&s.m);
    while (s.started == 0)
        pthread_cond_wait(&s.c, &s.m);
    pthread_mutex_unlock(&s.m);
    assert_true(lease_is_leader(e));

    assert_int_equal(lease_release(e), 0);
    assert_false(lease_is_leader(e));
    assert_int_equal(s.started, 1);
    assert_int_equal(s.stopped, 1);
    assert_string_equal(store.rec.holder_identity, "");
    assert_int_equal(store.rec.lease_duration_seconds, 1);
    assert_int_equal(lease_start(e), -EBUSY);
    lease_free(e);
    store_done(&store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lease_acquire_when_absent),
            cmocka_unit_test(test_lease_create_race_lost),
            cmocka_unit_test(test_lease_wait_while_held_and_fresh),
            cmocka_unit_test(test_lease_takeover_after_expiry),
            cmocka_unit_test(test_lease_observation_restarts_on_change),
            cmocka_unit_test(test_lease_takeover_released),
            cmocka_unit_test(test_lease_campaign_errors),
            cmocka_unit_test(test_lease_conflict_on_update),
            cmocka_unit_test(test_lease_renew),
            cmocka_unit_test(test_lease_renew_after_fast_path_failure),
            cmocka_unit_test(test_lease_step_down_after_renew_deadline),
            cmocka_unit_test(test_lease_step_down_after_slow_call),
            cmocka_unit_test(test_lease_step_down_when_taken),
            cmocka_unit_test(test_lease_release),
            cmocka_unit_test(test_lease_release_conflict),
            cmocka_unit_test(test_lease_stop),
            cmocka_unit_test(test_lease_two_candidates),
            cmocka_unit_test(test_lease_new_invalid),
            cmocka_unit_test(test_lease_default_identity),
            cmocka_unit_test(test_lease_jitter_range),
            cmocka_unit_test(test_lease_thread_start_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
