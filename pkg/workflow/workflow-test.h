/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Test helpers shared by the workflow unit tests: JSON written with single
 * quotes, a dotted path lookup ("tasks.0.actions.1.state"), a deterministic
 * random source and a fixed clock.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "workflow/workflow.h"

/* 2024-05-01T12:00:00Z */
#define TEST_NOW INT64_C(1714564800000)

/* Parses JSON written with ' for " (test strings contain no real quotes). */
_unused_ static json_t *j(const char *text)
{
    json_error_t err;
    char *s = strdup(text);
    json_t *v;

    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    v = json_loads(s, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test JSON (%s) at %d: %s", err.text, err.column, s);
    free(s);
    return v;
}

/* The value at a dotted path; numeric parts index arrays. NULL if absent. */
_unused_ static json_t *jpath(const json_t *root, const char *path)
{
    json_t *v = (json_t *)root;
    const char *p = path;

    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char part[64];

        assert_true(n < sizeof(part));
        memcpy(part, p, n);
        part[n] = '\0';
        if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(part, &end, 10);
            v = *end ? NULL : json_array_get(v, i);
        } else {
            v = json_object_get(v, part);
        }
        p += n + (dot ? 1 : 0);
    }
    return v;
}

/* Compares the value at path with want: JSON text (with '), NULL for
 * "absent", or "<ulid>" for any valid ULID string. */
_unused_ static void
check_path(const json_t *root, const char *path, const char *want, const char *what)
{
    json_t *got = jpath(root, path);
    _cleanup_free_ char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

    if (!want) {
        if (got)
            fail_msg("%s: %s: want absent, got %s", what, path, g);
        return;
    }
    if (strcmp(want, "<ulid>") == 0) {
        if (!json_is_string(got) || workflow_ulid_parse(json_string_value(got), NULL) < 0)
            fail_msg("%s: %s: want a ULID, got %s", what, path, g ? g : "(absent)");
        return;
    }
    _cleanup_json_ json_t *w = j(want);
    if (!got || !json_equal(got, w))
        fail_msg("%s: %s: want %s, got %s", what, path, want, g ? g : "(absent)");
}

/* Deterministic "random" bytes: a counter, so ids differ per draw. */
struct test_random {
    unsigned calls;
    bool fixed; /* every byte = fill; else a counter pattern */
    uint8_t fill;
    int fail; /* negative errno to return */
};

_unused_ static int test_random_fn(void *userdata, void *buf, size_t len)
{
    struct test_random *tr = userdata;
    uint8_t *b = buf;

    if (tr->fail)
        return tr->fail;
    tr->calls++;
    for (size_t i = 0; i < len; i++)
        b[i] = tr->fixed ? tr->fill : (uint8_t)(tr->calls * 17 + i);
    return 0;
}

/* A generator with the counter source; freed by the caller. */
_unused_ static struct workflow_ulid *test_ids(struct test_random *tr)
{
    struct workflow_ulid *g = NULL;
    assert_int_equal(workflow_ulid_new(&g, test_random_fn, tr), 0);
    return g;
}

/* Checks that the events of a plan have these reasons, comma-separated
 * (NULL: none). */
_unused_ static void check_events(const struct workflow_plan *p, const char *want, const char *what)
{
    char got[512] = "";

    for (size_t i = 0; i < p->n_events; i++) {
        if (i)
            strcat(got, ",");
        strncat(got, p->events[i].reason, sizeof(got) - strlen(got) - 2);
        assert_non_null(p->events[i].type);
        assert_true(strcmp(p->events[i].type, "Normal") == 0 ||
                    strcmp(p->events[i].type, "Warning") == 0);
    }
    if (strcmp(got, want ? want : "") != 0)
        fail_msg("%s: events: want [%s], got [%s]", what, want ? want : "", got);
}
