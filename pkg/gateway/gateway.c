/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's event loop: WebSocket upgrade on /v1/agent only, frame
 * assembly with a size cap, hello (authentication, duplicate refusal),
 * status hand-off, and the per-agent output queues that other threads fill
 * through gateway_send() and lws_cancel_service().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define LOG_COMPONENT "gateway"
#include "base/macro.h"
#include "gateway/gateway-internal.h"
#include "httpd/httpd.h"
#include "log/log.h"

static int64_t default_now(void)
{
    return (int64_t)time(NULL);
}

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

enum gateway_liveness gateway_liveness_decide(int64_t idle_s, unsigned interval_s)
{
    if (interval_s == 0 || idle_s < (int64_t)interval_s)
        return GATEWAY_LIVENESS_OK;
    if (idle_s >= 3 * (int64_t)interval_s)
        return GATEWAY_LIVENESS_HANGUP;
    return GATEWAY_LIVENESS_PING;
}

/* Appends o to s's queue; from another thread (mark_pending), also puts s
 * on the list the loop walks when woken. Lock held. */
static void queue_locked(struct gateway *g, struct gateway_session *s, struct gateway_out *o,
                         bool mark_pending)
{
    if (s->out_tail)
        s->out_tail->next = o;
    else
        s->out_head = o;
    s->out_tail = o;
    s->out_n++;
    if (mark_pending && !s->pending) {
        s->pending = true;
        s->pending_next = g->pending;
        g->pending = s;
    }
}

/* From the service thread: queue a message and ask to write at once. */
static void send_now(struct gateway *g, struct gateway_session *s, const struct agentproto_msg *m)
{
    struct gateway_out *o;
    if (gateway_out_new(m, &o) < 0)
        return;
    pthread_mutex_lock(&g->lock);
    queue_locked(g, s, o, false); /* on the loop thread: ask for writable directly */
    pthread_mutex_unlock(&g->lock);
    if (m->type == AGENTPROTO_ERROR)
        s->closing = true;
    lws_callback_on_writable(s->wsi);
}

static void refuse(struct gateway *g, struct gateway_session *s, enum gateway_refusal why,
                   const char *code, const char *message, const char *agent_id)
{
    atomic_fetch_add(&g->refused[why], 1);
    log_warn("agent refused", LOG_STR("peer", s->peer), LOG_STR("agent", agent_id ? agent_id : ""),
             LOG_STR("reason", gateway_refusal_to_string(why)), LOG_STR("detail", message));
    struct agentproto_msg m = {.type = AGENTPROTO_ERROR,
                               .error = {.code = code, .message = message}};
    send_now(g, s, &m);
}

static void on_hello(struct gateway *g, struct gateway_session *s, const struct agentproto_msg *m)
{
    const struct agentproto_hello *h = &m->hello;
    const char *reason = NULL;
    if (s->agent_id) {
        refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
               "hello: the session already said hello", s->agent_id);
        return;
    }
    pthread_mutex_lock(&g->lock);
    int r = gateway_check_token(g->opts.auth, g->key, g->keylen, h, g->opts.now(), &reason);
    pthread_mutex_unlock(&g->lock);
    if (r < 0) {
        refuse(g, s, GATEWAY_REFUSED_UNAUTHORIZED, AGENTPROTO_ERR_UNAUTHORIZED, reason,
               h->agent_id);
        return;
    }
    char *id = strdup(h->agent_id);
    if (!id)
        return (void)lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    pthread_mutex_lock(&g->lock);
    s->agent_id = id;
    if (g->opts.max_agents && g->reg.n >= g->opts.max_agents)
        r = -EBUSY;
    else
        r = gateway_registry_insert(&g->reg, s);
    if (r < 0)
        s->agent_id = NULL;
    pthread_mutex_unlock(&g->lock);
    if (r < 0) {
        free(id);
        if (r == -EEXIST)
            refuse(g, s, GATEWAY_REFUSED_DUPLICATE, AGENTPROTO_ERR_DUPLICATE_AGENT,
                   "another connection is live for this agent ID", h->agent_id);
        else
            refuse(g, s, GATEWAY_REFUSED_DUPLICATE, AGENTPROTO_ERR_INTERNAL,
                   r == -EBUSY ? "too many agents connected" : "out of memory", h->agent_id);
        return;
    }
    log_info("agent connected", LOG_STR("agent", id), LOG_STR("peer", s->peer),
             LOG_STR("version", h->agent_version ? h->agent_version : ""));
    struct agentproto_msg ack = {.type = AGENTPROTO_ACK, .ack = {.of = "hello"}};
    send_now(g, s, &ack);
    if (g->cb.connected)
        g->cb.connected(g->cb.userdata, id, h->attributes, s->peer);
}

