/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

#define ACTION(wf, task, id)                                                    \
    "{\"v\":1,\"type\":\"action\",\"workflowID\":\"" wf "\",\"taskID\":\"" task \
    "\",\"agentID\":\"m1\",\"actionID\":\"" id "\",\"name\":\"n-" id            \
    "\",\"image\":\"anvil/exec\","                                              \
    "\"timeout\":60}"
#define ACK_HELLO "{\"v\":1,\"type\":\"ack\",\"of\":\"hello\"}"
#define ACK_STATUS(id, st) \
    "{\"v\":1,\"type\":\"ack\",\"of\":\"status\",\"actionID\":\"" id "\",\"state\":\"" st "\"}"
#define ERROR_MSG(code) "{\"v\":1,\"type\":\"error\",\"code\":\"" code "\",\"message\":\"m\"}"

static struct agent_session *new_session(void)
{
    _cleanup_json_ json_t *attrs = json_pack("{s:{s:i}}", "cpu", "totalCores", 4);
    struct agent_session *s = NULL;

    assert_int_equal(agent_session_new(&s, &(struct agent_session_opts){.agent_id = "m1",
                                                                        .token = "tok.en",
                                                                        .agent_version = "test/1",
                                                                        .attributes = attrs}),
                     0);
    return s;
}

static struct agent_session_result feed(struct agent_session *s, const char *text)
{
    struct agent_session_result res;
    char *err = NULL;
    int r = agent_session_handle(s, text, strlen(text), &res, &err);

    if (r != 0)
        fail_msg("handle %s: %d %s", text, r, err ? err : "");
    return res;
}

/* The next queued message, decoded; NULL when the queue is empty. */
static struct agentproto_msg *next_out(struct agent_session *s)
{
    char *text = NULL;
    size_t len;
    struct agentproto_msg *m = NULL;

    if (!agent_session_next_out(s, &text, &len))
        return NULL;
    assert_int_equal(strlen(text), len);
    if (agentproto_decode(text, len, &m, NULL) != 0)
        fail_msg("queued text does not decode: %s", text);
    free(text);
    return m;
}

static void expect_status(struct agent_session *s,
                          const char *action_id,
                          enum agentproto_state st,
                          const char *message)
{
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *m = next_out(s);

    if (!m)
        fail_msg("no status queued (wanted %s %s)", action_id, agentproto_state_to_string(st));
    assert_int_equal(m->type, AGENTPROTO_STATUS);
    assert_string_equal(m->status.action_id, action_id);
    assert_string_equal(m->status.agent_id, "m1");
    if (m->status.state != st)
        fail_msg("state %s, want %s", agentproto_state_to_string(m->status.state),
                 agentproto_state_to_string(st));
    if (message)
        assert_string_equal(m->status.message, message);
    else
        assert_null(m->status.message);
}

static void expect_nothing(struct agent_session *s)
{
    struct agentproto_msg *m = next_out(s);
    if (m)
        fail_msg("unexpected message of type %s", agentproto_type_to_string(m->type));
}

/* Connects, checks hello and acks it. */
static void connect_ready(struct agent_session *s)
{
    struct agentproto_msg *hello;

    assert_int_equal(agent_session_connected(s), 0);
    hello = next_out(s);
    assert_non_null(hello);
    assert_int_equal(hello->type, AGENTPROTO_HELLO);
    assert_string_equal(hello->hello.agent_id, "m1");
    assert_string_equal(hello->hello.token, "tok.en");
    assert_string_equal(hello->hello.agent_version, "test/1");
    assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(hello->hello.attributes, "cpu"), "totalCores")),
                     4);
    agentproto_msg_free(hello);
    assert_false(agent_session_ready(s));
    assert_int_equal(feed(s, ACK_HELLO).kind, AGENT_SESSION_HELLO_ACKED);
    assert_true(agent_session_ready(s));
}

