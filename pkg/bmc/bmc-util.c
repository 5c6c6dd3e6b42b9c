/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "bmc/bmc-internal.h"
#include "workflow/workflow.h"

int bmc_fail(char *errbuf, size_t n, int r, const char *fmt, ...)
{
    va_list ap;
    if (!errbuf || n == 0)
        return r;
    va_start(ap, fmt);
    (void)vsnprintf(errbuf, n, fmt, ap);
    va_end(ap);
    return r;
}

json_t *bmc_condition_get(const json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = bmc_str(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

int bmc_condition_set(json_t *conds,
                      const char *type,
                      const char *status,
                      const char *message,
                      const char *time_key,
                      const char *time)
{
    json_t *c = json_pack("{s:s, s:s}", "type", type, "status", status);
    if (!c)
        return -ENOMEM;
    if (message && *message &&
        json_object_set_new(c, "message", bmc_string_clean(message, BMC_MESSAGE_MAX - 1)) < 0)
        goto oom;
    if (time_key && json_object_set_new(c, time_key, json_string(time)) < 0)
        goto oom;
    size_t i;
    json_t *old;
    json_array_foreach(conds, i, old)
    {
        const char *t = bmc_str(old, "type");
        if (t && strcmp(t, type) == 0)
            return json_array_set_new(conds, i, c) < 0 ? -ENOMEM : 0;
    }
    return json_array_append_new(conds, c) < 0 ? -ENOMEM : 0;
oom:
    json_decref(c);
    return -ENOMEM;
}

int bmc_time(int64_t now_ms, char buf[21])
{
    return workflow_time_format(now_ms, buf);
}

json_t *bmc_status_copy(const json_t *obj)
{
    json_t *st = bmc_obj(obj, "status");
    return st ? json_deep_copy(st) : json_object();
}

json_t *bmc_string_clean(const char *s, size_t max)
{
    char *out;
    size_t o = 0, len;
    if (!s)
        return NULL;
    len = strlen(s);
    out = malloc(MIN(len, max) + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t k = base_utf8_decode(s + i, len - i, NULL);
        if (k == 0) {
            i++; /* drop a byte that starts no valid sequence */
            continue;
        }
        if (o + k > max)
            break;
        if (k == 1 && ((unsigned char)s[i] < ' ' || s[i] == 0x7f))
            out[o++] = ' ';
        else
            memcpy(out + o, s + i, k), o += k;
        i += k;
    }
    json_t *v = json_stringn(out, o);
    free(out);
    return v;
}
