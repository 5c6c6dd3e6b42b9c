/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sprig's string functions, with Sprig's argument order (the subject comes
 * last so that pipelines read "x | trimSuffix \"/\""). Case mapping (lower,
 * upper, title) is ASCII-only: other characters pass through unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

#define STR(v) json_string_value(v)
#define LEN(v) json_string_length(v)

static bool has_prefix(const json_t *s, const json_t *p)
{
    return LEN(p) <= LEN(s) && memcmp(STR(s), STR(p), LEN(p)) == 0;
}

static bool has_suffix(const json_t *s, const json_t *p)
{
    return LEN(p) <= LEN(s) && memcmp(STR(s) + LEN(s) - LEN(p), STR(p), LEN(p)) == 0;
}

static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0)
        return h;
    if (nn > hn)
        return NULL;
    return memmem(h, hn, n, nn);
}

static int fn_contains(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(find(STR(argv[1]), LEN(argv[1]), STR(argv[0]), LEN(argv[0])) != NULL, ret);
}

static int fn_has_prefix(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(has_prefix(argv[1], argv[0]), ret);
}

static int fn_has_suffix(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)x;
    (void)argc;
    return tmpl_new_bool(has_suffix(argv[1], argv[0]), ret);
}

static int fn_trim_prefix(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    if (!has_prefix(argv[1], argv[0]))
        return *ret = json_incref(argv[1]), 0;
    return tmpl_new_string(x, STR(argv[1]) + LEN(argv[0]), LEN(argv[1]) - LEN(argv[0]), ret);
}

static int fn_trim_suffix(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    if (!has_suffix(argv[1], argv[0]))
        return *ret = json_incref(argv[1]), 0;
    return tmpl_new_string(x, STR(argv[1]), LEN(argv[1]) - LEN(argv[0]), ret);
}

/* Rune-wise trimming: strings.TrimSpace (cutset NULL) or strings.Trim. */
static bool rune_in(uint32_t r, const json_t *cutset)
{
    if (!cutset)
        return tmpl_rune_is_space(r);
    for (size_t i = 0; i < LEN(cutset);) {
        uint32_t c;
        i += tmpl_utf8_decode(STR(cutset) + i, LEN(cutset) - i, &c);
        if (c == r)
            return true;
    }
    return false;
}

static int trim_runes(struct tmpl_exec *x, const json_t *s, const json_t *cutset, json_t **ret)
{
    const char *p = STR(s);
    size_t start = 0, end = LEN(s);

    while (start < end) {
        uint32_t r;
        size_t w = tmpl_utf8_decode(p + start, end - start, &r);
        if (!rune_in(r, cutset))
            break;
        start += w;
    }
    while (end > start) {
        /* step back over one UTF-8 sequence */
        size_t b = end - 1;
        while (b > start && ((unsigned char)p[b] & 0xc0) == 0x80 && end - b < 4)
            b--;
        uint32_t r;
        size_t w = tmpl_utf8_decode(p + b, end - b, &r);
        if (w != end - b) {
            b = end - 1;
            (void)tmpl_utf8_decode(p + b, 1, &r);
        }
        if (!rune_in(r, cutset))
            break;
        end = b;
    }
    return tmpl_new_string(x, p + start, end - start, ret);
}

static int fn_trim(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return trim_runes(x, argv[0], NULL, ret);
}

static int fn_trim_all(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return trim_runes(x, argv[1], argv[0], ret);
}

