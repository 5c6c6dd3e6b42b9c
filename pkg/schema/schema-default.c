/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Defaulting, after apiextensions' defaulting/prunenulls.go and
 * algorithm.go: first nulls of non-nullable fields without a default are
 * dropped, then missing fields with a default, and nulls of non-nullable
 * fields, get a deep copy of the default. Defaults inside an inserted
 * default are applied too, because the walk continues into the new value.
 */
#include <errno.h>

#include "schema/schema-internal.h"

static bool has_default(const json_t *s)
{
    const json_t *d = json_object_get(s, "default");
    return d && !json_is_null(d);
}

static bool non_nullable_null(const json_t *x, const json_t *s)
{
    return json_is_null(x) && s && !schema_true(s, "nullable");
}

int schema_prune_nulls(struct schema_ctx *c, const json_t *s, json_t *x, unsigned depth)
{
    if (!s)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(c, 1);
    if (r < 0)
        return r;
    if (json_is_object(x)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(x, tmp, k, v)
        {
            const json_t *sub = schema_field_schema(s, k);
            if (non_nullable_null(v, sub) && !has_default(sub))
                r = json_object_del(x, k) == 0 ? 0 : -ENOMEM;
            else
                r = schema_prune_nulls(c, sub, v, depth + 1);
            if (r < 0)
                return r;
        }
    } else if (json_is_array(x)) {
        const json_t *items = schema_obj(s, "items");
        for (size_t i = 0; r == 0 && i < json_array_size(x); i++)
            r = schema_prune_nulls(c, items, json_array_get(x, i), depth + 1);
    }
    return r;
}

static int set_copy(json_t *x, const char *k, size_t i, const json_t *def)
{
    json_t *copy = json_deep_copy(def);
    if (!copy)
        return -ENOMEM;
    int k2 = k ? json_object_set_new(x, k, copy) : json_array_set_new(x, i, copy);
    return k2 == 0 ? 0 : -ENOMEM;
}

int schema_default(struct schema_ctx *c, const json_t *s, json_t *x, unsigned depth)
{
    if (!s)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(c, 1);
    if (r < 0)
        return r;
    if (json_is_object(x)) {
        const json_t *props = schema_obj(s, "properties");
        bool present, allows;
        const json_t *addl = schema_additional(s, &present, &allows);
        const char *k;
        json_t *v, *prop;
        json_object_foreach((json_t *)props, k, prop)
        {
            if (!has_default(prop))
                continue;
            v = json_object_get(x, k);
            if (!v || non_nullable_null(v, prop))
                r = set_copy(x, k, 0, json_object_get(prop, "default"));
            if (r < 0)
                return r;
        }
        json_object_foreach(x, k, v)
        {
            prop = json_object_get(props, k);
            if (json_is_object(prop)) {
                r = schema_default(c, prop, v, depth + 1);
            } else if (addl) {
                if (non_nullable_null(v, addl) && has_default(addl)) {
                    r = set_copy(x, k, 0, json_object_get(addl, "default"));
                    v = json_object_get(x, k);
                }
                if (r == 0)
                    r = schema_default(c, addl, v, depth + 1);
            }
            if (r < 0)
                return r;
        }
    } else if (json_is_array(x)) {
        const json_t *items = schema_obj(s, "items");
        for (size_t i = 0; items && r == 0 && i < json_array_size(x); i++) {
            if (non_nullable_null(json_array_get(x, i), items) && has_default(items))
                r = set_copy(x, NULL, i, json_object_get(items, "default"));
            if (r == 0)
                r = schema_default(c, items, json_array_get(x, i), depth + 1);
        }
    }
    return r;
}
