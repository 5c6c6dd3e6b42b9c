/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller side of the state machine (upstream tink-controller's
 * reconciler.go, pre.go and post.go): one pure step per call, from the
 * stored Workflow to the next status plus the effects to carry out first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "workflow/workflow-internal.h"

struct step {
    const json_t *wf;
    const json_t *spec;
    const json_t *boot; /* spec.bootOptions, may be NULL */
    const struct workflow_env *env;
    const struct workflow_reconcile_opts *opts;
    enum workflow_state state;
    json_t *st; /* the status being computed (owned) */
    struct workflow_plan plan;
};

static const char *const boot_job_names[_WORKFLOW_BOOT_JOB_MAX] = {
        [WORKFLOW_BOOT_JOB_NETBOOT] = "netboot",
        [WORKFLOW_BOOT_JOB_ISO_MOUNT] = "iso-mount",
        [WORKFLOW_BOOT_JOB_ISO_EJECT] = "iso-eject",
        [WORKFLOW_BOOT_JOB_CUSTOMBOOT_PREPARING] = "customboot-preparing",
        [WORKFLOW_BOOT_JOB_CUSTOMBOOT_POST] = "customboot-post",
};

const char *workflow_boot_job_to_string(enum workflow_boot_job job)
{
    if ((unsigned)job >= _WORKFLOW_BOOT_JOB_MAX)
        return NULL;
    return boot_job_names[job];
}

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int64_t sat_mul_1000(int64_t s)
{
    if (s > INT64_MAX / 1000)
        return INT64_MAX;
    if (s < INT64_MIN / 1000)
        return INT64_MIN;
    return s * 1000;
}

static bool iso_mode(const char *mode)
{
    return wf_streq(mode, "iso") || wf_streq(mode, "isoboot");
}

/* The job bootMode needs in PREPARING (post = false) or POST. customboot
 * with no actions for that phase needs none. */
static enum workflow_boot_job boot_job_for(const json_t *boot, bool post)
{
    const char *mode = wf_str(boot, "bootMode");
    json_t *custom = wf_obj(boot, "custombootConfig");

    if (wf_streq(mode, "netboot"))
        return post ? WORKFLOW_BOOT_JOB_NONE : WORKFLOW_BOOT_JOB_NETBOOT;
    if (iso_mode(mode))
        return post ? WORKFLOW_BOOT_JOB_ISO_EJECT : WORKFLOW_BOOT_JOB_ISO_MOUNT;
    if (wf_streq(mode, "customboot")) {
        if (json_array_size(wf_arr(custom, post ? "postActions" : "preparingActions")) == 0)
            return WORKFLOW_BOOT_JOB_NONE;
        return post ? WORKFLOW_BOOT_JOB_CUSTOMBOOT_POST : WORKFLOW_BOOT_JOB_CUSTOMBOOT_PREPARING;
    }
    return WORKFLOW_BOOT_JOB_NONE;
}

enum workflow_boot_job workflow_boot_job_wanted(const json_t *wf)
{
    const json_t *boot = wf_obj(wf_obj(wf, "spec"), "bootOptions");

    switch (workflow_get_state(wf)) {
    case WORKFLOW_STATE_PREPARING:
        return boot_job_for(boot, false);
    case WORKFLOW_STATE_POST:
        return boot_job_for(boot, true);
    default:
        return WORKFLOW_BOOT_JOB_NONE;
    }
}

int workflow_boot_job_name(const json_t *wf, enum workflow_boot_job job, char **ret)
{
    const char *prefix = workflow_boot_job_to_string(job);
    const char *name = wf_str(wf_obj(wf, "metadata"), "name");
    char *s;

    assert_return(ret, -EINVAL);
    if (!prefix || !name || name[0] == '\0')
        return -EINVAL;
    if (strlen(prefix) + 1 + strlen(name) > 253)
        return -ENAMETOOLONG;
    if (asprintf(&s, "%s-%s", prefix, name) < 0)
        return -ENOMEM;
    *ret = s;
    return 0;
}

static int set_state(struct step *s, const char *state)
{
    int r = wf_set_str(s->st, "state", state);
    if (r >= 0)
        s->state = workflow_state_from_string(state);
    return r;
}

