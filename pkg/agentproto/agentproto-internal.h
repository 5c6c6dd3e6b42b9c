/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "base/utf8.h"

/*
 * Private to pkg/agentproto, its tests and its fuzzers: the field tables
 * that drive both the decoder and the encoder, value checks, UTF-8 and
 * base64url helpers.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentproto/agentproto.h"

enum agentproto_fkind {
    AGENTPROTO_F_STR,      /* const char * */
    AGENTPROTO_F_INT,      /* int64_t in [min, max] */
    AGENTPROTO_F_STRV,     /* struct agentproto_strv */
    AGENTPROTO_F_TIME,     /* struct agentproto_time + bool at has_off */
    AGENTPROTO_F_DURATION, /* int64_t ns + bool at has_off */
    AGENTPROTO_F_STATE,    /* enum agentproto_state */
    AGENTPROTO_F_OBJECT,   /* const json_t * (an object) */
    _AGENTPROTO_F_MAX,
};

/* What a string value must look like beyond its length. */
enum agentproto_check {
    AGENTPROTO_C_TEXT,        /* no control characters */
    AGENTPROTO_C_MESSAGE,     /* free text (any valid UTF-8) */
    AGENTPROTO_C_WORKFLOW_ID, /* "<namespace>/<name>" */
    AGENTPROTO_C_CODE,        /* [a-z0-9-]+ */
    AGENTPROTO_C_ENV,         /* "K=V" with a non-empty K */
    AGENTPROTO_C_ACK_OF,      /* "hello" or "status" */
    _AGENTPROTO_C_MAX,
};

/* One member of a message: where it lives in JSON (parent object, or the
 * message itself when parent is NULL) and in struct agentproto_msg. */
struct agentproto_field {
    const char *parent;
    const char *key;
    enum agentproto_fkind kind;
    bool required;
    enum agentproto_check check;
    size_t max;        /* STR: bytes; STRV: entries (each at most AGENTPROTO_ARG_MAX) */
    int64_t min, imax; /* INT */
    size_t off;        /* offset of the value in struct agentproto_msg */
    size_t has_off;    /* TIME, DURATION: offset of the bool */
};

struct agentproto_fields {
    const struct agentproto_field *v;
    size_t n;
};

/* The field table of a message type (empty for out-of-range types). */
struct agentproto_fields agentproto_fields_of(enum agentproto_type t);

/* Returns NULL when s[0..len) satisfies check, else a static description of
 * what is wrong ("must not contain control characters", ...). */
const char *agentproto_check_string(enum agentproto_check check, const char *s, size_t len);

/* True when v nests objects and arrays at most max levels deep (a scalar is
 * level 0, {} or [] level 1). */
bool agentproto_json_depth_ok(const json_t *v, unsigned max);

/* Sets *ret_error (when non-NULL) to a malloc'd formatted message, with
 * invalid UTF-8 replaced by '?', and returns err; returns -ENOMEM instead
 * when the message cannot be allocated. */
int agentproto_errorf(char **ret_error, int err, const char *fmt, ...) _printf_(3, 4);

/* Unpadded base64url (RFC 4648 §5). encode writes 4*ceil(n/3) - padding
 * characters plus a NUL into out (room: AGENTPROTO_B64_LEN(n) + 1). decode
 * accepts only canonical input (no padding, no stray bits) and returns the
 * decoded length, or -EBADMSG. out needs len*3/4 bytes. */
#define AGENTPROTO_B64_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
void agentproto_b64url_encode(const uint8_t *in, size_t n, char *out);
ssize_t agentproto_b64url_decode(const char *in, size_t len, uint8_t *out);
