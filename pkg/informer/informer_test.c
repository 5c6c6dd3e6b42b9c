/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reflector against a scripted fake source on a fake clock. Each case
 * is a script of answers (one per list or watch call) and the transcript
 * the informer must produce: every call it makes with its arguments, every
 * backoff sleep and every handler call, in order. The reflector runs on the
 * test thread (informer_run) and stops when the script is used up. The
 * threaded cases at the end use a blocking fake and condition variables,
 * never sleeps. JSON uses single quotes (turned into double quotes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/json-cleanup.h"
#include "buf/buf.h"
#include "informer/informer-internal.h"
#include "kube/kube.h"

static json_t *J(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    free(s);
    return v;
}

/* ------------------------------------------------------ scripted fake */

enum step_op { LIST, WATCH };

struct step {
    enum step_op op;
    int ret;
    const char *body; /* LIST: the page; WATCH: an array of {type, object} */
    uint64_t ms;      /* how long the call takes on the fake clock */
};

struct fake {
    struct informer_source src;
    const struct step *steps;
    size_t n_steps, pos;
    struct informer *inf;
    uint64_t now;
    double rnd;
    struct buf log;
};

static void logf_(struct fake *f, const char *fmt, ...) _printf_(2, 3);
static void logf_(struct fake *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    assert_int_equal(buf_vprintf(&f->log, fmt, ap), 0);
    va_end(ap);
}

static const struct step *next_step(struct fake *f, enum step_op op)
{
    if (f->pos == f->n_steps) {
        logf_(f, "end\n");
        informer_request_stop(f->inf);
        return NULL;
    }
    const struct step *s = &f->steps[f->pos++];
    if (s->op != op)
        fail_msg("step %zu: the informer called %s, the script expects %s", f->pos - 1,
                 op == LIST ? "list" : "watch", s->op == LIST ? "list" : "watch");
    return s;
}

static int
fake_list(struct informer_source *src, const struct informer_list_req *req, json_t **ret_list)
{
    struct fake *f = src->userdata;
    logf_(f, "list rv=%s limit=%ld cont=%s synced=%d\n",
          req->resource_version ? req->resource_version : "(null)", req->limit,
          req->cont ? req->cont : "", informer_has_synced(f->inf));
    const struct step *s = next_step(f, LIST);
    if (!s)
        return -ECANCELED;
    f->now += s->ms;
    if (s->ret < 0)
        return s->ret;
    *ret_list = J(s->body);
    return 0;
}

static enum informer_event_type type_of(const char *t)
{
    for (unsigned i = 0; i < _INFORMER_EVENT_MAX; i++)
        if (strcmp(informer_event_type_to_string(i), t) == 0)
            return i;
    fail_msg("unknown event type %s", t);
    return _INFORMER_EVENT_MAX;
}

static int fake_watch(struct informer_source *src,
                      const struct informer_watch_req *req,
                      informer_event_fn fn,
                      void *userdata)
{
    struct fake *f = src->userdata;
    logf_(f, "watch rv=%s timeout=%ld bookmarks=%d synced=%d\n", req->resource_version,
          req->timeout_seconds, req->allow_bookmarks, informer_has_synced(f->inf));
    const struct step *s = next_step(f, WATCH);
    if (!s)
        return -ECANCELED;
    f->now += s->ms;
    if (s->body) {
        _cleanup_json_ json_t *events = J(s->body);
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev) {
            int r = fn(type_of(json_string_value(json_object_get(ev, "type"))),
                       json_object_get(ev, "object"), userdata);
            if (r < 0)
                return r;
        }
    }
    return s->ret;
}

static uint64_t fake_now(void *userdata)
{
    return ((struct fake *)userdata)->now;
}

static int fake_sleep(struct informer *inf, uint64_t ms, void *userdata)
{
    struct fake *f = userdata;
    logf_(f, "sleep %" PRIu64 "\n", ms);
    f->now += ms;
    return informer_is_stopping(inf) ? -ECANCELED : 0;
}

static double fake_rand(void *userdata)
{
    return ((struct fake *)userdata)->rnd;
}

static const char *name_rv(const json_t *o, char *out, size_t n)
{
    _cleanup_free_ char *key = NULL;
    assert_int_equal(store_key_of(o, &key), 0);
    snprintf(out, n, "%s %s", key, store_object_rv(o) ? store_object_rv(o) : "-");
    return out;
}

static int h_add(json_t *obj, void *userdata)
{
    char b[128];
    logf_(userdata, "add %s\n", name_rv(obj, b, sizeof(b)));
    return 0;
}

static int h_update(json_t *old, json_t *obj, void *userdata)
{
    char b[128];
    logf_(userdata, "update %s->%s\n", name_rv(old, b, sizeof(b)), store_object_rv(obj));
    return 0;
}

static int h_delete(json_t *obj, void *userdata)
{
    char b[128];
    logf_(userdata, "delete %s\n", name_rv(obj, b, sizeof(b)));
    return 0;
}

