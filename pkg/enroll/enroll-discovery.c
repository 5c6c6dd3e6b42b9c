/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Discovery: the Hardware made for an unknown agent (Tinkerbell's
 * tink/server/internal/grpc/discovery.go semantics), and the
 * pre-registration test that recognises a Hardware made ahead of time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "enroll/enroll-internal.h"

/* Longest block device name taken into spec.disks. */
#define DISK_NAME_MAX 64

int enroll_attributes_annotation(const json_t *attributes, char **ret)
{
    _cleanup_free_ char *text = NULL;

    assert_return(ret, -EINVAL);
    if (!attributes)
        return -EINVAL;
    text = json_dumps(attributes, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return -EINVAL;
    if (strlen(text) > ENROLL_ATTRIBUTES_ANNOTATION_MAX)
        return -E2BIG;
    *ret = TAKE_PTR(text);
    return 0;
}

static bool array_has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e) {
        if (strcmp(json_string_value(e), s) == 0)
            return true;
    }
    return false;
}

/* Appends the normalised form of mac to arr unless invalid or present. */
static int add_mac(json_t *arr, const char *mac)
{
    char norm[ENROLL_MAC_STRLEN + 1];

    if (json_array_size(arr) >= ENROLL_DISCOVERY_MAX_ITEMS || enroll_mac_normalize(mac, norm) < 0 ||
        array_has_string(arr, norm))
        return 0;
    return json_array_append_new(arr, json_string(norm)) < 0 ? -ENOMEM : 0;
}

int enroll_attributes_macs(const json_t *attributes, const char *agent_id, json_t **ret)
{
    _cleanup_json_ json_t *arr = json_array();
    const json_t *nics = json_object_get(attributes, "networkInterfaces");
    size_t i;
    json_t *nic;

    assert_return(ret, -EINVAL);
    if (!arr)
        return -ENOMEM;
    if (agent_id && add_mac(arr, agent_id) < 0)
        return -ENOMEM;
    json_array_foreach(nics, i, nic) {
        const char *mac = enroll_json_str(nic, "mac");

        if (mac && add_mac(arr, mac) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(arr);
    return 0;
}

/* A block device name is used as /dev/<name>: refuse anything that could
 * walk elsewhere or is not a plain name. */
static bool disk_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > DISK_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\')
            return false;
    }
    return true;
}

/* Upstream takes a device when its size is a non-empty string; a positive
 * number is accepted too. */
static bool disk_size_ok(const json_t *size)
{
    if (json_is_string(size))
        return json_string_length(size) > 0;
    return json_is_number(size) && json_number_value(size) > 0;
}

static json_t *build_disks(const json_t *attributes)
{
    _cleanup_json_ json_t *disks = json_array();
    size_t i;
    json_t *dev;

    if (!disks)
        return NULL;
    json_array_foreach(json_object_get(attributes, "blockDevices"), i, dev) {
        const char *name = enroll_json_str(dev, "name");
        _cleanup_free_ char *path = NULL;
        size_t j;
        json_t *d;
        bool dup = false;

        if (json_array_size(disks) >= ENROLL_DISCOVERY_MAX_ITEMS)
            break;
        if (!disk_name_ok(name) || !disk_size_ok(json_object_get(dev, "size")))
            continue;
        if (asprintf(&path, "/dev/%s", name) < 0)
            return NULL;
        json_array_foreach(disks, j, d) {
            dup = dup || strcmp(enroll_json_str(d, "device"), path) == 0;
        }
        if (!dup && json_array_append_new(disks, json_pack("{s:s}", "device", path)) < 0)
            return NULL;
    }
    return TAKE_PTR(disks);
}

static json_t *build_interfaces(const json_t *attributes)
{
    _cleanup_json_ json_t *macs = NULL, *ifaces = json_array();
    size_t i;
    json_t *mac;

    if (!ifaces || enroll_attributes_macs(attributes, NULL, &macs) < 0)
        return NULL;
    json_array_foreach(macs, i, mac) {
        if (json_array_append_new(ifaces, json_pack("{s:{s:O}}", "dhcp", "mac", mac)) < 0)
            return NULL;
    }
    return TAKE_PTR(ifaces);
}

