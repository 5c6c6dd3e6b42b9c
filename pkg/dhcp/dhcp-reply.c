/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serialization of OFFER/ACK/NAK replies (RFC 2131 §4.3, table 3) with the
 * options anvil sends, honouring the client's maximum message size.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void put_be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static int add_addr(struct dhcp_option_list *l, uint8_t code, struct in_addr a)
{
    if (a.s_addr == 0)
        return 0;
    return dhcp_option_list_add(l, code, &a.s_addr, 4);
}

static int add_addrs(struct dhcp_option_list *l, uint8_t code, const struct in_addr *a, size_t n)
{
    _cleanup_buf_ struct buf tmp = BUF_INIT(DHCP_OPTION_LIST_DATA_MAX);

    for (size_t i = 0; i < n; i++) {
        int r = buf_append(&tmp, &a[i].s_addr, 4);
        if (r < 0)
            return r;
    }
    if (tmp.len == 0)
        return 0;
    return dhcp_option_list_add(l, code, tmp.data, tmp.len);
}

static int add_str(struct dhcp_option_list *l, uint8_t code, const char *s)
{
    if (!s || !s[0])
        return 0;
    return dhcp_option_list_add(l, code, s, strlen(s));
}

static int add_echo(struct dhcp_option_list *l, const struct dhcp_packet *req, uint8_t code)
{
    const uint8_t *v;
    size_t len;

    if (dhcp_packet_get_option(req, code, &v, &len) < 0)
        return 0;
    return dhcp_option_list_add(l, code, v, len);
}

static int add_pxe_vendor(struct dhcp_option_list *l, const struct dhcp_reply *reply)
{
    /* Option 43 encapsulates PXE sub-options (RFC 2132 §8.4 syntax). Sub 6
     * is PXE_DISCOVERY_CONTROL; bit 3 (0x08) tells the ROM to skip boot
     * server discovery and boot the file named in the reply. */
    static const uint8_t discovery[] = {DHCP_PXE_DISCOVERY_CONTROL, 1, DHCP_PXE_BOOT_FROM_FILE};
    /* What Raspberry Pi network boot firmware expects (as Smee sends): sub 9
     * = "\0\0\x11Raspberry Pi Boot" (20 bytes), sub 10 = "\0PXE". */
    static const char rpi_text[] = "\x09\x14\x00\x00\x11Raspberry Pi Boot"
                                   "\x0a\x04\x00PXE";
    const uint8_t *rpi = (const uint8_t *)rpi_text;
    const size_t rpi_len = sizeof(rpi_text) - 1; /* without the literal's NUL */
    uint8_t v[sizeof(discovery) + sizeof(rpi_text)];
    size_t n = 0;

    if (reply->pxe_boot_from_file) {
        memcpy(v + n, discovery, sizeof(discovery));
        n += sizeof(discovery);
    }
    if (reply->raspberry_pi) {
        memcpy(v + n, rpi, rpi_len);
        n += rpi_len;
    }
    if (n == 0)
        return 0;
    return dhcp_option_list_add(l, DHCP_OPTION_VENDOR_SPECIFIC, v, n);
}

static int add_encoded(struct dhcp_option_list *l,
                       uint8_t code,
                       const struct dhcp_reply *reply,
                       int (*encode)(struct buf *, const struct dhcp_reply *))
{
    _cleanup_buf_ struct buf tmp = BUF_INIT(DHCP_OPTION_LIST_DATA_MAX);

    int r = encode(&tmp, reply);
    if (r < 0)
        return r;
    if (tmp.len == 0)
        return 0;
    return dhcp_option_list_add(l, code, tmp.data, tmp.len);
}

static int encode_routes(struct buf *out, const struct dhcp_reply *reply)
{
    if (reply->n_routes == 0)
        return 0;
    return dhcp_option_append_routes(out, reply->routes, reply->n_routes,
                                     reply->default_route_via);
}

static int encode_search(struct buf *out, const struct dhcp_reply *reply)
{
    return dhcp_option_append_domain_list(out, reply->domain_search, reply->n_domain_search);
}

/* The reply's options in the order they are written; 82 is moved last by
 * the layout. */
