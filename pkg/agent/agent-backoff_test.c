/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent/agent-internal.h"

/* Random inputs that hit the ends of every range. */
static const uint64_t rnds[] = {
        0,         1, 2, 124, 125, 126, 250, 251, 4999, 29999, 30000, UINT32_MAX, UINT64_MAX - 1,
        UINT64_MAX};

static void test_backoff_defaults_bounds(void **state)
{
    /* attempt n draws from [cap/2, cap], cap = min(30000, 250 * 2^n), never below 250. */
    static const struct {
        uint32_t lo, hi;
    } want[] = {{250, 250},     {250, 500},     {500, 1000},    {1000, 2000},
                {2000, 4000},   {4000, 8000},   {8000, 16000},  {15000, 30000},
                {15000, 30000}, {15000, 30000}, {15000, 30000}, {15000, 30000}};
    (void)state;
    for (size_t k = 0; k < sizeof(rnds) / sizeof(rnds[0]); k++) {
        struct agent_backoff b;
        agent_backoff_init(&b, 0, 0);
        for (size_t n = 0; n < sizeof(want) / sizeof(want[0]); n++) {
            uint32_t d = agent_backoff_next(&b, rnds[k]);
            if (d < want[n].lo || d > want[n].hi)
                fail_msg("attempt %zu rnd %llu: %u not in [%u, %u]", n, (unsigned long long)rnds[k],
                         d, want[n].lo, want[n].hi);
        }
    }
}

static void test_backoff_reaches_both_ends(void **state)
{
    struct agent_backoff b;

    (void)state;
    /* With rnd 0 the low end, with rnd = cap - cap/2 the high end. */
    agent_backoff_init(&b, 100, 1000);
    b.attempt = 3; /* cap 800 */
    assert_int_equal(agent_backoff_next(&b, 0), 400);
    b.attempt = 3;
    assert_int_equal(agent_backoff_next(&b, 400), 800);
    b.attempt = 3;
    assert_int_equal(agent_backoff_next(&b, 401), 400); /* wraps */
}

static void test_backoff_reset_and_odd_settings(void **state)
{
    struct agent_backoff b;

    (void)state;
    agent_backoff_init(&b, 0, 0);
    assert_int_equal(b.min_ms, AGENT_BACKOFF_MIN_MS);
    assert_int_equal(b.max_ms, AGENT_BACKOFF_MAX_MS);
    for (int i = 0; i < 100; i++)
        assert_true(agent_backoff_next(&b, agent_random_u64()) <= AGENT_BACKOFF_MAX_MS);
    assert_int_equal(b.attempt, 64); /* saturates, no overflow */
    agent_backoff_reset(&b);
    assert_int_equal(agent_backoff_next(&b, UINT64_MAX), AGENT_BACKOFF_MIN_MS);
    /* max below min is raised to min: a constant delay. */
    agent_backoff_init(&b, 500, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(agent_backoff_next(&b, agent_random_u64()), 500);
    /* A huge max does not overflow the doubling. */
    agent_backoff_init(&b, UINT32_MAX / 2, UINT32_MAX);
    for (int i = 0; i < 10; i++)
        assert_true(agent_backoff_next(&b, agent_random_u64()) >= UINT32_MAX / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_backoff_defaults_bounds),
            cmocka_unit_test(test_backoff_reaches_both_ends),
            cmocka_unit_test(test_backoff_reset_and_odd_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
