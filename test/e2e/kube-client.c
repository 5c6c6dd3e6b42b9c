/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kube-client: a command-line driver of pkg/kube for the process-level tests
 * (test/e2e/kube-client.sh). Each command makes the calls one test step
 * needs and prints what the script asserts on.
 *
 *   kube-client [--kubeconfig F] [--context C] COMMAND ARGS...
 *
 *   config                                  server, namespace and source
 *   get RES NS NAME                         the object (JSON)
 *   list RES NS [--limit N] [--continue T] [--selector S] [--rv RV] [--match M]
 *                                           "rv=.. continue=.. items=N", then names
 *   list-all RES NS [--page N]              same, following continue tokens
 *   create|update|update-status RES NS JSON the answer (JSON)
 *   patch RES NS NAME merge|json|apply JSON [--status]
 *   delete RES NS NAME [--rv RV]
 *   watch RES NS [--rv RV] [--timeout S] [--count N] [--reconnect]
 *                                           "TYPE name rv" per event
 *   stats                                   one GET, then the client counters
 *
 * RES is group/version/resource, or version/resource for the core group;
 * a "cluster:" prefix marks a cluster-scoped resource. NS "-" means none.
 *
 * Errors print "error: ERRNO http=CODE reason=REASON: message" (and one
 * "cause:" line per Status cause) on stderr; exit status 1. A watch that
 * ends with -ESTALE prints "ESTALE rv=<last>" and exits 3.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "kube/kube.h"

#define EXIT_STALE 3
/* The callback's "enough events" code; never produced by the library. */
#define WATCH_DONE (-EALREADY)

struct args {
    const char *kubeconfig, *context, *cont, *selector, *rv, *match;
    long limit, page, timeout, count;
    bool status, reconnect;
};

static const char *errno_name(int r)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
            {ENOENT, "ENOENT"},   {EEXIST, "EEXIST"},       {ECANCELED, "ECANCELED"},
            {ESTALE, "ESTALE"},   {EINVAL, "EINVAL"},       {EACCES, "EACCES"},
            {EAGAIN, "EAGAIN"},   {ETIMEDOUT, "ETIMEDOUT"}, {ECONNREFUSED, "ECONNREFUSED"},
            {EIO, "EIO"},         {ENOMEM, "ENOMEM"},       {E2BIG, "E2BIG"},
            {EBADMSG, "EBADMSG"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].code == -r)
            return names[i].name;
    return "E?";
}

static int report(int r, const struct kube_error *e)
{
    size_t i;
    json_t *cause;

    fprintf(stderr, "error: %s http=%ld reason=%s retry_after=%ld: %s\n", errno_name(r),
            e->http_code, e->reason, e->retry_after, e->message);
    json_array_foreach(e->causes, i, cause) {
        fprintf(stderr, "cause: field=%s reason=%s\n",
                json_string_value(json_object_get(cause, "field")),
                json_string_value(json_object_get(cause, "reason")));
    }
    return 1;
}

/* "g/v/r", "v/r", optionally "cluster:"-prefixed, into r (strings point
 * into spec, which is modified). */
static int parse_resource(char *spec, struct kube_resource *r)
{
    char *parts[3];
    int n = 0;

    r->namespaced = true;
    if (strncmp(spec, "cluster:", 8) == 0) {
        r->namespaced = false;
        spec += 8;
    }
    for (char *p = spec; p && n < 3; n++) {
        parts[n] = p;
        p = strchr(p, '/');
        if (p)
            *p++ = '\0';
    }
    if (n == 2) {
        r->group = "";
        r->version = parts[0];
        r->resource = parts[1];
    } else if (n == 3) {
        r->group = parts[0];
        r->version = parts[1];
        r->resource = parts[2];
    } else
        return -EINVAL;
    return 0;
}

static const char *ns_arg(const char *ns)
{
    return strcmp(ns, "-") == 0 ? NULL : ns;
}

static int print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (!s)
        return 1;
    printf("%s\n", s);
    free(s);
    return 0;
}

static const char *meta_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(o, "metadata"), key));
    return s ? s : "";
}

static int print_list(json_t *list)
{
    json_t *items = json_object_get(list, "items"), *it;
    size_t i;

    printf("rv=%s continue=%s items=%zu\n", meta_str(list, "resourceVersion"),
           meta_str(list, "continue"), json_array_size(items));
    json_array_foreach(items, i, it) {
        printf("%s\n", meta_str(it, "name"));
    }
    return 0;
}

/* ---------------------------------------------------------------- watch */

struct watch_ctx {
    char last_rv[128];
    long seen;
    long count;
};

static int on_event(enum kube_event_type type, json_t *object, void *userdata)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    struct watch_ctx *w = userdata;
    const char *rv = meta_str(object, "resourceVersion");

    if (*rv)
        snprintf(w->last_rv, sizeof(w->last_rv), "%s", rv);
    if (type == KUBE_EVENT_BOOKMARK) {
        fprintf(stderr, "bookmark rv=%s\n", rv);
        return 0;
    }
    printf("%s %s %s\n", names[type], meta_str(object, "name"), rv);
    fflush(stdout);
    if (w->count > 0 && ++w->seen >= w->count)
        return WATCH_DONE;
    return 0;
}

