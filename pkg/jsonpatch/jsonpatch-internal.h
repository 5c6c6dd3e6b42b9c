/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/jsonpatch, its tests and its fuzzers: RFC 6901 pointers and
 * RFC 6902 value comparison.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct json_pointer_token {
    const char *s; /* decoded (~1 -> '/', ~0 -> '~'), NUL-terminated */
    size_t len;    /* may be shorter than strlen() never; tokens hold no NUL
                    * unless the pointer string did */
};

struct json_pointer {
    struct json_pointer_token *tokens;
    size_t n;
    char *text; /* storage for the decoded tokens */
};

/* Parses an RFC 6901 pointer of len bytes: "" (the whole document) or
 * "/"-separated reference tokens. Returns 0, -EINVAL when it does not start
 * with '/' or has a '~' not followed by '0' or '1', -ENOMEM. On success the
 * caller releases *ret with json_pointer_done(). */
int json_pointer_parse(const char *s, size_t len, struct json_pointer *ret);

/* Releases the storage of a parsed pointer; leaves it empty. */
void json_pointer_done(struct json_pointer *p);

/* True when a is a proper prefix of b (token by token). */
bool json_pointer_is_proper_prefix(const struct json_pointer *a, const struct json_pointer *b);

/* Parses an array index token: "0" or a digit string without leading zeros.
 * Returns false for anything else (including "-" and values past SIZE_MAX). */
bool json_pointer_index(const struct json_pointer_token *t, size_t *ret);

/* Resolves the first n tokens of p in root; returns the value (borrowed) or
 * NULL when some step does not exist. */
json_t *json_pointer_get(json_t *root, const struct json_pointer *p, size_t n);

/* RFC 6902 §4.6 equality: numbers compare by value whatever their JSON type,
 * strings by bytes, arrays element-wise, objects member-wise regardless of
 * order. */
bool json_patch_equal(const json_t *a, const json_t *b);

/* Nesting depth of v (a scalar is 1, a container 1 + its deepest child),
 * computed no further than limit + 1 so hostile values cannot exhaust the
 * stack. */
size_t json_patch_depth(const json_t *v, size_t limit);
