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

/* A queued status report, kept as compact JSON text: a parsed report costs
 * about 750 bytes, its text about 330, and thousands queue up while the
 * API server is the bottleneck. */
struct gw_report {
    struct gw_report *next;
    char text[]; /* NUL-terminated */
};

struct gw_agent {
    struct gw_agent *next; /* hash chain */
    char *attributes;      /* compact JSON text of the hello's attributes, or NULL */
    char *sent;            /* key of the last message sent to this session, or NULL */
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

/* Appends a copy of report (as text) to the inbox. 0, -EINVAL (not
 * encodable), -ENOMEM. */
int gw_agent_inbox_push(struct gw_agent *a, const json_t *report);

/* The oldest report, decoded: 0 with *ret (a new object) and *ret_token
 * (names that report for gw_agent_inbox_pop()); -ENOENT when the inbox is
 * empty; -ENOMEM. */
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
