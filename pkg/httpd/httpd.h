/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A small HTTP/1.1 server on libwebsockets for the daemons' own endpoints
 * (/metrics, /healthz, /readyz) and anvil-boot's routes: exact-path or
 * subtree routes to handler callbacks, buffered bodies capped, and file
 * bodies streamed from a descriptor with single-range Range support
 * (RFC 9110 §14). The server runs its own event loop in one thread
 * (httpd_start) and calls every handler on that thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"

struct httpd;

/* Longest header value handed to a handler (Range, X-Forwarded-For); a
 * longer header is treated as absent. */
#define HTTPD_HEADER_MAX 1024

struct httpd_request {
    const char *method;        /* "GET", "HEAD", "POST", ... */
    const char *path;          /* decoded, without the query */
    const char *peer;          /* numeric address of the TCP peer */
    const char *range;         /* Range header, or NULL */
    const char *forwarded_for; /* X-Forwarded-For header, or NULL */
};

struct httpd_response {
    int status;               /* default 200 */
    const char *content_type; /* default "text/plain; charset=utf-8" */
    struct buf body;          /* capped at 64 MiB; unused when file_fd >= 0 */
    /* Set by httpd_response_file(); -1 = the body is the buffer. */
    int file_fd;
    uint64_t file_offset;
    uint64_t file_length;
    uint64_t file_size; /* whole file, for Content-Range */
};

/* A handler fills resp; a negative return becomes a 500. */
typedef int (*httpd_handler_fn)(void *userdata,
                                const struct httpd_request *req,
                                struct httpd_response *resp);

struct httpd_opts {
    const char *listen; /* "ADDR:PORT", ":PORT" or "PORT" (all addresses); port 0 picks one */
};

/* Binds the listener. 0, -EINVAL (bad address), -EADDRINUSE, -ENOMEM. */
int httpd_new(struct httpd **ret, const struct httpd_opts *opts);

/* Adds a route for an exact path (prefix match when path ends in '/').
 * Routes are tried in the order added. Call before httpd_start. Borrowed:
 * path must outlive the server. Returns 0, -EINVAL, -ENOSPC (32 routes). */
int httpd_route(struct httpd *h, const char *path, httpd_handler_fn fn, void *userdata);

/* Starts the serving thread. 0, -EINVAL (started already) or the
 * pthread_create error. */
int httpd_start(struct httpd *h);

/* The bound port (after httpd_new); -1 for NULL. */
int httpd_port(const struct httpd *h);

/* Stops and joins the thread, closes the listener. NULL-safe, returns NULL. */
struct httpd *httpd_free(struct httpd *h);

/*
 * Parses a Range header value against a representation of size bytes.
 * Only one "bytes=" range is honoured: "a-b", "a-" and "-n" (suffix).
 * Returns 0 (length >= 1) for a satisfiable
 * range; -ENODATA when the header should be ignored and the whole body sent
 * (NULL, not "bytes=", malformed, several ranges: RFC 9110 §14.2 lets a
 * server ignore them); -ERANGE when it is unsatisfiable (416). Outputs are
 * written only on success. Pure and thread-safe.
 */
int httpd_range_parse(const char *header,
                      uint64_t size,
                      uint64_t *ret_offset,
                      uint64_t *ret_length);

/*
 * Makes resp a file response: takes ownership of fd (closed by the server
 * after the response, or here on failure), size bytes long. With a
 * satisfiable range the status is 206 with Content-Range, an unsatisfiable
 * one gives 416 and closes fd; otherwise 200 with the whole file. HEAD gets
 * the same headers and no body. Returns 0, or -EINVAL (fd < 0, NULL resp).
 */
int httpd_response_file(struct httpd_response *resp, const char *range, int fd, uint64_t size);

/* Splits a listen address "ADDR:PORT", ":PORT" or "PORT" into host (empty
 * for all addresses; n bytes with the NUL) and port (0-65535). Returns 0 or
 * -EINVAL. Shared by every libwebsockets listener of anvil. */
int httpd_parse_listen(const char *listen, char *host, size_t n, int *port);

/* Routes libwebsockets' own error lines into the structured log (level warn,
 * key "detail"); everything below LLL_ERR is dropped. Idempotent. */
void httpd_lws_logging(void);
