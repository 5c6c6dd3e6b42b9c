/* SPDX-License-Identifier: Apache-2.0 */
/* Decision table: one row per mode x client x Hardware state (compat §5). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp-test.h"

#define PUBLIC_IP "192.168.1.1"
#define TFTP_IP   "192.168.1.2"
#define HTTP_IP   "192.168.1.3"
#define HW_IP     "192.168.1.50"
#define BCAST     "255.255.255.255"

#define SCRIPT_URL "http://" HTTP_IP ":7080/ipxe/script/" TEST_MAC_S "/auto.ipxe"
#define HTTP_BIN   "http://" HTTP_IP ":7080/ipxe/binary/" TEST_MAC_S "/ipxe.efi"
#define TFTP_BIN   "tftp://" TFTP_IP ":69/" TEST_MAC_S "/undionly.kpxe"

static struct dhcp_config test_config(enum dhcp_mode mode)
{
    return (struct dhcp_config){
            .mode = mode,
            .public_ip = test_addr(PUBLIC_IP),
            .tftp_ip = test_addr(TFTP_IP),
            .http_ip = test_addr(HTTP_IP),
            .syslog_ip = test_addr(PUBLIC_IP),
    };
}

static struct in_addr hw_dns[1];
static struct in_addr hw_ntp[1];

static struct dhcp_reservation test_reservation(void)
{
    hw_dns[0] = test_addr("1.1.1.1");
    hw_ntp[0] = test_addr("192.168.1.123");
    return (struct dhcp_reservation){
            .mac = TEST_MAC,
            .ip = test_addr(HW_IP),
            .netmask = test_addr("255.255.255.0"),
            .gateway = test_addr("192.168.1.254"),
            .nameservers = hw_dns,
            .n_nameservers = 1,
            .timeservers = hw_ntp,
            .n_timeservers = 1,
            .hostname = "node-1",
            .domain = "lab.example",
            .allow_pxe = true,
    };
}

enum res_kind {
    RES_NONE,
    RES_ALLOW,
    RES_DENY,       /* allowPXE false */
    RES_DISABLED,   /* disableDhcp */
    RES_NO_IP,      /* no dhcp.ip.address */
    RES_BOOT_66_67, /* tftp_server_name + boot_file_name */
    RES_BINARY,     /* netboot.ipxe.binary = snp-x86_64.efi */
    RES_SCRIPT,     /* custom iPXE script URL */
};

struct row {
    const char *name;
    enum dhcp_mode mode;
    enum test_client client;
    uint8_t type;
    enum res_kind res;
    /* request tweaks */
    const char *requested_ip;
    const char *server_id;
    const char *ciaddr;
    const char *giaddr;
    bool broadcast_flag;
    /* config tweaks */
    bool netboot_off;
    bool ipxe_script;
    /* expectations */
    enum dhcp_ignore ignore;
    uint8_t reply;
    const char *file;
    const char *siaddr;
    const char *yiaddr;
    const char *vendor_class;
    bool pxe43;
    bool reply_broadcast; /* BROADCAST bit set in the reply */
    const char *dest;
    uint16_t dest_port;
};

