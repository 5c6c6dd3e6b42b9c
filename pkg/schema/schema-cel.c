/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small subset of CEL for x-kubernetes-validations rules:
 *   self, field selection self.a.b (with Kubernetes' property-name
 *   escaping: __dash__, __dot__, __slash__, __underscores__, __<keyword>__),
 *   indexing x[0] and x['key'], has(x.f), size(x) and x.size(),
 *   literals (int, double, string, true, false, null, [list] after `in`),
 *   == != < <= > >= && || ! in, parentheses and ?:.
 * Anything else (arithmetic, macros such as all/exists, other functions,
 * oldSelf) makes cel_compile() answer -EOPNOTSUPP, and the rule is skipped.
 *
 * Evaluation is dynamic: JSON values are read in place, errors propagate
 * as CEL's do (&& and || absorb an error when the other side decides), and
 * every node evaluated costs one unit of the caller's budget.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

#define CEL_MAX_NESTING 64
#define CEL_MAX_RULE 8192

enum node_kind {
    N_NULL,
    N_BOOL,
    N_INT,
    N_DOUBLE,
    N_STRING,
    N_SELF,
    N_SELECT,
    N_INDEX,
    N_HAS,
    N_SIZE,
    N_NOT,
    N_AND,
    N_OR,
    N_CMP,
    N_IN,
    N_COND,
    N_LIST,
};

enum cmp_op {
    CMP_EQ,
    CMP_NE,
    CMP_LT,
    CMP_LE,
    CMP_GT,
    CMP_GE,
};

struct cel_node {
    enum node_kind kind;
    enum cmp_op cmp;
    struct cel_node *a, *b, *c;
    bool bval;
    int64_t ival;
    double dval;
    char *str; /* string literal, or the unescaped field name */
    size_t slen;
    struct cel_node **items;
    size_t n_items;
};

struct cel_program {
    struct cel_node *root;
};

static void node_free(struct cel_node *n)
{
    if (!n)
        return;
    node_free(n->a);
    node_free(n->b);
    node_free(n->c);
    for (size_t i = 0; i < n->n_items; i++)
        node_free(n->items[i]);
    free(n->items);
    free(n->str);
    free(n);
}

struct cel_program *cel_program_free(struct cel_program *p)
{
    if (p) {
        node_free(p->root);
        free(p);
    }
    return NULL;
}

/* ---- lexer ---- */

enum tok_kind {
    T_END,
    T_IDENT,
    T_INT,
    T_DOUBLE,
    T_STRING,
    T_PUNCT,
};

struct parser {
    const char *p;
    enum tok_kind tok;
    const char *tstart;
    size_t tlen;
    int64_t ival;
    double dval;
    char *sval; /* owned decoded string literal */
    size_t slen;
    int err; /* -EOPNOTSUPP or -ENOMEM once something failed */
    unsigned nesting;
};

static int lex_string(struct parser *ps, char quote, bool raw)
{
    _cleanup_buf_ struct buf b = BUF_INIT(CEL_MAX_RULE);
    const char *p = ps->p;
    if (p[0] == quote && p[1] == quote)
        return -EOPNOTSUPP; /* triple-quoted or empty: handled below */
    int r = 0;
    while (r == 0 && *p != quote) {
        if (*p == '\0' || *p == '\n')
            return -EOPNOTSUPP;
        if (*p != '\\' || raw) {
            r = buf_append(&b, p++, 1);
            continue;
        }
        p++;
        char c = *p++;
        static const char from[] = "\\'\"`?abfnrtv", to[] = "\\'\"`?\a\b\f\n\r\t\v";
        const char *hit = c ? strchr(from, c) : NULL;
        if (hit) {
            r = buf_append(&b, &to[hit - from], 1);
        } else if (c == 'x' || c == 'u' || c == 'U') {
            int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            uint32_t v = 0;
            for (int i = 0; i < digits; i++, p++) {
                char h = *p;
                int d = (h >= '0' && h <= '9')   ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
                if (d < 0)
                    return -EOPNOTSUPP;
                v = v * 16 + (uint32_t)d;
            }
            if (v >= 0x80 || v == 0)
                return -EOPNOTSUPP; /* keep literals ASCII, without NUL */
            char ch = (char)v;
            r = buf_append(&b, &ch, 1);
        } else {
            return -EOPNOTSUPP;
        }
    }
    if (r < 0)
        return r == -E2BIG ? -EOPNOTSUPP : r;
    ps->p = p + 1;
    ps->slen = b.len;
    free(ps->sval);
    ps->sval = buf_take(&b, NULL);
    return ps->sval ? 0 : -ENOMEM;
}

