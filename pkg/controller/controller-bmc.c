/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BMC reconciler: bmc.tinkerbell.org Machines, Jobs and Tasks, with the
 * decisions in pkg/bmc and the BMC conversation in pkg/redfish.
 *
 * One workqueue carries typed keys, "machine:<ns>/<name>", "job:..." and
 * "task:...". Worker threads act only while this replica leads.
 *   - A Machine is polled every poll interval: power state and the
 *     Contactable condition; a Machine without Hardware gets one
 *     (onboarding); its Hardware gets outOfBand inventory every inventory
 *     interval or when the Machine carries tinkerbell.org/refresh-inventory.
 *     Status-only updates of a Machine do not enqueue it (our own writes
 *     would otherwise make a poll loop).
 *   - A Job creates its Tasks one at a time (bmc_job_step()); Task updates
 *     enqueue the owning Job.
 *   - A Task runs its action once (startTime marks it run), then power
 *     actions are verified every 3 s until they hold or 10 minutes pass.
 * BMC calls are bounded: connect timeout, request timeout and retries come
 * from the options, so an unreachable BMC costs at most a few seconds of
 * one worker and is tried again with backoff.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_COMPONENT "controller"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "bmc/bmc.h"
#include "buf/buf.h"
#include "controller/controller-internal.h"
#include "events/events.h"
#include "informer/informer.h"
#include "log/log.h"
#include "redfish/redfish.h"
#include "workflow/workflow.h"
#include "workqueue/workqueue.h"

#define MAX_WORKERS   64
#define INDEX_OWNER   "owner"  /* Tasks by "<ns>/<owner-name label>" */
#define INDEX_BMC_REF "bmcRef" /* Hardware by "<ns>/<spec.bmcRef.name>" */
#define ERRBUF        512

static const struct kube_resource secrets_resource = {"", "v1", "secrets", true};

struct bmc_reconciler {
    struct controller *ctl;
    struct wq *queue;
    pthread_t threads[MAX_WORKERS];
    unsigned n_workers;
    unsigned n_started;
    int64_t poll_ms;
    int64_t inventory_ms;
    long connect_timeout_ms;
    long request_timeout_ms;
    bool onboard;
    atomic_uint_fast64_t reconciles, errors, bmc_failures, inventories, onboarded, tasks_done;
};

/* ------------------------------------------------------------ enqueueing */

static int enqueue(struct bmc_reconciler *b, const char *kind, const json_t *obj)
{
    char key[STORE_KEY_MAX + 16];
    _cleanup_free_ char *k = NULL;
    if (store_key_of(obj, &k) < 0)
        return 0;
    snprintf(key, sizeof(key), "%s:%s", kind, k);
    int r = wq_add(b->queue, key);
    return r < 0 && r != -ESHUTDOWN ? r : 0;
}

static void forget(struct bmc_reconciler *b, const char *kind, const json_t *obj)
{
    char key[STORE_KEY_MAX + 16];
    _cleanup_free_ char *k = NULL;
    if (store_key_of(obj, &k) < 0)
        return;
    snprintf(key, sizeof(key), "%s:%s", kind, k);
    (void)wq_forget(b->queue, key);
}

static int on_machine_add(json_t *obj, void *ud)
{
    return enqueue(ud, "machine", obj);
}

/* Only spec and annotation changes matter; status writes are ours. */
static int on_machine_update(json_t *old, json_t *obj, void *ud)
{
    json_t *om = json_object_get(old, "metadata"), *nm = json_object_get(obj, "metadata");
    if (json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
        json_equal(json_object_get(om, "annotations"), json_object_get(nm, "annotations")))
        return 0;
    return enqueue(ud, "machine", obj);
}

static int on_machine_delete(json_t *obj, void *ud)
{
    forget(ud, "machine", obj);
    return 0;
}

static int on_job_add(json_t *obj, void *ud)
{
    return enqueue(ud, "job", obj);
}

static int on_job_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return enqueue(ud, "job", obj);
}

static int on_job_delete(json_t *obj, void *ud)
{
    forget(ud, "job", obj);
    return 0;
}

/* A Task change wakes its Job (owner-name label) and the Task itself. */
static int enqueue_owner(struct bmc_reconciler *b, const json_t *task)
{
    const char *ns = controller_meta_str(task, "namespace");
    const char *owner = json_string_value(json_object_get(
            json_object_get(json_object_get(task, "metadata"), "labels"), BMC_LABEL_OWNER_NAME));
    char key[STORE_KEY_MAX + 16];
    if (!owner || !*owner)
        return 0;
    snprintf(key, sizeof(key), "job:%s/%s", ns ? ns : "", owner);
    int r = wq_add(b->queue, key);
    return r < 0 && r != -ESHUTDOWN ? r : 0;
}

static int on_task_add(json_t *obj, void *ud)
{
    (void)enqueue_owner(ud, obj);
    return enqueue(ud, "task", obj);
}

