/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pruning of unknown fields, after apiextensions' pruning/algorithm.go:
 * object fields without a property schema (and no additionalProperties)
 * are dropped and their paths recorded; below
 * x-kubernetes-preserve-unknown-fields only declared properties are
 * descended into (and pruned again); apiVersion, kind and metadata are left
 * alone at the resource root and in x-kubernetes-embedded-resource
 * objects. A value of the wrong JSON type keeps its keys only where the
 * schema describes them, as upstream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "schema/schema-internal.h"

struct prune {
    struct schema_ctx *c;
    struct schema_result *res;
    struct schema_path path;
};

static bool meta_field(const char *k)
{
    return strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 || strcmp(k, "metadata") == 0;
}

static int record(struct prune *p, const char *k)
{
    int old = schema_path_child(&p->path, k);
    if (old == -E2BIG)
        return 0; /* absurdly long path: drop the record, keep pruning */
    if (old < 0)
        return old;
    struct schema_result *res = p->res;
    char *s = strdup(buf_str(&p->path.b));
    schema_path_pop(&p->path, old);
    if (!s)
        return -ENOMEM;
    char **v = realloc(res->unknown, (res->n_unknown + 1) * sizeof(*v));
    if (!v) {
        free(s);
        return -ENOMEM;
    }
    res->unknown = v;
    res->unknown[res->n_unknown++] = s;
    return 0;
}

static int prune_node(struct prune *p, const json_t *s, json_t *x, bool embedded, unsigned depth);

/* Descends into k with sub-schema sub (NULL: prune everything below). */
static int prune_child(struct prune *p, const char *k, const json_t *sub, json_t *v,
                       unsigned depth)
{
    int old = schema_path_child(&p->path, k);
    if (old < 0)
        return old;
    int r = prune_node(p, sub, v, schema_true(sub, "x-kubernetes-embedded-resource"), depth + 1);
    schema_path_pop(&p->path, old);
    return r;
}

static int skip_prune(struct prune *p, const json_t *s, json_t *x, bool embedded, unsigned depth)
{
    if (!s)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(p->c, 1);
    if (r < 0)
        return r;
    const json_t *props = schema_obj(s, "properties");
    bool present, allows;
    const json_t *addl = schema_additional(s, &present, &allows);
    if (json_is_object(x)) {
        const char *k;
        json_t *v;
        json_object_foreach(x, k, v)
        {
            const json_t *prop = schema_obj(props, k);
            if (embedded && meta_field(k))
                continue;
            if (prop)
                r = prune_child(p, k, prop, v, depth);
            else if (present)
                r = prune_child(p, k, addl, v, depth);
            if (r < 0)
                return r;
        }
    } else if (json_is_array(x)) {
        const json_t *items = schema_obj(s, "items");
        for (size_t i = 0; r == 0 && i < json_array_size(x); i++) {
            int old = schema_path_index(&p->path, i);
            if (old < 0)
                return old;
            r = skip_prune(p, items, json_array_get(x, i),
                           schema_true(items, "x-kubernetes-embedded-resource"), depth + 1);
            schema_path_pop(&p->path, old);
        }
    }
    return r;
}

static int prune_node(struct prune *p, const json_t *s, json_t *x, bool embedded, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    if (s && schema_true(s, "x-kubernetes-preserve-unknown-fields"))
        return skip_prune(p, s, x, embedded, depth);
    int r = schema_ctx_charge(p->c, 1);
    if (r < 0)
        return r;
    if (json_is_object(x)) {
        const json_t *props = schema_obj(s, "properties");
        bool present = false, allows;
        const json_t *addl = s ? schema_additional(s, &present, &allows) : NULL;
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(x, tmp, k, v)
        {
            const json_t *prop = schema_obj(props, k);
            if (s && embedded && meta_field(k))
                continue;
            if (s && prop) {
                r = prune_child(p, k, prop, v, depth);
            } else if (s && present) {
                r = prune_child(p, k, addl, v, depth);
            } else {
                if (!s || !meta_field(k) || p->path.b.len > 0)
                    r = record(p, k);
                if (r == 0)
                    r = json_object_del(x, k) == 0 ? 0 : -ENOMEM;
            }
            if (r < 0)
                return r;
        }
    } else if (json_is_array(x)) {
        const json_t *items = schema_obj(s, "items");
        for (size_t i = 0; r == 0 && i < json_array_size(x); i++) {
            int old = schema_path_index(&p->path, i);
            if (old < 0)
                return old;
            r = prune_node(p, items, json_array_get(x, i),
                           schema_true(items, "x-kubernetes-embedded-resource"), depth + 1);
            schema_path_pop(&p->path, old);
        }
    }
    return r;
}

int schema_prune(struct schema_ctx *c, const json_t *s, json_t *obj, bool root,
                 struct schema_result *unknown)
{
    struct prune p = {.c = c, .res = unknown, .path = SCHEMA_PATH_INIT};
    _cleanup_json_ json_t *none = NULL;
    if (!s && root) {
        /* the root always has a (possibly empty) schema */
        none = json_object();
        if (!none)
            return -ENOMEM;
        s = none;
    }
    bool embedded = root || schema_true(s, "x-kubernetes-embedded-resource");
    int r = prune_node(&p, s, obj, embedded, 0);
    buf_free(&p.path.b);
    return r;
}
