/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * DHCPv4 for anvil-boot: a bounded wire codec (RFC 2131 header, RFC 2132
 * options, RFC 3396 long options and option overload) and the pure decision
 * logic that reproduces Tinkerbell Smee's reservation, proxy and auto-proxy
 * behaviour. Nothing here touches a socket, a clock or Kubernetes: the caller
 * hands in the bytes it received, the server configuration and, when a
 * Hardware interface matches the client's MAC, a plain reservation struct;
 * it gets back a decision (ignore with a reason, or a reply and where to send
 * it) and the reply's bytes.
 *
 *     _cleanup_dhcp_packet_ struct dhcp_packet *req = NULL;
 *     r = dhcp_packet_parse(buf, n, &req);          -EBADMSG: drop, count
 *     r = dhcp_decide(req, &cfg, res_or_NULL, &d);  d.ignore: counters
 *     r = dhcp_reply_build(req, &d.reply, &out, &out_len);
 *     sendto(d.dest.addr:d.dest.port, out, out_len)
 *
 * No global state; every function is reentrant and may be called from any
 * thread on objects that thread owns. A parsed packet is immutable and may be
 * read from several threads at once.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

/* UDP ports (RFC 2131 §4.1). */
#define DHCP_PORT_SERVER 67
#define DHCP_PORT_CLIENT 68

/* Fixed BOOTP header sizes (RFC 2131 figure 1). */
#define DHCP_CHADDR_SIZE   16
#define DHCP_SNAME_SIZE    64
#define DHCP_FILE_SIZE     128
#define DHCP_HEADER_SIZE   236 /* up to, not including, the magic cookie */
#define DHCP_MIN_PACKET    240 /* header plus magic cookie */
#define DHCP_BOOTP_MIN_LEN 300 /* RFC 1542 §2.1 minimal BOOTP message */

/* Largest datagram accepted by the parser (largest UDP payload over IPv4).
 * Anything longer is -EBADMSG. */
#define DHCP_PACKET_MAX_SIZE 65507

/* RFC 2132 §9.10: the smallest legal maximum message size (an IP datagram,
 * so it includes 20 bytes of IP and 8 of UDP header). */
#define DHCP_MIN_MESSAGE_SIZE 576
/* Replies never exceed one Ethernet MTU, whatever option 57 allows. */
#define DHCP_MAX_REPLY_MESSAGE_SIZE 1500
#define DHCP_IP_UDP_OVERHEAD        28

/* Longest boot file name a decision carries (option 67 limit, NUL excluded). */
#define DHCP_BOOTFILE_MAX 255
/* Most names in one domain search reply (option 119). */
#define DHCP_DOMAIN_SEARCH_MAX 8

/* Smee's lease time when the Hardware has none or one that does not fit. */
#define DHCP_DEFAULT_LEASE_TIME 604800u

#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY   2
#define DHCP_FLAG_BROADCAST 0x8000u
#define DHCP_HTYPE_ETHER    1
#define DHCP_ETHER_ADDR_LEN 6

/* Option 53 values (RFC 2132 §9.6). The wire may carry others; accessors
 * return the raw byte. */
enum dhcp_message_type {
    DHCP_MESSAGE_NONE = 0, /* no option 53: a plain BOOTP message */
    DHCP_DISCOVER = 1,
    DHCP_OFFER = 2,
    DHCP_REQUEST = 3,
    DHCP_DECLINE = 4,
    DHCP_ACK = 5,
    DHCP_NAK = 6,
    DHCP_RELEASE = 7,
    DHCP_INFORM = 8,
    _DHCP_MESSAGE_MAX,
};

