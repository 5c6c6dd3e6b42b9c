/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming decompression for image2disk: gzip (zlib), xz (liblzma), zstd
 * (libzstd) and bzip2 (libbz2), or raw, chosen by the caller or by the
 * first bytes. Input arrives in chunks of any size and is fed through; the
 * decoder never holds more than one output buffer. A stream that stops
 * before its format says it is complete is an error (-EPIPE), so a
 * truncated download is never written to disk as if it were whole.
 *
 * All four libraries are linked and called directly; each decoder sets up
 * only the library state its format needs and releases it when freed.
 */
#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "actions/actions-internal.h"

#define OBUF_SIZE        (128u * 1024u)
#define FEED_CHUNK       (1u << 30) /* zlib and libbz2 count input in unsigned int */
#define SNIFF_BYTES      6
#define DEFAULT_MEMLIMIT (1ull << 30)

struct actions_decoder {
    enum actions_compression fmt; /* AUTO until the magic is seen */
    uint64_t memlimit;
    actions_sink_fn sink;
    void *userdata;
    uint8_t head[SNIFF_BYTES];
    size_t head_len;
    bool ready;    /* fmt decided and its state set up */
    bool complete; /* the current stream has ended */
    int error;
    char errmsg[256];
    uint64_t in, out;
    uint8_t *obuf;
    /* gzip */
    z_stream z;
    bool z_init;
    /* xz */
    lzma_stream x;
    bool x_init;
    /* zstd */
    ZSTD_DStream *zs;
    /* bzip2 */
    bz_stream b;
    bool b_init;
};

static const char *const compression_names[_ACTIONS_COMPRESSION_MAX] = {
        [ACTIONS_COMPRESSION_AUTO] = "auto", [ACTIONS_COMPRESSION_NONE] = "none",
        [ACTIONS_COMPRESSION_GZIP] = "gzip", [ACTIONS_COMPRESSION_XZ] = "xz",
        [ACTIONS_COMPRESSION_ZSTD] = "zstd", [ACTIONS_COMPRESSION_BZIP2] = "bzip2",
};

const char *actions_compression_to_string(enum actions_compression c)
{
    if (c < 0 || c >= _ACTIONS_COMPRESSION_MAX)
        return NULL;
    return compression_names[c];
}

enum actions_compression actions_compression_sniff(const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!p)
        return ACTIONS_COMPRESSION_NONE;
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return ACTIONS_COMPRESSION_GZIP;
    if (len >= 6 && memcmp(p,
                           "\xfd"
                           "7zXZ\0",
                           6) == 0)
        return ACTIONS_COMPRESSION_XZ;
    if (len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
        return ACTIONS_COMPRESSION_ZSTD;
    /* A zstd skippable frame (RFC 8878 §3.1.2) may come first. */
    if (len >= 4 && (p[0] & 0xf0) == 0x50 && memcmp(p + 1, "\x2a\x4d\x18", 3) == 0)
        return ACTIONS_COMPRESSION_ZSTD;
    if (len >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
        return ACTIONS_COMPRESSION_BZIP2;
    return ACTIONS_COMPRESSION_NONE;
}

_printf_(3, 4) static int fail(struct actions_decoder *d, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->errmsg, sizeof(d->errmsg), fmt, ap);
    va_end(ap);
    d->error = err;
    return err;
}

static int emit(struct actions_decoder *d, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    d->out += n;
    int r = d->sink(p, n, d->userdata);
    if (r < 0)
        return fail(d, r, "writing the output: %s", strerror(-r));
    return 0;
}

static int setup_gzip(struct actions_decoder *d)
{
    /* 16 + MAX_WBITS: gzip wrapper only (RFC 1952). */
    int r = inflateInit2(&d->z, 16 + MAX_WBITS);
    if (r != Z_OK)
        return fail(d, r == Z_MEM_ERROR ? -ENOMEM : -EIO, "gzip: cannot initialise zlib");
    d->z_init = true;
    return 0;
}

