/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The controller workqueue of client-go (util/workqueue), in C: a FIFO of
 * string keys with
 *   - dedupe: adding a key that is already waiting is a no-op;
 *   - exclusivity: a key handed out by wq_get() is not handed out again until
 *     wq_done(); adds in between collapse into exactly one more pass;
 *   - delayed adds (min-heap on a monotonic or injected clock; the earliest
 *     deadline for a key wins);
 *   - client-go's DefaultControllerRateLimiter for wq_add_rate_limited():
 *     max(per-key 5 ms * 2^failures capped at 1000 s, a 10 qps / burst 100
 *     token bucket), reset by wq_forget();
 *   - shutdown, optionally waiting for in-flight work to drain.
 *
 * Keys are copied in. Every function is thread-safe (one mutex per queue)
 * except wq_new() and wq_free(). There is no helper thread: due delayed keys
 * are moved to the FIFO by whichever call takes the lock next (every entry
 * point does this first), and a blocked wq_get() sleeps only until the
 * earliest deadline.
 *
 * See docs/workqueue.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

struct wq;

/* A millisecond clock. now_ms must be monotonic non-decreasing, cheap, and
 * must not call into the queue (it runs with the queue lock held). */
struct wq_clock {
    uint64_t (*now_ms)(void *userdata);
    void *userdata;
};

/* Options; a zero field means the default shown. */
struct wq_opts {
    const struct wq_clock *clock; /* NULL: CLOCK_MONOTONIC. Copied. */
    uint64_t base_delay_ms;       /* 5: first rate-limited delay */
    uint64_t max_delay_ms;        /* 1000000 (1000 s): backoff cap */
    uint32_t qps;                 /* 10: bucket refill rate, at most 1000000 */
    uint32_t burst;               /* 100: bucket size */
    size_t max_key_len;           /* 1024: longer keys give -E2BIG; at most 65536 */
    size_t max_keys;              /* 1048576: tracked keys (queued, processing,
                                     delayed or with a failure count) */
};

/* Queue counters, in the spirit of client-go's workqueue metrics. */
struct wq_stats {
    uint64_t depth;                /* keys waiting for a pass: queued, or re-added
                                      while processing (client-go depth) */
    uint64_t queued;               /* keys wq_get() could hand out now */
    uint64_t processing;           /* keys handed out and not yet done */
    uint64_t waiting;              /* keys with a pending delayed add */
    uint64_t keys;                 /* tracked keys (bounded by max_keys) */
    uint64_t adds;                 /* adds that scheduled a pass (adds_total) */
    uint64_t retries;              /* accepted wq_add_after/wq_add_rate_limited
                                      calls (retries_total) */
    uint64_t work_count;           /* completed passes (wq_done calls) */
    uint64_t work_duration_sum_ms; /* sum of get->done times of completed passes */
    uint64_t queue_latency_sum_ms; /* sum of add->get times of handed-out passes */
    uint64_t longest_running_ms;   /* age of the oldest in-flight pass, 0 if none */
    uint64_t unfinished_work_ms;   /* sum of the ages of in-flight passes */
};

/* Creates a queue. opts may be NULL for all defaults. Returns 0 and the new
 * queue in *ret (free with wq_free()), -EINVAL for out-of-range options
 * (qps or max_key_len above their limits, a clock without now_ms) or
 * -ENOMEM. */
int wq_new(struct wq **ret, const struct wq_opts *opts);

/* Frees the queue and every key in it; accepts NULL and returns NULL. No
 * other thread may be inside or later enter the queue, and keys borrowed
 * from wq_get() become invalid. */
struct wq *wq_free(struct wq *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct wq *, wq_free)
#define _cleanup_wq_ _cleanup_(wq_freep)

/* Asks for one pass over key (copied). Returns 1 when the key became dirty
 * (queued, or parked until the running pass calls wq_done()), 0 when it was
 * already waiting for a pass (collapsed), -EINVAL for a NULL queue or a
 * NULL/empty key, -E2BIG for a key longer than max_key_len, -ESHUTDOWN
 * after shutdown (dropped), -ENOSPC when max_keys keys are tracked, or
 * -ENOMEM. Wakes one waiting getter. */
