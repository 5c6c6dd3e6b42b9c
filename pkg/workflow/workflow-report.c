/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ReportActionStatus as a pure function: the report is validated as
 * untrusted input, must name the action in progress, and can never move a
 * finished Workflow (Tinkerbell #945). Repeating a report changes nothing.
 */
#include <errno.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "workflow/workflow-internal.h"

static bool field_ok(const char *s, size_t max, bool required)
{
    if (!s || s[0] == '\0')
        return !required;
    size_t len = strnlen(s, max + 1);
    return len <= max && wf_utf8_valid(s, len);
}

static bool state_ok(const char *s)
{
    return s && (strcmp(s, WF_RUNNING) == 0 || strcmp(s, WF_SUCCESS) == 0 ||
                 strcmp(s, WF_FAILED) == 0 || strcmp(s, WF_TIMEOUT) == 0);
}

/* Parses an optional time into the canonical status form; "" when absent. */
static int report_time(const char *s, char out[WORKFLOW_TIME_LEN + 1])
{
    int64_t ms;

    out[0] = '\0';
    if (!s || s[0] == '\0')
        return 0;
    if (strnlen(s, 65) > 64 || workflow_time_parse(s, &ms) < 0 || workflow_time_format(ms, out) < 0)
        return -EBADMSG;
    return 0;
}

static int report_validate(const struct workflow_report *r,
                           char start[WORKFLOW_TIME_LEN + 1],
                           char stop[WORKFLOW_TIME_LEN + 1])
{
    if (!field_ok(r->agent_id, WORKFLOW_REPORT_ID_MAX, true) ||
        !field_ok(r->task_id, WORKFLOW_REPORT_ID_MAX, true) ||
        !field_ok(r->action_id, WORKFLOW_REPORT_ID_MAX, true) || !state_ok(r->state) ||
        !field_ok(r->execution_duration, WORKFLOW_REPORT_DURATION_MAX, false))
        return -EBADMSG;
    if (r->message) {
        size_t len = strlen(r->message);
        if (!wf_utf8_valid(r->message, wf_utf8_cut(r->message, len, WORKFLOW_MESSAGE_MAX)))
            return -EBADMSG;
    }
    if (report_time(r->execution_start, start) < 0 || report_time(r->execution_stop, stop) < 0)
        return -EBADMSG;
    return 0;
}

/* Finds the task (by id, assigned to the agent) and the action in it. */
static int
report_find(const json_t *status, const struct workflow_report *r, size_t *ret_t, size_t *ret_a)
{
    json_t *task, *action;
    size_t t, a;

    json_array_foreach(wf_arr(status, "tasks"), t, task) {
        if (!wf_streq(wf_str(task, "id"), r->task_id) ||
            !wf_streq(wf_str(task, "agentID"), r->agent_id))
            continue;
        json_array_foreach(wf_arr(task, "actions"), a, action) {
            if (wf_streq(wf_str(action, "id"), r->action_id)) {
                *ret_t = t;
                *ret_a = a;
                return 0;
            }
        }
    }
    return -ENOENT;
}

static bool is_last_action(const json_t *status, size_t t, size_t a)
{
    return t + 1 == json_array_size(wf_arr(status, "tasks")) &&
           a + 1 == json_array_size(wf_arr(wf_task_at(status, t), "actions"));
}

/* executionStart. The first RUNNING report starts the clock of the
 * controller's action timeout, so a start visibly off the gateway's clock
 * (beyond the grace; e.g. a boot environment without RTC or NTP) is replaced
 * by the receipt time. Later RUNNING reports (repeats, or an agent that
 * restarted the action) keep it: the action has been running since then, and
 * a repeat stays a no-op whatever the clocks say. Final reports record what
 * the agent says, as upstream. */
static int
record_start(json_t *action, const struct workflow_report *r, const char *start, int64_t now_ms)
{
    char now[WORKFLOW_TIME_LEN + 1];
    int64_t ms;

    if (strcmp(r->state, WF_RUNNING) != 0)
        return start[0] ? wf_set_str(action, "executionStart", start) : 0;
    if (wf_str(action, "executionStart") && wf_streq(wf_str(action, "state"), WF_RUNNING))
        return 0;
    if (start[0] && workflow_time_parse(start, &ms) == 0 &&
        (ms > now_ms ? ms - now_ms : now_ms - ms) <= WORKFLOW_ACTION_TIMEOUT_GRACE_MS)
        return wf_set_str(action, "executionStart", start);
    if (workflow_time_format(now_ms, now) < 0)
        return 0;
    return wf_set_str(action, "executionStart", now);
}

/* Records the report on the action in progress (t, a) of st. */
static int report_record(json_t *st,
                         size_t t,
                         size_t a,
                         const struct workflow_report *r,
                         const char *start,
                         const char *stop,
                         const struct workflow_env *env,
                         struct workflow_plan *plan)
{
    json_t *action = wf_action_at(st, t, a);
    bool was_pending = wf_streq(wf_str(st, "state"), "PENDING");
    size_t nt, na;
    int rc;

    rc = record_start(action, r, start, env->now_ms);
    if (rc >= 0 && stop[0])
        rc = wf_set_str(action, "executionStop", stop);
    if (rc >= 0 && r->execution_duration && r->execution_duration[0])
        rc = wf_set_str(action, "executionDuration", r->execution_duration);
    if (rc >= 0 && r->message && r->message[0])
        rc = wf_set(action, "message", wf_message_string(r->message));
    if (rc < 0)
        return rc;

    if (strcmp(r->state, WF_FAILED) == 0 || strcmp(r->state, WF_TIMEOUT) == 0) {
        rc = wf_action_fail(st, t, a, r->state, r->message, env, plan);
    } else if (strcmp(r->state, WF_RUNNING) == 0) {
        rc = wf_set_str(action, "state", WF_RUNNING);
        if (rc >= 0)
            rc = wf_set_str(st, "state", "RUNNING");
    } else if (is_last_action(st, t, a)) {
        rc = wf_set_str(action, "state", WF_SUCCESS);
        if (rc >= 0)
            rc = wf_set_str(st, "state", "POST");
        if (rc >= 0)
            wf_event(plan, "Normal", "ActionsSucceeded", "all actions succeeded; state POST");
    } else {
        rc = wf_set_str(action, "state", WF_SUCCESS);
        if (rc >= 0)
            rc = wf_set_str(st, "state", "RUNNING");
        /* Hand the Workflow to the next task's agent as soon as its task is due. */
        if (rc >= 0 && wf_cursor(st, &nt, &na) == 1)
            rc = wf_agent_follow(st, nt);
    }
    if (rc < 0)
        return rc;
    if (was_pending && wf_streq(wf_str(st, "state"), "RUNNING"))
        wf_event(plan, "Normal", "Started", "agent %s started the workflow", r->agent_id);
    rc = wf_current_state_set(st, r->agent_id, t, a);
    return rc < 0 ? rc : 0;
}

int workflow_apply_report(const json_t *wf,
                          const struct workflow_env *env,
                          const struct workflow_report *report,
                          struct workflow_plan *ret)
{
    _cleanup_json_ json_t *st = NULL;
    struct workflow_plan plan = {0};
    char start[WORKFLOW_TIME_LEN + 1], stop[WORKFLOW_TIME_LEN + 1];
    const json_t *status = wf_obj(wf, "status");
    size_t t, a, ct, ca;
    int r;

    assert_return(json_is_object(wf), -EINVAL);
    assert_return(env, -EINVAL);
    assert_return(report, -EINVAL);
    assert_return(ret, -EINVAL);

    r = report_validate(report, start, stop);
    if (r < 0)
        return r;
    r = report_find(status, report, &t, &a);
    if (r < 0)
        return r;

    enum workflow_state state = workflow_get_state(wf);
    const char *recorded = wf_str(wf_action_at(status, t, a), "state");
    bool same = wf_streq(recorded, report->state);

    if (state != WORKFLOW_STATE_PENDING && state != WORKFLOW_STATE_RUNNING) {
        /* Terminal, POST, or not started: a late or foreign report. */
        if (!same)
            return -ESTALE;
        *ret = plan;
        return 0;
    }
    r = wf_cursor(status, &ct, &ca);
    if (r < 0)
        return r;
    if (r == 0 || t < ct || (t == ct && a < ca)) {
        /* The action already succeeded. */
        if (!same)
            return -ESTALE;
        *ret = plan;
        return 0;
    }
    if (t != ct || a != ca)
        return -EPROTO;
    if (!wf_streq(recorded, WF_PENDING) && !wf_streq(recorded, WF_RUNNING)) {
        if (!same)
            return -ESTALE;
        *ret = plan;
        return 0;
    }

    st = json_deep_copy(status);
    if (!st)
        return -ENOMEM;
    r = report_record(st, t, a, report, start, stop, env, &plan);
    if (r < 0) {
        workflow_plan_done(&plan);
        return r;
    }
    if (json_equal(st, status)) {
        *ret = (struct workflow_plan){0};
        return 0;
    }
    plan.status = TAKE_PTR(st);
    *ret = plan;
    return 1;
}