static const struct row rows[] = {
        /* ---- common to every mode ---- */
        {.name = "reservation: OFFER from a client is not answered", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_OFFER, .res = RES_ALLOW,
         .ignore = DHCP_IGNORE_MESSAGE_TYPE},
        {.name = "reservation: RELEASE", .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN,
         .type = DHCP_RELEASE, .res = RES_ALLOW, .ignore = DHCP_IGNORE_RELEASE},
        {.name = "reservation: DECLINE", .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN,
         .type = DHCP_DECLINE, .res = RES_ALLOW, .ignore = DHCP_IGNORE_DECLINE},
        {.name = "proxy: RELEASE", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_RELEASE, .res = RES_ALLOW, .ignore = DHCP_IGNORE_RELEASE},

        /* ---- reservation ---- */
        {.name = "reservation: unknown MAC is silent", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_NONE,
         .ignore = DHCP_IGNORE_UNKNOWN_MAC},
        {.name = "reservation: disableDhcp is silent", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_DISCOVER, .res = RES_DISABLED,
         .ignore = DHCP_IGNORE_DHCP_DISABLED},
        {.name = "reservation: Hardware without address", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_DISCOVER, .res = RES_NO_IP,
         .ignore = DHCP_IGNORE_NO_ADDRESS},
        {.name = "reservation: plain DISCOVER -> OFFER, no netboot", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = "", .siaddr = PUBLIC_IP, .yiaddr = HW_IP, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: plain REQUEST for the address -> ACK",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN, .type = DHCP_REQUEST,
         .res = RES_ALLOW, .requested_ip = HW_IP, .server_id = PUBLIC_IP, .reply = DHCP_ACK,
         .file = "", .siaddr = PUBLIC_IP, .yiaddr = HW_IP, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: REQUEST for another address -> NAK", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_REQUEST, .res = RES_ALLOW,
         .requested_ip = "192.168.1.99", .reply = DHCP_NAK, .file = "", .siaddr = "0.0.0.0",
         .yiaddr = "0.0.0.0", .dest = BCAST, .dest_port = 68},
        {.name = "reservation: NAK to a renewing client is still broadcast",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN, .type = DHCP_REQUEST,
         .res = RES_ALLOW, .ciaddr = "192.168.1.99", .reply = DHCP_NAK, .file = "",
         .siaddr = "0.0.0.0", .yiaddr = "0.0.0.0", .dest = BCAST, .dest_port = 68},
        {.name = "reservation: NAK through a relay goes to giaddr:67",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN, .type = DHCP_REQUEST,
         .res = RES_ALLOW, .requested_ip = "10.0.0.9", .giaddr = "10.0.0.1", .reply = DHCP_NAK,
         .file = "", .siaddr = "0.0.0.0", .yiaddr = "0.0.0.0", .reply_broadcast = true,
         .dest = "10.0.0.1", .dest_port = 67},
        {.name = "reservation: REQUEST naming another server", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_REQUEST, .res = RES_ALLOW, .requested_ip = HW_IP,
         .server_id = "192.168.1.77", .ignore = DHCP_IGNORE_OTHER_SERVER},
        {.name = "reservation: REQUEST with neither 50 nor ciaddr", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_REQUEST, .res = RES_ALLOW,
         .ignore = DHCP_IGNORE_NO_REQUESTED_IP},
        {.name = "reservation: renewing REQUEST -> ACK unicast to ciaddr",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN, .type = DHCP_REQUEST,
         .res = RES_ALLOW, .ciaddr = HW_IP, .reply = DHCP_ACK, .file = "", .siaddr = PUBLIC_IP,
         .yiaddr = HW_IP, .dest = HW_IP, .dest_port = 68},
        {.name = "reservation: rebinding with broadcast bit -> broadcast",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PLAIN, .type = DHCP_REQUEST,
         .res = RES_ALLOW, .ciaddr = HW_IP, .broadcast_flag = true, .reply = DHCP_ACK,
         .file = "", .siaddr = PUBLIC_IP, .yiaddr = HW_IP, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: INFORM -> ACK without address", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PLAIN, .type = DHCP_INFORM, .res = RES_ALLOW, .ciaddr = HW_IP,
         .reply = DHCP_ACK, .file = "", .siaddr = PUBLIC_IP, .yiaddr = "0.0.0.0", .dest = HW_IP,
         .dest_port = 68},
        {.name = "reservation: relayed DISCOVER -> giaddr:67", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_ALLOW, .giaddr = "10.0.0.1",
         .reply = DHCP_OFFER, .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = HW_IP,
         .pxe43 = true, .dest = "10.0.0.1", .dest_port = 67},
        {.name = "reservation: BIOS PXE -> undionly.kpxe from TFTP", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true,
         .dest = BCAST, .dest_port = 68},
        {.name = "reservation: UEFI PXE -> ipxe.efi", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_UEFI, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = "ipxe.efi", .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true, .dest = BCAST,
         .dest_port = 68},
        {.name = "reservation: user class iPXE -> tftp:// URL", .mode = DHCP_MODE_RESERVATION,
         .client = TC_IPXE, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = TFTP_BIN, .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true, .dest = BCAST,
         .dest_port = 68},
        {.name = "reservation: user class Tinkerbell -> script URL", .mode = DHCP_MODE_RESERVATION,
         .client = TC_TINKERBELL, .type = DHCP_REQUEST, .res = RES_ALLOW, .requested_ip = HW_IP,
         .reply = DHCP_ACK, .file = SCRIPT_URL, .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true,
         .dest = BCAST, .dest_port = 68},
        {.name = "reservation: HTTPClient -> HTTP binary URL", .mode = DHCP_MODE_RESERVATION,
         .client = TC_HTTP, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = HTTP_BIN, .siaddr = HTTP_IP, .yiaddr = HW_IP, .vendor_class = "HTTPClient",
         .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: allowPXE false -> /netboot-not-allowed, siaddr 0",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PXE_BIOS, .type = DHCP_DISCOVER,
         .res = RES_DENY, .reply = DHCP_OFFER, .file = "/netboot-not-allowed",
         .siaddr = "0.0.0.0", .yiaddr = HW_IP, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: allowPXE false still echoes HTTPClient",
         .mode = DHCP_MODE_RESERVATION, .client = TC_HTTP, .type = DHCP_DISCOVER,
         .res = RES_DENY, .reply = DHCP_OFFER, .file = "/netboot-not-allowed",
         .siaddr = "0.0.0.0", .yiaddr = HW_IP, .vendor_class = "HTTPClient", .dest = BCAST,
         .dest_port = 68},
        {.name = "reservation: unknown arch keeps /netboot-not-allowed",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PXE_ARCH_UNKNOWN, .type = DHCP_DISCOVER,
         .res = RES_ALLOW, .reply = DHCP_OFFER, .file = "/netboot-not-allowed",
         .siaddr = "0.0.0.0", .yiaddr = HW_IP, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: unknown arch with a binary override boots it",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PXE_ARCH_UNKNOWN, .type = DHCP_DISCOVER,
         .res = RES_BINARY, .reply = DHCP_OFFER, .file = "snp-x86_64.efi", .siaddr = TFTP_IP,
         .yiaddr = HW_IP, .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: Hardware 66/67 replace netboot", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_BOOT_66_67, .reply = DHCP_OFFER,
         .file = "custom/boot.efi", .siaddr = PUBLIC_IP, .yiaddr = HW_IP, .dest = BCAST,
         .dest_port = 68},
        {.name = "reservation: netboot options off", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_ALLOW, .netboot_off = true,
         .reply = DHCP_OFFER, .file = "", .siaddr = PUBLIC_IP, .yiaddr = HW_IP, .dest = BCAST,
         .dest_port = 68},
        {.name = "reservation: ipxe.binary override", .mode = DHCP_MODE_RESERVATION,
         .client = TC_PXE_UEFI, .type = DHCP_DISCOVER, .res = RES_BINARY, .reply = DHCP_OFFER,
         .file = "snp-x86_64.efi", .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true,
         .dest = BCAST, .dest_port = 68},
        {.name = "reservation: Hardware script URL for Tinkerbell", .mode = DHCP_MODE_RESERVATION,
         .client = TC_TINKERBELL, .type = DHCP_DISCOVER, .res = RES_SCRIPT, .reply = DHCP_OFFER,
         .file = "https://boot.example/custom.ipxe", .siaddr = TFTP_IP, .yiaddr = HW_IP,
         .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: Debian divergence sends iPXE the script",
         .mode = DHCP_MODE_RESERVATION, .client = TC_IPXE, .type = DHCP_DISCOVER,
         .res = RES_ALLOW, .ipxe_script = true, .reply = DHCP_OFFER, .file = SCRIPT_URL,
         .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "reservation: Debian divergence leaves PXE ROMs alone",
         .mode = DHCP_MODE_RESERVATION, .client = TC_PXE_BIOS, .type = DHCP_DISCOVER,
         .res = RES_ALLOW, .ipxe_script = true, .reply = DHCP_OFFER, .file = "undionly.kpxe",
         .siaddr = TFTP_IP, .yiaddr = HW_IP, .pxe43 = true, .dest = BCAST, .dest_port = 68},

        /* ---- proxy ---- */
        {.name = "proxy: plain client is not a netboot client", .mode = DHCP_MODE_PROXY,
         .client = TC_PLAIN, .type = DHCP_DISCOVER, .res = RES_ALLOW,
         .ignore = DHCP_IGNORE_NOT_NETBOOT},
        {.name = "proxy: unknown MAC is silent", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_DISCOVER, .res = RES_NONE, .ignore = DHCP_IGNORE_UNKNOWN_MAC},
        {.name = "proxy: unknown arch", .mode = DHCP_MODE_PROXY, .client = TC_PXE_ARCH_UNKNOWN,
         .type = DHCP_DISCOVER, .res = RES_ALLOW, .ignore = DHCP_IGNORE_NO_BINARY},
        {.name = "proxy: netboot options off", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_DISCOVER, .res = RES_ALLOW, .netboot_off = true,
         .ignore = DHCP_IGNORE_NETBOOT_DISABLED},
        {.name = "proxy: INFORM", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_INFORM, .res = RES_ALLOW, .ignore = DHCP_IGNORE_MESSAGE_TYPE},
        {.name = "proxy: REQUEST to the real DHCP server", .mode = DHCP_MODE_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_REQUEST, .res = RES_ALLOW,
         .server_id = "192.168.1.77", .ignore = DHCP_IGNORE_OTHER_SERVER},
        {.name = "proxy: BIOS PXE -> OFFER without address", .mode = DHCP_MODE_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "proxy: REQUEST to port 4011 style (our id) -> ACK", .mode = DHCP_MODE_PROXY,
         .client = TC_PXE_UEFI, .type = DHCP_REQUEST, .res = RES_ALLOW, .server_id = TFTP_IP,
         .reply = DHCP_ACK, .file = "ipxe.efi", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "proxy: iPXE -> tftp:// URL", .mode = DHCP_MODE_PROXY, .client = TC_IPXE,
         .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER, .file = TFTP_BIN,
         .siaddr = TFTP_IP, .yiaddr = "0.0.0.0", .vendor_class = "PXEClient", .pxe43 = true,
         .dest = BCAST, .dest_port = 68},
        {.name = "proxy: Tinkerbell -> script URL", .mode = DHCP_MODE_PROXY,
         .client = TC_TINKERBELL, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = SCRIPT_URL, .siaddr = TFTP_IP, .yiaddr = "0.0.0.0", .vendor_class = "PXEClient",
         .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "proxy: HTTPClient -> HTTP binary, 60 HTTPClient", .mode = DHCP_MODE_PROXY,
         .client = TC_HTTP, .type = DHCP_DISCOVER, .res = RES_ALLOW, .reply = DHCP_OFFER,
         .file = HTTP_BIN, .siaddr = HTTP_IP, .yiaddr = "0.0.0.0", .vendor_class = "HTTPClient",
         .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "proxy: allowPXE false -> /<mac>/netboot-not-allowed", .mode = DHCP_MODE_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_DENY, .reply = DHCP_OFFER,
         .file = "/" TEST_MAC_S "/netboot-not-allowed", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "proxy: binary override", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_DISCOVER, .res = RES_BINARY, .reply = DHCP_OFFER, .file = "snp-x86_64.efi",
         .siaddr = TFTP_IP, .yiaddr = "0.0.0.0", .vendor_class = "PXEClient", .pxe43 = true,
         .dest = BCAST, .dest_port = 68},
        {.name = "proxy: relayed -> giaddr:67", .mode = DHCP_MODE_PROXY, .client = TC_PXE_BIOS,
         .type = DHCP_DISCOVER, .res = RES_ALLOW, .giaddr = "10.0.0.1", .reply = DHCP_OFFER,
         .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = "10.0.0.1", .dest_port = 67},
        {.name = "proxy: disableDhcp does not silence proxy", .mode = DHCP_MODE_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_DISABLED, .reply = DHCP_OFFER,
         .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},

        /* ---- auto-proxy ---- */
        {.name = "auto-proxy: unknown MAC gets defaults", .mode = DHCP_MODE_AUTO_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_NONE, .reply = DHCP_OFFER,
         .file = "undionly.kpxe", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "auto-proxy: unknown Tinkerbell gets the script", .mode = DHCP_MODE_AUTO_PROXY,
         .client = TC_TINKERBELL, .type = DHCP_DISCOVER, .res = RES_NONE, .reply = DHCP_OFFER,
         .file = SCRIPT_URL, .siaddr = TFTP_IP, .yiaddr = "0.0.0.0", .vendor_class = "PXEClient",
         .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "auto-proxy: Hardware with allowPXE false", .mode = DHCP_MODE_AUTO_PROXY,
         .client = TC_PXE_BIOS, .type = DHCP_DISCOVER, .res = RES_DENY, .reply = DHCP_OFFER,
         .file = "/" TEST_MAC_S "/netboot-not-allowed", .siaddr = TFTP_IP, .yiaddr = "0.0.0.0",
         .vendor_class = "PXEClient", .pxe43 = true, .dest = BCAST, .dest_port = 68},
        {.name = "auto-proxy: plain client still ignored", .mode = DHCP_MODE_AUTO_PROXY,
         .client = TC_PLAIN, .type = DHCP_DISCOVER, .res = RES_NONE,
         .ignore = DHCP_IGNORE_NOT_NETBOOT},
};

