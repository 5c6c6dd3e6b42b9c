/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent against a small gateway written here: a plain libwebsockets
 * server on a free loopback port that speaks the protocol through
 * agentproto and plays one scenario per test (drops, re-serves, errors).
 * Nothing sleeps: threads wait on eventfds, and a watchdog timer in the
 * server stops a test that would hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "agent/agent-internal.h"
#include "agent/agent.h"
#include "base/json-cleanup.h"
#include "buf/buf.h"

#define WATCHDOG_MS 30000
#define MAX_STATUS  64
#define MAX_HELLO   16
#define MAX_OUT     8

enum scenario {
    SC_BASIC,        /* one action, then idle done */
    SC_DROP,         /* drops mid-action, before and after the final ack */
    SC_UNAUTHORIZED, /* every hello refused */
    SC_STOP,         /* the agent is stopped while its action runs */
    SC_FINISH,       /* an action whose finish waits for the ack */
    SC_FINISH_NOACK, /* ... which never comes */
    SC_PROGRESS,     /* progress lines, rate-limited */
    SC_BAD,          /* garbage and unknown versions from the server */
    SC_TLS_REFUSED,  /* a TLS server the agent must not trust */
};

struct status_rec {
    int conn;
    char action_id[64];
    enum agentproto_state state;
    char message[128];
    bool has_start, has_stop, has_duration;
};

struct conn {
    int index;
    struct buf rx;
    char *out[MAX_OUT];
    size_t n_out;
    bool close_after; /* close once the queue is written */
};

struct fixture {
    enum scenario sc;
    /* server */
    bool tls;
    char cert[96], key[96];
    SSL_CTX *server_client_ctx;
    struct lws_context *sctx;
    pthread_t sthread;
    atomic_bool sstop;
    int port;
    lws_sorted_usec_list_t watchdog;
    bool timed_out;
    int conns;
    int hellos;
    int64_t hello_ns[MAX_HELLO];
    char token[64], agent_version[64];
    json_t *attributes;
    struct status_rec status[MAX_STATUS];
    int n_status;
    int final_acks; /* final statuses acknowledged */
    int64_t final_received_ns;
    /* agent */
    struct agent *agent;
    json_t *agent_attrs;
    int events[_AGENT_EVENT_MAX];
    int last_finish_error;
    char idle_reason[32];
    int64_t reconnect_ms[MAX_HELLO];
    int n_reconnect;
    char error_codes[MAX_HELLO][32];
    int n_errors;
    /* executor */
    int exec_calls;
    int release_fd;
    char side_effect[128];
    bool saw_cancel;
    int finish_calls, finish_frees;
    int64_t finish_ns;
};

static int64_t now_ns(void)
{
    return agent_mono_ns();
}

/* ---- the gateway ---- */

static void queue_text(struct conn *c, const char *text)
{
    assert_true(c->n_out < MAX_OUT);
    c->out[c->n_out] = strdup(text);
    assert_non_null(c->out[c->n_out]);
    c->n_out++;
}

static void queue_msg(struct conn *c, const struct agentproto_msg *m)
{
    char *text = NULL, *err = NULL;
    if (agentproto_encode(m, &text, NULL, &err) != 0)
        fail_msg("test server cannot encode: %s", err ? err : "");
    queue_text(c, text);
    free(text);
}

static void queue_action(struct conn *c, const char *id)
{
    queue_msg(c, &(struct agentproto_msg){.type = AGENTPROTO_ACTION,
                                          .action = {.workflow_id = "default/wf",
                                                     .task_id = "t1",
                                                     .agent_id = "m1",
                                                     .action_id = id,
                                                     .name = "write",
                                                     .image = "anvil/exec",
                                                     .timeout = 60}});
}

static void queue_ack_status(struct conn *c, const struct agentproto_status *st)
{
    queue_msg(c, &(struct agentproto_msg){
                         .type = AGENTPROTO_ACK,
                         .ack = {.of = "status", .action_id = st->action_id, .state = st->state}});
}

static const char ACK_HELLO[] = "{\"v\":1,\"type\":\"ack\",\"of\":\"hello\"}";
static const char IDLE_DONE[] = "{\"v\":1,\"type\":\"idle\",\"reason\":\"done\"}";

