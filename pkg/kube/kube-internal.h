/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private state of pkg/kube, shared by its sources, its unit tests and its
 * fuzzers. Nothing here is part of the public API.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/macro.h"
#include "buf/buf.h"
#include "kube/kube.h"

/* ------------------------------------------------------------- limits */

#define KUBE_DEFAULT_QPS        50.0
#define KUBE_DEFAULT_BURST      100
#define KUBE_DEFAULT_TIMEOUT_MS 30000L
#define KUBE_DEFAULT_USER_AGENT "anvil"
#define KUBE_DEFAULT_MAX_LINE   ((size_t)16 * 1024 * 1024)
#define KUBE_MAX_RESPONSE       ((size_t)256 * 1024 * 1024) /* one non-watch body */
#define KUBE_MAX_ERROR_BODY     ((size_t)1024 * 1024)       /* kept of a failed answer */
#define KUBE_MAX_KUBECONFIG     ((size_t)16 * 1024 * 1024)
#define KUBE_MAX_PEM_FILE       ((size_t)4 * 1024 * 1024)
#define KUBE_MAX_TOKEN_FILE     ((size_t)64 * 1024)
#define KUBE_MAX_EXEC_OUTPUT    ((size_t)1024 * 1024)
#define KUBE_MAX_LIST_PAGES     1000000L
#define KUBE_DEFAULT_PAGE_SIZE  500L
#define KUBE_POOL_MAX_IDLE      8
#define KUBE_FIELD_MANAGER      "anvil"
/* A projected service-account token rotates; re-read the file this often. */
#define KUBE_TOKEN_FILE_REFRESH_NS (UINT64_C(60) * 1000000000)
/* A watch stream silent for timeout_seconds plus this is dead. */
#define KUBE_WATCH_DEAD_SLACK_MS 30000L
/* Cancellation is noticed at least this often while a watch runs. */
#define KUBE_WATCH_POLL_MS  100
#define KUBE_INCLUSTER_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"

/* ------------------------------------------------------------- helpers */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kube_config *, kube_config_free);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t kube_now_ns(void);

/* Reads a whole regular file or pipe of at most max bytes into *ret
 * (NUL-terminated, the caller frees). 0, -E2BIG past max, -EISDIR,
 * -ENOTSUP for devices and sockets, -ENOMEM, or -errno of open/read. */
int kube_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Decodes standard base64 (padding required, whitespace ignored). 0 with a
 * NUL-terminated *ret, -EBADMSG for anything else, -ENOMEM. */
int kube_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len);

/* PEM sanity checks with OpenSSL so that a bad file is reported against its
 * kubeconfig field, not as a TLS failure later. 0 or -EBADMSG. */
int kube_pem_check_certs(const char *pem, size_t len);
int kube_pem_check_key(const char *pem, size_t len);

/* True when s is a usable bearer token: non-empty, printable ASCII, no
 * spaces (it goes into an HTTP header). */
bool kube_token_valid(const char *s);

/* Copies s without trailing whitespace (client-go trims token files). */
int kube_strdup_trimmed(const char *s, size_t len, char **ret);

/* RFC 3339 ("2006-01-02T15:04:05Z", optional fraction, Z or +hh:mm) to Unix
 * seconds. 0 or -EINVAL. */
int kube_time_parse_rfc3339(const char *s, int64_t *ret_unix);

/* Fills *err (when non-NULL) for a failure found on this side of the wire:
 * http_code 0, no reason, printf message. Returns code. Never reads *err. */
