/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template parser: a recursive-descent parser over the lexer's tokens
 * that builds the tree the executor walks, with text/template's grammar,
 * scoping of variables, checks and error wording. Every node lives in the
 * template's arena; literal values are created once here and owned by the
 * template.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

struct parser {
    struct tmpl *t;
    struct tmpl_lexer lex;
    struct tmpl_item token[3];
    int peek_count;
    const char **vars;
    size_t n_vars;
    size_t cap_vars;
    int range_depth;
    unsigned depth;
    int action_line;
    struct tmpl_error *err;
};

static int parse_errorf(struct parser *p, const struct tmpl_item *at, const char *fmt, ...)
        _printf_(3, 4);
static int parse_errorf(struct parser *p, const struct tmpl_item *at, const char *fmt, ...)
{
    const struct tmpl_item *it = at ? at : &p->token[0];
    char msg[400];
    va_list ap;
    int line, col;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tmpl_position(p->t->text, p->t->len, it->pos, &line, &col);
    if (p->err) {
        p->err->line = it->line;
        p->err->column = line == it->line ? col + 1 : 0;
        struct tmpl_sbuf m = {.p = p->err->message, .cap = sizeof(p->err->message)};
        p->err->message[0] = '\0';
        tmpl_sbuf_addf(&m, "template: %s:%d: ", p->t->name, it->line);
        tmpl_sbuf_add(&m, msg, strlen(msg));
    }
    return -EBADMSG;
}

/* ------------------------------------------------------------ token input */

static struct tmpl_item next(struct parser *p)
{
    if (p->peek_count > 0)
        p->peek_count--;
    else
        tmpl_lexer_next(&p->lex, &p->token[0]);
    return p->token[p->peek_count];
}

static void backup(struct parser *p)
{
    p->peek_count++;
}

static void backup2(struct parser *p, struct tmpl_item t1)
{
    p->token[1] = t1;
    p->peek_count = 2;
}

static void backup3(struct parser *p, struct tmpl_item t2, struct tmpl_item t1)
{
    p->token[1] = t1;
    p->token[2] = t2;
    p->peek_count = 3;
}

static struct tmpl_item peek(struct parser *p)
{
    if (p->peek_count > 0)
        return p->token[p->peek_count - 1];
    p->peek_count = 1;
    tmpl_lexer_next(&p->lex, &p->token[0]);
    return p->token[0];
}

static struct tmpl_item next_non_space(struct parser *p)
{
    struct tmpl_item it;
    do
        it = next(p);
    while (it.type == TMPL_ITEM_SPACE);
    return it;
}

static struct tmpl_item peek_non_space(struct parser *p)
{
    struct tmpl_item it = next_non_space(p);
    backup(p);
    return it;
}

/* Go's item.String(): EOF, the error, <keyword> or the quoted text (cut at
 * ten bytes). */
static void item_string(const struct parser *p, const struct tmpl_item *it, char *out, size_t size)
{
    struct buf b = BUF_INIT(size);
    size_t n = it->len;

    if (it->type == TMPL_ITEM_EOF) {
        (void)snprintf(out, size, "EOF");
        return;
    }
    if (it->type == TMPL_ITEM_ERROR) {
        (void)snprintf(out, size, "%s", p->lex.error);
        return;
    }
    if (it->type > _TMPL_ITEM_KEYWORD) {
        (void)snprintf(out, size, "<%.*s>", (int)MIN(n, size), p->t->text + it->pos);
        return;
    }
    if (tmpl_fmt_quote(&b, p->t->text + it->pos, MIN(n, (size_t)10), false) < 0)
        (void)snprintf(out, size, "token");
    else
        (void)snprintf(out, size, "%s%s", buf_str(&b), n > 10 ? "..." : "");
    buf_free(&b);
}

static int unexpected(struct parser *p, const struct tmpl_item *it, const char *context)
{
    char what[200];

    if (it->type == TMPL_ITEM_ERROR) {
        if (p->action_line != 0 && p->action_line != it->line) {
            size_t n = strlen(p->lex.error);
            bool action = n >= 7 && strcmp(p->lex.error + n - 7, " action") == 0;
            return parse_errorf(p, it, "%s%s started at %s:%d", p->lex.error,
                                action ? "" : " in action", p->t->name, p->action_line);
        }
        return parse_errorf(p, it, "%s", p->lex.error);
    }
    item_string(p, it, what, sizeof(what));
    return parse_errorf(p, it, "unexpected %s in %s", what, context);
}

