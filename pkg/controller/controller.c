/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_COMPONENT "controller"
#include "agentproto/agentproto.h"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "controller/controller-internal.h"
#include "events/events.h"
#include "httpd/httpd.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "leader/leader.h"
#include "log/log.h"

const struct kube_resource controller_resources[_RES_MAX] = {
        [RES_HARDWARE] = {"tinkerbell.org", "v1alpha1", "hardware", true},
        [RES_TEMPLATE] = {"tinkerbell.org", "v1alpha1", "templates", true},
        [RES_WORKFLOW] = {"tinkerbell.org", "v1alpha1", "workflows", true},
        [RES_WORKFLOWRULESET] = {"tinkerbell.org", "v1alpha1", "workflowrulesets", true},
        [RES_MACHINE] = {"bmc.tinkerbell.org", "v1alpha1", "machines", true},
        [RES_JOB] = {"bmc.tinkerbell.org", "v1alpha1", "jobs", true},
        [RES_TASK] = {"bmc.tinkerbell.org", "v1alpha1", "tasks", true},
};

static void on_started_leading(void *userdata)
{
    struct controller *c = userdata;
    atomic_store(&c->leading, true);
    log_info("started leading", LOG_STR("identity", lease_identity(c->lease)));
    (void)wf_reconciler_enqueue_all(c->wf);
    (void)bmc_reconciler_enqueue_all(c->bmc);
}

static void on_stopped_leading(void *userdata)
{
    struct controller *c = userdata;
    atomic_store(&c->leading, false);
    log_info("stopped leading", LOG_STR("identity", lease_identity(c->lease)));
}

static void on_new_leader(const char *identity, void *userdata)
{
    (void)userdata;
    log_info("leader observed", LOG_STR("leader", identity));
}

static int add_indexes(struct store *s, int which)
{
    int r = 0;
    if (which == RES_HARDWARE) {
        if ((r = store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL)) < 0 ||
            (r = store_add_index(s, STORE_INDEX_IP, store_index_hardware_ip, NULL)) < 0 ||
            (r = store_add_index(s, STORE_INDEX_AGENT_ID, store_index_hardware_agent_id, NULL)) <
                    0)
            return r;
    } else if (which == RES_WORKFLOW) {
        r = store_add_index(s, STORE_INDEX_AGENT_ID, store_index_workflow_agent_id, NULL);
    }
    return r;
}

static bool all_synced(struct controller *c)
{
    for (int i = 0; i < _RES_MAX; i++)
        if (!c->informers[i] || !informer_has_synced(c->informers[i]))
            return false;
    return true;
}

static int handle_healthz(void *userdata, const struct httpd_request *req,
                          struct httpd_response *resp)
{
    (void)userdata;
    (void)req;
    return buf_append_str(&resp->body, "ok");
}

static int handle_readyz(void *userdata, const struct httpd_request *req,
                         struct httpd_response *resp)
{
    struct controller *c = userdata;
    (void)req;
    if (!all_synced(c)) {
        resp->status = 503;
        return buf_append_str(&resp->body, "informers not synced\n");
    }
    return buf_append_str(&resp->body, "ok");
}

