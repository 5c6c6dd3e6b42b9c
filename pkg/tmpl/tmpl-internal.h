/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Internals of pkg/tmpl, shared by its sources, its tests and its fuzzers:
 * the arena, lexer, parse tree, executor state, function table, value
 * helpers (Go fmt, JSON encoding) and the workflow helpers.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"
#include "buf/buf.h"
#include "tmpl/tmpl.h"

/* ------------------------------------------------------------------ arena */

/* Bump allocator owning every node and string of a parse tree. */
struct tmpl_arena {
    struct tmpl_arena_chunk *chunks;
};

/* Returns size zeroed bytes that live until tmpl_arena_free(), or NULL. */
void *tmpl_arena_alloc(struct tmpl_arena *a, size_t size);
/* Copies s[0..n) plus a NUL into the arena; NULL on allocation failure. */
char *tmpl_arena_strndup(struct tmpl_arena *a, const char *s, size_t n);
/* Frees every chunk; the arena is empty and reusable afterwards. */
void tmpl_arena_free(struct tmpl_arena *a);

/* ------------------------------------------------------------------ lexer */

enum tmpl_item_type {
    TMPL_ITEM_ERROR,
    TMPL_ITEM_EOF,
    TMPL_ITEM_TEXT,
    TMPL_ITEM_LEFT_DELIM,
    TMPL_ITEM_RIGHT_DELIM,
    TMPL_ITEM_SPACE,
    TMPL_ITEM_BOOL,
    TMPL_ITEM_CHAR,
    TMPL_ITEM_CHAR_CONSTANT,
    TMPL_ITEM_NUMBER,
    TMPL_ITEM_COMPLEX,
    TMPL_ITEM_ASSIGN,
    TMPL_ITEM_DECLARE,
    TMPL_ITEM_FIELD,
    TMPL_ITEM_IDENTIFIER,
    TMPL_ITEM_LEFT_PAREN,
    TMPL_ITEM_RIGHT_PAREN,
    TMPL_ITEM_PIPE,
    TMPL_ITEM_RAW_STRING,
    TMPL_ITEM_STRING,
    TMPL_ITEM_VARIABLE,
    /* keywords: everything after _TMPL_ITEM_KEYWORD prints as <word> */
    _TMPL_ITEM_KEYWORD,
    TMPL_ITEM_DOT,
    TMPL_ITEM_NIL,
    TMPL_ITEM_BLOCK,
    TMPL_ITEM_BREAK,
    TMPL_ITEM_CONTINUE,
    TMPL_ITEM_DEFINE,
    TMPL_ITEM_ELSE,
    TMPL_ITEM_END,
    TMPL_ITEM_IF,
    TMPL_ITEM_RANGE,
    TMPL_ITEM_TEMPLATE,
    TMPL_ITEM_WITH,
    _TMPL_ITEM_MAX,
};

/* One token: text[pos..pos+len) on line (1-based). For TMPL_ITEM_ERROR the
 * message is in the lexer's error field. */
struct tmpl_item {
    enum tmpl_item_type type;
    size_t pos;
    size_t len;
    int line;
};

struct tmpl_lexer {
    const char *text;
    size_t len;
    size_t pos;
    int line;
    bool in_action;
    bool at_delim; /* text item emitted; the left delimiter at pos is next */
    bool done;
    int paren_depth;
    char error[160];
};

void tmpl_lexer_init(struct tmpl_lexer *l, const char *text, size_t len);
/* Scans the next item. After EOF or an error every call returns the same. */
void tmpl_lexer_next(struct tmpl_lexer *l, struct tmpl_item *ret);

/* --------------------------------------------------------------- literals */

/* strconv.UnquoteChar: decodes the character or escape at s[*i] (s[0..n))
 * and advances *i. A \x or octal escape gives a raw byte (*ret_is_byte).
 * quote is the enclosing quote, the only one that may be escaped. Returns
 * false on invalid syntax. */
