/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-boot's process: configuration, wiring, start and stop. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_COMPONENT "boot"
#include "agentproto/agentproto.h"
#include "boot/boot-internal.h"
#include "boot/boot-syslog.h"
#include "dhcp/dhcp-server.h"
#include "httpd/httpd.h"
#include "informer/informer.h"
#include "ipxe/ipxe.h"
#include "kube/kube.h"
#include "log/log.h"
#include "metadata/metadata.h"
#include "tftp/tftp-server.h"

#define GATEWAY_PORT_DEFAULT 42113

static const struct kube_resource hardware_resource = {"tinkerbell.org", "v1alpha1", "hardware",
                                                       true};

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ret_error && vasprintf(ret_error, fmt, ap) < 0)
        *ret_error = NULL;
    va_end(ap);
    return r;
}

void boot_ipxe_config(const struct boot *b, struct ipxe_config *ret)
{
    *ret = (struct ipxe_config){
            .bootenv_url = b->strs.bootenv_url,
            .grpc_authority = b->strs.gateway_addr,
            .tinkerbell_tls = b->tinkerbell_tls,
            .syslog_host = b->strs.syslog_host,
            .extra_kernel_args = b->strs.extra_args,
            .n_extra_kernel_args = b->strs.n_extra_args,
            .retries = IPXE_RETRIES_DEFAULT,
            .retry_delay = IPXE_RETRY_DELAY_DEFAULT,
    };
}

/* Hardware reservations for the DHCP server, from the per-MAC cache over
 * the store (DHCP thread only). The cached reservation stays valid until
 * the next lookup, which the server makes only after release: nothing to
 * hold. */
static int lookup_find(void *userdata,
                       const uint8_t mac[DHCP_ETHER_ADDR_LEN],
                       struct dhcp_reservation *res,
                       void **ret_hold)
{
    struct boot *b = userdata;
    const struct boot_reservation *r;
    int k = boot_cache_lookup(b->cache, mac, &r);
    if (k < 0)
        return k == -ENOENT ? 0 : k;
    *res = r->res;
    *ret_hold = NULL;
    return 1;
}

static void lookup_release(void *userdata, void *hold)
{
    (void)userdata;
    (void)hold;
}

/* Every Hardware change makes the DHCP cache stale (informer thread). */
static int hardware_added(json_t *obj, void *userdata)
{
    (void)obj;
    boot_cache_invalidate(userdata);
    return 0;
}

static int hardware_updated(json_t *old, json_t *obj, void *userdata)
{
    (void)old;
    (void)obj;
    boot_cache_invalidate(userdata);
    return 0;
}

static int split_args(struct boot *b, const char *args)
{
    size_t n = 0;
    char *save = NULL;
    if (!args || !args[0])
        return 0;
    b->strs.extra_args_buf = strdup(args);
    b->strs.extra_args = calloc(strlen(args) / 2 + 1, sizeof(char *));
    if (!b->strs.extra_args_buf || !b->strs.extra_args)
        return -ENOMEM;
    for (char *t = strtok_r(b->strs.extra_args_buf, " \t", &save); t;
         t = strtok_r(NULL, " \t", &save))
        b->strs.extra_args[n++] = t;
    b->strs.n_extra_args = n;
    return 0;
}

static int read_key(struct boot *b, const char *path, char **ret_error)
{
    int r = agentproto_key_read_file(path, &b->agent_key, &b->agent_key_len);
    if (r == -EINVAL)
        return fail(ret_error, r, "--agent-key-file %s: the key must be %d to %d bytes", path,
                    AGENTPROTO_TOKEN_KEY_MIN, AGENTPROTO_KEY_MAX);
    if (r < 0)
        return fail(ret_error, r, "--agent-key-file %s: %s", path, strerror(-r));
    return 0;
}

