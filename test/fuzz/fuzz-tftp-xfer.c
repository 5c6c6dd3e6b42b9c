/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One pkg/tftp transfer driven by the fuzz input: a header picks the
 * request options, limits and file, then every following byte is an event
 * (drain the send queue, timer expiry, clock step, ACKs good, relative or
 * raw, arbitrary datagrams, ERROR). After each event the state machine's
 * invariants are checked, and every DATA block sent is checked against the
 * file.
 *
 * Header (11 bytes, missing bytes read as 0):
 *   0      flags: 1 netascii, 2 blksize, 4 windowsize, 8 tsize, 16 timeout,
 *          32 read error at the fail offset, 64 short reads
 *   1..2   blksize requested, 8 + v % 1500
 *   3      windowsize requested, 1 + v % 16
 *   4..6   file size, 24 bits
 *   7      retries_max, v % 8
 *   8      limits: bits 0-1 pick blksize_max, bits 2-3 windowsize_max
 *   9..10  fail offset (x 16)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp-internal.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t next_byte(struct input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

static uint16_t next_u16(struct input *in)
{
    uint16_t hi = next_byte(in);
    return (uint16_t)((hi << 8) | next_byte(in));
}

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off ^ (off >> 9) ^ (off >> 17) ^ 0x5a);
}

struct file {
    uint64_t size;
    bool short_reads;
    bool fail;
    uint64_t fail_offset;
};

static int file_read(void *userdata, uint64_t offset, void *buf, size_t len)
{
    const struct file *f = userdata;
    uint8_t *b = buf;

    if (f->fail && offset + len > f->fail_offset)
        return -EIO;
    if (offset >= f->size)
        return 0;
    size_t n = (size_t)MIN((uint64_t)len, f->size - offset);
    if (f->short_reads && n > 3)
        n = 3;
    for (size_t i = 0; i < n; i++)
        b[i] = pattern(offset + i);
    return (int)n;
}

struct client {
    uint64_t now;
    uint16_t last_block; /* wire number of the last DATA seen */
};

static void check_invariants(const struct tftp_xfer *x)
{
    bool done = tftp_xfer_done(x);

    check(x->base >= 1 && x->base <= x->next);
    check(x->next - x->base <= x->windowsize);
    check(x->final == 0 || x->next <= x->final + 1);
    check(x->cursor.offset <= x->file_size);
    check(done == (x->state == TFTP_XFER_DONE || x->state == TFTP_XFER_FAILED));
    check(!done || tftp_xfer_next_timeout_ms(x) == UINT64_MAX);
    check(x->state != TFTP_XFER_DONE || x->error == 0);
    check(x->state != TFTP_XFER_FAILED || x->error < 0);
    check(x->retries <= x->retries_max);
}

static void check_data(const struct tftp_xfer *x, const struct tftp_packet *p)
{
    uint64_t k = x->next - 1;

    check(p->data.block == (uint16_t)k);
    check(p->data.len <= x->blksize);
    check((p->data.len < x->blksize) == (x->final == k));
    if (x->mode != TFTP_MODE_OCTET)
        return;
    uint64_t off = (k - 1) * x->blksize;
    for (size_t i = 0; i < p->data.len; i++)
        check(p->data.data[i] == pattern(off + i));
}

static void drain(struct tftp_xfer *x, struct client *c, uint8_t *buf, size_t cap)
{
    /* At most one window, plus an OACK or ERROR. */
    for (unsigned n = 0; n <= (unsigned)x->windowsize + 1; n++) {
        size_t len;
        struct tftp_packet p;
        int r = tftp_xfer_next_packet(x, buf, cap, &len);
        if (r == -EAGAIN)
            return;
        check(r == 0 && len <= cap);
        check(tftp_packet_parse(buf, len, &p, NULL) == 0);
        switch (p.opcode) {
        case TFTP_OP_DATA:
            check(x->state == TFTP_XFER_DATA);
            check_data(x, &p);
            c->last_block = p.data.block;
            break;
        case TFTP_OP_OACK:
            check(x->state == TFTP_XFER_OACK);
            check(p.oack.present == x->oack.present);
            break;
        case TFTP_OP_ERROR:
            check(x->state == TFTP_XFER_FAILED);
            break;
        default:
            abort();
        }
    }
    abort(); /* the queue never holds more than that */
}

