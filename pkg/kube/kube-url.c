/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request paths and query strings (reference/kube-api.md section 1.1): core
 * resources live under /api/v1, named groups under /apis/<group>/<version>;
 * a namespaced collection adds /namespaces/<ns>; objects and subresources
 * follow as further segments. Every segment and query value is
 * percent-encoded, so no caller-supplied text can add a segment or a
 * parameter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube/kube-internal.h"

int kube_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int r;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* RFC 3986 section 2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            r = buf_append(out, p, 1);
        else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            r = buf_append(out, enc, sizeof(enc));
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_segment(struct buf *out, const char *seg)
{
    int r;

    /* "." and ".." would be resolved away by URL normalisation. */
    if (!seg || !*seg || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
        return -EINVAL;
    r = buf_append(out, "/", 1);
    if (r < 0)
        return r;
    return kube_escape(out, seg);
}

int kube_path_build(struct buf *out,
                    const struct kube_resource *r,
                    const char *ns,
                    const char *name,
                    const char *subresource)
{
    int k;

    assert_return(out && r, -EINVAL);
    if (!r->version || !r->resource)
        return -EINVAL;
    if (!r->group || !*r->group)
        k = buf_append_str(out, "/api");
    else {
        k = buf_append_str(out, "/apis");
        if (k >= 0)
            k = add_segment(out, r->group);
    }
    if (k >= 0)
        k = add_segment(out, r->version);
    if (k >= 0 && r->namespaced && ns && *ns) {
        k = buf_append_str(out, "/namespaces");
        if (k >= 0)
            k = add_segment(out, ns);
    }
    if (k >= 0)
        k = add_segment(out, r->resource);
    if (k >= 0 && name)
        k = add_segment(out, name);
    if (k >= 0 && subresource) {
        if (!name)
            return -EINVAL;
        k = add_segment(out, subresource);
    }
    return k;
}

int kube_query_add(struct buf *out, const char *key, const char *value)
{
    int r;

    if (!value || !*value)
        return 0;
    r = buf_append_str(out, memchr(out->data ? out->data : "", '?', out->len) ? "&" : "?");
    if (r >= 0)
        r = kube_escape(out, key);
    if (r >= 0)
        r = buf_append(out, "=", 1);
    if (r >= 0)
        r = kube_escape(out, value);
    return r;
}

int kube_query_list(struct buf *out, const struct kube_list_opts *o)
{
    char limit[32] = "";
    int r;

    if (!o)
        return 0;
    if (o->limit < 0)
        return -EINVAL;
    if (o->limit > 0)
        snprintf(limit, sizeof(limit), "%ld", o->limit);
    /* Keys in sorted order, as Go's url.Values.Encode writes them. */
    r = kube_query_add(out, "continue", o->cont);
    if (r >= 0)
        r = kube_query_add(out, "fieldSelector", o->field_selector);
    if (r >= 0)
        r = kube_query_add(out, "labelSelector", o->label_selector);
    if (r >= 0)
        r = kube_query_add(out, "limit", limit);
    if (r >= 0)
        r = kube_query_add(out, "resourceVersion", o->resource_version);
    if (r >= 0)
        r = kube_query_add(out, "resourceVersionMatch", o->resource_version_match);
    return r;
}