static int on_task_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    (void)enqueue_owner(ud, obj);
    return enqueue(ud, "task", obj);
}

static int on_task_delete(json_t *obj, void *ud)
{
    forget(ud, "task", obj);
    return enqueue_owner(ud, obj);
}

static int index_owner(const json_t *obj, struct store_index_keys *keys, void *ud)
{
    const char *ns = controller_meta_str(obj, "namespace");
    const char *owner = json_string_value(json_object_get(
            json_object_get(json_object_get(obj, "metadata"), "labels"), BMC_LABEL_OWNER_NAME));
    char key[STORE_KEY_MAX];
    (void)ud;
    if (!owner || !*owner)
        return 0;
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", owner);
    return store_index_keys_add(keys, key);
}

static int index_bmc_ref(const json_t *obj, struct store_index_keys *keys, void *ud)
{
    const char *ns = controller_meta_str(obj, "namespace");
    json_t *ref = json_object_get(json_object_get(obj, "spec"), "bmcRef");
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    char key[STORE_KEY_MAX];
    (void)ud;
    if (!name || !*name || (kind && strcmp(kind, "Machine") != 0))
        return 0;
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
    return store_index_keys_add(keys, key);
}

/* -------------------------------------------------------------- writing */

static int write_status(struct bmc_reconciler *b, int res, const json_t *obj, json_t *status)
{
    _cleanup_json_ json_t *copy = json_copy((json_t *)obj), *stored = NULL;
    struct kube_error err = {0};
    if (!copy || json_object_set(copy, "status", status) < 0)
        return -ENOMEM;
    int r = kube_update_status(b->ctl->client, &controller_resources[res],
                               controller_meta_str(obj, "namespace"), copy, &stored, &err);
    if (r < 0 && r != -ECANCELED && r != -ENOENT)
        log_warn("status write failed", LOG_STR("controller", "bmc"),
                 LOG_STR("resource", controller_resources[res].resource),
                 LOG_STR("name", controller_meta_str(obj, "name")), LOG_STR("message", err.message),
                 LOG_ERRNO(r));
    kube_error_clear(&err);
    return r;
}

static void record(struct bmc_reconciler *b,
                   const json_t *obj,
                   enum events_type type,
                   const char *reason,
                   const char *msg)
{
    struct events_ref ref;
    if (b->ctl->recorder && events_ref_from_object(obj, &ref) == 0)
        (void)events_record(b->ctl->recorder, &ref, type, reason, msg);
}

/* ------------------------------------------------------------ BMC access */

/* A connected client for a spec.connection in namespace ns, and the path
 * of its ComputerSystem. On failure errbuf says why (for a condition). */
static int open_bmc(struct bmc_reconciler *b,
                    const json_t *conn,
                    const char *ns,
                    struct redfish_client **ret,
                    char **ret_system,
                    char *errbuf,
                    size_t n)
{
    struct bmc_connection bc = {0};
    _cleanup_json_ json_t *secret = NULL;
    _cleanup_free_ char *user = NULL, *pass = NULL, *ca = NULL;
    struct redfish_error rerr = {0};
    struct kube_error kerr = {0};
    struct redfish_client *c = NULL;
    int r = bmc_connection_parse(conn, ns, &bc, errbuf, n);
    if (r < 0)
        return r;
    if (!bc.secret_name) {
        r = -EINVAL;
        snprintf(errbuf, n, "spec.connection.authSecretRef is missing (Redfish needs credentials)");
        goto out;
    }
    r = kube_get(b->ctl->client, &secrets_resource, bc.secret_namespace, bc.secret_name, &secret,
                 &kerr);
    if (r < 0) {
        snprintf(errbuf, n, "secret %s/%s: %.300s", bc.secret_namespace, bc.secret_name,
                 r == -ENOENT      ? "not found"
                 : kerr.message[0] ? kerr.message
                                   : strerror(-r));
        goto out;
    }
    r = bmc_secret_credentials(secret, &user, &pass, errbuf, n);
    if (r == 0)
        r = bmc_secret_ca(secret, &ca, errbuf, n);
    if (r < 0)
        goto out;
    r = redfish_client_new(&c, &(struct redfish_opts){
                                       .endpoint = bc.endpoint,
                                       .username = user,
                                       .password = pass,
                                       .insecure_tls = bc.insecure_tls,
                                       .ca_pem = ca,
                                       .basic_auth = bc.basic_auth,
                                       .connect_timeout_ms = b->connect_timeout_ms,
                                       .timeout_ms = b->request_timeout_ms,
                                       .retries = 2,
                                       .user_agent = "anvil-controller",
                               });
    if (r < 0) {
        snprintf(errbuf, n, "cannot use endpoint %s: %s", bc.endpoint, strerror(-r));
        goto out;
    }
    r = redfish_connect(c, &rerr);
    if (r == 0)
        r = redfish_system_find(c, bc.system_name, ret_system, &rerr);
    if (r < 0) {
        snprintf(errbuf, n, "%s", rerr.message);
        redfish_client_free(c);
        goto out;
    }
    *ret = c;
out:
    if (pass)
        explicit_bzero(pass, strlen(pass));
    kube_error_clear(&kerr);
    bmc_connection_done(&bc);
    return r;
}

