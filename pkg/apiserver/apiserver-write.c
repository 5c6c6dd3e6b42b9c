/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes: create, update, the three patch types, server-side apply (as
 * create-or-merge, see docs/apiserver.md), delete with finalizers, and the
 * status subresource and generation rules of kube-apiserver.
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
#include "jsonpatch/jsonpatch.h"
#include "schema/schema.h"
#include "selector/selector.h"
#include "yamljson/yamljson.h"

#define MAX_ANNOTATIONS_BYTES (256 * 1024)

static bool has_generation(const struct api_resource *res)
{
    return !res->builtin || strcmp(res->plural, "customresourcedefinitions") == 0;
}

static bool is_crd(const struct api_resource *res)
{
    return res->builtin && strcmp(res->plural, "customresourcedefinitions") == 0;
}

static bool dry_run(const struct api_request *req)
{
    return req->q.dry_run && strcmp(req->q.dry_run, "All") == 0;
}

/* Decodes the request body: JSON, or YAML for application/yaml and apply
 * patches. Returns 1 with *ret, or <= 0 after responding 400. */
static int
decode_body(const struct api_request *req, struct api_response *resp, bool yaml_ok, json_t **ret)
{
    const char *ct = req->content_type ? req->content_type : "application/json";
    if (!req->body || req->body_len == 0)
        return api_respond_status(resp, 400, "BadRequest", NULL, "the request body is empty");
    if (strstr(ct, "protobuf"))
        /* client-go falls back to JSON on this answer */
        return api_respond_status(resp, 415, "UnsupportedMediaType", NULL,
                                  "the body of the request was in an unknown format - accepted "
                                  "media types include: application/json, application/yaml");
    if (yaml_ok || strstr(ct, "yaml")) {
        struct yamljson_error e = {0};
        json_t *v = NULL;
        if (yamljson_parse(req->body, req->body_len, &v, &e) < 0)
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "error converting YAML to JSON: yaml: line %d: %s", e.line,
                                      e.message);
        *ret = v;
        return 1;
    }
    json_error_t err;
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!v)
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the object provided is unrecognized or malformed: %s "
                                  "(line %d, column %d)",
                                  err.text, err.line, err.column);
    *ret = v;
    return 1;
}

/* 422 Invalid with one cause per field error, worded like kube-apiserver. */
static int respond_invalid(struct api_response *resp,
                           const struct api_resource *res,
                           const char *name,
                           json_t *causes)
{
    char msgs[4096] = "";
    size_t i, n = json_array_size(causes);
    json_t *c;
    size_t off = 0;
    json_array_foreach(causes, i, c) {
        const char *m = json_string_value(json_object_get(c, "message"));
        off += (size_t)snprintf(msgs + off, off < sizeof(msgs) ? sizeof(msgs) - off : 0, "%s%s",
                                i ? ", " : "", m ? m : "");
        if (off >= sizeof(msgs))
            break;
    }
    json_t *d = api_details(name, res->group, res->kind);
    if (d)
        json_object_set(d, "causes", causes);
    json_decref(causes);
    if (res->group[0])
        return api_respond_status(resp, 422, "Invalid", d, "%s.%s \"%s\" is invalid: %s%s%s",
                                  res->kind, res->group, name, n > 1 ? "[" : "", msgs,
                                  n > 1 ? "]" : "");
    return api_respond_status(resp, 422, "Invalid", d, "%s \"%s\" is invalid: %s%s%s", res->kind,
                              name, n > 1 ? "[" : "", msgs, n > 1 ? "]" : "");
}

static json_t *meta_of(json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(obj, "metadata", m);
    }
    return m;
}