static struct dhcp_packet *row_request(const struct row *r)
{
    struct test_header h = test_request_header();
    struct test_packet t;

    if (r->ciaddr)
        h.ciaddr = test_ip(r->ciaddr);
    if (r->giaddr)
        h.giaddr = test_ip(r->giaddr);
    if (r->broadcast_flag)
        h.flags = htons(DHCP_FLAG_BROADCAST);
    tp_client(&t, &h, r->type, r->client);
    if (r->requested_ip)
        tp_opt_ip(&t, DHCP_OPTION_REQUESTED_IP, r->requested_ip);
    if (r->server_id)
        tp_opt_ip(&t, DHCP_OPTION_SERVER_ID, r->server_id);
    tp_end(&t);
    return tp_parse(&t);
}

static void row_reservation(const struct row *r, struct dhcp_reservation *res)
{
    *res = test_reservation();
    switch (r->res) {
    case RES_DENY:
        res->allow_pxe = false;
        break;
    case RES_DISABLED:
        res->disable_dhcp = true;
        break;
    case RES_NO_IP:
        res->ip.s_addr = 0;
        break;
    case RES_BOOT_66_67:
        res->tftp_server_name = "tftp.example";
        res->boot_file_name = "custom/boot.efi";
        break;
    case RES_BINARY:
        res->ipxe_binary = "snp-x86_64.efi";
        break;
    case RES_SCRIPT:
        res->ipxe_script_url = "https://boot.example/custom.ipxe";
        break;
    default:
        break;
    }
}

