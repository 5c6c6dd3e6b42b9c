/* SPDX-License-Identifier: Apache-2.0 */
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

#include "base/macro.h"
#include "jsonpatch/jsonpatch-internal.h"
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

/* RFC 6902 Appendix A (A.13, a duplicate "op" member, is a JSON parsing
 * matter and not reachable through a json_t). */
static const struct {
    const char *name, *doc, *patch, *result; /* result NULL: must fail with err */
    int err;
} rfc6902_cases[] = {
        {"A.1", "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
         "{\"baz\":\"qux\",\"foo\":\"bar\"}", 0},
        {"A.2", "{\"foo\":[\"bar\",\"baz\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
         "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", 0},
        {"A.3", "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
         "{\"foo\":\"bar\"}", 0},
        {"A.4", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
         "{\"foo\":[\"bar\",\"baz\"]}", 0},
        {"A.5", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
         "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
         "{\"baz\":\"boo\",\"foo\":\"bar\"}", 0},
        {"A.6", "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
         "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
         "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}", 0},
        {"A.7", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
         "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
         "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", 0},
        {"A.8", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
         "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
         "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
         "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", 0},
        {"A.9", "{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
         NULL, -ECANCELED},
        {"A.10", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
         "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", 0},
        {"A.11", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
         "{\"foo\":\"bar\",\"baz\":\"qux\"}", 0},
        {"A.12", "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
         NULL, -ENOENT},
        {"A.14", "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
         "{\"/\":9,\"~1\":10}", 0},
        {"A.15", "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
         NULL, -ECANCELED},
        {"A.16", "{\"foo\":[\"bar\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
         "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", 0},
};

