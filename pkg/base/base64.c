/* SPDX-License-Identifier: Apache-2.0 */
/* The one standard-base64 decoder: OpenSSL does the decoding, this checks
 * the alphabet and padding first and fixes the length OpenSSL reports. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "base/base64.h"

int base_base64_decode(const char *s, size_t len, size_t max, unsigned char **ret, size_t *ret_len)
{
    if (!s || !ret || !ret_len || len % 4 != 0 || len > (size_t)INT32_MAX)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || (ch == '=' && i >= len - 2);
        if (!ok || (ch != '=' && i > 0 && s[i - 1] == '='))
            return -EINVAL;
    }
    size_t pad = (len >= 1 && s[len - 1] == '=') + (len >= 2 && s[len - 2] == '=');
    size_t n = len / 4 * 3 - pad;
    if (n > max)
        return -EINVAL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return -ENOMEM;
    /* EVP_DecodeBlock counts the padding as zero bytes: n is the real length. */
    if (len && EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) < 0) {
        free(out);
        return -EINVAL;
    }
    out[n] = '\0';
    *ret = out;
    *ret_len = n;
    return 0;
}
