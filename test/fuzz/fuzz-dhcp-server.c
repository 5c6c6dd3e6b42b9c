/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw datagrams into the DHCP server's message handler (systemd's
 * fuzz-dhcp-server idea): the first byte picks the mode and whether the
 * fake Hardware source knows every MAC; the rest is the packet. Every reply
 * must parse back and go to a sane destination; counters must add up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp-server.h"

#define check(cond)  \
    do {             \
        if (!(cond)) \
            abort(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int holds;

static int find(void *userdata, const uint8_t mac[6], struct dhcp_reservation *res, void **ret_hold)
{
    static const struct in_addr dns[2] = {{0x0100000a}, {0x0200000a}};
    static const struct dhcp_route routes[1] = {{{0x0000a8c0}, 16, {0x0100000a}}};
    int mode = *(const int *)userdata;
    if (mode == 0)
        return 0;
    if (mode == 3)
        return -ENOTUNIQ;
    *res = (struct dhcp_reservation){
            .ip = {htonl(0x0a000000u | mac[5])},
            .netmask = {htonl(0xffffff00u)},
            .gateway = {htonl(0x0a000001u)},
            .nameservers = dns,
            .n_nameservers = 2,
            .routes = routes,
            .n_routes = 1,
            .hostname = "fuzz",
            .domain = "example.com",
            .allow_pxe = mode == 1,
    };
    memcpy(res->mac, mac, 6);
    holds++;
    *ret_hold = res;
    return 1;
}

static void release(void *userdata, void *hold)
{
    (void)userdata;
    (void)hold;
    holds--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int known = data[0] & 3;
    enum dhcp_mode mode = (enum dhcp_mode)((data[0] >> 2) % _DHCP_MODE_MAX);
    struct dhcp_config cfg = {.mode = mode,
                              .public_ip = {htonl(0x0a000001u)},
                              .ipxe_script_for_ipxe = (data[0] & 0x80) != 0};
    struct dhcp_server *s = NULL;
    struct dhcp_server_opts o = {.config = &cfg,
                                 .lookup = {.find = find, .release = release, .userdata = &known}};
    check(dhcp_server_new_detached(&s, &o, 0) == 0);
    struct dhcp_server_reply rep = {0};
    /* Bit 6 also says "waited a second in the queue": stale DISCOVERs. */
    uint64_t queued_ms = (data[0] & 0x40) ? 1000 : 0;
    int r = dhcp_server_handle_queued(s, data + 1, size - 1, 0, NULL, queued_ms, &rep);
    check(r == 0 || r == 1);
    check(holds == 0);
    struct dhcp_server_stats st;
    check(dhcp_server_get_stats(s, &st) == 0);
    check(st.received == 1);
    check(st.stale == 0 || (queued_ms > 0 && r == 0));
    uint64_t outcomes =
            st.malformed + st.conflicts + st.lookup_errors + st.decide_errors + st.stale;
    for (int i = 0; i < _DHCP_IGNORE_MAX; i++)
        outcomes += st.ignored[i];
    for (int i = 0; i < _DHCP_MESSAGE_MAX; i++)
        outcomes += st.replies[i];
    check(outcomes == 1);
    if (r == 1) {
        struct dhcp_packet *p = NULL;
        check(rep.len >= DHCP_BOOTP_MIN_LEN && rep.len <= DHCP_MAX_REPLY_MESSAGE_SIZE);
        check(dhcp_packet_parse(rep.data, rep.len, &p) == 0);
        check(dhcp_packet_op(p) == DHCP_BOOTREPLY);
        uint16_t port = ntohs(rep.dest.sin_port);
        check(port == DHCP_PORT_CLIENT || port == DHCP_PORT_SERVER);
        check(rep.dest.sin_addr.s_addr != 0);
        dhcp_packet_free(p);
        free(rep.data);
    }
    dhcp_server_free(s);
    return 0;
}
