/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * client-go's informer contract in C: a thread-safe store of immutable,
 * refcounted objects with secondary indexes (prefix store_), and a
 * reflector that keeps it in step with the API server by list-then-watch,
 * relisting on 410 Gone with a diff, behind a small source interface
 * (prefix informer_). See docs/informer.md.
 *
 * Objects are jansson values shared between threads by reference count.
 * Once an object is handed to the store nobody may modify it again: the
 * store, its readers and the event handlers all see the same json_t.
 *
 * Threads: every store_ function is thread-safe (one rwlock per store).
 * An informer runs its reflector in its own pthread and calls the event
 * handlers from that thread, one call at a time, in event order.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

/* ================================================================ store */

struct store;

/* Longest "namespace/name" key: a namespace is at most 63 bytes and a name
 * at most 253 in Kubernetes; the cap leaves room and bounds hostile input. */
#define STORE_KEY_MAX 512
/* Longest value an index function may emit. */
#define STORE_INDEX_VALUE_MAX 1024

/* Names under which the ready-made index functions are usually registered. */
#define STORE_INDEX_MAC      "mac"
#define STORE_INDEX_IP       "ip"
#define STORE_INDEX_AGENT_ID "agentID"

/* Collects the values one object has in one index. */
struct store_index_keys;

/* Adds value (copied; a value already collected is ignored). Returns 0,
 * -EINVAL for NULL arguments or an empty value, -E2BIG for a value longer
 * than STORE_INDEX_VALUE_MAX, -ENOMEM. */
int store_index_keys_add(struct store_index_keys *keys, const char *value);

/* An index function: adds 0..n values for obj to keys with
 * store_index_keys_add() and returns 0, or a negative errno, which makes the
 * store refuse the object. It must be pure (the same object always gives the
 * same values), must not keep obj, and must not call into the store: it runs
 * with the store lock held. */
typedef int (*store_index_fn)(const json_t *obj, struct store_index_keys *keys, void *userdata);

/* Ready-made index functions (userdata unused, may be NULL):
 * Hardware by every spec.interfaces[].dhcp.mac, lowercased;
 * Hardware by every spec.interfaces[].dhcp.ip.address;
 * Hardware by spec.agentID;
 * Workflow by status.agentID.
 * Fields that are missing, not strings or empty give no value. Each returns
 * 0, or -E2BIG / -ENOMEM from store_index_keys_add(). */
int store_index_hardware_mac(const json_t *obj, struct store_index_keys *keys, void *userdata);
int store_index_hardware_ip(const json_t *obj, struct store_index_keys *keys, void *userdata);
int store_index_hardware_agent_id(const json_t *obj, struct store_index_keys *keys, void *userdata);
int store_index_workflow_agent_id(const json_t *obj, struct store_index_keys *keys, void *userdata);

/* Compact mode, for stores of many objects: each object is kept as its
 * compact JSON text, deflated against a dictionary made of earlier objects
 * of the store (objects of one kind share most of their text: about ten
 * times smaller than the parsed tree), and every
 * read (store_get, store_list, store_by_index, the old object of an update)
 * returns a freshly parsed copy, so callers own what they get and pointer
 * identity between reads means nothing. Call before the first object is
 * added. Returns 0, -EBUSY (objects were added), -EINVAL. */
int store_set_compact(struct store *s);

/* Creates an empty store with one reference. Returns 0 or -ENOMEM. */
int store_new(struct store **ret);

/* Takes another reference; returns s. Thread-safe. NULL-safe. */
struct store *store_ref(struct store *s);

/* Drops a reference and frees the store with the last one. Accepts NULL and
 * returns NULL. Objects that callers still hold stay valid. */
struct store *store_unref(struct store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store *, store_unref)
#define _cleanup_store_ _cleanup_(store_unrefp)

/* Registers an index (name copied, fn and userdata kept). Only allowed
 * before the store is first written. Returns 0, -EINVAL (NULL or empty
 * name, NULL fn), -EEXIST (name taken), -EBUSY (the store was written
 * already), -ENOMEM. */
