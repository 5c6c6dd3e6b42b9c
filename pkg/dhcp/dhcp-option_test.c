/* SPDX-License-Identifier: Apache-2.0 */
/* Option encoders checked byte by byte, TLV walking and the reply layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp-test.h"

struct route_case {
    const char *dest;
    uint8_t prefix;
    uint8_t want[9];
    size_t want_len;
};

static void test_option_routes_rfc3442_encoding(void **state)
{
    (void)state;
    /* The destination descriptors of RFC 3442's example table, plus the
     * router 192.168.0.1 (c0 a8 00 01) after each. */
    static const struct route_case cases[] = {
            {"0.0.0.0", 0, {0, 0xc0, 0xa8, 0, 1}, 5},
            {"10.0.0.0", 8, {8, 10, 0xc0, 0xa8, 0, 1}, 6},
            {"10.0.0.0", 24, {24, 10, 0, 0, 0xc0, 0xa8, 0, 1}, 8},
            {"10.17.0.0", 16, {16, 10, 17, 0xc0, 0xa8, 0, 1}, 7},
            {"10.27.129.0", 24, {24, 10, 27, 129, 0xc0, 0xa8, 0, 1}, 8},
            {"10.229.0.128", 25, {25, 10, 229, 0, 128, 0xc0, 0xa8, 0, 1}, 9},
            {"10.198.122.47", 32, {32, 10, 198, 122, 47, 0xc0, 0xa8, 0, 1}, 9},
            /* Bits past the prefix are cleared: 129.210.177.132/25. */
            {"129.210.177.132", 25, {25, 129, 210, 177, 128, 0xc0, 0xa8, 0, 1}, 9},
            {"10.255.0.0", 9, {9, 10, 128, 0xc0, 0xa8, 0, 1}, 7},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_buf_ struct buf out = BUF_INIT(1024);
        struct dhcp_route rt = {.destination = test_addr(cases[i].dest),
                                .prefix_len = cases[i].prefix,
                                .router = test_addr("192.168.0.1")};
        assert_int_equal(dhcp_option_append_routes(&out, &rt, 1, (struct in_addr){0}), 0);
        assert_int_equal(out.len, cases[i].want_len);
        assert_memory_equal(out.data, cases[i].want, cases[i].want_len);
    }
}

static void test_option_routes_default_appended_and_bad_prefix(void **state)
{
    (void)state;
    _cleanup_buf_ struct buf out = BUF_INIT(1024);
    struct dhcp_route rts[] = {
            {.destination = test_addr("10.1.0.0"),
             .prefix_len = 16,
             .router = test_addr("10.0.0.254")},
            {.destination = test_addr("172.16.5.0"),
             .prefix_len = 24,
             .router = test_addr("10.0.0.253")},
    };
    static const uint8_t want[] = {16, 10, 1, 10, 0, 0, 254, 24, 172, 16, 5,
                                   10, 0, 0, 253, 0, 10, 0, 0, 1};
    assert_int_equal(dhcp_option_append_routes(&out, rts, 2, test_addr("10.0.0.1")), 0);
    assert_int_equal(out.len, sizeof(want));
    assert_memory_equal(out.data, want, sizeof(want));

    _cleanup_buf_ struct buf bad = BUF_INIT(1024);
    struct dhcp_route rt = {.destination = test_addr("10.0.0.0"), .prefix_len = 33};
    assert_int_equal(dhcp_option_append_routes(&bad, &rt, 1, (struct in_addr){0}), -EINVAL);
    assert_null(bad.data);

    _cleanup_buf_ struct buf tiny = BUF_INIT(4);
    assert_int_equal(dhcp_option_append_routes(&tiny, rts, 2, (struct in_addr){0}), -E2BIG);
}

static void test_option_domain_list_rfc1035_encoding(void **state)
{
    (void)state;
    static const struct {
        const char *names[3];
        size_t n;
        const char *want;
        size_t want_len;
    } cases[] = {
            {{"example.com"}, 1, "\x07" "example" "\x03" "com" "\x00", 13},
            {{"example.com."}, 1, "\x07" "example" "\x03" "com" "\x00", 13},
            {{"lab"}, 1, "\x03" "lab" "\x00", 5},
            {{"a.b", "c"}, 2, "\x01" "a" "\x01" "b" "\x00" "\x01" "c" "\x00", 8},
            {{"eng.example.org"}, 1, "\x03" "eng" "\x07" "example" "\x03" "org" "\x00", 17},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_buf_ struct buf out = BUF_INIT(1024);
        assert_int_equal(dhcp_option_append_domain_list(&out, cases[i].names, cases[i].n), 0);
        assert_int_equal(out.len, cases[i].want_len);
        assert_memory_equal(out.data, cases[i].want, cases[i].want_len);
    }
}