/* ---- render ---- */

static int render_failed(struct step *s, const char *message)
{
    int r;

    r = wf_set_str(s->st, "templateRendering", "failed");
    if (r < 0)
        return r;
    r = wf_condition_set(s->st, WF_COND_RENDERED, "False", "Error", message, s->env->now_ms);
    if (r < 0)
        return r;
    s->plan.effects |= WORKFLOW_EFFECT_BACKOFF;
    wf_event(&s->plan, "Warning", "TemplateRenderFailed", "%s", message);
    return 0;
}

/* Keeps the Rerun condition of the old status in the new one. */
static int carry_rerun(const json_t *old, json_t *st)
{
    json_t *c = wf_condition_get(old, WORKFLOW_CONDITION_RERUN);
    json_t *conds;

    if (!c)
        return 0;
    conds = wf_arr(st, "conditions");
    if (!conds) {
        conds = json_array();
        if (wf_set(st, "conditions", conds) < 0)
            return -ENOMEM;
    }
    return json_array_append_new(conds, json_deep_copy(c)) < 0 ? -ENOMEM : 0;
}

static int step_render(struct step *s)
{
    _cleanup_json_ json_t *st = NULL;
    char err[512], msg[600];
    size_t n_actions = 0;
    json_t *task;
    size_t i;
    int r;

    if (!s->opts || (!s->opts->rendered && !s->opts->render_error))
        return -EINVAL;
    if (!s->opts->rendered)
        return render_failed(s, s->opts->render_error);

    err[0] = '\0';
    r = wf_status_from_rendered(s->opts->rendered, s->env, &st, err, sizeof(err));
    if (r == -EBADMSG) {
        (void)snprintf(msg, sizeof(msg), "rendered template is malformed: %s", err);
        return render_failed(s, msg);
    }
    if (r < 0)
        return r;

    bool preparing =
            wf_true(s->boot, "toggleAllowNetboot") || !wf_streq(wf_str(s->boot, "bootMode"), "");
    r = wf_set_str(st, "templateRendering", "successful");
    if (r >= 0)
        r = wf_condition_set(st, WF_COND_RENDERED, "True", "Complete",
                             "template rendered successfully", s->env->now_ms);
    if (r >= 0)
        r = carry_rerun(s->st, st);
    if (r < 0)
        return r;
    json_decref(s->st);
    s->st = TAKE_PTR(st);
    r = set_state(s, preparing ? "PREPARING" : "PENDING");
    if (r < 0)
        return r;
    if (preparing)
        s->plan.effects |= WORKFLOW_EFFECT_REQUEUE;

    json_array_foreach(wf_arr(s->st, "tasks"), i, task)
        n_actions += json_array_size(wf_arr(task, "actions"));
    wf_event(&s->plan, "Normal", "TemplateRendered",
             "template %s rendered: %zu task(s), %zu action(s), agent %s; state %s",
             wf_str_or_empty(s->spec, "templateRef"), json_array_size(wf_arr(s->st, "tasks")),
             n_actions, wf_str_or_empty(s->st, "agentID"), preparing ? "PREPARING" : "PENDING");
    return 0;
}

/* spec.disabled: upstream persists only status.agentID (the server's index). */
static int step_disabled(struct step *s)
{
    if (s->state != WORKFLOW_STATE_NEW && s->state != WORKFLOW_STATE_LEGACY)
        return 0;
    if (!s->opts || (!s->opts->rendered && !s->opts->render_error))
        return -EINVAL;
    const char *worker = wf_str(json_array_get(wf_arr(s->opts->rendered, "tasks"), 0), "worker");
    if (!worker || worker[0] == '\0')
        return 0;
    return wf_set_str(s->st, "agentID", worker);
}

/* ---- re-run ---- */

