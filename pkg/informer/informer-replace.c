/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_replace(): the relist of a reflector. The new items table is built
 * beside the old one (sharing the entries of unchanged objects), the index
 * tables are rebuilt from the entries' recorded values, the diff is
 * computed, and everything is swapped in at once under the write lock; the
 * entries the new content does not hold are freed afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer-internal.h"

struct diff_builder {
    struct store_diff *d;
    size_t cap;
};

static int diff_push(struct diff_builder *b, enum store_change_type type, json_t *old, json_t *obj)
{
    if (b->d->n_changes == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct store_change *c = realloc(b->d->changes, cap * sizeof(*c));
        if (!c)
            return -ENOMEM;
        b->d->changes = c;
        b->cap = cap;
    }
    b->d->changes[b->d->n_changes++] =
            (struct store_change){.type = type, .old = json_incref(old), .obj = json_incref(obj)};
    return 0;
}

struct store_diff *store_diff_free(struct store_diff *d)
{
    if (!d)
        return NULL;
    for (size_t i = 0; i < d->n_changes; i++) {
        json_decref(d->changes[i].old);
        json_decref(d->changes[i].obj);
    }
    free(d->changes);
    free(d);
    return NULL;
}

/* The content being built by store_replace(): the new table (sharing the
 * entries of unchanged objects) and the entries built for it. */
struct replace_ctx {
    struct store_items items;
    struct store_entry **fresh;
    size_t n_fresh;
};

static void replace_ctx_done(struct replace_ctx *c, bool keep_fresh)
{
    if (!keep_fresh)
        for (size_t i = 0; i < c->n_fresh; i++)
            store_entry_free(c->fresh[i]);
    free(c->fresh);
    store_dealloc(c->items.slots);
}

/* An entry for item: the stored one when the version matches, else new. */
static int
replace_item(struct store *s, json_t *item, struct replace_ctx *c, struct diff_builder *b)
{
    _cleanup_free_ char *key = NULL;
    if (store_key_of(item, &key) < 0) {
        b->d->n_skipped++;
        return 0;
    }
    uint32_t h = store_hash(s, key);
    if (store_items_get(&c->items, key, h)) { /* a duplicate: the first wins */
        b->d->n_skipped++;
        return 0;
    }
    int r = store_items_reserve(&c->items, 1);
    if (r < 0)
        return r;
    struct store_entry *old_entry = store_items_get(&s->items, key, h);
    _cleanup_json_ json_t *old = old_entry ? store_entry_object(s, old_entry) : NULL;
    if (old_entry && !old)
        return -ENOMEM;
    if (old && store_same_version(old, item)) {
        b->d->n_unchanged++;
        (void)store_items_put(&c->items, old_entry);
        return 0;
    }
    struct store_entry *e = NULL;
    r = store_entry_build(s, key, item, &e);
    if (r < 0)
        return r;
    c->fresh[c->n_fresh++] = e;
    (void)store_items_put(&c->items, e);
    return diff_push(b, old ? STORE_CHANGE_UPDATE : STORE_CHANGE_ADD, old, item);
}

static int build_index(struct store *s, size_t i, const struct store_items *items,
                       struct store_postings *map)
{
    for (size_t k = 0; k < items->cap; k++) {
        struct store_entry *e = items->slots[k];
        if (!e)
            continue;
        size_t n;
        const char *const *vals = store_entry_vals(e, i, &n);
        for (size_t j = 0; j < n; j++) {
            uint32_t h = store_hash(s, vals[j]);
            int r = store_postings_prepare(map, vals[j], h);
            if (r < 0)
                return r;
            store_postings_insert(map, i, vals[j], h, e);
        }
    }
    return 0;
}

static int cmp_entry_key(const void *a, const void *b)
{
    return strcmp((*(struct store_entry *const *)a)->key, (*(struct store_entry *const *)b)->key);
}

