/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pattern compiler: JSON pattern text -> tree of fields and operators.
 *
 * The language follows Quamina's PATTERNS.md: a pattern is an object whose
 * leaves are arrays; an array lists exact values (strings, numbers, true,
 * false, null) and extended patterns, objects with exactly one member naming
 * the operator. "exists" and "anything-but" must be alone in their array.
 * Wildcards may not hold two adjacent stars. anvil adds "suffix", "numeric"
 * and EventBridge's richer "anything-but" operands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "buf/buf.h"
#include "enroll/enroll-internal.h"

struct compile_ctx {
    char **ret_error;
    size_t n_values;
    /* Names of the fields from the root to the one being compiled. */
    const char *path[ENROLL_PATTERN_MAX_DEPTH + 1];
    size_t depth;
};

/* Appends a field name for a message: control characters and quotes become
 * '?', long names are cut (the text stays valid UTF-8 because jansson keys
 * are, and we only cut before a lead byte). */
static int append_name(struct buf *b, const char *name)
{
    size_t n = strlen(name), i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        char out = (c < 0x20 || c == '"' || c == 0x7f) ? '?' : (char)c;

        if (i >= 64 && (c & 0xc0) != 0x80)
            return buf_append_str(b, "...");
        if (buf_append(b, &out, 1) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int fail(struct compile_ctx *c, const char *fmt, ...) _printf_(2, 3);

static int fail(struct compile_ctx *c, const char *fmt, ...)
{
    _cleanup_buf_ struct buf b = BUF_INIT(16 * 1024);
    va_list ap;
    int r;

    if (!c->ret_error)
        return -EINVAL;
    if (c->depth == 0)
        r = buf_append_str(&b, "pattern: ");
    else {
        r = buf_append_str(&b, "field \"");
        for (size_t i = 0; r >= 0 && i < c->depth; i++) {
            if (i > 0)
                r = buf_append_str(&b, ".");
            if (r >= 0)
                r = append_name(&b, c->path[i]);
        }
        if (r >= 0)
            r = buf_append_str(&b, "\": ");
    }
    if (r >= 0) {
        va_start(ap, fmt);
        r = buf_vprintf(&b, fmt, ap);
        va_end(ap);
    }
    if (r < 0)
        return -ENOMEM;
    *c->ret_error = buf_take(&b, NULL);
    if (!*c->ret_error)
        return -ENOMEM;
    enroll_utf8_sanitize(*c->ret_error);
    return -EINVAL;
}

static void op_clear(struct enroll_op *op)
{
    free(op->str);
    free(op->pieces);
    for (size_t i = 0; i < op->n_list; i++)
        op_clear(&op->list[i]);
    free(op->list);
    *op = (struct enroll_op){};
}

static void ops_free(struct enroll_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    free(ops);
}

void enroll_node_free(struct enroll_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_fields; i++) {
        free(n->fields[i].name);
        ops_free(n->fields[i].ops, n->fields[i].n_ops);
        enroll_node_free(n->fields[i].child);
    }
    free(n->fields);
    free(n);
}

struct enroll_pattern *enroll_pattern_free(struct enroll_pattern *p)
{
    if (p) {
        enroll_node_free(p->root);
        free(p);
    }
    return NULL;
}

bool enroll_number_from_json(const json_t *v, struct enroll_number *ret)
{
    if (json_is_integer(v)) {
        *ret = (struct enroll_number){.is_int = true, .i = json_integer_value(v)};
        return true;
    }
    if (json_is_real(v)) {
        *ret = (struct enroll_number){.d = json_real_value(v)};
        return true;
    }
    return false;
}

static int count_value(struct compile_ctx *c)
{
    if (++c->n_values > ENROLL_PATTERN_MAX_VALUES)
        return fail(c, "more than %d values and operators in the pattern",
                    ENROLL_PATTERN_MAX_VALUES);
    return 0;
}

/* Copies a string operand of op `what` into op->str. */
static int
take_string(struct compile_ctx *c, const json_t *v, const char *what, struct enroll_op *op)
{
    size_t len;

    if (!json_is_string(v))
        return fail(c, "%s: value must be a string", what);
    len = json_string_length(v);
    if (len > ENROLL_PATTERN_MAX_STRING)
        return fail(c, "%s: string longer than %d bytes", what, ENROLL_PATTERN_MAX_STRING);
    op->str = malloc(len + 1);
    if (!op->str)
        return -ENOMEM;
    memcpy(op->str, json_string_value(v), len);
    op->str[len] = '\0';
    op->len = len;
    return 0;
}

/* Compiles a wildcard: `\*` is a literal star, `\\` a literal backslash, any
 * other escape is an error, and two adjacent unescaped stars are an error
 * (Quamina's rule). The unescaped text goes to op->str and the literal runs
 * between stars to op->pieces. */
static int
compile_glob(struct compile_ctx *c, const json_t *v, const char *what, struct enroll_op *op)
{
    const char *s;
    size_t len, o = 0, start = 0;
    bool last_star = false;
    int r;

    r = take_string(c, v, what, op);
    if (r < 0)
        return r;
    s = json_string_value(v);
    len = op->len;
    op->pieces = calloc(len / 2 + 2, sizeof(*op->pieces));
    if (!op->pieces)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '*') {
            if (last_star)
                return fail(c, "%s: adjacent '*' characters are not allowed", what);
            op->pieces[op->n_pieces++] = (struct enroll_piece){start, o - start};
            start = o;
            last_star = true;
            continue;
        }
        last_star = false;
        if (s[i] == '\\') {
            if (i + 1 >= len || (s[i + 1] != '*' && s[i + 1] != '\\'))
                return fail(c, "%s: invalid escape at byte %zu (only \\* and \\\\ are allowed)",
                            what, i);
            i++;
        }
        op->str[o++] = s[i];
    }
    op->pieces[op->n_pieces++] = (struct enroll_piece){start, o - start};
    op->str[o] = '\0';
    op->len = o;
    op->type = ENROLL_OP_WILDCARD;
    return 0;
}