static int setup_xz(struct actions_decoder *d)
{
    d->x = (lzma_stream)LZMA_STREAM_INIT;
    lzma_ret lr = lzma_stream_decoder(&d->x, d->memlimit, LZMA_CONCATENATED);
    if (lr != LZMA_OK)
        return fail(d, lr == LZMA_MEM_ERROR ? -ENOMEM : -EIO, "xz: cannot initialise liblzma");
    d->x_init = true;
    return 0;
}

static int setup_zstd(struct actions_decoder *d)
{
    d->zs = ZSTD_createDStream();
    if (!d->zs)
        return fail(d, -ENOMEM, "zstd: cannot create a decoder");
    int wlog = 10;
    while (wlog < 31 && (1ull << (wlog + 1)) <= d->memlimit)
        wlog++;
    /* A ZSTD_DStream is a ZSTD_DCtx, so the parameter API applies. */
    if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, wlog)))
        return fail(d, -EIO, "zstd: cannot set the window limit");
    return 0;
}

static int setup_bzip2(struct actions_decoder *d)
{
    /* verbosity 0, small 0: the faster decoder (about 3.7 MB at -9). */
    if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
        return fail(d, -ENOMEM, "bzip2: cannot initialise libbz2");
    d->b_init = true;
    return 0;
}

static int setup(struct actions_decoder *d)
{
    d->ready = true;
    switch (d->fmt) {
    case ACTIONS_COMPRESSION_GZIP:
        return setup_gzip(d);
    case ACTIONS_COMPRESSION_XZ:
        return setup_xz(d);
    case ACTIONS_COMPRESSION_ZSTD:
        return setup_zstd(d);
    case ACTIONS_COMPRESSION_BZIP2:
        return setup_bzip2(d);
    default:
        d->fmt = ACTIONS_COMPRESSION_NONE;
        return 0;
    }
}

static int feed_gzip(struct actions_decoder *d, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (d->complete) {
            /* After a member: zero padding is ignored, anything else must
             * be another member (RFC 1952 §2.2). */
            while (n > 0 && *p == 0) {
                p++;
                n--;
            }
            if (n == 0)
                return 0;
            if (inflateReset(&d->z) != Z_OK)
                return fail(d, -EIO, "gzip: cannot reset zlib");
            d->complete = false;
        }
        d->z.next_in = (Bytef *)p;
        d->z.avail_in = (uInt)MIN(n, (size_t)FEED_CHUNK);
        size_t given = d->z.avail_in;
        do {
            d->z.next_out = d->obuf;
            d->z.avail_out = OBUF_SIZE;
            int zr = inflate(&d->z, Z_NO_FLUSH);
            if (zr == Z_MEM_ERROR)
                return fail(d, -ENOMEM, "gzip: out of memory");
            if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR)
                return fail(d, -EBADMSG, "gzip: corrupt data (%s)", d->z.msg ? d->z.msg : "?");
            int r = emit(d, d->obuf, OBUF_SIZE - d->z.avail_out);
            if (r < 0)
                return r;
            if (zr == Z_STREAM_END) {
                d->complete = true;
                break;
            }
            if (zr == Z_BUF_ERROR)
                break;
        } while (d->z.avail_in > 0 || d->z.avail_out == 0);
        size_t used = given - d->z.avail_in;
        if (used == 0 && !d->complete)
            return fail(d, -EBADMSG, "gzip: the decoder makes no progress");
        p += used;
        n -= used;
    }
    return 0;
}

static int xz_error(struct actions_decoder *d, lzma_ret lr)
{
    switch (lr) {
    case LZMA_MEM_ERROR:
        return fail(d, -ENOMEM, "xz: out of memory");
    case LZMA_MEMLIMIT_ERROR:
        return fail(d, -E2BIG, "xz: the stream needs more memory than the %llu MiB allowed",
                    (unsigned long long)(d->memlimit >> 20));
    case LZMA_BUF_ERROR:
        return fail(d, -EPIPE, "xz: the compressed stream ends early (truncated)");
    default:
        return fail(d, -EBADMSG, "xz: corrupt data (liblzma error %d)", (int)lr);
    }
}

