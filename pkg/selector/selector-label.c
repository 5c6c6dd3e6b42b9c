/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Label selector parser and matcher. The grammar, the token rules and the
 * error wording follow k8s.io/apimachinery pkg/labels/selector.go:
 *
 *   selector    ::= requirement | requirement "," selector
 *   requirement ::= ["!"] KEY [ set-op "(" values ")" | exact-op VALUE ]
 *   set-op      ::= "in" | "notin"
 *   exact-op    ::= "=" | "==" | "!=" | ">" | "<"
 *
 * Tokens are separated by optional ' ', '\t', '\r', '\n'. An identifier is any
 * run of bytes that are neither whitespace nor one of = ! ( ) , > <. "in" and
 * "notin" are operators only where an operator is expected.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector-internal.h"

enum token_type {
    TOK_END,
    TOK_CLOSED_PAR,
    TOK_COMMA,
    TOK_DOES_NOT_EXIST,
    TOK_DOUBLE_EQUALS,
    TOK_EQUALS,
    TOK_GT,
    TOK_IDENT,
    TOK_IN,
    TOK_LT,
    TOK_NOT_EQUALS,
    TOK_NOT_IN,
    TOK_OPEN_PAR,
    _TOK_MAX,
};

/* In a value position "in" and "notin" are plain identifiers. */
enum parse_context {
    CTX_OPERATOR,
    CTX_VALUES,
};

struct token {
    enum token_type type;
    const char *lit; /* into the input; "" at the end */
    size_t len;
};

struct parser {
    const char *s;
    size_t pos;
    const char *err_prefix; /* prepended to messages while inside a requirement */
    struct buf err;
};

static bool is_whitespace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* Scans one token at *pos and advances past it. */
static struct token lex(const char *s, size_t *pos)
{
    size_t p = *pos, start;
    struct token t;

    while (is_whitespace(s[p]))
        p++;
    start = p;
    if (s[p] == '\0') {
        t = (struct token){.type = TOK_END, .lit = "", .len = 0};
    } else if (is_special(s[p])) {
        /* Upstream's longest match over the operator table; the only
         * two-character operators are "==" and "!=". */
        if ((s[p] == '=' || s[p] == '!') && s[p + 1] == '=') {
            t.type = s[p] == '=' ? TOK_DOUBLE_EQUALS : TOK_NOT_EQUALS;
            p += 2;
        } else {
            switch (s[p]) {
            case '=':
                t.type = TOK_EQUALS;
                break;
            case '!':
                t.type = TOK_DOES_NOT_EXIST;
                break;
            case '(':
                t.type = TOK_OPEN_PAR;
                break;
            case ')':
                t.type = TOK_CLOSED_PAR;
                break;
            case ',':
                t.type = TOK_COMMA;
                break;
            case '>':
                t.type = TOK_GT;
                break;
            default:
                t.type = TOK_LT;
                break;
            }
            p++;
        }
        t.lit = s + start;
        t.len = p - start;
    } else {
        while (s[p] != '\0' && !is_whitespace(s[p]) && !is_special(s[p]))
            p++;
        t.lit = s + start;
        t.len = p - start;
        if (t.len == 2 && memcmp(t.lit, "in", 2) == 0)
            t.type = TOK_IN;
        else if (t.len == 5 && memcmp(t.lit, "notin", 5) == 0)
            t.type = TOK_NOT_IN;
        else
            t.type = TOK_IDENT;
    }
    *pos = p;
    return t;
}

static struct token contextualize(struct token t, enum parse_context ctx)
{
    if (ctx == CTX_VALUES && (t.type == TOK_IN || t.type == TOK_NOT_IN))
        t.type = TOK_IDENT;
    return t;
}

static struct token peek(const struct parser *p, enum parse_context ctx)
{
    size_t pos = p->pos;
    return contextualize(lex(p->s, &pos), ctx);
}

static struct token consume(struct parser *p, enum parse_context ctx)
{
    return contextualize(lex(p->s, &p->pos), ctx);
}

/* Replaces the error message with prefix + "found '<lit>'" + rest; returns
 * -EINVAL, or -ENOMEM if even that cannot be built. */
