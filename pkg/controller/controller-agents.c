/* SPDX-License-Identifier: Apache-2.0 */
/* The per-agent state table of the gateway side (see controller-agents.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/macro.h"
#include "controller/controller-agents.h"

#define BUCKETS_MIN 64

static uint64_t hash_id(const struct gw_agents *t, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ t->seed; /* FNV-1a, seeded */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int gw_agents_init(struct gw_agents *t)
{
    *t = (struct gw_agents){0};
    t->buckets = calloc(BUCKETS_MIN, sizeof(*t->buckets));
    if (!t->buckets)
        return -ENOMEM;
    t->n_buckets = BUCKETS_MIN;
    if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
        t->seed = (uint64_t)(uintptr_t)t; /* better than nothing */
    return 0;
}

static void agent_free(struct gw_agent *a)
{
    free(a->attributes);
    free(a->sent);
    for (struct gw_report *r = a->inbox_head, *next; r; r = next) {
        next = r->next;
        free(r);
    }
    for (size_t i = 0; i < a->n_written; i++)
        free(a->written[i].key);
    free(a->written);
    free(a);
}

void gw_agents_done(struct gw_agents *t)
{
    for (size_t i = 0; i < t->n_buckets; i++)
        for (struct gw_agent *a = t->buckets[i], *next; a; a = next) {
            next = a->next;
            agent_free(a);
        }
    free(t->buckets);
    *t = (struct gw_agents){0};
}

struct gw_agent *gw_agents_find(const struct gw_agents *t, const char *id)
{
    if (!id || !t->buckets)
        return NULL;
    for (struct gw_agent *a = t->buckets[hash_id(t, id) % t->n_buckets]; a; a = a->next)
        if (strcmp(a->id, id) == 0)
            return a;
    return NULL;
}

static int grow(struct gw_agents *t)
{
    size_t n = t->n_buckets * 2;
    struct gw_agent **b = calloc(n, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < t->n_buckets; i++)
        for (struct gw_agent *a = t->buckets[i], *next; a; a = next) {
            next = a->next;
            size_t j = hash_id(t, a->id) % n;
            a->next = b[j];
            b[j] = a;
        }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = n;
    return 0;
}

int gw_agents_get_or_add(struct gw_agents *t, const char *id, struct gw_agent **ret)
{
    if (!id || !*id)
        return -EINVAL;
    struct gw_agent *a = gw_agents_find(t, id);
    if (a) {
        *ret = a;
        return 0;
    }
    /* Growing is best effort: a full table still works, just slower. */
    if (t->n >= t->n_buckets)
        (void)grow(t);
    size_t len = strlen(id);
    a = calloc(1, sizeof(*a) + len + 1);
    if (!a)
        return -ENOMEM;
    memcpy(a->id, id, len + 1);
    size_t i = hash_id(t, id) % t->n_buckets;
    a->next = t->buckets[i];
    t->buckets[i] = a;
    t->n++;
    *ret = a;
    return 0;
}

void gw_agents_remove(struct gw_agents *t, const char *id)
{
    if (!id || !t->buckets)
        return;
    for (struct gw_agent **p = &t->buckets[hash_id(t, id) % t->n_buckets]; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            struct gw_agent *a = *p;
            *p = a->next;
            t->n--;
            agent_free(a);
            return;
        }
}

int gw_agents_ids(const struct gw_agents *t, json_t **ret)
{
    json_t *ids = json_array();
    if (!ids)
        return -ENOMEM;
    for (size_t i = 0; i < t->n_buckets; i++)
        for (const struct gw_agent *a = t->buckets[i]; a; a = a->next)
            if (json_array_append_new(ids, json_string(a->id)) < 0) {
                json_decref(ids);
                return -ENOMEM;
            }
    *ret = ids;
    return 0;
}

int gw_agent_set_str(char **field, const char *v)
{
    char *copy = NULL;
    if (v && !(copy = strdup(v)))
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int gw_agent_inbox_push(struct gw_agent *a, const json_t *report)
{
    _cleanup_free_ char *text = json_dumps(report, JSON_COMPACT);
    if (!text)
        return report ? -ENOMEM : -EINVAL;
    size_t len = strlen(text);
    struct gw_report *r = malloc(sizeof(*r) + len + 1);
    if (!r)
        return -ENOMEM;
    r->next = NULL;
    memcpy(r->text, text, len + 1);
    if (a->inbox_tail)
        a->inbox_tail->next = r;
    else
        a->inbox_head = r;
    a->inbox_tail = r;
    a->n_inbox++;
    return 0;
}

int gw_agent_inbox_first(const struct gw_agent *a, json_t **ret, const void **ret_token)
{
    if (!a->inbox_head)
        return -ENOENT;
    json_t *rep = json_loads(a->inbox_head->text, 0, NULL);
    if (!rep)
        return -ENOMEM; /* the text is our own encoding */
    *ret = rep;
    *ret_token = a->inbox_head;
    return 0;
}

bool gw_agent_inbox_pop(struct gw_agent *a, const void *token)
{
    struct gw_report *r = a->inbox_head;
    if (!r || r != token)
        return false;
    a->inbox_head = r->next;
    if (!a->inbox_head)
        a->inbox_tail = NULL;
    a->n_inbox--;
    free(r);
    return true;
}

size_t gw_agent_inbox_size(const struct gw_agent *a)
{
    return a->n_inbox;
}

int gw_agent_written_set(struct gw_agent *a, const char *key, uint64_t rv)
{
    for (size_t i = 0; i < a->n_written; i++)
        if (strcmp(a->written[i].key, key) == 0) {
            a->written[i].rv = rv;
            return 0;
        }
    _cleanup_free_ char *copy = strdup(key);
    if (!copy)
        return -ENOMEM;
    struct gw_written *w = reallocarray(a->written, a->n_written + 1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    a->written = w;
    a->written[a->n_written++] = (struct gw_written){.key = TAKE_PTR(copy), .rv = rv};
    return 0;
}

uint64_t gw_agent_written_get(const struct gw_agent *a, const char *key)
{
    for (size_t i = 0; i < a->n_written; i++)
        if (strcmp(a->written[i].key, key) == 0)
            return a->written[i].rv;
    return 0;
}
