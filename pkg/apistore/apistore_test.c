/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore unit tests: open, writes with every error code, get, list paging,
 * subscribers.
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

/* ---- open ---- */

static void test_open_rejects_bad_opts(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        bool null_opts;
        struct apistore_opts o;
    } cases[] = {
            {"NULL opts", true, {0}},
            {"NULL path", false, {.path = NULL}},
            {"empty path", false, {.path = ""}},
            {"negative window", false, {.path = ":memory:", .window_sec = -1}},
            {"busy timeout too large", false, {.path = ":memory:", .busy_timeout_ms = UINT32_MAX}},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct apistore *s = (struct apistore *)0x1;
        int r = apistore_open(&s, cases[i].null_opts ? NULL : &cases[i].o);
        if (r != -EINVAL)
            fail_msg("%s: got %d", cases[i].what, r);
        assert_ptr_equal(s, (struct apistore *)0x1); /* ret untouched on failure */
    }
    assert_int_equal(apistore_open(NULL, &(struct apistore_opts){.path = ":memory:"}), -EINVAL);
}

static void test_open_sets_pragmas(void **state)
{
    struct fixture *f = *state;
    static const struct {
        bool sync_full;
        int want_sync;
    } cases[] = {{false, 1}, {true, 2}};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(fixture_open(f, &(struct apistore_opts){.sync_full = cases[i].sync_full}),
                         0);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(f->s->db, "PRAGMA synchronous", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), cases[i].want_sync);
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_prepare_v2(f->s->db, "PRAGMA journal_mode", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
    }
}

static void test_open_rejects_newer_schema(void **state)
{
    struct fixture *f = *state;
    f->s = apistore_free(f->s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(fixture_open(f, NULL), -ENOTSUP);
    assert_null(f->s);
}

static void test_open_rejects_non_database(void **state)
{
    struct fixture *f = *state;
    f->s = apistore_free(f->s);
    fixture_remove_files(f);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 512; i++)
        fputs("this is not a database file ", fp);
    fclose(fp);
    assert_int_equal(fixture_open(f, NULL), -EBADMSG);
}

static void test_open_missing_directory_enoent(void **state)
{
    (void)state;
    struct apistore *s = NULL;
    assert_int_equal(
            apistore_open(&s, &(struct apistore_opts){.path = "/nonexistent-dir-apistore/x.db"}),
            -ENOENT);
    assert_null(s);
}

static void test_open_second_opener_busy(void **state)
{
    struct fixture *f = *state;
    struct apistore *other = NULL;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    assert_int_equal(
            apistore_open(&other, &(struct apistore_opts){.path = f->path, .busy_timeout_ms = 1}),
            -EBUSY);
    assert_null(other);
}

/* ---- writes ---- */

static void test_write_create_stamps_rv_and_get_returns_it(void **state)
{
    struct fixture *f = *state;
    json_t *o = make_obj("default", "m1", "{\"b\":\"2\",\"a\":\"1\"}", 7);
    uint64_t rev = 0;
    assert_int_equal(apistore_write(f->s,
                                    &(struct apistore_write){.op = APISTORE_CREATE,
                                                             .res = HW,
                                                             .ns = "default",
                                                             .name = "m1",
                                                             .obj = o},
                                    &rev),
                     0);
    assert_int_equal(rev, 1);
    assert_int_equal(apistore_revision(f->s), 1);
    assert_string_equal(obj_rv(o), "1"); /* the caller sees the new RV */
    json_decref(o);

    char *body = NULL;
    uint64_t got = 0;
    assert_int_equal(apistore_get(f->s, HW, "default", "m1", &body, &got), 0);
    assert_int_equal(got, 1);
    json_t *j = json_loads(body, 0, NULL);
    assert_string_equal(obj_rv(j), "1");
    assert_int_equal(body_spec_v(body), 7);
    json_decref(j);
    free(body);

    /* labels column: compact, sorted */
    struct collector c = COLLECTOR_INIT;
    assert_int_equal(apistore_list(f->s, HW, NULL, collect_fn, &c, NULL, NULL), 0);
    assert_string_equal(buf_str(&c.out), "default/m1@1");
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f->s->db, "SELECT labels FROM objects", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "{\"a\":\"1\",\"b\":\"2\"}");
    sqlite3_finalize(st);
    buf_free(&c.out);

    /* both outputs optional */
    assert_int_equal(apistore_get(f->s, HW, "default", "m1", NULL, NULL), 0);
}

