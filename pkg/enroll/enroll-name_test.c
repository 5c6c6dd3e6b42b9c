/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enroll/enroll.h"

#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10

static void test_name_make_mangles_like_upstream(void **state)
{
    static const struct {
        const char *prefix;
        const char *id;
        const char *want;
    } cases[] = {
            /* MACs in every spelling. */
            {"discovery-", "52:54:00:12:34:56", "discovery-52-54-00-12-34-56"},
            {"discovery-", "AA:BB:CC:DD:EE:FF", "discovery-aa-bb-cc-dd-ee-ff"},
            {"discovery-", "aa-bb-cc-dd-ee-ff", "discovery-aa-bb-cc-dd-ee-ff"},
            {"discovery-", "aabb.ccdd.eeff", "discovery-aabb-ccdd-eeff"},
            {"discovery-", "AABBCCDDEEFF", "discovery-aabbccddeeff"},
            {"enrollment-", "52:54:00:12:34:56", "enrollment-52-54-00-12-34-56"},
            /* Odd IDs. */
            {"discovery-", "node1", "discovery-node1"},
            {"discovery-", "Node_1.Example.COM", "discovery-node-1-example-com"},
            {"discovery-", "  node1\t\n", "discovery-node1"},
            {"discovery-", "a  b", "discovery-a-b"},
            {"discovery-", "-abc-", "discovery-abc-e"},
            {"discovery-", "abc!", "discovery-abc-e"},
            {"discovery-", "---", "discovery-e"},
            {"discovery-", "a--b__c", "discovery-a-b-c"},
            {"discovery-", "x/y:z@w", "discovery-x-y-z-w"},
            {"discovery-", "\xc3\xbcn\xc3\xaf", "discovery-n-e"}, /* "ünï" */
            {"discovery-",
             "\xc2\xa0"
             "abc\xe3\x80\x80",
             "discovery-abc"},                            /* NBSP, U+3000 */
            {"discovery-", "abc\xff", "discovery-abc-e"}, /* invalid UTF-8 */
            {"discovery-",
             "\xe2\x80\x8b"
             "abc",
             "discovery-abc"}, /* U+200B: not space */
            {"discovery-", "550e8400-e29b-41d4-a716-446655440000",
             "discovery-550e8400-e29b-41d4-a716-446655440000"},
            /* Length: cut at 63. */
            {"discovery-", A50 A10, "discovery-" A50 "aaa"},
            {"enrollment-", A50 A10, "enrollment-" A50 "aa"},
            /* The cut lands on a '-': upstream fails, anvil drops the '-'. */
            {"discovery-", A50 "aa_bbbb", "discovery-" A50 "aa"},
            /* Empty prefix. */
            {"", "x", "x"},
            {"", "A", "a"},
            {"", "-x", "e-x"},
            {"", "!", "e-e"},
            {NULL, "Host.Name", "host-name"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *got = NULL;
        int r = enroll_name_make(cases[i].prefix, cases[i].id, &got);

        if (r != 0)
            fail_msg("case %zu (%s): %d", i, cases[i].id, r);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu (%s): got %s want %s", i, cases[i].id, got, cases[i].want);
        assert_true(strlen(got) <= ENROLL_NAME_MAX);
        free(got);
    }
}

static void test_name_make_rejects_empty_ids(void **state)
{
    static const char *const ids[] = {"", " ", "\t\r\n\v\f", "\xc2\x85\xe2\x80\xa8"};
    char *got = NULL;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        assert_int_equal(enroll_discovery_name(ids[i], &got), -EINVAL);
        assert_null(got);
    }
    assert_int_equal(enroll_enrollment_name(NULL, &got), -EINVAL);
    assert_null(got);
    assert_int_equal(enroll_name_make("x-", "a", NULL), -EINVAL);
}

static void test_name_helpers_use_the_prefixes(void **state)
{
    char *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(enroll_discovery_name("AB:cd:00:11:22:33", &a), 0);
    assert_string_equal(a, "discovery-ab-cd-00-11-22-33");
    assert_int_equal(enroll_enrollment_name("AB:cd:00:11:22:33", &b), 0);
    assert_string_equal(b, "enrollment-ab-cd-00-11-22-33");
    free(a);
    free(b);
}

static void test_mac_normalize_accepts_every_spelling(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
            {"52:54:00:12:34:56", "52:54:00:12:34:56"}, {"AA:BB:CC:DD:EE:FF", "aa:bb:cc:dd:ee:ff"},
            {"aA:bB:cC:dD:eE:fF", "aa:bb:cc:dd:ee:ff"}, {"AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"},
            {"aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"},    {"AABB.CCDD.EEFF", "aa:bb:cc:dd:ee:ff"},
            {"aabbccddeeff", "aa:bb:cc:dd:ee:ff"},      {"001122334455", "00:11:22:33:44:55"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char got[ENROLL_MAC_STRLEN + 1];

        assert_int_equal(enroll_mac_normalize(cases[i].in, got), 0);
        assert_string_equal(got, cases[i].want);
    }
}

static void test_mac_normalize_rejects_invalid(void **state)
{
    static const char *const cases[] = {
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:56:78",
            "52:54:00:12:34:5g",
            "52:54:00-12:34:56",
            "52-54-00:12-34-56",
            "52.54.00.12.34.56",
            "5254.0012.345",
            "5254.0012:3456",
            "aabbccddeef",
            "aabbccddeeff0",
            "aabbccddeefg",
            " 52:54:00:12:34:56",
            "52:54:00:12:34:56 ",
            "2:54:00:12:34:56:",
            "52::54:00:12:34:5",
            "0011.2233.4455.6677",
            "00:11:22:33:44:55:66:77",
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char got[ENROLL_MAC_STRLEN + 1] = "untouched";

        if (enroll_mac_normalize(cases[i], got) != -EINVAL)
            fail_msg("accepted \"%s\"", cases[i]);
        assert_string_equal(got, "untouched");
    }
    {
        char got[ENROLL_MAC_STRLEN + 1];
        assert_int_equal(enroll_mac_normalize(NULL, got), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_name_make_mangles_like_upstream),
            cmocka_unit_test(test_name_make_rejects_empty_ids),
            cmocka_unit_test(test_name_helpers_use_the_prefixes),
            cmocka_unit_test(test_mac_normalize_accepts_every_spelling),
            cmocka_unit_test(test_mac_normalize_rejects_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
