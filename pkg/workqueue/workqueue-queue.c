/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The queue proper: client-go's Typed queue (dirty set, processing set,
 * FIFO), its delaying and rate-limiting wrappers, and shutdown, behind one
 * mutex. The delay heap is serviced inline: every entry point first moves
 * due keys into the FIFO, and a blocked getter sleeps on a CLOCK_MONOTONIC
 * condition variable no longer than until the earliest deadline.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/macro.h"
#include "workqueue/workqueue-internal.h"

/* A getter re-checks at least this often even without deadlines due, so a
 * far deadline never turns into an overflowing timespec. */
#define WQ_MAX_WAIT_MS UINT64_C(3600000)

static uint64_t monotonic_now_ms(void *userdata)
{
    (void)userdata;
    struct timespec ts = {0};
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void lock(struct wq *q)
{
    int r = pthread_mutex_lock(&q->lock);
    assert(r == 0);
    (void)r;
}

static void unlock(struct wq *q)
{
    int r = pthread_mutex_unlock(&q->lock);
    assert(r == 0);
    (void)r;
}

static uint64_t clock_now(struct wq *q)
{
    return q->clock.now_ms(q->clock.userdata);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

/* Validates a caller key: -EINVAL for NULL or empty, -E2BIG past the cap. */
static int key_check(const struct wq *q, const char *key, size_t *ret_len)
{
    if (!key || key[0] == '\0')
        return -EINVAL;
    size_t len = strnlen(key, q->max_key_len + 1);
    if (len > q->max_key_len)
        return -E2BIG;
    *ret_len = len;
    return 0;
}

static bool entry_live(const struct wq_entry *e)
{
    return e->dirty || e->processing || e->heap_idx != WQ_HEAP_NONE || e->failures > 0;
}

/* Drops the record of a key nothing refers to any more. */
static void entry_release(struct wq *q, struct wq_entry *e)
{
    if (!entry_live(e))
        wq_table_remove(&q->table, e);
}

static int entry_get_or_create(struct wq *q, const char *key, size_t len, struct wq_entry **ret)
{
    struct wq_entry *e = wq_table_find(&q->table, key, len);
    if (e) {
        *ret = e;
        return 0;
    }
    if (q->table.n_entries >= q->max_keys)
        return -ENOSPC;
    return wq_table_insert(&q->table, key, len, ret);
}

static void queue_push(struct wq *q, struct wq_entry *e)
{
    assert(!e->queued && e->dirty && !e->processing);
    e->queued = true;
    e->queue_next = NULL;
    if (q->queue_tail)
        q->queue_tail->queue_next = e;
    else
        q->queue_head = e;
    q->queue_tail = e;
    q->n_queued++;
    (void)pthread_cond_signal(&q->cond_get);
}

static struct wq_entry *queue_pop(struct wq *q)
{
    struct wq_entry *e = q->queue_head;
    assert(e);
    q->queue_head = e->queue_next;
    if (!q->queue_head)
        q->queue_tail = NULL;
    e->queue_next = NULL;
    e->queued = false;
    q->n_queued--;
    return e;
}

/* client-go Typed.Add, shutdown already checked. Returns 1 if e became
 * dirty, 0 if it already was. */
static int add_locked(struct wq *q, struct wq_entry *e, uint64_t now)
{
    if (e->dirty)
        return 0;
    q->adds++;
    e->dirty = true;
    e->added_ms = now;
    q->n_dirty++;
    /* Parked: wq_done() of the running pass queues it again. */
    if (!e->processing)
        queue_push(q, e);
    return 1;
}

/* The waiting loop of client-go's delaying queue, run inline. Returns how
 * many due keys became dirty. */
static int promote_due(struct wq *q, uint64_t now)
{
    int n = 0;
    if (q->shutting_down)
        return 0;
    for (;;) {
        struct wq_entry *top = wq_heap_peek(&q->heap);
        if (!top || top->ready_ms > now)
            break;
        (void)wq_heap_pop(&q->heap);
        if (add_locked(q, top, now) > 0 && n < INT_MAX)
            n++;
    }
    return n;
}

/* client-go delayingType.AddAfter once the key is known. */
static int add_after_locked(struct wq *q, struct wq_entry *e, uint64_t now, uint64_t delay_ms)
{
    q->retries++;
    if (delay_ms == 0)
        return add_locked(q, e, now);

    uint64_t ready = sat_add(now, delay_ms);
    if (e->heap_idx != WQ_HEAP_NONE) {
        /* An earlier deadline for a waiting key wins; a later one is dropped. */
        if (ready >= e->ready_ms)
            return 0;
        wq_heap_decrease(&q->heap, e, ready);
    } else {
        int r = wq_heap_push(&q->heap, e, ready);
        if (r < 0)
            return r;
    }
    /* A new earliest deadline: one getter must shorten its sleep. */
    if (wq_heap_peek(&q->heap) == e)
        (void)pthread_cond_signal(&q->cond_get);
    return 1;
}

/* Shared prologue of the add family: lock, service the heap, find the key. */
static int add_begin(struct wq *q, const char *key, struct wq_entry **ret, uint64_t *ret_now)
{
    size_t len;
    int r = key_check(q, key, &len);
    if (r < 0)
        return r;
    lock(q);
    if (q->shutting_down) {
        unlock(q);
        return -ESHUTDOWN;
    }
    uint64_t now = clock_now(q);
    (void)promote_due(q, now);
    r = entry_get_or_create(q, key, len, ret);
    if (r < 0) {
        unlock(q);
        return r;
    }
    *ret_now = now;
    return 0;
}

int wq_add(struct wq *q, const char *key)
{
    assert_return(q, -EINVAL);
    struct wq_entry *e;
    uint64_t now;
    int r = add_begin(q, key, &e, &now);
    if (r < 0)
        return r;
    r = add_locked(q, e, now);
    unlock(q);
    return r;
}

int wq_add_after(struct wq *q, const char *key, uint64_t delay_ms)
{
    assert_return(q, -EINVAL);
    struct wq_entry *e;
    uint64_t now;
    int r = add_begin(q, key, &e, &now);
    if (r < 0)
        return r;
    r = add_after_locked(q, e, now, delay_ms);
    entry_release(q, e);
    unlock(q);
    return r;
}

int wq_add_rate_limited(struct wq *q, const char *key)
{
    assert_return(q, -EINVAL);
    struct wq_entry *e;
    uint64_t now;
    int r = add_begin(q, key, &e, &now);
    if (r < 0)
        return r;
    /* MaxOfRateLimiter.When: both limiters advance on every call. */
    uint64_t backoff = wq_backoff_delay(q->base_delay_ms, q->max_delay_ms, e->failures);
    if (e->failures < UINT32_MAX)
        e->failures++;
    uint64_t bucket = wq_bucket_reserve(&q->bucket, now);
    r = add_after_locked(q, e, now, MAX(backoff, bucket));
    entry_release(q, e);
    unlock(q);
    return r;
}

/* Runs fn on the record of key, if any, with the lock held. */
static int with_key(struct wq *q, const char *key, int (*fn)(struct wq *, struct wq_entry *))
{
    size_t len;
    int r = key_check(q, key, &len);
    if (r < 0)
        return r;
    lock(q);
    (void)promote_due(q, clock_now(q));
    r = fn(q, wq_table_find(&q->table, key, len));
    unlock(q);
    return r;
}

static int forget_locked(struct wq *q, struct wq_entry *e)
{
    if (e) {
        e->failures = 0;
        entry_release(q, e);
    }
    return 0;
}

static int num_requeues_locked(struct wq *q, struct wq_entry *e)
{
    (void)q;
    if (!e)
        return 0;
    return e->failures > INT_MAX ? INT_MAX : (int)e->failures;
}

int wq_forget(struct wq *q, const char *key)
{
    assert_return(q, -EINVAL);
    return with_key(q, key, forget_locked);
}

int wq_num_requeues(struct wq *q, const char *key)
{
    assert_return(q, -EINVAL);
    return with_key(q, key, num_requeues_locked);
}

static void hand_out(struct wq *q, uint64_t now, const char **ret_key)
{
    struct wq_entry *e = queue_pop(q);
    e->dirty = false;
    q->n_dirty--;
    e->processing = true;
    e->started_ms = now;
    q->queue_latency_sum_ms = sat_add(q->queue_latency_sum_ms, sat_sub(now, e->added_ms));

    e->proc_prev = NULL;
    e->proc_next = q->proc_head;
    if (q->proc_head)
        q->proc_head->proc_prev = e;
    q->proc_head = e;
    q->n_processing++;
    *ret_key = e->key;
}

/* Sleeps on cond_get for at most ms of CLOCK_MONOTONIC time. Spurious and
 * early wake-ups are fine: the caller loops. */
static void wait_at_most(struct wq *q, uint64_t ms)
{
    struct timespec ts = {0};
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
        (void)pthread_cond_wait(&q->cond_get, &q->lock);
        return;
    }
    ms = MIN(ms, WQ_MAX_WAIT_MS);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&q->cond_get, &q->lock, &ts);
}