static int lex_number(struct parser *ps)
{
    const char *p = ps->p;
    char *end;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        errno = 0;
        unsigned long long v = strtoull(p + 2, &end, 16);
        if (end == p + 2 || errno || v > INT64_MAX)
            return -EOPNOTSUPP;
        ps->ival = (int64_t)v;
        ps->tok = T_INT;
    } else {
        const char *q = p;
        while (*q >= '0' && *q <= '9')
            q++;
        bool dbl = *q == '.' || *q == 'e' || *q == 'E';
        errno = 0;
        if (dbl) {
            ps->dval = strtod(p, &end);
            ps->tok = T_DOUBLE;
        } else {
            unsigned long long v = strtoull(p, &end, 10);
            if (v > INT64_MAX)
                errno = ERANGE;
            ps->ival = (int64_t)v;
            ps->tok = T_INT;
        }
        if (end == p || errno)
            return -EOPNOTSUPP;
    }
    if (*end == 'u' || *end == 'U' || (*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z'))
        return -EOPNOTSUPP;
    ps->p = end;
    return 0;
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void next(struct parser *ps)
{
    if (ps->err)
        return;
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
    ps->tstart = ps->p;
    char c = *ps->p;
    int r = 0;
    if (c == '\0') {
        ps->tok = T_END;
    } else if ((c == 'r' || c == 'R') && (ps->p[1] == '\'' || ps->p[1] == '"')) {
        ps->p += 2;
        ps->tok = T_STRING;
        r = lex_string(ps, ps->p[-1], true);
    } else if (is_ident_start(c)) {
        while (is_ident(*ps->p))
            ps->p++;
        ps->tok = T_IDENT;
    } else if (c >= '0' && c <= '9') {
        r = lex_number(ps);
    } else if (c == '\'' || c == '"') {
        ps->p++;
        ps->tok = T_STRING;
        r = lex_string(ps, c, false);
    } else {
        static const char *const two[] = {"&&", "||", "==", "!=", "<=", ">="};
        ps->tok = T_PUNCT;
        ps->p++;
        for (size_t i = 0; i < ARRAY_SIZE(two); i++)
            if (ps->tstart[0] == two[i][0] && ps->tstart[1] == two[i][1])
                ps->p = ps->tstart + 2;
        if (!strchr("()[].,?:!<>-", c) && ps->p == ps->tstart + 1)
            r = -EOPNOTSUPP;
    }
    ps->tlen = (size_t)(ps->p - ps->tstart);
    if (r < 0)
        ps->err = r;
}

static bool is_punct(const struct parser *ps, const char *s)
{
    return ps->tok == T_PUNCT && ps->tlen == strlen(s) && memcmp(ps->tstart, s, ps->tlen) == 0;
}

static bool is_word(const struct parser *ps, const char *s)
{
    return ps->tok == T_IDENT && ps->tlen == strlen(s) && memcmp(ps->tstart, s, ps->tlen) == 0;
}

static struct cel_node *mk(struct parser *ps, enum node_kind k)
{
    if (ps->err)
        return NULL;
    struct cel_node *n = calloc(1, sizeof(*n));
    if (!n)
        ps->err = -ENOMEM;
    else
        n->kind = k;
    return n;
}

static struct cel_node *fail(struct parser *ps, struct cel_node *n, int err)
{
    node_free(n);
    if (!ps->err)
        ps->err = err;
    return NULL;
}

static bool expect(struct parser *ps, const char *s)
{
    if (ps->err || !is_punct(ps, s)) {
        if (!ps->err)
            ps->err = -EOPNOTSUPP;
        return false;
    }
    next(ps);
    return true;
}

/* Kubernetes escapes property names that are not CEL identifiers. */
static char *unescape_name(const char *s, size_t n)
{
    static const char *const keywords[] = {
            "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
            "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
            "void", "while"};
    if (n > 4 && memcmp(s, "__", 2) == 0 && memcmp(s + n - 2, "__", 2) == 0)
        for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
            if (strlen(keywords[i]) == n - 4 && memcmp(s + 2, keywords[i], n - 4) == 0)
                return strndup(s + 2, n - 4);
    static const char *const from[] = {"__underscores__", "__dot__", "__dash__", "__slash__"};
    static const char *const to[] = {"__", ".", "-", "/"};
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (size_t k = 0; k < ARRAY_SIZE(from) && !hit; k++) {
            size_t l = strlen(from[k]);
            if (i + l <= n && memcmp(s + i, from[k], l) == 0) {
                memcpy(out + j, to[k], strlen(to[k]));
                j += strlen(to[k]);
                i += l;
                hit = true;
            }
        }
        if (!hit)
            out[j++] = s[i++];
    }
    out[j] = '\0';
    return out;
}

static struct cel_node *parse_expr(struct parser *ps);

static struct cel_node *parse_call(struct parser *ps)
{
    bool has = is_word(ps, "has");
    if (!has && !is_word(ps, "size"))
        return fail(ps, NULL, -EOPNOTSUPP);
    next(ps);
    if (!expect(ps, "("))
        return NULL;
    struct cel_node *n = mk(ps, has ? N_HAS : N_SIZE);
    if (!n)
        return NULL;
    n->a = parse_expr(ps);
    if (!n->a || !expect(ps, ")"))
        return fail(ps, n, -EOPNOTSUPP);
    if (has && n->a->kind != N_SELECT)
        return fail(ps, n, -EOPNOTSUPP);
    return n;
}

static struct cel_node *parse_list(struct parser *ps)
{
    struct cel_node *n = mk(ps, N_LIST);
    next(ps);
    while (n && !ps->err && !is_punct(ps, "]")) {
        struct cel_node *item = parse_expr(ps);
        if (!item)
            return fail(ps, n, -EOPNOTSUPP);
        struct cel_node **v = realloc(n->items, (n->n_items + 1) * sizeof(*v));
        if (!v) {
            node_free(item);
            return fail(ps, n, -ENOMEM);
        }
        n->items = v;
        n->items[n->n_items++] = item;
        if (!is_punct(ps, ","))
            break;
        next(ps);
    }
    if (!expect(ps, "]"))
        return fail(ps, n, -EOPNOTSUPP);
    return n;
}

static struct cel_node *parse_primary(struct parser *ps)
{
    struct cel_node *n = NULL;
    if (ps->err)
        return NULL;
    if (is_punct(ps, "(")) {
        next(ps);
        n = parse_expr(ps);
        if (!expect(ps, ")"))
            return fail(ps, n, -EOPNOTSUPP);
        return n;
    }
    if (is_punct(ps, "["))
        return parse_list(ps);
    if (ps->tok == T_INT || ps->tok == T_DOUBLE) {
        n = mk(ps, ps->tok == T_INT ? N_INT : N_DOUBLE);
        if (n) {
            n->ival = ps->ival;
            n->dval = ps->dval;
        }
    } else if (ps->tok == T_STRING) {
        n = mk(ps, N_STRING);
        if (n) {
            n->str = ps->sval;
            n->slen = ps->slen;
            ps->sval = NULL;
        }
    } else if (is_word(ps, "true") || is_word(ps, "false")) {
        n = mk(ps, N_BOOL);
        if (n)
            n->bval = is_word(ps, "true");
    } else if (is_word(ps, "null")) {
        n = mk(ps, N_NULL);
    } else if (is_word(ps, "self")) {
        n = mk(ps, N_SELF);
    } else if (ps->tok == T_IDENT) {
        return parse_call(ps);
    } else {
        return fail(ps, NULL, -EOPNOTSUPP);
    }
    next(ps);
    return n;
}

static struct cel_node *parse_member(struct parser *ps)
{
    struct cel_node *n = parse_primary(ps);
    while (n && !ps->err) {
        if (is_punct(ps, ".")) {
            next(ps);
            if (ps->tok != T_IDENT)
                return fail(ps, n, -EOPNOTSUPP);
            const char *name = ps->tstart;
            size_t len = ps->tlen;
            next(ps);
            if (is_punct(ps, "(")) {
                /* only x.size() */
                if (len != 4 || memcmp(name, "size", 4) != 0)
                    return fail(ps, n, -EOPNOTSUPP);
                next(ps);
                if (!expect(ps, ")"))
                    return fail(ps, n, -EOPNOTSUPP);
                struct cel_node *s = mk(ps, N_SIZE);
                if (!s)
                    return fail(ps, n, -ENOMEM);
                s->a = n;
                n = s;
                continue;
            }
            struct cel_node *s = mk(ps, N_SELECT);
            if (!s)
                return fail(ps, n, -ENOMEM);
            s->a = n;
            n = s;
            n->str = unescape_name(name, len);
            if (!n->str)
                return fail(ps, n, -ENOMEM);
            n->slen = strlen(n->str);
        } else if (is_punct(ps, "[")) {
            next(ps);
            struct cel_node *s = mk(ps, N_INDEX);
            if (!s)
                return fail(ps, n, -ENOMEM);
            s->a = n;
            n = s;
            n->b = parse_expr(ps);
            if (!n->b || !expect(ps, "]"))
                return fail(ps, n, -EOPNOTSUPP);
        } else {
            break;
        }
    }
    return n;
}

static struct cel_node *parse_unary(struct parser *ps)
{
    if (ps->nesting++ > CEL_MAX_NESTING)
        return fail(ps, NULL, -EOPNOTSUPP);
    struct cel_node *n;
    if (is_punct(ps, "!")) {
        next(ps);
        n = mk(ps, N_NOT);
        if (n)
            n->a = parse_unary(ps);
        if (n && !n->a)
            n = fail(ps, n, -EOPNOTSUPP);
    } else if (is_punct(ps, "-")) {
        next(ps);
        if (ps->tok != T_INT && ps->tok != T_DOUBLE)
            return fail(ps, NULL, -EOPNOTSUPP);
        n = parse_primary(ps);
        if (n) {
            n->ival = -n->ival;
            n->dval = -n->dval;
        }
    } else {
        n = parse_member(ps);
    }
    ps->nesting--;
    return n;
}

static struct cel_node *parse_relation(struct parser *ps)
{
    static const struct {
        const char *op;
        enum cmp_op cmp;
    } ops[] = {{"==", CMP_EQ}, {"!=", CMP_NE}, {"<", CMP_LT},
               {"<=", CMP_LE}, {">", CMP_GT},  {">=", CMP_GE}};
    struct cel_node *n = parse_unary(ps);
    while (n && !ps->err) {
        struct cel_node *m = NULL;
        if (is_word(ps, "in")) {
            m = mk(ps, N_IN);
        } else {
            for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
                if (is_punct(ps, ops[i].op)) {
                    m = mk(ps, N_CMP);
                    if (m)
                        m->cmp = ops[i].cmp;
                }
            if (!m && !ps->err)
                break;
        }
        if (!m)
            return fail(ps, n, -ENOMEM);
        next(ps);
        m->a = n;
        m->b = parse_unary(ps);
        n = m;
        if (!n->b)
            return fail(ps, n, -EOPNOTSUPP);
    }
    return n;
}

static struct cel_node *parse_binary(struct parser *ps, bool is_or)
{
    struct cel_node *n = is_or ? parse_binary(ps, false) : parse_relation(ps);
    while (n && is_punct(ps, is_or ? "||" : "&&")) {
        next(ps);
        struct cel_node *m = mk(ps, is_or ? N_OR : N_AND);
        if (!m)
            return fail(ps, n, -ENOMEM);
        m->a = n;
        m->b = is_or ? parse_binary(ps, false) : parse_relation(ps);
        n = m;
        if (!n->b)
            return fail(ps, n, -EOPNOTSUPP);
    }
    return n;
}

static struct cel_node *parse_expr(struct parser *ps)
{
    if (ps->nesting++ > CEL_MAX_NESTING)
        return fail(ps, NULL, -EOPNOTSUPP);
    struct cel_node *n = parse_binary(ps, true);
    if (n && is_punct(ps, "?")) {
        next(ps);
        struct cel_node *m = mk(ps, N_COND);
        if (!m)
            return fail(ps, n, -ENOMEM);
        m->a = n;
        n = m;
        n->b = parse_expr(ps);
        if (!n->b || !expect(ps, ":"))
            return fail(ps, n, -EOPNOTSUPP);
        n->c = parse_expr(ps);
        if (!n->c)
            return fail(ps, n, -EOPNOTSUPP);
    }
    ps->nesting--;
    return n;
}

/* List literals are only kept where they mean something here: after `in`
 * and inside size(). */
static bool lists_ok(const struct cel_node *n, bool allowed)
{
    if (!n)
        return true;
    if (n->kind == N_LIST && !allowed)
        return false;
    for (size_t i = 0; i < n->n_items; i++)
        if (!lists_ok(n->items[i], false))
            return false;
    return lists_ok(n->a, n->kind == N_SIZE) && lists_ok(n->b, n->kind == N_IN) &&
           lists_ok(n->c, false);
}

int cel_compile(const char *rule, struct cel_program **ret)
{
    assert_return(rule && ret, -EINVAL);
    if (strlen(rule) > CEL_MAX_RULE)
        return -EOPNOTSUPP;
    struct parser ps = {.p = rule};
    next(&ps);
    struct cel_node *root = parse_expr(&ps);
    if (!ps.err && ps.tok != T_END)
        ps.err = -EOPNOTSUPP;
    free(ps.sval);
    if (ps.err || !root || !lists_ok(root, false)) {
        node_free(root);
        return ps.err ? ps.err : -EOPNOTSUPP;
    }
    struct cel_program *p = calloc(1, sizeof(*p));
    if (!p) {
        node_free(root);
        return -ENOMEM;
    }
    p->root = root;
    *ret = p;
    return 0;
}

/* ---- evaluation ---- */

enum val_kind {
    V_ERR,
    V_NULL,
    V_BOOL,
    V_INT,
    V_DOUBLE,
    V_STRING,
    V_JSON, /* object or array of the document */
    V_LIST, /* list literal */
};

enum val_err {
    E_NO_KEY,
    E_INDEX,
    E_OVERLOAD,
    E_COST,
};

struct val {
    enum val_kind k;
    enum val_err err;
    bool b;
    int64_t i;
    double d;
    const char *s;
    size_t n;
    const json_t *j;
    const struct cel_node *list;
};

struct eval {
    uint64_t *budget;
    const json_t *self;
};

static struct val verr(enum val_err e)
{
    return (struct val){.k = V_ERR, .err = e};
}

static struct val vbool(bool b)
{
    return (struct val){.k = V_BOOL, .b = b};
}

static struct val from_json(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_STRING:
        return (struct val){.k = V_STRING, .s = json_string_value(j), .n = json_string_length(j)};
    case JSON_INTEGER:
        return (struct val){.k = V_INT, .i = json_integer_value(j)};
    case JSON_REAL:
        return (struct val){.k = V_DOUBLE, .d = json_real_value(j)};
    case JSON_TRUE:
        return vbool(true);
    case JSON_FALSE:
        return vbool(false);
    case JSON_OBJECT:
    case JSON_ARRAY:
        return (struct val){.k = V_JSON, .j = j};
    default:
        return (struct val){.k = V_NULL};
    }
}

