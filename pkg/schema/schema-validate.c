/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenAPI validation as apiextensions runs it: kube-openapi's SchemaValidator
 * (type, allOf/anyOf/oneOf/not, string, format, number, array, enum and
 * object validators, in that order, each applying to the value's JSON kind)
 * with its errors converted to field errors the way apiextensions'
 * validation.go does:
 *   required          -> FieldValueRequired at "<path>.<name>"
 *   enum              -> FieldValueNotSupported with the supported values
 *   maxLength         -> FieldValueTooLong
 *   maxItems, maxProperties -> FieldValueTooMany
 *   type and format   -> FieldValueTypeInvalid, value = the type found
 *   anything else     -> FieldValueInvalid, value = the bad value
 *   allOf/anyOf/oneOf/not summaries -> FieldValueInvalid on the object root
 * Messages carry kube-openapi's text, e.g. "spec.n in body should be less
 * than or equal to 3". Names are kube-openapi paths: properties joined with
 * '.', array items "[i]", additionalProperties keys joined with '.'.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema/schema-internal.h"

#define IN_BODY " in body"

static const char *name_str(const struct schema_path *name)
{
    return buf_str(&name->b);
}

/* apiextensions: errPath = fldPath.Child(strings.TrimPrefix(name, ".")). */
static int field_of(const struct schema_ctx *c, const char *name, struct buf *out)
{
    if (name[0] == '.')
        name++;
    if (!*name)
        return buf_append_str(out, c->field_base ? c->field_base : "<nil>");
    if (c->field_base)
        return buf_printf(out, "%s.%s", c->field_base, name);
    return buf_append_str(out, name);
}

/* Adds a cause for the value at name. value: Go-formatted, NULL to omit. */
static int add_v(struct schema_ctx *c, enum schema_reason r, const char *name, const char *value,
                 const char *fmt, va_list ap) _printf_(5, 0);
static int add_v(struct schema_ctx *c, enum schema_reason r, const char *name, const char *value,
                 const char *fmt, va_list ap)
{
    _cleanup_buf_ struct buf field = BUF_INIT(SCHEMA_MSG_MAX);
    _cleanup_buf_ struct buf detail = BUF_INIT(SCHEMA_MSG_MAX);
    int k = field_of(c, name, &field);
    if (k == 0 && fmt)
        k = buf_vprintf(&detail, fmt, ap);
    if (k == -E2BIG)
        k = 0; /* cut: the cause still counts */
    if (k < 0)
        return k;
    return schema_cause_add(c, r, buf_str(&field), value, buf_str(&detail));
}

static int add(struct schema_ctx *c, enum schema_reason r, const char *name, const char *value,
               const char *fmt, ...) _printf_(5, 6);
static int add(struct schema_ctx *c, enum schema_reason r, const char *name, const char *value,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = add_v(c, r, name, value, fmt, ap);
    va_end(ap);
    return k;
}

/* Same, with v formatted as ErrorBody prints a bad value. */
static int add_with_value(struct schema_ctx *c, enum schema_reason r, const char *name,
                          const json_t *v, const char *fmt, ...) _printf_(5, 6);
static int add_with_value(struct schema_ctx *c, enum schema_reason r, const char *name,
                          const json_t *v, const char *fmt, ...)
{
    _cleanup_buf_ struct buf val = BUF_INIT(SCHEMA_MSG_MAX);
    int k = schema_go_value(&val, v);
    if (k < 0 && k != -E2BIG)
        return k;
    va_list ap;
    va_start(ap, fmt);
    k = add_v(c, r, name, k == 0 ? buf_str(&val) : "\"\"", fmt, ap);
    va_end(ap);
    return k;
}

/* A composite (allOf/anyOf/oneOf/not) summary: upstream reports it on the
 * validation root with an empty value. */
static int add_composite(struct schema_ctx *c, const char *name, const char *what,
                         const char *extra)
{
    _cleanup_buf_ struct buf q = BUF_INIT(SCHEMA_MSG_MAX);
    int k = schema_go_quote(&q, name, strlen(name));
    if (k < 0 && k != -E2BIG)
        return k;
    return add(c, SCHEMA_REASON_INVALID, "", "\"\"", "%s %s%s", buf_str(&q), what, extra);
}

struct types {
    const char *t[2];
    size_t n;
};

static void node_types(const json_t *s, struct types *ts)
{
    *ts = (struct types){0};
    if (schema_true(s, "x-kubernetes-int-or-string")) {
        *ts = (struct types){.t = {"integer", "string"}, .n = 2};
        return;
    }
    const char *t = schema_str(s, "type");
    if (t && *t)
        *ts = (struct types){.t = {t}, .n = 1};
}

static bool types_has(const struct types *ts, const char *t)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i], t) == 0)
            return true;
    return false;
}

