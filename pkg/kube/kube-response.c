/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From an HTTP answer to the result of a call: the body of a 2xx answer is
 * the result; anything else is a Status (or, from proxies and some error
 * paths, plain text) turned into struct kube_error and an errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

#define RETRY_AFTER_MAX 86400L

long kube_retry_after_parse(const char *value, int64_t now_unix)
{
    size_t n;
    long v = 0;

    if (!value)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    n = strspn(value, "0123456789");
    if (n > 0 && value[n + strspn(value + n, " \t\r\n")] == '\0') {
        /* RFC 9110 section 10.2.3: delay-seconds = 1*DIGIT */
        for (size_t i = 0; i < n; i++) {
            v = v * 10 + (value[i] - '0');
            if (v > RETRY_AFTER_MAX)
                return RETRY_AFTER_MAX;
        }
        return v;
    }
    /* ... or an HTTP-date. */
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1 || (int64_t)t <= now_unix)
        return 0;
    return (int64_t)t - now_unix > RETRY_AFTER_MAX ? RETRY_AFTER_MAX
                                                   : (long)((int64_t)t - now_unix);
}

static bool only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
            return false;
    return true;
}

/* A non-Status error body as a one-line message. */
static void message_from_text(struct kube_error *e, const char *body, size_t len)
{
    size_t n = 0;

    while (len > 0 && strchr(" \t\r\n", *body) && *body) {
        body++;
        len--;
    }
    for (size_t i = 0; i < len && n < sizeof(e->message) - 1; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n')
            break;
        e->message[n++] = ch < ' ' || ch == 0x7f ? ' ' : (char)ch;
    }
    while (n > 0 && e->message[n - 1] == ' ')
        n--;
    e->message[n] = '\0';
}

int kube_response_finish(long http_code,
                         const char *body,
                         size_t len,
                         long retry_after_header,
                         json_t **ret,
                         struct kube_error *err)
{
    _cleanup_json_ json_t *v = NULL;
    struct kube_error local = {0};
    struct kube_error *e = err ? err : &local;
    int r;

    if (!body)
        len = 0;
    if (http_code >= 200 && http_code < 300) {
        if (only_space(body, len))
            v = json_object();
        else
            v = json_loadb(body, len, JSON_DECODE_ANY, NULL);
        if (!v) {
            (void)kube_error_local(err, len ? -EBADMSG : -ENOMEM,
                                   "the answer (HTTP %ld) is not JSON", http_code);
            if (err)
                err->http_code = http_code;
            return len ? -EBADMSG : -ENOMEM;
        }
        if (ret)
            *ret = TAKE_PTR(v);
        return 0;
    }

    if (len > 0)
        v = json_loadb(body, len, 0, NULL);
    r = kube_error_from_status(e, http_code, v);
    if (r < 0) {
        kube_error_clear(&local);
        return r;
    }
    if (e->reason[0] == '\0' && e->message[0] == '\0')
        message_from_text(e, body, len);
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof(e->message), "the server answered HTTP %ld", http_code);
    if (retry_after_header > 0)
        e->retry_after = retry_after_header;
    r = kube_error_to_errno(e);
    if (r == -EAGAIN && e->retry_after <= 0)
        e->retry_after = 1;
    kube_error_clear(&local);
    return r;
}