static int
expect(struct parser *p, enum tmpl_item_type type, const char *context, struct tmpl_item *ret)
{
    struct tmpl_item it = next_non_space(p);
    if (it.type != type)
        return unexpected(p, &it, context);
    if (ret)
        *ret = it;
    return 0;
}

/* ------------------------------------------------------------------ nodes */

static struct tmpl_node *new_node(struct parser *p, enum tmpl_node_type type, size_t pos)
{
    struct tmpl_node *n = tmpl_arena_alloc(&p->t->arena, sizeof(*n));
    if (n) {
        n->type = type;
        n->pos = pos;
    }
    return n;
}

static void append(struct tmpl_node *parent, struct tmpl_node *child)
{
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->count++;
}

static int own_literal(struct parser *p, json_t *v)
{
    struct tmpl *t = p->t;
    if (!v)
        return -ENOMEM;
    if (t->n_literals == t->cap_literals) {
        size_t cap = t->cap_literals ? t->cap_literals * 2 : 16;
        json_t **n = realloc(t->literals, cap * sizeof(*n));
        if (!n) {
            json_decref(v);
            return -ENOMEM;
        }
        t->literals = n;
        t->cap_literals = cap;
    }
    t->literals[t->n_literals++] = v;
    return 0;
}

static int push_var(struct parser *p, const char *name)
{
    if (p->n_vars >= TMPL_MAX_VARS)
        return parse_errorf(p, NULL, "too many variables (more than %u in scope)", TMPL_MAX_VARS);
    if (p->n_vars == p->cap_vars) {
        size_t cap = p->cap_vars ? p->cap_vars * 2 : 16;
        const char **n = realloc(p->vars, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        p->vars = n;
        p->cap_vars = cap;
    }
    p->vars[p->n_vars++] = name;
    return 0;
}

/* A VARIABLE node for "$x" plus optional field names. */
static struct tmpl_node *new_variable(struct parser *p, const struct tmpl_item *it)
{
    struct tmpl_node *n = new_node(p, TMPL_NODE_VARIABLE, it->pos);
    if (!n)
        return NULL;
    n->idents = tmpl_arena_alloc(&p->t->arena, sizeof(char *));
    if (!n->idents)
        return NULL;
    n->idents[0] = tmpl_arena_strndup(&p->t->arena, p->t->text + it->pos, it->len);
    if (!n->idents[0])
        return NULL;
    n->n_idents = 1;
    return n;
}

static bool var_defined(const struct parser *p, const char *name)
{
    for (size_t i = p->n_vars; i > 0; i--)
        if (strcmp(p->vars[i - 1], name) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- numbers */

static int number_node(struct parser *p, const struct tmpl_item *it, struct tmpl_node **ret)
{
    const char *s = p->t->text + it->pos;
    int shown = (int)MIN(it->len, (size_t)64);
    struct tmpl_node *node = new_node(p, TMPL_NODE_NUMBER, it->pos);
    struct tmpl_number num;
    json_t *v = NULL;
    int r;

    if (!node)
        return -ENOMEM;
    node->text = s;
    node->text_len = it->len;
    if (it->type == TMPL_ITEM_CHAR_CONSTANT) {
        uint32_t rune;
        r = tmpl_unquote_rune(s, it->len, &rune);
        if (r == -EDOM)
            return parse_errorf(p, it, "malformed character constant: %.*s", shown, s);
        if (r < 0)
            return parse_errorf(p, it, "invalid syntax");
        num = (struct tmpl_number){.is_int = true, .int_value = rune};
    } else {
        r = it->type == TMPL_ITEM_COMPLEX ? -EOPNOTSUPP : tmpl_number_parse(s, it->len, &num);
        if (r == -EOPNOTSUPP)
            return parse_errorf(p, it, "complex numbers are not supported: \"%.*s\"", shown, s);
        if (r == -ERANGE)
            return parse_errorf(p, it, "integer overflow: \"%.*s\"", shown, s);
        if (r < 0)
            return parse_errorf(p, it, "illegal number syntax: \"%.*s\"", shown, s);
    }
    node->is_int = num.is_int;
    node->int_value = num.int_value;
    if (num.ideal_float)
        v = json_real(num.float_value);
    else if (num.is_int)
        v = json_integer(num.int_value);
    else {
        *ret = node; /* value NULL: "overflows int" where it is used */
        return 0;
    }
    r = own_literal(p, v);
    if (r < 0)
        return r;
    node->value = v;
    *ret = node;
    return 0;
}

/* ---------------------------------------------------------------- grammar */

static int
pipeline(struct parser *p, const char *context, enum tmpl_item_type end, struct tmpl_node **ret);
static int item_list(struct parser *p, struct tmpl_node **ret_list, struct tmpl_node **ret_end);

static int enter(struct parser *p, const struct tmpl_item *at)
{
    if (p->depth >= TMPL_MAX_NESTING)
        return parse_errorf(p, at, "max expression depth exceeded");
    p->depth++;
    return 0;
}

static int identifier_node(struct parser *p, const struct tmpl_item *it, struct tmpl_node **ret)
{
    const struct tmpl_func *f = tmpl_func_lookup(p->t->text + it->pos, it->len);
    struct tmpl_node *n;

    if (!f)
        return parse_errorf(p, it, "function \"%.*s\" not defined", (int)MIN(it->len, 64),
                            p->t->text + it->pos);
    n = new_node(p, TMPL_NODE_IDENTIFIER, it->pos);
    if (!n)
        return -ENOMEM;
    n->text = f->name;
    n->text_len = strlen(f->name);
    n->func = f;
    if (f->flags & TMPL_FUNC_MUTATES)
        p->t->mutates = true;
    *ret = n;
    return 0;
}

static int field_node(struct parser *p, const struct tmpl_item *it, struct tmpl_node **ret)
{
    struct tmpl_node *n = new_node(p, TMPL_NODE_FIELD, it->pos);

    if (!n)
        return -ENOMEM;
    n->idents = tmpl_arena_alloc(&p->t->arena, sizeof(char *));
    if (!n->idents)
        return -ENOMEM;
    n->idents[0] = tmpl_arena_strndup(&p->t->arena, p->t->text + it->pos + 1, it->len - 1);
    if (!n->idents[0])
        return -ENOMEM;
    n->n_idents = 1;
    *ret = n;
    return 0;
}

/* BOOL and STRING nodes carry their value, owned by the template. */
static int literal_node(struct parser *p, const struct tmpl_item *it, struct tmpl_node **ret)
{
    _cleanup_buf_ struct buf b = BUF_INIT(TMPL_MAX_TEXT + 1);
    bool is_bool = it->type == TMPL_ITEM_BOOL;
    struct tmpl_node *n;
    int r;

    if (!is_bool) {
        r = tmpl_unquote(p->t->text + it->pos, it->len, &b);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return parse_errorf(p, it, "invalid syntax");
    }
    n = new_node(p, is_bool ? TMPL_NODE_BOOL : TMPL_NODE_STRING, it->pos);
    if (!n)
        return -ENOMEM;
    n->text = p->t->text + it->pos;
    n->text_len = it->len;
    r = own_literal(p, is_bool ? json_boolean(it->len == 4) : json_stringn_nocheck(b.data, b.len));
    if (r < 0)
        return r;
    n->value = p->t->literals[p->t->n_literals - 1];
    *ret = n;
    return 0;
}

/* A term: literal, function name, '.', field, variable or (pipeline).
 * *ret is NULL (and nothing consumed) when the next item is not a term. */
static int term(struct parser *p, struct tmpl_node **ret)
{
    struct tmpl_item it = next_non_space(p);
    struct tmpl_node *n = NULL;
    int r = 0;

    *ret = NULL;
    switch (it.type) {
    case TMPL_ITEM_IDENTIFIER:
        r = identifier_node(p, &it, &n);
        break;
    case TMPL_ITEM_DOT:
    case TMPL_ITEM_NIL:
        n = new_node(p, it.type == TMPL_ITEM_DOT ? TMPL_NODE_DOT : TMPL_NODE_NIL, it.pos);
        break;
    case TMPL_ITEM_VARIABLE:
        n = new_variable(p, &it);
        if (n && !var_defined(p, n->idents[0]))
            return parse_errorf(p, &it, "undefined variable \"%s\"", n->idents[0]);
        break;
    case TMPL_ITEM_FIELD:
        r = field_node(p, &it, &n);
        break;
    case TMPL_ITEM_BOOL:
    case TMPL_ITEM_STRING:
    case TMPL_ITEM_RAW_STRING:
        r = literal_node(p, &it, &n);
        break;
    case TMPL_ITEM_CHAR_CONSTANT:
    case TMPL_ITEM_COMPLEX:
    case TMPL_ITEM_NUMBER:
        r = number_node(p, &it, &n);
        break;
    case TMPL_ITEM_LEFT_PAREN:
        r = enter(p, &it);
        if (r < 0)
            return r;
        r = pipeline(p, "parenthesized pipeline", TMPL_ITEM_RIGHT_PAREN, &n);
        p->depth--;
        break;
    default:
        backup(p);
        return 0;
    }
    if (r < 0)
        return r;
    if (!n)
        return -ENOMEM;
    *ret = n;
    return 0;
}

static int operand(struct parser *p, struct tmpl_node **ret)
{
    struct tmpl_node *node, *chain;
    size_t n_fields = 0, base = 0;
    int r;

    r = term(p, &node);
    if (r < 0 || !node) {
        *ret = NULL;
        return r;
    }
    if (peek(p).type != TMPL_ITEM_FIELD) {
        *ret = node;
        return 0;
    }
    chain = new_node(p, TMPL_NODE_CHAIN, peek(p).pos);
    if (!chain)
        return -ENOMEM;
    if (node->type == TMPL_NODE_FIELD || node->type == TMPL_NODE_VARIABLE)
        base = node->n_idents;
    /* Collect the field names (the arena cannot grow arrays: two passes are
     * avoided by collecting into a temporary list). */
    const char *names[64];
    const char **all = names;
    size_t cap = ARRAY_SIZE(names);
    _cleanup_free_ const char **heap = NULL;
    for (size_t i = 0; i < base; i++)
        all[n_fields++] = node->idents[i];
    while (peek(p).type == TMPL_ITEM_FIELD) {
        struct tmpl_item f = next(p);
        if (n_fields == cap) {
            const char **bigger = realloc(heap, 2 * cap * sizeof(*bigger));
            if (!bigger)
                return -ENOMEM;
            if (!heap)
                memcpy(bigger, names, sizeof(names));
            heap = bigger;
            all = heap;
            cap *= 2;
        }
        all[n_fields] = tmpl_arena_strndup(&p->t->arena, p->t->text + f.pos + 1, f.len - 1);
        if (!all[n_fields])
            return -ENOMEM;
        n_fields++;
    }
    chain->idents = tmpl_arena_alloc(&p->t->arena, n_fields * sizeof(char *));
    if (!chain->idents)
        return -ENOMEM;
    memcpy(chain->idents, all, n_fields * sizeof(char *));
    chain->n_idents = n_fields;

    switch (node->type) {
    case TMPL_NODE_FIELD:
    case TMPL_NODE_VARIABLE:
        chain->type = node->type;
        break;
    case TMPL_NODE_BOOL:
    case TMPL_NODE_STRING:
    case TMPL_NODE_NUMBER:
    case TMPL_NODE_NIL:
    case TMPL_NODE_DOT: {
        char what[128];
        struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
        what[0] = '\0';
        tmpl_node_string(&s, node);
        struct tmpl_item at = {.pos = node->pos, .line = p->token[0].line};
        _cleanup_buf_ struct buf q = BUF_INIT(512);
        r = tmpl_fmt_quote(&q, what, strlen(what), false);
        if (r < 0)
            return r;
        return parse_errorf(p, &at, "unexpected . after term %s", buf_str(&q));
    }
    default:
        chain->pipe = node;
        break;
    }
    *ret = chain;
    return 0;
}

static int command(struct parser *p, struct tmpl_node **ret)
{
    struct tmpl_node *cmd = new_node(p, TMPL_NODE_COMMAND, peek_non_space(p).pos);
    int r;

    if (!cmd)
        return -ENOMEM;
    for (;;) {
        struct tmpl_node *op;
        (void)peek_non_space(p);
        r = operand(p, &op);
        if (r < 0)
            return r;
        if (op)
            append(cmd, op);
        struct tmpl_item it = next(p);
        if (it.type == TMPL_ITEM_SPACE)
            continue;
        if (it.type == TMPL_ITEM_RIGHT_DELIM || it.type == TMPL_ITEM_RIGHT_PAREN)
            backup(p);
        else if (it.type != TMPL_ITEM_PIPE)
            return unexpected(p, &it, "operand");
        break;
    }
    if (cmd->count == 0)
        return parse_errorf(p, NULL, "empty command");
    *ret = cmd;
    return 0;
}

static int check_pipeline(struct parser *p,
                          struct tmpl_node *pipe,
                          const char *context,
                          const struct tmpl_item *at)
{
    size_t stage = 1;

    if (pipe->count == 0)
        return parse_errorf(p, at, "missing value for %s", context);
    for (struct tmpl_node *c = pipe->first ? pipe->first->next : NULL; c; c = c->next) {
        stage++;
        switch (c->first->type) {
        case TMPL_NODE_BOOL:
        case TMPL_NODE_DOT:
        case TMPL_NODE_NIL:
        case TMPL_NODE_NUMBER:
        case TMPL_NODE_STRING:
            return parse_errorf(p, at, "non executable command in pipeline stage %zu", stage);
        default:
            break;
        }
    }
    return 0;
}

static int declarations(struct parser *p, struct tmpl_node *pipe, const char *context)
{
    int r;

    for (;;) {
        struct tmpl_item v = peek_non_space(p);
        if (v.type != TMPL_ITEM_VARIABLE)
            return 0;
        v = next(p);
        struct tmpl_item after = peek(p);
        struct tmpl_item nx = peek_non_space(p);
        if (nx.type == TMPL_ITEM_ASSIGN || nx.type == TMPL_ITEM_DECLARE ||
            (nx.type == TMPL_ITEM_CHAR && p->t->text[nx.pos] == ',')) {
            bool comma = nx.type == TMPL_ITEM_CHAR;
            (void)next_non_space(p);
            if (pipe->n_decl >= ARRAY_SIZE(pipe->decl))
                return parse_errorf(p, &nx, "too many declarations in %s", context);
            struct tmpl_node *var = new_variable(p, &v);
            if (!var)
                return -ENOMEM;
            if (!comma)
                pipe->is_assign = nx.type == TMPL_ITEM_ASSIGN;
            pipe->decl[pipe->n_decl++] = var;
            r = push_var(p, var->idents[0]);
            if (r < 0)
                return r;
            if (!comma)
                return 0;
            if (strcmp(context, "range") == 0 && pipe->n_decl < 2) {
                struct tmpl_item k = peek_non_space(p);
                if (k.type == TMPL_ITEM_VARIABLE || k.type == TMPL_ITEM_RIGHT_DELIM ||
                    k.type == TMPL_ITEM_RIGHT_PAREN)
                    continue;
                return parse_errorf(p, &k, "range can only initialize variables");
            }
            return parse_errorf(p, &nx, "too many declarations in %s", context);
        }
        if (after.type == TMPL_ITEM_SPACE)
            backup3(p, v, after);
        else
            backup2(p, v);
        return 0;
    }
}

static int
pipeline(struct parser *p, const char *context, enum tmpl_item_type end, struct tmpl_node **ret)
{
    struct tmpl_item start = peek_non_space(p);
    struct tmpl_node *pipe = new_node(p, TMPL_NODE_PIPE, start.pos);
    int r;

    if (!pipe)
        return -ENOMEM;
    r = declarations(p, pipe, context);
    if (r < 0)
        return r;
    for (;;) {
        struct tmpl_item it = next_non_space(p);
        struct tmpl_node *cmd = NULL;
        if (it.type == end) {
            r = check_pipeline(p, pipe, context, &it);
            if (r < 0)
                return r;
            *ret = pipe;
            return 0;
        }
        switch (it.type) {
        case TMPL_ITEM_BOOL:
        case TMPL_ITEM_CHAR_CONSTANT:
        case TMPL_ITEM_COMPLEX:
        case TMPL_ITEM_DOT:
        case TMPL_ITEM_FIELD:
        case TMPL_ITEM_IDENTIFIER:
        case TMPL_ITEM_NUMBER:
        case TMPL_ITEM_NIL:
        case TMPL_ITEM_RAW_STRING:
        case TMPL_ITEM_STRING:
        case TMPL_ITEM_VARIABLE:
        case TMPL_ITEM_LEFT_PAREN:
            backup(p);
            r = command(p, &cmd);
            if (r < 0)
                return r;
            append(pipe, cmd);
            break;
        default:
            return unexpected(p, &it, context);
        }
    }
}

static bool is_empty_tree(const struct tmpl_node *n)
{
    if (!n)
        return true;
    switch (n->type) {
    case TMPL_NODE_LIST:
        for (const struct tmpl_node *c = n->first; c; c = c->next)
            if (!is_empty_tree(c))
                return false;
        return true;
    case TMPL_NODE_TEXT:
        for (size_t i = 0; i < n->text_len; i++)
            if (!strchr(" \t\r\n\v\f", n->text[i]))
                return false;
        return true;
    default:
        return false;
    }
}

/* Adds a definition, with text/template's rule: an empty body never
 * replaces or conflicts with another one. */
static int
add_def(struct parser *p, const char *name, struct tmpl_node *root, const struct tmpl_item *at)
{
    struct tmpl *t = p->t;
    json_t *known = json_object_get(t->def_index, name);

    if (known) {
        struct tmpl_def *d = &t->defs[json_integer_value(known)];
        if (is_empty_tree(d->root)) {
            d->root = root;
            return 0;
        }
        if (!is_empty_tree(root))
            return parse_errorf(p, at, "template: multiple definition of template \"%s\"", name);
        return 0;
    }
    if (t->n_defs % 16 == 0) {
        struct tmpl_def *d = realloc(t->defs, (t->n_defs + 16) * sizeof(*d));
        if (!d)
            return -ENOMEM;
        t->defs = d;
    }
    if (json_object_set_new_nocheck(t->def_index, name, json_integer((json_int_t)t->n_defs)) < 0)
        return -ENOMEM;
    t->defs[t->n_defs++] = (struct tmpl_def){.name = name, .root = root};
    return 0;
}

static int
template_name(struct parser *p, const struct tmpl_item *it, const char *context, const char **ret)
{
    _cleanup_buf_ struct buf b = BUF_INIT(TMPL_MAX_TEXT + 1);
    int r;

    if (it->type != TMPL_ITEM_STRING && it->type != TMPL_ITEM_RAW_STRING)
        return unexpected(p, it, context);
    r = tmpl_unquote(p->t->text + it->pos, it->len, &b);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return parse_errorf(p, it, "invalid syntax");
    *ret = tmpl_arena_strndup(&p->t->arena, buf_str(&b), strlen(buf_str(&b)));
    return *ret ? 0 : -ENOMEM;
}

/* Parses a body in a fresh scope ({{define}} and {{block}}): only $ is
 * visible and break/continue need their own range. */
static int
definition_body(struct parser *p, const char *context, const char *name, const struct tmpl_item *at)
{
    const char **outer = p->vars;
    size_t outer_n = p->n_vars, outer_cap = p->cap_vars;
    int saved_range = p->range_depth;
    struct tmpl_node *list = NULL, *end = NULL;
    int r;

    p->vars = NULL;
    p->n_vars = p->cap_vars = 0;
    p->range_depth = 0;
    r = push_var(p, "$");
    if (r >= 0)
        r = item_list(p, &list, &end);
    if (r >= 0 && end->type != TMPL_NODE_END) {
        char what[32];
        struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
        tmpl_node_string(&s, end);
        r = parse_errorf(p, NULL, "unexpected %s in %s", what, context);
    }
    free(p->vars);
    p->vars = outer;
    p->n_vars = outer_n;
    p->cap_vars = outer_cap;
    p->range_depth = saved_range;
    if (r < 0)
        return r;
    return add_def(p, name, list, at);
}

static int parse_definition(struct parser *p)
{
    struct tmpl_item it = next_non_space(p);
    const char *name;
    int r;

    r = template_name(p, &it, "define clause", &name);
    if (r < 0)
        return r;
    r = expect(p, TMPL_ITEM_RIGHT_DELIM, "define clause", NULL);
    if (r < 0)
        return r;
    return definition_body(p, "define clause", name, &it);
}

static int parse_control(struct parser *p,
                         enum tmpl_node_type type,
                         const char *context,
                         struct tmpl_node **ret);

static int else_if_chain(struct parser *p,
                         enum tmpl_node_type type,
                         const char *context,
                         struct tmpl_node *else_node,
                         struct tmpl_node **ret_list)
{
    struct tmpl_node *list = new_node(p, TMPL_NODE_LIST, else_node->pos), *n;
    int r;

    if (!list)
        return -ENOMEM;
    (void)next(p); /* the "if"/"with" */
    r = parse_control(p, type, context, &n);
    if (r < 0)
        return r;
    append(list, n);
    *ret_list = list;
    return 0;
}

static int parse_control(struct parser *p,
                         enum tmpl_node_type type,
                         const char *context,
                         struct tmpl_node **ret)
{
    size_t saved_vars = p->n_vars;
    struct tmpl_item at = peek_non_space(p);
    struct tmpl_node *node, *pipe, *list, *next_node;
    int r;

    r = enter(p, &at);
    if (r < 0)
        return r;
    r = pipeline(p, context, TMPL_ITEM_RIGHT_DELIM, &pipe);
    if (r < 0)
        return r;
    node = new_node(p, type, pipe->pos);
    if (!node)
        return -ENOMEM;
    node->pipe = pipe;
    if (type == TMPL_NODE_RANGE)
        p->range_depth++;
    r = item_list(p, &list, &next_node);
    if (type == TMPL_NODE_RANGE)
        p->range_depth--;
    if (r < 0)
        return r;
    node->list = list;
    if (next_node->type == TMPL_NODE_ELSE) {
        enum tmpl_item_type pending = peek(p).type;
        if (type == TMPL_NODE_IF && pending == TMPL_ITEM_IF)
            r = else_if_chain(p, TMPL_NODE_IF, "if", next_node, &node->else_list);
        else if (type == TMPL_NODE_WITH && pending == TMPL_ITEM_WITH)
            r = else_if_chain(p, TMPL_NODE_WITH, "with", next_node, &node->else_list);
        else {
            r = item_list(p, &node->else_list, &next_node);
            if (r >= 0 && next_node->type != TMPL_NODE_END) {
                char what[32];
                struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
                tmpl_node_string(&s, next_node);
                r = parse_errorf(p, NULL, "expected end; found %s", what);
            }
        }
        if (r < 0)
            return r;
    }
    p->n_vars = saved_vars;
    p->depth--;
    *ret = node;
    return 0;
}

static int simple_control(struct parser *p,
                          struct tmpl_item kw,
                          enum tmpl_node_type type,
                          const char *what,
                          struct tmpl_node **ret)
{
    struct tmpl_item it = next_non_space(p);

    if (it.type != TMPL_ITEM_RIGHT_DELIM)
        return unexpected(p, &it, what);
    if (p->range_depth == 0)
        return parse_errorf(p, &kw, "%s outside {{range}}", what);
    *ret = new_node(p, type, kw.pos);
    return *ret ? 0 : -ENOMEM;
}

static int template_control(struct parser *p, bool block, struct tmpl_node **ret)
{
    const char *context = block ? "block clause" : "template clause";
    struct tmpl_item it = next_non_space(p);
    struct tmpl_node *node, *pipe = NULL;
    const char *name;
    int r;

    r = template_name(p, &it, context, &name);
    if (r < 0)
        return r;
    if (block || next_non_space(p).type != TMPL_ITEM_RIGHT_DELIM) {
        if (!block)
            backup(p);
        r = pipeline(p, context, TMPL_ITEM_RIGHT_DELIM, &pipe);
        if (r < 0)
            return r;
    }
    if (block) {
        r = enter(p, &it);
        if (r < 0)
            return r;
        r = definition_body(p, context, name, &it);
        p->depth--;
        if (r < 0)
            return r;
    }
    node = new_node(p, TMPL_NODE_TEMPLATE, it.pos);
    if (!node)
        return -ENOMEM;
    node->text = name;
    node->text_len = strlen(name);
    node->pipe = pipe;
    *ret = node;
    return 0;
}

static int action(struct parser *p, struct tmpl_node **ret)
{
    struct tmpl_item it = next_non_space(p);
    struct tmpl_node *n, *pipe;
    int r;

    switch (it.type) {
    case TMPL_ITEM_BLOCK:
        return template_control(p, true, ret);
    case TMPL_ITEM_BREAK:
        return simple_control(p, it, TMPL_NODE_BREAK, "{{break}}", ret);
    case TMPL_ITEM_CONTINUE:
        return simple_control(p, it, TMPL_NODE_CONTINUE, "{{continue}}", ret);
    case TMPL_ITEM_ELSE: {
        struct tmpl_item k = peek_non_space(p);
        if (k.type != TMPL_ITEM_IF && k.type != TMPL_ITEM_WITH) {
            r = expect(p, TMPL_ITEM_RIGHT_DELIM, "else", &k);
            if (r < 0)
                return r;
        }
        *ret = new_node(p, TMPL_NODE_ELSE, k.pos);
        return *ret ? 0 : -ENOMEM;
    }
    case TMPL_ITEM_END: {
        struct tmpl_item k = {0};
        r = expect(p, TMPL_ITEM_RIGHT_DELIM, "end", &k);
        if (r < 0)
            return r;
        *ret = new_node(p, TMPL_NODE_END, k.pos);
        return *ret ? 0 : -ENOMEM;
    }
    case TMPL_ITEM_IF:
        return parse_control(p, TMPL_NODE_IF, "if", ret);
    case TMPL_ITEM_RANGE:
        return parse_control(p, TMPL_NODE_RANGE, "range", ret);
    case TMPL_ITEM_TEMPLATE:
        return template_control(p, false, ret);
    case TMPL_ITEM_WITH:
        return parse_control(p, TMPL_NODE_WITH, "with", ret);
    default:
        break;
    }
    backup(p);
    it = peek(p);
    r = pipeline(p, "command", TMPL_ITEM_RIGHT_DELIM, &pipe);
    if (r < 0)
        return r;
    n = new_node(p, TMPL_NODE_ACTION, it.pos);
    if (!n)
        return -ENOMEM;
    n->pipe = pipe;
    *ret = n;
    return 0;
}

static int text_or_action(struct parser *p, struct tmpl_node **ret)
{
    struct tmpl_item it = next_non_space(p);
    int r;

    switch (it.type) {
    case TMPL_ITEM_TEXT:
        *ret = new_node(p, TMPL_NODE_TEXT, it.pos);
        if (!*ret)
            return -ENOMEM;
        (*ret)->text = p->t->text + it.pos;
        (*ret)->text_len = it.len;
        return 0;
    case TMPL_ITEM_LEFT_DELIM:
        p->action_line = it.line;
        r = action(p, ret);
        p->action_line = 0;
        return r;
    default:
        return unexpected(p, &it, "input");
    }
}

static int item_list(struct parser *p, struct tmpl_node **ret_list, struct tmpl_node **ret_end)
{
    struct tmpl_node *list = new_node(p, TMPL_NODE_LIST, peek_non_space(p).pos);
    int r;

    if (!list)
        return -ENOMEM;
    while (peek_non_space(p).type != TMPL_ITEM_EOF) {
        struct tmpl_node *n;
        r = text_or_action(p, &n);
        if (r < 0)
            return r;
        if (n->type == TMPL_NODE_END || n->type == TMPL_NODE_ELSE) {
            *ret_list = list;
            *ret_end = n;
            return 0;
        }
        append(list, n);
    }
    struct tmpl_item eof = peek(p);
    return parse_errorf(p, &eof, "unexpected EOF");
}

static int parse_top(struct parser *p)
{
    struct tmpl_node *root = new_node(p, TMPL_NODE_LIST, 0);
    int r;

    if (!root)
        return -ENOMEM;
    while (peek(p).type != TMPL_ITEM_EOF) {
        struct tmpl_node *n;
        if (peek(p).type == TMPL_ITEM_LEFT_DELIM) {
            struct tmpl_item delim = next(p);
            if (next_non_space(p).type == TMPL_ITEM_DEFINE) {
                r = parse_definition(p);
                if (r < 0)
                    return r;
                continue;
            }
            backup2(p, delim);
        }
        r = text_or_action(p, &n);
        if (r < 0)
            return r;
        if (n->type == TMPL_NODE_END || n->type == TMPL_NODE_ELSE) {
            struct tmpl_item at = {.pos = n->pos, .line = p->token[0].line};
            return parse_errorf(p, &at, "unexpected %s",
                                n->type == TMPL_NODE_END ? "{{end}}" : "{{else}}");
        }
        append(root, n);
    }
    struct tmpl_item at = peek(p);
    return add_def(p, p->t->name, root, &at);
}

int tmpl_parse(struct tmpl *t, struct tmpl_error *reterr)
{
    struct parser p = {.t = t, .err = reterr};
    int r;

    tmpl_lexer_init(&p.lex, t->text, t->len);
    t->def_index = json_object();
    if (!t->def_index)
        return -ENOMEM;
    r = push_var(&p, "$");
    if (r >= 0)
        r = parse_top(&p);
    free(p.vars);
    if (r >= 0)
        t->main_def = (size_t)json_integer_value(json_object_get(t->def_index, t->name));
    return r;
}
