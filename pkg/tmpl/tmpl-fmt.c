/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's fmt for JSON values: printing one value with a verb and flags (as
 * printArg/printValue do), fmt.Sprint and Sprintln, strconv.Quote, and Go's
 * shortest float formatting. tmpl-printf.c parses Sprintf formats on top of
 * this. Output goes to a bounded struct buf, so a huge value stops at the
 * buffer's cap.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

/* ------------------------------------------------------------------ utf-8 */

size_t tmpl_utf8_decode(const char *s, size_t n, uint32_t *ret_rune)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t r, min;
    size_t len;

    if (u[0] < 0x80) {
        *ret_rune = u[0];
        return 1;
    }
    if ((u[0] & 0xe0) == 0xc0)
        len = 2, r = u[0] & 0x1f, min = 0x80;
    else if ((u[0] & 0xf0) == 0xe0)
        len = 3, r = u[0] & 0x0f, min = 0x800;
    else if ((u[0] & 0xf8) == 0xf0)
        len = 4, r = u[0] & 0x07, min = 0x10000;
    else
        goto invalid;
    if (n < len)
        goto invalid;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            goto invalid;
        r = (r << 6) | (u[i] & 0x3f);
    }
    if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
        goto invalid;
    *ret_rune = r;
    return len;
invalid:
    *ret_rune = 0xfffd;
    return 1;
}

static bool utf8_valid_at(const char *s, size_t n, size_t *len)
{
    uint32_t r;
    *len = tmpl_utf8_decode(s, n, &r);
    return !(r == 0xfffd && *len == 1 && (unsigned char)s[0] >= 0x80);
}

int tmpl_utf8_append(struct buf *b, uint32_t r)
{
    char t[4];
    size_t n;

    if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
        r = 0xfffd;
    if (r < 0x80) {
        t[0] = (char)r;
        n = 1;
    } else if (r < 0x800) {
        t[0] = (char)(0xc0 | (r >> 6));
        t[1] = (char)(0x80 | (r & 0x3f));
        n = 2;
    } else if (r < 0x10000) {
        t[0] = (char)(0xe0 | (r >> 12));
        t[1] = (char)(0x80 | ((r >> 6) & 0x3f));
        t[2] = (char)(0x80 | (r & 0x3f));
        n = 3;
    } else {
        t[0] = (char)(0xf0 | (r >> 18));
        t[1] = (char)(0x80 | ((r >> 12) & 0x3f));
        t[2] = (char)(0x80 | ((r >> 6) & 0x3f));
        t[3] = (char)(0x80 | (r & 0x3f));
        n = 4;
    }
    return buf_append(b, t, n);
}

bool tmpl_rune_is_space(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200a;
    }
}

static size_t rune_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; c++) {
        uint32_t r;
        i += tmpl_utf8_decode(s + i, n - i, &r);
    }
    return c;
}

/* Byte length of the first max runes of s. */
static size_t rune_prefix(const char *s, size_t n, size_t max)
{
    size_t i = 0;
    for (size_t c = 0; i < n && c < max; c++) {
        uint32_t r;
        i += tmpl_utf8_decode(s + i, n - i, &r);
    }
    return i;
}

/* strconv.IsPrint, approximated outside Latin-1: controls, format
 * characters, separators other than space, surrogates and private use are
 * not printable. */
bool tmpl_rune_is_print(uint32_t r)
{
    if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad)
        return false;
    if ((r >= 0x200b && r <= 0x200f) || (r >= 0x2028 && r <= 0x202e) ||
        (r >= 0x2060 && r <= 0x206f) || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb))
        return false;
    if ((r >= 0xd800 && r <= 0xf8ff) || r >= 0xf0000 || r > 0x10ffff)
        return false;
    return true;
}

/* ---------------------------------------------------------------- quoting */

