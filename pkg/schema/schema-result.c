/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Results, causes, paths and the per-call context.
 *
 * A cause's message is apimachinery's field.Error.ErrorBody(): the reason's
 * text ("Invalid value"), then ": <bad value>" unless the reason omits it
 * (Required, Forbidden, TooLong), then ": <detail>" when there is one.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

static const char *const reason_names[_SCHEMA_REASON_MAX] = {
        [SCHEMA_REASON_INVALID] = "FieldValueInvalid",
        [SCHEMA_REASON_TYPE_INVALID] = "FieldValueTypeInvalid",
        [SCHEMA_REASON_REQUIRED] = "FieldValueRequired",
        [SCHEMA_REASON_NOT_SUPPORTED] = "FieldValueNotSupported",
        [SCHEMA_REASON_TOO_LONG] = "FieldValueTooLong",
        [SCHEMA_REASON_TOO_MANY] = "FieldValueTooMany",
        [SCHEMA_REASON_DUPLICATE] = "FieldValueDuplicate",
        [SCHEMA_REASON_FORBIDDEN] = "FieldValueForbidden",
};

static const char *const reason_texts[_SCHEMA_REASON_MAX] = {
        [SCHEMA_REASON_INVALID] = "Invalid value",
        [SCHEMA_REASON_TYPE_INVALID] = "Invalid value",
        [SCHEMA_REASON_REQUIRED] = "Required value",
        [SCHEMA_REASON_NOT_SUPPORTED] = "Unsupported value",
        [SCHEMA_REASON_TOO_LONG] = "Too long",
        [SCHEMA_REASON_TOO_MANY] = "Too many",
        [SCHEMA_REASON_DUPLICATE] = "Duplicate value",
        [SCHEMA_REASON_FORBIDDEN] = "Forbidden",
};

const char *schema_reason_name(enum schema_reason r)
{
    return r < _SCHEMA_REASON_MAX ? reason_names[r] : "FieldValueInvalid";
}

static void cause_free(struct schema_cause *c)
{
    free(c->type);
    free(c->field);
    free(c->message);
    *c = (struct schema_cause){0};
}

void schema_result_clear(struct schema_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_causes; i++)
        cause_free(&r->causes[i]);
    free(r->causes);
    for (size_t i = 0; i < r->n_unknown; i++)
        free(r->unknown[i]);
    free(r->unknown);
    *r = (struct schema_result){0};
}

int schema_cause_format(const struct schema_cause *c, char **ret)
{
    assert_return(c && c->field && c->message && ret, -EINVAL);
    char *s = NULL;
    if (asprintf(&s, "%s: %s", c->field, c->message) < 0)
        return -ENOMEM;
    *ret = s;
    return 0;
}

void schema_causes_clear(struct schema_causes *l)
{
    for (size_t i = 0; i < l->n; i++)
        cause_free(&l->v[i]);
    free(l->v);
    *l = (struct schema_causes){0};
}

static int causes_reserve(struct schema_causes *l, size_t more)
{
    if (l->n + more <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap : 8;
    while (cap < l->n + more)
        cap *= 2;
    struct schema_cause *v = realloc(l->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

int schema_causes_move(struct schema_causes *dst, struct schema_causes *src)
{
    if (src->n == 0)
        return 0;
    int r = causes_reserve(dst, src->n);
    if (r < 0)
        return r;
    memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
    dst->n += src->n;
    free(src->v);
    *src = (struct schema_causes){0};
    return 0;
}

bool schema_causes_blocking(const struct schema_causes *l)
{
    static const char *const blocking[] = {"FieldValueTypeInvalid", "FieldValueNotSupported"};
    for (size_t i = 0; i < l->n; i++)
        for (size_t j = 0; j < ARRAY_SIZE(blocking); j++)
            if (strcmp(l->v[i].type, blocking[j]) == 0)
                return true;
    return false;
}

/* Builds ErrorBody() for the reason, value and detail. */
static int error_body(struct buf *b, enum schema_reason r, const char *value, const char *detail)
{
    int k = buf_append_str(b, reason_texts[r]);
    bool omit = r == SCHEMA_REASON_REQUIRED || r == SCHEMA_REASON_FORBIDDEN ||
                r == SCHEMA_REASON_TOO_LONG || !value;
    if (k == 0 && !omit)
        k = buf_printf(b, ": %s", value);
    if (k == 0 && detail && *detail)
        k = buf_printf(b, ": %s", detail);
    return k;
}

int schema_cause_add(struct schema_ctx *c, enum schema_reason r, const char *field,
                     const char *value, const char *detail)
{
    _cleanup_buf_ struct buf body = BUF_INIT(SCHEMA_MSG_MAX);
    int k = error_body(&body, r, value, detail);
    if (k == -E2BIG) {
        /* an oversized message is cut rather than lost */
        buf_reset(&body);
        k = buf_printf(&body, "%s: (message too long)", reason_texts[r]);
    }
    if (k < 0)
        return k;
    k = causes_reserve(c->out, 1);
    if (k < 0)
        return k;
    struct schema_cause cause = {
            .type = strdup(schema_reason_name(r)),
            .field = strdup(field ? field : "<nil>"),
            .message = buf_take(&body, NULL),
    };
    if (!cause.type || !cause.field || !cause.message) {
        cause_free(&cause);
        return -ENOMEM;
    }
    c->out->v[c->out->n++] = cause;
    return 0;
}

int schema_path_raw(struct schema_path *p, const char *s)
{
    size_t old = p->b.len;
    int r = buf_append_str(&p->b, s);
    if (r < 0)
        return r;
    return (int)old;
}

int schema_path_child(struct schema_path *p, const char *name)
{
    size_t old = p->b.len;
    int r = 0;
    if (old > 0)
        r = buf_append(&p->b, ".", 1);
    if (r == 0)
        r = buf_append_str(&p->b, name);
    if (r < 0)
        return r;
    return (int)old;
}

int schema_path_index(struct schema_path *p, size_t i)
{
    size_t old = p->b.len;
    int r = buf_printf(&p->b, "[%zu]", i);
    if (r < 0)
        return r;
    return (int)old;
}

int schema_path_key(struct schema_path *p, const char *key)
{
    size_t old = p->b.len;
    int r = buf_printf(&p->b, "[%s]", key);
    if (r < 0)
        return r;
    return (int)old;
}

void schema_path_pop(struct schema_path *p, int len)
{
    if (len < 0 || (size_t)len > p->b.len)
        return;
    p->b.len = (size_t)len;
    if (p->b.data)
        p->b.data[len] = '\0';
}

const char *schema_path_str(const struct schema_path *p)
{
    return p->b.len ? p->b.data : "<nil>";
}

int schema_ctx_charge(struct schema_ctx *c, size_t units)
{
    if (units > SCHEMA_MAX_NODES || c->work > SCHEMA_MAX_NODES - units)
        return -E2BIG;
    c->work += units;
    return 0;
}

void schema_ctx_done(struct schema_ctx *c)
{
    schema_rx_cache_clear(&c->rx);
    for (size_t i = 0; i < c->cel.n; i++)
        cel_program_free(c->cel.v[i].prog);
    free(c->cel.v);
    c->cel = (struct schema_cel_cache){0};
}
