/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's pure parts: the agent registry, the token decision and the
 * output queue entries, plus the receive path at the frame level (control
 * frames, fragments) with a raw socket. The agent protocol over real
 * WebSocket clients is covered by test/e2e/gateway.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "gateway/gateway-internal.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(KEY) - 1)

static void test_registry_insert_find_remove(void **state)
{
    (void)state;
    struct gateway_registry reg;
    enum { N = 1000 };
    static struct gateway_session s[N];
    static char ids[N][32];
    assert_int_equal(gateway_registry_init(&reg), 0);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        s[i] = (struct gateway_session){.agent_id = ids[i]};
        assert_int_equal(gateway_registry_insert(&reg, &s[i]), 0);
    }
    assert_int_equal(reg.n, N);
    assert_true(reg.n_buckets >= N); /* it grew */
    for (int i = 0; i < N; i++)
        assert_ptr_equal(gateway_registry_find(&reg, ids[i]), &s[i]);
    assert_null(gateway_registry_find(&reg, "not-there"));
    assert_null(gateway_registry_find(&reg, NULL));
    for (int i = 0; i < N; i += 2)
        gateway_registry_remove(&reg, &s[i]);
    assert_int_equal(reg.n, N / 2);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(gateway_registry_find(&reg, ids[i]), i % 2 ? &s[i] : NULL);
    gateway_registry_done(&reg);
}

static void test_registry_refuses_a_second_session_for_an_id(void **state)
{
    (void)state;
    struct gateway_registry reg;
    struct gateway_session a = {.agent_id = (char *)"agent"}, b = {.agent_id = (char *)"agent"};
    struct gateway_session none = {0};
    assert_int_equal(gateway_registry_init(&reg), 0);
    assert_int_equal(gateway_registry_insert(&reg, &a), 0);
    assert_int_equal(gateway_registry_insert(&reg, &b), -EEXIST);
    assert_int_equal(gateway_registry_insert(&reg, &none), -EINVAL);
    assert_ptr_equal(gateway_registry_find(&reg, "agent"), &a);
    gateway_registry_remove(&reg, &b); /* not in it: nothing happens */
    assert_ptr_equal(gateway_registry_find(&reg, "agent"), &a);
    gateway_registry_remove(&reg, &a);
    assert_int_equal(gateway_registry_insert(&reg, &b), 0);
    gateway_registry_done(&reg);
}

static void test_check_token_decisions(void **state)
{
    (void)state;
    char *good = NULL, *other = NULL, *expired = NULL;
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "m1", 2000, &good), 0);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "m2", 2000, &other), 0);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "m1", 1000, &expired), 0);
    static const unsigned char wrong[] = "fedcba9876543210fedcba9876543210";
    const struct {
        enum gateway_auth auth;
        const unsigned char *key;
        const char *token;
        int want;
        const char *reason;
    } cases[] = {
            {GATEWAY_AUTH_TOKEN, KEY, good, 0, NULL},
            {GATEWAY_AUTH_NONE, NULL, NULL, 0, NULL},
            {GATEWAY_AUTH_NONE, KEY, "garbage", 0, NULL},
            {GATEWAY_AUTH_TOKEN, KEY, NULL, -EACCES, "a token is required (hello.token)"},
            {GATEWAY_AUTH_TOKEN, KEY, "", -EACCES, "a token is required (hello.token)"},
            {GATEWAY_AUTH_TOKEN, NULL, good, -EACCES, "no agent key is loaded on this server"},
            {GATEWAY_AUTH_TOKEN, KEY, other, -EACCES, "token was minted for another agent"},
            {GATEWAY_AUTH_TOKEN, KEY, expired, -EACCES, "token expired"},
            {GATEWAY_AUTH_TOKEN, wrong, good, -EACCES,
             "token signature does not match the agent key"},
            {GATEWAY_AUTH_TOKEN, KEY, "no-dot-here", -EACCES, "token is malformed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agentproto_hello h = {.agent_id = "m1", .token = cases[i].token};
        const char *reason = NULL;
        int r = gateway_check_token(cases[i].auth, cases[i].key, KEYLEN, &h, 1500, &reason);
        assert_int_equal(r, cases[i].want);
        if (cases[i].reason)
            assert_string_equal(reason, cases[i].reason);
    }
    free(good);
    free(other);
    free(expired);
}

static void test_out_entry_holds_encoded_text(void **state)
{
    (void)state;
    struct gateway_out *o = NULL;
    struct agentproto_msg idle = {.type = AGENTPROTO_IDLE, .idle = {.reason = "waiting"}};
    assert_int_equal(gateway_out_new(&idle, &o), 0);
    assert_false(o->close_after);
    const char *want = "{\"v\":1,\"type\":\"idle\",\"reason\":\"waiting\"}";
    assert_int_equal(o->len, strlen(want));
    assert_memory_equal(o->data + LWS_PRE, want, o->len);
    free(o);
    struct agentproto_msg err = {.type = AGENTPROTO_ERROR,
                                 .error = {.code = "unauthorized", .message = "token expired"}};
    assert_int_equal(gateway_out_new(&err, &o), 0);
    assert_true(o->close_after); /* errors end the connection */
    free(o);
    struct agentproto_msg bad = {.type = AGENTPROTO_IDLE, .idle = {.reason = "Not Valid"}};
    o = NULL;
    assert_int_equal(gateway_out_new(&bad, &o), -EINVAL);
    assert_null(o);
}

