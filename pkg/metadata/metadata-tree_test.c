/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/metadata tree: every path of the /2009-04-04 table (compat §6), the
 * listings Tootles answers, path normalisation and the refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata/metadata-internal.h"

/* Single-quoted JSON, for readable tables. */
static json_t *test_json(const char *squoted)
{
    char *s = strdup(squoted);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        fail_msg("bad test JSON: %s: %s", err.text, s);
    free(s);
    return j;
}

#define FULL_HW                                                                                    \
    "{'apiVersion':'tinkerbell.org/v1alpha1','kind':'Hardware','metadata':{'name':'hw1'},"         \
    "'spec':{'userData':'#cloud-config\\npackages: [vim]\\n',"                                     \
    "'metadata':{'facility':{'plan_slug':'c3.small.x86','facility_code':'onprem'},"                \
    "'instance':{'id':'i-123','hostname':'node-1','tags':['rack=7','role=worker'],"                \
    "'operating_system':{'slug':'ubuntu_22_04','distro':'ubuntu','version':'22.04',"               \
    "'image_tag':'v1'},"                                                                           \
    "'ips':[{'address':'10.0.0.5','family':4,'public':false},"                                     \
    "{'address':'203.0.113.5','family':4,'public':true},"                                          \
    "{'address':'2001:db8::5','family':6,'public':true}]}}}}"

#define ROOT_LISTING "meta-data/\nuser-data"
#define MD_LISTING                                                                                 \
    "facility\nhostname\ninstance-id\niqn\nlocal-hostname\nlocal-ipv4\noperating-system/\nplan\n"  \
    "public-ipv4\npublic-ipv6\npublic-keys\ntags"
#define OS_LISTING "distro\nimage_tag\nlicense_activation/\nslug\nversion"

struct path_case {
    const char *path;
    int status;
    const char *body;
};

static const struct path_case full_cases[] = {
        /* listings */
        {"", 200, ROOT_LISTING},
        {"/", 200, ROOT_LISTING},
        {"//", 200, ROOT_LISTING},
        {"meta-data", 200, MD_LISTING},
        {"meta-data/", 200, MD_LISTING},
        {"/meta-data", 200, MD_LISTING},
        {"/meta-data/", 200, MD_LISTING},
        {"meta-data//", 200, MD_LISTING},
        {"meta-data/operating-system", 200, OS_LISTING},
        {"meta-data/operating-system/", 200, OS_LISTING},
        {"meta-data/operating-system/license_activation", 200, "state"},
        /* leaves */
        {"user-data", 200, "#cloud-config\npackages: [vim]\n"},
        {"user-data/", 200, "#cloud-config\npackages: [vim]\n"},
        {"/user-data", 200, "#cloud-config\npackages: [vim]\n"},
        {"meta-data/instance-id", 200, "i-123"},
        {"meta-data/hostname", 200, "node-1"},
        {"meta-data/local-hostname", 200, "node-1"},
        {"meta-data/iqn", 200, ""},
        {"meta-data/plan", 200, "c3.small.x86"},
        {"meta-data/facility", 200, "onprem"},
        {"meta-data/tags", 200, "rack=7\nrole=worker"},
        {"meta-data/public-ipv4", 200, "203.0.113.5"},
        {"meta-data/local-ipv4", 200, "10.0.0.5"},
        {"meta-data/public-ipv6", 200, "2001:db8::5"},
        {"meta-data/public-keys", 200, ""},
        {"meta-data/operating-system/slug", 200, "ubuntu_22_04"},
        {"meta-data/operating-system/distro", 200, "ubuntu"},
        {"meta-data/operating-system/version", 200, "22.04"},
        {"meta-data/operating-system/image_tag", 200, "v1"},
        {"meta-data/operating-system/license_activation/state", 200, ""},
        {"meta-data/hostname/", 200, "node-1"},
        {"meta-data/hostname//", 200, "node-1"},
        /* not found */
        {"nope", 404, "not found"},
        {"meta-data/nope", 404, "not found"},
        {"META-DATA", 404, "not found"},
        {"meta-data/Hostname", 404, "not found"},
        {"user-data/x", 404, "not found"},
        {"meta-data/hostname/x", 404, "not found"},
        {"meta-data/operating-system/license_activation/state/x", 404, "not found"},
        {"meta", 404, "not found"},
        {"meta-data/operating", 404, "not found"},
        {"2009-04-04/meta-data", 404, "not found"},
        /* refused paths */
        {"..", 404, "not found"},
        {".", 404, "not found"},
        {"./meta-data", 404, "not found"},
        {"meta-data/../user-data", 404, "not found"},
        {"meta-data/./hostname", 404, "not found"},
        {"meta-data/..", 404, "not found"},
        {"meta-data//hostname", 404, "not found"},
        {"//meta-data//hostname", 404, "not found"},
        {"meta-data/host name", 404, "not found"},
        {"meta-data/hostname%2f", 404, "not found"},
        {"meta-data%2fhostname", 404, "not found"},
        {"meta-data/hostname?x=1", 404, "not found"},
        {"meta-data\\hostname", 404, "not found"},
        {"meta-data/hostname\n", 404, "not found"},
        {"\x01", 404, "not found"},
        {"meta-data/host\xc3\xa9", 404, "not found"},
};

