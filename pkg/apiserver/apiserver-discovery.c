/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /version, discovery (aggregated apidiscovery.k8s.io/v2 and the legacy
 * documents) and /openapi/v3, all derived from the registry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "base/json-cleanup.h"

#define AGGREGATED_CT "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

static json_t *verbs_all(void)
{
    return json_pack("[s,s,s,s,s,s,s,s]", "create", "delete", "deletecollection", "get", "list",
                     "patch", "update", "watch");
}

static json_t *response_kind(const struct api_resource *r)
{
    return json_pack("{s:s,s:s,s:s}", "group", r->group, "version", r->version, "kind", r->kind);
}

static json_t *aggregated_resource(const struct api_resource *r)
{
    json_t *o = json_pack("{s:s,s:o,s:s,s:s,s:o}", "resource", r->plural, "responseKind",
                          response_kind(r), "scope", r->namespaced ? "Namespaced" : "Cluster",
                          "singularResource", r->singular, "verbs", verbs_all());
    if (!o)
        return NULL;
    if (json_array_size(r->short_names))
        json_object_set(o, "shortNames", r->short_names);
    if (json_array_size(r->categories))
        json_object_set(o, "categories", r->categories);
    if (r->has_status)
        json_object_set_new(o, "subresources",
                            json_pack("[{s:s,s:o,s:[s,s,s]}]", "subresource", "status",
                                      "responseKind", response_kind(r), "verbs", "get", "patch",
                                      "update"));
    return o;
}

/* Collects the distinct group names (core excluded unless core). */
static json_t *group_names(const struct api_registry *reg, bool core)
{
    json_t *names = json_array();
    for (size_t i = 0; i < api_registry_count(reg); i++) {
        const struct api_resource *r = api_registry_at(reg, i);
        if ((r->group[0] == '\0') != core)
            continue;
        bool seen = false;
        size_t j;
        json_t *v;
        json_array_foreach(names, j, v) {
            if (strcmp(json_string_value(v), r->group) == 0)
                seen = true;
        }
        if (!seen)
            json_array_append_new(names, json_string(r->group));
    }
    return names;
}

static json_t *group_versions(const struct api_registry *reg, const char *group)
{
    json_t *vs = json_array();
    for (size_t i = 0; i < api_registry_count(reg); i++) {
        const struct api_resource *r = api_registry_at(reg, i);
        if (strcmp(r->group, group) != 0)
            continue;
        bool seen = false;
        size_t j;
        json_t *v;
        json_array_foreach(vs, j, v) {
            if (strcmp(json_string_value(v), r->version) == 0)
                seen = true;
        }
        if (!seen) {
            /* the storage version first: it is the preferred one */
            if (r->storage_version)
                json_array_insert_new(vs, 0, json_string(r->version));
            else
                json_array_append_new(vs, json_string(r->version));
        }
    }
    return vs;
}

static json_t *aggregated_group(const struct api_registry *reg, const char *group)
{
    _cleanup_json_ json_t *vs = group_versions(reg, group);
    json_t *versions = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        json_t *resources = json_array();
        for (size_t k = 0; k < api_registry_count(reg); k++) {
            const struct api_resource *r = api_registry_at(reg, k);
            if (strcmp(r->group, group) == 0 && strcmp(r->version, json_string_value(v)) == 0)
                json_array_append_new(resources, aggregated_resource(r));
        }
        json_array_append_new(versions, json_pack("{s:O,s:o,s:s}", "version", v, "resources",
                                                  resources, "freshness", "Current"));
    }
    json_t *meta = group[0] ? json_pack("{s:s,s:n}", "name", group, "creationTimestamp")
                            : json_pack("{s:n}", "creationTimestamp");
    return json_pack("{s:o,s:o}", "metadata", meta, "versions", versions);
}

static int respond_aggregated(struct apiserver *s, bool core, struct api_response *resp)
{
    _cleanup_json_ json_t *groups = group_names(s->registry, core);
    json_t *items = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
        json_array_append_new(items, aggregated_group(s->registry, json_string_value(g)));
    json_t *doc = json_pack("{s:s,s:s,s:{},s:o}", "kind", "APIGroupDiscoveryList", "apiVersion",
                            "apidiscovery.k8s.io/v2", "metadata", "items", items);
    int r = api_respond_json(resp, 200, doc);
    resp->content_type = AGGREGATED_CT;
    return r;
}