static void test_write_create_existing_eexist(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    json_t *o = make_obj("ns", "a", NULL, 2);
    json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string("old"));
    uint64_t rev = 77;
    assert_int_equal(
            apistore_write(
                    f->s,
                    &(struct apistore_write){
                            .op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "a", .obj = o},
                    &rev),
            -EEXIST);
    assert_int_equal(rev, 77);             /* ret untouched */
    assert_string_equal(obj_rv(o), "old"); /* caller's object as it was */
    assert_int_equal(apistore_revision(f->s), 1);
    json_decref(o);
    /* same name elsewhere is a different key */
    assert_int_equal(create(f->s, HW, "other", "a", 1, NULL), 0);
    assert_int_equal(create(f->s, "x/other", "ns", "a", 1, NULL), 0);
    assert_int_equal(apistore_revision(f->s), 3);
}

static void test_write_update_checks_expected_rev(void **state)
{
    struct fixture *f = *state;
    uint64_t rev;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, &rev), 0);
    assert_int_equal(update(f->s, HW, "ns", "a", 2, rev, &rev), 0);
    assert_int_equal(rev, 2);

    /* stale precondition: 409 */
    json_t *o = make_obj("ns", "a", NULL, 3);
    assert_int_equal(apistore_write(f->s,
                                    &(struct apistore_write){.op = APISTORE_UPDATE,
                                                             .res = HW,
                                                             .ns = "ns",
                                                             .name = "a",
                                                             .expected_rev = 1,
                                                             .obj = o},
                                    NULL),
                     -ECANCELED);
    assert_string_equal(obj_rv(o), "");
    json_decref(o);
    struct apistore_stats st;
    apistore_get_stats(f->s, &st);
    assert_int_equal(st.conflicts, 1);
    assert_int_equal(st.writes, 2);

    /* unconditional */
    assert_int_equal(update(f->s, HW, "ns", "a", 4, 0, &rev), 0);
    assert_int_equal(rev, 3);
    char *body;
    assert_int_equal(apistore_get(f->s, HW, "ns", "a", &body, &rev), 0);
    assert_int_equal(rev, 3);
    assert_int_equal(body_spec_v(body), 4);
    free(body);
}

static void test_write_missing_object_enoent(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(update(f->s, HW, "ns", "nope", 1, 0, NULL), -ENOENT);
    assert_int_equal(update(f->s, HW, "ns", "nope", 1, 5, NULL), -ENOENT);
    assert_int_equal(delete_obj(f->s, HW, "ns", "nope", 0, NULL), -ENOENT);
    assert_int_equal(delete_obj(f->s, HW, "ns", "nope", 3, NULL), -ENOENT);
    assert_int_equal(apistore_get(f->s, HW, "ns", "nope", NULL, NULL), -ENOENT);
    assert_int_equal(apistore_revision(f->s), 0);
}

static void test_write_delete_checks_expected_rev(void **state)
{
    struct fixture *f = *state;
    uint64_t rev;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, &rev), 0);
    assert_int_equal(delete_obj(f->s, HW, "ns", "a", rev + 1, NULL), -ECANCELED);
    assert_int_equal(apistore_get(f->s, HW, "ns", "a", NULL, NULL), 0);
    assert_int_equal(delete_obj(f->s, HW, "ns", "a", rev, &rev), 0);
    assert_int_equal(rev, 2);
    assert_int_equal(apistore_get(f->s, HW, "ns", "a", NULL, NULL), -ENOENT);
    /* recreate after delete starts a new life */
    assert_int_equal(create(f->s, HW, "ns", "a", 9, &rev), 0);
    assert_int_equal(rev, 3);
}