static bool is_final(enum agentproto_state s)
{
    return s == AGENTPROTO_STATE_SUCCESS || s == AGENTPROTO_STATE_FAILED ||
           s == AGENTPROTO_STATE_TIMEOUT;
}

static void on_hello(struct fixture *f, struct conn *c, const struct agentproto_hello *h)
{
    if (f->hellos < MAX_HELLO)
        f->hello_ns[f->hellos] = now_ns();
    f->hellos++;
    snprintf(f->token, sizeof(f->token), "%s", h->token ? h->token : "");
    snprintf(f->agent_version, sizeof(f->agent_version), "%s",
             h->agent_version ? h->agent_version : "");
    if (!f->attributes && h->attributes)
        f->attributes = json_deep_copy(h->attributes);
    switch (f->sc) {
    case SC_UNAUTHORIZED:
        queue_text(c, "{\"v\":1,\"type\":\"error\",\"code\":\"unauthorized\","
                      "\"message\":\"token expired\"}");
        c->close_after = true;
        if (f->hellos == 5)
            agent_stop(f->agent);
        return;
    case SC_BAD:
        queue_text(c, ACK_HELLO);
        queue_text(c, "this is not JSON");
        queue_text(c, "{\"v\":1,\"type\":\"idle\"}");
        if (f->hellos == 1) {
            /* A newer server: the agent closes and comes back. */
            queue_text(c, "{\"v\":2,\"type\":\"idle\",\"reason\":\"done\"}");
            return;
        }
        queue_text(c, IDLE_DONE);
        return;
    default:
        queue_text(c, ACK_HELLO);
        /* The drop scenario re-serves a1 on every connection. */
        if (f->sc != SC_DROP && f->n_status > 0)
            queue_text(c, IDLE_DONE);
        else
            queue_action(c, "a1");
    }
}

static void on_status(struct fixture *f, struct conn *c, const struct agentproto_status *st)
{
    if (f->n_status < MAX_STATUS) {
        struct status_rec *r = &f->status[f->n_status++];
        r->conn = c->index;
        snprintf(r->action_id, sizeof(r->action_id), "%s", st->action_id);
        r->state = st->state;
        snprintf(r->message, sizeof(r->message), "%s", st->message ? st->message : "");
        r->has_start = st->has_execution_start;
        r->has_stop = st->has_execution_stop;
        r->has_duration = st->has_execution_duration;
    }
    if (!is_final(st->state)) {
        if (f->sc == SC_DROP && c->index == 1) {
            c->close_after = true; /* drop before acking RUNNING */
            return;
        }
        if (f->sc == SC_STOP) {
            agent_stop(f->agent);
            return;
        }
        if (f->sc == SC_PROGRESS && strcmp(st->message ? st->message : "", "first") == 0) {
            uint64_t one = 1;
            assert_int_equal(write(f->release_fd, &one, sizeof(one)), sizeof(one));
        }
        queue_ack_status(c, st);
        return;
    }
    f->final_received_ns = now_ns();
    if (f->sc == SC_DROP && c->index == 2) {
        c->close_after = true; /* drop before acking the final status */
        return;
    }
    if (f->sc == SC_FINISH_NOACK)
        return;
    queue_ack_status(c, st);
    f->final_acks++;
    if (f->sc == SC_DROP && c->index == 3) {
        c->close_after = true; /* acked, then "lost": re-served next time */
        return;
    }
    queue_text(c, IDLE_DONE);
}

static void on_agent_message(struct fixture *f, struct conn *c, const char *data, size_t len)
{
    struct agentproto_msg *m = NULL;
    char *err = NULL;

    if (agentproto_decode(data, len, &m, &err) != 0)
        fail_msg("the agent sent something that does not decode: %s: %.*s", err, (int)len, data);
    if (m->type == AGENTPROTO_HELLO)
        on_hello(f, c, &m->hello);
    else if (m->type == AGENTPROTO_STATUS)
        on_status(f, c, &m->status);
    else
        fail_msg("the agent sent a %s", agentproto_type_to_string(m->type));
    agentproto_msg_free(m);
}

