/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure decision of anvil-boot's DHCP server: given a parsed request, the
 * configuration and the matching Hardware reservation (if any), ignore the
 * packet with a reason or describe the reply and where it goes. Reproduces
 * Smee's reservation, proxy and auto-proxy handlers (compat §5.2, §5.3) plus
 * the RFC 2131 server rules Smee leaves out (NAK, server identifier,
 * INFORM, relay destinations).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

#define DHCP_URL_BASE_MAX 200

static const char *const ignore_names[_DHCP_IGNORE_MAX] = {
        [DHCP_IGNORE_NONE] = "none",
        [DHCP_IGNORE_NOT_REQUEST] = "not_request",
        [DHCP_IGNORE_NOT_DHCP] = "not_dhcp",
        [DHCP_IGNORE_HARDWARE_TYPE] = "hardware_type",
        [DHCP_IGNORE_MESSAGE_TYPE] = "message_type",
        [DHCP_IGNORE_RELEASE] = "release",
        [DHCP_IGNORE_DECLINE] = "decline",
        [DHCP_IGNORE_UNKNOWN_MAC] = "unknown_mac",
        [DHCP_IGNORE_DHCP_DISABLED] = "dhcp_disabled",
        [DHCP_IGNORE_NO_ADDRESS] = "no_address",
        [DHCP_IGNORE_NOT_NETBOOT] = "not_netboot",
        [DHCP_IGNORE_NETBOOT_DISABLED] = "netboot_disabled",
        [DHCP_IGNORE_NO_BINARY] = "no_binary",
        [DHCP_IGNORE_OTHER_SERVER] = "other_server",
        [DHCP_IGNORE_NO_REQUESTED_IP] = "no_requested_ip",
};

const char *dhcp_ignore_to_string(enum dhcp_ignore reason)
{
    if ((unsigned)reason >= _DHCP_IGNORE_MAX)
        return NULL;
    return ignore_names[reason];
}

static const char *const mode_names[_DHCP_MODE_MAX] = {
        [DHCP_MODE_RESERVATION] = "reservation",
        [DHCP_MODE_PROXY] = "proxy",
        [DHCP_MODE_AUTO_PROXY] = "auto-proxy",
};

const char *dhcp_mode_to_string(enum dhcp_mode m)
{
    if ((unsigned)m >= _DHCP_MODE_MAX)
        return NULL;
    return mode_names[m];
}

int dhcp_mode_from_string(const char *s, enum dhcp_mode *ret)
{
    assert_return(s && ret, -EINVAL);
    for (size_t i = 0; i < _DHCP_MODE_MAX; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *ret = (enum dhcp_mode)i;
            return 0;
        }
    return -EINVAL;
}

static bool config_is_valid(const struct dhcp_config *cfg)
{
    if ((unsigned)cfg->mode >= _DHCP_MODE_MAX || cfg->public_ip.s_addr == 0)
        return false;
    if (cfg->script_url_base && strlen(cfg->script_url_base) > DHCP_URL_BASE_MAX)
        return false;
    if (cfg->binary_url_base && strlen(cfg->binary_url_base) > DHCP_URL_BASE_MAX)
        return false;
    return cfg->arch_overrides || cfg->n_arch_overrides == 0;
}

static bool reservation_is_valid(const struct dhcp_reservation *res)
{
    if ((!res->nameservers && res->n_nameservers) || (!res->timeservers && res->n_timeservers))
        return false;
    if (!res->routes && res->n_routes)
        return false;
    for (size_t i = 0; i < res->n_routes; i++)
        if (res->routes[i].prefix_len > 32)
            return false;
    return true;
}

/* Any address anvil may have put in option 54 identifies this server. */
static bool is_our_address(const struct dhcp_config *cfg, struct in_addr a)
{
    return a.s_addr == cfg->public_ip.s_addr || a.s_addr == dhcp_config_server_ip(cfg).s_addr ||
           a.s_addr == dhcp_config_tftp_ip(cfg).s_addr ||
           a.s_addr == dhcp_config_http_ip(cfg).s_addr;
}

