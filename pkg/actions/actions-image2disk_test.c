/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming decompressor and image2disk end to end: fixtures made here
 * with zlib, liblzma, libzstd and libbz2, served from file:// and from a
 * pkg/httpd server on a loopback port (200, 404, a body cut short).
 */
#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "actions/actions-internal.h"
#include "httpd/httpd.h"

#define SCRATCH_ROOT "/tmp/task-actions"
#define IMAGE_SIZE   (3u * 1024u * 1024u + 12345u)

static char scratch[256];
static uint8_t *image;

/* ---- fixtures ------------------------------------------------------------ */

static void make_image(void)
{
    image = malloc(IMAGE_SIZE);
    assert_non_null(image);
    uint32_t x = 12345;
    for (size_t i = 0; i < IMAGE_SIZE; i++) {
        /* Compressible but not trivial: runs of text with noise. */
        x = x * 1103515245u + 12345u;
        image[i] = (i % 4096) < 3000 ? (uint8_t)("anvil disk image "[i % 17]) : (uint8_t)(x >> 24);
    }
}

static uint8_t *compress_gzip(const uint8_t *in, size_t n, size_t *ret_n)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *ret_n = z.total_out;
    deflateEnd(&z);
    return out;
}

static uint8_t *compress_xz(const uint8_t *in, size_t n, size_t *ret_n)
{
    size_t cap = lzma_stream_buffer_bound(n), pos = 0;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap),
                     LZMA_OK);
    *ret_n = pos;
    return out;
}

static uint8_t *compress_zstd(const uint8_t *in, size_t n, size_t *ret_n)
{
    /* With a content checksum, as the zstd tool writes by default. */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    assert_non_null(cctx);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)));
    size_t cap = ZSTD_compressBound(n);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    size_t r = ZSTD_compress2(cctx, out, cap, in, n);
    assert_false(ZSTD_isError(r));
    assert_true(r > 0 && r <= cap);
    ZSTD_freeCCtx(cctx);
    *ret_n = r;
    return out;
}

static uint8_t *compress_bzip2(const uint8_t *in, size_t n, size_t *ret_n)
{
    /* libbz2 documents 1% + 600 bytes as enough for any input. */
    unsigned cap = (unsigned)(n + n / 100 + 600);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(BZ2_bzBuffToBuffCompress((char *)out, &cap, (char *)in, (unsigned)n, 9, 0, 0),
                     BZ_OK);
    *ret_n = cap;
    return out;
}

struct fixture {
    enum actions_compression fmt;
    const char *ext;
    uint8_t *(*make)(const uint8_t *, size_t, size_t *);
};

static const struct fixture fixtures[] = {
        {ACTIONS_COMPRESSION_NONE, ".raw", NULL},
        {ACTIONS_COMPRESSION_GZIP, ".raw.gz", compress_gzip},
        {ACTIONS_COMPRESSION_XZ, ".raw.xz", compress_xz},
        {ACTIONS_COMPRESSION_ZSTD, ".raw.zst", compress_zstd},
        {ACTIONS_COMPRESSION_BZIP2, ".raw.bz2", compress_bzip2},
};

static uint8_t *fixture_bytes(const struct fixture *f, size_t *ret_n)
{
    if (!f->make) {
        uint8_t *copy = malloc(IMAGE_SIZE);
        memcpy(copy, image, IMAGE_SIZE);
        *ret_n = IMAGE_SIZE;
        return copy;
    }
    return f->make(image, IMAGE_SIZE, ret_n);
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static uint8_t *read_file(const char *path, size_t *ret_n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *data = malloc((size_t)st.st_size + 1);
    assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
    close(fd);
    *ret_n = (size_t)st.st_size;
    return data;
}

static void fixture_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", scratch, name);
}