static int
server_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct fixture *f = lws_context_user(lws_get_context(wsi));
    struct conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        *c = (struct conn){.index = ++f->conns, .rx = BUF_INIT(AGENTPROTO_MSG_MAX)};
        return 0;
    case LWS_CALLBACK_RECEIVE:
        assert_int_equal(buf_append(&c->rx, in, len), 0);
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            on_agent_message(f, c, c->rx.data, c->rx.len);
            buf_reset(&c->rx);
        }
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (c->n_out == 0)
            return c->close_after ? -1 : 0;
        char *text = c->out[0];
        size_t n = strlen(text);
        unsigned char *frame = malloc(LWS_PRE + n);
        memcpy(frame + LWS_PRE, text, n);
        int w = lws_write(wsi, frame + LWS_PRE, n, LWS_WRITE_TEXT);
        free(frame);
        free(text);
        memmove(&c->out[0], &c->out[1], (c->n_out - 1) * sizeof(c->out[0]));
        c->n_out--;
        if (w < (int)n)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        buf_free(&c->rx);
        for (size_t i = 0; i < c->n_out; i++)
            free(c->out[i]);
        c->n_out = 0;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols server_protocols[] = {
        {"gateway", server_cb, sizeof(struct conn), 4096, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_watchdog(lws_sorted_usec_list_t *sul)
{
    struct fixture *f = container_of(sul, struct fixture, watchdog);
    f->timed_out = true;
    agent_stop(f->agent);
}

static void *serve(void *arg)
{
    struct fixture *f = arg;
    while (!atomic_load(&f->sstop))
        if (lws_service(f->sctx, 0) < 0)
            break;
    return NULL;
}

static void server_start(struct fixture *f)
{
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = server_protocols;
    info.user = f;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (f->tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = f->cert;
        info.ssl_private_key_filepath = f->key;
        /* libwebsockets 4.1 gives a TLS server vhost a client context with
         * the system CA store and never frees it; handing it one of ours
         * keeps the leak checker quiet about the test's own server. */
        f->server_client_ctx = SSL_CTX_new(TLS_client_method());
        assert_non_null(f->server_client_ctx);
        info.provided_client_ssl_ctx = f->server_client_ctx;
    }
    lws_set_log_level(0, NULL);
    f->sctx = lws_create_context(&info);
    assert_non_null(f->sctx);
    f->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(f->sctx, "default"));
    assert_true(f->port > 0);
    lws_sul_schedule(f->sctx, 0, &f->watchdog, on_watchdog, (lws_usec_t)WATCHDOG_MS * 1000);
    atomic_init(&f->sstop, false);
    assert_int_equal(pthread_create(&f->sthread, NULL, serve, f), 0);
}

static void server_stop(struct fixture *f)
{
    atomic_store(&f->sstop, true);
    lws_cancel_service(f->sctx);
    pthread_join(f->sthread, NULL);
    lws_context_destroy(f->sctx);
    SSL_CTX_free(f->server_client_ctx);
}

/* ---- the agent's side: executor, finish, events ---- */

/* Waits for the release eventfd (or cancel_fd); false when cancelled. */
static bool wait_release(struct fixture *f, int cancel_fd)
{
    struct pollfd p[2] = {{.fd = f->release_fd, .events = POLLIN},
                          {.fd = cancel_fd, .events = POLLIN}};
    uint64_t v;
    int n = poll(p, 2, WATCHDOG_MS);
    if (n <= 0)
        return false;
    if (p[1].revents & POLLIN) {
        f->saw_cancel = true;
        return false;
    }
    assert_int_equal(read(f->release_fd, &v, sizeof(v)), sizeof(v));
    return true;
}

static int exec_cb(void *userdata,
                   const struct agentproto_action *a,
                   int cancel_fd,
                   agent_progress_fn progress,
                   void *progress_userdata,
                   struct agent_exec_result *ret)
{
    struct fixture *f = userdata;

    f->exec_calls++;
    switch (f->sc) {
    case SC_DROP:
        /* Runs until the agent has seen the re-serve on the new connection. */
        if (!wait_release(f, cancel_fd))
            return -ECANCELED;
        break;
    case SC_STOP:
        if (wait_release(f, cancel_fd))
            fail_msg("released instead of cancelled");
        *ret = (struct agent_exec_result){.state = AGENTPROTO_STATE_FAILED,
                                          .message = strdup("cancelled")};
        return 0;
    case SC_PROGRESS:
        progress("first", progress_userdata);
        if (!wait_release(f, cancel_fd))
            return -ECANCELED;
        for (int i = 0; i < 1000; i++)
            progress("later", progress_userdata);
        break;
    case SC_FINISH:
    case SC_FINISH_NOACK:
        *ret = (struct agent_exec_result){.state = AGENTPROTO_STATE_SUCCESS,
                                          .message = strdup("rebooting"),
                                          .finish = strdup("reboot")};
        return 0;
    default:
        break;
    }
    /* The side effect: a file named after the action. */
    FILE *out = fopen(f->side_effect, "w");
    assert_non_null(out);
    fprintf(out, "%s %s\n", a->action_id, a->name);
    fclose(out);
    *ret = (struct agent_exec_result){.state = AGENTPROTO_STATE_SUCCESS,
                                      .message = strdup("wrote it \xff")};
    return 0;
}

static int finish_cb(void *userdata, void *finish)
{
    struct fixture *f = userdata;
    assert_string_equal(finish, "reboot");
    f->finish_calls++;
    f->finish_ns = now_ns();
    if (f->sc == SC_FINISH_NOACK)
        agent_stop(f->agent);
    return -EPERM; /* "not allowed to reboot in tests" */
}

static void finish_free_cb(void *finish)
{
    free(finish);
}

static struct fixture *current; /* for finish_free, which has no userdata */

static void finish_free_counting(void *finish)
{
    current->finish_frees++;
    finish_free_cb(finish);
}

static void on_event(void *userdata, const struct agent_event *ev)
{
    struct fixture *f = userdata;
    uint64_t one = 1;

    assert_non_null(agent_event_type_to_string(ev->type));
    f->events[ev->type]++;
    switch (ev->type) {
    case AGENT_EVENT_ACTION_RUNNING:
        /* The re-served action is known to run: let the executor finish. */
        if (f->sc == SC_DROP)
            assert_int_equal(write(f->release_fd, &one, sizeof(one)), sizeof(one));
        break;
    case AGENT_EVENT_DISCONNECTED:
        if (f->sc == SC_TLS_REFUSED && f->events[ev->type] == 3)
            agent_stop(f->agent);
        break;
    case AGENT_EVENT_RECONNECT:
        if (f->n_reconnect < MAX_HELLO)
            f->reconnect_ms[f->n_reconnect++] = ev->delay_ms;
        break;
    case AGENT_EVENT_SERVER_ERROR:
        if (f->n_errors < MAX_HELLO)
            snprintf(f->error_codes[f->n_errors++], sizeof(f->error_codes[0]), "%s", ev->reason);
        break;
    case AGENT_EVENT_IDLE:
        snprintf(f->idle_reason, sizeof(f->idle_reason), "%s", ev->reason);
        break;
    case AGENT_EVENT_FINISH_RETURNED:
        f->last_finish_error = ev->error;
        break;
    default:
        break;
    }
}

static void fixture_init(struct fixture *f, enum scenario sc)
{
    memset(f, 0, sizeof(*f));
    f->sc = sc;
    f->release_fd = eventfd(0, EFD_CLOEXEC);
    assert_true(f->release_fd >= 0);
    snprintf(f->side_effect, sizeof(f->side_effect), "/tmp/agent-client-test-%d-%d", getpid(),
             (int)sc);
    (void)unlink(f->side_effect);
    f->agent_attrs = json_pack("{s:{s:i},s:[{s:s,s:s}]}", "cpu", "totalCores", 8,
                               "networkInterfaces", "name", "eth0", "mac", "52:54:00:12:34:56");
    current = f;
}

static void fixture_done(struct fixture *f)
{
    close(f->release_fd);
    (void)unlink(f->side_effect);
    json_decref(f->attributes);
    json_decref(f->agent_attrs);
    current = NULL;
}

/* Runs the agent against the scenario's server until agent_run() returns. */
static int run_agent(struct fixture *f, struct agent_opts o)
{
    int r;

    server_start(f);
    o.host = "127.0.0.1";
    o.port = (uint16_t)f->port;
    o.agent_id = "m1";
    o.token = "tok.en";
    o.agent_version = "anvil-worker/test";
    o.attributes = f->agent_attrs;
    o.exec = exec_cb;
    o.finish = finish_cb;
    o.finish_free = finish_free_counting;
    o.on_event = on_event;
    o.userdata = f;
    if (!o.backoff_min_ms) {
        o.backoff_min_ms = 5;
        o.backoff_max_ms = 20;
    }
    assert_int_equal(agent_new(&f->agent, &o), 0);
    r = agent_run(f->agent);
    assert_int_equal(agent_run(f->agent), -EALREADY);
    server_stop(f);
    f->agent = agent_free(f->agent);
    assert_false(f->timed_out);
    return r;
}

/* ---- the tests ---- */

static void test_agent_runs_action_and_exits_when_done(void **state)
{
    struct fixture f;
    char line[64] = "";

    (void)state;
    fixture_init(&f, SC_BASIC);
    assert_int_equal(run_agent(&f, (struct agent_opts){.exit_when_done = true}), 0);
    /* hello carried the token, the version and the attributes. */
    assert_int_equal(f.hellos, 1);
    assert_string_equal(f.token, "tok.en");
    assert_string_equal(f.agent_version, "anvil-worker/test");
    assert_true(json_equal(f.attributes, f.agent_attrs));
    /* RUNNING with executionStart, then SUCCESS with all the times. */
    assert_int_equal(f.n_status, 2);
    assert_int_equal(f.status[0].state, AGENTPROTO_STATE_RUNNING);
    assert_true(f.status[0].has_start);
    assert_false(f.status[0].has_stop);
    assert_int_equal(f.status[1].state, AGENTPROTO_STATE_SUCCESS);
    assert_true(f.status[1].has_start && f.status[1].has_stop && f.status[1].has_duration);
    assert_string_equal(f.status[1].message, "wrote it \xef\xbf\xbd");
    /* The executor really ran, once. */
    assert_int_equal(f.exec_calls, 1);
    FILE *in = fopen(f.side_effect, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    fclose(in);
    assert_string_equal(line, "a1 write\n");
    assert_int_equal(f.events[AGENT_EVENT_READY], 1);
    assert_int_equal(f.events[AGENT_EVENT_ACTION_STARTED], 1);
    assert_int_equal(f.events[AGENT_EVENT_ACTION_FINISHED], 1);
    assert_int_equal(f.events[AGENT_EVENT_DONE], 1);
    assert_string_equal(f.idle_reason, "done");
    assert_int_equal(f.events[AGENT_EVENT_RECONNECT], 0);
    fixture_done(&f);
}

static void test_agent_survives_drops_without_running_twice(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_DROP);
    assert_int_equal(run_agent(&f, (struct agent_opts){.exit_when_done = true}), 0);
    assert_int_equal(f.exec_calls, 1);
    assert_int_equal(f.hellos, 4);
    /* conn 1: RUNNING, dropped. conn 2: RUNNING again (unacked), the
     * re-serve ignored, SUCCESS, dropped before the ack. conn 3: SUCCESS
     * re-sent and acked, dropped. conn 4: the re-served finished action gets
     * its final status once more instead of a second run. */
    int success_on[5] = {0};
    for (int i = 0; i < f.n_status; i++)
        if (f.status[i].state == AGENTPROTO_STATE_SUCCESS)
            success_on[f.status[i].conn]++;
    assert_int_equal(success_on[1], 0);
    assert_int_equal(success_on[2], 1);
    assert_int_equal(success_on[3], 1);
    assert_int_equal(success_on[4], 1);
    assert_int_equal(f.status[0].conn, 1);
    assert_int_equal(f.status[0].state, AGENTPROTO_STATE_RUNNING);
    assert_true(f.events[AGENT_EVENT_ACTION_RUNNING] >= 1);
    assert_true(f.events[AGENT_EVENT_ACTION_RESENT] >= 2);
    assert_int_equal(f.events[AGENT_EVENT_ACTION_STARTED], 1);
    assert_int_equal(f.events[AGENT_EVENT_DISCONNECTED], 4);
    assert_int_equal(f.final_acks, 2);
    fixture_done(&f);
}

static void test_agent_unauthorized_backs_off(void **state)
{
    struct fixture f;
    /* min 20, max 80: attempts wait 20, 20-40, 40-80, 40-80 ms. */
    static const int64_t lower_ms[] = {20, 20, 40, 40};

    (void)state;
    fixture_init(&f, SC_UNAUTHORIZED);
    assert_int_equal(run_agent(&f, (struct agent_opts){.backoff_min_ms = 20, .backoff_max_ms = 80}),
                     0);
    assert_int_equal(f.hellos, 5);
    assert_int_equal(f.events[AGENT_EVENT_READY], 0);
    assert_true(f.n_errors >= 4);
    for (int i = 0; i < f.n_errors; i++)
        assert_string_equal(f.error_codes[i], "unauthorized");
    assert_true(f.n_reconnect >= 4);
    for (int i = 0; i < 4; i++) {
        int64_t gap_ms = (f.hello_ns[i + 1] - f.hello_ns[i]) / 1000000;
        if (gap_ms < lower_ms[i])
            fail_msg("attempt %d came after %lld ms, before the backoff of %lld ms", i + 1,
                     (long long)gap_ms, (long long)lower_ms[i]);
        if (f.reconnect_ms[i] < lower_ms[i] || f.reconnect_ms[i] > 2 * lower_ms[i])
            fail_msg("delay %d: %lld ms", i, (long long)f.reconnect_ms[i]);
    }
    assert_int_equal(f.exec_calls, 0);
    fixture_done(&f);
}

static void test_agent_stop_cancels_action_without_report(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_STOP);
    assert_int_equal(run_agent(&f, (struct agent_opts){0}), 0);
    assert_int_equal(f.exec_calls, 1);
    assert_true(f.saw_cancel);
    assert_int_equal(f.n_status, 1);
    assert_int_equal(f.status[0].state, AGENTPROTO_STATE_RUNNING);
    assert_int_equal(f.events[AGENT_EVENT_ACTION_FINISHED], 0);
    fixture_done(&f);
}

