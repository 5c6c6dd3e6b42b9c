/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * apistore: the SQLite storage of anvil-apiserver, on the revision-log model.
 *
 * One global revision counter (uint64) covers the whole database and is the
 * Kubernetes resourceVersion. Every create/update/delete is one transaction
 * that bumps the revision, writes it into the object's
 * metadata.resourceVersion, upserts or deletes the row in `objects` and
 * appends a row to the `events` log. Lists are served from `objects`, lists
 * at an exact past revision and watch replays from `events`; compaction
 * bounds the log and moves the "compacted revision" below which history is
 * gone (the server answers 410 Expired there).
 *
 * Keys: `res` is an opaque resource key chosen by the caller (for example
 * "tinkerbell.org/hardware" or "/namespaces"), `ns` is "" for cluster-scoped
 * objects, `name` is never empty.
 *
 * Threading: a store is used from ONE thread (the server's event loop). No
 * function is thread-safe. Callbacks (list rows, subscribers) must not call
 * back into the store: while one runs, every entry point except the plain
 * getters (apistore_revision(), apistore_compacted_revision(),
 * apistore_get_stats()) returns -EBUSY.
 *
 * Errors: -EINVAL (bad argument), -ENOENT, -EEXIST, -ECANCELED (revision
 * precondition failed), -ESTALE (revision compacted), -ERANGE (revision in
 * the future), -E2BIG (object larger than APISTORE_OBJECT_MAX), -ENOMEM,
 * -EBUSY (database locked by another process, or a re-entrant call), -EIO
 * (any other SQLite failure; the transaction was rolled back).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest stored JSON body (compact serialisation), in bytes. */
#define APISTORE_OBJECT_MAX (3u * 1024u * 1024u)
/* Longest accepted key parts, in bytes. */
#define APISTORE_RES_MAX  512u
#define APISTORE_NS_MAX   253u
#define APISTORE_NAME_MAX 253u

/* Defaults applied when the corresponding option is 0. */
#define APISTORE_RETAIN_MIN_DEFAULT      1000u
#define APISTORE_WINDOW_SEC_DEFAULT      300
#define APISTORE_BUSY_TIMEOUT_MS_DEFAULT 5000u
/* Revisions one apistore_maintain() call compacts at most. */
#define APISTORE_COMPACT_BATCH 1000u

struct apistore;

struct apistore_opts {
    const char *path;         /* database file; ":memory:" for tests */
    bool sync_full;           /* PRAGMA synchronous=FULL (fsync per commit) instead of NORMAL */
    uint64_t retain_min;      /* maintain() never compacts the newest N revisions (0 = 1000) */
    int64_t window_sec;       /* maintain() keeps events newer than this (0 = 300; < 0 invalid) */
    uint32_t busy_timeout_ms; /* wait for a lock held by another process (0 = 5000) */
};

enum apistore_event_type {
    APISTORE_ADDED,
    APISTORE_MODIFIED,
    APISTORE_DELETED,
    _APISTORE_EVENT_TYPE_MAX,
};

/* "ADDED", "MODIFIED", "DELETED" (the watch event type strings), NULL when
 * out of range. */
const char *apistore_event_type_to_string(enum apistore_event_type t);

/* One object or one event. Every pointer is borrowed: valid only during the
 * callback it is passed to. */
struct apistore_row {
    const char *res, *ns, *name;
    uint64_t rev;                  /* mod revision of the object (or revision of the event) */
    enum apistore_event_type type; /* events: ADDED/MODIFIED/DELETED; list rows: ADDED */
    const char *labels;            /* compact JSON object of metadata.labels, "{}" if none */
    const char *body;              /* JSON text, metadata.resourceVersion already set */
    size_t body_len;               /* strlen(body) */
};

/* Row callback. A negative return stops the iteration and is returned by the
 * iterating function; 0 or positive continues. */
typedef int (*apistore_row_fn)(const struct apistore_row *row, void *userdata);

/* Opens (creating if needed) the database at opts->path: WAL journal,
 * synchronous NORMAL (FULL with sync_full), an flock() keeping one process per
 * database, schema created or checked, revisions loaded, statements prepared,
 * a helper thread started for checkpoints (file databases only; it never
 * calls back). Returns 0 and *ret (free with apistore_free()), -EINVAL for bad
 * options, -ENOTSUP for a database written by a newer schema, -EBUSY when
 * another process holds the database, -ENOMEM, or -errno/-EIO from SQLite. */
int apistore_open(struct apistore **ret, const struct apistore_opts *opts);

/* Closes the database and frees the store. NULL-safe; returns NULL. */
struct apistore *apistore_free(struct apistore *s);

/* The current (last committed) revision; 0 for an empty, never-written store. */
uint64_t apistore_revision(const struct apistore *s);

/* The compacted revision C: history before C is gone. apistore_list_at()
 * accepts rev >= C and apistore_events_since() accepts since >= C. */
uint64_t apistore_compacted_revision(const struct apistore *s);

/* Current object. Returns 0 with *ret_body (malloc'd NUL-terminated JSON text,
 * caller frees) and *ret_rev (its mod revision); either may be NULL.
 * -ENOENT when absent, -EINVAL for a malformed key. */
int apistore_get(struct apistore *s,
                 const char *res,
                 const char *ns,
                 const char *name,
                 char **ret_body,
                 uint64_t *ret_rev);

/* Listing options; a NULL options pointer means all zero. */
struct apistore_list_opts {
    const char *ns;         /* NULL = all namespaces */
    const char *name;       /* exact name filter, NULL = any */
    const char *after_ns;   /* with after_name: start strictly after (after_ns, after_name); */
    const char *after_name; /*   after_ns NULL means "" (for continue tokens) */
    size_t limit;           /* at most this many rows, 0 = no limit */
};

/* Calls fn for each current object of res matching o, ordered by (ns, name).
 * *ret_rev (may be NULL) = the revision the listing is consistent with;
 * *ret_more (may be NULL) = true when more rows follow the last one given.
 * Returns 0, a negative value returned by fn (outputs then untouched),
 * -EINVAL, -ENOMEM, -EBUSY or -EIO. */
int apistore_list(struct apistore *s,
                  const char *res,
                  const struct apistore_list_opts *o,
                  apistore_row_fn fn,
                  void *userdata,
                  uint64_t *ret_rev,
                  bool *ret_more);

/* The objects of res as they were exactly at revision rev (each row carries
 * the body and mod revision it had then). -ESTALE when rev is below the
 * compacted revision (answer 410 Expired), -ERANGE when rev is above the
 * current revision. Otherwise as apistore_list(). */
int apistore_list_at(struct apistore *s,
                     const char *res,
                     uint64_t rev,
                     const struct apistore_list_opts *o,
                     apistore_row_fn fn,
                     void *userdata,
                     bool *ret_more);

/* Calls fn for every event of res (ns NULL = all namespaces) with revision >
 * since, in revision order. -ESTALE when since is below the compacted
 * revision (history incomplete), -ERANGE when since is above the current
 * revision; else as apistore_list(). */
int apistore_events_since(struct apistore *s,
                          const char *res,
                          const char *ns,
                          uint64_t since,
                          apistore_row_fn fn,
                          void *userdata);

/* Calls fn once for each distinct resource key that has current objects, in
 * byte order (for start-up, e.g. to load every stored CRD). Returns 0, a
 * negative value from fn, -EBUSY or -EIO. */
int apistore_list_resources(struct apistore *s,
                            int (*fn)(const char *res, void *userdata),
                            void *userdata);

enum apistore_op {
    APISTORE_CREATE,
    APISTORE_UPDATE,
    APISTORE_DELETE,
    _APISTORE_OP_MAX,
};

struct apistore_write {
    enum apistore_op op;
    const char *res, *ns, *name;
    uint64_t expected_rev; /* UPDATE/DELETE: 0 = unconditional, else must equal the stored
                              revision; CREATE: must be 0 */
    json_t *obj;           /* CREATE/UPDATE: the full object (a JSON object whose "metadata"
                              is an object; metadata.name, when present, must equal name and
                              metadata.namespace, when present, must equal ns). The store sets
                              metadata.resourceVersion on it on success and leaves it as it
                              was on failure. DELETE: NULL (record the stored body) or the
                              final state to record in the DELETED event. Borrowed. */
};

/* One write in one transaction. Returns 0 and *ret_rev (may be NULL) = the new
 * revision; -EINVAL (malformed key, op or object), -E2BIG, -EEXIST (create of
 * an existing object), -ENOENT (update/delete of a missing one), -ECANCELED
 * (expected_rev mismatch: HTTP 409 Conflict), -EIO (SQLite failure; nothing
 * written), -ENOMEM, -EBUSY, -EOVERFLOW (revision space exhausted). After
 * commit and before returning, every subscriber is called synchronously with
 * the event row. */
int apistore_write(struct apistore *s, const struct apistore_write *w, uint64_t *ret_rev);

/* n writes in ONE transaction, all or nothing; each write gets its own
 * revision, in array order, and later writes see earlier ones (create then
 * update of one key works). Returns 0 or the first failing write's error (as
 * apistore_write(); no write is applied). Subscribers are called for each
 * event, in order, after commit. n == 0 is a no-op returning 0. */
int apistore_write_batch(struct apistore *s, const struct apistore_write *w, size_t n);

/* Registers fn to be called after each commit with the event row (type, res,
 * ns, name, rev, labels, body), in revision order. Its return value is
 * ignored: the write has already committed. Returns 0, -EINVAL or -ENOMEM. */
int apistore_subscribe(struct apistore *s, apistore_row_fn fn, void *userdata);

/* Removes the first registration of (fn, userdata). 0 or -ENOENT. */
int apistore_unsubscribe(struct apistore *s, apistore_row_fn fn, void *userdata);

/* Compacts the log up to target_rev, ignoring retain_min and window_sec:
 * removes every event row with rev <= target_rev except, per key, the newest
 * such row when it is not a DELETED tombstone, so apistore_list_at() still
 * reconstructs every revision >= target_rev. Works in batches of
 * APISTORE_COMPACT_BATCH revisions, one transaction each. Returns 1 when the
 * compacted revision advanced (read it with apistore_compacted_revision()),
 * 0 when target_rev <= the compacted revision, -ERANGE when target_rev is
 * above the current revision, -EIO, -EBUSY. (A revision is a uint64, so it is
 * not returned through the int.) */
int apistore_compact(struct apistore *s, uint64_t target_rev);

/* One bounded step of background compaction: the target is the newest
 * revision that is both older than the newest retain_min revisions and not
 * newer than window_sec before now_sec (seconds on the same clock as the
 * event timestamps: CLOCK_REALTIME), capped at APISTORE_COMPACT_BATCH
 * revisions past the compacted revision. Returns 1 when it compacted
 * something (call again soon), 0 when there is nothing to do, or -errno as
 * apistore_compact(). */
int apistore_maintain(struct apistore *s, int64_t now_sec);

/* Counters for /metrics. */
struct apistore_stats {
    uint64_t writes;         /* committed writes (events appended) */
    uint64_t conflicts;      /* writes refused with -ECANCELED */
    uint64_t compactions;    /* compaction transactions that advanced the compacted revision */
    uint64_t events_deleted; /* event rows removed by compaction */
    uint64_t db_bytes;       /* database size (pages * page size), as of open or the last
                                apistore_maintain()/apistore_compact() call */
};

/* Copies the counters into *ret. */
void apistore_get_stats(const struct apistore *s, struct apistore_stats *ret);
