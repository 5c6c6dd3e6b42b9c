/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/schema, its tests and its fuzzer: the per-call context,
 * cause lists, path builders, Go-style value formatting, the pattern cache
 * and the CEL subset.
 */

#include <locale.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf/buf.h"
#include "schema/schema.h"

/* Cap on any single formatted message or path (untrusted data feeds them). */
#define SCHEMA_MSG_MAX (64u * 1024u)
/* CEL cost: per rule evaluation, and per schema_apply() call. */
#define SCHEMA_CEL_CALL_LIMIT 1000000u
#define SCHEMA_CEL_TOTAL_LIMIT 10000000u

/* Field error reasons as apimachinery's field package names them. */
enum schema_reason {
    SCHEMA_REASON_INVALID,
    SCHEMA_REASON_TYPE_INVALID,
    SCHEMA_REASON_REQUIRED,
    SCHEMA_REASON_NOT_SUPPORTED,
    SCHEMA_REASON_TOO_LONG,
    SCHEMA_REASON_TOO_MANY,
    SCHEMA_REASON_DUPLICATE,
    SCHEMA_REASON_FORBIDDEN,
    _SCHEMA_REASON_MAX,
};

/* A growable list of causes. */
struct schema_causes {
    struct schema_cause *v;
    size_t n;
    size_t cap;
};

void schema_causes_clear(struct schema_causes *l);
/* Moves every cause of src to the end of dst; src is left empty. */
int schema_causes_move(struct schema_causes *dst, struct schema_causes *src);

/* A path under construction. Push functions return the previous length
 * (>= 0) to hand back to schema_path_pop(), or -ENOMEM / -E2BIG. */
struct schema_path {
    struct buf b;
};

#define SCHEMA_PATH_INIT {.b = BUF_INIT(SCHEMA_MSG_MAX)}

/* kube field.Path: Child("a") -> ".a" (none at the start), Index(i) -> "[i]",
 * Key(k) -> "[k]". */
int schema_path_child(struct schema_path *p, const char *name);
int schema_path_index(struct schema_path *p, size_t i);
int schema_path_key(struct schema_path *p, const char *key);
/* Appends a raw string. */
int schema_path_raw(struct schema_path *p, const char *s);
void schema_path_pop(struct schema_path *p, int len);
/* The path as kube prints it: "<nil>" when empty. */
const char *schema_path_str(const struct schema_path *p);

/* A translated and compiled pattern. */
struct schema_rx {
    char *pattern;
    regex_t re;
    int state; /* 0 compiled, 1 unsupported, 2 invalid */
    char *err; /* why it is invalid (Go's wording) */
};

struct schema_rx_cache {
    struct schema_rx *v;
    size_t n;
    size_t cap;
    locale_t utf8; /* (locale_t)0 until needed; C.UTF-8 when available */
    bool utf8_tried;
};

struct cel_program;

/* A compiled rule, keyed by the rule string's address in the schema. */
struct schema_cel_entry {
    const char *rule;
    struct cel_program *prog; /* NULL: outside the subset */
};

struct schema_cel_cache {
    struct schema_cel_entry *v;
    size_t n;
    size_t cap;
};

/* State of one public call. */
struct schema_ctx {
    struct schema_causes *out; /* where causes go now */
    struct schema_rx_cache rx;
    struct schema_cel_cache cel;
    size_t work;       /* nodes visited so far */
    uint64_t cel_cost; /* CEL cost spent so far */
    bool cel_exhausted;
    /* field path the OpenAPI names hang off (NULL: the object itself) */
    const char *field_base;
};

void schema_ctx_done(struct schema_ctx *c);
/* Charges one unit of work; -E2BIG past SCHEMA_MAX_NODES. */
int schema_ctx_charge(struct schema_ctx *c, size_t units);

/* Adds a cause. value is the Go-formatted bad value (NULL when upstream
 * omits it), detail may be NULL or "". */
int schema_cause_add(struct schema_ctx *c, enum schema_reason r, const char *field,
                     const char *value, const char *detail);
const char *schema_reason_name(enum schema_reason r);
/* True when the list holds a FieldValueTypeInvalid or
 * FieldValueNotSupported cause (these stop CEL evaluation upstream). */
bool schema_causes_blocking(const struct schema_causes *l);

/* Go formatting of bad values, as apimachinery's ErrorBody prints them. */
int schema_go_quote(struct buf *b, const char *s, size_t n);
int schema_go_float(struct buf *b, double d);
/* ErrorBody's value: %q for strings, %v for numbers and bools, %#v for
 * objects and arrays; JSON null prints as "null" (quoted). */
