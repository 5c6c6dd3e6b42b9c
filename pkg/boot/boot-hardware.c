/* SPDX-License-Identifier: Apache-2.0 */
/* Hardware objects -> DHCP reservations, with conflict checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json-cleanup.h"
#include "boot/boot-internal.h"
#include "informer/informer.h"

void boot_mac_format(const uint8_t mac[DHCP_ETHER_ADDR_LEN], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int boot_mac_parse(const char *s, uint8_t ret[DHCP_ETHER_ADDR_LEN])
{
    uint8_t m[DHCP_ETHER_ADDR_LEN];
    if (!s || strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < DHCP_ETHER_ADDR_LEN; i++) {
        int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        if (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-')
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(ret, m, sizeof(m));
    return 0;
}

static const char *str_at(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v && v[0] ? v : NULL;
}

static struct in_addr addr_at(const json_t *obj, const char *key)
{
    struct in_addr a = {0};
    const char *v = str_at(obj, key);
    if (!v || inet_pton(AF_INET, v, &a) != 1)
        a.s_addr = 0;
    return a;
}

/* Parses a JSON array of address strings into out; unparsable ones are
 * skipped (Smee's behaviour). Returns the count. */
static size_t addr_list(const json_t *arr, struct in_addr *out, size_t cap)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (n < cap && s && inet_pton(AF_INET, s, &out[n]) == 1)
            n++;
    }
    return n;
}

static size_t route_list(const json_t *arr, struct dhcp_route *out, size_t cap)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *dd = str_at(v, "destination_descriptor");
        char net[INET_ADDRSTRLEN];
        const char *slash = dd ? strchr(dd, '/') : NULL;
        char *end;
        if (n >= cap || !slash || (size_t)(slash - dd) >= sizeof(net))
            continue;
        memcpy(net, dd, (size_t)(slash - dd));
        net[slash - dd] = '\0';
        long plen = strtol(slash + 1, &end, 10);
        struct dhcp_route r = {.router = addr_at(v, "router")};
        if (*end || end == slash + 1 || plen < 0 || plen > 32 ||
            inet_pton(AF_INET, net, &r.destination) != 1 || r.router.s_addr == 0)
            continue;
        r.prefix_len = (uint8_t)plen;
        out[n++] = r;
    }
    return n;
}

static const json_t *find_interface(const json_t *hw, const uint8_t mac[DHCP_ETHER_ADDR_LEN])
{
    const json_t *ifaces = json_object_get(json_object_get(hw, "spec"), "interfaces");
    size_t i;
    json_t *iface;
    json_array_foreach(ifaces, i, iface) {
        uint8_t m[DHCP_ETHER_ADDR_LEN];
        const char *s = str_at(json_object_get(iface, "dhcp"), "mac");
        if (s && boot_mac_parse(s, m) == 0 && memcmp(m, mac, sizeof(m)) == 0)
            return iface;
    }
    return NULL;
}