/* Checks that apply to every mode. */
static enum dhcp_ignore classify(const struct dhcp_packet *req)
{
    if (dhcp_packet_op(req) != DHCP_BOOTREQUEST)
        return DHCP_IGNORE_NOT_REQUEST;
    /* RFC 2131 §3: the "DHCP message type" option "must be included in
     * every DHCP message"; without it the client speaks plain BOOTP. */
    if (dhcp_packet_message_type(req) == DHCP_MESSAGE_NONE)
        return DHCP_IGNORE_NOT_DHCP;
    /* Hardware reservations are keyed by Ethernet MAC addresses. */
    if (dhcp_packet_htype(req) != DHCP_HTYPE_ETHER || dhcp_packet_hlen(req) != DHCP_ETHER_ADDR_LEN)
        return DHCP_IGNORE_HARDWARE_TYPE;

    switch (dhcp_packet_message_type(req)) {
    case DHCP_DISCOVER:
    case DHCP_REQUEST:
    case DHCP_INFORM:
        return DHCP_IGNORE_NONE;
    case DHCP_RELEASE:
        /* RFC 2131 §4.3.4 asks the server to mark the address as not
         * allocated; every anvil address is a reservation, so there is
         * nothing to free (as in Smee). */
        return DHCP_IGNORE_RELEASE;
    case DHCP_DECLINE:
        /* RFC 2131 §4.3.3: "The server MUST mark the network address as not
         * available and SHOULD notify the local system administrator of a
         * possible configuration problem." The address belongs to one
         * Hardware only; the caller counts and warns. */
        return DHCP_IGNORE_DECLINE;
    default:
        return DHCP_IGNORE_MESSAGE_TYPE;
    }
}

/* REQUEST in SELECTING state names the chosen server. RFC 2131 §3.1 step 4:
 * "Those servers not selected by the DHCPREQUEST message use the message as
 * notification that the client has declined that server's offer." */
static bool request_for_other_server(const struct dhcp_packet *req, const struct dhcp_config *cfg)
{
    struct in_addr sid;

    if (dhcp_packet_message_type(req) != DHCP_REQUEST)
        return false;
    if (dhcp_packet_get_server_id(req, &sid) < 0)
        return false;
    return !is_our_address(cfg, sid);
}

static struct dhcp_destination reply_destination(const struct dhcp_packet *req,
                                                 const struct dhcp_reply *reply)
{
    struct in_addr giaddr = dhcp_packet_giaddr(req);
    struct in_addr ciaddr = dhcp_packet_ciaddr(req);
    struct in_addr bcast = {.s_addr = INADDR_BROADCAST};

    /* RFC 2131 §4.1: "If the 'giaddr' field in a DHCP message from a client
     * is non-zero, the server sends any return messages to the 'DHCP server'
     * port on the BOOTP relay agent whose address appears in 'giaddr'. If
     * the 'giaddr' field is zero and the 'ciaddr' field is nonzero, then the
     * server unicasts DHCPOFFER and DHCPACK messages to the address in
     * 'ciaddr'. [...] In all cases, when 'giaddr' is zero, the server
     * broadcasts any DHCPNAK messages to 0xffffffff."
     *
     * The remaining case (no ciaddr, broadcast bit clear) asks for a unicast
     * to chaddr/yiaddr, which needs an ARP entry injected before the client
     * owns the address; §4.1 allows the broadcast fallback ("If unicasting
     * is not possible, the message MAY be sent as an IP broadcast"). A
     * client that set the broadcast bit with a ciaddr gets the broadcast it
     * asked for. */
    if (giaddr.s_addr != 0)
        return (struct dhcp_destination){.addr = giaddr, .port = DHCP_PORT_SERVER};
    if (reply->type != DHCP_NAK && ciaddr.s_addr != 0 && !dhcp_packet_broadcast(req))
        return (struct dhcp_destination){.addr = ciaddr, .port = DHCP_PORT_CLIENT};
    return (struct dhcp_destination){.addr = bcast, .port = DHCP_PORT_CLIENT};
}

