/* SPDX-License-Identifier: Apache-2.0 */
/* Onboarding (a Hardware for a Machine) and the Workflow boot-mode Jobs. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/json-cleanup.h"
#include "bmc/bmc-internal.h"

/* dhcp.arch from the first processor that names one; NULL when unknown. */
static const char *arch_of(const json_t *raw)
{
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(raw, "processors"), i, p)
    {
        const char *is = bmc_str(p, "InstructionSet"), *pa = bmc_str(p, "ProcessorArchitecture");
        if (is && strcasecmp(is, "x86-64") == 0)
            return "x86_64";
        if (is && strcasecmp(is, "ARM-A64") == 0)
            return "aarch64";
        if (pa && strcasecmp(pa, "x86") == 0)
            return "x86_64";
        if (pa && strcasecmp(pa, "ARM") == 0)
            return "aarch64";
    }
    return NULL;
}

int bmc_onboard_hardware(const json_t *machine, const json_t *raw, json_t **ret)
{
    const json_t *md = bmc_obj(machine, "metadata");
    const char *name = bmc_str(md, "name"), *ns = bmc_str(md, "namespace");
    const char *mode = bmc_str(bmc_obj(bmc_obj(raw, "system"), "Boot"), "BootSourceOverrideMode");
    const char *arch = arch_of(raw);
    _cleanup_json_ json_t *macs = NULL;
    json_t *m, *ifaces;
    size_t i;
    int r;

    assert_return(ret, -EINVAL);
    if (!name || !*name || !json_is_object(raw))
        return -EINVAL;
    r = bmc_inventory_macs(raw, &macs);
    if (r < 0)
        return r;
    if (json_array_size(macs) == 0)
        return -ENODATA;
    _cleanup_json_ json_t *hw = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:{s:s, s:s, s:s}, s:[]}}", "apiVersion",
            "tinkerbell.org/v1alpha1", "kind", "Hardware", "metadata", "name", name, "namespace",
            ns ? ns : "default", "labels", BMC_LABEL_ONBOARDED, name, "spec", "bmcRef", "apiGroup",
            "bmc.tinkerbell.org", "kind", "Machine", "name", name, "interfaces");
    if (!hw)
        return -ENOMEM;
    ifaces = json_object_get(bmc_obj(hw, "spec"), "interfaces");
    json_array_foreach(macs, i, m)
    {
        json_t *dhcp =
                json_pack("{s:O, s:b}", "mac", m, "uefi", mode && strcasecmp(mode, "UEFI") == 0);
        json_t *iface = dhcp ? json_pack("{s:o, s:{s:b, s:b}}", "dhcp", dhcp, "netboot", "allowPXE",
                                         1, "allowWorkflow", 1)
                             : NULL;
        if (!iface || json_array_append_new(ifaces, iface) < 0)
            return -ENOMEM;
        if (arch && json_object_set_new(dhcp, "arch", json_string(arch)) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(hw);
    return 0;
}

/* ---------------------------------------------------- boot-mode Jobs */

static bool any_uefi(const json_t *hardware)
{
    json_t *i;
    size_t k;
    json_array_foreach(json_object_get(bmc_obj(hardware, "spec"), "interfaces"), k,
                       i) if (bmc_true(bmc_obj(i, "dhcp"), "uefi")) return true;
    return false;
}

static json_t *power(const char *what)
{
    return json_pack("{s:s}", "powerAction", what);
}

static json_t *media(const char *url)
{
    return json_pack("{s:{s:s, s:s}}", "virtualMediaAction", "mediaURL", url, "kind", "CD");
}

static json_t *boot(const char *device, bool efi)
{
    return json_pack("{s:{s:s, s:b}}", "bootDevice", "device", device, "efiBoot", efi);
}

/* The task list of job, or NULL with errbuf set (or on ENOMEM). */
static json_t *job_tasks(const json_t *wf,
                         const json_t *hardware,
                         const char *job,
                         char *errbuf,
                         size_t n,
                         int *ret_r)
{
    const json_t *bo = bmc_obj(bmc_obj(wf, "spec"), "bootOptions");
    const char *iso = bmc_str(bo, "isoURL");
    bool efi = any_uefi(hardware);
    json_t *list;

    *ret_r = -ENOMEM;
    if (strcmp(job, "netboot") == 0)
        return json_pack("[o, o, o]", power("off"), boot("pxe", efi), power("on"));
    if (strcmp(job, "iso-mount") == 0) {
        if (!iso || !*iso) {
            *ret_r = bmc_fail(errbuf, n, -EINVAL, "bootMode %s needs bootOptions.isoURL",
                              bmc_str(bo, "bootMode"));
            return NULL;
        }
        return json_pack("[o, o, o, o, o]", power("off"), media(""), media(iso), boot("cdrom", efi),
                         power("on"));
    }
    if (strcmp(job, "iso-eject") == 0)
        return json_pack("[o]", media(""));
    bool prep = strcmp(job, "customboot-preparing") == 0;
    if (prep || strcmp(job, "customboot-post") == 0) {
        list = json_object_get(bmc_obj(bo, "custombootConfig"),
                               prep ? "preparingActions" : "postActions");
        if (!json_is_array(list) || json_array_size(list) == 0) {
            *ret_r = bmc_fail(errbuf, n, -EINVAL, "custombootConfig.%s is empty",
                              prep ? "preparingActions" : "postActions");
            return NULL;
        }
        return json_deep_copy(list);
    }
    *ret_r = bmc_fail(errbuf, n, -EINVAL, "unknown boot job %s", job);
    return NULL;
}

int bmc_boot_job_build(const json_t *workflow,
                       const json_t *hardware,
                       const char *job,
                       const char *name,
                       json_t **ret,
                       char *errbuf,
                       size_t n)
{
    const json_t *md = bmc_obj(workflow, "metadata");
    const char *ns = bmc_str(md, "namespace"), *wname = bmc_str(md, "name"),
               *uid = bmc_str(md, "uid");
    const char *machine = bmc_str(bmc_obj(bmc_obj(hardware, "spec"), "bmcRef"), "name");
    int r;

    assert_return(ret && job && name && *name, -EINVAL);
    if (!wname)
        return bmc_fail(errbuf, n, -EINVAL, "the Workflow has no name");
    if (!hardware)
        return bmc_fail(errbuf, n, -EINVAL, "bootMode needs the Workflow's Hardware");
    if (!machine || !*machine)
        return bmc_fail(errbuf, n, -EINVAL, "Hardware %s has no spec.bmcRef",
                        bmc_str(bmc_obj(hardware, "metadata"), "name"));
    json_t *tasks = job_tasks(workflow, hardware, job, errbuf, n, &r);
    if (!tasks)
        return r;
    _cleanup_json_ json_t *j = json_pack(
            "{s:s, s:s, s:{s:s, s:s}, s:{s:{s:s, s:s}, s:o}}", "apiVersion", BMC_API_VERSION,
            "kind", "Job", "metadata", "name", name, "namespace", ns ? ns : "default", "spec",
            "machineRef", "name", machine, "namespace", ns ? ns : "default", "tasks", tasks);
    if (!j)
        return -ENOMEM;
    if (uid) {
        json_t *ref = json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion",
                                "tinkerbell.org/v1alpha1", "kind", "Workflow", "name", wname, "uid",
                                uid, "controller", 1, "blockOwnerDeletion", 1);
        if (!ref || json_object_set_new(bmc_obj(j, "metadata"), "ownerReferences", ref) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(j);
    return 0;
}
