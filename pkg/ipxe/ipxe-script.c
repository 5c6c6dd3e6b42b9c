/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The three iPXE script shapes of compat §5.4: the custom script (chain to
 * netboot.ipxe.url or run netboot.ipxe.contents), the boot-environment
 * ("hook") script for known Hardware, and the static script for unknown
 * machines in auto-proxy mode.
 *
 * The kernel argument names and their order are Smee's, because the boot
 * environment and its services read them (compat §10 item 5). The retry
 * loops use iPXE's own control flow: "goto" ends the processing of the rest
 * of its line, so "cmd && goto next || iseq ... && goto failed || inc ..."
 * reads as if/else.
 */
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "ipxe/ipxe-internal.h"

#define DEFAULT_ARCH   "x86_64"
#define DEFAULT_KERNEL "vmlinuz"
#define DEFAULT_INITRD "initramfs"
#define TOKEN_KEY      IPXE_TOKEN_KEY
#define HOOK_MODULES   "modules=loop,squashfs,sd-mod,usb-storage"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static const char *or_default(const char *s, const char *def)
{
    return s && s[0] ? s : def;
}

static const char *bool_str(bool b)
{
    return b ? "true" : "false";
}

/* Appends " key=value" to the kernel arguments. value must have passed the
 * safety rule or be empty. */
static int add_arg(struct buf *args, const char *key, const char *value)
{
    return buf_printf(args, " %s=%s", key, or_empty(value));
}

/* A value from the Hardware that becomes part of a key=value argument or a
 * "set" line: empty is allowed, anything else must be safe. */
static int check_value(const char *value, bool standalone, const char *field, const char **reterr)
{
    if (!value || ipxe_value_is_safe(value, standalone))
        return 0;
    *reterr = field;
    return -EINVAL;
}

/* True when the argument sets anvil_token, which only cfg->token may do. */

/* Appends one standalone argument (an extra argument or a kernelParams
 * entry). Empty ones are skipped. */
static int add_standalone(struct buf *args, const char *arg, const char *field, const char **reterr)
{
    if (!arg || !arg[0])
        return 0;
    if (!ipxe_value_is_safe(arg, true) || ipxe_is_token_arg(arg)) {
        *reterr = field;
        return -EINVAL;
    }
    return buf_printf(args, " %s", arg);
}

static int add_extra_args(struct buf *args, const struct ipxe_config *cfg, const char **reterr)
{
    for (size_t i = 0; i < cfg->n_extra_kernel_args; i++) {
        int r = add_standalone(args, cfg->extra_kernel_args[i], "config.extra_kernel_args",
                               reterr);
        if (r < 0)
            return r;
    }
    return 0;
}

/* osie.kernelParams: strings only (other JSON types count as absent), after
 * everything else so that they win over the defaults. */