static int ignore(struct dhcp_decision *d, enum dhcp_ignore why)
{
    d->ignore = why;
    return 0;
}

static int set_file(struct dhcp_reply *rp, const char *file)
{
    size_t len = strlen(file);
    if (len >= sizeof(rp->file))
        return -ENAMETOOLONG;
    memcpy(rp->file, file, len + 1);
    return 0;
}

static bool has_default_route(const struct dhcp_reservation *res)
{
    for (size_t i = 0; i < res->n_routes; i++)
        if (res->routes[i].prefix_len == 0)
            return true;
    return false;
}

static uint32_t lease_time(const struct dhcp_reservation *res)
{
    if (res->lease_time <= 0 || res->lease_time > (int64_t)UINT32_MAX)
        return DHCP_DEFAULT_LEASE_TIME;
    return (uint32_t)res->lease_time;
}

/* Options 1, 3, 6, 7, 12, 15, 28, 42, 119 and 121 from the Hardware. */
static void set_network_options(const struct dhcp_config *cfg,
                                const struct dhcp_reservation *res,
                                struct dhcp_reply *rp)
{
    rp->netmask = res->netmask;
    if (res->netmask.s_addr != 0)
        rp->broadcast_address.s_addr = res->ip.s_addr | ~res->netmask.s_addr;
    rp->router = res->gateway;
    rp->dns = res->nameservers;
    rp->n_dns = res->n_nameservers;
    rp->ntp = res->timeservers;
    rp->n_ntp = res->n_timeservers;
    rp->hostname = res->hostname;
    rp->domain_name = res->domain;
    /* Smee's domain search is the Hardware's domain name. */
    if (res->domain && dhcp_domain_name_is_valid(res->domain)) {
        rp->domain_search[0] = res->domain;
        rp->n_domain_search = 1;
    }
    rp->log_server = cfg->syslog_ip;
    rp->routes = res->routes;
    rp->n_routes = res->n_routes;
    /* RFC 3442: "If the DHCP server returns both a Classless Static Routes
     * option and a Router option, the DHCP client MUST ignore the Router
     * option." So the gateway must also be a 0.0.0.0/0 route in 121, or
     * compliant clients lose their default route. */
    if (res->n_routes > 0 && res->gateway.s_addr != 0 && !has_default_route(res))
        rp->default_route_via = res->gateway;
}

/* Smee's reservation netboot block (handler/reservation/option.go). */
static int set_reservation_netboot(const struct dhcp_packet *req,
                                   const struct dhcp_config *cfg,
                                   const struct dhcp_reservation *res,
                                   struct dhcp_reply *rp)
{
    /* The client class is echoed whether or not PXE is allowed: a UEFI
     * HTTP client ignores offers that do not say HTTPClient. */
    if (dhcp_is_http_client(req))
        rp->vendor_class = "HTTPClient";
    rp->siaddr.s_addr = 0;
    int r = set_file(rp, "/netboot-not-allowed");
    if (r < 0 || !res->allow_pxe)
        return r;

    uint16_t arch = UINT16_MAX;
    const char *binary = NULL;
    (void)dhcp_arch_pick(req, cfg, &arch, &binary);
    if (res->ipxe_binary && res->ipxe_binary[0])
        binary = res->ipxe_binary;
    if (!binary)
        return 0; /* as upstream: no binary leaves "/netboot-not-allowed" */

    struct dhcp_boot b;
    r = dhcp_boot_choose(req, cfg, arch, binary, res->ipxe_script_url, &b);
    if (r < 0)
        return r;
    r = set_file(rp, b.file);
    if (r < 0)
        return r;
    rp->siaddr = b.next_server;
    rp->pxe_boot_from_file = true;
    rp->raspberry_pi = dhcp_mac_is_raspberry_pi(dhcp_packet_chaddr(req));
    /* RFC 4578 §2.3: option 97 goes in PXE server replies too. */
    rp->echo_client_machine_id = true;
    rp->ipxe_no_pxedhcp = dhcp_is_ipxe(req);
    return 0;
}

