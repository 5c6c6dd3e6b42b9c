/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The recorder object: options, the bounded queue that events_record()
 * feeds from any thread, and the single consumer (a thread, or
 * events_process_one() in tests) that hands due items to events_deliver().
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "buf/buf.h"
#include "events/events-internal.h"

#define KEY_MAX ((size_t)16384)

static uint64_t mono_ms(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t real_ns(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void events_item_free(struct events_item *it)
{
    if (!it)
        return;
    free(it->involved);
    free(it->ns);
    free(it->obj_name);
    free(it->reason);
    free(it->message);
    free(it->event_key);
    free(it->spam_key);
    free(it);
}

/* ------------------------------------------------------------ lifecycle */

static bool utf8_ok(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len); /* jansson validates UTF-8 */
    json_decref(v);
    return v != NULL;
}

static int check_opts(const struct events_opts *o)
{
    if (!o->component || !*o->component || strlen(o->component) > EVENTS_MAX_REF_FIELD ||
        !utf8_ok(o->component, strlen(o->component)))
        return -EINVAL;
    if (o->instance &&
        (strlen(o->instance) > EVENTS_MAX_REF_FIELD || !utf8_ok(o->instance, strlen(o->instance))))
        return -EINVAL;
    if (o->clock && (!o->clock->now_ms || !o->clock->wall_ns))
        return -EINVAL;
    if (o->queue_size > EVENTS_LIMIT_ENTRIES || o->cache_size > EVENTS_LIMIT_ENTRIES)
        return -EINVAL;
    if (o->spam_burst > EVENTS_LIMIT_BURST || o->max_tries > EVENTS_LIMIT_TRIES)
        return -EINVAL;
    if (o->spam_refill_ms > EVENTS_LIMIT_MS || o->aggregate_window_ms > EVENTS_LIMIT_MS ||
        o->retry_delay_ms > EVENTS_LIMIT_MS)
        return -EINVAL;
    return 0;
}

static int copy_strings(struct events_recorder *r, const struct events_opts *o)
{
    r->component = strdup(o->component);
    if (!r->component)
        return -ENOMEM;
    if (o->instance) {
        r->instance = strdup(o->instance);
        return r->instance ? 0 : -ENOMEM;
    }
    char host[HOST_NAME_MAX + 1];
    if (gethostname(host, sizeof(host)) < 0)
        return -errno;
    host[sizeof(host) - 1] = '\0';
    r->instance = strdup(host);
    return r->instance ? 0 : -ENOMEM;
}

static int init_sync(struct events_recorder *r)
{
    pthread_condattr_t attr;
    int k = -pthread_condattr_init(&attr);
    if (k < 0)
        return k;
    k = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (k >= 0)
        k = -pthread_cond_init(&r->cond, &attr);
    (void)pthread_condattr_destroy(&attr);
    if (k < 0)
        return k;
    k = -pthread_mutex_init(&r->mutex, NULL);
    if (k < 0)
        (void)pthread_cond_destroy(&r->cond);
    return k;
}

static void free_parts(struct events_recorder *r)
{
    for (size_t i = 0; r->ring && i < r->len; i++)
        events_item_free(r->ring[(r->head + i) % r->queue_size]);
    free(r->ring);
    events_cache_free(r->spam);
    events_cache_free(r->seen);
    free(r->component);
    free(r->instance);
    free(r);
}

int events_recorder_new(struct events_recorder **ret, const struct events_sink *sink,
                        const struct events_opts *opts)
{
    assert_return(ret && sink && opts, -EINVAL);
    assert_return(sink->create && sink->patch, -EINVAL);
    int k = check_opts(opts);
    if (k < 0)
        return k;

    struct events_recorder *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->sink = *sink;
    r->clock = opts->clock ? *opts->clock
                           : (struct events_clock){.now_ms = mono_ms, .wall_ns = real_ns};
    r->queue_size = opts->queue_size ? opts->queue_size : EVENTS_DEFAULT_QUEUE;
    r->spam_burst = opts->spam_burst ? opts->spam_burst : EVENTS_DEFAULT_SPAM_BURST;
    r->spam_refill_ms = opts->spam_refill_ms ? opts->spam_refill_ms : EVENTS_DEFAULT_SPAM_REFILL;
    r->window_ms = opts->aggregate_window_ms ? opts->aggregate_window_ms : EVENTS_DEFAULT_WINDOW;
    r->max_tries = opts->max_tries ? opts->max_tries : EVENTS_DEFAULT_MAX_TRIES;
    r->retry_delay_ms = opts->retry_delay_ms ? opts->retry_delay_ms : EVENTS_DEFAULT_RETRY_DELAY;
    size_t cache = opts->cache_size ? opts->cache_size : EVENTS_DEFAULT_CACHE;

    k = copy_strings(r, opts);
    if (k >= 0)
        k = events_cache_new(&r->spam, cache, sizeof(struct events_bucket));
    if (k >= 0)
        k = events_cache_new(&r->seen, cache, sizeof(struct events_seen));
    if (k >= 0) {
        r->ring = calloc(r->queue_size, sizeof(*r->ring));
        if (!r->ring)
            k = -ENOMEM;
    }
    if (k >= 0)
        k = init_sync(r);
    if (k < 0) {
        free_parts(r);
        return k;
    }
    *ret = r;
    return 0;
}

struct events_recorder *events_recorder_free(struct events_recorder *r)
{
    if (!r)
        return NULL;
    (void)events_recorder_stop(r, 0);
    (void)pthread_cond_destroy(&r->cond);
    (void)pthread_mutex_destroy(&r->mutex);
    free_parts(r);
    return NULL;
}

/* ------------------------------------------------------------ producing */

/* Appends "<len>:<s>;" so no two field lists give the same key. */
static int key_field(struct buf *b, const char *s)
{
    s = s ? s : "";
    return buf_printf(b, "%zu:%s;", strlen(s), s);
}

static int make_keys(struct events_item *it, const struct events_ref *obj)
{
    _cleanup_buf_ struct buf b = BUF_INIT(KEY_MAX);
    const char *const object[] = {obj->kind, obj->namespace_, obj->name, obj->uid,
                                  obj->api_version};
    int k = 0;
    for (size_t i = 0; k >= 0 && i < ARRAY_SIZE(object); i++)
        k = key_field(&b, object[i]);
    if (k < 0)
        return k;
    it->spam_key = strdup(buf_str(&b));
    if (!it->spam_key)
        return -ENOMEM;
    k = buf_printf(&b, "%d;", (int)it->type);
    if (k >= 0)
        k = key_field(&b, it->reason);
    if (k >= 0)
        k = key_field(&b, it->message);
    if (k < 0)
        return k;
    it->event_key = buf_take(&b, NULL);
    return it->event_key ? 0 : -ENOMEM;
}

static bool ref_ok(const struct events_ref *obj)
{
    const char *const fields[] = {obj->api_version, obj->kind, obj->namespace_,
                                  obj->name, obj->uid, obj->resource_version};
    if (!obj->kind || !*obj->kind || !obj->name || !*obj->name)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        if (fields[i] && strlen(fields[i]) > EVENTS_MAX_REF_FIELD)
            return false;
    return true;
}

/* Everything about the item that does not need the lock. */
static int build_item(const struct events_ref *obj, enum events_type type, const char *reason,
                      const char *message, struct events_item **ret)
{
    struct events_item *it = calloc(1, sizeof(*it));
    if (!it)
        return -ENOMEM;
    size_t mlen = events_utf8_cut(message, EVENTS_MAX_MESSAGE);
    int k = 0;
    if (!utf8_ok(reason, strlen(reason)) || !utf8_ok(message, mlen))
        k = -EINVAL;
    if (k >= 0) {
        _cleanup_json_ json_t *inv = NULL;
        k = events_involved_json(obj, &inv);
        if (k >= 0 && !(it->involved = json_dumps(inv, JSON_COMPACT)))
            k = -ENOMEM;
    }
    if (k >= 0) {
        it->type = type;
        it->ns = strdup(obj->namespace_ && *obj->namespace_ ? obj->namespace_ : "default");
        it->obj_name = strdup(obj->name);
        it->reason = strdup(reason);
        it->message = strndup(message, mlen);
        if (!it->ns || !it->obj_name || !it->reason || !it->message)
            k = -ENOMEM;
    }
    if (k >= 0)
        k = make_keys(it, obj);
    if (k < 0) {
        events_item_free(it);
        return k;
    }
    *ret = it;
    return 0;
}

int events_record(struct events_recorder *r, const struct events_ref *obj, enum events_type type,
                  const char *reason, const char *message)
{
    struct events_item *it = NULL;

    assert_return(r && obj && reason, -EINVAL);
    assert_return((unsigned)type < _EVENTS_TYPE_MAX, -EINVAL);
    assert_return(*reason && strlen(reason) <= EVENTS_MAX_REASON, -EINVAL);
    assert_return(ref_ok(obj), -EINVAL);
    int k = build_item(obj, type, reason, message ? message : "", &it);
    if (k < 0)
        return k;

    (void)pthread_mutex_lock(&r->mutex);
    if (r->closed)
        k = -ESHUTDOWN;
    else if (r->len + (r->inflight ? 1 : 0) >= r->queue_size) {
        r->stats.dropped_full++;
        k = -ENOBUFS;
    } else {
        /* Stamped under the lock: queue order is time order. */
        it->at_ms = r->clock.now_ms(r->clock.userdata);
        it->at_ns = r->clock.wall_ns(r->clock.userdata);
        r->ring[(r->head + r->len) % r->queue_size] = it;
        r->len++;
        r->stats.recorded++;
        it = NULL;
        (void)pthread_cond_signal(&r->cond);
    }
    (void)pthread_mutex_unlock(&r->mutex);
    events_item_free(it);
    return k;
}

int events_recordf(struct events_recorder *r, const struct events_ref *obj, enum events_type type,
                   const char *reason, const char *fmt, ...)
{
    _cleanup_buf_ struct buf b = BUF_INIT(EVENTS_MAX_MESSAGE * 4);
    va_list ap;

    assert_return(fmt, -EINVAL);
    va_start(ap, fmt);
    int k = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (k == -E2BIG) {
        /* A long message is cut anyway: keep what fits. */
        char *s = NULL;
        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
            return -ENOMEM;
        k = events_record(r, obj, type, reason, s);
        free(s);
        return k;
    }
    if (k < 0)
        return k;
    return events_record(r, obj, type, reason, buf_str(&b));
}

/* ------------------------------------------------------------ consuming */

static struct events_item *take_due_locked(struct events_recorder *r, uint64_t now,
                                           uint64_t *ret_wait)
{
    if (r->len == 0) {
        *ret_wait = UINT64_MAX;
        return NULL;
    }
    struct events_item *it = r->ring[r->head];
    if (it->not_before_ms > now) {
        *ret_wait = it->not_before_ms - now;
        return NULL;
    }
    r->ring[r->head] = NULL;
    r->head = (r->head + 1) % r->queue_size;
    r->len--;
    r->inflight = true;
    return it;
}

static void settle_locked(struct events_recorder *r, struct events_item *it,
                          enum events_outcome out)
{
    r->inflight = false;
    switch (out) {
    case EVENTS_OUT_RETRY:
        /* back at the head: order is kept, and its slot was reserved */
        r->head = (r->head + r->queue_size - 1) % r->queue_size;
        r->ring[r->head] = it;
        r->len++;
        r->stats.retries++;
        return;
    case EVENTS_OUT_SPAM:
        r->stats.dropped_spam++;
        break;
    case EVENTS_OUT_CREATED:
        r->stats.created++;
        break;
    case EVENTS_OUT_PATCHED:
        r->stats.patched++;
        break;
    default:
        r->stats.failed++;
        break;
    }
    events_item_free(it);
}

int events_process_one(struct events_recorder *r, uint64_t *ret_wait_ms)
{
    uint64_t wait = 0;

    assert_return(r, -EINVAL);
    (void)pthread_mutex_lock(&r->mutex);
    uint64_t now = r->clock.now_ms(r->clock.userdata);
    struct events_item *it = take_due_locked(r, now, &wait);
    (void)pthread_mutex_unlock(&r->mutex);
    if (!it) {
        if (ret_wait_ms)
            *ret_wait_ms = wait;
        return 0;
    }
    enum events_outcome out = events_deliver(r, it, now);
    (void)pthread_mutex_lock(&r->mutex);
    settle_locked(r, it, out);
    (void)pthread_mutex_unlock(&r->mutex);
    return 1;
}

static void wait_locked(struct events_recorder *r, uint64_t ms)
{
    if (ms == UINT64_MAX) {
        (void)pthread_cond_wait(&r->cond, &r->mutex);
        return;
    }
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    ms = MIN(ms, EVENTS_LIMIT_MS);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&r->cond, &r->mutex, &ts);
}

