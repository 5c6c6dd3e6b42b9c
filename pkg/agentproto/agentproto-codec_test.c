/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agentproto/agentproto-internal.h"
#include "base/json-cleanup.h"
#include "buf/buf.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);

    if (!v)
        fail_msg("bad test JSON: %s: %s", err.text, text);
    return v;
}

/* Encodes m, checks the exact text, decodes it and returns the result. */
static struct agentproto_msg *round_trip(const struct agentproto_msg *m, const char *want_text)
{
    _cleanup_free_ char *text = NULL, *again = NULL, *err = NULL;
    struct agentproto_msg *d = NULL;
    size_t len = 0;
    int r;

    r = agentproto_encode(m, &text, &len, &err);
    if (r != 0)
        fail_msg("encode: %d %s", r, err ? err : "");
    if (strcmp(text, want_text) != 0)
        fail_msg("encoded\n got: %s\nwant: %s", text, want_text);
    assert_int_equal(len, strlen(text));
    r = agentproto_decode(text, len, &d, &err);
    if (r != 0)
        fail_msg("decode: %d %s", r, err ? err : "");
    assert_int_equal(d->type, m->type);
    /* Encoding what was decoded gives the same text. */
    assert_int_equal(agentproto_encode(d, &again, NULL, NULL), 0);
    assert_string_equal(again, text);
    return d;
}

static void test_codec_hello_round_trip(void **state)
{
    _cleanup_json_ json_t *attrs = J("{\"cpu\":{\"totalCores\":4},\"networkInterfaces\":[]}");
    const struct agentproto_msg m = {
            .type = AGENTPROTO_HELLO,
            .hello = {.agent_id = "52:54:00:12:34:56",
                      .token = "abc.def",
                      .agent_version = "anvil-worker/0.1",
                      .attributes = attrs},
    };
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL, *min = NULL;

    (void)state;
    d = round_trip(&m, "{\"v\":1,\"type\":\"hello\",\"agentID\":\"52:54:00:12:34:56\","
                       "\"token\":\"abc.def\",\"agentVersion\":\"anvil-worker/0.1\","
                       "\"attributes\":{\"cpu\":{\"totalCores\":4},\"networkInterfaces\":[]}}");
    assert_string_equal(d->hello.agent_id, "52:54:00:12:34:56");
    assert_string_equal(d->hello.token, "abc.def");
    assert_string_equal(d->hello.agent_version, "anvil-worker/0.1");
    assert_true(json_equal((json_t *)d->hello.attributes, attrs));
    min = round_trip(&(struct agentproto_msg){.type = AGENTPROTO_HELLO, .hello.agent_id = "a"},
                     "{\"v\":1,\"type\":\"hello\",\"agentID\":\"a\"}");
    assert_null(min->hello.token);
    assert_null(min->hello.agent_version);
    assert_null(min->hello.attributes);
}

static void test_codec_status_round_trip(void **state)
{
    const struct agentproto_msg m = {
            .type = AGENTPROTO_STATUS,
            .status = {.workflow_id = "default/wf-1.a",
                       .agent_id = "a1",
                       .task_id = "01HXTASK",
                       .action_id = "01HXACTION",
                       .action_name = "stream image",
                       .state = AGENTPROTO_STATE_SUCCESS,
                       .has_execution_start = true,
                       .execution_start = {1700000000, 0},
                       .has_execution_stop = true,
                       .execution_stop = {1700000062, 500000000},
                       .has_execution_duration = true,
                       .execution_duration_ns = 62500000000LL,
                       .message = "done\n\tok \xe2\x9c\x93"},
    };
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL, *min = NULL;

    (void)state;
    d = round_trip(&m,
                   "{\"v\":1,\"type\":\"status\",\"workflowID\":\"default/wf-1.a\","
                   "\"agentID\":\"a1\",\"taskID\":\"01HXTASK\",\"actionID\":\"01HXACTION\","
                   "\"actionName\":\"stream image\",\"state\":\"SUCCESS\","
                   "\"executionStart\":\"2023-11-14T22:13:20Z\","
                   "\"executionStop\":\"2023-11-14T22:14:22.5Z\","
                   "\"executionDuration\":\"1m2.5s\",\"message\":\"done\\n\\tok \xe2\x9c\x93\"}");
    assert_string_equal(d->status.workflow_id, "default/wf-1.a");
    assert_string_equal(d->status.task_id, "01HXTASK");
    assert_string_equal(d->status.action_id, "01HXACTION");
    assert_string_equal(d->status.action_name, "stream image");
    assert_int_equal(d->status.state, AGENTPROTO_STATE_SUCCESS);
    assert_true(d->status.has_execution_start);
    assert_int_equal(d->status.execution_start.sec, 1700000000);
    assert_true(d->status.has_execution_stop);
    assert_int_equal(d->status.execution_stop.sec, 1700000062);
    assert_int_equal(d->status.execution_stop.nsec, 500000000);
    assert_true(d->status.has_execution_duration);
    assert_int_equal(d->status.execution_duration_ns, 62500000000LL);
    assert_string_equal(d->status.message, "done\n\tok \xe2\x9c\x93");
    min = round_trip(&(struct agentproto_msg){.type = AGENTPROTO_STATUS,
                                              .status = {.workflow_id = "ns/wf",
                                                         .task_id = "t",
                                                         .action_id = "x",
                                                         .state = AGENTPROTO_STATE_RUNNING}},
                     "{\"v\":1,\"type\":\"status\",\"workflowID\":\"ns/wf\",\"taskID\":\"t\","
                     "\"actionID\":\"x\",\"state\":\"RUNNING\"}");
    assert_false(min->status.has_execution_start);
    assert_false(min->status.has_execution_stop);
    assert_false(min->status.has_execution_duration);
    assert_null(min->status.message);
    assert_null(min->status.agent_id);
}

