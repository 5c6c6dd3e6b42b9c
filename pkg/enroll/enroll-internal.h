/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/enroll, its tests and its fuzzers: the compiled pattern
 * tree, the operator matchers, and the parsed view of a WorkflowRuleSet.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "enroll/enroll.h"

/* A JSON number as written: integers are kept exact, reals as double. */
struct enroll_number {
    bool is_int;
    json_int_t i;
    double d;
};

enum enroll_op_type {
    ENROLL_OP_STRING, /* exact string */
    ENROLL_OP_NUMBER, /* exact number, compared numerically */
    ENROLL_OP_TRUE,
    ENROLL_OP_FALSE,
    ENROLL_OP_NULL,
    ENROLL_OP_PREFIX,
    ENROLL_OP_SUFFIX,
    ENROLL_OP_WILDCARD, /* also "shellstyle" */
    ENROLL_OP_EQUALS_IGNORE_CASE,
    ENROLL_OP_ANYTHING_BUT,
    ENROLL_OP_EXISTS,
    ENROLL_OP_NUMERIC,
    _ENROLL_OP_TYPE_MAX,
};

enum enroll_cmp {
    ENROLL_CMP_EQ,
    ENROLL_CMP_LT,
    ENROLL_CMP_LE,
    ENROLL_CMP_GT,
    ENROLL_CMP_GE,
    _ENROLL_CMP_MAX,
};

/* A literal run of a wildcard between two stars: str[off .. off+len). */
struct enroll_piece {
    size_t off;
    size_t len;
};

#define ENROLL_NUMERIC_MAX_CMPS 2

struct enroll_op {
    enum enroll_op_type type;
    /* STRING, PREFIX, SUFFIX, EQUALS_IGNORE_CASE: the operand; WILDCARD: the
     * unescaped literal text, cut into pieces at the (unescaped) stars. */
    char *str;
    size_t len;
    struct enroll_piece *pieces; /* WILDCARD: n_pieces = stars + 1 */
    size_t n_pieces;
    struct enroll_number num; /* NUMBER */
    bool exists;              /* EXISTS */
    /* ANYTHING_BUT: exact values to exclude, or exactly one string operator
     * (PREFIX, SUFFIX, WILDCARD, EQUALS_IGNORE_CASE) whose matches are
     * excluded. */
    struct enroll_op *list;
    size_t n_list;
    struct {
        enum enroll_cmp cmp;
        struct enroll_number num;
    } range[ENROLL_NUMERIC_MAX_CMPS]; /* NUMERIC: all must hold */
    size_t n_range;
};

struct enroll_node;

/* One member of a pattern object: either a leaf (an array of ops, possibly
 * empty) or a nested pattern object (child != NULL). */
struct enroll_field {
    char *name;
    size_t name_len;
    struct enroll_op *ops;
    size_t n_ops;
    struct enroll_node *child;
};

struct enroll_node {
    struct enroll_field *fields;
    size_t n_fields;
};

struct enroll_pattern {
    struct enroll_node *root;
    size_t n_values; /* values and operators, for the cap */
};

struct enroll_ruleset {
    json_t *object;
    char *namespace;
    char *name;
    struct enroll_pattern **patterns;
    size_t n_patterns;
};

/* Three-way numeric comparison (-1, 0, 1); integers compare exactly. */
int enroll_number_cmp(const struct enroll_number *a, const struct enroll_number *b);

/* Fills *ret from a JSON integer or real; false for anything else. */
bool enroll_number_from_json(const json_t *v, struct enroll_number *ret);

/* True when leaf value v (string, number, true, false or null) satisfies op.
 * EXISTS is decided by the caller (it is about presence, not a value). */
bool enroll_op_match(const struct enroll_op *op, const json_t *v);

/* Wildcard match of s[0..len) against a compiled WILDCARD op. */
bool enroll_glob_match(const struct enroll_op *op, const char *s, size_t len);

void enroll_node_free(struct enroll_node *n);

/* The parts of a WorkflowRuleSet that enrollment uses, borrowed from the
 * object. */
struct enroll_wrs_view {
    const char *api_version;
    const char *kind;
    const char *name;
    const char *uid;
    const char *namespace; /* resolved: where the Workflow goes */
    const char *template_ref;
    const char *agent_value;
    const json_t *kvs; /* object of strings, or NULL */
    int disabled;      /* -1 unset, else 0 / 1 */
    bool add_attributes;
};

/* Reads and checks wrs. Returns 0 and *ret; -EINVAL with *ret_error (when
 * non-NULL; malloc'd) naming the field; -ENOMEM. */
int enroll_wrs_view(const json_t *wrs, struct enroll_wrs_view *ret, char **ret_error);

/* Sets *ret_error (when non-NULL) to a malloc'd formatted message and returns
 * -EINVAL, or -ENOMEM when the message cannot be allocated. */
int enroll_errorf(char **ret_error, const char *fmt, ...) _printf_(2, 3);

/* Replaces, in place, every byte of s that is not part of a valid UTF-8
 * sequence with '?', so that echoed input is safe in a JSON message. */
void enroll_utf8_sanitize(char *s);

/* True when s is valid UTF-8 (what jansson requires of strings). */
bool enroll_utf8_valid(const char *s);

/* Returns the string member key of obj, or NULL when absent or not a string. */
const char *enroll_json_str(const json_t *obj, const char *key);