static void test_refusal_names(void **state)
{
    (void)state;
    assert_string_equal(gateway_refusal_to_string(GATEWAY_REFUSED_UNAUTHORIZED), "unauthorized");
    assert_string_equal(gateway_refusal_to_string(GATEWAY_REFUSED_DUPLICATE), "duplicate-agent");
    assert_null(gateway_refusal_to_string(_GATEWAY_REFUSED_MAX));
    assert_null(gateway_refusal_to_string((enum gateway_refusal)-1));
}

static void test_new_refuses_bad_options(void **state)
{
    (void)state;
    struct gateway *g = NULL;
    struct gateway_callbacks cb = {0};
    assert_int_equal(gateway_new(&g, &(struct gateway_opts){.listen = "nonsense:port"}, &cb),
                     -EINVAL);
    assert_int_equal(gateway_new(&g,
                                 &(struct gateway_opts){.listen = "127.0.0.1:0",
                                                        .tls_cert = "/nonexistent"},
                                 &cb),
                     -EINVAL);
    assert_null(g);
    assert_int_equal(gateway_new(&g, &(struct gateway_opts){.listen = "127.0.0.1:0"}, &cb), 0);
    assert_true(gateway_port(g) > 0);
    assert_int_equal(gateway_set_key(g, "short", 5), -EINVAL);
    assert_int_equal(gateway_set_key(g, KEY, KEYLEN), 0);
    struct agentproto_msg idle = {.type = AGENTPROTO_IDLE, .idle = {.reason = "waiting"}};
    assert_int_equal(gateway_send(g, "nobody", &idle), -ENOENT);
    assert_false(gateway_connected(g, "nobody"));
    assert_int_equal(gateway_start(g), 0);
    gateway_free(g);
}

static void test_liveness_decide_table(void **state)
{
    (void)state;
    const struct {
        int64_t idle;
        unsigned interval;
        enum gateway_liveness want;
    } cases[] = {
            {0, 15, GATEWAY_LIVENESS_OK},
            {14, 15, GATEWAY_LIVENESS_OK},
            {15, 15, GATEWAY_LIVENESS_PING},
            {44, 15, GATEWAY_LIVENESS_PING},
            {45, 15, GATEWAY_LIVENESS_HANGUP},
            {1000, 15, GATEWAY_LIVENESS_HANGUP},
            {-5, 15, GATEWAY_LIVENESS_OK}, /* a clock step backwards */
            {1000, 0, GATEWAY_LIVENESS_OK}, /* no interval: never */
            {1, 1, GATEWAY_LIVENESS_PING},
            {3, 1, GATEWAY_LIVENESS_HANGUP},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(gateway_liveness_decide(cases[i].idle, cases[i].interval), cases[i].want);
}

/* Both event loops start and stop: the libev one must return from its loop
 * when gateway_free() asks (a hang here fails the test by timeout). */
static void test_new_start_free_on_each_loop(void **state)
{
    (void)state;
    for (int poll_loop = 0; poll_loop <= 1; poll_loop++) {
        struct gateway *g = NULL;
        struct gateway_callbacks cb = {0};
        assert_int_equal(gateway_new(&g,
                                     &(struct gateway_opts){.listen = "127.0.0.1:0",
                                                            .poll_loop = poll_loop,
                                                            .ping_interval_s = 1},
                                     &cb),
                         0);
        const char *name = gateway_loop_name(g);
        if (poll_loop)
            assert_string_equal(name, "poll");
        else
            assert_true(strcmp(name, "epoll") == 0 || strcmp(name, "poll") == 0);
        assert_int_equal(gateway_start(g), 0);
        struct agentproto_msg idle = {.type = AGENTPROTO_IDLE, .idle = {.reason = "waiting"}};
        assert_int_equal(gateway_send(g, "nobody", &idle), -ENOENT);
        assert_null(gateway_free(g));
    }
    assert_string_equal(gateway_loop_name(NULL), "poll");
}

/* ---- a raw WebSocket client, to put exact frames on the wire ---------- */

static int wire_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 20}; /* a safety net, not a wait */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    static const char req[] = "GET " GATEWAY_PATH " HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Protocol: anvil-agent\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    char resp[1024];
    size_t n = 0;
    /* byte by byte, so no frame is read early */
    while (n < 4 || memcmp(resp + n - 4, "\r\n\r\n", 4) != 0) {
        assert_true(n < sizeof(resp) - 1);
        assert_int_equal(read(fd, resp + n, 1), 1);
        n++;
    }
    resp[n] = '\0';
    assert_non_null(strstr(resp, " 101 "));
    return fd;
}

