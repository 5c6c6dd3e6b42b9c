/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Internals of the embedded API server, shared by its files, its tests and
 * its fuzzers. The HTTP transport (apiserver-http.c, libwebsockets) turns a
 * request into a struct api_request, the pure handlers fill a struct
 * api_response, and watches are the only responses that outlive the call.
 * Everything runs on the one event-loop thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "apiserver/apiserver.h"
#include "buf/buf.h"

struct apistore;
struct apistore_row;
struct maint;
struct label_selector;
struct field_selector;

#define API_MAX_BODY        (3u * 1024 * 1024) /* kube-apiserver's request body limit */
#define API_MAX_PATH        4096
#define API_MAX_WATCH_QUEUE (64u * 1024 * 1024) /* a slower watcher is disconnected */
#define API_LIST_PAGE_MAX   100000

enum api_method {
    API_GET,
    API_HEAD,
    API_POST,
    API_PUT,
    API_PATCH,
    API_DELETE,
    API_OPTIONS,
    _API_METHOD_MAX,
};

/* A served resource: a built-in or one version of a CRD. Owned by the registry. */
struct api_resource {
    char *group; /* "" for the core group */
    char *version;
    char *plural;
    char *singular;
    char *kind;
    char *list_kind;
    bool namespaced;
    bool has_status;
    bool builtin;
    bool storage_version;    /* this version is the CRD's storage version */
    json_t *short_names;     /* array of strings */
    json_t *categories;      /* array of strings */
    json_t *schema;          /* openAPIV3Schema, NULL = no validation/pruning */
    json_t *printer_columns; /* array of {name,type,format,description,priority,jsonPath} */
    json_t *field_selectors; /* array of allowed fieldSelector keys beyond metadata.* */
    char *store_key;         /* "<group>/<plural>", shared by all versions */
    char *crd_name;          /* owning CRD, NULL for built-ins */
};

/* The parsed request path. */
enum api_path_kind {
    API_PATH_NONE,
    API_PATH_VERSION,    /* /version */
    API_PATH_HEALTH,     /* /healthz /readyz /livez (+ /<check>) */
    API_PATH_METRICS,    /* /metrics */
    API_PATH_DISCOVERY,  /* /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v> */
    API_PATH_OPENAPI_V3, /* /openapi/v3[/<gv path>] */
    API_PATH_OPENAPI_V2, /* /openapi/v2 (404 by design) */
    API_PATH_RESOURCE,   /* collection, object or subresource */
    _API_PATH_KIND_MAX,
};

struct api_path {
    enum api_path_kind kind;
    bool core;      /* /api/... rather than /apis/... */
    char *group;    /* "" for core */
    char *version;  /* NULL when not given */
    char *ns;       /* NULL when not namespaced in the path */
    char *resource; /* plural */
    char *name;     /* NULL for a collection */
    char *subresource;
    char *rest; /* for OPENAPI_V3 / HEALTH: what follows the prefix */
};

/* The query parameters the server understands (others are ignored). */
struct api_query {
    char *label_selector;
    char *field_selector;
    char *resource_version;
    char *resource_version_match;
    char *cont;
    char *field_manager;
    char *field_validation;
    char *dry_run;
    char *propagation_policy;
    char *include_object;
    long long limit;
    long long timeout_seconds; /* -1 when absent */
    bool watch;
    bool allow_watch_bookmarks;
    bool send_initial_events;
    bool send_initial_events_set;
    bool force;
    bool pretty;
};

struct api_request {
    enum api_method method;
    const char *path;
    struct api_query q;
    const char *accept;
    const char *content_type;
    const char *authorization;
    const char *body;
    size_t body_len;
    const char *peer; /* for logs */
};

/* What a watch needs once the handler has accepted it. */
struct api_watch_spec {
    char *store_key;
    char *api_version; /* requested group/version, written into every object */
    char *kind;
    json_t *columns; /* printer columns, for Table watches */
    bool raw_ok;     /* the stored apiVersion is the requested one: bodies pass through */
    char *ns;        /* NULL = all namespaces */
    struct label_selector *labels;
    struct field_selector *fields;
    uint64_t since;     /* replay events after this revision */
    bool initial_state; /* send ADDED for the current state first (RV "" / "0") */
    bool bookmarks;
    bool initial_end; /* sendInitialEvents: BOOKMARK with initial-events-end after the state */
    bool table;
    int64_t timeout_sec;
};

struct api_response {
    int status;
    const char *content_type;
    struct buf body;
    char *warning;                /* Warning header value, or NULL */
    long retry_after;             /* Retry-After seconds when > 0 */
    struct api_watch_spec *watch; /* set: the transport starts a watch stream */
};

