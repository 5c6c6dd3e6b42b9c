/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The informer object: construction, handlers, the reflector thread, stop,
 * sync waits and counters. The loop itself is in informer-reflector.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/macro.h"
#include "informer/informer-internal.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t env_now_ms(void *userdata)
{
    (void)userdata;
    return mono_ms();
}

static double env_rand01(void *userdata)
{
    (void)userdata;
    /* Jitter and watch timeouts only; not security relevant. */
    static _Thread_local unsigned short seed[3];
    static _Thread_local int seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed[0] = (unsigned short)ts.tv_nsec;
        seed[1] = (unsigned short)(ts.tv_nsec >> 16);
        seed[2] = (unsigned short)(uintptr_t)&seeded;
        seeded = 1;
    }
    return erand48(seed);
}

/* Absolute CLOCK_MONOTONIC deadline ms from now. */
static struct timespec deadline_in(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static int env_sleep_ms(struct informer *inf, uint64_t ms, void *userdata)
{
    (void)userdata;
    if (ms > UINT64_C(86400000))
        ms = UINT64_C(86400000);
    struct timespec until = deadline_in(ms);
    int r = 0;
    pthread_mutex_lock(&inf->lock);
    while (!inf->stopping) {
        if (pthread_cond_timedwait(&inf->cond, &inf->lock, &until) == ETIMEDOUT)
            break;
    }
    if (inf->stopping)
        r = -ECANCELED;
    pthread_mutex_unlock(&inf->lock);
    return r;
}

int informer_new(struct informer **ret,
                 struct informer_source *src,
                 struct store *store,
                 const struct informer_opts *opts)
{
    assert_return(ret && src && store && src->list && src->watch, -EINVAL);

    struct informer_opts o = opts ? *opts : (struct informer_opts){0};
    if (o.page_size == 0)
        o.page_size = INFORMER_DEFAULT_PAGE_SIZE;
    if (o.backoff_init_ms == 0)
        o.backoff_init_ms = INFORMER_DEFAULT_BACKOFF_MS;
    if (o.backoff_max_ms == 0)
        o.backoff_max_ms = INFORMER_DEFAULT_MAX_MS;
    if (o.backoff_reset_ms == 0)
        o.backoff_reset_ms = INFORMER_DEFAULT_RESET_MS;
    if (o.backoff_max_ms < o.backoff_init_ms)
        return -EINVAL;

    struct informer *inf = calloc(1, sizeof(*inf));
    if (!inf)
        return -ENOMEM;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        free(inf);
        return -ENOMEM;
    }
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int r = pthread_cond_init(&inf->cond, &ca);
    (void)pthread_condattr_destroy(&ca);
    if (r != 0) {
        free(inf);
        return -ENOMEM;
    }
    if (pthread_mutex_init(&inf->lock, NULL) != 0) {
        pthread_cond_destroy(&inf->cond);
        free(inf);
        return -ENOMEM;
    }
    inf->src = src;
    inf->store = store_ref(store);
    inf->page_size = o.page_size;
    informer_backoff_init(&inf->backoff, o.backoff_init_ms, o.backoff_max_ms, o.backoff_reset_ms,
                          1.0);
    inf->env = (struct informer_env){
            .now_ms = env_now_ms, .sleep_ms = env_sleep_ms, .rand01 = env_rand01};
    *ret = inf;
    return 0;
}

struct informer *informer_free(struct informer *inf)
{
    if (!inf)
        return NULL;
    (void)informer_stop(inf);
    store_unref(inf->store);
    free(inf->handlers);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->lock);
    free(inf);
    return NULL;
}

void informer_set_env(struct informer *inf, const struct informer_env *env)
{
    inf->env = *env;
    if (!inf->env.now_ms)
        inf->env.now_ms = env_now_ms;
    if (!inf->env.rand01)
        inf->env.rand01 = env_rand01;
    if (!inf->env.sleep_ms)
        inf->env.sleep_ms = env_sleep_ms;
}

