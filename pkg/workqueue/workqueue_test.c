/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workqueue semantics, table-driven: each case is a script of operations on
 * one queue with a fake clock, with the expected return of every step; the
 * structural invariants are checked after every step. The blocking tests use
 * threads synchronised with condition variables or with the queue's own
 * state, never with sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "workqueue/workqueue-internal.h"

struct fake_clock {
    _Atomic uint64_t now;
};

static uint64_t fake_now(void *userdata)
{
    struct fake_clock *c = userdata;
    return atomic_load(&c->now);
}

static struct wq *new_queue(struct fake_clock *clock, const struct wq_opts *base)
{
    struct wq_opts o = base ? *base : (struct wq_opts){0};
    o.clock = &(struct wq_clock){.now_ms = fake_now, .userdata = clock};
    struct wq *q = NULL;
    assert_int_equal(wq_new(&q, &o), 0);
    assert_non_null(q);
    return q;
}

/* ---- the script runner ---- */

enum op {
    OP_ADD,
    OP_ADD_AFTER,
    OP_ADD_RL,
    OP_GET, /* wq_try_get: ret, and the key when ret == 0 */
    OP_DONE,
    OP_FORGET,
    OP_REQUEUES,
    OP_ADVANCE, /* fake clock += arg */
    OP_TICK,
    OP_SHUTDOWN,
    OP_STATS, /* stats field selected by key, expected in arg */
    _OP_MAX,
};

struct step {
    enum op op;
    const char *key;
    uint64_t arg;
    int ret;
};

struct script {
    const char *name;
    struct wq_opts opts;
    const struct step *steps;
    size_t n_steps;
};

#define ADD(k, r)                            \
    {                                        \
        .op = OP_ADD, .key = (k), .ret = (r) \
    }
#define AFTER(k, d, r)                                         \
    {                                                          \
        .op = OP_ADD_AFTER, .key = (k), .arg = (d), .ret = (r) \
    }
#define RL(k, r)                                \
    {                                           \
        .op = OP_ADD_RL, .key = (k), .ret = (r) \
    }
#define GET(k)                             \
    {                                      \
        .op = OP_GET, .key = (k), .ret = 0 \
    }
#define GET_ERR(r)               \
    {                            \
        .op = OP_GET, .ret = (r) \
    }
#define DONE(k, r)                            \
    {                                         \
        .op = OP_DONE, .key = (k), .ret = (r) \
    }
#define FORGET(k, r)                            \
    {                                           \
        .op = OP_FORGET, .key = (k), .ret = (r) \
    }
#define REQUEUES(k, r)                            \
    {                                             \
        .op = OP_REQUEUES, .key = (k), .ret = (r) \
    }
#define ADVANCE(ms)                   \
    {                                 \
        .op = OP_ADVANCE, .arg = (ms) \
    }
#define TICK(r)                   \
    {                             \
        .op = OP_TICK, .ret = (r) \
    }
#define SHUTDOWN()        \
    {                     \
        .op = OP_SHUTDOWN \
    }
#define STAT(field, v)                             \
    {                                              \
        .op = OP_STATS, .key = (field), .arg = (v) \
    }

#define SCRIPT(n, o, ...)                                                           \
    {                                                                               \
        .name = (n), .opts = o, .steps = (const struct step[]){__VA_ARGS__},        \
        .n_steps = sizeof((const struct step[]){__VA_ARGS__}) / sizeof(struct step) \
    }
#define OPTS(...) ((struct wq_opts){__VA_ARGS__})
#define NO_OPTS   OPTS(0)

static uint64_t stat_field(const struct wq_stats *s, const char *field)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
            {"depth", offsetof(struct wq_stats, depth)},
            {"queued", offsetof(struct wq_stats, queued)},
            {"processing", offsetof(struct wq_stats, processing)},
            {"waiting", offsetof(struct wq_stats, waiting)},
            {"keys", offsetof(struct wq_stats, keys)},
            {"adds", offsetof(struct wq_stats, adds)},
            {"retries", offsetof(struct wq_stats, retries)},
            {"work_count", offsetof(struct wq_stats, work_count)},
            {"work_duration_sum_ms", offsetof(struct wq_stats, work_duration_sum_ms)},
            {"queue_latency_sum_ms", offsetof(struct wq_stats, queue_latency_sum_ms)},
            {"longest_running_ms", offsetof(struct wq_stats, longest_running_ms)},
            {"unfinished_work_ms", offsetof(struct wq_stats, unfinished_work_ms)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        if (strcmp(fields[i].name, field) == 0) {
            uint64_t v;
            memcpy(&v, (const char *)s + fields[i].off, sizeof(v));
            return v;
        }
    fail_msg("unknown stats field %s", field);
    return 0;
}

