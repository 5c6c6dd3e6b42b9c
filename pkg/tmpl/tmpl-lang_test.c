/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template language: every construct, Go's printing and truth rules,
 * the builtins, parse and execution errors, and the work caps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl/tmpl-test.h"

#define DATA                                                                     \
    "{\"a\":1,\"s\":\"str\",\"e\":\"\",\"z\":0,\"f\":1.5,\"t\":true,\"n\":null," \
    "\"l\":[1,\"two\",null],\"el\":[],\"m\":{\"b\":2,\"a\":1},\"em\":{},"        \
    "\"nested\":{\"x\":{\"y\":\"deep\"}},\"device_1\":\"52:54:00:12:34:56\"}"

static void test_render_text_and_actions(void **state)
{
    static const struct render_case cases[] = {
            {"", NULL, "", 0, NULL},
            {"plain text\n", NULL, "plain text\n", 0, NULL},
            {"{{.a}}", DATA, "1", 0, NULL},
            {"x{{.s}}y", DATA, "xstry", 0, NULL},
            {"{{ .nested.x.y }}", DATA, "deep", 0, NULL},
            {"{{.device_1}}", DATA, "52:54:00:12:34:56", 0, NULL},
            {"{{$.a}}", DATA, "1", 0, NULL},
            {"{{$}}", "{\"k\":\"v\"}", "map[k:v]", 0, NULL},
            {"{{.}}", "[1,2]", "[1 2]", 0, NULL},
            {"{{.n}}", DATA, "<no value>", 0, NULL},
            {"{{.m}}", DATA, "map[a:1 b:2]", 0, NULL},
            {"{{.l}}", DATA, "[1 two <nil>]", 0, NULL},
            {"{{.f}} {{.t}} {{.e}}|", DATA, "1.5 true |", 0, NULL},
            {"{{.nested}}", DATA, "map[x:map[y:deep]]", 0, NULL},
            {"{{\"lit\"}} {{`raw\\n`}} {{42}} {{-7}} {{1.5}} {{true}}", NULL,
             "lit raw\\n 42 -7 1.5 true", 0, NULL},
            {"{{0x1F}} {{017}} {{0o17}} {{0b101}} {{1_000}} {{'a'}} {{'\\n'}}", NULL,
             "31 15 15 5 1000 97 10", 0, NULL},
            {"{{1e3}} {{1e6}} {{100000.0}} {{0.0001}} {{0.00001}} {{1234567.0}}", NULL,
             "1000 1e+06 100000 0.0001 1e-05 1.234567e+06", 0, NULL},
            {"{{\"tab\\tq\\\"\\u00e9\\x41\\101\\\\\"}}", NULL,
             "tab\tq\"\xc3\xa9"
             "AA\\",
             0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_trim_and_comments(void **state)
{
    static const struct render_case cases[] = {
            {"a  {{- .a}}", DATA, "a1", 0, NULL},
            {"{{.a -}}  \n b", DATA, "1b", 0, NULL},
            {"a \n {{- .a -}} \n b", DATA, "a1b", 0, NULL},
            {"a {{/* comment */}} b", NULL, "a  b", 0, NULL},
            {"a {{- /* comment */ -}} b", NULL, "ab", 0, NULL},
            {"{{/* multi\nline */}}x", NULL, "x", 0, NULL},
            {"a {{-3}}", NULL, "a -3", 0, NULL},
            {"x\n{{- if true}}\ny\n{{- end}}\n", NULL, "x\ny\n", 0, NULL},
            {"{{.a\n}}", DATA, "1", 0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_truth_rules(void **state)
{
    static const struct render_case cases[] = {
            {"{{if .a}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if .z}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .s}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if .e}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .n}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .l}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if .el}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .m}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if .em}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .t}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if 0.0}}y{{else}}n{{end}}", DATA, "n", 0, NULL},
            {"{{if .f}}y{{else}}n{{end}}", DATA, "y", 0, NULL},
            {"{{if false}}y{{end}}", DATA, "", 0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_control_structures(void **state)
{
    static const struct render_case cases[] = {
            {"{{if eq .a 2}}two{{else if eq .a 1}}one{{else}}other{{end}}", DATA, "one", 0, NULL},
            {"{{if eq .a 2}}two{{else if eq .a 3}}three{{else}}other{{end}}", DATA, "other", 0,
             NULL},
            {"{{with .nested.x}}{{.y}}{{end}}", DATA, "deep", 0, NULL},
            {"{{with .e}}set{{else}}empty{{end}}", DATA, "empty", 0, NULL},
            {"{{with .e}}a{{else with .s}}{{.}}{{else}}c{{end}}", DATA, "str", 0, NULL},
            {"{{range .l}}[{{.}}]{{end}}", DATA, "[1][two][<no value>]", 0, NULL},
            {"{{range $i, $v := .l}}{{$i}}={{$v}} {{end}}", DATA, "0=1 1=two 2=<no value> ", 0,
             NULL},
            {"{{range $k, $v := .m}}{{$k}}:{{$v}} {{end}}", DATA, "a:1 b:2 ", 0, NULL},
            {"{{range $v := .m}}{{$v}}{{end}}", DATA, "12", 0, NULL},
            {"{{range .el}}x{{else}}empty{{end}}", DATA, "empty", 0, NULL},
            {"{{range .em}}x{{else}}none{{end}}", DATA, "none", 0, NULL},
            {"{{range .n}}x{{else}}nil{{end}}", DATA, "nil", 0, NULL},
            {"{{range 3}}{{.}}{{end}}", NULL, "012", 0, NULL},
            {"{{range $i := 2}}{{$i}}{{end}}", NULL, "01", 0, NULL},
            {"{{range 0}}x{{else}}zero{{end}}", NULL, "zero", 0, NULL},
            {"{{range .l}}{{if eq (printf \"%v\" .) \"two\"}}{{break}}{{end}}{{.}}{{end}}", DATA,
             "1", 0, NULL},
            {"{{range .l}}{{if eq (printf \"%v\" .) \"1\"}}{{continue}}{{end}}[{{.}}]{{end}}", DATA,
             "[two][<no value>]", 0, NULL},
            {"{{range $i, $v := .l}}{{range $.m}}{{$i}}{{.}}{{end}}{{end}}", DATA, "010211122122",
             0, NULL},
            {"{{$x := 0}}{{range $x = .l}}{{end}}{{$x}}", DATA, "<no value>", 0, NULL},
            {"{{$i := 9}}{{$v := 9}}{{range $i, $v = .l}}{{end}}{{$i}}{{$v}}", DATA, "2<no value>",
             0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_variables_and_pipelines(void **state)
{
    static const struct render_case cases[] = {
            {"{{$x := .a}}{{$x}}", DATA, "1", 0, NULL},
            {"{{$x := 1}}{{$x = 2}}{{$x}}", NULL, "2", 0, NULL},
            {"{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}", NULL, "2", 0, NULL},
            {"{{$x := .nested}}{{$x.x.y}}", DATA, "deep", 0, NULL},
            {"{{.s | printf \"%s!\"}}", DATA, "str!", 0, NULL},
            {"{{.a | printf \"%d-%d\" 7}}", DATA, "7-1", 0, NULL},
            {"{{(printf \"%d\" 12) | len}}", NULL, "2", 0, NULL},
            {"{{(.nested.x).y}}", DATA, "deep", 0, NULL},
            {"{{(index .l 1) | printf \"%q\"}}", DATA, "\"two\"", 0, NULL},
            {"{{printf \"%v\" (len (print .l))}}", DATA, "13", 0, NULL},
            {"{{$x := \"a\" | printf \"%s%s\" \"b\"}}{{$x}}", NULL, "ba", 0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_define_template_block(void **state)
{
    static const struct render_case cases[] = {
            {"{{define \"x\"}}[{{.}}]{{end}}a{{template \"x\" .a}}b", DATA, "a[1]b", 0, NULL},
            {"{{define \"x\"}}{{$}}{{end}}{{template \"x\" \"dot\"}}", NULL, "dot", 0, NULL},
            {"{{define \"x\"}}none{{end}}{{template \"x\"}}", NULL, "none", 0, NULL},
            {"{{block \"b\" .s}}<{{.}}>{{end}}", DATA, "<str>", 0, NULL},
            {"{{define `r`}}{{if .}}{{.}}{{template `r` (slice . 1)}}{{end}}{{end}}"
             "{{template `r` \"abc\"}}",
             NULL, "abcbcc", 0, NULL},
            {"{{define \"t\"}}override{{end}} \n ", NULL, "override", 0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_builtins(void **state)
{
    static const struct render_case cases[] = {
            {"{{and 1 2}} {{and 0 (fail \"not evaluated\")}} {{and 1 \"\"}}", NULL, "2 0 ", 0,
             NULL},
            {"{{or 0 \"\" 3}} {{or 1 (fail \"not evaluated\")}} {{or 0 \"\"}}|", NULL, "3 1 |", 0,
             NULL},
            {"{{.a | and 1}} {{.z | or 5}}", DATA, "1 5", 0, NULL},
            {"{{not 0}} {{not .s}}", DATA, "true false", 0, NULL},
            {"{{len .s}} {{len .l}} {{len .m}} {{len \"h\\u00e9\"}}", DATA, "3 3 2 3", 0, NULL},
            {"{{index .l 1}} {{index .m \"b\"}} {{index .m \"missing\"}} {{index .nested \"x\" "
             "\"y\"}}",
             DATA, "two 2 <no value> deep", 0, NULL},
            {"{{index \"abc\" 1}}", NULL, "98", 0, NULL},
            {"{{slice \"hello\" 1 3}} {{slice \"hello\" 2}} {{slice .l 1}} {{slice .l 0 1}} "
             "{{slice .el}}",
             DATA, "el llo [two <nil>] [1] <no value>", 0, NULL},
            {"{{print 1 2 \"a\" \"b\" 3}}|{{println 1 \"a\"}}|", NULL, "1 2ab3|1 a\n|", 0, NULL},
            {"{{eq 1 1}} {{eq 1 2 3 1}} {{eq \"a\" \"b\"}} {{eq .n nil}} {{eq .s nil}}", DATA,
             "true true false true false", 0, NULL},
            {"{{eq 1 1.0}} {{lt 1 1.5}} {{gt 2.5 2}} {{eq .f 1.5}}", DATA, "true true true true", 0,
             NULL},
            {"{{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge \"a\" \"b\"}}", NULL,
             "true true true true false", 0, NULL},
            {"{{html \"<a href='x'>&\\\"\"}}", NULL, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;", 0,
             NULL},
            {"{{js \"a'b\\\"c<d>=&\\\\\\n\"}}", NULL,
             "a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u0026\\\\\\u000A", 0, NULL},
            {"{{urlquery \"a b&c=d/é\"}}", NULL, "a+b%26c%3Dd%2F%C3%A9", 0, NULL},
            {"{{js \"\\u00e9\\u2028\\xff\"}} {{\"\xff\"}}", NULL,
             "\xc3\xa9\\u2028\xff \xef\xbf\xbd", 0, NULL},
            {"{{html 1 2}} {{urlquery .l}}", DATA, "1 2 %5B1+two+%3Cnil%3E%5D", 0, NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_parse_errors(void **state)
{
    static const struct render_case cases[] = {
            {"{{.a", NULL, NULL, -EBADMSG, "template: t:1: unclosed action"},
            {"{{if .a}}x", NULL, NULL, -EBADMSG, "template: t:1: unexpected EOF"},
            {"x{{end}}", NULL, NULL, -EBADMSG, "unexpected {{end}}"},
            {"{{else}}", NULL, NULL, -EBADMSG, "unexpected {{else}}"},
            {"{{nosuch 1}}", NULL, NULL, -EBADMSG, "function \"nosuch\" not defined"},
            {"{{$x}}", NULL, NULL, -EBADMSG, "undefined variable \"$x\""},
            {"{{if true}}{{$x := 1}}{{end}}{{$x}}", NULL, NULL, -EBADMSG,
             "undefined variable \"$x\""},
            {"{{define \"d\"}}{{$y}}{{end}}", NULL, NULL, -EBADMSG, "undefined variable \"$y\""},
            {"{{3x}}", NULL, NULL, -EBADMSG, "bad number syntax: \"3x\""},
            {"{{99999999999999999999}}", NULL, NULL, -EBADMSG, "integer overflow"},
            {"{{1+2i}}", NULL, NULL, -EBADMSG, "complex numbers are not supported"},
            {"{{\"abc}}", NULL, NULL, -EBADMSG, "unterminated quoted string"},
            {"{{`abc}}", NULL, NULL, -EBADMSG, "unterminated raw quoted string"},
            {"{{'ab'}}", NULL, NULL, -EBADMSG, "malformed character constant: 'ab'"},
            {"{{\"\\q\"}}", NULL, NULL, -EBADMSG, "invalid syntax"},
            {"{{/* x }}", NULL, NULL, -EBADMSG, "unclosed comment"},
            {"{{/* x */ .a}}", NULL, NULL, -EBADMSG, "comment ends before closing delimiter"},
            {"{{if}}{{end}}", NULL, NULL, -EBADMSG, "missing value for if"},
            {"{{}}", NULL, NULL, -EBADMSG, "missing value for command"},
            {"{{.a | 3}}", NULL, NULL, -EBADMSG, "non executable command in pipeline stage 2"},
            {"{{)}}", NULL, NULL, -EBADMSG, "unexpected right paren"},
            {"{{(.a}}", NULL, NULL, -EBADMSG, "unclosed left paren"},
            {"{{break}}", NULL, NULL, -EBADMSG, "{{break}} outside {{range}}"},
            {"{{continue}}", NULL, NULL, -EBADMSG, "{{continue}} outside {{range}}"},
            {"{{$a, $b := 1}}", NULL, NULL, -EBADMSG, "too many declarations in command"},
            {"{{range $a, 3}}{{end}}", NULL, NULL, -EBADMSG, "range can only initialize variables"},
            {"{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}", NULL, NULL, -EBADMSG,
             "multiple definition of template \"x\""},
            {"{{.a#}}", NULL, NULL, -EBADMSG, "bad character U+0023 '#'"},
            {"{{\"s\".x}}", NULL, NULL, -EBADMSG, "unexpected . after term \"\\\"s\\\"\""},
            {"{{.a:1}}", NULL, NULL, -EBADMSG, "expected :="},
            {"{{define \"t\"}}a{{end}}b", NULL, NULL, -EBADMSG,
             "multiple definition of template \"t\""},
            {"{{template .}}", NULL, NULL, -EBADMSG, "unexpected <.> in template clause"},
            {"{{if 1}}{{else}}{{else}}{{end}}", NULL, NULL, -EBADMSG,
             "expected end; found {{else}}"},
            {"line1\nline2 {{if}}", NULL, NULL, -EBADMSG, "template: t:2: missing value for if"},
            {"{{\"\\x\x01\"}}", NULL, NULL, -EBADMSG, "invalid syntax"},
            {"{{\x01}}", NULL, NULL, -EBADMSG, "unrecognized character in action: U+0001"},
            {"{{define \"x\"}}", NULL, NULL, -EBADMSG, "unexpected EOF"},
            {"{{range .}}{{else}}{{break}}{{end}}", NULL, NULL, -EBADMSG, "outside {{range}}"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_parse_error_position(void **state)
{
    struct tmpl_error err;
    struct tmpl *t = NULL;
    (void)state;

    assert_int_equal(tmpl_new(&t, "pos", "ok\n  {{ nosuch }}", 17, &err), -EBADMSG);
    assert_null(t);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 6);
    assert_string_equal(err.message, "template: pos:2: function \"nosuch\" not defined");
}

static void test_render_exec_errors(void **state)
{
    static const struct render_case cases[] = {
            {"{{.missing}}", DATA, NULL, -EINVAL,
             "template: t:1:2: executing \"t\" at <.missing>: map has no entry for key "
             "\"missing\""},
            {"{{.n.x}}", DATA, NULL, -EINVAL, "nil pointer evaluating interface {}.x"},
            {"{{$x := .n}}{{$x.y}}", DATA, NULL, -EINVAL, "nil data; no entry for key \"y\""},
            {"{{.s.x}}", DATA, NULL, -EINVAL, "can't evaluate field x in type interface {}"},
            {"{{$x := .s}}{{$x.x}}", DATA, NULL, -EINVAL, "can't evaluate field x in type string"},
            {"{{.l.x}}", DATA, NULL, -EINVAL, "can't evaluate field x in type interface {}"},
            {"{{.m.c}}", DATA, NULL, -EINVAL, "map has no entry for key \"c\""},
            {"{{.m 1}}", DATA, NULL, -EINVAL, "m is not a method but has arguments"},
            {"{{1 | .m}}", DATA, NULL, -EINVAL, "m is not a method but has arguments"},
            {"{{len}}", NULL, NULL, -EINVAL, "wrong number of args for len: want 1 got 0"},
            {"{{index}}", NULL, NULL, -EINVAL,
             "wrong number of args for index: want at least 1 got 0"},
            {"{{lt 1}}", NULL, NULL, -EINVAL, "wrong number of args for lt: want 2 got 1"},
            {"{{printf 3}}", NULL, NULL, -EINVAL, "expected string; found 3"},
            {"{{printf .a}}", DATA, NULL, -EINVAL,
             "wrong type for value; expected string; got int"},
            {"{{printf .n}}", DATA, NULL, -EINVAL, "invalid value; expected string"},
            {"{{printf nil}}", DATA, NULL, -EINVAL, "cannot assign nil to string"},
            {"{{fail \"boom\"}}", NULL, NULL, -EINVAL,
             "executing \"t\" at <fail \"boom\">: error calling fail: boom"},
            {"{{template \"nope\"}}", NULL, NULL, -EINVAL, "template \"nope\" not defined"},
            {"{{range .s}}{{end}}", DATA, NULL, -EINVAL, "range can't iterate over str"},
            {"{{range $i, $v := 3}}{{end}}", NULL, NULL, -EINVAL,
             "can't use 3 to iterate over more than one variable"},
            {"{{nil}}", NULL, NULL, -EINVAL, "nil is not a command"},
            {"{{\"x\" 1}}", NULL, NULL, -EINVAL, "can't give argument to non-function \"x\""},
            {"{{(nil).x}}", NULL, NULL, -EINVAL, "nil is not a command"},
            {"{{index .l 5}}", DATA, NULL, -EINVAL, "error calling index: index out of range: 5"},
            {"{{index .l -1}}", DATA, NULL, -EINVAL, "index out of range: -1"},
            {"{{index .l \"x\"}}", DATA, NULL, -EINVAL,
             "cannot index slice/array with type string"},
            {"{{index .m 1}}", DATA, NULL, -EINVAL, "value has type int; should be string"},
            {"{{index .a 1}}", DATA, NULL, -EINVAL, "can't index item of type int"},
            {"{{index nil 1}}", DATA, NULL, -EINVAL, "index of untyped nil"},
            {"{{slice .a 1}}", DATA, NULL, -EINVAL, "can't slice item of type int"},
            {"{{slice \"abc\" 2 1}}", NULL, NULL, -EINVAL, "invalid slice index: 2 > 1"},
            {"{{slice \"abc\" 1 2 3}}", NULL, NULL, -EINVAL, "cannot 3-index slice a string"},
            {"{{slice \"abc\" 0 9}}", NULL, NULL, -EINVAL, "index out of range: 9"},
            {"{{len 3}}", NULL, NULL, -EINVAL, "len of type int"},
            {"{{len .n}}", DATA, NULL, -EINVAL, "len of nil pointer"},
            {"{{eq .s 1}}", DATA, NULL, -EINVAL,
             "incompatible types for comparison: string and int"},
            {"{{eq .m .m}}", DATA, NULL, -EINVAL, "non-comparable type"},
            {"{{eq 1}}", NULL, NULL, -EINVAL, "missing argument for comparison"},
            {"{{lt true false}}", NULL, NULL, -EINVAL, "invalid type for comparison"},
            {"{{lt 1 \"a\"}}", NULL, NULL, -EINVAL, "incompatible types for comparison"},
            {"{{lt .l 1}}", DATA, NULL, -EINVAL, "invalid type for comparison"},
            {"{{$x := 1}}{{template \"d\"}}{{define \"d\"}}{{$x = 2}}{{end}}", NULL, NULL, -EINVAL,
             "undefined variable: $x"},
            {"{{upper 5}}", NULL, NULL, -EINVAL, "expected string; found 5"},
            {"{{ternary 1 2 \"x\"}}", NULL, NULL, -EINVAL, "expected bool; found \"x\""},
            {"{{repeat \"x\" \"y\"}}", NULL, NULL, -EINVAL, "expected integer; found \"x\""},
            {"{{repeat 1.5 \"y\"}}", NULL, NULL, -EINVAL, "expected integer; found 1.5"},
            {"{{get \"x\" \"k\"}}", NULL, NULL, -EINVAL, "can't handle \"x\" for arg of type map"},
            {"{{get .l \"k\"}}", DATA, NULL, -EINVAL,
             "wrong type for value; expected map[string]interface {}; got []interface {}"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_exec_error_position(void **state)
{
    static const char text[] = "version: \"0.1\"\nname: x\n  worker: \"{{.device_2}}\"\n";
    json_t *data = test_json("{\"device_1\":\"m\"}");
    struct tmpl_error err;
    char *out = NULL;
    (void)state;

    assert_int_equal(tmpl_render("wf", text, strlen(text), data, &out, NULL, &err), -EINVAL);
    assert_null(out);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 14);
    assert_string_equal(err.message, "template: wf:3:13: executing \"wf\" at <.device_2>: map has "
                                     "no entry for key \"device_2\"");
    json_decref(data);
}

static void test_render_caps(void **state)
{
    static const struct tmpl_limits small = {
            .max_output = 64, .max_steps = 1000, .max_work_bytes = 4096, .max_depth = 50};
    static const struct render_case cases[] = {
            {"{{range 100}}0123456789{{end}}", NULL, NULL, -E2BIG,
             "rendered template exceeds 64 bytes"},
            {"{{range 10000}}{{end}}", NULL, NULL, -E2BIG, "execution exceeds 1000 steps"},
            {"{{$x := repeat 10000 \"x\"}}", NULL, NULL, -E2BIG, "bytes of values"},
            {"{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}", NULL, NULL, -E2BIG,
             "exceeded maximum template depth (50)"},
            {"{{len (until 100000)}}", NULL, NULL, -E2BIG, "bytes of values"},
            {"{{range 10}}x{{end}}", NULL, "xxxxxxxxxx", 0, NULL},
            {"{{$d := dict}}{{range 200}}{{$d = dict \"a\" $d}}{{end}}{{len (toJson $d)}}", NULL,
             NULL, -E2BIG, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        test_render_case(&cases[i], &small);
}

static void test_render_default_caps(void **state)
{
    static const struct render_case cases[] = {
            {"{{range 300000}}x{{end}}", NULL, NULL, -E2BIG,
             "rendered template exceeds 262144 bytes"},
            {"{{range 2000000}}{{end}}", NULL, NULL, -E2BIG, "execution exceeds 1000000 steps"},
            {"{{$d := dict}}{{range 600}}{{$d = dict \"a\" $d}}{{end}}{{$d}}", NULL, NULL, -E2BIG,
             "value nesting exceeds 512 levels"},
            {"{{$s := \"x\"}}{{range 40}}{{$s = cat $s $s}}{{end}}", NULL, NULL, -E2BIG,
             "bytes of values"},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

static void test_render_nesting_cap(void **state)
{
    char text[4096];
    size_t n = 0;
    struct tmpl_error err;
    struct tmpl *t = NULL;
    (void)state;

    for (unsigned i = 0; i < TMPL_MAX_NESTING + 1; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{if 1}}");
    assert_int_equal(tmpl_new(&t, "t", text, n, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "max expression depth exceeded"));

    n = (size_t)snprintf(text, sizeof(text), "{{");
    for (unsigned i = 0; i < TMPL_MAX_NESTING + 1; i++)
        text[n++] = '(';
    text[n++] = '1';
    for (unsigned i = 0; i < TMPL_MAX_NESTING + 1; i++)
        text[n++] = ')';
    n += (size_t)snprintf(text + n, sizeof(text) - n, "}}");
    assert_int_equal(tmpl_new(&t, "t", text, n, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "max expression depth exceeded"));
}

static void test_render_variable_cap(void **state)
{
    size_t cap = 32 * (TMPL_MAX_VARS + 1), n = 0;
    char *text = malloc(cap);
    struct tmpl_error err;
    struct tmpl *t = NULL;
    (void)state;

    assert_non_null(text);
    /* $ plus TMPL_MAX_VARS - 1 variables fit; one more does not */
    for (unsigned i = 1; i < TMPL_MAX_VARS; i++)
        n += (size_t)snprintf(text + n, cap - n, "{{$v%u := %u}}", i, i);
    n += (size_t)snprintf(text + n, cap - n, "{{$v1}}");
    assert_int_equal(tmpl_new(&t, "t", text, n, &err), 0);
    t = tmpl_free(t);
    n += (size_t)snprintf(text + n, cap - n, "{{$last := 0}}");
    assert_int_equal(tmpl_new(&t, "t", text, n, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "too many variables (more than 1000 in scope)"));
    free(text);
}

static void test_render_text_cap(void **state)
{
    char *big = malloc(TMPL_MAX_TEXT + 1);
    struct tmpl_error err;
    struct tmpl *t = NULL;
    (void)state;

    assert_non_null(big);
    memset(big, 'x', TMPL_MAX_TEXT + 1);
    assert_int_equal(tmpl_new(&t, "t", big, TMPL_MAX_TEXT + 1, &err), -E2BIG);
    assert_non_null(strstr(err.message, "exceeds"));
    assert_int_equal(tmpl_new(&t, "t", big, TMPL_MAX_TEXT, &err), 0);
    tmpl_free(t);
    free(big);
}

static void test_render_arguments_checked(void **state)
{
    json_t *data = json_object();
    struct tmpl_error err;
    struct tmpl *t = NULL;
    char *out = (char *)"unchanged";
    (void)state;

    assert_int_equal(tmpl_new(NULL, "t", "x", 1, &err), -EINVAL);
    assert_int_equal(tmpl_new(&t, "t", NULL, 0, &err), -EINVAL);
    assert_int_equal(tmpl_execute(NULL, data, &out, NULL, &err), -EINVAL);
    assert_int_equal(tmpl_render("t", "x", 1, NULL, &out, NULL, &err), -EINVAL);
    assert_string_equal(out, "unchanged");
    assert_null(tmpl_free(NULL));
    json_decref(data);
}

static void test_render_data_never_modified(void **state)
{
    json_t *data = test_json("{\"m\":{\"a\":1},\"l\":[1]}");
    json_t *copy = json_deep_copy(data);
    struct tmpl *t = NULL;
    char *out = NULL;
    (void)state;

    static const char text[] = "{{set .m \"b\" 2}}{{unset .m \"a\"}}{{.m}}";
    assert_int_equal(tmpl_new(&t, "t", text, strlen(text), NULL), 0);
    assert_int_equal(tmpl_execute(t, data, &out, NULL, NULL), 0);
    assert_string_equal(out, "map[a:1 b:2]map[b:2]map[b:2]");
    assert_true(json_equal(data, copy));
    free(out);
    /* a compiled template runs again from the same state */
    assert_int_equal(tmpl_execute(t, data, &out, NULL, NULL), 0);
    assert_string_equal(out, "map[a:1 b:2]map[b:2]map[b:2]");
    free(out);
    tmpl_free(t);
    json_decref(copy);
    json_decref(data);
}

static void test_render_set_cannot_make_cycles(void **state)
{
    static const struct render_case cases[] = {
            {"{{$d := dict \"a\" 1}}{{$_ := set $d \"self\" $d}}{{$d}}", NULL,
             "map[a:1 self:map[a:1]]", 0, NULL},
            {"{{$d := dict}}{{$l := list $d}}{{$_ := set $d \"l\" $l}}{{len $d.l}}", NULL, "1", 0,
             NULL},
    };
    (void)state;
    test_render_cases(cases, ARRAY_SIZE(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_render_text_and_actions),
            cmocka_unit_test(test_render_trim_and_comments),
            cmocka_unit_test(test_render_truth_rules),
            cmocka_unit_test(test_render_control_structures),
            cmocka_unit_test(test_render_variables_and_pipelines),
            cmocka_unit_test(test_render_define_template_block),
            cmocka_unit_test(test_render_builtins),
            cmocka_unit_test(test_render_parse_errors),
            cmocka_unit_test(test_render_parse_error_position),
            cmocka_unit_test(test_render_exec_errors),
            cmocka_unit_test(test_render_exec_error_position),
            cmocka_unit_test(test_render_caps),
            cmocka_unit_test(test_render_default_caps),
            cmocka_unit_test(test_render_nesting_cap),
            cmocka_unit_test(test_render_variable_cap),
            cmocka_unit_test(test_render_text_cap),
            cmocka_unit_test(test_render_arguments_checked),
            cmocka_unit_test(test_render_data_never_modified),
            cmocka_unit_test(test_render_set_cannot_make_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
