/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Strict standard base64 (RFC 4648 §4, padded; what Kubernetes puts in a
 * Secret's data): len bytes of s, a multiple of 4, only A-Z a-z 0-9 + /
 * and '=' as the last one or two characters. Decodes into a new buffer
 * (NUL-terminated for convenience; the NUL is not counted) of *ret_len
 * bytes. Returns 0; -EINVAL for anything else or a result longer than max
 * bytes; -ENOMEM. Outputs are written only on success. */
int base_base64_decode(const char *s, size_t len, size_t max, unsigned char **ret, size_t *ret_len);
