/* SPDX-License-Identifier: Apache-2.0 */
/* Task actions and their Redfish words. */
#include <errno.h>
#include <string.h>

#include "bmc/bmc-internal.h"

static const char *const power_names[_BMC_POWER_ACTION_MAX] = {
        [BMC_POWER_ON] = "on",         [BMC_POWER_OFF] = "off",     [BMC_POWER_SOFT] = "soft",
        [BMC_POWER_STATUS] = "status", [BMC_POWER_CYCLE] = "cycle", [BMC_POWER_RESET] = "reset",
};

static const char *const device_names[_BMC_BOOT_DEVICE_MAX] = {
        [BMC_BOOT_PXE] = "pxe",     [BMC_BOOT_DISK] = "disk", [BMC_BOOT_BIOS] = "bios",
        [BMC_BOOT_CDROM] = "cdrom", [BMC_BOOT_SAFE] = "safe",
};

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

static int
parse_device(const char *dev, const json_t *obj, struct bmc_action *a, char *errbuf, size_t n)
{
    int d = lookup(device_names, _BMC_BOOT_DEVICE_MAX, dev);
    if (d < 0)
        return bmc_fail(errbuf, n, -EINVAL, "unknown boot device %s (pxe, disk, bios, cdrom, safe)",
                        dev ? dev : "(none)");
    json_t *efi = json_object_get(obj, "efiBoot"), *pers = json_object_get(obj, "persistent");
    if ((efi && !json_is_boolean(efi)) || (pers && !json_is_boolean(pers)))
        return bmc_fail(errbuf, n, -EINVAL, "efiBoot and persistent must be booleans");
    a->kind = BMC_ACTION_BOOT_DEVICE;
    a->device = (enum bmc_boot_device)d;
    a->efi_boot = json_is_true(efi);
    a->persistent = json_is_true(pers);
    return 0;
}

int bmc_action_parse(const json_t *action, struct bmc_action *ret, char *errbuf, size_t n)
{
    struct bmc_action a = {0};
    json_t *v;
    int r;

    assert_return(ret, -EINVAL);
    if (!json_is_object(action) || json_object_size(action) != 1)
        return bmc_fail(errbuf, n, -EINVAL,
                        "an action needs exactly one of powerAction, "
                        "bootDevice, oneTimeBootDeviceAction, "
                        "virtualMediaAction");
    if ((v = json_object_get(action, "powerAction"))) {
        int p = lookup(power_names, _BMC_POWER_ACTION_MAX, json_string_value(v));
        if (p < 0)
            return bmc_fail(errbuf, n, -EINVAL,
                            "unknown powerAction (on, off, soft, status, cycle, reset)");
        a.kind = BMC_ACTION_POWER;
        a.power = (enum bmc_power_action)p;
    } else if ((v = json_object_get(action, "bootDevice"))) {
        if (!json_is_object(v))
            return bmc_fail(errbuf, n, -EINVAL, "bootDevice must be an object");
        r = parse_device(bmc_str(v, "device"), v, &a, errbuf, n);
        if (r < 0)
            return r;
    } else if ((v = json_object_get(action, "oneTimeBootDeviceAction"))) {
        /* Deprecated: only the first device counts, and it is one-time. */
        json_t *devs = json_object_get(v, "device");
        if (!json_is_object(v) || !json_is_array(devs) || json_array_size(devs) == 0)
            return bmc_fail(errbuf, n, -EINVAL, "oneTimeBootDeviceAction needs a device list");
        r = parse_device(json_string_value(json_array_get(devs, 0)), v, &a, errbuf, n);
        if (r < 0)
            return r;
        a.persistent = false;
    } else if ((v = json_object_get(action, "virtualMediaAction"))) {
        json_t *url = json_object_get(v, "mediaURL");
        if (!json_is_object(v) || !bmc_str(v, "kind") || (url && !json_is_string(url)))
            return bmc_fail(errbuf, n, -EINVAL,
                            "virtualMediaAction needs a kind and a string mediaURL");
        a.kind = BMC_ACTION_VIRTUAL_MEDIA;
        a.media_kind = bmc_str(v, "kind");
        a.media_url = url ? json_string_value(url) : "";
    } else {
        return bmc_fail(errbuf, n, -EINVAL, "unknown action %s",
                        json_object_iter_key(json_object_iter((json_t *)action)));
    }
    *ret = a;
    return 0;
}

const char *bmc_power_reset_type(enum bmc_power_action a, const char **ret_fallback)
{
    const char *fb = NULL, *t;
    switch (a) {
    case BMC_POWER_ON:
        t = "On";
        break;
    case BMC_POWER_OFF:
        t = "ForceOff";
        break;
    case BMC_POWER_SOFT:
        t = "GracefulShutdown";
        break;
    case BMC_POWER_CYCLE:
        /* Many BMCs (and sushy-tools) refuse PowerCycle; a forced restart
         * is the same cycle seen from the host. */
        t = "PowerCycle";
        fb = "ForceRestart";
        break;
    case BMC_POWER_RESET:
        t = "ForceRestart";
        break;
    default:
        t = NULL;
        break;
    }
    if (ret_fallback)
        *ret_fallback = fb;
    return t;
}

const char *bmc_power_expected(enum bmc_power_action a)
{
    switch (a) {
    case BMC_POWER_ON:
    case BMC_POWER_CYCLE:
    case BMC_POWER_RESET:
        return "on";
    case BMC_POWER_OFF:
    case BMC_POWER_SOFT:
        return "off";
    default:
        return NULL;
    }
}

const char *bmc_boot_device_target(enum bmc_boot_device d)
{
    static const char *const targets[_BMC_BOOT_DEVICE_MAX] = {
            [BMC_BOOT_PXE] = "Pxe",  [BMC_BOOT_DISK] = "Hdd", [BMC_BOOT_BIOS] = "BiosSetup",
            [BMC_BOOT_CDROM] = "Cd", [BMC_BOOT_SAFE] = NULL,
    };
    return (unsigned)d < _BMC_BOOT_DEVICE_MAX ? targets[d] : NULL;
}

char *bmc_action_describe(const struct bmc_action *a, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    switch (a->kind) {
    case BMC_ACTION_POWER:
        snprintf(buf, n, "power %s",
                 (unsigned)a->power < _BMC_POWER_ACTION_MAX ? power_names[a->power] : "?");
        break;
    case BMC_ACTION_BOOT_DEVICE:
        snprintf(buf, n, "boot device %s (%s%s)",
                 (unsigned)a->device < _BMC_BOOT_DEVICE_MAX ? device_names[a->device] : "?",
                 a->persistent ? "persistent" : "once", a->efi_boot ? ", EFI" : "");
        break;
    case BMC_ACTION_VIRTUAL_MEDIA:
        if (a->media_url && *a->media_url)
            snprintf(buf, n, "insert virtual media %s", a->media_url);
        else
            snprintf(buf, n, "eject virtual media %s", a->media_kind ? a->media_kind : "");
        break;
    default:
        snprintf(buf, n, "unknown action");
        break;
    }
    return buf;
}
