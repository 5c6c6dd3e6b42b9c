/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/tftp, its tests and its fuzzers: the transfer struct and the
 * helpers the codec files share.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp/tftp.h"

/* Smallest buffer tftp_xfer_next_packet() asks for: room for the largest
 * OACK (72 bytes) and the ERROR packets this module writes. */
#define TFTP_PACKET_MIN 128

/* Where the data of one block starts in the source file. In netascii a
 * CR or LF may be split over two blocks: pending is the byte (LF or NUL)
 * still owed from the previous block, or -1. */
struct tftp_cursor {
    uint64_t offset;
    int16_t pending;
};

struct tftp_xfer {
    enum tftp_xfer_state state;
    enum tftp_mode mode;
    struct tftp_options oack; /* what the OACK carries; present == 0: no OACK */
    uint16_t blksize;
    uint16_t windowsize;
    uint64_t timeout_ms;
    uint32_t retries_max;
    uint32_t retries; /* consecutive timeouts without progress */
    uint64_t deadline_ms;

    uint64_t file_size;
    tftp_read_fn read;
    void *userdata;

    /* Blocks are numbered from 1 with 64-bit counters; the wire carries the
     * low 16 bits, so numbers roll over past 65535 (to 0). */
    bool oack_pending; /* OACK to (re)send */
    uint64_t base;     /* first unacknowledged block */
    uint64_t next;     /* next block to send; base <= next <= base + windowsize */
    uint64_t sent_max; /* highest block ever sent, for the resend counter */
    uint64_t final;    /* the short block that ends the file, once generated; 0 before */
    struct tftp_cursor cursor; /* start of block next */
    struct tftp_cursor *ring;  /* windowsize entries: start of each block in [base, next) */
    uint8_t *scratch;          /* netascii only: blksize source bytes */

    int error;          /* 0 or why the transfer failed */
    bool error_pending; /* an ERROR packet to send to the client */
    struct tftp_xfer_stats stats;
};

/* Option names, indexed by enum tftp_option. */
extern const char *const tftp_option_names[_TFTP_OPTION_MAX];

/* ASCII case-insensitive equality of NUL-terminated a and b (locale-free). */
bool tftp_ascii_caseeq(const char *a, const char *b);

/* Parses the decimal digits s[0..len) (no sign, no blanks) into *ret when
 * the value is in [min, max]. Returns 0, -ERANGE (outside [min, max] or past
 * 64 bits) or -EINVAL (empty or not a number). */
int tftp_parse_uint(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *ret);

/* Decodes the option list in p[0..len) (name NUL value NUL ...) into *ret
 * (written only on success). Returns 0 or -EPROTO with *reterr (may be
 * NULL) saying why. */
int tftp_options_parse(const uint8_t *p,
                       size_t len,
                       struct tftp_options *ret,
                       struct tftp_parse_error *reterr);

/* Writes the options set in opts->present at out[0..cap) and the number of
 * bytes written into *ret_len. Returns 0, -ENOBUFS or -EINVAL (a value out
 * of range). */
int tftp_options_write(uint8_t *out, size_t cap, const struct tftp_options *opts, size_t *ret_len);