static const struct agentproto_time T0 = {.sec = 1700000000, .nsec = 0};

static void finish(struct agent_session *s, enum agentproto_state st, const char *msg, uint64_t *id)
{
    const struct agent_outcome o = {.state = st,
                                    .message = msg,
                                    .start = T0,
                                    .stop = {.sec = T0.sec + 62, .nsec = 500000000},
                                    .duration_ns = 62500000000LL};
    assert_int_equal(agent_session_action_finished(s, &o, id), 0);
}

static void test_session_action_lifecycle(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();
    struct agent_session_result res;
    uint64_t id = 0;

    (void)state;
    connect_ready(s);
    expect_nothing(s);
    res = feed(s, ACTION("ns/wf", "t1", "a1"));
    assert_int_equal(res.kind, AGENT_SESSION_START);
    assert_string_equal(agent_session_running(s)->action_id, "a1");
    assert_ptr_equal(&res.msg->action, agent_session_running(s));
    assert_int_equal(agent_session_action_started(s, &T0), 0);
    {
        _cleanup_(agentproto_msg_freep) struct agentproto_msg *m = next_out(s);
        assert_int_equal(m->status.state, AGENTPROTO_STATE_RUNNING);
        assert_string_equal(m->status.workflow_id, "ns/wf");
        assert_string_equal(m->status.task_id, "t1");
        assert_string_equal(m->status.action_name, "n-a1");
        assert_true(m->status.has_execution_start);
        assert_int_equal(m->status.execution_start.sec, T0.sec);
        assert_false(m->status.has_execution_stop);
    }
    assert_int_equal(feed(s, ACK_STATUS("a1", "RUNNING")).kind, AGENT_SESSION_STATUS_ACKED);
    assert_int_equal(agent_session_progress(s, "10%"), 0);
    expect_status(s, "a1", AGENTPROTO_STATE_RUNNING, "10%");
    finish(s, AGENTPROTO_STATE_SUCCESS, "done", &id);
    assert_null(agent_session_running(s));
    {
        _cleanup_(agentproto_msg_freep) struct agentproto_msg *m = next_out(s);
        assert_int_equal(m->status.state, AGENTPROTO_STATE_SUCCESS);
        assert_int_equal(m->status.execution_stop.sec, T0.sec + 62);
        assert_int_equal(m->status.execution_duration_ns, 62500000000LL);
        assert_string_equal(m->status.message, "done");
    }
    assert_false(agent_session_quiescent(s));
    /* Acks come in order: the progress report, then the final one. */
    res = feed(s, ACK_STATUS("a1", "RUNNING"));
    assert_int_equal(res.kind, AGENT_SESSION_STATUS_ACKED);
    assert_false(res.acked_final);
    res = feed(s, ACK_STATUS("a1", "SUCCESS"));
    assert_int_equal(res.kind, AGENT_SESSION_STATUS_ACKED);
    assert_true(res.acked_final);
    assert_int_equal(res.report_id, id);
    assert_true(agent_session_quiescent(s));
    /* An ack nobody waits for changes nothing. */
    assert_int_equal(feed(s, ACK_STATUS("a1", "SUCCESS")).kind, AGENT_SESSION_NONE);
    expect_nothing(s);
}

static void test_session_reports_wait_for_hello_ack(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();

    (void)state;
    /* An action may arrive before hello is acknowledged in a racy server. */
    assert_int_equal(agent_session_connected(s), 0);
    agentproto_msg_free(next_out(s));
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_START);
    assert_int_equal(agent_session_action_started(s, &T0), 0);
    expect_nothing(s);
    /* A status ack before the hello ack is not taken for the hello's. */
    assert_int_equal(feed(s, ACK_STATUS("a1", "RUNNING")).kind, AGENT_SESSION_NONE);
    assert_int_equal(feed(s, ACK_HELLO).kind, AGENT_SESSION_HELLO_ACKED);
    expect_status(s, "a1", AGENTPROTO_STATE_RUNNING, NULL);
    /* Without a connection nothing is queued, and a hello ack means nothing. */
    agent_session_disconnected(s);
    assert_int_equal(agent_session_progress(s, "p"), 0);
    expect_nothing(s);
    assert_int_equal(feed(s, ACK_HELLO).kind, AGENT_SESSION_NONE);
    assert_false(agent_session_ready(s));
}

