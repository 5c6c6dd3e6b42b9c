/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of pkg/redfish, shared by its files, its tests and its fuzzer. */

#include <curl/curl.h>

#include "buf/buf.h"
#include "redfish/redfish.h"

/* Longest header value kept (ETag, Location, X-Auth-Token). */
#define REDFISH_HEADER_MAX 1024

struct redfish_client {
    char *endpoint; /* scheme://host:port, no trailing slash */
    char *username;
    char *password;
    bool insecure_tls;
    char *ca_pem;
    bool basic_auth;
    long timeout_ms;
    long connect_timeout_ms;
    unsigned retries;
    size_t max_body;
    uint64_t task_poll_ms;
    uint64_t task_timeout_ms;
    struct redfish_clock clock;
    char *user_agent;

    CURL *curl;
    bool connected;
    char *token;        /* X-Auth-Token of our session, NULL with Basic */
    char *session_path; /* Location of our session, for the logout DELETE */
    char *systems_path; /* from the service root */
    char *sessions_path;
    struct redfish_stats stats;
};

/* One answer. Headers are NUL-terminated and empty when absent. */
struct redfish_response {
    long code;
    struct buf body;
    char etag[REDFISH_HEADER_MAX];
    char location[REDFISH_HEADER_MAX];
    char token[REDFISH_HEADER_MAX];
};

void redfish_response_done(struct redfish_response *r);

/* The request options of redfish_http(). */
struct redfish_request {
    const char *method;   /* GET, POST, PATCH, DELETE */
    const char *path;     /* checked with redfish_path_check() */
    const json_t *body;   /* NULL: none */
    const char *if_match; /* NULL or "": no If-Match */
    bool anonymous;       /* send no credentials (session login, service root) */
};

/* Sends one request, retrying connection failures c->retries times. Any
 * HTTP answer is returned as 0 with resp filled (resp->code may be 4xx/5xx;
 * redfish_check_code() maps it). Transport failures give the errnos of
 * redfish_connect() with err filled. resp must be zeroed; the caller calls
 * redfish_response_done() either way. */
int redfish_http(struct redfish_client *c,
                 const struct redfish_request *req,
                 struct redfish_response *resp,
                 struct redfish_error *err);

/* Maps resp->code to 0 (2xx) or the errno of redfish_get(), writing the
 * message "<method> <path>: <code> <reason>: <Redfish message>" to err. */
int redfish_check_code(const struct redfish_request *req,
                       const struct redfish_response *resp,
                       struct redfish_error *err);

/* The errno redfish_get() documents for an HTTP status (0 for 2xx). */
int redfish_errno_from_code(long code);

/* Fills err (may be NULL) with code and a printf message. Returns r. */
int redfish_fail(struct redfish_error *err, long code, int r, const char *fmt, ...) _printf_(4, 5);

/* GET returning the object and, if etag is not NULL, its ETag (header, else
 * @odata.etag; "" when neither). */
int redfish_get_etag(struct redfish_client *c,
                     const char *path,
                     json_t **ret,
                     char etag[REDFISH_HEADER_MAX],
                     struct redfish_error *err);

/* Follows a 202 task monitor at location until done. Returns as
 * redfish_post(). */
int redfish_task_wait(struct redfish_client *c,
                      const char *what,
                      const char *location,
                      json_t **ret,
                      struct redfish_error *err);

uint64_t redfish_now_ms(const struct redfish_client *c);
void redfish_sleep_ms(const struct redfish_client *c, uint64_t ms);

/* True when the string array allowed (NULL = no list) permits value. */
bool redfish_allowed(const json_t *allowed, const char *value);
