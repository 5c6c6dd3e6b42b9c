/* SPDX-License-Identifier: Apache-2.0 */
/*
 * informer-watch: runs one informer against an API server and prints every
 * handler call as a line, for test/e2e/informer-*.sh.
 *
 *   informer-watch [--kubeconfig F] [--namespace NS] [--resource G/V/R]
 *                  [--selector S] [--log-level L]
 *
 * RES defaults to tinkerbell.org/v1alpha1/hardware (namespaced); NS
 * defaults to all namespaces. Output on stdout, one line per event:
 *
 *   ADD <key> <rv>
 *   UPDATE <key> <old rv> <new rv>
 *   DELETE <key> <rv>
 *   SYNCED <rv>                      once, after the first list
 *
 * Commands on stdin, one per line (EOF or "quit" stops the informer):
 *
 *   dump TAG     DUMP TAG, then "ITEM <key> <rv>" per stored object sorted
 *                by key, then END TAG
 *   mac TAG MAC  "MAC TAG <key>..." (the MAC index)
 *   stats TAG    "STATS TAG rv=.. lists=.. relists=.. expired=.. watches=..
 *                restarts=.. wfail=.. lfail=.. added=.. modified=..
 *                deleted=.. bookmarks=.. bad=.."
 *
 * Exit status: 0 after a clean stop, 1 on setup errors.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "log/log.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void out(const char *fmt, ...) _printf_(1, 2);
static void out(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_lock);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static const char *rv_of(const json_t *o)
{
    const char *rv =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
    return rv ? rv : "-";
}

static int on_add(json_t *obj, void *userdata)
{
    (void)userdata;
    _cleanup_free_ char *key = NULL;
    if (store_key_of(obj, &key) < 0)
        return -EBADMSG;
    out("ADD %s %s\n", key, rv_of(obj));
    return 0;
}

static int on_update(json_t *old, json_t *obj, void *userdata)
{
    (void)userdata;
    _cleanup_free_ char *key = NULL;
    if (store_key_of(obj, &key) < 0)
        return -EBADMSG;
    out("UPDATE %s %s %s\n", key, rv_of(old), rv_of(obj));
    return 0;
}

static int on_delete(json_t *obj, void *userdata)
{
    (void)userdata;
    _cleanup_free_ char *key = NULL;
    if (store_key_of(obj, &key) < 0)
        return -EBADMSG;
    out("DELETE %s %s\n", key, rv_of(obj));
    return 0;
}

static void cmd_dump(struct informer *inf, const char *tag)
{
    _cleanup_json_ json_t *keys = NULL;
    struct store *s = informer_store(inf);
    if (store_list_keys(s, &keys) < 0) {
        out("ERROR %s dump failed\n", tag);
        return;
    }
    pthread_mutex_lock(&out_lock);
    printf("DUMP %s\n", tag);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        json_t *obj = NULL;
        if (store_get(s, json_string_value(k), &obj) == 0) /* may be gone meanwhile */
            printf("ITEM %s %s\n", json_string_value(k), rv_of(obj));
        json_decref(obj);
    }
    printf("END %s\n", tag);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void cmd_mac(struct informer *inf, const char *tag, const char *mac)
{
    _cleanup_json_ json_t *arr = NULL;
    if (store_by_index(informer_store(inf), STORE_INDEX_MAC, mac, &arr) < 0) {
        out("ERROR %s lookup failed\n", tag);
        return;
    }
    pthread_mutex_lock(&out_lock);
    printf("MAC %s", tag);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        _cleanup_free_ char *key = NULL;
        if (store_key_of(o, &key) == 0)
            printf(" %s", key);
    }
    printf("\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void cmd_stats(struct informer *inf, const char *tag)
{
    struct informer_stats st;
    _cleanup_free_ char *rv = NULL;
    if (informer_get_stats(inf, &st) < 0 || informer_resource_version(inf, &rv) < 0) {
        out("ERROR %s stats failed\n", tag);
        return;
    }
    out("STATS %s rv=%s lists=%llu relists=%llu expired=%llu watches=%llu restarts=%llu "
        "wfail=%llu lfail=%llu added=%llu modified=%llu deleted=%llu bookmarks=%llu bad=%llu\n",
        tag, rv, (unsigned long long)st.lists, (unsigned long long)st.relists,
        (unsigned long long)st.expired, (unsigned long long)st.watches,
        (unsigned long long)st.watch_restarts, (unsigned long long)st.watch_failures,
        (unsigned long long)st.list_failures, (unsigned long long)st.events[INFORMER_EVENT_ADDED],
        (unsigned long long)st.events[INFORMER_EVENT_MODIFIED],
        (unsigned long long)st.events[INFORMER_EVENT_DELETED],
        (unsigned long long)st.events[INFORMER_EVENT_BOOKMARK], (unsigned long long)st.bad_objects);
}

static void *sync_reporter(void *arg)
{
    struct informer *inf = arg;
    if (informer_wait_for_sync(inf, -1) == 0) {
        _cleanup_free_ char *rv = NULL;
        if (informer_resource_version(inf, &rv) == 0)
            out("SYNCED %s\n", rv);
    }
    return NULL;
}

/* Reads commands until EOF or "quit". */
static void command_loop(struct informer *inf)
{
    char line[1024];
    while (fgets(line, sizeof(line), stdin)) {
        char cmd[32] = "", tag[128] = "", arg[256] = "";
        if (sscanf(line, "%31s %127s %255s", cmd, tag, arg) < 1)
            continue;
        if (strcmp(cmd, "quit") == 0)
            break;
        else if (strcmp(cmd, "dump") == 0)
            cmd_dump(inf, tag);
        else if (strcmp(cmd, "mac") == 0)
            cmd_mac(inf, tag, arg);
        else if (strcmp(cmd, "stats") == 0)
            cmd_stats(inf, tag);
        else
            out("ERROR %s unknown command\n", cmd);
    }
}

/* "group/version/resource" or "version/resource" into r (pointing into buf). */
static int parse_resource(char *buf, struct kube_resource *r)
{
    char *a = strtok(buf, "/"), *b = strtok(NULL, "/"), *c = strtok(NULL, "/");
    if (!a || !b)
        return -EINVAL;
    *r = c ? (struct kube_resource){.group = a, .version = b, .resource = c, .namespaced = true}
           : (struct kube_resource){.group = "", .version = a, .resource = b, .namespaced = true};
    return 0;
}

struct args {
    const char *kubeconfig, *ns, *selector;
    char resource[256];
};

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
            {"kubeconfig", required_argument, NULL, 'k'},
            {"namespace", required_argument, NULL, 'n'},
            {"resource", required_argument, NULL, 'r'},
            {"selector", required_argument, NULL, 'l'},
            {"log-level", required_argument, NULL, 'L'},
            {0},
    };
    int c;
    snprintf(a->resource, sizeof(a->resource), "tinkerbell.org/v1alpha1/hardware");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        enum log_level level;
        switch (c) {
        case 'k':
            a->kubeconfig = optarg;
            break;
        case 'n':
            a->ns = optarg;
            break;
        case 'r':
            snprintf(a->resource, sizeof(a->resource), "%s", optarg);
            break;
        case 'l':
            a->selector = optarg;
            break;
        case 'L':
            if (log_level_from_string(optarg, &level) < 0)
                return -EINVAL;
            log_set_level(level);
            break;
        default:
            return -EINVAL;
        }
    }
    return optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "usage: informer-watch [--kubeconfig F] [--namespace NS] "
                        "[--resource G/V/R] [--selector S] [--log-level L]\n");
        return 1;
    }
    struct kube_resource res;
    if (parse_resource(a.resource, &res) < 0) {
        fprintf(stderr, "informer-watch: bad --resource\n");
        return 1;
    }

    struct kube_config *cfg = NULL;
    _cleanup_free_ char *cfg_err = NULL;
    int r = kube_config_load(&(struct kube_config_opts){.kubeconfig = a.kubeconfig}, &cfg,
                             &cfg_err);
    if (r < 0) {
        fprintf(stderr, "informer-watch: %s\n", cfg_err ? cfg_err : log_strerror(r));
        return 1;
    }
    struct kube_client *client = NULL;
    r = kube_client_new(&client, cfg, &(struct kube_client_opts){0});
    kube_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "informer-watch: client: %s\n", log_strerror(r));
        return 1;
    }

    struct informer_source *src = NULL;
    _cleanup_store_ struct store *store = NULL;
    struct informer *inf = NULL;
    r = informer_source_kube(client, &res, a.ns, a.selector, &src);
    if (r >= 0)
        r = store_new(&store);
    if (r >= 0)
        r = store_add_index(store, STORE_INDEX_MAC, store_index_hardware_mac, NULL);
    if (r >= 0)
        r = store_add_index(store, STORE_INDEX_IP, store_index_hardware_ip, NULL);
    if (r >= 0)
        r = store_add_index(store, STORE_INDEX_AGENT_ID, store_index_hardware_agent_id, NULL);
    if (r >= 0)
        r = informer_new(&inf, src, store, NULL);
    if (r >= 0)
        r = informer_add_handler(inf, &(struct informer_handler){
                                              .on_add = on_add,
                                              .on_update = on_update,
                                              .on_delete = on_delete,
                                      });
    if (r >= 0)
        r = informer_start(inf);
    pthread_t reporter;
    bool reporting = r >= 0 && pthread_create(&reporter, NULL, sync_reporter, inf) == 0;
    if (r >= 0)
        command_loop(inf);
    else
        fprintf(stderr, "informer-watch: setup: %s\n", log_strerror(r));

    (void)informer_stop(inf);
    if (reporting)
        (void)pthread_join(reporter, NULL);
    informer_free(inf);
    informer_source_free(src);
    kube_client_free(client);
    return r < 0 ? 1 : 0;
}
