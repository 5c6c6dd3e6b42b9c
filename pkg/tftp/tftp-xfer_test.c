/* SPDX-License-Identifier: Apache-2.0 */
/* The transfer state machine of pkg/tftp, driven with a fake clock and a
 * synthetic file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp-internal.h"
#include "tftp/tftp-test.h"

#define BLK TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE)
#define TMO TFTP_OPTION_BIT(TFTP_OPTION_TIMEOUT)
#define TSZ TFTP_OPTION_BIT(TFTP_OPTION_TSIZE)
#define WIN TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE)

#define T0 1000000u /* the fake clock's start, ms */

/* A file that exists only as a function of the offset, so a 32 MiB transfer
 * needs no 32 MiB buffer. Every block of 512 differs from its neighbours. */
static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off ^ (off >> 9) ^ (off >> 17) ^ 0x5a);
}

struct fake_file {
    const uint8_t *content; /* NULL: pattern() */
    uint64_t size;          /* bytes the read callback really has */
    size_t max_read;        /* 0: no limit; else short reads of at most this */
    int fail;               /* nonzero: every read returns this */
    uint64_t reads;
};

static int fake_read(void *userdata, uint64_t offset, void *buf, size_t len)
{
    struct fake_file *f = userdata;
    uint8_t *b = buf;

    f->reads++;
    if (f->fail)
        return f->fail;
    if (offset >= f->size)
        return 0;
    size_t n = (size_t)MIN((uint64_t)len, f->size - offset);
    if (f->max_read && n > f->max_read)
        n = f->max_read;
    for (size_t i = 0; i < n; i++)
        b[i] = f->content ? f->content[offset + i] : pattern(offset + i);
    return (int)n;
}

static struct tftp_request rrq(enum tftp_mode mode, struct tftp_options opts)
{
    return (struct tftp_request){
            .opcode = TFTP_OP_RRQ,
            .filename = "ipxe.efi",
            .filename_len = 8,
            .mode = mode,
            .options = opts,
    };
}

/* The table case being run, named in the helpers' failure messages. */
static const char *case_name = "-";

static int send_ack(struct tftp_xfer *x, uint16_t block, uint64_t now)
{
    uint8_t ack[4];
    size_t len;

    check_case_int(tftp_packet_write_ack(ack, sizeof(ack), block, &len), 0, case_name);
    return tftp_xfer_handle_packet(x, ack, len, now);
}

/* Pulls the next packet and decodes it; fails the test if there is none. */
static void pull(struct tftp_xfer *x, uint8_t *buf, size_t cap, struct tftp_packet *p)
{
    size_t len = 0;

    check_case_int(tftp_xfer_next_packet(x, buf, cap, &len), 0, case_name);
    check_case(len <= cap, case_name);
    check_case_int(tftp_packet_parse(buf, len, p, NULL), 0, case_name);
}

static void pull_data(struct tftp_xfer *x, uint8_t *buf, size_t cap, uint16_t block, size_t n)
{
    struct tftp_packet p;

    pull(x, buf, cap, &p);
    check_case_int(p.opcode, TFTP_OP_DATA, case_name);
    check_case_int(p.data.block, block, case_name);
    check_case_int(p.data.len, n, case_name);
}

static void assert_nothing_to_send(struct tftp_xfer *x, uint8_t *buf, size_t cap)
{
    size_t len = 12345;

    check_case_int(tftp_xfer_next_packet(x, buf, cap, &len), -EAGAIN, case_name);
    check_case_int(len, 12345, case_name);
}

struct drive_result {
    uint64_t blocks; /* DATA packets received in order */
    uint64_t bytes;
    uint64_t rollovers; /* wire block number went 65535 -> 0 */
};

/* A well-behaved client: takes the OACK if any, then every window in order,
 * checks each block against the file and ACKs the last block of each window.
 * With sink, the payload is collected there instead of checked. */
static void drive(struct tftp_xfer *x,
                  const struct fake_file *f,
                  uint8_t *sink,
                  size_t sink_cap,
                  struct drive_result *res)
{
    size_t cap = tftp_xfer_packet_size(x);
    uint8_t *buf = malloc(cap);
    uint16_t blksize = tftp_xfer_get_blksize(x), window = tftp_xfer_get_windowsize(x);
    uint64_t now = T0, expect = 1;
    struct tftp_packet p;

