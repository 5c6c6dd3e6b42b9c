/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/metadata client address: address and CIDR parsing, prefix matching,
 * the trusted-proxy list, and the X-Forwarded-For rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "metadata/metadata-internal.h"

static void test_addr_parse_table(void **state)
{
    static const struct {
        const char *in;
        int ret;
        int family;
        const char *text;
    } cases[] = {
            {"10.0.0.1", 0, AF_INET, "10.0.0.1"},
            {"0.0.0.0", 0, AF_INET, "0.0.0.0"},
            {"255.255.255.255", 0, AF_INET, "255.255.255.255"},
            {"2001:db8::1", 0, AF_INET6, "2001:db8::1"},
            {"2001:DB8:0:0:0:0:0:1", 0, AF_INET6, "2001:db8::1"},
            {"::", 0, AF_INET6, "::"},
            {"::1", 0, AF_INET6, "::1"},
            {"::ffff:10.1.2.3", 0, AF_INET, "10.1.2.3"},
            {"::ffff:a01:203", 0, AF_INET, "10.1.2.3"},
            {"::10.1.2.3", 0, AF_INET6, "::10.1.2.3"},
            {"", -EINVAL, 0, NULL},
            {"10.0.0", -EINVAL, 0, NULL},
            {"10.0.0.256", -EINVAL, 0, NULL},
            {"010.0.0.1", -EINVAL, 0, NULL},
            {"10.0.0.1 ", -EINVAL, 0, NULL},
            {" 10.0.0.1", -EINVAL, 0, NULL},
            {"0x0a.0.0.1", -EINVAL, 0, NULL},
            {"167772161", -EINVAL, 0, NULL},
            {"[::1]", -EINVAL, 0, NULL},
            {"fe80::1%eth0", -EINVAL, 0, NULL},
            {"2001:db8:::1", -EINVAL, 0, NULL},
            {"unknown", -EINVAL, 0, NULL},
            {"1111:2222:3333:4444:5555:6666:7777:8888:9999", -EINVAL, 0, NULL},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metadata_addr a = {.family = -1};
        int r = metadata_addr_parse(cases[i].in, strlen(cases[i].in), &a);
        if (r != cases[i].ret)
            fail_msg("'%s': r=%d", cases[i].in, r);
        if (r < 0) {
            assert_int_equal(a.family, -1);
            continue;
        }
        assert_int_equal(a.family, cases[i].family);
        char text[METADATA_IP_STRLEN];
        assert_int_equal(metadata_addr_format(&a, text), 0);
        assert_string_equal(text, cases[i].text);
    }
    /* Length-delimited: the bytes after len are not read. */
    struct metadata_addr a;
    assert_int_equal(metadata_addr_parse("10.0.0.1garbage", 8, &a), 0);
    assert_int_equal(metadata_addr_parse("10.0\0.0.1", 9, &a), -EINVAL);
    assert_int_equal(metadata_addr_format(&(struct metadata_addr){.family = 99},
                                          (char[METADATA_IP_STRLEN]){0}),
                     -EINVAL);
}

