/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema_check_structural(): what apiextensions checks of a v1 CRD
 * version's openAPIV3Schema, in its order:
 *   1. general schema rules (ValidateCustomResourceDefinitionOpenAPISchema):
 *      uniqueItems, additionalProperties false or beside properties,
 *      x-kubernetes-preserve-unknown-fields false, unknown types, list
 *      types and map keys, CEL rules present;
 *   2. structural invariants (schema/validation.go and complete.go), sorted
 *      by their full error text as upstream sorts them;
 *   3. only when 2 found nothing: defaults must be pruned and valid.
 * Paths are kube field paths below path_prefix: "properties[spec]",
 * "items", "allOf[0]".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "schema/schema-internal.h"

enum level {
    LEVEL_ROOT,
    LEVEL_ITEM,
    LEVEL_FIELD,
};

struct check {
    struct schema_ctx c;
    struct schema_path path;
};

/* Adds a cause at path + "." + child (child NULL: at path itself). */
static int cause(struct check *k, enum schema_reason r, const char *child, const char *value,
                 const char *detail)
{
    int old = child ? schema_path_child(&k->path, child) : (int)k->path.b.len;
    if (old < 0)
        return old;
    int e = schema_cause_add(&k->c, r, schema_path_str(&k->path), value, detail);
    schema_path_pop(&k->path, old);
    return e;
}

static int cause_str(struct check *k, enum schema_reason r, const char *child, const char *v,
                     const char *detail)
{
    _cleanup_buf_ struct buf q = BUF_INIT(SCHEMA_MSG_MAX);
    int e = schema_go_quote(&q, v, strlen(v));
    if (e < 0 && e != -E2BIG)
        return e;
    return cause(k, r, child, buf_str(&q), detail);
}

static const char *type_of(const json_t *s)
{
    const char *t = schema_str(s, "type");
    return t ? t : "";
}

/* ---- 1. general rules ---- */

static int general(struct check *k, const json_t *s, unsigned depth);

static int general_child(struct check *k, const char *child, const char *key, const json_t *s,
                         unsigned depth)
{
    int old = schema_path_child(&k->path, child);
    if (old >= 0 && key)
        old = schema_path_key(&k->path, key) < 0 ? -ENOMEM : old;
    if (old < 0)
        return old;
    int r = general(k, s, depth + 1);
    schema_path_pop(&k->path, old);
    return r;
}

static int general_list_type(struct check *k, const json_t *s)
{
    const char *lt = schema_str(s, "x-kubernetes-list-type");
    const json_t *keys = json_object_get(s, "x-kubernetes-list-map-keys");
    int r = 0;
    if (lt && strcmp(lt, "atomic") != 0 && strcmp(lt, "set") != 0 && strcmp(lt, "map") != 0) {
        _cleanup_buf_ struct buf q = BUF_INIT(SCHEMA_MSG_MAX);
        r = schema_go_quote(&q, lt, strlen(lt));
        if (r == 0)
            r = cause(k, SCHEMA_REASON_NOT_SUPPORTED, "x-kubernetes-list-type", buf_str(&q),
                      "supported values: \"atomic\", \"set\", \"map\"");
        return r;
    }
    if (lt && strcmp(type_of(s), "array") != 0)
        r = cause_str(k, SCHEMA_REASON_INVALID, "type", type_of(s),
                      "must be array if x-kubernetes-list-type is specified");
    if (r == 0 && lt && strcmp(lt, "map") == 0) {
        const json_t *items = schema_obj(s, "items");
        if (json_array_size(keys) == 0)
            r = cause(k, SCHEMA_REASON_REQUIRED, "x-kubernetes-list-map-keys", NULL,
                      "must not be empty if x-kubernetes-list-type is map");
        if (r == 0 && items && strcmp(type_of(items), "object") != 0)
            r = cause_str(k, SCHEMA_REASON_INVALID, "items.type", type_of(items),
                          "must be object if parent array's x-kubernetes-list-type is map");
        for (size_t i = 0; r == 0 && items && i < json_array_size(keys); i++) {
            const char *key = json_string_value(json_array_get(keys, i));
            if (key && !schema_obj(schema_obj(items, "properties"), key))
                r = cause_str(k, SCHEMA_REASON_INVALID, "x-kubernetes-list-map-keys", key,
                              "entries must all be names of item properties");
        }
    } else if (r == 0 && json_array_size(keys) > 0) {
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "x-kubernetes-list-map-keys", NULL,
                  "must only be used if x-kubernetes-list-type is map");
    }
    return r;
}

