/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The recorder against a fake sink and a fake clock: what is written for an
 * event, how repeats fold into one Event, the spam filter, the queue bound,
 * retries and every refusal of events_record(). The consumer is driven by
 * events_process_one(); the one threaded test waits in
 * events_recorder_stop(), never in a sleep.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "events/events-test.h"

#define T0_WALL_NS INT64_C(1795238581000000000) /* 2026-11-21T05:23:01Z */

struct rig {
    struct fake_sink sink;
    struct fake_clock clock;
    struct events_recorder *r;
};

static const struct events_ref hw = {
        .api_version = "tinkerbell.org/v1alpha1",
        .kind = "Hardware",
        .namespace_ = "default",
        .name = "sm01",
        .uid = "3c1e-uid",
        .resource_version = "42",
};

static void rig_init_opts(struct rig *g, const struct events_opts *base)
{
    *g = (struct rig){.clock = {.now_ms = 1000000, .wall_ns = T0_WALL_NS}};
    assert_int_equal(fake_sink_init(&g->sink), 0);
    struct events_opts o = base ? *base : (struct events_opts){0};
    if (!o.component)
        o.component = "anvil-controller";
    if (!o.instance)
        o.instance = "node-1";
    o.clock = &(struct events_clock){
            .now_ms = fake_now_ms, .wall_ns = fake_wall_ns, .userdata = &g->clock};
    struct events_sink sink = fake_sink_ops(&g->sink);
    assert_int_equal(events_recorder_new(&g->r, &sink, &o), 0);
}

static void rig_init(struct rig *g)
{
    rig_init_opts(g, NULL);
}

static void rig_done(struct rig *g)
{
    g->r = events_recorder_free(g->r);
    fake_sink_done(&g->sink);
}

/* Runs the consumer until nothing is due; returns how many steps ran. */
static int drain(struct rig *g)
{
    int n = 0, k;
    while ((k = events_process_one(g->r, NULL)) > 0)
        n++;
    assert_int_equal(k, 0);
    return n;
}

static struct events_stats stats(struct rig *g)
{
    struct events_stats s;
    assert_int_equal(events_recorder_get_stats(g->r, &s), 0);
    return s;
}

static const json_t *call(struct rig *g, size_t i)
{
    const json_t *c = json_array_get(g->sink.calls, i);
    assert_non_null(c);
    return c;
}

static const char *call_str(struct rig *g, size_t i, const char *field)
{
    return json_string_value(json_object_get(call(g, i), field));
}

static const json_t *call_body(struct rig *g, size_t i)
{
    return json_object_get(call(g, i), "body");
}

static const char *body_str(const json_t *body, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(body, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_string_value(v);
}

static void test_events_record_creates_event(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "Provisioned", "workflow done"), 0);
    assert_int_equal(stats(&g).queued, 1);
    assert_int_equal(g.sink.calls ? json_array_size(g.sink.calls) : 0, 0); /* nothing yet */
    assert_int_equal(drain(&g), 1);

    assert_int_equal(json_array_size(g.sink.calls), 1);
    assert_string_equal(call_str(&g, 0, "op"), "create");
    assert_string_equal(call_str(&g, 0, "ns"), "default");
    const json_t *ev = call_body(&g, 0);
    assert_string_equal(body_str(ev, "apiVersion", NULL), "v1");
    assert_string_equal(body_str(ev, "kind", NULL), "Event");
    assert_string_equal(body_str(ev, "metadata", "namespace"), "default");
    assert_string_equal(body_str(ev, "metadata", "name"), "sm01.18e9f7fa5394d200");
    assert_string_equal(body_str(ev, "involvedObject", "kind"), "Hardware");
    assert_string_equal(body_str(ev, "involvedObject", "namespace"), "default");
    assert_string_equal(body_str(ev, "involvedObject", "name"), "sm01");
    assert_string_equal(body_str(ev, "involvedObject", "uid"), "3c1e-uid");
    assert_string_equal(body_str(ev, "involvedObject", "apiVersion"), "tinkerbell.org/v1alpha1");
    assert_string_equal(body_str(ev, "involvedObject", "resourceVersion"), "42");
    assert_string_equal(body_str(ev, "reason", NULL), "Provisioned");
    assert_string_equal(body_str(ev, "message", NULL), "workflow done");
    assert_string_equal(body_str(ev, "type", NULL), "Normal");
    assert_string_equal(body_str(ev, "source", "component"), "anvil-controller");
    assert_string_equal(body_str(ev, "source", "host"), "node-1");
    assert_string_equal(body_str(ev, "reportingComponent", NULL), "anvil-controller");
    assert_string_equal(body_str(ev, "reportingInstance", NULL), "node-1");
    assert_string_equal(body_str(ev, "firstTimestamp", NULL), "2026-11-21T05:23:01Z");
    assert_string_equal(body_str(ev, "lastTimestamp", NULL), "2026-11-21T05:23:01Z");
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 1);

    struct events_stats s = stats(&g);
    assert_int_equal(s.recorded, 1);
    assert_int_equal(s.created, 1);
    assert_int_equal(s.queued, 0);
    rig_done(&g);
}