static struct val eval(struct eval *e, const struct cel_node *n);

static bool is_num(const struct val *v)
{
    return v->k == V_INT || v->k == V_DOUBLE;
}

static double num(const struct val *v)
{
    return v->k == V_INT ? (double)v->i : v->d;
}

/* CEL equality: different types are unequal, numbers compare by value. */
static bool equal(const struct val *a, const struct val *b)
{
    if (is_num(a) && is_num(b)) {
        if (a->k == V_INT && b->k == V_INT)
            return a->i == b->i;
        return num(a) == num(b);
    }
    if (a->k != b->k)
        return false;
    switch (a->k) {
    case V_NULL:
        return true;
    case V_BOOL:
        return a->b == b->b;
    case V_STRING:
        return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    case V_JSON:
        return schema_json_equal(a->j, b->j, false, 0);
    default:
        return false;
    }
}

static struct val compare(const struct val *a, const struct val *b, enum cmp_op op)
{
    if (op == CMP_EQ || op == CMP_NE)
        return vbool(equal(a, b) == (op == CMP_EQ));
    int c;
    if (is_num(a) && is_num(b)) {
        if (a->k == V_INT && b->k == V_INT)
            c = (a->i > b->i) - (a->i < b->i);
        else if (isnan(num(a)) || isnan(num(b)))
            return vbool(false);
        else
            c = (num(a) > num(b)) - (num(a) < num(b));
    } else if (a->k == V_STRING && b->k == V_STRING) {
        int m = memcmp(a->s, b->s, MIN(a->n, b->n));
        c = m ? (m > 0) - (m < 0) : (a->n > b->n) - (a->n < b->n);
    } else if (a->k == V_BOOL && b->k == V_BOOL) {
        c = (int)a->b - (int)b->b;
    } else {
        return verr(E_OVERLOAD);
    }
    switch (op) {
    case CMP_LT:
        return vbool(c < 0);
    case CMP_LE:
        return vbool(c <= 0);
    case CMP_GT:
        return vbool(c > 0);
    default:
        return vbool(c >= 0);
    }
}

