/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agentproto/agentproto-internal.h"

static const char KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(KEY) - 1)
#define NOW    1690000000LL

/* A token built by hand around an arbitrary payload, correctly signed. */
static char *sign_payload(const char *payload)
{
    uint8_t mac[32];
    unsigned len = 0;
    size_t plen = strlen(payload);
    char *t = malloc(AGENTPROTO_B64_LEN(plen) + 1 + AGENTPROTO_B64_LEN(32) + 1);

    assert_non_null(t);
    assert_non_null(
            HMAC(EVP_sha256(), KEY, (int)KEYLEN, (const unsigned char *)payload, plen, mac, &len));
    agentproto_b64url_encode((const uint8_t *)payload, plen, t);
    t[AGENTPROTO_B64_LEN(plen)] = '.';
    agentproto_b64url_encode(mac, 32, t + AGENTPROTO_B64_LEN(plen) + 1);
    return t;
}

static void test_token_mint_known_answer(void **state)
{
    /* Computed independently: base64url(payload) "." base64url(HMAC-SHA256). */
    static const struct {
        const char *id;
        int64_t expiry;
        const char *want;
    } cases[] = {
            {"52:54:00:12:34:56", 1700000000,
             "NTI6NTQ6MDA6MTI6MzQ6NTYuMTcwMDAwMDAwMA."
             "0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk"},
            {"node.with.dots", 42,
             "bm9kZS53aXRoLmRvdHMuNDI.1CRB0Vx5CfBC0BFsBQh36qe_zhnByZ0LPfXvJpe8dtw"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *tok = NULL;
        int64_t expiry = 0;

        assert_int_equal(agentproto_token_mint(KEY, KEYLEN, cases[i].id, cases[i].expiry, &tok), 0);
        assert_string_equal(tok, cases[i].want);
        assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, cases[i].id, cases[i].expiry - 1,
                                                 &expiry),
                         0);
        assert_int_equal(expiry, cases[i].expiry);
        free(tok);
    }
}

static void test_token_verify_outcomes(void **state)
{
    char *tok = NULL;
    int64_t expiry = 7;

    (void)state;
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "agent-1", NOW + 3600, &tok), 0);
    /* Good, at the last valid second, and without ret_expiry. */
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-1", NOW, &expiry), 0);
    assert_int_equal(expiry, NOW + 3600);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-1", NOW + 3599, NULL), 0);
    /* Expired at and after the expiry second. */
    expiry = 7;
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-1", NOW + 3600, &expiry),
                     -EKEYEXPIRED);
    assert_int_equal(expiry, 7);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-1", INT64_MAX, NULL),
                     -EKEYEXPIRED);
    /* Other agents, including prefixes and extensions of the ID. */
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-2", NOW, NULL), -EPERM);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-", NOW, NULL), -EPERM);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "agent-10", NOW, NULL), -EPERM);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, "", NOW, NULL), -EPERM);
    /* Another key. */
    assert_int_equal(agentproto_token_verify("fedcba9876543210fedcba9876543210", 32, tok, "agent-1",
                                             NOW, NULL),
                     -EKEYREJECTED);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN - 1, tok, "agent-1", NOW, NULL),
                     -EKEYREJECTED);
    free(tok);
}

static void test_token_verify_rejects_tampering(void **state)
{
    char *tok = NULL, *other = NULL;
    size_t len, dot;

    (void)state;
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "agent-1", NOW + 60, &tok), 0);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "agent-1", NOW + 999999, &other), 0);
    len = strlen(tok);
    dot = (size_t)(strchr(tok, '.') - tok);
    /* Flip each character of the payload and of the MAC to another letter of
     * the alphabet; whatever still decodes must fail the MAC. */
    for (size_t i = 0; i < len; i++) {
        char saved = tok[i];
        int r;

        if (i == dot)
            continue;
        tok[i] = saved == 'A' ? 'B' : 'A';
        r = agentproto_token_verify(KEY, KEYLEN, tok, "agent-1", NOW, NULL);
        if (r != -EKEYREJECTED && r != -EBADMSG)
            fail_msg("flip at %zu accepted: %d", i, r);
        tok[i] = saved;
    }
    /* A longer expiry spliced onto the old MAC. */
    memcpy(other + strcspn(other, "."), tok + dot, len - dot + 1);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, other, "agent-1", NOW, NULL),
                     -EKEYREJECTED);
    free(tok);
    free(other);
}

