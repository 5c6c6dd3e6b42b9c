/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig parsing: any bytes are parsed as a kubeconfig, with and without
 * an explicit context. Success gives a complete configuration; failure
 * gives -EINVAL with one line that starts with the file name (or -ENOMEM).
 * Nothing is executed at parse time. Inputs naming /dev, /proc or /sys are
 * skipped, so a file reference never reads a terminal or a pseudo file;
 * relative references resolve under a directory that does not exist.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/nonexistent-anvil-fuzz/kubeconfig"

static void check(int r, struct kube_config *c, char *err)
{
    if (r == 0) {
        if (!c || !c->server || !c->namespace_ || !c->source || err)
            abort();
        if (strncmp(c->server, "http://", 7) != 0 && strncmp(c->server, "https://", 8) != 0)
            abort();
        if (c->insecure && c->ca_pem)
            abort();
        if (!c->cert_pem != !c->key_pem)
            abort();
        if (c->exec_command && !c->exec_api_version)
            abort();
        if (c->token && !kube_token_valid(c->token))
            abort();
        kube_config_free(c);
        return;
    }
    if (r == -ENOMEM)
        return;
    if (r != -EINVAL || !err || strncmp(err, FUZZ_PATH ": ", strlen(FUZZ_PATH) + 2) != 0 ||
        strchr(err, '\n'))
        abort();
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct kube_config *c = NULL;
    char *err = NULL;

    if (size > 64 * 1024)
        return 0;
    if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
        memmem(data, size, "/sys", 4))
        return 0;
    int r = kube_config_parse(text, size, FUZZ_PATH, NULL, &c, &err);
    check(r, c, err);
    c = NULL;
    err = NULL;
    r = kube_config_parse(text, size, FUZZ_PATH, "x", &c, &err);
    check(r, c, err);
    return 0;
}