static int fail_found(struct parser *p, struct token t, const char *rest)
{
    int r;

    buf_reset(&p->err);
    r = buf_append_str(&p->err, p->err_prefix ? p->err_prefix : "");
    if (r >= 0)
        r = buf_append_str(&p->err, "found '");
    if (r >= 0)
        r = selector_append_text(&p->err, t.lit, t.len);
    if (r >= 0)
        r = buf_append_str(&p->err, "'");
    if (r >= 0)
        r = buf_append_str(&p->err, rest);
    return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* Arrays here only grow by one, with an implicit capacity of the next power
 * of two: returns the element count to reallocate to before storing element
 * n, or 0 when there is room already. Appends stay amortized O(1). */
static size_t grow_to(size_t n)
{
    if (n != 0 && (n & (n - 1)) != 0)
        return 0;
    return n ? 2 * n : 1;
}

static void requirement_done(struct label_requirement *req)
{
    free(req->key);
    for (size_t i = 0; i < req->n_values; i++)
        free(req->values[i]);
    free(req->values);
    *req = (struct label_requirement){};
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a copy of lit to the requirement's value set (kept unsorted with
 * duplicates until values_finish()). */
static int values_add(struct label_requirement *req, const char *lit, size_t len)
{
    size_t cap = grow_to(req->n_values);

    if (cap > 0) {
        char **v = reallocarray(req->values, cap, sizeof(char *));
        if (!v)
            return -ENOMEM;
        req->values = v;
    }
    req->values[req->n_values] = strndup(lit, len);
    if (!req->values[req->n_values])
        return -ENOMEM;
    req->n_values++;
    return 0;
}

/* Sorts and de-duplicates the value set, as sets.String.List() does. */
static void values_finish(struct label_requirement *req)
{
    size_t n = 0;

    if (req->n_values == 0)
        return;
    qsort(req->values, req->n_values, sizeof(char *), cmp_strp);
    for (size_t i = 0; i < req->n_values; i++) {
        if (n > 0 && strcmp(req->values[n - 1], req->values[i]) == 0)
            free(req->values[i]);
        else
            req->values[n++] = req->values[i];
    }
    req->n_values = n;
}

/* "(" values ")" after in/notin. */
static int parse_values(struct parser *p, struct label_requirement *req)
{
    struct token t = consume(p, CTX_VALUES), first;
    int r;

    if (t.type != TOK_OPEN_PAR)
        return fail_found(p, t, " expected: '('");
    first = peek(p, CTX_VALUES);
    if (first.type == TOK_CLOSED_PAR) { /* "()" is the set {""} */
        (void)consume(p, CTX_VALUES);
        return values_add(req, "", 0);
    }
    if (first.type != TOK_IDENT && first.type != TOK_COMMA)
        return fail_found(p, first, ", expected: ',', ')' or identifier");

    for (;;) {
        t = consume(p, CTX_VALUES);
        if (t.type == TOK_IDENT) {
            struct token next = peek(p, CTX_VALUES);
            r = values_add(req, t.lit, t.len);
            if (r < 0)
                return r;
            if (next.type == TOK_COMMA)
                continue;
            if (next.type == TOK_CLOSED_PAR)
                break;
            return fail_found(p, next, ", expected: ',' or ')'");
        } else if (t.type == TOK_COMMA) {
            /* Empty values around commas: "(,a)", "(a,)", "(a,,b)". */
            struct token next = peek(p, CTX_VALUES);
            if (req->n_values == 0 || next.type == TOK_CLOSED_PAR || next.type == TOK_COMMA) {
                r = values_add(req, "", 0);
                if (r < 0)
                    return r;
            }
            if (next.type == TOK_CLOSED_PAR)
                break;
        } else
            return fail_found(p, t, ", expected: ',', or identifier");
    }
    t = consume(p, CTX_VALUES);
    if (t.type != TOK_CLOSED_PAR) /* unreachable: the loop stops before ')' */
        return fail_found(p, first, ", expected: ')'");
    return 0;
}

/* The single value after =, ==, !=, >, <; absent means "". */
static int parse_exact_value(struct parser *p, struct label_requirement *req)
{
    struct token t = peek(p, CTX_VALUES);

    if (t.type == TOK_END || t.type == TOK_COMMA)
        return values_add(req, "", 0);
    t = consume(p, CTX_VALUES);
    if (t.type != TOK_IDENT)
        return fail_found(p, t, ", expected: identifier");
    return values_add(req, t.lit, t.len);
}

static int parse_operator(struct parser *p, enum label_op *ret)
{
    struct token t = consume(p, CTX_OPERATOR);

    switch (t.type) {
    case TOK_IN:
        *ret = LABEL_OP_IN;
        return 0;
    case TOK_NOT_IN:
        *ret = LABEL_OP_NOT_IN;
        return 0;
    case TOK_EQUALS:
        *ret = LABEL_OP_EQUALS;
        return 0;
    case TOK_DOUBLE_EQUALS:
        *ret = LABEL_OP_DOUBLE_EQUALS;
        return 0;
    case TOK_NOT_EQUALS:
        *ret = LABEL_OP_NOT_EQUALS;
        return 0;
    case TOK_GT:
        *ret = LABEL_OP_GT;
        return 0;
    case TOK_LT:
        *ret = LABEL_OP_LT;
        return 0;
    default:
        return fail_found(p, t, ", expected: in, notin, =, ==, !=, gt, lt");
    }
}

/* Appends one field error "<path>: Invalid value: "<v>": <detail>" to the
 * aggregate in b (upstream's field.Invalid + ErrorList.ToAggregate()). */
static int aggregate_add(struct buf *b,
                         size_t *n,
                         const char *path,
                         const char *path_key,
                         const char *value,
                         const char *detail_fmt_or_null,
                         struct buf *reasons)
{
    int r = 0;

    if (*n > 0)
        r = buf_append_str(b, ", ");
    if (r >= 0)
        r = buf_append_str(b, path);
    if (r >= 0 && path_key) {
        r = buf_append_str(b, "[");
        if (r >= 0)
            r = selector_append_text(b, path_key, strlen(path_key));
        if (r >= 0)
            r = buf_append_str(b, "]");
    }
    if (r >= 0)
        r = buf_append_str(b, ": Invalid value: ");
    if (r >= 0)
        r = selector_append_quoted(b, value, strlen(value));
    if (r >= 0)
        r = buf_append_str(b, ": ");
    if (r >= 0)
        r = buf_append_str(b, detail_fmt_or_null ? detail_fmt_or_null : buf_str(reasons));
    if (r < 0)
        return r;
    (*n)++;
    return 0;
}

/* Upstream's NewRequirement() value checks. Fills p->err and returns -EINVAL
 * when a value is invalid. */
static int validate_values(struct parser *p, const struct label_requirement *req)
{
    _cleanup_buf_ struct buf agg = BUF_INIT(SELECTOR_ERROR_MAX);
    size_t n = 0;
    int r;

    for (size_t i = 0; i < req->n_values; i++) {
        int64_t dummy;
        char path[48];
        snprintf(path, sizeof(path), "values[%zu]", i);

        if ((req->op == LABEL_OP_GT || req->op == LABEL_OP_LT) &&
            !selector_parse_int64(req->values[i], strlen(req->values[i]), &dummy)) {
            r = aggregate_add(&agg, &n, path, NULL, req->values[i],
                              "for 'Gt', 'Lt' operators, the value must be an integer", NULL);
            if (r < 0)
                return r == -ENOMEM ? r : -EINVAL;
        }

        _cleanup_buf_ struct buf reasons = BUF_INIT(SELECTOR_ERROR_MAX);
        r = selector_check_label_value(&reasons, req->values[i], strlen(req->values[i]));
        if (r > 0)
            r = aggregate_add(&agg, &n, path, req->key, req->values[i], NULL, &reasons);
        if (r < 0)
            return r == -ENOMEM ? r : -EINVAL;
    }
    if (n == 0)
        return 0;

    buf_reset(&p->err);
    r = buf_append_str(&p->err, p->err_prefix);
    if (r >= 0 && n > 1)
        r = buf_append_str(&p->err, "[");
    if (r >= 0)
        r = buf_append(&p->err, agg.data, agg.len);
    if (r >= 0 && n > 1)
        r = buf_append_str(&p->err, "]");
    return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

static int validate_key(struct parser *p, struct token t)
{
    _cleanup_buf_ struct buf reasons = BUF_INIT(SELECTOR_ERROR_MAX);
    int r = selector_check_qualified_name(&reasons, t.lit, t.len);

    if (r == 0)
        return 0;
    if (r == -ENOMEM)
        return r;
    /* The parser validates the key with a nil field path, which Go prints
     * as "<nil>". */
    buf_reset(&p->err);
    r = buf_append_str(&p->err, p->err_prefix);
    if (r >= 0)
        r = buf_append_str(&p->err, "<nil>: Invalid value: ");
    if (r >= 0)
        r = selector_append_quoted(&p->err, t.lit, t.len);
    if (r >= 0)
        r = buf_append_str(&p->err, ": ");
    if (r >= 0)
        r = buf_append(&p->err, reasons.data, reasons.len);
    return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

static int parse_requirement(struct parser *p, struct label_requirement *req)
{
    struct token t = consume(p, CTX_VALUES), next;
    bool negated = false;
    int r;

    if (t.type == TOK_DOES_NOT_EXIST) {
        negated = true;
        t = consume(p, CTX_VALUES);
    }
    if (t.type != TOK_IDENT)
        return fail_found(p, t, ", expected: identifier");
    r = validate_key(p, t);
    if (r < 0)
        return r;
    req->key = strndup(t.lit, t.len);
    if (!req->key)
        return -ENOMEM;

    next = peek(p, CTX_VALUES);
    if (negated || next.type == TOK_END || next.type == TOK_COMMA) {
        /* "!key" takes no operator: whatever follows is reported by the
         * caller as "expected: ',' or 'end of string'". */
        req->op = negated ? LABEL_OP_DOES_NOT_EXIST : LABEL_OP_EXISTS;
        return 0;
    }

    r = parse_operator(p, &req->op);
    if (r < 0)
        return r;
    if (req->op == LABEL_OP_IN || req->op == LABEL_OP_NOT_IN)
        r = parse_values(p, req);
    else
        r = parse_exact_value(p, req);
    if (r < 0)
        return r;
    values_finish(req);
    return validate_values(p, req);
}

static int selector_add(struct label_selector *sel, struct label_requirement *req)
{
    size_t cap = grow_to(sel->n_reqs);

    if (cap > 0) {
        struct label_requirement *reqs = reallocarray(sel->reqs, cap, sizeof(*reqs));
        if (!reqs)
            return -ENOMEM;
        sel->reqs = reqs;
    }
    sel->reqs[sel->n_reqs++] = *req;
    *req = (struct label_requirement){};
    return 0;
}

static int parse_selector(struct parser *p, struct label_selector *sel)
{
    for (;;) {
        struct token t = peek(p, CTX_VALUES);
        struct label_requirement req = {};
        int r;

        if (t.type == TOK_END)
            return 0;
        if (t.type != TOK_IDENT && t.type != TOK_DOES_NOT_EXIST)
            return fail_found(p, t, ", expected: !, identifier, or 'end of string'");

        p->err_prefix = "unable to parse requirement: ";
        r = parse_requirement(p, &req);
        p->err_prefix = NULL;
        if (r >= 0)
            r = selector_add(sel, &req);
        if (r < 0) {
            requirement_done(&req);
            return r;
        }

        t = consume(p, CTX_VALUES);
        if (t.type == TOK_END)
            return 0;
        if (t.type != TOK_COMMA)
            return fail_found(p, t, ", expected: ',' or 'end of string'");
        t = peek(p, CTX_VALUES);
        if (t.type != TOK_IDENT && t.type != TOK_DOES_NOT_EXIST)
            return fail_found(p, t, ", expected: identifier after ','");
    }
}

int label_selector_parse(const char *s, struct label_selector **ret, char **ret_error)
{
    _cleanup_(label_selector_freep) struct label_selector *sel = NULL;
    struct parser p = {.s = s ? s : "", .err = BUF_INIT(SELECTOR_ERROR_MAX)};
    int r;

    assert_return(ret, -EINVAL);

    sel = calloc(1, sizeof(*sel));
    if (!sel)
        return -ENOMEM;
    r = parse_selector(&p, sel);
    if (r < 0) {
        if (r == -EINVAL && ret_error) {
            char *msg = buf_take(&p.err, NULL);
            if (!msg)
                r = -ENOMEM;
            else
                *ret_error = msg;
        }
        buf_free(&p.err);
        return r;
    }
    buf_free(&p.err);
    *ret = TAKE_PTR(sel);
    return 0;
}

static bool requirement_has_value(const struct label_requirement *req, const char *v, size_t len)
{
    for (size_t i = 0; i < req->n_values; i++)
        if (strlen(req->values[i]) == len && memcmp(req->values[i], v, len) == 0)
            return true;
    return false;
}

static bool requirement_matches(const struct label_requirement *req, const json_t *labels)
{
    const json_t *v = labels ? json_object_get(labels, req->key) : NULL;
    bool has = json_is_string(v);
    const char *val = has ? json_string_value(v) : NULL;
    size_t len = has ? json_string_length(v) : 0;
    int64_t lhs, rhs;

    switch (req->op) {
    case LABEL_OP_EXISTS:
        return has;
    case LABEL_OP_DOES_NOT_EXIST:
        return !has;
    case LABEL_OP_EQUALS:
    case LABEL_OP_DOUBLE_EQUALS:
    case LABEL_OP_IN:
        return has && requirement_has_value(req, val, len);
    case LABEL_OP_NOT_EQUALS:
    case LABEL_OP_NOT_IN:
        return !has || !requirement_has_value(req, val, len);
    case LABEL_OP_GT:
    case LABEL_OP_LT:
        if (!has || req->n_values != 1 || !selector_parse_int64(val, len, &lhs) ||
            !selector_parse_int64(req->values[0], strlen(req->values[0]), &rhs))
            return false;
        return req->op == LABEL_OP_GT ? lhs > rhs : lhs < rhs;
    default:
        return false;
    }
}

bool label_selector_matches(const struct label_selector *sel, const json_t *labels)
{
    if (!sel)
        return true;
    if (labels && !json_is_object(labels))
        labels = NULL;
    for (size_t i = 0; i < sel->n_reqs; i++)
        if (!requirement_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool label_selector_is_empty(const struct label_selector *sel)
{
    return !sel || sel->n_reqs == 0;
}

struct label_selector *label_selector_free(struct label_selector *sel)
{
    if (!sel)
        return NULL;
    for (size_t i = 0; i < sel->n_reqs; i++)
        requirement_done(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
    return NULL;
}
