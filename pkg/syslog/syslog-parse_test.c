/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/syslog parsing: every RFC 3164 and RFC 5424 shape anvil-boot meets,
 * the examples of both RFCs, and every malformed case.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "syslog/syslog-internal.h"

#define BOM "\xef\xbb\xbf"
#define F3164 SYSLOG_FORMAT_RFC3164
#define F5424 SYSLOG_FORMAT_RFC5424

#define H51  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
#define H255 H51 H51 H51 H51 H51
#define A48  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define P128 A48 A48 "pppppppppppppppppppppppppppppppp"
#define M32  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
#define S32  "ssssssssssssssssssssssssssssssss"

struct parse_case {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
    enum syslog_format format;
    unsigned facility, severity;
    /* NULL means "" */
    const char *timestamp, *hostname, *app, *procid, *msgid, *sd, *message;
};

static const struct parse_case parse_cases[] = {
        /* RFC 3164 §5.4 examples and the variants of real senders. */
        {"3164 example 1", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
                           "/dev/pts/8",
         0, F3164, 4, 2, "Oct 11 22:14:15", "mymachine", "su", NULL, NULL, NULL,
         "'su root' failed for lonvick on /dev/pts/8"},
        {"3164 example 2: host, no tag", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", 0, F3164,
         1, 5, "Feb  5 17:32:18", "10.0.0.99", NULL, NULL, NULL, NULL, "Use the BFG!"},
        {"3164 example 3: the word after the timestamp is the host",
         "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time", 0, F3164, 20, 5,
         "Aug 24 05:34:00", "CST", NULL, NULL, NULL, NULL,
         "1987 mymachine myproc[10]: %% It's time"},
        {"timestamp, tag with pid, no host",
         "<30>Jan  1 00:00:05 dhclient[123]: DHCPACK of 10.0.0.5", 0, F3164, 3, 6,
         "Jan  1 00:00:05", NULL, "dhclient", "123", NULL, NULL, "DHCPACK of 10.0.0.5"},
        {"timestamp, host, tag with pid", "<86>Dec 31 23:59:60 node-1 sshd[4242]: Accepted key", 0,
         F3164, 10, 6, "Dec 31 23:59:60", "node-1", "sshd", "4242", NULL, NULL, "Accepted key"},
        {"zero-padded day", "<13>Jan 01 00:00:00 host app: m", 0, F3164, 1, 5, "Jan 01 00:00:00",
         "host", "app", NULL, NULL, NULL, "m"},
        {"iPXE without hostname", "<14>ipxe: Downloading http://10.0.0.1/vmlinuz", 0, F3164, 1, 6,
         NULL, NULL, "ipxe", NULL, NULL, NULL, "Downloading http://10.0.0.1/vmlinuz"},
        {"iPXE with hostname", "<14>node1.lab ipxe: net0: 52:54:00:12:34:56 using virtio-net", 0,
         F3164, 1, 6, NULL, "node1.lab", "ipxe", NULL, NULL, NULL,
         "net0: 52:54:00:12:34:56 using virtio-net"},
        {"kernel line", "<6>kernel: [    1.234567] eth0: link up", 0, F3164, 0, 6, NULL, NULL,
         "kernel", NULL, NULL, NULL, "[    1.234567] eth0: link up"},
        {"tag with slash and pid", "<13>Jan  1 00:00:00 host systemd/foo[1]: x", 0, F3164, 1, 5,
         "Jan  1 00:00:00", "host", "systemd/foo", "1", NULL, NULL, "x"},
        {"tag without message", "<13>tag:", 0, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         NULL},
        {"rsyslog RFC 3339 timestamp", "<86>2024-05-01T10:00:00.123456+02:00 node1 sshd[42]: ok", 0,
         F3164, 10, 6, "2024-05-01T10:00:00.123456+02:00", "node1", "sshd", "42", NULL, NULL,
         "ok"},
        {"RFC 3339 timestamp, no host", "<86>2024-05-01T10:00:00Z tag: x", 0, F3164, 10, 6,
         "2024-05-01T10:00:00Z", NULL, "tag", NULL, NULL, NULL, "x"},
        {"free text, no header", "<13>hello world", 0, F3164, 1, 5, NULL, NULL, NULL, NULL, NULL,
         NULL, "hello world"},
        {"PRI only", "<0>", 0, F3164, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"largest PRI", "<191>x", 0, F3164, 23, 7, NULL, NULL, NULL, NULL, NULL, NULL, "x"},
        {"leading zeros in PRI", "<013>tag: x", 0, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         "x"},
        {"timestamp only", "<13>Jan  1 00:00:00", 0, F3164, 1, 5, "Jan  1 00:00:00", NULL, NULL,
         NULL, NULL, NULL, NULL},
        {"timestamp and host only", "<13>Jan  1 00:00:00 host", 0, F3164, 1, 5, "Jan  1 00:00:00",
         "host", NULL, NULL, NULL, NULL, NULL},
        {"not a month", "<13>Foo  1 00:00:00 host app: x", 0, F3164, 1, 5, NULL, NULL, NULL, NULL,
         NULL, NULL, "Foo  1 00:00:00 host app: x"},
        {"hour out of range", "<13>Jan  1 24:00:00 app: x", 0, F3164, 1, 5, NULL, NULL, NULL, NULL,
         NULL, NULL, "Jan  1 24:00:00 app: x"},
        {"day zero", "<13>Jan 00 10:00:00 app: x", 0, F3164, 1, 5, NULL, NULL, NULL, NULL, NULL,
         NULL, "Jan 00 10:00:00 app: x"},
        {"empty pid is no tag", "<13>app[]: x", 0, F3164, 1, 5, NULL, NULL, NULL, NULL, NULL, NULL,
         "app[]: x"},
        {"tag of 49 bytes is no tag",
         "<13>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x", 0, F3164, 1, 5, NULL, NULL,
         NULL, NULL, NULL, NULL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x"},
        {"tag of 48 bytes", "<13>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x", 0, F3164,
         1, 5, NULL, NULL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, NULL,
         "x"},
        {"version other than 1 is 3164 text", "<13>2 - - - - - - x", 0, F3164, 1, 5, NULL, NULL,
         NULL, NULL, NULL, NULL, "2 - - - - - - x"},
        /* Text hygiene. */
        {"trailing newline", "<13>tag: msg\n", 0, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         "msg"},
        {"CRLF and NUL", "<13>tag: a\r\n\0b", 14, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         "ab"},
        {"tab becomes a space", "<13>tag: a\tb", 0, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL,
         NULL, "a b"},
        {"escape sequences stripped", "<13>tag: \x1b[31mred\x1b[0m", 0, F3164, 1, 5, NULL, NULL,
         "tag", NULL, NULL, NULL, "[31mred[0m"},
        {"UTF-8 kept, C1 control dropped", "<13>tag: caf\xc3\xa9 \xc2\x85\xe2\x82\xac", 0, F3164, 1,
         5, NULL, NULL, "tag", NULL, NULL, NULL, "caf\xc3\xa9 \xe2\x82\xac"},
        {"invalid bytes escaped", "<13>tag: \xff\xfe ok", 0, F3164, 1, 5, NULL, NULL, "tag", NULL,
         NULL, NULL, "\\xff\\xfe ok"},
        {"overlong and surrogate escaped", "<13>tag: \xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", 0,
         F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80"},
        {"truncated sequence escaped", "<13>tag: a\xe2\x82", 0, F3164, 1, 5, NULL, NULL, "tag",
         NULL, NULL, NULL, "a\\xe2\\x82"},
        {"DEL dropped", "<13>tag: a\x7f" "b", 0, F3164, 1, 5, NULL, NULL, "tag", NULL, NULL, NULL,
         "ab"},

        /* RFC 5424 §6.5 examples. */
        {"5424 example 1",
         "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " BOM
         "'su root' failed for lonvick on /dev/pts/8",
         0, F5424, 4, 2, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "su", NULL, "ID47",
         NULL, "'su root' failed for lonvick on /dev/pts/8"},
        {"5424 example 2",
         "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
         "the do-nuts.",
         0, F5424, 20, 5, "2003-08-24T05:14:15.000003-07:00", "192.0.2.1", "myproc", "8710", NULL,
         NULL, "%% It's time to make the do-nuts."},
        {"5424 example 3",
         "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
         "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] " BOM "An application event log "
         "entry...",
         0, F5424, 20, 5, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog", NULL,
         "ID47",
         "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]",
         "An application event log entry..."},
        {"5424 example 4: two SD elements, no MSG",
         "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
         "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
         "class=\"high\"]",
         0, F5424, 20, 5, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog", NULL,
         "ID47",
         "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
         "[examplePriority@32473 class=\"high\"]",
         NULL},
        {"5424 all NILVALUE", "<13>1 - - - - - -", 0, F5424, 1, 5, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL},
        {"5424 empty MSG", "<13>1 - - - - - - ", 0, F5424, 1, 5, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL},
        {"5424 MSG without BOM", "<13>1 - h a p m - hello  world", 0, F5424, 1, 5, NULL, "h", "a",
         "p", "m", NULL, "hello  world"},
        {"5424 BOM only once", "<13>1 - - - - - - " BOM BOM "x", 0, F5424, 1, 5, NULL, NULL, NULL,
         NULL, NULL, NULL, BOM "x"},
        {"5424 escapes in SD values",
         "<13>1 - - - - - [x@1 a=\"q\\\"u\\]o\\\\te\" b=\"\"] m", 0, F5424, 1, 5, NULL, NULL, NULL,
         NULL, NULL, "[x@1 a=\"q\\\"u\\]o\\\\te\" b=\"\"]", "m"},
        {"5424 SD element without params", "<13>1 - - - - - [a][b c=\"d\"]", 0, F5424, 1, 5, NULL,
         NULL, NULL, NULL, NULL, "[a][b c=\"d\"]", NULL},
        {"5424 timestamp without fraction, offset", "<13>1 2024-02-29T23:59:60+14:00 - - - - -", 0,
         F5424, 1, 5, "2024-02-29T23:59:60+14:00", NULL, NULL, NULL, NULL, NULL, NULL},
        {"5424 field limits", "<13>1 - " H255 " " A48 " " P128 " " M32 " -", 0, F5424, 1, 5, NULL,
         H255, A48, P128, M32, NULL, NULL},
        {"5424 invalid UTF-8 in MSG escaped", "<13>1 - - - - - - a\xff\x01", 0, F5424, 1, 5, NULL,
         NULL, NULL, NULL, NULL, NULL, "a\\xff"},
};

static void check_field(const char *name, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want ? want : "") != 0)
        fail_msg("%s: %s is '%s', expected '%s'", name, what, got, want ? want : "");
}