static const char *power_word(enum redfish_power p)
{
    switch (p) {
    case REDFISH_POWER_ON:
    case REDFISH_POWER_POWERING_OFF: /* still on */
        return "on";
    case REDFISH_POWER_OFF:
    case REDFISH_POWER_POWERING_ON: /* not on yet */
        return "off";
    default:
        return "unknown";
    }
}

/* ------------------------------------------------------------- machines */

/* The Hardware whose spec.bmcRef names this Machine (new reference). */
static json_t *hardware_of(struct bmc_reconciler *b, const char *key)
{
    _cleanup_json_ json_t *list = NULL;
    if (store_by_index(b->ctl->stores[RES_HARDWARE], INDEX_BMC_REF, key, &list) < 0)
        return NULL;
    return json_incref(json_array_get(list, 0));
}

static int write_inventory(struct bmc_reconciler *b, const json_t *hw, const json_t *raw)
{
    _cleanup_json_ json_t *oob = NULL, *st = NULL;
    int r = bmc_inventory_out_of_band(raw, controller_now_ms(), &oob);
    if (r < 0)
        return r;
    st = json_deep_copy(json_object_get(hw, "status"));
    if (!json_is_object(st)) {
        json_decref(st);
        st = json_object();
    }
    json_t *attrs = json_object_get(st, "attributes");
    if (!json_is_object(attrs)) {
        attrs = json_object();
        if (!attrs || json_object_set_new(st, "attributes", attrs) < 0)
            return -ENOMEM;
    }
    if (json_object_set(attrs, "outOfBand", oob) < 0)
        return -ENOMEM;
    r = write_status(b, RES_HARDWARE, hw, st);
    if (r == 0)
        atomic_fetch_add(&b->inventories, 1);
    return r;
}

/* Creates the Hardware for machine unless a MAC already belongs to one. */
static int onboard(struct bmc_reconciler *b, const json_t *machine, const json_t *raw)
{
    _cleanup_json_ json_t *hw = NULL, *created = NULL;
    struct kube_error err = {0};
    char msg[ERRBUF];
    int r = bmc_onboard_hardware(machine, raw, &hw);
    if (r == -ENODATA) {
        record(b, machine, EVENTS_WARNING, "OnboardingSkipped",
               "the BMC reports no host MAC address; no Hardware created");
        return 0;
    }
    if (r < 0)
        return r;
    size_t i;
    json_t *iface;
    json_array_foreach(json_object_get(json_object_get(hw, "spec"), "interfaces"), i, iface)
    {
        const char *mac = json_string_value(json_object_get(json_object_get(iface, "dhcp"), "mac"));
        _cleanup_json_ json_t *owners = NULL;
        if (store_by_index(b->ctl->stores[RES_HARDWARE], STORE_INDEX_MAC, mac, &owners) == 0 &&
            json_array_size(owners) > 0) {
            snprintf(msg, sizeof(msg), "MAC %s already belongs to Hardware %s; no Hardware created",
                     mac, controller_meta_str(json_array_get(owners, 0), "name"));
            record(b, machine, EVENTS_WARNING, "OnboardingSkipped", msg);
            return 0;
        }
    }
    r = kube_create(b->ctl->client, &controller_resources[RES_HARDWARE], controller_meta_str(hw, "namespace"),
                    hw, &created, &err);
    if (r == -EEXIST) {
        snprintf(msg, sizeof(msg), "Hardware %s exists and does not point at this Machine",
                 controller_meta_str(hw, "name"));
        record(b, machine, EVENTS_WARNING, "OnboardingSkipped", msg);
        r = 0;
    } else if (r == 0) {
        atomic_fetch_add(&b->onboarded, 1);
        snprintf(msg, sizeof(msg), "created Hardware %s with %zu interface(s)",
                 controller_meta_str(hw, "name"),
                 json_array_size(json_object_get(json_object_get(hw, "spec"), "interfaces")));
        record(b, machine, EVENTS_NORMAL, "Onboarded", msg);
        log_info("onboarded", LOG_STR("controller", "bmc"),
                 LOG_STR("machine", controller_meta_str(machine, "name")),
                 LOG_STR("hardware", controller_meta_str(hw, "name")));
        r = write_inventory(b, created, raw);
    } else {
        log_warn("onboarding failed", LOG_STR("controller", "bmc"),
                 LOG_STR("machine", controller_meta_str(machine, "name")), LOG_STR("message", err.message),
                 LOG_ERRNO(r));
    }
    kube_error_clear(&err);
    return r;
}

