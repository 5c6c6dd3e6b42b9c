/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/apiserver load generator. Against a running API server (URL given on
 * the command line) it measures, for N Hardware objects:
 *   creates/s and updates/s over keep-alive HTTP (C concurrent connections),
 *   list latency with N objects (JSON and Table),
 *   watch delivery latency p50/p99 with W concurrent watchers,
 * and, in the same run, the raw SQLite insert rate of the same payloads (one
 * transaction per row, WAL, synchronous=NORMAL: the same durability the
 * server gives), so the server's figures print beside their own ceiling.
 * Output: one "name value unit" line per figure, then ratios. RSS is summed over
 * every PID given (kube-apiserver + etcd for the upstream peer).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *base_url;
static const char *token;
static char ns_path[512];

/* A ~1 KiB Hardware like an operator writes. */
static int payload(char *out, size_t n, int i)
{
    return snprintf(out, n,
                    "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\","
                    "\"metadata\":{\"name\":\"bench-%06d\",\"labels\":{\"rack\":\"r%d\"}},"
                    "\"spec\":{\"disks\":[{\"device\":\"/dev/sda\"}],\"interfaces\":[{\"dhcp\":{"
                    "\"arch\":\"x86_64\",\"hostname\":\"node-%06d\",\"ip\":{\"address\":"
                    "\"10.%d.%d.%d\",\"gateway\":\"10.0.0.1\",\"netmask\":\"255.0.0.0\"},"
                    "\"lease_time\":86400,\"mac\":\"02:00:00:%02x:%02x:%02x\",\"name_servers\":"
                    "[\"10.0.0.53\"],\"uefi\":true},\"netboot\":{\"allowPXE\":true,"
                    "\"allowWorkflow\":true}}],\"metadata\":{\"instance\":{\"hostname\":"
                    "\"node-%06d\",\"id\":\"02:00:00:%02x:%02x:%02x\",\"operating_system\":{"
                    "\"slug\":\"ubuntu_22_04\",\"distro\":\"ubuntu\",\"version\":\"22.04\"}}},"
                    "\"userData\":\"#cloud-config\\npackages: [curl, jq, vim]\\n\"}}",
                    i, i % 40, i, (i >> 16) & 255, (i >> 8) & 255, i & 255, (i >> 16) & 255,
                    (i >> 8) & 255, i & 255, i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

struct req {
    CURL *h;
    char body[4096];
    struct curl_slist *hdrs;
    long code;
};

static CURL *new_handle(struct curl_slist **hdrs, const char *ctype)
{
    CURL *h = curl_easy_init();
    char auth[600];
    *hdrs = curl_slist_append(NULL, ctype);
    if (token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        *hdrs = curl_slist_append(*hdrs, auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    /* HTTP/1.1 keep-alive for every server, so no peer gains from h2 multiplexing. */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    return h;
}

/* Runs n requests over c keep-alive connections; make(i, req) prepares one. */
static double run_parallel(int n, int c, void (*make)(int, struct req *), int *failures)
{
    CURLM *m = curl_multi_init();
    struct req *reqs = calloc((size_t)c, sizeof(*reqs));
    int next = 0, done = 0;
    *failures = 0;
    double t0 = now_s();
    for (int k = 0; k < c && next < n; k++) {
        reqs[k].h = new_handle(&reqs[k].hdrs, "Content-Type: application/json");
        curl_easy_setopt(reqs[k].h, CURLOPT_PRIVATE, &reqs[k]);
        make(next++, &reqs[k]);
        curl_multi_add_handle(m, reqs[k].h);
    }
    while (done < n) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct req *r;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result != CURLE_OK || code >= 300)
                (*failures)++;
            done++;
            curl_multi_remove_handle(m, r->h);
            if (next < n) {
                make(next++, r);
                curl_multi_add_handle(m, r->h);
            }
        }
        if (done < n)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double dt = now_s() - t0;
    for (int k = 0; k < c; k++) {
        if (reqs[k].h)
            curl_easy_cleanup(reqs[k].h);
        curl_slist_free_all(reqs[k].hdrs);
    }
    free(reqs);
    curl_multi_cleanup(m);
    return dt;
}

static void make_create(int i, struct req *r)
{
    char url[700];
    payload(r->body, sizeof(r->body), i);
    snprintf(url, sizeof(url), "%s%s", base_url, ns_path);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
}

static void make_update(int i, struct req *r)
{
    char url[700];
    static struct curl_slist *patch_hdr;
    if (!patch_hdr)
        patch_hdr = curl_slist_append(NULL, "Content-Type: application/merge-patch+json");
    snprintf(url, sizeof(url), "%s%s/bench-%06d", base_url, ns_path, i);
    snprintf(r->body, sizeof(r->body), "{\"spec\":{\"userData\":\"update %d\"}}", i);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, "PATCH");
    curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
    if (!token)
        curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, patch_hdr);
    else {
        curl_slist_free_all(r->hdrs);
        char auth[600];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        r->hdrs = curl_slist_append(curl_slist_append(NULL, "Content-Type: application/merge-patch+json"), auth);
        curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    }
}

