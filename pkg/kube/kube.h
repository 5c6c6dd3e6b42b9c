/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The Kubernetes client of anvil: configuration (kubeconfig, in-cluster),
 * REST calls on any group/version/resource with typed errors and a
 * client-side QPS limiter, and watch streams decoded by a bounded,
 * resumable line splitter. libcurl + jansson + libyaml.
 *
 * Threads: a struct kube_client may be used from several threads at once
 * (each call uses its own curl easy handle from an internal pool; the rate
 * limiter and token cache are locked). A struct kube_watch belongs to the
 * thread that opened it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---------------------------------------------------------------- config */

struct kube_config {
    char *server;          /* https://host:port, no trailing slash */
    char *ca_pem;          /* CA bundle (PEM text), NULL = system CAs */
    bool insecure;         /* insecure-skip-tls-verify */
    char *tls_server_name; /* SNI / verification name override */
    char *cert_pem;        /* client certificate (PEM text) */
    char *key_pem;         /* client key (PEM text) */
    char *token;           /* bearer token */
    char *token_file;      /* re-read on rotation (in-cluster) */
    char *exec_command;    /* client.authentication.k8s.io exec plugin, argv[0] */
    json_t *exec_args;     /* array of strings, NULL if none */
    json_t *exec_env;      /* array of {name,value}, NULL if none */
    char *namespace_;      /* context namespace, or the in-cluster namespace file, or "default" */
    char *source;          /* where it came from, for messages: a path or "in-cluster" */
    char *exec_api_version; /* client.authentication.k8s.io/v1 or /v1beta1 when exec is set */
};

struct kube_config_opts {
    const char *kubeconfig; /* --kubeconfig; NULL: $KUBECONFIG (first existing file of the
                               colon list), else in-cluster, else ~/.kube/config */
    const char *context;    /* NULL = current-context */
};

/* Loads a configuration. Returns 0, -ENOENT (nothing found), -EINVAL with
 * *ret_error = one line naming the file and the field at fault (e.g.
 * "/x/kubeconfig: users[0].user.client-key-data: invalid base64"), -ENOMEM.
 * ret_error may be NULL; when set the caller frees it. */
int kube_config_load(const struct kube_config_opts *opts, struct kube_config **ret, char **ret_error);

/* Parses kubeconfig text (YAML). Same returns; path is used in messages. */
int kube_config_parse(const char *text,
                      size_t len,
                      const char *path,
                      const char *context,
                      struct kube_config **ret,
                      char **ret_error);

/* In-cluster config from KUBERNETES_SERVICE_HOST/PORT and the service-account
 * files under root (NULL = "/var/run/secrets/kubernetes.io/serviceaccount").
 * -ENOENT when not in a cluster. */
int kube_config_incluster(const char *root, struct kube_config **ret, char **ret_error);

struct kube_config *kube_config_free(struct kube_config *c);

/* ---------------------------------------------------------------- errors */

/* What a failed call knows. reason is the Status reason ("NotFound",
 * "Conflict", "Expired", ...) or "" when the body was not a Status. */
struct kube_error {
    long http_code;      /* 0 when no HTTP answer (connection error, timeout) */
    char reason[64];
    char message[512];
    long retry_after;    /* seconds, from Retry-After or details.retryAfterSeconds */
    json_t *causes;      /* details.causes (Invalid), owned; kube_error_clear frees */
};

void kube_error_clear(struct kube_error *e);

/* Classification as client-go's apierrors does: reason first, then code. */
bool kube_is_not_found(const struct kube_error *e);
bool kube_is_conflict(const struct kube_error *e);      /* 409 Conflict (not AlreadyExists) */
bool kube_is_already_exists(const struct kube_error *e);
bool kube_is_gone(const struct kube_error *e);          /* 410 Expired/Gone, and 504 ResourceVersionTooLarge */
bool kube_is_invalid(const struct kube_error *e);       /* 422 */
bool kube_is_too_many_requests(const struct kube_error *e);

/* Fills e from an HTTP code and a response body (Status JSON or anything).
 * Pure; used by the client and by watch ERROR events. */
int kube_error_from_status(struct kube_error *e, long http_code, const json_t *status_or_null);

/* ---------------------------------------------------------------- client */

struct kube_client;

struct kube_client_opts {
    double qps;           /* client-side rate limit; 0 = 50 */
    int burst;            /* 0 = 100 */
    const char *user_agent; /* NULL = "anvil" */
    long timeout_ms;      /* per non-watch request; 0 = 30000 */
};

/* Copies what it needs from cfg. 0, -EINVAL, -ENOMEM. */
int kube_client_new(struct kube_client **ret, const struct kube_config *cfg,
                    const struct kube_client_opts *opts);
struct kube_client *kube_client_free(struct kube_client *c);

/* A resource: group "" for core. */
struct kube_resource {
    const char *group;
    const char *version;
    const char *resource; /* plural */
    bool namespaced;
};

struct kube_list_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version;
    const char *resource_version_match;
    const char *cont;
    long limit;            /* 0 = none */
};

/* Every call returns 0 with *ret set (a new reference), or a negative errno
 * with *err filled: -ENOENT (404), -EEXIST (409 AlreadyExists), -ECANCELED
 * (409 Conflict), -ESTALE (410), -EINVAL (400/422), -EACCES (401/403),
 * -EAGAIN (429/503, retry_after set), -ETIMEDOUT, -ECONNREFUSED, -EIO (other).
 * err may be NULL. ns is ignored for cluster-scoped resources. */
