/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The worker side of the agent protocol (docs/agent-protocol.md, docs/agent.md):
 *
 *  - agent_cmdline_parse(): the boot environment's /proc/cmdline
 *    (worker_id=, grpc_authority=, tinkerbell_tls=, anvil_token=, ...);
 *  - agent_attributes(): the machine's hardware as Tinkerbell's attributes
 *    JSON, gathered from /proc and /sys under a sysroot;
 *  - struct agent: one WebSocket session to the gateway that says hello,
 *    runs the actions it is pushed (one at a time, on a separate thread,
 *    through an executor callback), streams their status, and reconnects
 *    with backoff whenever the connection drops.
 *
 * The library does not log (debug aside): everything worth a log line is
 * handed to the caller as a struct agent_event.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agentproto/agentproto.h"
#include "base/macro.h"

/* ---- the kernel command line ------------------------------------------ */

/* Longest command line accepted (the kernel's own limit is far lower). */
#define AGENT_CMDLINE_MAX (64 * 1024)
/* The gateway port when an authority names none. */
#define AGENT_DEFAULT_PORT 42113
/* Longest host name or address in an authority. */
#define AGENT_HOST_MAX 253

/* What the boot environment was told on its kernel command line. Strings are
 * malloc'd and NULL when the key is absent or empty; booleans are -1 when
 * absent, else 0 or 1. */
struct agent_cmdline {
    char *worker_id;             /* worker_id= (the agent ID) */
    char *grpc_authority;        /* grpc_authority= HOST:PORT, checked */
    int tinkerbell_tls;          /* tinkerbell_tls= */
    int tinkerbell_insecure_tls; /* tinkerbell_insecure_tls= */
    char *anvil_token;           /* anvil_token= */
    char *syslog_host;           /* syslog_host= */
};

#define AGENT_CMDLINE_INIT \
    ((struct agent_cmdline){.tinkerbell_tls = -1, .tinkerbell_insecure_tls = -1})

/* Splits text (len bytes, NUL not needed) into parameters the way the kernel
 * does (lib/cmdline.c next_arg): whitespace separates them, double quotes
 * group ("key=a b" and key="a b" both give a b, the quotes dropped), a
 * parameter without '=' is a flag. Keys match exactly; the last occurrence of
 * a key wins; unknown keys are ignored. Values: worker_id and anvil_token
 * must hold no control characters and fit AGENTPROTO_ID_MAX /
 * AGENTPROTO_TOKEN_MAX; grpc_authority must parse with
 * agent_authority_parse(); booleans take Go's strconv.ParseBool spellings
 * (1 t T TRUE true True, 0 f F FALSE false False).
 * Returns 0 and *ret (release with agent_cmdline_done()); -E2BIG when len
 * exceeds AGENT_CMDLINE_MAX; -EBADMSG for a NUL byte or a bad value, with
 * *ret_error (when non-NULL) a malloc'd line naming the key; -ENOMEM.
 * *ret is written only on success, *ret_error only on -EBADMSG/-E2BIG.
 * Pure and thread-safe. */
int agent_cmdline_parse(const char *text, size_t len, struct agent_cmdline *ret, char **ret_error);

/* Frees the strings of c and resets it to AGENT_CMDLINE_INIT. NULL-safe. */
void agent_cmdline_done(struct agent_cmdline *c);

/* Parses "HOST:PORT", "HOST" (port AGENT_DEFAULT_PORT), "[IPV6]:PORT" or
 * "[IPV6]". HOST is a DNS name (letters, digits, '-', '_', '.') or an IPv4
 * address, at most AGENT_HOST_MAX bytes; an IPv6 address must be in
 * brackets. The port is decimal 1-65535. Returns 0 with *ret_host (malloc'd,
 * without brackets) and *ret_port; -EINVAL for anything else; -ENOMEM.
 * Pure and thread-safe. */
int agent_authority_parse(const char *s, char **ret_host, uint16_t *ret_port);

/* ---- hardware attributes ----------------------------------------------- */

/* The encoded attributes stay below this many bytes (the gateway keeps them
 * in a 64 KiB annotation). */
