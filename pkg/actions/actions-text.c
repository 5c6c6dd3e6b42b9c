/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output tails and message text. Whatever a command prints is untrusted
 * bytes; a status message must be valid UTF-8 of bounded size, so every
 * path into a message goes through actions_text_append().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions/actions-internal.h"
#include "base/utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

int actions_tail_init(struct actions_tail *t, size_t cap)
{
    assert_return(t, -EINVAL);
    *t = (struct actions_tail){.cap = cap};
    if (cap > 0) {
        t->data = malloc(cap);
        if (!t->data)
            return -ENOMEM;
    }
    return 0;
}

void actions_tail_append(struct actions_tail *t, const void *p, size_t n)
{
    const char *s = p;
    t->total += n;
    if (t->cap == 0)
        return;
    if (n >= t->cap) {
        memcpy(t->data, s + (n - t->cap), t->cap);
        t->start = 0;
        t->len = t->cap;
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t end = (t->start + t->len) % t->cap;
        if (t->len == t->cap) {
            /* Full: overwrite the oldest bytes. */
            size_t chunk = MIN(n - i, t->cap - t->start);
            memcpy(t->data + t->start, s + i, chunk);
            t->start = (t->start + chunk) % t->cap;
            i += chunk;
        } else {
            size_t room = t->cap - t->len;
            size_t chunk = MIN(MIN(n - i, room), t->cap - end);
            memcpy(t->data + end, s + i, chunk);
            t->len += chunk;
            i += chunk;
        }
    }
}

void actions_tail_done(struct actions_tail *t)
{
    if (!t)
        return;
    free(t->data);
    *t = (struct actions_tail){0};
}

int actions_text_append(struct buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t run = 0; /* start of the pending run of valid bytes */
    size_t i = 0;
    int r;
    while (i < n) {
        size_t l = s[i] ? base_utf8_decode(s + i, n - i, NULL) : 0;
        if (l > 0) {
            i += l;
            continue;
        }
        r = buf_append(out, s + run, i - run);
        if (r < 0)
            return r;
        r = buf_append(out, REPLACEMENT, 3);
        if (r < 0)
            return r;
        i++;
        run = i;
    }
    return buf_append(out, s + run, n - run);
}

int actions_tail_render(const struct actions_tail *t, struct buf *out)
{
    assert_return(t && out, -EINVAL);
    if (t->len == 0)
        return 0;
    _cleanup_free_ char *flat = malloc(t->len);
    if (!flat)
        return -ENOMEM;
    size_t first = MIN(t->len, t->cap - t->start);
    memcpy(flat, t->data + t->start, first);
    memcpy(flat + first, t->data, t->len - first);
    size_t skip = 0;
    int r;
    if (t->total > t->len) {
        r = buf_printf(out, "[%" PRIu64 " bytes not shown]\n", t->total - t->len);
        if (r < 0)
            return r;
        /* The cut may have split a character: drop its continuation bytes. */
        while (skip < 3 && skip < t->len && ((unsigned char)flat[skip] & 0xc0) == 0x80)
            skip++;
    }
    return actions_text_append(out, flat + skip, t->len - skip);
}

int actions_text_take_message(struct buf *b, char **ret)
{
    assert_return(b && ret, -EINVAL);
    if (b->len > AGENTPROTO_MESSAGE_MAX) {
        size_t cut = AGENTPROTO_MESSAGE_MAX - 3;
        while (cut > 0 && ((unsigned char)b->data[cut] & 0xc0) == 0x80)
            cut--;
        memcpy(b->data + cut, "...", 3);
        b->len = cut + 3;
        b->data[b->len] = '\0';
    }
    char *m = buf_take(b, NULL);
    if (!m)
        return -ENOMEM;
    *ret = m;
    return 0;
}

void actions_format_size(uint64_t bytes, char ret[static ACTIONS_SIZE_STRLEN])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(ret, ACTIONS_SIZE_STRLEN, "%" PRIu64 " B", bytes);
        return;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1024.0;
        u++;
    }
    snprintf(ret, ACTIONS_SIZE_STRLEN, "%.1f %s", v, units[u]);
}

uint64_t actions_now_usec(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
