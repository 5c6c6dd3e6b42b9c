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

#include "base/json-cleanup.h"
#include "buf/buf.h"
#include "enroll/enroll-internal.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);

    if (!v)
        fail_msg("bad test JSON at %d:%d: %s: %s", err.line, err.column, err.text, text);
    return v;
}

/* The agent attributes most cases match against. */
static const char EVENT[] =
        "{\"cpu\":{\"totalCores\":8,\"totalThreads\":16,\"processors\":[{\"id\":0,"
        "\"vendor\":\"GenuineIntel\",\"capabilities\":[\"sse\",\"avx\"]}]},"
        "\"memory\":{\"total\":\"32GB\",\"usable\":\"31GB\"},"
        "\"blockDevices\":[{\"name\":\"sda\",\"size\":\"512GB\",\"driveType\":\"SSD\"},"
        "{\"name\":\"nvme0n1\",\"size\":\"1TB\",\"driveType\":\"SSD\"},"
        "{\"name\":\"sr0\",\"size\":\"\",\"driveType\":\"ODD\"}],"
        "\"networkInterfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\","
        "\"speed\":\"1000Mb/s\"},{\"name\":\"eth1\",\"mac\":\"52:54:00:AB:CD:EF\"}],"
        "\"chassis\":{\"serial\":\"CH-1\",\"vendor\":\"QEMU\"},"
        "\"bios\":{\"vendor\":\"SeaBIOS\",\"version\":\"1.16.2\"},"
        "\"product\":{\"name\":\"Standard PC (Q35 + ICH9, 2009)\",\"vendor\":\"QEMU\","
        "\"serialNumber\":null},"
        "\"ratio\":2.5,\"flags\":{\"secureBoot\":false,\"tpm\":true},\"tags\":[],"
        "\"nested\":[[1,[2]],\"x\"],\"star\":\"a*b\",\"back\":\"a\\\\b\","
        "\"big\":9007199254740993}";

struct match_case {
    const char *pattern;
    bool want;
};

static void run_match_cases(const struct match_case *cases, size_t n)
{
    _cleanup_json_ json_t *event = J(EVENT);

    for (size_t i = 0; i < n; i++) {
        struct enroll_pattern *p = NULL;
        char *err = NULL;
        int r = enroll_pattern_compile(cases[i].pattern, &p, &err);

        if (r != 0)
            fail_msg("compile %s: %d %s", cases[i].pattern, r, err ? err : "");
        if (enroll_pattern_match(p, event) != cases[i].want)
            fail_msg("%s: want %s", cases[i].pattern, cases[i].want ? "match" : "no match");
        enroll_pattern_free(p);
    }
}

