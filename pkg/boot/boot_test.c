/* SPDX-License-Identifier: Apache-2.0 */
/* pkg/boot: Hardware -> reservation, the conflict rules of the lookup, the
 * HTTP path parser and the syslog handler. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "boot/boot-internal.h"
#include "boot/boot-syslog.h"
#include "informer/informer.h"
#include "log/log.h"

static const uint8_t MAC1[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static json_t *hw(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s", e.text);
    return j;
}

static uint32_t ip(const char *s)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

static void test_reservation_from_hardware_fields(void **state)
{
    (void)state;
    _cleanup_json_ json_t *h = hw(
            "{\"metadata\":{\"name\":\"m1\",\"namespace\":\"default\"},\"spec\":{\"interfaces\":["
            "{\"dhcp\":{\"mac\":\"aa:aa:aa:aa:aa:aa\",\"ip\":{\"address\":\"10.0.0.99\"}}},"
            "{\"disableDhcp\":true,\"dhcp\":{\"mac\":\"52-54-00-12-34-56\",\"hostname\":\"h1\","
            "\"domain_name\":\"example.com\",\"lease_time\":3600,\"arch\":\"x86_64\",\"uefi\":true,"
            "\"vlan_id\":\"7\",\"tftp_server_name\":\"t\",\"boot_file_name\":\"f\","
            "\"ip\":{\"address\":\"10.0.0.10\",\"netmask\":\"255.255.255.0\",\"gateway\":\"10.0.0."
            "1\"},"
            "\"name_servers\":[\"10.0.0.53\",\"bogus\",7,\"10.0.0.54\"],\"time_servers\":[\"10.0.0."
            "123\"],"
            "\"classless_static_routes\":[{\"destination_descriptor\":\"192.168.0.0/"
            "16\",\"router\":\"10.0.0.2\"},"
            "{\"destination_descriptor\":\"192.168.0.0/33\",\"router\":\"10.0.0.2\"},"
            "{\"destination_descriptor\":\"nonsense\",\"router\":\"10.0.0.2\"},"
            "{\"destination_descriptor\":\"10.1.0.0/16\"}]},"
            "\"netboot\":{\"allowPXE\":true,\"ipxe\":{\"binary\":\"ipxe.efi\",\"url\":\"http://x/"
            "s\"}}}]}}");
    struct boot_reservation r;
    assert_int_equal(boot_reservation_from_hardware(h, MAC1, &r), 0);
    assert_memory_equal(r.res.mac, MAC1, 6);
    assert_int_equal(r.res.ip.s_addr, ip("10.0.0.10"));
    assert_int_equal(r.res.netmask.s_addr, ip("255.255.255.0"));
    assert_int_equal(r.res.gateway.s_addr, ip("10.0.0.1"));
    assert_int_equal(r.res.n_nameservers, 2); /* "bogus" and 7 skipped */
    assert_int_equal(r.res.nameservers[1].s_addr, ip("10.0.0.54"));
    assert_int_equal(r.res.n_timeservers, 1);
    assert_int_equal(r.res.n_routes, 1); /* /33, nonsense and no router skipped */
    assert_int_equal(r.res.routes[0].prefix_len, 16);
    assert_string_equal(r.res.hostname, "h1");
    assert_string_equal(r.res.domain, "example.com");
    assert_int_equal(r.res.lease_time, 3600);
    assert_string_equal(r.res.tftp_server_name, "t");
    assert_string_equal(r.res.boot_file_name, "f");
    assert_true(r.res.allow_pxe);
    assert_string_equal(r.res.ipxe_binary, "ipxe.efi");
    assert_string_equal(r.res.ipxe_script_url, "http://x/s");
    assert_true(r.res.disable_dhcp);
    assert_string_equal(r.res.vlan_id, "7");
    assert_true(r.res.uefi);
    assert_int_equal((int)h->refcount, 2);
    boot_reservation_clear(&r);
    assert_int_equal((int)h->refcount, 1);
    boot_reservation_clear(&r); /* idempotent */
}