/* Repeats within the window PATCH count and lastTimestamp of one Event. */
static void test_events_repeat_patches_count(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "BootFailed", "no DHCP"), 0);
        fake_advance(&g.clock, 30000);
    }
    assert_int_equal(drain(&g), 5);
    assert_int_equal(json_array_size(g.sink.calls), 5);
    const char *name = call_str(&g, 0, "name");
    for (size_t i = 1; i < 5; i++) {
        assert_string_equal(call_str(&g, i, "op"), "patch");
        assert_string_equal(call_str(&g, i, "name"), name);
        const json_t *p = call_body(&g, i);
        assert_int_equal(json_object_size(p), 2);
        assert_int_equal(json_integer_value(json_object_get(p, "count")), (json_int_t)i + 1);
    }
    /* the Event as stored after the patches */
    _cleanup_free_ char *key = store_key("default", name);
    const json_t *ev = json_object_get(g.sink.events, key);
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 5);
    assert_string_equal(body_str(ev, "firstTimestamp", NULL), "2026-11-21T05:23:01Z");
    assert_string_equal(body_str(ev, "lastTimestamp", NULL), "2026-11-21T05:25:01Z");
    assert_string_equal(body_str(ev, "type", NULL), "Warning");
    struct events_stats s = stats(&g);
    assert_int_equal(s.created, 1);
    assert_int_equal(s.patched, 4);
    rig_done(&g);
}

/* What makes two events "the same": object identity, type, reason and
 * message; not the object's resourceVersion. */
