/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST verbs on any group/version/resource (reference/kube-api.md sections
 * 1.1, 1.9, 2.1-2.6): one blocking libcurl transfer per call on a pooled
 * handle, after a token from the client's rate limiter. Bodies are JSON,
 * except that server-side apply sends its JSON as application/apply-patch+yaml
 * (JSON is YAML) with fieldManager=anvil&force=true.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

#define KUBE_MAX_URL ((size_t)1024 * 1024)

struct body_sink {
    struct buf body;
    bool overflow;
};

static size_t sink_write(char *data, size_t size, size_t n, void *userdata)
{
    struct body_sink *s = userdata;

    if (buf_append(&s->body, data, size * n) < 0) {
        s->overflow = true;
        return 0; /* aborts the transfer */
    }
    return size * n;
}

static long header_retry_after(CURL *h)
{
    struct curl_header *hdr = NULL;

    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK || !hdr)
        return 0;
    return kube_retry_after_parse(hdr->value, (int64_t)time(NULL));
}

static int http_perform(struct kube_client *c,
                        CURL *h,
                        const struct kube_http_req *req,
                        struct body_sink *sink,
                        const char *errbuf,
                        struct kube_error *err)
{
    CURLcode cc;

    if (strcmp(req->method, "GET") == 0)
        cc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else
        cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (cc == CURLE_OK && req->body) {
        cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    }
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    if (cc != CURLE_OK)
        return kube_curl_error(cc, NULL, err);
    cc = curl_easy_perform(h);
    if (cc == CURLE_WRITE_ERROR && sink->overflow)
        return kube_error_local(err, -E2BIG, "the answer is larger than %zu bytes", sink->body.max);
    if (cc != CURLE_OK)
        return kube_curl_error(cc, errbuf, err);
    return 0;
}

int kube_http_call(struct kube_client *c,
                   const struct kube_http_req *req,
                   json_t **ret,
                   struct kube_error *err)
{
    _cleanup_buf_ struct buf url = BUF_INIT(KUBE_MAX_URL);
    struct body_sink sink = {.body = BUF_INIT(KUBE_MAX_RESPONSE)};
    struct kube_creds creds = {0};
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE];
    long code = 0, retry_after = 0;
    bool waited = false;
    uint64_t start;
    CURL *h;
    int r;

    if (buf_append_str(&url, c->base_url) < 0 || buf_append_str(&url, req->path_query) < 0)
        return kube_error_local(err, -E2BIG, "request URL too long");
    r = kube_auth_get(&c->auth, kube_now_ns(), (int64_t)time(NULL), &creds, err);
    if (r < 0)
        return r;
    r = kube_limiter_wait(&c->limiter, NULL, &waited);
    if (r < 0) {
        kube_creds_clear(&creds);
        return kube_error_local(err, r, "rate limiter");
    }
    h = kube_client_handle_get(c);
    if (!h) {
        kube_creds_clear(&creds);
        return kube_error_local(err, -ENOMEM, "cannot create a curl handle");
    }
    r = kube_client_setup(c, h, buf_str(&url), req->body ? req->content_type : NULL, &creds, errbuf,
                          &headers);
    kube_creds_clear(&creds);
    if (r < 0) {
        kube_client_handle_put(c, h);
        return kube_error_local(err, r, "cannot set up the transfer");
    }
    start = kube_now_ns();
    r = http_perform(c, h, req, &sink, errbuf, err);
    if (r >= 0) {
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        retry_after = header_retry_after(h);
    }
    kube_client_account(c, code, kube_now_ns() - start, waited);
    /* The list is referenced by the handle until its next reset. */
    (void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    kube_client_handle_put(c, h);
    if (r >= 0) {
        if (code == 401)
            kube_auth_invalidate(&c->auth);
        r = kube_response_finish(code, sink.body.data, sink.body.len, retry_after, ret, err);
    }
    buf_free(&sink.body);
    return r;
}