static int type_error(struct schema_ctx *c, const char *name, const struct types *ts,
                      const char *found)
{
    char want[32];
    snprintf(want, sizeof(want), "%s%s%s", ts->t[0], ts->n > 1 ? "," : "", ts->n > 1 ? ts->t[1] : "");
    _cleanup_buf_ struct buf q = BUF_INIT(256);
    int k = schema_go_quote(&q, found, strlen(found));
    if (k < 0)
        return k;
    return add(c, SCHEMA_REASON_TYPE_INVALID, name, buf_str(&q), "%s" IN_BODY " must be of type %s: %s",
               name, want, buf_str(&q));
}

static bool is_integral(double d)
{
    return isfinite(d) && fabs(d) <= 9007199254740992.0 && d == trunc(d);
}

/* kube-openapi's typeValidator. */
static int check_type(struct schema_ctx *c, const json_t *s, const json_t *data,
                      const char *name)
{
    struct types ts;
    char norm[32];
    node_types(s, &ts);
    const char *format = schema_format(s, norm, sizeof(norm));
    if (ts.n == 0 && !*format)
        return 0;
    if (json_is_null(data)) {
        if (ts.n > 0 && !schema_true(s, "nullable"))
            return type_error(c, name, &ts, "null");
        return 0;
    }
    const char *found = schema_json_type(data);
    const char *found_format = json_is_integer(data) ? "int64" : json_is_real(data) ? "float64" : "";
    bool string_or_slice = json_is_string(data) || json_is_array(data);
    bool float_int = json_is_real(data) && is_integral(json_real_value(data)) &&
                     types_has(&ts, "integer");
    bool int_float = json_is_integer(data) && types_has(&ts, "number");
    if (!string_or_slice && *format &&
        !(types_has(&ts, found) || strcmp(found_format, format) == 0 || float_int || int_float)) {
        struct types f = {.t = {format}, .n = 1};
        return type_error(c, name, &f, found_format);
    }
    if (!types_has(&ts, "number") && !types_has(&ts, "integer") && *format && string_or_slice)
        return 0;
    if (!(types_has(&ts, found) || float_int || int_float))
        return type_error(c, name, &ts, found);
    return 0;
}

static int validate_into(struct schema_ctx *c, const json_t *s, const json_t *data,
                         struct schema_path *name, unsigned depth, struct schema_causes *into)
{
    struct schema_causes *saved = c->out;
    c->out = into;
    int r = schema_validate(c, s, data, name, depth);
    c->out = saved;
    return r;
}

/* Runs every branch of key; *ret_ok counts branches without errors, best
 * keeps the failing branch with fewest errors (upstream keeps the one with
 * most passed checks), all collects every error when all is set. */
static int run_branches(struct schema_ctx *c, const json_t *branches, const json_t *data,
                        struct schema_path *name, unsigned depth, bool stop_at_ok,
                        size_t *ret_ok, struct schema_causes *best, struct schema_causes *all)
{
    size_t ok = 0;
    bool have_best = false;
    for (size_t i = 0; i < json_array_size(branches); i++) {
        struct schema_causes tmp = {0};
        int r = validate_into(c, json_array_get(branches, i), data, name, depth + 1, &tmp);
        if (r < 0) {
            schema_causes_clear(&tmp);
            return r;
        }
        if (tmp.n == 0) {
            ok++;
            schema_causes_clear(best);
            have_best = false;
            if (stop_at_ok)
                break;
            continue;
        }
        if (all) {
            r = schema_causes_move(all, &tmp);
        } else if (ok == 0 && (!have_best || tmp.n < best->n)) {
            schema_causes_clear(best);
            *best = tmp;
            tmp = (struct schema_causes){0};
            have_best = true;
        }
        schema_causes_clear(&tmp);
        if (r < 0)
            return r;
    }
    *ret_ok = ok;
    return 0;
}

