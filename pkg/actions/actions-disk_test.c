/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-ins that work on a filesystem: writefile, cexec and kexec on a
 * directory target (the anvil extension), chrooted cexec, writefile on an
 * ext4 image through a loop device (skipped where the machine has no loop
 * devices or mkfs.ext4), and the GRUB configuration reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "actions/actions-internal.h"

#define SCRATCH_ROOT "/tmp/task-actions"

static char scratch[256];

static int setup(void **state)
{
    (void)state;
    (void)mkdir(SCRATCH_ROOT, 0755);
    snprintf(scratch, sizeof(scratch), "%s/disk-XXXXXX", SCRATCH_ROOT);
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1024];
    /* The chroot test's bind of /usr must be gone before anything is
     * removed: rm cannot tell a bind mount of the same filesystem apart. */
    snprintf(cmd, sizeof(cmd), "%s/cx-chroot/usr", scratch);
    (void)umount2(cmd, MNT_DETACH);
    snprintf(cmd, sizeof(cmd), "grep -q ' %s' /proc/self/mountinfo", scratch);
    if (system(cmd) == 0) {
        fprintf(stderr, "mounts left under %s; not removing it\n", scratch);
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", scratch, rel);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = calloc(1, 65536);
    size_t n = fread(s, 1, 65535, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void mkdirs(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void run_env(const char *image,
                    const char *const *env,
                    size_t n,
                    bool allow_reboot,
                    struct actions_result *res)
{
    struct agentproto_action a = {.workflow_id = "ns/wf",
                                  .task_id = "t",
                                  .agent_id = "ag",
                                  .action_id = "a",
                                  .name = "disk",
                                  .image = image,
                                  .timeout = 60,
                                  .environment = {.v = env, .n = n}};
    struct actions_opts o = {.work_dir = scratch,
                             .allow_reboot = allow_reboot,
                             .search_path = "/usr/sbin:/usr/bin:/sbin:/bin"};
    assert_int_equal(actions_run(&a, &o, -1, NULL, NULL, res), 0);
    assert_non_null(res->message);
}

static size_t envc(const char *const *env, size_t max)
{
    size_t n = 0;
    while (n < max && env[n])
        n++;
    return n;
}

/* ---- writefile ----------------------------------------------------------- */

static void test_writefile_directory_target(void **state)
{
    (void)state;
    char root[512], disk[600];
    path_in(root, sizeof(root), "wf-root");
    mkdirs(root);
    snprintf(disk, sizeof(disk), "DEST_DISK=%s", root);
    const char *env[] = {disk,
                         "FS_TYPE=ext4",
                         "DEST_PATH=/etc/anvil/deep/hello.conf",
                         "CONTENTS=hello\nworld\n",
                         "UID=1234",
                         "GID=4321",
                         "MODE=0600",
                         "DIRMODE=0750"};
    struct actions_result res;
    run_env("quay.io/tinkerbell/actions/writefile:latest", env, ARRAY_SIZE(env), false, &res);
    if (res.state != AGENTPROTO_STATE_SUCCESS)
        fail_msg("%s", res.message);
    actions_result_done(&res);

    char p[700];
    snprintf(p, sizeof(p), "%s/etc/anvil/deep/hello.conf", root);
    char *text = read_text(p);
    assert_non_null(text);
    assert_string_equal(text, "hello\nworld\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 4321);
    }
    snprintf(p, sizeof(p), "%s/etc/anvil/deep", root);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);

    /* Defaults: 0644 file, existing directories untouched, file replaced. */
    const char *env2[] = {disk, "DEST_PATH=/etc/anvil/deep/hello.conf", "CONTENTS=again"};
    run_env("anvil/writefile", env2, 3, false, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
    actions_result_done(&res);
    snprintf(p, sizeof(p), "%s/etc/anvil/deep/hello.conf", root);
    text = read_text(p);
    assert_string_equal(text, "again");
    free(text);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_writefile_symlinks_stay_inside(void **state)
{
    (void)state;
    char root[512], disk[600], p[700], link[700];
    path_in(root, sizeof(root), "wf-links");
    snprintf(p, sizeof(p), "%s/etc", root);
    mkdirs(p);
    /* Absolute and climbing symlinks, as OS images have, that would name
     * the worker's own /etc and /tmp if followed outside the tree. */
    snprintf(link, sizeof(link), "%s/escape", root);
    assert_int_equal(symlink("/etc", link), 0);
    snprintf(link, sizeof(link), "%s/up", root);
    assert_int_equal(symlink("../../../../../..", link), 0);
    snprintf(link, sizeof(link), "%s/etc/final", root);
    assert_int_equal(symlink("/etc/anvil-final-target", link), 0);
    snprintf(disk, sizeof(disk), "DEST_DISK=%s", root);
    static const char *const paths[] = {"DEST_PATH=/escape/anvil-escape-test",
                                        "DEST_PATH=/up/tmp/anvil-up-test", "DEST_PATH=/etc/final"};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        const char *env[] = {disk, paths[i], "CONTENTS=x"};
        struct actions_result res;
        run_env("anvil/writefile", env, 3, false, &res);
        if (res.state != AGENTPROTO_STATE_SUCCESS)
            fail_msg("%s", res.message);
        actions_result_done(&res);
    }
    static const char *const outside[] = {"/etc/anvil-escape-test", "/tmp/anvil-up-test",
                                          "/etc/anvil-final-target"};
    static const char *const inside[] = {"etc/anvil-escape-test", "tmp/anvil-up-test",
                                         "etc/anvil-final-target"};
    for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
        struct stat st;
        assert_int_equal(stat(outside[i], &st), -1);
        snprintf(p, sizeof(p), "%s/%s", root, inside[i]);
        assert_int_equal(stat(p, &st), 0);
    }
}

static void test_writefile_bad_input(void **state)
{
    (void)state;
    char root[512], disk[600], file_disk[600], fileparent[600];
    path_in(root, sizeof(root), "wf-bad");
    mkdirs(root);
    snprintf(disk, sizeof(disk), "DEST_DISK=%s", root);
    snprintf(fileparent, sizeof(fileparent), "%s/afile", root);
    write_text(fileparent, "x");
    snprintf(fileparent, sizeof(fileparent), "%s/dangling", root);
    assert_int_equal(symlink("/nonexistent-anvil", fileparent), 0);
    snprintf(file_disk, sizeof(file_disk), "DEST_DISK=%s/nonexistent", scratch);
    const struct {
        const char *env[3];
        const char *has;
    } cases[] = {
            {{"DEST_PATH=/a"}, "writefile needs DEST_DISK"},
            {{disk}, "needs DEST_PATH, an absolute path"},
            {{disk, "DEST_PATH=relative/file"}, "needs DEST_PATH, an absolute path"},
            {{disk, "DEST_PATH=/etc/"}, "DEST_PATH must name a file"},
            {{disk, "DEST_PATH=/a", "MODE=999"}, "MODE=\"999\" is not an octal mode"},
            {{disk, "DEST_PATH=/a", "DIRMODE=x"}, "DIRMODE=\"x\" is not an octal mode"},
            {{disk, "DEST_PATH=/a", "UID=-1"}, "UID=\"-1\" is not a numeric id"},
            {{disk, "DEST_PATH=/a", "GID=root"}, "GID=\"root\" is not a numeric id"},
            {{disk, "DEST_PATH=/a/../b"}, "must not contain \".\" or \"..\""},
            {{disk, "DEST_PATH=/afile/b"}, "/afile: Not a directory"},
            {{file_disk, "DEST_PATH=/a"}, "nonexistent: No such file or directory"},
            {{"DEST_DISK=/dev/null", "DEST_PATH=/a"}, "is not a block device, an image file"},
            {{disk, "DEST_PATH=/dangling/x"}, "cannot create directory /dangling: File exists"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct actions_result res;
        run_env("anvil/writefile", cases[i].env, envc(cases[i].env, 3), false, &res);
        if (res.state != AGENTPROTO_STATE_FAILED || !strstr(res.message, cases[i].has))
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        actions_result_done(&res);
    }
}

/* ---- cexec --------------------------------------------------------------- */

static void test_cexec_directory_target(void **state)
{
    (void)state;
    char root[512], dev[600], p[700];
    path_in(root, sizeof(root), "cx-root");
    mkdirs(root);
    snprintf(dev, sizeof(dev), "BLOCK_DEVICE=%s", root);
    const struct {
        const char *env[4];
        enum agentproto_state want;
        const char *has;
        const char *made;
    } cases[] = {
            {{dev, "CMD_LINE=touch one; touch two"},
             AGENTPROTO_STATE_SUCCESS,
             "cexec command 2 of 2 \"touch\" exited 0",
             "two"},
            {{dev, "DEFAULT_INTERPRETER=/bin/sh -c", "CMD_LINE=echo $MARK > three && exit 4",
              "MARK=set"},
             AGENTPROTO_STATE_FAILED,
             "cexec command 1 of 1 \"/bin/sh\" exited with status 4",
             "three"},
            {{dev, "CMD_LINE=false;touch never"}, AGENTPROTO_STATE_FAILED, "1 of 2", NULL},
            {{dev, "CMD_LINE=no-such-tool-anvil"}, AGENTPROTO_STATE_FAILED, "cannot run", NULL},
            {{dev}, AGENTPROTO_STATE_FAILED, "cexec needs CMD_LINE", NULL},
            {{dev, "CMD_LINE= ; ;"}, AGENTPROTO_STATE_FAILED, "CMD_LINE holds no command", NULL},
            {{"CMD_LINE=true"}, AGENTPROTO_STATE_FAILED, "cexec needs BLOCK_DEVICE", NULL},
            {{"BLOCK_DEVICE=/nonexistent", "CMD_LINE=true"},
             AGENTPROTO_STATE_FAILED,
             "/nonexistent: No such file",
             NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct actions_result res;
        run_env("ghcr.io/tinkerbell/actions/cexec:latest", cases[i].env, envc(cases[i].env, 4),
                false, &res);
        if (res.state != cases[i].want || !strstr(res.message, cases[i].has))
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        actions_result_done(&res);
        if (cases[i].made) {
            snprintf(p, sizeof(p), "%s/%s", root, cases[i].made);
            assert_int_equal(access(p, F_OK), 0);
        }
    }
    snprintf(p, sizeof(p), "%s/three", root);
    char *text = read_text(p);
    assert_string_equal(text, "set\n");
    free(text);
    snprintf(p, sizeof(p), "%s/never", root);
    assert_int_equal(access(p, F_OK), -1);
}

static void test_cexec_chroot(void **state)
{
    (void)state;
    char root[512], usr[600], p[700], dev[600];
    path_in(root, sizeof(root), "cx-chroot");
    snprintf(usr, sizeof(usr), "%s/usr", root);
    mkdirs(usr);
    /* A tree whose /usr is the worker's (merged /usr), so a shell runs in it. */
    if (mount("/usr", usr, NULL, MS_BIND, NULL) < 0)
        skip();
    /* Read-only, so nothing can ever write through to the real /usr. */
    if (mount(NULL, usr, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
        (void)umount2(usr, MNT_DETACH);
        skip();
    }
    static const char *const links[][2] = {
            {"usr/bin", "bin"}, {"usr/lib", "lib"}, {"usr/lib64", "lib64"}, {"usr/sbin", "sbin"}};
    for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, links[i][1]);
        assert_int_equal(symlink(links[i][0], p), 0);
    }
    snprintf(dev, sizeof(dev), "BLOCK_DEVICE=%s", root);
    const char *env[] = {dev, "CHROOT=y", "DEFAULT_INTERPRETER=/bin/sh -c",
                         "CMD_LINE=test -r /proc/self/stat && test -c /dev/null && test -d "
                         "/sys/class && echo inside > /marker"};
    struct actions_result res;
    run_env("anvil/cexec", env, ARRAY_SIZE(env), false, &res);
    int um = umount2(usr, MNT_DETACH);
    if (res.state != AGENTPROTO_STATE_SUCCESS)
        fail_msg("%s", res.message);
    assert_non_null(strstr(res.message, "(chroot)"));
    actions_result_done(&res);
    assert_int_equal(um, 0);
    snprintf(p, sizeof(p), "%s/marker", root);
    char *text = read_text(p);
    assert_non_null(text);
    assert_string_equal(text, "inside\n");
    free(text);
    /* /dev, /proc and /sys were unmounted again. */
    snprintf(p, sizeof(p), "%s/proc/self", root);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof(p), "%s/dev/null", root);
    assert_int_equal(access(p, F_OK), -1);
}

/* ---- kexec --------------------------------------------------------------- */

static void assert_file_is(const char *path, const char *want)
{
    char *text = read_text(path);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
}

static void test_kexec_stages_kernel(void **state)
{
    (void)state;
    char root[512], boot[600], p[700], dev[600];
    path_in(root, sizeof(root), "kx-root");
    snprintf(boot, sizeof(boot), "%s/boot/grub", root);
    mkdirs(boot);
    snprintf(p, sizeof(p), "%s/boot/vmlinuz-6.1", root);
    write_text(p, "KERNEL-6.1");
    snprintf(p, sizeof(p), "%s/boot/initrd.img-6.1", root);
    write_text(p, "INITRD-6.1");
    snprintf(p, sizeof(p), "%s/boot/vmlinuz-5.10", root);
    write_text(p, "KERNEL-5.10");
    snprintf(p, sizeof(p), "%s/boot/grub/grub.cfg", root);
    write_text(p, "set default=\"1\"\n"
                  "menuentry 'Debian 6.1' {\n"
                  "\tlinux /boot/vmlinuz-6.1 root=/dev/sda1 ro\n"
                  "\tinitrd /boot/initrd.img-6.1\n"
                  "}\n"
                  "menuentry 'Debian 5.10' {\n"
                  "\tlinux (hd0,gpt2)/vmlinuz-5.10 root=/dev/sda1 quiet \\$x\n"
                  "}\n");
    snprintf(dev, sizeof(dev), "BLOCK_DEVICE=%s", root);

    const struct {
        const char *env[4];
        bool allow;
        const char *kernel, *initrd, *cmdline;
        enum actions_after after;
    } cases[] = {
            {{dev, "KERNEL_PATH=/boot/vmlinuz-6.1", "INITRD_PATH=/boot/initrd.img-6.1",
              "CMD_LINE=console=ttyS0"},
             true,
             "KERNEL-6.1",
             "INITRD-6.1",
             "console=ttyS0",
             ACTIONS_AFTER_KEXEC},
            /* From grub.cfg: entry 1, a "(hd0,gpt2)" path found under /boot. */
            {{dev}, true, "KERNEL-5.10", NULL, "root=/dev/sda1 quiet $x", ACTIONS_AFTER_KEXEC},
            {{dev, "KERNEL_PATH=/boot/vmlinuz-6.1"},
             false,
             "KERNEL-6.1",
             NULL,
             "",
             ACTIONS_AFTER_NOTHING},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct actions_result res;
        run_env("quay.io/tinkerbell/actions/kexec:latest", cases[i].env, envc(cases[i].env, 4),
                cases[i].allow, &res);
        if (res.state != AGENTPROTO_STATE_SUCCESS)
            fail_msg("case %zu: %s", i, res.message);
        assert_int_equal(res.after, cases[i].after);
        assert_non_null(res.kexec_kernel);
        assert_true(strncmp(res.kexec_kernel, scratch, strlen(scratch)) == 0);
        assert_file_is(res.kexec_kernel, cases[i].kernel);
        if (cases[i].initrd)
            assert_file_is(res.kexec_initrd, cases[i].initrd);
        else
            assert_null(res.kexec_initrd);
        assert_string_equal(res.kexec_cmdline, cases[i].cmdline);
        actions_result_done(&res);
    }

    const struct {
        const char *env[3];
        const char *has;
    } bad[] = {
            {{"KERNEL_PATH=/boot/vmlinuz-6.1"}, "kexec needs BLOCK_DEVICE"},
            {{dev, "KERNEL_PATH=/boot/missing"}, "/boot/missing: No such file"},
            {{dev, "KERNEL_PATH=/boot/vmlinuz-6.1", "INITRD_PATH=/nope"}, "/nope: No such file"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct actions_result res;
        run_env("anvil/kexec", bad[i].env, envc(bad[i].env, 3), true, &res);
        if (res.state != AGENTPROTO_STATE_FAILED || !strstr(res.message, bad[i].has))
            fail_msg("bad case %zu: %s", i, res.message);
        assert_int_equal(res.after, ACTIONS_AFTER_NOTHING);
        actions_result_done(&res);
    }
    /* No KERNEL_PATH and no GRUB configuration. */
    snprintf(p, sizeof(p), "%s/boot/grub/grub.cfg", root);
    assert_int_equal(unlink(p), 0);
    const char *env[] = {dev};
    struct actions_result res;
    run_env("anvil/kexec", env, 1, true, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_non_null(strstr(res.message, "no GRUB configuration names a kernel"));
    actions_result_done(&res);
}

static void test_grub_default_table(void **state)
{
    (void)state;
    static const struct {
        const char *cfg;
        int r;
        const char *kernel, *initrd, *args;
    } cases[] = {
            {"menuentry 'a' {\n linux /k1 a=1\n initrd /i1\n}\n", 0, "/k1", "/i1", "a=1"},
            {"set default=1\nmenuentry a {\nlinux /k1\n}\nmenuentry b {\nlinux /k2 b\n}\n", 0,
             "/k2", NULL, "b"},
            {"set default=\"7\"\nmenuentry a {\nlinux /k1\n}\nmenuentry b {\nlinux /k2\n}\n", 0,
             "/k1", NULL, ""},
            {"set default=saved\nmenuentry a {\nlinuxefi /k1 x\ninitrdefi /u.img /i.img\n}\n", 0,
             "/k1", "/i.img", "x"},
            {"menuentry a {\n}\nmenuentry b {\r\n  linux16   /k2   q  \r\n}\r\n", 0, "/k2", NULL,
             "q"},
            {"# linux /commented\nmenuentry a {\n#linux /k0\nlinux /k1\n}", 0, NULL, NULL, NULL},
            {"menuentry a {\nlinux /k1\n}\n", 0, "/k1", NULL, ""},
            {"menuentry a {\ninitrd /i\n}\n", -ENOENT, NULL, NULL, NULL},
            {"linux /k1\n", -ENOENT, NULL, NULL, NULL},
            {"", -ENOENT, NULL, NULL, NULL},
            {"menuentry a {\nlinux\n}\n", -ENOENT, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *k = NULL, *in = NULL, *args = NULL;
        int r = actions_grub_default(cases[i].cfg, strlen(cases[i].cfg), &k, &in, &args);
        if (r != cases[i].r)
            fail_msg("case %zu: r=%d", i, r);
        if (r == 0 && cases[i].kernel) {
            assert_string_equal(k, cases[i].kernel);
            if (cases[i].initrd)
                assert_string_equal(in, cases[i].initrd);
            else
                assert_null(in);
            assert_string_equal(args, cases[i].args);
        }
        free(k);
        free(in);
        free(args);
    }
    char *k, *in, *args;
    assert_int_equal(actions_grub_default("x", ACTIONS_GRUB_MAX + 1, &k, &in, &args), -EFBIG);
    /* The commented case picked the real kernel. */
    const char *cfg = cases[5].cfg;
    assert_int_equal(actions_grub_default(cfg, strlen(cfg), &k, &in, &args), 0);
    assert_string_equal(k, "/k1");
    free(k);
    free(in);
    free(args);
}

/* ---- an ext4 image through a loop device --------------------------------- */

static void test_writefile_loop_image(void **state)
{
    (void)state;
    char img[512], cmd[1200], disk[600];
    path_in(img, sizeof(img), "rootfs.ext4");
    snprintf(cmd, sizeof(cmd), "truncate -s 16M '%s' && mkfs.ext4 -q -F '%s' >/dev/null 2>&1", img,
             img);
    if (system(cmd) != 0)
        skip();
    snprintf(disk, sizeof(disk), "DEST_DISK=%s", img);
    const char *env[] = {disk, "FS_TYPE=ext4", "DEST_PATH=/etc/hostname", "CONTENTS=node-7\n"};
    struct actions_result res;
    run_env("anvil/writefile", env, 4, false, &res);
    if (res.state != AGENTPROTO_STATE_SUCCESS) {
        bool no_loop = strstr(res.message, "loop") != NULL;
        actions_result_done(&res);
        if (no_loop)
            skip(); /* no loop devices here */
        fail();
    }
    actions_result_done(&res);
    /* The same again without FS_TYPE: the type is found by trying. */
    const char *env2[] = {disk, "DEST_PATH=/etc/motd", "CONTENTS=hi"};
    run_env("anvil/writefile", env2, 3, false, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
    actions_result_done(&res);
    /* Read back with debugfs, without mounting. */
    char out[600];
    path_in(out, sizeof(out), "hostname.out");
    snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /etc/hostname' '%s' > '%s' 2>/dev/null", img, out);
    assert_int_equal(system(cmd), 0);
    assert_file_is(out, "node-7\n");
    /* No mount point left behind in work_dir. */
    snprintf(cmd, sizeof(cmd), "ls -d '%s'/anvil-mount-* >/dev/null 2>&1", scratch);
    assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_writefile_directory_target),
            cmocka_unit_test(test_writefile_symlinks_stay_inside),
            cmocka_unit_test(test_writefile_bad_input),
            cmocka_unit_test(test_cexec_directory_target),
            cmocka_unit_test(test_cexec_chroot),
            cmocka_unit_test(test_kexec_stages_kernel),
            cmocka_unit_test(test_grub_default_table),
            cmocka_unit_test(test_writefile_loop_image),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
