/* SPDX-License-Identifier: Apache-2.0 */
/* Reply builder: header rules, every option's bytes, size limits, overload. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp-test.h"

/* A DISCOVER with optional max message size (0 = none) and relay info. */
static struct dhcp_packet *request(uint16_t mms, bool relay)
{
    struct test_header h = test_request_header();
    h.flags = htons(DHCP_FLAG_BROADCAST);
    h.giaddr = test_ip("10.9.0.1");
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_PXE_BIOS);
    if (mms) {
        uint8_t v[2] = {(uint8_t)(mms >> 8), (uint8_t)mms};
        tp_opt(&t, DHCP_OPTION_MAX_MESSAGE_SIZE, v, 2);
    }
    if (relay)
        tp_opt(&t, DHCP_OPTION_RELAY_AGENT_INFO, "\x01\x04port\x02\x02id", 10);
    tp_end(&t);
    return tp_parse(&t);
}

static struct dhcp_reply base_reply(void)
{
    return (struct dhcp_reply){
            .type = DHCP_OFFER,
            .yiaddr = test_addr("10.9.0.50"),
            .siaddr = test_addr("10.0.0.2"),
            .server_id = test_addr("10.0.0.1"),
    };
}

static struct dhcp_packet *build_and_parse(const struct dhcp_packet *req,
                                           const struct dhcp_reply *rp,
                                           uint8_t **ret_raw,
                                           size_t *ret_len)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    struct dhcp_packet *out = NULL;

    assert_int_equal(dhcp_reply_build(req, rp, &raw, &len), 0);
    assert_non_null(raw);
    assert_int_equal(dhcp_packet_parse(raw, len, &out), 0);
    if (ret_raw)
        *ret_raw = raw;
    else
        free(raw);
    if (ret_len)
        *ret_len = len;
    return out;
}

static void test_reply_build_header_from_request(void **state)
{
    (void)state;
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(0, false);
    struct dhcp_reply rp = base_reply();
    rp.ciaddr = test_addr("10.9.0.7");
    strcpy(rp.sname, "10.0.0.2");
    strcpy(rp.file, "undionly.kpxe");
    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    _cleanup_dhcp_packet_ struct dhcp_packet *p = build_and_parse(req, &rp, &raw, &len);

    static const uint8_t mac[] = TEST_MAC;
    static const uint8_t cookie[] = TEST_COOKIE;
    assert_int_equal(len, DHCP_BOOTP_MIN_LEN); /* padded to 300 */
    assert_int_equal(raw[DHCP_OFF_OP], DHCP_BOOTREPLY);
    assert_memory_equal(raw + DHCP_OFF_COOKIE, cookie, 4);
    assert_int_equal(dhcp_packet_op(p), DHCP_BOOTREPLY);
    assert_int_equal(dhcp_packet_htype(p), 1);
    assert_int_equal(dhcp_packet_hlen(p), 6);
    assert_int_equal(dhcp_packet_hops(p), 0);
    assert_int_equal(dhcp_packet_secs(p), 0);
    assert_int_equal(dhcp_packet_xid(p), TEST_XID);
    assert_int_equal(dhcp_packet_flags(p), DHCP_FLAG_BROADCAST);
    assert_memory_equal(dhcp_packet_chaddr(p), mac, 6);
    assert_int_equal(dhcp_packet_ciaddr(p).s_addr, test_ip("10.9.0.7"));
    assert_int_equal(dhcp_packet_yiaddr(p).s_addr, test_ip("10.9.0.50"));
    assert_int_equal(dhcp_packet_siaddr(p).s_addr, test_ip("10.0.0.2"));
    assert_int_equal(dhcp_packet_giaddr(p).s_addr, test_ip("10.9.0.1"));
    assert_string_equal(dhcp_packet_sname(p), "10.0.0.2");
    assert_string_equal(dhcp_packet_file(p), "undionly.kpxe");
    assert_int_equal(dhcp_packet_message_type(p), DHCP_OFFER);
    /* 53 then 54 open the options field. */
    static const uint8_t first[] = {53, 1, DHCP_OFFER, 54, 4, 10, 0, 0, 1};
    assert_memory_equal(raw + DHCP_OFF_OPTIONS, first, sizeof(first));
    /* Nothing requested a client machine id echo: 97 absent. */
    assert_int_equal(dhcp_packet_get_option(p, 97, NULL, NULL), -ENODATA);
}

