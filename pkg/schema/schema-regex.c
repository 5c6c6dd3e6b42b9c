/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pattern` support. kube-apiserver compiles patterns with Go's regexp (RE2
 * syntax); we translate the common subset into POSIX extended syntax and
 * use regcomp(REG_EXTENDED|REG_NOSUB) under a thread-local C.UTF-8 locale,
 * so `.` and classes match whole characters as RE2 does.
 *
 * Translated: literals, `.` (never newline, as RE2 without (?s)), classes
 * with ranges, escapes and [:name:], \d \D \w \W \s \S, escaped punctuation,
 * \n \t \r \f \v \a \x41 \x{263a}, \A and \z, groups (capturing,
 * non-capturing, named), alternation, * + ? {n,m} (lazy forms match the
 * same strings, so the `?` is dropped), a leading (?i).
 * Unsupported (the check is skipped, see docs/schema.md): \b \B \p \P \Q \C,
 * octal escapes, other flag groups. Invalid in RE2 and rejected with Go's
 * wording: unbalanced parentheses or brackets, lookaround, backreferences,
 * bad escapes, repetition without an argument or nested, counts over 1000.
 */
#include <errno.h>
#include <locale.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

enum {
    RX_OK = 0,
    RX_UNSUPPORTED = 1,
    RX_INVALID = 2,
};

/* A character class: ASCII bitmap plus non-ASCII ranges. */
struct rx_class {
    uint8_t ascii[16];
    uint32_t ranges[32][2];
    size_t n_ranges;
    bool negate;
};

static void class_add_range(struct rx_class *k, uint32_t lo, uint32_t hi, int *r)
{
    for (uint32_t c = lo; c <= hi && c < 0x80; c++)
        k->ascii[c / 8] |= (uint8_t)(1u << (c % 8));
    if (hi < 0x80)
        return;
    if (lo < 0x80)
        lo = 0x80;
    if (k->n_ranges == ARRAY_SIZE(k->ranges)) {
        *r = RX_UNSUPPORTED;
        return;
    }
    k->ranges[k->n_ranges][0] = lo;
    k->ranges[k->n_ranges][1] = hi;
    k->n_ranges++;
}

static bool class_has(const struct rx_class *k, unsigned c)
{
    return k->ascii[c / 8] & (1u << (c % 8));
}

static int rx_fail(struct buf *err, const char *code, const char *arg, size_t arglen)
{
    buf_reset(err);
    int r = buf_printf(err, "error parsing regexp: %s: `%.*s`", code, (int)arglen, arg);
    return r < 0 ? r : RX_INVALID;
}

/* ASCII sets behind \d \w \s and [:name:]; negate adds the complement
 * including every non-ASCII code point. */
static void class_add_named(struct rx_class *k, const char *name, bool negate, int *r)
{
    struct rx_class t = {0};
    int dummy = 0;
    if (strcmp(name, "d") == 0 || strcmp(name, "digit") == 0) {
        class_add_range(&t, '0', '9', &dummy);
    } else if (strcmp(name, "w") == 0 || strcmp(name, "word") == 0) {
        class_add_range(&t, '0', '9', &dummy);
        class_add_range(&t, 'A', 'Z', &dummy);
        class_add_range(&t, 'a', 'z', &dummy);
        class_add_range(&t, '_', '_', &dummy);
    } else if (strcmp(name, "s") == 0) {
        class_add_range(&t, '\t', '\n', &dummy);
        class_add_range(&t, '\f', '\r', &dummy);
        class_add_range(&t, ' ', ' ', &dummy);
    } else if (strcmp(name, "space") == 0) {
        class_add_range(&t, '\t', '\r', &dummy);
        class_add_range(&t, ' ', ' ', &dummy);
    } else if (strcmp(name, "alpha") == 0) {
        class_add_range(&t, 'A', 'Z', &dummy);
        class_add_range(&t, 'a', 'z', &dummy);
    } else if (strcmp(name, "alnum") == 0) {
        class_add_range(&t, '0', '9', &dummy);
        class_add_range(&t, 'A', 'Z', &dummy);
        class_add_range(&t, 'a', 'z', &dummy);
    } else if (strcmp(name, "upper") == 0) {
        class_add_range(&t, 'A', 'Z', &dummy);
    } else if (strcmp(name, "lower") == 0) {
        class_add_range(&t, 'a', 'z', &dummy);
    } else if (strcmp(name, "xdigit") == 0) {
        class_add_range(&t, '0', '9', &dummy);
        class_add_range(&t, 'A', 'F', &dummy);
        class_add_range(&t, 'a', 'f', &dummy);
    } else if (strcmp(name, "blank") == 0) {
        class_add_range(&t, '\t', '\t', &dummy);
        class_add_range(&t, ' ', ' ', &dummy);
    } else if (strcmp(name, "cntrl") == 0) {
        class_add_range(&t, 0, 0x1f, &dummy);
        class_add_range(&t, 0x7f, 0x7f, &dummy);
    } else if (strcmp(name, "punct") == 0) {
        class_add_range(&t, '!', '/', &dummy);
        class_add_range(&t, ':', '@', &dummy);
        class_add_range(&t, '[', '`', &dummy);
        class_add_range(&t, '{', '~', &dummy);
    } else if (strcmp(name, "graph") == 0) {
        class_add_range(&t, '!', '~', &dummy);
    } else if (strcmp(name, "print") == 0) {
        class_add_range(&t, ' ', '~', &dummy);
    } else if (strcmp(name, "ascii") == 0) {
        class_add_range(&t, 0, 0x7f, &dummy);
    } else {
        *r = RX_INVALID;
        return;
    }
    for (unsigned c = 0; c < 0x80; c++)
        if (class_has(&t, c) != negate)
            class_add_range(k, c, c, r);
    if (negate)
        class_add_range(k, 0x80, 0x10ffff, r);
}

