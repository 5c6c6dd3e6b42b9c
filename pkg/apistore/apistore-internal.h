/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * apistore internals: visible to the module, its tests and its fuzzer only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "apistore/apistore.h"

/* The cached prepared statements. */
enum apistore_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_OBJ_GET,
    STMT_OBJ_INSERT,
    STMT_OBJ_UPDATE,
    STMT_OBJ_DELETE,
    STMT_EV_INSERT,
    STMT_LIST_ALL,
    STMT_LIST_NS,
    STMT_LIST_AT_ALL,
    STMT_LIST_AT_NS,
    STMT_EVENTS_ALL,
    STMT_EVENTS_NS,
    STMT_RESOURCES,
    STMT_META_SET,
    STMT_COMPACT_DELETE,
    STMT_COMPACT_WINDOW,
    _STMT_MAX,
};

struct apistore_sub {
    apistore_row_fn fn;
    void *userdata;
};

/* Clock seam: returns CLOCK_REALTIME seconds (event timestamps). */
typedef int64_t (*apistore_clock_fn)(void *userdata);

struct apistore_ckpt;

/* WAL frames at which the background checkpointer is woken, and at which the
 * committing thread checkpoints itself because the WAL could not start over
 * (apistore-checkpoint.c). */
#define APISTORE_CHECKPOINT_PAGES 4000
#define APISTORE_WAL_MAX_PAGES    (16 * APISTORE_CHECKPOINT_PAGES)

struct apistore {
    sqlite3 *db;
    struct apistore_ckpt *ckpt; /* NULL for an in-memory database */
    int lock_fd;                /* holds the flock() that keeps one process per file, or -1 */
    sqlite3_stmt *stmt[_STMT_MAX];

    uint64_t rev;       /* last committed revision */
    uint64_t compacted; /* history before this revision is gone */
    uint64_t retain_min;
    int64_t window_sec;

    struct apistore_stats stats;

    struct apistore_sub *subs;
    size_t n_subs;

    bool busy; /* a callback is running: re-entrant calls are refused */

    apistore_clock_fn clock;
    void *clock_userdata;
};

/* A key for which apistore_key_valid() holds. */
struct apistore_key {
    const char *res, *ns, *name;
};

/* Maps a SQLite result code to -errno: BUSY/LOCKED -> -EBUSY, NOMEM ->
 * -ENOMEM, anything else -> -EIO. The one place where SQLite codes become
 * errno values. */
int apistore_sql_errno(int rc);

/* Returns the cached statement id, reset and with its bindings cleared. */
sqlite3_stmt *apistore_stmt(struct apistore *s, enum apistore_stmt id);

/* Resets a statement and clears its bindings after use (so no binding keeps
 * pointing at freed caller memory). */
void apistore_stmt_done(sqlite3_stmt *st);

/* Runs a statement that returns no rows. 0 or -errno. */
int apistore_stmt_exec(sqlite3_stmt *st);

/* Binds a text parameter; the text must outlive the step. 0 or -errno. */
int apistore_bind_text(sqlite3_stmt *st, int idx, const char *text, size_t len);
int apistore_bind_u64(sqlite3_stmt *st, int idx, uint64_t v);

/* Transactions on the cached BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int apistore_tx_begin(struct apistore *s);
int apistore_tx_commit(struct apistore *s);
void apistore_tx_rollback(struct apistore *s);

/* Writes meta(key) = value inside the caller's transaction. 0 or -errno. */
int apistore_meta_set(struct apistore *s, const char *key, uint64_t value);

/* Refreshes stats.db_bytes from page_count * page_size. 0 or -errno. */
int apistore_refresh_db_bytes(struct apistore *s);

/* The current time from the clock seam. */
int64_t apistore_now(struct apistore *s);

/* Test seam: replaces the clock used for event timestamps (NULL restores
 * CLOCK_REALTIME). */
void apistore_set_clock(struct apistore *s, apistore_clock_fn clock, void *userdata);

/* Key checks: res non-empty and <= APISTORE_RES_MAX bytes, ns <=
 * APISTORE_NS_MAX bytes, name non-empty and <= APISTORE_NAME_MAX bytes. */
bool apistore_key_valid(const char *res, const char *ns, const char *name);

/* Maps "ADDED"/"MODIFIED"/"DELETED" to the enum; -EBADMSG for anything else. */
int apistore_event_type_from_string(const char *s, enum apistore_event_type *ret);

/*
 * Object preparation (apistore-object.c).
 *
 * apistore_object_check(): obj must be a JSON object whose "metadata" is an
 * object; metadata.name, when present, a string equal to name;
 * metadata.namespace, when present, a string equal to ns; metadata.labels,
 * when present, an object whose values are strings. 0 or -EINVAL.
 *
 * apistore_object_stamp(): sets metadata.resourceVersion to the decimal rev
 * on a checked obj and serialises it. Returns 0 with *ret_body (compact JSON),
 * *ret_body_len and *ret_labels (compact JSON of metadata.labels, "{}" if
 * none), all malloc'd; -E2BIG when the body is larger than
 * APISTORE_OBJECT_MAX, -ENOMEM. On success *ret_saved holds the previous
 * resourceVersion value (a new reference, or NULL when there was none) for
 * apistore_object_restore().
 *
 * apistore_object_restore(): puts back the resourceVersion saved by
 * apistore_object_stamp() and drops the saved reference.
 */
int apistore_object_check(const json_t *obj, const char *ns, const char *name);
int apistore_object_stamp(json_t *obj,
                          uint64_t rev,
                          char **ret_body,
                          size_t *ret_body_len,
                          char **ret_labels,
                          json_t **ret_saved);
void apistore_object_restore(json_t *obj, json_t *saved);

/*
 * Background checkpoints (apistore-checkpoint.c). apistore_ckpt_start() opens
 * the helper's connection, starts its thread and installs the WAL hook on
 * s->db; 0 (also for an in-memory database, where nothing is started),
 * -ENOMEM, -errno from pthreads or -EIO from SQLite. apistore_ckpt_stop()
 * removes the hook, joins the thread and closes its connection; NULL-safe.
 * apistore_ckpt_wait() waits until no checkpoint is asked for or running and
 * returns how many the helper ran; -ENOENT without a helper, or the -errno of
 * its last checkpoint when that failed.
 */
int apistore_ckpt_start(struct apistore *s, bool sync_full);
void apistore_ckpt_stop(struct apistore *s);
int apistore_ckpt_wait(struct apistore *s, uint64_t *ret_runs);

/* Guard for entry points: refuses re-entrant calls from callbacks. */
#define APISTORE_ENTER(s)  \
    do {                   \
        if ((s)->busy)     \
            return -EBUSY; \
    } while (0)