static json_t *group_entry(const struct api_registry *reg, const char *group)
{
    _cleanup_json_ json_t *vs = group_versions(reg, group);
    json_t *versions = json_array();
    size_t i;
    json_t *v;
    char gv[300];
    json_array_foreach(vs, i, v) {
        snprintf(gv, sizeof(gv), "%s/%s", group, json_string_value(v));
        json_array_append_new(versions, json_pack("{s:s,s:O}", "groupVersion", gv, "version", v));
    }
    json_t *pref = json_incref(json_array_get(versions, 0));
    return json_pack("{s:s,s:o,s:o}", "name", group, "versions", versions, "preferredVersion",
                     pref ? pref : json_object());
}

static json_t *resource_list(const struct api_registry *reg, const char *group, const char *version)
{
    json_t *resources = json_array();
    for (size_t k = 0; k < api_registry_count(reg); k++) {
        const struct api_resource *r = api_registry_at(reg, k);
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        json_t *o =
                json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->plural, "singularName", r->singular,
                          "namespaced", r->namespaced, "kind", r->kind, "verbs", verbs_all());
        if (json_array_size(r->short_names))
            json_object_set(o, "shortNames", r->short_names);
        if (json_array_size(r->categories))
            json_object_set(o, "categories", r->categories);
        json_array_append_new(resources, o);
        if (r->has_status) {
            char sub[300];
            snprintf(sub, sizeof(sub), "%s/status", r->plural);
            json_array_append_new(resources,
                                  json_pack("{s:s,s:s,s:b,s:s,s:[s,s,s]}", "name", sub,
                                            "singularName", "", "namespaced", r->namespaced, "kind",
                                            r->kind, "verbs", "get", "patch", "update"));
        }
    }
    if (json_array_size(resources) == 0) {
        json_decref(resources);
        return NULL;
    }
    char gv[300];
    if (group[0])
        snprintf(gv, sizeof(gv), "%s/%s", group, version);
    else
        snprintf(gv, sizeof(gv), "%s", version);
    return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", gv, "resources", resources);
}

static int respond_404(struct api_response *resp)
{
    return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                              "the server could not find the requested resource");
}

int api_handle_discovery(struct apiserver *s,
                         const struct api_request *req,
                         const struct api_path *p,
                         struct api_response *resp)
{
    bool aggregated = req->accept && strstr(req->accept, "as=APIGroupDiscoveryList") &&
                      strstr(req->accept, "v=v2");
    if (p->core && !p->version) {
        if (aggregated)
            return respond_aggregated(s, true, resp);
        char addr[300];
        snprintf(addr, sizeof(addr), "%s", s->opts.listen ? s->opts.listen : "");
        return api_respond_json(resp, 200,
                                json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions",
                                          "versions", "v1", "serverAddressByClientCIDRs",
                                          "clientCIDR", "0.0.0.0/0", "serverAddress", addr));
    }
    if (!p->core && !p->group) {
        if (aggregated)
            return respond_aggregated(s, false, resp);
        _cleanup_json_ json_t *groups = group_names(s->registry, false);
        json_t *list = json_array();
        size_t i;
        json_t *g;
        json_array_foreach(groups, i, g)
            json_array_append_new(list, group_entry(s->registry, json_string_value(g)));
        return api_respond_json(resp, 200,
                                json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion",
                                          "v1", "groups", list));
    }
    if (!p->version) {
        _cleanup_json_ json_t *vs = group_versions(s->registry, p->group);
        if (json_array_size(vs) == 0)
            return respond_404(resp);
        json_t *g = group_entry(s->registry, p->group);
        json_object_set_new(g, "kind", json_string("APIGroup"));
        json_object_set_new(g, "apiVersion", json_string("v1"));
        return api_respond_json(resp, 200, g);
    }
    json_t *rl = resource_list(s->registry, p->group, p->version);
    if (!rl)
        return respond_404(resp);
    return api_respond_json(resp, 200, rl);
}

/* ---- OpenAPI v3 ---- */

