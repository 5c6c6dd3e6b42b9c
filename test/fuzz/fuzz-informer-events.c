/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a reflector fed by a scripted source whose lists and watch
 * events come from the input, so the store, its indexes and the handlers see
 * arbitrary object shapes, versions, relists and stream endings. The
 * handlers keep an independent model (key -> resourceVersion) that must
 * agree with every call they get: an add for an unknown key, an update and a
 * delete for a known key with the version the model holds. After the run
 * the model must equal the store, and the store's indexes must match its
 * objects. Any disagreement aborts.
 *
 * Input: lines. The first byte of a line is the command, the rest its JSON:
 *   L<json>   a list answer: {"metadata":{"resourceVersion":...},"items":...}
 *             (anything else is handed over as is)
 *   A/M/D/B<json>   an ADDED, MODIFIED, DELETED or BOOKMARK event object
 *   e<c>      the watch ends: c picks 0, -ESTALE, -ECONNREFUSED, -ECONNRESET,
 *             -ETIMEDOUT, -EAGAIN, -EIO
 *   f<c>      the next list call fails the same way
 *   t<d>      the next call takes d * 100 ms on the fake clock
 * A list line is consumed by a list call; event lines by a watch call, which
 * ends at the next line that is not an event. The run stops when the input
 * is used up. An input of odd length runs against a compact store.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "informer/informer-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-informer-events: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_LINES 512
#define MAX_CALLS 2048

struct script {
    const uint8_t *data;
    size_t size, pos;
    struct informer *inf;
    json_t *model; /* key -> version string */
    uint64_t now;
    uint64_t next_ms;
    int next_list_err;
    unsigned lines, calls;
};

/* The next line without its newline, or false at the end. */
static bool peek_line(struct script *s, const uint8_t **ret, size_t *ret_len)
{
    if (s->pos >= s->size || s->lines >= MAX_LINES)
        return false;
    const uint8_t *p = s->data + s->pos;
    const uint8_t *nl = memchr(p, '\n', s->size - s->pos);
    *ret = p;
    *ret_len = nl ? (size_t)(nl - p) : s->size - s->pos;
    return true;
}

static void skip_line(struct script *s, size_t len)
{
    s->pos += len + 1;
    s->lines++;
}

static int code_of(uint8_t c)
{
    static const int codes[] = {0, -ESTALE, -ECONNREFUSED, -ECONNRESET, -ETIMEDOUT, -EAGAIN, -EIO};
    return codes[c % (sizeof(codes) / sizeof(codes[0]))];
}

static json_t *parse(const uint8_t *p, size_t n)
{
    return json_loadb((const char *)p, n, JSON_DECODE_ANY, NULL);
}

/* Consumes the setting lines (t, f) in front of the next call. */
static void settings(struct script *s)
{
    const uint8_t *p;
    size_t n;
    while (peek_line(s, &p, &n) && n > 0 && (p[0] == 't' || p[0] == 'f')) {
        if (p[0] == 't')
            s->next_ms = n > 1 ? (uint64_t)p[1] * 100 : 0;
        else
            s->next_list_err = n > 1 ? code_of(p[1]) : -EIO;
        skip_line(s, n);
    }
}

static int stop(struct script *s)
{
    informer_request_stop(s->inf);
    return -ECANCELED;
}

static int f_list(struct informer_source *src, const struct informer_list_req *req, json_t **ret)
{
    struct script *s = src->userdata;
    const uint8_t *p;
    size_t n;

    (void)req;
    if (++s->calls > MAX_CALLS)
        return stop(s);
    settings(s);
    s->now += s->next_ms;
    s->next_ms = 0;
    if (s->next_list_err) {
        int r = s->next_list_err;
        s->next_list_err = 0;
        return r;
    }
    if (!peek_line(s, &p, &n))
        return stop(s);
    if (n == 0 || p[0] != 'L') {
        skip_line(s, n); /* not a list: an empty answer without a version */
        *ret = json_object();
        return *ret ? 0 : -ENOMEM;
    }
    json_t *v = parse(p + 1, n - 1);
    skip_line(s, n);
    if (!v)
        return -EBADMSG;
    *ret = v;
    return 0;
}

static int f_watch(struct informer_source *src,
                   const struct informer_watch_req *req,
                   informer_event_fn fn,
                   void *userdata)
{
    struct script *s = src->userdata;
    static const char types[] = "AMDB";
    const uint8_t *p;
    size_t n;

    CHECK(req->timeout_seconds >= 300 && req->timeout_seconds < 600);
    CHECK(req->allow_bookmarks);
    CHECK(req->resource_version && strlen(req->resource_version) <= INFORMER_RV_MAX);
    if (++s->calls > MAX_CALLS)
        return stop(s);
    settings(s);
    s->now += s->next_ms;
    s->next_ms = 0;
    while (peek_line(s, &p, &n)) {
        const char *t = n > 0 ? memchr(types, p[0], 4) : NULL;
        if (!t) {
            if (n > 0 && p[0] == 'e') {
                skip_line(s, n);
                return code_of(n > 1 ? p[1] : 0);
            }
            return 0; /* a list or setting line: the stream ends normally */
        }
        json_t *obj = parse(p + 1, n - 1);
        skip_line(s, n);
        if (!obj)
            continue;
        int r = fn((enum informer_event_type)(t - types), obj, userdata);
        json_decref(obj);
        if (r < 0)
            return r;
    }
    return stop(s);
}

