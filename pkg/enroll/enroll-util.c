/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by the enroll sources: error messages and JSON access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "enroll/enroll-internal.h"

void enroll_utf8_sanitize(char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t l = base_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (l == 0) {
            s[i++] = '?';
            continue;
        }
        i += l;
    }
}

bool enroll_utf8_valid(const char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t l = base_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

int enroll_errorf(char **ret_error, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    if (!ret_error)
        return -EINVAL;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    enroll_utf8_sanitize(s);
    *ret_error = s;
    return -EINVAL;
}

const char *enroll_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
