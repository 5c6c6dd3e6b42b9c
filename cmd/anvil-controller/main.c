/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-controller: flags, wiring, signals and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define LOG_COMPONENT "controller"
#include "base/flag.h"
#include "controller/controller.h"
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
            "Usage: anvil-controller [OPTIONS]\n"
            "Reconciles tinkerbell.org Workflows and serves the agent gateway.\n\n"
            "  --kubeconfig FILE             kubeconfig (else $KUBECONFIG, in-cluster, ~/.kube/config)\n"
            "  --namespace NS                watch only this namespace (default: all)\n"
            "  --kube-qps N                  client-side request rate (default 50)\n"
            "  --kube-burst N                client-side burst (default 100)\n"
            "  --http-listen ADDR:PORT       /metrics, /healthz, /readyz (default :8081)\n"
            "  --leader-elect=true|false     elect a leader with a Lease (default true)\n"
            "  --leader-election-namespace NS  namespace of the Lease (default: the kubeconfig's)\n"
            "  --leader-election-id NAME     Lease name (default anvil-controller)\n"
            "  --identity ID                 this replica's identity (default hostname_random)\n"
            "  --gateway-listen ADDR:PORT    agent gateway, WebSocket /v1/agent (default :42113;\n"
            "                                \"off\" disables it)\n"
            "  --gateway-tls-cert FILE       serve the gateway over TLS with this certificate\n"
            "  --gateway-tls-key FILE        ... and this key\n"
            "  --agent-auth token|none       require agent tokens (default token)\n"
            "  --agent-key-file FILE         the agent key (same file as anvil-boot's)\n"
            "  --agent-key-secret NS/NAME    or the Secret holding it (data key agent-key)\n"
            "  --auto-discovery[=BOOL]       create Hardware for unknown agents (default false)\n"
            "  --auto-discovery-namespace NS where discovered Hardware goes (default default)\n"
            "  --auto-enrollment[=BOOL]      enroll agents by WorkflowRuleSet (default false)\n"
            "  --auto-discovery-auto-enrollment[=BOOL]\n"
            "                                discovered Hardware has enrollment enabled\n"
            "  --auto-enrollment-approval auto|manual\n"
            "                                manual: discovered Hardware waits for approval\n"
            "  --bmc-poll-interval SECONDS   BMC power/Contactable refresh per Machine (default 300)\n"
            "  --bmc-inventory-interval SECONDS\n"
            "                                outOfBand inventory refresh (default 86400)\n"
            "  --bmc-connect-timeout MS      per BMC connection attempt (default 10000)\n"
            "  --bmc-workers N               concurrent BMC conversations (default 8)\n"
            "  --bmc-onboard=true|false      create Hardware for Machines without one (default true)\n"
            "  --log-format text|json        log format (default text)\n"
            "  --log-level LEVEL             debug, info, warn, error (default info)\n"
            "  --help                        show this help\n\n"
            "anvil-controller mint-token --agent-id ID [--ttl SECONDS] (--agent-key-file F |\n"
            "    --agent-key-secret NS/NAME [--kubeconfig F])\n"
            "  prints an agent token (default lifetime 86400 s)\n");
}

static int parse_long(const char *flag, const char *v, long min, long *ret)
{
    long long x;
    int r = base_flag_int(flag, v, min, LONG_MAX, NULL, &x);
    if (r == 0)
        *ret = (long)x;
    return r;
}

