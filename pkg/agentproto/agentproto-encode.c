/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message encoder: struct agentproto_msg -> compact JSON text, checked
 * against the same field tables as the decoder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto/agentproto-internal.h"
#include "base/json-cleanup.h"

struct encode_ctx {
    const struct agentproto_msg *m;
    const char *type;
    json_t *root;
    char **ret_error;
};

static const void *slot(const struct agentproto_msg *m, size_t off)
{
    return (const char *)m + off;
}

static int field_fail(struct encode_ctx *c,
                      const struct agentproto_field *f,
                      const char *sub,
                      const char *what)
{
    return agentproto_errorf(c->ret_error, -EINVAL, "%s.%s%s%s%s: %s", c->type,
                             f->parent ? f->parent : "", f->parent ? "." : "", f->key, sub, what);
}

static bool utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = base_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

/* A copy of s[0..n) with every invalid UTF-8 byte replaced by U+FFFD. */
static json_t *repaired_string(const char *s, size_t n)
{
    _cleanup_free_ char *out = malloc(n * 3 + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t l = base_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (l == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, s + i, l);
        o += l;
        i += l;
    }
    return json_stringn(out, o);
}

/* Sets key in the message object, or in its parent object (made on demand). */
static int put(struct encode_ctx *c, const struct agentproto_field *f, json_t *v)
{
    json_t *obj = c->root;

    if (!v)
        return -ENOMEM;
    if (f->parent) {
        obj = json_object_get(c->root, f->parent);
        if (!obj) {
            obj = json_object();
            if (json_object_set_new(c->root, f->parent, obj) < 0) {
                json_decref(v);
                return -ENOMEM;
            }
        }
    }
    return json_object_set_new(obj, f->key, v) < 0 ? -ENOMEM : 0;
}

/* Length and content checks of one string; sub names a list entry. */
static int check_str(struct encode_ctx *c,
                     const struct agentproto_field *f,
                     const char *sub,
                     const char *s,
                     size_t max)
{
    size_t len = strlen(s);
    const char *bad;
    char what[64];

    if (len > max) {
        (void)snprintf(what, sizeof(what), "longer than %zu bytes", max);
        return field_fail(c, f, sub, what);
    }
    if (f->required && len == 0)
        return field_fail(c, f, sub, "must not be empty");
    bad = agentproto_check_string(f->check, s, len);
    if (bad)
        return field_fail(c, f, sub, bad);
    if (f->check != AGENTPROTO_C_MESSAGE && !utf8_valid(s, len))
        return field_fail(c, f, sub, "not valid UTF-8");
    return 0;
}

