/* SPDX-License-Identifier: Apache-2.0 */
/* The TFTP transport over loopback: whole transfers (ephemeral and single
 * port, windows, a lost block), error answers, and counters. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp-server.h"

struct rig {
    char dir[64];
    uint8_t *file;
    size_t size;
    struct tftp_server *srv;
    int sock;
    struct sockaddr_in to; /* the listener */
};

static void rig_up_workers(struct rig *r,
                           size_t size,
                           bool single_port,
                           const struct tftp_limits *lim,
                           size_t workers,
                           size_t max_transfers)
{
    snprintf(r->dir, sizeof(r->dir), "/tmp/tftp-server-test-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/undionly.kpxe", r->dir);
    r->size = size;
    r->file = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        r->file[i] = (uint8_t)(i * 7 + (i >> 9));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, r->file, size), (ssize_t)size);
    close(fd);
    struct tftp_server_opts o = {
            .ipxe_dir = r->dir,
            .bind_address = {htonl(INADDR_LOOPBACK)},
            .port_zero = true,
            .single_port = single_port,
            .limits = lim,
            .workers = workers,
            .max_transfers = max_transfers,
    };
    assert_int_equal(tftp_server_new(&r->srv, &o), 0);
    assert_int_equal(tftp_server_start(r->srv), 0);
    r->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    r->to = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_addr = {htonl(INADDR_LOOPBACK)},
                                 .sin_port = htons((uint16_t)tftp_server_port(r->srv))};
}

static void rig_up(struct rig *r, size_t size, bool single_port, const struct tftp_limits *lim)
{
    rig_up_workers(r, size, single_port, lim, 0, 0);
}

static void rig_down(struct rig *r)
{
    char path[128];
    assert_null(tftp_server_free(r->srv));
    close(r->sock);
    snprintf(path, sizeof(path), "%s/undionly.kpxe", r->dir);
    unlink(path);
    rmdir(r->dir);
    free(r->file);
}

static void send_rrq(struct rig *r, const char *name, const char *opts, size_t opts_len, bool write)
{
    uint8_t pkt[600];
    size_t n = 0;
    pkt[n++] = 0;
    pkt[n++] = write ? TFTP_OP_WRQ : TFTP_OP_RRQ;
    memcpy(pkt + n, name, strlen(name) + 1);
    n += strlen(name) + 1;
    memcpy(pkt + n, "octet", 6);
    n += 6;
    memcpy(pkt + n, opts, opts_len);
    n += opts_len;
    assert_int_equal(sendto(r->sock, pkt, n, 0, (struct sockaddr *)&r->to, sizeof(r->to)),
                     (ssize_t)n);
}

/* Receives one datagram (5 s at most) and its sender. */
static ssize_t recv_one(struct rig *r, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
    struct pollfd p = {.fd = r->sock, .events = POLLIN};
    socklen_t fl = sizeof(*from);
    if (poll(&p, 1, 5000) != 1)
        return -ETIMEDOUT;
    return recvfrom(r->sock, buf, cap, 0, (struct sockaddr *)from, &fl);
}

static void ack(struct rig *r, const struct sockaddr_in *to, uint16_t block)
{
    uint8_t a[4] = {0, TFTP_OP_ACK, (uint8_t)(block >> 8), (uint8_t)block};
    assert_int_equal(sendto(r->sock, a, 4, 0, (const struct sockaddr *)to, sizeof(*to)), 4);
}

/* Downloads undionly.kpxe with opts; drop_block (> 0) is ignored once to
 * force a retransmission. Checks every byte. */