static struct informer *
fake_informer(struct fake *f, const struct step *steps, size_t n, const struct informer_opts *opts)
{
    f->steps = steps;
    f->n_steps = n;
    f->log = BUF_INIT(1 << 20);
    f->src = (struct informer_source){.list = fake_list, .watch = fake_watch, .userdata = f};
    _cleanup_store_ struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL), 0);
    assert_int_equal(informer_new(&f->inf, &f->src, s, opts), 0);
    informer_set_env(f->inf, &(struct informer_env){.now_ms = fake_now,
                                                    .sleep_ms = fake_sleep,
                                                    .rand01 = fake_rand,
                                                    .userdata = f});
    assert_int_equal(informer_add_handler(f->inf, &(struct informer_handler){.on_add = h_add,
                                                                             .on_update = h_update,
                                                                             .on_delete = h_delete,
                                                                             .userdata = f}),
                     0);
    return f->inf;
}

static void fake_done(struct fake *f)
{
    informer_free(f->inf);
    buf_free(&f->log);
}

/* Objects: O(name, rv) and H(name, rv, mac) in namespace default. */
#define O(n, rv) "{'metadata':{'name':'" n "','namespace':'default','resourceVersion':'" rv "'}}"
#define H(n, rv, m)                                                                  \
    "{'metadata':{'name':'" n "','namespace':'default','resourceVersion':'" rv "'}," \
    "'spec':{'interfaces':[{'dhcp':{'mac':'" m "'}}]}}"
#define PAGE(rv, items) "{'metadata':{'resourceVersion':'" rv "'},'items':[" items "]}"
#define PAGE_CONT(rv, c, its) \
    "{'metadata':{'resourceVersion':'" rv "','continue':'" c "'},'items':[" its "]}"
#define EV(t, o)     "{'type':'" t "','object':" o "}"
#define BOOKMARK(rv) EV("BOOKMARK", "{'kind':'Hardware','metadata':{'resourceVersion':'" rv "'}}")

struct reflector_case {
    const char *name;
    double rnd;
    const struct step *steps;
    size_t n_steps;
    const char *transcript;
    struct informer_stats stats; /* checked when lists is non-zero */
    const char *store_keys;      /* checked when non-NULL: JSON array of keys */
};

static void run_case(const struct reflector_case *c)
{
    struct fake f = {.rnd = c->rnd};
    struct informer *inf = fake_informer(&f, c->steps, c->n_steps, NULL);
    assert_int_equal(informer_run(inf), 0);
    if (strcmp(buf_str(&f.log), c->transcript) != 0)
        fail_msg("case %s: transcript\n%s\nwanted\n%s", c->name, buf_str(&f.log), c->transcript);
    if (c->stats.lists) {
        struct informer_stats st;
        assert_int_equal(informer_get_stats(inf, &st), 0);
        if (memcmp(&st, &c->stats, sizeof(st)) != 0)
            fail_msg("case %s: stats lists=%lu relists=%lu lf=%lu watches=%lu restarts=%lu "
                     "wf=%lu expired=%lu backoffs=%lu ev=%lu/%lu/%lu/%lu bad=%lu herr=%lu",
                     c->name, (unsigned long)st.lists, (unsigned long)st.relists,
                     (unsigned long)st.list_failures, (unsigned long)st.watches,
                     (unsigned long)st.watch_restarts, (unsigned long)st.watch_failures,
                     (unsigned long)st.expired, (unsigned long)st.backoffs,
                     (unsigned long)st.events[0], (unsigned long)st.events[1],
                     (unsigned long)st.events[2], (unsigned long)st.events[3],
                     (unsigned long)st.bad_objects, (unsigned long)st.handler_errors);
    }
    if (c->store_keys) {
        _cleanup_json_ json_t *keys = NULL;
        assert_int_equal(store_list_keys(informer_store(inf), &keys), 0);
        _cleanup_free_ char *dump = json_dumps(keys, JSON_COMPACT);
        _cleanup_json_ json_t *want = J(c->store_keys);
        _cleanup_free_ char *want_dump = json_dumps(want, JSON_COMPACT);
        if (strcmp(dump, want_dump) != 0)
            fail_msg("case %s: store %s wanted %s", c->name, dump, want_dump);
    }
    const char *why = NULL;
    if (store_check(informer_store(inf), &why) < 0)
        fail_msg("case %s: %s", c->name, why);
    fake_done(&f);
}

#define CASE(nm, r, st, tr, ...)                                                        \
    (struct reflector_case)                                                             \
    {                                                                                   \
        .name = nm, .rnd = r, .steps = st, .n_steps = ARRAY_SIZE(st), .transcript = tr, \
        __VA_ARGS__                                                                     \
    }

/* ------------------------------------------------------------- cases */

static void test_informer_initial_list_paged(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE_CONT("10", "c1", O("a", "1") "," O("b", "2")), 5},
            {LIST, 0, PAGE("10", O("c", "3")), 5},
            {WATCH, 0, NULL, 400000}, /* ran to its timeout: re-watch, no relist */
    };
    run_case(&CASE("initial list", 0.5, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "list rv=(null) limit=500 cont=c1 synced=0\n"
                   "add default/a 1\n"
                   "add default/b 2\n"
                   "add default/c 3\n"
                   "watch rv=10 timeout=450 bookmarks=1 synced=1\n"
                   "watch rv=10 timeout=450 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 1, .watches = 2, .watch_restarts = 1},
                   .store_keys = "['default/a','default/b','default/c']"));
}

