/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finds nodes of a YAML document by JSON pointer, with libyaml's event
 * parser: their line and column (for error messages) and, for scalars, the
 * text as written (for string fields, where yaml.v3 keeps `1.10` as
 * "1.10" although its JSON value is 1.1). The document has already been
 * parsed by pkg/yamljson, so this walk only follows the structure; aliases
 * are not expanded (nodes reached only through an alias stay unfound).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/json-cleanup.h"
#include "tmpl/tmpl-internal.h"

#define LOCATE_MAX_DEPTH 512

struct frame {
    bool is_map;
    bool want_key;
    size_t index;
    size_t path_len;
};

struct walk {
    struct frame stack[LOCATE_MAX_DEPTH];
    size_t depth;
    struct buf path;
    struct buf key; /* the pending mapping key, escaped */
    json_t *wanted; /* pointer -> query index */
    struct tmpl_yaml_query *q;
    size_t found;
    size_t n;
};

static void truncate_to(struct buf *b, size_t n)
{
    b->len = n;
    if (b->data)
        b->data[n] = '\0';
}

static int append_escaped(struct buf *b, const char *s, size_t n)
{
    int r = 0;
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (s[i] == '~')
            r = buf_append(b, "~0", 2);
        else if (s[i] == '/')
            r = buf_append(b, "~1", 2);
        else
            r = buf_append(b, s + i, 1);
    }
    return r;
}

/* A node in value position: extend the path, answer queries, and descend
 * into collections. Returns 0, 1 to stop, or -ENOMEM. */
static int on_node(struct walk *w, const yaml_event_t *e)
{
    struct frame *top = w->depth ? &w->stack[w->depth - 1] : NULL;
    size_t base = top ? top->path_len : 0;
    int r = 0;

    truncate_to(&w->path, base);
    if (top) {
        r = buf_append(&w->path, "/", 1);
        if (r >= 0 && top->is_map) {
            r = buf_append(&w->path, buf_str(&w->key), w->key.len);
            top->want_key = true;
        } else if (r >= 0) {
            char idx[32];
            int k = snprintf(idx, sizeof(idx), "%zu", top->index++);
            r = buf_append(&w->path, idx, (size_t)k);
        }
        if (r < 0)
            return r;
    }
    json_t *hit = json_object_getn(w->wanted, buf_str(&w->path), w->path.len);
    if (hit) {
        struct tmpl_yaml_query *q = &w->q[json_integer_value(hit)];
        q->line = (int)e->start_mark.line + 1;
        q->column = (int)e->start_mark.column + 1;
        if (e->type == YAML_SCALAR_EVENT) {
            free(q->scalar);
            q->scalar = malloc(e->data.scalar.length + 1);
            if (!q->scalar)
                return -ENOMEM;
            memcpy(q->scalar, e->data.scalar.value, e->data.scalar.length);
            q->scalar[e->data.scalar.length] = '\0';
            q->scalar_len = e->data.scalar.length;
        }
        if (++w->found == w->n)
            return 1;
    }
    if (e->type == YAML_SEQUENCE_START_EVENT || e->type == YAML_MAPPING_START_EVENT) {
        if (w->depth == LOCATE_MAX_DEPTH)
            return 1;
        w->stack[w->depth++] = (struct frame){
                .is_map = e->type == YAML_MAPPING_START_EVENT,
                .want_key = true,
                .path_len = w->path.len,
        };
    }
    return 0;
}

static int on_event(struct walk *w, const yaml_event_t *e)
{
    struct frame *top = w->depth ? &w->stack[w->depth - 1] : NULL;

    switch (e->type) {
    case YAML_SCALAR_EVENT:
    case YAML_ALIAS_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (top && top->is_map && top->want_key) {
            if (e->type != YAML_SCALAR_EVENT)
                return 1; /* complex keys: give up */
            truncate_to(&w->key, 0);
            int r = append_escaped(&w->key, (const char *)e->data.scalar.value,
                                   e->data.scalar.length);
            if (r < 0)
                return r;
            top->want_key = false;
            return 0;
        }
        return on_node(w, e);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (w->depth > 0)
            w->depth--;
        return 0;
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT:
        return 1;
    default:
        return 0;
    }
}

int tmpl_yaml_locate(const char *yaml, size_t len, struct tmpl_yaml_query *q, size_t n)
{
    _cleanup_json_ json_t *wanted = json_object();
    struct walk w = {
            .path = BUF_INIT(1024u * 1024),
            .key = BUF_INIT(1024u * 1024),
            .q = q,
            .n = n,
    };
    yaml_parser_t parser;
    int r = 0;

    if (!wanted)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        q[i].line = q[i].column = 0;
        if (json_object_set_new_nocheck(wanted, q[i].pointer, json_integer((json_int_t)i)) < 0)
            return -ENOMEM;
    }
    if (n == 0)
        return 0;
    w.wanted = wanted;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    while (r == 0) {
        yaml_event_t e;
        if (!yaml_parser_parse(&parser, &e))
            break;
        r = on_event(&w, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&parser);
    buf_free(&w.path);
    buf_free(&w.key);
    return r < 0 ? r : 0;
}
