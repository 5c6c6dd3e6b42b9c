/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#define LOG_COMPONENT "httpd"
#include "httpd/httpd.h"
#include "log/log.h"

#define MAX_ROUTES 32

struct route {
    const char *path;
    httpd_handler_fn fn;
    void *userdata;
};

struct httpd {
    struct lws_context *ctx;
    pthread_t thread;
    bool running;
    atomic_int stop;
    struct route routes[MAX_ROUTES];
    size_t n_routes;
    int port;
};

/* Per-connection state, allocated by libwebsockets (zeroed). */
struct session {
    struct httpd_response resp;
    uint64_t sent;
    bool ready;
    bool head;
    bool has_fd; /* resp.file_fd is owned and must be closed */
    char range[HTTPD_HEADER_MAX];
    char forwarded_for[HTTPD_HEADER_MAX];
};

static void session_reset(struct session *ss)
{
    buf_free(&ss->resp.body);
    if (ss->has_fd && ss->resp.file_fd >= 0)
        (void)close(ss->resp.file_fd);
    ss->has_fd = false;
    ss->resp.file_fd = -1;
    ss->sent = 0;
    ss->ready = false;
}

/* Copies header token into dst; NULL when absent, empty or too long. */
static const char *copy_header(struct lws *wsi, enum lws_token_indexes token, char *dst, size_t n)
{
    int len = lws_hdr_total_length(wsi, token);
    if (len <= 0 || (size_t)len >= n)
        return NULL;
    if (lws_hdr_copy(wsi, dst, (int)n, token) < 0)
        return NULL;
    return dst;
}

static const struct route *find_route(const struct httpd *h, const char *path)
{
    for (size_t i = 0; i < h->n_routes; i++) {
        const char *p = h->routes[i].path;
        size_t n = strlen(p);
        if (strcmp(p, path) == 0 || (n > 0 && p[n - 1] == '/' && strncmp(p, path, n) == 0))
            return &h->routes[i];
    }
    return NULL;
}

static const char *method_name(int m)
{
    switch (m) {
    case LWSHUMETH_GET:
        return "GET";
    case LWSHUMETH_HEAD:
        return "HEAD";
    case LWSHUMETH_POST:
        return "POST";
    case LWSHUMETH_PUT:
        return "PUT";
    case LWSHUMETH_DELETE:
        return "DELETE";
    case LWSHUMETH_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

static int handle(struct httpd *h, struct lws *wsi, struct session *ss)
{
    char *uri;
    int len;
    int m = lws_http_get_uri_and_method(wsi, &uri, &len);
    char path[1024], peer[64];
    snprintf(path, sizeof(path), "%.*s", len > 0 ? len : 0, uri);
    if (!lws_get_peer_simple(wsi, peer, sizeof(peer)))
        peer[0] = '\0';
    session_reset(ss);
    ss->resp = (struct httpd_response){
            .status = 200, .body = BUF_INIT(64u * 1024 * 1024), .file_fd = -1};
    ss->head = m == LWSHUMETH_HEAD;
    const struct route *r = find_route(h, path);
    struct httpd_request req = {
            .method = method_name(m),
            .path = path,
            .peer = peer,
            .range = copy_header(wsi, WSI_TOKEN_HTTP_RANGE, ss->range, sizeof(ss->range)),
            .forwarded_for = copy_header(wsi, WSI_TOKEN_X_FORWARDED_FOR, ss->forwarded_for,
                                         sizeof(ss->forwarded_for)),
    };
    if (!r) {
        ss->resp.status = 404;
        (void)buf_append_str(&ss->resp.body, "404 page not found\n");
    } else if (r->fn(r->userdata, &req, &ss->resp) < 0) {
        if (ss->resp.file_fd >= 0)
            (void)close(ss->resp.file_fd);
        ss->resp.file_fd = -1;
        buf_reset(&ss->resp.body);
        ss->resp.status = 500;
        (void)buf_append_str(&ss->resp.body, "internal error\n");
    }
    ss->has_fd = ss->resp.file_fd >= 0;
    ss->ready = true;
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_headers(struct lws *wsi, struct session *ss, uint64_t length)
{
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
    const char *ct = ss->resp.content_type ? ss->resp.content_type : "text/plain; charset=utf-8";
    char cr[96];

    if (lws_add_http_common_headers(wsi, (unsigned)ss->resp.status, ct, length, &p, end))
        return -1;
    if (ss->has_fd) {
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT_RANGES,
                                         (const unsigned char *)"bytes", 5, &p, end))
            return -1;
        if (ss->resp.status == 206) {
            int n = snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
                             (unsigned long long)ss->resp.file_offset,
                             (unsigned long long)(ss->resp.file_offset + length - 1),
                             (unsigned long long)ss->resp.file_size);
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_RANGE,
                                             (const unsigned char *)cr, n, &p, end))
                return -1;
        }
    } else if (ss->resp.status == 416) {
        int n = snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)ss->resp.file_size);
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_RANGE,
                                         (const unsigned char *)cr, n, &p, end))
            return -1;
    }
    return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

