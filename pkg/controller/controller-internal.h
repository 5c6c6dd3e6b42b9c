/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of anvil-controller shared by its files and tests. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "controller/controller.h"
#include "kube/kube.h"

struct events_recorder;
struct events_kube;
struct httpd;
struct informer;
struct informer_source;
struct kube_config;
struct lease_elector;
struct lease_kube;
struct store;
struct wf_reconciler;

enum {
    RES_HARDWARE,
    RES_TEMPLATE,
    RES_WORKFLOW,
    RES_WORKFLOWRULESET,
    _RES_MAX,
};

extern const struct kube_resource controller_resources[_RES_MAX];

struct buf;

struct controller {
    struct controller_opts opts;
    struct kube_config *cfg;
    struct kube_client *client;
    struct kube_client *lease_client; /* short timeouts: a hung call must not outlive the lease */
    struct store *stores[_RES_MAX];
    struct informer_source *sources[_RES_MAX]; /* borrowed by the informers */
    struct informer *informers[_RES_MAX];
    struct httpd *http;
    struct lease_kube *lease_kube;
    struct lease_elector *lease;
    struct events_kube *events_kube;
    struct events_recorder *recorder;
    struct wf_reconciler *wf;
    atomic_bool leading;
    bool started;
};


/* The Workflow reconciler (controller-workflow.c): a workqueue fed by the
 * informers and worker threads that act only while this replica leads. */
int wf_reconciler_new(struct wf_reconciler **ret, struct controller *c, unsigned workers);
int wf_reconciler_start(struct wf_reconciler *w);
/* Enqueues every Workflow (on becoming leader). */
int wf_reconciler_enqueue_all(struct wf_reconciler *w);
int wf_reconciler_stop(struct wf_reconciler *w);
struct wf_reconciler *wf_reconciler_free(struct wf_reconciler *w);
/* Queue depth etc. for /metrics. */
int wf_reconciler_metrics(struct wf_reconciler *w, struct buf *out);
