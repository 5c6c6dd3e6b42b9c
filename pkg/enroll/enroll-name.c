/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object-name mangling (Tinkerbell's makeValidName in tink/server) and MAC
 * normalisation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "enroll/enroll-internal.h"

/* White space as Go's unicode.IsSpace sees it (strings.TrimSpace). */
static bool is_go_space(uint32_t cp)
{
    switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200a;
    }
}

/* Trims Go white space from both ends of s[0..*len); returns the new start. */
static const char *trim_space(const char *s, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t b = 0, e = *len;
    uint32_t cp;

    while (b < e) {
        size_t l = base_utf8_decode(u + b, e - b, &cp);
        if (l == 0 || !is_go_space(cp))
            break;
        b += l;
    }
    while (e > b) {
        size_t start = e - 1, l;

        /* Back up over continuation bytes to the lead byte of the last rune. */
        while (start > b && e - start < 4 && (u[start] & 0xc0) == 0x80)
            start--;
        l = base_utf8_decode(u + start, e - start, &cp);
        if (l != e - start || !is_go_space(cp))
            break;
        e = start;
    }
    *len = e - b;
    return s + b;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int enroll_name_make(const char *prefix, const char *id, char **ret)
{
    size_t plen = prefix ? strlen(prefix) : 0, ilen, n = 0, o = 0;
    _cleanup_free_ char *raw = NULL;
    const char *t;

    assert_return(ret, -EINVAL);
    if (!id)
        return -EINVAL;
    ilen = strlen(id);
    t = trim_space(id, &ilen);
    if (ilen == 0)
        return -EINVAL;
    /* prefix + id, with room for the 'e' guards and the NUL. */
    raw = malloc(plen + ilen + 3);
    if (!raw)
        return -ENOMEM;
    if (plen)
        memcpy(raw, prefix, plen);
    memcpy(raw + plen, t, ilen);
    n = plen + ilen;
    if (!(n == 1 && is_alnum(raw[0]))) {
        if (!is_alnum(raw[0])) {
            memmove(raw + 1, raw, n);
            raw[0] = 'e';
            n++;
        }
        if (!is_alnum(raw[n - 1]))
            raw[n++] = 'e';
    }
    /* Every run of characters outside [A-Za-z0-9] (hyphens included)
     * becomes one '-'; letters are lowercased. Multi-byte characters are
     * runs of non-alphanumerics, so counting bytes or runes is the same. */
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];

        if (is_alnum(c))
            raw[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        else if (o == 0 || raw[o - 1] != '-')
            raw[o++] = '-';
    }
    /* Leading / trailing '-' cannot remain after the guards, but trim as
     * upstream does; then cut and drop a '-' the cut exposed. */
    while (o > 0 && raw[o - 1] == '-')
        o--;
    t = raw;
    while (o > 0 && *t == '-')
        t++, o--;
    if (o > ENROLL_NAME_MAX)
        o = ENROLL_NAME_MAX;
    while (o > 0 && t[o - 1] == '-')
        o--;
    if (o == 0)
        return -EINVAL;
    *ret = strndup(t, o);
    return *ret ? 0 : -ENOMEM;
}

int enroll_discovery_name(const char *agent_id, char **ret)
{
    return enroll_name_make(ENROLL_DISCOVERY_PREFIX, agent_id, ret);
}

int enroll_enrollment_name(const char *agent_id, char **ret)
{
    return enroll_name_make(ENROLL_ENROLLMENT_PREFIX, agent_id, ret);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 2*n hex digits of s into nibbles, or fails. */
static bool read_hex(const char *s, size_t n, uint8_t *nibbles)
{
    for (size_t i = 0; i < 2 * n; i++) {
        int v = hex_value(s[i]);
        if (v < 0)
            return false;
        nibbles[i] = (uint8_t)v;
    }
    return true;
}

/* Parses s into 12 nibbles: groups of group_len hex digits separated by sep
 * (no separator when sep is 0). */
static bool parse_groups(const char *s, size_t len, char sep, size_t group_len, uint8_t *nib)
{
    size_t groups = 12 / group_len;

    if (len != (sep ? 12 + groups - 1 : 12))
        return false;
    for (size_t g = 0; g < groups; g++) {
        const char *p = s + g * (group_len + (sep ? 1 : 0));

        if (!read_hex(p, group_len / 2, nib + g * group_len))
            return false;
        if (sep && g + 1 < groups && p[group_len] != sep)
            return false;
    }
    return true;
}

int enroll_mac_normalize(const char *s, char ret[static ENROLL_MAC_STRLEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t nib[12];
    char out[ENROLL_MAC_STRLEN + 1];
    size_t len;
    bool ok;

    if (!s || !ret)
        return -EINVAL;
    len = strnlen(s, ENROLL_MAC_STRLEN + 1);
    if (len == 12)
        ok = parse_groups(s, len, 0, 12, nib);
    else if (len == 14)
        ok = parse_groups(s, len, '.', 4, nib);
    else if (len == 17)
        ok = parse_groups(s, len, s[2] == '-' ? '-' : ':', 2, nib);
    else
        ok = false;
    if (!ok)
        return -EINVAL;
    for (size_t i = 0; i < 6; i++) {
        out[i * 3] = digits[nib[i * 2]];
        out[i * 3 + 1] = digits[nib[i * 2 + 1]];
        out[i * 3 + 2] = i < 5 ? ':' : '\0';
    }
    memcpy(ret, out, sizeof(out));
    return 0;
}