static int step_rerun(struct step *s)
{
    bool invalid;
    const char *token = wf_rerun_token(s->wf, &invalid);
    int r;

    if (invalid) {
        r = wf_condition_set(s->st, WORKFLOW_CONDITION_RERUN, "False", "InvalidToken",
                             "the " WORKFLOW_RERUN_ANNOTATION
                             " value is longer than 253 characters and is ignored",
                             s->env->now_ms);
        if (r > 0)
            wf_event(&s->plan, "Warning", "RerunIgnored",
                     "the " WORKFLOW_RERUN_ANNOTATION " value is too long; ignored");
        return r < 0 ? r : 0;
    }
    if (!token || !wf_rerun_requested(s->wf))
        return 0;

    if (s->state != WORKFLOW_STATE_NEW && s->state != WORKFLOW_STATE_LEGACY) {
        const char *old = wf_str_or_empty(s->st, "state");
        wf_event(&s->plan, "Normal", "Rerun",
                 "re-run requested (%s=%s): state %s reset for a fresh render",
                 WORKFLOW_RERUN_ANNOTATION, token, old[0] ? old : "\"\"");
        json_decref(s->st);
        s->st = json_object();
        if (!s->st)
            return -ENOMEM;
        s->state = WORKFLOW_STATE_NEW;
    }
    r = wf_condition_set(s->st, WORKFLOW_CONDITION_RERUN, "True", "TokenAccepted", token,
                         s->env->now_ms);
    return r < 0 ? r : 0;
}

/* ---- PREPARING and POST ---- */

/* Sets allowPXE through an effect, once per direction. Returns 1 when done
 * (or nothing to do), 0 when the Workflow failed. */
static int toggle_netboot(struct step *s, bool allow)
{
    const char *flag = allow ? "toggledTrue" : "toggledFalse";
    const char *type = allow ? WF_COND_NETBOOT_TRUE : WF_COND_NETBOOT_FALSE;
    const char *value = allow ? "true" : "false";
    const char *hw = wf_str_or_empty(s->spec, "hardwareRef");
    json_t *an;
    char msg[400];
    int r;

    if (!wf_true(s->boot, "toggleAllowNetboot") ||
        wf_true(wf_obj(wf_obj(s->st, "bootOptions"), "allowNetboot"), flag))
        return 1;

    if (!s->opts || !s->opts->hardware) {
        (void)snprintf(msg, sizeof(msg), "error setting allowPXE to %s: hardware %.200s not found",
                       value, hw[0] ? hw : "(no hardwareRef)");
        r = wf_condition_set(s->st, type, "False", "Error", msg, s->env->now_ms);
        if (r >= 0)
            r = set_state(s, WF_FAILED);
        if (r < 0)
            return r;
        wf_event(&s->plan, "Warning", "AllowNetbootFailed", "%s; workflow FAILED", msg);
        return 0;
    }
    an = wf_obj_ensure(wf_obj_ensure(s->st, "bootOptions"), "allowNetboot");
    if (!an || wf_set_bool(an, flag, true) < 0)
        return -ENOMEM;
    (void)snprintf(msg, sizeof(msg), "set allowPXE to %s", value);
    r = wf_condition_set(s->st, type, "True", "Complete", msg, s->env->now_ms);
    if (r < 0)
        return r;
    s->plan.effects |= allow ? WORKFLOW_EFFECT_ALLOW_PXE_TRUE : WORKFLOW_EFFECT_ALLOW_PXE_FALSE;
    wf_event(&s->plan, "Normal", type, "set allowPXE to %s on Hardware %s", value, hw);
    return 1;
}

_printf_(4, 5) static int job_condition(
        struct step *s, const char *type, const char *reason, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int r = wf_condition_set(s->st, type, "True", reason, msg, s->env->now_ms);
    return r < 0 ? r : 0;
}

/* Drives one boot job. Returns 1 when it is complete (or skipped), 0 while
 * waiting or after failing the Workflow. */
