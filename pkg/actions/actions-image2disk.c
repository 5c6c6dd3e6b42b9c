/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image2disk: IMG_URL streamed with libcurl (http, https, and file for
 * tests), decompressed on the fly, written to DEST_DISK (a block device, or
 * a regular file that is created when missing), then fsync'd and, for a
 * whole disk, the partition table re-read (BLKRRPART), as upstream does.
 *
 * COMPRESSED: absent -> detect gzip/xz/zstd/bzip2 by magic, raw otherwise;
 * true -> the data must carry one of those magics; false -> raw, always
 * (upstream's meaning). Unlike upstream, a short body (Content-Length not
 * reached, or a compressed stream that stops early) fails the action.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "actions/actions-internal.h"

struct i2d {
    struct actions_ctx *c;
    const char *url, *disk;
    int fd;
    bool block_device;
    bool require_compressed;
    struct actions_decoder *dec;
    CURL *curl;
    bool http;
    bool code_checked;
    long http_code;
    bool stopped_cancel, stopped_timeout, stopped_http, stopped_error;
    curl_off_t total; /* Content-Length; -1 unknown */
    uint64_t written;
};

static int sink_write(const void *data, size_t len, void *userdata)
{
    struct i2d *s = userdata;
    if (s->require_compressed && actions_decoder_format(s->dec) == ACTIONS_COMPRESSION_NONE)
        return -EMEDIUMTYPE;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ENOSPC;
        p += n;
        len -= (size_t)n;
        s->written += (uint64_t)n;
    }
    return 0;
}

static void report_progress(struct i2d *s, bool force)
{
    char w[ACTIONS_SIZE_STRLEN], got[ACTIONS_SIZE_STRLEN], total[ACTIONS_SIZE_STRLEN];
    actions_format_size(s->written, w);
    actions_format_size(actions_decoder_bytes_in(s->dec), got);
    bool raw = actions_decoder_format(s->dec) == ACTIONS_COMPRESSION_NONE;
    if (s->total > 0) {
        actions_format_size((uint64_t)s->total, total);
        if (raw)
            actions_ctx_progress(s->c, force, "written %s of %s", w, total);
        else
            actions_ctx_progress(s->c, force, "written %s (downloaded %s of %s)", w, got, total);
    } else if (raw) {
        actions_ctx_progress(s->c, force, "written %s", w);
    } else {
        actions_ctx_progress(s->c, force, "written %s (downloaded %s)", w, got);
    }
}

/* The status line is known by the time the body starts. */
static bool http_status_ok(struct i2d *s)
{
    if (!s->code_checked) {
        s->code_checked = true;
        (void)curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->http_code);
        curl_off_t cl = -1;
        (void)curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        s->total = cl;
    }
    return !(s->http && s->http_code >= 300);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
    struct i2d *s = userdata;
    size_t n = size * nmemb;
    if (!http_status_ok(s)) {
        s->stopped_http = true;
        return 0;
    }
    if (actions_decoder_feed(s->dec, p, n) < 0) {
        s->stopped_error = true;
        return 0;
    }
    report_progress(s, false);
    if (actions_ctx_cancelled(s->c)) {
        s->stopped_cancel = true;
        return 0;
    }
    return n;
}

static int
on_xfer(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ult, curl_off_t uln)
{
    struct i2d *s = userdata;
    (void)dltotal;
    (void)dlnow;
    (void)ult;
    (void)uln;
    if (actions_ctx_cancelled(s->c)) {
        s->stopped_cancel = true;
        return 1;
    }
    if (actions_now_usec() >= s->c->deadline_usec) {
        s->stopped_timeout = true;
        return 1;
    }
    return 0;
}

static int open_disk(struct i2d *s)
{
    struct stat st;
    if (stat(s->disk, &st) < 0) {
        if (errno != ENOENT)
            return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED, "DEST_DISK %s: %s", s->disk,
                                   strerror(errno));
        s->fd = open(s->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    } else if (S_ISBLK(st.st_mode)) {
        s->block_device = true;
        s->fd = open(s->disk, O_WRONLY | O_CLOEXEC);
    } else if (S_ISREG(st.st_mode)) {
        s->fd = open(s->disk, O_WRONLY | O_TRUNC | O_CLOEXEC);
    } else {
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED,
                               "DEST_DISK %s is neither a block device nor a regular file",
                               s->disk);
    }
    if (s->fd < 0)
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED, "DEST_DISK %s: %s", s->disk,
                               strerror(errno));
    return 1;
}

static int setup_curl(struct i2d *s, char *errbuf)
{
    s->curl = curl_easy_init();
    if (!s->curl)
        return -ENOMEM;
    s->http = strncasecmp(s->url, "http://", 7) == 0 || strncasecmp(s->url, "https://", 8) == 0;
    CURLcode cc = CURLE_OK;
    cc |= curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
    cc |= curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    cc |= curl_easy_setopt(s->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    cc |= curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 1L);
    cc |= curl_easy_setopt(s->curl, CURLOPT_MAXREDIRS, 10L);
    cc |= curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    cc |= curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "anvil-worker");
    cc |= curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
    cc |= curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
    cc |= curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
    cc |= curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
    cc |= curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
    cc |= curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
    return cc == CURLE_OK ? 0 : -EINVAL;
}