static void test_option_domain_name_rejects_invalid(void **state)
{
    (void)state;
    char long_label[80];
    char long_name[400];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    /* 5 labels of 62 bytes: 5 * 63 + 1 = 316 encoded bytes > 255. */
    size_t k = 0;
    for (int l = 0; l < 5; l++) {
        memset(long_name + k, 'b', 62);
        k += 62;
        long_name[k++] = '.';
    }
    long_name[k - 1] = '\0';

    const char *bad[] = {"", ".", "a..b", ".a", long_label, long_name};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        _cleanup_buf_ struct buf out = BUF_INIT(1024);
        assert_false(dhcp_domain_name_is_valid(bad[i]));
        assert_int_equal(dhcp_option_append_domain_list(&out, &bad[i], 1), -EINVAL);
    }
    long_label[63] = '\0';
    assert_true(dhcp_domain_name_is_valid(long_label));
    assert_false(dhcp_domain_name_is_valid(NULL));
}

static int count_visit(uint8_t code, const uint8_t *data, uint8_t len, void *userdata)
{
    size_t *n = userdata;
    (void)data;
    (void)len;
    if (code == 99)
        return -ECANCELED;
    (*n)++;
    return 0;
}

static void test_option_walk_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t field[8];
        size_t len;
        int want;
        size_t visits;
    } cases[] = {
            {"empty", {0}, 0, 0, 0},
            {"pads only", {0, 0, 0}, 3, 0, 0},
            {"one then end", {1, 1, 9, 255, 7}, 5, 0, 1},
            {"zero-length option", {80, 0, 1, 1, 9}, 5, 0, 2},
            {"no end", {1, 1, 9, 2, 1, 9}, 6, 0, 2},
            {"length octet missing", {1, 1, 9, 2}, 4, -EBADMSG, 1},
            {"value past end", {1, 4, 9, 9}, 4, -EBADMSG, 0},
            {"visitor error stops", {1, 1, 9, 99, 0, 2, 0}, 7, -ECANCELED, 1},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = 0;
        print_message("case %s\n", cases[i].name);
        assert_int_equal(dhcp_option_walk(cases[i].field, cases[i].len, count_visit, &n),
                         cases[i].want);
        assert_int_equal(n, cases[i].visits);
    }
}

static void test_option_user_class_and_relay_forms(void **state)
{
    (void)state;
    assert_true(dhcp_user_class_is_rfc3004((const uint8_t *)"\x04iPXE", 5));
    assert_true(dhcp_user_class_is_rfc3004((const uint8_t *)"\x01" "a" "\x01" "b", 4));
    assert_false(dhcp_user_class_is_rfc3004((const uint8_t *)"iPXE", 4));
    assert_false(dhcp_user_class_is_rfc3004((const uint8_t *)"\x00", 1));
    assert_false(dhcp_user_class_is_rfc3004((const uint8_t *)"\x02" "a", 2));
    assert_false(dhcp_user_class_is_rfc3004(NULL, 0));

    assert_true(dhcp_relay_agent_info_is_valid((const uint8_t *)"\x01\x00", 2));
    assert_true(dhcp_relay_agent_info_is_valid((const uint8_t *)"\x01\x01x\x02\x00", 5));
    assert_false(dhcp_relay_agent_info_is_valid((const uint8_t *)"\x01", 1));
    assert_false(dhcp_relay_agent_info_is_valid((const uint8_t *)"\x01\x02x", 3));
    assert_false(dhcp_relay_agent_info_is_valid((const uint8_t *)"\x01\x00\x02", 3));
}