static void test_agent_finish_waits_for_ack(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_FINISH);
    assert_int_equal(run_agent(&f, (struct agent_opts){.exit_when_done = true}), 0);
    assert_int_equal(f.final_acks, 1);
    assert_int_equal(f.finish_calls, 1);
    assert_int_equal(f.finish_frees, 1);
    assert_true(f.finish_ns >= f.final_received_ns);
    assert_int_equal(f.events[AGENT_EVENT_FINISH], 1);
    assert_int_equal(f.last_finish_error, -EPERM);
    assert_int_equal(f.events[AGENT_EVENT_DONE], 1);
    fixture_done(&f);
}

static void test_agent_finish_after_timeout_without_ack(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_FINISH_NOACK);
    assert_int_equal(run_agent(&f, (struct agent_opts){.finish_timeout_ms = 150}), 0);
    assert_int_equal(f.finish_calls, 1);
    assert_int_equal(f.finish_frees, 1);
    assert_true(f.finish_ns - f.final_received_ns >= 140 * 1000000LL);
    fixture_done(&f);
}

static void test_agent_progress_is_rate_limited(void **state)
{
    struct fixture f;
    int with_message = 0;
    bool first = false;

    (void)state;
    fixture_init(&f, SC_PROGRESS);
    assert_int_equal(
            run_agent(&f, (struct agent_opts){.exit_when_done = true, .progress_interval_ms = 50}),
            0);
    for (int i = 0; i < f.n_status; i++) {
        if (f.status[i].state != AGENTPROTO_STATE_RUNNING || !f.status[i].message[0])
            continue;
        with_message++;
        first |= strcmp(f.status[i].message, "first") == 0;
        assert_true(f.status[i].has_start);
    }
    assert_true(first);
    /* 1001 lines in well under a second, at most one per 50 ms. */
    assert_true(with_message >= 1 && with_message <= 3);
    assert_int_equal(f.status[f.n_status - 1].state, AGENTPROTO_STATE_SUCCESS);
    fixture_done(&f);
}

