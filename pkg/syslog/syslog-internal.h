/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/syslog, its tests and its fuzzer. Parsing happens in two
 * steps: the format parsers find each field as a span of the raw datagram,
 * then syslog_message_parse() escapes every span into one allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syslog/syslog.h"

/* A byte range of the datagram; len 0 means absent. */
struct syslog_span {
    const uint8_t *p;
    size_t len;
};

struct syslog_fields {
    enum syslog_format format;
    struct syslog_span timestamp, hostname, app, procid, msgid, structured_data, message;
};

/*
 * Parses "<PRI>" at the start of data. Returns the number of bytes it took
 * (3..5) and *ret_pri, or -EBADMSG.
 */
int syslog_pri_parse(const uint8_t *data, size_t len, unsigned *ret_pri);

/* Fill f from what follows "<PRI>1 " (RFC 5424) or "<PRI>" (RFC 3164).
 * The 5424 parser returns 0 or -EBADMSG; the 3164 parser cannot fail. */
int syslog_rfc5424_parse(const uint8_t *data, size_t len, struct syslog_fields *f);
void syslog_rfc3164_parse(const uint8_t *data, size_t len, struct syslog_fields *f);

/* RFC 5424 §6.2.3 TIMESTAMP (without the NILVALUE). */
bool syslog_timestamp_is_rfc3339(const uint8_t *p, size_t len);
/* RFC 3164 §4.1.2 "Mmm dd hh:mm:ss" (15 bytes; day space- or zero-padded). */
bool syslog_timestamp_is_bsd(const uint8_t *p, size_t len);

/*
 * Writes the log-safe form of len bytes to out (which must hold the count
 * a call with out == NULL returns) and returns its length, without a NUL.
 */
size_t syslog_text_escape(const uint8_t *p, size_t len, char *out);
