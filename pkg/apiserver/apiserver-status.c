/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "base/json-cleanup.h"

void api_response_init(struct api_response *r)
{
    *r = (struct api_response){.status = 0, .body = BUF_INIT(512u * 1024 * 1024)};
}

void api_response_clear(struct api_response *r)
{
    buf_free(&r->body);
    free(r->warning);
    api_watch_spec_free(r->watch);
    *r = (struct api_response){0};
}

int api_respond_raw(struct api_response *r, int code, const char *ctype, const char *text, size_t n)
{
    r->status = code;
    r->content_type = ctype;
    buf_reset(&r->body);
    return buf_append(&r->body, text, n);
}

int api_respond_json(struct api_response *r, int code, json_t *body)
{
    _cleanup_json_ json_t *b = body;
    if (!b)
        return -ENOMEM;
    char *text = json_dumps(b, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    int ret = api_respond_raw(r, code, "application/json", text, strlen(text));
    free(text);
    return ret;
}

json_t *api_details(const char *name, const char *group, const char *kind)
{
    json_t *d = json_object();
    if (!d)
        return NULL;
    if (name)
        json_object_set_new(d, "name", json_string(name));
    if (group && *group)
        json_object_set_new(d, "group", json_string(group));
    if (kind)
        json_object_set_new(d, "kind", json_string(kind));
    return d;
}

int api_respond_status(
        struct api_response *r, int code, const char *reason, json_t *details, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                           "metadata", "status", "Failure", "message", msg, "reason", reason,
                           "code", code);
    if (!st) {
        json_decref(details);
        return -ENOMEM;
    }
    if (details)
        json_object_set_new(st, "details", details);
    if (r->retry_after > 0 && details)
        json_object_set_new(details, "retryAfterSeconds", json_integer(r->retry_after));
    return api_respond_json(r, code, st);
}

void api_qualified(const struct api_resource *res, char *out, size_t n)
{
    if (res->group[0])
        snprintf(out, n, "%s.%s", res->plural, res->group);
    else
        snprintf(out, n, "%s", res->plural);
}