/* Option codes the module reads or writes. */
enum {
    DHCP_OPTION_PAD = 0,
    DHCP_OPTION_SUBNET_MASK = 1,
    DHCP_OPTION_ROUTER = 3,
    DHCP_OPTION_DNS = 6,
    DHCP_OPTION_LOG_SERVER = 7,
    DHCP_OPTION_HOSTNAME = 12,
    DHCP_OPTION_DOMAIN_NAME = 15,
    DHCP_OPTION_BROADCAST = 28,
    DHCP_OPTION_NTP = 42,
    DHCP_OPTION_VENDOR_SPECIFIC = 43,
    DHCP_OPTION_REQUESTED_IP = 50,
    DHCP_OPTION_LEASE_TIME = 51,
    DHCP_OPTION_OVERLOAD = 52,
    DHCP_OPTION_MESSAGE_TYPE = 53,
    DHCP_OPTION_SERVER_ID = 54,
    DHCP_OPTION_PARAMETER_REQUEST_LIST = 55,
    DHCP_OPTION_MESSAGE = 56,
    DHCP_OPTION_MAX_MESSAGE_SIZE = 57,
    DHCP_OPTION_VENDOR_CLASS = 60,
    DHCP_OPTION_CLIENT_ID = 61,
    DHCP_OPTION_TFTP_SERVER_NAME = 66,
    DHCP_OPTION_BOOTFILE_NAME = 67,
    DHCP_OPTION_USER_CLASS = 77,
    DHCP_OPTION_RELAY_AGENT_INFO = 82,
    DHCP_OPTION_CLIENT_ARCH = 93,
    DHCP_OPTION_CLIENT_NDI = 94,
    DHCP_OPTION_CLIENT_MACHINE_ID = 97,
    DHCP_OPTION_DOMAIN_SEARCH = 119,
    DHCP_OPTION_CLASSLESS_ROUTES = 121,
    DHCP_OPTION_IPXE_ENCAP = 175,
    DHCP_OPTION_END = 255,
};

/* ------------------------------------------------------------------------ */
/* Parsed packets                                                            */

/* An immutable parsed BOOTP/DHCP message (request or reply). Opaque. */
struct dhcp_packet;

/*
 * Parses len bytes of a UDP payload. Copies what it keeps, so data may be
 * reused as soon as the call returns.
 *
 * Checks: at least the 236-byte header and the RFC 2131 magic cookie; op is
 * BOOTREQUEST or BOOTREPLY; hlen <= 16; every option lies entirely inside its
 * field (options, then file, then sname when option 52 overloads them);
 * option 52 is a single byte 1..3 and only in the options field; options of
 * known types have their RFC lengths (53 and 52 one byte, 50/51/54/1/28 four,
 * 57 two, 94 three, 93 a non-empty even length, 12/15/43/55/60/61/66/67/77
 * non-empty, 82 a well-formed sub-option list); repeated instances of one
 * code are concatenated in field order (RFC 3396).
 *
 * Returns 0 and *ret (free with dhcp_packet_free()), -EBADMSG for malformed
 * or oversized input (never reads outside data[0..len)), -ENOMEM, or -EINVAL
 * for NULL arguments. *ret is written only on success.
 */
int dhcp_packet_parse(const void *data, size_t len, struct dhcp_packet **ret);

/* Frees a packet. Accepts NULL; returns NULL. */
struct dhcp_packet *dhcp_packet_free(struct dhcp_packet *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dhcp_packet *, dhcp_packet_free)
#define _cleanup_dhcp_packet_ _cleanup_(dhcp_packet_freep)

