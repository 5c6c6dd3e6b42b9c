/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A Redfish client (DMTF DSP0266) on libcurl + jansson, for what a
 * provisioning controller asks of a BMC: service-root discovery, session
 * login with a fallback to HTTP Basic, the power state and
 * ComputerSystem.Reset, one-time or persistent boot overrides, virtual
 * media, and a raw inventory scrape of one ComputerSystem.
 *
 * Every response is untrusted input: bodies are capped, JSON goes through
 * jansson, every @odata.id that the client follows is checked to be a plain
 * absolute path before it is appended to the endpoint, and collections are
 * walked up to a fixed number of members. Every failure is a negative errno
 * plus a one-line message in struct redfish_error meant for a Kubernetes
 * condition (it never contains the password or the session token).
 *
 * Threads: a struct redfish_client belongs to one thread at a time (it owns
 * one curl handle, whose connection it reuses). Different clients may run
 * on different threads at once. Nothing logs except at debug level.
 *
 * See docs/redfish.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

/* Longest message kept in struct redfish_error, NUL included. */
#define REDFISH_MESSAGE_MAX 512
/* Longest path (an @odata.id, a Location) the client follows. */
#define REDFISH_PATH_MAX 1024
/* Most members of one collection the client walks. */
#define REDFISH_MEMBERS_MAX 256

/* What a failed call knows. http_code is 0 when there was no HTTP answer
 * (connection refused, timeout, TLS failure). message is one line, e.g.
 * "POST /redfish/v1/SessionService/Sessions: 401 Unauthorized: check the
 * username and password". */
struct redfish_error {
    long http_code;
    char message[REDFISH_MESSAGE_MAX];
};

/* Injected waiting, for 202 task monitors and power polling in tests.
 * sleep_ms waits (or pretends to); now_ms is a monotonic clock. Both are
 * optional: NULL uses nanosleep() and CLOCK_MONOTONIC. */
struct redfish_clock {
    void (*sleep_ms)(void *userdata, uint64_t ms);
    uint64_t (*now_ms)(void *userdata);
    void *userdata;
};

struct redfish_opts {
    /* "https://host:port", "http://host:port", "host:port" or "host" (https
     * and port 443 are the defaults). IPv6 literals in brackets. Required. */
    const char *endpoint;
    const char *username;              /* required, may be "" */
    const char *password;              /* required, may be "" */
    bool insecure_tls;                 /* accept any certificate (self-signed BMCs) */
    const char *ca_pem;                /* pinned CA bundle (PEM text); NULL: system CAs */
    bool basic_auth;                   /* never try a session; HTTP Basic on every request */
    long timeout_ms;                   /* per request; 0: 30000 */
    long connect_timeout_ms;           /* 0: 10000 */
    unsigned retries;                  /* extra attempts after a connection failure; 0: 2; max 10 */
    size_t max_body;                   /* response body cap; 0: 4 MiB */
    uint64_t task_poll_ms;             /* 202 task monitor poll interval; 0: 1000 */
    uint64_t task_timeout_ms;          /* give up on a task monitor after; 0: 600000 */
    const struct redfish_clock *clock; /* NULL: real time. Copied. */
    const char *user_agent;            /* NULL: "anvil" */
};

struct redfish_client;

/* Creates a client (nothing is sent yet). Copies every string of opts.
 * Returns 0 and *ret; -EINVAL for a missing or malformed endpoint, NULL
 * credentials or out-of-range options; -ENOMEM; -EIO if libcurl cannot be
 * initialised. */
int redfish_client_new(struct redfish_client **ret, const struct redfish_opts *opts);

/* Logs out of a session if one is open (best effort, one DELETE) and frees
 * the client. Accepts NULL, returns NULL. */
struct redfish_client *redfish_client_free(struct redfish_client *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct redfish_client *, redfish_client_free)
#define _cleanup_redfish_client_ _cleanup_(redfish_client_freep)

