/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client on the wire, against a scripted loopback HTTP peer running in
 * a thread: the request line, headers and body of every verb, the mapping
 * of answers to errnos, watch streams written one byte per segment, ERROR
 * events, cut streams, cancellation from another thread, dead silent
 * streams, the rate limiter and the counters. Also the URL builders and the
 * argument checks that must fail before anything is sent. Threads
 * synchronise on condition variables and socket events, never on sleeps.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

/* ---------------------------------------------------------------- the peer */

#define STUB_MAX 4

struct stub {
    int lfd;
    int port;
    pthread_t thread;
    const char *responses[STUB_MAX]; /* one per connection, in order */
    size_t n;
    size_t chunk; /* bytes per send(), 0: all at once */
    bool hold;    /* keep each connection until the client closes it */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool got_request;
    char request[STUB_MAX][16384];
    size_t request_len[STUB_MAX];
};

static int stub_read_request(char *req, size_t cap, size_t *len, int fd)
{
    size_t want = SIZE_MAX;

    while (*len < cap - 1 && *len < want) {
        ssize_t n = recv(fd, req + *len, cap - 1 - *len, 0);
        if (n <= 0)
            return -1;
        *len += (size_t)n;
        req[*len] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (end && want == SIZE_MAX) {
            const char *cl = strcasestr(req, "\r\nContent-Length:");
            size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            want = (size_t)(end + 4 - req) + body;
        }
    }
    return 0;
}

static void stub_serve(struct stub *s, size_t i, int fd)
{
    const char *resp = s->responses[i];
    size_t len = strlen(resp), off = 0;

    if (stub_read_request(s->request[i], sizeof(s->request[i]), &s->request_len[i], fd) < 0)
        return;
    pthread_mutex_lock(&s->lock);
    s->got_request = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    while (off < len) {
        size_t n = s->chunk ? MIN(s->chunk, len - off) : len - off;
        ssize_t k = send(fd, resp + off, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        off += (size_t)k;
    }
    if (s->hold) {
        /* Until the client goes away (or 20 s, so a broken test ends). */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char tmp[256];
        while (poll(&p, 1, 20000) > 0 && recv(fd, tmp, sizeof(tmp), 0) > 0)
            ;
    }
}

static void *stub_main(void *userdata)
{
    struct stub *s = userdata;

    for (size_t i = 0; i < s->n; i++) {
        int one = 1, fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        stub_serve(s, i, fd);
        close(fd);
    }
    return NULL;
}

static int listen_loopback(int *ret_port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *ret_port = ntohs(a.sin_port);
    return fd;
}

/* A loopback port that refuses connections. */
static int closed_port(void)
{
    int port, fd = listen_loopback(&port);
    close(fd);
    return port;
}

static void
stub_start_n(struct stub *s, const char *const *responses, size_t n, size_t chunk, bool hold)
{
    assert_true(n <= STUB_MAX);
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < n; i++)
        s->responses[i] = responses[i];
    s->n = n;
    s->chunk = chunk;
    s->hold = hold;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->lfd = listen_loopback(&s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, stub_main, s), 0);
}

static void stub_start(struct stub *s, const char *response, size_t chunk, bool hold)
{
    stub_start_n(s, &response, 1, chunk, hold);
}

static void stub_finish(struct stub *s)
{
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    close(s->lfd);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

static void stub_wait_request(struct stub *s)
{
    pthread_mutex_lock(&s->lock);
    while (!s->got_request)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static struct kube_client *client_for(int port, double qps, int burst)
{
    char server[64];
    struct kube_config cfg = {.server = server, .token = (char *)"never-over-http"};
    struct kube_client *c = NULL;

    snprintf(server, sizeof(server), "http://127.0.0.1:%d", port);
    assert_int_equal(kube_client_new(&c, &cfg,
                                     &(struct kube_client_opts){.qps = qps,
                                                                .burst = burst,
                                                                .user_agent = "anvil-test/1",
                                                                .timeout_ms = 10000}),
                     0);
    return c;
}

static bool has_header(const char *request, const char *line)
{
    char want[512];
    const char *end = strstr(request, "\r\n\r\n");

    snprintf(want, sizeof(want), "\r\n%s\r\n", line);
    const char *h = strstr(request, want);
    return h && end && h < end;
}

static const char *request_body(const char *request)
{
    const char *end = strstr(request, "\r\n\r\n");
    return end ? end + 4 : "";
}

/* ---------------------------------------------------------------- REST table */

static const struct kube_resource HW = {"tinkerbell.org", "v1alpha1", "hardware", true};
static const struct kube_resource NS = {"", "v1", "namespaces", false};

typedef int (*call_fn)(struct kube_client *c, json_t **ret, struct kube_error *e);

static json_t *hw_object(const char *name, const char *rv)
{
    json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:{}}", "apiVersion", "tinkerbell.org/v1alpha1",
                          "kind", "Hardware", "metadata", "name", name, "spec");
    if (rv)
        json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string(rv));
    return o;
}

static int call_get(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_get(c, &HW, "default", "h1", ret, e);
}

static int call_get_cluster(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_get(c, &NS, "ignored", "kube-system", ret, e);
}

static int call_list(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_list(c, &HW, "tink",
                     &(struct kube_list_opts){.label_selector = "a in (x,y),!b",
                                              .field_selector = "metadata.name=h1",
                                              .resource_version = "0",
                                              .resource_version_match = "NotOlderThan",
                                              .limit = 500,
                                              .cont = "tok+/="},
                     ret, e);
}

static int call_list_all_namespaces(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_list(c, &HW, NULL, NULL, ret, e);
}

