/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's side of the protocol as a state machine without I/O: which
 * messages to send, which reports still need an ack, which action runs,
 * and what a received message means. docs/agent-protocol.md "Session".
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

/* A status waiting for its ack. */
struct report {
    uint64_t id;
    char *workflow_id, *task_id, *action_id;
    enum agentproto_state state;
    char *text;
    size_t len;
    bool sent; /* on the current connection */
};

/* A finished action, remembered so a re-serve re-sends its final status. */
struct finished {
    char *workflow_id, *task_id, *action_id;
    char *text;
    size_t len;
};

/* Something sent that the server answers with an ack or an error, in order. */
struct inflight {
    bool hello;
    uint64_t report_id;
};

struct outmsg {
    char *text;
    size_t len;
};

/* Requests in flight (each queued text is one). A report dropped while in
 * flight keeps its slot until the server answers it, so this is larger
 * than the report count; flush() waits when it is full. */
#define QUEUE_MAX (2 * AGENT_REPORTS_MAX)

struct agent_session {
    char *agent_id, *token, *agent_version;
    json_t *attributes;
    bool connected, ready;

    struct report reports[AGENT_REPORTS_MAX];
    size_t n_reports;
    uint64_t next_report_id;

    struct inflight inflight[QUEUE_MAX];
    size_t n_inflight;
    struct outmsg out[QUEUE_MAX];
    size_t n_out;

    bool held;                      /* do not start actions */
    struct agentproto_msg *running; /* the action message being run */
    struct agentproto_time running_start;
    struct agentproto_msg *last; /* backs the last result's strings */

    struct finished finished[AGENT_FINISHED_MAX];
    size_t n_finished, finished_next;
};

static void report_done(struct report *r)
{
    free(r->workflow_id);
    free(r->task_id);
    free(r->action_id);
    free(r->text);
    *r = (struct report){0};
}

static void finished_done(struct finished *f)
{
    free(f->workflow_id);
    free(f->task_id);
    free(f->action_id);
    free(f->text);
    *f = (struct finished){0};
}

static void clear_queues(struct agent_session *s)
{
    for (size_t i = 0; i < s->n_out; i++)
        free(s->out[i].text);
    s->n_out = 0;
    s->n_inflight = 0;
    for (size_t i = 0; i < s->n_reports; i++)
        s->reports[i].sent = false;
}

int agent_session_new(struct agent_session **ret, const struct agent_session_opts *o)
{
    struct agent_session *s;

    assert_return(ret && o && o->agent_id, -EINVAL);
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->agent_id = strdup(o->agent_id);
    s->token = o->token ? strdup(o->token) : NULL;
    s->agent_version = o->agent_version ? strdup(o->agent_version) : NULL;
    s->attributes = json_incref(o->attributes);
    s->next_report_id = 1;
    if (!s->agent_id || (o->token && !s->token) || (o->agent_version && !s->agent_version)) {
        agent_session_free(s);
        return -ENOMEM;
    }
    *ret = s;
    return 0;
}

struct agent_session *agent_session_free(struct agent_session *s)
{
    if (!s)
        return NULL;
    clear_queues(s);
    for (size_t i = 0; i < s->n_reports; i++)
        report_done(&s->reports[i]);
    for (size_t i = 0; i < s->n_finished; i++)
        finished_done(&s->finished[i]);
    agentproto_msg_free(s->running);
    agentproto_msg_free(s->last);
    json_decref(s->attributes);
    free(s->agent_id);
    free(s->token);
    free(s->agent_version);
    free(s);
    return NULL;
}

/* Queues text (taken) for sending and records what answers it. */
static void push_out(struct agent_session *s, char *text, size_t len, bool hello, uint64_t id)
{
    /* flush() and connected() keep both queues within QUEUE_MAX. */
    assert(s->n_out < QUEUE_MAX && s->n_inflight < QUEUE_MAX);
    s->out[s->n_out++] = (struct outmsg){text, len};
    s->inflight[s->n_inflight++] = (struct inflight){.hello = hello, .report_id = id};
}

/* Sends every report not sent yet on this connection, once hello is acked. */
static int flush(struct agent_session *s)
{
    if (!s->ready)
        return 0;
    for (size_t i = 0; i < s->n_reports && s->n_inflight < QUEUE_MAX && s->n_out < QUEUE_MAX; i++) {
        struct report *r = &s->reports[i];
        if (r->sent)
            continue;
        char *copy = malloc(r->len + 1);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, r->text, r->len + 1);
        push_out(s, copy, r->len, false, r->id);
        r->sent = true;
    }
    return 0;
}

