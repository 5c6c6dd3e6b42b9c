/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent side of anvil-controller, on every replica: pkg/gateway carries
 * the WebSocket sessions; this file decides what each connected agent gets.
 *
 * Everything about one agent happens in one pass of a workqueue keyed by its
 * ID (per-key exclusivity): apply the status reports it sent, find its
 * Hardware (spec.agentID, else a pre-registered MAC), discover it, enroll it,
 * hold it for approval, then pick its Workflow and push the next action or
 * an idle reason. Passes are triggered by the agent's hello and reports and
 * by informer events on its Workflows, Hardware and the rule sets, so work is
 * pushed the moment it exists; nothing polls. A pass is idempotent: objects
 * have deterministic names (AlreadyExists is success) and the last message
 * sent to a session is remembered so nothing is sent twice.
 */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define LOG_COMPONENT "gateway"
#include "agentproto/agentproto.h"
#include "base/base64.h"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "buf/buf.h"
#include "controller/controller-agents.h"
#include "controller/controller-internal.h"
#include "enroll/enroll.h"
#include "events/events.h"
#include "gateway/gateway.h"
#include "informer/informer.h"
#include "log/log.h"
#include "workflow/workflow.h"
#include "workqueue/workqueue.h"

#define GW_WORKERS        8
#define GW_REPORT_RETRIES 5
#define SECRET_PREFIX     "secret://"

static const struct kube_resource secrets_resource = {"", "v1", "secrets", true};

struct gw_ctl {
    struct controller *ctl;
    struct gateway *gw;
    struct wq *queue;
    pthread_t threads[GW_WORKERS];
    unsigned n_started;
    /* Per agent: attributes (deflated JSON), the last message sent, the reports
     * not applied yet, and the Workflow versions this replica wrote last. */
    pthread_mutex_t lock;
    struct gw_agents agents;
    atomic_uint_fast64_t discovered, enrolled, reports, actions_sent, passes, errors;
    _Atomic int64_t last_trim_ms;
};

static const char *annotation(const json_t *obj, const char *name)
{
    return json_string_value(
            json_object_get(json_object_get(json_object_get(obj, "metadata"), "annotations"), name));
}

/* ---- agent table ------------------------------------------------------- */

static void enqueue_agent(struct gw_ctl *g, const char *id)
{
    int r = wq_add(g->queue, id);
    if (r < 0 && r != -ESHUTDOWN)
        log_warn("cannot queue agent", LOG_STR("agent", id), LOG_ERRNO(r));
}

/* Queues the agent when it is connected here. */
static void enqueue_if_connected(struct gw_ctl *g, const char *id)
{
    if (!id || !*id)
        return;
    pthread_mutex_lock(&g->lock);
    const struct gw_agent *a = gw_agents_find(&g->agents, id);
    bool known = a && a->connected;
    pthread_mutex_unlock(&g->lock);
    if (known)
        enqueue_agent(g, id);
}

static void on_connected(void *ud, const char *id, const json_t *attributes, const char *peer)
{
    struct gw_ctl *g = ud;
    (void)peer;
    /* Attributes are kept deflated (controller-agents.h): a parsed tree per
     * connected agent costs several times more, and a pass unpacks them
     * once. */
    struct gw_packed *packed = NULL;
    if (attributes && gw_attributes_pack(attributes, &packed) < 0)
        return;
    struct gw_agent *a;
    pthread_mutex_lock(&g->lock);
    /* An existing entry keeps the reports of the last session: still queued. */
    int r = gw_agents_get_or_add(&g->agents, id, &a);
    if (r == 0) {
        gw_agent_set_attributes(a, TAKE_PTR(packed));
        (void)gw_agent_set_str(&a->sent, NULL);
        a->connected = true;
    }
    pthread_mutex_unlock(&g->lock);
    free(packed);
    if (r < 0)
        return;
    enqueue_agent(g, id);
}

static void on_disconnected(void *ud, const char *id)
{
    struct gw_ctl *g = ud;
    pthread_mutex_lock(&g->lock);
    struct gw_agent *a = gw_agents_find(&g->agents, id);
    if (a && gw_agent_inbox_size(a) > 0) { /* the next pass applies them, then forgets the agent */
        a->connected = false;
        (void)gw_agent_set_str(&a->sent, NULL);
    } else {
        gw_agents_remove(&g->agents, id);
    }
    pthread_mutex_unlock(&g->lock);
}

static json_t *time_or_null(bool has, const struct agentproto_time *t)
{
    char s[AGENTPROTO_TIME_STRLEN];
    if (!has || agentproto_time_format(t, s) < 0)
        return json_null();
    return json_string(s);
}

/* A status message as the report object kept in the inbox. */
static json_t *report_from_status(const struct agentproto_status *st)
{
    char d[AGENTPROTO_DURATION_STRLEN] = "";
    if (st->has_execution_duration)
        (void)agentproto_duration_format(st->execution_duration_ns, d);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s?}", "workflowID", st->workflow_id,
                     "taskID", st->task_id, "actionID", st->action_id, "state",
                     agentproto_state_to_string(st->state), "executionStart",
                     time_or_null(st->has_execution_start, &st->execution_start),
                     "executionStop", time_or_null(st->has_execution_stop, &st->execution_stop),
                     "executionDuration", d, "message", st->message);
}

