/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct agent: the libwebsockets client that carries a session. One loop
 * thread (agent_run) owns the connection, the session and the timers; the
 * action thread talks to it only through the runner's mailbox and
 * lws_cancel_service().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define LOG_COMPONENT "agent"
#include "agent/agent-internal.h"
#include "buf/buf.h"
#include "log/log.h"

#define AGENT_PATH          "/v1/agent"
#define CLOSE_GRACE_MS      2000
#define DEFAULT_PROGRESS_MS 1000
#define DEFAULT_FINISH_MS   10000
#define DEFAULT_HELLO_MS    30000
#define DEFAULT_STOP_MS     10000

struct agent {
    char *host, *host_header, *url, *ca_file;
    uint16_t port;
    bool tls, tls_insecure;
    agent_exec_fn exec;
    agent_finish_fn finish;
    agent_finish_free_fn finish_free;
    agent_event_fn on_event;
    void *userdata;
    bool exit_when_done;
    unsigned max_actions;
    uint32_t progress_ms, finish_ms, hello_ms, stop_ms;

    struct agent_session *session;
    struct agent_backoff backoff;
    struct lws_context *ctx;
    struct lws *wsi;
    bool established; /* wsi is an open WebSocket, not an attempt */
    struct buf rx;
    bool rx_binary;

    bool ran, quit, destroying;
    int run_result;
    atomic_bool stop_requested;
    bool stopping, exiting, closing, reconnect_pending;
    int close_error; /* why we closed, for the event */

    struct agent_runner *runner;
    char *held_progress;
    int64_t last_progress_ns;
    uint64_t final_report_id; /* the latest action's final status, until acked */
    unsigned actions_done;
    bool done_seen;

    void *finish_data;
    uint64_t finish_report_id;
    bool ignored_while_finishing;

    lws_sorted_usec_list_t sul_reconnect, sul_progress, sul_hello, sul_finish, sul_stop;
};

static const lws_retry_bo_t keepalive = {
        .secs_since_valid_ping = 30,
        .secs_since_valid_hangup = 75,
};

static void drop_finish(struct agent *a, void *f)
{
    if (!f)
        return;
    if (a->finish_free)
        a->finish_free(f);
    else
        free(f);
}

static void emit(struct agent *a, const struct agent_event *ev)
{
    if (a->on_event)
        a->on_event(a->userdata, ev);
}

static void schedule(struct agent *a, lws_sorted_usec_list_t *sul, sul_cb_t cb, int64_t ms)
{
    lws_sul_schedule(a->ctx, 0, sul, cb, (lws_usec_t)(ms < 0 ? 0 : ms) * 1000);
}

static void want_write(struct agent *a)
{
    if (a->wsi && (a->closing || agent_session_has_out(a->session)))
        lws_callback_on_writable(a->wsi);
}

/* Asks the connection to close (a Close frame, then CLIENT_CLOSED). */
static void close_connection(struct agent *a, int why)
{
    if (!a->wsi || a->closing)
        return;
    a->closing = true;
    a->close_error = why;
    want_write(a);
}

static void connect_now(struct agent *a);

static void on_reconnect_timer(lws_sorted_usec_list_t *sul)
{
    struct agent *a = container_of(sul, struct agent, sul_reconnect);

    a->reconnect_pending = false;
    if (!a->quit && !a->stopping && !a->exiting)
        connect_now(a);
}

static void schedule_reconnect(struct agent *a)
{
    if (a->quit || a->stopping || a->exiting || a->destroying || a->reconnect_pending)
        return;
    uint32_t delay = agent_backoff_next(&a->backoff, agent_random_u64());
    a->reconnect_pending = true;
    emit(a, &(struct agent_event){.type = AGENT_EVENT_RECONNECT, .delay_ms = delay});
    schedule(a, &a->sul_reconnect, on_reconnect_timer, delay);
}

