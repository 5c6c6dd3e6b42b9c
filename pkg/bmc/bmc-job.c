/* SPDX-License-Identifier: Apache-2.0 */
/* The Task and Job state machines and the Machine status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "bmc/bmc-internal.h"
#include "workflow/workflow.h"

#define NAME_MAX_K8S 253

static bool condition_true(const json_t *obj, const char *type)
{
    json_t *c = bmc_condition_get(json_object_get(bmc_obj(obj, "status"), "conditions"), type);
    const char *s = bmc_str(c, "status");
    return s && strcmp(s, "True") == 0;
}

enum bmc_task_phase bmc_task_phase(const json_t *task)
{
    if (condition_true(task, "Completed") || condition_true(task, "Failed"))
        return BMC_TASK_FINISHED;
    if (!bmc_str(bmc_obj(task, "status"), "startTime"))
        return BMC_TASK_START;
    return BMC_TASK_VERIFY;
}

static json_t *conditions_of(json_t *status)
{
    json_t *c = json_object_get(status, "conditions");
    if (json_is_array(c))
        return c;
    c = json_array();
    if (!c || json_object_set_new(status, "conditions", c) < 0)
        return NULL;
    return c;
}

int bmc_task_status(const json_t *task,
                    enum bmc_result result,
                    const char *message,
                    int64_t now_ms,
                    json_t **ret)
{
    char now[21];
    assert_return(ret && (unsigned)result < _BMC_RESULT_MAX, -EINVAL);
    if (bmc_time(now_ms, now) < 0)
        return -EINVAL;
    _cleanup_json_ json_t *st = bmc_status_copy(task);
    json_t *conds = st ? conditions_of(st) : NULL;
    if (!conds)
        return -ENOMEM;
    if (!bmc_str(st, "startTime") && json_object_set_new(st, "startTime", json_string(now)) < 0)
        return -ENOMEM;
    if (result != BMC_RESULT_STARTED) {
        int r = bmc_condition_set(conds, result == BMC_RESULT_COMPLETED ? "Completed" : "Failed",
                                  "True", message, NULL, NULL);
        if (r < 0 || json_object_set_new(st, "completionTime", json_string(now)) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(st);
    return 0;
}

bool bmc_task_expired(const json_t *task, int64_t now_ms)
{
    int64_t start;
    const char *s = bmc_str(bmc_obj(task, "status"), "startTime");
    if (!s || workflow_time_parse(s, &start) < 0)
        return true;
    return now_ms - start > BMC_TASK_TIMEOUT_MS;
}

int bmc_task_name(const char *job, size_t index, char **ret)
{
    char *s;
    assert_return(job && *job && ret, -EINVAL);
    if (asprintf(&s, "%s-task-%zu", job, index) < 0)
        return -ENOMEM;
    if (strlen(s) > NAME_MAX_K8S) {
        free(s);
        return -ENAMETOOLONG;
    }
    *ret = s;
    return 0;
}

void bmc_job_plan_done(struct bmc_job_plan *p)
{
    if (!p)
        return;
    json_decref(p->status);
    json_decref(p->task);
    *p = (struct bmc_job_plan){0};
}

int bmc_job_outcome(const json_t *job)
{
    if (condition_true(job, "Failed"))
        return -1;
    if (condition_true(job, "Completed"))
        return 1;
    return 0;
}

/* The Task of this Job named name (owner label and uid must match). */
static const json_t *
find_task(const json_t *job, const json_t *const *tasks, size_t n, const char *name)
{
    const char *uid = bmc_str(bmc_obj(job, "metadata"), "uid");
    for (size_t i = 0; i < n; i++) {
        const json_t *md = bmc_obj(tasks[i], "metadata");
        const char *tn = bmc_str(md, "name");
        if (!tn || strcmp(tn, name) != 0)
            continue;
        json_t *owners = json_object_get(md, "ownerReferences"), *o;
        size_t k;
        bool mine = !uid || json_array_size(owners) == 0;
        json_array_foreach(owners, k, o)
        {
            const char *ou = bmc_str(o, "uid");
            if (ou && strcmp(ou, uid) == 0)
                mine = true;
        }
        return mine ? tasks[i] : NULL;
    }
    return NULL;
}

static int
new_task(const json_t *job, const json_t *machine, const char *name, json_t *action, json_t **ret)
{
    const json_t *md = bmc_obj(job, "metadata");
    const char *jname = bmc_str(md, "name"), *ns = bmc_str(md, "namespace"),
               *uid = bmc_str(md, "uid");
    json_t *conn = bmc_obj(bmc_obj(machine, "spec"), "connection");
    json_t *t = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:O, s:O}}", "apiVersion",
                          BMC_API_VERSION, "kind", "Task", "metadata", "name", name, "namespace",
                          ns ? ns : "", "labels", BMC_LABEL_OWNER_NAME, jname, "spec", "task",
                          action, "connection", conn ? conn : json_null());
    if (!t)
        return -ENOMEM;
    if (uid) {
        json_t *ref = json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion", BMC_API_VERSION,
                                "kind", "Job", "name", jname, "uid", uid, "controller", 1,
                                "blockOwnerDeletion", 1);
        if (!ref || json_object_set_new(bmc_obj(t, "metadata"), "ownerReferences", ref) < 0) {
            json_decref(t);
            return -ENOMEM;
        }
    }
    *ret = t;
    return 0;
}

