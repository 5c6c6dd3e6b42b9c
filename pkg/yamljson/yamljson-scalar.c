/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scalar resolution: the YAML 1.2 core schema (YAML 1.2.2 §10.3.2, "Tag
 * Resolution") for plain scalars, and the explicit core tags.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/macro.h"
#include "yamljson/yamljson-internal.h"

enum scalar_kind {
    SCALAR_STRING,
    SCALAR_NULL,
    SCALAR_TRUE,
    SCALAR_FALSE,
    SCALAR_DECIMAL,
    SCALAR_HEX,
    SCALAR_OCTAL,
    SCALAR_FLOAT,
    SCALAR_INF,
    SCALAR_NAN,
    _SCALAR_KIND_MAX,
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex_digit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool all_chars(const char *s, size_t len, bool (*pred)(char))
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!pred(s[i]))
            return false;
    return true;
}

static bool is_octal_digit(char c)
{
    return c >= '0' && c <= '7';
}

static bool equals(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool match_float(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < len && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        while (i < len && is_digit(s[i])) {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == len;
}

static enum scalar_kind classify(const char *s, size_t len)
{
    size_t sign = len > 0 && (s[0] == '-' || s[0] == '+');

    if (len == 0 || equals(s, len, "~") || equals(s, len, "null") || equals(s, len, "Null") ||
        equals(s, len, "NULL"))
        return SCALAR_NULL;
    if (len == 4 && strncasecmp(s, "true", 4) == 0)
        return SCALAR_TRUE;
    if (len == 5 && strncasecmp(s, "false", 5) == 0)
        return SCALAR_FALSE;
    if (all_chars(s + sign, len - sign, is_digit))
        return SCALAR_DECIMAL;
    if (len > 2 && s[0] == '0' && s[1] == 'x' && all_chars(s + 2, len - 2, is_hex_digit))
        return SCALAR_HEX;
    if (len > 2 && s[0] == '0' && s[1] == 'o' && all_chars(s + 2, len - 2, is_octal_digit))
        return SCALAR_OCTAL;
    if (match_float(s, len))
        return SCALAR_FLOAT;
    if (equals(s + sign, len - sign, ".inf") || equals(s + sign, len - sign, ".Inf") ||
        equals(s + sign, len - sign, ".INF"))
        return SCALAR_INF;
    if (equals(s, len, ".nan") || equals(s, len, ".NaN") || equals(s, len, ".NAN"))
        return SCALAR_NAN;
    return SCALAR_STRING;
}

/* Digits in base (after any prefix and sign), into an int64 magnitude check.
 * Returns false on overflow of the signed range. */
static bool parse_integer(const char *s, size_t len, unsigned base, bool neg, json_int_t *ret)
{
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

    for (size_t i = 0; i < len; i++) {
        unsigned d = is_digit(s[i]) ? (unsigned)(s[i] - '0') : (unsigned)((s[i] | 0x20) - 'a' + 10);
        if (v > (limit - d) / base)
            return false;
        v = v * base + d;
    }
    if (neg)
        *ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v;
    else
        *ret = (json_int_t)v;
    return true;
}

/* strtod() of a text the float grammar accepted; false when it overflows. */
static int parse_double(const char *s, size_t len, double *ret)
{
    _cleanup_free_ char *copy = strndup(s, len);
    double d;

    if (!copy)
        return -ENOMEM;
    d = strtod(copy, NULL);
    if (!isfinite(d))
        return 0;
    *ret = d;
    return 1;
}

static int make(json_t *v, json_t **ret)
{
    if (!v)
        return -ENOMEM;
    *ret = v;
    return 0;
}

static int why(const char **ret_why, const char *msg)
{
    *ret_why = msg;
    return -EBADMSG;
}

/* An integer of the given kind; *ret NULL when it does not fit. */
static int integer_of(enum scalar_kind kind, const char *s, size_t len, json_t **ret)
{
    json_int_t v;
    bool ok;

    if (kind == SCALAR_DECIMAL) {
        bool neg = s[0] == '-';
        size_t sign = s[0] == '-' || s[0] == '+';
        ok = parse_integer(s + sign, len - sign, 10, neg, &v);
    } else
        ok = parse_integer(s + 2, len - 2, kind == SCALAR_HEX ? 16 : 8, false, &v);
    if (!ok) {
        *ret = NULL;
        return 0;
    }
    return make(json_integer(v), ret);
}

static int resolve_untagged(const char *s, size_t len, json_t **ret, const char **ret_why)
{
    enum scalar_kind kind = classify(s, len);
    double d;
    int r;

    switch (kind) {
    case SCALAR_NULL:
        return make(json_null(), ret);
    case SCALAR_TRUE:
        return make(json_true(), ret);
    case SCALAR_FALSE:
        return make(json_false(), ret);
    case SCALAR_DECIMAL:
    case SCALAR_HEX:
    case SCALAR_OCTAL:
        r = integer_of(kind, s, len, ret);
        if (r < 0 || *ret)
            return r;
        if (kind != SCALAR_DECIMAL) /* not float syntax: keep the text */
            return make(json_stringn(s, len), ret);
        /* fall through */
    case SCALAR_FLOAT:
        /* Past int64, or a float: a real, or the text itself when even a
         * double cannot hold it (as sigs.k8s.io/yaml does). */
        r = parse_double(s, len, &d);
        if (r < 0)
            return r;
        return make(r > 0 ? json_real(d) : json_stringn(s, len), ret);
    case SCALAR_INF:
    case SCALAR_NAN:
        return why(ret_why, "infinity and NaN cannot be represented in JSON");
    default:
        return make(json_stringn(s, len), ret);
    }
}

int yamljson_resolve_scalar(
        const char *tag, const char *s, size_t len, bool plain, json_t **ret, const char **ret_why)
{
    enum scalar_kind kind;
    const char *name;
    double d;
    int r;

    if (!tag || strncmp(tag, YAMLJSON_TAG_PREFIX, strlen(YAMLJSON_TAG_PREFIX)) != 0) {
        /* No tag, "!" or a tag outside the core schema. */
        if (plain && !tag)
            return resolve_untagged(s, len, ret, ret_why);
        if (plain && strcmp(tag, "!") != 0)
            return resolve_untagged(s, len, ret, ret_why);
        return make(json_stringn(s, len), ret);
    }

    name = tag + strlen(YAMLJSON_TAG_PREFIX);
    kind = classify(s, len);
    if (strcmp(name, "str") == 0)
        return make(json_stringn(s, len), ret);
    if (strcmp(name, "null") == 0) {
        if (kind != SCALAR_NULL)
            return why(ret_why, "invalid value for !!null");
        return make(json_null(), ret);
    }
    if (strcmp(name, "bool") == 0) {
        if (kind != SCALAR_TRUE && kind != SCALAR_FALSE)
            return why(ret_why, "invalid value for !!bool");
        return make(kind == SCALAR_TRUE ? json_true() : json_false(), ret);
    }
    if (strcmp(name, "int") == 0) {
        if (kind != SCALAR_DECIMAL && kind != SCALAR_HEX && kind != SCALAR_OCTAL)
            return why(ret_why, "invalid value for !!int");
        r = integer_of(kind, s, len, ret);
        if (r == 0 && !*ret)
            return why(ret_why, "!!int value out of range");
        return r;
    }
    if (strcmp(name, "float") == 0) {
        if (kind == SCALAR_INF || kind == SCALAR_NAN)
            return why(ret_why, "infinity and NaN cannot be represented in JSON");
        if (kind != SCALAR_DECIMAL && kind != SCALAR_FLOAT)
            return why(ret_why, "invalid value for !!float");
        r = parse_double(s, len, &d);
        if (r < 0)
            return r;
        if (r == 0)
            return why(ret_why, "!!float value out of range");
        return make(json_real(d), ret);
    }
    /* !!binary, !!timestamp and other scalar types: keep the text, resolved
     * as if untagged when plain. */
    if (plain)
        return resolve_untagged(s, len, ret, ret_why);
    return make(json_stringn(s, len), ret);
}

bool yamljson_plain_needs_quotes(const char *s, size_t len)
{
    static const char *const yaml11_words[] = {"y", "n", "yes", "no", "on", "off", "<<", "="};

    if (len == 0 || classify(s, len) != SCALAR_STRING)
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(yaml11_words); i++)
        if (strlen(yaml11_words[i]) == len && strncasecmp(s, yaml11_words[i], len) == 0)
            return true;
    /* Number-like text (1_000, 0b101, 1:20, 2024-01-02, .5e, +1x ...): YAML
     * 1.1 readers may take some of it as numbers or timestamps. */
    if (is_digit(s[0]))
        return true;
    if (len > 1 && (s[0] == '-' || s[0] == '+' || s[0] == '.') && (is_digit(s[1]) || s[1] == '.'))
        return true;
    return false;
}
