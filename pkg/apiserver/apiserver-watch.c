/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watch streams: each watcher owns a bounded queue of newline-terminated
 * JSON events. Registration and the initial replay happen in one call on
 * the event-loop thread, and the store calls api_watchers_on_event() after
 * every commit on that same thread, so a watcher sees every revision after
 * its starting point exactly once and in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "apistore/apistore.h"
#include "base/json-cleanup.h"
#include "selector/selector.h"

struct api_watcher {
    struct api_watcher *prev, *next;
    struct api_watch_spec *spec;
    struct api_watch_sink sink;
    struct buf queue;
    bool overflowed;
    bool columns_sent;
    int64_t deadline;
    uint64_t last_rev;
};

struct api_watchers {
    struct api_watcher *head;
    size_t count;
};

int api_watchers_new(struct api_watchers **ret)
{
    struct api_watchers *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    *ret = w;
    return 0;
}

static void watcher_free(struct api_watcher *w)
{
    buf_free(&w->queue);
    api_watch_spec_free(w->spec);
    free(w);
}

struct api_watchers *api_watchers_free(struct api_watchers *ws)
{
    if (!ws)
        return NULL;
    while (ws->head) {
        struct api_watcher *w = ws->head;
        ws->head = w->next;
        watcher_free(w);
    }
    free(ws);
    return NULL;
}

void api_watch_spec_free(struct api_watch_spec *w)
{
    if (!w)
        return;
    free(w->store_key);
    free(w->api_version);
    free(w->kind);
    json_decref(w->columns);
    free(w->ns);
    label_selector_free(w->labels);
    field_selector_free(w->fields);
    free(w);
}

size_t api_watchers_count(const struct api_watchers *ws)
{
    return ws ? ws->count : 0;
}

void api_watchers_foreach(struct api_watchers *ws,
                          void (*fn)(void *ctx, struct api_watcher *w, void *userdata),
                          void *userdata)
{
    if (!ws || !fn)
        return;
    for (struct api_watcher *w = ws->head; w; w = w->next)
        fn(w->sink.ctx, w, userdata);
}

struct buf *api_watcher_queue(struct api_watcher *w)
{
    return &w->queue;
}

bool api_watcher_overflowed(const struct api_watcher *w)
{
    return w->overflowed;
}

int64_t api_watcher_deadline(const struct api_watcher *w)
{
    return w->deadline;
}

static const char *type_name(enum apistore_event_type t)
{
    switch (t) {
    case APISTORE_ADDED:
        return "ADDED";
    case APISTORE_MODIFIED:
        return "MODIFIED";
    case APISTORE_DELETED:
        return "DELETED";
    default:
        return "MODIFIED";
    }
}

/* Appends one event; on overflow the watcher is marked and later closed
 * (the client relists, as with kube-apiserver's slow-watcher eviction). */
static int queue_event(struct api_watcher *w,
                       const char *type,
                       const char *body,
                       size_t body_len,
                       const json_t *obj)
{
    if (w->overflowed)
        return 0;
    int r;
    if (w->spec->table && obj) {
        _cleanup_json_ json_t *items = json_pack("[O]", obj);
        char rv[32] = "";
        const char *orv = api_obj_str(obj, "metadata", "resourceVersion");
        if (orv)
            snprintf(rv, sizeof(rv), "%s", orv);
        _cleanup_json_ json_t *t =
                api_table_build(w->spec->columns, items, NULL, !w->columns_sent, rv, api_now_sec());
        w->columns_sent = true;
        _cleanup_free_ char *text = t ? json_dumps(t, JSON_COMPACT) : NULL;
        if (!text)
            return -ENOMEM;
        r = buf_printf(&w->queue, "{\"type\":\"%s\",\"object\":%s}\n", type, text);
    } else if (obj) {
        _cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT);
        if (!text)
            return -ENOMEM;
        r = buf_printf(&w->queue, "{\"type\":\"%s\",\"object\":%s}\n", type, text);
    } else {
        r = buf_printf(&w->queue, "{\"type\":\"%s\",\"object\":", type);
        if (r == 0)
            r = buf_append(&w->queue, body, body_len);
        if (r == 0)
            r = buf_append(&w->queue, "}\n", 2);
    }
    if (r == -E2BIG) {
        w->overflowed = true;
        return 0;
    }
    return r;
}

/* Does the event row pass this watcher's filters? *obj is parsed lazily. */
static bool row_matches(struct api_watcher *w,
                        const struct apistore_row *row,
                        json_t **labels,
                        json_t **obj,
                        bool *obj_tried)
{
    struct api_watch_spec *sp = w->spec;
    if (strcmp(sp->store_key, row->res) != 0)
        return false;
    if (sp->ns && strcmp(sp->ns, row->ns) != 0)
        return false;
    if (!label_selector_is_empty(sp->labels)) {
        if (!*labels)
            *labels = json_loads(row->labels, 0, NULL);
        if (!label_selector_matches(sp->labels, *labels))
            return false;
    }
    if (field_selector_n_terms(sp->fields) > 0) {
        if (!*obj_tried) {
            *obj = json_loadb(row->body, row->body_len, 0, NULL);
            *obj_tried = true;
        }
        if (!*obj || !field_selector_matches(sp->fields, *obj))
            return false;
    }
    return true;
}

