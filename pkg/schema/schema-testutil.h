/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Helpers for pkg/schema's cmocka tests only: parse JSON literals, run
 * schema_apply()/schema_check_structural() and render the causes as
 * "Reason|field|message" lines joined by '\n' so that tables can state the
 * exact expected outcome.
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
#include <jansson.h>

#include "base/json-cleanup.h"
#include "buf/buf.h"
#include "schema/schema.h"

/* Parses JSON written with ' for " (tables stay readable). */
static inline json_t *tjson(const char *text)
{
    json_error_t err;
    char *t = strdup(text);
    assert_non_null(t);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *v = json_loads(t, JSON_DECODE_ANY, &err);
    free(t);
    if (!v)
        fail_msg("bad test JSON at %d:%d: %s\n%s", err.line, err.column, err.text, text);
    return v;
}

/* Renders causes as lines; the caller frees. */
static inline char *tcauses(const struct schema_result *r)
{
    struct buf b = BUF_INIT(1 << 20);
    for (size_t i = 0; i < r->n_causes; i++)
        assert_int_equal(buf_printf(&b, "%s%s|%s|%s", i ? "\n" : "", r->causes[i].type,
                                    r->causes[i].field, r->causes[i].message),
                         0);
    return buf_take(&b, NULL);
}

static inline char *tunknown(const struct schema_result *r)
{
    struct buf b = BUF_INIT(1 << 20);
    for (size_t i = 0; i < r->n_unknown; i++)
        assert_int_equal(buf_printf(&b, "%s%s", i ? "," : "", r->unknown[i]), 0);
    return buf_take(&b, NULL);
}

/* Runs schema_apply(flags) and checks the causes (and return code). */
static inline void tapply_expect(const char *schema, const char *obj, unsigned flags,
                                 const char *want_causes, const char *label)
{
    _cleanup_json_ json_t *s = tjson(schema);
    _cleanup_json_ json_t *o = tjson(obj);
    struct schema_result res = {0};
    int r = schema_apply(s, o, flags, &res);
    char *got = tcauses(&res);
    if (strcmp(got, want_causes) != 0)
        fail_msg("%s:\n got: %s\nwant: %s", label, got, want_causes);
    assert_int_equal(r, *want_causes ? -EINVAL : 0);
    free(got);
    schema_result_clear(&res);
}

static inline void tcheck_expect(const char *schema, const char *prefix, const char *want,
                                 const char *label)
{
    _cleanup_json_ json_t *s = tjson(schema);
    struct schema_result res = {0};
    int r = schema_check_structural(s, prefix, &res);
    char *got = tcauses(&res);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n got: %s\nwant: %s", label, got, want);
    assert_int_equal(r, *want ? -EINVAL : 0);
    free(got);
    schema_result_clear(&res);
}