    check_case(buf != NULL, case_name);
    *res = (struct drive_result){0};
    if (tftp_xfer_get_state(x) == TFTP_XFER_OACK) {
        pull(x, buf, cap, &p);
        check_case_int(p.opcode, TFTP_OP_OACK, case_name);
        assert_nothing_to_send(x, buf, cap);
        check_case_int(send_ack(x, 0, ++now), 1, case_name);
    }
    while (!tftp_xfer_done(x)) {
        unsigned got = 0;
        bool last = false;
        size_t len;
        int r;

        for (;;) {
            r = tftp_xfer_next_packet(x, buf, cap, &len);
            if (r != 0)
                break;
            check_case_int(tftp_packet_parse(buf, len, &p, NULL), 0, case_name);
            check_case_int(p.opcode, TFTP_OP_DATA, case_name);
            check_case_int(p.data.block, (uint16_t)expect, case_name);
            check_case(p.data.len <= blksize, case_name);
            if (sink) {
                check_case(res->bytes + p.data.len <= sink_cap, case_name);
                memcpy(sink + res->bytes, p.data.data, p.data.len);
            } else {
                uint64_t off = (expect - 1) * blksize;
                check_case_int(p.data.len, MIN((uint64_t)blksize, f->size - off), case_name);
                for (size_t i = 0; i < p.data.len; i++)
                    if (p.data.data[i] != pattern(off + i))
                        fail_msg("case \"%s\": block %llu byte %zu differs", case_name,
                                 (unsigned long long)expect, i);
            }
            if (p.data.block == 0)
                res->rollovers++;
            res->bytes += p.data.len;
            res->blocks++;
            expect++;
            got++;
            last = p.data.len < blksize;
        }
        check_case_int(r, -EAGAIN, case_name);
        check_case(got >= 1 && got <= window, case_name);
        check_case(last || got == window, case_name);
        check_case_int(send_ack(x, (uint16_t)(expect - 1), ++now), 1, case_name);
    }
    check_case_int(tftp_xfer_get_state(x), TFTP_XFER_DONE, case_name);
    check_case_int(tftp_xfer_get_error(x), 0, case_name);
    check_case(tftp_xfer_next_timeout_ms(x) == UINT64_MAX, case_name);
    assert_nothing_to_send(x, buf, cap);
    free(buf);
}

struct size_case {
    uint64_t size;
    struct tftp_options opts;
    size_t max_read;
};

static const struct size_case size_cases[] = {
        {0, {0}, 0},
        {511, {0}, 0},
        {512, {0}, 0},
        {513, {0}, 0},
        {1024, {0}, 0},
        {1 << 20, {0}, 0},
        {0, {.present = BLK | TSZ, .blksize = 1432}, 0},
        {1431, {.present = BLK | TSZ, .blksize = 1432}, 0},
        {1432, {.present = BLK | TSZ, .blksize = 1432}, 0},
        {74213, {.present = BLK | TSZ, .blksize = 1432}, 0},
        {1 << 20, {.present = BLK, .blksize = 1468}, 0},
        {1 << 20, {.present = BLK, .blksize = 9000}, 0}, /* clamped to 1468 */
        {0, {.present = WIN, .windowsize = 4}, 0},
        {511, {.present = WIN, .windowsize = 4}, 0},
        {512, {.present = WIN, .windowsize = 4}, 0},
        {513, {.present = WIN, .windowsize = 4}, 0},
        {2048, {.present = WIN, .windowsize = 4}, 0},
        {1 << 20, {.present = WIN, .windowsize = 4}, 0},
        {1 << 20, {.present = BLK | WIN, .blksize = 8, .windowsize = 64}, 0},
        {1 << 20, {.present = WIN, .windowsize = 1000}, 0}, /* clamped to 64 */
        {100000, {.present = BLK, .blksize = 1000}, 7},     /* short reads */
};

static void test_xfer_whole_transfer_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(size_cases); i++) {
        const struct size_case *c = &size_cases[i];
        struct fake_file f = {.size = c->size, .max_read = c->max_read};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, c->opts);
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        struct drive_result res;
        char name[80];

        snprintf(name, sizeof(name), "size %llu options %#x blksize %u window %u",
                 (unsigned long long)c->size, c->opts.present, c->opts.blksize,
                 c->opts.windowsize);
        case_name = name;
        check_case_int(tftp_xfer_new(&x, &req, NULL, c->size, fake_read, &f, T0), 0, name);
        check_case_int(tftp_xfer_get_state(x),
                       c->opts.present ? TFTP_XFER_OACK : TFTP_XFER_DATA, name);
        drive(x, &f, NULL, 0, &res);
        uint16_t blk = tftp_xfer_get_blksize(x);
        check_case(res.bytes == c->size, name);
        check_case(res.blocks == c->size / blk + 1, name);
        const struct tftp_xfer_stats *st = tftp_xfer_get_stats(x);
        check_case(st->packets_sent == res.blocks + (c->opts.present ? 1 : 0), name);
        check_case(st->blocks_resent == 0, name);
        check_case(st->timeouts == 0, name);
        check_case(st->acks_ignored == 0, name);
    }
    case_name = "-";
}