static void run_cases(const json_t *hw, const struct path_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct metadata_reply rep = {.status = -1};
        int r = metadata_lookup(hw, cases[i].path, &rep);
        if (r != 0)
            fail_msg("'%s': r=%d", cases[i].path, r);
        if (rep.status != cases[i].status)
            fail_msg("'%s': status %d, expected %d", cases[i].path, rep.status, cases[i].status);
        if (rep.body_len != strlen(cases[i].body) || strcmp(rep.body, cases[i].body) != 0)
            fail_msg("'%s': body '%s', expected '%s'", cases[i].path, rep.body, cases[i].body);
        metadata_reply_done(&rep);
        assert_null(rep.body);
    }
}

static void test_lookup_every_path(void **state)
{
    (void)state;
    json_t *hw = test_json(FULL_HW);
    run_cases(hw, full_cases, ARRAY_SIZE(full_cases));
    json_decref(hw);
}

/* Every leaf of the table is reachable and every directory lists it. */
static void test_lookup_table_consistent(void **state)
{
    (void)state;
    json_t *hw = test_json(FULL_HW);
    for (size_t i = 0; i < metadata_leaves_count; i++) {
        const char *path = metadata_leaves[i].path;
        struct metadata_reply rep;
        assert_int_equal(metadata_lookup(hw, path, &rep), 0);
        assert_int_equal(rep.status, 200);
        metadata_reply_done(&rep);
        if (i > 0)
            assert_true(strcmp(metadata_leaves[i - 1].path, path) < 0);

        /* Its parent directory lists its first remaining component. */
        const char *slash = strrchr(path, '/');
        char parent[128] = "";
        if (slash)
            snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
        assert_int_equal(metadata_lookup(NULL, parent, &rep), 0);
        assert_int_equal(rep.status, 200);
        const char *name = slash ? slash + 1 : path;
        bool found = false;
        for (char *line = rep.body; line && !found;) {
            char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            found = n == strlen(name) && strncmp(line, name, n) == 0;
            line = nl ? nl + 1 : NULL;
        }
        if (!found)
            fail_msg("'%s' not listed in '%s': %s", name, parent, rep.body);
        metadata_reply_done(&rep);
    }
    json_decref(hw);
}

static const struct path_case no_hw_cases[] = {
        {"", 200, ROOT_LISTING},
        {"meta-data", 200, MD_LISTING},
        {"meta-data/operating-system/license_activation", 200, "state"},
        {"user-data", 404, "no hardware found for source ip"},
        {"meta-data/hostname", 404, "no hardware found for source ip"},
        {"meta-data/iqn", 404, "no hardware found for source ip"},
        {"meta-data/nope", 404, "not found"},
        {"..", 404, "not found"},
};

static void test_lookup_without_hardware(void **state)
{
    (void)state;
    run_cases(NULL, no_hw_cases, ARRAY_SIZE(no_hw_cases));
}

struct hw_case {
    const char *name;
    const char *hw;
    const char *path;
    const char *body;
};

