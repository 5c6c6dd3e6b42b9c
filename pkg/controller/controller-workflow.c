/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Workflow reconciler: level-triggered and idempotent. Informer events
 * put "namespace/name" keys on a workqueue; worker threads take a key, read
 * the Workflow, its Template and Hardware from the informer stores, render
 * when needed, ask pkg/workflow for the next step, carry out its effects
 * (allowPXE on the Hardware, Events) and write the status through /status
 * with the resourceVersion it read (a conflict requeues). Only the leader
 * acts; a standby drops keys and re-enqueues everything when it takes over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define LOG_COMPONENT "controller"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "buf/buf.h"
#include "controller/controller-internal.h"
#include "events/events.h"
#include "informer/informer.h"
#include "log/log.h"
#include "tmpl/tmpl.h"
#include "workflow/workflow.h"
#include "workqueue/workqueue.h"

#define MAX_WORKERS 16
#define INDEX_HARDWARE_REF CONTROLLER_INDEX_HARDWARE_REF
#define INDEX_TEMPLATE_REF "templateRef"

struct wf_reconciler {
    struct controller *ctl;
    struct wq *queue;
    pthread_t threads[MAX_WORKERS];
    unsigned n_workers;
    unsigned n_started;
    atomic_uint_fast64_t reconciles, errors, conflicts;
};

static int enqueue_object(struct wf_reconciler *w, const json_t *obj)
{
    _cleanup_free_ char *key = NULL;
    int r = store_key_of(obj, &key);
    if (r < 0)
        return 0;
    r = wq_add(w->queue, key);
    return r < 0 && r != -ESHUTDOWN ? r : 0;
}

/* Workflows that name this Hardware or Template (through the ref indexes). */
static int enqueue_referrers(struct wf_reconciler *w, const char *index, const json_t *obj)
{
    _cleanup_free_ char *key = NULL;
    _cleanup_json_ json_t *wfs = NULL;
    if (store_key_of(obj, &key) < 0)
        return 0;
    if (store_by_index(w->ctl->stores[RES_WORKFLOW], index, key, &wfs) < 0)
        return 0;
    size_t i;
    json_t *wf;
    json_array_foreach(wfs, i, wf) (void)enqueue_object(w, wf);
    return 0;
}

static int on_wf_add(json_t *obj, void *ud)
{
    return enqueue_object(ud, obj);
}

static int on_wf_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return enqueue_object(ud, obj);
}

static int on_wf_delete(json_t *obj, void *ud)
{
    struct wf_reconciler *w = ud;
    _cleanup_free_ char *key = NULL;
    if (store_key_of(obj, &key) == 0)
        (void)wq_forget(w->queue, key);
    return 0;
}

static int on_hw_change(json_t *obj, void *ud)
{
    return enqueue_referrers(ud, INDEX_HARDWARE_REF, obj);
}

static int on_hw_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return enqueue_referrers(ud, INDEX_HARDWARE_REF, obj);
}

static int on_tpl_change(json_t *obj, void *ud)
{
    return enqueue_referrers(ud, INDEX_TEMPLATE_REF, obj);
}

static int on_tpl_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return enqueue_referrers(ud, INDEX_TEMPLATE_REF, obj);
}

/* Index a Workflow by "namespace/<spec.hardwareRef|templateRef>". */
static int index_ref(const json_t *obj, struct store_index_keys *keys, const char *field)
{
    const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"),
                                                       "namespace"));
    const char *ref = json_string_value(json_object_get(json_object_get(obj, "spec"), field));
    char key[STORE_KEY_MAX];
    if (!ref || !*ref)
        return 0;
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", ref);
    return store_index_keys_add(keys, key);
}

static int index_hardware_ref(const json_t *obj, struct store_index_keys *keys, void *ud)
{
    (void)ud;
    return index_ref(obj, keys, "hardwareRef");
}

static int index_template_ref(const json_t *obj, struct store_index_keys *keys, void *ud)
{
    (void)ud;
    return index_ref(obj, keys, "templateRef");
}

/* Looks up "<ns>/<spec.field>" in store; NULL when unset or absent. */
static json_t *lookup_ref(struct store *s, const json_t *wf, const char *field)
{
    const char *ns = json_string_value(json_object_get(json_object_get(wf, "metadata"),
                                                       "namespace"));
    const char *ref = json_string_value(json_object_get(json_object_get(wf, "spec"), field));
    char key[STORE_KEY_MAX];
    json_t *obj = NULL;
    if (!ref || !*ref)
        return NULL;
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", ref);
    if (store_get(s, key, &obj) < 0)
        return NULL;
    return obj;
}

