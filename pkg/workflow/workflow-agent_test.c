/* SPDX-License-Identifier: Apache-2.0 */
/* The agent side: picking a Workflow, GetAction and ReportActionStatus. */
#include "workflow/workflow-test.h"

#define META       "'metadata':{'name':'wf1','namespace':'ns','creationTimestamp':'2024-01-01T00:00:00Z'}"
#define SPEC       "'spec':{'templateRef':'tpl','hardwareRef':'hw1'}"
#define WF(status) "{" META "," SPEC ",'status':" status "}"
/* Task t0 (agent A): a0 then a1 (one retry allowed); task t1 (agent B): b0. */
#define TASKS(a0, a1, b0)                                                                 \
    "'tasks':[{'id':'t0','name':'os','agentID':'A','volumes':['/dev:/dev'],"              \
    "'environment':{'K':'task','T':'1'},'actions':["                                      \
    "{'id':'a0','name':'stream','image':'img','timeout':600,'state':'" a0 "'},"           \
    "{'id':'a1','name':'kexec','image':'kx','timeout':0,'retries':1,'state':'" a1 "'}]}," \
    "{'id':'t1','name':'second','agentID':'B','actions':["                                \
    "{'id':'b0','name':'x','image':'x','state':'" b0 "'}]}]"
#define LONG64  "0123456789012345678901234567890123456789012345678901234567890123"
#define LONG_ID LONG64 LONG64 LONG64 LONG64 "x"
#define ST(state, agent, a0, a1, b0) \
    "{'state':'" state "','agentID':'" agent "'," TASKS(a0, a1, b0) "}"

/* ---- workflow_pick ---- */

#define PW(name, created, state, agent, extra)                                            \
    "{'metadata':{'name':'" name "','namespace':'ns','creationTimestamp':'" created "'}," \
    "'spec':{" extra "},'status':{'state':'" state "','agentID':'" agent "'}}"

static const struct {
    const char *name;
    const char *wfs[4];
    int ret;
    size_t want;
} pick_cases[] = {
        {"#964: an old finished workflow does not hide a new one",
         {PW("old", "2024-01-01T00:00:00Z", "SUCCESS", "A", ""),
          PW("new", "2024-02-01T00:00:00Z", "PENDING", "A", "")},
         0,
         1},
        {"RUNNING before PENDING",
         {PW("p", "2024-01-01T00:00:00Z", "PENDING", "A", ""),
          PW("r", "2024-02-01T00:00:00Z", "RUNNING", "A", "")},
         0,
         1},
        {"the older PENDING first",
         {PW("b", "2024-03-01T00:00:00Z", "PENDING", "A", ""),
          PW("a", "2024-02-01T00:00:00Z", "PENDING", "A", ""),
          PW("c", "2024-02-01T00:00:01Z", "PENDING", "A", "")},
         0,
         1},
        {"same time: by name",
         {PW("b", "2024-02-01T00:00:00Z", "PENDING", "A", ""),
          PW("a", "2024-02-01T00:00:00Z", "PENDING", "A", "")},
         0,
         1},
        {"no creation time sorts last",
         {"{'metadata':{'name':'x'},'status':{'state':'PENDING','agentID':'A'}}",
          PW("y", "2024-02-01T00:00:00Z", "PENDING", "A", "")},
         0,
         1},
        {"PREPARING before disabled",
         {PW("d", "2024-01-01T00:00:00Z", "PENDING", "A", "'disabled':true"),
          PW("p", "2024-02-01T00:00:00Z", "PREPARING", "A", "")},
         0,
         1},
        {"POST before PREPARING",
         {PW("p", "2024-01-01T00:00:00Z", "PREPARING", "A", ""),
          PW("d", "2024-02-01T00:00:00Z", "POST", "A", "")},
         0,
         1},
        {"only finished workflows: the oldest",
         {PW("f", "2024-02-01T00:00:00Z", "FAILED", "A", ""),
          PW("s", "2024-01-01T00:00:00Z", "SUCCESS", "A", "")},
         0,
         1},
        {"other agents are ignored",
         {PW("b", "2024-01-01T00:00:00Z", "RUNNING", "B", ""),
          PW("a", "2024-02-01T00:00:00Z", "SUCCESS", "A", "")},
         0,
         1},
        {"nothing for this agent",
         {PW("b", "2024-01-01T00:00:00Z", "RUNNING", "B", ""), "[]"},
         -ENOENT,
         0},
        {"no workflows", {NULL}, -ENOENT, 0},
};

