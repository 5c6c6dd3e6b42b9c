/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field selector parser: any bytes (up to the first NUL) are parsed; a parsed
 * selector is inspected and matched against a fixed object, and an error
 * message must be valid UTF-8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "selector/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct field_selector *sel = NULL;
    char *error = NULL;
    char *s;
    int r;

    if (size > 64 * 1024)
        return 0;
    s = strndup((const char *)data, size);
    if (!s)
        return 0;
    r = field_selector_parse(s, &sel, &error);
    if (r == 0) {
        json_t *obj = json_pack("{s:{s:s, s:s, s:i}, s:{s:b, s:f, s:[s], s:n}}", "metadata", "name",
                                "w1", "namespace", "ns", "generation", 3, "spec", "on", 1, "ratio",
                                1.5, "tags", "a", "nil");
        size_t n = field_selector_n_terms(sel);
        for (size_t i = 0; i < n; i++)
            if (!field_selector_term_key(sel, i))
                abort();
        if (field_selector_term_key(sel, n))
            abort();
        (void)field_selector_exact_value(sel, "metadata.name");
        (void)field_selector_matches(sel, obj);
        (void)field_selector_matches(sel, NULL);
        json_decref(obj);
        if (error)
            abort();
    } else if (r == -EINVAL) {
        json_t *msg;
        if (!error)
            abort();
        msg = json_string(error);
        if (!msg)
            abort();
        json_decref(msg);
    } else if (r != -ENOMEM)
        abort();
    field_selector_free(sel);
    free(error);
    free(s);
    return 0;
}
