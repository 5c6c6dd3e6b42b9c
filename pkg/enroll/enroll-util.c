/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by the enroll sources: error messages and JSON access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/enroll-internal.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one (RFC 3629: no overlongs, no surrogates, no code
 * points past U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

void enroll_utf8_sanitize(char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        if (l == 0) {
            s[i++] = '?';
            continue;
        }
        i += l;
    }
}

bool enroll_utf8_valid(const char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

int enroll_errorf(char **ret_error, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    if (!ret_error)
        return -EINVAL;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    enroll_utf8_sanitize(s);
    *ret_error = s;
    return -EINVAL;
}

const char *enroll_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
