/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every Sprig and Tinkerbell function: results as Sprig/Go give them, and
 * each error a function can report. Plus the function tables' invariants.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl/tmpl-test.h"

#define CALL "error calling "

static void test_func_tables_sorted_and_unique(void **state)
{
    static const struct {
        const struct tmpl_func *t;
        const size_t *n;
    } tables[] = {
            {tmpl_funcs_builtin, &tmpl_funcs_builtin_n},
            {tmpl_funcs_string, &tmpl_funcs_string_n},
            {tmpl_funcs_data, &tmpl_funcs_data_n},
            {tmpl_funcs_encode, &tmpl_funcs_encode_n},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
        for (size_t k = 0; k < *tables[i].n; k++) {
            const struct tmpl_func *f = &tables[i].t[k];
            if (k > 0 && strcmp(tables[i].t[k - 1].name, f->name) >= 0)
                fail_msg("table %zu not sorted at %s", i, f->name);
            assert_true(tmpl_func_lookup(f->name, strlen(f->name)) != NULL);
            assert_true(f->n_fixed <= ARRAY_SIZE(f->fixed));
            /* a name lives in one table only, except Sprig's slice */
            for (size_t j = i + 1; j < ARRAY_SIZE(tables); j++)
                for (size_t m = 0; m < *tables[j].n; m++)
                    if (strcmp(tables[j].t[m].name, f->name) == 0)
                        fail_msg("%s defined twice", f->name);
        }
    assert_null(tmpl_func_lookup("nosuch", 6));
    assert_null(tmpl_func_lookup("le", 1));
    assert_non_null(tmpl_func_lookup("lenx", 3));
}

static void test_func_strings(void **state)
{
    static const struct render_case cases[] = {
            {"{{contains \"ab\" \"cab\"}} {{\"cab\" | contains \"x\"}}", NULL, "true false", 0,
             NULL},
            {"{{hasPrefix \"ca\" \"cab\"}} {{hasPrefix \"b\" \"cab\"}}", NULL, "true false", 0,
             NULL},
            {"{{hasSuffix \"ab\" \"cab\"}} {{hasSuffix \"c\" \"cab\"}}", NULL, "true false", 0,
             NULL},
            {"[{{trim \"  a b \\n\\u00a0\"}}]", NULL, "[a b]", 0, NULL},
            {"[{{trimAll \"$x\" \"$$axb$x\"}}] [{{trimAll \"\" \"ab\"}}]", NULL, "[axb] [ab]", 0,
             NULL},
            {"[{{trimall \"-\" \"--a--\"}}]", NULL, "[a]", 0, NULL},
            {"[{{trimPrefix \"a\" \"aab\"}}] [{{trimPrefix \"x\" \"ab\"}}]", NULL, "[ab] [ab]", 0,
             NULL},
            {"[{{trimSuffix \"b\" \"abb\"}}] [{{\"/dev/sda/\" | trimSuffix \"/\"}}]", NULL,
             "[ab] [/dev/sda]", 0, NULL},
            {"{{lower \"AbC\"}} {{upper \"abc\"}} {{upper \"\\u00e9\"}}", NULL, "abc ABC \xc3\xa9",
             0, NULL},
            {"{{title \"hello wor-ld foo_bar 1a\"}} {{untitle \"Hello\"}}", NULL,
             "Hello Wor-Ld Foo_bar 1a hello", 0, NULL},
            {"{{replace \"a\" \"X\" \"banana\"}} {{replace \"\" \"-\" \"ab\"}} {{replace \"zz\" "
             "\"y\" "
             "\"a\"}}",
             NULL, "bXnXnX -a-b- a", 0, NULL},
            {"{{repeat 3 \"ab\"}}[{{repeat 0 \"x\"}}]", NULL, "ababab[]", 0, NULL},
            {"{{substr 1 3 \"hello\"}} {{substr -1 2 \"hello\"}} {{substr 2 -1 \"hello\"}} "
             "{{substr 2 99 \"hello\"}}",
             NULL, "el he llo llo", 0, NULL},
            {"{{trunc 3 \"hello\"}} {{trunc -2 \"hello\"}} {{trunc 9 \"hi\"}}", NULL, "hel lo hi",
             0, NULL},
            {"[{{nospace \" a b\\tc\\n\"}}]", NULL, "[abc]", 0, NULL},
            {"{{quote \"a\" 1 nil \"b\\\"c\"}} [{{quote}}]", NULL, "\"a\" \"1\" \"b\\\"c\" []", 0,
             NULL},
            {"{{squote \"a\" 1 nil}}", NULL, "'a' '1'", 0, NULL},
            {"{{cat \"a\" 1 nil (list 1 2)}}", NULL, "a 1 [1 2]", 0, NULL},
            {"[{{indent 2 \"a\\nb\"}}] [{{nindent 1 \"x\"}}]", NULL, "[  a\n  b] [\n x]", 0, NULL},
            {"{{join \",\" (list 1 \"a\" nil 2)}} {{join \"-\" \"abc\"}} [{{join \",\" nil}}]",
             NULL, "1,a,2 abc []", 0, NULL},
            {"{{splitList \",\" \"a,,b,\"}} {{splitList \"\" \"a\\u00e9\"}} {{len (splitList \",\" "
             "\"\")}}",
             NULL, "[a  b ] [a \xc3\xa9] 1", 0, NULL},
            {"{{split \"/\" \"a/b\"}} {{(split \",\" \"x,y\")._1}}", NULL, "map[_0:a _1:b] y", 0,
             NULL},
            {"{{splitn \",\" 2 \"a,b,c\"}} {{splitn \",\" 0 \"a\"}}", NULL,
             "map[_0:a _1:b,c] map[]", 0, NULL},
            {"{{toString 1}} {{toString 1.5}} {{toString (list 1)}} {{toString nil}} {{toString "
             "\"s\"}}",
             NULL, "1 1.5 [1] <nil> s", 0, NULL},
            /* errors */
            {"{{repeat -1 \"x\"}}", NULL, NULL, -EINVAL,
             CALL "repeat: strings: negative Repeat count"},
            {"{{indent -1 \"x\"}}", NULL, NULL, -EINVAL,
             CALL "indent: strings: negative Repeat count"},
            {"{{substr 4 2 \"hello\"}}", NULL, NULL, -EINVAL,
             CALL "substr: runtime error: slice bounds out of range [4:2]"},
            {"{{substr 9 -1 \"hello\"}}", NULL, NULL, -EINVAL, "slice bounds out of range [9:5]"},
            {"{{substr -1 9 \"hello\"}}", NULL, NULL, -EINVAL,
             "slice bounds out of range [:9] with length 5"},
            {"{{contains \"a\"}}", NULL, NULL, -EINVAL,
             "wrong number of args for contains: want 2 got 1"},
            {"{{lower 1}}", NULL, NULL, -EINVAL, "expected string; found 1"},
            {"{{.l | join \",\" 1}}", "{\"l\":[]}", NULL, -EINVAL,
             "wrong number of args for join: want 2 got 3"},
            {"{{trim .n}}", "{\"n\":null}", NULL, -EINVAL, "invalid value; expected string"},
            {"{{replace \"a\" \"b\" .l}}", "{\"l\":[]}", NULL, -EINVAL,
             "wrong type for value; expected string; got []interface {}"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_defaults_and_flow(void **state)
{
    static const struct render_case cases[] = {
            {"{{default \"d\" \"\"}} {{default \"d\" \"x\"}} {{default \"d\"}} {{default 5 0}} "
             "{{.missing | default \"none\"}}",
             "{\"missing\":null}", "d x d 5 none", 0, NULL},
            {"{{empty \"\"}} {{empty 1}} {{empty (list)}} {{empty (dict \"a\" 1)}} {{empty nil}}",
             NULL, "true false true false true", 0, NULL},
            {"{{coalesce 0 \"\" \"z\" \"y\"}} [{{coalesce 0}}]", NULL, "z [<no value>]", 0, NULL},
            {"{{all 1 \"a\"}} {{all 1 0}} {{any 0 \"\"}} {{any 0 1}} {{all}} {{any}}", NULL,
             "true false false true true false", 0, NULL},
            {"{{ternary \"y\" \"n\" true}} {{ternary \"y\" \"n\" false}} {{true | ternary 1 2}}",
             NULL, "y n 1", 0, NULL},
            {"{{required \"need it\" \"x\"}} {{required \"need it\" 0}}", NULL, "x 0", 0, NULL},
            {"{{required \"need the disk\" \"\"}}", NULL, NULL, -EINVAL,
             CALL "required: need the disk"},
            {"{{required \"need the disk\" .n}}", "{\"n\":null}", NULL, -EINVAL,
             CALL "required: need the disk"},
            {"{{fail \"custom failure\"}}", NULL, NULL, -EINVAL, CALL "fail: custom failure"},
            {"{{ternary 1 2 .s}}", "{\"s\":\"x\"}", NULL, -EINVAL,
             "wrong type for value; expected bool; got string"},
            {"{{default}}", NULL, NULL, -EINVAL,
             "wrong number of args for default: want at least 1 got 0"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_lists(void **state)
{
    static const struct render_case cases[] = {
            {"{{list 1 \"a\" nil}} {{list}} {{tuple 1}}", NULL, "[1 a <nil>] [] [1]", 0, NULL},
            {"{{first (list 1 2)}} {{last (list 1 2)}} {{first (list)}} {{last (list)}}", NULL,
             "1 2 <no value> <no value>", 0, NULL},
            {"{{rest (list 1 2 3)}} {{initial (list 1 2 3)}} {{rest (list)}} {{initial (list)}}",
             NULL, "[2 3] [1 2] <no value> <no value>", 0, NULL},
            {"{{append (list 1) 2}} {{push (list) 1}} {{prepend (list 1) 0}}", NULL,
             "[1 2] [1] [0 1]", 0, NULL},
            {"{{reverse (list 1 2 3)}} {{uniq (list 1 1 \"a\" \"a\" 1.0)}}", NULL,
             "[3 2 1] [1 a 1]", 0, NULL},
            {"{{has 2 (list 1 2)}} {{has \"2\" (list 1 2)}} {{without (list 1 2 3 1) 1 3}}", NULL,
             "true false [2]", 0, NULL},
            {"{{compact (list 0 1 \"\" \"a\" nil)}} {{concat (list 1) (list 2 3)}} {{concat}}",
             NULL, "[1 a] [1 2 3] []", 0, NULL},
            {"{{sortAlpha (list \"b\" \"a\" 10 2)}} {{sortAlpha \"x\"}}", NULL, "[10 2 a b] [x]", 0,
             NULL},
            {"{{until 3}} {{until -3}} {{until 0}} {{untilStep 0 10 3}} {{untilStep 3 0 -1}} "
             "{{untilStep 0 3 0}}",
             NULL, "[0 1 2] [0 -1 -2] [] [0 3 6 9] [3 2 1] []", 0, NULL},
            {"{{seq 3}}|{{seq 0}}|{{seq 1 1}}|{{seq 5 3}}|{{seq 1 2 7}}|{{seq 2 -1 0}}|{{seq 1 1 "
             "0}}|{{seq}}",
             NULL, "1 2 3|1 0|1|5 4 3|1 3 5 7|2 1 0||", 0, NULL},
            {"{{first \"abc\"}}", NULL, NULL, -EINVAL,
             CALL "first: Cannot find first on type string"},
            {"{{last 1}}", NULL, NULL, -EINVAL, CALL "last: Cannot find last on type int"},
            {"{{rest (dict)}}", NULL, NULL, -EINVAL, CALL "rest: Cannot find rest on type map"},
            {"{{initial true}}", NULL, NULL, -EINVAL, "Cannot find initial on type bool"},
            {"{{append 1.5 1}}", NULL, NULL, -EINVAL, CALL "append: Cannot push on type float64"},
            {"{{prepend \"x\" 1}}", NULL, NULL, -EINVAL, "Cannot prepend on type string"},
            {"{{reverse nil}}", NULL, NULL, -EINVAL,
             CALL "reverse: runtime error: invalid memory address or nil pointer dereference"},
            {"{{uniq 1}}", NULL, NULL, -EINVAL, "Cannot find uniq on type int"},
            {"{{has 1 \"x\"}}", NULL, NULL, -EINVAL, "Cannot find has on type string"},
            {"{{without 1 1}}", NULL, NULL, -EINVAL, "Cannot find without on type int"},
            {"{{compact 1}}", NULL, NULL, -EINVAL, "Cannot compact on type int"},
            {"{{concat (list 1) 2}}", NULL, NULL, -EINVAL,
             CALL "concat: Cannot concat type int as list"},
            {"{{until \"3\"}}", NULL, NULL, -EINVAL, "expected integer; found \"3\""},
            {"{{seq 1 \"2\"}}", NULL, NULL, -EINVAL, "expected integer; found \"2\""},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_dicts(void **state)
{
    static const struct render_case cases[] = {
            {"{{dict \"a\" 1 \"b\"}} {{dict 1 2}} {{dict}}", NULL, "map[a:1 b:] map[1:2] map[]", 0,
             NULL},
            {"{{get (dict \"a\" 1) \"a\"}} [{{get (dict) \"x\"}}] [{{get nil \"x\"}}]", NULL,
             "1 [] []", 0, NULL},
            {"{{hasKey (dict \"a\" 1) \"a\"}} {{hasKey (dict) \"a\"}} {{hasKey nil \"a\"}}", NULL,
             "true false false", 0, NULL},
            {"{{keys (dict \"b\" 1 \"a\" 2) (dict \"c\" 3)}} {{keys}} {{values (dict \"b\" 1 \"a\" "
             "2)}}",
             NULL, "[a b c] [] [2 1]", 0, NULL},
            {"{{$d := dict}}{{$_ := set $d \"k\" \"v\"}}{{$d}} {{unset $d \"k\"}} {{unset nil "
             "\"k\"}}",
             NULL, "map[k:v] map[] <no value>", 0, NULL},
            {"{{pick (dict \"a\" 1 \"b\" 2 \"c\" 3) \"a\" \"c\"}} {{omit (dict \"a\" 1 \"b\" 2) "
             "\"a\"}}",
             NULL, "map[a:1 c:3] map[b:2]", 0, NULL},
            {"{{(dict \"k\" (list 1 2)).k}}", NULL, "[1 2]", 0, NULL},
            {"{{set nil \"a\" 1}}", NULL, NULL, -EINVAL,
             CALL "set: assignment to entry in nil map"},
            {"{{keys (list)}}", NULL, NULL, -EINVAL,
             "wrong type for value; expected map[string]interface {}; got []interface {}"},
            {"{{get (dict) 1}}", NULL, NULL, -EINVAL, "expected string; found 1"},
            {"{{pick (dict) 1}}", NULL, NULL, -EINVAL, "expected string; found 1"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_conversions_and_math(void **state)
{
    static const struct render_case cases[] = {
            {"{{atoi \"42\"}} {{atoi \"x\"}} {{atoi \"007\"}} {{atoi \"-3\"}} {{atoi \"1_0\"}} "
             "{{atoi \"99999999999999999999\"}}",
             NULL, "42 0 7 -3 0 0", 0, NULL},
            {"{{int \"0x10\"}} {{int \"1.00\"}} {{int 3.9}} {{int true}} {{int \"1_000\"}} {{int "
             "\"010\"}} {{int nil}} {{int \"1.5\"}}",
             NULL, "16 1 3 1 1000 8 0 0", 0, NULL},
            {"{{int64 \"12\"}} {{float64 \"1.5\"}} {{float64 3}} {{float64 \"x\"}} {{float64 "
             "\"1e999\"}}",
             NULL, "12 1.5 3 0 0", 0, NULL},
            {"{{add 1 2 \"3\"}} {{add}} {{add1 5}} {{sub 5 7}} {{mul 2 3 4}} {{mul 5}}", NULL,
             "6 0 6 -2 24 5", 0, NULL},
            {"{{div 7 2}} {{div -7 2}} {{mod -7 3}} {{mod 7 -1}} {{max 1 5 3}} {{min 4 2 8}} {{max "
             "\"9\" 2.5}}",
             NULL, "3 -3 -1 0 5 2 9", 0, NULL},
            {"{{add 9223372036854775807 1}} {{div -9223372036854775808 -1}}", NULL,
             "-9223372036854775808 -9223372036854775808", 0, NULL},
            {"{{div 1 0}}", NULL, NULL, -EINVAL, CALL "div: runtime error: integer divide by zero"},
            {"{{mod 1 0}}", NULL, NULL, -EINVAL, CALL "mod: runtime error: integer divide by zero"},
            {"{{atoi 1}}", NULL, NULL, -EINVAL, "expected string; found 1"},
            {"{{sub 1}}", NULL, NULL, -EINVAL, "wrong number of args for sub: want 2 got 1"},
            {"{{max}}", NULL, NULL, -EINVAL, "wrong number of args for max: want at least 1 got 0"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_encodings(void **state)
{
    static const struct render_case cases[] = {
            {"{{toJson .}}",
             "{\"s\":\"<a&b>\",\"f\":0.1,\"big\":1e21,\"small\":1e-7,\"i\":3,"
             "\"l\":[],\"m\":{},\"u\":\"\\u2028\",\"n\":null,\"t\":true}",
             "{\"big\":1e+21,\"f\":0.1,\"i\":3,\"l\":[],\"m\":{},\"n\":null,\"s\":\"\\u003ca\\u0026"
             "b\\u003e\",\"small\":1e-7,\"t\":true,\"u\":\"\\u2028\"}",
             0, NULL},
            {"{{toRawJson .}}", "{\"s\":\"<a>\",\"x\":\"\\u0001\\n\"}",
             "{\"s\":\"<a>\",\"x\":\"\\u0001\\n\"}", 0, NULL},
            {"{{toJson \"\\xff\"}} {{toJson 1.5}} {{toJson 100000000.0}}", NULL,
             "\"\\ufffd\" 1.5 100000000", 0, NULL},
            {"{{toPrettyJson .}}", "{\"b\":[1,{}],\"a\":{\"x\":null}}",
             "{\n  \"a\": {\n    \"x\": null\n  },\n  \"b\": [\n    1,\n    {}\n  ]\n}", 0, NULL},
            {"{{(fromJson \"{\\\"a\\\":[1,2.5,\\\"x\\\"]}\").a}} [{{fromJson \"bad\"}}] {{fromJson "
             "\"3\"}}",
             NULL, "[1 2.5 x] [<no value>] 3", 0, NULL},
            {"{{mustFromJson \"[1]\"}}", NULL, "[1]", 0, NULL},
            {"{{mustFromJson \"bad\"}}", NULL, NULL, -EINVAL, CALL "mustFromJson: invalid token"},
            {"{{b64enc \"hello\"}} {{b64enc \"\"}} {{b64enc \"ab\"}} {{b64enc \"a\"}}", NULL,
             "aGVsbG8=  YWI= YQ==", 0, NULL},
            {"{{b64dec \"aGVsbG8=\"}}|{{b64dec \"YW\\nJj\"}}|{{b64dec \"\"}}|{{b64dec \"YWI=\"}}",
             NULL, "hello|abc||ab", 0, NULL},
            {"{{b64dec \"YQ\"}}|{{b64dec \"YQ=x\"}}|{{b64dec \"Y=Q=\"}}|{{b64dec \"a$\"}}", NULL,
             "illegal base64 data at input byte 0|illegal base64 data at input byte 2|illegal "
             "base64 data at input byte 1|illegal base64 data at input byte 1",
             0, NULL},
            {"{{toYaml .}}", "{\"b\":[1,\"x\"],\"a\":{\"k\":\"v\"}}", "a:\n  k: v\nb:\n- 1\n- x", 0,
             NULL},
            {"{{toYaml \"plain\"}}|{{toYaml 3}}", NULL, "plain|3", 0, NULL},
            {"{{(fromYaml \"a: 1\\nb: [x, y]\").b}} {{fromYaml \"- 1\\n- 2\"}} [{{fromYaml \"# "
             "c\"}}] {{(fromYaml \"a: 1\\n---\\na: 2\").a}}",
             NULL, "[x y] [1 2] [<no value>] 1", 0, NULL},
            {"{{fromYaml \"\"}}", NULL, NULL, -EINVAL, CALL "fromYaml: fromYaml: empty YAML input"},
            {"{{fromYaml \"a: [1\"}}", NULL, NULL, -EINVAL, CALL "fromYaml: fromYaml: yaml: line"},
            {"{{toYaml \"\\xff\"}}", NULL, NULL, -EINVAL,
             CALL "toYaml: toYaml: string is not valid"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_regex(void **state)
{
    static const struct render_case cases[] = {
            {"{{regexMatch \"^[a-z]+\\\\d{2}$\" \"abc12\"}} {{regexMatch \"^[a-z]+\\\\d{2}$\" "
             "\"abc1\"}}",
             NULL, "true false", 0, NULL},
            {"{{regexMatch \"(?i)^ABC$\" \"abc\"}} {{regexMatch \"\\\\w+@\\\\w+\\\\.com\" "
             "\"me@x.com\"}} {{regexMatch \"^\\\\S+\\\\s\\\\D$\" \"ab x\"}}",
             NULL, "true true true", 0, NULL},
            {"{{regexMatch \"(?:ab)+c\" \"ababc\"}} {{regexMatch \"a.*?b\" \"axxb\"}} {{regexMatch "
             "\"(?P<x>a)b\" \"ab\"}} {{regexMatch \"[\\\\d.]+\" \"1.2\"}}",
             NULL, "true true true true", 0, NULL},
            {"{{regexMatch \"^enp[0-9]+s[0-9]+$\" \"enp1s0\"}} {{regexMatch \"a{2,3}\" \"xaax\"}} "
             "{{regexMatch \"\\\\Aab\\\\z\" \"ab\"}}",
             NULL, "true true true", 0, NULL},
            {"{{regexMatch \"(\" \"x\"}} {{regexMatch \"\\\\1\" \"x\"}} {{regexMatch \"(?z)a\" "
             "\"a\"}} {{regexMatch \"(a{100}){100}\" \"x\"}} {{regexMatch \"a{1001}\" \"x\"}}",
             NULL, "false false false false false", 0, NULL},
            {"{{mustRegexMatch \"^a\" \"ab\"}} {{regexMatch \"(?s)a.b\" \"a\\nb\"}} "
             "{{regexMatch \"(?m)^b$\" \"a\\nb\"}} {{regexMatch \"^b$\" \"a\\nb\"}}",
             NULL, "true true true false", 0, NULL},
            {"{{mustRegexMatch \"(\" \"x\"}}", NULL, NULL, -EINVAL,
             CALL "mustRegexMatch: error parsing regexp"},
            {"{{regexMatch \"a\" (repeat 70000 \"a\")}}", NULL, NULL, -EINVAL,
             CALL "regexMatch: regexMatch: input longer than 65536 bytes"},
            {"{{regexMatch \"(a{1,30}){1,30}b\" (repeat 60000 \"a\")}}", NULL, NULL, -EINVAL,
             CALL "regexMatch: regexMatch: pattern too complex for an input of 60000 bytes"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_func_tinkerbell(void **state)
{
    static const struct render_case cases[] = {
            {"{{formatPartition \"/dev/nvme0n1\" 1}} {{formatPartition \"/dev/sda\" 2}} "
             "{{formatPartition \"/dev/disk/by-id/x\" 3}} {{formatPartition \"/dev/mmcblk0\" 4}} "
             "{{formatPartition \"\" 1}}",
             NULL, "/dev/nvme0n1p1 /dev/sda2 /dev/disk/by-id/x-part3 /dev/mmcblk0p4 1", 0, NULL},
            {"{{netmaskToPrefixLength \"255.255.255.0\"}} {{netmaskToPrefixLength "
             "\"255.0.255.0\"}} "
             "{{netmaskToPrefixLength \"::ffff:255.255.0.0\"}} {{netmaskToPrefixLength "
             "\"255.255.255.255\"}} {{netmaskToPrefixLength \"0.0.0.0\"}}",
             NULL, "24 0 16 32 0", 0, NULL},
            {"{{netmaskToPrefixLength \"::1\"}}", NULL, NULL, -EINVAL,
             CALL "netmaskToPrefixLength: netmask must be IPv4: ::1"},
            {"{{netmaskToPrefixLength \"255.255.255\"}}", NULL, NULL, -EINVAL,
             "invalid netmask format: 255.255.255"},
            {"{{netmaskToPrefixLength \"\"}}", NULL, NULL, -EINVAL, "invalid netmask format: "},
            {"{{netmaskToPrefixLength \"255.255.255.000\"}}", NULL, NULL, -EINVAL,
             "invalid netmask format"},
            {"{{formatPartition \"/dev/sda\" \"1\"}}", NULL, NULL, -EINVAL,
             "expected integer; found \"1\""},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_func_tables_sorted_and_unique),
            cmocka_unit_test(test_func_strings),
            cmocka_unit_test(test_func_defaults_and_flow),
            cmocka_unit_test(test_func_lists),
            cmocka_unit_test(test_func_dicts),
            cmocka_unit_test(test_func_conversions_and_math),
            cmocka_unit_test(test_func_encodings),
            cmocka_unit_test(test_func_regex),
            cmocka_unit_test(test_func_tinkerbell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
