/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image reference -> executor. Upstream templates name the action images in
 * a few spellings: quay.io/tinkerbell/actions/<name> (the actions repo's
 * READMEs), quay.io/tinkerbell-actions/<name> (older docs and examples),
 * ghcr.io/tinkerbell/actions/<name>, and the same without a registry; each
 * with a tag, a digest or neither. All of them land on the same built-ins.
 */
#include <errno.h>
#include <string.h>

#include "actions/actions-internal.h"

static const char *const kind_names[_ACTIONS_KIND_MAX] = {
        [ACTIONS_KIND_EXEC] = "exec",           [ACTIONS_KIND_IMAGE2DISK] = "image2disk",
        [ACTIONS_KIND_WRITEFILE] = "writefile", [ACTIONS_KIND_CEXEC] = "cexec",
        [ACTIONS_KIND_REBOOT] = "reboot",       [ACTIONS_KIND_POWEROFF] = "poweroff",
        [ACTIONS_KIND_KEXEC] = "kexec",         [ACTIONS_KIND_OCI] = "oci",
};

/* Repositories whose <name> maps to a built-in (never "exec": upstream has
 * no such image, so an upstream "exec" image would run in a container). */
static const char *const upstream_prefixes[] = {
        "quay.io/tinkerbell/actions/", "quay.io/tinkerbell-actions/",
        "ghcr.io/tinkerbell/actions/", "docker.io/tinkerbell/actions/",
        "tinkerbell/actions/",
};

const char *actions_kind_to_string(enum actions_kind k)
{
    if (k < 0 || k >= _ACTIONS_KIND_MAX)
        return NULL;
    return kind_names[k];
}

static enum actions_kind kind_from_name(const char *name, size_t len, bool allow_exec)
{
    for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++) {
        if (i == ACTIONS_KIND_OCI || (i == ACTIONS_KIND_EXEC && !allow_exec))
            continue;
        if (strlen(kind_names[i]) == len && memcmp(kind_names[i], name, len) == 0)
            return (enum actions_kind)i;
    }
    return _ACTIONS_KIND_INVALID;
}

static bool image_chars_ok(const char *image)
{
    for (const unsigned char *p = (const unsigned char *)image; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    return true;
}

/* Length of the repository part: the reference without "@digest" and
 * without ":tag" (a colon after the last '/'; one before it is a port). */
static size_t repository_len(const char *image)
{
    size_t n = strcspn(image, "@");
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (image[i] == '/')
            slash = image + i;
    const char *from = slash ? slash : image;
    const char *colon = memchr(from, ':', n - (size_t)(from - image));
    return colon ? (size_t)(colon - image) : n;
}

int actions_image_kind(const char *image, enum actions_kind *ret)
{
    assert_return(ret, -EINVAL);
    if (!image || !*image || strlen(image) > AGENTPROTO_IMAGE_MAX || image[0] == '-' ||
        !image_chars_ok(image))
        return -EINVAL;

    size_t n = repository_len(image);
    if (n == 0)
        return -EINVAL;
    if (n >= 6 && memcmp(image, "anvil/", 6) == 0) {
        if (n == 6)
            return -EINVAL;
        enum actions_kind k = kind_from_name(image + 6, n - 6, true);
        if (k == _ACTIONS_KIND_INVALID)
            return -ENOENT;
        *ret = k;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(upstream_prefixes); i++) {
        size_t pl = strlen(upstream_prefixes[i]);
        if (n > pl && memcmp(image, upstream_prefixes[i], pl) == 0) {
            enum actions_kind k = kind_from_name(image + pl, n - pl, false);
            if (k != _ACTIONS_KIND_INVALID) {
                *ret = k;
                return 0;
            }
        }
    }
    *ret = ACTIONS_KIND_OCI;
    return 0;
}