static void test_xfer_block_rollover(void **state)
{
    (void)state;
    /* 65538 blocks of 512: past 32 MiB the wire number wraps 65535 -> 0. */
    static const uint16_t windows[] = {1, 4};
    for (size_t i = 0; i < ARRAY_SIZE(windows); i++) {
        uint64_t size = 65537ull * 512 + 100;
        struct fake_file f = {.size = size};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        struct drive_result res;

        case_name = windows[i] > 1 ? "rollover window 4" : "rollover lock step";
        if (windows[i] > 1)
            req.options = (struct tftp_options){.present = WIN, .windowsize = windows[i]};
        assert_int_equal(tftp_xfer_new(&x, &req, NULL, size, fake_read, &f, T0), 0);
        drive(x, &f, NULL, 0, &res);
        assert_true(res.blocks == 65538);
        assert_true(res.bytes == size);
        assert_true(res.rollovers == 1);
    }
    case_name = "-";
}

static void test_xfer_rollover_ack_mapping(void **state)
{
    (void)state;
    /* Around the wrap, ACK 0 means block 65536 and ACK 65535 is the past. */
    uint64_t size = 65540ull * 512;
    struct fake_file f = {.size = size};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[1024];
    uint64_t now = T0;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, size, fake_read, &f, now), 0);
    for (uint32_t k = 1; k <= 65535; k++) {
        pull_data(x, buf, sizeof(buf), (uint16_t)k, 512);
        assert_int_equal(send_ack(x, (uint16_t)k, ++now), 1);
    }
    pull_data(x, buf, sizeof(buf), 0, 512); /* block 65536 */
    assert_int_equal(send_ack(x, 65535, ++now), 0);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_int_equal(send_ack(x, 0, ++now), 1);
    pull_data(x, buf, sizeof(buf), 1, 512); /* block 65537 */
    assert_int_equal(send_ack(x, 0, ++now), 0);
    assert_int_equal(send_ack(x, 2, ++now), 0); /* not sent yet */
    assert_int_equal(send_ack(x, 1, ++now), 1);
    pull_data(x, buf, sizeof(buf), 2, 512);
}

static void test_xfer_oack_contents(void **state)
{
    (void)state;
    struct fake_file f = {.size = 74213};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){
                                                           .present = BLK | TMO | TSZ | WIN,
                                                           .blksize = 1432,
                                                           .timeout = 3,
                                                           .tsize = 0,
                                                           .windowsize = 8,
                                                   });
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[2048];
    struct tftp_packet p;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    assert_int_equal(tftp_xfer_get_blksize(x), 1432);
    assert_int_equal(tftp_xfer_get_windowsize(x), 8);
    assert_true(tftp_xfer_get_timeout_ms(x) == 3000);
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 3000);
    assert_int_equal(tftp_xfer_packet_size(x), 1436);
    pull(x, buf, sizeof(buf), &p);
    assert_int_equal(p.opcode, TFTP_OP_OACK);
    assert_int_equal(p.oack.present, BLK | TMO | TSZ | WIN);
    assert_int_equal(p.oack.blksize, 1432);
    assert_int_equal(p.oack.timeout, 3);
    assert_true(p.oack.tsize == 74213);
    assert_int_equal(p.oack.windowsize, 8);
    assert_int_equal(f.reads, 0);
    assert_nothing_to_send(x, buf, sizeof(buf));
    /* Only ACK 0 accepts the OACK. */
    assert_int_equal(send_ack(x, 1, T0 + 1), 0);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_OACK);
    assert_int_equal(send_ack(x, 0, T0 + 2), 1);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DATA);
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 2 + 3000);
    for (uint16_t k = 1; k <= 8; k++)
        pull_data(x, buf, sizeof(buf), k, 1432);
    assert_nothing_to_send(x, buf, sizeof(buf));
}

static void test_xfer_unknown_options_only_means_no_oack(void **state)
{
    (void)state;
    static const uint8_t pkt[] = "\x00\x01ipxe.efi\0octet\0multicast\0\0rollover\0" "0\0";
    struct fake_file f = {.size = 10};
    struct tftp_request req;
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[600];

    assert_int_equal(tftp_request_parse(pkt, sizeof(pkt) - 1, &req, NULL), 0);
    assert_int_equal(req.options.present, 0);
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DATA);
    pull_data(x, buf, sizeof(buf), 1, 10);
    assert_int_equal(send_ack(x, 1, T0 + 1), 1);
    assert_true(tftp_xfer_done(x));
}

