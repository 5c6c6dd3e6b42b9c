/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Tinkerbell workflow templates.
 *
 * The template language is the subset of Go's text/template that Tinkerbell
 * templates use, executed with missingkey=error: text and {{ }} actions with
 * trim markers, comments, field paths, variables, pipelines, if/else
 * if/range/with/define/template/block, break/continue, Go literals, Go's
 * truth rules, the text/template builtins, the hermetic Sprig functions
 * that templates use, and Tinkerbell's formatPartition,
 * netmaskToPrefixLength, toYaml and fromYaml. Values are jansson values:
 * the data is a JSON object, JSON integers behave as Go ints and JSON reals
 * as float64. Errors are worded like Go's ("template: NAME:3:14: executing
 * \"NAME\" at <.device_2>: map has no entry for key \"device_2\"").
 *
 * Execution is bounded so that a hostile template cannot hang or exhaust
 * memory: output, evaluation steps, bytes produced by functions and nesting
 * are all capped (the TMPL_MAX_* constants below).
 *
 * The second half parses the rendered text as a Tinkerbell workflow
 * (Template.spec.data) with pkg/yamljson and validates it as upstream does.
 *
 * All functions are reentrant and nothing here logs. A compiled struct tmpl
 * is immutable: it may be executed from several threads at once.
 */

#include <stddef.h>

#include <jansson.h>

/* Largest template source accepted, in bytes. */
#define TMPL_MAX_TEXT (1024u * 1024)
/* Largest rendered output, in bytes (Tinkerbell's maxRenderBytes). */
#define TMPL_MAX_OUTPUT (256u * 1024)
/* Most evaluation steps (nodes walked, commands run, loop iterations) per
 * execution. */
#define TMPL_MAX_STEPS 1000000u
/* Most bytes that functions may produce in total during one execution
 * (strings, lists, copies); containers count 16 bytes per element. */
#define TMPL_MAX_WORK_BYTES (64u * 1024 * 1024)
/* Deepest evaluation (nested actions, parenthesised pipelines and
 * {{template}} calls together). */
#define TMPL_MAX_EXEC_DEPTH 1000u
/* Deepest parse nesting (control blocks and parentheses). */
#define TMPL_MAX_NESTING 100u
/* Most variables in scope at one point of a template. */
#define TMPL_MAX_VARS 1000u
/* Deepest value that printing, copying, comparing or encoding walks. */
#define TMPL_MAX_VALUE_DEPTH 512u

/* Where and why rendering or parsing failed. line and column are 1-based
 * (column counts bytes; 0 when unknown). message is NUL-terminated and
 * truncated to fit. For template errors it reads exactly like Go's, whose
 * "NAME:LINE:COL" shows the 0-based byte column (column - 1). */
struct tmpl_error {
    int line;
    int column;
    char message[512];
};

/* A compiled template (opaque). */
struct tmpl;

/* Compiles text[0..len) (need not be NUL-terminated) under name (used in
 * error messages and as the name of the main template; NULL means
 * "workflow-template"). *ret is owned by the caller (tmpl_free()).
 * Returns 0; -EBADMSG for a syntax error (undefined function or variable,
 * bad literal, unbalanced control, nesting past TMPL_MAX_NESTING, more than
 * TMPL_MAX_VARS variables in scope, ...);
 * -E2BIG when len > TMPL_MAX_TEXT; -ENOMEM; -EINVAL for NULL text/ret.
 * reterr (may be NULL) is filled on every failure. */
int tmpl_new(struct tmpl **ret,
             const char *name,
             const char *text,
             size_t len,
             struct tmpl_error *reterr);

/* Frees t; accepts NULL and returns NULL. */
struct tmpl *tmpl_free(struct tmpl *t);

/* Executes t with data (a JSON value, normally an object; borrowed, never
 * modified) as dot and $. On success *ret_output is malloc'd and
 * NUL-terminated (the caller frees it) and *ret_len (if ret_len is non-NULL)
 * is its length; the output may contain NUL bytes only if the template
 * writes them. Returns 0; -EINVAL for an execution error (missing map key,
 * wrong argument count or type, a function failing, an undefined
 * {{template}}) or NULL arguments; -E2BIG when the output passes
 * TMPL_MAX_OUTPUT or execution passes a work cap (steps, bytes, depth);
 * -ENOMEM. reterr (may be NULL) is filled on every failure. Thread-safe. */
int tmpl_execute(const struct tmpl *t,
                 const json_t *data,
                 char **ret_output,
                 size_t *ret_len,
                 struct tmpl_error *reterr);

/* tmpl_new() and tmpl_execute() in one call: renders text[0..len) with data.
 * Returns 0, -EBADMSG (parse error), -EINVAL (execution error), -E2BIG
 * (text, output or work cap) or -ENOMEM; outputs as tmpl_execute(). */
int tmpl_render(const char *name,
                const char *text,
                size_t len,
                const json_t *data,
                char **ret_output,
                size_t *ret_len,
                struct tmpl_error *reterr);

/* Parses a rendered Tinkerbell workflow (the YAML of Template.spec.data
 * after rendering; the first document counts, as with Go's yaml.v3) and
 * validates it as upstream does. On success *ret (owned by the caller) is
 *
 *   {"name": str, "version": str|null, "global_timeout": int,
 *    "tasks": [{"name": str, "worker": str, "volumes": [str],
 *               "environment": {str: str},
 *               "actions": [{"name": str, "image": str, "timeout": int,
 *                            "command": [str], "volumes": [str],
 *                            "environment": {str: str}, "pid": str|null,
 *                            "namespaces": {"network"?: str, "pid"?: str},
 *                            "retries": int}]}]}
 *
 * Absent integers are 0; absent lists and maps are empty; scalars in string
 * fields become their YAML text (`COMPRESSED: true` gives "true", `V: 1.10`
 * gives "1.10"), as yaml.v3 decoding into Go strings does; reals in integer
 * fields are truncated; unknown keys are ignored. "retries" is an anvil
 * extension (upstream ignores the key) and must be a non-negative integer.
 *
 * Returns 0; -EBADMSG for YAML that does not parse or does not fit the
 * shape (a mapping where a string belongs, a string where an integer
 * belongs, ...), with line and column; -EINVAL for a broken rule (name
 * 1-199 bytes for the workflow, every task and every action; at least one
 * task; unique task names; unique action names within a task; every image a
 * valid OCI reference; every task's worker non-empty; retries >= 0), the
 * message naming the rule and, where known, line and column of the value;
 * -ENOMEM; -EINVAL for NULL yaml/ret. reterr (may be NULL) is filled on
 * every failure. len is the caller's to bound (normally the output of
 * tmpl_render(), at most TMPL_MAX_OUTPUT). */
int tmpl_parse_workflow(const char *yaml, size_t len, json_t **ret, struct tmpl_error *reterr);
