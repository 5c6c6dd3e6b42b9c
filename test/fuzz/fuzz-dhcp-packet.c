/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Feeds raw datagrams to the DHCP parser. Whatever parses is decided on in
 * every mode (with and without a matching reservation) and every reply is
 * built and parsed back; any disagreement between what was decided and what
 * was serialized aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr))                                                                               \
            abort();                                                                               \
    } while (0)

/* Touch every accessor so that a bad span or arena offset is caught. */
static void read_everything(const struct dhcp_packet *p)
{
    const uint8_t *v;
    const char *s;
    size_t len;
    struct in_addr a;
    uint32_t u32;
    uint16_t u16;
    uint8_t t, ma, mi;
    volatile size_t sink = 0;

    for (unsigned code = 0; code < 256; code++)
        if (dhcp_packet_get_option(p, (uint8_t)code, &v, &len) == 0) {
            for (size_t i = 0; i < len; i++)
                sink += v[i];
            CHECK(v[len] == 0);
        }
    (void)dhcp_packet_get_requested_ip(p, &a);
    (void)dhcp_packet_get_server_id(p, &a);
    (void)dhcp_packet_get_lease_time(p, &u32);
    (void)dhcp_packet_get_max_message_size(p, &u16);
    CHECK(dhcp_packet_max_message_size(p) >= DHCP_MIN_MESSAGE_SIZE);
    size_t n_arch = dhcp_packet_n_client_arch(p);
    for (size_t i = 0; i < n_arch; i++)
        CHECK(dhcp_packet_get_client_arch(p, i, &u16) == 0);
    CHECK(dhcp_packet_get_client_arch(p, n_arch, &u16) < 0);
    (void)dhcp_packet_get_client_ndi(p, &t, &ma, &mi);
    (void)dhcp_packet_get_vendor_class(p, &s, &len);
    (void)dhcp_packet_get_hostname(p, &s, &len);
    (void)dhcp_packet_requests_option(p, DHCP_OPTION_BOOTFILE_NAME);
    size_t n_uc = dhcp_packet_n_user_class(p);
    for (size_t i = 0; i < n_uc; i++) {
        CHECK(dhcp_packet_get_user_class(p, i, &v, &len) == 0);
        for (size_t k = 0; k < len; k++)
            sink += v[k];
    }
    CHECK(dhcp_packet_get_user_class(p, n_uc, &v, &len) < 0);
    (void)dhcp_packet_has_user_class(p, "iPXE");
    (void)dhcp_is_netboot_client(p);
    if (dhcp_packet_sname(p))
        CHECK(strlen(dhcp_packet_sname(p)) <= DHCP_SNAME_SIZE);
    if (dhcp_packet_file(p))
        CHECK(strlen(dhcp_packet_file(p)) <= DHCP_FILE_SIZE);
    (void)sink;
}

