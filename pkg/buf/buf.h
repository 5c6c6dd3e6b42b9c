/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A bounded growable byte buffer (curl dynbuf semantics): every buffer has a
 * hard cap; an append that would pass it fails with -E2BIG and frees the
 * contents, so a hostile peer can never make it grow without limit and a
 * failed buffer is never half-used by mistake. The data is always
 * NUL-terminated (the terminator is not counted in len).
 *
 * Not thread-safe; a buffer belongs to one owner.
 */

#include <stdarg.h>
#include <stddef.h>

#include "base/macro.h"

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
};

#define BUF_INIT(maxlen) ((struct buf){.data = NULL, .len = 0, .cap = 0, .max = (maxlen)})

/* Initialises an empty buffer that may hold up to max bytes. */
void buf_init(struct buf *b, size_t max);

/* Frees the contents; the buffer stays usable (empty, same cap). NULL-safe. */
void buf_free(struct buf *b);

/* Empties the buffer but keeps its allocation. */
void buf_reset(struct buf *b);

/* Appends n bytes. Returns 0, -E2BIG past the cap or -ENOMEM; on failure the
 * buffer is freed (curl's rule). */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Same returns as buf_append(). */
int buf_append_str(struct buf *b, const char *s);

/* Appends printf-formatted text. Same returns as buf_append(), plus -EINVAL
 * on a format error. */
int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) _printf_(2, 0);

/* Drops the first n bytes (n > len drops all). */
void buf_consume(struct buf *b, size_t n);

/* Hands the contents to the caller (free() them) and leaves the buffer
 * empty. Returns NULL for an empty never-allocated buffer only when
 * allocation of an empty string fails. ret_len may be NULL. */
char *buf_take(struct buf *b, size_t *ret_len);

static inline const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

static inline void buf_freep(struct buf *b)
{
    buf_free(b);
}
#define _cleanup_buf_ _cleanup_(buf_freep)
