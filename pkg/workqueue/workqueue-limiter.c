/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two halves of client-go's DefaultControllerRateLimiter, in integer
 * milliseconds:
 *   - ItemExponentialFailureRateLimiter(5 ms, 1000 s): the n-th rate-limited
 *     add of a key since its last Forget waits base * 2^n, capped;
 *   - BucketRateLimiter(rate.NewLimiter(10, 100)): a token bucket shared by
 *     all keys, starting full; Reserve() always succeeds and may drive the
 *     bucket into debt, the debt being the caller's wait.
 * The per-key failure count lives in struct wq_entry; the queue takes the
 * maximum of both delays (MaxOfRateLimiter), calling both every time.
 */
#include <stdint.h>

#include "workqueue/workqueue-internal.h"

#define MTOKENS_PER_TOKEN INT64_C(1000)
/* Debt floor: keeps the arithmetic far from overflow after absurdly many
 * reservations without a refill (it would take 2^62 calls to get here). */
#define MTOKENS_FLOOR (-(INT64_MAX / 2))

uint64_t wq_backoff_delay(uint64_t base_ms, uint64_t max_ms, uint32_t failures)
{
    if (base_ms == 0)
        return 0;
    /* client-go computes base * 2^n in floating point and returns the cap
     * once it exceeds the cap or int64; checking before the shift is the
     * integer equivalent. */
    if (failures >= 64 || base_ms > (UINT64_MAX >> failures))
        return max_ms;
    uint64_t d = base_ms << failures;
    return d > max_ms ? max_ms : d;
}

void wq_bucket_init(struct wq_bucket *b, uint32_t qps, uint32_t burst, uint64_t now_ms)
{
    *b = (struct wq_bucket){
            .mtokens = (int64_t)burst * MTOKENS_PER_TOKEN,
            .last_ms = now_ms,
            .qps = qps,
            .burst = burst,
    };
}

uint64_t wq_bucket_reserve(struct wq_bucket *b, uint64_t now_ms)
{
    int64_t cap = (int64_t)b->burst * MTOKENS_PER_TOKEN;
    uint64_t last = b->last_ms;

    /* x/time/rate advance(): a clock that went back refills nothing. */
    if (now_ms < last)
        last = now_ms;
    uint64_t elapsed = now_ms - last;

    /* One ms refills qps milli-tokens (qps tokens per 1000 ms). */
    if (b->mtokens < cap && b->qps > 0) {
        uint64_t room = (uint64_t)(cap - b->mtokens);
        if (elapsed > room / b->qps)
            b->mtokens = cap;
        else
            b->mtokens += (int64_t)(elapsed * b->qps);
    }
    b->last_ms = now_ms;

    b->mtokens -= MTOKENS_PER_TOKEN;
    if (b->mtokens < MTOKENS_FLOOR)
        b->mtokens = MTOKENS_FLOOR;
    if (b->mtokens >= 0)
        return 0;
    if (b->qps == 0)
        return UINT64_MAX;
    /* Debt d milli-tokens is paid off after d / qps ms; round up so the
     * caller never acts before its token exists. */
    uint64_t debt = (uint64_t)(-b->mtokens);
    return debt / b->qps + (debt % b->qps != 0);
}