static void send_ack(struct tftp_xfer *x, struct client *c, uint16_t block)
{
    uint8_t ack[TFTP_HEADER_SIZE];
    size_t len;

    check(tftp_packet_write_ack(ack, sizeof(ack), block, &len) == 0);
    int r = tftp_xfer_handle_packet(x, ack, len, c->now);
    check(r == 0 || r == 1);
}

static void event(struct tftp_xfer *x, struct client *c, struct input *in, uint8_t *buf, size_t cap)
{
    uint8_t raw[32];
    int r;

    switch (next_byte(in) % 8) {
    case 0:
        drain(x, c, buf, cap);
        break;
    case 1:
        if (tftp_xfer_next_timeout_ms(x) != UINT64_MAX)
            c->now = MAX(c->now, tftp_xfer_next_timeout_ms(x));
        r = tftp_xfer_handle_timeout(x, c->now);
        check(r == 0 || r == 1 || r == -ETIMEDOUT);
        break;
    case 2:
        c->now += next_byte(in) * 8u;
        r = tftp_xfer_handle_timeout(x, c->now);
        check(r == 0 || r == 1 || r == -ETIMEDOUT);
        break;
    case 3:
        send_ack(x, c, next_u16(in));
        break;
    case 4:
        send_ack(x, c, x->state == TFTP_XFER_OACK ? 0 : c->last_block);
        break;
    case 5:
        send_ack(x, c, (uint16_t)(c->last_block + (int8_t)next_byte(in)));
        break;
    case 6: {
        size_t n = next_byte(in) % sizeof(raw);
        for (size_t i = 0; i < n; i++)
            raw[i] = next_byte(in);
        r = tftp_xfer_handle_packet(x, raw, n, c->now);
        check(r == 0 || r == 1 || r == -EBADMSG || r == -ECONNRESET);
        break;
    }
    default: {
        size_t len;
        check(tftp_packet_write_error(raw, sizeof(raw), TFTP_ERROR_UNDEFINED, "x", &len) == 0);
        bool was_done = tftp_xfer_done(x);
        r = tftp_xfer_handle_packet(x, raw, len, c->now);
        check(r == (was_done ? 0 : -ECONNRESET));
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t blk_max[] = {512, 1468, 8, 65464};
    static const uint16_t win_max[] = {1, 4, 64, 16};
    struct input in = {data, size};
    struct tftp_request req = {.opcode = TFTP_OP_RRQ, .filename = "ipxe.efi", .filename_len = 8};
    struct tftp_limits lim = TFTP_LIMITS_DEFAULT;
    struct file f = {0};
    struct client c = {.now = 1000};
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;

    uint8_t flags = next_byte(&in);
    uint16_t blksize = (uint16_t)(8 + next_u16(&in) % 1500);
    uint16_t windowsize = (uint16_t)(1 + next_byte(&in) % 16);
    f.size = (uint64_t)next_byte(&in) << 16;
    f.size |= next_u16(&in);
    lim.retries_max = next_byte(&in) % 8;
    uint8_t lims = next_byte(&in);
    lim.blksize_max = blk_max[lims & 3];
    lim.windowsize_max = win_max[(lims >> 2) & 3];
    f.fail_offset = (uint64_t)next_u16(&in) * 16;
    f.fail = flags & 32;
    f.short_reads = flags & 64;

    req.mode = (flags & 1) ? TFTP_MODE_NETASCII : TFTP_MODE_OCTET;
    if (flags & 2)
        req.options.present |= TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE);
    if (flags & 4)
        req.options.present |= TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE);
    if (flags & 8)
        req.options.present |= TFTP_OPTION_BIT(TFTP_OPTION_TSIZE);
    if (flags & 16)
        req.options.present |= TFTP_OPTION_BIT(TFTP_OPTION_TIMEOUT);
    req.options.blksize = blksize;
    req.options.windowsize = windowsize;
    req.options.timeout = 1;

    check(tftp_xfer_new(&x, &req, &lim, f.size, file_read, &f, c.now) == 0);
    size_t cap = tftp_xfer_packet_size(x);
    uint8_t *buf = malloc(cap);
    if (!buf)
        return 0;
    check_invariants(x);
    while (in.left > 0) {
        event(x, &c, &in, buf, cap);
        check_invariants(x);
    }
    drain(x, &c, buf, cap);
    check_invariants(x);
    free(buf);
    return 0;
}
