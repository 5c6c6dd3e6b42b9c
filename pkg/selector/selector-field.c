/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field selector parser and matcher, following k8s.io/apimachinery
 * pkg/fields/selector.go: terms split at commas not preceded by a backslash,
 * each term split at its first "!=", "==" or "=", values unescaped (only
 * \\ \, \= are escapes; a bare , or = in a value is an error). The left-hand
 * side is taken verbatim (no trimming, no unescaping), as upstream does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector-internal.h"

struct span {
    const char *s;
    size_t len;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    int c = memcmp(x->s, y->s, MIN(x->len, y->len));

    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Splits s at commas that are not escaped; *ret is a malloc'd array. */
static int split_terms(const char *s, struct span **ret, size_t *ret_n)
{
    size_t n = 1, start = 0, k = 0, len = strlen(s);
    bool in_slash = false;
    struct span *terms;

    for (size_t i = 0; i < len; i++)
        n += s[i] == ',';
    terms = calloc(n, sizeof(*terms));
    if (!terms)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (in_slash)
            in_slash = false;
        else if (s[i] == '\\')
            in_slash = true;
        else if (s[i] == ',') {
            terms[k++] = (struct span){s + start, i - start};
            start = i + 1;
        }
    }
    terms[k++] = (struct span){s + start, len - start};
    *ret = terms;
    *ret_n = k;
    return 0;
}

/* Finds the first operator in the term (at each position "!=" then "==" then
 * "="). Returns false when there is none. */
static bool split_term(struct span term, struct span *lhs, struct span *rhs, bool *negate)
{
    for (size_t i = 0; i < term.len; i++) {
        size_t oplen = 0;

        if (i + 1 < term.len && term.s[i] == '!' && term.s[i + 1] == '=') {
            oplen = 2;
            *negate = true;
        } else if (i + 1 < term.len && term.s[i] == '=' && term.s[i + 1] == '=') {
            oplen = 2;
            *negate = false;
        } else if (term.s[i] == '=') {
            oplen = 1;
            *negate = false;
        }
        if (oplen > 0) {
            *lhs = (struct span){term.s, i};
            *rhs = (struct span){term.s + i + oplen, term.len - i - oplen};
            return true;
        }
    }
    return false;
}

static int message(struct buf *err, const char *a, struct span x, const char *b, struct span y)
{
    int r = buf_append_str(err, a);
    if (r >= 0)
        r = selector_append_text(err, x.s, x.len);
    if (r >= 0 && b)
        r = buf_append_str(err, b);
    if (r >= 0 && b)
        r = selector_append_text(err, y.s, y.len);
    if (r >= 0 && b)
        r = buf_append_str(err, "'");
    return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* Length of the character starting at s (1 for ASCII and stray bytes), so
 * an escape sequence is reported whole. */
static size_t char_len(const char *s, size_t avail)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

    return MIN(n, avail);
}

/* Upstream's UnescapeValue(). *ret is malloc'd. */
static int unescape_value(struct span v, struct buf *err, char **ret)
{
    _cleanup_free_ char *out = malloc(v.len + 1);
    bool in_slash = false;
    size_t k = 0;

    if (!out)
        return -ENOMEM;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.s[i];

        if (in_slash) {
            if (c != '\\' && c != ',' && c != '=') {
                struct span seq = {v.s + i - 1, 1 + char_len(v.s + i, v.len - i)};
                return message(err, "invalid field selector: invalid escape sequence: ", seq, NULL,
                               seq);
            }
            out[k++] = c;
            in_slash = false;
        } else if (c == '\\')
            in_slash = true;
        else if (c == ',' || c == '=') {
            /* Upstream prints the rune with %v, i.e. as its code point
             * number; the character itself is friendlier. */
            struct span ch = {v.s + i, 1};
            return message(err, "invalid field selector: unescaped character in value: ", ch, NULL,
                           ch);
        } else
            out[k++] = c;
    }
    if (in_slash) {
        struct span seq = {"\\", 1};
        return message(err, "invalid field selector: invalid escape sequence: ", seq, NULL, seq);
    }
    out[k] = '\0';
    *ret = TAKE_PTR(out);
    return 0;
}

