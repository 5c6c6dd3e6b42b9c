/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of pkg/informer, shared by its sources, its unit tests and
 * its fuzzer. Nothing here is part of the public API.
 *
 * Store layout (plain C tables, no jansson containers):
 *   - items: an open-addressing hash table (power-of-two capacity, linear
 *     probing, backward-shift deletion, so no tombstones) of pointers to
 *     entries. An entry is ONE allocation holding its key, the object (a
 *     reference) or in compact mode its packed text, and per index the
 *     values its index function gave. Keeping the values makes removal from
 *     the indexes allocation-free and never calls an index function twice
 *     for one object.
 *   - per index: another such table from value to a posting: one entry
 *     pointer inline, or a set of entry pointers sorted by key. A posting's
 *     value string points into one of its entries (never copied).
 * Keys and values are hashed with a per-store random seed. Writers reserve
 * every table slot and set capacity they may need before the first visible
 * change, so a failed write leaves the store as it was. The store's own
 * allocations go through jansson's allocator (json_set_alloc_funcs).
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "informer/informer.h"

struct store_index_keys {
    json_t *values; /* array of strings, no duplicates */
};

struct store_entry {
    json_t *obj;                 /* non-compact mode: a reference; else NULL */
    const unsigned char *packed; /* compact mode: the packed text, in this block */
    uint32_t packed_len;
    uint32_t hash;            /* of key, under the store's seed */
    const char *key;          /* in this block */
    const char *const *vals;  /* every index's values, index by index, in this block */
    const uint32_t *vals_end; /* vals_end[i]: one past index i's last value */
};

/* The values entry e records for index i: *ret_n of them. */
const char *const *store_entry_vals(const struct store_entry *e, size_t i, size_t *ret_n);

/* A table of entries keyed by entry->key. */
struct store_items {
    struct store_entry **slots; /* NULL = free */
    size_t cap;                 /* 0 or a power of two */
    size_t n;
};

/* One value of an index: n entries, inline when one (p is the entry),
 * else p is a struct store_posting_set. */
struct store_posting {
    const char *value; /* NULL = free slot; points into one of the entries */
    void *p;
    uint32_t hash;
    uint32_t n : 31;
    uint32_t is_set : 1;
};

struct store_posting_set {
    uint32_t cap;
    struct store_entry *e[]; /* n (in the posting) of them, sorted by key */
};

struct store_postings {
    struct store_posting *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
};

struct store_index {
    char *name;
    store_index_fn fn;
    void *userdata;
    struct store_postings map;
};

#define STORE_DICT_MAX     4     /* compact mode: dictionaries per store */
#define STORE_DICT_LEN_MAX 16000 /* longest object text used as one */

struct store_dict {
    unsigned char *data;
    size_t len;
};

struct store {
    atomic_uint n_ref;
    pthread_rwlock_t lock;
    uint64_t seed; /* hash seed, random per store */
    struct store_items items;
    struct store_index *indexes;
    size_t n_indexes;
    bool written; /* no more store_add_index() once set */
    bool compact; /* entries hold the objects' JSON text (store_set_compact) */
    /* Compact mode: deflate dictionaries (informer-compact.c); added under
     * the write lock, never changed while the store lives. */
    struct store_dict dicts[STORE_DICT_MAX];
    size_t n_dicts;
};

/* Allocation through jansson's current allocator (tests make it fail). */
void *store_alloc(size_t n);
void store_dealloc(void *p);

/* Seeded string hash of the store's tables. */
uint32_t store_hash(const struct store *s, const char *str);

/* Items table (informer-store.c). store_items_reserve() makes room for
 * extra more entries: 0 or -ENOMEM (the table is then unchanged).
 * store_items_put() needs that room when key is new, never allocates, and
 * returns the entry it replaced (or NULL). */
struct store_entry *store_items_get(const struct store_items *t, const char *key, uint32_t hash);
int store_items_reserve(struct store_items *t, size_t extra);
struct store_entry *store_items_put(struct store_items *t, struct store_entry *e);
void store_items_remove(struct store_items *t, const struct store_entry *e);

/* Index tables. store_postings_prepare() makes sure that adding one entry
 * to value allocates nothing (room for a new value, or in its set), and
 * store_postings_insert() then adds e (never allocates). _replace() swaps
 * old for new (same key) and _erase() drops e; neither allocates.
 * store_postings_clear() frees the sets and slots. */
int store_postings_prepare(struct store_postings *t, const char *value, uint32_t hash);
void store_postings_insert(struct store_postings *t,
                           size_t index,
                           const char *value,
                           uint32_t hash,
                           struct store_entry *e);
void store_postings_replace(struct store_postings *t,
                            size_t index,
                            const char *value,
                            uint32_t hash,
                            struct store_entry *old,
                            struct store_entry *e);
void store_postings_erase(struct store_postings *t,
                          size_t index,
                          const char *value,
                          uint32_t hash,
                          const struct store_entry *e);
const struct store_posting *
store_postings_get(const struct store_postings *t, const char *value, uint32_t hash);
void store_postings_clear(struct store_postings *t);

/* A new reference to an entry's object: the object itself, or in compact
 * mode a fresh decode of its text. NULL only when out of memory. Caller
 * holds the lock (read or write). */
json_t *store_entry_object(const struct store *s, const struct store_entry *e);

