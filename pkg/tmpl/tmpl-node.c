/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse-tree support: the arena that owns nodes, Go's String() form of a
 * node (the <context> of execution errors) and source positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

#define ARENA_CHUNK (16u * 1024)

struct tmpl_arena_chunk {
    struct tmpl_arena_chunk *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

void *tmpl_arena_alloc(struct tmpl_arena *a, size_t size)
{
    struct tmpl_arena_chunk *c = a->chunks;
    size_t align = sizeof(max_align_t);

    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    if (!c || c->size - c->used < size) {
        size_t cap = MAX(size, (size_t)ARENA_CHUNK);
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = cap;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *tmpl_arena_strndup(struct tmpl_arena *a, const char *s, size_t n)
{
    char *p = tmpl_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void tmpl_arena_free(struct tmpl_arena *a)
{
    while (a->chunks) {
        struct tmpl_arena_chunk *next = a->chunks->next;
        free(a->chunks);
        a->chunks = next;
    }
}

void tmpl_sbuf_add(struct tmpl_sbuf *s, const char *p, size_t n)
{
    if (s->cap == 0)
        return;
    size_t room = s->cap - 1 - s->len;
    if (n > room)
        n = room;
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

void tmpl_sbuf_addf(struct tmpl_sbuf *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        tmpl_sbuf_add(s, tmp, MIN((size_t)n, sizeof(tmp) - 1));
}

static void add_str(struct tmpl_sbuf *s, const char *p)
{
    tmpl_sbuf_add(s, p, strlen(p));
}

static void idents_string(struct tmpl_sbuf *s, const char *const *idents, size_t n, bool lead)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 || lead)
            add_str(s, ".");
        add_str(s, idents[i]);
    }
}

static void list_string(struct tmpl_sbuf *s, const struct tmpl_node *list)
{
    if (!list)
        return;
    for (const struct tmpl_node *c = list->first; c && s->len + 1 < s->cap; c = c->next)
        tmpl_node_string(s, c);
}

static void control_string(struct tmpl_sbuf *s, const char *word, const struct tmpl_node *n)
{
    tmpl_sbuf_addf(s, "{{%s ", word);
    tmpl_node_string(s, n->pipe);
    add_str(s, "}}");
    list_string(s, n->list);
    if (n->else_list) {
        add_str(s, "{{else}}");
        list_string(s, n->else_list);
    }
    add_str(s, "{{end}}");
}

void tmpl_node_string(struct tmpl_sbuf *s, const struct tmpl_node *n)
{
    if (s->cap > s->len)
        s->p[s->len] = '\0'; /* terminated even when nothing is added */
    if (!n)
        return;
    switch (n->type) {
    case TMPL_NODE_LIST:
        return list_string(s, n);
    case TMPL_NODE_TEXT:
    case TMPL_NODE_NUMBER:
    case TMPL_NODE_STRING:
    case TMPL_NODE_IDENTIFIER:
        return tmpl_sbuf_add(s, n->text, n->text_len);
    case TMPL_NODE_ACTION:
        add_str(s, "{{");
        tmpl_node_string(s, n->pipe);
        return add_str(s, "}}");
    case TMPL_NODE_IF:
        return control_string(s, "if", n);
    case TMPL_NODE_RANGE:
        return control_string(s, "range", n);
    case TMPL_NODE_WITH:
        return control_string(s, "with", n);
    case TMPL_NODE_TEMPLATE:
        add_str(s, "{{template \"");
        tmpl_sbuf_add(s, n->text, n->text_len);
        add_str(s, "\"");
        if (n->pipe) {
            add_str(s, " ");
            tmpl_node_string(s, n->pipe);
        }
        return add_str(s, "}}");
    case TMPL_NODE_BREAK:
        return add_str(s, "{{break}}");
    case TMPL_NODE_CONTINUE:
        return add_str(s, "{{continue}}");
    case TMPL_NODE_PIPE:
        for (size_t i = 0; i < n->n_decl; i++) {
            if (i > 0)
                add_str(s, ", ");
            tmpl_node_string(s, n->decl[i]);
        }
        if (n->n_decl > 0)
            add_str(s, n->is_assign ? " = " : " := ");
        for (const struct tmpl_node *c = n->first; c; c = c->next) {
            if (c != n->first)
                add_str(s, " | ");
            tmpl_node_string(s, c);
        }
        return;
    case TMPL_NODE_COMMAND:
        for (const struct tmpl_node *c = n->first; c; c = c->next) {
            if (c != n->first)
                add_str(s, " ");
            if (c->type == TMPL_NODE_PIPE) {
                add_str(s, "(");
                tmpl_node_string(s, c);
                add_str(s, ")");
            } else
                tmpl_node_string(s, c);
        }
        return;
    case TMPL_NODE_FIELD:
        return idents_string(s, n->idents, n->n_idents, true);
    case TMPL_NODE_VARIABLE:
        return idents_string(s, n->idents, n->n_idents, false);
    case TMPL_NODE_CHAIN:
        if (n->pipe && n->pipe->type == TMPL_NODE_PIPE) {
            add_str(s, "(");
            tmpl_node_string(s, n->pipe);
            add_str(s, ")");
        } else
            tmpl_node_string(s, n->pipe);
        return idents_string(s, n->idents, n->n_idents, true);
    case TMPL_NODE_DOT:
        return add_str(s, ".");
    case TMPL_NODE_NIL:
        return add_str(s, "nil");
    case TMPL_NODE_BOOL:
        return add_str(s, json_is_true(n->value) ? "true" : "false");
    case TMPL_NODE_END:
        return add_str(s, "{{end}}");
    case TMPL_NODE_ELSE:
        return add_str(s, "{{else}}");
    case _TMPL_NODE_MAX:
        break;
    }
}

void tmpl_position(const char *text, size_t len, size_t pos, int *ret_line, int *ret_col)
{
    int line = 1;
    size_t line_start = 0;

    if (pos > len)
        pos = len;
    for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    *ret_line = line;
    *ret_col = (int)MIN(pos - line_start, (size_t)INT32_MAX);
}
