/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object keys, the index value collector and the ready-made index functions
 * for Tinkerbell's lookups (tinkerbell-compat.md §1.7): Hardware by MAC, by
 * IP and by agentID, Workflow by status.agentID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/macro.h"
#include "informer/informer-internal.h"

/* A name or namespace usable in a key: non-empty, no '/', no NUL. */
static bool key_part_ok(const json_t *s)
{
    const char *v = json_string_value(s);
    size_t n = json_string_length(s);

    return v && n > 0 && strlen(v) == n && !memchr(v, '/', n);
}

int store_key_of(const json_t *obj, char **ret_key)
{
    assert_return(ret_key, -EINVAL);

    json_t *md = json_object_get(obj, "metadata");
    json_t *name = json_object_get(md, "name");
    json_t *ns = json_object_get(md, "namespace");
    if (!key_part_ok(name))
        return -EBADMSG;
    if (ns && !json_is_null(ns) && !(json_is_string(ns) && json_string_length(ns) == 0) &&
        !key_part_ok(ns))
        return -EBADMSG;

    size_t nn = json_string_length(name), ns_len = ns ? json_string_length(ns) : 0;
    if (nn + ns_len + 1 > STORE_KEY_MAX)
        return -EBADMSG;
    char *key = malloc(nn + ns_len + 2);
    if (!key)
        return -ENOMEM;
    if (ns_len > 0)
        (void)snprintf(key, nn + ns_len + 2, "%s/%s", json_string_value(ns),
                       json_string_value(name));
    else
        memcpy(key, json_string_value(name), nn + 1);
    *ret_key = key;
    return 0;
}

int store_index_keys_add(struct store_index_keys *keys, const char *value)
{
    assert_return(keys && keys->values && value && *value, -EINVAL);

    size_t n = strlen(value);
    if (n > STORE_INDEX_VALUE_MAX)
        return -E2BIG;
    size_t i;
    json_t *v;
    json_array_foreach(keys->values, i, v) {
        if (strcmp(json_string_value(v), value) == 0)
            return 0;
    }
    if (json_array_append_new(keys->values, json_stringn_nocheck(value, n)) < 0)
        return -ENOMEM;
    return 0;
}

/* Adds the string at obj.path (NULL-terminated member names) if non-empty. */
static int
add_string_at(const json_t *obj, const char *const *path, bool lower, struct store_index_keys *keys)
{
    const json_t *v = obj;
    for (size_t i = 0; path[i]; i++)
        v = json_object_get(v, path[i]);
    const char *s = json_string_value(v);
    if (!s || !*s)
        return 0;
    if (!lower)
        return store_index_keys_add(keys, s);

    size_t n = strlen(s);
    if (n > STORE_INDEX_VALUE_MAX)
        return -E2BIG;
    _cleanup_free_ char *low = strdup(s);
    if (!low)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (low[i] >= 'A' && low[i] <= 'Z')
            low[i] = (char)(low[i] - 'A' + 'a');
    return store_index_keys_add(keys, low);
}

static int add_interfaces(const json_t *obj,
                          const char *const *path,
                          bool lower,
                          struct store_index_keys *keys)
{
    json_t *ifaces = json_object_get(json_object_get(obj, "spec"), "interfaces");
    size_t i;
    json_t *iface;
    json_array_foreach(ifaces, i, iface) {
        int r = add_string_at(iface, path, lower, keys);
        if (r < 0)
            return r;
    }
    return 0;
}

int store_index_hardware_mac(const json_t *obj, struct store_index_keys *keys, void *userdata)
{
    static const char *const path[] = {"dhcp", "mac", NULL};
    (void)userdata;
    return add_interfaces(obj, path, true, keys);
}

int store_index_hardware_ip(const json_t *obj, struct store_index_keys *keys, void *userdata)
{
    static const char *const path[] = {"dhcp", "ip", "address", NULL};
    (void)userdata;
    return add_interfaces(obj, path, false, keys);
}

int store_index_hardware_agent_id(const json_t *obj, struct store_index_keys *keys, void *userdata)
{
    static const char *const path[] = {"spec", "agentID", NULL};
    (void)userdata;
    return add_string_at(obj, path, false, keys);
}

int store_index_workflow_agent_id(const json_t *obj, struct store_index_keys *keys, void *userdata)
{
    static const char *const path[] = {"status", "agentID", NULL};
    (void)userdata;
    return add_string_at(obj, path, false, keys);
}