static void on_status(void *ud, const char *id, struct agentproto_msg *m)
{
    struct gw_ctl *g = ud;
    _cleanup_(agentproto_msg_freep) struct agentproto_msg *msg = m;
    json_t *rep = report_from_status(&msg->status);
    if (!rep)
        return;
    pthread_mutex_lock(&g->lock);
    struct gw_agent *a = gw_agents_find(&g->agents, id);
    bool queued = a && gw_agent_inbox_push(a, rep) == 0;
    pthread_mutex_unlock(&g->lock);
    json_decref(rep);
    atomic_fetch_add(&g->reports, 1);
    if (queued)
        enqueue_agent(g, id);
}

/* ---- informer events --------------------------------------------------- */

static int on_wf_event(json_t *obj, void *ud)
{
    struct gw_ctl *g = ud;
    enqueue_if_connected(g, json_string_value(json_object_get(json_object_get(obj, "status"),
                                                              "agentID")));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(obj, "spec"), "hardwareMap"), k, v)
            enqueue_if_connected(g, json_string_value(v));
    return 0;
}

static int on_wf_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return on_wf_event(obj, ud);
}

static int on_hw_event(json_t *obj, void *ud)
{
    struct gw_ctl *g = ud;
    const json_t *spec = json_object_get(obj, "spec");
    enqueue_if_connected(g, json_string_value(json_object_get(spec, "agentID")));
    size_t i;
    json_t *iface;
    json_array_foreach(json_object_get(spec, "interfaces"), i, iface) {
        char mac[ENROLL_MAC_STRLEN + 1];
        const char *s = json_string_value(json_object_get(json_object_get(iface, "dhcp"), "mac"));
        if (s && enroll_mac_normalize(s, mac) == 0)
            enqueue_if_connected(g, mac);
    }
    return 0;
}

static int on_hw_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return on_hw_event(obj, ud);
}

/* A new or changed rule set may enroll agents that had nothing to do. */
static int on_wrs_event(json_t *obj, void *ud)
{
    struct gw_ctl *g = ud;
    _cleanup_json_ json_t *ids = NULL;
    (void)obj;
    pthread_mutex_lock(&g->lock);
    int r = gw_agents_ids(&g->agents, &ids);
    pthread_mutex_unlock(&g->lock);
    if (r < 0)
        return r;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) enqueue_agent(g, json_string_value(v));
    return 0;
}

static int on_wrs_update(json_t *old, json_t *obj, void *ud)
{
    (void)old;
    return on_wrs_event(obj, ud);
}

/* ---- sending ----------------------------------------------------------- */

/* Sends m unless the same key was the last thing sent to this session. */
static void send_once(struct gw_ctl *g, const char *id, const char *key,
                      const struct agentproto_msg *m)
{
    pthread_mutex_lock(&g->lock);
    struct gw_agent *a = gw_agents_find(&g->agents, id);
    bool same = a && a->sent && strcmp(a->sent, key) == 0;
    pthread_mutex_unlock(&g->lock);
    if (!a || same)
        return;
    int r = gateway_send(g->gw, id, m);
    if (r < 0) {
        log_debug("cannot send to agent", LOG_STR("agent", id), LOG_ERRNO(r));
        return;
    }
    pthread_mutex_lock(&g->lock);
    a = gw_agents_find(&g->agents, id);
    if (a)
        (void)gw_agent_set_str(&a->sent, key);
    pthread_mutex_unlock(&g->lock);
    if (m->type == AGENTPROTO_ACTION)
        atomic_fetch_add(&g->actions_sent, 1);
}

static void send_idle(struct gw_ctl *g, const char *id, const char *reason)
{
    char key[96];
    snprintf(key, sizeof(key), "idle:%s", reason);
    struct agentproto_msg m = {.type = AGENTPROTO_IDLE, .idle = {.reason = reason}};
    send_once(g, id, key, &m);
}

static void send_ack(struct gw_ctl *g, const char *id, const json_t *rep)
{
    struct agentproto_msg m = {
            .type = AGENTPROTO_ACK,
            .ack = {.of = "status",
                    .action_id = json_string_value(json_object_get(rep, "actionID")),
                    .state = agentproto_state_from_string(
                            json_string_value(json_object_get(rep, "state")))}};
    (void)gateway_send(g->gw, id, &m);
}

/* ---- status reports ---------------------------------------------------- */

static uint64_t rv_of(const json_t *obj)
{
    const char *rv = controller_meta_str(obj, "resourceVersion");
    return rv ? strtoull(rv, NULL, 10) : 0;
}

/* Remembers the version written, so no pass serves from an older copy. */
static void remember_written(struct gw_ctl *g, const char *id, const char *key, const json_t *obj)
{
    uint64_t rv = rv_of(obj);
    pthread_mutex_lock(&g->lock);
    struct gw_agent *a = gw_agents_find(&g->agents, id);
    if (a)
        (void)gw_agent_written_set(a, key, rv);
    pthread_mutex_unlock(&g->lock);
}

/* Writes status onto wf through /status. 0, -ECANCELED (conflict), -errno. */
static int write_status(struct gw_ctl *g, const json_t *wf, json_t *status, json_t **ret_stored)
{
    _cleanup_json_ json_t *obj = json_copy((json_t *)wf);
    if (!obj || json_object_set(obj, "status", status) < 0)
        return -ENOMEM;
    struct kube_error err = {0};
    int r = kube_update_status(g->ctl->client, &controller_resources[RES_WORKFLOW],
                               controller_meta_str(wf, "namespace"), obj, ret_stored, &err);
    if (r < 0 && r != -ECANCELED)
        log_warn("cannot write workflow status", LOG_STR("workflow", controller_meta_str(wf, "name")),
                 LOG_STR("error", err.message[0] ? err.message : strerror(-r)));
    kube_error_clear(&err);
    return r;
}

