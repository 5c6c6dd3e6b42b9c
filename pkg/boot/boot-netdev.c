/* SPDX-License-Identifier: Apache-2.0 */
/* The public IP when --public-ip is absent: the default route's interface. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot-internal.h"

/* Name of the interface of the first IPv4 default route in /proc/net/route. */
static int default_route_ifname(char out[IF_NAMESIZE])
{
    FILE *f = fopen("/proc/net/route", "re");
    char line[512];
    int r = -ENOENT;
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char ifname[IF_NAMESIZE];
        unsigned long dest, mask, flags;
        if (sscanf(line, "%15s %lx %*x %lx %*d %*d %*d %lx", ifname, &dest, &flags, &mask) != 4)
            continue;
        if (dest == 0 && mask == 0 && (flags & 0x1 /* RTF_UP */)) {
            memcpy(out, ifname, IF_NAMESIZE);
            r = 0;
            break;
        }
    }
    fclose(f);
    return r;
}

int boot_netdev_ipv4(const char *ifname, struct in_addr *ret)
{
    char name[IF_NAMESIZE];
    struct ifaddrs *ifa = NULL;
    int r = -ENOENT;
    assert_return(ret, -EINVAL);
    if (ifname && ifname[0]) {
        if (if_nametoindex(ifname) == 0)
            return -ENODEV;
        snprintf(name, sizeof(name), "%s", ifname);
    } else if ((r = default_route_ifname(name)) < 0) {
        return r;
    }
    if (getifaddrs(&ifa) < 0)
        return -errno;
    r = -ENOENT;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, name) == 0) {
            *ret = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
            r = 0;
            break;
        }
    freeifaddrs(ifa);
    return r;
}