static int call_create(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *o = hw_object("h1", NULL);
    return kube_create(c, &HW, "default", o, ret, e);
}

static int call_create_ns_from_object(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *o = hw_object("h1", NULL);
    json_object_set_new(json_object_get(o, "metadata"), "namespace", json_string("from-obj"));
    return kube_create(c, &HW, NULL, o, ret, e);
}

static int call_update(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *o = hw_object("h1", "5");
    return kube_update(c, &HW, "default", o, ret, e);
}

static int call_update_status(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *o = hw_object("h1", "5");
    return kube_update_status(c, &HW, "default", o, ret, e);
}

static int call_patch_merge(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *p = json_pack("{s:{s:s}}", "spec", "agentID", "x");
    return kube_patch(c, &HW, "default", "h1", NULL, KUBE_PATCH_MERGE, p, ret, e);
}

static int call_patch_json_status(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *p = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path",
                                         "/status/state", "value", "Ready");
    return kube_patch(c, &HW, "default", "h1", "status", KUBE_PATCH_JSON, p, ret, e);
}

static int call_patch_apply(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *p = hw_object("h1", NULL);
    return kube_patch(c, &HW, "default", "h1", NULL, KUBE_PATCH_APPLY, p, ret, e);
}

static int call_delete(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_delete(c, &HW, "default", "h1", "42", ret, e);
}

static int call_delete_no_ret(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    *ret = json_object(); /* the test wants a value; the call itself gets NULL */
    return kube_delete(c, &HW, "default", "h1", NULL, NULL, e);
}

static int call_request(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    return kube_request(c, "GET", "/version", NULL, NULL, ret, e);
}

static int call_request_body(struct kube_client *c, json_t **ret, struct kube_error *e)
{
    _cleanup_json_ json_t *b = json_pack("{s:i}", "n", 1);
    return kube_request(c, "POST", "/apis/x/v1/things", "application/yaml", b, ret, e);
}

#define OK_JSON(body)                                                            \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n" \
    "Content-Length: " #body "\r\n\r\n"
#define ANSWER(status, extra, body)                                                        \
    "HTTP/1.1 " status "\r\nContent-Type: application/json\r\nConnection: close\r\n" extra \
    "\r\n" body

#define INVALID_ANSWER                                                                     \
    ANSWER("422 Unprocessable Entity", "",                                                 \
           "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"bad\",\"details\":{" \
           "\"causes\":[{\"field\":\"spec.x\"}]},\"code\":422}")

struct rest_case {
    const char *name;
    call_fn call;
    const char *response;
    int ret;
    const char *request_line;
    const char *content_type; /* NULL: must be absent */
    const char *body;         /* JSON the request must carry, NULL: none */
    long http_code;
    const char *reason;
    long retry_after;
};

#define HWP "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware"
#define DELETE_OPTS \
    "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}"