int store_add_index(struct store *s, const char *name, store_index_fn fn, void *userdata);

/* The store key of obj: "namespace/name", or "name" when metadata.namespace
 * is missing or empty (client-go's MetaNamespaceKeyFunc). Returns 0 and a
 * string the caller frees, -EBADMSG when obj is not an object, has no
 * string metadata.name, or has a name or namespace that is empty, contains
 * '/' or NUL, or makes the key longer than STORE_KEY_MAX; -ENOMEM. */
int store_key_of(const json_t *obj, char **ret_key);

/* Looks up key. Returns 0 and a new reference in *ret (json_decref it; do
 * not modify it), -ENOENT, -EINVAL. */
int store_get(struct store *s, const char *key, json_t **ret);

/* Snapshot of every object: a new array holding references, in no
 * particular order. Returns 0, -EINVAL, -ENOMEM. */
int store_list(struct store *s, json_t **ret);

/* Snapshot of every key, sorted (strcmp order): a new array of strings.
 * Returns 0, -EINVAL, -ENOMEM. */
int store_list_keys(struct store *s, json_t **ret);

/* Objects whose index function gave value, as a new array of references
 * sorted by key (empty when none). Returns 0, -ENOENT (no index of that
 * name), -EINVAL, -ENOMEM. */
int store_by_index(struct store *s, const char *index, const char *value, json_t **ret);

/* Number of objects. Thread-safe; 0 for NULL. */
size_t store_size(struct store *s);

/* Inserts obj, or replaces the object with the same key. The store takes its
 * own reference; obj must not be modified afterwards by anyone. Returns 0
 * when the key was new, 1 when an object was replaced (then *ret_old, if
 * ret_old is not NULL, receives a reference to the previous object),
 * -EBADMSG (no valid key, see store_key_of()), -EINVAL, -ENOMEM, or the
 * error of an index function. On failure the store is unchanged. */
int store_add(struct store *s, json_t *obj, json_t **ret_old);

/* The same upsert as store_add() (client-go's Update equals its Add); kept
 * so callers read like the event they apply. Same returns. */
int store_update(struct store *s, json_t *obj, json_t **ret_old);

/* Removes the object with obj's key. Returns 0 (and a reference to the
 * removed object in *ret_old if ret_old is not NULL), -ENOENT when absent,
 * -EBADMSG (no valid key), -EINVAL. Never fails for lack of memory once the
 * key is built. */
int store_delete(struct store *s, const json_t *obj, json_t **ret_old);

/* Removes the object under key. Returns as store_delete(). */
int store_delete_key(struct store *s, const char *key, json_t **ret_old);

enum store_change_type {
    STORE_CHANGE_ADD,
    STORE_CHANGE_UPDATE,
    STORE_CHANGE_DELETE,
    _STORE_CHANGE_MAX,
};

/* One difference found by store_replace(). References are owned by the
 * diff: ADD has obj, UPDATE has old and obj, DELETE has old. */
struct store_change {
    enum store_change_type type;
    json_t *old;
    json_t *obj;
};

struct store_diff {
    struct store_change *changes; /* adds and updates in list order, then deletes by key */
    size_t n_changes;
    size_t n_unchanged; /* items whose resourceVersion matched the stored object */
    size_t n_skipped;   /* items without a valid key (not stored) */
};

/* Replaces the whole content with the objects of the array items (a List's
 * items; references taken, objects must not be modified afterwards).
 * An item whose key is already stored with the same metadata.resourceVersion
 * (or, when either lacks one, an equal value) keeps the stored object and
 * gives no change; a changed one gives UPDATE, a new one ADD; stored keys
 * missing from items give DELETE. Items without a valid key are skipped and
 * counted; of duplicate keys the last wins. Atomic: readers see the old or
 * the new content, and on failure the store is unchanged. Returns 0 and the
 * diff in *ret_diff if not NULL (free with store_diff_free()), -EINVAL
 * (items not an array), -ENOMEM, or an index function's error. */
