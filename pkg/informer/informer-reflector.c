/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reflector: list-then-watch as client-go's tools/cache/reflector.go
 * does it (kube-api.md §1.3, §1.5, §1.7).
 *
 *  - The first list asks for resourceVersion "0" (any cached state is fine)
 *    in pages of 500; later lists ask for the last synced version without a
 *    limit ("not older than"); a list that gets 410 Expired or "too large"
 *    is retried at once with "" (a consistent read), paged again.
 *  - A list replaces the store and hands the diff to the handlers.
 *  - The watch starts at the list's version with bookmarks allowed and a
 *    random timeoutSeconds in [300, 600). Every event advances the version;
 *    a BOOKMARK does nothing else.
 *  - A stream that ends normally (or breaks, -ECONNRESET, or goes silent,
 *    -ETIMEDOUT) is watched again from the last version with no relist,
 *    unless it lasted under a second without a single event ("very short
 *    watch"), which is a failure.
 *  - Connection refused and 429 back off and watch again; 410 relists at the
 *    last version (§1.5: the "" fallback is only for a list that got 410);
 *    anything else backs off and relists.
 *  - Every wait before a retry comes from the backoff (800 ms doubling to
 *    30 s, jitter 1.0, reset after two quiet minutes), as client-go's
 *    BackoffUntil loop waits before every new ListAndWatch.
 */
#define LOG_COMPONENT "informer"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer-internal.h"
#include "log/log.h"

#define STAT_ADD(inf, field, n)             \
    do {                                    \
        pthread_mutex_lock(&(inf)->lock);   \
        (inf)->stats.field += (n);          \
        pthread_mutex_unlock(&(inf)->lock); \
    } while (0)

static bool rv_ok(const char *rv)
{
    return rv && strlen(rv) <= INFORMER_RV_MAX;
}

void informer_dispatch(struct informer *inf, enum store_change_type type, json_t *old, json_t *obj)
{
    uint64_t errors = 0;
    for (size_t i = 0; i < inf->n_handlers; i++) {
        const struct informer_handler *h = &inf->handlers[i];
        int r = 0;
        switch (type) {
        case STORE_CHANGE_ADD:
            if (h->on_add)
                r = h->on_add(obj, h->userdata);
            break;
        case STORE_CHANGE_UPDATE:
            if (h->on_update)
                r = h->on_update(old, obj, h->userdata);
            break;
        case STORE_CHANGE_DELETE:
            if (h->on_delete)
                r = h->on_delete(old, h->userdata);
            break;
        default:
            break;
        }
        if (r < 0)
            errors++;
    }
    if (errors)
        STAT_ADD(inf, handler_errors, errors);
}

static int apply_upsert(struct informer *inf, json_t *object)
{
    _cleanup_json_ json_t *old = NULL;
    int r = store_add(inf->store, object, &old);
    if (r < 0)
        return r;
    if (!old)
        informer_dispatch(inf, STORE_CHANGE_ADD, NULL, object);
    else if (!store_same_version(old, object))
        informer_dispatch(inf, STORE_CHANGE_UPDATE, old, object);
    /* else: the same version again (a replayed event): nothing to tell */
    return 0;
}

static int apply_delete(struct informer *inf, json_t *object)
{
    _cleanup_json_ json_t *old = NULL;
    int r = store_delete(inf->store, object, &old);
    if (r == -ENOENT)
        return 0; /* client-go's DeltaFIFO drops deletes of unknown keys too */
    if (r < 0)
        return r;
    informer_dispatch(inf, STORE_CHANGE_DELETE, object, NULL);
    return 0;
}

int informer_apply_event(enum informer_event_type type, json_t *object, void *userdata)
{
    struct informer *inf = userdata;
    const char *rv = store_object_rv(object);
    int r = 0;

    if (informer_is_stopping(inf))
        return -ECANCELED;
    if ((unsigned)type >= _INFORMER_EVENT_MAX)
        return -EBADMSG;
    if (!rv_ok(rv)) {
        STAT_ADD(inf, bad_objects, 1);
        return 0;
    }
    switch (type) {
    case INFORMER_EVENT_ADDED:
    case INFORMER_EVENT_MODIFIED:
        r = apply_upsert(inf, object);
        break;
    case INFORMER_EVENT_DELETED:
        r = apply_delete(inf, object);
        break;
    default:
        break;
    }
    if (r == -EBADMSG) {
        STAT_ADD(inf, bad_objects, 1);
        return 0;
    }
    if (r < 0)
        return r;

    inf->watch_events++;
    pthread_mutex_lock(&inf->lock);
    memcpy(inf->rv, rv, strlen(rv) + 1);
    inf->stats.events[type]++;
    pthread_mutex_unlock(&inf->lock);
    return 0;
}

/* Validates one page: returns its items (borrowed; NULL when none) and
 * version, and the continue token or NULL. */
static int
page_parse(const json_t *page, json_t **ret_items, const char **ret_rv, const char **ret_cont)
{
    json_t *md = json_object_get(page, "metadata");
    json_t *items = json_object_get(page, "items");
    const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
    json_t *cont = json_object_get(md, "continue");

    if (!json_is_object(page) || !rv_ok(rv))
        return -EBADMSG;
    if (items && !json_is_array(items) && !json_is_null(items))
        return -EBADMSG;
    if (cont && !json_is_string(cont) && !json_is_null(cont))
        return -EBADMSG;
    if (json_string_length(cont) > INFORMER_CONTINUE_MAX)
        return -EBADMSG;
    *ret_items = json_is_array(items) ? items : NULL;
    *ret_rv = rv;
    *ret_cont = json_string_length(cont) > 0 ? json_string_value(cont) : NULL;
    return 0;
}

/* One complete list at rv, following continue tokens when paged. */
static int list_at(struct informer *inf,
                   const char *rv,
                   long limit,
                   json_t **ret_items,
                   char ret_rv[INFORMER_RV_MAX + 1])
{
    _cleanup_json_ json_t *all = json_array();
    _cleanup_free_ char *cont = NULL;
    char rv_seen[INFORMER_RV_MAX + 1] = "";
    if (!all)
        return -ENOMEM;

    for (unsigned pages = 0;; pages++) {
        if (pages >= INFORMER_MAX_PAGES)
            return -E2BIG;
        struct informer_list_req req = {
                .resource_version = cont ? NULL : rv,
                .limit = limit,
                .cont = cont,
        };
        _cleanup_json_ json_t *page = NULL;
        int r = inf->src->list(inf->src, &req, &page);
        if (r < 0)
            return r;
        json_t *items;
        const char *page_rv, *next;
        r = page_parse(page, &items, &page_rv, &next);
        if (r < 0)
            return r;
        if (items && json_array_extend(all, items) < 0)
            return -ENOMEM;
        memcpy(rv_seen, page_rv, strlen(page_rv) + 1);
        free(TAKE_PTR(cont));
        if (!next || limit <= 0)
            break;
        cont = strdup(next);
        if (!cont)
            return -ENOMEM;
    }
    memcpy(ret_rv, rv_seen, sizeof(rv_seen));
    *ret_items = TAKE_PTR(all);
    return 0;
}

static void deliver(struct informer *inf, const struct store_diff *d)
{
    for (size_t i = 0; i < d->n_changes; i++)
        informer_dispatch(inf, d->changes[i].type, d->changes[i].old, d->changes[i].obj);
}

/* The version the next list asks for (§1.7 step 1, §1.5). */
static void list_rv_choose(struct informer *inf, bool synced, char rv[INFORMER_RV_MAX + 1])
{
    const char *from = "0";
    pthread_mutex_lock(&inf->lock);
    if (synced)
        from = inf->rv_unavailable ? "" : inf->rv;
    memcpy(rv, from, strlen(from) + 1);
    pthread_mutex_unlock(&inf->lock);
}

/* Lists everything: at rv, and at "" right away if rv is gone (§1.5). */
static int
list_all(struct informer *inf, const char *rv, json_t **ret_items, char ret_rv[INFORMER_RV_MAX + 1])
{
    /* Paging only where it is a plain snapshot: "0" and "" (§1.7). */
    bool page = inf->page_size > 0 && (strcmp(rv, "0") == 0 || rv[0] == '\0');
    int r = list_at(inf, rv, page ? inf->page_size : 0, ret_items, ret_rv);
    if (r != -ESTALE || informer_is_stopping(inf))
        return r;
    STAT_ADD(inf, expired, 1);
    inf->rv_unavailable = true;
    log_debug("list expired, relisting from the latest version", LOG_STR("rv", rv));
    r = list_at(inf, "", inf->page_size > 0 ? inf->page_size : 0, ret_items, ret_rv);
    if (r == -ESTALE)
        STAT_ADD(inf, expired, 1);
    return r;
}

/* List, replace the store, tell the handlers, mark synced. */
static int reflector_list(struct informer *inf)
{
    bool synced = informer_has_synced(inf);
    char rv[INFORMER_RV_MAX + 1], list_rv[INFORMER_RV_MAX + 1];
    _cleanup_json_ json_t *items = NULL;
    _cleanup_store_diff_ struct store_diff *diff = NULL;

    list_rv_choose(inf, synced, rv);
    int r = list_all(inf, rv, &items, list_rv);
    if (r >= 0)
        r = store_replace(inf->store, items, &diff);
    if (r < 0) {
        if (r != -ECANCELED || !informer_is_stopping(inf))
            STAT_ADD(inf, list_failures, 1);
        log_debug("list failed", LOG_STR("rv", rv), LOG_ERRNO(r));
        return r;
    }

    inf->rv_unavailable = false;
    pthread_mutex_lock(&inf->lock);
    memcpy(inf->rv, list_rv, sizeof(list_rv));
    inf->stats.lists++;
    if (synced)
        inf->stats.relists++;
    inf->stats.bad_objects += diff->n_skipped;
    pthread_mutex_unlock(&inf->lock);

    deliver(inf, diff);

    pthread_mutex_lock(&inf->lock);
    inf->synced = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    log_debug("listed", LOG_STR("rv", list_rv), LOG_U64("changes", diff->n_changes));
    return 0;
}

enum watch_next {
    WATCH_AGAIN,         /* watch again from the last version now */
    WATCH_BACKOFF,       /* back off, then watch again */
    WATCH_BACKOFF_RELIST /* back off, then list */
};

static enum watch_next reflector_watch(struct informer *inf)
{
    double rnd = inf->env.rand01(inf->env.userdata);
    if (rnd < 0.0 || !(rnd < 1.0))
        rnd = 0.0;
    char rv[INFORMER_RV_MAX + 1];
    pthread_mutex_lock(&inf->lock);
    memcpy(rv, inf->rv, sizeof(rv));
    if (inf->stats.watches++ > 0)
        inf->stats.watch_restarts++;
    pthread_mutex_unlock(&inf->lock);

    struct informer_watch_req req = {
            .resource_version = rv,
            .timeout_seconds =
                    INFORMER_WATCH_TIMEOUT_MIN + (long)(rnd * INFORMER_WATCH_TIMEOUT_MIN),
            .allow_bookmarks = true,
    };
    inf->watch_events = 0;
    uint64_t start = informer_now_ms(inf);
    int r = inf->src->watch(inf->src, &req, informer_apply_event, inf);
    uint64_t took = informer_now_ms(inf) - start;

    if (informer_is_stopping(inf))
        return WATCH_AGAIN; /* the loop sees the flag */
    /* A stream that broke or went silent ends like a normal close, as
     * client-go's StreamWatcher treats a probable EOF or a timeout. */
    bool ended = r == 0 || r == -ECONNRESET || r == -ETIMEDOUT;
    if (ended && (took >= INFORMER_SHORT_WATCH_MS || inf->watch_events > 0))
        return WATCH_AGAIN;

    log_debug("watch ended", LOG_STR("rv", rv), LOG_ERRNO(r), LOG_U64("ms", took),
              LOG_U64("events", inf->watch_events));
    if (r == -ESTALE) {
        /* §1.5: relist at the last version, without the "" fallback yet. */
        STAT_ADD(inf, expired, 1);
        return WATCH_BACKOFF_RELIST;
    }
    STAT_ADD(inf, watch_failures, 1);
    if (r == -ECONNREFUSED || r == -EAGAIN)
        return WATCH_BACKOFF;
    return WATCH_BACKOFF_RELIST; /* includes the very short watch */
}

static void backoff_wait(struct informer *inf)
{
    uint64_t ms = informer_backoff_next(&inf->backoff, informer_now_ms(inf),
                                        inf->env.rand01(inf->env.userdata));
    STAT_ADD(inf, backoffs, 1);
    (void)inf->env.sleep_ms(inf, ms, inf->env.userdata);
}

int informer_run(struct informer *inf)
{
    bool need_list = true;

    while (!informer_is_stopping(inf)) {
        if (need_list) {
            if (reflector_list(inf) < 0) {
                if (!informer_is_stopping(inf))
                    backoff_wait(inf);
                continue;
            }
            need_list = false;
            continue;
        }
        switch (reflector_watch(inf)) {
        case WATCH_AGAIN:
            break;
        case WATCH_BACKOFF:
            backoff_wait(inf);
            break;
        case WATCH_BACKOFF_RELIST:
            need_list = true;
            backoff_wait(inf);
            break;
        }
    }
    return 0;
}
