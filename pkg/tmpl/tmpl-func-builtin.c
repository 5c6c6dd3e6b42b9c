/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text/template's builtin functions: and, or, not, len, index, slice,
 * print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery.
 * and/or are evaluated lazily by the executor; the table marks them.
 *
 * One extension: numbers compare by value across JSON integers and reals
 * (Go refuses to compare int with float64), because JSON does not say
 * whether 1 or 1.0 was meant.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

static int fn_not(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(!tmpl_truth(argv[0]), ret);
}

static int fn_unreachable(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argv;
    (void)argc;
    (void)ret;
    return tmpl_fail(x, "unreachable");
}

static int fn_len(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    switch (json_typeof(argv[0])) {
    case JSON_STRING:
        return tmpl_new_int((int64_t)json_string_length(argv[0]), ret);
    case JSON_ARRAY:
        return tmpl_new_int((int64_t)json_array_size(argv[0]), ret);
    case JSON_OBJECT:
        return tmpl_new_int((int64_t)json_object_size(argv[0]), ret);
    case JSON_NULL:
        return tmpl_fail(x, "len of nil pointer");
    default:
        return tmpl_fail(x, "len of type %s", tmpl_type_name(argv[0]));
    }
}

/* Go's indexArg: an int in [0, cap]. */
static int index_arg(struct tmpl_exec *x, const json_t *index, size_t cap, size_t *ret)
{
    if (json_is_null(index))
        return tmpl_fail(x, "cannot index slice/array with nil");
    if (!json_is_integer(index))
        return tmpl_fail(x, "cannot index slice/array with type %s", tmpl_type_name(index));
    json_int_t i = json_integer_value(index);
    if (i < 0 || (uint64_t)i > cap)
        return tmpl_fail(x, "index out of range: %" JSON_INTEGER_FORMAT, i);
    *ret = (size_t)i;
    return 0;
}

static int fn_index(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const json_t *item = argv[0];
    int r;

    if (json_is_null(item))
        return tmpl_fail(x, "index of untyped nil");
    for (size_t k = 1; k < argc; k++) {
        const json_t *index = argv[k];
        size_t i, len;
        switch (json_typeof(item)) {
        case JSON_NULL:
            return tmpl_fail(x, "index of nil pointer");
        case JSON_ARRAY:
        case JSON_STRING:
            len = json_is_array(item) ? json_array_size(item) : json_string_length(item);
            r = index_arg(x, index, len, &i);
            if (r < 0)
                return r;
            if (i == len)
                return tmpl_fail(x, "index out of range: %zu", i);
            if (json_is_array(item))
                item = json_array_get(item, i);
            else {
                /* a byte of the string, as a number */
                unsigned char c = (unsigned char)json_string_value(item)[i];
                if (k + 1 < argc)
                    return tmpl_fail(x, "can't index item of type uint8");
                return tmpl_new_int(c, ret);
            }
            break;
        case JSON_OBJECT:
            if (json_is_null(index))
                return tmpl_fail(x, "value is nil; should be of type string");
            if (!json_is_string(index))
                return tmpl_fail(x, "value has type %s; should be string", tmpl_type_name(index));
            item = json_object_getn(item, json_string_value(index), json_string_length(index));
            if (!item)
                item = json_null();
            break;
        default:
            return tmpl_fail(x, "can't index item of type %s", tmpl_type_name(item));
        }
    }
    *ret = json_incref((json_t *)item);
    return 0;
}

/* Sprig's slice shadows Go's: lists take any index convertible to an int
 * and an empty list gives nil; strings are sliced as Go's builtin does. */