static void test_xfer_netascii_tsize_not_acknowledged(void **state)
{
    (void)state;
    struct fake_file f = {.content = (const uint8_t *)"a\n", .size = 2};
    struct tftp_request req = rrq(TFTP_MODE_NETASCII, (struct tftp_options){.present = TSZ});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    /* tsize was the only option and is dropped: straight to DATA 1. */
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DATA);
}

static void test_xfer_new_refuses(void **state)
{
    (void)state;
    struct fake_file f = {.size = 1};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    struct tftp_xfer *x = (struct tftp_xfer *)&f; /* must stay untouched */
    struct tftp_limits bad = TFTP_LIMITS_DEFAULT;

    req.opcode = TFTP_OP_WRQ;
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 1, fake_read, &f, T0), -EACCES);
    assert_int_equal(tftp_error_code_from_errno(-EACCES), TFTP_ERROR_ACCESS);
    req.opcode = TFTP_OP_DATA;
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 1, fake_read, &f, T0), -EINVAL);
    req.opcode = TFTP_OP_RRQ;
    req.options = (struct tftp_options){.present = BLK, .blksize = 4};
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 1, fake_read, &f, T0), -EPROTO);
    req.options = (struct tftp_options){0};
    bad.blksize_max = 4;
    assert_int_equal(tftp_xfer_new(&x, &req, &bad, 1, fake_read, &f, T0), -EINVAL);
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 1, NULL, &f, T0), -EINVAL);
    assert_int_equal(tftp_xfer_new(NULL, &req, NULL, 1, fake_read, &f, T0), -EINVAL);
    assert_int_equal(tftp_xfer_new(&x, NULL, NULL, 1, fake_read, &f, T0), -EINVAL);
    req.mode = _TFTP_MODE_MAX;
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 1, fake_read, &f, T0), -EINVAL);
    assert_ptr_equal(x, (struct tftp_xfer *)&f);
    assert_null(tftp_xfer_free(NULL));
}

static void test_xfer_lost_ack_retransmits_after_timeout(void **state)
{
    (void)state;
    struct fake_file f = {.size = 1000};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t first[600], again[600];
    size_t len1, len2;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 1000);
    assert_int_equal(tftp_xfer_next_packet(x, first, sizeof(first), &len1), 0);
    /* The ACK is lost. Before the deadline nothing happens. */
    assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 999), 0);
    assert_nothing_to_send(x, again, sizeof(again));
    assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 1000), 1);
    assert_int_equal(tftp_xfer_next_packet(x, again, sizeof(again), &len2), 0);
    assert_int_equal(len1, len2);
    assert_memory_equal(first, again, len1);
    assert_nothing_to_send(x, again, sizeof(again));
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 2000);
    assert_true(tftp_xfer_get_stats(x)->blocks_resent == 1);
    assert_true(tftp_xfer_get_stats(x)->timeouts == 1);
    /* The ACK arrives: the next block goes out, the timer restarts. */
    assert_int_equal(send_ack(x, 1, T0 + 1500), 1);
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 2500);
    pull_data(x, again, sizeof(again), 2, 488);
    assert_int_equal(send_ack(x, 2, T0 + 1600), 1);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DONE);
}

static void test_xfer_lost_final_ack_resends_final_block(void **state)
{
    (void)state;
    struct fake_file f = {.size = 512};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[600];

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    pull_data(x, buf, sizeof(buf), 1, 512);
    assert_int_equal(send_ack(x, 1, T0 + 1), 1);
    pull_data(x, buf, sizeof(buf), 2, 0); /* the empty final block */
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 1001), 1);
    pull_data(x, buf, sizeof(buf), 2, 0);
    assert_int_equal(send_ack(x, 2, T0 + 1002), 1);
    assert_true(tftp_xfer_done(x));
    assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 99999), 0);
    assert_int_equal(send_ack(x, 2, T0 + 99999), 0);
}

static void test_xfer_duplicate_ack_ignored(void **state)
{
    (void)state;
    struct fake_file f = {.size = 2000};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[600];

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    /* An ACK 0 before anything was acknowledged repeats nothing. */
    assert_int_equal(send_ack(x, 0, T0), 0);
    pull_data(x, buf, sizeof(buf), 1, 512);
    assert_int_equal(send_ack(x, 1, T0 + 10), 1);
    pull_data(x, buf, sizeof(buf), 2, 512);
    /* A delayed copy of ACK 1: no resend of block 2 (Sorcerer's
     * Apprentice), and the timer keeps running from the real progress. */
    assert_int_equal(send_ack(x, 1, T0 + 500), 0);
    assert_int_equal(send_ack(x, 1, T0 + 600), 0);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_true(tftp_xfer_next_timeout_ms(x) == T0 + 1010);
    /* An ACK for a block not sent yet, and a stale one, are ignored too. */
    assert_int_equal(send_ack(x, 3, T0 + 700), 0);
    assert_int_equal(send_ack(x, 40000, T0 + 700), 0);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_true(tftp_xfer_get_stats(x)->acks_ignored == 5);
    assert_true(tftp_xfer_get_stats(x)->blocks_resent == 0);
    assert_int_equal(send_ack(x, 2, T0 + 800), 1);
    pull_data(x, buf, sizeof(buf), 3, 512);
}

