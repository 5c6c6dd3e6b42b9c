/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The only place where GNU extensions enter the code base: scope-bound
 * cleanup, ownership transfer and a few array/struct helpers.
 */

#include <stddef.h>
#include <stdlib.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_     __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

/* Hand ownership of *p to the caller and leave NULL behind, so the cleanup
 * handler of the local variable frees nothing. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _take_ptr_tmp_ = (p);                                                        \
        (p) = NULL;                                                                                \
        _take_ptr_tmp_;                                                                            \
    })

/* Same for a file descriptor: returns it and leaves -1. */
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _take_fd_tmp_ = (fd);                                                                  \
        (fd) = -1;                                                                                 \
        _take_fd_tmp_;                                                                             \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member)                                                            \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Argument checks on public entry points (systemd's assert_return). */
#define assert_return(expr, r)                                                                     \
    do {                                                                                           \
        if (!(expr))                                                                               \
            return (r);                                                                            \
    } while (0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Defines name##p(type *p), a cleanup handler calling func(*p) when non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
    static inline void func##p(type *p)                                                            \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

void closep(int *fd);
#define _cleanup_close_ _cleanup_(closep)
