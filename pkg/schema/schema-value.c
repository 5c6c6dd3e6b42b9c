/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values as upstream prints and compares them. kube-apiserver is written in
 * Go, and its messages embed values through fmt (%q, %v, %#v) and
 * encoding/json; clients and tests compare those strings, so the formatting
 * here follows Go's rules: strconv.Quote escapes, shortest round-trip floats
 * (exponent form as strconv and encoding/json choose it), sorted map keys.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

/* Decodes one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
        *ret = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret = cp;
    return len;
}

size_t schema_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (n > 0) {
        uint32_t cp;
        size_t l = utf8_decode(p, n, &cp);
        if (l == 0)
            l = 1;
        p += l;
        n -= l;
        count++;
    }
    return count;
}

/* An approximation of Go's strconv.IsPrint for non-ASCII code points. */
static bool go_isprint(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7f)
        return false;
    if (cp < 0x7f)
        return true;
    if (cp < 0xa0 || cp == 0xad)
        return false;
    if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb))
        return false;
    if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000)
        return false; /* private use */
    if (cp >= 0x200b && cp <= 0x200f)
        return false;
    return true;
}

int schema_go_quote(struct buf *b, const char *s, size_t n)
{
    int r = buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (r == 0 && n > 0) {
        uint32_t cp;
        size_t l = utf8_decode(p, n, &cp);
        if (l == 0) {
            r = buf_printf(b, "\\x%02x", p[0]);
            l = 1;
        } else if (cp == '"' || cp == '\\') {
            r = buf_printf(b, "\\%c", (char)cp);
        } else if (go_isprint(cp)) {
            r = buf_append(b, p, l);
        } else {
            switch (cp) {
            case '\a':
                r = buf_append_str(b, "\\a");
                break;
            case '\b':
                r = buf_append_str(b, "\\b");
                break;
            case '\f':
                r = buf_append_str(b, "\\f");
                break;
            case '\n':
                r = buf_append_str(b, "\\n");
                break;
            case '\r':
                r = buf_append_str(b, "\\r");
                break;
            case '\t':
                r = buf_append_str(b, "\\t");
                break;
            case '\v':
                r = buf_append_str(b, "\\v");
                break;
            default:
                if (cp < 0x20 || cp == 0x7f)
                    r = buf_printf(b, "\\x%02x", (unsigned)cp);
                else if (cp < 0x10000)
                    r = buf_printf(b, "\\u%04x", (unsigned)cp);
                else
                    r = buf_printf(b, "\\U%08x", (unsigned)cp);
            }
        }
        p += l;
        n -= l;
    }
    if (r == 0)
        r = buf_append(b, "\"", 1);
    return r;
}

/* Shortest decimal digits that read back as d: digits in dig (no dot),
 * returns the count and the decimal exponent of the first digit. */
static int shortest_digits(double d, char dig[32], int *ret_exp)
{
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d || prec == 17)
            break;
    }
    /* tmp is "d.ddde[+-]XX" */
    int n = 0;
    char *e = strchr(tmp, 'e');
    for (char *q = tmp; q < e; q++)
        if (*q >= '0' && *q <= '9')
            dig[n++] = *q;
    while (n > 1 && dig[n - 1] == '0')
        n--;
    dig[n] = '\0';
    *ret_exp = atoi(e + 1);
    return n;
}

/* Go's strconv.FormatFloat(d, fmt, -1, 64) for fmt 'g' (%v) or 'f'/'e'
 * chosen by the JSON rule (json != 0). */
static int go_float_fmt(struct buf *b, double d, bool json)
{
    if (isnan(d))
        return buf_append_str(b, "NaN");
    if (isinf(d))
        return buf_append_str(b, d > 0 ? "+Inf" : "-Inf");
    if (d == 0)
        return buf_append_str(b, signbit(d) && !json ? "-0" : "0");
    int r = 0;
    if (d < 0) {
        r = buf_append(b, "-", 1);
        d = -d;
    }
    char dig[32];
    int exp;
    int nd = shortest_digits(d, dig, &exp);
    /* %v: strconv's 'g' with shortest precision switches at exponent 6;
     * encoding/json switches outside [1e-6, 1e21). */
    bool use_e = json ? (d < 1e-6 || d >= 1e21) : (exp < -4 || exp >= 6);
    if (r < 0)
        return r;
    if (use_e) {
        r = buf_append(b, dig, 1);
        if (r == 0 && nd > 1)
            r = buf_printf(b, ".%s", dig + 1);
        if (r == 0) {
            if (json && exp < 0)
                r = buf_printf(b, "e-%d", -exp);
            else
                r = buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        }
        return r;
    }
    if (exp < 0) {
        r = buf_append_str(b, "0.");
        for (int i = -1; r == 0 && i > exp; i--)
            r = buf_append(b, "0", 1);
        return r == 0 ? buf_append_str(b, dig) : r;
    }
    for (int i = 0; r == 0 && i <= exp; i++)
        r = buf_append(b, i < nd ? &dig[i] : "0", 1);
    if (r == 0 && nd > exp + 1)
        r = buf_printf(b, ".%s", dig + exp + 1);
    return r;
}