static int check_composition(struct schema_ctx *c, const json_t *s, const json_t *data,
                             struct schema_path *name, unsigned depth)
{
    const char *n = name_str(name);
    struct schema_causes best = {0};
    size_t ok = 0;
    int r = 0;
    const json_t *any = json_object_get(s, "anyOf");
    if (json_array_size(any) > 0) {
        r = run_branches(c, any, data, name, depth, true, &ok, &best, NULL);
        if (r == 0 && ok == 0)
            r = add_composite(c, n, "must validate at least one schema (anyOf)", "");
        if (r == 0)
            r = schema_causes_move(c->out, &best);
        schema_causes_clear(&best);
        if (r < 0)
            return r;
    }
    const json_t *one = json_object_get(s, "oneOf");
    if (json_array_size(one) > 0) {
        r = run_branches(c, one, data, name, depth, false, &ok, &best, NULL);
        if (r == 0 && ok != 1) {
            char extra[64];
            if (ok == 0)
                snprintf(extra, sizeof(extra), ". Found none valid");
            else
                snprintf(extra, sizeof(extra), ". Found %zu valid alternatives", ok);
            r = add_composite(c, n, "must validate one and only one schema (oneOf)", extra);
            if (r == 0)
                r = schema_causes_move(c->out, &best);
        }
        schema_causes_clear(&best);
        if (r < 0)
            return r;
    }
    const json_t *all = json_object_get(s, "allOf");
    if (json_array_size(all) > 0) {
        r = run_branches(c, all, data, name, depth, false, &ok, &best, c->out);
        if (r == 0 && ok != json_array_size(all))
            r = add_composite(c, n, "must validate all the schemas (allOf)", ok == 0 ? ". None validated" : "");
        if (r < 0)
            return r;
    }
    const json_t *not = schema_obj(s, "not");
    if (not) {
        struct schema_causes tmp = {0};
        r = validate_into(c, not, data, name, depth + 1, &tmp);
        bool valid = tmp.n == 0;
        schema_causes_clear(&tmp);
        if (r == 0 && valid)
            r = add_composite(c, n, "must not validate the schema (not)", "");
    }
    return r;
}

static int check_string(struct schema_ctx *c, const json_t *s, const json_t *data,
                        const char *name)
{
    const char *str = json_string_value(data);
    size_t len = json_string_length(data);
    json_t *max = json_object_get(s, "maxLength"), *min = json_object_get(s, "minLength");
    const char *pattern = schema_str(s, "pattern");
    size_t runes = (max || min) ? schema_utf8_len(str, len) : 0;
    if (json_is_integer(max) && (json_int_t)runes > json_integer_value(max)) {
        json_int_t m = json_integer_value(max);
        return add(c, SCHEMA_REASON_TOO_LONG, name, NULL, "may not be more than %" JSON_INTEGER_FORMAT " %s",
                   m, m == 1 ? "byte" : "bytes");
    }
    if (json_is_integer(min) && (json_int_t)runes < json_integer_value(min))
        return add_with_value(c, SCHEMA_REASON_INVALID, name, data,
                              "%s" IN_BODY " should be at least %" JSON_INTEGER_FORMAT " chars long",
                              name, json_integer_value(min));
    if (pattern && *pattern) {
        bool match = true;
        const char *err = NULL;
        int r = schema_rx_match(c, pattern, str, len, &match, &err);
        if (r < 0)
            return r;
        if (r == 2) {
            _cleanup_buf_ struct buf p = BUF_INIT(SCHEMA_MSG_MAX);
            r = buf_printf(&p, "%s, but pattern is invalid: %s", pattern, err ? err : "");
            if (r < 0 && r != -E2BIG)
                return r;
            return add_with_value(c, SCHEMA_REASON_INVALID, name, data,
                                  "%s" IN_BODY " should match '%s'", name, buf_str(&p));
        }
        if (r == 0 && !match)
            return add_with_value(c, SCHEMA_REASON_INVALID, name, data,
                                  "%s" IN_BODY " should match '%s'", name, pattern);
    }
    return 0;
}