static int deliver(struct api_watcher *w,
                   const struct apistore_row *row,
                   const char *type,
                   json_t **obj,
                   bool *obj_tried)
{
    int r;
    if (w->spec->table || !w->spec->raw_ok) {
        if (!*obj_tried) {
            *obj = json_loadb(row->body, row->body_len, 0, NULL);
            *obj_tried = true;
        }
        if (!*obj)
            return 0;
        _cleanup_json_ json_t *copy = json_copy(*obj);
        if (!copy)
            return -ENOMEM;
        json_object_set_new(copy, "apiVersion", json_string(w->spec->api_version));
        r = queue_event(w, type, NULL, 0, copy);
    } else {
        r = queue_event(w, type, row->body, row->body_len, NULL);
    }
    if (row->rev > w->last_rev)
        w->last_rev = row->rev;
    return r;
}

int api_watchers_on_event(const struct apistore_row *row, void *userdata)
{
    struct api_watchers *ws = userdata;
    json_t *labels = NULL, *obj = NULL;
    bool obj_tried = false;
    for (struct api_watcher *w = ws->head; w; w = w->next) {
        if (!row_matches(w, row, &labels, &obj, &obj_tried))
            continue;
        if (deliver(w, row, type_name(row->type), &obj, &obj_tried) < 0)
            w->overflowed = true;
        (void)w->sink.wake(w->sink.ctx);
    }
    json_decref(labels);
    json_decref(obj);
    return 0;
}

struct replay_ctx {
    struct api_watcher *w;
    bool initial; /* rows are current objects: ADDED */
};

static int replay_row(const struct apistore_row *row, void *userdata)
{
    struct replay_ctx *c = userdata;
    json_t *labels = NULL, *obj = NULL;
    bool tried = false;
    int r = 0;
    if (row_matches(c->w, row, &labels, &obj, &tried))
        r = deliver(c->w, row, c->initial ? "ADDED" : type_name(row->type), &obj, &tried);
    json_decref(labels);
    json_decref(obj);
    return r;
}

static int queue_expired(struct api_watcher *w, uint64_t since, uint64_t compacted)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "too old resource version: %" PRIu64 " (%" PRIu64 ")", since,
             compacted + 1);
    _cleanup_json_ json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status",
                                          "apiVersion", "v1", "metadata", "status", "Failure",
                                          "message", msg, "reason", "Expired", "code", 410);
    _cleanup_free_ char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    if (!text)
        return -ENOMEM;
    w->deadline = 0; /* end the stream once this is sent */
    return buf_printf(&w->queue, "{\"type\":\"ERROR\",\"object\":%s}\n", text);
}

static int queue_bookmark(struct api_watcher *w, uint64_t rev, bool initial_end)
{
    if (initial_end)
        return buf_printf(&w->queue,
                          "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":"
                          "\"%s\",\"metadata\":{\"resourceVersion\":\"%" PRIu64 "\","
                          "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
                          w->spec->kind, w->spec->api_version, rev);
    return buf_printf(&w->queue,
                      "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
                      "\"metadata\":{\"resourceVersion\":\"%" PRIu64 "\"}}}\n",
                      w->spec->kind, w->spec->api_version, rev);
}

int api_watcher_start(struct apiserver *s,
                      struct api_watch_spec *spec,
                      const struct api_watch_sink *sink,
                      struct api_watcher **ret)
{
    struct api_watcher *w = calloc(1, sizeof(*w));
    if (!w) {
        api_watch_spec_free(spec);
        return -ENOMEM;
    }
    w->spec = spec;
    w->sink = *sink;
    w->queue = BUF_INIT(API_MAX_WATCH_QUEUE);
    w->deadline = api_now_sec() + spec->timeout_sec;
    uint64_t now_rev = apistore_revision(s->store);
    int r = 0;
    struct replay_ctx c = {.w = w};
    if (spec->initial_state) {
        struct apistore_list_opts lo = {
                .ns = spec->ns, .name = field_selector_exact_value(spec->fields, "metadata.name")};
        uint64_t rev;
        bool more;
        c.initial = true;
        r = apistore_list(s->store, spec->store_key, &lo, replay_row, &c, &rev, &more);
        if (r == 0 && spec->initial_end)
            r = queue_bookmark(w, now_rev, true);
    } else if (spec->since < now_rev) {
        r = apistore_events_since(s->store, spec->store_key, spec->ns, spec->since, replay_row, &c);
        if (r == -ESTALE)
            r = queue_expired(w, spec->since, apistore_compacted_revision(s->store));
    }
    if (r < 0) {
        watcher_free(w);
        return r;
    }
    w->last_rev = MAX(w->last_rev, now_rev);
    w->next = s->watchers->head;
    if (w->next)
        w->next->prev = w;
    s->watchers->head = w;
    s->watchers->count++;
    *ret = w;
    return 0;
}

void api_watcher_stop(struct apiserver *s, struct api_watcher *w)
{
    if (!w)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->watchers->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    s->watchers->count--;
    watcher_free(w);
}

int api_watcher_bookmark(struct apiserver *s, struct api_watcher *w)
{
    if (!w->spec->bookmarks)
        return 0;
    int r = queue_bookmark(w, apistore_revision(s->store), false);
    if (r == 0)
        (void)w->sink.wake(w->sink.ctx);
    return r;
}

int api_watcher_initial_end(struct apiserver *s, struct api_watcher *w)
{
    return queue_bookmark(w, apistore_revision(s->store), true);
}

void api_watchers_drop_resource(struct api_watchers *ws, const char *store_key)
{
    for (struct api_watcher *w = ws->head; w; w = w->next)
        if (strcmp(w->spec->store_key, store_key) == 0) {
            w->deadline = 0;
            (void)w->sink.wake(w->sink.ctx);
        }
}