/* Base64 of stringData merged into data, as the Secret strategy does. */
static int secret_fold_string_data(json_t *obj)
{
    json_t *sd = json_object_get(obj, "stringData");
    if (!sd)
        return 0;
    json_t *data = json_object_get(obj, "data");
    if (!json_is_object(data)) {
        data = json_object();
        json_object_set_new(obj, "data", data);
    }
    const char *k;
    json_t *v;
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    json_object_foreach(sd, k, v) {
        const char *in = json_string_value(v);
        if (!in)
            continue;
        size_t n = strlen(in);
        _cleanup_free_ char *out = malloc(4 * ((n + 2) / 3) + 1);
        if (!out)
            return -ENOMEM;
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
            uint32_t x = (uint32_t)(unsigned char)in[i] << 16;
            if (i + 1 < n)
                x |= (uint32_t)(unsigned char)in[i + 1] << 8;
            if (i + 2 < n)
                x |= (uint32_t)(unsigned char)in[i + 2];
            out[o++] = tbl[(x >> 18) & 63];
            out[o++] = tbl[(x >> 12) & 63];
            out[o++] = i + 1 < n ? tbl[(x >> 6) & 63] : '=';
            out[o++] = i + 2 < n ? tbl[x & 63] : '=';
        }
        out[o] = '\0';
        json_object_set_new(data, k, json_string(out));
    }
    json_object_del(obj, "stringData");
    return 0;
}

/* Validation shared by create and update. Returns 1 when obj may be
 * stored, or <= 0 after responding. */
static int validate_object(struct apiserver *s,
                           const struct api_request *req,
                           const struct api_resource *res,
                           json_t *obj,
                           struct api_response *resp)
{
    (void)s;
    json_t *meta = meta_of(obj);
    const char *name = json_string_value(json_object_get(meta, "name"));
    _cleanup_json_ json_t *causes = json_array();
    if (!causes)
        return -ENOMEM;
    bool name_ok = strcmp(res->plural, "namespaces") == 0 ? api_is_dns1123_label(name)
                                                          : api_is_dns1123_subdomain(name);
    if (is_crd(res) || strcmp(res->plural, "events") == 0 || strcmp(res->plural, "leases") == 0)
        name_ok = name && *name && strlen(name) <= 253 && !strchr(name, '/') &&
                  strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
    if (!name_ok)
        api_add_cause(
                causes, "FieldValueInvalid", "metadata.name",
                "metadata.name: Invalid value: \"%s\": a lowercase RFC 1123 %s must consist of "
                "lower case alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character",
                name ? name : "", strcmp(res->plural, "namespaces") == 0 ? "label" : "subdomain");
    api_validate_labels(json_object_get(meta, "labels"), "metadata.labels", causes);
    json_t *ann = json_object_get(meta, "annotations");
    if (ann && !json_is_null(ann)) {
        size_t total = 0;
        const char *k;
        json_t *v;
        if (!json_is_object(ann))
            api_add_cause(causes, "FieldValueTypeInvalid", "metadata.annotations",
                          "metadata.annotations: Invalid value: must be a map of strings");
        else
            json_object_foreach(ann, k, v) {
                if (!json_is_string(v))
                    api_add_cause(
                            causes, "FieldValueTypeInvalid", "metadata.annotations",
                            "metadata.annotations: Invalid value: \"%s\": value must be a string",
                            k);
                total += strlen(k) + json_string_length(v);
            }
        if (total > MAX_ANNOTATIONS_BYTES)
            api_add_cause(causes, "FieldValueTooLong", "metadata.annotations",
                          "metadata.annotations: Too long: must have at most %d bytes",
                          MAX_ANNOTATIONS_BYTES);
    }
    json_t *fin = json_object_get(meta, "finalizers");
    if (fin && !json_is_null(fin) && !json_is_array(fin))
        api_add_cause(causes, "FieldValueTypeInvalid", "metadata.finalizers",
                      "metadata.finalizers: Invalid value: must be a list of strings");

