/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watch-stream line splitter and event decoding: a multi-event stream
 * fed split at every byte boundary, one byte at a time and in seeded random
 * chunkings must give the same lines; over-long lines fail with -E2BIG
 * wherever the chunk boundaries fall; every event type decodes and every
 * malformed shape is -EBADMSG; the watch state turns ERROR events into
 * errnos without calling the callback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

/* ---------------------------------------------------------------- helpers */

#define MAX_LINES 64

struct collected {
    char *lines[MAX_LINES];
    size_t n;
    int fail_at; /* return -EPIPE on this line (1-based), 0 never */
};

static int collect_line(const char *line, size_t len, void *userdata)
{
    struct collected *c = userdata;

    assert_true(c->n < MAX_LINES);
    if (c->fail_at && (size_t)c->fail_at == c->n + 1)
        return -EPIPE;
    c->lines[c->n] = strndup(line, len);
    assert_non_null(c->lines[c->n]);
    c->n++;
    return 0;
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    c->n = 0;
}

static void assert_same_lines(const struct collected *a, const struct collected *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->lines[i], b->lines[i]);
}

/* Feeds text cut at the given offsets (sorted, ascending). Returns the
 * first failure or 0. */
static int feed_cuts(struct kube_line_splitter *s,
                     const char *text,
                     size_t len,
                     const size_t *cuts,
                     size_t n_cuts,
                     struct collected *out)
{
    size_t pos = 0;
    int r;

    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        r = kube_line_splitter_feed(s, text + pos, end - pos, collect_line, out);
        if (r < 0)
            return r;
        pos = end;
    }
    return 0;
}

static const char stream[] =
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Hardware\",\"metadata\":{\"name\":\"a\","
        "\"resourceVersion\":\"10\"}}}\n"
        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":"
        "\"11\"},\"spec\":{\"x\":\"multi\\nline \\u00e9\"}}}\n"
        "\n"
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"12\"}}}\n"
        "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":"
        "\"13\"}}}\r\n"
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\n"
        "{\"type\":\"ADDED\",\"obj"; /* an unfinished event stays pending */

static void reference_lines(struct collected *ref)
{
    struct kube_line_splitter *s = NULL;

    assert_int_equal(kube_line_splitter_new(&s, 4096), 0);
    assert_int_equal(kube_line_splitter_feed(s, stream, sizeof(stream) - 1, collect_line, ref), 0);
    assert_int_equal(ref->n, 6);
    assert_string_equal(ref->lines[2], "");
    assert_int_equal(kube_line_splitter_pending(s), strlen("{\"type\":\"ADDED\",\"obj"));
    kube_line_splitter_free(s);
}

/* ---------------------------------------------------------------- splitter */

static void test_splitter_every_byte_boundary(void **state)
{
    struct collected ref = {0};
    size_t len = sizeof(stream) - 1;

    (void)state;
    reference_lines(&ref);
    for (size_t cut = 0; cut <= len; cut++) {
        struct kube_line_splitter *s = NULL;
        struct collected got = {0};
        assert_int_equal(kube_line_splitter_new(&s, 4096), 0);
        assert_int_equal(feed_cuts(s, stream, len, &cut, 1, &got), 0);
        assert_same_lines(&ref, &got);
        assert_int_equal(kube_line_splitter_pending(s), strlen("{\"type\":\"ADDED\",\"obj"));
        collected_free(&got);
        kube_line_splitter_free(s);
    }
    collected_free(&ref);
}

static void test_splitter_one_byte_at_a_time(void **state)
{
    struct kube_line_splitter *s = NULL;
    struct collected ref = {0}, got = {0};
    size_t len = sizeof(stream) - 1;

    (void)state;
    reference_lines(&ref);
    assert_int_equal(kube_line_splitter_new(&s, 4096), 0);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(kube_line_splitter_feed(s, stream + i, 1, collect_line, &got), 0);
    assert_same_lines(&ref, &got);
    collected_free(&ref);
    collected_free(&got);
    kube_line_splitter_free(s);
}