static void test_token_verify_rejects_malformed(void **state)
{
    char *good = NULL, *buf;
    static const char *const cases[] = {
            "",
            ".",
            "abc",
            "abc.",
            ".0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
            /* Padding, standard-alphabet characters, spaces. */
            "YWdlbnQtMS4xNjkwMDAwMDYw.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaX=",
            "YWdlbnQtMS4xNjkwMDAwMDYw==.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
            "YWdlbnQtMS4xNjkwMDAwMDYw.0H3/QKkUd+pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
            "YWdlbnQt MS4xNjkwMDAwMDYw.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
            /* MAC of the wrong length. */
            "YWdlbnQtMS4xNjkwMDAwMDYw.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqa",
            "YWdlbnQtMS4xNjkwMDAwMDYw.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXkA",
            /* Non-canonical last character (stray low bits). */
            "YWdlbnQtMS4xNjkwMDAwMDYw.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXl",
            /* Payload length that is 1 mod 4. */
            "YWdlb.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
            /* Two dots. */
            "YWdl.bnQt.0H3_QKkUd-pahITH9eavAKrTDMIJ2i1hH1kH6PKqaXk",
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int r = agentproto_token_verify(KEY, KEYLEN, cases[i], "agent-1", NOW, NULL);
        if (r != -EBADMSG)
            fail_msg("\"%s\": got %d", cases[i], r);
    }
    /* Longer than AGENTPROTO_TOKEN_MAX. */
    buf = malloc(AGENTPROTO_TOKEN_MAX + 2);
    assert_non_null(buf);
    memset(buf, 'A', AGENTPROTO_TOKEN_MAX + 1);
    buf[AGENTPROTO_TOKEN_MAX + 1] = '\0';
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, buf, "agent-1", NOW, NULL), -EBADMSG);
    free(buf);
    /* A valid token with a trailing byte. */
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "agent-1", NOW + 60, &good), 0);
    buf = malloc(strlen(good) + 2);
    assert_non_null(buf);
    strcpy(buf, good);
    strcat(buf, "A");
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, buf, "agent-1", NOW, NULL), -EBADMSG);
    free(buf);
    free(good);
}

/* Payloads that only the key holder could produce, yet are malformed: the
 * MAC passes, the payload parser must still refuse them. */
static void test_token_verify_rejects_signed_garbage(void **state)
{
    static const char *const payloads[] = {
            "agent-1",                      /* no expiry */
            "agent-1.",                     /* empty expiry */
            ".1690000060",                  /* empty agent ID */
            "agent-1.01690000060",          /* leading zero */
            "agent-1.0",                    /* zero */
            "agent-1.-5",                   /* sign */
            "agent-1.16900000x0",           /* not a number */
            "agent-1.99999999999999999999", /* past int64 */
            "agent-1.9223372036854775808",  /* INT64_MAX + 1 */
            "agent\n1.1690000060",          /* control character */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(payloads); i++) {
        char *t = sign_payload(payloads[i]);
        int r = agentproto_token_verify(KEY, KEYLEN, t, "agent-1", NOW, NULL);
        if (r != -EBADMSG)
            fail_msg("payload \"%s\": got %d", payloads[i], r);
        free(t);
    }
    /* The largest expiry parses. */
    {
        char *t = sign_payload("agent-1.9223372036854775807");
        int64_t e = 0;
        assert_int_equal(agentproto_token_verify(KEY, KEYLEN, t, "agent-1", NOW, &e), 0);
        assert_int_equal(e, INT64_MAX);
        free(t);
    }
}

static void test_token_rejects_bad_arguments(void **state)
{
    char *tok = NULL;
    char long_id[AGENTPROTO_ID_MAX + 2];

    (void)state;
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_int_equal(agentproto_token_mint(KEY, AGENTPROTO_TOKEN_KEY_MIN - 1, "a", 1, &tok),
                     -EINVAL);
    assert_int_equal(agentproto_token_mint(NULL, KEYLEN, "a", 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, NULL, 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "", 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "a\tb", 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "a\xff", 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, long_id, 1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "a", 0, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "a", -1, &tok), -EINVAL);
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, "a", 1, NULL), -EINVAL);
    assert_null(tok);
    long_id[AGENTPROTO_ID_MAX] = '\0'; /* exactly the maximum */
    assert_int_equal(agentproto_token_mint(KEY, KEYLEN, long_id, INT64_MAX, &tok), 0);
    assert_true(strlen(tok) <= AGENTPROTO_TOKEN_MAX);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, long_id, NOW, NULL), 0);
    assert_int_equal(agentproto_token_verify(KEY, 15, tok, long_id, NOW, NULL), -EINVAL);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, NULL, long_id, NOW, NULL), -EINVAL);
    assert_int_equal(agentproto_token_verify(KEY, KEYLEN, tok, NULL, NOW, NULL), -EINVAL);
    assert_int_equal(agentproto_token_verify(NULL, KEYLEN, tok, long_id, NOW, NULL), -EINVAL);
    free(tok);
}

