/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writefile: DEST_DISK (FS_TYPE) mounted, CONTENTS written to DEST_PATH
 * with MODE and UID:GID, missing parent directories made with DIRMODE and
 * the same owner, then unmounted. Upstream requires UID, GID, MODE and
 * DIRMODE; here they default to 0, 0, 0644 and 0755. Every path is
 * resolved inside the mounted tree, symlinks included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions/actions-internal.h"

#define PATH_MAX_BYTES 4096

struct wf {
    const char *disk, *fstype, *path, *contents;
    mode_t mode, dirmode;
    uint32_t uid, gid;
};

static int parse_opts(struct actions_ctx *c, struct wf *w)
{
    w->disk = actions_ctx_env(c, "DEST_DISK");
    w->fstype = actions_ctx_env(c, "FS_TYPE");
    w->path = actions_ctx_env(c, "DEST_PATH");
    w->contents = actions_ctx_env(c, "CONTENTS");
    if (!w->contents)
        w->contents = "";
    if (!w->disk || !*w->disk)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "writefile needs DEST_DISK");
    if (!w->path || w->path[0] != '/')
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "writefile needs DEST_PATH, an absolute path");
    size_t pl = strlen(w->path);
    if (pl >= PATH_MAX_BYTES || w->path[pl - 1] == '/')
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "DEST_PATH must name a file (and be shorter than %d bytes)",
                               PATH_MAX_BYTES);
    static const struct {
        const char *name;
        bool is_mode;
        size_t off;
        const char *dflt;
    } vals[] = {
            {"MODE", true, offsetof(struct wf, mode), "0644"},
            {"DIRMODE", true, offsetof(struct wf, dirmode), "0755"},
            {"UID", false, offsetof(struct wf, uid), "0"},
            {"GID", false, offsetof(struct wf, gid), "0"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        const char *v = actions_ctx_env(c, vals[i].name);
        if (!v || !*v)
            v = vals[i].dflt;
        int r = vals[i].is_mode ? actions_parse_mode(v, (mode_t *)((char *)w + vals[i].off))
                                : actions_parse_id(v, (uint32_t *)((char *)w + vals[i].off));
        if (r < 0)
            return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s=\"%.64s\" is not %s",
                                   vals[i].name, v,
                                   vals[i].is_mode ? "an octal mode up to 07777"
                                                   : "a numeric id below 4294967295");
    }
    return 1;
}

/* Makes every missing directory of w->path's parent, one component at a
 * time, each resolved inside the tree. */
static int ensure_dirs(int root_fd, const struct wf *w, struct buf *err)
{
    char partial[PATH_MAX_BYTES];
    const char *p = w->path;
    const char *last = strrchr(p, '/');
    size_t at = 0;
    while (p < last) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (p + n > last || n == 0)
            break;
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            (void)buf_printf(err, "DEST_PATH must not contain \".\" or \"..\" components");
            return -EINVAL;
        }
        partial[at++] = '/';
        memcpy(partial + at, p, n);
        at += n;
        partial[at] = '\0';
        p += n;
        int fd = actions_open_in_root(root_fd, partial, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0) {
            (void)close(fd);
            continue;
        }
        if (fd != -ENOENT) {
            (void)buf_printf(err, "%s: %s", partial, strerror(-fd));
            return fd;
        }
        /* The parent resolved a moment ago; make the child in it. */
        char *slash = strrchr(partial, '/');
        *slash = '\0';
        _cleanup_close_ int parent =
                actions_open_in_root(root_fd, *partial ? partial : "/", O_PATH | O_DIRECTORY, 0);
        *slash = '/';
        if (parent < 0 || mkdirat(parent, slash + 1, w->dirmode) < 0 ||
            fchmodat(parent, slash + 1, w->dirmode, 0) < 0 ||
            fchownat(parent, slash + 1, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) < 0) {
            int e = parent < 0 ? -parent : errno;
            (void)buf_printf(err, "cannot create directory %s: %s", partial, strerror(e));
            return -e;
        }
    }
    return 0;
}

static int write_file(int root_fd, const struct wf *w, struct buf *err)
{
    int r = ensure_dirs(root_fd, w, err);
    if (r < 0)
        return r;
    _cleanup_close_ int fd =
            actions_open_in_root(root_fd, w->path, O_WRONLY | O_CREAT | O_TRUNC, w->mode);
    if (fd < 0) {
        (void)buf_printf(err, "cannot open %s: %s", w->path, strerror(-fd));
        return fd;
    }
    const char *p = w->contents;
    size_t left = strlen(p);
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            (void)buf_printf(err, "writing %s: %s", w->path, strerror(e));
            return -e;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fchmod(fd, w->mode) < 0 || fchown(fd, w->uid, w->gid) < 0 || fsync(fd) < 0) {
        int e = errno;
        (void)buf_printf(err, "finishing %s: %s", w->path, strerror(e));
        return -e;
    }
    return 0;
}

int actions_writefile_run(struct actions_ctx *c)
{
    struct wf w = {0};
    int r = parse_opts(c, &w);
    if (r <= 0)
        return r;
    struct buf err = BUF_INIT(4096);
    struct actions_mount m = ACTIONS_MOUNT_INIT;
    r = actions_mount_open(w.disk, w.fstype, c->o.work_dir, &m, &err);
    if (r == -ENOMEM) {
        buf_free(&err);
        return r;
    }
    if (r >= 0) {
        _cleanup_close_ int root_fd = open(m.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
            r = -errno;
            (void)buf_printf(&err, "%s: %s", m.root, strerror(-r));
        } else {
            r = write_file(root_fd, &w, &err);
        }
        int k = actions_mount_close(&m);
        if (r >= 0 && k < 0) {
            r = k;
            (void)buf_printf(&err, "unmounting %s: %s", w.disk, strerror(-k));
        }
    }
    if (r < 0)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "writefile: %s", buf_str(&err));
    else
        r = actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS, "wrote %zu bytes to %s on %s",
                            strlen(w.contents), w.path, w.disk);
    buf_free(&err);
    return r;
}
