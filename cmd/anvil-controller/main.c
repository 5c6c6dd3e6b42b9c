/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-controller: flags, wiring, signals and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#define LOG_COMPONENT "controller"
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
            "  --log-format text|json        log format (default text)\n"
            "  --log-level LEVEL             debug, info, warn, error (default info)\n"
            "  --help                        show this help\n");
}

static int parse_long(const char *flag, const char *v, long min, long *ret)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < min) {
        fprintf(stderr, "anvil-controller: invalid value for %s: %s\n", flag, v);
        return -EINVAL;
    }
    *ret = x;
    return 0;
}

static int parse_bool(const char *flag, const char *v, bool *ret)
{
    if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *ret = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *ret = false;
        return 0;
    }
    fprintf(stderr, "anvil-controller: invalid value for %s: %s (true or false)\n", flag, v);
    return -EINVAL;
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
            {NULL, 0, NULL, 0},
    };
    struct controller_opts o = {
            .kube_qps = 50,
            .kube_burst = 100,
            .http_listen = ":8081",
            .leader_elect = true,
            .leader_election_id = "anvil-controller",
    };
    long n;
    int c;
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
            if (parse_bool("--leader-elect", optarg, &o.leader_elect) < 0)
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

    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    struct controller *ctl = NULL;
    char *err = NULL;
    int r = controller_new(&ctl, &o, &err);
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
