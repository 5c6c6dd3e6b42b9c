/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-worker: flags or the kernel command line, wiring, signals and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define LOG_COMPONENT "worker"
#include "actions/actions.h"
#include "agent/agent.h"
#include "base/flag.h"
#include "base/json-cleanup.h"
#include "log/log.h"

#define WORKER_VERSION "anvil-worker/0.1"

struct flags {
    const char *gateway, *id, *token, *ca_file, *sysroot, *work_dir, *docker, *cmdline;
    int tls, tls_insecure; /* -1: not given */
    bool exit_when_done, no_reboot;
    unsigned max_actions;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: anvil-worker [OPTIONS]\n"
            "Runs the actions the anvil gateway gives this machine and reports their status.\n"
            "Without --gateway/--id, grpc_authority=, worker_id=, tinkerbell_tls=,\n"
            "tinkerbell_insecure_tls= and anvil_token= come from the kernel command line.\n\n"
            "  --gateway HOST:PORT      the gateway (IPv6 in brackets; default port 42113)\n"
            "  --id ID                  this machine's agent ID (usually its MAC)\n"
            "  --token TOKEN            the agent token (else anvil_token= when read)\n"
            "  --tls[=true|false]       connect with wss:// (TLS)\n"
            "  --tls-insecure[=true|false]  accept any server certificate\n"
            "  --ca-file FILE           CA bundle for --tls (default: the system's)\n"
            "  --cmdline FILE           kernel command line to read (default /proc/cmdline)\n"
            "  --sysroot DIR            read /proc and /sys attributes under DIR (default /)\n"
            "  --work-dir DIR           scratch directory for actions (default /tmp)\n"
            "  --docker PATH            docker or ctr for other images (default: from PATH)\n"
            "  --no-reboot              report reboot/poweroff/kexec actions, do not perform them\n"
            "  --exit-when-done         exit 0 once the gateway says idle \"done\"\n"
            "  --max-actions N          exit 0 after N actions have finished\n"
            "  --log-format text|json   log format (default text)\n"
            "  --log-level LEVEL        debug, info, warn, error (default info)\n"
            "  --help                   show this help\n");
}

/* A tri-state flag: -1 until given. */
static int parse_bool(const char *flag, const char *v, int *ret)
{
    bool b;
    int r = base_flag_bool(flag, v, &b);
    if (r == 0)
        *ret = b;
    return r;
}

static int parse_count(const char *flag, const char *v, unsigned *ret)
{
    long long x;
    int r = base_flag_int(flag, v, 1, 1000000, "a number 1..1000000", &x);
    if (r == 0)
        *ret = (unsigned)x;
    return r;
}

enum {
    OPT_GATEWAY = 1000,
    OPT_ID,
    OPT_TOKEN,
    OPT_TLS,
    OPT_TLS_INSECURE,
    OPT_CA_FILE,
    OPT_CMDLINE,
    OPT_SYSROOT,
    OPT_WORK_DIR,
    OPT_DOCKER,
    OPT_NO_REBOOT,
    OPT_EXIT_WHEN_DONE,
    OPT_MAX_ACTIONS,
    OPT_LOGFMT,
    OPT_LOGLEVEL,
    OPT_HELP,
};

static const struct option longopts[] = {
        {"gateway", required_argument, NULL, OPT_GATEWAY},
        {"id", required_argument, NULL, OPT_ID},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"tls", optional_argument, NULL, OPT_TLS},
        {"tls-insecure", optional_argument, NULL, OPT_TLS_INSECURE},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"cmdline", required_argument, NULL, OPT_CMDLINE},
        {"sysroot", required_argument, NULL, OPT_SYSROOT},
        {"work-dir", required_argument, NULL, OPT_WORK_DIR},
        {"docker", required_argument, NULL, OPT_DOCKER},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"exit-when-done", no_argument, NULL, OPT_EXIT_WHEN_DONE},
        {"max-actions", required_argument, NULL, OPT_MAX_ACTIONS},
        {"log-format", required_argument, NULL, OPT_LOGFMT},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

