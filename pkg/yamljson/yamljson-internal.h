/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/yamljson, its tests and its fuzzer: scalar resolution, shared
 * by the parser (text -> typed value) and the dumper (does this string need
 * quotes?).
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define YAMLJSON_TAG_PREFIX "tag:yaml.org,2002:"

/* Resolves one scalar to a JSON value. tag is the node's resolved tag (NULL
 * when none was given, "!" for the non-specific tag), plain whether the
 * scalar was written without quotes or block indicators.
 * Untagged plain scalars follow the YAML 1.2 core schema: "", ~, null, Null,
 * NULL -> null; true/false in any case -> bool; [-+]?[0-9]+, 0x[0-9a-fA-F]+,
 * 0o[0-7]+ -> integer (a decimal past int64 -> real, or a string past double;
 * hex/octal past int64 -> string); [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
 * -> real (a string past double); [-+]?.inf and .nan -> error; anything else
 * -> string. Quoted/block scalars and "!" -> string. !!str !!int !!bool
 * !!float !!null demand their type; other tags are ignored.
 * Returns 0 and *ret; -EBADMSG with *ret_why (a static message) when the
 * text cannot be what the tag says or cannot be held by JSON; -ENOMEM. */
int yamljson_resolve_scalar(
        const char *tag, const char *s, size_t len, bool plain, json_t **ret, const char **ret_why);

/* True when the string must not be written as a plain scalar: it would read
 * back as another type under the rules above, or would under YAML 1.1 rules
 * (yes/no/on/off/y/n, number-like text, "<<"). */
bool yamljson_plain_needs_quotes(const char *s, size_t len);
