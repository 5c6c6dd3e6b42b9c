/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sprig's defaults, lists, dicts, conversions and integer math, plus
 * Helm's required and Sprig's fail. Lists and maps are JSON arrays and
 * objects; new containers share their members (as Go slices and maps of
 * interface{} do), except that set copies the value it stores so that no
 * map can ever contain itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

/* ---------------------------------------------------------------- helpers */

static int new_list(struct tmpl_exec *x, size_t hint, json_t **ret)
{
    int r = tmpl_charge(x, 16 * (hint + 1));
    if (r < 0)
        return r;
    *ret = json_array();
    return *ret ? 0 : -ENOMEM;
}

static int list_add(json_t *list, json_t *v)
{
    return json_array_append(list, v) < 0 ? -ENOMEM : 0;
}

/* reflect's Kind name, for Sprig's "Cannot ... on type X" errors. */
static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map";
    case JSON_ARRAY:
        return "slice";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float64";
    default:
        return "bool";
    }
}

/* Sprig's list functions take interface{} and insist on a list. */
static int need_list(struct tmpl_exec *x, const json_t *v, const char *what)
{
    if (json_is_array(v))
        return 0;
    if (json_is_null(v))
        return tmpl_fail(x, "runtime error: invalid memory address or nil pointer dereference");
    return tmpl_fail(x, "Cannot %s on type %s", what, kind_name(v));
}

static int strval(struct tmpl_exec *x, struct buf *b, const json_t *v)
{
    if (json_is_string(v))
        return buf_append(b, json_string_value(v), json_string_length(v));
    return tmpl_fmt_value(x, b, v);
}

/* --------------------------------------------------------------- defaults */

static int fn_default(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    *ret = json_incref(argc < 2 || !tmpl_truth(argv[1]) ? argv[0] : argv[1]);
    return 0;
}

static int fn_empty(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(!tmpl_truth(argv[0]), ret);
}

static int fn_coalesce(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    for (size_t i = 0; i < argc; i++)
        if (tmpl_truth(argv[i])) {
            *ret = json_incref(argv[i]);
            return 0;
        }
    *ret = json_null();
    return 0;
}

static int fn_all(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    for (size_t i = 0; i < argc; i++)
        if (!tmpl_truth(argv[i]))
            return tmpl_new_bool(false, ret);
    return tmpl_new_bool(true, ret);
}

static int fn_any(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    for (size_t i = 0; i < argc; i++)
        if (tmpl_truth(argv[i]))
            return tmpl_new_bool(true, ret);
    return tmpl_new_bool(false, ret);
}

static int fn_ternary(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    *ret = json_incref(json_is_true(argv[2]) ? argv[0] : argv[1]);
    return 0;
}

static int fn_required(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    if (json_is_null(argv[1]) || (json_is_string(argv[1]) && json_string_length(argv[1]) == 0))
        return tmpl_fail(x, "%.*s", (int)MIN(json_string_length(argv[0]), (size_t)200),
                         json_string_value(argv[0]));
    *ret = json_incref(argv[1]);
    return 0;
}

static int fn_fail(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    (void)ret;
    return tmpl_fail(x, "%.*s", (int)MIN(json_string_length(argv[0]), (size_t)200),
                     json_string_value(argv[0]));
}

/* ------------------------------------------------------------------ lists */

