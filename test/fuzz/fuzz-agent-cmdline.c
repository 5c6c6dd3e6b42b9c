/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot environment's kernel command line (/proc/cmdline) and gateway
 * authorities, as agent_cmdline_parse() and agent_authority_parse() read
 * them. What parses must be usable as is: IDs and tokens free of control
 * characters and within their caps, authorities that parse again, booleans
 * in {-1, 0, 1}; refusals carry a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t max)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

static void check_authority(const char *s)
{
    char *host = NULL;
    uint16_t port = 0;
    int r = agent_authority_parse(s, &host, &port);

    if (r == 0) {
        if (!host || !host[0] || strlen(host) > AGENT_HOST_MAX || port == 0)
            abort();
        free(host);
    } else if (r != -EINVAL || host || port)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agent_cmdline c = AGENT_CMDLINE_INIT;
    char *err = NULL, *text;
    int r = agent_cmdline_parse((const char *)data, size, &c, &err);

    if (r == 0) {
        if (err)
            abort();
        check_text(c.worker_id, AGENTPROTO_ID_MAX);
        check_text(c.anvil_token, AGENTPROTO_TOKEN_MAX);
        if (c.tinkerbell_tls < -1 || c.tinkerbell_tls > 1 || c.tinkerbell_insecure_tls < -1 ||
            c.tinkerbell_insecure_tls > 1)
            abort();
        if (c.grpc_authority) {
            char *host = NULL;
            uint16_t port;
            if (agent_authority_parse(c.grpc_authority, &host, &port) != 0)
                abort();
            free(host);
        }
        agent_cmdline_done(&c);
    } else if (r == -EBADMSG || r == -E2BIG) {
        if (!err || c.worker_id)
            abort();
        free(err);
    } else if (r != -ENOMEM)
        abort();

    /* The same bytes as a --gateway value. */
    if (size > 1024)
        return 0;
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_authority(text);
    free(text);
    return 0;
}