static void test_b64url_round_trip_and_strictness(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
            {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
            {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
    };
    uint8_t out[16];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char enc[16];
        size_t n = strlen(cases[i].in);

        agentproto_b64url_encode((const uint8_t *)cases[i].in, n, enc);
        assert_string_equal(enc, cases[i].want);
        assert_int_equal(strlen(enc), AGENTPROTO_B64_LEN(n));
        assert_int_equal(agentproto_b64url_decode(enc, strlen(enc), out), (ssize_t)n);
        assert_memory_equal(out, cases[i].in, n);
    }
    assert_int_equal(agentproto_b64url_decode("Zh", 2, out), -EBADMSG);   /* stray bits */
    assert_int_equal(agentproto_b64url_decode("Zm9", 3, out), -EBADMSG);  /* stray bits */
    assert_int_equal(agentproto_b64url_decode("Z", 1, out), -EBADMSG);    /* 1 mod 4 */
    assert_int_equal(agentproto_b64url_decode("Zg==", 4, out), -EBADMSG); /* padding */
    assert_int_equal(agentproto_b64url_decode("Zm+v", 4, out), -EBADMSG); /* '+' */
}

/* The agent key from a Secret's base64 text and from a file. */
static void test_key_loading(void **state)
{
    (void)state;
    static const struct {
        const char *b64;
        int want;
        const char *key; /* expected bytes when want == 0 */
    } cases[] = {
            {"MDEyMzQ1Njc4OWFiY2RlZg==", 0, "0123456789abcdef"},
            {"MDEyMzQ1Njc4OWFiY2RlZjA=", 0, "0123456789abcdef0"},
            {"MDEyMzQ1Njc4OWFiY2RlZgo=", 0, "0123456789abcdef"}, /* echo's newline dropped */
            {"MDEyMzQ1Njc4OWFiY2Rl", -EINVAL, NULL},              /* 15 bytes: too short */
            {"MDEyMzQ1Njc4OWFiY2RlZg=", -EINVAL, NULL},           /* not a multiple of 4 */
            {"MDEyMzQ1Njc4OWFiY2RlZ=g=", -EINVAL, NULL},          /* '=' inside */
            {"MDEyMzQ1Njc4OWFiY2RlZg==\n", -EINVAL, NULL},       /* whitespace */
            {"MDEyMzQ1Njc4OWFiY2RlZ-_=", -EINVAL, NULL},          /* base64url alphabet */
            {"", -EINVAL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *k = NULL;
        size_t len = 0;
        assert_int_equal(agentproto_key_from_base64(cases[i].b64, &k, &len), cases[i].want);
        if (cases[i].key) {
            assert_int_equal(len, strlen(cases[i].key));
            assert_memory_equal(k, cases[i].key, len);
        } else {
            assert_null(k);
        }
        free(k);
    }
    assert_int_equal(agentproto_key_from_base64(NULL, NULL, NULL), -EINVAL);

    char path[] = "/tmp/agentproto-key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789abcdef0123\n", 21), 21);
    close(fd);
    unsigned char *k = NULL;
    size_t len = 0;
    assert_int_equal(agentproto_key_read_file(path, &k, &len), 0);
    assert_int_equal(len, 20);
    assert_memory_equal(k, "0123456789abcdef0123", 20);
    free(k);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "short\n", 6), 6);
    close(fd);
    k = NULL;
    assert_int_equal(agentproto_key_read_file(path, &k, &len), -EINVAL);
    assert_null(k);
    unlink(path);
    assert_int_equal(agentproto_key_read_file(path, &k, &len), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_token_mint_known_answer),
            cmocka_unit_test(test_token_verify_outcomes),
            cmocka_unit_test(test_token_verify_rejects_tampering),
            cmocka_unit_test(test_token_verify_rejects_malformed),
            cmocka_unit_test(test_token_verify_rejects_signed_garbage),
            cmocka_unit_test(test_token_rejects_bad_arguments),
            cmocka_unit_test(test_b64url_round_trip_and_strictness),
            cmocka_unit_test(test_key_loading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
