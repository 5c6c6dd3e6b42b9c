/* SPDX-License-Identifier: Apache-2.0 */
/* Template data: hardwareMap keys, .Hardware (Go names) and .hardware. */
#include "workflow/workflow-test.h"

static const char *const full_hardware =
        "{'apiVersion':'tinkerbell.org/v1alpha1','kind':'Hardware',"
        " 'metadata':{'name':'hw1','namespace':'ns'},"
        " 'spec':{'disks':[{'device':'/dev/sda'},{'device':'/dev/nvme0n1'}],"
        "  'userData':'#cloud-config','vendorData':'vd',"
        "  'interfaces':[{'dhcp':{'mac':'52:54:00:12:34:56','hostname':'m1','arch':'x86_64',"
        "    'uefi':true,'lease_time':86400,'name_servers':['1.1.1.1'],'vlan_id':'10',"
        "    'iface_name':'eth0','domain_name':'lab',"
        "    'ip':{'address':'10.0.0.5','netmask':'255.255.255.0','gateway':'10.0.0.1','family':4},"
        "    "
        "'classless_static_routes':[{'destination_descriptor':'10.1.0.0/16','router':'10.0.0.2'}]},"
        "   'netboot':{'allowPXE':true,'allowWorkflow':false,"
        "    'ipxe':{'url':'http://x/a.ipxe','binary':'ipxe.efi'},"
        "    'osie':{'baseURL':'http://osie','kernel':'vmlinuz','kernelParams':['a=1']}},"
        "   'disableDhcp':false}],"
        "  'metadata':{'state':'provisioning','bonding_mode':5,"
        "   'facility':{'plan_slug':'c3.small','facility_code':'lab1'},"
        "   'instance':{'id':'i-123','hostname':'node1','allow_pxe':true,"
        "    'operating_system':{'slug':'ubuntu_22_04','os_slug':'ubuntu','image_tag':'t'},"
        "    'ips':[{'address':'10.0.0.5','family':4,'public':false,'management':true}],"
        "    'storage':{'disks':[{'device':'/dev/sda','wipe_table':true,"
        "      'partitions':[{'label':'ROOT','number':1,'size':0,'type_guid':'x'}]}],"
        "     'filesystems':[{'mount':{'device':'/dev/sda1','format':'ext4','point':'/',"
        "      'create':{'force':true,'options':['-L','ROOT']},"
        "      'files':[{'path':'/etc/x','mode':420,'uid':0}]}}]},"
        "    'ssh_keys':['ssh-ed25519 AAA'],'tags':['a']}}}}";

