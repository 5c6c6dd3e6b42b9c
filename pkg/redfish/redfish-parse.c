/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure helpers over untrusted Redfish JSON: body parsing, path checks for
 * every link the client follows, collection members, error texts. No I/O;
 * the fuzzer drives these directly.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "redfish/redfish-internal.h"

int redfish_parse_object(const char *data, size_t len, json_t **ret)
{
    json_error_t jerr;
    assert_return(ret, -EINVAL);
    if (!data || len == 0)
        return -EBADMSG;
    /* JSON_DISABLE_EOF_CHECK is not used: trailing garbage is malformed. */
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return -EBADMSG;
    if (!json_is_object(v)) {
        json_decref(v);
        return -EBADMSG;
    }
    *ret = v;
    return 0;
}

int redfish_path_check(const char *s)
{
    size_t n;
    if (!s || s[0] != '/')
        return -EINVAL;
    n = strlen(s);
    if (n >= REDFISH_PATH_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '#' || ch == '?' || ch == '\\')
            return -EINVAL;
    }
    if (strstr(s, "..") || strstr(s, "//"))
        return -EINVAL;
    return 0;
}

const char *redfish_link(const json_t *obj, const char *key)
{
    const char *p = json_string_value(json_object_get(json_object_get(obj, key), "@odata.id"));
    return redfish_path_check(p) == 0 ? p : NULL;
}

int redfish_members(const json_t *collection, size_t max, json_t **ret)
{
    json_t *members = json_object_get(collection, "Members");
    size_t i;
    json_t *m;
    assert_return(ret, -EINVAL);
    if (!json_is_array(members))
        return -EBADMSG;
    json_t *out = json_array();
    if (!out)
        return -ENOMEM;
    json_array_foreach(members, i, m)
    {
        if (json_array_size(out) >= max)
            break;
        const char *p = json_string_value(json_object_get(m, "@odata.id"));
        if (redfish_path_check(p) < 0)
            continue;
        if (json_array_append_new(out, json_string(p)) < 0) {
            json_decref(out);
            return -ENOMEM;
        }
    }
    *ret = out;
    return 0;
}

/* Copies s into buf, stopping at n - 1 bytes (on a UTF-8 character
 * boundary), a control character or an invalid sequence. */
static char *copy_line(char *buf, size_t n, const char *s)
{
    size_t i = 0, len = s ? strlen(s) : 0;
    if (n == 0)
        return buf;
    while (i < len) {
        size_t k = base_utf8_decode(s + i, len - i, NULL);
        if (k == 0 || i + k >= n || (k == 1 && ((unsigned char)s[i] < ' ' || s[i] == 0x7f)))
            break;
        memcpy(buf + i, s + i, k);
        i += k;
    }
    buf[i] = '\0';
    return buf;
}

static const char *first_message(const json_t *list)
{
    json_t *first = json_array_get(list, 0);
    const char *s = json_string_value(json_object_get(first, "Message"));
    return s && *s ? s : NULL;
}

char *redfish_error_text(const json_t *body, char *buf, size_t n)
{
    json_t *e = json_object_get(body, "error");
    const char *s = first_message(json_object_get(e, "@Message.ExtendedInfo"));
    if (!s)
        s = json_string_value(json_object_get(e, "message"));
    if (!s || !*s)
        s = first_message(json_object_get(body, "Messages"));
    if (!s || !*s)
        s = first_message(json_object_get(body, "@Message.ExtendedInfo"));
    return copy_line(buf, n, s ? s : "");
}

enum redfish_power redfish_power_from_string(const char *s)
{
    static const char *const names[] = {
            [REDFISH_POWER_ON] = "On",
            [REDFISH_POWER_OFF] = "Off",
            [REDFISH_POWER_POWERING_ON] = "PoweringOn",
            [REDFISH_POWER_POWERING_OFF] = "PoweringOff",
    };
    for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
        if (strcasecmp(s, names[i]) == 0)
            return (enum redfish_power)i;
    return REDFISH_POWER_UNKNOWN;
}

bool redfish_allowed(const json_t *allowed, const char *value)
{
    size_t i;
    json_t *v;
    if (!json_is_array(allowed) || json_array_size(allowed) == 0)
        return true;
    json_array_foreach(allowed, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strcmp(s, value) == 0)
            return true;
    }
    return false;
}
