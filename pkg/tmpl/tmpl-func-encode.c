/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encodings and Tinkerbell's helpers: toJson/toPrettyJson/toRawJson,
 * fromJson/mustFromJson (jansson), b64enc/b64dec, toYaml/fromYaml
 * (pkg/yamljson), regexMatch/mustRegexMatch (POSIX regex after translating
 * the RE2 shorthands templates use), formatPartition and
 * netmaskToPrefixLength.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"
#include "yamljson/yamljson.h"

#define STR(v) json_string_value(v)
#define LEN(v) json_string_length(v)

/* Largest pattern and subject regexMatch accepts, and the largest compiled
 * size estimate (RE2 refuses big programs too). */
#define REGEX_MAX_PATTERN 1024
#define REGEX_MAX_SUBJECT (64u * 1024)
#define REGEX_MAX_SIZE    1000
/* Most subject bytes times program size one match may cost (POSIX
 * matching is about linear in both); four times that is charged as work,
 * so that all the matches of one execution stay well under a second. */
#define REGEX_MAX_CELLS (4u * 1024 * 1024)

/* ------------------------------------------------------------------- json */

static int to_json(struct tmpl_exec *x, const json_t *v, bool pretty, bool html, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = tmpl_json_encode(x, &b, v, pretty, html);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int fn_to_json(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return to_json(x, argv[0], false, true, ret);
}

static int fn_to_pretty_json(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return to_json(x, argv[0], true, true, ret);
}

static int fn_to_raw_json(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return to_json(x, argv[0], false, false, ret);
}

static int from_json(struct tmpl_exec *x, const json_t *s, bool must, json_t **ret)
{
    json_error_t e;
    int r = tmpl_charge(x, 4 * LEN(s));
    if (r < 0)
        return r;
    json_t *v = json_loadb(STR(s), LEN(s), JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v) {
        if (must)
            return tmpl_fail(x, "%s", e.text);
        v = json_null();
    }
    *ret = v;
    return 0;
}

static int fn_from_json(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return from_json(x, argv[0], false, ret);
}

static int fn_must_from_json(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return from_json(x, argv[0], true, ret);
}

/* ----------------------------------------------------------------- base64 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int fn_b64enc(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const unsigned char *s = (const unsigned char *)STR(argv[0]);
    size_t n = LEN(argv[0]);
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r = buf_append(&b, "", 0);
    (void)argc;

    for (size_t i = 0; r >= 0 && i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        r = buf_append(&b, q, 4);
    }
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* base64.StdEncoding.DecodeString: padding required, CR and LF ignored.
 * Returns the offset of the first bad byte, or -1. */
static ssize_t b64_decode(const char *s, size_t n, struct buf *out, int *err)
{
    size_t si = 0;

    *err = 0;
    for (;;) {
        int vals[4] = {0, 0, 0, 0};
        size_t j = 0, dlen = 4;
        while (j < 4) {
            if (si == n) {
                if (j == 0)
                    return -1;
                return (ssize_t)(si - j);
            }
            char c = s[si++];
            if (c == '\r' || c == '\n')
                continue;
            int v = b64_value(c);
            if (v >= 0) {
                vals[j++] = v;
                continue;
            }
            if (c != '=' || j < 2)
                return (ssize_t)(si - 1);
            if (j == 2) {
                while (si < n && (s[si] == '\r' || s[si] == '\n'))
                    si++;
                if (si == n)
                    return (ssize_t)n;
                if (s[si] != '=')
                    return (ssize_t)(si - 1);
                si++;
            }
            while (si < n && (s[si] == '\r' || s[si] == '\n'))
                si++;
            if (si < n)
                return (ssize_t)si;
            dlen = j;
            break;
        }
        uint32_t v = (uint32_t)vals[0] << 18 | (uint32_t)vals[1] << 12 | (uint32_t)vals[2] << 6 |
                     (uint32_t)vals[3];
        char bytes[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
        *err = buf_append(out, bytes, dlen - 1);
        if (*err < 0)
            return -1;
        if (dlen < 4)
            return -1;
    }
}

static int fn_b64dec(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int err;
    (void)argc;

    ssize_t bad = b64_decode(STR(argv[0]), LEN(argv[0]), &b, &err);
    if (err < 0) {
        buf_free(&b);
        return err;
    }
    if (bad >= 0) {
        /* Sprig returns the error text instead of failing */
        char msg[64];
        buf_free(&b);
        (void)snprintf(msg, sizeof(msg), "illegal base64 data at input byte %zd", bad);
        return tmpl_new_string(x, msg, strlen(msg), ret);
    }
    return tmpl_take_string(x, &b, ret);
}

/* ------------------------------------------------------------------- yaml */

/* A copy with object members in key order (sigs.k8s.io/yaml goes through
 * encoding/json, which sorts keys). */
static int sorted_copy(struct tmpl_exec *x, const json_t *v, unsigned depth, json_t **ret)
{
    json_t *c;
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    r = tmpl_charge(x, 16 + (json_is_string(v) ? LEN(v) : 0));
    if (r < 0)
        return r;
    if (json_is_array(v)) {
        c = json_array();
        for (size_t i = 0; c && i < json_array_size(v); i++) {
            json_t *e;
            r = sorted_copy(x, json_array_get(v, i), depth + 1, &e);
            if (r >= 0 && json_array_append_new(c, e) < 0)
                r = -ENOMEM;
            if (r < 0) {
                json_decref(c);
                return r;
            }
        }
    } else if (json_is_object(v)) {
        _cleanup_free_ struct tmpl_member *m = NULL;
        size_t n;
        r = tmpl_sorted_members(x, v, &m, &n);
        if (r < 0)
            return r;
        c = json_object();
        for (size_t i = 0; c && i < n; i++) {
            json_t *e;
            r = sorted_copy(x, m[i].value, depth + 1, &e);
            if (r >= 0 && json_object_setn_new_nocheck(c, m[i].key, m[i].key_len, e) < 0)
                r = -ENOMEM;
            if (r < 0) {
                json_decref(c);
                return r;
            }
        }
    } else
        c = json_incref((json_t *)v);
    if (!c)
        return -ENOMEM;
    *ret = c;
    return 0;
}

static int fn_to_yaml(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    json_t *sorted;
    char *text = NULL;
    int r;
    (void)argc;

    r = sorted_copy(x, argv[0], 0, &sorted);
    if (r < 0)
        return r;
    r = yamljson_dump(sorted, &text);
    json_decref(sorted);
    if (r == -EINVAL)
        return tmpl_fail(x, "toYaml: string is not valid UTF-8");
    if (r < 0)
        return r;
    size_t n = strlen(text);
    if (n > 0 && text[n - 1] == '\n')
        n--;
    r = tmpl_new_string(x, text, n, ret);
    free(text);
    return r;
}

/* Charges 16 bytes per node plus string bytes of v. */
static int charge_value(struct tmpl_exec *x, const json_t *v, unsigned depth)
{
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    r = tmpl_charge(x, 16 + (json_is_string(v) ? LEN(v) : 0));
    if (json_is_array(v))
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++)
            r = charge_value(x, json_array_get(v, i), depth + 1);
    else if (json_is_object(v))
        for (void *it = json_object_iter((json_t *)v); r >= 0 && it;
             it = json_object_iter_next((json_t *)v, it))
            r = charge_value(x, json_object_iter_value(it), depth + 1);
    return r;
}

static int fn_from_yaml(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    struct yamljson_error e;
    json_t *docs;
    int r;
    (void)argc;

    if (LEN(argv[0]) == 0)
        return tmpl_fail(x, "fromYaml: empty YAML input");
    r = tmpl_charge(x, 4 * LEN(argv[0]));
    if (r < 0)
        return r;
    r = yamljson_parse_all(STR(argv[0]), LEN(argv[0]), &docs, &e);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return tmpl_fail(x, "fromYaml: yaml: line %d: %s", e.line, e.message);
    /* aliases may have expanded a short text: charge what was built */
    json_t *v = json_array_size(docs) ? json_incref(json_array_get(docs, 0)) : json_null();
    json_decref(docs);
    r = charge_value(x, v, 0);
    if (r < 0) {
        json_decref(v);
        return r;
    }
    *ret = v;
    return 0;
}

/* ------------------------------------------------------------------ regex */

struct regex_size {
    uint64_t total[64]; /* per open group */
    uint64_t last;      /* size of the previous atom, for a quantifier */
    unsigned depth;
};

static bool size_add(struct regex_size *s, uint64_t n)
{
    s->total[s->depth] += n;
    s->last = n;
    return s->total[s->depth] <= REGEX_MAX_SIZE;
}

/* A quantifier repeats the previous atom up to count times. */
static bool size_repeat(struct regex_size *s, uint64_t count)
{
    if (count > 1) {
        s->total[s->depth] += s->last * (count - 1);
        s->last *= count;
    }
    return s->total[s->depth] <= REGEX_MAX_SIZE;
}

static int append_class_escape(struct buf *b, char c, bool in_class)
{
    switch (c) {
    case 'd':
        return buf_append_str(b, in_class ? "0-9" : "[0-9]");
    case 'w':
        return buf_append_str(b, in_class ? "0-9A-Za-z_" : "[0-9A-Za-z_]");
    case 's':
        return buf_append_str(b, in_class ? "\t\n\f\r " : "[\t\n\f\r ]");
    case 'D':
        return in_class ? -EINVAL : buf_append_str(b, "[^0-9]");
    case 'W':
        return in_class ? -EINVAL : buf_append_str(b, "[^0-9A-Za-z_]");
    case 'S':
        return in_class ? -EINVAL : buf_append_str(b, "[^\t\n\f\r ]");
    default:
        return 1; /* not a class escape */
    }
}

/* A single escaped character as an ERE atom (or bracket member). */
static int append_escape(struct buf *b, char c, bool in_class)
{
    char lit;
    int r = append_class_escape(b, c, in_class);
    if (r <= 0)
        return r;
    switch (c) {
    case 'n':
        lit = '\n';
        break;
    case 't':
        lit = '\t';
        break;
    case 'r':
        lit = '\r';
        break;
    case 'f':
        lit = '\f';
        break;
    case 'v':
        lit = '\v';
        break;
    case 'a':
        lit = '\a';
        break;
    default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (unsigned char)c >= 0x80)
            return -EINVAL;
        lit = c;
        break;
    }
    if (in_class) {
        if (lit == ']' || lit == '^' || lit == '-' || lit == '[')
            return -EINVAL;
        return buf_append(b, &lit, 1);
    }
    if (strchr(".[]()*+?{}|^$\\", lit)) {
        char e[2] = {'\\', lit};
        return buf_append(b, e, 2);
    }
    return buf_append(b, &lit, 1);
}