#define AGENT_ATTRIBUTES_MAX (56 * 1024)

/* Gathers the machine's attributes from the files under sysroot (NULL or
 * "/" for the running system; tests pass a fake tree): cpu from
 * proc/cpuinfo, memory from proc/meminfo and sys/devices/system/memory,
 * blockDevices from sys/block, networkInterfaces from sys/class/net
 * (loopback and virtual interfaces skipped), pciDevices and gpuDevices from
 * sys/bus/pci/devices, chassis, bios, baseboard and product from
 * sys/class/dmi/id. The shape is Tinkerbell's (tinkerbell-compat.md §3.3);
 * unreadable values are left out, strings are cleaned to printable UTF-8,
 * and the encoded object is kept under AGENT_ATTRIBUTES_MAX by dropping CPU
 * flags first, then trailing list entries.
 * Returns 0 and *ret (a new JSON object, possibly empty); -ENOENT or
 * another -errno when sysroot cannot be opened as a directory; -ENOMEM.
 * Thread-safe. */
int agent_attributes(const char *sysroot, json_t **ret);

/* ---- the session ------------------------------------------------------- */

struct agent;

/* Called by an executor with a progress line (any UTF-8; it is cleaned and
 * capped), from the executor's thread. Rate-limited by the agent. */
typedef void (*agent_progress_fn)(const char *message, void *userdata);

/* What an executor says about a finished action. */
struct agent_exec_result {
    enum agentproto_state state; /* SUCCESS, FAILED or TIMEOUT */
    char *message;               /* malloc'd or NULL; the agent takes it */
    /* Non-NULL: something to do once the final status is acknowledged (a
     * reboot, a kexec, ...). The agent takes it and hands it to
     * agent_opts.finish, then to agent_opts.finish_free. */
    void *finish;
};

/* Runs action a to completion on the agent's action thread. a is borrowed
 * for the call. cancel_fd becomes readable when the agent stops and the run
 * must end early. progress(message, progress_userdata) may be called any
 * number of times. Returns 0 with *ret filled, or -errno (the action is then
 * reported FAILED with the error text). */
typedef int (*agent_exec_fn)(void *userdata,
                             const struct agentproto_action *a,
                             int cancel_fd,
                             agent_progress_fn progress,
                             void *progress_userdata,
                             struct agent_exec_result *ret);

/* Performs a finish handed over in agent_exec_result (normally does not
 * return). If it returns, that is reported in an AGENT_EVENT_FINISH_RETURNED
 * event and the agent carries on. Called on the loop thread. */
typedef int (*agent_finish_fn)(void *userdata, void *finish);
typedef void (*agent_finish_free_fn)(void *finish);

enum agent_event_type {
    AGENT_EVENT_CONNECTING,      /* url */
    AGENT_EVENT_CONNECTED,       /* the WebSocket is up, hello sent */
    AGENT_EVENT_READY,           /* hello acknowledged */
    AGENT_EVENT_DISCONNECTED,    /* error (-errno or 0), message */
    AGENT_EVENT_RECONNECT,       /* delay_ms until the next attempt */
    AGENT_EVENT_IDLE,            /* reason, retry_after_ms */
    AGENT_EVENT_SERVER_ERROR,    /* reason (the code), message */
    AGENT_EVENT_BAD_MESSAGE,     /* error, message: a server message refused */
    AGENT_EVENT_ACTION_STARTED,  /* action */
    AGENT_EVENT_ACTION_RUNNING,  /* action: re-served while it runs; not started twice */
    AGENT_EVENT_ACTION_RESENT,   /* action: re-served after it ended; final status re-sent */
    AGENT_EVENT_ACTION_BUSY,     /* action: pushed while another runs; ignored */
    AGENT_EVENT_ACTION_FINISHED, /* action, state, message */
    AGENT_EVENT_STATUS_DROPPED,  /* action, state, reason: refused by the server for good */
    AGENT_EVENT_FINISH,          /* the finish function is about to run */
    AGENT_EVENT_FINISH_RETURNED, /* error: the finish function returned (r < 0 or 0) */
    AGENT_EVENT_DONE,            /* exit condition met (exit_when_done, max_actions) */
    _AGENT_EVENT_MAX,
};

