/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * algorithm (tools/leaderelection): candidates poll the Lease every retry
 * period; a candidate takes the Lease over only when it is absent, released
 * (empty holderIdentity), or has not changed for leaseDurationSeconds as
 * measured by the candidate's OWN monotonic clock since it last saw it
 * change (the remote renewTime is never compared with the local clock); the
 * leader renews every retry period and steps down when no renewal succeeded
 * within the renew deadline.
 *
 * The election logic talks to the Lease through a small lock interface
 * (struct lease_lock) so it can be tested against a fake store; the adapter
 * onto pkg/kube is lease_kube_*. The elector runs in its own thread
 * (lease_start/lease_stop/lease_release) and reports transitions through
 * callbacks.
 *
 * See docs/leader.md.
 */

#include <stdbool.h>
#include <stdint.h>

#include "base/macro.h"

struct kube_client;

/* Longest string accepted in a Lease record field (identity, timestamps,
 * resourceVersion). Longer values read from the API are -EBADMSG. */
#define LEASE_MAX_FIELD 1024

/* The spec of a Lease plus its resourceVersion. Strings are owned by the
 * record (free with lease_record_done()); none is NULL in a filled record. */
struct lease_record {
    char *holder_identity;          /* "" when nobody holds it (released) */
    int64_t lease_duration_seconds; /* clamped to [0, INT32_MAX] */
    char *acquire_time;             /* MicroTime text as stored, "" if unset */
    char *renew_time;               /* MicroTime text as stored, "" if unset */
    int64_t lease_transitions;      /* clamped to [0, INT32_MAX] */
    char *resource_version;         /* opaque, for optimistic concurrency */
};

/* Frees the strings of r and zeroes it. NULL-safe; r may be zeroed. */
void lease_record_done(struct lease_record *r);

/*
 * How the elector reads and writes the Lease. Every function runs on the
 * elector's thread, one call at a time; none may call back into the elector.
 *
 * get:    0 and *ret filled (caller owns it: lease_record_done()); -ENOENT
 *         when the Lease does not exist; -EBADMSG for a Lease that cannot be
 *         decoded; any other -errno for transport or API errors.
 * create: creates the Lease from rec (its resource_version is ignored).
 *         0 and *ret_rv = the new resourceVersion (caller frees); -EEXIST
 *         when it exists already; other -errno.
 * update: replaces the Lease spec with rec, only if the stored
 *         resourceVersion is still rec->resource_version. 0 and *ret_rv
 *         (caller frees); -ECANCELED on a conflict (lost the race); -ENOENT
 *         when it vanished; other -errno.
 */
struct lease_lock {
    int (*get)(void *userdata, struct lease_record *ret);
    int (*create)(void *userdata, const struct lease_record *rec, char **ret_rv);
    int (*update)(void *userdata, const struct lease_record *rec, char **ret_rv);
    void *userdata;
};

/* Clocks. now_ms is monotonic (never steps back) and is the only clock used
 * for expiry; wall_us is microseconds since the Unix epoch and is used only
 * to write acquireTime/renewTime. Both must be thread-safe and cheap. */
struct lease_clock {
    uint64_t (*now_ms)(void *userdata);
    int64_t (*wall_us)(void *userdata);
    void *userdata;
};

/* Transition callbacks, all optional. They run on the elector thread (or on
 * the thread calling lease_stop()/lease_release()), must return promptly
 * (start your own worker for long jobs) and must not call lease_stop() or
 * lease_release(). started/stopped strictly alternate, starting with
 * started. new_leader gets the identity of a newly observed non-empty
 * holder (including this candidate), borrowed for the call. */
struct lease_callbacks {
    void (*started_leading)(void *userdata);
    void (*stopped_leading)(void *userdata);
    void (*new_leader)(const char *identity, void *userdata);
    void *userdata;
};