static int translate_class(const char *p, size_t n, size_t *i, struct buf *b)
{
    int r = buf_append(b, "[", 1);
    size_t start;

    (*i)++;
    if (*i < n && p[*i] == '^') {
        r = buf_append(b, "^", 1);
        (*i)++;
    }
    start = *i;
    while (r >= 0 && *i < n) {
        char c = p[*i];
        if (c == ']' && *i > start) {
            (*i)++;
            return buf_append(b, "]", 1);
        }
        if (c == '[' && *i + 1 < n && p[*i + 1] == ':') {
            const char *end = memmem(p + *i, n - *i, ":]", 2);
            if (!end)
                return -EINVAL;
            size_t len = (size_t)(end - (p + *i)) + 2;
            r = buf_append(b, p + *i, len);
            *i += len;
            continue;
        }
        if (c == '\\') {
            if (*i + 1 >= n)
                return -EINVAL;
            r = append_escape(b, p[*i + 1], true);
            *i += 2;
            continue;
        }
        r = buf_append(b, &c, 1);
        (*i)++;
    }
    return r < 0 ? r : -EINVAL;
}

static int parse_repeat(const char *p, size_t n, size_t *i, uint64_t *ret_max)
{
    size_t k = *i + 1;
    uint64_t lo = 0, hi;
    bool digits = false;

    while (k < n && p[k] >= '0' && p[k] <= '9') {
        lo = lo * 10 + (uint64_t)(p[k++] - '0');
        digits = true;
        if (lo > 1000)
            return -EINVAL;
    }
    if (!digits)
        return 1; /* a literal '{' */
    hi = lo;
    if (k < n && p[k] == ',') {
        k++;
        hi = lo + 1;
        if (k < n && p[k] >= '0' && p[k] <= '9') {
            hi = 0;
            while (k < n && p[k] >= '0' && p[k] <= '9') {
                hi = hi * 10 + (uint64_t)(p[k++] - '0');
                if (hi > 1000)
                    return -EINVAL;
            }
            if (hi < lo)
                return -EINVAL;
        }
    }
    if (k >= n || p[k] != '}')
        return 1;
    *i = k + 1;
    *ret_max = hi ? hi : 1;
    return 0;
}

