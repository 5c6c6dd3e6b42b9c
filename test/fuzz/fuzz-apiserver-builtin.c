/* SPDX-License-Identifier: Apache-2.0 */
/* Kind-specific validation of the built-ins (Secret and ConfigMap data, base64,
 * Event and Lease fields). Input: one byte choosing the kind, then the object
 * as JSON text, as a client sends it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *group, *plural;
    } kinds[] = {
            {"", "secrets"},
            {"", "configmaps"},
            {"", "events"},
            {"coordination.k8s.io", "leases"},
    };
    if (size < 1 || size > 65536)
        return 0;
    struct api_resource res = {.group = (char *)kinds[data[0] % 4].group,
                               .plural = (char *)kinds[data[0] % 4].plural,
                               .builtin = true};
    json_t *obj = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    json_t *causes = json_array();
    char *msg = NULL;
    if (obj && causes)
        (void)api_validate_builtin(&res, obj, causes, &msg);
    free(msg);
    json_decref(causes);
    json_decref(obj);
    /* The same bytes as one base64 value. */
    char *s = malloc(size);
    if (s) {
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        size_t n, off;
        (void)api_base64_check(s, &n, &off);
        free(s);
    }
    return 0;
}