static int get_impl(struct wq *q, bool block, const char **ret_key)
{
    int r;
    lock(q);
    for (;;) {
        uint64_t now = clock_now(q);
        (void)promote_due(q, now);
        if (q->queue_head) {
            hand_out(q, now, ret_key);
            r = 0;
            break;
        }
        if (q->shutting_down) {
            r = -ESHUTDOWN;
            break;
        }
        if (!block) {
            r = -EAGAIN;
            break;
        }
        struct wq_entry *top = wq_heap_peek(&q->heap);
        if (top)
            wait_at_most(q, top->ready_ms - now); /* > 0: promote_due ran */
        else
            (void)pthread_cond_wait(&q->cond_get, &q->lock);
    }
    unlock(q);
    return r;
}

int wq_get(struct wq *q, const char **ret_key)
{
    assert_return(q, -EINVAL);
    assert_return(ret_key, -EINVAL);
    return get_impl(q, true, ret_key);
}

int wq_try_get(struct wq *q, const char **ret_key)
{
    assert_return(q, -EINVAL);
    assert_return(ret_key, -EINVAL);
    return get_impl(q, false, ret_key);
}

static int done_locked(struct wq *q, struct wq_entry *e)
{
    if (!e || !e->processing)
        return -ENOENT;
    uint64_t now = clock_now(q);
    q->work_count++;
    q->work_duration_sum_ms = sat_add(q->work_duration_sum_ms, sat_sub(now, e->started_ms));

    if (e->proc_prev)
        e->proc_prev->proc_next = e->proc_next;
    else
        q->proc_head = e->proc_next;
    if (e->proc_next)
        e->proc_next->proc_prev = e->proc_prev;
    e->proc_prev = e->proc_next = NULL;
    e->processing = false;
    q->n_processing--;

    /* Adds during the pass collapse into exactly one more. */
    if (e->dirty)
        queue_push(q, e);
    else
        entry_release(q, e);
    if (q->n_processing == 0 && q->n_queued == 0)
        (void)pthread_cond_broadcast(&q->cond_idle);
    return 0;
}