static void test_option_wire_size_splits_at_255(void **state)
{
    (void)state;
    static const size_t cases[][2] = {
            {0, 2}, {1, 3}, {254, 256}, {255, 257}, {256, 260}, {510, 514}, {511, 517},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(dhcp_option_wire_size(cases[i][0]), cases[i][1]);
}

static void test_option_list_full_is_e2big(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    for (size_t i = 0; i < DHCP_OPTION_LIST_MAX; i++)
        assert_int_equal(dhcp_option_list_add(&l, (uint8_t)(i + 1), "x", 1), 0);
    assert_int_equal(dhcp_option_list_add(&l, 200, "x", 1), -E2BIG);
}

/* Field buffers for the layout tests. */
struct fields {
    uint8_t options[400];
    uint8_t file[DHCP_FILE_SIZE];
    uint8_t sname[DHCP_SNAME_SIZE];
};

static void test_options_layout_fits_without_overload(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    struct fields f = {0};
    struct dhcp_region o = {.buf = f.options, .cap = 20};
    struct dhcp_region fi = {.buf = f.file, .cap = DHCP_FILE_SIZE};
    struct dhcp_region sn = {.buf = f.sname, .cap = DHCP_SNAME_SIZE};
    uint8_t overload = 9;
    bool dropped = true;

    assert_int_equal(dhcp_option_list_add(&l, 53, "\x02", 1), 0);
    assert_int_equal(dhcp_option_list_add(&l, 82, "\x01\x01z", 3), 0);
    assert_int_equal(dhcp_option_list_add(&l, 12, "host", 4), 0);
    assert_int_equal(dhcp_options_layout(&l, &o, &fi, &sn, &overload, &dropped), 0);

    /* 82 moves last, then the end option. */
    static const uint8_t want[] = {53, 1, 2, 12, 4, 'h', 'o', 's', 't', 82, 3, 1, 1, 'z', 255};
    assert_int_equal(o.used, sizeof(want));
    assert_memory_equal(f.options, want, sizeof(want));
    assert_int_equal(overload, 0);
    assert_false(dropped);
    assert_int_equal(fi.used, 0);
    assert_int_equal(sn.used, 0);
}

static void test_options_layout_overloads_file_then_sname(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    struct fields f = {0};
    struct dhcp_region o = {.buf = f.options, .cap = 16};
    struct dhcp_region fi = {.buf = f.file, .cap = DHCP_FILE_SIZE};
    struct dhcp_region sn = {.buf = f.sname, .cap = DHCP_SNAME_SIZE};
    uint8_t big[120], mid[50];
    uint8_t overload = 0;
    bool dropped = true;

    memset(big, 'B', sizeof(big));
    memset(mid, 'M', sizeof(mid));
    assert_int_equal(dhcp_option_list_add(&l, 53, "\x05", 1), 0);
    assert_int_equal(dhcp_option_list_add(&l, 54, "\x0a\x00\x00\x01", 4), 0);
    assert_int_equal(dhcp_option_list_add(&l, 43, big, sizeof(big)), 0);
    assert_int_equal(dhcp_option_list_add(&l, 60, mid, sizeof(mid)), 0);
    assert_int_equal(dhcp_options_layout(&l, &o, &fi, &sn, &overload, &dropped), 0);

    assert_int_equal(overload, 3);
    /* options: 53, 54, then 52 = 3, end. */
    static const uint8_t want[] = {53, 1, 5, 54, 4, 10, 0, 0, 1, 52, 1, 3, 255};
    assert_int_equal(o.used, sizeof(want));
    assert_memory_equal(f.options, want, sizeof(want));
    /* file: option 43 whole, end, pad. */
    assert_int_equal(f.file[0], 43);
    assert_int_equal(f.file[1], 120);
    assert_int_equal(f.file[122], 255);
    assert_int_equal(f.file[123], 0);
    /* sname: option 60 whole, end. */
    assert_int_equal(f.sname[0], 60);
    assert_int_equal(f.sname[1], 50);
    assert_int_equal(f.sname[52], 255);
}

static void test_options_layout_long_option_split_in_order(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    struct fields f = {0};
    struct dhcp_region o = {.buf = f.options, .cap = 300};
    struct dhcp_region fi = {.buf = f.file, .cap = DHCP_FILE_SIZE};
    struct dhcp_region sn = {.buf = f.sname, .cap = 0};
    uint8_t value[350];
    uint8_t overload = 0;
    bool dropped = true;

    for (size_t i = 0; i < sizeof(value); i++)
        value[i] = (uint8_t)i;
    assert_int_equal(dhcp_option_list_add(&l, 121, value, sizeof(value)), 0);
    assert_int_equal(dhcp_options_layout(&l, &o, &fi, &sn, &overload, &dropped), 0);
    assert_int_equal(overload, DHCP_OVERLOAD_FILE);

    /* Options field: 255 bytes, then what fits (300 - 1 end - 3 for 52 - 257
     * = 39 left, 37 of value), then 52 and end; the rest in file. */
    assert_int_equal(f.options[0], 121);
    assert_int_equal(f.options[1], 255);
    assert_memory_equal(f.options + 2, value, 255);
    assert_int_equal(f.options[257], 121);
    assert_int_equal(f.options[258], 37);
    assert_memory_equal(f.options + 259, value + 255, 37);
    assert_int_equal(f.options[296], 52);
    assert_int_equal(f.options[299], 255);
    assert_int_equal(f.file[0], 121);
    assert_int_equal(f.file[1], 350 - 255 - 37);
    assert_memory_equal(f.file + 2, value + 292, 58);
    assert_int_equal(f.file[60], 255);
}

static void test_options_layout_relay_info_never_overloaded(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    struct fields f = {0};
    struct dhcp_region o = {.buf = f.options, .cap = 20};
    struct dhcp_region fi = {.buf = f.file, .cap = DHCP_FILE_SIZE};
    struct dhcp_region sn = {.buf = f.sname, .cap = DHCP_SNAME_SIZE};
    uint8_t relay[30] = {1, 28};
    uint8_t overload = 0;
    bool dropped = false;

    /* 82 cannot fit the 20-byte options field: the reply goes without it
     * (RFC 3046), the other options still fit. */
    assert_int_equal(dhcp_option_list_add(&l, 53, "\x02", 1), 0);
    assert_int_equal(dhcp_option_list_add(&l, 82, relay, sizeof(relay)), 0);
    assert_int_equal(dhcp_options_layout(&l, &o, &fi, &sn, &overload, &dropped), 0);
    assert_true(dropped);
    for (size_t i = 0; i < o.used; i++)
        assert_int_not_equal(f.options[i], 82);
    assert_int_equal(fi.used, 0);
    assert_int_equal(sn.used, 0);
}

static void test_options_layout_too_big_is_emsgsize(void **state)
{
    (void)state;
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l = DHCP_OPTION_LIST_INIT;
    struct fields f = {0};
    struct dhcp_region o = {.buf = f.options, .cap = 64};
    struct dhcp_region fi = {.buf = f.file, .cap = DHCP_FILE_SIZE};
    struct dhcp_region sn = {.buf = f.sname, .cap = DHCP_SNAME_SIZE};
    uint8_t v[200] = {0};
    uint8_t overload = 0;
    bool dropped = false;

    /* A 200-byte option fits no single field (64, 128, 64). */
    assert_int_equal(dhcp_option_list_add(&l, 43, v, sizeof(v)), 0);
    assert_int_equal(dhcp_options_layout(&l, &o, &fi, &sn, &overload, &dropped), -EMSGSIZE);

    /* Without spare fields even a small overflow fails. */
    _cleanup_(dhcp_option_list_done) struct dhcp_option_list l2 = DHCP_OPTION_LIST_INIT;
    struct dhcp_region none_f = {.buf = f.file, .cap = 0};
    struct dhcp_region none_s = {.buf = f.sname, .cap = 0};
    assert_int_equal(dhcp_option_list_add(&l2, 43, v, 70), 0);
    assert_int_equal(dhcp_options_layout(&l2, &o, &none_f, &none_s, &overload, &dropped),
                     -EMSGSIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_option_routes_rfc3442_encoding),
            cmocka_unit_test(test_option_routes_default_appended_and_bad_prefix),
            cmocka_unit_test(test_option_domain_list_rfc1035_encoding),
            cmocka_unit_test(test_option_domain_name_rejects_invalid),
            cmocka_unit_test(test_option_walk_bounds),
            cmocka_unit_test(test_option_user_class_and_relay_forms),
            cmocka_unit_test(test_option_wire_size_splits_at_255),
            cmocka_unit_test(test_option_list_full_is_e2big),
            cmocka_unit_test(test_options_layout_fits_without_overload),
            cmocka_unit_test(test_options_layout_overloads_file_then_sname),
            cmocka_unit_test(test_options_layout_long_option_split_in_order),
            cmocka_unit_test(test_options_layout_relay_info_never_overloaded),
            cmocka_unit_test(test_options_layout_too_big_is_emsgsize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