static void test_codec_action_round_trip(void **state)
{
    static const char *const command[] = {"/bin/sh", "-c", "echo \"hi\""};
    static const char *const volumes[] = {"/dev:/dev", "/tmp:/tmp:ro"};
    static const char *const env[] = {"Z=1", "A=2", "M=x=y", "B="};
    const struct agentproto_msg m = {
            .type = AGENTPROTO_ACTION,
            .action = {.workflow_id = "tink/wf",
                       .task_id = "t",
                       .agent_id = "a",
                       .action_id = "x",
                       .name = "stream",
                       .image = "quay.io/tinkerbell/actions/image2disk:latest",
                       .timeout = 600,
                       .command = {command, ARRAY_SIZE(command)},
                       .volumes = {volumes, ARRAY_SIZE(volumes)},
                       .environment = {env, ARRAY_SIZE(env)},
                       .namespace_network = "host",
                       .namespace_pid = "host",
                       .pid = "host"},
    };
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL, *min = NULL;

    (void)state;
    d = round_trip(&m, "{\"v\":1,\"type\":\"action\",\"workflowID\":\"tink/wf\",\"taskID\":\"t\","
                       "\"agentID\":\"a\",\"actionID\":\"x\",\"name\":\"stream\","
                       "\"image\":\"quay.io/tinkerbell/actions/image2disk:latest\","
                       "\"timeout\":600,\"command\":[\"/bin/sh\",\"-c\",\"echo \\\"hi\\\"\"],"
                       "\"volumes\":[\"/dev:/dev\",\"/tmp:/tmp:ro\"],"
                       "\"environment\":[\"A=2\",\"B=\",\"M=x=y\",\"Z=1\"],"
                       "\"namespaces\":{\"network\":\"host\",\"pid\":\"host\"},\"pid\":\"host\"}");
    assert_string_equal(d->action.image, "quay.io/tinkerbell/actions/image2disk:latest");
    assert_int_equal(d->action.timeout, 600);
    assert_int_equal(d->action.command.n, 3);
    assert_string_equal(d->action.command.v[2], "echo \"hi\"");
    assert_int_equal(d->action.volumes.n, 2);
    assert_string_equal(d->action.volumes.v[1], "/tmp:/tmp:ro");
    assert_int_equal(d->action.environment.n, 4);
    assert_string_equal(d->action.environment.v[0], "A=2");
    assert_string_equal(d->action.environment.v[3], "Z=1");
    assert_string_equal(d->action.namespace_network, "host");
    assert_string_equal(d->action.namespace_pid, "host");
    assert_string_equal(d->action.pid, "host");
    min = round_trip(&(struct agentproto_msg){.type = AGENTPROTO_ACTION,
                                              .action = {.workflow_id = "a/b",
                                                         .task_id = "t",
                                                         .agent_id = "a",
                                                         .action_id = "x",
                                                         .name = "n",
                                                         .image = "i"}},
                     "{\"v\":1,\"type\":\"action\",\"workflowID\":\"a/"
                     "b\",\"taskID\":\"t\",\"agentID\":\"a\","
                     "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\",\"timeout\":0}");
    assert_int_equal(min->action.command.n, 0);
    assert_null(min->action.command.v);
    assert_null(min->action.namespace_pid);
}

