/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Background checkpoints: the helper thread, not the committing thread,
 * checkpoints the WAL, the WAL starts over afterwards, one process keeps the
 * file, and in-memory stores run without a helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "apistore/apistore-testutil.h"

#define HW "tinkerbell.org/hardware"

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f || fixture_init(f) < 0)
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

/* Frames in the WAL, read with a PASSIVE checkpoint on the store's connection. */
static int wal_frames(struct apistore *s)
{
    int log = -1, done = -1;
    assert_int_equal(sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done),
                     SQLITE_OK);
    return log;
}

static void test_ckpt_checkpoints_off_the_writer(void **state)
{
    static const struct {
        const char *name;
        bool sync_full;
        int writes;
    } cases[] = {
            {"synchronous=NORMAL", false, 2500},
            {"synchronous=FULL", true, 1200},
    };
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture_remove_files(f);
        assert_int_equal(fixture_open(f, &(struct apistore_opts){.sync_full = cases[i].sync_full}),
                         0);
        uint64_t runs = 99;
        assert_int_equal(apistore_ckpt_wait(f->s, &runs), 0);
        assert_int_equal(runs, 0);
        /* Each write appends four or five pages: these writes pass the
         * threshold, and without checkpoints the WAL would hold them all. */
        char name[32];
        for (int k = 0; k < cases[i].writes; k++) {
            snprintf(name, sizeof(name), "hw-%05d", k);
            assert_int_equal(create(f->s, HW, "ns", name, k, NULL), 0);
        }
        assert_int_equal(apistore_ckpt_wait(f->s, &runs), 0);
        if (runs == 0)
            fail_msg("%s: the helper never checkpointed", cases[i].name);
        /* The next write starts the WAL over: it holds only that write. */
        assert_int_equal(create(f->s, HW, "ns", "after", 1, NULL), 0);
        int frames = wal_frames(f->s);
        if (frames < 0 || frames >= APISTORE_CHECKPOINT_PAGES)
            fail_msg("%s: %d frames left in the WAL", cases[i].name, frames);
        /* Everything is still there after a reopen. */
        assert_int_equal(fixture_open(f, &(struct apistore_opts){.sync_full = cases[i].sync_full}),
                         0);
        assert_int_equal(apistore_revision(f->s), (uint64_t)cases[i].writes + 1);
    }
}

static void test_ckpt_second_opener_refused_until_close(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fixture_open(f, NULL), 0);
    struct apistore *other = NULL;
    assert_int_equal(
            apistore_open(&other, &(struct apistore_opts){.path = f->path, .busy_timeout_ms = 20}),
            -EBUSY);
    assert_null(other);
    f->s = apistore_free(f->s);
    assert_int_equal(apistore_open(&other, &(struct apistore_opts){.path = f->path}), 0);
    apistore_free(other);
}

static void test_ckpt_memory_store_has_no_helper(void **state)
{
    (void)state;
    struct apistore *s = NULL;
    assert_int_equal(apistore_open(&s, &(struct apistore_opts){.path = ":memory:"}), 0);
    uint64_t runs = 7;
    assert_int_equal(apistore_ckpt_wait(s, &runs), -ENOENT);
    assert_int_equal(runs, 7);
    assert_int_equal(create(s, HW, "ns", "a", 1, NULL), 0);
    apistore_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_ckpt_checkpoints_off_the_writer, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ckpt_second_opener_refused_until_close, setup,
                                            teardown),
            cmocka_unit_test(test_ckpt_memory_store_has_no_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
