/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A small HTTP/1.1 server on libwebsockets for the daemons' own endpoints
 * (/metrics, /healthz, /readyz, and later anvil-boot's routes): exact-path
 * routes to handler callbacks, bodies capped, responses with Content-Length.
 * The server runs its own event loop in one thread (httpd_start) and calls
 * every handler on that thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "buf/buf.h"

struct httpd;

struct httpd_request {
    const char *method; /* "GET", "HEAD", "POST", ... */
    const char *path;   /* decoded, without the query */
    const char *peer;   /* numeric address of the client */
};

struct httpd_response {
    int status;               /* default 200 */
    const char *content_type; /* default "text/plain; charset=utf-8" */
    struct buf body;          /* capped at 64 MiB */
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
 * Call before httpd_start. Borrowed: path must outlive the server. */
int httpd_route(struct httpd *h, const char *path, httpd_handler_fn fn, void *userdata);

/* Starts the serving thread. */
int httpd_start(struct httpd *h);

/* The bound port (after httpd_new). */
int httpd_port(const struct httpd *h);

/* Stops and joins the thread, closes the listener. NULL-safe, returns NULL. */
struct httpd *httpd_free(struct httpd *h);