static void test_reservation_from_hardware_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int r;
        uint32_t address;
        int64_t lease;
        bool allow;
    } cases[] = {
            {"{\"spec\":{}}", -ENOENT, 0, 0, false},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:12:34:57\"}}]}}", -ENOENT, 0,
             0, false},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:12:34\"}}]}}", -ENOENT, 0, 0,
             false},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":7}}]}}", -ENOENT, 0, 0, false},
            {"[1,2]", -EINVAL, 0, 0, false},
            /* found, with oddities that Smee tolerates */
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:12:34:56\","
             "\"ip\":{\"address\":\"10.0.0.300\"},\"lease_time\":\"1h\"},\"netboot\":{\"allowPXE\":"
             "\"yes\"}}]}}",
             0, 0, 0, false},
            {"{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:12:34:56\","
             "\"ip\":{\"address\":\"10.0.0.3\"},\"lease_time\":-5}}]}}",
             0, 0x0300000a, -5, false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *h = hw(cases[i].json);
        struct boot_reservation r = {.res.lease_time = 12345};
        int k = boot_reservation_from_hardware(h, MAC1, &r);
        if (k != cases[i].r)
            fail_msg("case %zu: got %d want %d", i, k, cases[i].r);
        if (k < 0) {
            assert_int_equal(r.res.lease_time, 12345); /* untouched */
            continue;
        }
        assert_int_equal(r.res.ip.s_addr, cases[i].address);
        assert_int_equal(r.res.lease_time, cases[i].lease);
        assert_int_equal(r.res.allow_pxe, cases[i].allow);
        boot_reservation_clear(&r);
    }
    assert_int_equal(boot_reservation_from_hardware(NULL, MAC1, &(struct boot_reservation){0}),
                     -EINVAL);
}

static json_t *machine(const char *name, const char *mac, const char *addr)
{
    char text[512];
    snprintf(text, sizeof(text),
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"resourceVersion\":\"1\"},"
             "\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"%s\",\"ip\":{\"address\":\"%s\"}}}]}}",
             name, mac, addr);
    return hw(text);
}

static struct store *new_store(void)
{
    struct store *s;
    assert_int_equal(store_new(&s), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_IP, store_index_hardware_ip, NULL), 0);
    return s;
}

static void add(struct store *s, json_t *obj)
{
    assert_true(store_add(s, obj, NULL) >= 0);
    json_decref(obj);
}

