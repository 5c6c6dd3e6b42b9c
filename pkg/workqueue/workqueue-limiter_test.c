/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the building blocks: backoff arithmetic, the token bucket,
 * the delay heap and the key table with its hash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "workqueue/workqueue-internal.h"

static void test_backoff_delay_sequence(void **state)
{
    (void)state;
    static const struct {
        uint64_t base, max;
        uint32_t failures;
        uint64_t want;
    } cases[] = {
            {5, 1000000, 0, 5},
            {5, 1000000, 1, 10},
            {5, 1000000, 2, 20},
            {5, 1000000, 3, 40},
            {5, 1000000, 4, 80},
            {5, 1000000, 10, 5120},
            {5, 1000000, 17, 655360},
            {5, 1000000, 18, 1000000}, /* 1310720 capped at 1000 s */
            {5, 1000000, 19, 1000000},
            {5, 1000000, 61, 1000000}, /* 5 << 61 would overflow */
            {5, 1000000, 62, 1000000},
            {5, 1000000, 63, 1000000},
            {5, 1000000, 64, 1000000},
            {5, 1000000, UINT32_MAX, 1000000},
            {1, UINT64_MAX, 63, UINT64_C(1) << 63},
            {2, UINT64_MAX, 63, UINT64_MAX},
            {UINT64_MAX, 7, 0, 7},
            {0, 1000, 5, 0},
            {50, 30, 0, 30}, /* base above the cap */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t got = wq_backoff_delay(cases[i].base, cases[i].max, cases[i].failures);
        if (got != cases[i].want)
            fail_msg("case %zu: got %llu want %llu", i, (unsigned long long)got,
                     (unsigned long long)cases[i].want);
    }
}

/* One reservation: at time t, expect a delay of want ms. */
struct reserve_step {
    uint64_t t;
    unsigned count; /* how many identical reservations */
    uint64_t want;
};

static void run_bucket(
        const char *name, uint32_t qps, uint32_t burst, const struct reserve_step *steps, size_t n)
{
    struct wq_bucket b;
    wq_bucket_init(&b, qps, burst, 0);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < steps[i].count; c++) {
            uint64_t got = wq_bucket_reserve(&b, steps[i].t);
            if (got != steps[i].want)
                fail_msg("%s step %zu #%u: got %llu want %llu", name, i, c, (unsigned long long)got,
                         (unsigned long long)steps[i].want);
            assert_true(b.mtokens <= (int64_t)burst * 1000);
        }
}

static void test_bucket_reserve_sequence(void **state)
{
    (void)state;
    /* client-go defaults: 10 qps, burst 100, starting full. */
    static const struct reserve_step defaults[] = {
            {0, 100, 0},                     /* the burst */
            {0, 1, 100},                     /* then one token per 100 ms, in debt */
            {0, 1, 200},      {100, 1, 200}, /* 100 ms paid one token back */
            {350, 1, 50}, /* debt of 3 tokens less 3.5 refilled: 0.5 token short */
            {400, 1, 100},    {100000, 100, 0}, /* a long pause refills to the burst, not beyond */
            {100000, 1, 100},
    };
    run_bucket("defaults", 10, 100, defaults, ARRAY_SIZE(defaults));

    static const struct reserve_step odd_rate[] = {
            {0, 1, 0},
            {0, 1, 334}, /* 1 token at 3 qps = 333.3 ms, rounded up */
            {0, 1, 667},
    };
    run_bucket("odd rate", 3, 1, odd_rate, ARRAY_SIZE(odd_rate));

    static const struct reserve_step backwards[] = {
            {1000, 2, 0},
            {1000, 1, 1000},
            {500, 1, 2000}, /* the clock went back: nothing refilled */
            {1500, 1, 2000},
    };
    run_bucket("clock backwards", 1, 2, backwards, ARRAY_SIZE(backwards));

    static const struct reserve_step fast[] = {
            {0, 6, 0},
            {0, 1, 1},          /* 1000 mtokens at 1000000 qps = 1 us, rounded up */
            {UINT64_MAX, 6, 0}, /* huge elapsed time: clamped refill */
    };
    run_bucket("fast", 1000000, 6, fast, ARRAY_SIZE(fast));
}

static void test_bucket_reserve_debt_floor(void **state)
{
    (void)state;
    struct wq_bucket b;
    wq_bucket_init(&b, 1, 1, 0);
    b.mtokens = -(INT64_MAX / 2) + 10;
    uint64_t d1 = wq_bucket_reserve(&b, 0);
    uint64_t d2 = wq_bucket_reserve(&b, 0);
    assert_int_equal(b.mtokens, -(INT64_MAX / 2));
    assert_true(d1 > 0);
    assert_int_equal(d1, d2);
}

static struct wq_entry *new_entry(const char *key)
{
    size_t len = strlen(key);
    struct wq_entry *e = calloc(1, sizeof(*e) + len + 1);
    assert_non_null(e);
    memcpy(e->key, key, len + 1);
    e->key_len = len;
    e->heap_idx = WQ_HEAP_NONE;
    return e;
}