static int setup(void **state)
{
    (void)state;
    (void)mkdir(SCRATCH_ROOT, 0755);
    snprintf(scratch, sizeof(scratch), "%s/i2d-XXXXXX", SCRATCH_ROOT);
    if (!mkdtemp(scratch))
        return -1;
    make_image();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(image);
    curl_global_cleanup();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- decoder ------------------------------------------------------------- */

struct collect {
    struct buf out;
    int fail_with; /* returned by the sink when non-zero */
};

static int collect_sink(const void *data, size_t len, void *userdata)
{
    struct collect *c = userdata;
    if (c->fail_with)
        return c->fail_with;
    return buf_append(&c->out, data, len);
}

static int decode_all(enum actions_compression want,
                      const uint8_t *in,
                      size_t n,
                      size_t chunk,
                      struct collect *c,
                      enum actions_compression *ret_fmt)
{
    struct actions_decoder *d = NULL;
    assert_int_equal(actions_decoder_new(&d, want, 0, collect_sink, c), 0);
    int r = 0;
    for (size_t off = 0; off < n && r == 0; off += chunk)
        r = actions_decoder_feed(d, in + off, MIN(chunk, n - off));
    if (r == 0)
        r = actions_decoder_finish(d);
    if (ret_fmt)
        *ret_fmt = actions_decoder_format(d);
    if (r == 0)
        assert_int_equal(actions_decoder_bytes_in(d), n);
    actions_decoder_free(d);
    return r;
}

static void test_decoder_formats_and_chunking(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 5, 4093, 65536, SIZE_MAX};
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        size_t n = 0;
        uint8_t *data = fixture_bytes(&fixtures[i], &n);
        for (size_t k = 0; k < ARRAY_SIZE(chunks); k++) {
            /* One-byte feeding of a 3 MiB image is slow; do it on a prefix-free
             * format only once (raw is trivially the same code path). */
            if (chunks[k] == 1 && fixtures[i].fmt != ACTIONS_COMPRESSION_GZIP)
                continue;
            struct collect c = {.out = BUF_INIT(2 * IMAGE_SIZE)};
            enum actions_compression fmt;
            int r = decode_all(ACTIONS_COMPRESSION_AUTO, data, n, chunks[k], &c, &fmt);
            if (r != 0)
                fail_msg("fixture %zu chunk %zu: %d", i, chunks[k], r);
            assert_int_equal(fmt, fixtures[i].fmt);
            assert_int_equal(c.out.len, IMAGE_SIZE);
            assert_memory_equal(c.out.data, image, IMAGE_SIZE);
            buf_free(&c.out);
        }
        /* Named explicitly instead of sniffed. */
        struct collect c = {.out = BUF_INIT(2 * IMAGE_SIZE)};
        assert_int_equal(decode_all(fixtures[i].fmt, data, n, 65536, &c, NULL), 0);
        assert_int_equal(c.out.len, IMAGE_SIZE);
        buf_free(&c.out);
        free(data);
    }
}

/* Output that ends exactly on the decoder's buffer boundary (128 KiB): the
 * end of the stream must still be recognised. */
static void test_decoder_output_on_buffer_boundary(void **state)
{
    (void)state;
    static const size_t sizes[] = {128u * 1024u, 4u * 128u * 1024u};
    for (size_t i = 1; i < ARRAY_SIZE(fixtures); i++) {
        for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
            size_t n = 0;
            uint8_t *data = fixtures[i].make(image, sizes[k], &n);
            static const size_t chunks[] = {1000, SIZE_MAX};
            for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
                struct collect col = {.out = BUF_INIT(sizes[k])};
                int r = decode_all(ACTIONS_COMPRESSION_AUTO, data, n, chunks[c], &col, NULL);
                if (r != 0)
                    fail_msg("fixture %zu size %zu chunk %zu: %d", i, sizes[k], chunks[c], r);
                assert_int_equal(col.out.len, sizes[k]);
                buf_free(&col.out);
            }
            free(data);
        }
    }
}

