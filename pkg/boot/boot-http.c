/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-boot's HTTP routes: iPXE binaries and scripts, boot environment,
 * metadata, health and metrics. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_COMPONENT "boot"
#include "agentproto/agentproto.h"
#include "base/json-cleanup.h"
#include "boot/boot-internal.h"
#include "httpd/httpd.h"
#include "informer/informer.h"
#include "ipxe/ipxe.h"
#include "log/log.h"
#include "metadata/metadata.h"
#include "tftp/tftp.h"

static void count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static int reply_text(struct httpd_response *resp, int status, const char *text)
{
    resp->status = status;
    buf_reset(&resp->body);
    return buf_append_str(&resp->body, text);
}

static int not_found(struct boot *b, struct httpd_response *resp, const char *text)
{
    count(&b->counters.http_not_found);
    return reply_text(resp, 404, text);
}

/* Opens name under dir_fd and makes it the response body. */
static int serve_file(struct boot *b,
                      int dir_fd,
                      const char *name,
                      const struct httpd_request *req,
                      struct httpd_response *resp)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return not_found(b, resp, "file not found\n");
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_found(b, resp, "file not found\n");
    }
    resp->content_type = "application/octet-stream";
    return httpd_response_file(resp, req->range, fd, (uint64_t)st.st_size);
}

static int handle_binary(struct boot *b,
                         const struct boot_path *p,
                         const struct httpd_request *req,
                         struct httpd_response *resp)
{
    enum tftp_root root;
    _cleanup_free_ char *file = NULL;
    /* The same policy as TFTP: Debian's binaries by base name, so
     * <mac>/ipxe.efi works; traversal and odd bytes are refused. */
    int r = tftp_path_map(NULL, p->rest, strlen(p->rest), &root, &file);
    if (r == -EACCES)
        return reply_text(resp, 403, "forbidden\n");
    if (r < 0 || root != TFTP_ROOT_IPXE)
        return not_found(b, resp, "no such iPXE binary\n");
    return serve_file(b, b->ipxe_dir_fd, file, req, resp);
}

/* The MAC of the Hardware interface whose address is the client's. */
static int mac_by_client_ip(struct boot *b, const struct httpd_request *req, char mac[18])
{
    char ipstr[METADATA_IP_STRLEN];
    _cleanup_json_ json_t *list = NULL;
    size_t i;
    json_t *iface;
    if (boot_request_client_ip(b, req, ipstr) < 0)
        return -ENOENT;
    if (store_by_index(b->store, STORE_INDEX_IP, ipstr, &list) < 0 || json_array_size(list) == 0)
        return -ENOENT;
    json_t *ifaces =
            json_object_get(json_object_get(json_array_get(list, 0), "spec"), "interfaces");
    json_array_foreach(ifaces, i, iface) {
        const json_t *dhcp = json_object_get(iface, "dhcp");
        const char *a = json_string_value(json_object_get(json_object_get(dhcp, "ip"), "address"));
        const char *m = json_string_value(json_object_get(dhcp, "mac"));
        uint8_t raw[DHCP_ETHER_ADDR_LEN];
        if (a && m && strcmp(a, ipstr) == 0 && boot_mac_parse(m, raw) == 0) {
            boot_mac_format(raw, mac);
            return 0;
        }
    }
    return -ENOENT;
}

/* Lifetime of a per-boot token: long enough for a slow boot and a long
 * workflow on the same boot. */
#define TOKEN_TTL_SECONDS (24 * 3600)

/* The per-boot anvil_token= for worker_id, or NULL without a key. */
static int mint_token(struct boot *b, const char *worker_id, char **ret)
{
    *ret = NULL;
    if (!b->agent_key)
        return 0;
    return agentproto_token_mint(b->agent_key, b->agent_key_len, worker_id,
                                 (int64_t)time(NULL) + TOKEN_TTL_SECONDS, ret);
}

static int script_for_mac(struct boot *b, const char *mac, char **ret_script, const char **field)
{
    _cleanup_json_ json_t *list = NULL;
    _cleanup_free_ char *token = NULL;
    struct ipxe_config cfg;
    int r = store_by_index(b->store, STORE_INDEX_MAC, mac, &list);
    if (r < 0)
        return r;
    if (json_array_size(list) == 0)
        return -ENOENT;
    if (json_array_size(list) > 1)
        return -ENOTUNIQ;
    const json_t *hw = json_array_get(list, 0);
    /* worker_id is spec.agentID when set, else the MAC (compat §5.4). */
    const char *agent = json_string_value(json_object_get(json_object_get(hw, "spec"), "agentID"));
    if ((r = mint_token(b, agent && agent[0] ? agent : mac, &token)) < 0)
        return r;
    boot_ipxe_config(b, &cfg);
    cfg.token = token;
    return ipxe_script_hardware(hw, mac, &cfg, ret_script, field);
}

/* The static script for an unknown machine. With a key and the MAC in the
 * path, it carries a token for worker_id=<mac>; otherwise the cached one. */