/* ------------------------------------------------------------- verbs */

static int check_resource(const struct kube_resource *r, struct kube_error *err)
{
    if (!r || !r->version || !*r->version || !r->resource || !*r->resource)
        return kube_error_local(err, -EINVAL,
                                "incomplete resource (version and resource "
                                "are required)");
    return 0;
}

/* The namespace of an object request: ns, else the object's own. */
static int object_ns(const struct kube_resource *r,
                     const char *ns,
                     const json_t *obj,
                     const char **ret,
                     struct kube_error *err)
{
    *ret = NULL;
    if (!r->namespaced)
        return 0;
    if (!ns || !*ns)
        ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    if (!ns || !*ns)
        return kube_error_local(err, -EINVAL, "%s is namespaced: a namespace is required",
                                r->resource);
    *ret = ns;
    return 0;
}

static const char *object_name(const json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

/* Builds the path (and query) into url; -EINVAL for bad pieces. */
static int build_path(struct buf *url,
                      const struct kube_resource *r,
                      const char *ns,
                      const char *name,
                      const char *sub,
                      struct kube_error *err)
{
    int k = kube_path_build(url, r, ns, name, sub);
    if (k == -EINVAL)
        return kube_error_local(err, k, "invalid resource, namespace or name");
    if (k < 0)
        return kube_error_local(err, k, "request path too long");
    return 0;
}

/* method on path with obj (may be NULL) as body. */
static int call_json(struct kube_client *c,
                     const char *method,
                     const char *path,
                     const char *content_type,
                     const json_t *obj,
                     json_t **ret,
                     struct kube_error *err)
{
    _cleanup_free_ char *body = NULL;

    if (obj) {
        body = json_dumps(obj, JSON_COMPACT);
        if (!body)
            return kube_error_local(err, -ENOMEM, "cannot serialise the request body");
    }
    return kube_http_call(c,
                          &(struct kube_http_req){
                                  .method = method,
                                  .path_query = path,
                                  .content_type = content_type,
                                  .body = body,
                                  .body_len = body ? strlen(body) : 0,
                          },
                          ret, err);
}

int kube_get(struct kube_client *c,
             const struct kube_resource *r,
             const char *ns,
             const char *name,
             json_t **ret,
             struct kube_error *err)
{
    _cleanup_buf_ struct buf path = BUF_INIT(KUBE_MAX_URL);
    int k;

    if (!c || !ret || !name || !*name)
        return kube_error_local(err, -EINVAL, "kube_get: client, name and ret are required");
    k = check_resource(r, err);
    if (k < 0)
        return k;
    if (r->namespaced && (!ns || !*ns))
        return kube_error_local(err, -EINVAL, "%s is namespaced: a namespace is required",
                                r->resource);
    k = build_path(&path, r, ns, name, NULL, err);
    if (k < 0)
        return k;
    return call_json(c, "GET", buf_str(&path), NULL, NULL, ret, err);
}

int kube_list(struct kube_client *c,
              const struct kube_resource *r,
              const char *ns,
              const struct kube_list_opts *opts,
              json_t **ret,
              struct kube_error *err)
{
    _cleanup_buf_ struct buf path = BUF_INIT(KUBE_MAX_URL);
    int k;

    if (!c || !ret)
        return kube_error_local(err, -EINVAL, "kube_list: client and ret are required");
    k = check_resource(r, err);
    if (k >= 0)
        k = build_path(&path, r, ns, NULL, NULL, err);
    if (k < 0)
        return k;
    k = kube_query_list(&path, opts);
    if (k < 0)
        return kube_error_local(err, k, k == -EINVAL ? "negative limit" : "query too long");
    return call_json(c, "GET", buf_str(&path), NULL, NULL, ret, err);
}

static int list_append_page(json_t *all, json_t *page)
{
    json_t *items = json_object_get(all, "items"), *more = json_object_get(page, "items");

    if (!json_is_array(more))
        return 0;
    if (!json_is_array(items))
        return json_object_set(all, "items", more) < 0 ? -ENOMEM : 0;
    return json_array_extend(items, more) < 0 ? -ENOMEM : 0;
}

int kube_list_all(struct kube_client *c,
                  const struct kube_resource *r,
                  const char *ns,
                  const struct kube_list_opts *opts,
                  long page_size,
                  json_t **ret,
                  struct kube_error *err)
{
    _cleanup_json_ json_t *all = NULL;
    _cleanup_free_ char *cont = NULL;
    struct kube_list_opts o = opts ? *opts : (struct kube_list_opts){0};
    int k;

    if (!c || !ret || page_size < 0)
        return kube_error_local(err, -EINVAL, "kube_list_all: bad arguments");
    o.limit = page_size ? page_size : KUBE_DEFAULT_PAGE_SIZE;
    o.cont = NULL;
    for (long pages = 0;; pages++) {
        _cleanup_json_ json_t *page = NULL;
        const char *next;

        if (pages >= KUBE_MAX_LIST_PAGES)
            return kube_error_local(err, -E2BIG, "more than %ld pages", KUBE_MAX_LIST_PAGES);
        o.cont = cont;
        k = kube_list(c, r, ns, &o, &page, err);
        if (k < 0)
            return k;
        /* A continued list keeps the snapshot of the first page, whose
         * resourceVersion the caller watches from; later pages only add
         * items. */
        if (!all)
            all = json_incref(page);
        else if (list_append_page(all, page) < 0)
            return kube_error_local(err, -ENOMEM, "out of memory");
        next = json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));
        if (!next || !*next)
            break;
        if (cont && strcmp(cont, next) == 0)
            return kube_error_local(err, -EBADMSG, "the server repeated a continue token");
        free(cont);
        cont = strdup(next);
        if (!cont)
            return kube_error_local(err, -ENOMEM, "out of memory");
    }
    json_t *meta = json_object_get(all, "metadata");
    (void)json_object_del(meta, "continue");
    (void)json_object_del(meta, "remainingItemCount");
    *ret = TAKE_PTR(all);
    return 0;
}