static double sqlite_rate(const char *path, int n)
{
    sqlite3 *db;
    char body[4096];
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE t(k TEXT PRIMARY KEY, rev INTEGER, body BLOB)",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?,?,?)", -1, &st, NULL);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        char key[64];
        int len = payload(body, sizeof(body), i);
        snprintf(key, sizeof(key), "bench-%06d", i);
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, i + 1);
        sqlite3_bind_blob(st, 3, body, len, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n / dt;
}

struct grow {
    char *p;
    size_t n;
};

static size_t keep(char *p, size_t s, size_t n, void *u)
{
    struct grow *g = u;
    char *q = realloc(g->p, g->n + s * n + 1);
    if (!q)
        return 0;
    memcpy(q + g->n, p, s * n);
    g->p = q;
    g->n += s * n;
    g->p[g->n] = 0;
    return s * n;
}

static double list_latency(const char *accept, int reps, size_t *bytes)
{
    double best[16];
    char url[700];
    snprintf(url, sizeof(url), "%s%s", base_url, ns_path);
    for (int k = 0; k < reps && k < 16; k++) {
        struct curl_slist *h;
        CURL *c = new_handle(&h, accept);
        struct grow g = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
        double t0 = now_s();
        curl_easy_perform(c);
        best[k] = now_s() - t0;
        *bytes = g.n;
        free(g.p);
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
    }
    /* median */
    for (int i = 0; i < reps; i++)
        for (int j = i + 1; j < reps; j++)
            if (best[j] < best[i]) {
                double t = best[i];
                best[i] = best[j];
                best[j] = t;
            }
    return best[reps / 2];
}

/* Watchers: each stream line carrying "stamp <wallclock>" yields one sample. */
struct wstream {
    char line[1 << 16];
    size_t n;
    double *samples;
    int *count;
    int cap;
};

static size_t on_watch(char *p, size_t s, size_t n, void *u)
{
    struct wstream *w = u;
    double t = wall_s();
    for (size_t i = 0; i < s * n; i++) {
        if (p[i] != '\n') {
            if (w->n + 1 < sizeof(w->line))
                w->line[w->n++] = p[i];
            continue;
        }
        w->line[w->n] = 0;
        char *st = strstr(w->line, "stamp ");
        if (st && *w->count < w->cap)
            w->samples[(*w->count)++] = (t - atof(st + 6)) * 1000.0;
        w->n = 0;
    }
    return s * n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*
 * Runs one request on the watchers' multi handle, so the watch streams are
 * read while it is in flight: a blocking request would leave every event that
 * arrives before its response unread (and unstamped) until the response came,
 * which measures the writer's round trip rather than the delivery.
 */
static void patch_in_multi(CURLM *m, CURL *w)
{
    bool done = false;
    curl_multi_add_handle(m, w);
    while (!done) {
        int running, left;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == w)
                done = true;
        if (!done)
            curl_multi_poll(m, NULL, 0, 5, NULL);
    }
    curl_multi_remove_handle(m, w);
}

/* One server's side of a watch measurement: W watch streams on one object
 * and the PATCH that stamps it. */
struct wtarget {
    const char *base, *tok;
    CURL **hs, *w;
    struct curl_slist **hh, *ph;
    struct wstream *ws;
    double *samples;
    int count, cap, watchers;
    double p50, p99; /* results, ms */
};

static void pump(CURLM *m, double seconds, int poll_ms)
{
    double until = now_s() + seconds;
    while (now_s() < until) {
        int running;
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, poll_ms, NULL);
    }
}

