/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: key -> immutable object, with secondary indexes, behind one
 * rwlock. Writers (add, update, delete, replace) are transactional: every
 * allocation happens before the first visible change, or is undone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer-internal.h"

json_t *store_entry_object(const struct store *s, const json_t *entry)
{
    const json_t *o = json_array_get(entry, 0);
    if (json_is_string(o)) /* compact: the object's (deflated) JSON text */
        return store_compact_unpack(s, o);
    return json_incref((json_t *)o);
}

int store_set_compact(struct store *s)
{
    assert_return(s, -EINVAL);
    pthread_rwlock_wrlock(&s->lock);
    int r = s->written ? -EBUSY : 0;
    if (r == 0)
        s->compact = true;
    pthread_rwlock_unlock(&s->lock);
    return r;
}

static json_t *entry_vals(const json_t *entry, size_t i)
{
    return json_array_get(entry, i + 1);
}

const char *store_object_rv(const json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

bool store_same_version(const json_t *a, const json_t *b)
{
    const char *ra = store_object_rv(a), *rb = store_object_rv(b);

    if (ra && rb)
        return strcmp(ra, rb) == 0;
    return json_equal(a, b);
}

int store_new(struct store **ret)
{
    assert_return(ret, -EINVAL);

    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->items = json_object();
    if (!s->items) {
        free(s);
        return -ENOMEM;
    }
    if (pthread_rwlock_init(&s->lock, NULL) != 0) {
        json_decref(s->items);
        free(s);
        return -ENOMEM;
    }
    atomic_init(&s->n_ref, 1);
    *ret = s;
    return 0;
}

struct store *store_ref(struct store *s)
{
    if (s)
        atomic_fetch_add(&s->n_ref, 1);
    return s;
}

struct store *store_unref(struct store *s)
{
    if (!s || atomic_fetch_sub(&s->n_ref, 1) != 1)
        return NULL;
    for (size_t i = 0; i < s->n_indexes; i++) {
        free(s->indexes[i].name);
        json_decref(s->indexes[i].map);
    }
    free(s->indexes);
    json_decref(s->items);
    store_compact_done(s);
    pthread_rwlock_destroy(&s->lock);
    free(s);
    return NULL;
}

int store_add_index(struct store *s, const char *name, store_index_fn fn, void *userdata)
{
    assert_return(s && name && *name && fn, -EINVAL);

    int r = 0;
    pthread_rwlock_wrlock(&s->lock);
    if (s->written) {
        r = -EBUSY;
        goto out;
    }
    for (size_t i = 0; i < s->n_indexes; i++)
        if (strcmp(s->indexes[i].name, name) == 0) {
            r = -EEXIST;
            goto out;
        }
    struct store_index *n = realloc(s->indexes, (s->n_indexes + 1) * sizeof(*n));
    if (!n) {
        r = -ENOMEM;
        goto out;
    }
    s->indexes = n;
    struct store_index idx = {
            .name = strdup(name), .fn = fn, .userdata = userdata, .map = json_object()};
    if (!idx.name || !idx.map) {
        free(idx.name);
        json_decref(idx.map);
        r = -ENOMEM;
        goto out;
    }
    s->indexes[s->n_indexes++] = idx;
out:
    pthread_rwlock_unlock(&s->lock);
    return r;
}

int store_entry_build(struct store *s, json_t *obj, json_t **ret)
{
    _cleanup_json_ json_t *entry = json_array();
    if (!entry)
        return -ENOMEM;
    if (s->compact) {
        _cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT);
        json_t *packed = NULL;
        if (!text)
            return -ENOMEM;
        int r = store_compact_pack(s, text, strlen(text), &packed);
        if (r < 0)
            return r;
        if (json_array_append_new(entry, packed) < 0)
            return -ENOMEM;
    } else if (json_array_append(entry, obj) < 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_indexes; i++) {
        struct store_index_keys keys = {.values = json_array()};
        if (!keys.values)
            return -ENOMEM;
        int r = s->indexes[i].fn(obj, &keys, s->indexes[i].userdata);
        if (r < 0) {
            json_decref(keys.values);
            return r;
        }
        if (json_array_append_new(entry, store_vals_pack(keys.values)) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(entry);
    return 0;
}

/* Removes key from the values in vals that are not in keep. */
static void
index_remove_vals(struct store_index *idx, const json_t *vals, const json_t *keep, const char *key)
{
    size_t n = store_vals_count(vals);
    for (size_t j = 0; j < n; j++)
        if (!store_vals_contain(keep, store_vals_at(vals, j)))
            store_postings_remove(idx->map, store_vals_at(vals, j), key);
}

/* Under the write lock: puts entry under key, replacing old_entry (which may
 * be NULL), updating every index. On failure nothing changed. */
static int store_put_locked(struct store *s, const char *key, json_t *entry, json_t *old_entry)
{
    size_t i;
    int r = 0;

    /* Add the values that are new; on failure undo exactly those. */
    for (i = 0; i < s->n_indexes; i++) {
        json_t *nv = entry_vals(entry, i), *ov = old_entry ? entry_vals(old_entry, i) : NULL;
        size_t n = store_vals_count(nv);
        for (size_t j = 0; j < n; j++) {
            if (store_vals_contain(ov, store_vals_at(nv, j)))
                continue;
            r = store_postings_add(s->indexes[i].map, store_vals_at(nv, j), key);
            if (r < 0) {
                /* values [0, j) of index i, and all of indexes [0, i) */
                for (size_t k = 0; k < j; k++)
                    if (!store_vals_contain(ov, store_vals_at(nv, k)))
                        store_postings_remove(s->indexes[i].map, store_vals_at(nv, k), key);
                goto undo;
            }
        }
    }
    /* Replacing an existing key allocates nothing; a new key may fail. */
    if (json_object_set_nocheck(s->items, key, entry) < 0) {
        r = -ENOMEM;
        goto undo;
    }
    if (old_entry)
        for (i = 0; i < s->n_indexes; i++)
            index_remove_vals(&s->indexes[i], entry_vals(old_entry, i), entry_vals(entry, i), key);
    return 0;

undo:
    while (i-- > 0)
        index_remove_vals(&s->indexes[i], entry_vals(entry, i),
                          old_entry ? entry_vals(old_entry, i) : NULL, key);
    return r;
}

static int store_upsert(struct store *s, json_t *obj, json_t **ret_old)
{
    assert_return(s && obj, -EINVAL);

    _cleanup_free_ char *key = NULL;
    int r = store_key_of(obj, &key);
    if (r < 0)
        return r;

    pthread_rwlock_wrlock(&s->lock);
    s->written = true;
    _cleanup_json_ json_t *entry = NULL;
    r = store_entry_build(s, obj, &entry);
    if (r < 0)
        goto out;
    json_t *old_entry = json_incref(json_object_get(s->items, key));
    r = store_put_locked(s, key, entry, old_entry);
    if (r >= 0 && old_entry) {
        if (ret_old)
            *ret_old = store_entry_object(s, old_entry);
        r = 1;
    }
    json_decref(old_entry);
out:
    pthread_rwlock_unlock(&s->lock);
    return r;
}

int store_add(struct store *s, json_t *obj, json_t **ret_old)
{
    return store_upsert(s, obj, ret_old);
}

int store_update(struct store *s, json_t *obj, json_t **ret_old)
{
    return store_upsert(s, obj, ret_old);
}

int store_delete_key(struct store *s, const char *key, json_t **ret_old)
{
    assert_return(s && key, -EINVAL);

    int r = 0;
    pthread_rwlock_wrlock(&s->lock);
    s->written = true;
    json_t *entry = json_object_get(s->items, key);
    if (!entry) {
        r = -ENOENT;
        goto out;
    }
    for (size_t i = 0; i < s->n_indexes; i++)
        index_remove_vals(&s->indexes[i], entry_vals(entry, i), NULL, key);
    if (ret_old)
        *ret_old = store_entry_object(s, entry);
    (void)json_object_del(s->items, key);
out:
    pthread_rwlock_unlock(&s->lock);
    return r;
}

int store_delete(struct store *s, const json_t *obj, json_t **ret_old)
{
    assert_return(s && obj, -EINVAL);

    _cleanup_free_ char *key = NULL;
    int r = store_key_of(obj, &key);
    if (r < 0)
        return r;
    return store_delete_key(s, key, ret_old);
}

int store_get(struct store *s, const char *key, json_t **ret)
{
    assert_return(s && key && ret, -EINVAL);

    int r = 0;
    pthread_rwlock_rdlock(&s->lock);
    json_t *entry = json_object_get(s->items, key);
    if (!entry)
        r = -ENOENT;
    else if (!(*ret = store_entry_object(s, entry)))
        r = -ENOMEM;
    pthread_rwlock_unlock(&s->lock);
    return r;
}

size_t store_size(struct store *s)
{
    if (!s)
        return 0;
    pthread_rwlock_rdlock(&s->lock);
    size_t n = json_object_size(s->items);
    pthread_rwlock_unlock(&s->lock);
    return n;
}

int store_list(struct store *s, json_t **ret)
{
    assert_return(s && ret, -EINVAL);

    _cleanup_json_ json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    int r = 0;
    const char *key;
    json_t *entry;
    pthread_rwlock_rdlock(&s->lock);
    json_object_foreach(s->items, key, entry) {
        if (json_array_append_new(arr, store_entry_object(s, entry)) < 0) {
            r = -ENOMEM;
            break;
        }
    }
    pthread_rwlock_unlock(&s->lock);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(arr);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted copy of the keys of the object set (under the caller's lock). */
static int sorted_keys(const json_t *set, const char ***ret, size_t *ret_n)
{
    size_t n = json_object_size(set), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)set, k, v) {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    *ret = keys;
    *ret_n = n;
    return 0;
}

int store_list_keys(struct store *s, json_t **ret)
{
    assert_return(s && ret, -EINVAL);

    _cleanup_json_ json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    _cleanup_free_ const char **keys = NULL;
    size_t n = 0;
    pthread_rwlock_rdlock(&s->lock);
    int r = sorted_keys(s->items, &keys, &n);
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (json_array_append_new(arr, json_string_nocheck(keys[i])) < 0)
            r = -ENOMEM;
    pthread_rwlock_unlock(&s->lock);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(arr);
    return 0;
}

int store_by_index(struct store *s, const char *index, const char *value, json_t **ret)
{
    assert_return(s && index && value && ret, -EINVAL);

    _cleanup_json_ json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    _cleanup_free_ const char **keys = NULL;
    size_t n = 0;
    int r = -ENOENT;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_indexes; i++) {
        if (strcmp(s->indexes[i].name, index) != 0)
            continue;
        json_t *hit = json_object_get(s->indexes[i].map, value);
        if (json_is_string(hit)) {
            r = json_array_append_new(
                    arr, store_entry_object(s, json_object_get(s->items, json_string_value(hit))));
            r = r < 0 ? -ENOMEM : 0;
            break;
        }
        r = hit ? sorted_keys(hit, &keys, &n) : 0;
        for (size_t j = 0; r >= 0 && j < n; j++)
            if (json_array_append_new(arr, store_entry_object(s, json_object_get(s->items, keys[j]))) <
                0)
                r = -ENOMEM;
        break;
    }
    pthread_rwlock_unlock(&s->lock);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(arr);
    return 0;
}