static void schema_name(const struct api_resource *r, char *out, size_t n)
{
    /* "tinkerbell.org" -> "org.tinkerbell", then ".<version>.<Kind>" */
    char rev[256] = "";
    const char *g = r->group[0] ? r->group : "io.k8s.api.core";
    if (r->group[0]) {
        const char *end = g + strlen(g);
        size_t off = 0;
        while (end > g) {
            const char *dot = end;
            while (dot > g && dot[-1] != '.')
                dot--;
            off += (size_t)snprintf(rev + off, sizeof(rev) - off, "%s%.*s", off ? "." : "",
                                    (int)(end - dot), dot);
            if (off >= sizeof(rev))
                break;
            end = dot > g ? dot - 1 : g;
        }
        g = rev;
    }
    snprintf(out, n, "%s.%s.%s", g, r->version, r->kind);
}

static json_t *gv_document(const struct api_registry *reg, const char *group, const char *version)
{
    json_t *paths = json_object();
    json_t *schemas = json_object();
    for (size_t k = 0; k < api_registry_count(reg); k++) {
        const struct api_resource *r = api_registry_at(reg, k);
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        char path[1024], base[400], sname[600];
        if (group[0])
            snprintf(base, sizeof(base), "/apis/%s/%s", group, version);
        else
            snprintf(base, sizeof(base), "/api/%s", version);
        if (r->namespaced)
            snprintf(path, sizeof(path), "%s/namespaces/{namespace}/%s/{name}", base, r->plural);
        else
            snprintf(path, sizeof(path), "%s/%s/{name}", base, r->plural);
        json_t *gvk =
                json_pack("{s:s,s:s,s:s}", "group", group, "version", version, "kind", r->kind);
        json_t *op = json_pack("{s:o,s:[{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}}],"
                               "s:{s:{s:s}}}",
                               "x-kubernetes-group-version-kind", gvk, "parameters", "name",
                               "fieldValidation", "in", "query", "schema", "type", "string", "name",
                               "fieldManager", "in", "query", "schema", "type", "string", "name",
                               "dryRun", "in", "query", "schema", "type", "string", "responses",
                               "200", "description", "OK");
        json_object_set_new(paths, path, json_pack("{s:o}", "patch", op));
        schema_name(r, sname, sizeof(sname));
        json_t *sc = r->schema ? json_deep_copy(r->schema)
                               : json_pack("{s:s,s:b}", "type", "object",
                                           "x-kubernetes-preserve-unknown-fields", 1);
        json_t *props = json_object_get(sc, "properties");
        if (!props) {
            props = json_object();
            json_object_set_new(sc, "properties", props);
        }
        json_object_set_new(props, "apiVersion", json_pack("{s:s}", "type", "string"));
        json_object_set_new(props, "kind", json_pack("{s:s}", "type", "string"));
        json_object_set_new(props, "metadata", json_pack("{s:s}", "type", "object"));
        json_object_set_new(
                sc, "x-kubernetes-group-version-kind",
                json_pack("[{s:s,s:s,s:s}]", "group", group, "version", version, "kind", r->kind));
        json_object_set_new(schemas, sname, sc);
    }
    return json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o}}", "openapi", "3.0.0", "info", "title",
                     "Kubernetes", "version", "v1.32.0", "paths", paths, "components", "schemas",
                     schemas);
}

int api_handle_openapi(struct apiserver *s,
                       const struct api_request *req,
                       const struct api_path *p,
                       struct api_response *resp)
{
    (void)req;
    if (p->kind == API_PATH_OPENAPI_V2)
        return respond_404(resp);
    uint64_t gen = api_registry_generation(s->registry);
    if (!p->rest || !*p->rest) {
        json_t *paths = json_object();
        for (size_t k = 0; k < api_registry_count(s->registry); k++) {
            const struct api_resource *r = api_registry_at(s->registry, k);
            char key[300], url[400];
            if (r->group[0])
                snprintf(key, sizeof(key), "apis/%s/%s", r->group, r->version);
            else
                snprintf(key, sizeof(key), "api/%s", r->version);
            snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%016" PRIx64, key, gen);
            json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
        }
        return api_respond_json(resp, 200, json_pack("{s:o}", "paths", paths));
    }
    char group[256] = "", version[64] = "";
    if (sscanf(p->rest, "apis/%255[^/]/%63s", group, version) != 2 &&
        sscanf(p->rest, "api/%63s", version) != 1)
        return respond_404(resp);
    bool any = false;
    for (size_t k = 0; k < api_registry_count(s->registry); k++) {
        const struct api_resource *r = api_registry_at(s->registry, k);
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0)
            any = true;
    }
    if (!any)
        return respond_404(resp);
    return api_respond_json(resp, 200, gv_document(s->registry, group, version));
}