static void wtarget_open(struct wtarget *t, CURLM *m, int watchers, int updates)
{
    const char *saved = token;
    token = t->tok;
    t->watchers = watchers;
    t->cap = watchers * updates;
    t->samples = calloc((size_t)t->cap, sizeof(double));
    t->ws = calloc((size_t)watchers, sizeof(*t->ws));
    t->hs = calloc((size_t)watchers, sizeof(CURL *));
    t->hh = calloc((size_t)watchers, sizeof(*t->hh));
    char url[800];
    snprintf(url, sizeof(url), "%s%s?watch=true&fieldSelector=metadata.name%%3Dbench-000000",
             t->base, ns_path);
    for (int k = 0; k < watchers; k++) {
        t->ws[k].samples = t->samples;
        t->ws[k].count = &t->count;
        t->ws[k].cap = t->cap;
        t->hs[k] = new_handle(&t->hh[k], "Accept: application/json");
        curl_easy_setopt(t->hs[k], CURLOPT_URL, url);
        curl_easy_setopt(t->hs[k], CURLOPT_WRITEFUNCTION, on_watch);
        curl_easy_setopt(t->hs[k], CURLOPT_WRITEDATA, &t->ws[k]);
        curl_multi_add_handle(m, t->hs[k]);
    }
    char purl[700];
    t->w = new_handle(&t->ph, "Content-Type: application/merge-patch+json");
    snprintf(purl, sizeof(purl), "%s%s/bench-000000", t->base, ns_path);
    curl_easy_setopt(t->w, CURLOPT_URL, purl);
    curl_easy_setopt(t->w, CURLOPT_CUSTOMREQUEST, "PATCH");
    token = saved;
}

static void wtarget_patch(struct wtarget *t, CURLM *m)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"spec\":{\"userData\":\"stamp %.6f\"}}", wall_s());
    curl_easy_setopt(t->w, CURLOPT_COPYPOSTFIELDS, body);
    patch_in_multi(m, t->w);
}

static void wtarget_result(struct wtarget *t)
{
    int count = t->count;
    qsort(t->samples, (size_t)count, sizeof(double), cmp_d);
    t->p50 = count ? t->samples[count / 2] : -1;
    t->p99 = count ? t->samples[(int)(count * 0.99) < count ? (int)(count * 0.99) : count - 1] : -1;
}

static void wtarget_close(struct wtarget *t, CURLM *m)
{
    curl_easy_cleanup(t->w);
    curl_slist_free_all(t->ph);
    for (int k = 0; k < t->watchers; k++) {
        curl_multi_remove_handle(m, t->hs[k]);
        curl_easy_cleanup(t->hs[k]);
        curl_slist_free_all(t->hh[k]);
    }
    free(t->samples);
    free(t->ws);
    free(t->hs);
    free(t->hh);
}

/*
 * Watch delivery for one or more servers in the same phase: every server
 * gets W watchers, and the updates alternate between the servers (one PATCH
 * each per round, 20 ms apart), so a change in the machine's load during the
 * phase falls on all of them alike.
 */
static void watch_latency_multi(struct wtarget *ts, int nt, int watchers, int updates)
{
    CURLM *m = curl_multi_init();
    for (int i = 0; i < nt; i++)
        wtarget_open(&ts[i], m, watchers, updates);
    /* Let every watch connect and drain its replay. */
    pump(m, 2.0, 50);
    for (int i = 0; i < nt; i++)
        ts[i].count = 0;
    for (int u = 0; u < updates; u++)
        for (int i = 0; i < nt; i++) {
            wtarget_patch(&ts[(u + i) % nt], m);
            pump(m, 0.02, 5);
        }
    double until = now_s() + 1.0;
    for (bool all = false; now_s() < until && !all;) {
        int running;
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
        all = true;
        for (int i = 0; i < nt; i++)
            all = all && ts[i].count >= ts[i].cap;
    }
    for (int i = 0; i < nt; i++) {
        wtarget_result(&ts[i]);
        wtarget_close(&ts[i], m);
    }
    curl_multi_cleanup(m);
}

static void watch_latency(int watchers, int updates, double *p50, double *p99, int *got)
{
    struct wtarget t = {.base = base_url, .tok = token};
    watch_latency_multi(&t, 1, watchers, updates);
    *p50 = t.p50;
    *p99 = t.p99;
    *got = t.count;
}

