/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a sequence of workqueue operations decoded from the input
 * (add, add_after, add_rate_limited, try_get, done, forget, num_requeues,
 * clock advance + tick, shutdown, stats) runs against the real queue and
 * against a small reference model of client-go's semantics written
 * independently here. Every return value, every handed-out key and the
 * counters must agree, and the queue's structural invariants must hold
 * after every step. Any disagreement aborts.
 *
 * Input: byte 0 picks a limiter configuration; then one operation per byte,
 * followed by the bytes that operation consumes (a key selector, a delay).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workqueue/workqueue-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_MAX_KEY_LEN 12
#define F_MAX_KEYS    8  /* fewer than the preset names: -ENOSPC is reachable */
#define F_NAMES       32 /* distinct strings the model can intern */

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz-workqueue-ops: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                      \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

struct fake {
    uint64_t now;
};

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint8_t next_byte(struct cursor *c)
{
    if (c->left == 0)
        return 0;
    c->left--;
    return *c->p++;
}

/* ---- the reference model ---- */

struct mkey {
    char name[F_MAX_KEY_LEN + 1];
    bool dirty, processing, waiting;
    uint64_t ready, seq;
    uint32_t failures;
    const char *borrowed; /* the pointer wq_try_get() returned for this pass */
};

struct model {
    struct mkey k[F_NAMES];
    size_t n_names;
    int fifo[F_NAMES];
    size_t fifo_len;
    uint64_t now, seq;
    bool shutdown;
    uint64_t base, cap; /* backoff */
    uint64_t qps, burst;
    uint64_t full_at_scaled; /* bucket: time it is full again, in ms * qps */
    uint64_t adds, retries, work_count;
};

static bool mk_live(const struct mkey *k)
{
    return k->dirty || k->processing || k->waiting || k->failures > 0;
}

static size_t model_live(const struct model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_names; i++)
        n += mk_live(&m->k[i]);
    return n;
}

static void model_fifo_push(struct model *m, int i)
{
    CHECK(m->fifo_len < F_NAMES);
    m->fifo[m->fifo_len++] = i;
}

static int model_add(struct model *m, int i)
{
    struct mkey *k = &m->k[i];
    if (k->dirty)
        return 0;
    m->adds++;
    k->dirty = true;
    if (!k->processing)
        model_fifo_push(m, i);
    return 1;
}

/* Due delayed keys, earliest deadline first, ties in the order set. */
static int model_promote(struct model *m)
{
    int n = 0;
    if (m->shutdown)
        return 0;
    for (;;) {
        int best = -1;
        for (size_t i = 0; i < m->n_names; i++) {
            const struct mkey *k = &m->k[i];
            if (!k->waiting || k->ready > m->now)
                continue;
            if (best < 0 || k->ready < m->k[best].ready ||
                (k->ready == m->k[best].ready && k->seq < m->k[best].seq))
                best = (int)i;
        }
        if (best < 0)
            return n;
        m->k[best].waiting = false;
        n += model_add(m, best);
    }
}

static int model_add_after(struct model *m, int i, uint64_t delay)
{
    struct mkey *k = &m->k[i];
    m->retries++;
    if (delay == 0)
        return model_add(m, i);
    uint64_t ready = m->now > UINT64_MAX - delay ? UINT64_MAX : m->now + delay;
    if (k->waiting && ready >= k->ready)
        return 0;
    k->waiting = true;
    k->ready = ready;
    k->seq = m->seq++;
    return 1;
}

static uint64_t model_backoff(const struct model *m, uint32_t failures)
{
    uint64_t d = m->base;
    for (uint32_t i = 0; i < failures; i++) {
        if (d > m->cap)
            break;
        d *= 2;
    }
    return d > m->cap ? m->cap : d;
}

/* Token bucket as a virtual schedule: each reservation pushes the time the
 * bucket is full again by one emission interval (1000 / qps ms); the wait
 * is whatever exceeds a full bucket's worth ahead of now. Units: ms * qps. */
static uint64_t model_bucket(struct model *m)
{
    uint64_t now_s = m->now * m->qps;
    uint64_t f = m->full_at_scaled > now_s ? m->full_at_scaled : now_s;
    f += 1000;
    m->full_at_scaled = f;
    uint64_t ahead = f - now_s;
    if (ahead <= m->burst * 1000)
        return 0;
    uint64_t w = ahead - m->burst * 1000;
    return (w + m->qps - 1) / m->qps;
}

/* ---- decoding ---- */

static const char *const preset[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "ns/j"};

/* Picks a key: a preset name, a raw string from the input (may be empty,
 * too long, or cut by a NUL), or NULL. buf holds raw strings. */
static const char *pick_key(struct cursor *c, char *buf, size_t bufsz)
{
    uint8_t b = next_byte(c);
    if (b == 0xff)
        return NULL;
    if (b < 0xe0)
        return preset[b % (sizeof(preset) / sizeof(preset[0]))];
    size_t len = b & 0x1f;
    if (len >= bufsz)
        len = bufsz - 1;
    size_t i = 0;
    for (; i < len && c->left > 0; i++)
        buf[i] = (char)next_byte(c);
    buf[i] = '\0';
    return buf;
}