static void connect_now(struct agent *a)
{
    struct lws_client_connect_info ci;

    memset(&ci, 0, sizeof(ci));
    ci.context = a->ctx;
    ci.address = a->host;
    ci.port = a->port;
    ci.path = AGENT_PATH;
    ci.host = a->host_header;
    ci.retry_and_idle_policy = &keepalive;
    ci.pwsi = &a->wsi;
    if (a->tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (a->tls_insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    a->closing = false;
    a->close_error = 0;
    emit(a, &(struct agent_event){.type = AGENT_EVENT_CONNECTING, .url = a->url});
    if (!lws_client_connect_via_info(&ci)) {
        a->wsi = NULL;
        emit(a, &(struct agent_event){.type = AGENT_EVENT_DISCONNECTED,
                                      .error = -ECONNREFUSED,
                                      .message = "connection could not be started"});
        schedule_reconnect(a);
    }
}

/* ---- exit conditions ---- */

static void on_stop_timer(lws_sorted_usec_list_t *sul)
{
    struct agent *a = container_of(sul, struct agent, sul_stop);

    if (a->runner) {
        a->run_result = -ETIMEDOUT; /* the executor ignored its cancel_fd */
        a->quit = true;
    } else if (a->stopping || a->exiting)
        a->quit = true; /* the Close handshake did not finish in time */
}

/* Closes the connection and ends agent_run() once it is closed. */
static void wind_down(struct agent *a)
{
    if (!a->wsi || !a->established) {
        a->quit = true; /* an attempt in progress dies with the context */
        return;
    }
    close_connection(a, 0);
    schedule(a, &a->sul_stop, on_stop_timer, CLOSE_GRACE_MS);
}

static void check_exit(struct agent *a)
{
    bool idle = agent_session_quiescent(a->session) && !a->runner && !a->finish_data;

    if (a->exiting || a->stopping || !idle)
        return;
    if ((a->exit_when_done && a->done_seen) ||
        (a->max_actions > 0 && a->actions_done >= a->max_actions)) {
        a->exiting = true;
        emit(a, &(struct agent_event){.type = AGENT_EVENT_DONE});
        wind_down(a);
    }
}

/* ---- actions ---- */

static void do_finish(struct agent *a)
{
    void *f = a->finish_data;
    int r = -EOPNOTSUPP;

    lws_sul_cancel(&a->sul_finish);
    if (!f)
        return;
    a->finish_data = NULL;
    emit(a, &(struct agent_event){.type = AGENT_EVENT_FINISH});
    if (a->finish)
        r = a->finish(a->userdata, f);
    drop_finish(a, f);
    emit(a, &(struct agent_event){.type = AGENT_EVENT_FINISH_RETURNED, .error = r < 0 ? r : 0});
    agent_session_hold(a->session, false);
    if (a->ignored_while_finishing) {
        /* An action pushed meanwhile was not started: a new session gets
         * it re-served. */
        a->ignored_while_finishing = false;
        close_connection(a, 0);
    }
    check_exit(a);
}

static void on_finish_timer(lws_sorted_usec_list_t *sul)
{
    do_finish(container_of(sul, struct agent, sul_finish));
}

static void send_progress(struct agent *a, char *text)
{
    int r = agent_session_progress(a->session, text);

    free(text);
    a->last_progress_ns = agent_mono_ns();
    if (r < 0 && r != -ESRCH)
        log_debug("progress not queued", LOG_ERRNO(r));
    want_write(a);
}

static void on_progress_timer(lws_sorted_usec_list_t *sul)
{
    struct agent *a = container_of(sul, struct agent, sul_progress);
    char *p = a->held_progress;

    a->held_progress = NULL;
    if (p)
        send_progress(a, p);
}

/* Sends a progress line now, or holds it until the interval has passed. */
static void handle_progress(struct agent *a, char *text)
{
    int64_t wait_ms =
            (a->last_progress_ns + (int64_t)a->progress_ms * 1000000 - agent_mono_ns()) / 1000000;

    if (a->stopping) {
        free(text);
        return;
    }
    if (wait_ms <= 0) {
        send_progress(a, text);
        return;
    }
    free(a->held_progress);
    a->held_progress = text;
    schedule(a, &a->sul_progress, on_progress_timer, wait_ms);
}

static void wake(void *userdata)
{
    struct agent *a = userdata;

    lws_cancel_service(a->ctx);
}

/* The outcome to report for a run: the executor's, or FAILED with why. */
static void outcome_of(const struct agent_run_result *rr, char **msg, struct agent_outcome *o)
{
    char buf[160];
    const char *text = rr->exec.message;
    enum agentproto_state st = rr->exec.state;

    if (rr->error < 0) {
        (void)snprintf(buf, sizeof(buf), "action could not run: %s", log_strerror(rr->error));
        text = buf;
        st = AGENTPROTO_STATE_FAILED;
    } else if (st != AGENTPROTO_STATE_SUCCESS && st != AGENTPROTO_STATE_FAILED &&
               st != AGENTPROTO_STATE_TIMEOUT) {
        (void)snprintf(buf, sizeof(buf), "executor returned no final state");
        text = buf;
        st = AGENTPROTO_STATE_FAILED;
    }
    *msg = text ? agent_message_clean(text, strlen(text), AGENTPROTO_MESSAGE_MAX) : NULL;
    *o = (struct agent_outcome){.state = st,
                                .message = *msg,
                                .start = rr->start,
                                .stop = rr->stop,
                                .duration_ns = rr->duration_ns};
}

static void wind_down_stop(struct agent *a);

static void action_done(struct agent *a, struct agent_run_result *rr)
{
    const struct agentproto_action *act = agent_session_running(a->session);
    struct agent_outcome o;
    char *msg = NULL;
    uint64_t id = 0;
    int r;

    (void)agent_runner_free(a->runner);
    a->runner = NULL;
    lws_sul_cancel(&a->sul_progress);
    free(a->held_progress);
    a->held_progress = NULL;
    if (a->stopping) {
        /* Not reported: the gateway re-serves the action to the next agent. */
        free(rr->exec.message);
        drop_finish(a, rr->exec.finish);
        wind_down_stop(a);
        return;
    }
    outcome_of(rr, &msg, &o);
    emit(a, &(struct agent_event){.type = AGENT_EVENT_ACTION_FINISHED,
                                  .action = act,
                                  .state = o.state,
                                  .message = o.message,
                                  .error = rr->error});
    r = agent_session_action_finished(a->session, &o, &id);
    free(msg);
    free(rr->exec.message);
    if (r < 0)
        log_debug("final status not queued", LOG_ERRNO(r));
    a->final_report_id = id;
    if (rr->exec.finish) {
        a->finish_data = rr->exec.finish;
        a->finish_report_id = id;
        agent_session_hold(a->session, true);
        schedule(a, &a->sul_finish, on_finish_timer, a->finish_ms);
    }
    want_write(a);
}

static void start_action(struct agent *a)
{
    const struct agentproto_action *act = agent_session_running(a->session);
    struct agentproto_time start;
    int r;

    agent_time_now(&start);
    a->done_seen = false;
    a->last_progress_ns = agent_mono_ns();
    r = agent_session_action_started(a->session, &start);
    if (r < 0)
        log_debug("running status not queued", LOG_ERRNO(r));
    emit(a, &(struct agent_event){.type = AGENT_EVENT_ACTION_STARTED, .action = act});
    r = agent_runner_start(&a->runner, act, a->exec, a->userdata, wake, a, &start);
    if (r < 0) {
        struct agent_run_result rr = {.error = r, .start = start, .stop = start};
        a->runner = NULL;
        action_done(a, &rr);
    }
    want_write(a);
}

/* Runs on the loop thread after lws_cancel_service(). */
static void on_wake(struct agent *a)
{
    struct agent_run_result rr;
    char *p;

    if (atomic_load(&a->stop_requested) && !a->stopping)
        wind_down_stop(a);
    if (!a->runner)
        return;
    p = agent_runner_take_progress(a->runner);
    if (p)
        handle_progress(a, p);
    if (agent_runner_take_result(a->runner, &rr))
        action_done(a, &rr);
}

/* ---- stopping ---- */

/* First call: hold new actions, cancel the running one. Later calls (once
 * the action ended): close and quit. */
static void wind_down_stop(struct agent *a)
{
    if (!a->stopping) {
        a->stopping = true;
        agent_session_hold(a->session, true);
        lws_sul_cancel(&a->sul_reconnect);
        lws_sul_cancel(&a->sul_progress);
        lws_sul_cancel(&a->sul_finish);
        a->reconnect_pending = false;
        drop_finish(a, a->finish_data);
        a->finish_data = NULL;
        if (a->runner) {
            agent_runner_cancel(a->runner);
            schedule(a, &a->sul_stop, on_stop_timer, a->stop_ms);
            return;
        }
    }
    if (!a->runner)
        wind_down(a);
}

/* ---- the connection ---- */

static void on_hello_timer(lws_sorted_usec_list_t *sul)
{
    struct agent *a = container_of(sul, struct agent, sul_hello);

    if (a->wsi && !agent_session_ready(a->session))
        close_connection(a, -ETIMEDOUT);
}

static void on_established(struct agent *a, struct lws *wsi)
{
    int r;

    a->wsi = wsi;
    a->established = true;
    buf_reset(&a->rx);
    r = agent_session_connected(a->session);
    if (r < 0) {
        /* Checked by agent_new(); only -ENOMEM gets here. */
        close_connection(a, r);
        return;
    }
    emit(a, &(struct agent_event){.type = AGENT_EVENT_CONNECTED, .url = a->url});
    schedule(a, &a->sul_hello, on_hello_timer, a->hello_ms);
    want_write(a);
}

static void on_gone(struct agent *a, int error, const char *why)
{
    if (a->destroying)
        return;
    a->wsi = NULL;
    a->established = false;
    buf_free(&a->rx);
    agent_session_disconnected(a->session);
    lws_sul_cancel(&a->sul_hello);
    /* A close we asked for is no error, unless we closed because of one. */
    emit(a, &(struct agent_event){.type = AGENT_EVENT_DISCONNECTED,
                                  .error = a->closing ? a->close_error : error,
                                  .message = why});
    a->closing = false;
    a->close_error = 0;
    if (a->stopping || a->exiting) {
        if (!a->runner)
            a->quit = true;
        return;
    }
    schedule_reconnect(a);
}

static void on_message(struct agent *a, const char *data, size_t len)
{
    struct agent_session_result res;
    _cleanup_free_ char *err = NULL;
    int r = agent_session_handle(a->session, data, len, &res, &err);

    if (r < 0) {
        emit(a, &(struct agent_event){.type = AGENT_EVENT_BAD_MESSAGE, .error = r, .message = err});
        if (r == -EPROTONOSUPPORT || r == -ENOMEM)
            close_connection(a, r);
        return;
    }
    const struct agentproto_msg *m = res.msg;
    const struct agentproto_action *act = m && m->type == AGENTPROTO_ACTION ? &m->action : NULL;
    switch (res.kind) {
    case AGENT_SESSION_HELLO_ACKED:
        lws_sul_cancel(&a->sul_hello);
        agent_backoff_reset(&a->backoff);
        emit(a, &(struct agent_event){.type = AGENT_EVENT_READY});
        break;
    case AGENT_SESSION_STATUS_ACKED:
        if (res.acked_final && res.report_id == a->final_report_id) {
            a->final_report_id = 0;
            a->actions_done++;
        }
        if (a->finish_data && res.report_id == a->finish_report_id)
            do_finish(a);
        break;
    case AGENT_SESSION_START:
        start_action(a);
        break;
    case AGENT_SESSION_RUNNING:
        emit(a, &(struct agent_event){.type = AGENT_EVENT_ACTION_RUNNING, .action = act});
        break;
    case AGENT_SESSION_RESENT:
        emit(a, &(struct agent_event){.type = AGENT_EVENT_ACTION_RESENT, .action = act});
        break;
    case AGENT_SESSION_BUSY:
        if (a->finish_data)
            a->ignored_while_finishing = true;
        emit(a, &(struct agent_event){.type = AGENT_EVENT_ACTION_BUSY, .action = act});
        break;
    case AGENT_SESSION_IDLE:
        if (strcmp(m->idle.reason, AGENTPROTO_IDLE_DONE) == 0)
            a->done_seen = true;
        emit(a, &(struct agent_event){.type = AGENT_EVENT_IDLE,
                                      .reason = m->idle.reason,
                                      .delay_ms = m->idle.retry_after_ms});
        break;
    case AGENT_SESSION_SERVER_ERROR:
        emit(a, &(struct agent_event){.type = AGENT_EVENT_SERVER_ERROR,
                                      .reason = m->error.code,
                                      .message = m->error.message});
        if (res.dropped) {
            emit(a, &(struct agent_event){.type = AGENT_EVENT_STATUS_DROPPED,
                                          .state = res.dropped_state,
                                          .reason = m->error.code});
            if (res.report_id == a->final_report_id) {
                a->final_report_id = 0;
                a->actions_done++;
            }
            if (a->finish_data && res.report_id == a->finish_report_id)
                do_finish(a);
        }
        /* The server closes after an error; do not wait for it. */
        close_connection(a, 0);
        break;
    default:
        break;
    }
    check_exit(a);
    want_write(a);
}

static int on_receive(struct agent *a, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi)) {
        buf_reset(&a->rx);
        a->rx_binary = lws_frame_is_binary(wsi);
    }
    if (buf_append(&a->rx, in, len) < 0) {
        emit(a, &(struct agent_event){.type = AGENT_EVENT_BAD_MESSAGE,
                                      .error = -EMSGSIZE,
                                      .message = "message: longer than 1048576 bytes"});
        a->closing = true;
        a->close_error = -EMSGSIZE;
        return -1;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    if (a->rx_binary)
        emit(a, &(struct agent_event){.type = AGENT_EVENT_BAD_MESSAGE,
                                      .error = -EBADMSG,
                                      .message = "message: a binary frame"});
    else
        on_message(a, buf_str(&a->rx), a->rx.len);
    buf_reset(&a->rx);
    return 0;
}

static int on_writeable(struct agent *a, struct lws *wsi)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ unsigned char *frame = NULL;
    size_t len;

    if (a->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (!agent_session_next_out(a->session, &text, &len))
        return 0;
    frame = malloc(LWS_PRE + len);
    if (!frame)
        return -1;
    memcpy(frame + LWS_PRE, text, len);
    if (lws_write(wsi, frame + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
        return -1;
    want_write(a);
    return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct agent *a = lws_context_user(lws_get_context(wsi));

    (void)user;
    if (!a)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        on_established(a, wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(a, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(a, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        on_gone(a, -ECONNREFUSED, in ? (const char *)in : NULL);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        on_gone(a, -ECONNRESET, NULL);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        on_wake(a);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
        {"anvil-agent", callback, 0, 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- lifetime ---- */

static void lws_log_bridge(int level, const char *line)
{
    char msg[512];
    size_t n = strlen(line);

    (void)level;
    if (n > 0 && line[n - 1] == '\n')
        n--;
    (void)snprintf(msg, sizeof(msg), "%.*s", (int)MIN(n, sizeof(msg) - 1), line);
    log_debug("libwebsockets", LOG_STR("detail", msg));
}

static int check_opts(const struct agent_opts *o)
{
    if (!o || !o->host || !o->host[0] || o->port == 0 || !o->agent_id || !o->exec)
        return -EINVAL;
    if (strlen(o->agent_id) > AGENTPROTO_ID_MAX || strlen(o->host) > AGENT_HOST_MAX)
        return -EINVAL;
    return 0;
}

static int make_strings(struct agent *a, const struct agent_opts *o)
{
    bool v6 = strchr(o->host, ':') != NULL;

    a->host = strdup(o->host);
    a->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
    if (!a->host || (o->ca_file && !a->ca_file))
        return -ENOMEM;
    if (asprintf(&a->host_header, v6 ? "[%s]:%u" : "%s:%u", o->host, o->port) < 0) {
        a->host_header = NULL;
        return -ENOMEM;
    }
    if (asprintf(&a->url, "%s://%s%s", o->tls ? "wss" : "ws", a->host_header, AGENT_PATH) < 0) {
        a->url = NULL;
        return -ENOMEM;
    }
    return 0;
}

static int make_context(struct agent *a)
{
    struct lws_context_creation_info info;

    lws_set_log_level(log_enabled(LOG_LEVEL_DEBUG) ? LLL_ERR | LLL_WARN : 0, lws_log_bridge);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = a;
    info.gid = -1;
    info.uid = -1;
    if (a->tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = a->ca_file;
    }
    a->ctx = lws_create_context(&info);
    return a->ctx ? 0 : -EIO;
}

int agent_new(struct agent **ret, const struct agent_opts *o)
{
    struct agent *a;
    int r = check_opts(o);

    assert_return(ret, -EINVAL);
    if (r < 0)
        return r;
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->port = o->port;
    a->tls = o->tls;
    a->tls_insecure = o->tls_insecure;
    a->exec = o->exec;
    a->finish = o->finish;
    a->finish_free = o->finish_free;
    a->on_event = o->on_event;
    a->userdata = o->userdata;
    a->exit_when_done = o->exit_when_done;
    a->max_actions = o->max_actions;
    a->progress_ms = o->progress_interval_ms ? o->progress_interval_ms : DEFAULT_PROGRESS_MS;
    a->finish_ms = o->finish_timeout_ms ? o->finish_timeout_ms : DEFAULT_FINISH_MS;
    a->hello_ms = o->hello_timeout_ms ? o->hello_timeout_ms : DEFAULT_HELLO_MS;
    a->stop_ms = o->stop_timeout_ms ? o->stop_timeout_ms : DEFAULT_STOP_MS;
    a->rx = BUF_INIT(AGENTPROTO_MSG_MAX);
    atomic_init(&a->stop_requested, false);
    agent_backoff_init(&a->backoff, o->backoff_min_ms, o->backoff_max_ms);
    r = make_strings(a, o);
    if (r >= 0)
        r = agent_session_new(&a->session,
                              &(struct agent_session_opts){.agent_id = o->agent_id,
                                                           .token = o->token,
                                                           .agent_version = o->agent_version,
                                                           .attributes = o->attributes});
    /* A hello that does not encode (bad ID or token) would be refused on
     * every connection: say so now. */
    if (r >= 0) {
        r = agent_session_connected(a->session);
        agent_session_disconnected(a->session);
    }
    if (r >= 0)
        r = make_context(a);
    if (r < 0) {
        agent_free(a);
        return r;
    }
    *ret = a;
    return 0;
}

int agent_run(struct agent *a)
{
    assert_return(a, -EINVAL);
    if (a->ran)
        return -EALREADY;
    a->ran = true;
    connect_now(a);
    while (!a->quit) {
        if (atomic_load(&a->stop_requested) && !a->stopping)
            wind_down_stop(a);
        if (a->quit || lws_service(a->ctx, 0) < 0)
            break;
    }
    return a->run_result;
}

int agent_stop(struct agent *a)
{
    assert_return(a, -EINVAL);
    atomic_store(&a->stop_requested, true);
    if (a->ctx)
        lws_cancel_service(a->ctx);
    return 0;
}

struct agent *agent_free(struct agent *a)
{
    struct agent_run_result rr;

    if (!a)
        return NULL;
    if (a->runner && !agent_runner_finished(a->runner))
        return NULL; /* the executor still uses a: leave it be (documented) */
    if (a->runner && agent_runner_take_result(a->runner, &rr)) {
        free(rr.exec.message);
        drop_finish(a, rr.exec.finish);
    }
    (void)agent_runner_free(a->runner);
    a->destroying = true;
    if (a->ctx)
        lws_context_destroy(a->ctx);
    drop_finish(a, a->finish_data);
    agent_session_free(a->session);
    buf_free(&a->rx);
    free(a->held_progress);
    free(a->host);
    free(a->host_header);
    free(a->url);
    free(a->ca_file);
    free(a);
    return NULL;
}

const char *agent_event_type_to_string(enum agent_event_type t)
{
    static const char *const names[_AGENT_EVENT_MAX] = {
            [AGENT_EVENT_CONNECTING] = "CONNECTING",
            [AGENT_EVENT_CONNECTED] = "CONNECTED",
            [AGENT_EVENT_READY] = "READY",
            [AGENT_EVENT_DISCONNECTED] = "DISCONNECTED",
            [AGENT_EVENT_RECONNECT] = "RECONNECT",
            [AGENT_EVENT_IDLE] = "IDLE",
            [AGENT_EVENT_SERVER_ERROR] = "SERVER_ERROR",
            [AGENT_EVENT_BAD_MESSAGE] = "BAD_MESSAGE",
            [AGENT_EVENT_ACTION_STARTED] = "ACTION_STARTED",
            [AGENT_EVENT_ACTION_RUNNING] = "ACTION_RUNNING",
            [AGENT_EVENT_ACTION_RESENT] = "ACTION_RESENT",
            [AGENT_EVENT_ACTION_BUSY] = "ACTION_BUSY",
            [AGENT_EVENT_ACTION_FINISHED] = "ACTION_FINISHED",
            [AGENT_EVENT_STATUS_DROPPED] = "STATUS_DROPPED",
            [AGENT_EVENT_FINISH] = "FINISH",
            [AGENT_EVENT_FINISH_RETURNED] = "FINISH_RETURNED",
            [AGENT_EVENT_DONE] = "DONE",
    };
    return t >= 0 && t < _AGENT_EVENT_MAX ? names[t] : NULL;
}