static void test_cidr_parse_table(void **state)
{
    static const struct {
        const char *in;
        int ret;
        const char *net;
        unsigned prefix;
    } cases[] = {
            {"10.0.0.0/8", 0, "10.0.0.0", 8},
            {"10.1.2.3/8", 0, "10.0.0.0", 8},
            {"192.168.1.129/25", 0, "192.168.1.128", 25},
            {"192.168.1.1", 0, "192.168.1.1", 32},
            {"0.0.0.0/0", 0, "0.0.0.0", 0},
            {"1.2.3.4/32", 0, "1.2.3.4", 32},
            {"2001:db8::/32", 0, "2001:db8::", 32},
            {"2001:db8:ffff::1/33", 0, "2001:db8:8000::", 33},
            {"::/0", 0, "::", 0},
            {"fd00::1", 0, "fd00::1", 128},
            {"::ffff:10.0.0.0/104", 0, "10.0.0.0", 8},
            {"::ffff:10.0.0.1/128", 0, "10.0.0.1", 32},
            {"::ffff:0.0.0.0/96", 0, "0.0.0.0", 0},
            {"::ffff:10.0.0.1", 0, "10.0.0.1", 32},
            {"::ffff:10.0.0.0/95", -EINVAL, NULL, 0},
            {"10.0.0.0/33", -EINVAL, NULL, 0},
            {"2001:db8::/129", -EINVAL, NULL, 0},
            {"10.0.0.0/", -EINVAL, NULL, 0},
            {"10.0.0.0/08", -EINVAL, NULL, 0},
            {"10.0.0.0/-1", -EINVAL, NULL, 0},
            {"10.0.0.0/+8", -EINVAL, NULL, 0},
            {"10.0.0.0/8 ", -EINVAL, NULL, 0},
            {"10.0.0.0/1000", -EINVAL, NULL, 0},
            {"10.0.0.0/8/8", -EINVAL, NULL, 0},
            {"/8", -EINVAL, NULL, 0},
            {"", -EINVAL, NULL, 0},
            {"example.com/8", -EINVAL, NULL, 0},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metadata_cidr c = {.prefix = 999};
        int r = metadata_cidr_parse(cases[i].in, &c);
        if (r != cases[i].ret)
            fail_msg("'%s': r=%d", cases[i].in, r);
        if (r < 0) {
            assert_int_equal(c.prefix, 999);
            continue;
        }
        char text[METADATA_IP_STRLEN];
        assert_int_equal(metadata_addr_format(&c.addr, text), 0);
        if (strcmp(text, cases[i].net) != 0 || c.prefix != cases[i].prefix)
            fail_msg("'%s': %s/%u", cases[i].in, text, c.prefix);
    }
}

static void test_cidr_contains_table(void **state)
{
    static const struct {
        const char *cidr;
        const char *addr;
        bool in;
    } cases[] = {
            {"10.0.0.0/8", "10.255.255.255", true},
            {"10.0.0.0/8", "11.0.0.0", false},
            {"10.0.0.0/8", "9.255.255.255", false},
            {"192.168.1.128/25", "192.168.1.128", true},
            {"192.168.1.128/25", "192.168.1.255", true},
            {"192.168.1.128/25", "192.168.1.127", false},
            {"172.16.0.0/12", "172.31.255.255", true},
            {"172.16.0.0/12", "172.32.0.0", false},
            {"0.0.0.0/0", "203.0.113.9", true},
            {"0.0.0.0/0", "::1", false},
            {"::/0", "10.0.0.1", false},
            {"::/0", "2001:db8::1", true},
            {"1.2.3.4", "1.2.3.4", true},
            {"1.2.3.4", "1.2.3.5", false},
            {"2001:db8::/32", "2001:db8:ffff::1", true},
            {"2001:db8::/32", "2001:db9::", false},
            {"2001:db8::/33", "2001:db8:7fff::", true},
            {"2001:db8::/33", "2001:db8:8000::", false},
            {"fd00::1", "fd00::1", true},
            {"fd00::1", "fd00::2", false},
            {"10.0.0.0/8", "::ffff:10.1.1.1", true},
            {"::ffff:10.0.0.0/104", "10.9.9.9", true},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metadata_cidr c;
        struct metadata_addr a;
        assert_int_equal(metadata_cidr_parse(cases[i].cidr, &c), 0);
        assert_int_equal(metadata_addr_parse(cases[i].addr, strlen(cases[i].addr), &a), 0);
        if (metadata_cidr_contains(&c, &a) != cases[i].in)
            fail_msg("%s in %s", cases[i].addr, cases[i].cidr);
    }
    assert_false(metadata_cidr_contains(NULL, NULL));
}