static void test_informer_events_applied_in_order(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", ""), 0},
            {WATCH, 0,
             "[" EV("ADDED", O("a", "11")) "," EV("MODIFIED", O("a", "12")) ","
             EV("ADDED", O("b", "13")) "," EV("DELETED", O("a", "14")) ","
             EV("MODIFIED", O("b", "13")) "," EV("DELETED", O("zz", "15")) ","
             EV("MODIFIED", O("c", "16")) "]",
             2000},
    };
    /* clang-format on */
    run_case(&CASE("events", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "add default/a 11\n"
                   "update default/a 11->12\n"
                   "add default/b 13\n"
                   "delete default/a 14\n"
                   /* b at 13 again: a replay, no handler; zz unknown: no handler */
                   "add default/c 16\n"
                   "watch rv=16 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 1, .watches = 2, .watch_restarts = 1, .events = {2, 3, 2, 0}},
                   .store_keys = "['default/b','default/c']"));
}

static void test_informer_bookmark_advances_rv_only(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "5")), 0},
            {WATCH, 0, "[" BOOKMARK("20") "]", 10},       /* short, but not empty */
            {WATCH, 0, "[" BOOKMARK("30") "," BOOKMARK("31") "]", 700000},
    };
    /* clang-format on */
    run_case(&CASE("bookmark", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 5\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "watch rv=20 timeout=300 bookmarks=1 synced=1\n"
                   "watch rv=31 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 1, .watches = 3, .watch_restarts = 2, .events = {0, 0, 0, 3}},
                   .store_keys = "['default/a']"));
}

static void test_informer_watch_410_relists_last_rv_then_empty(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "1") "," O("b", "2")), 0},
            {WATCH, -ESTALE, "[" EV("MODIFIED", O("a", "11")) "]", 50},
            /* §1.5: first the last version, without limit ... */
            {LIST, -ESTALE, NULL, 0},
            /* ... and only after that list's 410, "" (paged again) at once */
            {LIST, 0, PAGE("30", O("a", "11") "," O("c", "30")), 0},
            {WATCH, 0, NULL, 400000},
    };
    run_case(&CASE("410", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 1\n"
                   "add default/b 2\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "update default/a 1->11\n"
                   "sleep 800\n"
                   "list rv=11 limit=0 cont= synced=1\n"
                   "list rv= limit=500 cont= synced=1\n"
                   "add default/c 30\n"
                   "delete default/b 2\n"
                   "watch rv=30 timeout=300 bookmarks=1 synced=1\n"
                   "watch rv=30 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 2,
                             .relists = 1,
                             .watches = 3,
                             .watch_restarts = 2,
                             .expired = 2,
                             .backoffs = 1,
                             .events = {0, 1, 0, 0}},
                   .store_keys = "['default/a','default/c']"));
}

static void test_informer_list_410_keeps_listing_at_empty_rv(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "1")), 0},
            {WATCH, -ESTALE, NULL, 0},
            {LIST, -ESTALE, NULL, 0}, /* at 10: gone */
            {LIST, -EIO, NULL, 0},    /* at "": failed */
            {LIST, 0, PAGE("40", ""), 0},
            {WATCH, -ESTALE, NULL, 0},
            {LIST, 0, PAGE("41", ""), 0},
    };
    run_case(&CASE("410 then failure", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   "list rv=10 limit=0 cont= synced=1\n"
                   "list rv= limit=500 cont= synced=1\n"
                   "sleep 1600\n"
                   /* still "": the version stays unavailable until a list succeeds */
                   "list rv= limit=500 cont= synced=1\n"
                   "delete default/a 1\n"
                   "watch rv=40 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 3200\n"
                   /* a successful list clears it: the last version again */
                   "list rv=40 limit=0 cont= synced=1\n"
                   "watch rv=41 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 3,
                             .relists = 2,
                             .list_failures = 1,
                             .watches = 3,
                             .watch_restarts = 2,
                             .expired = 3,
                             .backoffs = 3},
                   .store_keys = "[]"));
}

static void test_informer_relist_diff_emits_deletes(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "1") "," O("b", "1") "," O("c", "1") "," O("e", "1")), 0},
            {WATCH, -EIO, NULL, 3000}, /* a broken stream: back off, relist */
            {LIST, 0, PAGE("20", O("d", "1") "," O("b", "2") "," O("a", "1")), 0},
            {WATCH, -EIO, NULL, 3000}, /* the same list again: no handler calls */
            {LIST, 0, PAGE("20", O("d", "1") "," O("b", "2") "," O("a", "1")), 0},
    };
    run_case(&CASE("relist diff", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 1\n"
                   "add default/b 1\n"
                   "add default/c 1\n"
                   "add default/e 1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   "list rv=10 limit=0 cont= synced=1\n"
                   "add default/d 1\n"
                   "update default/b 1->2\n"
                   "delete default/c 1\n"
                   "delete default/e 1\n"
                   "watch rv=20 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 1600\n"
                   "list rv=20 limit=0 cont= synced=1\n"
                   "watch rv=20 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 3,
                             .relists = 2,
                             .watches = 3,
                             .watch_restarts = 2,
                             .watch_failures = 2,
                             .backoffs = 2},
                   .store_keys = "['default/a','default/b','default/d']"));
}