static int static_script(struct boot *b, const char *mac, char **ret, const char **field)
{
    _cleanup_free_ char *token = NULL;
    struct ipxe_config cfg;
    int r;
    if (!b->agent_key || !mac[0]) {
        *ret = strdup(b->static_script);
        return *ret ? 0 : -ENOMEM;
    }
    if ((r = mint_token(b, mac, &token)) < 0)
        return r;
    boot_ipxe_config(b, &cfg);
    cfg.token = token;
    return ipxe_script_static(&cfg, ret, field);
}

static int handle_script(struct boot *b,
                         const struct boot_path *p,
                         const struct httpd_request *req,
                         struct httpd_response *resp)
{
    char mac[18];
    _cleanup_free_ char *script = NULL;
    const char *field = NULL;
    int r = 0;

    snprintf(mac, sizeof(mac), "%s", p->mac);
    if (!mac[0])
        r = mac_by_client_ip(b, req, mac);
    if (r == 0)
        r = script_for_mac(b, mac, &script, &field);
    if (r == -ENOENT || r == -ENODATA) {
        /* No Hardware for this machine: 404, except in auto-proxy mode
         * where unknown machines boot the static script (compat §5.4). */
        if (b->mode != DHCP_MODE_AUTO_PROXY || !b->static_script)
            return not_found(b, resp, "no hardware found\n");
        r = static_script(b, p->mac, &script, &field);
        if (r == 0) {
            count(&b->counters.scripts_static);
            /* mac is empty when the client address named no Hardware. */
            log_info("static iPXE script served", LOG_STR("mac", mac[0] ? mac : "unknown"),
                     LOG_STR("peer", req->peer));
            resp->content_type = "text/plain; charset=utf-8";
            return buf_append_str(&resp->body, script);
        }
    }
    if (r == -EPERM)
        return not_found(b, resp, "netboot not allowed\n");
    if (r < 0) {
        count(&b->counters.http_errors);
        log_warn("cannot build the iPXE script", LOG_STR("mac", mac),
                 LOG_STR("field", field ? field : ""), LOG_ERRNO(r));
        return reply_text(resp, 500, "cannot build the script for this hardware\n");
    }
    count(&b->counters.scripts_hardware);
    log_info("iPXE script served", LOG_STR("mac", mac), LOG_STR("peer", req->peer));
    resp->content_type = "text/plain; charset=utf-8";
    return buf_append_str(&resp->body, script);
}

static int handle_boot(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    struct boot *b = userdata;
    struct boot_path p;
    int r = boot_path_parse(req->path, &p);
    if (r == -EACCES)
        return reply_text(resp, 403, "forbidden\n");
    if (r < 0)
        return not_found(b, resp, "404 page not found\n");
    count(&b->counters.http[p.route]);
    switch (p.route) {
    case BOOT_ROUTE_BINARY:
        return handle_binary(b, &p, req, resp);
    case BOOT_ROUTE_SCRIPT:
        return handle_script(b, &p, req, resp);
    case BOOT_ROUTE_BOOTENV:
        if (b->bootenv_dir_fd < 0)
            return not_found(b, resp, "no boot environment directory is served\n");
        return serve_file(b, b->bootenv_dir_fd, p.rest, req, resp);
    case BOOT_ROUTE_METADATA:
        return boot_metadata_handle(b, &p, req, resp);
    default:
        return not_found(b, resp, "404 page not found\n");
    }
}

static int
handle_healthz(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    (void)userdata;
    (void)req;
    return buf_append_str(&resp->body, "ok");
}

static int
handle_readyz(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    struct boot *b = userdata;
    (void)req;
    if (!informer_has_synced(b->informer))
        return reply_text(resp, 503, "hardware informer not synced\n");
    return buf_append_str(&resp->body, "ok");
}

static int
handle_metrics(void *userdata, const struct httpd_request *req, struct httpd_response *resp)
{
    (void)req;
    resp->content_type = "text/plain; version=0.0.4";
    return boot_metrics_write(userdata, &resp->body);
}

int boot_http_routes(struct boot *b)
{
    int r;
    if ((r = httpd_route(b->http, "/healthz", handle_healthz, b)) < 0 ||
        (r = httpd_route(b->http, "/livez", handle_healthz, b)) < 0 ||
        (r = httpd_route(b->http, "/readyz", handle_readyz, b)) < 0 ||
        (r = httpd_route(b->http, "/metrics", handle_metrics, b)) < 0 ||
        (r = httpd_route(b->http, "/ipxe/", handle_boot, b)) < 0 ||
        (r = httpd_route(b->http, "/bootenv/", handle_boot, b)) < 0 ||
        (r = httpd_route(b->http, "/2009-04-04", handle_boot, b)) < 0 ||
        (r = httpd_route(b->http, "/2009-04-04/", handle_boot, b)) < 0)
        return r;
    return 0;
}
