/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reboot, poweroff and kexec. None of them takes the machine down inside
 * actions_run(): the run only prepares and says what should happen
 * (result.after), so the worker reports the final status first and then
 * calls actions_finish(). kexec stages copies of the kernel and initrd in
 * work_dir, because the filesystem they came from is unmounted by then.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions/actions-internal.h"

#define STAGE_MAX   (1024ull * 1024 * 1024) /* largest kernel or initrd copied */
#define CMDLINE_MAX 4096                    /* COMMAND_LINE_SIZE on the larger arches */

static const char *const grub_configs[] = {
        "/boot/grub/grub.cfg",  "/boot/grub2/grub.cfg",
        "/boot/grub/grub.conf", "/grub/grub.cfg", /* a separate /boot partition */
        "/grub2/grub.cfg",
};

int actions_reboot_run(struct actions_ctx *c, enum actions_after what)
{
    const char *name = what == ACTIONS_AFTER_POWEROFF ? "power off" : "reboot";
    if (!c->o.allow_reboot)
        return actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS,
                               "%s requested; not performed (reboots are disabled)", name);
    c->after = what;
    return actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS, "%s once this status is reported", name);
}

/* Reads a whole file of the tree into a buffer (bounded). */
static int read_in_root(int root_fd, const char *path, struct buf *out)
{
    _cleanup_close_ int fd = actions_open_in_root(root_fd, path, O_RDONLY, 0);
    if (fd < 0)
        return fd;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        int r = buf_append(out, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

/* Copies path (inside the tree; "/boot" is tried in front of a path that
 * is missing) to dst. */
static int stage_file(int root_fd, const char *path, const char *dst, struct buf *err)
{
    int in = actions_open_in_root(root_fd, path, O_RDONLY, 0);
    if (in == -ENOENT) {
        _cleanup_free_ char *alt = NULL;
        if (asprintf(&alt, "/boot%s%s", path[0] == '/' ? "" : "/", path) < 0)
            return -ENOMEM;
        in = actions_open_in_root(root_fd, alt, O_RDONLY, 0);
    }
    if (in < 0) {
        (void)buf_printf(err, "%s: %s", path, strerror(-in));
        return in;
    }
    _cleanup_close_ int src = in;
    _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = errno;
        (void)buf_printf(err, "%s: %s", dst, strerror(e));
        return -e;
    }
    uint64_t total = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(src, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return 0;
        total += n > 0 ? (uint64_t)n : 0;
        if (n < 0 || total > STAGE_MAX || write(out, chunk, (size_t)n) != n) {
            int e = n < 0 ? errno : total > STAGE_MAX ? EFBIG : errno ? errno : ENOSPC;
            (void)buf_printf(err, "copying %s: %s", path, strerror(e));
            return -e;
        }
    }
}

struct kx {
    const char *disk, *fstype;
    char *kernel, *initrd, *cmdline;
};

static void kx_done(struct kx *k)
{
    free(k->kernel);
    free(k->initrd);
    free(k->cmdline);
}

/* KERNEL_PATH/INITRD_PATH/CMD_LINE, or the default entry of the GRUB
 * configuration when KERNEL_PATH is empty (which then wins, as upstream). */
static int pick_kernel(struct actions_ctx *c, int root_fd, struct kx *k, struct buf *err)
{
    const char *kp = actions_ctx_env(c, "KERNEL_PATH");
    if (kp && *kp) {
        const char *ip = actions_ctx_env(c, "INITRD_PATH");
        const char *cl = actions_ctx_env(c, "CMD_LINE");
        k->kernel = strdup(kp);
        k->initrd = ip && *ip ? strdup(ip) : NULL;
        k->cmdline = strdup(cl ? cl : "");
        return k->kernel && k->cmdline && (!ip || !*ip || k->initrd) ? 0 : -ENOMEM;
    }
    for (size_t i = 0; i < ARRAY_SIZE(grub_configs); i++) {
        struct buf text = BUF_INIT(ACTIONS_GRUB_MAX);
        int r = read_in_root(root_fd, grub_configs[i], &text);
        if (r == 0)
            r = actions_grub_default(text.data ? text.data : "", text.len, &k->kernel, &k->initrd,
                                     &k->cmdline);
        buf_free(&text);
        if (r == 0 || r == -ENOMEM)
            return r;
        if (r != -ENOENT) {
            (void)buf_printf(err, "%s: %s", grub_configs[i], strerror(-r));
            return r;
        }
    }
    (void)buf_printf(err, "KERNEL_PATH is empty and no GRUB configuration names a kernel");
    return -ENOENT;
}

static int stage(struct actions_ctx *c, int root_fd, struct kx *k, struct buf *err)
{
    int r = pick_kernel(c, root_fd, k, err);
    if (r < 0)
        return r;
    if (strlen(k->cmdline) >= CMDLINE_MAX) {
        (void)buf_printf(err, "the kernel command line is longer than %d bytes", CMDLINE_MAX - 1);
        return -E2BIG;
    }
    _cleanup_free_ char *dir = NULL, *kdst = NULL, *idst = NULL;
    if (asprintf(&dir, "%s/anvil-kexec-XXXXXX", c->o.work_dir) < 0)
        return -ENOMEM;
    if (!mkdtemp(dir)) {
        int e = errno;
        (void)buf_printf(err, "cannot stage in %s: %s", c->o.work_dir, strerror(e));
        return -e;
    }
    if (asprintf(&kdst, "%s/kernel", dir) < 0 ||
        (k->initrd && asprintf(&idst, "%s/initrd", dir) < 0))
        return -ENOMEM;
    r = stage_file(root_fd, k->kernel, kdst, err);
    if (r >= 0 && k->initrd)
        r = stage_file(root_fd, k->initrd, idst, err);
    if (r < 0) {
        (void)unlink(kdst);
        if (idst)
            (void)unlink(idst);
        (void)rmdir(dir);
        return r;
    }
    c->kexec_kernel = TAKE_PTR(kdst);
    c->kexec_initrd = TAKE_PTR(idst);
    c->kexec_cmdline = TAKE_PTR(k->cmdline);
    return 0;
}

int actions_kexec_run(struct actions_ctx *c)
{
    _cleanup_(kx_done) struct kx k = {0};
    k.disk = actions_ctx_env(c, "BLOCK_DEVICE");
    k.fstype = actions_ctx_env(c, "FS_TYPE");
    if (!k.disk || !*k.disk)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "kexec needs BLOCK_DEVICE");
    struct buf err = BUF_INIT(4096);
    struct actions_mount m = ACTIONS_MOUNT_INIT;
    int r = actions_mount_open(k.disk, k.fstype, c->o.work_dir, &m, &err);
    if (r >= 0) {
        _cleanup_close_ int root_fd = open(m.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = root_fd < 0 ? -errno : stage(c, root_fd, &k, &err);
        if (root_fd < 0)
            (void)buf_printf(&err, "%s: %s", m.root, strerror(-r));
        (void)actions_mount_close(&m);
    }
    if (r == -ENOMEM) {
        buf_free(&err);
        return r;
    }
    if (r < 0)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "kexec: %s", buf_str(&err));
    else if (c->o.allow_reboot) {
        c->after = ACTIONS_AFTER_KEXEC;
        r = actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS,
                            "kexec into %s once this status is reported (cmdline \"%s\")", k.kernel,
                            c->kexec_cmdline);
    } else {
        r = actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS,
                            "kexec of %s staged; not performed (reboots are disabled)", k.kernel);
    }
    buf_free(&err);
    return r;
}