static struct val lookup(const json_t *obj, const char *k, size_t n)
{
    const json_t *v = json_object_getn(obj, k, n);
    if (!v) {
        struct val e = verr(E_NO_KEY);
        e.s = k;
        e.n = n;
        return e;
    }
    return from_json(v);
}

static struct val eval_in(struct eval *e, const struct cel_node *n)
{
    struct val l = eval(e, n->a);
    if (l.k == V_ERR)
        return l;
    struct val r = eval(e, n->b);
    if (r.k == V_ERR)
        return r;
    if (r.k == V_LIST) {
        for (size_t i = 0; i < r.list->n_items; i++) {
            struct val item = eval(e, r.list->items[i]);
            if (item.k == V_ERR)
                return item;
            if (equal(&l, &item))
                return vbool(true);
        }
        return vbool(false);
    }
    if (r.k == V_JSON && json_is_array(r.j)) {
        size_t len = json_array_size(r.j);
        if (*e->budget < len)
            return verr(E_COST);
        *e->budget -= len;
        for (size_t i = 0; i < len; i++) {
            struct val item = from_json(json_array_get(r.j, i));
            if (equal(&l, &item))
                return vbool(true);
        }
        return vbool(false);
    }
    if (r.k == V_JSON && l.k == V_STRING)
        return vbool(json_object_getn(r.j, l.s, l.n) != NULL);
    return verr(E_OVERLOAD);
}

