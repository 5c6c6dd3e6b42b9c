/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's encoding/json output for Sprig's toJson, toPrettyJson and toRawJson:
 * keys sorted, HTML characters escaped as \u003c (unless raw), invalid UTF-8
 * replaced by U+FFFD, U+2028/U+2029 escaped, and floats in Go's shortest
 * form (exponent only below 1e-6 or from 1e21). jansson's own encoder
 * differs on every one of these points, hence this writer; reading JSON
 * stays with jansson.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

static int encode_string(struct buf *b, const char *s, size_t n, bool html)
{
    static const char hex[] = "0123456789abcdef";
    int r = buf_append(b, "\"", 1);

    for (size_t i = 0; r >= 0 && i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c < 0x80) {
            const char *e = NULL;
            switch (c) {
            case '"':
                e = "\\\"";
                break;
            case '\\':
                e = "\\\\";
                break;
            case '\n':
                e = "\\n";
                break;
            case '\r':
                e = "\\r";
                break;
            case '\t':
                e = "\\t";
                break;
            case '\b':
                e = "\\b";
                break;
            case '\f':
                e = "\\f";
                break;
            default:
                break;
            }
            if (e)
                r = buf_append_str(b, e);
            else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&'))) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                r = buf_append(b, esc, 6);
            } else
                r = buf_append(b, s + i, 1);
            i++;
            continue;
        }
        uint32_t rune;
        size_t w = tmpl_utf8_decode(s + i, n - i, &rune);
        if (rune == 0xfffd && w == 1)
            r = buf_append_str(b, "\\ufffd");
        else if (rune == 0x2028 || rune == 0x2029)
            r = buf_append_str(b, rune == 0x2028 ? "\\u2028" : "\\u2029");
        else
            r = buf_append(b, s + i, w);
        i += w;
    }
    return r < 0 ? r : buf_append(b, "\"", 1);
}

static int encode_float(struct buf *b, double d)
{
    char digits[32];
    int nd, dp, r = 0;
    double a = fabs(d);

    if (signbit(d) && d != 0)
        r = buf_append(b, "-", 1);
    if (r < 0)
        return r;
    tmpl_float_digits(a, digits, &nd, &dp);
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        /* 'e' with the shortest digits; Go writes e-7, not e-07 */
        char tmp[16];
        r = buf_append(b, digits, 1);
        if (r >= 0 && nd > 1) {
            r = buf_append(b, ".", 1);
            if (r >= 0)
                r = buf_append(b, digits + 1, (size_t)nd - 1);
        }
        int exp = dp - 1;
        (void)snprintf(tmp, sizeof(tmp), "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        if (exp < 0 && exp > -10)
            (void)snprintf(tmp, sizeof(tmp), "e-%d", -exp);
        return r < 0 ? r : buf_append_str(b, tmp);
    }
    if (dp > 0) {
        for (int i = 0; r >= 0 && i < dp; i++)
            r = buf_append(b, i < nd ? digits + i : "0", 1);
    } else
        r = buf_append(b, "0", 1);
    if (r >= 0 && nd > dp) {
        r = buf_append(b, ".", 1);
        for (int i = dp; r >= 0 && i < nd; i++)
            r = buf_append(b, i >= 0 ? digits + i : "0", 1);
    }
    return r;
}

static int newline(struct buf *b, bool pretty, unsigned depth)
{
    int r;
    if (!pretty)
        return 0;
    r = buf_append(b, "\n", 1);
    for (unsigned i = 0; r >= 0 && i < depth; i++)
        r = buf_append(b, "  ", 2);
    return r;
}

static int
encode(struct tmpl_exec *x, struct buf *b, const json_t *v, bool pretty, bool html, unsigned depth)
{
    char tmp[32];
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return buf_append_str(b, "null");
    case JSON_TRUE:
        return buf_append_str(b, "true");
    case JSON_FALSE:
        return buf_append_str(b, "false");
    case JSON_INTEGER:
        (void)snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_append_str(b, tmp);
    case JSON_REAL:
        return encode_float(b, json_real_value(v));
    case JSON_STRING:
        return encode_string(b, json_string_value(v), json_string_length(v), html);
    case JSON_ARRAY:
        if (json_array_size(v) == 0)
            return buf_append_str(b, "[]");
        r = buf_append(b, "[", 1);
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
            if (i > 0)
                r = buf_append(b, ",", 1);
            if (r >= 0)
                r = newline(b, pretty, depth + 1);
            if (r >= 0)
                r = encode(x, b, json_array_get(v, i), pretty, html, depth + 1);
        }
        if (r >= 0)
            r = newline(b, pretty, depth);
        return r < 0 ? r : buf_append(b, "]", 1);
    case JSON_OBJECT: {
        _cleanup_free_ struct tmpl_member *m = NULL;
        size_t n;
        if (json_object_size(v) == 0)
            return buf_append_str(b, "{}");
        r = tmpl_sorted_members(x, v, &m, &n);
        if (r < 0)
            return r;
        r = buf_append(b, "{", 1);
        for (size_t i = 0; r >= 0 && i < n; i++) {
            if (i > 0)
                r = buf_append(b, ",", 1);
            if (r >= 0)
                r = newline(b, pretty, depth + 1);
            if (r >= 0)
                r = encode_string(b, m[i].key, m[i].key_len, html);
            if (r >= 0)
                r = buf_append_str(b, pretty ? ": " : ":");
            if (r >= 0)
                r = encode(x, b, m[i].value, pretty, html, depth + 1);
        }
        if (r >= 0)
            r = newline(b, pretty, depth);
        return r < 0 ? r : buf_append(b, "}", 1);
    }
    }
    return -EINVAL;
}

int tmpl_json_encode(struct tmpl_exec *x, struct buf *b, const json_t *v, bool pretty, bool html)
{
    return encode(x, b, v, pretty, html, 0);
}
