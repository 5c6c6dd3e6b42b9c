/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Read-only TFTP for anvil-boot: the packet codec (RFC 1350 RRQ, WRQ, DATA,
 * ACK, ERROR and the RFC 2347 OACK), option negotiation (RFC 2348 blksize,
 * RFC 2349 timeout and tsize, RFC 7440 windowsize), the path policy that maps
 * a requested name onto a served file, and the transfer state machine of one
 * read request.
 *
 * Nothing here touches a socket, a file name or the clock: packets go in and
 * out as byte buffers, file contents come through a read callback, and time
 * is the now_ms the caller passes. The caller owns the UDP sockets, checks
 * the peer's transfer ID (address and port) and opens the file.
 *
 * Errors follow one convention (tftp_error_code_from_errno() turns them into
 * the TFTP error packet to answer with):
 *   -EBADMSG     malformed packet: drop it, do not answer
 *   -EOPNOTSUPP  transfer mode other than netascii/octet: ERROR 4
 *   -EPROTO      option negotiation failed (RFC 2347): ERROR 8
 *   -EACCES      write request, or a name the path policy refuses: ERROR 2
 *   -ENOENT      no such file: ERROR 1
 *
 * Nothing in this module is thread-safe; a struct tftp_xfer belongs to one
 * owner. The pure functions (parse, write, negotiate, path) keep no state and
 * may run concurrently on distinct buffers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

#define TFTP_BLKSIZE_DEFAULT    512   /* RFC 1350 */
#define TFTP_BLKSIZE_MIN        8     /* RFC 2348 */
#define TFTP_BLKSIZE_MAX        65464 /* RFC 2348 */
#define TFTP_TIMEOUT_MIN        1     /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX        255
#define TFTP_WINDOWSIZE_MIN     1 /* RFC 7440 */
#define TFTP_WINDOWSIZE_MAX     65535
#define TFTP_NAME_MAX           512 /* longest requested file name the path policy accepts */
#define TFTP_HEADER_SIZE        4   /* opcode + block number */

enum tftp_opcode {
    TFTP_OP_RRQ = 1,
    TFTP_OP_WRQ = 2,
    TFTP_OP_DATA = 3,
    TFTP_OP_ACK = 4,
    TFTP_OP_ERROR = 5,
    TFTP_OP_OACK = 6,
    _TFTP_OP_MAX,
};

/* RFC 1350 error codes, plus 8 from RFC 2347. */
enum tftp_error_code {
    TFTP_ERROR_UNDEFINED = 0,
    TFTP_ERROR_NOT_FOUND = 1,
    TFTP_ERROR_ACCESS = 2,
    TFTP_ERROR_DISK_FULL = 3,
    TFTP_ERROR_ILLEGAL_OP = 4,
    TFTP_ERROR_UNKNOWN_TID = 5,
    TFTP_ERROR_EXISTS = 6,
    TFTP_ERROR_NO_USER = 7,
    TFTP_ERROR_OPTION = 8,
    _TFTP_ERROR_MAX,
};

enum tftp_mode {
    TFTP_MODE_NETASCII,
    TFTP_MODE_OCTET,
    _TFTP_MODE_MAX,
};

enum tftp_option {
    TFTP_OPTION_BLKSIZE,
    TFTP_OPTION_TIMEOUT,
    TFTP_OPTION_TSIZE,
    TFTP_OPTION_WINDOWSIZE,
    _TFTP_OPTION_MAX,
};

#define TFTP_OPTION_BIT(o) (1u << (o))

/* The options of a request or an OACK. Only the fields whose bit is set in
 * present carry a value. */
struct tftp_options {
    unsigned present; /* TFTP_OPTION_BIT(TFTP_OPTION_*) */
    uint16_t blksize;
    uint8_t timeout; /* seconds */
    uint16_t windowsize;
    uint64_t tsize;
};

/* A decoded RRQ or WRQ. filename points into the packet it was parsed from
 * (borrowed: valid while that buffer is) and is NUL-terminated there. */
struct tftp_request {
    enum tftp_opcode opcode; /* TFTP_OP_RRQ or TFTP_OP_WRQ */
    const char *filename;
    size_t filename_len;
    enum tftp_mode mode;
    struct tftp_options options; /* known options only; unknown ones are skipped */
};

