/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-boot: flags, wiring, signals and exit codes. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define LOG_COMPONENT "boot"
#include "base/flag.h"
#include "boot/boot.h"
#include "log/log.h"

static volatile sig_atomic_t stop_requested; /* set by the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: anvil-boot [OPTIONS]\n"
            "Network boot for tinkerbell.org Hardware: DHCP, TFTP, HTTP (iPXE, metadata), "
            "syslog.\n\n"
            "  --kubeconfig FILE          kubeconfig (else $KUBECONFIG, in-cluster, "
            "~/.kube/config)\n"
            "  --namespace NS             watch Hardware in this namespace only (default: all)\n"
            "  --dhcp-enabled=true|false  serve DHCP (default true)\n"
            "  --dhcp-mode MODE           reservation, proxy or auto-proxy (default reservation)\n"
            "  --dhcp-bind-interface IF   answer DHCP on this interface only (default: all)\n"
            "  --dhcp-port PORT           DHCP server port (default 67)\n"
            "  --dhcp-stale-ms MS         under overload, drop DISCOVERs that waited longer than "
            "MS\n"
            "                             in the socket queue (default 500; 0 = never)\n"
            "  --public-ip IP             address put in replies and URLs (default: the address "
            "of\n"
            "                             --dhcp-bind-interface, else of the default route's "
            "interface)\n"
            "  --bind-address IP          HTTP, TFTP and syslog listen address (default: all)\n"
            "  --http-port PORT           HTTP port (default 7080)\n"
            "  --tftp-enabled=true|false  serve TFTP (default true)\n"
            "  --tftp-port PORT           TFTP port (default 69)\n"
            "  --tftp-single-port         answer TFTP from the listening port (no ephemeral "
            "ports)\n"
            "  --syslog-enabled=true|false  receive syslog (default true)\n"
            "  --syslog-port PORT         syslog port (default 514)\n"
            "  --gateway-addr HOST:PORT   grpc_authority= for workers (default <public-ip>:42113)\n"
            "  --tinkerbell-tls           tinkerbell_tls=true for workers\n"
            "  --bootenv-url URL          where vmlinuz-<arch>/initramfs-<arch> are fetched from\n"
            "                             (default http://<public-ip>:<http-port>/bootenv)\n"
            "  --bootenv-dir DIR          serve DIR under /bootenv/ (with Range support)\n"
            "  --ipxe-dir DIR             iPXE binaries (default /usr/lib/ipxe)\n"
            "  --extra-kernel-args ARGS   appended to the kernel command line (space-separated)\n"
            "  --trusted-proxies CIDRS    proxies whose X-Forwarded-For is believed "
            "(comma-separated)\n"
            "  --agent-key-file FILE      key for the per-boot anvil_token= kernel argument\n"
            "  --log-format text|json     log format (default text)\n"
            "  --log-level LEVEL          debug, info, warn, error (default info)\n"
            "  --help                     show this help\n");
}

static int parse_port(const char *flag, const char *v, uint16_t *ret)
{
    long long x;
    int r = base_flag_int(flag, v, 1, 65535, "a port 1..65535", &x);
    if (r == 0)
        *ret = (uint16_t)x;
    return r;
}

static int parse_stale_ms(const char *flag, const char *v, int *ret)
{
    long long x;
    int r = base_flag_int(flag, v, 0, 600000, "milliseconds 0..600000 (0 = never)", &x);
    if (r == 0)
        *ret = x == 0 ? -1 : (int)x;
    return r;
}

static int parse_ip(const char *flag, const char *v, struct in_addr *ret)
{
    if (inet_pton(AF_INET, v, ret) != 1)
        return base_flag_invalid(flag, v, "an IPv4 address");
    return 0;
}

enum {
    OPT_KUBECONFIG = 1000,
    OPT_NAMESPACE,
    OPT_DHCP_ENABLED,
    OPT_DHCP_MODE,
    OPT_DHCP_IFACE,
    OPT_DHCP_PORT,
    OPT_DHCP_STALE,
    OPT_PUBLIC_IP,
    OPT_BIND,
    OPT_HTTP_PORT,
    OPT_TFTP_ENABLED,
    OPT_TFTP_PORT,
    OPT_TFTP_SINGLE,
    OPT_SYSLOG_ENABLED,
    OPT_SYSLOG_PORT,
    OPT_GATEWAY,
    OPT_TLS,
    OPT_BOOTENV_URL,
    OPT_BOOTENV_DIR,
    OPT_IPXE_DIR,
    OPT_EXTRA_ARGS,
    OPT_TRUSTED,
    OPT_AGENT_KEY,
    OPT_LOGFMT,
    OPT_LOGLEVEL,
    OPT_HELP,
};

static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"namespace", required_argument, NULL, OPT_NAMESPACE},
        {"dhcp-enabled", optional_argument, NULL, OPT_DHCP_ENABLED},
        {"dhcp-mode", required_argument, NULL, OPT_DHCP_MODE},
        {"dhcp-bind-interface", required_argument, NULL, OPT_DHCP_IFACE},
        {"dhcp-port", required_argument, NULL, OPT_DHCP_PORT},
        {"dhcp-stale-ms", required_argument, NULL, OPT_DHCP_STALE},
        {"public-ip", required_argument, NULL, OPT_PUBLIC_IP},
        {"bind-address", required_argument, NULL, OPT_BIND},
        {"http-port", required_argument, NULL, OPT_HTTP_PORT},
        {"tftp-enabled", optional_argument, NULL, OPT_TFTP_ENABLED},
        {"tftp-port", required_argument, NULL, OPT_TFTP_PORT},
        {"tftp-single-port", optional_argument, NULL, OPT_TFTP_SINGLE},
        {"syslog-enabled", optional_argument, NULL, OPT_SYSLOG_ENABLED},
        {"syslog-port", required_argument, NULL, OPT_SYSLOG_PORT},
        {"gateway-addr", required_argument, NULL, OPT_GATEWAY},
        {"tinkerbell-tls", optional_argument, NULL, OPT_TLS},
        {"bootenv-url", required_argument, NULL, OPT_BOOTENV_URL},
        {"bootenv-dir", required_argument, NULL, OPT_BOOTENV_DIR},
        {"ipxe-dir", required_argument, NULL, OPT_IPXE_DIR},
        {"extra-kernel-args", required_argument, NULL, OPT_EXTRA_ARGS},
        {"trusted-proxies", required_argument, NULL, OPT_TRUSTED},
        {"agent-key-file", required_argument, NULL, OPT_AGENT_KEY},
        {"log-format", required_argument, NULL, OPT_LOGFMT},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

/* Applies one option to o. Returns 0, 1 (help printed: exit 0) or -EINVAL. */
static int apply(int c, const char *arg, struct boot_opts *o)
{
    enum log_format f;
    enum log_level l;
    switch (c) {
    case OPT_KUBECONFIG:
        o->kubeconfig = arg;
        return 0;
    case OPT_NAMESPACE:
        o->namespace_ = arg;
        return 0;
    case OPT_DHCP_ENABLED:
        return base_flag_bool("--dhcp-enabled", arg, &o->dhcp_enabled);
    case OPT_DHCP_MODE:
        return dhcp_mode_from_string(arg, &o->dhcp_mode) < 0
                       ? base_flag_invalid("--dhcp-mode", arg, "reservation, proxy or auto-proxy")
                       : 0;
    case OPT_DHCP_IFACE:
        o->dhcp_bind_interface = arg;
        return 0;
    case OPT_DHCP_PORT:
        return parse_port("--dhcp-port", arg, &o->dhcp_port);
    case OPT_DHCP_STALE:
        return parse_stale_ms("--dhcp-stale-ms", arg, &o->dhcp_stale_ms);
    case OPT_PUBLIC_IP:
        return parse_ip("--public-ip", arg, &o->public_ip);
    case OPT_BIND:
        return parse_ip("--bind-address", arg, &o->bind_address);
    case OPT_HTTP_PORT:
        return parse_port("--http-port", arg, &o->http_port);
    case OPT_TFTP_ENABLED:
        return base_flag_bool("--tftp-enabled", arg, &o->tftp_enabled);
    case OPT_TFTP_PORT:
        return parse_port("--tftp-port", arg, &o->tftp_port);
    case OPT_TFTP_SINGLE:
        return base_flag_bool("--tftp-single-port", arg, &o->tftp_single_port);
    case OPT_SYSLOG_ENABLED:
        return base_flag_bool("--syslog-enabled", arg, &o->syslog_enabled);
    case OPT_SYSLOG_PORT:
        return parse_port("--syslog-port", arg, &o->syslog_port);
    case OPT_GATEWAY:
        o->gateway_addr = arg;
        return 0;
    case OPT_TLS:
        return base_flag_bool("--tinkerbell-tls", arg, &o->tinkerbell_tls);
    case OPT_BOOTENV_URL:
        o->bootenv_url = arg;
        return 0;
    case OPT_BOOTENV_DIR:
        o->bootenv_dir = arg;
        return 0;
    case OPT_IPXE_DIR:
        o->ipxe_dir = arg;
        return 0;
    case OPT_EXTRA_ARGS:
        o->extra_kernel_args = arg;
        return 0;
    case OPT_TRUSTED:
        o->trusted_proxies = arg;
        return 0;
    case OPT_AGENT_KEY:
        o->agent_key_file = arg;
        return 0;
    case OPT_LOGFMT:
        if (log_format_from_string(arg, &f) < 0)
            return base_flag_invalid("--log-format", arg, "text or json");
        log_set_format(f);
        return 0;
    case OPT_LOGLEVEL:
        if (log_level_from_string(arg, &l) < 0)
            return base_flag_invalid("--log-level", arg, "debug, info, warn or error");
        log_set_level(l);
        return 0;
    case OPT_HELP:
        usage(stdout);
        return 1;
    default:
        return -EINVAL;
    }
}