static void check_addr(struct in_addr got, const char *want)
{
    char buf[INET_ADDRSTRLEN];
    assert_non_null(inet_ntop(AF_INET, &got, buf, sizeof(buf)));
    assert_string_equal(buf, want);
}

static void test_decide_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        const struct row *r = &rows[i];
        struct dhcp_config cfg = test_config(r->mode);
        cfg.disable_netboot_options = r->netboot_off;
        cfg.ipxe_script_for_ipxe = r->ipxe_script;
        struct dhcp_reservation res;
        row_reservation(r, &res);
        _cleanup_dhcp_packet_ struct dhcp_packet *req = row_request(r);
        struct dhcp_decision d;

        print_message("row %s\n", r->name);
        assert_int_equal(dhcp_decide(req, &cfg, r->res == RES_NONE ? NULL : &res, &d), 0);
        assert_string_equal(dhcp_ignore_to_string(d.ignore), dhcp_ignore_to_string(r->ignore));
        if (r->ignore != DHCP_IGNORE_NONE)
            continue;

        assert_int_equal(d.reply.type, r->reply);
        assert_string_equal(d.reply.file, r->file);
        check_addr(d.reply.siaddr, r->siaddr);
        check_addr(d.reply.yiaddr, r->yiaddr);
        if (r->vendor_class)
            assert_string_equal(d.reply.vendor_class, r->vendor_class);
        else
            assert_null(d.reply.vendor_class);
        assert_int_equal(d.reply.pxe_boot_from_file, r->pxe43);
        assert_int_equal(d.reply.broadcast, r->reply_broadcast);
        check_addr(d.dest.addr, r->dest);
        assert_int_equal(d.dest.port, r->dest_port);
        assert_true(d.reply.echo_relay_agent_info);

        /* Every reply must serialize and parse back. */
        _cleanup_free_ uint8_t *raw = NULL;
        size_t len;
        assert_int_equal(dhcp_reply_build(req, &d.reply, &raw, &len), 0);
        _cleanup_dhcp_packet_ struct dhcp_packet *back = NULL;
        assert_int_equal(dhcp_packet_parse(raw, len, &back), 0);
        assert_int_equal(dhcp_packet_message_type(back), r->reply);
        assert_int_equal(dhcp_packet_xid(back), TEST_XID);
        assert_int_equal(dhcp_packet_broadcast(back), r->broadcast_flag || r->reply_broadcast);
    }
}

