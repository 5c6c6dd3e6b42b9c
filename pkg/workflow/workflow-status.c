/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workflow states, the task/action cursor, currentState and the failure
 * path shared by agent reports and controller timeouts (including the anvil
 * retry extension).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/workflow-internal.h"

static const char *const state_names[_WORKFLOW_STATE_MAX] = {
        [WORKFLOW_STATE_NEW] = "",
        [WORKFLOW_STATE_PREPARING] = "PREPARING",
        [WORKFLOW_STATE_PENDING] = "PENDING",
        [WORKFLOW_STATE_RUNNING] = "RUNNING",
        [WORKFLOW_STATE_POST] = "POST",
        [WORKFLOW_STATE_SUCCESS] = "SUCCESS",
        [WORKFLOW_STATE_FAILED] = "FAILED",
        [WORKFLOW_STATE_TIMEOUT] = "TIMEOUT",
};

/* tink <= v0.12 wrote these. A run that had not finished is rendered again;
 * one that had finished stays finished. */
static const struct {
    const char *name;
    enum workflow_state state;
} legacy_states[] = {
        {"STATE_PENDING", WORKFLOW_STATE_LEGACY},      {"STATE_PREPARING", WORKFLOW_STATE_LEGACY},
        {"STATE_RUNNING", WORKFLOW_STATE_LEGACY},      {"STATE_POST", WORKFLOW_STATE_LEGACY_DONE},
        {"STATE_SUCCESS", WORKFLOW_STATE_LEGACY_DONE}, {"STATE_FAILED", WORKFLOW_STATE_LEGACY_DONE},
        {"STATE_TIMEOUT", WORKFLOW_STATE_LEGACY_DONE},
};

enum workflow_state workflow_state_from_string(const char *s)
{
    if (!s)
        return WORKFLOW_STATE_NEW;
    for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
        if (state_names[i] && strcmp(s, state_names[i]) == 0)
            return (enum workflow_state)i;
    for (size_t i = 0; i < ARRAY_SIZE(legacy_states); i++)
        if (strcmp(s, legacy_states[i].name) == 0)
            return legacy_states[i].state;
    return WORKFLOW_STATE_UNKNOWN;
}

const char *workflow_state_to_string(enum workflow_state s)
{
    if ((unsigned)s >= _WORKFLOW_STATE_MAX)
        return NULL;
    return state_names[s];
}

bool workflow_state_is_terminal(enum workflow_state s)
{
    return s == WORKFLOW_STATE_SUCCESS || s == WORKFLOW_STATE_FAILED ||
           s == WORKFLOW_STATE_TIMEOUT || s == WORKFLOW_STATE_LEGACY_DONE;
}

enum workflow_state workflow_get_state(const json_t *wf)
{
    if (!json_is_object(wf))
        return WORKFLOW_STATE_UNKNOWN;
    json_t *v = json_object_get(wf_obj(wf, "status"), "state");
    if (v && !json_is_string(v))
        return WORKFLOW_STATE_UNKNOWN;
    return workflow_state_from_string(json_string_value(v));
}

json_t *wf_task_at(const json_t *status, size_t t)
{
    json_t *task = json_array_get(wf_arr(status, "tasks"), t);
    return json_is_object(task) ? task : NULL;
}

json_t *wf_action_at(const json_t *status, size_t t, size_t a)
{
    json_t *action = json_array_get(wf_arr(wf_task_at(status, t), "actions"), a);
    return json_is_object(action) ? action : NULL;
}

int wf_cursor(const json_t *status, size_t *ret_task, size_t *ret_action)
{
    json_t *tasks = wf_arr(status, "tasks");
    json_t *task, *action;
    size_t t, a;

    if (!tasks || json_array_size(tasks) == 0)
        return -ENOENT;
    json_array_foreach(tasks, t, task) {
        json_array_foreach(wf_arr(task, "actions"), a, action) {
            if (!wf_streq(wf_str(action, "state"), WF_SUCCESS)) {
                *ret_task = t;
                *ret_action = a;
                return 1;
            }
        }
    }
    return 0;
}

int wf_current_state_set(json_t *status, const char *agent_id, size_t t, size_t a)
{
    json_t *task = wf_task_at(status, t);
    json_t *action = wf_action_at(status, t, a);
    json_t *cs;

    if (!task || !action)
        return -EINVAL;
    cs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "agentID", agent_id ? agent_id : "", "taskID",
                   wf_str_or_empty(task, "id"), "actionID", wf_str_or_empty(action, "id"), "state",
                   wf_str_or_empty(action, "state"), "actionName", wf_str_or_empty(action, "name"),
                   "taskName", wf_str_or_empty(task, "name"));
    return wf_set(status, "currentState", cs);
}