static void test_codec_idle_error_ack_round_trip(void **state)
{
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *idle = NULL, *idle0 = NULL;
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *err = NULL, *ack = NULL, *ack0 = NULL;

    (void)state;
    idle = round_trip(
            &(struct agentproto_msg){.type = AGENTPROTO_IDLE,
                                     .idle = {AGENTPROTO_IDLE_NO_WORKFLOW, 5000}},
            "{\"v\":1,\"type\":\"idle\",\"reason\":\"no-workflow\",\"retryAfterMs\":5000}");
    assert_string_equal(idle->idle.reason, "no-workflow");
    assert_int_equal(idle->idle.retry_after_ms, 5000);
    idle0 = round_trip(
            &(struct agentproto_msg){.type = AGENTPROTO_IDLE, .idle.reason = "future-reason-2"},
            "{\"v\":1,\"type\":\"idle\",\"reason\":\"future-reason-2\"}");
    assert_int_equal(idle0->idle.retry_after_ms, 0);
    err = round_trip(
            &(struct agentproto_msg){.type = AGENTPROTO_ERROR,
                                     .error = {AGENTPROTO_ERR_UNAUTHORIZED, "bad token"}},
            "{\"v\":1,\"type\":\"error\",\"code\":\"unauthorized\",\"message\":\"bad token\"}");
    assert_string_equal(err->error.code, "unauthorized");
    assert_string_equal(err->error.message, "bad token");
    ack = round_trip(&(struct agentproto_msg){.type = AGENTPROTO_ACK,
                                              .ack = {"status", "x", AGENTPROTO_STATE_TIMEOUT}},
                     "{\"v\":1,\"type\":\"ack\",\"of\":\"status\",\"actionID\":\"x\",\"state\":"
                     "\"TIMEOUT\"}");
    assert_string_equal(ack->ack.of, "status");
    assert_string_equal(ack->ack.action_id, "x");
    assert_int_equal(ack->ack.state, AGENTPROTO_STATE_TIMEOUT);
    ack0 = round_trip(&(struct agentproto_msg){.type = AGENTPROTO_ACK, .ack.of = "hello"},
                      "{\"v\":1,\"type\":\"ack\",\"of\":\"hello\"}");
    assert_int_equal(ack0->ack.state, AGENTPROTO_STATE_UNSET);
    assert_null(ack0->ack.action_id);
}

static void test_codec_decode_ignores_unknown_fields_and_nulls(void **state)
{
    static const char text[] = "{\"type\":\"ack\",\"future\":{\"x\":[1]},\"of\":\"hello\","
                               "\"actionID\":null,\"state\":null,\"v\":1}";
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL;

    (void)state;
    assert_int_equal(agentproto_decode(text, strlen(text), &d, NULL), 0);
    assert_int_equal(d->type, AGENTPROTO_ACK);
    assert_string_equal(d->ack.of, "hello");
    assert_null(d->ack.action_id);
    assert_int_equal(d->ack.state, AGENTPROTO_STATE_UNSET);
    assert_null(agentproto_msg_free(NULL));
}

struct decode_case {
    const char *text;
    int want_r;
    const char *want; /* exact message, or an fnmatch() pattern when it ends in '*' */
};

static void check_decode_error(const char *text, size_t len, int want_r, const char *want)
{
    struct agentproto_msg *d = NULL;
    char *err = NULL;
    size_t wl = strlen(want);
    int r = agentproto_decode(text, len, &d, &err);

    if (r != want_r)
        fail_msg("%.120s: got %d (%s) want %d", text, r, err ? err : "", want_r);
    assert_null(d);
    assert_non_null(err);
    if (want[wl - 1] == '*' ? fnmatch(want, err, 0) != 0 : strcmp(err, want) != 0)
        fail_msg("%.120s:\n got: %s\nwant: %s", text, err, want);
    free(err);
    /* The same failure without a message buffer. */
    assert_int_equal(agentproto_decode(text, len, &d, NULL), want_r);
}

#define HDR(t)    "{\"v\":1,\"type\":\"" t "\","
#define STATUS_OK "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"actionID\":\"x\""
#define ACTION_OK                                                                     \
    "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\",\"actionID\":\"x\"," \
    "\"name\":\"n\",\"image\":\"i\",\"timeout\":1"

