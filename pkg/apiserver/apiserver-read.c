/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reads: get, list (JSON and Table, selectors, paging, resourceVersion
 * semantics) and the acceptance of watch requests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "apiserver/apiserver-objects.h"
#include "apistore/apistore.h"
#include "base/json-cleanup.h"
#include "selector/selector.h"

int api_object_load(struct apiserver *s,
                    const struct api_resource *res,
                    const char *ns,
                    const char *name,
                    json_t **ret,
                    uint64_t *ret_rev)
{
    _cleanup_free_ char *body = NULL;
    uint64_t rev;
    int r = apistore_get(s->store, res->store_key, ns ? ns : "", name, &body, &rev);
    if (r < 0)
        return r;
    json_t *obj = json_loads(body, 0, NULL);
    if (!obj)
        return -EIO;
    api_object_set_version(res, obj);
    *ret = obj;
    if (ret_rev)
        *ret_rev = rev;
    return 0;
}

void api_object_set_version(const struct api_resource *res, json_t *obj)
{
    char av[256];
    if (res->group[0])
        snprintf(av, sizeof(av), "%s/%s", res->group, res->version);
    else
        snprintf(av, sizeof(av), "%s", res->version);
    json_object_set_new(obj, "apiVersion", json_string(av));
    json_object_set_new(obj, "kind", json_string(res->kind));
}

void api_api_version(const struct api_resource *res, char *out, size_t n)
{
    if (res->group[0])
        snprintf(out, n, "%s/%s", res->group, res->version);
    else
        snprintf(out, n, "%s", res->version);
}

int api_respond_not_found(struct api_response *resp,
                          const struct api_resource *res,
                          const char *name)
{
    char q[300];
    api_qualified(res, q, sizeof(q));
    return api_respond_status(resp, 404, "NotFound", api_details(name, res->group, res->plural),
                              "%s \"%s\" not found", q, name);
}

int api_respond_store_error(struct api_response *resp,
                            const struct api_resource *res,
                            const char *name,
                            int r)
{
    char q[300];
    api_qualified(res, q, sizeof(q));
    switch (r) {
    case -ENOENT:
        return api_respond_not_found(resp, res, name);
    case -EEXIST:
        return api_respond_status(resp, 409, "AlreadyExists",
                                  api_details(name, res->group, res->plural),
                                  "%s \"%s\" already exists", q, name);
    case -ECANCELED:
        return api_respond_status(resp, 409, "Conflict", api_details(name, res->group, res->plural),
                                  "Operation cannot be fulfilled on %s \"%s\": the object has been "
                                  "modified; please apply your changes to the latest version and "
                                  "try again",
                                  q, name);
    case -ENOMEM:
        return api_respond_status(resp, 500, "InternalError", NULL,
                                  "Internal error occurred: out of memory");
    default:
        return api_respond_status(resp, 500, "InternalError", NULL,
                                  "Internal error occurred: storage error: %s", strerror(-r));
    }
}

/* The list options shared by list and watch: selectors and their checks. */
int api_selectors_parse(const struct api_resource *res,
                        const struct api_query *q,
                        struct api_response *resp,
                        struct label_selector **ret_labels,
                        struct field_selector **ret_fields)
{
    _cleanup_free_ char *err = NULL;
    struct label_selector *ls = NULL;
    struct field_selector *fs = NULL;
    if (label_selector_parse(q->label_selector, &ls, &err) < 0)
        return api_respond_status(resp, 400, "BadRequest", NULL, "%s",
                                  err ? err : "invalid label selector");
    if (field_selector_parse(q->field_selector, &fs, &err) < 0) {
        label_selector_free(ls);
        return api_respond_status(resp, 400, "BadRequest", NULL, "%s",
                                  err ? err : "invalid field selector");
    }
    for (size_t i = 0; i < field_selector_n_terms(fs); i++) {
        const char *key = field_selector_term_key(fs, i);
        bool ok = strcmp(key, "metadata.name") == 0 || strcmp(key, "metadata.namespace") == 0;
        size_t j;
        json_t *v;
        json_array_foreach(res->field_selectors, j, v) {
            if (strcmp(json_string_value(v), key) == 0)
                ok = true;
        }
        if (!ok) {
            int r = api_respond_status(resp, 400, "BadRequest", NULL,
                                       "field label not supported: %s", key);
            label_selector_free(ls);
            field_selector_free(fs);
            return r;
        }
    }
    *ret_labels = ls;
    *ret_fields = fs;
    return 1;
}