/* Applies one report. Returns 0 when it is done with (applied, repeated or
 * refused for good: the agent gets its ack), -EAGAIN to try again later. */
static int apply_report(struct gw_ctl *g, const char *id, const json_t *rep)
{
    const char *wfid = json_string_value(json_object_get(rep, "workflowID"));
    _cleanup_json_ json_t *wf = NULL;
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = NULL;
    struct workflow_report report = {
            .agent_id = id,
            .task_id = json_string_value(json_object_get(rep, "taskID")),
            .action_id = json_string_value(json_object_get(rep, "actionID")),
            .state = json_string_value(json_object_get(rep, "state")),
            .execution_start = json_string_value(json_object_get(rep, "executionStart")),
            .execution_stop = json_string_value(json_object_get(rep, "executionStop")),
            .execution_duration = json_string_value(json_object_get(rep, "executionDuration")),
            .message = json_string_value(json_object_get(rep, "message")),
    };
    const char *slash = wfid ? strchr(wfid, '/') : NULL;
    if (!slash)
        return 0;
    _cleanup_free_ char *ns = strndup(wfid, (size_t)(slash - wfid));
    if (!ns)
        return -EAGAIN;
    if (workflow_ulid_new(&ids, controller_random_bytes, NULL) < 0)
        return -EAGAIN;
    int r = store_get(g->ctl->stores[RES_WORKFLOW], wfid, &wf);
    for (int attempt = 0; attempt < GW_REPORT_RETRIES; attempt++) {
        struct kube_error err = {0};
        if (r < 0 || attempt > 0) {
            json_decref(TAKE_PTR(wf));
            r = kube_get(g->ctl->client, &controller_resources[RES_WORKFLOW], ns, slash + 1, &wf,
                         &err);
            kube_error_clear(&err);
            if (r == -ENOENT) {
                log_info("report for a workflow that does not exist", LOG_STR("agent", id),
                         LOG_STR("workflow", wfid));
                return 0;
            }
            if (r < 0)
                return -EAGAIN;
        }
        struct workflow_plan plan = {0};
        struct workflow_env env = {.now_ms = controller_now_ms(), .ids = ids};
        r = workflow_apply_report(wf, &env, &report, &plan);
        if (r == 0) {
            workflow_plan_done(&plan);
            return 0; /* a repeated report */
        }
        if (r < 0) {
            log_info("report ignored", LOG_STR("agent", id), LOG_STR("workflow", wfid),
                     LOG_STR("action", report.action_id ? report.action_id : ""),
                     LOG_STR("state", report.state ? report.state : ""), LOG_ERRNO(r));
            return r == -ENOMEM ? -EAGAIN : 0;
        }
        _cleanup_json_ json_t *stored = NULL;
        r = write_status(g, wf, plan.status, &stored);
        if (r == 0) {
            controller_record_plan_events(g->ctl, wf, &plan);
            workflow_plan_done(&plan);
            remember_written(g, id, wfid, stored);
            log_info("action status", LOG_STR("agent", id), LOG_STR("workflow", wfid),
                     LOG_STR("action", report.action_id), LOG_STR("state", report.state));
            return 0;
        }
        workflow_plan_done(&plan);
        if (r != -ECANCELED)
            return -EAGAIN;
    }
    return -EAGAIN;
}

/* Applies the agent's queued reports in order. -EAGAIN when some remain. */
static int drain_inbox(struct gw_ctl *g, const char *id)
{
    for (;;) {
        _cleanup_json_ json_t *rep = NULL;
        const void *token = NULL;
        pthread_mutex_lock(&g->lock);
        struct gw_agent *a = gw_agents_find(&g->agents, id);
        int r = a ? gw_agent_inbox_first(a, &rep, &token) : -ENOENT;
        pthread_mutex_unlock(&g->lock);
        if (r == -ENOENT)
            return 0;
        if (r < 0)
            return -EAGAIN;
        r = apply_report(g, id, rep);
        if (r < 0)
            return r;
        pthread_mutex_lock(&g->lock);
        a = gw_agents_find(&g->agents, id);
        if (a)
            (void)gw_agent_inbox_pop(a, token);
        pthread_mutex_unlock(&g->lock);
        send_ack(g, id, rep);
    }
}

/* ---- Hardware: find, discover, approve --------------------------------- */

/* The agent's Hardware from the informer: spec.agentID, else pre-registered
 * by MAC. A new reference, or NULL. */
