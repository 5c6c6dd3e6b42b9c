/* SPDX-License-Identifier: Apache-2.0 */
/*
 * informer_source on pkg/kube: list pages with kube_list(), watches with
 * kube_watch_run() and a kube_cancel token that informer_stop() fires.
 * Errors are normalised for the reflector: whatever kube_is_gone() calls
 * gone (410 Expired/Gone, 504 ResourceVersionTooLarge) becomes -ESTALE.
 */
#define LOG_COMPONENT "informer"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/macro.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "log/log.h"

struct kube_source {
    struct informer_source base;
    struct kube_client *client;
    struct kube_resource res;
    char *group, *version, *resource;
    char *ns;
    char *label_selector;
    struct kube_cancel *cancel;
};

static struct kube_source *ks_of(struct informer_source *src)
{
    return container_of(src, struct kube_source, base);
}

static int map_error(int r, const struct kube_error *e)
{
    if (r < 0 && r != -ECANCELED && kube_is_gone(e))
        return -ESTALE;
    return r;
}

static int
ks_list(struct informer_source *src, const struct informer_list_req *req, json_t **ret_list)
{
    struct kube_source *ks = ks_of(src);
    if (kube_cancel_fired(ks->cancel))
        return -ECANCELED;

    struct kube_error e = {0};
    int r = kube_list(ks->client, &ks->res, ks->ns,
                      &(struct kube_list_opts){
                              .label_selector = ks->label_selector,
                              .resource_version = req->resource_version,
                              .cont = req->cont,
                              .limit = req->limit,
                      },
                      ret_list, &e);
    r = map_error(r, &e);
    /* As client-go's reflector: a failed list is worth a warning (wrong
     * RBAC or token, an unreachable server); the reflector's backoff
     * (800 ms doubling to 30 s) bounds how often. An expired version is
     * routine and a cancel is shutdown. */
    if (r < 0 && r != -ECANCELED && r != -ESTALE)
        log_warn("cannot list", LOG_STR("resource", ks->res.resource), LOG_INT("code", e.http_code),
                 LOG_STR("reason", e.reason), LOG_STR("message", e.message), LOG_ERRNO(r));
    kube_error_clear(&e);
    return r;
}

struct ks_watch_ctx {
    informer_event_fn fn;
    void *userdata;
};

static int ks_event(enum kube_event_type type, json_t *object, void *userdata)
{
    struct ks_watch_ctx *ctx = userdata;
    enum informer_event_type t;

    switch (type) {
    case KUBE_EVENT_ADDED:
        t = INFORMER_EVENT_ADDED;
        break;
    case KUBE_EVENT_MODIFIED:
        t = INFORMER_EVENT_MODIFIED;
        break;
    case KUBE_EVENT_DELETED:
        t = INFORMER_EVENT_DELETED;
        break;
    case KUBE_EVENT_BOOKMARK:
        t = INFORMER_EVENT_BOOKMARK;
        break;
    case KUBE_EVENT_ERROR: {
        /* kube-api.md §1.4: an ERROR event carries a Status and ends the watch. */
        struct kube_error e = {0};
        int r = kube_error_from_status(&e, 0, object) < 0 ? -EIO
                : kube_is_gone(&e)                        ? -ESTALE
                                                          : -EIO;
        kube_error_clear(&e);
        return r;
    }
    default:
        return -EBADMSG;
    }
    return ctx->fn(t, object, ctx->userdata);
}

static int ks_watch(struct informer_source *src,
                    const struct informer_watch_req *req,
                    informer_event_fn fn,
                    void *userdata)
{
    struct kube_source *ks = ks_of(src);
    struct ks_watch_ctx ctx = {.fn = fn, .userdata = userdata};
    struct kube_error e = {0};
    int r = kube_watch_run(ks->client, &ks->res, ks->ns,
                           &(struct kube_watch_opts){
                                   .label_selector = ks->label_selector,
                                   .resource_version = req->resource_version,
                                   .allow_bookmarks = req->allow_bookmarks,
                                   .timeout_seconds = req->timeout_seconds,
                           },
                           ks_event, &ctx, ks->cancel, &e);
    r = map_error(r, &e);
    /* A transfer error without an HTTP error answer: the connection broke
     * (a killed server, a reset by a middlebox). The reflector treats it as
     * the end of the stream unless the watch was very short. */
    if (r == -EIO && e.http_code == 0 && e.reason[0] == '\0')
        r = -ECONNRESET;
    kube_error_clear(&e);
    return r;
}

static void ks_cancel(struct informer_source *src)
{
    kube_cancel_fire(ks_of(src)->cancel);
}

static void ks_free(struct informer_source *src)
{
    struct kube_source *ks = ks_of(src);
    kube_cancel_free(ks->cancel);
    free(ks->group);
    free(ks->version);
    free(ks->resource);
    free(ks->ns);
    free(ks->label_selector);
    free(ks);
}

static int dup_opt(const char *s, char **ret)
{
    *ret = NULL;
    if (!s || !*s)
        return 0;
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

int informer_source_kube(struct kube_client *c,
                         const struct kube_resource *r,
                         const char *ns,
                         const char *label_selector,
                         struct informer_source **ret)
{
    assert_return(c && r && r->version && r->resource && ret, -EINVAL);

    struct kube_source *ks = calloc(1, sizeof(*ks));
    if (!ks)
        return -ENOMEM;
    ks->base = (struct informer_source){
            .list = ks_list, .watch = ks_watch, .cancel = ks_cancel, .free = ks_free};
    ks->client = c;
    ks->group = strdup(r->group ? r->group : "");
    ks->version = strdup(r->version);
    ks->resource = strdup(r->resource);
    int k = (!ks->group || !ks->version || !ks->resource) ? -ENOMEM : 0;
    if (k == 0)
        k = dup_opt(ns, &ks->ns);
    if (k == 0)
        k = dup_opt(label_selector, &ks->label_selector);
    if (k == 0)
        k = kube_cancel_new(&ks->cancel);
    if (k < 0) {
        ks_free(&ks->base);
        return k;
    }
    ks->res = (struct kube_resource){
            .group = ks->group,
            .version = ks->version,
            .resource = ks->resource,
            .namespaced = r->namespaced,
    };
    *ret = &ks->base;
    return 0;
}