static int fn_slice(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const json_t *item = argv[0];
    size_t idx[3] = {0, 0, 0}, cap, n = argc - 1;
    bool is_list = json_is_array(item);
    int r;

    if (json_is_null(item))
        return tmpl_fail(x, "slice of untyped nil");
    if (n > 3)
        return tmpl_fail(x, "too many slice indexes: %zu", n);
    if (json_is_string(item)) {
        if (n == 3)
            return tmpl_fail(x, "cannot 3-index slice a string");
        cap = json_string_length(item);
    } else if (is_list) {
        cap = json_array_size(item);
        if (cap == 0) {
            *ret = json_null();
            return 0;
        }
    } else
        return tmpl_fail(x, "can't slice item of type %s", tmpl_type_name(item));
    idx[1] = cap;
    for (size_t i = 0; i < n; i++) {
        const json_t *a = argv[i + 1];
        json_t *conv = NULL;
        if (is_list && !json_is_integer(a)) {
            conv = json_integer(tmpl_to_int64(a));
            if (!conv)
                return -ENOMEM;
            a = conv;
        }
        r = index_arg(x, a, cap, &idx[i]);
        json_decref(conv);
        if (r < 0)
            return r;
    }
    if (idx[0] > idx[1])
        return tmpl_fail(x, "invalid slice index: %zu > %zu", idx[0], idx[1]);
    if (n == 3 && idx[1] > idx[2])
        return tmpl_fail(x, "invalid slice index: %zu > %zu", idx[1], idx[2]);
    if (!is_list)
        return tmpl_new_string(x, json_string_value(item) + idx[0], idx[1] - idx[0], ret);
    r = tmpl_charge(x, 16 * (idx[1] - idx[0] + 1));
    if (r < 0)
        return r;
    json_t *out = json_array();
    if (!out)
        return -ENOMEM;
    for (size_t i = idx[0]; i < idx[1]; i++)
        if (json_array_append(out, json_array_get(item, i)) < 0) {
            json_decref(out);
            return -ENOMEM;
        }
    *ret = out;
    return 0;
}

static int fn_print(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = tmpl_fmt_sprint(x, &b, argv, argc, false);
    return r < 0 ? r : tmpl_take_string(x, &b, ret);
}

static int fn_println(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = tmpl_fmt_sprint(x, &b, argv, argc, true);
    return r < 0 ? r : tmpl_take_string(x, &b, ret);
}

static int fn_printf(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = tmpl_fmt_sprintf(x, &b, json_string_value(argv[0]), json_string_length(argv[0]),
                             argv + 1, argc - 1);
    if (r == -EINVAL)
        return tmpl_fail(x, "bad format");
    return r < 0 ? r : tmpl_take_string(x, &b, ret);
}

/* ------------------------------------------------------------ comparisons */

enum kind {
    KIND_INVALID,
    KIND_BOOL,
    KIND_INT,
    KIND_FLOAT,
    KIND_STRING,
};

static enum kind basic_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return KIND_BOOL;
    case JSON_INTEGER:
        return KIND_INT;
    case JSON_REAL:
        return KIND_FLOAT;
    case JSON_STRING:
        return KIND_STRING;
    default:
        return KIND_INVALID;
    }
}

static bool is_number(enum kind k)
{
    return k == KIND_INT || k == KIND_FLOAT;
}

/* <0, 0, >0 comparing an int with a float exactly. */
static int cmp_int_float(int64_t i, double f)
{
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)f;
    if (i != t)
        return i < t ? -1 : 1;
    double frac = f - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_numbers(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_integer(a))
        return cmp_int_float(json_integer_value(a), json_real_value(b));
    if (json_is_integer(b))
        return -cmp_int_float(json_integer_value(b), json_real_value(a));
    double x = json_real_value(a), y = json_real_value(b);
    return x < y ? -1 : x > y;
}

static int cmp_strings(const json_t *a, const json_t *b)
{
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), MIN(la, lb));
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

static int equal_one(struct tmpl_exec *x, const json_t *a, const json_t *b, bool *truth)
{
    enum kind k1 = basic_kind(a), k2 = basic_kind(b);

    *truth = false;
    if (k1 != k2) {
        if (is_number(k1) && is_number(k2))
            *truth = cmp_numbers(a, b) == 0;
        else if (!json_is_null(a) && !json_is_null(b))
            return tmpl_fail(x, "incompatible types for comparison: %s and %s", tmpl_type_name(a),
                             tmpl_type_name(b));
        return 0;
    }
    switch (k1) {
    case KIND_BOOL:
        *truth = json_is_true(a) == json_is_true(b);
        return 0;
    case KIND_INT:
    case KIND_FLOAT:
        *truth = cmp_numbers(a, b) == 0;
        return 0;
    case KIND_STRING:
        *truth = cmp_strings(a, b) == 0;
        return 0;
    case KIND_INVALID:
        break;
    }
    if (json_is_null(a) || json_is_null(b)) {
        *truth = json_is_null(a) && json_is_null(b);
        return 0;
    }
    if (json_typeof(a) != json_typeof(b))
        return tmpl_fail(x, "non-comparable types %s and %s", tmpl_type_name(a), tmpl_type_name(b));
    return tmpl_fail(x, "non-comparable type %s", tmpl_type_name(b));
}