static int check_format(struct schema_ctx *c, const json_t *s, const json_t *data,
                        const char *name)
{
    char norm[32];
    const char *format = schema_format(s, norm, sizeof(norm));
    if (!norm[0])
        return 0;
    if (schema_format_check(norm, json_string_value(data), json_string_length(data)) != 0)
        return 0;
    _cleanup_buf_ struct buf q = BUF_INIT(SCHEMA_MSG_MAX);
    int k = schema_go_quote(&q, json_string_value(data), json_string_length(data));
    if (k < 0 && k != -E2BIG)
        return k;
    return add(c, SCHEMA_REASON_TYPE_INVALID, name, buf_str(&q), "%s" IN_BODY " must be of type %s: %s",
               name, format, buf_str(&q));
}

/* Go's int64(f) for the bounds an integer is compared with. */
static json_int_t go_int64(double f)
{
    if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0))
        return INT64_MIN;
    return (json_int_t)f;
}

/* Formats a bound as upstream prints it: int64 for integer data, float64
 * otherwise. */
static int bound_str(struct buf *b, const json_t *data, double bound)
{
    if (json_is_integer(data))
        return buf_printf(b, "%" JSON_INTEGER_FORMAT, go_int64(bound));
    return schema_go_float(b, bound);
}

static bool multiple_of_float(double data, double factor)
{
    double mult = factor < 1 ? 1 / factor * data : data / factor;
    if (!isfinite(mult) || fabs(mult) > 9007199254740992.0)
        return false;
    double g = round(mult);
    if (mult == g)
        return true;
    return fabs(mult - g) / fmin(fabs(mult) + fabs(g), 1.79e308) < 1e-9;
}

static int check_multiple(struct schema_ctx *c, const json_t *s, const json_t *data,
                          const char *name)
{
    const json_t *m = json_object_get(s, "multipleOf");
    if (!json_is_number(m))
        return 0;
    double factor = json_number_value(m);
    _cleanup_buf_ struct buf fb = BUF_INIT(64);
    int k;
    bool int_path = json_is_integer(data) && go_int64(factor) != 0;
    if (int_path)
        k = buf_printf(&fb, "%" JSON_INTEGER_FORMAT, go_int64(factor));
    else
        k = schema_go_float(&fb, factor);
    if (k < 0)
        return k;
    if (int_path ? go_int64(factor) < 0 : factor < 0) {
        return add(c, SCHEMA_REASON_INVALID, name, buf_str(&fb),
                   "factor MultipleOf declared for %s must be positive: %s", name, buf_str(&fb));
    }
    bool ok;
    if (int_path) {
        json_int_t f = go_int64(factor), v = json_integer_value(data);
        ok = !(f == -1 && v == INT64_MIN) && v % f == 0;
    } else {
        ok = multiple_of_float(json_number_value(data), factor);
    }
    if (ok)
        return 0;
    return add_with_value(c, SCHEMA_REASON_INVALID, name, data,
                          "%s" IN_BODY " should be a multiple of %s", name, buf_str(&fb));
}

/* One bound: min selects minimum/exclusiveMinimum, else the maximum pair. */
static int check_bound(struct schema_ctx *c, const json_t *s, const json_t *data,
                       const char *name, bool min)
{
    const json_t *b = json_object_get(s, min ? "minimum" : "maximum");
    if (!json_is_number(b))
        return 0;
    bool excl = schema_true(s, min ? "exclusiveMinimum" : "exclusiveMaximum");
    double bound = json_number_value(b);
    bool fail;
    if (json_is_integer(data)) {
        json_int_t v = json_integer_value(data), l = go_int64(bound);
        fail = min ? (excl ? v <= l : v < l) : (excl ? v >= l : v > l);
    } else {
        double v = json_real_value(data);
        fail = min ? (excl ? v <= bound : v < bound) : (excl ? v >= bound : v > bound);
    }
    if (!fail)
        return 0;
    _cleanup_buf_ struct buf bb = BUF_INIT(64);
    int k = bound_str(&bb, data, bound);
    if (k < 0)
        return k;
    const char *what = min ? (excl ? "greater than" : "greater than or equal to")
                           : (excl ? "less than" : "less than or equal to");
    return add_with_value(c, SCHEMA_REASON_INVALID, name, data, "%s" IN_BODY " should be %s %s",
                          name, what, buf_str(&bb));
}

