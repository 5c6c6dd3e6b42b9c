/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/thread.h"

int base_thread_init(struct base_thread *t)
{
    t->running = false;
    t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return t->stop_fd < 0 ? -errno : 0;
}

int base_thread_start(struct base_thread *t, void *(*fn)(void *), void *arg)
{
    if (!t || t->stop_fd < 0 || t->running || !fn)
        return -EINVAL;
    int r = pthread_create(&t->thread, NULL, fn, arg);
    if (r != 0)
        return -r;
    t->running = true;
    return 0;
}

int base_thread_stop(struct base_thread *t)
{
    if (!t || !t->running)
        return 0;
    uint64_t one = 1;
    if (write(t->stop_fd, &one, sizeof(one)) < 0)
        return -errno;
    (void)pthread_join(t->thread, NULL);
    t->running = false;
    return 0;
}

void base_thread_done(struct base_thread *t)
{
    (void)base_thread_stop(t);
    if (t->stop_fd >= 0) {
        close(t->stop_fd);
        t->stop_fd = -1;
    }
}
