/* SPDX-License-Identifier: Apache-2.0 */
/* Cleaning text read from the machine or produced by actions. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"
#include "base/utf8.h"

static bool is_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

char *agent_text_clean(const char *s, size_t n, size_t max)
{
    size_t o = 0;
    char *out;

    while (n > 0 && is_ws((unsigned char)s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_ws((unsigned char)s[n - 1]))
        n--;
    out = malloc(MIN(n, max) + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x20 || c == 0x7f ? 0 : base_utf8_decode(s + i, n - i, NULL);
        size_t w = l == 0 ? 1 : l;
        if (o + w > max)
            break;
        if (l == 0)
            out[o] = '?';
        else
            memcpy(out + o, s + i, l);
        o += w;
        i += l == 0 ? 1 : l;
    }
    /* Cutting may leave whitespace at the end again. */
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return out;
}

char *agent_message_clean(const char *s, size_t n, size_t max)
{
    size_t o = 0, start = 0;
    char *out;

    while (n > 0 && is_ws((unsigned char)s[n - 1]))
        n--;
    if (n > SIZE_MAX / 3 - 1)
        return NULL;
    out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t l = s[i] == '\0' ? 0 : base_utf8_decode(s + i, n - i, NULL);
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
    if (o > max) {
        /* Keep the end, starting on a character boundary. */
        start = o - max;
        while (start < o && ((unsigned char)out[start] & 0xc0) == 0x80)
            start++;
        memmove(out, out + start, o - start);
        o -= start;
    }
    out[o] = '\0';
    return out;
}
