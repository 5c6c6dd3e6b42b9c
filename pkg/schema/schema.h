/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Structural OpenAPI v3 schemas of CustomResourceDefinitions, handled the way
 * kube-apiserver's apiextensions code does: the structural-schema check of a
 * CRD version's openAPIV3Schema, and for a custom resource pruning of unknown
 * fields, defaulting, OpenAPI validation, x-kubernetes-list-type checks and a
 * small subset of x-kubernetes-validations (CEL) rules.
 *
 * Failures come back as Kubernetes field errors (StatusCause triples) with
 * upstream's reasons, field paths and messages, so the embedded API server
 * can answer 422 Invalid the way kube-apiserver does. docs/schema.md lists
 * what is supported and where the module knowingly differs.
 *
 * The module keeps no state between calls and owns no global data; every
 * function is safe to call from several threads on distinct objects. The
 * schema is only read.
 */

#include <stddef.h>

#include <jansson.h>

/* Nesting limit for schemas and objects, and the per-call work budget in
 * visited nodes (schema_apply() answers -E2BIG past either). */
#define SCHEMA_MAX_DEPTH 128
#define SCHEMA_MAX_NODES (1024u * 1024u)

/* One field error. type is the StatusCause reason ("FieldValueInvalid",
 * "FieldValueRequired", ...), field the upstream field path
 * ("spec.interfaces[0].dhcp.mac", "<nil>" for the object itself) and message
 * the cause message without the field ("Invalid value: 5: spec.n in body
 * should be less than or equal to 3"). The full upstream error string is
 * "<field>: <message>" (see schema_cause_format()). */
struct schema_cause {
    char *type;
    char *field;
    char *message;
};

/* The outcome of a call: field errors in upstream order, and the paths of
 * pruned unknown fields, sorted ("spec.foo", "spec.list[0].bar"). Start from
 * a zeroed struct; the caller owns the contents and frees them with
 * schema_result_clear(). */
struct schema_result {
    size_t n_causes;
    struct schema_cause *causes;
    size_t n_unknown;
    char **unknown;
};

/* Frees the contents of *r and leaves it zeroed. NULL-safe. */
void schema_result_clear(struct schema_result *r);

/* Writes "<field>: <message>" (kube's field.Error.Error()) to *ret, which
 * the caller frees. Returns 0, -EINVAL on a NULL argument or -ENOMEM. */
int schema_cause_format(const struct schema_cause *c, char **ret);

/* Checks that schema (a CRD version's openAPIV3Schema) is a valid structural
 * schema as apiextensions requires for apiextensions.k8s.io/v1: every node
 * has a type unless x-kubernetes-int-or-string or
 * x-kubernetes-preserve-unknown-fields says otherwise; allOf/anyOf/oneOf/not
 * carry no type, default, nullable, additionalProperties, description, title
 * or x-kubernetes-* keys; properties and additionalProperties are exclusive;
 * list-type, pattern and metadata rules hold; and defaults are pruned and
 * valid. CEL rules are compiled: a rule outside the supported subset is
 * accepted here and skipped by schema_apply() (docs/schema.md).
 *
 * path_prefix is the field path of the schema in the CRD, e.g.
 * "spec.versions[0].schema.openAPIV3Schema" (NULL or "" for none); causes
 * are appended to ret. Returns 0 when the schema is acceptable, -EINVAL when
 * causes were added, -E2BIG past SCHEMA_MAX_DEPTH/SCHEMA_MAX_NODES, -ENOMEM.
 * On -E2BIG and -ENOMEM ret is cleared. */
int schema_check_structural(const json_t *schema, const char *path_prefix,
                            struct schema_result *ret);

enum {
    SCHEMA_PRUNE = 1,
    SCHEMA_DEFAULT = 2,
    SCHEMA_VALIDATE = 4,
};

/* Applies schema to the custom resource obj IN PLACE, in upstream order:
 *   SCHEMA_PRUNE:    drops fields the schema does not describe and records
 *                    their paths in ret->unknown (root apiVersion, kind and
 *                    metadata are always kept; x-kubernetes-preserve-unknown-
 *                    fields stops pruning below a node except inside its
 *                    declared properties; x-kubernetes-embedded-resource
 *                    keeps apiVersion/kind/metadata);
 *   SCHEMA_DEFAULT:  drops nulls of non-nullable fields without a default,
 *                    then fills in defaults for missing fields and for
 *                    nulls of non-nullable fields;
 *   SCHEMA_VALIDATE: OpenAPI validation, list-type set/map uniqueness and
 *                    the supported CEL rules, appending causes to ret.
 * The schema should have passed schema_check_structural(). The root
 * metadata is checked to be an object and its name/generateName against
 * the schema; the rest of metadata is the server's business.
 *
 * Returns 0 when valid, -EINVAL when causes were added, -E2BIG when obj or
 * schema passes SCHEMA_MAX_DEPTH or the call passes its work budget, -ENOMEM.
 * On -E2BIG and -ENOMEM ret is cleared and obj may be partly pruned or
 * defaulted; callers that need the original keep a copy. */
int schema_apply(const json_t *schema, json_t *obj, unsigned flags, struct schema_result *ret);
