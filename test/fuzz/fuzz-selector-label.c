/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Label selector parser: any bytes (up to the first NUL, as a query
 * parameter would arrive) are parsed; a parsed selector is matched against a
 * fixed label set, and an error message must be valid UTF-8.
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
    struct label_selector *sel = NULL;
    char *error = NULL;
    char *s;
    int r;

    if (size > 64 * 1024)
        return 0;
    s = strndup((const char *)data, size);
    if (!s)
        return 0;
    r = label_selector_parse(s, &sel, &error);
    if (r == 0) {
        json_t *labels = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "app", "web", "tier", "front",
                                   "n", "10", "empty", "", "example.com/role", "master", "num", 7);
        (void)label_selector_matches(sel, labels);
        (void)label_selector_matches(sel, NULL);
        (void)label_selector_is_empty(sel);
        json_decref(labels);
        if (error)
            abort(); /* no message on success */
    } else if (r == -EINVAL) {
        json_t *msg;
        if (!error)
            abort();
        msg = json_string(error);
        if (!msg)
            abort(); /* not valid UTF-8 */
        json_decref(msg);
    } else if (r != -ENOMEM)
        abort();
    label_selector_free(sel);
    free(error);
    free(s);
    return 0;
}
