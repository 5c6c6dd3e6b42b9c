/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema_apply(): prune, default, validate, in the order kube-apiserver
 * applies them to a custom resource on create and update. Validation is
 * the customResourceStrategy's: OpenAPI schema, then list types, then CEL
 * rules, which upstream skips (with one cause saying so) when the object
 * already has type or enum errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

/* Depth and size of untrusted input, before anything is touched. */
static int scan(const json_t *v, unsigned depth, size_t *nodes)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    if (++*nodes > SCHEMA_MAX_NODES)
        return -E2BIG;
    const char *k;
    json_t *child;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, child)
        {
            int r = scan(child, depth + 1, nodes);
            if (r < 0)
                return r;
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int r = scan(json_array_get(v, i), depth + 1, nodes);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int schema_scan_limits(const json_t *v)
{
    size_t nodes = 0;
    return scan(v, 0, &nodes);
}

/* Whether any node reachable for validation carries CEL rules. */
static bool has_rules(const json_t *s, unsigned depth)
{
    if (!json_is_object(s) || depth > SCHEMA_MAX_DEPTH)
        return false;
    if (json_array_size(json_object_get(s, "x-kubernetes-validations")) > 0)
        return true;
    const char *k;
    json_t *p;
    json_object_foreach((json_t *)schema_obj(s, "properties"), k, p) if (has_rules(p, depth + 1))
            return true;
    return has_rules(schema_obj(s, "items"), depth + 1) ||
           has_rules(schema_obj(s, "additionalProperties"), depth + 1);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Root metadata must at least be an object, whatever the schema says. */
static int check_root_metadata(struct schema_ctx *c, const json_t *schema, const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    if (!meta || json_is_object(meta) || schema_obj(schema_obj(schema, "properties"), "metadata"))
        return 0;
    _cleanup_buf_ struct buf q = BUF_INIT(64);
    _cleanup_buf_ struct buf msg = BUF_INIT(256);
    const char *t = schema_json_type(meta);
    int r = schema_go_quote(&q, t, strlen(t));
    if (r == 0)
        r = buf_printf(&msg, "metadata in body must be of type object: %s", buf_str(&q));
    if (r < 0)
        return r;
    return schema_cause_add(c, SCHEMA_REASON_TYPE_INVALID, "metadata", buf_str(&q), buf_str(&msg));
}

static int run_validation(struct schema_ctx *c, const json_t *schema, json_t *obj)
{
    struct schema_path path = SCHEMA_PATH_INIT;
    int r = schema_validate(c, schema, obj, &path, 0);
    if (r == 0)
        r = check_root_metadata(c, schema, obj);
    schema_path_pop(&path, 0);
    if (r == 0)
        r = schema_listtype(c, schema, obj, &path, 0);
    if (r == 0 && has_rules(schema, 0)) {
        schema_path_pop(&path, 0);
        if (schema_causes_blocking(c->out))
            r = schema_cause_add(c, SCHEMA_REASON_INVALID, "<nil>", "\"null\"",
                                 "some validation rules were not checked because the object was "
                                 "invalid; correct the existing errors to complete validation");
        else
            r = schema_cel_walk(c, schema, obj, &path, 0);
    }
    buf_free(&path.b);
    return r;
}

/* Hands the causes and unknown paths of one call over to ret. */
static int merge_result(struct schema_result *ret, struct schema_causes *causes,
                        struct schema_result *local)
{
    if (causes->n > 0) {
        struct schema_cause *v =
                realloc(ret->causes, (ret->n_causes + causes->n) * sizeof(*ret->causes));
        if (!v)
            return -ENOMEM;
        ret->causes = v;
        memcpy(ret->causes + ret->n_causes, causes->v, causes->n * sizeof(*causes->v));
        ret->n_causes += causes->n;
        free(causes->v);
        *causes = (struct schema_causes){0};
    }
    if (local->n_unknown > 0) {
        char **v = realloc(ret->unknown, (ret->n_unknown + local->n_unknown) * sizeof(char *));
        if (!v)
            return -ENOMEM;
        ret->unknown = v;
        memcpy(ret->unknown + ret->n_unknown, local->unknown, local->n_unknown * sizeof(char *));
        ret->n_unknown += local->n_unknown;
        free(local->unknown);
        local->unknown = NULL;
        local->n_unknown = 0;
    }
    return 0;
}

int schema_apply(const json_t *schema, json_t *obj, unsigned flags, struct schema_result *ret)
{
    assert_return(json_is_object(schema) && obj && ret, -EINVAL);
    assert_return((flags & ~(unsigned)(SCHEMA_PRUNE | SCHEMA_DEFAULT | SCHEMA_VALIDATE)) == 0,
                  -EINVAL);
    struct schema_causes causes = {0};
    struct schema_result local = {0};
    struct schema_ctx c = {.out = &causes};
    int r = schema_scan_limits(obj);
    if (r == 0)
        r = schema_scan_limits(schema);
    if (r == 0 && (flags & SCHEMA_PRUNE)) {
        r = schema_prune(&c, schema, obj, true, &local);
        if (r == 0 && local.n_unknown > 1)
            qsort(local.unknown, local.n_unknown, sizeof(char *), str_cmp);
    }
    if (r == 0 && (flags & SCHEMA_DEFAULT)) {
        r = schema_prune_nulls(&c, schema, obj, 0);
        if (r == 0)
            r = schema_default(&c, schema, obj, 0);
    }
    if (r == 0 && (flags & SCHEMA_VALIDATE))
        r = run_validation(&c, schema, obj);
    bool invalid = causes.n > 0;
    if (r == 0)
        r = merge_result(ret, &causes, &local);
    schema_ctx_done(&c);
    schema_causes_clear(&causes);
    schema_result_clear(&local);
    if (r < 0) {
        schema_result_clear(ret);
        return r;
    }
    return invalid ? -EINVAL : 0;
}