static int put_utf8(struct buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xc0 | (cp >> 6)), s[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xe0 | (cp >> 12)), s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        s[0] = (char)(0xf0 | (cp >> 18)), s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), s[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return buf_append(b, s, n);
}

/* Emits a class in a form POSIX reads unambiguously: ']' first, '[' and
 * '^' late, '-' last. glibc rejects ranges of non-ASCII characters, so a
 * class covering every non-ASCII character is written as the negation of
 * its ASCII complement, short non-ASCII ranges are spelled out, and longer
 * ones are unsupported (RX_UNSUPPORTED). */
static int class_emit(struct buf *out, const struct rx_class *k)
{
    struct rx_class e = *k;
    bool full = false;
    for (size_t i = 0; i < k->n_ranges; i++)
        full = full || (k->ranges[i][0] <= 0x80 && k->ranges[i][1] >= 0x10ffff);
    if (full) {
        for (size_t i = 0; i < sizeof(e.ascii); i++)
            e.ascii[i] = (uint8_t)~e.ascii[i];
        e.n_ranges = 0;
        e.negate = !k->negate;
    }
    bool any = false;
    for (unsigned c = 1; c < 0x80; c++)
        any = any || class_has(&e, c);
    for (size_t i = 0; i < e.n_ranges; i++)
        if (e.ranges[i][1] - e.ranges[i][0] >= 256)
            return RX_UNSUPPORTED;
    if (!any && e.n_ranges == 0)
        return e.negate ? buf_append(out, ".", 1) : RX_UNSUPPORTED;
    int r = buf_append_str(out, e.negate ? "[^" : "[");
    if (r == 0 && class_has(&e, ']'))
        r = buf_append(out, "]", 1);
    for (unsigned c = 1; r == 0 && c < 0x80; c++) {
        if (!class_has(&e, c) || c == ']' || c == '[' || c == '^' || c == '-')
            continue;
        unsigned end = c;
        while (end + 1 < 0x80 && class_has(&e, end + 1) && end + 1 != ']' && end + 1 != '[' &&
               end + 1 != '^' && end + 1 != '-')
            end++;
        char one = (char)c;
        r = buf_append(out, &one, 1);
        if (r == 0 && end >= c + 2) {
            char two[2] = {'-', (char)end};
            r = buf_append(out, two, 2);
            c = end;
        }
    }
    for (size_t i = 0; r == 0 && i < e.n_ranges; i++)
        for (uint32_t cp = e.ranges[i][0]; r == 0 && cp <= e.ranges[i][1]; cp++)
            r = put_utf8(out, cp);
    if (r == 0 && class_has(&e, '['))
        r = buf_append(out, "[", 1);
    if (r == 0 && class_has(&e, '^'))
        r = buf_append(out, "^", 1);
    if (r == 0 && class_has(&e, '-'))
        r = buf_append(out, "-", 1);
    return r == 0 ? buf_append(out, "]", 1) : r;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads one UTF-8 code point at *pp (invalid bytes read as themselves). */
static uint32_t read_cp(const char **pp)
{
    const unsigned char *p = (const unsigned char *)*pp;
    uint32_t cp = p[0];
    size_t n = 1;
    if (cp >= 0xc0 && cp < 0xe0 && (p[1] & 0xc0) == 0x80) {
        cp = ((cp & 0x1f) << 6) | (p[1] & 0x3f), n = 2;
    } else if (cp >= 0xe0 && cp < 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
        cp = ((cp & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f), n = 3;
    } else if (cp >= 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
               (p[3] & 0xc0) == 0x80) {
        cp = ((cp & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
             ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f),
        n = 4;
    }
    *pp += n;
    return cp;
}

/* Parses an escape after the backslash at *pp (pointing past it). Sets
 * *ret_cp for a single character, or fills k for a class escape. Returns
 * RX_OK, RX_UNSUPPORTED, RX_INVALID (err set) or -errno. */
static int parse_escape(const char **pp, uint32_t *ret_cp, struct rx_class *k, bool *ret_class,
                        struct buf *err)
{
    const char *p = *pp;
    char c = *p;
    int r = RX_OK;
    *ret_class = false;
    if (c == '\0')
        return rx_fail(err, "trailing backslash at end of expression", "", 0);
    p++;
    switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 's':
    case 'S': {
        char name[2] = {(char)(c | 0x20), 0};
        class_add_named(k, name, c < 'a', &r);
        *ret_class = true;
        break;
    }
    case 'n':
        *ret_cp = '\n';
        break;
    case 't':
        *ret_cp = '\t';
        break;
    case 'r':
        *ret_cp = '\r';
        break;
    case 'f':
        *ret_cp = '\f';
        break;
    case 'v':
        *ret_cp = '\v';
        break;
    case 'a':
        *ret_cp = '\a';
        break;
    case 'x': {
        uint32_t v = 0;
        if (*p == '{') {
            const char *q = p + 1;
            int digits = 0;
            for (; hexval(*q) >= 0 && digits < 8; q++, digits++)
                v = v * 16 + (uint32_t)hexval(*q);
            if (*q != '}' || digits == 0 || v > 0x10ffff)
                return rx_fail(err, "invalid escape sequence", *pp - 1, (size_t)(q - *pp + 1));
            p = q + 1;
        } else {
            if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
                return rx_fail(err, "invalid escape sequence", *pp - 1, 2);
            v = (uint32_t)(hexval(p[0]) * 16 + hexval(p[1]));
            p += 2;
        }
        *ret_cp = v;
        break;
    }
    default:
        if ((unsigned char)c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                                         (c >= 'A' && c <= 'Z') || c == '_')) {
            *ret_cp = (unsigned char)c; /* escaped punctuation */
            break;
        }
        if (strchr("bBpPQECz", c) || (c >= '0' && c <= '7'))
            r = RX_UNSUPPORTED; /* \z is handled by the caller */
        else
            r = rx_fail(err, "invalid escape sequence", *pp - 1, 2);
    }
    *pp = p;
    return r;
}

/* Parses a class starting at '[' (*pp points at it) into k. */
static int parse_class(const char **pp, struct rx_class *k, struct buf *err)
{
    const char *start = *pp;
    const char *p = start + 1;
    int r = RX_OK;
    *k = (struct rx_class){0};
    if (*p == '^') {
        k->negate = true;
        p++;
    }
    bool first = true;
    while (r == RX_OK && (*p != ']' || first)) {
        if (*p == '\0')
            return rx_fail(err, "missing closing ]", start, strlen(start));
        first = false;
        if (p[0] == '[' && p[1] == ':') {
            const char *end = strstr(p + 2, ":]");
            if (!end)
                return rx_fail(err, "missing closing ]", start, strlen(start));
            char name[16];
            const char *n = p + 2;
            bool neg = *n == '^';
            n += neg;
            size_t len = (size_t)(end - n);
            if (len >= sizeof(name))
                return rx_fail(err, "invalid character class range", p, (size_t)(end + 2 - p));
            memcpy(name, n, len);
            name[len] = '\0';
            class_add_named(k, name, neg, &r);
            if (r == RX_INVALID)
                return rx_fail(err, "invalid character class range", p, (size_t)(end + 2 - p));
            p = end + 2;
            continue;
        }
        const char *item = p;
        uint32_t lo, hi;
        bool is_class = false;
        if (*p == '\\') {
            p++;
            r = parse_escape(&p, &lo, k, &is_class, err);
            if (r != RX_OK || is_class)
                continue;
        } else {
            lo = read_cp(&p);
        }
        hi = lo;
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            p++;
            if (*p == '\\') {
                p++;
                r = parse_escape(&p, &hi, k, &is_class, err);
                if (r == RX_OK && is_class)
                    return rx_fail(err, "invalid character class range", item,
                                   (size_t)(p - item));
                if (r != RX_OK)
                    continue;
            } else {
                hi = read_cp(&p);
            }
            if (hi < lo)
                return rx_fail(err, "invalid character class range", item, (size_t)(p - item));
        }
        class_add_range(k, lo, hi, &r);
    }
    if (r == RX_OK)
        *pp = p + 1;
    return r;
}