static void test_events_aggregation_key(void **state)
{
    (void)state;
    struct events_ref other_name = hw, other_uid = hw, other_kind = hw, other_ns = hw, new_rv = hw;
    other_name.name = "sm02";
    other_uid.uid = "another-uid";
    other_kind.kind = "Workflow";
    other_ns.namespace_ = "tink";
    new_rv.resource_version = "43";
    const struct {
        const char *name;
        const struct events_ref *ref;
        enum events_type type;
        const char *reason, *message;
        const char *want_op;
    } cases[] = {
            {"same", &hw, EVENTS_NORMAL, "R", "m", "patch"},
            {"new resourceVersion", &new_rv, EVENTS_NORMAL, "R", "m", "patch"},
            {"other type", &hw, EVENTS_WARNING, "R", "m", "create"},
            {"other reason", &hw, EVENTS_NORMAL, "R2", "m", "create"},
            {"other message", &hw, EVENTS_NORMAL, "R", "m2", "create"},
            {"other name", &other_name, EVENTS_NORMAL, "R", "m", "create"},
            {"other uid", &other_uid, EVENTS_NORMAL, "R", "m", "create"},
            {"other kind", &other_kind, EVENTS_NORMAL, "R", "m", "create"},
            {"other namespace", &other_ns, EVENTS_NORMAL, "R", "m", "create"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig g;
        rig_init(&g);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(events_record(g.r, cases[i].ref, cases[i].type, cases[i].reason,
                                       cases[i].message),
                         0);
        assert_int_equal(drain(&g), 2);
        if (strcmp(call_str(&g, 1, "op"), cases[i].want_op) != 0)
            fail_msg("case %s: %s", cases[i].name, call_str(&g, 1, "op"));
        rig_done(&g);
    }
}

/* The window runs from the last repeat: at 10 min it still folds, past it
 * a new Event (new name, count 1) starts. */
static void test_events_window_expiry(void **state)
{
    (void)state;
    static const struct {
        uint64_t gap_ms;
        const char *want_op;
    } cases[] = {
            {600000, "patch"},
            {600001, "create"},
            {1, "patch"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig g;
        rig_init(&g);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(drain(&g), 1);
        fake_advance(&g.clock, cases[i].gap_ms);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(drain(&g), 1);
        assert_string_equal(call_str(&g, 1, "op"), cases[i].want_op);
        if (strcmp(cases[i].want_op, "create") == 0) {
            assert_string_not_equal(call_str(&g, 0, "name"), call_str(&g, 1, "name"));
            assert_int_equal(json_integer_value(json_object_get(call_body(&g, 1), "count")), 1);
        }
        rig_done(&g);
    }
}

/* A steadily repeating event keeps folding as long as each repeat comes
 * within the window of the previous one. */
static void test_events_window_slides(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(drain(&g), 1);
        fake_advance(&g.clock, 300000);
    }
    assert_int_equal(stats(&g).created, 1);
    assert_int_equal(stats(&g).patched, 9);
    rig_done(&g);
}

/* 25 events per object at once, then one per 5 minutes; other objects
 * have their own bucket; repeats are charged too. */
static void test_events_spam_filter(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    char msg[32];
    for (int i = 0; i < 30; i++) {
        snprintf(msg, sizeof(msg), "attempt %d", i);
        assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "Retry", msg), 0);
    }
    struct events_ref other = hw;
    other.name = "sm02";
    other.uid = "uid-2";
    assert_int_equal(events_record(g.r, &other, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 31);
    struct events_stats s = stats(&g);
    assert_int_equal(s.created, 26);
    assert_int_equal(s.dropped_spam, 5);

    /* 299.999 s later: still no token; at 300 s exactly one */
    fake_advance(&g.clock, 299999);
    assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "Retry", "attempt 0"), 0);
    assert_int_equal(drain(&g), 1);
    assert_int_equal(stats(&g).dropped_spam, 6);
    fake_advance(&g.clock, 1);
    assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "Retry", "attempt 0"), 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "Retry", "attempt 0"), 0);
    assert_int_equal(drain(&g), 2);
    s = stats(&g);
    assert_int_equal(s.patched, 1); /* the admitted repeat folds into the first Event */
    assert_int_equal(s.dropped_spam, 7);
    /* a long quiet period refills to the burst, not beyond */
    fake_advance(&g.clock, 86400000);
    for (int i = 0; i < 26; i++)
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "Later", "x"), 0);
    assert_int_equal(drain(&g), 26);
    assert_int_equal(stats(&g).dropped_spam, 8);
    rig_done(&g);
}

static void test_events_queue_overflow(void **state)
{
    (void)state;
    struct rig g;
    rig_init_opts(&g, &(struct events_opts){.queue_size = 3});
    for (int i = 0; i < 3; i++)
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), -ENOBUFS);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), -ENOBUFS);
    struct events_stats s = stats(&g);
    assert_int_equal(s.recorded, 3);
    assert_int_equal(s.dropped_full, 2);
    assert_int_equal(s.queued, 3);
    assert_int_equal(drain(&g), 3);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 1);
    s = stats(&g);
    assert_int_equal(s.created + s.patched, 4);
    rig_done(&g);
}

/* Transport errors are retried after retry_delay_ms with the same name and
 * without charging the spam filter again; the head blocks the queue so
 * order is kept. */
