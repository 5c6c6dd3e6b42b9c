/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/ipxe scripts, compared byte for byte with text written out from
 * compat §5.4 (argument names and order, custom and static scripts), and
 * every refusal of a hostile or broken Hardware.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipxe/ipxe-test.h"

#define GW        "10.1.1.1:42113"
#define BOOTENV   "http://10.1.1.1:7080/bootenv"
#define WORKER    "tink_worker_image=quay.io/tinkerbell/tink-worker:latest"
#define HOOK_HEAD "#!ipxe\n\necho Loading the boot environment...\n"

/* Everything after the kernel arguments: the kernel line's retry logic,
 * then initrd and boot with theirs, then the three error exits. */
#define SCRIPT_TAIL                                                                                \
    " && goto load_initrd || iseq ${idx} ${retries} && goto kernel_failed || inc idx && echo "     \
    "Retrying in ${retry_delay} seconds ; sleep ${retry_delay} ; goto retry_kernel\n"              \
    "\n"                                                                                           \
    ":load_initrd\n"                                                                               \
    "set idx:int32 0\n"                                                                            \
    ":retry_initrd\n"                                                                              \
    "initrd ${download-url}/${initrd} && goto boot || iseq ${idx} ${retries} && goto "             \
    "initrd_failed || inc idx && echo Retrying in ${retry_delay} seconds ; sleep ${retry_delay} "  \
    "; goto retry_initrd\n"                                                                        \
    "\n"                                                                                           \
    ":boot\n"                                                                                      \
    "set idx:int32 0\n"                                                                            \
    ":retry_boot\n"                                                                                \
    "boot || iseq ${idx} ${retries} && goto boot_failed || inc idx && echo Retrying in "           \
    "${retry_delay} seconds ; sleep ${retry_delay} ; goto retry_boot\n"                            \
    "\n"                                                                                           \
    ":kernel_failed\n"                                                                             \
    "echo Failed to load the kernel\n"                                                             \
    "imgfree\n"                                                                                    \
    "exit\n"                                                                                       \
    "\n"                                                                                           \
    ":initrd_failed\n"                                                                             \
    "echo Failed to load the initrd\n"                                                             \
    "imgfree\n"                                                                                    \
    "exit\n"                                                                                       \
    "\n"                                                                                           \
    ":boot_failed\n"                                                                               \
    "echo Failed to boot\n"                                                                        \
    "imgfree\n"                                                                                    \
    "exit\n"

#define KERNEL_LINE "\nset idx:int32 0\n:retry_kernel\nkernel ${download-url}/${kernel}"

/* The fixed middle of the hook kernel line (compat §5.4). */
#define HOOK_FIXED                                                                                 \
    " modules=loop,squashfs,sd-mod,usb-storage intel_iommu=on iommu=pt initrd=${initrd}"          \
    " console=tty0 console=ttyS1,115200"

static const char *const worker_arg[] = {WORKER};

static struct ipxe_config test_config(void)
{
    return (struct ipxe_config){
            .bootenv_url = BOOTENV,
            .grpc_authority = GW,
            .syslog_host = "10.1.1.1",
            .extra_kernel_args = worker_arg,
            .n_extra_kernel_args = 1,
            .retries = IPXE_RETRIES_DEFAULT,
            .retry_delay = IPXE_RETRY_DELAY_DEFAULT,
    };
}

enum cfg_variant {
    CFG_BASE,
    CFG_TOKEN,       /* + token */
    CFG_TLS,         /* tls and insecure tls on, retries 3, delay 5 */
    CFG_SYSLOG_NAME, /* syslog host is a DNS name */
    CFG_NO_SYSLOG,   /* no syslog, no extra args, custom kernel/initrd names, facility */
    CFG_TRAILING,    /* bootenv URL with trailing slashes */
    _CFG_MAX,
};

static struct ipxe_config config_variant(enum cfg_variant v)
{
    struct ipxe_config c = test_config();
    switch (v) {
    case CFG_TOKEN:
        c.token = "v1.abc-DEF_123";
        break;
    case CFG_TLS:
        c.tinkerbell_tls = true;
        c.tinkerbell_insecure_tls = true;
        c.retries = 3;
        c.retry_delay = 5;
        break;
    case CFG_SYSLOG_NAME:
        c.syslog_host = "syslog.lab.example";
        break;
    case CFG_NO_SYSLOG:
        c.syslog_host = NULL;
        c.n_extra_kernel_args = 0;
        c.extra_kernel_args = NULL;
        c.kernel_name = "bzImage";
        c.initrd_name = "rootfs";
        c.facility = "lab1";
        break;
    case CFG_TRAILING:
        c.bootenv_url = BOOTENV "//";
        break;
    default:
        break;
    }
    return c;
}