    if (res->schema) {
        struct schema_result sr = {0};
        unsigned flags = SCHEMA_PRUNE | SCHEMA_DEFAULT | SCHEMA_VALIDATE;
        int r = schema_apply(res->schema, obj, flags, &sr);
        if (r == -ENOMEM) {
            schema_result_clear(&sr);
            return -ENOMEM;
        }
        bool strict = req->q.field_validation && strcmp(req->q.field_validation, "Strict") == 0;
        if (strict && sr.n_unknown > 0) {
            char list[2048] = "";
            size_t off = 0;
            for (size_t i = 0; i < sr.n_unknown && off < sizeof(list); i++)
                off += (size_t)snprintf(list + off, sizeof(list) - off, "%sunknown field \"%s\"",
                                        i ? ", " : "", sr.unknown[i]);
            schema_result_clear(&sr);
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "%s in body is invalid: strict decoding error: %s", res->kind,
                                      list);
        }
        if (sr.n_unknown > 0 && req->q.field_validation &&
            strcmp(req->q.field_validation, "Warn") == 0) {
            char w[1024];
            snprintf(w, sizeof(w), "299 - \"unknown field \\\"%s\\\"\"", sr.unknown[0]);
            free(resp->warning);
            resp->warning = strdup(w);
        }
        for (size_t i = 0; i < sr.n_causes; i++)
            json_array_append_new(
                    causes, api_cause(sr.causes[i].type, sr.causes[i].field, sr.causes[i].message));
        schema_result_clear(&sr);
    }
    if (is_crd(res) && api_crd_prepare(obj, causes) == -ENOMEM)
        return -ENOMEM;
    if (strcmp(res->plural, "secrets") == 0 && secret_fold_string_data(obj) < 0)
        return -ENOMEM;
    _cleanup_free_ char *decode_error = NULL;
    int rb = api_validate_builtin(res, obj, causes, &decode_error);
    if (rb == -EBADMSG)
        return api_respond_status(resp, 400, "BadRequest", NULL, "%s", decode_error);
    if (rb < 0)
        return rb;
    if (json_array_size(causes) > 0)
        return respond_invalid(resp, res, name ? name : "", TAKE_PTR(causes));
    return 1;
}

static int namespace_exists(struct apiserver *s, const char *ns)
{
    _cleanup_free_ char *body = NULL;
    uint64_t rev;
    return apistore_get(s->store, "/namespaces", "", ns, &body, &rev);
}

static int store_write(struct apiserver *s,
                       const struct api_resource *res,
                       enum apistore_op op,
                       const char *ns,
                       const char *name,
                       uint64_t expected,
                       json_t *obj)
{
    struct apistore_write w = {
            .op = op,
            .res = res->store_key,
            .ns = ns ? ns : "",
            .name = name,
            .expected_rev = expected,
            .obj = obj,
    };
    return apistore_write(s->store, &w, NULL);
}

/* After a CRD write the served resources change. */
static int after_write(struct apiserver *s,
                       const struct api_resource *res,
                       const char *name,
                       const json_t *obj)
{
    if (is_crd(res))
        return api_crd_changed(s, name, obj);
    return 0;
}

/* The end of every write: store (unless dryRun), let CRD changes take
 * effect, answer with the object. A DELETE here is the last finalizer
 * going away: obj is the final state. */
static int commit_and_respond(struct apiserver *s,
                              const struct api_request *req,
                              const struct api_resource *res,
                              enum apistore_op op,
                              const char *ns,
                              const char *name,
                              uint64_t expected,
                              json_t *obj,
                              int code,
                              struct api_response *resp)
{
    if (!dry_run(req)) {
        int r = store_write(s, res, op, ns, name, expected, obj);
        if (r < 0)
            return api_respond_store_error(resp, res, name, r);
        if ((r = after_write(s, res, name, op == APISTORE_DELETE ? NULL : obj)) < 0)
            return r;
    }
    return api_respond_json(resp, code, json_incref(obj));
}