int store_replace(struct store *s, json_t *items, struct store_diff **ret_diff);

/* Frees a diff and its references. Accepts NULL, returns NULL. */
struct store_diff *store_diff_free(struct store_diff *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store_diff *, store_diff_free)
#define _cleanup_store_diff_ _cleanup_(store_diff_freep)

/* ============================================================= informer */

enum informer_event_type {
    INFORMER_EVENT_ADDED,
    INFORMER_EVENT_MODIFIED,
    INFORMER_EVENT_DELETED,
    INFORMER_EVENT_BOOKMARK,
    _INFORMER_EVENT_MAX,
};

/* Longest resourceVersion accepted from a source (etcd revisions are
 * decimal 64-bit numbers; the cap bounds hostile input). */
#define INFORMER_RV_MAX 64

/* One LIST call. resource_version is "0", "", a version, or NULL on a
 * continue page; limit 0 means everything at once; cont is NULL or the
 * previous page's metadata.continue. */
struct informer_list_req {
    const char *resource_version;
    long limit;
    const char *cont;
};

/* One WATCH call: start after resource_version, bookmarks allowed, end
 * after timeout_seconds. */
struct informer_watch_req {
    const char *resource_version;
    long timeout_seconds;
    bool allow_bookmarks;
};

/* Called by a source for every watch event, on the thread running the
 * watch. object is borrowed for the call (the callee takes its own
 * reference to keep it). A negative return ends the watch and is returned
 * by the source's watch(). */
typedef int (*informer_event_fn)(enum informer_event_type type, json_t *object, void *userdata);

/*
 * Where a reflector gets its objects from: informer_source_kube() or a fake.
 * Errors are negative errnos with the meaning kube.h gives them; the
 * reflector relies on these:
 *   -ESTALE        410 Expired/Gone, or "too large resource version"
 *   -ECONNREFUSED  nobody listening          -EAGAIN  429/503
 *   -ECONNRESET    (watch) the stream broke without an HTTP error
 *   -ETIMEDOUT     (watch) the stream went silent
 *   -ECANCELED     cancel() was called       others   failures
 */
struct informer_source {
    /* One page: returns 0 and a List object (items, metadata.resourceVersion,
     * metadata.continue) in *ret_list, or a negative errno. Required. */
    int (*list)(struct informer_source *src,
                const struct informer_list_req *req,
                json_t **ret_list);
    /* Runs a watch until the stream ends (0), fn returns < 0 (that value),
     * cancel() is called (-ECANCELED) or an error. Calls fn per event.
     * Required. */
    int (*watch)(struct informer_source *src,
                 const struct informer_watch_req *req,
                 informer_event_fn fn,
                 void *userdata);
    /* Makes a running and every later list()/watch() return -ECANCELED soon.
     * Called from another thread by informer_stop(). Optional. */
    void (*cancel)(struct informer_source *src);
    /* Frees the source (informer_source_free()). Optional. */
    void (*free)(struct informer_source *src);
    void *userdata;
};

struct kube_client;
struct kube_resource;

/* A source on pkg/kube: kube_list() and kube_watch_run() on resource r in
 * namespace ns (NULL or "" = all namespaces) with an optional label
 * selector. Copies r, ns and label_selector; keeps c, which must outlive the
 * source. 410 and "too large resource version" map to -ESTALE, an ERROR
 * event to -ESTALE or -EIO. Returns 0, -EINVAL, -ENOMEM. */
int informer_source_kube(struct kube_client *c,
                         const struct kube_resource *r,
                         const char *ns,
                         const char *label_selector,
                         struct informer_source **ret);

/* Calls src->free (if set). Accepts NULL, returns NULL. */
struct informer_source *informer_source_free(struct informer_source *src);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct informer_source *, informer_source_free)
#define _cleanup_informer_source_ _cleanup_(informer_source_freep)

/* Event handlers, called on the reflector thread after the store changed,
 * without any lock held (they may read the store). Objects are borrowed for
 * the call; json_incref() to keep one, never modify it. A negative return
 * is counted in stats.handler_errors and otherwise ignored. Any member may
 * be NULL. */
