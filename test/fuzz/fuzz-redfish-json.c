/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redfish response bodies are untrusted: this feeds arbitrary bytes to the
 * parsing the client does on every answer (redfish_parse_object), then to
 * what it reads out of an object: collection members, links it would follow,
 * error texts cut into small buffers, PowerState, task states and allowable
 * values.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "redfish/redfish-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const links[] = {"Systems",       "SessionService", "EthernetInterfaces",
                                        "Processors",    "Memory",         "Storage",
                                        "SimpleStorage", "VirtualMedia",   "Bios"};
    json_t *obj = NULL, *members = NULL;
    char small[7], line[REDFISH_MESSAGE_MAX];

    if (size > 1 << 20)
        return 0;
    if (redfish_parse_object((const char *)data, size, &obj) < 0)
        return 0;
    if (redfish_members(obj, REDFISH_MEMBERS_MAX, &members) == 0) {
        size_t i;
        json_t *m;
        json_array_foreach(members, i, m)
        {
            if (redfish_path_check(json_string_value(m)) != 0)
                __builtin_trap(); /* members must only hold checked paths */
        }
        json_decref(members);
    }
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        const char *p = redfish_link(obj, links[i]);
        if (p && redfish_path_check(p) != 0)
            __builtin_trap();
    }
    (void)redfish_error_text(obj, small, sizeof(small));
    (void)redfish_error_text(obj, line, sizeof(line));
    if (strlen(small) >= sizeof(small))
        __builtin_trap();
    (void)redfish_power_from_string(json_string_value(json_object_get(obj, "PowerState")));
    json_t *reset = json_object_get(json_object_get(obj, "Actions"), "#ComputerSystem.Reset");
    (void)redfish_allowed(json_object_get(reset, "ResetType@Redfish.AllowableValues"),
                          "PowerCycle");
    (void)redfish_path_check(json_string_value(json_object_get(reset, "target")));
    json_decref(obj);
    return 0;
}
