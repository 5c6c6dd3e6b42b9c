/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema_check_structural(): each row is an openAPIV3Schema and the exact
 * causes, with the CRD path prefix kube-apiserver uses.
 */
#include "schema/schema-testutil.h"

#define P "spec.versions[0].schema.openAPIV3Schema"
#define ROOT(props) "{'type':'object','properties':{" props "}}"

struct scase {
    const char *label;
    const char *schema;
    const char *want;
};

static void run_table(const struct scase *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tcheck_expect(t[i].schema, P, t[i].want, t[i].label);
}

static void test_structural_accepts(void **state)
{
    (void)state;
    static const struct scase t[] = {
            {"typical",
             ROOT("'apiVersion':{'type':'string'},'kind':{'type':'string'},'metadata':{'type':'"
                  "object'},'spec':{'type':'object','required':['a'],'properties':{'a':{'type':'"
                  "string','pattern':'^[a-z]+$','maxLength':10},'n':{'type':'integer','default':1,"
                  "'minimum':0},'l':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-"
                  "list-map-keys':['name'],'items':{'type':'object','required':['name'],'"
                  "properties':{'name':{'type':'string'}}}}},'x-kubernetes-validations':[{'rule':"
                  "'has(self.a)'}]}"),
             ""},
            {"int-or-string pattern",
             ROOT("'p':{'x-kubernetes-int-or-string':true,'anyOf':[{'type':'integer'},{'type':'"
                  "string'}]}"),
             ""},
            {"preserve without type", ROOT("'p':{'x-kubernetes-preserve-unknown-fields':true}"), ""},
            {"metadata name only",
             ROOT("'metadata':{'type':'object','properties':{'name':{'type':'string','maxLength':"
                  "20}}}"),
             ""},
            {"rule outside subset accepted", ROOT("'s':{'type':'string','x-kubernetes-validations':"
                                                  "[{'rule':'self.startsWith(\\'a\\')'}]}"),
             ""},
            {"valid nested default",
             ROOT("'o':{'type':'object','default':{'a':'x'},'properties':{'a':{'type':'string'}}}"),
             ""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_structural_rejects(void **state)
{
    (void)state;
    static const struct scase t[] = {
            {"field without type", ROOT("'spec':{'properties':{}}"),
             "FieldValueRequired|" P ".properties[spec].type|Required value: must not be empty "
             "for specified object fields"},
            {"root without type", "{'properties':{}}",
             "FieldValueRequired|" P ".type|Required value: must not be empty at the root"},
            {"root not object", "{'type':'string'}",
             "FieldValueInvalid|" P ".type|Invalid value: \"string\": must be object at the root"},
            {"array without items", ROOT("'l':{'type':'array'}"),
             "FieldValueRequired|" P ".properties[l].items|Required value: must be specified"},
            {"items without type", ROOT("'l':{'type':'array','items':{}}"),
             "FieldValueRequired|" P ".properties[l].items.type|Required value: must not be "
             "empty for specified array items"},
            {"type in anyOf", ROOT("'x':{'type':'string','anyOf':[{'type':'string'}]}"),
             "FieldValueForbidden|" P ".properties[x].anyOf[0].type|Forbidden: must be empty to "
             "be structural"},
            {"default in allOf", ROOT("'x':{'type':'string','allOf':[{'default':'a'}]}"),
             "FieldValueForbidden|" P ".properties[x].allOf[0].default|Forbidden: must be "
             "undefined to be structural"},
            {"nullable in oneOf", ROOT("'x':{'type':'string','oneOf':[{'nullable':true}]}"),
             "FieldValueForbidden|" P ".properties[x].oneOf[0].nullable|Forbidden: must be false "
             "to be structural"},
            {"extension in not", ROOT("'x':{'type':'string','not':{'x-kubernetes-int-or-string':true}}"),
             "FieldValueForbidden|" P ".properties[x].not.x-kubernetes-int-or-string|Forbidden: "
             "must be false to be structural"},
            {"additionalProperties in anyOf",
             ROOT("'x':{'type':'object','anyOf':[{'additionalProperties':{'type':'string'}}]}"),
             "FieldValueForbidden|" P ".properties[x].anyOf[0].additionalProperties|Forbidden: "
             "must be undefined to be structural"},
            {"properties and additionalProperties",
             ROOT("'m':{'type':'object','properties':{'a':{'type':'string'}},'"
                  "additionalProperties':{'type':'string'}}"),
             "FieldValueForbidden|" P ".properties[m].additionalProperties|Forbidden: "
             "additionalProperties and properties are mutual exclusive"},
            {"additionalProperties false",
             ROOT("'m':{'type':'object','additionalProperties':false}"),
             "FieldValueForbidden|" P ".properties[m].additionalProperties|Forbidden: "
             "additionalProperties cannot be set to false"},
            {"uniqueItems", ROOT("'l':{'type':'array','uniqueItems':true,'items':{'type':'string'}}"),
             "FieldValueForbidden|" P ".properties[l].uniqueItems|Forbidden: uniqueItems cannot "
             "be set to true since the runtime complexity becomes quadratic"},
            {"unknown type", ROOT("'x':{'type':'text'}"),
             "FieldValueNotSupported|" P ".properties[x].type|Unsupported value: \"text\": "
             "supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", "
             "\"string\""},
            {"root additionalProperties", "{'type':'object','additionalProperties':{'type':'string'}}",
             "FieldValueForbidden|" P ".additionalProperties|Forbidden: must not be used at the "
             "root"},
            {"metadata beyond name",
             ROOT("'metadata':{'type':'object','properties':{'labels':{'type':'object'}}}"),
             "FieldValueForbidden|" P ".properties[metadata]|Forbidden: must not specify anything "
             "other than name and generateName, but metadata is implicitly specified"},
            {"bad pattern", ROOT("'s':{'type':'string','pattern':'(a'}"),
             "FieldValueInvalid|" P ".properties[s].pattern|Invalid value: \"(a\": must be a "
             "valid regular expression, but isn't: error parsing regexp: missing closing ): `(a`"},
            {"empty rule", ROOT("'s':{'type':'string','x-kubernetes-validations':[{'rule':''}]}"),
             "FieldValueRequired|" P ".properties[s].x-kubernetes-validations[0].rule|Required "
             "value: rule is not specified"},
            {"bad list type", ROOT("'l':{'type':'array','x-kubernetes-list-type':'bag','items':{'type':'string'}}"),
             "FieldValueNotSupported|" P ".properties[l].x-kubernetes-list-type|Unsupported "
             "value: \"bag\": supported values: \"atomic\", \"set\", \"map\""},
            {"preserve false", ROOT("'o':{'type':'object','x-kubernetes-preserve-unknown-fields':false}"),
             "FieldValueInvalid|" P ".properties[o].x-kubernetes-preserve-unknown-fields|Invalid "
             "value: false: must be true or undefined"},
            {"sorted by text", ROOT("'z':{'properties':{}},'a':{'type':'array'}"),
             "FieldValueRequired|" P ".properties[a].items|Required value: must be specified\n"
             "FieldValueRequired|" P ".properties[z].type|Required value: must not be empty for "
             "specified object fields"},
            {"incomplete junctor",
             "{'type':'object','properties':{'a':{'type':'string'}},'allOf':[{'properties':{'b':{"
             "'minLength':1}}}]}",
             "FieldValueRequired|" P ".properties[b]|Required value: because it is defined in " P
             ".allOf[0].properties[b]"},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_structural_defaults(void **state)
{
    (void)state;
    static const struct scase t[] = {
            {"default of wrong type", ROOT("'n':{'type':'integer','default':'x'}"),
             "FieldValueTypeInvalid|" P ".properties[n].default|Invalid value: \"string\":  in "
             "body must be of type integer: \"string\""},
            {"default with unknown fields",
             ROOT("'o':{'type':'object','properties':{'a':{'type':'string'}},'default':{'a':'x','"
                  "b':1}}"),
             "FieldValueInvalid|" P ".properties[o].default|Invalid value: map[string]interface "
             "{}{\"a\":\"x\", \"b\":1}: must not have unknown fields"},
            {"nested default field",
             ROOT("'o':{'type':'object','properties':{'a':{'type':'integer','maximum':3}},'"
                  "default':{'a':5}}"),
             "FieldValueInvalid|" P ".properties[o].default.a|Invalid value: 5: a in body should "
             "be less than or equal to 3"},
            {"default breaks a rule",
             ROOT("'o':{'type':'object','properties':{'a':{'type':'integer'}},'default':{'a':1},'"
                  "x-kubernetes-validations':[{'rule':'self.a > 1'}]}"),
             "FieldValueInvalid|" P ".properties[o].default|Invalid value: \"object\": failed "
             "rule: self.a > 1"},
            {"defaults unchecked while not structural",
             ROOT("'n':{'type':'integer','default':'x'},'m':{'properties':{}}"),
             "FieldValueRequired|" P ".properties[m].type|Required value: must not be empty for "
             "specified object fields"},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_structural_arguments(void **state)
{
    (void)state;
    struct schema_result res = {0};
    assert_int_equal(schema_check_structural(NULL, P, &res), -EINVAL);
    _cleanup_json_ json_t *s = tjson("{'type':'object'}");
    assert_int_equal(schema_check_structural(s, NULL, NULL), -EINVAL);
    assert_int_equal(schema_check_structural(s, NULL, &res), 0);
    _cleanup_json_ json_t *bad = tjson("[1]");
    assert_int_equal(schema_check_structural(bad, "", &res), -EINVAL);
    _cleanup_free_ char *got = tcauses(&res);
    assert_string_equal(got, "FieldValueInvalid|<nil>|Invalid value: \"\": must be a JSON object");
    schema_result_clear(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_structural_accepts),
            cmocka_unit_test(test_structural_rejects),
            cmocka_unit_test(test_structural_defaults),
            cmocka_unit_test(test_structural_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