static int run_step(struct wq *q, struct fake_clock *clock, const struct step *s, uint64_t *got)
{
    const char *k = NULL;
    struct wq_stats st;
    int r;

    switch (s->op) {
    case OP_ADD:
        return wq_add(q, s->key);
    case OP_ADD_AFTER:
        return wq_add_after(q, s->key, s->arg);
    case OP_ADD_RL:
        return wq_add_rate_limited(q, s->key);
    case OP_GET:
        r = wq_try_get(q, &k);
        if (r == 0 && (!s->key || strcmp(k, s->key) != 0))
            fail_msg("got key %s, want %s", k, s->key ? s->key : "(error)");
        return r;
    case OP_DONE:
        return wq_done(q, s->key);
    case OP_FORGET:
        return wq_forget(q, s->key);
    case OP_REQUEUES:
        return wq_num_requeues(q, s->key);
    case OP_ADVANCE:
        atomic_fetch_add(&clock->now, s->arg);
        return 0;
    case OP_TICK:
        return wq_tick(q);
    case OP_SHUTDOWN:
        return wq_shutdown(q);
    case OP_STATS:
        r = wq_stats(q, &st);
        *got = stat_field(&st, s->key);
        return r;
    default:
        fail_msg("bad op %d", (int)s->op);
        return -EINVAL;
    }
}

static void run_scripts(const struct script *scripts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct fake_clock clock = {0};
        _cleanup_wq_ struct wq *q = new_queue(&clock, &scripts[i].opts);
        for (size_t j = 0; j < scripts[i].n_steps; j++) {
            const struct step *s = &scripts[i].steps[j];
            uint64_t got = s->arg;
            int r = run_step(q, &clock, s, &got);
            if (r != s->ret)
                fail_msg("%s, step %zu: returned %d, want %d", scripts[i].name, j, r, s->ret);
            if (s->op == OP_STATS && got != s->arg)
                fail_msg("%s, step %zu: %s = %llu, want %llu", scripts[i].name, j, s->key,
                         (unsigned long long)got, (unsigned long long)s->arg);
            if (wq_check_invariants(q) < 0)
                fail_msg("%s, step %zu: invariants broken", scripts[i].name, j);
        }
    }
}

/* ---- table-driven semantics ---- */