/* Translation state: pattern p[0..n) at i, output b, size estimate. */
struct xlate {
    const char *p;
    size_t n;
    size_t i;
    struct buf *b;
    struct regex_size size;
};

/* Leading (?flags): i (case), m (multi-line), s and U (no effect here:
 * POSIX '.' already matches newlines, greediness does not change whether a
 * match exists). */
static int leading_flags(struct xlate *t)
{
    int flags = REG_EXTENDED | REG_NOSUB;
    size_t k = 2;

    if (t->n < 3 || t->p[0] != '(' || t->p[1] != '?')
        return flags;
    while (k < t->n && t->p[k] && strchr("imsU", t->p[k]))
        k++;
    if (k == 2 || k >= t->n || t->p[k] != ')')
        return flags;
    for (size_t f = 2; f < k; f++) {
        if (t->p[f] == 'i')
            flags |= REG_ICASE;
        else if (t->p[f] == 'm')
            flags |= REG_NEWLINE;
    }
    t->i = k + 1;
    return flags;
}

static int xlate_escape(struct xlate *t)
{
    char c;
    int r;

    if (t->i + 1 >= t->n)
        return -EINVAL;
    c = t->p[t->i + 1];
    if (c == 'A' || c == 'z')
        r = buf_append(t->b, c == 'A' ? "^" : "$", 1);
    else if (c == 'b' || c == 'B')
        r = buf_append(t->b, t->p + t->i, 2); /* GNU word boundaries */
    else
        r = append_escape(t->b, c, false);
    t->i += 2;
    return r < 0 ? r : size_add(&t->size, 1) ? 0 : -E2BIG;
}