/* A decoded packet of any type. Pointers borrow from the parsed buffer. */
struct tftp_packet {
    enum tftp_opcode opcode;
    union {
        struct tftp_request request; /* RRQ, WRQ */
        struct {
            uint16_t block;
            const uint8_t *data;
            size_t len;
        } data; /* DATA */
        struct {
            uint16_t block;
        } ack; /* ACK */
        struct {
            uint16_t code;
            const char *msg; /* not necessarily NUL-terminated: use msg_len */
            size_t msg_len;
        } error;                  /* ERROR */
        struct tftp_options oack; /* OACK */
    };
};

/* Why a parse failed, for the caller's log line. */
struct tftp_parse_error {
    const char *reason; /* static text */
    const char *option; /* the offending option name, borrowed from the packet, or NULL */
};

/* Server-side limits of option negotiation and retransmission. */
struct tftp_limits {
    uint16_t blksize_max;    /* larger blksize requests are clamped to this; 8..65464 */
    uint16_t windowsize_max; /* larger windowsize requests are clamped to this; >= 1 */
    uint32_t timeout_ms;     /* retransmit interval when the client sent no timeout; >= 1 */
    uint32_t retries_max;    /* retransmissions of one window before giving up */
};

/* 1468 = a 1500-byte Ethernet MTU less IPv4, UDP and TFTP headers. */
#define TFTP_LIMITS_DEFAULT                                                                        \
    ((struct tftp_limits){                                                                         \
            .blksize_max = 1468, .windowsize_max = 64, .timeout_ms = 1000, .retries_max = 5})

/* Checks that every field of *lim is in its documented range. Returns 0 or
 * -EINVAL. */
int tftp_limits_check(const struct tftp_limits *lim);

/* Decodes one packet of any type into *ret (written only on success; its
 * pointers borrow from pkt). Options of RRQ/WRQ/OACK are validated by name:
 * a duplicate, an empty or out-of-range value, an unterminated string or a
 * name without a value fail; unknown options are skipped. Trailing NUL
 * padding after the last option is ignored.
 * Returns 0, -EBADMSG (malformed), -EOPNOTSUPP (request mode not
 * netascii/octet), -EPROTO (bad option) or -EINVAL (bad arguments).
 * reterr may be NULL; on failure it says why. */
int tftp_packet_parse(const void *pkt,
                      size_t len,
                      struct tftp_packet *ret,
                      struct tftp_parse_error *reterr);

/* tftp_packet_parse() restricted to RRQ and WRQ: any other opcode is
 * -EBADMSG. This is what the listener on port 69 calls. */
int tftp_request_parse(const void *pkt,
                       size_t len,
                       struct tftp_request *ret,
                       struct tftp_parse_error *reterr);

/* Encoders. Each writes one packet into out[0..cap) and its length into
 * *ret_len. Return 0, -ENOBUFS when cap is too small (out may have been
 * partly written, *ret_len is not) or -EINVAL for a bad argument. */

/* RRQ or WRQ. req->filename is read up to its NUL (filename_len is not used)
 * and must be non-empty; options are written in enum order. */
int tftp_packet_write_request(void *out,
                              size_t cap,
                              const struct tftp_request *req,
                              size_t *ret_len);
/* DATA: n <= TFTP_BLKSIZE_MAX bytes; data may be NULL when n == 0. */
int tftp_packet_write_data(void *out,
                           size_t cap,
                           uint16_t block,
                           const void *data,
                           size_t n,
                           size_t *ret_len);
int tftp_packet_write_ack(void *out, size_t cap, uint16_t block, size_t *ret_len);
/* ERROR. msg NULL means the standard text of code. */
int tftp_packet_write_error(void *out,
                            size_t cap,
                            enum tftp_error_code code,
                            const char *msg,
                            size_t *ret_len);
/* OACK with the options set in opts->present, which must be in range. */
int tftp_packet_write_oack(void *out, size_t cap, const struct tftp_options *opts, size_t *ret_len);

/* The TFTP error code to answer a request that failed with r (a negative
 * errno from this module or from opening the file). Unknown codes map to
 * TFTP_ERROR_UNDEFINED. */
enum tftp_error_code tftp_error_code_from_errno(int r);