/* Status of a finished Job: Running False, Completed or Failed True. */
static int finish(json_t *st, bool ok, const char *message, const char *now)
{
    json_t *conds = conditions_of(st);
    if (!conds || bmc_condition_set(conds, "Running", "False", NULL, NULL, NULL) < 0 ||
        bmc_condition_set(conds, ok ? "Completed" : "Failed", "True", message, NULL, NULL) < 0)
        return -ENOMEM;
    if (ok && json_object_set_new(st, "completionTime", json_string(now)) < 0)
        return -ENOMEM;
    return 0;
}

static int job_walk(const json_t *job,
                    const json_t *machine,
                    const json_t *const *tasks,
                    size_t n_tasks,
                    const char *now,
                    json_t *st,
                    struct bmc_job_plan *p)
{
    const char *jname = bmc_str(bmc_obj(job, "metadata"), "name");
    json_t *list = json_object_get(bmc_obj(job, "spec"), "tasks");
    char msg[BMC_MESSAGE_MAX], err[256];
    int r;

    /* Every action is checked before the first runs: a typo in the last
     * one must not leave the machine half-way (powered off, say). */
    for (size_t i = 0; i < json_array_size(list); i++) {
        struct bmc_action a;
        if (bmc_action_parse(json_array_get(list, i), &a, err, sizeof(err)) < 0) {
            snprintf(msg, sizeof(msg), "spec.tasks[%zu]: %s", i, err);
            p->finished = true;
            return finish(st, false, msg, now);
        }
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        _cleanup_free_ char *name = NULL;
        r = bmc_task_name(jname, i, &name);
        if (r < 0)
            return r;
        const json_t *t = find_task(job, tasks, n_tasks, name);
        if (!t) {
            if (!machine) {
                p->wait = true;
                return 0;
            }
            return new_task(job, machine, name, json_array_get(list, i), &p->task);
        }
        if (condition_true(t, "Failed")) {
            json_t *c = bmc_condition_get(json_object_get(bmc_obj(t, "status"), "conditions"),
                                          "Failed");
            snprintf(msg, sizeof(msg), "task %s failed: %s", name,
                     bmc_str(c, "message") ? bmc_str(c, "message") : "");
            p->finished = true;
            return finish(st, false, msg, now);
        }
        if (!condition_true(t, "Completed"))
            return 0; /* running: the Task's updates bring us back */
    }
    p->finished = true;
    return finish(st, true, NULL, now);
}

int bmc_job_step(const json_t *job,
                 const json_t *machine,
                 const json_t *const *tasks,
                 size_t n_tasks,
                 int64_t now_ms,
                 struct bmc_job_plan *ret)
{
    struct bmc_job_plan p = {0};
    char now[21];
    int r;

    assert_return(ret && json_is_object(job) && (tasks || n_tasks == 0), -EINVAL);
    if (!bmc_str(bmc_obj(job, "metadata"), "name") || bmc_time(now_ms, now) < 0)
        return -EINVAL;
    if (bmc_job_outcome(job) != 0) {
        ret->finished = true;
        return 0;
    }
    _cleanup_json_ json_t *st = bmc_status_copy(job);
    _cleanup_json_ json_t *before = bmc_status_copy(job);
    json_t *conds = st ? conditions_of(st) : NULL;
    if (!conds || !before)
        return -ENOMEM;
    if (!bmc_str(st, "startTime") && json_object_set_new(st, "startTime", json_string(now)) < 0)
        return -ENOMEM;
    if (!condition_true(job, "Running") &&
        bmc_condition_set(conds, "Running", "True", NULL, NULL, NULL) < 0)
        return -ENOMEM;
    if (json_array_size(json_object_get(bmc_obj(job, "spec"), "tasks")) == 0) {
        p.finished = true;
        r = finish(st, false, "spec.tasks is empty", now);
    } else {
        r = job_walk(job, machine, tasks, n_tasks, now, st, &p);
    }
    if (r < 0) {
        bmc_job_plan_done(&p);
        return r;
    }
    if (!json_equal(st, before))
        p.status = TAKE_PTR(st);
    *ret = p;
    return 0;
}

int bmc_machine_status(const json_t *machine,
                       const char *power_state,
                       bool contactable,
                       const char *message,
                       int64_t now_ms,
                       json_t **ret)
{
    char now[21];
    assert_return(ret && power_state, -EINVAL);
    if (bmc_time(now_ms, now) < 0)
        return -EINVAL;
    _cleanup_json_ json_t *st = bmc_status_copy(machine);
    json_t *conds = st ? conditions_of(st) : NULL;
    if (!conds)
        return -ENOMEM;
    json_t *old = bmc_condition_get(conds, "Contactable");
    const char *want = contactable ? "True" : "False";
    const char *omsg = bmc_str(old, "message");
    bool same = old && bmc_str(old, "status") && strcmp(bmc_str(old, "status"), want) == 0 &&
                strcmp(omsg ? omsg : "", contactable || !message ? "" : message) == 0 &&
                bmc_str(st, "powerState") && strcmp(bmc_str(st, "powerState"), power_state) == 0;
    if (json_object_set_new(st, "powerState", json_string(power_state)) < 0 ||
        bmc_condition_set(conds, "Contactable", want, contactable ? NULL : message,
                          "lastUpdateTime", now) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(st);
    return same ? 0 : 1;
}