static void test_events_retry_transient(void **state)
{
    (void)state;
    static const int errors[] = {-ECONNREFUSED, -ETIMEDOUT, -EIO, -EAGAIN};
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct rig g;
        rig_init_opts(&g, &(struct events_opts){.spam_burst = 1});
        fake_sink_fail(&g.sink, errors[i]);
        fake_sink_fail(&g.sink, errors[i]);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "first"), 0);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R2", "second"), 0);
        uint64_t wait = 0;
        assert_int_equal(events_process_one(g.r, &wait), 1); /* try 1 fails */
        assert_int_equal(events_process_one(g.r, &wait), 0);
        assert_int_equal(wait, 10000);
        fake_advance(&g.clock, 9999);
        assert_int_equal(events_process_one(g.r, &wait), 0);
        assert_int_equal(wait, 1);
        fake_advance(&g.clock, 1);
        assert_int_equal(events_process_one(g.r, &wait), 1); /* try 2 fails */
        fake_advance(&g.clock, 10000);
        assert_int_equal(events_process_one(g.r, &wait), 1); /* try 3 lands */
        assert_int_equal(json_array_size(g.sink.calls), 3);
        assert_string_equal(call_str(&g, 0, "name"), call_str(&g, 2, "name"));
        assert_int_equal(events_process_one(g.r, &wait), 1); /* the second: spam (burst 1) */
        assert_int_equal(events_process_one(g.r, &wait), 0);
        assert_int_equal(wait, UINT64_MAX);
        struct events_stats s = stats(&g);
        assert_int_equal(s.retries, 2);
        assert_int_equal(s.created, 1);
        assert_int_equal(s.dropped_spam, 1);
        rig_done(&g);
    }
}

static void test_events_retry_exhausted(void **state)
{
    (void)state;
    struct rig g;
    rig_init_opts(&g, &(struct events_opts){.max_tries = 3, .retry_delay_ms = 5});
    for (int i = 0; i < 5; i++)
        fake_sink_fail(&g.sink, -ETIMEDOUT);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(events_process_one(g.r, NULL), 1);
        fake_advance(&g.clock, 5);
    }
    assert_int_equal(events_process_one(g.r, NULL), 0);
    struct events_stats s = stats(&g);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.retries, 2);
    assert_int_equal(s.queued, 0);
    assert_int_equal(json_array_size(g.sink.calls), 3);
    rig_done(&g);
}

/* The API refusing an Event is final (client-go does not retry those). */
static void test_events_permanent_error(void **state)
{
    (void)state;
    static const int errors[] = {-EINVAL, -EACCES, -EEXIST, -ENOENT, -ESTALE, -ECANCELED};
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct rig g;
        rig_init(&g);
        fake_sink_fail(&g.sink, errors[i]);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(drain(&g), 1);
        struct events_stats s = stats(&g);
        assert_int_equal(s.failed, 1);
        assert_int_equal(s.retries, 0);
        assert_int_equal(json_array_size(g.sink.calls), 1);
        /* a failed Event is not remembered: the repeat creates */
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
        assert_int_equal(drain(&g), 1);
        assert_string_equal(call_str(&g, 1, "op"), "create");
        rig_done(&g);
    }
}

/* A create whose answer was lost but which landed: the retry's -EEXIST on
 * its own name counts as success, and the next repeat patches it. */
static void test_events_retry_create_already_exists(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    g.sink.create_lands = true;
    fake_sink_fail(&g.sink, -ETIMEDOUT);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(events_process_one(g.r, NULL), 1);
    fake_advance(&g.clock, 10000);
    assert_int_equal(events_process_one(g.r, NULL), 1);
    assert_int_equal(json_integer_value(json_object_get(call(&g, 1), "result")), -EEXIST);
    assert_int_equal(stats(&g).created, 1);
    assert_int_equal(stats(&g).failed, 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 1);
    assert_string_equal(call_str(&g, 2, "op"), "patch");
    rig_done(&g);
}

/* The Event was deleted meanwhile: the repeat re-creates it under the same
 * name with the running count and the first timestamp. */