/* Reads the service root (/redfish/v1/), then logs in: unless basic_auth,
 * POST to the SessionService's Sessions collection and use the returned
 * X-Auth-Token; a service without sessions (no SessionService, or 404, 405,
 * 501, or no token in the answer) falls back to Basic. Finally reads the
 * Systems collection to prove the credentials. Idempotent once connected.
 * Returns 0; -EACCES (401/403: wrong credentials), -ECONNREFUSED,
 * -ETIMEDOUT, -EHOSTUNREACH (name not resolved), -EPROTO (TLS failure,
 * e.g. a certificate that does not verify), -EBADMSG (not a Redfish
 * service), -EIO, -ENOMEM; err (may be NULL) says why. */
int redfish_connect(struct redfish_client *c, struct redfish_error *err);

/* True after redfish_connect() chose a session (false: Basic). */
bool redfish_uses_session(const struct redfish_client *c);

/* Deletes the session, if any. Returns 0 or the DELETE's error (the token
 * is forgotten either way). */
int redfish_logout(struct redfish_client *c, struct redfish_error *err);

/* ---------------------------------------------------------- raw requests */

/* GET path (an absolute path, e.g. "/redfish/v1/Systems/1"). Returns 0 and
 * the JSON object in *ret (new reference); -EBADMSG when the body is not a
 * JSON object; HTTP errors: -ENOENT (404), -EACCES (401/403), -EOPNOTSUPP
 * (405/501), -EINVAL (400), -ESTALE (412), -EAGAIN (429/503), -EIO
 * (others); transport errors as redfish_connect(); -E2BIG for a body over
 * max_body; -EINVAL for a path that is not a plain absolute path. */
int redfish_get(struct redfish_client *c,
                const char *path,
                json_t **ret,
                struct redfish_error *err);

/* PATCH path with body, guarded by If-Match: the resource's ETag (the
 * ETag header or @odata.etag of a GET made first). A 412 Precondition
 * Failed is retried once with a freshly read ETag. A 202 answer is followed
 * as a task monitor (see redfish_post()). Returns 0 or errors as
 * redfish_get(). */
int redfish_patch(struct redfish_client *c,
                  const char *path,
                  const json_t *body,
                  struct redfish_error *err);

/* POST body to path. A 202 Accepted with a Location header is a task
 * monitor: it is polled (task_poll_ms apart, task_timeout_ms at most) until
 * it stops answering 202; a final Task whose TaskState is Exception, Killed
 * or Cancelled fails with -EIO and the task's message. Returns 0 and, if ret
 * is not NULL, the final JSON object (or NULL for an empty body); -ETIME
 * when the task monitor outlives task_timeout_ms; other errors as
 * redfish_get(). */
int redfish_post(struct redfish_client *c,
                 const char *path,
                 const json_t *body,
                 json_t **ret,
                 struct redfish_error *err);

/* ------------------------------------------------------ ComputerSystem */

/* Finds the ComputerSystem to manage: with name (providerOptions.redfish
 * .systemName), the member whose Id or Name equals it; without, the first
 * member. Returns 0 and its path in *ret (free()); -ENOENT (no such system,
 * or an empty collection), or errors as redfish_get(). Needs
 * redfish_connect(). */
int redfish_system_find(struct redfish_client *c,
                        const char *name,
                        char **ret_path,
                        struct redfish_error *err);

enum redfish_power {
    REDFISH_POWER_ON,
    REDFISH_POWER_OFF,
    REDFISH_POWER_POWERING_ON,
    REDFISH_POWER_POWERING_OFF,
    REDFISH_POWER_UNKNOWN,
    _REDFISH_POWER_MAX,
};

/* "On", "Off", "PoweringOn", "PoweringOff" (case-insensitive) to the enum;
 * anything else, NULL included, is UNKNOWN. */
enum redfish_power redfish_power_from_string(const char *s);

/* Reads PowerState of the system at path. Returns 0 and *ret, or errors as
 * redfish_get() (-EBADMSG when PowerState is missing or not a string). */
int redfish_power_get(struct redfish_client *c,
                      const char *system,
                      enum redfish_power *ret,
                      struct redfish_error *err);

/* POSTs ComputerSystem.Reset with reset_type ("On", "ForceOff",
 * "GracefulShutdown", "ForceRestart", "PowerCycle", ...) to the action
 * target the system advertises. When the system lists
 * ResetType@Redfish.AllowableValues and reset_type is not among them, or the
 * BMC refuses it (400, 405, 501), fallback (may be NULL) is tried instead.
 * Returns 0 and, if ret_used is not NULL, the reset type actually sent
 * (static string); -EOPNOTSUPP when neither is accepted; errors as
 * redfish_post(). */
