/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "apiserver/apiserver-internal.h"

void api_now_rfc3339(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    (void)gmtime_r(&t, &tm);
    (void)strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t api_now_sec(void)
{
    return (int64_t)time(NULL);
}

/* Accepts RFC 3339 with optional fractional seconds and Z or +hh:mm. */
int api_parse_rfc3339(const char *s, int64_t *ret)
{
    struct tm tm = {0};
    if (!s)
        return -EINVAL;
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -EINVAL;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -EINVAL;
        off = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -EINVAL;
    }
    if (*p)
        return -EINVAL;
    *ret = (int64_t)timegm(&tm) - off;
    return 0;
}

/* Kubernetes' duration.HumanDuration, as kubectl shows ages. */
void api_human_duration(int64_t seconds, char *out, size_t n)
{
    if (seconds < -1) {
        snprintf(out, n, "<invalid>");
        return;
    }
    if (seconds < 0)
        seconds = 0;
    if (seconds < 120) {
        snprintf(out, n, "%llds", (long long)seconds);
        return;
    }
    long long minutes = seconds / 60;
    if (minutes < 10) {
        long long s = seconds % 60;
        if (s == 0)
            snprintf(out, n, "%lldm", minutes);
        else
            snprintf(out, n, "%lldm%llds", minutes, s);
        return;
    }
    if (minutes < 180) {
        snprintf(out, n, "%lldm", minutes);
        return;
    }
    long long hours = seconds / 3600;
    if (hours < 8) {
        long long m = minutes % 60;
        if (m == 0)
            snprintf(out, n, "%lldh", hours);
        else
            snprintf(out, n, "%lldh%lldm", hours, m);
        return;
    }
    if (hours < 48) {
        snprintf(out, n, "%lldh", hours);
        return;
    }
    if (hours < 24 * 8) {
        long long h = hours % 24;
        if (h == 0)
            snprintf(out, n, "%lldd", hours / 24);
        else
            snprintf(out, n, "%lldd%lldh", hours / 24, h);
        return;
    }
    if (hours < 24 * 365 * 2) {
        snprintf(out, n, "%lldd", hours / 24);
        return;
    }
    if (hours < 24 * 365 * 8) {
        long long dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(out, n, "%lldy", hours / 24 / 365);
        else
            snprintf(out, n, "%lldy%lldd", hours / 24 / 365, dy);
        return;
    }
    snprintf(out, n, "%lldy", hours / 24 / 365);
}

int api_new_uid(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -EIO;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/* generateName suffix: five characters of the alphabet Kubernetes uses
 * (no vowels, no look-alikes). */
int api_random_suffix(char out[6])
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    uint8_t b[5];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -EIO;
    for (int i = 0; i < 5; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[5] = '\0';
    return 0;
}

static bool dns_label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i < n - 1))
            return false;
    }
    return true;
}

bool api_is_dns1123_label(const char *s)
{
    return s && dns_label_ok(s, strlen(s));
}

bool api_is_dns1123_subdomain(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!dns_label_ok(p, len))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

json_t *api_cause(const char *type, const char *field, const char *message)
{
    return json_pack("{s:s,s:s,s:s}", "reason", type, "message", message, "field", field);
}

void api_add_cause(json_t *causes, const char *type, const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(causes, api_cause(type, field, msg));
}

static bool label_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = isalnum((unsigned char)c);
        if (!alnum && !((c == '-' || c == '_' || c == '.') && i > 0 && i < n - 1))
            return false;
    }
    return true;
}

static bool qualified_name_ok(const char *s)
{
    const char *slash = strchr(s, '/');
    if (slash) {
        char prefix[254];
        size_t n = (size_t)(slash - s);
        if (n == 0 || n >= sizeof(prefix))
            return false;
        memcpy(prefix, s, n);
        prefix[n] = '\0';
        if (!api_is_dns1123_subdomain(prefix))
            return false;
        s = slash + 1;
    }
    return label_name_ok(s, strlen(s));
}

void api_validate_labels(const json_t *labels, const char *path, json_t *causes)
{
    const char *k;
    json_t *v;
    char field[512], msg[700];
    if (!labels || json_is_null(labels))
        return;
    if (!json_is_object(labels)) {
        json_array_append_new(causes, api_cause("FieldValueTypeInvalid", path,
                                                "must be a map of string keys and values"));
        return;
    }
    json_object_foreach((json_t *)labels, k, v) {
        snprintf(field, sizeof(field), "%s", path);
        if (!qualified_name_ok(k)) {
            snprintf(msg, sizeof(msg),
                     "%s: Invalid value: \"%s\": name part must consist of alphanumeric "
                     "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                     "character",
                     path, k);
            json_array_append_new(causes, api_cause("FieldValueInvalid", field, msg));
            continue;
        }
        const char *val = json_string_value(v);
        if (!val || (*val && !label_name_ok(val, strlen(val)))) {
            snprintf(field, sizeof(field), "%s[%s]", path, k);
            snprintf(msg, sizeof(msg),
                     "%s: Invalid value: \"%s\": a valid label must be an empty string or "
                     "consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                     "with an alphanumeric character",
                     field, val ? val : "");
            json_array_append_new(causes, api_cause("FieldValueInvalid", field, msg));
        }
    }
}

bool api_accepts_table(const char *accept)
{
    return accept && strstr(accept, "as=Table") != NULL;
}

const char *api_obj_str(const json_t *obj, const char *a, const char *b)
{
    json_t *v = json_object_get(obj, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}
