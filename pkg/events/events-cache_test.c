/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LRU cache behind the spam filter and the repeat cache: creation,
 * lookup, recency, eviction order and the entry bound, against a
 * reference list kept by the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events/events-internal.h"

struct val {
    uint64_t n;
};

static void test_events_cache_put_get(void **state)
{
    (void)state;
    struct events_cache *c = NULL;
    assert_int_equal(events_cache_new(&c, 4, sizeof(struct val)), 0);
    void *v = NULL;
    assert_null(events_cache_get(c, "a"));
    assert_int_equal(events_cache_put(c, "a", &v), 1);
    assert_int_equal(((struct val *)v)->n, 0); /* zeroed */
    ((struct val *)v)->n = 7;
    assert_int_equal(events_cache_put(c, "a", &v), 0);
    assert_int_equal(((struct val *)v)->n, 7);
    struct val *got = events_cache_get(c, "a");
    assert_non_null(got);
    assert_int_equal(got->n, 7);
    assert_null(events_cache_get(c, "A"));
    assert_null(events_cache_get(c, ""));
    assert_int_equal(events_cache_put(c, "", &v), 1); /* the empty key is a key */
    assert_int_equal(events_cache_size(c), 2);
    events_cache_free(c);
}

/* Table: a script of puts and gets on a 3-entry cache and which keys must
 * be present afterwards. */
static void test_events_cache_eviction_order(void **state)
{
    (void)state;
    static const struct {
        const char *script; /* "p<k>" put, "g<k>" get, space separated */
        const char *present;
        const char *absent;
    } cases[] = {
            {"pa pb pc pd", "bcd", "a"},
            {"pa pb pc ga pd", "acd", "b"},    /* get refreshes a */
            {"pa pb pc pa pd", "acd", "b"},    /* put of an existing key refreshes */
            {"pa pb pc pd pe pf", "def", "abc"},
            {"pa pa pa pb", "ab", "cdef"},
            {"pa pb pc gx pd", "bcd", "a"}, /* a miss changes nothing */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct events_cache *c = NULL;
        assert_int_equal(events_cache_new(&c, 3, sizeof(struct val)), 0);
        for (const char *p = cases[i].script; *p; p++) {
            if (*p == ' ')
                continue;
            char key[2] = {p[1], 0};
            void *v = NULL;
            if (*p == 'p')
                assert_true(events_cache_put(c, key, &v) >= 0);
            else
                (void)events_cache_get(c, key);
            p++;
        }
        assert_true(events_cache_size(c) <= 3);
        for (const char *k = cases[i].present; *k; k++) {
            char key[2] = {*k, 0};
            if (!events_cache_get(c, key))
                fail_msg("case %zu: %s missing", i, key);
        }
        for (const char *k = cases[i].absent; *k; k++) {
            char key[2] = {*k, 0};
            if (events_cache_get(c, key))
                fail_msg("case %zu: %s present", i, key);
        }
        events_cache_free(c);
    }
}

/* Many keys through a small cache: the last max_entries survive with their
 * values, chains stay consistent after many evictions. */
static void test_events_cache_many_keys(void **state)
{
    (void)state;
    struct events_cache *c = NULL;
    assert_int_equal(events_cache_new(&c, 64, sizeof(struct val)), 0);
    char key[32];
    for (uint64_t i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "key-%llu", (unsigned long long)i);
        void *v = NULL;
        assert_int_equal(events_cache_put(c, key, &v), 1);
        ((struct val *)v)->n = i;
    }
    assert_int_equal(events_cache_size(c), 64);
    for (uint64_t i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "key-%llu", (unsigned long long)i);
        struct val *v = events_cache_get(c, key);
        if (i < 10000 - 64)
            assert_null(v);
        else {
            assert_non_null(v);
            assert_int_equal(v->n, i);
        }
    }
    events_cache_free(c);
}

static void test_events_cache_invalid(void **state)
{
    (void)state;
    struct events_cache *c = NULL;
    assert_int_equal(events_cache_new(&c, 0, 8), -EINVAL);
    assert_int_equal(events_cache_new(&c, 8, 0), -EINVAL);
    assert_int_equal(events_cache_new(&c, EVENTS_LIMIT_ENTRIES + 1, 8), -EINVAL);
    assert_int_equal(events_cache_new(NULL, 8, 8), -EINVAL);
    assert_null(c);
    assert_int_equal(events_cache_new(&c, 1, 8), 0);
    void *v = NULL;
    assert_int_equal(events_cache_put(c, NULL, &v), -EINVAL);
    assert_int_equal(events_cache_put(NULL, "k", &v), -EINVAL);
    assert_null(events_cache_get(NULL, "k"));
    assert_null(events_cache_get(c, NULL));
    assert_int_equal(events_cache_size(NULL), 0);
    assert_null(events_cache_free(c));
    assert_null(events_cache_free(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_events_cache_put_get),
            cmocka_unit_test(test_events_cache_eviction_order),
            cmocka_unit_test(test_events_cache_many_keys),
            cmocka_unit_test(test_events_cache_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