static const struct {
    const char *name, *doc, *patch, *result;
    int err;
} more_cases[] = {
        {"add replaces member", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":2}]",
         "{\"a\":2}", 0},
        {"add root", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]", 0},
        {"replace root", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":null}]", "null",
         0},
        {"add at array end by index", "[1]", "[{\"op\":\"add\",\"path\":\"/1\",\"value\":2}]",
         "[1,2]", 0},
        {"add empty key", "{}", "[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]", "{\"\":1}", 0},
        {"replace array element", "[1,2]", "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":3}]",
         "[1,3]", 0},
        {"copy", "{\"a\":{\"b\":[1]}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
         "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1]}}", 0},
        {"copy root into member", "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/b\"}]",
         "{\"a\":1,\"b\":{\"a\":1}}", 0},
        {"move to same place", "{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
         "{\"a\":1}", 0},
        {"move up", "{\"a\":{\"b\":{\"c\":1}}}",
         "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a\"}]", "{\"a\":{\"c\":1}}", 0},
        {"move array element to end", "[1,2,3]",
         "[{\"op\":\"move\",\"from\":\"/0\",\"path\":\"/-\"}]", "[2,3,1]", 0},
        {"test numbers by value", "{\"a\":1,\"b\":[1.0,{\"x\":2,\"y\":3}]}",
         "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0},"
         "{\"op\":\"test\",\"path\":\"/b\",\"value\":[1,{\"y\":3.0,\"x\":2}]},"
         "{\"op\":\"test\",\"path\":\"\",\"value\":{\"b\":[1,{\"x\":2,\"y\":3}],\"a\":1}}]",
         "{\"a\":1,\"b\":[1.0,{\"x\":2,\"y\":3}]}", 0},
        {"test null", "{\"a\":null}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]",
         "{\"a\":null}", 0},
        {"empty patch", "{\"a\":1}", "[]", "{\"a\":1}", 0},
        {"ops apply in order", "{}",
         "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[]},"
         "{\"op\":\"add\",\"path\":\"/a/-\",\"value\":1},"
         "{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0},"
         "{\"op\":\"test\",\"path\":\"/a\",\"value\":[0,1]}]",
         "{\"a\":[0,1]}", 0},
        /* -ENOENT: locations that do not exist. */
        {"remove missing member", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL,
         -ENOENT},
        {"remove past end", "[1]", "[{\"op\":\"remove\",\"path\":\"/1\"}]", NULL, -ENOENT},
        {"remove dash", "[1]", "[{\"op\":\"remove\",\"path\":\"/-\"}]", NULL, -ENOENT},
        {"leading zero index", "[1,2]", "[{\"op\":\"remove\",\"path\":\"/01\"}]", NULL, -ENOENT},
        {"non-numeric index", "[1]", "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":1}]", NULL,
         -ENOENT},
        {"huge index", "[1]",
         "[{\"op\":\"add\",\"path\":\"/99999999999999999999999\",\"value\":1}]", NULL, -ENOENT},
        {"add past end", "[1]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":1}]", NULL, -ENOENT},
        {"replace missing", "{}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1}]", NULL,
         -ENOENT},
        {"replace dash", "[1]", "[{\"op\":\"replace\",\"path\":\"/-\",\"value\":1}]", NULL,
         -ENOENT},
        {"add into scalar", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL,
         -ENOENT},
        {"remove from scalar", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a/b\"}]", NULL,
         -ENOENT},
        {"test missing", "{}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]", NULL, -ENOENT},
        {"move from missing", "{}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]", NULL,
         -ENOENT},
        {"copy from missing", "{}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]", NULL,
         -ENOENT},
        {"copy to missing parent", "{\"a\":1}",
         "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/x/y\"}]", NULL, -ENOENT},
        /* -ECANCELED: the operation cannot hold. */
        {"move into own child", "{\"a\":{\"b\":1}}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL, -ECANCELED},
        {"move root into child", "{\"a\":1}", "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/a\"}]",
         NULL, -ECANCELED},
        {"remove root", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL, -ECANCELED},
        {"test 1 vs true", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":true}]", NULL,
         -ECANCELED},
        {"test 1 vs 1.5", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.5}]", NULL,
         -ECANCELED},
        {"test array order", "{\"a\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]",
         NULL, -ECANCELED},
        {"test object extra member", "{\"a\":{\"x\":1}}",
         "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"x\":1,\"y\":1}}]", NULL, -ECANCELED},
        {"failure after success is atomic", "{\"a\":1}",
         "[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"remove\",\"path\":\"/a\"}]", NULL,
         -ENOENT},
        /* -EINVAL: malformed patch documents. */
        {"not an array", "{}", "{\"op\":\"add\",\"path\":\"/a\",\"value\":1}", NULL, -EINVAL},
        {"op not an object", "{}", "[1]", NULL, -EINVAL},
        {"missing op", "{}", "[{\"path\":\"/a\"}]", NULL, -EINVAL},
        {"non-string op", "{}", "[{\"op\":1,\"path\":\"/a\"}]", NULL, -EINVAL},
        {"unknown op", "{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, -EINVAL},
        {"op case matters", "{}", "[{\"op\":\"Add\",\"path\":\"/a\",\"value\":1}]", NULL, -EINVAL},
        {"missing path", "{}", "[{\"op\":\"remove\"}]", NULL, -EINVAL},
        {"non-string path", "{}", "[{\"op\":\"remove\",\"path\":1}]", NULL, -EINVAL},
        {"pointer without slash", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]", NULL,
         -EINVAL},
        {"bad tilde escape", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a~2\"}]", NULL, -EINVAL},
        {"trailing tilde", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a~\"}]", NULL, -EINVAL},
        {"missing value", "{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL, -EINVAL},
        {"replace missing value", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\"}]", NULL,
         -EINVAL},
        {"test missing value", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\"}]", NULL, -EINVAL},
        {"move missing from", "{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", NULL, -EINVAL},
        {"copy non-string from", "{\"a\":1}", "[{\"op\":\"copy\",\"from\":7,\"path\":\"/b\"}]",
         NULL, -EINVAL},
        {"copy bad from", "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]", NULL,
         -EINVAL},
        {"malformed later op wins over failing earlier op", "{}",
         "[{\"op\":\"remove\",\"path\":\"/nope\"},{\"op\":\"add\"}]", NULL, -EINVAL},
};

static void run_case(
        const char *name, const char *doc_text, const char *patch_text, const char *result, int err)
{
    _cleanup_json_ json_t *doc = load(doc_text);
    _cleanup_json_ json_t *ops = load(patch_text);
    _cleanup_json_ json_t *before = json_deep_copy(doc);
    json_t *out = NULL;
    _cleanup_free_ char *error = NULL;
    int r = json_patch_apply(doc, ops, &out, &error);

    assert_true(json_equal(doc, before)); /* input untouched either way */
    if (result) {
        _cleanup_json_ json_t *want = load(result);
        if (r != 0)
            fail_msg("%s: %d %s", name, r, error);
        if (!json_equal(out, want)) {
            _cleanup_free_ char *g = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
            fail_msg("%s: got %s, want %s", name, g, result);
        }
        assert_null(error);
        json_decref(out);
        return;
    }
    if (r != err)
        fail_msg("%s: want %d, got %d (%s)", name, err, r, error ? error : "");
    assert_null(out);
    assert_non_null(error);
}