static void test_splitter_random_chunkings(void **state)
{
    struct collected ref = {0};
    size_t len = sizeof(stream) - 1;
    uint32_t seed = 12345;

    (void)state;
    reference_lines(&ref);
    for (int round = 0; round < 500; round++) {
        struct kube_line_splitter *s = NULL;
        struct collected got = {0};
        size_t cuts[64], n = 0, pos = 0;
        for (;;) {
            seed = seed * 1103515245u + 12345u; /* a fixed LCG keeps runs repeatable */
            pos += 1 + (seed >> 16) % 40;
            if (pos >= len || n == ARRAY_SIZE(cuts))
                break;
            cuts[n++] = pos;
        }
        assert_int_equal(kube_line_splitter_new(&s, 4096), 0);
        assert_int_equal(feed_cuts(s, stream, len, cuts, n, &got), 0);
        assert_same_lines(&ref, &got);
        collected_free(&got);
        kube_line_splitter_free(s);
    }
    collected_free(&ref);
}

static void test_splitter_empty_feed(void **state)
{
    struct kube_line_splitter *s = NULL;
    struct collected got = {0};

    (void)state;
    assert_int_equal(kube_line_splitter_new(&s, 16), 0);
    assert_int_equal(kube_line_splitter_feed(s, "", 0, collect_line, &got), 0);
    assert_int_equal(kube_line_splitter_feed(s, NULL, 0, collect_line, &got), 0);
    assert_int_equal(got.n, 0);
    assert_int_equal(kube_line_splitter_pending(s), 0);
    assert_int_equal(kube_line_splitter_feed(s, NULL, 3, collect_line, &got), -EINVAL);
    assert_int_equal(kube_line_splitter_feed(s, "x", 1, NULL, &got), -EINVAL);
    kube_line_splitter_free(s);
    assert_null(kube_line_splitter_free(NULL));
    assert_int_equal(kube_line_splitter_pending(NULL), 0);
    assert_int_equal(kube_line_splitter_new(NULL, 16), -EINVAL);
}

struct long_case {
    const char *name;
    const char *text;
    size_t max_line;
    int ret;      /* result of feeding it in one piece and at every cut */
    size_t lines; /* lines handed out before the end or the failure */
};

static const struct long_case long_cases[] = {
        {"exactly max", "abcd\nefgh\n", 4, 0, 2},
        {"one over max, terminated", "abcd\nabcde\nx\n", 4, -E2BIG, 1},
        {"one over max, unterminated", "ab\nabcde", 4, -E2BIG, 1},
        {"max unterminated is pending", "ab\nabcd", 4, 0, 1},
        {"first line too long", "abcdefgh\n", 4, -E2BIG, 0},
        {"empty lines are fine", "\n\n\n", 1, 0, 3},
        {"max 1", "a\nb\ncc\n", 1, -E2BIG, 2},
};

static void test_splitter_overlong_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(long_cases); i++) {
        const struct long_case *t = &long_cases[i];
        size_t len = strlen(t->text);
        for (size_t cut = 0; cut <= len; cut++) {
            struct kube_line_splitter *s = NULL;
            struct collected got = {0};
            int r;
            assert_int_equal(kube_line_splitter_new(&s, t->max_line), 0);
            r = feed_cuts(s, t->text, len, &cut, 1, &got);
            if (r != t->ret || got.n != t->lines)
                fail_msg("%s, cut at %zu: ret %d lines %zu, want %d and %zu", t->name, cut, r,
                         got.n, t->ret, t->lines);
            if (r < 0) {
                /* Sticky: the stream is unusable now. */
                assert_int_equal(kube_line_splitter_feed(s, "ok\n", 3, collect_line, &got), r);
                assert_int_equal(kube_line_splitter_pending(s), 0);
                assert_int_equal(got.n, t->lines);
            }
            collected_free(&got);
            kube_line_splitter_free(s);
        }
    }
}

static void test_splitter_callback_error_stops(void **state)
{
    struct kube_line_splitter *s = NULL;
    struct collected got = {.fail_at = 2};

    (void)state;
    assert_int_equal(kube_line_splitter_new(&s, 64), 0);
    assert_int_equal(kube_line_splitter_feed(s, "one\ntw", 6, collect_line, &got), 0);
    assert_int_equal(kube_line_splitter_feed(s, "o\nthree\n", 8, collect_line, &got), -EPIPE);
    assert_int_equal(got.n, 1);
    assert_int_equal(kube_line_splitter_feed(s, "four\n", 5, collect_line, &got), -EPIPE);
    assert_int_equal(got.n, 1);
    collected_free(&got);
    kube_line_splitter_free(s);
}

static void test_splitter_default_max(void **state)
{
    struct kube_line_splitter *s = NULL;

    (void)state;
    assert_int_equal(kube_line_splitter_new(&s, 0), 0);
    assert_int_equal(s->max_line, KUBE_DEFAULT_MAX_LINE);
    kube_line_splitter_free(s);
}

