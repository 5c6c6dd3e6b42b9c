/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore history tests: list_at at past revisions, events_since, compaction
 * (explicit and maintain), and the revision across reopen.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "apistore/apistore-testutil.h"

#define HW "tinkerbell.org/hardware"

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f || fixture_init(f) < 0 || fixture_open(f, NULL) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fixture_fini(f);
    free(f);
    return 0;
}

static uint64_t count_events(struct apistore *s)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM events", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Renders list_at(rev) with spec.v; NULL-terminated error string on failure. */
static int
render_at(struct apistore *s, uint64_t rev, const struct apistore_list_opts *o, struct collector *c)
{
    collector_reset(c);
    c->with_v = true;
    return apistore_list_at(s, HW, rev, o, collect_fn, c, NULL);
}

/* r1 create a=1, r2 create b=1, r3 update a=2, r4 delete b, r5 create c=1,
 * r6 update a=3, r7 create b=5 (again), r8 delete c. */
static void write_story(struct apistore *s)
{
    assert_int_equal(create(s, HW, "ns", "a", 1, NULL), 0);
    assert_int_equal(create(s, HW, "ns", "b", 1, NULL), 0);
    assert_int_equal(update(s, HW, "ns", "a", 2, 1, NULL), 0);
    assert_int_equal(delete_obj(s, HW, "ns", "b", 2, NULL), 0);
    assert_int_equal(create(s, HW, "ns", "c", 1, NULL), 0);
    assert_int_equal(update(s, HW, "ns", "a", 3, 3, NULL), 0);
    assert_int_equal(create(s, HW, "ns", "b", 5, NULL), 0);
    assert_int_equal(delete_obj(s, HW, "ns", "c", 0, NULL), 0);
}

static const char *const story_states[] = {
        "",
        "ns/a@1=1",
        "ns/a@1=1 ns/b@2=1",
        "ns/a@3=2 ns/b@2=1",
        "ns/a@3=2",
        "ns/a@3=2 ns/c@5=1",
        "ns/a@6=3 ns/c@5=1",
        "ns/a@6=3 ns/b@7=5 ns/c@5=1",
        "ns/a@6=3 ns/b@7=5",
};

static void check_story(struct apistore *s, uint64_t from)
{
    struct collector c = COLLECTOR_INIT;
    for (uint64_t rev = 0; rev < ARRAY_SIZE(story_states); rev++) {
        int r = render_at(s, rev, NULL, &c);
        if (rev < from) {
            if (r != -ESTALE)
                fail_msg("rev %" PRIu64 " below %" PRIu64 ": got %d", rev, from, r);
            continue;
        }
        assert_int_equal(r, 0);
        if (strcmp(buf_str(&c.out), story_states[rev]) != 0)
            fail_msg("rev %" PRIu64 " (compacted %" PRIu64 "): got '%s' want '%s'", rev, from,
                     buf_str(&c.out), story_states[rev]);
        assert_int_equal(c.bad_bodies, 0);
    }
    buf_free(&c.out);
}

static void test_list_at_reconstructs_past_states(void **state)
{
    struct fixture *f = *state;
    write_story(f->s);
    check_story(f->s, 0);
    struct collector c = COLLECTOR_INIT;
    assert_int_equal(render_at(f->s, 9, NULL, &c), -ERANGE);
    assert_int_equal(c.n, 0);
    buf_free(&c.out);
}

static void test_list_at_survives_every_compaction_target(void **state)
{
    struct fixture *f = *state;
    write_story(f->s);
    for (uint64_t target = 1; target <= 8; target++) {
        assert_int_equal(apistore_compact(f->s, target), 1);
        assert_int_equal(apistore_compacted_revision(f->s), target);
        check_story(f->s, target);
    }
    /* fully compacted: one live row per existing key is all that is left */
    assert_int_equal(count_events(f->s), 2);
    assert_int_equal(apistore_compact(f->s, 8), 0);
    assert_int_equal(apistore_compact(f->s, 9), -ERANGE);
    struct apistore_stats st;
    apistore_get_stats(f->s, &st);
    assert_int_equal(st.compactions, 8);
    assert_int_equal(st.events_deleted, 6);
}

