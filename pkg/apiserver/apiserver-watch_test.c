/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watch fan-out without a transport: watchers registered on a server with no
 * store (revision 0, so nothing is replayed), events fed straight to the store
 * subscriber, sinks that count their wake-ups.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/apiserver-internal.h"
#include "apistore/apistore.h"
#include "selector/selector.h"

struct counting_sink {
    int wakes;
    int visits;
};

static int count_wake(void *ctx)
{
    struct counting_sink *c = ctx;
    c->wakes++;
    return 0;
}

static void count_visit(void *ctx, struct api_watcher *w, void *userdata)
{
    struct counting_sink *c = ctx;
    int *total = userdata;
    assert_non_null(w);
    c->visits++;
    (*total)++;
}

/* A Hardware watch: all namespaces, optionally one name. */
static struct api_watch_spec *hw_spec(const char *store_key, const char *fields)
{
    struct api_watch_spec *sp = calloc(1, sizeof(*sp));
    assert_non_null(sp);
    sp->store_key = strdup(store_key);
    sp->api_version = strdup("tinkerbell.org/v1alpha1");
    sp->kind = strdup("Hardware");
    sp->raw_ok = true;
    sp->timeout_sec = 60;
    if (fields)
        assert_int_equal(field_selector_parse(fields, &sp->fields, NULL), 0);
    return sp;
}

static const char *queued(struct api_watcher *w)
{
    struct buf *q = api_watcher_queue(w);
    assert_int_equal(buf_append(q, "", 1), 0); /* NUL for the comparison */
    q->len--;
    return q->data;
}

static void test_api_watchers_on_event_wakes_matching_only(void **state)
{
    (void)state;
    struct apiserver s = {0};
    assert_int_equal(api_watchers_new(&s.watchers), 0);
    static const struct {
        const char *store_key, *fields;
    } specs[] = {
            {"tinkerbell.org/hardware", NULL},
            {"tinkerbell.org/hardware", "metadata.name=hw1"},
            {"/secrets", NULL},
    };
    struct counting_sink sinks[3] = {0};
    struct api_watcher *ws[3];
    for (size_t i = 0; i < 3; i++) {
        struct api_watch_sink sink = {.ctx = &sinks[i], .wake = count_wake};
        assert_int_equal(
                api_watcher_start(&s, hw_spec(specs[i].store_key, specs[i].fields), &sink, &ws[i]),
                0);
        assert_int_equal(api_watcher_queue(ws[i])->len, 0); /* revision 0: no replay */
    }
    assert_int_equal(api_watchers_count(s.watchers), 3);

    static const char body2[] = "{\"metadata\":{\"name\":\"hw2\",\"resourceVersion\":\"5\"}}";
    struct apistore_row row = {.res = "tinkerbell.org/hardware",
                               .ns = "default",
                               .name = "hw2",
                               .rev = 5,
                               .type = APISTORE_MODIFIED,
                               .labels = "{}",
                               .body = body2,
                               .body_len = strlen(body2)};
    assert_int_equal(api_watchers_on_event(&row, s.watchers), 0);
    assert_int_equal(sinks[0].wakes, 1);
    assert_int_equal(sinks[1].wakes, 0);
    assert_int_equal(sinks[2].wakes, 0);
    assert_string_equal(queued(ws[0]),
                        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"hw2\","
                        "\"resourceVersion\":\"5\"}}}\n");
    assert_int_equal(api_watcher_queue(ws[1])->len, 0);

    static const char body1[] = "{\"metadata\":{\"name\":\"hw1\",\"resourceVersion\":\"6\"}}";
    row.name = "hw1";
    row.rev = 6;
    row.type = APISTORE_DELETED;
    row.body = body1;
    row.body_len = strlen(body1);
    assert_int_equal(api_watchers_on_event(&row, s.watchers), 0);
    assert_int_equal(sinks[0].wakes, 2);
    assert_int_equal(sinks[1].wakes, 1);
    assert_int_equal(sinks[2].wakes, 0);
    assert_string_equal(queued(ws[1]),
                        "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"hw1\","
                        "\"resourceVersion\":\"6\"}}}\n");
    /* Two events queue back to back, in order, for a writer to send in one chunk. */
    const char *q0 = queued(ws[0]);
    const char *second = strchr(q0, '\n');
    assert_non_null(second);
    assert_non_null(strstr(second + 1, "\"type\":\"DELETED\""));

    for (size_t i = 0; i < 3; i++)
        api_watcher_stop(&s, ws[i]);
    assert_int_equal(api_watchers_count(s.watchers), 0);
    api_watchers_free(s.watchers);
}

static void test_api_watchers_foreach_visits_each_once(void **state)
{
    (void)state;
    struct apiserver s = {0};
    assert_int_equal(api_watchers_new(&s.watchers), 0);
    struct counting_sink sinks[4] = {0};
    struct api_watcher *ws[4];
    int total = 0;
    /* An empty set and a NULL set visit nothing. */
    api_watchers_foreach(s.watchers, count_visit, &total);
    api_watchers_foreach(NULL, count_visit, &total);
    assert_int_equal(total, 0);
    for (size_t i = 0; i < 4; i++) {
        struct api_watch_sink sink = {.ctx = &sinks[i], .wake = count_wake};
        assert_int_equal(
                api_watcher_start(&s, hw_spec("tinkerbell.org/hardware", NULL), &sink, &ws[i]), 0);
    }
    /* Stopping one in the middle leaves the others linked. */
    api_watcher_stop(&s, ws[1]);
    api_watchers_foreach(s.watchers, count_visit, &total);
    assert_int_equal(total, 3);
    assert_int_equal(sinks[0].visits, 1);
    assert_int_equal(sinks[1].visits, 0);
    assert_int_equal(sinks[2].visits, 1);
    assert_int_equal(sinks[3].visits, 1);
    /* A bookmark is queued only when asked for, and wakes the sink. */
    assert_int_equal(api_watcher_bookmark(&s, ws[0]), 0);
    assert_int_equal(api_watcher_queue(ws[0])->len, 0);
    assert_int_equal(sinks[0].wakes, 0);
    struct counting_sink bsink = {0};
    struct api_watch_sink sink = {.ctx = &bsink, .wake = count_wake};
    struct api_watch_spec *sp = hw_spec("tinkerbell.org/hardware", NULL);
    sp->bookmarks = true;
    struct api_watcher *bw;
    assert_int_equal(api_watcher_start(&s, sp, &sink, &bw), 0);
    assert_int_equal(api_watcher_bookmark(&s, bw), 0);
    assert_int_equal(bsink.wakes, 1);
    assert_string_equal(queued(bw), "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Hardware\","
                                    "\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"metadata\":"
                                    "{\"resourceVersion\":\"0\"}}}\n");
    api_watchers_free(s.watchers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_api_watchers_on_event_wakes_matching_only),
            cmocka_unit_test(test_api_watchers_foreach_visits_each_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
