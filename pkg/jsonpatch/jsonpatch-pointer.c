/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 6901 JSON Pointer and the RFC 6902 notion of equal values.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "jsonpatch/jsonpatch-internal.h"

int json_pointer_parse(const char *s, size_t len, struct json_pointer *ret)
{
    _cleanup_free_ struct json_pointer_token *tokens = NULL;
    _cleanup_free_ char *text = NULL;
    size_t n = 0, k = 0;

    if (len == 0) {
        *ret = (struct json_pointer){};
        return 0;
    }
    /* RFC 6901 §3: json-pointer = *( "/" reference-token ) */
    if (s[0] != '/')
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '/';
    tokens = calloc(n, sizeof(*tokens));
    text = malloc(len + 1);
    if (!tokens || !text)
        return -ENOMEM;

    n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '/') {
            if (n > 0) {
                tokens[n - 1].len = (size_t)(text + k - tokens[n - 1].s);
                text[k++] = '\0';
            }
            tokens[n++].s = text + k;
        } else if (s[i] == '~') {
            /* RFC 6901 §4: '~1' is '/', '~0' is '~'; anything else is an
             * error. Decoding in one pass cannot turn "~01" into "/". */
            if (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1'))
                return -EINVAL;
            text[k++] = s[i + 1] == '1' ? '/' : '~';
            i++;
        } else
            text[k++] = s[i];
    }
    tokens[n - 1].len = (size_t)(text + k - tokens[n - 1].s);
    text[k] = '\0';
    *ret = (struct json_pointer){.tokens = TAKE_PTR(tokens), .n = n, .text = TAKE_PTR(text)};
    return 0;
}

void json_pointer_done(struct json_pointer *p)
{
    free(p->tokens);
    free(p->text);
    *p = (struct json_pointer){};
}

static bool token_equal(const struct json_pointer_token *a, const struct json_pointer_token *b)
{
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

bool json_pointer_is_proper_prefix(const struct json_pointer *a, const struct json_pointer *b)
{
    if (a->n >= b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!token_equal(&a->tokens[i], &b->tokens[i]))
            return false;
    return true;
}

bool json_pointer_index(const struct json_pointer_token *t, size_t *ret)
{
    size_t v = 0;

    /* RFC 6901 §4: array-index = %x30 / ( %x31-39 *(%x30-39) ) */
    if (t->len == 0 || (t->len > 1 && t->s[0] == '0'))
        return false;
    for (size_t i = 0; i < t->len; i++) {
        if (t->s[i] < '0' || t->s[i] > '9')
            return false;
        size_t d = (size_t)(t->s[i] - '0');
        if (v > (SIZE_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *ret = v;
    return true;
}

json_t *json_pointer_get(json_t *root, const struct json_pointer *p, size_t n)
{
    json_t *cur = root;

    for (size_t i = 0; i < n && cur; i++) {
        const struct json_pointer_token *t = &p->tokens[i];
        size_t idx;

        if (json_is_object(cur))
            cur = json_object_getn(cur, t->s, t->len);
        else if (json_is_array(cur) && json_pointer_index(t, &idx))
            cur = json_array_get(cur, idx); /* NULL past the end */
        else
            cur = NULL;
    }
    return cur;
}

static bool number_equal(const json_t *a, const json_t *b)
{
    json_int_t i;
    double d;

    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    i = json_integer_value(json_is_integer(a) ? a : b);
    d = json_real_value(json_is_real(a) ? a : b);
    /* Exact comparison: the real must be integral and in range, then compare
     * as integers (a double cannot hold every int64). */
    if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return false;
    return (json_int_t)d == i;
}

bool json_patch_equal(const json_t *a, const json_t *b)
{
    const char *key;
    size_t key_len, idx;
    json_t *va;

    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return number_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        json_array_foreach(a, idx, va)
        {
            if (!json_patch_equal(va, json_array_get(b, idx)))
                return false;
        }
        return true;
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_keylen_foreach((json_t *)a, key, key_len, va)
        {
            if (!json_patch_equal(va, json_object_getn(b, key, key_len)))
                return false;
        }
        return true;
    default: /* true, false, null */
        return true;
    }
}

size_t json_patch_depth(const json_t *v, size_t limit)
{
    size_t max = 0, idx;
    const char *key;
    json_t *child;

    if (!json_is_object(v) && !json_is_array(v))
        return 1;
    if (limit == 0)
        return 1; /* already more than limit: stop descending */
    if (json_is_array(v)) {
        json_array_foreach(v, idx, child)
        {
            size_t d = json_patch_depth(child, limit - 1);
            max = MAX(max, d);
            if (max >= limit)
                break;
        }
    } else {
        json_object_foreach((json_t *)v, key, child)
        {
            size_t d = json_patch_depth(child, limit - 1);
            max = MAX(max, d);
            if (max >= limit)
                break;
        }
    }
    return 1 + max;
}