static void test_decide_reservation_offer_options(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_RESERVATION);
    struct dhcp_reservation res = test_reservation();
    struct dhcp_route routes[] = {
            {.destination = test_addr("10.50.0.0"),
             .prefix_len = 16,
             .router = test_addr("192.168.1.253")},
    };
    res.routes = routes;
    res.n_routes = 1;
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_PLAIN);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *req = tp_parse(&t);
    struct dhcp_decision d;

    assert_int_equal(dhcp_decide(req, &cfg, &res, &d), 0);
    assert_int_equal(d.ignore, DHCP_IGNORE_NONE);
    check_addr(d.reply.server_id, PUBLIC_IP);
    assert_true(d.reply.has_lease_time);
    assert_int_equal(d.reply.lease_time, DHCP_DEFAULT_LEASE_TIME);
    check_addr(d.reply.netmask, "255.255.255.0");
    check_addr(d.reply.router, "192.168.1.254");
    check_addr(d.reply.broadcast_address, "192.168.1.255");
    check_addr(d.reply.log_server, PUBLIC_IP);
    assert_int_equal(d.reply.n_dns, 1);
    assert_int_equal(d.reply.n_ntp, 1);
    assert_string_equal(d.reply.hostname, "node-1");
    assert_string_equal(d.reply.domain_name, "lab.example");
    assert_int_equal(d.reply.n_domain_search, 1);
    assert_string_equal(d.reply.domain_search[0], "lab.example");
    assert_int_equal(d.reply.n_routes, 1);
    /* RFC 3442: the gateway joins option 121 as 0.0.0.0/0. */
    check_addr(d.reply.default_route_via, "192.168.1.254");
    assert_false(d.reply.echo_client_machine_id);

    /* A default route already present is not duplicated; an invalid domain
     * keeps option 15 but drops 119. */
    routes[0].prefix_len = 0;
    res.domain = "bad..domain";
    assert_int_equal(dhcp_decide(req, &cfg, &res, &d), 0);
    check_addr(d.reply.default_route_via, "0.0.0.0");
    assert_string_equal(d.reply.domain_name, "bad..domain");
    assert_int_equal(d.reply.n_domain_search, 0);

    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    assert_int_equal(dhcp_reply_build(req, &d.reply, &raw, &len), 0);
}

static void test_decide_reservation_netboot_extras(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_RESERVATION);
    struct dhcp_reservation res = test_reservation();
    struct test_header h = test_request_header();
    struct test_packet t;
    struct dhcp_decision d;

    /* iPXE gets 175.176 (no-pxedhcp) and its GUID echoed. */
    tp_client(&t, &h, DHCP_DISCOVER, TC_IPXE);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *ipxe = tp_parse(&t);
    assert_int_equal(dhcp_decide(ipxe, &cfg, &res, &d), 0);
    assert_true(d.reply.ipxe_no_pxedhcp);
    assert_true(d.reply.echo_client_machine_id);
    assert_false(d.reply.raspberry_pi);

    /* A PXE ROM does not. */
    tp_client(&t, &h, DHCP_DISCOVER, TC_PXE_BIOS);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *pxe = tp_parse(&t);
    assert_int_equal(dhcp_decide(pxe, &cfg, &res, &d), 0);
    assert_false(d.reply.ipxe_no_pxedhcp);

    /* 66/67 from Hardware go out as options. */
    res.tftp_server_name = "tftp.example";
    res.boot_file_name = "grub.efi";
    assert_int_equal(dhcp_decide(pxe, &cfg, &res, &d), 0);
    assert_string_equal(d.reply.tftp_server_name, "tftp.example");
    assert_string_equal(d.reply.bootfile_name, "grub.efi");
    assert_string_equal(d.reply.file, "grub.efi");
    assert_false(d.reply.pxe_boot_from_file);
}