int redfish_reset(struct redfish_client *c,
                  const char *system,
                  const char *reset_type,
                  const char *fallback,
                  const char **ret_used,
                  struct redfish_error *err);

/* Sets the boot source override of the system: target is a
 * BootSourceOverrideTarget ("Pxe", "Hdd", "Cd", "BiosSetup", ...),
 * persistent selects Continuous over Once, uefi selects
 * BootSourceOverrideMode UEFI over Legacy (sent only when the system shows
 * that property). Returns 0; -EOPNOTSUPP when the system lists allowable
 * targets without this one; errors as redfish_patch(). */
int redfish_boot_override(struct redfish_client *c,
                          const char *system,
                          const char *target,
                          bool persistent,
                          bool uefi,
                          struct redfish_error *err);

/* Inserts image (a URL) into the system's virtual media device of kind
 * ("CD" matches CD and DVD media types; "" or NULL means CD), or ejects it
 * when image is NULL or "". The device is looked up under the system's
 * VirtualMedia, else under the Manager that manages it. InsertMedia and
 * EjectMedia actions are used when offered, else a PATCH of Image and
 * Inserted. Returns 0; -ENOENT when there is no such device; errors as
 * redfish_post() and redfish_patch(). */
int redfish_virtual_media(struct redfish_client *c,
                          const char *system,
                          const char *kind,
                          const char *image,
                          struct redfish_error *err);

/* Scrapes the system at path into one raw JSON object, the input of
 * bmc_inventory_out_of_band():
 *   {"system":{...}, "ethernetInterfaces":[...], "processors":[...],
 *    "memory":[...], "storage":[{...,"drives":[...]}], "simpleStorage":[...],
 *    "chassis":{...}, "manager":{...}, "managerEthernetInterfaces":[...]}
 * Each value is the resource as the BMC served it. Parts the BMC does not
 * have (404, 405, 501, a missing link) are left out; at most
 * REDFISH_MEMBERS_MAX members per collection are read. Returns 0 and *ret,
 * or the first error that is not about a missing part. */
int redfish_inventory(struct redfish_client *c,
                      const char *system,
                      json_t **ret,
                      struct redfish_error *err);

/* ---------------------------------------------------------------- stats */

struct redfish_stats {
    uint64_t requests;    /* HTTP requests sent (every attempt) */
    uint64_t connections; /* new TCP connections opened */
    uint64_t retries;     /* attempts repeated after a connection failure */
};

/* Counters since redfish_client_new(). */
void redfish_client_get_stats(const struct redfish_client *c, struct redfish_stats *ret);

/* ------------------------------------------------- parsing (pure, fuzzed) */

/* Parses a response body: 0 and a JSON object in *ret, -EBADMSG for
 * anything else (invalid JSON, another type, NUL bytes, more than len
 * bytes of input are never read). */
int redfish_parse_object(const char *data, size_t len, json_t **ret);

/* Checks that s is a path the client may follow: starts with '/', at most
 * REDFISH_PATH_MAX - 1 bytes, printable ASCII without spaces, '#', '?' or
 * "..". Returns 0 or -EINVAL. */
int redfish_path_check(const char *s);

/* The @odata.id of obj[key] (a link object) when it passes
 * redfish_path_check(); NULL otherwise. Borrowed from obj. */
const char *redfish_link(const json_t *obj, const char *key);

/* The member paths of a collection ("Members": [{"@odata.id": ...}]), at
 * most max of them, skipping entries that fail redfish_path_check().
 * Returns 0 and a new array of strings (possibly empty); -EBADMSG when
 * Members is missing or not an array; -ENOMEM. */
int redfish_members(const json_t *collection, size_t max, json_t **ret);

/* Writes the best one-line description of a Redfish error body
 * (error.@Message.ExtendedInfo[0].Message, else error.message, else a
 * Task's Messages[0].Message, else "") into buf (cut at n - 1 bytes and at
 * the first control character). body may be NULL. Returns buf. */
char *redfish_error_text(const json_t *body, char *buf, size_t n);