struct option_case {
    uint8_t code;
    const char *want;
    size_t want_len;
};

static void test_reply_build_every_option_bytes(void **state)
{
    (void)state;
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(1500, true);
    static const struct in_addr dns[] = {{0x08080808}, {0x01010101}};
    struct in_addr ntp[] = {test_addr("10.0.0.1")};
    struct dhcp_route routes[] = {
            {.destination = test_addr("10.20.0.0"),
             .prefix_len = 16,
             .router = test_addr("10.9.0.254")},
    };
    struct dhcp_reply rp = base_reply();
    rp.type = DHCP_ACK;
    rp.has_lease_time = true;
    rp.lease_time = 604800;
    rp.netmask = test_addr("255.255.255.0");
    rp.router = test_addr("10.9.0.1");
    rp.broadcast_address = test_addr("10.9.0.255");
    rp.log_server = test_addr("10.0.0.1");
    rp.dns = dns;
    rp.n_dns = 2;
    rp.ntp = ntp;
    rp.n_ntp = 1;
    rp.hostname = "node-7";
    rp.domain_name = "lab.example";
    rp.domain_search[0] = "lab.example";
    rp.n_domain_search = 1;
    rp.routes = routes;
    rp.n_routes = 1;
    rp.default_route_via = test_addr("10.9.0.1");
    rp.vendor_class = "PXEClient";
    rp.tftp_server_name = "10.0.0.2";
    rp.bootfile_name = "pxelinux.0";
    rp.pxe_boot_from_file = true;
    rp.ipxe_no_pxedhcp = true;
    rp.echo_client_machine_id = true;
    rp.echo_relay_agent_info = true;
    rp.message = "hi";

    static const struct option_case cases[] = {
            {53, "\x05", 1},
            {54, "\x0a\x00\x00\x01", 4},
            {51, "\x00\x09\x3a\x80", 4},
            {1, "\xff\xff\xff\x00", 4},
            {3, "\x0a\x09\x00\x01", 4},
            {28, "\x0a\x09\x00\xff", 4},
            {6, "\x08\x08\x08\x08\x01\x01\x01\x01", 8},
            {15, "lab.example", 11},
            {119, "\x03lab\x07" "example\x00", 13},
            {12, "node-7", 6},
            {42, "\x0a\x00\x00\x01", 4},
            {7, "\x0a\x00\x00\x01", 4},
            {121, "\x10\x0a\x14\x0a\x09\x00\xfe\x00\x0a\x09\x00\x01", 12},
            {60, "PXEClient", 9},
            {66, "10.0.0.2", 8},
            {67, "pxelinux.0", 10},
            {43, "\x06\x01\x08", 3},
            {97, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00", 17},
            {175, "\xb0\x01\x01", 3},
            {56, "hi", 2},
            {82, "\x01\x04port\x02\x02id", 10},
    };

    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    _cleanup_dhcp_packet_ struct dhcp_packet *p = build_and_parse(req, &rp, &raw, &len);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const uint8_t *v;
        size_t vlen;
        print_message("option %u\n", cases[i].code);
        assert_int_equal(dhcp_packet_get_option(p, cases[i].code, &v, &vlen), 0);
        assert_int_equal(vlen, cases[i].want_len);
        assert_memory_equal(v, cases[i].want, vlen);
    }
    assert_int_equal(dhcp_packet_overload(p), 0);

    /* RFC 3046: 82 is the last option before the end option. */
    size_t end = DHCP_OFF_OPTIONS;
    size_t last = 0;
    while (raw[end] != DHCP_OPTION_END) {
        last = end;
        end += 2 + raw[end + 1];
    }
    assert_int_equal(raw[last], 82);
}