static void test_list_at_paging_and_namespace(void **state)
{
    struct fixture *f = *state;
    write_story(f->s);
    assert_int_equal(create(f->s, HW, "zz", "a", 9, NULL), 0); /* rev 9 */
    static const struct {
        uint64_t rev;
        struct apistore_list_opts o;
        const char *want;
        bool more;
    } cases[] = {
            {7, {.limit = 2}, "ns/a@6=3 ns/b@7=5", true},
            {7, {.after_ns = "ns", .after_name = "b"}, "ns/c@5=1", false},
            {7, {.ns = "ns", .after_ns = "ns", .after_name = "a", .limit = 1}, "ns/b@7=5", true},
            {7, {.ns = "zz"}, "", false},
            {9, {.ns = "zz"}, "zz/a@9=9", false},
            {9, {.after_ns = "ns", .after_name = "b"}, "zz/a@9=9", false},
            {9, {.ns = "ns", .after_ns = "zz", .after_name = "a"}, "", false},
            {3, {.name = "b"}, "ns/b@2=1", false},
            {4, {.name = "b"}, "", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct collector c = COLLECTOR_INIT;
        c.with_v = true;
        bool more = !cases[i].more;
        assert_int_equal(
                apistore_list_at(f->s, HW, cases[i].rev, &cases[i].o, collect_fn, &c, &more), 0);
        if (strcmp(buf_str(&c.out), cases[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, buf_str(&c.out), cases[i].want);
        assert_int_equal(more, cases[i].more);
        buf_free(&c.out);
    }
}

static void test_events_since_order_filters_and_errors(void **state)
{
    struct fixture *f = *state;
    write_story(f->s);
    assert_int_equal(create(f->s, HW, "other", "x", 1, NULL), 0);   /* 9 */
    assert_int_equal(create(f->s, "x/res", "ns", "x", 1, NULL), 0); /* 10 */
    static const struct {
        const char *ns;
        uint64_t since;
        int ret;
        const char *want;
    } cases[] = {
            {NULL, 0, 0,
             "ADDED:ns/a@1 ADDED:ns/b@2 MODIFIED:ns/a@3 DELETED:ns/b@4 ADDED:ns/c@5 "
             "MODIFIED:ns/a@6 ADDED:ns/b@7 DELETED:ns/c@8 ADDED:other/x@9"},
            {NULL, 6, 0, "ADDED:ns/b@7 DELETED:ns/c@8 ADDED:other/x@9"},
            {"ns", 6, 0, "ADDED:ns/b@7 DELETED:ns/c@8"},
            {"other", 0, 0, "ADDED:other/x@9"},
            {"", 0, 0, ""},
            {NULL, 10, 0, ""},
            {NULL, 11, -ERANGE, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct collector c = COLLECTOR_INIT;
        c.with_type = true;
        int r = apistore_events_since(f->s, HW, cases[i].ns, cases[i].since, collect_fn, &c);
        assert_int_equal(r, cases[i].ret);
        if (strcmp(buf_str(&c.out), cases[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, buf_str(&c.out), cases[i].want);
        assert_int_equal(c.bad_bodies, 0);
        buf_free(&c.out);
    }

    /* after compaction, history before the compacted revision is gone */
    assert_int_equal(apistore_compact(f->s, 6), 1);
    struct collector c = COLLECTOR_INIT;
    c.with_type = true;
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 5, collect_fn, &c), -ESTALE);
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 0, collect_fn, &c), -ESTALE);
    assert_int_equal(c.n, 0);
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 6, collect_fn, &c), 0);
    assert_string_equal(buf_str(&c.out), "ADDED:ns/b@7 DELETED:ns/c@8 ADDED:other/x@9");
    buf_free(&c.out);
    assert_int_equal(apistore_events_since(f->s, NULL, NULL, 6, collect_fn, &c), -EINVAL);
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 6, NULL, NULL), -EINVAL);
}

/* A deterministic random history checked against an in-memory model at every
 * revision, before and after compaction to several targets. */
#define MODEL_KEYS 5
#define MODEL_OPS  400

struct model_key {
    const char *ns, *name;
    bool exists;
    uint64_t rev;
    int v;
};

static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void model_render(const struct model_key *k, size_t n, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (!k[i].exists)
            continue;
        if (out->len > 0)
            assert_int_equal(buf_append_str(out, " "), 0);
        assert_int_equal(
                buf_printf(out, "%s/%s@%" PRIu64 "=%d", k[i].ns, k[i].name, k[i].rev, k[i].v), 0);
    }
}

