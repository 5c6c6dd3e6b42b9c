/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Internals of pkg/dhcp, visible to the module, its tests and its fuzzer
 * only (systemd's dhcp-server-internal.h pattern).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"
#include "dhcp/dhcp.h"

/* Byte offsets in the fixed header (RFC 2131 figure 1). */
enum {
    DHCP_OFF_OP = 0,
    DHCP_OFF_HTYPE = 1,
    DHCP_OFF_HLEN = 2,
    DHCP_OFF_HOPS = 3,
    DHCP_OFF_XID = 4,
    DHCP_OFF_SECS = 8,
    DHCP_OFF_FLAGS = 10,
    DHCP_OFF_CIADDR = 12,
    DHCP_OFF_YIADDR = 16,
    DHCP_OFF_SIADDR = 20,
    DHCP_OFF_GIADDR = 24,
    DHCP_OFF_CHADDR = 28,
    DHCP_OFF_SNAME = 44,
    DHCP_OFF_FILE = 108,
    DHCP_OFF_COOKIE = 236,
    DHCP_OFF_OPTIONS = 240,
};

/* RFC 2131 §3: 99, 130, 83, 99. */
#define DHCP_MAGIC_COOKIE 0x63825363u

#define DHCP_OVERLOAD_FILE  1u
#define DHCP_OVERLOAD_SNAME 2u

/* Option 43 (PXE) and 175 (iPXE) sub-options anvil writes. */
#define DHCP_PXE_DISCOVERY_CONTROL 6
#define DHCP_PXE_BOOT_FROM_FILE    0x08
#define DHCP_PXE_RPI_BOOT          9
#define DHCP_PXE_RPI_PXE           10
#define DHCP_IPXE_NO_PXEDHCP       176

/* Where one option's concatenated value sits in the packet's arena. */
struct dhcp_option_span {
    uint32_t off;
    uint32_t len;
    bool present;
};

struct dhcp_packet {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    struct in_addr ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[DHCP_CHADDR_SIZE];
    char sname[DHCP_SNAME_SIZE + 1]; /* NUL-terminated copy */
    char file[DHCP_FILE_SIZE + 1];
    uint8_t overload;
    uint8_t message_type;
    /* Every option value, each followed by one NUL byte. */
    uint8_t *arena;
    size_t arena_len;
    struct dhcp_option_span options[256];
};

/* ------------------------------------------------------------------------ */
/* Option walking (dhcp-option.c)                                           */

/* Called once per option instance (not pad or end) in wire order. A
 * negative return stops the walk and is returned by dhcp_option_walk(). */
typedef int (*dhcp_option_visit_t)(uint8_t code, const uint8_t *data, uint8_t len, void *userdata);

/*
 * Walks the TLV options in field[0..len): pad is skipped, end stops the
 * walk, a missing end is accepted. Returns 0, -EBADMSG when an option's
 * length octet or value runs past the field, or the visitor's error.
 */
int dhcp_option_walk(const uint8_t *field, size_t len, dhcp_option_visit_t visit, void *userdata);

/* True when data[0..len) is a non-empty RFC 3004 list: every item has a
 * non-zero length octet and the items exactly fill the value. */
bool dhcp_user_class_is_rfc3004(const uint8_t *data, size_t len);

/* True when data[0..len) is a non-empty RFC 3046 sub-option list. */
bool dhcp_relay_agent_info_is_valid(const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------ */
/* Option encoders (dhcp-option.c). Each appends to out; on error out is    */
/* freed (buf semantics) and the error returned.                            */

/*
 * RFC 3442 option 121 value: for each route the prefix width, the
 * ceil(width/8) significant octets of the destination (bits past the prefix
 * cleared) and the router. A nonzero default_via appends 0.0.0.0/0 via it.
 * Returns 0, -EINVAL for a prefix over 32, or a buf error.
 */
int dhcp_option_append_routes(struct buf *out,
                              const struct dhcp_route *routes,
                              size_t n,
                              struct in_addr default_via);

/* True when name can be written as an RFC 1035 name: 1..63-byte labels
 * separated by single dots, optional trailing dot, at most 255 bytes
 * encoded. */
bool dhcp_domain_name_is_valid(const char *name);

/*
 * RFC 1035 §3.1 encoding (length-prefixed labels, zero terminator, no
 * compression) of each name in turn, the option 119 value of RFC 3397.
 * Returns 0, -EINVAL for a name that is not valid, or a buf error.
 */
int dhcp_option_append_domain_list(struct buf *out, const char *const *names, size_t n);

/* ------------------------------------------------------------------------ */
/* Reply option lists and their layout into the packet (dhcp-option.c)      */

#define DHCP_OPTION_LIST_MAX       40
#define DHCP_OPTION_LIST_DATA_MAX  (64u * 1024u)

struct dhcp_option_item {
    uint8_t code;
    size_t off; /* into the list's data */
    size_t len;
};

/* Options of one reply in the order they are to be written. */
struct dhcp_option_list {
    struct buf data;
    struct dhcp_option_item items[DHCP_OPTION_LIST_MAX];
    size_t n;
};

#define DHCP_OPTION_LIST_INIT                                                                     \
    ((struct dhcp_option_list){.data = BUF_INIT(DHCP_OPTION_LIST_DATA_MAX), .n = 0})

static inline void dhcp_option_list_done(struct dhcp_option_list *l)
{
    buf_free(&l->data);
}

/* Appends one option (its whole value; split later if over 255 bytes).
 * Returns 0, -E2BIG when the list is full, or a buf error. */
int dhcp_option_list_add(struct dhcp_option_list *l, uint8_t code, const void *data, size_t len);

/* Bytes the option takes on the wire once split into <= 255-byte pieces. */
size_t dhcp_option_wire_size(size_t len);

/* One field the layout may write options into. */
struct dhcp_region {
    uint8_t *buf;
    size_t cap;
    size_t used;
};

/*
 * Writes the options of l into the packet fields. options is the options
 * field after the cookie, file and sname the header fields when the reply
 * leaves them empty (cap 0 otherwise). The relay agent option (82), when
 * present in l, always goes last in the options field (RFC 3046). Only when
 * everything does not fit in options are file and sname used, each ending
 * with an end option, and option 52 is then written to the options field.
 * Regions must be zero-filled by the caller (zero is the pad option).
 *
 * Returns 0 with *ret_overload (0..3) and options->used set, or -EMSGSIZE.
 * If only 82 prevents a fit, the reply goes without it (RFC 3046) and
 * *ret_dropped_relay_info is set.
 */
int dhcp_options_layout(const struct dhcp_option_list *l,
                        struct dhcp_region *options,
                        struct dhcp_region *file,
                        struct dhcp_region *sname,
                        uint8_t *ret_overload,
                        bool *ret_dropped_relay_info);

/* ------------------------------------------------------------------------ */
/* Netboot helpers (dhcp-bootfile.c)                                        */

/*
 * Smee's netboot-client test: message type DISCOVER or REQUEST; option 60
 * starting with "PXEClient" or "HTTPClient"; options 93 and 94 present;
 * option 97 absent, empty, or 17 bytes starting with 0.
 */
bool dhcp_is_netboot_client(const struct dhcp_packet *p);

/* True when option 60 starts with "HTTPClient" (UEFI HTTP boot). */
bool dhcp_is_http_client(const struct dhcp_packet *p);

/* True when the client runs iPXE: user class "iPXE" or "Tinkerbell", or
 * iPXE's encapsulated option 175 present. */
bool dhcp_is_ipxe(const struct dhcp_packet *p);

/* True for Raspberry Pi Trading OUIs (Smee treats them as arch 41). */
bool dhcp_mac_is_raspberry_pi(const uint8_t mac[DHCP_ETHER_ADDR_LEN]);

/* The built-in option 93 -> binary map, NULL for unknown architectures. */
const char *dhcp_arch_default_binary(uint16_t arch);

/*
 * The architecture and iPXE binary of a client: arch 41 for Raspberry Pi
 * MACs, else the first option 93 entry with a binary in cfg's overrides or
 * the built-in map. Returns true with both outputs set, or false (outputs
 * untouched) when no binary is known.
 */
bool dhcp_arch_pick(const struct dhcp_packet *p,
                    const struct dhcp_config *cfg,
                    uint16_t *ret_arch,
                    const char **ret_binary);

/* Writes the lowercase colon form of mac ("aa:bb:cc:dd:ee:ff") to out. */
void dhcp_format_mac(const uint8_t mac[DHCP_ETHER_ADDR_LEN], char out[18]);

enum dhcp_boot_kind {
    DHCP_BOOT_SCRIPT,      /* user class Tinkerbell: the iPXE script URL */
    DHCP_BOOT_HTTP_BINARY, /* HTTPClient: http://.../ipxe/binary/<mac>/<bin> */
    DHCP_BOOT_TFTP_URL,    /* user class iPXE: tftp://<ip>:<port>/<mac>/<bin> */
    DHCP_BOOT_ROM_EMPTY,   /* Raspberry Pi firmware (arch 41): no file */
    DHCP_BOOT_ROM_BINARY,  /* plain PXE ROM: <bin> from next-server */
    _DHCP_BOOT_KIND_MAX,
};

struct dhcp_boot {
    enum dhcp_boot_kind kind;
    char file[DHCP_BOOTFILE_MAX + 1];
    struct in_addr next_server;
};

/*
 * Smee's boot-file table (compat §5.3), in order: user class Tinkerbell (or
 * any iPXE with cfg->ipxe_script_for_ipxe) -> script_url, or the default
 * <script base>/<mac>/auto.ipxe when NULL; option 60 HTTPClient -> HTTP
 * binary URL; user class iPXE -> tftp:// URL; arch 41 -> empty; else the
 * binary. next_server is http_ip for HTTPClient, tftp_ip otherwise. binary
 * may be NULL only when no row needs it. Returns 0, -EINVAL when a needed
 * binary is missing, or -ENAMETOOLONG when the file exceeds 255 bytes.
 */
int dhcp_boot_choose(const struct dhcp_packet *p,
                     const struct dhcp_config *cfg,
                     uint16_t arch,
                     const char *binary,
                     const char *script_url,
                     struct dhcp_boot *ret);

/* Effective configuration values (zero fields replaced by defaults). */
struct in_addr dhcp_config_server_ip(const struct dhcp_config *cfg);
struct in_addr dhcp_config_tftp_ip(const struct dhcp_config *cfg);
struct in_addr dhcp_config_http_ip(const struct dhcp_config *cfg);
uint16_t dhcp_config_tftp_port(const struct dhcp_config *cfg);
uint16_t dhcp_config_http_port(const struct dhcp_config *cfg);