static int drop_refresh_annotation(struct bmc_reconciler *b, const json_t *machine)
{
    _cleanup_json_ json_t *patch =
            json_pack("{s:{s:{s:n}}}", "metadata", "annotations", BMC_ANNOTATION_REFRESH_INVENTORY);
    _cleanup_json_ json_t *out = NULL;
    struct kube_error err = {0};
    if (!patch)
        return -ENOMEM;
    int r = kube_patch(b->ctl->client, &controller_resources[RES_MACHINE],
                       controller_meta_str(machine, "namespace"), controller_meta_str(machine, "name"), NULL,
                       KUBE_PATCH_MERGE, patch, &out, &err);
    kube_error_clear(&err);
    return r;
}

/* Onboarding and inventory for a contactable Machine. */
static int machine_inventory(struct bmc_reconciler *b,
                             const char *key,
                             const json_t *machine,
                             struct redfish_client *c,
                             const char *system)
{
    _cleanup_json_ json_t *hw = hardware_of(b, key), *raw = NULL;
    struct redfish_error rerr = {0};
    const char *refresh = json_string_value(
            json_object_get(json_object_get(json_object_get(machine, "metadata"), "annotations"),
                            BMC_ANNOTATION_REFRESH_INVENTORY));
    int r;
    if (!hw && !b->onboard)
        return 0;
    if (hw && !bmc_inventory_due(hw, machine, b->inventory_ms, controller_now_ms()))
        return 0;
    r = redfish_inventory(c, system, &raw, &rerr);
    if (r < 0) {
        record(b, machine, EVENTS_WARNING, "InventoryFailed", rerr.message);
        return r;
    }
    r = hw ? write_inventory(b, hw, raw) : onboard(b, machine, raw);
    if (r == 0 && refresh)
        r = drop_refresh_annotation(b, machine);
    return r;
}

/* Returns the requeue delay in ms, or a negative errno. */
static int64_t reconcile_machine(struct bmc_reconciler *b, const char *key)
{
    _cleanup_json_ json_t *m = NULL, *st = NULL;
    _cleanup_(redfish_client_freep) struct redfish_client *c = NULL;
    _cleanup_free_ char *system = NULL;
    char errbuf[ERRBUF] = "";
    const char *power = "unknown";
    struct redfish_error rerr = {0};
    enum redfish_power p;
    bool ok;
    int r;

    if (store_get(b->ctl->stores[RES_MACHINE], key, &m) < 0)
        return 0; /* deleted */
    r = open_bmc(b, json_object_get(json_object_get(m, "spec"), "connection"),
                 controller_meta_str(m, "namespace"), &c, &system, errbuf, sizeof(errbuf));
    if (r == 0) {
        r = redfish_power_get(c, system, &p, &rerr);
        if (r == 0)
            power = power_word(p);
        else
            snprintf(errbuf, sizeof(errbuf), "%s", rerr.message);
    }
    ok = r == 0;
    if (!ok)
        atomic_fetch_add(&b->bmc_failures, 1);
    int changed = bmc_machine_status(m, power, ok, errbuf, controller_now_ms(), &st);
    if (changed < 0)
        return changed;
    r = write_status(b, RES_MACHINE, m, st);
    if (changed == 1 && !ok) {
        record(b, m, EVENTS_WARNING, "NotContactable", errbuf);
        log_warn("BMC not contactable", LOG_STR("controller", "bmc"), LOG_STR("key", key),
                 LOG_STR("message", errbuf));
    }
    if (r == -ECANCELED)
        return 1; /* a newer Machine is on its way: go again soon */
    if (ok && (r = machine_inventory(b, key, m, c, system)) < 0 && r != -ECANCELED)
        log_warn("inventory failed", LOG_STR("controller", "bmc"), LOG_STR("key", key),
                 LOG_ERRNO(r));
    return ok ? b->poll_ms : -EHOSTUNREACH;
}

/* ---------------------------------------------------------------- tasks */

static int64_t
task_finish(struct bmc_reconciler *b, const json_t *t, enum bmc_result res, const char *msg)
{
    _cleanup_json_ json_t *st = NULL;
    int r = bmc_task_status(t, res, msg, controller_now_ms(), &st);
    if (r < 0)
        return r;
    r = write_status(b, RES_TASK, t, st);
    if (r == -ECANCELED)
        return 1;
    if (r < 0)
        return r;
    if (res == BMC_RESULT_COMPLETED || res == BMC_RESULT_FAILED)
        atomic_fetch_add(&b->tasks_done, 1);
    if (res == BMC_RESULT_FAILED)
        record(b, t, EVENTS_WARNING, "TaskFailed", msg);
    return res == BMC_RESULT_STARTED ? BMC_POWER_POLL_MS : 0;
}

/* Runs the action. 0 done, 1 started and to be verified, <0 failed
 * (errbuf says why). */
