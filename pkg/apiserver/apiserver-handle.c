/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request dispatch: authentication, the non-resource endpoints, and the
 * verb of a resource request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "apiserver/apiserver-objects.h"
#include "apistore/apistore.h"
#include "base/json-cleanup.h"

static const char *method_name(enum api_method m)
{
    static const char *const names[_API_METHOD_MAX] = {
            [API_GET] = "GET",         [API_HEAD] = "HEAD",   [API_POST] = "POST",
            [API_PUT] = "PUT",         [API_PATCH] = "PATCH", [API_DELETE] = "DELETE",
            [API_OPTIONS] = "OPTIONS",
    };
    return m < _API_METHOD_MAX ? names[m] : "?";
}

static int method_not_allowed(struct api_response *resp, enum api_method m)
{
    return api_respond_status(resp, 405, "MethodNotAllowed", api_details(NULL, NULL, NULL),
                              "the server does not allow this method on the requested resource "
                              "(%s)",
                              method_name(m));
}

int api_handle_resource(struct apiserver *s,
                        const struct api_request *req,
                        const struct api_path *p,
                        struct api_response *resp)
{
    const struct api_resource *res =
            api_registry_find(s->registry, p->group, p->version, p->resource);
    if (!res)
        return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                                  "the server could not find the requested resource");
    if (res->namespaced != (p->ns != NULL) && (p->name || req->method == API_POST)) {
        if (!res->namespaced)
            return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                                      "the server could not find the requested resource");
        return method_not_allowed(resp, req->method);
    }
    if (!res->namespaced && p->ns)
        return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                                  "the server could not find the requested resource");
    bool status = false;
    if (p->subresource) {
        if (strcmp(p->subresource, "status") != 0 || !res->has_status || !p->name)
            return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                                      "the server could not find the requested resource");
        status = true;
    }
    if (p->ns && !api_is_dns1123_label(p->ns))
        return api_respond_status(resp, 404, "NotFound", api_details(p->ns, "", "namespaces"),
                                  "namespaces \"%s\" not found", p->ns);
    const char *ns = res->namespaced ? p->ns : "";

    switch (req->method) {
    case API_GET:
    case API_HEAD:
        if (p->name)
            return api_get(s, req, res, ns, p->name, resp);
        if (req->q.watch)
            return api_watch_accept(s, req, res, p->ns, resp);
        return api_list(s, req, res, p->ns, resp);
    case API_POST:
        if (p->name)
            return method_not_allowed(resp, req->method);
        return api_create(s, req, res, ns, resp);
    case API_PUT:
        if (!p->name)
            return method_not_allowed(resp, req->method);
        return api_update(s, req, res, ns, p->name, status, resp);
    case API_PATCH:
        if (!p->name)
            return method_not_allowed(resp, req->method);
        return api_patch(s, req, res, ns, p->name, status, resp);
    case API_DELETE:
        if (status)
            return method_not_allowed(resp, req->method);
        if (!p->name)
            return api_delete_collection(s, req, res, p->ns, resp);
        return api_delete(s, req, res, ns, p->name, resp);
    default:
        return method_not_allowed(resp, req->method);
    }
}

static int handle_version(struct api_response *resp)
{
    json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1", "minor", "32",
                          "gitVersion", "v1.32.0-anvil", "gitCommit", "", "gitTreeState", "clean",
                          "buildDate", "", "goVersion", "none", "compiler", "cc", "platform",
                          "linux/amd64");
    return api_respond_json(resp, 200, v);
}

static int handle_health(struct apiserver *s, struct api_response *resp)
{
    if (!s->ready)
        return api_respond_raw(resp, 500, "text/plain; charset=utf-8", "not ready\n", 10);
    return api_respond_raw(resp, 200, "text/plain; charset=utf-8", "ok", 2);
}

/* Bearer token check; /version and the health endpoints stay public as
 * kube-apiserver's default RBAC makes them. */
static bool authorized(struct apiserver *s, const struct api_request *req)
{
    if (!s->tokens)
        return true;
    const char *a = req->authorization;
    if (!a || strncmp(a, "Bearer ", 7) != 0)
        return false;
    return json_object_get(s->tokens, a + 7) != NULL;
}

int api_handle(struct apiserver *s, const struct api_request *req, struct api_response *resp)
{
    struct api_path p;
    int r = api_path_parse(req->path, &p);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                                  "the server could not find the requested resource");
    bool public = p.kind == API_PATH_VERSION || p.kind == API_PATH_HEALTH;
    if (!public && !authorized(s, req)) {
        api_path_clear(&p);
        return api_respond_status(resp, 401, "Unauthorized", NULL, "Unauthorized");
    }
    if (req->method != API_GET && req->method != API_HEAD && p.kind != API_PATH_RESOURCE) {
        api_path_clear(&p);
        return method_not_allowed(resp, req->method);
    }
    switch (p.kind) {
    case API_PATH_VERSION:
        r = handle_version(resp);
        break;
    case API_PATH_HEALTH:
        r = handle_health(s, resp);
        break;
    case API_PATH_METRICS: {
        resp->status = 200;
        resp->content_type = "text/plain; version=0.0.4";
        r = api_metrics_render(s, &resp->body);
        break;
    }
    case API_PATH_DISCOVERY:
        r = api_handle_discovery(s, req, &p, resp);
        break;
    case API_PATH_OPENAPI_V2:
    case API_PATH_OPENAPI_V3:
        r = api_handle_openapi(s, req, &p, resp);
        break;
    case API_PATH_RESOURCE:
        r = api_handle_resource(s, req, &p, resp);
        break;
    default:
        r = api_respond_status(resp, 404, "NotFound", api_details(NULL, NULL, NULL),
                               "the server could not find the requested resource");
    }
    api_path_clear(&p);
    if (r == -ENOMEM) {
        api_response_clear(resp);
        api_response_init(resp);
        return api_respond_status(resp, 500, "InternalError", NULL,
                                  "Internal error occurred: out of memory");
    }
    return r;
}