static void test_decoder_truncated_and_corrupt(void **state)
{
    (void)state;
    for (size_t i = 1; i < ARRAY_SIZE(fixtures); i++) {
        size_t n = 0;
        uint8_t *data = fixture_bytes(&fixtures[i], &n);
        /* Cut short at several places: always -EPIPE, never success. */
        static const size_t cuts[] = {6, 100, 0};
        for (size_t k = 0; k < ARRAY_SIZE(cuts); k++) {
            size_t len = cuts[k] ? cuts[k] : n / 2;
            struct collect c = {.out = BUF_INIT(2 * IMAGE_SIZE)};
            int r = decode_all(ACTIONS_COMPRESSION_AUTO, data, len, 4096, &c, NULL);
            if (r != -EPIPE)
                fail_msg("fixture %zu cut at %zu: %d", i, len, r);
            buf_free(&c.out);
        }
        /* Garbage in the middle: -EBADMSG. */
        for (size_t off = n / 3; off < n / 3 + 64; off++)
            data[off] ^= 0x5a;
        struct collect c = {.out = BUF_INIT(2 * IMAGE_SIZE)};
        int r = decode_all(ACTIONS_COMPRESSION_AUTO, data, n, 4096, &c, NULL);
        if (r != -EBADMSG)
            fail_msg("fixture %zu corrupt: %d", i, r);
        buf_free(&c.out);
        free(data);
    }
    /* A forced format on data that is not in it. */
    struct collect c = {.out = BUF_INIT(1024)};
    assert_int_equal(
            decode_all(ACTIONS_COMPRESSION_GZIP, (const uint8_t *)"plain text", 10, 4, &c, NULL),
            -EBADMSG);
    buf_free(&c.out);
    /* Nothing at all: fine raw, truncated for a named format. */
    c = (struct collect){.out = BUF_INIT(16)};
    assert_int_equal(decode_all(ACTIONS_COMPRESSION_AUTO, NULL, 0, 1, &c, NULL), 0);
    assert_int_equal(decode_all(ACTIONS_COMPRESSION_XZ, NULL, 0, 1, &c, NULL), -EPIPE);
    /* Trailing zeros after a gzip member are padding; other bytes are not. */
    size_t gn = 0;
    uint8_t *gz = compress_gzip((const uint8_t *)"hello", 5, &gn);
    uint8_t padded[256] = {0};
    memcpy(padded, gz, gn);
    assert_int_equal(decode_all(ACTIONS_COMPRESSION_AUTO, padded, gn + 100, 7, &c, NULL), 0);
    assert_string_equal(buf_str(&c.out), "hello");
    padded[gn + 50] = 'x';
    assert_int_equal(decode_all(ACTIONS_COMPRESSION_AUTO, padded, gn + 100, 7, &c, NULL), -EBADMSG);
    /* Two members concatenated decode as one stream. */
    buf_reset(&c.out);
    memcpy(padded + gn, gz, gn);
    assert_int_equal(decode_all(ACTIONS_COMPRESSION_AUTO, padded, 2 * gn, 3, &c, NULL), 0);
    assert_string_equal(buf_str(&c.out), "hellohello");
    free(gz);
    /* The sink's error stops the stream and sticks. */
    c.fail_with = -ENOSPC;
    struct actions_decoder *d = NULL;
    assert_int_equal(actions_decoder_new(&d, ACTIONS_COMPRESSION_AUTO, 0, collect_sink, &c), 0);
    assert_int_equal(actions_decoder_feed(d, "0123456789", 10), -ENOSPC);
    assert_int_equal(actions_decoder_feed(d, "0123456789", 10), -ENOSPC);
    assert_int_equal(actions_decoder_finish(d), -ENOSPC);
    assert_non_null(strstr(actions_decoder_error(d), "No space left"));
    actions_decoder_free(d);
    buf_free(&c.out);
    assert_int_equal(actions_decoder_new(&d, _ACTIONS_COMPRESSION_MAX, 0, collect_sink, &c),
                     -EINVAL);
}

/* Streams written back to back decode as one; a second one cut short is
 * still a truncation, and the memory cap holds for xz and zstd. */
