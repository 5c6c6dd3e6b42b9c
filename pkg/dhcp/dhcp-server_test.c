/* SPDX-License-Identifier: Apache-2.0 */
/* The DHCP transport: the datagram seam (decision, destination, counters)
 * table-driven, and one real exchange over loopback UDP. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp/dhcp-server.h"
#include "dhcp/dhcp-test.h"

/* A fake Hardware source: one MAC (TEST_MAC) with 10.0.0.10, or a forced
 * error. Counts find/release calls so leaks of holds show up. */
struct fake {
    int find_result; /* 1 found, 0 none, < 0 error */
    int finds, releases;
    struct in_addr dns[1];
};

static int fake_find(void *userdata,
                     const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                     struct dhcp_reservation *res,
                     void **ret_hold)
{
    struct fake *f = userdata;
    static const uint8_t known[] = TEST_MAC;
    f->finds++;
    if (f->find_result != 1)
        return f->find_result;
    if (memcmp(mac, known, 6) != 0)
        return 0;
    f->dns[0] = test_addr("10.0.0.53");
    *res = (struct dhcp_reservation){
            .ip = test_addr("10.0.0.10"),
            .netmask = test_addr("255.255.255.0"),
            .gateway = test_addr("10.0.0.1"),
            .nameservers = f->dns,
            .n_nameservers = 1,
            .allow_pxe = true,
            .hostname = "node1",
    };
    memcpy(res->mac, mac, 6);
    *ret_hold = f;
    return 1;
}

static void fake_release(void *userdata, void *hold)
{
    struct fake *f = userdata;
    assert_ptr_equal(hold, f);
    f->releases++;
}

static struct dhcp_server *new_server(struct fake *f, enum dhcp_mode mode, int ifindex)
{
    struct dhcp_server *s = NULL;
    struct dhcp_config cfg = {
            .mode = mode, .public_ip = test_addr("10.0.0.1"), .ipxe_script_for_ipxe = true};
    struct dhcp_server_opts o = {
            .config = &cfg,
            .lookup = {.find = fake_find, .release = fake_release, .userdata = f},
    };
    assert_int_equal(dhcp_server_new_detached(&s, &o, ifindex), 0);
    return s;
}

enum expect { NO_REPLY, REPLY };