/* A short English text for code (static). Never NULL. */
const char *tftp_error_code_to_string(enum tftp_error_code code);

/* Option negotiation for a read request (RFC 2347): computes in *ret the
 * options the server acknowledges in its OACK. blksize and windowsize above
 * the limits are clamped; timeout is echoed; tsize is answered with
 * file_size (octet mode only: a netascii size is not known in advance).
 * ret->present == 0 means no OACK is sent. lim NULL means
 * TFTP_LIMITS_DEFAULT. Returns 0, -EPROTO when a requested value is out of
 * its RFC range, or -EINVAL for bad limits. */
int tftp_options_negotiate(const struct tftp_options *requested,
                           enum tftp_mode mode,
                           const struct tftp_limits *lim,
                           uint64_t file_size,
                           struct tftp_options *ret);

/* ---- path policy ---- */

/* A served iPXE binary: requests whose base name is name get file. */
struct tftp_name_map {
    const char *name;
    const char *file;
};

enum tftp_root {
    TFTP_ROOT_IPXE,  /* the iPXE binary directory */
    TFTP_ROOT_ASSET, /* the optional asset directory */
    _TFTP_ROOT_MAX,
};

struct tftp_path_policy {
    /* Table ended by a {NULL, NULL} entry; NULL means tftp_ipxe_files_default(). */
    const struct tftp_name_map *ipxe_files;
    /* Serve names that are not iPXE binaries from TFTP_ROOT_ASSET. */
    bool serve_assets;
};

/* The default iPXE table: Debian's binary names, plus upstream Tinkerbell's
 * snp-x86_64.efi served as Debian's snponly.efi. Static, never NULL. */
const struct tftp_name_map *tftp_ipxe_files_default(void);

/* Maps the requested file name name[0..len) to a file relative to a root.
 * A NUL, backslash or control byte anywhere, a name longer than
 * TFTP_NAME_MAX or a ".." component is refused. A trailing OpenTelemetry
 * traceparent "-VV-<32 hex>-<16 hex>-<2 hex>" is stripped, then leading '/'s;
 * empty and "." components are dropped. A base name found in the iPXE table
 * maps to that file under TFTP_ROOT_IPXE, whatever directories precede it
 * ("<mac>/ipxe.efi" is "ipxe.efi"); other names map to the cleaned relative
 * path under TFTP_ROOT_ASSET when policy->serve_assets is set.
 * On success *ret_root and *ret_path (caller frees) are set and 0 returned.
 * Returns -EACCES (refused), -ENOENT (not served), -ENOMEM or -EINVAL.
 * policy NULL means the default table and no assets. A TFTP_ROOT_IPXE path
 * is a name from the table, never client text; a TFTP_ROOT_ASSET path is
 * client text, to be opened beneath the asset root without following
 * symlinks out of it. */
int tftp_path_map(const struct tftp_path_policy *policy,
                  const char *name,
                  size_t len,
                  enum tftp_root *ret_root,
                  char **ret_path);

/* ---- transfer state machine ---- */

/* Reads up to len bytes at offset into buf. Returns the count read (0 at end
 * of file; fewer than len is allowed and the caller asks again) or -errno. */
typedef int (*tftp_read_fn)(void *userdata, uint64_t offset, void *buf, size_t len);

/* A tftp_read_fn over pread(2); userdata points to the int file descriptor. */
int tftp_read_pread(void *userdata, uint64_t offset, void *buf, size_t len);

enum tftp_xfer_state {
    TFTP_XFER_OACK,   /* OACK sent or to send, waiting for ACK 0 */
    TFTP_XFER_DATA,   /* sending DATA windows */
    TFTP_XFER_DONE,   /* the final block was acknowledged */
    TFTP_XFER_FAILED, /* aborted: see tftp_xfer_get_error() */
    _TFTP_XFER_STATE_MAX,
};

struct tftp_xfer_stats {
    uint64_t packets_sent;  /* every packet next_packet produced */
    uint64_t blocks_resent; /* DATA blocks sent again after a timeout or partial ACK */
    uint64_t timeouts;      /* expired timers */
    uint64_t acks_ignored;  /* duplicate, stale or future ACKs dropped */
};

struct tftp_xfer;