/* "(", "(?:" and named groups open a group; other "(?" forms are refused. */
static int xlate_group_open(struct xlate *t)
{
    const char *p = t->p;
    size_t i = t->i, n = t->n;

    if (t->size.depth + 1 >= ARRAY_SIZE(t->size.total))
        return -E2BIG;
    if (i + 1 < n && p[i + 1] == '?') {
        if (i + 2 < n && p[i + 2] == ':')
            i += 3;
        else if (i + 3 < n && (p[i + 2] == 'P' || p[i + 2] == '<')) {
            const char *end = memchr(p + i, '>', n - i);
            if (!end)
                return -EINVAL;
            i = (size_t)(end - p) + 1;
        } else
            return -EINVAL;
    } else
        i++;
    t->i = i;
    t->size.total[++t->size.depth] = 0;
    return buf_append(t->b, "(", 1);
}

static int xlate_group_close(struct xlate *t)
{
    if (t->size.depth == 0)
        return -EINVAL;
    t->i++;
    uint64_t inner = t->size.total[t->size.depth--] + 1;
    int r = buf_append(t->b, ")", 1);
    return r < 0 ? r : size_add(&t->size, inner) ? 0 : -E2BIG;
}

/* *, + and ? (a lazy '?' suffix is dropped) and {m,n} repetitions. */
static int xlate_repeat(struct xlate *t)
{
    size_t open = t->i;
    uint64_t count = 2;
    int r;

    if (t->p[open] == '{') {
        r = parse_repeat(t->p, t->n, &t->i, &count);
        if (r < 0)
            return r;
        if (r == 1) {
            /* not a repetition: a literal brace */
            t->i++;
            r = buf_append(t->b, "\\{", 2);
            return r < 0 ? r : size_add(&t->size, 1) ? 0 : -E2BIG;
        }
    } else
        t->i++;
    r = buf_append(t->b, t->p + open, t->i - open);
    if (t->i < t->n && t->p[t->i] == '?')
        t->i++; /* lazy */
    return r < 0 ? r : size_repeat(&t->size, count) ? 0 : -E2BIG;
}