/* The reply must say what the decision said. */
static void check_round_trip(const struct dhcp_packet *req, const struct dhcp_reply *rp)
{
    _cleanup_free_ uint8_t *raw = NULL;
    _cleanup_dhcp_packet_ struct dhcp_packet *back = NULL;
    size_t len = 0;

    int r = dhcp_reply_build(req, rp, &raw, &len);
    if (r == -EMSGSIZE)
        return; /* a huge relay option or option 57 < what we need */
    CHECK(r == 0);
    CHECK(len >= DHCP_BOOTP_MIN_LEN);
    CHECK(len <= MIN((size_t)dhcp_packet_max_message_size(req),
                     (size_t)DHCP_MAX_REPLY_MESSAGE_SIZE) -
                         DHCP_IP_UDP_OVERHEAD);
    CHECK(dhcp_packet_parse(raw, len, &back) == 0);

    CHECK(dhcp_packet_op(back) == DHCP_BOOTREPLY);
    CHECK(dhcp_packet_message_type(back) == rp->type);
    CHECK(dhcp_packet_xid(back) == dhcp_packet_xid(req));
    CHECK(dhcp_packet_yiaddr(back).s_addr == rp->yiaddr.s_addr);
    CHECK(dhcp_packet_siaddr(back).s_addr == rp->siaddr.s_addr);
    CHECK(memcmp(dhcp_packet_chaddr(back), dhcp_packet_chaddr(req), DHCP_CHADDR_SIZE) == 0);

    struct in_addr sid;
    if (rp->server_id.s_addr != 0) {
        CHECK(dhcp_packet_get_server_id(back, &sid) == 0);
        CHECK(sid.s_addr == rp->server_id.s_addr);
    }

    /* The boot file is in the header or, when long, in option 67. */
    const uint8_t *v;
    size_t vlen;
    size_t flen = strlen(rp->file);
    if (flen > 0 && flen < DHCP_FILE_SIZE) {
        CHECK(dhcp_packet_file(back) && strcmp(dhcp_packet_file(back), rp->file) == 0);
    } else if (flen > 0 && !rp->bootfile_name) {
        CHECK(dhcp_packet_get_option(back, DHCP_OPTION_BOOTFILE_NAME, &v, &vlen) == 0);
        CHECK(vlen == flen && memcmp(v, rp->file, flen) == 0);
    }
    if (rp->sname[0])
        CHECK(dhcp_packet_sname(back) && strcmp(dhcp_packet_sname(back), rp->sname) == 0);

    /* Echoed 82 is byte-identical (unless dropped for room, RFC 3046). */
    const uint8_t *req82;
    size_t req82_len;
    if (rp->echo_relay_agent_info &&
        dhcp_packet_get_relay_agent_info(req, &req82, &req82_len) == 0 &&
        dhcp_packet_get_relay_agent_info(back, &v, &vlen) == 0)
        CHECK(vlen == req82_len && memcmp(v, req82, vlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_dhcp_packet_ struct dhcp_packet *p = NULL;
    int r = dhcp_packet_parse(data, size, &p);
    if (r < 0) {
        CHECK(r == -EBADMSG);
        return 0;
    }
    read_everything(p);

    /* The last input byte picks configuration variants. */
    uint8_t knobs = size > 0 ? data[size - 1] : 0;
    bool use_requested_ip = size > 1 && (data[size - 2] & 1);
    static const struct dhcp_arch_binary overrides[] = {{7, "snp-x86_64.efi"}, {0x30, "x.efi"}};
    struct in_addr dns[2] = {{htonl(0x01010101)}, {htonl(0x08080808)}};
    struct dhcp_route routes[1] = {
            {.destination = {htonl(0x0a140000)}, .prefix_len = 16, .router = {htonl(0x0a000001)}},
    };

    for (int mode = 0; mode < _DHCP_MODE_MAX; mode++)
        for (int with_res = 0; with_res < 2; with_res++) {
            struct dhcp_config cfg = {
                    .mode = (enum dhcp_mode)mode,
                    .public_ip = {htonl(0xc0a80101)},
                    .tftp_ip = {htonl(0xc0a80102)},
                    .syslog_ip = {htonl(0xc0a80101)},
                    .disable_netboot_options = (knobs & 1) != 0,
                    .ipxe_script_for_ipxe = (knobs & 2) != 0,
                    .arch_overrides = (knobs & 4) ? overrides : NULL,
                    .n_arch_overrides = (knobs & 4) ? ARRAY_SIZE(overrides) : 0,
            };
            struct dhcp_reservation res = {
                    .ip = {htonl(0xc0a80132)},
                    .netmask = {htonl(0xffffff00)},
                    .gateway = {htonl(0xc0a801fe)},
                    .nameservers = dns,
                    .n_nameservers = 2,
                    .hostname = "node",
                    .domain = "lab.example",
                    .routes = routes,
                    .n_routes = (knobs & 8) ? 1 : 0,
                    .allow_pxe = (knobs & 16) == 0,
                    .ipxe_binary = (knobs & 32) ? "snp-x86_64.efi" : NULL,
                    .disable_dhcp = (knobs & 64) != 0,
                    .tftp_server_name = (knobs & 128) ? "tftp.example" : NULL,
                    .boot_file_name = (knobs & 128) ? "grub.efi" : NULL,
            };
            bool match = with_res && dhcp_packet_hlen(p) == DHCP_ETHER_ADDR_LEN;
            if (match) {
                memcpy(res.mac, dhcp_packet_chaddr(p), DHCP_ETHER_ADDR_LEN);
                struct in_addr want;
                if (use_requested_ip && dhcp_packet_get_requested_ip(p, &want) == 0)
                    res.ip = want;
            }

            struct dhcp_decision d;
            r = dhcp_decide(p, &cfg, match ? &res : NULL, &d);
            CHECK(r == 0);
            CHECK(dhcp_ignore_to_string(d.ignore) != NULL);
            if (d.ignore != DHCP_IGNORE_NONE)
                continue;
            CHECK(dhcp_packet_op(p) == DHCP_BOOTREQUEST);
            CHECK(d.dest.port == DHCP_PORT_CLIENT || d.dest.port == DHCP_PORT_SERVER);
            if (mode != DHCP_MODE_RESERVATION)
                CHECK(d.reply.yiaddr.s_addr == 0 && !d.reply.has_lease_time);
            check_round_trip(p, &d.reply);
        }
    return 0;
}
