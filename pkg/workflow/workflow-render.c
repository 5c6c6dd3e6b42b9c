/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a rendered template document (the shape tmpl_parse_workflow()
 * returns) to a fresh Workflow status: what upstream's YAMLToStatus does,
 * plus the anvil per-action retries.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "workflow/workflow-internal.h"

_printf_(3, 4) static int malformed(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        (void)vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EBADMSG;
}

static bool is_string_array(const json_t *v)
{
    json_t *e;
    size_t i;

    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static bool is_string_map(const json_t *v)
{
    const char *k;
    json_t *e;

    if (!json_is_object(v))
        return false;
    json_object_foreach((json_t *)v, k, e) {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

/* Copies src[key] into dst when it is a non-empty list of strings (or, with
 * map, an object of strings); absent or null is fine, another type is not. */
static int copy_strings(const json_t *src, json_t *dst, const char *key, bool map)
{
    json_t *v = json_object_get(src, key);

    if (!v || json_is_null(v))
        return 0;
    if (map ? !is_string_map(v) : !is_string_array(v))
        return -EBADMSG;
    if (json_is_array(v) ? json_array_size(v) == 0 : json_object_size(v) == 0)
        return 0;
    return wf_set(dst, key, json_deep_copy(v));
}

static int render_action(const json_t *src,
                         const char *where,
                         const struct workflow_env *env,
                         json_t **ret,
                         char *err,
                         size_t errlen)
{
    _cleanup_json_ json_t *a = NULL;
    char id[WORKFLOW_ULID_LEN + 1];
    const char *name = wf_str(src, "name"), *image = wf_str(src, "image");
    json_t *timeout = json_object_get(src, "timeout"), *retries = json_object_get(src, "retries");
    json_t *pid = json_object_get(src, "pid");
    int r;

    if (!json_is_object(src) || !name || name[0] == '\0')
        return malformed(err, errlen, "%s: action without a name", where);
    if (!image)
        return malformed(err, errlen, "%s: action %s has no image", where, name);
    if (timeout && !json_is_integer(timeout) && !json_is_null(timeout))
        return malformed(err, errlen, "%s: action %s: timeout is not an integer", where, name);
    if (retries && !json_is_null(retries) &&
        (!json_is_integer(retries) || json_integer_value(retries) < 0 ||
         json_integer_value(retries) > WORKFLOW_ACTION_RETRIES_MAX))
        return malformed(err, errlen, "%s: action %s: retries must be an integer 0..%d", where,
                         name, WORKFLOW_ACTION_RETRIES_MAX);
    if (pid && !json_is_string(pid) && !json_is_null(pid))
        return malformed(err, errlen, "%s: action %s: pid is not a string", where, name);

    r = workflow_ulid_next(env->ids, env->now_ms, id);
    if (r < 0)
        return r;
    a = json_pack("{s:s, s:s, s:s, s:I}", "id", id, "name", name, "image", image, "timeout",
                  (json_int_t)wf_int(src, "timeout"));
    if (!a)
        return -ENOMEM;
    if (copy_strings(src, a, "command", false) < 0 || copy_strings(src, a, "volumes", false) < 0 ||
        copy_strings(src, a, "environment", true) < 0 ||
        copy_strings(src, a, "namespaces", true) < 0)
        return malformed(err, errlen,
                         "%s: action %s: command/volumes must be lists of strings, "
                         "environment/namespaces maps of strings",
                         where, name);
    r = wf_set_str(a, "state", WF_PENDING);
    if (r >= 0 && json_is_string(pid) && json_string_length(pid) > 0)
        r = wf_set_str(a, "pid", json_string_value(pid));
    if (r >= 0 && json_integer_value(retries) > 0)
        r = wf_set_int(a, "retries", json_integer_value(retries));
    if (r < 0)
        return r;
    *ret = TAKE_PTR(a);
    return 0;
}

static int render_task(const json_t *src,
                       size_t index,
                       const struct workflow_env *env,
                       json_t **ret,
                       char *err,
                       size_t errlen)
{
    _cleanup_json_ json_t *t = NULL;
    char id[WORKFLOW_ULID_LEN + 1], where[96];
    const char *name = wf_str(src, "name"), *worker = wf_str(src, "worker");
    json_t *actions = json_object_get(src, "actions"), *action, *out_actions;
    size_t i;
    int r;

    if (!json_is_object(src) || !name || name[0] == '\0')
        return malformed(err, errlen, "task %zu has no name", index);
    (void)snprintf(where, sizeof(where), "task %.64s", name);
    if (!worker || worker[0] == '\0')
        return malformed(err, errlen, "%s: worker is empty", where);
    if (actions && !json_is_array(actions) && !json_is_null(actions))
        return malformed(err, errlen, "%s: actions is not a list", where);

    r = workflow_ulid_next(env->ids, env->now_ms, id);
    if (r < 0)
        return r;
    t = json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "agentID", worker);
    if (!t)
        return -ENOMEM;
    if (copy_strings(src, t, "volumes", false) < 0 || copy_strings(src, t, "environment", true) < 0)
        return malformed(err, errlen,
                         "%s: volumes must be a list of strings, environment a map of strings",
                         where);
    out_actions = json_array();
    r = wf_set(t, "actions", out_actions);
    if (r < 0)
        return r;
    json_array_foreach(actions, i, action) {
        json_t *a = NULL;
        r = render_action(action, where, env, &a, err, errlen);
        if (r < 0)
            return r;
        if (json_array_append_new(out_actions, a) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(t);
    return 0;
}

int wf_status_from_rendered(
        const json_t *doc, const struct workflow_env *env, json_t **ret, char *err, size_t errlen)
{
    _cleanup_json_ json_t *st = NULL;
    json_t *tasks = json_object_get(doc, "tasks"), *task, *out_tasks;
    json_t *gt = json_object_get(doc, "global_timeout");
    size_t i;
    int r;

    if (!env->ids)
        return -EINVAL;
    if (!json_is_object(doc))
        return malformed(err, errlen, "rendered template is not an object");
    if (!json_is_array(tasks) || json_array_size(tasks) == 0)
        return malformed(err, errlen, "rendered template has no tasks");
    if (gt && !json_is_integer(gt) && !json_is_null(gt))
        return malformed(err, errlen, "global_timeout is not an integer");

    st = json_object();
    out_tasks = json_array();
    if (!st || wf_set(st, "tasks", out_tasks) < 0)
        return -ENOMEM;
    json_array_foreach(tasks, i, task) {
        json_t *t = NULL;
        r = render_task(task, i, env, &t, err, errlen);
        if (r < 0)
            return r;
        if (json_array_append_new(out_tasks, t) < 0)
            return -ENOMEM;
    }
    r = wf_update(st, json_pack("{s:s, s:I}", "agentID", wf_str(wf_task_at(st, 0), "agentID"),
                                "globalTimeout",
                                (json_int_t)(json_is_integer(gt) ? json_integer_value(gt) : 0)));
    if (r < 0)
        return r;
    *ret = TAKE_PTR(st);
    return 0;
}