/* Emits a single literal character, escaping what ERE treats specially. */
static int emit_literal(struct buf *out, uint32_t cp)
{
    if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp) && cp != 0)
        return buf_printf(out, "\\%c", (char)cp);
    if (cp == 0)
        return RX_UNSUPPORTED;
    return put_utf8(out, cp);
}

/* Parses "{n}", "{n,}", "{n,m}" at p; returns its length or 0. */
static size_t parse_repeat(const char *p, long *ret_min, long *ret_max)
{
    const char *q = p + 1;
    char *end;
    if (*q < '0' || *q > '9')
        return 0;
    long min = strtol(q, &end, 10), max = min;
    q = end;
    if (*q == ',') {
        q++;
        max = -1;
        if (*q >= '0' && *q <= '9') {
            max = strtol(q, &end, 10);
            q = end;
        }
    }
    if (*q != '}')
        return 0;
    *ret_min = min;
    *ret_max = max;
    return (size_t)(q + 1 - p);
}

int schema_rx_translate(const char *pattern, struct buf *out, bool *ret_icase, struct buf *err)
{
    const char *p = pattern;
    bool icase = false;
    if (strncmp(p, "(?i)", 4) == 0) {
        icase = true;
        p += 4;
    }
    int depth = 0, r = 0;
    bool atom = false, quantified = false;
    while (r == 0 && *p) {
        const char *tok = p;
        char c = *p;
        bool was_quantified = quantified;
        quantified = false;
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            long min = 0, max = 0;
            size_t n = c == '{' ? parse_repeat(p, &min, &max) : 1;
            if (n > 0) {
                if (was_quantified && c == '?') {
                    p++; /* lazy: same language */
                    continue;
                }
                if (was_quantified)
                    return rx_fail(err, "invalid nested repetition operator", tok - 1, n + 1);
                if (!atom)
                    return rx_fail(err, "missing argument to repetition operator", tok, n);
                if (min > 1000 || max > 1000 || (max >= 0 && max < min))
                    return rx_fail(err, "invalid repeat count", tok, n);
                r = buf_append(out, p, n);
                p += n;
                quantified = true;
                continue;
            }
            r = buf_append_str(out, "\\{");
            p++;
            atom = true;
            continue;
        }
        switch (c) {
        case '(':
            if (p[1] == '?') {
                if (p[2] == ':') {
                    p += 3;
                } else if (p[2] == 'P' && p[3] == '<') {
                    const char *e = strchr(p, '>');
                    if (!e)
                        return rx_fail(err, "invalid named capture", p, strlen(p));
                    p = e + 1;
                } else if (p[2] == '<' && p[3] != '=' && p[3] != '!') {
                    const char *e = strchr(p, '>');
                    if (!e)
                        return rx_fail(err, "invalid named capture", p, strlen(p));
                    p = e + 1;
                } else if (p[2] == '=' || p[2] == '!' || p[2] == '<') {
                    return rx_fail(err, "invalid or unsupported Perl syntax", p,
                                   strnlen(p, 3));
                } else {
                    return RX_UNSUPPORTED; /* inline flags */
                }
            } else {
                p++;
            }
            r = buf_append(out, "(", 1);
            depth++;
            atom = false;
            break;
        case ')':
            if (depth == 0)
                return rx_fail(err, "unexpected )", pattern, strlen(pattern));
            depth--;
            r = buf_append(out, ")", 1);
            p++;
            atom = true;
            break;
        case '|':
        case '^':
        case '$':
            r = buf_append(out, p, 1);
            p++;
            atom = false;
            break;
        case '.':
            r = buf_append_str(out, "[^\n]");
            p++;
            atom = true;
            break;
        case '[': {
            struct rx_class k;
            r = parse_class(&p, &k, err);
            if (r == 0)
                r = class_emit(out, &k);
            atom = true;
            break;
        }
        case '\\': {
            if (p[1] == 'A' || p[1] == 'z') {
                r = buf_append(out, p[1] == 'A' ? "^" : "$", 1);
                p += 2;
                atom = false;
                break;
            }
            struct rx_class k = {0};
            uint32_t cp = 0;
            bool is_class;
            p++;
            r = parse_escape(&p, &cp, &k, &is_class, err);
            if (r == 0)
                r = is_class ? class_emit(out, &k) : emit_literal(out, cp);
            atom = true;
            break;
        }
        default: {
            uint32_t cp = read_cp(&p);
            r = emit_literal(out, cp);
            atom = true;
        }
        }
    }
    if (r == 0 && depth > 0)
        return rx_fail(err, "missing closing )", pattern, strlen(pattern));
    *ret_icase = icase;
    return r;
}

