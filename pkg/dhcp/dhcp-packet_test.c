/* SPDX-License-Identifier: Apache-2.0 */
/* Parser tests: header fields, every option accessor, every malformed class. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp-test.h"

static void test_packet_parse_header_fields(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    h.hops = 2;
    h.secs = htons(7);
    h.flags = htons(DHCP_FLAG_BROADCAST);
    h.ciaddr = test_ip("10.0.0.1");
    h.yiaddr = test_ip("10.0.0.2");
    h.siaddr = test_ip("10.0.0.3");
    h.giaddr = test_ip("10.0.0.4");
    strcpy(h.sname, "boot-server");
    strcpy(h.file, "pxelinux.0");
    struct test_packet t;
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
    tp_end(&t);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    static const uint8_t mac[] = TEST_MAC;
    assert_int_equal(dhcp_packet_op(p), DHCP_BOOTREQUEST);
    assert_int_equal(dhcp_packet_htype(p), 1);
    assert_int_equal(dhcp_packet_hlen(p), 6);
    assert_int_equal(dhcp_packet_hops(p), 2);
    assert_int_equal(dhcp_packet_xid(p), TEST_XID);
    assert_int_equal(dhcp_packet_secs(p), 7);
    assert_int_equal(dhcp_packet_flags(p), DHCP_FLAG_BROADCAST);
    assert_true(dhcp_packet_broadcast(p));
    assert_int_equal(dhcp_packet_ciaddr(p).s_addr, test_ip("10.0.0.1"));
    assert_int_equal(dhcp_packet_yiaddr(p).s_addr, test_ip("10.0.0.2"));
    assert_int_equal(dhcp_packet_siaddr(p).s_addr, test_ip("10.0.0.3"));
    assert_int_equal(dhcp_packet_giaddr(p).s_addr, test_ip("10.0.0.4"));
    assert_memory_equal(dhcp_packet_chaddr(p), mac, 6);
    assert_string_equal(dhcp_packet_sname(p), "boot-server");
    assert_string_equal(dhcp_packet_file(p), "pxelinux.0");
    assert_int_equal(dhcp_packet_overload(p), 0);
    assert_int_equal(dhcp_packet_message_type(p), DHCP_DISCOVER);
}

static void test_packet_parse_unterminated_header_strings(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    memset(h.sname, 'S', sizeof(h.sname));
    memset(h.file, 'F', sizeof(h.file));
    struct test_packet t;
    tp_init(&t, &h);
    tp_end(&t);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    assert_int_equal(strlen(dhcp_packet_sname(p)), 64);
    assert_int_equal(strlen(dhcp_packet_file(p)), 128);
    /* No option 53: a plain BOOTP message. */
    assert_int_equal(dhcp_packet_message_type(p), DHCP_MESSAGE_NONE);
}

