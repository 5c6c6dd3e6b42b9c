/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Test packets for the pkg/dhcp cmocka suites (included by *_test.c only;
 * include <cmocka.h> first). A request is a struct literal of the RFC 2131
 * header followed by option bytes, so each case mutates one field (the
 * shape of systemd's test-dhcp-server.c).
 */

#include <arpa/inet.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

/* RFC 2131 figure 1 plus the magic cookie: 240 bytes, no padding (every
 * field is at its natural alignment). Multi-byte fields in network order. */
struct test_header {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    char sname[64];
    char file[128];
    uint8_t cookie[4];
};
_Static_assert(sizeof(struct test_header) == DHCP_MIN_PACKET, "header layout");

struct test_packet {
    size_t len;
    uint8_t bytes[4096];
};

#define TEST_MAC    {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
#define TEST_MAC_S  "52:54:00:12:34:56"
#define TEST_XID    0xdeadbeefu
#define TEST_COOKIE {99, 130, 83, 99}

static inline uint32_t test_ip(const char *s)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

static inline struct in_addr test_addr(const char *s)
{
    return (struct in_addr){.s_addr = test_ip(s)};
}

static inline struct test_header test_request_header(void)
{
    return (struct test_header){
            .op = DHCP_BOOTREQUEST,
            .htype = DHCP_HTYPE_ETHER,
            .hlen = 6,
            .xid = htonl(TEST_XID),
            .chaddr = TEST_MAC,
            .cookie = TEST_COOKIE,
    };
}

static inline void tp_init(struct test_packet *t, const struct test_header *h)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->bytes, h, sizeof(*h));
    t->len = sizeof(*h);
}

static inline void tp_raw(struct test_packet *t, const void *data, size_t n)
{
    assert_true(t->len + n <= sizeof(t->bytes));
    if (n == 0)
        return;
    memcpy(t->bytes + t->len, data, n);
    t->len += n;
}

static inline void tp_opt(struct test_packet *t, uint8_t code, const void *data, size_t n)
{
    uint8_t hdr[2] = {code, (uint8_t)n};
    assert_true(n <= 255);
    tp_raw(t, hdr, 2);
    tp_raw(t, data, n);
}

static inline void tp_opt_u8(struct test_packet *t, uint8_t code, uint8_t v)
{
    tp_opt(t, code, &v, 1);
}

static inline void tp_opt_str(struct test_packet *t, uint8_t code, const char *s)
{
    tp_opt(t, code, s, strlen(s));
}

static inline void tp_opt_ip(struct test_packet *t, uint8_t code, const char *ip)
{
    uint32_t a = test_ip(ip);
    tp_opt(t, code, &a, 4);
}

static inline void tp_end(struct test_packet *t)
{
    uint8_t end = DHCP_OPTION_END;
    tp_raw(t, &end, 1);
}

/* Parses t (which must be valid) into a packet. */
static inline struct dhcp_packet *tp_parse(const struct test_packet *t)
{
    struct dhcp_packet *p = NULL;
    assert_int_equal(dhcp_packet_parse(t->bytes, t->len, &p), 0);
    assert_non_null(p);
    return p;
}

/* The clients of the decision table. */
enum test_client {
    TC_PLAIN,      /* an OS DHCP client, no PXE options */
    TC_PXE_BIOS,   /* a legacy PXE ROM, arch 0 */
    TC_PXE_UEFI,   /* a UEFI PXE ROM, arch 7 */
    TC_IPXE,       /* iPXE: user class "iPXE" and option 175, arch 0 */
    TC_TINKERBELL, /* Tinkerbell's iPXE build, user class "Tinkerbell" */
    TC_HTTP,       /* UEFI HTTP boot, arch 16 */
    TC_PXE_ARCH_UNKNOWN, /* PXE with an architecture no binary exists for */
};

/* Header and options of a client request, without the end option. */
static inline void tp_client(struct test_packet *t,
                             const struct test_header *h,
                             uint8_t type,
                             enum test_client client)
{
    static const uint8_t ndi[] = {1, 2, 1};
    static const uint8_t guid[17] = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                     0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
    uint8_t arch[2] = {0, 0};

    tp_init(t, h);
    tp_opt_u8(t, DHCP_OPTION_MESSAGE_TYPE, type);
    switch (client) {
    case TC_PLAIN:
        tp_opt_str(t, DHCP_OPTION_HOSTNAME, "node");
        return;
    case TC_PXE_UEFI:
        arch[1] = 7;
        break;
    case TC_HTTP:
        arch[1] = 16;
        break;
    case TC_PXE_ARCH_UNKNOWN:
        arch[1] = 0x30;
        break;
    default:
        break;
    }
    tp_opt_str(t, DHCP_OPTION_VENDOR_CLASS,
               client == TC_HTTP ? "HTTPClient:Arch:00016:UNDI:003001"
                                 : "PXEClient:Arch:00000:UNDI:002001");
    tp_opt(t, DHCP_OPTION_CLIENT_ARCH, arch, 2);
    tp_opt(t, DHCP_OPTION_CLIENT_NDI, ndi, 3);
    tp_opt(t, DHCP_OPTION_CLIENT_MACHINE_ID, guid, sizeof(guid));
    if (client == TC_IPXE) {
        static const uint8_t ipxe_encap[] = {19, 1, 1}; /* 175.19 "pxeext" */
        tp_opt_str(t, DHCP_OPTION_USER_CLASS, "iPXE");
        tp_opt(t, DHCP_OPTION_IPXE_ENCAP, ipxe_encap, sizeof(ipxe_encap));
    }
    if (client == TC_TINKERBELL)
        tp_opt_str(t, DHCP_OPTION_USER_CLASS, "Tinkerbell");
}
