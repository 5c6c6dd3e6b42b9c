/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct lease_lock on pkg/kube: GET, POST and PUT of one
 * coordination.k8s.io/v1 Lease. The Lease last read or written is kept so
 * an update replaces only the spec and the resourceVersion precondition,
 * never labels or annotations someone else set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "kube/kube.h"
#include "leader/leader-internal.h"

#define LOG_COMPONENT "leader"
#include "log/log.h"

struct lease_kube {
    struct kube_client *client; /* borrowed */
    char *ns;
    char *name;
    json_t *last; /* the Lease last read or written, or NULL */
};

static const struct kube_resource lease_resource = {
        .group = "coordination.k8s.io",
        .version = "v1",
        .resource = "leases",
        .namespaced = true,
};

int lease_kube_new(struct lease_kube **ret,
                   struct kube_client *client,
                   const char *ns,
                   const char *name)
{
    assert_return(ret && client, -EINVAL);
    assert_return(ns && *ns && name && *name, -EINVAL);
    struct lease_kube *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->client = client;
    k->ns = strdup(ns);
    k->name = strdup(name);
    if (!k->ns || !k->name) {
        lease_kube_free(k);
        return -ENOMEM;
    }
    *ret = k;
    return 0;
}

struct lease_kube *lease_kube_free(struct lease_kube *k)
{
    if (!k)
        return NULL;
    json_decref(k->last);
    free(k->ns);
    free(k->name);
    free(k);
    return NULL;
}

static void log_failure(const char *what, int r, const struct kube_error *err)
{
    log_debug("lease call failed", LOG_STR("call", what), LOG_ERRNO(r),
              LOG_INT("code", err->http_code), LOG_STR("reason", err->reason));
}

/* Remembers obj (a new reference is taken) as the last known Lease and
 * returns its resourceVersion in *ret_rv. -EBADMSG if it has none. */
static int remember(struct lease_kube *k, json_t *obj, char **ret_rv)
{
    struct lease_record rec = {0};
    int r = lease_record_from_json(obj, &rec);
    if (r < 0)
        return r;
    json_decref(k->last);
    k->last = json_incref(obj);
    if (ret_rv)
        *ret_rv = TAKE_PTR(rec.resource_version);
    lease_record_done(&rec);
    return 0;
}

static int kube_lock_get(void *userdata, struct lease_record *ret)
{
    struct lease_kube *k = userdata;
    struct kube_error err = {0};
    _cleanup_json_ json_t *obj = NULL;

    int r = kube_get(k->client, &lease_resource, k->ns, k->name, &obj, &err);
    if (r < 0) {
        if (r != -ENOENT)
            log_failure("get", r, &err);
        kube_error_clear(&err);
        return r;
    }
    kube_error_clear(&err);
    r = lease_record_from_json(obj, ret);
    if (r < 0)
        return r;
    json_decref(k->last);
    k->last = TAKE_PTR(obj);
    return 0;
}

/* The object to send: the last Lease with spec and resourceVersion
 * replaced, or a fresh one. */
static int build_body(struct lease_kube *k,
                      const struct lease_record *rec,
                      bool create,
                      json_t **ret)
{
    _cleanup_json_ json_t *spec = NULL;
    _cleanup_json_ json_t *obj = NULL;
    int r = lease_record_spec_json(rec, &spec);
    if (r < 0)
        return r;
    if (!create && k->last)
        obj = json_deep_copy(k->last);
    else
        obj = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "coordination.k8s.io/v1", "kind",
                        "Lease", "metadata", "name", k->name, "namespace", k->ns);
    if (!obj)
        return -ENOMEM;
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta))
        return -EBADMSG;
    if (create)
        (void)json_object_del(meta, "resourceVersion"); /* absent is fine */
    else if (json_object_set_new(meta, "resourceVersion", json_string(rec->resource_version)) < 0)
        return -ENOMEM;
    if (json_object_set(obj, "spec", spec) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(obj);
    return 0;
}

static int kube_lock_write(void *userdata,
                           const struct lease_record *rec,
                           bool create,
                           char **ret_rv)
{
    struct lease_kube *k = userdata;
    struct kube_error err = {0};
    _cleanup_json_ json_t *body = NULL;
    _cleanup_json_ json_t *out = NULL;

    int r = build_body(k, rec, create, &body);
    if (r < 0)
        return r;
    if (create)
        r = kube_create(k->client, &lease_resource, k->ns, body, &out, &err);
    else
        r = kube_update(k->client, &lease_resource, k->ns, body, &out, &err);
    if (r < 0) {
        if (r != -ECANCELED && r != -EEXIST)
            log_failure(create ? "create" : "update", r, &err);
        kube_error_clear(&err);
        return r;
    }
    kube_error_clear(&err);
    return remember(k, out, ret_rv);
}

static int kube_lock_create(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    return kube_lock_write(userdata, rec, true, ret_rv);
}

static int kube_lock_update(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    return kube_lock_write(userdata, rec, false, ret_rv);
}

void lease_kube_lock(struct lease_kube *k, struct lease_lock *ret)
{
    if (!ret)
        return;
    *ret = (struct lease_lock){
            .get = kube_lock_get,
            .create = kube_lock_create,
            .update = kube_lock_update,
            .userdata = k,
    };
}