void schema_rx_cache_clear(struct schema_rx_cache *rc)
{
    for (size_t i = 0; i < rc->n; i++) {
        if (rc->v[i].state == RX_OK)
            regfree(&rc->v[i].re);
        free(rc->v[i].pattern);
        free(rc->v[i].err);
    }
    free(rc->v);
    if (rc->utf8)
        freelocale(rc->utf8);
    *rc = (struct schema_rx_cache){0};
}

static locale_t rx_locale(struct schema_rx_cache *rc)
{
    if (!rc->utf8_tried) {
        rc->utf8_tried = true;
        rc->utf8 = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8", (locale_t)0);
        if (!rc->utf8)
            rc->utf8 = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "en_US.UTF-8", (locale_t)0);
    }
    return rc->utf8;
}

static int rx_compile(struct schema_rx_cache *rc, const char *pattern, struct schema_rx *e)
{
    _cleanup_buf_ struct buf ere = BUF_INIT(SCHEMA_MSG_MAX);
    _cleanup_buf_ struct buf err = BUF_INIT(SCHEMA_MSG_MAX);
    bool icase = false;
    int r = schema_rx_translate(pattern, &ere, &icase, &err);
    if (r == -E2BIG)
        r = RX_UNSUPPORTED;
    if (r < 0)
        return r;
    e->state = r;
    if (r == RX_INVALID) {
        e->err = buf_take(&err, NULL);
        return e->err ? 0 : -ENOMEM;
    }
    if (r != RX_OK)
        return 0;
    locale_t loc = rx_locale(rc);
    bool ascii = true;
    for (const char *q = buf_str(&ere); *q; q++)
        if ((unsigned char)*q >= 0x80)
            ascii = false;
    if (!loc && !ascii) {
        e->state = RX_UNSUPPORTED;
        return 0;
    }
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    int k = regcomp(&e->re, buf_str(&ere), REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (loc)
        uselocale(old);
    if (k == REG_ESPACE)
        return -ENOMEM;
    e->state = k == 0 ? RX_OK : RX_UNSUPPORTED;
    return 0;
}

int schema_rx_match(struct schema_ctx *c, const char *pattern, const char *s, size_t n,
                    bool *ret_match, const char **ret_err)
{
    struct schema_rx_cache *rc = &c->rx;
    struct schema_rx *e = NULL;
    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->v[i].pattern, pattern) == 0)
            e = &rc->v[i];
    if (!e) {
        if (rc->n == rc->cap) {
            size_t cap = rc->cap ? rc->cap * 2 : 8;
            struct schema_rx *v = realloc(rc->v, cap * sizeof(*v));
            if (!v)
                return -ENOMEM;
            rc->v = v;
            rc->cap = cap;
        }
        struct schema_rx fresh = {.pattern = strdup(pattern), .state = RX_UNSUPPORTED};
        if (!fresh.pattern)
            return -ENOMEM;
        int r = rx_compile(rc, pattern, &fresh);
        if (r < 0) {
            free(fresh.pattern);
            return r;
        }
        rc->v[rc->n] = fresh;
        e = &rc->v[rc->n++];
    }
    if (e->state == RX_INVALID)
        *ret_err = e->err;
    if (e->state != RX_OK)
        return e->state;
    locale_t old = rc->utf8 ? uselocale(rc->utf8) : (locale_t)0;
    regmatch_t m[1] = {{.rm_so = 0, .rm_eo = (regoff_t)n}};
    int k = regexec(&e->re, s, 1, m, REG_STARTEND);
    if (rc->utf8)
        uselocale(old);
    if (k == REG_ESPACE)
        return -ENOMEM;
    *ret_match = k == 0;
    return RX_OK;
}