static int task_run(struct redfish_client *c,
                    const char *system,
                    const struct bmc_action *a,
                    char *errbuf,
                    size_t n)
{
    struct redfish_error rerr = {0};
    enum redfish_power p;
    const char *fallback, *type, *want;
    int r;

    switch (a->kind) {
    case BMC_ACTION_POWER:
        r = redfish_power_get(c, system, &p, &rerr);
        if (r < 0)
            break;
        want = bmc_power_expected(a->power);
        snprintf(errbuf, n, "power state: %s", power_word(p));
        if (!want)
            return 0; /* status */
        /* on/off are idempotent: nothing to do when the state holds. */
        if ((a->power == BMC_POWER_ON || a->power == BMC_POWER_OFF || a->power == BMC_POWER_SOFT) &&
            strcmp(power_word(p), want) == 0 && (p == REDFISH_POWER_ON || p == REDFISH_POWER_OFF))
            return 0;
        type = bmc_power_reset_type(a->power, &fallback);
        r = redfish_reset(c, system, type, fallback, NULL, &rerr);
        if (r == 0)
            return 1; /* verified by polling */
        break;
    case BMC_ACTION_BOOT_DEVICE:
        type = bmc_boot_device_target(a->device);
        if (!type) {
            snprintf(errbuf, n, "boot device safe has no Redfish equivalent");
            return -EOPNOTSUPP;
        }
        r = redfish_boot_override(c, system, type, a->persistent, a->efi_boot, &rerr);
        break;
    case BMC_ACTION_VIRTUAL_MEDIA:
        r = redfish_virtual_media(c, system, a->media_kind, a->media_url, &rerr);
        break;
    default:
        return -EINVAL;
    }
    if (r < 0)
        snprintf(errbuf, n, "%s", rerr.message);
    return r;
}

static int64_t reconcile_task(struct bmc_reconciler *b, const char *key)
{
    _cleanup_json_ json_t *t = NULL;
    _cleanup_(redfish_client_freep) struct redfish_client *c = NULL;
    _cleanup_free_ char *system = NULL;
    char errbuf[ERRBUF] = "", what[256], msg[ERRBUF + 300];
    struct bmc_action a;
    int r;

    if (store_get(b->ctl->stores[RES_TASK], key, &t) < 0)
        return 0;
    enum bmc_task_phase phase = bmc_task_phase(t);
    if (phase == BMC_TASK_FINISHED)
        return 0;
    json_t *spec = json_object_get(t, "spec");
    if (bmc_action_parse(json_object_get(spec, "task"), &a, errbuf, sizeof(errbuf)) < 0)
        return task_finish(b, t, BMC_RESULT_FAILED, errbuf);
    (void)bmc_action_describe(&a, what, sizeof(what));
    if (phase == BMC_TASK_VERIFY && bmc_task_expired(t, controller_now_ms())) {
        snprintf(msg, sizeof(msg), "%s: not done after %d minutes", what,
                 BMC_TASK_TIMEOUT_MS / 60000);
        return task_finish(b, t, BMC_RESULT_FAILED, msg);
    }
    r = open_bmc(b, json_object_get(spec, "connection"), controller_meta_str(t, "namespace"), &c, &system,
                 errbuf, sizeof(errbuf));
    if (r < 0) {
        atomic_fetch_add(&b->bmc_failures, 1);
        /* Wrong credentials or a broken spec do not heal by waiting. */
        if (r == -EACCES || r == -EINVAL || r == -EPROTO) {
            snprintf(msg, sizeof(msg), "%s: %s", what, errbuf);
            return task_finish(b, t, BMC_RESULT_FAILED, msg);
        }
        return r; /* unreachable: retried with backoff until the task expires */
    }
    if (phase == BMC_TASK_VERIFY && a.kind == BMC_ACTION_POWER) {
        struct redfish_error rerr = {0};
        enum redfish_power p;
        r = redfish_power_get(c, system, &p, &rerr);
        if (r < 0)
            return r;
        if (strcmp(power_word(p), bmc_power_expected(a.power)) == 0 &&
            (p == REDFISH_POWER_ON || p == REDFISH_POWER_OFF)) {
            snprintf(msg, sizeof(msg), "%s: power state %s", what, power_word(p));
            return task_finish(b, t, BMC_RESULT_COMPLETED, msg);
        }
        return BMC_POWER_POLL_MS;
    }
    r = task_run(c, system, &a, errbuf, sizeof(errbuf));
    snprintf(msg, sizeof(msg), "%s: %s", what, errbuf[0] ? errbuf : "done");
    if (r < 0)
        return task_finish(b, t, BMC_RESULT_FAILED, msg);
    return task_finish(b, t, r == 1 ? BMC_RESULT_STARTED : BMC_RESULT_COMPLETED, msg);
}

/* ----------------------------------------------------------------- jobs */

/* A Task of that name exists but the store does not show it as ours: a
 * left-over of an earlier Job with the same name (deleted and recreated),
 * or ours, just created and not yet seen by the informer. Deletes the
 * former. Returns 0 (nothing to do) or 1 (deleted: come back). */