/* RE2 syntax to a POSIX extended regex: \d \w \s (and negations), (?:...),
 * (?P<name>...), leading (?imsU) flags, lazy quantifiers (as greedy ones:
 * only whether it matches counts here). Backreferences and other flags are
 * rejected, as are programs whose repetitions expand past REGEX_MAX_SIZE.
 * *ret_size is the size estimate. */
static int translate_regex(const char *p, size_t n, struct buf *b, int *flags, uint64_t *ret_size)
{
    struct xlate t = {.p = p, .n = n, .b = b};
    int r = 0;

    *flags = leading_flags(&t);
    while (r >= 0 && t.i < n) {
        switch (p[t.i]) {
        case '\\':
            r = xlate_escape(&t);
            break;
        case '[':
            r = translate_class(p, n, &t.i, b);
            if (r >= 0 && !size_add(&t.size, 1))
                r = -E2BIG;
            break;
        case '(':
            r = xlate_group_open(&t);
            break;
        case ')':
            r = xlate_group_close(&t);
            break;
        case '*':
        case '+':
        case '?':
        case '{':
            r = xlate_repeat(&t);
            break;
        default:
            r = buf_append(b, p + t.i, 1);
            t.i++;
            if (r >= 0 && !size_add(&t.size, 1))
                r = -E2BIG;
            break;
        }
    }
    if (r >= 0 && t.size.depth != 0)
        return -EINVAL;
    *ret_size = t.size.total[0] + 1;
    return r;
}

static int
regex_match(struct tmpl_exec *x, const json_t *re, const json_t *s, bool must, json_t **ret)
{
    _cleanup_buf_ struct buf pat = BUF_INIT(16 * REGEX_MAX_PATTERN);
    regex_t rx;
    uint64_t size = 1;
    int flags, r;

    if (LEN(re) > REGEX_MAX_PATTERN || memchr(STR(re), '\0', LEN(re)))
        r = -E2BIG;
    else
        r = translate_regex(STR(re), LEN(re), &pat, &flags, &size);
    if (r == -ENOMEM)
        return r;
    if (r >= 0)
        r = buf_append(&pat, "", 0);
    if (r >= 0 && regcomp(&rx, buf_str(&pat), flags) != 0)
        r = -EINVAL;
    if (r < 0) {
        if (must)
            return tmpl_fail(x, "error parsing regexp: unsupported or invalid expression: `%.*s`",
                             (int)MIN(LEN(re), (size_t)100), STR(re));
        return tmpl_new_bool(false, ret);
    }
    uint64_t cells = (LEN(s) + 1) * size;
    if (LEN(s) > REGEX_MAX_SUBJECT || cells > REGEX_MAX_CELLS) {
        regfree(&rx);
        if (LEN(s) > REGEX_MAX_SUBJECT)
            return tmpl_fail(x, "regexMatch: input longer than %u bytes", REGEX_MAX_SUBJECT);
        return tmpl_fail(x, "regexMatch: pattern too complex for an input of %zu bytes", LEN(s));
    }
    r = tmpl_charge(x, 4 * (size_t)cells);
    if (r >= 0) {
        regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)LEN(s)};
        r = regexec(&rx, STR(s), 1, &m, REG_STARTEND) == 0;
        r = tmpl_new_bool(r == 1, ret);
    }
    regfree(&rx);
    return r;
}