static int encode_str(struct encode_ctx *c, const struct agentproto_field *f)
{
    const char *s = *(const char *const *)slot(c->m, f->off);
    int r;

    if (!s)
        return f->required ? field_fail(c, f, "", "required") : 0;
    r = check_str(c, f, "", s, f->max);
    if (r < 0)
        return r;
    if (f->check == AGENTPROTO_C_MESSAGE && f->kind == AGENTPROTO_F_STR)
        return put(c, f, repaired_string(s, strlen(s)));
    return put(c, f, json_string(s));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int encode_strv(struct encode_ctx *c, const struct agentproto_field *f)
{
    const struct agentproto_strv *sv = slot(c->m, f->off);
    _cleanup_free_ const char **sorted = NULL;
    _cleanup_json_ json_t *arr = NULL;
    char sub[32], what[64];
    int r;

    if (sv->n == 0)
        return 0;
    if (!sv->v)
        return field_fail(c, f, "", "has entries but no array");
    if (sv->n > f->max) {
        (void)snprintf(what, sizeof(what), "more than %zu entries", f->max);
        return field_fail(c, f, "", what);
    }
    sorted = malloc(sv->n * sizeof(*sorted));
    arr = json_array();
    if (!sorted || !arr)
        return -ENOMEM;
    for (size_t i = 0; i < sv->n; i++) {
        (void)snprintf(sub, sizeof(sub), "[%zu]", i);
        if (!sv->v[i])
            return field_fail(c, f, sub, "must not be NULL");
        r = check_str(c, f, sub, sv->v[i], AGENTPROTO_ARG_MAX);
        if (r < 0)
            return r;
        if (f->check == AGENTPROTO_C_MESSAGE && !utf8_valid(sv->v[i], strlen(sv->v[i])))
            return field_fail(c, f, sub, "not valid UTF-8");
        sorted[i] = sv->v[i];
    }
    /* Upstream sends the environment as sorted "K=V" strings. */
    if (f->check == AGENTPROTO_C_ENV)
        qsort(sorted, sv->n, sizeof(*sorted), cmp_str);
    for (size_t i = 0; i < sv->n; i++)
        if (json_array_append_new(arr, json_string(sorted[i])) < 0)
            return -ENOMEM;
    return put(c, f, TAKE_PTR(arr));
}

static int encode_int(struct encode_ctx *c, const struct agentproto_field *f)
{
    int64_t i = *(const int64_t *)slot(c->m, f->off);
    char what[96];

    if (i < f->min || i > f->imax) {
        (void)snprintf(what, sizeof(what), "must be between %lld and %lld", (long long)f->min,
                       (long long)f->imax);
        return field_fail(c, f, "", what);
    }
    if (!f->required && i == 0)
        return 0;
    return put(c, f, json_integer(i));
}

static int encode_time_or_duration(struct encode_ctx *c, const struct agentproto_field *f)
{
    char buf[AGENTPROTO_DURATION_STRLEN > AGENTPROTO_TIME_STRLEN ? AGENTPROTO_DURATION_STRLEN
                                                                 : AGENTPROTO_TIME_STRLEN];

    if (!*(const bool *)slot(c->m, f->has_off))
        return f->required ? field_fail(c, f, "", "required") : 0;
    if (f->kind == AGENTPROTO_F_TIME) {
        if (agentproto_time_format(slot(c->m, f->off), buf) < 0)
            return field_fail(c, f, "", "timestamp out of range");
    } else
        (void)agentproto_duration_format(*(const int64_t *)slot(c->m, f->off), buf);
    return put(c, f, json_string(buf));
}

static int encode_state(struct encode_ctx *c, const struct agentproto_field *f)
{
    enum agentproto_state st = *(const enum agentproto_state *)slot(c->m, f->off);
    const char *name = agentproto_state_to_string(st);

    if (st == AGENTPROTO_STATE_UNSET)
        return f->required ? field_fail(c, f, "", "required") : 0;
    if (!name)
        return field_fail(c, f, "", "is not RUNNING, SUCCESS, FAILED or TIMEOUT");
    return put(c, f, json_string(name));
}

static int encode_object(struct encode_ctx *c, const struct agentproto_field *f)
{
    const json_t *v = *(const json_t *const *)slot(c->m, f->off);
    char what[64];

    if (!v)
        return f->required ? field_fail(c, f, "", "required") : 0;
    if (!json_is_object(v))
        return field_fail(c, f, "", "must be an object");
    if (!agentproto_json_depth_ok(v, AGENTPROTO_ATTRIBUTES_MAX_DEPTH)) {
        (void)snprintf(what, sizeof(what), "nested deeper than %d levels",
                       AGENTPROTO_ATTRIBUTES_MAX_DEPTH);
        return field_fail(c, f, "", what);
    }
    return put(c, f, json_incref((json_t *)v));
}

static int encode_field(struct encode_ctx *c, const struct agentproto_field *f)
{
    switch (f->kind) {
    case AGENTPROTO_F_STR:
        return encode_str(c, f);
    case AGENTPROTO_F_INT:
        return encode_int(c, f);
    case AGENTPROTO_F_STRV:
        return encode_strv(c, f);
    case AGENTPROTO_F_TIME:
    case AGENTPROTO_F_DURATION:
        return encode_time_or_duration(c, f);
    case AGENTPROTO_F_STATE:
        return encode_state(c, f);
    case AGENTPROTO_F_OBJECT:
        return encode_object(c, f);
    default:
        return field_fail(c, f, "", "has an unknown kind");
    }
}

int agentproto_encode(const struct agentproto_msg *m, char **ret, size_t *ret_len, char **ret_error)
{
    _cleanup_json_ json_t *root = NULL;
    _cleanup_free_ char *text = NULL;
    struct agentproto_fields fields;
    const char *type;
    size_t len;
    int r;

    assert_return(m, -EINVAL);
    assert_return(ret, -EINVAL);
    type = agentproto_type_to_string(m->type);
    if (!type)
        return agentproto_errorf(ret_error, -EINVAL, "type: unknown message type %d", (int)m->type);
    root = json_pack("{s:i, s:s}", "v", AGENTPROTO_VERSION, "type", type);
    if (!root)
        return -ENOMEM;
    fields = agentproto_fields_of(m->type);
    for (size_t i = 0; i < fields.n; i++) {
        r = encode_field(&(struct encode_ctx){m, type, root, ret_error}, &fields.v[i]);
        if (r < 0)
            return r;
    }
    text = json_dumps(root, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    len = strlen(text);
    if (len > AGENTPROTO_MSG_MAX)
        return agentproto_errorf(ret_error, -EMSGSIZE, "message: encoded size %zu exceeds %d bytes",
                                 len, AGENTPROTO_MSG_MAX);
    if (ret_len)
        *ret_len = len;
    *ret = TAKE_PTR(text);
    return 0;
}