/* Applies one option. Returns 0, 1 (help printed: exit 0) or -EINVAL. */
static int apply(int c, const char *arg, struct flags *f)
{
    enum log_format lf;
    enum log_level ll;

    switch (c) {
    case OPT_GATEWAY:
        f->gateway = arg;
        return 0;
    case OPT_ID:
        f->id = arg;
        return 0;
    case OPT_TOKEN:
        f->token = arg;
        return 0;
    case OPT_TLS:
        return parse_bool("--tls", arg, &f->tls);
    case OPT_TLS_INSECURE:
        return parse_bool("--tls-insecure", arg, &f->tls_insecure);
    case OPT_CA_FILE:
        f->ca_file = arg;
        return 0;
    case OPT_CMDLINE:
        f->cmdline = arg;
        return 0;
    case OPT_SYSROOT:
        f->sysroot = arg;
        return 0;
    case OPT_WORK_DIR:
        f->work_dir = arg;
        return 0;
    case OPT_DOCKER:
        f->docker = arg;
        return 0;
    case OPT_NO_REBOOT:
        f->no_reboot = true;
        return 0;
    case OPT_EXIT_WHEN_DONE:
        f->exit_when_done = true;
        return 0;
    case OPT_MAX_ACTIONS:
        return parse_count("--max-actions", arg, &f->max_actions);
    case OPT_LOGFMT:
        if (log_format_from_string(arg, &lf) < 0)
            return base_flag_invalid("--log-format", arg, "text or json");
        log_set_format(lf);
        return 0;
    case OPT_LOGLEVEL:
        if (log_level_from_string(arg, &ll) < 0)
            return base_flag_invalid("--log-level", arg, "debug, info, warn or error");
        log_set_level(ll);
        return 0;
    case OPT_HELP:
        usage(stdout);
        return 1;
    default:
        return -EINVAL;
    }
}

/* Fills what the flags left out from the kernel command line. Returns 0, or
 * -errno after printing one line. cl receives the strings f points to. */
static int from_cmdline(struct flags *f, struct agent_cmdline *cl)
{
    const char *path = f->cmdline ? f->cmdline : "/proc/cmdline";
    char buf[AGENT_CMDLINE_MAX + 1], *err = NULL;
    FILE *in = fopen(path, "re");
    size_t n;
    int r;

    if (!in) {
        fprintf(stderr, "anvil-worker: cannot read %s: %s (pass --gateway and --id)\n", path,
                strerror(errno));
        return -errno;
    }
    n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    r = agent_cmdline_parse(buf, n, cl, &err);
    if (r < 0) {
        fprintf(stderr, "anvil-worker: %s: %s\n", path, err ? err : strerror(-r));
        free(err);
        return r;
    }
    if (!f->gateway)
        f->gateway = cl->grpc_authority;
    if (!f->id)
        f->id = cl->worker_id;
    if (!f->token)
        f->token = cl->anvil_token;
    if (f->tls < 0)
        f->tls = cl->tinkerbell_tls;
    if (f->tls_insecure < 0)
        f->tls_insecure = cl->tinkerbell_insecure_tls;
    return 0;
}

/* ---- wiring pkg/actions into the agent ---- */

struct worker {
    struct actions_opts actions;
};

static int run_action(void *userdata,
                      const struct agentproto_action *a,
                      int cancel_fd,
                      agent_progress_fn progress,
                      void *progress_userdata,
                      struct agent_exec_result *ret)
{
    struct worker *w = userdata;
    struct actions_result *res = calloc(1, sizeof(*res));
    int r;

    if (!res)
        return -ENOMEM;
    r = actions_run(a, &w->actions, cancel_fd, progress, progress_userdata, res);
    if (r < 0) {
        free(res);
        return r;
    }
    ret->state = res->state;
    ret->message = res->message;
    res->message = NULL;
    ret->finish = NULL;
    if (res->after != ACTIONS_AFTER_NOTHING)
        ret->finish = res; /* reboot/kexec/poweroff once the status is acknowledged */
    else {
        actions_result_done(res);
        free(res);
    }
    return 0;
}