static int fn_eq(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    if (argc < 2)
        return tmpl_fail(x, "missing argument for comparison");
    for (size_t i = 1; i < argc; i++) {
        bool truth;
        int r = equal_one(x, argv[0], argv[i], &truth);
        if (r < 0)
            return r;
        if (truth)
            return tmpl_new_bool(true, ret);
    }
    return tmpl_new_bool(false, ret);
}

static int fn_ne(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool truth;
    int r;
    (void)argc;
    r = equal_one(x, argv[0], argv[1], &truth);
    return r < 0 ? r : tmpl_new_bool(!truth, ret);
}

static int less(struct tmpl_exec *x, const json_t *a, const json_t *b, bool *ret)
{
    enum kind k1 = basic_kind(a), k2 = basic_kind(b);

    if (k1 == KIND_INVALID || k2 == KIND_INVALID)
        return tmpl_fail(x, "invalid type for comparison");
    if (k1 != k2 && !(is_number(k1) && is_number(k2)))
        return tmpl_fail(x, "incompatible types for comparison");
    if (k1 == KIND_BOOL)
        return tmpl_fail(x, "invalid type for comparison");
    *ret = k1 == KIND_STRING ? cmp_strings(a, b) < 0 : cmp_numbers(a, b) < 0;
    return 0;
}

static int less_equal(struct tmpl_exec *x, const json_t *a, const json_t *b, bool *ret)
{
    int r = less(x, a, b, ret);
    if (r < 0 || *ret)
        return r;
    return equal_one(x, a, b, ret);
}

static int fn_lt(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool t;
    int r = less(x, argv[0], argv[1], &t);
    (void)argc;
    return r < 0 ? r : tmpl_new_bool(t, ret);
}

static int fn_le(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool t;
    int r = less_equal(x, argv[0], argv[1], &t);
    (void)argc;
    return r < 0 ? r : tmpl_new_bool(t, ret);
}

static int fn_gt(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool t;
    int r = less_equal(x, argv[0], argv[1], &t);
    (void)argc;
    return r < 0 ? r : tmpl_new_bool(!t, ret);
}

static int fn_ge(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool t;
    int r = less(x, argv[0], argv[1], &t);
    (void)argc;
    return r < 0 ? r : tmpl_new_bool(!t, ret);
}

/* ---------------------------------------------------------------- escaping */

/* Go's evalArgs: a single string is used as is, anything else is printed
 * with fmt.Sprint. */
static int eval_args(struct tmpl_exec *x, json_t *const *argv, size_t argc, struct buf *b)
{
    if (argc == 1 && json_is_string(argv[0]))
        return buf_append(b, json_string_value(argv[0]), json_string_length(argv[0]));
    (void)x;
    return tmpl_fmt_sprint(x, b, argv, argc, false);
}

static int fn_html(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    _cleanup_buf_ struct buf in = BUF_INIT(tmpl_work_left(x));
    struct buf out = BUF_INIT(tmpl_work_left(x));
    int r = eval_args(x, argv, argc, &in);

    for (size_t i = 0; r >= 0 && i < in.len; i++) {
        const char *e = NULL;
        switch (in.data[i]) {
        case '"':
            e = "&#34;";
            break;
        case '\'':
            e = "&#39;";
            break;
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '\0':
            e = "\xef\xbf\xbd";
            break;
        default:
            break;
        }
        r = e ? buf_append_str(&out, e) : buf_append(&out, in.data + i, 1);
    }
    if (r < 0) {
        buf_free(&out);
        return r;
    }
    return tmpl_take_string(x, &out, ret);
}