static void test_message_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        _cleanup_syslog_message_ struct syslog_message *m = NULL;
        size_t len = c->len ? c->len : strlen(c->in);

        int r = syslog_message_parse(c->in, len, &m);
        if (r != 0)
            fail_msg("%s: r=%d", c->name, r);
        if (m->format != c->format || m->facility != c->facility || m->severity != c->severity)
            fail_msg("%s: format %d facility %u severity %u", c->name, m->format, m->facility,
                     m->severity);
        check_field(c->name, "timestamp", m->timestamp, c->timestamp);
        check_field(c->name, "hostname", m->hostname, c->hostname);
        check_field(c->name, "app", m->app, c->app);
        check_field(c->name, "procid", m->procid, c->procid);
        check_field(c->name, "msgid", m->msgid, c->msgid);
        check_field(c->name, "structured_data", m->structured_data, c->sd);
        check_field(c->name, "message", m->message, c->message);
    }
}

struct bad_case {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
};

static const struct bad_case bad_cases[] = {
        /* no PRI */
        {"empty", "", 0},
        {"text", "hello world", 0},
        {"lone <", "<", 0},
        {"empty PRI", "<>x", 0},
        {"unterminated PRI", "<13", 0},
        {"unterminated PRI with text", "<13 hello", 0},
        {"letters in PRI", "<1a>x", 0},
        {"sign in PRI", "<-1>x", 0},
        {"plus in PRI", "<+1>x", 0},
        {"space in PRI", "< 13>x", 0},
        {"PRI above 191", "<192>x", 0},
        {"PRI of four digits", "<1000>x", 0},
        {"PRI 0191 too long", "<0191>x", 0},
        {"no '<'", "13>x", 0},
        {"NUL instead of '>'", "<13\0x", 5},
        /* RFC 5424 header */
        {"5424 nothing after version", "<13>1 ", 0},
        {"5424 no STRUCTURED-DATA", "<13>1 - - - - -", 0},
        {"5424 no SP before STRUCTURED-DATA", "<13>1 - - - - -[a]", 0},
        {"5424 double SP", "<13>1 -  - - - - -", 0},
        {"5424 tab separator", "<13>1 -\t- - - - -", 0},
        {"5424 bad month", "<13>1 2003-13-11T22:14:15Z - - - - -", 0},
        {"5424 day zero", "<13>1 2003-10-00T22:14:15Z - - - - -", 0},
        {"5424 lower-case t", "<13>1 2003-10-11t22:14:15Z - - - - -", 0},
        {"5424 lower-case z", "<13>1 2003-10-11T22:14:15z - - - - -", 0},
        {"5424 no offset", "<13>1 2003-10-11T22:14:15 - - - - -", 0},
        {"5424 seven fraction digits", "<13>1 2003-10-11T22:14:15.1234567Z - - - - -", 0},
        {"5424 empty fraction", "<13>1 2003-10-11T22:14:15.Z - - - - -", 0},
        {"5424 offset without colon", "<13>1 2003-10-11T22:14:15+0200 - - - - -", 0},
        {"5424 offset hour 24", "<13>1 2003-10-11T22:14:15+24:00 - - - - -", 0},
        {"5424 minute 60", "<13>1 2003-10-11T22:60:15Z - - - - -", 0},
        {"5424 date only", "<13>1 2003-10-11 - - - - -", 0},
        {"5424 BSD timestamp", "<13>1 Oct 11 22:14:15 - - - - -", 0},
        {"5424 hostname of 256", "<13>1 - " H255 "h - - - -", 0},
        {"5424 app of 49", "<13>1 - - " A48 "a - - -", 0},
        {"5424 procid of 129", "<13>1 - - - " P128 "p - -", 0},
        {"5424 msgid of 33", "<13>1 - - - - " M32 "m -", 0},
        {"5424 non-ASCII hostname", "<13>1 - h\xc3\xa9 - - - -", 0},
        {"5424 SD neither '-' nor '['", "<13>1 - - - - - x", 0},
        {"5424 SD '--'", "<13>1 - - - - - --", 0},
        {"5424 SD unterminated", "<13>1 - - - - - [a", 0},
        {"5424 SD empty id", "<13>1 - - - - - []", 0},
        {"5424 SD id of 33", "<13>1 - - - - - [" S32 "s]", 0},
        {"5424 SD id with '='", "<13>1 - - - - - [a=b]", 0},
        {"5424 SD param without value", "<13>1 - - - - - [a b]", 0},
        {"5424 SD value without quotes", "<13>1 - - - - - [a b=c]", 0},
        {"5424 SD value unterminated", "<13>1 - - - - - [a b=\"c]", 0},
        {"5424 SD value with bare ']'", "<13>1 - - - - - [a b=\"x]y\"]", 0},
        {"5424 SD value ending in '\\'", "<13>1 - - - - - [a b=\"x\\", 0},
        {"5424 SD two spaces", "<13>1 - - - - - [a  b=\"c\"]", 0},
        {"5424 SD param name empty", "<13>1 - - - - - [a =\"c\"]", 0},
        {"5424 text after SD without SP", "<13>1 - - - - - [a]x", 0},
        {"5424 text after '-' without SP", "<13>1 - - - - --x", 0},
};

