/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Public entry points of the template language: compile, execute, render,
 * and the function table lookup shared by the parser and the executor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

#define DEFAULT_NAME "workflow-template"

const char *tmpl_arg_name(enum tmpl_arg a)
{
    switch (a) {
    case TMPL_ARG_STRING:
        return "string";
    case TMPL_ARG_INT:
        return "int";
    case TMPL_ARG_BOOL:
        return "bool";
    case TMPL_ARG_MAP:
        return "map[string]interface {}";
    default:
        return "interface {}";
    }
}

static const struct tmpl_func *
search(const struct tmpl_func *table, size_t n, const char *name, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = table[mid].name;
        size_t mlen = strlen(m);
        int c = memcmp(m, name, MIN(mlen, len));
        if (c == 0)
            c = mlen < len ? -1 : mlen > len;
        if (c == 0)
            return &table[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct tmpl_func *tmpl_func_lookup(const char *name, size_t len)
{
    /* Sprig's functions shadow the builtins of the same name (Go looks up
     * the template's FuncMap first), so the builtin table goes last. */
    const struct tmpl_func *f;

    f = search(tmpl_funcs_string, tmpl_funcs_string_n, name, len);
    if (!f)
        f = search(tmpl_funcs_data, tmpl_funcs_data_n, name, len);
    if (!f)
        f = search(tmpl_funcs_encode, tmpl_funcs_encode_n, name, len);
    if (!f)
        f = search(tmpl_funcs_builtin, tmpl_funcs_builtin_n, name, len);
    return f;
}

struct tmpl *tmpl_free(struct tmpl *t)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->n_literals; i++)
        json_decref(t->literals[i]);
    free(t->literals);
    free(t->defs);
    json_decref(t->def_index);
    tmpl_arena_free(&t->arena);
    free(t->text);
    free(t->name);
    free(t);
    return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct tmpl *, tmpl_free);

int tmpl_new(struct tmpl **ret,
             const char *name,
             const char *text,
             size_t len,
             struct tmpl_error *reterr)
{
    _cleanup_(tmpl_freep) struct tmpl *t = NULL;
    int r;

    if (reterr)
        *reterr = (struct tmpl_error){0};
    if (!name)
        name = DEFAULT_NAME;
    if (!ret || !text) {
        if (reterr)
            (void)snprintf(reterr->message, sizeof(reterr->message), "template: %s: no text", name);
        return -EINVAL;
    }
    if (len > TMPL_MAX_TEXT) {
        if (reterr)
            (void)snprintf(reterr->message, sizeof(reterr->message),
                           "template: %s: text exceeds %u bytes", name, TMPL_MAX_TEXT);
        return -E2BIG;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->name = strdup(name);
    t->text = malloc(len + 1);
    if (!t->name || !t->text)
        return -ENOMEM;
    memcpy(t->text, text, len);
    t->text[len] = '\0';
    t->len = len;
    r = tmpl_parse(t, reterr);
    if (r < 0) {
        if (r == -ENOMEM && reterr)
            (void)snprintf(reterr->message, sizeof(reterr->message), "template: %s: out of memory",
                           name);
        return r;
    }
    *ret = TAKE_PTR(t);
    return 0;
}

int tmpl_execute(const struct tmpl *t,
                 const json_t *data,
                 char **ret_output,
                 size_t *ret_len,
                 struct tmpl_error *reterr)
{
    if (!t || !data || !ret_output) {
        if (reterr) {
            *reterr = (struct tmpl_error){0};
            (void)snprintf(reterr->message, sizeof(reterr->message),
                           "template: missing template, data or output");
        }
        return -EINVAL;
    }
    return tmpl_execute_limits(t, data, &TMPL_LIMITS_DEFAULT, ret_output, ret_len, reterr);
}

int tmpl_render(const char *name,
                const char *text,
                size_t len,
                const json_t *data,
                char **ret_output,
                size_t *ret_len,
                struct tmpl_error *reterr)
{
    _cleanup_(tmpl_freep) struct tmpl *t = NULL;
    int r;

    r = tmpl_new(&t, name, text, len, reterr);
    if (r < 0)
        return r;
    return tmpl_execute(t, data, ret_output, ret_len, reterr);
}