int agent_session_connected(struct agent_session *s)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r;

    assert_return(s, -EINVAL);
    clear_queues(s);
    s->connected = true;
    s->ready = false;
    r = agentproto_encode(
            &(const struct agentproto_msg){.type = AGENTPROTO_HELLO,
                                           .hello =
                                                   {
                                                           .agent_id = s->agent_id,
                                                           .token = s->token,
                                                           .agent_version = s->agent_version,
                                                           .attributes = s->attributes,
                                                   }},
            &text, &len, NULL);
    if (r < 0)
        return r == -EMSGSIZE ? -EINVAL : r;
    push_out(s, TAKE_PTR(text), len, true, 0);
    return 0;
}

void agent_session_disconnected(struct agent_session *s)
{
    if (!s)
        return;
    clear_queues(s);
    s->connected = false;
    s->ready = false;
}

static struct report *find_report(struct agent_session *s, uint64_t id)
{
    for (size_t i = 0; i < s->n_reports; i++)
        if (s->reports[i].id == id)
            return &s->reports[i];
    return NULL;
}

static void remove_report(struct agent_session *s, struct report *r)
{
    size_t i = (size_t)(r - s->reports);
    report_done(r);
    memmove(&s->reports[i], &s->reports[i + 1], (s->n_reports - i - 1) * sizeof(*r));
    s->n_reports--;
}

static bool is_final(enum agentproto_state st)
{
    return st == AGENTPROTO_STATE_SUCCESS || st == AGENTPROTO_STATE_FAILED ||
           st == AGENTPROTO_STATE_TIMEOUT;
}

/* Makes room for one more report by dropping the oldest progress report,
 * preferably one not sent yet (a sent one's answer then matches nothing,
 * which is harmless). -ENOBUFS when only final reports are left. */
static int make_room(struct agent_session *s)
{
    if (s->n_reports < AGENT_REPORTS_MAX)
        return 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->n_reports; i++) {
            struct report *r = &s->reports[i];
            if (r->state == AGENTPROTO_STATE_RUNNING && (pass == 1 || !r->sent)) {
                remove_report(s, r);
                return 0;
            }
        }
    return -ENOBUFS;
}

static bool
same_action(const char *wf, const char *task, const char *action, const struct agentproto_action *a)
{
    return strcmp(wf, a->workflow_id) == 0 && strcmp(task, a->task_id) == 0 &&
           strcmp(action, a->action_id) == 0;
}

/* Adds a report (text taken) for action a and sends it when ready. */
static int add_report(struct agent_session *s,
                      const struct agentproto_action *a,
                      enum agentproto_state state,
                      char *text,
                      size_t len,
                      uint64_t *ret_id)
{
    _cleanup_free_ char *t = text;
    struct report rep = {.state = state, .len = len};
    int r = make_room(s);

    if (r < 0)
        return r;
    rep.workflow_id = strdup(a->workflow_id);
    rep.task_id = strdup(a->task_id);
    rep.action_id = strdup(a->action_id);
    if (!rep.workflow_id || !rep.task_id || !rep.action_id) {
        report_done(&rep);
        return -ENOMEM;
    }
    rep.id = s->next_report_id++;
    rep.text = TAKE_PTR(t);
    s->reports[s->n_reports++] = rep;
    if (ret_id)
        *ret_id = rep.id;
    return flush(s);
}

/* Encodes a status of action a. */
static int encode_status(const struct agent_session *s,
                         const struct agentproto_action *a,
                         const struct agent_outcome *o,
                         bool has_stop,
                         char **ret,
                         size_t *ret_len)
{
    const struct agentproto_msg m = {.type = AGENTPROTO_STATUS,
                                     .status = {
                                             .workflow_id = a->workflow_id,
                                             .agent_id = s->agent_id,
                                             .task_id = a->task_id,
                                             .action_id = a->action_id,
                                             .action_name = a->name,
                                             .state = o->state,
                                             .has_execution_start = true,
                                             .execution_start = o->start,
                                             .has_execution_stop = has_stop,
                                             .execution_stop = o->stop,
                                             .has_execution_duration = has_stop,
                                             .execution_duration_ns = o->duration_ns,
                                             .message = o->message,
                                     }};
    int r = agentproto_encode(&m, ret, ret_len, NULL);
    return r == -EMSGSIZE ? -EINVAL : r;
}

const struct agentproto_action *agent_session_running(const struct agent_session *s)
{
    return s && s->running ? &s->running->action : NULL;
}

int agent_session_action_started(struct agent_session *s, const struct agentproto_time *start)
{
    char *text = NULL;
    size_t len;
    int r;

    assert_return(s && start, -EINVAL);
    if (!s->running)
        return -ESRCH;
    s->running_start = *start;
    r = encode_status(s, &s->running->action,
                      &(struct agent_outcome){.state = AGENTPROTO_STATE_RUNNING, .start = *start},
                      false, &text, &len);
    if (r < 0)
        return r;
    return add_report(s, &s->running->action, AGENTPROTO_STATE_RUNNING, text, len, NULL);
}

