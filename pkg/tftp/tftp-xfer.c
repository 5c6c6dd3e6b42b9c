/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sending side of one read request: OACK, then DATA in windows of
 * windowsize blocks (RFC 7440; 1 is RFC 1350's lock step), retransmitted
 * only when the timer expires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp-internal.h"

static uint64_t deadline_after(uint64_t now_ms, uint64_t timeout_ms)
{
    /* UINT64_MAX means "no timer": a deadline saturates just below it. */
    if (now_ms >= UINT64_MAX - 1 - timeout_ms)
        return UINT64_MAX - 1;
    return now_ms + timeout_ms;
}

static void xfer_init_sizes(struct tftp_xfer *x, const struct tftp_limits *lim)
{
    const struct tftp_options *o = &x->oack;

    x->blksize = (o->present & TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE)) ? o->blksize
                                                                     : TFTP_BLKSIZE_DEFAULT;
    x->windowsize = (o->present & TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE)) ? o->windowsize : 1;
    /* RFC 2349: the negotiated timeout is the retransmission interval. */
    x->timeout_ms = (o->present & TFTP_OPTION_BIT(TFTP_OPTION_TIMEOUT))
                            ? (uint64_t)o->timeout * 1000
                            : lim->timeout_ms;
    x->retries_max = lim->retries_max;
}

int tftp_xfer_new(struct tftp_xfer **ret,
                  const struct tftp_request *req,
                  const struct tftp_limits *lim,
                  uint64_t file_size,
                  tftp_read_fn read_fn,
                  void *userdata,
                  uint64_t now_ms)
{
    const struct tftp_limits def = TFTP_LIMITS_DEFAULT;
    _cleanup_(tftp_xfer_freep) struct tftp_xfer *x = NULL;
    int r;

    assert_return(ret, -EINVAL);
    assert_return(req, -EINVAL);
    assert_return(read_fn, -EINVAL);
    /* RFC 1350 error 2: this server never accepts files. */
    if (req->opcode == TFTP_OP_WRQ)
        return -EACCES;
    assert_return(req->opcode == TFTP_OP_RRQ, -EINVAL);
    assert_return((unsigned)req->mode < _TFTP_MODE_MAX, -EINVAL);
    if (!lim)
        lim = &def;

    x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    r = tftp_options_negotiate(&req->options, req->mode, lim, file_size, &x->oack);
    if (r < 0)
        return r;
    xfer_init_sizes(x, lim);

    x->ring = calloc(x->windowsize, sizeof(*x->ring));
    if (!x->ring)
        return -ENOMEM;
    if (req->mode == TFTP_MODE_NETASCII) {
        x->scratch = malloc(x->blksize);
        if (!x->scratch)
            return -ENOMEM;
    }

    x->mode = req->mode;
    x->file_size = file_size;
    x->read = read_fn;
    x->userdata = userdata;
    x->base = x->next = 1;
    x->cursor = (struct tftp_cursor){.offset = 0, .pending = -1};
    /* RFC 2347: with options accepted the server answers OACK, else DATA 1. */
    x->state = x->oack.present ? TFTP_XFER_OACK : TFTP_XFER_DATA;
    x->oack_pending = x->oack.present != 0;
    x->deadline_ms = deadline_after(now_ms, x->timeout_ms);
    *ret = TAKE_PTR(x);
    return 0;
}

struct tftp_xfer *tftp_xfer_free(struct tftp_xfer *x)
{
    if (!x)
        return NULL;
    free(x->ring);
    free(x->scratch);
    free(x);
    return NULL;
}

size_t tftp_xfer_packet_size(const struct tftp_xfer *x)
{
    assert_return(x, TFTP_PACKET_MIN);
    return MAX((size_t)TFTP_HEADER_SIZE + x->blksize, (size_t)TFTP_PACKET_MIN);
}

static void xfer_fail(struct tftp_xfer *x, int error, bool tell_peer)
{
    x->state = TFTP_XFER_FAILED;
    x->error = error;
    x->error_pending = tell_peer;
}

/* Reads exactly len bytes at offset. A file that ends early has changed
 * under us: -EIO. */
static int read_full(struct tftp_xfer *x, uint64_t offset, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        int r = x->read(x->userdata, offset + got, buf + got, len - got);
        if (r < 0)
            return r;
        if (r == 0 || (size_t)r > len - got)
            return -EIO;
        got += (size_t)r;
    }
    return 0;
}