static const struct rest_case rest_cases[] = {
        {"get", call_get, ANSWER("200 OK", "", "{\"kind\":\"Hardware\"}"), 0,
         "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 0, NULL, 0},
        {"get cluster-scoped ignores ns", call_get_cluster, ANSWER("200 OK", "", "{}"), 0,
         "GET /api/v1/namespaces/kube-system HTTP/1.1", NULL, NULL, 0, NULL, 0},
        {"list with every option", call_list, ANSWER("200 OK", "", "{\"items\":[]}"), 0,
         "GET /apis/tinkerbell.org/v1alpha1/namespaces/tink/hardware?continue=tok%2B%2F%3D&"
         "fieldSelector=metadata.name%3Dh1&labelSelector=a%20in%20%28x%2Cy%29%2C%21b&limit=500&"
         "resourceVersion=0&resourceVersionMatch=NotOlderThan HTTP/1.1",
         NULL, NULL, 0, NULL, 0},
        {"list in all namespaces", call_list_all_namespaces, ANSWER("200 OK", "", "{}"), 0,
         "GET /apis/tinkerbell.org/v1alpha1/hardware HTTP/1.1", NULL, NULL, 0, NULL, 0},
        {"create", call_create, ANSWER("201 Created", "", "{\"kind\":\"Hardware\"}"), 0,
         "POST " HWP " HTTP/1.1", "application/json",
         "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\",\"metadata\":"
         "{\"name\":\"h1\"},\"spec\":{}}",
         0, NULL, 0},
        {"create takes the namespace of the object", call_create_ns_from_object,
         ANSWER("201 Created", "", "{}"), 0,
         "POST /apis/tinkerbell.org/v1alpha1/namespaces/from-obj/hardware HTTP/1.1",
         "application/json", NULL, 0, NULL, 0},
        {"create: already exists", call_create,
         ANSWER("409 Conflict",
                "",
                "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}"),
         -EEXIST, "POST " HWP " HTTP/1.1", "application/json", NULL, 409, "AlreadyExists", 0},
        {"update", call_update, ANSWER("200 OK", "", "{}"), 0, "PUT " HWP "/h1 HTTP/1.1",
         "application/json",
         "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\",\"metadata\":"
         "{\"name\":\"h1\",\"resourceVersion\":\"5\"},\"spec\":{}}",
         0, NULL, 0},
        {"update: conflict", call_update,
         ANSWER("409 Conflict", "", "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409}"),
         -ECANCELED, "PUT " HWP "/h1 HTTP/1.1", "application/json", NULL, 409, "Conflict", 0},
        {"update status", call_update_status, ANSWER("200 OK", "", "{}"), 0,
         "PUT " HWP "/h1/status HTTP/1.1", "application/json", NULL, 0, NULL, 0},
        {"merge patch", call_patch_merge, ANSWER("200 OK", "", "{}"), 0,
         "PATCH " HWP "/h1 HTTP/1.1", "application/merge-patch+json",
         "{\"spec\":{\"agentID\":\"x\"}}", 0, NULL, 0},
        {"json patch on status", call_patch_json_status, ANSWER("200 OK", "", "{}"), 0,
         "PATCH " HWP "/h1/status HTTP/1.1", "application/json-patch+json",
         "[{\"op\":\"replace\",\"path\":\"/status/state\",\"value\":\"Ready\"}]", 0, NULL, 0},
        {"server-side apply", call_patch_apply, ANSWER("200 OK", "", "{}"), 0,
         "PATCH " HWP "/h1?fieldManager=anvil&force=true HTTP/1.1", "application/apply-patch+yaml",
         "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\",\"metadata\":"
         "{\"name\":\"h1\"},\"spec\":{}}",
         0, NULL, 0},
        {"patch: invalid with causes", call_patch_merge, INVALID_ANSWER, -EINVAL,
         "PATCH " HWP "/h1 HTTP/1.1", "application/merge-patch+json", NULL, 422, "Invalid", 0},
        {"delete with a precondition", call_delete,
         ANSWER("200 OK", "", "{\"kind\":\"Status\",\"status\":\"Success\"}"), 0,
         "DELETE " HWP "/h1 HTTP/1.1", "application/json",
         "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\","
         "\"preconditions\":{\"resourceVersion\":\"42\"}}",
         0, NULL, 0},
        {"delete without ret", call_delete_no_ret, ANSWER("200 OK", "", "{}"), 0,
         "DELETE " HWP "/h1 HTTP/1.1", "application/json", DELETE_OPTS, 0, NULL, 0},
        {"delete: not found", call_delete,
         ANSWER("404 Not Found", "", "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404}"),
         -ENOENT, "DELETE " HWP "/h1 HTTP/1.1", "application/json", NULL, 404, "NotFound", 0},
        {"request", call_request, ANSWER("200 OK", "", "{\"major\":\"1\"}"), 0,
         "GET /version HTTP/1.1", NULL, NULL, 0, NULL, 0},
        {"request with a body", call_request_body, ANSWER("201 Created", "", "{}"), 0,
         "POST /apis/x/v1/things HTTP/1.1", "application/yaml", "{\"n\":1}", 0, NULL, 0},
        {"429 with Retry-After", call_get,
         ANSWER("429 Too Many Requests",
                "Retry-After: 3\r\n",
                "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429}"),
         -EAGAIN, "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 429, "TooManyRequests", 3},
        {"503 plain text", call_get, ANSWER("503 Service Unavailable", "", "try later"), -EAGAIN,
         "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 503, "", 1},
        {"410 gone", call_get,
         ANSWER("410 Gone", "", "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}"),
         -ESTALE, "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 410, "Expired", 0},
        {"401", call_get,
         ANSWER("401 Unauthorized", "", "{\"kind\":\"Status\",\"reason\":\"Unauthorized\"}"),
         -EACCES, "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 401, "Unauthorized", 0},
        {"500", call_get, ANSWER("500 Internal Server Error", "", "{\"kind\":\"Status\"}"), -EIO,
         "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 500, "", 0},
        {"200 that is not JSON", call_get, ANSWER("200 OK", "", "<html>"), -EBADMSG,
         "GET " HWP "/h1 HTTP/1.1", NULL, NULL, 200, "", 0},
};

static void test_rest_requests_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rest_cases); i++) {
        const struct rest_case *t = &rest_cases[i];
        struct kube_client *c;
        struct stub s;
        struct kube_error e;
        json_t *ret = NULL;
        char ct[128];
        int r;

        stub_start(&s, t->response, 0, false);
        c = client_for(s.port, 1000, 1000);
        memset(&e, 0x5a, sizeof(e));
        r = t->call(c, &ret, &e);
        stub_finish(&s);
        const char *req = s.request[0];
        if (r != t->ret)
            fail_msg("%s: got %d want %d (%s)", t->name, r, t->ret, r < 0 ? e.message : "");
        if (strncmp(req, t->request_line, strlen(t->request_line)) != 0 ||
            strncmp(req + strlen(t->request_line), "\r\n", 2) != 0)
            fail_msg("%s: request '%.200s'", t->name, req);
        assert_true(has_header(req, "Accept: application/json"));
        assert_true(has_header(req, "User-Agent: anvil-test/1"));
        /* Credentials never travel over plain http. */
        assert_null(strcasestr(req, "\r\nAuthorization:"));
        assert_null(strcasestr(req, "\r\nExpect:"));
        assert_non_null(strcasestr(req, "\r\nAccept-Encoding:"));
        if (t->content_type) {
            snprintf(ct, sizeof(ct), "Content-Type: %s", t->content_type);
            if (!has_header(req, ct))
                fail_msg("%s: no '%s' in '%s'", t->name, ct, req);
        } else
            assert_null(strcasestr(req, "\r\nContent-Type:"));
        if (t->body) {
            _cleanup_json_ json_t *want = json_loads(t->body, 0, NULL);
            _cleanup_json_ json_t *got = json_loads(request_body(req), 0, NULL);
            assert_non_null(want);
            if (!got || !json_equal(want, got))
                fail_msg("%s: body '%s'", t->name, request_body(req));
        }
        if (r == 0) {
            assert_non_null(ret);
            json_decref(ret);
        } else {
            assert_null(ret);
            assert_int_equal(e.http_code, t->http_code);
            assert_string_equal(e.reason, t->reason);
            assert_int_equal(e.retry_after, t->retry_after);
            kube_error_clear(&e);
        }
        kube_client_free(c);
    }
}

static void test_rest_invalid_causes_kept(void **state)
{
    struct kube_client *c;
    struct kube_error e = {0};
    json_t *ret = NULL;
    struct stub s;

    (void)state;
    stub_start(&s, INVALID_ANSWER, 0, false);
    c = client_for(s.port, 1000, 1000);
    assert_int_equal(call_patch_merge(c, &ret, &e), -EINVAL);
    stub_finish(&s);
    assert_true(kube_is_invalid(&e));
    assert_string_equal(json_string_value(json_object_get(json_array_get(e.causes, 0), "field")),
                        "spec.x");
    kube_error_clear(&e);
    kube_client_free(c);
}

static void test_rest_connection_refused(void **state)
{
    struct kube_client *c = client_for(closed_port(), 1000, 1000);
    struct kube_client_stats st;
    struct kube_error e;
    json_t *ret = NULL;

    (void)state;
    assert_int_equal(call_get(c, &ret, &e), -ECONNREFUSED);
    assert_null(ret);
    assert_int_equal(e.http_code, 0);
    assert_string_equal(e.reason, "");
    assert_true(e.message[0] != '\0');
    kube_client_get_stats(c, &st);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.by_class[0], 1);
    kube_client_free(c);
}

static void test_rest_list_all_follows_continue(void **state)
{
    static const char *const pages[] = {
            ANSWER("200 OK", "",
                   "{\"kind\":\"HardwareList\",\"metadata\":{\"resourceVersion\":\"9\","
                   "\"continue\":\"p2\",\"remainingItemCount\":2},\"items\":[{\"metadata\":"
                   "{\"name\":\"a\"}}]}"),
            ANSWER("200 OK", "",
                   "{\"metadata\":{\"resourceVersion\":\"9\",\"continue\":\"p3\"},\"items\":"
                   "[{\"metadata\":{\"name\":\"b\"}}]}"),
            ANSWER("200 OK", "",
                   "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[{\"metadata\":"
                   "{\"name\":\"c\"}}]}"),
    };
    static const char *const lines[] = {
            "GET " HWP "?labelSelector=x&limit=2 HTTP/1.1\r\n",
            "GET " HWP "?continue=p2&labelSelector=x&limit=2 HTTP/1.1\r\n",
            "GET " HWP "?continue=p3&labelSelector=x&limit=2 HTTP/1.1\r\n",
    };
    struct kube_client *c;
    struct kube_error e;
    json_t *ret = NULL;
    struct stub s;

    (void)state;
    stub_start_n(&s, pages, 3, 0, false);
    c = client_for(s.port, 1000, 1000);
    /* The caller's limit and continue give way to the page size. */
    assert_int_equal(kube_list_all(c, &HW, "default",
                                   &(struct kube_list_opts){
                                           .label_selector = "x", .limit = 7, .cont = "ignored"},
                                   2, &ret, &e),
                     0);
    stub_finish(&s);
    for (int i = 0; i < 3; i++)
        if (strncmp(s.request[i], lines[i], strlen(lines[i])) != 0)
            fail_msg("page %d: '%.120s'", i, s.request[i]);
    json_t *items = json_object_get(ret, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_array_get(items, 2), "metadata"), "name")),
                        "c");
    json_t *meta = json_object_get(ret, "metadata");
    assert_string_equal(json_string_value(json_object_get(meta, "resourceVersion")), "9");
    assert_string_equal(json_string_value(json_object_get(ret, "kind")), "HardwareList");
    assert_null(json_object_get(meta, "continue"));
    assert_null(json_object_get(meta, "remainingItemCount"));
    json_decref(ret);
    kube_client_free(c);
}