static void test_workflow_pick_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(pick_cases); i++) {
        json_t *wfs[4] = {NULL};
        size_t n = 0, idx = 99;

        while (n < ARRAY_SIZE(wfs) && pick_cases[i].wfs[n]) {
            wfs[n] = j(pick_cases[i].wfs[n]);
            n++;
        }
        int r = workflow_pick((const json_t *const *)wfs, n, "A", &idx);
        if (r != pick_cases[i].ret)
            fail_msg("%s: want %d, got %d", pick_cases[i].name, pick_cases[i].ret, r);
        if (r == 0 && idx != pick_cases[i].want)
            fail_msg("%s: want index %zu, got %zu", pick_cases[i].name, pick_cases[i].want, idx);
        if (r < 0)
            assert_int_equal(idx, 99);
        for (size_t k = 0; k < n; k++)
            json_decref(wfs[k]);
    }
    size_t idx;
    assert_int_equal(workflow_pick(NULL, 1, "A", &idx), -EINVAL);
    assert_int_equal(workflow_pick(NULL, 0, NULL, &idx), -EINVAL);
    assert_int_equal(workflow_pick(NULL, 0, "A", NULL), -EINVAL);
}

/* ---- workflow_next_action ---- */

static const struct {
    const char *name;
    const char *wf;
    const char *agent;
    enum workflow_next_kind kind;
    size_t task, action;
    bool changed;
} next_cases[] = {
        {"first action", WF(ST("PENDING", "A", "PENDING", "PENDING", "PENDING")), "A",
         WORKFLOW_NEXT_ACTION, 0, 0, true},
        {"RUNNING action is served again", WF(ST("RUNNING", "A", "RUNNING", "PENDING", "PENDING")),
         "A", WORKFLOW_NEXT_ACTION, 0, 0, true},
        {"next action after a success", WF(ST("RUNNING", "A", "SUCCESS", "PENDING", "PENDING")),
         "A", WORKFLOW_NEXT_ACTION, 0, 1, true},
        {"next task's agent", WF(ST("RUNNING", "B", "SUCCESS", "SUCCESS", "PENDING")), "B",
         WORKFLOW_NEXT_ACTION, 1, 0, true},
        {"other agent's task", WF(ST("RUNNING", "B", "SUCCESS", "SUCCESS", "PENDING")), "A",
         WORKFLOW_NEXT_OTHER_AGENT, 0, 0, false},
        {"B waits for A", WF(ST("RUNNING", "A", "RUNNING", "PENDING", "PENDING")), "B",
         WORKFLOW_NEXT_OTHER_AGENT, 0, 0, false},
        {"all done", WF(ST("RUNNING", "B", "SUCCESS", "SUCCESS", "SUCCESS")), "B",
         WORKFLOW_NEXT_DONE, 0, 0, false},
        {"POST", WF(ST("POST", "B", "SUCCESS", "SUCCESS", "SUCCESS")), "B", WORKFLOW_NEXT_DONE, 0,
         0, false},
        {"failed action in a running workflow",
         WF(ST("RUNNING", "A", "FAILED", "PENDING", "PENDING")), "A", WORKFLOW_NEXT_TERMINAL, 0, 0,
         false},
        {"terminal", WF(ST("SUCCESS", "B", "SUCCESS", "SUCCESS", "SUCCESS")), "B",
         WORKFLOW_NEXT_TERMINAL, 0, 0, false},
        {"legacy terminal", WF(ST("STATE_FAILED", "A", "PENDING", "PENDING", "PENDING")), "A",
         WORKFLOW_NEXT_TERMINAL, 0, 0, false},
        {"PREPARING", WF(ST("PREPARING", "A", "PENDING", "PENDING", "PENDING")), "A",
         WORKFLOW_NEXT_PREPARING, 0, 0, false},
        {"not rendered", WF("{}"), "A", WORKFLOW_NEXT_PREPARING, 0, 0, false},
        {"no tasks", WF("{'state':'PENDING','agentID':'A'}"), "A", WORKFLOW_NEXT_NO_WORKFLOW, 0, 0,
         false},
        {"disabled",
         "{" META ",'spec':{'disabled':true},'status':" ST(
                 "PENDING", "A", "PENDING", "PENDING", "PENDING") "}",
         "A", WORKFLOW_NEXT_DISABLED, 0, 0, false},
        {"current state already recorded",
         WF("{'state':'RUNNING','agentID':'A','currentState':{'agentID':'A','taskID':'t0',"
            "'actionID':'a0','state':'RUNNING','actionName':'stream','taskName':'os'}," TASKS(
                    "RUNNING", "PENDING", "PENDING") "}"),
         "A", WORKFLOW_NEXT_ACTION, 0, 0, false},
};