struct hook_case {
    const char *name;
    const char *hw;
    const char *mac;
    enum cfg_variant cfg;
    const char *head; /* after HOOK_HEAD, up to the blank line */
    const char *args; /* the kernel arguments */
};

#define HEAD(syslog, arch, url, kernel, initrd, retries, delay)                                    \
    syslog "set arch " arch "\nset download-url " url "\nset kernel " kernel                      \
           "\nset initrd " initrd "\nset retries:int32 " retries "\nset retry_delay:int32 " delay \
           "\n"

#define HEAD_DEFAULT                                                                               \
    HEAD("set syslog 10.1.1.1\n", "x86_64", BOOTENV, "vmlinuz-${arch}", "initramfs-${arch}", "1",  \
         "1")

#define ARGS(pre, facility, syslog, tls, itls, worker)                                             \
    pre " facility=" facility " syslog_host=" syslog " grpc_authority=" GW                         \
        " tinkerbell_tls=" tls " tinkerbell_insecure_tls=" itls " worker_id=" worker               \
        " hw_addr=" TEST_MAC HOOK_FIXED

static const struct hook_case hook_cases[] = {
        {"minimal: worker_id is the MAC, no facility", TEST_HW_ALLOW("", "", ""), TEST_MAC,
         CFG_BASE, HEAD_DEFAULT, ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"agentID becomes worker_id", TEST_HW_ALLOW("'agentID':'agent-7',", "", ""), TEST_MAC,
         CFG_BASE, HEAD_DEFAULT, ARGS("", "", "10.1.1.1", "false", "false", "agent-7") " " WORKER},
        {"vlan_id first, facility from the Hardware",
         TEST_HW_ALLOW("'metadata':{'facility':{'facility_code':'sv15'}},", ",'vlan_id':'42'", ""),
         TEST_MAC, CFG_BASE, HEAD_DEFAULT,
         ARGS(" vlan_id=42", "sv15", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"arch from dhcp.arch", TEST_HW_ALLOW("", ",'arch':'aarch64'", ""), TEST_MAC, CFG_BASE,
         HEAD("set syslog 10.1.1.1\n", "aarch64", BOOTENV, "vmlinuz-${arch}", "initramfs-${arch}",
              "1", "1"),
         ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"osie overrides URL, kernel and initrd; kernelParams last",
         TEST_HW_ALLOW("", "",
                       ",'osie':{'baseURL':'https://files.example/hook/','kernel':'vmlinuz-custom',"
                       "'initrd':'initrd-custom','kernelParams':['quiet','sshd=1',7,'']}"),
         TEST_MAC, CFG_BASE,
         HEAD("set syslog 10.1.1.1\n", "x86_64", "https://files.example/hook", "vmlinuz-custom",
              "initrd-custom", "1", "1"),
         ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER " quiet sshd=1"},
        {"token appended after everything",
         TEST_HW_ALLOW("", "", ",'osie':{'kernelParams':['x=1']}"), TEST_MAC, CFG_TOKEN,
         HEAD_DEFAULT,
         ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER
                                                              " x=1 anvil_token=v1.abc-DEF_123"},
        {"tls flags, retries and delay", TEST_HW_ALLOW("", "", ""), TEST_MAC, CFG_TLS,
         HEAD("set syslog 10.1.1.1\n", "x86_64", BOOTENV, "vmlinuz-${arch}", "initramfs-${arch}",
              "3", "5"),
         ARGS("", "", "10.1.1.1", "true", "true", TEST_MAC) " " WORKER},
        {"syslog by name goes through nslookup", TEST_HW_ALLOW("", "", ""), TEST_MAC,
         CFG_SYSLOG_NAME,
         HEAD("nslookup syslogserver syslog.lab.example && set syslog ${syslogserver} ||\n",
              "x86_64", BOOTENV, "vmlinuz-${arch}", "initramfs-${arch}", "1", "1"),
         ARGS("", "", "syslog.lab.example", "false", "false", TEST_MAC) " " WORKER},
        {"no syslog, configured names and facility", TEST_HW_ALLOW("", "", ""), TEST_MAC,
         CFG_NO_SYSLOG,
         HEAD("", "x86_64", BOOTENV, "bzImage-${arch}", "rootfs-${arch}", "1", "1"),
         ARGS("", "lab1", "", "false", "false", TEST_MAC)},
        {"Hardware facility wins over the configured one",
         TEST_HW_ALLOW("'metadata':{'facility':{'facility_code':'ny5'}},", "", ""), TEST_MAC,
         CFG_NO_SYSLOG, HEAD("", "x86_64", BOOTENV, "bzImage-${arch}", "rootfs-${arch}", "1", "1"),
         ARGS("", "ny5", "", "false", "false", TEST_MAC)},
        {"trailing slashes of the URL dropped", TEST_HW_ALLOW("", "", ""), TEST_MAC, CFG_TRAILING,
         HEAD_DEFAULT, ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"dash-separated upper-case MAC matches", TEST_HW_ALLOW("", "", ""), "52-54-00-12-34-56",
         CFG_BASE, HEAD_DEFAULT, ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"fields of the wrong JSON type count as absent",
         TEST_HW_ALLOW("'agentID':12,'metadata':{'facility':'x'},", ",'arch':true,'vlan_id':7",
                       ",'osie':{'kernel':[1],'kernelParams':'quiet'}"),
         TEST_MAC, CFG_BASE, HEAD_DEFAULT,
         ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
        {"empty strings count as absent",
         TEST_HW_ALLOW("'agentID':'',", ",'arch':'','vlan_id':''",
                       ",'osie':{'baseURL':'','kernel':'','initrd':''},"
                       "'ipxe':{'url':'','contents':''}"),
         TEST_MAC, CFG_BASE, HEAD_DEFAULT,
         ARGS("", "", "10.1.1.1", "false", "false", TEST_MAC) " " WORKER},
};

static void test_script_hardware_hook_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(hook_cases); i++) {
        const struct hook_case *c = &hook_cases[i];
        json_t *hw = test_hw(c->hw);
        struct ipxe_config cfg = config_variant(c->cfg);
        char *script = NULL;
        const char *field = "untouched";
        char expected[8192];

        int r = ipxe_script_hardware(hw, c->mac, &cfg, &script, &field);
        if (r != 0)
            fail_msg("%s: r=%d field=%s", c->name, r, field ? field : "(null)");
        snprintf(expected, sizeof(expected), "%s%s%s%s%s", HOOK_HEAD, c->head, KERNEL_LINE,
                 c->args, SCRIPT_TAIL);
        if (strcmp(script, expected) != 0)
            fail_msg("%s:\n--- got\n%s\n--- expected\n%s", c->name, script, expected);
        assert_string_equal(field, "untouched");
        free(script);
        json_decref(hw);
    }
}