static int write_object(struct kube_client *c,
                        const char *method,
                        const struct kube_resource *r,
                        const char *ns,
                        const json_t *obj,
                        bool collection,
                        const char *sub,
                        json_t **ret,
                        struct kube_error *err)
{
    _cleanup_buf_ struct buf path = BUF_INIT(KUBE_MAX_URL);
    const char *name = collection ? NULL : object_name(obj);
    int k;

    if (!c || !ret || !json_is_object(obj))
        return kube_error_local(err, -EINVAL, "client, object and ret are required");
    k = check_resource(r, err);
    if (k >= 0)
        k = object_ns(r, ns, obj, &ns, err);
    if (k < 0)
        return k;
    if (!collection && (!name || !*name))
        return kube_error_local(err, -EINVAL, "metadata.name is required");
    k = build_path(&path, r, ns, name, sub, err);
    if (k < 0)
        return k;
    return call_json(c, method, buf_str(&path), "application/json", obj, ret, err);
}

int kube_create(struct kube_client *c,
                const struct kube_resource *r,
                const char *ns,
                const json_t *obj,
                json_t **ret,
                struct kube_error *err)
{
    return write_object(c, "POST", r, ns, obj, true, NULL, ret, err);
}

int kube_update(struct kube_client *c,
                const struct kube_resource *r,
                const char *ns,
                const json_t *obj,
                json_t **ret,
                struct kube_error *err)
{
    return write_object(c, "PUT", r, ns, obj, false, NULL, ret, err);
}

int kube_update_status(struct kube_client *c,
                       const struct kube_resource *r,
                       const char *ns,
                       const json_t *obj,
                       json_t **ret,
                       struct kube_error *err)
{
    return write_object(c, "PUT", r, ns, obj, false, "status", ret, err);
}

