/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902, with RFC 6901
 * pointers) over jansson values, for the API server's PATCH verbs
 * (application/merge-patch+json and application/json-patch+json) and for
 * clients that compute a merge patch from two versions of an object.
 *
 * Every function works on a private deep copy: inputs are never modified,
 * and results share no json_t with the inputs. Functions are reentrant;
 * nothing here logs.
 */

#include <jansson.h>

/* Deepest object nesting a merge patch may have (and json_merge_patch_create()
 * may produce). */
#define JSON_MERGE_PATCH_MAX_DEPTH 100
/* Most operations one JSON Patch document may hold. */
#define JSON_PATCH_MAX_OPS 10000
/* Most values that "copy" operations of one patch may duplicate in total
 * (counting every nested value), so a short patch cannot blow the document
 * up exponentially. */
#define JSON_PATCH_MAX_COPY_NODES 1000000
/* Deepest nesting a patched document may reach. */
#define JSON_PATCH_MAX_DEPTH 4096

/* Applies the RFC 7386 merge patch to target and returns the result as a new
 * value in *ret (owned by the caller; target is not modified). An object
 * patch merges member by member (null removes a member; a target that is not
 * an object is treated as {}); any other patch (array, string, number, null,
 * ...) replaces the target entirely. target may be NULL (treated as absent).
 * Returns 0, -ELOOP when the patch nests objects deeper than
 * JSON_MERGE_PATCH_MAX_DEPTH, -ENOMEM, or -EINVAL for a NULL patch/ret. */
int json_merge_patch_apply(const json_t *target, const json_t *patch, json_t **ret);

/* Computes the merge patch that turns original into modified, such that
 * json_merge_patch_apply(original, patch) equals modified: removed members
 * become null, changed members are replaced (arrays whole), unchanged members
 * are left out; identical inputs give {}. When either side is not an object
 * the patch is a copy of modified. A merge patch cannot set a member to null:
 * a null in modified is emitted as null, i.e. as a removal (RFC 7386 §1).
 * Returns 0 and *ret (new value), -ELOOP past JSON_MERGE_PATCH_MAX_DEPTH,
 * -ENOMEM, -EINVAL for NULL arguments. */
int json_merge_patch_create(const json_t *original, const json_t *modified, json_t **ret);

/* Applies the RFC 6902 patch ops (an array of operation objects: add, remove,
 * replace, move, copy, test; pointers per RFC 6901 with ~0/~1 escapes and "-"
 * for the end of an array) to doc and returns the patched document as a new
 * value in *ret. doc is not modified. The whole patch is validated before
 * anything is applied, and it applies atomically: on any failure nothing is
 * returned.
 *
 * Returns:
 *   0          success;
 *   -EINVAL    malformed patch document: ops not an array, an operation not
 *              an object, unknown or missing "op", missing or non-string
 *              "path"/"from", missing "value", or a pointer not starting
 *              with '/' or with a bad ~ escape (an HTTP server answers 400);
 *   -E2BIG     more than JSON_PATCH_MAX_OPS operations, copies past
 *              JSON_PATCH_MAX_COPY_NODES or a result deeper than
 *              JSON_PATCH_MAX_DEPTH (413 upstream);
 *   -ENOENT    well-formed, but a location does not exist: missing member,
 *              array index out of range or not a number, parent not a
 *              container (422);
 *   -ECANCELED well-formed, but the operation cannot hold: "test" compared
 *              unequal, "move" into one of its own children, "remove" of the
 *              whole document (422);
 *   -ENOMEM.
 * On every negative return except -ENOMEM, *ret_error (if ret_error is
 * non-NULL) gets a malloc'd message naming the operation index and path, e.g.
 * `operation 2 (replace) at "/spec/x": member "x" not found`. "test" compares
 * numbers by value (1 equals 1.0), as RFC 6902 §4.6 requires. */
int json_patch_apply(const json_t *doc, const json_t *ops, json_t **ret, char **ret_error);