static int fn_regex_match(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return regex_match(x, argv[0], argv[1], false, ret);
}

static int fn_must_regex_match(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    (void)argc;
    return regex_match(x, argv[0], argv[1], true, ret);
}

/* -------------------------------------------------------------- tinkerbell */

static int fn_format_partition(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    const char *dev = STR(argv[0]);
    size_t n = LEN(argv[0]);
    const char *sep = "";
    char num[32];
    struct buf b = BUF_INIT(tmpl_work_left(x));
    int r;
    (void)argc;

    if (n >= 10 && memcmp(dev, "/dev/disk/", 10) == 0)
        sep = "-part";
    else if (n > 0 && dev[n - 1] >= '0' && dev[n - 1] <= '9')
        sep = "p";
    (void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(argv[1]));
    r = buf_append(&b, dev, n);
    if (r >= 0)
        r = buf_append_str(&b, sep);
    if (r >= 0)
        r = buf_append_str(&b, num);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    return tmpl_take_string(x, &b, ret);
}

static int
fn_netmask_to_prefix_length(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret)
{
    char text[INET6_ADDRSTRLEN + 1];
    unsigned char a[16];
    const unsigned char *v4 = NULL;
    size_t n = LEN(argv[0]);
    int shown = (int)MIN(n, (size_t)64);
    (void)argc;

    if (n == 0 || n >= sizeof(text) || memchr(STR(argv[0]), '\0', n))
        return tmpl_fail(x, "invalid netmask format: %.*s", shown, STR(argv[0]));
    memcpy(text, STR(argv[0]), n);
    text[n] = '\0';
    if (inet_pton(AF_INET, text, a) == 1)
        v4 = a;
    else if (inet_pton(AF_INET6, text, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) != 0)
            return tmpl_fail(x, "netmask must be IPv4: %.*s", shown, STR(argv[0]));
        v4 = a + 12;
    } else
        return tmpl_fail(x, "invalid netmask format: %.*s", shown, STR(argv[0]));

    /* net.IPMask.Size: the leading ones, or 0 for a non-canonical mask */
    uint32_t m = (uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 | v4[3];
    int ones = 0;
    while (ones < 32 && (m & (0x80000000u >> ones)))
        ones++;
    if (ones < 32 && (m << ones) != 0)
        ones = 0;
    char out[8];
    (void)snprintf(out, sizeof(out), "%d", ones);
    return tmpl_new_string(x, out, strlen(out), ret);
}

#define A TMPL_ARG_ANY
#define S TMPL_ARG_STRING
#define I TMPL_ARG_INT

/* Sorted by name (checked by the unit tests). */
const struct tmpl_func tmpl_funcs_encode[] = {
        {"b64dec", fn_b64dec, 1, false, {S}, A, 0},
        {"b64enc", fn_b64enc, 1, false, {S}, A, 0},
        {"formatPartition", fn_format_partition, 2, false, {S, I}, A, 0},
        {"fromJson", fn_from_json, 1, false, {S}, A, 0},
        {"fromYaml", fn_from_yaml, 1, false, {S}, A, 0},
        {"mustFromJson", fn_must_from_json, 1, false, {S}, A, 0},
        {"mustRegexMatch", fn_must_regex_match, 2, false, {S, S}, A, 0},
        {"netmaskToPrefixLength", fn_netmask_to_prefix_length, 1, false, {S}, A, 0},
        {"regexMatch", fn_regex_match, 2, false, {S, S}, A, 0},
        {"toJson", fn_to_json, 1, false, {A}, A, 0},
        {"toPrettyJson", fn_to_pretty_json, 1, false, {A}, A, 0},
        {"toRawJson", fn_to_raw_json, 1, false, {A}, A, 0},
        {"toYaml", fn_to_yaml, 1, false, {A}, A, 0},
};
const size_t tmpl_funcs_encode_n = ARRAY_SIZE(tmpl_funcs_encode);
