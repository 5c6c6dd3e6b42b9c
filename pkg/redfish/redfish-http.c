/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport: one libcurl easy handle per client (its connection is
 * reused across requests), HTTP/1.1, bounded bodies and headers, the
 * CURLcode and HTTP status mapping in one place, and bounded retries of
 * connection failures.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_COMPONENT "redfish"
#include "base/json-cleanup.h"
#include "base/macro.h"
#include "log/log.h"
#include "redfish/redfish-internal.h"

int redfish_fail(struct redfish_error *err, long code, int r, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return r;
    err->http_code = code;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return r;
}

void redfish_response_done(struct redfish_response *r)
{
    if (r)
        buf_free(&r->body);
}

uint64_t redfish_now_ms(const struct redfish_client *c)
{
    struct timespec ts;
    if (c->clock.now_ms)
        return c->clock.now_ms(c->clock.userdata);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void redfish_sleep_ms(const struct redfish_client *c, uint64_t ms)
{
    if (c->clock.sleep_ms) {
        c->clock.sleep_ms(c->clock.userdata, ms);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct redfish_response *r = userdata;
    /* A short count makes curl fail the transfer with CURLE_WRITE_ERROR. */
    return buf_append(&r->body, data, size * n) < 0 ? 0 : size * n;
}

/* Keeps value of header name (case-insensitive) in dst, trimmed; a value
 * that does not fit is dropped (treated as absent). */
static void keep_header(const char *line, size_t len, const char *name, char *dst)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - v);
    if (n >= REDFISH_HEADER_MAX) {
        dst[0] = '\0';
        return;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    struct redfish_response *r = userdata;
    size_t len = size * n;
    /* A new status line (after 100 Continue) starts a new header set. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        r->etag[0] = r->location[0] = r->token[0] = '\0';
        return len;
    }
    keep_header(data, len, "ETag", r->etag);
    keep_header(data, len, "Location", r->location);
    keep_header(data, len, "X-Auth-Token", r->token);
    return len;
}

/* CURLcode to errno, the single place where libcurl errors are mapped. */
static int errno_from_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
        return -EHOSTUNREACH;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return -EPROTO;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_WRITE_ERROR:
        return -E2BIG;
    default:
        return -EIO;
    }
}

/* A refused or unresolved connection sent nothing, so any request may be
 * repeated; a timeout may have delivered the request, so only a GET is. */
static bool retryable(int r, const char *method)
{
    return r == -ECONNREFUSED || r == -EHOSTUNREACH ||
           (r == -ETIMEDOUT && strcmp(method, "GET") == 0);
}

static const char *transport_hint(int r)
{
    switch (r) {
    case -ECONNREFUSED:
        return "connection refused";
    case -ETIMEDOUT:
        return "timed out";
    case -EHOSTUNREACH:
        return "cannot resolve the host";
    case -EPROTO:
        return "TLS failed (for a self-signed BMC set spec.connection.insecureTLS)";
    case -E2BIG:
        return "response body too large";
    default:
        return "transfer failed";
    }
}