/* Writes the next chunk (at most 64 KiB) of the body; 1 when more is left. */
static int write_chunk(struct lws *wsi, struct session *ss, uint64_t length)
{
    uint64_t left = length - ss->sent;
    size_t n = left > 65536 ? 65536 : (size_t)left;
    _cleanup_free_ unsigned char *out = malloc(LWS_PRE + n);
    if (!out)
        return -1;
    if (ss->has_fd) {
        ssize_t got =
                pread(ss->resp.file_fd, out + LWS_PRE, n, (off_t)(ss->resp.file_offset + ss->sent));
        if (got <= 0)
            return -1; /* the file shrank or failed: the length is promised, so close */
        n = (size_t)got;
    } else {
        memcpy(out + LWS_PRE, ss->resp.body.data + ss->sent, n);
    }
    if (lws_write(wsi, out + LWS_PRE, n, LWS_WRITE_HTTP) < 0)
        return -1;
    ss->sent += n;
    return ss->sent < length ? 1 : 0;
}

static int write_response(struct lws *wsi, struct session *ss)
{
    uint64_t length = ss->has_fd ? ss->resp.file_length : ss->resp.body.len;
    if (ss->sent == 0 && write_headers(wsi, ss, length) < 0)
        return -1;
    if (!ss->head && length > 0) {
        int r = write_chunk(wsi, ss, length);
        if (r < 0)
            return -1;
        if (r > 0) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    session_reset(ss);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct session *ss = user;
    struct httpd *h = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return handle(h, wsi, ss);
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return 0; /* request bodies are not used by these endpoints */
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!ss || !ss->ready)
            return 0;
        return write_response(wsi, ss);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (ss)
            session_reset(ss);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
        {"http", callback, sizeof(struct session), 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

int httpd_parse_listen(const char *listen, char *host, size_t n, int *port)
{
    const char *colon = strrchr(listen, ':');
    const char *ps = colon ? colon + 1 : listen;
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (hl >= n)
        return -EINVAL;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    char *end;
    long p = strtol(ps, &end, 10);
    if (!*ps || *end || p < 0 || p > 65535)
        return -EINVAL;
    *port = (int)p;
    return 0;
}

static void lws_log_bridge(int level, const char *line)
{
    char msg[512];
    size_t n = strlen(line);
    if (!(level & LLL_ERR))
        return;
    snprintf(msg, sizeof(msg), "%.*s", (int)(n > 0 && line[n - 1] == '\n' ? n - 1 : n), line);
    log_warn("libwebsockets", LOG_STR("detail", msg));
}

void httpd_lws_logging(void)
{
    lws_set_log_level(LLL_ERR, lws_log_bridge);
}

int httpd_new(struct httpd **ret, const struct httpd_opts *opts)
{
    char host[256];
    int port;
    if (!opts || !opts->listen || httpd_parse_listen(opts->listen, host, sizeof(host), &port) < 0)
        return -EINVAL;
    struct httpd *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    httpd_lws_logging();
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.iface = host[0] ? host : NULL;
    info.protocols = protocols;
    info.user = h;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = 30;
    h->ctx = lws_create_context(&info);
    if (!h->ctx) {
        free(h);
        return -EADDRINUSE;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(h->ctx, "default");
    h->port = vh ? lws_get_vhost_listen_port(vh) : port;
    *ret = h;
    return 0;
}

int httpd_route(struct httpd *h, const char *path, httpd_handler_fn fn, void *userdata)
{
    if (!h || !path || !fn || h->running)
        return -EINVAL;
    if (h->n_routes == MAX_ROUTES)
        return -ENOSPC;
    h->routes[h->n_routes++] = (struct route){.path = path, .fn = fn, .userdata = userdata};
    return 0;
}

static void *serve(void *arg)
{
    struct httpd *h = arg;
    while (!atomic_load(&h->stop))
        if (lws_service(h->ctx, 0) < 0)
            break;
    return NULL;
}

int httpd_start(struct httpd *h)
{
    if (!h || h->running)
        return -EINVAL;
    int r = pthread_create(&h->thread, NULL, serve, h);
    if (r != 0)
        return -r;
    h->running = true;
    return 0;
}

int httpd_port(const struct httpd *h)
{
    return h ? h->port : -1;
}

struct httpd *httpd_free(struct httpd *h)
{
    if (!h)
        return NULL;
    if (h->running) {
        atomic_store(&h->stop, 1);
        lws_cancel_service(h->ctx);
        (void)pthread_join(h->thread, NULL);
    }
    lws_context_destroy(h->ctx);
    free(h);
    return NULL;
}
