/* SPDX-License-Identifier: Apache-2.0 */
/* Reconnect backoff: exponential, capped, with jitter. */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent-internal.h"

void agent_backoff_init(struct agent_backoff *b, uint32_t min_ms, uint32_t max_ms)
{
    b->min_ms = min_ms ? min_ms : AGENT_BACKOFF_MIN_MS;
    b->max_ms = max_ms ? max_ms : AGENT_BACKOFF_MAX_MS;
    if (b->max_ms < b->min_ms)
        b->max_ms = b->min_ms;
    b->attempt = 0;
}

uint32_t agent_backoff_next(struct agent_backoff *b, uint64_t rnd)
{
    /* cap = min(max, min * 2^attempt), computed without overflow. */
    uint64_t cap = b->min_ms;
    for (unsigned i = 0; i < b->attempt && cap < b->max_ms; i++)
        cap *= 2;
    if (cap > b->max_ms)
        cap = b->max_ms;
    uint64_t lo = cap / 2;
    uint64_t delay = lo + rnd % (cap - lo + 1);
    if (delay < b->min_ms)
        delay = b->min_ms;
    if (b->attempt < 64)
        b->attempt++;
    return (uint32_t)delay;
}

void agent_backoff_reset(struct agent_backoff *b)
{
    b->attempt = 0;
}

uint64_t agent_random_u64(void)
{
    uint64_t v;
    struct timespec ts;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
        return v;
    /* No entropy yet (early boot): jitter only needs machines to differ. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL;
    v ^= (uint64_t)getpid() << 32;
    return v ^ (uint64_t)ts.tv_sec;
}