static const struct {
    const char *path;
    const char *want; /* NULL: absent */
} full_checks[] = {
        {"device_1", "'52:54:00:12:34:56'"},
        {"Hardware.Disks", "['/dev/sda','/dev/nvme0n1']"},
        {"Hardware.UserData", "'#cloud-config'"},
        {"Hardware.VendorData", "'vd'"},
        {"Hardware.Interfaces.0.DHCP.MAC", "'52:54:00:12:34:56'"},
        {"Hardware.Interfaces.0.DHCP.Hostname", "'m1'"},
        {"Hardware.Interfaces.0.DHCP.DomainName", "'lab'"},
        {"Hardware.Interfaces.0.DHCP.LeaseTime", "86400"},
        {"Hardware.Interfaces.0.DHCP.NameServers", "['1.1.1.1']"},
        {"Hardware.Interfaces.0.DHCP.TimeServers", "[]"},
        {"Hardware.Interfaces.0.DHCP.Arch", "'x86_64'"},
        {"Hardware.Interfaces.0.DHCP.UEFI", "true"},
        {"Hardware.Interfaces.0.DHCP.IfaceName", "'eth0'"},
        {"Hardware.Interfaces.0.DHCP.VLANID", "'10'"},
        {"Hardware.Interfaces.0.DHCP.IP",
         "{'Address':'10.0.0.5','Netmask':'255.255.255.0','Gateway':'10.0.0.1','Family':4}"},
        {"Hardware.Interfaces.0.DHCP.ClasslessStaticRoutes",
         "[{'DestinationDescriptor':'10.1.0.0/16','Router':'10.0.0.2'}]"},
        {"Hardware.Interfaces.0.DHCP.TFTPServerName", "''"},
        {"Hardware.Interfaces.0.DHCP.mac", NULL},
        {"Hardware.Interfaces.0.Netboot.AllowPXE", "true"},
        {"Hardware.Interfaces.0.Netboot.AllowWorkflow", "false"},
        {"Hardware.Interfaces.0.Netboot.IPXE",
         "{'URL':'http://x/a.ipxe','Contents':'','Binary':'ipxe.efi'}"},
        {"Hardware.Interfaces.0.Netboot.OSIE",
         "{'BaseURL':'http://osie','Kernel':'vmlinuz','Initrd':'','KernelParams':['a=1']}"},
        {"Hardware.Interfaces.0.Netboot.PXELINUX", "null"},
        {"Hardware.Interfaces.0.Netboot.RPI", "null"},
        {"Hardware.Interfaces.0.Isoboot", "null"},
        {"Hardware.Interfaces.0.DisableDHCP", "false"},
        {"Hardware.Metadata.State", "'provisioning'"},
        {"Hardware.Metadata.BondingMode", "5"},
        {"Hardware.Metadata.Manufacturer", "null"},
        {"Hardware.Metadata.Custom", "null"},
        {"Hardware.Metadata.Facility",
         "{'PlanSlug':'c3.small','PlanVersionSlug':'','FacilityCode':'lab1'}"},
        {"Hardware.Metadata.Instance.ID", "'i-123'"},
        {"Hardware.Metadata.Instance.Hostname", "'node1'"},
        {"Hardware.Metadata.Instance.AllowPxe", "true"},
        {"Hardware.Metadata.Instance.AlwaysPxe", "false"},
        {"Hardware.Metadata.Instance.Rescue", "false"},
        {"Hardware.Metadata.Instance.IpxeScriptURL", "''"},
        {"Hardware.Metadata.Instance.OperatingSystem",
         "{'Slug':'ubuntu_22_04','Distro':'','Version':'','ImageTag':'t','OsSlug':'ubuntu'}"},
        {"Hardware.Metadata.Instance.Ips",
         "[{'Address':'10.0.0.5','Netmask':'','Gateway':'','Family':4,'Public':false,"
         "'Management':true}]"},
        {"Hardware.Metadata.Instance.SSHKeys", "['ssh-ed25519 AAA']"},
        {"Hardware.Metadata.Instance.Tags", "['a']"},
        {"Hardware.Metadata.Instance.Userdata", "''"},
        {"Hardware.Metadata.Instance.NetworkReady", "false"},
        {"Hardware.Metadata.Instance.Storage.Disks.0.Device", "'/dev/sda'"},
        {"Hardware.Metadata.Instance.Storage.Disks.0.WipeTable", "true"},
        {"Hardware.Metadata.Instance.Storage.Disks.0.Partitions",
         "[{'Label':'ROOT','Number':1,'Size':0,'Start':0,'TypeGUID':'x'}]"},
        {"Hardware.Metadata.Instance.Storage.Raid", "[]"},
        {"Hardware.Metadata.Instance.Storage.Filesystems.0.Mount.Create",
         "{'Force':true,'Options':['-L','ROOT']}"},
        {"Hardware.Metadata.Instance.Storage.Filesystems.0.Mount.Files",
         "[{'Path':'/etc/x','Contents':'','Mode':420,'UID':0,'GID':0}]"},
        {"Hardware.Metadata.Instance.Storage.Filesystems.0.Mount.Point", "'/'"},
        {"hardware.spec.metadata.instance.id", "'i-123'"},
        {"hardware.metadata.name", "'hw1'"},
        {"hardware.spec.interfaces.0.dhcp.mac", "'52:54:00:12:34:56'"},
        {"references", "{}"},
};

