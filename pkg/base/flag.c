/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/flag.h"

int base_flag_invalid(const char *flag, const char *v, const char *want)
{
    fprintf(stderr, "%s: invalid value for %s: %s (%s)\n", program_invocation_short_name,
            flag ? flag : "", v ? v : "", want ? want : "");
    return -EINVAL;
}

int base_flag_bool(const char *flag, const char *v, bool *ret)
{
    if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *ret = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *ret = false;
        return 0;
    }
    return base_flag_invalid(flag, v, "true or false");
}

int base_flag_int(const char *flag,
                  const char *v,
                  long long min,
                  long long max,
                  const char *want,
                  long long *ret)
{
    char *end;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || x < min || x > max) {
        char range[96];
        if (!want) {
            if (max == LLONG_MAX)
                snprintf(range, sizeof(range), "an integer, %lld or more", min);
            else
                snprintf(range, sizeof(range), "an integer from %lld to %lld", min, max);
            want = range;
        }
        return base_flag_invalid(flag, v, want);
    }
    *ret = x;
    return 0;
}