int main(int argc, char **argv)
{
    enum {
        OPT_KUBECONFIG = 1000,
        OPT_NAMESPACE,
        OPT_QPS,
        OPT_BURST,
        OPT_HTTP,
        OPT_LEADER,
        OPT_LEADER_NS,
        OPT_LEADER_ID,
        OPT_IDENTITY,
        OPT_LOGFMT,
        OPT_LOGLEVEL,
        OPT_HELP,
        OPT_GW_LISTEN,
        OPT_GW_CERT,
        OPT_GW_KEY,
        OPT_AGENT_AUTH,
        OPT_AGENT_KEY_FILE,
        OPT_AGENT_KEY_SECRET,
        OPT_DISCOVERY,
        OPT_DISCOVERY_NS,
        OPT_ENROLLMENT,
        OPT_DISCOVERY_ENROLLMENT,
        OPT_APPROVAL,
        OPT_AGENT_ID,
        OPT_TTL,
        OPT_BMC_POLL,
        OPT_BMC_INVENTORY,
        OPT_BMC_CONNECT,
        OPT_BMC_WORKERS,
        OPT_BMC_ONBOARD,
    };
    static const struct option longopts[] = {
            {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
            {"namespace", required_argument, NULL, OPT_NAMESPACE},
            {"kube-qps", required_argument, NULL, OPT_QPS},
            {"kube-burst", required_argument, NULL, OPT_BURST},
            {"http-listen", required_argument, NULL, OPT_HTTP},
            {"leader-elect", optional_argument, NULL, OPT_LEADER},
            {"leader-election-namespace", required_argument, NULL, OPT_LEADER_NS},
            {"leader-election-id", required_argument, NULL, OPT_LEADER_ID},
            {"identity", required_argument, NULL, OPT_IDENTITY},
            {"log-format", required_argument, NULL, OPT_LOGFMT},
            {"log-level", required_argument, NULL, OPT_LOGLEVEL},
            {"help", no_argument, NULL, OPT_HELP},
            {"gateway-listen", required_argument, NULL, OPT_GW_LISTEN},
            {"gateway-tls-cert", required_argument, NULL, OPT_GW_CERT},
            {"gateway-tls-key", required_argument, NULL, OPT_GW_KEY},
            {"agent-auth", required_argument, NULL, OPT_AGENT_AUTH},
            {"agent-key-file", required_argument, NULL, OPT_AGENT_KEY_FILE},
            {"agent-key-secret", required_argument, NULL, OPT_AGENT_KEY_SECRET},
            {"auto-discovery", optional_argument, NULL, OPT_DISCOVERY},
            {"auto-discovery-namespace", required_argument, NULL, OPT_DISCOVERY_NS},
            {"auto-enrollment", optional_argument, NULL, OPT_ENROLLMENT},
            {"auto-discovery-auto-enrollment", optional_argument, NULL, OPT_DISCOVERY_ENROLLMENT},
            {"auto-enrollment-approval", required_argument, NULL, OPT_APPROVAL},
            {"agent-id", required_argument, NULL, OPT_AGENT_ID},
            {"ttl", required_argument, NULL, OPT_TTL},
            {"bmc-poll-interval", required_argument, NULL, OPT_BMC_POLL},
            {"bmc-inventory-interval", required_argument, NULL, OPT_BMC_INVENTORY},
            {"bmc-connect-timeout", required_argument, NULL, OPT_BMC_CONNECT},
            {"bmc-workers", required_argument, NULL, OPT_BMC_WORKERS},
            {"bmc-onboard", optional_argument, NULL, OPT_BMC_ONBOARD},
            {NULL, 0, NULL, 0},
    };
    struct controller_opts o = {
            .kube_qps = 50,
            .kube_burst = 100,
            .http_listen = ":8081",
            .leader_elect = true,
            .leader_election_id = "anvil-controller",
            .gateway_listen = ":42113",
            .auto_discovery_namespace = "default",
    };
    const char *agent_id = NULL;
    long n, ttl = 86400;
    int c;
    bool mint = argc > 1 && strcmp(argv[1], "mint-token") == 0;
    if (mint) { /* the subcommand: parse the flags after it */
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_KUBECONFIG:
            o.kubeconfig = optarg;
            break;
        case OPT_NAMESPACE:
            o.namespace_ = optarg;
            break;
        case OPT_QPS:
            if (parse_long("--kube-qps", optarg, 1, &n) < 0)
                return 2;
            o.kube_qps = (double)n;
            break;
        case OPT_BURST:
            if (parse_long("--kube-burst", optarg, 1, &n) < 0)
                return 2;
            o.kube_burst = (int)n;
            break;
        case OPT_HTTP:
            o.http_listen = optarg;
            break;
        case OPT_LEADER:
            if (base_flag_bool("--leader-elect", optarg, &o.leader_elect) < 0)
                return 2;
            break;
        case OPT_LEADER_NS:
            o.leader_election_namespace = optarg;
            break;
        case OPT_LEADER_ID:
            o.leader_election_id = optarg;
            break;
        case OPT_IDENTITY:
            o.identity = optarg;
            break;
        case OPT_LOGFMT: {
            enum log_format f;
            if (log_format_from_string(optarg, &f) < 0) {
                fprintf(stderr, "anvil-controller: invalid --log-format: %s (text or json)\n",
                        optarg);
                return 2;
            }
            log_set_format(f);
            break;
        }
        case OPT_LOGLEVEL: {
            enum log_level l;
            if (log_level_from_string(optarg, &l) < 0) {
                fprintf(stderr, "anvil-controller: invalid --log-level: %s\n", optarg);
                return 2;
            }
            log_set_level(l);
            break;
        }
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_GW_LISTEN:
            o.gateway_listen = strcmp(optarg, "off") == 0 ? NULL : optarg;
            break;
        case OPT_GW_CERT:
            o.gateway_tls_cert = optarg;
            break;
        case OPT_GW_KEY:
            o.gateway_tls_key = optarg;
            break;
        case OPT_AGENT_AUTH:
            if (strcmp(optarg, "token") != 0 && strcmp(optarg, "none") != 0) {
                fprintf(stderr, "anvil-controller: invalid --agent-auth: %s (token or none)\n",
                        optarg);
                return 2;
            }
            o.agent_auth_none = strcmp(optarg, "none") == 0;
            break;
        case OPT_AGENT_KEY_FILE:
            o.agent_key_file = optarg;
            break;
        case OPT_AGENT_KEY_SECRET:
            o.agent_key_secret = optarg;
            break;
        case OPT_DISCOVERY:
            if (base_flag_bool("--auto-discovery", optarg, &o.auto_discovery) < 0)
                return 2;
            break;
        case OPT_DISCOVERY_NS:
            o.auto_discovery_namespace = optarg;
            break;
        case OPT_ENROLLMENT:
            if (base_flag_bool("--auto-enrollment", optarg, &o.auto_enrollment) < 0)
                return 2;
            break;
        case OPT_DISCOVERY_ENROLLMENT:
            if (base_flag_bool("--auto-discovery-auto-enrollment", optarg,
                           &o.auto_discovery_auto_enrollment) < 0)
                return 2;
            break;
        case OPT_APPROVAL:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "manual") != 0) {
                fprintf(stderr,
                        "anvil-controller: invalid --auto-enrollment-approval: %s (auto or "
                        "manual)\n",
                        optarg);
                return 2;
            }
            o.approval_manual = strcmp(optarg, "manual") == 0;
            break;
        case OPT_BMC_POLL:
        case OPT_BMC_INVENTORY:
        case OPT_BMC_CONNECT:
        case OPT_BMC_WORKERS: {
            long v;
            const char *flag = c == OPT_BMC_POLL        ? "--bmc-poll-interval"
                               : c == OPT_BMC_INVENTORY ? "--bmc-inventory-interval"
                               : c == OPT_BMC_CONNECT   ? "--bmc-connect-timeout"
                                                        : "--bmc-workers";
            if (parse_long(flag, optarg, 1, &v) < 0)
                return 2;
            if (c == OPT_BMC_POLL)
                o.bmc_poll_interval_s = v;
            else if (c == OPT_BMC_INVENTORY)
                o.bmc_inventory_interval_s = v;
            else if (c == OPT_BMC_CONNECT)
                o.bmc_connect_timeout_ms = v;
            else
                o.bmc_workers = (int)(v > 64 ? 64 : v);
            break;
        }
        case OPT_BMC_ONBOARD: {
            bool on;
            if (base_flag_bool("--bmc-onboard", optarg, &on) < 0)
                return 2;
            o.bmc_onboard_disabled = !on;
            break;
        }
        case OPT_AGENT_ID:
            agent_id = optarg;
            break;
        case OPT_TTL:
            if (parse_long("--ttl", optarg, 1, &ttl) < 0)
                return 2;
            break;
        default:
            fprintf(stderr, "anvil-controller: unknown or incomplete option: %s (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "anvil-controller: unexpected argument: %s\n", argv[optind]);
        return 2;
    }

    if (!mint && (agent_id || ttl != 86400)) {
        fprintf(stderr, "anvil-controller: --agent-id and --ttl belong to mint-token\n");
        return 2;
    }
    if (o.gateway_tls_cert && !o.gateway_tls_key) {
        fprintf(stderr, "anvil-controller: --gateway-tls-cert needs --gateway-tls-key\n");
        return 2;
    }
    if (o.gateway_tls_key && !o.gateway_tls_cert) {
        fprintf(stderr, "anvil-controller: --gateway-tls-key needs --gateway-tls-cert\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    char *err = NULL;
    int r;
    if (mint) {
        char *token = NULL;
        if (!agent_id) {
            fprintf(stderr, "anvil-controller: mint-token needs --agent-id\n");
            return 2;
        }
        r = controller_mint_token(&o, agent_id, (int64_t)time(NULL) + ttl, &token, &err);
        curl_global_cleanup();
        if (r < 0) {
            fprintf(stderr, "anvil-controller: %s\n", err ? err : strerror(-r));
            free(err);
            return 1;
        }
        printf("%s\n", token);
        free(token);
        return 0;
    }
    struct controller *ctl = NULL;
    r = controller_new(&ctl, &o, &err);
    if (r < 0) {
        fprintf(stderr, "anvil-controller: %s\n", err ? err : strerror(-r));
        free(err);
        curl_global_cleanup();
        return 1;
    }
    /* Signals stay blocked except inside sigsuspend, so none is lost
     * between the check and the wait. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    r = controller_start(ctl);
    if (r < 0) {
        log_error("start failed", LOG_ERRNO(r));
        controller_free(ctl);
        curl_global_cleanup();
        return 1;
    }
    while (!stop_requested)
        (void)sigsuspend(&old);
    log_info("stopping");
    r = controller_stop(ctl);
    controller_free(ctl);
    curl_global_cleanup();
    log_info("stopped", LOG_INT("status", r));
    return r < 0 ? 1 : 0;
}