static void test_reply_build_long_file_goes_to_option_67(void **state)
{
    (void)state;
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(0, false);
    struct dhcp_reply rp = base_reply();
    char url[200];
    memset(url, 'u', sizeof(url) - 1);
    url[sizeof(url) - 1] = '\0';
    strcpy(rp.file, url);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = build_and_parse(req, &rp, NULL, NULL);
    const uint8_t *v;
    size_t vlen;
    assert_string_equal(dhcp_packet_file(p), "");
    assert_int_equal(dhcp_packet_get_option(p, 67, &v, &vlen), 0);
    assert_int_equal(vlen, 199);
    assert_memory_equal(v, url, 199);

    /* 127 bytes still fit the header field with its NUL. */
    url[127] = '\0';
    strcpy(rp.file, url);
    _cleanup_dhcp_packet_ struct dhcp_packet *p2 = build_and_parse(req, &rp, NULL, NULL);
    assert_string_equal(dhcp_packet_file(p2), url);
    assert_int_equal(dhcp_packet_get_option(p2, 67, NULL, NULL), -ENODATA);
}

static void test_reply_build_long_option_split_rfc3396(void **state)
{
    (void)state;
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(1500, false);
    struct dhcp_reply rp = base_reply();
    char host[301];
    for (size_t i = 0; i < 300; i++)
        host[i] = (char)('a' + i % 26);
    host[300] = '\0';
    rp.hostname = host;

    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    _cleanup_dhcp_packet_ struct dhcp_packet *p = build_and_parse(req, &rp, &raw, &len);
    const char *s;
    size_t slen;
    assert_int_equal(dhcp_packet_get_hostname(p, &s, &slen), 0);
    assert_int_equal(slen, 300);
    assert_string_equal(s, host);

    /* On the wire: 12/255 then 12/45, back to back. */
    size_t off = DHCP_OFF_OPTIONS;
    while (raw[off] != 12)
        off += 2 + raw[off + 1];
    assert_int_equal(raw[off + 1], 255);
    assert_int_equal(raw[off + 257], 12);
    assert_int_equal(raw[off + 258], 45);
}

static void test_reply_build_overloads_within_576(void **state)
{
    (void)state;
    /* 80 DNS servers: 320 bytes, more than the 308-byte options field of a
     * 576-byte message. */
    struct in_addr dns[80];
    for (size_t i = 0; i < ARRAY_SIZE(dns); i++)
        dns[i].s_addr = htonl(0x0a000000u + (uint32_t)i);
    struct dhcp_reply rp = base_reply();
    rp.dns = dns;
    rp.n_dns = ARRAY_SIZE(dns);
    rp.echo_relay_agent_info = true;

    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(0, true);
    _cleanup_free_ uint8_t *raw = NULL;
    size_t len;
    _cleanup_dhcp_packet_ struct dhcp_packet *p = build_and_parse(req, &rp, &raw, &len);
    assert_true(len <= 576 - 28);
    assert_int_not_equal(dhcp_packet_overload(p), 0);
    const uint8_t *v;
    size_t vlen;
    assert_int_equal(dhcp_packet_get_option(p, 6, &v, &vlen), 0);
    assert_int_equal(vlen, sizeof(dns));
    assert_memory_equal(v, dns, sizeof(dns));
    assert_int_equal(dhcp_packet_get_option(p, 82, NULL, NULL), 0);
    assert_int_equal(dhcp_packet_message_type(p), DHCP_OFFER);
    /* 53 stays first in the options field. */
    assert_int_equal(raw[DHCP_OFF_OPTIONS], 53);

    /* With option 57 = 1500 the same reply needs no overload. */
    _cleanup_dhcp_packet_ struct dhcp_packet *req_big = request(1500, true);
    _cleanup_dhcp_packet_ struct dhcp_packet *p2 = build_and_parse(req_big, &rp, NULL, &len);
    assert_int_equal(dhcp_packet_overload(p2), 0);
    assert_true(len > 576 - 28);

    /* An option 57 below 576 counts as 576: overload again. */
    _cleanup_dhcp_packet_ struct dhcp_packet *req_small = request(400, true);
    _cleanup_dhcp_packet_ struct dhcp_packet *p3 = build_and_parse(req_small, &rp, NULL, &len);
    assert_int_not_equal(dhcp_packet_overload(p3), 0);
    assert_true(len <= 576 - 28);
}

