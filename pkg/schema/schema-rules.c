/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x-kubernetes-validations at validation time, after apiextensions'
 * cel/validation.go: the rules of a node run with self bound to the value
 * there (null values are skipped), then the walk goes on into properties
 * (".name"), additionalProperties ("[key]") and items ("[i]"). A failing
 * rule gives FieldValueInvalid (or the rule's reason) with the schema type
 * as the value and the rule's message, or "failed rule: <rule>"; the path
 * is the node's, plus the rule's fieldPath. Rules outside the supported
 * subset are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

/* Compiled rule for the rule string (cached by address); NULL when the
 * rule is outside the subset. */
static int rule_program(struct schema_ctx *c, const char *rule, struct cel_program **ret)
{
    for (size_t i = 0; i < c->cel.n; i++)
        if (c->cel.v[i].rule == rule) {
            *ret = c->cel.v[i].prog;
            return 0;
        }
    struct cel_program *prog = NULL;
    int r = cel_compile(rule, &prog);
    if (r < 0 && r != -EOPNOTSUPP)
        return r;
    if (c->cel.n == c->cel.cap) {
        size_t cap = c->cel.cap ? c->cel.cap * 2 : 8;
        struct schema_cel_entry *v = realloc(c->cel.v, cap * sizeof(*v));
        if (!v) {
            cel_program_free(prog);
            return -ENOMEM;
        }
        c->cel.v = v;
        c->cel.cap = cap;
    }
    c->cel.v[c->cel.n++] = (struct schema_cel_entry){.rule = rule, .prog = prog};
    *ret = prog;
    return 0;
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\n\r", s[n - 1]))
        n--;
    return strndup(s, n);
}

/* The path a failing rule reports: the node's, plus fieldPath written as
 * kube prints a path (".a['b']" -> "a[b]"). */
static int rule_path(struct schema_path *path, const char *field_path)
{
    if (!field_path || !*field_path)
        return (int)path->b.len;
    _cleanup_buf_ struct buf norm = BUF_INIT(SCHEMA_MSG_MAX);
    const char *p = field_path[0] == '.' ? field_path + 1 : field_path;
    int r = 0;
    while (r == 0 && *p) {
        if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
            const char *end = strchr(p + 2, p[1]);
            if (!end || end[1] != ']')
                break;
            r = buf_printf(&norm, "[%.*s]", (int)(end - p - 2), p + 2);
            p = end + 2;
        } else {
            r = buf_append(&norm, p, 1);
            p++;
        }
    }
    if (r < 0)
        return r;
    return schema_path_child(path, buf_str(&norm));
}

static int rule_failed(struct schema_ctx *c, const json_t *rule, const char *type,
                       struct schema_path *path)
{
    const char *text = schema_str(rule, "rule");
    const char *msg = schema_str(rule, "message");
    const char *reason = schema_str(rule, "reason");
    _cleanup_free_ char *trimmed = trim_dup(msg && *msg ? msg : text);
    if (!trimmed)
        return -ENOMEM;
    _cleanup_buf_ struct buf detail = BUF_INIT(SCHEMA_MSG_MAX);
    _cleanup_buf_ struct buf value = BUF_INIT(SCHEMA_MSG_MAX);
    int r = buf_printf(&detail, "%s%s", msg && *msg ? "" : "failed rule: ", trimmed);
    if (r == 0)
        r = schema_go_quote(&value, type, strlen(type));
    if (r < 0 && r != -E2BIG)
        return r;
    int old = rule_path(path, schema_str(rule, "fieldPath"));
    if (old < 0)
        return old;
    enum schema_reason why = SCHEMA_REASON_INVALID;
    if (reason && strcmp(reason, "FieldValueForbidden") == 0)
        why = SCHEMA_REASON_FORBIDDEN;
    else if (reason && strcmp(reason, "FieldValueRequired") == 0)
        why = SCHEMA_REASON_REQUIRED;
    else if (reason && strcmp(reason, "FieldValueDuplicate") == 0)
        why = SCHEMA_REASON_DUPLICATE;
    r = schema_cause_add(c, why, schema_path_str(path), buf_str(&value),
                         why == SCHEMA_REASON_DUPLICATE ? NULL : buf_str(&detail));
    schema_path_pop(path, old);
    return r;
}

/* Errors while evaluating are reported on the node's own path, as
 * "<pre><err><mid><rule or message>". */