static int add_kernel_params(struct buf *args, const json_t *params, const char **reterr)
{
    static const char field[] = "spec.interfaces[].netboot.osie.kernelParams";
    size_t i;
    const json_t *p;

    if (!params)
        return 0;
    json_array_foreach(params, i, p) {
        if (!json_is_string(p))
            continue;
        if (strlen(json_string_value(p)) != json_string_length(p)) {
            *reterr = field;
            return -EINVAL;
        }
        int r = add_standalone(args, json_string_value(p), field, reterr);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The token goes last of all, so nothing the Hardware says can shadow it. */
static int add_token(struct buf *args, const struct ipxe_config *cfg)
{
    if (!cfg->token || !cfg->token[0])
        return 0;
    return add_arg(args, TOKEN_KEY, cfg->token);
}

/* Maps a kernel-argument buffer overflow onto the field at fault. */
static int args_error(int r, const char **reterr)
{
    if (r == -E2BIG)
        *reterr = "kernel command line";
    return r;
}

/* True for a dotted-quad IPv4 literal, the only form iPXE's "syslog"
 * setting takes (net/udp/syslog.c: setting_type_ipv4). */
static bool is_ipv4_literal(const char *s)
{
    unsigned parts = 0;

    for (;;) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        parts++;
        if (*s == '\0')
            return parts == 4;
        if (*s != '.' || parts == 4)
            return false;
        s++;
    }
}

/* Points iPXE's own syslog at the receiver, resolving a name first; a name
 * that does not resolve must not stop the boot, hence the trailing "||". */
static int write_syslog(struct buf *b, const char *host)
{
    if (!host || !host[0])
        return 0;
    if (is_ipv4_literal(host))
        return buf_printf(b, "set syslog %s\n", host);
    return buf_printf(b, "nslookup syslogserver %s && set syslog ${syslogserver} ||\n", host);
}

/* "set retries ... :retry_kernel kernel <url> <args> ..." through the end of
 * the script: kernel, initrd and boot, each retried, then the error exits. */
static int write_load_and_boot(struct buf *b, const struct buf *args)
{
    static const char retry_tail[] =
            "inc idx && echo Retrying in ${retry_delay} seconds ; sleep ${retry_delay} ; goto";

    return buf_printf(b,
                      "set idx:int32 0\n"
                      ":retry_kernel\n"
                      "kernel ${download-url}/${kernel}%s && goto load_initrd || "
                      "iseq ${idx} ${retries} && goto kernel_failed || %s retry_kernel\n"
                      "\n"
                      ":load_initrd\n"
                      "set idx:int32 0\n"
                      ":retry_initrd\n"
                      "initrd ${download-url}/${initrd} && goto boot || "
                      "iseq ${idx} ${retries} && goto initrd_failed || %s retry_initrd\n"
                      "\n"
                      ":boot\n"
                      "set idx:int32 0\n"
                      ":retry_boot\n"
                      "boot || iseq ${idx} ${retries} && goto boot_failed || %s retry_boot\n"
                      "\n"
                      ":kernel_failed\n"
                      "echo Failed to load the kernel\n"
                      "imgfree\n"
                      "exit\n"
                      "\n"
                      ":initrd_failed\n"
                      "echo Failed to load the initrd\n"
                      "imgfree\n"
                      "exit\n"
                      "\n"
                      ":boot_failed\n"
                      "echo Failed to boot\n"
                      "imgfree\n"
                      "exit\n",
                      buf_str(args), retry_tail, retry_tail, retry_tail);
}

/* Strips trailing slashes so that "${download-url}/${kernel}" has one. */
static int write_download_url(struct buf *b, const char *url)
{
    size_t len = strlen(url);
    while (len > 1 && url[len - 1] == '/')
        len--;
    return buf_printf(b, "set download-url %.*s\n", (int)len, url);
}

int ipxe_write_custom(struct buf *b, const struct ipxe_machine *m, const char **reterr)
{
    int r = buf_append_str(b, "#!ipxe\n\necho Loading custom iPXE script...\n");
    if (r < 0)
        return r;
    if (m->ipxe_url) {
        if (!ipxe_url_is_http(m->ipxe_url) || !ipxe_value_is_safe(m->ipxe_url, true)) {
            *reterr = "spec.interfaces[].netboot.ipxe.url";
            return -EINVAL;
        }
        return buf_printf(b, "chain --autofree %s\n", m->ipxe_url);
    }
    r = buf_append(b, m->ipxe_contents, m->ipxe_contents_len);
    if (r < 0)
        return r;
    if (m->ipxe_contents[m->ipxe_contents_len - 1] != '\n')
        r = buf_append_str(b, "\n");
    return r;
}

static int check_machine(const struct ipxe_machine *m, const char **reterr)
{
    const struct {
        const char *value;
        bool standalone;
        const char *field;
    } values[] = {
            {m->agent_id, false, "spec.agentID"},
            {m->facility, false, "spec.metadata.facility.facility_code"},
            {m->arch, true, "spec.interfaces[].dhcp.arch"},
            {m->vlan_id, false, "spec.interfaces[].dhcp.vlan_id"},
            {m->osie_base_url, true, "spec.interfaces[].netboot.osie.baseURL"},
            {m->osie_kernel, true, "spec.interfaces[].netboot.osie.kernel"},
            {m->osie_initrd, true, "spec.interfaces[].netboot.osie.initrd"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
        int r = check_value(values[i].value, values[i].standalone, values[i].field, reterr);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The kernel arguments of the boot-environment script, in Smee's order. */
static int hook_args(struct buf *args,
                     const struct ipxe_machine *m,
                     const struct ipxe_config *cfg,
                     const char **reterr)
{
    int r = 0;

    if (m->vlan_id)
        r = add_arg(args, "vlan_id", m->vlan_id);
    if (r >= 0)
        r = add_arg(args, "facility", m->facility ? m->facility : cfg->facility);
    if (r >= 0)
        r = add_arg(args, "syslog_host", cfg->syslog_host);
    if (r >= 0)
        r = add_arg(args, "grpc_authority", cfg->grpc_authority);
    if (r >= 0)
        r = add_arg(args, "tinkerbell_tls", bool_str(cfg->tinkerbell_tls));
    if (r >= 0)
        r = add_arg(args, "tinkerbell_insecure_tls", bool_str(cfg->tinkerbell_insecure_tls));
    if (r >= 0)
        r = add_arg(args, "worker_id", m->agent_id ? m->agent_id : m->mac);
    if (r >= 0)
        r = add_arg(args, "hw_addr", m->mac);
    if (r >= 0)
        r = buf_append_str(args, " " HOOK_MODULES " intel_iommu=on iommu=pt initrd=${initrd}"
                                 " console=tty0 console=ttyS1,115200");
    if (r >= 0)
        r = add_extra_args(args, cfg, reterr);
    if (r >= 0)
        r = add_kernel_params(args, m->kernel_params, reterr);
    if (r >= 0)
        r = add_token(args, cfg);
    return r < 0 ? args_error(r, reterr) : 0;
}

int ipxe_write_hook(struct buf *b,
                    const struct ipxe_machine *m,
                    const struct ipxe_config *cfg,
                    const char **reterr)
{
    _cleanup_buf_ struct buf args = BUF_INIT(IPXE_CMDLINE_MAX);
    int r;

    r = check_machine(m, reterr);
    if (r < 0)
        return r;
    r = hook_args(&args, m, cfg, reterr);
    if (r < 0)
        return r;

    r = buf_append_str(b, "#!ipxe\n\necho Loading the boot environment...\n");
    if (r >= 0)
        r = write_syslog(b, cfg->syslog_host);
    if (r >= 0)
        r = buf_printf(b, "set arch %s\n", or_default(m->arch, DEFAULT_ARCH));
    if (r >= 0)
        r = write_download_url(b, or_default(m->osie_base_url, cfg->bootenv_url));
    if (r >= 0 && m->osie_kernel)
        r = buf_printf(b, "set kernel %s\n", m->osie_kernel);
    else if (r >= 0)
        r = buf_printf(b, "set kernel %s-${arch}\n", or_default(cfg->kernel_name, DEFAULT_KERNEL));
    if (r >= 0 && m->osie_initrd)
        r = buf_printf(b, "set initrd %s\n", m->osie_initrd);
    else if (r >= 0)
        r = buf_printf(b, "set initrd %s-${arch}\n", or_default(cfg->initrd_name, DEFAULT_INITRD));
    if (r >= 0)
        r = buf_printf(b, "set retries:int32 %u\nset retry_delay:int32 %u\n\n", cfg->retries,
                       cfg->retry_delay);
    if (r >= 0)
        r = write_load_and_boot(b, &args);
    return r;
}

/* The kernel arguments of the static script, in Smee's order. */
static int static_args(struct buf *args, const struct ipxe_config *cfg, const char **reterr)
{
    int r = add_arg(args, "syslog_host", cfg->syslog_host);
    if (r >= 0)
        r = add_arg(args, "grpc_authority", cfg->grpc_authority);
    if (r >= 0)
        r = add_arg(args, "tinkerbell_tls", bool_str(cfg->tinkerbell_tls));
    if (r >= 0)
        r = buf_append_str(args, " worker_id=${mac} hw_addr=${mac}"
                                 " console=tty1 console=tty2 console=ttyAMA0,115200"
                                 " console=ttyAMA1,115200 console=ttyS0,115200"
                                 " console=ttyS1,115200 intel_iommu=on iommu=pt");
    if (r >= 0)
        r = add_extra_args(args, cfg, reterr);
    if (r >= 0)
        r = buf_append_str(args, " initrd=${initrd}");
    if (r >= 0)
        r = add_token(args, cfg);
    return r < 0 ? args_error(r, reterr) : 0;
}

int ipxe_write_static(struct buf *b, const struct ipxe_config *cfg, const char **reterr)
{
    _cleanup_buf_ struct buf args = BUF_INIT(IPXE_CMDLINE_MAX);
    int r;

    r = static_args(&args, cfg, reterr);
    if (r < 0)
        return r;

    r = buf_append_str(b, "#!ipxe\n\n");
    if (r >= 0)
        r = write_syslog(b, cfg->syslog_host);
    if (r >= 0)
        r = buf_append_str(b, "echo Loading the static boot script...\n"
                              "\n"
                              "set arch ${buildarch}\n"
                              "iseq ${arch} i386 && set arch x86_64 ||\n"
                              "iseq ${arch} arm32 && set arch aarch64 ||\n"
                              "iseq ${arch} arm64 && set arch aarch64 ||\n");
    if (r >= 0)
        r = buf_printf(b, "set kernel %s-${arch}\nset initrd %s-${arch}\n",
                       or_default(cfg->kernel_name, DEFAULT_KERNEL),
                       or_default(cfg->initrd_name, DEFAULT_INITRD));
    if (r >= 0)
        r = write_download_url(b, cfg->bootenv_url);
    if (r >= 0)
        r = buf_printf(b,
                       "set retries:int32 %u\nset retry_delay:int32 %u\n"
                       "\n"
                       "echo worker_id=${mac}\n"
                       "echo grpc_authority=%s\n"
                       "echo syslog_host=%s\n"
                       "echo tinkerbell_tls=%s\n"
                       "\n",
                       cfg->retries, cfg->retry_delay, or_empty(cfg->grpc_authority),
                       or_empty(cfg->syslog_host), bool_str(cfg->tinkerbell_tls));
    if (r >= 0)
        r = write_load_and_boot(b, &args);
    return r;
}

/* Hands the script over on success; reports the field at fault otherwise. */
static int finish(struct buf *b, int r, const char *field, char **ret_script, const char **reterr)
{
    if (r == -E2BIG && !field)
        field = "script";
    if (r >= 0) {
        char *s = buf_take(b, NULL);
        if (s) {
            *ret_script = s;
            return 0;
        }
        r = -ENOMEM;
    }
    if (reterr)
        *reterr = field;
    return r;
}

int ipxe_script_hardware(const json_t *hardware,
                         const char *mac,
                         const struct ipxe_config *cfg,
                         char **ret_script,
                         const char **reterr_field)
{
    _cleanup_buf_ struct buf b = BUF_INIT(IPXE_SCRIPT_MAX);
    struct ipxe_machine m;
    const char *field = NULL;
    int r;

    assert_return(hardware, -EINVAL);
    assert_return(mac, -EINVAL);
    assert_return(cfg, -EINVAL);
    assert_return(ret_script, -EINVAL);

    r = ipxe_config_check(cfg, &field);
    if (r >= 0)
        r = ipxe_machine_from_hardware(hardware, mac, &m, &field);
    if (r >= 0 && !m.allow_pxe)
        r = -EPERM;
    if (r >= 0 && (m.ipxe_url || m.ipxe_contents))
        r = ipxe_write_custom(&b, &m, &field);
    else if (r >= 0)
        r = ipxe_write_hook(&b, &m, cfg, &field);
    return finish(&b, r, field, ret_script, reterr_field);
}

int ipxe_script_static(const struct ipxe_config *cfg, char **ret_script, const char **reterr_field)
{
    _cleanup_buf_ struct buf b = BUF_INIT(IPXE_SCRIPT_MAX);
    const char *field = NULL;
    int r;

    assert_return(cfg, -EINVAL);
    assert_return(ret_script, -EINVAL);

    r = ipxe_config_check(cfg, &field);
    if (r >= 0)
        r = ipxe_write_static(&b, cfg, &field);
    return finish(&b, r, field, ret_script, reterr_field);
}
