/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The UDP transport of anvil-boot's DHCP server (pkg/dhcp's socket layer,
 * kept in its own header because the codec and decision in dhcp.h are pure):
 * one socket on port 67, optionally tied to one interface
 * (SO_BINDTODEVICE), IP_PKTINFO to learn the arrival interface and answer
 * on it, broadcast replies to 255.255.255.255:68, relay replies to
 * giaddr:67, and a receive loop in its own thread that counts every
 * dropped, malformed or ignored packet and rate-limits its per-peer warnings.
 * The loop reads up to 16 datagrams per recvmmsg() and sends their replies
 * with one sendmmsg(); under overload it sheds DISCOVERs that waited in the
 * socket queue longer than stale_ms (see dhcp_server_handle_queued()).
 *
 * The Hardware lookup is injected (struct dhcp_server_lookup), so the
 * server knows nothing about Kubernetes: it parses, asks for the
 * reservation of chaddr, calls dhcp_decide() and dhcp_reply_build(), sends,
 * and hands the reservation back.
 *
 * Threads: dhcp_server_start() runs the loop in a new thread that owns the
 * socket; the lookup callbacks run on it. dhcp_server_get_stats() may be
 * called from any thread. new/start/stop/free belong to one owner thread.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dhcp/dhcp.h"

struct dhcp_server;

/* The reservation source. find() fills *res for the MAC (6 bytes) and may
 * hand back in *ret_hold anything that keeps res's borrowed strings alive;
 * release(hold) is called once the reply is built (also when find() returned
 * 1 but the decision failed). find() returns 1 (found), 0 (no Hardware), or
 * a negative errno (counted as a lookup error; the packet gets no reply).
 * Called on the server thread only. */
struct dhcp_server_lookup {
    int (*find)(void *userdata,
                const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                struct dhcp_reservation *res,
                void **ret_hold);
    void (*release)(void *userdata, void *hold);
    void *userdata;
};

struct dhcp_server_opts {
    const struct dhcp_config *config; /* copied; its strings are borrowed for the server's life */
    struct dhcp_server_lookup lookup; /* find may be NULL: nobody has Hardware */
    const char *bind_interface;       /* NULL/"" = every interface */
    struct in_addr bind_address;      /* 0 = INADDR_ANY (needed for broadcasts) */
    uint16_t port;                    /* 0 = 67 */
    uint16_t client_port;             /* where non-relayed replies go; 0 = 68 */
    int rcvbuf;                       /* socket receive buffer; 0 = 4 MiB (best effort) */
    /* Overload shedding: a DISCOVER that waited longer than this in the
     * socket queue (kernel receive timestamp) is dropped unanswered and
     * counted as stale; the client retransmits. 0 = DHCP_SERVER_STALE_MS_DEFAULT,
     * DHCP_SERVER_STALE_NEVER = never. */
    unsigned stale_ms;
};

#define DHCP_SERVER_STALE_MS_DEFAULT 500u
#define DHCP_SERVER_STALE_NEVER      UINT32_MAX

/* Counters since dhcp_server_new(); a snapshot (each field read atomically). */
struct dhcp_server_stats {
    uint64_t received;                   /* datagrams read */
    uint64_t malformed;                  /* dhcp_packet_parse() refused them */
    uint64_t wrong_interface;            /* arrived on an interface we do not serve */
    uint64_t ignored[_DHCP_IGNORE_MAX];  /* decisions not to answer, by reason */
    uint64_t replies[_DHCP_MESSAGE_MAX]; /* sent, by message type (OFFER, ACK, NAK) */
    uint64_t relayed;                    /* replies sent to a relay (giaddr:67) */
    uint64_t lookup_errors;              /* find() failed */
    uint64_t decide_errors;              /* dhcp_decide()/dhcp_reply_build() failed */
    uint64_t send_errors;                /* sendmsg() failed */
    uint64_t conflicts; /* lookup said the MAC's Hardware is ambiguous (-ENOTUNIQ) */
    uint64_t stale;     /* DISCOVERs dropped because they waited longer than stale_ms */
};