static int parse_terms(const char *s, struct field_selector *sel, struct buf *err)
{
    _cleanup_free_ struct span *parts = NULL;
    size_t n_parts = 0;
    int r;

    r = split_terms(s, &parts, &n_parts);
    if (r < 0)
        return r;
    qsort(parts, n_parts, sizeof(*parts), cmp_span);
    sel->terms = calloc(n_parts, sizeof(*sel->terms));
    if (!sel->terms)
        return -ENOMEM;

    for (size_t i = 0; i < n_parts; i++) {
        struct span lhs, rhs;
        struct field_term *t = &sel->terms[sel->n_terms];
        bool negate = false;

        if (parts[i].len == 0)
            continue;
        if (!split_term(parts[i], &lhs, &rhs, &negate))
            return message(err, "invalid selector: '", (struct span){s, strlen(s)},
                           "'; can't understand '", parts[i]);
        r = unescape_value(rhs, err, &t->value);
        if (r < 0)
            return r;
        t->key = strndup(lhs.s, lhs.len);
        if (!t->key) {
            free(t->value);
            t->value = NULL;
            return -ENOMEM;
        }
        t->negate = negate;
        sel->n_terms++;
    }
    return 0;
}

int field_selector_parse(const char *s, struct field_selector **ret, char **ret_error)
{
    _cleanup_(field_selector_freep) struct field_selector *sel = NULL;
    _cleanup_buf_ struct buf err = BUF_INIT(SELECTOR_ERROR_MAX);
    int r;

    assert_return(ret, -EINVAL);

    sel = calloc(1, sizeof(*sel));
    if (!sel)
        return -ENOMEM;
    if (s && *s) {
        r = parse_terms(s, sel, &err);
        if (r < 0) {
            if (r == -EINVAL && ret_error) {
                char *msg = buf_take(&err, NULL);
                if (!msg)
                    return -ENOMEM;
                *ret_error = msg;
            }
            return r;
        }
    }
    *ret = TAKE_PTR(sel);
    return 0;
}

size_t field_selector_n_terms(const struct field_selector *sel)
{
    return sel ? sel->n_terms : 0;
}

const char *field_selector_term_key(const struct field_selector *sel, size_t i)
{
    if (!sel || i >= sel->n_terms)
        return NULL;
    return sel->terms[i].key;
}

/* Walks the dotted path; NULL when some step is missing. */
static const json_t *lookup_path(const json_t *obj, const char *path)
{
    const json_t *cur = obj;

    for (;;) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);

        if (!json_is_object(cur))
            return NULL;
        cur = json_object_getn(cur, path, len);
        if (!cur || !dot)
            return cur;
        path = dot + 1;
    }
}

/* Compares the JSON value's text form with want. */
static bool value_equals(const json_t *v, const char *want)
{
    char text[64];
    size_t n;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) == strlen(want) &&
               memcmp(json_string_value(v), want, json_string_length(v)) == 0;
    case JSON_INTEGER:
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strcmp(text, want) == 0;
    case JSON_REAL:
        n = json_dumpb(v, text, sizeof(text) - 1, JSON_ENCODE_ANY);
        if (n == 0 || n >= sizeof(text))
            return false;
        text[n] = '\0';
        return strcmp(text, want) == 0;
    case JSON_TRUE:
        return strcmp(want, "true") == 0;
    case JSON_FALSE:
        return strcmp(want, "false") == 0;
    case JSON_NULL:
        return *want == '\0';
    default:
        return false;
    }
}

bool field_selector_matches(const struct field_selector *sel, const json_t *obj)
{
    if (!sel)
        return true;
    for (size_t i = 0; i < sel->n_terms; i++) {
        const struct field_term *t = &sel->terms[i];
        const json_t *v = lookup_path(obj, t->key);
        bool eq = v ? value_equals(v, t->value) : *t->value == '\0';

        if (eq == t->negate)
            return false;
    }
    return true;
}

const char *field_selector_exact_value(const struct field_selector *sel, const char *key)
{
    const char *found = NULL;

    if (!sel || !key)
        return NULL;
    for (size_t i = 0; i < sel->n_terms; i++) {
        if (sel->terms[i].negate || strcmp(sel->terms[i].key, key) != 0)
            continue;
        if (found)
            return NULL;
        found = sel->terms[i].value;
    }
    return found;
}

struct field_selector *field_selector_free(struct field_selector *sel)
{
    if (!sel)
        return NULL;
    for (size_t i = 0; i < sel->n_terms; i++) {
        free(sel->terms[i].key);
        free(sel->terms[i].value);
    }
    free(sel->terms);
    free(sel);
    return NULL;
}
