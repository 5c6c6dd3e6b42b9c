/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message decoder: JSON text from the network -> struct agentproto_msg.
 * Strings in the result point into the parsed jansson tree, which the
 * decoded message owns; lists are small pointer arrays owned alongside.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto/agentproto-internal.h"
#include "base/json-cleanup.h"

#define MAX_LISTS 3 /* STRV fields of the largest message (action) */

struct decoded {
    struct agentproto_msg msg;
    json_t *root;
    const char **lists[MAX_LISTS];
    size_t n_lists;
};

struct decode_ctx {
    struct decoded *d;
    const char *type;
    char **ret_error;
};

struct agentproto_msg *agentproto_msg_free(struct agentproto_msg *m)
{
    struct decoded *d;

    if (!m)
        return NULL;
    d = container_of(m, struct decoded, msg);
    for (size_t i = 0; i < d->n_lists; i++)
        free(d->lists[i]);
    json_decref(d->root);
    free(d);
    return NULL;
}

static struct decoded *decoded_free(struct decoded *d)
{
    if (d)
        (void)agentproto_msg_free(&d->msg);
    return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct decoded *, decoded_free);

static void *slot(struct decoded *d, size_t off)
{
    return (char *)&d->msg + off;
}

/* Fails with -EBADMSG and "<type>.[<parent>.]<key><sub>: <what>". */
static int field_fail(struct decode_ctx *c,
                      const struct agentproto_field *f,
                      const char *sub,
                      const char *what)
{
    return agentproto_errorf(c->ret_error, -EBADMSG, "%s.%s%s%s%s: %s", c->type,
                             f->parent ? f->parent : "", f->parent ? "." : "", f->key, sub, what);
}

static int decode_str(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    size_t len = json_string_length(v);
    const char *bad;
    char what[64];

    if (!json_is_string(v))
        return field_fail(c, f, "", "must be a string");
    if (len > f->max) {
        (void)snprintf(what, sizeof(what), "longer than %zu bytes", f->max);
        return field_fail(c, f, "", what);
    }
    if (f->required && len == 0)
        return field_fail(c, f, "", "must not be empty");
    bad = agentproto_check_string(f->check, json_string_value(v), len);
    if (bad)
        return field_fail(c, f, "", bad);
    *(const char **)slot(c->d, f->off) = json_string_value(v);
    return 0;
}

static int decode_int(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    json_int_t i = json_integer_value(v);
    char what[96];

    if (!json_is_integer(v))
        return field_fail(c, f, "", "must be an integer");
    if (i < f->min || i > f->imax) {
        (void)snprintf(what, sizeof(what), "must be between %lld and %lld", (long long)f->min,
                       (long long)f->imax);
        return field_fail(c, f, "", what);
    }
    *(int64_t *)slot(c->d, f->off) = i;
    return 0;
}

static int decode_strv(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    size_t n = json_array_size(v);
    const char **list;
    char sub[32], what[64];

    if (!json_is_array(v))
        return field_fail(c, f, "", "must be an array of strings");
    if (n > f->max) {
        (void)snprintf(what, sizeof(what), "more than %zu entries", f->max);
        return field_fail(c, f, "", what);
    }
    if (n == 0)
        return 0;
    if (c->d->n_lists >= MAX_LISTS)
        return -ENOMEM; /* a table error; cannot happen with the shipped tables */
    list = calloc(n, sizeof(*list));
    if (!list)
        return -ENOMEM;
    c->d->lists[c->d->n_lists++] = list;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        const char *bad;

        (void)snprintf(sub, sizeof(sub), "[%zu]", i);
        if (!json_is_string(e))
            return field_fail(c, f, sub, "must be a string");
        if (json_string_length(e) > AGENTPROTO_ARG_MAX) {
            (void)snprintf(what, sizeof(what), "longer than %d bytes", AGENTPROTO_ARG_MAX);
            return field_fail(c, f, sub, what);
        }
        bad = agentproto_check_string(f->check, json_string_value(e), json_string_length(e));
        if (bad)
            return field_fail(c, f, sub, bad);
        list[i] = json_string_value(e);
    }
    *(struct agentproto_strv *)slot(c->d, f->off) = (struct agentproto_strv){list, n};
    return 0;
}

static int
decode_time_or_duration(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    const char *s = json_string_value(v);
    int r;

    if (!s)
        return field_fail(c, f, "", "must be a string");
    if (json_string_length(v) > 64 || strlen(s) != json_string_length(v))
        return field_fail(c, f, "",
                          f->kind == AGENTPROTO_F_TIME ? "not an RFC 3339 timestamp"
                                                       : "not a Go duration");
    if (f->kind == AGENTPROTO_F_TIME) {
        r = agentproto_time_parse(s, slot(c->d, f->off));
        if (r < 0)
            return field_fail(c, f, "",
                              r == -ERANGE ? "timestamp out of range"
                                           : "not an RFC 3339 timestamp");
    } else {
        r = agentproto_duration_parse(s, slot(c->d, f->off));
        if (r < 0)
            return field_fail(c, f, "",
                              r == -ERANGE ? "duration out of range" : "not a Go duration");
    }
    *(bool *)slot(c->d, f->has_off) = true;
    return 0;
}

