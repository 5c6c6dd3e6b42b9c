/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Parsing of one syslog UDP datagram for anvil-boot's receiver on :514
 * (compat §5.1): RFC 5424 messages, RFC 3164 ("BSD") messages and the
 * common variants of the latter that iPXE, busybox and the kernel send
 * without a timestamp, a hostname or both.
 *
 * The result is text that is safe to log: every field is valid UTF-8, with
 * bytes that are not UTF-8 written as "\xHH", control characters (C0, DEL
 * and C1) removed and tabs turned into spaces. Backslashes are kept as
 * they are, so the escaping is for reading, not for decoding back.
 *
 * Nothing here touches a socket or logs; the parser reads exactly len bytes
 * and never past them. Thread-safe: no shared state.
 */

#include <stddef.h>

#include "base/macro.h"

/* Largest datagram accepted (a UDP payload cannot be larger). */
#define SYSLOG_DATAGRAM_MAX 65536

/* RFC 5424 §6.2.1: PRIVAL = facility * 8 + severity, 0..191. */
#define SYSLOG_PRI_MAX      191
#define SYSLOG_FACILITY_MAX 23
#define SYSLOG_SEVERITY_MAX 7

/* RFC 5424 §6 header field limits. */
#define SYSLOG_HOSTNAME_MAX 255
#define SYSLOG_APP_MAX      48
#define SYSLOG_PROCID_MAX   128
#define SYSLOG_MSGID_MAX    32

enum syslog_format {
    SYSLOG_FORMAT_RFC3164, /* BSD syslog, including the variants without header fields */
    SYSLOG_FORMAT_RFC5424,
    _SYSLOG_FORMAT_MAX,
};

/*
 * One decoded message. Every string is NUL-terminated and never NULL: an
 * absent field (or RFC 5424's NILVALUE "-") is "". The strings live in the
 * same allocation as the struct and are freed with it.
 */
struct syslog_message {
    enum syslog_format format;
    unsigned facility; /* 0..SYSLOG_FACILITY_MAX */
    unsigned severity; /* 0..SYSLOG_SEVERITY_MAX */
    const char *timestamp; /* as sent: "Mmm dd hh:mm:ss" or RFC 3339 */
    const char *hostname;
    const char *app;      /* RFC 5424 APP-NAME, or the RFC 3164 TAG */
    const char *procid;   /* RFC 5424 PROCID, or the pid in "tag[pid]:" */
    const char *msgid;    /* RFC 5424 only */
    const char *structured_data; /* RFC 5424 STRUCTURED-DATA kept raw */
    const char *message;
};

/*
 * Parses one datagram of len bytes (the data need not be NUL-terminated).
 * Returns 0 and *ret (free with syslog_message_free()), -EMSGSIZE when len
 * exceeds SYSLOG_DATAGRAM_MAX, -EBADMSG when there is no valid "<PRI>" or
 * an RFC 5424 header ("<PRI>1 ...") is malformed, or -ENOMEM. *ret is
 * written only on success.
 */
int syslog_message_parse(const void *data, size_t len, struct syslog_message **ret);

/* Frees a message; accepts NULL and returns NULL. */
struct syslog_message *syslog_message_free(struct syslog_message *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct syslog_message *, syslog_message_free);
#define _cleanup_syslog_message_ _cleanup_(syslog_message_freep)

/* "kern", "user", ..., "local7"; NULL above SYSLOG_FACILITY_MAX. */
const char *syslog_facility_to_string(unsigned facility);
/* "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug";
 * NULL above SYSLOG_SEVERITY_MAX. */
const char *syslog_severity_to_string(unsigned severity);
/* The reverse of the two above (exact, lower-case names). Return 0 and
 * *ret, or -EINVAL (ret untouched). */
int syslog_facility_from_string(const char *name, unsigned *ret);
int syslog_severity_from_string(const char *name, unsigned *ret);
/* "rfc3164" / "rfc5424"; NULL out of range. */
const char *syslog_format_to_string(enum syslog_format format);
