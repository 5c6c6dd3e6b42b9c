/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pattern matching against an event (the agent attributes).
 *
 * Leaf semantics follow Quamina's PATTERNS.md: a field's values are the leaf
 * values (strings, numbers, true, false, null) found at its path, looking
 * through arrays; objects are not leaves. A leaf array matches when any value
 * satisfies any entry; "exists": true holds when the path has at least one
 * value and "exists": false when it has none (so an empty array counts as
 * absent). A nested pattern object matched against an array of objects must
 * be satisfied by one element as a whole: fields drawn from different
 * elements never combine into a match.
 */
#include <string.h>

#include "enroll/enroll-internal.h"

int enroll_number_cmp(const struct enroll_number *a, const struct enroll_number *b)
{
    long double x, y;

    if (a->is_int && b->is_int)
        return (a->i > b->i) - (a->i < b->i);
    /* long double holds every int64 exactly on the platforms we build for;
     * elsewhere the comparison degrades to double precision. */
    x = a->is_int ? (long double)a->i : (long double)a->d;
    y = b->is_int ? (long double)b->i : (long double)b->d;
    return (x > y) - (x < y);
}

bool enroll_glob_match(const struct enroll_op *op, const char *s, size_t len)
{
    const struct enroll_piece *first = &op->pieces[0], *last = &op->pieces[op->n_pieces - 1];
    size_t pos, end;

    if (op->n_pieces == 1)
        return len == op->len && memcmp(s, op->str, len) == 0;
    /* With stars only, matching the first piece as prefix, the last as
     * suffix and every middle piece at its leftmost position is exact: a
     * later position could only leave less room for what follows. */
    if (len < first->len + last->len || memcmp(s, op->str + first->off, first->len) != 0 ||
        memcmp(s + len - last->len, op->str + last->off, last->len) != 0)
        return false;
    pos = first->len;
    end = len - last->len;
    for (size_t i = 1; i + 1 < op->n_pieces; i++) {
        const struct enroll_piece *p = &op->pieces[i];
        const char *hit;

        if (p->len == 0)
            continue;
        hit = memmem(s + pos, end - pos, op->str + p->off, p->len);
        if (!hit)
            return false;
        pos = (size_t)(hit - s) + p->len;
    }
    return true;
}