static int drop_stale_task(struct bmc_reconciler *b, const json_t *job, const json_t *task)
{
    _cleanup_json_ json_t *cur = NULL;
    struct kube_error err = {0};
    const char *ns = controller_meta_str(task, "namespace"), *name = controller_meta_str(task, "name");
    const char *uid = controller_meta_str(job, "uid");
    int r = kube_get(b->ctl->client, &controller_resources[RES_TASK], ns, name, &cur, &err);
    kube_error_clear(&err);
    if (r < 0)
        return r == -ENOENT ? 1 : r;
    json_t *owners = json_object_get(json_object_get(cur, "metadata"), "ownerReferences"), *o;
    size_t i;
    json_array_foreach(owners, i, o)
    {
        const char *ou = json_string_value(json_object_get(o, "uid"));
        if (!uid || (ou && strcmp(ou, uid) == 0))
            return 0;
    }
    r = kube_delete(b->ctl->client, &controller_resources[RES_TASK], ns, name, NULL, NULL, &err);
    kube_error_clear(&err);
    return r < 0 && r != -ENOENT ? r : 1;
}

static int64_t reconcile_job(struct bmc_reconciler *b, const char *key)
{
    _cleanup_json_ json_t *job = NULL, *machine = NULL, *tasks = NULL, *created = NULL;
    struct bmc_job_plan plan = {0};
    struct kube_error err = {0};
    char mkey[STORE_KEY_MAX];
    int64_t ret = 0;
    int r;

    if (store_get(b->ctl->stores[RES_JOB], key, &job) < 0)
        return 0;
    json_t *ref = json_object_get(json_object_get(job, "spec"), "machineRef");
    const char *mns = json_string_value(json_object_get(ref, "namespace"));
    const char *mname = json_string_value(json_object_get(ref, "name"));
    snprintf(mkey, sizeof(mkey), "%s/%s", mns ? mns : controller_meta_str(job, "namespace"),
             mname ? mname : "");
    (void)store_get(b->ctl->stores[RES_MACHINE], mkey, &machine);
    if (store_by_index(b->ctl->stores[RES_TASK], INDEX_OWNER, key, &tasks) < 0)
        tasks = json_array();
    size_t n = json_array_size(tasks);
    _cleanup_free_ const json_t **list = calloc(n ? n : 1, sizeof(*list));
    if (!list || !tasks)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        list[i] = json_array_get(tasks, i);
    r = bmc_job_step(job, machine, list, n, controller_now_ms(), &plan);
    if (r < 0)
        return r;
    if (plan.task) {
        r = kube_create(b->ctl->client, &controller_resources[RES_TASK],
                        controller_meta_str(plan.task, "namespace"), plan.task, &created, &err);
        if (r == -EEXIST && (r = drop_stale_task(b, job, plan.task)) < 0) {
            ret = r;
            goto out;
        }
        if (r < 0) {
            log_warn("task create failed", LOG_STR("controller", "bmc"), LOG_STR("key", key),
                     LOG_STR("message", err.message), LOG_ERRNO(r));
            ret = r;
            goto out;
        }
    }
    if (plan.task && r == 1) {
        ret = 500; /* a stale Task was removed: create ours shortly */
        goto out;
    }
    if (plan.status) {
        r = write_status(b, RES_JOB, job, plan.status);
        if (r == -ECANCELED) {
            ret = 1;
            goto out;
        }
        if (r < 0) {
            ret = r;
            goto out;
        }
        if (plan.finished) {
            _cleanup_json_ json_t *after = json_pack("{s:O}", "status", plan.status);
            bool ok = after && bmc_job_outcome(after) == 1;
            record(b, job, ok ? EVENTS_NORMAL : EVENTS_WARNING, ok ? "JobCompleted" : "JobFailed",
                   ok ? "every task completed" : "a task failed; see the Job's conditions");
        }
    }
    if (plan.wait)
        ret = -ENOENT; /* the Machine may appear: back off */
out:
    kube_error_clear(&err);
    bmc_job_plan_done(&plan);
    return ret;
}

/* --------------------------------------------------------------- worker */

static int64_t reconcile(struct bmc_reconciler *b, const char *key)
{
    if (strncmp(key, "machine:", 8) == 0)
        return reconcile_machine(b, key + 8);
    if (strncmp(key, "task:", 5) == 0)
        return reconcile_task(b, key + 5);
    if (strncmp(key, "job:", 4) == 0)
        return reconcile_job(b, key + 4);
    return 0;
}

static void *worker(void *arg)
{
    struct bmc_reconciler *b = arg;
    for (;;) {
        const char *key;
        if (wq_get(b->queue, &key) < 0)
            break;
        if (!atomic_load(&b->ctl->leading)) {
            (void)wq_forget(b->queue, key);
            (void)wq_done(b->queue, key);
            continue;
        }
        int64_t r = reconcile(b, key);
        atomic_fetch_add(&b->reconciles, 1);
        if (r < 0) {
            atomic_fetch_add(&b->errors, 1);
            log_debug("reconcile failed", LOG_STR("controller", "bmc"), LOG_STR("key", key),
                      LOG_ERRNO((int)r));
            (void)wq_add_rate_limited(b->queue, key);
        } else {
            (void)wq_forget(b->queue, key);
            if (r > 0)
                (void)wq_add_after(b->queue, key, (uint64_t)r);
        }
        (void)wq_done(b->queue, key);
    }
    return NULL;
}