static json_t *find_hardware(struct gw_ctl *g, const char *id, const json_t *attributes)
{
    struct store *s = g->ctl->stores[RES_HARDWARE];
    _cleanup_json_ json_t *hits = NULL, *macs = NULL;
    if (store_by_index(s, STORE_INDEX_AGENT_ID, id, &hits) == 0 && json_array_size(hits) > 0) {
        if (json_array_size(hits) > 1)
            log_warn("several Hardware name this agent; using the first", LOG_STR("agent", id));
        return json_incref(json_array_get(hits, 0));
    }
    if (enroll_attributes_macs(attributes, id, &macs) < 0)
        return NULL;
    size_t i, j;
    json_t *mac, *hw;
    json_array_foreach(macs, i, mac) {
        json_decref(TAKE_PTR(hits));
        if (store_by_index(s, STORE_INDEX_MAC, json_string_value(mac), &hits) < 0)
            continue;
        json_array_foreach(hits, j, hw) {
            if (enroll_hardware_match(hw, id, attributes) != ENROLL_HW_MATCH_NONE)
                return json_incref(hw);
        }
    }
    return NULL;
}

static void event_on(struct gw_ctl *g, const json_t *obj, enum events_type type,
                     const char *reason, const char *message)
{
    struct events_ref ref;
    if (g->ctl->recorder && events_ref_from_object(obj, &ref) == 0)
        (void)events_record(g->ctl->recorder, &ref, type, reason, message);
}

/* Every interface's netboot.allowWorkflow set to false: the approval hold. */
static int hold_for_approval(json_t *hw)
{
    size_t i;
    json_t *iface;
    json_array_foreach(json_object_get(json_object_get(hw, "spec"), "interfaces"), i, iface) {
        json_t *nb = json_object_get(iface, "netboot");
        if (!nb && (json_object_set_new(iface, "netboot", json_object()) < 0 ||
                    !(nb = json_object_get(iface, "netboot"))))
            return -ENOMEM;
        if (json_object_set_new(nb, "allowWorkflow", json_false()) < 0)
            return -ENOMEM;
    }
    return json_object_set_new(json_object_get(json_object_get(hw, "metadata"), "labels"),
                               CONTROLLER_LABEL_APPROVAL, json_string("pending"));
}

/* Held until an operator approves: the annotation anvil.dev/approved=true, or
 * no interface with netboot.allowWorkflow false. */
static bool is_held(const json_t *hw)
{
    const char *approved = annotation(hw, CONTROLLER_ANNOTATION_APPROVED);
    if (approved && strcmp(approved, "true") == 0)
        return false;
    size_t i;
    json_t *iface;
    json_array_foreach(json_object_get(json_object_get(hw, "spec"), "interfaces"), i, iface) {
        if (json_is_false(json_object_get(json_object_get(iface, "netboot"), "allowWorkflow")))
            return true;
    }
    return false;
}

/* Creates Hardware discovery-<id>. Returns 0 and *ret (the stored object),
 * or -errno. An AlreadyExists answer reads the existing object instead. */
static int discover(struct gw_ctl *g, const char *id, const json_t *attributes, json_t **ret)
{
    const struct controller_opts *o = &g->ctl->opts;
    _cleanup_json_ json_t *hw = NULL, *stored = NULL;
    int r = enroll_discovery_hardware(
            id, attributes,
            &(struct enroll_discovery_opts){.namespace = o->auto_discovery_namespace,
                                            .enrollment_enabled =
                                                    o->auto_discovery_auto_enrollment},
            &hw);
    if (r < 0)
        return r;
    if (o->approval_manual && (r = hold_for_approval(hw)) < 0)
        return r;
    struct kube_error err = {0};
    r = kube_create(g->ctl->client, &controller_resources[RES_HARDWARE],
                    o->auto_discovery_namespace, hw, &stored, &err);
    if (r == -EEXIST) {
        kube_error_clear(&err);
        r = kube_get(g->ctl->client, &controller_resources[RES_HARDWARE],
                     o->auto_discovery_namespace, controller_meta_str(hw, "name"), &stored, &err);
        kube_error_clear(&err);
        if (r < 0)
            return r;
        *ret = TAKE_PTR(stored);
        return 0;
    }
    if (r < 0) {
        log_warn("cannot create discovered hardware", LOG_STR("agent", id),
                 LOG_STR("error", err.message[0] ? err.message : strerror(-r)));
        kube_error_clear(&err);
        return r;
    }
    atomic_fetch_add(&g->discovered, 1);
    log_info("hardware discovered", LOG_STR("agent", id),
             LOG_STR("hardware", controller_meta_str(stored, "name")),
             LOG_STR("namespace", o->auto_discovery_namespace));
    event_on(g, stored, EVENTS_NORMAL, "Discovered",
             "created for an agent that connected without Hardware");
    if (o->approval_manual)
        event_on(g, stored, EVENTS_NORMAL, "AwaitingApproval",
                 "workflows are held until an operator approves: kubectl annotate hardware "
                 "<name> " CONTROLLER_ANNOTATION_APPROVED "=true");
    *ret = TAKE_PTR(stored);
    return 1;
}

/* ---- enrollment -------------------------------------------------------- */

static int create_workflow(struct gw_ctl *g, const char *id, json_t *wf)
{
    _cleanup_json_ json_t *stored = NULL;
    struct kube_error err = {0};
    int r = kube_create(g->ctl->client, &controller_resources[RES_WORKFLOW],
                        controller_meta_str(wf, "namespace"), wf, &stored, &err);
    if (r == -EEXIST)
        r = 0;
    else if (r < 0)
        log_warn("cannot create enrollment workflow", LOG_STR("agent", id),
                 LOG_STR("error", err.message[0] ? err.message : strerror(-r)));
    else {
        atomic_fetch_add(&g->enrolled, 1);
        log_info("agent enrolled", LOG_STR("agent", id),
                 LOG_STR("workflow", controller_meta_str(stored, "name")),
                 LOG_STR("template",
                         json_string_value(json_object_get(json_object_get(stored, "spec"),
                                                           "templateRef"))));
        event_on(g, stored, EVENTS_NORMAL, "Enrolled", "created for a connecting agent");
    }
    kube_error_clear(&err);
    return r;
}

