/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The /2009-04-04 tree (compat §6): the leaves Tootles serves and where each
 * value comes from in a Hardware object, the directory listings derived
 * from them, and request path normalisation.
 *
 * Listings follow Tootles (tootles/internal/frontend/ec2, and Hegel's
 * staticroute builder before it): child names sorted, joined with "\n", no
 * trailing newline, a child that is itself a directory written with a
 * trailing '/'. Leaves that Tootles lists but never fills (iqn,
 * public-keys, license_activation/state) answer 200 with an empty body, as
 * there.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "buf/buf.h"
#include "metadata/metadata-internal.h"

#define INSTANCE "metadata", "instance"
#define OS       INSTANCE, "operating_system"

const struct metadata_leaf metadata_leaves[] = {
        {"meta-data/facility", METADATA_LEAF_STRING, {"metadata", "facility", "facility_code"}},
        {"meta-data/hostname", METADATA_LEAF_STRING, {INSTANCE, "hostname"}},
        {"meta-data/instance-id", METADATA_LEAF_STRING, {INSTANCE, "id"}},
        {"meta-data/iqn", METADATA_LEAF_EMPTY, {NULL}},
        {"meta-data/local-hostname", METADATA_LEAF_STRING, {INSTANCE, "hostname"}},
        {"meta-data/local-ipv4", METADATA_LEAF_LOCAL_IPV4, {NULL}},
        {"meta-data/operating-system/distro", METADATA_LEAF_STRING, {OS, "distro"}},
        {"meta-data/operating-system/image_tag", METADATA_LEAF_STRING, {OS, "image_tag"}},
        {"meta-data/operating-system/license_activation/state", METADATA_LEAF_EMPTY, {NULL}},
        {"meta-data/operating-system/slug", METADATA_LEAF_STRING, {OS, "slug"}},
        {"meta-data/operating-system/version", METADATA_LEAF_STRING, {OS, "version"}},
        {"meta-data/plan", METADATA_LEAF_STRING, {"metadata", "facility", "plan_slug"}},
        {"meta-data/public-ipv4", METADATA_LEAF_PUBLIC_IPV4, {NULL}},
        {"meta-data/public-ipv6", METADATA_LEAF_PUBLIC_IPV6, {NULL}},
        {"meta-data/public-keys", METADATA_LEAF_EMPTY, {NULL}},
        {"meta-data/tags", METADATA_LEAF_TAGS, {NULL}},
        {"user-data", METADATA_LEAF_STRING, {"userData"}},
};
const size_t metadata_leaves_count = ARRAY_SIZE(metadata_leaves);

static bool is_path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

