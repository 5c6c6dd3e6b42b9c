/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 6902 JSON Patch. The patch document is validated completely first
 * (malformed -> -EINVAL), then applied operation by operation to a private
 * copy of the document, which is returned only if every operation succeeded
 * (RFC 6902 §5: "If a normative requirement is violated ... evaluation of the
 * entire patch document SHALL NOT be deemed successful").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "jsonpatch/jsonpatch-internal.h"
#include "jsonpatch/jsonpatch.h"

enum op_type {
    OP_ADD,
    OP_REMOVE,
    OP_REPLACE,
    OP_MOVE,
    OP_COPY,
    OP_TEST,
    _OP_MAX,
};

static const char *const op_names[_OP_MAX] = {
        [OP_ADD] = "add",   [OP_REMOVE] = "remove", [OP_REPLACE] = "replace",
        [OP_MOVE] = "move", [OP_COPY] = "copy",     [OP_TEST] = "test",
};

struct patch_op {
    enum op_type type;
    const char *path_text; /* borrowed from the patch document */
    const char *from_text;
    struct json_pointer path;
    struct json_pointer from;
    const json_t *value; /* borrowed */
};

struct patch_ops {
    struct patch_op *ops;
    size_t n;
};

struct patch_ctx {
    json_t *root;       /* the document being patched (owned) */
    size_t depth_bound; /* upper bound of the document's depth */
    size_t copied;      /* values duplicated by "copy" so far */
    const char *why;    /* static reason for the last failure */
    bool why_from;      /* the reason is about "from", not "path" */
};

static void patch_ops_done(struct patch_ops *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_pointer_done(&p->ops[i].path);
        json_pointer_done(&p->ops[i].from);
    }
    free(p->ops);
    *p = (struct patch_ops){};
}

/* Stores a formatted message in *ret_error (if wanted) and returns r. A
 * message that cannot be allocated is simply not delivered. */
_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!ret_error)
        return r;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg) {
        free(*ret_error);
        *ret_error = msg;
    }
    return r;
}

static int parse_pointer_member(const json_t *op,
                                const char *name,
                                const char **ret_text,
                                struct json_pointer *ret)
{
    const json_t *v = json_object_get(op, name);

    if (!json_is_string(v))
        return -ENOENT;
    *ret_text = json_string_value(v);
    return json_pointer_parse(json_string_value(v), json_string_length(v), ret);
}

/* Validates operation i and fills *o. */
static int parse_op(const json_t *op, size_t i, struct patch_op *o, char **err)
{
    const json_t *name;
    size_t t;
    int r;

    if (!json_is_object(op))
        return fail(err, -EINVAL, "operation %zu: not a JSON object", i);
    name = json_object_get(op, "op");
    if (!json_is_string(name))
        return fail(err, -EINVAL, "operation %zu: missing or non-string \"op\"", i);
    for (t = 0; t < _OP_MAX; t++)
        if (strcmp(json_string_value(name), op_names[t]) == 0 &&
            json_string_length(name) == strlen(op_names[t]))
            break;
    if (t == _OP_MAX)
        return fail(err, -EINVAL, "operation %zu: unknown op \"%s\"", i, json_string_value(name));
    o->type = (enum op_type)t;

    r = parse_pointer_member(op, "path", &o->path_text, &o->path);
    if (r == -ENOENT)
        return fail(err, -EINVAL, "operation %zu (%s): missing or non-string \"path\"", i,
                    op_names[t]);
    if (r < 0)
        return r == -ENOMEM
                       ? r
                       : fail(err, -EINVAL, "operation %zu (%s) at \"%s\": invalid JSON pointer", i,
                              op_names[t], o->path_text);

    if (t == OP_MOVE || t == OP_COPY) {
        r = parse_pointer_member(op, "from", &o->from_text, &o->from);
        if (r == -ENOENT)
            return fail(err, -EINVAL,
                        "operation %zu (%s) at \"%s\": missing or non-string \"from\"", i,
                        op_names[t], o->path_text);
        if (r < 0)
            return r == -ENOMEM ? r
                                : fail(err, -EINVAL,
                                       "operation %zu (%s) from \"%s\": invalid JSON pointer", i,
                                       op_names[t], o->from_text);
    }
    if (t == OP_ADD || t == OP_REPLACE || t == OP_TEST) {
        o->value = json_object_get(op, "value");
        if (!o->value)
            return fail(err, -EINVAL, "operation %zu (%s) at \"%s\": missing \"value\"", i,
                        op_names[t], o->path_text);
    }
    return 0;
}