/* Continue tokens: "<rev>/<ns>/<name>" base64url-less; opaque to clients. */
static char *continue_token(uint64_t rev, const char *ns, const char *name)
{
    json_t *t = json_pack("{s:I,s:s,s:s}", "rv", (json_int_t)rev, "ns", ns, "name", name);
    if (!t)
        return NULL;
    char *text = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    if (!text)
        return NULL;
    /* hex-encode so the token needs no URL escaping */
    size_t n = strlen(text);
    char *hex = malloc(n * 2 + 1);
    if (hex)
        for (size_t i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
    free(text);
    return hex;
}

static int continue_parse(const char *tok, uint64_t *rev, char **ns, char **name)
{
    size_t n = strlen(tok);
    if (n == 0 || n % 2 || n > 4096)
        return -EINVAL;
    _cleanup_free_ char *text = malloc(n / 2 + 1);
    if (!text)
        return -ENOMEM;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(tok + 2 * i, "%2x", &v) != 1)
            return -EINVAL;
        text[i] = (char)v;
    }
    text[n / 2] = '\0';
    _cleanup_json_ json_t *t = json_loads(text, 0, NULL);
    json_int_t r = json_integer_value(json_object_get(t, "rv"));
    const char *a = json_string_value(json_object_get(t, "ns"));
    const char *b = json_string_value(json_object_get(t, "name"));
    if (!t || r <= 0 || !a || !b)
        return -EINVAL;
    *ns = strdup(a);
    *name = strdup(b);
    if (!*ns || !*name) {
        free(*ns);
        free(*name);
        return -ENOMEM;
    }
    *rev = (uint64_t)r;
    return 0;
}

struct list_ctx {
    const struct api_resource *res;
    struct label_selector *labels;
    struct field_selector *fields;
    bool needs_parse; /* field selector beyond metadata, table, or version rewrite */
    bool parse_items;
    json_t *items; /* parsed mode (apiVersion rewrite) */
    json_t *table; /* Table mode: rows are built as rows arrive */
    const char *include_object;
    struct buf *raw; /* raw mode: comma-joined bodies */
    size_t count;
    size_t limit;
    char *last_ns, *last_name;
    int error;
};

static int list_row(const struct apistore_row *row, void *userdata)
{
    struct list_ctx *c = userdata;
    if (!label_selector_is_empty(c->labels)) {
        _cleanup_json_ json_t *labels = json_loads(row->labels, 0, NULL);
        if (!label_selector_matches(c->labels, labels))
            return 0;
    }
    json_t *obj = NULL;
    if (c->needs_parse || c->parse_items) {
        obj = json_loadb(row->body, row->body_len, 0, NULL);
        if (!obj)
            return 0; /* a row we cannot read is skipped, never served half */
        if (field_selector_n_terms(c->fields) > 0 && !field_selector_matches(c->fields, obj)) {
            json_decref(obj);
            return 0;
        }
    }
    if (c->table) {
        api_object_set_version(c->res, obj);
        int r = api_table_append(c->table, c->res->printer_columns, obj, c->include_object,
                                 api_now_sec());
        json_decref(obj);
        if (r < 0)
            return r;
    } else if (c->parse_items) {
        api_object_set_version(c->res, obj);
        if (json_array_append_new(c->items, obj) < 0)
            return -ENOMEM;
    } else {
        json_decref(obj);
        int r = 0;
        if (c->count > 0)
            r = buf_append(c->raw, ",", 1);
        if (r == 0)
            r = buf_append(c->raw, row->body, row->body_len);
        if (r < 0)
            return r;
    }
    c->count++;
    free(c->last_ns);
    free(c->last_name);
    c->last_ns = strdup(row->ns);
    c->last_name = strdup(row->name);
    if (!c->last_ns || !c->last_name)
        return -ENOMEM;
    return 0;
}

