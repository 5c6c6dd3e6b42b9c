/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 transport on libwebsockets: collects a request (headers, decoded
 * query, body capped at 3 MiB), hands it to api_handle(), and writes the
 * response with Content-Length, or a chunked stream for watches. HTTP/2 is
 * not offered (ALPN http/1.1), so watches are always chunked HTTP/1.1.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libwebsockets.h>

#define LOG_COMPONENT "apiserver"
#include "apiserver/apiserver-internal.h"
#include "apistore/apistore.h"
#include "log/log.h"

#define WRITE_CHUNK  (64 * 1024)
#define HEADER_SPACE 2048

struct session {
    struct apiserver *srv;
    struct lws *wsi;
    enum api_method method;
    char *path;
    struct api_query q;
    char *accept, *ctype, *auth;
    char peer[64];
    struct buf body;
    bool body_too_big;
    bool expecting_body;
    struct api_response resp;
    bool responding;
    bool headers_sent;
    size_t sent;
    struct api_watcher *watcher;
    bool watch_closing;
    double started;
    int64_t last_bookmark;
};

static double mono_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void session_reset(struct session *ss)
{
    if (ss->watcher) {
        api_watcher_stop(ss->srv, ss->watcher);
        ss->watcher = NULL;
    }
    free(ss->path);
    free(ss->accept);
    free(ss->ctype);
    free(ss->auth);
    ss->path = ss->accept = ss->ctype = ss->auth = NULL;
    api_query_clear(&ss->q);
    bool large = ss->resp.body.cap > 1024 * 1024 || ss->body.cap > 1024 * 1024;
    buf_free(&ss->body);
    api_response_clear(&ss->resp);
    /* A large list or body leaves freed heap behind; give it back so the
     * resident size tracks what is live, not the largest response seen. */
    if (large)
        (void)malloc_trim(0);
    ss->body_too_big = ss->expecting_body = ss->responding = ss->headers_sent = false;
    ss->watch_closing = false;
    ss->last_bookmark = 0;
    ss->sent = 0;
}