static struct val eval_logic(struct eval *e, const struct cel_node *n, bool is_and)
{
    struct val l = eval(e, n->a);
    if (l.k == V_BOOL && l.b != is_and)
        return l;
    struct val r = eval(e, n->b);
    if (r.k == V_BOOL && r.b != is_and)
        return r;
    if (l.k == V_ERR)
        return l;
    if (r.k == V_ERR)
        return r;
    if (l.k != V_BOOL || r.k != V_BOOL)
        return verr(E_OVERLOAD);
    return vbool(is_and);
}

static struct val eval_index(struct eval *e, const struct cel_node *n)
{
    struct val t = eval(e, n->a);
    if (t.k == V_ERR)
        return t;
    struct val i = eval(e, n->b);
    if (i.k == V_ERR)
        return i;
    if (t.k == V_JSON && json_is_array(t.j) && i.k == V_INT) {
        if (i.i < 0 || (size_t)i.i >= json_array_size(t.j)) {
            struct val err = verr(E_INDEX);
            err.i = i.i;
            return err;
        }
        return from_json(json_array_get(t.j, (size_t)i.i));
    }
    if (t.k == V_JSON && json_is_object(t.j) && i.k == V_STRING)
        return lookup(t.j, i.s, i.n);
    return verr(E_OVERLOAD);
}