static void test_json_patch_apply_rfc6902_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rfc6902_cases); i++)
        run_case(rfc6902_cases[i].name, rfc6902_cases[i].doc, rfc6902_cases[i].patch,
                 rfc6902_cases[i].result, rfc6902_cases[i].err);
}

static void test_json_patch_apply_operations_and_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(more_cases); i++)
        run_case(more_cases[i].name, more_cases[i].doc, more_cases[i].patch, more_cases[i].result,
                 more_cases[i].err);
}

static void test_json_patch_apply_error_names_op_and_path(void **state)
{
    static const struct {
        const char *patch;
        const char *msg;
    } cases[] = {
            {"[{\"op\":\"test\",\"path\":\"/a\",\"value\":1},"
             "{\"op\":\"replace\",\"path\":\"/spec/x\",\"value\":1}]",
             "operation 1 (replace) at \"/spec/x\": member not found"},
            {"[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/b\"}]",
             "operation 0 (move) from \"/nope\": member not found"},
            {"[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
             "operation 0 (test) at \"/a\": test failed: the value differs"},
            {"[{\"op\":\"add\",\"path\":\"/a\",\"value\":1},{\"op\":\"jump\",\"path\":\"/a\"}]",
             "operation 1: unknown op \"jump\""},
            {"[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]",
             "operation 0 (add) at \"a\": invalid JSON pointer"},
            {"[{\"op\":\"add\",\"path\":\"/a\"}]",
             "operation 0 (add) at \"/a\": missing \"value\""},
            {"\"x\"", "a JSON patch must be a JSON array of operations"},
    };
    _cleanup_json_ json_t *doc = load("{\"a\":1,\"spec\":{}}");
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *ops = load(cases[i].patch);
        _cleanup_free_ char *error = NULL;
        json_t *out = NULL;

        assert_true(json_patch_apply(doc, ops, &out, &error) < 0);
        assert_non_null(error);
        assert_string_equal(error, cases[i].msg);
        /* ret_error is optional */
        assert_true(json_patch_apply(doc, ops, &out, NULL) < 0);
        assert_null(out);
    }
}

static void test_json_patch_apply_too_many_ops(void **state)
{
    _cleanup_json_ json_t *doc = json_object();
    _cleanup_json_ json_t *ops = json_array();
    _cleanup_free_ char *error = NULL;
    json_t *out = NULL;
    (void)state;

    for (size_t i = 0; i < JSON_PATCH_MAX_OPS; i++)
        assert_int_equal(json_array_append_new(ops, json_pack("{s:s, s:s, s:{}}", "op", "test",
                                                              "path", "", "value")),
                         0);
    assert_int_equal(json_patch_apply(doc, ops, &out, &error), 0); /* exactly the cap */
    json_decref(out);
    out = NULL;
    assert_int_equal(
            json_array_append_new(ops, json_pack("{s:s, s:s}", "op", "remove", "path", "/a")), 0);
    assert_int_equal(json_patch_apply(doc, ops, &out, &error), -E2BIG);
    assert_null(out);
    assert_non_null(strstr(error, "10001"));
}

