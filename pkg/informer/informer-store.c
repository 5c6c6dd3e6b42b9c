/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: key -> immutable object, with secondary indexes, behind one
 * rwlock, on the C tables described in informer-internal.h. Writers (add,
 * update, delete, replace) are transactional: every allocation happens
 * before the first visible change.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer-internal.h"

void *store_alloc(size_t n)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    return m(n ? n : 1);
}

void store_dealloc(void *p)
{
    json_malloc_t m;
    json_free_t f;
    if (!p)
        return;
    json_get_alloc_funcs(&m, &f);
    f(p);
}

uint32_t store_hash(const struct store *s, const char *str)
{
    /* FNV-1a over the bytes, seeded, with a final avalanche. */
    uint64_t h = s->seed ^ UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return (uint32_t)h;
}

const char *const *store_entry_vals(const struct store_entry *e, size_t i, size_t *ret_n)
{
    uint32_t from = i ? e->vals_end[i - 1] : 0;
    *ret_n = e->vals_end[i] - from;
    return e->vals + from;
}

/* e's own copy of value v for index i, or NULL when e lacks it. */
static const char *entry_val_find(const struct store_entry *e, size_t i, const char *v)
{
    size_t n;
    const char *const *vals = store_entry_vals(e, i, &n);
    for (size_t j = 0; j < n; j++)
        if (strcmp(vals[j], v) == 0)
            return vals[j];
    return NULL;
}

/* Load factor at most 3/4: the capacity that holds n. */
static size_t table_cap_for(size_t n)
{
    size_t cap = 8;
    while (cap * 3 < n * 4)
        cap *= 2;
    return cap;
}

/* True when slot home h (masked) lies cyclically in (i, j]: the occupant of
 * j may not move to i. */
static bool stays(size_t home, size_t i, size_t j)
{
    return i <= j ? (i < home && home <= j) : (i < home || home <= j);
}

/* ---------------------------------------------------------------- items */