static bool fields_need_object(const struct field_selector *fs)
{
    for (size_t i = 0; i < field_selector_n_terms(fs); i++) {
        const char *k = field_selector_term_key(fs, i);
        if (strcmp(k, "metadata.name") != 0)
            return true;
    }
    return false;
}

/* Parses the resourceVersion parameter: 0 for "" / absent, -EINVAL for junk. */
int api_parse_rv(const char *s, uint64_t *ret)
{
    if (!s || !*s) {
        *ret = 0;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || s[0] == '+')
        return -EINVAL;
    *ret = v;
    return 0;
}

int api_respond_too_large_rv(struct apiserver *s, struct api_response *resp, uint64_t rv)
{
    json_t *d = json_pack("{s:[{s:s,s:s}],s:i}", "causes", "reason", "ResourceVersionTooLarge",
                          "message", "Too large resource version", "retryAfterSeconds", 1);
    return api_respond_status(resp, 504, "Timeout", d,
                              "Timeout: Too large resource version: %" PRIu64 ", current: %" PRIu64,
                              rv, apistore_revision(s->store));
}

int api_respond_expired(struct api_response *resp, uint64_t rv, uint64_t compacted)
{
    return api_respond_status(resp, 410, "Expired", NULL,
                              "too old resource version: %" PRIu64 " (%" PRIu64 ")", rv,
                              compacted + 1);
}

static int list_emit(struct apiserver *s,
                     const struct api_request *req,
                     const struct api_resource *res,
                     struct list_ctx *c,
                     uint64_t list_rev,
                     bool more,
                     struct api_response *resp)
{
    (void)s;
    (void)req;
    char rvs[32], av[256];
    snprintf(rvs, sizeof(rvs), "%" PRIu64, list_rev);
    api_api_version(res, av, sizeof(av));
    _cleanup_free_ char *cont = NULL;
    if (more) {
        cont = continue_token(list_rev, c->last_ns ? c->last_ns : "",
                              c->last_name ? c->last_name : "");
        if (!cont)
            return -ENOMEM;
    }
    if (c->table) {
        json_t *t = TAKE_PTR(c->table);
        json_object_set_new(json_object_get(t, "metadata"), "resourceVersion", json_string(rvs));
        if (cont)
            json_object_set_new(json_object_get(t, "metadata"), "continue", json_string(cont));
        int r = api_respond_json(resp, 200, t);
        resp->content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
        return r;
    }
    if (c->parse_items) {
        json_t *list = json_pack("{s:s,s:s,s:{s:s},s:O}", "apiVersion", av, "kind", res->list_kind,
                                 "metadata", "resourceVersion", rvs, "items", c->items);
        if (!list)
            return -ENOMEM;
        if (cont)
            json_object_set_new(json_object_get(list, "metadata"), "continue", json_string(cont));
        return api_respond_json(resp, 200, list);
    }
    /* Raw mode: the stored bodies were spliced into the response body as
     * they came; the list envelope goes around them here. */
    resp->status = 200;
    resp->content_type = "application/json";
    _cleanup_buf_ struct buf head = BUF_INIT(8192);
    int r = buf_printf(&head,
                       "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"resourceVersion\":"
                       "\"%s\"",
                       av, res->list_kind, rvs);
    if (r == 0 && cont)
        r = buf_printf(&head, ",\"continue\":\"%s\"", cont);
    if (r == 0)
        r = buf_append_str(&head, "},\"items\":[");
    if (r == 0)
        r = buf_append(c->raw, "]}", 2);
    if (r == 0)
        r = buf_append(c->raw, head.data, head.len); /* make room, then rotate */
    if (r < 0)
        return r;
    memmove(c->raw->data + head.len, c->raw->data, c->raw->len - head.len);
    memcpy(c->raw->data, head.data, head.len);
    return 0;
}