/* Fixed header fields, in host byte order. p must not be NULL. */
uint8_t dhcp_packet_op(const struct dhcp_packet *p);
uint8_t dhcp_packet_htype(const struct dhcp_packet *p);
uint8_t dhcp_packet_hlen(const struct dhcp_packet *p);
uint8_t dhcp_packet_hops(const struct dhcp_packet *p);
uint32_t dhcp_packet_xid(const struct dhcp_packet *p);
uint16_t dhcp_packet_secs(const struct dhcp_packet *p);
uint16_t dhcp_packet_flags(const struct dhcp_packet *p);
/* True when the BROADCAST bit of 'flags' is set. */
bool dhcp_packet_broadcast(const struct dhcp_packet *p);
struct in_addr dhcp_packet_ciaddr(const struct dhcp_packet *p);
struct in_addr dhcp_packet_yiaddr(const struct dhcp_packet *p);
struct in_addr dhcp_packet_siaddr(const struct dhcp_packet *p);
struct in_addr dhcp_packet_giaddr(const struct dhcp_packet *p);
/* The 16-byte chaddr field (borrowed); hlen bytes of it are significant. */
const uint8_t *dhcp_packet_chaddr(const struct dhcp_packet *p);
/* sname / file up to their first NUL (borrowed), or NULL when option 52
 * says the field holds options. */
const char *dhcp_packet_sname(const struct dhcp_packet *p);
const char *dhcp_packet_file(const struct dhcp_packet *p);
/* Option 52 value (1 file, 2 sname, 3 both) or 0. */
uint8_t dhcp_packet_overload(const struct dhcp_packet *p);

/* Option 53 as sent (see enum dhcp_message_type), or 0 when absent. */
uint8_t dhcp_packet_message_type(const struct dhcp_packet *p);

/*
 * Any option, concatenated across instances. *ret_data is borrowed (valid
 * while p lives) and is followed by a NUL byte not counted in *ret_len, so
 * text options can be used as C strings when they hold no NUL themselves.
 * Returns 0, or -ENODATA when absent. ret_data/ret_len may be NULL.
 */
int dhcp_packet_get_option(const struct dhcp_packet *p,
                           uint8_t code,
                           const uint8_t **ret_data,
                           size_t *ret_len);

/* Typed accessors: 0 on success, -ENODATA when the option is absent. */
int dhcp_packet_get_requested_ip(const struct dhcp_packet *p, struct in_addr *ret);
int dhcp_packet_get_server_id(const struct dhcp_packet *p, struct in_addr *ret);
int dhcp_packet_get_lease_time(const struct dhcp_packet *p, uint32_t *ret);
/* Option 57 as sent (may be below 576; see dhcp_packet_max_message_size()). */
int dhcp_packet_get_max_message_size(const struct dhcp_packet *p, uint16_t *ret);
/* The size replies to p may use: option 57 raised to at least 576. */
uint16_t dhcp_packet_max_message_size(const struct dhcp_packet *p);
/* Option 93: the number of u16 architecture types, and the i-th one.
 * dhcp_packet_get_client_arch() returns -ENODATA when i is out of range. */
size_t dhcp_packet_n_client_arch(const struct dhcp_packet *p);
int dhcp_packet_get_client_arch(const struct dhcp_packet *p, size_t i, uint16_t *ret);
/* Option 94 (RFC 4578 §2.2): interface type, major and minor revision. */
int dhcp_packet_get_client_ndi(const struct dhcp_packet *p,
                               uint8_t *ret_type,
                               uint8_t *ret_major,
                               uint8_t *ret_minor);
/* Option 97 raw (borrowed; may be empty). */
int dhcp_packet_get_client_machine_id(const struct dhcp_packet *p,
                                      const uint8_t **ret,
                                      size_t *ret_len);
/* Option 60 raw (borrowed, NUL-terminated). */
int dhcp_packet_get_vendor_class(const struct dhcp_packet *p, const char **ret, size_t *ret_len);
/* True when option 60 starts with prefix (e.g. "PXEClient"). */
bool dhcp_packet_vendor_class_has_prefix(const struct dhcp_packet *p, const char *prefix);
/* Option 12 (borrowed, NUL-terminated). */
int dhcp_packet_get_hostname(const struct dhcp_packet *p, const char **ret, size_t *ret_len);
/* Option 55 (borrowed). */
int dhcp_packet_get_parameter_request_list(const struct dhcp_packet *p,
                                           const uint8_t **ret,
                                           size_t *ret_len);
