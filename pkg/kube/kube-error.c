/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status errors: decoding a metav1.Status into struct kube_error and
 * classifying it as k8s.io/apimachinery/pkg/api/errors does. The reason
 * decides first; only a reason that is empty or not one of the standard
 * StatusReasons falls back to the HTTP code (IsNotFound accepts "an unknown
 * reason with code 404"; a non-Status 404 body becomes NotFound through
 * NewGenericServerResponse, which an empty reason with 404 reproduces here).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kube/kube-internal.h"

/* The StatusReasons of metav1 (types.go) with a fixed meaning. */
static const char *const known_reasons[] = {
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "Gone",
        "Invalid",
        "ServerTimeout",
        "StoreReadError",
        "Timeout",
        "TooManyRequests",
        "BadRequest",
        "MethodNotAllowed",
        "NotAcceptable",
        "RequestEntityTooLarge",
        "UnsupportedMediaType",
        "InternalError",
        "Expired",
        "ServiceUnavailable",
};

void kube_error_clear(struct kube_error *e)
{
    if (!e)
        return;
    json_decref(e->causes);
    memset(e, 0, sizeof(*e));
}

static bool reason_known(const struct kube_error *e)
{
    for (size_t i = 0; i < ARRAY_SIZE(known_reasons); i++)
        if (strcmp(e->reason, known_reasons[i]) == 0)
            return true;
    return false;
}

static bool reason_is(const struct kube_error *e, const char *reason)
{
    return strcmp(e->reason, reason) == 0;
}

/* reason == want, or an unknown reason with the code. */
static bool classify(const struct kube_error *e, const char *want, long code)
{
    if (!e)
        return false;
    if (reason_is(e, want))
        return true;
    return !reason_known(e) && e->http_code == code;
}

bool kube_is_not_found(const struct kube_error *e)
{
    return classify(e, "NotFound", 404);
}

bool kube_is_conflict(const struct kube_error *e)
{
    return classify(e, "Conflict", 409);
}

bool kube_is_already_exists(const struct kube_error *e)
{
    /* apierrors.IsAlreadyExists looks at the reason only. */
    return e && reason_is(e, "AlreadyExists");
}

/* client-go's reflector (isTooLargeResourceVersionError): a Timeout whose
 * causes carry ResourceVersionTooLarge, or whose message says so. */
static bool is_too_large_rv(const struct kube_error *e)
{
    size_t i;
    json_t *cause;

    if (!reason_is(e, "Timeout") && !(e->http_code == 504 && !reason_known(e)))
        return false;
    json_array_foreach(e->causes, i, cause) {
        const char *r = json_string_value(json_object_get(cause, "reason"));
        if (r && strcmp(r, "ResourceVersionTooLarge") == 0)
            return true;
    }
    return strstr(e->message, "Too large resource version") != NULL;
}

bool kube_is_gone(const struct kube_error *e)
{
    if (!e)
        return false;
    if (reason_is(e, "Expired") || classify(e, "Gone", 410))
        return true;
    return is_too_large_rv(e);
}

bool kube_is_invalid(const struct kube_error *e)
{
    return classify(e, "Invalid", 422);
}

bool kube_is_too_many_requests(const struct kube_error *e)
{
    return classify(e, "TooManyRequests", 429);
}

int kube_error_to_errno(const struct kube_error *e)
{
    if (kube_is_not_found(e))
        return -ENOENT;
    if (kube_is_already_exists(e))
        return -EEXIST;
    if (kube_is_conflict(e))
        return -ECANCELED;
    if (kube_is_gone(e))
        return -ESTALE;
    if (kube_is_invalid(e) || classify(e, "BadRequest", 400))
        return -EINVAL;
    if (classify(e, "Unauthorized", 401) || classify(e, "Forbidden", 403))
        return -EACCES;
    if (kube_is_too_many_requests(e) || classify(e, "ServiceUnavailable", 503))
        return -EAGAIN;
    if (classify(e, "Timeout", 504))
        return -ETIMEDOUT;
    return -EIO;
}

/* Copies src into a fixed field, cutting at a UTF-8 character boundary. */
static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool looks_like_status(const json_t *o)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (kind)
        return strcmp(kind, "Status") == 0;
    return json_is_string(json_object_get(o, "status"));
}

int kube_error_from_status(struct kube_error *e, long http_code, const json_t *status_or_null)
{
    const json_t *details, *v;

    assert_return(e, -EINVAL);
    memset(e, 0, sizeof(*e));
    e->http_code = http_code;
    if (!json_is_object(status_or_null) || !looks_like_status(status_or_null))
        return 0;

    v = json_object_get(status_or_null, "code");
    if (http_code <= 0 && json_is_integer(v) && json_integer_value(v) > 0 &&
        json_integer_value(v) < 1000)
        e->http_code = (long)json_integer_value(v);
    v = json_object_get(status_or_null, "reason");
    if (json_is_string(v))
        copy_field(e->reason, sizeof(e->reason), json_string_value(v));
    v = json_object_get(status_or_null, "message");
    if (json_is_string(v))
        copy_field(e->message, sizeof(e->message), json_string_value(v));

    details = json_object_get(status_or_null, "details");
    v = json_object_get(details, "retryAfterSeconds");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        e->retry_after = json_integer_value(v) > 86400 ? 86400 : (long)json_integer_value(v);
    v = json_object_get(details, "causes");
    if (json_is_array(v) && json_array_size(v) > 0) {
        e->causes = json_deep_copy(v);
        if (!e->causes)
            return -ENOMEM;
    }
    return 0;
}

int kube_error_local(struct kube_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    memset(err, 0, sizeof(*err));
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}