static void on_message(struct gateway *g, struct gateway_session *s)
{
    struct agentproto_msg *m = NULL;
    _cleanup_free_ char *err = NULL;
    atomic_fetch_add(&g->messages_in, 1);
    int r = agentproto_decode(s->rx.data, s->rx.len, &m, &err);
    buf_free(&s->rx); /* idle connections hold no buffer */
    if (r == -EPROTONOSUPPORT) {
        refuse(g, s, GATEWAY_REFUSED_VERSION, AGENTPROTO_ERR_UNSUPPORTED_VERSION, err,
               s->agent_id);
        return;
    }
    if (r < 0) {
        refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
               err ? err : "cannot decode the message", s->agent_id);
        return;
    }
    switch (m->type) {
    case AGENTPROTO_HELLO:
        on_hello(g, s, m);
        break;
    case AGENTPROTO_STATUS:
        if (!s->agent_id) {
            refuse(g, s, GATEWAY_REFUSED_NO_HELLO, AGENTPROTO_ERR_BAD_MESSAGE,
                   "status: say hello first", NULL);
            break;
        }
        if (m->status.agent_id && strcmp(m->status.agent_id, s->agent_id) != 0) {
            refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
                   "status.agentID: not the agent of this session", s->agent_id);
            break;
        }
        if (g->cb.status) {
            g->cb.status(g->cb.userdata, s->agent_id, TAKE_PTR(m));
            return;
        }
        break;
    default:
        refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
               "type: agents send only hello and status", s->agent_id);
        break;
    }
    agentproto_msg_free(m);
}

static int on_receive(struct gateway *g, struct gateway_session *s, const void *in, size_t len)
{
    s->last_rx_s = mono_s();
    if (s->closing)
        return 0;
    if (lws_is_first_fragment(s->wsi))
        s->rx_binary = lws_frame_is_binary(s->wsi);
    if (buf_append(&s->rx, in, len) < 0) {
        buf_reset(&s->rx);
        refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
               "message: longer than 1048576 bytes", s->agent_id);
        return 0;
    }
    if (!lws_is_final_fragment(s->wsi) || lws_remaining_packet_payload(s->wsi) > 0)
        return 0;
    if (s->rx_binary) {
        buf_reset(&s->rx);
        refuse(g, s, GATEWAY_REFUSED_BAD_MESSAGE, AGENTPROTO_ERR_BAD_MESSAGE,
               "message: binary frames are not part of the protocol", s->agent_id);
        return 0;
    }
    on_message(g, s);
    return 0;
}

