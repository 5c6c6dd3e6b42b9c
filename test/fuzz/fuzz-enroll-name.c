/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name mangling and MAC normalisation on arbitrary agent IDs: any accepted
 * ID gives an RFC 1123 label (<= 63 of [a-z0-9-], alphanumeric at both ends,
 * no "--"), and a normalised MAC is a fixed point.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_label(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > ENROLL_NAME_MAX || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[] = {ENROLL_DISCOVERY_PREFIX, ENROLL_ENROLLMENT_PREFIX, ""};
    char norm[ENROLL_MAC_STRLEN + 1], again[ENROLL_MAC_STRLEN + 1];
    char *id;

    if (size > 4096)
        return 0;
    id = strndup((const char *)data, size);
    if (!id)
        return 0;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        char *name = NULL;
        int r = enroll_name_make(prefixes[i], id, &name);

        if (r == 0) {
            check_label(name);
            if (strncmp(name, prefixes[i], strlen(prefixes[i])) != 0 &&
                strlen(prefixes[i]) < ENROLL_NAME_MAX)
                abort();
        } else if (r != -EINVAL && r != -ENOMEM)
            abort();
        free(name);
    }
    if (enroll_mac_normalize(id, norm) == 0) {
        if (strlen(norm) != ENROLL_MAC_STRLEN || enroll_mac_normalize(norm, again) != 0 ||
            strcmp(norm, again) != 0)
            abort();
    }
    free(id);
    return 0;
}