bool tmpl_unquote_char(
        const char *s, size_t n, size_t *i, char quote, uint32_t *ret_rune, bool *ret_is_byte);
/* strconv.Unquote of a "..." or `...` literal (quotes included) appended to
 * b (NUL-terminated). Returns 0, -EBADMSG (invalid syntax), or b's errors. */
int tmpl_unquote(const char *s, size_t n, struct buf *b);
/* The rune of a 'x' literal: 0, -EBADMSG (invalid syntax) or -EDOM (more
 * than one character). */
int tmpl_unquote_rune(const char *s, size_t n, uint32_t *ret);

/* A number literal as parse.newNumber reads it. */
struct tmpl_number {
    bool is_int; /* usable where an int is required */
    int64_t int_value;
    bool is_float;
    double float_value;
    bool ideal_float;   /* where any type fits, it is a float64 (else an int) */
    bool overflows_int; /* a uint64 only: an error wherever it is used */
};
/* Parses s[0..n). Returns 0, -EBADMSG (illegal syntax), -ERANGE (integer
 * overflow) or -EOPNOTSUPP (imaginary: complex numbers are not
 * supported). */
int tmpl_number_parse(const char *s, size_t n, struct tmpl_number *ret);

/* --------------------------------------------------------------- the tree */

enum tmpl_node_type {
    TMPL_NODE_LIST,
    TMPL_NODE_TEXT,
    TMPL_NODE_ACTION,
    TMPL_NODE_IF,
    TMPL_NODE_RANGE,
    TMPL_NODE_WITH,
    TMPL_NODE_TEMPLATE,
    TMPL_NODE_BREAK,
    TMPL_NODE_CONTINUE,
    TMPL_NODE_PIPE,
    TMPL_NODE_COMMAND,
    TMPL_NODE_FIELD,
    TMPL_NODE_VARIABLE,
    TMPL_NODE_CHAIN,
    TMPL_NODE_IDENTIFIER,
    TMPL_NODE_DOT,
    TMPL_NODE_NIL,
    TMPL_NODE_BOOL,
    TMPL_NODE_NUMBER,
    TMPL_NODE_STRING,
    TMPL_NODE_END,  /* parse-time marker */
    TMPL_NODE_ELSE, /* parse-time marker */
    _TMPL_NODE_MAX,
};

struct tmpl_func;

struct tmpl_node {
    enum tmpl_node_type type;
    size_t pos;             /* byte offset in the source */
    struct tmpl_node *next; /* next sibling in a LIST, COMMAND or PIPE */
    /* LIST: items; COMMAND: operands; PIPE: commands */
    struct tmpl_node *first, *last;
    size_t count;
    /* ACTION/IF/RANGE/WITH/TEMPLATE: the pipeline (may be NULL for
     * TEMPLATE); CHAIN: the operand before the fields */
    struct tmpl_node *pipe;
    struct tmpl_node *list, *else_list; /* IF/RANGE/WITH */
    /* PIPE: declared or assigned variables */
    struct tmpl_node *decl[2];
    size_t n_decl;
    bool is_assign;
    /* TEXT: the bytes; NUMBER/STRING: source text; IDENTIFIER: name;
     * TEMPLATE: the template name */
    const char *text;
    size_t text_len;
    /* FIELD: names without dots; VARIABLE: "$x" then fields; CHAIN: fields */
    const char **idents;
    size_t n_idents;
    /* BOOL/NUMBER/STRING: the literal as used where any type fits (Go's
     * ideal constant); NULL for a number that overflows int */
    json_t *value;
    bool is_int; /* NUMBER: usable where an int is required */
    int64_t int_value;
    const struct tmpl_func *func; /* IDENTIFIER */
};

struct tmpl_def {
    const char *name;
    struct tmpl_node *root;
};

