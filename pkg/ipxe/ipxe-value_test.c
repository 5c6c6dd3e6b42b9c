/* SPDX-License-Identifier: Apache-2.0 */
/* pkg/ipxe value rules: MAC normalisation, the safe-token rule, URL schemes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipxe/ipxe-test.h"

static void test_mac_normalize_table(void **state)
{
    static const struct {
        const char *in;
        int ret;
        const char *out;
    } cases[] = {
            {"52:54:00:12:34:56", 0, "52:54:00:12:34:56"},
            {"52:54:00:AB:cd:Ef", 0, "52:54:00:ab:cd:ef"},
            {"52-54-00-ab-cd-ef", 0, "52:54:00:ab:cd:ef"},
            {"00:00:00:00:00:00", 0, "00:00:00:00:00:00"},
            {"ff:ff:ff:ff:ff:ff", 0, "ff:ff:ff:ff:ff:ff"},
            {"", -EINVAL, NULL},
            {"52:54:00:12:34", -EINVAL, NULL},
            {"52:54:00:12:34:56:", -EINVAL, NULL},
            {"52:54:00:12:34:567", -EINVAL, NULL},
            {"52:54-00:12:34:56", -EINVAL, NULL},
            {"52.54.00.12.34.56", -EINVAL, NULL},
            {"5254.0012.3456", -EINVAL, NULL},
            {"525400123456", -EINVAL, NULL},
            {"52:54:00:12:34:5g", -EINVAL, NULL},
            {"52:54:00:12:34: 6", -EINVAL, NULL},
            {" 52:54:00:12:34:5", -EINVAL, NULL},
            {"52:54:00:12:34:56\n", -EINVAL, NULL},
            {"${mac}", -EINVAL, NULL},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[IPXE_MAC_STRLEN] = "untouched";
        int r = ipxe_mac_normalize(cases[i].in, out);
        if (r != cases[i].ret)
            fail_msg("'%s': r=%d", cases[i].in, r);
        assert_string_equal(out, cases[i].out ? cases[i].out : "untouched");
    }
    assert_int_equal(ipxe_mac_normalize(NULL, (char[IPXE_MAC_STRLEN]){0}), -EINVAL);
}

static void test_value_is_safe_table(void **state)
{
    static const struct {
        const char *value;
        bool safe;       /* as part of key=value */
        bool standalone; /* as a whole argument */
    } cases[] = {
            {"agent-1", true, true},
            {"52:54:00:12:34:56", true, true},
            {"http://10.0.0.1:7080/a/b?c=d&e=f", true, true},
            {"console=ttyS0,115200n8", true, true},
            {"a$b", true, true},
            {"${", false, false},
            {"x${y}", false, false},
            {"$", true, true},
            {"{}", true, true},
            {"#", true, false},
            {"#comment", true, false},
            {"a#b", true, true},
            {"||", true, false},
            {"&&", true, false},
            {";", true, false},
            {"|||", true, true},
            {"a;b", true, true},
            {"&", true, true},
            {"", false, false},
            {" ", false, false},
            {"a b", false, false},
            {"a\tb", false, false},
            {"a\nb", false, false},
            {"a\rb", false, false},
            {"a\vb", false, false},
            {"a\fb", false, false},
            {"\x01", false, false},
            {"a\x7f", false, false},
            {"caf\xc3\xa9", false, false},
            {"\xff", false, false},
            {"a\"b", false, false},
            {"a'b", false, false},
            {"a\\", false, false},
            {"a\\nb", false, false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (ipxe_value_is_safe(cases[i].value, false) != cases[i].safe)
            fail_msg("'%s' as value", cases[i].value);
        if (ipxe_value_is_safe(cases[i].value, true) != cases[i].standalone)
            fail_msg("'%s' standalone", cases[i].value);
    }
    assert_false(ipxe_value_is_safe(NULL, false));
}

static void test_value_is_safe_length(void **state)
{
    char v[IPXE_VALUE_MAX + 2];
    (void)state;

    memset(v, 'a', sizeof(v));
    v[IPXE_VALUE_MAX] = '\0';
    assert_true(ipxe_value_is_safe(v, true));
    v[IPXE_VALUE_MAX] = 'a';
    v[IPXE_VALUE_MAX + 1] = '\0';
    assert_false(ipxe_value_is_safe(v, true));
}

static void test_url_is_http_table(void **state)
{
    static const struct {
        const char *url;
        bool ok;
    } cases[] = {
            {"http://x", true},
            {"https://x/y", true},
            {"HTTP://X", true},
            {"HtTpS://x", true},
            {"http://", false},
            {"https://", false},
            {"http:/x", false},
            {"ftp://x", false},
            {"tftp://x/y", false},
            {"file:///etc/passwd", false},
            {"x", false},
            {"", false},
            {NULL, false},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (ipxe_url_is_http(cases[i].url) != cases[i].ok)
            fail_msg("'%s'", cases[i].url ? cases[i].url : "(null)");
    }
}

/* A fully populated configuration passes; the field list of the refusals is
 * in ipxe-script_test.c. */
static void test_config_check_accepts(void **state)
{
    static const char *const extra[] = {"a=1", "", "quiet"};
    const struct ipxe_config cfg = {
            .bootenv_url = "http://x/",
            .kernel_name = "k",
            .initrd_name = "i",
            .grpc_authority = "h:1",
            .syslog_host = "s",
            .facility = "f",
            .extra_kernel_args = extra,
            .n_extra_kernel_args = ARRAY_SIZE(extra),
            .retries = IPXE_RETRIES_MAX,
            .retry_delay = IPXE_RETRY_DELAY_MAX,
            .token = "t",
    };
    const char *field = "untouched";
    (void)state;

    assert_int_equal(ipxe_config_check(&cfg, &field), 0);
    assert_null(field);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mac_normalize_table),
            cmocka_unit_test(test_value_is_safe_table),
            cmocka_unit_test(test_value_is_safe_length),
            cmocka_unit_test(test_url_is_http_table),
            cmocka_unit_test(test_config_check_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
