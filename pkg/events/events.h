/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A Kubernetes Event recorder: controllers call events_record() and never
 * block on the API. Events go into a bounded queue drained by one thread,
 * which writes core/v1 Events (/api/v1/namespaces/<ns>/events), the kind
 * `kubectl describe` shows.
 *
 * Between the queue and the API sit a simplified version of client-go's
 * EventCorrelator (tools/record):
 *   - a spam filter: a token bucket per involved object and source (burst
 *     25, one token back every 5 minutes); events without a token are
 *     dropped and counted;
 *   - aggregation of repeats: an event equal in (object, type, reason,
 *     message) to one written within the last 10 minutes PATCHes that
 *     Event's count and lastTimestamp instead of creating a new object.
 * client-go's second stage, which folds events that differ only in message
 * into one "(combined from similar events)" Event, is not done.
 *
 * The API is reached through struct events_sink; events_kube_* adapts it
 * onto pkg/kube.
 *
 * See docs/events.md.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

struct kube_client;

/* Limits on what callers pass in (-EINVAL beyond them). */
#define EVENTS_MAX_REF_FIELD 1024 /* each involvedObject string */
#define EVENTS_MAX_REASON    128
/* Longer messages are cut at a UTF-8 boundary to at most this many bytes. */
#define EVENTS_MAX_MESSAGE 1024

enum events_type {
    EVENTS_NORMAL,
    EVENTS_WARNING,
    _EVENTS_TYPE_MAX,
};

/* The object an Event is about (involvedObject). Strings are borrowed for
 * the call. kind and name are required; namespace_ NULL or "" means a
 * cluster-scoped object (its Events go to namespace "default"); the other
 * fields are optional (NULL = omitted), but kubectl describe matches Events
 * by uid, so set it. */
struct events_ref {
    const char *api_version;
    const char *kind;
    const char *namespace_;
    const char *name;
    const char *uid;
    const char *resource_version;
};

/*
 * Where Events go. Both functions run on the recorder's thread only.
 * create: creates event (a complete core/v1 Event, borrowed) in namespace
 *         ns. 0; -EEXIST when that name exists; other -errno.
 * patch:  applies a JSON merge patch (borrowed) to Event ns/name. 0; -ENOENT
 *         when it is gone; other -errno.
 * Transport and resource errors (-ETIMEDOUT, -ECONNREFUSED, -ECONNRESET,
 * -EHOSTUNREACH, -ENETUNREACH, -EIO, -EAGAIN, -ENOMEM) are retried; any
 * other error drops the Event (client-go's rule: the API said no).
 */
struct events_sink {
    int (*create)(void *userdata, const char *ns, const json_t *event);
    int (*patch)(void *userdata, const char *ns, const char *name, const json_t *patch);
    void *userdata;
};

/* Clocks: now_ms monotonic (spam filter, aggregation window, retries),
 * wall_ns nanoseconds since the Unix epoch (timestamps and names). Both
 * thread-safe. */
struct events_clock {
    uint64_t (*now_ms)(void *userdata);
    int64_t (*wall_ns)(void *userdata);
    void *userdata;
};

/* Options; zero means the default shown. */
struct events_opts {
    const char *component;  /* required: source.component, reportingComponent */
    const char *instance;   /* NULL: the hostname; source.host, reportingInstance */
    const struct events_clock *clock; /* NULL: CLOCK_MONOTONIC + CLOCK_REALTIME. Copied. */
    size_t queue_size;          /* 1000 events waiting; more are dropped */
    uint32_t spam_burst;        /* 25 events per object... */
    uint64_t spam_refill_ms;    /* ...then one more per 300000 ms (5 min) */
    uint64_t aggregate_window_ms; /* 600000 (10 min) since the last repeat */
    size_t cache_size;          /* 1024 objects (spam) and 1024 events (repeats), LRU */
    uint32_t max_tries;         /* 12 attempts per Event on transport errors */
    uint64_t retry_delay_ms;    /* 10000 between attempts */
};

/* Counters. recorded = everything accepted into the queue; each accepted
 * event ends in exactly one of dropped_spam, created, patched, failed,
 * unless still queued. */
