/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data a Template is rendered with. ".Hardware" is the contract upstream
 * has exposed since the legacy controller: Go structs, so templates address
 * fields by their Go names ({{ (index .Hardware.Interfaces 0).DHCP.MAC }})
 * and every field exists even when the Hardware leaves it out. The tables
 * below map each JSON tag of the v1alpha1 Hardware types to its Go field
 * name and Go type, so that absent fields read as Go's zero values: "" for
 * strings, 0, false, [] for slices, and null for pointers to structs.
 */
#include <errno.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "workflow/workflow-internal.h"

enum go_kind {
    GO_STRING,  /* string */
    GO_INT,     /* int64 */
    GO_BOOL,    /* bool */
    GO_BOOLPTR, /* *bool: null when absent */
    GO_STRINGS, /* []string */
    GO_STRUCT,  /* a struct value: zero struct when absent */
    GO_PTR,     /* *struct: null when absent */
    GO_LIST,    /* []struct: elements zero structs when null */
    GO_PTRLIST, /* []*struct: elements stay null when null */
};

struct go_type;

struct go_field {
    const char *json;
    const char *go;
    enum go_kind kind;
    const struct go_type *type; /* for GO_STRUCT, GO_PTR, GO_LIST, GO_PTRLIST */
};

struct go_type {
    const struct go_field *fields;
    size_t n_fields;
};