static void test_dhcp_server_datagram_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum dhcp_mode mode;
        int find_result;
        uint8_t type;
        enum test_client client;
        const char *giaddr;
        const char *requested;
        int ifindex;
        enum expect expect;
        uint8_t reply_type;
        const char *dest;
        uint16_t dest_port;
        const char *yiaddr;
    } cases[] = {
            {"reservation offer, broadcast", DHCP_MODE_RESERVATION, 1, DHCP_DISCOVER, TC_PLAIN,
             NULL, NULL, 0, REPLY, DHCP_OFFER, "255.255.255.255", 68, "10.0.0.10"},
            {"reservation offer via relay", DHCP_MODE_RESERVATION, 1, DHCP_DISCOVER, TC_PLAIN,
             "10.9.0.1", NULL, 0, REPLY, DHCP_OFFER, "10.9.0.1", 67, "10.0.0.10"},
            {"reservation ack", DHCP_MODE_RESERVATION, 1, DHCP_REQUEST, TC_PLAIN, NULL, "10.0.0.10",
             0, REPLY, DHCP_ACK, "255.255.255.255", 68, "10.0.0.10"},
            {"reservation nak for another address", DHCP_MODE_RESERVATION, 1, DHCP_REQUEST,
             TC_PLAIN, NULL, "10.0.0.99", 0, REPLY, DHCP_NAK, "255.255.255.255", 68, "0.0.0.0"},
            {"reservation unknown MAC", DHCP_MODE_RESERVATION, 0, DHCP_DISCOVER, TC_PLAIN, NULL,
             NULL, 0, NO_REPLY, 0, NULL, 0, NULL},
            {"lookup error", DHCP_MODE_RESERVATION, -EIO, DHCP_DISCOVER, TC_PLAIN, NULL, NULL, 0,
             NO_REPLY, 0, NULL, 0, NULL},
            {"conflict", DHCP_MODE_RESERVATION, -ENOTUNIQ, DHCP_DISCOVER, TC_PLAIN, NULL, NULL, 0,
             NO_REPLY, 0, NULL, 0, NULL},
            {"wrong interface", DHCP_MODE_RESERVATION, 1, DHCP_DISCOVER, TC_PLAIN, NULL, NULL, 3,
             NO_REPLY, 0, NULL, 0, NULL},
            {"right interface", DHCP_MODE_RESERVATION, 1, DHCP_DISCOVER, TC_PLAIN, NULL, NULL, 2,
             REPLY, DHCP_OFFER, "255.255.255.255", 68, "10.0.0.10"},
            {"auto-proxy unknown PXE", DHCP_MODE_AUTO_PROXY, 0, DHCP_DISCOVER, TC_PXE_BIOS, NULL,
             NULL, 0, REPLY, DHCP_OFFER, "255.255.255.255", 68, "0.0.0.0"},
            {"proxy unknown PXE", DHCP_MODE_PROXY, 0, DHCP_DISCOVER, TC_PXE_BIOS, NULL, NULL, 0,
             NO_REPLY, 0, NULL, 0, NULL},
            {"proxy plain client", DHCP_MODE_PROXY, 1, DHCP_DISCOVER, TC_PLAIN, NULL, NULL, 0,
             NO_REPLY, 0, NULL, 0, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake f = {.find_result = cases[i].find_result};
        struct dhcp_server *s = new_server(&f, cases[i].mode, 2);
        struct test_header h = test_request_header();
        struct test_packet t;
        if (cases[i].giaddr)
            h.giaddr = test_ip(cases[i].giaddr);
        tp_client(&t, &h, cases[i].type, cases[i].client);
        if (cases[i].requested)
            tp_opt_ip(&t, DHCP_OPTION_REQUESTED_IP, cases[i].requested);
        tp_end(&t);
        struct dhcp_server_reply rep = {0};
        int r = dhcp_server_handle_datagram(s, t.bytes, t.len,
                                            cases[i].ifindex ? cases[i].ifindex : 2, NULL, &rep);
        if (r != (cases[i].expect == REPLY ? 1 : 0))
            fail_msg("case %s: got %d", cases[i].name, r);
        assert_int_equal(f.finds - (cases[i].ifindex == 3 ? 0 : 1), 0);
        assert_int_equal(f.releases, f.find_result == 1 && cases[i].ifindex != 3 ? 1 : 0);
        struct dhcp_server_stats st;
        assert_int_equal(dhcp_server_get_stats(s, &st), 0);
        assert_int_equal(st.received, 1);
        if (r == 1) {
            _cleanup_dhcp_packet_ struct dhcp_packet *p = NULL;
            char dest[INET_ADDRSTRLEN];
            assert_int_equal(dhcp_packet_parse(rep.data, rep.len, &p), 0);
            assert_int_equal(dhcp_packet_message_type(p), cases[i].reply_type);
            assert_int_equal(dhcp_packet_xid(p), TEST_XID);
            assert_int_equal(dhcp_packet_yiaddr(p).s_addr, test_ip(cases[i].yiaddr));
            inet_ntop(AF_INET, &rep.dest.sin_addr, dest, sizeof(dest));
            assert_string_equal(dest, cases[i].dest);
            assert_int_equal(ntohs(rep.dest.sin_port), cases[i].dest_port);
            assert_int_equal(rep.broadcast, strcmp(cases[i].dest, "255.255.255.255") == 0);
            assert_int_equal(st.replies[cases[i].reply_type], 1);
            assert_int_equal(st.relayed, cases[i].giaddr ? 1 : 0);
            free(rep.data);
        } else if (cases[i].ifindex == 3) {
            assert_int_equal(st.wrong_interface, 1);
        } else if (cases[i].find_result == -ENOTUNIQ) {
            assert_int_equal(st.conflicts, 1);
        } else if (cases[i].find_result < 0) {
            assert_int_equal(st.lookup_errors, 1);
        } else {
            uint64_t ignored = 0;
            for (size_t k = 0; k < _DHCP_IGNORE_MAX; k++)
                ignored += st.ignored[k];
            assert_int_equal(ignored, 1);
        }
        dhcp_server_free(s);
    }
}