static char *hdr_dup(struct lws *wsi, enum lws_token_indexes t)
{
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    if (lws_hdr_copy(wsi, s, n + 1, t) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

static int method_from_lws(int m)
{
    switch (m) {
    case LWSHUMETH_GET:
        return API_GET;
    case LWSHUMETH_HEAD:
        return API_HEAD;
    case LWSHUMETH_POST:
        return API_POST;
    case LWSHUMETH_PUT:
        return API_PUT;
    case LWSHUMETH_PATCH:
        return API_PATCH;
    case LWSHUMETH_DELETE:
        return API_DELETE;
    case LWSHUMETH_OPTIONS:
        return API_OPTIONS;
    default:
        return -1;
    }
}

static int collect_query(struct session *ss)
{
    char frag[API_MAX_PATH];
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(ss->wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        char *eq = strchr(frag, '=');
        if (eq)
            *eq = '\0';
        int r = api_query_add(&ss->q, frag, eq ? eq + 1 : NULL);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_watch(struct session *ss);

/*
 * A watcher has new bytes queued. When its stream is idle (headers out,
 * nothing left buffered by lws), write them now: an event then reaches every
 * watcher within the request that committed it, instead of after a poll()
 * round that wakes each watcher's socket for writing. write_watch() asks for
 * a writable callback itself when bytes remain. Otherwise, and when the
 * stream has ended, the writable callback does the rest (closing included).
 */
static int wake_session(void *ctx)
{
    struct session *ss = ctx;
    if (ss->responding && ss->headers_sent && ss->watcher && !ss->watch_closing &&
        !lws_partial_buffered(ss->wsi)) {
        if (write_watch(ss) == 0)
            return 0;
        ss->watch_closing = true;
    }
    lws_callback_on_writable(ss->wsi);
    return 0;
}

static void log_request(struct session *ss)
{
    const char *verb = ss->resp.watch ? "WATCH" : NULL;
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (!verb)
        verb = (unsigned)ss->method < 7 ? names[ss->method] : "?";
    double secs = mono_now() - ss->started;
    api_metrics_request(ss->srv->metrics, verb, ss->path, ss->resp.status, secs);
    log_debug("request", LOG_STR("verb", verb), LOG_STR("path", ss->path),
              LOG_INT("code", ss->resp.status), LOG_STR("peer", ss->peer),
              LOG_DOUBLE("seconds", secs));
}

static int dispatch(struct session *ss)
{
    struct api_request req = {
            .method = ss->method,
            .path = ss->path,
            .q = ss->q,
            .accept = ss->accept,
            .content_type = ss->ctype,
            .authorization = ss->auth,
            .body = ss->body.data,
            .body_len = ss->body.len,
            .peer = ss->peer,
    };
    api_response_init(&ss->resp);
    if (ss->body_too_big) {
        (void)api_respond_status(&ss->resp, 413, "RequestEntityTooLarge", NULL,
                                 "Request entity too large: limit is %u", API_MAX_BODY);
    } else {
        int r = api_handle(ss->srv, &req, &ss->resp);
        if (r < 0 && ss->resp.status == 0)
            (void)api_respond_status(&ss->resp, 500, "InternalError", NULL,
                                     "Internal error occurred: %s", strerror(-r));
    }
    if (ss->resp.watch) {
        struct api_watch_sink sink = {.ctx = ss, .wake = wake_session};
        struct api_watch_spec *spec = TAKE_PTR(ss->resp.watch);
        int r = api_watcher_start(ss->srv, spec, &sink, &ss->watcher);
        if (r < 0) {
            api_response_clear(&ss->resp);
            api_response_init(&ss->resp);
            (void)api_respond_status(&ss->resp, 500, "InternalError", NULL,
                                     "Internal error occurred: %s", strerror(-r));
        } else {
            /* A watch is long-lived: no lws pending timeout; the shared
             * watch tick handles the deadline and bookmarks (and a client
             * that left: see peer_gone()). */
            lws_set_timeout(ss->wsi, NO_PENDING_TIMEOUT, 0);

            ss->resp.status = 200;
        }
    }
    log_request(ss);
    ss->responding = true;
    lws_callback_on_writable(ss->wsi);
    return 0;
}

/*
 * Writes the status line and headers. A body that fits in one chunk goes out
 * in the same write (one TLS record, one syscall, no extra poll round);
 * ss->sent counts what of it was sent.
 */
static int send_headers(struct session *ss)
{
    bool watch = ss->watcher != NULL;
    size_t inline_len = 0;
    if (!watch && ss->method != API_HEAD && ss->resp.body.len <= WRITE_CHUNK)
        inline_len = ss->resp.body.len;
    _cleanup_free_ unsigned char *buf = malloc(LWS_PRE + HEADER_SPACE + inline_len);
    if (!buf)
        return -1;
    unsigned char *start = buf + LWS_PRE, *p = start, *end = start + HEADER_SPACE - 1;
    const char *ct = ss->resp.content_type ? ss->resp.content_type : "application/json";
    if (lws_add_http_header_status(ss->wsi, (unsigned)ss->resp.status, &p, end) ||
        lws_add_http_header_by_token(ss->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                     (const unsigned char *)ct, (int)strlen(ct), &p, end) ||
        lws_add_http_header_by_name(ss->wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-cache, private", 17, &p, end))
        return -1;
    if (watch) {
        if (lws_add_http_header_by_token(ss->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING,
                                         (const unsigned char *)"chunked", 7, &p, end))
            return -1;
    } else if (lws_add_http_header_content_length(ss->wsi, ss->resp.body.len, &p, end)) {
        return -1;
    }
    if (ss->resp.warning && lws_add_http_header_by_name(ss->wsi, (const unsigned char *)"warning:",
                                                        (const unsigned char *)ss->resp.warning,
                                                        (int)strlen(ss->resp.warning), &p, end))
        return -1;
    if (lws_finalize_http_header(ss->wsi, &p, end))
        return -1;
    if (inline_len > 0) {
        memcpy(p, ss->resp.body.data, inline_len);
        p += inline_len;
    }
    if (lws_write(ss->wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < 0)
        return -1;
    ss->sent = inline_len;
    ss->headers_sent = true;
    return 0;
}

/* One chunk of a watch stream; returns -1 to close the connection. */
static int write_watch(struct session *ss)
{
    struct buf *q = api_watcher_queue(ss->watcher);
    bool ending = api_watcher_overflowed(ss->watcher) ||
                  api_watcher_deadline(ss->watcher) <= api_now_sec() || ss->srv->stop;
    if (q->len > 0 && !api_watcher_overflowed(ss->watcher)) {
        size_t n = MIN(q->len, (size_t)WRITE_CHUNK);
        unsigned char *out = malloc(LWS_PRE + n + 32);
        if (!out)
            return -1;
        int h = snprintf((char *)out + LWS_PRE, 16, "%zx\r\n", n);
        memcpy(out + LWS_PRE + h, q->data, n);
        memcpy(out + LWS_PRE + h + n, "\r\n", 2);
        int w = lws_write(ss->wsi, out + LWS_PRE, (size_t)h + n + 2, LWS_WRITE_HTTP);
        free(out);
        if (w < 0)
            return -1;
        buf_consume(q, n);
        if (q->len > 0 || ending)
            lws_callback_on_writable(ss->wsi);
        return 0;
    }
    if (ending) {
        unsigned char end[LWS_PRE + 8];
        memcpy(end + LWS_PRE, "0\r\n\r\n", 5);
        (void)lws_write(ss->wsi, end + LWS_PRE, 5, LWS_WRITE_HTTP);
        return -1;
    }
    return 0;
}

static int write_body(struct session *ss)
{
    size_t left = ss->resp.body.len - ss->sent;
    if (left > 0 && ss->method != API_HEAD) {
        size_t n = MIN(left, (size_t)WRITE_CHUNK);
        unsigned char *out = malloc(LWS_PRE + n);
        if (!out)
            return -1;
        memcpy(out + LWS_PRE, ss->resp.body.data + ss->sent, n);
        int w = lws_write(ss->wsi, out + LWS_PRE, n, LWS_WRITE_HTTP);
        free(out);
        if (w < 0)
            return -1;
        ss->sent += n;
        if (ss->sent < ss->resp.body.len) {
            lws_callback_on_writable(ss->wsi);
            return 0;
        }
    }
    bool close = ss->body_too_big;
    session_reset(ss);
    if (close)
        return -1;
    return lws_http_transaction_completed(ss->wsi) ? -1 : 0;
}

static int on_http(struct session *ss, struct lws *wsi)
{
    char *uri;
    int len;
    session_reset(ss);
    ss->wsi = wsi;
    ss->started = mono_now();
    int m = lws_http_get_uri_and_method(wsi, &uri, &len);
    int method = method_from_lws(m);
    if (method < 0 || len <= 0)
        return -1;
    ss->method = (enum api_method)method;
    ss->path = strndup(uri, (size_t)len);
    ss->accept = hdr_dup(wsi, WSI_TOKEN_HTTP_ACCEPT);
    ss->ctype = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    ss->auth = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    ss->body = BUF_INIT(API_MAX_BODY);
    api_query_init(&ss->q);
    (void)lws_get_peer_simple(wsi, ss->peer, sizeof(ss->peer));
    if (!ss->path)
        return -1;
    if (collect_query(ss) < 0) {
        api_response_init(&ss->resp);
        (void)api_respond_status(&ss->resp, 400, "BadRequest", NULL, "invalid query parameter");
        log_request(ss);
        ss->responding = true;
        lws_callback_on_writable(wsi);
        return 0;
    }
    char cl[32];
    long long content_length = 0;
    if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        content_length = atoll(cl);
    if (content_length > (long long)API_MAX_BODY) {
        ss->body_too_big = true;
        return dispatch(ss);
    }
    if (content_length > 0 || lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        ss->expecting_body = true;
        return 0;
    }
    return dispatch(ss);
}

static int
callback_api(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct session *ss = user;
    struct apiserver *srv = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
        if (ss) {
            memset(ss, 0, sizeof(*ss));
            ss->srv = srv;
            ss->wsi = wsi;
            api_query_init(&ss->q);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        ss->srv = srv;
        return on_http(ss, wsi);
    case LWS_CALLBACK_HTTP_BODY:
        if (!ss->body_too_big && buf_append(&ss->body, in, len) < 0)
            ss->body_too_big = true;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!ss->expecting_body)
            return 0;
        ss->expecting_body = false;
        return dispatch(ss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!ss || !ss->responding)
            return 0;
        if (ss->watch_closing)
            return -1;
        /* Headers and what follows them in one callback: lws queues
         * whatever the socket does not take and sends it first. */
        if (!ss->headers_sent && send_headers(ss) < 0)
            return -1;
        if (ss->watcher)
            return write_watch(ss);
        return write_body(ss);
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
        {"http", callback_api, sizeof(struct session), 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    char msg[512];
    snprintf(msg, sizeof(msg), "%.*s", (int)(n > 0 && line[n - 1] == '\n' ? n - 1 : n), line);
    if (level & LLL_ERR)
        log_warn("libwebsockets", LOG_STR("detail", msg));
}

static int parse_listen(const char *listen, char *host, size_t n, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -EINVAL;
    size_t hl = (size_t)(colon - listen);
    if (hl >= n)
        return -EINVAL;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (host[0] == '[') { /* [::1] */
        memmove(host, host + 1, hl);
        char *rb = strchr(host, ']');
        if (rb)
            *rb = '\0';
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -EINVAL;
    *port = (int)p;
    return 0;
}

static int load_tokens(const char *path, json_t **ret)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    json_t *t = json_object();
    char line[4096];
    while (t && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *comma = strchr(line, ',');
        if (comma)
            *comma = '\0';
        const char *user = comma ? comma + 1 : "anvil";
        char *c2 = comma ? strchr(comma + 1, ',') : NULL;
        if (c2)
            *c2 = '\0';
        json_object_set_new(t, line, json_string(user));
    }
    fclose(f);
    if (!t)
        return -ENOMEM;
    if (json_object_size(t) == 0) {
        json_decref(t);
        return -EINVAL;
    }
    *ret = t;
    return 0;
}

static void maintain(struct lws_sorted_usec_list *sul);
static void watch_tick(struct lws_sorted_usec_list *sul);

struct maint {
    struct lws_sorted_usec_list sul;
    struct apiserver *srv;
};

static struct maint *maint_of(struct lws_sorted_usec_list *sul)
{
    return container_of(sul, struct maint, sul);
}

static void maintain(struct lws_sorted_usec_list *sul)
{
    struct maint *m = maint_of(sul);
    int r = apistore_maintain(m->srv->store, api_now_sec());
    if (r < 0)
        log_warn("compaction failed", LOG_ERRNO(r));
    /* One call compacts a bounded batch; when it moved, come back soon
     * rather than fall behind a busy writer. */
    lws_usec_t next = r == 1 ? 10 * LWS_USEC_PER_SEC / 1000
                             : (lws_usec_t)m->srv->opts.compact_interval_sec * LWS_USEC_PER_SEC;
    lws_sul_schedule(m->srv->lws, 0, &m->sul, maintain, next);
}

/*
 * True when a watch's client has closed its side or sent anything: a client
 * sends nothing on a watch stream until it ends it (a FIN on plain HTTP, a
 * TLS close_notify before the FIN), so readable input means it is done.
 * lws 4.1 does not read an HTTP/1 connection while it streams a response,
 * so it never sees that close itself (and its poll loop spins on the
 * readable socket until the tick ends the stream, within a second).
 */
static bool peer_gone(struct lws *wsi)
{
    char c;
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0)
        return true;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* One watch's share of the tick: its bookmark when due, its end when due or
 * when its client left. */
static void watch_tick_one(void *ctx, struct api_watcher *w, void *userdata)
{
    struct session *ss = ctx;
    const int64_t *now = userdata;
    struct apiserver *srv = ss->srv;
    if (ss->last_bookmark == 0)
        ss->last_bookmark = *now;
    if (srv->opts.watch_bookmark_sec > 0 &&
        *now - ss->last_bookmark >= srv->opts.watch_bookmark_sec) {
        ss->last_bookmark = *now;
        (void)api_watcher_bookmark(srv, w);
    }
    if (peer_gone(ss->wsi)) {
        ss->watch_closing = true;
        lws_set_timeout(ss->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    if (api_watcher_deadline(w) <= *now || srv->stop)
        lws_callback_on_writable(ss->wsi);
}

static void watch_tick_all(struct apiserver *srv)
{
    int64_t now = api_now_sec();
    api_watchers_foreach(srv->watchers, watch_tick_one, &now);
}

/*
 * Every watch shares this one timer. A timer per watch (100 watches: 100
 * expiries a second at scattered instants) makes lws busy-poll: it sleeps
 * in poll() for whole milliseconds only, so each expiry costs up to a
 * millisecond of poll() calls over every open socket.
 */
static void watch_tick(struct lws_sorted_usec_list *sul)
{
    struct maint *m = maint_of(sul);
    watch_tick_all(m->srv);
    lws_sul_schedule(m->srv->lws, 0, &m->sul, watch_tick, LWS_USEC_PER_SEC);
}

int apiserver_new(struct apiserver **ret, const struct apiserver_opts *opts)
{
    struct apiserver *s = calloc(1, sizeof(*s));
    char host[256], dbpath[4096];
    int port, r;
    if (!s)
        return -ENOMEM;
    s->opts = *opts;
    if (s->opts.compact_interval_sec <= 0)
        s->opts.compact_interval_sec = 60;
    if (s->opts.watch_bookmark_sec == 0)
        s->opts.watch_bookmark_sec = 60;
    if ((r = parse_listen(opts->listen, host, sizeof(host), &port)) < 0)
        goto fail;
    snprintf(dbpath, sizeof(dbpath), "%s/anvil.db", opts->data_dir);
    struct apistore_opts so = {.path = dbpath,
                               .sync_full = opts->sync_full,
                               .retain_min = opts->compact_retain,
                               .window_sec = opts->compact_window_sec};
    if ((r = apistore_open(&s->store, &so)) < 0)
        goto fail;
    if ((r = api_registry_new(&s->registry)) < 0 || (r = api_watchers_new(&s->watchers)) < 0 ||
        (r = api_metrics_new(&s->metrics)) < 0)
        goto fail;
    if ((r = apistore_subscribe(s->store, api_watchers_on_event, s->watchers)) < 0)
        goto fail;
    if ((r = api_bootstrap(s)) < 0 || (r = api_crd_load_all(s)) < 0)
        goto fail;
    if (opts->token_file && (r = load_tokens(opts->token_file, &s->tokens)) < 0)
        goto fail;

    lws_set_log_level(LLL_ERR, lws_log_bridge);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.iface = host[0] ? host : NULL;
    info.protocols = protocols;
    info.user = s;
    info.max_http_header_data = 8192;
    /* Each open watch keeps its header table (lws 4.1 has no public detach),
     * so the pool bounds concurrent watches plus requests in flight;
     * tables are allocated on demand (max_http_header_data each). */
    info.max_http_header_pool = 2048;
    info.pt_serv_buf_size = 64 * 1024;
    info.timeout_secs = 30;
    info.keepalive_timeout = 60;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(host, ':') == NULL);
    info.alpn = "http/1.1";
    if (opts->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = opts->tls_cert;
        info.ssl_private_key_filepath = opts->tls_key;
    }
    s->lws = lws_create_context(&info);
    if (!s->lws) {
        r = -EADDRINUSE;
        goto fail;
    }
    s->maint = calloc(1, sizeof(struct maint));
    if (!s->maint) {
        r = -ENOMEM;
        goto fail;
    }
    s->maint->srv = s;
    lws_sul_schedule(s->lws, 0, &s->maint->sul, maintain,
                     (lws_usec_t)s->opts.compact_interval_sec * LWS_USEC_PER_SEC);
    s->watch_tick = calloc(1, sizeof(struct maint));
    if (!s->watch_tick) {
        r = -ENOMEM;
        goto fail;
    }
    s->watch_tick->srv = s;
    lws_sul_schedule(s->lws, 0, &s->watch_tick->sul, watch_tick, LWS_USEC_PER_SEC);
    s->started_at = api_now_sec();
    s->ready = true;
    *ret = s;
    return 0;
fail:
    apiserver_free(s);
    return r;
}

int apiserver_port(const struct apiserver *s)
{
    struct lws_vhost *vh = lws_get_vhost_by_name(s->lws, "default");
    return vh ? lws_get_vhost_listen_port(vh) : -1;
}

int apiserver_run(struct apiserver *s)
{
    while (!s->stop) {
        if (lws_service(s->lws, 0) < 0)
            return -EIO;
    }
    /* Close the watch streams cleanly: each ends with its last chunk. */
    s->ready = false;
    watch_tick_all(s);
    for (int i = 0; i < 20 && api_watchers_count(s->watchers) > 0; i++)
        (void)lws_service(s->lws, 0);
    return 0;
}

void apiserver_stop(struct apiserver *s)
{
    s->stop = 1;
    if (s->lws)
        lws_cancel_service(s->lws);
}

struct apiserver *apiserver_free(struct apiserver *s)
{
    if (!s)
        return NULL;
    if (s->lws) {
        if (s->maint)
            lws_sul_cancel(&s->maint->sul);
        if (s->watch_tick)
            lws_sul_cancel(&s->watch_tick->sul);
        lws_context_destroy(s->lws);
    }
    api_watchers_free(s->watchers);
    api_registry_free(s->registry);
    api_metrics_free(s->metrics);
    apistore_free(s->store);
    json_decref(s->tokens);
    free(s->openapi_cache);
    free(s->maint);
    free(s->watch_tick);
    free(s);
    return NULL;
}
