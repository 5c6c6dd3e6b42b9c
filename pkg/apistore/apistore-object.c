/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore object handling: the shape checks on a body before it is stored,
 * stamping metadata.resourceVersion, and serialising body and labels.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

/* A JSON string equal to the C string want (embedded NULs never match). */
static bool json_string_is(const json_t *v, const char *want)
{
    if (!json_is_string(v))
        return false;
    size_t len = json_string_length(v);
    return len == strlen(want) && memcmp(json_string_value(v), want, len) == 0;
}

int apistore_object_check(const json_t *obj, const char *ns, const char *name)
{
    if (!json_is_object(obj))
        return -EINVAL;
    const json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md))
        return -EINVAL;

    const json_t *v = json_object_get(md, "name");
    if (v && !json_string_is(v, name))
        return -EINVAL;
    v = json_object_get(md, "namespace");
    if (v && !json_string_is(v, ns))
        return -EINVAL;

    /* Label values are strings; null labels mean none (as in Kubernetes). */
    v = json_object_get(md, "labels");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v))
            return -EINVAL;
        const char *k;
        const json_t *lv;
        json_object_foreach((json_t *)v, k, lv) {
            if (!json_is_string(lv))
                return -EINVAL;
        }
    }
    return 0;
}

static char *labels_dump(const json_t *md)
{
    const json_t *l = json_object_get(md, "labels");
    if (!json_is_object(l))
        return strdup("{}");
    return json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
}

void apistore_object_restore(json_t *obj, json_t *saved)
{
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) {
        json_decref(saved);
        return;
    }
    if (saved)
        (void)json_object_set_new(md, "resourceVersion", saved);
    else
        (void)json_object_del(md, "resourceVersion");
}

int apistore_object_stamp(json_t *obj,
                          uint64_t rev,
                          char **ret_body,
                          size_t *ret_body_len,
                          char **ret_labels,
                          json_t **ret_saved)
{
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md))
        return -EINVAL;

    char rv[24];
    (void)snprintf(rv, sizeof(rv), "%" PRIu64, rev);
    json_t *old = json_object_get(md, "resourceVersion");
    json_t *saved = old ? json_incref(old) : NULL;
    if (json_object_set_new(md, "resourceVersion", json_string(rv)) < 0) {
        json_decref(saved);
        return -ENOMEM;
    }

    int r = -ENOMEM;
    _cleanup_free_ char *body = json_dumps(obj, JSON_COMPACT);
    _cleanup_free_ char *labels = labels_dump(md);
    if (!body || !labels)
        goto fail;
    size_t len = strlen(body);
    if (len > APISTORE_OBJECT_MAX) {
        r = -E2BIG;
        goto fail;
    }

    *ret_body = TAKE_PTR(body);
    *ret_body_len = len;
    *ret_labels = TAKE_PTR(labels);
    *ret_saved = saved;
    return 0;

fail:
    apistore_object_restore(obj, saved);
    return r;
}
