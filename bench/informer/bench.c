/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/informer: how fast a reflector applies watch events to its store.
 * Against a running API server (kubeconfig on the command line) it
 *   1. creates N Hardware objects (~0.8 KiB each as served; 8 threads, pkg/kube);
 *   2. HTTP watch burst: an informer whose list is empty at version "0", so
 *      its watch from "0" gets one ADDED per existing object over HTTP, the
 *      way a watch at "0" starts; measured until the store holds all N;
 *      the process RSS growth over that run is the store's cost;
 *   3. HTTP list: a plain informer (paged list at "0", 500 per page) until
 *      synced;
 *   4. the same store fed the same events in-process through the same
 *      reflector: objects already decoded, and event lines decoded with
 *      jansson on the way (what JSON costs without HTTP).
 * Output: one "name value unit" line per figure, then ratios.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "informer/informer.h"
#include "kube/kube.h"

static const struct kube_resource HARDWARE = {.group = "tinkerbell.org",
                                              .version = "v1alpha1",
                                              .resource = "hardware",
                                              .namespaced = true};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rss_mib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static void die(const char *what, int r)
{
    fprintf(stderr, "informer-bench: %s: %s\n", what, strerror(-r));
    exit(1);
}

/* ---------------------------------------------------------- creating */

static json_t *hardware(int i)
{
    char name[32], host[32], mac[32], ip[32];
    snprintf(name, sizeof(name), "bench-%06d", i);
    snprintf(host, sizeof(host), "node-%06d", i);
    snprintf(mac, sizeof(mac), "02:00:00:%02x:%02x:%02x", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:[{s:s}],s:[{s:{s:s,s:s,s:{s:s,s:s,s:s},s:i,s:s,"
                     "s:[s],s:b},s:{s:b,s:b}}],s:{s:{s:s,s:s,s:{s:s,s:s,s:s}}},s:s}}",
                     "apiVersion", "tinkerbell.org/v1alpha1", "kind", "Hardware", "metadata",
                     "name", name, "labels", "rack", "r1", "spec", "disks", "device", "/dev/sda",
                     "interfaces", "dhcp", "arch", "x86_64", "hostname", host, "ip", "address", ip,
                     "gateway", "10.0.0.1", "netmask", "255.0.0.0", "lease_time", 86400, "mac", mac,
                     "name_servers", "10.0.0.53", "uefi", 1, "netboot", "allowPXE", 1,
                     "allowWorkflow", 1, "metadata", "instance", "hostname", host, "id", mac,
                     "operating_system", "slug", "ubuntu_22_04", "distro", "ubuntu", "version",
                     "22.04", "userData", "#cloud-config\npackages: [curl, jq, vim]\n");
}

struct creator {
    struct kube_client *c;
    int first, step, n;
    int failed;
    pthread_t thread;
};

static void *creator_main(void *arg)
{
    struct creator *cr = arg;
    for (int i = cr->first; i < cr->n; i += cr->step) {
        json_t *obj = hardware(i), *out = NULL;
        int r = kube_create(cr->c, &HARDWARE, "default", obj, &out, NULL);
        if (r < 0 && r != -EEXIST)
            cr->failed++;
        json_decref(obj);
        json_decref(out);
    }
    return NULL;
}

static void create_all(struct kube_client *c, int n)
{
    struct creator cr[8];
    double t0 = now_s();
    for (int i = 0; i < 8; i++) {
        cr[i] = (struct creator){.c = c, .first = i, .step = 8, .n = n};
        if (pthread_create(&cr[i].thread, NULL, creator_main, &cr[i]) != 0)
            die("pthread_create", -EAGAIN);
    }
    int failed = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(cr[i].thread, NULL);
        failed += cr[i].failed;
    }
    if (failed)
        die("creating Hardware", -EIO);
    printf("setup_creates_per_s %.0f 1/s\n", n / (now_s() - t0));
}

/* ------------------------------------------------- counting handler */

struct counter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long adds, want;
};

static int count_add(json_t *obj, void *userdata)
{
    struct counter *c = userdata;
    (void)obj;
    pthread_mutex_lock(&c->lock);
    if (++c->adds >= c->want)
        pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static struct store *hw_store(void)
{
    struct store *s = NULL;
    int r = store_new(&s);
    if (r >= 0)
        r = store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL);
    if (r >= 0)
        r = store_add_index(s, STORE_INDEX_IP, store_index_hardware_ip, NULL);
    if (r >= 0)
        r = store_add_index(s, STORE_INDEX_AGENT_ID, store_index_hardware_agent_id, NULL);
    if (r < 0)
        die("store", r);
    return s;
}

/* Runs an informer over src until its store holds want objects; returns
 * the seconds it took and leaves the store in *ret_store. */
static double run_informer(struct informer_source *src, long want, struct store **ret_store)
{
    struct counter cnt = {.want = want};
    pthread_mutex_init(&cnt.lock, NULL);
    pthread_cond_init(&cnt.cond, NULL);
    struct store *s = hw_store();
    struct informer *inf = NULL;
    int r = informer_new(&inf, src, s, NULL);
    if (r >= 0)
        r = informer_add_handler(inf,
                                 &(struct informer_handler){.on_add = count_add, .userdata = &cnt});
    if (r < 0)
        die("informer", r);

    double t0 = now_s();
    if ((r = informer_start(inf)) < 0)
        die("informer_start", r);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 300;
    pthread_mutex_lock(&cnt.lock);
    while (cnt.adds < want)
        if (pthread_cond_timedwait(&cnt.cond, &cnt.lock, &until) != 0)
            break;
    long got = cnt.adds;
    pthread_mutex_unlock(&cnt.lock);
    double t = now_s() - t0;
    if (got < want) {
        fprintf(stderr, "informer-bench: only %ld of %ld objects arrived\n", got, want);
        exit(1);
    }
    informer_free(inf);
    pthread_mutex_destroy(&cnt.lock);
    pthread_cond_destroy(&cnt.cond);
    *ret_store = s;
    return t;
}

/* ------------------------------------------------ sources for the runs */

/* An empty list at "0", then the real watch from "0": a burst of ADDED. */
struct burst_src {
    struct informer_source base;
    struct informer_source *kube;
};

static int
burst_list(struct informer_source *src, const struct informer_list_req *req, json_t **ret)
{
    (void)src;
    (void)req;
    *ret = json_pack("{s:{s:s},s:[]}", "metadata", "resourceVersion", "0", "items");
    return *ret ? 0 : -ENOMEM;
}

static int burst_watch(struct informer_source *src,
                       const struct informer_watch_req *req,
                       informer_event_fn fn,
                       void *userdata)
{
    struct burst_src *b = (struct burst_src *)src;
    return b->kube->watch(b->kube, req, fn, userdata);
}

static void burst_cancel(struct informer_source *src)
{
    struct burst_src *b = (struct burst_src *)src;
    b->kube->cancel(b->kube);
}

/* In-process: the events come from memory; then the watch waits for stop. */
struct mem_src {
    struct informer_source base;
    json_t *objects; /* decoded objects, or NULL */
    char **lines;    /* event lines to decode, or NULL */
    size_t n;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool cancelled;
};

static int mem_watch(struct informer_source *src,
                     const struct informer_watch_req *req,
                     informer_event_fn fn,
                     void *userdata)
{
    struct mem_src *m = (struct mem_src *)src;
    (void)req;
    for (size_t i = 0; i < m->n; i++) {
        int r;
        if (m->objects) {
            r = fn(INFORMER_EVENT_ADDED, json_array_get(m->objects, i), userdata);
        } else {
            json_t *ev = json_loads(m->lines[i], 0, NULL);
            if (!ev)
                return -EBADMSG;
            r = fn(INFORMER_EVENT_ADDED, json_object_get(ev, "object"), userdata);
            json_decref(ev);
        }
        if (r < 0)
            return r;
    }
    pthread_mutex_lock(&m->lock);
    while (!m->cancelled)
        pthread_cond_wait(&m->cond, &m->lock);
    pthread_mutex_unlock(&m->lock);
    return -ECANCELED;
}

static void mem_cancel(struct informer_source *src)
{
    struct mem_src *m = (struct mem_src *)src;
    pthread_mutex_lock(&m->lock);
    m->cancelled = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static double run_in_process(json_t *objects, char **lines, size_t n)
{
    struct mem_src m = {
            .base = {.list = burst_list, .watch = mem_watch, .cancel = mem_cancel},
            .objects = objects,
            .lines = lines,
            .n = n,
    };
    pthread_mutex_init(&m.lock, NULL);
    pthread_cond_init(&m.cond, NULL);
    struct store *s = NULL;
    double t = run_informer(&m.base, (long)n, &s);
    store_unref(s);
    pthread_mutex_destroy(&m.lock);
    pthread_cond_destroy(&m.cond);
    return t;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: informer-bench KUBECONFIG N\n");
        return 2;
    }
    long n = atol(argv[2]);
    struct kube_config *cfg = NULL;
    char *err = NULL;
    int r = kube_config_load(&(struct kube_config_opts){.kubeconfig = argv[1]}, &cfg, &err);
    if (r < 0) {
        fprintf(stderr, "informer-bench: %s\n", err ? err : strerror(-r));
        return 1;
    }
    struct kube_client *c = NULL;
    r = kube_client_new(&c, cfg, &(struct kube_client_opts){.qps = 1e6, .burst = 1000000});
    kube_config_free(cfg);
    if (r < 0)
        die("kube_client_new", r);

    create_all(c, (int)n);

    /* HTTP watch burst from "0", and the store's memory. */
    struct informer_source *ks = NULL;
    if ((r = informer_source_kube(c, &HARDWARE, "default", NULL, &ks)) < 0)
        die("informer_source_kube", r);
    struct burst_src burst = {
            .base = {.list = burst_list, .watch = burst_watch, .cancel = burst_cancel}, .kube = ks};
    double rss0 = rss_mib();
    struct store *http_store = NULL;
    double t_watch = run_informer(&burst.base, n, &http_store);
    double rss1 = rss_mib();
    informer_source_free(ks);

    /* HTTP list (paged at "0"), the informer's normal start. */
    if ((r = informer_source_kube(c, &HARDWARE, "default", NULL, &ks)) < 0)
        die("informer_source_kube", r);
    struct store *list_store = NULL;
    double t_list = run_informer(ks, n, &list_store);
    informer_source_free(ks);
    store_unref(list_store);

    /* The same events in-process. */
    json_t *objects = NULL;
    if ((r = store_list(http_store, &objects)) < 0)
        die("store_list", r);
    char **lines = calloc((size_t)n, sizeof(*lines));
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        char *obj = json_dumps(o, JSON_COMPACT);
        if (!obj || asprintf(&lines[i], "{\"type\":\"ADDED\",\"object\":%s}", obj) < 0)
            die("json_dumps", -ENOMEM);
        free(obj);
    }
    double t_mem = run_in_process(objects, NULL, (size_t)n);
    double t_mem_json = run_in_process(NULL, lines, (size_t)n);

    double r_watch = n / t_watch, r_list = n / t_list, r_mem = n / t_mem, r_json = n / t_mem_json;
    printf("http_watch_events_per_s %.0f 1/s\n", r_watch);
    printf("http_list_objects_per_s %.0f 1/s\n", r_list);
    printf("inproc_events_per_s %.0f 1/s\n", r_mem);
    printf("inproc_json_events_per_s %.0f 1/s\n", r_json);
    printf("store_rss_per_10000 %.1f MiB\n", (rss1 - rss0) * 10000.0 / (double)n);
    printf("ratio inproc/http_watch %.1f\n", r_mem / r_watch);
    printf("ratio inproc_json/http_watch %.1f\n", r_json / r_watch);
    printf("goal http_watch_events_per_s >= 20000: %s\n", r_watch >= 20000 ? "met" : "NOT met");

    for (i = 0; i < (size_t)n; i++)
        free(lines[i]);
    free(lines);
    json_decref(objects);
    store_unref(http_store);
    kube_client_free(c);
    return 0;
}