static struct val eval(struct eval *e, const struct cel_node *n)
{
    if (*e->budget == 0)
        return verr(E_COST);
    (*e->budget)--;
    struct val v;
    switch (n->kind) {
    case N_NULL:
        return (struct val){.k = V_NULL};
    case N_BOOL:
        return vbool(n->bval);
    case N_INT:
        return (struct val){.k = V_INT, .i = n->ival};
    case N_DOUBLE:
        return (struct val){.k = V_DOUBLE, .d = n->dval};
    case N_STRING:
        return (struct val){.k = V_STRING, .s = n->str, .n = n->slen};
    case N_LIST:
        return (struct val){.k = V_LIST, .list = n};
    case N_SELF:
        return from_json(e->self);
    case N_SELECT:
    case N_HAS:
        v = eval(e, n->kind == N_HAS ? n->a->a : n->a);
        if (v.k == V_ERR)
            return v;
        if (v.k != V_JSON || !json_is_object(v.j))
            return verr(E_OVERLOAD);
        if (n->kind == N_HAS)
            return vbool(json_object_getn(v.j, n->a->str, n->a->slen) != NULL);
        return lookup(v.j, n->str, n->slen);
    case N_INDEX:
        return eval_index(e, n);
    case N_SIZE:
        v = eval(e, n->a);
        if (v.k == V_STRING)
            return (struct val){.k = V_INT, .i = (int64_t)schema_utf8_len(v.s, v.n)};
        if (v.k == V_JSON)
            return (struct val){.k = V_INT, .i = (int64_t)(json_is_array(v.j) ? json_array_size(v.j)
                                                                             : json_object_size(v.j))};
        if (v.k == V_LIST)
            return (struct val){.k = V_INT, .i = (int64_t)v.list->n_items};
        return v.k == V_ERR ? v : verr(E_OVERLOAD);
    case N_NOT:
        v = eval(e, n->a);
        if (v.k == V_BOOL)
            return vbool(!v.b);
        return v.k == V_ERR ? v : verr(E_OVERLOAD);
    case N_AND:
    case N_OR:
        return eval_logic(e, n, n->kind == N_AND);
    case N_CMP: {
        struct val l = eval(e, n->a);
        if (l.k == V_ERR)
            return l;
        struct val r = eval(e, n->b);
        if (r.k == V_ERR)
            return r;
        if (l.k == V_LIST || r.k == V_LIST)
            return verr(E_OVERLOAD);
        return compare(&l, &r, n->cmp);
    }
    case N_IN:
        return eval_in(e, n);
    case N_COND:
        v = eval(e, n->a);
        if (v.k == V_ERR)
            return v;
        if (v.k != V_BOOL)
            return verr(E_OVERLOAD);
        return eval(e, v.b ? n->b : n->c);
    }
    return verr(E_OVERLOAD);
}

int cel_eval(const struct cel_program *p, const json_t *self, uint64_t *budget, char **ret_err)
{
    assert_return(p && self && budget && ret_err, -EINVAL);
    struct eval e = {.budget = budget, .self = self};
    struct val v = eval(&e, p->root);
    if (v.k == V_BOOL)
        return v.b ? CEL_OUTCOME_TRUE : CEL_OUTCOME_FALSE;
    if (v.k != V_ERR)
        return CEL_OUTCOME_FALSE;
    switch (v.err) {
    case E_COST:
        return CEL_OUTCOME_COST;
    case E_OVERLOAD:
        return CEL_OUTCOME_NO_OVERLOAD;
    case E_INDEX:
        if (asprintf(ret_err, "index out of bounds: %" PRId64, v.i) < 0)
            return -ENOMEM;
        return CEL_OUTCOME_ERROR;
    case E_NO_KEY:
        if (asprintf(ret_err, "no such key: %.*s", (int)MIN(v.n, 1024), v.s) < 0)
            return -ENOMEM;
        return CEL_OUTCOME_ERROR;
    }
    return CEL_OUTCOME_FALSE;
}