static void read_full(int fd, void *p, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, (char *)p + got, len - got);
        if (n <= 0)
            fail_msg("connection ended after %zu of %zu bytes", got, len);
        got += (size_t)n;
    }
}

/* Sends one masked client frame (b0: FIN and opcode). */
static void send_frame(int fd, unsigned b0, const void *payload, size_t len)
{
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    unsigned char f[16 + 4096];
    size_t h = 0;
    assert_true(len <= 4096);
    f[h++] = (unsigned char)b0;
    if (len < 126) {
        f[h++] = (unsigned char)(0x80 | len);
    } else {
        f[h++] = 0x80 | 126;
        f[h++] = (unsigned char)(len >> 8);
        f[h++] = (unsigned char)len;
    }
    memcpy(f + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        f[h + i] = ((const unsigned char *)payload)[i] ^ mask[i % 4];
    assert_int_equal(write(fd, f, h + len), (ssize_t)(h + len));
}

/* Reads server frames until one with this opcode; returns its payload
 * length (the payload in buf, NUL-terminated). Pings are skipped. */
static size_t read_frame(int fd, unsigned want_opcode, char *buf, size_t size)
{
    for (;;) {
        unsigned char hdr[2];
        read_full(fd, hdr, 2);
        assert_int_equal(hdr[1] & 0x80, 0); /* servers do not mask */
        size_t len = hdr[1] & 0x7f;
        if (len == 126) {
            unsigned char ext[2];
            read_full(fd, ext, 2);
            len = (size_t)ext[0] << 8 | ext[1];
        }
        assert_true(len < size);
        read_full(fd, buf, len);
        buf[len] = '\0';
        if ((hdr[0] & 0x0f) == want_opcode)
            return len;
    }
}

/* With the 128-byte lws receive buffer, control frames of the largest
 * payload (125 bytes) still work, and a message in fragments several
 * times that size is assembled whole. */
static void test_wire_control_frames_and_long_messages(void **state)
{
    (void)state;
    struct gateway *g = NULL;
    struct gateway_callbacks cb = {0};
    assert_int_equal(gateway_new(&g, &(struct gateway_opts){.listen = "127.0.0.1:0"}, &cb), 0);
    assert_int_equal(gateway_start(g), 0);
    int port = gateway_port(g);
    assert_true(port > 0);
    char payload[125], got[4096];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (char)('a' + i % 26);

    /* a ping of 125 bytes: the pong echoes all of it */
    int fd = wire_connect(port);
    send_frame(fd, 0x89, payload, sizeof(payload));
    assert_int_equal(read_frame(fd, 0xA, got, sizeof(got)), sizeof(payload));
    assert_memory_equal(got, payload, sizeof(payload));

    /* a 1,200-byte status in three fragments arrives whole: the refusal
     * names the missing hello, not a truncated message */
    char msg[1300];
    int n = snprintf(msg, sizeof(msg),
                     "{\"v\":1,\"type\":\"status\",\"workflowID\":\"ns/wf\",\"taskID\":\"t\","
                     "\"actionID\":\"x\",\"state\":\"RUNNING\",\"message\":\"%1100d\"}", 7);
    assert_true(n > 1100 && n < (int)sizeof(msg));
    size_t third = (size_t)n / 3;
    send_frame(fd, 0x01, msg, third);                             /* text, not final */
    send_frame(fd, 0x00, msg + third, third);                     /* continuation */
    send_frame(fd, 0x80, msg + 2 * third, (size_t)n - 2 * third); /* final */
    read_frame(fd, 0x1, got, sizeof(got));
    assert_non_null(strstr(got, "say hello first"));
    close(fd);

    /* a close of 125 bytes (code + 123 of reason) is answered with a close */
    fd = wire_connect(port);
    char close_payload[125];
    close_payload[0] = 0x03; /* 1000 */
    close_payload[1] = (char)0xe8;
    memcpy(close_payload + 2, payload, sizeof(close_payload) - 2);
    send_frame(fd, 0x88, close_payload, sizeof(close_payload));
    size_t len = read_frame(fd, 0x8, got, sizeof(got));
    assert_true(len >= 2);
    close(fd);
    assert_null(gateway_free(g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_registry_insert_find_remove),
            cmocka_unit_test(test_registry_refuses_a_second_session_for_an_id),
            cmocka_unit_test(test_check_token_decisions),
            cmocka_unit_test(test_out_entry_holds_encoded_text),
            cmocka_unit_test(test_refusal_names),
            cmocka_unit_test(test_new_refuses_bad_options),
            cmocka_unit_test(test_liveness_decide_table),
            cmocka_unit_test(test_new_start_free_on_each_loop),
            cmocka_unit_test(test_wire_control_frames_and_long_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
