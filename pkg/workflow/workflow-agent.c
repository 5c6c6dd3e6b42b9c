/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's GetAction, as pure functions: which of an agent's Workflows
 * it works on, which action it gets, and the action message it receives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "workflow/workflow-internal.h"

static const char *const next_names[_WORKFLOW_NEXT_MAX] = {
        [WORKFLOW_NEXT_ACTION] = "action",       [WORKFLOW_NEXT_NO_WORKFLOW] = "no-workflow",
        [WORKFLOW_NEXT_PREPARING] = "preparing", [WORKFLOW_NEXT_OTHER_AGENT] = "other-agent",
        [WORKFLOW_NEXT_DONE] = "done",           [WORKFLOW_NEXT_TERMINAL] = "terminal",
        [WORKFLOW_NEXT_DISABLED] = "disabled",
};

const char *workflow_next_kind_to_string(enum workflow_next_kind k)
{
    if ((unsigned)k >= _WORKFLOW_NEXT_MAX)
        return NULL;
    return next_names[k];
}

int64_t workflow_action_timeout_s(const json_t *action)
{
    int64_t t = wf_int(action, "timeout");
    return t > 0 ? t : WORKFLOW_ACTION_TIMEOUT_DEFAULT_S;
}

/* ---- selection ---- */

static int pick_rank(const json_t *wf)
{
    enum workflow_state st = workflow_get_state(wf);

    if (workflow_state_is_terminal(st))
        return 5;
    if (wf_true(wf_obj(wf, "spec"), "disabled"))
        return 4;
    switch (st) {
    case WORKFLOW_STATE_RUNNING:
        return 0;
    case WORKFLOW_STATE_PENDING:
        return 1;
    case WORKFLOW_STATE_POST:
        return 2;
    default:
        return 3;
    }
}

static int64_t created_ms(const json_t *wf)
{
    int64_t ms;
    const char *ts = wf_str(wf_obj(wf, "metadata"), "creationTimestamp");
    if (!ts || workflow_time_parse(ts, &ms) < 0)
        return INT64_MAX;
    return ms;
}

/* <0 when a should be picked before b. */
static int pick_cmp(const json_t *a, const json_t *b)
{
    int ra = pick_rank(a), rb = pick_rank(b), c;
    int64_t ca = created_ms(a), cb = created_ms(b);
    const json_t *ma = wf_obj(a, "metadata"), *mb = wf_obj(b, "metadata");

    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ca != cb)
        return ca < cb ? -1 : 1;
    c = strcmp(wf_str_or_empty(ma, "namespace"), wf_str_or_empty(mb, "namespace"));
    if (c != 0)
        return c;
    return strcmp(wf_str_or_empty(ma, "name"), wf_str_or_empty(mb, "name"));
}

int workflow_pick(const json_t *const *wfs, size_t n, const char *agent_id, size_t *ret_index)
{
    size_t best = SIZE_MAX;

    assert_return(wfs || n == 0, -EINVAL);
    assert_return(agent_id, -EINVAL);
    assert_return(ret_index, -EINVAL);

    if (agent_id[0] == '\0')
        return -ENOENT;
    for (size_t i = 0; i < n; i++) {
        if (!json_is_object(wfs[i]) ||
            !wf_streq(wf_str(wf_obj(wfs[i], "status"), "agentID"), agent_id))
            continue;
        if (best == SIZE_MAX || pick_cmp(wfs[i], wfs[best]) < 0)
            best = i;
    }
    if (best == SIZE_MAX)
        return -ENOENT;
    *ret_index = best;
    return 0;
}

/* ---- next action ---- */

void workflow_next_done(struct workflow_next *n)
{
    if (!n)
        return;
    json_decref(n->status);
    *n = (struct workflow_next){0};
}

static enum workflow_next_kind
next_kind(const json_t *wf, const char *agent_id, size_t *t, size_t *a)
{
    const json_t *status = wf_obj(wf, "status");
    enum workflow_state st = workflow_get_state(wf);
    int r;

    if (workflow_state_is_terminal(st))
        return WORKFLOW_NEXT_TERMINAL;
    if (wf_true(wf_obj(wf, "spec"), "disabled"))
        return WORKFLOW_NEXT_DISABLED;
    if (st == WORKFLOW_STATE_POST)
        return WORKFLOW_NEXT_DONE;
    if (st != WORKFLOW_STATE_PENDING && st != WORKFLOW_STATE_RUNNING)
        return WORKFLOW_NEXT_PREPARING;

    r = wf_cursor(status, t, a);
    if (r == -ENOENT)
        return WORKFLOW_NEXT_NO_WORKFLOW;
    if (r == 0)
        return WORKFLOW_NEXT_DONE;
    const char *as = wf_str(wf_action_at(status, *t, *a), "state");
    if (!wf_streq(as, WF_PENDING) && !wf_streq(as, WF_RUNNING))
        return WORKFLOW_NEXT_TERMINAL;
    if (!wf_streq(wf_str(wf_task_at(status, *t), "agentID"), agent_id))
        return WORKFLOW_NEXT_OTHER_AGENT;
    return WORKFLOW_NEXT_ACTION;
}