static void test_wq_add_dedupes(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("queued key is a no-op", NO_OPTS, ADD("a", 1), ADD("a", 0), ADD("b", 1),
                   ADD("a", 0), ADD("b", 0), STAT("depth", 2), STAT("adds", 2), GET("a"), GET("b"),
                   GET_ERR(-EAGAIN)),
            SCRIPT("key can be added again once handed out", NO_OPTS, ADD("a", 1), GET("a"),
                   DONE("a", 0), ADD("a", 1), GET("a"), DONE("a", 0), STAT("adds", 2),
                   STAT("keys", 0)),
            SCRIPT("keys compare by content", NO_OPTS, ADD("ns/x", 1), ADD("ns/x\0ignored", 0),
                   ADD("ns/xy", 1), ADD("ns/", 1), STAT("depth", 3)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_add_rejects_bad_keys(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("NULL and empty", NO_OPTS, ADD(NULL, -EINVAL), ADD("", -EINVAL),
                   AFTER("", 5, -EINVAL), AFTER(NULL, 5, -EINVAL), RL("", -EINVAL),
                   RL(NULL, -EINVAL), DONE(NULL, -EINVAL), DONE("", -EINVAL), FORGET("", -EINVAL),
                   FORGET(NULL, -EINVAL), REQUEUES("", -EINVAL), REQUEUES(NULL, -EINVAL),
                   STAT("keys", 0), STAT("adds", 0), STAT("retries", 0)),
            SCRIPT("length cap", OPTS(.max_key_len = 8), ADD("12345678", 1),
                   ADD("123456789", -E2BIG), AFTER("123456789", 1, -E2BIG), RL("123456789", -E2BIG),
                   DONE("123456789", -E2BIG), FORGET("123456789", -E2BIG),
                   REQUEUES("123456789", -E2BIG), STAT("keys", 1), GET("12345678")),
            SCRIPT("key count cap", OPTS(.max_keys = 2), ADD("a", 1), ADD("b", 1),
                   ADD("c", -ENOSPC), AFTER("c", 5, -ENOSPC), RL("c", -ENOSPC), ADD("a", 0),
                   STAT("keys", 2), STAT("retries", 0), GET("a"), DONE("a", 0), ADD("c", 1),
                   STAT("keys", 2)),
            SCRIPT("failure counts hold a key slot", OPTS(.max_keys = 1), RL("a", 1), ADVANCE(5),
                   GET("a"), DONE("a", 0), ADD("b", -ENOSPC), FORGET("a", 0), ADD("b", 1)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_get_processing_exclusive(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("re-added key waits for done", NO_OPTS, ADD("a", 1), GET("a"), ADD("a", 1),
                   GET_ERR(-EAGAIN), STAT("depth", 1), STAT("queued", 0), STAT("processing", 1),
                   DONE("a", 0), STAT("queued", 1), GET("a"), DONE("a", 0), GET_ERR(-EAGAIN)),
            SCRIPT("other keys are not blocked", NO_OPTS, ADD("a", 1), GET("a"), ADD("a", 1),
                   ADD("b", 1), GET("b"), GET_ERR(-EAGAIN), DONE("b", 0), DONE("a", 0), GET("a")),
            SCRIPT("done of a key not processing", NO_OPTS, DONE("a", -ENOENT), ADD("a", 1),
                   DONE("a", -ENOENT), GET("a"), DONE("a", 0), DONE("a", -ENOENT),
                   STAT("work_count", 1)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_add_during_processing_collapses(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("many adds, one more pass", NO_OPTS, ADD("a", 1), GET("a"), ADD("a", 1),
                   ADD("a", 0), ADD("a", 0), ADD("a", 0), STAT("adds", 2), DONE("a", 0), GET("a"),
                   GET_ERR(-EAGAIN), DONE("a", 0), GET_ERR(-EAGAIN), STAT("keys", 0)),
            SCRIPT("requeued key goes to the tail", NO_OPTS, ADD("a", 1), ADD("b", 1), GET("a"),
                   ADD("a", 1), ADD("c", 1), DONE("a", 0), GET("b"), GET("c"), GET("a")),
            SCRIPT("due delayed add while processing", NO_OPTS, ADD("a", 1), GET("a"),
                   AFTER("a", 10, 1), ADVANCE(10), TICK(1), GET_ERR(-EAGAIN), STAT("depth", 1),
                   DONE("a", 0), GET("a")),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_get_fifo_order(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("insertion order", NO_OPTS, ADD("c", 1), ADD("a", 1), ADD("b", 1), ADD("a", 0),
                   GET("c"), GET("a"), GET("b")),
            SCRIPT("interleaved", NO_OPTS, ADD("x", 1), GET("x"), ADD("y", 1), ADD("z", 1),
                   GET("y"), ADD("x", 1), DONE("x", 0), ADD("w", 1), GET("z"), GET("x"), GET("w")),
            SCRIPT("due delayed keys keep their deadline order", NO_OPTS, AFTER("a", 10, 1),
                   ADVANCE(20), ADD("b", 1), GET("a"), GET("b")),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_add_after_fake_clock(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("fires at its deadline, not before", NO_OPTS, AFTER("a", 100, 1),
                   GET_ERR(-EAGAIN), STAT("waiting", 1), STAT("depth", 0), ADVANCE(99),
                   GET_ERR(-EAGAIN), ADVANCE(1), STAT("waiting", 0), STAT("depth", 1), GET("a"),
                   STAT("retries", 1), STAT("adds", 1)),
            SCRIPT("earlier deadline wins", NO_OPTS, AFTER("a", 100, 1), AFTER("a", 50, 1),
                   ADVANCE(50), GET("a"), DONE("a", 0), ADVANCE(100), GET_ERR(-EAGAIN),
                   STAT("keys", 0)),
            SCRIPT("later or equal deadline ignored", NO_OPTS, AFTER("a", 50, 1),
                   AFTER("a", 100, 0), ADVANCE(10), AFTER("a", 40, 0), STAT("retries", 3),
                   ADVANCE(40), GET("a"), DONE("a", 0), ADVANCE(100), GET_ERR(-EAGAIN)),
            SCRIPT("zero delay is a plain add", NO_OPTS, AFTER("a", 0, 1), AFTER("a", 0, 0),
                   STAT("waiting", 0), GET("a"), STAT("retries", 2), STAT("adds", 1)),
            SCRIPT("deadline order, ties in order set", NO_OPTS, AFTER("a", 30, 1),
                   AFTER("b", 10, 1), AFTER("c", 20, 1), AFTER("d", 20, 1), AFTER("e", 30, 1),
                   ADVANCE(30), TICK(5), GET("b"), GET("c"), GET("d"), GET("a"), GET("e")),
            SCRIPT("plain add does not cancel a delayed add", NO_OPTS, AFTER("a", 10, 1),
                   ADD("a", 1), GET("a"), DONE("a", 0), ADVANCE(10), GET("a"), DONE("a", 0),
                   STAT("keys", 0)),
            SCRIPT("due add of a queued key collapses", NO_OPTS, AFTER("a", 10, 1), ADD("a", 1),
                   ADVANCE(10), TICK(0), GET("a"), GET_ERR(-EAGAIN)),
            SCRIPT("huge delay saturates", NO_OPTS, ADVANCE(1000), AFTER("a", UINT64_MAX, 1),
                   ADVANCE(UINT64_C(1) << 62), GET_ERR(-EAGAIN), TICK(0), STAT("waiting", 1)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_shutdown_semantics(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("adds refused, queued keys still handed out", NO_OPTS, ADD("a", 1), ADD("b", 1),
                   GET("a"), SHUTDOWN(), ADD("c", -ESHUTDOWN), AFTER("c", 5, -ESHUTDOWN),
                   RL("c", -ESHUTDOWN), ADD("b", -ESHUTDOWN), GET("b"), GET_ERR(-ESHUTDOWN),
                   DONE("a", 0), DONE("b", 0), GET_ERR(-ESHUTDOWN), STAT("keys", 0), SHUTDOWN()),
            SCRIPT("a pass asked for before shutdown still runs", NO_OPTS, ADD("a", 1), GET("a"),
                   ADD("a", 1), SHUTDOWN(), GET_ERR(-ESHUTDOWN), DONE("a", 0), GET("a"),
                   DONE("a", 0), GET_ERR(-ESHUTDOWN)),
            SCRIPT("delayed adds are dropped", NO_OPTS, AFTER("a", 10, 1), SHUTDOWN(), ADVANCE(10),
                   TICK(0), GET_ERR(-ESHUTDOWN), STAT("waiting", 1), STAT("depth", 0)),
            SCRIPT("forget and requeues still answer", NO_OPTS, RL("a", 1), SHUTDOWN(),
                   REQUEUES("a", 1), FORGET("a", 0), REQUEUES("a", 0)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

static void test_wq_stats_counters(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("durations on the fake clock", NO_OPTS, ADD("a", 1), ADVANCE(10), GET("a"),
                   STAT("queue_latency_sum_ms", 10), ADVANCE(30), ADD("b", 1), ADVANCE(5), GET("b"),
                   STAT("processing", 2), STAT("longest_running_ms", 35),
                   STAT("unfinished_work_ms", 35 + 0), ADVANCE(1),
                   STAT("unfinished_work_ms", 36 + 1), DONE("a", 0),
                   STAT("work_duration_sum_ms", 36), STAT("work_count", 1),
                   STAT("longest_running_ms", 1), STAT("queue_latency_sum_ms", 15), DONE("b", 0),
                   STAT("work_duration_sum_ms", 37), STAT("longest_running_ms", 0),
                   STAT("unfinished_work_ms", 0)),
            SCRIPT("depth counts parked keys", NO_OPTS, ADD("a", 1), ADD("b", 1), GET("a"),
                   ADD("a", 1), STAT("depth", 2), STAT("queued", 1), AFTER("c", 5, 1),
                   STAT("waiting", 1), STAT("keys", 3), STAT("retries", 1), STAT("adds", 3)),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

/* ---- rate limiting ---- */

static void test_wq_add_rate_limited_backoff_sequence(void **state)
{
    (void)state;
    /* 5, 10, 20, ... ms until 5 * 2^18 passes the 1000 s cap. Each step is
     * observed through the queue: not ready 1 ms early, ready on time. */
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    uint64_t want = 5;
    for (int n = 0; n < 24; n++) {
        const char *k = NULL;
        assert_int_equal(wq_add_rate_limited(q, "ns/a"), 1);
        assert_int_equal(wq_num_requeues(q, "ns/a"), n + 1);
        atomic_fetch_add(&clock.now, want - 1);
        assert_int_equal(wq_try_get(q, &k), -EAGAIN);
        atomic_fetch_add(&clock.now, 1);
        assert_int_equal(wq_try_get(q, &k), 0);
        assert_string_equal(k, "ns/a");
        assert_int_equal(wq_done(q, k), 0);
        want = want * 2 > 1000000 ? 1000000 : want * 2;
    }
    assert_int_equal(want, 1000000);
    assert_int_equal(wq_check_invariants(q), 0);
}

static void test_wq_add_rate_limited_bucket_limits(void **state)
{
    (void)state;
    /* 100 distinct keys use the burst (each still waits its 5 ms backoff);
     * the next ones wait for the 10 qps refill: 100 ms, 200 ms, ... */
    static const struct {
        uint32_t qps, burst;
        unsigned keys;
        uint64_t first_wait; /* of key number burst (0-based) */
        uint64_t step;
    } cases[] = {
            {0, 0, 104, 100, 100},  /* client-go defaults */
            {50, 300, 303, 20, 20}, /* sample-controller's settings */
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct fake_clock clock = {0};
        _cleanup_wq_ struct wq *q =
                new_queue(&clock, &(struct wq_opts){.qps = cases[c].qps, .burst = cases[c].burst});
        uint32_t burst = cases[c].burst ? cases[c].burst : 100;
        char key[32];
        for (unsigned i = 0; i < cases[c].keys; i++) {
            snprintf(key, sizeof(key), "k%u", i);
            assert_int_equal(wq_add_rate_limited(q, key), 1);
        }
        /* At 5 ms the burst is ready, in order; the rest are not. */
        atomic_store(&clock.now, 5);
        const char *k;
        for (unsigned i = 0; i < burst; i++) {
            snprintf(key, sizeof(key), "k%u", i);
            assert_int_equal(wq_try_get(q, &k), 0);
            assert_string_equal(k, key);
        }
        assert_int_equal(wq_try_get(q, &k), -EAGAIN);
        for (unsigned i = burst; i < cases[c].keys; i++) {
            uint64_t at = cases[c].first_wait + (i - burst) * cases[c].step;
            atomic_store(&clock.now, at - 1);
            assert_int_equal(wq_try_get(q, &k), -EAGAIN);
            atomic_store(&clock.now, at);
            assert_int_equal(wq_try_get(q, &k), 0);
            snprintf(key, sizeof(key), "k%u", i);
            assert_string_equal(k, key);
        }
        assert_int_equal(wq_check_invariants(q), 0);
    }
}

static void test_wq_forget_resets_backoff(void **state)
{
    (void)state;
    const struct script scripts[] = {
            SCRIPT("forget starts over at 5 ms", NO_OPTS, RL("a", 1), REQUEUES("a", 1), ADVANCE(5),
                   GET("a"), DONE("a", 0), RL("a", 1), REQUEUES("a", 2), ADVANCE(9),
                   GET_ERR(-EAGAIN), ADVANCE(1), GET("a"), FORGET("a", 0), REQUEUES("a", 0),
                   DONE("a", 0), STAT("keys", 0), RL("a", 1), ADVANCE(4), GET_ERR(-EAGAIN),
                   ADVANCE(1), GET("a")),
            SCRIPT("forget does not cancel a pending add", NO_OPTS, RL("a", 1), FORGET("a", 0),
                   STAT("waiting", 1), ADVANCE(5), GET("a")),
            SCRIPT("forget of unknown keys", NO_OPTS, FORGET("nope", 0), REQUEUES("nope", 0),
                   STAT("keys", 0)),
            SCRIPT("failures grow even when the add is ignored", NO_OPTS, RL("a", 1), RL("a", 0),
                   RL("a", 0), REQUEUES("a", 3), STAT("retries", 3)),
            SCRIPT("custom base and cap", OPTS(.base_delay_ms = 100, .max_delay_ms = 250),
                   RL("a", 1), ADVANCE(100), GET("a"), DONE("a", 0), RL("a", 1), ADVANCE(199),
                   GET_ERR(-EAGAIN), ADVANCE(1), GET("a"), DONE("a", 0), RL("a", 1), ADVANCE(249),
                   GET_ERR(-EAGAIN), ADVANCE(1), GET("a")),
    };
    run_scripts(scripts, ARRAY_SIZE(scripts));
}

/* ---- construction and argument checks ---- */

static void test_wq_new_rejects_bad_options(void **state)
{
    (void)state;
    struct wq_clock no_fn = {0};
    const struct {
        const char *name;
        struct wq_opts opts;
        int want;
    } cases[] = {
            {"defaults", {0}, 0},
            {"qps at the limit", {.qps = WQ_LIMIT_MAX_QPS}, 0},
            {"qps too high", {.qps = WQ_LIMIT_MAX_QPS + 1}, -EINVAL},
            {"key length at the limit", OPTS(.max_key_len = WQ_LIMIT_MAX_KEY_LEN), 0},
            {"key length too high", OPTS(.max_key_len = WQ_LIMIT_MAX_KEY_LEN + 1), -EINVAL},
            {"clock without function", {.clock = &no_fn}, -EINVAL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct wq *q = (struct wq *)0x1;
        int r = wq_new(&q, &cases[i].opts);
        if (r != cases[i].want)
            fail_msg("%s: got %d want %d", cases[i].name, r, cases[i].want);
        if (r < 0)
            assert_ptr_equal(q, (struct wq *)0x1); /* untouched on failure */
        else
            assert_null(wq_free(q));
    }
    assert_int_equal(wq_new(NULL, NULL), -EINVAL);
    assert_null(wq_free(NULL));
}

static void test_wq_null_queue_rejected(void **state)
{
    (void)state;
    const char *k = NULL;
    struct wq_stats s;
    assert_int_equal(wq_add(NULL, "a"), -EINVAL);
    assert_int_equal(wq_add_after(NULL, "a", 1), -EINVAL);
    assert_int_equal(wq_add_rate_limited(NULL, "a"), -EINVAL);
    assert_int_equal(wq_get(NULL, &k), -EINVAL);
    assert_int_equal(wq_try_get(NULL, &k), -EINVAL);
    assert_int_equal(wq_done(NULL, "a"), -EINVAL);
    assert_int_equal(wq_forget(NULL, "a"), -EINVAL);
    assert_int_equal(wq_num_requeues(NULL, "a"), -EINVAL);
    assert_int_equal(wq_tick(NULL), -EINVAL);
    assert_int_equal(wq_shutdown(NULL), -EINVAL);
    assert_int_equal(wq_shutdown_drain(NULL), -EINVAL);
    assert_false(wq_is_shutting_down(NULL));
    assert_int_equal(wq_stats(NULL, &s), -EINVAL);

    _cleanup_wq_ struct wq *q = NULL;
    assert_int_equal(wq_new(&q, NULL), 0);
    assert_int_equal(wq_get(q, NULL), -EINVAL);
    assert_int_equal(wq_try_get(q, NULL), -EINVAL);
    assert_int_equal(wq_stats(q, NULL), -EINVAL);
    assert_null(k);
}

static void test_wq_default_clock_immediate_work(void **state)
{
    (void)state;
    _cleanup_wq_ struct wq *q = NULL;
    assert_int_equal(wq_new(&q, NULL), 0);
    const char *k = NULL;
    assert_int_equal(wq_add_after(q, "later", 3600 * 1000), 1);
    assert_int_equal(wq_add_after(q, "now", 0), 1);
    assert_int_equal(wq_get(q, &k), 0); /* does not block: "now" is queued */
    assert_string_equal(k, "now");
    assert_int_equal(wq_try_get(q, &k), -EAGAIN);
    assert_int_equal(wq_done(q, "now"), 0);
    assert_false(wq_is_shutting_down(q));
    assert_int_equal(wq_shutdown(q), 0);
    assert_true(wq_is_shutting_down(q));
    assert_int_equal(wq_get(q, &k), -ESHUTDOWN);
}

static void test_wq_many_keys_fifo(void **state)
{
    (void)state;
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    enum { N = 5000 };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "default/hw-%05d", i);
        assert_int_equal(wq_add(q, key), 1);
    }
    assert_int_equal(wq_check_invariants(q), 0);
    for (int i = 0; i < N; i++) {
        const char *k;
        snprintf(key, sizeof(key), "default/hw-%05d", i);
        assert_int_equal(wq_try_get(q, &k), 0);
        assert_string_equal(k, key);
        assert_int_equal(wq_done(q, k), 0);
    }
    struct wq_stats s;
    assert_int_equal(wq_stats(q, &s), 0);
    assert_int_equal(s.keys, 0);
    assert_int_equal(s.work_count, N);
    assert_int_equal(wq_check_invariants(q), 0);
}

/* ---- blocking behaviour, with threads ---- */

struct getter {
    pthread_t thread;
    struct wq *q;
    int ret;
    char key[64];
    /* "started" handshake */
    pthread_mutex_t *m;
    pthread_cond_t *c;
    unsigned *started;
};

static void *getter_main(void *p)
{
    struct getter *g = p;
    const char *k = NULL;
    /* No cmocka asserts off the main thread: record, check after join. */
    (void)pthread_mutex_lock(g->m);
    (*g->started)++;
    (void)pthread_cond_broadcast(g->c);
    (void)pthread_mutex_unlock(g->m);
    g->ret = wq_get(g->q, &k);
    if (g->ret == 0)
        snprintf(g->key, sizeof(g->key), "%s", k);
    return NULL;
}

struct getters {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned started;
    struct getter g[4];
    size_t n;
};

static void getters_start(struct getters *gs, struct wq *q, size_t n)
{
    assert_true(n <= ARRAY_SIZE(gs->g));
    assert_int_equal(pthread_mutex_init(&gs->m, NULL), 0);
    assert_int_equal(pthread_cond_init(&gs->c, NULL), 0);
    gs->started = 0;
    gs->n = n;
    for (size_t i = 0; i < n; i++) {
        gs->g[i] = (struct getter){.q = q, .m = &gs->m, .c = &gs->c, .started = &gs->started};
        assert_int_equal(pthread_create(&gs->g[i].thread, NULL, getter_main, &gs->g[i]), 0);
    }
    assert_int_equal(pthread_mutex_lock(&gs->m), 0);
    while (gs->started < n)
        assert_int_equal(pthread_cond_wait(&gs->c, &gs->m), 0);
    assert_int_equal(pthread_mutex_unlock(&gs->m), 0);
}

static void getters_join(struct getters *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        assert_int_equal(pthread_join(gs->g[i].thread, NULL), 0);
    assert_int_equal(pthread_cond_destroy(&gs->c), 0);
    assert_int_equal(pthread_mutex_destroy(&gs->m), 0);
}

static void test_wq_get_blocks_until_add(void **state)
{
    (void)state;
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    struct getters gs;
    getters_start(&gs, q, 2);
    assert_int_equal(wq_add(q, "a"), 1);
    assert_int_equal(wq_add(q, "b"), 1);
    getters_join(&gs);
    assert_int_equal(gs.g[0].ret, 0);
    assert_int_equal(gs.g[1].ret, 0);
    /* Each key to exactly one getter. */
    assert_true((strcmp(gs.g[0].key, "a") == 0 && strcmp(gs.g[1].key, "b") == 0) ||
                (strcmp(gs.g[0].key, "b") == 0 && strcmp(gs.g[1].key, "a") == 0));
    struct wq_stats s;
    assert_int_equal(wq_stats(q, &s), 0);
    assert_int_equal(s.processing, 2);
}

static void test_wq_get_wakes_for_due_delayed_key(void **state)
{
    (void)state;
    /* A getter sleeping on an earliest deadline wakes when the fake clock
     * passes it and wq_tick() announces it; a deadline added while it sleeps
     * shortens its wait. */
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    assert_int_equal(wq_add_after(q, "late", 100000), 1);
    struct getters gs;
    getters_start(&gs, q, 1);
    assert_int_equal(wq_add_after(q, "soon", 50), 1);
    atomic_store(&clock.now, 50);
    assert_true(wq_tick(q) >= 0); /* 0 if the getter promoted it first */
    getters_join(&gs);
    assert_int_equal(gs.g[0].ret, 0);
    assert_string_equal(gs.g[0].key, "soon");
    assert_int_equal(wq_check_invariants(q), 0);
}

static void test_wq_shutdown_wakes_getters(void **state)
{
    (void)state;
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    assert_int_equal(wq_add_after(q, "never", 10), 1); /* some wait on a deadline */
    struct getters gs;
    getters_start(&gs, q, 4);
    assert_int_equal(wq_shutdown(q), 0);
    getters_join(&gs);
    for (size_t i = 0; i < gs.n; i++)
        assert_int_equal(gs.g[i].ret, -ESHUTDOWN);
}

struct drainer {
    pthread_t thread;
    struct wq *q;
    atomic_int *done_calls; /* wq_done() calls made before the drain returned */
    int seen_done_calls;
    int ret;
};

static void *drainer_main(void *p)
{
    struct drainer *d = p;
    d->ret = wq_shutdown_drain(d->q);
    d->seen_done_calls = atomic_load(d->done_calls);
    return NULL;
}

static void wait_shutting_down(struct wq *q)
{
    /* The drainer sets the flag under the lock before it waits; spin (not
     * sleep) until it has, so the drain is in progress from here on. */
    while (!wq_is_shutting_down(q))
        (void)sched_yield();
}

static void test_wq_shutdown_drain_waits_for_done(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool readd; /* the key is re-added during its pass */
        int done_calls;
    } cases[] = {
            {"in-flight pass", false, 1},
            {"re-queued pass is drained too", true, 2},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_clock clock = {0};
        _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
        atomic_int done_calls = 0;
        const char *k;
        assert_int_equal(wq_add(q, "a"), 1);
        assert_int_equal(wq_try_get(q, &k), 0);
        if (cases[i].readd)
            assert_int_equal(wq_add(q, "a"), 1);

        struct drainer d = {.q = q, .done_calls = &done_calls, .ret = 1};
        assert_int_equal(pthread_create(&d.thread, NULL, drainer_main, &d), 0);
        wait_shutting_down(q);
        assert_int_equal(wq_add(q, "b"), -ESHUTDOWN);
        for (int n = 0; n < cases[i].done_calls; n++) {
            if (n > 0)
                assert_int_equal(wq_get(q, &k), 0); /* the re-queued pass */
            atomic_fetch_add(&done_calls, 1);
            assert_int_equal(wq_done(q, "a"), 0);
        }
        assert_int_equal(pthread_join(d.thread, NULL), 0);
        if (d.ret != 0 || d.seen_done_calls != cases[i].done_calls)
            fail_msg("%s: drain returned %d after %d done calls", cases[i].name, d.ret,
                     d.seen_done_calls);
        assert_int_equal(wq_get(q, &k), -ESHUTDOWN);
    }
}

static void test_wq_shutdown_cancels_drain(void **state)
{
    (void)state;
    struct fake_clock clock = {0};
    _cleanup_wq_ struct wq *q = new_queue(&clock, NULL);
    atomic_int done_calls = 0;
    const char *k;
    assert_int_equal(wq_add(q, "a"), 1);
    assert_int_equal(wq_try_get(q, &k), 0);
    struct drainer d = {.q = q, .done_calls = &done_calls, .ret = 1};
    assert_int_equal(pthread_create(&d.thread, NULL, drainer_main, &d), 0);
    wait_shutting_down(q);
    assert_int_equal(wq_shutdown(q), 0);
    assert_int_equal(pthread_join(d.thread, NULL), 0);
    assert_int_equal(d.ret, -ECANCELED);
    assert_int_equal(wq_done(q, k), 0);
    assert_int_equal(wq_shutdown_drain(q), 0); /* nothing left: returns at once */
}

/* Workers and producers hammer a few keys; every pass checks that no other
 * worker holds the same key. Meant for TSan as much as for the asserts. */
enum { STRESS_KEYS = 8, STRESS_WORKERS = 4, STRESS_PRODUCERS = 3, STRESS_ADDS = 3000 };

struct stress {
    struct wq *q;
    struct fake_clock *clock;
    atomic_int in_flight[STRESS_KEYS];
    atomic_int violations;
    atomic_ulong passes;
};

static int stress_key_index(const char *k)
{
    return k[0] - 'a';
}

static void *stress_worker(void *p)
{
    struct stress *s = p;
    const char *k;
    while (wq_get(s->q, &k) == 0) {
        int i = stress_key_index(k);
        if (i < 0 || i >= STRESS_KEYS || atomic_exchange(&s->in_flight[i], 1) != 0)
            atomic_fetch_add(&s->violations, 1);
        atomic_fetch_add(&s->passes, 1);
        if (i >= 0 && i < STRESS_KEYS)
            atomic_store(&s->in_flight[i], 0);
        if (wq_done(s->q, k) != 0)
            atomic_fetch_add(&s->violations, 1);
    }
    return NULL;
}

static void *stress_producer(void *p)
{
    struct stress *s = p;
    for (unsigned n = 0; n < STRESS_ADDS; n++) {
        char key[2] = {(char)('a' + n % STRESS_KEYS), 0};
        int r;
        switch (n % 5) {
        case 0:
            r = wq_add_rate_limited(s->q, key);
            break;
        case 1:
            r = wq_add_after(s->q, key, n % 7);
            break;
        case 2:
            r = wq_forget(s->q, key);
            break;
        default:
            r = wq_add(s->q, key);
        }
        if (r < 0)
            atomic_fetch_add(&s->violations, 1);
        if (n % 16 == 0) {
            atomic_fetch_add(&s->clock->now, 3);
            if (wq_tick(s->q) < 0)
                atomic_fetch_add(&s->violations, 1);
        }
    }
    return NULL;
}

static void test_wq_concurrent_workers_exclusive(void **state)
{
    (void)state;
    struct fake_clock clock = {0};
    /* A small bucket so rate-limited adds really get delayed. */
    _cleanup_wq_ struct wq *q = new_queue(&clock, &(struct wq_opts){.qps = 1000, .burst = 5});
    struct stress s = {.q = q, .clock = &clock};
    pthread_t workers[STRESS_WORKERS], producers[STRESS_PRODUCERS];
    for (size_t i = 0; i < ARRAY_SIZE(workers); i++)
        assert_int_equal(pthread_create(&workers[i], NULL, stress_worker, &s), 0);
    for (size_t i = 0; i < ARRAY_SIZE(producers); i++)
        assert_int_equal(pthread_create(&producers[i], NULL, stress_producer, &s), 0);
    for (size_t i = 0; i < ARRAY_SIZE(producers); i++)
        assert_int_equal(pthread_join(producers[i], NULL), 0);
    assert_int_equal(wq_shutdown_drain(q), 0);
    for (size_t i = 0; i < ARRAY_SIZE(workers); i++)
        assert_int_equal(pthread_join(workers[i], NULL), 0);

    assert_int_equal(atomic_load(&s.violations), 0);
    struct wq_stats st;
    assert_int_equal(wq_stats(q, &st), 0);
    assert_int_equal(st.processing, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.work_count, atomic_load(&s.passes));
    assert_true(st.work_count >= 1);
    assert_true(st.work_count <= st.adds);
    assert_int_equal(wq_check_invariants(q), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_wq_add_dedupes),
            cmocka_unit_test(test_wq_add_rejects_bad_keys),
            cmocka_unit_test(test_wq_get_processing_exclusive),
            cmocka_unit_test(test_wq_add_during_processing_collapses),
            cmocka_unit_test(test_wq_get_fifo_order),
            cmocka_unit_test(test_wq_add_after_fake_clock),
            cmocka_unit_test(test_wq_shutdown_semantics),
            cmocka_unit_test(test_wq_stats_counters),
            cmocka_unit_test(test_wq_add_rate_limited_backoff_sequence),
            cmocka_unit_test(test_wq_add_rate_limited_bucket_limits),
            cmocka_unit_test(test_wq_forget_resets_backoff),
            cmocka_unit_test(test_wq_new_rejects_bad_options),
            cmocka_unit_test(test_wq_null_queue_rejected),
            cmocka_unit_test(test_wq_default_clock_immediate_work),
            cmocka_unit_test(test_wq_many_keys_fifo),
            cmocka_unit_test(test_wq_get_blocks_until_add),
            cmocka_unit_test(test_wq_get_wakes_for_due_delayed_key),
            cmocka_unit_test(test_wq_shutdown_wakes_getters),
            cmocka_unit_test(test_wq_shutdown_drain_waits_for_done),
            cmocka_unit_test(test_wq_shutdown_cancels_drain),
            cmocka_unit_test(test_wq_concurrent_workers_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
