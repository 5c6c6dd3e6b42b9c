/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client: options, service root discovery, session login with a
 * fallback to Basic, logout, and the GET / PATCH (If-Match, one retry on
 * 412) / POST (202 task monitors) verbs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_COMPONENT "redfish"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "log/log.h"
#include "redfish/redfish-internal.h"

#define DEFAULT_TIMEOUT_MS      30000
#define DEFAULT_CONNECT_MS      10000
#define DEFAULT_RETRIES         2
#define MAX_RETRIES             10
#define DEFAULT_MAX_BODY        (4u * 1024 * 1024)
#define DEFAULT_TASK_POLL_MS    1000
#define DEFAULT_TASK_TIMEOUT_MS 600000
#define SERVICE_ROOT            "/redfish/v1/"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Normalises the endpoint to scheme://authority. -EINVAL when it has a
 * scheme other than http(s), userinfo, a path, a query or odd bytes. */
static int endpoint_normalize(const char *in, char **ret)
{
    const char *scheme = "https", *rest = in, *sep = strstr(in, "://");
    size_t n;
    if (sep) {
        if (strncmp(in, "https://", 8) == 0)
            scheme = "https";
        else if (strncmp(in, "http://", 7) == 0)
            scheme = "http";
        else
            return -EINVAL;
        rest = sep + 3;
    }
    n = strlen(rest);
    if (n > 0 && rest[n - 1] == '/')
        n--;
    if (n == 0 || n > 300)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char ch = rest[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
                  ch == ']' || ch == '_' || ch == '%';
        if (!ok)
            return -EINVAL;
    }
    return asprintf(ret, "%s://%.*s", scheme, (int)n, rest) < 0 ? -ENOMEM : 0;
}

static int dup_opt(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -ENOMEM;
}

int redfish_client_new(struct redfish_client **ret, const struct redfish_opts *opts)
{
    int r;
    assert_return(ret && opts && opts->endpoint && opts->username && opts->password, -EINVAL);
    if (opts->retries > MAX_RETRIES || opts->timeout_ms < 0 || opts->connect_timeout_ms < 0)
        return -EINVAL;
    (void)pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK)
        return -EIO;
    _cleanup_redfish_client_ struct redfish_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    r = endpoint_normalize(opts->endpoint, &c->endpoint);
    if (r < 0)
        return r;
    if ((r = dup_opt(&c->username, opts->username)) < 0 ||
        (r = dup_opt(&c->password, opts->password)) < 0 ||
        (r = dup_opt(&c->ca_pem, opts->ca_pem)) < 0 ||
        (r = dup_opt(&c->user_agent, opts->user_agent ? opts->user_agent : "anvil")) < 0)
        return r;
    c->insecure_tls = opts->insecure_tls;
    c->basic_auth = opts->basic_auth;
    c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->connect_timeout_ms =
            opts->connect_timeout_ms ? opts->connect_timeout_ms : DEFAULT_CONNECT_MS;
    c->retries = opts->retries ? opts->retries : DEFAULT_RETRIES;
    c->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    c->task_poll_ms = opts->task_poll_ms ? opts->task_poll_ms : DEFAULT_TASK_POLL_MS;
    c->task_timeout_ms = opts->task_timeout_ms ? opts->task_timeout_ms : DEFAULT_TASK_TIMEOUT_MS;
    if (opts->clock)
        c->clock = *opts->clock;
    c->curl = curl_easy_init();
    if (!c->curl)
        return -ENOMEM;
    *ret = TAKE_PTR(c);
    return 0;
}

static void wipe(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

struct redfish_client *redfish_client_free(struct redfish_client *c)
{
    if (!c)
        return NULL;
    if (c->token && c->curl)
        (void)redfish_logout(c, NULL);
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->endpoint);
    free(c->username);
    wipe(c->password);
    wipe(c->token);
    free(c->ca_pem);
    free(c->user_agent);
    free(c->session_path);
    free(c->systems_path);
    free(c->sessions_path);
    free(c);
    return NULL;
}

void redfish_client_get_stats(const struct redfish_client *c, struct redfish_stats *ret)
{
    if (!ret)
        return;
    *ret = c ? c->stats : (struct redfish_stats){0};
}

bool redfish_uses_session(const struct redfish_client *c)
{
    return c && c->token;
}

/* One request whose answer must be 2xx; the body is parsed when wanted. */
static int call(struct redfish_client *c,
                const struct redfish_request *req,
                json_t **ret,
                struct redfish_response *resp,
                struct redfish_error *err)
{
    int r = redfish_http(c, req, resp, err);
    if (r < 0)
        return r;
    r = redfish_check_code(req, resp, err);
    if (r < 0)
        return r;
    if (!ret)
        return 0;
    if (resp->body.len == 0) {
        *ret = NULL;
        return 0;
    }
    r = redfish_parse_object(resp->body.data, resp->body.len, ret);
    if (r < 0)
        return redfish_fail(err, resp->code, r, "%s %s: the answer is not a JSON object",
                            req->method, req->path);
    return 0;
}