static int decide_reservation(const struct dhcp_packet *req,
                              const struct dhcp_config *cfg,
                              const struct dhcp_reservation *res,
                              struct dhcp_decision *d)
{
    uint8_t type = dhcp_packet_message_type(req);
    struct dhcp_reply *rp = &d->reply;
    struct in_addr server_ip = dhcp_config_server_ip(cfg);

    /* RFC 2131 §4.2: servers may answer only clients "previously registered
     * through some external mechanism" -- here, Hardware objects. */
    if (!res)
        return ignore(d, DHCP_IGNORE_UNKNOWN_MAC);
    if (res->disable_dhcp)
        return ignore(d, DHCP_IGNORE_DHCP_DISABLED);
    if (res->ip.s_addr == 0)
        return ignore(d, DHCP_IGNORE_NO_ADDRESS);
    if (request_for_other_server(req, cfg))
        return ignore(d, DHCP_IGNORE_OTHER_SERVER);

    rp->server_id = server_ip;
    /* RFC 3046 §2.2: "DHCP servers claiming to support the Relay Agent
     * Information option SHALL echo the entire contents of the Relay Agent
     * Information option in all replies." */
    rp->echo_relay_agent_info = true;

    if (type == DHCP_REQUEST) {
        struct in_addr want;
        /* RFC 2131 §4.3.2, table 4: SELECTING and INIT-REBOOT carry the
         * 'requested IP address' option, RENEWING and REBINDING 'ciaddr'. */
        if (dhcp_packet_get_requested_ip(req, &want) < 0)
            want = dhcp_packet_ciaddr(req);
        if (want.s_addr == 0)
            return ignore(d, DHCP_IGNORE_NO_REQUESTED_IP);
        /* §4.3.2: "If not, then the server SHOULD send a DHCPNAK message to
         * the client." ... "If 'giaddr' is set in the DHCPREQUEST message,
         * the client is on a different subnet. The server MUST set the
         * broadcast bit in the DHCPNAK". */
        if (want.s_addr != res->ip.s_addr) {
            rp->type = DHCP_NAK;
            rp->message = "requested address is not reserved for this client";
            rp->broadcast = dhcp_packet_giaddr(req).s_addr != 0;
            return 0;
        }
    }

    rp->type = type == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK;
    rp->siaddr = server_ip;
    if (type != DHCP_DISCOVER)
        rp->ciaddr = dhcp_packet_ciaddr(req); /* table 3: 'ciaddr' from REQUEST */
    if (type != DHCP_INFORM) {
        rp->yiaddr = res->ip;
        rp->has_lease_time = true;
        rp->lease_time = lease_time(res);
    }
    /* RFC 2131 §4.3.5: for DHCPINFORM "The server MUST NOT send a lease
     * expiration time to the client and SHOULD NOT fill in 'yiaddr'. The
     * server includes other parameters in the DHCPACK message as defined in
     * section 4.3.1." */
    set_network_options(cfg, res, rp);

    bool boot_override = (res->tftp_server_name && res->tftp_server_name[0]) ||
                         (res->boot_file_name && res->boot_file_name[0]);
    if (boot_override) {
        /* Hardware 66/67 replace anvil's netboot logic (compat §1.2). */
        rp->tftp_server_name = res->tftp_server_name;
        rp->bootfile_name = res->boot_file_name;
        if (res->boot_file_name && strlen(res->boot_file_name) < sizeof(rp->file))
            (void)set_file(rp, res->boot_file_name);
        return 0;
    }
    if (cfg->disable_netboot_options || !dhcp_is_netboot_client(req))
        return 0;
    return set_reservation_netboot(req, cfg, res, rp);
}

