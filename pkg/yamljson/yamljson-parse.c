/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML text -> json_t, built from libyaml parser events with an explicit
 * stack (no recursion on hostile input).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/macro.h"
#include "yamljson/yamljson-internal.h"
#include "yamljson/yamljson.h"

struct frame {
    json_t *value;      /* the object or array being filled (owned) */
    char *anchor;       /* registered when the collection ends (owned) */
    size_t nodes;       /* values in the subtree, itself included */
    size_t bytes;       /* scalar and key bytes in the subtree */
    size_t child_depth; /* deepest collection nesting among the children */
    char *key;          /* pending mapping key (owned) */
    size_t key_len;
    bool has_key;
};

struct builder {
    struct frame frames[YAMLJSON_MAX_DEPTH];
    size_t depth;
    json_t *root;    /* the finished document (owned) */
    bool root_empty; /* the document had no content at all */
    json_t *anchors; /* name -> [value, nodes, bytes, depth] */
    size_t alias_nodes, alias_bytes;
    struct yamljson_error *err;
};

/* Cuts s at the end of its last complete UTF-8 sequence, so a message
 * truncated by snprintf() stays valid UTF-8. */
static void utf8_trim(char *s)
{
    size_t len = strlen(s), i = 0, good = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (i + n > len)
            break;
        i += n;
        good = i;
    }
    s[good] = '\0';
}

_printf_(4, 5) static int report(
        struct yamljson_error *err, size_t line, size_t column, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return 0;
    err->line = line + 1 > (size_t)INT32_MAX ? INT32_MAX : (int)(line + 1);
    err->column = column + 1 > (size_t)INT32_MAX ? INT32_MAX : (int)(column + 1);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    utf8_trim(err->message);
    return 0;
}

#define fail(b, mark, ...) (report((b)->err, (mark).line, (mark).column, __VA_ARGS__), -EBADMSG)

static void frame_done(struct frame *f)
{
    json_decref(f->value);
    free(f->anchor);
    free(f->key);
    *f = (struct frame){};
}

/* Forgets the current document (anchors are per document). */
static void builder_reset(struct builder *b)
{
    while (b->depth > 0)
        frame_done(&b->frames[--b->depth]);
    json_decref(b->root);
    b->root = NULL;
    b->root_empty = false;
    json_object_clear(b->anchors);
    b->alias_nodes = b->alias_bytes = 0;
}

static bool expecting_key(const struct builder *b)
{
    const struct frame *f = b->depth > 0 ? &b->frames[b->depth - 1] : NULL;
    return f && json_is_object(f->value) && !f->has_key;
}

static int register_anchor(struct builder *b,
                           const char *name,
                           json_t *value,
                           size_t nodes,
                           size_t bytes,
                           size_t depth)
{
    json_t *entry =
            json_pack("[O,I,I,I]", value, (json_int_t)nodes, (json_int_t)bytes, (json_int_t)depth);
    if (!entry || json_object_set_new(b->anchors, name, entry) < 0)
        return -ENOMEM;
    return 0;
}

/* Hands v (owned) to the open collection, or makes it the document. */
static int add_value(struct builder *b, json_t *v, size_t nodes, size_t bytes, size_t depth)
{
    struct frame *f;
    int r;

    if (b->depth == 0) {
        json_decref(b->root);
        b->root = v;
        return 0;
    }
    f = &b->frames[b->depth - 1];
    f->nodes += nodes;
    f->bytes += bytes;
    f->child_depth = MAX(f->child_depth, depth);
    if (json_is_array(f->value))
        return json_array_append_new(f->value, v) < 0 ? -ENOMEM : 0;
    r = json_object_setn_new(f->value, f->key, f->key_len, v);
    free(f->key);
    f->key = NULL;
    f->has_key = false;
    return r < 0 ? -ENOMEM : 0;
}

