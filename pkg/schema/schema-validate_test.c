/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenAPI validation, one table per keyword family. Each row is a property
 * schema placed at spec.<name>, a spec value, and the exact causes
 * ("Reason|field|message" lines) kube-apiserver would give.
 */
#include "schema/schema-testutil.h"

#define SPEC(props) "{'type':'object','properties':{'spec':{'type':'object','properties':{" props "}}}}"
#define OBJ(spec) "{'apiVersion':'x.io/v1','kind':'K','metadata':{'name':'n'},'spec':{" spec "}}"

struct vcase {
    const char *label;
    const char *schema; /* properties of spec */
    const char *spec;   /* members of spec */
    const char *want;
};

static void run_table(const struct vcase *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *schema = NULL, *obj = NULL;
        assert_true(asprintf(&schema, SPEC("%s"), t[i].schema) > 0);
        assert_true(asprintf(&obj, OBJ("%s"), t[i].spec) > 0);
        tapply_expect(schema, obj, SCHEMA_VALIDATE, t[i].want, t[i].label);
    }
}

static void test_validate_type(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"int ok", "'n':{'type':'integer'}", "'n':3", ""},
            {"int from string", "'replicas':{'type':'integer'}", "'replicas':'string'",
             "FieldValueTypeInvalid|spec.replicas|Invalid value: \"string\": spec.replicas in body "
             "must be of type integer: \"string\""},
            {"int from fraction", "'n':{'type':'integer'}", "'n':1.5",
             "FieldValueTypeInvalid|spec.n|Invalid value: \"number\": spec.n in body must be of "
             "type integer: \"number\""},
            {"int from integral real", "'n':{'type':'integer'}", "'n':2.0", ""},
            {"number from int", "'x':{'type':'number'}", "'x':3", ""},
            {"bool from string", "'b':{'type':'boolean'}", "'b':'true'",
             "FieldValueTypeInvalid|spec.b|Invalid value: \"string\": spec.b in body must be of "
             "type boolean: \"string\""},
            {"object from array", "'o':{'type':'object'}", "'o':[]",
             "FieldValueTypeInvalid|spec.o|Invalid value: \"array\": spec.o in body must be of "
             "type object: \"array\""},
            {"array from object", "'a':{'type':'array','items':{'type':'string'}}", "'a':{}",
             "FieldValueTypeInvalid|spec.a|Invalid value: \"object\": spec.a in body must be of "
             "type array: \"object\""},
            {"null not nullable", "'s':{'type':'string'}", "'s':null",
             "FieldValueTypeInvalid|spec.s|Invalid value: \"null\": spec.s in body must be of "
             "type string: \"null\""},
            {"null nullable", "'s':{'type':'string','nullable':true}", "'s':null", ""},
            {"int-or-string int", "'p':{'x-kubernetes-int-or-string':true}", "'p':80", ""},
            {"int-or-string str", "'p':{'x-kubernetes-int-or-string':true}", "'p':'http'", ""},
            {"int-or-string bool", "'p':{'x-kubernetes-int-or-string':true}", "'p':true",
             "FieldValueTypeInvalid|spec.p|Invalid value: \"boolean\": spec.p in body must be of "
             "type integer,string: \"boolean\""},
            {"preserve any", "'p':{'x-kubernetes-preserve-unknown-fields':true}", "'p':[1,{}]", ""},
            {"format vs wrong kind", "'t':{'type':'string','format':'date-time'}", "'t':5",
             "FieldValueTypeInvalid|spec.t|Invalid value: \"int64\": spec.t in body must be of "
             "type date-time: \"int64\""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_required_and_enum(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"required present", "'o':{'type':'object','required':['a'],'properties':{'a':{'type':'string'}}}",
             "'o':{'a':'x'}", ""},
            {"required missing",
             "'o':{'type':'object','required':['a','b'],'properties':{'a':{'type':'string'},'b':{'type':'string'}}}",
             "'o':{'b':'x'}", "FieldValueRequired|spec.o.a|Required value"},
            {"enum ok", "'mode':{'type':'string','enum':['a','b']}", "'mode':'b'", ""},
            {"enum string", "'mode':{'type':'string','enum':['a','b']}", "'mode':'x'",
             "FieldValueNotSupported|spec.mode|Unsupported value: \"x\": supported values: \"a\", "
             "\"b\""},
            {"enum number", "'n':{'type':'integer','enum':[1,2]}", "'n':3",
             "FieldValueNotSupported|spec.n|Unsupported value: 3: supported values: \"1\", \"2\""},
            {"enum int vs real", "'n':{'type':'number','enum':[1.0,2.5]}", "'n':1", ""},
            {"enum null", "'s':{'type':'string','nullable':true,'enum':['a']}", "'s':null",
             "FieldValueNotSupported|spec.s|Unsupported value: \"null\": supported values: \"a\""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_string(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"pattern ok", "'mac':{'type':'string','pattern':'^([0-9a-f]{2}:){5}[0-9a-f]{2}$'}",
             "'mac':'00:11:22:aa:bb:cc'", ""},
            {"pattern fails", "'mac':{'type':'string','pattern':'^([0-9a-f]{2}:){5}[0-9a-f]{2}$'}",
             "'mac':'zz'",
             "FieldValueInvalid|spec.mac|Invalid value: \"zz\": spec.mac in body should match "
             "'^([0-9a-f]{2}:){5}[0-9a-f]{2}$'"},
            {"pattern \\d", "'v':{'type':'string','pattern':'^\\\\d+$'}", "'v':'12a'",
             "FieldValueInvalid|spec.v|Invalid value: \"12a\": spec.v in body should match "
             "'^\\d+$'"},
            {"pattern unsupported skipped", "'v':{'type':'string','pattern':'\\\\bword'}", "'v':'x'", ""},
            {"pattern invalid", "'v':{'type':'string','pattern':'(a'}", "'v':'x'",
             "FieldValueInvalid|spec.v|Invalid value: \"x\": spec.v in body should match '(a, but "
             "pattern is invalid: error parsing regexp: missing closing ): `(a`'"},
            {"maxLength", "'s':{'type':'string','maxLength':3}", "'s':'abcd'",
             "FieldValueTooLong|spec.s|Too long: may not be more than 3 bytes"},
            {"maxLength one", "'s':{'type':'string','maxLength':1}", "'s':'ab'",
             "FieldValueTooLong|spec.s|Too long: may not be more than 1 byte"},
            {"maxLength counts code points", "'s':{'type':'string','maxLength':3}",
             "'s':'\xc3\xa9\xc3\xa9\xc3\xa9'", ""},
            {"minLength", "'s':{'type':'string','minLength':2}", "'s':'a'",
             "FieldValueInvalid|spec.s|Invalid value: \"a\": spec.s in body should be at least 2 "
             "chars long"},
            {"first string error only", "'s':{'type':'string','maxLength':1,'pattern':'^x$'}",
             "'s':'ab'", "FieldValueTooLong|spec.s|Too long: may not be more than 1 byte"},
            {"date-time ok", "'t':{'type':'string','format':'date-time'}",
             "'t':'2024-01-02T03:04:05.5+01:00'", ""},
            {"date-time bad", "'t':{'type':'string','format':'date-time'}", "'t':'yesterday'",
             "FieldValueTypeInvalid|spec.t|Invalid value: \"yesterday\": spec.t in body must be of "
             "type date-time: \"yesterday\""},
            {"byte bad", "'b':{'type':'string','format':'byte'}", "'b':'!!'",
             "FieldValueTypeInvalid|spec.b|Invalid value: \"!!\": spec.b in body must be of type "
             "byte: \"!!\""},
            {"uri bad", "'u':{'type':'string','format':'uri'}", "'u':'not a uri'",
             "FieldValueTypeInvalid|spec.u|Invalid value: \"not a uri\": spec.u in body must be "
             "of type uri: \"not a uri\""},
            {"unknown format accepted", "'s':{'type':'string','format':'frobnicate'}", "'s':'x'", ""},
            {"int32 format", "'n':{'type':'integer','format':'int32'}", "'n':5", ""},
            {"quoted value", "'s':{'type':'string','enum':['a']}", "'s':'a\\nb\\u0001\\\"'",
             "FieldValueNotSupported|spec.s|Unsupported value: \"a\\nb\\x01\\\"\": supported "
             "values: \"a\""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_number(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"maximum", "'n':{'type':'integer','maximum':3}", "'n':5",
             "FieldValueInvalid|spec.n|Invalid value: 5: spec.n in body should be less than or "
             "equal to 3"},
            {"maximum edge", "'n':{'type':'integer','maximum':3}", "'n':3", ""},
            {"exclusiveMaximum", "'n':{'type':'integer','maximum':3,'exclusiveMaximum':true}",
             "'n':3",
             "FieldValueInvalid|spec.n|Invalid value: 3: spec.n in body should be less than 3"},
            {"minimum", "'n':{'type':'integer','minimum':1}", "'n':0",
             "FieldValueInvalid|spec.n|Invalid value: 0: spec.n in body should be greater than or "
             "equal to 1"},
            {"exclusiveMinimum", "'n':{'type':'integer','minimum':1,'exclusiveMinimum':true}",
             "'n':1",
             "FieldValueInvalid|spec.n|Invalid value: 1: spec.n in body should be greater than 1"},
            {"real bound", "'x':{'type':'number','maximum':2.5}", "'x':3.5",
             "FieldValueInvalid|spec.x|Invalid value: 3.5: spec.x in body should be less than or "
             "equal to 2.5"},
            {"big real", "'x':{'type':'number','maximum':1}", "'x':1e7",
             "FieldValueInvalid|spec.x|Invalid value: 1e+07: spec.x in body should be less than "
             "or equal to 1"},
            {"multipleOf int", "'n':{'type':'integer','multipleOf':2}", "'n':3",
             "FieldValueInvalid|spec.n|Invalid value: 3: spec.n in body should be a multiple of 2"},
            {"multipleOf ok", "'n':{'type':'integer','multipleOf':2}", "'n':4", ""},
            {"multipleOf real", "'x':{'type':'number','multipleOf':0.5}", "'x':1.25",
             "FieldValueInvalid|spec.x|Invalid value: 1.25: spec.x in body should be a multiple "
             "of 0.5"},
            {"min and max both", "'n':{'type':'integer','minimum':5,'maximum':1}", "'n':3",
             "FieldValueInvalid|spec.n|Invalid value: 3: spec.n in body should be greater than or "
             "equal to 5\nFieldValueInvalid|spec.n|Invalid value: 3: spec.n in body should be "
             "less than or equal to 1"},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_array_object(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"maxItems", "'l':{'type':'array','maxItems':1,'items':{'type':'integer'}}", "'l':[1,2]",
             "FieldValueTooMany|spec.l|Too many: 2: must have at most 1 item"},
            {"minItems", "'l':{'type':'array','minItems':2,'items':{'type':'integer'}}", "'l':[1]",
             "FieldValueInvalid|spec.l|Invalid value: 1: spec.l in body should have at least 2 "
             "items"},
            {"uniqueItems", "'l':{'type':'array','uniqueItems':true,'items':{'type':'integer'}}",
             "'l':[1,1]",
             "FieldValueInvalid|spec.l|Invalid value: \"\": spec.l in body shouldn't contain "
             "duplicates"},
            {"item path",
             "'interfaces':{'type':'array','items':{'type':'object','properties':{'dhcp':{'type':"
             "'object','properties':{'mac':{'type':'string','pattern':'^[0-9a-f:]+$'}}}}}}",
             "'interfaces':[{'dhcp':{'mac':'00:11'}},{'dhcp':{'mac':'ZZ'}}]",
             "FieldValueInvalid|spec.interfaces[1].dhcp.mac|Invalid value: \"ZZ\": "
             "spec.interfaces[1].dhcp.mac in body should match '^[0-9a-f:]+$'"},
            {"map values", "'labels':{'type':'object','additionalProperties':{'type':'string'}}",
             "'labels':{'a':'x','b':1}",
             "FieldValueTypeInvalid|spec.labels.b|Invalid value: \"integer\": spec.labels.b in "
             "body must be of type string: \"integer\""},
            {"maxProperties", "'m':{'type':'object','maxProperties':1,'additionalProperties':{'type':'integer'}}",
             "'m':{'a':1,'b':'x'}", "FieldValueTooMany|spec.m|Too many: 2: must have at most 1 item"},
            {"minProperties", "'m':{'type':'object','minProperties':2}", "'m':{}",
             "FieldValueInvalid|spec.m|Invalid value: 0: spec.m in body should have at least 2 "
             "properties"},
            {"item errors before count",
             "'l':{'type':'array','maxItems':1,'items':{'type':'integer'}}", "'l':['a','b']",
             "FieldValueTypeInvalid|spec.l[0]|Invalid value: \"string\": spec.l[0] in body must "
             "be of type integer: \"string\"\nFieldValueTypeInvalid|spec.l[1]|Invalid value: "
             "\"string\": spec.l[1] in body must be of type integer: \"string\"\n"
             "FieldValueTooMany|spec.l|Too many: 2: must have at most 1 item"},
            {"list-type set",
             "'tags':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'string'}}",
             "'tags':['a','b','a','a']", "FieldValueDuplicate|spec.tags[2]|Duplicate value: \"a\""},
            {"list-type map",
             "'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':["
             "'name'],'items':{'type':'object','properties':{'name':{'type':'string'},'port':{'"
             "type':'integer'}}}}",
             "'ports':[{'name':'a','port':1},{'name':'b'},{'name':'a','port':2}]",
             "FieldValueDuplicate|spec.ports[2]|Duplicate value: map[string]interface "
             "{}{\"name\":\"a\"}"},
            {"list-type map needs objects",
             "'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':["
             "'name'],'items':{'type':'object','properties':{'name':{'type':'string'}}}}",
             "'ports':[1]",
             "FieldValueTypeInvalid|spec.ports[0]|Invalid value: \"integer\": spec.ports[0] in "
             "body must be of type object: \"integer\"\nFieldValueInvalid|spec.ports[0]|Invalid "
             "value: 1: must be an object for an array of list-type map"},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_composition(void **state)
{
    (void)state;
    static const struct vcase t[] = {
            {"anyOf none", "'x':{'type':'integer','anyOf':[{'minimum':10},{'maximum':1}]}", "'x':5",
             "FieldValueInvalid|<nil>|Invalid value: \"\": \"spec.x\" must validate at least one "
             "schema (anyOf)\nFieldValueInvalid|spec.x|Invalid value: 5: spec.x in body should "
             "be greater than or equal to 10"},
            {"anyOf one", "'x':{'type':'integer','anyOf':[{'minimum':10},{'maximum':6}]}", "'x':5", ""},
            {"oneOf two", "'x':{'type':'integer','oneOf':[{'minimum':1},{'minimum':2}]}", "'x':5",
             "FieldValueInvalid|<nil>|Invalid value: \"\": \"spec.x\" must validate one and only "
             "one schema (oneOf). Found 2 valid alternatives"},
            {"oneOf none", "'x':{'type':'integer','oneOf':[{'minimum':10},{'minimum':20}]}", "'x':5",
             "FieldValueInvalid|<nil>|Invalid value: \"\": \"spec.x\" must validate one and only "
             "one schema (oneOf). Found none valid\nFieldValueInvalid|spec.x|Invalid value: 5: "
             "spec.x in body should be greater than or equal to 10"},
            {"allOf", "'x':{'type':'integer','allOf':[{'minimum':1},{'maximum':3}]}", "'x':5",
             "FieldValueInvalid|spec.x|Invalid value: 5: spec.x in body should be less than or "
             "equal to 3\nFieldValueInvalid|<nil>|Invalid value: \"\": \"spec.x\" must validate "
             "all the schemas (allOf)"},
            {"not", "'x':{'type':'string','not':{'enum':['bad']}}", "'x':'bad'",
             "FieldValueInvalid|<nil>|Invalid value: \"\": \"spec.x\" must not validate the "
             "schema (not)"},
            {"not ok", "'x':{'type':'string','not':{'enum':['bad']}}", "'x':'good'", ""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_validate_root(void **state)
{
    (void)state;
    /* root metadata must be an object even when the schema omits it */
    tapply_expect("{'type':'object'}", "{'metadata':'x'}", SCHEMA_VALIDATE,
                  "FieldValueTypeInvalid|metadata|Invalid value: \"string\": metadata in body "
                  "must be of type object: \"string\"",
                  "root metadata");
    /* metadata.name constraints are upstream's only metadata validation */
    tapply_expect("{'type':'object','properties':{'metadata':{'type':'object','properties':{'name':"
                  "{'type':'string','maxLength':3}}}}}",
                  "{'metadata':{'name':'long','labels':{'a':'b'}}}", SCHEMA_VALIDATE,
                  "FieldValueTooLong|metadata.name|Too long: may not be more than 3 bytes",
                  "metadata name");
    tapply_expect("{'type':'object','required':['spec'],'properties':{'spec':{'type':'object'}}}",
                  "{}", SCHEMA_VALIDATE, "FieldValueRequired|spec|Required value", "root required");
}

static void test_validate_bad_arguments(void **state)
{
    (void)state;
    _cleanup_json_ json_t *s = tjson("{'type':'object'}");
    _cleanup_json_ json_t *o = tjson("{}");
    _cleanup_json_ json_t *arr = tjson("[]");
    struct schema_result res = {0};
    assert_int_equal(schema_apply(NULL, o, SCHEMA_VALIDATE, &res), -EINVAL);
    assert_int_equal(schema_apply(arr, o, SCHEMA_VALIDATE, &res), -EINVAL);
    assert_int_equal(schema_apply(s, NULL, SCHEMA_VALIDATE, &res), -EINVAL);
    assert_int_equal(schema_apply(s, o, SCHEMA_VALIDATE, NULL), -EINVAL);
    assert_int_equal(schema_apply(s, o, 64, &res), -EINVAL);
    assert_int_equal(res.n_causes, 0);
    schema_result_clear(NULL);
}

static void test_validate_depth_limit(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(1 << 20);
    for (int i = 0; i < SCHEMA_MAX_DEPTH + 2; i++)
        assert_int_equal(buf_append_str(&b, "{\"a\":"), 0);
    assert_int_equal(buf_append_str(&b, "1"), 0);
    for (int i = 0; i < SCHEMA_MAX_DEPTH + 2; i++)
        assert_int_equal(buf_append_str(&b, "}"), 0);
    _cleanup_json_ json_t *o = json_loads(buf_str(&b), 0, NULL);
    buf_free(&b);
    assert_non_null(o);
    _cleanup_json_ json_t *s = tjson("{'type':'object','x-kubernetes-preserve-unknown-fields':true}");
    struct schema_result res = {0};
    assert_int_equal(schema_apply(s, o, SCHEMA_PRUNE | SCHEMA_VALIDATE, &res), -E2BIG);
    assert_int_equal(res.n_causes, 0);
    assert_null(res.causes);
}

static void test_validate_cause_format(void **state)
{
    (void)state;
    struct schema_cause c = {.type = "FieldValueRequired", .field = "spec.foo",
                             .message = "Required value"};
    _cleanup_free_ char *s = NULL;
    assert_int_equal(schema_cause_format(&c, &s), 0);
    assert_string_equal(s, "spec.foo: Required value");
    assert_int_equal(schema_cause_format(NULL, &s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_validate_type),
            cmocka_unit_test(test_validate_required_and_enum),
            cmocka_unit_test(test_validate_string),
            cmocka_unit_test(test_validate_number),
            cmocka_unit_test(test_validate_array_object),
            cmocka_unit_test(test_validate_composition),
            cmocka_unit_test(test_validate_root),
            cmocka_unit_test(test_validate_bad_arguments),
            cmocka_unit_test(test_validate_depth_limit),
            cmocka_unit_test(test_validate_cause_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
