/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Making datagram bytes safe to log (UTF-8 validation, control characters),
 * and the facility and severity names.
 */
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "syslog/syslog-internal.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_sequence(const uint8_t *p, size_t len)
{
    uint8_t c = p[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (len < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return n;
}

size_t syslog_text_escape(const uint8_t *p, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            if (c == '\t')
                c = ' ';
            else if (c < 0x20 || c == 0x7f)
                continue;
            if (out)
                out[o] = (char)c;
            o++;
            continue;
        }
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0) {
            if (out) {
                out[o] = '\\';
                out[o + 1] = 'x';
                out[o + 2] = hex[c >> 4];
                out[o + 3] = hex[c & 0xf];
            }
            o += 4;
            i++;
            continue;
        }
        /* U+0080..U+009F are the C1 controls (0xc2 0x80..0x9f). */
        if (!(n == 2 && c == 0xc2 && p[i + 1] <= 0x9f)) {
            if (out)
                memcpy(out + o, p + i, n);
            o += n;
        }
        i += n;
    }
    return o;
}

static const char *const facility_names[SYSLOG_FACILITY_MAX + 1] = {
        "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
        "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const severity_names[SYSLOG_SEVERITY_MAX + 1] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *syslog_facility_to_string(unsigned facility)
{
    return facility < ARRAY_SIZE(facility_names) ? facility_names[facility] : NULL;
}

const char *syslog_severity_to_string(unsigned severity)
{
    return severity < ARRAY_SIZE(severity_names) ? severity_names[severity] : NULL;
}

static int lookup(const char *const *names, size_t n, const char *name, unsigned *ret)
{
    assert_return(name, -EINVAL);
    assert_return(ret, -EINVAL);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            *ret = (unsigned)i;
            return 0;
        }
    }
    return -EINVAL;
}

int syslog_facility_from_string(const char *name, unsigned *ret)
{
    return lookup(facility_names, ARRAY_SIZE(facility_names), name, ret);
}

int syslog_severity_from_string(const char *name, unsigned *ret)
{
    return lookup(severity_names, ARRAY_SIZE(severity_names), name, ret);
}

const char *syslog_format_to_string(enum syslog_format format)
{
    switch (format) {
    case SYSLOG_FORMAT_RFC3164:
        return "rfc3164";
    case SYSLOG_FORMAT_RFC5424:
        return "rfc5424";
    default:
        return NULL;
    }
}
