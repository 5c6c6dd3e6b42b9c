/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON values seen as Go values: type names, truth, the spf13/cast
 * conversions Sprig relies on, deep copy and deep equality (both charged
 * to the execution's work budget and bounded in depth), sorted members.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

const char *tmpl_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_NULL:
        break;
    }
    return "<nil>";
}

bool tmpl_truth(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return true;
    case JSON_FALSE:
    case JSON_NULL:
        break;
    }
    return false;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

bool tmpl_parse_go_int(const char *s, size_t n, int64_t *ret)
{
    size_t i = 0;
    bool neg = false, prefixed = false;
    unsigned base = 10;
    uint64_t v = 0;
    char saw = '^'; /* '0' after a digit, '_' after an underscore */

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i++;
    }
    if (i >= n)
        return false;
    if (s[i] == '0' && n - i >= 2) {
        char c = s[i + 1];
        if (c == 'x' || c == 'X')
            base = 16, i += 2, prefixed = true;
        else if (c == 'o' || c == 'O')
            base = 8, i += 2, prefixed = true;
        else if (c == 'b' || c == 'B')
            base = 2, i += 2, prefixed = true;
        else
            base = 8, i += 1, saw = '0';
        if (prefixed)
            saw = '0';
        if (prefixed && i >= n)
            return false;
    }
    for (; i < n; i++) {
        if (s[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        unsigned d = (unsigned)digit_value(s[i]);
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
        saw = '0';
    }
    if (saw != '0')
        return false;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* cast's trimZeroDecimal: "12.000" -> "12". */
static size_t trim_zero_decimal(const char *s, size_t n)
{
    bool zero = false;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '.')
            return zero ? i - 1 : n;
        if (s[i - 1] != '0')
            return n;
        zero = true;
    }
    return n;
}

static int64_t float_to_int64(double d)
{
    if (!(d == d))
        return INT64_MIN;
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return INT64_MIN; /* what Go's conversion gives on amd64 */
    return (int64_t)d;
}

int64_t tmpl_to_int64(const json_t *v)
{
    int64_t i;

    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return json_integer_value(v);
    case JSON_REAL:
        return float_to_int64(json_real_value(v));
    case JSON_TRUE:
        return 1;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = trim_zero_decimal(s, json_string_length(v));
        return tmpl_parse_go_int(s, n, &i) ? i : 0;
    }
    default:
        return 0;
    }
}

double tmpl_to_float64(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return (double)json_integer_value(v);
    case JSON_REAL:
        return json_real_value(v);
    case JSON_TRUE:
        return 1;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        char tmp[128];
        char *end;
        size_t k = 0;
        if (n == 0 || n >= sizeof(tmp))
            return 0;
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (c == '_')
                continue;
            /* ParseFloat's alphabet; no spaces, which strtod would skip */
            if (!strchr("0123456789+-.eEpPxXabcdefABCDEFinftyINFTYa", c) || c == '\0')
                return 0;
            tmp[k++] = c;
        }
        tmp[k] = '\0';
        errno = 0;
        double d = strtod(tmp, &end);
        if (end != tmp + k || errno == ERANGE || !isfinite(d))
            return 0; /* JSON cannot hold +Inf/NaN */
        return d;
    }
    default:
        return 0;
    }
}

static int copy_rec(struct tmpl_exec *x, const json_t *v, unsigned depth, json_t **ret)
{
    json_t *c;
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        r = tmpl_charge(x, 16 * (json_object_size(v) + 1));
        if (r < 0)
            return r;
        c = json_object();
        if (!c)
            return -ENOMEM;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            json_t *e;
            r = copy_rec(x, json_object_iter_value(it), depth + 1, &e);
            if (r >= 0 && json_object_setn_new_nocheck(c, json_object_iter_key(it),
                                                       json_object_iter_key_len(it), e) < 0)
                r = -ENOMEM;
            if (r < 0) {
                json_decref(c);
                return r;
            }
        }
        *ret = c;
        return 0;
    }
    case JSON_ARRAY:
        r = tmpl_charge(x, 16 * (json_array_size(v) + 1));
        if (r < 0)
            return r;
        c = json_array();
        if (!c)
            return -ENOMEM;
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *e;
            r = copy_rec(x, json_array_get(v, i), depth + 1, &e);
            if (r >= 0 && json_array_append_new(c, e) < 0)
                r = -ENOMEM;
            if (r < 0) {
                json_decref(c);
                return r;
            }
        }
        *ret = c;
        return 0;
    default:
        /* Scalars are never modified in place: share them. */
        *ret = json_incref((json_t *)v);
        return 0;
    }
}

int tmpl_deep_copy(struct tmpl_exec *x, const json_t *v, json_t **ret)
{
    return copy_rec(x, v, 0, ret);
}

static int
equal_rec(struct tmpl_exec *x, const json_t *a, const json_t *b, unsigned depth, bool *ret)
{
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    r = tmpl_charge(x, 16);
    if (r < 0)
        return r;
    *ret = false;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b))
            return 0;
        for (void *it = json_object_iter((json_t *)a); it;
             it = json_object_iter_next((json_t *)a, it)) {
            json_t *o = json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!o)
                return 0;
            r = equal_rec(x, json_object_iter_value(it), o, depth + 1, ret);
            if (r < 0 || !*ret)
                return r;
        }
        *ret = true;
        return 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++) {
            r = equal_rec(x, json_array_get(a, i), json_array_get(b, i), depth + 1, ret);
            if (r < 0 || !*ret)
                return r;
        }
        *ret = true;
        return 0;
    case JSON_STRING:
        r = tmpl_charge(x, json_string_length(a));
        if (r < 0)
            return r;
        *ret = json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
        return 0;
    case JSON_INTEGER:
        *ret = json_integer_value(a) == json_integer_value(b);
        return 0;
    case JSON_REAL:
        *ret = json_real_value(a) == json_real_value(b);
        return 0;
    default:
        *ret = true;
        return 0;
    }
}

int tmpl_deep_equal(struct tmpl_exec *x, const json_t *a, const json_t *b, bool *ret)
{
    return equal_rec(x, a, b, 0, ret);
}

static int member_cmp(const void *a, const void *b)
{
    const struct tmpl_member *x = a, *y = b;
    int c = memcmp(x->key, y->key, MIN(x->key_len, y->key_len));
    if (c)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

int tmpl_sorted_members(struct tmpl_exec *x,
                        const json_t *obj,
                        struct tmpl_member **ret,
                        size_t *ret_n)
{
    size_t n = json_object_size(obj), i = 0;
    struct tmpl_member *m;

    *ret = NULL;
    *ret_n = 0;
    if (n == 0)
        return 0;
    if (x) {
        int r = tmpl_charge(x, 16 * n);
        if (r < 0)
            return r;
    }
    m = malloc(n * sizeof(*m));
    if (!m)
        return -ENOMEM;
    for (void *it = json_object_iter((json_t *)obj); it && i < n;
         it = json_object_iter_next((json_t *)obj, it), i++)
        m[i] = (struct tmpl_member){.key = json_object_iter_key(it),
                                    .key_len = json_object_iter_key_len(it),
                                    .value = json_object_iter_value(it)};
    qsort(m, i, sizeof(*m), member_cmp);
    *ret = m;
    *ret_n = i;
    return 0;
}
