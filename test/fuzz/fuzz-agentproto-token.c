/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent tokens. The input is verified as a token under a fixed key (only
 * tokens minted with that key pass, and then byte for byte as minted), and,
 * read as an agent ID, minted and verified back: a minted token verifies for
 * its agent before expiry and fails with the documented codes otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto/agentproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEY[] = "fuzz-key-0123456789abcdef";
#define KEYLEN (sizeof(KEY) - 1)

static void check_mint(const char *id, int64_t expiry)
{
    char *tok = NULL;
    int r = agentproto_token_mint(KEY, KEYLEN, id, expiry, &tok);

    if (r == -EINVAL || r == -ENOMEM)
        return;
    if (r != 0 || !tok || strlen(tok) > AGENTPROTO_TOKEN_MAX)
        abort();
    if (agentproto_token_verify(KEY, KEYLEN, tok, id, expiry - 1, NULL) != 0)
        abort();
    if (agentproto_token_verify(KEY, KEYLEN, tok, id, expiry, NULL) != -EKEYEXPIRED)
        abort();
    if (strcmp(id, "x") != 0 && agentproto_token_verify(KEY, KEYLEN, tok, "x", 0, NULL) != -EPERM)
        abort();
    if (agentproto_token_verify("another-key-0123456789", 22, tok, id, 0, NULL) != -EKEYREJECTED)
        abort();
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t expiry = 0;
    char *s;
    int r;

    if (size > 4096)
        return 0;
    s = strndup((const char *)data, size);
    if (!s)
        return 0;
    r = agentproto_token_verify(KEY, KEYLEN, s, "agent", 0, &expiry);
    if (r == 0) {
        /* Only a token minted with KEY verifies (the seed corpus holds
         * some), and the encoding is canonical: minting again gives the
         * very same text. */
        char *again = NULL;
        if (agentproto_token_mint(KEY, KEYLEN, "agent", expiry, &again) != 0 ||
            strcmp(again, s) != 0)
            abort();
        free(again);
    } else if (r != -EBADMSG && r != -EKEYREJECTED && r != -EPERM && r != -ENOMEM)
        abort(); /* expiry is > 0 by construction, so never -EKEYEXPIRED at 0 */
    {
        uint64_t u = 0;
        for (size_t i = 0; i < size && i < 8; i++)
            u = (u << 8) | data[i];
        expiry = u > 0 && u <= INT64_MAX ? (int64_t)u : 1700000000;
    }
    check_mint(s, expiry);
    free(s);
    return 0;
}