static void test_rest_list_all_errors(void **state)
{
    static const char *const repeat[] = {
            ANSWER("200 OK", "", "{\"metadata\":{\"continue\":\"same\"},\"items\":[]}"),
            ANSWER("200 OK", "", "{\"metadata\":{\"continue\":\"same\"},\"items\":[]}"),
    };
    static const char *const expired[] = {
            ANSWER("200 OK", "", "{\"metadata\":{\"continue\":\"c1\"},\"items\":[]}"),
            ANSWER("410 Gone", "", "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}"),
    };
    struct kube_client *c;
    struct kube_error e;
    json_t *ret = NULL;
    struct stub s;

    (void)state;
    stub_start_n(&s, repeat, 2, 0, false);
    c = client_for(s.port, 1000, 1000);
    assert_int_equal(kube_list_all(c, &HW, NULL, NULL, 0, &ret, &e), -EBADMSG);
    assert_string_equal(e.message, "the server repeated a continue token");
    stub_finish(&s);
    assert_non_null(strstr(s.request[0], "limit=500"));
    kube_client_free(c);

    /* An expired continue token: the caller relists. */
    stub_start_n(&s, expired, 2, 0, false);
    c = client_for(s.port, 1000, 1000);
    assert_int_equal(kube_list_all(c, &HW, NULL, NULL, 0, &ret, &e), -ESTALE);
    assert_true(kube_is_gone(&e));
    stub_finish(&s);
    assert_null(ret);
    kube_error_clear(&e);
    kube_client_free(c);
}

