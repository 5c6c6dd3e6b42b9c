/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/agent, its tests and its fuzzers: the reconnect backoff,
 * the /proc parsers, text cleaning, and the protocol state machine of a
 * session (struct agent_session), which does no I/O: the transport feeds it
 * received messages and drains the texts it wants sent.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/agent.h"
#include "agentproto/agentproto.h"

/* ---- backoff ------------------------------------------------------------ */

/* Exponential backoff with jitter: attempt n waits a delay drawn from
 * [cap/2, cap] with cap = min(max_ms, min_ms * 2^n), and never less than
 * min_ms. */
struct agent_backoff {
    uint32_t min_ms;
    uint32_t max_ms;
    unsigned attempt;
};

#define AGENT_BACKOFF_MIN_MS 250
#define AGENT_BACKOFF_MAX_MS 30000

/* Initialises b (0 for min/max picks the defaults above; max < min is raised
 * to min). */
void agent_backoff_init(struct agent_backoff *b, uint32_t min_ms, uint32_t max_ms);

/* The delay before the next attempt, in ms, with rnd as the random input;
 * advances the attempt counter. Always within [min_ms, max_ms]. */
uint32_t agent_backoff_next(struct agent_backoff *b, uint64_t rnd);

/* Back to the first attempt (after a connection that worked). */
void agent_backoff_reset(struct agent_backoff *b);

/* A random 64-bit value (getrandom, else a clock mix); for jitter only. */
uint64_t agent_random_u64(void);

/* ---- text --------------------------------------------------------------- */

/* A copy of s[0..n) that is valid UTF-8 without control characters (each
 * invalid byte or control becomes '?'), with leading and trailing
 * whitespace trimmed, cut to at most max bytes at a character boundary.
 * Returns NULL on allocation failure. */
char *agent_text_clean(const char *s, size_t n, size_t max);

/* A copy of s[0..n) fit for a status message: control characters are kept
 * (JSON escapes them), NUL bytes and invalid UTF-8 become U+FFFD, trailing
 * whitespace is trimmed, and when the result would pass max bytes its *end*
 * is kept, from a character boundary (an output tail matters most). Returns
 * NULL on allocation failure. */
char *agent_message_clean(const char *s, size_t n, size_t max);

/* ---- /proc parsers ------------------------------------------------------ */

/* Largest /proc/cpuinfo read; the rest is ignored. */
#define AGENT_CPUINFO_MAX (4 * 1024 * 1024)
/* At most this many processor (package) entries are listed; the totals still
 * count all of them. */
#define AGENT_PROCESSORS_MAX 64
/* At most this many flags per processor entry. */
#define AGENT_CAPABILITIES_MAX 512

/* Parses /proc/cpuinfo text into the attributes "cpu" object:
 * {totalCores, totalThreads, processors: [{id, cores, threads, vendor, model,
 * capabilities}]}. Logical CPUs are grouped by "physical id" (0 when
 * absent); cores counts distinct "core id"s (threads when absent). Returns 0
 * and *ret; -ENODATA when no "processor" entry is found; -ENOMEM. */
int agent_cpuinfo_parse(const char *text, size_t len, json_t **ret);

/* Parses /proc/meminfo text: MemTotal in bytes. Returns 0 and *ret;
 * -ENODATA without a valid MemTotal line; -ERANGE on overflow. */
int agent_meminfo_parse(const char *text, size_t len, uint64_t *ret);

/* Upstream's size text: bytes rounded up to the largest binary unit that
 * is not larger ("512B", "1KB", "16GB"); "" for 0. out needs 32 bytes. */
void agent_size_format(uint64_t bytes, char out[static 32]);

/* ---- the protocol state machine ----------------------------------------- */

/* Reports waiting for an ack, and finished actions remembered for re-serves. */
#define AGENT_REPORTS_MAX  64
#define AGENT_FINISHED_MAX 16

struct agent_session;

struct agent_session_opts {
    const char *agent_id; /* required */
    const char *token;
    const char *agent_version;
    json_t *attributes; /* a reference is taken */
};

