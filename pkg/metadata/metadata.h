/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The EC2-style metadata tree that anvil-boot serves under /2009-04-04/
 * (compat §6), as Tinkerbell's Tootles and Hegel serve it, plus the choice
 * of the client address it is looked up by.
 *
 * Pure functions: a Hardware object (json_t, as the API server returns it,
 * or NULL when no Hardware has the client's address) and the part of the
 * URL path after "/2009-04-04" go in; an HTTP status and a text body come
 * out. Directory listings do not need a Hardware (Tootles answers them
 * without a lookup); leaves do.
 *
 * Thread-safe: no global state; the inputs are only read.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define METADATA_VERSION_PREFIX "/2009-04-04"
/* Longest path accepted; longer ones are 404. */
#define METADATA_PATH_MAX 256
/* Largest body produced (user-data included). */
#define METADATA_BODY_MAX (2 * 1024 * 1024)
/* Text form of an IPv6 address plus NUL (INET6_ADDRSTRLEN). */
#define METADATA_IP_STRLEN 46
/* X-Forwarded-For: longest header read, and most hops walked. */
#define METADATA_XFF_MAX      8192
#define METADATA_XFF_HOPS_MAX 32

struct metadata_reply {
    int status;      /* 200 or 404 */
    char *body;      /* malloc'd text, NUL-terminated; may hold NULs from user-data */
    size_t body_len; /* without the terminating NUL */
};

/*
 * Answers GET <METADATA_VERSION_PREFIX>/<path>. path is what follows the
 * prefix, with or without leading and trailing slashes ("", "/",
 * "meta-data/", "/meta-data/hostname"). A path with a "." or ".."
 * component, an empty component ("a//b"), a byte outside [A-Za-z0-9._-]
 * or more than METADATA_PATH_MAX bytes is not found.
 *
 * Returns 0 with *ret filled: status 200 and the listing or the value, or
 * status 404 and a short reason ("not found", or "no hardware found for
 * source ip" when a leaf is asked for with hardware NULL). Returns -EINVAL
 * (NULL path or ret), -E2BIG (body over METADATA_BODY_MAX) or -ENOMEM, and
 * then leaves *ret untouched. Release *ret with metadata_reply_done().
 */
int metadata_lookup(const json_t *hardware, const char *path, struct metadata_reply *ret);

/* Frees the body and zeroes *r. NULL-safe. */
void metadata_reply_done(struct metadata_reply *r);

/* ------------------------------------------------------------------------ */
/* Client address: CIDR matching and X-Forwarded-For                         */

/* An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
 * stored as IPv4. */
struct metadata_addr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t bytes[16]; /* network order; 4 used for AF_INET */
};

struct metadata_cidr {
    struct metadata_addr addr; /* host bits cleared */
    unsigned prefix;           /* 0..32 or 0..128 */
};

/*
 * Parses the len bytes at s as an IPv4 dotted quad or an IPv6 address (no
 * zone, no brackets). Returns 0 and *ret, or -EINVAL (ret untouched).
 */
int metadata_addr_parse(const char *s, size_t len, struct metadata_addr *ret);

/* Writes the canonical text form of *a. Returns 0 or -EINVAL. */
int metadata_addr_format(const struct metadata_addr *a, char ret[METADATA_IP_STRLEN]);

/*
 * Parses "a.b.c.d/n", "x::y/n" or a bare address (a host: /32 or /128).
 * Host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8). The prefix is
 * decimal without leading zeros. An IPv4-mapped IPv6 network needs a
 * prefix of at least 96 and becomes the IPv4 network. Returns 0 and *ret,
 * or -EINVAL (ret untouched).
 */
int metadata_cidr_parse(const char *s, struct metadata_cidr *ret);

/* True when a is inside c; an address never matches a network of the other
 * family. */
bool metadata_cidr_contains(const struct metadata_cidr *c, const struct metadata_addr *a);

/*
 * Parses a comma-separated list of networks (--trusted-proxies): spaces
 * around entries and empty entries are ignored. Returns 0 with *ret (free()
 * it; NULL when the list is empty) and *ret_n, or -EINVAL naming nothing
 * (the whole list is refused when one entry is bad), or -ENOMEM.
 */
int metadata_cidr_list_parse(const char *list, struct metadata_cidr **ret, size_t *ret_n);

/*
 * The address to look the Hardware up by. peer is the TCP peer address; xff
 * the X-Forwarded-For value (several headers joined with ","), or NULL.
 *
 * X-Forwarded-For is read only when the peer is in trusted (n_trusted
 * networks). It is then walked from the right, the end the trusted proxies
 * appended to: each address in trusted is another proxy and is skipped; the
 * first one that is not is the client. An entry that is not an address
 * ("unknown", garbage), a header over METADATA_XFF_MAX bytes, or running out
 * of entries or of METADATA_XFF_HOPS_MAX hops stops the walk at the last
 * proxy address seen, never at anything to its left. Entries may carry
 * brackets and a port ("[::1]:80", "10.0.0.1:80").
 *
 * Returns 0 and the canonical text in ret_ip, or -EINVAL (peer missing or
 * not an address; ret_ip untouched).
 */
int metadata_client_ip(const char *peer,
                       const char *xff,
                       const struct metadata_cidr *trusted,
                       size_t n_trusted,
                       char ret_ip[METADATA_IP_STRLEN]);