static void test_lookup_mac_conflicts(void **state)
{
    (void)state;
    static const struct {
        const char *others[3][3]; /* name, mac, address of extra Hardware */
        int r;
        const char *address;
    } cases[] = {
            {{{NULL}}, 0, "10.0.0.10"},
            /* the same MAC twice with the same address: still one answer */
            {{{"dup", "52:54:00:12:34:56", "10.0.0.10"}}, 0, "10.0.0.10"},
            /* the same MAC with another address: never two answers */
            {{{"dup", "52:54:00:12:34:56", "10.0.0.11"}}, -ENOTUNIQ, NULL},
            /* the address claimed by another MAC */
            {{{"thief", "52:54:00:99:99:99", "10.0.0.10"}}, -ENOTUNIQ, NULL},
            /* unrelated machines do not matter */
            {{{"other", "52:54:00:99:99:99", "10.0.0.20"}, {"x", "52:54:00:99:99:98", "10.0.0.21"}},
             0,
             "10.0.0.10"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_store_ struct store *s = new_store();
        add(s, machine("m1", "52:54:00:12:34:56", "10.0.0.10"));
        for (size_t k = 0; k < 3 && cases[i].others[k][0]; k++)
            add(s, machine(cases[i].others[k][0], cases[i].others[k][1], cases[i].others[k][2]));
        struct boot_reservation r;
        int k = boot_lookup_mac(s, MAC1, &r);
        if (k != cases[i].r)
            fail_msg("case %zu: got %d want %d", i, k, cases[i].r);
        if (k == 0) {
            assert_int_equal(r.res.ip.s_addr, ip(cases[i].address));
            assert_ptr_equal(r.res.nameservers, r.dns);
            boot_reservation_clear(&r);
        }
    }
    _cleanup_store_ struct store *empty = new_store();
    struct boot_reservation r;
    assert_int_equal(boot_lookup_mac(empty, MAC1, &r), -ENOENT);
}

/* The DHCP cache answers from memory until a Hardware event invalidates
 * it, then sees the store as it is now: a changed address, a conflict, a
 * deleted machine; unknown MACs are cached too. */
static void test_cache_lookup_and_invalidate(void **state)
{
    (void)state;
    static const uint8_t unknown[6] = {0x52, 0x54, 0x00, 0xee, 0xee, 0xee};
    _cleanup_store_ struct store *s = new_store();
    add(s, machine("m1", "52:54:00:12:34:56", "10.0.0.10"));
    struct boot_cache *c = NULL;
    assert_int_equal(boot_cache_new(&c, s), 0);
    const struct boot_reservation *r = NULL, *r2 = NULL;
    uint64_t hits, misses;

    assert_int_equal(boot_cache_lookup(c, MAC1, &r), 0);
    assert_int_equal(r->res.ip.s_addr, ip("10.0.0.10"));
    assert_ptr_equal(r->res.nameservers, r->dns);
    assert_int_equal(boot_cache_lookup(c, MAC1, &r2), 0);
    assert_ptr_equal(r2, r);
    assert_int_equal(boot_cache_lookup(c, unknown, &r2), -ENOENT);
    assert_int_equal(boot_cache_lookup(c, unknown, &r2), -ENOENT);
    boot_cache_get_stats(c, &hits, &misses);
    assert_int_equal(hits, 2);
    assert_int_equal(misses, 2);

    /* The store changes; until the event arrives the old answer stands. */
    add(s, machine("m1", "52:54:00:12:34:56", "10.0.0.11"));
    assert_int_equal(boot_cache_lookup(c, MAC1, &r), 0);
    assert_int_equal(r->res.ip.s_addr, ip("10.0.0.10"));
    boot_cache_invalidate(c);
    assert_int_equal(boot_cache_lookup(c, MAC1, &r), 0);
    assert_int_equal(r->res.ip.s_addr, ip("10.0.0.11"));

    /* A conflict is an answer too (cached until the next event). */
    add(s, machine("thief", "52:54:00:99:99:99", "10.0.0.11"));
    boot_cache_invalidate(c);
    assert_int_equal(boot_cache_lookup(c, MAC1, &r), -ENOTUNIQ);
    assert_int_equal(boot_cache_lookup(c, MAC1, &r), -ENOTUNIQ);

    /* Both gone: unknown. */
    json_t *old = NULL;
    assert_int_equal(store_delete_key(s, "default/thief", &old), 0);
    json_decref(old);
    assert_int_equal(store_delete_key(s, "default/m1", &old), 0);
    json_decref(old);
    boot_cache_invalidate(c);
    assert_int_equal(boot_cache_lookup(c, MAC1, &r), -ENOENT);
    boot_cache_get_stats(c, &hits, &misses);
    assert_int_equal(hits, 4);
    assert_int_equal(misses, 5);

    assert_int_equal(boot_cache_lookup(NULL, MAC1, &r), -EINVAL);
    assert_int_equal(boot_cache_new(NULL, s), -EINVAL);
    boot_cache_invalidate(NULL);
    assert_null(boot_cache_free(c));
    assert_null(boot_cache_free(NULL));
}

/* Many MACs (colliding slots included) each get their own answer, first
 * from the store, then from the cache. */
static void test_cache_many_macs(void **state)
{
    (void)state;
    enum { N = 3000 };
    _cleanup_store_ struct store *s = new_store();
    for (int i = 0; i < N; i++) {
        char name[16], mac[18], addr[24];
        snprintf(name, sizeof(name), "m%d", i);
        snprintf(mac, sizeof(mac), "02:aa:00:00:%02x:%02x", (i >> 8) & 255, i & 255);
        snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, 1 + i % 250);
        add(s, machine(name, mac, addr));
    }
    struct boot_cache *c = NULL;
    assert_int_equal(boot_cache_new(&c, s), 0);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            const uint8_t mac[6] = {0x02, 0xaa, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
            char addr[24];
            const struct boot_reservation *r;
            snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, 1 + i % 250);
            assert_int_equal(boot_cache_lookup(c, mac, &r), 0);
            if (r->res.ip.s_addr != ip(addr))
                fail_msg("round %d mac %d: wrong address", round, i);
            assert_memory_equal(r->res.mac, mac, 6);
        }
    uint64_t hits, misses;
    boot_cache_get_stats(c, &hits, &misses);
    assert_int_equal(hits + misses, 2 * N);
    assert_true(hits > N / 2); /* the second round is mostly hits */
    boot_cache_free(c);
}

static void test_mac_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int r;
    } cases[] = {
            {"52:54:00:12:34:56", 0},        {"52-54-00-12-34-56", 0},
            {"52:54:00:12:34:5G", -EINVAL},  {"52:54:00:12:34", -EINVAL},
            {"52:54:00:12:34:56:", -EINVAL}, {"", -EINVAL},
            {"525400123456", -EINVAL},       {"52.54.00.12.34.56", -EINVAL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t m[6] = {0};
        assert_int_equal(boot_mac_parse(cases[i].in, m), cases[i].r);
        if (cases[i].r == 0)
            assert_memory_equal(m, MAC1, 6);
    }
    char out[18];
    boot_mac_format(MAC1, out);
    assert_string_equal(out, "52:54:00:12:34:56");
}