static int cmd_watch(struct kube_client *c,
                     const struct kube_resource *r,
                     const char *ns,
                     const struct args *a)
{
    struct watch_ctx w = {.count = a->count};
    struct kube_error e = {0};
    int k;

    if (a->rv)
        snprintf(w.last_rv, sizeof(w.last_rv), "%s", a->rv);
    for (;;) {
        struct kube_watch_opts o = {
                .resource_version = w.last_rv[0] ? w.last_rv : NULL,
                .allow_bookmarks = true,
                .timeout_seconds = a->timeout,
        };
        k = kube_watch_run(c, r, ns, &o, on_event, &w, NULL, &e);
        if (k == WATCH_DONE) {
            kube_error_clear(&e);
            return 0;
        }
        if (k == -ESTALE) {
            printf("ESTALE rv=%s code=%ld reason=%s\n", w.last_rv, e.http_code, e.reason);
            kube_error_clear(&e);
            return EXIT_STALE;
        }
        if (!a->reconnect) {
            if (k < 0)
                report(k, &e);
            kube_error_clear(&e);
            return k < 0 ? 1 : 0;
        }
        /* Resume from the last resourceVersion seen, as a reflector does
         * after a broken stream. A short pause keeps a dead server from
         * being hammered. */
        fprintf(stderr, "watch ended (%s: %s), resuming from rv=%s\n", k < 0 ? errno_name(k) : "0",
                k < 0 ? e.message : "end of stream", w.last_rv);
        kube_error_clear(&e);
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
}

/* ---------------------------------------------------------------- verbs */

static int cmd_write(struct kube_client *c,
                     const char *verb,
                     const struct kube_resource *r,
                     const char *ns,
                     const char *text)
{
    _cleanup_json_ json_t *obj = json_loads(text, 0, NULL), *out = NULL;
    struct kube_error e = {0};
    int k;

    if (!obj) {
        fprintf(stderr, "error: the object is not JSON\n");
        return 2;
    }
    if (strcmp(verb, "create") == 0)
        k = kube_create(c, r, ns, obj, &out, &e);
    else if (strcmp(verb, "update") == 0)
        k = kube_update(c, r, ns, obj, &out, &e);
    else
        k = kube_update_status(c, r, ns, obj, &out, &e);
    if (k < 0) {
        report(k, &e);
        kube_error_clear(&e);
        return 1;
    }
    return print_json(out);
}

static int cmd_patch(struct kube_client *c,
                     const struct kube_resource *r,
                     const char *ns,
                     char **argv,
                     const struct args *a)
{
    _cleanup_json_ json_t *patch = json_loads(argv[2], 0, NULL), *out = NULL;
    struct kube_error e = {0};
    enum kube_patch_type t;
    int k;

    if (strcmp(argv[1], "merge") == 0)
        t = KUBE_PATCH_MERGE;
    else if (strcmp(argv[1], "json") == 0)
        t = KUBE_PATCH_JSON;
    else if (strcmp(argv[1], "apply") == 0)
        t = KUBE_PATCH_APPLY;
    else
        return 2;
    if (!patch)
        return 2;
    k = kube_patch(c, r, ns, argv[0], a->status ? "status" : NULL, t, patch, &out, &e);
    if (k < 0) {
        report(k, &e);
        kube_error_clear(&e);
        return 1;
    }
    return print_json(out);
}

static int cmd_list(struct kube_client *c,
                    const struct kube_resource *r,
                    const char *ns,
                    bool all,
                    const struct args *a)
{
    _cleanup_json_ json_t *out = NULL;
    struct kube_error e = {0};
    struct kube_list_opts o = {
            .label_selector = a->selector,
            .cont = a->cont,
            .limit = a->limit,
            .resource_version = a->rv,
            .resource_version_match = a->match,
    };
    int k = all ? kube_list_all(c, r, ns, &o, a->page, &out, &e)
                : kube_list(c, r, ns, &o, &out, &e);
    if (k < 0) {
        report(k, &e);
        kube_error_clear(&e);
        return 1;
    }
    return print_list(out);
}

static int cmd_simple(struct kube_client *c,
                      const char *cmd,
                      const struct kube_resource *r,
                      const char *ns,
                      const char *name,
                      const struct args *a)
{
    _cleanup_json_ json_t *out = NULL;
    struct kube_error e = {0};
    int k;

    if (strcmp(cmd, "get") == 0)
        k = kube_get(c, r, ns, name, &out, &e);
    else
        k = kube_delete(c, r, ns, name, a->rv, &out, &e);
    if (k < 0) {
        report(k, &e);
        kube_error_clear(&e);
        return 1;
    }
    return print_json(out);
}

static int cmd_stats(struct kube_client *c)
{
    _cleanup_json_ json_t *out = NULL;
    struct kube_client_stats s;
    struct kube_error e = {0};
    int k = kube_request(c, "GET", "/version", NULL, NULL, &out, &e);

    if (k < 0) {
        report(k, &e);
        kube_error_clear(&e);
        return 1;
    }
    kube_client_get_stats(c, &s);
    printf("requests=%llu 2xx=%llu throttled=%llu\n", (unsigned long long)s.requests,
           (unsigned long long)s.by_class[2], (unsigned long long)s.throttled);
    return 0;
}

static int run(struct kube_client *c, int argc, char **argv, const struct args *a)
{
    struct kube_resource r;
    const char *cmd = argv[0], *ns;

    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(c);
    if (argc < 3 || parse_resource(argv[1], &r) < 0)
        return 2;
    ns = ns_arg(argv[2]);
    if (strcmp(cmd, "watch") == 0)
        return cmd_watch(c, &r, ns, a);
    if (strcmp(cmd, "list") == 0 || strcmp(cmd, "list-all") == 0)
        return cmd_list(c, &r, ns, strcmp(cmd, "list-all") == 0, a);
    if (argc < 4)
        return 2;
    if (strcmp(cmd, "get") == 0 || strcmp(cmd, "delete") == 0)
        return cmd_simple(c, cmd, &r, ns, argv[3], a);
    if (strcmp(cmd, "create") == 0 || strcmp(cmd, "update") == 0 ||
        strcmp(cmd, "update-status") == 0)
        return cmd_write(c, cmd, &r, ns, argv[3]);
    if (strcmp(cmd, "patch") == 0 && argc >= 6)
        return cmd_patch(c, &r, ns, argv + 3, a);
    return 2;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
            {"kubeconfig", required_argument, NULL, 'k'},
            {"context", required_argument, NULL, 'x'},
            {"limit", required_argument, NULL, 'l'},
            {"continue", required_argument, NULL, 'c'},
            {"selector", required_argument, NULL, 's'},
            {"rv", required_argument, NULL, 'r'},
            {"page", required_argument, NULL, 'p'},
            {"timeout", required_argument, NULL, 't'},
            {"count", required_argument, NULL, 'n'},
            {"status", no_argument, NULL, 'S'},
            {"reconnect", no_argument, NULL, 'R'},
            {"match", required_argument, NULL, 'm'},
            {NULL, 0, NULL, 0},
    };
    int o;

    for (;;) {
        o = getopt_long(argc, argv, "", longopts, NULL);
        if (o == -1)
            break;
        switch (o) {
        case 'k':
            a->kubeconfig = optarg;
            break;
        case 'x':
            a->context = optarg;
            break;
        case 'l':
            a->limit = atol(optarg);
            break;
        case 'c':
            a->cont = optarg;
            break;
        case 's':
            a->selector = optarg;
            break;
        case 'r':
            a->rv = optarg;
            break;
        case 'p':
            a->page = atol(optarg);
            break;
        case 't':
            a->timeout = atol(optarg);
            break;
        case 'n':
            a->count = atol(optarg);
            break;
        case 'S':
            a->status = true;
            break;
        case 'R':
            a->reconnect = true;
            break;
        case 'm':
            a->match = optarg;
            break;
        default:
            return -EINVAL;
        }
    }
    return optind;
}

