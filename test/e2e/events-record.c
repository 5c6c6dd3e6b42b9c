/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process-level driver for pkg/events: reads one object from the API
 * server, records the same Event about it --repeat times through the
 * recorder (queue, spam filter, aggregation, thread), drains, and prints
 * the recorder's counters:
 *
 *     recorded=5 created=1 patched=4 dropped_spam=0 dropped_full=0 failed=0
 *
 *   events-record --kubeconfig F --resource [GROUP/]VERSION/PLURAL
 *                 [--namespace default] --name NAME --reason R
 *                 [--message M] [--type Normal|Warning] [--repeat 1]
 *                 [--component anvil-e2e]
 *
 * Exits 0 when every event was delivered or deliberately dropped by the
 * spam filter, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "events/events.h"
#include "kube/kube.h"
#include "log/log.h"

struct flags {
    const char *kubeconfig;
    char *resource; /* [group/]version/plural, split in place */
    const char *ns;
    const char *name;
    const char *reason;
    const char *message;
    enum events_type type;
    long repeat;
    const char *component;
};

static int parse_flags(int argc, char **argv, struct flags *f)
{
    static const struct option options[] = {
            {"kubeconfig", required_argument, NULL, 'k'},
            {"resource", required_argument, NULL, 'R'},
            {"namespace", required_argument, NULL, 'n'},
            {"name", required_argument, NULL, 'N'},
            {"reason", required_argument, NULL, 'r'},
            {"message", required_argument, NULL, 'm'},
            {"type", required_argument, NULL, 't'},
            {"repeat", required_argument, NULL, 'c'},
            {"component", required_argument, NULL, 'C'},
            {0},
    };
    *f = (struct flags){.ns = "default", .message = "", .repeat = 1, .component = "anvil-e2e"};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
        switch (c) {
        case 'k':
            f->kubeconfig = optarg;
            break;
        case 'R':
            f->resource = optarg;
            break;
        case 'n':
            f->ns = optarg;
            break;
        case 'N':
            f->name = optarg;
            break;
        case 'r':
            f->reason = optarg;
            break;
        case 'm':
            f->message = optarg;
            break;
        case 't':
            if (strcmp(optarg, "Normal") == 0)
                f->type = EVENTS_NORMAL;
            else if (strcmp(optarg, "Warning") == 0)
                f->type = EVENTS_WARNING;
            else
                return -EINVAL;
            break;
        case 'c':
            f->repeat = strtol(optarg, NULL, 10);
            if (f->repeat < 1 || f->repeat > 100000)
                return -EINVAL;
            break;
        case 'C':
            f->component = optarg;
            break;
        default:
            return -EINVAL;
        }
    }
    if (optind != argc || !f->resource || !f->name || !f->reason)
        return -EINVAL;
    return 0;
}

/* "[group/]version/plural" -> struct kube_resource (pointers into s). */
static int parse_resource(char *s, struct kube_resource *ret)
{
    char *a = s, *b = strchr(a, '/');
    if (!b)
        return -EINVAL;
    *b++ = '\0';
    char *c = strchr(b, '/');
    if (c) {
        *c++ = '\0';
        *ret = (struct kube_resource){.group = a, .version = b, .resource = c, .namespaced = true};
    } else
        *ret = (struct kube_resource){.group = "", .version = a, .resource = b, .namespaced = true};
    return *ret->version && *ret->resource ? 0 : -EINVAL;
}

static int fetch(struct kube_client *client, const struct flags *f, json_t **ret)
{
    struct kube_resource res;
    struct kube_error err = {0};
    int r = parse_resource(f->resource, &res);
    if (r < 0) {
        fprintf(stderr, "events-record: bad --resource\n");
        return r;
    }
    r = kube_get(client, &res, f->ns, f->name, ret, &err);
    if (r < 0)
        fprintf(stderr, "events-record: get %s: %s (%ld %s)\n", f->name, log_strerror(r),
                err.http_code, err.message);
    kube_error_clear(&err);
    return r;
}

static int record_all(struct kube_client *client, const struct flags *f, const json_t *obj)
{
    _cleanup_events_kube_ struct events_kube *ek = NULL;
    _cleanup_events_recorder_ struct events_recorder *rec = NULL;
    struct events_sink sink;
    struct events_ref ref;
    struct events_stats s;

    int r = events_ref_from_object(obj, &ref);
    if (r >= 0)
        r = events_kube_new(&ek, client);
    if (r >= 0) {
        events_kube_sink(ek, &sink);
        r = events_recorder_new(&rec, &sink,
                                &(struct events_opts){.component = f->component,
                                                      .retry_delay_ms = 500});
    }
    if (r >= 0)
        r = events_recorder_start(rec);
    for (long i = 0; r >= 0 && i < f->repeat; i++)
        r = events_record(rec, &ref, f->type, f->reason, f->message);
    if (r < 0) {
        fprintf(stderr, "events-record: %s\n", log_strerror(r));
        return r;
    }
    int left = events_recorder_stop(rec, 20000);
    (void)events_recorder_get_stats(rec, &s);
    printf("recorded=%llu created=%llu patched=%llu dropped_spam=%llu dropped_full=%llu "
           "failed=%llu left=%d\n",
           (unsigned long long)s.recorded, (unsigned long long)s.created,
           (unsigned long long)s.patched, (unsigned long long)s.dropped_spam,
           (unsigned long long)s.dropped_full, (unsigned long long)s.failed, left);
    return left == 0 && s.failed == 0 && s.dropped_full == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
    struct flags f;
    _cleanup_free_ char *error = NULL;
    struct kube_config *cfg = NULL;
    struct kube_client *client = NULL;
    _cleanup_json_ json_t *obj = NULL;

    if (parse_flags(argc, argv, &f) < 0) {
        fprintf(stderr, "usage: events-record --kubeconfig F --resource [G/]V/PLURAL "
                        "[--namespace NS] --name N --reason R [--message M] "
                        "[--type Normal|Warning] [--repeat N] [--component C]\n");
        return 2;
    }
    int r = kube_config_load(&(struct kube_config_opts){.kubeconfig = f.kubeconfig}, &cfg, &error);
    if (r < 0) {
        fprintf(stderr, "events-record: %s\n", error ? error : log_strerror(r));
        return 1;
    }
    r = kube_client_new(&client, cfg, NULL);
    kube_config_free(cfg);
    if (r >= 0)
        r = fetch(client, &f, &obj);
    if (r >= 0)
        r = record_all(client, &f, obj);
    kube_client_free(client);
    return r < 0 ? 1 : 0;
}