struct tmpl {
    char *name;
    char *text;
    size_t len;
    struct tmpl_arena arena;
    struct tmpl_def *defs;
    size_t n_defs;
    size_t main_def;   /* index of the template called name */
    json_t *def_index; /* name -> index in defs */
    json_t **literals; /* values owned by the tree */
    size_t n_literals;
    size_t cap_literals;
    bool mutates; /* uses set/unset: execute on a private copy of the data */
};

/* Parses text into t (name, text and len already set). Returns 0,
 * -EBADMSG, -ENOMEM; reterr filled on failure. */
int tmpl_parse(struct tmpl *t, struct tmpl_error *reterr);

/* A fixed buffer for messages: p[0..cap), always NUL-terminated (when cap
 * > 0); text past the end is silently dropped. */
struct tmpl_sbuf {
    char *p;
    size_t len;
    size_t cap;
};
void tmpl_sbuf_add(struct tmpl_sbuf *s, const char *p, size_t n);
/* Formatted text; at most 511 bytes per call. */
void tmpl_sbuf_addf(struct tmpl_sbuf *s, const char *fmt, ...) _printf_(2, 3);
/* Go's String() form of n (the <context> of execution errors), cut at the
 * buffer's end. */
void tmpl_node_string(struct tmpl_sbuf *s, const struct tmpl_node *n);
/* 1-based line and 0-based byte column of pos in text. */
void tmpl_position(const char *text, size_t len, size_t pos, int *ret_line, int *ret_col);

/* --------------------------------------------------------------- executor */

struct tmpl_limits {
    size_t max_output;
    size_t max_steps;
    size_t max_work_bytes;
    unsigned max_depth;
};

#define TMPL_LIMITS_DEFAULT                                      \
    ((struct tmpl_limits){.max_output = TMPL_MAX_OUTPUT,         \
                          .max_steps = TMPL_MAX_STEPS,           \
                          .max_work_bytes = TMPL_MAX_WORK_BYTES, \
                          .max_depth = TMPL_MAX_EXEC_DEPTH})

struct tmpl_var {
    const char *name;
    json_t *value;
};

struct tmpl_exec {
    const struct tmpl *t;
    const struct tmpl_def *def; /* template being executed */
    struct tmpl_limits lim;
    struct buf out;
    struct tmpl_var *vars;
    size_t n_vars;
    size_t cap_vars;
    size_t var_base; /* first variable visible in the current template */
    size_t steps;
    size_t work;
    unsigned depth;
    char fn_error[256]; /* why the current function call failed */
    struct tmpl_error *err;
};

/* Like tmpl_execute() with explicit limits (tests and fuzzers use small
 * ones). */
int tmpl_execute_limits(const struct tmpl *t,
                        const json_t *data,
                        const struct tmpl_limits *lim,
                        char **ret_output,
                        size_t *ret_len,
                        struct tmpl_error *reterr);

/* For function implementations: records why the call failed and returns
 * -EINVAL (reported as "error calling NAME: <message>"). */
int tmpl_fail(struct tmpl_exec *x, const char *fmt, ...) _printf_(2, 3);
/* Charges n bytes of produced data; -E2BIG past the work cap. */
int tmpl_charge(struct tmpl_exec *x, size_t n);
/* Bytes a function may still produce (the size for scratch buffers). */
size_t tmpl_work_left(const struct tmpl_exec *x);
/* New string value of s[0..n) (any bytes), charged. */
int tmpl_new_string(struct tmpl_exec *x, const char *s, size_t n, json_t **ret);
/* Moves a scratch buffer's contents into a new string value (charged); the
 * buffer is emptied. */
int tmpl_take_string(struct tmpl_exec *x, struct buf *b, json_t **ret);
/* New integer / boolean values. */
int tmpl_new_int(int64_t i, json_t **ret);
int tmpl_new_bool(bool b, json_t **ret);

/* -------------------------------------------------------------- functions */