int wq_done(struct wq *q, const char *key)
{
    assert_return(q, -EINVAL);
    return with_key(q, key, done_locked);
}

int wq_tick(struct wq *q)
{
    assert_return(q, -EINVAL);
    lock(q);
    int n = promote_due(q, clock_now(q));
    unlock(q);
    return n;
}

int wq_shutdown(struct wq *q)
{
    assert_return(q, -EINVAL);
    lock(q);
    q->shutting_down = true;
    q->draining = false;
    (void)pthread_cond_broadcast(&q->cond_get);
    (void)pthread_cond_broadcast(&q->cond_idle);
    unlock(q);
    return 0;
}

int wq_shutdown_drain(struct wq *q)
{
    assert_return(q, -EINVAL);
    lock(q);
    q->shutting_down = true;
    q->draining = true;
    (void)pthread_cond_broadcast(&q->cond_get);
    while ((q->n_processing > 0 || q->n_queued > 0) && q->draining)
        (void)pthread_cond_wait(&q->cond_idle, &q->lock);
    int r = q->n_processing > 0 || q->n_queued > 0 ? -ECANCELED : 0;
    unlock(q);
    return r;
}

bool wq_is_shutting_down(struct wq *q)
{
    assert_return(q, false);
    lock(q);
    bool s = q->shutting_down;
    unlock(q);
    return s;
}

