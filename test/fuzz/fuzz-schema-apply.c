/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes pkg/schema the way the API server feeds it: the input is a CRD
 * schema (JSON), a NUL byte, then a custom resource (JSON). The schema goes
 * through schema_check_structural(), then schema_apply() prunes, defaults
 * and validates the object whatever the check said (the server only applies
 * accepted schemas, but apply must stay safe on anything).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-cleanup.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct schema_result *res)
{
    for (size_t i = 0; i < res->n_causes; i++) {
        char *s = NULL;
        if (schema_cause_format(&res->causes[i], &s) == 0)
            free(s);
    }
    schema_result_clear(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t n1 = (size_t)(nul - data);
    _cleanup_json_ json_t *schema = json_loadb((const char *)data, n1, 0, NULL);
    _cleanup_json_ json_t *obj = json_loadb((const char *)nul + 1, size - n1 - 1, 0, NULL);
    if (!schema)
        return 0;
    struct schema_result res = {0};
    (void)schema_check_structural(schema, "spec.versions[0].schema.openAPIV3Schema", &res);
    drain(&res);
    if (!obj)
        return 0;
    (void)schema_apply(schema, obj, SCHEMA_PRUNE | SCHEMA_DEFAULT | SCHEMA_VALIDATE, &res);
    drain(&res);
    return 0;
}
