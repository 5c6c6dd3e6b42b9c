/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The agent WebSocket protocol of anvil (docs/agent-protocol.md): JSON text
 * messages, each an object carrying "v": 1 and a "type", decoded with strict
 * validation into C structs and encoded back; plus Go duration strings,
 * RFC 3339 timestamps and the HMAC agent token.
 *
 * Agent -> server: hello, status. Server -> agent: action, idle, error, ack.
 *
 * Pure functions: no I/O, no logging, no global state; every function is
 * reentrant. A decoded message is immutable and owns everything it points to.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

/* The protocol version this code speaks ("v" in every message). */
#define AGENTPROTO_VERSION 1

/* Caps, in bytes unless stated. A decoder refuses anything larger. */
#define AGENTPROTO_MSG_MAX              (1024 * 1024) /* one whole message */
#define AGENTPROTO_ID_MAX               253           /* agentID, taskID, actionID */
#define AGENTPROTO_NAME_MAX             253           /* action name, actionName */
#define AGENTPROTO_WORKFLOW_ID_MAX      317           /* "<namespace <=63>/<name <=253>" */
#define AGENTPROTO_IMAGE_MAX            1024          /* action image reference */
#define AGENTPROTO_TOKEN_MAX            1024          /* hello token */
#define AGENTPROTO_SHORT_MAX            64            /* agentVersion, namespaces, pid, codes */
#define AGENTPROTO_MESSAGE_MAX          (64 * 1024)   /* status and error message text */
#define AGENTPROTO_ARG_MAX              (64 * 1024)   /* one command/volumes/environment entry */
#define AGENTPROTO_LIST_MAX             1024          /* entries in one of those lists */
#define AGENTPROTO_ATTRIBUTES_MAX_DEPTH 32            /* nesting of hello attributes */
#define AGENTPROTO_TIMEOUT_MAX          INT32_MAX     /* action timeout, seconds */
#define AGENTPROTO_RETRY_MAX_MS         86400000      /* idle retryAfterMs: one day */

enum agentproto_type {
    AGENTPROTO_HELLO,  /* agent -> server: who I am */
    AGENTPROTO_STATUS, /* agent -> server: an action's state */
    AGENTPROTO_ACTION, /* server -> agent: run this */
    AGENTPROTO_IDLE,   /* server -> agent: nothing to run, and why */
    AGENTPROTO_ERROR,  /* server -> agent: refused; the connection ends */
    AGENTPROTO_ACK,    /* server -> agent: hello or status accepted */
    _AGENTPROTO_TYPE_MAX,
    _AGENTPROTO_TYPE_INVALID = -1,
};

/* Action states an agent reports; UNSET (0) means "absent". */
enum agentproto_state {
    AGENTPROTO_STATE_UNSET,
    AGENTPROTO_STATE_RUNNING,
    AGENTPROTO_STATE_SUCCESS,
    AGENTPROTO_STATE_FAILED,
    AGENTPROTO_STATE_TIMEOUT,
    _AGENTPROTO_STATE_MAX,
};

/* Well-known idle reasons and error codes. Others are allowed on the wire
 * (lowercase letters, digits and '-', at most AGENTPROTO_SHORT_MAX bytes) so
 * a newer server can add some without a version bump. */
#define AGENTPROTO_IDLE_NO_WORKFLOW        "no-workflow"
#define AGENTPROTO_IDLE_PREPARING          "preparing"
#define AGENTPROTO_IDLE_WAITING            "waiting"
#define AGENTPROTO_IDLE_DONE               "done"
#define AGENTPROTO_IDLE_AWAITING_APPROVAL  "awaiting-approval"
#define AGENTPROTO_IDLE_DISABLED           "disabled"
#define AGENTPROTO_ERR_BAD_MESSAGE         "bad-message"
#define AGENTPROTO_ERR_UNSUPPORTED_VERSION "unsupported-version"
#define AGENTPROTO_ERR_UNAUTHORIZED        "unauthorized"
#define AGENTPROTO_ERR_DUPLICATE_AGENT     "duplicate-agent"
#define AGENTPROTO_ERR_NOT_FOUND           "not-found"
#define AGENTPROTO_ERR_INTERNAL            "internal"

/* A point in time: seconds since the Unix epoch plus nanoseconds
 * (0 <= nsec < 1e9), years 0000-9999. */
struct agentproto_time {
    int64_t sec;
    int32_t nsec;
};

/* A list of strings (borrowed). */
struct agentproto_strv {
    const char *const *v;
    size_t n;
};

struct agentproto_hello {
    const char *agent_id;      /* required */
    const char *token;         /* optional (required by the server with --agent-auth=token) */
    const char *agent_version; /* optional */
    const json_t *attributes;  /* optional object, Tinkerbell's attributes shape */
};

