/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The agent gateway's transport: a libwebsockets server on /v1/agent that
 * speaks the agent protocol (docs/agent-protocol.md) through pkg/agentproto.
 * It owns the connections: it decodes every frame (bounded), authenticates
 * the hello (agent token, HMAC under the agent key), refuses a second live
 * connection for an agent ID, and keeps one outgoing queue per agent. What an
 * agent should run is decided elsewhere (anvil-controller), through callbacks
 * and gateway_send().
 *
 * Threads: one service thread runs the event loop and calls the callbacks;
 * gateway_send(), gateway_set_key() and gateway_stats() may be called from
 * any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agentproto/agentproto.h"
#include "base/macro.h"

struct buf;
struct gateway;

enum gateway_auth {
    GATEWAY_AUTH_TOKEN, /* hello.token must verify under the agent key */
    GATEWAY_AUTH_NONE,  /* any agent ID is believed (trusted networks, tests) */
};

/* Why a connection was refused (the metric label). */
enum gateway_refusal {
    GATEWAY_REFUSED_BAD_MESSAGE,
    GATEWAY_REFUSED_VERSION,
    GATEWAY_REFUSED_UNAUTHORIZED,
    GATEWAY_REFUSED_DUPLICATE,
    GATEWAY_REFUSED_NO_HELLO, /* a status before the hello */
    _GATEWAY_REFUSED_MAX,
};

struct gateway_callbacks {
    /* An agent said hello and was accepted (authenticated, not a duplicate).
     * attributes may be NULL; json_incref() to keep it. peer is "ip:port". */
    void (*connected)(void *userdata, const char *agent_id, const json_t *attributes,
                      const char *peer);
    /* A status from an accepted agent. The message is handed over: free it
     * with agentproto_msg_free(). Its status.agent_id is NULL when the agent
     * left it out; the session's agent is agent_id. */
    void (*status)(void *userdata, const char *agent_id, struct agentproto_msg *m);
    /* The accepted agent's connection closed. */
    void (*disconnected)(void *userdata, const char *agent_id);
    void *userdata;
};

struct gateway_opts {
    const char *listen;       /* "ADDR:PORT", ":PORT" or "PORT"; port 0 picks one */
    const char *tls_cert;     /* PEM files; both or neither */
    const char *tls_key;
    enum gateway_auth auth;
    uint16_t ping_interval_s; /* 0: 15; a peer silent for 3 intervals is dropped */
    size_t max_agents;        /* 0: 100000 live connections */
    int64_t (*now)(void);     /* Unix seconds for token expiry; NULL: time() */
    bool poll_loop;           /* lws' poll(2) loop even when libev (epoll) can be loaded */
};

/* Binds the listener (nothing is served until gateway_start()). cb is copied.
 * Returns 0; -EINVAL for bad options (listen syntax, one TLS file without the
 * other); -EADDRINUSE when the socket cannot be bound (or TLS files cannot be
 * loaded); -ENOMEM. */
int gateway_new(struct gateway **ret, const struct gateway_opts *opts,
                const struct gateway_callbacks *cb);

/* Sets (replaces) the agent key used to verify tokens; keylen must be at
 * least AGENTPROTO_TOKEN_KEY_MIN. Until a key is set, token authentication
 * refuses everyone. Returns 0, -EINVAL, -ENOMEM. */
int gateway_set_key(struct gateway *g, const void *key, size_t keylen);

/* Starts the service thread. 0 or -errno. */
int gateway_start(struct gateway *g);

/* Queues m for the agent's live connection and wakes the loop. Returns 0;
 * -ENOENT when the agent is not connected; -EINVAL when m does not encode
 * (a bug); -ENOBUFS when the agent's queue is full (it is not reading);
 * -ENOMEM. An ERROR message closes the connection once it is written. */
int gateway_send(struct gateway *g, const char *agent_id, const struct agentproto_msg *m);

/* True when the agent has a live, accepted connection. */
bool gateway_connected(struct gateway *g, const char *agent_id);

/* The agent IDs connected now, as a new JSON array of strings. 0 or -ENOMEM. */
int gateway_agents(struct gateway *g, json_t **ret);

/* "epoll" when the loop runs on libev, "poll" for lws' own loop. */
const char *gateway_loop_name(const struct gateway *g);

/* The bound port (useful with port 0), or -1. */
int gateway_port(const struct gateway *g);

struct gateway_stats {
    uint64_t connections;         /* WebSocket connections opened */
    uint64_t agents;              /* accepted agents connected now */
    uint64_t messages_in;         /* frames decoded */
    uint64_t messages_out;        /* frames written */
    uint64_t refused[_GATEWAY_REFUSED_MAX];
};

/* A consistent snapshot of the counters. */
void gateway_get_stats(struct gateway *g, struct gateway_stats *ret);

/* Appends the counters in the Prometheus text format. 0 or -ENOMEM. */
int gateway_metrics(struct gateway *g, struct buf *out);

/* "bad-message", "unsupported-version", "unauthorized", "duplicate-agent",
 * "no-hello"; NULL out of range. */
const char *gateway_refusal_to_string(enum gateway_refusal r);

/* Stops the loop, closes every connection and frees. NULL-safe; returns NULL.
 * Never call it from a callback. */
struct gateway *gateway_free(struct gateway *g);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct gateway *, gateway_free);