static void test_json_patch_apply_copy_bomb_rejected(void **state)
{
    _cleanup_json_ json_t *doc = load("{\"a\":[0,1,2,3,4,5,6,7,8,9]}");
    _cleanup_json_ json_t *ops = json_array();
    _cleanup_free_ char *error = NULL;
    json_t *out = NULL;
    (void)state;

    /* Each copy doubles /a: 2^40 values if nothing stopped it. */
    for (int i = 0; i < 40; i++) {
        json_array_append_new(
                ops, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/a", "path", "/a/-"));
        json_array_append_new(
                ops, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/a", "path", "/b"));
        json_array_append_new(
                ops, json_pack("{s:s, s:s, s:s}", "op", "move", "from", "/b", "path", "/a/-"));
    }
    assert_int_equal(json_patch_apply(doc, ops, &out, &error), -E2BIG);
    assert_null(out);
    assert_non_null(strstr(error, "size limit"));
}

static void test_json_patch_apply_depth_capped(void **state)
{
    static const struct {
        size_t doc_depth, value_depth;
        int want;
    } cases[] = {
            {2000, 2000, 0},
            {2000, JSON_PATCH_MAX_DEPTH - 2000, 0},
            {2000, JSON_PATCH_MAX_DEPTH - 2000 + 1, -E2BIG},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *doc = json_object(), *cur = doc, *value = json_integer(1);
        _cleanup_free_ char *path = malloc(2 * cases[i].doc_depth + 3);
        _cleanup_free_ char *error = NULL;
        json_t *ops, *out = NULL;
        size_t k = 0;

        /* doc {"a":{"a":...{}}} holds doc_depth objects; the path names the
         * innermost one plus a new member "b". */
        for (size_t d = 1; d < cases[i].doc_depth; d++) {
            json_t *o = json_object();
            json_object_set_new(cur, "a", o);
            cur = o;
            path[k++] = '/';
            path[k++] = 'a';
        }
        memcpy(path + k, "/b", 3);
        for (size_t d = 1; d < cases[i].value_depth; d++)
            value = json_pack("[o]", value);
        ops = json_pack("[{s:s, s:s, s:o}]", "op", "add", "path", path, "value", value);
        assert_non_null(ops);
        assert_int_equal(json_patch_apply(doc, ops, &out, &error), cases[i].want);
        if (cases[i].want == 0)
            assert_int_equal(json_patch_depth(out, 10000),
                             cases[i].doc_depth + cases[i].value_depth);
        json_decref(out);
        json_decref(ops);
        json_decref(doc);
    }
}

static void test_json_patch_apply_rejects_too_deep_document(void **state)
{
    json_t *doc = json_array(), *cur = doc, *out = NULL;
    _cleanup_json_ json_t *ops = load("[]");
    _cleanup_free_ char *error = NULL;
    (void)state;

    for (int i = 0; i < JSON_PATCH_MAX_DEPTH; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    assert_int_equal(json_patch_apply(doc, ops, &out, &error), -E2BIG);
    assert_null(out);
    assert_string_equal(error, "the document nests too deeply");
    json_decref(doc);
}

static void test_json_pointer_rfc6901_examples(void **state)
{
    static const struct {
        const char *ptr;
        const char *want;
    } cases[] = {
            {"", NULL}, /* the whole document */
            {"/foo", "[\"bar\",\"baz\"]"},
            {"/foo/0", "\"bar\""},
            {"/", "0"},
            {"/a~1b", "1"},
            {"/c%d", "2"},
            {"/e^f", "3"},
            {"/g|h", "4"},
            {"/i\\j", "5"},
            {"/k\"l", "6"},
            {"/ ", "7"},
            {"/m~0n", "8"},
    };
    _cleanup_json_ json_t *doc =
            load("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                 "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct json_pointer p;
        assert_int_equal(json_pointer_parse(cases[i].ptr, strlen(cases[i].ptr), &p), 0);
        json_t *v = json_pointer_get(doc, &p, p.n);
        if (cases[i].want) {
            _cleanup_json_ json_t *want = load(cases[i].want);
            assert_true(json_equal(v, want));
        } else
            assert_ptr_equal(v, doc);
        json_pointer_done(&p);
    }
}

static void test_json_pointer_parse_tokens(void **state)
{
    static const struct {
        const char *ptr;
        int r;
        size_t n;
        const char *last;
    } cases[] = {
            {"/a/b", 0, 2, "b"},      {"//", 0, 2, ""},          {"/~01", 0, 1, "~1"},
            {"/~10", 0, 1, "/0"},     {"/a/", 0, 2, ""},         {"a", -EINVAL, 0, NULL},
            {"/~", -EINVAL, 0, NULL}, {"/~x", -EINVAL, 0, NULL},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct json_pointer p = {};
        assert_int_equal(json_pointer_parse(cases[i].ptr, strlen(cases[i].ptr), &p), cases[i].r);
        if (cases[i].r == 0) {
            assert_int_equal(p.n, cases[i].n);
            assert_string_equal(p.tokens[p.n - 1].s, cases[i].last);
            assert_int_equal(p.tokens[p.n - 1].len, strlen(cases[i].last));
        }
        json_pointer_done(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_patch_apply_rfc6902_vectors),
            cmocka_unit_test(test_json_patch_apply_operations_and_errors),
            cmocka_unit_test(test_json_patch_apply_error_names_op_and_path),
            cmocka_unit_test(test_json_patch_apply_too_many_ops),
            cmocka_unit_test(test_json_patch_apply_copy_bomb_rejected),
            cmocka_unit_test(test_json_patch_apply_depth_capped),
            cmocka_unit_test(test_json_patch_apply_rejects_too_deep_document),
            cmocka_unit_test(test_json_pointer_rfc6901_examples),
            cmocka_unit_test(test_json_pointer_parse_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