int bmc_reconciler_new(struct bmc_reconciler **ret, struct controller *c)
{
    const struct controller_opts *o = &c->opts;
    struct bmc_reconciler *b = calloc(1, sizeof(*b));
    int r;
    if (!b)
        return -ENOMEM;
    b->ctl = c;
    b->n_workers = o->bmc_workers > 0 ? MIN((unsigned)o->bmc_workers, (unsigned)MAX_WORKERS) : 8;
    b->poll_ms = o->bmc_poll_interval_s > 0 ? o->bmc_poll_interval_s * 1000 : 300000;
    b->inventory_ms =
            o->bmc_inventory_interval_s > 0 ? o->bmc_inventory_interval_s * 1000 : 86400000;
    b->connect_timeout_ms = o->bmc_connect_timeout_ms > 0 ? o->bmc_connect_timeout_ms : 10000;
    b->request_timeout_ms = 30000;
    b->onboard = !o->bmc_onboard_disabled;
    /* Failures back off from 1 s up to the poll interval. */
    r = wq_new(&b->queue, &(struct wq_opts){.base_delay_ms = 1000,
                                            .max_delay_ms = (uint64_t)MAX(b->poll_ms, 1000)});
    if (r < 0)
        goto fail;
    if ((r = store_add_index(c->stores[RES_TASK], INDEX_OWNER, index_owner, NULL)) < 0 ||
        (r = store_add_index(c->stores[RES_HARDWARE], INDEX_BMC_REF, index_bmc_ref, NULL)) < 0)
        goto fail;
    struct informer_handler mh = {.on_add = on_machine_add,
                                  .on_update = on_machine_update,
                                  .on_delete = on_machine_delete,
                                  .userdata = b};
    struct informer_handler jh = {.on_add = on_job_add,
                                  .on_update = on_job_update,
                                  .on_delete = on_job_delete,
                                  .userdata = b};
    struct informer_handler th = {.on_add = on_task_add,
                                  .on_update = on_task_update,
                                  .on_delete = on_task_delete,
                                  .userdata = b};
    if ((r = informer_add_handler(c->informers[RES_MACHINE], &mh)) < 0 ||
        (r = informer_add_handler(c->informers[RES_JOB], &jh)) < 0 ||
        (r = informer_add_handler(c->informers[RES_TASK], &th)) < 0)
        goto fail;
    *ret = b;
    return 0;
fail:
    bmc_reconciler_free(b);
    return r;
}

int bmc_reconciler_start(struct bmc_reconciler *b)
{
    for (; b && b->n_started < b->n_workers; b->n_started++) {
        int r = pthread_create(&b->threads[b->n_started], NULL, worker, b);
        if (r != 0)
            return -r;
    }
    return 0;
}

static void enqueue_store(struct bmc_reconciler *b, int res, const char *kind)
{
    _cleanup_json_ json_t *all = NULL;
    size_t i;
    json_t *o;
    if (store_list(b->ctl->stores[res], &all) < 0)
        return;
    json_array_foreach(all, i, o)(void) enqueue(b, kind, o);
}

int bmc_reconciler_enqueue_all(struct bmc_reconciler *b)
{
    if (!b)
        return 0;
    enqueue_store(b, RES_MACHINE, "machine");
    enqueue_store(b, RES_JOB, "job");
    enqueue_store(b, RES_TASK, "task");
    return 0;
}

int bmc_reconciler_stop(struct bmc_reconciler *b)
{
    if (!b)
        return 0;
    (void)wq_shutdown(b->queue);
    for (unsigned i = 0; i < b->n_started; i++)
        (void)pthread_join(b->threads[i], NULL);
    b->n_started = 0;
    return 0;
}

struct bmc_reconciler *bmc_reconciler_free(struct bmc_reconciler *b)
{
    if (!b)
        return NULL;
    (void)bmc_reconciler_stop(b);
    wq_free(b->queue);
    free(b);
    return NULL;
}

int bmc_reconciler_metrics(struct bmc_reconciler *b, struct buf *out)
{
    struct wq_stats st;
    if (!b || wq_stats(b->queue, &st) < 0)
        return 0;
    return buf_printf(out,
                      "anvil_workqueue_depth{name=\"bmc\"} %" PRIu64 "\n"
                      "anvil_reconcile_total{controller=\"bmc\"} %" PRIu64 "\n"
                      "anvil_reconcile_errors_total{controller=\"bmc\"} %" PRIu64 "\n"
                      "# TYPE anvil_bmc_unreachable_total counter\n"
                      "anvil_bmc_unreachable_total %" PRIu64 "\n"
                      "# TYPE anvil_bmc_inventories_total counter\n"
                      "anvil_bmc_inventories_total %" PRIu64 "\n"
                      "# TYPE anvil_bmc_onboarded_total counter\n"
                      "anvil_bmc_onboarded_total %" PRIu64 "\n"
                      "# TYPE anvil_bmc_tasks_finished_total counter\n"
                      "anvil_bmc_tasks_finished_total %" PRIu64 "\n",
                      st.depth, (uint64_t)atomic_load(&b->reconciles),
                      (uint64_t)atomic_load(&b->errors), (uint64_t)atomic_load(&b->bmc_failures),
                      (uint64_t)atomic_load(&b->inventories), (uint64_t)atomic_load(&b->onboarded),
                      (uint64_t)atomic_load(&b->tasks_done));
}