/* The connection drops mid-action: the action keeps running; after the new
 * hello the unacknowledged RUNNING report goes out again (collapsed to the
 * newest progress), and a re-serve of the running action does not start it
 * twice. */
static void test_session_reconnect_mid_action(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();

    (void)state;
    connect_ready(s);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_START);
    assert_int_equal(agent_session_action_started(s, &T0), 0);
    expect_status(s, "a1", AGENTPROTO_STATE_RUNNING, NULL);
    agent_session_disconnected(s);
    assert_int_equal(agent_session_progress(s, "1"), 0);
    assert_int_equal(agent_session_progress(s, "2"), 0);
    assert_int_equal(agent_session_pending(s), 1);
    connect_ready(s);
    {
        _cleanup_(agentproto_msg_freep) struct agentproto_msg *m = next_out(s);
        assert_int_equal(m->status.state, AGENTPROTO_STATE_RUNNING);
        assert_string_equal(m->status.message, "2");
        assert_int_equal(m->status.execution_start.sec, T0.sec); /* still the start */
    }
    expect_nothing(s);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_RUNNING);
    assert_string_equal(agent_session_running(s)->action_id, "a1");
    expect_nothing(s);

    /* Acked once, then progress is sent and the line drops before its ack. */
    assert_int_equal(feed(s, ACK_STATUS("a1", "RUNNING")).kind, AGENT_SESSION_STATUS_ACKED);
    assert_int_equal(agent_session_progress(s, "3"), 0);
    expect_status(s, "a1", AGENTPROTO_STATE_RUNNING, "3");
    agent_session_disconnected(s);
    /* The action ends offline: RUNNING reports not delivered are moot. */
    finish(s, AGENTPROTO_STATE_FAILED, "exit 1", NULL);
    assert_int_equal(agent_session_pending(s), 1);
    expect_nothing(s);
    connect_ready(s);
    expect_status(s, "a1", AGENTPROTO_STATE_FAILED, "exit 1");
    expect_nothing(s);
}

static void test_session_reserve_after_finish_resends_final(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();
    struct agent_session_result res;
    char *first = NULL, *again = NULL;
    size_t len;

    (void)state;
    connect_ready(s);
    feed(s, ACTION("ns/wf", "t1", "a1"));
    finish(s, AGENTPROTO_STATE_SUCCESS, "ok", NULL);
    assert_true(agent_session_next_out(s, &first, &len));
    /* Re-served while the final status is still unacknowledged: it is
     * pending already, nothing new is queued. */
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_RESENT);
    expect_nothing(s);
    res = feed(s, ACK_STATUS("a1", "SUCCESS"));
    assert_true(res.acked_final);
    /* Re-served after the ack (a server that lost it): the same text again. */
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_RESENT);
    assert_null(agent_session_running(s));
    assert_true(agent_session_next_out(s, &again, &len));
    assert_string_equal(again, first);
    free(first);
    free(again);
    /* The same action ID in another task or workflow is another action. */
    assert_int_equal(feed(s, ACTION("ns/wf", "t2", "a1")).kind, AGENT_SESSION_START);
}