static int boot_job(struct step *s, enum workflow_boot_job job, bool post)
{
    _cleanup_free_ char *name = NULL;
    const char *mode = wf_str_or_empty(s->boot, "bootMode");
    json_t *jobs, *entry;
    int r;

    r = workflow_boot_job_name(s->wf, job, &name);
    if (r < 0)
        return r;
    jobs = wf_obj(wf_obj(s->st, "bootOptions"), "jobs");
    if (wf_true(wf_obj(jobs, name), "complete"))
        return 1;

    if (!s->opts || !s->opts->bmc_jobs) {
        if (post) {
            /* The run is over; do not hold the machine in POST for a job
             * that cannot be created. */
            r = job_condition(s, WF_COND_JOB_SETUP_FAILED, "BMCUnavailable",
                              "post boot job %s skipped: BMC jobs are not available", name);
            return r < 0 ? r : 1;
        }
        r = job_condition(s, WF_COND_JOB_SETUP_FAILED, "BMCUnavailable",
                          "bootMode needs the BMC job %s (bmc.tinkerbell.org), which is not "
                          "available; the Workflow stays PREPARING",
                          name);
        if (r == 0)
            wf_event(&s->plan, "Warning", "BootModeNeedsBMC",
                     "bootMode %s needs BMC job %s; BMC support is not available", mode, name);
        return r < 0 ? r : 0;
    }
    if (iso_mode(mode) && wf_streq(wf_str(s->boot, "isoURL"), "")) {
        r = job_condition(s, WF_COND_JOB_SETUP_FAILED, "Error",
                          "bootMode %s needs bootOptions.isoURL", mode);
        if (r >= 0)
            r = set_state(s, WF_FAILED);
        if (r < 0)
            return r;
        wf_event(&s->plan, "Warning", "BootJobFailed", "bootMode %s without isoURL", mode);
        return 0;
    }

    switch (s->opts->boot_job) {
    case WORKFLOW_JOB_COMPLETE:
        jobs = wf_obj_ensure(wf_obj_ensure(s->st, "bootOptions"), "jobs");
        entry = jobs ? wf_obj_ensure(jobs, name) : NULL;
        if (!entry || wf_set_bool(entry, "complete", true) < 0)
            return -ENOMEM;
        r = job_condition(s, WF_COND_JOB_COMPLETE, "Complete", "job %s completed", name);
        return r < 0 ? r : 1;
    case WORKFLOW_JOB_FAILED:
        r = job_condition(s, WF_COND_JOB_FAILED, "Error", "job %s failed", name);
        if (r >= 0)
            r = set_state(s, WF_FAILED);
        if (r < 0)
            return r;
        wf_event(&s->plan, "Warning", "BootJobFailed", "boot job %s failed; workflow FAILED", name);
        return 0;
    case WORKFLOW_JOB_RUNNING:
        r = job_condition(s, WF_COND_JOB_RUNNING, "Running", "job %s is running", name);
        s->plan.requeue_after_ms = WORKFLOW_BOOT_JOB_POLL_MS;
        return r < 0 ? r : 0;
    default:
        r = job_condition(s, WF_COND_JOB_RUNNING, "Created", "job %s created", name);
        s->plan.effects |= WORKFLOW_EFFECT_BOOT_JOB;
        s->plan.boot_job = job;
        s->plan.requeue_after_ms = WORKFLOW_BOOT_JOB_POLL_MS;
        return r < 0 ? r : 0;
    }
}

static int step_prepare(struct step *s)
{
    const char *mode = wf_str_or_empty(s->boot, "bootMode");
    enum workflow_boot_job job;
    int r;

    r = toggle_netboot(s, true);
    if (r <= 0)
        return r;
    job = boot_job_for(s->boot, false);
    if (job == WORKFLOW_BOOT_JOB_NONE && mode[0] && !wf_streq(mode, "customboot")) {
        r = wf_condition_set(s->st, WF_COND_JOB_SETUP_FAILED, "True", "Error", "unknown bootMode",
                             s->env->now_ms);
        if (r >= 0)
            r = set_state(s, WF_FAILED);
        if (r < 0)
            return r;
        wf_event(&s->plan, "Warning", "BootJobFailed", "unknown bootMode %s", mode);
        return 0;
    }
    if (job != WORKFLOW_BOOT_JOB_NONE) {
        r = boot_job(s, job, false);
        if (r <= 0)
            return r;
    }
    return set_state(s, "PENDING");
}