static void test_packet_get_option_every_typed_accessor(void **state)
{
    (void)state;
    static const uint8_t arch[] = {0x00, 0x07, 0x00, 0x00};
    static const uint8_t ndi[] = {1, 3, 16};
    static const uint8_t guid[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t prl[] = {1, 3, 6, 66, 67};
    static const uint8_t relay[] = {1, 3, 'e', 't', '0', 2, 0};
    static const uint8_t mms[] = {0x05, 0xdc};
    static const uint8_t lease[] = {0x00, 0x01, 0x51, 0x80};
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_REQUEST);
    tp_opt_ip(&t, DHCP_OPTION_REQUESTED_IP, "192.168.1.10");
    tp_opt_ip(&t, DHCP_OPTION_SERVER_ID, "192.168.1.1");
    tp_opt(&t, DHCP_OPTION_LEASE_TIME, lease, 4);
    tp_opt(&t, DHCP_OPTION_MAX_MESSAGE_SIZE, mms, 2);
    tp_opt(&t, DHCP_OPTION_CLIENT_ARCH, arch, sizeof(arch));
    tp_opt(&t, DHCP_OPTION_CLIENT_NDI, ndi, 3);
    tp_opt(&t, DHCP_OPTION_CLIENT_MACHINE_ID, guid, sizeof(guid));
    tp_opt_str(&t, DHCP_OPTION_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003016");
    tp_opt_str(&t, DHCP_OPTION_USER_CLASS, "iPXE");
    tp_opt(&t, DHCP_OPTION_PARAMETER_REQUEST_LIST, prl, sizeof(prl));
    tp_opt(&t, DHCP_OPTION_RELAY_AGENT_INFO, relay, sizeof(relay));
    tp_opt_str(&t, DHCP_OPTION_HOSTNAME, "node-1");
    tp_end(&t);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    struct in_addr a;
    uint32_t u32;
    uint16_t u16;
    uint8_t ty, ma, mi;
    const uint8_t *v;
    const char *s;
    size_t len;

    assert_int_equal(dhcp_packet_message_type(p), DHCP_REQUEST);
    assert_int_equal(dhcp_packet_get_requested_ip(p, &a), 0);
    assert_int_equal(a.s_addr, test_ip("192.168.1.10"));
    assert_int_equal(dhcp_packet_get_server_id(p, &a), 0);
    assert_int_equal(a.s_addr, test_ip("192.168.1.1"));
    assert_int_equal(dhcp_packet_get_lease_time(p, &u32), 0);
    assert_int_equal(u32, 86400);
    assert_int_equal(dhcp_packet_get_max_message_size(p, &u16), 0);
    assert_int_equal(u16, 1500);
    assert_int_equal(dhcp_packet_max_message_size(p), 1500);
    assert_int_equal(dhcp_packet_n_client_arch(p), 2);
    assert_int_equal(dhcp_packet_get_client_arch(p, 0, &u16), 0);
    assert_int_equal(u16, 7);
    assert_int_equal(dhcp_packet_get_client_arch(p, 1, &u16), 0);
    assert_int_equal(u16, 0);
    assert_int_equal(dhcp_packet_get_client_arch(p, 2, &u16), -ENODATA);
    assert_int_equal(dhcp_packet_get_client_ndi(p, &ty, &ma, &mi), 0);
    assert_int_equal(ty, 1);
    assert_int_equal(ma, 3);
    assert_int_equal(mi, 16);
    assert_int_equal(dhcp_packet_get_client_machine_id(p, &v, &len), 0);
    assert_int_equal(len, 17);
    assert_memory_equal(v, guid, 17);
    assert_int_equal(dhcp_packet_get_vendor_class(p, &s, &len), 0);
    assert_string_equal(s, "PXEClient:Arch:00007:UNDI:003016");
    assert_true(dhcp_packet_vendor_class_has_prefix(p, "PXEClient"));
    assert_false(dhcp_packet_vendor_class_has_prefix(p, "HTTPClient"));
    assert_int_equal(dhcp_packet_n_user_class(p), 1);
    assert_true(dhcp_packet_has_user_class(p, "iPXE"));
    assert_int_equal(dhcp_packet_get_parameter_request_list(p, &v, &len), 0);
    assert_int_equal(len, sizeof(prl));
    assert_true(dhcp_packet_requests_option(p, 66));
    assert_false(dhcp_packet_requests_option(p, 121));
    assert_int_equal(dhcp_packet_get_relay_agent_info(p, &v, &len), 0);
    assert_int_equal(len, sizeof(relay));
    assert_memory_equal(v, relay, sizeof(relay));
    assert_int_equal(dhcp_packet_get_hostname(p, &s, &len), 0);
    assert_string_equal(s, "node-1");
    assert_int_equal(len, 6);
}

static void test_packet_get_option_absent_is_enodata(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
    tp_end(&t);
    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    struct in_addr a;
    uint32_t u32;
    uint16_t u16;
    const uint8_t *v;
    const char *s;
    size_t len;

    assert_int_equal(dhcp_packet_get_option(p, 200, &v, &len), -ENODATA);
    assert_int_equal(dhcp_packet_get_requested_ip(p, &a), -ENODATA);
    assert_int_equal(dhcp_packet_get_server_id(p, &a), -ENODATA);
    assert_int_equal(dhcp_packet_get_lease_time(p, &u32), -ENODATA);
    assert_int_equal(dhcp_packet_get_max_message_size(p, &u16), -ENODATA);
    assert_int_equal(dhcp_packet_max_message_size(p), 576);
    assert_int_equal(dhcp_packet_n_client_arch(p), 0);
    assert_int_equal(dhcp_packet_get_client_arch(p, 0, &u16), -ENODATA);
    assert_int_equal(dhcp_packet_get_client_ndi(p, NULL, NULL, NULL), -ENODATA);
    assert_int_equal(dhcp_packet_get_client_machine_id(p, &v, &len), -ENODATA);
    assert_int_equal(dhcp_packet_get_vendor_class(p, &s, &len), -ENODATA);
    assert_false(dhcp_packet_vendor_class_has_prefix(p, ""));
    assert_int_equal(dhcp_packet_get_hostname(p, &s, &len), -ENODATA);
    assert_int_equal(dhcp_packet_get_parameter_request_list(p, &v, &len), -ENODATA);
    assert_false(dhcp_packet_requests_option(p, 1));
    assert_int_equal(dhcp_packet_get_relay_agent_info(p, &v, &len), -ENODATA);
    assert_int_equal(dhcp_packet_n_user_class(p), 0);
    assert_int_equal(dhcp_packet_get_user_class(p, 0, &v, &len), -ENODATA);
    assert_false(dhcp_packet_has_user_class(p, "iPXE"));
}

/* Option 77 in both of its real-world encodings. */
struct user_class_case {
    const char *name;
    uint8_t value[32];
    size_t len;
    size_t n_items;
    const char *item0;
    size_t item0_len;
    bool ipxe, tinkerbell;
};

static void test_packet_user_class_raw_and_rfc3004(void **state)
{
    (void)state;
    static const struct user_class_case cases[] = {
            {"raw iPXE", "iPXE", 4, 1, "iPXE", 4, true, false},
            {"raw Tinkerbell", "Tinkerbell", 10, 1, "Tinkerbell", 10, false, true},
            {"rfc3004 one", "\x04iPXE", 5, 1, "iPXE", 4, true, false},
            {"rfc3004 two", "\x03" "foo" "\x0aTinkerbell", 15, 2, "foo", 3, false, true},
            {"zero item length is raw", "\x00iPXE", 5, 1, "\x00iPXE", 5, false, false},
            {"item past the end is raw", "\x09iPXE", 5, 1, "\x09iPXE", 5, false, false},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct user_class_case *c = &cases[i];
        struct test_header h = test_request_header();
        struct test_packet t;
        tp_init(&t, &h);
        tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
        tp_opt(&t, DHCP_OPTION_USER_CLASS, c->value, c->len);
        tp_end(&t);
        _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
        const uint8_t *item;
        size_t item_len;

        print_message("case %s\n", c->name);
        assert_int_equal(dhcp_packet_n_user_class(p), c->n_items);
        assert_int_equal(dhcp_packet_get_user_class(p, 0, &item, &item_len), 0);
        assert_int_equal(item_len, c->item0_len);
        assert_memory_equal(item, c->item0, item_len);
        assert_int_equal(dhcp_packet_get_user_class(p, c->n_items, &item, &item_len), -ENODATA);
        assert_int_equal(dhcp_packet_has_user_class(p, "iPXE"), c->ipxe);
        assert_int_equal(dhcp_packet_has_user_class(p, "Tinkerbell"), c->tinkerbell);
    }
}

static void test_packet_max_message_size_floor(void **state)
{
    (void)state;
    static const struct {
        uint16_t sent;
        uint16_t effective;
    } cases[] = {{300, 576}, {575, 576}, {576, 576}, {1024, 1024}, {65535, 65535}};

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct test_header h = test_request_header();
        struct test_packet t;
        uint8_t v[2] = {(uint8_t)(cases[i].sent >> 8), (uint8_t)cases[i].sent};
        tp_init(&t, &h);
        tp_opt(&t, DHCP_OPTION_MAX_MESSAGE_SIZE, v, 2);
        tp_end(&t);
        _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
        assert_int_equal(dhcp_packet_max_message_size(p), cases[i].effective);
    }
}