static void test_session_busy_and_hold(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();

    (void)state;
    connect_ready(s);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a1")).kind, AGENT_SESSION_START);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a2")).kind, AGENT_SESSION_BUSY);
    assert_string_equal(agent_session_running(s)->action_id, "a1");
    finish(s, AGENTPROTO_STATE_SUCCESS, NULL, NULL);
    agent_session_hold(s, true);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a2")).kind, AGENT_SESSION_BUSY);
    assert_null(agent_session_running(s));
    agent_session_hold(s, false);
    assert_int_equal(feed(s, ACTION("ns/wf", "t1", "a2")).kind, AGENT_SESSION_START);
    /* Only final states end an action; without one nothing runs. */
    assert_int_equal(agent_session_action_finished(
                             s, &(struct agent_outcome){.state = AGENTPROTO_STATE_RUNNING}, NULL),
                     -EINVAL);
    finish(s, AGENTPROTO_STATE_TIMEOUT, NULL, NULL);
    assert_int_equal(agent_session_action_started(s, &T0), -ESRCH);
    assert_int_equal(agent_session_progress(s, "x"), -ESRCH);
    assert_int_equal(agent_session_action_finished(
                             s, &(struct agent_outcome){.state = AGENTPROTO_STATE_SUCCESS}, NULL),
                     -ESRCH);
}

/* An error answers the oldest request; only not-found and bad-message give
 * up on a report for good. */
