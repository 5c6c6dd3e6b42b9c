/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anvil-boot's HTTP path routing: a request path (as libwebsockets hands it
 * over, already decoded) through boot_path_parse() and, for binaries, the
 * name policy the handler applies, with the promised invariants checked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot-internal.h"
#include "tftp/tftp.h"

#define check(cond)  \
    do {             \
        if (!(cond)) \
            abort(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *path = malloc(size + 1);
    if (!path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    struct boot_path p;
    int r = boot_path_parse(path, &p);
    check(r == 0 || r == -ENOENT || r == -EACCES || r == -EINVAL);
    if (r == 0) {
        check(p.route > BOOT_ROUTE_NONE && p.route < _BOOT_ROUTE_MAX);
        check(p.rest >= path && p.rest <= path + strlen(path));
        switch (p.route) {
        case BOOT_ROUTE_BINARY: {
            enum tftp_root root;
            char *file = NULL;
            int k = tftp_path_map(NULL, p.rest, strlen(p.rest), &root, &file);
            check(k == 0 || k == -EACCES || k == -ENOENT || k == -ENOMEM);
            if (k == 0) {
                /* Only names from the iPXE table are ever opened. */
                check(root == TFTP_ROOT_IPXE);
                check(!strchr(file, '/') && strcmp(file, "..") != 0);
                free(file);
            }
            break;
        }
        case BOOT_ROUTE_SCRIPT:
            check(p.mac[0] == '\0' || strlen(p.mac) == 17);
            break;
        case BOOT_ROUTE_BOOTENV:
            /* A single file name inside --bootenv-dir, never a path. */
            check(p.rest[0] && p.rest[0] != '.' && !strchr(p.rest, '/'));
            break;
        default:
            break;
        }
    }
    free(path);
    return 0;
}
