/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of the built-in kinds that kube-apiserver checks field by field
 * beyond object metadata: Secret and ConfigMap data (keys, base64, size),
 * Event namespaces and Lease durations. Each rule and its message follow
 * kube-apiserver's (k8s.io/kubernetes pkg/apis/core/validation,
 * pkg/apis/coordination/validation), found by running the e2e suite against
 * both servers (docs/fidelity.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "base/macro.h"

/* kube-apiserver's limit on the summed size of a ConfigMap's or Secret's data. */
#define MAX_DATA_BYTES (1024 * 1024)
#define MAX_KEY_LEN    253

static bool is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

static size_t skip_newlines(const char *s, size_t si, size_t n)
{
    while (si < n && (s[si] == '\r' || s[si] == '\n'))
        si++;
    return si;
}

/* Go's base64.StdEncoding.Decode, quantum by quantum, for its verdict and its
 * error offset (which, like Go's, counts skipped newlines oddly). */
int api_base64_check(const char *s, size_t *ret_decoded, size_t *bad_offset)
{
    if (!s)
        return -EINVAL;
    size_t n = strlen(s), si = 0, decoded = 0, bad;
    for (;;) {
        size_t j = 0;
        while (j < 4) {
            if (si == n) {
                if (j == 0)
                    goto done;
                bad = si - j; /* an unpadded final quantum */
                goto fail;
            }
            char c = s[si++];
            if (c == '\r' || c == '\n')
                continue;
            if (is_b64_char(c)) {
                j++;
                continue;
            }
            if (c != '=' || j < 2) {
                bad = si - 1;
                goto fail;
            }
            if (j == 2) { /* "==" expected: the second one must follow */
                si = skip_newlines(s, si, n);
                if (si == n) {
                    bad = n;
                    goto fail;
                }
                if (s[si] != '=') {
                    bad = si - 1;
                    goto fail;
                }
                si++;
            }
            si = skip_newlines(s, si, n);
            if (si < n) { /* anything after the padding */
                bad = si;
                goto fail;
            }
            decoded += j - 1;
            goto done;
        }
        decoded += 3;
    }
done:
    if (ret_decoded)
        *ret_decoded = decoded;
    return 0;
fail:
    if (bad_offset)
        *bad_offset = bad;
    return -EBADMSG;
}

bool api_is_config_key(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > MAX_KEY_LEN || strcmp(k, ".") == 0 || strncmp(k, "..", 2) == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void bad_key(json_t *causes, const char *map, const char *k)
{
    char field[MAX_KEY_LEN + 32];
    snprintf(field, sizeof(field), "%s[%s]", map, k);
    api_add_cause(causes, "FieldValueInvalid", field,
                  "%s: Invalid value: \"%s\": a valid config key must consist of alphanumeric "
                  "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
                  "regex used for validation is '[-._a-zA-Z0-9]+')",
                  field, k);
}

/* One data map: keys checked into causes; base64 values (b64) decoded for
 * their size, a bad one reported through ret_message. Adds to *total. */
static int check_map(const json_t *map,
                     const char *name,
                     const char *kind,
                     bool b64,
                     json_t *causes,
                     size_t *total,
                     char **ret_message)
{
    const char *k;
    json_t *v;
    if (!map || json_is_null(map))
        return 0;
    if (!json_is_object(map)) {
        api_add_cause(causes, "FieldValueTypeInvalid", name,
                      "%s: Invalid value: must be a map of strings", name);
        return 0;
    }
    json_object_foreach((json_t *)map, k, v) {
        if (!api_is_config_key(k))
            bad_key(causes, name, k);
        const char *val = json_string_value(v);
        if (!val) {
            if (!json_is_null(v))
                api_add_cause(causes, "FieldValueTypeInvalid", name,
                              "%s[%s]: Invalid value: must be a string", name, k);
            continue;
        }
        if (!b64) {
            *total += strlen(val);
            continue;
        }
        size_t n, off;
        if (api_base64_check(val, &n, &off) < 0) {
            char *m;
            if (asprintf(&m,
                         "%s in version \"v1\" cannot be handled as a %s: illegal base64 data at "
                         "input byte %zu",
                         kind, kind, off) < 0)
                return -ENOMEM;
            *ret_message = m;
            return -EBADMSG;
        }
        *total += n;
    }
    return 0;
}

static int check_data(const json_t *obj, bool secret, json_t *causes, char **ret_message)
{
    const char *kind = secret ? "Secret" : "ConfigMap";
    size_t total = 0;
    _cleanup_free_ char *msg = NULL;
    int r = check_map(json_object_get(obj, "data"), "data", kind, secret, causes, &total, &msg);
    if (r == 0 && !secret)
        r = check_map(json_object_get(obj, "binaryData"), "binaryData", kind, true, causes, &total,
                      &msg);
    if (r == -EBADMSG) {
        *ret_message = TAKE_PTR(msg);
        return r;
    }
    if (r < 0)
        return r;
    if (!secret) {
        const json_t *data = json_object_get(obj, "data"),
                     *bin = json_object_get(obj, "binaryData");
        const char *k;
        json_t *v;
        char field[MAX_KEY_LEN + 32];
        if (json_is_object(data) && json_is_object(bin))
            json_object_foreach((json_t *)data, k, v) {
                if (!json_object_get(bin, k))
                    continue;
                snprintf(field, sizeof(field), "data[%s]", k);
                api_add_cause(causes, "FieldValueInvalid", field,
                              "%s: Invalid value: \"%s\": duplicate of key present in binaryData",
                              field, k);
            }
    }
    /* kube-apiserver names the field "data" for a Secret and "[]" for a ConfigMap. */
    if (total > MAX_DATA_BYTES)
        api_add_cause(causes, "FieldValueTooLong", secret ? "data" : "[]",
                      "%s: Too long: may not be more than %d bytes", secret ? "data" : "[]",
                      MAX_DATA_BYTES);
    return 0;
}

static void check_event(const json_t *obj, json_t *causes)
{
    const char *ns = api_obj_str(obj, "metadata", "namespace");
    const char *ions = api_obj_str(obj, "involvedObject", "namespace");
    if (ions && *ions && ns && strcmp(ns, ions) != 0)
        api_add_cause(causes, "FieldValueInvalid", "involvedObject.namespace",
                      "involvedObject.namespace: Invalid value: \"%s\": does not match "
                      "event.namespace",
                      ions);
}

static void check_lease(const json_t *obj, json_t *causes)
{
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *d = json_object_get(spec, "leaseDurationSeconds");
    const json_t *t = json_object_get(spec, "leaseTransitions");
    if (json_is_integer(d) && json_integer_value(d) <= 0)
        api_add_cause(causes, "FieldValueInvalid", "spec.leaseDurationSeconds",
                      "spec.leaseDurationSeconds: Invalid value: %lld: must be greater than 0",
                      (long long)json_integer_value(d));
    if (json_is_integer(t) && json_integer_value(t) < 0)
        api_add_cause(causes, "FieldValueInvalid", "spec.leaseTransitions",
                      "spec.leaseTransitions: Invalid value: %lld: must be greater than or equal "
                      "to 0",
                      (long long)json_integer_value(t));
}

int api_validate_builtin(const struct api_resource *res,
                         const json_t *obj,
                         json_t *causes,
                         char **ret_message)
{
    if (!res || !obj || !causes || !ret_message)
        return -EINVAL;
    if (!res->builtin)
        return 0;
    if (res->group[0] == '\0' && strcmp(res->plural, "secrets") == 0)
        return check_data(obj, true, causes, ret_message);
    if (res->group[0] == '\0' && strcmp(res->plural, "configmaps") == 0)
        return check_data(obj, false, causes, ret_message);
    if (res->group[0] == '\0' && strcmp(res->plural, "events") == 0)
        check_event(obj, causes);
    else if (strcmp(res->group, "coordination.k8s.io") == 0 && strcmp(res->plural, "leases") == 0)
        check_lease(obj, causes);
    return 0;
}
