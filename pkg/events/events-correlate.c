/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What happens to one queued event on the consumer side: the per-object
 * spam filter, the decision between a new Event and a PATCH of a recent
 * identical one, the write through the sink, and the retry rule.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "events/events-internal.h"

#define LOG_COMPONENT "events"
#include "log/log.h"

bool events_error_is_transient(int r)
{
    switch (r) {
    case -ETIMEDOUT:
    case -ECONNREFUSED:
    case -ECONNRESET:
    case -EHOSTUNREACH:
    case -ENETUNREACH:
    case -EIO:
    case -EAGAIN:
    case -ENOMEM:
        return true;
    default:
        return false;
    }
}

/* client-go's EventSourceObjectSpamFilter: one token bucket per object,
 * charged at the time the event was recorded. */
static bool spam_admit(struct events_recorder *r, const struct events_item *it)
{
    const uint64_t cost = r->spam_refill_ms;
    const uint64_t cap = (uint64_t)r->spam_burst * cost;
    void *v = NULL;
    int k = events_cache_put(r->spam, it->spam_key, &v);
    if (k < 0)
        return true; /* no memory for a bucket: do not lose the event for it */
    struct events_bucket *b = v;
    if (k > 0) {
        b->units = cap;
        b->last_ms = it->at_ms;
    } else if (it->at_ms > b->last_ms) {
        uint64_t gained = it->at_ms - b->last_ms;
        b->units = gained >= cap - b->units ? cap : b->units + gained;
        b->last_ms = it->at_ms;
    }
    if (b->units < cost)
        return false;
    b->units -= cost;
    return true;
}

/* New Event or repeat of a recent one: fills name, count, first_ns. */
static void plan(struct events_recorder *r, struct events_item *it)
{
    const struct events_seen *seen = events_cache_get(r->seen, it->event_key);
    if (seen && seen->name[0]) {
        uint64_t since = it->at_ms > seen->last_ms ? it->at_ms - seen->last_ms : 0;
        if (since <= r->window_ms) {
            it->is_patch = true;
            memcpy(it->name, seen->name, sizeof(it->name));
            it->count = seen->count < INT32_MAX ? seen->count + 1 : INT32_MAX;
            it->first_ns = seen->first_ns;
            return;
        }
    }
    /* Names carry a strictly increasing nanosecond value, so two events of
     * one recorder never collide even within one clock tick. */
    int64_t unique = it->at_ns > r->last_name_ns ? it->at_ns : r->last_name_ns + 1;
    r->last_name_ns = unique;
    it->is_patch = false;
    events_make_name(it->obj_name, (uint64_t)unique, it->name, sizeof(it->name));
    it->count = 1;
    it->first_ns = it->at_ns;
}

/* After a successful write: this Event is what the next repeat patches. */
static void remember(struct events_recorder *r, const struct events_item *it)
{
    void *v = NULL;
    if (events_cache_put(r->seen, it->event_key, &v) < 0)
        return; /* the next repeat creates a new Event instead */
    struct events_seen *seen = v;
    memcpy(seen->name, it->name, sizeof(seen->name));
    seen->count = it->count;
    seen->first_ns = it->first_ns;
    seen->last_ms = it->at_ms;
}

static int write_create(struct events_recorder *r, struct events_item *it)
{
    _cleanup_json_ json_t *ev = NULL;
    int k = events_event_json(r, it, &ev);
    if (k < 0)
        return k;
    k = r->sink.create(r->sink.userdata, it->ns, ev);
    /* A retried create that finds its own name: the earlier attempt landed
     * although its answer was lost. */
    if (k == -EEXIST && it->create_sent)
        k = 0;
    if (events_error_is_transient(k))
        it->create_sent = true;
    return k;
}

static int write_patch(struct events_recorder *r, struct events_item *it)
{
    _cleanup_json_ json_t *patch = NULL;
    int k = events_patch_json(it, &patch);
    if (k < 0)
        return k;
    k = r->sink.patch(r->sink.userdata, it->ns, it->name, patch);
    if (k == -ENOENT) {
        /* The Event was deleted (or expired): write it again under the
         * same name with the running count, as client-go does. */
        it->is_patch = false;
        k = write_create(r, it);
    }
    return k;
}

enum events_outcome events_deliver(struct events_recorder *r, struct events_item *it,
                                   uint64_t now_ms)
{
    if (!it->admitted) {
        if (!spam_admit(r, it))
            return EVENTS_OUT_SPAM;
        it->admitted = true;
        plan(r, it);
    }
    it->tries++;
    int k = it->is_patch ? write_patch(r, it) : write_create(r, it);
    if (k >= 0) {
        remember(r, it);
        return it->is_patch ? EVENTS_OUT_PATCHED : EVENTS_OUT_CREATED;
    }
    log_debug("event write failed", LOG_STR("name", it->name), LOG_STR("namespace", it->ns),
              LOG_ERRNO(k), LOG_U64("try", it->tries));
    if (events_error_is_transient(k) && it->tries < r->max_tries) {
        uint64_t d = r->retry_delay_ms;
        it->not_before_ms = now_ms > UINT64_MAX - d ? UINT64_MAX : now_ms + d;
        return EVENTS_OUT_RETRY;
    }
    return EVENTS_OUT_FAILED;
}
