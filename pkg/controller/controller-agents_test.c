/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway side's per-agent table: lookups, growth, removal, the inbox
 * and the written versions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/controller-agents.h"

static void test_agents_add_find_remove_many(void **state)
{
    (void)state;
    struct gw_agents t;
    enum { N = 5000 };
    char id[32];
    assert_int_equal(gw_agents_init(&t), 0);
    for (int i = 0; i < N; i++) {
        struct gw_agent *a = NULL;
        snprintf(id, sizeof(id), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        assert_int_equal(gw_agents_get_or_add(&t, id, &a), 0);
        assert_string_equal(a->id, id);
        assert_false(a->connected);
        assert_null(a->attributes);
        a->connected = i % 3 == 0;
    }
    assert_int_equal(t.n, N);
    assert_true(t.n_buckets >= N); /* it grew */
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        struct gw_agent *a = gw_agents_find(&t, id), *again = NULL;
        assert_non_null(a);
        assert_int_equal(a->connected, i % 3 == 0);
        assert_int_equal(gw_agents_get_or_add(&t, id, &again), 0); /* the same one */
        assert_ptr_equal(again, a);
    }
    assert_int_equal(t.n, N);
    for (int i = 0; i < N; i += 2) {
        snprintf(id, sizeof(id), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        gw_agents_remove(&t, id);
    }
    gw_agents_remove(&t, "not-there");
    gw_agents_remove(&t, NULL);
    assert_int_equal(t.n, N / 2);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        if (i % 2)
            assert_non_null(gw_agents_find(&t, id));
        else
            assert_null(gw_agents_find(&t, id));
    }
    assert_null(gw_agents_find(&t, NULL));
    json_t *ids = NULL;
    assert_int_equal(gw_agents_ids(&t, &ids), 0);
    assert_int_equal(json_array_size(ids), N / 2);
    json_decref(ids);
    gw_agents_done(&t);
    assert_int_equal(t.n, 0);
    assert_null(gw_agents_find(&t, "02:00:00:00:00:01")); /* done leaves it empty */
}

static void test_agents_refuse_empty_id(void **state)
{
    (void)state;
    struct gw_agents t;
    struct gw_agent *a = NULL;
    assert_int_equal(gw_agents_init(&t), 0);
    assert_int_equal(gw_agents_get_or_add(&t, "", &a), -EINVAL);
    assert_int_equal(gw_agents_get_or_add(&t, NULL, &a), -EINVAL);
    assert_null(a);
    assert_int_equal(t.n, 0);
    gw_agents_done(&t);
}

static void test_agent_strings_inbox_and_written(void **state)
{
    (void)state;
    struct gw_agents t;
    struct gw_agent *a = NULL;
    assert_int_equal(gw_agents_init(&t), 0);
    assert_int_equal(gw_agents_get_or_add(&t, "m1", &a), 0);

    assert_int_equal(gw_agent_set_str(&a->sent, "idle:preparing"), 0);
    assert_string_equal(a->sent, "idle:preparing");
    assert_int_equal(gw_agent_set_str(&a->sent, "action:default/wf|1"), 0);
    assert_string_equal(a->sent, "action:default/wf|1");
    assert_int_equal(gw_agent_set_str(&a->sent, NULL), 0);
    assert_null(a->sent);

    /* The inbox is FIFO, keeps copies, and pops only its head. */
    json_t *r1 = json_pack("{s:s}", "state", "RUNNING"), *r2 = json_pack("{s:s}", "state", "SUCCESS");
    json_t *got = NULL;
    const void *t1 = NULL, *t2 = NULL;
    assert_int_equal(gw_agent_inbox_size(a), 0);
    assert_int_equal(gw_agent_inbox_first(a, &got, &t1), -ENOENT);
    assert_null(got);
    assert_int_equal(gw_agent_inbox_push(a, r1), 0);
    assert_int_equal(gw_agent_inbox_push(a, r2), 0);
    assert_int_equal(gw_agent_inbox_push(a, NULL), -EINVAL);
    json_object_set_new(r1, "state", json_string("changed")); /* the inbox has a copy */
    assert_int_equal(gw_agent_inbox_size(a), 2);
    assert_int_equal(gw_agent_inbox_first(a, &got, &t1), 0);
    assert_string_equal(json_string_value(json_object_get(got, "state")), "RUNNING");
    json_decref(got);
    assert_false(gw_agent_inbox_pop(a, NULL));
    assert_false(gw_agent_inbox_pop(a, r2)); /* not a token */
    assert_true(gw_agent_inbox_pop(a, t1));
    assert_false(gw_agent_inbox_pop(a, t1)); /* already gone */
    assert_int_equal(gw_agent_inbox_first(a, &got, &t2), 0);
    assert_string_equal(json_string_value(json_object_get(got, "state")), "SUCCESS");
    json_decref(got);
    assert_true(gw_agent_inbox_pop(a, t2));
    assert_int_equal(gw_agent_inbox_size(a), 0);
    assert_null(a->inbox_head);
    assert_null(a->inbox_tail);
    assert_int_equal(gw_agent_inbox_push(a, r2), 0); /* left queued: done frees it */
    assert_int_equal(gw_agent_inbox_push(a, r1), 0);
    assert_int_equal(gw_agent_inbox_size(a), 2);

    /* Written versions: per key, replaced in place. */
    assert_int_equal(gw_agent_written_get(a, "default/wf"), 0);
    assert_int_equal(gw_agent_written_set(a, "default/wf", 10), 0);
    assert_int_equal(gw_agent_written_set(a, "default/other", 7), 0);
    assert_int_equal(gw_agent_written_set(a, "default/wf", 12), 0);
    assert_int_equal(a->n_written, 2);
    assert_int_equal(gw_agent_written_get(a, "default/wf"), 12);
    assert_int_equal(gw_agent_written_get(a, "default/other"), 7);
    assert_int_equal(gw_agent_written_get(a, "default/none"), 0);

    a->attributes = strdup("{\"cpu\":{}}");
    json_decref(r1);
    json_decref(r2);
    gw_agents_done(&t); /* frees attributes, inbox, written (ASan checks) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_agents_add_find_remove_many),
            cmocka_unit_test(test_agents_refuse_empty_id),
            cmocka_unit_test(test_agent_strings_inbox_and_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