static void test_decide_lease_time_normalized(void **state)
{
    (void)state;
    static const struct {
        int64_t hw;
        uint32_t want;
    } cases[] = {
            {0, 604800},
            {-5, 604800},
            {3600, 3600},
            {4294967295LL, 4294967295u},
            {4294967296LL, 604800},
            {INT64_MAX, 604800},
    };
    struct dhcp_config cfg = test_config(DHCP_MODE_RESERVATION);
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_PLAIN);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *req = tp_parse(&t);

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct dhcp_reservation res = test_reservation();
        struct dhcp_decision d;
        res.lease_time = cases[i].hw;
        assert_int_equal(dhcp_decide(req, &cfg, &res, &d), 0);
        assert_int_equal(d.reply.lease_time, cases[i].want);
    }
}

static void test_decide_arch_map(void **state)
{
    (void)state;
    static const struct {
        uint16_t arch;
        const char *binary;
    } cases[] = {
            {0, "undionly.kpxe"},  {1, "undionly.kpxe"},  {2, "undionly.kpxe"},
            {3, "undionly.kpxe"},  {4, "undionly.kpxe"},  {5, "undionly.kpxe"},
            {6, "ipxe.efi"},       {7, "ipxe.efi"},       {8, "ipxe.efi"},
            {9, "ipxe.efi"},       {10, "snp-arm64.efi"}, {11, "snp-arm64.efi"},
            {12, NULL},            {13, NULL},            {14, NULL},
            {15, "ipxe.efi"},      {16, "ipxe.efi"},      {17, NULL},
            {18, "snp-arm64.efi"}, {19, "snp-arm64.efi"}, {20, "undionly.kpxe"},
            {21, NULL},            {22, NULL},            {40, NULL},
            {41, "snp-arm64.efi"}, {255, NULL},           {0xffff, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = dhcp_arch_default_binary(cases[i].arch);
        if (cases[i].binary)
            assert_string_equal(got, cases[i].binary);
        else
            assert_null(got);
    }
}

static void test_decide_arch_pick_overrides_and_order(void **state)
{
    (void)state;
    static const struct dhcp_arch_binary overrides[] = {{7, "snp-x86_64.efi"}, {12, "custom.efi"}};
    struct dhcp_config cfg = test_config(DHCP_MODE_PROXY);
    struct test_header h = test_request_header();
    struct test_packet t;
    uint16_t arch;
    const char *bin;

    /* First entry without a binary is skipped, the second one wins. */
    tp_init(&t, &h);
    tp_opt(&t, DHCP_OPTION_CLIENT_ARCH, "\x00\x0c\x00\x07\x00\x00", 6);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    assert_true(dhcp_arch_pick(p, &cfg, &arch, &bin));
    assert_int_equal(arch, 7);
    assert_string_equal(bin, "ipxe.efi");

    cfg.arch_overrides = overrides;
    cfg.n_arch_overrides = ARRAY_SIZE(overrides);
    assert_true(dhcp_arch_pick(p, &cfg, &arch, &bin));
    assert_int_equal(arch, 12);
    assert_string_equal(bin, "custom.efi");

    /* No option 93 at all. */
    tp_init(&t, &h);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *none = tp_parse(&t);
    assert_false(dhcp_arch_pick(none, &cfg, &arch, &bin));
}

static void test_decide_raspberry_pi(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_AUTO_PROXY);
    struct test_header h = test_request_header();
    static const uint8_t rpi_mac[] = {0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03};
    memcpy(h.chaddr, rpi_mac, 6);
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_PXE_BIOS); /* reports arch 0 */
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *req = tp_parse(&t);
    struct dhcp_decision d;

    assert_true(dhcp_mac_is_raspberry_pi(rpi_mac));
    assert_int_equal(dhcp_decide(req, &cfg, NULL, &d), 0);
    assert_int_equal(d.ignore, DHCP_IGNORE_NONE);
    /* Arch 41: the firmware fetches its own files, no file name. */
    assert_string_equal(d.reply.file, "");
    check_addr(d.reply.siaddr, TFTP_IP);
    assert_true(d.reply.raspberry_pi);

    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    assert_int_equal(dhcp_reply_build(req, &d.reply, &raw, &len), 0);
    _cleanup_dhcp_packet_ struct dhcp_packet *back = NULL;
    assert_int_equal(dhcp_packet_parse(raw, len, &back), 0);
    const uint8_t *v;
    size_t vlen;
    static const uint8_t want43[] = {6, 1, 8, 9, 20, 0, 0, 0x11, 'R', 'a', 's', 'p', 'b', 'e', 'r',
                                     'r', 'y', ' ', 'P', 'i', ' ', 'B', 'o', 'o', 't', 10, 4, 0,
                                     'P', 'X', 'E'};
    assert_int_equal(dhcp_packet_get_option(back, 43, &v, &vlen), 0);
    assert_int_equal(vlen, sizeof(want43));
    assert_memory_equal(v, want43, sizeof(want43));
}