/* Renders the Template for wf: 0 with *ret_doc, or 0 with *ret_error set
 * (a message for the Workflow's condition), or -ENOMEM. */
static int render(struct wf_reconciler *w,
                  const json_t *wf,
                  const json_t *hardware,
                  json_t **ret_doc,
                  char **ret_error)
{
    _cleanup_json_ json_t *tpl = lookup_ref(w->ctl->stores[RES_TEMPLATE], wf, "templateRef");
    const char *ref = json_string_value(json_object_get(json_object_get(wf, "spec"),
                                                        "templateRef"));
    if (!tpl)
        return asprintf(ret_error, "template %s not found", ref ? ref : "(none)") < 0 ? -ENOMEM
                                                                                      : 0;
    const char *hwref = json_string_value(json_object_get(json_object_get(wf, "spec"),
                                                          "hardwareRef"));
    if (hwref && *hwref && !hardware)
        return asprintf(ret_error, "hardware %s not found", hwref) < 0 ? -ENOMEM : 0;
    const char *data = json_string_value(json_object_get(json_object_get(tpl, "spec"), "data"));
    if (!data)
        return asprintf(ret_error, "template %s has no spec.data", ref) < 0 ? -ENOMEM : 0;
    _cleanup_json_ json_t *ctx = NULL;
    int r = workflow_template_data(hardware,
                                   json_object_get(json_object_get(wf, "spec"), "hardwareMap"),
                                   &ctx);
    if (r < 0)
        return r;
    _cleanup_free_ char *out = NULL;
    size_t len;
    struct tmpl_error e = {0};
    r = tmpl_render(ref, data, strlen(data), ctx, &out, &len, &e);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return asprintf(ret_error, "rendering template %s: %s", ref, e.message) < 0 ? -ENOMEM
                                                                                  : 0;
    r = tmpl_parse_workflow(out, len, ret_doc, &e);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return asprintf(ret_error, "template %s: %s", ref, e.message) < 0 ? -ENOMEM : 0;
    return 0;
}

/* allowPXE on the Hardware's interfaces; a conflict is retried by requeue. */
static int set_allow_pxe(struct wf_reconciler *w, const json_t *hardware, bool allow)
{
    _cleanup_json_ json_t *next = NULL;
    if (!hardware)
        return 0;
    int r = workflow_hardware_set_allow_pxe(hardware, allow, &next);
    if (r <= 0)
        return r;
    const char *ns = json_string_value(json_object_get(json_object_get(hardware, "metadata"),
                                                       "namespace"));
    struct kube_error err = {0};
    _cleanup_json_ json_t *stored = NULL;
    r = kube_update(w->ctl->client, &controller_resources[RES_HARDWARE], ns, next, &stored, &err);
    kube_error_clear(&err);
    return r;
}

static int write_status(struct wf_reconciler *w, const json_t *wf, json_t *status)
{
    _cleanup_json_ json_t *obj = json_copy((json_t *)wf);
    if (!obj)
        return -ENOMEM;
    json_object_set(obj, "status", status);
    const char *ns = json_string_value(json_object_get(json_object_get(wf, "metadata"),
                                                       "namespace"));
    struct kube_error err = {0};
    _cleanup_json_ json_t *stored = NULL;
    int r = kube_update_status(w->ctl->client, &controller_resources[RES_WORKFLOW], ns, obj,
                               &stored, &err);
    if (r < 0 && r != -ECANCELED)
        log_warn("status write failed", LOG_STR("controller", "workflow"),
                 LOG_STR("reason", err.reason), LOG_STR("message", err.message), LOG_ERRNO(r));
    kube_error_clear(&err);
    return r;
}

/* One pass for one key. Returns the requeue decision: 0 forget, 1 requeue
 * with backoff, 2 requeue now, or a delay in ms through *after. */
