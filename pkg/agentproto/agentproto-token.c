/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent tokens:
 *
 *   token   = b64url(payload) "." b64url(HMAC-SHA256(key, payload))
 *   payload = agent-id "." expiry        (expiry: decimal Unix seconds)
 *
 * base64url is unpadded, so the token holds exactly one '.'; the agent ID
 * may itself contain dots, so the payload splits at its last one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agentproto/agentproto-internal.h"

#define MAC_LEN           32
#define MAC_B64_LEN       AGENTPROTO_B64_LEN(MAC_LEN)
#define KEY_MAX           (1024 * 1024)
#define EXPIRY_DIGITS_MAX 19

static int hmac(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[MAC_LEN])
{
    unsigned len = 0;

    if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) || len != MAC_LEN)
        return -EIO;
    return 0;
}

static bool agent_id_ok(const char *id, size_t n)
{
    if (n == 0 || n > AGENTPROTO_ID_MAX)
        return false;
    for (size_t i = 0; i < n;) {
        size_t l = base_utf8_decode((const unsigned char *)id + i, n - i, NULL);
        if (l == 0 || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return false;
        i += l;
    }
    return true;
}

int agentproto_token_mint(
        const void *key, size_t keylen, const char *agent_id, int64_t expiry_unix, char **ret)
{
    char payload[AGENTPROTO_ID_MAX + 1 + EXPIRY_DIGITS_MAX + 1];
    uint8_t mac[MAC_LEN];
    size_t plen, tlen;
    char *token;
    int r;

    assert_return(ret, -EINVAL);
    if (!key || keylen < AGENTPROTO_TOKEN_KEY_MIN || keylen > KEY_MAX || !agent_id ||
        !agent_id_ok(agent_id, strnlen(agent_id, AGENTPROTO_ID_MAX + 1)) || expiry_unix <= 0)
        return -EINVAL;
    plen = (size_t)snprintf(payload, sizeof(payload), "%s.%lld", agent_id, (long long)expiry_unix);
    r = hmac(key, keylen, payload, plen, mac);
    if (r < 0)
        return r;
    tlen = AGENTPROTO_B64_LEN(plen) + 1 + MAC_B64_LEN;
    if (tlen > AGENTPROTO_TOKEN_MAX)
        return -EINVAL;
    token = malloc(tlen + 1);
    if (!token)
        return -ENOMEM;
    agentproto_b64url_encode((const uint8_t *)payload, plen, token);
    token[AGENTPROTO_B64_LEN(plen)] = '.';
    agentproto_b64url_encode(mac, MAC_LEN, token + AGENTPROTO_B64_LEN(plen) + 1);
    *ret = token;
    return 0;
}

/* Splits the verified payload into the agent ID and the expiry. */
static int parse_payload(const char *p, size_t n, size_t *ret_id_len, int64_t *ret_expiry)
{
    const char *dot = NULL;
    size_t digits;
    int64_t e = 0;

    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == '.') {
            dot = p + i - 1;
            break;
        }
    if (!dot || !agent_id_ok(p, (size_t)(dot - p)))
        return -EBADMSG;
    digits = n - (size_t)(dot - p) - 1;
    if (digits == 0 || digits > EXPIRY_DIGITS_MAX || dot[1] == '0')
        return -EBADMSG;
    for (size_t i = 1; i <= digits; i++) {
        if (dot[i] < '0' || dot[i] > '9' || e > (INT64_MAX - (dot[i] - '0')) / 10)
            return -EBADMSG;
        e = e * 10 + (dot[i] - '0');
    }
    *ret_id_len = (size_t)(dot - p);
    *ret_expiry = e;
    return 0;
}

int agentproto_token_verify(const void *key,
                            size_t keylen,
                            const char *token,
                            const char *expected_agent_id,
                            int64_t now,
                            int64_t *ret_expiry)
{
    _cleanup_free_ uint8_t *payload = NULL;
    uint8_t mac[MAC_LEN + 3], want[MAC_LEN];
    const char *dot;
    size_t len, id_len;
    ssize_t plen, mlen;
    int64_t expiry;
    int r;

    if (!key || keylen < AGENTPROTO_TOKEN_KEY_MIN || keylen > KEY_MAX || !token ||
        !expected_agent_id)
        return -EINVAL;
    len = strnlen(token, AGENTPROTO_TOKEN_MAX + 1);
    if (len > AGENTPROTO_TOKEN_MAX)
        return -EBADMSG;
    dot = memchr(token, '.', len);
    if (!dot || dot == token || (size_t)(token + len - dot - 1) != MAC_B64_LEN)
        return -EBADMSG;
    payload = malloc(len);
    if (!payload)
        return -ENOMEM;
    plen = agentproto_b64url_decode(token, (size_t)(dot - token), payload);
    mlen = agentproto_b64url_decode(dot + 1, MAC_B64_LEN, mac);
    if (plen <= 0 || mlen != MAC_LEN)
        return -EBADMSG;
    r = hmac(key, keylen, payload, (size_t)plen, want);
    if (r < 0)
        return r;
    if (CRYPTO_memcmp(mac, want, MAC_LEN) != 0)
        return -EKEYREJECTED;
    r = parse_payload((const char *)payload, (size_t)plen, &id_len, &expiry);
    if (r < 0)
        return r;
    if (strlen(expected_agent_id) != id_len || memcmp(expected_agent_id, payload, id_len) != 0)
        return -EPERM;
    if (now >= expiry)
        return -EKEYEXPIRED;
    if (ret_expiry)
        *ret_expiry = expiry;
    return 0;
}