static int set_key(struct builder *b, const char *s, size_t len, yaml_mark_t mark)
{
    struct frame *f = &b->frames[b->depth - 1];

    if (memchr(s, '\0', len))
        /* jansson cannot read such a key back from JSON text either. */
        return fail(b, mark, "a mapping key must not contain a NUL character");
    if (json_object_getn(f->value, s, len))
        return fail(b, mark, "duplicate mapping key \"%.*s\"", (int)MIN(len, (size_t)64), s);
    f->key = malloc(len + 1);
    if (!f->key)
        return -ENOMEM;
    memcpy(f->key, s, len);
    f->key[len] = '\0';
    f->key_len = len;
    f->has_key = true;
    f->bytes += len;
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *e)
{
    const char *tag = (const char *)e->data.scalar.tag;
    const char *anchor = (const char *)e->data.scalar.anchor;
    const char *s = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *why = NULL;
    json_t *v = NULL;
    int r;

    if (expecting_key(b)) {
        /* Keys are their source text, whatever type the text resolves to;
         * an anchored key is remembered as that text. */
        if (anchor) {
            v = json_stringn(s, len);
            r = v ? register_anchor(b, anchor, v, 1, len, 0) : -ENOMEM;
            json_decref(v);
            if (r < 0)
                return r;
        }
        return set_key(b, s, len, e->start_mark);
    }
    r = yamljson_resolve_scalar(tag, s, len, plain, &v, &why);
    if (r == -EBADMSG)
        return fail(b, e->start_mark, "%s", why);
    if (r < 0)
        return r;
    if (anchor) {
        r = register_anchor(b, anchor, v, 1, len, 0);
        if (r < 0) {
            json_decref(v);
            return r;
        }
    }
    if (b->depth == 0 && len == 0 && plain && !tag && !anchor)
        b->root_empty = true;
    return add_value(b, v, 1, len, 0);
}

/* The text of a scalar used as a key through an alias. */
static int
alias_key_text(const json_t *v, char *buf, size_t size, const char **ret, size_t *ret_len)
{
    if (json_is_string(v)) {
        *ret = json_string_value(v);
        *ret_len = json_string_length(v);
        return 0;
    }
    if (json_is_object(v) || json_is_array(v))
        return -EBADMSG;
    *ret_len = json_dumpb(v, buf, size, JSON_ENCODE_ANY);
    if (*ret_len == 0 || *ret_len > size)
        return -ENOMEM;
    *ret = buf;
    return 0;
}

static int on_alias(struct builder *b, const yaml_event_t *e)
{
    const char *name = (const char *)e->data.alias.anchor;
    json_t *entry = json_object_get(b->anchors, name), *v, *copy;
    size_t nodes, bytes, depth;

    if (!entry)
        return fail(b, e->start_mark, "unknown anchor \"%.64s\"", name);
    v = json_array_get(entry, 0);
    nodes = (size_t)json_integer_value(json_array_get(entry, 1));
    bytes = (size_t)json_integer_value(json_array_get(entry, 2));
    depth = (size_t)json_integer_value(json_array_get(entry, 3));

    b->alias_nodes += nodes;
    b->alias_bytes += bytes;
    if (b->alias_nodes > YAMLJSON_MAX_ALIAS_NODES || b->alias_bytes > YAMLJSON_MAX_ALIAS_BYTES)
        return fail(b, e->start_mark, "aliases expand to more than %d nodes or %u bytes",
                    YAMLJSON_MAX_ALIAS_NODES, YAMLJSON_MAX_ALIAS_BYTES);
    if (b->depth + depth > YAMLJSON_MAX_DEPTH)
        return fail(b, e->start_mark, "alias nests deeper than %d levels", YAMLJSON_MAX_DEPTH);

    if (expecting_key(b)) {
        char buf[64];
        const char *text;
        size_t len;
        int r = alias_key_text(v, buf, sizeof(buf), &text, &len);
        if (r == -EBADMSG)
            return fail(b, e->start_mark, "a mapping key must be a scalar");
        if (r < 0)
            return r;
        return set_key(b, text, len, e->start_mark);
    }
    copy = json_deep_copy(v);
    if (!copy)
        return -ENOMEM;
    return add_value(b, copy, nodes, bytes, depth);
}

