/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key table: one record per tracked key, chained hashing. Keys come from
 * object names other users can choose, so the hash is SipHash keyed with
 * random bytes per queue, which keeps chains short against chosen names.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/macro.h"
#include "workqueue/workqueue-internal.h"

#define WQ_TABLE_MIN_BUCKETS ((size_t)64)

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

struct sip_state {
    uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl64(s->v2, 32);
}

static void sip_compress(struct sip_state *s, uint64_t m, unsigned rounds)
{
    s->v3 ^= m;
    for (unsigned r = 0; r < rounds; r++)
        sip_round(s);
    s->v0 ^= m;
}

/* SipHash-c-d as specified by Aumasson and Bernstein (2012). */
static uint64_t
siphash(unsigned c, unsigned d, uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    const uint8_t *p = data;
    struct sip_state s = {
            .v0 = k0 ^ UINT64_C(0x736f6d6570736575),
            .v1 = k1 ^ UINT64_C(0x646f72616e646f6d),
            .v2 = k0 ^ UINT64_C(0x6c7967656e657261),
            .v3 = k1 ^ UINT64_C(0x7465646279746573),
    };
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8)
        sip_compress(&s, load_le64(p + i), c);

    /* Last block: the remaining bytes, with len mod 256 in the top byte. */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)p[full + i] << (8 * i);
    sip_compress(&s, last, c);

    s.v2 ^= 0xff;
    for (unsigned r = 0; r < d; r++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t wq_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    return siphash(1, 3, k0, k1, data, len);
}

uint64_t wq_siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    return siphash(2, 4, k0, k1, data, len);
}

static void table_seed(struct wq_table *t)
{
    uint8_t seed[16];
    if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed)) {
        t->k0 = load_le64(seed);
        t->k1 = load_le64(seed + 8);
        return;
    }
    /* No entropy yet (early boot): still differ per queue and per run. */
    struct timespec ts = {0};
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    t->k0 = (uint64_t)(uintptr_t)t ^ ((uint64_t)ts.tv_nsec << 20);
    t->k1 = (uint64_t)ts.tv_sec * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)ts.tv_nsec;
}

int wq_table_init(struct wq_table *t)
{
    *t = (struct wq_table){0};
    t->buckets = calloc(WQ_TABLE_MIN_BUCKETS, sizeof(*t->buckets));
    if (!t->buckets)
        return -ENOMEM;
    t->n_buckets = WQ_TABLE_MIN_BUCKETS;
    table_seed(t);
    return 0;
}

void wq_table_done(struct wq_table *t)
{
    if (!t->buckets)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        struct wq_entry *e = t->buckets[i];
        while (e) {
            struct wq_entry *next = e->hash_next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    *t = (struct wq_table){0};
}

struct wq_entry *wq_table_find(const struct wq_table *t, const char *key, size_t len)
{
    uint64_t h = wq_siphash13(t->k0, t->k1, key, len);
    for (struct wq_entry *e = t->buckets[h & (t->n_buckets - 1)]; e; e = e->hash_next)
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

/* Doubles the bucket array. On allocation failure the table keeps its size:
 * chains get longer but every operation still works. */
static void table_grow(struct wq_table *t)
{
    if (t->n_buckets > SIZE_MAX / 2 / sizeof(*t->buckets))
        return;
    size_t n = t->n_buckets * 2;
    struct wq_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        struct wq_entry *e = t->buckets[i];
        while (e) {
            struct wq_entry *next = e->hash_next;
            size_t j = e->hash & (n - 1);
            e->hash_next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = n;
}

int wq_table_insert(struct wq_table *t, const char *key, size_t len, struct wq_entry **ret)
{
    if (len > SIZE_MAX - sizeof(struct wq_entry) - 1)
        return -ENOMEM;
    struct wq_entry *e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        return -ENOMEM;
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->key_len = len;
    e->heap_idx = WQ_HEAP_NONE;
    e->hash = wq_siphash13(t->k0, t->k1, key, len);

    if (t->n_entries + 1 > t->n_buckets / 4 * 3)
        table_grow(t);
    size_t i = e->hash & (t->n_buckets - 1);
    e->hash_next = t->buckets[i];
    t->buckets[i] = e;
    t->n_entries++;
    *ret = e;
    return 0;
}

void wq_table_remove(struct wq_table *t, struct wq_entry *e)
{
    struct wq_entry **pp = &t->buckets[e->hash & (t->n_buckets - 1)];
    while (*pp != e) {
        assert(*pp); /* e must be in the table */
        pp = &(*pp)->hash_next;
    }
    *pp = e->hash_next;
    t->n_entries--;
    free(e);
}
