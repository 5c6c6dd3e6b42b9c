/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * anvil-controller's process: Kubernetes client, informers for the
 * tinkerbell.org resources, leader election on a Lease, and the daemon's own
 * HTTP endpoints. Reconcilers and the agent gateway plug in here.
 */

#include <stdbool.h>
#include <stdint.h>

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

    /* The agent gateway (docs/controller.md, docs/agent-protocol.md). */
    const char *gateway_listen;   /* ":42113" */
    const char *gateway_tls_cert; /* PEM; both or neither */
    const char *gateway_tls_key;
    bool agent_auth_none;         /* --agent-auth=none: believe any agent ID */
    const char *agent_key_file;   /* the agent key, as anvil-boot reads it */
    const char *agent_key_secret; /* or "namespace/name" of a Secret (data key "agent-key") */
    bool auto_discovery;
    const char *auto_discovery_namespace;
    bool auto_enrollment;
    bool auto_discovery_auto_enrollment;
    bool approval_manual;         /* --auto-enrollment-approval=manual */

    /* The BMC reconciler (docs/bmc.md); zero means the default shown. */
    long bmc_poll_interval_s;      /* Machine power/Contactable poll: 300 */
    long bmc_inventory_interval_s; /* outOfBand refresh: 86400 */
    long bmc_connect_timeout_ms;   /* per BMC connection attempt: 10000 */
    int bmc_workers;               /* concurrent BMC conversations: 8 */
    bool bmc_onboard_disabled;     /* --bmc-onboard=false: no Hardware for new Machines */
};

/* Loads the configuration and creates everything without starting it.
 * Returns 0, or -errno with *ret_error a one-line message (caller frees). */
int controller_new(struct controller **ret, const struct controller_opts *opts, char **ret_error);

/* Starts the informers, the HTTP endpoints and the election. */
int controller_start(struct controller *c);

/* Stops everything in order; releases the Lease when held. Returns 0. */
int controller_stop(struct controller *c);

struct controller *controller_free(struct controller *c);

/* Mints an agent token for agent_id valid until expiry_unix with the key of
 * opts (agent_key_file, else agent_key_secret read through the kubeconfig).
 * Returns 0 and *ret (malloc'd), or -errno with *ret_error a one-line message. */
int controller_mint_token(const struct controller_opts *opts, const char *agent_id,
                          int64_t expiry_unix, char **ret, char **ret_error);

