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
};

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
    lws_retry_bo_t retry;
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