static void test_agent_survives_bad_server_messages(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_BAD);
    assert_int_equal(run_agent(&f, (struct agent_opts){.exit_when_done = true}), 0);
    /* Garbage is reported and skipped; version 2 makes the agent reconnect. */
    assert_int_equal(f.hellos, 2);
    assert_int_equal(f.events[AGENT_EVENT_BAD_MESSAGE], 5);
    assert_int_equal(f.events[AGENT_EVENT_DONE], 1);
    fixture_done(&f);
}

/* ---- TLS: a self-signed certificate for 127.0.0.1, made here ---- */

static void add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void make_cert(struct fixture *f)
{
    EVP_PKEY *pkey = EVP_PKEY_new();
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    X509 *x = X509_new();
    FILE *out;

    assert_non_null(kctx);
    assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1), 1);
    EVP_PKEY_free(pkey);
    pkey = NULL;
    assert_int_equal(EVP_PKEY_keygen(kctx, &pkey), 1);
    EVP_PKEY_CTX_free(kctx);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, NID_subject_alt_name, "DNS:127.0.0.1,IP:127.0.0.1");
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
    snprintf(f->cert, sizeof(f->cert), "/tmp/agent-client-test-%d.crt", getpid());
    snprintf(f->key, sizeof(f->key), "/tmp/agent-client-test-%d.key", getpid());
    out = fopen(f->cert, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_X509(out, x), 1);
    fclose(out);
    out = fopen(f->key, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_PrivateKey(out, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(out);
    X509_free(x);
    EVP_PKEY_free(pkey);
    f->tls = true;
}

static void drop_cert(struct fixture *f)
{
    (void)unlink(f->cert);
    (void)unlink(f->key);
}

static void test_agent_tls_verifies_with_ca_file(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_BASIC);
    make_cert(&f);
    assert_int_equal(
            run_agent(&f,
                      (struct agent_opts){.tls = true, .ca_file = f.cert, .exit_when_done = true}),
            0);
    assert_int_equal(f.hellos, 1);
    assert_int_equal(f.exec_calls, 1);
    assert_int_equal(f.events[AGENT_EVENT_DONE], 1);
    drop_cert(&f);
    fixture_done(&f);
}