static int run_xz(struct actions_decoder *d, const uint8_t *p, size_t n, lzma_action act)
{
    d->x.next_in = p;
    d->x.avail_in = n;
    for (;;) {
        d->x.next_out = d->obuf;
        d->x.avail_out = OBUF_SIZE;
        lzma_ret lr = lzma_code(&d->x, act);
        int r = emit(d, d->obuf, OBUF_SIZE - d->x.avail_out);
        if (r < 0)
            return r;
        if (lr == LZMA_STREAM_END) {
            d->complete = true;
            return 0;
        }
        if (lr != LZMA_OK)
            return xz_error(d, lr);
        if (d->x.avail_in == 0 && d->x.avail_out > 0 && act == LZMA_RUN)
            return 0;
    }
}

static int feed_zstd(struct actions_decoder *d, const uint8_t *p, size_t n)
{
    ZSTD_inBuffer in = {.src = p, .size = n, .pos = 0};
    for (;;) {
        ZSTD_outBuffer out = {.dst = d->obuf, .size = OBUF_SIZE, .pos = 0};
        size_t pos_before = in.pos;
        size_t zr = ZSTD_decompressStream(d->zs, &out, &in);
        if (ZSTD_isError(zr))
            return fail(d, -EBADMSG, "zstd: %s", ZSTD_getErrorName(zr));
        /* 0 = a frame ended and is flushed. A further call that finds no
         * input answers with the next header's size, which says nothing
         * about the frame just completed, so only progress clears it. */
        if (zr == 0)
            d->complete = true;
        else if (out.pos > 0 || in.pos > pos_before)
            d->complete = false;
        int r = emit(d, d->obuf, out.pos);
        if (r < 0)
            return r;
        if (in.pos == in.size && out.pos < out.size)
            return 0;
    }
}

static int feed_bzip2(struct actions_decoder *d, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (d->complete) {
            /* Concatenated streams (what pbzip2 writes): start another. */
            (void)BZ2_bzDecompressEnd(&d->b);
            d->b_init = false;
            if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
                return fail(d, -ENOMEM, "bzip2: cannot initialise libbz2");
            d->b_init = true;
            d->complete = false;
        }
        d->b.next_in = (char *)p;
        d->b.avail_in = (unsigned)MIN(n, (size_t)FEED_CHUNK);
        size_t given = d->b.avail_in;
        do {
            d->b.next_out = (char *)d->obuf;
            d->b.avail_out = OBUF_SIZE;
            int br = BZ2_bzDecompress(&d->b);
            if (br == BZ_MEM_ERROR)
                return fail(d, -ENOMEM, "bzip2: out of memory");
            if (br != BZ_OK && br != BZ_STREAM_END)
                return fail(d, -EBADMSG, "bzip2: corrupt data (libbz2 error %d)", br);
            int r = emit(d, d->obuf, OBUF_SIZE - d->b.avail_out);
            if (r < 0)
                return r;
            if (br == BZ_STREAM_END) {
                d->complete = true;
                break;
            }
        } while (d->b.avail_in > 0 || d->b.avail_out == 0);
        size_t used = given - d->b.avail_in;
        if (used == 0 && !d->complete)
            return fail(d, -EBADMSG, "bzip2: the decoder makes no progress");
        p += used;
        n -= used;
    }
    return 0;
}

