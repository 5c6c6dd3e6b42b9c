/* SPDX-License-Identifier: Apache-2.0 */
/* Request path and query parsing: input is "<path>?<query>" as it arrives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *q = strchr(s, '?');
    if (q)
        *q++ = '\0';
    struct api_path p;
    if (api_path_parse(s, &p) == 0)
        api_path_clear(&p);
    struct api_query query;
    api_query_init(&query);
    (void)api_query_parse(q, &query);
    api_query_clear(&query);
    free(s);
    return 0;
}
