/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * anvil-apiserver: a single-process Kubernetes-compatible API server on
 * SQLite, for one machine without a cluster and for anvil's own tests. It
 * serves discovery, OpenAPI v3, CRDs and the custom resources they define,
 * namespaces, secrets, configmaps, events and leases, with the list/watch,
 * patch, status, finalizer and validation semantics of kube-apiserver
 * (docs/apiserver.md lists what is and is not implemented).
 *
 * One thread: apiserver_run() serves until apiserver_stop() (which is
 * async-signal-safe) is called.
 */

#include <stdbool.h>
#include <stdint.h>

struct apiserver;

struct apiserver_opts {
    const char *listen;   /* "127.0.0.1:6443" */
    const char *data_dir; /* database lives in <data_dir>/anvil.db */
    const char *tls_cert; /* PEM paths; both or neither */
    const char *tls_key;
    const char *token_file;     /* kube-style CSV (token,user,uid[,groups]); NULL = no auth */
    uint64_t compact_retain;    /* compaction keeps at least this many revisions */
    int64_t compact_window_sec; /* and every event newer than this */
    int64_t compact_interval_sec;
    bool sync_full;             /* SQLite synchronous=FULL (power-loss safe) */
    int64_t watch_bookmark_sec; /* BOOKMARK period for watches that asked for them */
};

/* Opens the store, loads CRDs, binds the listener. Returns 0 or -errno
 * (-EADDRINUSE, -EINVAL for a bad listen address, -EIO for storage). */
int apiserver_new(struct apiserver **ret, const struct apiserver_opts *opts);

/* Serves until apiserver_stop(). Returns 0 after a clean stop. */
int apiserver_run(struct apiserver *s);

/* Asks the loop to stop; safe from a signal handler. */
void apiserver_stop(struct apiserver *s);

/* The port actually bound (useful with port 0). */
int apiserver_port(const struct apiserver *s);

/* Closes everything. NULL-safe, returns NULL. */
struct apiserver *apiserver_free(struct apiserver *s);

/* Writes a self-signed certificate and key for the given IPs/hostnames
 * (subjectAltName) to cert_path/key_path (mode 0600 for the key). */
int apiserver_tls_generate(const char *cert_path, const char *key_path, const char *const *sans);

/* Writes a kubeconfig pointing at server, with the CA file inlined when
 * ca_path is set and the token when token is set. */
int apiserver_write_kubeconfig(const char *path,
                               const char *server,
                               const char *ca_path,
                               const char *token);