int workflow_next_action(const json_t *wf, const char *agent_id, struct workflow_next *ret)
{
    _cleanup_json_ json_t *st = NULL;
    size_t t = 0, a = 0;
    int r;

    assert_return(json_is_object(wf), -EINVAL);
    assert_return(agent_id && agent_id[0], -EINVAL);
    assert_return(ret, -EINVAL);
    size_t len = strnlen(agent_id, WORKFLOW_REPORT_ID_MAX + 1);
    if (len > WORKFLOW_REPORT_ID_MAX || !wf_utf8_valid(agent_id, len))
        return -EINVAL;

    enum workflow_next_kind kind = next_kind(wf, agent_id, &t, &a);
    if (kind != WORKFLOW_NEXT_ACTION) {
        *ret = (struct workflow_next){.kind = kind};
        return 0;
    }
    st = json_deep_copy(wf_obj(wf, "status"));
    if (!st)
        return -ENOMEM;
    r = wf_current_state_set(st, agent_id, t, a);
    if (r < 0)
        return r;
    if (json_equal(st, wf_obj(wf, "status"))) {
        json_decref(st);
        st = NULL;
    }
    *ret = (struct workflow_next){.kind = kind, .task = t, .action = a, .status = TAKE_PTR(st)};
    return 0;
}

/* ---- the action message ---- */

static int append_strings(json_t *dst, const json_t *src)
{
    json_t *e;
    size_t i;

    json_array_foreach(src, i, e) {
        if (json_is_string(e) && json_array_append(dst, e) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sorts an array of strings in place, bytewise (Go's sort.Strings). */
static int sort_strings(json_t *arr)
{
    size_t n = json_array_size(arr);
    _cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));

    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), cmp_json_str);
    json_array_clear(arr);
    int r = 0;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, v[i]) < 0)
            r = -ENOMEM;
    return r;
}

/* Task environment overlaid by the action's, as sorted "K=V" strings. */
static json_t *environment(const json_t *task, const json_t *action)
{
    _cleanup_json_ json_t *merged = json_object(), *out = json_array();
    const char *k;
    json_t *v;

    if (!merged || !out)
        return NULL;
    json_object_foreach(wf_obj(task, "environment"), k, v) {
        if (json_is_string(v) && json_object_set(merged, k, v) < 0)
            return NULL;
    }
    json_object_foreach(wf_obj(action, "environment"), k, v) {
        if (json_is_string(v) && json_object_set(merged, k, v) < 0)
            return NULL;
    }
    json_object_foreach(merged, k, v) {
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s=%s", k, json_string_value(v)) < 0) {
            line = NULL;
            return NULL;
        }
        if (json_array_append_new(out, json_string(line)) < 0)
            return NULL;
    }
    if (sort_strings(out) < 0)
        return NULL;
    return TAKE_PTR(out);
}

int workflow_action_response(const json_t *wf, const struct workflow_next *next, json_t **ret)
{
    _cleanup_json_ json_t *resp = NULL, *volumes = NULL;
    _cleanup_free_ char *wfid = NULL;
    const json_t *meta = wf_obj(wf, "metadata"), *status = wf_obj(wf, "status");
    json_t *task, *action, *ns;
    const char *pid;

    assert_return(json_is_object(wf), -EINVAL);
    assert_return(next && next->kind == WORKFLOW_NEXT_ACTION, -EINVAL);
    assert_return(ret, -EINVAL);

    task = wf_task_at(status, next->task);
    action = wf_action_at(status, next->task, next->action);
    if (!task || !action)
        return -EINVAL;
    if (asprintf(&wfid, "%s/%s", wf_str_or_empty(meta, "namespace"),
                 wf_str_or_empty(meta, "name")) < 0) {
        wfid = NULL;
        return -ENOMEM;
    }
    volumes = json_array();
    if (!volumes || append_strings(volumes, wf_arr(task, "volumes")) < 0 ||
        append_strings(volumes, wf_arr(action, "volumes")) < 0)
        return -ENOMEM;
    ns = wf_obj(action, "namespaces");
    pid = wf_str(ns, "pid");
    if (!pid || pid[0] == '\0')
        pid = wf_str_or_empty(action, "pid");

    resp = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:O, s:o, s:s, s:o}", "workflowID", wfid,
            "taskID", wf_str_or_empty(task, "id"), "agentID", wf_str_or_empty(task, "agentID"),
            "actionID", wf_str_or_empty(action, "id"), "name", wf_str_or_empty(action, "name"),
            "image", wf_str_or_empty(action, "image"), "timeout",
            (json_int_t)workflow_action_timeout_s(action), "command",
            wf_arr(action, "command") ? json_deep_copy(wf_arr(action, "command")) : json_array(),
            "volumes", volumes, "environment", environment(task, action), "pid", pid, "namespaces",
            ns ? json_deep_copy(ns) : json_object());
    if (!resp)
        return -ENOMEM;
    *ret = TAKE_PTR(resp);
    return 0;
}