static int finish_action(void *userdata, void *finish)
{
    const struct actions_result *res = finish;

    (void)userdata;
    log_info("finishing", LOG_STR("after", actions_after_to_string(res->after)));
    return actions_finish(res);
}

static void free_finish(void *finish)
{
    actions_result_done(finish);
    free(finish);
}

static void log_event(void *userdata, const struct agent_event *ev)
{
    const struct agentproto_action *a = ev->action;
    const char *state = agentproto_state_to_string(ev->state);

    (void)userdata;
#define ACTION_FIELDS                                                                       \
    LOG_STR("workflow", a ? a->workflow_id : NULL), LOG_STR("task", a ? a->task_id : NULL), \
            LOG_STR("action", a ? a->action_id : NULL), LOG_STR("name", a ? a->name : NULL)
    switch (ev->type) {
    case AGENT_EVENT_CONNECTING:
        log_info("connecting", LOG_STR("url", ev->url));
        break;
    case AGENT_EVENT_CONNECTED:
        log_debug("connected, hello sent", LOG_STR("url", ev->url));
        break;
    case AGENT_EVENT_READY:
        log_info("session ready");
        break;
    case AGENT_EVENT_DISCONNECTED:
        if (ev->error == 0)
            log_info("disconnected");
        else
            log_warn("disconnected", LOG_ERRNO(ev->error), LOG_STR("detail", ev->message));
        break;
    case AGENT_EVENT_RECONNECT:
        log_info("reconnecting", LOG_INT("delay_ms", ev->delay_ms));
        break;
    case AGENT_EVENT_IDLE:
        log_info("idle", LOG_STR("reason", ev->reason), LOG_INT("retry_after_ms", ev->delay_ms));
        break;
    case AGENT_EVENT_SERVER_ERROR:
        log_error("gateway refused", LOG_STR("code", ev->reason), LOG_STR("detail", ev->message));
        break;
    case AGENT_EVENT_BAD_MESSAGE:
        log_warn("bad message from the gateway", LOG_ERRNO(ev->error),
                 LOG_STR("detail", ev->message));
        break;
    case AGENT_EVENT_ACTION_STARTED:
        log_info("action started", ACTION_FIELDS, LOG_STR("image", a ? a->image : NULL));
        break;
    case AGENT_EVENT_ACTION_RUNNING:
        log_info("action re-served while running, not started again", ACTION_FIELDS);
        break;
    case AGENT_EVENT_ACTION_RESENT:
        log_info("action re-served after it ended, final status sent again", ACTION_FIELDS);
        break;
    case AGENT_EVENT_ACTION_BUSY:
        log_warn("action pushed while another runs, ignored", ACTION_FIELDS);
        break;
    case AGENT_EVENT_ACTION_FINISHED:
        log_info("action finished", ACTION_FIELDS, LOG_STR("state", state),
                 LOG_STR("detail", ev->message));
        break;
    case AGENT_EVENT_STATUS_DROPPED:
        log_warn("status refused for good", LOG_STR("state", state), LOG_STR("code", ev->reason));
        break;
    case AGENT_EVENT_FINISH:
        break; /* finish_action() logs what it does */
    case AGENT_EVENT_FINISH_RETURNED:
        log_error("finish returned", LOG_STR("error", ev->error ? log_strerror(ev->error) : NULL));
        break;
    case AGENT_EVENT_DONE:
        log_info("done");
        break;
    default:
        break;
    }
#undef ACTION_FIELDS
}

/* ---- signals ---- */

struct sigwaiter {
    sigset_t set;
    struct agent *agent;
};

/* Waits for SIGTERM/SIGINT and stops the agent; SIGUSR1 just ends it. */
static void *wait_signals(void *arg)
{
    struct sigwaiter *w = arg;
    int sig = 0;

    if (sigwait(&w->set, &sig) == 0 && sig != SIGUSR1) {
        log_info("stopping", LOG_STR("signal", strsignal(sig)));
        (void)agent_stop(w->agent);
    }
    return NULL;
}