/* The server state shared by the handlers. */
struct apiserver {
    struct apiserver_opts opts;
    struct apistore *store;
    struct api_registry *registry;
    struct lws_context *lws;
    struct api_watchers *watchers;
    struct api_metrics *metrics;
    json_t *tokens;      /* object token -> user, NULL when auth is off */
    struct maint *maint; /* periodic compaction timer (apiserver-http.c) */
    struct maint *watch_tick; /* one 1 s timer for every watch (apiserver-http.c) */
    char *openapi_cache;
    bool ready;
    volatile int stop;
    int64_t started_at;
};

/* ---- registry (apiserver-registry.c) ---- */
struct api_registry;
int api_registry_new(struct api_registry **ret);
struct api_registry *api_registry_free(struct api_registry *r);
/* Looks up by group, version and plural (or, when by_any, singular/short name/kind). */
const struct api_resource *api_registry_find(const struct api_registry *r,
                                             const char *group,
                                             const char *version,
                                             const char *plural);
/* Adds/replaces the served versions of one CRD object (json). Returns 0 or -EINVAL. */
int api_registry_put_crd(struct api_registry *r, const json_t *crd);
/* Removes every version of the CRD named name. */
void api_registry_remove_crd(struct api_registry *r, const char *crd_name);
size_t api_registry_count(const struct api_registry *r);
const struct api_resource *api_registry_at(const struct api_registry *r, size_t i);
/* Monotonic counter bumped on every change (discovery/openapi cache key). */
uint64_t api_registry_generation(const struct api_registry *r);

/* ---- routing (apiserver-route.c) ---- */
int api_path_parse(const char *path, struct api_path *ret);
void api_path_clear(struct api_path *p);
/* Adds one decoded "name=value" pair to q. Unknown names are ignored. Returns
 * 0 or -EINVAL for a malformed value of a known name. */
int api_query_add(struct api_query *q, const char *name, const char *value);
/* Parses a raw (still percent-encoded) query string. */
int api_query_parse(const char *raw, struct api_query *q);
void api_query_init(struct api_query *q);
void api_query_clear(struct api_query *q);

