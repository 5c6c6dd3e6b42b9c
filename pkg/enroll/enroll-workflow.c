/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrollment Workflow built from a WorkflowRuleSet (Tinkerbell's
 * tink/server/internal/grpc/enrollment.go semantics, see
 * reference/tinkerbell-compat.md §4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "enroll/enroll-internal.h"

/* A member that must be absent or a string; *ret gets NULL when absent. */
static int
opt_str(const json_t *obj, const char *key, const char *where, const char **ret, char **ret_error)
{
    const json_t *v = json_object_get(obj, key);

    if (v && !json_is_string(v))
        return enroll_errorf(ret_error, "%s%s: must be a string", where, key);
    *ret = json_string_value(v);
    return 0;
}

static int view_workflow(const json_t *wf, struct enroll_wrs_view *view, char **ret_error)
{
    const json_t *tmpl = json_object_get(wf, "template"), *v;
    const char *key;
    json_t *val;
    int r;

    if (wf && !json_is_object(wf))
        return enroll_errorf(ret_error, "spec.workflow: must be an object");
    if (tmpl && !json_is_object(tmpl))
        return enroll_errorf(ret_error, "spec.workflow.template: must be an object");
    r = opt_str(tmpl, "ref", "spec.workflow.template.", &view->template_ref, ret_error);
    if (r >= 0)
        r = opt_str(tmpl, "agentValue", "spec.workflow.template.", &view->agent_value, ret_error);
    if (r < 0)
        return r;
    if (!view->template_ref || !*view->template_ref)
        return enroll_errorf(ret_error, "spec.workflow.template.ref: required");
    if (!view->agent_value || !*view->agent_value)
        return enroll_errorf(ret_error, "spec.workflow.template.agentValue: required");
    view->kvs = json_object_get(tmpl, "kvs");
    if (view->kvs && !json_is_object(view->kvs))
        return enroll_errorf(ret_error, "spec.workflow.template.kvs: must be an object");
    json_object_foreach((json_t *)view->kvs, key, val) {
        if (!json_is_string(val))
            return enroll_errorf(ret_error, "spec.workflow.template.kvs.%.128s: must be a string",
                                 key);
    }
    v = json_object_get(wf, "disabled");
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return enroll_errorf(ret_error, "spec.workflow.disabled: must be true or false");
    view->disabled = json_is_boolean(v) ? json_is_true(v) : -1;
    v = json_object_get(wf, "addAttributes");
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return enroll_errorf(ret_error, "spec.workflow.addAttributes: must be true or false");
    view->add_attributes = json_is_true(v);
    return 0;
}

/* Upstream now creates the Workflow in the rule set's own namespace and skips
 * a set naming another one: an ownerReference cannot point across
 * namespaces (the garbage collector would delete the Workflow). */
static int
view_namespace(const json_t *meta, const json_t *wf, struct enroll_wrs_view *view, char **ret_error)
{
    const char *own = NULL, *want = NULL;
    int r;

    r = opt_str(meta, "namespace", "metadata.", &own, ret_error);
    if (r >= 0)
        r = opt_str(wf, "namespace", "spec.workflow.", &want, ret_error);
    if (r < 0)
        return r;
    if (own && *own && want && *want && strcmp(own, want) != 0)
        return enroll_errorf(
                ret_error,
                "spec.workflow.namespace: \"%.64s\" is not the rule set's namespace \"%.64s\"",
                want, own);
    view->namespace = want && *want ? want : own;
    if (!view->namespace || !*view->namespace)
        return enroll_errorf(ret_error, "metadata.namespace: required");
    return 0;
}

int enroll_wrs_view(const json_t *wrs, struct enroll_wrs_view *ret, char **ret_error)
{
    struct enroll_wrs_view view = {.disabled = -1};
    const json_t *meta = json_object_get(wrs, "metadata");
    const json_t *spec = json_object_get(wrs, "spec");
    int r;

    if (!json_is_object(wrs))
        return enroll_errorf(ret_error, "WorkflowRuleSet: must be an object");
    if (!json_is_object(meta))
        return enroll_errorf(ret_error, "metadata: required");
    if (spec && !json_is_object(spec))
        return enroll_errorf(ret_error, "spec: must be an object");
    r = opt_str(wrs, "apiVersion", "", &view.api_version, ret_error);
    if (r >= 0)
        r = opt_str(wrs, "kind", "", &view.kind, ret_error);
    if (r >= 0)
        r = opt_str(meta, "name", "metadata.", &view.name, ret_error);
    if (r >= 0)
        r = opt_str(meta, "uid", "metadata.", &view.uid, ret_error);
    if (r < 0)
        return r;
    if (!view.name || !*view.name)
        return enroll_errorf(ret_error, "metadata.name: required");
    if (!view.uid || !*view.uid)
        return enroll_errorf(ret_error, "metadata.uid: required for the owner reference");
    if (!view.api_version || !*view.api_version)
        view.api_version = ENROLL_API_VERSION;
    if (!view.kind || !*view.kind)
        view.kind = "WorkflowRuleSet";
    r = view_workflow(json_object_get(spec, "workflow"), &view, ret_error);
    if (r >= 0)
        r = view_namespace(meta, json_object_get(spec, "workflow"), &view, ret_error);
    if (r < 0)
        return r;
    *ret = view;
    return 0;
}

static json_t *
build_metadata(const struct enroll_wrs_view *view, const char *name, const json_t *attributes)
{
    _cleanup_json_ json_t *meta = NULL;
    _cleanup_free_ char *annotation = NULL;

    meta = json_pack("{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]}", "name", name,
                     "namespace", view->namespace, "labels", ENROLL_LABEL_ENROLLMENT, "true",
                     "ownerReferences", "apiVersion", view->api_version, "kind", view->kind, "name",
                     view->name, "uid", view->uid, "controller", 1);
    if (!meta)
        return NULL;
    if (view->add_attributes && attributes &&
        enroll_attributes_annotation(attributes, &annotation) == 0) {
        if (json_object_set_new(meta, "annotations",
                                json_pack("{s:s}", ENROLL_ANNOTATION_ATTRIBUTES, annotation)) < 0)
            return NULL;
    }
    return TAKE_PTR(meta);
}

static json_t *build_spec(const struct enroll_wrs_view *view,
                          const char *agent_id,
                          const struct enroll_workflow_opts *opts)
{
    _cleanup_json_ json_t *spec = NULL, *map = NULL;

    map = view->kvs ? json_deep_copy(view->kvs) : json_object();
    if (!map || json_object_set_new(map, view->agent_value, json_string(agent_id)) < 0)
        return NULL;
    spec = json_pack("{s:s}", "templateRef", view->template_ref);
    if (!spec)
        return NULL;
    if (opts && opts->hardware_ref && *opts->hardware_ref &&
        json_object_set_new(spec, "hardwareRef", json_string(opts->hardware_ref)) < 0)
        return NULL;
    if (json_object_set(spec, "hardwareMap", map) < 0)
        return NULL;
    if (view->disabled >= 0 &&
        json_object_set_new(spec, "disabled", json_boolean(view->disabled)) < 0)
        return NULL;
    return TAKE_PTR(spec);
}

int enroll_enrollment_workflow(const json_t *wrs,
                               const char *agent_id,
                               const json_t *attributes,
                               const struct enroll_workflow_opts *opts,
                               json_t **ret,
                               char **ret_error)
{
    _cleanup_json_ json_t *wf = NULL;
    _cleanup_free_ char *name = NULL;
    struct enroll_wrs_view view;
    json_t *meta, *spec;
    int r;

    assert_return(ret, -EINVAL);
    if (agent_id && !enroll_utf8_valid(agent_id))
        return enroll_errorf(ret_error, "agentID: not valid UTF-8");
    r = enroll_enrollment_name(agent_id, &name);
    if (r == -EINVAL)
        return enroll_errorf(ret_error, "agentID: must not be empty");
    if (r < 0)
        return r;
    r = enroll_wrs_view(wrs, &view, ret_error);
    if (r < 0)
        return r;
    wf = json_pack("{s:s, s:s}", "apiVersion", ENROLL_API_VERSION, "kind", "Workflow");
    if (!wf)
        return -ENOMEM;
    meta = build_metadata(&view, name, attributes);
    if (!meta || json_object_set_new(wf, "metadata", meta) < 0)
        return -ENOMEM;
    spec = build_spec(&view, agent_id, opts);
    if (!spec || json_object_set_new(wf, "spec", spec) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(wf);
    return 0;
}