static int run(const struct flags *f, const char *host, uint16_t port)
{
    struct worker w = {.actions = {.work_dir = f->work_dir,
                                   .docker = f->docker,
                                   .allow_reboot = !f->no_reboot}};
    _cleanup_json_ json_t *attrs = NULL;
    _cleanup_(agent_freep) struct agent *a = NULL;
    struct sigwaiter sw;
    pthread_t thread;
    int r;

    r = agent_attributes(f->sysroot, &attrs);
    if (r < 0)
        log_warn("no attributes", LOG_STR("sysroot", f->sysroot ? f->sysroot : "/"), LOG_ERRNO(r));
    r = agent_new(&a, &(struct agent_opts){.host = host,
                                           .port = port,
                                           .tls = f->tls > 0,
                                           .tls_insecure = f->tls_insecure > 0,
                                           .ca_file = f->ca_file,
                                           .agent_id = f->id,
                                           .token = f->token,
                                           .agent_version = WORKER_VERSION,
                                           .attributes = attrs,
                                           .exec = run_action,
                                           .finish = finish_action,
                                           .finish_free = free_finish,
                                           .on_event = log_event,
                                           .userdata = &w,
                                           .exit_when_done = f->exit_when_done,
                                           .max_actions = f->max_actions});
    if (r < 0) {
        fprintf(stderr, "anvil-worker: cannot start: %s\n",
                r == -EINVAL ? "the agent ID or token is not acceptable" : strerror(-r));
        return r == -EINVAL ? 2 : 1;
    }
    sw.agent = a;
    sigemptyset(&sw.set);
    sigaddset(&sw.set, SIGTERM);
    sigaddset(&sw.set, SIGINT);
    sigaddset(&sw.set, SIGUSR1);
    r = pthread_create(&thread, NULL, wait_signals, &sw);
    if (r != 0) {
        fprintf(stderr, "anvil-worker: cannot start: %s\n", strerror(r));
        return 1;
    }
    log_info("starting", LOG_STR("agent_id", f->id), LOG_STR("gateway", host),
             LOG_U32("port", port), LOG_BOOL("tls", f->tls > 0),
             LOG_BOOL("token", f->token != NULL));
    r = agent_run(a);
    (void)pthread_kill(thread, SIGUSR1);
    (void)pthread_join(thread, NULL);
    if (r < 0) {
        log_error("stopped uncleanly", LOG_ERRNO(r));
        return 1;
    }
    log_info("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    struct flags f = {.tls = -1, .tls_insecure = -1};
    struct agent_cmdline cl = AGENT_CMDLINE_INIT;
    _cleanup_free_ char *host = NULL;
    uint16_t port;
    sigset_t block;
    int c, r;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            fprintf(stderr, "anvil-worker: unknown or incomplete option: %s (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
        r = apply(c, optarg, &f);
        if (r != 0)
            return r > 0 ? 0 : 2;
    }
    if (optind < argc) {
        fprintf(stderr, "anvil-worker: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    if ((!f.gateway || !f.id) && from_cmdline(&f, &cl) < 0)
        return 2;
    if (!f.gateway || !f.id) {
        fprintf(stderr, "anvil-worker: no %s: pass %s or boot with %s\n",
                !f.gateway ? "gateway" : "agent ID", !f.gateway ? "--gateway HOST:PORT" : "--id ID",
                !f.gateway ? "grpc_authority=HOST:PORT" : "worker_id=ID");
        agent_cmdline_done(&cl);
        return 2;
    }
    if (agent_authority_parse(f.gateway, &host, &port) < 0) {
        r = base_flag_invalid("--gateway", f.gateway, "HOST:PORT, IPv6 in brackets");
        agent_cmdline_done(&cl);
        return 2;
    }

    /* Signals are taken by one thread with sigwait(); every thread started
     * from here on inherits the mask. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    r = run(&f, host, port);
    curl_global_cleanup();
    agent_cmdline_done(&cl);
    return r;
}
