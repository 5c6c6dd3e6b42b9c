/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_replace(): the relist of a reflector. The new content is built
 * beside the old one (sharing the entries of unchanged objects), the
 * indexes are rebuilt from the entries' recorded values, the diff is
 * computed, and everything is swapped in at once under the write lock.
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

/* An entry for item: the stored one when the version matches, else new. */
static int replace_item(struct store *s, json_t *item, json_t *new_items, struct diff_builder *b)
{
    _cleanup_free_ char *key = NULL;
    if (store_key_of(item, &key) < 0 || json_object_get(new_items, key)) {
        b->d->n_skipped++;
        return 0;
    }
    json_t *old_entry = json_object_get(s->items, key);
    _cleanup_json_ json_t *old = old_entry ? store_entry_object(s, old_entry) : NULL;
    if (old_entry && !old)
        return -ENOMEM;
    if (old && store_same_version(old, item)) {
        b->d->n_unchanged++;
        return json_object_set_nocheck(new_items, key, old_entry) < 0 ? -ENOMEM : 0;
    }
    _cleanup_json_ json_t *entry = NULL;
    int r = store_entry_build(s, item, &entry);
    if (r < 0)
        return r;
    if (json_object_set_nocheck(new_items, key, entry) < 0)
        return -ENOMEM;
    return diff_push(b, old ? STORE_CHANGE_UPDATE : STORE_CHANGE_ADD, old, item);
}

static int rebuild_indexes(struct store *s, json_t *new_items, json_t **maps)
{
    for (size_t i = 0; i < s->n_indexes; i++) {
        maps[i] = json_object();
        if (!maps[i])
            return -ENOMEM;
        const char *key;
        json_t *entry;
        json_object_foreach(new_items, key, entry) {
            json_t *vals = json_array_get(entry, i + 1);
            size_t n = store_vals_count(vals);
            for (size_t j = 0; j < n; j++)
                if (store_postings_add(maps[i], store_vals_at(vals, j), key) < 0)
                    return -ENOMEM;
        }
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends DELETE for every stored key missing from new_items, by key. */
static int diff_deletes(struct store *s, json_t *new_items, struct diff_builder *b)
{
    size_t n = 0;
    _cleanup_free_ const char **gone = calloc(json_object_size(s->items) + 1, sizeof(*gone));
    if (!gone)
        return -ENOMEM;
    const char *key;
    json_t *entry;
    json_object_foreach(s->items, key, entry) {
        if (!json_object_get(new_items, key))
            gone[n++] = key;
    }
    qsort(gone, n, sizeof(*gone), cmp_str);
    for (size_t i = 0; i < n; i++) {
        _cleanup_json_ json_t *old = store_entry_object(s, json_object_get(s->items, gone[i]));
        if (!old || diff_push(b, STORE_CHANGE_DELETE, old, NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int replace_locked(struct store *s, json_t *items, struct store_diff *d)
{
    struct diff_builder b = {.d = d};
    _cleanup_json_ json_t *new_items = json_object();
    if (!new_items)
        return -ENOMEM;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        int r = replace_item(s, item, new_items, &b);
        if (r < 0)
            return r;
    }
    int r = diff_deletes(s, new_items, &b);
    if (r < 0)
        return r;

    json_t **maps = calloc(s->n_indexes ? s->n_indexes : 1, sizeof(*maps));
    if (!maps)
        return -ENOMEM;
    r = rebuild_indexes(s, new_items, maps);
    for (i = 0; i < s->n_indexes; i++) {
        if (r >= 0) {
            json_t *old_map = s->indexes[i].map;
            s->indexes[i].map = maps[i];
            maps[i] = old_map;
        }
        json_decref(maps[i]);
    }
    free(maps);
    if (r < 0)
        return r;
    json_t *old_items = s->items;
    s->items = TAKE_PTR(new_items);
    json_decref(old_items);
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

int store_check(struct store *s, const char **ret_why)
{
    assert_return(s, -EINVAL);

    const char *why = NULL;
    pthread_rwlock_rdlock(&s->lock);
    const char *key;
    json_t *entry;
    json_object_foreach(s->items, key, entry) {
        _cleanup_free_ char *k = NULL;
        _cleanup_json_ json_t *obj = store_entry_object(s, entry);
        if (json_array_size(entry) != s->n_indexes + 1 || !obj || store_key_of(obj, &k) < 0 ||
            strcmp(k, key) != 0) {
            why = "entry does not match its key";
            goto out;
        }
        for (size_t i = 0; i < s->n_indexes; i++) {
            json_t *vals = json_array_get(entry, i + 1);
            size_t n = store_vals_count(vals);
            if (!json_is_null(vals) && !json_is_string(vals) && n < 2) {
                why = "values recorded in the wrong shape";
                goto out;
            }
            for (size_t j = 0; j < n; j++)
                if (!store_postings_has(s->indexes[i].map, store_vals_at(vals, j), key)) {
                    why = "index misses a value of an entry";
                    goto out;
                }
        }
    }
    for (size_t i = 0; i < s->n_indexes; i++) {
        const char *value;
        json_t *hit;
        json_object_foreach(s->indexes[i].map, value, hit) {
            if (json_is_string(hit)) {
                json_t *e = json_object_get(s->items, json_string_value(hit));
                if (!store_vals_contain(json_array_get(e, i + 1), value)) {
                    why = "index holds a stale key";
                    goto out;
                }
                continue;
            }
            if (!json_is_object(hit) || json_object_size(hit) == 0) {
                why = "index holds an empty or malformed set";
                goto out;
            }
            const char *k;
            json_t *t;
            json_object_foreach(hit, k, t) {
                json_t *e = json_object_get(s->items, k);
                if (!store_vals_contain(json_array_get(e, i + 1), value)) {
                    why = "index holds a stale key";
                    goto out;
                }
            }
        }
    }
out:
    pthread_rwlock_unlock(&s->lock);
    if (why && ret_why)
        *ret_why = why;
    return why ? -EUCLEAN : 0;
}