/* kexec_file_load(2); the kexec tool where the syscall is missing. */
static int kexec_load(const struct actions_result *r)
{
    const char *cmdline = r->kexec_cmdline ? r->kexec_cmdline : "";
    _cleanup_close_ int kfd = open(r->kexec_kernel, O_RDONLY | O_CLOEXEC);
    if (kfd < 0)
        return -errno;
    _cleanup_close_ int ifd = -1;
    if (r->kexec_initrd) {
        ifd = open(r->kexec_initrd, O_RDONLY | O_CLOEXEC);
        if (ifd < 0)
            return -errno;
    }
    unsigned long flags = r->kexec_initrd ? 0 : KEXEC_FILE_NO_INITRAMFS;
    if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, flags) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    _cleanup_free_ char *initrd_arg = NULL, *cmdline_arg = NULL;
    if ((r->kexec_initrd && asprintf(&initrd_arg, "--initrd=%s", r->kexec_initrd) < 0) ||
        asprintf(&cmdline_arg, "--command-line=%s", cmdline) < 0)
        return -ENOMEM;
    char *argv[] = {"kexec", "-l", r->kexec_kernel, cmdline_arg, initrd_arg, NULL};
    char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    _cleanup_(actions_proc_result_done) struct actions_proc_result res = {0};
    int k = actions_proc_run(
            &(struct actions_proc_opts){.argv = argv,
                                        .envp = envp,
                                        .cancel_fd = -1,
                                        .deadline_usec = actions_now_usec() + 60000000u,
                                        .kill_grace_ms = 1000,
                                        .progress_interval_ms = 1000},
            &res);
    if (k < 0)
        return k;
    if (res.exec_errno)
        return -ENOSYS;
    return res.exited && res.exit_code == 0 ? 0 : -EIO;
}

int actions_finish(const struct actions_result *r)
{
    assert_return(r, -EINVAL);
    switch (r->after) {
    case ACTIONS_AFTER_NOTHING:
        return 0;
    case ACTIONS_AFTER_REBOOT:
        sync();
        (void)reboot(RB_AUTOBOOT);
        return -errno;
    case ACTIONS_AFTER_POWEROFF:
        sync();
        (void)reboot(RB_POWER_OFF);
        return -errno;
    case ACTIONS_AFTER_KEXEC: {
        if (!r->kexec_kernel)
            return -EINVAL;
        int k = kexec_load(r);
        if (k < 0)
            return k;
        sync();
        (void)reboot(RB_KEXEC);
        return -errno;
    }
    default:
        return -EINVAL;
    }
}