static int general_rules(struct check *k, const json_t *s)
{
    const json_t *rules = json_object_get(s, "x-kubernetes-validations");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const char *rule = schema_str(json_array_get(rules, i), "rule");
        if (rule && *rule) {
            /* compiled here only to fail early on memory; a rule outside
             * the subset is accepted and skipped at validation time */
            struct cel_program *p = NULL;
            int r = cel_compile(rule, &p);
            cel_program_free(p);
            if (r == -ENOMEM)
                return r;
            continue;
        }
        int old = schema_path_child(&k->path, "x-kubernetes-validations");
        if (old < 0)
            return old;
        int r = schema_path_index(&k->path, i);
        if (r >= 0)
            r = cause(k, SCHEMA_REASON_REQUIRED, "rule", NULL, "rule is not specified");
        schema_path_pop(&k->path, old);
        if (r < 0)
            return r;
    }
    return 0;
}

static int general(struct check *k, const json_t *s, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    if (!json_is_object(s))
        return cause(k, SCHEMA_REASON_INVALID, NULL, "\"\"", "must be a JSON object");
    static const char *const types[] = {"array", "boolean", "integer", "number", "object", "string"};
    const char *t = schema_str(s, "type");
    bool known = !t || !*t;
    for (size_t i = 0; !known && i < ARRAY_SIZE(types); i++)
        known = strcmp(t, types[i]) == 0;
    int r = 0;
    if (!known)
        r = cause_str(k, SCHEMA_REASON_NOT_SUPPORTED, "type", t,
                      "supported values: \"array\", \"boolean\", \"integer\", \"number\", "
                      "\"object\", \"string\"");
    if (r == 0 && json_object_get(s, "$ref"))
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "$ref", NULL, "$ref is not supported");
    if (r == 0 && schema_true(s, "uniqueItems"))
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "uniqueItems", NULL,
                  "uniqueItems cannot be set to true since the runtime complexity becomes "
                  "quadratic");
    bool present, allows;
    const json_t *addl = schema_additional(s, &present, &allows);
    if (r == 0 && present && !allows)
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "additionalProperties", NULL,
                  "additionalProperties cannot be set to false");
    if (r == 0 && present && allows && json_object_size(schema_obj(s, "properties")) > 0)
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "additionalProperties", NULL,
                  "additionalProperties and properties are mutual exclusive");
    if (r == 0 && json_is_false(json_object_get(s, "x-kubernetes-preserve-unknown-fields")))
        r = cause(k, SCHEMA_REASON_INVALID, "x-kubernetes-preserve-unknown-fields", "false",
                  "must be true or undefined");
    if (r == 0 && json_is_array(json_object_get(s, "items")))
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "items", NULL,
                  "items must be a schema object and not an array");
    if (r == 0)
        r = general_list_type(k, s);
    if (r == 0)
        r = general_rules(k, s);
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)schema_obj(s, "properties"), key, sub)
    {
        if (r == 0)
            r = general_child(k, "properties", key, sub, depth);
    }
    if (r == 0 && addl)
        r = general_child(k, "additionalProperties", NULL, addl, depth);
    if (r == 0 && schema_obj(s, "items"))
        r = general_child(k, "items", NULL, schema_obj(s, "items"), depth);
    static const char *const junctors[] = {"allOf", "anyOf", "oneOf"};
    for (size_t j = 0; r == 0 && j < ARRAY_SIZE(junctors); j++) {
        const json_t *list = json_object_get(s, junctors[j]);
        for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
            char idx[32];
            snprintf(idx, sizeof(idx), "%zu", i);
            int old = schema_path_child(&k->path, junctors[j]);
            if (old < 0)
                return old;
            r = schema_path_key(&k->path, idx);
            if (r >= 0)
                r = general(k, json_array_get(list, i), depth + 1);
            schema_path_pop(&k->path, old);
        }
    }
    if (r == 0 && json_object_get(s, "not"))
        r = general_child(k, "not", NULL, json_object_get(s, "not"), depth);
    return r;
}

