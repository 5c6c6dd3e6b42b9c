/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decodes the UTF-8 sequence at s (n >= 1 bytes available). Returns its
 * length (1-4), or 0 when the bytes there are not a valid sequence per
 * RFC 3629 (no overlongs, no surrogates, nothing past U+10FFFF, no
 * truncation). ret_cp may be NULL; it is written only on success. */
size_t base_utf8_decode(const void *s, size_t n, uint32_t *ret_cp);
