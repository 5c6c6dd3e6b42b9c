/* SPDX-License-Identifier: Apache-2.0 */
/* Block devices, network interfaces and PCI devices from sysfs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

/* Cleanup for the name lists of agent_list_at(). */
static void strv_freep(char ***v)
{
    agent_strv_free(*v);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Sets key from the value file dir/file (under rootfd), when it has one. */
static int set_value(json_t *o, const char *key, int rootfd, const char *dir, const char *file)
{
    char path[AGENT_PATH_MAX];
    if (agent_path(path, "%s/%s", dir, file) < 0)
        return 0;
    _cleanup_free_ char *v = agent_value_at(rootfd, path);
    return agent_json_set_str(o, key, v);
}

/* The value file as an unsigned decimal; false when absent or malformed. */
static bool read_u64(int rootfd, const char *dir, const char *file, uint64_t *ret)
{
    char path[AGENT_PATH_MAX], *end;
    if (agent_path(path, "%s/%s", dir, file) < 0)
        return false;
    _cleanup_free_ char *v = agent_value_at(rootfd, path);
    if (!v || v[0] < '0' || v[0] > '9')
        return false;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end)
        return false;
    *ret = x;
    return true;
}

/* Appends entry to attrs[key] (creating the list); consumes entry. */
static int append(json_t *attrs, const char *key, json_t *entry)
{
    json_t *list = json_object_get(attrs, key);

    if (!list) {
        list = json_array();
        if (!list || json_object_set_new(attrs, key, list) < 0) {
            json_decref(entry);
            return -ENOMEM;
        }
    }
    return json_array_append_new(list, entry) < 0 ? -ENOMEM : 0;
}

/* ---- block devices ---- */

/* Drive type and controller by device name, as upstream's hardware library
 * decides them (jaypipes/ghw pkg/block). */
static void disk_types(const char *name, const char **drive, const char **controller)
{
    static const struct {
        const char *prefix, *drive, *controller;
    } table[] = {
            {"fd", "FDD", "Unknown"}, {"sd", "HDD", "SCSI"},   {"hd", "HDD", "IDE"},
            {"vd", "HDD", "virtio"},  {"nvme", "SSD", "NVMe"}, {"sr", "ODD", "SCSI"},
            {"xvd", "HDD", "SCSI"},   {"mmc", "SSD", "MMC"},
    };
    *drive = *controller = "Unknown";
    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        if (has_prefix(name, table[i].prefix)) {
            *drive = table[i].drive;
            *controller = table[i].controller;
            return;
        }
}

static int block_entry(int rootfd, const char *name, json_t **ret)
{
    _cleanup_json_ json_t *o = json_object();
    const char *drive, *controller;
    char dir[AGENT_PATH_MAX], size[32];
    uint64_t v;
    int r;

    if (!o)
        return -ENOMEM;
    if (agent_path(dir, "sys/block/%s", name) < 0)
        return -ENAMETOOLONG;
    disk_types(name, &drive, &controller);
    if ((strcmp(drive, "HDD") == 0 || strcmp(drive, "Unknown") == 0) &&
        read_u64(rootfd, dir, "queue/rotational", &v) && v == 0)
        drive = "SSD";
    _cleanup_free_ char *clean = agent_text_clean(name, strlen(name), AGENT_VALUE_MAX);
    if (!clean)
        return -ENOMEM;
    r = agent_json_set_str(o, "name", clean);
    if (r >= 0)
        r = agent_json_set_str(o, "controllerType", controller);
    if (r >= 0)
        r = agent_json_set_str(o, "driveType", drive);
    if (r >= 0 && read_u64(rootfd, dir, "size", &v) && v <= UINT64_MAX / 512) {
        agent_size_format(v * 512, size);
        r = agent_json_set_str(o, "size", size);
    }
    if (r >= 0 && read_u64(rootfd, dir, "queue/physical_block_size", &v)) {
        agent_size_format(v, size);
        r = agent_json_set_str(o, "physicalBlockSize", size);
    }
    if (r >= 0)
        r = set_value(o, "vendor", rootfd, dir, "device/vendor");
    if (r >= 0)
        r = set_value(o, "model", rootfd, dir, "device/model");
    if (r >= 0)
        r = set_value(o, "serialNumber", rootfd, dir, "device/serial");
    if (r >= 0)
        r = set_value(o, "wwn", rootfd, dir, "wwid");
    if (r >= 0 && !json_object_get(o, "wwn"))
        r = set_value(o, "wwn", rootfd, dir, "device/wwid");
    if (r < 0)
        return r;
    *ret = TAKE_PTR(o);
    return 0;
}