int redfish_get_etag(struct redfish_client *c,
                     const char *path,
                     json_t **ret,
                     char etag[REDFISH_HEADER_MAX],
                     struct redfish_error *err)
{
    struct redfish_response resp = {0};
    json_t *obj = NULL;
    int r = call(c, &(struct redfish_request){.method = "GET", .path = path}, &obj, &resp, err);
    if (r == 0 && !obj)
        r = redfish_fail(err, resp.code, -EBADMSG, "GET %s: empty answer", path);
    if (r == 0 && etag) {
        const char *odata = json_string_value(json_object_get(obj, "@odata.etag"));
        if (resp.etag[0])
            memcpy(etag, resp.etag, sizeof(resp.etag));
        else if (odata && strlen(odata) < REDFISH_HEADER_MAX)
            strcpy(etag, odata);
        else
            etag[0] = '\0';
    }
    redfish_response_done(&resp);
    if (r < 0) {
        json_decref(obj);
        return r;
    }
    *ret = obj;
    return 0;
}

int redfish_get(struct redfish_client *c, const char *path, json_t **ret, struct redfish_error *err)
{
    assert_return(c && path && ret, -EINVAL);
    return redfish_get_etag(c, path, ret, NULL, err);
}

static bool task_failed(const json_t *task)
{
    const char *state = json_string_value(json_object_get(task, "TaskState"));
    return state && (strcmp(state, "Exception") == 0 || strcmp(state, "Killed") == 0 ||
                     strcmp(state, "Cancelled") == 0);
}

int redfish_task_wait(struct redfish_client *c,
                      const char *what,
                      const char *location,
                      json_t **ret,
                      struct redfish_error *err)
{
    _cleanup_free_ char *monitor = NULL;
    uint64_t start = redfish_now_ms(c);
    char text[256];

    if (redfish_path_check(location) < 0) {
        /* An absolute URL on our own endpoint is fine too. */
        size_t n = strlen(c->endpoint);
        if (strncmp(location, c->endpoint, n) != 0 || redfish_path_check(location + n) < 0)
            return redfish_fail(err, 202, -EBADMSG, "%s: task monitor location is not a path",
                                what);
        location += n;
    }
    monitor = strdup(location);
    if (!monitor)
        return -ENOMEM;
    for (;;) {
        struct redfish_response resp = {0};
        struct redfish_request req = {.method = "GET", .path = monitor};
        _cleanup_json_ json_t *body = NULL;
        int r = redfish_http(c, &req, &resp, err);
        if (r == 0 && resp.code != 202)
            r = redfish_check_code(&req, &resp, err);
        if (r == 0 && resp.body.len > 0 &&
            redfish_parse_object(resp.body.data, resp.body.len, &body) < 0)
            body = NULL; /* a monitor may answer with anything; only a Task matters */
        long code = resp.code;
        redfish_response_done(&resp);
        if (r < 0)
            return r;
        if (code != 202) {
            if (task_failed(body))
                return redfish_fail(err, code, -EIO, "%s: task %s ended %s: %s", what, monitor,
                                    json_string_value(json_object_get(body, "TaskState")),
                                    redfish_error_text(body, text, sizeof(text)));
            if (ret)
                *ret = TAKE_PTR(body);
            return 0;
        }
        if (redfish_now_ms(c) - start >= c->task_timeout_ms)
            return redfish_fail(err, 202, -ETIME, "%s: task %s still running after %llu s", what,
                                monitor, (unsigned long long)(c->task_timeout_ms / 1000));
        redfish_sleep_ms(c, c->task_poll_ms);
    }
}

/* A request with a body whose 202 answer is a task monitor. */
static int send_body(struct redfish_client *c,
                     const char *method,
                     const char *path,
                     const json_t *body,
                     const char *if_match,
                     json_t **ret,
                     struct redfish_error *err)
{
    struct redfish_response resp = {0};
    struct redfish_request req = {
            .method = method, .path = path, .body = body, .if_match = if_match};
    char what[REDFISH_PATH_MAX + 16];
    json_t *obj = NULL;
    int r = call(c, &req, &obj, &resp, err);
    if (r == -EBADMSG) {
        /* Some BMCs answer actions with a non-JSON body; the status counts. */
        r = 0;
        obj = NULL;
    }
    if (r == 0 && resp.code == 202 && resp.location[0]) {
        json_decref(obj);
        obj = NULL;
        snprintf(what, sizeof(what), "%s %s", method, path);
        r = redfish_task_wait(c, what, resp.location, ret ? &obj : NULL, err);
    }
    redfish_response_done(&resp);
    if (r < 0) {
        json_decref(obj);
        return r;
    }
    if (ret)
        *ret = obj;
    else
        json_decref(obj);
    return 0;
}

int redfish_post(struct redfish_client *c,
                 const char *path,
                 const json_t *body,
                 json_t **ret,
                 struct redfish_error *err)
{
    assert_return(c && path, -EINVAL);
    return send_body(c, "POST", path, body, NULL, ret, err);
}

