/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Internals of pkg/boot, visible to the module, its tests and its fuzzer.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "boot/boot.h"
#include "dhcp/dhcp.h"

struct store;
struct metadata_cidr;
struct httpd_request;
struct httpd_response;

/* Caps on what one Hardware interface contributes to a reply. */
#define BOOT_ADDRS_MAX  8
#define BOOT_ROUTES_MAX 16

/*
 * A Hardware interface converted for dhcp_decide(). res borrows its strings
 * from hardware (a reference this struct owns) and its lists from the
 * arrays here, so the struct must not be copied while res is in use.
 */
struct boot_reservation {
    struct dhcp_reservation res;
    json_t *hardware;
    struct in_addr dns[BOOT_ADDRS_MAX];
    struct in_addr ntp[BOOT_ADDRS_MAX];
    struct dhcp_route routes[BOOT_ROUTES_MAX];
};

/*
 * Converts the interface of hardware whose dhcp.mac is mac (compared case-
 * insensitively, ':' or '-' separated) as Smee does: addresses that do not
 * parse are skipped (an unparsable ip.address means "no address"), lists
 * beyond the caps above are cut, a lease_time that is not an integer counts
 * as unset. Takes a reference on hardware. Returns 0 and fills *ret, or
 * -ENOENT (no interface with that MAC), -EINVAL (NULL arguments, hardware
 * not an object). *ret is written only on success; release it with
 * boot_reservation_clear().
 */
int boot_reservation_from_hardware(const json_t *hardware,
                                   const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                                   struct boot_reservation *ret);

/* Drops the Hardware reference. NULL-safe; idempotent. */
void boot_reservation_clear(struct boot_reservation *r);

/*
 * The reservation for mac from the store's by-MAC and by-IP indexes.
 * Refuses ambiguity, so one MAC is never answered with two addresses and
 * one address never goes to two MACs: returns -ENOTUNIQ when Hardware
 * objects claiming mac disagree on the address, or when another Hardware
 * interface with a different MAC claims the same address. Returns 0 and
 * *ret (clear it with boot_reservation_clear()), -ENOENT (no Hardware),
 * -EINVAL, -ENOMEM.
 */
int boot_lookup_mac(struct store *s,
                    const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                    struct boot_reservation *ret);

/*
 * A per-MAC cache of boot_lookup_mac() for the DHCP thread. Lookups belong
 * to one thread; boot_cache_invalidate() may be called from any thread (the
 * informer's event handlers call it on every Hardware change) and makes
 * every cached answer stale. Answers cached: a reservation, -ENOENT and
 * -ENOTUNIQ; other errors are returned and not kept.
 */
struct boot_cache;

/* Creates an empty cache over store (a reference is taken). 0, -EINVAL,
 * -ENOMEM. */
int boot_cache_new(struct boot_cache **ret, struct store *store);

/* Frees the cache and its reservations. Accepts NULL; returns NULL. */
struct boot_cache *boot_cache_free(struct boot_cache *c);

/* Forgets every cached answer (a generation bump). Thread-safe, NULL-safe. */
void boot_cache_invalidate(struct boot_cache *c);

/*
 * boot_lookup_mac() for mac, from the cache when this generation answered
 * it already. Returns 0 and *ret, a reservation owned by the cache and
 * valid until the next boot_cache_lookup() or boot_cache_free(); or
 * -ENOENT, -ENOTUNIQ, -EINVAL, -ENOMEM as boot_lookup_mac(). *ret is
 * written only on success.
 */
int boot_cache_lookup(struct boot_cache *c,
                      const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                      const struct boot_reservation **ret);

/* Hits and misses since boot_cache_new() (either pointer may be NULL;
 * 0 for a NULL cache). Same thread as the lookups. */
void boot_cache_get_stats(const struct boot_cache *c, uint64_t *ret_hits, uint64_t *ret_misses);

/* Formats mac as "aa:bb:cc:dd:ee:ff" into out (18 bytes). */
void boot_mac_format(const uint8_t mac[DHCP_ETHER_ADDR_LEN], char out[18]);

/* Parses "aa:bb:cc:dd:ee:ff" (or '-' separated, any case). 0 or -EINVAL. */
int boot_mac_parse(const char *s, uint8_t ret[DHCP_ETHER_ADDR_LEN]);

