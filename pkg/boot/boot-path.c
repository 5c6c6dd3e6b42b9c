/* SPDX-License-Identifier: Apache-2.0 */
/* Request paths of anvil-boot's HTTP routes, taken apart. */
#include <errno.h>
#include <string.h>

#include "boot/boot-internal.h"

#define PREFIX_BINARY   "/ipxe/binary/"
#define PREFIX_SCRIPT   "/ipxe/script/"
#define PREFIX_BOOTENV  "/bootenv/"
#define PREFIX_METADATA "/2009-04-04/"

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* A single file name: no '/', no leading '.', printable ASCII only. */
static int check_file_name(const char *s)
{
    if (!s[0] || s[0] == '.')
        return -EACCES;
    for (const char *c = s; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
            return -EACCES;
    return 0;
}

static int parse_script(const char *rest, struct boot_path *ret)
{
    /* "auto.ipxe" (look up by client IP) or "<mac>/auto.ipxe". */
    const char *slash = strchr(rest, '/');
    if (!slash)
        return strcmp(rest, "auto.ipxe") == 0 ? 0 : -ENOENT;
    if (strcmp(slash + 1, "auto.ipxe") != 0)
        return -ENOENT;
    if (slash - rest != 17)
        return -EINVAL;
    char mac[18];
    uint8_t m[DHCP_ETHER_ADDR_LEN];
    memcpy(mac, rest, 17);
    mac[17] = '\0';
    if (boot_mac_parse(mac, m) < 0)
        return -EINVAL;
    boot_mac_format(m, ret->mac);
    return 0;
}

int boot_path_parse(const char *path, struct boot_path *ret)
{
    struct boot_path p = {.route = BOOT_ROUTE_NONE};
    int r = 0;
    assert_return(path && ret, -EINVAL);
    if (has_prefix(path, PREFIX_BINARY)) {
        p.route = BOOT_ROUTE_BINARY;
        p.rest = path + strlen(PREFIX_BINARY);
        /* The name policy (basename table, traversal) is tftp_path_map()'s. */
        if (!p.rest[0])
            return -ENOENT;
    } else if (has_prefix(path, PREFIX_SCRIPT)) {
        p.route = BOOT_ROUTE_SCRIPT;
        p.rest = path + strlen(PREFIX_SCRIPT);
        r = parse_script(p.rest, &p);
    } else if (has_prefix(path, PREFIX_BOOTENV)) {
        p.route = BOOT_ROUTE_BOOTENV;
        p.rest = path + strlen(PREFIX_BOOTENV);
        r = check_file_name(p.rest);
    } else if (has_prefix(path, PREFIX_METADATA) || strcmp(path, "/2009-04-04") == 0) {
        p.route = BOOT_ROUTE_METADATA;
        p.rest = path[11] ? path + 12 : path + 11;
    } else {
        return -ENOENT;
    }
    if (r < 0)
        return r;
    *ret = p;
    return 0;
}