/* A string operator: prefix, suffix, equals-ignore-case, wildcard or
 * shellstyle. Returns 1 when name is not one of them. */
static int
compile_string_op(struct compile_ctx *c, const char *name, const json_t *v, struct enroll_op *op)
{
    static const struct {
        const char *name;
        enum enroll_op_type type;
    } table[] = {
            {"prefix", ENROLL_OP_PREFIX},
            {"suffix", ENROLL_OP_SUFFIX},
            {"equals-ignore-case", ENROLL_OP_EQUALS_IGNORE_CASE},
            {"wildcard", ENROLL_OP_WILDCARD},
            {"shellstyle", ENROLL_OP_WILDCARD},
    };

    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        if (strcmp(name, table[i].name) != 0)
            continue;
        if (table[i].type == ENROLL_OP_WILDCARD)
            return compile_glob(c, v, name, op);
        op->type = table[i].type;
        return take_string(c, v, name, op);
    }
    return 1;
}

/* One exact value that anything-but excludes (a string or a number). */
static int compile_excluded(struct compile_ctx *c, const json_t *v, struct enroll_op *op)
{
    if (json_is_string(v)) {
        op->type = ENROLL_OP_STRING;
        return take_string(c, v, "anything-but", op);
    }
    if (enroll_number_from_json(v, &op->num)) {
        op->type = ENROLL_OP_NUMBER;
        return 0;
    }
    return fail(c, "anything-but: values must be strings or numbers");
}

/* {"anything-but": ["a", "b"]}, {"anything-but": "a"}, {"anything-but": 5}
 * or {"anything-but": {"prefix": "a"}} (or suffix, wildcard,
 * equals-ignore-case). */