static void test_xfer_gives_up_after_retries(void **state)
{
    (void)state;
    static const struct tftp_options opts[] = {
            {0},                         /* lock step, DATA 1 lost */
            {.present = BLK, .blksize = 1024}, /* OACK lost */
    };
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        struct fake_file f = {.size = 5000};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, opts[i]);
        struct tftp_limits lim = TFTP_LIMITS_DEFAULT;
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        uint8_t buf[1100], first[1100];
        size_t len, first_len;
        uint64_t now = T0;

        lim.retries_max = 5;
        lim.timeout_ms = 250;
        assert_int_equal(tftp_xfer_new(&x, &req, &lim, f.size, fake_read, &f, now), 0);
        assert_int_equal(tftp_xfer_next_packet(x, first, sizeof(first), &first_len), 0);
        for (int retry = 1; retry <= 5; retry++) {
            now = tftp_xfer_next_timeout_ms(x);
            assert_true(now == T0 + 250ull * (uint64_t)retry);
            assert_int_equal(tftp_xfer_handle_timeout(x, now), 1);
            assert_int_equal(tftp_xfer_next_packet(x, buf, sizeof(buf), &len), 0);
            assert_int_equal(len, first_len);
            assert_memory_equal(buf, first, len);
            assert_nothing_to_send(x, buf, sizeof(buf));
        }
        assert_int_equal(tftp_xfer_handle_timeout(x, tftp_xfer_next_timeout_ms(x)), -ETIMEDOUT);
        assert_true(tftp_xfer_done(x));
        assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_FAILED);
        assert_int_equal(tftp_xfer_get_error(x), -ETIMEDOUT);
        assert_true(tftp_xfer_next_timeout_ms(x) == UINT64_MAX);
        assert_true(tftp_xfer_get_stats(x)->timeouts == 6);
        assert_true(tftp_xfer_get_stats(x)->packets_sent == 6);
        assert_nothing_to_send(x, buf, sizeof(buf));
        /* A late ACK does not revive it. */
        assert_int_equal(send_ack(x, (uint16_t)(i == 0 ? 1 : 0), now + 1), 0);
        assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_FAILED);
    }
}

static void test_xfer_progress_resets_retries(void **state)
{
    (void)state;
    struct fake_file f = {.size = 3 * 512 + 1};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    struct tftp_limits lim = TFTP_LIMITS_DEFAULT;
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[600];

    lim.retries_max = 1;
    assert_int_equal(tftp_xfer_new(&x, &req, &lim, f.size, fake_read, &f, T0), 0);
    for (uint16_t k = 1; k <= 4; k++) {
        pull_data(x, buf, sizeof(buf), k, k < 4 ? 512 : 1);
        /* Each block needs its one retry; progress refills the budget. */
        assert_int_equal(tftp_xfer_handle_timeout(x, tftp_xfer_next_timeout_ms(x)), 1);
        pull_data(x, buf, sizeof(buf), k, k < 4 ? 512 : 1);
        assert_int_equal(send_ack(x, k, tftp_xfer_next_timeout_ms(x) - 1), 1);
    }
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DONE);
}

