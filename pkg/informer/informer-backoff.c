/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reflector's backoff (client-go's exponential backoff manager with the
 * reflector's settings: 800 ms, factor 2, cap 30 s, jitter 1.0, reset after
 * two minutes without a wait). Pure arithmetic on an injected clock.
 */
#include <stdint.h>

#include "informer/informer-internal.h"

void informer_backoff_init(struct informer_backoff *b,
                           uint64_t init_ms,
                           uint64_t max_ms,
                           uint64_t reset_ms,
                           double jitter)
{
    *b = (struct informer_backoff){
            .init_ms = init_ms,
            .max_ms = max_ms,
            .reset_ms = reset_ms,
            .jitter = jitter,
    };
}

uint64_t informer_backoff_next(struct informer_backoff *b, uint64_t now_ms, double rand01)
{
    if (b->cur_ms == 0 || now_ms < b->last_ms || now_ms - b->last_ms > b->reset_ms)
        b->cur_ms = b->init_ms;
    b->last_ms = now_ms;

    uint64_t base = b->cur_ms;
    if (rand01 < 0.0 || !(rand01 < 1.0))
        rand01 = 0.0;
    uint64_t extra = (uint64_t)((double)base * b->jitter * rand01);

    b->cur_ms = base > b->max_ms / 2 ? b->max_ms : base * 2;
    if (b->cur_ms < b->init_ms)
        b->cur_ms = b->init_ms;
    return UINT64_MAX - base < extra ? UINT64_MAX : base + extra;
}