static void test_informer_backoff_sequence(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ETIMEDOUT, NULL, 0},
            {LIST, -EIO, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, 0, PAGE("10", ""), 0},
            /* two healthy minutes: the next failure starts at 800 again */
            {WATCH, -ECONNREFUSED, "[" BOOKMARK("11") "]", 130000},
            {WATCH, -ECONNREFUSED, NULL, 1000},
            {WATCH, -EAGAIN, NULL, 1000},
    };
    run_case(&CASE("backoff", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 800\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 1600\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 3200\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 6400\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 12800\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 25600\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 30000\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 30000\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   /* connection refused and 429: watch again, no relist */
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 1600\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 3200\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 1,
                             .list_failures = 8,
                             .watches = 4,
                             .watch_restarts = 3,
                             .watch_failures = 3,
                             .backoffs = 11,
                             .events = {0, 0, 0, 1}}));
}

static void test_informer_backoff_jitter(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, -ECONNREFUSED, NULL, 0},
    };
    /* jitter 1.0 with rand 0.5: 1.5x the base */
    run_case(&CASE("jitter", 0.5, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 1200\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 2400\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "end\n"));

    struct informer_backoff b;
    informer_backoff_init(&b, 800, 30000, 120000, 1.0);
    static const struct {
        uint64_t now;
        double rnd;
        uint64_t want;
    } seq[] = {
            {0, 0.0, 800},        {1, 0.999, 3198}, {2, 0.0, 3200},
            {120002, 0.0, 6400}, /* exactly two minutes after the last: no reset */
            {240003, 0.0, 800},  /* more than two minutes: reset */
            {240004, 0.25, 2000},
    };
    for (size_t i = 0; i < ARRAY_SIZE(seq); i++)
        assert_int_equal(informer_backoff_next(&b, seq[i].now, seq[i].rnd), seq[i].want);
}

static void test_informer_short_watch_is_a_failure(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "1")), 0},
            {WATCH, 0, NULL, 999},  /* ended in under a second with nothing */
            {LIST, 0, PAGE("10", O("a", "1")), 0},
            {WATCH, 0, NULL, 1000}, /* a full second: normal end */
            {WATCH, 0, "[" EV("MODIFIED", O("a", "12")) "]", 0}, /* short with an event */
    };
    /* clang-format on */
    run_case(&CASE("short watch", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   "list rv=10 limit=0 cont= synced=1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "update default/a 1->12\n"
                   "watch rv=12 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 2,
                             .relists = 1,
                             .watches = 4,
                             .watch_restarts = 3,
                             .watch_failures = 1,
                             .backoffs = 1,
                             .events = {0, 1, 0, 0}}));
}

static void test_informer_has_synced_after_first_list(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, -EIO, NULL, 0},
            {LIST, 0, PAGE_CONT("7", "x", O("a", "1")), 0},
            {LIST, -ESTALE, NULL, 0}, /* continue token expired: "" at once */
            {LIST, 0, PAGE("9", O("a", "1")), 0},
    };
    struct fake f = {.rnd = 0.0};
    struct informer *inf = fake_informer(&f, steps, ARRAY_SIZE(steps), NULL);
    assert_false(informer_has_synced(inf));
    assert_int_equal(informer_wait_for_sync(inf, 0), -ETIMEDOUT);
    _cleanup_free_ char *rv0 = NULL;
    assert_int_equal(informer_resource_version(inf, &rv0), 0);
    assert_string_equal(rv0, "");
    assert_int_equal(informer_run(inf), 0);
    assert_string_equal(buf_str(&f.log), "list rv=0 limit=500 cont= synced=0\n"
                                         "sleep 800\n"
                                         "list rv=0 limit=500 cont= synced=0\n"
                                         "list rv=(null) limit=500 cont=x synced=0\n"
                                         "list rv= limit=500 cont= synced=0\n"
                                         "add default/a 1\n"
                                         "watch rv=9 timeout=300 bookmarks=1 synced=1\n"
                                         "end\n");
    assert_true(informer_has_synced(inf));
    assert_int_equal(informer_wait_for_sync(inf, -1), 0);
    _cleanup_free_ char *rv = NULL;
    assert_int_equal(informer_resource_version(inf, &rv), 0);
    assert_string_equal(rv, "9");
    fake_done(&f);
}

static void test_informer_connection_refused_rewatches(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", ""), 0},
            {WATCH, 0, "[" EV("ADDED", O("a", "11")) "]", 100},
            {WATCH, -EIO, NULL, 10},          /* server killed: relist at 11 */
            {LIST, -ECONNREFUSED, NULL, 0},
            {LIST, 0, PAGE("12", O("a", "12")), 0},
            {WATCH, -ECONNREFUSED, NULL, 0},
            {WATCH, 0, "[" EV("MODIFIED", O("a", "13")) "]", 0},
    };
    /* clang-format on */
    run_case(&CASE("server restart", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "add default/a 11\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   "list rv=11 limit=0 cont= synced=1\n"
                   "sleep 1600\n"
                   "list rv=11 limit=0 cont= synced=1\n"
                   "update default/a 11->12\n"
                   "watch rv=12 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 3200\n"
                   "watch rv=12 timeout=300 bookmarks=1 synced=1\n"
                   "update default/a 12->13\n"
                   "watch rv=13 timeout=300 bookmarks=1 synced=1\n"
                   "end\n"));
}

