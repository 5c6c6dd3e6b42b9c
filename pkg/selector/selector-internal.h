/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/selector, its tests and its fuzzers: the parsed forms and the
 * validation / message helpers shared by the label and field parsers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"
#include "selector/selector.h"

enum label_op {
    LABEL_OP_EXISTS,
    LABEL_OP_DOES_NOT_EXIST,
    LABEL_OP_EQUALS,
    LABEL_OP_DOUBLE_EQUALS,
    LABEL_OP_NOT_EQUALS,
    LABEL_OP_IN,
    LABEL_OP_NOT_IN,
    LABEL_OP_GT,
    LABEL_OP_LT,
    _LABEL_OP_MAX,
};

struct label_requirement {
    char *key;
    enum label_op op;
    char **values; /* sorted, unique (upstream's sets.String.List()) */
    size_t n_values;
};

struct label_selector {
    struct label_requirement *reqs;
    size_t n_reqs;
};

struct field_term {
    char *key;
    char *value; /* unescaped */
    bool negate; /* != */
};

struct field_selector {
    struct field_term *terms;
    size_t n_terms;
};

/* Longest piece of hostile input echoed into an error message. */
#define SELECTOR_ECHO_MAX 256
/* Hard cap on an error message. */
#define SELECTOR_ERROR_MAX 8192

/* Appends s[0..len) as UTF-8 text: invalid bytes become U+FFFD and input
 * past SELECTOR_ECHO_MAX bytes is cut with "...". Returns 0 or buf_append()'s
 * error. */
int selector_append_text(struct buf *b, const char *s, size_t len);

/* Appends s[0..len) quoted like Go's %q ("a\"b", \n, \x00, \xff). Same
 * truncation and returns as selector_append_text(). */
int selector_append_quoted(struct buf *b, const char *s, size_t len);

/* Appends the "; "-joined reasons why key is not a qualified name (optional
 * DNS-1123 subdomain prefix and '/', then a 1..63 character name). Returns
 * the number of reasons (0 = valid) or a negative buf error. */
int selector_check_qualified_name(struct buf *b, const char *key, size_t len);

/* Same for a label value (empty, or up to 63 characters [A-Za-z0-9] with
 * -_. inside). */
int selector_check_label_value(struct buf *b, const char *value, size_t len);

/* Go strconv.ParseInt(s, 10, 64): optional sign, at least one digit, no
 * other character, no overflow. */
bool selector_parse_int64(const char *s, size_t len, int64_t *ret);
