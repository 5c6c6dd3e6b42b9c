/* SPDX-License-Identifier: Apache-2.0 */
/* Codec, option parsing and negotiation of pkg/tftp. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tftp/tftp-internal.h"
#include "tftp/tftp-test.h"

/* A byte string literal with embedded NULs, without its final NUL. */
#define BYTES(s) .pkt = (const uint8_t *)(s), .len = sizeof(s) - 1

#define BLK     TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE)
#define TMO     TFTP_OPTION_BIT(TFTP_OPTION_TIMEOUT)
#define TSZ     TFTP_OPTION_BIT(TFTP_OPTION_TSIZE)
#define WIN     TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE)
#define RRQ     "\x00\x01"
#define WRQ     "\x00\x02"
#define RRQ_OCT RRQ "f\0octet\0"

struct request_case {
    const char *name;
    const uint8_t *pkt;
    size_t len;
    int ret;
    const char *bad_option; /* for -EPROTO: the option reterr names, or NULL */
    enum tftp_opcode opcode;
    enum tftp_mode mode;
    unsigned present;
    uint16_t blksize;
    uint8_t timeout;
    uint64_t tsize;
    uint16_t windowsize;
};

static const struct request_case request_cases[] = {
        /* framing */
        {"plain rrq", BYTES(RRQ "ipxe.efi\0octet\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET},
        {"wrq decodes", BYTES(WRQ "up.bin\0octet\0"), 0, .opcode = TFTP_OP_WRQ,
         .mode = TFTP_MODE_OCTET},
        {"empty packet", BYTES(""), -EBADMSG},
        {"one byte", BYTES("\x00"), -EBADMSG},
        {"opcode only", BYTES(RRQ), -EBADMSG},
        {"filename unterminated", BYTES(RRQ "ipxe.efi"), -EBADMSG},
        {"mode missing", BYTES(RRQ "ipxe.efi\0"), -EBADMSG},
        {"mode unterminated", BYTES(RRQ "ipxe.efi\0octet"), -EBADMSG},
        {"opcode 0", BYTES("\x00\x00" "f\0octet\0"), -EBADMSG},
        {"opcode data", BYTES("\x00\x03" "f\0octet\0"), -EBADMSG},
        {"opcode ack", BYTES("\x00\x04\x00\x01"), -EBADMSG},
        {"opcode 7", BYTES("\x00\x07" "f\0octet\0"), -EBADMSG},
        {"opcode high byte", BYTES("\x01\x01" "f\0octet\0"), -EBADMSG},
        /* modes */
        {"mode upper", BYTES(RRQ "f\0OCTET\0"), 0, .opcode = TFTP_OP_RRQ, .mode = TFTP_MODE_OCTET},
        {"mode netascii", BYTES(RRQ "f\0NetAscii\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_NETASCII},
        {"mode mail", BYTES(RRQ "f\0mail\0"), -EOPNOTSUPP},
        {"mode unknown", BYTES(RRQ "f\0binary\0"), -EOPNOTSUPP},
        {"mode empty", BYTES(RRQ "f\0\0"), -EOPNOTSUPP},
        {"mode prefix", BYTES(RRQ "f\0oct\0"), -EOPNOTSUPP},
        /* blksize, RFC 2348 */
        {"blksize min", BYTES(RRQ_OCT "blksize\0" "8\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = BLK, .blksize = 8},
        {"blksize below min", BYTES(RRQ_OCT "blksize\0" "7\0"), -EPROTO, "blksize"},
        {"blksize zero", BYTES(RRQ_OCT "blksize\0" "0\0"), -EPROTO, "blksize"},
        {"blksize max", BYTES(RRQ_OCT "blksize\0" "65464\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = BLK, .blksize = 65464},
        {"blksize above max", BYTES(RRQ_OCT "blksize\0" "65465\0"), -EPROTO, "blksize"},
        {"blksize huge", BYTES(RRQ_OCT "blksize\0" "99999999999999999999999\0"), -EPROTO,
         "blksize"},
        {"blksize upper case", BYTES(RRQ_OCT "BLKSIZE\0" "1432\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = BLK, .blksize = 1432},
        {"blksize leading zeros", BYTES(RRQ_OCT "blksize\0" "0512\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = BLK, .blksize = 512},
        {"blksize empty", BYTES(RRQ_OCT "blksize\0\0"), -EPROTO, "blksize"},
        {"blksize sign", BYTES(RRQ_OCT "blksize\0" "+512\0"), -EPROTO, "blksize"},
        {"blksize negative", BYTES(RRQ_OCT "blksize\0" "-512\0"), -EPROTO, "blksize"},
        {"blksize blank", BYTES(RRQ_OCT "blksize\0" " 512\0"), -EPROTO, "blksize"},
        {"blksize hex", BYTES(RRQ_OCT "blksize\0" "0x200\0"), -EPROTO, "blksize"},
        {"blksize trailing junk", BYTES(RRQ_OCT "blksize\0" "512k\0"), -EPROTO, "blksize"},
        {"blksize duplicate", BYTES(RRQ_OCT "blksize\0" "512\0blksize\0" "512\0"), -EPROTO,
         "blksize"},
        {"blksize duplicate case", BYTES(RRQ_OCT "blksize\0" "512\0BlkSize\0" "1024\0"), -EPROTO,
         "BlkSize"},
        {"blksize no value", BYTES(RRQ_OCT "blksize\0"), -EPROTO, "blksize"},
        {"blksize value unterminated", BYTES(RRQ_OCT "blksize\0" "1432"), -EPROTO, "blksize"},
        /* timeout and tsize, RFC 2349 */
        {"timeout min", BYTES(RRQ_OCT "timeout\0" "1\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = TMO, .timeout = 1},
        {"timeout max", BYTES(RRQ_OCT "Timeout\0" "255\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = TMO, .timeout = 255},
        {"timeout zero", BYTES(RRQ_OCT "timeout\0" "0\0"), -EPROTO, "timeout"},
        {"timeout above max", BYTES(RRQ_OCT "timeout\0" "256\0"), -EPROTO, "timeout"},
        {"timeout duplicate", BYTES(RRQ_OCT "timeout\0" "2\0TIMEOUT\0" "2\0"), -EPROTO,
         "TIMEOUT"},
        {"tsize zero", BYTES(RRQ_OCT "tsize\0" "0\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = TSZ, .tsize = 0},
        {"tsize max", BYTES(RRQ_OCT "TSIZE\0" "18446744073709551615\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = TSZ, .tsize = UINT64_MAX},
        {"tsize overflow", BYTES(RRQ_OCT "tsize\0" "18446744073709551616\0"), -EPROTO, "tsize"},
        {"tsize not a number", BYTES(RRQ_OCT "tsize\0" "zero\0"), -EPROTO, "tsize"},
        {"tsize duplicate", BYTES(RRQ_OCT "tsize\0" "0\0tsize\0" "0\0"), -EPROTO, "tsize"},
        /* windowsize, RFC 7440 */
        {"windowsize min", BYTES(RRQ_OCT "windowsize\0" "1\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = WIN, .windowsize = 1},
        {"windowsize max", BYTES(RRQ_OCT "WindowSize\0" "65535\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = WIN, .windowsize = 65535},
        {"windowsize zero", BYTES(RRQ_OCT "windowsize\0" "0\0"), -EPROTO, "windowsize"},
        {"windowsize above max", BYTES(RRQ_OCT "windowsize\0" "65536\0"), -EPROTO, "windowsize"},
        {"windowsize duplicate", BYTES(RRQ_OCT "windowsize\0" "4\0windowsize\0" "8\0"), -EPROTO,
         "windowsize"},
        /* option framing */
        {"unknown option ignored", BYTES(RRQ_OCT "multicast\0\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET},
        {"unknown option repeated", BYTES(RRQ_OCT "x\0" "1\0x\0" "2\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET},
        {"unknown option no value", BYTES(RRQ_OCT "foo\0"), -EPROTO, "foo"},
        {"option name unterminated", BYTES(RRQ_OCT "blksize"), -EPROTO},
        {"empty option name", BYTES(RRQ_OCT "\0" "512\0"), -EPROTO},
        {"nul padding ignored", BYTES(RRQ_OCT "\0\0\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET},
        {"nul padding after options", BYTES(RRQ_OCT "tsize\0" "0\0\0"), 0, .opcode = TFTP_OP_RRQ,
         .mode = TFTP_MODE_OCTET, .present = TSZ},
        {"ipxe request", BYTES(RRQ "ipxe.efi\0octet\0blksize\0" "1432\0tsize\0" "0\0"), 0,
         .opcode = TFTP_OP_RRQ, .mode = TFTP_MODE_OCTET, .present = BLK | TSZ, .blksize = 1432},
        {"all options",
         BYTES(RRQ_OCT "blksize\0" "1468\0timeout\0" "3\0tsize\0" "0\0windowsize\0" "16\0"
                       "rollover\0" "0\0"),
         0, .opcode = TFTP_OP_RRQ, .mode = TFTP_MODE_OCTET, .present = BLK | TMO | TSZ | WIN,
         .blksize = 1468, .timeout = 3, .windowsize = 16},
};

static void test_request_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(request_cases); i++) {
        const struct request_case *c = &request_cases[i];
        struct tftp_request req = {.filename = "untouched"};
        struct tftp_parse_error err = {0};

        int r = tftp_request_parse(c->pkt, c->len, &req, &err);
        check_case_int(r, c->ret, c->name);
        if (r < 0) {
            check_case(err.reason != NULL, c->name);
            /* ret untouched on failure */
            check_case(strcmp(req.filename, "untouched") == 0, c->name);
            if (c->bad_option)
                check_case(err.option && strcmp(err.option, c->bad_option) == 0, c->name);
            continue;
        }
        check_case_int(req.opcode, c->opcode, c->name);
        check_case_int(req.mode, c->mode, c->name);
        check_case_int(req.options.present, c->present, c->name);
        check_case_int(strlen(req.filename), req.filename_len, c->name);
        check_case(req.filename == (const char *)c->pkt + 2, c->name);
        if (c->present & BLK)
            check_case_int(req.options.blksize, c->blksize, c->name);
        if (c->present & TMO)
            check_case_int(req.options.timeout, c->timeout, c->name);
        if (c->present & TSZ)
            check_case(req.options.tsize == c->tsize, c->name);
        if (c->present & WIN)
            check_case_int(req.options.windowsize, c->windowsize, c->name);
    }
}

static void test_request_parse_empty_filename(void **state)
{
    (void)state;
    static const uint8_t pkt[] = RRQ "\0octet\0";
    struct tftp_request req;

    /* Framing is fine; the path policy turns "" into "file not found". */
    assert_int_equal(tftp_request_parse(pkt, sizeof(pkt) - 1, &req, NULL), 0);
    assert_string_equal(req.filename, "");
    assert_int_equal(req.filename_len, 0);
}

static void test_request_parse_rejects_bad_arguments(void **state)
{
    (void)state;
    struct tftp_request req;
    struct tftp_packet p;

    assert_int_equal(tftp_request_parse(NULL, 4, &req, NULL), -EINVAL);
    assert_int_equal(tftp_request_parse(RRQ, 2, NULL, NULL), -EINVAL);
    assert_int_equal(tftp_packet_parse(NULL, 4, &p, NULL), -EINVAL);
    assert_int_equal(tftp_packet_parse(RRQ, 2, NULL, NULL), -EINVAL);
    assert_int_equal(tftp_request_parse(NULL, 0, &req, NULL), -EBADMSG);
}

struct packet_case {
    const char *name;
    const uint8_t *pkt;
    size_t len;
    int ret;
    enum tftp_opcode opcode;
    uint16_t number; /* block or error code */
    size_t payload;  /* DATA length or ERROR message length */
    unsigned present;
};

static const struct packet_case packet_cases[] = {
        {"rrq", BYTES(RRQ "a\0octet\0"), 0, TFTP_OP_RRQ},
        {"data empty", BYTES("\x00\x03\x00\x07"), 0, TFTP_OP_DATA, 7, 0},
        {"data bytes", BYTES("\x00\x03\xff\xff" "abc"), 0, TFTP_OP_DATA, 65535, 3},
        {"data short", BYTES("\x00\x03\x00"), -EBADMSG},
        {"ack", BYTES("\x00\x04\x01\x02"), 0, TFTP_OP_ACK, 0x0102},
        {"ack trailing bytes", BYTES("\x00\x04\x00\x00junk"), 0, TFTP_OP_ACK, 0},
        {"ack short", BYTES("\x00\x04\x00"), -EBADMSG},
        {"error", BYTES("\x00\x05\x00\x01" "File not found\0"), 0, TFTP_OP_ERROR, 1, 14},
        {"error no message", BYTES("\x00\x05\x00\x08"), 0, TFTP_OP_ERROR, 8, 0},
        {"error unterminated", BYTES("\x00\x05\x00\x00" "oops"), 0, TFTP_OP_ERROR, 0, 4},
        {"error short", BYTES("\x00\x05\x00"), -EBADMSG},
        {"oack", BYTES("\x00\x06" "blksize\0" "1432\0tsize\0" "74213\0"), 0, TFTP_OP_OACK, 0, 0,
         BLK | TSZ},
        {"oack empty", BYTES("\x00\x06"), 0, TFTP_OP_OACK},
        {"oack bad value", BYTES("\x00\x06" "blksize\0" "4\0"), -EPROTO},
        {"oack unterminated", BYTES("\x00\x06" "tsize\0" "12"), -EPROTO},
        {"opcode 0", BYTES("\x00\x00\x00\x01"), -EBADMSG},
        {"opcode 9", BYTES("\x00\x09\x00\x01"), -EBADMSG},
        {"one byte", BYTES("\x04"), -EBADMSG},
};

static void test_packet_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(packet_cases); i++) {
        const struct packet_case *c = &packet_cases[i];
        struct tftp_packet p;
        struct tftp_parse_error err = {0};

        check_case_int(tftp_packet_parse(c->pkt, c->len, &p, &err), c->ret, c->name);
        if (c->ret < 0) {
            check_case(err.reason != NULL, c->name);
            continue;
        }
        check_case_int(p.opcode, c->opcode, c->name);
        switch (p.opcode) {
        case TFTP_OP_DATA:
            check_case_int(p.data.block, c->number, c->name);
            check_case_int(p.data.len, c->payload, c->name);
            check_case(p.data.data == c->pkt + 4, c->name);
            break;
        case TFTP_OP_ACK:
            check_case_int(p.ack.block, c->number, c->name);
            break;
        case TFTP_OP_ERROR:
            check_case_int(p.error.code, c->number, c->name);
            check_case_int(p.error.msg_len, c->payload, c->name);
            break;
        case TFTP_OP_OACK:
            check_case_int(p.oack.present, c->present, c->name);
            break;
        default:
            break;
        }
    }
}

static void test_packet_parse_data_too_long(void **state)
{
    (void)state;
    size_t len = TFTP_HEADER_SIZE + TFTP_BLKSIZE_MAX + 1;
    uint8_t *pkt = calloc(1, len);
    struct tftp_packet p;

    assert_non_null(pkt);
    pkt[1] = TFTP_OP_DATA;
    assert_int_equal(tftp_packet_parse(pkt, len, &p, NULL), -EBADMSG);
    assert_int_equal(tftp_packet_parse(pkt, len - 1, &p, NULL), 0);
    assert_int_equal(p.data.len, TFTP_BLKSIZE_MAX);
    free(pkt);
}

static void test_packet_write_request_roundtrip(void **state)
{
    (void)state;
    uint8_t out[128];
    size_t len;
    struct tftp_request in = {
            .opcode = TFTP_OP_RRQ,
            .filename = "01:02:03:04:05:06/undionly.kpxe",
            .mode = TFTP_MODE_OCTET,
            .options = {.present = BLK | TSZ | WIN | TMO,
                        .blksize = 1432,
                        .tsize = 0,
                        .windowsize = 8,
                        .timeout = 2},
    }, back;

    assert_int_equal(tftp_packet_write_request(out, sizeof(out), &in, &len), 0);
    static const char want[] = RRQ "01:02:03:04:05:06/undionly.kpxe\0octet\0blksize\0"
                                   "1432\0timeout\0" "2\0tsize\0" "0\0windowsize\0" "8\0";
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);
    assert_int_equal(tftp_request_parse(out, len, &back, NULL), 0);
    assert_string_equal(back.filename, in.filename);
    assert_int_equal(back.options.present, in.options.present);
    assert_int_equal(back.options.blksize, 1432);
    assert_int_equal(back.options.windowsize, 8);
    assert_int_equal(back.options.timeout, 2);

    in.opcode = TFTP_OP_WRQ;
    in.mode = TFTP_MODE_NETASCII;
    in.options.present = 0;
    assert_int_equal(tftp_packet_write_request(out, sizeof(out), &in, &len), 0);
    assert_int_equal(tftp_request_parse(out, len, &back, NULL), 0);
    assert_int_equal(back.opcode, TFTP_OP_WRQ);
    assert_int_equal(back.mode, TFTP_MODE_NETASCII);
}

static void test_packet_write_request_rejects(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t len = 99;
    struct tftp_request req = {.opcode = TFTP_OP_RRQ, .filename = "", .mode = TFTP_MODE_OCTET};

    assert_int_equal(tftp_packet_write_request(out, sizeof(out), &req, &len), -EINVAL);
    req.filename = "f";
    req.opcode = TFTP_OP_ACK;
    assert_int_equal(tftp_packet_write_request(out, sizeof(out), &req, &len), -EINVAL);
    req.opcode = TFTP_OP_RRQ;
    req.options = (struct tftp_options){.present = BLK, .blksize = 7};
    assert_int_equal(tftp_packet_write_request(out, sizeof(out), &req, &len), -EINVAL);
    req.options.present = 0;
    /* "\0\1f\0octet\0" is 10 bytes. */
    assert_int_equal(tftp_packet_write_request(out, 9, &req, &len), -ENOBUFS);
    assert_int_equal(len, 99);
    assert_int_equal(tftp_packet_write_request(out, 10, &req, &len), 0);
    assert_int_equal(len, 10);
}

static void test_packet_write_data_ack_error(void **state)
{
    (void)state;
    uint8_t out[32];
    size_t len;
    struct tftp_packet p;

    assert_int_equal(tftp_packet_write_data(out, sizeof(out), 65535, "hello", 5, &len), 0);
    assert_int_equal(len, 9);
    assert_int_equal(tftp_packet_parse(out, len, &p, NULL), 0);
    assert_int_equal(p.opcode, TFTP_OP_DATA);
    assert_int_equal(p.data.block, 65535);
    assert_memory_equal(p.data.data, "hello", 5);
    assert_int_equal(tftp_packet_write_data(out, 8, 1, "hello", 5, &len), -ENOBUFS);
    assert_int_equal(tftp_packet_write_data(out, 4, 1, NULL, 0, &len), 0);
    assert_int_equal(len, 4);
    assert_int_equal(tftp_packet_write_data(out, 4, 1, NULL, 1, &len), -EINVAL);

    assert_int_equal(tftp_packet_write_ack(out, sizeof(out), 0x1234, &len), 0);
    assert_memory_equal(out, "\x00\x04\x12\x34", 4);
    assert_int_equal(tftp_packet_write_ack(out, 3, 1, &len), -ENOBUFS);

    assert_int_equal(tftp_packet_write_error(out, sizeof(out), TFTP_ERROR_ACCESS, NULL, &len), 0);
    static const char want[] = "\x00\x05\x00\x02" "Access violation\0";
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);
    assert_int_equal(tftp_packet_write_error(out, sizeof(out), TFTP_ERROR_OPTION, "no", &len), 0);
    assert_memory_equal(out, "\x00\x05\x00\x08no\0", 7);
    assert_int_equal(tftp_packet_write_error(out, 6, TFTP_ERROR_OPTION, "no", &len), -ENOBUFS);
    assert_int_equal(tftp_packet_write_error(out, sizeof(out), _TFTP_ERROR_MAX, NULL, &len),
                     -EINVAL);
}

static void test_packet_write_oack(void **state)
{
    (void)state;
    uint8_t out[128];
    size_t len;
    struct tftp_options o = {.present = BLK | TMO | TSZ | WIN,
                             .blksize = 65464,
                             .timeout = 255,
                             .tsize = UINT64_MAX,
                             .windowsize = 65535};
    static const char want[] = "\x00\x06" "blksize\0" "65464\0timeout\0" "255\0tsize\0"
                               "18446744073709551615\0windowsize\0" "65535\0";

    /* The largest OACK fits the smallest transfer buffer. */
    assert_int_equal(sizeof(want) - 1, 72);
    assert_true(sizeof(want) - 1 <= TFTP_PACKET_MIN);
    assert_int_equal(tftp_packet_write_oack(out, sizeof(out), &o, &len), 0);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);
    assert_int_equal(tftp_packet_write_oack(out, len - 1, &o, &len), -ENOBUFS);
    assert_int_equal(tftp_packet_write_oack(out, 1, &o, &len), -ENOBUFS);

    o = (struct tftp_options){.present = WIN, .windowsize = 0};
    assert_int_equal(tftp_packet_write_oack(out, sizeof(out), &o, &len), -EINVAL);
    o = (struct tftp_options){.present = TMO, .timeout = 0};
    assert_int_equal(tftp_packet_write_oack(out, sizeof(out), &o, &len), -EINVAL);
}

struct negotiate_case {
    const char *name;
    struct tftp_options req;
    enum tftp_mode mode;
    struct tftp_limits lim;
    int ret;
    struct tftp_options want;
};

/* TFTP_LIMITS_DEFAULT as a brace list, for static tables. */
#define DEF {.blksize_max = 1468, .windowsize_max = 64, .timeout_ms = 1000, .retries_max = 5}

static const struct negotiate_case negotiate_cases[] = {
        {"none", {0}, TFTP_MODE_OCTET, DEF, 0, {0}},
        {"ipxe blksize and tsize", {.present = BLK | TSZ, .blksize = 1432}, TFTP_MODE_OCTET, DEF,
         0, {.present = BLK | TSZ, .blksize = 1432, .tsize = 74213}},
        {"blksize clamped", {.present = BLK, .blksize = 65464}, TFTP_MODE_OCTET, DEF, 0,
         {.present = BLK, .blksize = 1468}},
        {"blksize at server max", {.present = BLK, .blksize = 1468}, TFTP_MODE_OCTET, DEF, 0,
         {.present = BLK, .blksize = 1468}},
        {"blksize min", {.present = BLK, .blksize = 8}, TFTP_MODE_OCTET, DEF, 0,
         {.present = BLK, .blksize = 8}},
        {"blksize big server", {.present = BLK, .blksize = 65464}, TFTP_MODE_OCTET,
         {.blksize_max = 65464, .windowsize_max = 1, .timeout_ms = 1}, 0,
         {.present = BLK, .blksize = 65464}},
        {"blksize below min", {.present = BLK, .blksize = 7}, TFTP_MODE_OCTET, DEF, -EPROTO, {0}},
        {"blksize above max", {.present = BLK, .blksize = 65465}, TFTP_MODE_OCTET, DEF, -EPROTO,
         {0}},
        {"windowsize clamped", {.present = WIN, .windowsize = 65535}, TFTP_MODE_OCTET, DEF, 0,
         {.present = WIN, .windowsize = 64}},
        {"windowsize kept", {.present = WIN, .windowsize = 4}, TFTP_MODE_OCTET, DEF, 0,
         {.present = WIN, .windowsize = 4}},
        {"windowsize zero", {.present = WIN, .windowsize = 0}, TFTP_MODE_OCTET, DEF, -EPROTO, {0}},
        {"timeout echoed", {.present = TMO, .timeout = 255}, TFTP_MODE_OCTET, DEF, 0,
         {.present = TMO, .timeout = 255}},
        {"timeout zero", {.present = TMO, .timeout = 0}, TFTP_MODE_OCTET, DEF, -EPROTO, {0}},
        {"tsize answered", {.present = TSZ, .tsize = 12345}, TFTP_MODE_OCTET, DEF, 0,
         {.present = TSZ, .tsize = 74213}},
        {"tsize netascii omitted", {.present = TSZ}, TFTP_MODE_NETASCII, DEF, 0, {0}},
        {"netascii blksize", {.present = BLK | TSZ, .blksize = 600}, TFTP_MODE_NETASCII, DEF, 0,
         {.present = BLK, .blksize = 600}},
        {"bad limits blksize", {0}, TFTP_MODE_OCTET,
         {.blksize_max = 7, .windowsize_max = 1, .timeout_ms = 1}, -EINVAL, {0}},
        {"bad limits window", {0}, TFTP_MODE_OCTET,
         {.blksize_max = 512, .windowsize_max = 0, .timeout_ms = 1}, -EINVAL, {0}},
        {"bad limits timeout", {0}, TFTP_MODE_OCTET,
         {.blksize_max = 512, .windowsize_max = 1, .timeout_ms = 0}, -EINVAL, {0}},
        {"bad mode", {0}, _TFTP_MODE_MAX, DEF, -EINVAL, {0}},
};

static void test_options_negotiate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(negotiate_cases); i++) {
        const struct negotiate_case *c = &negotiate_cases[i];
        struct tftp_options got = {.present = 0xdead};

        int r = tftp_options_negotiate(&c->req, c->mode, &c->lim, 74213, &got);
        check_case_int(r, c->ret, c->name);
        if (r < 0) {
            check_case_int(got.present, 0xdead, c->name);
            continue;
        }
        check_case_int(got.present, c->want.present, c->name);
        check_case_int(got.blksize, c->want.blksize, c->name);
        check_case_int(got.timeout, c->want.timeout, c->name);
        check_case(got.tsize == c->want.tsize, c->name);
        check_case_int(got.windowsize, c->want.windowsize, c->name);
    }
}

static void test_options_negotiate_null_limits_are_default(void **state)
{
    (void)state;
    struct tftp_options req = {.present = BLK | WIN, .blksize = 9000, .windowsize = 100}, got;

    assert_int_equal(tftp_options_negotiate(&req, TFTP_MODE_OCTET, NULL, 0, &got), 0);
    assert_int_equal(got.blksize, 1468);
    assert_int_equal(got.windowsize, 64);
    assert_int_equal(tftp_options_negotiate(NULL, TFTP_MODE_OCTET, NULL, 0, &got), -EINVAL);
    assert_int_equal(tftp_options_negotiate(&req, TFTP_MODE_OCTET, NULL, 0, NULL), -EINVAL);
}

static void test_limits_check_table(void **state)
{
    (void)state;
    static const struct {
        struct tftp_limits lim;
        int ret;
    } cases[] = {
            {DEF, 0},
            {{.blksize_max = 8, .windowsize_max = 1, .timeout_ms = 1, .retries_max = 0}, 0},
            {{.blksize_max = 65464, .windowsize_max = 65535, .timeout_ms = 1}, 0},
            {{.blksize_max = 65465, .windowsize_max = 1, .timeout_ms = 1}, -EINVAL},
            {{.blksize_max = 7, .windowsize_max = 1, .timeout_ms = 1}, -EINVAL},
            {{.blksize_max = 512, .windowsize_max = 0, .timeout_ms = 1}, -EINVAL},
            {{.blksize_max = 512, .windowsize_max = 1, .timeout_ms = 0}, -EINVAL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(tftp_limits_check(&cases[i].lim), cases[i].ret);
    assert_int_equal(tftp_limits_check(NULL), -EINVAL);
}

static void test_parse_uint_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t min, max;
        int ret;
        uint64_t v;
    } cases[] = {
            {"0", 0, 10, 0, 0},
            {"10", 0, 10, 0, 10},
            {"11", 0, 10, -ERANGE, 0},
            {"0", 1, 10, -ERANGE, 0},
            {"", 0, 10, -EINVAL, 0},
            {"1a", 0, 10, -EINVAL, 0},
            {"-1", 0, 10, -EINVAL, 0},
            {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
            {"18446744073709551616", 0, UINT64_MAX, -ERANGE, 0},
            {"000000000000000000000000042", 0, 100, 0, 42},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t v = 777;
        int r = tftp_parse_uint(cases[i].s, strlen(cases[i].s), cases[i].min, cases[i].max, &v);
        assert_int_equal(r, cases[i].ret);
        assert_true(v == (r == 0 ? cases[i].v : 777));
    }
}

static void test_error_code_from_errno_table(void **state)
{
    (void)state;
    static const struct {
        int r;
        enum tftp_error_code code;
    } cases[] = {
            {-ENOENT, TFTP_ERROR_NOT_FOUND},   {-EACCES, TFTP_ERROR_ACCESS},
            {-EPERM, TFTP_ERROR_ACCESS},       {-EISDIR, TFTP_ERROR_ACCESS},
            {-ELOOP, TFTP_ERROR_ACCESS},       {-ENOSPC, TFTP_ERROR_DISK_FULL},
            {-EBADMSG, TFTP_ERROR_ILLEGAL_OP}, {-EOPNOTSUPP, TFTP_ERROR_ILLEGAL_OP},
            {-EEXIST, TFTP_ERROR_EXISTS},      {-EPROTO, TFTP_ERROR_OPTION},
            {-EIO, TFTP_ERROR_UNDEFINED},      {0, TFTP_ERROR_UNDEFINED},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(tftp_error_code_from_errno(cases[i].r), cases[i].code);
}

static void test_error_code_to_string(void **state)
{
    (void)state;
    assert_string_equal(tftp_error_code_to_string(TFTP_ERROR_NOT_FOUND), "File not found");
    assert_string_equal(tftp_error_code_to_string(TFTP_ERROR_OPTION), "Option negotiation failed");
    for (int i = 0; i < _TFTP_ERROR_MAX; i++)
        assert_non_null(tftp_error_code_to_string((enum tftp_error_code)i));
    assert_string_equal(tftp_error_code_to_string(_TFTP_ERROR_MAX), "Not defined");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_parse_table),
            cmocka_unit_test(test_request_parse_empty_filename),
            cmocka_unit_test(test_request_parse_rejects_bad_arguments),
            cmocka_unit_test(test_packet_parse_table),
            cmocka_unit_test(test_packet_parse_data_too_long),
            cmocka_unit_test(test_packet_write_request_roundtrip),
            cmocka_unit_test(test_packet_write_request_rejects),
            cmocka_unit_test(test_packet_write_data_ack_error),
            cmocka_unit_test(test_packet_write_oack),
            cmocka_unit_test(test_options_negotiate_table),
            cmocka_unit_test(test_options_negotiate_null_limits_are_default),
            cmocka_unit_test(test_limits_check_table),
            cmocka_unit_test(test_parse_uint_table),
            cmocka_unit_test(test_error_code_from_errno_table),
            cmocka_unit_test(test_error_code_to_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