/* ---- 2. structural invariants ---- */

static bool is_int_or_string_any_of(const json_t *any)
{
    if (json_array_size(any) != 2)
        return false;
    const json_t *a = json_array_get(any, 0), *b = json_array_get(any, 1);
    return json_object_size(a) == 1 && json_object_size(b) == 1 &&
           strcmp(type_of(a), "integer") == 0 && strcmp(type_of(b), "string") == 0;
}

static int nested(struct check *k, const json_t *v, bool skip_any_of, unsigned depth);

static int nested_child(struct check *k, const char *child, const char *key, const json_t *v,
                        bool skip_any_of, unsigned depth)
{
    int old = schema_path_child(&k->path, child);
    if (old >= 0 && key && schema_path_key(&k->path, key) < 0)
        old = -ENOMEM;
    if (old < 0)
        return old;
    int r = nested(k, v, skip_any_of, depth + 1);
    schema_path_pop(&k->path, old);
    return r;
}

/* validateValueValidation: the junctors of a node, structural or nested. */
static int junctors(struct check *k, const json_t *s, bool skip_any_of, bool skip_first_all_of,
                    unsigned depth)
{
    static const char *const names[] = {"anyOf", "allOf", "oneOf"};
    int r = 0;
    for (size_t j = 0; r == 0 && j < ARRAY_SIZE(names); j++) {
        if (j == 0 && skip_any_of)
            continue;
        const json_t *list = json_object_get(s, names[j]);
        for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
            char idx[32];
            snprintf(idx, sizeof(idx), "%zu", i);
            bool skip = j == 1 && i == 0 && skip_first_all_of;
            r = nested_child(k, names[j], idx, json_array_get(list, i), skip, depth);
        }
    }
    if (r == 0 && schema_obj(s, "not"))
        r = nested_child(k, "not", NULL, schema_obj(s, "not"), false, depth);
    const char *pattern = schema_str(s, "pattern");
    if (r == 0 && pattern && *pattern) {
        _cleanup_buf_ struct buf ere = BUF_INIT(SCHEMA_MSG_MAX);
        _cleanup_buf_ struct buf err = BUF_INIT(SCHEMA_MSG_MAX);
        bool icase;
        int t = schema_rx_translate(pattern, &ere, &icase, &err);
        if (t < 0 && t != -E2BIG)
            return t;
        if (t == 2) {
            _cleanup_buf_ struct buf d = BUF_INIT(SCHEMA_MSG_MAX);
            r = buf_printf(&d, "must be a valid regular expression, but isn't: %s", buf_str(&err));
            if (r == 0 || r == -E2BIG)
                r = cause_str(k, SCHEMA_REASON_INVALID, "pattern", pattern, buf_str(&d));
        }
    }
    return r;
}