static int
quote_rune_into(struct buf *b, uint32_t r, size_t width, const char *raw, char quote, bool ascii)
{
    char tmp[16];
    static const char esc[] = {'a', 'b', 't', 'n', 'v', 'f', 'r'};

    if (r == 0xfffd && width == 1) {
        /* an invalid byte */
        (void)snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned char)raw[0]);
        return buf_append_str(b, tmp);
    }
    if (r == (uint32_t)quote || r == '\\') {
        tmp[0] = '\\';
        tmp[1] = (char)r;
        return buf_append(b, tmp, 2);
    }
    if (ascii ? (r >= 0x20 && r < 0x7f) : tmpl_rune_is_print(r))
        return buf_append(b, raw, width);
    if (r >= 7 && r <= 13) {
        tmp[0] = '\\';
        tmp[1] = esc[r - 7];
        return buf_append(b, tmp, 2);
    }
    if (r < 0x20 || r == 0x7f)
        (void)snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)r);
    else if (r < 0x10000)
        (void)snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)r);
    else
        (void)snprintf(tmp, sizeof(tmp), "\\U%08x", (unsigned)r);
    return buf_append_str(b, tmp);
}

int tmpl_fmt_quote(struct buf *b, const char *s, size_t n, bool ascii)
{
    int r = buf_append(b, "\"", 1);
    for (size_t i = 0; r >= 0 && i < n;) {
        uint32_t rune;
        size_t w = tmpl_utf8_decode(s + i, n - i, &rune);
        r = quote_rune_into(b, rune, w, s + i, '"', ascii);
        i += w;
    }
    return r < 0 ? r : buf_append(b, "\"", 1);
}

static int quote_rune(struct buf *b, uint32_t rune, bool ascii)
{
    struct buf t = BUF_INIT(8);
    int r;

    if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff))
        rune = 0xfffd;
    r = tmpl_utf8_append(&t, rune);
    if (r >= 0)
        r = buf_append(b, "'", 1);
    if (r >= 0)
        r = quote_rune_into(b, rune, rune == 0xfffd ? 3 : t.len, t.data, '\'', ascii);
    if (r >= 0)
        r = buf_append(b, "'", 1);
    buf_free(&t);
    return r;
}

static bool can_backquote(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t w;
        uint32_t r;
        if (!utf8_valid_at(s + i, n - i, &w))
            return false;
        (void)tmpl_utf8_decode(s + i, n - i, &r);
        if (r == '`' || r == 0xfeff || (r < 0x20 && r != '\t') || r == 0x7f)
            return false;
        i += w;
    }
    return true;
}

/* ----------------------------------------------------------------- floats */

