/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the agent key: the one place that reads it from a file or from a
 * Secret's base64 text, for anvil-controller and anvil-boot alike. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentproto/agentproto.h"
#include "base/base64.h"
#include "base/macro.h"

/* Drops the trailing newlines that echo(1) adds: they are not key material. */
static size_t trim_newlines(const unsigned char *k, size_t len)
{
    while (len > 0 && (k[len - 1] == '\n' || k[len - 1] == '\r'))
        len--;
    return len;
}

int agentproto_key_read_file(const char *path, unsigned char **ret, size_t *ret_len)
{
    if (!path || !ret || !ret_len)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unsigned char *k = malloc(AGENTPROTO_KEY_MAX + 1);
    size_t len = 0;
    int r = k ? 0 : -ENOMEM;
    while (r == 0) {
        ssize_t n = read(fd, k + len, AGENTPROTO_KEY_MAX + 1 - len);
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n == 0 || (n > 0 && (len += (size_t)n) > AGENTPROTO_KEY_MAX))
            break;
    }
    close(fd);
    len = trim_newlines(k ? k : (const unsigned char *)"", len);
    if (r == 0 && (len > AGENTPROTO_KEY_MAX || len < AGENTPROTO_TOKEN_KEY_MIN))
        r = -EINVAL;
    if (r < 0) {
        if (k)
            explicit_bzero(k, AGENTPROTO_KEY_MAX + 1);
        free(k);
        return r;
    }
    *ret = k;
    *ret_len = len;
    return 0;
}

int agentproto_key_from_base64(const char *b64, unsigned char **ret, size_t *ret_len)
{
    if (!b64 || !ret || !ret_len)
        return -EINVAL;
    unsigned char *k;
    size_t len;
    /* Newlines may follow the key (echo | base64); they are not key
     * material, so a few bytes past AGENTPROTO_KEY_MAX are decoded. */
    int r = base_base64_decode(b64, strlen(b64), (AGENTPROTO_KEY_MAX + 2) / 3 * 3 + 3, &k, &len);
    if (r < 0)
        return r;
    size_t klen = trim_newlines(k, len);
    if (klen < AGENTPROTO_TOKEN_KEY_MIN || klen > AGENTPROTO_KEY_MAX) {
        explicit_bzero(k, len);
        free(k);
        return -EINVAL;
    }
    *ret = k;
    *ret_len = klen;
    return 0;
}