enum tmpl_arg {
    TMPL_ARG_ANY, /* interface{} */
    TMPL_ARG_STRING,
    TMPL_ARG_INT,
    TMPL_ARG_BOOL,
    TMPL_ARG_MAP, /* map[string]interface{}; null is an empty map */
    _TMPL_ARG_MAX,
};

/* argv is borrowed (argc values, never NULL pointers; JSON null for nil);
 * *ret receives a new reference on success. */
typedef int (*tmpl_func_fn)(struct tmpl_exec *x, json_t *const *argv, size_t argc, json_t **ret);

enum {
    TMPL_FUNC_LAZY = 1 << 0,    /* and/or: arguments evaluated by the executor */
    TMPL_FUNC_MUTATES = 1 << 1, /* set/unset modify a map in place */
};

struct tmpl_func {
    const char *name;
    tmpl_func_fn fn;
    uint8_t n_fixed;
    bool variadic;
    uint8_t fixed[3]; /* enum tmpl_arg of each fixed parameter */
    uint8_t rest;     /* enum tmpl_arg of the variadic elements */
    uint8_t flags;
};

/* The function named name[0..len), or NULL. */
const struct tmpl_func *tmpl_func_lookup(const char *name, size_t len);
/* Go's spelling of a parameter type ("string", "int", ...). */
const char *tmpl_arg_name(enum tmpl_arg a);

/* The tables, one per source file, each sorted by name. */
extern const struct tmpl_func tmpl_funcs_builtin[];
extern const size_t tmpl_funcs_builtin_n;
extern const struct tmpl_func tmpl_funcs_string[];
extern const size_t tmpl_funcs_string_n;
extern const struct tmpl_func tmpl_funcs_data[];
extern const size_t tmpl_funcs_data_n;
extern const struct tmpl_func tmpl_funcs_encode[];
extern const size_t tmpl_funcs_encode_n;

/* ----------------------------------------------------------------- values */

/* Go's type name of a JSON value: "map[string]interface {}",
 * "[]interface {}", "string", "int", "float64", "bool", "<nil>". */
const char *tmpl_type_name(const json_t *v);
/* Go's truth: false, 0, "", empty list/map and nil are false. */
bool tmpl_truth(const json_t *v);
/* spf13/cast conversions as Sprig uses them (failures give 0). */
int64_t tmpl_to_int64(const json_t *v);
double tmpl_to_float64(const json_t *v);
/* strconv.ParseInt(s, 0, 64) (base prefixes, underscores); false on error. */
bool tmpl_parse_go_int(const char *s, size_t n, int64_t *ret);
/* Deep copy (scalars shared), charged to x. Returns 0, -E2BIG (work cap),
 * -ELOOP (deeper than TMPL_MAX_VALUE_DEPTH) or -ENOMEM. */
int tmpl_deep_copy(struct tmpl_exec *x, const json_t *v, json_t **ret);
/* reflect.DeepEqual of two JSON values (1 and 1.0 differ), charged. Same
 * returns as tmpl_deep_copy(). */
int tmpl_deep_equal(struct tmpl_exec *x, const json_t *a, const json_t *b, bool *ret);

/* An object member, for sorted iteration. */
struct tmpl_member {
    const char *key;
    size_t key_len;
    json_t *value; /* borrowed */
};
/* The members of obj sorted by key bytes (Go's map order for printing and
 * range), borrowed from obj. *ret is malloc'd (NULL when empty). The sort
 * is charged to x (16 bytes a member) unless x is NULL. Returns 0, -E2BIG
 * or -ENOMEM. */
int tmpl_sorted_members(struct tmpl_exec *x,
                        const json_t *obj,
                        struct tmpl_member **ret,
                        size_t *ret_n);

/* -------------------------------------------------------------------- fmt */