int main(int argc, char **argv)
{
    struct boot_opts o = {
            .dhcp_enabled = true,
            .dhcp_mode = DHCP_MODE_RESERVATION,
            .http_port = 7080,
            .tftp_enabled = true,
            .tftp_port = 69,
            .syslog_enabled = true,
            .syslog_port = 514,
            .ipxe_dir = "/usr/lib/ipxe",
    };
    int c, r;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            fprintf(stderr, "anvil-boot: unknown or incomplete option: %s (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
        r = apply(c, optarg, &o);
        if (r != 0)
            return r > 0 ? 0 : 2;
    }
    if (optind < argc) {
        fprintf(stderr, "anvil-boot: unexpected argument: %s\n", argv[optind]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    struct boot *b = NULL;
    char *err = NULL;
    r = boot_new(&b, &o, &err);
    if (r < 0) {
        fprintf(stderr, "anvil-boot: %s\n", err ? err : strerror(-r));
        free(err);
        curl_global_cleanup();
        return 1;
    }
    /* Signals stay blocked except inside sigsuspend, so none is lost
     * between the check and the wait; threads inherit the mask. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    r = boot_start(b);
    if (r < 0) {
        log_error("start failed", LOG_ERRNO(r));
        boot_free(b);
        curl_global_cleanup();
        return 1;
    }
    while (!stop_requested)
        (void)sigsuspend(&old);
    log_info("stopping");
    r = boot_stop(b);
    boot_free(b);
    curl_global_cleanup();
    log_info("stopped", LOG_INT("status", r));
    return r < 0 ? 1 : 0;
}