static void test_workflow_next_action_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(next_cases); i++) {
        _cleanup_json_ json_t *wf = j(next_cases[i].wf);
        _cleanup_json_ json_t *before = json_deep_copy(wf);
        struct workflow_next n = {0};

        assert_int_equal(workflow_next_action(wf, next_cases[i].agent, &n), 0);
        if (n.kind != next_cases[i].kind)
            fail_msg("%s: want %s, got %s", next_cases[i].name,
                     workflow_next_kind_to_string(next_cases[i].kind),
                     workflow_next_kind_to_string(n.kind));
        if (n.kind == WORKFLOW_NEXT_ACTION) {
            assert_int_equal(n.task, next_cases[i].task);
            assert_int_equal(n.action, next_cases[i].action);
        }
        if (next_cases[i].changed != (n.status != NULL))
            fail_msg("%s: want changed=%d", next_cases[i].name, next_cases[i].changed);
        if (n.status) {
            json_t *task = jpath(n.status, "tasks");
            json_t *t = json_array_get(task, n.task);
            json_t *a = json_array_get(json_object_get(t, "actions"), n.action);
            check_path(n.status, "currentState.agentID",
                       next_cases[i].agent[0] == 'A' ? "'A'" : "'B'", next_cases[i].name);
            assert_true(
                    json_equal(jpath(n.status, "currentState.taskID"), json_object_get(t, "id")));
            assert_true(
                    json_equal(jpath(n.status, "currentState.actionID"), json_object_get(a, "id")));
            assert_true(
                    json_equal(jpath(n.status, "currentState.state"), json_object_get(a, "state")));
            assert_true(json_equal(jpath(n.status, "currentState.actionName"),
                                   json_object_get(a, "name")));
            assert_true(json_equal(jpath(n.status, "currentState.taskName"),
                                   json_object_get(t, "name")));
            /* Applying the new status and asking again changes nothing. */
            struct workflow_next again = {0};
            assert_int_equal(json_object_set(wf, "status", n.status), 0);
            assert_int_equal(workflow_next_action(wf, next_cases[i].agent, &again), 0);
            assert_int_equal(again.kind, n.kind);
            assert_null(again.status);
        } else {
            assert_true(json_equal(wf, before));
        }
        workflow_next_done(&n);
        assert_null(n.status);
    }
    _cleanup_json_ json_t *wf = j(WF("{}"));
    struct workflow_next n = {.kind = 42};
    assert_int_equal(workflow_next_action(NULL, "A", &n), -EINVAL);
    assert_int_equal(workflow_next_action(wf, NULL, &n), -EINVAL);
    assert_int_equal(workflow_next_action(wf, "", &n), -EINVAL);
    assert_int_equal(workflow_next_action(wf, "bad\xff", &n), -EINVAL);
    assert_int_equal(workflow_next_action(wf, LONG_ID, &n), -EINVAL);
    assert_int_equal(workflow_next_action(wf, "A", NULL), -EINVAL);
    assert_int_equal(n.kind, 42);
    assert_null(workflow_next_kind_to_string(_WORKFLOW_NEXT_MAX));
    workflow_next_done(NULL);
}

/* ---- workflow_action_response ---- */

static void test_workflow_action_response_builds_message(void **state)
{
    _cleanup_json_ json_t *wf =
            j(WF("{'state':'RUNNING','agentID':'A','tasks':[{'id':'t0','name':'os','agentID':'A',"
                 "'volumes':['/dev:/dev'],'environment':{'K':'task','T':'1','Z':'z'},'actions':["
                 "{'id':'a0','name':'stream','image':'img:1','timeout':0,'command':['-x','y'],"
                 "'volumes':['/lib:/lib:ro'],'environment':{'K':'action','A':'2','K2':'3'},"
                 "'pid':'legacy','namespaces':{'network':'host','pid':'host'},'state':'PENDING'},"
                 "{'id':'a1','name':'bare','image':'b','timeout':5,'pid':'host','state':'PENDING'}]"
                 "}]}"));
    _cleanup_json_ json_t *resp = NULL, *resp2 = NULL;

    (void)state;
    struct workflow_next n = {.kind = WORKFLOW_NEXT_ACTION, .task = 0, .action = 0};
    assert_int_equal(workflow_action_response(wf, &n, &resp), 0);
    check_path(resp, "",
               "{'workflowID':'ns/wf1','taskID':'t0','agentID':'A','actionID':'a0',"
               "'name':'stream','image':'img:1','timeout':3600,'command':['-x','y'],"
               "'volumes':['/dev:/dev','/lib:/lib:ro'],"
               "'environment':['A=2','K2=3','K=action','T=1','Z=z'],'pid':'host',"
               "'namespaces':{'network':'host','pid':'host'}}",
               "response");

    n.action = 1;
    assert_int_equal(workflow_action_response(wf, &n, &resp2), 0);
    check_path(resp2, "",
               "{'workflowID':'ns/wf1','taskID':'t0','agentID':'A','actionID':'a1',"
               "'name':'bare','image':'b','timeout':5,'command':[],"
               "'volumes':['/dev:/dev'],'environment':['K=task','T=1','Z=z'],"
               "'pid':'host','namespaces':{}}",
               "legacy pid");

    json_t *out = NULL;
    n.action = 2;
    assert_int_equal(workflow_action_response(wf, &n, &out), -EINVAL);
    n = (struct workflow_next){.kind = WORKFLOW_NEXT_DONE};
    assert_int_equal(workflow_action_response(wf, &n, &out), -EINVAL);
    assert_int_equal(workflow_action_response(wf, NULL, &out), -EINVAL);
    assert_null(out);

    _cleanup_json_ json_t *a = j("{'timeout':-5}");
    _cleanup_json_ json_t *b = j("{'timeout':7}");
    assert_int_equal(workflow_action_timeout_s(a), WORKFLOW_ACTION_TIMEOUT_DEFAULT_S);
    assert_int_equal(workflow_action_timeout_s(b), 7);
    assert_int_equal(workflow_action_timeout_s(NULL), WORKFLOW_ACTION_TIMEOUT_DEFAULT_S);
}