static void test_message_parse_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        struct syslog_message *m = NULL;
        size_t len = bad_cases[i].len ? bad_cases[i].len : strlen(bad_cases[i].in);
        int r = syslog_message_parse(bad_cases[i].in, len, &m);
        if (r != -EBADMSG)
            fail_msg("%s: r=%d", bad_cases[i].name, r);
        assert_null(m);
    }
}

static void test_message_parse_size_limit(void **state)
{
    (void)state;
    char *big = malloc(SYSLOG_DATAGRAM_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', SYSLOG_DATAGRAM_MAX + 1);
    memcpy(big, "<13>tag: ", 9);
    struct syslog_message *m = NULL;

    assert_int_equal(syslog_message_parse(big, SYSLOG_DATAGRAM_MAX + 1, &m), -EMSGSIZE);
    assert_null(m);
    assert_int_equal(syslog_message_parse(big, SYSLOG_DATAGRAM_MAX, &m), 0);
    assert_string_equal(m->app, "tag");
    assert_int_equal(strlen(m->message), SYSLOG_DATAGRAM_MAX - 9);
    syslog_message_free(m);

    /* All invalid bytes: the escaped text is four times the input. */
    memset(big + 4, 0xff, SYSLOG_DATAGRAM_MAX - 4);
    m = NULL;
    assert_int_equal(syslog_message_parse(big, SYSLOG_DATAGRAM_MAX, &m), 0);
    assert_int_equal(strlen(m->message), (size_t)(SYSLOG_DATAGRAM_MAX - 4) * 4);
    syslog_message_free(m);
    free(big);
}

/* The parser reads len bytes and no more: a datagram cut anywhere is
 * still parsed from its own bytes only (ASan checks the bound). */
static void test_message_parse_every_prefix(void **state)
{
    static const char full[] = "<165>1 2003-10-11T22:14:15.003Z host app 12 ID [a b=\"c\\\"\"] m";
    (void)state;

    for (size_t n = 0; n <= strlen(full); n++) {
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, full, n);
        struct syslog_message *m = NULL;
        int r = syslog_message_parse(copy, n, &m);
        assert_true(r == 0 || r == -EBADMSG);
        assert_true((r == 0) == (m != NULL));
        syslog_message_free(m);
        free(copy);
    }
}

static void test_message_parse_null_arguments(void **state)
{
    (void)state;
    struct syslog_message *m = NULL;

    assert_int_equal(syslog_message_parse(NULL, 3, &m), -EINVAL);
    assert_int_equal(syslog_message_parse("<1>", 3, NULL), -EINVAL);
    assert_int_equal(syslog_message_parse(NULL, 0, &m), -EBADMSG);
    assert_null(m);
    assert_null(syslog_message_free(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_message_parse_table),
            cmocka_unit_test(test_message_parse_refuses),
            cmocka_unit_test(test_message_parse_size_limit),
            cmocka_unit_test(test_message_parse_every_prefix),
            cmocka_unit_test(test_message_parse_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
