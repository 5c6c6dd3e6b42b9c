/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ULIDs (github.com/ulid/spec): a 128-bit value, 48 bits of milliseconds
 * since the epoch followed by 80 random bits, written big-endian as 26
 * characters of Crockford's base32. Upstream Tinkerbell names tasks and
 * actions with them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/workflow.h"

#define ULID_RANDOM_BYTES 10

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct workflow_ulid {
    workflow_random_fn random;
    void *userdata;
    bool have_last;
    int64_t last_ms;
    uint8_t last[ULID_RANDOM_BYTES];
};

int workflow_ulid_new(struct workflow_ulid **ret, workflow_random_fn random, void *userdata)
{
    assert_return(ret, -EINVAL);
    assert_return(random, -EINVAL);

    struct workflow_ulid *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->random = random;
    g->userdata = userdata;
    *ret = g;
    return 0;
}

struct workflow_ulid *workflow_ulid_free(struct workflow_ulid *g)
{
    free(g);
    return NULL;
}

/* Adds one to the 80-bit big-endian counter; false when it wraps. */
static bool increment(uint8_t r[ULID_RANDOM_BYTES])
{
    for (size_t i = ULID_RANDOM_BYTES; i-- > 0;) {
        if (++r[i] != 0)
            return true;
    }
    return false;
}

/* The 26 characters are 130 bits of which the top two are zero: character i
 * holds bits 5i..5i+4 of that string, i.e. bits 5i-2..5i+2 of the value. */
static void encode(const uint8_t v[16], char out[WORKFLOW_ULID_LEN + 1])
{
    for (size_t i = 0; i < WORKFLOW_ULID_LEN; i++) {
        unsigned c = 0;
        for (size_t k = 5 * i; k < 5 * i + 5; k++) {
            unsigned bit = 0;
            if (k >= 2) {
                size_t b = k - 2;
                bit = (v[b / 8] >> (7 - b % 8)) & 1u;
            }
            c = (c << 1) | bit;
        }
        out[i] = crockford[c];
    }
    out[WORKFLOW_ULID_LEN] = '\0';
}

int workflow_ulid_next(struct workflow_ulid *g, int64_t now_ms, char ret[WORKFLOW_ULID_LEN + 1])
{
    uint8_t v[16];
    uint8_t rnd[ULID_RANDOM_BYTES];
    int64_t ms;

    assert_return(g, -EINVAL);
    assert_return(ret, -EINVAL);
    if (now_ms < 0 || now_ms > WORKFLOW_ULID_TIME_MAX)
        return -ERANGE;

    if (g->have_last && now_ms <= g->last_ms) {
        /* Same millisecond, or the clock stepped back: stay monotonic. */
        memcpy(rnd, g->last, sizeof(rnd));
        if (!increment(rnd))
            return -EOVERFLOW;
        ms = g->last_ms;
    } else {
        int r = g->random(g->userdata, rnd, sizeof(rnd));
        if (r < 0)
            return r;
        ms = now_ms;
    }

    for (size_t i = 0; i < 6; i++)
        v[i] = (uint8_t)((uint64_t)ms >> (8 * (5 - i)));
    memcpy(v + 6, rnd, sizeof(rnd));
    encode(v, ret);

    g->have_last = true;
    g->last_ms = ms;
    memcpy(g->last, rnd, sizeof(rnd));
    return 0;
}

static int decode_char(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    const char *p = c ? strchr(crockford, c) : NULL;
    return p ? (int)(p - crockford) : -1;
}

int workflow_ulid_parse(const char *s, int64_t *ret_ms)
{
    uint64_t ms = 0;

    assert_return(s, -EINVAL);
    if (strlen(s) != WORKFLOW_ULID_LEN)
        return -EINVAL;
    for (size_t i = 0; i < WORKFLOW_ULID_LEN; i++) {
        int d = decode_char(s[i]);
        if (d < 0 || (i == 0 && d > 7))
            return -EINVAL;
        if (i < 10)
            ms = (ms << 5) | (uint64_t)d;
    }
    if (ret_ms)
        *ret_ms = (int64_t)ms;
    return 0;
}