static void test_session_error_drops_only_permanent(void **state)
{
    static const struct {
        const char *msg;
        bool dropped;
    } cases[] = {
            {ERROR_MSG("not-found"), true},      {ERROR_MSG("bad-message"), true},
            {ERROR_MSG("internal"), false},      {ERROR_MSG("unauthorized"), false},
            {ERROR_MSG("some-new-code"), false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        _cleanup_(agent_session_freep) struct agent_session *s = new_session();
        struct agent_session_result res;
        uint64_t id;
        connect_ready(s);
        feed(s, ACTION("ns/wf", "t1", "a1"));
        finish(s, AGENTPROTO_STATE_FAILED, "boom", &id);
        agentproto_msg_free(next_out(s));
        res = feed(s, cases[i].msg);
        assert_int_equal(res.kind, AGENT_SESSION_SERVER_ERROR);
        if (res.dropped != cases[i].dropped)
            fail_msg("case %zu: dropped %d", i, res.dropped);
        if (res.dropped) {
            assert_int_equal(res.report_id, id);
            assert_int_equal(res.dropped_state, AGENTPROTO_STATE_FAILED);
        }
        assert_int_equal(agent_session_quiescent(s), cases[i].dropped);
    }
    /* An error to hello drops nothing. */
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();
    feed(s, ACTION("ns/wf", "t1", "a1"));
    finish(s, AGENTPROTO_STATE_FAILED, "boom", NULL);
    assert_int_equal(agent_session_connected(s), 0);
    struct agent_session_result res = feed(s, ERROR_MSG("not-found"));
    assert_false(res.dropped);
    assert_int_equal(agent_session_pending(s), 1);
}

static void test_session_refuses_bad_messages(void **state)
{
    static const struct {
        const char *text;
        int err;
        const char *msg_prefix;
    } cases[] = {
            {"not json", -EBADMSG, ""},
            {"{\"v\":2,\"type\":\"idle\",\"reason\":\"done\"}", -EPROTONOSUPPORT, "v: version 2"},
            {"{\"v\":1,\"type\":\"hello\",\"agentID\":\"x\"}", -EBADMSG,
             "type: not a message a server sends"},
            {"{\"v\":1,\"type\":\"status\",\"workflowID\":\"a/b\",\"taskID\":\"t\","
             "\"actionID\":\"x\",\"state\":\"RUNNING\"}",
             -EBADMSG, "type: not a message a server sends"},
            {"{\"v\":1,\"type\":\"nope\"}", -EBADMSG, "type: unknown message type"},
            {"{\"v\":1,\"type\":\"action\"}", -EBADMSG, "action."},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        _cleanup_(agent_session_freep) struct agent_session *s = new_session();
        struct agent_session_result res = {.kind = AGENT_SESSION_IDLE};
        char *err = NULL;
        connect_ready(s);
        int r = agent_session_handle(s, cases[i].text, strlen(cases[i].text), &res, &err);
        if (r != cases[i].err)
            fail_msg("case %zu: got %d want %d", i, r, cases[i].err);
        assert_non_null(err);
        if (strncmp(err, cases[i].msg_prefix, strlen(cases[i].msg_prefix)) != 0)
            fail_msg("case %zu: message %s", i, err);
        assert_int_equal(res.kind, AGENT_SESSION_IDLE); /* untouched */
        assert_null(agent_session_running(s));
        free(err);
    }
}

static void test_session_idle_and_new_checks(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();
    struct agent_session_result res;

    (void)state;
    res = feed(s, "{\"v\":1,\"type\":\"idle\",\"reason\":\"done\",\"retryAfterMs\":5000}");
    assert_int_equal(res.kind, AGENT_SESSION_IDLE);
    assert_string_equal(res.msg->idle.reason, "done");
    assert_int_equal(res.msg->idle.retry_after_ms, 5000);
    /* Hello must encode: an agent ID with a control character does not. */
    struct agent_session *bad = NULL;
    assert_int_equal(agent_session_new(&bad, &(struct agent_session_opts){.agent_id = "a\nb"}), 0);
    assert_int_equal(agent_session_connected(bad), -EINVAL);
    agent_session_free(bad);
    assert_int_equal(agent_session_new(&bad, &(struct agent_session_opts){.agent_id = NULL}),
                     -EINVAL);
}

/* A server that never acks: progress reports pile up to the cap, and a
 * final report still gets in, at the cost of the oldest progress. */
static void test_session_full_queue_keeps_final(void **state)
{
    _cleanup_(agent_session_freep) struct agent_session *s = new_session();
    char *text;
    size_t len;

    (void)state;
    connect_ready(s);
    feed(s, ACTION("ns/wf", "t1", "a1"));
    for (int i = 0; i < 3 * AGENT_REPORTS_MAX; i++) {
        char msg[16];
        snprintf(msg, sizeof(msg), "%d", i);
        assert_int_equal(agent_session_progress(s, msg), 0);
        while (agent_session_next_out(s, &text, &len))
            free(text);
        assert_true(agent_session_pending(s) <= AGENT_REPORTS_MAX);
    }
    finish(s, AGENTPROTO_STATE_SUCCESS, "final", NULL);
    /* All request slots are taken by unanswered progress: the final report
     * waits for answers... */
    expect_nothing(s);
    /* ...which free slots one by one, and it goes out. */
    int acks = 0;
    struct agentproto_msg *m = NULL;
    while (!m && acks < 3 * AGENT_REPORTS_MAX) {
        feed(s, ACK_STATUS("a1", "RUNNING"));
        acks++;
        m = next_out(s);
    }
    assert_non_null(m);
    assert_int_equal(m->status.state, AGENTPROTO_STATE_SUCCESS);
    assert_string_equal(m->status.message, "final");
    agentproto_msg_free(m);
    /* Once the remaining answers come, the final ack is recognised. */
    struct agent_session_result res;
    do {
        res = feed(s, ACK_STATUS("a1", "SUCCESS"));
    } while (!res.acked_final && ++acks < 4 * AGENT_REPORTS_MAX);
    assert_true(res.acked_final);
    assert_true(agent_session_quiescent(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_session_action_lifecycle),
            cmocka_unit_test(test_session_reports_wait_for_hello_ack),
            cmocka_unit_test(test_session_reconnect_mid_action),
            cmocka_unit_test(test_session_reserve_after_finish_resends_final),
            cmocka_unit_test(test_session_busy_and_hold),
            cmocka_unit_test(test_session_error_drops_only_permanent),
            cmocka_unit_test(test_session_refuses_bad_messages),
            cmocka_unit_test(test_session_idle_and_new_checks),
            cmocka_unit_test(test_session_full_queue_keeps_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