/* ---- HTTP routing ---- */

enum boot_route {
    BOOT_ROUTE_NONE,
    BOOT_ROUTE_BINARY,   /* /ipxe/binary/[<mac>/]<name> */
    BOOT_ROUTE_SCRIPT,   /* /ipxe/script/[<mac>/]auto.ipxe */
    BOOT_ROUTE_BOOTENV,  /* /bootenv/<name> */
    BOOT_ROUTE_METADATA, /* /2009-04-04/... */
    _BOOT_ROUTE_MAX,
};

/* A request path taken apart. Pointers borrow from the path. */
struct boot_path {
    enum boot_route route;
    const char *rest; /* the part after the route prefix */
    char mac[18];     /* script route: the MAC in the path, "" when absent */
};

/*
 * Splits a request path: the route, the rest, and for scripts the MAC.
 * Returns 0 with *ret, -ENOENT (no such route, or a script name other than
 * auto.ipxe), -EACCES (a bootenv name with '/', a leading '.', a control
 * byte), -EINVAL (a script MAC that does not parse). Pure; fuzzed.
 */
int boot_path_parse(const char *path, struct boot_path *ret);

/* ---- counters ---- */

struct boot_counters {
    atomic_uint_fast64_t http[_BOOT_ROUTE_MAX]; /* requests by route */
    atomic_uint_fast64_t http_not_found;
    atomic_uint_fast64_t http_errors;
    atomic_uint_fast64_t scripts_hardware, scripts_static;
    atomic_uint_fast64_t syslog_lines, syslog_malformed, syslog_unknown_host;
};

/* ---- the process ---- */

struct boot {
    enum dhcp_mode mode;
    bool dhcp_enabled;
    bool tinkerbell_tls;
    struct dhcp_config dhcp_cfg;
    struct ipxe_config_storage {
        char *bootenv_url, *gateway_addr, *syslog_host;
        char *extra_args_buf; /* the --extra-kernel-args copy, split in place */
        const char **extra_args;
        size_t n_extra_args;
    } strs;
    struct metadata_cidr *trusted; /* --trusted-proxies */
    size_t n_trusted;
    uint8_t *agent_key; /* --agent-key-file contents, or NULL */
    size_t agent_key_len;
    int ipxe_dir_fd;     /* --ipxe-dir */
    int bootenv_dir_fd;  /* --bootenv-dir, or -1 */
    char *static_script; /* auto-proxy script for unknown machines, built once */
    struct kube_config *kcfg;
    struct kube_client *client;
    struct store *store;
    struct boot_cache *cache; /* the DHCP thread's lookups */
    struct informer_source *source;
    struct informer *informer;
    struct dhcp_server *dhcp;
    struct tftp_server *tftp;
    struct httpd *http;
    struct boot_syslog *syslog;
    struct boot_counters counters;
    bool started;
};

/* The ipxe_config for scripts (borrows from b). */
struct ipxe_config;
void boot_ipxe_config(const struct boot *b, struct ipxe_config *ret);

/* Registers every HTTP route of anvil-boot on b->http. 0 or -errno. */
int boot_http_routes(struct boot *b);

/* Answers a /2009-04-04 request from the Hardware with the client's
 * address. 0 or -errno (a 500). */
struct boot_path;
int boot_metadata_handle(struct boot *b,
                         const struct boot_path *p,
                         const struct httpd_request *req,
                         struct httpd_response *resp);

/* The client's address (peer, or X-Forwarded-For from a trusted proxy) as
 * text. 0 or -EINVAL. */
int boot_request_client_ip(const struct boot *b, const struct httpd_request *req, char ret[46]);

/* Appends the Prometheus text of every counter to out. 0 or -E2BIG/-ENOMEM. */
struct buf;
int boot_metrics_write(struct boot *b, struct buf *out);

/* The IPv4 address and name of the interface of the default route, or of
 * ifname when it is not NULL. Returns 0, -ENOENT (no default route, or the
 * interface has no IPv4 address), -ENODEV. */
int boot_netdev_ipv4(const char *ifname, struct in_addr *ret);
