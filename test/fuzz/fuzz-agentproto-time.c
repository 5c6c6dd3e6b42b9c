/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go durations and RFC 3339 timestamps as they arrive in status messages:
 * anything parsed formats back to text that parses to the same value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto/agentproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[AGENTPROTO_DURATION_STRLEN + AGENTPROTO_TIME_STRLEN];
    struct agentproto_time t, t2;
    int64_t d, d2;
    char *s;
    int r;

    if (size > 256)
        return 0;
    s = strndup((const char *)data, size);
    if (!s)
        return 0;
    r = agentproto_duration_parse(s, &d);
    if (r == 0) {
        if (agentproto_duration_format(d, buf) != 0 || agentproto_duration_parse(buf, &d2) != 0 ||
            d != d2)
            abort();
    } else if (r != -EINVAL && r != -ERANGE)
        abort();
    r = agentproto_time_parse(s, &t);
    if (r == 0) {
        if (t.nsec < 0 || t.nsec >= 1000000000 || agentproto_time_format(&t, buf) != 0 ||
            agentproto_time_parse(buf, &t2) != 0 || t.sec != t2.sec || t.nsec != t2.nsec)
            abort();
    } else if (r != -EINVAL && r != -ERANGE)
        abort();
    free(s);
    return 0;
}
