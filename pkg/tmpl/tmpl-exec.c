/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor: walks the parse tree with text/template's semantics
 * (missingkey=error), evaluates pipelines, fields, variables and function
 * calls, and writes the output. Every value is a jansson reference owned by
 * whoever holds it; "missing" (no pipeline value yet) is a NULL pointer.
 *
 * Work is metered: each walked node and command costs a step, produced
 * bytes are charged by the functions, and recursion is counted, so hostile
 * templates end with -E2BIG instead of hanging.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "tmpl/tmpl-internal.h"

#define FLOW_BREAK    1
#define FLOW_CONTINUE 2

/* ----------------------------------------------------------------- errors */

static int
exec_errorf(struct tmpl_exec *x, const struct tmpl_node *at, int code, const char *fmt, ...)
        _printf_(4, 5);
static int
exec_errorf(struct tmpl_exec *x, const struct tmpl_node *at, int code, const char *fmt, ...)
{
    char msg[400], ctx[160];
    struct tmpl_sbuf s = {.p = ctx, .cap = sizeof(ctx)};
    va_list ap;
    int line = 0, col = 0;

    if (!x->err)
        return code;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx[0] = '\0';
    if (!at) {
        struct tmpl_sbuf m = {.p = x->err->message, .cap = sizeof(x->err->message)};
        x->err->message[0] = '\0';
        tmpl_sbuf_addf(&m, "template: %s: ", x->def->name);
        tmpl_sbuf_add(&m, msg, strlen(msg));
        x->err->line = x->err->column = 0;
        return code;
    }
    tmpl_node_string(&s, at);
    if (s.len + 1 >= s.cap && s.cap > 4)
        memcpy(ctx + s.cap - 4, "...", 4);
    tmpl_position(x->t->text, x->t->len, at->pos, &line, &col);
    struct tmpl_sbuf m = {.p = x->err->message, .cap = sizeof(x->err->message)};
    x->err->message[0] = '\0';
    tmpl_sbuf_addf(&m, "template: %s:%d:%d: ", x->t->name, line, col);
    tmpl_sbuf_addf(&m, "executing \"%s\" at <%s>: ", x->def->name, ctx);
    tmpl_sbuf_add(&m, msg, strlen(msg));
    x->err->line = line;
    x->err->column = col + 1;
    return code;
}