/* The enrollment hint of pre-registered Hardware: a Template named by
 * annotation, used instead of the rule sets. */
static int enroll_from_hint(struct gw_ctl *g, const char *id, const json_t *hw, const char *tpl)
{
    _cleanup_free_ char *name = NULL;
    const char *key = annotation(hw, CONTROLLER_ANNOTATION_ENROLL_AGENT_VALUE);
    int r = enroll_enrollment_name(id, &name);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *wf = json_pack(
            "{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s,s:s,s:{s:s}}}", "apiVersion", ENROLL_API_VERSION,
            "kind", "Workflow", "metadata", "name", name, "namespace", controller_meta_str(hw, "namespace"),
            "labels", ENROLL_LABEL_ENROLLMENT, "true", "spec", "templateRef", tpl, "hardwareRef",
            controller_meta_str(hw, "name"), "hardwareMap", key && *key ? key : "worker_id", id);
    if (!wf)
        return -ENOMEM;
    return create_workflow(g, id, wf);
}

static int enroll_from_rulesets(struct gw_ctl *g, const char *id, const json_t *attributes,
                                const json_t *hw)
{
    _cleanup_json_ json_t *all = NULL;
    int r = store_list(g->ctl->stores[RES_WORKFLOWRULESET], &all);
    if (r < 0)
        return r;
    size_t n = json_array_size(all), k = 0, best;
    struct enroll_ruleset **sets = calloc(n ? n : 1, sizeof(*sets));
    if (!sets)
        return -ENOMEM;
    size_t i;
    json_t *wrs;
    json_array_foreach(all, i, wrs) {
        _cleanup_free_ char *err = NULL;
        if (enroll_ruleset_new(wrs, &sets[k], &err) == 0)
            k++;
        else
            log_debug("rule set skipped", LOG_STR("ruleset", controller_meta_str(wrs, "name")),
                      LOG_STR("error", err ? err : ""));
    }
    r = enroll_ruleset_select(sets, k, attributes, &best, NULL);
    if (r == 0) {
        _cleanup_json_ json_t *wf = NULL;
        _cleanup_free_ char *err = NULL;
        r = enroll_enrollment_workflow(
                enroll_ruleset_object(sets[best]), id, attributes,
                &(struct enroll_workflow_opts){.hardware_ref = hw ? controller_meta_str(hw, "name") : NULL},
                &wf, &err);
        if (r == 0)
            r = create_workflow(g, id, wf);
        else
            log_warn("rule set cannot make a workflow",
                     LOG_STR("ruleset", enroll_ruleset_name(sets[best])),
                     LOG_STR("error", err ? err : strerror(-r)));
    }
    for (i = 0; i < k; i++)
        enroll_ruleset_free(sets[i]);
    free(sets);
    return r;
}

/* ---- the pass ---------------------------------------------------------- */

/* The agent's Workflows from the informer. *ret_stale is set when one of
 * them is older than what this replica wrote: the informer event for the
 * write is on its way and brings another pass, so nothing is served from the
 * old copy (it would re-serve an action that just finished). */
static json_t *agent_workflows(struct gw_ctl *g, const char *id, bool *ret_stale)
{
    _cleanup_json_ json_t *wfs = NULL;
    *ret_stale = false;
    if (store_by_index(g->ctl->stores[RES_WORKFLOW], STORE_INDEX_AGENT_ID, id, &wfs) < 0)
        return NULL;
    pthread_mutex_lock(&g->lock);
    const struct gw_agent *a = gw_agents_find(&g->agents, id);
    size_t i;
    json_t *wf;
    json_array_foreach(wfs, i, wf) {
        char key[STORE_KEY_MAX];
        snprintf(key, sizeof(key), "%s/%s", controller_meta_str(wf, "namespace"), controller_meta_str(wf, "name"));
        uint64_t w = a ? gw_agent_written_get(a, key) : 0;
        if (w > 0 && w > rv_of(wf))
            *ret_stale = true;
    }
    pthread_mutex_unlock(&g->lock);
    return TAKE_PTR(wfs);
}

/* Workflows that name this Hardware (maybe not rendered yet). */
static bool hardware_has_workflow(struct gw_ctl *g, const json_t *hw)
{
    char key[STORE_KEY_MAX];
    _cleanup_json_ json_t *wfs = NULL;
    snprintf(key, sizeof(key), "%s/%s", controller_meta_str(hw, "namespace"), controller_meta_str(hw, "name"));
    return store_by_index(g->ctl->stores[RES_WORKFLOW], CONTROLLER_INDEX_HARDWARE_REF, key, &wfs) ==
                   0 &&
           json_array_size(wfs) > 0;
}

/* "secret://<name>/<key>" values resolved from Secrets in ns. 0, or -errno
 * with *ret_what naming the reference that failed. */