static int check_number(struct schema_ctx *c, const json_t *s, const json_t *data,
                        const char *name)
{
    int r = check_multiple(c, s, data, name);
    if (r == 0)
        r = check_bound(c, s, data, name, true);
    if (r == 0)
        r = check_bound(c, s, data, name, false);
    return r;
}

static const char *plural(json_int_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static int check_array(struct schema_ctx *c, const json_t *s, const json_t *data,
                       struct schema_path *name, unsigned depth)
{
    const json_t *items = schema_obj(s, "items");
    size_t n = json_array_size(data);
    int r = 0;
    for (size_t i = 0; items && r == 0 && i < n; i++) {
        int old = schema_path_index(name, i);
        if (old < 0)
            return old;
        r = schema_validate(c, items, json_array_get(data, i), name, depth + 1);
        schema_path_pop(name, old);
    }
    if (r < 0)
        return r;
    const char *nm = name_str(name);
    const json_t *min = json_object_get(s, "minItems"), *max = json_object_get(s, "maxItems");
    char nb[32];
    snprintf(nb, sizeof(nb), "%zu", n);
    if (json_is_integer(min) && (json_int_t)n < json_integer_value(min))
        r = add(c, SCHEMA_REASON_INVALID, nm, nb, "%s" IN_BODY " should have at least %" JSON_INTEGER_FORMAT " items",
                nm, json_integer_value(min));
    if (r == 0 && json_is_integer(max) && (json_int_t)n > json_integer_value(max))
        r = add(c, SCHEMA_REASON_TOO_MANY, nm, nb, "must have at most %" JSON_INTEGER_FORMAT " %s",
                json_integer_value(max), plural(json_integer_value(max), "item", "items"));
    if (r == 0 && schema_true(s, "uniqueItems")) {
        bool dup = false;
        for (size_t i = 0; r == 0 && !dup && i < n; i++) {
            r = schema_ctx_charge(c, i + 1);
            for (size_t j = 0; r == 0 && !dup && j < i; j++)
                dup = schema_json_equal(json_array_get(data, i), json_array_get(data, j), true, 0);
        }
        if (r == 0 && dup)
            r = add(c, SCHEMA_REASON_INVALID, nm, "\"\"", "%s" IN_BODY " shouldn't contain duplicates",
                    nm);
    }
    return r;
}

static int check_enum(struct schema_ctx *c, const json_t *s, const json_t *data,
                      const char *name)
{
    const json_t *e = json_object_get(s, "enum");
    if (json_array_size(e) == 0)
        return 0;
    for (size_t i = 0; i < json_array_size(e) && !json_is_null(data); i++)
        if (schema_json_equal(data, json_array_get(e, i), false, 0))
            return 0;
    _cleanup_buf_ struct buf list = BUF_INIT(SCHEMA_MSG_MAX);
    int r = buf_append_str(&list, "supported values: ");
    for (size_t i = 0; r == 0 && i < json_array_size(e); i++) {
        const json_t *v = json_array_get(e, i);
        if (i > 0)
            r = buf_append_str(&list, ", ");
        if (r < 0)
            break;
        if (json_is_string(v)) {
            r = schema_go_quote(&list, json_string_value(v), json_string_length(v));
        } else {
            _cleanup_buf_ struct buf j = BUF_INIT(SCHEMA_MSG_MAX);
            r = schema_go_json(&j, v);
            if (r == 0)
                r = schema_go_quote(&list, buf_str(&j), j.len);
        }
    }
    if (r < 0 && r != -E2BIG)
        return r;
    _cleanup_buf_ struct buf val = BUF_INIT(SCHEMA_MSG_MAX);
    r = schema_go_value(&val, data);
    if (r < 0 && r != -E2BIG)
        return r;
    return add(c, SCHEMA_REASON_NOT_SUPPORTED, name, buf_str(&val), "%s", buf_str(&list));
}

static int check_object(struct schema_ctx *c, const json_t *s, const json_t *data,
                        struct schema_path *name, unsigned depth)
{
    size_t n = json_object_size(data);
    const char *nm = name_str(name);
    const json_t *min = json_object_get(s, "minProperties");
    const json_t *max = json_object_get(s, "maxProperties");
    const json_t *props = schema_obj(s, "properties");
    char nb[32];
    snprintf(nb, sizeof(nb), "%zu", n);
    if (json_is_integer(min) && (json_int_t)n < json_integer_value(min))
        return add(c, SCHEMA_REASON_INVALID, nm, nb, "%s" IN_BODY " should have at least %" JSON_INTEGER_FORMAT " properties",
                   nm, json_integer_value(min));
    if (json_is_integer(max) && (json_int_t)n > json_integer_value(max))
        return add(c, SCHEMA_REASON_TOO_MANY, nm, nb, "must have at most %" JSON_INTEGER_FORMAT " %s",
                   json_integer_value(max), plural(json_integer_value(max), "item", "items"));
    bool present, allows;
    const json_t *addl = schema_additional(s, &present, &allows);
    const char *k;
    json_t *v;
    int r = 0;
    json_object_foreach((json_t *)data, k, v)
    {
        if (json_object_get(props, k))
            continue;
        if (present && !allows) {
            _cleanup_buf_ struct buf q = BUF_INIT(SCHEMA_MSG_MAX);
            r = schema_go_quote(&q, k, strlen(k));
            if (r == 0)
                r = add(c, SCHEMA_REASON_INVALID, nm, buf_str(&q),
                        "%s.%s" IN_BODY " is a forbidden property", nm, k);
        } else if (addl) {
            int old = schema_path_raw(name, ".");
            if (old < 0)
                return old;
            r = buf_append_str(&name->b, k);
            if (r == 0)
                r = schema_validate(c, addl, v, name, depth + 1);
            schema_path_pop(name, old);
        }
        if (r < 0)
            return r;
    }
    json_t *ps;
    json_object_foreach((json_t *)props, k, ps)
    {
        json_t *dv = json_object_get(data, k);
        if (!dv)
            continue;
        int old = schema_path_child(name, k);
        if (old < 0)
            return old;
        r = schema_validate(c, ps, dv, name, depth + 1);
        schema_path_pop(name, old);
        if (r < 0)
            return r;
    }
    const json_t *req = json_object_get(s, "required");
    for (size_t i = 0; r == 0 && i < json_array_size(req); i++) {
        const char *rk = json_string_value(json_array_get(req, i));
        if (!rk || json_object_get(data, rk))
            continue;
        _cleanup_buf_ struct buf rn = BUF_INIT(SCHEMA_MSG_MAX);
        r = buf_printf(&rn, "%s.%s", nm, rk);
        if (r == 0)
            r = add(c, SCHEMA_REASON_REQUIRED, buf_str(&rn), NULL, NULL);
    }
    return r;
}

int schema_validate(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *name, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return -E2BIG;
    int r = schema_ctx_charge(c, 1);
    if (r < 0 || !json_is_object(s))
        return r;
    r = check_type(c, s, data, name_str(name));
    if (r < 0)
        return r;
    if (json_is_null(data))
        return check_enum(c, s, data, name_str(name));
    r = check_composition(c, s, data, name, depth);
    if (r == 0 && json_is_string(data))
        r = check_string(c, s, data, name_str(name));
    if (r == 0 && json_is_string(data))
        r = check_format(c, s, data, name_str(name));
    if (r == 0 && json_is_number(data))
        r = check_number(c, s, data, name_str(name));
    if (r == 0 && json_is_array(data))
        r = check_array(c, s, data, name, depth);
    if (r == 0)
        r = check_enum(c, s, data, name_str(name));
    if (r == 0 && json_is_object(data))
        r = check_object(c, s, data, name, depth);
    return r;
}