/* Appends DELETE for every stored key missing from items, by key. */
static int diff_deletes(struct store *s, const struct store_items *items, struct diff_builder *b)
{
    size_t n = 0;
    _cleanup_free_ struct store_entry **gone = calloc(s->items.n + 1, sizeof(*gone));
    if (!gone)
        return -ENOMEM;
    for (size_t i = 0; i < s->items.cap; i++) {
        struct store_entry *e = s->items.slots[i];
        if (e && !store_items_get(items, e->key, e->hash))
            gone[n++] = e;
    }
    qsort(gone, n, sizeof(*gone), cmp_entry_key);
    for (size_t i = 0; i < n; i++) {
        _cleanup_json_ json_t *old = store_entry_object(s, gone[i]);
        if (!old || diff_push(b, STORE_CHANGE_DELETE, old, NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int replace_locked(struct store *s, json_t *items, struct store_diff *d)
{
    struct diff_builder b = {.d = d};
    struct replace_ctx c = {.fresh = calloc(json_array_size(items) + 1, sizeof(*c.fresh))};
    if (!c.fresh)
        return -ENOMEM;
    int r = store_items_reserve(&c.items, 0);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (r < 0)
            break;
        r = replace_item(s, item, &c, &b);
    }
    if (r >= 0)
        r = diff_deletes(s, &c.items, &b);
    struct store_postings *maps = calloc(s->n_indexes ? s->n_indexes : 1, sizeof(*maps));
    if (!maps)
        r = -ENOMEM;
    for (i = 0; r >= 0 && i < s->n_indexes; i++)
        r = build_index(s, i, &c.items, &maps[i]);
    if (r < 0) {
        for (i = 0; maps && i < s->n_indexes; i++)
            store_postings_clear(&maps[i]);
        free(maps);
        replace_ctx_done(&c, false);
        return r;
    }
    /* Swap in; then free the entries the new content does not hold. */
    for (i = 0; i < s->n_indexes; i++) {
        store_postings_clear(&s->indexes[i].map);
        s->indexes[i].map = maps[i];
    }
    free(maps);
    for (i = 0; i < s->items.cap; i++) {
        struct store_entry *e = s->items.slots[i];
        if (e && store_items_get(&c.items, e->key, e->hash) != e)
            store_entry_free(e);
    }
    store_dealloc(s->items.slots);
    s->items = c.items;
    c.items = (struct store_items){0};
    replace_ctx_done(&c, true);
    return 0;
}

int store_replace(struct store *s, json_t *items, struct store_diff **ret_diff)
{
    assert_return(s && json_is_array(items), -EINVAL);

    _cleanup_store_diff_ struct store_diff *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    pthread_rwlock_wrlock(&s->lock);
    s->written = true;
    int r = replace_locked(s, items, d);
    pthread_rwlock_unlock(&s->lock);
    if (r < 0)
        return r;
    if (ret_diff)
        *ret_diff = TAKE_PTR(d);
    return 0;
}

/* Whether posting p of index i holds e. */
static bool posting_has(const struct store_posting *p, const struct store_entry *e)
{
    if (!p)
        return false;
    if (!p->is_set)
        return p->p == e;
    const struct store_posting_set *set = p->p;
    for (size_t k = 0; k < p->n; k++)
        if (set->e[k] == e)
            return true;
    return false;
}

static const char *check_entries(struct store *s)
{
    size_t n_items = 0;
    for (size_t k = 0; k < s->items.cap; k++) {
        struct store_entry *e = s->items.slots[k];
        if (!e)
            continue;
        n_items++;
        _cleanup_free_ char *key = NULL;
        _cleanup_json_ json_t *obj = store_entry_object(s, e);
        if (!obj || store_key_of(obj, &key) < 0 || strcmp(key, e->key) != 0 ||
            e->hash != store_hash(s, e->key) || store_items_get(&s->items, e->key, e->hash) != e)
            return "entry does not match its key";
        for (size_t i = 0; i < s->n_indexes; i++) {
            size_t n;
            const char *const *vals = store_entry_vals(e, i, &n);
            for (size_t j = 0; j < n; j++) {
                for (size_t m = 0; m < j; m++)
                    if (strcmp(vals[m], vals[j]) == 0)
                        return "values recorded twice";
                if (!posting_has(store_postings_get(&s->indexes[i].map, vals[j],
                                                    store_hash(s, vals[j])),
                                 e))
                    return "index misses a value of an entry";
            }
        }
    }
    return n_items == s->items.n ? NULL : "item count is wrong";
}

/* Whether e is stored and records value for index i. */
static bool entry_holds(struct store *s, size_t i, const struct store_entry *e, const char *value)
{
    if (store_items_get(&s->items, e->key, e->hash) != e)
        return false;
    size_t n;
    const char *const *vals = store_entry_vals(e, i, &n);
    for (size_t j = 0; j < n; j++)
        if (strcmp(vals[j], value) == 0)
            return true;
    return false;
}

static const char *check_index(struct store *s, size_t i)
{
    const struct store_postings *t = &s->indexes[i].map;
    size_t n_values = 0;
    for (size_t k = 0; k < t->cap; k++) {
        const struct store_posting *p = &t->slots[k];
        if (!p->value)
            continue;
        n_values++;
        if (p->hash != store_hash(s, p->value) || store_postings_get(t, p->value, p->hash) != p)
            return "index value misplaced";
        if (p->n == 0 || (!p->is_set && p->n != 1))
            return "index holds an empty or malformed set";
        const struct store_posting_set *set = p->is_set ? p->p : NULL;
        if (set && p->n > set->cap)
            return "index holds an empty or malformed set";
        bool value_owned = false;
        for (size_t j = 0; j < p->n; j++) {
            const struct store_entry *e = set ? set->e[j] : p->p;
            if (set && j > 0 && strcmp(set->e[j - 1]->key, e->key) >= 0)
                return "index set not sorted by key";
            if (!entry_holds(s, i, e, p->value))
                return "index holds a stale key";
            size_t n;
            const char *const *vals = store_entry_vals(e, i, &n);
            for (size_t m = 0; m < n; m++)
                value_owned = value_owned || vals[m] == p->value;
        }
        if (!value_owned)
            return "index value points outside its entries";
    }
    return n_values == t->n ? NULL : "index count is wrong";
}

int store_check(struct store *s, const char **ret_why)
{
    assert_return(s, -EINVAL);

    pthread_rwlock_rdlock(&s->lock);
    const char *why = check_entries(s);
    for (size_t i = 0; !why && i < s->n_indexes; i++)
        why = check_index(s, i);
    pthread_rwlock_unlock(&s->lock);
    if (why && ret_why)
        *ret_why = why;
    return why ? -EUCLEAN : 0;
}
