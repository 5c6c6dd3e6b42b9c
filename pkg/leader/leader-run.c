/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The elector object and its thread: construction and option checks, the
 * default identity and clocks, and the loop that runs lease_tick() every
 * (jittered) retry period until stopped.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/macro.h"
#include "leader/leader-internal.h"

#define LOG_COMPONENT "leader"
#include "log/log.h"

static uint64_t mono_ms(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t real_us(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int random_u64(uint64_t *ret)
{
    uint64_t v;
    ssize_t n = getrandom(&v, sizeof(v), 0);
    if (n < 0)
        return -errno;
    if ((size_t)n != sizeof(v))
        return -EIO;
    *ret = v;
    return 0;
}

int lease_default_identity(char **ret)
{
    char host[HOST_NAME_MAX + 1];
    uint64_t suffix = 0;

    assert_return(ret, -EINVAL);
    if (gethostname(host, sizeof(host)) < 0)
        return -errno;
    host[sizeof(host) - 1] = '\0';
    int r = random_u64(&suffix);
    if (r < 0)
        return r;
    char *id = NULL;
    if (asprintf(&id, "%s_%016llx", host, (unsigned long long)suffix) < 0)
        return -ENOMEM;
    *ret = id;
    return 0;
}

uint64_t lease_jitter(struct lease_elector *e, uint64_t retry_ms)
{
    /* xorshift64: only spreads candidates apart, no secrecy needed. */
    e->rng ^= e->rng << 13;
    e->rng ^= e->rng >> 7;
    e->rng ^= e->rng << 17;
    uint64_t span = retry_ms * LEASE_JITTER_PERCENT / 100u; /* retry_ms <= one day */
    return retry_ms + (span ? e->rng % span : 0);
}

static int check_opts(const struct lease_opts *o, uint64_t *dur, uint64_t *renew, uint64_t *retry)
{
    *dur = o->lease_duration_ms ? o->lease_duration_ms : LEASE_DEFAULT_DURATION_MS;
    *renew = o->renew_deadline_ms ? o->renew_deadline_ms : LEASE_DEFAULT_RENEW_MS;
    *retry = o->retry_period_ms ? o->retry_period_ms : LEASE_DEFAULT_RETRY_MS;
    if (*dur > LEASE_LIMIT_MS || *renew > LEASE_LIMIT_MS || *retry > LEASE_LIMIT_MS)
        return -EINVAL;
    if (*dur % 1000u != 0) /* leaseDurationSeconds is whole seconds */
        return -EINVAL;
    if (*dur <= *renew)
        return -EINVAL;
    if (*retry == 0 || *renew * 100u <= *retry * LEASE_JITTER_PERCENT)
        return -EINVAL; /* client-go: renewDeadline > JitterFactor * retryPeriod */
    if (o->identity && (!*o->identity || strlen(o->identity) > LEASE_MAX_FIELD))
        return -EINVAL;
    return 0;
}

int lease_new(struct lease_elector **ret,
              const struct lease_lock *lock,
              const struct lease_opts *opts)
{
    static const struct lease_opts no_opts = {0};
    uint64_t dur, renew, retry;
    pthread_condattr_t attr;
    int r;

    assert_return(ret && lock, -EINVAL);
    assert_return(lock->get && lock->create && lock->update, -EINVAL);
    if (!opts)
        opts = &no_opts;
    r = check_opts(opts, &dur, &renew, &retry);
    if (r < 0)
        return r;
    if (opts->clock && (!opts->clock->now_ms || !opts->clock->wall_us))
        return -EINVAL;

    struct lease_elector *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->lock = *lock;
    e->clock = opts->clock ? *opts->clock
                           : (struct lease_clock){.now_ms = mono_ms, .wall_us = real_us};
    if (opts->callbacks)
        e->cb = *opts->callbacks;
    e->lease_duration_ms = dur;
    e->renew_deadline_ms = renew;
    e->retry_period_ms = retry;
    atomic_init(&e->leading, false);

    if (opts->identity) {
        e->identity = strdup(opts->identity);
        r = e->identity ? 0 : -ENOMEM;
    } else
        r = lease_default_identity(&e->identity);
    if (r >= 0)
        r = random_u64(&e->rng);
    if (r < 0) {
        free(e->identity);
        free(e);
        return r;
    }
    e->rng |= 1; /* xorshift must not start at 0 */

    r = -pthread_condattr_init(&attr);
    if (r >= 0) {
        r = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (r >= 0)
            r = -pthread_cond_init(&e->cond, &attr);
        (void)pthread_condattr_destroy(&attr);
    }
    if (r >= 0) {
        r = -pthread_mutex_init(&e->mutex, NULL);
        if (r < 0)
            (void)pthread_cond_destroy(&e->cond);
    }
    if (r < 0) {
        free(e->identity);
        free(e);
        return r;
    }
    *ret = e;
    return 0;
}

static void deadline_after(struct timespec *ts, uint64_t ms)
{
    (void)clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000u);
    ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *run(void *userdata)
{
    struct lease_elector *e = userdata;

    (void)pthread_mutex_lock(&e->mutex);
    while (!e->stopping) {
        (void)pthread_mutex_unlock(&e->mutex);
        uint64_t next = 0;
        int r = lease_tick(e, &next);
        if (r < 0)
            log_debug("lease round failed", LOG_STR("identity", e->identity), LOG_ERRNO(r));
        if (!atomic_load(&e->leading))
            next = lease_jitter(e, next);
        struct timespec until;
        deadline_after(&until, next);
        (void)pthread_mutex_lock(&e->mutex);
        while (!e->stopping) {
            int w = pthread_cond_timedwait(&e->cond, &e->mutex, &until);
            if (w == ETIMEDOUT)
                break;
        }
    }
    (void)pthread_mutex_unlock(&e->mutex);
    return NULL;
}

int lease_start(struct lease_elector *e)
{
    assert_return(e, -EINVAL);
    (void)pthread_mutex_lock(&e->mutex);
    int r = 0;
    if (e->running || e->stopped)
        r = -EBUSY;
    else {
        e->stopping = false;
        r = -pthread_create(&e->thread, NULL, run, e);
        if (r >= 0)
            e->running = true;
    }
    (void)pthread_mutex_unlock(&e->mutex);
    return r;
}

/* Stops and joins the thread. -EDEADLK from the elector thread itself. */
static int join_thread(struct lease_elector *e)
{
    (void)pthread_mutex_lock(&e->mutex);
    bool running = e->running;
    if (running && pthread_equal(pthread_self(), e->thread)) {
        (void)pthread_mutex_unlock(&e->mutex);
        return -EDEADLK;
    }
    e->stopping = true;
    e->stopped = true;
    (void)pthread_cond_broadcast(&e->cond);
    (void)pthread_mutex_unlock(&e->mutex);
    if (running) {
        (void)pthread_join(e->thread, NULL);
        (void)pthread_mutex_lock(&e->mutex);
        e->running = false;
        (void)pthread_mutex_unlock(&e->mutex);
    }
    return 0;
}

int lease_stop(struct lease_elector *e)
{
    assert_return(e, -EINVAL);
    int r = join_thread(e);
    if (r < 0)
        return r;
    lease_step_down(e);
    return 0;
}

int lease_release(struct lease_elector *e)
{
    assert_return(e, -EINVAL);
    int r = join_thread(e);
    if (r < 0)
        return r;
    lease_step_down(e);
    return lease_write_release(e);
}

bool lease_is_leader(const struct lease_elector *e)
{
    if (!e)
        return false;
    return atomic_load((atomic_bool *)&e->leading);
}

const char *lease_identity(const struct lease_elector *e)
{
    return e ? e->identity : NULL;
}

struct lease_elector *lease_free(struct lease_elector *e)
{
    if (!e)
        return NULL;
    (void)lease_stop(e);
    (void)pthread_cond_destroy(&e->cond);
    (void)pthread_mutex_destroy(&e->mutex);
    lease_record_done(&e->observed);
    free(e->reported_leader);
    free(e->identity);
    free(e);
    return NULL;
}