int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns,
             const char *name, json_t **ret, struct kube_error *err);
/* One page (opts->limit/cont) or everything when limit is 0. */
int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const struct kube_list_opts *opts, json_t **ret, struct kube_error *err);
/* Follows continue tokens, returning one list whose items are all pages. */
int kube_list_all(struct kube_client *c, const struct kube_resource *r, const char *ns,
                  const struct kube_list_opts *opts, long page_size, json_t **ret,
                  struct kube_error *err);
int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **ret, struct kube_error *err);
int kube_update(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **ret, struct kube_error *err);
int kube_update_status(struct kube_client *c, const struct kube_resource *r, const char *ns,
                       const json_t *obj, json_t **ret, struct kube_error *err);
enum kube_patch_type { KUBE_PATCH_MERGE, KUBE_PATCH_JSON, KUBE_PATCH_APPLY, _KUBE_PATCH_MAX };
/* subresource: NULL or "status". */
int kube_patch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const char *name, const char *subresource, enum kube_patch_type type,
               const json_t *patch, json_t **ret, struct kube_error *err);
/* ret may be NULL. preconditions_rv may be NULL. */
int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const char *preconditions_rv, json_t **ret,
                struct kube_error *err);
/* Any request (discovery, /version): path relative to the server. body may be NULL. */
int kube_request(struct kube_client *c, const char *method, const char *path,
                 const char *content_type, const json_t *body, json_t **ret,
                 struct kube_error *err);

/* Counters for /metrics. */
struct kube_client_stats {
    uint64_t requests;
    uint64_t by_class[6];  /* 0: no answer, 1..5: 1xx..5xx */
    double seconds_sum;
    uint64_t throttled;    /* calls that waited on the rate limiter */
};
void kube_client_get_stats(struct kube_client *c, struct kube_client_stats *ret);

/* ----------------------------------------------------------------- watch */

enum kube_event_type {
    KUBE_EVENT_ADDED,
    KUBE_EVENT_MODIFIED,
    KUBE_EVENT_DELETED,
    KUBE_EVENT_BOOKMARK,
    KUBE_EVENT_ERROR,
    _KUBE_EVENT_MAX,
};

/* The line splitter: feed it bytes as they arrive (any chunking); it calls
 * fn once per complete newline-terminated line. A line longer than max_line
 * fails the splitter with -E2BIG (the stream is then unusable). Resumable,
 * bounded, no strtok. */
struct kube_line_splitter;
typedef int (*kube_line_fn)(const char *line, size_t len, void *userdata);
int kube_line_splitter_new(struct kube_line_splitter **ret, size_t max_line);
struct kube_line_splitter *kube_line_splitter_free(struct kube_line_splitter *s);
/* Returns 0, -E2BIG, or the first negative return of fn. */
int kube_line_splitter_feed(struct kube_line_splitter *s, const char *data, size_t len,
                            kube_line_fn fn, void *userdata);
/* Bytes held for an incomplete line. */
size_t kube_line_splitter_pending(const struct kube_line_splitter *s);

/* Decodes one watch line into its type and object (new reference).
 * -EBADMSG for anything that is not {"type":..., "object":{...}} with a
 * known type. */
int kube_watch_event_decode(const char *line, size_t len, enum kube_event_type *ret_type,
                            json_t **ret_object);

struct kube_watch_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version;  /* where to start */
    bool allow_bookmarks;          /* default true when set by the caller */
    long timeout_seconds;          /* 0 = random in [300, 600) as client-go's reflector */
    size_t max_line;               /* 0 = 16 MiB */
};
/* Called for every event, on the thread that runs kube_watch_run. A negative
 * return stops the watch and is returned by kube_watch_run. object is
 * borrowed for the duration of the call (json_incref() it to keep it).
 * ERROR events do not reach the callback: they end the watch (see below). */
typedef int (*kube_event_fn)(enum kube_event_type type, json_t *object, void *userdata);

/* Cancellation token, thread-safe: kube_cancel_fire() makes a running
 * kube_watch_run() (or a rate-limiter wait) return -ECANCELED within about
 * 100 ms. */
struct kube_cancel;
int kube_cancel_new(struct kube_cancel **ret);
struct kube_cancel *kube_cancel_free(struct kube_cancel *c);
void kube_cancel_fire(struct kube_cancel *c);
bool kube_cancel_fired(const struct kube_cancel *c);

/* Opens and runs a watch until the server ends the stream (returns 0), the
 * callback returns < 0 (returned), cancel fires (-ECANCELED), or an error:
 * -ESTALE when the server answered 410 (as HTTP status or as an ERROR event;
 * err filled), other codes as for kube_get. A stream silent for longer than
 * timeout_seconds + 30 s is treated as dead (-ETIMEDOUT). TCP keepalive on.
 * cancel may be NULL. */
int kube_watch_run(struct kube_client *c, const struct kube_resource *r, const char *ns,
                   const struct kube_watch_opts *opts, kube_event_fn fn, void *userdata,
                   struct kube_cancel *cancel, struct kube_error *err);
