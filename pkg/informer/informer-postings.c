/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compact shapes behind the indexes. Most Hardware has one MAC and one
 * IP, and most index values belong to one object, so the common case gets
 * no container:
 *   - the values an entry records for one index are null (none), a string
 *     (one) or an array of strings (several);
 *   - an index maps a value to a key string (one object) or to a set
 *     {key: true, ...} (several; it stays a set once it was one).
 * Removal never allocates.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "informer/informer-internal.h"

size_t store_vals_count(const json_t *vals)
{
    if (json_is_string(vals))
        return 1;
    return json_array_size(vals);
}

const char *store_vals_at(const json_t *vals, size_t i)
{
    if (json_is_string(vals))
        return i == 0 ? json_string_value(vals) : NULL;
    return json_string_value(json_array_get(vals, i));
}

bool store_vals_contain(const json_t *vals, const char *v)
{
    size_t n = store_vals_count(vals);
    for (size_t i = 0; i < n; i++)
        if (strcmp(store_vals_at(vals, i), v) == 0)
            return true;
    return false;
}

json_t *store_vals_pack(json_t *values)
{
    size_t n = json_array_size(values);
    json_t *one;

    if (n > 1)
        return values;
    one = n == 1 ? json_incref(json_array_get(values, 0)) : json_null();
    json_decref(values);
    return one;
}

int store_postings_add(json_t *map, const char *value, const char *key)
{
    json_t *cur = json_object_get(map, value);

    if (!cur)
        return json_object_set_new_nocheck(map, value, json_string_nocheck(key)) < 0 ? -ENOMEM : 0;
    if (json_is_object(cur))
        return json_object_set_new_nocheck(cur, key, json_true()) < 0 ? -ENOMEM : 0;
    if (strcmp(json_string_value(cur), key) == 0)
        return 0;
    /* A second object for this value: the key string becomes a set. The
     * replacement of an existing member allocates nothing. */
    json_t *set = json_object();
    if (!set || json_object_set_new_nocheck(set, json_string_value(cur), json_true()) < 0 ||
        json_object_set_new_nocheck(set, key, json_true()) < 0) {
        json_decref(set);
        return -ENOMEM;
    }
    return json_object_set_new_nocheck(map, value, set) < 0 ? -ENOMEM : 0;
}

void store_postings_remove(json_t *map, const char *value, const char *key)
{
    json_t *cur = json_object_get(map, value);

    if (json_is_object(cur)) {
        (void)json_object_del(cur, key);
        if (json_object_size(cur) == 0)
            (void)json_object_del(map, value);
    } else if (json_is_string(cur) && strcmp(json_string_value(cur), key) == 0)
        (void)json_object_del(map, value);
}

bool store_postings_has(const json_t *map, const char *value, const char *key)
{
    json_t *cur = json_object_get(map, value);

    if (json_is_object(cur))
        return json_object_get(cur, key) != NULL;
    return json_is_string(cur) && strcmp(json_string_value(cur), key) == 0;
}