static void download(struct rig *r,
                     const char *opts,
                     size_t opts_len,
                     size_t blksize,
                     uint16_t drop_block,
                     bool expect_oack)
{
    uint8_t buf[70000];
    struct sockaddr_in peer;
    size_t got = 0;
    uint16_t expect = 1;
    bool dropped = false;
    send_rrq(r, "aa:bb:cc:dd:ee:ff/undionly.kpxe", opts, opts_len, false);
    if (expect_oack) {
        ssize_t n = recv_one(r, buf, sizeof(buf), &peer);
        assert_true(n >= 2);
        assert_int_equal(buf[1], TFTP_OP_OACK);
        ack(r, &peer, 0);
    }
    for (;;) {
        ssize_t n = recv_one(r, buf, sizeof(buf), &peer);
        assert_true(n >= 4);
        assert_int_equal(buf[1], TFTP_OP_DATA);
        uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
        if (block != expect)
            continue; /* a retransmitted earlier block */
        if (block == drop_block && !dropped) {
            dropped = true; /* pretend it was lost: no ACK, wait for the resend */
            continue;
        }
        size_t len = (size_t)n - 4;
        assert_true(got + len <= r->size);
        assert_memory_equal(buf + 4, r->file + got, len);
        got += len;
        ack(r, &peer, block);
        expect++;
        if (len < blksize)
            break;
    }
    assert_int_equal(got, r->size);
    /* The final ACK went to the transfer's own socket, which the server
     * reads independently of the listener: wait for it to be counted (an
     * event wait bounded at 5 s, not a fixed delay). */
    struct tftp_server_stats st = {0};
    for (int i = 0; i < 500 && st.transfers_done + st.transfers_failed == 0; i++) {
        assert_int_equal(tftp_server_get_stats(r->srv, &st), 0);
        if (st.transfers_done + st.transfers_failed == 0)
            (void)poll(NULL, 0, 10);
    }
    assert_int_equal(st.transfers_done, 1);
}

static void test_tftp_server_transfers(void **state)
{
    (void)state;
    static const char blk1468[] = "blksize\0001468\0tsize\0000\0";
    static const char win4[] = "blksize\0001024\0windowsize\0004\0";
    static const struct {
        size_t size;
        bool single_port;
        const char *opts;
        size_t opts_len;
        size_t blksize;
        uint16_t drop;
    } cases[] = {
            {0, false, "", 0, 512, 0},
            {511, false, "", 0, 512, 0},
            {512, false, "", 0, 512, 0},
            {100000, false, "", 0, 512, 0},
            {100000, false, blk1468, sizeof(blk1468) - 1, 1468, 0},
            {100000, false, win4, sizeof(win4) - 1, 1024, 0},
            {100000, true, blk1468, sizeof(blk1468) - 1, 1468, 0},
            {30000, false, "", 0, 512, 7},
            {30000, true, "", 0, 512, 3},
    };
    struct tftp_limits lim = TFTP_LIMITS_DEFAULT;
    lim.timeout_ms = 50; /* a lost block is resent quickly */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig r;
        rig_up(&r, cases[i].size, cases[i].single_port, &lim);
        download(&r, cases[i].opts, cases[i].opts_len, cases[i].blksize, cases[i].drop,
                 cases[i].opts_len > 0);
        struct tftp_server_stats st;
        assert_int_equal(tftp_server_get_stats(r.srv, &st), 0);
        assert_int_equal(st.transfers_started, 1);
        assert_int_equal(st.transfers_done, 1);
        assert_int_equal(st.active, 0);
        if (cases[i].drop)
            assert_true(st.timeouts >= 1);
        rig_down(&r);
    }
}