/* validateNestedValueValidation: a node inside allOf/anyOf/oneOf/not. */
static int nested(struct check *k, const json_t *v, bool skip_any_of, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    if (!json_is_object(v))
        return 0;
    int r = junctors(k, v, skip_any_of, false, depth);
    if (r == 0 && schema_obj(v, "items"))
        r = nested_child(k, "items", NULL, schema_obj(v, "items"), false, depth);
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)schema_obj(v, "properties"), key, sub)
    {
        if (r == 0)
            r = nested_child(k, "properties", key, sub, false, depth);
    }
    static const struct {
        const char *key;
        const char *msg;
        bool bool_true; /* forbidden only when true */
    } forbidden[] = {
            {"type", "must be empty to be structural", false},
            {"additionalProperties", "must be undefined to be structural", false},
            {"default", "must be undefined to be structural", false},
            {"title", "must be empty to be structural", false},
            {"description", "must be empty to be structural", false},
            {"nullable", "must be false to be structural", true},
            {"x-kubernetes-preserve-unknown-fields", "must be false to be structural", true},
            {"x-kubernetes-embedded-resource", "must be false to be structural", true},
            {"x-kubernetes-int-or-string", "must be false to be structural", true},
            {"x-kubernetes-list-map-keys", "must be empty to be structural", false},
            {"x-kubernetes-list-type", "must be undefined to be structural", false},
            {"x-kubernetes-map-type", "must be undefined to be structural", false},
            {"x-kubernetes-validations", "must be empty to be structural", false},
    };
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(forbidden); i++) {
        const json_t *x = json_object_get(v, forbidden[i].key);
        bool set = forbidden[i].bool_true ? json_is_true(x)
                                          : x && !json_is_null(x) &&
                                                    !(json_is_string(x) && !*json_string_value(x)) &&
                                                    !(json_is_array(x) && !json_array_size(x));
        if (set)
            r = cause(k, SCHEMA_REASON_FORBIDDEN, forbidden[i].key, NULL, forbidden[i].msg);
    }
    if (r == 0 && schema_obj(schema_obj(v, "properties"), "metadata")) {
        int old = schema_path_child(&k->path, "properties");
        if (old < 0)
            return old;
        r = schema_path_key(&k->path, "metadata");
        if (r >= 0)
            r = cause(k, SCHEMA_REASON_FORBIDDEN, NULL, NULL,
                      "must not be specified in a nested context");
        schema_path_pop(&k->path, old);
    }
    return r;
}

static int metadata_invariants(struct check *k, const json_t *m, bool check, enum level lvl)
{
    int old = schema_path_child(&k->path, "properties");
    if (old < 0 || schema_path_key(&k->path, "metadata") < 0)
        return old < 0 ? old : -ENOMEM;
    int r = 0;
    if (check && strcmp(type_of(m), "object") != 0)
        r = cause_str(k, SCHEMA_REASON_INVALID, "type", type_of(m), "must be object");
    if (r == 0 && lvl == LEVEL_ROOT && json_is_object(m)) {
        bool other = false;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)m, key, v)
        {
            if (strcmp(key, "type") == 0 || strcmp(key, "default") == 0 ||
                strcmp(key, "description") == 0)
                continue;
            if (strcmp(key, "properties") == 0) {
                const char *pk;
                json_t *pv;
                json_object_foreach(v, pk, pv) if (strcmp(pk, "name") != 0 &&
                                                   strcmp(pk, "generateName") != 0) other = true;
                continue;
            }
            other = true;
        }
        if (other)
            r = cause(k, SCHEMA_REASON_FORBIDDEN, NULL, NULL,
                      "must not specify anything other than name and generateName, but metadata "
                      "is implicitly specified");
    }
    schema_path_pop(&k->path, old);
    return r;
}

static int structural(struct check *k, const json_t *s, enum level lvl, unsigned depth);

static int structural_child(struct check *k, const char *child, const char *key,
                            const json_t *s, enum level lvl, unsigned depth)
{
    int old = schema_path_child(&k->path, child);
    if (old >= 0 && key && schema_path_key(&k->path, key) < 0)
        old = -ENOMEM;
    if (old < 0)
        return old;
    int r = structural(k, s, lvl, depth + 1);
    schema_path_pop(&k->path, old);
    return r;
}

static int structural_type(struct check *k, const json_t *s, enum level lvl)
{
    static const char *const empty[] = {"must not be empty at the root",
                                        "must not be empty for specified array items",
                                        "must not be empty for specified object fields"};
    const char *t = type_of(s);
    bool embedded = schema_true(s, "x-kubernetes-embedded-resource");
    int r = 0;
    if (embedded && strcmp(t, "object") != 0) {
        if (!*t)
            r = cause(k, SCHEMA_REASON_REQUIRED, "type", NULL,
                      "must be object if x-kubernetes-embedded-resource is true");
        else
            r = cause_str(k, SCHEMA_REASON_INVALID, "type", t,
                          "must be object if x-kubernetes-embedded-resource is true");
    } else if (!*t && !schema_true(s, "x-kubernetes-int-or-string") &&
               !schema_true(s, "x-kubernetes-preserve-unknown-fields")) {
        r = cause(k, SCHEMA_REASON_REQUIRED, "type", NULL, empty[lvl]);
    }
    bool present, allows;
    schema_additional(s, &present, &allows);
    if (r == 0 && embedded && present)
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "additionalProperties", NULL,
                  "must not be used if x-kubernetes-embedded-resource is set");
    if (r == 0 && lvl == LEVEL_ROOT && *t && strcmp(t, "object") != 0)
        r = cause_str(k, SCHEMA_REASON_INVALID, "type", t, "must be object at the root");
    return r;
}