int kube_error_local(struct kube_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* The errno of kube.h for a filled error (classification order: not found,
 * already exists, conflict, gone, bad request/invalid, unauthorized/
 * forbidden, throttled/unavailable, timeout, else -EIO). */
int kube_error_to_errno(const struct kube_error *e);

/* ------------------------------------------------------------- cancel */

struct kube_cancel {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    atomic_bool fired;
};

/* Waits until the monotonic deadline or until c fires (c may be NULL: a
 * plain sleep). 0 at the deadline, -ECANCELED when fired. */
int kube_cancel_wait_until(struct kube_cancel *c, uint64_t deadline_ns);

/* ------------------------------------------------------------- limiter */

/* Token bucket as golang.org/x/time/rate: starts full, refills qps tokens per
 * second up to burst; a reservation always succeeds and may leave the bucket
 * in debt, the debt being the caller's wait. */
struct kube_limiter {
    pthread_mutex_t lock;
    double qps;
    double burst;
    double tokens;
    uint64_t last_ns;
};

/* qps <= 0 or burst <= 0 give -EINVAL. */
int kube_limiter_init(struct kube_limiter *l, double qps, int burst, uint64_t now_ns);
void kube_limiter_done(struct kube_limiter *l);
/* Takes one token at now_ns; returns how long the caller must wait (ns). */
uint64_t kube_limiter_reserve(struct kube_limiter *l, uint64_t now_ns);
/* Reserves and waits. 0 (*ret_waited tells whether it had to), -ECANCELED. */
int kube_limiter_wait(struct kube_limiter *l, struct kube_cancel *cancel, bool *ret_waited);

/* ------------------------------------------------------------- exec plugin */

struct kube_exec_spec {
    const char *command;
    const json_t *args;
    const json_t *env;
    const char *api_version;
};

struct kube_exec_cred {
    char *token;
    char *cert_pem;
    char *key_pem;
    bool has_expiry;
    int64_t expiry_unix;
};

void kube_exec_cred_clear(struct kube_exec_cred *c);

/* Decodes an ExecCredential printed by a plugin. 0, -EBADMSG with a one-line
 * *ret_error (never containing the credential), -ENOMEM. */
int kube_exec_cred_parse(const char *out,
                         size_t len,
                         const char *api_version,
                         struct kube_exec_cred *ret,
                         char **ret_error);

/* Runs the plugin (stdin /dev/null, stderr inherited, stdout captured up to
 * KUBE_MAX_EXEC_OUTPUT) with KUBERNETES_EXEC_INFO set, killing it after
 * timeout_ms. 0, -EIO (failed, exit status, bad output) with *ret_error,
 * -ETIMEDOUT, -ENOMEM. */
int kube_exec_run(const struct kube_exec_spec *spec,
                  long timeout_ms,
                  struct kube_exec_cred *ret,
                  char **ret_error);

/* ------------------------------------------------------------- auth */

/* What goes on one request. Strings are owned copies. */
struct kube_creds {
    char *token;
    char *cert_pem;
    char *key_pem;
};
void kube_creds_clear(struct kube_creds *c);

struct kube_auth {
    pthread_mutex_t lock;
    char *token;      /* static token from the config */
    char *token_file; /* re-read every KUBE_TOKEN_FILE_REFRESH_NS */
    char *file_token; /* last good read of token_file */
    bool file_read;
    uint64_t file_read_ns;
    char *exec_command;
    json_t *exec_args;
    json_t *exec_env;
    char *exec_api_version;
    long exec_timeout_ms;
    struct kube_exec_cred cred; /* cached plugin output */
    bool cred_valid;
    uint64_t exec_runs; /* for tests */
};

int kube_auth_init(struct kube_auth *a, const struct kube_config *cfg, long exec_timeout_ms);
void kube_auth_done(struct kube_auth *a);
/* Credentials for a request at the given clocks: the exec plugin's (cached
 * until expiry), else the token file's (cached KUBE_TOKEN_FILE_REFRESH_NS;
 * a failed re-read keeps the last good token), else the static token. */
int kube_auth_get(struct kube_auth *a,
                  uint64_t now_ns,
                  int64_t now_unix,
                  struct kube_creds *ret,
                  struct kube_error *err);
/* After a 401: forget cached plugin output and token-file contents. */
void kube_auth_invalidate(struct kube_auth *a);

/* ------------------------------------------------------------- client */

struct kube_client {
    char *base_url; /* scheme://host[:port][/prefix], host maybe tls_server_name */
    struct curl_slist *connect_to;
    bool https;
    bool insecure;
    char *ca_pem;
    char *cert_pem;
    char *key_pem;
    char *user_agent;
    long timeout_ms;
    struct kube_auth auth;
    struct kube_limiter limiter;

    pthread_mutex_t pool_lock;
    CURL *pool[KUBE_POOL_MAX_IDLE];
    size_t n_pool;

    pthread_mutex_t stats_lock;
    struct kube_client_stats stats;
};

/* Borrow an easy handle (reset, connections kept) / give it back. */
CURL *kube_client_handle_get(struct kube_client *c);
void kube_client_handle_put(struct kube_client *c, CURL *h);

/* Common options: URL, TLS, headers (Accept, User-Agent, Authorization over
 * https, Content-Type when given, no Expect), keepalive, error buffer. *headers
 * receives the list to free after the transfer. */
int kube_client_setup(struct kube_client *c,
                      CURL *h,
                      const char *url,
                      const char *content_type,
                      const struct kube_creds *creds,
                      char *errbuf,
                      struct curl_slist **headers);

/* Accounts one finished request in the stats. */
void kube_client_account(struct kube_client *c,
                         long http_code,
                         uint64_t elapsed_ns,
                         bool throttled);

/* CURLcode of a failed transfer to -errno, filling err (message from errbuf). */
int kube_curl_error(CURLcode cc, const char *errbuf, struct kube_error *err);

/* ------------------------------------------------------------- URLs */

/* "/api/v1" or "/apis/<g>/<v>", then "/namespaces/<ns>" when namespaced and
 * ns is non-empty, "/<resource>", "/<name>", "/<subresource>" (each segment
 * percent-encoded). -EINVAL for an incomplete resource or an empty name or
 * subresource given as "". */
int kube_path_build(struct buf *out,
                    const struct kube_resource *r,
                    const char *ns,
                    const char *name,
                    const char *subresource);
/* Appends "?k=v" or "&k=v" (value percent-encoded; NULL or "" skipped). */
int kube_query_add(struct buf *out, const char *key, const char *value);
/* Appends list options as a query. */
int kube_query_list(struct buf *out, const struct kube_list_opts *o);
/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
int kube_escape(struct buf *out, const char *s);

/* ------------------------------------------------------------- responses */

/* Turns an answer into the result of a call: 2xx with a JSON body gives 0
 * and *ret (an empty 2xx body gives {}); anything else fills err (Status
 * decoded when the body is one, retry_after from the header value when > 0,
 * else details.retryAfterSeconds, else 1 for 429/503) and returns the errno
 * of kube.h; a 2xx body that is not JSON gives -EBADMSG. Pure. */
int kube_response_finish(long http_code,
                         const char *body,
                         size_t len,
                         long retry_after_header,
                         json_t **ret,
                         struct kube_error *err);

/* Parses a Retry-After header value (delta seconds or an HTTP date). */
long kube_retry_after_parse(const char *value, int64_t now_unix);

/* One HTTP exchange against the client. */
struct kube_http_req {
    const char *method;
    const char *path_query; /* appended to the base URL, starts with '/' */
    const char *content_type;
    const char *body; /* NULL: none */
    size_t body_len;
};
int kube_http_call(struct kube_client *c,
                   const struct kube_http_req *req,
                   json_t **ret,
                   struct kube_error *err);

/* ------------------------------------------------------------- splitter */

struct kube_line_splitter {
    struct buf pending; /* the incomplete line, at most max_line bytes */
    size_t max_line;
    int failed; /* sticky negative errno once the stream is unusable */
};

/* ------------------------------------------------------------- watch */

/* The per-stream state behind the curl write callback, also driven
 * directly by tests and the fuzzer. */
struct kube_watch_state {
    struct kube_line_splitter splitter;
    kube_event_fn fn;
    void *userdata;
    struct kube_error *err; /* never NULL: points at a local when the caller gave none */
    int stop;               /* first error that ends the stream, 0 while running */
    uint64_t events;        /* events delivered to fn */
    uint64_t last_rx_ns;
};

int kube_watch_state_init(struct kube_watch_state *w,
                          size_t max_line,
                          kube_event_fn fn,
                          void *userdata,
                          struct kube_error *err);
void kube_watch_state_done(struct kube_watch_state *w);
/* Feeds 2xx stream bytes; returns 0 or the (sticky) negative errno that
 * ends the stream: -E2BIG, -EBADMSG (malformed event), the errno of an ERROR
 * event (-ESTALE for 410; *w->err filled), or the callback's return. */
int kube_watch_state_feed(struct kube_watch_state *w, const char *data, size_t len);

/* Tuning seams for tests: kube_watch_run() uses dead_after_ms =
 * timeout_seconds * 1000 + KUBE_WATCH_DEAD_SLACK_MS. */
struct kube_watch_tuning {
    long dead_after_ms; /* 0: the default above */
};
int kube_watch_run_tuned(struct kube_client *c,
                         const struct kube_resource *r,
                         const char *ns,
                         const struct kube_watch_opts *opts,
                         kube_event_fn fn,
                         void *userdata,
                         struct kube_cancel *cancel,
                         struct kube_error *err,
                         const struct kube_watch_tuning *tuning);
/* Builds the watch URL path and query (timeout_seconds already resolved). */
int kube_watch_path(struct buf *out,
                    const struct kube_resource *r,
                    const char *ns,
                    const struct kube_watch_opts *opts,
                    long timeout_seconds);
