/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway-fleet: N simulated agents in one process against the agent
 * gateway, for test/e2e/gateway-*.sh and bench/fleet. Each agent has a MAC
 * of its own (02:<prefix>:<index>), says hello with attributes in
 * Tinkerbell's shape, answers every action with RUNNING then SUCCESS (or
 * FAILED with --fail), and counts as done when the server says idle "done".
 * --stall reports RUNNING for the first action and stops there (an agent
 * killed mid-action). A dropped connection is retried with backoff, as anvil-worker does.
 *
 *   gateway-fleet --gateway HOST:PORT [--agents N] [--prefix HEX2] [--first I]
 *                 [--key-file F] [--token T] [--id ID] [--timeout S]
 *                 [--expect-error CODE] [--until idle-REASON|done|connected]
 *                 [--concurrency N] [--disks N] [--fail] [--stall] [--env KEY]
 *                 [--tls]  (wss://, any certificate accepted)
 *
 * Exit 0 when every agent reached --until (default done) or, with
 * --expect-error, when every agent got that error code; 1 otherwise (after
 * --timeout seconds, default 120). The last line on stdout is a JSON summary:
 * {"agents":N,"done":N,"actions":N,"errors":{"code":N},"idle":{"reason":N},
 *  "env":{KEY: the last value of --env KEY an action carried},
 *  "connects":N,"seconds":S}
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "agentproto/agentproto.h"
#include "base/json-cleanup.h"
#include "base/macro.h"

struct agent {
    unsigned index;
    char id[AGENTPROTO_ID_MAX + 1];
    char *token;
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    unsigned backoff_ms;
    json_t *outq; /* texts to send */
    bool done;
    bool failed;
    bool waiting;  /* on F.waiting, for a connection slot */
    bool reserved; /* a slot is held for its next connect_agent() */
};

static struct {
    const char *host;
    int port;
    unsigned n;
    unsigned first;
    unsigned prefix;
    unsigned disks;
    const char *expect_error;
    const char *until;
    bool fail;
    bool stall;
    bool tls;
    unsigned concurrency;
    struct lws_context *ctx;
    struct agent *agents;
    unsigned done, connecting;
    /* Agents waiting for a connection slot (--concurrency), first come first
     * served: a FIFO ring of indexes instead of each agent polling with a
     * timer (lws keeps timers in one sorted list: thousands of agents
     * re-arming every few ms would cost O(agents) per insertion). */
    unsigned *waiting;
    unsigned wait_head, wait_n;
    unsigned long actions, connects;
    json_t *errors, *idles, *env;
    const char *env_key;
    bool finished;
} F;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count(json_t *o, const char *k)
{
    json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
}

static void mark_done(struct agent *a)
{
    if (a->done)
        return;
    a->done = true;
    if (++F.done == F.n)
        F.finished = true;
}

static void queue_msg(struct agent *a, const struct agentproto_msg *m)
{
    char *text = NULL;
    if (agentproto_encode(m, &text, NULL, NULL) < 0)
        return;
    json_array_append_new(a->outq, json_string(text));
    free(text);
    if (a->wsi)
        lws_callback_on_writable(a->wsi);
}

static void send_hello(struct agent *a)
{
    const char *mac = a->id;
    _cleanup_json_ json_t *attrs =
            json_pack("{s:{s:i,s:i},s:{s:I},s:[{s:s,s:s,s:s}],s:{s:s,s:s},s:{s:s,s:s}}", "cpu",
                      "totalCores", 4, "totalThreads", 8, "memory", "total",
                      (json_int_t)8 << 30, "networkInterfaces", "name", "eth0", "mac", mac,
                      "speed", "1000", "product", "vendor", "anvil", "name", "fleet-sim",
                      "chassis", "vendor", "anvil", "serial", a->id);
    json_t *disks = json_array();
    for (unsigned i = 0; i < F.disks; i++) {
        char name[16];
        snprintf(name, sizeof(name), "vd%c", 'a' + (char)(i % 26));
        json_array_append_new(disks, json_pack("{s:s,s:s}", "name", name, "size", "10G"));
    }
    json_object_set_new(attrs, "blockDevices", disks);
    struct agentproto_msg m = {.type = AGENTPROTO_HELLO,
                               .hello = {.agent_id = a->id,
                                         .token = a->token,
                                         .agent_version = "gateway-fleet/1",
                                         .attributes = attrs}};
    queue_msg(a, &m);
}

static void on_action(struct agent *a, const struct agentproto_action *act)
{
    struct agentproto_time t = {.sec = (int64_t)time(NULL)};
    F.actions++;
    for (size_t i = 0; F.env_key && i < act->environment.n; i++) {
        const char *kv = act->environment.v[i];
        size_t kl = strlen(F.env_key);
        if (strncmp(kv, F.env_key, kl) == 0 && kv[kl] == '=')
            json_object_set_new(F.env, F.env_key, json_string(kv + kl + 1));
    }
    struct agentproto_msg m = {.type = AGENTPROTO_STATUS,
                               .status = {.workflow_id = act->workflow_id,
                                          .task_id = act->task_id,
                                          .action_id = act->action_id,
                                          .action_name = act->name,
                                          .state = AGENTPROTO_STATE_RUNNING,
                                          .has_execution_start = true,
                                          .execution_start = t}};
    queue_msg(a, &m);
    if (F.stall) { /* leave the action RUNNING, as a killed agent does */
        mark_done(a);
        return;
    }
    m.status.state = F.fail ? AGENTPROTO_STATE_FAILED : AGENTPROTO_STATE_SUCCESS;
    m.status.has_execution_stop = true;
    m.status.execution_stop = t;
    m.status.has_execution_duration = true;
    m.status.execution_duration_ns = 1000000;
    m.status.message = F.fail ? "simulated failure" : "simulated success";
    queue_msg(a, &m);
}

static void connect_agent(lws_sorted_usec_list_t *sul);

static void wait_for_slot(struct agent *a)
{
    if (a->waiting)
        return;
    a->waiting = true;
    F.waiting[(F.wait_head + F.wait_n++) % F.n] = (unsigned)(a - F.agents);
}

/* A connection attempt ended: give its slot to the next waiting agent. */
static void slot_freed(void)
{
    F.connecting--;
    while (F.wait_n > 0 && F.connecting < F.concurrency) {
        struct agent *a = &F.agents[F.waiting[F.wait_head]];
        F.wait_head = (F.wait_head + 1) % F.n;
        F.wait_n--;
        a->waiting = false;
        if (a->done || a->wsi)
            continue;
        F.connecting++; /* reserved until connect_agent runs */
        a->reserved = true;
        lws_sul_schedule(F.ctx, 0, &a->sul, connect_agent, 1);
    }
}

static void retry_later(struct agent *a)
{
    a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : 250;
    if (a->backoff_ms > 5000)
        a->backoff_ms = 5000;
    unsigned jitter = (unsigned)rand() % (a->backoff_ms / 2 + 1);
    lws_sul_schedule(F.ctx, 0, &a->sul, connect_agent,
                     (lws_usec_t)(a->backoff_ms + jitter) * LWS_US_PER_MS);
}

static void on_message(struct agent *a, const char *text, size_t len)
{
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *m = NULL;
    if (agentproto_decode(text, len, &m, NULL) < 0) {
        count(F.errors, "undecodable");
        return;
    }
    switch (m->type) {
    case AGENTPROTO_ACTION:
        on_action(a, &m->action);
        break;
    case AGENTPROTO_IDLE:
        count(F.idles, m->idle.reason);
        if (strncmp(F.until, "idle-", 5) == 0 && strcmp(F.until + 5, m->idle.reason) == 0)
            mark_done(a);
        else if (strcmp(F.until, "done") == 0 && strcmp(m->idle.reason, "done") == 0)
            mark_done(a);
        break;
    case AGENTPROTO_ACK:
        if (strcmp(m->ack.of, "hello") == 0) {
            a->backoff_ms = 0;
            if (strcmp(F.until, "connected") == 0)
                mark_done(a);
        }
        break;
    case AGENTPROTO_ERROR:
        count(F.errors, m->error.code);
        fprintf(stderr, "agent %s: error %s: %s\n", a->id, m->error.code,
                m->error.message ? m->error.message : "");
        if (F.expect_error && strcmp(F.expect_error, m->error.code) == 0)
            mark_done(a);
        break;
    default:
        break;
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct agent *a = user;
    static char rx[AGENTPROTO_MSG_MAX];
    static size_t rxlen;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        slot_freed();
        F.connects++;
        send_hello(a);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        slot_freed();
        a->wsi = NULL;
        if (!a->done)
            retry_later(a);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (lws_is_first_fragment(wsi))
            rxlen = 0;
        if (rxlen + len <= sizeof(rx)) {
            memcpy(rx + rxlen, in, len);
            rxlen += len;
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            on_message(a, rx, rxlen);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (json_array_size(a->outq) == 0)
            break;
        const char *t = json_string_value(json_array_get(a->outq, 0));
        size_t n = strlen(t);
        unsigned char *buf = malloc(LWS_PRE + n);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, t, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        free(buf);
        json_array_remove(a->outq, 0);
        if (w < 0)
            return -1;
        if (json_array_size(a->outq) > 0)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        a->wsi = NULL;
        json_array_clear(a->outq);
        if (!a->done)
            retry_later(a);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
        {"anvil-agent", callback, 0, 4096, 0, NULL, 0}, /* messages span frames: rx */
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void connect_agent(lws_sorted_usec_list_t *sul)
{
    struct agent *a = lws_container_of(sul, struct agent, sul);
    /* No lws validity timer per connection (hang-up 0): the server pings,
     * lws answers, and the fleet's timers stay few. */
    static const lws_retry_bo_t no_validity = {0};
    bool reserved = a->reserved;
    a->reserved = false;
    if (a->done || a->wsi) {
        if (reserved)
            slot_freed();
        return;
    }
    if (!reserved) {
        if (F.connecting >= F.concurrency) {
            wait_for_slot(a);
            return;
        }
        F.connecting++;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = F.ctx;
    ci.address = F.host;
    ci.port = F.port;
    ci.path = "/v1/agent";
    ci.host = F.host;
    ci.origin = F.host;
    ci.local_protocol_name = "anvil-agent";
    ci.userdata = a;
    ci.pwsi = &a->wsi;
    ci.retry_and_idle_policy = &no_validity;
    if (F.tls)
        ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                            LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    if (!lws_client_connect_via_info(&ci)) {
        a->wsi = NULL;
        slot_freed();
        retry_later(a);
    }
}

/* Wakes the loop every 50 ms so the deadline and the final flush are seen. */
static lws_sorted_usec_list_t tick_sul;
static void tick(lws_sorted_usec_list_t *sul)
{
    lws_sul_schedule(F.ctx, 0, sul, tick, 50 * LWS_US_PER_MS);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
            {"gateway", required_argument, NULL, 'g'},  {"agents", required_argument, NULL, 'n'},
            {"prefix", required_argument, NULL, 'p'},   {"first", required_argument, NULL, 'f'},
            {"key-file", required_argument, NULL, 'k'}, {"token", required_argument, NULL, 't'},
            {"id", required_argument, NULL, 'i'},       {"timeout", required_argument, NULL, 'T'},
            {"expect-error", required_argument, NULL, 'e'},
            {"until", required_argument, NULL, 'u'},
            {"concurrency", required_argument, NULL, 'c'},
            {"disks", required_argument, NULL, 'd'},   {"fail", no_argument, NULL, 'F'},
            {"stall", no_argument, NULL, 'S'},
            {"env", required_argument, NULL, 'E'},
            {"tls", no_argument, NULL, 'L'},
            {NULL, 0, NULL, 0},
    };
    const char *gateway = NULL, *key_file = NULL, *token = NULL, *id = NULL;
    double timeout = 120;
    int c;
    F.n = 1;
    F.until = "done";
    F.concurrency = 256;
    F.disks = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'g': gateway = optarg; break;
        case 'n': F.n = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'p': F.prefix = (unsigned)strtoul(optarg, NULL, 16); break;
        case 'f': F.first = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'k': key_file = optarg; break;
        case 't': token = optarg; break;
        case 'i': id = optarg; break;
        case 'T': timeout = strtod(optarg, NULL); break;
        case 'e': F.expect_error = optarg; break;
        case 'u': F.until = optarg; break;
        case 'c': F.concurrency = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'd': F.disks = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'F': F.fail = true; break;
        case 'S': F.stall = true; break;
        case 'E': F.env_key = optarg; break;
        case 'L': F.tls = true; break;
        default:
            fprintf(stderr, "gateway-fleet: bad arguments (see the comment at the top)\n");
            return 2;
        }
    }
    const char *colon = gateway ? strrchr(gateway, ':') : NULL;
    if (!colon || F.n == 0 || F.concurrency == 0) {
        fprintf(stderr, "gateway-fleet: --gateway HOST:PORT is required\n");
        return 2;
    }
    F.host = strndup(gateway, (size_t)(colon - gateway));
    F.port = atoi(colon + 1);
    unsigned char *key = NULL;
    size_t keylen = 0;
    if (key_file && agentproto_key_read_file(key_file, &key, &keylen) < 0) {
        fprintf(stderr, "gateway-fleet: cannot read %s\n", key_file);
        return 2;
    }
    F.errors = json_object();
    F.idles = json_object();
    F.env = json_object();
    F.agents = calloc(F.n, sizeof(*F.agents));
    F.waiting = calloc(F.n, sizeof(*F.waiting));
    if (!F.agents || !F.waiting) {
        fprintf(stderr, "gateway-fleet: out of memory\n");
        return 2;
    }
    for (unsigned i = 0; i < F.n; i++) {
        struct agent *a = &F.agents[i];
        unsigned k = F.first + i;
        a->index = k;
        if (id)
            snprintf(a->id, sizeof(a->id), "%s", id);
        else
            snprintf(a->id, sizeof(a->id), "02:%02x:%02x:%02x:%02x:%02x", F.prefix & 0xff,
                     (k >> 24) & 0xff, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff);
        a->outq = json_array();
        if (token)
            a->token = strdup(token);
        else if (key)
            (void)agentproto_token_mint(key, keylen, a->id, (int64_t)time(NULL) + 3600,
                                        &a->token);
    }
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.fd_limit_per_thread = F.n + 64;
    if (F.tls)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    F.ctx = lws_create_context(&info);
    if (!F.ctx) {
        fprintf(stderr, "gateway-fleet: cannot create the client context\n");
        return 1;
    }
    double start = now_s();
    tick(&tick_sul);
    /* Every agent waits for a slot; the first --concurrency get one now. */
    for (unsigned i = 0; i < F.n; i++)
        wait_for_slot(&F.agents[i]);
    F.connecting++;
    slot_freed();
    while (!F.finished && now_s() - start < timeout)
        if (lws_service(F.ctx, 0) < 0)
            break;
    double secs = now_s() - start;
    for (double end = now_s() + 0.3; now_s() < end;) /* flush what is queued */
        if (lws_service(F.ctx, 50) < 0)
            break;
    _cleanup_json_ json_t *sum = json_pack(
            "{s:i,s:i,s:I,s:O,s:O,s:O,s:I,s:f}", "agents", (json_int_t)F.n, "done",
            (json_int_t)F.done, "actions", (json_int_t)F.actions, "errors", F.errors, "env", F.env, "idle",
            F.idles, "connects", (json_int_t)F.connects, "seconds", secs);
    char *text = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
    printf("%s\n", text);
    free(text);
    lws_context_destroy(F.ctx);
    for (unsigned i = 0; i < F.n; i++) {
        json_decref(F.agents[i].outq);
        free(F.agents[i].token);
    }
    free(F.agents);
    json_decref(F.errors);
    json_decref(F.idles);
    json_decref(F.env);
    free((char *)F.host);
    free(key);
    return F.done == F.n ? 0 : 1;
}
