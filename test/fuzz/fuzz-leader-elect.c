/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: two electors on one fake Lease store and one fake clock,
 * driven by a script decoded from the input (clock steps, rounds of either
 * elector, foreign writers, deletions, metadata edits, injected API errors,
 * releases). Checked after every step:
 *   - safety: nobody takes the Lease from a non-empty foreign holder
 *     before that holder's record has been unchanged for its
 *     leaseDurationSeconds (the store knows when it last changed; an
 *     elector can only have seen the change later);
 *   - a leader steps down in time: an elector that is leading after its
 *     own round has written the Lease successfully within the renew
 *     deadline;
 *   - started/stopped callbacks alternate.
 *
 * Input: byte 0 picks the timing configuration, then one operation per
 * byte followed by its argument byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leader/leader-test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz-leader-elect: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                      \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

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

/* One candidate's view of the store, checking its writes. */
struct candidate {
    const char *id;
    struct fake_store *store;
    struct fake_clock *clock;
    struct fake_events ev;
    struct lease_elector *e;
    bool wrote;
    uint64_t last_write_ms;
};

static int w_get(void *userdata, struct lease_record *ret)
{
    struct candidate *c = userdata;
    return fake_get(c->store, ret);
}

static void note_write(struct candidate *c, const struct lease_record *rec)
{
    if (strcmp(rec->holder_identity, c->id) == 0) {
        c->wrote = true;
        c->last_write_ms = c->clock->now_ms;
    }
}

static int w_create(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    struct candidate *c = userdata;
    int r = fake_create(c->store, rec, ret_rv);
    if (r == 0)
        note_write(c, rec);
    return r;
}

static int w_update(void *userdata, const struct lease_record *rec, char **ret_rv)
{
    struct candidate *c = userdata;
    struct fake_store *s = c->store;
    char cur[32];
    snprintf(cur, sizeof(cur), "%llu", (unsigned long long)s->version);
    bool would_apply = s->exists && strcmp(cur, rec->resource_version) == 0 &&
                       !(s->fail_update != 0);
    if (would_apply && *s->rec.holder_identity && strcmp(s->rec.holder_identity, c->id) != 0 &&
        strcmp(rec->holder_identity, c->id) == 0) {
        /* a takeover from a foreign holder */
        uint64_t age = c->clock->now_ms - s->modified_ms;
        CHECK(age >= (uint64_t)s->rec.lease_duration_seconds * 1000u);
    }
    int r = fake_update(s, rec, ret_rv);
    if (r == 0)
        note_write(c, rec);
    return r;
}

static const struct {
    uint64_t dur, renew, retry;
} configs[] = {
        {15000, 10000, 2000},
        {3000, 2000, 1000},
        {60000, 40000, 5000},
};

static const int errors[] = {0, -EIO, -ETIMEDOUT, -ECONNREFUSED, -ECANCELED, -EBADMSG, -ENOENT,
                             -EEXIST};

static void new_candidate(struct candidate *c, const char *id, struct fake_store *s,
                          struct fake_clock *clk, size_t cfg)
{
    *c = (struct candidate){.id = id, .store = s, .clock = clk};
    struct lease_lock lock = {.get = w_get, .create = w_create, .update = w_update, .userdata = c};
    struct lease_opts o = {
            .identity = id,
            .lease_duration_ms = configs[cfg].dur,
            .renew_deadline_ms = configs[cfg].renew,
            .retry_period_ms = configs[cfg].retry,
            .clock = &(struct lease_clock){.now_ms = fake_now_ms,
                                           .wall_us = fake_wall_us,
                                           .userdata = clk},
            .callbacks = &(struct lease_callbacks){.started_leading = on_started,
                                                   .stopped_leading = on_stopped,
                                                   .new_leader = on_new_leader,
                                                   .userdata = &c->ev},
    };
    CHECK(lease_new(&c->e, &lock, &o) == 0);
}

static void after_round(struct candidate *c)
{
    CHECK(!c->ev.order_broken);
    if (lease_is_leader(c->e)) {
        CHECK(c->wrote);
        CHECK(c->clock->now_ms - c->last_write_ms < c->e->renew_deadline_ms);
        CHECK(c->ev.started == c->ev.stopped + 1);
    } else
        CHECK(c->ev.started == c->ev.stopped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor cur = {data, size};
    struct fake_clock clk = {.now_ms = 1000000, .wall_us = INT64_C(1795238581000000)};
    struct fake_store store = {.now_ms = &clk.now_ms};
    struct candidate a, b;
    unsigned foreign_writes = 0;
    size_t cfg = next_byte(&cur) % (sizeof(configs) / sizeof(configs[0]));
    new_candidate(&a, "a", &store, &clk, cfg);
    new_candidate(&b, "b", &store, &clk, cfg);

    while (cur.left > 0) {
        uint8_t op = next_byte(&cur), arg = next_byte(&cur);
        struct candidate *c = (op & 0x80) ? &b : &a;
        switch (op % 11) {
        case 0:
            fake_advance(&clk, (uint64_t)arg * 100u);
            break;
        case 1:
        case 2:
            (void)lease_tick(c->e, NULL);
            after_round(c);
            break;
        case 3: {
            /* every foreign write changes the spec, as a real renewal's
             * renewTime does */
            char renew[32];
            snprintf(renew, sizeof(renew), "foreign-%u", ++foreign_writes);
            CHECK(store_put_foreign(&store, (arg & 1) ? "x" : "", arg % 40, renew, arg) == 0);
            break;
        }
        case 4: {
            int err = errors[arg % (sizeof(errors) / sizeof(errors[0]))];
            if (arg & 0x10)
                store.fail_get = err;
            if (arg & 0x20)
                store.fail_create = err;
            if (arg & 0x40)
                store.fail_update = err;
            store.sticky = (arg & 0x80) != 0;
            break;
        }
        case 5:
            store.fail_get = store.fail_create = store.fail_update = 0;
            store.sticky = false;
            break;
        case 6:
            store.exists = false;
            break;
        case 7:
            store.version++;
            break;
        case 8: {
            int r = lease_release(c->e);
            CHECK(r <= 0);
            CHECK(!lease_is_leader(c->e));
            after_round(c);
            break;
        }
        case 9:
            fake_advance(&clk, (uint64_t)arg * 1000u);
            break;
        default:
            CHECK(lease_stop(c->e) == 0);
            CHECK(!lease_is_leader(c->e));
            after_round(c);
            break;
        }
    }
    lease_free(a.e);
    lease_free(b.e);
    store_done(&store);
    return 0;
}
