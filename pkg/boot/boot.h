/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * anvil-boot's process (DESIGN.md §2): a Hardware informer with by-MAC and
 * by-IP indexes, and the servers that read it: DHCP (pkg/dhcp's transport,
 * reservations converted from Hardware), TFTP (pkg/tftp's transport, the
 * iPXE binaries), HTTP (iPXE binaries and scripts, boot-environment files
 * with Range, the EC2-style metadata tree, /metrics /healthz /readyz) and a
 * syslog receiver. Hardware changes apply to the next packet or request:
 * nothing is cached beyond the informer's store.
 *
 * Threads: the informer, the DHCP loop, the TFTP loop, the HTTP loop and
 * the syslog loop each run in a thread of their own; they share only the
 * thread-safe store and atomic counters. boot_new/start/stop/free belong to
 * one owner thread.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "dhcp/dhcp.h"

struct boot;

/* Every field mirrors a flag of cmd/anvil-boot; zero means the default
 * given in brackets. Strings are borrowed for boot_new() only. */
struct boot_opts {
    const char *kubeconfig; /* [the usual search order of pkg/kube] */
    const char *namespace_; /* Hardware namespace to watch [all] */
    bool dhcp_enabled;
    enum dhcp_mode dhcp_mode;
    const char *dhcp_bind_interface; /* [every interface] */
    uint16_t dhcp_port;              /* [67] */
    int dhcp_stale_ms; /* DISCOVERs queued longer are shed [500]; < 0 = never */
    struct in_addr public_ip;        /* [the bind interface's, else the default route's] */
    struct in_addr bind_address;     /* HTTP, TFTP and syslog listeners [any] */
    uint16_t http_port;              /* [7080] */
    bool tftp_enabled;
    uint16_t tftp_port; /* [69] */
    bool tftp_single_port;
    bool syslog_enabled;
    uint16_t syslog_port;          /* [514] */
    const char *gateway_addr;      /* grpc_authority= [<public-ip>:42113] */
    bool tinkerbell_tls;           /* tinkerbell_tls= */
    const char *bootenv_url;       /* [http://<public-ip>:<http-port>/bootenv] */
    const char *bootenv_dir;       /* served under /bootenv/ [not served] */
    const char *ipxe_dir;          /* [/usr/lib/ipxe] */
    const char *extra_kernel_args; /* space-separated */
    const char *trusted_proxies;   /* comma-separated CIDRs allowed to set X-Forwarded-For */
    const char *agent_key_file;    /* key for the per-boot anvil_token= */
};

/*
 * Loads the Kubernetes configuration, detects the public IP when it is not
 * given, and creates (without starting) every server, binding the sockets
 * so a port conflict is reported here. Returns 0 and *ret, or -errno with
 * *ret_error set to one line naming what failed (caller frees; may be NULL
 * when out of memory).
 */
int boot_new(struct boot **ret, const struct boot_opts *opts, char **ret_error);

/* Starts the informer and the servers. Returns 0 or -errno (logged by the
 * caller). */
int boot_start(struct boot *b);

/* Stops every thread: servers first, then the informer. Idempotent;
 * returns 0 or -EINVAL. */
int boot_stop(struct boot *b);

/* Stops and frees. Accepts NULL; returns NULL. */
struct boot *boot_free(struct boot *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct boot *, boot_free)
#define _cleanup_boot_ _cleanup_(boot_freep)