int agent_block_devices(int rootfd, json_t *attrs)
{
    _cleanup_(strv_freep) char **names = NULL;
    size_t n, count = 0;

    if (agent_list_at(rootfd, "sys/block", &names, &n) < 0)
        return 0;
    for (size_t i = 0; i < n && count < AGENT_BLOCK_MAX; i++) {
        json_t *e = NULL;
        /* Loop and RAM disks are not the machine's disks. */
        if (has_prefix(names[i], "loop") || has_prefix(names[i], "ram") ||
            has_prefix(names[i], "zram"))
            continue;
        int r = block_entry(rootfd, names[i], &e);
        if (r == -ENAMETOOLONG)
            continue;
        if (r >= 0)
            r = append(attrs, "blockDevices", e);
        if (r < 0)
            return r;
        count++;
    }
    return 0;
}

/* ---- network interfaces ---- */

/* True when the interface is a software device (bridge, veth, bond, tun,
 * ...): its sysfs node lives under devices/virtual. */
static bool nic_is_virtual(int rootfd, const char *name)
{
    char path[AGENT_PATH_MAX], target[AGENT_PATH_MAX];
    if (agent_path(path, "sys/class/net/%s", name) < 0)
        return true;
    ssize_t n = readlinkat(rootfd, path, target, sizeof(target) - 1);
    if (n < 0)
        return false; /* not a link: a fake tree, or an old kernel; keep it */
    target[n] = '\0';
    return strstr(target, "/virtual/") != NULL;
}

/* The MAC, unless the kernel made it up (addr_assign_type 1, random) or it
 * is all zeros. Lowercased. NULL when there is none to report. */
static char *nic_mac(int rootfd, const char *dir)
{
    char path[AGENT_PATH_MAX];
    uint64_t type;

    if (read_u64(rootfd, dir, "addr_assign_type", &type) && type == 1)
        return NULL;
    if (agent_path(path, "%s/address", dir) < 0)
        return NULL;
    char *mac = agent_value_at(rootfd, path);
    if (!mac)
        return NULL;
    bool zero = true;
    for (char *p = mac; *p; p++) {
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
        if (*p != '0' && *p != ':')
            zero = false;
    }
    if (zero) {
        free(mac);
        return NULL;
    }
    return mac;
}

static int nic_entry(int rootfd, const char *name, json_t **ret)
{
    _cleanup_json_ json_t *o = json_object();
    char dir[AGENT_PATH_MAX], speed[32];
    uint64_t mbps;
    int r;

    if (!o)
        return -ENOMEM;
    if (agent_path(dir, "sys/class/net/%s", name) < 0)
        return -ENAMETOOLONG;
    _cleanup_free_ char *clean = agent_text_clean(name, strlen(name), AGENT_VALUE_MAX);
    _cleanup_free_ char *mac = nic_mac(rootfd, dir);
    if (!clean)
        return -ENOMEM;
    r = agent_json_set_str(o, "name", clean);
    if (r >= 0)
        r = agent_json_set_str(o, "mac", mac);
    /* sysfs gives Mb/s, and -1 (or an error) without a link. */
    if (r >= 0 && read_u64(rootfd, dir, "speed", &mbps)) {
        (void)snprintf(speed, sizeof(speed), "%llu", (unsigned long long)mbps);
        r = agent_json_set_str(o, "speed", speed);
    }
    if (r < 0)
        return r;
    *ret = TAKE_PTR(o);
    return 0;
}

int agent_network_interfaces(int rootfd, json_t *attrs)
{
    _cleanup_(strv_freep) char **names = NULL;
    size_t n, count = 0;

    if (agent_list_at(rootfd, "sys/class/net", &names, &n) < 0)
        return 0;
    for (size_t i = 0; i < n && count < AGENT_NIC_MAX; i++) {
        json_t *e = NULL;
        if (strcmp(names[i], "lo") == 0 || nic_is_virtual(rootfd, names[i]))
            continue;
        int r = nic_entry(rootfd, names[i], &e);
        if (r == -ENAMETOOLONG)
            continue;
        if (r >= 0)
            r = append(attrs, "networkInterfaces", e);
        if (r < 0)
            return r;
        count++;
    }
    return 0;
}

/* ---- PCI devices ---- */

/* PCI base class names (PCI Code and ID Assignment Specification), spelled
 * as the pci.ids database that upstream's hardware library reads. */