int api_list(struct apiserver *s,
             const struct api_request *req,
             const struct api_resource *res,
             const char *ns,
             struct api_response *resp)
{
    const struct api_query *q = &req->q;
    struct label_selector *ls = NULL;
    struct field_selector *fs = NULL;
    int r = api_selectors_parse(res, q, resp, &ls, &fs);
    if (r <= 0)
        return r;

    _cleanup_free_ char *after_ns = NULL, *after_name = NULL;
    struct list_ctx c = {
            .res = res,
            .labels = ls,
            .fields = fs,
            .needs_parse = fields_need_object(fs),
            .parse_items = api_accepts_table(req->accept) || !res->storage_version,
            .raw = &resp->body,
            .limit = q->limit > 0 ? (size_t)q->limit : 0,
    };
    if (api_accepts_table(req->accept)) {
        c.table = api_table_new(res->printer_columns, true, "");
        c.include_object = req->q.include_object;
        if (!c.table) {
            r = -ENOMEM;
            goto out;
        }
    } else if (c.parse_items && !(c.items = json_array())) {
        r = -ENOMEM;
        goto out;
    }
    uint64_t rv;
    if (api_parse_rv(q->resource_version, &rv) < 0) {
        r = api_respond_status(resp, 400, "BadRequest", NULL, "invalid resourceVersion: %s",
                               q->resource_version);
        goto out;
    }
    if (q->send_initial_events_set) {
        r = api_respond_status(resp, 422, "Invalid", NULL,
                               "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: "
                               "Forbidden: sendInitialEvents is forbidden for list");
        goto out;
    }
    bool exact = q->resource_version_match && strcmp(q->resource_version_match, "Exact") == 0;
    if (q->resource_version_match && !exact &&
        strcmp(q->resource_version_match, "NotOlderThan") != 0) {
        r = api_respond_status(resp, 400, "BadRequest", NULL,
                               "unsupported resourceVersionMatch: %s", q->resource_version_match);
        goto out;
    }
    if (exact && rv == 0) {
        r = api_respond_status(resp, 422, "Invalid", NULL,
                               "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                               "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
                               "resourceVersion \"0\"");
        goto out;
    }
    if (rv > apistore_revision(s->store)) {
        r = api_respond_too_large_rv(s, resp, rv);
        goto out;
    }

    struct apistore_list_opts lo = {
            .ns = ns,
            .name = field_selector_exact_value(fs, "metadata.name"),
            .limit = c.limit,
    };
    const char *fns = field_selector_exact_value(fs, "metadata.namespace");
    if (fns && !ns)
        lo.ns = fns;
    uint64_t list_rev = 0, at = 0;
    bool more = false;
    if (q->cont && *q->cont) {
        if (continue_parse(q->cont, &at, &after_ns, &after_name) < 0) {
            r = api_respond_status(resp, 400, "BadRequest", NULL, "invalid continue token");
            goto out;
        }
        lo.after_ns = after_ns;
        lo.after_name = after_name;
    } else if (exact || (rv > 0 && c.limit > 0 && !q->resource_version_match)) {
        at = rv;
    }
    if (at > 0 && at != apistore_revision(s->store)) {
        r = apistore_list_at(s->store, res->store_key, at, &lo, list_row, &c, &more);
        list_rev = at;
        if (r == -ESTALE) {
            if (q->cont)
                r = api_respond_status(resp, 410, "Expired", NULL,
                                       "The provided continue parameter is too old to display a "
                                       "consistent list result. You can start a new list without "
                                       "the continue parameter.");
            else
                r = api_respond_expired(resp, at, apistore_compacted_revision(s->store));
            goto out;
        }
    } else {
        r = apistore_list(s->store, res->store_key, &lo, list_row, &c, &list_rev, &more);
    }
    if (r < 0) {
        r = api_respond_store_error(resp, res, "", r);
        goto out;
    }
    r = list_emit(s, req, res, &c, list_rev, more, resp);
out:
    json_decref(c.items);
    json_decref(c.table);
    free(c.last_ns);
    free(c.last_name);
    label_selector_free(ls);
    field_selector_free(fs);
    return r;
}