/* The second interface of a two-NIC machine boots with its own MAC and its
 * own netboot block. */
static void test_script_hardware_second_interface(void **state)
{
    (void)state;
    json_t *hw = test_hw("{'spec':{'interfaces':["
                         "{'dhcp':{'mac':'" TEST_MAC "'},'netboot':{'allowPXE':false}},"
                         "{'dhcp':{'mac':'52:54:00:AB:CD:EF','arch':'aarch64'},"
                         "'netboot':{'allowPXE':true}}]}}");
    struct ipxe_config cfg = config_variant(CFG_NO_SYSLOG);
    char *script = NULL;

    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, NULL), -EPERM);
    assert_null(script);
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC2, &cfg, &script, NULL), 0);
    assert_non_null(strstr(script, "set arch aarch64\n"));
    assert_non_null(strstr(script, " worker_id=" TEST_MAC2 " hw_addr=" TEST_MAC2 " "));
    free(script);
    json_decref(hw);
}

#define CUSTOM_HEAD "#!ipxe\n\necho Loading custom iPXE script...\n"

struct custom_case {
    const char *name;
    const char *netboot_extra;
    const char *expected;
};

static const struct custom_case custom_cases[] = {
        {"http chain", ",'ipxe':{'url':'http://boot.example/x.ipxe'}",
         CUSTOM_HEAD "chain --autofree http://boot.example/x.ipxe\n"},
        {"https chain", ",'ipxe':{'url':'https://boot.example:8443/a/b.ipxe?mac=1'}",
         CUSTOM_HEAD "chain --autofree https://boot.example:8443/a/b.ipxe?mac=1\n"},
        {"scheme in capitals", ",'ipxe':{'url':'HTTPS://boot.example/'}",
         CUSTOM_HEAD "chain --autofree HTTPS://boot.example/\n"},
        {"url wins over contents", ",'ipxe':{'url':'http://b/c','contents':'#!ipxe\\nshell'}",
         CUSTOM_HEAD "chain --autofree http://b/c\n"},
        {"contents verbatim", ",'ipxe':{'contents':'#!ipxe\\ndhcp\\nchain http://x/${mac}\\n'}",
         CUSTOM_HEAD "#!ipxe\ndhcp\nchain http://x/${mac}\n"},
        {"contents gets a final newline", ",'ipxe':{'contents':'shell'}", CUSTOM_HEAD "shell\n"},
        {"custom wins over osie", ",'ipxe':{'contents':'exit'},'osie':{'kernel':'k'}",
         CUSTOM_HEAD "exit\n"},
};