/* Creates obj (already decoded) in ns. */
static int create_object(struct apiserver *s,
                         const struct api_request *req,
                         const struct api_resource *res,
                         const char *ns,
                         json_t *obj,
                         struct api_response *resp)
{
    char av[256];
    api_api_version(res, av, sizeof(av));
    if (!json_is_object(obj))
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the object provided is unrecognized or malformed: expected a "
                                  "JSON object");
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *bav = json_string_value(json_object_get(obj, "apiVersion"));
    if (kind && strcmp(kind, res->kind) != 0)
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the kind of the provided object (%s) does not match the "
                                  "resource (%s)",
                                  kind, res->kind);
    if (bav && strcmp(bav, av) != 0)
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the API version in the data (%s) does not match the expected "
                                  "API version (%s)",
                                  bav, av);
    json_t *meta = meta_of(obj);
    const char *bns = json_string_value(json_object_get(meta, "namespace"));
    if (res->namespaced) {
        if (bns && *bns && strcmp(bns, ns) != 0)
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "the namespace of the provided object does not match the "
                                      "namespace sent on the request");
        json_object_set_new(meta, "namespace", json_string(ns));
        int r = namespace_exists(s, ns);
        if (r == -ENOENT)
            return api_respond_status(resp, 404, "NotFound", api_details(ns, "", "namespaces"),
                                      "namespaces \"%s\" not found", ns);
        if (r < 0)
            return api_respond_store_error(resp, res, ns, r);
    } else {
        json_object_del(meta, "namespace");
    }
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    if ((!name || !*name) && gen && *gen) {
        char suffix[6], full[300];
        if (api_random_suffix(suffix) < 0)
            return -EIO;
        snprintf(full, sizeof(full), "%s%s", gen, suffix);
        json_object_set_new(meta, "name", json_string(full));
        name = json_string_value(json_object_get(meta, "name"));
    }
    if (!name || !*name) {
        _cleanup_json_ json_t *causes = json_array();
        api_add_cause(causes, "FieldValueRequired", "metadata.name",
                      "metadata.name: Required value: name or generateName is required");
        return respond_invalid(resp, res, "", TAKE_PTR(causes));
    }
    char uid[37], ts[40];
    if (api_new_uid(uid) < 0)
        return -EIO;
    api_now_rfc3339(ts, sizeof(ts));
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(ts));
    json_object_del(meta, "resourceVersion");
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    json_object_del(meta, "selfLink");
    json_object_del(meta, "managedFields");
    if (has_generation(res))
        json_object_set_new(meta, "generation", json_integer(1));
    else
        json_object_del(meta, "generation");
    if (res->has_status && !is_crd(res) && strcmp(res->plural, "namespaces") != 0)
        json_object_del(obj, "status");
    if (strcmp(res->plural, "namespaces") == 0)
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    api_object_set_version(res, obj);
    int r = validate_object(s, req, res, obj, resp);
    if (r <= 0)
        return r;
    name = json_string_value(json_object_get(meta, "name"));
    return commit_and_respond(s, req, res, APISTORE_CREATE, res->namespaced ? ns : "", name, 0, obj,
                              201, resp);
}

int api_create(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               struct api_response *resp)
{
    json_t *obj = NULL;
    int r = decode_body(req, resp, false, &obj);
    if (r <= 0)
        return r;
    const char *rv = json_is_object(obj) ? api_obj_str(obj, "metadata", "resourceVersion") : NULL;
    if (rv && *rv)
        /* kube-apiserver's storage refuses this with a bare 500, not a field error. */
        r = api_respond_status(resp, 500, "InternalError", NULL,
                               "resourceVersion should not be set on objects to be created");
    else
        r = create_object(s, req, res, ns, obj, resp);
    json_decref(obj);
    return r;
}

/* Everything but metadata (and status when it is a subresource). */
static json_t *spec_view(const struct api_resource *res, const json_t *obj)
{
    json_t *v = json_copy((json_t *)obj);
    if (!v)
        return NULL;
    json_object_del(v, "metadata");
    json_object_del(v, "apiVersion");
    json_object_del(v, "kind");
    if (res->has_status)
        json_object_del(v, "status");
    return v;
}

static bool finalizers_added(const json_t *old_meta, const json_t *new_meta)
{
    json_t *o = json_object_get(old_meta, "finalizers");
    json_t *n = json_object_get(new_meta, "finalizers");
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(n, i, a) {
        bool found = false;
        json_array_foreach(o, j, b) {
            if (json_equal(a, b))
                found = true;
        }
        if (!found)
            return true;
    }
    return false;
}

