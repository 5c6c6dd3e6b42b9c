/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/bmc driver: scrapes the Redfish inventory of N systems of one
 * emulator (each system standing for one BMC: its own client, login and
 * connection, as anvil-controller does per Machine) with C worker threads,
 * and maps each into outOfBand. Prints wall time, requests, TCP
 * connections opened and the most conversations in flight at once.
 *   inventory ENDPOINT USER PASSWORD UUID_PREFIX N CONCURRENCY
 * System i is "<UUID_PREFIX><i as 12 hex digits>".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmc/bmc.h"
#include "redfish/redfish.h"

struct run {
    const char *endpoint, *user, *pass, *prefix;
    int n;
    atomic_int next, inflight, peak, failed;
    atomic_ullong requests, connections, nics;
};

static void *worker(void *arg)
{
    struct run *r = arg;
    for (;;) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n)
            return NULL;
        char sys[128], *path = NULL;
        struct redfish_client *c = NULL;
        struct redfish_error err = {0};
        struct redfish_stats st;
        json_t *raw = NULL, *oob = NULL;
        snprintf(sys, sizeof(sys), "%s%012x", r->prefix, i);
        int in = atomic_fetch_add(&r->inflight, 1) + 1, p = atomic_load(&r->peak);
        while (in > p && !atomic_compare_exchange_weak(&r->peak, &p, in))
            ;
        int rc = redfish_client_new(&c, &(struct redfish_opts){.endpoint = r->endpoint,
                                                               .username = r->user,
                                                               .password = r->pass,
                                                               .insecure_tls = true});
        if (rc == 0)
            rc = redfish_connect(c, &err);
        if (rc == 0)
            rc = redfish_system_find(c, sys, &path, &err);
        if (rc == 0)
            rc = redfish_inventory(c, path, &raw, &err);
        if (rc == 0)
            rc = bmc_inventory_out_of_band(raw, 1794000000000LL, &oob);
        if (rc < 0) {
            atomic_fetch_add(&r->failed, 1);
            fprintf(stderr, "system %s: %s\n", sys, err.message);
        } else {
            atomic_fetch_add(&r->nics, json_array_size(json_object_get(oob, "networkInterfaces")));
        }
        redfish_client_get_stats(c, &st);
        atomic_fetch_add(&r->requests, st.requests);
        atomic_fetch_add(&r->connections, st.connections);
        atomic_fetch_sub(&r->inflight, 1);
        json_decref(raw);
        json_decref(oob);
        free(path);
        redfish_client_free(c);
    }
}

int main(int argc, char **argv)
{
    struct timespec a, b;
    pthread_t th[256];
    if (argc != 7) {
        fprintf(stderr, "usage: inventory ENDPOINT USER PASSWORD UUID_PREFIX N CONCURRENCY\n");
        return 2;
    }
    struct run r = {.endpoint = argv[1],
                    .user = argv[2],
                    .pass = argv[3],
                    .prefix = argv[4],
                    .n = atoi(argv[5])};
    int k = atoi(argv[6]);
    if (k < 1 || k > 256 || r.n < 1)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < k; i++)
        pthread_create(&th[i], NULL, worker, &r);
    for (int i = 0; i < k; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("concurrency=%d systems=%d failed=%d wall_s=%.2f requests=%llu connections=%llu "
           "peak_in_flight=%d nics=%llu\n",
           k, r.n, atomic_load(&r.failed), secs, (unsigned long long)atomic_load(&r.requests),
           (unsigned long long)atomic_load(&r.connections), atomic_load(&r.peak),
           (unsigned long long)atomic_load(&r.nics));
    return atomic_load(&r.failed) ? 1 : 0;
}