static int reply_options(const struct dhcp_packet *req,
                         const struct dhcp_reply *reply,
                         const char *bootfile_option,
                         struct dhcp_option_list *l)
{
    uint8_t type = reply->type;
    int r = 0;

    /* RFC 2131 table 3: "DHCP message type" and "Server identifier" are MUST
     * in OFFER, ACK and NAK; they go first so they always sit in the
     * options field. */
    r = dhcp_option_list_add(l, DHCP_OPTION_MESSAGE_TYPE, &type, 1);
    if (r >= 0)
        r = add_addr(l, DHCP_OPTION_SERVER_ID, reply->server_id);
    if (r >= 0 && reply->has_lease_time) {
        uint8_t v[4];
        put_be32(v, reply->lease_time);
        r = dhcp_option_list_add(l, DHCP_OPTION_LEASE_TIME, v, 4);
    }
    if (r >= 0)
        r = add_addr(l, DHCP_OPTION_SUBNET_MASK, reply->netmask);
    if (r >= 0)
        r = add_addr(l, DHCP_OPTION_ROUTER, reply->router);
    if (r >= 0)
        r = add_addr(l, DHCP_OPTION_BROADCAST, reply->broadcast_address);
    if (r >= 0)
        r = add_addrs(l, DHCP_OPTION_DNS, reply->dns, reply->n_dns);
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_DOMAIN_NAME, reply->domain_name);
    if (r >= 0)
        r = add_encoded(l, DHCP_OPTION_DOMAIN_SEARCH, reply, encode_search);
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_HOSTNAME, reply->hostname);
    if (r >= 0)
        r = add_addrs(l, DHCP_OPTION_NTP, reply->ntp, reply->n_ntp);
    if (r >= 0)
        r = add_addr(l, DHCP_OPTION_LOG_SERVER, reply->log_server);
    if (r >= 0)
        r = add_encoded(l, DHCP_OPTION_CLASSLESS_ROUTES, reply, encode_routes);
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_VENDOR_CLASS, reply->vendor_class);
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_TFTP_SERVER_NAME, reply->tftp_server_name);
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_BOOTFILE_NAME, bootfile_option);
    if (r >= 0)
        r = add_pxe_vendor(l, reply);
    if (r >= 0 && reply->echo_client_machine_id)
        r = add_echo(l, req, DHCP_OPTION_CLIENT_MACHINE_ID);
    if (r >= 0 && reply->ipxe_no_pxedhcp) {
        /* iPXE's encapsulated option 175, sub 176 "no-pxedhcp" = 1: do not
         * wait for ProxyDHCP offers (pxe-notes.md A11). */
        static const uint8_t v[] = {DHCP_IPXE_NO_PXEDHCP, 1, 1};
        r = dhcp_option_list_add(l, DHCP_OPTION_IPXE_ENCAP, v, sizeof(v));
    }
    if (r >= 0)
        r = add_str(l, DHCP_OPTION_MESSAGE, reply->message);
    if (r >= 0 && reply->echo_relay_agent_info)
        r = add_echo(l, req, DHCP_OPTION_RELAY_AGENT_INFO);
    return r;
}

static void write_header(uint8_t *pkt,
                         const struct dhcp_packet *req,
                         const struct dhcp_reply *reply)
{
    uint16_t flags = dhcp_packet_flags(req);

    /* RFC 2131 table 3: htype, hlen, xid, flags, giaddr and chaddr come from
     * the client's message; hops and secs are 0. */
    if (reply->broadcast)
        flags |= DHCP_FLAG_BROADCAST;
    pkt[DHCP_OFF_OP] = DHCP_BOOTREPLY;
    pkt[DHCP_OFF_HTYPE] = dhcp_packet_htype(req);
    pkt[DHCP_OFF_HLEN] = dhcp_packet_hlen(req);
    pkt[DHCP_OFF_HOPS] = 0;
    put_be32(pkt + DHCP_OFF_XID, dhcp_packet_xid(req));
    put_be16(pkt + DHCP_OFF_SECS, 0);
    put_be16(pkt + DHCP_OFF_FLAGS, flags);
    memcpy(pkt + DHCP_OFF_CIADDR, &reply->ciaddr.s_addr, 4);
    memcpy(pkt + DHCP_OFF_YIADDR, &reply->yiaddr.s_addr, 4);
    memcpy(pkt + DHCP_OFF_SIADDR, &reply->siaddr.s_addr, 4);
    struct in_addr giaddr = dhcp_packet_giaddr(req);
    memcpy(pkt + DHCP_OFF_GIADDR, &giaddr.s_addr, 4);
    memcpy(pkt + DHCP_OFF_CHADDR, dhcp_packet_chaddr(req), DHCP_CHADDR_SIZE);
    put_be32(pkt + DHCP_OFF_COOKIE, DHCP_MAGIC_COOKIE);
}

