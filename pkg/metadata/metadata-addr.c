/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4/IPv6 addresses and CIDR networks for the trusted-proxy check. Text
 * goes through inet_pton(3)/inet_ntop(3); only the prefix arithmetic is
 * ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/macro.h"
#include "metadata/metadata.h"

/* The longest address text inet_pton() can accept, without NUL. */
#define ADDR_TEXT_MAX (METADATA_IP_STRLEN - 1)

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int metadata_addr_parse(const char *s, size_t len, struct metadata_addr *ret)
{
    /* inet_pton() wants a C string: copy the (length-checked) text. */
    char text[ADDR_TEXT_MAX + 1];
    struct metadata_addr a = {0};

    assert_return(s || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    if (len == 0 || len > ADDR_TEXT_MAX || memchr(s, '\0', len))
        return -EINVAL;
    memcpy(text, s, len);
    text[len] = '\0';

    if (memchr(text, ':', len)) {
        if (inet_pton(AF_INET6, text, a.bytes) != 1)
            return -EINVAL;
        a.family = AF_INET6;
        if (memcmp(a.bytes, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
            memmove(a.bytes, a.bytes + 12, 4);
            memset(a.bytes + 4, 0, 12);
            a.family = AF_INET;
        }
    } else {
        /* glibc's inet_pton() takes dotted quads only: no octal, no
         * shortened forms. */
        if (inet_pton(AF_INET, text, a.bytes) != 1)
            return -EINVAL;
        a.family = AF_INET;
    }
    *ret = a;
    return 0;
}

int metadata_addr_format(const struct metadata_addr *a, char ret[METADATA_IP_STRLEN])
{
    assert_return(a, -EINVAL);
    assert_return(ret, -EINVAL);
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EINVAL;
    if (!inet_ntop(a->family, a->bytes, ret, METADATA_IP_STRLEN))
        return -EINVAL;
    return 0;
}

static unsigned family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* Clears every bit of a past the first prefix bits. */
static void mask_host_bits(struct metadata_addr *a, unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned first = i * 8;
        if (first >= prefix)
            a->bytes[i] = 0;
        else if (prefix - first < 8)
            a->bytes[i] &= (uint8_t)(0xff << (8 - (prefix - first)));
    }
}

/* Decimal without sign or leading zeros, at most three digits. */
static int parse_prefix(const char *s, unsigned *ret)
{
    size_t n = strlen(s);
    unsigned v = 0;

    if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *ret = v;
    return 0;
}

int metadata_cidr_parse(const char *s, struct metadata_cidr *ret)
{
    struct metadata_cidr c = {0};
    const char *slash;
    unsigned prefix;
    int r;

    assert_return(s, -EINVAL);
    assert_return(ret, -EINVAL);

    slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    /* An IPv4-mapped network is written in IPv6 bits; parse the address
     * first, remembering whether it was written as IPv6. */
    bool written_v6 = memchr(s, ':', alen) != NULL;
    r = metadata_addr_parse(s, alen, &c.addr);
    if (r < 0)
        return r;
    if (!slash)
        prefix = family_bits(c.addr.family);
    else {
        r = parse_prefix(slash + 1, &prefix);
        if (r < 0)
            return r;
        if (written_v6 && c.addr.family == AF_INET) {
            if (prefix < 96 || prefix > 128)
                return -EINVAL;
            prefix -= 96;
        }
        if (prefix > family_bits(c.addr.family))
            return -EINVAL;
    }
    mask_host_bits(&c.addr, prefix);
    c.prefix = prefix;
    *ret = c;
    return 0;
}

bool metadata_cidr_contains(const struct metadata_cidr *c, const struct metadata_addr *a)
{
    if (!c || !a || c->addr.family != a->family || c->prefix > family_bits(a->family))
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr.bytes, a->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int metadata_cidr_list_parse(const char *list, struct metadata_cidr **ret, size_t *ret_n)
{
    _cleanup_free_ struct metadata_cidr *v = NULL;
    size_t n = 0, cap = 0;

    assert_return(list, -EINVAL);
    assert_return(ret, -EINVAL);
    assert_return(ret_n, -EINVAL);

    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        const char *next = p[len] ? p + len + 1 : p + len;
        while (len > 0 && is_ows(*p)) {
            p++;
            len--;
        }
        while (len > 0 && is_ows(p[len - 1]))
            len--;
        if (len > 0) {
            /* Longest valid entry: an IPv6 address and "/128". */
            char entry[ADDR_TEXT_MAX + 5];
            if (len >= sizeof(entry))
                return -EINVAL;
            memcpy(entry, p, len);
            entry[len] = '\0';
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                struct metadata_cidr *nv = realloc(v, ncap * sizeof(*v));
                if (!nv)
                    return -ENOMEM;
                v = nv;
                cap = ncap;
            }
            int r = metadata_cidr_parse(entry, &v[n]);
            if (r < 0)
                return r;
            n++;
        }
        p = next;
    }
    *ret = TAKE_PTR(v);
    *ret_n = n;
    return 0;
}