enum agent_session_kind {
    AGENT_SESSION_NONE,         /* nothing for the driver to do */
    AGENT_SESSION_HELLO_ACKED,  /* the session is ready */
    AGENT_SESSION_STATUS_ACKED, /* report acknowledged (see acked_final) */
    AGENT_SESSION_START,        /* run agent_session_running() now */
    AGENT_SESSION_RUNNING,      /* the current action was re-served: ignored */
    AGENT_SESSION_RESENT,       /* a finished action was re-served: final status queued again */
    AGENT_SESSION_BUSY,         /* another action was pushed while one runs: ignored */
    AGENT_SESSION_IDLE,         /* msg->idle */
    AGENT_SESSION_SERVER_ERROR, /* msg->error; the server closes the connection */
    _AGENT_SESSION_KIND_MAX,
};

/* What one received message meant. msg and the strings in it stay valid
 * until the next agent_session_handle() call or the session's end. */
struct agent_session_result {
    enum agent_session_kind kind;
    const struct agentproto_msg *msg;
    bool acked_final;   /* STATUS_ACKED: it was an action's final status */
    uint64_t report_id; /* STATUS_ACKED, or the report dropped after an error */
    bool dropped;       /* SERVER_ERROR: the error refused a report for good */
    enum agentproto_state dropped_state;
};

/* Creates a session (disconnected). Returns 0, -EINVAL (no agent_id), or
 * -ENOMEM. */
int agent_session_new(struct agent_session **ret, const struct agent_session_opts *o);
struct agent_session *agent_session_free(struct agent_session *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct agent_session *, agent_session_free);

/* The WebSocket is up: forgets what was in flight and queues hello. Reports
 * are held until hello is acknowledged. Returns 0, -EINVAL (hello does not
 * encode: bad agent ID or token) or -ENOMEM. */
int agent_session_connected(struct agent_session *s);

/* The connection is gone: drops the output queue; unacknowledged reports
 * are kept and re-sent after the next hello. */
void agent_session_disconnected(struct agent_session *s);

/* Handles one received message (len bytes of JSON text). Returns 0 with
 * *ret; or the agentproto_decode() error (-EBADMSG, -EPROTONOSUPPORT,
 * -EMSGSIZE) with *ret_error (when non-NULL) describing it; -ENOMEM. */
int agent_session_handle(struct agent_session *s,
                         const void *data,
                         size_t len,
                         struct agent_session_result *ret,
                         char **ret_error);

/* The action being run, or NULL. Owned by the session; valid until
 * agent_session_action_finished(). */
const struct agentproto_action *agent_session_running(const struct agent_session *s);

/* Queues the RUNNING report of the running action, with executionStart.
 * Returns 0, -ESRCH (nothing runs), -ENOMEM. */
int agent_session_action_started(struct agent_session *s, const struct agentproto_time *start);

/* Queues a RUNNING report with message (an unsent one is replaced). Returns
 * 0, -ESRCH, -ENOMEM. */
int agent_session_progress(struct agent_session *s, const char *message);

struct agent_outcome {
    enum agentproto_state state; /* SUCCESS, FAILED or TIMEOUT */
    const char *message;         /* cleaned already, or NULL */
    struct agentproto_time start, stop;
    int64_t duration_ns;
};

/* The running action ended: queues its final report (unsent RUNNING reports
 * of it are dropped), remembers it for re-serves, and clears the running
 * action. Returns 0 and *ret_report_id (may be NULL); -ESRCH; -EINVAL for a
 * state that is not final; -ENOMEM. */
int agent_session_action_finished(struct agent_session *s,
                                  const struct agent_outcome *o,
                                  uint64_t *ret_report_id);

/* Pops the next text to send. Returns true with *ret (malloc'd) and *ret_len,
 * false when nothing is queued. */
bool agent_session_next_out(struct agent_session *s, char **ret, size_t *ret_len);

/* True when a text waits in the output queue. */
bool agent_session_has_out(const struct agent_session *s);

/* While held, pushed actions are not started (answered AGENT_SESSION_BUSY):
 * during a finish, and while stopping. */
void agent_session_hold(struct agent_session *s, bool hold);

/* True when hello was acknowledged on the current connection. */
bool agent_session_ready(const struct agent_session *s);

/* True when no action runs and no report waits for an ack. */
bool agent_session_quiescent(const struct agent_session *s);