int wq_stats(struct wq *q, struct wq_stats *ret)
{
    assert_return(q, -EINVAL);
    assert_return(ret, -EINVAL);
    lock(q);
    uint64_t now = clock_now(q);
    (void)promote_due(q, now);
    struct wq_stats s = {
            .depth = q->n_dirty,
            .queued = q->n_queued,
            .processing = q->n_processing,
            .waiting = q->heap.len,
            .keys = q->table.n_entries,
            .adds = q->adds,
            .retries = q->retries,
            .work_count = q->work_count,
            .work_duration_sum_ms = q->work_duration_sum_ms,
            .queue_latency_sum_ms = q->queue_latency_sum_ms,
    };
    for (const struct wq_entry *e = q->proc_head; e; e = e->proc_next) {
        uint64_t age = sat_sub(now, e->started_ms);
        s.longest_running_ms = MAX(s.longest_running_ms, age);
        s.unfinished_work_ms = sat_add(s.unfinished_work_ms, age);
    }
    unlock(q);
    *ret = s;
    return 0;
}

static int sync_init(struct wq *q)
{
    pthread_condattr_t attr;
    int r = pthread_mutex_init(&q->lock, NULL);
    if (r != 0)
        return -r;
    r = pthread_condattr_init(&attr);
    if (r != 0)
        goto fail_mutex;
    r = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (r == 0)
        r = pthread_cond_init(&q->cond_get, &attr);
    (void)pthread_condattr_destroy(&attr);
    if (r != 0)
        goto fail_mutex;
    r = pthread_cond_init(&q->cond_idle, NULL);
    if (r != 0)
        goto fail_cond;
    return 0;

fail_cond:
    (void)pthread_cond_destroy(&q->cond_get);
fail_mutex:
    (void)pthread_mutex_destroy(&q->lock);
    return -r;
}

int wq_new(struct wq **ret, const struct wq_opts *opts)
{
    assert_return(ret, -EINVAL);
    const struct wq_opts o = opts ? *opts : (struct wq_opts){0};
    assert_return(!o.clock || o.clock->now_ms, -EINVAL);
    assert_return(o.qps <= WQ_LIMIT_MAX_QPS, -EINVAL);
    assert_return(o.max_key_len <= WQ_LIMIT_MAX_KEY_LEN, -EINVAL);

    _cleanup_free_ struct wq *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->clock = o.clock ? *o.clock : (struct wq_clock){.now_ms = monotonic_now_ms};
    q->base_delay_ms = o.base_delay_ms ? o.base_delay_ms : WQ_DEFAULT_BASE_DELAY_MS;
    q->max_delay_ms = o.max_delay_ms ? o.max_delay_ms : WQ_DEFAULT_MAX_DELAY_MS;
    q->max_key_len = o.max_key_len ? o.max_key_len : WQ_DEFAULT_MAX_KEY_LEN;
    q->max_keys = o.max_keys ? o.max_keys : WQ_DEFAULT_MAX_KEYS;

    int r = wq_table_init(&q->table);
    if (r < 0)
        return r;
    r = sync_init(q);
    if (r < 0) {
        wq_table_done(&q->table);
        return r;
    }
    wq_bucket_init(&q->bucket, o.qps ? o.qps : WQ_DEFAULT_QPS, o.burst ? o.burst : WQ_DEFAULT_BURST,
                   clock_now(q));
    *ret = TAKE_PTR(q);
    return 0;
}

struct wq *wq_free(struct wq *q)
{
    if (!q)
        return NULL;
    wq_heap_done(&q->heap);
    wq_table_done(&q->table);
    (void)pthread_cond_destroy(&q->cond_idle);
    (void)pthread_cond_destroy(&q->cond_get);
    (void)pthread_mutex_destroy(&q->lock);
    free(q);
    return NULL;
}