static void test_informer_broken_stream_resumes_without_relist(void **state)
{
    (void)state;
    /* client-go treats a probable EOF or a timeout on the stream as a
     * normal close: watch again from the last version. */
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", ""), 0},
            {WATCH, -ECONNRESET, "[" EV("ADDED", O("a", "11")) "]", 100}, /* server killed */
            {WATCH, -ECONNREFUSED, NULL, 0},                              /* still down */
            {WATCH, -ECONNREFUSED, NULL, 0},
            {WATCH, -ETIMEDOUT, "[" EV("MODIFIED", O("a", "12")) "]", 60000}, /* went silent */
            {WATCH, -ECONNRESET, NULL, 20},                              /* short and empty */
            {LIST, 0, PAGE("12", O("a", "12")), 0},
    };
    /* clang-format on */
    run_case(&CASE("broken stream", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "add default/a 11\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 800\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 1600\n"
                   "watch rv=11 timeout=300 bookmarks=1 synced=1\n"
                   "update default/a 11->12\n"
                   "watch rv=12 timeout=300 bookmarks=1 synced=1\n"
                   "sleep 3200\n"
                   "list rv=12 limit=0 cont= synced=1\n"
                   "watch rv=12 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 2,
                             .relists = 1,
                             .watches = 6,
                             .watch_restarts = 5,
                             .watch_failures = 3,
                             .backoffs = 3,
                             .events = {1, 1, 0, 0}},
                   .store_keys = "['default/a']"));
}

static void test_informer_bad_input_table(void **state)
{
    (void)state;
    /* Every malformed list is a failed list (back off, list again at "0"
     * while unsynced); malformed items and events are skipped and counted. */
    /* clang-format off */
    static const struct step steps[] = {
            {LIST, 0, "{'items':[]}", 0},                                  /* no version */
            {LIST, 0, "[]", 0},                                            /* not an object */
            {LIST, 0, "{'metadata':{'resourceVersion':5},'items':[]}", 0}, /* version not a string */
            {LIST, 0, "{'metadata':{'resourceVersion':'1'},'items':{}}", 0},
            {LIST, 0, "{'metadata':{'resourceVersion':'1','continue':7},'items':[]}", 0},
            {LIST, 0,
             "{'metadata':{'resourceVersion':'1234567890123456789012345678901234567890123456789012345678901234567890'},'items':[]}",
             0},
            {LIST, 0,
             PAGE("10", O("a", "1") ",{'metadata':{}},7,{'metadata':{'name':'x/y'}}"), 0},
            {WATCH, 0,
             "[" EV("ADDED", "{'metadata':{'name':'b'}}")             /* no version */
             "," EV("ADDED", "{'metadata':{'resourceVersion':'12'}}") /* no name */
             "," EV("MODIFIED", "{'metadata':{'name':'c','resourceVersion':'12345678901234567890123456789012345678901234567890123456789012345'}}")
             "," EV("BOOKMARK", "{'metadata':{}}")
             "," EV("DELETED", "{'metadata':{'resourceVersion':'13'}}")
             "," EV("ADDED", O("d", "14")) "]",
             5000},
    };
    /* clang-format on */
    run_case(&CASE("bad input", 0.0, steps,
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 800\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 1600\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 3200\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 6400\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 12800\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "sleep 25600\n"
                   "list rv=0 limit=500 cont= synced=0\n"
                   "add default/a 1\n"
                   "watch rv=10 timeout=300 bookmarks=1 synced=1\n"
                   "add default/d 14\n"
                   "watch rv=14 timeout=300 bookmarks=1 synced=1\n"
                   "end\n",
                   .stats = {.lists = 1,
                             .list_failures = 6,
                             .watches = 2,
                             .watch_restarts = 1,
                             .backoffs = 6,
                             .events = {1, 0, 0, 0},
                             .bad_objects = 8},
                   .store_keys = "['default/a','default/d']"));
}

static void test_informer_indexes_follow_events(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", H("a", "1", "AA:00") "," H("b", "1", "bb:00")), 0},
            {WATCH, 0,
             "[" EV("MODIFIED", H("a", "11", "CC:00")) "," EV("DELETED", H("b", "12", "bb:00")) "]",
             5000},
    };
    struct fake f = {.rnd = 0.0};
    struct informer *inf = fake_informer(&f, steps, ARRAY_SIZE(steps), NULL);
    assert_int_equal(informer_run(inf), 0);
    static const struct {
        const char *mac;
        size_t n;
    } want[] = {{"aa:00", 0}, {"cc:00", 1}, {"bb:00", 0}, {"CC:00", 0}};
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        _cleanup_json_ json_t *arr = NULL;
        assert_int_equal(store_by_index(informer_store(inf), STORE_INDEX_MAC, want[i].mac, &arr),
                         0);
        if (json_array_size(arr) != want[i].n)
            fail_msg("mac %s: %zu objects, want %zu", want[i].mac, json_array_size(arr), want[i].n);
    }
    fake_done(&f);
}