static int reconcile(struct wf_reconciler *w, struct workflow_ulid *ids, const char *key,
                     int64_t *after)
{
    _cleanup_json_ json_t *wf = NULL, *hardware = NULL, *doc = NULL;
    _cleanup_free_ char *render_error = NULL;
    struct workflow_plan plan = {0};
    int r;
    *after = 0;
    if (store_get(w->ctl->stores[RES_WORKFLOW], key, &wf) < 0)
        return 0; /* deleted */
    hardware = lookup_ref(w->ctl->stores[RES_HARDWARE], wf, "hardwareRef");
    if (workflow_needs_render(wf) && (r = render(w, wf, hardware, &doc, &render_error)) < 0)
        return r;
    struct workflow_env env = {.now_ms = controller_now_ms(), .ids = ids};
    struct workflow_reconcile_opts o = {
            .hardware = hardware,
            .rendered = doc,
            .render_error = render_error,
            /* Boot Jobs need the BMC reconciler and a Hardware with a bmcRef. */
            .bmc_jobs = w->ctl->bmc && json_object_get(json_object_get(hardware, "spec"), "bmcRef"),
            .boot_job = w->ctl->bmc ? bmc_boot_job_state(w->ctl, wf, workflow_boot_job_wanted(wf))
                                    : WORKFLOW_JOB_ABSENT,
    };
    r = workflow_reconcile(wf, &env, &o, &plan);
    if (r < 0)
        return r;
    int decision = 0;
    if (plan.effects & WORKFLOW_EFFECT_ALLOW_PXE_TRUE)
        r = set_allow_pxe(w, hardware, true);
    if (r >= 0 && (plan.effects & WORKFLOW_EFFECT_ALLOW_PXE_FALSE))
        r = set_allow_pxe(w, hardware, false);
    if (r >= 0 && (plan.effects & WORKFLOW_EFFECT_BOOT_JOB)) {
        _cleanup_free_ char *why = NULL;
        r = bmc_boot_job_create(w->ctl, wf, hardware, plan.boot_job, &why);
        if (r < 0)
            log_warn("boot job not created", LOG_STR("controller", "workflow"), LOG_STR("key", key),
                     LOG_STR("message", why ? why : ""), LOG_ERRNO(r));
    }
    if (r < 0) {
        decision = 1; /* Hardware write failed: try the whole step again */
        goto out;
    }
    if (plan.status) {
        r = write_status(w, wf, plan.status);
        if (r == -ECANCELED) {
            atomic_fetch_add(&w->conflicts, 1);
            decision = 2; /* the informer brings the newer object; go again */
            goto out;
        }
        if (r < 0) {
            decision = 1;
            goto out;
        }
    }
    controller_record_plan_events(w->ctl, wf, &plan);
    if (plan.effects & WORKFLOW_EFFECT_BACKOFF)
        decision = 1;
    else if (plan.effects & WORKFLOW_EFFECT_REQUEUE)
        decision = 2;
    else if (plan.requeue_after_ms > 0)
        *after = plan.requeue_after_ms;
out:
    workflow_plan_done(&plan);
    return decision;
}

static void *worker(void *arg)
{
    struct wf_reconciler *w = arg;
    struct workflow_ulid *ids = NULL;
    if (workflow_ulid_new(&ids, controller_random_bytes, NULL) < 0)
        return NULL;
    for (;;) {
        const char *key;
        if (wq_get(w->queue, &key) < 0)
            break;
        if (!atomic_load(&w->ctl->leading)) {
            /* A standby does not act; becoming leader enqueues everything. */
            (void)wq_forget(w->queue, key);
            (void)wq_done(w->queue, key);
            continue;
        }
        int64_t after = 0;
        int r = reconcile(w, ids, key, &after);
        atomic_fetch_add(&w->reconciles, 1);
        if (r < 0) {
            atomic_fetch_add(&w->errors, 1);
            log_warn("reconcile failed", LOG_STR("controller", "workflow"), LOG_STR("key", key),
                     LOG_ERRNO(r));
            (void)wq_add_rate_limited(w->queue, key);
        } else if (r == 1) {
            (void)wq_add_rate_limited(w->queue, key);
        } else if (r == 2) {
            (void)wq_add(w->queue, key);
        } else {
            (void)wq_forget(w->queue, key);
            if (after > 0)
                (void)wq_add_after(w->queue, key, (uint64_t)after);
        }
        (void)wq_done(w->queue, key);
    }
    workflow_ulid_free(ids);
    return NULL;
}