static void test_compact_random_history_matches_model(void **state)
{
    struct fixture *f = *state;
    struct model_key keys[MODEL_KEYS] = {
            {"a", "k0", false, 0, 0}, {"a", "k1", false, 0, 0}, {"a", "k2", false, 0, 0},
            {"b", "k0", false, 0, 0}, {"b", "k1", false, 0, 0},
    };
    char **snap = calloc(MODEL_OPS + 1, sizeof(char *));
    assert_non_null(snap);
    struct buf cur = BUF_INIT(1 << 16);
    model_render(keys, MODEL_KEYS, &cur);
    snap[0] = strdup(buf_str(&cur));
    uint32_t seed = 7;
    for (uint64_t rev = 1; rev <= MODEL_OPS; rev++) {
        struct model_key *k = &keys[lcg(&seed) % MODEL_KEYS];
        int v = (int)(lcg(&seed) % 1000);
        uint32_t dice = lcg(&seed) % 10;
        uint64_t got = 0;
        if (!k->exists) {
            assert_int_equal(create(f->s, HW, k->ns, k->name, v, &got), 0);
            k->exists = true;
        } else if (dice < 6) {
            assert_int_equal(update(f->s, HW, k->ns, k->name, v, dice < 3 ? k->rev : 0, &got), 0);
        } else {
            assert_int_equal(delete_obj(f->s, HW, k->ns, k->name, k->rev, &got), 0);
            k->exists = false;
        }
        assert_int_equal(got, rev);
        k->rev = rev;
        k->v = v;
        model_render(keys, MODEL_KEYS, &cur);
        snap[rev] = strdup(buf_str(&cur));
    }

    static const uint64_t targets[] = {0, 1, 57, 58, 200, 333, 399, MODEL_OPS};
    struct collector c = COLLECTOR_INIT;
    for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
        if (targets[t] > 0)
            assert_true(apistore_compact(f->s, targets[t]) >= 0);
        for (uint64_t rev = 0; rev <= MODEL_OPS; rev++) {
            int r = render_at(f->s, rev, NULL, &c);
            if (rev < targets[t]) {
                assert_int_equal(r, -ESTALE);
                continue;
            }
            assert_int_equal(r, 0);
            if (strcmp(buf_str(&c.out), snap[rev]) != 0)
                fail_msg("target %" PRIu64 " rev %" PRIu64 ": got '%s' want '%s'", targets[t], rev,
                         buf_str(&c.out), snap[rev]);
        }
        /* the newest snapshot is also what list() gives */
        struct collector now = COLLECTOR_INIT;
        now.with_v = true;
        assert_int_equal(apistore_list(f->s, HW, NULL, collect_fn, &now, NULL, NULL), 0);
        assert_string_equal(buf_str(&now.out), snap[MODEL_OPS]);
        buf_free(&now.out);
    }
    /* at most one row per live key is left */
    size_t live = 0;
    for (size_t i = 0; i < MODEL_KEYS; i++)
        live += keys[i].exists;
    assert_int_equal(count_events(f->s), live);
    buf_free(&c.out);
    buf_free(&cur);
    for (size_t i = 0; i <= MODEL_OPS; i++)
        free(snap[i]);
    free(snap);
}

static void test_revision_survives_reopen(void **state)
{
    struct fixture *f = *state;
    write_story(f->s);
    assert_int_equal(apistore_compact(f->s, 5), 1);
    assert_int_equal(create(f->s, HW, "ns", "d", 1, NULL), 0); /* 9 */
    assert_int_equal(fixture_open(f, NULL), 0);
    assert_int_equal(apistore_revision(f->s), 9);
    assert_int_equal(apistore_compacted_revision(f->s), 5);
    check_story(f->s, 5);
    uint64_t rev;
    assert_int_equal(create(f->s, HW, "ns", "e", 1, &rev), 0);
    assert_int_equal(rev, 10);
}

static void test_revision_survives_reopen_after_log_emptied(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    assert_int_equal(create(f->s, "/namespaces", "", "ns", 1, NULL), 0);
    assert_int_equal(delete_obj(f->s, HW, "ns", "a", 0, NULL), 0);
    assert_int_equal(delete_obj(f->s, "/namespaces", "", "ns", 0, NULL), 0);
    assert_int_equal(apistore_compact(f->s, 4), 1);
    assert_int_equal(count_events(f->s), 0);

    assert_int_equal(fixture_open(f, NULL), 0);
    assert_int_equal(count_events(f->s), 0);
    assert_int_equal(apistore_revision(f->s), 4);
    assert_int_equal(apistore_compacted_revision(f->s), 4);
    struct collector c = COLLECTOR_INIT;
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 3, collect_fn, &c), -ESTALE);
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 4, collect_fn, &c), 0);
    assert_int_equal(apistore_list_at(f->s, HW, 4, NULL, collect_fn, &c, NULL), 0);
    assert_int_equal(c.n, 0);
    buf_free(&c.out);
    uint64_t rev;
    assert_int_equal(create(f->s, HW, "ns", "a", 2, &rev), 0);
    assert_int_equal(rev, 5);
    /* and once more, without compaction in between */
    assert_int_equal(fixture_open(f, NULL), 0);
    assert_int_equal(apistore_revision(f->s), 5);
}