/* Handlers see the store already changed, and their errors are counted. */
struct seen {
    struct store *store;
    int calls;
    int saw_new;
};

static int h_check_store(json_t *old, json_t *obj, void *userdata)
{
    struct seen *s = userdata;
    (void)old;
    json_t *cur = NULL;
    if (store_get(s->store, "default/a", &cur) == 0 && cur == obj)
        s->saw_new++;
    json_decref(cur);
    s->calls++;
    return -EIO;
}

static void test_informer_handler_errors_counted(void **state)
{
    (void)state;
    static const struct step steps[] = {
            {LIST, 0, PAGE("10", O("a", "1")), 0},
            {WATCH, 0, "[" EV("MODIFIED", O("a", "2")) "," EV("MODIFIED", O("a", "3")) "]", 5000},
    };
    struct fake f = {.rnd = 0.0};
    struct informer *inf = fake_informer(&f, steps, ARRAY_SIZE(steps), NULL);
    struct seen seen = {.store = informer_store(inf)};
    assert_int_equal(
            informer_add_handler(
                    inf, &(struct informer_handler){.on_update = h_check_store, .userdata = &seen}),
            0);
    assert_int_equal(informer_run(inf), 0);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.saw_new, 2);
    struct informer_stats st;
    assert_int_equal(informer_get_stats(inf, &st), 0);
    assert_int_equal(st.handler_errors, 2);
    assert_int_equal(st.events[INFORMER_EVENT_MODIFIED], 2);
    fake_done(&f);
}

static void test_informer_api_errors(void **state)
{
    (void)state;
    struct informer *inf = NULL;
    struct informer_source src = {.list = fake_list, .watch = fake_watch};
    struct informer_source nolist = {.watch = fake_watch};
    _cleanup_store_ struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);

    assert_int_equal(informer_new(NULL, &src, s, NULL), -EINVAL);
    assert_int_equal(informer_new(&inf, NULL, s, NULL), -EINVAL);
    assert_int_equal(informer_new(&inf, &src, NULL, NULL), -EINVAL);
    assert_int_equal(informer_new(&inf, &nolist, s, NULL), -EINVAL);
    assert_int_equal(
            informer_new(&inf, &src, s,
                         &(struct informer_opts){.backoff_init_ms = 5000, .backoff_max_ms = 1000}),
            -EINVAL);
    assert_null(inf);
    assert_int_equal(informer_add_handler(NULL, &(struct informer_handler){0}), -EINVAL);
    assert_int_equal(informer_start(NULL), -EINVAL);
    assert_int_equal(informer_stop(NULL), -EINVAL);
    assert_false(informer_has_synced(NULL));
    assert_null(informer_store(NULL));
    assert_null(informer_free(NULL));
    assert_null(informer_source_free(NULL));
    assert_null(informer_event_type_to_string(_INFORMER_EVENT_MAX));
    struct informer_stats st;
    assert_int_equal(informer_get_stats(NULL, &st), -EINVAL);

    /* Stopped before it started: cannot start any more. */
    assert_int_equal(informer_new(&inf, &src, s, NULL), 0);
    assert_int_equal(informer_stop(inf), 0);
    assert_int_equal(informer_start(inf), -EALREADY);
    assert_int_equal(informer_wait_for_sync(inf, -1), -ECANCELED);
    informer_free(inf);
}

/* ------------------------------------------------------ kube source */

static int no_event(enum informer_event_type type, json_t *object, void *userdata)
{
    (void)type;
    (void)object;
    (void)userdata;
    return -EIO;
}

static void test_informer_source_kube_errors(void **state)
{
    (void)state;
    /* A port nobody listens on: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
             "    server: http://127.0.0.1:%u\ncontexts:\n- name: x\n  context:\n"
             "    cluster: c\n    user: u\nusers:\n- name: u\n  user: {}\ncurrent-context: x\n",
             ntohs(sa.sin_port));
    struct kube_config *cfg = NULL;
    assert_int_equal(kube_config_parse(yaml, strlen(yaml), "test", NULL, &cfg, NULL), 0);
    struct kube_client *c = NULL;
    assert_int_equal(kube_client_new(&c, cfg, NULL), 0);
    kube_config_free(cfg);

    static const struct kube_resource hw = {.group = "tinkerbell.org",
                                            .version = "v1alpha1",
                                            .resource = "hardware",
                                            .namespaced = true};
    struct informer_source *src = NULL;
    assert_int_equal(informer_source_kube(NULL, &hw, NULL, NULL, &src), -EINVAL);
    assert_int_equal(informer_source_kube(c, NULL, NULL, NULL, &src), -EINVAL);
    assert_int_equal(informer_source_kube(c, &hw, "default", "a=b", NULL), -EINVAL);
    assert_int_equal(informer_source_kube(c, &hw, "default", "a=b", &src), 0);

    json_t *list = NULL;
    struct informer_list_req lreq = {.resource_version = "0", .limit = 500};
    struct informer_watch_req wreq = {
            .resource_version = "5", .timeout_seconds = 300, .allow_bookmarks = true};
    /* Nobody listening: refused, not a broken stream. */
    assert_int_equal(src->list(src, &lreq, &list), -ECONNREFUSED);
    assert_int_equal(src->watch(src, &wreq, no_event, NULL), -ECONNREFUSED);
    /* Cancelled: every later call ends at once. */
    src->cancel(src);
    assert_int_equal(src->list(src, &lreq, &list), -ECANCELED);
    assert_int_equal(src->watch(src, &wreq, no_event, NULL), -ECANCELED);
    assert_null(list);
    informer_source_free(src);
    kube_client_free(c);
}