/* One thing that happened. Pointers are borrowed for the callback only. */
struct agent_event {
    enum agent_event_type type;
    const struct agentproto_action *action; /* or NULL */
    enum agentproto_state state;
    const char *reason;  /* idle reason, error code, or NULL */
    const char *message; /* or NULL */
    const char *url;     /* AGENT_EVENT_CONNECTING */
    int error;           /* -errno or 0 */
    int64_t delay_ms;    /* AGENT_EVENT_RECONNECT; retryAfterMs for AGENT_EVENT_IDLE */
};

/* Called on the loop thread (inside agent_run()). */
typedef void (*agent_event_fn)(void *userdata, const struct agent_event *ev);

struct agent_opts {
    const char *host;    /* required, as from agent_authority_parse() */
    uint16_t port;       /* required */
    bool tls;            /* wss:// instead of ws:// */
    bool tls_insecure;   /* accept any server certificate */
    const char *ca_file; /* CA bundle for wss://; NULL: the system's */

    const char *agent_id;      /* required; at most AGENTPROTO_ID_MAX bytes */
    const char *token;         /* hello.token, or NULL */
    const char *agent_version; /* hello.agentVersion, or NULL */
    json_t *attributes;        /* hello.attributes or NULL; the agent takes its own reference */

    agent_exec_fn exec;               /* required */
    agent_finish_fn finish;           /* NULL: finishes are dropped */
    agent_finish_free_fn finish_free; /* NULL: free() */
    agent_event_fn on_event;          /* NULL: events are dropped */
    void *userdata;                   /* for exec, finish and on_event */

    bool exit_when_done;  /* agent_run() returns after idle "done" */
    unsigned max_actions; /* > 0: agent_run() returns after that many final statuses are
                             acknowledged */

    /* Tuning; 0 picks the default shown. */
    uint32_t backoff_min_ms;       /* 250: first reconnect delay */
    uint32_t backoff_max_ms;       /* 30000: longest reconnect delay */
    uint32_t progress_interval_ms; /* 1000: at most one progress status per interval */
    uint32_t finish_timeout_ms;    /* 10000: wait this long for the ack before finishing */
    uint32_t hello_timeout_ms;     /* 30000: no ack of hello by then: reconnect */
    uint32_t stop_timeout_ms;      /* 10000: wait this long for a cancelled action */
};

/* Creates an agent (it does not connect yet). o is copied, strings too;
 * o->attributes gets a new reference. Returns 0 and *ret; -EINVAL for a
 * missing host, port, agent_id or exec, or an agent_id/token the protocol
 * would refuse; -ENOMEM; -EIO when libwebsockets refuses the configuration
 * (e.g. an unreadable ca_file). */
int agent_new(struct agent **ret, const struct agent_opts *o);

/* Runs the session on the calling thread until agent_stop() is called or an
 * exit condition of the options is met. Connection failures are not errors:
 * they are reported as events and retried forever. On stop, a running
 * action is cancelled (its cancel_fd becomes readable) and waited for up to
 * stop_timeout_ms, without reporting it (the gateway re-serves it later);
 * a finish still waiting for its ack is dropped; the connection is then
 * closed. Returns 0, -EALREADY if called twice, or
 * -ETIMEDOUT when the cancelled action did not end in time. */
int agent_run(struct agent *a);

/* Asks agent_run() to return. Thread-safe; not async-signal-safe (call it
 * from a thread that waits for signals). Returns 0 or -EINVAL. */
int agent_stop(struct agent *a);

/* Frees the agent; agent_run() must have returned. NULL-safe; returns NULL.
 * If an action thread is still running (it ignored its cancel_fd), the agent
 * is left allocated for it rather than freed under it. */
struct agent *agent_free(struct agent *a);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct agent *, agent_free);

/* "CONNECTING", "ACTION_STARTED", ...; NULL when out of range. */
const char *agent_event_type_to_string(enum agent_event_type t);