/* Smee's proxy handler (handler/proxy/proxy.go): ProxyDHCP answers carry no
 * address, only where to boot from. */
static int decide_proxy(const struct dhcp_packet *req,
                        const struct dhcp_config *cfg,
                        const struct dhcp_reservation *res,
                        struct dhcp_decision *d)
{
    uint8_t type = dhcp_packet_message_type(req);
    struct dhcp_reply *rp = &d->reply;
    uint16_t arch;
    const char *binary;
    int r;

    if (cfg->disable_netboot_options)
        return ignore(d, DHCP_IGNORE_NETBOOT_DISABLED);
    if (type != DHCP_DISCOVER && type != DHCP_REQUEST)
        return ignore(d, DHCP_IGNORE_MESSAGE_TYPE);
    if (!dhcp_is_netboot_client(req))
        return ignore(d, DHCP_IGNORE_NOT_NETBOOT);
    if (!dhcp_arch_pick(req, cfg, &arch, &binary))
        return ignore(d, DHCP_IGNORE_NO_BINARY);
    if (request_for_other_server(req, cfg))
        return ignore(d, DHCP_IGNORE_OTHER_SERVER);
    if (!res && cfg->mode == DHCP_MODE_PROXY)
        return ignore(d, DHCP_IGNORE_UNKNOWN_MAC);

    if (res && res->ipxe_binary && res->ipxe_binary[0])
        binary = res->ipxe_binary;

    struct dhcp_boot b;
    r = dhcp_boot_choose(req, cfg, arch, binary, NULL, &b);
    if (r < 0)
        return r;

    rp->type = type == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK;
    /* Without option 54 and siaddr a PXE ROM asks port 4011 for the boot
     * file; both name the next server, and sname carries it as text. */
    rp->server_id = b.next_server;
    rp->siaddr = b.next_server;
    if (!inet_ntop(AF_INET, &b.next_server, rp->sname, sizeof(rp->sname)))
        return -EINVAL;
    rp->vendor_class = dhcp_is_http_client(req) ? "HTTPClient" : "PXEClient";
    rp->pxe_boot_from_file = true;
    rp->raspberry_pi = dhcp_mac_is_raspberry_pi(dhcp_packet_chaddr(req));
    rp->echo_client_machine_id = true;
    rp->echo_relay_agent_info = true;

    if (res && !res->allow_pxe) {
        char mac[18];
        char file[sizeof("/") + sizeof(mac) + sizeof("/netboot-not-allowed")];
        dhcp_format_mac(dhcp_packet_chaddr(req), mac);
        (void)snprintf(file, sizeof(file), "/%s/netboot-not-allowed", mac);
        return set_file(rp, file);
    }
    return set_file(rp, b.file);
}

int dhcp_decide(const struct dhcp_packet *request,
                const struct dhcp_config *cfg,
                const struct dhcp_reservation *res,
                struct dhcp_decision *ret)
{
    struct dhcp_decision d = {.ignore = DHCP_IGNORE_NONE};
    int r;

    assert_return(request && cfg && ret, -EINVAL);
    assert_return(config_is_valid(cfg), -EINVAL);
    assert_return(!res || reservation_is_valid(res), -EINVAL);
    assert_return(!res || (dhcp_packet_hlen(request) == DHCP_ETHER_ADDR_LEN &&
                           memcmp(res->mac, dhcp_packet_chaddr(request), DHCP_ETHER_ADDR_LEN) == 0),
                  -EINVAL);

    d.ignore = classify(request);
    if (d.ignore != DHCP_IGNORE_NONE) {
        *ret = d;
        return 0;
    }

    if (cfg->mode == DHCP_MODE_RESERVATION)
        r = decide_reservation(request, cfg, res, &d);
    else
        r = decide_proxy(request, cfg, res, &d);
    if (r < 0)
        return r;

    if (d.ignore == DHCP_IGNORE_NONE)
        d.dest = reply_destination(request, &d.reply);
    *ret = d;
    return 0;
}