static void test_cidr_list_parse_table(void **state)
{
    static const struct {
        const char *in;
        int ret;
        size_t n;
        unsigned last_prefix;
    } cases[] = {
            {"", 0, 0, 0},
            {" , ,", 0, 0, 0},
            {"10.0.0.0/8", 0, 1, 8},
            {"10.0.0.0/8,192.168.0.1", 0, 2, 32},
            {" 10.0.0.0/8 ,\t fd00::/8 ", 0, 2, 8},
            {"1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5/24", 0, 5, 24},
            {"10.0.0.0/8,,::1", 0, 2, 128},
            {"10.0.0.0/8,bad", -EINVAL, 0, 0},
            {"10.0.0.0 /8", -EINVAL, 0, 0},
            {"10.0.0.0/8;11.0.0.0/8", -EINVAL, 0, 0},
            {"1111:2222:3333:4444:5555:6666:7777:8888/128/", -EINVAL, 0, 0},
            {"1111:2222:3333:4444:5555:6666:255.255.255.255/128xxxxxxxx", -EINVAL, 0, 0},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metadata_cidr *v = (struct metadata_cidr *)(uintptr_t)1;
        size_t n = 999;
        int r = metadata_cidr_list_parse(cases[i].in, &v, &n);
        if (r != cases[i].ret)
            fail_msg("'%s': r=%d", cases[i].in, r);
        if (r < 0) {
            assert_ptr_equal(v, (struct metadata_cidr *)(uintptr_t)1);
            assert_int_equal(n, 999);
            continue;
        }
        assert_int_equal(n, cases[i].n);
        if (n == 0)
            assert_null(v);
        else
            assert_int_equal(v[n - 1].prefix, cases[i].last_prefix);
        free(v);
    }
}

struct xff_case {
    const char *name;
    const char *peer;
    const char *xff;
    const char *expected;
};

#define TRUSTED "10.0.0.0/8, 2001:db8:1::/48"

static const struct xff_case xff_cases[] = {
        {"no header", "192.0.2.10", NULL, "192.0.2.10"},
        {"empty header", "10.0.0.1", "", "10.0.0.1"},
        {"untrusted peer: header ignored", "192.0.2.10", "198.51.100.7", "192.0.2.10"},
        {"trusted peer, one hop", "10.0.0.1", "198.51.100.7", "198.51.100.7"},
        {"client-written left part ignored", "10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"},
        {"proxy chain skipped", "10.0.0.1", "198.51.100.7, 10.0.0.2, 10.0.0.3", "198.51.100.7"},
        {"spoof to the left of the client", "10.0.0.1", "10.9.9.9, 198.51.100.7, 10.0.0.2",
         "198.51.100.7"},
        {"all trusted: leftmost", "10.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5"},
        {"garbage stops at the last proxy", "10.0.0.1", "198.51.100.7, unknown, 10.0.0.2",
         "10.0.0.2"},
        {"garbage right away: the peer", "10.0.0.1", "nonsense", "10.0.0.1"},
        {"empty element stops", "10.0.0.1", "198.51.100.7,,10.0.0.2", "10.0.0.2"},
        {"trailing comma: the peer", "10.0.0.1", "198.51.100.7,", "10.0.0.1"},
        {"whitespace around", "10.0.0.1", " \t198.51.100.7 \t", "198.51.100.7"},
        {"v4 with port", "10.0.0.1", "198.51.100.7:51234", "198.51.100.7"},
        {"v4 with empty port", "10.0.0.1", "198.51.100.7:", "10.0.0.1"},
        {"v4 with bad port", "10.0.0.1", "198.51.100.7:http", "10.0.0.1"},
        {"v6 client", "10.0.0.1", "2001:db8:2::9", "2001:db8:2::9"},
        {"v6 bracketed", "10.0.0.1", "[2001:db8:2::9]", "2001:db8:2::9"},
        {"v6 bracketed with port", "10.0.0.1", "[2001:db8:2::9]:443", "2001:db8:2::9"},
        {"v6 bracket unterminated", "10.0.0.1", "[2001:db8:2::9", "10.0.0.1"},
        {"v6 bracket bad port", "10.0.0.1", "[2001:db8:2::9]x", "10.0.0.1"},
        {"v4 in brackets refused", "10.0.0.1", "[198.51.100.7]", "10.0.0.1"},
        {"v6 trusted proxy", "2001:db8:1::1", "198.51.100.7, 2001:db8:1::2", "198.51.100.7"},
        {"mapped peer is v4", "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"},
        {"mapped client canonicalised", "10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"},
        {"untrusted v6 peer", "2001:db8:2::1", "198.51.100.7", "2001:db8:2::1"},
        {"canonical peer text", "2001:DB8:0:0::1", NULL, "2001:db8::1"},
};