struct events_stats {
    uint64_t recorded;
    uint64_t dropped_full; /* refused by events_record(): queue full */
    uint64_t dropped_spam; /* spam filter */
    uint64_t created;      /* new Event objects (including re-creates after 404) */
    uint64_t patched;      /* repeats folded into an existing Event */
    uint64_t failed;       /* gave up: API refusal or retries exhausted */
    uint64_t retries;      /* attempts repeated after a transport error */
    uint64_t queued;       /* waiting now */
};

struct events_recorder;

/* Creates a recorder writing to sink (copied; its userdata must outlive the
 * recorder). Returns 0 and *ret, -EINVAL (no sink functions, no or empty
 * component, a clock without functions, queue_size or cache_size of more
 * than 1 << 20, spam_burst above 1000000, max_tries above 1000, a time
 * above one day, a component or instance longer than EVENTS_MAX_REF_FIELD
 * or not UTF-8),
 * -ENOMEM, or the gethostname() error. Does not start the thread. */
int events_recorder_new(struct events_recorder **ret, const struct events_sink *sink,
                        const struct events_opts *opts);

/* Stops the thread without draining (as events_recorder_stop(r, 0)) and
 * frees everything. Accepts NULL, returns NULL. */
struct events_recorder *events_recorder_free(struct events_recorder *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct events_recorder *, events_recorder_free)
#define _cleanup_events_recorder_ _cleanup_(events_recorder_freep)

/* Starts the thread that drains the queue. 0, -EINVAL, -EBUSY (running or
 * stopped), or the pthread error. */
int events_recorder_start(struct events_recorder *r);

/* Refuses new events, lets the thread deliver what is queued for at most
 * drain_ms (real time; a retry wait past it ends the drain), then joins it.
 * Returns the number of events left undelivered (0 = drained), or -EINVAL.
 * Idempotent; works without a running thread (then nothing is delivered). */
int events_recorder_stop(struct events_recorder *r, uint64_t drain_ms);

/* Queues one Event about obj. Never blocks on the API; thread-safe.
 * Returns 0 when queued; -EINVAL for a NULL/empty kind or name, a type out
 * of range, an empty reason or one longer than EVENTS_MAX_REASON, a ref
 * field longer than EVENTS_MAX_REF_FIELD, or text that is not UTF-8;
 * -ENOBUFS when the queue is full (dropped and counted); -ESHUTDOWN after
 * events_recorder_stop(); -ENOMEM. message may be NULL (""); it is cut to
 * EVENTS_MAX_MESSAGE bytes. Callers normally ignore the result. */
int events_record(struct events_recorder *r, const struct events_ref *obj, enum events_type type,
                  const char *reason, const char *message);

/* events_record() with a printf-style message. */
int events_recordf(struct events_recorder *r, const struct events_ref *obj, enum events_type type,
                   const char *reason, const char *fmt, ...) _printf_(5, 6);

/* Fills *ret with borrowed pointers into obj (apiVersion, kind,
 * metadata.namespace/name/uid/resourceVersion), valid while obj lives and
 * is unchanged. Returns 0, or -EINVAL when obj is not an object or kind or
 * metadata.name is not a non-empty string (other fields that are not
 * strings are left NULL). */
int events_ref_from_object(const json_t *obj, struct events_ref *ret);

/* A consistent snapshot of the counters. Thread-safe. 0 or -EINVAL. */
int events_recorder_get_stats(struct events_recorder *r, struct events_stats *ret);

/* ----------------------------------------------------- pkg/kube adapter */

/* A struct events_sink on /api/v1/namespaces/<ns>/events (POST and merge
 * PATCH). The client is borrowed and must outlive the adapter. */
struct events_kube;

/* 0 and *ret, -EINVAL for a NULL client, -ENOMEM. */
int events_kube_new(struct events_kube **ret, struct kube_client *client);
struct events_kube *events_kube_free(struct events_kube *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct events_kube *, events_kube_free)
#define _cleanup_events_kube_ _cleanup_(events_kube_freep)

/* Fills *ret with the sink operations of k (userdata = k). */
void events_kube_sink(struct events_kube *k, struct events_sink *ret);