/* ---- responses (apiserver-status.c) ---- */
void api_response_init(struct api_response *r);
void api_response_clear(struct api_response *r);
/* A Kubernetes Status failure body. details may be NULL (stolen reference). */
int api_respond_status(
        struct api_response *r, int code, const char *reason, json_t *details, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* A JSON body (stolen reference). */
int api_respond_json(struct api_response *r, int code, json_t *body);
/* Raw JSON text. */
int api_respond_raw(
        struct api_response *r, int code, const char *ctype, const char *text, size_t n);
json_t *api_details(const char *name, const char *group, const char *kind);
/* The qualified resource name used in messages: "hardware.tinkerbell.org", "namespaces". */
void api_qualified(const struct api_resource *res, char *out, size_t n);

/* ---- helpers (apiserver-util.c) ---- */
void api_now_rfc3339(char *out, size_t n);
int64_t api_now_sec(void);
int api_parse_rfc3339(const char *s, int64_t *ret);
void api_human_duration(int64_t seconds, char *out, size_t n);
int api_new_uid(char out[37]);
int api_random_suffix(char out[6]);
bool api_is_dns1123_subdomain(const char *s);
bool api_is_dns1123_label(const char *s);
/* Validates labels (qualified names / values); appends causes to causes (array). */
void api_validate_labels(const json_t *labels, const char *path, json_t *causes);
json_t *api_cause(const char *type, const char *field, const char *message);
/* Appends a cause with a printf-formatted message. */
void api_add_cause(json_t *causes, const char *type, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Accept header contains as=Table. */
bool api_accepts_table(const char *accept);
const char *api_obj_str(const json_t *obj, const char *a, const char *b);

/* ---- built-in kinds (apiserver-builtin.c) ---- */
/* Checks s as Go's base64.StdEncoding decodes it (padding required, CR and LF
 * skipped). Returns 0 and, when ret_decoded is set, the decoded length;
 * -EBADMSG with the offset of the first offending byte in *bad_offset (when
 * set) for illegal input; -EINVAL when s is NULL. */
int api_base64_check(const char *s, size_t *ret_decoded, size_t *bad_offset);
/* A ConfigMap or Secret data key: [-._a-zA-Z0-9]+, 1 to 253 bytes, neither
 * "." nor starting with "..". */
bool api_is_config_key(const char *k);
/* kube-apiserver's kind-specific checks of the built-ins: Secret and
 * ConfigMap keys, base64 values and 1 MiB total, duplicate ConfigMap keys,
 * an Event's involvedObject.namespace, a Lease's duration and transitions.
 * Field errors are appended to causes (the caller answers 422 Invalid).
 * Illegal base64, which kube-apiserver's decoder refuses before validation
 * (400 BadRequest), returns -EBADMSG and sets *ret_message to its message
 * (caller frees). Returns 0 otherwise (also for every other resource),
 * -ENOMEM, or -EINVAL for a NULL argument. */
int api_validate_builtin(const struct api_resource *res,
                         const json_t *obj,
                         json_t *causes,
                         char **ret_message);

/* ---- handlers (apiserver-objects.c, apiserver-crd.c, apiserver-discovery.c) ---- */
int api_handle(struct apiserver *s, const struct api_request *req, struct api_response *resp);
int api_handle_discovery(struct apiserver *s,
                         const struct api_request *req,
                         const struct api_path *p,
                         struct api_response *resp);
int api_handle_openapi(struct apiserver *s,
                       const struct api_request *req,
                       const struct api_path *p,
                       struct api_response *resp);
int api_handle_resource(struct apiserver *s,
                        const struct api_request *req,
                        const struct api_path *p,
                        struct api_response *resp);
/* CRD specifics: validate + default a CRD object and fill its status. 0 or -EINVAL with causes. */
int api_crd_prepare(json_t *crd, json_t *causes);
/* Re-registers every stored CRD (start-up). */
int api_crd_load_all(struct apiserver *s);
/* Called after a CRD write (created/updated/deleted). */
int api_crd_changed(struct apiserver *s, const char *name, const json_t *crd_or_null);
/* Creates the default namespaces when missing. */
int api_bootstrap(struct apiserver *s);

/* ---- tables (apiserver-table.c) ---- */
/* Builds a meta.k8s.io/v1 Table from items (array of objects). include_object:
 * "None", "Metadata" (default) or "Object". with_columns false omits
 * columnDefinitions (watch events after the first). */
json_t *api_table_build(const json_t *columns,
                        json_t *items,
                        const char *include_object,
                        bool with_columns,
                        const char *list_rv,
                        int64_t now_sec);
/* The same, one row at a time: an empty Table, then one row per object. */
json_t *api_table_new(const json_t *columns, bool with_columns, const char *list_rv);
int api_table_append(json_t *table,
                     const json_t *columns,
                     const json_t *obj,
                     const char *include_object,
                     int64_t now_sec);
/* Evaluates a printer-column JSONPath (".a.b[0].c", "{.a}") against obj. New reference or NULL. */
json_t *api_jsonpath_eval(const json_t *obj, const char *path);

/* ---- watches (apiserver-watch.c) ---- */
struct api_watchers;
struct api_watcher;
int api_watchers_new(struct api_watchers **ret);
struct api_watchers *api_watchers_free(struct api_watchers *w);
void api_watch_spec_free(struct api_watch_spec *w);
/* Store subscriber: fans an event out to matching watchers. */
int api_watchers_on_event(const struct apistore_row *row, void *userdata);
/* Transport callbacks: a watcher writes through these. */
struct api_watch_sink {
    void *ctx;
    int (*wake)(void *ctx); /* ask for a writable callback */
};
/* Registers a watcher and queues its initial events; takes spec. */
int api_watcher_start(struct apiserver *s,
                      struct api_watch_spec *spec,
                      const struct api_watch_sink *sink,
                      struct api_watcher **ret);
void api_watcher_stop(struct apiserver *s, struct api_watcher *w);
/* Bytes waiting to be sent (NUL-free JSON lines). */
struct buf *api_watcher_queue(struct api_watcher *w);
bool api_watcher_overflowed(const struct api_watcher *w);
int64_t api_watcher_deadline(const struct api_watcher *w);
/* Queues a BOOKMARK with the current revision if bookmarks were asked for. */
int api_watcher_bookmark(struct apiserver *s, struct api_watcher *w);
/* Ends watches of a resource whose CRD went away. */
/* Queues the BOOKMARK that ends a sendInitialEvents prelude. */
int api_watcher_initial_end(struct apiserver *s, struct api_watcher *w);
void api_watchers_drop_resource(struct api_watchers *ws, const char *store_key);
size_t api_watchers_count(const struct api_watchers *ws);
/* Calls fn(sink ctx, w, userdata) for every registered watcher, newest first;
 * fn may queue and write but must not start or stop watchers. */
void api_watchers_foreach(struct api_watchers *ws,
                          void (*fn)(void *ctx, struct api_watcher *w, void *userdata),
                          void *userdata);

/* ---- metrics (apiserver-metrics.c) ---- */
struct api_metrics;
int api_metrics_new(struct api_metrics **ret);
struct api_metrics *api_metrics_free(struct api_metrics *m);
void api_metrics_request(
        struct api_metrics *m, const char *verb, const char *resource, int code, double seconds);
int api_metrics_render(struct apiserver *s, struct buf *out);

static inline const char *api_str_or(const char *s, const char *fallback)
{
    return s ? s : fallback;
}
