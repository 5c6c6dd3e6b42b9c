/* SPDX-License-Identifier: Apache-2.0 */
/* The path policy of pkg/tftp: traversal, base-name mapping, traceparent. */
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

#define TP  "-00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define MAC "01:02:03:04:05:06"

struct path_case {
    const char *name;
    bool assets;
    int ret;
    enum tftp_root root;
    const char *path;
};

static const struct path_case path_cases[] = {
        /* iPXE binaries by base name */
        {"ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"/ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"///ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"undionly.kpxe", false, 0, TFTP_ROOT_IPXE, "undionly.kpxe"},
        {MAC "/undionly.kpxe", false, 0, TFTP_ROOT_IPXE, "undionly.kpxe"},
        {"/" MAC "/ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"aa:bb:cc:dd:ee:ff/ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"a/b/c/snponly.efi", false, 0, TFTP_ROOT_IPXE, "snponly.efi"},
        {"snp-x86_64.efi", false, 0, TFTP_ROOT_IPXE, "snponly.efi"},
        {MAC "/snp-x86_64.efi", false, 0, TFTP_ROOT_IPXE, "snponly.efi"},
        {"./ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {MAC "//./ipxe.efi", false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {"ipxe.efi", true, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {MAC "/ipxe.efi", true, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        /* traceparent suffix */
        {"ipxe.efi" TP, false, 0, TFTP_ROOT_IPXE, "ipxe.efi"},
        {MAC "/undionly.kpxe" TP, false, 0, TFTP_ROOT_IPXE, "undionly.kpxe"},
        {"ipxe.efi-00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", false, 0,
         TFTP_ROOT_IPXE, "ipxe.efi"},
        {"ipxe.efi-ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", false, 0,
         TFTP_ROOT_IPXE, "ipxe.efi"},
        {"ipxe.efi-00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false, -ENOENT,
         .path = NULL},
        {"ipxe.efi-00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", false, -ENOENT,
         .path = NULL},
        {"ipxe.efi-00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", false, -ENOENT,
         .path = NULL},
        {"ipxe.efi" TP TP, false, -ENOENT, .path = NULL},
        {"ipxe.efi" TP "x", false, -ENOENT, .path = NULL},
        {TP, false, -ENOENT, .path = NULL},
        {"data.img" TP, true, 0, TFTP_ROOT_ASSET, "data.img"},
        /* traversal and bad bytes: refused whatever the mode */
        {"..", false, -EACCES, .path = NULL},
        {"../ipxe.efi", false, -EACCES, .path = NULL},
        {"/../ipxe.efi", false, -EACCES, .path = NULL},
        {"/../../etc/passwd", true, -EACCES, .path = NULL},
        {"a/../../ipxe.efi", false, -EACCES, .path = NULL},
        {"a/../ipxe.efi", true, -EACCES, .path = NULL},
        {"ipxe.efi/..", false, -EACCES, .path = NULL},
        {MAC "/../ipxe.efi", false, -EACCES, .path = NULL},
        {".." TP, false, -EACCES, .path = NULL},
        {"../ipxe.efi" TP, false, -EACCES, .path = NULL},
        {"..\\ipxe.efi", false, -EACCES, .path = NULL},
        {"a\\b", true, -EACCES, .path = NULL},
        {"C:\\ipxe.efi", false, -EACCES, .path = NULL},
        {"ipxe\x01.efi", false, -EACCES, .path = NULL},
        {"ipxe.efi\n", false, -EACCES, .path = NULL},
        {"ipxe.efi\x7f", false, -EACCES, .path = NULL},
        /* not served */
        {"", false, -ENOENT, .path = NULL},
        {"/", false, -ENOENT, .path = NULL},
        {".", false, -ENOENT, .path = NULL},
        {"ipxe.efi/", false, -ENOENT, .path = NULL},
        {"ipxe.efi/.", false, -ENOENT, .path = NULL},
        {MAC "/", true, -ENOENT, .path = NULL},
        {"IPXE.EFI", false, -ENOENT, .path = NULL},
        {"ipxe.efi.bak", false, -ENOENT, .path = NULL},
        {"pxelinux.0", false, -ENOENT, .path = NULL},
        {"/etc/passwd", false, -ENOENT, .path = NULL},
        {"...", false, -ENOENT, .path = NULL},
        /* assets: cleaned relative path */
        {"pxelinux.0", true, 0, TFTP_ROOT_ASSET, "pxelinux.0"},
        {"/etc/passwd", true, 0, TFTP_ROOT_ASSET, "etc/passwd"},
        {"/pxelinux.cfg//01-aa-bb", true, 0, TFTP_ROOT_ASSET, "pxelinux.cfg/01-aa-bb"},
        {"./a/./b", true, 0, TFTP_ROOT_ASSET, "a/b"},
        {"...", true, 0, TFTP_ROOT_ASSET, "..."},
        {"..a/b..", true, 0, TFTP_ROOT_ASSET, "..a/b.."},
        {"caf\xc3\xa9", true, 0, TFTP_ROOT_ASSET, "caf\xc3\xa9"},
};

static void test_path_map_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(path_cases); i++) {
        const struct path_case *c = &path_cases[i];
        struct tftp_path_policy policy = {.serve_assets = c->assets};
        enum tftp_root root = _TFTP_ROOT_MAX;
        char *path = NULL;

        int r = tftp_path_map(&policy, c->name, strlen(c->name), &root, &path);
        check_case_int(r, c->ret, c->name);
        if (r < 0) {
            check_case(path == NULL, c->name);
            check_case_int(root, _TFTP_ROOT_MAX, c->name);
            continue;
        }
        check_case_int(root, c->root, c->name);
        check_case(strcmp(path, c->path) == 0, c->name);
        free(path);
    }
}

