/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/macro.h"
#include "jsonpatch/jsonpatch.h"

/* jansson 2.14 provides json_decrefp() itself (base/json-cleanup.h clashes with it). */
#define _cleanup_json_ _cleanup_(json_decrefp)

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, err.text);
    return v;
}

static void assert_json_eq(const json_t *got, const char *want_text, const char *what)
{
    _cleanup_json_ json_t *want = load(want_text);
    if (!json_equal(got, want)) {
        _cleanup_free_ char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("%s: got %s, want %s", what, g, want_text);
    }
}

/* RFC 7386 Appendix A, plus the example of section 3. */
static const struct {
    const char *target, *patch, *result;
} rfc7386_cases[] = {
        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
        {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
        {"{\"a\":\"foo\"}", "null", "null"},
        {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
        {"{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
         "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
         "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":"
         "null},\"tags\":[\"example\"]}",
         "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
         "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}"},
        /* A null inside an array is data, not a removal. */
        {"{}", "{\"a\":[null,{\"b\":null}]}", "{\"a\":[null,{\"b\":null}]}"},
        /* Object patch over a scalar member. */
        {"{\"a\":1}", "{\"a\":{\"b\":2,\"c\":null}}", "{\"a\":{\"b\":2}}"},
};

static void test_json_merge_patch_apply_rfc7386_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rfc7386_cases); i++) {
        _cleanup_json_ json_t *target = load(rfc7386_cases[i].target);
        _cleanup_json_ json_t *patch = load(rfc7386_cases[i].patch);
        _cleanup_json_ json_t *before = json_deep_copy(target);
        _cleanup_json_ json_t *out = NULL;

        assert_int_equal(json_merge_patch_apply(target, patch, &out), 0);
        assert_json_eq(out, rfc7386_cases[i].result, rfc7386_cases[i].patch);
        assert_true(json_equal(target, before));       /* target untouched */
        if (json_is_object(out) || json_is_array(out)) /* null/true/false are singletons */
            assert_true(out != target && out != patch);
    }
}

static void test_json_merge_patch_apply_null_target(void **state)
{
    _cleanup_json_ json_t *patch = load("{\"a\":{\"b\":null,\"c\":1}}");
    _cleanup_json_ json_t *out = NULL;
    (void)state;

    assert_int_equal(json_merge_patch_apply(NULL, patch, &out), 0);
    assert_json_eq(out, "{\"a\":{\"c\":1}}", "NULL target");
    assert_int_equal(json_merge_patch_apply(NULL, NULL, &out), -EINVAL);
    assert_int_equal(json_merge_patch_apply(NULL, patch, NULL), -EINVAL);
}

/* {"a":{"a":...{"a":leaf}}} with depth objects. */
static json_t *nested(size_t depth, json_t *leaf)
{
    json_t *v = leaf;
    for (size_t i = 0; i < depth; i++) {
        json_t *o = json_object();
        assert_non_null(o);
        assert_int_equal(json_object_set_new(o, "a", v), 0);
        v = o;
    }
    return v;
}

static void test_json_merge_patch_apply_depth_capped(void **state)
{
    static const struct {
        size_t depth;
        int want;
    } cases[] = {
            {1, 0},
            {JSON_MERGE_PATCH_MAX_DEPTH, 0},
            {JSON_MERGE_PATCH_MAX_DEPTH + 1, -ELOOP},
            {5000, -ELOOP},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *patch = nested(cases[i].depth, json_integer(1));
        _cleanup_json_ json_t *target = json_object();
        json_t *out = NULL;

        assert_int_equal(json_merge_patch_apply(target, patch, &out), cases[i].want);
        if (cases[i].want == 0) {
            assert_true(json_equal(out, patch));
            json_decref(out);
        } else
            assert_null(out);
        /* The same depth along an existing target path. */
        _cleanup_json_ json_t *deep_target = nested(cases[i].depth, json_integer(0));
        out = NULL;
        assert_int_equal(json_merge_patch_apply(deep_target, patch, &out), cases[i].want);
        json_decref(out);
    }
}

static void test_json_merge_patch_create_round_trips(void **state)
{
    static const struct {
        const char *original, *modified, *patch;
    } cases[] = {
            {"{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":3}", "{\"b\":null,\"c\":3}"},
            {"{\"a\":{\"x\":1,\"y\":2}}", "{\"a\":{\"x\":1,\"y\":3}}", "{\"a\":{\"y\":3}}"},
            {"{\"a\":{\"x\":1}}", "{\"a\":{\"x\":1}}", "{}"},
            {"{\"a\":[1,2]}", "{\"a\":[1]}", "{\"a\":[1]}"},
            {"{\"a\":1}", "{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":{\"c\":1}}}"},
            {"{\"a\":{\"b\":1}}", "{\"a\":2}", "{\"a\":2}"},
            {"{\"a\":{\"b\":1,\"c\":2}}", "{\"a\":{}}", "{\"a\":{\"b\":null,\"c\":null}}"},
            {"[1]", "{\"a\":1}", "{\"a\":1}"},
            {"{\"a\":1}", "[1]", "[1]"},
            {"{\"a\":1}", "\"s\"", "\"s\""},
            {"{\"spec\":{\"replicas\":1,\"template\":{\"image\":\"a\"}},\"status\":{}}",
             "{\"spec\":{\"replicas\":3,\"template\":{\"image\":\"a\"}},\"status\":{}}",
             "{\"spec\":{\"replicas\":3}}"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *original = load(cases[i].original);
        _cleanup_json_ json_t *modified = load(cases[i].modified);
        _cleanup_json_ json_t *patch = NULL, *applied = NULL;

        assert_int_equal(json_merge_patch_create(original, modified, &patch), 0);
        assert_json_eq(patch, cases[i].patch, cases[i].modified);
        assert_int_equal(json_merge_patch_apply(original, patch, &applied), 0);
        assert_true(json_equal(applied, modified));
    }
}

static void test_json_merge_patch_create_errors(void **state)
{
    _cleanup_json_ json_t *empty = json_object();
    _cleanup_json_ json_t *deep = nested(JSON_MERGE_PATCH_MAX_DEPTH + 1, json_integer(1));
    _cleanup_json_ json_t *deep2 = nested(JSON_MERGE_PATCH_MAX_DEPTH + 1, json_integer(2));
    json_t *out = NULL;
    (void)state;

    assert_int_equal(json_merge_patch_create(empty, deep, &out), -ELOOP);
    assert_int_equal(json_merge_patch_create(deep, deep2, &out), -ELOOP);
    assert_null(out);
    assert_int_equal(json_merge_patch_create(NULL, empty, &out), -EINVAL);
    assert_int_equal(json_merge_patch_create(empty, NULL, &out), -EINVAL);
    assert_int_equal(json_merge_patch_create(empty, empty, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_merge_patch_apply_rfc7386_vectors),
            cmocka_unit_test(test_json_merge_patch_apply_null_target),
            cmocka_unit_test(test_json_merge_patch_apply_depth_capped),
            cmocka_unit_test(test_json_merge_patch_create_round_trips),
            cmocka_unit_test(test_json_merge_patch_create_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