static bool ascii_equal_fold(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

static bool cmp_holds(enum enroll_cmp cmp, int c)
{
    switch (cmp) {
    case ENROLL_CMP_EQ:
        return c == 0;
    case ENROLL_CMP_LT:
        return c < 0;
    case ENROLL_CMP_LE:
        return c <= 0;
    case ENROLL_CMP_GT:
        return c > 0;
    case ENROLL_CMP_GE:
        return c >= 0;
    default:
        return false;
    }
}

static bool string_op_match(const struct enroll_op *op, const char *s, size_t len)
{
    switch (op->type) {
    case ENROLL_OP_STRING:
        return len == op->len && memcmp(s, op->str, len) == 0;
    case ENROLL_OP_PREFIX:
        return len >= op->len && memcmp(s, op->str, op->len) == 0;
    case ENROLL_OP_SUFFIX:
        return len >= op->len && memcmp(s + len - op->len, op->str, op->len) == 0;
    case ENROLL_OP_WILDCARD:
        return enroll_glob_match(op, s, len);
    case ENROLL_OP_EQUALS_IGNORE_CASE:
        return len == op->len && ascii_equal_fold(s, op->str, len);
    default:
        return false;
    }
}

static bool anything_but_match(const struct enroll_op *op, const json_t *v)
{
    if (op->n_list == 1 && op->list[0].type != ENROLL_OP_STRING &&
        op->list[0].type != ENROLL_OP_NUMBER)
        /* Operator form: only strings can fail to start with "x". */
        return json_is_string(v) && !enroll_op_match(&op->list[0], v);
    for (size_t i = 0; i < op->n_list; i++)
        if (enroll_op_match(&op->list[i], v))
            return false;
    return true;
}

bool enroll_op_match(const struct enroll_op *op, const json_t *v)
{
    struct enroll_number n;

    switch (op->type) {
    case ENROLL_OP_STRING:
    case ENROLL_OP_PREFIX:
    case ENROLL_OP_SUFFIX:
    case ENROLL_OP_WILDCARD:
    case ENROLL_OP_EQUALS_IGNORE_CASE:
        return json_is_string(v) &&
               string_op_match(op, json_string_value(v), json_string_length(v));
    case ENROLL_OP_NUMBER:
        return enroll_number_from_json(v, &n) && enroll_number_cmp(&n, &op->num) == 0;
    case ENROLL_OP_TRUE:
        return json_is_true(v);
    case ENROLL_OP_FALSE:
        return json_is_false(v);
    case ENROLL_OP_NULL:
        return json_is_null(v);
    case ENROLL_OP_ANYTHING_BUT:
        return anything_but_match(op, v);
    case ENROLL_OP_NUMERIC:
        if (!enroll_number_from_json(v, &n))
            return false;
        for (size_t i = 0; i < op->n_range; i++)
            if (!cmp_holds(op->range[i].cmp, enroll_number_cmp(&n, &op->range[i].num)))
                return false;
        return true;
    case ENROLL_OP_EXISTS:
    default:
        return false;
    }
}

/* True when v (the event value at the field's path; NULL when absent) holds
 * at least one leaf value. */
static bool has_leaf(const json_t *v, unsigned adepth)
{
    size_t i;
    json_t *e;

    if (!v || json_is_object(v))
        return false;
    if (!json_is_array(v))
        return true;
    if (adepth >= ENROLL_EVENT_MAX_ARRAY_DEPTH)
        return false;
    json_array_foreach(v, i, e) {
        if (has_leaf(e, adepth + 1))
            return true;
    }
    return false;
}

/* True when any leaf value in v satisfies any of the field's ops. */
static bool any_leaf_matches(const struct enroll_field *f, const json_t *v, unsigned adepth)
{
    size_t i;
    json_t *e;

    if (!v || json_is_object(v))
        return false;
    if (json_is_array(v)) {
        if (adepth >= ENROLL_EVENT_MAX_ARRAY_DEPTH)
            return false;
        json_array_foreach(v, i, e) {
            if (any_leaf_matches(f, e, adepth + 1))
                return true;
        }
        return false;
    }
    for (i = 0; i < f->n_ops; i++)
        if (enroll_op_match(&f->ops[i], v))
            return true;
    return false;
}

static bool node_match(const struct enroll_node *node, const json_t *v, unsigned adepth);

static bool field_match(const struct enroll_field *f, const json_t *v)
{
    if (f->child)
        return node_match(f->child, v, 0);
    if (f->n_ops == 1 && f->ops[0].type == ENROLL_OP_EXISTS)
        return has_leaf(v, 0) == f->ops[0].exists;
    return any_leaf_matches(f, v, 0);
}

/* v is the event value at the node's path (NULL when absent). An array is
 * matched element by element; an empty array is the same as absent. */
static bool node_match(const struct enroll_node *node, const json_t *v, unsigned adepth)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;

        if (json_array_size(v) == 0)
            return node_match(node, NULL, adepth);
        if (adepth >= ENROLL_EVENT_MAX_ARRAY_DEPTH)
            return false;
        json_array_foreach(v, i, e) {
            if (node_match(node, e, adepth + 1))
                return true;
        }
        return false;
    }
    for (size_t i = 0; i < node->n_fields; i++) {
        const struct enroll_field *f = &node->fields[i];
        const json_t *child = json_is_object(v) ? json_object_getn(v, f->name, f->name_len) : NULL;

        if (!field_match(f, child))
            return false;
    }
    return true;
}

bool enroll_pattern_match(const struct enroll_pattern *p, const json_t *event)
{
    if (!p || !json_is_object(event))
        return false;
    return node_match(p->root, event, 0);
}