/* ---------------------------------------------------------------- decode */

struct decode_case {
    const char *line;
    int ret;
    enum kube_event_type type;
    const char *name; /* object.metadata.name when ret == 0 */
};

static const struct decode_case decode_cases[] = {
        {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}", 0, KUBE_EVENT_ADDED,
         "a"},
        {"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}", 0,
         KUBE_EVENT_MODIFIED, "b"},
        {"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}", 0, KUBE_EVENT_DELETED,
         "c"},
        {"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Hardware\",\"metadata\":{\"name\":\"\","
         "\"resourceVersion\":\"7\"}}}",
         0, KUBE_EVENT_BOOKMARK, ""},
        {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"metadata\":{\"name\":"
         "\"s\"}}}",
         0, KUBE_EVENT_ERROR, "s"},
        {"  {\"object\":{\"metadata\":{\"name\":\"d\"}},\"type\":\"ADDED\"}\r", 0, KUBE_EVENT_ADDED,
         "d"},
        {"", -EBADMSG, 0, NULL},
        {"   ", -EBADMSG, 0, NULL},
        {"not json", -EBADMSG, 0, NULL},
        {"[1,2]", -EBADMSG, 0, NULL},
        {"\"ADDED\"", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\"}", -EBADMSG, 0, NULL},
        {"{\"object\":{}}", -EBADMSG, 0, NULL},
        {"{\"type\":1,\"object\":{}}", -EBADMSG, 0, NULL},
        {"{\"type\":\"added\",\"object\":{}}", -EBADMSG, 0, NULL},
        {"{\"type\":\"SYNC\",\"object\":{}}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":[]}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":null}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":\"x\"}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":{}} trailing", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":{}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADD\\u0000ED\",\"object\":{}}", -EBADMSG, 0, NULL},
        {"{\"type\":\"ADDED\",\"object\":{\"x\":\"\xff\"}}", -EBADMSG, 0, NULL},
};

static void test_event_decode_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(decode_cases); i++) {
        const struct decode_case *t = &decode_cases[i];
        enum kube_event_type type = _KUBE_EVENT_MAX;
        json_t *obj = NULL;
        int r = kube_watch_event_decode(t->line, strlen(t->line), &type, &obj);
        if (r != t->ret)
            fail_msg("case %zu (%s): got %d want %d", i, t->line, r, t->ret);
        if (r < 0) {
            assert_null(obj);
            assert_int_equal(type, _KUBE_EVENT_MAX);
            continue;
        }
        assert_int_equal(type, t->type);
        assert_true(json_is_object(obj));
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")),
                t->name);
        json_decref(obj);
    }
}

static void test_event_decode_not_terminated_input(void **state)
{
    /* The line is a slice of a larger buffer: only len bytes count. */
    const char buf[] = "{\"type\":\"ADDED\",\"object\":{}}{\"garbage";
    enum kube_event_type type;
    json_t *obj = NULL;

    (void)state;
    assert_int_equal(kube_watch_event_decode(buf, 28, &type, &obj), 0);
    assert_int_equal(type, KUBE_EVENT_ADDED);
    json_decref(obj);
    assert_int_equal(kube_watch_event_decode(buf, 27, &type, &obj), -EBADMSG);
    assert_int_equal(kube_watch_event_decode(NULL, 0, &type, &obj), -EBADMSG);
    assert_int_equal(kube_watch_event_decode(buf, 28, NULL, &obj), -EINVAL);
    assert_int_equal(kube_watch_event_decode(buf, 28, &type, NULL), -EINVAL);
}

/* ---------------------------------------------------------------- watch state */

struct events {
    enum kube_event_type types[16];
    char rvs[16][16];
    size_t n;
    int ret; /* what the callback returns */
};

static int on_event(enum kube_event_type type, json_t *object, void *userdata)
{
    struct events *e = userdata;
    const char *rv = json_string_value(
            json_object_get(json_object_get(object, "metadata"), "resourceVersion"));

    assert_true(e->n < ARRAY_SIZE(e->types));
    e->types[e->n] = type;
    snprintf(e->rvs[e->n], sizeof(e->rvs[e->n]), "%s", rv ? rv : "");
    e->n++;
    return e->ret;
}

struct state_case {
    const char *name;
    const char *stream;
    size_t max_line;
    int cb_ret;
    int ret;
    size_t events;
    long http_code;     /* in err when ret < 0 */
    const char *reason; /* in err when ret < 0 */
};

