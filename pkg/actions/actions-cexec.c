/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cexec: BLOCK_DEVICE (FS_TYPE) mounted, then CMD_LINE run either chrooted
 * into it (CHROOT set; /dev, /proc and /sys made available inside) or in
 * the boot environment with the mounted tree as working directory.
 * DEFAULT_INTERPRETER ("/bin/sh -c") gets CMD_LINE as its last argument;
 * without one, CMD_LINE is split at ';' into commands and each at spaces,
 * run in order until one fails, as upstream does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

struct cx {
    const char *disk, *fstype, *cmdline, *interpreter;
    bool chroot;
};

static int parse_opts(struct actions_ctx *c, struct cx *x)
{
    x->disk = actions_ctx_env(c, "BLOCK_DEVICE");
    x->fstype = actions_ctx_env(c, "FS_TYPE");
    x->cmdline = actions_ctx_env(c, "CMD_LINE");
    x->interpreter = actions_ctx_env(c, "DEFAULT_INTERPRETER");
    const char *ch = actions_ctx_env(c, "CHROOT");
    bool b = true;
    /* Upstream chroots for any non-empty CHROOT; "false" and "0" mean no. */
    x->chroot = ch && *ch && !(actions_parse_bool(ch, &b) == 0 && !b);
    if (!x->disk || !*x->disk)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cexec needs BLOCK_DEVICE");
    if (!x->cmdline || !*x->cmdline)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cexec needs CMD_LINE");
    return 1;
}

/* The commands to run, each a NULL-terminated argv; n set. */
static int build_commands(const struct cx *x, char ****ret, size_t *ret_n)
{
    _cleanup_(actions_strv_freep) char **lines = NULL;
    size_t n = 0;
    int r;
    if (x->interpreter && *x->interpreter) {
        lines = calloc(2, sizeof(char *));
        if (!lines || !(lines[0] = strdup(x->cmdline)))
            return -ENOMEM;
        n = 1;
    } else {
        r = actions_split(x->cmdline, ";", &lines, &n);
        if (r < 0)
            return r;
    }
    char ***cmds = calloc(n + 1, sizeof(char **));
    if (!cmds)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t words = 0;
        r = actions_split(x->interpreter && *x->interpreter ? x->interpreter : lines[i], " \t",
                          &cmds[i], &words);
        if (r >= 0 && x->interpreter && *x->interpreter) {
            /* interpreter words + the whole CMD_LINE as one argument */
            char **v = realloc(cmds[i], (words + 2) * sizeof(char *));
            if (!v) {
                r = -ENOMEM;
            } else {
                cmds[i] = v;
                v[words] = TAKE_PTR(lines[i]);
                v[words + 1] = NULL;
                words++;
            }
        }
        if (r < 0 || words == 0) {
            for (size_t j = 0; j <= i; j++)
                actions_strv_free(cmds[j]);
            free(cmds);
            return r < 0 ? r : -EINVAL;
        }
    }
    *ret = cmds;
    *ret_n = n;
    return 0;
}

static void free_commands(char ***cmds)
{
    if (!cmds)
        return;
    for (char ***p = cmds; *p; p++)
        actions_strv_free(*p);
    free(cmds);
}

static int
run_commands(struct actions_ctx *c, const struct cx *x, const char *root, char ***cmds, size_t n)
{
    _cleanup_(actions_strv_freep) char **env = NULL;
    int r = actions_ctx_child_env(c, &env);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        _cleanup_(actions_proc_result_done) struct actions_proc_result res = {0};
        r = actions_proc_run(
                &(struct actions_proc_opts){.argv = cmds[i],
                                            .envp = env,
                                            .root = x->chroot ? root : NULL,
                                            .cwd = x->chroot ? "/" : root,
                                            .deadline_usec = c->deadline_usec,
                                            .cancel_fd = c->cancel_fd,
                                            .tail = c->o.output_tail,
                                            .kill_grace_ms = c->o.kill_grace_ms,
                                            .progress_interval_ms = c->o.progress_interval_ms,
                                            .progress = c->progress,
                                            .userdata = c->userdata},
                &res);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cannot start %s: %s", cmds[i][0],
                                   strerror(-r));
        _cleanup_free_ char *label = NULL;
        if (asprintf(&label, "cexec command %zu of %zu \"%.200s\"%s", i + 1, n, cmds[i][0],
                     x->chroot ? " (chroot)" : "") < 0)
            return -ENOMEM;
        r = actions_ctx_set_from_proc(c, label, &res);
        if (r < 0 || c->state != AGENTPROTO_STATE_SUCCESS)
            return r;
    }
    return 0;
}

int actions_cexec_run(struct actions_ctx *c)
{
    struct cx x = {0};
    int r = parse_opts(c, &x);
    if (r <= 0)
        return r;
    char ***cmds = NULL;
    size_t n = 0;
    r = build_commands(&x, &cmds, &n);
    if (r == -EINVAL || (r == 0 && n == 0)) {
        free_commands(cmds);
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "CMD_LINE holds no command");
    }
    if (r < 0)
        return r;
    struct buf err = BUF_INIT(4096);
    struct actions_mount m = ACTIONS_MOUNT_INIT;
    r = actions_mount_open(x.disk, x.fstype, c->o.work_dir, &m, &err);
    if (r >= 0 && x.chroot)
        r = actions_mount_special(&m, &err);
    if (r >= 0)
        r = run_commands(c, &x, m.root, cmds, n);
    else if (r != -ENOMEM)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cexec: %s", buf_str(&err));
    int k = actions_mount_close(&m);
    if (r >= 0 && k < 0 && c->state == AGENTPROTO_STATE_SUCCESS)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cexec: unmounting %s: %s", x.disk,
                            strerror(-k));
    buf_free(&err);
    free_commands(cmds);
    return r;
}