static int step_post(struct step *s)
{
    enum workflow_boot_job job = boot_job_for(s->boot, true);
    const char *final;
    int r;

    r = toggle_netboot(s, false);
    if (r <= 0)
        return r;
    if (job != WORKFLOW_BOOT_JOB_NONE) {
        r = boot_job(s, job, true);
        if (r <= 0)
            return r;
    }
    final = wf_str(wf_obj(s->st, "currentState"), "state");
    if (!final ||
        !(wf_streq(final, WF_SUCCESS) || wf_streq(final, WF_FAILED) || wf_streq(final, WF_TIMEOUT)))
        final = WF_SUCCESS;
    r = set_state(s, final);
    if (r < 0)
        return r;
    if (wf_streq(final, WF_SUCCESS))
        wf_event(&s->plan, "Normal", "Succeeded", "workflow finished: SUCCESS");
    else
        wf_event(&s->plan, "Warning", "Finished", "workflow finished: %s", final);
    return 0;
}

/* ---- RUNNING ---- */

static void wake_at(struct step *s, int64_t at_ms)
{
    int64_t d = at_ms - s->env->now_ms;
    if (at_ms == INT64_MAX || d <= 0)
        return;
    d = sat_add(d, 1);
    if (s->plan.requeue_after_ms == 0 || d < s->plan.requeue_after_ms)
        s->plan.requeue_after_ms = d;
}

/* The controller's backstop for an agent that went silent: an action
 * RUNNING longer than its timeout plus grace is ended as TIMEOUT. */
static int action_deadline(struct step *s, size_t t, size_t a)
{
    json_t *action = wf_action_at(s->st, t, a);
    int64_t start, deadline;
    char msg[160];
    int r;

    if (!wf_streq(wf_str(action, "state"), WF_RUNNING) || !wf_str(action, "executionStart") ||
        workflow_time_parse(wf_str(action, "executionStart"), &start) < 0)
        return 0;
    deadline = sat_add(sat_add(start, sat_mul_1000(workflow_action_timeout_s(action))),
                       WORKFLOW_ACTION_TIMEOUT_GRACE_MS);
    if (s->env->now_ms <= deadline) {
        wake_at(s, deadline);
        return 0;
    }
    (void)snprintf(msg, sizeof(msg), "no report from the agent within the action timeout of %llds",
                   (long long)workflow_action_timeout_s(action));
    r = wf_action_fail(s->st, t, a, WF_TIMEOUT, msg, s->env, &s->plan);
    if (r < 0)
        return r;
    s->state = workflow_state_from_string(wf_str(s->st, "state"));
    r = wf_current_state_set(s->st, wf_str(wf_task_at(s->st, t), "agentID"), t, a);
    return r < 0 ? r : 1;
}

static int global_deadline(struct step *s)
{
    const char *stop_s = wf_str(s->st, "globalExecutionStop");
    int64_t timeout_s = wf_int(s->st, "globalTimeout");
    int64_t stop, start;
    char buf[WORKFLOW_TIME_LEN + 1];
    int r;

    if (stop_s && workflow_time_parse(stop_s, &stop) == 0) {
        if (s->env->now_ms > stop) {
            r = set_state(s, WF_TIMEOUT);
            if (r < 0)
                return r;
            wf_event(&s->plan, "Warning", "GlobalTimeout",
                     "global timeout of %llds passed at %s; workflow TIMEOUT", (long long)timeout_s,
                     stop_s);
            return 1;
        }
        wake_at(s, stop);
        return 0;
    }
    /* Upstream arms the deadline when the controller first sees the first
     * action started: now + globalTimeout + (now - executionStart), so a
     * lagging agent clock only ever lengthens it. 0 means no deadline. */
    json_t *first = wf_action_at(s->st, 0, 0);
    if (timeout_s <= 0 || !wf_str(first, "executionStart") ||
        workflow_time_parse(wf_str(first, "executionStart"), &start) < 0)
        return 0;
    int64_t skew = s->env->now_ms > start ? s->env->now_ms - start : 0;
    stop = sat_add(sat_add(s->env->now_ms, sat_mul_1000(timeout_s)), skew);
    if (workflow_time_format(stop, buf) < 0)
        return 0; /* beyond year 9999: no deadline worth writing */
    r = wf_set_str(s->st, "globalExecutionStop", buf);
    if (r < 0)
        return r;
    if (workflow_time_parse(buf, &stop) == 0)
        wake_at(s, stop);
    return 0;
}