static int parse_ops(const json_t *ops, struct patch_ops *ret, char **err)
{
    struct patch_ops p = {};
    size_t n;
    int r;

    if (!json_is_array(ops))
        return fail(err, -EINVAL, "a JSON patch must be a JSON array of operations");
    n = json_array_size(ops);
    if (n > JSON_PATCH_MAX_OPS)
        return fail(err, -E2BIG, "the JSON patch has %zu operations, the maximum is %d", n,
                    JSON_PATCH_MAX_OPS);
    if (n > 0) {
        p.ops = calloc(n, sizeof(*p.ops));
        if (!p.ops)
            return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r = parse_op(json_array_get(ops, i), i, &p.ops[p.n], err);
        p.n++; /* so that patch_ops_done() releases its pointers */
        if (r < 0) {
            patch_ops_done(&p);
            return r;
        }
    }
    *ret = p;
    return 0;
}

static int set_why(struct patch_ctx *c, int r, const char *why)
{
    c->why = why;
    return r;
}

/* Resolves the array index of the last token for parent (an array); "-"
 * means the end when allow_end. */
static int last_index(struct patch_ctx *c,
                      const json_t *parent,
                      const struct json_pointer_token *last,
                      bool allow_end,
                      size_t *ret)
{
    size_t size = json_array_size(parent), idx;

    if (allow_end && last->len == 1 && last->s[0] == '-') {
        *ret = size;
        return 0;
    }
    if (!json_pointer_index(last, &idx))
        return set_why(c, -ENOENT, "not a valid array index");
    if (idx > size || (!allow_end && idx == size))
        return set_why(c, -ENOENT, "array index out of range");
    *ret = idx;
    return 0;
}

/* RFC 6902 §4.1. Steals value. */
static int do_add(struct patch_ctx *c, const struct json_pointer *p, json_t *value)
{
    const struct json_pointer_token *last;
    json_t *parent;
    size_t idx;
    int r;

    if (p->n == 0) {
        json_decref(c->root);
        c->root = value;
        return 0;
    }
    last = &p->tokens[p->n - 1];
    parent = json_pointer_get(c->root, p, p->n - 1);
    if (json_is_object(parent))
        return json_object_setn_new(parent, last->s, last->len, value) < 0 ? -ENOMEM : 0;
    if (json_is_array(parent)) {
        r = last_index(c, parent, last, true, &idx);
        if (r < 0) {
            json_decref(value);
            return r;
        }
        return json_array_insert_new(parent, idx, value) < 0 ? -ENOMEM : 0;
    }
    json_decref(value);
    return set_why(c, -ENOENT, parent ? "parent is not an object or array" : "path not found");
}

/* RFC 6902 §4.2. The removed value goes to *ret_removed when non-NULL. */
static int do_remove(struct patch_ctx *c, const struct json_pointer *p, json_t **ret_removed)
{
    const struct json_pointer_token *last;
    json_t *parent, *v;
    size_t idx;
    int r;

    if (p->n == 0)
        return set_why(c, -ECANCELED, "cannot remove the whole document");
    last = &p->tokens[p->n - 1];
    parent = json_pointer_get(c->root, p, p->n - 1);
    if (json_is_object(parent)) {
        v = json_object_getn(parent, last->s, last->len);
        if (!v)
            return set_why(c, -ENOENT, "member not found");
        if (ret_removed)
            *ret_removed = json_incref(v);
        (void)json_object_deln(parent, last->s, last->len);
        return 0;
    }
    if (json_is_array(parent)) {
        r = last_index(c, parent, last, false, &idx);
        if (r < 0)
            return r;
        if (ret_removed)
            *ret_removed = json_incref(json_array_get(parent, idx));
        (void)json_array_remove(parent, idx);
        return 0;
    }
    return set_why(c, -ENOENT, parent ? "parent is not an object or array" : "path not found");
}

/* RFC 6902 §4.3. Steals value. */
static int do_replace(struct patch_ctx *c, const struct json_pointer *p, json_t *value)
{
    const struct json_pointer_token *last;
    json_t *parent;
    size_t idx;
    int r;

    if (p->n == 0) {
        json_decref(c->root);
        c->root = value;
        return 0;
    }
    last = &p->tokens[p->n - 1];
    parent = json_pointer_get(c->root, p, p->n - 1);
    if (json_is_object(parent)) {
        if (!json_object_getn(parent, last->s, last->len)) {
            json_decref(value);
            return set_why(c, -ENOENT, "member not found");
        }
        return json_object_setn_new(parent, last->s, last->len, value) < 0 ? -ENOMEM : 0;
    }
    if (json_is_array(parent)) {
        r = last_index(c, parent, last, false, &idx);
        if (r < 0) {
            json_decref(value);
            return r;
        }
        return json_array_set_new(parent, idx, value) < 0 ? -ENOMEM : 0;
    }
    json_decref(value);
    return set_why(c, -ENOENT, parent ? "parent is not an object or array" : "path not found");
}

