/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * anvil-controller's process: Kubernetes client, informers for the
 * tinkerbell.org resources, leader election on a Lease, and the daemon's own
 * HTTP endpoints. Reconcilers and the agent gateway plug in here.
 */

#include <stdbool.h>

struct controller;

struct controller_opts {
    const char *kubeconfig;       /* NULL: the usual search order (pkg/kube) */
    const char *namespace_;       /* NULL: all namespaces */
    double kube_qps;
    int kube_burst;
    const char *http_listen;      /* /metrics /healthz /readyz */
    bool leader_elect;
    const char *leader_election_namespace; /* NULL: the kubeconfig's namespace */
    const char *leader_election_id;
    const char *identity;         /* NULL: hostname_random */
};

/* Loads the configuration and creates everything without starting it.
 * Returns 0, or -errno with *ret_error a one-line message (caller frees). */
int controller_new(struct controller **ret, const struct controller_opts *opts, char **ret_error);

/* Starts the informers, the HTTP endpoints and the election. */
int controller_start(struct controller *c);

/* Stops everything in order; releases the Lease when held. Returns 0. */
int controller_stop(struct controller *c);

struct controller *controller_free(struct controller *c);