static int resolve_secrets(struct gw_ctl *g, const char *ns, json_t *env, char **ret_what)
{
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
        const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq || strncmp(eq + 1, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
            continue;
        const char *ref = eq + 1 + strlen(SECRET_PREFIX), *slash = strchr(ref, '/');
        if (!slash || slash == ref || !slash[1]) {
            (void)asprintf(ret_what, "%s: not secret://<name>/<key>", eq + 1);
            return -EINVAL;
        }
        _cleanup_free_ char *name = strndup(ref, (size_t)(slash - ref));
        _cleanup_json_ json_t *secret = NULL;
        struct kube_error err = {0};
        int r = name ? kube_get(g->ctl->client, &secrets_resource, ns, name, &secret, &err)
                     : -ENOMEM;
        kube_error_clear(&err);
        const char *b64 = json_string_value(
                json_object_get(json_object_get(secret, "data"), slash + 1));
        if (r < 0 || !b64) {
            (void)asprintf(ret_what, "%s: %s", eq + 1,
                           r < 0 ? strerror(-r) : "no such key in the Secret");
            return r < 0 ? r : -ENOENT;
        }
        _cleanup_free_ unsigned char *raw = NULL;
        size_t len;
        r = base_base64_decode(b64, strlen(b64), SIZE_MAX, &raw, &len);
        if (r < 0) {
            if (r == -EINVAL)
                (void)asprintf(ret_what, "%s: the Secret value is not base64", eq + 1);
            return r;
        }
        _cleanup_free_ char *out = NULL;
        if (asprintf(&out, "%.*s=%.*s", (int)(eq - kv), kv, (int)len, (const char *)raw) < 0)
            return -ENOMEM;
        explicit_bzero(raw, len);
        if (json_array_set_new(env, i, json_string(out)) < 0) {
            (void)asprintf(ret_what, "%s: the Secret value is not UTF-8 text", eq + 1);
            return -EINVAL;
        }
        explicit_bzero(out, strlen(out));
    }
    return 0;
}

static int strv_of(const json_t *arr, const char ***ret, size_t *ret_n)
{
    size_t n = json_array_size(arr), i;
    const char **v = calloc(n + 1, sizeof(*v));
    json_t *e;
    if (!v)
        return -ENOMEM;
    json_array_foreach(arr, i, e) v[i] = json_string_value(e) ? json_string_value(e) : "";
    *ret = v;
    *ret_n = n;
    return 0;
}

/* Sends the action next points at (secrets resolved for this agent only). */
static int serve_action(struct gw_ctl *g, const char *id, const json_t *wf,
                        const struct workflow_next *next)
{
    _cleanup_json_ json_t *resp = NULL;
    _cleanup_free_ const char **cmd = NULL, **vols = NULL, **env = NULL;
    _cleanup_free_ char *what = NULL;
    size_t ncmd, nvols, nenv;
    int r = workflow_action_response(wf, next, &resp);
    if (r < 0)
        return r;
    json_t *envj = json_object_get(resp, "environment");
    r = resolve_secrets(g, controller_meta_str(wf, "namespace"), envj, &what);
    if (r < 0) {
        log_warn("cannot resolve a secret for an action", LOG_STR("agent", id),
                 LOG_STR("workflow", controller_meta_str(wf, "name")), LOG_STR("detail", what ? what : ""));
        event_on(g, wf, EVENTS_WARNING, "SecretUnavailable", what ? what : "secret reference");
        send_idle(g, id, AGENTPROTO_IDLE_WAITING);
        return -EAGAIN;
    }
    if ((r = strv_of(json_object_get(resp, "command"), &cmd, &ncmd)) < 0 ||
        (r = strv_of(json_object_get(resp, "volumes"), &vols, &nvols)) < 0 ||
        (r = strv_of(envj, &env, &nenv)) < 0)
        return r;
    const json_t *nsp = json_object_get(resp, "namespaces");
    const char *pid = json_string_value(json_object_get(resp, "pid"));
    struct agentproto_msg m = {
            .type = AGENTPROTO_ACTION,
            .action = {
                    .workflow_id = json_string_value(json_object_get(resp, "workflowID")),
                    .task_id = json_string_value(json_object_get(resp, "taskID")),
                    .agent_id = id,
                    .action_id = json_string_value(json_object_get(resp, "actionID")),
                    .name = json_string_value(json_object_get(resp, "name")),
                    .image = json_string_value(json_object_get(resp, "image")),
                    .timeout = json_integer_value(json_object_get(resp, "timeout")),
                    .command = {cmd, ncmd},
                    .volumes = {vols, nvols},
                    .environment = {env, nenv},
                    .namespace_network = json_string_value(json_object_get(nsp, "network")),
                    .namespace_pid = json_string_value(json_object_get(nsp, "pid")),
                    .pid = pid && *pid ? pid : NULL,
            }};
    char key[AGENTPROTO_WORKFLOW_ID_MAX + AGENTPROTO_ID_MAX + 16];
    snprintf(key, sizeof(key), "action:%s|%s", m.action.workflow_id, m.action.action_id);
    send_once(g, id, key, &m);
    for (size_t i = 0; i < nenv; i++) /* resolved secret values */
        if (env[i])
            explicit_bzero((char *)env[i], strlen(env[i]));
    return 0;
}