int wf_reconciler_new(struct wf_reconciler **ret, struct controller *c, unsigned workers)
{
    struct wf_reconciler *w = calloc(1, sizeof(*w));
    int r;
    if (!w)
        return -ENOMEM;
    w->ctl = c;
    w->n_workers = workers == 0 ? 4 : MIN(workers, (unsigned)MAX_WORKERS);
    if ((r = wq_new(&w->queue, NULL)) < 0)
        goto fail;
    if ((r = store_add_index(c->stores[RES_WORKFLOW], INDEX_HARDWARE_REF, index_hardware_ref,
                             NULL)) < 0 ||
        (r = store_add_index(c->stores[RES_WORKFLOW], INDEX_TEMPLATE_REF, index_template_ref,
                             NULL)) < 0)
        goto fail;
    struct informer_handler hw = {.on_add = on_wf_add,
                                  .on_update = on_wf_update,
                                  .on_delete = on_wf_delete,
                                  .userdata = w};
    struct informer_handler hh = {.on_add = on_hw_change,
                                  .on_update = on_hw_update,
                                  .on_delete = on_hw_change,
                                  .userdata = w};
    struct informer_handler th = {.on_add = on_tpl_change,
                                  .on_update = on_tpl_update,
                                  .on_delete = on_tpl_change,
                                  .userdata = w};
    if ((r = informer_add_handler(c->informers[RES_WORKFLOW], &hw)) < 0 ||
        (r = informer_add_handler(c->informers[RES_HARDWARE], &hh)) < 0 ||
        (r = informer_add_handler(c->informers[RES_TEMPLATE], &th)) < 0)
        goto fail;
    *ret = w;
    return 0;
fail:
    wf_reconciler_free(w);
    return r;
}

int wf_reconciler_start(struct wf_reconciler *w)
{
    for (; w->n_started < w->n_workers; w->n_started++) {
        int r = pthread_create(&w->threads[w->n_started], NULL, worker, w);
        if (r != 0)
            return -r;
    }
    return 0;
}

int wf_reconciler_enqueue_all(struct wf_reconciler *w)
{
    _cleanup_json_ json_t *all = NULL;
    int r = store_list(w->ctl->stores[RES_WORKFLOW], &all);
    if (r < 0)
        return r;
    size_t i;
    json_t *wf;
    json_array_foreach(all, i, wf) (void)enqueue_object(w, wf);
    return 0;
}

int wf_reconciler_stop(struct wf_reconciler *w)
{
    if (!w)
        return 0;
    (void)wq_shutdown(w->queue);
    for (unsigned i = 0; i < w->n_started; i++)
        (void)pthread_join(w->threads[i], NULL);
    w->n_started = 0;
    return 0;
}

struct wf_reconciler *wf_reconciler_free(struct wf_reconciler *w)
{
    if (!w)
        return NULL;
    (void)wf_reconciler_stop(w);
    wq_free(w->queue);
    free(w);
    return NULL;
}

int wf_reconciler_metrics(struct wf_reconciler *w, struct buf *out)
{
    struct wq_stats st;
    if (!w || wq_stats(w->queue, &st) < 0)
        return 0;
    return buf_printf(out,
                      "# TYPE anvil_workqueue_depth gauge\n"
                      "anvil_workqueue_depth{name=\"workflow\"} %" PRIu64 "\n"
                      "# TYPE anvil_workqueue_adds_total counter\n"
                      "anvil_workqueue_adds_total{name=\"workflow\"} %" PRIu64 "\n"
                      "# TYPE anvil_workqueue_retries_total counter\n"
                      "anvil_workqueue_retries_total{name=\"workflow\"} %" PRIu64 "\n"
                      "# TYPE anvil_reconcile_total counter\n"
                      "anvil_reconcile_total{controller=\"workflow\"} %" PRIu64 "\n"
                      "# TYPE anvil_reconcile_errors_total counter\n"
                      "anvil_reconcile_errors_total{controller=\"workflow\"} %" PRIu64 "\n"
                      "# TYPE anvil_reconcile_conflicts_total counter\n"
                      "anvil_reconcile_conflicts_total{controller=\"workflow\"} %" PRIu64 "\n",
                      st.depth, st.adds, st.retries, (uint64_t)atomic_load(&w->reconciles),
                      (uint64_t)atomic_load(&w->errors), (uint64_t)atomic_load(&w->conflicts));
}