int boot_reservation_from_hardware(const json_t *hardware,
                                   const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                                   struct boot_reservation *ret)
{
    assert_return(hardware && mac && ret, -EINVAL);
    if (!json_is_object(hardware))
        return -EINVAL;
    const json_t *iface = find_interface(hardware, mac);
    if (!iface)
        return -ENOENT;
    const json_t *dhcp = json_object_get(iface, "dhcp");
    const json_t *ip = json_object_get(dhcp, "ip");
    const json_t *netboot = json_object_get(iface, "netboot");
    const json_t *ipxe = json_object_get(netboot, "ipxe");
    json_t *lt = json_object_get(dhcp, "lease_time");

    struct boot_reservation *r = ret;
    memset(r, 0, sizeof(*r));
    memcpy(r->res.mac, mac, DHCP_ETHER_ADDR_LEN);
    r->res.ip = addr_at(ip, "address");
    r->res.netmask = addr_at(ip, "netmask");
    r->res.gateway = addr_at(ip, "gateway");
    r->res.n_nameservers = addr_list(json_object_get(dhcp, "name_servers"), r->dns, BOOT_ADDRS_MAX);
    r->res.nameservers = r->dns;
    r->res.n_timeservers = addr_list(json_object_get(dhcp, "time_servers"), r->ntp, BOOT_ADDRS_MAX);
    r->res.timeservers = r->ntp;
    r->res.hostname = str_at(dhcp, "hostname");
    r->res.domain = str_at(dhcp, "domain_name");
    r->res.lease_time = json_is_integer(lt) ? (int64_t)json_integer_value(lt) : 0;
    r->res.n_routes = route_list(json_object_get(dhcp, "classless_static_routes"), r->routes,
                                 BOOT_ROUTES_MAX);
    r->res.routes = r->routes;
    r->res.tftp_server_name = str_at(dhcp, "tftp_server_name");
    r->res.boot_file_name = str_at(dhcp, "boot_file_name");
    r->res.allow_pxe = json_is_true(json_object_get(netboot, "allowPXE"));
    r->res.ipxe_binary = str_at(ipxe, "binary");
    r->res.ipxe_script_url = str_at(ipxe, "url");
    r->res.disable_dhcp = json_is_true(json_object_get(iface, "disableDhcp"));
    r->res.vlan_id = str_at(dhcp, "vlan_id");
    r->res.arch = str_at(dhcp, "arch");
    r->res.uefi = json_is_true(json_object_get(dhcp, "uefi"));
    r->hardware = json_incref((json_t *)hardware);
    return 0;
}

void boot_reservation_clear(struct boot_reservation *r)
{
    if (!r)
        return;
    json_decref(r->hardware);
    r->hardware = NULL;
}

/* True when some Hardware in list has an interface with address ip whose
 * MAC is not mac. */
static bool address_taken_by_other(const json_t *list, struct in_addr ip, const uint8_t *mac)
{
    size_t i, j;
    json_t *hw, *iface;
    json_array_foreach(list, i, hw) {
        const json_t *ifaces = json_object_get(json_object_get(hw, "spec"), "interfaces");
        json_array_foreach(ifaces, j, iface) {
            const json_t *dhcp = json_object_get(iface, "dhcp");
            uint8_t m[DHCP_ETHER_ADDR_LEN];
            struct in_addr a = addr_at(json_object_get(dhcp, "ip"), "address");
            const char *s = str_at(dhcp, "mac");
            if (a.s_addr != ip.s_addr || !s || boot_mac_parse(s, m) < 0)
                continue;
            if (memcmp(m, mac, sizeof(m)) != 0)
                return true;
        }
    }
    return false;
}

int boot_lookup_mac(struct store *s,
                    const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                    struct boot_reservation *ret)
{
    char key[18];
    _cleanup_json_ json_t *list = NULL;
    struct boot_reservation first = {0};
    bool have = false;
    size_t i;
    json_t *hw;

    assert_return(s && mac && ret, -EINVAL);
    boot_mac_format(mac, key);
    int r = store_by_index(s, STORE_INDEX_MAC, key, &list);
    if (r < 0)
        return r;
    json_array_foreach(list, i, hw) {
        struct boot_reservation cur;
        if (boot_reservation_from_hardware(hw, mac, &cur) < 0)
            continue;
        if (!have) {
            first = cur;
            have = true;
            continue;
        }
        bool same = cur.res.ip.s_addr == first.res.ip.s_addr;
        boot_reservation_clear(&cur);
        if (!same) {
            boot_reservation_clear(&first);
            return -ENOTUNIQ;
        }
    }
    if (!have)
        return -ENOENT;
    if (first.res.ip.s_addr != 0) {
        char ip[INET_ADDRSTRLEN];
        _cleanup_json_ json_t *by_ip = NULL;
        inet_ntop(AF_INET, &first.res.ip, ip, sizeof(ip));
        r = store_by_index(s, STORE_INDEX_IP, ip, &by_ip);
        if (r == 0 && address_taken_by_other(by_ip, first.res.ip, mac)) {
            boot_reservation_clear(&first);
            return -ENOTUNIQ;
        }
    }
    /* res points into first's arrays: fix the pointers for the copy. */
    *ret = first;
    ret->res.nameservers = ret->dns;
    ret->res.timeservers = ret->ntp;
    ret->res.routes = ret->routes;
    return 0;
}