static int respond_deleted_status(struct api_response *resp,
                                  const struct api_resource *res,
                                  const char *name,
                                  const char *uid)
{
    json_t *d = api_details(name, res->group, res->plural);
    if (d && uid)
        json_object_set_new(d, "uid", json_string(uid));
    json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:o}", "kind", "Status", "apiVersion", "v1",
                           "metadata", "status", "Success", "details", d ? d : json_object());
    return api_respond_json(resp, 200, st);
}

/* The common end of PUT, PATCH and /status writes: old is the stored object
 * (with rev), next the wanted state. Applies the subresource rules,
 * immutability, finalizers, generation and validation, then stores. */
static int finish_update(struct apiserver *s,
                         const struct api_request *req,
                         const struct api_resource *res,
                         const char *ns,
                         const char *name,
                         bool status_only,
                         json_t *old,
                         uint64_t old_rev,
                         json_t *next,
                         struct api_response *resp)
{
    _cleanup_json_ json_t *result = NULL;
    json_t *old_meta = meta_of(old);
    if (!json_is_object(next))
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the object provided is unrecognized or malformed");
    json_t *next_meta = meta_of(next);
    const char *next_name = json_string_value(json_object_get(next_meta, "name"));
    if (next_name && strcmp(next_name, name) != 0)
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the name of the object (%s) does not match the name on the URL "
                                  "(%s)",
                                  next_name, name);
    const char *next_ns = json_string_value(json_object_get(next_meta, "namespace"));
    if (res->namespaced && next_ns && *next_ns && strcmp(next_ns, ns) != 0)
        return api_respond_status(resp, 400, "BadRequest", NULL,
                                  "the namespace of the provided object does not match the "
                                  "namespace sent on the request");
    const char *want_rv = json_string_value(json_object_get(next_meta, "resourceVersion"));
    if (want_rv && *want_rv) {
        uint64_t v;
        if (api_parse_rv(want_rv, &v) < 0 || v != old_rev)
            return api_respond_store_error(resp, res, name, -ECANCELED);
    }
    /* A uid in the body is a precondition: it must name the stored object. */
    const char *want_uid = json_string_value(json_object_get(next_meta, "uid"));
    const char *old_uid = json_string_value(json_object_get(old_meta, "uid"));
    if (want_uid && *want_uid && old_uid && strcmp(want_uid, old_uid) != 0) {
        char q[300];
        api_qualified(res, q, sizeof(q));
        return api_respond_status(
                resp, 409, "Conflict", api_details(name, res->group, res->plural),
                "Operation cannot be fulfilled on %s \"%s\": Precondition failed: "
                "UID in precondition: %s, UID in object meta: %s",
                q, name, want_uid, old_uid);
    }

    if (status_only && res->has_status) {
        result = json_deep_copy(old);
        if (!result)
            return -ENOMEM;
        json_t *st = json_object_get(next, "status");
        if (st)
            json_object_set(result, "status", st);
        else
            json_object_del(result, "status");
    } else {
        result = json_incref(next);
        json_t *m = meta_of(result);
        static const char *const keep[] = {"name",
                                           "namespace",
                                           "uid",
                                           "creationTimestamp",
                                           "generation",
                                           "deletionTimestamp",
                                           "deletionGracePeriodSeconds"};
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
            json_t *v = json_object_get(old_meta, keep[i]);
            if (v)
                json_object_set(m, keep[i], v);
            else
                json_object_del(m, keep[i]);
        }
        json_object_del(m, "managedFields");
        if (res->has_status && !is_crd(res)) {
            json_t *st = json_object_get(old, "status");
            if (st)
                json_object_set(result, "status", st);
            else
                json_object_del(result, "status");
        }
        if (json_object_get(old_meta, "deletionTimestamp") && finalizers_added(old_meta, m)) {
            _cleanup_json_ json_t *causes = json_array();
            api_add_cause(causes, "FieldValueForbidden", "metadata.finalizers",
                          "metadata.finalizers: Forbidden: no new finalizers can be added if the "
                          "object is being deleted");
            return respond_invalid(resp, res, name, TAKE_PTR(causes));
        }
    }
    api_object_set_version(res, result);
    json_object_del(meta_of(result), "resourceVersion");
    int r = validate_object(s, req, res, result, resp);
    if (r <= 0)
        return r;

    json_t *rm = meta_of(result);
    if (has_generation(res) && !status_only) {
        _cleanup_json_ json_t *a = spec_view(res, old);
        _cleanup_json_ json_t *b = spec_view(res, result);
        if (!a || !b)
            return -ENOMEM;
        if (!json_equal(a, b)) {
            json_int_t g = json_integer_value(json_object_get(old_meta, "generation"));
            json_object_set_new(rm, "generation", json_integer(g + 1));
        }
    }
    /* A no-op write keeps the resourceVersion, as kube-apiserver does. */
    char rvs[32];
    snprintf(rvs, sizeof(rvs), "%" PRIu64, old_rev);
    json_object_set_new(rm, "resourceVersion", json_string(rvs));
    if (json_equal(old, result))
        return api_respond_json(resp, 200, json_incref(old));
    json_object_del(rm, "resourceVersion");

    json_t *fin = json_object_get(rm, "finalizers");
    bool finished = json_object_get(rm, "deletionTimestamp") && json_array_size(fin) == 0;
    return commit_and_respond(s, req, res, finished ? APISTORE_DELETE : APISTORE_UPDATE, ns, name,
                              old_rev, result, 200, resp);
}

