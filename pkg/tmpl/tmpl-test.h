/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Table runner for the pkg/tmpl cmocka suites (included by *_test.c only;
 * include <cmocka.h> first). A case is a template, its data as JSON text,
 * and either the expected output or the expected return code plus a
 * fragment the error message must contain.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl-internal.h"

struct render_case {
    const char *text;
    const char *data; /* JSON; NULL means {} */
    const char *want; /* output when rc == 0 */
    int rc;
    const char *err; /* fragment of the error message when rc < 0 */
};

static inline json_t *test_json(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text ? text : "{}", JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return v;
}

/* Renders one case with the given limits (NULL: the defaults). */
static inline void test_render_case(const struct render_case *c, const struct tmpl_limits *lim)
{
    json_t *data = test_json(c->data);
    struct tmpl_error err;
    struct tmpl *t = NULL;
    char *out = NULL;
    size_t len = 0;
    int r;

    memset(&err, 0x5a, sizeof(err));
    r = tmpl_new(&t, "t", c->text, strlen(c->text), &err);
    if (r >= 0)
        r = lim ? tmpl_execute_limits(t, data, lim, &out, &len, &err)
                : tmpl_execute(t, data, &out, &len, &err);
    if (r != c->rc)
        fail_msg("template %s: rc %d, want %d (output \"%s\", error \"%s\")", c->text, r, c->rc,
                 out ? out : "", r < 0 ? err.message : "");
    if (r == 0) {
        if (strlen(c->want) != len || memcmp(out, c->want, len) != 0)
            fail_msg("template %s:\n got \"%s\"\nwant \"%s\"", c->text, out, c->want);
    } else {
        if (!memchr(err.message, '\0', sizeof(err.message)))
            fail_msg("template %s: message not terminated", c->text);
        if (c->err && !strstr(err.message, c->err))
            fail_msg("template %s: error \"%s\" lacks \"%s\"", c->text, err.message, c->err);
    }
    free(out);
    tmpl_free(t);
    json_decref(data);
}

static inline void test_render_cases(const struct render_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        test_render_case(&c[i], NULL);
}