static void test_events_patch_not_found_recreates(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 1);
    json_object_clear(g.sink.events);
    fake_advance(&g.clock, 61000);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 1);
    assert_int_equal(json_array_size(g.sink.calls), 3);
    assert_string_equal(call_str(&g, 1, "op"), "patch");
    assert_string_equal(call_str(&g, 2, "op"), "create");
    assert_string_equal(call_str(&g, 2, "name"), call_str(&g, 0, "name"));
    const json_t *ev = call_body(&g, 2);
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 2);
    assert_string_equal(body_str(ev, "firstTimestamp", NULL), "2026-11-21T05:23:01Z");
    assert_string_equal(body_str(ev, "lastTimestamp", NULL), "2026-11-21T05:24:02Z");
    assert_int_equal(stats(&g).created, 2);
    rig_done(&g);
}

static void test_events_record_invalid(void **state)
{
    (void)state;
    char *long_field = malloc(EVENTS_MAX_REF_FIELD + 2);
    assert_non_null(long_field);
    memset(long_field, 'a', EVENTS_MAX_REF_FIELD + 1);
    long_field[EVENTS_MAX_REF_FIELD + 1] = '\0';
    char long_reason[EVENTS_MAX_REASON + 2];
    memset(long_reason, 'R', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';

    struct events_ref no_kind = hw, empty_name = hw, no_name = hw, long_uid = hw, bad_utf8 = hw;
    no_kind.kind = NULL;
    empty_name.name = "";
    no_name.name = NULL;
    long_uid.uid = long_field;
    bad_utf8.namespace_ = "caf\xc3";
    const struct {
        const char *name;
        const struct events_ref *ref;
        int type;
        const char *reason, *message;
    } cases[] = {
            {"NULL ref", NULL, EVENTS_NORMAL, "R", "m"},
            {"no kind", &no_kind, EVENTS_NORMAL, "R", "m"},
            {"empty name", &empty_name, EVENTS_NORMAL, "R", "m"},
            {"no name", &no_name, EVENTS_NORMAL, "R", "m"},
            {"ref field too long", &long_uid, EVENTS_NORMAL, "R", "m"},
            {"ref not UTF-8", &bad_utf8, EVENTS_NORMAL, "R", "m"},
            {"type out of range", &hw, _EVENTS_TYPE_MAX, "R", "m"},
            {"negative type", &hw, -1, "R", "m"},
            {"NULL reason", &hw, EVENTS_NORMAL, NULL, "m"},
            {"empty reason", &hw, EVENTS_NORMAL, "", "m"},
            {"reason too long", &hw, EVENTS_NORMAL, long_reason, "m"},
            {"reason not UTF-8", &hw, EVENTS_NORMAL, "R\xff", "m"},
            {"message not UTF-8", &hw, EVENTS_NORMAL, "R", "bad \xe2\x82 seq"},
    };
    struct rig g;
    rig_init(&g);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int k = events_record(g.r, cases[i].ref, (enum events_type)cases[i].type,
                              cases[i].reason, cases[i].message);
        if (k != -EINVAL)
            fail_msg("case %s: %d", cases[i].name, k);
    }
    assert_int_equal(events_record(NULL, &hw, EVENTS_NORMAL, "R", "m"), -EINVAL);
    struct events_stats s = stats(&g);
    assert_int_equal(s.recorded, 0);
    assert_int_equal(s.queued, 0);
    /* a NULL message is an empty one; a reason of exactly the limit is fine */
    long_reason[EVENTS_MAX_REASON] = '\0';
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, long_reason, NULL), 0);
    assert_int_equal(drain(&g), 1);
    assert_string_equal(body_str(call_body(&g, 0), "message", NULL), "");
    free(long_field);
    rig_done(&g);
}