static int step_running(struct step *s)
{
    size_t t, a;
    int r;

    r = global_deadline(s);
    if (r != 0)
        return r < 0 ? r : 0;

    r = wf_cursor(s->st, &t, &a);
    if (r == -ENOENT)
        return 0;
    if (r == 0) {
        /* Every action succeeded but no report moved us to POST. */
        s->plan.effects |= WORKFLOW_EFFECT_REQUEUE;
        return set_state(s, "POST");
    }
    r = wf_agent_follow(s->st, t);
    if (r < 0)
        return r;
    r = action_deadline(s, t, a);
    return r < 0 ? r : 0;
}

/* ---- entry points ---- */

bool workflow_needs_render(const json_t *wf)
{
    if (!json_is_object(wf))
        return false;
    enum workflow_state st = workflow_get_state(wf);
    return st == WORKFLOW_STATE_NEW || st == WORKFLOW_STATE_LEGACY || wf_rerun_requested(wf);
}

static int step_run(struct step *s)
{
    int r;

    if (wf_true(s->spec, "disabled"))
        return step_disabled(s);
    r = step_rerun(s);
    if (r < 0)
        return r;

    switch (s->state) {
    case WORKFLOW_STATE_NEW:
    case WORKFLOW_STATE_LEGACY:
        return step_render(s);
    case WORKFLOW_STATE_PREPARING:
        return step_prepare(s);
    case WORKFLOW_STATE_RUNNING:
        return step_running(s);
    case WORKFLOW_STATE_POST:
        return step_post(s);
    default:
        return 0; /* PENDING, terminal, unknown: nothing to do */
    }
}

int workflow_reconcile(const json_t *wf,
                       const struct workflow_env *env,
                       const struct workflow_reconcile_opts *opts,
                       struct workflow_plan *ret)
{
    _cleanup_json_ json_t *empty = NULL;
    struct step s = {0};
    json_t *status;
    int r;

    assert_return(json_is_object(wf), -EINVAL);
    assert_return(env, -EINVAL);
    assert_return(ret, -EINVAL);

    status = wf_obj(wf, "status");
    s.wf = wf;
    s.spec = wf_obj(wf, "spec");
    s.boot = wf_obj(s.spec, "bootOptions");
    s.env = env;
    s.opts = opts;
    s.state = workflow_get_state(wf);
    s.st = status ? json_deep_copy(status) : json_object();
    if (!s.st)
        return -ENOMEM;

    r = step_run(&s);
    if (r < 0) {
        workflow_plan_done(&s.plan);
        json_decref(s.st);
        return r;
    }
    if (!status)
        status = empty = json_object();
    if (status && json_equal(status, s.st)) {
        json_decref(s.st);
        s.plan.n_events = 0;
    } else {
        s.plan.status = s.st;
    }
    *ret = s.plan;
    return 0;
}

int workflow_hardware_set_allow_pxe(const json_t *hardware, bool allow, json_t **ret)
{
    _cleanup_json_ json_t *hw = NULL;
    json_t *iface;
    size_t i;
    bool changed = false;

    assert_return(json_is_object(hardware), -EINVAL);
    assert_return(ret, -EINVAL);

    hw = json_deep_copy(hardware);
    if (!hw)
        return -ENOMEM;
    json_array_foreach(wf_arr(wf_obj(hw, "spec"), "interfaces"), i, iface) {
        json_t *netboot;
        json_t *cur;

        if (!json_is_object(iface))
            continue;
        cur = json_object_get(wf_obj(iface, "netboot"), "allowPXE");
        if (json_is_boolean(cur) && json_is_true(cur) == allow)
            continue;
        netboot = wf_obj_ensure(iface, "netboot");
        if (!netboot || wf_set_bool(netboot, "allowPXE", allow) < 0)
            return -ENOMEM;
        changed = true;
    }
    if (!changed)
        return 0;
    *ret = TAKE_PTR(hw);
    return 1;
}
