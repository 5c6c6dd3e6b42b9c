/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The :514 path of pkg/syslog: one raw datagram through the parser, with
 * the promises of syslog.h checked on every input: garbage is -EBADMSG,
 * fields respect the RFC limits, and every string is already log-safe
 * (escaping it again changes nothing).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog/syslog-internal.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_text(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        check(c >= 0x20 && c != 0x7f);
    }
    /* Valid UTF-8 without control characters is its own escaped form. */
    char *again = malloc(len * 4 + 1);
    check(again);
    check(syslog_text_escape((const uint8_t *)s, len, again) == len);
    check(memcmp(again, s, len) == 0);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct syslog_message *m = NULL;

    int r = syslog_message_parse(data, size, &m);
    check(r == 0 || r == -EBADMSG || r == -EMSGSIZE);
    check((r == 0) == (m != NULL));
    if (size > SYSLOG_DATAGRAM_MAX)
        check(r == -EMSGSIZE);
    if (size == 0 || data[0] != '<')
        check(r == -EBADMSG);
    if (r < 0)
        return 0;

    check(m->format == SYSLOG_FORMAT_RFC3164 || m->format == SYSLOG_FORMAT_RFC5424);
    check(m->facility <= SYSLOG_FACILITY_MAX && m->severity <= SYSLOG_SEVERITY_MAX);
    check(syslog_facility_to_string(m->facility) && syslog_severity_to_string(m->severity));

    const char *fields[] = {m->timestamp, m->hostname, m->app,    m->procid,
                            m->msgid,     m->structured_data, m->message};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        check(fields[i]);
        check_text(fields[i]);
        total += strlen(fields[i]);
    }
    check(total <= size * 4);
    check(strlen(m->app) <= SYSLOG_APP_MAX);
    check(strlen(m->procid) <= SYSLOG_PROCID_MAX);
    check(strlen(m->hostname) <= SYSLOG_HOSTNAME_MAX);
    if (m->format == SYSLOG_FORMAT_RFC5424) {
        check(strlen(m->msgid) <= SYSLOG_MSGID_MAX);
        check(!m->timestamp[0] ||
              syslog_timestamp_is_rfc3339((const uint8_t *)m->timestamp, strlen(m->timestamp)));
        check(!m->structured_data[0] || m->structured_data[0] == '[');
    } else
        check(!m->msgid[0] && !m->structured_data[0]);
    syslog_message_free(m);
    return 0;
}