int api_get(struct apiserver *s,
            const struct api_request *req,
            const struct api_resource *res,
            const char *ns,
            const char *name,
            struct api_response *resp)
{
    json_t *obj;
    int r = api_object_load(s, res, ns, name, &obj, NULL);
    if (r < 0)
        return api_respond_store_error(resp, res, name, r);
    if (api_accepts_table(req->accept)) {
        _cleanup_json_ json_t *items = json_pack("[o]", obj);
        char rvs[32];
        snprintf(rvs, sizeof(rvs), "%" PRIu64, apistore_revision(s->store));
        json_t *t = api_table_build(res->printer_columns, items, req->q.include_object, true, rvs,
                                    api_now_sec());
        r = api_respond_json(resp, 200, t);
        resp->content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
        return r;
    }
    return api_respond_json(resp, 200, obj);
}

int api_watch_accept(struct apiserver *s,
                     const struct api_request *req,
                     const struct api_resource *res,
                     const char *ns,
                     struct api_response *resp)
{
    const struct api_query *q = &req->q;
    struct label_selector *ls = NULL;
    struct field_selector *fs = NULL;
    uint64_t rv;
    (void)s;
    if (api_parse_rv(q->resource_version, &rv) < 0)
        return api_respond_status(resp, 400, "BadRequest", NULL, "invalid resourceVersion: %s",
                                  q->resource_version);
    if (q->send_initial_events_set && q->send_initial_events &&
        (!q->resource_version_match || strcmp(q->resource_version_match, "NotOlderThan") != 0))
        return api_respond_status(resp, 422, "Invalid", NULL,
                                  "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                                  "Forbidden: sendInitialEvents requires setting "
                                  "resourceVersionMatch to NotOlderThan");
    if (q->resource_version_match && !q->send_initial_events_set)
        return api_respond_status(resp, 422, "Invalid", NULL,
                                  "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                                  "Forbidden: resourceVersionMatch is forbidden for watch unless "
                                  "sendInitialEvents is provided");
    int r = api_selectors_parse(res, q, resp, &ls, &fs);
    if (r <= 0)
        return r;
    struct api_watch_spec *w = calloc(1, sizeof(*w));
    char av[256];
    api_api_version(res, av, sizeof(av));
    if (!w) {
        label_selector_free(ls);
        field_selector_free(fs);
        return -ENOMEM;
    }
    w->store_key = strdup(res->store_key);
    w->api_version = strdup(av);
    w->kind = strdup(res->kind);
    w->columns = json_incref(res->printer_columns);
    w->raw_ok = res->storage_version;
    w->ns = ns ? strdup(ns) : NULL;
    w->labels = ls;
    w->fields = fs;
    w->since = rv;
    w->initial_state = q->send_initial_events_set ? q->send_initial_events : rv == 0;
    w->bookmarks = q->allow_watch_bookmarks;
    w->initial_end = q->send_initial_events_set && q->send_initial_events;
    w->table = api_accepts_table(req->accept);
    /* Without timeoutSeconds kube-apiserver keeps a watch 30-60 minutes. */
    w->timeout_sec =
            q->timeout_seconds >= 0 ? q->timeout_seconds : 1800 + (int64_t)(random() % 1800);
    if (!w->store_key || !w->api_version || !w->kind || (ns && !w->ns)) {
        api_watch_spec_free(w);
        return -ENOMEM;
    }
    if (q->send_initial_events_set && q->send_initial_events && rv > 0) {
        /* NotOlderThan rv: the current state is never older. */
        w->since = 0;
    }
    resp->status = 200;
    resp->content_type =
            w->table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
    resp->watch = w;
    return 0;
}
