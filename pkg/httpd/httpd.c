/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct session {
    struct httpd_response resp;
    size_t sent;
    bool ready;
};

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
    (void)lws_get_peer_simple(wsi, peer, sizeof(peer));
    ss->resp = (struct httpd_response){.status = 200, .body = BUF_INIT(64u * 1024 * 1024)};
    ss->sent = 0;
    const struct route *r = find_route(h, path);
    struct httpd_request req = {.method = method_name(m), .path = path, .peer = peer};
    if (!r) {
        ss->resp.status = 404;
        (void)buf_append_str(&ss->resp.body, "404 page not found\n");
    } else if (r->fn(r->userdata, &req, &ss->resp) < 0) {
        buf_reset(&ss->resp.body);
        ss->resp.status = 500;
        (void)buf_append_str(&ss->resp.body, "internal error\n");
    }
    if (m == LWSHUMETH_HEAD)
        ss->resp.body.len = 0;
    ss->ready = true;
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_response(struct lws *wsi, struct session *ss)
{
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
    const char *ct = ss->resp.content_type ? ss->resp.content_type : "text/plain; charset=utf-8";
    if (ss->sent == 0) {
        if (lws_add_http_common_headers(wsi, (unsigned)ss->resp.status, ct, ss->resp.body.len, &p,
                                        end) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
    }
    size_t left = ss->resp.body.len - ss->sent;
    if (left > 0) {
        size_t n = left > 65536 ? 65536 : left;
        unsigned char *out = malloc(LWS_PRE + n);
        if (!out)
            return -1;
        memcpy(out + LWS_PRE, ss->resp.body.data + ss->sent, n);
        int w = lws_write(wsi, out + LWS_PRE, n, LWS_WRITE_HTTP);
        free(out);
        if (w < 0)
            return -1;
        ss->sent += n;
        if (ss->sent < ss->resp.body.len) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    ss->sent = 0;
    ss->ready = false;
    buf_free(&ss->resp.body);
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
            buf_free(&ss->resp.body);
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

static int parse_listen(const char *listen, char *host, size_t n, int *port)
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

int httpd_new(struct httpd **ret, const struct httpd_opts *opts)
{
    char host[256];
    int port;
    if (!opts || !opts->listen || parse_listen(opts->listen, host, sizeof(host), &port) < 0)
        return -EINVAL;
    struct httpd *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    lws_set_log_level(LLL_ERR, lws_log_bridge);
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
