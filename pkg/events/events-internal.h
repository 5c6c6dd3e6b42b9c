/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of the recorder, shared by its sources, its unit tests and
 * its fuzzer. Nothing here is part of the public API.
 *
 * Flow: events_record() (any thread) validates, builds the immutable parts
 * of an item (involvedObject JSON, keys, times) and appends it to a ring.
 * One consumer (the recorder thread, or a test calling
 * events_process_one()) takes the head when due, runs it through the spam
 * filter and the repeat cache (events-correlate.c) and writes it through
 * the sink; a transport failure puts it back at the head with a retry time.
 * The caches are touched only by the consumer.
 */

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events/events.h"

#define EVENTS_DEFAULT_QUEUE        ((size_t)1000)
#define EVENTS_DEFAULT_SPAM_BURST   25u
#define EVENTS_DEFAULT_SPAM_REFILL  UINT64_C(300000)
#define EVENTS_DEFAULT_WINDOW       UINT64_C(600000)
/* client-go's correlator keeps 4096 per process, but a controller here
 * records for thousands of objects from one process; 1024 entries hold the
 * keys that repeat within a burst and cost a quarter of the memory. */
#define EVENTS_DEFAULT_CACHE        ((size_t)1024)
#define EVENTS_DEFAULT_MAX_TRIES    12u
#define EVENTS_DEFAULT_RETRY_DELAY  UINT64_C(10000)
#define EVENTS_LIMIT_ENTRIES        ((size_t)1 << 20) /* queue_size, cache_size */
#define EVENTS_LIMIT_MS             UINT64_C(86400000) /* one day */
#define EVENTS_LIMIT_BURST          1000000u
#define EVENTS_LIMIT_TRIES          1000u
/* metadata.name: "<object name, cut>.<16 hex>" within a DNS subdomain's 253. */
#define EVENTS_NAME_MAX      253
#define EVENTS_NAME_PREFIX   (EVENTS_NAME_MAX - 17)
/* "2006-01-02T15:04:05Z" plus the NUL. */
#define EVENTS_TIME_SIZE 21

/* ---- the LRU cache (events-cache.c) ---- */

struct events_cache;

/* A cache of at most max_entries string keys, each with value_size bytes
 * of value (zeroed when created). 0, -EINVAL (0 entries or value size),
 * -ENOMEM. */
int events_cache_new(struct events_cache **ret, size_t max_entries, size_t value_size);
struct events_cache *events_cache_free(struct events_cache *c);

/* The value of key, refreshed as most recently used, or NULL. Borrowed
 * until the next events_cache_put(). */
void *events_cache_get(struct events_cache *c, const char *key);

/* The value of key, created (zeroed) if absent, evicting the least recently
 * used entry when full. Returns 1 = created, 0 = existed, -ENOMEM; *ret
 * borrowed as for events_cache_get(). */
int events_cache_put(struct events_cache *c, const char *key, void **ret);

size_t events_cache_size(const struct events_cache *c);

/* ---- items and the recorder ---- */

struct events_item {
    /* fixed at events_record() */
    char *involved;   /* involvedObject as compact JSON text: a parsed
                       * object costs several times more while queued */
    char *ns;         /* namespace of the Event */
    char *obj_name;
    enum events_type type;
    char *reason;
    char *message;
    char *event_key; /* repeats: object + type + reason + message */
    char *spam_key;  /* spam filter: the object */
    uint64_t at_ms;  /* monotonic time of the record call */
    int64_t at_ns;   /* wall time of the record call */

    /* delivery state, consumer only */
    bool admitted; /* passed the spam filter and planned */
    bool is_patch; /* the write is a PATCH of name */
    uint32_t tries;
    bool create_sent; /* a create attempt failed in transit: it may have landed */
    uint64_t not_before_ms;
    char name[EVENTS_NAME_MAX + 1];
    int32_t count;
    int64_t first_ns;
};

/* A repeat-cache value: the Event last written for a key. */
struct events_seen {
    char name[EVENTS_NAME_MAX + 1];
    int32_t count;
    int64_t first_ns;
    uint64_t last_ms;
};

/* A spam-filter bucket, in token-milliseconds: a token is worth refill_ms
 * units and one unit comes back per millisecond, so the arithmetic is
 * exact. Starts full (burst tokens). */
struct events_bucket {
    uint64_t units;
    uint64_t last_ms;
};

enum events_outcome {
    EVENTS_OUT_SPAM,
    EVENTS_OUT_CREATED,
    EVENTS_OUT_PATCHED,
    EVENTS_OUT_FAILED,
    EVENTS_OUT_RETRY,
    _EVENTS_OUT_MAX,
};

struct events_recorder {
    struct events_sink sink;
    struct events_clock clock;
    char *component;
    char *instance;
    size_t queue_size;
    uint32_t spam_burst;
    uint64_t spam_refill_ms;
    uint64_t window_ms;
    uint32_t max_tries;
    uint64_t retry_delay_ms;

    /* consumer only */
    struct events_cache *spam;    /* spam key -> struct events_bucket */
    struct events_cache *seen;    /* event key -> struct events_seen */
    int64_t last_name_ns;         /* names use strictly increasing values */

    /* under mutex */
    pthread_mutex_t mutex;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: new item, stop */
    struct events_item **ring;
    size_t head, len;
    bool inflight; /* the consumer holds one item outside the ring */
    struct events_stats stats;
    pthread_t thread;
    bool running, stopping, closed;
    uint64_t drain_deadline_ms; /* real CLOCK_MONOTONIC */
};

void events_item_free(struct events_item *it);

/* The consumer step: if the head item is due at the recorder clock, takes
 * it, delivers it and settles it. Returns 1 when an item was handled
 * (delivered, dropped or rescheduled), 0 when nothing is due; *ret_wait_ms
 * (may be NULL) is then the time until the head is due, UINT64_MAX when the
 * queue is empty. Only one consumer may run at a time: do not call it while
 * the thread runs. */
int events_process_one(struct events_recorder *r, uint64_t *ret_wait_ms);

/* Spam filter, repeat planning and the write of one item (consumer only). */
enum events_outcome events_deliver(struct events_recorder *r, struct events_item *it,
                                   uint64_t now_ms);

/* True for errors worth another attempt (transport, 429/503). */
bool events_error_is_transient(int r);

/* ---- JSON (events-json.c) ---- */

/* The involvedObject of ref; fields that are NULL or "" are omitted.
 * 0, -EINVAL (text not UTF-8), -ENOMEM. */
int events_involved_json(const struct events_ref *ref, json_t **ret);

/* The complete Event for it (name, count, first_ns as planned). 0, -ENOMEM. */
int events_event_json(const struct events_recorder *r, const struct events_item *it, json_t **ret);

/* The merge patch of a repeat: {"count": n, "lastTimestamp": t}. */
int events_patch_json(const struct events_item *it, json_t **ret);

/* "2026-11-21T05:23:01Z" for wall_ns (clamped to 1970..9999). size >=
 * EVENTS_TIME_SIZE. 0 or -EINVAL. */
int events_format_time(int64_t wall_ns, char *buf, size_t size);

/* The largest length <= max at which s can be cut without splitting a
 * UTF-8 sequence (s is NUL-terminated). */
size_t events_utf8_cut(const char *s, size_t max);

/* Writes "<name cut to EVENTS_NAME_PREFIX, no trailing '.'/'-'>.<%016llx>"
 * into buf (size > EVENTS_NAME_MAX). */
void events_make_name(const char *obj_name, uint64_t unique, char *buf, size_t size);