int wq_add(struct wq *q, const char *key);

/* Adds key once delay_ms has passed on the queue clock; delay_ms == 0 is
 * wq_add(). While a delayed add is pending, an earlier deadline replaces it
 * and a later or equal one is ignored; a plain wq_add() does not cancel it.
 * Returns what wq_add() returns for delay 0; otherwise 1 when the deadline
 * was set or moved earlier, 0 when ignored. Errors as wq_add(). Counts one
 * retry when accepted. */
int wq_add_after(struct wq *q, const char *key, uint64_t delay_ms);

/* wq_add_after(key, max(backoff, bucket)) where backoff = base_delay_ms *
 * 2^wq_num_requeues(key) capped at max_delay_ms, and bucket is the wait the
 * shared token bucket imposes; both advance (the failure count grows by one
 * and a token is taken) even when the add is ignored. Returns and errors as
 * wq_add_after(). */
int wq_add_rate_limited(struct wq *q, const char *key);

/* Resets the failure count of key so the next wq_add_rate_limited() starts
 * at base_delay_ms again; does not touch a queued or delayed add. Returns 0
 * (also for unknown keys and after shutdown), -EINVAL or -E2BIG. */
int wq_forget(struct wq *q, const char *key);

/* Returns the failure count of key (0 for unknown keys; saturates at
 * INT_MAX), -EINVAL or -E2BIG. */
int wq_num_requeues(struct wq *q, const char *key);

/* Blocks until a key is ready, then marks it processing and returns 0 with
 * the key in *ret_key. The string is borrowed: it stays valid and unchanged
 * until the caller passes it to wq_done() (it must be passed there exactly
 * once). Keys are handed out in FIFO order of becoming ready. After
 * shutdown, keys still queued are handed out until none are left; then
 * returns -ESHUTDOWN. -EINVAL for NULL arguments. */
int wq_get(struct wq *q, const char **ret_key);

/* As wq_get() but never blocks: -EAGAIN when no key is ready now. */
int wq_try_get(struct wq *q, const char **ret_key);

/* Ends the pass over key (the pointer from wq_get() or any equal string).
 * If the key was added during the pass it is queued again, at the tail.
 * Returns 0, -EINVAL, -E2BIG, or -ENOENT if key is not being processed
 * (client-go ignores this misuse; we refuse it). Allowed after shutdown. */
int wq_done(struct wq *q, const char *key);

/* Moves delayed keys whose deadline has passed into the FIFO and wakes
 * getters. Every entry point does this itself; call it after advancing an
 * injected clock so blocked getters notice. Returns the number of keys that
 * became ready for a pass (0 after shutdown), or -EINVAL. */
int wq_tick(struct wq *q);

/* Stops the queue: later adds fail with -ESHUTDOWN, delayed adds are never
 * serviced, blocked getters wake up, and a wq_shutdown_drain() in progress
 * stops waiting. Idempotent. Returns 0 or -EINVAL. */
int wq_shutdown(struct wq *q);

/* As wq_shutdown(), then blocks until no key is queued or processing, i.e.
 * the workers have taken and finished (wq_done) everything already queued,
 * including passes re-queued by wq_done(). Workers must keep calling
 * wq_get()/wq_done() meanwhile or this never returns. Returns 0 when
 * drained, -ECANCELED when a concurrent wq_shutdown() cut the wait short,
 * or -EINVAL. */
int wq_shutdown_drain(struct wq *q);

/* True once wq_shutdown() or wq_shutdown_drain() was called. */
bool wq_is_shutting_down(struct wq *q);

/* Fills *ret with a consistent snapshot (due delayed keys are moved to the
 * FIFO first). Returns 0 or -EINVAL. */
int wq_stats(struct wq *q, struct wq_stats *ret);
