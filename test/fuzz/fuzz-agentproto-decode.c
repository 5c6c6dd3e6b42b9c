/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent WebSocket message decoder, fed raw frames as a peer would send them.
 * Failures must carry a valid UTF-8 message; whatever decodes must encode
 * (or only be too large once re-encoded), and re-decoding the encoding must
 * give the same text again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agentproto/agentproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *err)
{
    json_t *msg = err ? json_string(err) : NULL;

    if (!msg)
        abort();
    json_decref(msg);
}

static void check_reencode(const struct agentproto_msg *m)
{
    struct agentproto_msg *m2 = NULL;
    char *text = NULL, *text2 = NULL;
    size_t len = 0;
    int r = agentproto_encode(m, &text, &len, NULL);

    if (r == -EMSGSIZE || r == -ENOMEM)
        return;
    if (r != 0)
        abort(); /* decodable but not encodable: the two disagree */
    if (agentproto_decode(text, len, &m2, NULL) != 0 || m2->type != m->type)
        abort();
    if (agentproto_encode(m2, &text2, NULL, NULL) != 0 || strcmp(text, text2) != 0)
        abort();
    agentproto_msg_free(m2);
    free(text);
    free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agentproto_msg *m = NULL;
    char *err = NULL;
    int r;

    if (size > AGENTPROTO_MSG_MAX + 16)
        return 0;
    r = agentproto_decode(data, size, &m, &err);
    if (r == 0) {
        if (err || !m)
            abort();
        check_reencode(m);
    } else if (r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EMSGSIZE) {
        if (m)
            abort();
        check_message(err);
    } else if (r != -ENOMEM)
        abort();
    agentproto_msg_free(m);
    free(err);
    return 0;
}