/* Counts the values in v (itself included), giving up past limit. */
static size_t count_values(const json_t *v, size_t limit)
{
    size_t n = 1, idx;
    const char *key;
    json_t *child;

    if (json_is_array(v)) {
        json_array_foreach(v, idx, child)
        {
            n += count_values(child, limit);
            if (n > limit)
                return n;
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
        {
            n += count_values(child, limit);
            if (n > limit)
                return n;
        }
    }
    return n;
}

/* Raises the depth bound for a value of depth d placed at a path of n
 * tokens; -E2BIG past JSON_PATCH_MAX_DEPTH. */
static int grow_depth(struct patch_ctx *c, size_t n, size_t d)
{
    if (d > JSON_PATCH_MAX_DEPTH || n > JSON_PATCH_MAX_DEPTH - d)
        return set_why(c, -E2BIG, "the result would nest too deeply");
    c->depth_bound = MAX(c->depth_bound, n + d);
    return 0;
}

static int apply_op(struct patch_ctx *c, const struct patch_op *o)
{
    json_t *v = NULL, *cur;
    size_t n;
    int r;

    c->why_from = false;
    switch (o->type) {
    case OP_ADD:
    case OP_REPLACE:
        r = grow_depth(c, o->path.n, json_patch_depth(o->value, JSON_PATCH_MAX_DEPTH));
        if (r < 0)
            return r;
        v = json_deep_copy(o->value);
        if (!v)
            return -ENOMEM;
        return o->type == OP_ADD ? do_add(c, &o->path, v) : do_replace(c, &o->path, v);
    case OP_REMOVE:
        return do_remove(c, &o->path, NULL);
    case OP_MOVE:
        /* RFC 6902 §4.4: "from" MUST NOT be a proper prefix of "path". */
        if (json_pointer_is_proper_prefix(&o->from, &o->path))
            return set_why(c, -ECANCELED, "cannot move a value into one of its own children");
        r = grow_depth(c, o->path.n, c->depth_bound - MIN(c->depth_bound - 1, o->from.n));
        if (r < 0)
            return r;
        c->why_from = true;
        r = do_remove(c, &o->from, &v);
        if (r < 0)
            return r;
        c->why_from = false;
        return do_add(c, &o->path, v);
    case OP_COPY:
        c->why_from = true;
        cur = json_pointer_get(c->root, &o->from, o->from.n);
        if (!cur)
            return set_why(c, -ENOENT, "path not found");
        c->why_from = false;
        n = count_values(cur, JSON_PATCH_MAX_COPY_NODES - c->copied);
        if (n > JSON_PATCH_MAX_COPY_NODES - c->copied)
            return set_why(c, -E2BIG, "copies exceed the size limit of a JSON patch");
        c->copied += n;
        r = grow_depth(c, o->path.n, json_patch_depth(cur, JSON_PATCH_MAX_DEPTH));
        if (r < 0)
            return r;
        v = json_deep_copy(cur);
        if (!v)
            return -ENOMEM;
        return do_add(c, &o->path, v);
    case OP_TEST:
        cur = json_pointer_get(c->root, &o->path, o->path.n);
        if (!cur)
            return set_why(c, -ENOENT, "path not found");
        if (!json_patch_equal(cur, o->value))
            return set_why(c, -ECANCELED, "test failed: the value differs");
        return 0;
    default:
        return -EINVAL;
    }
}

int json_patch_apply(const json_t *doc, const json_t *ops, json_t **ret, char **ret_error)
{
    _cleanup_free_ char *err = NULL;
    struct patch_ops p = {};
    struct patch_ctx c = {};
    int r;

    assert_return(doc, -EINVAL);
    assert_return(ret, -EINVAL);

    r = parse_ops(ops, &p, &err);
    if (r < 0)
        goto finish;

    c.depth_bound = json_patch_depth(doc, JSON_PATCH_MAX_DEPTH);
    if (c.depth_bound > JSON_PATCH_MAX_DEPTH) {
        r = fail(&err, -E2BIG, "the document nests too deeply");
        goto finish;
    }
    c.root = json_deep_copy(doc);
    if (!c.root) {
        r = -ENOMEM;
        goto finish;
    }
    for (size_t i = 0; i < p.n; i++) {
        const struct patch_op *o = &p.ops[i];

        r = apply_op(&c, o);
        if (r == -ENOMEM)
            goto finish;
        if (r < 0) {
            r = fail(&err, r, "operation %zu (%s) %s \"%s\": %s", i, op_names[o->type],
                     c.why_from ? "from" : "at", c.why_from ? o->from_text : o->path_text,
                     c.why ? c.why : "failed");
            goto finish;
        }
    }
    *ret = TAKE_PTR(c.root);
    r = 0;

finish:
    json_decref(c.root);
    patch_ops_done(&p);
    if (r < 0 && r != -ENOMEM && ret_error && err)
        *ret_error = TAKE_PTR(err);
    return r;
}