/* Creates the transfer answering req (a parsed RRQ) for a file of file_size
 * bytes whose contents come from read_fn(userdata, ...), which must stay valid
 * for the life of the transfer (as must the file: one that ends early fails
 * the transfer with -EIO). req is only read during the call. lim NULL means
 * TFTP_LIMITS_DEFAULT. The retransmit timer starts at now_ms. On success
 * *ret owns the new transfer.
 * Returns 0, -EACCES (a WRQ: this server is read-only), -EPROTO (an option
 * out of range), -EINVAL or -ENOMEM. */
int tftp_xfer_new(struct tftp_xfer **ret,
                  const struct tftp_request *req,
                  const struct tftp_limits *lim,
                  uint64_t file_size,
                  tftp_read_fn read_fn,
                  void *userdata,
                  uint64_t now_ms);

/* Frees x (NULL is fine). Returns NULL. tftp_xfer_freep() is the matching
 * _cleanup_ handler. */
struct tftp_xfer *tftp_xfer_free(struct tftp_xfer *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct tftp_xfer *, tftp_xfer_free);

/* The out buffer size next_packet() needs: 4 + blksize, at least 128. */
size_t tftp_xfer_packet_size(const struct tftp_xfer *x);

/* Writes the next datagram to send into out[0..cap): the OACK, then DATA
 * blocks up to the window, or the ERROR packet that ends a failed transfer
 * (a read error). Call it until it returns -EAGAIN right after
 * tftp_xfer_new(), tftp_xfer_handle_packet() or tftp_xfer_handle_timeout():
 * the timer counts from the now_ms given there. Returns 0 with *ret_len set,
 * -EAGAIN when nothing is to be sent until an ACK or a timeout, -ENOBUFS when
 * cap < tftp_xfer_packet_size(x) (nothing consumed) or -EINVAL. */
int tftp_xfer_next_packet(struct tftp_xfer *x, void *out, size_t cap, size_t *ret_len);

/* Feeds one datagram that came from the client's transfer ID. ACKs advance
 * the window; duplicate, stale and not-yet-sent ACKs are ignored and never
 * cause a resend (Sorcerer's Apprentice, RFC 1123 4.2.3.1); an ACK inside
 * the window (RFC 7440) restarts the window after it. Returns 1 when the
 * transfer advanced (call next_packet()), 0 when the packet was ignored,
 * -ECONNRESET when it was an ERROR (the transfer is now failed), -EBADMSG
 * for a malformed packet (dropped) or -EINVAL. */
int tftp_xfer_handle_packet(struct tftp_xfer *x, const void *pkt, size_t len, uint64_t now_ms);

/* The absolute time (ms, the caller's clock) at which
 * tftp_xfer_handle_timeout() is due, or UINT64_MAX when the transfer is
 * finished. */
uint64_t tftp_xfer_next_timeout_ms(const struct tftp_xfer *x);

/* Runs the retransmit timer. Before the deadline it does nothing and returns
 * 0. After it, the unacknowledged window (or the OACK) is queued again and 1
 * returned, unless retries_max retransmissions already failed: then the
 * transfer fails and -ETIMEDOUT is returned. Returns 0 on a finished
 * transfer, -EINVAL on bad arguments. */
int tftp_xfer_handle_timeout(struct tftp_xfer *x, uint64_t now_ms);

/* True once the transfer is finished, successfully or not. */
bool tftp_xfer_done(const struct tftp_xfer *x);

/* The current state (TFTP_XFER_FAILED for NULL). */
enum tftp_xfer_state tftp_xfer_get_state(const struct tftp_xfer *x);

/* 0, or why the transfer failed: -ECONNRESET (client ERROR), -ETIMEDOUT,
 * -EIO (the file ended before file_size) or the read callback's error. */
int tftp_xfer_get_error(const struct tftp_xfer *x);

/* The negotiated block and window sizes and retransmit interval. */
uint16_t tftp_xfer_get_blksize(const struct tftp_xfer *x);
uint16_t tftp_xfer_get_windowsize(const struct tftp_xfer *x);
uint64_t tftp_xfer_get_timeout_ms(const struct tftp_xfer *x);

/* Counters since creation (borrowed, valid while x is). */
const struct tftp_xfer_stats *tftp_xfer_get_stats(const struct tftp_xfer *x);