static const char *pci_class_name(unsigned base)
{
    static const char *const names[] = {
            "Unclassified device",
            "Mass storage controller",
            "Network controller",
            "Display controller",
            "Multimedia controller",
            "Memory controller",
            "Bridge",
            "Communication controller",
            "Generic system peripheral",
            "Input device controller",
            "Docking station",
            "Processor",
            "Serial bus controller",
            "Wireless controller",
            "Intelligent controller",
            "Satellite communications controller",
            "Encryption controller",
            "Signal processing controller",
            "Processing accelerators",
            "Non-Essential Instrumentation",
    };
    if (base < ARRAY_SIZE(names))
        return names[base];
    if (base == 0x40)
        return "Coprocessor";
    if (base == 0xff)
        return "Unassigned class";
    return NULL;
}

/* "0x8086" -> "8086": a hex ID without its prefix, lowercased; NULL when
 * absent or not hex. */
static char *hex_id(int rootfd, const char *dir, const char *file, unsigned long *ret_value)
{
    char path[AGENT_PATH_MAX], *end;
    if (agent_path(path, "%s/%s", dir, file) < 0)
        return NULL;
    char *v = agent_value_at(rootfd, path);
    if (!v)
        return NULL;
    const char *digits = has_prefix(v, "0x") ? v + 2 : v;
    errno = 0;
    unsigned long x = strtoul(digits, &end, 16);
    if (errno || *end || end == digits || digits[0] == '-' || digits[0] == '+') {
        free(v);
        return NULL;
    }
    memmove(v, digits, strlen(digits) + 1);
    for (char *p = v; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    if (ret_value)
        *ret_value = x;
    return v;
}

static char *pci_driver(int rootfd, const char *dir)
{
    char path[AGENT_PATH_MAX], target[AGENT_PATH_MAX];
    if (agent_path(path, "%s/driver", dir) < 0)
        return NULL;
    ssize_t n = readlinkat(rootfd, path, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    return agent_text_clean(base, strlen(base), AGENT_VALUE_MAX);
}

/* The entry for one device; *ret stays NULL when nothing is known of it. */
static int pci_entry(int rootfd, const char *addr, json_t **ret, bool *ret_display)
{
    _cleanup_json_ json_t *o = json_object();
    char dir[AGENT_PATH_MAX];
    unsigned long cls = ULONG_MAX;
    int r;

    if (!o)
        return -ENOMEM;
    if (agent_path(dir, "sys/bus/pci/devices/%s", addr) < 0)
        return -ENAMETOOLONG;
    _cleanup_free_ char *vendor = hex_id(rootfd, dir, "vendor", NULL);
    _cleanup_free_ char *product = hex_id(rootfd, dir, "device", NULL);
    _cleanup_free_ char *class_id = hex_id(rootfd, dir, "class", &cls);
    _cleanup_free_ char *driver = pci_driver(rootfd, dir);
    const char *class_name = class_id ? pci_class_name((unsigned)((cls >> 16) & 0xff)) : NULL;
    r = agent_json_set_str(o, "vendor", vendor);
    if (r >= 0)
        r = agent_json_set_str(o, "product", product);
    if (r >= 0)
        r = agent_json_set_str(o, "class", class_name ? class_name : class_id);
    if (r >= 0)
        r = agent_json_set_str(o, "driver", driver);
    if (r < 0)
        return r;
    *ret_display = class_id && ((cls >> 16) & 0xff) == 0x03;
    *ret = json_object_size(o) > 0 ? TAKE_PTR(o) : NULL;
    return 0;
}

int agent_pci_devices(int rootfd, json_t *attrs)
{
    _cleanup_(strv_freep) char **names = NULL;
    size_t n, count = 0, gpus = 0;

    if (agent_list_at(rootfd, "sys/bus/pci/devices", &names, &n) < 0)
        return 0;
    for (size_t i = 0; i < n && count < AGENT_PCI_MAX; i++) {
        json_t *e = NULL;
        bool display = false;
        int r = pci_entry(rootfd, names[i], &e, &display);
        if (r == -ENAMETOOLONG)
            continue;
        if (r < 0)
            return r;
        if (!e)
            continue;
        if (display && gpus < AGENT_GPU_MAX) {
            r = append(attrs, "gpuDevices", json_deep_copy(e));
            gpus++;
        }
        if (r >= 0)
            r = append(attrs, "pciDevices", e);
        else
            json_decref(e);
        if (r < 0)
            return r;
        count++;
    }
    return 0;
}