static const char *idle_reason(enum workflow_next_kind k)
{
    switch (k) {
    case WORKFLOW_NEXT_PREPARING:
        return AGENTPROTO_IDLE_PREPARING;
    case WORKFLOW_NEXT_OTHER_AGENT:
        return AGENTPROTO_IDLE_WAITING;
    case WORKFLOW_NEXT_DONE:
    case WORKFLOW_NEXT_TERMINAL:
        return AGENTPROTO_IDLE_DONE;
    case WORKFLOW_NEXT_DISABLED:
        return AGENTPROTO_IDLE_DISABLED;
    default:
        return AGENTPROTO_IDLE_NO_WORKFLOW;
    }
}

/* Decides and sends what the agent runs now. -EAGAIN: try again later. */
static int serve(struct gw_ctl *g, const char *id, const json_t *attributes)
{
    const struct controller_opts *o = &g->ctl->opts;
    _cleanup_json_ json_t *hw = find_hardware(g, id, attributes), *wfs = NULL;
    bool created = false;
    int r;
    if (!hw && o->auto_discovery) {
        r = discover(g, id, attributes, &hw);
        if (r < 0)
            return -EAGAIN;
        created = r > 0;
    }
    bool stale;
    wfs = agent_workflows(g, id, &stale);
    if (stale)
        return 0;
    if (json_array_size(wfs) == 0) {
        if (hw && hardware_has_workflow(g, hw)) {
            send_idle(g, id, AGENTPROTO_IDLE_PREPARING);
            return 0;
        }
        const char *hint = hw ? annotation(hw, CONTROLLER_ANNOTATION_ENROLL_TEMPLATE) : NULL;
        bool enabled = !hw || created ||
                       json_is_true(json_object_get(
                               json_object_get(json_object_get(hw, "spec"), "auto"),
                               "enrollmentEnabled"));
        if (hint && *hint)
            r = enroll_from_hint(g, id, hw, hint);
        else if (o->auto_enrollment && enabled)
            r = enroll_from_rulesets(g, id, attributes, hw);
        else
            r = -ENOENT;
        if (r == 0) {
            send_idle(g, id, AGENTPROTO_IDLE_PREPARING);
            return 0;
        }
        send_idle(g, id, AGENTPROTO_IDLE_NO_WORKFLOW);
        return r == -ENOENT || r == -EINVAL ? 0 : -EAGAIN;
    }
    if (hw && is_held(hw)) {
        send_idle(g, id, AGENTPROTO_IDLE_AWAITING_APPROVAL);
        return 0;
    }
    size_t idx;
    size_t n = json_array_size(wfs);
    _cleanup_free_ const json_t **list = calloc(n, sizeof(*list));
    if (!list)
        return -EAGAIN;
    for (size_t i = 0; i < n; i++)
        list[i] = json_array_get(wfs, i);
    if (workflow_pick(list, n, id, &idx) < 0) {
        send_idle(g, id, AGENTPROTO_IDLE_NO_WORKFLOW);
        return 0;
    }
    const json_t *wf = list[idx];
    struct workflow_next next = {0};
    if ((r = workflow_next_action(wf, id, &next)) < 0)
        return r == -ENOMEM ? -EAGAIN : 0;
    if (next.kind != WORKFLOW_NEXT_ACTION) {
        send_idle(g, id, idle_reason(next.kind));
        workflow_next_done(&next);
        return 0;
    }
    if (next.status) {
        _cleanup_json_ json_t *stored = NULL;
        if (write_status(g, wf, next.status, &stored) == 0) {
            char key[STORE_KEY_MAX];
            snprintf(key, sizeof(key), "%s/%s", controller_meta_str(wf, "namespace"), controller_meta_str(wf, "name"));
            remember_written(g, id, key, stored);
        }
    }
    r = serve_action(g, id, wf, &next);
    workflow_next_done(&next);
    return r;
}

static void pass(struct gw_ctl *g, const char *id)
{
    _cleanup_json_ json_t *attributes = NULL;
    pthread_mutex_lock(&g->lock);
    struct gw_agent *a = gw_agents_find(&g->agents, id);
    bool connected = a && a->connected;
    if (a && a->attributes)
        (void)gw_attributes_unpack(a->attributes, &attributes); /* NULL if it fails */
    pthread_mutex_unlock(&g->lock);
    if (!a) {
        (void)wq_forget(g->queue, id);
        return;
    }
    atomic_fetch_add(&g->passes, 1);
    int r = drain_inbox(g, id);
    if (r == 0 && connected)
        r = serve(g, id, attributes);
    if (r == 0 && !connected) {
        pthread_mutex_lock(&g->lock);
        a = gw_agents_find(&g->agents, id);
        if (a && !a->connected && gw_agent_inbox_size(a) == 0)
            gw_agents_remove(&g->agents, id);
        pthread_mutex_unlock(&g->lock);
    }
    if (r < 0) {
        atomic_fetch_add(&g->errors, 1);
        (void)wq_add_rate_limited(g->queue, id);
    } else {
        (void)wq_forget(g->queue, id);
    }
}

/* After a burst (the queue just drained), hand the heap that thousands of
 * passes freed back to the kernel, at most every 2 s: parsed objects come and
 * go by the thousand and glibc keeps freed pages in its per-thread arenas. */
static void trim_when_idle(struct gw_ctl *g)
{
    struct wq_stats st;
    if (wq_stats(g->queue, &st) < 0 || st.depth > 0 || st.processing > 0)
        return;
    int64_t now = controller_now_ms(), last = atomic_load(&g->last_trim_ms);
    if (now - last < 2000 || !atomic_compare_exchange_strong(&g->last_trim_ms, &last, now))
        return;
    (void)malloc_trim(0);
}