static void test_client_ip_table(void **state)
{
    (void)state;
    struct metadata_cidr *trusted = NULL;
    size_t n = 0;
    assert_int_equal(metadata_cidr_list_parse(TRUSTED, &trusted, &n), 0);
    assert_int_equal(n, 2);

    for (size_t i = 0; i < ARRAY_SIZE(xff_cases); i++) {
        const struct xff_case *c = &xff_cases[i];
        char ip[METADATA_IP_STRLEN] = "untouched";
        int r = metadata_client_ip(c->peer, c->xff, trusted, n, ip);
        if (r != 0)
            fail_msg("%s: r=%d", c->name, r);
        if (strcmp(ip, c->expected) != 0)
            fail_msg("%s: got %s, expected %s", c->name, ip, c->expected);
    }
    free(trusted);
}

/* Without a trusted list the header never counts. */
static void test_client_ip_no_trusted(void **state)
{
    (void)state;
    char ip[METADATA_IP_STRLEN];
    assert_int_equal(metadata_client_ip("10.0.0.1", "198.51.100.7", NULL, 0, ip), 0);
    assert_string_equal(ip, "10.0.0.1");
}

/* The walk is bounded in hops and in header bytes. */
static void test_client_ip_limits(void **state)
{
    (void)state;
    struct metadata_cidr trusted;
    char ip[METADATA_IP_STRLEN];
    char *xff = malloc(METADATA_XFF_MAX + 64);
    assert_non_null(xff);
    assert_int_equal(metadata_cidr_parse("10.0.0.0/8", &trusted), 0);

    /* A client behind exactly METADATA_XFF_HOPS_MAX - 1 trusted proxies. */
    strcpy(xff, "198.51.100.7");
    for (unsigned i = 1; i < METADATA_XFF_HOPS_MAX; i++)
        strcat(xff, ", 10.0.0.9");
    assert_int_equal(metadata_client_ip("10.0.0.1", xff, &trusted, 1, ip), 0);
    assert_string_equal(ip, "198.51.100.7");
    /* One more proxy and the walk stops at the last one it read. */
    strcpy(xff, "198.51.100.7, 10.0.0.8");
    for (unsigned i = 1; i < METADATA_XFF_HOPS_MAX; i++)
        strcat(xff, ", 10.0.0.9");
    assert_int_equal(metadata_client_ip("10.0.0.1", xff, &trusted, 1, ip), 0);
    assert_string_equal(ip, "10.0.0.8");

    /* A header of METADATA_XFF_MAX bytes is read; one more and it is not. */
    memset(xff, ' ', METADATA_XFF_MAX);
    memcpy(xff + METADATA_XFF_MAX - 12, "198.51.100.7", 12);
    xff[METADATA_XFF_MAX] = '\0';
    assert_int_equal(metadata_client_ip("10.0.0.1", xff, &trusted, 1, ip), 0);
    assert_string_equal(ip, "198.51.100.7");
    memmove(xff + 1, xff, METADATA_XFF_MAX + 1);
    xff[0] = ' ';
    assert_int_equal(metadata_client_ip("10.0.0.1", xff, &trusted, 1, ip), 0);
    assert_string_equal(ip, "10.0.0.1");
    free(xff);
}

static void test_client_ip_refuses(void **state)
{
    (void)state;
    char ip[METADATA_IP_STRLEN] = "untouched";
    struct metadata_cidr trusted;
    assert_int_equal(metadata_cidr_parse("0.0.0.0/0", &trusted), 0);

    assert_int_equal(metadata_client_ip("", NULL, &trusted, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip("10.0.0.1:80", NULL, &trusted, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip("[::1]", NULL, &trusted, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip("localhost", "1.2.3.4", &trusted, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip(NULL, NULL, &trusted, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip("10.0.0.1", NULL, NULL, 1, ip), -EINVAL);
    assert_int_equal(metadata_client_ip("10.0.0.1", NULL, &trusted, 1, NULL), -EINVAL);
    assert_string_equal(ip, "untouched");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_addr_parse_table),
            cmocka_unit_test(test_cidr_parse_table),
            cmocka_unit_test(test_cidr_contains_table),
            cmocka_unit_test(test_cidr_list_parse_table),
            cmocka_unit_test(test_client_ip_table),
            cmocka_unit_test(test_client_ip_no_trusted),
            cmocka_unit_test(test_client_ip_limits),
            cmocka_unit_test(test_client_ip_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