void tmpl_float_digits(double d, char digits[32], int *nd, int *dp)
{
    char tmp[40];
    int p;

    if (d == 0) {
        digits[0] = '0';
        *nd = 1;
        *dp = 1;
        return;
    }
    for (p = 1; p < 17; p++) {
        (void)snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    (void)snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
    int n = 0;
    char *e = strchr(tmp, 'e');
    for (char *c = tmp; c < e; c++)
        if (*c >= '0' && *c <= '9')
            digits[n++] = *c;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    *nd = n;
    *dp = atoi(e + 1) + 1;
}

/* strconv's %e and %f on shortest digits. */
static int digits_e(struct buf *b, const char *digits, int nd, int dp, int prec, char e)
{
    char tmp[16];
    int r = buf_append(b, digits, 1);
    if (r >= 0 && prec > 0) {
        r = buf_append(b, ".", 1);
        for (int i = 1; r >= 0 && i <= prec; i++)
            r = buf_append(b, i < nd ? digits + i : "0", 1);
    }
    int exp = digits[0] == '0' ? 0 : dp - 1;
    (void)snprintf(tmp, sizeof(tmp), "%c%c%02d", e, exp < 0 ? '-' : '+', abs(exp));
    return r < 0 ? r : buf_append_str(b, tmp);
}

static int digits_f(struct buf *b, const char *digits, int nd, int dp, int prec)
{
    int r = 0;
    if (dp > 0) {
        for (int i = 0; r >= 0 && i < dp; i++)
            r = buf_append(b, i < nd ? digits + i : "0", 1);
    } else
        r = buf_append(b, "0", 1);
    if (r >= 0 && prec > 0) {
        r = buf_append(b, ".", 1);
        for (int i = 0; r >= 0 && i < prec; i++) {
            int j = dp + i;
            r = buf_append(b, j >= 0 && j < nd ? digits + j : "0", 1);
        }
    }
    return r;
}

/* Go's %v / %g with the shortest precision, of |d|. */
static int float_shortest_g(struct buf *b, double d, bool upper)
{
    char digits[32];
    int nd, dp;

    tmpl_float_digits(fabs(d), digits, &nd, &dp);
    int exp = dp - 1;
    if (exp < -4 || exp >= 6)
        return digits_e(b, digits, nd, dp, nd - 1, upper ? 'E' : 'e');
    return digits_f(b, digits, nd, dp, MAX(nd - dp, 0));
}

/* ------------------------------------------------------------------ specs */

static int write_padding(struct buf *b, int n, bool zero)
{
    int r = 0;
    for (int i = 0; r >= 0 && i < n; i++)
        r = buf_append(b, zero ? "0" : " ", 1);
    return r;
}

/* Go's pad: width counts runes; zero padding only to the left. */
static int pad(struct buf *b, const struct tmpl_fmt_spec *f, const char *s, size_t n)
{
    int r;
    if (!f->wid_present || f->wid == 0)
        return buf_append(b, s, n);
    size_t runes = rune_count(s, n);
    int width = runes >= (size_t)f->wid ? 0 : f->wid - (int)runes;
    if (!f->minus) {
        r = write_padding(b, width, f->zero);
        return r < 0 ? r : buf_append(b, s, n);
    }
    r = buf_append(b, s, n);
    return r < 0 ? r : write_padding(b, width, false);
}

static int pad_str(struct buf *b, const struct tmpl_fmt_spec *f, const char *s)
{
    return pad(b, f, s, strlen(s));
}

static int print_value(
        struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb, unsigned depth);

static int bad_verb(struct tmpl_exec *x, struct buf *b, const json_t *v, int verb)
{
    int r = buf_append_str(b, "%!");
    if (r >= 0)
        r = tmpl_utf8_append(b, (uint32_t)verb);
    if (r >= 0)
        r = buf_append(b, "(", 1);
    if (r < 0)
        return r;
    if (json_is_null(v))
        r = buf_append_str(b, "<nil>");
    else {
        r = buf_append_str(b, tmpl_type_name(v));
        if (r >= 0)
            r = buf_append(b, "=", 1);
        if (r >= 0)
            r = tmpl_fmt_value(x, b, v);
    }
    return r < 0 ? r : buf_append(b, ")", 1);
}

static int fmt_integer(struct buf *b, const struct tmpl_fmt_spec *f, int64_t v, int verb)
{
    char digits[80];
    size_t i = sizeof(digits);
    bool negative = v < 0;
    uint64_t u = negative ? 0 - (uint64_t)v : (uint64_t)v;
    unsigned base = 10;
    const char *set = "0123456789abcdefx";
    int prec = 0;
    struct tmpl_fmt_spec g = *f;

    switch (verb) {
    case 'b':
        base = 2;
        break;
    case 'o':
    case 'O':
        base = 8;
        break;
    case 'x':
        base = 16;
        break;
    case 'X':
        base = 16;
        set = "0123456789ABCDEFX";
        break;
    default:
        break;
    }
    if (f->prec_present) {
        prec = f->prec;
        if (prec == 0 && u == 0) {
            g.zero = false;
            return write_padding(b, f->wid_present ? f->wid : 0, false);
        }
    } else if (f->zero && f->wid_present) {
        prec = f->wid;
        if (negative || f->plus || f->space)
            prec--;
    }
    if (prec > 1000000)
        return -E2BIG;
    _cleanup_free_ char *big = NULL;
    char *out = digits;
    size_t cap = sizeof(digits);
    if ((size_t)prec + 8 > cap) {
        cap = (size_t)prec + 80;
        big = malloc(cap);
        if (!big)
            return -ENOMEM;
        out = big;
    }
    i = cap;
    do {
        out[--i] = set[u % base];
        u /= base;
    } while (u);
    while (i > 8 && cap - i < (size_t)prec)
        out[--i] = '0';
    if (f->sharp) {
        if (base == 2) {
            out[--i] = 'b';
            out[--i] = '0';
        } else if (base == 8 && out[i] != '0')
            out[--i] = '0';
        else if (base == 16) {
            out[--i] = set[16];
            out[--i] = '0';
        }
    }
    if (verb == 'O') {
        out[--i] = 'o';
        out[--i] = '0';
    }
    if (negative)
        out[--i] = '-';
    else if (f->plus)
        out[--i] = '+';
    else if (f->space)
        out[--i] = ' ';
    g.zero = false;
    return pad(b, &g, out + i, cap - i);
}

static int fmt_int_verb(struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb)
{
    int64_t i = json_integer_value(v);
    struct buf t = BUF_INIT(64);
    int r;

    switch (verb) {
    case 'v':
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
        return fmt_integer(b, f, i, verb == 'v' ? 'd' : verb);
    case 'c':
        r = tmpl_utf8_append(&t, i < 0 || i > 0x10ffff ? 0xfffd : (uint32_t)i);
        break;
    case 'q': {
        uint32_t rune = i < 0 || i > 0x10ffff ? 0xfffd : (uint32_t)i;
        if (f->sharp && tmpl_rune_is_print(rune) && rune != '\'') {
            r = buf_append(&t, "'", 1);
            if (r >= 0)
                r = tmpl_utf8_append(&t, rune);
            if (r >= 0)
                r = buf_append(&t, "'", 1);
        } else
            r = quote_rune(&t, rune, f->plus);
        break;
    }
    case 'U': {
        char tmp[32];
        uint64_t u = (uint64_t)i;
        (void)snprintf(tmp, sizeof(tmp), "U+%04llX", (unsigned long long)u);
        r = buf_append_str(&t, tmp);
        if (r >= 0 && f->sharp && u <= 0x10ffff && tmpl_rune_is_print((uint32_t)u)) {
            r = buf_append(&t, " '", 2);
            if (r >= 0)
                r = tmpl_utf8_append(&t, (uint32_t)u);
            if (r >= 0)
                r = buf_append(&t, "'", 1);
        }
        break;
    }
    default:
        return bad_verb(f->x, b, v, verb);
    }
    if (r >= 0) {
        struct tmpl_fmt_spec g = *f;
        g.zero = false;
        r = pad(b, &g, t.data, t.len);
    }
    buf_free(&t);
    return r;
}

/* C's printf for a float verb with literal formats (prec < 0: none). Hex
 * floats get Go's two-digit binary exponent. */
#define C_FLOAT(conv)                                                                          \
    (prec < 0 ? (sharp ? snprintf(out, size, "%#" conv, d) : snprintf(out, size, "%" conv, d)) \
              : (sharp ? snprintf(out, size, "%#.*" conv, prec, d)                             \
                       : snprintf(out, size, "%.*" conv, prec, d)))

static int c_float_into(char *out, size_t size, int verb, bool sharp, int prec, double d)
{
    switch (verb) {
    case 'e':
        return C_FLOAT("e");
    case 'E':
        return C_FLOAT("E");
    case 'f':
        return C_FLOAT("f");
    case 'F':
        return C_FLOAT("F");
    case 'g':
        return C_FLOAT("g");
    case 'G':
        return C_FLOAT("G");
    case 'x':
        return C_FLOAT("a");
    default:
        return C_FLOAT("A");
    }
}

static int c_float(struct buf *num, int verb, bool sharp, int prec, double d)
{
    int need = c_float_into(NULL, 0, verb, sharp, prec, d);
    int r;

    if (need < 0)
        return -EINVAL;
    _cleanup_free_ char *tmp = malloc((size_t)need + 1);
    if (!tmp)
        return -ENOMEM;
    (void)c_float_into(tmp, (size_t)need + 1, verb, sharp, prec, d);
    char *p = (verb == 'x' || verb == 'X') ? strpbrk(tmp, "pP") : NULL;
    if (p && p[1] && p[2] && !p[3]) {
        r = buf_append(num, tmp, (size_t)(p - tmp) + 2);
        if (r >= 0)
            r = buf_append(num, "0", 1);
        return r < 0 ? r : buf_append_str(num, p + 2);
    }
    return buf_append_str(num, tmp);
}

static int fmt_float(struct buf *b, const struct tmpl_fmt_spec *f, double d, int verb)
{
    _cleanup_buf_ struct buf num = BUF_INIT(2u * 1024 * 1024);
    int prec = -1, r;

    switch (verb) {
    case 'v':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
        break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
        prec = 6;
        break;
    default:
        return -EINVAL;
    }
    if (f->prec_present)
        prec = f->prec;
    if (prec > 1000000)
        return -E2BIG;

    if ((verb == 'v' || verb == 'g' || verb == 'G') && prec < 0)
        r = float_shortest_g(&num, d, verb == 'G');
    else
        r = c_float(&num, verb, f->sharp, prec, fabs(d));
    if (r < 0)
        return r;

    char sign = signbit(d) ? '-' : f->plus ? '+' : f->space ? ' ' : 0;
    size_t len = num.len + (sign ? 1 : 0);
    if (sign && f->zero && !f->minus && f->wid_present && (size_t)f->wid > len) {
        r = buf_append(b, &sign, 1);
        if (r >= 0)
            r = write_padding(b, f->wid - (int)len, true);
        return r < 0 ? r : buf_append(b, num.data, num.len);
    }
    if (sign) {
        _cleanup_buf_ struct buf all = BUF_INIT(num.len + 2);
        r = buf_append(&all, &sign, 1);
        if (r >= 0)
            r = buf_append(&all, num.data, num.len);
        return r < 0 ? r : pad(b, f, all.data, all.len);
    }
    return pad(b, f, num.data, num.len);
}

static int
fmt_string(struct buf *b, const struct tmpl_fmt_spec *f, const char *s, size_t n, int verb)
{
    _cleanup_buf_ struct buf t = BUF_INIT(SIZE_MAX);
    int r = 0;

    switch (verb) {
    case 'v':
        if (f->sharp_v)
            goto quote;
        /* fall through */
    case 's':
        if (f->prec_present)
            n = rune_prefix(s, n, (size_t)f->prec);
        return pad(b, f, s, n);
    case 'x':
    case 'X': {
        const char *hex = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
        size_t len = n;
        if (f->prec_present && (size_t)f->prec < len)
            len = (size_t)f->prec;
        for (size_t i = 0; r >= 0 && i < len; i++) {
            if (f->space && i > 0)
                r = buf_append(&t, " ", 1);
            if (r >= 0 && f->sharp && (f->space || i == 0))
                r = buf_append(&t, verb == 'x' ? "0x" : "0X", 2);
            char h[2] = {hex[(unsigned char)s[i] >> 4], hex[(unsigned char)s[i] & 15]};
            if (r >= 0)
                r = buf_append(&t, h, 2);
        }
        break;
    }
    case 'q':
quote:
        if (f->prec_present)
            n = rune_prefix(s, n, (size_t)f->prec);
        if (f->sharp && can_backquote(s, n)) {
            r = buf_append(&t, "`", 1);
            if (r >= 0)
                r = buf_append(&t, s, n);
            if (r >= 0)
                r = buf_append(&t, "`", 1);
        } else
            r = tmpl_fmt_quote(&t, s, n, f->plus);
        break;
    default:
        return -EINVAL;
    }
    return r < 0 ? r : pad(b, f, buf_str(&t), t.len);
}

static int print_container(
        struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb, unsigned depth)
{
    int r;

    if (json_is_array(v)) {
        r = buf_append_str(b, f->sharp_v ? "[]interface {}{" : "[");
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
            if (i > 0)
                r = buf_append_str(b, f->sharp_v ? ", " : " ");
            if (r >= 0)
                r = print_value(b, f, json_array_get(v, i), verb, depth + 1);
        }
        return r < 0 ? r : buf_append_str(b, f->sharp_v ? "}" : "]");
    }

    _cleanup_free_ struct tmpl_member *m = NULL;
    size_t n;
    r = tmpl_sorted_members(f->x, v, &m, &n);
    if (r < 0)
        return r;
    r = buf_append_str(b, f->sharp_v ? "map[string]interface {}{" : "map[");
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (i > 0)
            r = buf_append_str(b, f->sharp_v ? ", " : " ");
        if (r >= 0) {
            if (f->sharp_v)
                r = tmpl_fmt_quote(b, m[i].key, m[i].key_len, false);
            else
                r = fmt_string(b, f, m[i].key, m[i].key_len, verb);
            if (r == -EINVAL) {
                json_t *k = json_stringn_nocheck(m[i].key, m[i].key_len);
                r = k ? bad_verb(f->x, b, k, verb) : -ENOMEM;
                json_decref(k);
            }
        }
        if (r >= 0)
            r = buf_append(b, ":", 1);
        if (r >= 0)
            r = print_value(b, f, m[i].value, verb, depth + 1);
    }
    return r < 0 ? r : buf_append_str(b, f->sharp_v ? "}" : "]");
}

