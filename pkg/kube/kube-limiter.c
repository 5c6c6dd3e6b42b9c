/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client-side rate limiter of client-go's REST client
 * (flowcontrol.NewTokenBucketRateLimiter, on golang.org/x/time/rate): one
 * bucket per client, shared by every call. It starts full (burst tokens),
 * refills at qps tokens per second and never holds more than burst. A call
 * always gets a reservation; when the bucket is empty the reservation puts
 * it in debt and the caller sleeps until its token would have arrived, so
 * waiting callers are served in reservation order.
 */
#include <errno.h>
#include <math.h>

#include "kube/kube-internal.h"

/* Debt floor: a year of waiting is more than any caller will do. */
#define KUBE_LIMITER_MAX_WAIT_S (365.0 * 86400.0)

int kube_limiter_init(struct kube_limiter *l, double qps, int burst, uint64_t now_ns)
{
    int r;

    assert_return(l, -EINVAL);
    if (!(qps > 0) || !isfinite(qps) || burst <= 0)
        return -EINVAL;
    r = pthread_mutex_init(&l->lock, NULL);
    if (r != 0)
        return -r;
    l->qps = qps;
    l->burst = burst;
    l->tokens = burst;
    l->last_ns = now_ns;
    return 0;
}

void kube_limiter_done(struct kube_limiter *l)
{
    if (l)
        pthread_mutex_destroy(&l->lock);
}

uint64_t kube_limiter_reserve(struct kube_limiter *l, uint64_t now_ns)
{
    double wait_s = 0;

    pthread_mutex_lock(&l->lock);
    /* A clock that went back refills nothing (x/time/rate advance()). */
    if (now_ns > l->last_ns) {
        double elapsed = (double)(now_ns - l->last_ns) / 1e9;
        l->tokens = fmin(l->burst, l->tokens + elapsed * l->qps);
        l->last_ns = now_ns;
    }
    l->tokens -= 1;
    if (l->tokens < 0) {
        wait_s = -l->tokens / l->qps;
        if (wait_s > KUBE_LIMITER_MAX_WAIT_S) {
            /* Keep the debt bounded: the extra reservations are not owed. */
            l->tokens = -KUBE_LIMITER_MAX_WAIT_S * l->qps;
            wait_s = KUBE_LIMITER_MAX_WAIT_S;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return (uint64_t)ceil(wait_s * 1e9);
}

int kube_limiter_wait(struct kube_limiter *l, struct kube_cancel *cancel, bool *ret_waited)
{
    uint64_t now, wait;

    assert_return(l, -EINVAL);
    if (kube_cancel_fired(cancel))
        return -ECANCELED;
    now = kube_now_ns();
    wait = kube_limiter_reserve(l, now);
    if (wait > 0) {
        int r = kube_cancel_wait_until(cancel, now + wait);
        if (r < 0)
            return r;
    }
    if (ret_waited)
        *ret_waited = wait > 0;
    return 0;
}