static json_t *build_hw_spec(const char *agent_id,
                             const json_t *attributes,
                             const struct enroll_discovery_opts *opts)
{
    _cleanup_json_ json_t *spec = NULL;
    json_t *disks, *ifaces;

    spec = json_pack("{s:s, s:{s:b}}", "agentID", agent_id, "auto", "enrollmentEnabled",
                     opts->enrollment_enabled);
    if (!spec)
        return NULL;
    disks = build_disks(attributes);
    if (!disks)
        return NULL;
    if (json_array_size(disks) > 0) {
        if (json_object_set_new(spec, "disks", disks) < 0)
            return NULL;
    } else
        json_decref(disks);
    ifaces = build_interfaces(attributes);
    if (!ifaces)
        return NULL;
    if (json_array_size(ifaces) > 0) {
        if (json_object_set_new(spec, "interfaces", ifaces) < 0)
            return NULL;
    } else
        json_decref(ifaces);
    return TAKE_PTR(spec);
}

int enroll_discovery_hardware(const char *agent_id,
                              const json_t *attributes,
                              const struct enroll_discovery_opts *opts,
                              json_t **ret)
{
    _cleanup_json_ json_t *hw = NULL, *meta = NULL;
    _cleanup_free_ char *name = NULL, *annotation = NULL;
    json_t *spec;
    int r;

    assert_return(ret, -EINVAL);
    if (!opts || !opts->namespace || !*opts->namespace || !agent_id ||
        !enroll_utf8_valid(agent_id) || !enroll_utf8_valid(opts->namespace))
        return -EINVAL;
    r = enroll_discovery_name(agent_id, &name);
    if (r < 0)
        return r;
    meta = json_pack("{s:s, s:s, s:{s:s}}", "name", name, "namespace", opts->namespace, "labels",
                     ENROLL_LABEL_DISCOVERED, "true");
    if (!meta)
        return -ENOMEM;
    r = attributes ? enroll_attributes_annotation(attributes, &annotation) : -EINVAL;
    if (r == -ENOMEM)
        return r;
    if (r == 0 &&
        json_object_set_new(meta, "annotations",
                            json_pack("{s:s}", ENROLL_ANNOTATION_ATTRIBUTES, annotation)) < 0)
        return -ENOMEM;
    hw = json_pack("{s:s, s:s, s:O}", "apiVersion", ENROLL_API_VERSION, "kind", "Hardware",
                   "metadata", meta);
    if (!hw)
        return -ENOMEM;
    spec = build_hw_spec(agent_id, attributes, opts);
    if (!spec || json_object_set_new(hw, "spec", spec) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(hw);
    return 0;
}

/* True when a and b name the same agent: equal bytes, or the same MAC. */
static bool same_agent(const char *a, const char *b)
{
    char ma[ENROLL_MAC_STRLEN + 1], mb[ENROLL_MAC_STRLEN + 1];

    if (strcmp(a, b) == 0)
        return true;
    return enroll_mac_normalize(a, ma) == 0 && enroll_mac_normalize(b, mb) == 0 &&
           strcmp(ma, mb) == 0;
}

enum enroll_hw_match
enroll_hardware_match(const json_t *hardware, const char *agent_id, const json_t *attributes)
{
    const json_t *spec = json_object_get(hardware, "spec");
    const char *hw_agent = enroll_json_str(spec, "agentID");
    _cleanup_json_ json_t *macs = NULL;
    size_t i;
    json_t *iface;

    if (!spec || !agent_id || !*agent_id)
        return ENROLL_HW_MATCH_NONE;
    if (hw_agent && *hw_agent)
        return same_agent(hw_agent, agent_id) ? ENROLL_HW_MATCH_AGENT_ID : ENROLL_HW_MATCH_NONE;
    if (enroll_attributes_macs(attributes, agent_id, &macs) < 0)
        return ENROLL_HW_MATCH_NONE;
    json_array_foreach(json_object_get(spec, "interfaces"), i, iface) {
        const char *mac = enroll_json_str(json_object_get(iface, "dhcp"), "mac");
        char norm[ENROLL_MAC_STRLEN + 1];

        if (mac && enroll_mac_normalize(mac, norm) == 0 && array_has_string(macs, norm))
            return ENROLL_HW_MATCH_MAC;
    }
    return ENROLL_HW_MATCH_NONE;
}
