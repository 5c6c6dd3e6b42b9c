/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Template language: the input up to the first NUL is a template, the rest
 * (if any) a JSON data object; without valid JSON a Hardware-shaped object
 * is used. Compiling and executing must never crash or hang: the work caps
 * (lowered here so that each input stays fast) must stop every template.
 * Errors must carry a terminated, non-empty message; outputs must respect
 * the output cap; a successful render is also fed to the workflow parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_data[] =
        "{\"device_1\":\"52:54:00:12:34:56\",\"worker_id\":\"w\",\"l\":[1,\"a\",null,2.5],"
        "\"m\":{\"k\":\"v\",\"n\":1},\"Hardware\":{\"Disks\":[\"/dev/sda\"],\"Interfaces\":["
        "{\"DHCP\":{\"MAC\":\"52:54:00:12:34:56\",\"IP\":{\"Address\":\"10.0.0.2\","
        "\"Netmask\":\"255.255.255.0\"}}}],\"UserData\":\"#cloud-config\",\"Metadata\":{"
        "\"Instance\":{\"ID\":\"i-1\"}}},\"hardware\":{\"metadata\":{\"name\":\"n1\"}}}";

static void check_error(int r, const struct tmpl_error *err)
{
    if (r != -EBADMSG && r != -EINVAL && r != -E2BIG && r != -ENOMEM)
        abort();
    if (!memchr(err->message, '\0', sizeof(err->message)))
        abort();
    if (r != -ENOMEM && err->message[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tmpl_limits lim = {
            .max_output = 64 * 1024,
            .max_steps = 20000,
            .max_work_bytes = 1024 * 1024,
            .max_depth = 200,
    };
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    json_t *root = NULL;
    struct tmpl_error err;
    struct tmpl *t = NULL;
    char *out = NULL;
    size_t out_len = 0;
    int r;

    if (size > 64 * 1024)
        return 0;
    if (nul)
        root = json_loadb((const char *)nul + 1, size - len - 1, JSON_DECODE_ANY, NULL);
    if (!root)
        root = json_loads(default_data, 0, NULL);
    if (!root)
        return 0;

    r = tmpl_new(&t, "fuzz", text, len, &err);
    if (r < 0) {
        check_error(r, &err);
        if (t)
            abort();
        goto out;
    }
    r = tmpl_execute_limits(t, root, &lim, &out, &out_len, &err);
    if (r < 0) {
        check_error(r, &err);
        if (out)
            abort();
        goto out;
    }
    if (out_len > lim.max_output || out[out_len] != '\0')
        abort();

    json_t *wf = NULL;
    r = tmpl_parse_workflow(out, out_len, &wf, &err);
    if (r < 0)
        check_error(r, &err);
    json_decref(wf);
out:
    free(out);
    tmpl_free(t);
    json_decref(root);
    return 0;
}
