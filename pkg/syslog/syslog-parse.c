/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry point of pkg/syslog: "<PRI>", the choice between RFC 5424 and RFC
 * 3164, and the escaped copy of every field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "syslog/syslog-internal.h"

int syslog_pri_parse(const uint8_t *data, size_t len, unsigned *ret_pri)
{
    unsigned pri = 0;
    size_t i;

    /* RFC 5424 §6.2.1: "<" 1*3DIGIT ">". Leading zeros are tolerated, as
     * RFC 3164 relays do. */
    if (len < 3 || data[0] != '<')
        return -EBADMSG;
    for (i = 1; i < len && i <= 4; i++) {
        uint8_t c = data[i];
        if (c == '>')
            break;
        if (c < '0' || c > '9' || i == 4)
            return -EBADMSG;
        pri = pri * 10 + (unsigned)(c - '0');
    }
    if (i == 1 || i >= len || data[i] != '>' || pri > SYSLOG_PRI_MAX)
        return -EBADMSG;
    *ret_pri = pri;
    return (int)(i + 1);
}

static size_t span_escaped_len(const struct syslog_span *s)
{
    return syslog_text_escape(s->p, s->len, NULL) + 1;
}

/* Escapes *s into the arena at *cursor and returns the copy. */
static const char *span_copy(const struct syslog_span *s, char **cursor)
{
    char *dst = *cursor;
    size_t n = syslog_text_escape(s->p, s->len, dst);
    dst[n] = '\0';
    *cursor = dst + n + 1;
    return dst;
}

int syslog_message_parse(const void *data, size_t len, struct syslog_message **ret)
{
    const uint8_t *d = data;
    struct syslog_fields f = {.format = SYSLOG_FORMAT_RFC3164};
    unsigned pri;
    int r;

    assert_return(data || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    if (len > SYSLOG_DATAGRAM_MAX)
        return -EMSGSIZE;

    r = syslog_pri_parse(d, len, &pri);
    if (r < 0)
        return r;
    d += r;
    len -= (size_t)r;

    /* RFC 5424 §6.2.2: VERSION is "1" for this RFC and is followed by SP.
     * Anything else after PRI is read as RFC 3164. */
    if (len >= 2 && d[0] == '1' && d[1] == ' ') {
        f.format = SYSLOG_FORMAT_RFC5424;
        r = syslog_rfc5424_parse(d + 2, len - 2, &f);
        if (r < 0)
            return r;
    } else
        syslog_rfc3164_parse(d, len, &f);

    const struct syslog_span *spans[] = {
            &f.timestamp, &f.hostname,        &f.app,     &f.procid,
            &f.msgid,     &f.structured_data, &f.message,
    };
    size_t total = sizeof(struct syslog_message);
    for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
        total += span_escaped_len(spans[i]);

    struct syslog_message *m = malloc(total);
    if (!m)
        return -ENOMEM;
    char *cursor = (char *)(m + 1);
    *m = (struct syslog_message){
            .format = f.format,
            .facility = pri / 8,
            .severity = pri % 8,
    };
    m->timestamp = span_copy(&f.timestamp, &cursor);
    m->hostname = span_copy(&f.hostname, &cursor);
    m->app = span_copy(&f.app, &cursor);
    m->procid = span_copy(&f.procid, &cursor);
    m->msgid = span_copy(&f.msgid, &cursor);
    m->structured_data = span_copy(&f.structured_data, &cursor);
    m->message = span_copy(&f.message, &cursor);
    *ret = m;
    return 0;
}

struct syslog_message *syslog_message_free(struct syslog_message *m)
{
    free(m);
    return NULL;
}
