/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parsers of pkg/redfish over hostile bodies and links. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "redfish/redfish-internal.h"

static void test_parse_object_table(void **state)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        int r;
    } cases[] = {
            {"{\"a\":1}", 0, 0},
            {"  {}  ", 0, 0},
            {"[]", 0, -EBADMSG},
            {"\"s\"", 0, -EBADMSG},
            {"{\"a\":1} trailing", 0, -EBADMSG},
            {"{\"a\":1,\"a\":2}", 0, -EBADMSG},   /* duplicate keys are ambiguous */
            {"{\"a\":\"\\u0000\"}", 0, -EBADMSG}, /* no NUL inside strings */
            {"{\"a\":1}\0{", 9, -EBADMSG},
            {"", 0, -EBADMSG},
            {"{\"a\":", 0, -EBADMSG},
            {"{\"a\":\"\xff\"}", 0, -EBADMSG},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *v = NULL;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        assert_int_equal(redfish_parse_object(cases[i].in, len, &v), cases[i].r);
        assert_true((v != NULL) == (cases[i].r == 0));
        json_decref(v);
    }
    json_t *v = NULL;
    assert_int_equal(redfish_parse_object(NULL, 3, &v), -EBADMSG);
}

static void test_path_check_table(void **state)
{
    char longp[REDFISH_PATH_MAX + 2];
    static const struct {
        const char *p;
        int r;
    } cases[] = {
            {"/redfish/v1/Systems/1", 0},
            {"/redfish/v1/Systems/52:54:00:aa:00:01", 0},
            {"/redfish/v1/Systems/a%20b", 0},
            {"redfish/v1", -EINVAL},
            {"https://evil.example/redfish/v1", -EINVAL},
            {"/redfish/v1/../../etc", -EINVAL},
            {"/redfish//v1", -EINVAL},
            {"/redfish/v1 x", -EINVAL},
            {"/redfish/v1\r\nX-Injected: 1", -EINVAL},
            {"/redfish/v1?$expand=.", -EINVAL},
            {"/redfish/v1#frag", -EINVAL},
            {"/redfish/\xc3\xa9", -EINVAL},
            {"", -EINVAL},
            {NULL, -EINVAL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(redfish_path_check(cases[i].p), cases[i].r);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(redfish_path_check(longp), -EINVAL);
    longp[REDFISH_PATH_MAX - 1] = '\0';
    assert_int_equal(redfish_path_check(longp), 0);
}

static void test_members_and_links(void **state)
{
    json_error_t e;
    _cleanup_json_ json_t *coll = json_loads(
            "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1\"},{\"@odata.id\":5},"
            "{\"@odata.id\":\"http://x/y\"},\"junk\",{\"@odata.id\":\"/redfish/v1/Systems/2\"},"
            "{\"@odata.id\":\"/redfish/v1/Systems/3\"}],"
            "\"Link\":{\"@odata.id\":\"/redfish/v1/Chassis\"},\"Bad\":{\"@odata.id\":\"../x\"}}",
            0, &e);
    json_t *m = NULL;
    (void)state;
    assert_non_null(coll);
    assert_int_equal(redfish_members(coll, 2, &m), 0);
    assert_int_equal(json_array_size(m), 2);
    assert_string_equal(json_string_value(json_array_get(m, 1)), "/redfish/v1/Systems/2");
    json_decref(m);
    assert_int_equal(redfish_members(coll, REDFISH_MEMBERS_MAX, &m), 0);
    assert_int_equal(json_array_size(m), 3);
    json_decref(m);
    assert_string_equal(redfish_link(coll, "Link"), "/redfish/v1/Chassis");
    assert_null(redfish_link(coll, "Bad"));
    assert_null(redfish_link(coll, "Missing"));
    _cleanup_json_ json_t *nomembers = json_pack("{s:i}", "Members", 3);
    assert_int_equal(redfish_members(nomembers, 10, &m), -EBADMSG);
}

static void test_error_text_table(void **state)
{
    static const struct {
        const char *body;
        size_t n;
        const char *want;
    } cases[] = {
            {"{\"error\":{\"message\":\"general\",\"@Message.ExtendedInfo\":[{\"Message\":"
             "\"specific\"}]}}",
             256, "specific"},
            {"{\"error\":{\"message\":\"general\",\"@Message.ExtendedInfo\":[{}]}}", 256,
             "general"},
            {"{\"TaskState\":\"Exception\",\"Messages\":[{\"Message\":\"task says\"}]}", 256,
             "task says"},
            {"{\"@Message.ExtendedInfo\":[{\"Message\":\"top level\"}]}", 256, "top level"},
            {"{\"error\":{\"message\":\"line1\\nline2\"}}", 256, "line1"},
            {"{\"error\":{\"message\":\"abcdef\"}}", 4, "abc"},
            {"{\"error\":{\"message\":\"ab\\u00e9\"}}", 4, "ab"}, /* no half character */
            {"{\"error\":7}", 256, ""},
            {"{}", 256, ""},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_error_t e;
        _cleanup_json_ json_t *b = json_loads(cases[i].body, 0, &e);
        char buf[256];
        assert_non_null(b);
        assert_string_equal(redfish_error_text(b, buf, cases[i].n), cases[i].want);
    }
    char buf[8];
    assert_string_equal(redfish_error_text(NULL, buf, sizeof(buf)), "");
}

static void test_errno_from_code_table(void **state)
{
    static const struct {
        long code;
        int r;
    } cases[] = {
            {200, 0},           {201, 0},       {202, 0},       {204, 0},
            {400, -EINVAL},     {401, -EACCES}, {403, -EACCES}, {404, -ENOENT},
            {405, -EOPNOTSUPP}, {412, -ESTALE}, {429, -EAGAIN}, {500, -EIO},
            {501, -EOPNOTSUPP}, {503, -EAGAIN}, {302, -EIO},    {0, -EIO},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(redfish_errno_from_code(cases[i].code), cases[i].r);
    assert_int_equal(redfish_power_from_string("ON"), REDFISH_POWER_ON);
    assert_int_equal(redfish_power_from_string(NULL), REDFISH_POWER_UNKNOWN);
    assert_int_equal(redfish_power_from_string("Standby"), REDFISH_POWER_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_object_table),    cmocka_unit_test(test_path_check_table),
            cmocka_unit_test(test_members_and_links),     cmocka_unit_test(test_error_text_table),
            cmocka_unit_test(test_errno_from_code_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