static void *worker(void *arg)
{
    struct gw_ctl *g = arg;
    for (;;) {
        const char *key;
        if (wq_get(g->queue, &key) < 0)
            return NULL;
        pass(g, key);
        (void)wq_done(g->queue, key);
        trim_when_idle(g);
    }
}

/* ---- lifecycle --------------------------------------------------------- */

static bool poll_loop_wanted(void)
{
    const char *v = getenv("ANVIL_GATEWAY_LOOP");
    return v && strcmp(v, "poll") == 0;
}

int gw_ctl_new(struct gw_ctl **ret, struct controller *c, char **ret_error)
{
    const struct controller_opts *o = &c->opts;
    struct gw_ctl *g = calloc(1, sizeof(*g));
    int r;
    if (!g)
        return -ENOMEM;
    g->ctl = c;
    pthread_mutex_init(&g->lock, NULL);
    r = gw_agents_init(&g->agents);
    r = r == 0 ? wq_new(&g->queue, &(struct wq_opts){.qps = 1000000, .burst = 1000000,
                                                        .base_delay_ms = 200,
                                                        .max_delay_ms = 30000})
                  : -ENOMEM;
    if (r < 0)
        goto fail;
    struct gateway_callbacks cb = {.connected = on_connected,
                                   .status = on_status,
                                   .disconnected = on_disconnected,
                                   .userdata = g};
    r = gateway_new(&g->gw,
                    &(struct gateway_opts){.listen = o->gateway_listen,
                                           .tls_cert = o->gateway_tls_cert,
                                           .tls_key = o->gateway_tls_key,
                                           .auth = o->agent_auth_none ? GATEWAY_AUTH_NONE
                                                                      : GATEWAY_AUTH_TOKEN,
                                           /* for comparisons: ANVIL_GATEWAY_LOOP=poll */
                                           .poll_loop = poll_loop_wanted()},
                    &cb);
    if (r < 0) {
        if (ret_error)
            (void)asprintf(ret_error, "cannot listen on %s for agents: %s", o->gateway_listen,
                           r == -EINVAL ? "bad address or TLS files" : strerror(-r));
        goto fail;
    }
    struct informer_handler wh = {.on_add = on_wf_event, .on_update = on_wf_update, .userdata = g};
    struct informer_handler hh = {.on_add = on_hw_event, .on_update = on_hw_update, .userdata = g};
    struct informer_handler rh = {.on_add = on_wrs_event, .on_update = on_wrs_update,
                                  .userdata = g};
    if ((r = informer_add_handler(c->informers[RES_WORKFLOW], &wh)) < 0 ||
        (r = informer_add_handler(c->informers[RES_HARDWARE], &hh)) < 0 ||
        (r = informer_add_handler(c->informers[RES_WORKFLOWRULESET], &rh)) < 0)
        goto fail;
    log_info("agent gateway event loop", LOG_STR("loop", gateway_loop_name(g->gw)));
    *ret = g;
    return 0;
fail:
    gw_ctl_free(g);
    return r;
}

int gw_ctl_set_key(struct gw_ctl *g, const void *key, size_t len)
{
    return gateway_set_key(g->gw, key, len);
}

int gw_ctl_start(struct gw_ctl *g)
{
    for (; g->n_started < GW_WORKERS; g->n_started++) {
        int r = pthread_create(&g->threads[g->n_started], NULL, worker, g);
        if (r != 0)
            return -r;
    }
    return gateway_start(g->gw);
}

int gw_ctl_port(struct gw_ctl *g)
{
    return gateway_port(g->gw);
}

int gw_ctl_stop(struct gw_ctl *g)
{
    if (!g)
        return 0;
    g->gw = gateway_free(g->gw); /* closes sessions: no more callbacks */
    (void)wq_shutdown(g->queue);
    for (unsigned i = 0; i < g->n_started; i++)
        (void)pthread_join(g->threads[i], NULL);
    g->n_started = 0;
    return 0;
}

int gw_ctl_metrics(struct gw_ctl *g, struct buf *out)
{
    if (!g)
        return 0;
    int r = g->gw ? gateway_metrics(g->gw, out) : 0;
    if (r == 0)
        r = buf_printf(out,
                       "# TYPE anvil_gateway_discovered_total counter\n"
                       "anvil_gateway_discovered_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_enrolled_total counter\n"
                       "anvil_gateway_enrolled_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_reports_total counter\n"
                       "anvil_gateway_reports_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_actions_sent_total counter\n"
                       "anvil_gateway_actions_sent_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_passes_total counter\n"
                       "anvil_gateway_passes_total %" PRIu64 "\n"
                       "# TYPE anvil_gateway_pass_errors_total counter\n"
                       "anvil_gateway_pass_errors_total %" PRIu64 "\n",
                       (uint64_t)atomic_load(&g->discovered), (uint64_t)atomic_load(&g->enrolled),
                       (uint64_t)atomic_load(&g->reports),
                       (uint64_t)atomic_load(&g->actions_sent), (uint64_t)atomic_load(&g->passes),
                       (uint64_t)atomic_load(&g->errors));
    return r;
}

struct gw_ctl *gw_ctl_free(struct gw_ctl *g)
{
    if (!g)
        return NULL;
    (void)gw_ctl_stop(g);
    wq_free(g->queue);
    gw_agents_done(&g->agents);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return NULL;
}