static void test_tftp_server_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool write;
        const char *opts;
        size_t opts_len;
        uint16_t code;
    } cases[] = {
            {"../../etc/passwd", false, "", 0, TFTP_ERROR_ACCESS},
            {"a/../undionly.kpxe", false, "", 0, TFTP_ERROR_ACCESS},
            {"/etc/passwd", false, "", 0, TFTP_ERROR_NOT_FOUND},
            {"ipxe.efi", false, "", 0, TFTP_ERROR_NOT_FOUND}, /* in the table, not in the dir */
            {"undionly.kpxe", true, "", 0, TFTP_ERROR_ACCESS},
            {"undionly.kpxe", false, "blksize\0007\0", 10, TFTP_ERROR_OPTION},
    };
    struct rig r;
    rig_up(&r, 1000, false, NULL);
    /* A datagram that is not a request is dropped without an answer; the
     * answers below arrive in order, so none can belong to it. */
    static const uint8_t junk[] = {0, 9, 'x', 0};
    assert_int_equal(sendto(r.sock, junk, sizeof(junk), 0, (struct sockaddr *)&r.to, sizeof(r.to)),
                     (ssize_t)sizeof(junk));
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t buf[600];
        struct sockaddr_in peer;
        send_rrq(&r, cases[i].name, cases[i].opts, cases[i].opts_len, cases[i].write);
        ssize_t n = recv_one(&r, buf, sizeof(buf), &peer);
        assert_true(n >= 4);
        if (buf[1] != TFTP_OP_ERROR || (uint16_t)(buf[2] << 8 | buf[3]) != cases[i].code)
            fail_msg("case %zu (%s): opcode %u code %u", i, cases[i].name, buf[1],
                     (unsigned)(buf[2] << 8 | buf[3]));
    }
    struct tftp_server_stats st;
    assert_int_equal(tftp_server_get_stats(r.srv, &st), 0);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(st.transfers_started, 0);
    assert_int_equal(st.refused[TFTP_ERROR_ACCESS], 3);
    assert_int_equal(st.refused[TFTP_ERROR_NOT_FOUND], 2);
    assert_int_equal(st.refused[TFTP_ERROR_OPTION], 1);
    rig_down(&r);
}

/* A client socket of its own (its own transfer ID) aimed at r's listener. */
static int client_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    return fd;
}

static void client_rrq(struct rig *r, int fd)
{
    static const uint8_t rrq[] = "\0\001undionly.kpxe\0octet";
    assert_int_equal(sendto(fd, rrq, sizeof(rrq), 0, (struct sockaddr *)&r->to, sizeof(r->to)),
                     (ssize_t)sizeof(rrq));
}

static ssize_t client_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    socklen_t fl = sizeof(*from);
    if (poll(&p, 1, 5000) != 1)
        return -ETIMEDOUT;
    return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

/* Several clients in lock step at once, served by several workers: every
 * byte of every transfer arrives in order, and the counters add up. */
static void test_tftp_server_workers_concurrent(void **state)
{
    (void)state;
    enum { CLIENTS = 7 };
    static const size_t worker_counts[] = {1, 2, 3};
    for (size_t w = 0; w < ARRAY_SIZE(worker_counts); w++) {
        struct rig r;
        rig_up_workers(&r, 20000, false, NULL, worker_counts[w], 0);
        assert_int_equal(tftp_server_workers(r.srv), worker_counts[w]);
        int fd[CLIENTS];
        size_t got[CLIENTS] = {0};
        uint16_t expect[CLIENTS];
        bool done[CLIENTS] = {false};
        for (size_t c = 0; c < CLIENTS; c++) {
            fd[c] = client_socket();
            expect[c] = 1;
            client_rrq(&r, fd[c]);
        }
        for (size_t left = CLIENTS; left > 0;) {
            for (size_t c = 0; c < CLIENTS; c++) {
                if (done[c])
                    continue;
                uint8_t buf[600];
                struct sockaddr_in peer;
                ssize_t n = client_recv(fd[c], buf, sizeof(buf), &peer);
                assert_true(n >= 4);
                assert_int_equal(buf[1], TFTP_OP_DATA);
                uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
                if (block != expect[c])
                    continue; /* a resend of the previous block */
                size_t len = (size_t)n - 4;
                assert_true(got[c] + len <= r.size);
                assert_memory_equal(buf + 4, r.file + got[c], len);
                got[c] += len;
                uint8_t a[4] = {0, TFTP_OP_ACK, (uint8_t)(block >> 8), (uint8_t)block};
                assert_int_equal(sendto(fd[c], a, 4, 0, (struct sockaddr *)&peer, sizeof(peer)),
                                 4);
                expect[c]++;
                if (len < 512) {
                    done[c] = true;
                    left--;
                }
            }
        }
        struct tftp_server_stats st = {0};
        for (int i = 0; i < 500 && st.transfers_done < CLIENTS; i++) {
            assert_int_equal(tftp_server_get_stats(r.srv, &st), 0);
            if (st.transfers_done < CLIENTS)
                (void)poll(NULL, 0, 10);
        }
        for (size_t c = 0; c < CLIENTS; c++) {
            assert_int_equal(got[c], r.size);
            close(fd[c]);
        }
        assert_int_equal(st.transfers_started, CLIENTS);
        assert_int_equal(st.transfers_done, CLIENTS);
        assert_int_equal(st.transfers_failed, 0);
        assert_int_equal(st.active, 0);
        rig_down(&r);
    }
}