/* Turns the transfer's end into the result. */
static int conclude(struct i2d *s, CURLcode cc, const char *errbuf)
{
    struct actions_ctx *c = s->c;
    if (s->stopped_cancel)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cancelled after writing %llu bytes",
                               (unsigned long long)s->written);
    if (s->stopped_timeout)
        return actions_ctx_set(c, AGENTPROTO_STATE_TIMEOUT,
                               "timed out after writing %llu bytes of %s to %s",
                               (unsigned long long)s->written, s->url, s->disk);
    if (cc == CURLE_OK)
        (void)http_status_ok(s);
    if (s->stopped_http || (cc == CURLE_OK && s->http && s->http_code >= 300))
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "IMG_URL %s: HTTP %ld%s", s->url,
                               s->http_code, s->http_code == 404 ? " (not found)" : "");
    int dr = s->stopped_error ? actions_decoder_finish(s->dec) : 0;
    if (dr == -EMEDIUMTYPE)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "COMPRESSED is true but %s is not gzip, xz, zstd or bzip2 data",
                               s->url);
    if (dr < 0)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s: %s", s->url,
                               actions_decoder_error(s->dec));
    if (cc == CURLE_PARTIAL_FILE)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "IMG_URL %s: the body ended early after %llu of %lld bytes "
                               "(truncated)",
                               s->url, (unsigned long long)actions_decoder_bytes_in(s->dec),
                               (long long)s->total);
    if (cc != CURLE_OK)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "IMG_URL %s: %s", s->url,
                               errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return 1;
}

static int finish_write(struct i2d *s)
{
    int r = actions_decoder_finish(s->dec);
    if (r == -EMEDIUMTYPE)
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED,
                               "COMPRESSED is true but %s is not gzip, xz, zstd or bzip2 data",
                               s->url);
    if (r == 0 && s->require_compressed &&
        actions_decoder_format(s->dec) == ACTIONS_COMPRESSION_NONE)
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED, "COMPRESSED is true but %s is empty",
                               s->url);
    if (r < 0)
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED, "%s: %s", s->url,
                               actions_decoder_error(s->dec));
    if (fsync(s->fd) < 0 && errno != EINVAL)
        return actions_ctx_set(s->c, AGENTPROTO_STATE_FAILED, "fsync %s: %s", s->disk,
                               strerror(errno));
    if (s->block_device)
        (void)ioctl(s->fd, BLKRRPART, 0); /* fails for a partition; harmless */
    report_progress(s, true);
    char w[ACTIONS_SIZE_STRLEN], got[ACTIONS_SIZE_STRLEN];
    actions_format_size(s->written, w);
    actions_format_size(actions_decoder_bytes_in(s->dec), got);
    double secs = (double)(actions_now_usec() - s->c->start_usec) / 1e6;
    return actions_ctx_set(s->c, AGENTPROTO_STATE_SUCCESS,
                           "wrote %s to %s from %s (%s, %s read) in %.1f s", w, s->disk, s->url,
                           actions_compression_to_string(actions_decoder_format(s->dec)), got,
                           secs);
}

static int parse_compressed(struct actions_ctx *c, enum actions_compression *ret, bool *ret_req)
{
    const char *v = actions_ctx_env(c, "COMPRESSED");
    bool b = false;
    *ret_req = false;
    *ret = ACTIONS_COMPRESSION_AUTO;
    if (!v || !*v)
        return 1;
    if (actions_parse_bool(v, &b) < 0)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "COMPRESSED=\"%.64s\" is not a boolean (true or false)", v);
    *ret_req = b;
    *ret = b ? ACTIONS_COMPRESSION_AUTO : ACTIONS_COMPRESSION_NONE;
    return 1;
}

int actions_image2disk_run(struct actions_ctx *c)
{
    struct i2d s = {.c = c, .fd = -1, .total = -1};
    s.url = actions_ctx_env(c, "IMG_URL");
    s.disk = actions_ctx_env(c, "DEST_DISK");
    if (!s.url || !*s.url)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "image2disk needs IMG_URL");
    if (!s.disk || !*s.disk)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "image2disk needs DEST_DISK");
    enum actions_compression comp;
    int r = parse_compressed(c, &comp, &s.require_compressed);
    if (r <= 0)
        return r;
    r = actions_decoder_new(&s.dec, comp, 0, sink_write, &s);
    if (r < 0)
        return r;
    char errbuf[CURL_ERROR_SIZE] = "";
    r = setup_curl(&s, errbuf);
    if (r == -EINVAL)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "libcurl cannot be set up for %s", s.url);
    if (r >= 0)
        r = open_disk(&s);
    if (r > 0) {
        CURLcode cc = curl_easy_perform(s.curl);
        r = conclude(&s, cc, errbuf);
        if (r > 0)
            r = finish_write(&s);
    }
    if (s.fd >= 0)
        (void)close(s.fd);
    curl_easy_cleanup(s.curl);
    actions_decoder_free(s.dec);
    return r < 0 ? r : 0;
}
