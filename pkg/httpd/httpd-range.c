/* SPDX-License-Identifier: Apache-2.0 */
/* Range requests (RFC 9110 §14) and file responses. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "httpd/httpd.h"

/* Reads a decimal number at *p (no sign, no overflow). Returns 0 and
 * advances *p, or -EBADMSG when there is no digit or it overflows. */
static int parse_u64(const char **p, uint64_t *ret)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -EBADMSG;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EBADMSG;
        v = v * 10 + d;
    }
    *p = s;
    *ret = v;
    return 0;
}

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int httpd_range_parse(const char *header, uint64_t size, uint64_t *ret_offset, uint64_t *ret_length)
{
    uint64_t first = 0, last = 0;
    bool suffix = false, open_end = false;

    if (!header || !ret_offset || !ret_length)
        return -ENODATA;
    const char *p = skip_ows(header);
    if (strncasecmp(p, "bytes", 5) != 0)
        return -ENODATA;
    p = skip_ows(p + 5);
    if (*p != '=')
        return -ENODATA;
    p = skip_ows(p + 1);
    if (*p == '-') {
        suffix = true;
        p++;
        if (parse_u64(&p, &last) < 0)
            return -ENODATA;
    } else {
        if (parse_u64(&p, &first) < 0 || *p != '-')
            return -ENODATA;
        p++;
        if (*p >= '0' && *p <= '9') {
            if (parse_u64(&p, &last) < 0 || last < first)
                return -ENODATA;
        } else {
            open_end = true;
        }
    }
    p = skip_ows(p);
    if (*p != '\0')
        return -ENODATA; /* several ranges or trailing junk: serve the whole body */

    if (suffix) {
        /* RFC 9110 §14.1.3: the last n bytes; n == 0 is unsatisfiable. */
        if (last == 0 || size == 0)
            return -ERANGE;
        uint64_t n = last < size ? last : size;
        *ret_offset = size - n;
        *ret_length = n;
        return 0;
    }
    if (first >= size)
        return -ERANGE;
    if (open_end || last >= size)
        last = size - 1;
    *ret_offset = first;
    *ret_length = last - first + 1;
    return 0;
}

int httpd_response_file(struct httpd_response *resp, const char *range, int fd, uint64_t size)
{
    uint64_t off, len;

    if (!resp || fd < 0) {
        if (fd >= 0)
            (void)close(fd);
        return -EINVAL;
    }
    resp->file_size = size;
    int r = httpd_range_parse(range, size, &off, &len);
    if (r == -ERANGE) {
        (void)close(fd);
        resp->status = 416;
        resp->file_fd = -1;
        return 0;
    }
    if (r == 0) {
        resp->status = 206;
        resp->file_offset = off;
        resp->file_length = len;
    } else {
        resp->status = 200;
        resp->file_offset = 0;
        resp->file_length = size;
    }
    resp->file_fd = fd;
    return 0;
}