static void test_packet_parse_pad_missing_end_and_trailing_garbage(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    struct test_packet t;
    static const uint8_t pads[] = {0, 0, 0};
    static const uint8_t garbage[] = {53, 200}; /* after end: never read */

    /* Pads between options, no end option at all. */
    tp_init(&t, &h);
    tp_raw(&t, pads, sizeof(pads));
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
    tp_raw(&t, pads, sizeof(pads));
    _cleanup_dhcp_packet_ struct dhcp_packet *p1 = tp_parse(&t);
    assert_int_equal(dhcp_packet_message_type(p1), DHCP_DISCOVER);

    /* Bytes after the end option are ignored, even malformed ones. */
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_REQUEST);
    tp_end(&t);
    tp_raw(&t, garbage, sizeof(garbage));
    _cleanup_dhcp_packet_ struct dhcp_packet *p2 = tp_parse(&t);
    assert_int_equal(dhcp_packet_message_type(p2), DHCP_REQUEST);
}

static void test_packet_parse_concatenates_split_options(void **state)
{
    (void)state;
    /* RFC 3396: two instances of 77 in the options field, and a third in
     * the overloaded file field, concatenate in that order. */
    struct test_header h = test_request_header();
    uint8_t file_opts[] = {DHCP_OPTION_USER_CLASS, 3, 'b', 'e', 'l', DHCP_OPTION_HOSTNAME, 1, 'x',
                           DHCP_OPTION_END};
    memcpy(h.file, file_opts, sizeof(file_opts));
    struct test_packet t;
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
    tp_opt_str(&t, DHCP_OPTION_USER_CLASS, "Tink");
    tp_opt_u8(&t, DHCP_OPTION_OVERLOAD, DHCP_OVERLOAD_FILE);
    tp_opt_str(&t, DHCP_OPTION_USER_CLASS, "er");
    tp_end(&t);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    const uint8_t *v;
    size_t len;
    assert_int_equal(dhcp_packet_get_option(p, DHCP_OPTION_USER_CLASS, &v, &len), 0);
    assert_int_equal(len, 9);
    assert_memory_equal(v, "Tinkerbel", 9);
    assert_int_equal(v[len], 0); /* NUL-terminated */
    assert_int_equal(dhcp_packet_overload(p), DHCP_OVERLOAD_FILE);
    assert_null(dhcp_packet_file(p));
    assert_string_equal(dhcp_packet_sname(p), "");
    const char *host;
    assert_int_equal(dhcp_packet_get_hostname(p, &host, &len), 0);
    assert_string_equal(host, "x");
}

