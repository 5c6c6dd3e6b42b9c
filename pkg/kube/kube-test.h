/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Shared fixtures of the pkg/kube unit tests: a throwaway self-signed
 * certificate and key (P-256, CN=anvil-test, generated for these tests
 * only), temporary directories, files and template substitution.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf/buf.h"

static const char test_cert_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBgDCCASegAwIBAgIUfLRiI5vF1AY/6TqZK/pdqrNjyPkwCgYIKoZIzj0EAwIw\n"
        "FTETMBEGA1UEAwwKYW52aWwtdGVzdDAgFw0yNjExMjEwNzEwMDJaGA8yMTI2MTAy\n"
        "ODA3MTAwMlowFTETMBEGA1UEAwwKYW52aWwtdGVzdDBZMBMGByqGSM49AgEGCCqG\n"
        "SM49AwEHA0IABLVM5kTsZZS90bYw2oa6qPMfCp35dHpcRGIG5h5LMNTHe71XU9xB\n"
        "5aDYZDpbvj3cr16W7TJRTodWnTOKoyeXD8ijUzBRMB0GA1UdDgQWBBSeqIBkM/0g\n"
        "jbrMbTVcTsx9kDt2WjAfBgNVHSMEGDAWgBSeqIBkM/0gjbrMbTVcTsx9kDt2WjAP\n"
        "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIBTM5qu66/hW13mzPPzS\n"
        "zDyeuEF1z6FPZ0QtnXdSUWw3AiB0mfhfsAFfzSf0iVpHJjRXO9yPMFXyj9Oyq34p\n"
        "scfdlg==\n"
        "-----END CERTIFICATE-----\n";

static const char test_key_pem[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1s/+xw6S0bwRRY/h\n"
        "Lg/CC663GjUK0zs3VnO/By3NDEWhRANCAAS1TOZE7GWUvdG2MNqGuqjzHwqd+XR6\n"
        "XERiBuYeSzDUx3u9V1PcQeWg2GQ6W7493K9elu0yUU6HVp0ziqMnlw/I\n"
        "-----END PRIVATE KEY-----\n";

/* base64 of s, malloc'd. */
static inline char *test_base64(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

static inline void test_write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        abort();
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n)
        abort();
    close(fd);
    if (chmod(path, mode) < 0)
        abort();
    free(path);
}

/* Replaces every "@KEY@" of tmpl by its value (pairs end with NULL).
 * Returns a malloc'd string. */
static inline char *test_subst(const char *tmpl, const char *const *pairs)
{
    struct buf b = BUF_INIT(1 << 20);
    const char *p = tmpl;

    while (*p) {
        size_t best = SIZE_MAX;
        const char *hit = NULL;
        size_t k_best = 0;
        for (size_t k = 0; pairs[k]; k += 2) {
            const char *h = strstr(p, pairs[k]);
            if (h && (size_t)(h - p) < best) {
                best = (size_t)(h - p);
                hit = h;
                k_best = k;
            }
        }
        if (!hit) {
            if (buf_append_str(&b, p) < 0)
                abort();
            break;
        }
        if (buf_append(&b, p, (size_t)(hit - p)) < 0 || buf_append_str(&b, pairs[k_best + 1]) < 0)
            abort();
        p = hit + strlen(pairs[k_best]);
    }
    return buf_take(&b, NULL);
}

static inline void test_rm_rf(const char *dir)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "rm -rf '%s'", dir) < 0 || system(cmd) != 0)
        abort();
    free(cmd);
}