static void test_decoder_concatenated_and_memlimit(void **state)
{
    (void)state;
    static const struct {
        enum actions_compression fmt;
        uint8_t *(*make)(const uint8_t *, size_t, size_t *);
        int small_memlimit; /* what a 4 KiB cap gives on the 3 MiB image */
        const char *small_msg;
    } cases[] = {
            {ACTIONS_COMPRESSION_GZIP, compress_gzip, 0, NULL},
            {ACTIONS_COMPRESSION_XZ, compress_xz, -E2BIG, "needs more memory"},
            {ACTIONS_COMPRESSION_ZSTD, compress_zstd, -EBADMSG, "requires too much memory"},
            {ACTIONS_COMPRESSION_BZIP2, compress_bzip2, 0, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = 0;
        uint8_t *one = cases[i].make((const uint8_t *)"hello", 5, &n);
        uint8_t *two = malloc(2 * n);
        assert_non_null(two);
        memcpy(two, one, n);
        memcpy(two + n, one, n);
        struct collect c = {.out = BUF_INIT(64)};
        enum actions_compression fmt;
        int r = decode_all(ACTIONS_COMPRESSION_AUTO, two, 2 * n, 3, &c, &fmt);
        if (r != 0)
            fail_msg("case %zu concatenated: %d", i, r);
        assert_int_equal(fmt, cases[i].fmt);
        assert_string_equal(buf_str(&c.out), "hellohello");
        buf_reset(&c.out);
        r = decode_all(ACTIONS_COMPRESSION_AUTO, two, n + n / 2, 3, &c, NULL);
        if (r != -EPIPE)
            fail_msg("case %zu second stream cut: %d", i, r);
        buf_free(&c.out);
        free(two);
        free(one);

        size_t bn = 0;
        uint8_t *big = cases[i].make(image, IMAGE_SIZE, &bn);
        c = (struct collect){.out = BUF_INIT(2 * IMAGE_SIZE)};
        struct actions_decoder *d = NULL;
        assert_int_equal(actions_decoder_new(&d, ACTIONS_COMPRESSION_AUTO, 4096, collect_sink, &c),
                         0);
        r = actions_decoder_feed(d, big, bn);
        if (r == 0)
            r = actions_decoder_finish(d);
        if (r != cases[i].small_memlimit)
            fail_msg("case %zu memlimit: %d (%s)", i, r, actions_decoder_error(d));
        if (cases[i].small_msg)
            assert_non_null(strstr(actions_decoder_error(d), cases[i].small_msg));
        actions_decoder_free(d);
        buf_free(&c.out);
        free(big);
    }
}

static void test_decoder_sniff_table(void **state)
{
    (void)state;
    static const struct {
        const char *magic;
        size_t n;
        enum actions_compression want;
    } cases[] = {
            {"\x1f\x8b", 2, ACTIONS_COMPRESSION_GZIP},
            {"\x1f", 1, ACTIONS_COMPRESSION_NONE},
            {"\xfd"
             "7zXZ\0",
             6, ACTIONS_COMPRESSION_XZ},
            {"\xfd"
             "7zXZ",
             5, ACTIONS_COMPRESSION_NONE},
            {"\x28\xb5\x2f\xfd", 4, ACTIONS_COMPRESSION_ZSTD},
            {"\x5a\x2a\x4d\x18", 4, ACTIONS_COMPRESSION_ZSTD},
            {"BZh9", 4, ACTIONS_COMPRESSION_BZIP2},
            {"BZh0", 4, ACTIONS_COMPRESSION_NONE},
            {"\xeb\x63\x90", 3, ACTIONS_COMPRESSION_NONE}, /* an MBR */
            {"", 0, ACTIONS_COMPRESSION_NONE},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(actions_compression_sniff(cases[i].magic, cases[i].n), cases[i].want);
    assert_int_equal(actions_compression_sniff(NULL, 4), ACTIONS_COMPRESSION_NONE);
    assert_string_equal(actions_compression_to_string(ACTIONS_COMPRESSION_ZSTD), "zstd");
    assert_null(actions_compression_to_string(_ACTIONS_COMPRESSION_MAX));
}

/* ---- image2disk ---------------------------------------------------------- */

struct progress {
    int calls;
    char first[256];
    int cancel_w;
};

static void on_progress(const char *m, void *userdata)
{
    struct progress *p = userdata;
    if (p->calls++ == 0)
        snprintf(p->first, sizeof(p->first), "%s", m);
    if (p->cancel_w >= 0)
        assert_int_equal(write(p->cancel_w, "x", 1), 1);
}

static void run_i2d(const char *image_ref,
                    const char *const *env,
                    size_t nenv,
                    const struct actions_opts *o,
                    int cancel_fd,
                    struct progress *p,
                    struct actions_result *res)
{
    struct agentproto_action a = {.workflow_id = "ns/wf",
                                  .task_id = "t",
                                  .agent_id = "ag",
                                  .action_id = "a",
                                  .name = "stream",
                                  .image = image_ref,
                                  .timeout = 60,
                                  .environment = {.v = env, .n = nenv}};
    assert_int_equal(actions_run(&a, o, cancel_fd, on_progress, p, res), 0);
    assert_non_null(res->message);
}

static void assert_image_at(const char *path)
{
    size_t n = 0;
    uint8_t *got = read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, IMAGE_SIZE);
    assert_memory_equal(got, image, IMAGE_SIZE);
    free(got);
}

static void test_image2disk_file_urls(void **state)
{
    (void)state;
    static const char *const images[] = {"anvil/image2disk",
                                         "quay.io/tinkerbell/actions/image2disk:latest"};
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
        size_t n = 0;
        uint8_t *data = fixture_bytes(&fixtures[i], &n);
        char src[512], dst[512], url[600], env_url[700], env_dst[600];
        char name[64];
        snprintf(name, sizeof(name), "image%s", fixtures[i].ext);
        fixture_path(src, sizeof(src), name);
        write_file(src, data, n);
        free(data);
        snprintf(name, sizeof(name), "disk-%zu.img", i);
        fixture_path(dst, sizeof(dst), name);
        snprintf(url, sizeof(url), "file://%s", src);
        snprintf(env_url, sizeof(env_url), "IMG_URL=%s", url);
        snprintf(env_dst, sizeof(env_dst), "DEST_DISK=%s", dst);
        const char *env[] = {env_url, env_dst, i % 2 ? "COMPRESSED=true" : "TEXT_LOGGING=x"};
        struct progress p = {.cancel_w = -1};
        struct actions_result res;
        struct actions_opts o = {.progress_interval_ms = 1};
        run_i2d(images[i % 2], env, i == 0 ? 2 : 3, &o, -1, &p, &res);
        if (res.state != AGENTPROTO_STATE_SUCCESS)
            fail_msg("fixture %zu: %s", i, res.message);
        assert_non_null(strstr(res.message, "wrote 3.0 MiB to"));
        assert_non_null(strstr(res.message, actions_compression_to_string(fixtures[i].fmt)));
        assert_image_at(dst);
        assert_true(p.calls >= 1);
        assert_true(strncmp(p.first, "written ", 8) == 0);
        actions_result_done(&res);
    }
}