int schema_go_float(struct buf *b, double d)
{
    return go_float_fmt(b, d, false);
}

const char *schema_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Object keys in byte order (Go sorts map keys when printing). */
static int sorted_keys(const json_t *o, const char ***ret, size_t *ret_n)
{
    size_t n = json_object_size(o);
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), key_cmp);
    *ret = keys;
    *ret_n = n;
    return 0;
}

static int go_sharp_depth(struct buf *b, const json_t *v, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH + 8)
        return buf_append_str(b, "...");
    switch (json_typeof(v)) {
    case JSON_STRING:
        return schema_go_quote(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return schema_go_float(b, json_real_value(v));
    case JSON_TRUE:
        return buf_append_str(b, "true");
    case JSON_FALSE:
        return buf_append_str(b, "false");
    case JSON_NULL:
        return buf_append_str(b, "interface {}(nil)");
    case JSON_ARRAY: {
        int r = buf_append_str(b, "[]interface {}{");
        for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
            if (i > 0)
                r = buf_append_str(b, ", ");
            if (r == 0)
                r = go_sharp_depth(b, json_array_get(v, i), depth + 1);
        }
        return r == 0 ? buf_append(b, "}", 1) : r;
    }
    case JSON_OBJECT: {
        _cleanup_free_ const char **keys = NULL;
        size_t n;
        int r = sorted_keys(v, &keys, &n);
        if (r == 0)
            r = buf_append_str(b, "map[string]interface {}{");
        for (size_t i = 0; r == 0 && i < n; i++) {
            if (i > 0)
                r = buf_append_str(b, ", ");
            if (r == 0)
                r = schema_go_quote(b, keys[i], strlen(keys[i]));
            if (r == 0)
                r = buf_append(b, ":", 1);
            if (r == 0)
                r = go_sharp_depth(b, json_object_get(v, keys[i]), depth + 1);
        }
        return r == 0 ? buf_append(b, "}", 1) : r;
    }
    }
    return 0;
}

int schema_go_sharp(struct buf *b, const json_t *v)
{
    return go_sharp_depth(b, v, 0);
}

int schema_go_value(struct buf *b, const json_t *v)
{
    if (!v || json_is_null(v))
        return buf_append_str(b, "\"null\"");
    return go_sharp_depth(b, v, 0);
}

static int go_json_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int r = buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (r == 0 && n > 0) {
        uint32_t cp;
        size_t l = utf8_decode(p, n, &cp);
        if (l == 0) {
            r = buf_append_str(b, "\\ufffd");
            l = 1;
        } else if (cp == '"' || cp == '\\') {
            r = buf_printf(b, "\\%c", (char)cp);
        } else if (cp == '\n') {
            r = buf_append_str(b, "\\n");
        } else if (cp == '\r') {
            r = buf_append_str(b, "\\r");
        } else if (cp == '\t') {
            r = buf_append_str(b, "\\t");
        } else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 ||
                   cp == 0x2029) {
            char e[7] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15],
                         hex[(cp >> 4) & 15], hex[cp & 15], 0};
            r = buf_append_str(b, e);
        } else {
            r = buf_append(b, p, l);
        }
        p += l;
        n -= l;
    }
    return r == 0 ? buf_append(b, "\"", 1) : r;
}