static void test_rest_limiter_and_stats(void **state)
{
    static const char *const answers[] = {
            ANSWER("200 OK", "", "{}"),
            ANSWER("404 Not Found", "", "{}"),
            ANSWER("200 OK", "", "{}"),
    };
    struct kube_client_stats st;
    struct kube_client *c;
    json_t *ret = NULL;
    struct stub s;

    (void)state;
    /* Burst 1 at 100 qps. The first call finds a full bucket; before the
     * others the test takes the token itself, so each of them waits about
     * 10 ms, however long the calls before took. */
    stub_start_n(&s, answers, 3, 0, false);
    c = client_for(s.port, 100, 1);
    assert_int_equal(call_get(c, &ret, NULL), 0);
    json_decref(ret);
    ret = NULL;
    c->limiter.tokens = 0;
    c->limiter.last_ns = kube_now_ns();
    assert_int_equal(call_get(c, &ret, NULL), -ENOENT);
    assert_null(ret);
    c->limiter.tokens = 0;
    c->limiter.last_ns = kube_now_ns();
    assert_int_equal(call_get(c, &ret, NULL), 0);
    json_decref(ret);
    stub_finish(&s);
    kube_client_get_stats(c, &st);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.by_class[2], 2);
    assert_int_equal(st.by_class[4], 1);
    assert_int_equal(st.by_class[0] + st.by_class[1] + st.by_class[3] + st.by_class[5], 0);
    assert_int_equal(st.throttled, 2);
    assert_true(st.seconds_sum > 0);
    kube_client_get_stats(NULL, &st);
    kube_client_free(c);
}

struct getter {
    struct kube_client *c;
    int ret;
};

static void *get_thread(void *userdata)
{
    struct getter *g = userdata;
    json_t *ret = NULL;
    struct kube_error e = {0};

    g->ret = call_get(g->c, &ret, &e);
    json_decref(ret);
    kube_error_clear(&e);
    return NULL;
}

static void test_rest_client_shared_by_threads(void **state)
{
    static const char *const answers[] = {
            ANSWER("200 OK", "", "{}"),
            ANSWER("200 OK", "", "{}"),
            ANSWER("200 OK", "", "{}"),
            ANSWER("200 OK", "", "{}"),
    };
    struct kube_client_stats st;
    struct getter g[4];
    pthread_t t[4];
    struct stub s;

    (void)state;
    stub_start_n(&s, answers, 4, 0, false);
    struct kube_client *c = client_for(s.port, 1000, 1000);
    for (int i = 0; i < 4; i++) {
        g[i] = (struct getter){.c = c, .ret = 1};
        assert_int_equal(pthread_create(&t[i], NULL, get_thread, &g[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(g[i].ret, 0);
    }
    stub_finish(&s);
    kube_client_get_stats(c, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.by_class[2], 4);
    /* Every handle came back to the pool. */
    assert_true(c->n_pool >= 1 && c->n_pool <= 4);
    kube_client_free(c);
}

/* ---------------------------------------------------------------- arguments */

static void test_rest_bad_arguments_send_nothing(void **state)
{
    /* Were anything sent, the answer would be -ECONNREFUSED, not -EINVAL. */
    struct kube_client *c = client_for(closed_port(), 1000, 1000);
    _cleanup_json_ json_t *obj = hw_object("h1", NULL), *noname = json_object(),
                          *arr = json_array();
    struct kube_resource bad = {"", "", "things", true};
    struct kube_error e;
    json_t *ret = NULL;

    (void)state;
    assert_int_equal(kube_get(c, &HW, NULL, "h1", &ret, &e), -EINVAL);
    assert_string_equal(e.message, "hardware is namespaced: a namespace is required");
    assert_int_equal(kube_get(c, &HW, "default", "", &ret, &e), -EINVAL);
    assert_int_equal(kube_get(c, &HW, "default", NULL, &ret, &e), -EINVAL);
    assert_int_equal(kube_get(c, &bad, "default", "x", &ret, &e), -EINVAL);
    assert_int_equal(kube_get(c, NULL, "default", "x", &ret, &e), -EINVAL);
    assert_int_equal(kube_get(c, &HW, "default", "..", &ret, &e), -EINVAL);
    assert_int_equal(kube_get(NULL, &HW, "default", "x", &ret, NULL), -EINVAL);
    assert_int_equal(kube_list(c, &HW, NULL, &(struct kube_list_opts){.limit = -1}, &ret, &e),
                     -EINVAL);
    assert_int_equal(kube_list_all(c, &HW, NULL, NULL, -1, &ret, &e), -EINVAL);
    assert_int_equal(kube_create(c, &HW, NULL, obj, &ret, &e), -EINVAL);
    assert_int_equal(kube_create(c, &HW, "default", arr, &ret, &e), -EINVAL);
    assert_int_equal(kube_update(c, &HW, "default", noname, &ret, &e), -EINVAL);
    assert_string_equal(e.message, "metadata.name is required");
    assert_int_equal(kube_patch(c, &HW, "default", "h1", NULL, KUBE_PATCH_JSON, obj, &ret, &e),
                     -EINVAL);
    assert_int_equal(kube_patch(c, &HW, "default", "h1", NULL, KUBE_PATCH_MERGE, arr, &ret, &e),
                     -EINVAL);
    assert_int_equal(kube_patch(c, &HW, "default", "h1", NULL, _KUBE_PATCH_MAX, obj, &ret, &e),
                     -EINVAL);
    assert_int_equal(kube_patch(c, &HW, "default", "h1", "", KUBE_PATCH_MERGE, obj, &ret, &e),
                     -EINVAL);
    assert_int_equal(kube_delete(c, &HW, NULL, "h1", NULL, NULL, &e), -EINVAL);
    assert_int_equal(kube_request(c, "GET", "version", NULL, NULL, &ret, &e), -EINVAL);
    assert_int_equal(kube_request(c, "GET /x HTTP/1.1\r\n", "/x", NULL, NULL, &ret, &e), -EINVAL);
    assert_int_equal(kube_request(c, "GET", "/x\r\nEvil: 1", NULL, NULL, &ret, &e), -EINVAL);
    assert_null(ret);
    kube_client_free(c);
}

static void test_client_new_options(void **state)
{
    struct kube_config cfg = {.server = (char *)"https://k.example:6443/prefix/"};
    struct kube_client *c = NULL;

    (void)state;
    assert_int_equal(kube_client_new(&c, &cfg, NULL), 0);
    assert_string_equal(c->base_url, "https://k.example:6443/prefix");
    assert_true(c->https);
    assert_null(c->connect_to);
    assert_int_equal(c->timeout_ms, KUBE_DEFAULT_TIMEOUT_MS);
    assert_string_equal(c->user_agent, "anvil");
    assert_true(c->limiter.qps == KUBE_DEFAULT_QPS);
    assert_true(c->limiter.burst == KUBE_DEFAULT_BURST);
    c = kube_client_free(c);

    cfg.server = (char *)"https://k.example";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), 0);
    assert_string_equal(c->base_url, "https://k.example:443");
    c = kube_client_free(c);

    /* tls-server-name: the URL names it, CONNECT_TO goes to the real host. */
    cfg.server = (char *)"https://[fd00::1]:6443";
    cfg.tls_server_name = (char *)"api.internal";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), 0);
    assert_string_equal(c->base_url, "https://api.internal:6443");
    assert_non_null(c->connect_to);
    assert_string_equal(c->connect_to->data, "api.internal:6443:[fd00::1]:6443");
    c = kube_client_free(c);
    cfg.tls_server_name = (char *)"bad:name";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), -EINVAL);
    cfg.tls_server_name = NULL;

    /* Over http the name is irrelevant. */
    cfg.server = (char *)"http://127.0.0.1:8080";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), 0);
    assert_false(c->https);
    c = kube_client_free(c);

    const struct kube_client_opts bad_opts[] = {
            {.qps = -1},        {.burst = -1}, {.timeout_ms = -5}, {.user_agent = "x\r\ny"},
            {.qps = 1.0 / 0.0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_opts); i++)
        assert_int_equal(kube_client_new(&c, &cfg, &bad_opts[i]), -EINVAL);
    cfg.server = (char *)"ftp://k:21";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), -EINVAL);
    cfg.server = (char *)"not a url";
    assert_int_equal(kube_client_new(&c, &cfg, NULL), -EINVAL);
    cfg.server = NULL;
    assert_int_equal(kube_client_new(&c, &cfg, NULL), -EINVAL);
    assert_null(c);
    assert_null(kube_client_free(NULL));
}