#define GO_TYPE(name, ...)                                        \
    static const struct go_field name##_fields[] = {__VA_ARGS__}; \
    static const struct go_type name = {name##_fields, ARRAY_SIZE(name##_fields)}

/* Hardware.spec.interfaces[] (v1alpha1 Interface and the types below it). */
GO_TYPE(go_ip,
        {"address", "Address", GO_STRING, NULL},
        {"netmask", "Netmask", GO_STRING, NULL},
        {"gateway", "Gateway", GO_STRING, NULL},
        {"family", "Family", GO_INT, NULL});
GO_TYPE(go_route,
        {"destination_descriptor", "DestinationDescriptor", GO_STRING, NULL},
        {"router", "Router", GO_STRING, NULL});
GO_TYPE(go_dhcp,
        {"mac", "MAC", GO_STRING, NULL},
        {"hostname", "Hostname", GO_STRING, NULL},
        {"domain_name", "DomainName", GO_STRING, NULL},
        {"lease_time", "LeaseTime", GO_INT, NULL},
        {"name_servers", "NameServers", GO_STRINGS, NULL},
        {"time_servers", "TimeServers", GO_STRINGS, NULL},
        {"arch", "Arch", GO_STRING, NULL},
        {"uefi", "UEFI", GO_BOOL, NULL},
        {"iface_name", "IfaceName", GO_STRING, NULL},
        {"ip", "IP", GO_PTR, &go_ip},
        {"vlan_id", "VLANID", GO_STRING, NULL},
        {"classless_static_routes", "ClasslessStaticRoutes", GO_LIST, &go_route},
        {"tftp_server_name", "TFTPServerName", GO_STRING, NULL},
        {"boot_file_name", "BootFileName", GO_STRING, NULL});
GO_TYPE(go_ipxe,
        {"url", "URL", GO_STRING, NULL},
        {"contents", "Contents", GO_STRING, NULL},
        {"binary", "Binary", GO_STRING, NULL});
GO_TYPE(go_osie,
        {"baseURL", "BaseURL", GO_STRING, NULL},
        {"kernel", "Kernel", GO_STRING, NULL},
        {"initrd", "Initrd", GO_STRING, NULL},
        {"kernelParams", "KernelParams", GO_STRINGS, NULL});
GO_TYPE(go_pxelinux, {"config", "Config", GO_STRING, NULL});
GO_TYPE(go_rpi,
        {"configTxt", "ConfigTxt", GO_STRING, NULL},
        {"firmwarePath", "FirmwarePath", GO_STRING, NULL},
        {"serialNum", "SerialNum", GO_STRING, NULL});
GO_TYPE(go_netboot,
        {"allowPXE", "AllowPXE", GO_BOOLPTR, NULL},
        {"allowWorkflow", "AllowWorkflow", GO_BOOLPTR, NULL},
        {"ipxe", "IPXE", GO_PTR, &go_ipxe},
        {"osie", "OSIE", GO_PTR, &go_osie},
        {"pxelinux", "PXELINUX", GO_PTR, &go_pxelinux},
        {"rpi", "RPI", GO_PTR, &go_rpi});
GO_TYPE(go_isoboot, {"sourceISO", "SourceISO", GO_STRING, NULL});
GO_TYPE(go_interface,
        {"netboot", "Netboot", GO_PTR, &go_netboot},
        {"isoboot", "Isoboot", GO_PTR, &go_isoboot},
        {"dhcp", "DHCP", GO_PTR, &go_dhcp},
        {"disableDhcp", "DisableDHCP", GO_BOOL, NULL});

/* Hardware.spec.metadata (HardwareMetadata and below). The Go names are the
 * upstream ones, quirks included (AllowPxe, IpxeScriptURL, Ips, OsSlug). */
GO_TYPE(go_os,
        {"slug", "Slug", GO_STRING, NULL},
        {"distro", "Distro", GO_STRING, NULL},
        {"version", "Version", GO_STRING, NULL},
        {"image_tag", "ImageTag", GO_STRING, NULL},
        {"os_slug", "OsSlug", GO_STRING, NULL});
GO_TYPE(go_instance_ip,
        {"address", "Address", GO_STRING, NULL},
        {"netmask", "Netmask", GO_STRING, NULL},
        {"gateway", "Gateway", GO_STRING, NULL},
        {"family", "Family", GO_INT, NULL},
        {"public", "Public", GO_BOOL, NULL},
        {"management", "Management", GO_BOOL, NULL});
GO_TYPE(go_partition,
        {"label", "Label", GO_STRING, NULL},
        {"number", "Number", GO_INT, NULL},
        {"size", "Size", GO_INT, NULL},
        {"start", "Start", GO_INT, NULL},
        {"type_guid", "TypeGUID", GO_STRING, NULL});
GO_TYPE(go_storage_disk,
        {"device", "Device", GO_STRING, NULL},
        {"wipe_table", "WipeTable", GO_BOOL, NULL},
        {"partitions", "Partitions", GO_PTRLIST, &go_partition});
GO_TYPE(go_raid,
        {"name", "Name", GO_STRING, NULL},
        {"level", "Level", GO_STRING, NULL},
        {"devices", "Devices", GO_STRINGS, NULL},
        {"spare", "Spare", GO_INT, NULL});
GO_TYPE(go_file,
        {"path", "Path", GO_STRING, NULL},
        {"contents", "Contents", GO_STRING, NULL},
        {"mode", "Mode", GO_INT, NULL},
        {"uid", "UID", GO_INT, NULL},
        {"gid", "GID", GO_INT, NULL});
GO_TYPE(go_fs_options, {"force", "Force", GO_BOOL, NULL}, {"options", "Options", GO_STRINGS, NULL});
GO_TYPE(go_mount,
        {"device", "Device", GO_STRING, NULL},
        {"format", "Format", GO_STRING, NULL},
        {"files", "Files", GO_PTRLIST, &go_file},
        {"create", "Create", GO_PTR, &go_fs_options},
        {"point", "Point", GO_STRING, NULL});
GO_TYPE(go_filesystem, {"mount", "Mount", GO_PTR, &go_mount});
GO_TYPE(go_storage,
        {"disks", "Disks", GO_PTRLIST, &go_storage_disk},
        {"raid", "Raid", GO_PTRLIST, &go_raid},
        {"filesystems", "Filesystems", GO_PTRLIST, &go_filesystem});
GO_TYPE(go_instance,
        {"id", "ID", GO_STRING, NULL},
        {"state", "State", GO_STRING, NULL},
        {"hostname", "Hostname", GO_STRING, NULL},
        {"allow_pxe", "AllowPxe", GO_BOOL, NULL},
        {"rescue", "Rescue", GO_BOOL, NULL},
        {"operating_system", "OperatingSystem", GO_PTR, &go_os},
        {"always_pxe", "AlwaysPxe", GO_BOOL, NULL},
        {"ipxe_script_url", "IpxeScriptURL", GO_STRING, NULL},
        {"ips", "Ips", GO_PTRLIST, &go_instance_ip},
        {"userdata", "Userdata", GO_STRING, NULL},
        {"crypted_root_password", "CryptedRootPassword", GO_STRING, NULL},
        {"tags", "Tags", GO_STRINGS, NULL},
        {"storage", "Storage", GO_PTR, &go_storage},
        {"ssh_keys", "SSHKeys", GO_STRINGS, NULL},
        {"network_ready", "NetworkReady", GO_BOOL, NULL});
GO_TYPE(go_manufacturer, {"id", "ID", GO_STRING, NULL}, {"slug", "Slug", GO_STRING, NULL});
GO_TYPE(go_custom,
        {"preinstalled_operating_system_version", "PreinstalledOperatingSystemVersion", GO_PTR,
         &go_os},
        {"private_subnets", "PrivateSubnets", GO_STRINGS, NULL});
GO_TYPE(go_facility,
        {"plan_slug", "PlanSlug", GO_STRING, NULL},
        {"plan_version_slug", "PlanVersionSlug", GO_STRING, NULL},
        {"facility_code", "FacilityCode", GO_STRING, NULL});
GO_TYPE(go_metadata,
        {"state", "State", GO_STRING, NULL},
        {"bonding_mode", "BondingMode", GO_INT, NULL},
        {"manufacturer", "Manufacturer", GO_PTR, &go_manufacturer},
        {"instance", "Instance", GO_PTR, &go_instance},
        {"custom", "Custom", GO_PTR, &go_custom},
        {"facility", "Facility", GO_PTR, &go_facility});

static json_t *convert_struct(const json_t *src, const struct go_type *type);

static json_t *convert_strings(const json_t *src)
{
    json_t *out = json_array(), *e;
    size_t i;

    if (!out)
        return NULL;
    json_array_foreach(src, i, e) {
        json_t *s = json_is_string(e) ? json_copy(e) : json_string("");
        if (!s || json_array_append_new(out, s) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *convert_list(const json_t *src, const struct go_type *type, bool pointers)
{
    json_t *out = json_array(), *e;
    size_t i;

    if (!out)
        return NULL;
    json_array_foreach(src, i, e) {
        json_t *v = pointers && !json_is_object(e) ? json_null() : convert_struct(e, type);
        if (!v || json_array_append_new(out, v) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *convert_field(const json_t *v, const struct go_field *f)
{
    switch (f->kind) {
    case GO_STRING:
        return json_is_string(v) ? json_copy((json_t *)v) : json_string("");
    case GO_INT:
        return json_integer(json_is_integer(v) ? json_integer_value(v) : 0);
    case GO_BOOL:
        return json_boolean(json_is_true(v));
    case GO_BOOLPTR:
        return json_is_boolean(v) ? json_boolean(json_is_true(v)) : json_null();
    case GO_STRINGS:
        return convert_strings(json_is_array(v) ? v : NULL);
    case GO_STRUCT:
        return convert_struct(v, f->type);
    case GO_PTR:
        return json_is_object(v) ? convert_struct(v, f->type) : json_null();
    case GO_LIST:
    case GO_PTRLIST:
        return convert_list(json_is_array(v) ? v : NULL, f->type, f->kind == GO_PTRLIST);
    }
    return NULL;
}

/* A Go struct value: every field of type, read from src (which may be NULL
 * or not an object: then all fields are zero). */
static json_t *convert_struct(const json_t *src, const struct go_type *type)
{
    _cleanup_json_ json_t *out = json_object();

    if (!out)
        return NULL;
    for (size_t i = 0; i < type->n_fields; i++) {
        const struct go_field *f = &type->fields[i];
        if (wf_set(out, f->go, convert_field(json_object_get(src, f->json), f)) < 0)
            return NULL;
    }
    return TAKE_PTR(out);
}

static json_t *hardware_contract(const json_t *hardware)
{
    json_t *spec = wf_obj(hardware, "spec");
    json_t *disks = json_array(), *disk;
    size_t i;

    if (!disks)
        return NULL;
    json_array_foreach(wf_arr(spec, "disks"), i, disk) {
        if (json_array_append_new(disks, json_string(wf_str_or_empty(disk, "device"))) < 0) {
            json_decref(disks);
            return NULL;
        }
    }
    return json_pack("{s:o, s:o, s:s, s:o, s:s}", "Disks", disks, "Interfaces",
                     convert_list(wf_arr(spec, "interfaces"), &go_interface, false), "UserData",
                     wf_str_or_empty(spec, "userData"), "Metadata",
                     convert_struct(wf_obj(spec, "metadata"), &go_metadata), "VendorData",
                     wf_str_or_empty(spec, "vendorData"));
}

int workflow_template_data(const json_t *hardware, const json_t *hardware_map, json_t **ret)
{
    _cleanup_json_ json_t *data = NULL;
    const char *key;
    json_t *v;
    int r;

    assert_return(ret, -EINVAL);
    assert_return(!hardware || json_is_object(hardware), -EINVAL);
    assert_return(!hardware_map || json_is_object(hardware_map), -EINVAL);

    data = json_object();
    if (!data)
        return -ENOMEM;
    json_object_foreach((json_t *)hardware_map, key, v) {
        r = wf_set(data, key, json_deep_copy(v));
        if (r < 0)
            return r;
    }
    r = wf_update(data,
                  json_pack("{s:o, s:o, s:{}}", "Hardware", hardware_contract(hardware), "hardware",
                            hardware
                                    ? json_deep_copy(hardware)
                                    : json_pack("{s:{}, s:{}, s:{}}", "metadata", "spec", "status"),
                            "references"));
    if (r < 0)
        return r;
    *ret = TAKE_PTR(data);
    return 0;
}
