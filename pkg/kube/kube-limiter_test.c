/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client-side token bucket on an injected clock (scripts of reservations
 * with their expected waits) and cancellation: a fired token wakes a
 * rate-limiter wait at once. Threads synchronise on the token's own state,
 * never on sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube-internal.h"

#define MS(x) ((uint64_t)(x)*1000000)

struct reserve_step {
    uint64_t at_ns;
    uint64_t want_wait_ns;
};

struct reserve_script {
    const char *name;
    double qps;
    int burst;
    struct reserve_step steps[8];
    size_t n;
};

static const struct reserve_script scripts[] = {
        {"burst is free, then 1/qps each",
         10,
         3,
         {{0, 0}, {0, 0}, {0, 0}, {0, MS(100)}, {0, MS(200)}},
         5},
        {"refill over time", 10, 2, {{0, 0}, {0, 0}, {MS(50), MS(50)}, {MS(300), 0}}, 4},
        {"never more than burst",
         100,
         2,
         {{0, 0}, {MS(10000), 0}, {MS(10000), 0}, {MS(10000), MS(10)}},
         4},
        {"a clock going back refills nothing",
         10,
         1,
         {{MS(1000), 0}, {MS(500), MS(100)}, {MS(1000), MS(200)}},
         3},
        {"fractional qps", 0.5, 1, {{0, 0}, {0, MS(2000)}, {MS(4000), 0}}, 3},
        {"debt is paid in order",
         1000,
         1,
         {{0, 0}, {0, MS(1)}, {0, MS(2)}, {MS(2), MS(1)}, {MS(10), 0}},
         5},
};

static void test_limiter_reserve_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(scripts); i++) {
        const struct reserve_script *s = &scripts[i];
        struct kube_limiter l;
        assert_int_equal(kube_limiter_init(&l, s->qps, s->burst, 0), 0);
        for (size_t k = 0; k < s->n; k++) {
            uint64_t w = kube_limiter_reserve(&l, s->steps[k].at_ns);
            /* Floating point: allow a microsecond. */
            uint64_t want = s->steps[k].want_wait_ns;
            if (w + 1000 < want || w > want + 1000)
                fail_msg("%s, step %zu: wait %llu ns, want %llu", s->name, k, (unsigned long long)w,
                         (unsigned long long)want);
        }
        kube_limiter_done(&l);
    }
}

static void test_limiter_init_rejects_bad_rates(void **state)
{
    struct kube_limiter l;

    (void)state;
    assert_int_equal(kube_limiter_init(&l, 0, 1, 0), -EINVAL);
    assert_int_equal(kube_limiter_init(&l, -1, 1, 0), -EINVAL);
    assert_int_equal(kube_limiter_init(&l, 1, 0, 0), -EINVAL);
    assert_int_equal(kube_limiter_init(&l, 1, -3, 0), -EINVAL);
    assert_int_equal(kube_limiter_init(&l, 1.0 / 0.0, 1, 0), -EINVAL);
    assert_int_equal(kube_limiter_init(NULL, 1, 1, 0), -EINVAL);
}

static void test_limiter_debt_is_bounded(void **state)
{
    struct kube_limiter l;
    uint64_t w = 0;

    (void)state;
    assert_int_equal(kube_limiter_init(&l, 1e-9, 1, 0), 0);
    for (int i = 0; i < 5; i++)
        w = kube_limiter_reserve(&l, 0);
    assert_true(w <= (uint64_t)(365.0 * 86400.0 * 1e9) + 1000);
    kube_limiter_done(&l);
}

static void test_limiter_wait_counts_throttling(void **state)
{
    struct kube_limiter l;
    bool waited = true;

    (void)state;
    /* Burst 1 at 100 qps: the first call is free; with the bucket emptied
     * just before, the second waits about 10 ms. */
    assert_int_equal(kube_limiter_init(&l, 100, 1, kube_now_ns()), 0);
    assert_int_equal(kube_limiter_wait(&l, NULL, &waited), 0);
    assert_false(waited);
    l.tokens = 0;
    l.last_ns = kube_now_ns();
    uint64_t start = kube_now_ns();
    assert_int_equal(kube_limiter_wait(&l, NULL, &waited), 0);
    assert_true(waited);
    assert_true(kube_now_ns() - start >= MS(9));
    kube_limiter_done(&l);
}

/* ---------------------------------------------------------------- cancel */

struct waiter {
    struct kube_limiter *l;
    struct kube_cancel *cancel;
    int ret;
    bool waited;
};

static void *wait_thread(void *userdata)
{
    struct waiter *w = userdata;
    w->ret = kube_limiter_wait(w->l, w->cancel, &w->waited);
    return NULL;
}

static void test_limiter_wait_cancelled(void **state)
{
    struct kube_cancel *cancel = NULL;
    struct kube_limiter l;
    struct waiter w = {.l = &l, .ret = 1};
    pthread_t t;

    (void)state;
    assert_int_equal(kube_cancel_new(&cancel), 0);
    w.cancel = cancel;
    /* One token per hour, already spent: the waiter would sleep an hour. */
    assert_int_equal(kube_limiter_init(&l, 1.0 / 3600, 1, kube_now_ns()), 0);
    (void)kube_limiter_reserve(&l, kube_now_ns());
    assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
    /* Fire while it waits (or before it starts: both must end at once). */
    kube_cancel_fire(cancel);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.ret, -ECANCELED);
    assert_true(kube_cancel_fired(cancel));
    kube_limiter_done(&l);
    kube_cancel_free(cancel);
}

static void test_cancel_before_wait(void **state)
{
    struct kube_cancel *cancel = NULL;
    struct kube_limiter l;
    bool waited = false;

    (void)state;
    assert_int_equal(kube_cancel_new(&cancel), 0);
    assert_false(kube_cancel_fired(cancel));
    kube_cancel_fire(cancel);
    kube_cancel_fire(cancel); /* idempotent */
    assert_int_equal(kube_limiter_init(&l, 1, 5, kube_now_ns()), 0);
    /* Even with tokens in the bucket a fired token wins. */
    assert_int_equal(kube_limiter_wait(&l, cancel, &waited), -ECANCELED);
    assert_int_equal(kube_cancel_wait_until(cancel, kube_now_ns() + MS(3600000)), -ECANCELED);
    kube_limiter_done(&l);
    kube_cancel_free(cancel);
}

static void test_cancel_wait_until_past_deadline(void **state)
{
    struct kube_cancel *cancel = NULL;

    (void)state;
    assert_int_equal(kube_cancel_new(&cancel), 0);
    assert_int_equal(kube_cancel_wait_until(cancel, 0), 0);
    assert_int_equal(kube_cancel_wait_until(NULL, 0), 0);
    assert_int_equal(kube_cancel_wait_until(cancel, kube_now_ns()), 0);
    kube_cancel_free(cancel);
}

static void test_cancel_null_safe(void **state)
{
    (void)state;
    assert_false(kube_cancel_fired(NULL));
    kube_cancel_fire(NULL);
    assert_null(kube_cancel_free(NULL));
    assert_int_equal(kube_cancel_new(NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_limiter_reserve_scripts),
            cmocka_unit_test(test_limiter_init_rejects_bad_rates),
            cmocka_unit_test(test_limiter_debt_is_bounded),
            cmocka_unit_test(test_limiter_wait_counts_throttling),
            cmocka_unit_test(test_limiter_wait_cancelled),
            cmocka_unit_test(test_cancel_before_wait),
            cmocka_unit_test(test_cancel_wait_until_past_deadline),
            cmocka_unit_test(test_cancel_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