static size_t items_slot(const struct store_items *t, const char *key, uint32_t hash)
{
    size_t mask = t->cap - 1, i = hash & mask;
    while (t->slots[i] && (t->slots[i]->hash != hash || strcmp(t->slots[i]->key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

struct store_entry *store_items_get(const struct store_items *t, const char *key, uint32_t hash)
{
    if (t->cap == 0)
        return NULL;
    return t->slots[items_slot(t, key, hash)];
}

int store_items_reserve(struct store_items *t, size_t extra)
{
    size_t cap = table_cap_for(t->n + extra);
    if (cap <= t->cap)
        return 0;
    if (cap > SIZE_MAX / sizeof(*t->slots))
        return -ENOMEM;
    struct store_entry **slots = store_alloc(cap * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    memset(slots, 0, cap * sizeof(*slots));
    for (size_t i = 0; i < t->cap; i++) {
        struct store_entry *e = t->slots[i];
        if (!e)
            continue;
        size_t j = e->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = e;
    }
    store_dealloc(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

struct store_entry *store_items_put(struct store_items *t, struct store_entry *e)
{
    size_t i = items_slot(t, e->key, e->hash);
    struct store_entry *old = t->slots[i];
    t->slots[i] = e;
    if (!old)
        t->n++;
    return old;
}

void store_items_remove(struct store_items *t, const struct store_entry *e)
{
    if (t->cap == 0)
        return;
    size_t mask = t->cap - 1, i = items_slot(t, e->key, e->hash);
    if (!t->slots[i])
        return;
    t->n--;
    for (size_t j = i;;) {
        t->slots[i] = NULL;
        for (;;) {
            j = (j + 1) & mask;
            if (!t->slots[j])
                return;
            if (!stays(t->slots[j]->hash & mask, i, j))
                break;
        }
        t->slots[i] = t->slots[j];
        i = j;
    }
}

/* ------------------------------------------------------------- postings */

static size_t postings_slot(const struct store_postings *t, const char *value, uint32_t hash)
{
    size_t mask = t->cap - 1, i = hash & mask;
    while (t->slots[i].value &&
           (t->slots[i].hash != hash || strcmp(t->slots[i].value, value) != 0))
        i = (i + 1) & mask;
    return i;
}

const struct store_posting *
store_postings_get(const struct store_postings *t, const char *value, uint32_t hash)
{
    if (t->cap == 0)
        return NULL;
    const struct store_posting *p = &t->slots[postings_slot(t, value, hash)];
    return p->value ? p : NULL;
}

static int postings_reserve(struct store_postings *t, size_t extra)
{
    size_t cap = table_cap_for(t->n + extra);
    if (cap <= t->cap)
        return 0;
    if (cap > SIZE_MAX / sizeof(*t->slots))
        return -ENOMEM;
    struct store_posting *slots = store_alloc(cap * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    memset(slots, 0, cap * sizeof(*slots));
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].value)
            continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].value)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    store_dealloc(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static struct store_posting_set *set_new(uint32_t cap)
{
    struct store_posting_set *set = store_alloc(sizeof(*set) + cap * sizeof(set->e[0]));
    if (set)
        set->cap = cap;
    return set;
}

int store_postings_prepare(struct store_postings *t, const char *value, uint32_t hash)
{
    if (t->cap > 0) {
        struct store_posting *p = &t->slots[postings_slot(t, value, hash)];
        if (p->value) {
            if (!p->is_set) { /* a second entry: the inline one moves into a set */
                struct store_posting_set *set = set_new(4);
                if (!set)
                    return -ENOMEM;
                set->e[0] = p->p;
                p->p = set;
                p->is_set = 1;
                return 0;
            }
            struct store_posting_set *set = p->p;
            if (p->n < set->cap)
                return 0;
            if (set->cap > UINT32_MAX / 2)
                return -ENOMEM;
            struct store_posting_set *bigger = set_new(set->cap * 2);
            if (!bigger)
                return -ENOMEM;
            memcpy(bigger->e, set->e, p->n * sizeof(set->e[0]));
            store_dealloc(set);
            p->p = bigger;
            return 0;
        }
    }
    return postings_reserve(t, 1);
}

/* Position of key in a sorted set of n: where it is or would go. */
static size_t
set_search(const struct store_posting_set *set, size_t n, const char *key, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(set->e[mid]->key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void store_postings_insert(struct store_postings *t,
                           size_t index,
                           const char *value,
                           uint32_t hash,
                           struct store_entry *e)
{
    struct store_posting *p = &t->slots[postings_slot(t, value, hash)];
    const char *v = entry_val_find(e, index, value);
    if (!p->value) {
        *p = (struct store_posting){.value = v, .p = e, .hash = hash, .n = 1};
        t->n++;
        return;
    }
    struct store_posting_set *set = p->p; /* prepared: a set with room */
    bool found;
    size_t at = set_search(set, p->n, e->key, &found);
    memmove(&set->e[at + 1], &set->e[at], (p->n - at) * sizeof(set->e[0]));
    set->e[at] = e;
    p->n++;
}

void store_postings_replace(struct store_postings *t,
                            size_t index,
                            const char *value,
                            uint32_t hash,
                            struct store_entry *old,
                            struct store_entry *e)
{
    if (t->cap == 0)
        return;
    struct store_posting *p = &t->slots[postings_slot(t, value, hash)];
    if (!p->value)
        return;
    if (!p->is_set) {
        if (p->p == old)
            p->p = e;
    } else {
        struct store_posting_set *set = p->p;
        bool found;
        size_t at = set_search(set, p->n, e->key, &found);
        if (found && set->e[at] == old)
            set->e[at] = e;
    }
    /* The value string may have been old's: take e's. */
    p->value = entry_val_find(e, index, value);
}

void store_postings_erase(struct store_postings *t,
                          size_t index,
                          const char *value,
                          uint32_t hash,
                          const struct store_entry *e)
{
    if (t->cap == 0)
        return;
    size_t mask = t->cap - 1, i = postings_slot(t, value, hash);
    struct store_posting *p = &t->slots[i];
    if (!p->value)
        return;
    if (p->is_set) {
        struct store_posting_set *set = p->p;
        bool found;
        size_t at = set_search(set, p->n, e->key, &found);
        if (!found || set->e[at] != e)
            return;
        memmove(&set->e[at], &set->e[at + 1], (p->n - at - 1) * sizeof(set->e[0]));
        p->n--;
        if (p->n == 1) { /* back to inline */
            p->p = set->e[0];
            p->is_set = 0;
            store_dealloc(set);
        }
        if (p->n > 0) {
            struct store_entry *first = p->is_set ? ((struct store_posting_set *)p->p)->e[0] : p->p;
            p->value = entry_val_find(first, index, value);
            return;
        }
        store_dealloc(p->p);
    } else if (p->p != e)
        return;
    /* The value is gone: backward-shift delete. */
    t->n--;
    for (size_t j = i;;) {
        t->slots[i] = (struct store_posting){0};
        for (;;) {
            j = (j + 1) & mask;
            if (!t->slots[j].value)
                return;
            if (!stays(t->slots[j].hash & mask, i, j))
                break;
        }
        t->slots[i] = t->slots[j];
        i = j;
    }
}

void store_postings_clear(struct store_postings *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].value && t->slots[i].is_set)
            store_dealloc(t->slots[i].p);
    store_dealloc(t->slots);
    *t = (struct store_postings){0};
}

/* -------------------------------------------------------------- entries */

json_t *store_entry_object(const struct store *s, const struct store_entry *e)
{
    if (!e->obj) /* compact: the object's (deflated) JSON text */
        return store_compact_unpack(s, e->packed, e->packed_len);
    return json_incref(e->obj);
}

void store_entry_free(struct store_entry *e)
{
    if (!e)
        return;
    json_decref(e->obj);
    store_dealloc(e);
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

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)(uintptr_t)&seed;
    }
    return seed;
}

int store_new(struct store **ret)
{
    assert_return(ret, -EINVAL);

    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    if (pthread_rwlock_init(&s->lock, NULL) != 0) {
        free(s);
        return -ENOMEM;
    }
    s->seed = random_seed();
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

static void items_free_all(struct store_items *t)
{
    for (size_t i = 0; i < t->cap; i++)
        store_entry_free(t->slots[i]);
    store_dealloc(t->slots);
    *t = (struct store_items){0};
}

struct store *store_unref(struct store *s)
{
    if (!s || atomic_fetch_sub(&s->n_ref, 1) != 1)
        return NULL;
    for (size_t i = 0; i < s->n_indexes; i++) {
        free(s->indexes[i].name);
        store_postings_clear(&s->indexes[i].map);
    }
    free(s->indexes);
    items_free_all(&s->items);
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
    struct store_index idx = {.name = strdup(name), .fn = fn, .userdata = userdata};
    if (!idx.name) {
        r = -ENOMEM;
        goto out;
    }
    s->indexes[s->n_indexes++] = idx;
out:
    pthread_rwlock_unlock(&s->lock);
    return r;
}

static void json_array_list_free(json_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
    free(v);
}

/* One block: the entry, vals pointers, vals_end, then key, values and the
 * packed text as bytes. */
int store_entry_build(struct store *s, const char *key, json_t *obj, struct store_entry **ret)
{
    _cleanup_free_ unsigned char *packed = NULL;
    size_t packed_len = 0;
    int r;

    if (s->compact) {
        _cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT);
        if (!text)
            return -ENOMEM;
        r = store_compact_pack(s, text, strlen(text), &packed, &packed_len);
        if (r < 0)
            return r;
    }
    json_t **values = calloc(s->n_indexes ? s->n_indexes : 1, sizeof(*values));
    if (!values)
        return -ENOMEM;
    size_t n_vals = 0, bytes = strlen(key) + 1 + packed_len;
    for (size_t i = 0; i < s->n_indexes; i++) {
        struct store_index_keys keys = {.values = json_array()};
        if (!keys.values) {
            json_array_list_free(values, s->n_indexes);
            return -ENOMEM;
        }
        values[i] = keys.values;
        r = s->indexes[i].fn(obj, &keys, s->indexes[i].userdata);
        if (r < 0) {
            json_array_list_free(values, s->n_indexes);
            return r;
        }
        size_t j;
        json_t *v;
        json_array_foreach(keys.values, j, v) bytes += json_string_length(v) + 1;
        n_vals += json_array_size(keys.values);
    }
    size_t head = sizeof(struct store_entry) + n_vals * sizeof(char *) +
                  s->n_indexes * sizeof(uint32_t);
    unsigned char *block = store_alloc(head + bytes);
    if (!block) {
        json_array_list_free(values, s->n_indexes);
        return -ENOMEM;
    }
    struct store_entry *e = (struct store_entry *)block;
    const char **vals = (const char **)(block + sizeof(*e));
    uint32_t *vals_end = (uint32_t *)(block + sizeof(*e) + n_vals * sizeof(char *));
    char *p = (char *)block + head;
    *e = (struct store_entry){.packed_len = (uint32_t)packed_len,
                              .hash = store_hash(s, key),
                              .vals = vals,
                              .vals_end = vals_end};
    size_t k = 0;
    for (size_t i = 0; i < s->n_indexes; i++) {
        size_t j;
        json_t *v;
        json_array_foreach(values[i], j, v) {
            size_t len = json_string_length(v);
            memcpy(p, json_string_value(v), len + 1);
            vals[k++] = p;
            p += len + 1;
        }
        vals_end[i] = (uint32_t)k;
    }
    json_array_list_free(values, s->n_indexes);
    size_t klen = strlen(key);
    memcpy(p, key, klen + 1);
    e->key = p;
    p += klen + 1;
    if (s->compact) {
        memcpy(p, packed, packed_len);
        e->packed = (const unsigned char *)p;
    } else
        e->obj = json_incref(obj);
    *ret = e;
    return 0;
}

/* Under the write lock: puts e in place of old (same key, or NULL), updating
 * every index. Everything that may allocate happens first; on failure
 * nothing visible changed. */
static int store_put_locked(struct store *s, struct store_entry *e, struct store_entry *old)
{
    int r;
    if (!old && (r = store_items_reserve(&s->items, 1)) < 0)
        return r;
    for (size_t i = 0; i < s->n_indexes; i++) {
        size_t n;
        const char *const *vals = store_entry_vals(e, i, &n);
        for (size_t j = 0; j < n; j++) {
            if (old && entry_val_find(old, i, vals[j]))
                continue;
            r = store_postings_prepare(&s->indexes[i].map, vals[j], store_hash(s, vals[j]));
            if (r < 0)
                return r;
        }
    }
    /* From here on nothing allocates. */
    for (size_t i = 0; i < s->n_indexes; i++) {
        struct store_postings *map = &s->indexes[i].map;
        size_t n;
        const char *const *vals = store_entry_vals(e, i, &n);
        for (size_t j = 0; j < n; j++) {
            uint32_t h = store_hash(s, vals[j]);
            if (old && entry_val_find(old, i, vals[j]))
                store_postings_replace(map, i, vals[j], h, old, e);
            else
                store_postings_insert(map, i, vals[j], h, e);
        }
        if (!old)
            continue;
        vals = store_entry_vals(old, i, &n);
        for (size_t j = 0; j < n; j++)
            if (!entry_val_find(e, i, vals[j]))
                store_postings_erase(map, i, vals[j], store_hash(s, vals[j]), old);
    }
    (void)store_items_put(&s->items, e);
    return 0;
}

static void store_unindex_locked(struct store *s, struct store_entry *e)
{
    for (size_t i = 0; i < s->n_indexes; i++) {
        size_t n;
        const char *const *vals = store_entry_vals(e, i, &n);
        for (size_t j = 0; j < n; j++)
            store_postings_erase(&s->indexes[i].map, i, vals[j], store_hash(s, vals[j]), e);
    }
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
    struct store_entry *e = NULL;
    r = store_entry_build(s, key, obj, &e);
    if (r < 0)
        goto out;
    struct store_entry *old = store_items_get(&s->items, key, e->hash);
    json_t *old_obj = NULL;
    if (old && ret_old && !(old_obj = store_entry_object(s, old))) {
        r = -ENOMEM;
        goto out;
    }
    r = store_put_locked(s, e, old);
    if (r < 0) {
        json_decref(old_obj);
        goto out;
    }
    e = NULL;
    if (old) {
        if (ret_old)
            *ret_old = old_obj;
        store_entry_free(old);
        r = 1;
    }
out:
    store_entry_free(e);
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
    struct store_entry *e = store_items_get(&s->items, key, store_hash(s, key));
    if (!e) {
        r = -ENOENT;
        goto out;
    }
    store_unindex_locked(s, e);
    store_items_remove(&s->items, e);
    if (ret_old)
        *ret_old = store_entry_object(s, e);
    store_entry_free(e);
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
    struct store_entry *e = store_items_get(&s->items, key, store_hash(s, key));
    if (!e)
        r = -ENOENT;
    else if (!(*ret = store_entry_object(s, e)))
        r = -ENOMEM;
    pthread_rwlock_unlock(&s->lock);
    return r;
}

size_t store_size(struct store *s)
{
    if (!s)
        return 0;
    pthread_rwlock_rdlock(&s->lock);
    size_t n = s->items.n;
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
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->items.cap; i++) {
        if (!s->items.slots[i])
            continue;
        if (json_array_append_new(arr, store_entry_object(s, s->items.slots[i])) < 0) {
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

int store_list_keys(struct store *s, json_t **ret)
{
    assert_return(s && ret, -EINVAL);

    _cleanup_json_ json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    int r = 0;
    pthread_rwlock_rdlock(&s->lock);
    size_t n = 0;
    const char **keys = calloc(s->items.n ? s->items.n : 1, sizeof(*keys));
    if (!keys)
        r = -ENOMEM;
    for (size_t i = 0; keys && i < s->items.cap; i++)
        if (s->items.slots[i])
            keys[n++] = s->items.slots[i]->key;
    if (keys)
        qsort(keys, n, sizeof(*keys), cmp_str);
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (json_array_append_new(arr, json_string_nocheck(keys[i])) < 0)
            r = -ENOMEM;
    pthread_rwlock_unlock(&s->lock);
    free(keys);
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
    int r = -ENOENT;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_indexes; i++) {
        if (strcmp(s->indexes[i].name, index) != 0)
            continue;
        r = 0;
        const struct store_posting *p =
                store_postings_get(&s->indexes[i].map, value, store_hash(s, value));
        if (!p)
            break;
        const struct store_posting_set *set = p->is_set ? p->p : NULL;
        for (size_t j = 0; r >= 0 && j < p->n; j++)
            if (json_array_append_new(arr, store_entry_object(s, set ? set->e[j] : p->p)) < 0)
                r = -ENOMEM;
        break;
    }
    pthread_rwlock_unlock(&s->lock);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(arr);
    return 0;
}