static int on_writable(struct gateway *g, struct gateway_session *s)
{
    if (s->ping_wanted) {
        /* A payload: lws 4.1 reports no RECEIVE_PONG for an empty pong. */
        unsigned char ping[LWS_PRE + 1] = {[LWS_PRE] = 'p'};
        s->ping_wanted = false;
        if (lws_write(s->wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 0)
            return -1;
        lws_callback_on_writable(s->wsi); /* the queue, if any, next time */
        return 0;
    }
    pthread_mutex_lock(&g->lock);
    struct gateway_out *o = s->out_head;
    if (o) {
        s->out_head = o->next;
        if (!s->out_head)
            s->out_tail = NULL;
        s->out_n--;
    }
    bool more = s->out_head != NULL;
    pthread_mutex_unlock(&g->lock);
    if (!o)
        return 0;
    int n = lws_write(s->wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT);
    bool close_after = o->close_after;
    free(o);
    if (n < 0)
        return -1;
    atomic_fetch_add(&g->messages_out, 1);
    if (close_after) {
        lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
        return -1;
    }
    if (more)
        lws_callback_on_writable(s->wsi);
    return 0;
}

static void sessions_link(struct gateway *g, struct gateway_session *s)
{
    s->all_prev = NULL;
    s->all_next = g->sessions;
    if (g->sessions)
        g->sessions->all_prev = s;
    g->sessions = s;
}

static void sessions_unlink(struct gateway *g, struct gateway_session *s)
{
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else if (g->sessions == s)
        g->sessions = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    s->all_prev = s->all_next = NULL;
}

/* Every ping interval: ping the sessions silent for an interval, hang up on
 * those silent for three. One timer for the whole gateway; a session's
 * liveness is a timestamp updated per frame, O(1). */
static void sweep(lws_sorted_usec_list_t *sul)
{
    struct gateway *g = container_of(sul, struct gateway, sweep);
    int64_t now = mono_s();
    for (struct gateway_session *s = g->sessions; s; s = s->all_next) {
        switch (gateway_liveness_decide(now - s->last_rx_s, g->opts.ping_interval_s)) {
        case GATEWAY_LIVENESS_HANGUP:
            log_debug("agent silent: hanging up", LOG_STR("peer", s->peer));
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
            break;
        case GATEWAY_LIVENESS_PING:
            s->ping_wanted = true;
            lws_callback_on_writable(s->wsi);
            break;
        default:
            break;
        }
    }
    lws_sul_schedule(g->ctx, 0, &g->sweep, sweep,
                     (lws_usec_t)g->opts.ping_interval_s * LWS_US_PER_SEC);
}

static void on_closed(struct gateway *g, struct gateway_session *s)
{
    char *id;
    sessions_unlink(g, s);
    pthread_mutex_lock(&g->lock);
    id = s->agent_id;
    if (id)
        gateway_registry_remove(&g->reg, s);
    s->agent_id = NULL;
    if (s->pending)
        for (struct gateway_session **p = &g->pending; *p; p = &(*p)->pending_next)
            if (*p == s) {
                *p = s->pending_next;
                break;
            }
    s->pending = false;
    for (struct gateway_out *o = s->out_head, *next; o; o = next) {
        next = o->next;
        free(o);
    }
    s->out_head = s->out_tail = NULL;
    s->out_n = 0;
    pthread_mutex_unlock(&g->lock);
    buf_free(&s->rx);
    if (id) {
        log_info("agent disconnected", LOG_STR("agent", id), LOG_STR("peer", s->peer));
        if (g->cb.disconnected)
            g->cb.disconnected(g->cb.userdata, id);
        free(id);
    }
}

/* Other threads queued output: ask lws for a writable callback per session. */
static void on_wakeup(struct gateway *g)
{
    if (g->evlib && atomic_load(&g->stop))
        gateway_evlib_break(g->evlib); /* gateway_free() is waiting */
    pthread_mutex_lock(&g->lock);
    struct gateway_session *s = g->pending;
    g->pending = NULL;
    for (struct gateway_session *next; s; s = next) {
        next = s->pending_next;
        s->pending_next = NULL;
        s->pending = false;
        lws_callback_on_writable(s->wsi);
    }
    pthread_mutex_unlock(&g->lock);
}

/* "ip:port" of the peer, or "unknown". */
static void peer_name(struct lws *wsi, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char ip[INET6_ADDRSTRLEN];
    int fd = lws_get_socket_fd(wsi);
    snprintf(out, n, "unknown");
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip)))
            snprintf(out, n, "%s:%u", ip, ntohs(sin->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip)))
            snprintf(out, n, "[%s]:%u", ip, ntohs(sin6->sin6_port));
    }
}

