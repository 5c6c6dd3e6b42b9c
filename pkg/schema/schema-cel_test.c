/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CEL subset: the evaluator on its own (table of rule, self, outcome),
 * then x-kubernetes-validations through schema_apply() with upstream's
 * messages and paths.
 */
#include "schema/schema-internal.h"
#include "schema/schema-testutil.h"

enum {
    UNSUPPORTED = 100,
};

struct ccase {
    const char *rule;
    const char *self;
    int want; /* enum cel_outcome or UNSUPPORTED */
    const char *err;
};

static void test_cel_eval_subset(void **state)
{
    (void)state;
    static const struct ccase t[] = {
            {"self.a == 1", "{'a':1}", CEL_OUTCOME_TRUE, NULL},
            {"self.a.b != 'x'", "{'a':{'b':'y'}}", CEL_OUTCOME_TRUE, NULL},
            {"has(self.a) == has(self.b)", "{'a':1}", CEL_OUTCOME_FALSE, NULL},
            {"has(self.a) == has(self.b)", "{}", CEL_OUTCOME_TRUE, NULL},
            {"size(self.s) <= 3 && self.s.size() >= 1", "{'s':'\xc3\xa9\xc3\xa9'}", CEL_OUTCOME_TRUE, NULL},
            {"size(self.l) == 2", "{'l':[1,2]}", CEL_OUTCOME_TRUE, NULL},
            {"size(self) == 1", "{'k':null}", CEL_OUTCOME_TRUE, NULL},
            {"self.mode in ['a', 'b']", "{'mode':'b'}", CEL_OUTCOME_TRUE, NULL},
            {"'x' in self.tags", "{'tags':['y']}", CEL_OUTCOME_FALSE, NULL},
            {"'k' in self.m", "{'m':{'k':1}}", CEL_OUTCOME_TRUE, NULL},
            {"self.n > 1 ? self.n < 10 : self.n == 0", "{'n':5}", CEL_OUTCOME_TRUE, NULL},
            {"!(self.n >= 2)", "{'n':1}", CEL_OUTCOME_TRUE, NULL},
            {"self.n == 1.0", "{'n':1}", CEL_OUTCOME_TRUE, NULL},
            {"self.x < -0.5", "{'x':-1.5}", CEL_OUTCOME_TRUE, NULL},
            {"self.s > 'abc'", "{'s':'abd'}", CEL_OUTCOME_TRUE, NULL},
            {"self.v == null", "{'v':null}", CEL_OUTCOME_TRUE, NULL},
            {"self.l[1] == 0x10", "{'l':[0,16]}", CEL_OUTCOME_TRUE, NULL},
            {"self['a-b'] == true", "{'a-b':true}", CEL_OUTCOME_TRUE, NULL},
            {"self.foo__dash__bar == 1 && self.__namespace__ == 2", "{'foo-bar':1,'namespace':2}",
             CEL_OUTCOME_TRUE, NULL},
            {"self == 'plain'", "'plain'", CEL_OUTCOME_TRUE, NULL},
            {"self.s == \"a\\tb\"", "{'s':'a\\tb'}", CEL_OUTCOME_TRUE, NULL},
            {"self.missing == 1", "{}", CEL_OUTCOME_ERROR, "no such key: missing"},
            {"self.l[3] == 1", "{'l':[1]}", CEL_OUTCOME_ERROR, "index out of bounds: 3"},
            {"false && self.missing", "{}", CEL_OUTCOME_FALSE, NULL},
            {"self.missing || true", "{}", CEL_OUTCOME_TRUE, NULL},
            {"self.s < 1", "{'s':'x'}", CEL_OUTCOME_NO_OVERLOAD, NULL},
            {"!self.s", "{'s':'x'}", CEL_OUTCOME_NO_OVERLOAD, NULL},
            {"size(self.n)", "{'n':1}", CEL_OUTCOME_NO_OVERLOAD, NULL},
            {"self.n", "{'n':1}", CEL_OUTCOME_FALSE, NULL},
            {"self.l.all(x, x > 0)", "{}", UNSUPPORTED, NULL},
            {"self.a + 1 == 2", "{}", UNSUPPORTED, NULL},
            {"oldSelf == self", "{}", UNSUPPORTED, NULL},
            {"self.s.startsWith('a')", "{}", UNSUPPORTED, NULL},
            {"self.l == [1]", "{}", UNSUPPORTED, NULL},
            {"1u == 1", "{}", UNSUPPORTED, NULL},
            {"(self.a", "{}", UNSUPPORTED, NULL},
            {"self.a ==", "{}", UNSUPPORTED, NULL},
            {"'unterminated", "{}", UNSUPPORTED, NULL},
            {"has(self)", "{}", UNSUPPORTED, NULL},
            {"self.a # 1", "{}", UNSUPPORTED, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        _cleanup_(cel_program_freep) struct cel_program *p = NULL;
        int r = cel_compile(t[i].rule, &p);
        if (t[i].want == UNSUPPORTED) {
            if (r != -EOPNOTSUPP)
                fail_msg("%s: compiled (%d), want unsupported", t[i].rule, r);
            continue;
        }
        if (r != 0)
            fail_msg("%s: compile %d", t[i].rule, r);
        _cleanup_json_ json_t *self = tjson(t[i].self);
        uint64_t budget = 1000;
        _cleanup_free_ char *err = NULL;
        r = cel_eval(p, self, &budget, &err);
        if (r != t[i].want)
            fail_msg("%s on %s: outcome %d, want %d", t[i].rule, t[i].self, r, t[i].want);
        if (t[i].err)
            assert_string_equal(err, t[i].err);
        assert_true(budget < 1000);
    }
}

static void test_cel_eval_cost_cap(void **state)
{
    (void)state;
    _cleanup_(cel_program_freep) struct cel_program *p = NULL;
    assert_int_equal(cel_compile("'z' in self.l && self.a == 1", &p), 0);
    _cleanup_json_ json_t *self = tjson("{'a':1,'l':['a','b','c','d','e','f','g','h']}");
    uint64_t budget = 5;
    _cleanup_free_ char *err = NULL;
    assert_int_equal(cel_eval(p, self, &budget, &err), CEL_OUTCOME_COST);
    budget = 100;
    assert_int_equal(cel_eval(p, self, &budget, &err), CEL_OUTCOME_FALSE);
}

/* The Tinkerbell Hardware DHCP rule: option 66 and 67 both or neither. */
#define HW_SCHEMA                                                                                  \
    "{'type':'object','properties':{'spec':{'type':'object','properties':{'interfaces':{'type':'" \
    "array','items':{'type':'object','properties':{'dhcp':{'type':'object','x-kubernetes-"        \
    "validations':[{'rule':'has(self.tftp_server_name) == has(self.boot_file_name)','message':'" \
    "tftp_server_name and boot_file_name must be set together'}],'properties':{'mac':{'type':'"   \
    "string'},'tftp_server_name':{'type':'string'},'boot_file_name':{'type':'string'}}}}}}}}}}"

static void test_cel_rules_tinkerbell(void **state)
{
    (void)state;
    static const struct {
        const char *obj;
        const char *want;
    } t[] = {
            {"{'spec':{'interfaces':[{'dhcp':{'mac':'00:11:22:33:44:55'}}]}}", ""},
            {"{'spec':{'interfaces':[{'dhcp':{'tftp_server_name':'t','boot_file_name':'b'}}]}}", ""},
            {"{'spec':{'interfaces':[{'dhcp':{}},{'dhcp':{'tftp_server_name':'10.0.0.1'}}]}}",
             "FieldValueInvalid|spec.interfaces[1].dhcp|Invalid value: \"object\": "
             "tftp_server_name and boot_file_name must be set together"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        tapply_expect(HW_SCHEMA, t[i].obj, SCHEMA_VALIDATE, t[i].want, t[i].obj);
}

#define RULE_SCHEMA(rules, props)                                                                  \
    "{'type':'object','properties':{'spec':{'type':'object','x-kubernetes-validations':[" rules   \
    "],'properties':{" props "}}}}"

static void test_cel_rules_messages(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        const char *schema;
        const char *obj;
        const char *want;
    } t[] = {
            {"default message", RULE_SCHEMA("{'rule':' self.a < 5 '}", "'a':{'type':'integer'}"),
             "{'spec':{'a':7}}",
             "FieldValueInvalid|spec|Invalid value: \"object\": failed rule: self.a < 5"},
            {"fieldPath and reason",
             RULE_SCHEMA("{'rule':'has(self.a)','fieldPath':'.a','reason':'FieldValueRequired',"
                         "'message':'a is needed'}",
                         "'a':{'type':'integer'}"),
             "{'spec':{}}", "FieldValueRequired|spec.a|Required value: a is needed"},
            {"forbidden reason",
             RULE_SCHEMA("{'rule':'!has(self.a)','reason':'FieldValueForbidden'}",
                         "'a':{'type':'integer'}"),
             "{'spec':{'a':1}}", "FieldValueForbidden|spec|Forbidden: failed rule: !has(self.a)"},
            {"missing key", RULE_SCHEMA("{'rule':'self.a == 1'}", "'a':{'type':'integer'}"),
             "{'spec':{}}",
             "FieldValueInvalid|spec|Invalid value: \"object\": no such key: a evaluating rule: "
             "self.a == 1"},
            {"no overload", RULE_SCHEMA("{'rule':'self.a < 1'}", "'a':{'type':'string'}"),
             "{'spec':{'a':'x'}}",
             "FieldValueInvalid|spec|Invalid value: \"object\": 'no such overload': call "
             "arguments did not match a supported operator, function or macro signature for rule: "
             "self.a < 1"},
            {"unsupported skipped",
             RULE_SCHEMA("{'rule':'self.l.all(x, x > 0)'}", "'l':{'type':'array','items':{'type':'integer'}}"),
             "{'spec':{'l':[-1]}}", ""},
            {"blocked by type error", RULE_SCHEMA("{'rule':'self.a < 5'}", "'a':{'type':'integer'}"),
             "{'spec':{'a':'x'}}",
             "FieldValueTypeInvalid|spec.a|Invalid value: \"string\": spec.a in body must be of "
             "type integer: \"string\"\nFieldValueInvalid|<nil>|Invalid value: \"null\": some "
             "validation rules were not checked because the object was invalid; correct the "
             "existing errors to complete validation"},
            {"map values use key paths",
             "{'type':'object','properties':{'m':{'type':'object','additionalProperties':{'type':'"
             "integer','x-kubernetes-validations':[{'rule':'self > 0'}]}}}}",
             "{'m':{'good':1,'bad':0}}",
             "FieldValueInvalid|m[bad]|Invalid value: \"integer\": failed rule: self > 0"},
            {"root rule", "{'type':'object','x-kubernetes-validations':[{'rule':'has(self.spec)'}]}",
             "{'metadata':{'name':'x'}}",
             "FieldValueInvalid|<nil>|Invalid value: \"object\": failed rule: has(self.spec)"},
            {"null skipped",
             "{'type':'object','properties':{'a':{'type':'integer','nullable':true,'x-kubernetes-"
             "validations':[{'rule':'self > 0'}]}}}",
             "{'a':null}", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        tapply_expect(t[i].schema, t[i].obj, SCHEMA_VALIDATE, t[i].want, t[i].label);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cel_eval_subset),
            cmocka_unit_test(test_cel_eval_cost_cap),
            cmocka_unit_test(test_cel_rules_tinkerbell),
            cmocka_unit_test(test_cel_rules_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