/* Builds the entry for obj under key (copied) by running every index
 * function (caller holds the write lock). Returns 0, -ENOMEM, -E2BIG or an
 * index error. */
int store_entry_build(struct store *s, const char *key, json_t *obj, struct store_entry **ret);
void store_entry_free(struct store_entry *e);

/* Compact mode (informer-compact.c). store_compact_pack() encodes an
 * object's JSON text (maybe adding it as a dictionary: write lock held) as
 * new bytes (free()) in *ret, *ret_len; 0, -E2BIG, -ENOMEM.
 * store_compact_unpack() decodes them back to a new object, NULL when out
 * of memory or corrupt. store_compact_done() frees the dictionaries. */
int store_compact_pack(struct store *s,
                       const char *text,
                       size_t len,
                       unsigned char **ret,
                       size_t *ret_len);
json_t *store_compact_unpack(const struct store *s, const unsigned char *p, size_t plen);
void store_compact_done(struct store *s);

/* metadata.resourceVersion of obj, or NULL. */
const char *store_object_rv(const json_t *obj);

/* True when a and b are the same version of an object: equal
 * metadata.resourceVersion when both have one, else equal values. */
bool store_same_version(const json_t *a, const json_t *b);

/* Verifies that every index holds exactly the values its entries record and
 * that every entry sits under its own key. Returns 0 or -EUCLEAN with a
 * description in *ret_why (static text) if ret_why is not NULL. For tests and
 * the fuzzer; takes the read lock. */
int store_check(struct store *s, const char **ret_why);

/* ------------------------------------------------------------- backoff */

/* client-go's exponential backoff manager: the n-th wait since the last
 * reset is base_n + jitter * rand * base_n with base_n = init * 2^n capped at
 * max; a failure more than reset_ms after the previous one starts again at
 * init. */
struct informer_backoff {
    uint64_t init_ms;
    uint64_t max_ms;
    uint64_t reset_ms;
    double jitter;
    uint64_t cur_ms;  /* base of the next wait; 0 = not started */
    uint64_t last_ms; /* when the previous wait was handed out */
};

void informer_backoff_init(struct informer_backoff *b,
                           uint64_t init_ms,
                           uint64_t max_ms,
                           uint64_t reset_ms,
                           double jitter);

/* The next wait in milliseconds at time now_ms; rand01 in [0, 1). */
uint64_t informer_backoff_next(struct informer_backoff *b, uint64_t now_ms, double rand01);

/* ------------------------------------------------------------ informer */

/* Time, sleep and randomness of the reflector; tests inject fakes. */
struct informer_env {
    uint64_t (*now_ms)(void *userdata);
    /* Waits ms unless the informer is stopping; returns 0 or -ECANCELED.
     * Default: a condition-variable wait that informer_stop() interrupts. */
    int (*sleep_ms)(struct informer *inf, uint64_t ms, void *userdata);
    double (*rand01)(void *userdata); /* [0, 1) */
    void *userdata;
};

#define INFORMER_DEFAULT_PAGE_SIZE  500
#define INFORMER_DEFAULT_BACKOFF_MS UINT64_C(800)
#define INFORMER_DEFAULT_MAX_MS     UINT64_C(30000)
#define INFORMER_DEFAULT_RESET_MS   UINT64_C(120000)
#define INFORMER_SHORT_WATCH_MS     UINT64_C(1000)
#define INFORMER_WATCH_TIMEOUT_MIN  300 /* seconds; the timeout is in [300, 600) */
#define INFORMER_MAX_PAGES          100000
#define INFORMER_CONTINUE_MAX       (64u * 1024)

struct informer {
    struct informer_source *src; /* borrowed */
    struct store *store;         /* a reference */
    struct informer_handler *handlers;
    size_t n_handlers;
    long page_size;
    struct informer_backoff backoff;
    struct informer_env env;

    pthread_mutex_t lock; /* everything below up to the reflector-only part */
    pthread_cond_t cond;  /* CLOCK_MONOTONIC: stop, sync and thread exit */
    bool started;
    bool stopping;
    bool synced;
    bool running; /* thread created and not yet joined */
    bool exited;  /* informer_run() returned */
    pthread_t thread;
    struct informer_stats stats;
    char rv[INFORMER_RV_MAX + 1];

    /* reflector thread only */
    bool rv_unavailable; /* the last list at rv got 410: list at "" next */
    uint64_t watch_events;
};

/* Replaces clock, sleep and randomness (copied; NULL members keep the
 * defaults). Before informer_start(). */
void informer_set_env(struct informer *inf, const struct informer_env *env);

/* The reflector loop: lists, watches, backs off, until stopping. Runs on the
 * informer thread, or directly on the caller's thread in unit tests.
 * Returns 0. */
int informer_run(struct informer *inf);

/* Sets the stop flag and wakes waits, without cancelling the source or
 * joining. Safe from the reflector thread (fake sources use it). */
void informer_request_stop(struct informer *inf);

/* True once a stop was requested. */
bool informer_is_stopping(struct informer *inf);

/* Monotonic milliseconds on the injected clock. */
uint64_t informer_now_ms(struct informer *inf);

/* Applies one watch event to the store and the handlers (the event
 * callback the reflector gives its source). */
int informer_apply_event(enum informer_event_type type, json_t *object, void *userdata);

/* Calls every handler for one change. */
void informer_dispatch(struct informer *inf, enum store_change_type type, json_t *old, json_t *obj);