/* Go's printValue/printArg for one value and one verb. */
static int
print_value(struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb, unsigned depth)
{
    int r;

    if (depth > TMPL_MAX_VALUE_DEPTH)
        return -ELOOP;
    if (verb == 'T')
        return pad_str(b, f, tmpl_type_name(v));
    switch (json_typeof(v)) {
    case JSON_NULL:
        if (depth > 0)
            return buf_append_str(b, f->sharp_v ? "interface {}(nil)" : "<nil>");
        if (verb == 'v')
            return pad_str(b, f, "<nil>");
        return bad_verb(f->x, b, v, verb);
    case JSON_TRUE:
    case JSON_FALSE:
        if (verb == 't' || verb == 'v')
            return pad_str(b, f, json_is_true(v) ? "true" : "false");
        return bad_verb(f->x, b, v, verb);
    case JSON_INTEGER:
        return fmt_int_verb(b, f, v, verb);
    case JSON_REAL:
        r = fmt_float(b, f, json_real_value(v), verb);
        return r == -EINVAL ? bad_verb(f->x, b, v, verb) : r;
    case JSON_STRING:
        r = fmt_string(b, f, json_string_value(v), json_string_length(v), verb);
        return r == -EINVAL ? bad_verb(f->x, b, v, verb) : r;
    case JSON_ARRAY:
    case JSON_OBJECT:
        return print_container(b, f, v, verb, depth);
    }
    return 0;
}

int tmpl_fmt_print(struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb)
{
    return print_value(b, f, v, verb, 0);
}

int tmpl_fmt_value(struct tmpl_exec *x, struct buf *b, const json_t *v)
{
    const struct tmpl_fmt_spec plain = {.x = x};
    return print_value(b, &plain, v, 'v', 0);
}

int tmpl_fmt_sprint(struct tmpl_exec *x, struct buf *b, json_t *const *argv, size_t argc, bool ln)
{
    bool prev_string = false;
    int r = 0;

    for (size_t i = 0; r >= 0 && i < argc; i++) {
        bool is_string = json_is_string(argv[i]);
        if (i > 0 && (ln || (!is_string && !prev_string)))
            r = buf_append(b, " ", 1);
        if (r >= 0)
            r = tmpl_fmt_value(x, b, argv[i]);
        prev_string = is_string;
    }
    if (r >= 0 && ln)
        r = buf_append(b, "\n", 1);
    return r;
}
