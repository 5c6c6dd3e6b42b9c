/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A scripted Redfish peer for the pkg/redfish tests: a real HTTP(S) server on
 * libwebsockets in its own thread, answering canned responses by method and
 * path (each route may be limited to n uses, so a sequence such as "412 then
 * 204" is a pair of routes) and recording every request: method, path,
 * credentials, If-Match and body. Certificates: two throwaway self-signed
 * P-256 CAs for 127.0.0.1 made for these tests only.
 */

static const char test_ca_a_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBpzCCAUygAwIBAgIUWpysQutJVAFAG7Ew+vN0jDOWsUswCgYIKoZIzj0EAwIw\n"
        "HzEdMBsGA1UEAwwUYW52aWwtcmVkZmlzaC10ZXN0LWEwIBcNMjYxMTIxMDkyMzEy\n"
        "WhgPMjEyNjEwMjgwOTIzMTJaMB8xHTAbBgNVBAMMFGFudmlsLXJlZGZpc2gtdGVz\n"
        "dC1hMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzUa0s0rW2kOfogouzYCGSvtL\n"
        "Q4oLybQTiqmGmxedEQZTImeqZQPltlxbHCrunF6V25QakzIUV3pqfs4A5CPGsaNk\n"
        "MGIwHQYDVR0OBBYEFB2OnaxD5+31LK/gmvds0N/57RdbMB8GA1UdIwQYMBaAFB2O\n"
        "naxD5+31LK/gmvds0N/57RdbMA8GA1UdEQQIMAaHBH8AAAEwDwYDVR0TAQH/BAUw\n"
        "AwEB/zAKBggqhkjOPQQDAgNJADBGAiEAu2kdjHUT8X+HBDcZDLyslXcDes67SNEi\n"
        "81o7hW9U7qkCIQDbfOUUvbx4j22z8aP1ZqX4pct0LYta5KoiVckenycwcA==\n"
        "-----END CERTIFICATE-----\n";

static const char test_ca_b_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBpjCCAUygAwIBAgIUJaQUdm12g/wC3KzEPfCdGr7ZEEswCgYIKoZIzj0EAwIw\n"
        "HzEdMBsGA1UEAwwUYW52aWwtcmVkZmlzaC10ZXN0LWIwIBcNMjYxMTIxMDkyMzEy\n"
        "WhgPMjEyNjEwMjgwOTIzMTJaMB8xHTAbBgNVBAMMFGFudmlsLXJlZGZpc2gtdGVz\n"
        "dC1iMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOJ2VK8hK2IXQkp3NzoWn0JBF\n"
        "bpLCCFty2vK4wLq3YPZ5r/pSYYupOIXdwPTiAY7GfbxN6M8+Wslm5euAGyAl9aNk\n"
        "MGIwHQYDVR0OBBYEFL+K+WWYgWTO5nuUMXzM0u9ANXOlMB8GA1UdIwQYMBaAFL+K\n"
        "+WWYgWTO5nuUMXzM0u9ANXOlMA8GA1UdEQQIMAaHBH8AAAEwDwYDVR0TAQH/BAUw\n"
        "AwEB/zAKBggqhkjOPQQDAgNIADBFAiAzzKIwmZ0ulats6XyYr5DFzgKnxN+p0NtP\n"
        "Pw+mgceRkQIhAL0GFh1wjn93TeoOBB6Atdx2M4AYnjr4VQybACzil7AK\n"
        "-----END CERTIFICATE-----\n";

static const char test_key_a_pem[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnaatRVKbxMj2VhOs\n"
        "7gTiIXnsrEr/eUn+VA0E6TCZ/mahRANCAATNRrSzStbaQ5+iCi7NgIZK+0tDigvJ\n"
        "tBOKqYabF50RBlMiZ6plA+W2XFscKu6cXpXblBqTMhRXemp+zgDkI8ax\n"
        "-----END PRIVATE KEY-----\n";

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define PEER_MAX_SEEN 96
#define PEER_FIELD    1024

struct canned {
    const char *method;
    const char *path;
    int status;
    const char *body; /* NULL: empty */
    const char *etag; /* response headers, NULL: absent */
    const char *location;
    const char *token;
    int times; /* 0: unlimited; else served that many times, then skipped */
    int used;
};

struct seen {
    char method[16];
    char path[PEER_FIELD];
    char auth[PEER_FIELD];  /* Authorization */
    char token[PEER_FIELD]; /* X-Auth-Token */
    char if_match[PEER_FIELD];
    char body[4096];
};

struct peer {
    struct lws_context *ctx;
    pthread_t thread;
    atomic_bool stop;
    int port;
    struct canned *routes;
    size_t n_routes;
    pthread_mutex_t lock;
    struct seen seen[PEER_MAX_SEEN];
    size_t n_seen;
};

struct peer_session {
    struct seen req;
    size_t body_len;
    const struct canned *reply;
    bool ready;
    bool sent_headers;
};

static void peer_copy_header(struct lws *wsi, enum lws_token_indexes t, char *dst, size_t n)
{
    dst[0] = '\0';
    if (lws_hdr_total_length(wsi, t) > 0 && lws_hdr_total_length(wsi, t) < (int)n)
        (void)lws_hdr_copy(wsi, dst, (int)n, t);
}

static const struct canned *peer_route(struct peer *p, const struct seen *req)
{
    static const struct canned not_found = {
            .status = 404,
            .body = "{\"error\":{\"code\":\"Base.1.0.GeneralError\","
                    "\"message\":\"no canned route\"}}"};
    for (size_t i = 0; i < p->n_routes; i++) {
        struct canned *c = &p->routes[i];
        if (strcmp(c->method, req->method) != 0 || strcmp(c->path, req->path) != 0)
            continue;
        if (c->times && c->used >= c->times)
            continue;
        c->used++;
        return c;
    }
    return &not_found;
}

static void peer_answer(struct peer *p, struct lws *wsi, struct peer_session *ss)
{
    pthread_mutex_lock(&p->lock);
    if (p->n_seen < PEER_MAX_SEEN)
        p->seen[p->n_seen++] = ss->req;
    ss->reply = peer_route(p, &ss->req);
    pthread_mutex_unlock(&p->lock);
    ss->ready = true;
    lws_callback_on_writable(wsi);
}

static int
peer_add(struct lws *wsi, const char *name, const char *v, unsigned char **pp, unsigned char *end)
{
    if (!v)
        return 0;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
                                       (int)strlen(v), pp, end);
}

static int peer_write(struct lws *wsi, struct peer_session *ss)
{
    unsigned char buf[LWS_PRE + 8192];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    const struct canned *c = ss->reply;
    size_t len = c->body ? strlen(c->body) : 0;

    if (lws_add_http_common_headers(wsi, (unsigned)c->status, "application/json", len, &p, end) ||
        peer_add(wsi, "ETag:", c->etag, &p, end) ||
        peer_add(wsi, "Location:", c->location, &p, end) ||
        peer_add(wsi, "X-Auth-Token:", c->token, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (len > 0) {
        if (len > sizeof(buf) - LWS_PRE)
            return -1;
        memcpy(start, c->body, len);
        if (lws_write(wsi, start, len, LWS_WRITE_HTTP_FINAL) < 0)
            return -1;
    }
    ss->ready = false;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
peer_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct peer_session *ss = user;
    struct peer *p = lws_context_user(lws_get_context(wsi));
    char *uri;
    int ulen, m;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        memset(ss, 0, sizeof(*ss));
        m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
        snprintf(ss->req.method, sizeof(ss->req.method), "%s",
                 m == LWSHUMETH_GET      ? "GET"
                 : m == LWSHUMETH_POST   ? "POST"
                 : m == LWSHUMETH_PATCH  ? "PATCH"
                 : m == LWSHUMETH_DELETE ? "DELETE"
                 : m == LWSHUMETH_PUT    ? "PUT"
                                         : "OTHER");
        snprintf(ss->req.path, sizeof(ss->req.path), "%.*s", ulen > 0 ? ulen : 0, uri);
        peer_copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, ss->req.auth, sizeof(ss->req.auth));
        peer_copy_header(wsi, WSI_TOKEN_HTTP_IF_MATCH, ss->req.if_match, sizeof(ss->req.if_match));
        peer_copy_header(wsi, WSI_TOKEN_X_AUTH_TOKEN, ss->req.token, sizeof(ss->req.token));
        {
            char cl[32];
            peer_copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
            if (atoi(cl) > 0)
                return 0; /* answered at BODY_COMPLETION */
        }
        peer_answer(p, wsi, ss);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (ss->body_len + len < sizeof(ss->req.body)) {
            memcpy(ss->req.body + ss->body_len, in, len);
            ss->body_len += len;
            ss->req.body[ss->body_len] = '\0';
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        peer_answer(p, wsi, ss);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!ss || !ss->ready)
            return 0;
        return peer_write(wsi, ss);
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols peer_protocols[] = {
        {"http", peer_callback, sizeof(struct peer_session), 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    while (!atomic_load(&p->stop))
        if (lws_service(p->ctx, 0) < 0)
            break;
    return NULL;
}

/* Starts a peer on a free loopback port serving routes (kept, and counted
 * in place). tls: serve HTTPS with test CA a. Returns NULL on failure. */
static struct peer *peer_start(struct canned *routes, size_t n, bool tls)
{
    struct lws_context_creation_info info;
    struct peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->routes = routes;
    p->n_routes = n;
    pthread_mutex_init(&p->lock, NULL);
    lws_set_log_level(0, NULL);
    memset(&info, 0, sizeof(info));
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = peer_protocols;
    info.user = p;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = 10;
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.server_ssl_cert_mem = test_ca_a_pem;
        info.server_ssl_cert_mem_len = (unsigned)strlen(test_ca_a_pem);
        info.server_ssl_private_key_mem = test_key_a_pem;
        info.server_ssl_private_key_mem_len = (unsigned)strlen(test_key_a_pem);
        info.alpn = "http/1.1";
    }
    p->ctx = lws_create_context(&info);
    if (!p->ctx) {
        free(p);
        return NULL;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(p->ctx, "default");
    p->port = vh ? lws_get_vhost_listen_port(vh) : -1;
    if (p->port <= 0 || pthread_create(&p->thread, NULL, peer_main, p) != 0) {
        lws_context_destroy(p->ctx);
        free(p);
        return NULL;
    }
    return p;
}

static void peer_stop(struct peer *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    lws_cancel_service(p->ctx);
    (void)pthread_join(p->thread, NULL);
    lws_context_destroy(p->ctx);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* A copy of the i-th recorded request (zeroed when there is none). */
static struct seen peer_seen(struct peer *p, size_t i)
{
    struct seen s = {0};
    pthread_mutex_lock(&p->lock);
    if (i < p->n_seen)
        s = p->seen[i];
    pthread_mutex_unlock(&p->lock);
    return s;
}

static size_t peer_count(struct peer *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->n_seen;
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* How many recorded requests have method and path. */
static size_t peer_count_of(struct peer *p, const char *method, const char *path)
{
    size_t n = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_seen; i++)
        n += strcmp(p->seen[i].method, method) == 0 && strcmp(p->seen[i].path, path) == 0;
    pthread_mutex_unlock(&p->lock);
    return n;
}
