/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct events_sink on pkg/kube: POST /api/v1/namespaces/<ns>/events and
 * a JSON merge PATCH of one Event. The errors are kube's -errno codes,
 * which already follow the sink's contract (-EEXIST, -ENOENT, transport).
 */
#include <errno.h>
#include <stdlib.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "events/events-internal.h"
#include "kube/kube.h"

#define LOG_COMPONENT "events"
#include "log/log.h"

struct events_kube {
    struct kube_client *client; /* borrowed */
};

static const struct kube_resource event_resource = {
        .group = "",
        .version = "v1",
        .resource = "events",
        .namespaced = true,
};

int events_kube_new(struct events_kube **ret, struct kube_client *client)
{
    assert_return(ret && client, -EINVAL);
    struct events_kube *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->client = client;
    *ret = k;
    return 0;
}

struct events_kube *events_kube_free(struct events_kube *k)
{
    free(k);
    return NULL;
}

static int finish(const char *call, int r, struct kube_error *err)
{
    if (r < 0)
        log_debug("event call failed", LOG_STR("call", call), LOG_ERRNO(r),
                  LOG_INT("code", err->http_code), LOG_STR("reason", err->reason));
    kube_error_clear(err);
    return r;
}

static int sink_create(void *userdata, const char *ns, const json_t *event)
{
    struct events_kube *k = userdata;
    struct kube_error err = {0};
    _cleanup_json_ json_t *out = NULL;
    int r = kube_create(k->client, &event_resource, ns, event, &out, &err);
    return finish("create", r, &err);
}

static int sink_patch(void *userdata, const char *ns, const char *name, const json_t *patch)
{
    struct events_kube *k = userdata;
    struct kube_error err = {0};
    _cleanup_json_ json_t *out = NULL;
    int r = kube_patch(k->client, &event_resource, ns, name, NULL, KUBE_PATCH_MERGE, patch, &out,
                       &err);
    return finish("patch", r, &err);
}

void events_kube_sink(struct events_kube *k, struct events_sink *ret)
{
    if (!ret)
        return;
    *ret = (struct events_sink){
            .create = sink_create,
            .patch = sink_patch,
            .userdata = k,
    };
}