static void test_write_delete_records_last_state(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    assert_int_equal(create(f->s, HW, "ns", "b", 1, NULL), 0);
    /* stored body, stamped with the deletion revision */
    assert_int_equal(delete_obj(f->s, HW, "ns", "a", 0, NULL), 0);
    /* caller-provided final state */
    json_t *fin = make_obj("ns", "b", NULL, 42);
    assert_int_equal(
            apistore_write(
                    f->s,
                    &(struct apistore_write){
                            .op = APISTORE_DELETE, .res = HW, .ns = "ns", .name = "b", .obj = fin},
                    NULL),
            0);
    assert_string_equal(obj_rv(fin), "4");
    json_decref(fin);

    struct collector c = COLLECTOR_INIT;
    c.with_type = true;
    c.with_v = true;
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 2, collect_fn, &c), 0);
    assert_string_equal(buf_str(&c.out), "DELETED:ns/a@3=1 DELETED:ns/b@4=42");
    assert_int_equal(c.bad_bodies, 0);
    buf_free(&c.out);

    /* a stored body with a "\u0000" escape is re-read for the tombstone */
    json_t *nul = json_loads("{\"metadata\":{\"name\":\"n\"},\"data\":\"x\\u0000y\"}",
                             JSON_ALLOW_NUL, NULL);
    assert_non_null(nul);
    assert_int_equal(
            apistore_write(
                    f->s,
                    &(struct apistore_write){
                            .op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "n", .obj = nul},
                    NULL),
            0);
    json_decref(nul);
    assert_int_equal(delete_obj(f->s, HW, "ns", "n", 0, NULL), 0);
}

static void test_write_rejects_invalid(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *what;
        enum apistore_op op;
        const char *res, *ns, *name;
        uint64_t expected;
        const char *obj; /* JSON text or NULL */
    } cases[] = {
            {"op out of range", _APISTORE_OP_MAX, HW, "ns", "a", 0, "{\"metadata\":{}}"},
            {"NULL res", APISTORE_CREATE, NULL, "ns", "a", 0, "{\"metadata\":{}}"},
            {"empty res", APISTORE_CREATE, "", "ns", "a", 0, "{\"metadata\":{}}"},
            {"NULL ns", APISTORE_CREATE, HW, NULL, "a", 0, "{\"metadata\":{}}"},
            {"NULL name", APISTORE_CREATE, HW, "ns", NULL, 0, "{\"metadata\":{}}"},
            {"empty name", APISTORE_CREATE, HW, "ns", "", 0, "{\"metadata\":{}}"},
            {"create with expected rev", APISTORE_CREATE, HW, "ns", "a", 1, "{\"metadata\":{}}"},
            {"create without object", APISTORE_CREATE, HW, "ns", "a", 0, NULL},
            {"update without object", APISTORE_UPDATE, HW, "ns", "a", 0, NULL},
            {"object is an array", APISTORE_CREATE, HW, "ns", "a", 0, "[1]"},
            {"no metadata", APISTORE_CREATE, HW, "ns", "a", 0, "{\"spec\":{}}"},
            {"metadata not object", APISTORE_CREATE, HW, "ns", "a", 0, "{\"metadata\":7}"},
            {"name mismatch", APISTORE_CREATE, HW, "ns", "a", 0, "{\"metadata\":{\"name\":\"b\"}}"},
            {"name prefix", APISTORE_CREATE, HW, "ns", "a", 0, "{\"metadata\":{\"name\":\"ab\"}}"},
            {"name not string", APISTORE_CREATE, HW, "ns", "a", 0, "{\"metadata\":{\"name\":1}}"},
            {"name with NUL", APISTORE_CREATE, HW, "ns", "a", 0,
             "{\"metadata\":{\"name\":\"a\\u0000b\"}}"},
            {"namespace mismatch", APISTORE_CREATE, HW, "ns", "a", 0,
             "{\"metadata\":{\"namespace\":\"other\"}}"},
            {"namespace on cluster object", APISTORE_CREATE, HW, "", "a", 0,
             "{\"metadata\":{\"namespace\":\"ns\"}}"},
            {"labels not object", APISTORE_UPDATE, HW, "ns", "a", 0,
             "{\"metadata\":{\"labels\":[]}}"},
            {"label value not string", APISTORE_UPDATE, HW, "ns", "a", 0,
             "{\"metadata\":{\"labels\":{\"k\":1}}}"},
            {"delete object without metadata", APISTORE_DELETE, HW, "ns", "a", 0, "{}"},
    };
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *o = cases[i].obj ? json_loads(cases[i].obj, JSON_ALLOW_NUL, NULL) : NULL;
        if (cases[i].obj)
            assert_non_null(o);
        uint64_t rev = 99;
        int r = apistore_write(f->s,
                               &(struct apistore_write){.op = cases[i].op,
                                                        .res = cases[i].res,
                                                        .ns = cases[i].ns,
                                                        .name = cases[i].name,
                                                        .expected_rev = cases[i].expected,
                                                        .obj = o},
                               &rev);
        if (r != -EINVAL)
            fail_msg("%s: got %d", cases[i].what, r);
        assert_int_equal(rev, 99);
        json_decref(o);
    }
    assert_int_equal(apistore_write(f->s, NULL, NULL), -EINVAL);
    assert_int_equal(apistore_write_batch(f->s, NULL, 1), -EINVAL);
    assert_int_equal(apistore_revision(f->s), 1);
}