static void test_xfer_windowsize_4(void **state)
{
    (void)state;
    struct fake_file f = {.size = 10 * 512 + 3};
    struct tftp_request req =
            rrq(TFTP_MODE_OCTET, (struct tftp_options){.present = WIN, .windowsize = 4});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[600];
    struct tftp_packet p;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    pull(x, buf, sizeof(buf), &p);
    assert_int_equal(p.opcode, TFTP_OP_OACK);
    assert_int_equal(p.oack.windowsize, 4);
    assert_int_equal(send_ack(x, 0, T0 + 1), 1);

    /* A whole window goes out before the server waits. */
    for (uint16_t k = 1; k <= 4; k++)
        pull_data(x, buf, sizeof(buf), k, 512);
    assert_nothing_to_send(x, buf, sizeof(buf));

    /* RFC 7440: the client got 1 and 2 only; the next window starts at 3. */
    assert_int_equal(send_ack(x, 2, T0 + 2), 1);
    for (uint16_t k = 3; k <= 6; k++)
        pull_data(x, buf, sizeof(buf), k, 512);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_true(tftp_xfer_get_stats(x)->blocks_resent == 2);

    /* A timeout resends the whole unacknowledged window. */
    assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 2 + 1000), 1);
    for (uint16_t k = 3; k <= 6; k++)
        pull_data(x, buf, sizeof(buf), k, 512);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_true(tftp_xfer_get_stats(x)->blocks_resent == 6);

    /* A duplicate of the window's ACK changes nothing. */
    assert_int_equal(send_ack(x, 2, T0 + 1100), 0);
    assert_nothing_to_send(x, buf, sizeof(buf));

    assert_int_equal(send_ack(x, 6, T0 + 1200), 1);
    for (uint16_t k = 7; k <= 10; k++)
        pull_data(x, buf, sizeof(buf), k, 512);
    assert_nothing_to_send(x, buf, sizeof(buf));
    /* The last window is cut short by the end of the file. */
    assert_int_equal(send_ack(x, 10, T0 + 1300), 1);
    pull_data(x, buf, sizeof(buf), 11, 3);
    assert_nothing_to_send(x, buf, sizeof(buf));
    assert_int_equal(send_ack(x, 11, T0 + 1400), 1);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DONE);
}

static void test_xfer_client_error_aborts(void **state)
{
    (void)state;
    static const uint8_t err[] = "\x00\x05\x00\x08" "blksize refused\0";
    static const bool in_oack[] = {false, true};
    for (size_t i = 0; i < ARRAY_SIZE(in_oack); i++) {
        struct fake_file f = {.size = 5000};
        struct tftp_options o = {.present = BLK, .blksize = 1000};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, in_oack[i] ? o : (struct tftp_options){0});
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        uint8_t buf[1100];
        size_t len;

        assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
        assert_int_equal(tftp_xfer_next_packet(x, buf, sizeof(buf), &len), 0);
        assert_int_equal(tftp_xfer_handle_packet(x, err, sizeof(err) - 1, T0 + 1), -ECONNRESET);
        assert_true(tftp_xfer_done(x));
        assert_int_equal(tftp_xfer_get_error(x), -ECONNRESET);
        /* An ERROR is never answered. */
        assert_nothing_to_send(x, buf, sizeof(buf));
        assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 100000), 0);
        assert_int_equal(tftp_xfer_handle_packet(x, err, sizeof(err) - 1, T0 + 2), 0);
    }
}

static void test_xfer_handle_packet_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const uint8_t *pkt;
        size_t len;
        int ret;
    } cases[] = {
#define P(s) (const uint8_t *)(s), sizeof(s) - 1
            {"empty", P(""), -EBADMSG},
            {"one byte", P("\x04"), -EBADMSG},
            {"short ack", P("\x00\x04\x00"), -EBADMSG},
            {"bad opcode", P("\x00\x63\x00\x01"), -EBADMSG},
            {"bad oack", P("\x00\x06" "blksize\0" "1\0"), -EBADMSG},
            {"data", P("\x00\x03\x00\x01" "abc"), 0},
            {"rrq", P("\x00\x01ipxe.efi\0octet\0"), 0},
            {"wrq", P("\x00\x02ipxe.efi\0octet\0"), 0},
            {"oack", P("\x00\x06"), 0},
            {"future ack", P("\x00\x04\x00\x09"), 0},
#undef P
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_file f = {.size = 5000};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        uint8_t buf[600];

        case_name = cases[i].name;
        check_case_int(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0, case_name);
        pull_data(x, buf, sizeof(buf), 1, 512);
        check_case_int(tftp_xfer_handle_packet(x, cases[i].pkt, cases[i].len, T0 + 5),
                       cases[i].ret, case_name);
        /* Nothing moved: no resend, same timer, still sending. */
        assert_nothing_to_send(x, buf, sizeof(buf));
        check_case(tftp_xfer_next_timeout_ms(x) == T0 + 1000, case_name);
        check_case_int(tftp_xfer_get_state(x), TFTP_XFER_DATA, case_name);
        check_case_int(send_ack(x, 1, T0 + 6), 1, case_name);
        pull_data(x, buf, sizeof(buf), 2, 512);
    }
    case_name = "-";
}