/* ------------------------------------------------------------ threads */

/* A source whose watch streams a burst of MAC changes, then blocks until
 * cancelled; its list returns two objects. */
struct live {
    struct informer_source src;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool cancelled;
    bool burst_done;
    int lists;
    int watches;
    int list_error; /* when non-zero every list fails with it */
};

#define LIVE_OBJECTS 16
#define LIVE_EVENTS  4000

static void live_mac(char *out, size_t n, unsigned obj, unsigned gen)
{
    snprintf(out, n, "02:00:00:00:%02x:%02x", obj, gen % 8);
}

static json_t *live_obj(unsigned obj, unsigned gen, unsigned rv)
{
    char name[16], mac[32], rvs[16];
    snprintf(name, sizeof(name), "o%u", obj);
    snprintf(rvs, sizeof(rvs), "%u", rv);
    live_mac(mac, sizeof(mac), obj, gen);
    return json_pack("{s:{s:s,s:s,s:s},s:{s:[{s:{s:s}}]}}", "metadata", "name", name, "namespace",
                     "default", "resourceVersion", rvs, "spec", "interfaces", "dhcp", "mac", mac);
}

static int
live_list(struct informer_source *src, const struct informer_list_req *req, json_t **ret_list)
{
    struct live *l = src->userdata;
    (void)req;
    pthread_mutex_lock(&l->lock);
    l->lists++;
    bool cancelled = l->cancelled;
    int err = l->list_error;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
    if (cancelled)
        return -ECANCELED;
    if (err)
        return err;
    json_t *items = json_array();
    for (unsigned o = 0; o < LIVE_OBJECTS; o++)
        json_array_append_new(items, live_obj(o, 0, 1));
    *ret_list = json_pack("{s:{s:s},s:o}", "metadata", "resourceVersion", "1", "items", items);
    return 0;
}

static int live_watch(struct informer_source *src,
                      const struct informer_watch_req *req,
                      informer_event_fn fn,
                      void *userdata)
{
    struct live *l = src->userdata;
    (void)req;
    pthread_mutex_lock(&l->lock);
    bool first = l->watches++ == 0;
    pthread_mutex_unlock(&l->lock);
    for (unsigned i = 0; first && i < LIVE_EVENTS; i++) {
        json_t *o = live_obj(i % LIVE_OBJECTS, 1 + i / LIVE_OBJECTS, 2 + i);
        int r = fn(INFORMER_EVENT_MODIFIED, o, userdata);
        json_decref(o);
        if (r < 0)
            return r;
    }
    pthread_mutex_lock(&l->lock);
    l->burst_done = true;
    pthread_cond_broadcast(&l->cond);
    while (!l->cancelled)
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    return -ECANCELED;
}

