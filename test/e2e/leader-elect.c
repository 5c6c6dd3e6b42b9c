/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process-level driver for pkg/leader: one election candidate against the
 * API server a kubeconfig names. Prints one line per transition on stdout:
 *
 *     leading <identity>     this process acquired the Lease
 *     stopped <identity>     this process stopped leading
 *     leader <identity>      a new holder was observed (any process)
 *
 * SIGTERM or SIGINT releases the Lease (empty holderIdentity) and exits 0.
 *
 *   leader-elect --kubeconfig F [--namespace default] [--name anvil-e2e]
 *                [--identity ID] [--lease-duration 15s] [--renew-deadline 10s]
 *                [--retry-period 2s]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "kube/kube.h"
#include "leader/leader.h"
#include "log/log.h"

struct flags {
    const char *kubeconfig;
    const char *ns;
    const char *name;
    const char *identity;
    uint64_t lease_ms, renew_ms, retry_ms;
};

/* "15s", "500ms" or a plain number of seconds. 0 or -EINVAL. */
static int parse_duration(const char *s, uint64_t *ret)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v > 86400000ULL)
        return -EINVAL;
    if (strcmp(end, "ms") == 0)
        *ret = v;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        *ret = v * 1000u;
    else
        return -EINVAL;
    return 0;
}

static void say(const char *what, const char *identity)
{
    /* one write per line, so lines from two threads never interleave */
    dprintf(STDOUT_FILENO, "%s %s\n", what, identity);
}

struct ctx {
    const char *identity;
};

static void on_started(void *userdata)
{
    struct ctx *c = userdata;
    say("leading", c->identity);
}

static void on_stopped(void *userdata)
{
    struct ctx *c = userdata;
    say("stopped", c->identity);
}

static void on_new_leader(const char *identity, void *userdata)
{
    (void)userdata;
    say("leader", identity);
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
    static const struct option options[] = {
            {"kubeconfig", required_argument, NULL, 'k'},
            {"namespace", required_argument, NULL, 'n'},
            {"name", required_argument, NULL, 'N'},
            {"identity", required_argument, NULL, 'i'},
            {"lease-duration", required_argument, NULL, 'l'},
            {"renew-deadline", required_argument, NULL, 'r'},
            {"retry-period", required_argument, NULL, 'p'},
            {"help", no_argument, NULL, 'h'},
            {0},
    };
    *f = (struct flags){.ns = "default", .name = "anvil-e2e"};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
        int r = 0;
        switch (c) {
        case 'k':
            f->kubeconfig = optarg;
            break;
        case 'n':
            f->ns = optarg;
            break;
        case 'N':
            f->name = optarg;
            break;
        case 'i':
            f->identity = optarg;
            break;
        case 'l':
            r = parse_duration(optarg, &f->lease_ms);
            break;
        case 'r':
            r = parse_duration(optarg, &f->renew_ms);
            break;
        case 'p':
            r = parse_duration(optarg, &f->retry_ms);
            break;
        case 'h':
            printf("usage: leader-elect --kubeconfig F [--namespace NS] [--name LEASE] "
                   "[--identity ID] [--lease-duration 15s] [--renew-deadline 10s] "
                   "[--retry-period 2s]\n");
            exit(0);
        default:
            return -EINVAL;
        }
        if (r < 0) {
            fprintf(stderr, "leader-elect: invalid duration: %s\n", optarg);
            return r;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "leader-elect: unexpected argument: %s\n", argv[optind]);
        return -EINVAL;
    }
    return 0;
}

static int run(const struct flags *f, const sigset_t *signals)
{
    _cleanup_free_ char *error = NULL;
    struct kube_config *cfg = NULL;
    struct kube_client *client = NULL;
    _cleanup_lease_kube_ struct lease_kube *lk = NULL;
    _cleanup_lease_ struct lease_elector *e = NULL;
    struct ctx ctx = {0};
    struct lease_lock lock;
    int sig = 0;

    int r = kube_config_load(&(struct kube_config_opts){.kubeconfig = f->kubeconfig}, &cfg, &error);
    if (r < 0) {
        fprintf(stderr, "leader-elect: %s\n", error ? error : log_strerror(r));
        return r;
    }
    /* Requests end before lease duration - renew deadline (see leader.h). */
    r = kube_client_new(&client, cfg, &(struct kube_client_opts){.timeout_ms = 4000});
    kube_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "leader-elect: client: %s\n", log_strerror(r));
        return r;
    }
    r = lease_kube_new(&lk, client, f->ns, f->name);
    if (r >= 0) {
        lease_kube_lock(lk, &lock);
        r = lease_new(&e, &lock,
                      &(struct lease_opts){
                              .identity = f->identity,
                              .lease_duration_ms = f->lease_ms,
                              .renew_deadline_ms = f->renew_ms,
                              .retry_period_ms = f->retry_ms,
                              .callbacks = &(struct lease_callbacks){.started_leading = on_started,
                                                                     .stopped_leading = on_stopped,
                                                                     .new_leader = on_new_leader,
                                                                     .userdata = &ctx},
                      });
    }
    if (r >= 0) {
        ctx.identity = lease_identity(e);
        say("candidate", ctx.identity);
        r = lease_start(e);
    }
    if (r < 0) {
        fprintf(stderr, "leader-elect: %s\n", log_strerror(r));
        e = lease_free(e);
        lk = lease_kube_free(lk);
        kube_client_free(client);
        return r;
    }

    (void)sigwait(signals, &sig);
    r = lease_release(e);
    if (r < 0)
        fprintf(stderr, "leader-elect: release: %s\n", log_strerror(r));
    say("exiting", ctx.identity);
    e = lease_free(e);
    lk = lease_kube_free(lk);
    kube_client_free(client);
    return 0;
}

int main(int argc, char **argv)
{
    struct flags f;
    sigset_t signals;

    if (parse_flags(argc, argv, &f) < 0)
        return 2;
    /* Blocked before any thread starts, so only sigwait() sees them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &signals, NULL) != 0)
        return 1;
    return run(&f, &signals) < 0 ? 1 : 0;
}
