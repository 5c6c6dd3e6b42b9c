/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of the gateway shared by its files and tests. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "buf/buf.h"
#include "gateway/gateway.h"

#define GATEWAY_PATH          "/v1/agent"
#define GATEWAY_OUTQ_MAX      256 /* queued messages per agent before -ENOBUFS */
#define GATEWAY_PEER_MAX      64
#define GATEWAY_BUCKETS_MIN   64
#define GATEWAY_RX_CHUNK      128 /* lws' receive buffer per connection */

struct gateway_out {
    struct gateway_out *next;
    bool close_after; /* an error message: close once written */
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of head room, then the text */
};

/* Per connection; lws allocates it (per_session_data_size) and frees it after
 * LWS_CALLBACK_CLOSED. Fields marked (L) are guarded by gateway.lock. */
struct gateway_session {
    struct lws *wsi;
    char peer[GATEWAY_PEER_MAX];
    struct buf rx;                  /* fragments of the current message */
    bool rx_binary;
    char *agent_id;                 /* (L) set once accepted */
    struct gateway_session *bucket_next; /* (L) registry chain */
    struct gateway_out *out_head;   /* (L) */
    struct gateway_out *out_tail;   /* (L) */
    size_t out_n;                   /* (L) */
    bool pending;                   /* (L) on gateway.pending */
    struct gateway_session *pending_next; /* (L) */
    bool closing;                   /* an error was queued: accept nothing more */
    /* Liveness, service thread only: every live session is on
     * gateway.sessions; last_rx_s is when the peer last sent anything
     * (CLOCK_MONOTONIC seconds); ping_wanted asks the next writable
     * callback to send a PING. */
    struct gateway_session *all_prev, *all_next;
    int64_t last_rx_s;
    bool ping_wanted;
};

/* What the liveness sweep does with a session silent for idle_s seconds,
 * pinging every interval_s: nothing, a PING, or a hang-up after three
 * intervals. lws' own per-connection validity timers are not used: each
 * received frame re-inserts one into a sorted list of every connection,
 * O(connections) per message. */
enum gateway_liveness {
    GATEWAY_LIVENESS_OK,
    GATEWAY_LIVENESS_PING,
    GATEWAY_LIVENESS_HANGUP,
    _GATEWAY_LIVENESS_MAX,
};
enum gateway_liveness gateway_liveness_decide(int64_t idle_s, unsigned interval_s);

/* libev, loaded at run time (gateway-loop.c). */
struct gateway_evlib;
/* Loads libev and creates a loop (epoll on Linux). 0; -ENOENT when libev
 * cannot be loaded; -ENOMEM. */
int gateway_evlib_open(struct gateway_evlib **ret);
/* The struct ev_loop * for lws' foreign_loops; NULL for NULL. */
void *gateway_evlib_loop(struct gateway_evlib *e);
/* Runs the loop until gateway_evlib_break() is called from a callback. */
void gateway_evlib_run(struct gateway_evlib *e);
/* From the loop thread only: makes gateway_evlib_run() return. */
void gateway_evlib_break(struct gateway_evlib *e);
/* Destroys the loop (after the lws context that used it). NULL-safe. */
struct gateway_evlib *gateway_evlib_free(struct gateway_evlib *e);

/* The registry of accepted agents: a chained hash table by agent ID. */
struct gateway_registry {
    struct gateway_session **buckets;
    size_t n_buckets;
    size_t n;
};

int gateway_registry_init(struct gateway_registry *reg);
void gateway_registry_done(struct gateway_registry *reg);
struct gateway_session *gateway_registry_find(const struct gateway_registry *reg, const char *id);
/* Inserts s (s->agent_id set). -EEXIST when the ID is taken, -ENOMEM. */
int gateway_registry_insert(struct gateway_registry *reg, struct gateway_session *s);
void gateway_registry_remove(struct gateway_registry *reg, struct gateway_session *s);

struct gateway {
    struct gateway_opts opts;
    struct gateway_callbacks cb;
    struct lws_context *ctx;
    struct gateway_evlib *evlib;          /* NULL: lws' poll loop */
    lws_retry_bo_t retry;
    lws_sorted_usec_list_t sweep;         /* the liveness sweep timer */
    struct gateway_session *sessions;     /* every live session (service thread) */
    int port;
    pthread_t thread;
    bool running;
    atomic_bool stop;

    pthread_mutex_t lock;
    struct gateway_registry reg;          /* (L) */
    struct gateway_session *pending;      /* (L) sessions with output to write */
    unsigned char *key;                   /* (L) agent key */
    size_t keylen;                        /* (L) */

    atomic_uint_fast64_t connections, messages_in, messages_out;
    atomic_uint_fast64_t refused[_GATEWAY_REFUSED_MAX];
};

/* Makes a queue entry holding m's text (encoded). 0, -EINVAL, -ENOMEM. */
int gateway_out_new(const struct agentproto_msg *m, struct gateway_out **ret);

/* Decides whether a hello may connect: checks the token when auth is TOKEN.
 * Returns 0; or -EACCES with *ret_reason a static text naming why
 * ("token required", "token expired", ...). Pure apart from its arguments. */
int gateway_check_token(enum gateway_auth auth, const unsigned char *key, size_t keylen,
                        const struct agentproto_hello *h, int64_t now, const char **ret_reason);
