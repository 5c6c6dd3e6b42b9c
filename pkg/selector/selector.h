/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Kubernetes label and field selectors, parsed the way kube-apiserver parses
 * the `labelSelector` and `fieldSelector` query parameters of a LIST or WATCH
 * request, and evaluated against jansson objects.
 *
 * Label selectors (`app=web,tier in (a,b),!canary`) support `=`, `==`, `!=`,
 * `in (...)`, `notin (...)`, `>`, `<` (integer comparison), `key` (exists) and
 * `!key` (does not exist); terms joined by `,` must all hold. Field selectors
 * (`metadata.name=w1,status.phase!=Done`) support `=`, `==` and `!=` with
 * `\,`, `\=` and `\\` escapes in values.
 *
 * A parsed selector is immutable: matching it from several threads at once is
 * safe. Parsing allocates; nothing here logs.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/macro.h"

struct label_selector;
struct field_selector;

/* Parses a label selector. NULL or "" (or only whitespace) gives an empty
 * selector that matches everything.
 * Returns 0 and *ret (free with label_selector_free()); -EINVAL for a
 * malformed selector, with *ret_error (if ret_error is non-NULL) set to a
 * malloc'd message worded like kube-apiserver's (for a 400 BadRequest), e.g.
 * "unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt";
 * -ENOMEM. The message is always valid UTF-8 (hostile bytes are escaped or
 * replaced). Outputs are written only on the documented return. */
int label_selector_parse(const char *s, struct label_selector **ret, char **ret_error);

/* True when every requirement holds for labels (a JSON object of string
 * values, or NULL for "no labels"). A member whose value is not a string
 * counts as absent. A NULL selector matches everything. */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels);

/* True when the selector has no requirements (NULL counts as empty). */
bool label_selector_is_empty(const struct label_selector *sel);

/* Frees the selector. NULL-safe; returns NULL. */
struct label_selector *label_selector_free(struct label_selector *sel);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct label_selector *, label_selector_free);

/* Parses a field selector. NULL or "" gives an empty selector. Keys are not
 * validated here (kube-apiserver checks them against the resource's
 * selectable fields afterwards: see field_selector_term_key()).
 * Returns 0 and *ret (free with field_selector_free()); -EINVAL with
 * *ret_error (if non-NULL) set to a malloc'd UTF-8 message such as
 * "invalid selector: 'a'; can't understand 'a'" or
 * "invalid field selector: invalid escape sequence: \x"; -ENOMEM. */
int field_selector_parse(const char *s, struct field_selector **ret, char **ret_error);

/* Number of terms (0 for NULL or an empty selector). */
size_t field_selector_n_terms(const struct field_selector *sel);

/* Key (the left-hand side) of term i, borrowed from sel; NULL when i is out
 * of range. Terms are in byte order of their source text, as upstream sorts
 * them. */
const char *field_selector_term_key(const struct field_selector *sel, size_t i);

/* Evaluates each term against obj by walking the dotted key path through
 * nested objects. A missing member, a non-object on the way, or JSON null
 * reads as ""; strings compare by value; integers, reals and booleans by
 * their JSON text ("3", "1.5", "true"); objects and arrays equal nothing.
 * A NULL or empty selector matches everything. */
bool field_selector_matches(const struct field_selector *sel, const json_t *obj);

/* When the selector has exactly one `=`/`==` term on key, returns its value
 * (borrowed from sel) so a store can narrow a lookup (metadata.name,
 * metadata.namespace); the full selector must still be matched. Otherwise
 * NULL. */
const char *field_selector_exact_value(const struct field_selector *sel, const char *key);

/* Frees the selector. NULL-safe; returns NULL. */
struct field_selector *field_selector_free(struct field_selector *sel);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct field_selector *, field_selector_free);
