/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed reads and checked writes on jansson objects, conditions and Events:
 * the small vocabulary the state machine is written in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/workflow-internal.h"

const char *wf_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *wf_str_or_empty(const json_t *obj, const char *key)
{
    const char *s = wf_str(obj, key);
    return s ? s : "";
}

int64_t wf_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

bool wf_true(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

json_t *wf_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *wf_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

bool wf_streq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

int wf_set(json_t *obj, const char *key, json_t *value)
{
    if (!value)
        return -ENOMEM;
    return json_object_set_new(obj, key, value) < 0 ? -ENOMEM : 0;
}

int wf_update(json_t *obj, json_t *fields)
{
    if (!fields)
        return -ENOMEM;
    int r = json_object_update(obj, fields) < 0 ? -ENOMEM : 0;
    json_decref(fields);
    return r;
}

int wf_set_str(json_t *obj, const char *key, const char *value)
{
    return wf_set(obj, key, json_string(value ? value : ""));
}

int wf_set_int(json_t *obj, const char *key, int64_t value)
{
    return wf_set(obj, key, json_integer((json_int_t)value));
}

int wf_set_bool(json_t *obj, const char *key, bool value)
{
    return wf_set(obj, key, json_boolean(value));
}

json_t *wf_obj_ensure(json_t *obj, const char *key)
{
    json_t *v = wf_obj(obj, key);
    if (v)
        return v;
    v = json_object();
    if (!v || json_object_set_new(obj, key, v) < 0)
        return NULL;
    return v;
}

size_t wf_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    /* Step back over continuation bytes to the start of the cut character. */
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/* Length of the well-formed UTF-8 sequence at p (at most avail bytes), or 0:
 * no overlong forms, surrogates or values past U+10FFFF, the rule jansson
 * applies to strings. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0], n;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07;
    else
        return 0;
    if (avail - 1 < n)
        return 0;
    for (unsigned k = 1; k <= n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n + 1;
}

bool wf_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n) {
        n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n == 0)
            return false;
    }
    return true;
}

void wf_utf8_scrub(char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n) {
        n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n == 0) {
            s[i] = '?';
            n = 1;
        }
    }
}

json_t *wf_message_string(const char *s)
{
    _cleanup_free_ char *copy = NULL;

    if (!s)
        s = "";
    size_t len = wf_utf8_cut(s, strlen(s), WORKFLOW_MESSAGE_MAX);
    if (wf_utf8_valid(s, len))
        return json_stringn(s, len);
    copy = strndup(s, len);
    if (!copy)
        return NULL;
    wf_utf8_scrub(copy, len);
    return json_stringn(copy, len);
}

json_t *wf_condition_get(const json_t *status, const char *type)
{
    json_t *conds = wf_arr(status, "conditions");
    json_t *c;
    size_t i;

    json_array_foreach(conds, i, c) {
        if (wf_streq(wf_str(c, "type"), type))
            return c;
    }
    return NULL;
}

int wf_condition_set(json_t *status,
                     const char *type,
                     const char *cstatus,
                     const char *reason,
                     const char *message,
                     int64_t now_ms)
{
    char now[WORKFLOW_TIME_LEN + 1];
    json_t *c = wf_condition_get(status, type);
    json_t *msg;

    msg = wf_message_string(message);
    if (!msg)
        return -ENOMEM;
    if (c && wf_streq(wf_str(c, "status"), cstatus) && wf_streq(wf_str(c, "reason"), reason) &&
        wf_streq(wf_str(c, "message"), json_string_value(msg))) {
        json_decref(msg);
        return 0;
    }
    if (workflow_time_format(now_ms, now) < 0)
        memcpy(now, "1970-01-01T00:00:00Z", sizeof(now));

    json_t *n = json_pack("{s:s, s:s, s:s, s:o, s:s}", "type", type, "status", cstatus, "reason",
                          reason, "message", msg, "time", now);
    if (!n)
        return -ENOMEM;
    if (c) {
        int r = json_object_update(c, n) < 0 ? -ENOMEM : 1;
        json_decref(n);
        return r;
    }

    json_t *conds = wf_arr(status, "conditions");
    if (!conds) {
        conds = json_array();
        if (wf_set(status, "conditions", conds) < 0) {
            json_decref(n);
            return -ENOMEM;
        }
    }
    return json_array_append_new(conds, n) < 0 ? -ENOMEM : 1;
}

void wf_event(struct workflow_plan *p, const char *type, const char *reason, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    va_list ap;
    int n;

    if (p->n_events >= WORKFLOW_EVENTS_MAX)
        return;
    struct workflow_event *e = &p->events[p->n_events++];
    e->type = type;
    e->reason = reason;
    e->message[0] = '\0';
    va_start(ap, fmt);
    n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        text = NULL; /* contents unspecified on failure */
        return;
    }
    size_t len = wf_utf8_cut(text, (size_t)n, sizeof(e->message) - 1);
    memcpy(e->message, text, len);
    e->message[len] = '\0';
    wf_utf8_scrub(e->message, len);
}

void workflow_plan_done(struct workflow_plan *p)
{
    if (!p)
        return;
    json_decref(p->status);
    *p = (struct workflow_plan){0};
}