struct agentproto_status {
    const char *workflow_id;     /* required, "<namespace>/<name>" */
    const char *agent_id;        /* optional; the session's agent when absent */
    const char *task_id;         /* required */
    const char *action_id;       /* required */
    const char *action_name;     /* optional */
    enum agentproto_state state; /* required */
    bool has_execution_start;
    struct agentproto_time execution_start;
    bool has_execution_stop;
    struct agentproto_time execution_stop;
    bool has_execution_duration;
    int64_t execution_duration_ns; /* Go duration string on the wire */
    const char *message;           /* optional */
};

struct agentproto_action {
    const char *workflow_id; /* required, "<namespace>/<name>" */
    const char *task_id;     /* required */
    const char *agent_id;    /* required */
    const char *action_id;   /* required */
    const char *name;        /* required */
    const char *image;       /* required */
    int64_t timeout;         /* seconds, 0..AGENTPROTO_TIMEOUT_MAX */
    struct agentproto_strv command;
    struct agentproto_strv volumes;
    struct agentproto_strv environment; /* "K=V"; encoded sorted */
    const char *namespace_network;      /* namespaces.network, optional */
    const char *namespace_pid;          /* namespaces.pid, optional */
    const char *pid;                    /* deprecated, optional */
};

struct agentproto_idle {
    const char *reason;     /* required, e.g. AGENTPROTO_IDLE_NO_WORKFLOW */
    int64_t retry_after_ms; /* 0: not given */
};

struct agentproto_error {
    const char *code;    /* required, e.g. AGENTPROTO_ERR_UNAUTHORIZED */
    const char *message; /* optional */
};

struct agentproto_ack {
    const char *of;              /* required: "hello" or "status" */
    const char *action_id;       /* optional: the status acknowledged */
    enum agentproto_state state; /* optional: the state acknowledged */
};

struct agentproto_msg {
    enum agentproto_type type;
    union {
        struct agentproto_hello hello;
        struct agentproto_status status;
        struct agentproto_action action;
        struct agentproto_idle idle;
        struct agentproto_error error;
        struct agentproto_ack ack;
    };
};

/* Decodes one message (len bytes of JSON text; no NUL needed). Unknown
 * members are ignored; everything known is type- and length-checked.
 * Returns 0 and *ret (free with agentproto_msg_free(); every pointer in it
 * lives as long as *ret). Errors, each with *ret_error (when non-NULL) set
 * to a malloc'd UTF-8 message naming the field, e.g.
 * "status.state: \"DONE\" is not RUNNING, SUCCESS, FAILED or TIMEOUT":
 *   -EMSGSIZE         more than AGENTPROTO_MSG_MAX bytes;
 *   -EPROTONOSUPPORT  "v" is an integer other than AGENTPROTO_VERSION;
 *   -EBADMSG          anything else malformed: bad JSON, duplicate keys,
 *                     missing or mistyped fields, unknown type, caps;
 *   -ENOMEM (no message).
 * *ret is written only on success, *ret_error only on failure. */
int agentproto_decode(const void *data, size_t len, struct agentproto_msg **ret, char **ret_error);

/* Frees a message returned by agentproto_decode() (never pass a message you
 * built yourself). NULL-safe; returns NULL. */
struct agentproto_msg *agentproto_msg_free(struct agentproto_msg *m);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct agentproto_msg *, agentproto_msg_free);

/* Encodes m as compact JSON text ("v" and "type" first, then the fields;
 * absent optional fields left out; environment sorted). m is borrowed. The
 * same rules as the decoder apply, so whatever encodes decodes; message
 * texts (status.message, error.message) are the exception that gets repaired:
 * invalid UTF-8 in them becomes U+FFFD.
 * Returns 0 with *ret (malloc'd, NUL-terminated) and *ret_len (may be NULL);
 * -EINVAL with *ret_error (when non-NULL) naming the field for a message
 * that breaks the rules; -EMSGSIZE when the text would exceed
 * AGENTPROTO_MSG_MAX (with a message); -ENOMEM. */
int agentproto_encode(const struct agentproto_msg *m,
                      char **ret,
                      size_t *ret_len,
                      char **ret_error);

/* Wire names: "hello", "status", ...; "RUNNING", "SUCCESS", ... The
 * to_string functions return NULL for out-of-range values (and for UNSET);
 * from_string returns the value or _AGENTPROTO_TYPE_INVALID /
 * AGENTPROTO_STATE_UNSET. */
const char *agentproto_type_to_string(enum agentproto_type t);
enum agentproto_type agentproto_type_from_string(const char *s);
const char *agentproto_state_to_string(enum agentproto_state s);
enum agentproto_state agentproto_state_from_string(const char *s);

/* ---- Go durations ------------------------------------------------------ */