static void test_codec_decode_rejects_malformed(void **state)
{
    static const struct decode_case cases[] = {
            {"", -EBADMSG, "message: invalid JSON at line 1*"},
            {"{\"v\":1,", -EBADMSG, "message: invalid JSON*"},
            {"{\"v\":1} {}", -EBADMSG, "message: invalid JSON*"},
            {"[1]", -EBADMSG, "message: must be a JSON object"},
            {"\"hello\"", -EBADMSG, "message: invalid JSON*"},
            {"{\"v\":1,\"v\":1,\"type\":\"ack\",\"of\":\"hello\"}", -EBADMSG,
             "message: invalid JSON*duplicate*"},
            {"{\"v\":1,\"type\":\"hello\",\"agentID\":\"a\\u0000b\"}", -EBADMSG,
             "message: invalid JSON*"},
            {"{\"v\":1,\"type\":\"hello\",\"agentID\":\"\xc3\x28\"}", -EBADMSG,
             "message: invalid JSON*"},
            {"{}", -EBADMSG, "v: required"},
            {"{\"v\":\"1\"}", -EBADMSG, "v: must be an integer"},
            {"{\"v\":1.0}", -EBADMSG, "v: must be an integer"},
            {"{\"v\":2,\"type\":\"hello\"}", -EPROTONOSUPPORT,
             "v: version 2 is not supported (this side speaks 1)"},
            {"{\"v\":0}", -EPROTONOSUPPORT, "v: version 0 is not supported (this side speaks 1)"},
            {"{\"v\":1}", -EBADMSG, "type: required"},
            {"{\"v\":1,\"type\":5}", -EBADMSG, "type: must be a string"},
            {"{\"v\":1,\"type\":\"bogus\"}", -EBADMSG, "type: unknown message type \"bogus\""},
            {"{\"v\":1,\"type\":\"HELLO\"}", -EBADMSG, "type: unknown message type \"HELLO\""},
            /* hello */
            {"{\"v\":1,\"type\":\"hello\"}", -EBADMSG, "hello.agentID: required"},
            {HDR("hello") "\"agentID\":null}", -EBADMSG, "hello.agentID: required"},
            {HDR("hello") "\"agentID\":5}", -EBADMSG, "hello.agentID: must be a string"},
            {HDR("hello") "\"agentID\":\"\"}", -EBADMSG, "hello.agentID: must not be empty"},
            {HDR("hello") "\"agentID\":\"a\\u0001\"}", -EBADMSG,
             "hello.agentID: must not contain control characters"},
            {HDR("hello") "\"agentID\":\"a\\u007f\"}", -EBADMSG,
             "hello.agentID: must not contain control characters"},
            {HDR("hello") "\"agentID\":\"a\",\"token\":7}", -EBADMSG,
             "hello.token: must be a string"},
            {HDR("hello") "\"agentID\":\"a\",\"token\":\"a\\nb\"}", -EBADMSG,
             "hello.token: must not contain control characters"},
            {HDR("hello") "\"agentID\":\"a\",\"attributes\":[]}", -EBADMSG,
             "hello.attributes: must be an object"},
            {HDR("hello") "\"agentID\":\"a\",\"attributes\":\"x\"}", -EBADMSG,
             "hello.attributes: must be an object"},
            /* status */
            {HDR("status") "\"taskID\":\"t\",\"actionID\":\"x\",\"state\":\"RUNNING\"}", -EBADMSG,
             "status.workflowID: required"},
            {HDR("status") "\"workflowID\":\"wf\"}", -EBADMSG,
             "status.workflowID: must be \"<namespace>/<name>\""},
            {HDR("status") "\"workflowID\":\"/wf\"}", -EBADMSG,
             "status.workflowID: namespace must be 1-63 lowercase letters, digits or '-'"},
            {HDR("status") "\"workflowID\":\"Default/wf\"}", -EBADMSG,
             "status.workflowID: namespace must be 1-63 lowercase letters, digits or '-'"},
            {HDR("status") "\"workflowID\":\"ns/\"}", -EBADMSG,
             "status.workflowID: name must be 1-253 lowercase letters, digits, '-' or '.'"},
            {HDR("status") "\"workflowID\":\"ns/a/b\"}", -EBADMSG,
             "status.workflowID: name must be 1-253 lowercase letters, digits, '-' or '.'"},
            {HDR("status") "\"workflowID\":\"ns/wf\",\"actionID\":\"x\"}", -EBADMSG,
             "status.taskID: required"},
            {HDR("status") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\"}", -EBADMSG,
             "status.actionID: required"},
            {HDR("status") STATUS_OK "}", -EBADMSG, "status.state: required"},
            {HDR("status") STATUS_OK ",\"state\":\"DONE\"}", -EBADMSG,
             "status.state: \"DONE\" is not RUNNING, SUCCESS, FAILED or TIMEOUT"},
            {HDR("status") STATUS_OK ",\"state\":\"PENDING\"}", -EBADMSG,
             "status.state: \"PENDING\" is not RUNNING, SUCCESS, FAILED or TIMEOUT"},
            {HDR("status") STATUS_OK ",\"state\":\"running\"}", -EBADMSG,
             "status.state: \"running\" is not RUNNING, SUCCESS, FAILED or TIMEOUT"},
            {HDR("status") STATUS_OK ",\"state\":2}", -EBADMSG, "status.state: must be a string"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"actionName\":\"a\\tb\"}", -EBADMSG,
             "status.actionName: must not contain control characters"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"executionStart\":\"yesterday\"}",
             -EBADMSG, "status.executionStart: not an RFC 3339 timestamp"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"executionStart\":5}", -EBADMSG,
             "status.executionStart: must be a string"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\","
                                     "\"executionStop\":\"0000-01-01T00:00:00+01:00\"}",
             -EBADMSG, "status.executionStop: timestamp out of range"},
            {HDR("status") STATUS_OK
             ",\"state\":\"FAILED\","
             "\"executionStop\":\"2023-11-14T22:13:20.1234567890123456789Z\"}",
             -EBADMSG, "status.executionStop: not an RFC 3339 timestamp"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"executionDuration\":\"1d\"}",
             -EBADMSG, "status.executionDuration: not a Go duration"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\","
                                     "\"executionDuration\":\"9223372036854775808ns\"}",
             -EBADMSG, "status.executionDuration: duration out of range"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"executionDuration\":1}", -EBADMSG,
             "status.executionDuration: must be a string"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"message\":[]}", -EBADMSG,
             "status.message: must be a string"},
            /* action */
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"timeout\":1}",
             -EBADMSG, "action.image: required"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\"}",
             -EBADMSG, "action.timeout: required"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"actionID\":\"x\","
                           "\"name\":\"n\",\"image\":\"i\",\"timeout\":1}",
             -EBADMSG, "action.agentID: required"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\",\"timeout\":-1}",
             -EBADMSG, "action.timeout: must be between 0 and 2147483647"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\","
                           "\"timeout\":2147483648}",
             -EBADMSG, "action.timeout: must be between 0 and 2147483647"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\",\"timeout\":1.5}",
             -EBADMSG, "action.timeout: must be an integer"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\",\"timeout\":\"60\"}",
             -EBADMSG, "action.timeout: must be an integer"},
            {HDR("action") ACTION_OK ",\"command\":\"ls\"}", -EBADMSG,
             "action.command: must be an array of strings"},
            {HDR("action") ACTION_OK ",\"command\":[\"ls\",1]}", -EBADMSG,
             "action.command[1]: must be a string"},
            {HDR("action") ACTION_OK ",\"volumes\":[\"a\\tb\"]}", -EBADMSG,
             "action.volumes[0]: must not contain control characters"},
            {HDR("action") ACTION_OK ",\"environment\":[\"A=1\",\"NOEQUALS\"]}", -EBADMSG,
             "action.environment[1]: must be \"KEY=VALUE\" with a non-empty KEY"},
            {HDR("action") ACTION_OK ",\"environment\":[\"=v\"]}", -EBADMSG,
             "action.environment[0]: must be \"KEY=VALUE\" with a non-empty KEY"},
            {HDR("action") ACTION_OK ",\"environment\":[\"A\\nB=v\"]}", -EBADMSG,
             "action.environment[0]: KEY must not contain control characters"},
            {HDR("action") ACTION_OK ",\"namespaces\":\"host\"}", -EBADMSG,
             "action.namespaces: must be an object"},
            {HDR("action") ACTION_OK ",\"namespaces\":{\"pid\":5}}", -EBADMSG,
             "action.namespaces.pid: must be a string"},
            {HDR("action") ACTION_OK ",\"pid\":1}", -EBADMSG, "action.pid: must be a string"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"image\":\"i\",\"timeout\":1}",
             -EBADMSG, "action.taskID: must not be empty"},
            /* idle, error, ack */
            {"{\"v\":1,\"type\":\"idle\"}", -EBADMSG, "idle.reason: required"},
            {HDR("idle") "\"reason\":\"No Workflow\"}", -EBADMSG,
             "idle.reason: must be lowercase letters, digits and '-'"},
            {HDR("idle") "\"reason\":\"done\",\"retryAfterMs\":-1}", -EBADMSG,
             "idle.retryAfterMs: must be between 0 and 86400000"},
            {HDR("idle") "\"reason\":\"done\",\"retryAfterMs\":86400001}", -EBADMSG,
             "idle.retryAfterMs: must be between 0 and 86400000"},
            {"{\"v\":1,\"type\":\"error\"}", -EBADMSG, "error.code: required"},
            {HDR("error") "\"code\":\"\"}", -EBADMSG, "error.code: must not be empty"},
            {HDR("error") "\"code\":\"internal\",\"message\":5}", -EBADMSG,
             "error.message: must be a string"},
            {"{\"v\":1,\"type\":\"ack\"}", -EBADMSG, "ack.of: required"},
            {HDR("ack") "\"of\":\"action\"}", -EBADMSG, "ack.of: must be \"hello\" or \"status\""},
            {HDR("ack") "\"of\":\"status\",\"state\":\"BAD\"}", -EBADMSG,
             "ack.state: \"BAD\" is not RUNNING, SUCCESS, FAILED or TIMEOUT"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        check_decode_error(cases[i].text, strlen(cases[i].text), cases[i].want_r, cases[i].want);
}

/* {"v":1,"type":T, <prefix>"<n bytes of fill>"<suffix>} */
static char *message_with_fill(const char *head, size_t n, char fill, const char *tail)
{
    _cleanup_buf_ struct buf b = BUF_INIT(4 * AGENTPROTO_MSG_MAX);
    char *s;

    assert_int_equal(buf_append_str(&b, head), 0);
    s = malloc(n);
    assert_non_null(s);
    memset(s, fill, n);
    assert_int_equal(buf_append(&b, s, n), 0);
    free(s);
    assert_int_equal(buf_append_str(&b, tail), 0);
    return buf_take(&b, NULL);
}

static void test_codec_decode_enforces_caps(void **state)
{
    static const struct {
        const char *head;
        size_t n;
        const char *tail;
        const char *want; /* NULL: must decode */
    } cases[] = {
            {HDR("hello") "\"agentID\":\"", 253, "\"}", NULL},
            {HDR("hello") "\"agentID\":\"", 254, "\"}", "hello.agentID: longer than 253 bytes"},
            {HDR("hello") "\"agentID\":\"a\",\"token\":\"", 1024, "\"}", NULL},
            {HDR("hello") "\"agentID\":\"a\",\"token\":\"", 1025, "\"}",
             "hello.token: longer than 1024 bytes"},
            {HDR("hello") "\"agentID\":\"a\",\"agentVersion\":\"", 65, "\"}",
             "hello.agentVersion: longer than 64 bytes"},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"message\":\"", 65536, "\"}", NULL},
            {HDR("status") STATUS_OK ",\"state\":\"FAILED\",\"message\":\"", 65537, "\"}",
             "status.message: longer than 65536 bytes"},
            {HDR("action") ACTION_OK ",\"command\":[\"", 65537, "\"]}",
             "action.command[0]: longer than 65536 bytes"},
            {HDR("action") "\"workflowID\":\"ns/wf\",\"taskID\":\"t\",\"agentID\":\"a\","
                           "\"actionID\":\"x\",\"name\":\"n\",\"timeout\":1,\"image\":\"",
             1025, "\"}", "action.image: longer than 1024 bytes"},
            {HDR("status") "\"taskID\":\"t\",\"actionID\":\"x\",\"state\":\"FAILED\","
                           "\"workflowID\":\"",
             64, "/wf\"}",
             "status.workflowID: namespace must be 1-63 lowercase letters, digits or '-'"},
            {HDR("idle") "\"reason\":\"", 65, "\"}", "idle.reason: longer than 64 bytes"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *text =
                message_with_fill(cases[i].head, cases[i].n, 'a', cases[i].tail);
        if (cases[i].want)
            check_decode_error(text, strlen(text), -EBADMSG, cases[i].want);
        else {
            _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL;
            assert_int_equal(agentproto_decode(text, strlen(text), &d, NULL), 0);
        }
    }
}

static void test_codec_decode_enforces_list_and_size_caps(void **state)
{
    _cleanup_buf_ struct buf b = BUF_INIT(4 * AGENTPROTO_MSG_MAX);
    _cleanup_free_ char *big = NULL;

    (void)state;
    /* AGENTPROTO_LIST_MAX + 1 command entries. */
    assert_int_equal(buf_append_str(&b, HDR("action") ACTION_OK ",\"command\":[\"x\""), 0);
    for (int i = 0; i < AGENTPROTO_LIST_MAX; i++)
        assert_int_equal(buf_append_str(&b, ",\"x\""), 0);
    assert_int_equal(buf_append_str(&b, "]}"), 0);
    check_decode_error(buf_str(&b), b.len, -EBADMSG, "action.command: more than 1024 entries");
    /* Attributes nested 33 levels deep (32 is fine). */
    for (int depth = 32; depth <= 33; depth++) {
        buf_reset(&b);
        assert_int_equal(buf_append_str(&b, HDR("hello") "\"agentID\":\"a\",\"attributes\":"), 0);
        for (int i = 0; i < depth; i++)
            assert_int_equal(buf_append_str(&b, i == depth - 1 ? "{" : "{\"a\":"), 0);
        for (int i = 0; i < depth; i++)
            assert_int_equal(buf_append_str(&b, "}"), 0);
        assert_int_equal(buf_append_str(&b, "}"), 0);
        if (depth == 32) {
            _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL;
            assert_int_equal(agentproto_decode(buf_str(&b), b.len, &d, NULL), 0);
        } else
            check_decode_error(buf_str(&b), b.len, -EBADMSG,
                               "hello.attributes: nested deeper than 32 levels");
    }
    /* One byte past AGENTPROTO_MSG_MAX, even if it is only white space. */
    big = message_with_fill(HDR("ack") "\"of\":\"hello\"}",
                            AGENTPROTO_MSG_MAX + 1 - strlen(HDR("ack") "\"of\":\"hello\"}"), ' ',
                            "");
    assert_int_equal(strlen(big), AGENTPROTO_MSG_MAX + 1);
    check_decode_error(big, strlen(big), -EMSGSIZE, "message: longer than 1048576 bytes");
    big[AGENTPROTO_MSG_MAX] = '\0';
    {
        _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL;
        assert_int_equal(agentproto_decode(big, AGENTPROTO_MSG_MAX, &d, NULL), 0);
    }
}

struct encode_case {
    struct agentproto_msg m;
    int want_r;
    const char *want;
};

static void test_codec_encode_rejects_invalid(void **state)
{
    static const char *const null_entry[] = {"ok", NULL};
    static const char *const no_equals[] = {"A=1", "X"};
    static const char *const bad_utf8[] = {"\xff"};
    _cleanup_json_ json_t *arr = json_array();
    const struct encode_case cases[] = {
            {{.type = 99}, -EINVAL, "type: unknown message type 99"},
            {{.type = _AGENTPROTO_TYPE_INVALID}, -EINVAL, "type: unknown message type -1"},
            {{.type = AGENTPROTO_HELLO}, -EINVAL, "hello.agentID: required"},
            {{.type = AGENTPROTO_HELLO, .hello.agent_id = ""},
             -EINVAL,
             "hello.agentID: must not be empty"},
            {{.type = AGENTPROTO_HELLO, .hello.agent_id = "a\xff"},
             -EINVAL,
             "hello.agentID: not valid UTF-8"},
            {{.type = AGENTPROTO_HELLO, .hello.agent_id = "a\x01"},
             -EINVAL,
             "hello.agentID: must not contain control characters"},
            {{.type = AGENTPROTO_HELLO, .hello = {.agent_id = "a", .attributes = arr}},
             -EINVAL,
             "hello.attributes: must be an object"},
            {{.type = AGENTPROTO_STATUS,
              .status = {.workflow_id = "ns/wf", .task_id = "t", .action_id = "x"}},
             -EINVAL,
             "status.state: required"},
            {{.type = AGENTPROTO_STATUS,
              .status = {.workflow_id = "ns/wf",
                         .task_id = "t",
                         .action_id = "x",
                         .state = _AGENTPROTO_STATE_MAX}},
             -EINVAL,
             "status.state: is not RUNNING, SUCCESS, FAILED or TIMEOUT"},
            {{.type = AGENTPROTO_STATUS,
              .status = {.workflow_id = "wf",
                         .task_id = "t",
                         .action_id = "x",
                         .state = AGENTPROTO_STATE_RUNNING}},
             -EINVAL,
             "status.workflowID: must be \"<namespace>/<name>\""},
            {{.type = AGENTPROTO_STATUS,
              .status = {.workflow_id = "ns/wf",
                         .task_id = "t",
                         .action_id = "x",
                         .state = AGENTPROTO_STATE_RUNNING,
                         .has_execution_start = true,
                         .execution_start = {INT64_MAX, 0}}},
             -EINVAL,
             "status.executionStart: timestamp out of range"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n",
                         .image = "i",
                         .timeout = -1}},
             -EINVAL,
             "action.timeout: must be between 0 and 2147483647"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n",
                         .image = "i",
                         .command = {NULL, 1}}},
             -EINVAL,
             "action.command: has entries but no array"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n",
                         .image = "i",
                         .command = {null_entry, 2}}},
             -EINVAL,
             "action.command[1]: must not be NULL"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n",
                         .image = "i",
                         .command = {bad_utf8, 1}}},
             -EINVAL,
             "action.command[0]: not valid UTF-8"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n",
                         .image = "i",
                         .environment = {no_equals, 2}}},
             -EINVAL,
             "action.environment[1]: must be \"KEY=VALUE\" with a non-empty KEY"},
            {{.type = AGENTPROTO_ACTION,
              .action = {.workflow_id = "a/b",
                         .task_id = "t",
                         .agent_id = "a",
                         .action_id = "x",
                         .name = "n"}},
             -EINVAL,
             "action.image: required"},
            {{.type = AGENTPROTO_IDLE, .idle.reason = "Bad"},
             -EINVAL,
             "idle.reason: must be lowercase letters, digits and '-'"},
            {{.type = AGENTPROTO_IDLE, .idle = {"done", AGENTPROTO_RETRY_MAX_MS + 1}},
             -EINVAL,
             "idle.retryAfterMs: must be between 0 and 86400000"},
            {{.type = AGENTPROTO_ERROR}, -EINVAL, "error.code: required"},
            {{.type = AGENTPROTO_ACK}, -EINVAL, "ack.of: required"},
            {{.type = AGENTPROTO_ACK, .ack.of = "action"},
             -EINVAL,
             "ack.of: must be \"hello\" or \"status\""},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *text = NULL, *err = NULL;
        int r = agentproto_encode(&cases[i].m, &text, NULL, &err);

        if (r != cases[i].want_r || !err || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: got %d \"%s\" want %d \"%s\"", i, r, err ? err : "(null)",
                     cases[i].want_r, cases[i].want);
        assert_null(text);
        free(err);
        assert_int_equal(agentproto_encode(&cases[i].m, &text, NULL, NULL), cases[i].want_r);
    }
    assert_int_equal(agentproto_encode(NULL, &(char *){NULL}, NULL, NULL), -EINVAL);
}

