/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 6902 JSON patch: the input is split at the first NUL (or the middle)
 * into a document and a patch, both JSON, and the patch is applied. Only the
 * documented results may come back, every failure but -ENOMEM carries a
 * message, and the input document must be left untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpatch/jsonpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t split = nul ? (size_t)(nul - data) : size / 2;
    size_t rest = nul ? split + 1 : split;
    json_t *doc, *ops, *before = NULL, *result = NULL;
    char *error = NULL;
    int r;

    if (size > 256 * 1024)
        return 0;
    doc = json_loadb((const char *)data, split, JSON_DECODE_ANY, NULL);
    ops = json_loadb((const char *)data + rest, size - rest, JSON_DECODE_ANY, NULL);
    if (!doc || !ops)
        goto out;
    before = json_deep_copy(doc);

    r = json_patch_apply(doc, ops, &result, &error);
    switch (r) {
    case 0:
        if (!result || error)
            abort();
        break;
    case -EINVAL:
    case -E2BIG:
    case -ENOENT:
    case -ECANCELED:
        if (result || !error)
            abort();
        break;
    case -ENOMEM:
        break;
    default:
        abort();
    }
    if (before && !json_equal(before, doc))
        abort();
out:
    json_decref(doc);
    json_decref(ops);
    json_decref(before);
    json_decref(result);
    free(error);
    return 0;
}