static void test_reply_build_too_big_is_emsgsize(void **state)
{
    (void)state;
    struct in_addr dns[400] = {{0}};
    struct dhcp_reply rp = base_reply();
    rp.dns = dns;
    rp.n_dns = ARRAY_SIZE(dns);
    uint8_t *raw = NULL;
    size_t len = 0;

    /* 1600 bytes exceed even a 1500-byte message. */
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(9000, false);
    assert_int_equal(dhcp_reply_build(req, &rp, &raw, &len), -EMSGSIZE);
    assert_null(raw);
    assert_int_equal(len, 0);

    /* A NAK never overloads sname/file (RFC 2131 table 3). */
    struct dhcp_reply nak = {.type = DHCP_NAK, .server_id = test_addr("10.0.0.1")};
    char msg[400];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    nak.message = msg;
    _cleanup_dhcp_packet_ struct dhcp_packet *req576 = request(0, false);
    assert_int_equal(dhcp_reply_build(req576, &nak, &raw, &len), -EMSGSIZE);
    msg[200] = '\0';
    assert_int_equal(dhcp_reply_build(req576, &nak, &raw, &len), 0);
    _cleanup_dhcp_packet_ struct dhcp_packet *p = NULL;
    assert_int_equal(dhcp_packet_parse(raw, len, &p), 0);
    assert_int_equal(dhcp_packet_overload(p), 0);
    free(raw);
}

static void test_reply_build_invalid_arguments(void **state)
{
    (void)state;
    _cleanup_dhcp_packet_ struct dhcp_packet *req = request(0, false);
    struct dhcp_reply rp = base_reply();
    uint8_t *raw = NULL;
    size_t len = 0;

    assert_int_equal(dhcp_reply_build(NULL, &rp, &raw, &len), -EINVAL);
    assert_int_equal(dhcp_reply_build(req, NULL, &raw, &len), -EINVAL);
    assert_int_equal(dhcp_reply_build(req, &rp, NULL, &len), -EINVAL);

    rp.type = DHCP_DISCOVER;
    assert_int_equal(dhcp_reply_build(req, &rp, &raw, &len), -EINVAL);

    rp = base_reply();
    struct dhcp_route bad = {.prefix_len = 40};
    rp.routes = &bad;
    rp.n_routes = 1;
    assert_int_equal(dhcp_reply_build(req, &rp, &raw, &len), -EINVAL);

    rp = base_reply();
    rp.domain_search[0] = "bad..name";
    rp.n_domain_search = 1;
    assert_int_equal(dhcp_reply_build(req, &rp, &raw, &len), -EINVAL);

    /* A reply cannot answer a reply. */
    rp = base_reply();
    _cleanup_free_ uint8_t *reply_raw = NULL;
    size_t reply_len;
    assert_int_equal(dhcp_reply_build(req, &rp, &reply_raw, &reply_len), 0);
    _cleanup_dhcp_packet_ struct dhcp_packet *as_req = NULL;
    assert_int_equal(dhcp_packet_parse(reply_raw, reply_len, &as_req), 0);
    assert_int_equal(dhcp_reply_build(as_req, &rp, &raw, &len), -EINVAL);
    assert_null(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reply_build_header_from_request),
            cmocka_unit_test(test_reply_build_every_option_bytes),
            cmocka_unit_test(test_reply_build_long_file_goes_to_option_67),
            cmocka_unit_test(test_reply_build_long_option_split_rfc3396),
            cmocka_unit_test(test_reply_build_overloads_within_576),
            cmocka_unit_test(test_reply_build_too_big_is_emsgsize),
            cmocka_unit_test(test_reply_build_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
