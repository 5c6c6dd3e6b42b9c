/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x-kubernetes-list-type checks, after apiextensions' listtype/validation.go:
 * a "set" must not repeat a value, a "map" must hold objects (or nulls)
 * whose x-kubernetes-list-map-keys tuples are unique. Each repeated value
 * is reported once, at its second appearance, as FieldValueDuplicate.
 * Paths are kube field paths: properties ".name", items "[i]", map keys
 * "[key]".
 */
#include <errno.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "schema/schema-internal.h"

/* Equality as upstream's map keys see it: scalars by Go type and value
 * (int64 1 and float64 1 differ), compounds by their JSON encoding. */
static bool set_equal(const json_t *a, const json_t *b)
{
    bool ca = json_is_object(a) || json_is_array(a), cb = json_is_object(b) || json_is_array(b);
    if (ca != cb)
        return false;
    return schema_json_equal(a, b, !ca, 0);
}

static int duplicate(struct schema_ctx *c, struct schema_path *path, size_t i, const json_t *v)
{
    _cleanup_buf_ struct buf val = BUF_INIT(SCHEMA_MSG_MAX);
    int r = schema_go_value(&val, v);
    if (r < 0 && r != -E2BIG)
        return r;
    int old = schema_path_index(path, i);
    if (old < 0)
        return old;
    r = schema_cause_add(c, SCHEMA_REASON_DUPLICATE, schema_path_str(path), buf_str(&val), NULL);
    schema_path_pop(path, old);
    return r;
}

static int check_set(struct schema_ctx *c, const json_t *data, struct schema_path *path)
{
    size_t n = json_array_size(data);
    for (size_t i = 1; i < n; i++) {
        int r = schema_ctx_charge(c, i);
        if (r < 0)
            return r;
        size_t seen = 0;
        for (size_t j = 0; j < i; j++)
            if (set_equal(json_array_get(data, i), json_array_get(data, j)))
                seen++;
        if (seen == 1) {
            r = duplicate(c, path, i, json_array_get(data, i));
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static bool keys_equal(const json_t *a, const json_t *b, const json_t *keys)
{
    for (size_t k = 0; k < json_array_size(keys); k++) {
        const char *name = json_string_value(json_array_get(keys, k));
        const json_t *va = name ? json_object_get(a, name) : NULL;
        const json_t *vb = name ? json_object_get(b, name) : NULL;
        if (!va || !vb) {
            if (va || vb)
                return false;
            continue;
        }
        if (!set_equal(va, vb))
            return false;
    }
    return true;
}

static int check_map(struct schema_ctx *c, const json_t *s, const json_t *data,
                     struct schema_path *path)
{
    size_t n = json_array_size(data);
    const json_t *keys = json_object_get(s, "x-kubernetes-list-map-keys");
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(data, i);
        if (json_is_object(x) || json_is_null(x))
            continue;
        _cleanup_buf_ struct buf val = BUF_INIT(SCHEMA_MSG_MAX);
        int r = schema_go_value(&val, x);
        if (r < 0 && r != -E2BIG)
            return r;
        int old = schema_path_index(path, i);
        if (old < 0)
            return old;
        r = schema_cause_add(c, SCHEMA_REASON_INVALID, schema_path_str(path), buf_str(&val),
                             "must be an object for an array of list-type map");
        schema_path_pop(path, old);
        return r;
    }
    for (size_t i = 1; i < n; i++) {
        int r = schema_ctx_charge(c, i);
        if (r < 0)
            return r;
        size_t seen = 0;
        const json_t *x = json_array_get(data, i);
        for (size_t j = 0; j < i; j++)
            if (keys_equal(x, json_array_get(data, j), keys))
                seen++;
        if (seen != 1)
            continue;
        _cleanup_json_ json_t *key = json_object();
        if (!key)
            return -ENOMEM;
        for (size_t k = 0; k < json_array_size(keys); k++) {
            const char *name = json_string_value(json_array_get(keys, k));
            json_t *v = name ? json_object_get(x, name) : NULL;
            if (v && json_object_set(key, name, v) < 0)
                return -ENOMEM;
        }
        r = duplicate(c, path, i, key);
        if (r < 0)
            return r;
    }
    return 0;
}

int schema_listtype(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *path, unsigned depth)
{
    if (!s)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(c, 1);
    if (r < 0)
        return r;
    const char *k;
    json_t *v;
    if (json_is_object(data)) {
        bool present, allows;
        const json_t *addl = schema_additional(s, &present, &allows);
        const json_t *props = schema_obj(s, "properties");
        json_object_foreach((json_t *)data, k, v)
        {
            const json_t *prop = schema_obj(props, k);
            const json_t *sub = prop ? prop : addl;
            if (!sub)
                continue;
            int old = prop ? schema_path_child(path, k) : schema_path_key(path, k);
            if (old < 0)
                return old;
            r = schema_listtype(c, sub, v, path, depth + 1);
            schema_path_pop(path, old);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (!json_is_array(data))
        return 0;
    const char *lt = schema_str(s, "x-kubernetes-list-type");
    if (lt && strcmp(lt, "set") == 0)
        r = check_set(c, data, path);
    else if (lt && strcmp(lt, "map") == 0)
        r = check_map(c, s, data, path);
    const json_t *items = schema_obj(s, "items");
    for (size_t i = 0; items && r == 0 && i < json_array_size(data); i++) {
        int old = schema_path_index(path, i);
        if (old < 0)
            return old;
        r = schema_listtype(c, items, json_array_get(data, i), path, depth + 1);
        schema_path_pop(path, old);
    }
    return r;
}
