/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The gateway side's per-agent state (controller-gateway.c): one small
 * struct per agent, in a hash table by agent ID. It replaces a jansson
 * object per agent, which cost about 1.8 KB each (a hashtable with buckets
 * per agent, a pair per field); at 10,000 agents that was 18 MB.
 *
 * Not thread-safe: the caller serialises every call (gw_ctl.lock). Pointers
 * to an agent stay valid until it is removed or the table is freed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gw_written {
    char *key;   /* "namespace/name" of a Workflow */
    uint64_t rv; /* the resourceVersion this replica wrote last */
};

/* JSON kept deflated: raw deflate of its compact text against a fixed
 * dictionary of the field names and values that recur (agent attributes,
 * status reports). Small texts hardly deflate on their own; with the
 * dictionary a fleet agent's attributes go from 301 bytes to 69, a status
 * report from 241 to 84. Both are kept for as long as an agent lives or
 * its reports wait, for every agent, so the bytes add up at 10,000. */
struct gw_packed {
    uint32_t len;   /* length of the text */
    uint32_t z_len; /* length of z */
    unsigned char z[];
};

/* A queued status report, packed as above in one allocation. */
struct gw_report {
    struct gw_report *next;
    uint32_t len, z_len;
    unsigned char z[];
};

struct gw_agent {
    struct gw_agent *next;  /* hash chain */
    struct gw_packed *attributes; /* the hello's attributes, or NULL */
    char *sent;             /* key of the last message sent to this session, or NULL */
    struct gw_report *inbox_head, *inbox_tail; /* reports not applied yet, oldest first */
    size_t n_inbox;
    struct gw_written *written;
    size_t n_written;
    bool connected;
    char id[]; /* NUL-terminated */
};

struct gw_agents {
    struct gw_agent **buckets;
    size_t n_buckets;
    size_t n;
    uint64_t seed; /* hash seed: agent IDs can be chosen by peers */
};

/* An empty table. 0 or -ENOMEM. */
int gw_agents_init(struct gw_agents *t);

/* Frees every agent and the table; the table is empty afterwards. */
void gw_agents_done(struct gw_agents *t);

/* The agent with this ID, or NULL (also for a NULL id). */
struct gw_agent *gw_agents_find(const struct gw_agents *t, const char *id);

/* The agent with this ID, created (all fields empty, not connected) when
 * absent. Returns 0 and *ret (borrowed), -EINVAL for an empty ID, -ENOMEM. */
int gw_agents_get_or_add(struct gw_agents *t, const char *id, struct gw_agent **ret);

/* Removes and frees the agent with this ID; nothing when absent. */
void gw_agents_remove(struct gw_agents *t, const char *id);

/* The IDs of every agent, as a new JSON array of strings. 0 or -ENOMEM. */
int gw_agents_ids(const struct gw_agents *t, json_t **ret);

/* Replaces *field by a copy of v (NULL clears it). 0 or -ENOMEM (then the
 * field is unchanged). */
int gw_agent_set_str(char **field, const char *v);

/* Packs agent attributes (a JSON value). 0 with *ret (free() it), -EINVAL
 * (NULL, not encodable, text over 4 GiB), -ENOMEM. */
int gw_attributes_pack(const json_t *attributes, struct gw_packed **ret);

/* The attributes p holds, decoded: 0 with *ret (a new reference), -EBADMSG
 * (not a packing of gw_attributes_pack()), -ENOMEM. */
int gw_attributes_unpack(const struct gw_packed *p, json_t **ret);

/* Replaces the agent's attributes by p (taken over; NULL clears them). */
void gw_agent_set_attributes(struct gw_agent *a, struct gw_packed *p);

/* Reports queued per agent at most. A well-behaved agent has at most
 * 2 x 64 requests in flight (pkg/agent QUEUE_MAX) and waits for each ack;
 * more is a flood, refused so one agent cannot grow the controller. */
#define GW_INBOX_MAX 256

/* Appends a copy of report (packed) to the inbox. 0, -EINVAL (not
 * encodable), -ENOBUFS (GW_INBOX_MAX queued), -ENOMEM. */
int gw_agent_inbox_push(struct gw_agent *a, const json_t *report);

/* The oldest report, decoded: 0 with *ret (a new object) and *ret_token
 * (names that report for gw_agent_inbox_pop()); -ENOENT when the inbox is
 * empty; -EBADMSG (cannot happen: the packing is our own), -ENOMEM. */
int gw_agent_inbox_first(const struct gw_agent *a, json_t **ret, const void **ret_token);

/* Removes the oldest report if token names it. Returns true when it was
 * removed. */
bool gw_agent_inbox_pop(struct gw_agent *a, const void *token);

/* Number of queued reports. */
size_t gw_agent_inbox_size(const struct gw_agent *a);

/* Records the resourceVersion written for a Workflow key. 0 or -ENOMEM. */
int gw_agent_written_set(struct gw_agent *a, const char *key, uint64_t rv);

/* The resourceVersion recorded for key, 0 when none. */
uint64_t gw_agent_written_get(const struct gw_agent *a, const char *key);
