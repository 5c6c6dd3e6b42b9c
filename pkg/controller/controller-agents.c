/* SPDX-License-Identifier: Apache-2.0 */
/* The per-agent state table of the gateway side (see controller-agents.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <zlib.h>

#include "base/macro.h"
#include "controller/controller-agents.h"

#define BUCKETS_MIN 64

/* Raw deflate (no zlib header or checksum: the text is our own and is
 * checked by length and by the JSON parser) with a 2 KiB window, enough for
 * the dictionaries below and cheap to set up per call. */
#define PACK_WINDOW_BITS 11
#define PACK_MEM_LEVEL   8

/* What agent attributes look like (Tinkerbell's agent attributes: field
 * names, common values). Deflate finds matches nearest the end first. */
static const char attributes_dict[] =
        "{\"bios\":{\"vendor\":\"\",\"version\":\"\",\"releaseDate\":\"\"},"
        "\"baseboard\":{\"vendor\":\"\",\"product\":\"\",\"version\":\"\","
        "\"serialNumber\":\"\"},"
        "\"pciDevices\":[{\"vendor\":\"\",\"product\":\"\",\"class\":\"\",\"driver\":\"\"}],"
        "\"blockDevices\":[{\"name\":\"sda\",\"controllerType\":\"SCSI\","
        "\"driveType\":\"HDD\",\"size\":\"\",\"physicalBlockSize\":\"512\","
        "\"logicalBlockSize\":\"512\",\"vendor\":\"\",\"model\":\"\",\"wwn\":\"\","
        "\"serialNumber\":\"\"},{\"name\":\"nvme0n1\",\"size\":\"10G\"}],"
        "\"chassis\":{\"serial\":\"\",\"vendor\":\"\"},"
        "\"cpu\":{\"totalCores\":4,\"totalThreads\":8,\"processors\":[{\"id\":0,"
        "\"cores\":4,\"threads\":8,\"speed\":\"\",\"vendor\":\"GenuineIntel\","
        "\"model\":\"\",\"capabilities\":[]}]},"
        "\"memory\":{\"total\":8589934592,\"usable\":8589934592},"
        "\"networkInterfaces\":[{\"name\":\"eth0\",\"mac\":\"00:00:00:00:00:00\","
        "\"speed\":\"1000\",\"enabledCapabilities\":[]}],"
        "\"product\":{\"name\":\"\",\"vendor\":\"\",\"serialNumber\":\"\"}}";

/* What a queued status report looks like (controller-gateway.c). */
static const char report_dict[] =
        "\"state\":\"RUNNING\",\"state\":\"FAILED\",\"state\":\"TIMEOUT\",\"message\":\"\"}"
        "{\"workflowID\":\"default/\",\"taskID\":\"\",\"actionID\":\"\","
        "\"state\":\"SUCCESS\",\"executionStart\":null,\"executionStop\":null,"
        "\"executionStart\":\"2026-01-01T00:00:00.000000000Z\","
        "\"executionStop\":\"2026-01-01T00:00:00.000000000Z\","
        "\"executionDuration\":\"0s\",\"message\":\"\"}";

/* Deflates the compact text of v into a new allocation of head + its
 * deflated size; head bytes are left for the caller's header. 0, -EINVAL
 * (NULL or not encodable, text over 4 GiB), -ENOMEM. */
static int pack_json(const json_t *v, const char *dict, size_t dict_len, size_t head,
                     unsigned char **ret, uint32_t *ret_len, uint32_t *ret_z_len)
{
    if (!v)
        return -EINVAL;
    _cleanup_free_ char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return -EINVAL; /* also on ENOMEM: jansson does not tell them apart */
    size_t len = strlen(text);
    if (len >= UINT32_MAX)
        return -EINVAL;
    z_stream zs = {0};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -PACK_WINDOW_BITS, PACK_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    size_t bound = deflateBound(&zs, len);
    _cleanup_free_ unsigned char *mem = NULL;
    int r = -ENOMEM;
    if (bound <= UINT32_MAX && (mem = malloc(head + bound)) &&
        deflateSetDictionary(&zs, (const Bytef *)dict, (uInt)dict_len) == Z_OK) {
        zs.next_in = (Bytef *)text;
        zs.avail_in = (uInt)len;
        zs.next_out = mem + head;
        zs.avail_out = (uInt)bound;
        r = deflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : -ENOMEM;
    }
    size_t z_len = zs.total_out;
    (void)deflateEnd(&zs);
    if (r < 0)
        return r;
    unsigned char *shrunk = realloc(mem, head + z_len); /* give back the bound's slack */
    if (shrunk)
        mem = shrunk;
    *ret = TAKE_PTR(mem);
    *ret_len = (uint32_t)len;
    *ret_z_len = (uint32_t)z_len;
    return 0;
}

/* The JSON value that pack_json() deflated. 0, -EBADMSG, -ENOMEM. */
static int unpack_json(const unsigned char *z, uint32_t z_len, uint32_t len, const char *dict,
                       size_t dict_len, json_t **ret)
{
    _cleanup_free_ char *text = malloc((size_t)len + 1);
    if (!text)
        return -ENOMEM;
    z_stream zs = {0};
    if (inflateInit2(&zs, -PACK_WINDOW_BITS) != Z_OK)
        return -ENOMEM;
    int r = -EBADMSG;
    if (inflateSetDictionary(&zs, (const Bytef *)dict, (uInt)dict_len) == Z_OK) {
        zs.next_in = (Bytef *)z;
        zs.avail_in = z_len;
        zs.next_out = (Bytef *)text;
        zs.avail_out = len + 1; /* one more: a longer stream shows as too long */
        int z_r = inflate(&zs, Z_FINISH);
        if (z_r == Z_STREAM_END && zs.total_out == len && zs.avail_in == 0)
            r = 0;
        else if (z_r == Z_MEM_ERROR)
            r = -ENOMEM;
    }
    (void)inflateEnd(&zs);
    if (r < 0)
        return r;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (!v)
        return -EBADMSG;
    *ret = v;
    return 0;
}

int gw_attributes_pack(const json_t *attributes, struct gw_packed **ret)
{
    unsigned char *mem;
    uint32_t len, z_len;
    int r = pack_json(attributes, attributes_dict, sizeof(attributes_dict) - 1,
                      offsetof(struct gw_packed, z), &mem, &len, &z_len);
    if (r < 0)
        return r;
    struct gw_packed *p = (struct gw_packed *)mem;
    p->len = len;
    p->z_len = z_len;
    *ret = p;
    return 0;
}

int gw_attributes_unpack(const struct gw_packed *p, json_t **ret)
{
    if (!p)
        return -EBADMSG;
    return unpack_json(p->z, p->z_len, p->len, attributes_dict, sizeof(attributes_dict) - 1, ret);
}

void gw_agent_set_attributes(struct gw_agent *a, struct gw_packed *p)
{
    free(a->attributes);
    a->attributes = p;
}

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
    unsigned char *mem;
    uint32_t len, z_len;
    if (a->n_inbox >= GW_INBOX_MAX)
        return -ENOBUFS;
    int k = pack_json(report, report_dict, sizeof(report_dict) - 1,
                      offsetof(struct gw_report, z), &mem, &len, &z_len);
    if (k < 0)
        return k;
    struct gw_report *r = (struct gw_report *)mem;
    r->next = NULL;
    r->len = len;
    r->z_len = z_len;
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
    const struct gw_report *head = a->inbox_head;
    json_t *rep = NULL;
    int r = unpack_json(head->z, head->z_len, head->len, report_dict, sizeof(report_dict) - 1,
                        &rep);
    if (r < 0)
        return r;
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
