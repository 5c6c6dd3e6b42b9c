/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

static void test_cmdline_parse_accepts(void **state)
{
    static const struct {
        const char *in;
        const char *worker_id, *authority, *token, *syslog;
        int tls, insecure;
    } cases[] = {
            {"", NULL, NULL, NULL, NULL, -1, -1},
            {"   \n", NULL, NULL, NULL, NULL, -1, -1},
            /* What anvil-boot writes, with /proc/cmdline's trailing newline. */
            {"BOOT_IMAGE=vmlinuz console=ttyS0 syslog_host=10.0.0.1 "
             "grpc_authority=10.0.0.1:42113 tinkerbell_tls=false tinkerbell_insecure_tls=false "
             "worker_id=52:54:00:12:34:56 anvil_token=abc.def\n",
             "52:54:00:12:34:56", "10.0.0.1:42113", "abc.def", "10.0.0.1", 0, 0},
            /* Quoting, as the kernel does it. */
            {"worker_id=\"a b\"", "a b", NULL, NULL, NULL, -1, -1},
            {"\"worker_id=a b\"", "a b", NULL, NULL, NULL, -1, -1},
            {"x worker_id=\"\" y", NULL, NULL, NULL, NULL, -1, -1},
            {"worker_id=\"", NULL, NULL, NULL, NULL, -1, -1},
            {"worker_id=a\"b c\"d", "a\"b c\"d", NULL, NULL, NULL, -1, -1},
            {"worker_id=\"unterminated value", "unterminated value", NULL, NULL, NULL, -1, -1},
            {"\ttinkerbell_tls=1\tworker_id=m", "m", NULL, NULL, NULL, 1, -1},
            /* The last occurrence wins, an empty value unsets. */
            {"worker_id=a worker_id=b", "b", NULL, NULL, NULL, -1, -1},
            {"worker_id=a worker_id=", NULL, NULL, NULL, NULL, -1, -1},
            {"tinkerbell_tls=true tinkerbell_tls=", NULL, NULL, NULL, NULL, -1, -1},
            /* Flags, look-alike keys and other values are ignored. */
            {"worker_id worker-id=x WORKER_ID=y quiet", NULL, NULL, NULL, NULL, -1, -1},
            {"grpc_authority=[fd00::1]:42113 tinkerbell_tls=True tinkerbell_insecure_tls=F", NULL,
             "[fd00::1]:42113", NULL, NULL, 1, 0},
            {"grpc_authority=tink.example.com", NULL, "tink.example.com", NULL, NULL, -1, -1},
            /* A value may hold '=' and UTF-8. */
            {"worker_id=a=b anvil_token=t== syslog_host=h\xc3\xa9", "a=b", NULL, "t==", "h\xc3\xa9",
             -1, -1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agent_cmdline c = AGENT_CMDLINE_INIT;
        char *err = NULL;
        int r = agent_cmdline_parse(cases[i].in, strlen(cases[i].in), &c, &err);
        if (r != 0)
            fail_msg("case %zu: %d %s", i, r, or_null(err));
        assert_null(err);
        if (strcmp(or_null(c.worker_id), or_null(cases[i].worker_id)) != 0 ||
            strcmp(or_null(c.grpc_authority), or_null(cases[i].authority)) != 0 ||
            strcmp(or_null(c.anvil_token), or_null(cases[i].token)) != 0 ||
            strcmp(or_null(c.syslog_host), or_null(cases[i].syslog)) != 0 ||
            c.tinkerbell_tls != cases[i].tls || c.tinkerbell_insecure_tls != cases[i].insecure)
            fail_msg("case %zu (%s): id=%s auth=%s token=%s syslog=%s tls=%d insecure=%d", i,
                     cases[i].in, or_null(c.worker_id), or_null(c.grpc_authority),
                     or_null(c.anvil_token), or_null(c.syslog_host), c.tinkerbell_tls,
                     c.tinkerbell_insecure_tls);
        agent_cmdline_done(&c);
        assert_null(c.worker_id);
        assert_int_equal(c.tinkerbell_tls, -1);
    }
}

static void test_cmdline_parse_rejects(void **state)
{
    static char long_id[300], long_token[1100];
    memset(long_id, 'a', sizeof(long_id) - 1);
    memcpy(long_id, "worker_id=", 10);
    memset(long_token, 'a', sizeof(long_token) - 1);
    memcpy(long_token, "anvil_token=", 12);
    const struct {
        const char *in;
        size_t len; /* 0: strlen */
        int err;
        const char *msg;
    } cases[] = {
            {"tinkerbell_tls=yes", 0, -EBADMSG, "tinkerbell_tls: not a boolean (true or false)"},
            {"tinkerbell_insecure_tls=2", 0, -EBADMSG,
             "tinkerbell_insecure_tls: not a boolean (true or false)"},
            {"grpc_authority=fd00::1", 0, -EBADMSG,
             "grpc_authority: not HOST:PORT (IPv6 in brackets)"},
            {"grpc_authority=host:0", 0, -EBADMSG,
             "grpc_authority: not HOST:PORT (IPv6 in brackets)"},
            {"worker_id=a\x01z", 0, -EBADMSG,
             "worker_id: must be UTF-8 text without control characters"},
            {"worker_id=\xff", 0, -EBADMSG,
             "worker_id: must be UTF-8 text without control characters"},
            {long_id, 0, -EBADMSG, "worker_id: longer than 253 bytes"},
            {long_token, 0, -EBADMSG, "anvil_token: longer than 1024 bytes"},
            {"worker_id=a\0b", 13, -EBADMSG, "command line: contains a NUL byte"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agent_cmdline c = AGENT_CMDLINE_INIT;
        char *err = NULL;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        int r = agent_cmdline_parse(cases[i].in, len, &c, &err);
        if (r != cases[i].err)
            fail_msg("case %zu: got %d want %d", i, r, cases[i].err);
        assert_non_null(err);
        assert_string_equal(err, cases[i].msg);
        assert_null(c.worker_id); /* untouched on failure */
        free(err);
    }
}

static void test_cmdline_parse_caps_length(void **state)
{
    size_t n = AGENT_CMDLINE_MAX + 1;
    char *big = malloc(n);
    struct agent_cmdline c = AGENT_CMDLINE_INIT;
    char *err = NULL;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    assert_int_equal(agent_cmdline_parse(big, n, &c, &err), -E2BIG);
    assert_string_equal(err, "command line: longer than 65536 bytes");
    free(err);
    /* Exactly the cap is fine, and without an error pointer too. */
    assert_int_equal(agent_cmdline_parse(big, n - 1, &c, NULL), 0);
    agent_cmdline_done(&c);
    assert_int_equal(agent_cmdline_parse(big, n, &c, NULL), -E2BIG);
    free(big);
}

static void test_authority_parse_table(void **state)
{
    static const struct {
        const char *in;
        int err;
        const char *host;
        uint16_t port;
    } cases[] = {
            {"10.0.0.1:42113", 0, "10.0.0.1", 42113},
            {"10.0.0.1", 0, "10.0.0.1", AGENT_DEFAULT_PORT},
            {"tink.example.com:443", 0, "tink.example.com", 443},
            {"my_host", 0, "my_host", AGENT_DEFAULT_PORT},
            {"[::1]:8080", 0, "::1", 8080},
            {"[fe80::1:2]", 0, "fe80::1:2", AGENT_DEFAULT_PORT},
            {"localhost:65535", 0, "localhost", 65535},
            {"", -EINVAL, NULL, 0},
            {":42113", -EINVAL, NULL, 0},
            {"::1", -EINVAL, NULL, 0},
            {"fd00::1:42113", -EINVAL, NULL, 0},
            {"[::1", -EINVAL, NULL, 0},
            {"[::1]x", -EINVAL, NULL, 0},
            {"[not-v6]:1", -EINVAL, NULL, 0},
            {"[]:1", -EINVAL, NULL, 0},
            {"host:", -EINVAL, NULL, 0},
            {"host:0", -EINVAL, NULL, 0},
            {"host:65536", -EINVAL, NULL, 0},
            {"host:123456", -EINVAL, NULL, 0},
            {"host:+80", -EINVAL, NULL, 0},
            {"host:80x", -EINVAL, NULL, 0},
            {"-host:80", -EINVAL, NULL, 0},
            {".host", -EINVAL, NULL, 0},
            {"ho st:80", -EINVAL, NULL, 0},
            {"host/path:80", -EINVAL, NULL, 0},
            {"h\xc3\xa9:80", -EINVAL, NULL, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *host = NULL;
        uint16_t port = 0;
        int r = agent_authority_parse(cases[i].in, &host, &port);
        if (r != cases[i].err)
            fail_msg("case %zu (%s): got %d want %d", i, cases[i].in, r, cases[i].err);
        if (r == 0) {
            assert_string_equal(host, cases[i].host);
            assert_int_equal(port, cases[i].port);
        } else {
            assert_null(host);
            assert_int_equal(port, 0);
        }
        free(host);
    }
    /* The longest host name there is. */
    char name[AGENT_HOST_MAX + 2], *host = NULL;
    uint16_t port;
    memset(name, 'a', sizeof(name));
    name[AGENT_HOST_MAX] = '\0';
    assert_int_equal(agent_authority_parse(name, &host, &port), 0);
    free(host);
    name[AGENT_HOST_MAX] = 'a';
    name[AGENT_HOST_MAX + 1] = '\0';
    assert_int_equal(agent_authority_parse(name, &host, &port), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cmdline_parse_accepts),
            cmocka_unit_test(test_cmdline_parse_rejects),
            cmocka_unit_test(test_cmdline_parse_caps_length),
            cmocka_unit_test(test_authority_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
