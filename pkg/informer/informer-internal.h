/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of pkg/informer, shared by its sources, its unit tests and
 * its fuzzer. Nothing here is part of the public API.
 *
 * Store layout: items maps key -> entry, where an entry is an immutable
 * array [obj, vals_0, ..., vals_{n-1}] holding the object and, per index,
 * the values its index function gave (null for none, a string for one, an
 * array of strings for several). Keeping the values makes removal from the
 * indexes allocation-free and never calls an index function twice for one
 * object. Each index maps value -> key (one object) or value -> {key: true,
 * ...} (several). jansson's hashtables are seeded randomly per process, so
 * hostile keys do not degrade them.
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

struct store_index {
    char *name;
    store_index_fn fn;
    void *userdata;
    json_t *map; /* value -> {key: true} */
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
    json_t *items; /* key -> entry */
    struct store_index *indexes;
    size_t n_indexes;
    bool written; /* no more store_add_index() once set */
    bool compact; /* entries hold the objects' JSON text (store_set_compact) */
    /* Compact mode: deflate dictionaries (informer-compact.c); added under
     * the write lock, never changed while the store lives. */
    struct store_dict dicts[STORE_DICT_MAX];
    size_t n_dicts;
};

/* A new reference to an entry's object: the object itself, or in compact
 * mode a fresh decode of its text. NULL only when out of memory. Caller
 * holds the lock (read or write). */
json_t *store_entry_object(const struct store *s, const json_t *entry);

/* Compact mode (informer-compact.c). store_compact_pack() encodes an
 * object's JSON text (maybe adding it as a dictionary: write lock held) as a
 * new binary-safe jansson string; 0, -E2BIG, -ENOMEM.
 * store_compact_unpack() decodes one back to a new object, NULL when out of
 * memory or corrupt. store_compact_done() frees the dictionaries. */
int store_compact_pack(struct store *s, const char *text, size_t len, json_t **ret);
json_t *store_compact_unpack(const struct store *s, const json_t *packed);
void store_compact_done(struct store *s);

/* Builds the entry [obj, vals...] for obj by running every index function
 * (caller holds the write lock). Returns 0, -ENOMEM or an index error. */
int store_entry_build(struct store *s, json_t *obj, json_t **ret);

/* Recorded values of one entry for one index (null, string or array). */
size_t store_vals_count(const json_t *vals);
const char *store_vals_at(const json_t *vals, size_t i);
bool store_vals_contain(const json_t *vals, const char *v);
/* Turns a collected array into the recorded shape; consumes values. */
json_t *store_vals_pack(json_t *values);

/* One index map: value -> key string, or value -> {key: true, ...}.
 * store_postings_add() returns 0 or -ENOMEM (then nothing changed);
 * removal never allocates. */
int store_postings_add(json_t *map, const char *value, const char *key);
void store_postings_remove(json_t *map, const char *value, const char *key);
bool store_postings_has(const json_t *map, const char *value, const char *key);

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