int schema_go_value(struct buf *b, const json_t *v);
/* %#v of a value inside an interface{} (no special-casing of null). */
int schema_go_sharp(struct buf *b, const json_t *v);
/* encoding/json.Marshal of a value decoded into interface{} (numbers as
 * float64, sorted keys, HTML-safe escaping). */
int schema_go_json(struct buf *b, const json_t *v);

/* JSON type name as kube-openapi reports it ("integer", "number", ...). */
const char *schema_json_type(const json_t *v);
/* Deep equality; numbers compare by value unless strict (int 1 and real 1.0
 * differ when strict, as Go's reflect.DeepEqual of int64 and float64). */
bool schema_json_equal(const json_t *a, const json_t *b, bool strict, unsigned depth);
/* Unicode code points in a UTF-8 string (invalid bytes count one each). */
size_t schema_utf8_len(const char *s, size_t n);

/* Schema accessors. */
const char *schema_str(const json_t *s, const char *key);
bool schema_true(const json_t *s, const char *key);
const json_t *schema_obj(const json_t *s, const char *key);
/* The sub-schema for additionalProperties, or NULL when it is absent or a
 * bool. *ret_allows is false only for "additionalProperties: false". */
const json_t *schema_additional(const json_t *s, bool *ret_present, bool *ret_allows);
/* Subschema describing values of property k, NULL if none. */
const json_t *schema_field_schema(const json_t *s, const char *k);
/* The format as apiextensions keeps it ("" when stripped); for a kept
 * string format tmp receives its registry name (dashes removed), else "". */
const char *schema_format(const json_t *s, char *tmp, size_t tmpsz);

/* Patterns: RE2/ECMA-ish to POSIX ERE. Returns 0 and sets *ret_match,
 * 1 when the pattern uses a construct the translator does not support (the
 * check is skipped), 2 when the pattern is invalid (*ret_err, borrowed,
 * says why), or -ENOMEM. */
int schema_rx_match(struct schema_ctx *c, const char *pattern, const char *s, size_t n,
                    bool *ret_match, const char **ret_err);
/* Translates pattern into POSIX ERE text in *out; returns 0, 1
 * (unsupported), 2 (invalid; err says why in Go's words), -ENOMEM, -E2BIG.
 * *ret_icase tells whether the pattern started with (?i). */
int schema_rx_translate(const char *pattern, struct buf *out, bool *ret_icase, struct buf *err);
void schema_rx_cache_clear(struct schema_rx_cache *rc);

/* String formats: returns 1 valid, 0 invalid, -1 when the format is not
 * checked (unknown or accepted without checks). name is normalised (no
 * dashes). */
int schema_format_check(const char *name, const char *s, size_t n);

/* -E2BIG when v nests deeper than SCHEMA_MAX_DEPTH or has more than
 * SCHEMA_MAX_NODES values. */
int schema_scan_limits(const json_t *v);

/* The phases. name/path buffers are reused down the recursion. */
/* Prunes obj; the paths of dropped fields are appended to *unknown
 * (unsorted). */
int schema_prune(struct schema_ctx *c, const json_t *s, json_t *obj, bool root,
                 struct schema_result *unknown);
int schema_default(struct schema_ctx *c, const json_t *s, json_t *obj, unsigned depth);
int schema_prune_nulls(struct schema_ctx *c, const json_t *s, json_t *obj, unsigned depth);
int schema_validate(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *name, unsigned depth);
int schema_listtype(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *path, unsigned depth);
int schema_cel_walk(struct schema_ctx *c, const json_t *s, const json_t *data,
                    struct schema_path *path, unsigned depth);

/* CEL subset (docs/schema.md). cel_compile returns 0, -EOPNOTSUPP when the
 * expression is outside the subset, -ENOMEM. */
int cel_compile(const char *rule, struct cel_program **ret);
struct cel_program *cel_program_free(struct cel_program *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cel_program *, cel_program_free);

enum cel_outcome {
    CEL_OUTCOME_TRUE,
    CEL_OUTCOME_FALSE,
    CEL_OUTCOME_ERROR,      /* *ret_err: "no such key: x", ... */
    CEL_OUTCOME_NO_OVERLOAD, /* operand types did not match */
    CEL_OUTCOME_COST,       /* budget exhausted */
    _CEL_OUTCOME_MAX,
};

/* Evaluates p with self bound to self. *budget is decremented by the cost.
 * Returns an outcome >= 0 (*ret_err allocated for CEL_OUTCOME_ERROR) or
 * -ENOMEM. */
int cel_eval(const struct cel_program *p, const json_t *self, uint64_t *budget, char **ret_err);
