/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port-69 path of pkg/tftp: a raw datagram through the request parser,
 * option negotiation, the OACK encoder and the path policy, with the
 * invariants each promises checked on every input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp-internal.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_path(const char *path, enum tftp_root root)
{
    size_t len = strlen(path);

    check(len > 0 && len <= TFTP_NAME_MAX);
    check(path[0] != '/' && path[len - 1] != '/');
    check(!strchr(path, '\\'));
    check(!strstr(path, "//"));
    check(root == TFTP_ROOT_IPXE || root == TFTP_ROOT_ASSET);
    for (const char *c = path; *c; c++)
        check((unsigned char)*c >= 0x20 && *c != 0x7f);
    /* No "." or ".." component survives. */
    for (const char *c = path; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        check(!(n == 1 && c[0] == '.'));
        check(!(n == 2 && c[0] == '.' && c[1] == '.'));
    }
}

static void fuzz_path(const char *name, size_t len)
{
    for (int assets = 0; assets <= 1; assets++) {
        struct tftp_path_policy policy = {.serve_assets = assets};
        enum tftp_root root;
        char *path = NULL;
        int r = tftp_path_map(&policy, name, len, &root, &path);
        check(r == 0 || r == -EACCES || r == -ENOENT || r == -ENOMEM);
        if (r < 0) {
            check(!path);
            continue;
        }
        check_path(path, root);
        check(assets || root == TFTP_ROOT_IPXE);
        free(path);
    }
}

static void fuzz_negotiate(const struct tftp_request *req)
{
    static const struct tftp_limits lims[] = {
            TFTP_LIMITS_DEFAULT,
            {.blksize_max = TFTP_BLKSIZE_MAX, .windowsize_max = 65535, .timeout_ms = 1},
            {.blksize_max = TFTP_BLKSIZE_MIN, .windowsize_max = 1, .timeout_ms = 1},
    };
    uint8_t out[TFTP_PACKET_MIN];

    for (size_t i = 0; i < ARRAY_SIZE(lims); i++) {
        struct tftp_options o;
        size_t len;
        check(tftp_options_negotiate(&req->options, req->mode, &lims[i], 1234, &o) == 0);
        check((o.present & ~req->options.present) == 0);
        if (o.present & TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE))
            check(o.blksize >= TFTP_BLKSIZE_MIN && o.blksize <= lims[i].blksize_max &&
                  o.blksize <= req->options.blksize);
        if (o.present & TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE))
            check(o.windowsize >= 1 && o.windowsize <= lims[i].windowsize_max);
        if (o.present & TFTP_OPTION_BIT(TFTP_OPTION_TSIZE))
            check(o.tsize == 1234);
        /* Whatever was negotiated fits the smallest transfer buffer. */
        check(tftp_packet_write_oack(out, sizeof(out), &o, &len) == 0);
        struct tftp_packet back;
        check(tftp_packet_parse(out, len, &back, NULL) == 0);
        check(back.opcode == TFTP_OP_OACK && back.oack.present == o.present);
    }
}

static void fuzz_roundtrip(const struct tftp_request *req)
{
    uint8_t out[2048];
    size_t len;
    struct tftp_request back;

    if (req->filename_len == 0)
        return;
    int r = tftp_packet_write_request(out, sizeof(out), req, &len);
    check(r == 0 || r == -ENOBUFS);
    if (r < 0)
        return;
    check(tftp_request_parse(out, len, &back, NULL) == 0);
    check(back.opcode == req->opcode && back.mode == req->mode);
    check(back.filename_len == req->filename_len);
    check(memcmp(back.filename, req->filename, req->filename_len) == 0);
    check(back.options.present == req->options.present);
    check(back.options.blksize == req->options.blksize);
    check(back.options.timeout == req->options.timeout);
    check(back.options.tsize == req->options.tsize);
    check(back.options.windowsize == req->options.windowsize);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tftp_request req;
    struct tftp_packet pkt;
    struct tftp_parse_error err = {0};

    int r = tftp_packet_parse(data, size, &pkt, &err);
    check(r == 0 || r == -EBADMSG || r == -EPROTO || r == -EOPNOTSUPP);
    check(r == 0 || err.reason);
    if (r == 0 && pkt.opcode == TFTP_OP_DATA)
        check(pkt.data.len <= TFTP_BLKSIZE_MAX && pkt.data.data + pkt.data.len == data + size);
    if (r == 0 && pkt.opcode == TFTP_OP_ERROR)
        check(pkt.error.msg_len <= size - TFTP_HEADER_SIZE);

    r = tftp_request_parse(data, size, &req, &err);
    check(r == 0 || r == -EBADMSG || r == -EPROTO || r == -EOPNOTSUPP);
    if (r < 0) {
        /* Every refusal maps to an answer, or to silence for garbage. */
        enum tftp_error_code code = tftp_error_code_from_errno(r);
        check(code == (r == -EPROTO ? TFTP_ERROR_OPTION : TFTP_ERROR_ILLEGAL_OP));
        return 0;
    }
    check(req.opcode == TFTP_OP_RRQ || req.opcode == TFTP_OP_WRQ);
    check(req.filename == (const char *)data + 2);
    check(req.filename_len == strlen(req.filename));
    check(2 + req.filename_len < size);

    fuzz_path(req.filename, req.filename_len);
    fuzz_negotiate(&req);
    fuzz_roundtrip(&req);
    /* The raw bytes too, as a caller with a length-delimited name would. */
    fuzz_path((const char *)data, MIN(size, (size_t)TFTP_NAME_MAX + 1));
    return 0;
}
