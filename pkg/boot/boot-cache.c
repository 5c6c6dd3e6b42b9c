/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP thread's per-MAC cache of boot_lookup_mac() results: a
 * direct-mapped table whose entries are valid for one generation of the
 * Hardware store. Any Hardware event bumps the generation, so a changed
 * object is seen by the next DHCP packet; between events every packet of a
 * known (or unknown) MAC skips the index lookups and the JSON walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot-internal.h"
#include "informer/informer.h"

#define CACHE_SLOTS 16384u /* a power of two */

struct cache_slot {
    struct boot_reservation r; /* holds a reservation when result == 0 */
    uint64_t gen;
    int result; /* boot_lookup_mac()'s return */
    bool valid;
    uint8_t mac[DHCP_ETHER_ADDR_LEN];
};

struct boot_cache {
    struct store *store;
    atomic_uint_fast64_t gen;
    uint64_t hits, misses;
    struct cache_slot *slots[CACHE_SLOTS];
};

int boot_cache_new(struct boot_cache **ret, struct store *store)
{
    assert_return(ret && store, -EINVAL);
    struct boot_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->store = store_ref(store);
    atomic_init(&c->gen, 1);
    *ret = c;
    return 0;
}

struct boot_cache *boot_cache_free(struct boot_cache *c)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (c->slots[i]) {
            boot_reservation_clear(&c->slots[i]->r);
            free(c->slots[i]);
        }
    store_unref(c->store);
    free(c);
    return NULL;
}

void boot_cache_invalidate(struct boot_cache *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
}

static size_t slot_of(const uint8_t mac[DHCP_ETHER_ADDR_LEN])
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < DHCP_ETHER_ADDR_LEN; i++)
        h = (h ^ mac[i]) * 16777619u;
    return h & (CACHE_SLOTS - 1);
}

int boot_cache_lookup(struct boot_cache *c,
                      const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                      const struct boot_reservation **ret)
{
    assert_return(c && mac && ret, -EINVAL);
    /* The generation is read before the store: an event that lands during
     * the lookup bumps it afterwards, so a result that may mix old and new
     * is never trusted again. */
    uint64_t gen = atomic_load_explicit(&c->gen, memory_order_acquire);
    size_t i = slot_of(mac);
    struct cache_slot *sl = c->slots[i];
    if (sl && sl->valid && sl->gen == gen && memcmp(sl->mac, mac, DHCP_ETHER_ADDR_LEN) == 0) {
        c->hits++;
    } else {
        c->misses++;
        if (!sl) {
            sl = calloc(1, sizeof(*sl));
            if (!sl)
                return -ENOMEM;
            c->slots[i] = sl;
        }
        boot_reservation_clear(&sl->r);
        sl->valid = false;
        sl->result = boot_lookup_mac(c->store, mac, &sl->r);
        if (sl->result < 0 && sl->result != -ENOENT && sl->result != -ENOTUNIQ)
            return sl->result; /* not an answer about the MAC: ask again next time */
        memcpy(sl->mac, mac, DHCP_ETHER_ADDR_LEN);
        sl->gen = gen;
        sl->valid = true;
    }
    if (sl->result < 0)
        return sl->result;
    *ret = &sl->r;
    return 0;
}

void boot_cache_get_stats(const struct boot_cache *c, uint64_t *ret_hits, uint64_t *ret_misses)
{
    if (ret_hits)
        *ret_hits = c ? c->hits : 0;
    if (ret_misses)
        *ret_misses = c ? c->misses : 0;
}