int main(int argc, char **argv)
{
    struct kube_config *cfg = NULL;
    struct kube_client *c = NULL;
    struct args a = {0};
    char *msg = NULL;
    int k, first;

    signal(SIGPIPE, SIG_IGN);
    /* GNU getopt permutes: options may come anywhere, positionals remain. */
    first = parse_args(argc, argv, &a);
    if (first < 0 || first >= argc) {
        fprintf(stderr, "usage: kube-client [--kubeconfig F] COMMAND ARGS... (see the source)\n");
        return 2;
    }
    int n_pos = argc - first;
    char **pos = argv + first;

    k = kube_config_load(
            &(struct kube_config_opts){.kubeconfig = a.kubeconfig, .context = a.context}, &cfg,
            &msg);
    if (k < 0) {
        fprintf(stderr, "%s\n", msg ? msg : strerror(-k));
        free(msg);
        return 1;
    }
    if (strcmp(pos[0], "config") == 0) {
        printf("server=%s namespace=%s source=%s token=%s ca=%s\n", cfg->server, cfg->namespace_,
               cfg->source, cfg->token ? "yes" : "no", cfg->ca_pem ? "yes" : "no");
        kube_config_free(cfg);
        return 0;
    }
    k = kube_client_new(&c, cfg, &(struct kube_client_opts){.qps = 1000, .burst = 1000});
    kube_config_free(cfg);
    if (k < 0) {
        fprintf(stderr, "error: cannot create the client: %s\n", strerror(-k));
        return 1;
    }
    k = run(c, n_pos, pos, &a);
    if (k == 2)
        fprintf(stderr, "usage: bad arguments for %s\n", pos[0]);
    kube_client_free(c);
    return k;
}