static int structural_meta(struct check *k, const json_t *s, enum level lvl)
{
    bool check = lvl == LEVEL_ROOT || schema_true(s, "x-kubernetes-embedded-resource");
    const json_t *props = schema_obj(s, "properties");
    static const char *const tm[] = {"kind", "apiVersion"};
    int r = 0;
    for (size_t i = 0; r == 0 && check && i < ARRAY_SIZE(tm); i++) {
        const json_t *p = schema_obj(props, tm[i]);
        if (!p || strcmp(type_of(p), "string") == 0)
            continue;
        int old = schema_path_child(&k->path, "properties");
        if (old < 0 || schema_path_key(&k->path, tm[i]) < 0)
            return old < 0 ? old : -ENOMEM;
        r = cause_str(k, SCHEMA_REASON_INVALID, "type", type_of(p), "must be string");
        schema_path_pop(&k->path, old);
    }
    if (r == 0 && schema_obj(props, "metadata"))
        r = metadata_invariants(k, schema_obj(props, "metadata"), check, lvl);
    if (r == 0 && schema_true(s, "x-kubernetes-embedded-resource") &&
        !schema_true(s, "x-kubernetes-preserve-unknown-fields") && json_object_size(props) == 0)
        r = cause(k, SCHEMA_REASON_REQUIRED, "properties", NULL,
                  "must not be empty if x-kubernetes-embedded-resource is true without "
                  "x-kubernetes-preserve-unknown-fields");
    return r;
}

static int structural(struct check *k, const json_t *s, enum level lvl, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    if (!json_is_object(s))
        return 0;
    int r = 0;
    const json_t *items = schema_obj(s, "items");
    if (strcmp(type_of(s), "array") == 0 && !items)
        r = cause(k, SCHEMA_REASON_REQUIRED, "items", NULL, "must be specified");
    if (r == 0 && items)
        r = structural_child(k, "items", NULL, items, LEVEL_ITEM, depth);
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)schema_obj(s, "properties"), key, sub)
    {
        if (r == 0)
            r = structural_child(k, "properties", key, sub, LEVEL_FIELD, depth);
    }
    bool present, allows;
    const json_t *addl = schema_additional(s, &present, &allows);
    if (r == 0 && present && lvl == LEVEL_ROOT)
        r = cause(k, SCHEMA_REASON_FORBIDDEN, "additionalProperties", NULL,
                  "must not be used at the root");
    if (r == 0 && addl)
        r = structural_child(k, "additionalProperties", NULL, addl, LEVEL_FIELD, depth);
    bool ios = schema_true(s, "x-kubernetes-int-or-string");
    if (r == 0 && ios && schema_true(s, "x-kubernetes-preserve-unknown-fields"))
        r = cause(k, SCHEMA_REASON_INVALID, "x-kubernetes-preserve-unknown-fields", "true",
                  "must be false if x-kubernetes-int-or-string is true");
    if (r == 0 && ios && schema_true(s, "x-kubernetes-embedded-resource"))
        r = cause(k, SCHEMA_REASON_INVALID, "x-kubernetes-embedded-resource", "true",
                  "must be false if x-kubernetes-int-or-string is true");
    const json_t *all = json_object_get(s, "allOf");
    bool skip_any = is_int_or_string_any_of(json_object_get(s, "anyOf"));
    bool skip_first_all =
            json_array_size(all) >= 1 &&
            is_int_or_string_any_of(json_object_get(json_array_get(all, 0), "anyOf"));
    if (r == 0)
        r = junctors(k, s, skip_any, skip_first_all, depth);
    if (r == 0)
        r = structural_type(k, s, lvl);
    if (r == 0)
        r = structural_meta(k, s, lvl);
    return r;
}