static int setup_scripts(struct boot *b, const struct boot_opts *o, char **ret_error)
{
    char ip[INET_ADDRSTRLEN], port[8];
    const char *field = NULL;
    int r;
    inet_ntop(AF_INET, &o->public_ip, ip, sizeof(ip));
    snprintf(port, sizeof(port), "%u", o->http_port);
    if (o->bootenv_url && o->bootenv_url[0])
        b->strs.bootenv_url = strdup(o->bootenv_url);
    else if (asprintf(&b->strs.bootenv_url, "http://%s:%s/bootenv", ip, port) < 0)
        b->strs.bootenv_url = NULL;
    if (o->gateway_addr && o->gateway_addr[0])
        b->strs.gateway_addr = strdup(o->gateway_addr);
    else if (asprintf(&b->strs.gateway_addr, "%s:%d", ip, GATEWAY_PORT_DEFAULT) < 0)
        b->strs.gateway_addr = NULL;
    b->strs.syslog_host = strdup(o->syslog_enabled ? ip : "");
    if (!b->strs.bootenv_url || !b->strs.gateway_addr || !b->strs.syslog_host ||
        split_args(b, o->extra_kernel_args) < 0)
        return -ENOMEM;
    b->tinkerbell_tls = o->tinkerbell_tls;
    /* Built once: it depends on the flags only. It also proves the flags
     * make valid scripts before anything is served. */
    struct ipxe_config cfg;
    boot_ipxe_config(b, &cfg);
    r = ipxe_script_static(&cfg, &b->static_script, &field);
    if (r < 0)
        return fail(ret_error, r, "the iPXE script settings are not usable (%s): %s",
                    field ? field : "configuration", strerror(-r));
    return 0;
}

static int setup_kube(struct boot *b, const struct boot_opts *o, char **ret_error)
{
    char *err = NULL;
    int r = kube_config_load(&(struct kube_config_opts){.kubeconfig = o->kubeconfig}, &b->kcfg,
                             &err);
    if (r < 0) {
        if (err) {
            r = fail(ret_error, r, "%s", err);
            free(err);
            return r;
        }
        return fail(ret_error, r,
                    "no Kubernetes configuration found (--kubeconfig, $KUBECONFIG, in-cluster or "
                    "~/.kube/config): %s",
                    strerror(-r));
    }
    r = kube_client_new(
            &b->client, b->kcfg,
            &(struct kube_client_opts){.qps = 20, .burst = 40, .user_agent = "anvil-boot"});
    if (r < 0)
        return fail(ret_error, r, "cannot create the Kubernetes client for %s: %s", b->kcfg->server,
                    strerror(-r));
    if ((r = store_new(&b->store)) < 0 ||
        (r = store_add_index(b->store, STORE_INDEX_MAC, store_index_hardware_mac, NULL)) < 0 ||
        (r = store_add_index(b->store, STORE_INDEX_IP, store_index_hardware_ip, NULL)) < 0 ||
        (r = informer_source_kube(b->client, &hardware_resource, o->namespace_, NULL, &b->source)) <
                0 ||
        (r = informer_new(&b->informer, b->source, b->store, NULL)) < 0 ||
        (r = boot_cache_new(&b->cache, b->store)) < 0 ||
        (r = informer_add_handler(b->informer, &(struct informer_handler){
                                                       .on_add = hardware_added,
                                                       .on_update = hardware_updated,
                                                       .on_delete = hardware_added,
                                                       .userdata = b->cache,
                                               })) < 0)
        return fail(ret_error, r, "cannot set up the Hardware informer: %s", strerror(-r));
    return 0;
}