/* ---------------------------------------------------------------- URLs */

static void test_url_path_build_table(void **state)
{
    const struct {
        struct kube_resource r;
        const char *ns, *name, *sub;
        int ret;
        const char *want;
    } cases[] = {
            {{"", "v1", "pods", true}, "default", NULL, NULL, 0, "/api/v1/namespaces/default/pods"},
            {{NULL, "v1", "pods", true}, NULL, NULL, NULL, 0, "/api/v1/pods"},
            {{"", "v1", "pods", true}, "", NULL, NULL, 0, "/api/v1/pods"},
            {{"", "v1", "namespaces", false},
             "x",
             "kube-system",
             NULL,
             0,
             "/api/v1/namespaces/kube-system"},
            {{"coordination.k8s.io", "v1", "leases", true},
             "ns",
             "l",
             NULL,
             0,
             "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l"},
            {{"tinkerbell.org", "v1alpha1", "hardware", true},
             "ns",
             "h",
             "status",
             0,
             "/apis/tinkerbell.org/v1alpha1/namespaces/ns/hardware/h/status"},
            {{"g", "v1", "r", true},
             "n s",
             "a/b?c#d%",
             NULL,
             0,
             "/apis/g/v1/namespaces/n%20s/r/a%2Fb%3Fc%23d%25"},
            {{"g", "v1", "r", true}, "ns", NULL, "status", -EINVAL, NULL},
            {{"g", "v1", "r", true}, "ns", "", NULL, -EINVAL, NULL},
            {{"g", "v1", "r", true}, "ns", ".", NULL, -EINVAL, NULL},
            {{"g", "v1", "r", true}, "..", "x", NULL, -EINVAL, NULL},
            {{"g", NULL, "r", true}, "ns", NULL, NULL, -EINVAL, NULL},
            {{"g", "v1", NULL, true}, "ns", NULL, NULL, -EINVAL, NULL},
            {{"g", "v1", "", true}, "ns", NULL, NULL, -EINVAL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT(4096);
        int r = kube_path_build(&b, &cases[i].r, cases[i].ns, cases[i].name, cases[i].sub);
        if (r != cases[i].ret || (r == 0 && strcmp(buf_str(&b), cases[i].want) != 0))
            fail_msg("case %zu: %d '%s'", i, r, buf_str(&b));
        buf_free(&b);
    }
}

static void test_url_watch_path(void **state)
{
    struct buf b = BUF_INIT(4096);

    (void)state;
    assert_int_equal(kube_watch_path(&b, &HW, "default",
                                     &(struct kube_watch_opts){.resource_version = "106",
                                                               .allow_bookmarks = true,
                                                               .field_selector = "metadata.name=w1",
                                                               .label_selector = "a=b"},
                                     534),
                     0);
    assert_string_equal(buf_str(&b),
                        HWP "?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dw1"
                            "&labelSelector=a%3Db&resourceVersion=106&timeoutSeconds=534"
                            "&watch=true");
    buf_free(&b);
    assert_int_equal(kube_watch_path(&b, &HW, NULL, &(struct kube_watch_opts){0}, 300), 0);
    assert_string_equal(buf_str(&b),
                        "/apis/tinkerbell.org/v1alpha1/hardware?timeoutSeconds=300&watch=true");
    buf_free(&b);
    assert_int_equal(kube_watch_path(&b, &HW, NULL, NULL, 300), 0);
    assert_string_equal(buf_str(&b), "/apis/tinkerbell.org/v1alpha1/hardware?allowWatchBookmarks="
                                     "true&timeoutSeconds=300&watch=true");
    buf_free(&b);
}

static void test_url_escape_bounded(void **state)
{
    struct buf b = BUF_INIT(8);

    (void)state;
    assert_int_equal(kube_escape(&b, "a~b"), 0);
    assert_string_equal(buf_str(&b), "a~b");
    assert_int_equal(kube_escape(&b, "\xff\xfe"), -E2BIG);
    buf_free(&b);
}

/* ---------------------------------------------------------------- watch */

struct watch_seen {
    char log[2048];
    int n;
    int stop_at; /* return -EPIPE at this event (1-based), 0 never */
};

static int on_watch_event(enum kube_event_type type, json_t *object, void *userdata)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    struct watch_seen *w = userdata;
    const char *rv = json_string_value(
            json_object_get(json_object_get(object, "metadata"), "resourceVersion"));
    size_t len = strlen(w->log);

    snprintf(w->log + len, sizeof(w->log) - len, "%s%s:%s", len ? " " : "", names[type],
             rv ? rv : "");
    w->n++;
    return w->stop_at && w->n == w->stop_at ? -EPIPE : 0;
}