int agent_session_progress(struct agent_session *s, const char *message)
{
    const struct agentproto_action *a;
    char *text = NULL;
    size_t len;
    int r;

    assert_return(s && message, -EINVAL);
    if (!s->running)
        return -ESRCH;
    a = &s->running->action;
    r = encode_status(s, a,
                      &(struct agent_outcome){.state = AGENTPROTO_STATE_RUNNING,
                                              .start = s->running_start,
                                              .message = message},
                      false, &text, &len);
    if (r < 0)
        return r;
    /* A progress report not sent yet is simply replaced by the newer one. */
    for (size_t i = 0; i < s->n_reports; i++) {
        struct report *rep = &s->reports[i];
        if (!rep->sent && rep->state == AGENTPROTO_STATE_RUNNING &&
            same_action(rep->workflow_id, rep->task_id, rep->action_id, a)) {
            free(rep->text);
            rep->text = text;
            rep->len = len;
            return 0;
        }
    }
    return add_report(s, a, AGENTPROTO_STATE_RUNNING, text, len, NULL);
}

/* Remembers the final status text of action a (copied) for re-serves. */
static int
remember(struct agent_session *s, const struct agentproto_action *a, const char *text, size_t len)
{
    struct finished f = {.len = len};

    f.workflow_id = strdup(a->workflow_id);
    f.task_id = strdup(a->task_id);
    f.action_id = strdup(a->action_id);
    f.text = malloc(len + 1);
    if (!f.workflow_id || !f.task_id || !f.action_id || !f.text) {
        finished_done(&f);
        return -ENOMEM;
    }
    memcpy(f.text, text, len + 1);
    if (s->n_finished < AGENT_FINISHED_MAX)
        s->finished[s->n_finished++] = f;
    else {
        finished_done(&s->finished[s->finished_next]);
        s->finished[s->finished_next] = f;
        s->finished_next = (s->finished_next + 1) % AGENT_FINISHED_MAX;
    }
    return 0;
}

int agent_session_action_finished(struct agent_session *s,
                                  const struct agent_outcome *o,
                                  uint64_t *ret_report_id)
{
    const struct agentproto_action *a;
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r;

    assert_return(s && o, -EINVAL);
    if (!s->running)
        return -ESRCH;
    if (!is_final(o->state))
        return -EINVAL;
    a = &s->running->action;
    r = encode_status(s, a, o, true, &text, &len);
    if (r < 0)
        return r;
    /* Progress not sent yet is moot now. */
    for (size_t i = 0; i < s->n_reports;) {
        struct report *rep = &s->reports[i];
        if (!rep->sent && rep->state == AGENTPROTO_STATE_RUNNING &&
            same_action(rep->workflow_id, rep->task_id, rep->action_id, a))
            remove_report(s, rep);
        else
            i++;
    }
    r = remember(s, a, text, len);
    if (r >= 0)
        r = add_report(s, a, o->state, TAKE_PTR(text), len, ret_report_id);
    s->running = agentproto_msg_free(s->running);
    return r;
}

/* The remembered final status of a, or NULL. */
static const struct finished *find_finished(const struct agent_session *s,
                                            const struct agentproto_action *a)
{
    for (size_t i = 0; i < s->n_finished; i++) {
        const struct finished *f = &s->finished[i];
        if (same_action(f->workflow_id, f->task_id, f->action_id, a))
            return f;
    }
    return NULL;
}

/* A finished action was re-served: its final status goes out again, unless
 * one is pending already. */
static int
resend_final(struct agent_session *s, const struct agentproto_action *a, const struct finished *f)
{
    for (size_t i = 0; i < s->n_reports; i++) {
        const struct report *rep = &s->reports[i];
        if (is_final(rep->state) && same_action(rep->workflow_id, rep->task_id, rep->action_id, a))
            return 0;
    }
    char *copy = malloc(f->len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, f->text, f->len + 1);
    /* The state is only bookkeeping: any final state will do. */
    return add_report(s, a, AGENTPROTO_STATE_SUCCESS, copy, f->len, NULL);
}

static int
on_action(struct agent_session *s, struct agentproto_msg **m, struct agent_session_result *res)
{
    const struct agentproto_action *a = &(*m)->action;
    const struct finished *f;

    if (s->running && same_action(s->running->action.workflow_id, s->running->action.task_id,
                                  s->running->action.action_id, a)) {
        res->kind = AGENT_SESSION_RUNNING;
        return 0;
    }
    f = find_finished(s, a);
    if (f) {
        res->kind = AGENT_SESSION_RESENT;
        return resend_final(s, a, f);
    }
    if (s->running || s->held) {
        res->kind = AGENT_SESSION_BUSY;
        return 0;
    }
    s->running = TAKE_PTR(*m);
    res->kind = AGENT_SESSION_START;
    res->msg = s->running;
    return 0;
}