struct fake_clock {
    int64_t now;
};

static int64_t fake_clock_fn(void *userdata)
{
    return ((struct fake_clock *)userdata)->now;
}

static void test_maintain_respects_retain_min_and_window(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fixture_open(f, &(struct apistore_opts){.retain_min = 3, .window_sec = 100}),
                     0);
    struct fake_clock clk = {.now = 1000};
    apistore_set_clock(f->s, fake_clock_fn, &clk);
    assert_int_equal(apistore_maintain(f->s, 99999), 0); /* empty store */
    assert_int_equal(update(f->s, HW, "ns", "a", 0, 0, NULL), -ENOENT);
    assert_int_equal(create(f->s, HW, "ns", "a", 0, NULL), 0);
    for (int i = 0; i < 9; i++)
        assert_int_equal(update(f->s, HW, "ns", "a", i, 0, NULL), 0);
    /* revs 1..10 at t=1000, revs 11..15 at t=1200 */
    clk.now = 1200;
    for (int i = 0; i < 5; i++)
        assert_int_equal(update(f->s, HW, "ns", "a", i, 0, NULL), 0);
    assert_int_equal(apistore_revision(f->s), 15);

    static const struct {
        int64_t now;
        int ret;
        uint64_t compacted;
    } steps[] = {
            {1050, 0, 0},  /* everything inside the window */
            {1250, 1, 10}, /* revs up to 10 are older than the window */
            {1250, 0, 10}, /* nothing more until time passes */
            {5000, 1, 12}, /* the window is past, retain_min keeps 13..15 */
            {5000, 0, 12},
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        int r = apistore_maintain(f->s, steps[i].now);
        if (r != steps[i].ret)
            fail_msg("step %zu: got %d want %d", i, r, steps[i].ret);
        assert_int_equal(apistore_compacted_revision(f->s), steps[i].compacted);
    }
    assert_int_equal(count_events(f->s), 4); /* newest row <= 12, then 13..15 */
    struct collector c = COLLECTOR_INIT;
    c.with_v = true;
    assert_int_equal(apistore_list_at(f->s, HW, 12, NULL, collect_fn, &c, NULL), 0);
    assert_string_equal(buf_str(&c.out), "ns/a@12=1");
    buf_free(&c.out);
}

static void test_maintain_does_bounded_batches(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fixture_open(f, &(struct apistore_opts){.retain_min = 1}), 0);
    struct fake_clock clk = {.now = 0};
    apistore_set_clock(f->s, fake_clock_fn, &clk);
    static const char *const names[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        assert_int_equal(create(f->s, HW, "ns", names[i], 0, NULL), 0);
    for (int i = 4; i < 2500; i++)
        assert_int_equal(update(f->s, HW, "ns", names[i % 4], i, 0, NULL), 0);

    static const uint64_t want[] = {1000, 2000, 2499};
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(apistore_maintain(f->s, 100000), 1);
        assert_int_equal(apistore_compacted_revision(f->s), want[i]);
    }
    assert_int_equal(apistore_maintain(f->s, 100000), 0);
    struct apistore_stats st;
    apistore_get_stats(f->s, &st);
    assert_int_equal(st.compactions, 3);
    assert_int_equal(st.events_deleted, 2500 - 5); /* 3 keys at <= 2499 plus rev 2500 */
    assert_int_equal(count_events(f->s), 5);
    assert_true(st.db_bytes > 0);
    assert_int_equal(st.writes, 2500);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            T(test_list_at_reconstructs_past_states),
            T(test_list_at_survives_every_compaction_target),
            T(test_list_at_paging_and_namespace),
            T(test_events_since_order_filters_and_errors),
            T(test_compact_random_history_matches_model),
            T(test_revision_survives_reopen),
            T(test_revision_survives_reopen_after_log_emptied),
            T(test_maintain_respects_retain_min_and_window),
            T(test_maintain_does_bounded_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
