/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of anvil-controller shared by its files and tests. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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
struct gw_ctl;
struct bmc_reconciler;

enum {
    RES_HARDWARE,
    RES_TEMPLATE,
    RES_WORKFLOW,
    RES_WORKFLOWRULESET,
    RES_MACHINE, /* bmc.tinkerbell.org */
    RES_JOB,
    RES_TASK,
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
    struct gw_ctl *gw;
    struct bmc_reconciler *bmc;
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

/* Workflow index by "namespace/<spec.hardwareRef>" (controller-workflow.c). */
#define CONTROLLER_INDEX_HARDWARE_REF "hardwareRef"

/* Approval and enrollment hints on Hardware (docs/controller.md). */
#define CONTROLLER_ANNOTATION_APPROVED            "anvil.dev/approved"
#define CONTROLLER_LABEL_APPROVAL                 "anvil.dev/approval"
#define CONTROLLER_ANNOTATION_ENROLL_TEMPLATE     "anvil.dev/enrollment-template"
#define CONTROLLER_ANNOTATION_ENROLL_AGENT_VALUE  "anvil.dev/enrollment-agent-value"

/* The agent gateway's controller side (controller-gateway.c): sessions come
 * from pkg/gateway, passes per agent run on a workqueue. */
int gw_ctl_new(struct gw_ctl **ret, struct controller *c, char **ret_error);
int gw_ctl_set_key(struct gw_ctl *g, const void *key, size_t len);
int gw_ctl_start(struct gw_ctl *g);
int gw_ctl_port(struct gw_ctl *g);
int gw_ctl_stop(struct gw_ctl *g);
int gw_ctl_metrics(struct gw_ctl *g, struct buf *out);
struct gw_ctl *gw_ctl_free(struct gw_ctl *g);

/* The BMC reconciler (controller-bmc.c): bmc.tinkerbell.org Machines, Jobs
 * and Tasks over Redfish, onboarding and inventory. Same shape as the
 * Workflow reconciler. */
int bmc_reconciler_new(struct bmc_reconciler **ret, struct controller *c);
int bmc_reconciler_start(struct bmc_reconciler *b);
int bmc_reconciler_enqueue_all(struct bmc_reconciler *b);
int bmc_reconciler_stop(struct bmc_reconciler *b);
struct bmc_reconciler *bmc_reconciler_free(struct bmc_reconciler *b);
int bmc_reconciler_metrics(struct bmc_reconciler *b, struct buf *out);
/* For the Workflow reconciler: the WORKFLOW_JOB_* state of the boot Job
 * job (an enum workflow_boot_job) of wf, and its creation (an old Job of
 * that name and its Tasks are deleted first). create returns 0 or -errno
 * with *ret_error (may be NULL) a message to free. */
int bmc_boot_job_state(struct controller *c, const json_t *wf, int job);
int bmc_boot_job_create(struct controller *c, const json_t *wf, const json_t *hardware, int job,
                        char **ret_error);

struct workflow_plan;
/* Wall-clock milliseconds since the Unix epoch. */
int64_t controller_now_ms(void);
/* metadata.<field> of obj as a string, or NULL. */
const char *controller_meta_str(const json_t *obj, const char *field);
/* getrandom(2) as a workflow_random_fn. */
int controller_random_bytes(void *userdata, void *buf, size_t len);
/* Records the plan's Events about obj (Warning or Normal by their type). */
void controller_record_plan_events(struct controller *c, const json_t *obj,
                                   const struct workflow_plan *p);