static void test_events_message_truncated(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        size_t euro_at; /* a 3-byte "€" written here, or SIZE_MAX */
        size_t want;
    } cases[] = {
            {1024, SIZE_MAX, 1024},
            {1025, SIZE_MAX, 1024},
            {5000, SIZE_MAX, 1024},
            {2000, 1022, 1022}, /* "€" at 1022..1024 straddles the cut */
            {2000, 1021, 1024}, /* "€" at 1021..1023 fits exactly */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct rig g;
        rig_init(&g);
        char *msg = malloc(cases[i].len + 1);
        assert_non_null(msg);
        memset(msg, 'm', cases[i].len);
        msg[cases[i].len] = '\0';
        if (cases[i].euro_at != SIZE_MAX)
            memcpy(msg + cases[i].euro_at, "\xe2\x82\xac", 3);
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", msg), 0);
        assert_int_equal(drain(&g), 1);
        const char *sent = body_str(call_body(&g, 0), "message", NULL);
        assert_int_equal(strlen(sent), cases[i].want);
        free(msg);
        rig_done(&g);
    }
}

static void test_events_cluster_scoped_object(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    struct events_ref node = {.api_version = "v1", .kind = "Node", .name = "n1", .uid = "u"};
    assert_int_equal(events_record(g.r, &node, EVENTS_NORMAL, "R", "m"), 0);
    node.namespace_ = "";
    assert_int_equal(events_record(g.r, &node, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(drain(&g), 2);
    assert_string_equal(call_str(&g, 0, "ns"), "default");
    assert_null(body_str(call_body(&g, 0), "involvedObject", "namespace"));
    assert_string_equal(call_str(&g, 1, "op"), "patch"); /* NULL and "" are the same object */
    rig_done(&g);
}

static void test_events_names(void **state)
{
    (void)state;
    char name253[254];
    memset(name253, 'a', 253);
    name253[253] = '\0';
    name253[235] = '-'; /* the cut lands right after a '-': it is dropped */
    static const char *const objects[] = {"sm01", NULL};
    for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
        struct rig g;
        rig_init(&g);
        struct events_ref ref = hw;
        ref.name = objects[i] ? objects[i] : name253;
        /* three different events in the same clock tick */
        assert_int_equal(events_record(g.r, &ref, EVENTS_NORMAL, "A", "m"), 0);
        assert_int_equal(events_record(g.r, &ref, EVENTS_NORMAL, "B", "m"), 0);
        assert_int_equal(events_record(g.r, &ref, EVENTS_NORMAL, "C", "m"), 0);
        assert_int_equal(drain(&g), 3);
        for (size_t c = 0; c < 3; c++) {
            const char *n = call_str(&g, c, "name");
            assert_true(strlen(n) <= EVENTS_NAME_MAX);
            const char *dot = strrchr(n, '.');
            assert_non_null(dot);
            assert_int_equal(strlen(dot + 1), 16);
            if (!objects[i]) {
                assert_int_equal(dot - n, 235);
                assert_int_not_equal(dot[-1], '-');
            } else
                assert_int_equal(strncmp(n, "sm01.", 5), 0);
        }
        assert_string_not_equal(call_str(&g, 0, "name"), call_str(&g, 1, "name"));
        assert_string_not_equal(call_str(&g, 1, "name"), call_str(&g, 2, "name"));
        rig_done(&g);
    }
}

static void test_events_ref_from_object(void **state)
{
    (void)state;
    _cleanup_json_ json_t *obj = json_loads(
            "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Workflow\",\"metadata\":"
            "{\"name\":\"wf\",\"namespace\":\"tink\",\"uid\":\"u-1\",\"resourceVersion\":\"7\"}}",
            0, NULL);
    assert_non_null(obj);
    struct events_ref ref;
    assert_int_equal(events_ref_from_object(obj, &ref), 0);
    assert_string_equal(ref.api_version, "tinkerbell.org/v1alpha1");
    assert_string_equal(ref.kind, "Workflow");
    assert_string_equal(ref.namespace_, "tink");
    assert_string_equal(ref.name, "wf");
    assert_string_equal(ref.uid, "u-1");
    assert_string_equal(ref.resource_version, "7");

    static const char *const bad[] = {
            "[]",
            "{\"metadata\":{\"name\":\"x\"}}",                    /* no kind */
            "{\"kind\":\"\",\"metadata\":{\"name\":\"x\"}}",      /* empty kind */
            "{\"kind\":\"K\"}",                                   /* no metadata */
            "{\"kind\":\"K\",\"metadata\":{\"name\":\"\"}}",      /* empty name */
            "{\"kind\":\"K\",\"metadata\":{\"name\":3}}",         /* name not a string */
            "{\"kind\":7,\"metadata\":{\"name\":\"x\"}}",         /* kind not a string */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        _cleanup_json_ json_t *b = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(b);
        if (events_ref_from_object(b, &ref) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(events_ref_from_object(NULL, &ref), -EINVAL);
    /* optional fields of the wrong type are left out */
    _cleanup_json_ json_t *odd = json_loads(
            "{\"kind\":\"K\",\"apiVersion\":1,\"metadata\":{\"name\":\"x\",\"uid\":[]}}", 0, NULL);
    assert_int_equal(events_ref_from_object(odd, &ref), 0);
    assert_null(ref.api_version);
    assert_null(ref.uid);
    assert_null(ref.namespace_);
}

static void test_events_stop(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    /* no thread: nothing is delivered, two are left */
    assert_int_equal(events_recorder_stop(g.r, 1000), 2);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), -ESHUTDOWN);
    assert_int_equal(events_recorder_start(g.r), -EBUSY);
    assert_int_equal(events_recorder_stop(g.r, 0), 2);
    rig_done(&g);
}

/* The thread delivers, and stop drains what is queued. */
static void test_events_thread_drains(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    assert_int_equal(events_recorder_start(g.r), 0);
    assert_int_equal(events_recorder_start(g.r), -EBUSY);
    for (int i = 0; i < 5; i++)
        assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_WARNING, "Other", "m"), 0);
    assert_int_equal(events_recorder_stop(g.r, 60000), 0);
    struct events_stats s = stats(&g);
    assert_int_equal(s.created, 2);
    assert_int_equal(s.patched, 4);
    assert_int_equal(s.queued, 0);
    rig_done(&g);
}