static void test_script_hardware_custom_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(custom_cases); i++) {
        const struct custom_case *c = &custom_cases[i];
        char hwtext[1024];
        snprintf(hwtext, sizeof(hwtext), TEST_HW_ALLOW("", "", "%s"), c->netboot_extra);
        json_t *hw = test_hw(hwtext);
        struct ipxe_config cfg = test_config();
        char *script = NULL;

        int r = ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, NULL);
        if (r != 0)
            fail_msg("%s: r=%d", c->name, r);
        if (strcmp(script, c->expected) != 0)
            fail_msg("%s:\n--- got\n%s\n--- expected\n%s", c->name, script, c->expected);
        free(script);
        json_decref(hw);
    }
}

struct refuse_case {
    const char *name;
    const char *hw;
    const char *mac;
    int ret;
    const char *field;
};

#define NB_ALLOW(extra) TEST_HW_ALLOW("", "", extra)

static const struct refuse_case refuse_cases[] = {
        /* lookups */
        {"not an object", "[1,2]", TEST_MAC, -ENOENT, NULL},
        {"no spec", "{'kind':'Hardware'}", TEST_MAC, -ENOENT, NULL},
        {"interfaces not an array", "{'spec':{'interfaces':{}}}", TEST_MAC, -ENOENT, NULL},
        {"no interface has the MAC", NB_ALLOW(""), TEST_MAC2, -ENOENT, NULL},
        {"interface without dhcp", "{'spec':{'interfaces':[{'netboot':{'allowPXE':true}}]}}",
         TEST_MAC, -ENOENT, NULL},
        {"Hardware MAC unparsable", "{'spec':{'interfaces':[{'dhcp':{'mac':'52:54:00:12:34'}}]}}",
         "52:54:00:12:34:00", -ENOENT, NULL},
        {"no netboot block", "{'spec':{'interfaces':[{'dhcp':{'mac':'" TEST_MAC "'}}]}}", TEST_MAC,
         -ENODATA, NULL},
        {"netboot not an object", TEST_HW("", "", "true"), TEST_MAC, -ENODATA, NULL},
        {"bad MAC argument", NB_ALLOW(""), "52:54:00:12:34:5", -EINVAL, "mac"},
        {"MAC argument with mixed separators", NB_ALLOW(""), "52:54-00:12:34:56", -EINVAL, "mac"},
        /* allowPXE */
        {"allowPXE absent", TEST_HW("", "", "{}"), TEST_MAC, -EPERM, NULL},
        {"allowPXE false", TEST_HW("", "", "{'allowPXE':false}"), TEST_MAC, -EPERM, NULL},
        {"allowPXE a string", TEST_HW("", "", "{'allowPXE':'true'}"), TEST_MAC, -EPERM, NULL},
        {"allowPXE false beats ipxe.url",
         TEST_HW("", "", "{'allowPXE':false,'ipxe':{'url':'http://x/y'}}"), TEST_MAC, -EPERM,
         NULL},
        /* hostile values */
        {"agentID with a space", TEST_HW_ALLOW("'agentID':'a b',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"agentID with a newline", TEST_HW_ALLOW("'agentID':'a\\nshell',", "", ""), TEST_MAC,
         -EINVAL, "spec.agentID"},
        {"agentID with a CR", TEST_HW_ALLOW("'agentID':'a\\rb',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"agentID with a tab", TEST_HW_ALLOW("'agentID':'a\\tb',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"agentID expands a setting", TEST_HW_ALLOW("'agentID':'${password}',", "", ""), TEST_MAC,
         -EINVAL, "spec.agentID"},
        {"agentID with a quote", TEST_HW_ALLOW("'agentID':'a\\\"b',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"agentID with a backslash", TEST_HW_ALLOW("'agentID':'a\\\\',", "", ""), TEST_MAC,
         -EINVAL, "spec.agentID"},
        {"agentID not ASCII", TEST_HW_ALLOW("'agentID':'caf\\u00e9',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"agentID with DEL", TEST_HW_ALLOW("'agentID':'a\\u007f',", "", ""), TEST_MAC, -EINVAL,
         "spec.agentID"},
        {"facility with a space",
         TEST_HW_ALLOW("'metadata':{'facility':{'facility_code':'a && shell'}},", "", ""),
         TEST_MAC, -EINVAL, "spec.metadata.facility.facility_code"},
        {"vlan_id with a newline", TEST_HW_ALLOW("", ",'vlan_id':'1\\nshell'", ""), TEST_MAC,
         -EINVAL, "spec.interfaces[].dhcp.vlan_id"},
        {"arch starting a comment", TEST_HW_ALLOW("", ",'arch':'#x'", ""), TEST_MAC, -EINVAL,
         "spec.interfaces[].dhcp.arch"},
        {"arch chaining", TEST_HW_ALLOW("", ",'arch':'||'", ""), TEST_MAC, -EINVAL,
         "spec.interfaces[].dhcp.arch"},
        {"osie.baseURL with a space", NB_ALLOW(",'osie':{'baseURL':'http://x/ y'}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.osie.baseURL"},
        {"osie.kernel with ${", NB_ALLOW(",'osie':{'kernel':'k${x}'}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.osie.kernel"},
        {"osie.initrd ending a line", NB_ALLOW(",'osie':{'initrd':'i\\\\'}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.osie.initrd"},
        {"kernelParams '&&'", NB_ALLOW(",'osie':{'kernelParams':['a','&&','shell']}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams ';'", NB_ALLOW(",'osie':{'kernelParams':[';']}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams comment", NB_ALLOW(",'osie':{'kernelParams':['#']}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams with a space", NB_ALLOW(",'osie':{'kernelParams':['a b']}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams with a quote", NB_ALLOW(",'osie':{'kernelParams':['a=\\\"x']}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams shadowing the token",
         NB_ALLOW(",'osie':{'kernelParams':['anvil_token=forged']}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.osie.kernelParams"},
        {"kernelParams bare token key", NB_ALLOW(",'osie':{'kernelParams':['anvil_token']}"),
         TEST_MAC, -EINVAL, "spec.interfaces[].netboot.osie.kernelParams"},
        {"ipxe.url not http", NB_ALLOW(",'ipxe':{'url':'tftp://10.0.0.1/x'}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.ipxe.url"},
        {"ipxe.url without host", NB_ALLOW(",'ipxe':{'url':'http://'}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.ipxe.url"},
        {"ipxe.url relative", NB_ALLOW(",'ipxe':{'url':'/x.ipxe'}"), TEST_MAC, -EINVAL,
         "spec.interfaces[].netboot.ipxe.url"},
        {"ipxe.url with a newline", NB_ALLOW(",'ipxe':{'url':'http://x/\\nshell'}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.ipxe.url"},
        {"ipxe.url with a space", NB_ALLOW(",'ipxe':{'url':'http://x/ && shell'}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.ipxe.url"},
        {"ipxe.url expands a setting", NB_ALLOW(",'ipxe':{'url':'http://x/${mac}'}"), TEST_MAC,
         -EINVAL, "spec.interfaces[].netboot.ipxe.url"},
};

static void test_script_hardware_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(refuse_cases); i++) {
        const struct refuse_case *c = &refuse_cases[i];
        json_t *hw = test_hw(c->hw);
        struct ipxe_config cfg = test_config();
        char *script = NULL;
        const char *field = "untouched";

        int r = ipxe_script_hardware(hw, c->mac, &cfg, &script, &field);
        if (r != c->ret)
            fail_msg("%s: r=%d, expected %d", c->name, r, c->ret);
        assert_null(script);
        if (c->field)
            assert_string_equal(field, c->field);
        else
            assert_null(field);
        json_decref(hw);
    }
}

/* jansson keeps NUL bytes only when asked; a C consumer would cut the
 * string there, so such values are refused wherever they are read. */
static void test_script_hardware_refuses_nul(void **state)
{
    static const struct {
        const char *path[4];
        const char *field;
    } cases[] = {
            {{"agentID", NULL}, "spec.agentID"},
            {{"dhcp", "arch", NULL}, "spec.interfaces[].dhcp.arch"},
            {{"netboot", "ipxe", "contents", NULL}, "spec.interfaces[].netboot.ipxe.contents"},
            {{"netboot", "ipxe", "url", NULL}, "spec.interfaces[].netboot.ipxe.url"},
            {{"netboot", "osie", "kernelParams", NULL},
             "spec.interfaces[].netboot.osie.kernelParams"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *hw = test_hw(NB_ALLOW(",'ipxe':{},'osie':{}"));
        json_t *spec = json_object_get(hw, "spec");
        json_t *iface = json_array_get(json_object_get(spec, "interfaces"), 0);
        json_t *s = json_stringn("ab\0cd", 5);
        json_t *parent = strcmp(cases[i].path[0], "agentID") == 0 ? spec : iface;
        size_t depth = 0;
        while (cases[i].path[depth + 1])
            depth++;
        for (size_t d = 0; d < depth; d++)
            parent = json_object_get(parent, cases[i].path[d]);
        if (strcmp(cases[i].path[depth], "kernelParams") == 0) {
            json_t *arr = json_array();
            json_array_append_new(arr, s);
            s = arr;
        }
        assert_int_equal(json_object_set_new(parent, cases[i].path[depth], s), 0);

        struct ipxe_config cfg = test_config();
        char *script = NULL;
        const char *field = NULL;
        assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, &field), -EINVAL);
        assert_null(script);
        assert_string_equal(field, cases[i].field);
        json_decref(hw);
    }
}

/* Too many kernel parameters would be cut by the kernel, losing the token
 * that comes last; too large a custom script is refused outright. */
static void test_script_hardware_refuses_oversize(void **state)
{
    (void)state;
    json_t *hw = test_hw(NB_ALLOW(",'osie':{'kernelParams':[]}"));
    json_t *params = json_object_get(
            json_object_get(json_object_get(json_array_get(json_object_get(json_object_get(hw,
                                                                                           "spec"),
                                                                            "interfaces"),
                                                           0),
                                            "netboot"),
                            "osie"),
            "kernelParams");
    struct ipxe_config cfg = test_config();
    char *script = NULL;
    const char *field = NULL;

    /* Up to the limit: fine. */
    for (int i = 0; i < 20; i++)
        json_array_append_new(params, json_string("param=0123456789"));
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, &field), 0);
    free(script);
    script = NULL;
    for (int i = 0; i < 200; i++)
        json_array_append_new(params, json_string("param=0123456789"));
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, &field), -E2BIG);
    assert_null(script);
    assert_string_equal(field, "kernel command line");
    json_decref(hw);

    hw = test_hw(NB_ALLOW(",'ipxe':{}"));
    json_t *ipxe = json_object_get(
            json_object_get(json_array_get(json_object_get(json_object_get(hw, "spec"),
                                                           "interfaces"),
                                           0),
                            "netboot"),
            "ipxe");
    char *big = malloc(IPXE_SCRIPT_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', IPXE_SCRIPT_MAX);
    big[IPXE_SCRIPT_MAX] = '\0';
    json_object_set_new(ipxe, "contents", json_string(big));
    free(big);
    field = NULL;
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, &field), -E2BIG);
    assert_null(script);
    assert_string_equal(field, "script");
    json_decref(hw);
}

struct config_case {
    const char *name;
    struct ipxe_config cfg;
    const char *field;
};

static const char *const bad_and[] = {"ok=1", "&&"};
static const char *const bad_token_arg[] = {"anvil_token=x"};
static const char *const bad_space[] = {"a b"};

static const struct config_case config_cases[] = {
        {"no bootenv URL", {.grpc_authority = GW}, "config.bootenv_url"},
        {"empty bootenv URL", {.bootenv_url = ""}, "config.bootenv_url"},
        {"bootenv URL with a space", {.bootenv_url = "http://x/ y"}, "config.bootenv_url"},
        {"bootenv URL starting a comment", {.bootenv_url = "#http://x"}, "config.bootenv_url"},
        {"kernel name with a newline", {.bootenv_url = BOOTENV, .kernel_name = "vmlinuz\nshell"},
         "config.kernel_name"},
        {"initrd name with ${", {.bootenv_url = BOOTENV, .initrd_name = "${x}"},
         "config.initrd_name"},
        {"grpc authority with a space", {.bootenv_url = BOOTENV, .grpc_authority = "a b"},
         "config.grpc_authority"},
        {"syslog host with a newline", {.bootenv_url = BOOTENV, .syslog_host = "x\n"},
         "config.syslog_host"},
        {"facility with a quote", {.bootenv_url = BOOTENV, .facility = "\"x"}, "config.facility"},
        {"token with a space", {.bootenv_url = BOOTENV, .token = "t t"}, "config.token"},
        {"extra args chaining",
         {.bootenv_url = BOOTENV, .extra_kernel_args = bad_and, .n_extra_kernel_args = 2},
         "config.extra_kernel_args"},
        {"extra args with a space",
         {.bootenv_url = BOOTENV, .extra_kernel_args = bad_space, .n_extra_kernel_args = 1},
         "config.extra_kernel_args"},
        {"extra args count without array", {.bootenv_url = BOOTENV, .n_extra_kernel_args = 1},
         "config.extra_kernel_args"},
        {"retries too many", {.bootenv_url = BOOTENV, .retries = IPXE_RETRIES_MAX + 1},
         "config.retries"},
        {"retry delay too long", {.bootenv_url = BOOTENV, .retry_delay = IPXE_RETRY_DELAY_MAX + 1},
         "config.retry_delay"},
};

static void test_script_config_refuses(void **state)
{
    (void)state;
    json_t *hw = test_hw(NB_ALLOW(""));
    for (size_t i = 0; i < ARRAY_SIZE(config_cases); i++) {
        const struct config_case *c = &config_cases[i];
        char *script = NULL;
        const char *field = NULL;

        if (ipxe_script_hardware(hw, TEST_MAC, &c->cfg, &script, &field) != -EINVAL)
            fail_msg("%s: hardware script accepted", c->name);
        assert_null(script);
        assert_string_equal(field, c->field);
        field = NULL;
        if (ipxe_script_static(&c->cfg, &script, &field) != -EINVAL)
            fail_msg("%s: static script accepted", c->name);
        assert_null(script);
        assert_string_equal(field, c->field);
    }
    json_decref(hw);
}

/* anvil_token may come only from the configuration's token, and is checked
 * when it is written (extra arguments are not otherwise special). */
static void test_script_config_refuses_token_arg(void **state)
{
    (void)state;
    json_t *hw = test_hw(NB_ALLOW(""));
    struct ipxe_config cfg = test_config();
    char *script = NULL;
    const char *field = NULL;

    cfg.extra_kernel_args = bad_token_arg;
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, &script, &field), -EINVAL);
    assert_string_equal(field, "config.extra_kernel_args");
    field = NULL;
    assert_int_equal(ipxe_script_static(&cfg, &script, &field), -EINVAL);
    assert_string_equal(field, "config.extra_kernel_args");
    assert_null(script);
    json_decref(hw);
}

static void test_script_null_arguments(void **state)
{
    (void)state;
    json_t *hw = test_hw(NB_ALLOW(""));
    struct ipxe_config cfg = test_config();
    char *script = NULL;

    assert_int_equal(ipxe_script_hardware(NULL, TEST_MAC, &cfg, &script, NULL), -EINVAL);
    assert_int_equal(ipxe_script_hardware(hw, NULL, &cfg, &script, NULL), -EINVAL);
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, NULL, &script, NULL), -EINVAL);
    assert_int_equal(ipxe_script_hardware(hw, TEST_MAC, &cfg, NULL, NULL), -EINVAL);
    assert_int_equal(ipxe_script_static(NULL, &script, NULL), -EINVAL);
    assert_int_equal(ipxe_script_static(&cfg, NULL, NULL), -EINVAL);
    assert_null(script);
    json_decref(hw);
}

#define STATIC_ARGS(syslog, tls, extra, token)                                                     \
    " syslog_host=" syslog " grpc_authority=" GW " tinkerbell_tls=" tls                            \
    " worker_id=${mac} hw_addr=${mac} console=tty1 console=tty2 console=ttyAMA0,115200"           \
    " console=ttyAMA1,115200 console=ttyS0,115200 console=ttyS1,115200 intel_iommu=on iommu=pt"   \
    extra " initrd=${initrd}" token

#define STATIC_SCRIPT(syslog_line, kernel, initrd, retries, delay, syslog, tls, args)              \
    "#!ipxe\n"                                                                                     \
    "\n" syslog_line "echo Loading the static boot script...\n"                                    \
    "\n"                                                                                           \
    "set arch ${buildarch}\n"                                                                      \
    "iseq ${arch} i386 && set arch x86_64 ||\n"                                                    \
    "iseq ${arch} arm32 && set arch aarch64 ||\n"                                                  \
    "iseq ${arch} arm64 && set arch aarch64 ||\n"                                                  \
    "set kernel " kernel "-${arch}\n"                                                              \
    "set initrd " initrd "-${arch}\n"                                                              \
    "set download-url " BOOTENV "\n"                                                               \
    "set retries:int32 " retries "\n"                                                              \
    "set retry_delay:int32 " delay "\n"                                                            \
    "\n"                                                                                           \
    "echo worker_id=${mac}\n"                                                                      \
    "echo grpc_authority=" GW "\n"                                                                 \
    "echo syslog_host=" syslog "\n"                                                                \
    "echo tinkerbell_tls=" tls "\n" KERNEL_LINE args SCRIPT_TAIL

static void test_script_static_exact(void **state)
{
    static const struct {
        const char *name;
        enum cfg_variant cfg;
        const char *expected;
    } cases[] = {
            {"defaults", CFG_BASE,
             STATIC_SCRIPT("set syslog 10.1.1.1\n", "vmlinuz", "initramfs", "1", "1", "10.1.1.1",
                           "false", STATIC_ARGS("10.1.1.1", "false", " " WORKER, ""))},
            {"token last", CFG_TOKEN,
             STATIC_SCRIPT("set syslog 10.1.1.1\n", "vmlinuz", "initramfs", "1", "1", "10.1.1.1",
                           "false",
                           STATIC_ARGS("10.1.1.1", "false", " " WORKER,
                                       " anvil_token=v1.abc-DEF_123"))},
            {"tls and retries", CFG_TLS,
             STATIC_SCRIPT("set syslog 10.1.1.1\n", "vmlinuz", "initramfs", "3", "5", "10.1.1.1",
                           "true", STATIC_ARGS("10.1.1.1", "true", " " WORKER, ""))},
            {"syslog by name", CFG_SYSLOG_NAME,
             STATIC_SCRIPT("nslookup syslogserver syslog.lab.example && set syslog ${syslogserver} "
                           "||\n",
                           "vmlinuz", "initramfs", "1", "1", "syslog.lab.example", "false",
                           STATIC_ARGS("syslog.lab.example", "false", " " WORKER, ""))},
            {"no syslog, names", CFG_NO_SYSLOG,
             STATIC_SCRIPT("", "bzImage", "rootfs", "1", "1", "", "false",
                           STATIC_ARGS("", "false", "", ""))},
            {"trailing slashes", CFG_TRAILING,
             STATIC_SCRIPT("set syslog 10.1.1.1\n", "vmlinuz", "initramfs", "1", "1", "10.1.1.1",
                           "false", STATIC_ARGS("10.1.1.1", "false", " " WORKER, ""))},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipxe_config cfg = config_variant(cases[i].cfg);
        char *script = NULL;
        int r = ipxe_script_static(&cfg, &script, NULL);
        if (r != 0)
            fail_msg("%s: r=%d", cases[i].name, r);
        if (strcmp(script, cases[i].expected) != 0)
            fail_msg("%s:\n--- got\n%s\n--- expected\n%s", cases[i].name, script,
                     cases[i].expected);
        free(script);
    }
}

/* The static script carries none of the per-machine arguments. */
static void test_script_static_no_machine_args(void **state)
{
    (void)state;
    struct ipxe_config cfg = test_config();
    char *script = NULL;

    assert_int_equal(ipxe_script_static(&cfg, &script, NULL), 0);
    assert_null(strstr(script, "facility="));
    assert_null(strstr(script, "vlan_id="));
    assert_null(strstr(script, "tinkerbell_insecure_tls="));
    free(script);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_script_hardware_hook_exact),
            cmocka_unit_test(test_script_hardware_second_interface),
            cmocka_unit_test(test_script_hardware_custom_exact),
            cmocka_unit_test(test_script_hardware_refuses),
            cmocka_unit_test(test_script_hardware_refuses_nul),
            cmocka_unit_test(test_script_hardware_refuses_oversize),
            cmocka_unit_test(test_script_config_refuses),
            cmocka_unit_test(test_script_config_refuses_token_arg),
            cmocka_unit_test(test_script_null_arguments),
            cmocka_unit_test(test_script_static_exact),
            cmocka_unit_test(test_script_static_no_machine_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
