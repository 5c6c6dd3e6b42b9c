/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The UDP transport of anvil-boot's TFTP server (pkg/tftp's socket layer;
 * the codec, path policy and transfer machine in tftp.h stay pure): a
 * listener on port 69, one transfer per read request driven by a
 * struct tftp_xfer, each on its own ephemeral socket connected to the
 * client (RFC 1350 transfer IDs) or, in single-port mode, all on the
 * listening socket and told apart by peer address. Retransmit deadlines sit
 * in a binary min-heap, so thousands of concurrent transfers cost
 * O(log n) per event. Files come from the iPXE directory only, by the
 * basename policy of tftp_path_map(); writes, traversal and unknown names
 * get a TFTP ERROR packet.
 *
 * Threads: tftp_server_start() runs `workers` loop threads. The first also
 * owns the listener: it answers requests and hands every new transfer to a
 * worker in turn (itself included); a transfer, its socket and its timer
 * then belong to that worker alone, so the DATA/ACK path takes no lock and
 * concurrent transfers spread over the cores. Single-port mode runs one
 * worker (every packet arrives on the listener). tftp_server_get_stats()
 * may be called from any thread; new/start/stop/free belong to one owner
 * thread.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp/tftp.h"

struct tftp_server;

struct tftp_server_opts {
    const char *ipxe_dir;                   /* required: directory of the iPXE binaries */
    const struct tftp_name_map *ipxe_files; /* NULL = tftp_ipxe_files_default() */
    struct in_addr bind_address;            /* 0 = INADDR_ANY */
    uint16_t port;                    /* 0 = 69; the listener may also be given port 1..65535 */
    bool port_zero;                   /* bind port 0 (tests): the kernel picks one */
    const char *bind_interface;       /* NULL/"" = every interface */
    const struct tftp_limits *limits; /* NULL = TFTP_LIMITS_DEFAULT */
    bool single_port;                 /* answer from the listening socket (no ephemeral ports) */
    size_t max_transfers;             /* concurrent transfers; 0 = 1024; more get ERROR 0 */
    size_t workers; /* serving threads; 0 = one per CPU of the process's affinity mask, at most
                       8; 1 in single-port mode */
};

/* Counters since tftp_server_new(); a snapshot (each field read atomically). */
struct tftp_server_stats {
    uint64_t requests;                 /* datagrams on the listener that parsed as RRQ/WRQ */
    uint64_t malformed;                /* listener datagrams that did not parse (dropped) */
    uint64_t refused[_TFTP_ERROR_MAX]; /* requests answered with ERROR, by code */
    uint64_t busy;                     /* requests refused because max_transfers were running */
    uint64_t transfers_started;
    uint64_t transfers_done;   /* final block acknowledged */
    uint64_t transfers_failed; /* timed out, client ERROR, read error */
    uint64_t active;           /* transfers running now */
    uint64_t bytes_sent;       /* file bytes in DATA packets, retransmissions included */
    uint64_t packets_sent;
    uint64_t retransmits; /* DATA blocks sent again */
    uint64_t timeouts;    /* retransmit timer expiries */
    uint64_t send_errors;
};

/*
 * Creates the server, opens ipxe_dir and binds the listener. Returns 0 and
 * *ret, -EINVAL (NULL/empty ipxe_dir, bad limits, an interface name too
 * long), -ENOENT/-ENOTDIR (ipxe_dir), -ENODEV (no such interface),
 * -EACCES (port 69 needs CAP_NET_BIND_SERVICE), -EADDRINUSE, -ENOMEM;
 * -EINVAL also for more than 8 workers.
 * *ret is written only on success.
 */
int tftp_server_new(struct tftp_server **ret, const struct tftp_server_opts *opts);

/* Starts the worker threads. 0, -EINVAL (NULL or started) or the
 * pthread_create error (then none runs). */
int tftp_server_start(struct tftp_server *s);

/* Stops and joins the worker threads, abandoning running transfers
 * (idempotent). Returns 0 or -EINVAL. */
int tftp_server_stop(struct tftp_server *s);

/* Stops the server, closes every socket and file, frees it. Accepts NULL;
 * returns NULL. */
struct tftp_server *tftp_server_free(struct tftp_server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct tftp_server *, tftp_server_free)
#define _cleanup_tftp_server_ _cleanup_(tftp_server_freep)

/* The listener's UDP port; -1 for NULL. */
int tftp_server_port(const struct tftp_server *s);

/* The number of serving threads; 0 for NULL. */
size_t tftp_server_workers(const struct tftp_server *s);

/* Copies the counters. Thread-safe. Returns 0 or -EINVAL. */
int tftp_server_get_stats(const struct tftp_server *s, struct tftp_server_stats *ret);