static int setup(struct redfish_client *c,
                 const struct redfish_request *req,
                 struct redfish_response *resp,
                 struct curl_slist **headers,
                 char **payload,
                 char *errbuf)
{
    CURL *h = c->curl;
    char line[REDFISH_HEADER_MAX + 32];
    _cleanup_free_ char *url = NULL;

    curl_easy_reset(h);
    if (asprintf(&url, "%s%s", c->endpoint, req->path) < 0)
        return -ENOMEM;
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK)
        return -EINVAL;
    (void)curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    (void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    (void)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    (void)curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    (void)curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    (void)curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    (void)curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0)
        (void)curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    (void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    (void)curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    (void)curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    if (c->insecure_tls) {
        (void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        (void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->ca_pem) {
        struct curl_blob blob = {
                .data = c->ca_pem, .len = strlen(c->ca_pem), .flags = CURL_BLOB_COPY};
        if (curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
            return -EINVAL;
    }
    *headers = curl_slist_append(*headers, "Accept: application/json");
    *headers = curl_slist_append(*headers, "OData-Version: 4.0");
    if (!req->anonymous && c->token) {
        snprintf(line, sizeof(line), "X-Auth-Token: %s", c->token);
        *headers = curl_slist_append(*headers, line);
    } else if (!req->anonymous) {
        (void)curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        (void)curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
        (void)curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
    }
    if (req->if_match && *req->if_match) {
        snprintf(line, sizeof(line), "If-Match: %s", req->if_match);
        *headers = curl_slist_append(*headers, line);
    }
    if (req->body) {
        *payload = json_dumps(req->body, JSON_COMPACT);
        if (!*payload)
            return -ENOMEM;
        *headers = curl_slist_append(*headers, "Content-Type: application/json");
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, *payload);
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(*payload));
    } else if (strcmp(req->method, "POST") == 0) {
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (!*headers)
        return -ENOMEM;
    (void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
    return 0;
}

static int attempt(struct redfish_client *c,
                   const struct redfish_request *req,
                   struct redfish_response *resp,
                   char *errbuf)
{
    struct curl_slist *headers = NULL;
    _cleanup_free_ char *payload = NULL;
    long connects = 0;
    int r;

    buf_free(&resp->body);
    resp->body = BUF_INIT(c->max_body);
    resp->code = 0;
    resp->etag[0] = resp->location[0] = resp->token[0] = '\0';
    errbuf[0] = '\0';
    r = setup(c, req, resp, &headers, &payload, errbuf);
    if (r == 0) {
        CURLcode cc = curl_easy_perform(c->curl);
        c->stats.requests++;
        if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
            c->stats.connections += (uint64_t)connects;
        if (cc != CURLE_OK)
            r = errno_from_curl(cc);
        else
            (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->code);
    }
    /* Nothing may keep pointers into this call's buffers. */
    (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    (void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
    (void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    return r;
}

int redfish_http(struct redfish_client *c,
                 const struct redfish_request *req,
                 struct redfish_response *resp,
                 struct redfish_error *err)
{
    char errbuf[CURL_ERROR_SIZE];
    int r;

    assert_return(c && req && req->method && resp, -EINVAL);
    if (redfish_path_check(req->path) < 0)
        return redfish_fail(err, 0, -EINVAL, "%s: not a Redfish path", req->method);
    for (unsigned i = 0;; i++) {
        r = attempt(c, req, resp, errbuf);
        if (r == 0 || !retryable(r, req->method) || i >= c->retries)
            break;
        c->stats.retries++;
        log_debug("retrying", LOG_STR("endpoint", c->endpoint), LOG_STR("path", req->path),
                  LOG_ERRNO(r));
    }
    if (r == 0)
        return 0;
    if (r == -E2BIG)
        return redfish_fail(err, 0, r, "%s %s: response body larger than %zu bytes", req->method,
                            req->path, c->max_body);
    return redfish_fail(err, 0, r, "cannot reach %s: %s%s%s%s", c->endpoint, transport_hint(r),
                        errbuf[0] ? " (" : "", errbuf, errbuf[0] ? ")" : "");
}

int redfish_errno_from_code(long code)
{
    if (code >= 200 && code < 300)
        return 0;
    switch (code) {
    case 400:
        return -EINVAL;
    case 401:
    case 403:
        return -EACCES;
    case 404:
        return -ENOENT;
    case 405:
    case 501:
        return -EOPNOTSUPP;
    case 412:
        return -ESTALE;
    case 429:
    case 503:
        return -EAGAIN;
    default:
        return -EIO;
    }
}

static const char *code_hint(long code)
{
    switch (code) {
    case 401:
        return "Unauthorized: check the username and password";
    case 403:
        return "Forbidden: the account lacks the privilege";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 412:
        return "Precondition Failed (ETag changed)";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return code >= 500 ? "server error" : "request refused";
    }
}

int redfish_check_code(const struct redfish_request *req,
                       const struct redfish_response *resp,
                       struct redfish_error *err)
{
    char text[256];
    int r = redfish_errno_from_code(resp->code);
    if (r == 0)
        return 0;
    text[0] = '\0';
    if (resp->body.len > 0) {
        _cleanup_json_ json_t *body = NULL;
        if (redfish_parse_object(resp->body.data, resp->body.len, &body) == 0)
            (void)redfish_error_text(body, text, sizeof(text));
    }
    return redfish_fail(err, resp->code, r, "%s %s: %ld %s%s%s", req->method, req->path, resp->code,
                        code_hint(resp->code), text[0] ? ": " : "", text);
}