struct netboot_case {
    const char *name;
    uint8_t type;
    const char *vendor; /* NULL = absent */
    bool arch, ndi;
    const uint8_t *guid;
    size_t guid_len; /* guid NULL = absent */
    bool want;
};

static void test_decide_netboot_client_test(void **state)
{
    (void)state;
    static const uint8_t guid_ok[17] = {0, 1, 2};
    static const uint8_t guid_type1[17] = {1, 1, 2};
    static const uint8_t guid_short[16] = {0};
    static const struct netboot_case cases[] = {
            {"PXEClient", DHCP_DISCOVER, "PXEClient:Arch:00000", true, true, guid_ok, 17, true},
            {"HTTPClient", DHCP_REQUEST, "HTTPClient:Arch:00016", true, true, guid_ok, 17, true},
            {"no GUID", DHCP_DISCOVER, "PXEClient", true, true, NULL, 0, true},
            {"empty GUID", DHCP_DISCOVER, "PXEClient", true, true, guid_ok, 0, true},
            {"GUID type 1", DHCP_DISCOVER, "PXEClient", true, true, guid_type1, 17, false},
            {"GUID 16 bytes", DHCP_DISCOVER, "PXEClient", true, true, guid_short, 16, false},
            {"no option 60", DHCP_DISCOVER, NULL, true, true, NULL, 0, false},
            {"other vendor", DHCP_DISCOVER, "MSFT 5.0", true, true, NULL, 0, false},
            {"no option 93", DHCP_DISCOVER, "PXEClient", false, true, NULL, 0, false},
            {"no option 94", DHCP_DISCOVER, "PXEClient", true, false, NULL, 0, false},
            {"INFORM", DHCP_INFORM, "PXEClient", true, true, NULL, 0, false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct netboot_case *c = &cases[i];
        struct test_header h = test_request_header();
        struct test_packet t;
        tp_init(&t, &h);
        tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, c->type);
        if (c->vendor)
            tp_opt_str(&t, DHCP_OPTION_VENDOR_CLASS, c->vendor);
        if (c->arch)
            tp_opt(&t, DHCP_OPTION_CLIENT_ARCH, "\x00\x00", 2);
        if (c->ndi)
            tp_opt(&t, DHCP_OPTION_CLIENT_NDI, "\x01\x02\x01", 3);
        if (c->guid)
            tp_opt(&t, DHCP_OPTION_CLIENT_MACHINE_ID, c->guid, c->guid_len);
        tp_end(&t);
        _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
        print_message("case %s\n", c->name);
        assert_int_equal(dhcp_is_netboot_client(p), c->want);
    }
}

static void test_decide_not_request_not_dhcp_hardware_type(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_AUTO_PROXY);
    struct dhcp_decision d;
    struct test_packet t;

    struct test_header reply = test_request_header();
    reply.op = DHCP_BOOTREPLY;
    tp_client(&t, &reply, DHCP_OFFER, TC_PXE_BIOS);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *p1 = tp_parse(&t);
    assert_int_equal(dhcp_decide(p1, &cfg, NULL, &d), 0);
    assert_int_equal(d.ignore, DHCP_IGNORE_NOT_REQUEST);

    struct test_header bootp = test_request_header();
    tp_init(&t, &bootp);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *p2 = tp_parse(&t);
    assert_int_equal(dhcp_decide(p2, &cfg, NULL, &d), 0);
    assert_int_equal(d.ignore, DHCP_IGNORE_NOT_DHCP);

    struct test_header ib = test_request_header();
    ib.htype = 32; /* InfiniBand */
    ib.hlen = 0;
    tp_client(&t, &ib, DHCP_DISCOVER, TC_PXE_BIOS);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *p3 = tp_parse(&t);
    assert_int_equal(dhcp_decide(p3, &cfg, NULL, &d), 0);
    assert_int_equal(d.ignore, DHCP_IGNORE_HARDWARE_TYPE);
}

