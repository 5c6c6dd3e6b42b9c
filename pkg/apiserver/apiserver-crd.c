/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CustomResourceDefinitions: validation and status (NamesAccepted and
 * Established set at once, since discovery serves a CRD the moment it is
 * stored), registration, and the cleanup of instances on delete. Also the
 * namespaces a fresh server starts with.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "apistore/apistore.h"
#include "base/json-cleanup.h"
#include "log/log.h"
#include "schema/schema.h"

#define CRD_KEY "apiextensions.k8s.io/customresourcedefinitions"

static json_t *condition(const json_t *old_conditions,
                         const char *type,
                         const char *reason,
                         const char *message,
                         const char *now)
{
    size_t i;
    json_t *c;
    const char *since = now;
    json_array_foreach((json_t *)old_conditions, i, c) {
        if (strcmp(api_str_or(json_string_value(json_object_get(c, "type")), ""), type) == 0 &&
            strcmp(api_str_or(json_string_value(json_object_get(c, "status")), ""), "True") == 0)
            since = api_str_or(json_string_value(json_object_get(c, "lastTransitionTime")), now);
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", "True", "reason", reason,
                     "message", message, "lastTransitionTime", since);
}

static void check_names(json_t *spec, const char *name, json_t *causes)
{
    json_t *names = json_object_get(spec, "names");
    const char *group = json_string_value(json_object_get(spec, "group"));
    const char *plural = json_string_value(json_object_get(names, "plural"));
    const char *kind = json_string_value(json_object_get(names, "kind"));
    if (!group || !*group)
        api_add_cause(causes, "FieldValueRequired", "spec.group", "spec.group: Required value");
    else if (!strchr(group, '.') || !api_is_dns1123_subdomain(group))
        api_add_cause(causes, "FieldValueInvalid", "spec.group",
                      "spec.group: Invalid value: \"%s\": should be a domain with at least one dot",
                      group);
    if (!plural || !*plural)
        api_add_cause(causes, "FieldValueRequired", "spec.names.plural",
                      "spec.names.plural: Required value");
    else if (!api_is_dns1123_label(plural))
        api_add_cause(
                causes, "FieldValueInvalid", "spec.names.plural",
                "spec.names.plural: Invalid value: \"%s\": a lowercase RFC 1123 label must consist "
                "of lower case alphanumeric characters or '-'",
                plural);
    if (!kind || !*kind)
        api_add_cause(causes, "FieldValueRequired", "spec.names.kind",
                      "spec.names.kind: Required value");
    if (group && plural && name) {
        char want[600];
        snprintf(want, sizeof(want), "%s.%s", plural, group);
        if (strcmp(want, name) != 0)
            api_add_cause(causes, "FieldValueInvalid", "metadata.name",
                          "metadata.name: Invalid value: \"%s\": must be "
                          "spec.names.plural+\".\"+spec.group",
                          name);
    }
    const char *scope = json_string_value(json_object_get(spec, "scope"));
    if (!scope || (strcmp(scope, "Namespaced") != 0 && strcmp(scope, "Cluster") != 0))
        api_add_cause(causes, "FieldValueNotSupported", "spec.scope",
                      "spec.scope: Unsupported value: \"%s\": supported values: \"Cluster\", "
                      "\"Namespaced\"",
                      scope ? scope : "");
    if (kind && names) {
        if (!json_object_get(names, "singular")) {
            char *low = strdup(kind);
            for (char *p = low; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
            json_object_set_new(names, "singular", json_string(low ? low : ""));
            free(low);
        }
        if (!json_object_get(names, "listKind")) {
            char lk[300];
            snprintf(lk, sizeof(lk), "%sList", kind);
            json_object_set_new(names, "listKind", json_string(lk));
        }
    }
}

static void check_versions(json_t *spec, json_t *causes, const char **ret_storage)
{
    json_t *versions = json_object_get(spec, "versions");
    size_t i, n_storage = 0;
    json_t *v;
    char field[200];
    if (!json_is_array(versions) || json_array_size(versions) == 0) {
        api_add_cause(causes, "FieldValueInvalid", "spec.versions",
                      "spec.versions: Invalid value: null: must have exactly one version marked as "
                      "storage "
                      "version");
        return;
    }
    json_array_foreach(versions, i, v) {
        if (!json_string_value(json_object_get(v, "name"))) {
            snprintf(field, sizeof(field), "spec.versions[%zu].name", i);
            api_add_cause(causes, "FieldValueRequired", field, "%s: Required value", field);
        }
        if (json_is_true(json_object_get(v, "storage"))) {
            n_storage++;
            *ret_storage = json_string_value(json_object_get(v, "name"));
        }
        json_t *schema = json_object_get(json_object_get(v, "schema"), "openAPIV3Schema");
        snprintf(field, sizeof(field), "spec.versions[%zu].schema.openAPIV3Schema", i);
        if (!schema) {
            api_add_cause(causes, "FieldValueRequired", field,
                          "%s: Required value: schemas are required", field);
            continue;
        }
        struct schema_result sr = {0};
        if (schema_check_structural(schema, field, &sr) < 0)
            for (size_t k = 0; k < sr.n_causes; k++)
                json_array_append_new(causes, api_cause(sr.causes[k].type, sr.causes[k].field,
                                                        sr.causes[k].message));
        schema_result_clear(&sr);
    }
    if (n_storage != 1)
        api_add_cause(
                causes, "FieldValueInvalid", "spec.versions",
                "spec.versions: Invalid value: must have exactly one version marked as storage "
                "version");
}

int api_crd_prepare(json_t *crd, json_t *causes)
{
    json_t *spec = json_object_get(crd, "spec");
    const char *name = api_obj_str(crd, "metadata", "name");
    const char *storage = NULL;
    if (!json_is_object(spec)) {
        api_add_cause(causes, "FieldValueRequired", "spec", "spec: Required value");
        return 0;
    }
    check_names(spec, name, causes);
    check_versions(spec, causes, &storage);
    if (!json_object_get(spec, "conversion"))
        json_object_set_new(spec, "conversion", json_pack("{s:s}", "strategy", "None"));
    if (json_array_size(causes) > 0)
        return 0;

    char now[40];
    api_now_rfc3339(now, sizeof(now));
    json_t *old_status = json_object_get(crd, "status");
    json_t *old_conds = json_object_get(old_status, "conditions");
    json_t *conds = json_array();
    json_array_append_new(
            conds, condition(old_conds, "NamesAccepted", "NoConflicts", "no conflicts found", now));
    json_array_append_new(conds, condition(old_conds, "Established", "InitialNamesAccepted",
                                           "the initial names have been accepted", now));
    json_t *stored = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(old_status, "storedVersions"), i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), storage) != 0)
            json_array_append(stored, v);
    }
    json_array_append_new(stored, json_string(storage));
    json_t *status = json_pack("{s:o,s:O,s:o}", "conditions", conds, "acceptedNames",
                               json_object_get(spec, "names"), "storedVersions", stored);
    if (!status)
        return -ENOMEM;
    json_object_set_new(crd, "status", status);
    return 0;
}