static uint64_t pick_delay(struct cursor *c)
{
    uint8_t b = next_byte(c);
    if (b == 0xff)
        return UINT64_MAX;
    if (b < 200)
        return b;
    return (uint64_t)(b - 200) * 50000; /* up to 2.7 M ms, past the cap */
}

/* The model's view of key validation: the error, or the interned index
 * (-1 when the model is out of names and the step is skipped). */
static int model_key(struct model *m, const char *key, int *ret_idx)
{
    if (!key || key[0] == '\0')
        return -EINVAL;
    if (strlen(key) > F_MAX_KEY_LEN)
        return -E2BIG;
    for (size_t i = 0; i < m->n_names; i++)
        if (strcmp(m->k[i].name, key) == 0) {
            *ret_idx = (int)i;
            return 0;
        }
    if (m->n_names == F_NAMES) {
        *ret_idx = -1;
        return 0;
    }
    struct mkey *k = &m->k[m->n_names];
    memset(k, 0, sizeof(*k));
    snprintf(k->name, sizeof(k->name), "%s", key);
    *ret_idx = (int)m->n_names++;
    return 0;
}

/* ---- operations ---- */

enum fop {
    F_ADD,
    F_ADD_AFTER,
    F_ADD_RL,
    F_GET,
    F_DONE_KEY,
    F_DONE_PROCESSING,
    F_FORGET,
    F_REQUEUES,
    F_ADVANCE,
    F_SHUTDOWN_OR_STATS,
    _F_MAX,
};

static void step_add_family(struct wq *q, struct model *m, enum fop op, struct cursor *c)
{
    char buf[40];
    const char *key = pick_key(c, buf, sizeof(buf));
    uint64_t delay = op == F_ADD_AFTER ? pick_delay(c) : 0;
    int idx = -1, want = model_key(m, key, &idx);
    if (want == 0 && idx < 0)
        return; /* model out of names */
    if (want == 0 && m->shutdown)
        want = -ESHUTDOWN;
    if (want == 0) {
        (void)model_promote(m);
        if (!mk_live(&m->k[idx]) && model_live(m) >= F_MAX_KEYS)
            want = -ENOSPC;
    }
    if (want == 0) {
        struct mkey *k = &m->k[idx];
        if (op == F_ADD)
            want = model_add(m, idx);
        else if (op == F_ADD_AFTER)
            want = model_add_after(m, idx, delay);
        else {
            uint64_t backoff = model_backoff(m, k->failures);
            if (k->failures < UINT32_MAX)
                k->failures++;
            uint64_t bucket = model_bucket(m);
            want = model_add_after(m, idx, backoff > bucket ? backoff : bucket);
        }
    }
    int r = op == F_ADD         ? wq_add(q, key)
            : op == F_ADD_AFTER ? wq_add_after(q, key, delay)
                                : wq_add_rate_limited(q, key);
    CHECK(r == want);
}

static void step_get(struct wq *q, struct model *m)
{
    const char *k = NULL;
    int want;
    (void)model_promote(m);
    if (m->fifo_len > 0)
        want = 0;
    else
        want = m->shutdown ? -ESHUTDOWN : -EAGAIN;
    int r = wq_try_get(q, &k);
    CHECK(r == want);
    if (r < 0)
        return;
    struct mkey *mk = &m->k[m->fifo[0]];
    memmove(m->fifo, m->fifo + 1, (m->fifo_len - 1) * sizeof(m->fifo[0]));
    m->fifo_len--;
    CHECK(strcmp(k, mk->name) == 0);
    CHECK(mk->dirty && !mk->processing);
    mk->dirty = false;
    mk->processing = true;
    mk->borrowed = k;
}

static int model_done(struct model *m, int idx)
{
    struct mkey *k = &m->k[idx];
    if (!k->processing)
        return -ENOENT;
    k->processing = false;
    k->borrowed = NULL;
    m->work_count++;
    if (k->dirty)
        model_fifo_push(m, idx);
    return 0;
}

static void step_done(struct wq *q, struct model *m, enum fop op, struct cursor *c)
{
    char buf[40];
    const char *key;
    int idx = -1, want;
    if (op == F_DONE_PROCESSING) {
        /* The n-th processing key, passed as the borrowed pointer itself. */
        size_t n = 0;
        for (size_t i = 0; i < m->n_names; i++)
            n += m->k[i].processing;
        if (n == 0)
            return;
        size_t pick = next_byte(c) % n;
        for (size_t i = 0; i < m->n_names; i++)
            if (m->k[i].processing && pick-- == 0)
                idx = (int)i;
        key = m->k[idx].borrowed;
        CHECK(key && strcmp(key, m->k[idx].name) == 0); /* still valid, unchanged */
        want = 0;
    } else {
        key = pick_key(c, buf, sizeof(buf));
        want = model_key(m, key, &idx);
        if (want == 0 && idx < 0)
            return;
    }
    if (want == 0) {
        (void)model_promote(m);
        want = model_done(m, idx);
    }
    CHECK(wq_done(q, key) == want);
}

