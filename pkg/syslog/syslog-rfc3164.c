/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3164 ("BSD syslog") after "<PRI>", and the variants real senders use:
 *
 *   Mmm dd hh:mm:ss host tag[pid]: msg    RFC 3164 §4.1.2 / §4.1.3
 *   Mmm dd hh:mm:ss tag[pid]: msg         syslog(3) via /dev/log, busybox
 *   2024-05-01T10:00:00Z host tag: msg    rsyslog's forwarding format
 *   host ipxe: msg                        iPXE (net/udp/syslog.c)
 *   tag: msg                              iPXE without a hostname, kernels
 *   anything else                         all of it is the message
 *
 * RFC 3164 §4.3.2 tells a relay to accept what it can rather than drop, so
 * nothing after "<PRI>" is an error here. Which word is the host and which
 * the tag is decided by the shape of the words: a tag ends with ':' (after
 * an optional "[pid]"); a host is the word before a tag, or the first word
 * after a timestamp.
 */
#include <string.h>

#include "syslog/syslog-internal.h"

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool two_digits(const uint8_t *p, unsigned max)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0') <= max;
}

bool syslog_timestamp_is_bsd(const uint8_t *p, size_t len)
{
    if (len != 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
        return false;
    bool month = false;
    for (size_t i = 0; i < 12; i++)
        month = month || memcmp(p, months[i], 3) == 0;
    if (!month)
        return false;
    /* "Jan  1" (space-padded, as §4.1.2 asks) or "Jan 01". */
    bool day = (p[4] == ' ' && p[5] >= '1' && p[5] <= '9') ||
               (two_digits(p + 4, 31) && !(p[4] == '0' && p[5] == '0'));
    return day && two_digits(p + 7, 23) && two_digits(p + 10, 59) && two_digits(p + 13, 60);
}

static bool is_printusascii(uint8_t c)
{
    return c >= 33 && c <= 126;
}

static bool is_tag_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '/' || c == '@' || c == '+';
}

/* Length of the word at p: bytes up to SP or the end. */
static size_t word_len(const uint8_t *p, size_t len)
{
    const uint8_t *sp = memchr(p, ' ', len);
    return sp ? (size_t)(sp - p) : len;
}

/* A tag word is NAME[PID]: or NAME: with NAME 1..SYSLOG_APP_MAX tag bytes
 * and PID 1..SYSLOG_PROCID_MAX printable bytes other than '[' and ']'. */
static bool parse_tag(const uint8_t *w, size_t n, struct syslog_span *app, struct syslog_span *pid)
{
    size_t i = 0;

    if (n < 2 || w[n - 1] != ':')
        return false;
    while (i < n - 1 && is_tag_char(w[i]))
        i++;
    if (i == 0 || i > SYSLOG_APP_MAX)
        return false;
    struct syslog_span name = {w, i}, number = {0};
    if (i < n - 1) {
        if (w[i] != '[' || w[n - 2] != ']')
            return false;
        size_t start = i + 1, end = n - 2;
        if (end <= start || end - start > SYSLOG_PROCID_MAX)
            return false;
        for (size_t j = start; j < end; j++) {
            if (!is_printusascii(w[j]) || w[j] == '[' || w[j] == ']')
                return false;
        }
        number = (struct syslog_span){w + start, end - start};
    }
    *app = name;
    *pid = number;
    return true;
}

static bool is_host_word(const uint8_t *w, size_t n)
{
    if (n == 0 || n > SYSLOG_HOSTNAME_MAX || w[n - 1] == ':')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_printusascii(w[i]))
            return false;
    }
    return true;
}

/* Length of a leading timestamp and its SP (0 when there is none). */
static size_t timestamp_len(const uint8_t *d, size_t len, struct syslog_span *ret)
{
    if (len >= 15 && syslog_timestamp_is_bsd(d, 15) && (len == 15 || d[15] == ' ')) {
        *ret = (struct syslog_span){d, 15};
        return len == 15 ? 15 : 16;
    }
    size_t n = word_len(d, len);
    if (syslog_timestamp_is_rfc3339(d, n)) {
        *ret = (struct syslog_span){d, n};
        return n == len ? n : n + 1;
    }
    return 0;
}

/* The message after word w: one separating SP is dropped. */
static struct syslog_span after_word(const uint8_t *d, size_t len, size_t end)
{
    if (end < len && d[end] == ' ')
        end++;
    return (struct syslog_span){d + end, len - end};
}

void syslog_rfc3164_parse(const uint8_t *d, size_t len, struct syslog_fields *f)
{
    size_t i = timestamp_len(d, len, &f->timestamp);
    bool have_ts = i > 0;
    const uint8_t *w1 = d + i;
    size_t n1 = word_len(w1, len - i);

    /* "tag: msg" */
    if (parse_tag(w1, n1, &f->app, &f->procid)) {
        f->message = after_word(d, len, i + n1);
        return;
    }
    if (is_host_word(w1, n1)) {
        size_t j = i + n1 + 1;
        /* "host tag: msg" */
        if (j < len) {
            size_t n2 = word_len(d + j, len - j);
            if (parse_tag(d + j, n2, &f->app, &f->procid)) {
                f->hostname = (struct syslog_span){w1, n1};
                f->message = after_word(d, len, j + n2);
                return;
            }
        }
        /* "timestamp host msg": RFC 3164's own order without a tag. */
        if (have_ts) {
            f->hostname = (struct syslog_span){w1, n1};
            f->message = after_word(d, len, i + n1);
            return;
        }
    }
    f->message = (struct syslog_span){d + i, len - i};
}