static int fill_octet(struct tftp_xfer *x, struct tftp_cursor *c, uint8_t *buf, size_t *ret_n)
{
    size_t n = (size_t)MIN((uint64_t)x->blksize, x->file_size - c->offset);
    int r = read_full(x, c->offset, buf, n);
    if (r < 0)
        return r;
    c->offset += n;
    *ret_n = n;
    return 0;
}

/* RFC 764 netascii as RFC 1350 asks: LF goes out as CR LF, a bare CR as
 * CR NUL. A pair that does not fit is finished at the start of the next
 * block. */
static int fill_netascii(struct tftp_xfer *x, struct tftp_cursor *c, uint8_t *buf, size_t *ret_n)
{
    size_t n = 0;

    if (c->pending >= 0) {
        buf[n++] = (uint8_t)c->pending;
        c->pending = -1;
    }
    while (n < x->blksize && c->offset < x->file_size) {
        size_t want = (size_t)MIN((uint64_t)(x->blksize - n), x->file_size - c->offset);
        int r = read_full(x, c->offset, x->scratch, want);
        if (r < 0)
            return r;
        size_t i;
        for (i = 0; i < want && n < x->blksize; i++) {
            uint8_t b = x->scratch[i], extra;
            if (b == '\n')
                extra = '\n';
            else if (b == '\r')
                extra = '\0';
            else {
                buf[n++] = b;
                continue;
            }
            buf[n++] = '\r';
            if (n < x->blksize)
                buf[n++] = extra;
            else
                c->pending = extra;
        }
        c->offset += i;
    }
    *ret_n = n;
    return 0;
}

static bool window_open(const struct tftp_xfer *x)
{
    return x->next - x->base < x->windowsize && (x->final == 0 || x->next <= x->final);
}

static int data_next(struct tftp_xfer *x, uint8_t *out, size_t *ret_len)
{
    uint64_t k = x->next;
    struct tftp_cursor c = x->cursor;
    size_t n;
    int r;

    x->ring[k % x->windowsize] = c;
    r = x->mode == TFTP_MODE_OCTET ? fill_octet(x, &c, out + TFTP_HEADER_SIZE, &n)
                                   : fill_netascii(x, &c, out + TFTP_HEADER_SIZE, &n);
    if (r < 0) {
        xfer_fail(x, r, true);
        return r;
    }
    out[0] = 0;
    out[1] = TFTP_OP_DATA;
    out[2] = (uint8_t)((k >> 8) & 0xff); /* the low 16 bits: rolls over to 0 */
    out[3] = (uint8_t)(k & 0xff);

    /* The block shorter than blksize (possibly empty) ends the file. */
    if (n < x->blksize)
        x->final = k;
    else if (x->final == k)
        x->final = 0;
    if (k <= x->sent_max)
        x->stats.blocks_resent++;
    else
        x->sent_max = k;
    x->cursor = c;
    x->next = k + 1;
    *ret_len = TFTP_HEADER_SIZE + n;
    return 0;
}

static int error_packet(struct tftp_xfer *x, uint8_t *out, size_t cap, size_t *ret_len)
{
    enum tftp_error_code code = tftp_error_code_from_errno(x->error);
    const char *msg = code == TFTP_ERROR_UNDEFINED ? "Read error" : NULL;

    x->error_pending = false;
    return tftp_packet_write_error(out, cap, code, msg, ret_len);
}

int tftp_xfer_next_packet(struct tftp_xfer *x, void *out, size_t cap, size_t *ret_len)
{
    int r;

    assert_return(x, -EINVAL);
    assert_return(out, -EINVAL);
    assert_return(ret_len, -EINVAL);
    if (cap < tftp_xfer_packet_size(x))
        return -ENOBUFS;

    switch (x->state) {
    case TFTP_XFER_OACK:
        if (!x->oack_pending)
            return -EAGAIN;
        r = tftp_packet_write_oack(out, cap, &x->oack, ret_len);
        if (r < 0)
            return r;
        x->oack_pending = false;
        break;
    case TFTP_XFER_DATA:
        if (!window_open(x))
            return -EAGAIN;
        r = data_next(x, out, ret_len);
        if (r < 0) /* the transfer failed: send the ERROR instead */
            return tftp_xfer_next_packet(x, out, cap, ret_len);
        break;
    case TFTP_XFER_FAILED:
        if (!x->error_pending)
            return -EAGAIN;
        r = error_packet(x, out, cap, ret_len);
        if (r < 0)
            return r;
        break;
    default:
        return -EAGAIN;
    }
    x->stats.packets_sent++;
    return 0;
}

/* Progress resets the retry budget and restarts the timer. */
static void xfer_progress(struct tftp_xfer *x, uint64_t now_ms)
{
    x->retries = 0;
    x->deadline_ms = deadline_after(now_ms, x->timeout_ms);
}