/* complete.go: what a junctor at the root names must exist structurally. */
static int completeness(struct check *k, const json_t *v, const json_t *s,
                        struct schema_path *vpath, unsigned depth);

static int defined_in(struct check *k, struct schema_path *vpath)
{
    _cleanup_buf_ struct buf d = BUF_INIT(SCHEMA_MSG_MAX);
    int r = buf_printf(&d, "because it is defined in %s", schema_path_str(vpath));
    if (r < 0 && r != -E2BIG)
        return r;
    return cause(k, SCHEMA_REASON_REQUIRED, NULL, NULL, buf_str(&d));
}

static int completeness_branch(struct check *k, const json_t *v, const json_t *s,
                               struct schema_path *vpath, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    int r = completeness(k, v, s, vpath, depth);
    const json_t *vi = schema_obj(v, "items");
    if (r == 0 && vi) {
        int vold = schema_path_child(vpath, "items");
        int old = schema_path_child(&k->path, "items");
        if (old < 0 || vold < 0)
            return -ENOMEM;
        const json_t *si = schema_obj(s, "items");
        r = si ? completeness_branch(k, vi, si, vpath, depth + 1) : defined_in(k, vpath);
        schema_path_pop(&k->path, old);
        schema_path_pop(vpath, vold);
    }
    const char *key;
    json_t *vf;
    json_object_foreach((json_t *)schema_obj(v, "properties"), key, vf)
    {
        if (r < 0)
            break;
        int vold = schema_path_child(vpath, "properties");
        int old = schema_path_child(&k->path, "properties");
        if (old < 0 || vold < 0 || schema_path_key(&k->path, key) < 0 ||
            schema_path_key(vpath, key) < 0)
            return -ENOMEM;
        const json_t *sf = schema_obj(schema_obj(s, "properties"), key);
        r = sf ? completeness_branch(k, vf, sf, vpath, depth + 1) : defined_in(k, vpath);
        schema_path_pop(&k->path, old);
        schema_path_pop(vpath, vold);
    }
    return r;
}

static int completeness(struct check *k, const json_t *v, const json_t *s,
                        struct schema_path *vpath, unsigned depth)
{
    static const char *const names[] = {"allOf", "anyOf", "oneOf"};
    int r = 0;
    if (schema_obj(v, "not")) {
        int vold = schema_path_child(vpath, "not");
        if (vold < 0)
            return vold;
        r = completeness_branch(k, schema_obj(v, "not"), s, vpath, depth + 1);
        schema_path_pop(vpath, vold);
    }
    for (size_t j = 0; r == 0 && j < ARRAY_SIZE(names); j++) {
        const json_t *list = json_object_get(v, names[j]);
        for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
            int vold = schema_path_child(vpath, names[j]);
            if (vold < 0 || schema_path_index(vpath, i) < 0)
                return -ENOMEM;
            r = completeness_branch(k, json_array_get(list, i), s, vpath, depth + 1);
            schema_path_pop(vpath, vold);
        }
    }
    return r;
}

/* ---- 3. defaults ---- */

static int defaults(struct check *k, const json_t *s, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return -E2BIG;
    if (!json_is_object(s))
        return 0;
    const json_t *def = json_object_get(s, "default");
    int r = 0;
    if (def && !json_is_null(def)) {
        int old = schema_path_child(&k->path, "default");
        if (old < 0)
            return old;
        _cleanup_json_ json_t *pruned = json_deep_copy(def);
        struct schema_result dropped = {0};
        if (!pruned)
            r = -ENOMEM;
        if (r == 0)
            r = schema_prune(&k->c, s, pruned, schema_true(s, "x-kubernetes-embedded-resource"),
                             &dropped);
        schema_result_clear(&dropped);
        if (r == 0 && !schema_json_equal(pruned, def, true, 0)) {
            _cleanup_buf_ struct buf v = BUF_INIT(SCHEMA_MSG_MAX);
            r = schema_go_value(&v, def);
            if (r == 0 || r == -E2BIG)
                r = cause(k, SCHEMA_REASON_INVALID, NULL, buf_str(&v), "must not have unknown fields");
        }
        struct schema_path name = SCHEMA_PATH_INIT;
        k->c.field_base = schema_path_str(&k->path);
        if (r == 0)
            r = schema_validate(&k->c, s, def, &name, 0);
        k->c.field_base = NULL;
        buf_free(&name.b);
        if (r == 0)
            r = schema_listtype(&k->c, s, def, &k->path, 0);
        if (r == 0)
            r = schema_cel_walk(&k->c, s, def, &k->path, 0);
        schema_path_pop(&k->path, old);
        if (r < 0)
            return r;
    }
    const json_t *items = schema_obj(s, "items");
    if (items) {
        int old = schema_path_child(&k->path, "items");
        if (old < 0)
            return old;
        r = defaults(k, items, depth + 1);
        schema_path_pop(&k->path, old);
    }
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)schema_obj(s, "properties"), key, sub)
    {
        if (r < 0)
            break;
        int old = schema_path_child(&k->path, "properties");
        if (old < 0 || schema_path_key(&k->path, key) < 0)
            return -ENOMEM;
        r = defaults(k, sub, depth + 1);
        schema_path_pop(&k->path, old);
    }
    return r;
}

