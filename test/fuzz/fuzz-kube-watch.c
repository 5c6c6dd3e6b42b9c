/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watch streams: the bytes after a two-byte header are a watch response
 * body. They go through the line splitter, event decoding and ERROR
 * handling (struct kube_watch_state) three times: in one piece, one byte at
 * a time, and cut at boundaries drawn from the first header byte. All three
 * must end the same way and deliver the same events: how HTTP chunks fall
 * must never change what a watcher sees. The second header byte picks the
 * line cap (small, to reach -E2BIG) and an event at which the callback
 * stops the watch.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kube/kube-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
    uint64_t hash; /* FNV-1a over every delivered (type, object) */
    uint64_t events;
    unsigned stop_at;
    int ret;
    size_t pending;
};

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= UINT64_C(0x100000001b3);
    }
}

static int on_event(enum kube_event_type type, json_t *object, void *userdata)
{
    struct outcome *o = userdata;
    char *dump;

    if ((unsigned)type >= _KUBE_EVENT_MAX || type == KUBE_EVENT_ERROR || !json_is_object(object))
        abort(); /* ERROR events never reach the callback */
    fnv(&o->hash, &type, sizeof(type));
    dump = json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS);
    if (dump) {
        fnv(&o->hash, dump, strlen(dump));
        free(dump);
    }
    o->events++;
    if (o->stop_at && o->events == o->stop_at)
        return -EPIPE;
    return 0;
}

static void run(const char *s,
                size_t n,
                size_t max_line,
                unsigned stop_at,
                uint8_t seed,
                int mode,
                struct outcome *o)
{
    struct kube_error err = {0};
    struct kube_watch_state w;
    uint32_t x = seed * 2654435761u + 1;
    size_t pos = 0;
    int r = 0;

    memset(o, 0, sizeof(*o));
    o->hash = UINT64_C(0xcbf29ce484222325);
    o->stop_at = stop_at;
    if (kube_watch_state_init(&w, max_line, on_event, o, &err) < 0)
        abort();
    while (pos < n && r == 0) {
        size_t k;
        if (mode == 0)
            k = n - pos;
        else if (mode == 1)
            k = 1;
        else {
            x = x * 1103515245u + 12345u;
            k = 1 + (x >> 16) % 97;
        }
        if (k > n - pos)
            k = n - pos;
        r = kube_watch_state_feed(&w, s + pos, k);
        pos += k;
        if (kube_line_splitter_pending(&w.splitter) > w.splitter.max_line)
            abort();
    }
    o->ret = r;
    o->pending = kube_line_splitter_pending(&w.splitter);
    if (r < 0 && (err.message[0] == '\0' || !memchr(err.message, '\0', sizeof(err.message))))
        abort();
    kube_error_clear(&err);
    kube_watch_state_done(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {16, 64, 100, 256, 1024, 4096, 65536, 0};
    struct outcome a, b, c;

    if (size < 2 || size > 256 * 1024)
        return 0;
    size_t max_line = caps[data[1] & 7];
    unsigned stop_at = (data[1] >> 3) & 7; /* 0: never */
    const char *s = (const char *)data + 2;
    size_t n = size - 2;

    run(s, n, max_line, stop_at, data[0], 0, &a);
    run(s, n, max_line, stop_at, data[0], 1, &b);
    run(s, n, max_line, stop_at, data[0], 2, &c);
    if (a.ret != b.ret || a.ret != c.ret || a.events != b.events || a.events != c.events ||
        a.hash != b.hash || a.hash != c.hash)
        abort();
    if (a.ret == 0 && (a.pending != b.pending || a.pending != c.pending))
        abort();
    switch (a.ret) {
    case 0:
    case -E2BIG:
    case -EBADMSG:
    case -EPIPE:
    case -ENOMEM:
    /* ERROR events map their Status to any errno of kube.h */
    case -ENOENT:
    case -EEXIST:
    case -ECANCELED:
    case -ESTALE:
    case -EINVAL:
    case -EACCES:
    case -EAGAIN:
    case -ETIMEDOUT:
    case -EIO:
        break;
    default:
        abort();
    }
    return 0;
}