int redfish_patch(struct redfish_client *c,
                  const char *path,
                  const json_t *body,
                  struct redfish_error *err)
{
    char etag[REDFISH_HEADER_MAX];
    assert_return(c && path && body, -EINVAL);
    for (int attempt = 0;; attempt++) {
        _cleanup_json_ json_t *cur = NULL;
        int r = redfish_get_etag(c, path, &cur, etag, err);
        if (r < 0)
            return r;
        r = send_body(c, "PATCH", path, body, etag, NULL, err);
        /* 412: somebody changed the resource since our GET; read it again. */
        if (r != -ESTALE || attempt > 0)
            return r;
    }
}

/* Remembers a path from the service root in *dst. */
static int keep_link(const json_t *root, const char *key, char **dst)
{
    const char *p = redfish_link(root, key);
    if (!p)
        return 0;
    free(*dst);
    *dst = strdup(p);
    return *dst ? 0 : -ENOMEM;
}

static int read_root(struct redfish_client *c, struct redfish_error *err)
{
    struct redfish_response resp = {0};
    _cleanup_json_ json_t *root = NULL;
    json_t *ss;
    /* The service root needs no authentication (DSP0266 13.3.1), but some
     * BMCs want it anyway: send the Basic credentials when in Basic mode. */
    int r = call(c,
                 &(struct redfish_request){
                         .method = "GET", .path = SERVICE_ROOT, .anonymous = !c->basic_auth},
                 &root, &resp, err);
    if (r == -EACCES && !c->basic_auth) {
        redfish_response_done(&resp);
        resp = (struct redfish_response){0};
        r = call(c, &(struct redfish_request){.method = "GET", .path = SERVICE_ROOT}, &root, &resp,
                 err);
    }
    redfish_response_done(&resp);
    if (r < 0)
        return r;
    if (!root || !redfish_link(root, "Systems"))
        return redfish_fail(err, 200, -EBADMSG,
                            "%s%s is not a Redfish service root (no Systems link)", c->endpoint,
                            SERVICE_ROOT);
    if ((r = keep_link(root, "Systems", &c->systems_path)) < 0)
        return r;
    ss = json_object_get(root, "Links");
    if ((r = keep_link(ss, "Sessions", &c->sessions_path)) < 0)
        return r;
    if (!c->sessions_path && redfish_link(root, "SessionService")) {
        /* The usual location when Links.Sessions is missing. */
        c->sessions_path = strdup("/redfish/v1/SessionService/Sessions");
        if (!c->sessions_path)
            return -ENOMEM;
    }
    return 0;
}

/* Returns 0 with a session, 1 when the service has none (use Basic). */
static int login(struct redfish_client *c, struct redfish_error *err)
{
    struct redfish_response resp = {0};
    _cleanup_json_ json_t *body =
            json_pack("{s:s, s:s}", "UserName", c->username, "Password", c->password);
    struct redfish_request req = {
            .method = "POST", .path = c->sessions_path, .body = body, .anonymous = true};
    if (!body)
        return -ENOMEM;
    int r = redfish_http(c, &req, &resp, err);
    if (r == 0)
        r = redfish_check_code(&req, &resp, err);
    if (r == -ENOENT || r == -EOPNOTSUPP || r == -EINVAL || (r == 0 && !resp.token[0])) {
        log_debug("no sessions, using Basic", LOG_STR("endpoint", c->endpoint));
        redfish_response_done(&resp);
        return 1;
    }
    if (r == 0) {
        c->token = strdup(resp.token);
        if (resp.location[0] && redfish_path_check(resp.location) == 0)
            c->session_path = strdup(resp.location);
        if (!c->token)
            r = -ENOMEM;
    }
    explicit_bzero(resp.token, sizeof(resp.token));
    redfish_response_done(&resp);
    return r;
}

int redfish_connect(struct redfish_client *c, struct redfish_error *err)
{
    _cleanup_json_ json_t *systems = NULL;
    int r;
    assert_return(c, -EINVAL);
    if (c->connected)
        return 0;
    r = read_root(c, err);
    if (r < 0)
        return r;
    if (!c->basic_auth && c->sessions_path) {
        r = login(c, err);
        if (r < 0)
            return r;
    }
    /* Proves the credentials: the Systems collection needs them. */
    r = redfish_get(c, c->systems_path, &systems, err);
    if (r < 0)
        return r;
    c->connected = true;
    return 0;
}

int redfish_logout(struct redfish_client *c, struct redfish_error *err)
{
    int r = 0;
    assert_return(c, -EINVAL);
    if (c->token && c->session_path) {
        struct redfish_response resp = {0};
        struct redfish_request req = {.method = "DELETE", .path = c->session_path};
        long saved = c->retries;
        c->retries = 0; /* best effort: one try */
        r = redfish_http(c, &req, &resp, err);
        if (r == 0)
            r = redfish_check_code(&req, &resp, err);
        c->retries = (unsigned)saved;
        redfish_response_done(&resp);
    }
    wipe(c->token);
    c->token = NULL;
    free(c->session_path);
    c->session_path = NULL;
    c->connected = false;
    return r;
}