static void test_workflow_template_data_full_hardware(void **state)
{
    _cleanup_json_ json_t *hw = j(full_hardware);
    _cleanup_json_ json_t *map = j("{'device_1':'52:54:00:12:34:56'}");
    _cleanup_json_ json_t *hw_before = json_deep_copy(hw);
    _cleanup_json_ json_t *data = NULL;

    (void)state;
    assert_int_equal(workflow_template_data(hw, map, &data), 0);
    for (size_t i = 0; i < ARRAY_SIZE(full_checks); i++)
        check_path(data, full_checks[i].path, full_checks[i].want, "full hardware");
    /* .hardware is a copy, and the input is untouched. */
    assert_true(json_equal(jpath(data, "hardware"), hw));
    assert_ptr_not_equal(jpath(data, "hardware"), hw);
    assert_true(json_equal(hw, hw_before));
}

static const struct {
    const char *name;
    const char *hardware; /* NULL: no Hardware */
    const char *map;
    const char *path;
    const char *want;
} zero_cases[] = {
        /* No Hardware: the contract of an empty one. */
        {"missing", NULL, NULL, "Hardware.Disks", "[]"},
        {"missing", NULL, NULL, "Hardware.Interfaces", "[]"},
        {"missing", NULL, NULL, "Hardware.UserData", "''"},
        {"missing", NULL, NULL, "Hardware.VendorData", "''"},
        {"missing", NULL, NULL, "Hardware.Metadata",
         "{'State':'','BondingMode':0,'Manufacturer':null,'Instance':null,'Custom':null,"
         "'Facility':null}"},
        {"missing", NULL, NULL, "hardware", "{'metadata':{},'spec':{},'status':{}}"},
        {"missing", NULL, NULL, "references", "{}"},
        /* Absent fields read as Go zero values; absent pointers as null. */
        {"sparse", "{'spec':{'interfaces':[{'dhcp':{'mac':'aa'}}]}}", NULL,
         "Hardware.Interfaces.0.DHCP",
         "{'MAC':'aa','Hostname':'','DomainName':'','LeaseTime':0,'NameServers':[],"
         "'TimeServers':[],'Arch':'','UEFI':false,'IfaceName':'','IP':null,'VLANID':'',"
         "'ClasslessStaticRoutes':[],'TFTPServerName':'','BootFileName':''}"},
        {"sparse", "{'spec':{'interfaces':[{'dhcp':{'mac':'aa'}}]}}", NULL,
         "Hardware.Interfaces.0.Netboot", "null"},
        {"sparse netboot", "{'spec':{'interfaces':[{'netboot':{}}]}}", NULL,
         "Hardware.Interfaces.0.Netboot",
         "{'AllowPXE':null,'AllowWorkflow':null,'IPXE':null,'OSIE':null,'PXELINUX':null,"
         "'RPI':null}"},
        {"disk without device", "{'spec':{'disks':[{},{'device':'/dev/vda'}]}}", NULL,
         "Hardware.Disks", "['','/dev/vda']"},
        {"custom", "{'spec':{'metadata':{'custom':{'private_subnets':['10.0.0.0/8']}}}}", NULL,
         "Hardware.Metadata.Custom",
         "{'PreinstalledOperatingSystemVersion':null,'PrivateSubnets':['10.0.0.0/8']}"},
        {"manufacturer", "{'spec':{'metadata':{'manufacturer':{'id':'m','slug':'s'}}}}", NULL,
         "Hardware.Metadata.Manufacturer", "{'ID':'m','Slug':'s'}"},
        /* Wrong JSON types read as zero values, never as errors. */
        {"wrong types",
         "{'spec':{'interfaces':[{'dhcp':{'lease_time':'x','uefi':'yes',"
         "'name_servers':'1.1.1.1','mac':7}}]}}",
         NULL, "Hardware.Interfaces.0.DHCP.LeaseTime", "0"},
        {"wrong types", "{'spec':{'interfaces':[{'dhcp':{'uefi':'yes'}}]}}", NULL,
         "Hardware.Interfaces.0.DHCP.UEFI", "false"},
        {"wrong types", "{'spec':{'interfaces':[{'dhcp':{'name_servers':'1.1.1.1'}}]}}", NULL,
         "Hardware.Interfaces.0.DHCP.NameServers", "[]"},
        {"wrong types", "{'spec':{'interfaces':[{'dhcp':{'name_servers':[1,'2.2.2.2']}}]}}", NULL,
         "Hardware.Interfaces.0.DHCP.NameServers", "['','2.2.2.2']"},
        {"wrong types", "{'spec':{'interfaces':[{'dhcp':{'mac':7}}]}}", NULL,
         "Hardware.Interfaces.0.DHCP.MAC", "''"},
        {"wrong types", "{'spec':{'interfaces':'eth0','userData':5}}", NULL, "Hardware.Interfaces",
         "[]"},
        {"wrong types", "{'spec':{'userData':5}}", NULL, "Hardware.UserData", "''"},
        {"wrong types", "{'spec':{'interfaces':[{'netboot':{'allowPXE':'true'}}]}}", NULL,
         "Hardware.Interfaces.0.Netboot.AllowPXE", "null"},
        /* A null interface is a zero Interface value; a null *IP stays null. */
        {"null elements", "{'spec':{'interfaces':[null]}}", NULL, "Hardware.Interfaces.0",
         "{'Netboot':null,'Isoboot':null,'DHCP':null,'DisableDHCP':false}"},
        {"null elements", "{'spec':{'metadata':{'instance':{'ips':[null,{'family':6}]}}}}", NULL,
         "Hardware.Metadata.Instance.Ips.0", "null"},
        {"null elements", "{'spec':{'metadata':{'instance':{'ips':[null,{'family':6}]}}}}", NULL,
         "Hardware.Metadata.Instance.Ips.1.Family", "6"},
        /* hardwareMap keys sit at the top; the fixed keys win over them. */
        {"map", NULL, "{'worker_id':'m','Hardware':'x','hardware':'y','references':'z'}",
         "worker_id", "'m'"},
        {"map", NULL, "{'worker_id':'m','Hardware':'x','hardware':'y','references':'z'}",
         "Hardware.Disks", "[]"},
        {"map", NULL, "{'worker_id':'m','Hardware':'x','hardware':'y','references':'z'}",
         "hardware.spec", "{}"},
        {"map", NULL, "{'worker_id':'m','Hardware':'x','hardware':'y','references':'z'}",
         "references", "{}"},
        {"map", NULL, "{}", "worker_id", NULL},
};

