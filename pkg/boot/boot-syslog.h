/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/boot: the syslog receiver (UDP, RFC 3164 and 5424 via
 * pkg/syslog). Each message is logged once as a structured line (JSON under
 * --log-format=json) carrying the Hardware found by the sender's address.
 */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot-internal.h"

struct boot_syslog;
struct store;

/* Binds bind_address:port (port 0 picks one). Takes a store reference;
 * counters are borrowed and must outlive the receiver. Returns 0, -EINVAL,
 * -EACCES, -EADDRINUSE, -ENOMEM. */
int boot_syslog_new(struct boot_syslog **ret,
                    struct in_addr bind_address,
                    uint16_t port,
                    struct store *store,
                    struct boot_counters *counters);
/* Starts the receive thread: 0, -EINVAL or the pthread_create error. */
int boot_syslog_start(struct boot_syslog *s);
/* Stops and joins it; idempotent. 0 or -EINVAL. */
int boot_syslog_stop(struct boot_syslog *s);
/* The bound port; -1 for NULL. */
int boot_syslog_port(const struct boot_syslog *s);
/* NULL-safe; returns NULL. */
struct boot_syslog *boot_syslog_free(struct boot_syslog *s);

/* One datagram from peer (numeric IPv4): parse, count, log. Malformed
 * datagrams are counted and dropped silently. */
void boot_syslog_handle(struct store *store,
                        struct boot_counters *counters,
                        const void *data,
                        size_t len,
                        const char *peer);
