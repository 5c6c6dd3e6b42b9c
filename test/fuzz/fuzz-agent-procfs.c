/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's readers of machine text: /proc/cpuinfo, /proc/meminfo, and the
 * cleaning of sysfs values and action output. The first byte picks the
 * parser. Whatever comes out must be valid JSON text (so valid UTF-8)
 * within the documented caps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/agent-internal.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s, size_t max, bool controls_ok)
{
    size_t n = strlen(s);

    if (n > max)
        abort();
    for (size_t i = 0; i < n;) {
        size_t l = base_utf8_decode(s + i, n - i, NULL);
        if (l == 0 || (!controls_ok && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)))
            abort();
        i += l;
    }
}

static void check_cpu(const char *text, size_t len)
{
    json_t *cpu = NULL;
    int r = agent_cpuinfo_parse(text, len, &cpu);

    if (r == -ENODATA || r == -ENOMEM)
        return;
    if (r != 0 || !json_is_object(cpu))
        abort();
    char *out = json_dumps(cpu, JSON_COMPACT);
    if (!out)
        abort();
    free(out);
    json_t *procs = json_object_get(cpu, "processors");
    json_int_t threads = json_integer_value(json_object_get(cpu, "totalThreads"));
    json_int_t cores = json_integer_value(json_object_get(cpu, "totalCores"));
    if (json_array_size(procs) == 0 || json_array_size(procs) > AGENT_PROCESSORS_MAX ||
        threads < (json_int_t)json_array_size(procs) || cores < 1 || cores > threads)
        abort();
    json_decref(cpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data + 1;
    uint64_t mem;
    char *s;

    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        check_cpu(text, size - 1);
        break;
    case 1: {
        int r = agent_meminfo_parse(text, size - 1, &mem);
        if (r != 0 && r != -ENODATA && r != -ERANGE)
            abort();
        char out[32];
        if (r == 0)
            agent_size_format(mem, out);
        break;
    }
    case 2:
        s = agent_text_clean(text, size - 1, AGENT_VALUE_MAX);
        if (s) {
            check_utf8(s, AGENT_VALUE_MAX, false);
            free(s);
        }
        break;
    default:
        s = agent_message_clean(text, size - 1, 64);
        if (s) {
            check_utf8(s, 64, true);
            free(s);
        }
        break;
    }
    return 0;
}
