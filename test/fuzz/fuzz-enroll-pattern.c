/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pattern compiler and matcher. Input: pattern text, a NUL, then the event
 * (agent attributes) as JSON; without a NUL the whole input is the pattern
 * and a fixed attributes document is the event. A pattern that fails must
 * say why in valid UTF-8; one that compiles is matched, and the event also
 * goes through the discovery builders that consume untrusted attributes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enroll/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char FIXTURE[] =
        "{\"cpu\":{\"totalCores\":8,\"processors\":[{\"vendor\":\"GenuineIntel\"}]},"
        "\"blockDevices\":[{\"name\":\"sda\",\"size\":\"512GB\"}],"
        "\"networkInterfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\"}],"
        "\"chassis\":{\"vendor\":\"QEMU\",\"serial\":null},\"tags\":[],\"ratio\":2.5}";

static void check_builders(const json_t *event)
{
    json_t *hw = NULL, *macs = NULL;
    json_t *preregistered = json_pack("{s:{s:[{s:{s:s}}]}}", "spec", "interfaces", "dhcp", "mac",
                                      "52:54:00:12:34:56");
    int r;

    r = enroll_discovery_hardware("52:54:00:12:34:56", event,
                                  &(struct enroll_discovery_opts){.namespace = "default"}, &hw);
    if (r != 0 && r != -ENOMEM)
        abort();
    if (enroll_attributes_macs(event, "agent", &macs) == 0) {
        /* Every listed MAC is normalised. */
        for (size_t i = 0; i < json_array_size(macs); i++) {
            char norm[ENROLL_MAC_STRLEN + 1];
            const char *m = json_string_value(json_array_get(macs, i));
            if (!m || enroll_mac_normalize(m, norm) != 0 || strcmp(norm, m) != 0)
                abort();
        }
    }
    (void)enroll_hardware_match(preregistered, "agent", event);
    json_decref(preregistered);
    json_decref(macs);
    json_decref(hw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    struct enroll_pattern *p = NULL;
    json_t *event = NULL;
    char *text, *err = NULL;
    int r;

    if (size > 256 * 1024)
        return 0;
    text = strndup((const char *)data, plen);
    if (!text)
        return 0;
    if (nul)
        event = json_loadb((const char *)nul + 1, size - plen - 1, JSON_DECODE_ANY, NULL);
    if (!event)
        event = json_loads(FIXTURE, 0, NULL);
    r = enroll_pattern_compile(text, &p, &err);
    if (r == 0) {
        if (err)
            abort();
        (void)enroll_pattern_match(p, event);
    } else if (r == -EINVAL) {
        json_t *msg = err ? json_string(err) : NULL;
        if (!msg)
            abort(); /* a message, and valid UTF-8 */
        json_decref(msg);
    } else if (r != -ENOMEM)
        abort();
    check_builders(event);
    enroll_pattern_free(p);
    json_decref(event);
    free(err);
    free(text);
    return 0;
}
