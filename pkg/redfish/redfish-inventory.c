/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw inventory scrape of one ComputerSystem: the system, its
 * EthernetInterfaces, Processors, Memory, Storage (with Drives),
 * SimpleStorage, the first Chassis and the managing Manager with its own
 * EthernetInterfaces. Missing parts are skipped; nothing is interpreted
 * here (pkg/bmc maps the result).
 */
#include <errno.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "redfish/redfish-internal.h"

/* Errors that only cost this part of the inventory: the BMC does not have
 * it (404, 405, 501), serves it broken (400, 500, not JSON) or too big.
 * Credentials, transport and overload errors stop the whole scrape. */
static bool missing(int r)
{
    return r == -ENOENT || r == -EOPNOTSUPP || r == -EBADMSG || r == -EINVAL || r == -EIO ||
           r == -E2BIG;
}

/* Reads every member of the collection at path into a new array. */
static int
read_members(struct redfish_client *c, const char *path, json_t **ret, struct redfish_error *err)
{
    _cleanup_json_ json_t *coll = NULL, *paths = NULL, *out = NULL;
    size_t i;
    json_t *p;
    int r = redfish_get(c, path, &coll, err);
    if (r < 0)
        return r;
    r = redfish_members(coll, REDFISH_MEMBERS_MAX, &paths);
    if (r < 0)
        return r;
    out = json_array();
    if (!out)
        return -ENOMEM;
    json_array_foreach(paths, i, p)
    {
        json_t *m = NULL;
        r = redfish_get(c, json_string_value(p), &m, err);
        if (missing(r))
            continue;
        if (r < 0)
            return r;
        if (json_array_append_new(out, m) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(out);
    return 0;
}

/* raw[key] = members of the collection linked from obj[link], if any. */
static int add_collection(struct redfish_client *c,
                          json_t *raw,
                          const char *key,
                          const json_t *obj,
                          const char *link,
                          struct redfish_error *err)
{
    const char *path = redfish_link(obj, link);
    json_t *arr = NULL;
    if (!path)
        return 0;
    int r = read_members(c, path, &arr, err);
    if (missing(r))
        return 0;
    if (r < 0)
        return r;
    return json_object_set_new(raw, key, arr) < 0 ? -ENOMEM : 0;
}

/* raw[key] = the resource at the first link of obj.Links[list]. */
static int add_linked(struct redfish_client *c,
                      json_t *raw,
                      const char *key,
                      const json_t *obj,
                      const char *list,
                      json_t **ret_borrowed,
                      struct redfish_error *err)
{
    json_t *links = json_object_get(json_object_get(obj, "Links"), list);
    const char *path = json_string_value(json_object_get(json_array_get(links, 0), "@odata.id"));
    json_t *res = NULL;
    if (redfish_path_check(path) < 0)
        return 0;
    int r = redfish_get(c, path, &res, err);
    if (missing(r))
        return 0;
    if (r < 0)
        return r;
    if (json_object_set_new(raw, key, res) < 0)
        return -ENOMEM;
    if (ret_borrowed)
        *ret_borrowed = res;
    return 0;
}

/* Storage controllers, each with a "drives" array of its Drive resources. */
static int
add_storage(struct redfish_client *c, json_t *raw, const json_t *sys, struct redfish_error *err)
{
    const char *path = redfish_link(sys, "Storage");
    json_t *arr = NULL, *st;
    size_t i;
    if (!path)
        return 0;
    int r = read_members(c, path, &arr, err);
    if (missing(r))
        return 0;
    if (r < 0)
        return r;
    if (json_object_set_new(raw, "storage", arr) < 0)
        return -ENOMEM;
    json_array_foreach(arr, i, st)
    {
        json_t *drives = json_object_get(st, "Drives"), *d, *out = json_array();
        size_t j;
        if (!out || json_object_set_new(st, "drives", out) < 0)
            return -ENOMEM;
        json_array_foreach(drives, j, d)
        {
            const char *dp = json_string_value(json_object_get(d, "@odata.id"));
            json_t *drive = NULL;
            if (j >= REDFISH_MEMBERS_MAX || redfish_path_check(dp) < 0)
                continue;
            r = redfish_get(c, dp, &drive, err);
            if (missing(r))
                continue;
            if (r < 0)
                return r;
            if (json_array_append_new(out, drive) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

int redfish_inventory(struct redfish_client *c,
                      const char *system,
                      json_t **ret,
                      struct redfish_error *err)
{
    _cleanup_json_ json_t *raw = json_object();
    json_t *sys = NULL, *mgr = NULL;
    int r;

    assert_return(c && system && ret, -EINVAL);
    if (!raw)
        return -ENOMEM;
    r = redfish_get(c, system, &sys, err);
    if (r < 0)
        return r;
    if (json_object_set_new(raw, "system", sys) < 0)
        return -ENOMEM;
    if ((r = add_collection(c, raw, "ethernetInterfaces", sys, "EthernetInterfaces", err)) < 0 ||
        (r = add_collection(c, raw, "processors", sys, "Processors", err)) < 0 ||
        (r = add_collection(c, raw, "memory", sys, "Memory", err)) < 0 ||
        (r = add_storage(c, raw, sys, err)) < 0 ||
        (r = add_collection(c, raw, "simpleStorage", sys, "SimpleStorage", err)) < 0 ||
        (r = add_linked(c, raw, "chassis", sys, "Chassis", NULL, err)) < 0 ||
        (r = add_linked(c, raw, "manager", sys, "ManagedBy", &mgr, err)) < 0)
        return r;
    if (mgr && (r = add_collection(c, raw, "managerEthernetInterfaces", mgr, "EthernetInterfaces",
                                   err)) < 0)
        return r;
    *ret = TAKE_PTR(raw);
    return 0;
}