struct informer_handler {
    int (*on_add)(json_t *obj, void *userdata);
    int (*on_update)(json_t *old, json_t *obj, void *userdata);
    int (*on_delete)(json_t *obj, void *userdata);
    void *userdata;
};

struct informer_opts {
    long page_size;            /* 0: 500 for lists at "0" and ""; < 0: never page */
    uint64_t backoff_init_ms;  /* 0: 800 */
    uint64_t backoff_max_ms;   /* 0: 30000 */
    uint64_t backoff_reset_ms; /* 0: 120000 (two healthy minutes) */
};

struct informer;

/* Counters since informer_new(); a consistent snapshot. */
struct informer_stats {
    uint64_t lists;                       /* successful lists delivered to the store */
    uint64_t relists;                     /* of those, the ones after the first */
    uint64_t list_failures;               /* failed list attempts */
    uint64_t watches;                     /* watch calls started */
    uint64_t watch_restarts;              /* watch calls after the first */
    uint64_t watch_failures;              /* watches that ended in an error or were very short */
    uint64_t expired;                     /* 410 answers (list or watch) */
    uint64_t backoffs;                    /* backoff waits */
    uint64_t events[_INFORMER_EVENT_MAX]; /* watch events applied, by type */
    uint64_t bad_objects;                 /* list items and events without a valid key or version */
    uint64_t handler_errors;              /* negative handler returns */
};

/* Creates a stopped informer over src (borrowed: it must outlive the
 * informer) and store (a reference is taken; register indexes before
 * informer_start()). opts may be NULL. Returns 0, -EINVAL (NULL src, store,
 * a source without list or watch, or a backoff_max below backoff_init),
 * -ENOMEM. */
int informer_new(struct informer **ret,
                 struct informer_source *src,
                 struct store *store,
                 const struct informer_opts *opts);

/* Stops the reflector if running (informer_stop()) and frees the informer.
 * Accepts NULL, returns NULL. Must not be called from a handler. */
struct informer *informer_free(struct informer *inf);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct informer *, informer_free)
#define _cleanup_informer_ _cleanup_(informer_freep)

/* Adds a handler (copied) before informer_start(). Returns 0, -EINVAL,
 * -EBUSY (started), -ENOMEM. */
int informer_add_handler(struct informer *inf, const struct informer_handler *h);

/* Starts the reflector thread. Returns 0, -EINVAL, -EALREADY (started
 * before; an informer runs once), or the pthread_create error. */
int informer_start(struct informer *inf);

/* Asks the reflector to stop, cancels the source (a running watch ends at
 * once; a list in flight ends when it returns), wakes a backoff wait and
 * joins the thread. Idempotent; returns 0 or -EINVAL. Must not be called
 * from a handler. */
int informer_stop(struct informer *inf);

/* True once the first list was delivered to the store and the handlers.
 * Thread-safe. */
bool informer_has_synced(struct informer *inf);

/* Blocks until informer_has_synced() or timeout_ms (< 0: forever) passed or
 * the informer stopped. Returns 0, -ETIMEDOUT, -ECANCELED (stopped before
 * syncing), -EINVAL. Thread-safe. */
int informer_wait_for_sync(struct informer *inf, long timeout_ms);

/* The informer's store (borrowed; valid until informer_free()). */
struct store *informer_store(struct informer *inf);

/* The last resourceVersion synced (from a list or an event), "" before the
 * first list. Returns 0 and a string the caller frees, -EINVAL, -ENOMEM.
 * Thread-safe. */
int informer_resource_version(struct informer *inf, char **ret);

/* Copies the counters. Returns 0 or -EINVAL. Thread-safe. */
int informer_get_stats(struct informer *inf, struct informer_stats *ret);

/* "ADDED", "MODIFIED", "DELETED", "BOOKMARK", or NULL out of range. */
const char *informer_event_type_to_string(enum informer_event_type t);