static void test_image2disk_bad_input(void **state)
{
    (void)state;
    char raw[512], url[600], dir_dst[600], file_dst[600], env_file_url[700];
    fixture_path(raw, sizeof(raw), "plain.raw");
    write_file(raw, image, 4096);
    snprintf(url, sizeof(url), "IMG_URL=file://%s", raw);
    snprintf(dir_dst, sizeof(dir_dst), "DEST_DISK=%s", scratch);
    snprintf(file_dst, sizeof(file_dst), "DEST_DISK=%s/bad-out.img", scratch);
    snprintf(env_file_url, sizeof(env_file_url), "IMG_URL=file://%s/missing.raw", scratch);
    const struct {
        const char *env[3];
        const char *has;
    } cases[] = {
            {{file_dst}, "image2disk needs IMG_URL"},
            {{url}, "image2disk needs DEST_DISK"},
            {{url, file_dst, "COMPRESSED=maybe"}, "COMPRESSED=\"maybe\" is not a boolean"},
            {{url, file_dst, "COMPRESSED=true"}, "is not gzip, xz, zstd or bzip2 data"},
            {{url, dir_dst}, "is neither a block device nor a regular file"},
            {{env_file_url, file_dst}, "IMG_URL file://"},
            {{"IMG_URL=ftp://127.0.0.1/x", file_dst}, "IMG_URL ftp://127.0.0.1/x"},
            {{"IMG_URL=http://127.0.0.1:1/x", file_dst}, "IMG_URL http://127.0.0.1:1/x"},
            {{url, "DEST_DISK=/nonexistent-dir/disk"}, "DEST_DISK /nonexistent-dir/disk"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct progress p = {.cancel_w = -1};
        struct actions_result res;
        size_t n = 0;
        while (n < 3 && cases[i].env[n])
            n++;
        run_i2d("anvil/image2disk", cases[i].env, n, NULL, -1, &p, &res);
        if (res.state != AGENTPROTO_STATE_FAILED || !strstr(res.message, cases[i].has))
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        actions_result_done(&res);
    }
    /* COMPRESSED=true refused raw data before writing any of it. */
    char out[600];
    snprintf(out, sizeof(out), "%s/bad-out.img", scratch);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, 0);
    /* COMPRESSED=false writes gzip bytes as they are (upstream's meaning). */
    size_t gn = 0;
    uint8_t *gz = compress_gzip(image, 4096, &gn);
    write_file(raw, gz, gn);
    const char *env[] = {url, file_dst, "COMPRESSED=false"};
    struct actions_result res;
    struct progress p = {.cancel_w = -1};
    run_i2d("anvil/image2disk", env, 3, NULL, -1, &p, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
    size_t n = 0;
    uint8_t *got = read_file(out, &n);
    assert_int_equal(n, gn);
    assert_memory_equal(got, gz, gn);
    free(got);
    free(gz);
    actions_result_done(&res);
}

static void test_image2disk_cancel(void **state)
{
    (void)state;
    char src[512], env_url[700], env_dst[700];
    fixture_path(src, sizeof(src), "cancel.raw");
    write_file(src, image, IMAGE_SIZE);
    snprintf(env_url, sizeof(env_url), "IMG_URL=file://%s", src);
    snprintf(env_dst, sizeof(env_dst), "DEST_DISK=%s/cancel-out.img", scratch);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    const char *env[] = {env_url, env_dst};
    struct progress p = {.cancel_w = pfd[1]};
    struct actions_opts o = {.progress_interval_ms = 1};
    struct actions_result res;
    run_i2d("anvil/image2disk", env, 2, &o, pfd[0], &p, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_non_null(strstr(res.message, "cancelled"));
    actions_result_done(&res);
    close(pfd[0]);
    close(pfd[1]);
}

/* ---- over HTTP ----------------------------------------------------------- */

struct served {
    char path[512];
    uint64_t claim; /* Content-Length promised; 0: the real size */
};

static int serve(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    struct served *s = userdata;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -EIO;
    }
    resp->content_type = "application/octet-stream";
    return httpd_response_file(resp, req->range, fd, s->claim ? s->claim : (uint64_t)st.st_size);
}

static void test_image2disk_http(void **state)
{
    (void)state;
    size_t gn = 0;
    uint8_t *gz = compress_gzip(image, IMAGE_SIZE, &gn);
    struct served whole = {0}, cut = {0}, raw = {0};
    fixture_path(whole.path, sizeof(whole.path), "http.raw.gz");
    write_file(whole.path, gz, gn);
    free(gz);
    /* The truncated one claims the whole image but has only half of it. */
    fixture_path(cut.path, sizeof(cut.path), "http-half.raw");
    write_file(cut.path, image, IMAGE_SIZE / 2);
    cut.claim = IMAGE_SIZE;
    fixture_path(raw.path, sizeof(raw.path), "http.raw");
    write_file(raw.path, image, IMAGE_SIZE);

    struct httpd *h = NULL;
    assert_int_equal(httpd_new(&h, &(struct httpd_opts){.listen = "127.0.0.1:0"}), 0);
    assert_int_equal(httpd_route(h, "/images/ubuntu.raw.gz", serve, &whole), 0);
    assert_int_equal(httpd_route(h, "/images/half.raw", serve, &cut), 0);
    assert_int_equal(httpd_route(h, "/images/ubuntu.raw", serve, &raw), 0);
    assert_int_equal(httpd_start(h), 0);
    int port = httpd_port(h);

    const struct {
        const char *path;
        enum agentproto_state want;
        const char *has;
        bool check_image;
    } cases[] = {
            {"/images/ubuntu.raw.gz", AGENTPROTO_STATE_SUCCESS, "(gzip,", true},
            {"/images/ubuntu.raw", AGENTPROTO_STATE_SUCCESS, "(none,", true},
            {"/images/missing.raw", AGENTPROTO_STATE_FAILED, "HTTP 404 (not found)", false},
            {"/images/half.raw", AGENTPROTO_STATE_FAILED, "truncated", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char env_url[300], env_dst[700], dst[600];
        snprintf(env_url, sizeof(env_url), "IMG_URL=http://127.0.0.1:%d%s", port, cases[i].path);
        snprintf(dst, sizeof(dst), "%s/http-out-%zu.img", scratch, i);
        snprintf(env_dst, sizeof(env_dst), "DEST_DISK=%s", dst);
        const char *env[] = {env_url, env_dst};
        struct progress p = {.cancel_w = -1};
        struct actions_opts o = {.progress_interval_ms = 1};
        struct actions_result res;
        run_i2d("ghcr.io/tinkerbell/actions/image2disk:v1", env, 2, &o, -1, &p, &res);
        if (res.state != cases[i].want || !strstr(res.message, cases[i].has))
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        if (cases[i].check_image) {
            assert_image_at(dst);
            assert_true(p.calls >= 1);
            /* The size is known from Content-Length. */
            assert_non_null(strstr(p.first, " of "));
        }
        actions_result_done(&res);
    }
    assert_null(httpd_free(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decoder_formats_and_chunking),
            cmocka_unit_test(test_decoder_output_on_buffer_boundary),
            cmocka_unit_test(test_decoder_truncated_and_corrupt),
            cmocka_unit_test(test_decoder_concatenated_and_memlimit),
            cmocka_unit_test(test_decoder_sniff_table),
            cmocka_unit_test(test_image2disk_file_urls),
            cmocka_unit_test(test_image2disk_bad_input),
            cmocka_unit_test(test_image2disk_cancel),
            cmocka_unit_test(test_image2disk_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