int kube_patch(struct kube_client *c,
               const struct kube_resource *r,
               const char *ns,
               const char *name,
               const char *subresource,
               enum kube_patch_type type,
               const json_t *patch,
               json_t **ret,
               struct kube_error *err)
{
    static const char *const types[_KUBE_PATCH_MAX] = {
            [KUBE_PATCH_MERGE] = "application/merge-patch+json",
            [KUBE_PATCH_JSON] = "application/json-patch+json",
            [KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
    };
    _cleanup_buf_ struct buf path = BUF_INIT(KUBE_MAX_URL);
    int k;

    if (!c || !ret || !name || !*name || (int)type < 0 || type >= _KUBE_PATCH_MAX)
        return kube_error_local(err, -EINVAL, "kube_patch: bad arguments");
    /* RFC 6902 patches are arrays of operations, the others objects. */
    if (type == KUBE_PATCH_JSON ? !json_is_array(patch) : !json_is_object(patch))
        return kube_error_local(err, -EINVAL, "kube_patch: the patch has the wrong JSON type");
    k = check_resource(r, err);
    if (k < 0)
        return k;
    if (r->namespaced && (!ns || !*ns))
        return kube_error_local(err, -EINVAL, "%s is namespaced: a namespace is required",
                                r->resource);
    k = build_path(&path, r, ns, name, subresource, err);
    if (k < 0)
        return k;
    if (type == KUBE_PATCH_APPLY &&
        ((k = kube_query_add(&path, "fieldManager", KUBE_FIELD_MANAGER)) < 0 ||
         (k = kube_query_add(&path, "force", "true")) < 0))
        return kube_error_local(err, k, "request path too long");
    return call_json(c, "PATCH", buf_str(&path), types[type], patch, ret, err);
}

int kube_delete(struct kube_client *c,
                const struct kube_resource *r,
                const char *ns,
                const char *name,
                const char *preconditions_rv,
                json_t **ret,
                struct kube_error *err)
{
    _cleanup_buf_ struct buf path = BUF_INIT(KUBE_MAX_URL);
    _cleanup_json_ json_t *opts = NULL, *result = NULL;
    int k;

    if (!c || !name || !*name)
        return kube_error_local(err, -EINVAL, "kube_delete: client and name are required");
    k = check_resource(r, err);
    if (k < 0)
        return k;
    if (r->namespaced && (!ns || !*ns))
        return kube_error_local(err, -EINVAL, "%s is namespaced: a namespace is required",
                                r->resource);
    k = build_path(&path, r, ns, name, NULL, err);
    if (k < 0)
        return k;
    /* What kubectl sends (reference section 2.6), plus the precondition. */
    opts = json_pack("{s:s, s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1",
                     "propagationPolicy", "Background");
    if (!opts || (preconditions_rv &&
                  json_object_set_new(opts, "preconditions",
                                      json_pack("{s:s}", "resourceVersion", preconditions_rv)) < 0))
        return kube_error_local(err, -ENOMEM, "out of memory");
    k = call_json(c, "DELETE", buf_str(&path), "application/json", opts, &result, err);
    if (k < 0)
        return k;
    if (ret)
        *ret = TAKE_PTR(result);
    return 0;
}

int kube_request(struct kube_client *c,
                 const char *method,
                 const char *path,
                 const char *content_type,
                 const json_t *body,
                 json_t **ret,
                 struct kube_error *err)
{
    if (!c || !ret || !method || !*method || strpbrk(method, " \r\n") || !path || path[0] != '/' ||
        strpbrk(path, " \r\n") || (content_type && strpbrk(content_type, "\r\n")))
        return kube_error_local(err, -EINVAL, "kube_request: bad arguments");
    return call_json(c, method, path,
                     body ? (content_type ? content_type : "application/json") : NULL, body, ret,
                     err);
}
