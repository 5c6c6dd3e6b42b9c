/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a script of recorder operations decoded from the input
 * (record one of a few events about a few objects, advance the clock, run
 * the consumer, make the sink fail or lose Events) against the recorder
 * with a fake sink and clock. Checked after every step:
 *   - accounting: recorded = dropped_spam + created + patched + failed +
 *     queued, and queued never exceeds the queue size;
 *   - a successful patch raises the stored Event's count by exactly one
 *     (no repeat is counted twice or lost), or, once a create has failed
 *     in transit but landed, never lowers it;
 *   - a create carries a count >= 1 and only succeeds on a free name;
 *   - after the script, every queued event settles (no event is stuck).
 *
 * Input: byte 0 picks the options, then one operation per byte followed by
 * its argument byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events/events-test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz-events-ops: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                    \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define N_OBJECTS 3

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint8_t next_byte(struct cursor *c)
{
    if (c->left == 0)
        return 0;
    c->left--;
    return *c->p++;
}

static const struct events_ref objects[N_OBJECTS] = {
        {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "ns", .name = "a", .uid = "1"},
        {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "ns", .name = "b", .uid = "2"},
        {.api_version = "v1", .kind = "Node", .name = "n", .uid = "3"},
};
static const char *const reasons[] = {"Started", "Failed", "Retry"};
static const char *const messages[] = {"", "m1", "m2", "a longer message"};
static const int sink_errors[] = {-ETIMEDOUT, -ECONNREFUSED, -EIO, -EAGAIN,
                                  -EINVAL,    -EACCES,       -ENOENT};

struct harness {
    struct fake_sink sink;
    size_t calls_seen;
    bool lossy; /* a create failed in transit but landed */
};

/* Checks every sink call made since the last look, against the count the
 * fake store held under that name before the call. */
static void check_calls(struct harness *h)
{
    for (; h->calls_seen < json_array_size(h->sink.calls); h->calls_seen++) {
        const json_t *c = json_array_get(h->sink.calls, h->calls_seen);
        const char *op = json_string_value(json_object_get(c, "op"));
        int result = (int)json_integer_value(json_object_get(c, "result"));
        json_int_t prev = json_integer_value(json_object_get(c, "prev"));
        json_int_t count = json_integer_value(json_object_get(json_object_get(c, "body"), "count"));
        if (strcmp(op, "patch") == 0) {
            CHECK(json_object_size(json_object_get(c, "body")) == 2);
            /* A create that landed although the recorder gave up on it
             * leaves the next repeat one behind; counts still never go
             * back. Without such losses every repeat counts exactly. */
            if (result == 0 && h->lossy)
                CHECK(count >= prev);
            else if (result == 0)
                CHECK(count == prev + 1);
        } else {
            if (h->sink.create_lands && events_error_is_transient(result))
                h->lossy = true;
            CHECK(count >= 1);
            if (result == 0)
                CHECK(prev == -1);
        }
    }
}

static void check_stats(struct events_recorder *r, size_t queue_size)
{
    struct events_stats s;
    CHECK(events_recorder_get_stats(r, &s) == 0);
    CHECK(s.queued <= queue_size);
    CHECK(s.recorded == s.dropped_spam + s.created + s.patched + s.failed + s.queued);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor cur = {data, size};
    struct fake_clock clk = {.now_ms = 1000000, .wall_ns = INT64_C(1795238581000000000)};
    struct harness h = {0};
    CHECK(fake_sink_init(&h.sink) == 0);

    uint8_t cfg = next_byte(&cur);
    struct events_opts o = {
            .component = "fuzz",
            .instance = "i",
            .clock = &(struct events_clock){.now_ms = fake_now_ms,
                                            .wall_ns = fake_wall_ns,
                                            .userdata = &clk},
            .queue_size = 1 + cfg % 8,
            .spam_burst = 1 + (cfg >> 3) % 4,
            .spam_refill_ms = 1000,
            .aggregate_window_ms = 5000,
            .cache_size = 1 + (cfg >> 5) % 4,
            .max_tries = 3,
            .retry_delay_ms = 100,
    };
    struct events_sink ops = fake_sink_ops(&h.sink);
    struct events_recorder *r = NULL;
    CHECK(events_recorder_new(&r, &ops, &o) == 0);

    while (cur.left > 0) {
        uint8_t op = next_byte(&cur), arg = next_byte(&cur);
        switch (op % 7) {
        case 0:
        case 1: {
            const struct events_ref *obj = &objects[arg % N_OBJECTS];
            int k = events_record(r, obj, (arg >> 2) & 1 ? EVENTS_WARNING : EVENTS_NORMAL,
                                  reasons[(arg >> 3) % 3], messages[(arg >> 5) % 4]);
            CHECK(k == 0 || k == -ENOBUFS);
            break;
        }
        case 2:
            fake_advance(&clk, (uint64_t)arg * 10u);
            break;
        case 3:
            for (int i = 0; i < 1 + arg % 4; i++)
                if (events_process_one(r, NULL) <= 0)
                    break;
            break;
        case 4:
            fake_sink_fail(&h.sink, sink_errors[arg % (sizeof(sink_errors) / sizeof(int))]);
            break;
        case 5:
            /* Events disappear from the store (TTL, someone deleted them) */
            json_object_clear(h.sink.events);
            break;
        default:
            h.sink.create_lands = arg & 1;
            fake_advance(&clk, (uint64_t)arg * 1000u);
            break;
        }
        check_calls(&h);
        check_stats(r, o.queue_size);
    }
    /* drain what is left: every event settles within max_tries rounds */
    for (int round = 0; round < 1000; round++) {
        uint64_t wait = 0;
        while (events_process_one(r, &wait) > 0)
            check_calls(&h);
        if (wait == UINT64_MAX)
            break;
        fake_advance(&clk, wait);
    }
    check_stats(r, o.queue_size);
    struct events_stats s;
    CHECK(events_recorder_get_stats(r, &s) == 0);
    CHECK(s.queued == 0);
    events_recorder_free(r);
    fake_sink_done(&h.sink);
    return 0;
}
