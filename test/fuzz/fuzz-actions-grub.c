/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GRUB configuration reader (kexec without KERNEL_PATH) on untrusted
 * text from the disk being provisioned: no crash, documented returns only,
 * and a kernel path that is a non-empty part of the input's line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *kernel = NULL, *initrd = NULL, *args = NULL;
    int r = actions_grub_default((const char *)data, size, &kernel, &initrd, &args);
    if (r != 0 && r != -ENOENT && r != -EFBIG && r != -ENOMEM)
        abort();
    if (r == 0) {
        if (!kernel || !args || strchr(kernel, '\n') || strchr(args, '\n'))
            abort();
        if (initrd && strchr(initrd, '\n'))
            abort();
        if (strlen(kernel) > size || strlen(args) > size)
            abort();
    }
    free(kernel);
    free(initrd);
    free(args);
    return 0;
}