static void *run(void *userdata)
{
    struct events_recorder *r = userdata;

    (void)pthread_mutex_lock(&r->mutex);
    for (;;) {
        uint64_t real = mono_ms(NULL);
        if (r->stopping && (r->len == 0 || real >= r->drain_deadline_ms))
            break;
        uint64_t now = r->clock.now_ms(r->clock.userdata), wait = 0;
        struct events_item *it = take_due_locked(r, now, &wait);
        if (it) {
            (void)pthread_mutex_unlock(&r->mutex);
            enum events_outcome out = events_deliver(r, it, now);
            (void)pthread_mutex_lock(&r->mutex);
            settle_locked(r, it, out);
            continue;
        }
        if (r->stopping)
            wait = MIN(wait, r->drain_deadline_ms - real);
        wait_locked(r, wait);
    }
    (void)pthread_mutex_unlock(&r->mutex);
    return NULL;
}

int events_recorder_start(struct events_recorder *r)
{
    assert_return(r, -EINVAL);
    int k = 0;
    (void)pthread_mutex_lock(&r->mutex);
    if (r->running || r->closed)
        k = -EBUSY;
    else {
        k = -pthread_create(&r->thread, NULL, run, r);
        if (k >= 0)
            r->running = true;
    }
    (void)pthread_mutex_unlock(&r->mutex);
    return k;
}