static bool path_is_agent(struct lws *wsi)
{
    char uri[64];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (n <= 0 || (size_t)n >= sizeof(uri) || lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
        return false;
    return strcmp(uri, GATEWAY_PATH) == 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct gateway *g = lws_context_user(lws_get_context(wsi));
    struct gateway_session *s = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return path_is_agent(wsi) ? 0 : -1;
    case LWS_CALLBACK_ESTABLISHED:
        memset(s, 0, sizeof(*s));
        s->wsi = wsi;
        s->rx = BUF_INIT(AGENTPROTO_MSG_MAX);
        peer_name(wsi, s->peer, sizeof(s->peer));
        s->last_rx_s = mono_s();
        sessions_link(g, s);
        atomic_fetch_add(&g->connections, 1);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return on_receive(g, s, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        s->last_rx_s = mono_s();
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writable(g, s);
    case LWS_CALLBACK_CLOSED:
        on_closed(g, s);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        on_wakeup(g);
        return 0;
    case LWS_CALLBACK_HTTP:
        /* Plain HTTP to the gateway port: nothing here but the WebSocket. */
        (void)lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return -1;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
        /* lws keeps a receive buffer of this size per connection for as
         * long as it lives (10,000 agents: 10 MB at 1 KiB). 128 bytes hold
         * any control frame (payload <= 125, RFC 6455 5.5); messages arrive
         * in pieces, assembled in gateway_session.rx. */
        {"anvil-agent", callback, sizeof(struct gateway_session), GATEWAY_RX_CHUNK, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

int gateway_new(struct gateway **ret, const struct gateway_opts *opts,
                const struct gateway_callbacks *cb)
{
    char host[256];
    int port;
    if (!ret || !opts || !opts->listen || !cb ||
        httpd_parse_listen(opts->listen, host, sizeof(host), &port) < 0 ||
        !opts->tls_cert != !opts->tls_key)
        return -EINVAL;
    struct gateway *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->opts = *opts;
    if (!g->opts.ping_interval_s)
        g->opts.ping_interval_s = 15;
    if (!g->opts.max_agents)
        g->opts.max_agents = 100000;
    if (!g->opts.now)
        g->opts.now = default_now;
    g->cb = *cb;
    pthread_mutex_init(&g->lock, NULL);
    if (gateway_registry_init(&g->reg) < 0) {
        gateway_free(g);
        return -ENOMEM;
    }
    httpd_lws_logging();
    /* No per-connection validity timer from lws (a hang-up time of 0 turns
     * it off): the sweep does the pings and hang-ups. */
    g->retry = (lws_retry_bo_t){0};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.iface = host[0] ? host : NULL;
    info.protocols = protocols;
    info.user = g;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(host, ':') == NULL);
    info.timeout_secs = 30;
    info.retry_and_idle_policy = &g->retry;
    info.fd_limit_per_thread = (unsigned)(g->opts.max_agents + 64);
    if (opts->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = opts->tls_cert;
        info.ssl_private_key_filepath = opts->tls_key;
    }
    void *loops[1] = {NULL};
    if (!opts->poll_loop && gateway_evlib_open(&g->evlib) == 0) {
        struct lws_context_creation_info ev = info;
        loops[0] = gateway_evlib_loop(g->evlib);
        ev.options |= LWS_SERVER_OPTION_LIBEV;
        ev.foreign_loops = loops;
        g->ctx = lws_create_context(&ev);
        if (!g->ctx) /* no lws evlib plugin: the poll loop */
            g->evlib = gateway_evlib_free(g->evlib);
    }
    if (!g->ctx)
        g->ctx = lws_create_context(&info);
    if (!g->ctx) {
        gateway_free(g);
        return -EADDRINUSE;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(g->ctx, "default");
    g->port = vh ? lws_get_vhost_listen_port(vh) : port;
    *ret = g;
    return 0;
}

int gateway_set_key(struct gateway *g, const void *key, size_t keylen)
{
    if (!g || !key || keylen < AGENTPROTO_TOKEN_KEY_MIN)
        return -EINVAL;
    unsigned char *k = malloc(keylen);
    if (!k)
        return -ENOMEM;
    memcpy(k, key, keylen);
    pthread_mutex_lock(&g->lock);
    unsigned char *old = g->key;
    size_t oldlen = g->keylen;
    g->key = k;
    g->keylen = keylen;
    pthread_mutex_unlock(&g->lock);
    if (old) {
        explicit_bzero(old, oldlen);
        free(old);
    }
    return 0;
}

static void *serve(void *arg)
{
    struct gateway *g = arg;
    if (g->evlib) {
        gateway_evlib_run(g->evlib); /* until on_wakeup() sees stop */
        return NULL;
    }
    while (!atomic_load(&g->stop))
        if (lws_service(g->ctx, 0) < 0)
            break;
    return NULL;
}

int gateway_start(struct gateway *g)
{
    if (!g || g->running)
        return -EINVAL;
    /* Before the service thread exists: lws timers are not thread-safe. */
    lws_sul_schedule(g->ctx, 0, &g->sweep, sweep,
                     (lws_usec_t)g->opts.ping_interval_s * LWS_US_PER_SEC);
    int r = pthread_create(&g->thread, NULL, serve, g);
    if (r != 0)
        return -r;
    g->running = true;
    return 0;
}

int gateway_send(struct gateway *g, const char *agent_id, const struct agentproto_msg *m)
{
    struct gateway_out *o;
    if (!g || !agent_id || !m)
        return -EINVAL;
    int r = gateway_out_new(m, &o);
    if (r < 0)
        return r;
    /* One wakeup per batch: the loop polls every socket each time it wakes
     * (poll(2) over thousands of agents), so only the send that makes the
     * pending list non-empty wakes it; the others ride along. */
    bool wake = false;
    pthread_mutex_lock(&g->lock);
    struct gateway_session *s = gateway_registry_find(&g->reg, agent_id);
    if (!s)
        r = -ENOENT;
    else if (s->out_n >= GATEWAY_OUTQ_MAX)
        r = -ENOBUFS;
    else {
        wake = g->pending == NULL;
        queue_locked(g, s, TAKE_PTR(o), true);
    }
    pthread_mutex_unlock(&g->lock);
    free(o);
    if (wake)
        lws_cancel_service(g->ctx);
    return r;
}

bool gateway_connected(struct gateway *g, const char *agent_id)
{
    if (!g || !agent_id)
        return false;
    pthread_mutex_lock(&g->lock);
    bool found = gateway_registry_find(&g->reg, agent_id) != NULL;
    pthread_mutex_unlock(&g->lock);
    return found;
}

int gateway_agents(struct gateway *g, json_t **ret)
{
    json_t *a = json_array();
    int r = 0;
    if (!a)
        return -ENOMEM;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; r == 0 && i < g->reg.n_buckets; i++)
        for (struct gateway_session *s = g->reg.buckets[i]; r == 0 && s; s = s->bucket_next)
            if (json_array_append_new(a, json_string(s->agent_id)) < 0)
                r = -ENOMEM;
    pthread_mutex_unlock(&g->lock);
    if (r < 0) {
        json_decref(a);
        return r;
    }
    *ret = a;
    return 0;
}

const char *gateway_loop_name(const struct gateway *g)
{
    return g && g->evlib ? "epoll" : "poll";
}

int gateway_port(const struct gateway *g)
{
    return g ? g->port : -1;
}

void gateway_get_stats(struct gateway *g, struct gateway_stats *ret)
{
    *ret = (struct gateway_stats){0};
    ret->connections = atomic_load(&g->connections);
    ret->messages_in = atomic_load(&g->messages_in);
    ret->messages_out = atomic_load(&g->messages_out);
    for (int i = 0; i < _GATEWAY_REFUSED_MAX; i++)
        ret->refused[i] = atomic_load(&g->refused[i]);
    pthread_mutex_lock(&g->lock);
    ret->agents = g->reg.n;
    pthread_mutex_unlock(&g->lock);
}

int gateway_metrics(struct gateway *g, struct buf *out)
{
    struct gateway_stats st;
    gateway_get_stats(g, &st);
    int r = buf_printf(out,
                       "# TYPE anvil_gateway_connections_total counter\n"
                       "anvil_gateway_connections_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_agents gauge\n"
                       "anvil_gateway_agents %" PRIu64 "\n"
                       "# TYPE anvil_gateway_messages_total counter\n"
                       "anvil_gateway_messages_total{direction=\"in\"} %" PRIu64 "\n"
                       "anvil_gateway_messages_total{direction=\"out\"} %" PRIu64 "\n"
                       "# TYPE anvil_gateway_refused_total counter\n",
                       st.connections, st.agents, st.messages_in, st.messages_out);
    for (int i = 0; r == 0 && i < _GATEWAY_REFUSED_MAX; i++)
        r = buf_printf(out, "anvil_gateway_refused_total{reason=\"%s\"} %" PRIu64 "\n",
                       gateway_refusal_to_string(i), st.refused[i]);
    return r;
}

struct gateway *gateway_free(struct gateway *g)
{
    if (!g)
        return NULL;
    if (g->running) {
        atomic_store(&g->stop, true);
        lws_cancel_service(g->ctx);
        (void)pthread_join(g->thread, NULL);
        g->running = false;
    }
    if (g->ctx)
        lws_context_destroy(g->ctx);
    g->evlib = gateway_evlib_free(g->evlib);
    gateway_registry_done(&g->reg);
    if (g->key) {
        explicit_bzero(g->key, g->keylen);
        free(g->key);
    }
    pthread_mutex_destroy(&g->lock);
    free(g);
    return NULL;
}