struct key_list {
    json_t *keys;
};

static int collect_key(const struct apistore_row *row, void *userdata)
{
    struct key_list *k = userdata;
    return json_array_append_new(k->keys, json_pack("[s,s]", row->ns, row->name));
}

/* Deletes every instance of a CRD's resource (all versions share one key). */
static int delete_instances(struct apiserver *s, const char *store_key)
{
    struct key_list k = {.keys = json_array()};
    struct apistore_list_opts lo = {0};
    uint64_t rev;
    bool more;
    int r = apistore_list(s->store, store_key, &lo, collect_key, &k, &rev, &more);
    size_t i;
    json_t *pair;
    json_array_foreach(k.keys, i, pair) {
        if (r < 0)
            break;
        struct apistore_write w = {.op = APISTORE_DELETE,
                                   .res = store_key,
                                   .ns = json_string_value(json_array_get(pair, 0)),
                                   .name = json_string_value(json_array_get(pair, 1))};
        r = apistore_write(s->store, &w, NULL);
        if (r == -ENOENT)
            r = 0;
    }
    json_decref(k.keys);
    return r;
}

int api_crd_changed(struct apiserver *s, const char *name, const json_t *crd)
{
    if (crd)
        return api_registry_put_crd(s->registry, crd);
    /* Going away: instances first, then the served resources. */
    char *key = NULL;
    for (size_t i = 0; i < api_registry_count(s->registry); i++) {
        const struct api_resource *r = api_registry_at(s->registry, i);
        if (r->crd_name && strcmp(r->crd_name, name) == 0) {
            key = strdup(r->store_key);
            break;
        }
    }
    int ret = 0;
    if (key) {
        ret = delete_instances(s, key);
        api_watchers_drop_resource(s->watchers, key);
        free(key);
    }
    api_registry_remove_crd(s->registry, name);
    return ret;
}

static int load_crd(const struct apistore_row *row, void *userdata)
{
    struct apiserver *s = userdata;
    _cleanup_json_ json_t *crd = json_loadb(row->body, row->body_len, 0, NULL);
    if (!crd)
        return 0;
    int r = api_registry_put_crd(s->registry, crd);
    if (r < 0)
        log_warn("stored CRD not served", LOG_STR("crd", row->name), LOG_ERRNO(r));
    return 0;
}

int api_crd_load_all(struct apiserver *s)
{
    struct apistore_list_opts lo = {0};
    uint64_t rev;
    bool more;
    return apistore_list(s->store, CRD_KEY, &lo, load_crd, s, &rev, &more);
}

int api_bootstrap(struct apiserver *s)
{
    static const char *const names[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        _cleanup_free_ char *body = NULL;
        uint64_t rev;
        int r = apistore_get(s->store, "/namespaces", "", names[i], &body, &rev);
        if (r == 0)
            continue;
        if (r != -ENOENT)
            return r;
        char uid[37], ts[40];
        if ((r = api_new_uid(uid)) < 0)
            return r;
        api_now_rfc3339(ts, sizeof(ts));
        _cleanup_json_ json_t *ns = json_pack(
                "{s:s,s:s,s:{s:s,s:s,s:s,s:{s:s}},s:{s:[s]},s:{s:s}}", "apiVersion", "v1", "kind",
                "Namespace", "metadata", "name", names[i], "uid", uid, "creationTimestamp", ts,
                "labels", "kubernetes.io/metadata.name", names[i], "spec", "finalizers",
                "kubernetes", "status", "phase", "Active");
        struct apistore_write w = {
                .op = APISTORE_CREATE, .res = "/namespaces", .ns = "", .name = names[i], .obj = ns};
        if ((r = apistore_write(s->store, &w, NULL)) < 0 && r != -EEXIST)
            return r;
    }
    return 0;
}