static int setup_servers(struct boot *b, const struct boot_opts *o, char **ret_error)
{
    char listen[INET_ADDRSTRLEN + 8], bind_ip[INET_ADDRSTRLEN];
    int r;
    inet_ntop(AF_INET, &o->bind_address, bind_ip, sizeof(bind_ip));
    if (o->dhcp_enabled) {
        r = dhcp_server_new(
                &b->dhcp,
                &(struct dhcp_server_opts){
                        .config = &b->dhcp_cfg,
                        .lookup = {.find = lookup_find, .release = lookup_release, .userdata = b},
                        .bind_interface = o->dhcp_bind_interface,
                        .port = o->dhcp_port,
                        .stale_ms = o->dhcp_stale_ms < 0 ? DHCP_SERVER_STALE_NEVER
                                                         : (unsigned)o->dhcp_stale_ms,
                });
        if (r < 0)
            return fail(ret_error, r, "DHCP: cannot listen on port %u%s%s: %s",
                        o->dhcp_port ? o->dhcp_port : DHCP_PORT_SERVER,
                        o->dhcp_bind_interface ? " of " : "",
                        o->dhcp_bind_interface ? o->dhcp_bind_interface : "", strerror(-r));
    }
    if (o->tftp_enabled) {
        r = tftp_server_new(&b->tftp, &(struct tftp_server_opts){
                                              .ipxe_dir = o->ipxe_dir,
                                              .bind_address = o->bind_address,
                                              .port = o->tftp_port,
                                              .single_port = o->tftp_single_port,
                                      });
        if (r < 0)
            return fail(ret_error, r, "TFTP: cannot serve %s on %s:%u: %s", o->ipxe_dir, bind_ip,
                        o->tftp_port, strerror(-r));
    }
    if (o->syslog_enabled) {
        r = boot_syslog_new(&b->syslog, o->bind_address, o->syslog_port, b->store, &b->counters);
        if (r < 0)
            return fail(ret_error, r, "syslog: cannot listen on %s:%u: %s", bind_ip, o->syslog_port,
                        strerror(-r));
    }
    snprintf(listen, sizeof(listen), "%s:%u", o->bind_address.s_addr ? bind_ip : "", o->http_port);
    r = httpd_new(&b->http, &(struct httpd_opts){.listen = listen});
    if (r < 0)
        return fail(ret_error, r, "HTTP: cannot listen on %s", listen);
    r = boot_http_routes(b);
    if (r < 0)
        return fail(ret_error, r, "HTTP: cannot add routes: %s", strerror(-r));
    return 0;
}

