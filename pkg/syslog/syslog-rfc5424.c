/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 5424 §6: what follows "<PRI>1 ".
 *
 *   HEADER = ... TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 *   SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]
 *
 * Header fields are PRINTUSASCII (33..126) with the lengths of §6, or the
 * NILVALUE "-". STRUCTURED-DATA is checked for its syntax (§6.3) and kept
 * raw; MSG loses its leading BOM (§6.4).
 */
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "syslog/syslog-internal.h"

struct cursor {
    const uint8_t *p;
    size_t len;
    size_t i;
};

static bool is_printusascii(uint8_t c)
{
    return c >= 33 && c <= 126;
}

/* Reads 1..max PRINTUSASCII bytes up to the SP that must follow; "-" gives
 * an empty span. Consumes the SP. */
static int header_field(struct cursor *c, size_t max, struct syslog_span *ret)
{
    size_t start = c->i;

    while (c->i < c->len && is_printusascii(c->p[c->i]))
        c->i++;
    size_t n = c->i - start;
    if (n == 0 || n > max || c->i >= c->len || c->p[c->i] != ' ')
        return -EBADMSG;
    c->i++;
    if (n == 1 && c->p[start] == '-')
        *ret = (struct syslog_span){0};
    else
        *ret = (struct syslog_span){c->p + start, n};
    return 0;
}

/* §6.3.3: SD-NAME = 1*32PRINTUSASCII except '=', SP, ']' and '"'. */
static int sd_name(struct cursor *c)
{
    size_t start = c->i;

    while (c->i < c->len) {
        uint8_t b = c->p[c->i];
        if (!is_printusascii(b) || b == '=' || b == ']' || b == '"')
            break;
        c->i++;
    }
    size_t n = c->i - start;
    return n >= 1 && n <= 32 ? 0 : -EBADMSG;
}

/* §6.3.3: PARAM-VALUE is UTF-8 in which '"', '\' and ']' must be escaped
 * with '\'. Consumes the opening and closing quotes. */
static int sd_param_value(struct cursor *c)
{
    if (c->i >= c->len || c->p[c->i] != '"')
        return -EBADMSG;
    c->i++;
    while (c->i < c->len) {
        uint8_t b = c->p[c->i++];
        if (b == '"')
            return 0;
        if (b == ']')
            return -EBADMSG;
        if (b == '\\') {
            if (c->i >= c->len)
                return -EBADMSG;
            c->i++;
        }
    }
    return -EBADMSG;
}

/* SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]" */
static int sd_element(struct cursor *c)
{
    int r;

    c->i++; /* '[' */
    r = sd_name(c);
    if (r < 0)
        return r;
    for (;;) {
        if (c->i >= c->len)
            return -EBADMSG;
        if (c->p[c->i] == ']') {
            c->i++;
            return 0;
        }
        if (c->p[c->i] != ' ')
            return -EBADMSG;
        c->i++;
        r = sd_name(c);
        if (r < 0)
            return r;
        if (c->i >= c->len || c->p[c->i] != '=')
            return -EBADMSG;
        c->i++;
        r = sd_param_value(c);
        if (r < 0)
            return r;
    }
}

static int structured_data(struct cursor *c, struct syslog_span *ret)
{
    size_t start = c->i;

    if (c->i < c->len && c->p[c->i] == '-') {
        c->i++;
        *ret = (struct syslog_span){0};
        return 0;
    }
    if (c->i >= c->len || c->p[c->i] != '[')
        return -EBADMSG;
    while (c->i < c->len && c->p[c->i] == '[') {
        int r = sd_element(c);
        if (r < 0)
            return r;
    }
    *ret = (struct syslog_span){c->p + start, c->i - start};
    return 0;
}

static bool digits(const uint8_t *p, size_t n, unsigned max, unsigned min)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    return v >= min && v <= max;
}

bool syslog_timestamp_is_rfc3339(const uint8_t *p, size_t len)
{
    /* FULL-DATE "T" PARTIAL-TIME TIME-OFFSET, §6.2.3: upper-case T and Z,
     * at most six fraction digits. "YYYY-MM-DDThh:mm:ss" is 19 bytes. */
    if (len < 20 || len > 32)
        return false;
    if (!digits(p, 4, 9999, 0) || p[4] != '-' || !digits(p + 5, 2, 12, 1) || p[7] != '-' ||
        !digits(p + 8, 2, 31, 1) || p[10] != 'T' || !digits(p + 11, 2, 23, 0) || p[13] != ':' ||
        !digits(p + 14, 2, 59, 0) || p[16] != ':' || !digits(p + 17, 2, 60, 0))
        return false;
    size_t i = 19;
    if (p[i] == '.') {
        size_t start = ++i;
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == start || i - start > 6)
            return false;
    }
    if (i < len && p[i] == 'Z')
        return i + 1 == len;
    if (i + 6 != len || (p[i] != '+' && p[i] != '-'))
        return false;
    return digits(p + i + 1, 2, 23, 0) && p[i + 3] == ':' && digits(p + i + 4, 2, 59, 0);
}

int syslog_rfc5424_parse(const uint8_t *data, size_t len, struct syslog_fields *f)
{
    struct cursor c = {.p = data, .len = len};
    struct syslog_span ts;
    int r;

    r = header_field(&c, 32, &ts);
    if (r < 0)
        return r;
    if (ts.len > 0 && !syslog_timestamp_is_rfc3339(ts.p, ts.len))
        return -EBADMSG;
    f->timestamp = ts;
    r = header_field(&c, SYSLOG_HOSTNAME_MAX, &f->hostname);
    if (r >= 0)
        r = header_field(&c, SYSLOG_APP_MAX, &f->app);
    if (r >= 0)
        r = header_field(&c, SYSLOG_PROCID_MAX, &f->procid);
    if (r >= 0)
        r = header_field(&c, SYSLOG_MSGID_MAX, &f->msgid);
    if (r >= 0)
        r = structured_data(&c, &f->structured_data);
    if (r < 0)
        return r;

    /* Then either the end of the datagram or SP MSG. */
    if (c.i == c.len)
        return 0;
    if (c.p[c.i] != ' ')
        return -EBADMSG;
    c.i++;
    static const uint8_t bom[] = {0xef, 0xbb, 0xbf};
    if (c.len - c.i >= sizeof(bom) && memcmp(c.p + c.i, bom, sizeof(bom)) == 0)
        c.i += sizeof(bom);
    f->message = (struct syslog_span){c.p + c.i, c.len - c.i};
    return 0;
}
