/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Making a DEST_DISK / BLOCK_DEVICE reachable as a directory tree:
 * mount(2) of a block device on a private mount point, a loop device for a
 * regular file (an image), or a directory used as it is. Paths inside the
 * tree are resolved with the tree as root (openat2 RESOLVE_IN_ROOT), so a
 * symlink in an OS image can never point a write at the worker's own files.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions/actions-internal.h"

#define FILESYSTEMS_MAX (64u * 1024u)

int actions_open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
    assert_return(root_fd >= 0 && path, -EINVAL);
    struct open_how how = {
            .flags = (uint64_t)(flags | O_CLOEXEC),
            .mode = (flags & O_CREAT) ? mode : 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0)
        return (int)fd;
    if (errno != ENOSYS)
        return -errno;
    /* Kernels before 5.6: relative to the tree, without the guarantee. */
    while (*path == '/')
        path++;
    fd = openat(root_fd, *path ? path : ".", flags | O_CLOEXEC, mode);
    return fd < 0 ? -errno : (int)fd;
}

/* Attaches file to a free loop device that detaches itself once unmounted. */
static int loop_attach(const char *file, char **ret_dev, int *ret_fd, struct buf *err)
{
    _cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    _cleanup_close_ int ffd = open(file, O_RDWR | O_CLOEXEC);
    if (ffd < 0 || ctl < 0) {
        int e = errno;
        (void)buf_printf(err, "%s is a regular file and needs a loop device: %s%s", file,
                         ffd < 0 ? "" : "/dev/loop-control: ", strerror(e));
        return -e;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        int n = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (n < 0)
            break;
        _cleanup_free_ char *dev = NULL;
        if (asprintf(&dev, "/dev/loop%d", n) < 0)
            return -ENOMEM;
        _cleanup_close_ int lfd = open(dev, O_RDWR | O_CLOEXEC);
        if (lfd < 0)
            break;
        struct loop_config cfg = {.fd = (uint32_t)ffd};
        cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
            *ret_dev = TAKE_PTR(dev);
            *ret_fd = TAKE_FD(lfd);
            return 0;
        }
        if (errno != EBUSY)
            break; /* EBUSY: another process took it first */
    }
    int e = errno ? errno : EBUSY;
    (void)buf_printf(err, "cannot attach %s to a loop device: %s", file, strerror(e));
    return -e;
}

/* Mounts source on dir with fstype, or with each type the kernel has. */
static int mount_any(const char *source, const char *dir, const char *fstype)
{
    if (fstype && *fstype)
        return mount(source, dir, fstype, 0, NULL) < 0 ? -errno : 0;
    _cleanup_close_ int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    _cleanup_free_ char *text = malloc(FILESYSTEMS_MAX + 1);
    if (!text)
        return -ENOMEM;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, FILESYSTEMS_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    int last = -ENODEV;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "nodev", 5) == 0)
            continue;
        const char *type = line + strspn(line, " \t");
        if (!*type)
            continue;
        if (mount(source, dir, type, 0, NULL) == 0)
            return 0;
        if (errno != EINVAL && errno != ENODEV)
            last = -errno;
    }
    return last;
}

int actions_mount_open(const char *disk,
                       const char *fstype,
                       const char *work_dir,
                       struct actions_mount *ret,
                       struct buf *err)
{
    assert_return(disk && work_dir && ret && err, -EINVAL);
    struct stat st;
    if (stat(disk, &st) < 0) {
        int e = errno;
        (void)buf_printf(err, "%s: %s", disk, strerror(e));
        return -e;
    }
    struct actions_mount m = ACTIONS_MOUNT_INIT;
    if (S_ISDIR(st.st_mode)) {
        m.root = strdup(disk);
        if (!m.root)
            return -ENOMEM;
        *ret = m;
        return 0;
    }
    if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
        (void)buf_printf(err, "%s is not a block device, an image file or a directory", disk);
        return -ENOTBLK;
    }
    _cleanup_free_ char *loopdev = NULL;
    _cleanup_close_ int loopfd = -1;
    if (S_ISREG(st.st_mode)) {
        int r = loop_attach(disk, &loopdev, &loopfd, err);
        if (r < 0)
            return r;
    }
    _cleanup_free_ char *dir = NULL;
    if (asprintf(&dir, "%s/anvil-mount-XXXXXX", work_dir) < 0)
        return -ENOMEM;
    if (!mkdtemp(dir)) {
        int e = errno;
        (void)buf_printf(err, "cannot make a mount point in %s: %s", work_dir, strerror(e));
        return -e;
    }
    int r = mount_any(loopdev ? loopdev : disk, dir, fstype);
    if (r < 0) {
        (void)rmdir(dir);
        (void)buf_printf(err, "mount %s (%s) on %s: %s", disk,
                         fstype && *fstype ? fstype : "any type", dir, strerror(-r));
        return r;
    }
    m.root = strdup(dir);
    m.tmpdir = TAKE_PTR(dir);
    m.mounted = true;
    if (!m.root) {
        (void)actions_mount_close(&m);
        return -ENOMEM;
    }
    *ret = m;
    return 0;
}

int actions_mount_special(struct actions_mount *m, struct buf *err)
{
    /* /dev and /sys are bound recursively from the worker (so efivarfs and
     * devpts come along); /proc is a fresh instance. */
    static const struct {
        const char *name, *source, *type;
        unsigned long flags;
    } specials[] = {
            {"dev", "/dev", NULL, MS_BIND | MS_REC},
            {"proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC},
            {"sys", "/sys", NULL, MS_BIND | MS_REC},
    };
    assert_return(m && m->root && err, -EINVAL);
    for (size_t i = 0; i < ARRAY_SIZE(specials); i++) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", m->root, specials[i].name) < 0)
            return -ENOMEM;
        struct stat st;
        if (lstat(path, &st) < 0 && mkdir(path, 0755) < 0) {
            int e = errno;
            (void)buf_printf(err, "cannot create %s: %s", path, strerror(e));
            return -e;
        }
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
            (void)buf_printf(err, "%s is not a directory", path);
            return -ENOTDIR;
        }
        if (mount(specials[i].source, path, specials[i].type, specials[i].flags, NULL) < 0) {
            int e = errno;
            (void)buf_printf(err, "mount %s on %s: %s", specials[i].source, path, strerror(e));
            return -e;
        }
        m->special[i] = TAKE_PTR(path);
    }
    return 0;
}

int actions_mount_close(struct actions_mount *m)
{
    int first = 0;
    if (!m)
        return 0;
    for (size_t i = ARRAY_SIZE(m->special); i-- > 0;) {
        if (m->special[i] && umount2(m->special[i], MNT_DETACH) < 0 && first == 0)
            first = -errno;
        free(m->special[i]);
        m->special[i] = NULL;
    }
    if (m->mounted && umount2(m->tmpdir, 0) < 0) {
        if (umount2(m->tmpdir, MNT_DETACH) < 0 && first == 0)
            first = -errno;
    }
    if (m->tmpdir && rmdir(m->tmpdir) < 0 && first == 0)
        first = -errno;
    free(m->tmpdir);
    free(m->root);
    *m = ACTIONS_MOUNT_INIT;
    return first;
}
