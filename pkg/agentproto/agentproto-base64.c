/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpadded base64url (RFC 4648 §5) for agent tokens. The decoder is strict
 * so that every byte string has exactly one accepted spelling: no padding,
 * no characters outside the URL-safe alphabet, and zero unused bits in the
 * last character (RFC 4648 §3.5 lets decoders reject non-zero ones).
 */
#include <errno.h>

#include "agentproto/agentproto-internal.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void agentproto_b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

ssize_t agentproto_b64url_decode(const char *in, size_t len, uint8_t *out)
{
    size_t o = 0, rem = len % 4;
    uint32_t acc = 0;

    if (rem == 1)
        return -EBADMSG;
    for (size_t i = 0; i < len; i++) {
        int v = value_of(in[i]);
        if (v < 0)
            return -EBADMSG;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (rem == 2) {
        if (acc & 0xf)
            return -EBADMSG;
        out[o++] = (uint8_t)(acc >> 4);
    } else if (rem == 3) {
        if (acc & 0x3)
            return -EBADMSG;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    return (ssize_t)o;
}