static int rule_error(struct schema_ctx *c, const json_t *rule, const char *type,
                      const char *path, const char *pre, const char *err, const char *mid)
{
    const char *msg = schema_str(rule, "message");
    _cleanup_free_ char *trimmed = trim_dup(msg && *msg ? msg : schema_str(rule, "rule"));
    _cleanup_buf_ struct buf detail = BUF_INIT(SCHEMA_MSG_MAX);
    _cleanup_buf_ struct buf value = BUF_INIT(SCHEMA_MSG_MAX);
    if (!trimmed)
        return -ENOMEM;
    int r = buf_printf(&detail, "%s%s%s%s", pre, err, mid, trimmed);
    if (r == 0)
        r = schema_go_quote(&value, type, strlen(type));
    if (r < 0 && r != -E2BIG)
        return r;
    return schema_cause_add(c, SCHEMA_REASON_INVALID, path, buf_str(&value), buf_str(&detail));
}

static int run_rules(struct schema_ctx *c, const json_t *s, const json_t *data,
                     struct schema_path *path)
{
    const json_t *rules = json_object_get(s, "x-kubernetes-validations");
    const char *type = schema_str(s, "type");
    if (!type)
        type = "";
    for (size_t i = 0; i < json_array_size(rules) && !c->cel_exhausted; i++) {
        const json_t *rule = json_array_get(rules, i);
        const char *text = schema_str(rule, "rule");
        struct cel_program *prog = NULL;
        if (!text)
            continue;
        int r = rule_program(c, text, &prog);
        if (r < 0)
            return r;
        if (!prog)
            continue;
        uint64_t left = SCHEMA_CEL_TOTAL_LIMIT - c->cel_cost;
        uint64_t budget = MIN(left, (uint64_t)SCHEMA_CEL_CALL_LIMIT);
        uint64_t start = budget;
        _cleanup_free_ char *err = NULL;
        r = cel_eval(prog, data, &budget, &err);
        if (r < 0)
            return r;
        c->cel_cost += start - budget;
        if (r == CEL_OUTCOME_COST && left <= SCHEMA_CEL_CALL_LIMIT) {
            c->cel_exhausted = true;
            _cleanup_buf_ struct buf value = BUF_INIT(256);
            r = schema_go_quote(&value, type, strlen(type));
            if (r == 0)
                r = schema_cause_add(c, SCHEMA_REASON_INVALID, schema_path_str(path),
                                     buf_str(&value),
                                     "validation failed due to running out of cost budget, no "
                                     "further validation rules will be run");
        } else if (r == CEL_OUTCOME_COST) {
            r = rule_error(c, rule, type, schema_path_str(path), "'",
                           "operation cancelled: actual cost limit exceeded",
                           "': call cost exceeds limit for rule: ");
        } else if (r == CEL_OUTCOME_NO_OVERLOAD) {
            r = rule_error(c, rule, type, schema_path_str(path), "'", "no such overload",
                           "': call arguments did not match a supported operator, function or "
                           "macro signature for rule: ");
        } else if (r == CEL_OUTCOME_ERROR) {
            r = rule_error(c, rule, type, schema_path_str(path), "", err, " evaluating rule: ");
        } else if (r == CEL_OUTCOME_FALSE) {
            r = rule_failed(c, rule, type, path);
        } else {
            r = 0;
        }
        if (r < 0)
            return r;
    }
    return 0;
}

int schema_cel_walk(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *path, unsigned depth)
{
    if (!s || !data || json_is_null(data) || c->cel_exhausted)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(c, 1);
    if (r == 0)
        r = run_rules(c, s, data, path);
    if (r < 0)
        return r;
    if (json_is_object(data)) {
        bool present, allows;
        const json_t *addl = schema_additional(s, &present, &allows);
        const json_t *props = schema_obj(s, "properties");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)data, k, v)
        {
            const json_t *prop = schema_obj(props, k);
            const json_t *sub = prop ? prop : addl;
            if (!sub)
                continue;
            int old = prop ? schema_path_child(path, k) : schema_path_key(path, k);
            if (old < 0)
                return old;
            r = schema_cel_walk(c, sub, v, path, depth + 1);
            schema_path_pop(path, old);
            if (r < 0)
                return r;
        }
    } else if (json_is_array(data)) {
        const json_t *items = schema_obj(s, "items");
        for (size_t i = 0; items && r == 0 && i < json_array_size(data); i++) {
            int old = schema_path_index(path, i);
            if (old < 0)
                return old;
            r = schema_cel_walk(c, items, json_array_get(data, i), path, depth + 1);
            schema_path_pop(path, old);
        }
    }
    return r;
}