/* A drain that would have to wait for a retry ends at its deadline. */
static void test_events_stop_drain_deadline(void **state)
{
    (void)state;
    struct rig g;
    rig_init_opts(&g, &(struct events_opts){.retry_delay_ms = 3600000});
    fake_sink_fail(&g.sink, -ECONNREFUSED);
    assert_int_equal(events_recorder_start(g.r), 0);
    assert_int_equal(events_record(g.r, &hw, EVENTS_NORMAL, "R", "m"), 0);
    assert_int_equal(events_recorder_stop(g.r, 50), 1);
    rig_done(&g);
}

static void test_events_new_invalid(void **state)
{
    (void)state;
    static const struct events_clock half_clock = {.now_ms = fake_now_ms};
    char long_name[EVENTS_MAX_REF_FIELD + 2];
    memset(long_name, 'c', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    const struct events_opts bad[] = {
            {.component = NULL},
            {.component = ""},
            {.component = long_name},
            {.component = "c", .instance = long_name},
            {.component = "caf\xc3"},
            {.component = "c", .instance = "\xff"},
            {.component = "c", .clock = &half_clock},
            {.component = "c", .queue_size = EVENTS_LIMIT_ENTRIES + 1},
            {.component = "c", .cache_size = EVENTS_LIMIT_ENTRIES + 1},
            {.component = "c", .spam_burst = EVENTS_LIMIT_BURST + 1},
            {.component = "c", .spam_refill_ms = EVENTS_LIMIT_MS + 1},
            {.component = "c", .aggregate_window_ms = EVENTS_LIMIT_MS + 1},
            {.component = "c", .retry_delay_ms = EVENTS_LIMIT_MS + 1},
            {.component = "c", .max_tries = EVENTS_LIMIT_TRIES + 1},
    };
    struct fake_sink s;
    assert_int_equal(fake_sink_init(&s), 0);
    struct events_sink sink = fake_sink_ops(&s);
    struct events_recorder *r = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (events_recorder_new(&r, &sink, &bad[i]) != -EINVAL)
            fail_msg("case %zu accepted", i);
        assert_null(r);
    }
    struct events_sink no_patch = sink;
    no_patch.patch = NULL;
    assert_int_equal(events_recorder_new(&r, &no_patch, &(struct events_opts){.component = "c"}),
                     -EINVAL);
    assert_int_equal(events_recorder_new(&r, &sink, NULL), -EINVAL);
    /* defaults, with the hostname as instance */
    assert_int_equal(events_recorder_new(&r, &sink, &(struct events_opts){.component = "c"}), 0);
    assert_non_null(r->instance);
    assert_int_equal(r->queue_size, 1000);
    assert_int_equal(r->spam_burst, 25);
    assert_int_equal(r->spam_refill_ms, 300000);
    assert_int_equal(r->window_ms, 600000);
    /* both caches hold 1024 entries by default, then evict */
    for (unsigned i = 0; i < 1100; i++) {
        char key[16];
        void *v;
        snprintf(key, sizeof(key), "k%u", i);
        assert_int_equal(events_cache_put(r->seen, key, &v), 1);
        assert_int_equal(events_cache_put(r->spam, key, &v), 1);
    }
    assert_int_equal(events_cache_size(r->seen), 1024);
    assert_int_equal(events_cache_size(r->spam), 1024);
    r = events_recorder_free(r);
    assert_null(events_recorder_free(NULL));
    assert_int_equal(events_recorder_start(NULL), -EINVAL);
    assert_int_equal(events_recorder_stop(NULL, 0), -EINVAL);
    assert_int_equal(events_recorder_get_stats(NULL, &(struct events_stats){0}), -EINVAL);
    fake_sink_done(&s);
}