static int map_case(struct tmpl_exec *x, const json_t *s, int mode, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = buf_append(&b, STR(s), LEN(s));
    bool prev_sep = true;

    if (r < 0)
        return r;
    for (size_t i = 0; i < b.len; i++) {
        unsigned char c = (unsigned char)b.data[i];
        if (mode == 'l' && c >= 'A' && c <= 'Z')
            b.data[i] = (char)(c + 32);
        else if (mode == 'u' && c >= 'a' && c <= 'z')
            b.data[i] = (char)(c - 32);
        else if (mode == 't') {
            if (prev_sep && c >= 'a' && c <= 'z')
                b.data[i] = (char)(c - 32);
            /* strings.Title: letters, digits, '_' and non-ASCII continue a
             * word; everything else separates words */
            prev_sep = !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c >= 0x80);
        }
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_lower(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return map_case(x, argv[0], 'l', ret);
}

static int fn_upper(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return map_case(x, argv[0], 'u', ret);
}

static int fn_title(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return map_case(x, argv[0], 't', ret);
}

static int fn_untitle(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = buf_append(&b, STR(argv[0]), LEN(argv[0]));
    (void)argc;
    if (r < 0)
        return r;
    if (b.len > 0 && b.data[0] >= 'A' && b.data[0] <= 'Z')
        b.data[0] = (char)(b.data[0] + 32);
    return tmpl_take_string(x, &b, ret);
}

/* strings.Replace(src, old, new, -1); an empty old inserts new before
 * every rune and at the end. */
static int replace_all(struct tmpl_exec *x,
                       const json_t *src,
                       const char *old,
                       size_t old_len,
                       const char *new,
                       size_t new_len,
                       json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    const char *s = STR(src);
    size_t n = LEN(src), i = 0;
    int r = 0;

    if (old_len == 0) {
        while (r >= 0 && i <= n) {
            r = buf_append(&b, new, new_len);
            if (r >= 0 && i < n) {
                uint32_t rune;
                size_t w = tmpl_utf8_decode(s + i, n - i, &rune);
                r = buf_append(&b, s + i, w);
                i += w;
            } else
                i++;
        }
    } else {
        while (r >= 0 && i < n) {
            const char *hit = find(s + i, n - i, old, old_len);
            size_t upto = hit ? (size_t)(hit - s) : n;
            r = buf_append(&b, s + i, upto - i);
            if (r >= 0 && hit)
                r = buf_append(&b, new, new_len);
            i = hit ? upto + old_len : n;
        }
    }
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_replace(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return replace_all(x, argv[2], STR(argv[0]), LEN(argv[0]), STR(argv[1]), LEN(argv[1]), ret);
}

static int fn_nospace(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    const char *s = STR(argv[0]);
    size_t n = LEN(argv[0]);
    int r = buf_append(&b, "", 0);
    (void)argc;

    for (size_t i = 0; r >= 0 && i < n;) {
        uint32_t rune;
        size_t w = tmpl_utf8_decode(s + i, n - i, &rune);
        if (!tmpl_rune_is_space(rune))
            r = buf_append(&b, s + i, w);
        i += w;
    }
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_repeat(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_int_t count = json_integer_value(argv[0]);
    size_t n = LEN(argv[1]);
    struct buf b;
    int r;
    (void)argc;

    if (count < 0)
        return tmpl_fail(x, "strings: negative Repeat count");
    if (n > 0 && (uint64_t)count > tmpl_work_left(x) / n)
        return -E2BIG;
    b = BUF_INIT(tmpl_work_left(x));
    r = buf_append(&b, "", 0);
    for (json_int_t i = 0; r >= 0 && i < count && n > 0; i++)
        r = buf_append(&b, STR(argv[1]), n);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_substr(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_int_t start = json_integer_value(argv[0]), end = json_integer_value(argv[1]);
    json_int_t n = (json_int_t)LEN(argv[2]);
    (void)argc;

    /* Sprig: start < 0 means s[:end]; end < 0 or past the end means s[start:] */
    if (start < 0) {
        if (end < 0 || end > n)
            return tmpl_fail(x,
                             "runtime error: slice bounds out of range [:%" JSON_INTEGER_FORMAT
                             "] with length %" JSON_INTEGER_FORMAT,
                             end, n);
        return tmpl_new_string(x, STR(argv[2]), (size_t)end, ret);
    }
    if (end < 0 || end > n) {
        if (start > n)
            return tmpl_fail(x,
                             "runtime error: slice bounds out of range [%" JSON_INTEGER_FORMAT
                             ":%" JSON_INTEGER_FORMAT "]",
                             start, n);
        return tmpl_new_string(x, STR(argv[2]) + start, (size_t)(n - start), ret);
    }
    if (start > end)
        return tmpl_fail(x,
                         "runtime error: slice bounds out of range [%" JSON_INTEGER_FORMAT
                         ":%" JSON_INTEGER_FORMAT "]",
                         start, end);
    return tmpl_new_string(x, STR(argv[2]) + start, (size_t)(end - start), ret);
}

static int fn_trunc(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_int_t c = json_integer_value(argv[0]);
    json_int_t n = (json_int_t)LEN(argv[1]);
    (void)argc;

    if (c < 0 && n + c > 0)
        return tmpl_new_string(x, STR(argv[1]) + n + c, (size_t)-c, ret);
    if (c >= 0 && n > c)
        return tmpl_new_string(x, STR(argv[1]), (size_t)c, ret);
    *ret = json_incref(argv[1]);
    return 0;
}

static int
indent_into(struct tmpl_exec *x, json_int_t spaces, const json_t *s, bool newline, json_t **ret)
{
    struct buf b;
    int r;

    if (spaces < 0)
        return tmpl_fail(x, "strings: negative Repeat count");
    if ((uint64_t)spaces > tmpl_work_left(x))
        return -E2BIG;
    json_t *pad = NULL;
    struct buf pb = BUF_INIT((size_t)spaces + 2);
    r = buf_append(&pb, "\n", 1);
    for (json_int_t i = 0; r >= 0 && i < spaces; i++)
        r = buf_append(&pb, " ", 1);
    if (r < 0) {
        buf_free(&pb);
        return r;
    }
    /* pad + replace(s, "\n", "\n"+pad) */
    r = replace_all(x, s, "\n", 1, pb.data, pb.len, &pad);
    if (r < 0) {
        buf_free(&pb);
        return r;
    }
    b = BUF_INIT(tmpl_work_left(x));
    r = newline ? buf_append(&b, "\n", 1) : 0;
    if (r >= 0)
        r = buf_append(&b, pb.data + 1, pb.len - 1);
    if (r >= 0)
        r = buf_append(&b, STR(pad), LEN(pad));
    buf_free(&pb);
    json_decref(pad);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_indent(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return indent_into(x, json_integer_value(argv[0]), argv[1], false, ret);
}

static int fn_nindent(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return indent_into(x, json_integer_value(argv[0]), argv[1], true, ret);
}

/* Sprig's strval: strings as they are, anything else with %v. */
static int strval(struct tmpl_exec *x, struct buf *b, const json_t *v)
{
    if (json_is_string(v))
        return buf_append(b, STR(v), LEN(v));
    return tmpl_fmt_value(x, b, v);
}

static int fn_quote(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    bool first = true;
    int r = buf_append(&b, "", 0);

    for (size_t i = 0; r >= 0 && i < argc; i++) {
        if (json_is_null(argv[i]))
            continue;
        _cleanup_buf_ struct buf s = BUF_INIT(tmpl_work_left(x));
        if (!first)
            r = buf_append(&b, " ", 1);
        if (r >= 0)
            r = strval(x, &s, argv[i]);
        if (r >= 0)
            r = tmpl_fmt_quote(&b, buf_str(&s), s.len, false);
        first = false;
    }
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int join_values(struct tmpl_exec *x,
                       json_t *const *argv,
                       size_t argc,
                       const char *pre,
                       const char *post,
                       json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    bool first = true;
    int r = buf_append(&b, "", 0);

    for (size_t i = 0; r >= 0 && i < argc; i++) {
        if (json_is_null(argv[i]))
            continue;
        if (!first)
            r = buf_append(&b, " ", 1);
        if (r >= 0)
            r = buf_append_str(&b, pre);
        if (r >= 0)
            r = tmpl_fmt_value(x, &b, argv[i]);
        if (r >= 0)
            r = buf_append_str(&b, post);
        first = false;
    }
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_squote(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    return join_values(x, argv, argc, "'", "'", ret);
}

static int fn_cat(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    return join_values(x, argv, argc, "", "", ret);
}

static int fn_to_string(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = strval(x, &b, argv[0]);
    (void)argc;
    if (r >= 0)
        r = buf_append(&b, "", 0);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

/* Sprig's strslice: a list becomes its non-nil members as strings; nil an
 * empty list; anything else a one-element list. */
static int fn_join(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    const json_t *v = argv[1];
    bool first = true;
    int r = buf_append(&b, "", 0);
    (void)argc;

    if (json_is_array(v)) {
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (json_is_null(e))
                continue;
            if (!first)
                r = buf_append(&b, STR(argv[0]), LEN(argv[0]));
            if (r >= 0)
                r = strval(x, &b, e);
            first = false;
        }
    } else if (!json_is_null(v))
        r = strval(x, &b, v);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int
add_part(struct tmpl_exec *x, json_t *out, bool as_map, size_t k, const char *s, size_t n)
{
    json_t *part;
    int r = tmpl_new_string(x, s, n, &part);
    if (r < 0)
        return r;
    if (as_map) {
        char key[32];
        (void)snprintf(key, sizeof(key), "_%zu", k);
        r = json_object_set_new_nocheck(out, key, part);
    } else
        r = json_array_append_new(out, part);
    return r < 0 ? -ENOMEM : 0;
}

/* strings.SplitN(orig, sep, limit); limit < 0 splits at every separator,
 * an empty separator splits into UTF-8 sequences. */
static int split_parts(struct tmpl_exec *x,
                       const json_t *sep,
                       const json_t *orig,
                       int64_t limit,
                       json_t *out,
                       bool as_map)
{
    const char *s = STR(orig), *p = STR(sep);
    size_t n = LEN(orig), pn = LEN(sep), i = 0, k = 0;
    int r;

    if (limit == 0)
        return 0;
    if (pn == 0) {
        while (i < n) {
            uint32_t rune;
            size_t w = tmpl_utf8_decode(s + i, n - i, &rune);
            if (limit > 0 && (int64_t)k == limit - 1)
                w = n - i;
            r = add_part(x, out, as_map, k++, s + i, w);
            if (r < 0)
                return r;
            i += w;
        }
        return 0;
    }
    while (limit < 0 || (int64_t)k < limit - 1) {
        const char *hit = find(s + i, n - i, p, pn);
        if (!hit)
            break;
        r = add_part(x, out, as_map, k++, s + i, (size_t)(hit - s) - i);
        if (r < 0)
            return r;
        i = (size_t)(hit - s) + pn;
    }
    return add_part(x, out, as_map, k, s + i, n - i);
}

static int split_common(struct tmpl_exec *x,
                        const json_t *sep,
                        const json_t *orig,
                        int64_t limit,
                        bool as_map,
                        json_t **ret)
{
    json_t *out = as_map ? json_object() : json_array();
    int r;

    if (!out)
        return -ENOMEM;
    r = split_parts(x, sep, orig, limit, out, as_map);
    if (r < 0) {
        json_decref(out);
        return r;
    }
    *ret = out;
    return 0;
}

static int fn_split(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return split_common(x, argv[0], argv[1], -1, true, ret);
}

static int fn_split_list(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return split_common(x, argv[0], argv[1], -1, false, ret);
}

static int fn_splitn(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return split_common(x, argv[0], argv[2], json_integer_value(argv[1]), true, ret);
}

#define A TMPL_ARG_ANY
#define S TMPL_ARG_STRING
#define I TMPL_ARG_INT

/* Sorted by name (checked by the unit tests). */
const struct tmpl_func tmpl_funcs_string[] = {
        {"cat", fn_cat, 0, true, {0}, A, 0},
        {"contains", fn_contains, 2, false, {S, S}, A, 0},
        {"hasPrefix", fn_has_prefix, 2, false, {S, S}, A, 0},
        {"hasSuffix", fn_has_suffix, 2, false, {S, S}, A, 0},
        {"indent", fn_indent, 2, false, {I, S}, A, 0},
        {"join", fn_join, 2, false, {S, A}, A, 0},
        {"lower", fn_lower, 1, false, {S}, A, 0},
        {"nindent", fn_nindent, 2, false, {I, S}, A, 0},
        {"nospace", fn_nospace, 1, false, {S}, A, 0},
        {"quote", fn_quote, 0, true, {0}, A, 0},
        {"repeat", fn_repeat, 2, false, {I, S}, A, 0},
        {"replace", fn_replace, 3, false, {S, S, S}, A, 0},
        {"split", fn_split, 2, false, {S, S}, A, 0},
        {"splitList", fn_split_list, 2, false, {S, S}, A, 0},
        {"splitn", fn_splitn, 3, false, {S, I, S}, A, 0},
        {"squote", fn_squote, 0, true, {0}, A, 0},
        {"substr", fn_substr, 3, false, {I, I, S}, A, 0},
        {"title", fn_title, 1, false, {S}, A, 0},
        {"toString", fn_to_string, 1, false, {A}, A, 0},
        {"trim", fn_trim, 1, false, {S}, A, 0},
        {"trimAll", fn_trim_all, 2, false, {S, S}, A, 0},
        {"trimPrefix", fn_trim_prefix, 2, false, {S, S}, A, 0},
        {"trimSuffix", fn_trim_suffix, 2, false, {S, S}, A, 0},
        {"trimall", fn_trim_all, 2, false, {S, S}, A, 0},
        {"trunc", fn_trunc, 2, false, {I, S}, A, 0},
        {"untitle", fn_untitle, 1, false, {S}, A, 0},
        {"upper", fn_upper, 1, false, {S}, A, 0},
};
const size_t tmpl_funcs_string_n = ARRAY_SIZE(tmpl_funcs_string);