/* Rejects a core scalar tag (or the other collection's tag) on a
 * collection. */
static int
check_collection_tag(struct builder *b, const yaml_event_t *e, const char *tag, bool mapping)
{
    static const char *const scalar_tags[] = {"str", "int", "bool", "float", "null"};
    const char *name;

    if (!tag || strncmp(tag, YAMLJSON_TAG_PREFIX, strlen(YAMLJSON_TAG_PREFIX)) != 0)
        return 0;
    name = tag + strlen(YAMLJSON_TAG_PREFIX);
    for (size_t i = 0; i < ARRAY_SIZE(scalar_tags); i++)
        if (strcmp(name, scalar_tags[i]) == 0)
            return fail(b, e->start_mark, "tag !!%s cannot apply to a %s", name,
                        mapping ? "mapping" : "sequence");
    if (strcmp(name, mapping ? "seq" : "map") == 0)
        return fail(b, e->start_mark, "tag !!%s cannot apply to a %s", name,
                    mapping ? "mapping" : "sequence");
    return 0;
}

static int on_start(struct builder *b, const yaml_event_t *e, bool mapping)
{
    const char *tag =
            (const char *)(mapping ? e->data.mapping_start.tag : e->data.sequence_start.tag);
    const char *anchor =
            (const char *)(mapping ? e->data.mapping_start.anchor : e->data.sequence_start.anchor);
    struct frame *f;
    int r;

    if (expecting_key(b))
        return fail(b, e->start_mark, "a mapping key must be a scalar");
    r = check_collection_tag(b, e, tag, mapping);
    if (r < 0)
        return r;
    if (b->depth >= YAMLJSON_MAX_DEPTH)
        return fail(b, e->start_mark, "collections nest deeper than %d levels", YAMLJSON_MAX_DEPTH);

    f = &b->frames[b->depth];
    *f = (struct frame){.value = mapping ? json_object() : json_array(), .nodes = 1};
    if (!f->value)
        return -ENOMEM;
    b->depth++;
    if (anchor) {
        f->anchor = strdup(anchor);
        if (!f->anchor)
            return -ENOMEM;
    }
    return 0;
}

static int on_end(struct builder *b)
{
    struct frame f;
    int r = 0;

    if (b->depth == 0)
        return 0; /* libyaml never does this */
    f = b->frames[--b->depth];
    b->frames[b->depth] = (struct frame){};
    if (f.anchor)
        r = register_anchor(b, f.anchor, f.value, f.nodes, f.bytes, f.child_depth + 1);
    if (r >= 0) {
        r = add_value(b, TAKE_PTR(f.value), f.nodes, f.bytes, f.child_depth + 1);
    }
    frame_done(&f);
    return r;
}

static int on_event(struct builder *b, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        builder_reset(b);
        return 0;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, e);
    case YAML_ALIAS_EVENT:
        return on_alias(b, e);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, e, false);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, e, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b);
    default:
        return 0;
    }
}

static int parser_failed(struct builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
    size_t line = p->problem_mark.line, column = p->problem_mark.column;
    const char *problem = p->problem ? p->problem : "invalid YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return -ENOMEM;
    if (p->error == YAML_READER_ERROR) {
        /* Encoding errors carry a byte offset rather than a mark. */
        size_t off = MIN(p->problem_offset, len), start = 0;
        line = 0;
        for (size_t i = 0; i < off; i++)
            if (text[i] == '\n') {
                line++;
                start = i + 1;
            }
        column = off - start;
    }
    if (p->context)
        report(b->err, line, column, "%s: %s", p->context, problem);
    else
        report(b->err, line, column, "%s", problem);
    return -EBADMSG;
}