/*
 * Creates the server and binds its socket (0.0.0.0:67 by default,
 * SO_REUSEADDR, SO_BROADCAST, IP_PKTINFO, SO_BINDTODEVICE when
 * bind_interface is set). Returns 0 and *ret, -EINVAL (NULL opts/config, a
 * config dhcp_decide() would refuse), -ENODEV (no such interface), -EACCES
 * (port 67 needs CAP_NET_BIND_SERVICE), -EADDRINUSE, -ENOMEM or another
 * socket error. *ret is written only on success.
 */
int dhcp_server_new(struct dhcp_server **ret, const struct dhcp_server_opts *opts);

/* Starts the receive thread. 0, -EINVAL (NULL or already started) or the
 * pthread_create error. */
int dhcp_server_start(struct dhcp_server *s);

/* Stops and joins the thread (idempotent). Returns 0 or -EINVAL. */
int dhcp_server_stop(struct dhcp_server *s);

/* Stops the server if running, closes the socket and frees it. Accepts
 * NULL; returns NULL. */
struct dhcp_server *dhcp_server_free(struct dhcp_server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dhcp_server *, dhcp_server_free)
#define _cleanup_dhcp_server_ _cleanup_(dhcp_server_freep)

/* The bound UDP port (useful with port 0 in tests); -1 for NULL. */
int dhcp_server_port(const struct dhcp_server *s);

/* Copies the counters. Thread-safe. Returns 0 or -EINVAL. */
int dhcp_server_get_stats(const struct dhcp_server *s, struct dhcp_server_stats *ret);

/* What to send for one datagram (the seam the loop, the tests and the
 * fuzzer share). data is malloc'd and owned by the caller. */
struct dhcp_server_reply {
    uint8_t *data;
    size_t len;
    struct sockaddr_in dest;
    bool broadcast; /* dest is 255.255.255.255: send out of the arrival interface */
};

/*
 * Handles one datagram that arrived on interface ifindex from peer (both
 * may be 0/NULL in tests), updating the counters exactly as the loop does,
 * without sending. Returns 1 with *ret filled (free ret->data) when a reply
 * is due, 0 when the packet is dropped or ignored (counted), -EINVAL for
 * NULL arguments. Never fails for hostile input.
 */
int dhcp_server_handle_datagram(struct dhcp_server *s,
                                const void *data,
                                size_t len,
                                int ifindex,
                                const struct sockaddr_in *peer,
                                struct dhcp_server_reply *ret);

/*
 * As dhcp_server_handle_datagram() for a datagram that waited queued_ms in
 * the socket queue before it was read: a DISCOVER that waited longer than
 * the server's stale_ms is dropped without a lookup and counted as stale
 * (a late OFFER only arrives after the client gave up or retransmitted, and
 * answering it would make every later packet later still). Other message
 * types are answered whatever their age: a REQUEST completes an exchange.
 * Same returns as dhcp_server_handle_datagram().
 */
int dhcp_server_handle_queued(struct dhcp_server *s,
                              const void *data,
                              size_t len,
                              int ifindex,
                              const struct sockaddr_in *peer,
                              uint64_t queued_ms,
                              struct dhcp_server_reply *ret);

/* Milliseconds from a kernel receive timestamp (SO_TIMESTAMPNS,
 * CLOCK_REALTIME) to now: 0 when either is NULL, received is all zero (the
 * kernel gave no timestamp) or lies in the future (the clock was set
 * back). */
uint64_t dhcp_server_queued_ms(const struct timespec *received, const struct timespec *now);

/*
 * A server with no socket, for tests and fuzzers: only
 * dhcp_server_handle_datagram(), get_stats() and free() may be used on it.
 * ifindex 0 means "any interface"; otherwise datagrams from other
 * interfaces count as wrong_interface. Same returns as dhcp_server_new()
 * minus the socket errors.
 */
int dhcp_server_new_detached(struct dhcp_server **ret,
                             const struct dhcp_server_opts *opts,
                             int ifindex);