/* The fmt functions append to b and charge map sorting to x (may be NULL).
 * They return 0, -E2BIG (b's cap or x's work cap), -ELOOP (a value deeper
 * than TMPL_MAX_VALUE_DEPTH) or -ENOMEM; after a failure b holds no useful
 * text (buf_free() it).
 *
 * fmt.Sprint(v) for one value (%v). */
int tmpl_fmt_value(struct tmpl_exec *x, struct buf *b, const json_t *v);
/* fmt.Sprint / fmt.Sprintln of argv. */
int tmpl_fmt_sprint(struct tmpl_exec *x, struct buf *b, json_t *const *argv, size_t argc, bool ln);
/* fmt.Sprintf(format, argv...). */
int tmpl_fmt_sprintf(struct tmpl_exec *x,
                     struct buf *b,
                     const char *format,
                     size_t len,
                     json_t *const *argv,
                     size_t argc);
/* One directive's flags, width and precision. */
struct tmpl_fmt_spec {
    struct tmpl_exec *x; /* charged for sorting maps; may be NULL */
    bool minus, plus, sharp, space, zero;
    bool plus_v, sharp_v; /* %+v and %#v */
    bool wid_present, prec_present;
    int wid, prec;
};
/* Go's printArg: v printed with verb and f (bad verbs as %!verb(type=v)). */
int tmpl_fmt_print(struct buf *b, const struct tmpl_fmt_spec *f, const json_t *v, int verb);
/* strconv.Quote (ascii: strconv.QuoteToASCII). */
int tmpl_fmt_quote(struct buf *b, const char *s, size_t n, bool ascii);
/* Shortest decimal digits of d (finite, non-negative): digits[0..*nd),
 * value = 0.digits * 10^dp. */
void tmpl_float_digits(double d, char digits[32], int *nd, int *dp);
/* Decodes one UTF-8 sequence of s[0..n) (n > 0); invalid input gives
 * U+FFFD with length 1. Returns the length. */
size_t tmpl_utf8_decode(const char *s, size_t n, uint32_t *ret_rune);
/* Appends the UTF-8 encoding of r (invalid runes as U+FFFD). */
int tmpl_utf8_append(struct buf *b, uint32_t r);
/* unicode.IsSpace. */
bool tmpl_rune_is_space(uint32_t r);
/* strconv.IsPrint, approximated outside Latin-1 (controls, format
 * characters, line/paragraph separators, surrogates and private use are not
 * printable). */
bool tmpl_rune_is_print(uint32_t r);

/* ------------------------------------------------------------------- json */

/* encoding/json Marshal (pretty: MarshalIndent with two spaces; html:
 * escape <, > and &) appended to b. Object keys sorted (charged to x, which
 * may be NULL). Returns 0, -E2BIG, -ELOOP (deeper than
 * TMPL_MAX_VALUE_DEPTH) or -ENOMEM. */
int tmpl_json_encode(struct tmpl_exec *x, struct buf *b, const json_t *v, bool pretty, bool html);

/* --------------------------------------------------------------- workflow */

/* Validates an image reference with distribution/reference's
 * ParseNormalizedNamed grammar. Returns 0 or -EINVAL with the reason
 * (upstream's wording) in msg[0..msg_size). */
int tmpl_reference_validate(const char *ref, size_t len, char *msg, size_t msg_size);

/* A node of the rendered YAML, found by its path (RFC 6901 pointer). */
struct tmpl_yaml_query {
    const char *pointer;
    int line;     /* 1-based, 0 if not found */
    int column;   /* 1-based */
    char *scalar; /* malloc'd scalar text if the node is a scalar */
    size_t scalar_len;
};
/* Walks the first document of yaml with libyaml's event parser and fills
 * every query whose pointer matches a node. Returns 0 or -ENOMEM; syntax
 * errors stop the walk quietly (queries stay unfound). */
int tmpl_yaml_locate(const char *yaml, size_t len, struct tmpl_yaml_query *q, size_t n);
