/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pruning and defaulting: each row applies a schema to an object and
 * states the object afterwards and the pruned paths.
 */
#include "schema/schema-testutil.h"

struct mcase {
    const char *label;
    const char *schema;
    const char *in;
    unsigned flags;
    const char *want; /* object afterwards */
    const char *unknown;
};

#define SPEC(props)                                                                                \
    "{'type':'object','properties':{'spec':{'type':'object','properties':{" props "}}}}"

static void run_table(const struct mcase *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        _cleanup_json_ json_t *s = tjson(t[i].schema);
        _cleanup_json_ json_t *o = tjson(t[i].in);
        _cleanup_json_ json_t *want = tjson(t[i].want);
        struct schema_result res = {0};
        int r = schema_apply(s, o, t[i].flags, &res);
        _cleanup_free_ char *got = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        _cleanup_free_ char *exp = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        _cleanup_free_ char *unknown = tunknown(&res);
        if (r != 0 || !json_equal(o, want) || strcmp(unknown, t[i].unknown) != 0)
            fail_msg("%s: r=%d\n got: %s [%s]\nwant: %s [%s]", t[i].label, r, got, unknown, exp,
                     t[i].unknown);
        schema_result_clear(&res);
    }
}

static void test_prune_unknown_fields(void **state)
{
    (void)state;
    static const struct mcase t[] = {
            {"root meta kept", SPEC("'a':{'type':'string'}"),
             "{'apiVersion':'x/v1','kind':'K','metadata':{'name':'n','x':1},'spec':{'a':'b','foo':"
             "1},'status':{}}",
             SCHEMA_PRUNE, "{'apiVersion':'x/v1','kind':'K','metadata':{'name':'n','x':1},'spec':{'a':'b'}}",
             "spec.foo,status"},
            {"nested arrays",
             SPEC("'list':{'type':'array','items':{'type':'object','properties':{'a':{'type':'"
                  "integer'}}}}"),
             "{'spec':{'list':[{'a':1,'bar':2},{'zed':{'q':1}}]}}", SCHEMA_PRUNE,
             "{'spec':{'list':[{'a':1},{}]}}", "spec.list[0].bar,spec.list[1].zed"},
            {"preserve keeps unknown, prunes inside declared",
             SPEC("'cfg':{'type':'object','x-kubernetes-preserve-unknown-fields':true,'properties':"
                  "{'known':{'type':'object','properties':{'k':{'type':'string'}}}}}"),
             "{'spec':{'cfg':{'free':{'x':1},'known':{'k':'v','drop':1}}}}", SCHEMA_PRUNE,
             "{'spec':{'cfg':{'free':{'x':1},'known':{'k':'v'}}}}", "spec.cfg.known.drop"},
            {"additionalProperties keeps keys",
             SPEC("'labels':{'type':'object','additionalProperties':{'type':'object','properties':"
                  "{'v':{'type':'string'}}}}"),
             "{'spec':{'labels':{'a':{'v':'1','w':2}}}}", SCHEMA_PRUNE,
             "{'spec':{'labels':{'a':{'v':'1'}}}}", "spec.labels.a.w"},
            {"embedded resource keeps type meta",
             SPEC("'tpl':{'type':'object','x-kubernetes-embedded-resource':true,'properties':{'"
                  "spec':{'type':'object'}}}"),
             "{'spec':{'tpl':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{},'"
             "extra':1}}}",
             SCHEMA_PRUNE,
             "{'spec':{'tpl':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{}}}}",
             "spec.tpl.extra"},
            {"nested meta fields are not special", SPEC("'x':{'type':'object','properties':{}}"),
             "{'spec':{'x':{'kind':'K'}}}", SCHEMA_PRUNE, "{'spec':{'x':{}}}", "spec.x.kind"},
            {"wrong type keeps nothing undeclared", SPEC("'s':{'type':'string'}"),
             "{'spec':{'s':{'a':1}}}", SCHEMA_PRUNE, "{'spec':{'s':{}}}", "spec.s.a"},
            {"no prune flag", SPEC("'a':{'type':'string'}"), "{'spec':{'foo':1}}", 0,
             "{'spec':{'foo':1}}", ""},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_default_fields(void **state)
{
    (void)state;
    static const struct mcase t[] = {
            {"missing scalar", SPEC("'n':{'type':'integer','default':3}"), "{'spec':{}}",
             SCHEMA_DEFAULT, "{'spec':{'n':3}}", ""},
            {"present kept", SPEC("'n':{'type':'integer','default':3}"), "{'spec':{'n':1}}",
             SCHEMA_DEFAULT, "{'spec':{'n':1}}", ""},
            {"nested default inside inserted default",
             SPEC("'o':{'type':'object','default':{},'properties':{'a':{'type':'string','default':"
                  "'x'},'b':{'type':'object','default':{'c':1},'properties':{'c':{'type':'integer'}"
                  ",'d':{'type':'integer','default':4}}}}}"),
             "{'spec':{}}", SCHEMA_DEFAULT, "{'spec':{'o':{'a':'x','b':{'c':1,'d':4}}}}", ""},
            {"null non-nullable with default", SPEC("'n':{'type':'integer','default':3}"),
             "{'spec':{'n':null}}", SCHEMA_DEFAULT, "{'spec':{'n':3}}", ""},
            {"null non-nullable dropped", SPEC("'n':{'type':'integer'}"), "{'spec':{'n':null}}",
             SCHEMA_DEFAULT, "{'spec':{}}", ""},
            {"null nullable kept", SPEC("'n':{'type':'integer','nullable':true,'default':3}"),
             "{'spec':{'n':null}}", SCHEMA_DEFAULT, "{'spec':{'n':null}}", ""},
            {"items null gets default",
             SPEC("'l':{'type':'array','items':{'type':'object','default':{'a':1},'properties':{'a':"
                  "{'type':'integer'}}}}"),
             "{'spec':{'l':[null,{'a':2}]}}", SCHEMA_DEFAULT, "{'spec':{'l':[{'a':1},{'a':2}]}}", ""},
            {"items in array get defaults",
             SPEC("'l':{'type':'array','items':{'type':'object','properties':{'a':{'type':'integer',"
                  "'default':7}}}}"),
             "{'spec':{'l':[{},{'a':1}]}}", SCHEMA_DEFAULT, "{'spec':{'l':[{'a':7},{'a':1}]}}", ""},
            {"map values default",
             SPEC("'m':{'type':'object','additionalProperties':{'type':'object','properties':{'p':{"
                  "'type':'integer','default':80}}}}"),
             "{'spec':{'m':{'x':{},'y':{'p':1}}}}", SCHEMA_DEFAULT,
             "{'spec':{'m':{'x':{'p':80},'y':{'p':1}}}}", ""},
            {"prune then default",
             SPEC("'n':{'type':'integer','default':3}"), "{'spec':{'junk':1}}",
             SCHEMA_PRUNE | SCHEMA_DEFAULT | SCHEMA_VALIDATE, "{'spec':{'n':3}}", "spec.junk"},
    };
    run_table(t, ARRAY_SIZE(t));
}

static void test_default_then_validate(void **state)
{
    (void)state;
    /* a defaulted value is validated like any other */
    tapply_expect(SPEC("'n':{'type':'integer','maximum':1,'default':5}"), "{'spec':{}}",
                  SCHEMA_DEFAULT | SCHEMA_VALIDATE,
                  "FieldValueInvalid|spec.n|Invalid value: 5: spec.n in body should be less than "
                  "or equal to 1",
                  "validated default");
    /* pruning before validation removes what would fail */
    tapply_expect(SPEC("'n':{'type':'integer'}"), "{'spec':{'x':'y','n':1}}",
                  SCHEMA_PRUNE | SCHEMA_VALIDATE, "", "pruned before validation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prune_unknown_fields),
            cmocka_unit_test(test_default_fields),
            cmocka_unit_test(test_default_then_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
