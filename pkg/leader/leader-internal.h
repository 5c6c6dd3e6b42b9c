/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of the elector, shared by its sources, its unit tests and
 * its fuzzer. Nothing here is part of the public API.
 *
 * The election itself is a pure state machine: lease_tick() runs one round
 * (client-go's tryAcquireOrRenew plus the leading/stepping-down decisions)
 * at the injected clock's time against the lock, fires callbacks on
 * transitions and says when the next round is due. The thread in
 * leader-run.c only calls lease_tick() and waits.
 */

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leader/leader.h"

#define LEASE_DEFAULT_DURATION_MS UINT64_C(15000)
#define LEASE_DEFAULT_RENEW_MS    UINT64_C(10000)
#define LEASE_DEFAULT_RETRY_MS    UINT64_C(2000)
#define LEASE_LIMIT_MS            UINT64_C(86400000) /* one day */
/* client-go's JitterFactor: a candidate waits retry * (1 + [0, 1.2)), and the
 * renew deadline must exceed 1.2 * retry. */
#define LEASE_JITTER_PERCENT 120u
/* "2006-01-02T15:04:05.000000Z" plus the NUL. */
#define LEASE_MICROTIME_SIZE 28

/* What lease_tick() reports about its round. */
enum lease_round {
    LEASE_ROUND_HELD = 1,   /* this candidate holds the Lease (acquired or renewed) */
    LEASE_ROUND_WAIT = 0,   /* someone else holds a fresh Lease */
};

struct lease_elector {
    struct lease_lock lock;
    struct lease_clock clock;
    struct lease_callbacks cb;
    char *identity;
    uint64_t lease_duration_ms;
    uint64_t renew_deadline_ms;
    uint64_t retry_period_ms;

    /* Election state: touched by one thread at a time (the elector thread,
     * or the caller once that thread is joined). */
    struct lease_record observed; /* last record read or written */
    bool have_observed;
    uint64_t observed_ms;   /* local time the observed record last changed */
    uint64_t last_renew_ms; /* local time of the last successful acquire/renew */
    char *reported_leader;  /* last identity passed to new_leader */
    atomic_bool leading;    /* read by lease_is_leader() from any thread */
    uint64_t rng;           /* xorshift state for the retry jitter */

    /* Thread control, under mutex. */
    pthread_mutex_t mutex;
    pthread_cond_t cond; /* CLOCK_MONOTONIC; signalled on stop */
    pthread_t thread;
    bool running;  /* a thread was started and not yet joined */
    bool stopping; /* the thread must exit */
    bool stopped;  /* lease_stop() ran: the elector cannot start again */
};

/* One election round at clock.now_ms(). Returns LEASE_ROUND_HELD,
 * LEASE_ROUND_WAIT, or the lock's -errno for this round's failing call
 * (-ECANCELED for a lost race). Fires started/stopped/new_leader as the
 * state changes. *ret_next_ms (may be NULL) is the base delay before the
 * next round: the retry period (the runner adds jitter when not leading). */
int lease_tick(struct lease_elector *e, uint64_t *ret_next_ms);

/* client-go's tryAcquireOrRenew at local time now_ms: 1 = this candidate
 * now holds the Lease, 0 = held by another and fresh, <0 = lock error.
 * Updates the observed record and its local observation time. */
int lease_try_acquire_or_renew(struct lease_elector *e, uint64_t now_ms);

/* Writes the release record if this candidate holds the observed Lease.
 * Returns 0, or the lock's error. Does not fire callbacks. */
int lease_write_release(struct lease_elector *e);

/* True when the observed record is still within its leaseDurationSeconds
 * of local observation at now_ms. Saturating arithmetic. */
bool lease_observed_valid(const struct lease_elector *e, uint64_t now_ms);

/* Leading -> not leading, firing stopped_leading. No-op if not leading. */
void lease_step_down(struct lease_elector *e);

/* Deep copy: 0 or -ENOMEM (dst untouched on failure). */
int lease_record_copy(struct lease_record *dst, const struct lease_record *src);

/* True when the specs are the same (client-go compares the serialized
 * record; the resourceVersion is not part of it). */
bool lease_record_spec_equal(const struct lease_record *a, const struct lease_record *b);

/* Decodes a Lease object (metadata.resourceVersion + spec). Missing spec
 * fields take their zero value; null holderIdentity is "". Returns 0 and
 * *ret, -EBADMSG when obj is not an object, metadata.resourceVersion is
 * missing or empty, a field has the wrong JSON type, or a string is longer
 * than LEASE_MAX_FIELD; -ENOMEM. */
int lease_record_from_json(const json_t *obj, struct lease_record *ret);

/* Builds the spec object of r (holderIdentity, leaseDurationSeconds,
 * acquireTime/renewTime when non-empty, leaseTransitions). Returns 0 and a
 * new reference in *ret, -EINVAL for strings that are not UTF-8, -ENOMEM. */
int lease_record_spec_json(const struct lease_record *r, json_t **ret);

/* Formats wall_us (microseconds since the epoch, clamped to years
 * 1970..9999) as a Kubernetes MicroTime: "2026-11-21T05:23:01.123456Z".
 * size must be at least LEASE_MICROTIME_SIZE. Returns 0 or -EINVAL. */
int lease_format_micro_time(int64_t wall_us, char *buf, size_t size);

/* "<hostname>_<16 hex from getrandom>" in *ret (caller frees). 0 or -errno. */
int lease_default_identity(char **ret);

/* retry_ms * (1 + [0, 1.2)), from the elector's own generator. */
uint64_t lease_jitter(struct lease_elector *e, uint64_t retry_ms);