static void test_write_rejects_oversized_keys(void **state)
{
    struct fixture *f = *state;
    char long_name[APISTORE_NAME_MAX + 2], long_ns[APISTORE_NS_MAX + 2],
            long_res[APISTORE_RES_MAX + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    memset(long_ns, 's', sizeof(long_ns) - 1);
    long_ns[sizeof(long_ns) - 1] = 0;
    memset(long_res, 'r', sizeof(long_res) - 1);
    long_res[sizeof(long_res) - 1] = 0;
    assert_int_equal(create(f->s, HW, "ns", long_name, 1, NULL), -EINVAL);
    assert_int_equal(create(f->s, HW, long_ns, "a", 1, NULL), -EINVAL);
    assert_int_equal(create(f->s, long_res, "ns", "a", 1, NULL), -EINVAL);
    /* exactly at the limit is fine */
    long_name[APISTORE_NAME_MAX] = 0;
    assert_int_equal(create(f->s, HW, "ns", long_name, 1, NULL), 0);
    assert_int_equal(apistore_get(f->s, HW, long_ns, "a", NULL, NULL), -EINVAL);
}

static void test_write_oversized_object_e2big(void **state)
{
    struct fixture *f = *state;
    size_t big = APISTORE_OBJECT_MAX + 1;
    char *filler = malloc(big + 1);
    assert_non_null(filler);
    memset(filler, 'x', big);
    filler[big] = 0;
    json_t *o = make_obj("ns", "a", NULL, 1);
    json_object_set_new(o, "data", json_string(filler));
    free(filler);
    assert_int_equal(
            apistore_write(
                    f->s,
                    &(struct apistore_write){
                            .op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "a", .obj = o},
                    NULL),
            -E2BIG);
    assert_string_equal(obj_rv(o), "");
    json_decref(o);
    assert_int_equal(apistore_revision(f->s), 0);
    assert_int_equal(apistore_get(f->s, HW, "ns", "a", NULL, NULL), -ENOENT);
}

/* A SQL function that fails like an I/O error, fired by a trigger. */
static void inject_io(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_error_code(ctx, SQLITE_IOERR);
}

static void install_failure_trigger(struct apistore *s)
{
    assert_int_equal(sqlite3_create_function(s->db, "inject_io", 0, SQLITE_UTF8, NULL, inject_io,
                                             NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(s->db,
                                  "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.events"
                                  " WHEN NEW.name = 'boom' BEGIN SELECT inject_io(); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

static void test_write_sqlite_failure_eio_writes_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    install_failure_trigger(f->s);

    assert_int_equal(create(f->s, HW, "ns", "boom", 1, NULL), -EIO);
    assert_int_equal(apistore_get(f->s, HW, "ns", "boom", NULL, NULL), -ENOENT);
    assert_int_equal(apistore_revision(f->s), 1);

    /* a batch whose second write fails leaves the first unwritten too */
    json_t *o1 = make_obj("ns", "a", NULL, 2), *o2 = make_obj("ns", "boom", NULL, 1);
    struct apistore_write w[] = {
            {.op = APISTORE_UPDATE, .res = HW, .ns = "ns", .name = "a", .obj = o1},
            {.op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "boom", .obj = o2},
    };
    assert_int_equal(apistore_write_batch(f->s, w, ARRAY_SIZE(w)), -EIO);
    assert_string_equal(obj_rv(o1), "");
    assert_string_equal(obj_rv(o2), "");
    json_decref(o1);
    json_decref(o2);
    char *body;
    uint64_t rev;
    assert_int_equal(apistore_get(f->s, HW, "ns", "a", &body, &rev), 0);
    assert_int_equal(rev, 1);
    assert_int_equal(body_spec_v(body), 1);
    free(body);

    /* the store carries on: the next write gets the next revision */
    assert_int_equal(create(f->s, HW, "ns", "b", 1, &rev), 0);
    assert_int_equal(rev, 2);
    struct collector c = COLLECTOR_INIT;
    c.with_type = true;
    assert_int_equal(apistore_events_since(f->s, HW, NULL, 0, collect_fn, &c), 0);
    assert_string_equal(buf_str(&c.out), "ADDED:ns/a@1 ADDED:ns/b@2");
    buf_free(&c.out);
}

static void test_write_batch_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    json_t *a = make_obj("ns", "a", NULL, 1), *b = make_obj("ns", "b", NULL, 1),
           *a2 = make_obj("ns", "a", NULL, 2);
    struct apistore_write ok[] = {
            {.op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "a", .obj = a},
            {.op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "b", .obj = b},
            {.op = APISTORE_UPDATE,
             .res = HW,
             .ns = "ns",
             .name = "a",
             .expected_rev = 1,
             .obj = a2},
    };
    assert_int_equal(apistore_write_batch(f->s, ok, ARRAY_SIZE(ok)), 0);
    assert_int_equal(apistore_revision(f->s), 3);
    assert_string_equal(obj_rv(a), "1");
    assert_string_equal(obj_rv(b), "2");
    assert_string_equal(obj_rv(a2), "3");
    assert_int_equal(apistore_write_batch(f->s, ok, 0), 0);

    static const struct {
        const char *what;
        enum apistore_op op2;
        const char *name2;
        uint64_t expected2;
        int want;
    } cases[] = {
            {"second create collides", APISTORE_CREATE, "b", 0, -EEXIST},
            {"second update stale", APISTORE_UPDATE, "b", 1, -ECANCELED},
            {"second update missing", APISTORE_UPDATE, "zz", 0, -ENOENT},
            {"second delete missing", APISTORE_DELETE, "zz", 0, -ENOENT},
            {"second invalid", APISTORE_CREATE, "", 0, -EINVAL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *c = make_obj("ns", "c", NULL, 1);
        json_t *x =
                cases[i].op2 == APISTORE_DELETE ? NULL : make_obj("ns", cases[i].name2, NULL, 5);
        struct apistore_write w[] = {
                {.op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "c", .obj = c},
                {.op = cases[i].op2,
                 .res = HW,
                 .ns = "ns",
                 .name = cases[i].name2,
                 .expected_rev = cases[i].expected2,
                 .obj = x},
        };
        int r = apistore_write_batch(f->s, w, ARRAY_SIZE(w));
        if (r != cases[i].want)
            fail_msg("%s: got %d want %d", cases[i].what, r, cases[i].want);
        assert_string_equal(obj_rv(c), "");
        assert_int_equal(apistore_get(f->s, HW, "ns", "c", NULL, NULL), -ENOENT);
        assert_int_equal(apistore_revision(f->s), 3);
        json_decref(c);
        json_decref(x);
    }
    json_decref(a);
    json_decref(b);
    json_decref(a2);
}

/* ---- list ---- */

static void populate_for_list(struct apistore *s)
{
    static const struct {
        const char *ns, *name;
    } objs[] = {
            {"b", "y"}, {"a", "x"}, {"", "c1"}, {"a", "z"}, {"b", "a"}, {"c", "x"}, {"a", "y"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
        assert_int_equal(create(s, HW, objs[i].ns, objs[i].name, (int)i, NULL), 0);
    assert_int_equal(create(s, "other/res", "a", "x", 0, NULL), 0);
}

static void test_list_orders_and_filters(void **state)
{
    struct fixture *f = *state;
    populate_for_list(f->s);
    static const struct {
        const char *what;
        struct apistore_list_opts o;
        const char *want;
        bool more;
    } cases[] = {
            {"all", {0}, "/c1@3 a/x@2 a/y@7 a/z@4 b/a@5 b/y@1 c/x@6", false},
            {"ns a", {.ns = "a"}, "a/x@2 a/y@7 a/z@4", false},
            {"cluster ns", {.ns = ""}, "/c1@3", false},
            {"empty ns", {.ns = "nope"}, "", false},
            {"name filter all ns", {.name = "x"}, "a/x@2 c/x@6", false},
            {"name filter in ns", {.ns = "b", .name = "y"}, "b/y@1", false},
            {"limit", {.limit = 2}, "/c1@3 a/x@2", true},
            {"limit exact", {.ns = "a", .limit = 3}, "a/x@2 a/y@7 a/z@4", false},
            {"after key", {.after_ns = "a", .after_name = "y"}, "a/z@4 b/a@5 b/y@1 c/x@6", false},
            {"after key between",
             {.after_ns = "a", .after_name = "yy"},
             "a/z@4 b/a@5 b/y@1 c/x@6",
             false},
            {"after key NULL ns",
             {.after_name = "c1"},
             "a/x@2 a/y@7 a/z@4 b/a@5 b/y@1 c/x@6",
             false},
            {"after key in ns",
             {.ns = "a", .after_ns = "a", .after_name = "x"},
             "a/y@7 a/z@4",
             false},
            {"after key earlier ns",
             {.ns = "b", .after_ns = "a", .after_name = "z"},
             "b/a@5 b/y@1",
             false},
            {"after key later ns", {.ns = "a", .after_ns = "b", .after_name = "a"}, "", false},
            {"after last", {.after_ns = "c", .after_name = "x"}, "", false},
            {"after key + limit",
             {.after_ns = "a", .after_name = "x", .limit = 2},
             "a/y@7 a/z@4",
             true},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct collector c = COLLECTOR_INIT;
        uint64_t rev = 0;
        bool more = !cases[i].more;
        assert_int_equal(apistore_list(f->s, HW, &cases[i].o, collect_fn, &c, &rev, &more), 0);
        if (strcmp(buf_str(&c.out), cases[i].want) != 0)
            fail_msg("%s: got '%s' want '%s'", cases[i].what, buf_str(&c.out), cases[i].want);
        assert_int_equal(more, cases[i].more);
        assert_int_equal(rev, 8);
        assert_int_equal(c.bad_bodies, 0);
        buf_free(&c.out);
    }
}

/* Paging with after-key tokens yields exactly the unpaged listing. */
static void test_list_paging_concatenates(void **state)
{
    struct fixture *f = *state;
    populate_for_list(f->s);
    struct collector full = COLLECTOR_INIT;
    assert_int_equal(apistore_list(f->s, HW, NULL, collect_fn, &full, NULL, NULL), 0);
    for (size_t limit = 1; limit <= 8; limit++) {
        struct collector pages = COLLECTOR_INIT;
        char after_ns[64] = "", after_name[64] = "";
        bool first = true, more = true;
        size_t calls = 0;
        while (more) {
            struct apistore_list_opts o = {.limit = limit};
            if (!first) {
                o.after_ns = after_ns;
                o.after_name = after_name;
            }
            size_t before = pages.n;
            assert_int_equal(apistore_list(f->s, HW, &o, collect_fn, &pages, NULL, &more), 0);
            assert_true(pages.n - before <= limit);
            /* the last key seen is the next token */
            const char *last = strrchr(buf_str(&pages.out), ' ');
            last = last ? last + 1 : buf_str(&pages.out);
            const char *slash = strchr(last, '/'), *at = strchr(last, '@');
            if (slash && at) {
                snprintf(after_ns, sizeof(after_ns), "%.*s", (int)(slash - last), last);
                snprintf(after_name, sizeof(after_name), "%.*s", (int)(at - slash - 1), slash + 1);
            }
            first = false;
            assert_true(++calls <= 10);
        }
        assert_string_equal(buf_str(&pages.out), buf_str(&full.out));
        buf_free(&pages.out);
    }
    buf_free(&full.out);
}

static int reenter_fn(const struct apistore_row *row, void *userdata)
{
    struct apistore *s = *(struct apistore **)userdata;
    (void)row;
    int r = apistore_get(s, HW, "a", "x", NULL, NULL);
    return r == -EBUSY ? 0 : -EPROTO;
}

static void test_list_callback_stops_and_cannot_reenter(void **state)
{
    struct fixture *f = *state;
    populate_for_list(f->s);
    struct collector c = COLLECTOR_INIT;
    c.stop_after = 2;
    uint64_t rev = 123;
    bool more = true;
    assert_int_equal(apistore_list(f->s, HW, NULL, collect_fn, &c, &rev, &more), -ECANCELED);
    assert_int_equal(c.n, 2);
    assert_int_equal(rev, 123);
    assert_true(more);
    buf_free(&c.out);

    assert_int_equal(apistore_list(f->s, HW, NULL, reenter_fn, &f->s, NULL, NULL), 0);
    /* the store is usable again afterwards */
    assert_int_equal(apistore_get(f->s, HW, "a", "x", NULL, NULL), 0);
}

static void test_list_rejects_invalid(void **state)
{
    struct fixture *f = *state;
    char long_ns[APISTORE_NS_MAX + 2];
    memset(long_ns, 's', sizeof(long_ns) - 1);
    long_ns[sizeof(long_ns) - 1] = 0;
    struct collector c = COLLECTOR_INIT;
    assert_int_equal(apistore_list(f->s, NULL, NULL, collect_fn, &c, NULL, NULL), -EINVAL);
    assert_int_equal(apistore_list(f->s, "", NULL, collect_fn, &c, NULL, NULL), -EINVAL);
    assert_int_equal(apistore_list(f->s, HW, NULL, NULL, &c, NULL, NULL), -EINVAL);
    assert_int_equal(apistore_list(f->s, HW, &(struct apistore_list_opts){.name = ""}, collect_fn,
                                   &c, NULL, NULL),
                     -EINVAL);
    assert_int_equal(apistore_list(f->s, HW, &(struct apistore_list_opts){.ns = long_ns},
                                   collect_fn, &c, NULL, NULL),
                     -EINVAL);
    assert_int_equal(
            apistore_list(f->s, HW,
                          &(struct apistore_list_opts){.after_ns = long_ns, .after_name = "a"},
                          collect_fn, &c, NULL, NULL),
            -EINVAL);
    assert_int_equal(apistore_get(f->s, HW, "ns", "", NULL, NULL), -EINVAL);
    assert_int_equal(apistore_get(f->s, HW, NULL, "a", NULL, NULL), -EINVAL);
    assert_int_equal(c.n, 0);
}

static int collect_res(const char *res, void *userdata)
{
    return buf_printf(userdata, "%s;", res);
}

static void test_list_resources_distinct(void **state)
{
    struct fixture *f = *state;
    populate_for_list(f->s);
    assert_int_equal(create(f->s, "/namespaces", "", "default", 1, NULL), 0);
    _cleanup_buf_ struct buf b = BUF_INIT(4096);
    assert_int_equal(apistore_list_resources(f->s, collect_res, &b), 0);
    assert_string_equal(buf_str(&b), "/namespaces;other/res;tinkerbell.org/hardware;");
    assert_int_equal(apistore_list_resources(f->s, NULL, &b), -EINVAL);
}

/* ---- subscribers ---- */

struct sub_state {
    struct collector c;
    struct apistore *s;
    int reentry; /* what a write from inside the callback returned */
};

static int sub_fn(const struct apistore_row *row, void *userdata)
{
    struct sub_state *st = userdata;
    (void)collect_fn(row, &st->c);
    st->reentry = create(st->s, HW, "ns", "from-callback", 1, NULL);
    assert_true(apistore_revision(st->s) >= row->rev);
    return -EIO; /* ignored: the write has committed */
}

static void test_subscriber_sees_events_in_order(void **state)
{
    struct fixture *f = *state;
    struct sub_state one = {.c = COLLECTOR_INIT, .s = f->s}, two = {.c = COLLECTOR_INIT, .s = f->s};
    one.c.with_type = two.c.with_type = true;
    assert_int_equal(apistore_subscribe(f->s, sub_fn, &one), 0);
    assert_int_equal(apistore_subscribe(f->s, sub_fn, &two), 0);

    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), 0);
    json_t *b = make_obj("ns", "b", NULL, 1), *a = make_obj("ns", "a", NULL, 2);
    struct apistore_write w[] = {
            {.op = APISTORE_CREATE, .res = HW, .ns = "ns", .name = "b", .obj = b},
            {.op = APISTORE_UPDATE, .res = HW, .ns = "ns", .name = "a", .obj = a},
    };
    assert_int_equal(apistore_write_batch(f->s, w, ARRAY_SIZE(w)), 0);
    json_decref(a);
    json_decref(b);
    assert_int_equal(create(f->s, HW, "ns", "a", 1, NULL), -EEXIST); /* no event */
    assert_int_equal(delete_obj(f->s, HW, "ns", "b", 0, NULL), 0);

    const char *want = "ADDED:ns/a@1 ADDED:ns/b@2 MODIFIED:ns/a@3 DELETED:ns/b@4";
    assert_string_equal(buf_str(&one.c.out), want);
    assert_string_equal(buf_str(&two.c.out), want);
    assert_int_equal(one.c.bad_bodies, 0);
    assert_int_equal(one.reentry, -EBUSY);
    assert_int_equal(apistore_get(f->s, HW, "ns", "from-callback", NULL, NULL), -ENOENT);

    assert_int_equal(apistore_unsubscribe(f->s, sub_fn, &one), 0);
    assert_int_equal(apistore_unsubscribe(f->s, sub_fn, &one), -ENOENT);
    assert_int_equal(create(f->s, HW, "ns", "c", 1, NULL), 0);
    assert_int_equal(one.c.n, 4);
    assert_int_equal(two.c.n, 5);
    assert_int_equal(apistore_subscribe(f->s, NULL, NULL), -EINVAL);
    buf_free(&one.c.out);
    buf_free(&two.c.out);
}

static void test_event_type_strings(void **state)
{
    (void)state;
    static const struct {
        enum apistore_event_type t;
        const char *s;
    } cases[] = {
            {APISTORE_ADDED, "ADDED"},
            {APISTORE_MODIFIED, "MODIFIED"},
            {APISTORE_DELETED, "DELETED"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_string_equal(apistore_event_type_to_string(cases[i].t), cases[i].s);
        enum apistore_event_type t;
        assert_int_equal(apistore_event_type_from_string(cases[i].s, &t), 0);
        assert_int_equal(t, cases[i].t);
    }
    assert_null(apistore_event_type_to_string(_APISTORE_EVENT_TYPE_MAX));
    enum apistore_event_type t;
    assert_int_equal(apistore_event_type_from_string("BOOKMARK", &t), -EBADMSG);
    assert_int_equal(apistore_event_type_from_string(NULL, &t), -EBADMSG);
}

static void test_free_null_safe(void **state)
{
    (void)state;
    assert_null(apistore_free(NULL));
    assert_int_equal(apistore_revision(NULL), 0);
    struct apistore_stats st = {.writes = 5};
    apistore_get_stats(NULL, &st);
    assert_int_equal(st.writes, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_open_rejects_bad_opts),
            T(test_open_sets_pragmas),
            T(test_open_rejects_newer_schema),
            T(test_open_rejects_non_database),
            cmocka_unit_test(test_open_missing_directory_enoent),
            T(test_open_second_opener_busy),
            T(test_write_create_stamps_rv_and_get_returns_it),
            T(test_write_create_existing_eexist),
            T(test_write_update_checks_expected_rev),
            T(test_write_missing_object_enoent),
            T(test_write_delete_checks_expected_rev),
            T(test_write_delete_records_last_state),
            T(test_write_rejects_invalid),
            T(test_write_rejects_oversized_keys),
            T(test_write_oversized_object_e2big),
            T(test_write_sqlite_failure_eio_writes_nothing),
            T(test_write_batch_all_or_nothing),
            T(test_list_orders_and_filters),
            T(test_list_paging_concatenates),
            T(test_list_callback_stops_and_cannot_reenter),
            T(test_list_rejects_invalid),
            T(test_list_resources_distinct),
            T(test_subscriber_sees_events_in_order),
            cmocka_unit_test(test_event_type_strings),
            cmocka_unit_test(test_free_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