static void test_pattern_match_exact_values(void **state)
{
    static const struct match_case cases[] = {
            {"{\"chassis\":{\"vendor\":[\"QEMU\"]}}", true},
            {"{\"chassis\":{\"vendor\":[\"qemu\"]}}", false},
            {"{\"chassis\":{\"vendor\":[\"Dell\",\"QEMU\"]}}", true},
            {"{\"chassis\":{\"vendor\":[\"QEMU \"]}}", false},
            {"{\"cpu\":{\"totalCores\":[8]}}", true},
            {"{\"cpu\":{\"totalCores\":[8.0]}}", true},
            {"{\"cpu\":{\"totalCores\":[8e0]}}", true},
            {"{\"cpu\":{\"totalCores\":[0.8e1]}}", true},
            {"{\"cpu\":{\"totalCores\":[\"8\"]}}", false},
            {"{\"cpu\":{\"totalCores\":[9]}}", false},
            {"{\"ratio\":[2.5]}", true},
            {"{\"ratio\":[25e-1]}", true},
            {"{\"ratio\":[\"2.5\"]}", false},
            {"{\"big\":[9007199254740993]}", true},
            {"{\"big\":[9007199254740992]}", false},
            {"{\"flags\":{\"secureBoot\":[false]}}", true},
            {"{\"flags\":{\"tpm\":[true]}}", true},
            {"{\"flags\":{\"tpm\":[false]}}", false},
            {"{\"flags\":{\"tpm\":[\"true\"]}}", false},
            {"{\"product\":{\"serialNumber\":[null]}}", true},
            {"{\"product\":{\"vendor\":[null]}}", false},
            {"{\"missing\":[\"x\"]}", false},
            {"{\"missing\":[null]}", false},
            {"{\"chassis\":{\"vendor\":[]}}", false},
            {"{\"chassis\":[\"QEMU\"]}", false},
            {"{\"chassis\":{\"vendor\":[\"QEMU\"]},\"cpu\":{\"totalCores\":[4]}}", false},
            {"{\"chassis\":{\"vendor\":[\"QEMU\"]},\"cpu\":{\"totalCores\":[8]}}", true},
            {"{\"networkInterfaces\":{\"name\":[\"eth1\"]}}", true},
            {"{\"networkInterfaces\":{\"name\":[\"eth2\"]}}", false},
            {"{\"cpu\":{\"processors\":{\"capabilities\":[\"avx\"]}}}", true},
            {"{\"nested\":[2]}", true},
            {"{\"nested\":[\"x\"]}", true},
            {"{\"nested\":[3]}", false},
            {"{\"back\":[\"a\\\\b\"]}", true},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_array_elements_stay_together(void **state)
{
    static const struct match_case cases[] = {
            {"{\"blockDevices\":{\"name\":[\"sda\"],\"size\":[\"512GB\"]}}", true},
            {"{\"blockDevices\":{\"name\":[\"sda\"],\"size\":[\"1TB\"]}}", false},
            {"{\"blockDevices\":{\"name\":[\"nvme0n1\"],\"driveType\":[\"SSD\"]}}", true},
            {"{\"networkInterfaces\":{\"name\":[\"eth1\"],\"speed\":[{\"exists\":false}]}}", true},
            {"{\"networkInterfaces\":{\"name\":[\"eth0\"],\"speed\":[{\"exists\":false}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_prefix_suffix(void **state)
{
    static const struct match_case cases[] = {
            {"{\"bios\":{\"version\":[{\"prefix\":\"1.16\"}]}}", true},
            {"{\"bios\":{\"version\":[{\"prefix\":\"2.\"}]}}", false},
            {"{\"bios\":{\"version\":[{\"prefix\":\"\"}]}}", true},
            {"{\"bios\":{\"version\":[{\"prefix\":\"1.16.2.1\"}]}}", false},
            {"{\"cpu\":{\"totalCores\":[{\"prefix\":\"8\"}]}}", false},
            {"{\"networkInterfaces\":{\"mac\":[{\"prefix\":\"52:54:00:ab\"}]}}", false},
            {"{\"networkInterfaces\":{\"mac\":[{\"prefix\":\"52:54:00:AB\"}]}}", true},
            {"{\"memory\":{\"total\":[{\"suffix\":\"GB\"}]}}", true},
            {"{\"memory\":{\"total\":[{\"suffix\":\"TB\"}]}}", false},
            {"{\"memory\":{\"total\":[{\"suffix\":\"132GB\"}]}}", false},
            {"{\"flags\":{\"tpm\":[{\"suffix\":\"e\"}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_wildcard(void **state)
{
    static const struct match_case cases[] = {
            {"{\"product\":{\"name\":[{\"wildcard\":\"Standard PC*\"}]}}", true},
            {"{\"product\":{\"name\":[{\"wildcard\":\"*Q35*\"}]}}", true},
            {"{\"product\":{\"name\":[{\"wildcard\":\"*q35*\"}]}}", false},
            {"{\"product\":{\"name\":[{\"wildcard\":\"S*2009)\"}]}}", true},
            {"{\"product\":{\"name\":[{\"wildcard\":\"S*(*+*)\"}]}}", true},
            {"{\"product\":{\"name\":[{\"wildcard\":\"S*)*(\"}]}}", false},
            {"{\"product\":{\"name\":[{\"wildcard\":\"*\"}]}}", true},
            {"{\"product\":{\"name\":[{\"wildcard\":\"Standard\"}]}}", false},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"32GB\"}]}}", true},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"3*2GB\"}]}}", true},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"32G*2GB\"}]}}", false},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"*GB*GB\"}]}}", false},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"*2*B\"}]}}", true},
            {"{\"star\":[{\"wildcard\":\"a\\\\*b\"}]}", true},
            {"{\"star\":[{\"wildcard\":\"a\\\\*c\"}]}", false},
            {"{\"star\":[{\"wildcard\":\"a*b\"}]}", true},
            {"{\"memory\":{\"total\":[{\"wildcard\":\"3\\\\*\"}]}}", false},
            {"{\"back\":[{\"wildcard\":\"a\\\\\\\\b\"}]}", true},
            {"{\"back\":[{\"wildcard\":\"a\\\\\\\\*\"}]}", true},
            {"{\"cpu\":{\"totalCores\":[{\"wildcard\":\"*\"}]}}", false},
            {"{\"bios\":{\"vendor\":[{\"shellstyle\":\"Sea*\"}]}}", true},
            {"{\"bios\":{\"vendor\":[{\"shellstyle\":\"*BIOS\"}]}}", true},
            {"{\"bios\":{\"vendor\":[{\"shellstyle\":\"*bios\"}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_equals_ignore_case(void **state)
{
    static const struct match_case cases[] = {
            {"{\"chassis\":{\"vendor\":[{\"equals-ignore-case\":\"qemu\"}]}}", true},
            {"{\"chassis\":{\"vendor\":[{\"equals-ignore-case\":\"QeMu\"}]}}", true},
            {"{\"chassis\":{\"vendor\":[{\"equals-ignore-case\":\"qem\"}]}}", false},
            {"{\"chassis\":{\"vendor\":[{\"equals-ignore-case\":\"qemu1\"}]}}", false},
            {"{\"networkInterfaces\":{\"mac\":[{\"equals-ignore-case\":\"52:54:00:ab:cd:ef\"}]}}",
             true},
            {"{\"cpu\":{\"totalCores\":[{\"equals-ignore-case\":\"8\"}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_anything_but(void **state)
{
    static const struct match_case cases[] = {
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":[\"Dell\",\"HP\"]}]}}", true},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":[\"QEMU\"]}]}}", false},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":\"QEMU\"}]}}", false},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":\"Dell\"}]}}", true},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":{\"prefix\":\"QE\"}}]}}", false},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":{\"prefix\":\"De\"}}]}}", true},
            {"{\"memory\":{\"total\":[{\"anything-but\":{\"suffix\":\"GB\"}}]}}", false},
            {"{\"memory\":{\"total\":[{\"anything-but\":{\"suffix\":\"TB\"}}]}}", true},
            {"{\"memory\":{\"total\":[{\"anything-but\":{\"wildcard\":\"*G*\"}}]}}", false},
            {"{\"chassis\":{\"vendor\":[{\"anything-but\":{\"equals-ignore-case\":\"qemu\"}}]}}",
             false},
            {"{\"cpu\":{\"totalCores\":[{\"anything-but\":[4,16]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"anything-but\":[8]}]}}", false},
            {"{\"cpu\":{\"totalCores\":[{\"anything-but\":8.0}]}}", false},
            {"{\"cpu\":{\"totalCores\":[{\"anything-but\":[\"8\"]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"anything-but\":{\"prefix\":\"9\"}}]}}", false},
            {"{\"missing\":[{\"anything-but\":[\"x\"]}]}", false},
            {"{\"tags\":[{\"anything-but\":[\"x\"]}]}", false},
            {"{\"networkInterfaces\":{\"name\":[{\"anything-but\":[\"eth0\"]}]}}", true},
            {"{\"networkInterfaces\":{\"name\":[{\"anything-but\":[\"eth0\",\"eth1\"]}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_exists(void **state)
{
    static const struct match_case cases[] = {
            {"{\"chassis\":{\"serial\":[{\"exists\":true}]}}", true},
            {"{\"chassis\":{\"serial\":[{\"exists\":false}]}}", false},
            {"{\"chassis\":{\"asset\":[{\"exists\":true}]}}", false},
            {"{\"chassis\":{\"asset\":[{\"exists\":false}]}}", true},
            {"{\"nothere\":{\"asset\":[{\"exists\":false}]}}", true},
            {"{\"tags\":[{\"exists\":true}]}", false},
            {"{\"tags\":[{\"exists\":false}]}", true},
            {"{\"chassis\":[{\"exists\":true}]}", false},
            {"{\"chassis\":[{\"exists\":false}]}", true},
            {"{\"product\":{\"serialNumber\":[{\"exists\":true}]}}", true},
            {"{\"nested\":[{\"exists\":true}]}", true},
            {"{\"networkInterfaces\":{\"speed\":[{\"exists\":false}]}}", true},
            {"{\"networkInterfaces\":{\"mac\":[{\"exists\":false}]}}", false},
            {"{\"networkInterfaces\":{\"mac\":[{\"exists\":true}]}}", true},
            {"{\"ratio\":{\"x\":[{\"exists\":false}]}}", true},
            {"{\"ratio\":{\"x\":[{\"exists\":true}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_numeric(void **state)
{
    static const struct match_case cases[] = {
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\">=\",4,\"<\",10]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\">\",8]}]}}", false},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\">=\",8]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"=\",8]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"=\",8.0]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"<=\",8]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"<\",8]}]}}", false},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"<\",8.5]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\"<\",10,\">=\",1]}]}}", true},
            {"{\"cpu\":{\"totalCores\":[{\"numeric\":[\">\",10,\"<\",20]}]}}", false},
            {"{\"ratio\":[{\"numeric\":[\">\",2,\"<\",3]}]}", true},
            {"{\"ratio\":[{\"numeric\":[\">\",2.5]}]}", false},
            {"{\"big\":[{\"numeric\":[\">\",9007199254740992]}]}", true},
            {"{\"memory\":{\"total\":[{\"numeric\":[\">\",0]}]}}", false},
            {"{\"nested\":[{\"numeric\":[\">\",1]}]}", true},
            {"{\"nested\":[{\"numeric\":[\">\",2]}]}", false},
            {"{\"missing\":[{\"numeric\":[\">\",0]}]}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_mixed_entries(void **state)
{
    static const struct match_case cases[] = {
            {"{\"chassis\":{\"vendor\":[\"Dell\",{\"prefix\":\"QE\"}]}}", true},
            {"{\"chassis\":{\"vendor\":[\"Dell\",{\"prefix\":\"HP\"},{\"suffix\":\"MU\"}]}}", true},
            {"{\"cpu\":{\"totalCores\":[\"8\",{\"numeric\":[\">\",100]},8]}}", true},
            {"{\"cpu\":{\"totalCores\":[\"8\",{\"numeric\":[\">\",100]}]}}", false},
    };
    (void)state;
    run_match_cases(cases, ARRAY_SIZE(cases));
}

static void test_pattern_match_non_object_event(void **state)
{
    _cleanup_(enroll_pattern_freep) struct enroll_pattern *p = NULL;
    static const char *const events[] = {"[]", "[{\"a\":[1]}]", "\"a\"", "1", "null"};

    (void)state;
    assert_int_equal(enroll_pattern_compile("{\"a\":[{\"exists\":false}]}", &p, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(events); i++) {
        _cleanup_json_ json_t *e = json_loads(events[i], JSON_DECODE_ANY, NULL);
        assert_non_null(e);
        assert_false(enroll_pattern_match(p, e));
    }
    assert_false(enroll_pattern_match(p, NULL));
    assert_false(enroll_pattern_match(NULL, NULL));
    {
        _cleanup_json_ json_t *e = J("{}");
        assert_true(enroll_pattern_match(p, e));
    }
}

static void test_pattern_match_deep_event_arrays_are_bounded(void **state)
{
    _cleanup_(enroll_pattern_freep) struct enroll_pattern *p = NULL;
    _cleanup_buf_ struct buf b = BUF_INIT(1 << 20);
    _cleanup_json_ json_t *deep = NULL, *shallow = NULL;

    (void)state;
    assert_int_equal(enroll_pattern_compile("{\"a\":[1]}", &p, NULL), 0);
    /* 40 nested arrays: the leaf is past ENROLL_EVENT_MAX_ARRAY_DEPTH. */
    assert_int_equal(buf_append_str(&b, "{\"a\":"), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(buf_append_str(&b, "["), 0);
    assert_int_equal(buf_append_str(&b, "1"), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(buf_append_str(&b, "]"), 0);
    assert_int_equal(buf_append_str(&b, "}"), 0);
    deep = J(buf_str(&b));
    assert_false(enroll_pattern_match(p, deep));
    shallow = J("{\"a\":[[[[[[[[[[1]]]]]]]]]]}");
    assert_true(enroll_pattern_match(p, shallow));
}

struct error_case {
    const char *pattern;
    const char *want; /* substring of the message */
};

static void expect_compile_error(const char *text, const char *want)
{
    struct enroll_pattern *p = NULL;
    char *err = NULL;
    json_t *utf8;
    int r = enroll_pattern_compile(text, &p, &err);

    if (r != -EINVAL)
        fail_msg("%.200s: want -EINVAL, got %d", text, r);
    assert_null(p);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("%.200s: message \"%s\" lacks \"%s\"", text, err, want);
    utf8 = json_string(err); /* messages are valid UTF-8 */
    assert_non_null(utf8);
    json_decref(utf8);
    free(err);
    /* Without ret_error the same pattern still fails. */
    assert_int_equal(enroll_pattern_compile(text, &p, NULL), -EINVAL);
}

static void test_pattern_compile_rejects_bad_patterns(void **state)
{
    static const struct error_case cases[] = {
            {"", "pattern: invalid JSON at line 1"},
            {"{", "pattern: invalid JSON"},
            {"{\"a\":[1]} x", "pattern: invalid JSON"},
            {"[]", "pattern: must be a JSON object"},
            {"\"a\"", "pattern: invalid JSON"},
            {"{}", "pattern: empty object"},
            {"{\"a\":[1],\"a\":[2]}", "duplicate"},
            {"{\"a\":1}", "field \"a\": value must be an array or an object"},
            {"{\"a\":\"x\"}", "field \"a\": value must be an array or an object"},
            {"{\"a\":null}", "field \"a\": value must be an array or an object"},
            {"{\"a\":{}}", "field \"a\": empty object"},
            {"{\"a\":[[1]]}", "field \"a\": arrays inside a value array are not allowed"},
            {"{\"a\":[{\"prefix\":1}]}", "field \"a\": prefix: value must be a string"},
            {"{\"a\":[{\"suffix\":true}]}", "field \"a\": suffix: value must be a string"},
            {"{\"a\":[{\"equals-ignore-case\":null}]}",
             "equals-ignore-case: value must be a string"},
            {"{\"a\":[{\"shellstyle\":5}]}", "shellstyle: value must be a string"},
            {"{\"a\":[{\"wildcard\":[\"x\"]}]}", "wildcard: value must be a string"},
            {"{\"a\":[{\"wildcard\":\"a**b\"}]}", "wildcard: adjacent '*'"},
            {"{\"a\":[{\"shellstyle\":\"**\"}]}", "shellstyle: adjacent '*'"},
            {"{\"a\":[{\"wildcard\":\"a\\\\x\"}]}", "wildcard: invalid escape at byte 1"},
            {"{\"a\":[{\"wildcard\":\"ab\\\\\"}]}", "wildcard: invalid escape at byte 2"},
            {"{\"a\":[{\"exists\":\"yes\"}]}", "exists: value must be true or false"},
            {"{\"a\":[{\"exists\":true},\"x\"]}", "exists cannot be combined with other values"},
            {"{\"a\":[\"x\",{\"exists\":false}]}", "exists cannot be combined"},
            {"{\"a\":[\"x\",{\"anything-but\":[\"y\"]}]}", "anything-but cannot be combined"},
            {"{\"a\":[{\"anything-but\":[]}]}", "anything-but: the array must not be empty"},
            {"{\"a\":[{\"anything-but\":[true]}]}",
             "anything-but: values must be strings or numbers"},
            {"{\"a\":[{\"anything-but\":[\"a\",[1]]}]}", "values must be strings or numbers"},
            {"{\"a\":[{\"anything-but\":null}]}",
             "anything-but: values must be strings or numbers"},
            {"{\"a\":[{\"anything-but\":{\"exists\":true}}]}", "unsupported operator \"exists\""},
            {"{\"a\":[{\"anything-but\":{\"prefix\":\"x\",\"suffix\":\"y\"}}]}",
             "exactly one member"},
            {"{\"a\":[{\"anything-but\":{\"prefix\":1}}]}", "prefix: value must be a string"},
            {"{\"a\":[{\"numeric\":[\">\"]}]}", "numeric: value must be an array [op, number]"},
            {"{\"a\":[{\"numeric\":\"<5\"}]}", "numeric: value must be an array"},
            {"{\"a\":[{\"numeric\":[]}]}", "numeric: value must be an array"},
            {"{\"a\":[{\"numeric\":[\"<<\",5]}]}", "numeric: element 0 must be one of"},
            {"{\"a\":[{\"numeric\":[5,\"<\"]}]}", "numeric: element 0 must be one of"},
            {"{\"a\":[{\"numeric\":[\"<\",\"5\"]}]}", "numeric: element 1 must be a number"},
            {"{\"a\":[{\"numeric\":[\"<\",5,\">\",null]}]}", "numeric: element 3 must be a number"},
            {"{\"a\":[{\"numeric\":[\">\",1,\"<\",2,\"=\",3]}]}",
             "numeric: value must be an array"},
            {"{\"a\":[{\"regexp\":\"x\"}]}", "field \"a\": unknown operator \"regexp\""},
            {"{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}", "exactly one member, not 2"},
            {"{\"a\":[{}]}", "exactly one member, not 0"},
            {"{\"a\":{\"b\":{\"c\":[1,{\"bogus\":1}]}}}",
             "field \"a.b.c\": unknown operator \"bogus\""},
            {"{\"a\\nb\":1}", "field \"a?b\": value must be"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        expect_compile_error(cases[i].pattern, cases[i].want);
}

static void test_pattern_compile_enforces_caps(void **state)
{
    _cleanup_buf_ struct buf b = BUF_INIT(1 << 20);
    struct enroll_pattern *p = NULL;

    (void)state;
    /* 16 levels of objects compile, 17 do not. */
    for (int levels = 16; levels <= 17; levels++) {
        buf_reset(&b);
        for (int i = 0; i < levels; i++)
            assert_int_equal(buf_append_str(&b, "{\"a\":"), 0);
        assert_int_equal(buf_append_str(&b, "[1]"), 0);
        for (int i = 0; i < levels; i++)
            assert_int_equal(buf_append_str(&b, "}"), 0);
        if (levels == 16) {
            assert_int_equal(enroll_pattern_compile(buf_str(&b), &p, NULL), 0);
            p = enroll_pattern_free(p);
        } else
            expect_compile_error(buf_str(&b), "nested deeper than 16 levels");
    }
    /* ENROLL_PATTERN_MAX_VALUES values compile, one more does not. */
    for (int n = ENROLL_PATTERN_MAX_VALUES; n <= ENROLL_PATTERN_MAX_VALUES + 1; n++) {
        buf_reset(&b);
        assert_int_equal(buf_append_str(&b, "{\"a\":[0"), 0);
        for (int i = 1; i < n; i++)
            assert_int_equal(buf_printf(&b, ",%d", i), 0);
        assert_int_equal(buf_append_str(&b, "]}"), 0);
        if (n == ENROLL_PATTERN_MAX_VALUES) {
            assert_int_equal(enroll_pattern_compile(buf_str(&b), &p, NULL), 0);
            p = enroll_pattern_free(p);
        } else
            expect_compile_error(buf_str(&b), "more than 1024 values and operators");
    }
    /* Values inside anything-but count too. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "{\"a\":[{\"anything-but\":[0"), 0);
    for (int i = 1; i <= ENROLL_PATTERN_MAX_VALUES; i++)
        assert_int_equal(buf_printf(&b, ",%d", i), 0);
    assert_int_equal(buf_append_str(&b, "]}]}"), 0);
    expect_compile_error(buf_str(&b), "more than 1024 values");
    /* A string operand of ENROLL_PATTERN_MAX_STRING + 1 bytes. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "{\"a\":[{\"prefix\":\""), 0);
    for (int i = 0; i <= ENROLL_PATTERN_MAX_STRING; i++)
        assert_int_equal(buf_append_str(&b, "x"), 0);
    assert_int_equal(buf_append_str(&b, "\"}]}"), 0);
    expect_compile_error(buf_str(&b), "prefix: string longer than 4096 bytes");
    /* Text longer than ENROLL_PATTERN_MAX_BYTES. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "{\"a\":[\"x\"]}"), 0);
    for (int i = 0; i < ENROLL_PATTERN_MAX_BYTES; i++)
        assert_int_equal(buf_append_str(&b, " "), 0);
    expect_compile_error(buf_str(&b), "pattern: longer than 65536 bytes");
}

static void test_pattern_compile_rejects_invalid_utf8_and_null(void **state)
{
    struct enroll_pattern *p = NULL;
    char *err = NULL;

    (void)state;
    expect_compile_error("{\"a\xff\":[1]}", "pattern: invalid JSON");
    expect_compile_error("{\"a\":[\"\xc3\x28\"]}", "pattern: invalid JSON");
    assert_int_equal(enroll_pattern_compile(NULL, &p, &err), -EINVAL);
    assert_string_equal(err, "pattern: no pattern text");
    free(err);
    assert_int_equal(enroll_pattern_compile("{\"a\":[1]}", NULL, NULL), -EINVAL);
}

static void test_pattern_compile_json_takes_parsed_values(void **state)
{
    _cleanup_json_ json_t *pat = J("{\"cpu\":{\"totalCores\":[8]}}"), *event = J(EVENT);
    _cleanup_json_ json_t *bad = json_pack("{s:[{s:s#}]}", "a", "prefix", "x\0y", (size_t)3);
    _cleanup_(enroll_pattern_freep) struct enroll_pattern *p = NULL;
    _cleanup_free_ char *err = NULL;

    (void)state;
    assert_int_equal(enroll_pattern_compile_json(pat, &p, NULL), 0);
    assert_true(enroll_pattern_match(p, event));
    assert_int_equal(enroll_pattern_compile_json(NULL, &p, &err), -EINVAL);
    assert_string_equal(err, "pattern: must be a JSON object");
    /* Embedded NUL bytes are kept: "x\0y" is not a prefix of "x". */
    if (bad) {
        _cleanup_(enroll_pattern_freep) struct enroll_pattern *q = NULL;
        _cleanup_json_ json_t *ev = json_pack("{s:s}", "a", "x");
        assert_int_equal(enroll_pattern_compile_json(bad, &q, NULL), 0);
        assert_false(enroll_pattern_match(q, ev));
    }
}

static void test_glob_match_pieces(void **state)
{
    static const struct {
        const char *glob;
        const char *s;
        bool want;
    } cases[] = {
            {"", "", true},
            {"", "a", false},
            {"*", "", true},
            {"a*", "a", true},
            {"*a", "a", true},
            {"a*a", "a", false},
            {"a*a", "aa", true},
            {"a*b*c", "abc", true},
            {"a*b*c", "aXbYc", true},
            {"a*b*c", "acb", false},
            {"*ab*ab", "abab", true},
            {"*ab*ab", "aab", false},
            {"*x*y*z*", "..x..y..z..", true},
            {"*x*y*z*", "..x..z..y..", false},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *pat = json_pack("{s:[{s:s}]}", "f", "wildcard", cases[i].glob);
        _cleanup_(enroll_pattern_freep) struct enroll_pattern *p = NULL;
        const struct enroll_op *op;

        assert_int_equal(enroll_pattern_compile_json(pat, &p, NULL), 0);
        op = &p->root->fields[0].ops[0];
        assert_int_equal(op->type, ENROLL_OP_WILDCARD);
        if (enroll_glob_match(op, cases[i].s, strlen(cases[i].s)) != cases[i].want)
            fail_msg("glob %s on %s", cases[i].glob, cases[i].s);
    }
}

static void test_number_cmp_orders_ints_and_reals(void **state)
{
    static const struct {
        struct enroll_number a, b;
        int want;
    } cases[] = {
            {{.is_int = true, .i = 1}, {.is_int = true, .i = 2}, -1},
            {{.is_int = true, .i = 2}, {.d = 2.0}, 0},
            {{.d = 2.5}, {.is_int = true, .i = 2}, 1},
            {{.is_int = true, .i = INT64_MAX}, {.is_int = true, .i = INT64_MAX - 1}, 1},
            {{.is_int = true, .i = -5}, {.d = -4.5}, -1},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(enroll_number_cmp(&cases[i].a, &cases[i].b), cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pattern_match_exact_values),
            cmocka_unit_test(test_pattern_match_array_elements_stay_together),
            cmocka_unit_test(test_pattern_match_prefix_suffix),
            cmocka_unit_test(test_pattern_match_wildcard),
            cmocka_unit_test(test_pattern_match_equals_ignore_case),
            cmocka_unit_test(test_pattern_match_anything_but),
            cmocka_unit_test(test_pattern_match_exists),
            cmocka_unit_test(test_pattern_match_numeric),
            cmocka_unit_test(test_pattern_match_mixed_entries),
            cmocka_unit_test(test_pattern_match_non_object_event),
            cmocka_unit_test(test_pattern_match_deep_event_arrays_are_bounded),
            cmocka_unit_test(test_pattern_compile_rejects_bad_patterns),
            cmocka_unit_test(test_pattern_compile_enforces_caps),
            cmocka_unit_test(test_pattern_compile_rejects_invalid_utf8_and_null),
            cmocka_unit_test(test_pattern_compile_json_takes_parsed_values),
            cmocka_unit_test(test_glob_match_pieces),
            cmocka_unit_test(test_number_cmp_orders_ints_and_reals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
