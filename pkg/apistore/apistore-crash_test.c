/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore crash test: a child process writes in a loop and reports every
 * acknowledged revision on a pipe; the parent SIGKILLs it in the middle of
 * the burst, reopens the database and checks that every acknowledged write
 * is there and the revision did not go backwards. Several rounds on the same
 * database, so recovery also starts from a WAL left by an earlier kill.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "apistore/apistore-internal.h"
#include "apistore/apistore-testutil.h"

#define HW "tinkerbell.org/hardware"

#define ACKS_BEFORE_KILL 300
#define MAX_ACKS         (1 << 16)

/* One acknowledged write, as the child reports it. */
struct ack {
    uint32_t round;
    uint32_t i;       /* index of the write in its round */
    uint32_t counter; /* 1 when this write was the update of "counter" */
    uint32_t pad;
    uint64_t rev;
};

static int write_full(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* 1 with a full record, 0 at EOF, -1 on error or a torn record. */
static int read_ack(int fd, struct ack *a)
{
    size_t got = 0;
    while (got < sizeof(*a)) {
        ssize_t k = read(fd, (char *)a + got, sizeof(*a) - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return got == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

/* The child: creates r<round>-<i>, and every 4th write updates "counter";
 * reports each write only after apistore_write() returned 0. Never returns. */
static void child_main(const char *path, uint32_t round, bool sync_full, int fd)
{
    struct apistore *s = NULL;
    if (apistore_open(&s, &(struct apistore_opts){.path = path, .sync_full = sync_full}) < 0)
        _exit(2);
    uint64_t rev;
    if (apistore_get(s, HW, "ns", "counter", NULL, NULL) == -ENOENT &&
        create(s, HW, "ns", "counter", 0, &rev) < 0)
        _exit(3);
    for (uint32_t i = 0; i < 10u * 1000u * 1000u; i++) {
        struct ack a = {.round = round, .i = i};
        char name[32];
        snprintf(name, sizeof(name), "r%u-%u", round, i);
        int r;
        if (i % 4 == 3) {
            a.counter = 1;
            r = update(s, HW, "ns", "counter", (int)i, 0, &a.rev);
        } else {
            r = create(s, HW, "ns", name, (int)i, &a.rev);
        }
        if (r < 0)
            _exit(4);
        if (write_full(fd, &a, sizeof(a)) < 0)
            _exit(5);
    }
    _exit(0);
}

static void run_round(const char *path, uint32_t round, bool sync_full, uint64_t *last_rev)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(path, round, sync_full, fds[1]);
    }
    close(fds[1]);

    struct ack *acks = calloc(MAX_ACKS, sizeof(*acks));
    assert_non_null(acks);
    size_t n = 0;
    bool killed = false;
    for (;;) {
        assert_true(n < MAX_ACKS);
        int r = read_ack(fds[0], &acks[n]);
        assert_true(r >= 0);
        if (r == 0)
            break;
        n++;
        if (n == ACKS_BEFORE_KILL && !killed) {
            /* mid-burst: the child is busy writing */
            assert_int_equal(kill(pid, SIGKILL), 0);
            killed = true;
        }
    }
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_true(n >= ACKS_BEFORE_KILL);

    struct apistore *s = NULL;
    assert_int_equal(apistore_open(&s, &(struct apistore_opts){.path = path}), 0);
    uint64_t newest = 0, newest_counter = 0;
    for (size_t k = 0; k < n; k++) {
        assert_true(acks[k].rev > *last_rev); /* revisions only go up */
        if (k > 0)
            assert_true(acks[k].rev > acks[k - 1].rev);
        newest = acks[k].rev;
        if (acks[k].counter) {
            newest_counter = acks[k].rev;
            continue;
        }
        char name[32];
        snprintf(name, sizeof(name), "r%u-%u", acks[k].round, acks[k].i);
        char *body = NULL;
        uint64_t rev = 0;
        if (apistore_get(s, HW, "ns", name, &body, &rev) != 0)
            fail_msg("round %u: acknowledged %s (rev %" PRIu64 ") lost", round, name, acks[k].rev);
        assert_int_equal(rev, acks[k].rev);
        assert_int_equal(body_spec_v(body), (int)acks[k].i);
        free(body);
    }
    uint64_t counter_rev = 0;
    assert_int_equal(apistore_get(s, HW, "ns", "counter", NULL, &counter_rev), 0);
    assert_true(counter_rev >= newest_counter);
    assert_true(apistore_revision(s) >= newest);
    /* every revision is in the log exactly once, with no gap */
    struct collector c = COLLECTOR_INIT;
    assert_int_equal(apistore_events_since(s, HW, NULL, 0, collect_fn, &c), 0);
    assert_int_equal(c.n, apistore_revision(s));
    assert_int_equal(c.bad_bodies, 0);
    buf_free(&c.out);
    print_message("round %u (%s): %zu writes acknowledged, revision %" PRIu64
                  " after reopen (was %" PRIu64 ")\n",
                  round, sync_full ? "FULL" : "NORMAL", n, apistore_revision(s), *last_rev);
    *last_rev = apistore_revision(s);
    apistore_free(s);
    free(acks);
}

static void test_crash_sigkill_keeps_acknowledged_writes(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fixture_init(&f), 0);
    static const bool sync_full[] = {false, false, true};
    uint64_t last_rev = 0;
    for (uint32_t round = 0; round < ARRAY_SIZE(sync_full); round++)
        run_round(f.path, round, sync_full[round], &last_rev);
    assert_true(last_rev >= ARRAY_SIZE(sync_full) * ACKS_BEFORE_KILL);
    fixture_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_crash_sigkill_keeps_acknowledged_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
