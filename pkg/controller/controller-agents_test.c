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

#include "base/macro.h"
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

    struct gw_packed *p = NULL;
    json_t *cpu = json_pack("{s:{}}", "cpu");
    assert_int_equal(gw_attributes_pack(cpu, &p), 0);
    gw_agent_set_attributes(a, p);
    assert_int_equal(gw_attributes_pack(cpu, &p), 0);
    gw_agent_set_attributes(a, p); /* replaces (and frees) the first */
    json_decref(cpu);
    json_decref(r1);
    json_decref(r2);
    gw_agents_done(&t); /* frees attributes, inbox, written (ASan checks) */
}

/* A fleet agent's attributes, as test/e2e/gateway-fleet sends them. */
static json_t *fleet_attributes(unsigned disks)
{
    json_t *a = json_pack("{s:{s:i,s:i},s:{s:I},s:[{s:s,s:s,s:s}],s:{s:s,s:s},s:{s:s,s:s}}",
                          "cpu", "totalCores", 4, "totalThreads", 8, "memory", "total",
                          (json_int_t)8 << 30, "networkInterfaces", "name", "eth0", "mac",
                          "02:1a:00:00:27:0f", "speed", "1000", "product", "vendor", "anvil",
                          "name", "fleet-sim", "chassis", "vendor", "anvil", "serial",
                          "02:1a:00:00:27:0f");
    json_t *d = json_array();
    for (unsigned i = 0; i < disks; i++)
        json_array_append_new(d, json_pack("{s:s,s:i}", "name", "vd", "size", (int)i));
    json_object_set_new(a, "blockDevices", d);
    return a;
}

static size_t compact_len(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(text);
    size_t n = strlen(text);
    free(text);
    return n;
}

/* Packed attributes come back equal, and a fleet agent's are much smaller
 * than their text. */
static void test_attributes_pack_round_trip(void **state)
{
    (void)state;
    struct {
        json_t *v;
        size_t max_z; /* 0: no size claim */
    } cases[] = {
            {fleet_attributes(1), 100},
            {fleet_attributes(0), 100},
            {fleet_attributes(400), 0}, /* longer than the deflate window */
            {json_object(), 0},
            {json_pack("{s:s}", "product", "caf\u00e9 \u2603"), 0},
            {json_string("not an object"), 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct gw_packed *p = NULL;
        json_t *back = NULL;
        assert_int_equal(gw_attributes_pack(cases[i].v, &p), 0);
        assert_int_equal(p->len, compact_len(cases[i].v));
        if (cases[i].max_z && p->z_len > cases[i].max_z)
            fail_msg("case %zu: %u bytes packed", i, p->z_len);
        assert_int_equal(gw_attributes_unpack(p, &back), 0);
        if (!json_equal(back, cases[i].v))
            fail_msg("case %zu: not equal after unpacking", i);
        json_decref(back);
        free(p);
        json_decref(cases[i].v);
    }
}

/* Damaged packings are refused, never decoded into something else. */
static void test_attributes_unpack_refuses_damage(void **state)
{
    (void)state;
    json_t *v = fleet_attributes(2), *got = NULL;
    struct gw_packed *p = NULL;
    assert_int_equal(gw_attributes_pack(v, &p), 0);
    assert_int_equal(gw_attributes_pack(NULL, &p), -EINVAL);
    assert_int_equal(gw_attributes_unpack(NULL, &got), -EBADMSG);
    size_t size = sizeof(*p) + p->z_len;
    struct gw_packed *bad = malloc(size);
    assert_non_null(bad);
    enum { LEN_SHORT, LEN_LONG, Z_CUT, Z_EMPTY, Z_FLIP, _N };
    for (int c = 0; c < _N; c++) {
        memcpy(bad, p, size);
        switch (c) {
        case LEN_SHORT: bad->len--; break;
        case LEN_LONG: bad->len++; break;
        case Z_CUT: bad->z_len /= 2; break;
        case Z_EMPTY: bad->z_len = 0; break;
        case Z_FLIP: bad->z[0] ^= 0xff; break;
        }
        assert_int_equal(gw_attributes_unpack(bad, &got), -EBADMSG);
        assert_null(got);
    }
    assert_int_equal(gw_attributes_unpack(p, &got), 0); /* the original still decodes */
    assert_true(json_equal(got, v));
    json_decref(got);
    free(bad);
    free(p);
    json_decref(v);
}

/* A queued status report is kept much smaller than its text. */
static void test_inbox_packs_reports(void **state)
{
    (void)state;
    struct gw_agents t;
    struct gw_agent *a = NULL;
    assert_int_equal(gw_agents_init(&t), 0);
    assert_int_equal(gw_agents_get_or_add(&t, "m1", &a), 0);
    json_t *rep = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "workflowID",
                            "default/fleet-02-1a-00-00-27-0f", "taskID", "os", "actionID",
                            "default/fleet-02-1a-00-00-27-0f/os/install", "state", "SUCCESS",
                            "executionStart", "2026-11-21T13:59:05.123456789Z", "executionStop",
                            "2026-11-21T13:59:05.223456789Z", "executionDuration", "100ms",
                            "message", "");
    assert_int_equal(gw_agent_inbox_push(a, rep), 0);
    assert_int_equal(a->inbox_head->len, compact_len(rep));
    if (a->inbox_head->z_len * 2 > a->inbox_head->len)
        fail_msg("report packed to %u of %u bytes", a->inbox_head->z_len, a->inbox_head->len);
    json_t *got = NULL;
    const void *token = NULL;
    assert_int_equal(gw_agent_inbox_first(a, &got, &token), 0);
    assert_true(json_equal(got, rep));
    json_decref(got);
    /* bounded: a flood past GW_INBOX_MAX is refused, the queue kept */
    for (size_t i = 1; i < GW_INBOX_MAX; i++)
        assert_int_equal(gw_agent_inbox_push(a, rep), 0);
    assert_int_equal(gw_agent_inbox_push(a, rep), -ENOBUFS);
    assert_int_equal(gw_agent_inbox_size(a), GW_INBOX_MAX);
    assert_true(gw_agent_inbox_pop(a, token));
    assert_int_equal(gw_agent_inbox_push(a, rep), 0); /* room again */
    a->inbox_head->z_len = 1; /* damaged: refused, left queued */
    assert_int_equal(gw_agent_inbox_first(a, &got, &token), -EBADMSG);
    assert_int_equal(gw_agent_inbox_size(a), GW_INBOX_MAX);
    json_decref(rep);
    gw_agents_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_agents_add_find_remove_many),
            cmocka_unit_test(test_agents_refuse_empty_id),
            cmocka_unit_test(test_agent_strings_inbox_and_written),
            cmocka_unit_test(test_attributes_pack_round_trip),
            cmocka_unit_test(test_attributes_unpack_refuses_damage),
            cmocka_unit_test(test_inbox_packs_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