static void test_events_recordf(void **state)
{
    (void)state;
    struct rig g;
    rig_init(&g);
    assert_int_equal(events_recordf(g.r, &hw, EVENTS_NORMAL, "Step", "action %s took %d s",
                                    "stream-image", 42),
                     0);
    char big[3000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(events_recordf(g.r, &hw, EVENTS_NORMAL, "Big", "%s%s", big, big), 0);
    assert_int_equal(drain(&g), 2);
    assert_string_equal(body_str(call_body(&g, 0), "message", NULL),
                        "action stream-image took 42 s");
    assert_int_equal(strlen(body_str(call_body(&g, 1), "message", NULL)), EVENTS_MAX_MESSAGE);
    rig_done(&g);
}

static void test_events_format_time(void **state)
{
    (void)state;
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
            {T0_WALL_NS, "2026-11-21T05:23:01Z"},
            {T0_WALL_NS + 999999999, "2026-11-21T05:23:01Z"},
            {-1, "1970-01-01T00:00:00Z"},
            {INT64_MAX, "2262-04-11T23:47:16Z"},
    };
    char buf[EVENTS_TIME_SIZE];
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(events_format_time(cases[i].ns, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].want);
    }
    assert_int_equal(events_format_time(0, buf, EVENTS_TIME_SIZE - 1), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_events_record_creates_event),
            cmocka_unit_test(test_events_repeat_patches_count),
            cmocka_unit_test(test_events_aggregation_key),
            cmocka_unit_test(test_events_window_expiry),
            cmocka_unit_test(test_events_window_slides),
            cmocka_unit_test(test_events_spam_filter),
            cmocka_unit_test(test_events_queue_overflow),
            cmocka_unit_test(test_events_retry_transient),
            cmocka_unit_test(test_events_retry_exhausted),
            cmocka_unit_test(test_events_permanent_error),
            cmocka_unit_test(test_events_retry_create_already_exists),
            cmocka_unit_test(test_events_patch_not_found_recreates),
            cmocka_unit_test(test_events_record_invalid),
            cmocka_unit_test(test_events_message_truncated),
            cmocka_unit_test(test_events_cluster_scoped_object),
            cmocka_unit_test(test_events_names),
            cmocka_unit_test(test_events_ref_from_object),
            cmocka_unit_test(test_events_stop),
            cmocka_unit_test(test_events_thread_drains),
            cmocka_unit_test(test_events_stop_drain_deadline),
            cmocka_unit_test(test_events_new_invalid),
            cmocka_unit_test(test_events_recordf),
            cmocka_unit_test(test_events_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
