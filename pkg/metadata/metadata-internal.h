/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to pkg/metadata, its tests and its fuzzer. */

#include <stddef.h>

#include "base/macro.h"
#include "metadata/metadata.h"

/* How a leaf gets its value from the Hardware's spec. */
enum metadata_leaf_kind {
    METADATA_LEAF_STRING,       /* the string at path[] under spec */
    METADATA_LEAF_EMPTY,        /* listed but never populated (as in Tootles) */
    METADATA_LEAF_TAGS,         /* metadata.instance.tags joined with "\n" */
    METADATA_LEAF_PUBLIC_IPV4,  /* first instance.ips[] with family 4 and public */
    METADATA_LEAF_LOCAL_IPV4,   /* first instance.ips[] with family 4, not public */
    METADATA_LEAF_PUBLIC_IPV6,  /* first instance.ips[] with family 6 */
    _METADATA_LEAF_KIND_MAX,
};

struct metadata_leaf {
    const char *path; /* below /2009-04-04, no leading slash */
    enum metadata_leaf_kind kind;
    const char *json[5]; /* METADATA_LEAF_STRING: keys under spec, NULL-terminated */
};

/* The leaves, sorted by path; the directories are their prefixes. */
extern const struct metadata_leaf metadata_leaves[];
extern const size_t metadata_leaves_count;

/*
 * Canonical form of a request path: components joined by '/', no leading
 * or trailing slash ("" for the root). Returns 0 and *ret (free() it),
 * -ENOENT for a path that can name nothing (see metadata_lookup()), or
 * -ENOMEM.
 */
int metadata_path_normalize(const char *path, char **ret);