static int go_json_depth(struct buf *b, const json_t *v, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH + 8)
        return buf_append_str(b, "null");
    switch (json_typeof(v)) {
    case JSON_STRING:
        return go_json_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return go_float_fmt(b, (double)json_integer_value(v), true);
    case JSON_REAL:
        return go_float_fmt(b, json_real_value(v), true);
    case JSON_TRUE:
        return buf_append_str(b, "true");
    case JSON_FALSE:
        return buf_append_str(b, "false");
    case JSON_NULL:
        return buf_append_str(b, "null");
    case JSON_ARRAY: {
        int r = buf_append(b, "[", 1);
        for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
            if (i > 0)
                r = buf_append(b, ",", 1);
            if (r == 0)
                r = go_json_depth(b, json_array_get(v, i), depth + 1);
        }
        return r == 0 ? buf_append(b, "]", 1) : r;
    }
    case JSON_OBJECT: {
        _cleanup_free_ const char **keys = NULL;
        size_t n;
        int r = sorted_keys(v, &keys, &n);
        if (r == 0)
            r = buf_append(b, "{", 1);
        for (size_t i = 0; r == 0 && i < n; i++) {
            if (i > 0)
                r = buf_append(b, ",", 1);
            if (r == 0)
                r = go_json_string(b, keys[i], strlen(keys[i]));
            if (r == 0)
                r = buf_append(b, ":", 1);
            if (r == 0)
                r = go_json_depth(b, json_object_get(v, keys[i]), depth + 1);
        }
        return r == 0 ? buf_append(b, "}", 1) : r;
    }
    }
    return 0;
}

int schema_go_json(struct buf *b, const json_t *v)
{
    return go_json_depth(b, v, 0);
}

bool schema_json_equal(const json_t *a, const json_t *b, bool strict, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH + 8)
        return false;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_typeof(a) != json_typeof(b))
            return !strict && json_number_value(a) == json_number_value(b);
        if (json_is_integer(a))
            return json_integer_value(a) == json_integer_value(b);
        return json_real_value(a) == json_real_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!schema_json_equal(json_array_get(a, i), json_array_get(b, i), strict, depth + 1))
                return false;
        return true;
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *va;
        json_object_foreach((json_t *)a, k, va)
        {
            json_t *vb = json_object_get(b, k);
            if (!vb || !schema_json_equal(va, vb, strict, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return true; /* true, false, null */
    }
}

const char *schema_str(const json_t *s, const char *key)
{
    return json_string_value(json_object_get(s, key));
}

bool schema_true(const json_t *s, const char *key)
{
    return json_is_true(json_object_get(s, key));
}

const json_t *schema_obj(const json_t *s, const char *key)
{
    json_t *v = json_object_get(s, key);
    return json_is_object(v) ? v : NULL;
}

const json_t *schema_additional(const json_t *s, bool *ret_present, bool *ret_allows)
{
    json_t *v = json_object_get(s, "additionalProperties");
    *ret_present = v && (json_is_boolean(v) || json_is_object(v));
    *ret_allows = !json_is_false(v);
    return json_is_object(v) ? v : NULL;
}

const json_t *schema_field_schema(const json_t *s, const char *k)
{
    const json_t *p = schema_obj(schema_obj(s, "properties"), k);
    if (p)
        return p;
    bool present, allows;
    return schema_additional(s, &present, &allows);
}

static const char *const string_formats[] = {
        "bsonobjectid", "uri",    "email",      "hostname", "ipv4",     "ipv6",  "cidr",
        "mac",          "uuid",   "uuid3",      "uuid4",    "uuid5",    "isbn",  "isbn10",
        "isbn13",       "creditcard", "ssn",    "hexcolor", "rgbcolor", "byte",  "password",
        "date",         "duration",   "datetime", "quantity",
};

const char *schema_format(const json_t *s, char *tmp, size_t tmpsz)
{
    const char *f = schema_str(s, "format");
    if (tmpsz == 0)
        return "";
    tmp[0] = '\0';
    if (!f || !*f)
        return "";
    const char *type = schema_str(s, "type");
    if (!type)
        type = "";
    if (strcmp(type, "integer") == 0)
        return strcmp(f, "int32") == 0 || strcmp(f, "int64") == 0 ? f : "";
    if (strcmp(type, "number") == 0)
        return strcmp(f, "float") == 0 || strcmp(f, "double") == 0 ? f : "";
    if (*type && strcmp(type, "string") != 0)
        return "";
    size_t j = 0;
    for (const char *p = f; *p && j + 1 < tmpsz; p++)
        if (*p != '-')
            tmp[j++] = *p;
    tmp[j] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(string_formats); i++)
        if (strcmp(tmp, string_formats[i]) == 0)
            return f;
    tmp[0] = '\0';
    return "";
}