/* Orders causes by "field: message", as upstream sorts Error() strings. */
static int cause_cmp(const void *a, const void *b)
{
    const struct schema_cause *x = a, *y = b;
    const char *xs[] = {x->field, ": ", x->message}, *ys[] = {y->field, ": ", y->message};
    size_t xi = 0, yi = 0;
    const char *p = xs[0], *q = ys[0];
    for (;;) {
        while (!*p && xi < 2)
            p = xs[++xi];
        while (!*q && yi < 2)
            q = ys[++yi];
        if (!*p || !*q || *p != *q)
            return (unsigned char)*p - (unsigned char)*q;
        p++;
        q++;
    }
}

static int run_check(struct check *k, const json_t *schema, struct schema_causes *out)
{
    k->c.out = out;
    int r = general(k, schema, 0);
    if (r < 0)
        return r;
    struct schema_causes structural_errs = {0};
    k->c.out = &structural_errs;
    size_t base = k->path.b.len;
    r = structural(k, schema, LEVEL_ROOT, 0);
    if (r == 0) {
        struct schema_path vpath = SCHEMA_PATH_INIT;
        r = buf_append(&vpath.b, k->path.b.data ? k->path.b.data : "", k->path.b.len);
        if (r == 0)
            r = completeness(k, schema, schema, &vpath, 0);
        buf_free(&vpath.b);
    }
    schema_path_pop(&k->path, (int)base);
    if (structural_errs.n > 1)
        qsort(structural_errs.v, structural_errs.n, sizeof(*structural_errs.v), cause_cmp);
    bool clean = structural_errs.n == 0;
    if (r == 0)
        r = schema_causes_move(out, &structural_errs);
    schema_causes_clear(&structural_errs);
    k->c.out = out;
    if (r == 0 && clean)
        r = defaults(k, schema, 0);
    return r;
}

int schema_check_structural(const json_t *schema, const char *path_prefix,
                            struct schema_result *ret)
{
    assert_return(schema && ret, -EINVAL);
    struct schema_causes causes = {0};
    struct check k = {.path = SCHEMA_PATH_INIT};
    int r = schema_scan_limits(schema);
    if (r == 0 && path_prefix && *path_prefix)
        r = buf_append_str(&k.path.b, path_prefix) < 0 ? -E2BIG : 0;
    if (r == 0)
        r = run_check(&k, schema, &causes);
    bool invalid = causes.n > 0;
    if (r == 0 && invalid) {
        struct schema_cause *v =
                realloc(ret->causes, (ret->n_causes + causes.n) * sizeof(*ret->causes));
        if (!v) {
            r = -ENOMEM;
        } else {
            ret->causes = v;
            memcpy(ret->causes + ret->n_causes, causes.v, causes.n * sizeof(*causes.v));
            ret->n_causes += causes.n;
            free(causes.v);
            causes = (struct schema_causes){0};
        }
    }
    schema_causes_clear(&causes);
    schema_ctx_done(&k.c);
    buf_free(&k.path.b);
    if (r < 0) {
        schema_result_clear(ret);
        return r;
    }
    return invalid ? -EINVAL : 0;
}