static int handle_metrics(void *userdata, const struct httpd_request *req,
                          struct httpd_response *resp)
{
    struct controller *c = userdata;
    struct buf *b = &resp->body;
    int r = 0;
    (void)req;
    resp->content_type = "text/plain; version=0.0.4";
    r = buf_append_str(b, "# TYPE anvil_informer_lists_total counter\n"
                          "# TYPE anvil_informer_relists_total counter\n"
                          "# TYPE anvil_informer_watch_restarts_total counter\n"
                          "# TYPE anvil_informer_expired_total counter\n"
                          "# TYPE anvil_informer_events_total counter\n"
                          "# TYPE anvil_informer_synced gauge\n"
                          "# TYPE anvil_store_objects gauge\n");
    for (int i = 0; r == 0 && i < _RES_MAX; i++) {
        struct informer_stats st;
        const char *res = controller_resources[i].resource;
        if (informer_get_stats(c->informers[i], &st) < 0)
            continue;
        r = buf_printf(b,
                       "anvil_informer_lists_total{resource=\"%s\"} %" PRIu64 "\n"
                       "anvil_informer_relists_total{resource=\"%s\"} %" PRIu64 "\n"
                       "anvil_informer_watch_restarts_total{resource=\"%s\"} %" PRIu64 "\n"
                       "anvil_informer_expired_total{resource=\"%s\"} %" PRIu64 "\n"
                       "anvil_informer_events_total{resource=\"%s\",type=\"added\"} %" PRIu64 "\n"
                       "anvil_informer_events_total{resource=\"%s\",type=\"modified\"} %" PRIu64
                       "\n"
                       "anvil_informer_events_total{resource=\"%s\",type=\"deleted\"} %" PRIu64
                       "\n"
                       "anvil_informer_synced{resource=\"%s\"} %d\n"
                       "anvil_store_objects{resource=\"%s\"} %zu\n",
                       res, st.lists, res, st.relists, res, st.watch_restarts, res, st.expired,
                       res, st.events[INFORMER_EVENT_ADDED], res,
                       st.events[INFORMER_EVENT_MODIFIED], res, st.events[INFORMER_EVENT_DELETED],
                       res, informer_has_synced(c->informers[i]) ? 1 : 0, res,
                       store_size(c->stores[i]));
    }
    struct kube_client_stats ks;
    kube_client_get_stats(c->client, &ks);
    static const char *const classes[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    if (r == 0)
        r = buf_append_str(b, "# TYPE anvil_kube_requests_total counter\n");
    for (int i = 0; r == 0 && i < 6; i++)
        r = buf_printf(b, "anvil_kube_requests_total{code=\"%s\"} %" PRIu64 "\n", classes[i],
                       ks.by_class[i]);
    if (r == 0)
        r = buf_printf(b,
                       "# TYPE anvil_kube_request_duration_seconds_sum counter\n"
                       "anvil_kube_request_duration_seconds_sum %.6f\n"
                       "# TYPE anvil_kube_requests_throttled_total counter\n"
                       "anvil_kube_requests_throttled_total %" PRIu64 "\n"
                       "# TYPE anvil_leader gauge\nanvil_leader %d\n",
                       ks.seconds_sum, ks.throttled, atomic_load(&c->leading) ? 1 : 0);
    if (r == 0)
        r = wf_reconciler_metrics(c->wf, b);
    if (r == 0)
        r = bmc_reconciler_metrics(c->bmc, b);
    if (r == 0)
        r = gw_ctl_metrics(c->gw, b);
    return r;
}

static int make_error(char **ret_error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int make_error(char **ret_error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ret_error && vasprintf(ret_error, fmt, ap) < 0)
        *ret_error = NULL;
    va_end(ap);
    return 0;
}

/* The agent key: --agent-key-file (the bytes, a trailing newline dropped) or
 * the "agent-key" entry of the --agent-key-secret Secret. */
static int read_agent_key(const struct controller_opts *o, struct kube_client *client,
                          unsigned char **ret, size_t *ret_len, char **ret_error)
{
    _cleanup_free_ unsigned char *key = NULL;
    size_t len = 0;
    int r;
    if (o->agent_key_file) {
        r = agentproto_key_read_file(o->agent_key_file, &key, &len);
        if (r < 0) {
            make_error(ret_error, "--agent-key-file %s: %s", o->agent_key_file,
                       r == -EINVAL ? "the key must be 16 to 4096 bytes" : strerror(-r));
            return r;
        }
    } else if (o->agent_key_secret) {
        const char *slash = strchr(o->agent_key_secret, '/');
        _cleanup_free_ char *ns = slash ? strndup(o->agent_key_secret,
                                                  (size_t)(slash - o->agent_key_secret))
                                        : NULL;
        struct kube_error err = {0};
        _cleanup_json_ json_t *secret = NULL;
        if (!ns || !slash[1]) {
            make_error(ret_error, "--agent-key-secret %s: expected NAMESPACE/NAME",
                       o->agent_key_secret);
            return -EINVAL;
        }
        static const struct kube_resource secrets = {"", "v1", "secrets", true};
        r = kube_get(client, &secrets, ns, slash + 1, &secret, &err);
        if (r < 0) {
            make_error(ret_error, "--agent-key-secret %s: %s", o->agent_key_secret,
                       err.message[0] ? err.message : strerror(-r));
            kube_error_clear(&err);
            return r;
        }
        const char *b64 = json_string_value(
                json_object_get(json_object_get(secret, "data"), "agent-key"));
        r = b64 ? agentproto_key_from_base64(b64, &key, &len) : -ENOENT;
        if (r < 0) {
            make_error(ret_error, "--agent-key-secret %s: data.agent-key %s", o->agent_key_secret,
                       r == -ENOENT ? "is missing" : "must be 16 to 4096 bytes of base64");
            return r;
        }
    } else {
        make_error(ret_error, "agent tokens need --agent-key-file or --agent-key-secret "
                              "(or --agent-auth=none)");
        return -EINVAL;
    }
    *ret = TAKE_PTR(key);
    *ret_len = len;
    return 0;
}

static int load_agent_key(struct controller *c, char **ret_error)
{
    _cleanup_free_ unsigned char *key = NULL;
    size_t len = 0;
    int r = read_agent_key(&c->opts, c->client, &key, &len, ret_error);
    if (r < 0)
        return r;
    r = gw_ctl_set_key(c->gw, key, len);
    explicit_bzero(key, len);
    return r;
}

int controller_mint_token(const struct controller_opts *opts, const char *agent_id,
                          int64_t expiry_unix, char **ret, char **ret_error)
{
    struct kube_config *cfg = NULL;
    struct kube_client *client = NULL;
    _cleanup_free_ unsigned char *key = NULL;
    size_t len = 0;
    int r = 0;
    if (!opts->agent_key_file && opts->agent_key_secret) {
        char *err = NULL;
        r = kube_config_load(&(struct kube_config_opts){.kubeconfig = opts->kubeconfig}, &cfg,
                             &err);
        if (r < 0) {
            make_error(ret_error, "%s", err ? err : "no Kubernetes configuration found");
            free(err);
            return r;
        }
        r = kube_client_new(&client, cfg, &(struct kube_client_opts){.user_agent = "anvil-controller"});
    }
    if (r == 0)
        r = read_agent_key(opts, client, &key, &len, ret_error);
    if (r == 0) {
        r = agentproto_token_mint(key, len, agent_id, expiry_unix, ret);
        if (r < 0)
            make_error(ret_error, "cannot mint a token for %s: %s", agent_id,
                       r == -EINVAL ? "not a valid agent ID" : strerror(-r));
        explicit_bzero(key, len);
    }
    kube_client_free(client);
    kube_config_free(cfg);
    return r;
}

int controller_new(struct controller **ret, const struct controller_opts *opts, char **ret_error)
{
    struct controller *c = calloc(1, sizeof(*c));
    char *err = NULL;
    int r;
    if (!c)
        return -ENOMEM;
    c->opts = *opts;
    r = kube_config_load(&(struct kube_config_opts){.kubeconfig = opts->kubeconfig}, &c->cfg,
                         &err);
    if (r < 0) {
        if (err)
            make_error(ret_error, "%s", err);
        else
            make_error(ret_error, "no Kubernetes configuration found (--kubeconfig, $KUBECONFIG, "
                                  "in-cluster or ~/.kube/config): %s",
                       strerror(-r));
        free(err);
        goto fail;
    }
    r = kube_client_new(&c->client, c->cfg,
                        &(struct kube_client_opts){.qps = opts->kube_qps,
                                                   .burst = opts->kube_burst,
                                                   .user_agent = "anvil-controller"});
    if (r < 0) {
        make_error(ret_error, "cannot create the Kubernetes client for %s: %s", c->cfg->server,
                   strerror(-r));
        goto fail;
    }
    for (int i = 0; i < _RES_MAX; i++) {
        /* Hardware and Workflows are the many objects: keep them as text. */
        bool compact = i == RES_HARDWARE || i == RES_WORKFLOW;
        if ((r = store_new(&c->stores[i])) < 0 || (r = add_indexes(c->stores[i], i)) < 0 ||
            (compact && (r = store_set_compact(c->stores[i])) < 0) ||
            (r = informer_source_kube(c->client, &controller_resources[i], opts->namespace_, NULL,
                                      &c->sources[i])) < 0) {
            make_error(ret_error, "cannot set up the %s informer: %s", controller_resources[i].resource,
                       strerror(-r));
            goto fail;
        }
        r = informer_new(&c->informers[i], c->sources[i], c->stores[i], NULL);
        if (r < 0) {
            make_error(ret_error, "cannot set up the %s informer: %s", controller_resources[i].resource,
                       strerror(-r));
            goto fail;
        }
    }
    r = events_kube_new(&c->events_kube, c->client);
    if (r == 0) {
        struct events_sink sink;
        events_kube_sink(c->events_kube, &sink);
        r = events_recorder_new(&c->recorder, &sink,
                                &(struct events_opts){.component = "anvil-controller"});
    }
    if (r == 0)
        r = wf_reconciler_new(&c->wf, c, 4);
    if (r == 0)
        r = bmc_reconciler_new(&c->bmc, c);
    if (r < 0) {
        make_error(ret_error, "cannot set up the workflow reconciler: %s", strerror(-r));
        goto fail;
    }
    if (opts->gateway_listen && (r = gw_ctl_new(&c->gw, c, ret_error)) < 0)
        goto fail;
    if (c->gw && !opts->agent_auth_none && (r = load_agent_key(c, ret_error)) < 0)
        goto fail;
    r = httpd_new(&c->http, &(struct httpd_opts){.listen = opts->http_listen});
    if (r < 0) {
        make_error(ret_error, "cannot listen on %s: %s", opts->http_listen, strerror(-r));
        goto fail;
    }
    if ((r = httpd_route(c->http, "/healthz", handle_healthz, c)) < 0 ||
        (r = httpd_route(c->http, "/livez", handle_healthz, c)) < 0 ||
        (r = httpd_route(c->http, "/readyz", handle_readyz, c)) < 0 ||
        (r = httpd_route(c->http, "/metrics", handle_metrics, c)) < 0)
        goto fail;
    if (opts->leader_elect) {
        const char *ns = opts->leader_election_namespace ? opts->leader_election_namespace
                                                         : c->cfg->namespace_;
        /* Lease calls must fail well inside leaseDuration - renewDeadline. */
        r = kube_client_new(&c->lease_client, c->cfg,
                            &(struct kube_client_opts){.qps = 20,
                                                       .burst = 20,
                                                       .user_agent = "anvil-controller/leader",
                                                       .timeout_ms = 4000});
        if (r == 0)
            r = lease_kube_new(&c->lease_kube, c->lease_client, ns ? ns : "default",
                               opts->leader_election_id);
        if (r < 0) {
            make_error(ret_error, "cannot set up leader election: %s", strerror(-r));
            goto fail;
        }
        struct lease_lock lock;
        lease_kube_lock(c->lease_kube, &lock);
        struct lease_callbacks cb = {.started_leading = on_started_leading,
                                     .stopped_leading = on_stopped_leading,
                                     .new_leader = on_new_leader,
                                     .userdata = c};
        /* client-go's 15 s / 10 s, with a 1 s retry period so a standby takes
         * over a killed leader within 20 s even at the worst jitter (the 2 s
         * default can take ~24 s; docs/leader.md has the arithmetic). */
        r = lease_new(&c->lease, &lock,
                      &(struct lease_opts){.identity = opts->identity,
                                           .lease_duration_ms = 15000,
                                           .renew_deadline_ms = 10000,
                                           .retry_period_ms = 1000,
                                           .callbacks = &cb});
        if (r < 0) {
            make_error(ret_error, "cannot set up leader election: %s", strerror(-r));
            goto fail;
        }
    }
    *ret = c;
    return 0;
fail:
    controller_free(c);
    return r < 0 ? r : -EINVAL;
}

int controller_start(struct controller *c)
{
    int r;
    for (int i = 0; i < _RES_MAX; i++)
        if ((r = informer_start(c->informers[i])) < 0)
            return r;
    if ((r = events_recorder_start(c->recorder)) < 0 || (r = wf_reconciler_start(c->wf)) < 0 ||
        (r = bmc_reconciler_start(c->bmc)) < 0)
        return r;
    if ((r = httpd_start(c->http)) < 0)
        return r;
    if (c->gw && (r = gw_ctl_start(c->gw)) < 0)
        return r;
    if (!c->lease) {
        atomic_store(&c->leading, true);
        (void)wf_reconciler_enqueue_all(c->wf);
        (void)bmc_reconciler_enqueue_all(c->bmc);
    } else if ((r = lease_start(c->lease)) < 0) {
        return r;
    }
    c->started = true;
    log_info("started", LOG_STR("server", c->cfg->server),
             LOG_STR("namespace", c->opts.namespace_ ? c->opts.namespace_ : "(all)"),
             LOG_INT("http_port", httpd_port(c->http)),
             LOG_INT("gateway_port", c->gw ? gw_ctl_port(c->gw) : 0),
             LOG_BOOL("leader_elect", c->lease != NULL),
             LOG_STR("identity", c->lease ? lease_identity(c->lease) : ""));
    return 0;
}

int controller_stop(struct controller *c)
{
    if (!c || !c->started)
        return 0;
    /* Release first so a standby takes over while we shut down. */
    if (c->lease)
        (void)lease_release(c->lease);
    atomic_store(&c->leading, false);
    (void)gw_ctl_stop(c->gw);
    (void)wf_reconciler_stop(c->wf);
    (void)bmc_reconciler_stop(c->bmc);
    (void)events_recorder_stop(c->recorder, 2000);
    for (int i = 0; i < _RES_MAX; i++)
        (void)informer_stop(c->informers[i]);
    c->started = false;
    return 0;
}

struct controller *controller_free(struct controller *c)
{
    if (!c)
        return NULL;
    (void)controller_stop(c);
    gw_ctl_free(c->gw);
    wf_reconciler_free(c->wf);
    bmc_reconciler_free(c->bmc);
    events_recorder_free(c->recorder);
    events_kube_free(c->events_kube);
    lease_free(c->lease);
    lease_kube_free(c->lease_kube);
    httpd_free(c->http);
    for (int i = 0; i < _RES_MAX; i++) {
        informer_free(c->informers[i]);
        informer_source_free(c->sources[i]);
        store_unref(c->stores[i]);
    }
    kube_client_free(c->client);
    kube_client_free(c->lease_client);
    kube_config_free(c->cfg);
    free(c);
    return NULL;
}
