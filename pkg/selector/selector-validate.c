/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Qualified-name and label-value rules (k8s.io/apimachinery
 * pkg/util/validation), worded as upstream words them, and the helpers that
 * echo hostile input into error messages safely.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "selector/selector-internal.h"

#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MAX 63
#define QNAME_MSG                                                                               \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "      \
    "validation is '" QNAME_FMT "')"
#define DNS1123_LABEL_FMT     "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_MAX 253
#define DNS1123_SUBDOMAIN_MSG                                                                     \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "  \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
    "for validation is '" DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*')"
#define LABEL_VALUE_MAX 63
#define LABEL_VALUE_MSG                                                                         \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or " \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "          \
    "'my_value',  or '12345', regex used for validation is '(" QNAME_FMT ")?')"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there
 * are not one (overlong forms, surrogates and > U+10FFFF are invalid). */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int append_truncated(struct buf *b, const char *s, size_t len, bool quoted)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t limit = MIN(len, (size_t)SELECTOR_ECHO_MAX);
    int r;

    for (size_t i = 0; i < limit;) {
        size_t n = utf8_seq_len(u + i, len - i);
        char esc[8];

        if (n == 0) {
            if (quoted) {
                snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
                r = buf_append_str(b, esc);
            } else
                r = buf_append_str(b, "\xef\xbf\xbd"); /* U+FFFD */
            n = 1;
        } else if (!quoted || n > 1 || (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '"' && u[i] != '\\'))
            r = buf_append(b, s + i, n);
        else {
            const char *named = NULL;
            switch (u[i]) {
            case '"':
                named = "\\\"";
                break;
            case '\\':
                named = "\\\\";
                break;
            case '\a':
                named = "\\a";
                break;
            case '\b':
                named = "\\b";
                break;
            case '\f':
                named = "\\f";
                break;
            case '\n':
                named = "\\n";
                break;
            case '\r':
                named = "\\r";
                break;
            case '\t':
                named = "\\t";
                break;
            case '\v':
                named = "\\v";
                break;
            default:
                snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
                named = esc;
            }
            r = buf_append_str(b, named);
        }
        if (r < 0)
            return r;
        i += n;
    }
    if (len > limit)
        return buf_append_str(b, "...");
    return 0;
}

int selector_append_text(struct buf *b, const char *s, size_t len)
{
    return append_truncated(b, s, len, false);
}

int selector_append_quoted(struct buf *b, const char *s, size_t len)
{
    int r = buf_append_str(b, "\"");
    if (r < 0)
        return r;
    r = append_truncated(b, s, len, true);
    if (r < 0)
        return r;
    return buf_append_str(b, "\"");
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qualified_name(const char *s, size_t len)
{
    if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static bool match_dns1123_subdomain(const char *s, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        /* label s[start..i) */
        if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
            return false;
        for (size_t j = start; j < i; j++)
            if (!is_lower_alnum(s[j]) && s[j] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

/* Appends one reason, preceded by "; " unless it is the first. */
static int add_reason(struct buf *b, int *n, const char *prefix, const char *msg)
{
    int r = 0;

    if (*n > 0)
        r = buf_append_str(b, "; ");
    if (r >= 0 && prefix)
        r = buf_append_str(b, prefix);
    if (r >= 0)
        r = buf_append_str(b, msg);
    if (r < 0)
        return r;
    (*n)++;
    return 0;
}

int selector_check_qualified_name(struct buf *b, const char *key, size_t len)
{
    const char *slash = memchr(key, '/', len);
    const char *name = key;
    size_t name_len = len;
    int n = 0, r;

    if (slash) {
        const char *prefix = key;
        size_t prefix_len = (size_t)(slash - key);

        name = slash + 1;
        name_len = len - prefix_len - 1;
        if (memchr(name, '/', name_len)) {
            r = add_reason(b, &n, "a qualified name ", QNAME_MSG);
            if (r >= 0)
                r = buf_append_str(b, " with an optional DNS subdomain prefix and '/' (e.g. "
                                      "'example.com/MyName')");
            return r < 0 ? r : n;
        }
        if (prefix_len == 0)
            r = add_reason(b, &n, "prefix part ", "must be non-empty");
        else {
            r = 0;
            if (prefix_len > DNS1123_SUBDOMAIN_MAX)
                r = add_reason(b, &n, "prefix part ", "must be no more than 253 characters");
            if (r >= 0 && !match_dns1123_subdomain(prefix, prefix_len))
                r = add_reason(b, &n, "prefix part ", DNS1123_SUBDOMAIN_MSG);
        }
        if (r < 0)
            return r;
    }

    r = 0;
    if (name_len == 0)
        r = add_reason(b, &n, "name part ", "must be non-empty");
    else if (name_len > QNAME_MAX)
        r = add_reason(b, &n, "name part ", "must be no more than 63 characters");
    if (r >= 0 && !match_qualified_name(name, name_len))
        r = add_reason(b, &n, "name part ", QNAME_MSG);
    return r < 0 ? r : n;
}

int selector_check_label_value(struct buf *b, const char *value, size_t len)
{
    int n = 0, r = 0;

    if (len > LABEL_VALUE_MAX)
        r = add_reason(b, &n, NULL, "must be no more than 63 characters");
    if (r >= 0 && len > 0 && !match_qualified_name(value, len))
        r = add_reason(b, &n, NULL, LABEL_VALUE_MSG);
    return r < 0 ? r : n;
}

bool selector_parse_int64(const char *s, size_t len, int64_t *ret)
{
    bool neg = false;
    uint64_t v = 0, limit;
    size_t i = 0;

    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg)
        *ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *ret = (int64_t)v;
    return true;
}
