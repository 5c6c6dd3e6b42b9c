/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_httpd_routes_and_errors),
            cmocka_unit_test(test_httpd_rejects_bad_listen),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