#define EVT(t, rv)                                                                        \
    "{\"type\":\"" t "\",\"object\":{\"kind\":\"Hardware\",\"metadata\":{\"name\":\"h\"," \
    "\"resourceVersion\":\"" rv "\"}}}\n"
#define STREAM_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define CHUNKED_HEAD \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
#define EXPIRED                                                                                  \
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{}," \
    "\"status\":\"Failure\",\"message\":\"too old resource version: 2 (40)\",\"reason\":"        \
    "\"Expired\",\"code\":410}}\n"

struct watch_case {
    const char *name;
    const char *response;
    size_t chunk;
    bool hold;
    size_t max_line;
    int stop_at;
    int ret;
    const char *log;
    long http_code;
    const char *reason;
};

static const struct watch_case watch_cases[] = {
        {"events one byte per segment, then the server ends the stream",
         STREAM_HEAD EVT("ADDED", "11") EVT("MODIFIED", "12") EVT("BOOKMARK", "13")
                 EVT("DELETED", "14"),
         1, false, 0, 0, 0, "ADDED:11 MODIFIED:12 BOOKMARK:13 DELETED:14", 0, NULL},
        {"chunked transfer encoding across events",
         CHUNKED_HEAD
         "10\r\n{\"type\":\"ADDED\",\r\n"
         "38\r\n\"object\":{\"metadata\":{\"resourceVersion\":\"21\"}}}\n{\"type\":\r\n"
         "24\r\n\"DELETED\",\"object\":{\"metadata\":{}}}\n\r\n0\r\n\r\n",
         7, false, 0, 0, 0, "ADDED:21 DELETED:", 0, NULL},
        {"ERROR 410 ends the watch at once (the server keeps the stream open)",
         STREAM_HEAD EVT("ADDED", "11") EXPIRED EVT("ADDED", "99"), 0, true, 0, 0, -ESTALE,
         "ADDED:11", 410, "Expired"},
        {"410 as the HTTP status",
         "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
         "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}",
         0, false, 0, 0, -ESTALE, "", 410, "Expired"},
        {"429 with Retry-After",
         "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 4\r\nConnection: close\r\n\r\n", 0, false,
         0, 0, -EAGAIN, "", 429, ""},
        {"the callback stops the watch",
         STREAM_HEAD EVT("ADDED", "1") EVT("ADDED", "2") EVT("ADDED", "3"), 0, true, 0, 2, -EPIPE,
         "ADDED:1 ADDED:2", 0, ""},
        {"the stream ends inside an event", STREAM_HEAD EVT("ADDED", "1") "{\"type\":\"ADD", 3,
         false, 0, 0, -EIO, "ADDED:1", 0, ""},
        {"a chunked stream cut by a dying server",
         CHUNKED_HEAD "5c\r\n" EVT("ADDED", "1") "\r\n40\r\n{\"type\":\"ADDED\"", 0, false, 0, 0,
         -EIO, "ADDED:1", 0, ""},
        {"a malformed event", STREAM_HEAD EVT("ADDED", "1") "{\"type\":\"NOPE\",\"object\":{}}\n",
         0, true, 0, 0, -EBADMSG, "ADDED:1", 0, ""},
        {"an over-long event", STREAM_HEAD EVT("ADDED", "1") EVT("ADDED", "123456789"), 0, true, 95,
         0, -E2BIG, "ADDED:1", 0, ""},
};