static void test_codec_encode_caps_and_repairs(void **state)
{
    _cleanup_free_ char *long_msg = malloc(AGENTPROTO_MESSAGE_MAX + 2);
    _cleanup_free_ char *text = NULL, *err = NULL;
    _cleanup_json_ json_t *huge = NULL;
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *d = NULL;
    char *blob;

    (void)state;
    assert_non_null(long_msg);
    memset(long_msg, 'm', AGENTPROTO_MESSAGE_MAX + 1);
    long_msg[AGENTPROTO_MESSAGE_MAX + 1] = '\0';
    assert_int_equal(agentproto_encode(&(struct agentproto_msg){.type = AGENTPROTO_ERROR,
                                                                .error = {"internal", long_msg}},
                                       &text, NULL, &err),
                     -EINVAL);
    assert_string_equal(err, "error.message: longer than 65536 bytes");
    err = (free(err), NULL);
    /* Attributes that push the message past AGENTPROTO_MSG_MAX. */
    blob = malloc(AGENTPROTO_MSG_MAX);
    assert_non_null(blob);
    memset(blob, 'x', AGENTPROTO_MSG_MAX - 1);
    blob[AGENTPROTO_MSG_MAX - 1] = '\0';
    huge = json_pack("{s:s}", "blob", blob);
    free(blob);
    assert_int_equal(agentproto_encode(&(struct agentproto_msg){.type = AGENTPROTO_HELLO,
                                                                .hello = {.agent_id = "a",
                                                                          .attributes = huge}},
                                       &text, NULL, &err),
                     -EMSGSIZE);
    assert_non_null(strstr(err, "exceeds 1048576 bytes"));
    assert_null(text);
    /* Invalid UTF-8 in message text is repaired, not refused. */
    assert_int_equal(
            agentproto_encode(&(struct agentproto_msg){.type = AGENTPROTO_STATUS,
                                                       .status = {.workflow_id = "ns/wf",
                                                                  .task_id = "t",
                                                                  .action_id = "x",
                                                                  .state = AGENTPROTO_STATE_FAILED,
                                                                  .message = "tail \xff\xc3"}},
                              &text, NULL, NULL),
            0);
    assert_int_equal(agentproto_decode(text, strlen(text), &d, NULL), 0);
    assert_string_equal(d->status.message, "tail \xef\xbf\xbd\xef\xbf\xbd");
}