static uint64_t f_now(void *userdata)
{
    return ((struct script *)userdata)->now;
}

static int f_sleep(struct informer *inf, uint64_t ms, void *userdata)
{
    struct script *s = userdata;
    s->now += ms;
    return informer_is_stopping(inf) ? -ECANCELED : 0;
}

static double f_rand(void *userdata)
{
    return (double)(((struct script *)userdata)->pos % 10) / 10.0;
}

/* ---- the model, checked by the handlers ---- */

static const char *version(const json_t *o)
{
    const char *rv = store_object_rv(o);
    return rv ? rv : "";
}

static char *key_of(const json_t *o)
{
    char *key = NULL;
    CHECK(store_key_of(o, &key) == 0);
    return key;
}

static int m_add(json_t *obj, void *userdata)
{
    struct script *s = userdata;
    char *key = key_of(obj);
    CHECK(!json_object_get(s->model, key));
    CHECK(json_object_set_new(s->model, key, json_string(version(obj))) == 0);
    free(key);
    return 0;
}

static int m_update(json_t *old, json_t *obj, void *userdata)
{
    struct script *s = userdata;
    char *key = key_of(obj), *old_key = key_of(old);
    CHECK(strcmp(key, old_key) == 0);
    const char *have = json_string_value(json_object_get(s->model, key));
    CHECK(have && strcmp(have, version(old)) == 0);
    CHECK(!store_same_version(old, obj));
    CHECK(json_object_set_new(s->model, key, json_string(version(obj))) == 0);
    free(key);
    free(old_key);
    return 0;
}

static int m_delete(json_t *obj, void *userdata)
{
    struct script *s = userdata;
    char *key = key_of(obj);
    CHECK(json_object_get(s->model, key));
    CHECK(json_object_del(s->model, key) == 0);
    free(key);
    return 0;
}

static void check_model(struct script *s, struct store *store)
{
    json_t *keys = NULL;
    CHECK(store_list_keys(store, &keys) == 0);
    CHECK(json_array_size(keys) == json_object_size(s->model));
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        json_t *obj = NULL;
        CHECK(store_get(store, json_string_value(k), &obj) == 0);
        const char *want = json_string_value(json_object_get(s->model, json_string_value(k)));
        CHECK(want && strcmp(want, version(obj)) == 0);
        json_decref(obj);
    }
    json_decref(keys);
    const char *why = NULL;
    if (store_check(store, &why) < 0) {
        fprintf(stderr, "fuzz-informer-events: %s\n", why);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script s = {.data = data, .size = size, .model = json_object()};
    struct informer_source src = {.list = f_list, .watch = f_watch, .userdata = &s};
    struct store *store = NULL;

    CHECK(s.model && store_new(&store) == 0);
    /* Half the inputs (an odd length) run on a compact store, where every
     * object goes through deflate against the store's dictionaries. */
    if (size % 2 == 1)
        CHECK(store_set_compact(store) == 0);
    CHECK(store_add_index(store, STORE_INDEX_MAC, store_index_hardware_mac, NULL) == 0);
    CHECK(store_add_index(store, STORE_INDEX_IP, store_index_hardware_ip, NULL) == 0);
    CHECK(store_add_index(store, STORE_INDEX_AGENT_ID, store_index_hardware_agent_id, NULL) == 0);
    CHECK(store_add_index(store, "wf", store_index_workflow_agent_id, NULL) == 0);
    CHECK(informer_new(&s.inf, &src, store, &(struct informer_opts){.page_size = 3}) == 0);
    informer_set_env(s.inf, &(struct informer_env){
                                    .now_ms = f_now,
                                    .sleep_ms = f_sleep,
                                    .rand01 = f_rand,
                                    .userdata = &s,
                            });
    CHECK(informer_add_handler(s.inf, &(struct informer_handler){.on_add = m_add,
                                                                 .on_update = m_update,
                                                                 .on_delete = m_delete,
                                                                 .userdata = &s}) == 0);
    CHECK(informer_run(s.inf) == 0);
    check_model(&s, store);

    struct informer_stats st;
    CHECK(informer_get_stats(s.inf, &st) == 0);
    CHECK(st.relists <= st.lists);
    CHECK(st.watch_restarts + (st.watches > 0) == st.watches);
    if (st.lists > 0)
        CHECK(informer_has_synced(s.inf));
    else
        CHECK(!informer_has_synced(s.inf));

    informer_free(s.inf);
    store_unref(store);
    json_decref(s.model);
    return 0;
}