#define EV(t, rv) \
    "{\"type\":\"" t "\",\"object\":{\"metadata\":{\"resourceVersion\":\"" rv "\"}}}\n"
#define STATUS(code, reason)                                                                      \
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"  \
    "\"status\":\"Failure\",\"message\":\"too old resource version: 2 (9)\",\"reason\":\"" reason \
    "\",\"code\":" #code "}}\n"

static const struct state_case state_cases[] = {
        {"all types",
         EV("ADDED", "1") EV("MODIFIED", "2") "\n \r\n" EV("BOOKMARK", "3") EV("DELETED", "4"), 0,
         0, 0, 4, 0, NULL},
        {"410 Expired ends with ESTALE", EV("ADDED", "1") STATUS(410, "Expired") EV("ADDED", "9"),
         0, 0, -ESTALE, 1, 410, "Expired"},
        {"410 Gone (legacy)", STATUS(410, "Gone"), 0, 0, -ESTALE, 0, 410, "Gone"},
        {"500 InternalError", STATUS(500, "InternalError"), 0, 0, -EIO, 0, 500, "InternalError"},
        {"ERROR without a Status", "{\"type\":\"ERROR\",\"object\":{}}\n", 0, 0, -EIO, 0, 500, ""},
        {"malformed event", EV("ADDED", "1") "{\"type\":\"ADDED\"}\n" EV("ADDED", "2"), 0, 0,
         -EBADMSG, 1, 0, ""},
        {"callback stops", EV("ADDED", "1") EV("ADDED", "2"), 0, -EPIPE, -EPIPE, 1, 0, ""},
        {"over-long event", EV("ADDED", "1") EV("ADDED", "1234567890"), 64, 0, -E2BIG, 1, 0, ""},
};

static void test_watch_state_feed_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(state_cases); i++) {
        const struct state_case *t = &state_cases[i];
        size_t len = strlen(t->stream);
        /* Whole, and one byte at a time: the same outcome. */
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            struct kube_error err;
            struct kube_watch_state w;
            struct events ev = {.ret = t->cb_ret};
            int r = 0;

            memset(&err, 0xaa, sizeof(err)); /* never read, only written */
            assert_int_equal(kube_watch_state_init(&w, t->max_line, on_event, &ev, &err), 0);
            if (bytewise)
                for (size_t k = 0; k < len && r == 0; k++)
                    r = kube_watch_state_feed(&w, t->stream + k, 1);
            else
                r = kube_watch_state_feed(&w, t->stream, len);
            if (r != t->ret || ev.n != t->events)
                fail_msg("%s (bytewise %d): ret %d events %zu", t->name, bytewise, r, ev.n);
            for (size_t k = 0; k < ev.n; k++)
                assert_int_not_equal(ev.types[k], KUBE_EVENT_ERROR);
            if (r < 0) {
                assert_int_equal(err.http_code, t->http_code);
                assert_string_equal(err.reason, t->reason);
                assert_true(err.message[0] != '\0');
                /* Sticky. */
                assert_int_equal(kube_watch_state_feed(&w, EV("ADDED", "5"), 40), r);
                kube_error_clear(&err);
            }
            kube_watch_state_done(&w);
        }
    }
}

static void test_watch_state_estale_message(void **state)
{
    struct kube_error err = {0};
    struct kube_watch_state w;
    struct events ev = {0};
    const char *s = STATUS(410, "Expired");

    (void)state;
    assert_int_equal(kube_watch_state_init(&w, 0, on_event, &ev, &err), 0);
    assert_int_equal(kube_watch_state_feed(&w, s, strlen(s)), -ESTALE);
    assert_true(kube_is_gone(&err));
    assert_string_equal(err.message, "too old resource version: 2 (9)");
    kube_error_clear(&err);
    kube_watch_state_done(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_splitter_every_byte_boundary),
            cmocka_unit_test(test_splitter_one_byte_at_a_time),
            cmocka_unit_test(test_splitter_random_chunkings),
            cmocka_unit_test(test_splitter_empty_feed),
            cmocka_unit_test(test_splitter_overlong_line),
            cmocka_unit_test(test_splitter_callback_error_stops),
            cmocka_unit_test(test_splitter_default_max),
            cmocka_unit_test(test_event_decode_table),
            cmocka_unit_test(test_event_decode_not_terminated_input),
            cmocka_unit_test(test_watch_state_feed_table),
            cmocka_unit_test(test_watch_state_estale_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