static int compile_anything_but(struct compile_ctx *c, const json_t *v, struct enroll_op *op)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    int r;

    op->type = ENROLL_OP_ANYTHING_BUT;
    if (json_is_array(v) && n == 0)
        return fail(c, "anything-but: the array must not be empty");
    if (json_is_object(v) && json_object_size(v) != 1)
        return fail(c, "anything-but: the operator object must have exactly one member");
    op->list = calloc(n, sizeof(*op->list));
    if (!op->list)
        return -ENOMEM;
    op->n_list = n;
    if (json_is_object(v)) {
        const char *name = json_object_iter_key(json_object_iter((json_t *)v));
        r = compile_string_op(c, name, json_object_iter_value(json_object_iter((json_t *)v)),
                              &op->list[0]);
        if (r == 1)
            return fail(c,
                        "anything-but: unsupported operator \"%s\" (use prefix, suffix, "
                        "wildcard or equals-ignore-case)",
                        name);
        return r;
    }
    if (!json_is_array(v))
        return compile_excluded(c, v, &op->list[0]);
    for (size_t i = 0; i < n; i++) {
        r = count_value(c);
        if (r >= 0)
            r = compile_excluded(c, json_array_get(v, i), &op->list[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_cmp(const json_t *v, enum enroll_cmp *ret)
{
    static const char *const names[_ENROLL_CMP_MAX] = {
            [ENROLL_CMP_EQ] = "=", [ENROLL_CMP_LT] = "<",  [ENROLL_CMP_LE] = "<=",
            [ENROLL_CMP_GT] = ">", [ENROLL_CMP_GE] = ">=",
    };
    const char *s = json_string_value(v);

    for (int i = 0; s && i < _ENROLL_CMP_MAX; i++)
        if (strcmp(s, names[i]) == 0) {
            *ret = (enum enroll_cmp)i;
            return 0;
        }
    return -EINVAL;
}

/* {"numeric": [op, n]} or {"numeric": [op, n, op, n]}. */
static int compile_numeric(struct compile_ctx *c, const json_t *v, struct enroll_op *op)
{
    size_t n = json_array_size(v);

    op->type = ENROLL_OP_NUMERIC;
    if (!json_is_array(v) || (n != 2 && n != 4))
        return fail(c, "numeric: value must be an array [op, number] or [op, number, op, number]");
    for (size_t i = 0; i < n; i += 2) {
        const json_t *o = json_array_get(v, i), *num = json_array_get(v, i + 1);

        if (parse_cmp(o, &op->range[i / 2].cmp) < 0)
            return fail(c,
                        "numeric: element %zu must be one of \"=\", \"<\", \"<=\", \">\", \">=\"",
                        i);
        if (!enroll_number_from_json(num, &op->range[i / 2].num))
            return fail(c, "numeric: element %zu must be a number", i + 1);
    }
    op->n_range = n / 2;
    return 0;
}

/* An extended pattern: an object with exactly one member naming the operator. */
static int compile_extended(struct compile_ctx *c, const json_t *obj, struct enroll_op *op)
{
    void *it = json_object_iter((json_t *)obj);
    const char *name;
    const json_t *v;
    int r;

    if (json_object_size(obj) != 1)
        return fail(c, "an extended pattern must have exactly one member, not %zu",
                    json_object_size(obj));
    name = json_object_iter_key(it);
    v = json_object_iter_value(it);
    r = compile_string_op(c, name, v, op);
    if (r != 1)
        return r;
    if (strcmp(name, "exists") == 0) {
        if (!json_is_boolean(v))
            return fail(c, "exists: value must be true or false");
        op->type = ENROLL_OP_EXISTS;
        op->exists = json_is_true(v);
        return 0;
    }
    if (strcmp(name, "anything-but") == 0)
        return compile_anything_but(c, v, op);
    if (strcmp(name, "numeric") == 0)
        return compile_numeric(c, v, op);
    return fail(c, "unknown operator \"%.64s\"", name);
}

static int compile_value(struct compile_ctx *c, const json_t *v, struct enroll_op *op)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        op->type = ENROLL_OP_STRING;
        return take_string(c, v, "value", op);
    case JSON_INTEGER:
    case JSON_REAL:
        op->type = ENROLL_OP_NUMBER;
        (void)enroll_number_from_json(v, &op->num);
        return 0;
    case JSON_TRUE:
        op->type = ENROLL_OP_TRUE;
        return 0;
    case JSON_FALSE:
        op->type = ENROLL_OP_FALSE;
        return 0;
    case JSON_NULL:
        op->type = ENROLL_OP_NULL;
        return 0;
    case JSON_OBJECT:
        return compile_extended(c, v, op);
    case JSON_ARRAY:
    default:
        return fail(c, "arrays inside a value array are not allowed");
    }
}

static int compile_leaf(struct compile_ctx *c, const json_t *arr, struct enroll_field *f)
{
    size_t n = json_array_size(arr);
    const char *exclusive = NULL;
    int r;

    if (n > 0) {
        f->ops = calloc(n, sizeof(*f->ops));
        if (!f->ops)
            return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r = count_value(c);
        if (r >= 0)
            r = compile_value(c, json_array_get(arr, i), &f->ops[i]);
        f->n_ops = i + 1; /* so that a partial op is freed */
        if (r < 0)
            return r;
        if (f->ops[i].type == ENROLL_OP_EXISTS)
            exclusive = "exists";
        else if (f->ops[i].type == ENROLL_OP_ANYTHING_BUT)
            exclusive = "anything-but";
    }
    if (exclusive && n > 1)
        return fail(c, "%s cannot be combined with other values", exclusive);
    return 0;
}

static int compile_node(struct compile_ctx *c, const json_t *obj, struct enroll_node **ret);

static int
compile_field(struct compile_ctx *c, const char *key, const json_t *v, struct enroll_field *f)
{
    size_t len = strlen(key);

    f->name = malloc(len + 1);
    if (!f->name)
        return -ENOMEM;
    memcpy(f->name, key, len + 1);
    f->name_len = len;
    if (json_is_array(v))
        return compile_leaf(c, v, f);
    if (json_is_object(v))
        return compile_node(c, v, &f->child);
    return fail(c, "value must be an array or an object");
}

static int compile_node(struct compile_ctx *c, const json_t *obj, struct enroll_node **ret)
{
    struct enroll_node *n;
    const char *key;
    json_t *v;
    int r;

    if (json_object_size(obj) == 0)
        return fail(c, "empty object: a pattern must name at least one field");
    if (c->depth >= ENROLL_PATTERN_MAX_DEPTH)
        return fail(c, "nested deeper than %d levels", ENROLL_PATTERN_MAX_DEPTH);
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->fields = calloc(json_object_size(obj), sizeof(*n->fields));
    if (!n->fields) {
        free(n);
        return -ENOMEM;
    }
    r = 0;
    json_object_foreach((json_t *)obj, key, v) {
        c->path[c->depth++] = key;
        r = compile_field(c, key, v, &n->fields[n->n_fields++]);
        c->depth--;
        if (r < 0)
            break;
    }
    if (r < 0) {
        enroll_node_free(n);
        return r;
    }
    *ret = n;
    return 0;
}

int enroll_pattern_compile_json(const json_t *pattern,
                                struct enroll_pattern **ret,
                                char **ret_error)
{
    struct compile_ctx c = {.ret_error = ret_error};
    struct enroll_pattern *p;
    int r;

    assert_return(ret, -EINVAL);
    if (!json_is_object(pattern))
        return fail(&c, "must be a JSON object");
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    r = compile_node(&c, pattern, &p->root);
    if (r < 0) {
        free(p);
        return r;
    }
    p->n_values = c.n_values;
    *ret = p;
    return 0;
}

int enroll_pattern_compile(const char *text, struct enroll_pattern **ret, char **ret_error)
{
    struct compile_ctx c = {.ret_error = ret_error};
    _cleanup_json_ json_t *v = NULL;
    json_error_t err;
    size_t len;

    assert_return(ret, -EINVAL);
    if (!text)
        return fail(&c, "no pattern text");
    len = strnlen(text, ENROLL_PATTERN_MAX_BYTES + 1);
    if (len > ENROLL_PATTERN_MAX_BYTES)
        return fail(&c, "longer than %d bytes", ENROLL_PATTERN_MAX_BYTES);
    v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!v)
        return fail(&c, "invalid JSON at line %d column %d: %s", err.line, err.column, err.text);
    return enroll_pattern_compile_json(v, ret, ret_error);
}
