/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watch stream framing: newline-delimited JSON events (the Go JSON
 * encoder of the API server ends every event with '\n'), arriving in HTTP
 * chunks that do not line up with events. The splitter is resumable: a
 * partial line waits in a buffer capped at max_line, complete lines inside a
 * chunk are handed out without copying. Whether a stream fails with -E2BIG
 * and which lines come out before does not depend on how it was chunked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

/* Buffers grown past this for one long event are released afterwards. */
#define SPLITTER_KEEP_CAP ((size_t)1024 * 1024)

int kube_line_splitter_new(struct kube_line_splitter **ret, size_t max_line)
{
    struct kube_line_splitter *s;

    assert_return(ret, -EINVAL);
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->max_line = max_line ? max_line : KUBE_DEFAULT_MAX_LINE;
    s->pending = BUF_INIT(s->max_line);
    *ret = s;
    return 0;
}

struct kube_line_splitter *kube_line_splitter_free(struct kube_line_splitter *s)
{
    if (!s)
        return NULL;
    buf_free(&s->pending);
    free(s);
    return NULL;
}

size_t kube_line_splitter_pending(const struct kube_line_splitter *s)
{
    return s ? s->pending.len : 0;
}

static int splitter_fail(struct kube_line_splitter *s, int r)
{
    s->failed = r;
    buf_free(&s->pending);
    return r;
}

/* Completes the buffered line with n more bytes and hands it out. */
static int splitter_finish_pending(
        struct kube_line_splitter *s, const char *p, size_t n, kube_line_fn fn, void *userdata)
{
    int r;

    if (n > s->max_line - s->pending.len)
        return -E2BIG;
    r = buf_append(&s->pending, p, n);
    if (r < 0)
        return r;
    r = fn(s->pending.data, s->pending.len, userdata);
    if (s->pending.cap > SPLITTER_KEEP_CAP)
        buf_free(&s->pending);
    else
        buf_reset(&s->pending);
    return r;
}

int kube_line_splitter_feed(
        struct kube_line_splitter *s, const char *data, size_t len, kube_line_fn fn, void *userdata)
{
    const char *p = data, *end = data + len;
    int r;

    assert_return(s && fn && (data || len == 0), -EINVAL);
    if (s->failed)
        return s->failed;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            /* The start (or more) of a line: keep it for the next feed. */
            size_t n = (size_t)(end - p);
            if (n > s->max_line - s->pending.len)
                return splitter_fail(s, -E2BIG);
            r = buf_append(&s->pending, p, n);
            if (r < 0)
                return splitter_fail(s, r);
            return 0;
        }
        size_t n = (size_t)(nl - p);
        if (s->pending.len > 0)
            r = splitter_finish_pending(s, p, n, fn, userdata);
        else if (n > s->max_line)
            r = -E2BIG;
        else
            r = fn(p, n, userdata);
        if (r < 0)
            return splitter_fail(s, r);
        p = nl + 1;
    }
    return 0;
}

static const char *const event_names[_KUBE_EVENT_MAX] = {
        [KUBE_EVENT_ADDED] = "ADDED",     [KUBE_EVENT_MODIFIED] = "MODIFIED",
        [KUBE_EVENT_DELETED] = "DELETED", [KUBE_EVENT_BOOKMARK] = "BOOKMARK",
        [KUBE_EVENT_ERROR] = "ERROR",
};

int kube_watch_event_decode(const char *line,
                            size_t len,
                            enum kube_event_type *ret_type,
                            json_t **ret_object)
{
    _cleanup_json_ json_t *root = NULL;
    const char *type;
    json_t *object;

    assert_return(line || len == 0, -EINVAL);
    assert_return(ret_type && ret_object, -EINVAL);

    root = json_loadb(line, len, 0, NULL);
    if (!json_is_object(root))
        return -EBADMSG;
    type = json_string_value(json_object_get(root, "type"));
    object = json_object_get(root, "object");
    if (!type || !json_is_object(object))
        return -EBADMSG;
    for (size_t i = 0; i < _KUBE_EVENT_MAX; i++)
        if (strcmp(type, event_names[i]) == 0) {
            *ret_type = (enum kube_event_type)i;
            *ret_object = json_incref(object);
            return 0;
        }
    return -EBADMSG;
}