int metadata_path_normalize(const char *path, char **ret)
{
    _cleanup_buf_ struct buf out = BUF_INIT(METADATA_PATH_MAX);
    size_t len = strlen(path);
    size_t i = 0;
    int r;

    if (len > METADATA_PATH_MAX)
        return -ENOENT;
    while (i < len && path[i] == '/')
        i++;
    while (i < len) {
        size_t n = strcspn(path + i, "/");
        if (n == 0) {
            /* Only trailing slashes may follow the last component. */
            if (path[i + strspn(path + i, "/")] != '\0')
                return -ENOENT;
            break;
        }
        if ((n == 1 && path[i] == '.') || (n == 2 && path[i] == '.' && path[i + 1] == '.'))
            return -ENOENT;
        for (size_t j = 0; j < n; j++) {
            if (!is_path_char(path[i + j]))
                return -ENOENT;
        }
        r = buf_printf(&out, "%s%.*s", out.len ? "/" : "", (int)n, path + i);
        if (r < 0)
            return r == -E2BIG ? -ENOENT : r;
        i += n;
        if (i < len)
            i++; /* the '/' */
    }
    char *s = buf_take(&out, NULL);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */

static const json_t *member(const json_t *obj, const char *key)
{
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

static int append_string(struct buf *b, const json_t *v)
{
    if (!json_is_string(v))
        return 0;
    return buf_append(b, json_string_value(v), json_string_length(v));
}

static int write_tags(struct buf *b, const json_t *instance)
{
    const json_t *tags = member(instance, "tags");
    size_t i;
    const json_t *t;
    bool first = true;

    if (!json_is_array(tags))
        return 0;
    json_array_foreach(tags, i, t) {
        if (!json_is_string(t))
            continue;
        int r = first ? 0 : buf_append(b, "\n", 1);
        if (r >= 0)
            r = append_string(b, t);
        if (r < 0)
            return r;
        first = false;
    }
    return 0;
}

/* Tootles walks instance.ips[] in order and keeps the first non-empty
 * address per slot. */
static int write_ip(struct buf *b, const json_t *instance, enum metadata_leaf_kind kind)
{
    const json_t *ips = member(instance, "ips");
    size_t i;
    const json_t *ip;

    if (!json_is_array(ips))
        return 0;
    json_array_foreach(ips, i, ip) {
        const json_t *family = member(ip, "family");
        const json_t *address = member(ip, "address");
        bool public = json_is_true(member(ip, "public"));
        json_int_t fam = json_is_integer(family) ? json_integer_value(family) : 0;

        if (!json_is_string(address) || json_string_length(address) == 0)
            continue;
        if ((kind == METADATA_LEAF_PUBLIC_IPV4 && fam == 4 && public) ||
            (kind == METADATA_LEAF_LOCAL_IPV4 && fam == 4 && !public) ||
            (kind == METADATA_LEAF_PUBLIC_IPV6 && fam == 6))
            return append_string(b, address);
    }
    return 0;
}

static int write_leaf(struct buf *b, const struct metadata_leaf *leaf, const json_t *hardware)
{
    const json_t *spec = member(hardware, "spec");
    const json_t *instance = member(member(spec, "metadata"), "instance");

    switch (leaf->kind) {
    case METADATA_LEAF_STRING: {
        const json_t *v = spec;
        for (size_t i = 0; i < ARRAY_SIZE(leaf->json) && leaf->json[i]; i++)
            v = member(v, leaf->json[i]);
        return append_string(b, v);
    }
    case METADATA_LEAF_TAGS:
        return write_tags(b, instance);
    case METADATA_LEAF_PUBLIC_IPV4:
    case METADATA_LEAF_LOCAL_IPV4:
    case METADATA_LEAF_PUBLIC_IPV6:
        return write_ip(b, instance, leaf->kind);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Listings                                                                  */

#define CHILD_NAME_MAX 64 /* longest path component in the table, plus '/' and NUL */
#define CHILDREN_MAX   32 /* most children of one directory */

struct child {
    char name[CHILD_NAME_MAX]; /* with a trailing '/' for a directory */
};

static int child_compare(const void *a, const void *b)
{
    return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

/* Collects the children of directory dir ("" = root); returns how many, 0
 * when dir is not a directory. */
static size_t list_children(const char *dir, struct child *out, size_t max)
{
    size_t dlen = strlen(dir), n = 0;

    for (size_t i = 0; i < metadata_leaves_count; i++) {
        const char *rest = metadata_leaves[i].path;
        if (dlen > 0) {
            if (strncmp(rest, dir, dlen) != 0 || rest[dlen] != '/')
                continue;
            rest += dlen + 1;
        }
        size_t clen = strcspn(rest, "/");
        bool is_dir = rest[clen] == '/';
        struct child c;
        assert(clen + 2 <= sizeof(c.name));
        memcpy(c.name, rest, clen);
        if (is_dir)
            c.name[clen++] = '/';
        c.name[clen] = '\0';
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(out[j].name, c.name) == 0;
        if (!seen && n < max)
            out[n++] = c;
    }
    qsort(out, n, sizeof(*out), child_compare);
    return n;
}

static int write_listing(struct buf *b, const struct child *children, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int r = buf_printf(b, "%s%s", i ? "\n" : "", children[i].name);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */

static const struct metadata_leaf *find_leaf(const char *path)
{
    for (size_t i = 0; i < metadata_leaves_count; i++) {
        if (strcmp(metadata_leaves[i].path, path) == 0)
            return &metadata_leaves[i];
    }
    return NULL;
}

static int reply_text(struct metadata_reply *ret, int status, struct buf *b)
{
    size_t len;
    char *body = buf_take(b, &len);
    if (!body)
        return -ENOMEM;
    *ret = (struct metadata_reply){.status = status, .body = body, .body_len = len};
    return 0;
}

static int reply_404(struct metadata_reply *ret, const char *reason)
{
    _cleanup_buf_ struct buf b = BUF_INIT(METADATA_BODY_MAX);
    int r = buf_append_str(&b, reason);
    return r < 0 ? r : reply_text(ret, 404, &b);
}

int metadata_lookup(const json_t *hardware, const char *path, struct metadata_reply *ret)
{
    _cleanup_buf_ struct buf b = BUF_INIT(METADATA_BODY_MAX);
    _cleanup_free_ char *norm = NULL;
    struct child children[CHILDREN_MAX];
    int r;

    assert_return(path, -EINVAL);
    assert_return(ret, -EINVAL);

    r = metadata_path_normalize(path, &norm);
    if (r == -ENOENT)
        return reply_404(ret, "not found");
    if (r < 0)
        return r;

    const struct metadata_leaf *leaf = find_leaf(norm);
    if (leaf) {
        if (!hardware)
            return reply_404(ret, "no hardware found for source ip");
        r = write_leaf(&b, leaf, hardware);
        return r < 0 ? r : reply_text(ret, 200, &b);
    }
    size_t n = list_children(norm, children, ARRAY_SIZE(children));
    if (n == 0)
        return reply_404(ret, "not found");
    r = write_listing(&b, children, n);
    return r < 0 ? r : reply_text(ret, 200, &b);
}

void metadata_reply_done(struct metadata_reply *r)
{
    if (!r)
        return;
    free(r->body);
    *r = (struct metadata_reply){0};
}