int api_update(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               const char *name,
               bool status,
               struct api_response *resp)
{
    _cleanup_json_ json_t *next = NULL, *old = NULL;
    uint64_t rev;
    int r = decode_body(req, resp, false, &next);
    if (r <= 0)
        return r;
    r = api_object_load(s, res, ns, name, &old, &rev);
    if (r < 0)
        return api_respond_store_error(resp, res, name, r);
    const char *rv = api_obj_str(next, "metadata", "resourceVersion");
    if (!res->builtin && (!rv || !*rv)) {
        _cleanup_json_ json_t *causes = json_array();
        api_add_cause(
                causes, "FieldValueInvalid", "metadata.resourceVersion",
                "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
        return respond_invalid(resp, res, name, TAKE_PTR(causes));
    }
    return finish_update(s, req, res, ns, name, status, old, rev, next, resp);
}

static int respond_unsupported_patch(struct api_response *resp)
{
    return api_respond_status(resp, 415, "UnsupportedMediaType", NULL,
                              "the body of the request was in an unknown format - accepted media "
                              "types include: application/json-patch+json, "
                              "application/merge-patch+json, application/apply-patch+yaml");
}

int api_patch(struct apiserver *s,
              const struct api_request *req,
              const struct api_resource *res,
              const char *ns,
              const char *name,
              bool status,
              struct api_response *resp)
{
    const char *ct = req->content_type ? req->content_type : "";
    bool merge = strncmp(ct, "application/merge-patch+json", 28) == 0;
    bool jsonp = strncmp(ct, "application/json-patch+json", 27) == 0;
    bool apply = strncmp(ct, "application/apply-patch+yaml", 28) == 0;
    bool smp = strncmp(ct, "application/strategic-merge-patch+json", 38) == 0;
    /* Strategic merge exists only for built-in types; for the simple
     * built-ins served here it is the same as a merge patch. */
    if (smp && res->builtin)
        merge = true;
    else if (!merge && !jsonp && !apply)
        return respond_unsupported_patch(resp);

