/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BMC's answers reach pkg/bmc as a raw inventory object (what
 * redfish_inventory() assembles from untrusted Redfish resources). This
 * feeds arbitrary JSON to the inventory mapping, the MAC extraction and
 * onboarding, and, since the same object may as well be a hostile Task or
 * Job, to the action parser and the Job step.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bmc/bmc-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *raw, *out = NULL;
    char err[128];
    struct bmc_action a;
    struct bmc_connection c;

    if (size > 1 << 20)
        return 0;
    raw = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!raw)
        return 0;
    if (bmc_inventory_out_of_band(raw, 1794000000000LL, &out) == 0) {
        /* The result must serialise (valid UTF-8 strings only). */
        char *s = json_dumps(out, JSON_COMPACT);
        if (!s)
            __builtin_trap();
        free(s);
        json_decref(out);
    }
    if (bmc_inventory_macs(raw, &out) == 0) {
        size_t i;
        json_t *m;
        json_array_foreach(out, i, m)
        {
            if (strlen(json_string_value(m)) != 17)
                __builtin_trap();
        }
        json_decref(out);
    }
    json_t *machine = json_pack("{s:{s:s, s:s}}", "metadata", "name", "m", "namespace", "d");
    if (machine && bmc_onboard_hardware(machine, raw, &out) == 0)
        json_decref(out);
    if (bmc_action_parse(raw, &a, err, sizeof(err)) == 0)
        (void)bmc_action_describe(&a, err, sizeof(err));
    if (bmc_connection_parse(raw, "d", &c, err, sizeof(err)) == 0)
        bmc_connection_done(&c);
    if (json_is_object(raw) && json_object_get(raw, "metadata")) {
        struct bmc_job_plan p;
        const json_t *tasks[] = {raw};
        if (bmc_job_step(raw, machine, tasks, 1, 1794000000000LL, &p) == 0)
            bmc_job_plan_done(&p);
    }
    char *u = NULL, *pw = NULL, *ca = NULL;
    if (bmc_secret_ca(raw, &ca, err, sizeof(err)) == 0)
        free(ca);
    if (bmc_secret_credentials(raw, &u, &pw, err, sizeof(err)) == 0) {
        free(u);
        free(pw);
    }
    json_decref(machine);
    json_decref(raw);
    return 0;
}