static int fn_list(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *l = NULL;
    int r = new_list(x, argc, &l);
    for (size_t i = 0; r >= 0 && i < argc; i++)
        r = list_add(l, argv[i]);
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_first(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int r = need_list(x, argv[0], "find first");
    (void)argc;
    if (r < 0)
        return r;
    *ret = json_array_size(argv[0]) ? json_incref(json_array_get(argv[0], 0)) : json_null();
    return 0;
}

static int fn_last(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    int r = need_list(x, argv[0], "find last");
    (void)argc;
    if (r < 0)
        return r;
    *ret = n ? json_incref(json_array_get(argv[0], n - 1)) : json_null();
    return 0;
}

/* A copy of list[from..to). */
static int sub_list(struct tmpl_exec *x, const json_t *list, size_t from, size_t to, json_t **ret)
{
    json_t *l = NULL;
    int r = new_list(x, to - from, &l);
    for (size_t i = from; r >= 0 && i < to; i++)
        r = list_add(l, json_array_get(list, i));
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_rest(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    int r = need_list(x, argv[0], "find rest");
    (void)argc;
    if (r < 0)
        return r;
    if (n == 0)
        return *ret = json_null(), 0;
    return sub_list(x, argv[0], 1, n, ret);
}

static int fn_initial(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    int r = need_list(x, argv[0], "find initial");
    (void)argc;
    if (r < 0)
        return r;
    if (n == 0)
        return *ret = json_null(), 0;
    return sub_list(x, argv[0], 0, n - 1, ret);
}

static int fn_append(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    int r = need_list(x, argv[0], "push");
    (void)argc;
    if (r < 0)
        return r;
    r = sub_list(x, argv[0], 0, n, ret);
    if (r >= 0 && (r = list_add(*ret, argv[1])) < 0)
        json_decref(*ret);
    return r;
}

static int fn_prepend(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    int r = need_list(x, argv[0], "prepend");
    (void)argc;
    if (r < 0)
        return r;
    r = sub_list(x, argv[0], 0, n, ret);
    if (r >= 0 && json_array_insert(*ret, 0, argv[1]) < 0) {
        json_decref(*ret);
        r = -ENOMEM;
    }
    return r;
}

static int fn_reverse(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    json_t *l = NULL;
    int r = need_list(x, argv[0], "find reverse");
    (void)argc;
    if (r < 0)
        return r;
    r = new_list(x, n, &l);
    for (size_t i = n; r >= 0 && i > 0; i--)
        r = list_add(l, json_array_get(argv[0], i - 1));
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int in_list(struct tmpl_exec *x, const json_t *list, size_t n, const json_t *v, bool *ret)
{
    *ret = false;
    for (size_t i = 0; i < n; i++) {
        int r = tmpl_deep_equal(x, json_array_get(list, i), v, ret);
        if (r < 0 || *ret)
            return r;
    }
    return 0;
}

static int fn_uniq(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    json_t *l = NULL;
    int r = need_list(x, argv[0], "find uniq");
    (void)argc;
    if (r < 0)
        return r;
    r = new_list(x, n, &l);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        bool seen;
        const json_t *e = json_array_get(argv[0], i);
        r = in_list(x, l, json_array_size(l), e, &seen);
        if (r >= 0 && !seen)
            r = list_add(l, (json_t *)e);
    }
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_has(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    bool found;
    int r = need_list(x, argv[1], "find has");
    (void)argc;
    if (r < 0)
        return r;
    r = in_list(x, argv[1], json_array_size(argv[1]), argv[0], &found);
    return r < 0 ? r : tmpl_new_bool(found, ret);
}

static int fn_without(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    json_t *l = NULL, *omit = NULL;
    int r = need_list(x, argv[0], "find without");
    if (r < 0)
        return r;
    r = fn_list(x, argv + 1, argc - 1, &omit);
    if (r < 0)
        return r;
    r = new_list(x, n, &l);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        bool drop;
        const json_t *e = json_array_get(argv[0], i);
        r = in_list(x, omit, json_array_size(omit), e, &drop);
        if (r >= 0 && !drop)
            r = list_add(l, (json_t *)e);
    }
    json_decref(omit);
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_compact(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    size_t n = json_array_size(argv[0]);
    json_t *l = NULL;
    int r = need_list(x, argv[0], "compact");
    (void)argc;
    if (r < 0)
        return r;
    r = new_list(x, n, &l);
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (tmpl_truth(json_array_get(argv[0], i)))
            r = list_add(l, json_array_get(argv[0], i));
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_concat(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *l = NULL;
    int r = new_list(x, 0, &l);
    for (size_t i = 0; r >= 0 && i < argc; i++) {
        if (!json_is_array(argv[i])) {
            r = tmpl_fail(x, "Cannot concat type %s as list",
                          json_is_null(argv[i]) ? "<nil>" : kind_name(argv[i]));
            break;
        }
        r = tmpl_charge(x, 16 * json_array_size(argv[i]));
        for (size_t k = 0; r >= 0 && k < json_array_size(argv[i]); k++)
            r = list_add(l, json_array_get(argv[i], k));
    }
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    size_t lx = json_string_length(x), ly = json_string_length(y);
    int c = memcmp(json_string_value(x), json_string_value(y), MIN(lx, ly));
    return c ? c : lx < ly ? -1 : lx > ly;
}

static int fn_sort_alpha(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const json_t *v = argv[0];
    json_t *l = NULL;
    int r;
    (void)argc;

    r = new_list(x, json_is_array(v) ? json_array_size(v) : 1, &l);
    if (r < 0)
        return r;
    for (size_t i = 0; r >= 0 && i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        struct buf b = BUF_INIT(tmpl_work_left(x));
        json_t *s;
        if (json_is_array(v) && json_is_null(e))
            continue;
        r = strval(x, &b, e);
        if (r >= 0)
            r = tmpl_take_string(x, &b, &s);
        else
            buf_free(&b);
        if (r >= 0 && json_array_append_new(l, s) < 0)
            r = -ENOMEM;
    }
    if (r < 0) {
        json_decref(l);
        return r;
    }
    /* jansson has no sort: sort the element pointers and rebuild */
    size_t n = json_array_size(l);
    json_t **items = malloc((n ? n : 1) * sizeof(*items));
    json_t *sorted = json_array();
    if (!items || !sorted) {
        free(items);
        json_decref(sorted);
        json_decref(l);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(l, i);
    qsort(items, n, sizeof(*items), str_cmp);
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = list_add(sorted, items[i]);
    free(items);
    json_decref(l);
    if (r < 0) {
        json_decref(sorted);
        return r;
    }
    *ret = sorted;
    return 0;
}

/* ------------------------------------------------------------------ dicts */

static int fn_dict(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *d;
    int r = tmpl_charge(x, 16 * (argc + 1));
    if (r < 0)
        return r;
    d = json_object();
    if (!d)
        return -ENOMEM;
    for (size_t i = 0; r >= 0 && i < argc; i += 2) {
        struct buf k = BUF_INIT(tmpl_work_left(x));
        r = strval(x, &k, argv[i]);
        if (r >= 0)
            r = tmpl_charge(x, k.len);
        if (r >= 0) {
            json_t *v = i + 1 < argc ? json_incref(argv[i + 1]) : json_string("");
            if (json_object_setn_new_nocheck(d, buf_str(&k), k.len, v) < 0)
                r = -ENOMEM;
        }
        buf_free(&k);
    }
    if (r < 0) {
        json_decref(d);
        return r;
    }
    *ret = d;
    return 0;
}

#define KEY(v) json_string_value(v), json_string_length(v)

static int fn_get(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *v = json_is_object(argv[0]) ? json_object_getn(argv[0], KEY(argv[1])) : NULL;
    (void)argc;
    if (v) {
        *ret = json_incref(v);
        return 0;
    }
    return tmpl_new_string(x, "", 0, ret);
}

static int fn_set(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *copy;
    int r;
    (void)argc;

    if (!json_is_object(argv[0]))
        return tmpl_fail(x, "assignment to entry in nil map");
    /* A copy, so that the map can never end up inside itself. */
    r = tmpl_deep_copy(x, argv[2], &copy);
    if (r < 0)
        return r;
    r = tmpl_charge(x, 16 + json_string_length(argv[1]));
    if (r < 0 || json_object_setn_new_nocheck(argv[0], KEY(argv[1]), copy) < 0) {
        if (r >= 0) {
            r = -ENOMEM;
            copy = NULL; /* consumed by jansson even on failure */
        }
        json_decref(copy);
        return r;
    }
    *ret = json_incref(argv[0]);
    return 0;
}

static int fn_unset(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    if (json_is_object(argv[0]))
        (void)json_object_deln(argv[0], KEY(argv[1]));
    *ret = json_incref(argv[0]);
    return 0;
}

static int fn_has_key(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(json_is_object(argv[0]) && json_object_getn(argv[0], KEY(argv[1])), ret);
}

static int fn_keys(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *l = NULL;
    int r = new_list(x, 0, &l);

    for (size_t i = 0; r >= 0 && i < argc; i++) {
        _cleanup_free_ struct tmpl_member *m = NULL;
        size_t n = 0;
        if (json_is_object(argv[i]))
            r = tmpl_sorted_members(x, argv[i], &m, &n);
        for (size_t k = 0; r >= 0 && k < n; k++) {
            json_t *s;
            r = tmpl_new_string(x, m[k].key, m[k].key_len, &s);
            if (r >= 0 && json_array_append_new(l, s) < 0)
                r = -ENOMEM;
        }
    }
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_values(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    _cleanup_free_ struct tmpl_member *m = NULL;
    size_t n = 0;
    json_t *l = NULL;
    int r = 0;
    (void)argc;

    if (json_is_object(argv[0]))
        r = tmpl_sorted_members(x, argv[0], &m, &n);
    if (r >= 0)
        r = new_list(x, n, &l);
    if (r < 0)
        return r;
    for (size_t k = 0; r >= 0 && k < n; k++)
        r = list_add(l, m[k].value);
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int
pick_or_omit(struct tmpl_exec *x, json_t *const *argv, size_t argc, bool pick, json_t **ret)
{
    json_t *d;
    int r = tmpl_charge(x, 16 * (json_object_size(argv[0]) + 1));
    if (r < 0)
        return r;
    d = json_object();
    if (!d)
        return -ENOMEM;
    for (void *it = json_object_iter(argv[0]); r >= 0 && it;
         it = json_object_iter_next(argv[0], it)) {
        bool listed = false;
        for (size_t i = 1; i < argc && !listed; i++)
            listed = json_string_length(argv[i]) == json_object_iter_key_len(it) &&
                     memcmp(json_string_value(argv[i]), json_object_iter_key(it),
                            json_object_iter_key_len(it)) == 0;
        if (listed == pick &&
            json_object_setn_nocheck(d, json_object_iter_key(it), json_object_iter_key_len(it),
                                     json_object_iter_value(it)) < 0)
            r = -ENOMEM;
    }
    if (r < 0) {
        json_decref(d);
        return r;
    }
    *ret = d;
    return 0;
}

static int fn_pick(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    return pick_or_omit(x, argv, argc, true, ret);
}

static int fn_omit(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    return pick_or_omit(x, argv, argc, false, ret);
}

/* ------------------------------------------------------------ conversions */

static int fn_atoi(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const char *s = json_string_value(argv[0]);
    size_t n = json_string_length(argv[0]);
    int64_t v = 0;
    (void)x;
    (void)argc;

    /* strconv.Atoi: decimal only; errors give 0 */
    bool ok = n > 0 && !memchr(s, '_', n);
    size_t digits_at = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    for (size_t i = digits_at; ok && i < n; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (ok && digits_at < n) {
        /* base 10 even with a leading 0 */
        char tmp[32];
        if (n < sizeof(tmp)) {
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            char *end;
            errno = 0;
            long long ll = strtoll(tmp, &end, 10);
            if (errno == 0 && *end == '\0')
                v = ll;
        }
    }
    return tmpl_new_int(v, ret);
}

static int fn_int(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_int(tmpl_to_int64(argv[0]), ret);
}

static int fn_float64(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    *ret = json_real(tmpl_to_float64(argv[0]));
    return *ret ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------- math */

static int64_t wrap_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int64_t wrap_mul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

static int fn_add(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t sum = 0;
    (void)x;
    for (size_t i = 0; i < argc; i++)
        sum = wrap_add(sum, tmpl_to_int64(argv[i]));
    return tmpl_new_int(sum, ret);
}

static int fn_add1(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_int(wrap_add(tmpl_to_int64(argv[0]), 1), ret);
}

static int fn_sub(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_int(
            (int64_t)((uint64_t)tmpl_to_int64(argv[0]) - (uint64_t)tmpl_to_int64(argv[1])), ret);
}

static int fn_mul(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t v = tmpl_to_int64(argv[0]);
    (void)x;
    for (size_t i = 1; i < argc; i++)
        v = wrap_mul(v, tmpl_to_int64(argv[i]));
    return tmpl_new_int(v, ret);
}

static int fn_div(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t a = tmpl_to_int64(argv[0]), b = tmpl_to_int64(argv[1]);
    (void)argc;
    if (b == 0)
        return tmpl_fail(x, "runtime error: integer divide by zero");
    if (a == INT64_MIN && b == -1)
        return tmpl_new_int(INT64_MIN, ret);
    return tmpl_new_int(a / b, ret);
}

static int fn_mod(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t a = tmpl_to_int64(argv[0]), b = tmpl_to_int64(argv[1]);
    (void)argc;
    if (b == 0)
        return tmpl_fail(x, "runtime error: integer divide by zero");
    if (b == -1)
        return tmpl_new_int(0, ret);
    return tmpl_new_int(a % b, ret);
}

static int min_max(json_t *const *argv, size_t argc, bool max, json_t **ret)
{
    int64_t v = tmpl_to_int64(argv[0]);
    for (size_t i = 1; i < argc; i++) {
        int64_t b = tmpl_to_int64(argv[i]);
        if (max ? b > v : b < v)
            v = b;
    }
    return tmpl_new_int(v, ret);
}

static int fn_max(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    return min_max(argv, argc, true, ret);
}

static int fn_min(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    return min_max(argv, argc, false, ret);
}

/* Sprig's untilStep as a count and a first value; the list is produced by
 * the caller so that the size is charged before anything is built. */
static uint64_t until_step_count(int64_t start, int64_t stop, int64_t step)
{
    if (stop < start) {
        if (step >= 0)
            return 0;
        uint64_t span = (uint64_t)start - (uint64_t)stop;
        uint64_t by = 0 - (uint64_t)step;
        return (span + by - 1) / by;
    }
    if (step <= 0)
        return 0;
    uint64_t span = (uint64_t)stop - (uint64_t)start;
    return span / (uint64_t)step + (span % (uint64_t)step != 0);
}

static int until_list(struct tmpl_exec *x, int64_t start, int64_t stop, int64_t step, json_t **ret)
{
    uint64_t n = until_step_count(start, stop, step);
    json_t *l = NULL;
    int r;

    if (n > tmpl_work_left(x) / 16)
        return -E2BIG;
    r = new_list(x, (size_t)n, &l);
    for (uint64_t i = 0; r >= 0 && i < n; i++) {
        json_t *v = json_integer(wrap_add(start, wrap_mul((int64_t)i, step)));
        if (!v || json_array_append_new(l, v) < 0)
            r = -ENOMEM;
    }
    if (r < 0) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

static int fn_until(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t count = json_integer_value(argv[0]);
    (void)argc;
    return until_list(x, 0, count, count < 0 ? -1 : 1, ret);
}

static int fn_until_step(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return until_list(x, json_integer_value(argv[0]), json_integer_value(argv[1]),
                      json_integer_value(argv[2]), ret);
}

static int fn_seq(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    int64_t start, end, step;
    json_t *l = NULL;
    struct buf b;
    int r;

    switch (argc) {
    case 1:
        start = 1;
        end = json_integer_value(argv[0]);
        step = end < start ? -1 : 1;
        break;
    case 2:
        start = json_integer_value(argv[0]);
        end = json_integer_value(argv[1]);
        step = end < start ? -1 : 1;
        break;
    case 3:
        start = json_integer_value(argv[0]);
        step = json_integer_value(argv[1]);
        end = json_integer_value(argv[2]);
        if (end < start && step > 0)
            return tmpl_new_string(x, "", 0, ret);
        r = until_list(x, start, wrap_add(end, end < start ? -1 : 1), step, &l);
        goto print;
    default:
        return tmpl_new_string(x, "", 0, ret);
    }
    r = until_list(x, start, wrap_add(end, step), step, &l);
print:
    if (r < 0)
        return r;
    b = BUF_INIT(tmpl_work_left(x));
    r = buf_append(&b, "", 0);
    for (size_t i = 0; r >= 0 && i < json_array_size(l); i++) {
        if (i > 0)
            r = buf_append(&b, " ", 1);
        if (r >= 0)
            r = tmpl_fmt_value(x, &b, json_array_get(l, i));
    }
    json_decref(l);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

#define A TMPL_ARG_ANY
#define S TMPL_ARG_STRING
#define I TMPL_ARG_INT
#define B TMPL_ARG_BOOL
#define M TMPL_ARG_MAP

/* Sorted by name (checked by the unit tests). */
const struct tmpl_func tmpl_funcs_data[] = {
        {"add", fn_add, 0, true, {0}, A, 0},
        {"add1", fn_add1, 1, false, {A}, A, 0},
        {"all", fn_all, 0, true, {0}, A, 0},
        {"any", fn_any, 0, true, {0}, A, 0},
        {"append", fn_append, 2, false, {A, A}, A, 0},
        {"atoi", fn_atoi, 1, false, {S}, A, 0},
        {"coalesce", fn_coalesce, 0, true, {0}, A, 0},
        {"compact", fn_compact, 1, false, {A}, A, 0},
        {"concat", fn_concat, 0, true, {0}, A, 0},
        {"default", fn_default, 1, true, {A}, A, 0},
        {"dict", fn_dict, 0, true, {0}, A, 0},
        {"div", fn_div, 2, false, {A, A}, A, 0},
        {"empty", fn_empty, 1, false, {A}, A, 0},
        {"fail", fn_fail, 1, false, {S}, A, 0},
        {"first", fn_first, 1, false, {A}, A, 0},
        {"float64", fn_float64, 1, false, {A}, A, 0},
        {"get", fn_get, 2, false, {M, S}, A, 0},
        {"has", fn_has, 2, false, {A, A}, A, 0},
        {"hasKey", fn_has_key, 2, false, {M, S}, A, 0},
        {"initial", fn_initial, 1, false, {A}, A, 0},
        {"int", fn_int, 1, false, {A}, A, 0},
        {"int64", fn_int, 1, false, {A}, A, 0},
        {"keys", fn_keys, 0, true, {0}, M, 0},
        {"last", fn_last, 1, false, {A}, A, 0},
        {"list", fn_list, 0, true, {0}, A, 0},
        {"max", fn_max, 1, true, {A}, A, 0},
        {"min", fn_min, 1, true, {A}, A, 0},
        {"mod", fn_mod, 2, false, {A, A}, A, 0},
        {"mul", fn_mul, 1, true, {A}, A, 0},
        {"omit", fn_omit, 1, true, {M}, S, 0},
        {"pick", fn_pick, 1, true, {M}, S, 0},
        {"prepend", fn_prepend, 2, false, {A, A}, A, 0},
        {"push", fn_append, 2, false, {A, A}, A, 0},
        {"required", fn_required, 2, false, {S, A}, A, 0},
        {"rest", fn_rest, 1, false, {A}, A, 0},
        {"reverse", fn_reverse, 1, false, {A}, A, 0},
        {"seq", fn_seq, 0, true, {0}, I, 0},
        {"set", fn_set, 3, false, {M, S, A}, A, TMPL_FUNC_MUTATES},
        {"sortAlpha", fn_sort_alpha, 1, false, {A}, A, 0},
        {"sub", fn_sub, 2, false, {A, A}, A, 0},
        {"ternary", fn_ternary, 3, false, {A, A, B}, A, 0},
        {"tuple", fn_list, 0, true, {0}, A, 0},
        {"uniq", fn_uniq, 1, false, {A}, A, 0},
        {"unset", fn_unset, 2, false, {M, S}, A, TMPL_FUNC_MUTATES},
        {"until", fn_until, 1, false, {I}, A, 0},
        {"untilStep", fn_until_step, 3, false, {I, I, I}, A, 0},
        {"values", fn_values, 1, false, {M}, A, 0},
        {"without", fn_without, 1, true, {A}, A, 0},
};
const size_t tmpl_funcs_data_n = ARRAY_SIZE(tmpl_funcs_data);