int informer_add_handler(struct informer *inf, const struct informer_handler *h)
{
    assert_return(inf && h, -EINVAL);

    int r = 0;
    pthread_mutex_lock(&inf->lock);
    if (inf->started) {
        r = -EBUSY;
        goto out;
    }
    struct informer_handler *n = realloc(inf->handlers, (inf->n_handlers + 1) * sizeof(*n));
    if (!n) {
        r = -ENOMEM;
        goto out;
    }
    inf->handlers = n;
    inf->handlers[inf->n_handlers++] = *h;
out:
    pthread_mutex_unlock(&inf->lock);
    return r;
}

static void *informer_thread(void *arg)
{
    struct informer *inf = arg;
    (void)informer_run(inf);
    pthread_mutex_lock(&inf->lock);
    inf->exited = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    return NULL;
}

int informer_start(struct informer *inf)
{
    assert_return(inf, -EINVAL);

    int r = 0;
    pthread_mutex_lock(&inf->lock);
    if (inf->started || inf->stopping) {
        r = -EALREADY;
        goto out;
    }
    r = -pthread_create(&inf->thread, NULL, informer_thread, inf);
    if (r == 0) {
        inf->started = true;
        inf->running = true;
    }
out:
    pthread_mutex_unlock(&inf->lock);
    return r;
}

void informer_request_stop(struct informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    inf->stopping = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
}

bool informer_is_stopping(struct informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    bool b = inf->stopping;
    pthread_mutex_unlock(&inf->lock);
    return b;
}

int informer_stop(struct informer *inf)
{
    assert_return(inf, -EINVAL);

    informer_request_stop(inf);
    if (inf->src->cancel)
        inf->src->cancel(inf->src);
    pthread_mutex_lock(&inf->lock);
    bool join = inf->running;
    inf->running = false;
    pthread_mutex_unlock(&inf->lock);
    if (join)
        (void)pthread_join(inf->thread, NULL);
    return 0;
}

bool informer_has_synced(struct informer *inf)
{
    if (!inf)
        return false;
    pthread_mutex_lock(&inf->lock);
    bool b = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return b;
}

int informer_wait_for_sync(struct informer *inf, long timeout_ms)
{
    assert_return(inf, -EINVAL);

    struct timespec until = deadline_in(timeout_ms < 0 ? 0 : (uint64_t)timeout_ms);
    int r = 0;
    pthread_mutex_lock(&inf->lock);
    while (!inf->synced) {
        if (inf->stopping || inf->exited) {
            r = -ECANCELED;
            break;
        }
        int e = timeout_ms < 0 ? pthread_cond_wait(&inf->cond, &inf->lock)
                               : pthread_cond_timedwait(&inf->cond, &inf->lock, &until);
        if (e == ETIMEDOUT && !inf->synced) {
            r = -ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&inf->lock);
    return r;
}

struct store *informer_store(struct informer *inf)
{
    return inf ? inf->store : NULL;
}

int informer_resource_version(struct informer *inf, char **ret)
{
    assert_return(inf && ret, -EINVAL);

    pthread_mutex_lock(&inf->lock);
    char *s = strdup(inf->rv);
    pthread_mutex_unlock(&inf->lock);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

int informer_get_stats(struct informer *inf, struct informer_stats *ret)
{
    assert_return(inf && ret, -EINVAL);

    pthread_mutex_lock(&inf->lock);
    *ret = inf->stats;
    pthread_mutex_unlock(&inf->lock);
    return 0;
}

uint64_t informer_now_ms(struct informer *inf)
{
    return inf->env.now_ms(inf->env.userdata);
}

const char *informer_event_type_to_string(enum informer_event_type t)
{
    static const char *const names[_INFORMER_EVENT_MAX] = {
            [INFORMER_EVENT_ADDED] = "ADDED",
            [INFORMER_EVENT_MODIFIED] = "MODIFIED",
            [INFORMER_EVENT_DELETED] = "DELETED",
            [INFORMER_EVENT_BOOKMARK] = "BOOKMARK",
    };
    if ((unsigned)t >= _INFORMER_EVENT_MAX)
        return NULL;
    return names[t];
}

struct informer_source *informer_source_free(struct informer_source *src)
{
    if (src && src->free)
        src->free(src);
    return NULL;
}