static void live_cancel(struct informer_source *src)
{
    struct live *l = src->userdata;
    pthread_mutex_lock(&l->lock);
    l->cancelled = true;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

static void live_init(struct live *l)
{
    *l = (struct live){
            .src = {.list = live_list, .watch = live_watch, .cancel = live_cancel, .userdata = l}};
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
}

static void live_fini(struct live *l)
{
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
}

struct reader {
    struct store *store;
    struct live *live;
    pthread_t thread;
    unsigned reads;
    unsigned bad;
};

static bool live_burst_done(struct live *l)
{
    pthread_mutex_lock(&l->lock);
    bool b = l->burst_done;
    pthread_mutex_unlock(&l->lock);
    return b;
}

static void *reader_main(void *p)
{
    struct reader *rd = p;
    unsigned i = 0;
    while (!live_burst_done(rd->live) || i < 200) {
        char mac[32];
        unsigned obj = i % LIVE_OBJECTS;
        live_mac(mac, sizeof(mac), obj, i / LIVE_OBJECTS);
        json_t *arr = NULL;
        if (store_by_index(rd->store, STORE_INDEX_MAC, mac, &arr) < 0 || json_array_size(arr) > 1)
            rd->bad++;
        size_t j;
        json_t *o;
        json_array_foreach(arr, j, o) {
            const char *m = json_string_value(json_object_get(
                    json_object_get(
                            json_array_get(
                                    json_object_get(json_object_get(o, "spec"), "interfaces"), 0),
                            "dhcp"),
                    "mac"));
            if (!m || strcmp(m, mac) != 0)
                rd->bad++;
        }
        json_decref(arr);
        rd->reads++;
        i++;
    }
    return NULL;
}

static int count_update(json_t *old, json_t *obj, void *userdata)
{
    (void)old;
    (void)obj;
    atomic_fetch_add((atomic_uint *)userdata, 1);
    return 0;
}

static void test_informer_thread_readers_while_writing(void **state)
{
    (void)state;
    struct live live;
    live_init(&live);
    _cleanup_store_ struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL), 0);
    struct informer *inf = NULL;
    assert_int_equal(informer_new(&inf, &live.src, s, NULL), 0);
    atomic_uint updates;
    atomic_init(&updates, 0);
    assert_int_equal(informer_add_handler(inf, &(struct informer_handler){.on_update = count_update,
                                                                          .userdata = &updates}),
                     0);

    struct reader readers[3];
    for (size_t i = 0; i < ARRAY_SIZE(readers); i++) {
        readers[i] = (struct reader){.store = s, .live = &live};
        assert_int_equal(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]), 0);
    }
    assert_int_equal(informer_start(inf), 0);
    assert_int_equal(informer_start(inf), -EALREADY);
    assert_int_equal(informer_add_handler(inf, &(struct informer_handler){0}), -EBUSY);
    assert_int_equal(informer_wait_for_sync(inf, 60000), 0);
    assert_true(informer_has_synced(inf));

    pthread_mutex_lock(&live.lock);
    while (!live.burst_done)
        pthread_cond_wait(&live.cond, &live.lock);
    pthread_mutex_unlock(&live.lock);
    for (size_t i = 0; i < ARRAY_SIZE(readers); i++) {
        assert_int_equal(pthread_join(readers[i].thread, NULL), 0);
        assert_int_equal(readers[i].bad, 0);
        assert_true(readers[i].reads >= 200);
    }

    /* The watch blocks until informer_stop() cancels it. */
    assert_int_equal(informer_stop(inf), 0);
    assert_int_equal(informer_stop(inf), 0);
    assert_int_equal(atomic_load(&updates), LIVE_EVENTS);
    struct informer_stats st;
    assert_int_equal(informer_get_stats(inf, &st), 0);
    assert_int_equal(st.events[INFORMER_EVENT_MODIFIED], LIVE_EVENTS);
    assert_int_equal(st.lists, 1);
    assert_int_equal(store_size(s), LIVE_OBJECTS);
    const char *why = NULL;
    if (store_check(s, &why) < 0)
        fail_msg("%s", why);
    _cleanup_free_ char *rv = NULL;
    assert_int_equal(informer_resource_version(inf, &rv), 0);
    char want[16];
    snprintf(want, sizeof(want), "%u", 1 + LIVE_EVENTS);
    assert_string_equal(rv, want);
    informer_free(inf);
    live_fini(&live);
}

static void test_informer_stop_interrupts_backoff(void **state)
{
    (void)state;
    struct live live;
    live_init(&live);
    live.list_error = -ECONNREFUSED;
    _cleanup_store_ struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);
    /* A one-hour backoff: only an interrupted wait lets stop return. */
    struct informer *inf = NULL;
    assert_int_equal(informer_new(&inf, &live.src, s,
                                  &(struct informer_opts){.backoff_init_ms = 3600000,
                                                          .backoff_max_ms = 3600000}),
                     0);
    assert_int_equal(informer_start(inf), 0);
    pthread_mutex_lock(&live.lock);
    while (live.lists == 0)
        pthread_cond_wait(&live.cond, &live.lock);
    pthread_mutex_unlock(&live.lock);
    assert_int_equal(informer_wait_for_sync(inf, 1), -ETIMEDOUT);
    assert_int_equal(informer_stop(inf), 0);
    assert_false(informer_has_synced(inf));
    assert_int_equal(informer_wait_for_sync(inf, -1), -ECANCELED);
    assert_int_equal(live.lists, 1);
    informer_free(inf);
    live_fini(&live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_informer_initial_list_paged),
            cmocka_unit_test(test_informer_events_applied_in_order),
            cmocka_unit_test(test_informer_bookmark_advances_rv_only),
            cmocka_unit_test(test_informer_watch_410_relists_last_rv_then_empty),
            cmocka_unit_test(test_informer_list_410_keeps_listing_at_empty_rv),
            cmocka_unit_test(test_informer_relist_diff_emits_deletes),
            cmocka_unit_test(test_informer_backoff_sequence),
            cmocka_unit_test(test_informer_backoff_jitter),
            cmocka_unit_test(test_informer_short_watch_is_a_failure),
            cmocka_unit_test(test_informer_has_synced_after_first_list),
            cmocka_unit_test(test_informer_connection_refused_rewatches),
            cmocka_unit_test(test_informer_broken_stream_resumes_without_relist),
            cmocka_unit_test(test_informer_bad_input_table),
            cmocka_unit_test(test_informer_indexes_follow_events),
            cmocka_unit_test(test_informer_handler_errors_counted),
            cmocka_unit_test(test_informer_api_errors),
            cmocka_unit_test(test_informer_source_kube_errors),
            cmocka_unit_test(test_informer_thread_readers_while_writing),
            cmocka_unit_test(test_informer_stop_interrupts_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