int wf_agent_follow(json_t *status, size_t t)
{
    const char *agent = wf_str(wf_task_at(status, t), "agentID");

    if (!agent || wf_streq(wf_str(status, "agentID"), agent))
        return 0;
    int r = wf_set_str(status, "agentID", agent);
    return r < 0 ? r : 1;
}

/* Puts the action back for another attempt under a fresh id. */
static int action_retry(json_t *status,
                        size_t t,
                        size_t a,
                        const char *state,
                        const char *message,
                        const struct workflow_env *env,
                        struct workflow_plan *plan)
{
    json_t *task = wf_task_at(status, t);
    json_t *action = wf_action_at(status, t, a);
    char id[WORKFLOW_ULID_LEN + 1];
    int64_t retries = wf_int(action, "retries");
    int64_t attempts = MAX(wf_int(action, "attempts"), 0);
    _cleanup_free_ char *text = NULL;
    int r;

    if (!env->ids)
        return -EINVAL;
    r = workflow_ulid_next(env->ids, env->now_ms, id);
    if (r < 0)
        return r;
    if (asprintf(&text, "attempt %lld of %lld ended %s: %s", (long long)attempts + 1,
                 (long long)retries + 1, state, message ? message : "") < 0) {
        text = NULL;
        return -ENOMEM;
    }
    (void)json_object_del(action, "executionStart");
    (void)json_object_del(action, "executionStop");
    (void)json_object_del(action, "executionDuration");
    r = wf_update(action,
                  json_pack("{s:s, s:s, s:I, s:o}", "id", id, "state", WF_PENDING, "attempts",
                            (json_int_t)(attempts + 1), "message", wf_message_string(text)));
    if (r >= 0)
        r = wf_set_str(status, "state", "RUNNING");
    if (r < 0)
        return r;
    wf_event(plan, "Warning", "ActionRetry",
             "action %s of task %s ended %s, retrying (attempt %lld of %lld): %s",
             wf_str_or_empty(action, "name"), wf_str_or_empty(task, "name"), state,
             (long long)attempts + 2, (long long)retries + 1, message ? message : "");
    return 0;
}

int wf_action_fail(json_t *status,
                   size_t t,
                   size_t a,
                   const char *state,
                   const char *message,
                   const struct workflow_env *env,
                   struct workflow_plan *plan)
{
    json_t *task = wf_task_at(status, t);
    json_t *action = wf_action_at(status, t, a);
    int r;

    if (!task || !action)
        return -EINVAL;
    int64_t retries = MIN(wf_int(action, "retries"), (int64_t)WORKFLOW_ACTION_RETRIES_MAX);
    if (MAX(wf_int(action, "attempts"), 0) < retries)
        return action_retry(status, t, a, state, message, env, plan);

    r = wf_update(action,
                  json_pack("{s:s, s:o}", "state", state, "message", wf_message_string(message)));
    if (r >= 0)
        r = wf_set_str(status, "state", state);
    if (r < 0)
        return r;
    wf_event(plan, "Warning", strcmp(state, WF_TIMEOUT) == 0 ? "ActionTimeout" : "ActionFailed",
             "action %s of task %s ended %s; workflow %s: %s", wf_str_or_empty(action, "name"),
             wf_str_or_empty(task, "name"), state, state, message ? message : "");
    return 0;
}

const char *wf_rerun_token(const json_t *wf, bool *ret_invalid)
{
    const char *token =
            wf_str(wf_obj(wf_obj(wf, "metadata"), "annotations"), WORKFLOW_RERUN_ANNOTATION);
    bool invalid = token && strlen(token) > WORKFLOW_RERUN_TOKEN_MAX;

    if (ret_invalid)
        *ret_invalid = invalid;
    if (!token || token[0] == '\0' || invalid)
        return NULL;
    return token;
}

bool wf_rerun_requested(const json_t *wf)
{
    const char *token = wf_rerun_token(wf, NULL);
    if (!token || wf_true(wf_obj(wf, "spec"), "disabled"))
        return false;
    json_t *c = wf_condition_get(wf_obj(wf, "status"), WORKFLOW_CONDITION_RERUN);
    return !c || !wf_streq(wf_str(c, "status"), "True") || !wf_streq(wf_str(c, "message"), token);
}
