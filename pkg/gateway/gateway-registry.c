/* SPDX-License-Identifier: Apache-2.0 */
/* The accepted agents by ID, and the pieces of the gateway that are pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "gateway/gateway-internal.h"

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int gateway_registry_init(struct gateway_registry *reg)
{
    reg->buckets = calloc(GATEWAY_BUCKETS_MIN, sizeof(*reg->buckets));
    if (!reg->buckets)
        return -ENOMEM;
    reg->n_buckets = GATEWAY_BUCKETS_MIN;
    reg->n = 0;
    return 0;
}

void gateway_registry_done(struct gateway_registry *reg)
{
    free(reg->buckets);
    *reg = (struct gateway_registry){0};
}

struct gateway_session *gateway_registry_find(const struct gateway_registry *reg, const char *id)
{
    if (!reg->buckets || !id)
        return NULL;
    for (struct gateway_session *s = reg->buckets[hash_id(id) % reg->n_buckets]; s;
         s = s->bucket_next)
        if (strcmp(s->agent_id, id) == 0)
            return s;
    return NULL;
}

static int grow(struct gateway_registry *reg)
{
    size_t n = reg->n_buckets * 2;
    struct gateway_session **b = calloc(n, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < reg->n_buckets; i++) {
        struct gateway_session *s = reg->buckets[i], *next;
        for (; s; s = next) {
            next = s->bucket_next;
            size_t j = hash_id(s->agent_id) % n;
            s->bucket_next = b[j];
            b[j] = s;
        }
    }
    free(reg->buckets);
    reg->buckets = b;
    reg->n_buckets = n;
    return 0;
}

int gateway_registry_insert(struct gateway_registry *reg, struct gateway_session *s)
{
    if (!s->agent_id)
        return -EINVAL;
    if (gateway_registry_find(reg, s->agent_id))
        return -EEXIST;
    if (reg->n >= reg->n_buckets && grow(reg) < 0)
        return -ENOMEM;
    size_t i = hash_id(s->agent_id) % reg->n_buckets;
    s->bucket_next = reg->buckets[i];
    reg->buckets[i] = s;
    reg->n++;
    return 0;
}

void gateway_registry_remove(struct gateway_registry *reg, struct gateway_session *s)
{
    if (!reg->buckets || !s->agent_id)
        return;
    for (struct gateway_session **p = &reg->buckets[hash_id(s->agent_id) % reg->n_buckets]; *p;
         p = &(*p)->bucket_next)
        if (*p == s) {
            *p = s->bucket_next;
            s->bucket_next = NULL;
            reg->n--;
            return;
        }
}

int gateway_out_new(const struct agentproto_msg *m, struct gateway_out **ret)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = agentproto_encode(m, &text, &len, NULL);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    struct gateway_out *o = malloc(sizeof(*o) + LWS_PRE + len);
    if (!o)
        return -ENOMEM;
    o->next = NULL;
    o->close_after = m->type == AGENTPROTO_ERROR;
    o->len = len;
    memcpy(o->data + LWS_PRE, text, len);
    *ret = o;
    return 0;
}

int gateway_check_token(enum gateway_auth auth, const unsigned char *key, size_t keylen,
                        const struct agentproto_hello *h, int64_t now, const char **ret_reason)
{
    if (auth == GATEWAY_AUTH_NONE)
        return 0;
    if (!h->token || !*h->token) {
        *ret_reason = "a token is required (hello.token)";
        return -EACCES;
    }
    if (!key) {
        *ret_reason = "no agent key is loaded on this server";
        return -EACCES;
    }
    int r = agentproto_token_verify(key, keylen, h->token, h->agent_id, now, NULL);
    switch (r) {
    case 0:
        return 0;
    case -EKEYEXPIRED:
        *ret_reason = "token expired";
        break;
    case -EKEYREJECTED:
        *ret_reason = "token signature does not match the agent key";
        break;
    case -EPERM:
        *ret_reason = "token was minted for another agent";
        break;
    case -EBADMSG:
        *ret_reason = "token is malformed";
        break;
    default:
        *ret_reason = "token cannot be verified";
        break;
    }
    return -EACCES;
}

const char *gateway_refusal_to_string(enum gateway_refusal r)
{
    static const char *const names[_GATEWAY_REFUSED_MAX] = {
            [GATEWAY_REFUSED_BAD_MESSAGE] = "bad-message",
            [GATEWAY_REFUSED_VERSION] = "unsupported-version",
            [GATEWAY_REFUSED_UNAUTHORIZED] = "unauthorized",
            [GATEWAY_REFUSED_DUPLICATE] = "duplicate-agent",
            [GATEWAY_REFUSED_NO_HELLO] = "no-hello",
    };
    return (unsigned)r < _GATEWAY_REFUSED_MAX ? names[r] : NULL;
}