/* ---- workflow_apply_report ---- */

struct rp_case {
    const char *name;
    const char *wf;
    struct workflow_report r;
    int ret;
    const char *events;
    struct check {
        const char *path;
        const char *want;
    } checks[8];
};

#define RUNNING_A0 WF(ST("RUNNING", "A", "RUNNING", "PENDING", "PENDING"))
#define R(agent, task, action, st) \
    .agent_id = agent, .task_id = task, .action_id = action, .state = st

static const struct rp_case rp_cases[] = {
        /* ---- malformed (InvalidArgument) ---- */
        {"no agent", RUNNING_A0, {R(NULL, "t0", "a0", "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"no task id", RUNNING_A0, {R("A", NULL, "a0", "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"no action id", RUNNING_A0, {R("A", "t0", NULL, "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"empty action id", RUNNING_A0, {R("A", "t0", "", "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"no state", RUNNING_A0, {R("A", "t0", "a0", NULL)}, -EBADMSG, "", {{0}}},
        {"PENDING is not a report",
         RUNNING_A0,
         {R("A", "t0", "a0", "PENDING")},
         -EBADMSG,
         "",
         {{0}}},
        {"lower-case state", RUNNING_A0, {R("A", "t0", "a0", "success")}, -EBADMSG, "", {{0}}},
        {"bad start",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .execution_start = "yesterday"},
         -EBADMSG,
         "",
         {{0}}},
        {"bad stop",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .execution_stop = "2024-13-01T00:00:00Z"},
         -EBADMSG,
         "",
         {{0}}},
        {"over-long id", RUNNING_A0, {R("A", "t0", LONG_ID, "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"over-long agent", RUNNING_A0, {R(LONG_ID, "t0", "a0", "SUCCESS")}, -EBADMSG, "", {{0}}},
        {"over-long duration",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .execution_duration = LONG64 "s"},
         -EBADMSG,
         "",
         {{0}}},
        {"invalid UTF-8 message",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .message = "ok\xff"},
         -EBADMSG,
         "",
         {{0}}},
        {"overlong UTF-8 message",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .message = "\xc0\xaf"},
         -EBADMSG,
         "",
         {{0}}},
        {"surrogate in message",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .message = "\xed\xa0\x80"},
         -EBADMSG,
         "",
         {{0}}},
        {"truncated UTF-8 agent",
         RUNNING_A0,
         {R("A\xc3", "t0", "a0", "SUCCESS")},
         -EBADMSG,
         "",
         {{0}}},
        /* ---- not found ---- */
        {"unknown task", RUNNING_A0, {R("A", "tX", "a0", "SUCCESS")}, -ENOENT, "", {{0}}},
        {"unknown action", RUNNING_A0, {R("A", "t0", "aX", "SUCCESS")}, -ENOENT, "", {{0}}},
        {"task of another agent", RUNNING_A0, {R("B", "t0", "a0", "SUCCESS")}, -ENOENT, "", {{0}}},
        {"action of another task", RUNNING_A0, {R("A", "t0", "b0", "SUCCESS")}, -ENOENT, "", {{0}}},
        {"no status", WF("{}"), {R("A", "t0", "a0", "SUCCESS")}, -ENOENT, "", {{0}}},
        /* ---- late reports never move a finished workflow (#945) ---- */
        {"late SUCCESS after TIMEOUT",
         WF(ST("TIMEOUT", "A", "RUNNING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "SUCCESS")},
         -ESTALE,
         "",
         {{0}}},
        {"late report after FAILED",
         WF(ST("FAILED", "A", "FAILED", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "SUCCESS")},
         -ESTALE,
         "",
         {{0}}},
        {"report while POST",
         WF(ST("POST", "B", "SUCCESS", "SUCCESS", "SUCCESS")),
         {R("B", "t1", "b0", "RUNNING")},
         -ESTALE,
         "",
         {{0}}},
        {"report while PREPARING",
         WF(ST("PREPARING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "RUNNING")},
         -ESTALE,
         "",
         {{0}}},
        {"RUNNING after the action succeeded",
         WF(ST("RUNNING", "A", "SUCCESS", "RUNNING", "PENDING")),
         {R("A", "t0", "a0", "RUNNING")},
         -ESTALE,
         "",
         {{0}}},
        {"FAILED after the action succeeded",
         WF(ST("RUNNING", "A", "SUCCESS", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "FAILED")},
         -ESTALE,
         "",
         {{0}}},
        /* ---- repeated reports change nothing ---- */
        {"repeat of the failure that ended it",
         WF(ST("FAILED", "A", "FAILED", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "FAILED")},
         0,
         "",
         {{"state", "'FAILED'"}}},
        {"repeat of a success",
         WF(ST("RUNNING", "A", "SUCCESS", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "SUCCESS")},
         0,
         "",
         {{0}}},
        {"repeat of the last success in POST",
         WF(ST("POST", "B", "SUCCESS", "SUCCESS", "SUCCESS")),
         {R("B", "t1", "b0", "SUCCESS")},
         0,
         "",
         {{0}}},
        {"repeat of RUNNING",
         WF("{'state':'RUNNING','agentID':'A','currentState':{'agentID':'A','taskID':'t0',"
            "'actionID':'a0','state':'RUNNING','actionName':'stream','taskName':'os'},"
            "'tasks':[{'id':'t0','name':'os','agentID':'A','actions':[{'id':'a0','name':'stream',"
            "'state':'RUNNING','executionStart':'2024-05-01T11:00:00Z'}]}]}"),
         {R("A", "t0", "a0", "RUNNING"), .execution_start = "2024-05-01T11:00:00.250Z"},
         0,
         "",
         {{0}}},
        /* ---- out of order ---- */
        {"skipping ahead",
         WF(ST("RUNNING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a1", "RUNNING")},
         -EPROTO,
         "",
         {{0}}},
        {"next task early", RUNNING_A0, {R("B", "t1", "b0", "RUNNING")}, -EPROTO, "", {{0}}},
        /* ---- transitions ---- */
        {"first RUNNING starts the workflow",
         WF(ST("PENDING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "RUNNING"), .execution_start = "2024-05-01T14:00:00.999+02:00",
          .message = "running action"},
         1,
         "Started",
         {{"state", "'RUNNING'"},
          {"tasks.0.actions.0.state", "'RUNNING'"},
          {"tasks.0.actions.0.executionStart", "'2024-05-01T12:00:00Z'"},
          {"tasks.0.actions.0.message", "'running action'"},
          {"tasks.0.actions.0.executionStop", NULL},
          {"currentState", "{'agentID':'A','taskID':'t0','actionID':'a0','state':'RUNNING',"
                           "'actionName':'stream','taskName':'os'}"}}},
        {"RUNNING without a start uses the clock",
         WF(ST("PENDING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "RUNNING")},
         1,
         "Started",
         {{"tasks.0.actions.0.executionStart", "'2024-05-01T12:00:00Z'"}}},
        {"RUNNING from an agent with a wrong clock records the receipt time",
         WF(ST("PENDING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "RUNNING"), .execution_start = "1970-01-01T00:00:10Z"},
         1,
         "Started",
         {{"tasks.0.actions.0.executionStart", "'2024-05-01T12:00:00Z'"}}},
        {"RUNNING repeated by a wrong clock keeps the recorded start",
         WF("{'state':'RUNNING','agentID':'A','currentState':{'agentID':'A','taskID':'t0',"
            "'actionID':'a0','state':'RUNNING','actionName':'stream','taskName':'os'},"
            "'tasks':[{'id':'t0','name':'os','agentID':'A','actions':[{'id':'a0','name':'stream',"
            "'state':'RUNNING','executionStart':'2024-05-01T11:59:00Z'}]}]}"),
         {R("A", "t0", "a0", "RUNNING"), .execution_start = "2031-01-01T00:00:00Z"},
         0,
         "",
         {{0}}},
        {"RUNNING restarted by the agent keeps the first start",
         WF("{'state':'RUNNING','agentID':'A','tasks':[{'id':'t0','name':'os','agentID':'A',"
            "'actions':[{'id':'a0','name':'stream','state':'RUNNING',"
            "'executionStart':'2024-05-01T11:00:00Z'}]}]}"),
         {R("A", "t0", "a0", "RUNNING"), .execution_start = "2024-05-01T11:59:50Z",
          .message = "restarted"},
         1,
         "",
         {{"tasks.0.actions.0.executionStart", "'2024-05-01T11:00:00Z'"},
          {"tasks.0.actions.0.message", "'restarted'"},
          {"currentState.state", "'RUNNING'"}}},
        {"SUCCESS without RUNNING also starts it",
         WF(ST("PENDING", "A", "PENDING", "PENDING", "PENDING")),
         {R("A", "t0", "a0", "SUCCESS")},
         1,
         "Started",
         {{"state", "'RUNNING'"}, {"tasks.0.actions.0.state", "'SUCCESS'"}}},
        {"SUCCESS records the result",
         RUNNING_A0,
         {R("A", "t0", "a0", "SUCCESS"), .execution_start = "2024-05-01T11:59:00Z",
          .execution_stop = "2024-05-01T11:59:59Z", .execution_duration = "59s",
          .message = "action completed"},
         1,
         "",
         {{"state", "'RUNNING'"},
          {"agentID", "'A'"},
          {"tasks.0.actions.0.state", "'SUCCESS'"},
          {"tasks.0.actions.0.executionStop", "'2024-05-01T11:59:59Z'"},
          {"tasks.0.actions.0.executionDuration", "'59s'"},
          {"tasks.0.actions.0.message", "'action completed'"},
          {"currentState.state", "'SUCCESS'"}}},
        {"task done hands over to the next agent",
         WF(ST("RUNNING", "A", "SUCCESS", "RUNNING", "PENDING")),
         {R("A", "t0", "a1", "SUCCESS")},
         1,
         "",
         {{"agentID", "'B'"}, {"state", "'RUNNING'"}, {"currentState.actionID", "'a1'"}}},
        {"last SUCCESS goes POST",
         WF(ST("RUNNING", "B", "SUCCESS", "SUCCESS", "RUNNING")),
         {R("B", "t1", "b0", "SUCCESS")},
         1,
         "ActionsSucceeded",
         {{"state", "'POST'"},
          {"tasks.1.actions.0.state", "'SUCCESS'"},
          {"currentState.state", "'SUCCESS'"}}},
        {"FAILED fails the workflow",
         RUNNING_A0,
         {R("A", "t0", "a0", "FAILED"), .message = "exit status 1"},
         1,
         "ActionFailed",
         {{"state", "'FAILED'"},
          {"tasks.0.actions.0.state", "'FAILED'"},
          {"tasks.0.actions.0.message", "'exit status 1'"},
          {"currentState.state", "'FAILED'"}}},
        {"TIMEOUT times the workflow out",
         RUNNING_A0,
         {R("A", "t0", "a0", "TIMEOUT")},
         1,
         "ActionTimeout",
         {{"state", "'TIMEOUT'"}, {"tasks.0.actions.0.state", "'TIMEOUT'"}}},
        {"FAILED with a retry left goes back to PENDING",
         WF(ST("RUNNING", "A", "SUCCESS", "RUNNING", "PENDING")),
         {R("A", "t0", "a1", "FAILED"), .execution_start = "2024-05-01T11:59:00Z",
          .message = "exit status 2"},
         1,
         "ActionRetry",
         {{"state", "'RUNNING'"},
          {"tasks.0.actions.1.state", "'PENDING'"},
          {"tasks.0.actions.1.id", "<ulid>"},
          {"tasks.0.actions.1.attempts", "1"},
          {"tasks.0.actions.1.executionStart", NULL},
          {"tasks.0.actions.1.message", "'attempt 1 of 2 ended FAILED: exit status 2'"},
          {"currentState.actionID", "<ulid>"},
          {"currentState.state", "'PENDING'"}}},
        {"FAILED with retries used up fails",
         WF("{'state':'RUNNING','agentID':'A','tasks':[{'id':'t0','name':'os','agentID':'A',"
            "'actions':[{'id':'a1','name':'kexec','retries':1,'attempts':1,'state':'RUNNING'}]}]}"),
         {R("A", "t0", "a1", "FAILED")},
         1,
         "ActionFailed",
         {{"state", "'FAILED'"}, {"tasks.0.actions.0.attempts", "1"}}},
};

static void test_workflow_apply_report_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rp_cases); i++) {
        const struct rp_case *c = &rp_cases[i];
        struct test_random tr = {0};
        _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
        _cleanup_json_ json_t *wf = j(c->wf);
        _cleanup_json_ json_t *before = json_deep_copy(wf);
        struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
        struct workflow_plan plan = {.n_events = 77};

        int r = workflow_apply_report(wf, &env, &c->r, &plan);
        if (r != c->ret)
            fail_msg("%s: want %d, got %d", c->name, c->ret, r);
        if (!json_equal(wf, before))
            fail_msg("%s: input modified", c->name);
        if (r < 0) {
            assert_int_equal(plan.n_events, 77); /* untouched */
            continue;
        }
        if ((r == 1) != (plan.status != NULL))
            fail_msg("%s: status presence does not match the return", c->name);
        assert_int_equal(plan.effects, 0);
        check_events(&plan, c->events, c->name);
        const json_t *st = plan.status ? plan.status : jpath(wf, "status");
        for (size_t k = 0; k < ARRAY_SIZE(c->checks) && c->checks[k].path; k++)
            check_path(st, c->checks[k].path, c->checks[k].want, c->name);

        /* Idempotence: the same report on the new status changes nothing
         * (after a retry the old action id is gone). */
        if (r == 1) {
            struct workflow_plan again = {0};
            assert_int_equal(json_object_set(wf, "status", plan.status), 0);
            int r2 = workflow_apply_report(wf, &env, &c->r, &again);
            if (r2 != 0 && r2 != -ENOENT)
                fail_msg("%s: repeated report gave %d", c->name, r2);
            assert_null(again.status);
            if (r2 == -ENOENT)
                assert_string_equal(c->events, "ActionRetry");
        }
        workflow_plan_done(&plan);
    }
}

static void test_workflow_apply_report_message_is_cut(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j(RUNNING_A0);
    _cleanup_free_ char *msg = malloc(3 * 2000 + 1);
    struct workflow_plan plan = {0};

    (void)state;
    assert_non_null(msg);
    for (size_t i = 0; i < 2000; i++)
        memcpy(msg + 3 * i, "\xe2\x82\xac", 3); /* U+20AC, 3 bytes */
    msg[6000] = '\0';
    struct workflow_report r = {R("A", "t0", "a0", "SUCCESS"), .message = msg};
    assert_int_equal(workflow_apply_report(
                             wf, &(struct workflow_env){.now_ms = TEST_NOW, .ids = ids}, &r, &plan),
                     1);
    const char *got = json_string_value(jpath(plan.status, "tasks.0.actions.0.message"));
    assert_non_null(got);
    assert_int_equal(strlen(got), 4095); /* 1365 whole characters */
    assert_memory_equal(got, msg, 4095);
    workflow_plan_done(&plan);
}

static void test_workflow_apply_report_rejects_bad_args(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j(WF(ST("RUNNING", "A", "SUCCESS", "RUNNING", "PENDING")));
    _cleanup_json_ json_t *arr = j("[]");
    struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
    struct workflow_env no_ids = {.now_ms = TEST_NOW};
    struct workflow_report fail = {R("A", "t0", "a1", "FAILED")};
    struct workflow_plan plan = {.n_events = 5};

    (void)state;
    assert_int_equal(workflow_apply_report(NULL, &env, &fail, &plan), -EINVAL);
    assert_int_equal(workflow_apply_report(arr, &env, &fail, &plan), -EINVAL);
    assert_int_equal(workflow_apply_report(wf, NULL, &fail, &plan), -EINVAL);
    assert_int_equal(workflow_apply_report(wf, &env, NULL, &plan), -EINVAL);
    assert_int_equal(workflow_apply_report(wf, &env, &fail, NULL), -EINVAL);
    /* A retry mints an id: no generator, no retry. */
    assert_int_equal(workflow_apply_report(wf, &no_ids, &fail, &plan), -EINVAL);
    tr.fail = -EIO;
    assert_int_equal(workflow_apply_report(wf, &env, &fail, &plan), -EIO);
    assert_int_equal(plan.n_events, 5);
}

/* A whole run driven the way the controller and the gateway drive it: two
 * tasks on two agents, a failed attempt retried, late reports ignored. */
static json_t *reconcile_until_stable(json_t *wf, const struct workflow_env *env, const json_t *doc)
{
    for (int i = 0; i < 5; i++) {
        struct workflow_plan plan = {0};
        struct workflow_reconcile_opts opts = {.rendered = workflow_needs_render(wf) ? doc : NULL};
        assert_int_equal(workflow_reconcile(wf, env, &opts, &plan), 0);
        if (!plan.status)
            return wf;
        assert_int_equal(json_object_set(wf, "status", plan.status), 0);
        workflow_plan_done(&plan);
    }
    fail_msg("reconcile did not converge");
    return NULL;
}

/* Serves the agent its next action and applies one report for it. */
static int agent_step(json_t *wf,
                      const struct workflow_env *env,
                      const char *agent,
                      const char *report_state,
                      char *ret_action_id,
                      size_t len)
{
    struct workflow_next n = {0};
    struct workflow_plan plan = {0};
    int r;

    assert_int_equal(workflow_next_action(wf, agent, &n), 0);
    if (n.kind != WORKFLOW_NEXT_ACTION)
        return -(int)n.kind - 1000;
    if (n.status)
        assert_int_equal(json_object_set(wf, "status", n.status), 0);
    _cleanup_json_ json_t *resp = NULL;
    assert_int_equal(workflow_action_response(wf, &n, &resp), 0);
    snprintf(ret_action_id, len, "%s", json_string_value(json_object_get(resp, "actionID")));
    struct workflow_report rep = {
            .agent_id = agent,
            .task_id = json_string_value(json_object_get(resp, "taskID")),
            .action_id = ret_action_id,
            .state = report_state,
            .execution_start = "2024-05-01T12:00:00Z",
    };
    r = workflow_apply_report(wf, env, &rep, &plan);
    if (r == 1)
        assert_int_equal(json_object_set(wf, "status", plan.status), 0);
    workflow_plan_done(&plan);
    workflow_next_done(&n);
    return r;
}

static void test_workflow_full_run_two_agents(void **state)
{
    static const char *doc_text =
            "{'name':'wf','global_timeout':3600,'tasks':["
            "{'name':'os','worker':'A','actions':[{'name':'a0','image':'i','timeout':60},"
            "{'name':'a1','image':'i','timeout':60,'retries':1}]},"
            "{'name':'fw','worker':'B','actions':[{'name':'b0','image':'i','timeout':60}]}]}";
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j("{" META "," SPEC "}");
    _cleanup_json_ json_t *doc = j(doc_text);
    struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
    char id[64], failed_id[64], task0[64];

    (void)state;
    reconcile_until_stable(wf, &env, doc);
    check_path(wf, "status.state", "'PENDING'", "rendered");
    check_path(wf, "status.agentID", "'A'", "rendered");
    snprintf(task0, sizeof(task0), "%s", json_string_value(jpath(wf, "status.tasks.0.id")));

    /* B has nothing to do yet; A runs a0. */
    assert_int_equal(agent_step(wf, &env, "B", "RUNNING", id, sizeof(id)),
                     -(int)WORKFLOW_NEXT_OTHER_AGENT - 1000);
    assert_int_equal(agent_step(wf, &env, "A", "RUNNING", id, sizeof(id)), 1);
    check_path(wf, "status.state", "'RUNNING'", "a0 running");
    reconcile_until_stable(wf, &env, doc);
    check_path(wf, "status.globalExecutionStop", "'2024-05-01T13:00:00Z'", "deadline armed");
    /* A reconnects: a0 is served again. */
    assert_int_equal(agent_step(wf, &env, "A", "SUCCESS", id, sizeof(id)), 1);
    check_path(wf, "status.tasks.0.actions.0.state", "'SUCCESS'", "a0 done");

    /* a1 fails once and is retried under a new id. */
    assert_int_equal(agent_step(wf, &env, "A", "FAILED", failed_id, sizeof(failed_id)), 1);
    check_path(wf, "status.tasks.0.actions.1.attempts", "1", "a1 retried");
    struct workflow_report late = {
            .agent_id = "A", .task_id = task0, .action_id = failed_id, .state = "FAILED"};
    struct workflow_plan plan = {0};
    assert_int_equal(workflow_apply_report(wf, &env, &late, &plan), -ENOENT);
    assert_int_equal(agent_step(wf, &env, "A", "SUCCESS", id, sizeof(id)), 1);
    assert_string_not_equal(id, failed_id);

    /* The workflow now belongs to B; A is told so. */
    check_path(wf, "status.agentID", "'B'", "handed over");
    assert_int_equal(agent_step(wf, &env, "A", "RUNNING", id, sizeof(id)),
                     -(int)WORKFLOW_NEXT_OTHER_AGENT - 1000);
    assert_int_equal(agent_step(wf, &env, "B", "SUCCESS", id, sizeof(id)), 1);
    check_path(wf, "status.state", "'POST'", "all done");

    reconcile_until_stable(wf, &env, doc);
    check_path(wf, "status.state", "'SUCCESS'", "finished");
    assert_int_equal(agent_step(wf, &env, "B", "SUCCESS", id, sizeof(id)),
                     -(int)WORKFLOW_NEXT_TERMINAL - 1000);
    late = (struct workflow_report){.agent_id = "B",
                                    .task_id = json_string_value(jpath(wf, "status.tasks.1.id")),
                                    .action_id = id,
                                    .state = "FAILED"};
    assert_int_equal(workflow_apply_report(wf, &env, &late, &plan), -ESTALE);
}

/* Tinkerbell #945: the controller timed the Workflow out; the agent's late
 * SUCCESS must not resurrect it. */
static void test_workflow_apply_report_after_timeout_is_stale(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf =
            j(WF("{'state':'RUNNING','agentID':'A','globalTimeout':60,'globalExecutionStop':"
                 "'2024-05-01T11:59:00Z'," TASKS("RUNNING", "PENDING", "PENDING") "}"));
    struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
    struct workflow_plan plan = {0};
    static const char *const states[] = {"SUCCESS", "FAILED", "RUNNING"};

    (void)state;
    assert_int_equal(workflow_reconcile(wf, &env, NULL, &plan), 0);
    assert_non_null(plan.status);
    check_path(plan.status, "state", "'TIMEOUT'", "timed out");
    assert_int_equal(json_object_set(wf, "status", plan.status), 0);
    workflow_plan_done(&plan);

    _cleanup_json_ json_t *frozen = json_deep_copy(wf);
    for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
        struct workflow_report r = {R("A", "t0", "a0", states[i])};
        int rc = workflow_apply_report(wf, &env, &r, &plan);
        /* RUNNING matches what the action recorded: a no-op, not an error. */
        assert_int_equal(rc, strcmp(states[i], "RUNNING") == 0 ? 0 : -ESTALE);
        assert_null(plan.status);
        assert_true(json_equal(wf, frozen));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_workflow_pick_table),
            cmocka_unit_test(test_workflow_next_action_table),
            cmocka_unit_test(test_workflow_action_response_builds_message),
            cmocka_unit_test(test_workflow_apply_report_table),
            cmocka_unit_test(test_workflow_apply_report_message_is_cut),
            cmocka_unit_test(test_workflow_apply_report_rejects_bad_args),
            cmocka_unit_test(test_workflow_full_run_two_agents),
            cmocka_unit_test(test_workflow_apply_report_after_timeout_is_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
