/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ComputerSystem operations: finding the system, its power state, the
 * Reset action, boot source overrides and virtual media.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "redfish/redfish-internal.h"

int redfish_system_find(struct redfish_client *c,
                        const char *name,
                        char **ret_path,
                        struct redfish_error *err)
{
    _cleanup_json_ json_t *coll = NULL, *members = NULL;
    size_t i;
    json_t *m;
    int r;

    assert_return(c && ret_path, -EINVAL);
    if (!c->connected || !c->systems_path)
        return redfish_fail(err, 0, -ENOTCONN, "not connected");
    r = redfish_get(c, c->systems_path, &coll, err);
    if (r < 0)
        return r;
    r = redfish_members(coll, REDFISH_MEMBERS_MAX, &members);
    if (r < 0)
        return redfish_fail(err, 200, r, "GET %s: not a collection", c->systems_path);
    if (json_array_size(members) == 0)
        return redfish_fail(err, 200, -ENOENT, "the BMC manages no ComputerSystem");
    if (!name || !*name) {
        *ret_path = strdup(json_string_value(json_array_get(members, 0)));
        return *ret_path ? 0 : -ENOMEM;
    }
    /* The Id is normally the last path segment: try that without a GET. */
    json_array_foreach(members, i, m)
    {
        const char *path = json_string_value(m);
        const char *last = strrchr(path, '/');
        if (last && strcmp(last + 1, name) == 0) {
            *ret_path = strdup(path);
            return *ret_path ? 0 : -ENOMEM;
        }
    }
    json_array_foreach(members, i, m)
    {
        const char *path = json_string_value(m);
        _cleanup_json_ json_t *sys = NULL;
        r = redfish_get(c, path, &sys, err);
        if (r < 0)
            return r;
        const char *id = json_string_value(json_object_get(sys, "Id"));
        const char *nm = json_string_value(json_object_get(sys, "Name"));
        if ((id && strcmp(id, name) == 0) || (nm && strcmp(nm, name) == 0)) {
            *ret_path = strdup(path);
            return *ret_path ? 0 : -ENOMEM;
        }
    }
    return redfish_fail(err, 200, -ENOENT, "no ComputerSystem named %s on the BMC", name);
}

int redfish_power_get(struct redfish_client *c,
                      const char *system,
                      enum redfish_power *ret,
                      struct redfish_error *err)
{
    _cleanup_json_ json_t *sys = NULL;
    assert_return(c && system && ret, -EINVAL);
    int r = redfish_get(c, system, &sys, err);
    if (r < 0)
        return r;
    const char *s = json_string_value(json_object_get(sys, "PowerState"));
    if (!s)
        return redfish_fail(err, 200, -EBADMSG, "GET %s: no PowerState", system);
    *ret = redfish_power_from_string(s);
    return 0;
}

static const char *reset_target(const json_t *sys, const json_t **ret_allowed)
{
    json_t *action = json_object_get(json_object_get(sys, "Actions"), "#ComputerSystem.Reset");
    const char *t = json_string_value(json_object_get(action, "target"));
    *ret_allowed = json_object_get(action, "ResetType@Redfish.AllowableValues");
    return redfish_path_check(t) == 0 ? t : NULL;
}

static int post_reset(struct redfish_client *c,
                      const char *target,
                      const char *type,
                      struct redfish_error *err)
{
    _cleanup_json_ json_t *body = json_pack("{s:s}", "ResetType", type);
    if (!body)
        return -ENOMEM;
    return redfish_post(c, target, body, NULL, err);
}

int redfish_reset(struct redfish_client *c,
                  const char *system,
                  const char *reset_type,
                  const char *fallback,
                  const char **ret_used,
                  struct redfish_error *err)
{
    _cleanup_json_ json_t *sys = NULL;
    const json_t *allowed;
    const char *types[2] = {reset_type, fallback};
    int r;

    assert_return(c && system && reset_type, -EINVAL);
    r = redfish_get(c, system, &sys, err);
    if (r < 0)
        return r;
    const char *target = reset_target(sys, &allowed);
    if (!target)
        return redfish_fail(err, 200, -EOPNOTSUPP, "%s offers no ComputerSystem.Reset action",
                            system);
    bool tried = false;
    r = -EOPNOTSUPP;
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        if (!types[i] || !redfish_allowed(allowed, types[i]))
            continue;
        tried = true;
        r = post_reset(c, target, types[i], err);
        /* 400/405/501: the BMC does not do this reset type; try the next. */
        if (r == -EINVAL || r == -EOPNOTSUPP)
            continue;
        if (r == 0 && ret_used)
            *ret_used = types[i];
        return r;
    }
    if (!tried)
        return redfish_fail(err, 200, -EOPNOTSUPP, "%s does not offer ResetType %s%s%s", system,
                            reset_type, fallback ? " or " : "", fallback ? fallback : "");
    return r;
}

