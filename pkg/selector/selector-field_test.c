/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "selector/selector-internal.h"

/* jansson 2.14 provides json_decrefp() itself (base/json-cleanup.h clashes with it). */
#define _cleanup_json_ _cleanup_(json_decrefp)

static void test_field_selector_parse_terms_and_escapes(void **state)
{
    static const struct {
        const char *sel;
        size_t n;
        const char *key0, *value0;
        bool negate0;
    } cases[] = {
            {"metadata.name=w1", 1, "metadata.name", "w1", false},
            {"metadata.name==w1", 1, "metadata.name", "w1", false},
            {"metadata.name!=w1", 1, "metadata.name", "w1", true},
            {"a=x\\,y\\=z\\\\", 1, "a", "x,y=z\\", false},
            {",a=b,,", 1, "a", "b", false},
            {"b=1,a=2", 2, "a", "2", false}, /* terms sorted like upstream */
            {"a=", 1, "a", "", false},
            {"=v", 1, "", "v", false},
            {" a = b ", 1, " a ", " b ", false}, /* no trimming upstream either */
            {"a\\,b=c", 1, "a\\,b", "c", false}, /* the key is not unescaped */
            {"a=\xc3\xa9", 1, "a", "\xc3\xa9", false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(field_selector_freep) struct field_selector *sel = NULL;
        _cleanup_free_ char *error = NULL;
        int r = field_selector_parse(cases[i].sel, &sel, &error);
        if (r != 0)
            fail_msg("\"%s\": %d %s", cases[i].sel, r, error);
        assert_int_equal(field_selector_n_terms(sel), cases[i].n);
        assert_string_equal(field_selector_term_key(sel, 0), cases[i].key0);
        assert_string_equal(sel->terms[0].value, cases[i].value0);
        assert_true(sel->terms[0].negate == cases[i].negate0);
        assert_null(field_selector_term_key(sel, cases[i].n));
    }
}

static void test_field_selector_parse_errors(void **state)
{
    static const struct {
        const char *sel;
        const char *msg;
    } cases[] = {
            {"a", "invalid selector: 'a'; can't understand 'a'"},
            {"metadata.name=a,b", "invalid selector: 'metadata.name=a,b'; can't understand 'b'"},
            {"a!b", "invalid selector: 'a!b'; can't understand 'a!b'"},
            {"a=b=c", "invalid field selector: unescaped character in value: ="},
            {"a!==b", "invalid field selector: unescaped character in value: ="},
            {"a=b\\x", "invalid field selector: invalid escape sequence: \\x"},
            {"a=b\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9"},
            {"a=b\\", "invalid field selector: invalid escape sequence: \\"},
            {"a=\\\xff", "invalid field selector: invalid escape sequence: \\\xef\xbf\xbd"},
            {"\xff", "invalid selector: '\xef\xbf\xbd'; can't understand '\xef\xbf\xbd'"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct field_selector *sel = NULL;
        _cleanup_free_ char *error = NULL;
        int r = field_selector_parse(cases[i].sel, &sel, &error);
        if (r != -EINVAL)
            fail_msg("\"%s\": want -EINVAL, got %d", cases[i].sel, r);
        assert_null(sel);
        assert_non_null(error);
        if (strcmp(error, cases[i].msg) != 0)
            fail_msg("\"%s\":\n got  %s\n want %s", cases[i].sel, error, cases[i].msg);
    }
    assert_int_equal(field_selector_parse("a", &(struct field_selector *){NULL}, NULL), -EINVAL);
    assert_int_equal(field_selector_parse("a=b", NULL, NULL), -EINVAL);
}

static void test_field_selector_matches_paths_and_types(void **state)
{
    static const struct {
        const char *sel;
        bool want;
    } cases[] = {
            {"", true},
            {"metadata.name=w1", true},
            {"metadata.name==w1", true},
            {"metadata.name=w2", false},
            {"metadata.name!=w2", true},
            {"metadata.name!=w1", false},
            {"metadata.name=w1,metadata.namespace=ns", true},
            {"metadata.name=w1,metadata.namespace=other", false},
            {"metadata.generation=3", true},
            {"metadata.generation=03", false},
            {"spec.on=true", true},
            {"spec.off=false", true},
            {"spec.ratio=1.5", true},
            {"spec.missing=", true},
            {"spec.missing=x", false},
            {"spec.missing!=x", true},
            {"spec.missing!=", false},
            {"spec.nil=", true},
            {"spec.tags=a", false},
            {"spec.tags!=a", true},
            {"spec=", false},
            {"metadata.name.deeper=", true},
            {"spec.comma=a\\,b", true},
            {"nosuch.path.at.all=", true},
    };
    json_error_t jerr;
    _cleanup_json_ json_t *obj = json_loads(
            "{\"metadata\":{\"name\":\"w1\",\"namespace\":\"ns\",\"generation\":3},"
            "\"spec\":{\"on\":true,\"off\":false,\"ratio\":1.5,\"tags\":[\"a\"],\"nil\":null,"
            "\"comma\":\"a,b\"}}",
            0, &jerr);
    (void)state;

    assert_non_null(obj);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(field_selector_freep) struct field_selector *sel = NULL;
        assert_int_equal(field_selector_parse(cases[i].sel, &sel, NULL), 0);
        if (field_selector_matches(sel, obj) != cases[i].want)
            fail_msg("\"%s\" should %smatch", cases[i].sel, cases[i].want ? "" : "not ");
    }
    assert_true(field_selector_matches(NULL, obj));
}

static void test_field_selector_exact_value(void **state)
{
    static const struct {
        const char *sel;
        const char *key;
        const char *want;
    } cases[] = {
            {"metadata.name=w1", "metadata.name", "w1"},
            {"metadata.name==w1", "metadata.name", "w1"},
            {"metadata.name!=w1", "metadata.name", NULL},
            {"metadata.name=w1", "metadata.namespace", NULL},
            {"metadata.name=a,metadata.name=b", "metadata.name", NULL},
            {"metadata.name=a,metadata.name!=b", "metadata.name", "a"},
            {"metadata.namespace=ns,metadata.name=a", "metadata.namespace", "ns"},
            {"", "metadata.name", NULL},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(field_selector_freep) struct field_selector *sel = NULL;
        assert_int_equal(field_selector_parse(cases[i].sel, &sel, NULL), 0);
        const char *v = field_selector_exact_value(sel, cases[i].key);
        if (cases[i].want)
            assert_string_equal(v, cases[i].want);
        else
            assert_null(v);
    }
    assert_null(field_selector_exact_value(NULL, "metadata.name"));
}

static void test_field_selector_empty_and_null(void **state)
{
    _cleanup_(field_selector_freep) struct field_selector *a = NULL, *b = NULL;
    (void)state;

    assert_int_equal(field_selector_parse(NULL, &a, NULL), 0);
    assert_int_equal(field_selector_parse(",,", &b, NULL), 0);
    assert_int_equal(field_selector_n_terms(a), 0);
    assert_int_equal(field_selector_n_terms(b), 0);
    assert_int_equal(field_selector_n_terms(NULL), 0);
    assert_null(field_selector_term_key(NULL, 0));
    assert_true(field_selector_matches(a, NULL));
    assert_null(field_selector_free(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_field_selector_parse_terms_and_escapes),
            cmocka_unit_test(test_field_selector_parse_errors),
            cmocka_unit_test(test_field_selector_matches_paths_and_types),
            cmocka_unit_test(test_field_selector_exact_value),
            cmocka_unit_test(test_field_selector_empty_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