static void test_heap_orders_by_deadline_then_seq(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        uint64_t ready;
    } pushes[] = {{"e", 50}, {"a", 10}, {"d", 40}, {"b", 20}, {"c", 20}, {"f", 60}, {"g", 5}};

    struct wq_heap h = {0};
    struct wq_entry *es[ARRAY_SIZE(pushes)];
    for (size_t i = 0; i < ARRAY_SIZE(pushes); i++) {
        es[i] = new_entry(pushes[i].key);
        assert_int_equal(wq_heap_push(&h, es[i], pushes[i].ready), 0);
        assert_int_equal(es[i]->ready_ms, pushes[i].ready);
    }
    /* g (5) comes out first; pushed again at 30 it sorts between c and d. */
    struct wq_entry *g = wq_heap_pop(&h);
    assert_string_equal(g->key, "g");
    assert_int_equal(g->heap_idx, WQ_HEAP_NONE);
    assert_int_equal(wq_heap_push(&h, g, 30), 0);
    /* f (60) moved earlier to 45: between d (40) and e (50). */
    wq_heap_decrease(&h, es[5], 45);

    char got[16] = {0};
    size_t n = 0;
    while (wq_heap_peek(&h)) {
        struct wq_entry *e = wq_heap_pop(&h);
        assert_int_equal(e->heap_idx, WQ_HEAP_NONE);
        got[n++] = e->key[0];
    }
    assert_string_equal(got, "abcgdfe");
    assert_int_equal(h.len, 0);
    for (size_t i = 0; i < ARRAY_SIZE(es); i++)
        free(es[i]);
    wq_heap_done(&h);
}

static void test_heap_decrease_to_tie_goes_after(void **state)
{
    (void)state;
    struct wq_heap h = {0};
    struct wq_entry *a = new_entry("a"), *b = new_entry("b");
    assert_int_equal(wq_heap_push(&h, a, 20), 0);
    assert_int_equal(wq_heap_push(&h, b, 10), 0);
    /* a's deadline set to 10 after b's was: equal deadlines keep set order. */
    wq_heap_decrease(&h, a, 10);
    assert_ptr_equal(wq_heap_pop(&h), b);
    assert_ptr_equal(wq_heap_pop(&h), a);
    free(a);
    free(b);
    wq_heap_done(&h);
}

static void test_heap_equal_deadlines_fifo(void **state)
{
    (void)state;
    struct wq_heap h = {0};
    struct wq_entry *es[64];
    for (size_t i = 0; i < ARRAY_SIZE(es); i++) {
        char k[8];
        snprintf(k, sizeof(k), "%zu", i);
        es[i] = new_entry(k);
        assert_int_equal(wq_heap_push(&h, es[i], 7), 0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(es); i++)
        assert_ptr_equal(wq_heap_pop(&h), es[i]);
    for (size_t i = 0; i < ARRAY_SIZE(es); i++)
        free(es[i]);
    wq_heap_done(&h);
}

static void test_siphash_reference_vectors(void **state)
{
    (void)state;
    /* The SipHash paper's test key 00..0f; expected SipHash-2-4 outputs for
     * the messages 00..(n-1) from its reference vectors. */
    uint8_t keyb[16], msg[64];
    for (unsigned i = 0; i < 16; i++)
        keyb[i] = (uint8_t)i;
    for (unsigned i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    uint64_t k0 = 0, k1 = 0;
    for (unsigned i = 0; i < 8; i++) {
        k0 |= (uint64_t)keyb[i] << (8 * i);
        k1 |= (uint64_t)keyb[8 + i] << (8 * i);
    }
    static const struct {
        size_t len;
        uint64_t want;
    } cases[] = {
            {0, UINT64_C(0x726fdb47dd0e0e31)},
            {15, UINT64_C(0xa129ca6149be45e5)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(wq_siphash24(k0, k1, msg, cases[i].len), cases[i].want);

    /* The 1-3 variant: deterministic, key- and length-sensitive. */
    assert_int_equal(wq_siphash13(k0, k1, "abc", 3), wq_siphash13(k0, k1, "abc", 3));
    assert_int_not_equal(wq_siphash13(k0, k1, "abc", 3), wq_siphash13(k0 + 1, k1, "abc", 3));
    assert_int_not_equal(wq_siphash13(k0, k1, "abc", 3), wq_siphash13(k0, k1, "abc", 2));
}

static void test_table_insert_find_remove_grow(void **state)
{
    (void)state;
    struct wq_table t;
    assert_int_equal(wq_table_init(&t), 0);
    size_t initial = t.n_buckets;
    enum { N = 3000 };
    for (unsigned i = 0; i < N; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "ns/obj-%u", i);
        assert_null(wq_table_find(&t, k, (size_t)n));
        struct wq_entry *e = NULL;
        assert_int_equal(wq_table_insert(&t, k, (size_t)n, &e), 0);
        assert_string_equal(e->key, k);
        assert_int_equal(e->heap_idx, WQ_HEAP_NONE);
    }
    assert_int_equal(t.n_entries, N);
    assert_true(t.n_buckets > initial);
    assert_true(t.n_entries <= t.n_buckets);
    /* Prefix keys are distinct keys. */
    assert_null(wq_table_find(&t, "ns/obj-1", 7));
    for (unsigned i = 0; i < N; i += 2) {
        char k[16];
        int n = snprintf(k, sizeof(k), "ns/obj-%u", i);
        struct wq_entry *e = wq_table_find(&t, k, (size_t)n);
        assert_non_null(e);
        wq_table_remove(&t, e);
        assert_null(wq_table_find(&t, k, (size_t)n));
    }
    assert_int_equal(t.n_entries, N / 2);
    for (unsigned i = 1; i < N; i += 2) {
        char k[16];
        int n = snprintf(k, sizeof(k), "ns/obj-%u", i);
        assert_non_null(wq_table_find(&t, k, (size_t)n));
    }
    wq_table_done(&t);
    assert_null(t.buckets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_backoff_delay_sequence),
            cmocka_unit_test(test_bucket_reserve_sequence),
            cmocka_unit_test(test_bucket_reserve_debt_floor),
            cmocka_unit_test(test_heap_orders_by_deadline_then_seq),
            cmocka_unit_test(test_heap_decrease_to_tie_goes_after),
            cmocka_unit_test(test_heap_equal_deadlines_fifo),
            cmocka_unit_test(test_siphash_reference_vectors),
            cmocka_unit_test(test_table_insert_find_remove_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