    _cleanup_json_ json_t *patch = NULL, *old = NULL, *next = NULL;
    int r = decode_body(req, resp, apply, &patch);
    if (r <= 0)
        return r;
    if (apply) {
        if (!req->q.field_manager || !*req->q.field_manager)
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "PATCH, application/apply-patch+yaml requires fieldManager "
                                      "to be set");
        if (!json_is_object(patch))
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "the apply configuration must be an object");
    }
    uint64_t rev;
    r = api_object_load(s, res, ns, name, &old, &rev);
    if (r == -ENOENT && apply && !status) {
        json_t *m = meta_of(patch);
        const char *pn = json_string_value(json_object_get(m, "name"));
        if (pn && strcmp(pn, name) != 0)
            return api_respond_status(resp, 400, "BadRequest", NULL,
                                      "the name of the object (%s) does not match the name on the "
                                      "URL (%s)",
                                      pn, name);
        json_object_set_new(m, "name", json_string(name));
        return create_object(s, req, res, ns, patch, resp);
    }
    if (r < 0)
        return api_respond_store_error(resp, res, name, r);

    if (jsonp) {
        _cleanup_free_ char *err = NULL;
        r = json_patch_apply(old, patch, &next, &err);
        if (r == -EINVAL)
            return api_respond_status(resp, 400, "BadRequest", NULL, "%s",
                                      err ? err : "malformed JSON patch");
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return api_respond_status(resp, 422, "Invalid", NULL,
                                      "the server rejected our request due to an error in our "
                                      "request: %s",
                                      err ? err : "JSON patch failed");
    } else {
        if (apply && res->has_status && !status)
            json_object_del(patch, "status");
        r = json_merge_patch_apply(old, patch, &next);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return api_respond_status(resp, 400, "BadRequest", NULL, "invalid merge patch");
    }
    /* The patch's own resourceVersion is a precondition; the stored one is not. */
    const char *prv =
            json_is_object(patch) ? api_obj_str(patch, "metadata", "resourceVersion") : NULL;
    if (!prv && json_is_object(next))
        json_object_del(meta_of(next), "resourceVersion");
    return finish_update(s, req, res, ns, name, status, old, rev, next, resp);
}

static int first_row_name(const struct apistore_row *row, void *userdata)
{
    char **name = userdata;
    *name = strdup(row->name);
    return *name ? 0 : -ENOMEM;
}

/* Deletes everything in a namespace, then the namespace (a synchronous
 * stand-in for the namespace controller). */
static int delete_namespace_contents(struct apiserver *s, const char *ns)
{
    for (size_t i = 0; i < api_registry_count(s->registry); i++) {
        const struct api_resource *res = api_registry_at(s->registry, i);
        if (!res->namespaced || !res->storage_version)
            continue;
        for (;;) {
            _cleanup_free_ char *name = NULL;
            struct apistore_list_opts lo = {.ns = ns, .limit = 1};
            uint64_t rev;
            bool more;
            int r = apistore_list(s->store, res->store_key, &lo, first_row_name, &name, &rev,
                                  &more);
            if (r < 0)
                return r;
            if (!name)
                break;
            r = store_write(s, res, APISTORE_DELETE, ns, name, 0, NULL);
            if (r < 0 && r != -ENOENT)
                return r;
        }
    }
    return 0;
}

