/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Range header parsing (httpd_range_parse): the first 8 bytes are the
 * representation size, the rest the header value. A satisfiable answer
 * must lie inside the representation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpd/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t total = 0;
    if (size < 8 || size > 4096)
        return 0;
    memcpy(&total, data, 8);
    total %= (uint64_t)1 << 62;
    char *h = malloc(size - 8 + 1);
    if (!h)
        return 0;
    memcpy(h, data + 8, size - 8);
    h[size - 8] = '\0';
    uint64_t off = 0, len = 0;
    int r = httpd_range_parse(h, total, &off, &len);
    if (r != 0 && r != -ENODATA && r != -ERANGE)
        abort();
    if (r == 0 && (len == 0 || off >= total || len > total - off))
        abort();
    free(h);
    return 0;
}