/* max_transfers holds across workers: with two transfers running on two
 * workers, a third request gets ERROR 0 "server busy". */
static void test_tftp_server_busy_across_workers(void **state)
{
    (void)state;
    struct rig r;
    rig_up_workers(&r, 5000, false, NULL, 2, 2);
    int fd[3];
    uint8_t buf[600];
    struct sockaddr_in peer;
    for (size_t c = 0; c < 2; c++) {
        fd[c] = client_socket();
        client_rrq(&r, fd[c]);
        ssize_t n = client_recv(fd[c], buf, sizeof(buf), &peer);
        assert_true(n >= 4);
        assert_int_equal(buf[1], TFTP_OP_DATA); /* running, not acknowledged */
    }
    fd[2] = client_socket();
    client_rrq(&r, fd[2]);
    ssize_t n = client_recv(fd[2], buf, sizeof(buf), &peer);
    assert_true(n >= 4);
    assert_int_equal(buf[1], TFTP_OP_ERROR);
    assert_int_equal(buf[2] << 8 | buf[3], TFTP_ERROR_UNDEFINED);
    struct tftp_server_stats st;
    assert_int_equal(tftp_server_get_stats(r.srv, &st), 0);
    assert_int_equal(st.busy, 1);
    assert_int_equal(st.active, 2);
    assert_int_equal(st.transfers_started, 2);
    for (size_t c = 0; c < 3; c++)
        close(fd[c]);
    rig_down(&r); /* abandons the two running transfers */
}

static void test_tftp_server_new_rejects(void **state)
{
    (void)state;
    struct tftp_server *s = NULL;
    struct tftp_limits bad = TFTP_LIMITS_DEFAULT;
    bad.blksize_max = 4;
    assert_int_equal(tftp_server_new(&s, NULL), -EINVAL);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = ""}), -EINVAL);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/nonexistent",
                                                                    .port_zero = true}),
                     -ENOENT);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true,
                                                                    .limits = &bad}),
                     -EINVAL);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true,
                                                                    .bind_interface = "nosuchif0"}),
                     -ENODEV);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true,
                                                                    .workers = 9}),
                     -EINVAL);
    assert_null(s);
    assert_null(tftp_server_free(NULL));
    assert_int_equal(tftp_server_workers(NULL), 0);
    /* Single-port mode has one worker whatever is asked; 0 = per CPU. */
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true,
                                                                    .single_port = true,
                                                                    .workers = 4}),
                     0);
    assert_int_equal(tftp_server_workers(s), 1);
    s = tftp_server_free(s);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true}),
                     0);
    assert_true(tftp_server_workers(s) >= 1 && tftp_server_workers(s) <= 8);
    s = tftp_server_free(s);
    /* 0 = one per CPU the caller may run on: confined to one CPU, one. */
    cpu_set_t was, one;
    assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &was)) {
            CPU_SET(c, &one);
            break;
        }
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    assert_int_equal(tftp_server_new(&s, &(struct tftp_server_opts){.ipxe_dir = "/tmp",
                                                                    .port_zero = true}),
                     0);
    assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
    assert_int_equal(tftp_server_workers(s), 1);
    s = tftp_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tftp_server_transfers),
            cmocka_unit_test(test_tftp_server_errors),
            cmocka_unit_test(test_tftp_server_workers_concurrent),
            cmocka_unit_test(test_tftp_server_busy_across_workers),
            cmocka_unit_test(test_tftp_server_new_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
