/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a Hardware object (compat §1.2) for the script writers: the
 * interface whose dhcp.mac booted, its netboot block, and the few top-level
 * fields the boot-environment script uses. Smee reads the same fields
 * through its kube backend (pkg/backend/kube/smee.go).
 */
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "ipxe/ipxe-internal.h"

/* obj[key] when obj is an object, else NULL. */
static const json_t *member(const json_t *obj, const char *key)
{
    if (!json_is_object(obj))
        return NULL;
    return json_object_get(obj, key);
}

/*
 * The string obj[key]: *ret is NULL when it is absent, not a string or
 * empty. A string with an embedded NUL (jansson keeps them when decoding
 * with JSON_ALLOW_NUL) would be cut short in C, so it is refused.
 */
static int string_member(const json_t *obj,
                         const char *key,
                         const char *field,
                         const char **ret,
                         size_t *ret_len,
                         const char **reterr_field)
{
    const json_t *v = member(obj, key);

    *ret = NULL;
    if (ret_len)
        *ret_len = 0;
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        *reterr_field = field;
        return -EINVAL;
    }
    if (len == 0)
        return 0;
    *ret = s;
    if (ret_len)
        *ret_len = len;
    return 0;
}

/* The interface whose dhcp.mac is mac (normalised), or NULL. Entries whose
 * MAC does not parse are skipped. */
static const json_t *find_interface(const json_t *spec, const char *mac)
{
    const json_t *ifaces = member(spec, "interfaces");
    size_t i;
    const json_t *iface;

    if (!json_is_array(ifaces))
        return NULL;
    json_array_foreach(ifaces, i, iface) {
        const char *m = json_string_value(member(member(iface, "dhcp"), "mac"));
        char norm[IPXE_MAC_STRLEN];
        if (!m || ipxe_mac_normalize(m, norm) < 0)
            continue;
        if (strcmp(norm, mac) == 0)
            return iface;
    }
    return NULL;
}

static int read_netboot(const json_t *netboot, struct ipxe_machine *m, const char **reterr_field)
{
    const json_t *ipxe = member(netboot, "ipxe");
    const json_t *osie = member(netboot, "osie");
    int r;

    m->allow_pxe = json_is_true(member(netboot, "allowPXE"));
    r = string_member(ipxe, "url", "spec.interfaces[].netboot.ipxe.url", &m->ipxe_url, NULL,
                      reterr_field);
    if (r < 0)
        return r;
    r = string_member(ipxe, "contents", "spec.interfaces[].netboot.ipxe.contents",
                      &m->ipxe_contents, &m->ipxe_contents_len, reterr_field);
    if (r < 0)
        return r;
    r = string_member(osie, "baseURL", "spec.interfaces[].netboot.osie.baseURL", &m->osie_base_url,
                      NULL, reterr_field);
    if (r < 0)
        return r;
    r = string_member(osie, "kernel", "spec.interfaces[].netboot.osie.kernel", &m->osie_kernel,
                      NULL, reterr_field);
    if (r < 0)
        return r;
    r = string_member(osie, "initrd", "spec.interfaces[].netboot.osie.initrd", &m->osie_initrd,
                      NULL, reterr_field);
    if (r < 0)
        return r;
    const json_t *params = member(osie, "kernelParams");
    m->kernel_params = json_is_array(params) ? params : NULL;
    return 0;
}

int ipxe_machine_from_hardware(const json_t *hardware,
                               const char *mac,
                               struct ipxe_machine *ret,
                               const char **reterr_field)
{
    struct ipxe_machine m = {0};
    int r;

    *reterr_field = NULL;
    r = ipxe_mac_normalize(mac, m.mac);
    if (r < 0) {
        *reterr_field = "mac";
        return r;
    }

    const json_t *spec = member(hardware, "spec");
    const json_t *iface = find_interface(spec, m.mac);
    if (!iface)
        return -ENOENT;
    /* Smee's conversion fails for an interface without a netboot block, and
     * a failed lookup is what auto-proxy answers with the static script. */
    const json_t *netboot = member(iface, "netboot");
    if (!json_is_object(netboot))
        return -ENODATA;

    const json_t *dhcp = member(iface, "dhcp");
    r = string_member(spec, "agentID", "spec.agentID", &m.agent_id, NULL, reterr_field);
    if (r < 0)
        return r;
    r = string_member(member(member(spec, "metadata"), "facility"), "facility_code",
                      "spec.metadata.facility.facility_code", &m.facility, NULL, reterr_field);
    if (r < 0)
        return r;
    r = string_member(dhcp, "arch", "spec.interfaces[].dhcp.arch", &m.arch, NULL, reterr_field);
    if (r < 0)
        return r;
    r = string_member(dhcp, "vlan_id", "spec.interfaces[].dhcp.vlan_id", &m.vlan_id, NULL,
                      reterr_field);
    if (r < 0)
        return r;
    r = read_netboot(netboot, &m, reterr_field);
    if (r < 0)
        return r;

    *ret = m;
    return 0;
}