/* True when option 55 lists code. */
bool dhcp_packet_requests_option(const struct dhcp_packet *p, uint8_t code);
/* Option 82 raw, kept to be echoed (borrowed). */
int dhcp_packet_get_relay_agent_info(const struct dhcp_packet *p,
                                     const uint8_t **ret,
                                     size_t *ret_len);

/*
 * Option 77. RFC 3004 encodes a list of length-prefixed classes; iPXE sends
 * the bare string ("iPXE", or "Tinkerbell" from Tinkerbell's builds). When
 * the value is a well-formed RFC 3004 list its items are the classes,
 * otherwise the whole value is one class.
 * dhcp_packet_get_user_class() returns -ENODATA when i is out of range.
 */
size_t dhcp_packet_n_user_class(const struct dhcp_packet *p);
int dhcp_packet_get_user_class(const struct dhcp_packet *p,
                               size_t i,
                               const uint8_t **ret,
                               size_t *ret_len);
/* True when name equals the raw option 77 value or one RFC 3004 item. */
bool dhcp_packet_has_user_class(const struct dhcp_packet *p, const char *name);

/* ------------------------------------------------------------------------ */
/* Server configuration and Hardware reservations (plain data)              */

enum dhcp_mode {
    DHCP_MODE_RESERVATION, /* full DHCP for known MACs only */
    DHCP_MODE_PROXY,       /* ProxyDHCP for known netboot clients */
    DHCP_MODE_AUTO_PROXY,  /* ProxyDHCP for every netboot client */
    _DHCP_MODE_MAX,
};

/* "reservation" / "proxy" / "auto-proxy". NULL for an out-of-range value. */
const char *dhcp_mode_to_string(enum dhcp_mode m);
/* Parses the names above. Returns 0, or -EINVAL (ret untouched). */
int dhcp_mode_from_string(const char *s, enum dhcp_mode *ret);

/* One entry of --ipxe-override-arch-mapping: option 93 value -> binary. */
struct dhcp_arch_binary {
    uint16_t arch;
    const char *binary;
};

/*
 * Server configuration. Zero means "default" for every optional field, so a
 * designated initializer naming only what differs is a complete config. All
 * pointers are borrowed for the duration of each call.
 */
struct dhcp_config {
    enum dhcp_mode mode;
    struct in_addr public_ip; /* required */
    struct in_addr server_ip; /* option 54 and siaddr (reservation); 0 = public_ip */
    struct in_addr tftp_ip;   /* next-server of plain PXE and tftp:// URLs; 0 = public_ip */
    uint16_t tftp_port;       /* 0 = 69 */
    struct in_addr http_ip;   /* next-server of HTTPClient; 0 = public_ip */
    uint16_t http_port;       /* 0 = 7080 */
    /* URL directories, no trailing slash needed, at most 200 bytes each.
     * NULL = http://<http_ip>:<http_port>/ipxe/script and .../ipxe/binary. */
    const char *script_url_base;
    const char *binary_url_base;
    struct in_addr syslog_ip; /* option 7 in reservation mode; 0 = not sent */
    const struct dhcp_arch_binary *arch_overrides; /* checked before the built-in map */
    size_t n_arch_overrides;
    bool disable_netboot_options; /* --dhcp-enable-netboot-options=false */
    /*
     * Debian divergence (see docs/dhcp.md): answer any iPXE client (user
     * class "iPXE" or option 175 present) with the script URL, as if it had
     * sent user class "Tinkerbell". Debian's iPXE binaries carry no embedded
     * script, so upstream's tftp:// chain would loop. false = upstream table.
     */
    bool ipxe_script_for_ipxe;
};

/* RFC 3442 route: destination/prefix_len via router. */
struct dhcp_route {
    struct in_addr destination;
    uint8_t prefix_len; /* 0..32 */
    struct in_addr router;
};

