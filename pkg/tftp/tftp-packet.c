/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TFTP packet codec: RFC 1350 (RRQ, WRQ, DATA, ACK, ERROR) and the RFC 2347
 * OACK. Decoding never reads past len and never copies: decoded strings
 * point into the packet, and only strings found NUL-terminated inside it are
 * handed out as C strings.
 */
#include <errno.h>
#include <string.h>

#include "tftp/tftp-internal.h"

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xff);
}

static int fail(struct tftp_parse_error *reterr, int r, const char *reason)
{
    if (reterr)
        *reterr = (struct tftp_parse_error){.reason = reason, .option = NULL};
    return r;
}

static int mode_parse(const char *s, enum tftp_mode *ret)
{
    /* RFC 1350: "mail" is obsolete and makes no sense for a file server;
     * mode names are case-insensitive. */
    if (tftp_ascii_caseeq(s, "octet"))
        *ret = TFTP_MODE_OCTET;
    else if (tftp_ascii_caseeq(s, "netascii"))
        *ret = TFTP_MODE_NETASCII;
    else
        return -EOPNOTSUPP;
    return 0;
}

static int request_decode(const uint8_t *p,
                          size_t len,
                          struct tftp_request *ret,
                          struct tftp_parse_error *reterr)
{
    struct tftp_request req = {.opcode = get_be16(p)};
    const uint8_t *end = p + len, *s = p + 2;
    int r;

    /* RFC 1350 section 5: | opcode | filename | 0 | mode | 0 | */
    const uint8_t *name_end = memchr(s, 0, (size_t)(end - s));
    if (!name_end)
        return fail(reterr, -EBADMSG, "file name not terminated");
    req.filename = (const char *)s;
    req.filename_len = (size_t)(name_end - s);

    s = name_end + 1;
    const uint8_t *mode_end = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;
    if (!mode_end)
        return fail(reterr, -EBADMSG, "mode not terminated");
    if (mode_parse((const char *)s, &req.mode) < 0)
        return fail(reterr, -EOPNOTSUPP, "unsupported transfer mode");

    s = mode_end + 1;
    r = tftp_options_parse(s, (size_t)(end - s), &req.options, reterr);
    if (r < 0)
        return r;
    *ret = req;
    return 0;
}

int tftp_packet_parse(const void *pkt,
                      size_t len,
                      struct tftp_packet *ret,
                      struct tftp_parse_error *reterr)
{
    const uint8_t *p = pkt;
    struct tftp_packet out = {0};
    int r;

    assert_return(pkt || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);

    if (len < 2)
        return fail(reterr, -EBADMSG, "packet too short");
    out.opcode = get_be16(p);
    switch (out.opcode) {
    case TFTP_OP_RRQ:
    case TFTP_OP_WRQ:
        r = request_decode(p, len, &out.request, reterr);
        if (r < 0)
            return r;
        break;
    case TFTP_OP_DATA:
        if (len < TFTP_HEADER_SIZE)
            return fail(reterr, -EBADMSG, "DATA too short");
        if (len - TFTP_HEADER_SIZE > TFTP_BLKSIZE_MAX)
            return fail(reterr, -EBADMSG, "DATA longer than the largest block");
        out.data.block = get_be16(p + 2);
        out.data.data = p + TFTP_HEADER_SIZE;
        out.data.len = len - TFTP_HEADER_SIZE;
        break;
    case TFTP_OP_ACK:
        /* Bytes after the block number are ignored. */
        if (len < TFTP_HEADER_SIZE)
            return fail(reterr, -EBADMSG, "ACK too short");
        out.ack.block = get_be16(p + 2);
        break;
    case TFTP_OP_ERROR: {
        /* The message should end in a NUL; a peer that forgot it still
         * meant to abort, so the message runs to the end of the packet. */
        if (len < TFTP_HEADER_SIZE)
            return fail(reterr, -EBADMSG, "ERROR too short");
        const uint8_t *msg = p + TFTP_HEADER_SIZE;
        const uint8_t *nul = memchr(msg, 0, len - TFTP_HEADER_SIZE);
        out.error.code = get_be16(p + 2);
        out.error.msg = (const char *)msg;
        out.error.msg_len = nul ? (size_t)(nul - msg) : len - TFTP_HEADER_SIZE;
        break;
    }
    case TFTP_OP_OACK:
        r = tftp_options_parse(p + 2, len - 2, &out.oack, reterr);
        if (r < 0)
            return r;
        break;
    default:
        return fail(reterr, -EBADMSG, "unknown opcode");
    }
    *ret = out;
    return 0;
}

int tftp_request_parse(const void *pkt,
                       size_t len,
                       struct tftp_request *ret,
                       struct tftp_parse_error *reterr)
{
    const uint8_t *p = pkt;

    assert_return(pkt || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);

    if (len < 2)
        return fail(reterr, -EBADMSG, "packet too short");
    uint16_t op = get_be16(p);
    if (op != TFTP_OP_RRQ && op != TFTP_OP_WRQ)
        return fail(reterr, -EBADMSG, "not a read or write request");
    return request_decode(p, len, ret, reterr);
}

