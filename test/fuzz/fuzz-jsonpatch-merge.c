/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 7386 merge patch: the input is split at the first NUL (or the middle)
 * into a target and a patch, both JSON. The patch is applied; when the result
 * holds no null member (which a merge patch cannot express) the patch created
 * from target to result must reproduce the result.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpatch/jsonpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_null_member(const json_t *v)
{
    const char *key;
    json_t *child;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
        {
            if (json_is_null(child) || has_null_member(child))
                return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
        {
            if (has_null_member(child))
                return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t split = nul ? (size_t)(nul - data) : size / 2;
    size_t rest = nul ? split + 1 : split;
    json_t *target, *patch, *result = NULL, *again = NULL, *created = NULL;
    int r;

    if (size > 256 * 1024)
        return 0;
    target = json_loadb((const char *)data, split, JSON_DECODE_ANY, NULL);
    patch = json_loadb((const char *)data + rest, size - rest, JSON_DECODE_ANY, NULL);
    if (!target || !patch)
        goto out;

    r = json_merge_patch_apply(target, patch, &result);
    if (r != 0 && r != -ELOOP && r != -ENOMEM)
        abort();
    if (r == 0 && !has_null_member(result)) {
        r = json_merge_patch_create(target, result, &created);
        if (r != 0 && r != -ELOOP && r != -ENOMEM)
            abort();
        if (r == 0) {
            r = json_merge_patch_apply(target, created, &again);
            if (r == 0 && !json_equal(again, result))
                abort();
        }
    }
out:
    json_decref(target);
    json_decref(patch);
    json_decref(result);
    json_decref(created);
    json_decref(again);
    return 0;
}
