/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cancellation tokens: an atomic flag for pollers (the watch loop looks at it
 * every KUBE_WATCH_POLL_MS) plus a condition variable on CLOCK_MONOTONIC so a
 * rate-limiter wait wakes up as soon as the token fires.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "kube/kube-internal.h"

int kube_cancel_new(struct kube_cancel **ret)
{
    pthread_condattr_t attr;
    struct kube_cancel *c;
    int r;

    assert_return(ret, -EINVAL);
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    r = pthread_condattr_init(&attr);
    if (r != 0) {
        free(c);
        return -r;
    }
    r = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (r == 0)
        r = pthread_cond_init(&c->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (r != 0) {
        free(c);
        return -r;
    }
    r = pthread_mutex_init(&c->lock, NULL);
    if (r != 0) {
        pthread_cond_destroy(&c->cond);
        free(c);
        return -r;
    }
    atomic_init(&c->fired, false);
    *ret = c;
    return 0;
}

struct kube_cancel *kube_cancel_free(struct kube_cancel *c)
{
    if (!c)
        return NULL;
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return NULL;
}

void kube_cancel_fire(struct kube_cancel *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->fired, true);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

bool kube_cancel_fired(const struct kube_cancel *c)
{
    if (!c)
        return false;
    /* C11 atomic_load() takes a pointer to non-const in older compilers;
     * the load does not modify the object. */
    return atomic_load(&((struct kube_cancel *)c)->fired);
}

int kube_cancel_wait_until(struct kube_cancel *c, uint64_t deadline_ns)
{
    struct timespec ts = {
            .tv_sec = (time_t)(deadline_ns / 1000000000u),
            .tv_nsec = (long)(deadline_ns % 1000000000u),
    };
    int r = 0;

    if (!c) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    while (!atomic_load(&c->fired) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    bool fired = atomic_load(&c->fired);
    pthread_mutex_unlock(&c->lock);
    return fired ? -ECANCELED : 0;
}