int api_delete(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               const char *name,
               struct api_response *resp)
{
    _cleanup_json_ json_t *old = NULL, *opts = NULL;
    uint64_t rev;
    int r = api_object_load(s, res, ns, name, &old, &rev);
    if (r < 0)
        return api_respond_store_error(resp, res, name, r);
    if (req->body && req->body_len > 0) {
        json_error_t err;
        opts = json_loadb(req->body, req->body_len, 0, &err);
        if (!json_is_object(opts))
            return api_respond_status(resp, 400, "BadRequest", NULL, "invalid DeleteOptions: %s",
                                      err.text);
    }
    json_t *meta = meta_of(old);
    json_t *pre = json_object_get(opts, "preconditions");
    const char *puid = json_string_value(json_object_get(pre, "uid"));
    const char *prv = json_string_value(json_object_get(pre, "resourceVersion"));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    if (puid && (!uid || strcmp(puid, uid) != 0))
        return api_respond_status(resp, 409, "Conflict", api_details(name, res->group, res->plural),
                                  "Precondition failed: UID in precondition: %s, UID in object "
                                  "meta: %s",
                                  puid, uid ? uid : "");
    if (prv) {
        uint64_t v;
        if (api_parse_rv(prv, &v) < 0 || v != rev)
            return api_respond_status(resp, 409, "Conflict",
                                      api_details(name, res->group, res->plural),
                                      "Precondition failed: ResourceVersion in precondition: %s, "
                                      "ResourceVersion in object meta: %" PRIu64,
                                      prv, rev);
    }
    bool dry = dry_run(req) || (json_is_array(json_object_get(opts, "dryRun")) &&
                                json_array_size(json_object_get(opts, "dryRun")) > 0);
    if (json_array_size(json_object_get(meta, "finalizers")) > 0) {
        if (json_object_get(meta, "deletionTimestamp"))
            return api_respond_json(resp, 200, json_incref(old));
        char ts[40];
        api_now_rfc3339(ts, sizeof(ts));
        json_object_set_new(meta, "deletionTimestamp", json_string(ts));
        json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
        if (has_generation(res))
            json_object_set_new(
                    meta, "generation",
                    json_integer(json_integer_value(json_object_get(meta, "generation")) + 1));
        if (!dry) {
            r = store_write(s, res, APISTORE_UPDATE, ns, name, rev, old);
            if (r < 0)
                return api_respond_store_error(resp, res, name, r);
        }
        return api_respond_json(resp, 200, json_incref(old));
    }
    if (dry)
        return respond_deleted_status(resp, res, name, uid);
    if (strcmp(res->plural, "namespaces") == 0 && res->builtin) {
        if ((r = delete_namespace_contents(s, name)) < 0)
            return api_respond_store_error(resp, res, name, r);
    }
    if (is_crd(res) && (r = api_crd_changed(s, name, NULL)) < 0)
        return r;
    r = store_write(s, res, APISTORE_DELETE, ns, name, rev, NULL);
    if (r < 0)
        return api_respond_store_error(resp, res, name, r);
    _cleanup_free_ char *uidc = uid ? strdup(uid) : NULL;
    return respond_deleted_status(resp, res, name, uidc);
}

struct collect_ctx {
    struct label_selector *ls;
    json_t *names;
};

static int collect_row(const struct apistore_row *row, void *userdata)
{
    struct collect_ctx *c = userdata;
    _cleanup_json_ json_t *labels = json_loads(row->labels, 0, NULL);
    if (!label_selector_matches(c->ls, labels))
        return 0;
    return json_array_append_new(c->names, json_pack("[s,s]", row->ns, row->name));
}

int api_delete_collection(struct apiserver *s,
                          const struct api_request *req,
                          const struct api_resource *res,
                          const char *ns,
                          struct api_response *resp)
{
    struct label_selector *ls = NULL;
    struct field_selector *fs = NULL;
    int r = api_selectors_parse(res, &req->q, resp, &ls, &fs);
    if (r <= 0)
        return r;
    struct collect_ctx c = {.ls = ls, .names = json_array()};
    struct apistore_list_opts lo = {.ns = ns,
                                    .name = field_selector_exact_value(fs, "metadata.name")};
    uint64_t rev;
    bool more;
    r = apistore_list(s->store, res->store_key, &lo, collect_row, &c, &rev, &more);
    size_t i;
    json_t *pair;
    json_array_foreach(c.names, i, pair) {
        if (r < 0)
            break;
        struct api_response sub;
        api_response_init(&sub);
        struct api_request one = *req;
        one.body = NULL;
        one.body_len = 0;
        r = api_delete(s, &one, res, json_string_value(json_array_get(pair, 0)),
                       json_string_value(json_array_get(pair, 1)), &sub);
        api_response_clear(&sub);
    }
    json_decref(c.names);
    label_selector_free(ls);
    field_selector_free(fs);
    if (r < 0)
        return api_respond_store_error(resp, res, "", r);
    json_t *st = json_pack("{s:s,s:s,s:{},s:s}", "kind", "Status", "apiVersion", "v1", "metadata",
                           "status", "Success");
    return api_respond_json(resp, 200, st);
}
