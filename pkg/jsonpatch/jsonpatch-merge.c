/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 7386 JSON Merge Patch.
 */
#include <errno.h>
#include <stdbool.h>

#include "base/macro.h"
#include "jsonpatch/jsonpatch.h"

/* Merges the object patch into target (an object we own), following RFC
 * 7386 §2:
 *
 *   if Patch is an Object:
 *     if Target is not an Object: Target = {}
 *     for each Name/Value pair in Patch:
 *       if Value is null: remove Name from Target
 *       else: Target[Name] = MergePatch(Target[Name], Value)
 *     return Target
 *   else: return Patch
 */
static int merge_object(json_t *target, const json_t *patch, unsigned depth)
{
    const char *key;
    size_t key_len;
    json_t *value;

    if (depth > JSON_MERGE_PATCH_MAX_DEPTH)
        return -ELOOP;

    json_object_keylen_foreach((json_t *)patch, key, key_len, value)
    {
        json_t *cur = json_object_getn(target, key, key_len), *child;
        int r;

        if (json_is_null(value)) {
            (void)json_object_deln(target, key, key_len); /* absent is fine */
            continue;
        }
        if (!json_is_object(value)) {
            child = json_deep_copy(value);
            if (!child)
                return -ENOMEM;
        } else if (json_is_object(cur)) {
            r = merge_object(cur, value, depth + 1);
            if (r < 0)
                return r;
            continue;
        } else {
            /* Absent or not an object: merge into a fresh {} so that nulls
             * inside the patch value are dropped, not stored. */
            child = json_object();
            if (!child)
                return -ENOMEM;
            r = merge_object(child, value, depth + 1);
            if (r < 0) {
                json_decref(child);
                return r;
            }
        }
        if (json_object_setn_new(target, key, key_len, child) < 0)
            return -ENOMEM;
    }
    return 0;
}

int json_merge_patch_apply(const json_t *target, const json_t *patch, json_t **ret)
{
    _cleanup_(json_decrefp) json_t *result = NULL;
    int r;

    assert_return(patch, -EINVAL);
    assert_return(ret, -EINVAL);

    if (!json_is_object(patch)) {
        result = json_deep_copy(patch);
        if (!result)
            return -ENOMEM;
        *ret = TAKE_PTR(result);
        return 0;
    }
    result = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (!result)
        return -ENOMEM;
    r = merge_object(result, patch, 1);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(result);
    return 0;
}

/* Fills patch with the members that turn original into modified (both
 * objects). */
static int
diff_object(const json_t *original, const json_t *modified, json_t *patch, unsigned depth)
{
    const char *key;
    size_t key_len;
    json_t *value;

    if (depth > JSON_MERGE_PATCH_MAX_DEPTH)
        return -ELOOP;

    json_object_keylen_foreach((json_t *)original, key, key_len, value)
    {
        if (json_object_getn(modified, key, key_len))
            continue;
        if (json_object_setn_new(patch, key, key_len, json_null()) < 0)
            return -ENOMEM;
    }

    json_object_keylen_foreach((json_t *)modified, key, key_len, value)
    {
        json_t *old = json_object_getn(original, key, key_len), *child;
        int r;

        if (old && json_is_object(old) && json_is_object(value)) {
            child = json_object();
            if (!child)
                return -ENOMEM;
            r = diff_object(old, value, child, depth + 1);
            if (r < 0 || json_object_size(child) == 0) {
                json_decref(child);
                if (r < 0)
                    return r;
                continue;
            }
        } else if (old && json_equal(old, value)) {
            continue;
        } else if (json_is_object(value)) {
            /* Added, or replacing a non-object: on the other side the value
             * merges into {}, so diff it against {} (which also enforces the
             * depth limit the other side will apply). */
            _cleanup_(json_decrefp) json_t *empty = json_object();
            child = json_object();
            if (!empty || !child) {
                json_decref(child);
                return -ENOMEM;
            }
            r = diff_object(empty, value, child, depth + 1);
            if (r < 0) {
                json_decref(child);
                return r;
            }
        } else {
            child = json_deep_copy(value);
            if (!child)
                return -ENOMEM;
        }
        if (json_object_setn_new(patch, key, key_len, child) < 0)
            return -ENOMEM;
    }
    return 0;
}

int json_merge_patch_create(const json_t *original, const json_t *modified, json_t **ret)
{
    _cleanup_(json_decrefp) json_t *patch = NULL;
    int r;

    assert_return(original, -EINVAL);
    assert_return(modified, -EINVAL);
    assert_return(ret, -EINVAL);

    if (!json_is_object(original) || !json_is_object(modified)) {
        patch = json_deep_copy(modified);
        if (!patch)
            return -ENOMEM;
        *ret = TAKE_PTR(patch);
        return 0;
    }
    patch = json_object();
    if (!patch)
        return -ENOMEM;
    r = diff_object(original, modified, patch, 1);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(patch);
    return 0;
}