/* Reports waiting for an ack (sent or not). */
size_t agent_session_pending(const struct agent_session *s);

/* ---- files under a sysroot ---------------------------------------------- */

/* Longest attribute value kept (DMI strings, models, ...). */
#define AGENT_VALUE_MAX 128
/* Entries read from one directory; the rest are ignored. */
#define AGENT_DIR_MAX 4096
/* Entries of each attribute list. */
#define AGENT_BLOCK_MAX 64
#define AGENT_NIC_MAX   64
#define AGENT_PCI_MAX   256
#define AGENT_GPU_MAX   16

/* Room for any path the agent builds under a sysroot. */
#define AGENT_PATH_MAX 512

/* Formats a path into out (AGENT_PATH_MAX bytes). Returns 0, or
 * -ENAMETOOLONG when it does not fit (out is then unusable). */
int agent_path(char *out, const char *fmt, ...) _printf_(2, 3);

/* Reads at most max bytes of the regular file path (relative to dirfd).
 * Returns 0 with *ret (malloc'd, NUL-terminated) and *ret_len; -errno
 * (-EBADFD for something that is not a regular file). */
int agent_read_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);

/* A small attribute file's text, cleaned with agent_text_clean() to
 * AGENT_VALUE_MAX bytes; NULL when unreadable or empty. */
char *agent_value_at(int dirfd, const char *path);

/* The names in directory path (relative to dirfd), without "." and "..",
 * sorted, at most AGENT_DIR_MAX. Returns 0 with *ret (NULL-terminated
 * array; free with agent_strv_free()) and *ret_n; -errno. */
int agent_list_at(int dirfd, const char *path, char ***ret, size_t *ret_n);
char **agent_strv_free(char **v);

/* Sets key to a copy of value when value is non-NULL and non-empty. Returns
 * 0 or -ENOMEM. */
int agent_json_set_str(json_t *obj, const char *key, const char *value);

/* Fill attrs["blockDevices"], ["networkInterfaces"], ["pciDevices"] and
 * ["gpuDevices"] from the tree at rootfd (lists left out when empty).
 * Return 0 or -ENOMEM; unreadable parts are skipped. */
int agent_block_devices(int rootfd, json_t *attrs);
int agent_network_interfaces(int rootfd, json_t *attrs);
int agent_pci_devices(int rootfd, json_t *attrs);

/* ---- the action thread -------------------------------------------------- */

struct agent_runner;

/* How a run ended. */
struct agent_run_result {
    int error;                     /* the executor's negative return, or 0 */
    struct agent_exec_result exec; /* when error is 0 */
    struct agentproto_time start, stop;
    int64_t duration_ns;
};

/* Starts a thread running exec(userdata, a, cancel_fd, ...). a must stay
 * valid until the runner is freed. wake(wake_userdata) is called from the
 * thread when progress or the result is ready to be taken. start is the
 * reported executionStart. Returns 0, -ENOMEM, or the thread/eventfd error. */
int agent_runner_start(struct agent_runner **ret,
                       const struct agentproto_action *a,
                       agent_exec_fn exec,
                       void *userdata,
                       void (*wake)(void *),
                       void *wake_userdata,
                       const struct agentproto_time *start);

/* The latest progress line not taken yet (malloc'd, cleaned), or NULL. */
char *agent_runner_take_progress(struct agent_runner *r);

/* When the executor has returned: true with *ret filled (once; the caller
 * owns ret->exec.message and ret->exec.finish). */
bool agent_runner_take_result(struct agent_runner *r, struct agent_run_result *ret);

/* Makes cancel_fd readable. */
void agent_runner_cancel(struct agent_runner *r);

/* True when the executor has returned (its result may still be untaken). */
bool agent_runner_finished(struct agent_runner *r);

/* Joins the thread of a finished run and frees the runner with any untaken
 * message; an untaken finish is not freed (take the result first). -EBUSY
 * (nothing freed) while the executor still runs. */
int agent_runner_free(struct agent_runner *r);

/* Wall-clock now, and a monotonic clock in ns. */
void agent_time_now(struct agentproto_time *ret);
int64_t agent_mono_ns(void);