static void test_xfer_read_errors_fail_with_error_packet(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint64_t real_size; /* what the callback has */
        int fail;
        int error;
        uint16_t code;
        uint16_t fails_at_block;
    } cases[] = {
            {"read error", 5000, -EIO, -EIO, TFTP_ERROR_UNDEFINED, 1},
            {"file vanished", 5000, -ENOENT, -ENOENT, TFTP_ERROR_NOT_FOUND, 1},
            {"file shrank", 700, 0, -EIO, TFTP_ERROR_UNDEFINED, 2},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_file f = {.size = cases[i].real_size, .fail = cases[i].fail};
        struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        uint8_t buf[600];
        struct tftp_packet p;

        case_name = cases[i].name;
        check_case_int(tftp_xfer_new(&x, &req, NULL, 5000, fake_read, &f, T0), 0, case_name);
        for (uint16_t k = 1; k < cases[i].fails_at_block; k++) {
            pull_data(x, buf, sizeof(buf), k, 512);
            check_case_int(send_ack(x, k, T0 + k), 1, case_name);
        }
        pull(x, buf, sizeof(buf), &p);
        check_case_int(p.opcode, TFTP_OP_ERROR, case_name);
        check_case_int(p.error.code, cases[i].code, case_name);
        check_case(p.error.msg_len > 0, case_name);
        check_case(tftp_xfer_done(x), case_name);
        check_case_int(tftp_xfer_get_state(x), TFTP_XFER_FAILED, case_name);
        check_case_int(tftp_xfer_get_error(x), cases[i].error, case_name);
        assert_nothing_to_send(x, buf, sizeof(buf));
    }
    case_name = "-";
}

static void test_xfer_next_packet_needs_room(void **state)
{
    (void)state;
    struct fake_file f = {.size = 5000};
    struct tftp_request req =
            rrq(TFTP_MODE_OCTET, (struct tftp_options){.present = BLK, .blksize = 8});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[200];
    size_t len = 7;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    /* blksize 8 still asks for room for the OACK. */
    assert_int_equal(tftp_xfer_packet_size(x), TFTP_PACKET_MIN);
    assert_int_equal(tftp_xfer_next_packet(x, buf, TFTP_PACKET_MIN - 1, &len), -ENOBUFS);
    assert_int_equal(len, 7);
    assert_int_equal(tftp_xfer_next_packet(x, buf, TFTP_PACKET_MIN, &len), 0);
    assert_int_equal(tftp_xfer_next_packet(NULL, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(tftp_xfer_next_packet(x, NULL, sizeof(buf), &len), -EINVAL);
    assert_int_equal(tftp_xfer_next_packet(x, buf, sizeof(buf), NULL), -EINVAL);
    assert_int_equal(tftp_xfer_handle_packet(NULL, buf, 4, T0), -EINVAL);
    assert_int_equal(tftp_xfer_handle_packet(x, NULL, 4, T0), -EINVAL);
    assert_int_equal(tftp_xfer_handle_timeout(NULL, T0), -EINVAL);
}

static void test_xfer_timer_saturates(void **state)
{
    (void)state;
    struct fake_file f = {.size = 1};
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, UINT64_MAX - 10), 0);
    assert_true(tftp_xfer_next_timeout_ms(x) == UINT64_MAX - 1);
    assert_int_equal(tftp_xfer_handle_timeout(x, UINT64_MAX - 2), 0);
    assert_int_equal(tftp_xfer_handle_timeout(x, UINT64_MAX - 1), 1);
    assert_true(tftp_xfer_next_timeout_ms(x) == UINT64_MAX - 1);
}

struct netascii_case {
    const char *name;
    const char *in;
    uint16_t blksize;
    const char *out;
    size_t out_len;
    uint64_t blocks;
};

#define OUT(s) s, sizeof(s) - 1

static const struct netascii_case netascii_cases[] = {
        {"empty", "", 8, OUT(""), 1},
        {"plain", "abc", 8, OUT("abc"), 1},
        {"lf and cr", "a\nb\rc", 8, OUT("a\r\nb\r\0c"), 1},
        {"crlf in file", "a\r\n", 8, OUT("a\r\0\r\n"), 1},
        {"exactly a block", "1234567\n", 16, OUT("1234567\r\n"), 1},
        {"pair split over blocks", "1234567\n", 8, OUT("1234567\r\n"), 2},
        {"cr split over blocks", "1234567\rx", 8, OUT("1234567\r\0x"), 2},
        {"fills block exactly", "123456\n", 8, OUT("123456\r\n"), 2},
        {"all newlines", "\n\n\n\n\n\n\n\n\n", 8, OUT("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"),
         3},
};

