/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of the workqueue, shared by its sources, its unit tests and
 * its fuzzer. Nothing here is part of the public API.
 *
 * One record (struct wq_entry) per tracked key carries every set membership
 * client-go keeps in separate maps: dirty, processing, the FIFO, the delay
 * heap (knownEntries) and the failure counter of the rate limiter. A record
 * lives exactly as long as one of those is set.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workqueue/workqueue.h"

#define WQ_DEFAULT_BASE_DELAY_MS UINT64_C(5)
#define WQ_DEFAULT_MAX_DELAY_MS  UINT64_C(1000000)
#define WQ_DEFAULT_QPS           10u
#define WQ_DEFAULT_BURST         100u
#define WQ_DEFAULT_MAX_KEY_LEN   ((size_t)1024)
#define WQ_DEFAULT_MAX_KEYS      ((size_t)1 << 20)
#define WQ_LIMIT_MAX_KEY_LEN     ((size_t)65536)
#define WQ_LIMIT_MAX_QPS         1000000u

#define WQ_HEAP_NONE SIZE_MAX

struct wq_entry {
    struct wq_entry *hash_next; /* chain in the key table */
    uint64_t hash;
    struct wq_entry *queue_next; /* FIFO link, while queued */
    struct wq_entry *proc_prev;  /* processing list, while processing */
    struct wq_entry *proc_next;
    size_t heap_idx;     /* index in the delay heap or WQ_HEAP_NONE */
    uint64_t ready_ms;   /* deadline, while in the heap */
    uint64_t heap_seq;   /* tie-break: order in which deadlines were set */
    uint64_t added_ms;   /* when the key last became dirty */
    uint64_t started_ms; /* when the current pass was handed out */
    uint32_t failures;   /* per-item exponential backoff exponent */
    bool dirty;          /* a pass is wanted */
    bool processing;     /* handed to a worker, not yet done */
    bool queued;         /* in the FIFO (== dirty && !processing) */
    size_t key_len;
    char key[]; /* NUL-terminated copy */
};

/* Key table: chained hash on SipHash-1-3 with a per-queue random key. */
struct wq_table {
    struct wq_entry **buckets;
    size_t n_buckets; /* power of two */
    size_t n_entries;
    uint64_t k0, k1;
};

/* Delay heap: min-heap on (ready_ms, heap_seq). */
struct wq_heap {
    struct wq_entry **items;
    size_t len;
    size_t cap;
    uint64_t next_seq;
};

/* Token bucket in milli-tokens (1 token = 1000), refilled at qps tokens/s. */
struct wq_bucket {
    int64_t mtokens;
    uint64_t last_ms;
    uint32_t qps;
    uint32_t burst;
};

struct wq {
    pthread_mutex_t lock;
    pthread_cond_t cond_get;  /* getters: a key is queued, shutdown, or a new earliest deadline */
    pthread_cond_t cond_idle; /* drainers: nothing queued or processing, or drain cancelled */

    struct wq_clock clock;
    uint64_t base_delay_ms;
    uint64_t max_delay_ms;
    size_t max_key_len;
    size_t max_keys;

    struct wq_table table;
    struct wq_heap heap;
    struct wq_bucket bucket;

    struct wq_entry *queue_head; /* FIFO of dirty, not processing keys */
    struct wq_entry *queue_tail;
    size_t n_queued;
    struct wq_entry *proc_head; /* keys handed out, in hand-out order */
    size_t n_processing;
    size_t n_dirty;

    bool shutting_down;
    bool draining;

    uint64_t adds;
    uint64_t retries;
    uint64_t work_count;
    uint64_t work_duration_sum_ms;
    uint64_t queue_latency_sum_ms;
};

/* SipHash-1-3 of data under the 128-bit key (k0, k1). Pure function. */
uint64_t wq_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len);
/* SipHash-2-4, the reference variant, only to check the rounds against the published vector. */
uint64_t wq_siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

/* Initialises an empty table with a random hash key. Returns 0 or -ENOMEM. */
int wq_table_init(struct wq_table *t);
/* Frees the table and every entry in it. */
void wq_table_done(struct wq_table *t);
/* Returns the entry for key (len bytes) or NULL. */
struct wq_entry *wq_table_find(const struct wq_table *t, const char *key, size_t len);
/* Allocates and inserts an entry for a key known to be absent. Returns 0 and
 * the borrowed entry in *ret, or -ENOMEM. A failed table resize is not an error. */
int wq_table_insert(struct wq_table *t, const char *key, size_t len, struct wq_entry **ret);
/* Unlinks and frees e, which must be in the table. */
void wq_table_remove(struct wq_table *t, struct wq_entry *e);

/* Adds e (not in the heap) with deadline ready_ms. Returns 0 or -ENOMEM. */
int wq_heap_push(struct wq_heap *h, struct wq_entry *e, uint64_t ready_ms);
/* Moves e (in the heap) to an earlier deadline ready_ms. */
void wq_heap_decrease(struct wq_heap *h, struct wq_entry *e, uint64_t ready_ms);
/* The entry with the earliest deadline, or NULL. */
struct wq_entry *wq_heap_peek(const struct wq_heap *h);
/* Removes and returns the earliest entry (heap must be non-empty). */
struct wq_entry *wq_heap_pop(struct wq_heap *h);
/* Frees the heap array (not the entries). */
void wq_heap_done(struct wq_heap *h);

/* client-go ItemExponentialFailureRateLimiter.When: base * 2^failures,
 * capped at max_ms without overflowing. */
uint64_t wq_backoff_delay(uint64_t base_ms, uint64_t max_ms, uint32_t failures);
/* Starts a full bucket at now_ms. */
void wq_bucket_init(struct wq_bucket *b, uint32_t qps, uint32_t burst, uint64_t now_ms);
/* golang.org/x/time/rate Reserve().Delay(): takes one token (possibly going
 * into debt) and returns how long the caller must wait, rounded up to ms. */
uint64_t wq_bucket_reserve(struct wq_bucket *b, uint64_t now_ms);

/* Checks every structural invariant of q (lock held or single-threaded).
 * Returns 0, or -EUCLEAN naming nothing: tests and the fuzzer assert on it. */
int wq_check_invariants(struct wq *q);