int events_recorder_stop(struct events_recorder *r, uint64_t drain_ms)
{
    assert_return(r, -EINVAL);
    (void)pthread_mutex_lock(&r->mutex);
    bool running = r->running;
    if (running && pthread_equal(pthread_self(), r->thread)) {
        (void)pthread_mutex_unlock(&r->mutex);
        return -EDEADLK;
    }
    r->closed = true;
    if (!r->stopping) {
        r->stopping = true;
        uint64_t now = mono_ms(NULL);
        drain_ms = MIN(drain_ms, EVENTS_LIMIT_MS);
        r->drain_deadline_ms = now + drain_ms;
    }
    (void)pthread_cond_broadcast(&r->cond);
    (void)pthread_mutex_unlock(&r->mutex);

    if (running) {
        (void)pthread_join(r->thread, NULL);
        (void)pthread_mutex_lock(&r->mutex);
        r->running = false;
        (void)pthread_mutex_unlock(&r->mutex);
    }
    (void)pthread_mutex_lock(&r->mutex);
    size_t left = r->len;
    (void)pthread_mutex_unlock(&r->mutex);
    return left > INT_MAX ? INT_MAX : (int)left;
}

int events_recorder_get_stats(struct events_recorder *r, struct events_stats *ret)
{
    assert_return(r && ret, -EINVAL);
    (void)pthread_mutex_lock(&r->mutex);
    *ret = r->stats;
    ret->queued = r->len + (r->inflight ? 1 : 0);
    (void)pthread_mutex_unlock(&r->mutex);
    return 0;
}