/* Enough for any int64 duration ("-2562047h47m16.854775808s") and the NUL. */
#define AGENTPROTO_DURATION_STRLEN 32

/* Formats ns the way Go's time.Duration.String() does: "0s", "1.5µs",
 * "2.000001ms", "1m2.5s", "1h0m0s", "-3s". Writes ret and returns 0;
 * -EINVAL for a NULL ret. */
int agentproto_duration_format(int64_t ns, char ret[static AGENTPROTO_DURATION_STRLEN]);

/* Parses a duration the way Go's time.ParseDuration does: an optional sign,
 * then one or more decimal numbers (with optional fraction) each followed by
 * a unit ns, us, µs (U+00B5 or U+03BC), ms, s, m or h; "0" alone is zero.
 * Returns 0 and *ret; -EINVAL for malformed text or a missing/unknown unit;
 * -ERANGE when the value does not fit int64 nanoseconds. */
int agentproto_duration_parse(const char *s, int64_t *ret);

/* ---- RFC 3339 timestamps ----------------------------------------------- */

/* "9999-12-31T23:59:59.999999999Z" plus the NUL. */
#define AGENTPROTO_TIME_STRLEN 31

/* Formats t in UTC as RFC 3339 with 'Z', adding a fraction only when nsec is
 * not 0 (trailing zeros trimmed, Go's RFC3339Nano layout). Returns 0;
 * -ERANGE outside years 0000-9999 or for nsec out of range; -EINVAL for NULL
 * arguments. */
int agentproto_time_format(const struct agentproto_time *t,
                           char ret[static AGENTPROTO_TIME_STRLEN]);

/* Parses an RFC 3339 date-time (RFC 3339 §5.6): "YYYY-MM-DDTHH:MM:SS", an
 * optional fraction of 1-9 digits, then 'Z' or "+HH:MM"/"-HH:MM"; 'T' and
 * 'Z' may be lowercase. Leap seconds (":60") are refused, as Go does.
 * Returns 0 and *ret (converted to UTC); -EINVAL for anything else; -ERANGE
 * when the UTC result leaves years 0000-9999. */
int agentproto_time_parse(const char *s, struct agentproto_time *ret);

/* ---- agent tokens ------------------------------------------------------ */

/* Shortest key the token functions accept, in bytes. */
#define AGENTPROTO_TOKEN_KEY_MIN 16

/* Mints the token for agent_id valid until expiry_unix (seconds):
 *   base64url(agent_id "." expiry) "." base64url(HMAC-SHA256(key, agent_id "." expiry))
 * with unpadded base64url (RFC 4648 §5) and expiry in decimal without leading
 * zeros. Returns 0 and *ret (malloc'd); -EINVAL for a key shorter than
 * AGENTPROTO_TOKEN_KEY_MIN, an agent_id that is empty, longer than
 * AGENTPROTO_ID_MAX or holds control characters, expiry_unix <= 0, or a token
 * that would pass AGENTPROTO_TOKEN_MAX; -ENOMEM; -EIO if OpenSSL fails. */
int agentproto_token_mint(
        const void *key, size_t keylen, const char *agent_id, int64_t expiry_unix, char **ret);

/* Verifies token against key for expected_agent_id at time now (seconds).
 * The MAC is checked first, in constant time, before anything the token
 * claims is believed. Returns 0 and *ret_expiry (may be NULL) when valid;
 * -EBADMSG malformed (length, alphabet, padding, non-canonical base64, no
 * '.', bad expiry digits); -EKEYREJECTED the MAC does not match;
 * -EPERM the token is for another agent; -EKEYEXPIRED now >= expiry;
 * -EINVAL bad arguments (short key, NULLs); -EIO if OpenSSL fails. */
int agentproto_token_verify(const void *key,
                            size_t keylen,
                            const char *token,
                            const char *expected_agent_id,
                            int64_t now,
                            int64_t *ret_expiry);

/* Longest agent key accepted from a file or a Secret, in bytes. */
#define AGENTPROTO_KEY_MAX 4096

/* Reads the agent key from a file (the one function here that does I/O):
 * the file's bytes without trailing newlines. Returns 0 with *ret (malloc'd;
 * explicit_bzero() it before free()) and *ret_len; -EINVAL when the key is
 * shorter than AGENTPROTO_TOKEN_KEY_MIN or longer than AGENTPROTO_KEY_MAX;
 * -errno from open()/read(); -ENOMEM. */
int agentproto_key_read_file(const char *path, unsigned char **ret, size_t *ret_len);

/* The agent key from base64 text (a Secret's data value), with trailing
 * newlines of the decoded bytes dropped as for a file. Returns 0 with *ret
 * and *ret_len; -EINVAL for text that is not padded base64 or a key of the
 * wrong length; -ENOMEM. */
int agentproto_key_from_base64(const char *b64, unsigned char **ret, size_t *ret_len);