/*
 * The Hardware interface whose dhcp.mac equals the client's chaddr, already
 * converted by the caller (strings parsed to addresses; unparsable entries
 * skipped, as Smee does). Pointers are borrowed; a decision that copies them
 * stays valid only while this struct and what it points to live.
 */
struct dhcp_reservation {
    uint8_t mac[DHCP_ETHER_ADDR_LEN];
    struct in_addr ip;      /* dhcp.ip.address; 0 = none (reservation ignores) */
    struct in_addr netmask; /* 0 = no options 1 and 28 */
    struct in_addr gateway; /* 0 = no option 3 */
    const struct in_addr *nameservers;
    size_t n_nameservers;
    const struct in_addr *timeservers;
    size_t n_timeservers;
    const char *hostname; /* NULL or "" = not sent */
    const char *domain;   /* option 15 and, when a valid DNS name, option 119 */
    int64_t lease_time;   /* <= 0 or > UINT32_MAX -> 604800 */
    const struct dhcp_route *routes;
    size_t n_routes;
    const char *tftp_server_name; /* option 66; with 67 it replaces netboot */
    const char *boot_file_name;   /* option 67 and the file header */
    bool allow_pxe;               /* netboot.allowPXE (nil counts as false) */
    const char *ipxe_binary;      /* netboot.ipxe.binary override */
    const char *ipxe_script_url;  /* replaces the default script URL */
    bool disable_dhcp;            /* reservation mode stays silent */
    /* Carried for callers (kernel arguments, BMC jobs); not used by the
     * DHCP decision, exactly as upstream. */
    const char *vlan_id;
    const char *arch;
    bool uefi;
};

/* ------------------------------------------------------------------------ */
/* Decisions and replies                                                     */

/* Why a packet gets no reply; DHCP_IGNORE_NONE means "reply". */
enum dhcp_ignore {
    DHCP_IGNORE_NONE,
    DHCP_IGNORE_NOT_REQUEST,      /* op is not BOOTREQUEST */
    DHCP_IGNORE_NOT_DHCP,         /* no option 53 (plain BOOTP) */
    DHCP_IGNORE_HARDWARE_TYPE,    /* not Ethernet (htype 1, hlen 6) */
    DHCP_IGNORE_MESSAGE_TYPE,     /* a type this mode does not answer */
    DHCP_IGNORE_RELEASE,          /* nothing to free: leases are reservations */
    DHCP_IGNORE_DECLINE,          /* address conflict: the operator must fix it */
    DHCP_IGNORE_UNKNOWN_MAC,      /* no Hardware (reservation, proxy) */
    DHCP_IGNORE_DHCP_DISABLED,    /* Hardware says disableDhcp */
    DHCP_IGNORE_NO_ADDRESS,       /* Hardware has no ip.address */
    DHCP_IGNORE_NOT_NETBOOT,      /* proxy: not a PXE/HTTP netboot client */
    DHCP_IGNORE_NETBOOT_DISABLED, /* proxy with netboot options off */
    DHCP_IGNORE_NO_BINARY,        /* proxy: no iPXE binary for option 93 */
    DHCP_IGNORE_OTHER_SERVER,     /* REQUEST names another server */
    DHCP_IGNORE_NO_REQUESTED_IP,  /* REQUEST with neither option 50 nor ciaddr */
    _DHCP_IGNORE_MAX,
};

/* Stable snake_case label for metrics ("unknown_mac"); NULL out of range. */
const char *dhcp_ignore_to_string(enum dhcp_ignore reason);

/*
 * The content of one reply. A zero address or a NULL/empty string means
 * "option not sent". Pointers are borrowed (see dhcp_decide()).
 */
