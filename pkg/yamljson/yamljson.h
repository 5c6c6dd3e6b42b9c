/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * YAML <-> jansson conversion on libyaml's event parser and emitter, for
 * manifests, kubeconfig files and application/apply-patch+yaml bodies.
 *
 * Plain scalars follow the YAML 1.2 core schema (null, booleans in any case,
 * integers in decimal, 0x hex and 0o octal, floats); quoted and block
 * scalars are strings; the tags !!str !!int !!bool !!float !!null decide
 * explicitly. Mapping keys are scalars and become their source text;
 * duplicate keys are an error. Anchors and aliases are expanded (deep
 * copies), with caps that defeat "billion laughs" documents. JSON input is
 * accepted (JSON text that libyaml rejects, such as \ud83d\ude00 surrogate
 * escapes, is read as JSON).
 *
 * The input size is the caller's to bound: memory use is linear in len plus
 * at most YAMLJSON_MAX_ALIAS_NODES nodes / YAMLJSON_MAX_ALIAS_BYTES bytes of
 * alias expansion per document. All functions are reentrant; nothing logs.
 */

#include <stddef.h>

#include <jansson.h>

/* Deepest collection nesting accepted by the parsers. */
#define YAMLJSON_MAX_DEPTH 256
/* Most nodes that aliases may copy in one document. */
#define YAMLJSON_MAX_ALIAS_NODES 100000
/* Most scalar and key bytes that aliases may copy in one document. */
#define YAMLJSON_MAX_ALIAS_BYTES (8u * 1024 * 1024)
/* Deepest value yamljson_dump() writes (jansson's own parse limit). */
#define YAMLJSON_MAX_DUMP_DEPTH 2048
/* Largest text yamljson_dump() produces. */
#define YAMLJSON_MAX_DUMP_BYTES (256u * 1024 * 1024)

/* Where and why parsing failed. line and column are 1-based (the column
 * counts characters, as libyaml does); message is NUL-terminated. */
struct yamljson_error {
    int line;
    int column;
    char message[160];
};

/* Parses exactly one YAML document of text[0..len) (text need not be
 * NUL-terminated) into *ret (owned by the caller). Empty documents (no
 * content at all, as in "---\n---\n") are skipped.
 * Returns 0; -EBADMSG for a syntax error, a duplicate key, a non-scalar key,
 * an unknown alias, a value its tag rejects, .inf/.nan (JSON cannot hold
 * them), nesting past YAMLJSON_MAX_DEPTH or alias expansion past the caps;
 * -ENODATA when the stream holds no document; -E2BIG when it holds more than
 * one; -ENOMEM. reterr (may be NULL) is filled on every failure except
 * -ENOMEM. */
int yamljson_parse(const char *text, size_t len, json_t **ret, struct yamljson_error *reterr);

/* Parses every document of a stream ("---" separated) into a JSON array,
 * skipping empty documents; an empty stream gives []. Same errors as
 * yamljson_parse() except -ENODATA and -E2BIG. */
int yamljson_parse_all(const char *text, size_t len, json_t **ret, struct yamljson_error *reterr);

/* Writes v as one block-style YAML document (libyaml emitter; members in
 * object order; multi-line strings as literal blocks; strings quoted
 * whenever plain text would read back as another type, including YAML 1.1
 * words such as yes/no/on/off and anything number-like), so that
 * yamljson_parse() of the output equals v. *ret is malloc'd and
 * NUL-terminated. Returns 0, -ELOOP past YAMLJSON_MAX_DUMP_DEPTH, -E2BIG past
 * YAMLJSON_MAX_DUMP_BYTES, -EINVAL for a NULL argument or a string that is
 * not valid UTF-8, -ENOMEM. */
int yamljson_dump(const json_t *v, char **ret);