static void test_packet_parse_overload_order_options_file_sname(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    uint8_t file_opts[] = {60, 2, 'C', 'D', DHCP_OPTION_END};
    uint8_t sname_opts[] = {60, 2, 'E', 'F'}; /* no end: accepted */
    memcpy(h.file, file_opts, sizeof(file_opts));
    memcpy(h.sname, sname_opts, sizeof(sname_opts));
    struct test_packet t;
    tp_init(&t, &h);
    tp_opt_u8(&t, DHCP_OPTION_OVERLOAD, DHCP_OVERLOAD_FILE | DHCP_OVERLOAD_SNAME);
    tp_opt_str(&t, DHCP_OPTION_VENDOR_CLASS, "AB");
    tp_end(&t);

    _cleanup_dhcp_packet_ struct dhcp_packet *p = tp_parse(&t);
    const char *s;
    size_t len;
    assert_int_equal(dhcp_packet_get_vendor_class(p, &s, &len), 0);
    assert_string_equal(s, "ABCDEF");
    assert_null(dhcp_packet_sname(p));
    assert_null(dhcp_packet_file(p));
    assert_int_equal(dhcp_packet_overload(p), 3);
}

/* One malformed class per row, each built from a valid request. */
struct malformed_case {
    const char *name;
    void (*mutate)(struct test_packet *t);
};

static void base_packet(struct test_packet *t, const struct test_header *h)
{
    tp_init(t, h);
    tp_opt_u8(t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER);
}

static void m_truncated_header(struct test_packet *t)
{
    t->len = 100;
}

static void m_no_cookie(struct test_packet *t)
{
    t->len = DHCP_HEADER_SIZE + 3;
}

static void m_bad_cookie(struct test_packet *t)
{
    t->bytes[DHCP_OFF_COOKIE + 3] = 0x64;
}

static void m_op_zero(struct test_packet *t)
{
    t->bytes[DHCP_OFF_OP] = 0;
}

static void m_op_three(struct test_packet *t)
{
    t->bytes[DHCP_OFF_OP] = 3;
}

static void m_hlen_17(struct test_packet *t)
{
    t->bytes[DHCP_OFF_HLEN] = 17;
}