static void test_dhcp_server_malformed_counted(void **state)
{
    (void)state;
    struct fake f = {.find_result = 1};
    struct dhcp_server *s = new_server(&f, DHCP_MODE_RESERVATION, 0);
    struct test_header h = test_request_header();
    struct test_packet good, t;
    tp_client(&good, &h, DHCP_DISCOVER, TC_PXE_BIOS);
    tp_end(&good);
    static const struct {
        size_t cut;   /* truncate to this many bytes, 0 = no */
        size_t at;    /* patch offset */
        uint8_t byte; /* patched value */
    } cases[] = {
            {10, 0, 0},     /* shorter than the header */
            {239, 0, 0},    /* no cookie */
            {0, 236, 0x00}, /* bad cookie */
            {0, 0, 7},      /* op 7 */
            {0, 2, 17},     /* hlen 17 */
            {0, 241, 2},    /* option 53 claims two bytes */
            {246, 0, 0},    /* option 60 cut in the middle */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        t = good;
        if (cases[i].cut)
            t.len = cases[i].cut;
        else
            t.bytes[cases[i].at] = cases[i].byte;
        struct dhcp_server_reply rep = {0};
        assert_int_equal(dhcp_server_handle_datagram(s, t.bytes, t.len, 0, NULL, &rep), 0);
        assert_null(rep.data);
    }
    struct dhcp_server_stats st;
    assert_int_equal(dhcp_server_get_stats(s, &st), 0);
    assert_int_equal(st.received, ARRAY_SIZE(cases));
    assert_int_equal(st.malformed, ARRAY_SIZE(cases));
    assert_int_equal(f.finds, 0);
    assert_int_equal(
            dhcp_server_handle_datagram(s, NULL, 5, 0, NULL, &(struct dhcp_server_reply){0}),
            -EINVAL);
    dhcp_server_free(s);
}

/* Overload shedding: only DISCOVERs older than stale_ms are dropped, and
 * they never reach the lookup. */
static void test_dhcp_server_stale_discover_shed(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned stale_ms; /* the option; 0 = default */
        uint8_t type;
        uint64_t queued_ms;
        enum expect expect;
    } cases[] = {
            {"fresh discover", 0, DHCP_DISCOVER, 0, REPLY},
            {"discover at the default limit", 0, DHCP_DISCOVER, DHCP_SERVER_STALE_MS_DEFAULT,
             REPLY},
            {"discover past the default limit", 0, DHCP_DISCOVER,
             DHCP_SERVER_STALE_MS_DEFAULT + 1, NO_REPLY},
            {"old request still answered", 0, DHCP_REQUEST, 60000, REPLY},
            {"custom limit", 10, DHCP_DISCOVER, 11, NO_REPLY},
            {"custom limit, fresh", 10, DHCP_DISCOVER, 10, REPLY},
            {"never stale", DHCP_SERVER_STALE_NEVER, DHCP_DISCOVER, UINT64_MAX - 1, REPLY},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake f = {.find_result = 1};
        struct dhcp_server *s = NULL;
        struct dhcp_config cfg = {.mode = DHCP_MODE_RESERVATION,
                                  .public_ip = test_addr("10.0.0.1")};
        struct dhcp_server_opts o = {
                .config = &cfg,
                .lookup = {.find = fake_find, .release = fake_release, .userdata = &f},
                .stale_ms = cases[i].stale_ms,
        };
        assert_int_equal(dhcp_server_new_detached(&s, &o, 0), 0);
        struct test_header h = test_request_header();
        struct test_packet t;
        tp_client(&t, &h, cases[i].type, TC_PLAIN);
        if (cases[i].type == DHCP_REQUEST)
            tp_opt_ip(&t, DHCP_OPTION_REQUESTED_IP, "10.0.0.10");
        tp_end(&t);
        struct dhcp_server_reply rep = {0};
        int r = dhcp_server_handle_queued(s, t.bytes, t.len, 0, NULL, cases[i].queued_ms, &rep);
        if (r != (cases[i].expect == REPLY ? 1 : 0))
            fail_msg("case %s: got %d", cases[i].name, r);
        struct dhcp_server_stats st;
        assert_int_equal(dhcp_server_get_stats(s, &st), 0);
        assert_int_equal(st.received, 1);
        assert_int_equal(st.stale, cases[i].expect == REPLY ? 0 : 1);
        assert_int_equal(f.finds, cases[i].expect == REPLY ? 1 : 0);
        assert_int_equal(f.releases, f.finds);
        free(rep.data);
        dhcp_server_free(s);
    }
}