/* Options; a zero field means the default shown. Constraints (client-go's):
 * lease_duration_ms is a whole number of seconds, lease_duration_ms >
 * renew_deadline_ms > 1.2 * retry_period_ms > 0, all at most one day. */
struct lease_opts {
    const char *identity;           /* NULL: "<hostname>_<16 random hex>". Copied. */
    uint64_t lease_duration_ms;     /* 15000 */
    uint64_t renew_deadline_ms;     /* 10000 */
    uint64_t retry_period_ms;       /* 2000 */
    const struct lease_clock *clock;          /* NULL: CLOCK_MONOTONIC + CLOCK_REALTIME. Copied. */
    const struct lease_callbacks *callbacks; /* NULL: none. Copied. */
};

struct lease_elector;

/* Creates an elector over lock (copied; its userdata must outlive the
 * elector). Returns 0 and *ret (free with lease_free()), -EINVAL for a lock
 * without get/create/update, options outside the constraints above, an
 * empty identity or one longer than LEASE_MAX_FIELD, -ENOMEM, or the error
 * of gethostname()/getrandom() when building the default identity. */
int lease_new(struct lease_elector **ret,
              const struct lease_lock *lock,
              const struct lease_opts *opts);

/* Stops the thread as lease_stop() does (without releasing the Lease) and
 * frees the elector. Accepts NULL, returns NULL. Not from a callback. */
struct lease_elector *lease_free(struct lease_elector *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct lease_elector *, lease_free)
#define _cleanup_lease_ _cleanup_(lease_freep)

/* Starts the election thread: it campaigns, leads, renews and campaigns
 * again after losing the Lease, until lease_stop() or lease_release().
 * Returns 0, -EINVAL, -EBUSY if already running or after a stop, or the
 * pthread error as -errno. */
int lease_start(struct lease_elector *e);

/* Stops the thread (waits for an API call in progress to finish; bounded by
 * the lock's own timeouts). If this candidate was leading, stopped_leading
 * runs on the calling thread; the Lease is left to expire. Idempotent.
 * Returns 0, -EINVAL, or -EDEADLK when called from the elector thread. */
int lease_stop(struct lease_elector *e);

/* lease_stop(), then, if this candidate held the Lease, writes it back with
 * an empty holderIdentity and leaseDurationSeconds 1 so a waiting candidate
 * takes over at its next retry (client-go's ReleaseOnCancel). Call it on
 * SIGTERM. Returns 0 (also when there was nothing to release), -EINVAL,
 * -EDEADLK, or the lock's update error (the Lease then expires normally).
 * stopped_leading runs before the write. */
int lease_release(struct lease_elector *e);

/* True while this candidate holds the Lease as far as it knows. Thread-safe. */
bool lease_is_leader(const struct lease_elector *e);

/* The identity this candidate writes, borrowed for the life of e. */
const char *lease_identity(const struct lease_elector *e);

/* ----------------------------------------------------- pkg/kube adapter */

/* A struct lease_lock on /apis/coordination.k8s.io/v1/namespaces/<ns>/
 * leases/<name>. The client is borrowed and must outlive the adapter; give
 * it a request timeout below lease duration - renew deadline (5 s with the
 * defaults; e.g. 4 s) so a hung call cannot keep a stale leader past the
 * point where others may take over. Updates keep the metadata (labels,
 * annotations) of the Lease last read. Not thread-safe: one elector. */
struct lease_kube;

/* Returns 0 and *ret, -EINVAL (NULL client, empty ns or name), -ENOMEM. */
int lease_kube_new(struct lease_kube **ret,
                   struct kube_client *client,
                   const char *ns,
                   const char *name);
struct lease_kube *lease_kube_free(struct lease_kube *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct lease_kube *, lease_kube_free)
#define _cleanup_lease_kube_ _cleanup_(lease_kube_freep)

/* Fills *ret with the lock operations of k (userdata = k). */
void lease_kube_lock(struct lease_kube *k, struct lease_lock *ret);