int tftp_packet_write_request(void *out,
                              size_t cap,
                              const struct tftp_request *req,
                              size_t *ret_len)
{
    static const char *const mode_names[_TFTP_MODE_MAX] = {
            [TFTP_MODE_NETASCII] = "netascii",
            [TFTP_MODE_OCTET] = "octet",
    };
    uint8_t *o = out;
    size_t n, opts_len;
    int r;

    assert_return(out, -EINVAL);
    assert_return(req && req->filename && req->filename[0], -EINVAL);
    assert_return(req->opcode == TFTP_OP_RRQ || req->opcode == TFTP_OP_WRQ, -EINVAL);
    assert_return((unsigned)req->mode < _TFTP_MODE_MAX, -EINVAL);
    assert_return(ret_len, -EINVAL);

    size_t name_len = strlen(req->filename);
    size_t mode_len = strlen(mode_names[req->mode]);
    if (cap < 2 || cap - 2 < name_len + 1 || cap - 2 - (name_len + 1) < mode_len + 1)
        return -ENOBUFS;
    put_be16(o, (uint16_t)req->opcode);
    n = 2;
    memcpy(o + n, req->filename, name_len + 1);
    n += name_len + 1;
    memcpy(o + n, mode_names[req->mode], mode_len + 1);
    n += mode_len + 1;
    r = tftp_options_write(o + n, cap - n, &req->options, &opts_len);
    if (r < 0)
        return r;
    *ret_len = n + opts_len;
    return 0;
}

int tftp_packet_write_data(void *out,
                           size_t cap,
                           uint16_t block,
                           const void *data,
                           size_t n,
                           size_t *ret_len)
{
    uint8_t *o = out;

    assert_return(out, -EINVAL);
    assert_return(data || n == 0, -EINVAL);
    assert_return(n <= TFTP_BLKSIZE_MAX, -EINVAL);
    assert_return(ret_len, -EINVAL);

    if (cap < TFTP_HEADER_SIZE || cap - TFTP_HEADER_SIZE < n)
        return -ENOBUFS;
    put_be16(o, TFTP_OP_DATA);
    put_be16(o + 2, block);
    if (n > 0)
        memmove(o + TFTP_HEADER_SIZE, data, n);
    *ret_len = TFTP_HEADER_SIZE + n;
    return 0;
}

int tftp_packet_write_ack(void *out, size_t cap, uint16_t block, size_t *ret_len)
{
    uint8_t *o = out;

    assert_return(out, -EINVAL);
    assert_return(ret_len, -EINVAL);

    if (cap < TFTP_HEADER_SIZE)
        return -ENOBUFS;
    put_be16(o, TFTP_OP_ACK);
    put_be16(o + 2, block);
    *ret_len = TFTP_HEADER_SIZE;
    return 0;
}

int tftp_packet_write_error(void *out,
                            size_t cap,
                            enum tftp_error_code code,
                            const char *msg,
                            size_t *ret_len)
{
    uint8_t *o = out;

    assert_return(out, -EINVAL);
    assert_return((unsigned)code < _TFTP_ERROR_MAX, -EINVAL);
    assert_return(ret_len, -EINVAL);

    if (!msg)
        msg = tftp_error_code_to_string(code);
    size_t msg_len = strlen(msg);
    if (cap < TFTP_HEADER_SIZE || cap - TFTP_HEADER_SIZE <= msg_len)
        return -ENOBUFS;
    put_be16(o, TFTP_OP_ERROR);
    put_be16(o + 2, (uint16_t)code);
    memcpy(o + TFTP_HEADER_SIZE, msg, msg_len + 1);
    *ret_len = TFTP_HEADER_SIZE + msg_len + 1;
    return 0;
}

int tftp_packet_write_oack(void *out, size_t cap, const struct tftp_options *opts, size_t *ret_len)
{
    uint8_t *o = out;
    size_t n;
    int r;

    assert_return(out, -EINVAL);
    assert_return(opts, -EINVAL);
    assert_return(ret_len, -EINVAL);

    if (cap < 2)
        return -ENOBUFS;
    put_be16(o, TFTP_OP_OACK);
    r = tftp_options_write(o + 2, cap - 2, opts, &n);
    if (r < 0)
        return r;
    *ret_len = 2 + n;
    return 0;
}

enum tftp_error_code tftp_error_code_from_errno(int r)
{
    switch (r) {
    case -ENOENT:
    case -ENOTDIR:
        return TFTP_ERROR_NOT_FOUND;
    case -EACCES:
    case -EPERM:
    case -EROFS:
    case -EISDIR:
    case -ELOOP:
    case -EXDEV:
        return TFTP_ERROR_ACCESS;
    case -ENOSPC:
    case -EDQUOT:
        return TFTP_ERROR_DISK_FULL;
    case -EBADMSG:
    case -EOPNOTSUPP:
        return TFTP_ERROR_ILLEGAL_OP;
    case -EEXIST:
        return TFTP_ERROR_EXISTS;
    case -EPROTO:
        return TFTP_ERROR_OPTION;
    default:
        return TFTP_ERROR_UNDEFINED;
    }
}

const char *tftp_error_code_to_string(enum tftp_error_code code)
{
    static const char *const text[_TFTP_ERROR_MAX] = {
            [TFTP_ERROR_UNDEFINED] = "Not defined",
            [TFTP_ERROR_NOT_FOUND] = "File not found",
            [TFTP_ERROR_ACCESS] = "Access violation",
            [TFTP_ERROR_DISK_FULL] = "Disk full or allocation exceeded",
            [TFTP_ERROR_ILLEGAL_OP] = "Illegal TFTP operation",
            [TFTP_ERROR_UNKNOWN_TID] = "Unknown transfer ID",
            [TFTP_ERROR_EXISTS] = "File already exists",
            [TFTP_ERROR_NO_USER] = "No such user",
            [TFTP_ERROR_OPTION] = "Option negotiation failed",
    };
    if ((unsigned)code >= _TFTP_ERROR_MAX)
        return text[TFTP_ERROR_UNDEFINED];
    return text[code];
}