/* --------------------------------------------------- Workflow boot jobs */

/* True when Job j belongs to the Workflow's current run: owned by it and
 * created no earlier than its template was rendered (a re-run renders
 * again, so the Job of an earlier run does not count). */
static bool job_of_this_run(const json_t *wf, const json_t *j)
{
    const char *uid = controller_meta_str(wf, "uid");
    json_t *owners = json_object_get(json_object_get(j, "metadata"), "ownerReferences"), *o;
    int64_t rendered = 0, created = 0;
    size_t i;
    bool mine = !uid;
    json_array_foreach(owners, i, o)
    {
        const char *ou = json_string_value(json_object_get(o, "uid"));
        mine = mine || (ou && strcmp(ou, uid) == 0);
    }
    json_t *conds = json_object_get(json_object_get(wf, "status"), "conditions"), *cnd;
    json_array_foreach(conds, i, cnd)
    {
        const char *t = json_string_value(json_object_get(cnd, "type"));
        if (t && strcmp(t, "TemplateRenderedSuccess") == 0)
            (void)workflow_time_parse(json_string_value(json_object_get(cnd, "time")), &rendered);
    }
    (void)workflow_time_parse(controller_meta_str(j, "creationTimestamp"), &created);
    return mine && created >= rendered;
}

int bmc_boot_job_state(struct controller *c, const json_t *wf, int job)
{
    _cleanup_free_ char *name = NULL;
    _cleanup_json_ json_t *j = NULL;
    char key[STORE_KEY_MAX];
    if (workflow_boot_job_name(wf, (enum workflow_boot_job)job, &name) < 0)
        return WORKFLOW_JOB_ABSENT;
    snprintf(key, sizeof(key), "%s/%s", controller_meta_str(wf, "namespace") ? controller_meta_str(wf, "namespace") : "",
             name);
    if (store_get(c->stores[RES_JOB], key, &j) < 0 || !job_of_this_run(wf, j))
        return WORKFLOW_JOB_ABSENT; /* none, or one of an earlier run: replaced on create */
    switch (bmc_job_outcome(j)) {
    case 1:
        return WORKFLOW_JOB_COMPLETE;
    case -1:
        return WORKFLOW_JOB_FAILED;
    default:
        return WORKFLOW_JOB_RUNNING;
    }
}

/* Deletes an old Job of that name and its Tasks, then creates the Job. */
int bmc_boot_job_create(
        struct controller *c, const json_t *wf, const json_t *hardware, int job, char **ret_error)
{
    _cleanup_free_ char *name = NULL;
    _cleanup_json_ json_t *j = NULL, *out = NULL, *tasks = NULL;
    struct kube_error err = {0};
    char errbuf[ERRBUF], key[STORE_KEY_MAX];
    const char *ns = controller_meta_str(wf, "namespace");
    int r = workflow_boot_job_name(wf, (enum workflow_boot_job)job, &name);
    if (r < 0)
        return r;
    r = bmc_boot_job_build(wf, hardware, workflow_boot_job_to_string((enum workflow_boot_job)job),
                           name, &j, errbuf, sizeof(errbuf));
    if (r < 0) {
        if (ret_error)
            *ret_error = strdup(errbuf);
        return r;
    }
    /* The informer may lag behind our own create: ask the API first. */
    _cleanup_json_ json_t *cur = NULL;
    if (kube_get(c->client, &controller_resources[RES_JOB], ns, name, &cur, &err) == 0 &&
        job_of_this_run(wf, cur)) {
        kube_error_clear(&err);
        return 0;
    }
    kube_error_clear(&err);
    r = kube_delete(c->client, &controller_resources[RES_JOB], ns, name, NULL, NULL, &err);
    kube_error_clear(&err);
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
    if (store_by_index(c->stores[RES_TASK], INDEX_OWNER, key, &tasks) == 0) {
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t)
        {
            (void)kube_delete(c->client, &controller_resources[RES_TASK], ns, controller_meta_str(t, "name"),
                              NULL, NULL, &err);
            kube_error_clear(&err);
        }
    }
    r = kube_create(c->client, &controller_resources[RES_JOB], ns, j, &out, &err);
    if (r < 0 && ret_error)
        *ret_error = strdup(err.message[0] ? err.message : strerror(-r));
    kube_error_clear(&err);
    return r;
}