static void step_forget_requeues(struct wq *q, struct model *m, enum fop op, struct cursor *c)
{
    char buf[40];
    const char *key = pick_key(c, buf, sizeof(buf));
    int idx = -1, want = model_key(m, key, &idx);
    if (want == 0 && idx < 0)
        return;
    if (want == 0) {
        (void)model_promote(m);
        want = (int)m->k[idx].failures;
        if (op == F_FORGET) {
            m->k[idx].failures = 0;
            want = 0;
        }
    }
    int r = op == F_FORGET ? wq_forget(q, key) : wq_num_requeues(q, key);
    CHECK(r == want);
}

static void check_stats(struct wq *q, struct model *m)
{
    struct wq_stats s;
    (void)model_promote(m);
    CHECK(wq_stats(q, &s) == 0);
    uint64_t dirty = 0, processing = 0, waiting = 0;
    for (size_t i = 0; i < m->n_names; i++) {
        dirty += m->k[i].dirty;
        processing += m->k[i].processing;
        waiting += m->k[i].waiting;
    }
    CHECK(s.depth == dirty);
    CHECK(s.queued == m->fifo_len);
    CHECK(s.processing == processing);
    CHECK(s.waiting == waiting);
    CHECK(s.keys == model_live(m));
    CHECK(s.adds == m->adds);
    CHECK(s.retries == m->retries);
    CHECK(s.work_count == m->work_count);
    CHECK(s.longest_running_ms <= s.unfinished_work_ms);
}

static void step_advance(struct wq *q, struct model *m, struct fake *clock, struct cursor *c)
{
    uint64_t d = pick_delay(c);
    if (d == UINT64_MAX)
        d = 1000000; /* the fake clock stays far from overflow */
    clock->now += d;
    m->now = clock->now;
    if (next_byte(c) & 1) {
        int want = model_promote(m);
        CHECK(wq_tick(q) == want);
    }
}

static void step_shutdown_or_stats(struct wq *q, struct model *m, struct cursor *c)
{
    uint8_t b = next_byte(c);
    if (b >= 8) {
        check_stats(q, m);
        return;
    }
    /* Drain only when it cannot block: nothing queued or processing. */
    size_t processing = 0;
    for (size_t i = 0; i < m->n_names; i++)
        processing += m->k[i].processing;
    m->shutdown = true;
    if (b & 1 && processing == 0 && m->fifo_len == 0)
        CHECK(wq_shutdown_drain(q) == 0);
    else
        CHECK(wq_shutdown(q) == 0);
    CHECK(wq_is_shutting_down(q));
}

static uint64_t fake_now(void *userdata)
{
    return ((struct fake *)userdata)->now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        uint32_t qps, burst;
        uint64_t base, cap;
    } configs[] = {
            {10, 100, 5, 1000000}, /* client-go defaults */
            {10, 3, 5, 1000000},   {1, 1, 5, 300},
            {1000, 2, 1, 50},      {3, 2, 7, 1000}, /* 333.3 ms per token: rounding */
    };
    struct cursor c = {.p = data, .left = size};
    uint8_t cfg = next_byte(&c) % (sizeof(configs) / sizeof(configs[0]));

    struct fake clock = {.now = 0};
    struct wq_opts opts = {
            .clock = &(struct wq_clock){.now_ms = fake_now, .userdata = &clock},
            .base_delay_ms = configs[cfg].base,
            .max_delay_ms = configs[cfg].cap,
            .qps = configs[cfg].qps,
            .burst = configs[cfg].burst,
            .max_key_len = F_MAX_KEY_LEN,
            .max_keys = F_MAX_KEYS,
    };
    _cleanup_wq_ struct wq *q = NULL;
    CHECK(wq_new(&q, &opts) == 0);

    static struct model m; /* large-ish; reset per input */
    memset(&m, 0, sizeof(m));
    m.base = configs[cfg].base;
    m.cap = configs[cfg].cap;
    m.qps = configs[cfg].qps;
    m.burst = configs[cfg].burst;

    /* Bounded work per input regardless of its size. */
    for (unsigned steps = 0; c.left > 0 && steps < 4096; steps++) {
        enum fop op = (enum fop)(next_byte(&c) % _F_MAX);
        switch (op) {
        case F_ADD:
        case F_ADD_AFTER:
        case F_ADD_RL:
            step_add_family(q, &m, op, &c);
            break;
        case F_GET:
            step_get(q, &m);
            break;
        case F_DONE_KEY:
        case F_DONE_PROCESSING:
            step_done(q, &m, op, &c);
            break;
        case F_FORGET:
        case F_REQUEUES:
            step_forget_requeues(q, &m, op, &c);
            break;
        case F_ADVANCE:
            step_advance(q, &m, &clock, &c);
            break;
        case F_SHUTDOWN_OR_STATS:
        default:
            step_shutdown_or_stats(q, &m, &c);
            break;
        }
        CHECK(wq_check_invariants(q) == 0);
    }
    check_stats(q, &m);
    return 0;
}