static void m_length_past_end(struct test_packet *t)
{
    static const uint8_t v[] = {DHCP_OPTION_HOSTNAME, 10, 'a', 'b'};
    tp_raw(t, v, sizeof(v));
}

static void m_length_octet_missing(struct test_packet *t)
{
    uint8_t code = DHCP_OPTION_HOSTNAME;
    tp_raw(t, &code, 1);
}

static void m_type_zero_length(struct test_packet *t)
{
    t->bytes[DHCP_OFF_OPTIONS + 1] = 0;
    t->len = DHCP_OFF_OPTIONS + 2;
}

static void m_type_two_bytes(struct test_packet *t)
{
    tp_opt_u8(t, DHCP_OPTION_MESSAGE_TYPE, DHCP_DISCOVER); /* concatenates to 2 bytes */
}

static void m_type_value_zero(struct test_packet *t)
{
    t->bytes[DHCP_OFF_OPTIONS + 2] = 0;
}

static void m_requested_ip_3(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_REQUESTED_IP, "\x0a\x00\x00", 3);
}

static void m_server_id_5(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_SERVER_ID, "\x0a\x00\x00\x01\x02", 5);
}

static void m_lease_2(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_LEASE_TIME, "\x00\x01", 2);
}

static void m_mms_1(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_MAX_MESSAGE_SIZE, "\x05", 1);
}

static void m_ndi_2(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_CLIENT_NDI, "\x01\x02", 2);
}

static void m_arch_odd(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_CLIENT_ARCH, "\x00\x07\x00", 3);
}

static void m_arch_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_CLIENT_ARCH, NULL, 0);
}

static void m_hostname_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_HOSTNAME, NULL, 0);
}

static void m_vendor_class_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_VENDOR_CLASS, NULL, 0);
}

static void m_user_class_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_USER_CLASS, NULL, 0);
}

static void m_prl_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_PARAMETER_REQUEST_LIST, NULL, 0);
}

static void m_client_id_1(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_CLIENT_ID, "\x01", 1);
}

static void m_relay_1(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_RELAY_AGENT_INFO, "\x01", 1);
}

static void m_relay_bad_sub(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_RELAY_AGENT_INFO, "\x01\x05\x61\x62", 4);
}

static void m_overload_zero(struct test_packet *t)
{
    tp_opt_u8(t, DHCP_OPTION_OVERLOAD, 0);
}

static void m_overload_four(struct test_packet *t)
{
    tp_opt_u8(t, DHCP_OPTION_OVERLOAD, 4);
}

static void m_overload_two_bytes(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_OVERLOAD, "\x01\x01", 2);
}

static void m_overload_empty(struct test_packet *t)
{
    tp_opt(t, DHCP_OPTION_OVERLOAD, NULL, 0);
}

static void m_overload_file_garbage(struct test_packet *t)
{
    /* file = "pxelinux.0": 'p' (112) with length 'x' (120) runs past 128. */
    memcpy(t->bytes + DHCP_OFF_FILE, "pxelinux.0", 10);
    memset(t->bytes + DHCP_OFF_FILE + 10, 'x', DHCP_FILE_SIZE - 10);
    tp_opt_u8(t, DHCP_OPTION_OVERLOAD, DHCP_OVERLOAD_FILE);
}

static void m_overload_sname_garbage(struct test_packet *t)
{
    memset(t->bytes + DHCP_OFF_SNAME, 'h', DHCP_SNAME_SIZE);
    tp_opt_u8(t, DHCP_OPTION_OVERLOAD, DHCP_OVERLOAD_SNAME);
}

static void m_overload_nested(struct test_packet *t)
{
    static const uint8_t v[] = {DHCP_OPTION_OVERLOAD, 1, 2, DHCP_OPTION_END};
    memcpy(t->bytes + DHCP_OFF_FILE, v, sizeof(v));
    tp_opt_u8(t, DHCP_OPTION_OVERLOAD, DHCP_OVERLOAD_FILE);
}

static void m_oversized(struct test_packet *t)
{
    t->len = DHCP_PACKET_MAX_SIZE + 1; /* parse is given a larger buffer below */
}