static void test_dhcp_server_queued_ms(void **state)
{
    (void)state;
    static const struct {
        struct timespec received, now;
        uint64_t want;
    } cases[] = {
            {{100, 0}, {100, 0}, 0},
            {{100, 0}, {100, 999999}, 0},
            {{100, 0}, {100, 1000000}, 1},
            {{100, 900000000}, {101, 100000000}, 200},
            {{100, 0}, {103, 500000000}, 3500},
            {{100, 0}, {99, 0}, 0},       /* clock set back */
            {{0, 0}, {1000, 0}, 0},       /* no timestamp */
            {{1, 0}, {1000001, 0}, 1000000000},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(dhcp_server_queued_ms(&cases[i].received, &cases[i].now), cases[i].want);
    assert_int_equal(dhcp_server_queued_ms(NULL, &cases[0].now), 0);
    assert_int_equal(dhcp_server_queued_ms(&cases[0].received, NULL), 0);
}

static void test_dhcp_server_new_rejects_bad_config(void **state)
{
    (void)state;
    struct dhcp_server *s = NULL;
    struct dhcp_config cfg = {.mode = DHCP_MODE_RESERVATION};
    assert_int_equal(dhcp_server_new(&s, &(struct dhcp_server_opts){.config = &cfg}), -EINVAL);
    cfg.public_ip = test_addr("127.0.0.1");
    cfg.mode = _DHCP_MODE_MAX;
    assert_int_equal(dhcp_server_new(&s, &(struct dhcp_server_opts){.config = &cfg}), -EINVAL);
    cfg.mode = DHCP_MODE_PROXY;
    assert_int_equal(dhcp_server_new(&s, NULL), -EINVAL);
    assert_int_equal(dhcp_server_new(&s, &(struct dhcp_server_opts){.config = &cfg,
                                                                    .bind_interface = "nosuchif0"}),
                     -ENODEV);
    assert_null(s);
    assert_null(dhcp_server_free(NULL));
}

/* 127.0.0.1 with a UDP port that was free a moment ago. */
static struct sockaddr_in free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = test_addr("127.0.0.1")};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return a;
}

/* The next datagram on fd (within 5 s), parsed; it must be an OFFER. */
static struct dhcp_packet *recv_offer(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    uint8_t buf[1500];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    assert_true(n >= DHCP_BOOTP_MIN_LEN);
    struct dhcp_packet *rep = NULL;
    assert_int_equal(dhcp_packet_parse(buf, (size_t)n, &rep), 0);
    assert_int_equal(dhcp_packet_message_type(rep), DHCP_OFFER);
    return rep;
}

/* A real socket on loopback: a relayed DISCOVER to the server's port gets
 * an OFFER back at the relay address (giaddr 127.0.0.1, the same port). */