static int feed_ready(struct actions_decoder *d, const uint8_t *p, size_t n)
{
    switch (d->fmt) {
    case ACTIONS_COMPRESSION_GZIP:
        return feed_gzip(d, p, n);
    case ACTIONS_COMPRESSION_XZ:
        return n ? run_xz(d, p, n, LZMA_RUN) : 0;
    case ACTIONS_COMPRESSION_ZSTD:
        return n ? feed_zstd(d, p, n) : 0;
    case ACTIONS_COMPRESSION_BZIP2:
        return feed_bzip2(d, p, n);
    default:
        return emit(d, p, n);
    }
}

/* Decides the format from the buffered head and pushes the head through. */
static int start(struct actions_decoder *d)
{
    if (d->fmt == ACTIONS_COMPRESSION_AUTO)
        d->fmt = actions_compression_sniff(d->head, d->head_len);
    int r = setup(d);
    if (r < 0)
        return r;
    size_t n = d->head_len;
    d->head_len = 0;
    return feed_ready(d, d->head, n);
}

int actions_decoder_feed(struct actions_decoder *d, const void *data, size_t len)
{
    assert_return(d && (data || len == 0), -EINVAL);
    if (d->error)
        return d->error;
    const uint8_t *p = data;
    d->in += len;
    if (!d->ready) {
        size_t take = MIN(len, SNIFF_BYTES - d->head_len);
        memcpy(d->head + d->head_len, p, take);
        d->head_len += take;
        p += take;
        len -= take;
        if (d->head_len < SNIFF_BYTES && d->fmt == ACTIONS_COMPRESSION_AUTO)
            return 0;
        int r = start(d);
        if (r < 0)
            return r;
    }
    return feed_ready(d, p, len);
}

int actions_decoder_finish(struct actions_decoder *d)
{
    assert_return(d, -EINVAL);
    if (d->error)
        return d->error;
    if (!d->ready) {
        int r = start(d);
        if (r < 0)
            return r;
    }
    switch (d->fmt) {
    case ACTIONS_COMPRESSION_XZ: {
        int r = run_xz(d, NULL, 0, LZMA_FINISH);
        if (r < 0)
            return r;
        break;
    }
    default:
        break;
    }
    if (d->fmt != ACTIONS_COMPRESSION_NONE && !d->complete)
        return fail(d, -EPIPE, "%s: the compressed stream ends early (truncated)",
                    actions_compression_to_string(d->fmt));
    return 0;
}

const char *actions_decoder_error(const struct actions_decoder *d)
{
    return d ? d->errmsg : "";
}

enum actions_compression actions_decoder_format(const struct actions_decoder *d)
{
    return d && d->ready ? d->fmt : ACTIONS_COMPRESSION_AUTO;
}

uint64_t actions_decoder_bytes_in(const struct actions_decoder *d)
{
    return d ? d->in : 0;
}

uint64_t actions_decoder_bytes_out(const struct actions_decoder *d)
{
    return d ? d->out : 0;
}

int actions_decoder_new(struct actions_decoder **ret,
                        enum actions_compression c,
                        uint64_t memlimit,
                        actions_sink_fn sink,
                        void *userdata)
{
    assert_return(ret && sink && c >= 0 && c < _ACTIONS_COMPRESSION_MAX, -EINVAL);
    _cleanup_(actions_decoder_freep) struct actions_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->fmt = c;
    d->memlimit = memlimit ? memlimit : DEFAULT_MEMLIMIT;
    d->sink = sink;
    d->userdata = userdata;
    d->obuf = malloc(OBUF_SIZE);
    if (!d->obuf)
        return -ENOMEM;
    *ret = TAKE_PTR(d);
    return 0;
}

struct actions_decoder *actions_decoder_free(struct actions_decoder *d)
{
    if (!d)
        return NULL;
    if (d->z_init)
        (void)inflateEnd(&d->z);
    if (d->x_init)
        lzma_end(&d->x);
    if (d->zs)
        (void)ZSTD_freeDStream(d->zs);
    if (d->b_init)
        (void)BZ2_bzDecompressEnd(&d->b);
    free(d->obuf);
    free(d);
    return NULL;
}