static void test_agent_tls_insecure_accepts_any_cert(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_BASIC);
    make_cert(&f);
    assert_int_equal(run_agent(&f, (struct agent_opts){.tls = true,
                                                       .tls_insecure = true,
                                                       .exit_when_done = true}),
                     0);
    assert_int_equal(f.exec_calls, 1);
    drop_cert(&f);
    fixture_done(&f);
}

static void test_agent_tls_refuses_untrusted_cert(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f, SC_TLS_REFUSED);
    make_cert(&f);
    assert_int_equal(run_agent(&f, (struct agent_opts){.tls = true}), 0);
    assert_int_equal(f.hellos, 0);
    assert_int_equal(f.events[AGENT_EVENT_CONNECTED], 0);
    assert_true(f.events[AGENT_EVENT_DISCONNECTED] >= 3);
    drop_cert(&f);
    fixture_done(&f);
}

static void test_agent_new_checks_options(void **state)
{
    struct agent *a = NULL;
    static const struct agent_opts good = {
            .host = "127.0.0.1", .port = 1, .agent_id = "m1", .exec = exec_cb};
    struct agent_opts o;

    (void)state;
    o = good;
    o.host = NULL;
    assert_int_equal(agent_new(&a, &o), -EINVAL);
    o = good;
    o.port = 0;
    assert_int_equal(agent_new(&a, &o), -EINVAL);
    o = good;
    o.exec = NULL;
    assert_int_equal(agent_new(&a, &o), -EINVAL);
    o = good;
    o.agent_id = "bad\nid";
    assert_int_equal(agent_new(&a, &o), -EINVAL);
    o = good;
    o.token = "bad\x01token";
    assert_int_equal(agent_new(&a, &o), -EINVAL);
    assert_null(a);
    o = good;
    assert_int_equal(agent_new(&a, &o), 0);
    /* Stopped before it runs: returns at once. */
    assert_int_equal(agent_stop(a), 0);
    assert_int_equal(agent_run(a), 0);
    agent_free(a);
    assert_null(agent_free(NULL));
    assert_null(agent_event_type_to_string(_AGENT_EVENT_MAX));
    assert_string_equal(agent_event_type_to_string(AGENT_EVENT_ACTION_RESENT), "ACTION_RESENT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_agent_runs_action_and_exits_when_done),
            cmocka_unit_test(test_agent_survives_drops_without_running_twice),
            cmocka_unit_test(test_agent_unauthorized_backs_off),
            cmocka_unit_test(test_agent_stop_cancels_action_without_report),
            cmocka_unit_test(test_agent_finish_waits_for_ack),
            cmocka_unit_test(test_agent_finish_after_timeout_without_ack),
            cmocka_unit_test(test_agent_progress_is_rate_limited),
            cmocka_unit_test(test_agent_survives_bad_server_messages),
            cmocka_unit_test(test_agent_tls_verifies_with_ca_file),
            cmocka_unit_test(test_agent_tls_insecure_accepts_any_cert),
            cmocka_unit_test(test_agent_tls_refuses_untrusted_cert),
            cmocka_unit_test(test_agent_new_checks_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