static void test_dhcp_server_loopback_relay(void **state)
{
    (void)state;
    struct fake f = {.find_result = 1};
    struct dhcp_config cfg = {.mode = DHCP_MODE_RESERVATION, .public_ip = test_addr("127.0.0.1")};
    /* Relayed replies go to giaddr:<server port>, so the server must listen
     * on the relay's port: pick one port for both. */
    struct sockaddr_in ra = free_loopback_port();
    struct dhcp_server *s = NULL;
    int r = dhcp_server_new(
            &s, &(struct dhcp_server_opts){
                        .config = &cfg,
                        .lookup = {.find = fake_find, .release = fake_release, .userdata = &f},
                        .bind_address = test_addr("127.0.0.1"),
                        .port = ntohs(ra.sin_port),
                });
    assert_int_equal(r, 0);
    assert_int_equal(dhcp_server_start(s), 0);
    int relay = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(relay, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in any = {
            .sin_family = AF_INET, .sin_addr = test_addr("127.0.0.2"), .sin_port = ra.sin_port};
    assert_int_equal(bind(relay, (struct sockaddr *)&any, sizeof(any)), 0);
    struct test_header h = test_request_header();
    struct test_packet t;
    h.giaddr = test_ip("127.0.0.2");
    tp_client(&t, &h, DHCP_DISCOVER, TC_PLAIN);
    tp_end(&t);
    assert_int_equal(sendto(relay, t.bytes, t.len, 0, (struct sockaddr *)&ra, sizeof(ra)),
                     (ssize_t)t.len);
    _cleanup_dhcp_packet_ struct dhcp_packet *rep = recv_offer(relay);
    assert_int_equal(dhcp_packet_yiaddr(rep).s_addr, test_ip("10.0.0.10"));
    assert_int_equal(dhcp_server_stop(s), 0);
    assert_int_equal(dhcp_server_stop(s), 0);
    struct dhcp_server_stats st;
    dhcp_server_get_stats(s, &st);
    assert_int_equal(st.replies[DHCP_OFFER], 1);
    assert_int_equal(st.relayed, 1);
    assert_int_equal(f.releases, 1);
    dhcp_server_free(s);
    close(relay);
}

/* More datagrams than one recvmmsg() batch, queued before the server
 * starts: every one is read and answered (sendmmsg), none twice. */
static void test_dhcp_server_loopback_burst(void **state)
{
    (void)state;
    enum { N = 40 }; /* > 2 batches of 16 */
    struct fake f = {.find_result = 1};
    struct dhcp_config cfg = {.mode = DHCP_MODE_RESERVATION, .public_ip = test_addr("127.0.0.1")};
    struct sockaddr_in ra = free_loopback_port();
    struct dhcp_server *s = NULL;
    assert_int_equal(dhcp_server_new(&s,
                                     &(struct dhcp_server_opts){
                                             .config = &cfg,
                                             .lookup = {.find = fake_find,
                                                        .release = fake_release,
                                                        .userdata = &f},
                                             .bind_address = test_addr("127.0.0.1"),
                                             .port = ntohs(ra.sin_port),
                                             .stale_ms = DHCP_SERVER_STALE_NEVER,
                                     }),
                     0);
    int relay = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1, big = 1 << 20;
    setsockopt(relay, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(relay, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_in any = {
            .sin_family = AF_INET, .sin_addr = test_addr("127.0.0.3"), .sin_port = ra.sin_port};
    assert_int_equal(bind(relay, (struct sockaddr *)&any, sizeof(any)), 0);
    for (uint32_t k = 0; k < N; k++) {
        struct test_header h = test_request_header();
        struct test_packet t;
        h.giaddr = test_ip("127.0.0.3");
        h.xid = htonl(k + 1);
        tp_client(&t, &h, DHCP_DISCOVER, TC_PLAIN);
        tp_end(&t);
        assert_int_equal(sendto(relay, t.bytes, t.len, 0, (struct sockaddr *)&ra, sizeof(ra)),
                         (ssize_t)t.len);
    }
    assert_int_equal(dhcp_server_start(s), 0);
    bool seen[N + 1] = {false};
    for (int got = 0; got < N; got++) {
        _cleanup_dhcp_packet_ struct dhcp_packet *rep = recv_offer(relay);
        uint32_t xid = dhcp_packet_xid(rep);
        assert_true(xid >= 1 && xid <= N);
        assert_false(seen[xid]);
        seen[xid] = true;
    }
    assert_int_equal(dhcp_server_stop(s), 0);
    struct dhcp_server_stats st;
    dhcp_server_get_stats(s, &st);
    assert_int_equal(st.received, N);
    assert_int_equal(st.replies[DHCP_OFFER], N);
    assert_int_equal(st.send_errors, 0);
    assert_int_equal(f.releases, N);
    dhcp_server_free(s);
    close(relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dhcp_server_datagram_table),
            cmocka_unit_test(test_dhcp_server_malformed_counted),
            cmocka_unit_test(test_dhcp_server_new_rejects_bad_config),
            cmocka_unit_test(test_dhcp_server_loopback_relay),
            cmocka_unit_test(test_dhcp_server_loopback_burst),
            cmocka_unit_test(test_dhcp_server_stale_discover_shed),
            cmocka_unit_test(test_dhcp_server_queued_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