static const struct hw_case hw_cases[] = {
        {"empty Hardware", "{}", "meta-data/hostname", ""},
        {"no spec.metadata", "{'spec':{}}", "meta-data/instance-id", ""},
        {"no userData", "{'spec':{}}", "user-data", ""},
        {"userData null", "{'spec':{'userData':null}}", "user-data", ""},
        {"userData not a string", "{'spec':{'userData':42}}", "user-data", ""},
        {"hostname not a string", "{'spec':{'metadata':{'instance':{'hostname':['x']}}}}",
         "meta-data/hostname", ""},
        {"instance not an object", "{'spec':{'metadata':{'instance':'x'}}}", "meta-data/tags", ""},
        {"tags empty", "{'spec':{'metadata':{'instance':{'tags':[]}}}}", "meta-data/tags", ""},
        {"tags not an array", "{'spec':{'metadata':{'instance':{'tags':'a'}}}}", "meta-data/tags",
         ""},
        {"tags skip non-strings", "{'spec':{'metadata':{'instance':{'tags':[1,'a',null,'b']}}}}",
         "meta-data/tags", "a\nb"},
        {"one tag", "{'spec':{'metadata':{'instance':{'tags':['only']}}}}", "meta-data/tags",
         "only"},
        {"first public IPv4 wins",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'1.1.1.1','family':4,'public':true},"
         "{'address':'2.2.2.2','family':4,'public':true}]}}}}",
         "meta-data/public-ipv4", "1.1.1.1"},
        {"empty address skipped",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'','family':4,'public':true},"
         "{'address':'2.2.2.2','family':4,'public':true}]}}}}",
         "meta-data/public-ipv4", "2.2.2.2"},
        {"public missing means local",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'10.1.1.1','family':4}]}}}}",
         "meta-data/local-ipv4", "10.1.1.1"},
        {"public missing is not public",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'10.1.1.1','family':4}]}}}}",
         "meta-data/public-ipv4", ""},
        {"IPv6 public or not",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'fd00::1','family':6,'public':false}]"
         "}}}}",
         "meta-data/public-ipv6", "fd00::1"},
        {"IPv6 never local-ipv4",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'fd00::1','family':6}]}}}}",
         "meta-data/local-ipv4", ""},
        {"family as a string ignored",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'1.1.1.1','family':'4',"
         "'public':true}]}}}}",
         "meta-data/public-ipv4", ""},
        {"family missing ignored",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':'1.1.1.1','public':true}]}}}}",
         "meta-data/public-ipv4", ""},
        {"ips not an array", "{'spec':{'metadata':{'instance':{'ips':{}}}}}",
         "meta-data/local-ipv4", ""},
        {"address not a string",
         "{'spec':{'metadata':{'instance':{'ips':[{'address':5,'family':4},"
         "{'address':'10.2.2.2','family':4}]}}}}",
         "meta-data/local-ipv4", "10.2.2.2"},
        {"public-keys never populated",
         "{'spec':{'metadata':{'instance':{'ssh_keys':['ssh-ed25519 AAAA']}}}}",
         "meta-data/public-keys", ""},
        {"operating system partly set",
         "{'spec':{'metadata':{'instance':{'operating_system':{'slug':'flatcar'}}}}}",
         "meta-data/operating-system/distro", ""},
        {"Hardware not an object", "[]", "meta-data/hostname", ""},
};

static void test_lookup_hardware_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(hw_cases); i++) {
        json_t *hw = test_json(hw_cases[i].hw);
        struct metadata_reply rep;
        assert_int_equal(metadata_lookup(hw, hw_cases[i].path, &rep), 0);
        if (rep.status != 200 || strcmp(rep.body, hw_cases[i].body) != 0)
            fail_msg("%s: %d '%s'", hw_cases[i].name, rep.status, rep.body);
        metadata_reply_done(&rep);
        json_decref(hw);
    }
}

/* user-data is served byte for byte, NULs included. */
static void test_lookup_user_data_binary(void **state)
{
    (void)state;
    json_t *hw = test_json("{'spec':{}}");
    json_object_set_new(json_object_get(hw, "spec"), "userData", json_stringn("a\0b", 3));
    struct metadata_reply rep;

    assert_int_equal(metadata_lookup(hw, "user-data", &rep), 0);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.body_len, 3);
    assert_memory_equal(rep.body, "a\0b", 4);
    metadata_reply_done(&rep);
    json_decref(hw);
}

