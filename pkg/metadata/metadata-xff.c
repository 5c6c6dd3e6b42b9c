/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which address identifies the client of a metadata request. Tootles and
 * Smee honour X-Forwarded-For only from --trusted-proxies (compat §5.4, §6).
 * Each proxy appends the address it received the request from, so the
 * right end of the header is written by the proxies we trust and the left
 * end by whoever sent the request first, who may lie. Walking from the
 * right and stopping at the first address that is not a trusted proxy (the
 * "rightmost untrusted" rule) cannot be steered by anything a client
 * writes into the header.
 */
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "metadata/metadata.h"

static bool is_trusted(const struct metadata_addr *a,
                       const struct metadata_cidr *trusted,
                       size_t n_trusted)
{
    for (size_t i = 0; i < n_trusted; i++) {
        if (metadata_cidr_contains(&trusted[i], a))
            return true;
    }
    return false;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool all_digits(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
    }
    return true;
}

/* One X-Forwarded-For element: an address, "[v6]", "[v6]:port" or
 * "v4:port", with optional whitespace around it. */
static int parse_entry(const char *p, size_t n, struct metadata_addr *ret)
{
    while (n > 0 && is_ows(*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_ows(p[n - 1]))
        n--;
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (!close)
            return -EINVAL;
        size_t inner = (size_t)(close - p) - 1;
        size_t after = n - inner - 2;
        if (after > 0 && (close[1] != ':' || !all_digits(close + 2, after - 1)))
            return -EINVAL;
        int r = metadata_addr_parse(p + 1, inner, ret);
        /* Brackets are for IPv6 only. */
        return r < 0 || memchr(p + 1, ':', inner) ? r : -EINVAL;
    }
    const char *colon = memchr(p, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - p) - 1) && memchr(p, '.', n)) {
        size_t port = n - (size_t)(colon - p) - 1;
        if (!all_digits(colon + 1, port))
            return -EINVAL;
        n = (size_t)(colon - p);
    }
    return metadata_addr_parse(p, n, ret);
}

int metadata_client_ip(const char *peer,
                       const char *xff,
                       const struct metadata_cidr *trusted,
                       size_t n_trusted,
                       char ret_ip[METADATA_IP_STRLEN])
{
    struct metadata_addr cur;
    int r;

    assert_return(peer, -EINVAL);
    assert_return(trusted || n_trusted == 0, -EINVAL);
    assert_return(ret_ip, -EINVAL);

    r = metadata_addr_parse(peer, strlen(peer), &cur);
    if (r < 0)
        return r;

    size_t len = xff ? strnlen(xff, METADATA_XFF_MAX + 1) : 0;
    if (len > 0 && len <= METADATA_XFF_MAX && is_trusted(&cur, trusted, n_trusted)) {
        size_t end = len;
        for (unsigned hop = 0; hop < METADATA_XFF_HOPS_MAX && end > 0; hop++) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            struct metadata_addr a;
            if (parse_entry(xff + start, end - start, &a) < 0)
                break;
            cur = a;
            if (!is_trusted(&a, trusted, n_trusted))
                break;
            end = start > 0 ? start - 1 : 0;
        }
    }
    return metadata_addr_format(&cur, ret_ip);
}