static int ack_handle(struct tftp_xfer *x, uint16_t block, uint64_t now_ms)
{
    if (x->state == TFTP_XFER_OACK) {
        /* RFC 2347: the client accepts the OACK with ACK 0. */
        if (block != 0) {
            x->stats.acks_ignored++;
            return 0;
        }
        x->state = TFTP_XFER_DATA;
        x->oack_pending = false;
        xfer_progress(x, now_ms);
        return 1;
    }

    /* Blocks sent and not acknowledged are base..next-1, at most 65535 of
     * them, so the 16-bit number names one of them unambiguously. A
     * distance of 0 repeats the last ACK; one past next-1 is stale or
     * was never sent. Neither moves anything: resending on a duplicate ACK
     * is the Sorcerer's Apprentice bug (RFC 1123 4.2.3.1). */
    uint64_t acked = x->base - 1;
    uint16_t delta = (uint16_t)(block - (uint16_t)acked);
    if (delta == 0 || acked + delta >= x->next) {
        x->stats.acks_ignored++;
        return 0;
    }
    uint64_t k = acked + delta;
    x->base = k + 1;
    if (k == x->final) {
        x->state = TFTP_XFER_DONE;
        return 1;
    }
    /* RFC 7440: an ACK for a block inside the window means the client
     * lost the one after it; the next window starts there. */
    if (x->base < x->next) {
        x->cursor = x->ring[x->base % x->windowsize];
        x->next = x->base;
    }
    xfer_progress(x, now_ms);
    return 1;
}

int tftp_xfer_handle_packet(struct tftp_xfer *x, const void *pkt, size_t len, uint64_t now_ms)
{
    struct tftp_packet p;

    assert_return(x, -EINVAL);
    assert_return(pkt || len == 0, -EINVAL);

    if (tftp_packet_parse(pkt, len, &p, NULL) < 0)
        return -EBADMSG;
    if (tftp_xfer_done(x))
        return 0;

    switch (p.opcode) {
    case TFTP_OP_ACK:
        return ack_handle(x, p.ack.block, now_ms);
    case TFTP_OP_ERROR:
        /* RFC 1350: an ERROR ends the transfer and is not acknowledged. */
        xfer_fail(x, -ECONNRESET, false);
        return -ECONNRESET;
    default:
        /* A reader has no business sending anything else here. */
        return 0;
    }
}

uint64_t tftp_xfer_next_timeout_ms(const struct tftp_xfer *x)
{
    assert_return(x, UINT64_MAX);
    if (tftp_xfer_done(x))
        return UINT64_MAX;
    return x->deadline_ms;
}

int tftp_xfer_handle_timeout(struct tftp_xfer *x, uint64_t now_ms)
{
    assert_return(x, -EINVAL);

    if (tftp_xfer_done(x) || now_ms < x->deadline_ms)
        return 0;
    x->stats.timeouts++;
    if (x->retries >= x->retries_max) {
        xfer_fail(x, -ETIMEDOUT, false);
        return -ETIMEDOUT;
    }
    x->retries++;
    if (x->state == TFTP_XFER_OACK)
        x->oack_pending = true;
    else if (x->next > x->base) {
        x->cursor = x->ring[x->base % x->windowsize];
        x->next = x->base;
    }
    x->deadline_ms = deadline_after(now_ms, x->timeout_ms);
    return 1;
}

bool tftp_xfer_done(const struct tftp_xfer *x)
{
    assert_return(x, true);
    return x->state == TFTP_XFER_DONE || x->state == TFTP_XFER_FAILED;
}

enum tftp_xfer_state tftp_xfer_get_state(const struct tftp_xfer *x)
{
    assert_return(x, TFTP_XFER_FAILED);
    return x->state;
}

int tftp_xfer_get_error(const struct tftp_xfer *x)
{
    assert_return(x, -EINVAL);
    return x->error;
}

uint16_t tftp_xfer_get_blksize(const struct tftp_xfer *x)
{
    assert_return(x, 0);
    return x->blksize;
}

uint16_t tftp_xfer_get_windowsize(const struct tftp_xfer *x)
{
    assert_return(x, 0);
    return x->windowsize;
}

uint64_t tftp_xfer_get_timeout_ms(const struct tftp_xfer *x)
{
    assert_return(x, 0);
    return x->timeout_ms;
}

const struct tftp_xfer_stats *tftp_xfer_get_stats(const struct tftp_xfer *x)
{
    assert_return(x, NULL);
    return &x->stats;
}