int redfish_boot_override(struct redfish_client *c,
                          const char *system,
                          const char *target,
                          bool persistent,
                          bool uefi,
                          struct redfish_error *err)
{
    _cleanup_json_ json_t *sys = NULL, *body = NULL;
    assert_return(c && system && target, -EINVAL);
    int r = redfish_get(c, system, &sys, err);
    if (r < 0)
        return r;
    json_t *boot = json_object_get(sys, "Boot");
    if (!redfish_allowed(json_object_get(boot, "BootSourceOverrideTarget@Redfish.AllowableValues"),
                         target))
        return redfish_fail(err, 200, -EOPNOTSUPP,
                            "%s does not offer boot source override target %s", system, target);
    body = json_pack("{s:{s:s, s:s}}", "Boot", "BootSourceOverrideTarget", target,
                     "BootSourceOverrideEnabled", persistent ? "Continuous" : "Once");
    if (!body)
        return -ENOMEM;
    if (json_object_get(boot, "BootSourceOverrideMode") &&
        json_object_set_new(json_object_get(body, "Boot"), "BootSourceOverrideMode",
                            json_string(uefi ? "UEFI" : "Legacy")) < 0)
        return -ENOMEM;
    return redfish_patch(c, system, body, err);
}

/* True when media (a VirtualMedia resource) takes kind ("CD" also means
 * DVD; other kinds compare case-insensitively). */
static bool media_matches(const json_t *media, const char *kind)
{
    json_t *types = json_object_get(media, "MediaTypes");
    size_t i;
    json_t *t;
    bool cd = strcasecmp(kind, "CD") == 0;
    json_array_foreach(types, i, t)
    {
        const char *s = json_string_value(t);
        if (s && (strcasecmp(s, kind) == 0 || (cd && strcasecmp(s, "DVD") == 0)))
            return true;
    }
    const char *id = json_string_value(json_object_get(media, "Id"));
    return json_array_size(types) == 0 && id && strcasecmp(id, kind) == 0;
}

/* Finds the device of kind in the collection at path: 0 and the resource. */
static int find_media(struct redfish_client *c,
                      const char *path,
                      const char *kind,
                      json_t **ret_media,
                      char **ret_path,
                      struct redfish_error *err)
{
    _cleanup_json_ json_t *coll = NULL, *members = NULL;
    size_t i;
    json_t *m;
    int r = redfish_get(c, path, &coll, err);
    if (r < 0)
        return r;
    r = redfish_members(coll, REDFISH_MEMBERS_MAX, &members);
    if (r < 0)
        return redfish_fail(err, 200, r, "GET %s: not a collection", path);
    json_array_foreach(members, i, m)
    {
        json_t *media = NULL;
        r = redfish_get(c, json_string_value(m), &media, err);
        if (r < 0)
            return r;
        if (media_matches(media, kind)) {
            *ret_path = strdup(json_string_value(m));
            if (!*ret_path) {
                json_decref(media);
                return -ENOMEM;
            }
            *ret_media = media;
            return 0;
        }
        json_decref(media);
    }
    return -ENOENT;
}

static int
media_collection(struct redfish_client *c, const json_t *sys, char **ret, struct redfish_error *err)
{
    const char *p = redfish_link(sys, "VirtualMedia");
    _cleanup_json_ json_t *mgr = NULL;
    if (!p) {
        json_t *by = json_object_get(json_object_get(sys, "Links"), "ManagedBy");
        const char *mp = json_string_value(json_object_get(json_array_get(by, 0), "@odata.id"));
        if (redfish_path_check(mp) < 0)
            return -ENOENT;
        int r = redfish_get(c, mp, &mgr, err);
        if (r < 0)
            return r;
        p = redfish_link(mgr, "VirtualMedia");
        if (!p)
            return -ENOENT;
    }
    *ret = strdup(p);
    return *ret ? 0 : -ENOMEM;
}

int redfish_virtual_media(struct redfish_client *c,
                          const char *system,
                          const char *kind,
                          const char *image,
                          struct redfish_error *err)
{
    _cleanup_json_ json_t *sys = NULL, *media = NULL, *body = NULL;
    _cleanup_free_ char *coll = NULL, *path = NULL;
    bool eject = !image || !*image;
    int r;

    assert_return(c && system, -EINVAL);
    if (!kind || !*kind)
        kind = "CD";
    r = redfish_get(c, system, &sys, err);
    if (r < 0)
        return r;
    r = media_collection(c, sys, &coll, err);
    if (r == 0)
        r = find_media(c, coll, kind, &media, &path, err);
    if (r == -ENOENT)
        return redfish_fail(err, 200, r, "%s has no %s virtual media device", system, kind);
    if (r < 0)
        return r;
    json_t *actions = json_object_get(media, "Actions");
    const char *target = json_string_value(
            json_object_get(json_object_get(actions, eject ? "#VirtualMedia.EjectMedia"
                                                           : "#VirtualMedia.InsertMedia"),
                            "target"));
    if (eject && !json_is_true(json_object_get(media, "Inserted")) &&
        json_string_length(json_object_get(media, "Image")) == 0)
        return 0; /* nothing inserted */
    if (redfish_path_check(target) == 0) {
        body = eject ? json_object()
                     : json_pack("{s:s, s:b, s:b}", "Image", image, "Inserted", 1, "WriteProtected",
                                 1);
        if (!body)
            return -ENOMEM;
        return redfish_post(c, target, body, NULL, err);
    }
    body = eject ? json_pack("{s:n, s:b}", "Image", "Inserted", 0)
                 : json_pack("{s:s, s:b}", "Image", image, "Inserted", 1);
    if (!body)
        return -ENOMEM;
    return redfish_patch(c, path, body, err);
}