int dhcp_reply_build(const struct dhcp_packet *request,
                     const struct dhcp_reply *reply,
                     uint8_t **ret_data,
                     size_t *ret_len)
{
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    _cleanup_free_ uint8_t *pkt = NULL;
    int r;

    assert_return(request && reply && ret_data && ret_len, -EINVAL);
    assert_return(reply->type == DHCP_OFFER || reply->type == DHCP_ACK || reply->type == DHCP_NAK,
                  -EINVAL);
    assert_return(dhcp_packet_op(request) == DHCP_BOOTREQUEST, -EINVAL);
    assert_return(strnlen(reply->sname, sizeof(reply->sname)) < sizeof(reply->sname), -EINVAL);
    assert_return(strnlen(reply->file, sizeof(reply->file)) < sizeof(reply->file), -EINVAL);

    /* RFC 2131 §2: clients accept at least 576-octet datagrams and may
     * announce more with option 57; the size counts the IP and UDP
     * headers. */
    size_t mms = MIN((size_t)dhcp_packet_max_message_size(request),
                     (size_t)DHCP_MAX_REPLY_MESSAGE_SIZE);
    size_t payload_max = mms - DHCP_IP_UDP_OVERHEAD;

    /* A boot file too long for the 128-byte 'file' field travels in option
     * 67 (RFC 2132 §9.5) unless the reply already names one there. */
    size_t file_len = strlen(reply->file);
    bool file_in_header = file_len > 0 && file_len < DHCP_FILE_SIZE;
    const char *bootfile_option = reply->bootfile_name;
    if (!bootfile_option && file_len >= DHCP_FILE_SIZE)
        bootfile_option = reply->file;
    bool sname_in_header = reply->sname[0] != '\0';

    r = reply_options(request, reply, bootfile_option, &l);
    if (r < 0)
        return r == -E2BIG ? -EMSGSIZE : r;

    pkt = calloc(1, payload_max);
    if (!pkt)
        return -ENOMEM;
    write_header(pkt, request, reply);
    if (sname_in_header)
        memcpy(pkt + DHCP_OFF_SNAME, reply->sname, strlen(reply->sname));
    if (file_in_header)
        memcpy(pkt + DHCP_OFF_FILE, reply->file, file_len);

    /* RFC 2131 table 3: "Use 'file'/'sname' fields" is MAY for OFFER and
     * ACK and MUST NOT for NAK. */
    bool may_overload = reply->type != DHCP_NAK;
    struct dhcp_region options = {.buf = pkt + DHCP_OFF_OPTIONS,
                                  .cap = payload_max - DHCP_OFF_OPTIONS};
    struct dhcp_region file = {.buf = pkt + DHCP_OFF_FILE,
                               .cap = may_overload && !file_in_header ? DHCP_FILE_SIZE : 0};
    struct dhcp_region sname = {.buf = pkt + DHCP_OFF_SNAME,
                                .cap = may_overload && !sname_in_header ? DHCP_SNAME_SIZE : 0};
    uint8_t overload;
    bool dropped_relay;
    r = dhcp_options_layout(&l, &options, &file, &sname, &overload, &dropped_relay);
    if (r < 0)
        return r;

    /* RFC 1542 §2.1: "The IP Total Length and UDP Length must be large
     * enough to contain the minimal BOOTP header of 300 octets". */
    size_t len = MAX((size_t)DHCP_OFF_OPTIONS + options.used, (size_t)DHCP_BOOTP_MIN_LEN);
    assert(len <= payload_max);

    *ret_data = TAKE_PTR(pkt);
    *ret_len = len;
    return 0;
}