struct dhcp_reply {
    uint8_t type; /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
    struct in_addr ciaddr, yiaddr, siaddr;
    bool broadcast;                    /* set the BROADCAST flag in the reply */
    char sname[DHCP_SNAME_SIZE];       /* header; must fit with its NUL */
    char file[DHCP_BOOTFILE_MAX + 1];  /* header when < 128 bytes, else option 67 */
    struct in_addr server_id;          /* option 54 */
    bool has_lease_time;
    uint32_t lease_time; /* option 51 */
    struct in_addr netmask, router, broadcast_address, log_server;
    const struct in_addr *dns;
    size_t n_dns;
    const struct in_addr *ntp;
    size_t n_ntp;
    const char *hostname;
    const char *domain_name;
    const char *domain_search[DHCP_DOMAIN_SEARCH_MAX];
    size_t n_domain_search;
    const struct dhcp_route *routes;
    size_t n_routes;
    struct in_addr default_route_via; /* nonzero: append 0.0.0.0/0 via it to 121 */
    const char *vendor_class;         /* option 60 */
    const char *tftp_server_name;     /* option 66 */
    const char *bootfile_name;        /* option 67 */
    bool pxe_boot_from_file;          /* option 43 sub 6 = 0x08 */
    bool raspberry_pi;                /* option 43 subs 9 and 10 */
    bool ipxe_no_pxedhcp;             /* option 175 sub 176 = 1 */
    const char *message;              /* option 56 */
    bool echo_client_machine_id;      /* copy option 97 from the request */
    bool echo_relay_agent_info;       /* copy option 82 from the request */
};

struct dhcp_destination {
    struct in_addr addr;
    uint16_t port;
};

struct dhcp_decision {
    enum dhcp_ignore ignore;       /* DHCP_IGNORE_NONE: send reply to dest */
    struct dhcp_reply reply;       /* meaningful only when replying */
    struct dhcp_destination dest;  /* meaningful only when replying */
};

/*
 * Decides what to do with request under cfg. res is the matching Hardware
 * interface or NULL when there is none; when given, res->mac must equal the
 * request's chaddr.
 *
 * Pure: no I/O, no clock, no logging. Returns 0 with *ret filled (ret->ignore
 * says whether to reply), -EINVAL for NULL request/cfg/ret, an invalid cfg
 * (public_ip zero, mode out of range, URL base over 200 bytes, overrides NULL
 * with a count) or res (MAC differs from chaddr, a list NULL with a count, a
 * route prefix over 32), or -ENAMETOOLONG when the boot file (for instance a
 * long ipxe_script_url) would exceed 255 bytes. *ret is written only on
 * success and borrows pointers from res (names, lists, routes) and cfg: keep
 * them alive until dhcp_reply_build() has run.
 */
int dhcp_decide(const struct dhcp_packet *request,
                const struct dhcp_config *cfg,
                const struct dhcp_reservation *res,
                struct dhcp_decision *ret);

/*
 * Serializes reply as the answer to request: op BOOTREPLY; htype, hlen,
 * chaddr, xid, giaddr and flags copied from the request (flags gain the
 * BROADCAST bit when reply->broadcast); hops and secs zero; options 53 and 54
 * first and option 82 last in the options field (RFC 3046). Options longer
 * than 255 bytes are split (RFC 3396). When the options do not fit the
 * client's maximum message size (option 57, at least 576, at most 1500), the
 * file and sname fields that the reply leaves empty are overloaded (option
 * 52); the message is zero-padded to 300 bytes (RFC 1542).
 *
 * Returns 0 with *ret_data (free()) and *ret_len, -EMSGSIZE when the options
 * cannot fit even with overload, -EINVAL for NULL arguments, a type other
 * than OFFER/ACK/NAK, a request that is not a BOOTREQUEST, a route prefix
 * over 32 or a domain name that is not encodable (RFC 1035), or -ENOMEM.
 * Outputs are written only on success.
 */
int dhcp_reply_build(const struct dhcp_packet *request,
                     const struct dhcp_reply *reply,
                     uint8_t **ret_data,
                     size_t *ret_len);
