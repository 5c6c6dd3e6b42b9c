/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fixed-capacity LRU map from string keys to fixed-size values, for the
 * spam filter and the repeat cache (client-go keeps both in LRUs of 4096
 * entries; the recorder's default is 1024, see docs/events.md). Chained
 * hash table plus a recency list; the hash is FNV-1a with a per-cache
 * random basis and a final mix, and chains are bounded by the entry cap, so
 * hostile object names cost at most a scan of the cache.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/macro.h"
#include "events/events-internal.h"

struct cache_entry {
    struct cache_entry *chain; /* next in the bucket */
    struct cache_entry *newer, *older;
    uint64_t hash;
    char *key;
    _Alignas(max_align_t) unsigned char value[];
};

struct events_cache {
    struct cache_entry **buckets;
    size_t n_buckets; /* power of two */
    size_t n_entries, max_entries, value_size;
    struct cache_entry *newest, *oldest;
    uint64_t basis;
};

int events_cache_new(struct events_cache **ret, size_t max_entries, size_t value_size)
{
    assert_return(ret && max_entries > 0 && value_size > 0, -EINVAL);
    assert_return(max_entries <= EVENTS_LIMIT_ENTRIES, -EINVAL);
    struct events_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->n_buckets = 16;
    while (c->n_buckets < max_entries)
        c->n_buckets <<= 1;
    c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return -ENOMEM;
    }
    c->max_entries = max_entries;
    c->value_size = value_size;
    if (getrandom(&c->basis, sizeof(c->basis), GRND_NONBLOCK) != sizeof(c->basis))
        c->basis = (uint64_t)(uintptr_t)c; /* still varies per run with ASLR */
    *ret = c;
    return 0;
}

struct events_cache *events_cache_free(struct events_cache *c)
{
    if (!c)
        return NULL;
    struct cache_entry *e = c->newest;
    while (e) {
        struct cache_entry *next = e->older;
        free(e->key);
        free(e);
        e = next;
    }
    free(c->buckets);
    free(c);
    return NULL;
}

static uint64_t hash_key(const struct events_cache *c, const char *key)
{
    uint64_t h = UINT64_C(14695981039346656037) ^ c->basis;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    /* murmur3's fmix64, so the low bits used for the bucket depend on all */
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static void list_unlink(struct events_cache *c, struct cache_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push_newest(struct events_cache *c, struct cache_entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

static struct cache_entry *find(struct events_cache *c, const char *key, uint64_t h)
{
    for (struct cache_entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void evict_oldest(struct events_cache *c)
{
    struct cache_entry *victim = c->oldest;
    if (!victim)
        return;
    struct cache_entry **pp = &c->buckets[victim->hash & (c->n_buckets - 1)];
    while (*pp != victim)
        pp = &(*pp)->chain;
    *pp = victim->chain;
    list_unlink(c, victim);
    c->n_entries--;
    free(victim->key);
    free(victim);
}

void *events_cache_get(struct events_cache *c, const char *key)
{
    if (!c || !key)
        return NULL;
    struct cache_entry *e = find(c, key, hash_key(c, key));
    if (!e)
        return NULL;
    list_unlink(c, e);
    list_push_newest(c, e);
    return e->value;
}

int events_cache_put(struct events_cache *c, const char *key, void **ret)
{
    assert_return(c && key && ret, -EINVAL);
    uint64_t h = hash_key(c, key);
    struct cache_entry *e = find(c, key, h);
    if (e) {
        list_unlink(c, e);
        list_push_newest(c, e);
        *ret = e->value;
        return 0;
    }
    e = calloc(1, sizeof(*e) + c->value_size);
    if (!e)
        return -ENOMEM;
    e->key = strdup(key);
    if (!e->key) {
        free(e);
        return -ENOMEM;
    }
    if (c->n_entries >= c->max_entries)
        evict_oldest(c);
    e->hash = h;
    size_t b = h & (c->n_buckets - 1);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    list_push_newest(c, e);
    c->n_entries++;
    *ret = e->value;
    return 1;
}

size_t events_cache_size(const struct events_cache *c)
{
    return c ? c->n_entries : 0;
}