static const struct malformed_case malformed_cases[] = {
        {"truncated header", m_truncated_header},
        {"no magic cookie", m_no_cookie},
        {"bad magic cookie", m_bad_cookie},
        {"op 0", m_op_zero},
        {"op 3", m_op_three},
        {"hlen 17", m_hlen_17},
        {"option length past end", m_length_past_end},
        {"option length octet missing", m_length_octet_missing},
        {"53 zero length", m_type_zero_length},
        {"53 two bytes", m_type_two_bytes},
        {"53 value 0", m_type_value_zero},
        {"50 three bytes", m_requested_ip_3},
        {"54 five bytes", m_server_id_5},
        {"51 two bytes", m_lease_2},
        {"57 one byte", m_mms_1},
        {"94 two bytes", m_ndi_2},
        {"93 odd length", m_arch_odd},
        {"93 empty", m_arch_empty},
        {"12 empty", m_hostname_empty},
        {"60 empty", m_vendor_class_empty},
        {"77 empty", m_user_class_empty},
        {"55 empty", m_prl_empty},
        {"61 one byte", m_client_id_1},
        {"82 one byte", m_relay_1},
        {"82 sub-option past end", m_relay_bad_sub},
        {"52 value 0", m_overload_zero},
        {"52 value 4", m_overload_four},
        {"52 two bytes", m_overload_two_bytes},
        {"52 empty", m_overload_empty},
        {"52 file holds a string", m_overload_file_garbage},
        {"52 sname holds a string", m_overload_sname_garbage},
        {"52 inside the file field", m_overload_nested},
        {"longer than a UDP datagram", m_oversized},
};

static void test_packet_parse_malformed_is_ebadmsg(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(malformed_cases); i++) {
        struct test_header h = test_request_header();
        struct test_packet t;
        base_packet(&t, &h);
        malformed_cases[i].mutate(&t);

        /* Exactly len bytes on the heap, so ASan sees any overread. */
        size_t len = t.len;
        uint8_t *copy = calloc(1, len);
        assert_non_null(copy);
        memcpy(copy, t.bytes, MIN(len, sizeof(t.bytes)));
        struct dhcp_packet *p = NULL;
        print_message("case %s\n", malformed_cases[i].name);
        assert_int_equal(dhcp_packet_parse(copy, len, &p), -EBADMSG);
        assert_null(p);
        free(copy);
    }
}

static void test_packet_parse_every_truncation_is_safe(void **state)
{
    (void)state;
    struct test_header h = test_request_header();
    struct test_packet t;
    tp_client(&t, &h, DHCP_DISCOVER, TC_IPXE);
    tp_opt(&t, DHCP_OPTION_RELAY_AGENT_INFO, "\x01\x02\x03\x04", 4);
    tp_end(&t);

    size_t ok = 0;
    for (size_t len = 0; len <= t.len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, t.bytes, len);
        struct dhcp_packet *p = NULL;
        int r = dhcp_packet_parse(copy, len, &p);
        assert_true(r == 0 || r == -EBADMSG);
        if (r == 0)
            ok++;
        dhcp_packet_free(p);
        free(copy);
    }
    /* Cut on an option boundary (or without the end option) it still parses. */
    assert_true(ok > 1);
}

static void test_packet_parse_invalid_arguments(void **state)
{
    (void)state;
    struct dhcp_packet *p = NULL;
    assert_int_equal(dhcp_packet_parse(NULL, 10, &p), -EINVAL);
    assert_int_equal(dhcp_packet_parse("x", 1, NULL), -EINVAL);
    assert_int_equal(dhcp_packet_parse(NULL, 0, &p), -EBADMSG);
    assert_null(dhcp_packet_free(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_packet_parse_header_fields),
            cmocka_unit_test(test_packet_parse_unterminated_header_strings),
            cmocka_unit_test(test_packet_get_option_every_typed_accessor),
            cmocka_unit_test(test_packet_get_option_absent_is_enodata),
            cmocka_unit_test(test_packet_user_class_raw_and_rfc3004),
            cmocka_unit_test(test_packet_max_message_size_floor),
            cmocka_unit_test(test_packet_parse_pad_missing_end_and_trailing_garbage),
            cmocka_unit_test(test_packet_parse_concatenates_split_options),
            cmocka_unit_test(test_packet_parse_overload_order_options_file_sname),
            cmocka_unit_test(test_packet_parse_malformed_is_ebadmsg),
            cmocka_unit_test(test_packet_parse_every_truncation_is_safe),
            cmocka_unit_test(test_packet_parse_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