static void test_path_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int r;
        enum boot_route route;
        const char *rest;
        const char *mac;
    } cases[] = {
            {"/ipxe/binary/ipxe.efi", 0, BOOT_ROUTE_BINARY, "ipxe.efi", ""},
            {"/ipxe/binary/52:54:00:12:34:56/undionly.kpxe", 0, BOOT_ROUTE_BINARY,
             "52:54:00:12:34:56/undionly.kpxe", ""},
            {"/ipxe/binary/", -ENOENT, 0, NULL, NULL},
            {"/ipxe/script/52:54:00:12:34:56/auto.ipxe", 0, BOOT_ROUTE_SCRIPT, NULL,
             "52:54:00:12:34:56"},
            {"/ipxe/script/52-54-00-12-34-56/auto.ipxe", 0, BOOT_ROUTE_SCRIPT, NULL,
             "52:54:00:12:34:56"},
            {"/ipxe/script/auto.ipxe", 0, BOOT_ROUTE_SCRIPT, NULL, ""},
            {"/ipxe/script/52:54:00:12:34:56/other.ipxe", -ENOENT, 0, NULL, NULL},
            {"/ipxe/script/other.ipxe", -ENOENT, 0, NULL, NULL},
            {"/ipxe/script/52:54:00:12:34:5x/auto.ipxe", -EINVAL, 0, NULL, NULL},
            {"/ipxe/script/junk/auto.ipxe", -EINVAL, 0, NULL, NULL},
            {"/bootenv/vmlinuz-x86_64", 0, BOOT_ROUTE_BOOTENV, "vmlinuz-x86_64", ""},
            {"/bootenv/", -EACCES, 0, NULL, NULL},
            {"/bootenv/.hidden", -EACCES, 0, NULL, NULL},
            {"/bootenv/a/b", -EACCES, 0, NULL, NULL},
            {"/bootenv/a b", -EACCES, 0, NULL, NULL},
            {"/bootenv/a\\b", -EACCES, 0, NULL, NULL},
            {"/2009-04-04/meta-data/hostname", 0, BOOT_ROUTE_METADATA, "meta-data/hostname", ""},
            {"/2009-04-04", 0, BOOT_ROUTE_METADATA, "", ""},
            {"/2009-04-05/meta-data", -ENOENT, 0, NULL, NULL},
            {"/", -ENOENT, 0, NULL, NULL},
            {"", -ENOENT, 0, NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct boot_path p = {.route = _BOOT_ROUTE_MAX};
        int r = boot_path_parse(cases[i].path, &p);
        if (r != cases[i].r)
            fail_msg("case %s: got %d want %d", cases[i].path, r, cases[i].r);
        if (r < 0) {
            assert_int_equal(p.route, _BOOT_ROUTE_MAX); /* untouched */
            continue;
        }
        assert_int_equal(p.route, cases[i].route);
        if (cases[i].rest)
            assert_string_equal(p.rest, cases[i].rest);
        assert_string_equal(p.mac, cases[i].mac);
    }
}

static void test_syslog_handle_counts_and_logs(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = new_store();
    add(s, machine("web1", "52:54:00:12:34:56", "10.0.0.10"));
    struct boot_counters c;
    memset(&c, 0, sizeof(c));
    char path[] = "/tmp/boot-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    log_set_fd(fd);
    static const char m1[] = "<30>Nov 21 07:00:00 web1 worker[12]: hello";
    static const char m2[] = "<14>1 2026-11-21T07:00:00Z web1 agent 7 ID1 - five";
    static const char bad[] = "no priority here";
    boot_syslog_handle(s, &c, m1, sizeof(m1) - 1, "10.0.0.10");
    boot_syslog_handle(s, &c, m2, sizeof(m2) - 1, "10.0.0.99");
    boot_syslog_handle(s, &c, bad, sizeof(bad) - 1, "10.0.0.10");
    log_set_fd(2);
    assert_int_equal(atomic_load(&c.syslog_lines), 2);
    assert_int_equal(atomic_load(&c.syslog_unknown_host), 1);
    assert_int_equal(atomic_load(&c.syslog_malformed), 1);
    char text[4096] = {0};
    assert_true(pread(fd, text, sizeof(text) - 1, 0) > 0);
    close(fd);
    unlink(path);
    assert_non_null(strstr(text, "source=10.0.0.10 hardware=default/web1 format=rfc3164"));
    assert_non_null(strstr(text, "app=worker procid=12 text=hello"));
    assert_non_null(strstr(text, "source=10.0.0.99 hardware=\"\" format=rfc5424"));
    assert_null(strstr(text, "no priority"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reservation_from_hardware_fields),
            cmocka_unit_test(test_reservation_from_hardware_errors),
            cmocka_unit_test(test_lookup_mac_conflicts),
            cmocka_unit_test(test_cache_lookup_and_invalidate),
            cmocka_unit_test(test_cache_many_macs),
            cmocka_unit_test(test_mac_parse_table),
            cmocka_unit_test(test_path_parse_table),
            cmocka_unit_test(test_syslog_handle_counts_and_logs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
