/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rendered-workflow parser: any bytes are parsed as a workflow. The result
 * must have the documented shape and satisfy every validation rule; errors
 * must be -EBADMSG/-EINVAL with a message. The same bytes are also checked
 * as an image reference.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(const json_t *v, bool map)
{
    if (map ? !json_is_object(v) : !json_is_array(v))
        abort();
    if (map) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) {
            if (!json_is_string(e))
                abort();
        }
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e))
                abort();
        }
    }
}

static void check_name(const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 199)
        abort();
}

static void check_workflow(const json_t *wf)
{
    const json_t *tasks = json_object_get(wf, "tasks");
    const json_t *version = json_object_get(wf, "version");
    size_t i, k;
    json_t *t, *a;

    check_name(json_object_get(wf, "name"));
    if (!version || !(json_is_null(version) || json_is_string(version)))
        abort();
    if (!json_is_integer(json_object_get(wf, "global_timeout")))
        abort();
    if (!json_is_array(tasks) || json_array_size(tasks) == 0)
        abort();
    json_array_foreach(tasks, i, t) {
        check_name(json_object_get(t, "name"));
        if (json_string_length(json_object_get(t, "worker")) == 0)
            abort();
        check_strings(json_object_get(t, "volumes"), false);
        check_strings(json_object_get(t, "environment"), true);
        json_array_foreach(json_object_get(t, "actions"), k, a) {
            const json_t *image = json_object_get(a, "image");
            check_name(json_object_get(a, "name"));
            if (tmpl_reference_validate(json_string_value(image), json_string_length(image), NULL,
                                        0) != 0)
                abort();
            if (!json_is_integer(json_object_get(a, "timeout")) ||
                json_integer_value(json_object_get(a, "retries")) < 0)
                abort();
            check_strings(json_object_get(a, "command"), false);
            check_strings(json_object_get(a, "volumes"), false);
            check_strings(json_object_get(a, "environment"), true);
            check_strings(json_object_get(a, "namespaces"), true);
            const json_t *pid = json_object_get(a, "pid");
            if (!pid || !(json_is_null(pid) || json_is_string(pid)))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tmpl_error err;
    json_t *wf = NULL;
    char msg[256];
    int r;

    if (size > 64 * 1024)
        return 0;
    memset(&err, 0, sizeof(err));
    r = tmpl_parse_workflow((const char *)data, size, &wf, &err);
    if (r == 0)
        check_workflow(wf);
    else if (r != -ENOMEM) {
        if ((r != -EBADMSG && r != -EINVAL) || wf)
            abort();
        if (!memchr(err.message, '\0', sizeof(err.message)) || err.message[0] == '\0')
            abort();
    }
    json_decref(wf);

    r = tmpl_reference_validate((const char *)data, size, msg, sizeof(msg));
    if (r != 0 && (r != -EINVAL || msg[0] == '\0'))
        abort();
    return 0;
}
