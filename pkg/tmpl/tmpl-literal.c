/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go literals as text/template reads them: strconv.Unquote for "..." and
 * `...` strings and 'x' runes, and parse.newNumber for numbers (every base,
 * '_' separators, floats, hexadecimal floats), including which Go type the
 * number takes where any type would do (its "ideal constant").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

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

static const char simple_escapes[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";

/* \x, \u and \U: a byte or a valid code point from hex digits. */
static bool
hex_escape(const char *s, size_t n, size_t *i, char kind, uint32_t *ret_rune, bool *ret_is_byte)
{
    size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
    uint32_t v = 0;

    if (n - *i < digits)
        return false;
    for (size_t k = 0; k < digits; k++) {
        int h = hexval(s[*i + k]);
        if (h < 0)
            return false;
        v = v * 16 + (uint32_t)h;
    }
    *i += digits;
    *ret_is_byte = kind == 'x';
    if (kind != 'x' && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
        return false;
    *ret_rune = v;
    return true;
}

/* \ooo: three octal digits, at most 255. */
static bool octal_escape(const char *s, size_t n, size_t *i, char first, uint32_t *ret_rune)
{
    uint32_t v = (uint32_t)(first - '0');

    if (n - *i < 2)
        return false;
    for (size_t k = 0; k < 2; k++) {
        char d = s[*i + k];
        if (d < '0' || d > '7')
            return false;
        v = v * 8 + (uint32_t)(d - '0');
    }
    *i += 2;
    *ret_rune = v;
    return v <= 255;
}

bool tmpl_unquote_char(
        const char *s, size_t n, size_t *i, char quote, uint32_t *ret_rune, bool *ret_is_byte)
{
    *ret_is_byte = false;
    if (s[*i] != '\\') {
        *i += tmpl_utf8_decode(s + *i, n - *i, ret_rune);
        return true;
    }
    if (*i + 1 >= n)
        return false;
    char c = s[*i + 1];
    *i += 2;
    for (size_t k = 0; simple_escapes[k]; k += 2)
        if (c == simple_escapes[k]) {
            *ret_rune = (unsigned char)simple_escapes[k + 1];
            return true;
        }
    if (c == '\'' || c == '"') {
        *ret_rune = (uint32_t)c;
        return c == quote;
    }
    if (c == 'x' || c == 'u' || c == 'U')
        return hex_escape(s, n, i, c, ret_rune, ret_is_byte);
    if (c >= '0' && c <= '7') {
        *ret_is_byte = true;
        return octal_escape(s, n, i, c, ret_rune);
    }
    return false;
}

int tmpl_unquote(const char *s, size_t n, struct buf *b)
{
    int r = 0;

    if (n < 2)
        return -EBADMSG;
    if (s[0] == '`') {
        /* raw strings drop carriage returns */
        for (size_t i = 1; r >= 0 && i + 1 < n; i++)
            if (s[i] != '\r')
                r = buf_append(b, s + i, 1);
        return r < 0 ? r : buf_append(b, "", 0);
    }
    for (size_t i = 1; r >= 0 && i + 1 < n;) {
        uint32_t rune;
        bool is_byte;
        if (!tmpl_unquote_char(s, n - 1, &i, '"', &rune, &is_byte))
            return -EBADMSG;
        if (is_byte) {
            char c = (char)rune;
            r = buf_append(b, &c, 1);
        } else
            r = tmpl_utf8_append(b, rune);
    }
    return r < 0 ? r : buf_append(b, "", 0);
}

int tmpl_unquote_rune(const char *s, size_t n, uint32_t *ret)
{
    size_t i = 1;
    bool is_byte;

    if (n < 3 || !tmpl_unquote_char(s, n, &i, '\'', ret, &is_byte))
        return -EBADMSG;
    return i == n - 1 ? 0 : -EDOM;
}

/* Go's underscoreOK: '_' only between digits (a base prefix counts). */
static bool underscores_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    bool hex = false;

    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        i++;
    if (n - i >= 2 && s[i] == '0' && strchr("xXbBoO", s[i + 1])) {
        hex = s[i + 1] == 'x' || s[i + 1] == 'X';
        i += 2;
        saw = '0';
    }
    for (; i < n; i++) {
        char c = s[i];
        if ((c >= '0' && c <= '9') || (hex && hexval(c) >= 0)) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

/* s[0..n) without '_' (and without a leading '+' if drop_plus) into tmp. */
static bool strip(const char *s, size_t n, bool drop_plus, char *tmp, size_t size)
{
    size_t k = 0;

    if (n == 0 || n >= size || !underscores_ok(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_' && !(drop_plus && s[i] == '+'))
            tmp[k++] = s[i];
    tmp[k] = '\0';
    return k > 0;
}

/* strconv.ParseUint(s, 0, 64) for what ParseInt rejected as too big. */
static bool parse_go_uint(const char *s, size_t n, double *ret)
{
    char tmp[64];
    char *end;

    if (s[0] == '-' || !strip(s, n, true, tmp, sizeof(tmp)))
        return false;
    if (tmp[0] == '0' && tmp[1] && strchr("oObB", tmp[1]))
        return false; /* such values fit int64 or are invalid */
    errno = 0;
    unsigned long long u = strtoull(tmp, &end, 0);
    if (*end != '\0' || errno != 0)
        return false;
    *ret = (double)u;
    return true;
}

/* strconv.ParseFloat for the literal forms the lexer lets through. */
static bool parse_go_float(const char *s, size_t n, double *ret)
{
    char tmp[128];
    char *end;

    if (!strip(s, n, false, tmp, sizeof(tmp)))
        return false;
    /* a hexadecimal mantissa needs a 'p' exponent in Go */
    const char *m = tmp + (tmp[0] == '+' || tmp[0] == '-');
    if (m[0] == '0' && (m[1] == 'x' || m[1] == 'X') && !strpbrk(m, "pP"))
        return false;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end != '\0' || errno == ERANGE || d != d || d - d != 0)
        return false;
    *ret = d;
    return true;
}

int tmpl_number_parse(const char *s, size_t n, struct tmpl_number *ret)
{
    bool looks_float = false, is_uint = false;
    int64_t i64 = 0;
    double f = 0;

    *ret = (struct tmpl_number){0};
    if (n > 0 && s[n - 1] == 'i')
        return -EOPNOTSUPP;
    for (size_t i = 0; i < n; i++)
        if (strchr(".eEpP", s[i]))
            looks_float = true;
    bool hex_int = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !memchr(s, 'p', n) &&
                   !memchr(s, 'P', n);

    if (tmpl_parse_go_int(s, n, &i64)) {
        ret->is_int = ret->is_float = true;
        f = (double)i64;
    } else if (parse_go_uint(s, n, &f)) {
        is_uint = ret->is_float = true;
    } else if (parse_go_float(s, n, &f)) {
        if (!looks_float)
            return -ERANGE; /* integer overflow */
        ret->is_float = true;
        if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && f == (double)(int64_t)f) {
            ret->is_int = true;
            i64 = (int64_t)f;
        }
    } else
        return -EBADMSG;

    ret->int_value = ret->is_int ? i64 : 0;
    ret->float_value = f;
    /* Go's idealConstant: a float64 when it reads like one (not a hex int) */
    ret->ideal_float = ret->is_float && !hex_int && looks_float;
    ret->overflows_int = !ret->is_int && is_uint && !ret->ideal_float;
    return 0;
}