static long rss_kib_one(long pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* The summed RSS of a comma-separated PID list (kube-apiserver and etcd are two processes). */
static long rss_kib(const char *pids)
{
    long sum = 0;
    const char *p = pids;
    while (*p) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            return -1;
        long k = rss_kib_one(pid);
        if (k < 0)
            return -1;
        sum += k;
        p = *end == ',' ? end + 1 : end;
    }
    return sum;
}

/*
 * load watch WATCHERS UPDATES NAME URL TOKEN [NAME URL TOKEN...] (TOKEN "-"
 * for none): watch delivery for several servers measured in one phase with
 * their updates interleaved; each already holds bench-000000.
 */
static int watch_main(int argc, char **argv)
{
    int watchers = atoi(argv[2]), updates = atoi(argv[3]), nt = (argc - 4) / 3;
    if (argc < 7 || (argc - 4) % 3 != 0 || watchers <= 0 || updates <= 0) {
        fprintf(stderr, "usage: load watch WATCHERS UPDATES NAME URL TOKEN [NAME URL TOKEN...]\n");
        return 2;
    }
    snprintf(ns_path, sizeof(ns_path), "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware");
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_ALL);
    struct wtarget *ts = calloc((size_t)nt, sizeof(*ts));
    for (int i = 0; i < nt; i++) {
        ts[i].base = argv[5 + 3 * i];
        ts[i].tok = strcmp(argv[6 + 3 * i], "-") == 0 ? NULL : argv[6 + 3 * i];
    }
    watch_latency_multi(ts, nt, watchers, updates);
    for (int i = 0; i < nt; i++)
        printf("%s watch_delivery_p50 %.2f ms watch_delivery_p99 %.2f ms deliveries %d of %d\n",
               argv[4 + 3 * i], ts[i].p50, ts[i].p99, ts[i].count, watchers * updates);
    free(ts);
    curl_global_cleanup();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "watch") == 0)
        return watch_main(argc, argv);
    if (argc < 7) {
        fprintf(stderr, "usage: load URL PID[,PID...] N CONNS WATCHERS SQLITE_PATH [TOKEN]\n");
        return 2;
    }
    base_url = argv[1];
    const char *pid = argv[2];
    int n = atoi(argv[3]), conns = atoi(argv[4]), watchers = atoi(argv[5]);
    const char *dbpath = argv[6];
    token = argc > 7 ? argv[7] : NULL;
    snprintf(ns_path, sizeof(ns_path), "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware");
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_ALL);

    double sq = sqlite_rate(dbpath, n);
    int fails;
    double dt = run_parallel(n, conns, make_create, &fails);
    double creates = n / dt;
    printf("creates_per_s %.0f objects/s (%d objects, %d connections, %d failed)\n", creates, n,
           conns, fails);
    dt = run_parallel(n, conns, make_update, &fails);
    double updates = n / dt;
    printf("updates_per_s %.0f objects/s (merge patches, %d failed)\n", updates, fails);
    printf("sqlite_inserts_per_s %.0f rows/s (same payloads, one transaction each)\n", sq);
    size_t bytes = 0;
    double lj = list_latency("Accept: application/json", 5, &bytes);
    printf("list_json_ms %.1f ms (%d objects, %zu bytes, median of 5)\n", lj * 1000, n, bytes);
    double lt = list_latency("Accept: application/json;as=Table;v=v1;g=meta.k8s.io", 3, &bytes);
    printf("list_table_ms %.1f ms (median of 3)\n", lt * 1000);
    printf("rss_after_%d_objects %.1f MB\n", n, rss_kib(pid) / 1024.0);
    double p50, p99;
    int got;
    watch_latency(watchers, 100, &p50, &p99, &got);
    printf("watch_delivery_p50 %.2f ms (%d watchers, %d deliveries)\n", p50, watchers, got);
    printf("watch_delivery_p99 %.2f ms\n", p99);
    printf("rss_with_%d_watchers %.1f MB\n", watchers, rss_kib(pid) / 1024.0);
    printf("ratio creates/sqlite_inserts %.2f\n", creates / sq);
    printf("ratio updates/sqlite_inserts %.2f\n", updates / sq);
    curl_global_cleanup();
    return 0;
}