static void test_xfer_netascii_translation(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(netascii_cases); i++) {
        const struct netascii_case *c = &netascii_cases[i];
        struct fake_file f = {.content = (const uint8_t *)c->in, .size = strlen(c->in)};
        struct tftp_request req = rrq(TFTP_MODE_NETASCII,
                                      (struct tftp_options){.present = BLK, .blksize = c->blksize});
        _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
        uint8_t sink[64];
        struct drive_result res;

        case_name = c->name;
        check_case_int(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0, case_name);
        drive(x, &f, sink, sizeof(sink), &res);
        check_case_int(res.bytes, c->out_len, case_name);
        check_case(memcmp(sink, c->out, c->out_len) == 0, case_name);
        check_case(res.blocks == c->blocks, case_name);
    }
    case_name = "-";
}

static void test_xfer_netascii_resend_after_split(void **state)
{
    (void)state;
    /* The CR LF pair straddles blocks 1 and 2; resending block 2 after a
     * timeout must start with the owed LF again. */
    struct fake_file f = {.content = (const uint8_t *)"1234567\nab", .size = 10};
    struct tftp_request req =
            rrq(TFTP_MODE_NETASCII, (struct tftp_options){.present = BLK, .blksize = 8});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t buf[TFTP_PACKET_MIN];
    struct tftp_packet p;

    assert_int_equal(tftp_xfer_new(&x, &req, NULL, f.size, fake_read, &f, T0), 0);
    pull(x, buf, sizeof(buf), &p);
    assert_int_equal(send_ack(x, 0, T0 + 1), 1);
    pull_data(x, buf, sizeof(buf), 1, 8);
    assert_int_equal(send_ack(x, 1, T0 + 2), 1);
    for (int round = 0; round < 2; round++) {
        pull(x, buf, sizeof(buf), &p);
        assert_int_equal(p.data.block, 2);
        assert_int_equal(p.data.len, 3);
        assert_memory_equal(p.data.data, "\nab", 3);
        if (round == 0)
            assert_int_equal(tftp_xfer_handle_timeout(x, T0 + 2000), 1);
    }
    assert_int_equal(send_ack(x, 2, T0 + 2001), 1);
    assert_int_equal(tftp_xfer_get_state(x), TFTP_XFER_DONE);
}

static void test_read_pread(void **state)
{
    (void)state;
    FILE *tmp = tmpfile();
    uint8_t buf[16];
    int fd, bad = -1;

    assert_non_null(tmp);
    fd = fileno(tmp);
    assert_int_equal(write(fd, "hello world", 11), 11);
    assert_int_equal(tftp_read_pread(&fd, 6, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "world", 5);
    assert_int_equal(tftp_read_pread(&fd, 11, buf, sizeof(buf)), 0);
    assert_int_equal(tftp_read_pread(&fd, UINT64_MAX, buf, sizeof(buf)), -EOVERFLOW);
    assert_int_equal(tftp_read_pread(&bad, 0, buf, sizeof(buf)), -EBADF);
    assert_int_equal(tftp_read_pread(NULL, 0, buf, sizeof(buf)), -EBADF);

    /* A whole transfer straight from the descriptor. */
    struct tftp_request req = rrq(TFTP_MODE_OCTET, (struct tftp_options){0});
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    uint8_t pkt[600];
    assert_int_equal(tftp_xfer_new(&x, &req, NULL, 11, tftp_read_pread, &fd, T0), 0);
    pull_data(x, pkt, sizeof(pkt), 1, 11);
    assert_memory_equal(pkt + 4, "hello world", 11);
    fclose(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_xfer_whole_transfer_sizes),
            cmocka_unit_test(test_xfer_block_rollover),
            cmocka_unit_test(test_xfer_rollover_ack_mapping),
            cmocka_unit_test(test_xfer_oack_contents),
            cmocka_unit_test(test_xfer_unknown_options_only_means_no_oack),
            cmocka_unit_test(test_xfer_netascii_tsize_not_acknowledged),
            cmocka_unit_test(test_xfer_new_refuses),
            cmocka_unit_test(test_xfer_lost_ack_retransmits_after_timeout),
            cmocka_unit_test(test_xfer_lost_final_ack_resends_final_block),
            cmocka_unit_test(test_xfer_duplicate_ack_ignored),
            cmocka_unit_test(test_xfer_gives_up_after_retries),
            cmocka_unit_test(test_xfer_progress_resets_retries),
            cmocka_unit_test(test_xfer_windowsize_4),
            cmocka_unit_test(test_xfer_client_error_aborts),
            cmocka_unit_test(test_xfer_handle_packet_table),
            cmocka_unit_test(test_xfer_read_errors_fail_with_error_packet),
            cmocka_unit_test(test_xfer_next_packet_needs_room),
            cmocka_unit_test(test_xfer_timer_saturates),
            cmocka_unit_test(test_xfer_netascii_translation),
            cmocka_unit_test(test_xfer_netascii_resend_after_split),
            cmocka_unit_test(test_read_pread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