static void test_path_map_embedded_nul_refused(void **state)
{
    (void)state;
    static const char name[] = "ipxe.efi\0../../x";
    enum tftp_root root;
    char *path = NULL;

    assert_int_equal(tftp_path_map(NULL, name, sizeof(name) - 1, &root, &path), -EACCES);
    assert_int_equal(tftp_path_map(NULL, name, strlen(name), &root, &path), 0);
    assert_string_equal(path, "ipxe.efi");
    free(path);
}

static void test_path_map_name_length_bound(void **state)
{
    (void)state;
    char name[TFTP_NAME_MAX + 2];
    enum tftp_root root;
    char *path = NULL;

    /* "aaaa.../ipxe.efi" of exactly TFTP_NAME_MAX bytes is served. */
    memset(name, 'a', sizeof(name));
    memcpy(name + TFTP_NAME_MAX - 9, "/ipxe.efi", 9);
    assert_int_equal(tftp_path_map(NULL, name, TFTP_NAME_MAX, &root, &path), 0);
    assert_string_equal(path, "ipxe.efi");
    free(path);
    path = NULL;
    /* One byte more is refused before anything else is looked at. */
    memcpy(name + TFTP_NAME_MAX - 8, "/ipxe.efi", 9);
    assert_int_equal(tftp_path_map(NULL, name, TFTP_NAME_MAX + 1, &root, &path), -EACCES);
    assert_null(path);
}

static void test_path_map_custom_table(void **state)
{
    (void)state;
    static const struct tftp_name_map table[] = {
            {"boot.efi", "ipxe.efi"},
            {NULL, NULL},
    };
    struct tftp_path_policy policy = {.ipxe_files = table};
    enum tftp_root root;
    char *path = NULL;

    assert_int_equal(tftp_path_map(&policy, MAC "/boot.efi", strlen(MAC "/boot.efi"), &root, &path),
                     0);
    assert_int_equal(root, TFTP_ROOT_IPXE);
    assert_string_equal(path, "ipxe.efi");
    free(path);
    path = NULL;
    assert_int_equal(tftp_path_map(&policy, "undionly.kpxe", 13, &root, &path), -ENOENT);
    assert_null(path);
}

static void test_path_map_default_table(void **state)
{
    (void)state;
    const struct tftp_name_map *t = tftp_ipxe_files_default();
    size_t n = 0;
    bool has_undionly = false, has_efi = false;

    assert_non_null(t);
    for (; t[n].name; n++) {
        assert_non_null(t[n].file);
        has_undionly |= strcmp(t[n].name, "undionly.kpxe") == 0;
        has_efi |= strcmp(t[n].name, "ipxe.efi") == 0;
    }
    assert_true(n > 0);
    assert_true(has_undionly);
    assert_true(has_efi);
}

static void test_path_map_rejects_bad_arguments(void **state)
{
    (void)state;
    enum tftp_root root;
    char *path = NULL;

    assert_int_equal(tftp_path_map(NULL, NULL, 3, &root, &path), -EINVAL);
    assert_int_equal(tftp_path_map(NULL, "ipxe.efi", 8, NULL, &path), -EINVAL);
    assert_int_equal(tftp_path_map(NULL, "ipxe.efi", 8, &root, NULL), -EINVAL);
    assert_int_equal(tftp_path_map(NULL, NULL, 0, &root, &path), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_path_map_table),
            cmocka_unit_test(test_path_map_embedded_nul_refused),
            cmocka_unit_test(test_path_map_name_length_bound),
            cmocka_unit_test(test_path_map_custom_table),
            cmocka_unit_test(test_path_map_default_table),
            cmocka_unit_test(test_path_map_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