static void test_watch_streams_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(watch_cases); i++) {
        const struct watch_case *t = &watch_cases[i];
        struct watch_seen seen = {.stop_at = t->stop_at};
        struct kube_client *c;
        struct kube_error e;
        struct stub s;
        int r;

        stub_start(&s, t->response, t->chunk, t->hold);
        c = client_for(s.port, 1000, 1000);
        memset(&e, 0x66, sizeof(e));
        r = kube_watch_run(c, &HW, "default",
                           &(struct kube_watch_opts){.resource_version = "10",
                                                     .allow_bookmarks = true,
                                                     .timeout_seconds = 7,
                                                     .max_line = t->max_line},
                           on_watch_event, &seen, NULL, &e);
        kube_client_free(c); /* closes the connection: a holding peer ends */
        stub_finish(&s);
        if (r != t->ret || strcmp(seen.log, t->log) != 0)
            fail_msg("%s: ret %d log '%s' (%s)", t->name, r, seen.log, r < 0 ? e.message : "");
        const char *line = "GET " HWP "?allowWatchBookmarks=true&resourceVersion=10&"
                           "timeoutSeconds=7&watch=true HTTP/1.1\r\n";
        if (strncmp(s.request[0], line, strlen(line)) != 0)
            fail_msg("%s: request '%.200s'", t->name, s.request[0]);
        if (r < 0) {
            assert_int_equal(e.http_code, t->http_code);
            if (t->reason)
                assert_string_equal(e.reason, t->reason);
            if (e.message[0] == '\0')
                fail_msg("%s: no message", t->name);
            if (r == -EAGAIN)
                assert_int_equal(e.retry_after, 4);
            kube_error_clear(&e);
        }
    }
}

struct canceller {
    struct stub *stub;
    struct kube_cancel *cancel;
};

static void *cancel_thread(void *userdata)
{
    struct canceller *k = userdata;
    stub_wait_request(k->stub);
    kube_cancel_fire(k->cancel);
    return NULL;
}

static void test_watch_cancel_from_another_thread(void **state)
{
    struct kube_cancel *cancel = NULL;
    struct watch_seen seen = {0};
    struct kube_client *c;
    struct kube_error e;
    struct canceller k;
    struct stub s;
    pthread_t t;

    (void)state;
    assert_int_equal(kube_cancel_new(&cancel), 0);
    stub_start(&s, STREAM_HEAD, 0, true);
    c = client_for(s.port, 1000, 1000);
    k = (struct canceller){.stub = &s, .cancel = cancel};
    assert_int_equal(pthread_create(&t, NULL, cancel_thread, &k), 0);
    uint64_t start = kube_now_ns();
    int r = kube_watch_run(c, &HW, "default", &(struct kube_watch_opts){.timeout_seconds = 300},
                           on_watch_event, &seen, cancel, &e);
    if (r != -ECANCELED)
        fail_msg("ret %d: %s", r, e.message);
    /* Within a few poll periods of the fire, not at the stream's end. */
    assert_true(kube_now_ns() - start < UINT64_C(5000000000));
    assert_int_equal(pthread_join(t, NULL), 0);
    kube_client_free(c);
    stub_finish(&s);
    assert_string_equal(e.message, "watch cancelled");
    /* Fired before the start: nothing is sent at all. */
    c = client_for(closed_port(), 1000, 1000);
    assert_int_equal(kube_watch_run(c, &HW, "default", NULL, on_watch_event, &seen, cancel, &e),
                     -ECANCELED);
    kube_client_free(c);
    kube_cancel_free(cancel);
}

static void test_watch_dead_silent_stream(void **state)
{
    struct watch_seen seen = {0};
    struct kube_client *c;
    struct kube_error e;
    struct stub s;

    (void)state;
    stub_start(&s, STREAM_HEAD EVT("ADDED", "1"), 0, true);
    c = client_for(s.port, 1000, 1000);
    assert_int_equal(kube_watch_run_tuned(c, &HW, "default", NULL, on_watch_event, &seen, NULL, &e,
                                          &(struct kube_watch_tuning){.dead_after_ms = 150}),
                     -ETIMEDOUT);
    assert_string_equal(seen.log, "ADDED:1");
    assert_string_equal(e.message, "watch stream silent for 150 ms");
    kube_client_free(c);
    stub_finish(&s);
}

static void test_watch_random_timeout_and_bad_args(void **state)
{
    struct watch_seen seen = {0};
    struct kube_client *c;
    struct kube_error e;
    struct stub s;

    (void)state;
    stub_start(&s, STREAM_HEAD, 0, false);
    c = client_for(s.port, 1000, 1000);
    assert_int_equal(kube_watch_run(c, &HW, NULL, NULL, on_watch_event, &seen, NULL, &e), 0);
    kube_client_free(c);
    stub_finish(&s);
    const char *q = strstr(s.request[0], "timeoutSeconds=");
    assert_non_null(q);
    long secs = strtol(q + 15, NULL, 10);
    assert_true(secs >= 300 && secs < 600);

    c = client_for(closed_port(), 1000, 1000);
    assert_int_equal(kube_watch_run(c, &HW, NULL, NULL, NULL, NULL, NULL, &e), -EINVAL);
    assert_int_equal(kube_watch_run(c, NULL, NULL, NULL, on_watch_event, NULL, NULL, &e), -EINVAL);
    assert_int_equal(kube_watch_run(NULL, &HW, NULL, NULL, on_watch_event, NULL, NULL, NULL),
                     -EINVAL);
    kube_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rest_requests_table),
            cmocka_unit_test(test_rest_invalid_causes_kept),
            cmocka_unit_test(test_rest_connection_refused),
            cmocka_unit_test(test_rest_list_all_follows_continue),
            cmocka_unit_test(test_rest_list_all_errors),
            cmocka_unit_test(test_rest_limiter_and_stats),
            cmocka_unit_test(test_rest_client_shared_by_threads),
            cmocka_unit_test(test_rest_bad_arguments_send_nothing),
            cmocka_unit_test(test_client_new_options),
            cmocka_unit_test(test_url_path_build_table),
            cmocka_unit_test(test_url_watch_path),
            cmocka_unit_test(test_url_escape_bounded),
            cmocka_unit_test(test_watch_streams_table),
            cmocka_unit_test(test_watch_cancel_from_another_thread),
            cmocka_unit_test(test_watch_dead_silent_stream),
            cmocka_unit_test(test_watch_random_timeout_and_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
