/* SPDX-License-Identifier: Apache-2.0 */
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
#include <curl/curl.h>

#include "httpd/httpd.h"

static int hello(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    int *calls = userdata;
    (*calls)++;
    resp->content_type = "text/plain";
    return buf_printf(&resp->body, "hello %s %s", req->method, req->path);
}

struct file_route {
    const char *path;
    char seen_xff[128];
    char seen_peer[64];
};

static int serve_file(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    struct file_route *fr = userdata;
    snprintf(fr->seen_xff, sizeof(fr->seen_xff), "%s",
             req->forwarded_for ? req->forwarded_for : "");
    snprintf(fr->seen_peer, sizeof(fr->seen_peer), "%s", req->peer);
    int fd = open(fr->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    off_t size = lseek(fd, 0, SEEK_END);
    resp->content_type = "application/octet-stream";
    return httpd_response_file(resp, req->range, fd, (uint64_t)size);
}

static int failing(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    (void)userdata;
    (void)req;
    (void)resp;
    return -EIO;
}

static size_t collect(char *p, size_t s, size_t n, void *u)
{
    struct buf *b = u;
    return buf_append(b, p, s * n) == 0 ? s * n : 0;
}

struct fetch_opts {
    const char *range;
    const char *header;
    bool head;
    char content_range[128];
    double content_length;
};

static size_t on_header(char *p, size_t s, size_t n, void *u)
{
    struct fetch_opts *fo = u;
    if (s * n > 15 && strncasecmp(p, "Content-Range: ", 15) == 0)
        snprintf(fo->content_range, sizeof(fo->content_range), "%.*s", (int)strcspn(p + 15, "\r\n"),
                 p + 15);
    return s * n;
}

static long fetch_opts(int port, const char *path, struct buf *out, struct fetch_opts *fo)
{
    char url[256];
    long code = 0;
    struct curl_slist *hdrs = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, fo);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (fo->range)
        curl_easy_setopt(c, CURLOPT_RANGE, fo->range);
    if (fo->header) {
        hdrs = curl_slist_append(hdrs, fo->header);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    if (fo->head)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_off_t cl = -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        fo->content_length = (double)cl;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    return code;
}

static long fetch(int port, const char *path, struct buf *out)
{
    char url[256];
    long code = 0;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

static void test_httpd_routes_and_errors(void **state)
{
    (void)state;
    struct httpd *h;
    int calls = 0;
    assert_int_equal(httpd_new(&h, &(struct httpd_opts){.listen = "127.0.0.1:0"}), 0);
    assert_true(httpd_port(h) > 0);
    assert_int_equal(httpd_route(h, "/healthz", hello, &calls), 0);
    assert_int_equal(httpd_route(h, "/fail", failing, NULL), 0);
    assert_int_equal(httpd_route(h, "/tree/", hello, &calls), 0);
    assert_int_equal(httpd_start(h), 0);
    assert_int_equal(httpd_route(h, "/late", hello, &calls), -EINVAL);

    struct buf b = BUF_INIT(4096);
    assert_int_equal(fetch(httpd_port(h), "/healthz", &b), 200);
    assert_string_equal(buf_str(&b), "hello GET /healthz");
    buf_reset(&b);
    assert_int_equal(fetch(httpd_port(h), "/tree/a/b", &b), 200);
    assert_string_equal(buf_str(&b), "hello GET /tree/a/b");
    buf_reset(&b);
    assert_int_equal(fetch(httpd_port(h), "/nope", &b), 404);
    buf_reset(&b);
    assert_int_equal(fetch(httpd_port(h), "/fail", &b), 500);
    buf_free(&b);
    assert_int_equal(calls, 2);
    assert_null(httpd_free(h));
}

static void test_httpd_rejects_bad_listen(void **state)
{
    (void)state;
    struct httpd *h;
    assert_int_equal(httpd_new(&h, &(struct httpd_opts){.listen = "127.0.0.1:99999"}), -EINVAL);
    assert_int_equal(httpd_new(&h, &(struct httpd_opts){.listen = "host:"}), -EINVAL);
    assert_int_equal(httpd_new(&h, NULL), -EINVAL);
}

static void test_httpd_range_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        uint64_t size;
        int r;
        uint64_t off, len;
    } cases[] = {
            {"bytes=0-99", 1000, 0, 0, 100},
            {"bytes=100-", 1000, 0, 100, 900},
            {"bytes=-100", 1000, 0, 900, 100},
            {"bytes=-5000", 1000, 0, 0, 1000},
            {"bytes=990-2000", 1000, 0, 990, 10},
            {"BYTES = 1-1", 1000, 0, 1, 1},
            {"bytes=999-999", 1000, 0, 999, 1},
            {"bytes=1000-", 1000, -ERANGE, 0, 0},
            {"bytes=5000-6000", 1000, -ERANGE, 0, 0},
            {"bytes=-0", 1000, -ERANGE, 0, 0},
            {"bytes=0-", 0, -ERANGE, 0, 0},
            {"bytes=-1", 0, -ERANGE, 0, 0},
            {NULL, 1000, -ENODATA, 0, 0},
            {"", 1000, -ENODATA, 0, 0},
            {"items=0-1", 1000, -ENODATA, 0, 0},
            {"bytes0-1", 1000, -ENODATA, 0, 0},
            {"bytes=", 1000, -ENODATA, 0, 0},
            {"bytes=-", 1000, -ENODATA, 0, 0},
            {"bytes=a-b", 1000, -ENODATA, 0, 0},
            {"bytes=5-1", 1000, -ENODATA, 0, 0},
            {"bytes=0-1,5-6", 1000, -ENODATA, 0, 0},
            {"bytes=0-1x", 1000, -ENODATA, 0, 0},
            {"bytes=99999999999999999999-", 1000, -ENODATA, 0, 0},
            {"bytes=0-99999999999999999999", 1000, -ENODATA, 0, 0},
            {"bytes=--1", 1000, -ENODATA, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t off = 7777, len = 7777;
        int r = httpd_range_parse(cases[i].header, cases[i].size, &off, &len);
        if (r != cases[i].r)
            fail_msg("case %zu (%s): got %d want %d", i, cases[i].header ? cases[i].header : "NULL",
                     r, cases[i].r);
        if (r == 0) {
            assert_int_equal(off, cases[i].off);
            assert_int_equal(len, cases[i].len);
        } else {
            assert_int_equal(off, 7777); /* untouched on failure */
            assert_int_equal(len, 7777);
        }
    }
}

static void test_httpd_response_file_rejects_bad_fd(void **state)
{
    (void)state;
    struct httpd_response resp = {.file_fd = -1};
    assert_int_equal(httpd_response_file(&resp, NULL, -1, 10), -EINVAL);
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(httpd_response_file(NULL, NULL, fd, 10), -EINVAL); /* closes fd */
    assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void test_httpd_file_ranges_head_and_headers(void **state)
{
    (void)state;
    char path[] = "/tmp/httpd-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char data[200000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
    close(fd);

    struct file_route fr = {.path = path};
    struct httpd *h;
    assert_int_equal(httpd_new(&h, &(struct httpd_opts){.listen = "127.0.0.1:0"}), 0);
    assert_int_equal(httpd_route(h, "/f", serve_file, &fr), 0);
    assert_int_equal(httpd_start(h), 0);

    struct buf b = BUF_INIT(1u << 20);
    struct fetch_opts fo = {.header = "X-Forwarded-For: 203.0.113.7, 10.0.0.1"};
    assert_int_equal(fetch_opts(httpd_port(h), "/f", &b, &fo), 200);
    assert_int_equal(b.len, sizeof(data));
    assert_memory_equal(b.data, data, sizeof(data));
    assert_string_equal(fr.seen_xff, "203.0.113.7, 10.0.0.1");
    assert_string_equal(fr.seen_peer, "127.0.0.1");

    static const struct {
        const char *range;
        long code;
        size_t off, len;
        const char *content_range;
    } cases[] = {
            {"0-99", 206, 0, 100, "bytes 0-99/200000"},
            {"199990-", 206, 199990, 10, "bytes 199990-199999/200000"},
            {"-7", 206, 199993, 7, "bytes 199993-199999/200000"},
            {"65530-131100", 206, 65530, 65571, "bytes 65530-131100/200000"},
            {"300000-", 416, 0, 0, "bytes */200000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf_reset(&b);
        fo = (struct fetch_opts){.range = cases[i].range};
        assert_int_equal(fetch_opts(httpd_port(h), "/f", &b, &fo), cases[i].code);
        assert_string_equal(fo.content_range, cases[i].content_range);
        if (cases[i].code == 206) {
            assert_int_equal(b.len, cases[i].len);
            assert_memory_equal(b.data, data + cases[i].off, cases[i].len);
        }
    }
    buf_reset(&b);
    fo = (struct fetch_opts){.head = true};
    assert_int_equal(fetch_opts(httpd_port(h), "/f", &b, &fo), 200);
    assert_int_equal(b.len, 0);
    assert_true(fo.content_length == (double)sizeof(data));
    assert_string_equal(fr.seen_xff, "");

    buf_free(&b);
    assert_null(httpd_free(h));
    unlink(path);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_httpd_routes_and_errors),
            cmocka_unit_test(test_httpd_rejects_bad_listen),
            cmocka_unit_test(test_httpd_range_parse_table),
            cmocka_unit_test(test_httpd_response_file_rejects_bad_fd),
            cmocka_unit_test(test_httpd_file_ranges_head_and_headers),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