int boot_new(struct boot **ret, const struct boot_opts *opts, char **ret_error)
{
    assert_return(ret && opts, -EINVAL);
    struct boot_opts o = *opts;
    const char *err_field = NULL;
    int r;
    struct boot *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->ipxe_dir_fd = b->bootenv_dir_fd = -1;
    if (!o.ipxe_dir || !o.ipxe_dir[0])
        o.ipxe_dir = "/usr/lib/ipxe";
    if (!o.http_port)
        o.http_port = 7080;
    if (!o.tftp_port)
        o.tftp_port = 69;
    if (!o.syslog_port)
        o.syslog_port = 514;
    if (o.public_ip.s_addr == 0) {
        r = boot_netdev_ipv4(o.dhcp_bind_interface, &o.public_ip);
        if (r < 0) {
            r = fail(ret_error, r, "cannot detect the public IP from %s (%s); set --public-ip",
                     o.dhcp_bind_interface ? o.dhcp_bind_interface : "the default route",
                     strerror(-r));
            goto out;
        }
    }
    b->mode = o.dhcp_mode;
    b->dhcp_enabled = o.dhcp_enabled;
    b->dhcp_cfg = (struct dhcp_config){
            .mode = o.dhcp_mode,
            .public_ip = o.public_ip,
            .tftp_port = o.tftp_port,
            .http_port = o.http_port,
            .syslog_ip = o.syslog_enabled ? o.public_ip : (struct in_addr){0},
            /* Debian's iPXE has no embedded script: every iPXE client gets
             * the script URL, never another binary (pxe-notes). */
            .ipxe_script_for_ipxe = true,
    };
    b->ipxe_dir_fd = open(o.ipxe_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (b->ipxe_dir_fd < 0) {
        r = fail(ret_error, -errno, "--ipxe-dir %s: %s", o.ipxe_dir, strerror(errno));
        goto out;
    }
    if (o.bootenv_dir && o.bootenv_dir[0]) {
        b->bootenv_dir_fd = open(o.bootenv_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->bootenv_dir_fd < 0) {
            r = fail(ret_error, -errno, "--bootenv-dir %s: %s", o.bootenv_dir, strerror(errno));
            goto out;
        }
    }
    r = metadata_cidr_list_parse(o.trusted_proxies ? o.trusted_proxies : "", &b->trusted,
                                 &b->n_trusted);
    if (r < 0) {
        r = fail(ret_error, r, "--trusted-proxies: not a comma-separated list of CIDRs: %s",
                 o.trusted_proxies);
        goto out;
    }
    if (o.agent_key_file && (r = read_key(b, o.agent_key_file, ret_error)) < 0)
        goto out;
    (void)err_field;
    if ((r = setup_scripts(b, &o, ret_error)) < 0 || (r = setup_kube(b, &o, ret_error)) < 0 ||
        (r = setup_servers(b, &o, ret_error)) < 0)
        goto out;
    *ret = TAKE_PTR(b);
    r = 0;
out:
    boot_free(b);
    return r;
}

int boot_start(struct boot *b)
{
    int r;
    assert_return(b && !b->started, -EINVAL);
    if ((r = informer_start(b->informer)) < 0)
        return r;
    if ((r = httpd_start(b->http)) < 0)
        return r;
    if (b->dhcp && (r = dhcp_server_start(b->dhcp)) < 0)
        return r;
    if (b->tftp && (r = tftp_server_start(b->tftp)) < 0)
        return r;
    if (b->syslog && (r = boot_syslog_start(b->syslog)) < 0)
        return r;
    b->started = true;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &b->dhcp_cfg.public_ip, ip, sizeof(ip));
    log_info("started", LOG_STR("server", b->kcfg->server), LOG_STR("public_ip", ip),
             LOG_STR("dhcp", b->dhcp ? dhcp_mode_to_string(b->mode) : "off"),
             LOG_INT("dhcp_port", dhcp_server_port(b->dhcp)),
             LOG_INT("tftp_port", tftp_server_port(b->tftp)),
             LOG_INT("http_port", httpd_port(b->http)),
             LOG_INT("syslog_port", boot_syslog_port(b->syslog)),
             LOG_STR("bootenv_url", b->strs.bootenv_url),
             LOG_BOOL("agent_tokens", b->agent_key != NULL));
    return 0;
}

int boot_stop(struct boot *b)
{
    assert_return(b, -EINVAL);
    /* Servers first (they read the store), then the informer. */
    if (b->dhcp)
        (void)dhcp_server_stop(b->dhcp);
    if (b->tftp)
        (void)tftp_server_stop(b->tftp);
    if (b->syslog)
        (void)boot_syslog_stop(b->syslog);
    b->http = httpd_free(b->http);
    if (b->informer)
        (void)informer_stop(b->informer);
    b->started = false;
    return 0;
}

struct boot *boot_free(struct boot *b)
{
    if (!b)
        return NULL;
    (void)boot_stop(b);
    dhcp_server_free(b->dhcp);
    tftp_server_free(b->tftp);
    boot_syslog_free(b->syslog);
    informer_free(b->informer);
    boot_cache_free(b->cache); /* after the DHCP thread and the handlers stopped */
    informer_source_free(b->source);
    store_unref(b->store);
    kube_client_free(b->client);
    kube_config_free(b->kcfg);
    if (b->ipxe_dir_fd >= 0)
        close(b->ipxe_dir_fd);
    if (b->bootenv_dir_fd >= 0)
        close(b->bootenv_dir_fd);
    free(b->trusted);
    if (b->agent_key)
        explicit_bzero(b->agent_key, b->agent_key_len);
    free(b->agent_key);
    free(b->static_script);
    free(b->strs.bootenv_url);
    free(b->strs.gateway_addr);
    free(b->strs.syslog_host);
    free(b->strs.extra_args_buf);
    free(b->strs.extra_args);
    free(b);
    return NULL;
}