int tmpl_fail(struct tmpl_exec *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(x->fn_error, sizeof(x->fn_error), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int tmpl_charge(struct tmpl_exec *x, size_t n)
{
    if (n > x->lim.max_work_bytes || x->work > x->lim.max_work_bytes - n) {
        x->work = x->lim.max_work_bytes;
        return -E2BIG;
    }
    x->work += n;
    return 0;
}

size_t tmpl_work_left(const struct tmpl_exec *x)
{
    return x->lim.max_work_bytes - x->work;
}

int tmpl_new_string(struct tmpl_exec *x, const char *s, size_t n, json_t **ret)
{
    int r = tmpl_charge(x, n + 16);
    if (r < 0)
        return r;
    *ret = json_stringn_nocheck(s ? s : "", n);
    return *ret ? 0 : -ENOMEM;
}

int tmpl_take_string(struct tmpl_exec *x, struct buf *b, json_t **ret)
{
    int r = tmpl_new_string(x, buf_str(b), b->len, ret);
    buf_free(b);
    return r;
}

int tmpl_new_int(int64_t i, json_t **ret)
{
    *ret = json_integer(i);
    return *ret ? 0 : -ENOMEM;
}

int tmpl_new_bool(bool b, json_t **ret)
{
    *ret = json_boolean(b);
    return *ret ? 0 : -ENOMEM;
}

static int step(struct tmpl_exec *x, const struct tmpl_node *at)
{
    if (++x->steps > x->lim.max_steps)
        return exec_errorf(x, at, -E2BIG, "execution exceeds %zu steps", x->lim.max_steps);
    return 0;
}

static int enter(struct tmpl_exec *x, const struct tmpl_node *at)
{
    if (x->depth >= x->lim.max_depth)
        return exec_errorf(x, at, -E2BIG, "exceeded maximum template depth (%u)", x->lim.max_depth);
    x->depth++;
    return 0;
}

/* Work-cap failures inside functions are reported at the command. */
static int work_error(struct tmpl_exec *x, const struct tmpl_node *at, int r)
{
    if (r == -E2BIG)
        return exec_errorf(x, at, r, "execution exceeds %zu bytes of values",
                           x->lim.max_work_bytes);
    if (r == -ELOOP)
        return exec_errorf(x, at, -E2BIG, "value nesting exceeds %u levels", TMPL_MAX_VALUE_DEPTH);
    return r;
}

/* The output cap, worded as Tinkerbell's limited writer reports it. */
static int output_error(struct tmpl_exec *x)
{
    if (x->err) {
        *x->err = (struct tmpl_error){0};
        (void)snprintf(x->err->message, sizeof(x->err->message),
                       "rendered template exceeds %zu bytes", x->lim.max_output);
    }
    return -E2BIG;
}

/* -------------------------------------------------------------- variables */

static int push_var(struct tmpl_exec *x, const char *name, json_t *value)
{
    if (x->n_vars == x->cap_vars) {
        size_t cap = x->cap_vars ? x->cap_vars * 2 : 16;
        struct tmpl_var *n = realloc(x->vars, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        x->vars = n;
        x->cap_vars = cap;
    }
    x->vars[x->n_vars++] = (struct tmpl_var){.name = name, .value = json_incref(value)};
    return 0;
}

static void pop_vars(struct tmpl_exec *x, size_t mark)
{
    while (x->n_vars > mark)
        json_decref(x->vars[--x->n_vars].value);
}

/* The innermost variable called name in the current template. Each entry
 * looked at costs a byte of work, so that many lookups past many variables
 * stay bounded. */
static int
find_var(struct tmpl_exec *x, const struct tmpl_node *at, const char *name, struct tmpl_var **ret)
{
    for (size_t i = x->n_vars; i > x->var_base; i--)
        if (strcmp(x->vars[i - 1].name, name) == 0) {
            *ret = &x->vars[i - 1];
            return work_error(x, at, tmpl_charge(x, x->n_vars - i + 1));
        }
    return exec_errorf(x, at, -EINVAL, "undefined variable: %s", name);
}

static int set_var(struct tmpl_exec *x, const struct tmpl_node *at, const char *name, json_t *value)
{
    struct tmpl_var *v = NULL;
    int r = find_var(x, at, name, &v);
    if (r < 0)
        return r;
    json_decref(v->value);
    v->value = json_incref(value);
    return 0;
}

/* ------------------------------------------------------------- evaluation */

static int
eval_pipeline(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *pipe, json_t **ret);
static int eval_function(struct tmpl_exec *x,
                         json_t *dot,
                         const struct tmpl_node *ident,
                         const struct tmpl_node *cmd,
                         json_t *final,
                         json_t **ret);
static int eval_arg(struct tmpl_exec *x,
                    json_t *dot,
                    enum tmpl_arg type,
                    const struct tmpl_node *n,
                    json_t **ret);
static int walk(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *n);

static int not_a_function(struct tmpl_exec *x, const struct tmpl_node *cmd, json_t *final)
{
    if ((cmd && cmd->count > 1) || final) {
        char what[128];
        struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
        what[0] = '\0';
        tmpl_node_string(&s, cmd ? cmd->first : NULL);
        return exec_errorf(x, cmd ? cmd->first : NULL, -EINVAL,
                           "can't give argument to non-function %s", what);
    }
    return 0;
}

/* One field lookup: receiver.name. from_chain: the receiver came out of a
 * map or list in this same chain (Go sees an interface{} there). */
static int eval_field(struct tmpl_exec *x,
                      const struct tmpl_node *at,
                      const char *name,
                      bool has_args,
                      json_t *receiver,
                      bool from_chain,
                      json_t **ret)
{
    if (json_is_null(receiver)) {
        if (from_chain)
            return exec_errorf(x, at, -EINVAL, "nil pointer evaluating interface {}.%s", name);
        return exec_errorf(x, at, -EINVAL, "nil data; no entry for key \"%s\"", name);
    }
    if (json_is_object(receiver)) {
        if (has_args)
            return exec_errorf(x, at, -EINVAL, "%s is not a method but has arguments", name);
        json_t *v = json_object_get(receiver, name);
        if (!v)
            return exec_errorf(x, at, -EINVAL, "map has no entry for key \"%s\"", name);
        *ret = json_incref(v);
        return 0;
    }
    return exec_errorf(x, at, -EINVAL, "can't evaluate field %s in type %s", name,
                       from_chain ? "interface {}" : tmpl_type_name(receiver));
}

static int eval_field_chain(struct tmpl_exec *x,
                            json_t *receiver,
                            const struct tmpl_node *at,
                            const char *const *idents,
                            size_t n,
                            const struct tmpl_node *cmd,
                            json_t *final,
                            json_t **ret)
{
    json_t *cur = json_incref(receiver);
    bool has_args = (cmd && cmd->count > 1) || final;
    int r = 0;

    for (size_t i = 0; i < n; i++) {
        json_t *next = NULL;
        r = eval_field(x, at, idents[i], i == n - 1 && has_args, cur, i > 0, &next);
        json_decref(cur);
        if (r < 0)
            return r;
        cur = next;
    }
    *ret = cur;
    return 0;
}

static int eval_variable_node(struct tmpl_exec *x,
                              const struct tmpl_node *var,
                              const struct tmpl_node *cmd,
                              json_t *final,
                              json_t **ret)
{
    struct tmpl_var *v = NULL;
    int r;

    r = find_var(x, var, var->idents[0], &v);
    if (r < 0)
        return r;
    if (var->n_idents == 1) {
        r = not_a_function(x, cmd, final);
        if (r < 0)
            return r;
        *ret = json_incref(v->value);
        return 0;
    }
    return eval_field_chain(x, v->value, var, var->idents + 1, var->n_idents - 1, cmd, final, ret);
}

static int eval_chain_node(struct tmpl_exec *x,
                           json_t *dot,
                           const struct tmpl_node *chain,
                           const struct tmpl_node *cmd,
                           json_t *final,
                           json_t **ret)
{
    json_t *base;
    int r;

    if (chain->pipe->type == TMPL_NODE_NIL) {
        char what[128];
        struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
        what[0] = '\0';
        tmpl_node_string(&s, chain);
        return exec_errorf(x, chain, -EINVAL, "indirection through explicit nil in %s", what);
    }
    r = eval_arg(x, dot, TMPL_ARG_ANY, chain->pipe, &base);
    if (r < 0)
        return r;
    r = eval_field_chain(x, base, chain, chain->idents, chain->n_idents, cmd, final, ret);
    json_decref(base);
    return r;
}

/* A literal as an interface{} value (Go's idealConstant). */
static int literal_value(struct tmpl_exec *x, const struct tmpl_node *n, json_t **ret)
{
    if (!n->value)
        return exec_errorf(x, n, -EINVAL, "%.*s overflows int", (int)MIN(n->text_len, 64), n->text);
    *ret = json_incref(n->value);
    return 0;
}

static int eval_command(
        struct tmpl_exec *x, json_t *dot, const struct tmpl_node *cmd, json_t *final, json_t **ret)
{
    const struct tmpl_node *first = cmd->first;
    int r;

    r = step(x, cmd);
    if (r < 0)
        return r;
    switch (first->type) {
    case TMPL_NODE_FIELD:
        return eval_field_chain(x, dot, first, first->idents, first->n_idents, cmd, final, ret);
    case TMPL_NODE_CHAIN:
        return eval_chain_node(x, dot, first, cmd, final, ret);
    case TMPL_NODE_IDENTIFIER:
        return eval_function(x, dot, first, cmd, final, ret);
    case TMPL_NODE_PIPE:
        r = not_a_function(x, cmd, final);
        return r < 0 ? r : eval_pipeline(x, dot, first, ret);
    case TMPL_NODE_VARIABLE:
        return eval_variable_node(x, first, cmd, final, ret);
    default:
        break;
    }
    r = not_a_function(x, cmd, final);
    if (r < 0)
        return r;
    switch (first->type) {
    case TMPL_NODE_BOOL:
    case TMPL_NODE_NUMBER:
    case TMPL_NODE_STRING:
        return literal_value(x, first, ret);
    case TMPL_NODE_DOT:
        *ret = json_incref(dot);
        return 0;
    case TMPL_NODE_NIL:
        return exec_errorf(x, first, -EINVAL, "nil is not a command");
    default:
        return exec_errorf(x, first, -EINVAL, "can't evaluate command");
    }
}

static bool can_be_nil(enum tmpl_arg type)
{
    return type == TMPL_ARG_ANY || type == TMPL_ARG_MAP;
}

static bool fits(enum tmpl_arg type, const json_t *v)
{
    switch (type) {
    case TMPL_ARG_STRING:
        return json_is_string(v);
    case TMPL_ARG_INT:
        return json_is_integer(v);
    case TMPL_ARG_BOOL:
        return json_is_boolean(v);
    case TMPL_ARG_MAP:
        return json_is_object(v);
    default:
        return true;
    }
}

/* Go's validateType. Consumes *v on failure. */
static int
validate_type(struct tmpl_exec *x, const struct tmpl_node *at, enum tmpl_arg type, json_t **v)
{
    if (type == TMPL_ARG_ANY || fits(type, *v))
        return 0;
    if (json_is_null(*v)) {
        if (can_be_nil(type))
            return 0;
        json_decref(*v);
        *v = NULL;
        return exec_errorf(x, at, -EINVAL, "invalid value; expected %s", tmpl_arg_name(type));
    }
    int r = exec_errorf(x, at, -EINVAL, "wrong type for value; expected %s; got %s",
                        tmpl_arg_name(type), tmpl_type_name(*v));
    json_decref(*v);
    *v = NULL;
    return r;
}

static int eval_arg(struct tmpl_exec *x,
                    json_t *dot,
                    enum tmpl_arg type,
                    const struct tmpl_node *n,
                    json_t **ret)
{
    json_t *v = NULL;
    int r;

    switch (n->type) {
    case TMPL_NODE_DOT:
        v = json_incref(dot);
        break;
    case TMPL_NODE_NIL:
        if (can_be_nil(type)) {
            *ret = json_null();
            return 0;
        }
        return exec_errorf(x, n, -EINVAL, "cannot assign nil to %s", tmpl_arg_name(type));
    case TMPL_NODE_FIELD:
        r = eval_field_chain(x, dot, n, n->idents, n->n_idents, NULL, NULL, &v);
        if (r < 0)
            return r;
        break;
    case TMPL_NODE_VARIABLE:
        r = eval_variable_node(x, n, NULL, NULL, &v);
        if (r < 0)
            return r;
        break;
    case TMPL_NODE_PIPE:
        r = eval_pipeline(x, dot, n, &v);
        if (r < 0)
            return r;
        break;
    case TMPL_NODE_IDENTIFIER:
        r = eval_function(x, dot, n, NULL, NULL, &v);
        if (r < 0)
            return r;
        break;
    case TMPL_NODE_CHAIN:
        r = eval_chain_node(x, dot, n, NULL, NULL, &v);
        if (r < 0)
            return r;
        break;
    default: {
        /* A literal: its syntax must fit the parameter. */
        char what[96];
        struct tmpl_sbuf s = {.p = what, .cap = sizeof(what)};
        what[0] = '\0';
        tmpl_node_string(&s, n);
        switch (type) {
        case TMPL_ARG_BOOL:
            if (n->type != TMPL_NODE_BOOL)
                return exec_errorf(x, n, -EINVAL, "expected bool; found %s", what);
            break;
        case TMPL_ARG_STRING:
            if (n->type != TMPL_NODE_STRING)
                return exec_errorf(x, n, -EINVAL, "expected string; found %s", what);
            break;
        case TMPL_ARG_INT:
            if (n->type != TMPL_NODE_NUMBER || !n->is_int)
                return exec_errorf(x, n, -EINVAL, "expected integer; found %s", what);
            return tmpl_new_int(n->int_value, ret);
        case TMPL_ARG_MAP:
            return exec_errorf(x, n, -EINVAL, "can't handle %s for arg of type %s", what,
                               tmpl_arg_name(type));
        default:
            break;
        }
        return literal_value(x, n, ret);
    }
    }
    r = validate_type(x, n, type, &v);
    if (r < 0)
        return r;
    *ret = v;
    return 0;
}

static void free_argv(json_t **argv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(argv[i]);
    free(argv);
}

/* and/or: short-circuit, returning the deciding value. */
static int eval_lazy(struct tmpl_exec *x,
                     json_t *dot,
                     const struct tmpl_func *f,
                     const struct tmpl_node *args,
                     json_t *final,
                     json_t **ret)
{
    bool is_or = f->name[0] == 'o';
    json_t *v = NULL;
    int r;

    for (const struct tmpl_node *a = args; a; a = a->next) {
        json_decref(v);
        r = eval_arg(x, dot, TMPL_ARG_ANY, a, &v);
        if (r < 0)
            return r;
        if (tmpl_truth(v) == is_or) {
            *ret = v;
            return 0;
        }
    }
    if (final) {
        json_decref(v);
        v = json_incref(final);
    }
    *ret = v;
    return 0;
}

static int eval_call(struct tmpl_exec *x,
                     json_t *dot,
                     const struct tmpl_func *f,
                     const struct tmpl_node *ident,
                     const struct tmpl_node *cmd,
                     json_t *final,
                     json_t **ret)
{
    const struct tmpl_node *args = cmd ? cmd->first->next : NULL;
    size_t nargs = cmd ? cmd->count - 1 : 0;
    size_t num_in = nargs + (final ? 1 : 0), i = 0;
    json_t **argv;
    int r;

    if (f->variadic) {
        if (num_in < f->n_fixed)
            return exec_errorf(x, ident, -EINVAL,
                               "wrong number of args for %s: want at least %u got %zu", f->name,
                               f->n_fixed, nargs);
    } else if (num_in != f->n_fixed)
        return exec_errorf(x, ident, -EINVAL, "wrong number of args for %s: want %u got %zu",
                           f->name, f->n_fixed, num_in);
    if (f->flags & TMPL_FUNC_LAZY)
        return eval_lazy(x, dot, f, args, final, ret);

    argv = calloc(num_in ? num_in : 1, sizeof(*argv));
    if (!argv)
        return -ENOMEM;
    for (const struct tmpl_node *a = args; a; a = a->next, i++) {
        enum tmpl_arg type = i < f->n_fixed ? f->fixed[i] : f->rest;
        r = eval_arg(x, dot, type, a, &argv[i]);
        if (r < 0) {
            free_argv(argv, i);
            return r;
        }
    }
    if (final) {
        enum tmpl_arg type = i < f->n_fixed ? f->fixed[i] : f->rest;
        argv[i] = json_incref(final);
        r = validate_type(x, cmd ? cmd : ident, type, &argv[i]);
        if (r < 0) {
            free_argv(argv, i);
            return r;
        }
        i++;
    }
    /* Functions scan their string arguments: charge them, so that a loop
     * over a huge string cannot run long on a small budget. */
    r = 0;
    for (size_t k = 0; k < num_in && r >= 0; k++)
        if (json_is_string(argv[k]))
            r = tmpl_charge(x, json_string_length(argv[k]));
    x->fn_error[0] = '\0';
    if (r >= 0)
        r = f->fn(x, argv, num_in, ret);
    free_argv(argv, num_in);
    if (r == -EINVAL)
        return exec_errorf(x, cmd ? cmd : ident, r, "error calling %s: %s", f->name, x->fn_error);
    if (r < 0)
        return work_error(x, cmd ? cmd : ident, r);
    return 0;
}

static int eval_function(struct tmpl_exec *x,
                         json_t *dot,
                         const struct tmpl_node *ident,
                         const struct tmpl_node *cmd,
                         json_t *final,
                         json_t **ret)
{
    int r = enter(x, ident);
    if (r < 0)
        return r;
    r = eval_call(x, dot, ident->func, ident, cmd, final, ret);
    x->depth--;
    return r;
}

static int
eval_pipeline(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *pipe, json_t **ret)
{
    json_t *value = NULL;
    int r;

    r = enter(x, pipe);
    if (r < 0)
        return r;
    for (const struct tmpl_node *cmd = pipe->first; cmd; cmd = cmd->next) {
        json_t *next = NULL;
        r = eval_command(x, dot, cmd, value, &next);
        json_decref(value);
        if (r < 0) {
            x->depth--;
            return r;
        }
        value = next;
    }
    for (size_t i = 0; i < pipe->n_decl; i++) {
        const char *name = pipe->decl[i]->idents[0];
        r = pipe->is_assign ? set_var(x, pipe->decl[i], name, value) : push_var(x, name, value);
        if (r < 0) {
            json_decref(value);
            x->depth--;
            return r;
        }
    }
    x->depth--;
    *ret = value;
    return 0;
}

/* ---------------------------------------------------------------- walking */

static int print_value(struct tmpl_exec *x, const struct tmpl_node *at, const json_t *v)
{
    int r;

    if (json_is_null(v))
        r = buf_append_str(&x->out, "<no value>");
    else
        r = tmpl_fmt_value(x, &x->out, v);
    if (r == -E2BIG)
        return output_error(x);
    return work_error(x, at, r);
}

static int walk_if_or_with(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *n)
{
    size_t mark = x->n_vars;
    json_t *val;
    int r;

    r = eval_pipeline(x, dot, n->pipe, &val);
    if (r >= 0) {
        if (tmpl_truth(val))
            r = walk(x, n->type == TMPL_NODE_WITH ? val : dot, n->list);
        else if (n->else_list)
            r = walk(x, dot, n->else_list);
        json_decref(val);
    }
    pop_vars(x, mark);
    return r;
}

struct range_state {
    const struct tmpl_node *n;
    size_t mark; /* variables after the range's own declarations */
};

static int
range_iteration(struct tmpl_exec *x, const struct range_state *s, json_t *index, json_t *elem)
{
    const struct tmpl_node *pipe = s->n->pipe;
    int r = 0;

    r = step(x, s->n);
    if (r < 0)
        return r;
    if (pipe->n_decl > 0) {
        if (pipe->is_assign)
            r = set_var(x, pipe->decl[0], pipe->decl[0]->idents[0],
                        pipe->n_decl > 1 ? index : elem);
        else {
            json_decref(x->vars[x->n_vars - 1].value);
            x->vars[x->n_vars - 1].value = json_incref(elem);
        }
    }
    if (r >= 0 && pipe->n_decl > 1) {
        if (pipe->is_assign)
            r = set_var(x, pipe->decl[1], pipe->decl[1]->idents[0], elem);
        else {
            json_decref(x->vars[x->n_vars - 2].value);
            x->vars[x->n_vars - 2].value = json_incref(index);
        }
    }
    if (r >= 0)
        r = walk(x, elem, s->n->list);
    pop_vars(x, s->mark);
    if (r == FLOW_CONTINUE)
        r = 0;
    return r;
}

static int range_array(struct tmpl_exec *x, const struct range_state *s, json_t *val, size_t *count)
{
    /* A private snapshot: the body may change the list through set. */
    size_t n = json_array_size(val);
    _cleanup_json_ json_t *snap = json_array();
    int r = tmpl_charge(x, 16 * n);

    if (r < 0)
        return work_error(x, s->n, r);
    if (!snap)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (json_array_append(snap, json_array_get(val, i)) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *index = json_integer((json_int_t)i);
        if (!index)
            return -ENOMEM;
        r = range_iteration(x, s, index, json_array_get(snap, i));
        json_decref(index);
        (*count)++;
        if (r != 0)
            return r;
    }
    return 0;
}

static int
range_object(struct tmpl_exec *x, const struct range_state *s, json_t *val, size_t *count)
{
    _cleanup_free_ struct tmpl_member *m = NULL;
    size_t n;
    int r;

    r = tmpl_sorted_members(x, val, &m, &n);
    if (r < 0)
        return work_error(x, s->n, r);
    /* Keep the members alive even if the body unsets them. */
    json_t *vals = json_array();
    if (!vals)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (json_array_append(vals, m[i].value) < 0) {
            json_decref(vals);
            return -ENOMEM;
        }
    json_t *keys = json_array();
    for (size_t i = 0; keys && i < n; i++)
        if (json_array_append_new(keys, json_stringn_nocheck(m[i].key, m[i].key_len)) < 0) {
            json_decref(keys);
            keys = NULL;
        }
    if (!keys) {
        json_decref(vals);
        return -ENOMEM;
    }
    r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = range_iteration(x, s, json_array_get(keys, i), json_array_get(vals, i));
        (*count)++;
    }
    json_decref(keys);
    json_decref(vals);
    return r;
}

static int walk_range(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *n)
{
    size_t mark = x->n_vars, count = 0;
    json_t *val;
    int r;

    r = eval_pipeline(x, dot, n->pipe, &val);
    if (r < 0) {
        pop_vars(x, mark);
        return r;
    }
    struct range_state s = {.n = n, .mark = x->n_vars};
    switch (json_typeof(val)) {
    case JSON_ARRAY:
        r = range_array(x, &s, val, &count);
        break;
    case JSON_OBJECT:
        r = range_object(x, &s, val, &count);
        break;
    case JSON_INTEGER: {
        json_int_t total = json_integer_value(val);
        if (n->pipe->n_decl > 1) {
            r = exec_errorf(x, n, -EINVAL,
                            "can't use %" JSON_INTEGER_FORMAT
                            " to iterate over more than one variable",
                            total);
            break;
        }
        for (json_int_t i = 0; i < total && r == 0; i++) {
            json_t *iv = json_integer(i);
            if (!iv) {
                r = -ENOMEM;
                break;
            }
            r = range_iteration(x, &s, iv, iv);
            json_decref(iv);
            count++;
        }
        break;
    }
    case JSON_NULL:
        break;
    default: {
        struct buf b = BUF_INIT(128);
        (void)tmpl_fmt_value(x, &b, val);
        r = exec_errorf(x, n->pipe->last ? n->pipe->last : n, -EINVAL,
                        "range can't iterate over %s", buf_str(&b));
        buf_free(&b);
        break;
    }
    }
    if (r == FLOW_BREAK)
        r = 0;
    if (r == 0 && count == 0 && n->else_list)
        r = walk(x, dot, n->else_list);
    json_decref(val);
    pop_vars(x, mark);
    return r;
}

static const struct tmpl_def *find_def(const struct tmpl *t, const char *name, size_t len)
{
    json_t *i = json_object_getn(t->def_index, name, len);
    return i ? &t->defs[json_integer_value(i)] : NULL;
}

static int walk_template(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *n)
{
    const struct tmpl_def *def = find_def(x->t, n->text, n->text_len), *saved_def = x->def;
    size_t saved_base = x->var_base, mark;
    json_t *newdot;
    int r;

    if (!def)
        return exec_errorf(x, n, -EINVAL, "template \"%.*s\" not defined",
                           (int)MIN(n->text_len, 128), n->text);
    if (n->pipe) {
        r = eval_pipeline(x, dot, n->pipe, &newdot);
        if (r < 0)
            return r;
    } else
        newdot = json_null();
    mark = x->n_vars;
    x->var_base = mark;
    r = push_var(x, "$", newdot);
    x->def = def;
    if (r >= 0)
        r = walk(x, newdot, def->root);
    x->def = saved_def;
    pop_vars(x, mark);
    x->var_base = saved_base;
    json_decref(newdot);
    return r;
}

static int walk(struct tmpl_exec *x, json_t *dot, const struct tmpl_node *n)
{
    json_t *val;
    int r;

    r = step(x, n);
    if (r < 0)
        return r;
    r = enter(x, n);
    if (r < 0)
        return r;
    switch (n->type) {
    case TMPL_NODE_ACTION:
        r = eval_pipeline(x, dot, n->pipe, &val);
        if (r >= 0) {
            if (n->pipe->n_decl == 0)
                r = print_value(x, n, val);
            json_decref(val);
        }
        break;
    case TMPL_NODE_BREAK:
        r = FLOW_BREAK;
        break;
    case TMPL_NODE_CONTINUE:
        r = FLOW_CONTINUE;
        break;
    case TMPL_NODE_IF:
    case TMPL_NODE_WITH:
        r = walk_if_or_with(x, dot, n);
        break;
    case TMPL_NODE_LIST:
        for (const struct tmpl_node *c = n->first; c && r == 0; c = c->next)
            r = walk(x, dot, c);
        break;
    case TMPL_NODE_RANGE:
        r = walk_range(x, dot, n);
        break;
    case TMPL_NODE_TEMPLATE:
        r = walk_template(x, dot, n);
        break;
    case TMPL_NODE_TEXT:
        r = buf_append(&x->out, n->text, n->text_len);
        if (r == -E2BIG)
            r = output_error(x);
        break;
    default:
        r = exec_errorf(x, n, -EINVAL, "unknown node");
        break;
    }
    x->depth--;
    return r;
}

int tmpl_execute_limits(const struct tmpl *t,
                        const json_t *data,
                        const struct tmpl_limits *lim,
                        char **ret_output,
                        size_t *ret_len,
                        struct tmpl_error *reterr)
{
    struct tmpl_exec x = {
            .t = t,
            .def = &t->defs[t->main_def],
            .lim = *lim,
            .out = BUF_INIT(lim->max_output),
            .err = reterr,
    };
    json_t *root = NULL;
    int r;

    if (reterr)
        *reterr = (struct tmpl_error){0};
    if (t->mutates) {
        /* set/unset may modify maps: never the caller's data. */
        r = tmpl_deep_copy(&x, data, &root);
        if (r < 0) {
            r = work_error(&x, NULL, r);
            goto finish;
        }
    } else
        root = json_incref((json_t *)data);
    r = push_var(&x, "$", root);
    if (r >= 0)
        r = walk(&x, root, t->defs[t->main_def].root);
    if (r > 0)
        r = 0; /* break/continue outside range cannot parse; be safe */
    if (r >= 0) {
        char *out = buf_take(&x.out, ret_len);
        if (!out)
            r = -ENOMEM;
        else
            *ret_output = out;
    }
finish:
    if (r == -ENOMEM && reterr)
        (void)snprintf(reterr->message, sizeof(reterr->message), "template: %s: out of memory",
                       t->name);
    pop_vars(&x, 0);
    free(x.vars);
    json_decref(root);
    buf_free(&x.out);
    return r;
}
