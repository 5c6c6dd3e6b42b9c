/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one piece of I/O in pkg/tftp: a tftp_read_fn over pread(2), for
 * callers that serve from an open file descriptor.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "tftp/tftp.h"

int tftp_read_pread(void *userdata, uint64_t offset, void *buf, size_t len)
{
    const int *fd = userdata;

    assert_return(fd && *fd >= 0, -EBADF);
    assert_return(buf || len == 0, -EINVAL);
    if (offset > (uint64_t)INT64_MAX)
        return -EOVERFLOW;
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        ssize_t n = pread(*fd, buf, len, (off_t)offset);
        if (n >= 0)
            return (int)n;
        if (errno != EINTR)
            return -errno;
    }
}