static void test_decide_invalid_arguments(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_RESERVATION);
    struct dhcp_reservation res = test_reservation();
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_TINKERBELL);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *req = tp_parse(&t);
    struct dhcp_decision d = {.ignore = DHCP_IGNORE_DECLINE};

    assert_int_equal(dhcp_decide(NULL, &cfg, &res, &d), -EINVAL);
    assert_int_equal(dhcp_decide(req, NULL, &res, &d), -EINVAL);
    assert_int_equal(dhcp_decide(req, &cfg, &res, NULL), -EINVAL);

    struct dhcp_config bad = cfg;
    bad.public_ip.s_addr = 0;
    assert_int_equal(dhcp_decide(req, &bad, &res, &d), -EINVAL);
    bad = cfg;
    bad.mode = _DHCP_MODE_MAX;
    assert_int_equal(dhcp_decide(req, &bad, &res, &d), -EINVAL);
    char long_base[260];
    memset(long_base, 'x', sizeof(long_base) - 1);
    long_base[sizeof(long_base) - 1] = '\0';
    bad = cfg;
    bad.script_url_base = long_base;
    assert_int_equal(dhcp_decide(req, &bad, &res, &d), -EINVAL);

    struct dhcp_reservation other = res;
    other.mac[5] ^= 1;
    assert_int_equal(dhcp_decide(req, &cfg, &other, &d), -EINVAL);
    other = res;
    struct dhcp_route bad_route = {.prefix_len = 33};
    other.routes = &bad_route;
    other.n_routes = 1;
    assert_int_equal(dhcp_decide(req, &cfg, &other, &d), -EINVAL);

    /* A script URL longer than option 67 can carry. */
    other = res;
    long_base[0] = 'h';
    other.ipxe_script_url = long_base;
    assert_int_equal(dhcp_decide(req, &cfg, &other, &d), -ENAMETOOLONG);

    /* Outputs untouched on every failure. */
    assert_int_equal(d.ignore, DHCP_IGNORE_DECLINE);
}

static void test_decide_custom_url_bases_and_ports(void **state)
{
    (void)state;
    struct dhcp_config cfg = test_config(DHCP_MODE_AUTO_PROXY);
    cfg.script_url_base = "https://boot.example/ipxe/script/";
    cfg.binary_url_base = "https://boot.example/bin";
    cfg.tftp_port = 1069;
    struct test_header h = test_request_header();
    struct test_packet t;
    struct dhcp_decision d;

    tp_client(&t, &h, DHCP_DISCOVER, TC_TINKERBELL);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *tink = tp_parse(&t);
    assert_int_equal(dhcp_decide(tink, &cfg, NULL, &d), 0);
    assert_string_equal(d.reply.file, "https://boot.example/ipxe/script/" TEST_MAC_S "/auto.ipxe");

    tp_client(&t, &h, DHCP_DISCOVER, TC_HTTP);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *http = tp_parse(&t);
    assert_int_equal(dhcp_decide(http, &cfg, NULL, &d), 0);
    assert_string_equal(d.reply.file, "https://boot.example/bin/" TEST_MAC_S "/ipxe.efi");

    tp_client(&t, &h, DHCP_DISCOVER, TC_IPXE);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *ipxe = tp_parse(&t);
    assert_int_equal(dhcp_decide(ipxe, &cfg, NULL, &d), 0);
    assert_string_equal(d.reply.file, "tftp://" TFTP_IP ":1069/" TEST_MAC_S "/undionly.kpxe");

    /* Defaults: everything on the public IP, port 7080. */
    struct dhcp_config def = {.mode = DHCP_MODE_AUTO_PROXY, .public_ip = test_addr(PUBLIC_IP)};
    assert_int_equal(dhcp_decide(tink, &def, NULL, &d), 0);
    assert_string_equal(d.reply.file,
                        "http://" PUBLIC_IP ":7080/ipxe/script/" TEST_MAC_S "/auto.ipxe");
    check_addr(d.reply.server_id, PUBLIC_IP);
    assert_string_equal(d.reply.sname, PUBLIC_IP);
}

static void test_decide_strings(void **state)
{
    (void)state;
    enum dhcp_mode m;
    assert_string_equal(dhcp_mode_to_string(DHCP_MODE_AUTO_PROXY), "auto-proxy");
    assert_null(dhcp_mode_to_string(_DHCP_MODE_MAX));
    assert_int_equal(dhcp_mode_from_string("proxy", &m), 0);
    assert_int_equal(m, DHCP_MODE_PROXY);
    assert_int_equal(dhcp_mode_from_string("dhcp", &m), -EINVAL);
    assert_int_equal(dhcp_mode_from_string(NULL, &m), -EINVAL);
    for (int i = 0; i < _DHCP_IGNORE_MAX; i++)
        assert_non_null(dhcp_ignore_to_string((enum dhcp_ignore)i));
    assert_string_equal(dhcp_ignore_to_string(DHCP_IGNORE_UNKNOWN_MAC), "unknown_mac");
    assert_null(dhcp_ignore_to_string(_DHCP_IGNORE_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decide_table),
            cmocka_unit_test(test_decide_reservation_offer_options),
            cmocka_unit_test(test_decide_reservation_netboot_extras),
            cmocka_unit_test(test_decide_lease_time_normalized),
            cmocka_unit_test(test_decide_arch_map),
            cmocka_unit_test(test_decide_arch_pick_overrides_and_order),
            cmocka_unit_test(test_decide_raspberry_pi),
            cmocka_unit_test(test_decide_netboot_client_test),
            cmocka_unit_test(test_decide_not_request_not_dhcp_hardware_type),
            cmocka_unit_test(test_decide_invalid_arguments),
            cmocka_unit_test(test_decide_custom_url_bases_and_ports),
            cmocka_unit_test(test_decide_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