static int decode_state(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    enum agentproto_state st = agentproto_state_from_string(json_string_value(v));
    char what[128];

    if (!json_is_string(v))
        return field_fail(c, f, "", "must be a string");
    if (st == AGENTPROTO_STATE_UNSET) {
        (void)snprintf(what, sizeof(what), "\"%.32s\" is not RUNNING, SUCCESS, FAILED or TIMEOUT",
                       json_string_value(v));
        return field_fail(c, f, "", what);
    }
    *(enum agentproto_state *)slot(c->d, f->off) = st;
    return 0;
}

static int decode_object(struct decode_ctx *c, const struct agentproto_field *f, const json_t *v)
{
    char what[64];

    if (!json_is_object(v))
        return field_fail(c, f, "", "must be an object");
    if (!agentproto_json_depth_ok(v, AGENTPROTO_ATTRIBUTES_MAX_DEPTH)) {
        (void)snprintf(what, sizeof(what), "nested deeper than %d levels",
                       AGENTPROTO_ATTRIBUTES_MAX_DEPTH);
        return field_fail(c, f, "", what);
    }
    *(const json_t **)slot(c->d, f->off) = v;
    return 0;
}

static int decode_field(struct decode_ctx *c, const struct agentproto_field *f)
{
    const json_t *obj = c->d->root, *v;

    if (f->parent) {
        obj = json_object_get(obj, f->parent);
        if (obj && !json_is_null(obj) && !json_is_object(obj))
            return agentproto_errorf(c->ret_error, -EBADMSG, "%s.%s: must be an object", c->type,
                                     f->parent);
    }
    v = json_object_get(obj, f->key);
    if (!v || json_is_null(v))
        return f->required ? field_fail(c, f, "", "required") : 0;
    switch (f->kind) {
    case AGENTPROTO_F_STR:
        return decode_str(c, f, v);
    case AGENTPROTO_F_INT:
        return decode_int(c, f, v);
    case AGENTPROTO_F_STRV:
        return decode_strv(c, f, v);
    case AGENTPROTO_F_TIME:
    case AGENTPROTO_F_DURATION:
        return decode_time_or_duration(c, f, v);
    case AGENTPROTO_F_STATE:
        return decode_state(c, f, v);
    case AGENTPROTO_F_OBJECT:
        return decode_object(c, f, v);
    default:
        return field_fail(c, f, "", "has an unknown kind");
    }
}

/* Checks "v" and "type"; returns the type or a negative errno. */
static int decode_header(const json_t *root, char **ret_error)
{
    const json_t *v = json_object_get(root, "v"), *t = json_object_get(root, "type");
    enum agentproto_type type;

    if (!v)
        return agentproto_errorf(ret_error, -EBADMSG, "v: required");
    if (!json_is_integer(v))
        return agentproto_errorf(ret_error, -EBADMSG, "v: must be an integer");
    if (json_integer_value(v) != AGENTPROTO_VERSION)
        return agentproto_errorf(ret_error, -EPROTONOSUPPORT,
                                 "v: version %lld is not supported (this side speaks %d)",
                                 (long long)json_integer_value(v), AGENTPROTO_VERSION);
    if (!t)
        return agentproto_errorf(ret_error, -EBADMSG, "type: required");
    if (!json_is_string(t))
        return agentproto_errorf(ret_error, -EBADMSG, "type: must be a string");
    type = agentproto_type_from_string(json_string_value(t));
    if (type == _AGENTPROTO_TYPE_INVALID)
        return agentproto_errorf(ret_error, -EBADMSG, "type: unknown message type \"%.64s\"",
                                 json_string_value(t));
    return (int)type;
}

int agentproto_decode(const void *data, size_t len, struct agentproto_msg **ret, char **ret_error)
{
    _cleanup_(decoded_freep) struct decoded *d = NULL;
    struct agentproto_fields fields;
    json_error_t err;
    int type, r;

    assert_return(ret, -EINVAL);
    assert_return(data || len == 0, -EINVAL);
    if (len > AGENTPROTO_MSG_MAX)
        return agentproto_errorf(ret_error, -EMSGSIZE, "message: longer than %d bytes",
                                 AGENTPROTO_MSG_MAX);
    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->root = json_loadb(len ? data : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!d->root)
        return agentproto_errorf(ret_error, -EBADMSG,
                                 "message: invalid JSON at line %d column %d: %s", err.line,
                                 err.column, err.text);
    if (!json_is_object(d->root))
        return agentproto_errorf(ret_error, -EBADMSG, "message: must be a JSON object");
    type = decode_header(d->root, ret_error);
    if (type < 0)
        return type;
    d->msg.type = (enum agentproto_type)type;
    fields = agentproto_fields_of(d->msg.type);
    for (size_t i = 0; i < fields.n; i++) {
        r = decode_field(&(struct decode_ctx){d, agentproto_type_to_string(d->msg.type), ret_error},
                         &fields.v[i]);
        if (r < 0)
            return r;
    }
    *ret = &TAKE_PTR(d)->msg;
    return 0;
}