/* Collection nesting of v, computed no further than limit + 1. */
static size_t nesting(const json_t *v, size_t limit)
{
    size_t max = 0, idx;
    const char *key;
    json_t *child;

    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (limit == 0)
        return 1;
    if (json_is_array(v)) {
        json_array_foreach(v, idx, child)
        {
            size_t d = nesting(child, limit - 1);
            max = MAX(max, d);
        }
    } else {
        json_object_foreach((json_t *)v, key, child)
        {
            size_t d = nesting(child, limit - 1);
            max = MAX(max, d);
        }
    }
    return 1 + max;
}

/* JSON that libyaml rejects (e.g. surrogate-pair escapes) is still JSON. */
static json_t *parse_as_json(const char *text, size_t len)
{
    size_t i = 0;
    json_t *v;

    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len || (text[i] != '{' && text[i] != '['))
        return NULL;
    v = json_loadb(text + i, len - i, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (v && nesting(v, YAMLJSON_MAX_DEPTH) > YAMLJSON_MAX_DEPTH) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Parses the stream; documents go to *docs (an array) when all, else the
 * only document to *single. */
static int parse_stream(
        struct builder *b, const char *text, size_t len, bool all, json_t *docs, json_t **single)
{
    yaml_parser_t parser;
    yaml_event_t e;
    yaml_mark_t doc_mark = {};
    bool done = false;
    int r = 0;

    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done && r >= 0) {
        if (!yaml_parser_parse(&parser, &e)) {
            r = parser_failed(b, &parser, text, len);
            break;
        }
        if (e.type == YAML_DOCUMENT_START_EVENT)
            doc_mark = e.start_mark;
        r = on_event(b, &e);
        if (r >= 0 && e.type == YAML_DOCUMENT_END_EVENT && b->root && !b->root_empty) {
            if (all)
                r = json_array_append_new(docs, TAKE_PTR(b->root)) < 0 ? -ENOMEM : 0;
            else if (*single) {
                report(b->err, doc_mark.line, doc_mark.column,
                       "expected one YAML document, found more");
                r = -E2BIG;
            } else
                *single = TAKE_PTR(b->root);
        }
        done = e.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&parser);
    return r;
}

static int
parse(const char *text, size_t len, bool all, json_t **ret, struct yamljson_error *reterr)
{
    _cleanup_(json_decrefp) json_t *docs = NULL;
    _cleanup_(json_decrefp) json_t *single = NULL;
    _cleanup_free_ struct builder *b = NULL;
    int r;

    assert_return(text || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);

    b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->err = reterr;
    b->anchors = json_object();
    docs = all ? json_array() : NULL;
    if (!b->anchors || (all && !docs)) {
        json_decref(b->anchors);
        return -ENOMEM;
    }

    r = parse_stream(b, text ? text : "", len, all, docs, &single);
    builder_reset(b);
    json_decref(b->anchors);
    if (r == -EBADMSG) {
        json_t *v = parse_as_json(text, len);
        if (v) {
            r = 0;
            if (all)
                (void)json_array_clear(docs);
            if (all && json_array_append_new(docs, v) < 0)
                r = -ENOMEM;
            else if (!all) {
                json_decref(single);
                single = v;
            }
        }
    }
    if (r < 0)
        return r;
    if (!all && !single) {
        report(reterr, 0, 0, "no YAML document found");
        return -ENODATA;
    }
    *ret = all ? TAKE_PTR(docs) : TAKE_PTR(single);
    return 0;
}

int yamljson_parse(const char *text, size_t len, json_t **ret, struct yamljson_error *reterr)
{
    return parse(text, len, false, ret, reterr);
}

int yamljson_parse_all(const char *text, size_t len, json_t **ret, struct yamljson_error *reterr)
{
    return parse(text, len, true, ret, reterr);
}