static void test_codec_type_and_state_names(void **state)
{
    (void)state;
    for (int t = 0; t < _AGENTPROTO_TYPE_MAX; t++)
        assert_int_equal(agentproto_type_from_string(agentproto_type_to_string(t)), t);
    for (int s = AGENTPROTO_STATE_RUNNING; s < _AGENTPROTO_STATE_MAX; s++)
        assert_int_equal(agentproto_state_from_string(agentproto_state_to_string(s)), s);
    assert_null(agentproto_type_to_string(_AGENTPROTO_TYPE_MAX));
    assert_null(agentproto_type_to_string(_AGENTPROTO_TYPE_INVALID));
    assert_null(agentproto_state_to_string(AGENTPROTO_STATE_UNSET));
    assert_int_equal(agentproto_type_from_string("nope"), _AGENTPROTO_TYPE_INVALID);
    assert_int_equal(agentproto_type_from_string(NULL), _AGENTPROTO_TYPE_INVALID);
    assert_int_equal(agentproto_state_from_string("PENDING"), AGENTPROTO_STATE_UNSET);
    assert_string_equal(agentproto_state_to_string(AGENTPROTO_STATE_TIMEOUT), "TIMEOUT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_codec_hello_round_trip),
            cmocka_unit_test(test_codec_status_round_trip),
            cmocka_unit_test(test_codec_action_round_trip),
            cmocka_unit_test(test_codec_idle_error_ack_round_trip),
            cmocka_unit_test(test_codec_decode_ignores_unknown_fields_and_nulls),
            cmocka_unit_test(test_codec_decode_rejects_malformed),
            cmocka_unit_test(test_codec_decode_enforces_caps),
            cmocka_unit_test(test_codec_decode_enforces_list_and_size_caps),
            cmocka_unit_test(test_codec_encode_rejects_invalid),
            cmocka_unit_test(test_codec_encode_caps_and_repairs),
            cmocka_unit_test(test_codec_type_and_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