static void test_workflow_template_data_zero_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(zero_cases); i++) {
        _cleanup_json_ json_t *hw = zero_cases[i].hardware ? j(zero_cases[i].hardware) : NULL;
        _cleanup_json_ json_t *map = zero_cases[i].map ? j(zero_cases[i].map) : NULL;
        _cleanup_json_ json_t *data = NULL;

        assert_int_equal(workflow_template_data(hw, map, &data), 0);
        check_path(data, zero_cases[i].path, zero_cases[i].want, zero_cases[i].name);
    }
}

static void test_workflow_template_data_rejects_bad_args(void **state)
{
    _cleanup_json_ json_t *arr = j("[]");
    _cleanup_json_ json_t *str = j("'x'");
    _cleanup_json_ json_t *obj = j("{}");
    json_t *data = NULL;

    (void)state;
    assert_int_equal(workflow_template_data(arr, NULL, &data), -EINVAL);
    assert_int_equal(workflow_template_data(obj, str, &data), -EINVAL);
    assert_int_equal(workflow_template_data(obj, arr, &data), -EINVAL);
    assert_int_equal(workflow_template_data(obj, obj, NULL), -EINVAL);
    assert_null(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_workflow_template_data_full_hardware),
            cmocka_unit_test(test_workflow_template_data_zero_values),
            cmocka_unit_test(test_workflow_template_data_rejects_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