static void test_lookup_refuses_oversize(void **state)
{
    (void)state;
    json_t *hw = test_json("{'spec':{}}");
    char *big = malloc(METADATA_BODY_MAX + 2);
    assert_non_null(big);
    memset(big, 'u', METADATA_BODY_MAX + 1);
    big[METADATA_BODY_MAX + 1] = '\0';
    json_object_set_new(json_object_get(hw, "spec"), "userData", json_string(big));
    struct metadata_reply rep = {.status = -1};

    assert_int_equal(metadata_lookup(hw, "user-data", &rep), -E2BIG);
    assert_int_equal(rep.status, -1);
    assert_null(rep.body);

    big[METADATA_BODY_MAX] = '\0';
    json_object_set_new(json_object_get(hw, "spec"), "userData", json_string(big));
    assert_int_equal(metadata_lookup(hw, "user-data", &rep), 0);
    assert_int_equal(rep.body_len, METADATA_BODY_MAX);
    metadata_reply_done(&rep);
    free(big);
    json_decref(hw);
}

/* Paths at and past METADATA_PATH_MAX. */
static void test_lookup_path_length(void **state)
{
    (void)state;
    char path[METADATA_PATH_MAX + 2];
    struct metadata_reply rep;

    /* "meta-data" followed by slashes up to the limit: still the listing. */
    memset(path, '/', sizeof(path));
    memcpy(path, "meta-data", 9);
    path[METADATA_PATH_MAX] = '\0';
    assert_int_equal(metadata_lookup(NULL, path, &rep), 0);
    assert_int_equal(rep.status, 200);
    metadata_reply_done(&rep);
    path[METADATA_PATH_MAX] = '/';
    path[METADATA_PATH_MAX + 1] = '\0';
    assert_int_equal(metadata_lookup(NULL, path, &rep), 0);
    assert_int_equal(rep.status, 404);
    metadata_reply_done(&rep);
}

static void test_path_normalize_table(void **state)
{
    static const struct {
        const char *in;
        int ret;
        const char *out;
    } cases[] = {
            {"", 0, ""},
            {"/", 0, ""},
            {"///", 0, ""},
            {"a", 0, "a"},
            {"/a/b/", 0, "a/b"},
            {"a/b//", 0, "a/b"},
            {"a.b/c_d/E-9", 0, "a.b/c_d/E-9"},
            {"...", 0, "..."},
            {"a//b", -ENOENT, NULL},
            {"a/./b", -ENOENT, NULL},
            {"a/../b", -ENOENT, NULL},
            {"../", -ENOENT, NULL},
            {"a b", -ENOENT, NULL},
            {"a%20b", -ENOENT, NULL},
            {"a+b", -ENOENT, NULL},
            {"a:b", -ENOENT, NULL},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *out = NULL;
        int r = metadata_path_normalize(cases[i].in, &out);
        if (r != cases[i].ret)
            fail_msg("'%s': r=%d", cases[i].in, r);
        if (cases[i].out)
            assert_string_equal(out, cases[i].out);
        else
            assert_null(out);
        free(out);
    }
}

static void test_lookup_null_arguments(void **state)
{
    (void)state;
    struct metadata_reply rep = {.status = -1};

    assert_int_equal(metadata_lookup(NULL, NULL, &rep), -EINVAL);
    assert_int_equal(metadata_lookup(NULL, "", NULL), -EINVAL);
    assert_int_equal(rep.status, -1);
    metadata_reply_done(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lookup_every_path),
            cmocka_unit_test(test_lookup_table_consistent),
            cmocka_unit_test(test_lookup_without_hardware),
            cmocka_unit_test(test_lookup_hardware_shapes),
            cmocka_unit_test(test_lookup_user_data_binary),
            cmocka_unit_test(test_lookup_refuses_oversize),
            cmocka_unit_test(test_lookup_path_length),
            cmocka_unit_test(test_path_normalize_table),
            cmocka_unit_test(test_lookup_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