static void pop_inflight(struct agent_session *s, struct inflight *ret)
{
    *ret = s->inflight[0];
    memmove(&s->inflight[0], &s->inflight[1], (s->n_inflight - 1) * sizeof(s->inflight[0]));
    s->n_inflight--;
}

static int
on_ack(struct agent_session *s, const struct agentproto_ack *ack, struct agent_session_result *res)
{
    struct inflight f;

    /* The server answers in order, so the ack is for the oldest request. */
    if (s->n_inflight == 0)
        return 0;
    if (strcmp(ack->of, "hello") == 0) {
        if (!s->inflight[0].hello)
            return 0;
        pop_inflight(s, &f);
        s->ready = true;
        res->kind = AGENT_SESSION_HELLO_ACKED;
        return flush(s);
    }
    if (s->inflight[0].hello)
        return 0;
    pop_inflight(s, &f);
    struct report *rep = find_report(s, f.report_id);
    if (rep) {
        res->kind = AGENT_SESSION_STATUS_ACKED;
        res->report_id = rep->id;
        res->acked_final = is_final(rep->state);
        remove_report(s, rep);
    }
    return flush(s); /* a request slot is free again */
}

/* Errors that say a report can never be accepted (upstream treats NotFound
 * and InvalidArgument on a report as permanent). */
static bool permanent(const char *code)
{
    return strcmp(code, AGENTPROTO_ERR_NOT_FOUND) == 0 ||
           strcmp(code, AGENTPROTO_ERR_BAD_MESSAGE) == 0;
}

static void on_error(struct agent_session *s,
                     const struct agentproto_error *e,
                     struct agent_session_result *res)
{
    struct inflight f;

    res->kind = AGENT_SESSION_SERVER_ERROR;
    if (s->n_inflight == 0)
        return;
    pop_inflight(s, &f);
    if (f.hello || !permanent(e->code))
        return;
    struct report *rep = find_report(s, f.report_id);
    if (!rep)
        return;
    res->dropped = true;
    res->report_id = rep->id;
    res->dropped_state = rep->state;
    remove_report(s, rep);
    /* No flush: the server closes the connection after an error. */
}

int agent_session_handle(struct agent_session *s,
                         const void *data,
                         size_t len,
                         struct agent_session_result *ret,
                         char **ret_error)
{
    struct agentproto_msg *m = NULL;
    struct agent_session_result res = {.kind = AGENT_SESSION_NONE};
    int r;

    assert_return(s && (data || len == 0) && ret, -EINVAL);
    s->last = agentproto_msg_free(s->last);
    r = agentproto_decode(data, len, &m, ret_error);
    if (r < 0)
        return r;
    res.msg = m;
    switch (m->type) {
    case AGENTPROTO_ACTION:
        r = on_action(s, &m, &res);
        break;
    case AGENTPROTO_ACK:
        r = on_ack(s, &m->ack, &res);
        break;
    case AGENTPROTO_IDLE:
        res.kind = AGENT_SESSION_IDLE;
        break;
    case AGENTPROTO_ERROR:
        on_error(s, &m->error, &res);
        break;
    default:
        agentproto_msg_free(m);
        if (ret_error) {
            *ret_error = strdup("type: not a message a server sends");
            if (!*ret_error)
                return -ENOMEM;
        }
        return -EBADMSG;
    }
    s->last = m; /* NULL when the action became the running one */
    if (r < 0)
        return r;
    *ret = res;
    return 0;
}

bool agent_session_next_out(struct agent_session *s, char **ret, size_t *ret_len)
{
    if (!s || s->n_out == 0)
        return false;
    *ret = s->out[0].text;
    *ret_len = s->out[0].len;
    memmove(&s->out[0], &s->out[1], (s->n_out - 1) * sizeof(s->out[0]));
    s->n_out--;
    return true;
}

bool agent_session_has_out(const struct agent_session *s)
{
    return s && s->n_out > 0;
}

void agent_session_hold(struct agent_session *s, bool hold)
{
    if (s)
        s->held = hold;
}

bool agent_session_ready(const struct agent_session *s)
{
    return s && s->ready;
}

bool agent_session_quiescent(const struct agent_session *s)
{
    return s && !s->running && s->n_reports == 0;
}

size_t agent_session_pending(const struct agent_session *s)
{
    return s ? s->n_reports : 0;
}