static int fn_js(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    static const char hex[] = "0123456789ABCDEF";
    _cleanup_buf_ struct buf in = BUF_INIT(tmpl_work_left(x));
    struct buf out = BUF_INIT(tmpl_work_left(x));
    int r = eval_args(x, argv, argc, &in);

    for (size_t i = 0; r >= 0 && i < in.len;) {
        unsigned char c = (unsigned char)in.data[i];
        char esc[12];
        if (c >= 0x80) {
            /* Go keeps printable runes and invalid bytes (U+FFFD is
             * printable) and escapes the rest as \uXXXX */
            uint32_t rune;
            size_t w = tmpl_utf8_decode(in.data + i, in.len - i, &rune);
            if (tmpl_rune_is_print(rune) || (rune == 0xfffd && w == 1))
                r = buf_append(&out, in.data + i, w);
            else {
                (void)snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)rune);
                r = buf_append_str(&out, esc);
            }
            i += w;
            continue;
        }
        switch (c) {
        case '\\':
            r = buf_append_str(&out, "\\\\");
            break;
        case '\'':
            r = buf_append_str(&out, "\\'");
            break;
        case '"':
            r = buf_append_str(&out, "\\\"");
            break;
        case '<':
            r = buf_append_str(&out, "\\u003C");
            break;
        case '>':
            r = buf_append_str(&out, "\\u003E");
            break;
        case '&':
            r = buf_append_str(&out, "\\u0026");
            break;
        case '=':
            r = buf_append_str(&out, "\\u003D");
            break;
        default:
            if (c < ' ') {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                r = buf_append(&out, esc, 6);
            } else
                r = buf_append(&out, in.data + i, 1);
            break;
        }
        i++;
    }
    if (r < 0) {
        buf_free(&out);
        return r;
    }
    return tmpl_take_string(x, &out, ret);
}

static int fn_urlquery(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    static const char hex[] = "0123456789ABCDEF";
    _cleanup_buf_ struct buf in = BUF_INIT(tmpl_work_left(x));
    struct buf out = BUF_INIT(tmpl_work_left(x));
    int r = eval_args(x, argv, argc, &in);

    for (size_t i = 0; r >= 0 && i < in.len; i++) {
        unsigned char c = (unsigned char)in.data[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            r = buf_append(&out, in.data + i, 1);
        else if (c == ' ')
            r = buf_append(&out, "+", 1);
        else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            r = buf_append(&out, e, 3);
        }
    }
    if (r < 0) {
        buf_free(&out);
        return r;
    }
    return tmpl_take_string(x, &out, ret);
}

#define A TMPL_ARG_ANY
#define S TMPL_ARG_STRING

/* Sorted by name (checked by the unit tests). */
const struct tmpl_func tmpl_funcs_builtin[] = {
        {"and", fn_unreachable, 1, true, {A}, A, TMPL_FUNC_LAZY},
        {"eq", fn_eq, 1, true, {A}, A, 0},
        {"ge", fn_ge, 2, false, {A, A}, A, 0},
        {"gt", fn_gt, 2, false, {A, A}, A, 0},
        {"html", fn_html, 0, true, {0}, A, 0},
        {"index", fn_index, 1, true, {A}, A, 0},
        {"js", fn_js, 0, true, {0}, A, 0},
        {"le", fn_le, 2, false, {A, A}, A, 0},
        {"len", fn_len, 1, false, {A}, A, 0},
        {"lt", fn_lt, 2, false, {A, A}, A, 0},
        {"ne", fn_ne, 2, false, {A, A}, A, 0},
        {"not", fn_not, 1, false, {A}, A, 0},
        {"or", fn_unreachable, 1, true, {A}, A, TMPL_FUNC_LAZY},
        {"print", fn_print, 0, true, {0}, A, 0},
        {"printf", fn_printf, 1, true, {S}, A, 0},
        {"println", fn_println, 0, true, {0}, A, 0},
        {"slice", fn_slice, 1, true, {A}, A, 0},
        {"urlquery", fn_urlquery, 0, true, {0}, A, 0},
};
const size_t tmpl_funcs_builtin_n = ARRAY_SIZE(tmpl_funcs_builtin);
