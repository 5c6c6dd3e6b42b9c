/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One child process in its own process group, watched with poll(2): its
 * stdout and stderr pipes, a pidfd for its exit (waitpid polling on kernels
 * without pidfd_open), the caller's cancel descriptor and the deadline.
 * Only the group is ever signalled, and only the child's own pid is
 * reaped, so other children of the worker are left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actions/actions-internal.h"

#define DRAIN_USEC     1000000u /* how long to read pipes after the exit */
#define POLL_FALLBACK  50       /* ms between waitpid() checks without pidfd */
#define LINE_MAX_BYTES 240      /* progress line */
#define DEFAULT_PATHS  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum child_stage { STAGE_SETUP = 1, STAGE_CHROOT, STAGE_CHDIR, STAGE_EXEC };

struct child_report {
    int stage;
    int err;
};

struct child_args {
    char *const *candidates; /* paths to try, NULL-terminated */
    char *const *argv;
    char *const *envp;
    const char *root, *cwd;
    int null_fd, out_fd, err_fd, report_fd;
};

static _Noreturn void child_fail(int report_fd, int stage, int err)
{
    struct child_report rep = {.stage = stage, .err = err};
    ssize_t n = write(report_fd, &rep, sizeof(rep));
    (void)n;
    _exit(127);
}

/* Runs in the forked child: async-signal-safe calls only. */
static _Noreturn void child_main(const struct child_args *ca)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigset_t none;
    for (int s = 1; s < 65; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)sigaction(s, &sa, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    (void)setpgid(0, 0);

    /* Move the three sources above 2 first so no dup2 clobbers another. */
    int src[3] = {ca->null_fd, ca->out_fd, ca->err_fd};
    for (int i = 0; i < 3; i++) {
        src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
        if (src[i] < 0)
            child_fail(ca->report_fd, STAGE_SETUP, errno);
    }
    for (int i = 0; i < 3; i++)
        if (dup2(src[i], i) < 0)
            child_fail(ca->report_fd, STAGE_SETUP, errno);
    /* Nothing else of the worker's leaks into the action. */
    (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

    if (ca->root && (chroot(ca->root) < 0 || chdir("/") < 0))
        child_fail(ca->report_fd, STAGE_CHROOT, errno);
    if (ca->cwd && chdir(ca->cwd) < 0)
        child_fail(ca->report_fd, STAGE_CHDIR, errno);

    int err = ENOENT;
    for (char *const *c = ca->candidates; *c; c++) {
        (void)execve(*c, ca->argv, ca->envp);
        if (errno != ENOENT && errno != ENOTDIR)
            err = errno; /* e.g. EACCES: keep it, as execvp does, but go on */
    }
    child_fail(ca->report_fd, STAGE_EXEC, err);
}

/* The PATH entries of envp (or the default), joined with name; just name
 * when it holds a '/'. */
static int program_candidates(const char *name, char *const *envp, char ***ret)
{
    const char *path = NULL;
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    if (strchr(name, '/')) {
        _cleanup_(actions_strv_freep) char **v = calloc(2, sizeof(char *));
        if (!v || !(v[0] = strdup(name)))
            return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
    }
    _cleanup_(actions_strv_freep) char **dirs = NULL;
    size_t n = 0;
    int r = actions_split(path ? path : DEFAULT_PATHS, ":", &dirs, &n);
    if (r < 0)
        return r;
    _cleanup_(actions_strv_freep) char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (asprintf(&v[i], "%s/%s", dirs[i], name) < 0) {
            v[i] = NULL;
            return -ENOMEM;
        }
    *ret = TAKE_PTR(v);
    return 0;
}

int actions_find_program(const char *name, const char *path, char **ret)
{
    assert_return(name && ret, -EINVAL);
    if (!*name)
        return -ENOENT;
    _cleanup_free_ char *env_path = NULL;
    if (asprintf(&env_path, "PATH=%s", path ? path : DEFAULT_PATHS) < 0)
        return -ENOMEM;
    char *envp[] = {env_path, NULL};
    _cleanup_(actions_strv_freep) char **cands = NULL;
    int r = program_candidates(name, envp, &cands);
    if (r < 0)
        return r;
    for (char **c = cands; *c; c++) {
        struct stat st;
        if (stat(*c, &st) == 0 && S_ISREG(st.st_mode) && access(*c, X_OK) == 0) {
            char *p = strdup(*c);
            if (!p)
                return -ENOMEM;
            *ret = p;
            return 0;
        }
    }
    return -ENOENT;
}

/* The parent's view of a running child. */
struct watch {
    const struct actions_proc_opts *o;
    struct actions_proc_result *res;
    pid_t pid;
    int out_fd, err_fd, pid_fd;
    bool exited, killing, cancel_seen;
    uint64_t kill_at, drain_until, last_progress;
    char cur[LINE_MAX_BYTES], last[LINE_MAX_BYTES];
    size_t cur_len, last_len;
    bool line_new;
};

static void watch_line(struct watch *w, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r') {
            if (w->cur_len > 0) {
                memcpy(w->last, w->cur, w->cur_len);
                w->last_len = w->cur_len;
                w->line_new = true;
            }
            w->cur_len = 0;
        } else if (w->cur_len < sizeof(w->cur)) {
            w->cur[w->cur_len++] = p[i];
        }
    }
}

static void watch_progress(struct watch *w, uint64_t now)
{
    if (!w->o->progress || !w->line_new ||
        now < w->last_progress + (uint64_t)w->o->progress_interval_ms * 1000u)
        return;
    struct buf b = BUF_INIT(4 * LINE_MAX_BYTES);
    if (actions_text_append(&b, w->last, w->last_len) == 0)
        w->o->progress(buf_str(&b), w->o->userdata);
    buf_free(&b);
    w->line_new = false;
    w->last_progress = now;
}

/* Reads what is there; closes the fd at EOF or error. */
static void watch_read(struct watch *w, int *fd, struct actions_tail *t)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        (void)close(*fd);
        *fd = -1;
        return;
    }
    actions_tail_append(t, chunk, (size_t)n);
    watch_line(w, chunk, (size_t)n);
}

static void watch_start_kill(struct watch *w, uint64_t now)
{
    if (w->killing)
        return;
    w->killing = true;
    (void)kill(-w->pid, SIGTERM);
    w->kill_at = now + (uint64_t)w->o->kill_grace_ms * 1000u;
}

static void watch_reap(struct watch *w, uint64_t now)
{
    int status;
    pid_t p = waitpid(w->pid, &status, WNOHANG);
    if (p != w->pid)
        return;
    w->exited = true;
    if (WIFEXITED(status)) {
        w->res->exited = true;
        w->res->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        w->res->signal = WTERMSIG(status);
    }
    /* A container's processes end with its main process; so do ours. */
    (void)kill(-w->pid, SIGKILL);
    w->drain_until = now + DRAIN_USEC;
}

static int watch_timeout_ms(const struct watch *w, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    if (!w->exited && !w->killing && w->o->deadline_usec)
        next = w->o->deadline_usec;
    if (!w->exited && w->killing)
        next = MIN(next, w->kill_at);
    if (w->exited)
        next = MIN(next, w->drain_until);
    if (w->o->progress && w->line_new)
        next = MIN(next, w->last_progress + (uint64_t)w->o->progress_interval_ms * 1000u);
    int ms = -1;
    if (next != UINT64_MAX)
        ms = next <= now ? 0 : (int)MIN((next - now + 999) / 1000, (uint64_t)INT_MAX);
    if (!w->exited && w->pid_fd < 0 && (ms < 0 || ms > POLL_FALLBACK))
        ms = POLL_FALLBACK;
    return ms;
}

static void watch_loop(struct watch *w)
{
    for (;;) {
        uint64_t now = actions_now_usec();
        if (w->exited && ((w->out_fd < 0 && w->err_fd < 0) || now >= w->drain_until))
            return;
        struct pollfd p[4];
        int idx_out = -1, idx_err = -1, idx_pid = -1, idx_cancel = -1;
        nfds_t n = 0;
        if (w->out_fd >= 0) {
            idx_out = (int)n;
            p[n++] = (struct pollfd){.fd = w->out_fd, .events = POLLIN};
        }
        if (w->err_fd >= 0) {
            idx_err = (int)n;
            p[n++] = (struct pollfd){.fd = w->err_fd, .events = POLLIN};
        }
        if (!w->exited && w->pid_fd >= 0) {
            idx_pid = (int)n;
            p[n++] = (struct pollfd){.fd = w->pid_fd, .events = POLLIN};
        }
        if (!w->exited && !w->cancel_seen && w->o->cancel_fd >= 0) {
            idx_cancel = (int)n;
            p[n++] = (struct pollfd){.fd = w->o->cancel_fd, .events = POLLIN};
        }
        int k = poll(p, n, watch_timeout_ms(w, now));
        if (k < 0 && errno != EINTR)
            k = 0; /* treat like a timeout: the clocks below still move us on */
        now = actions_now_usec();
        if (k > 0 && idx_out >= 0 && p[idx_out].revents)
            watch_read(w, &w->out_fd, &w->res->out);
        if (k > 0 && idx_err >= 0 && p[idx_err].revents)
            watch_read(w, &w->err_fd, &w->res->err);
        if (k > 0 && idx_cancel >= 0 && p[idx_cancel].revents) {
            w->cancel_seen = true;
            w->res->cancelled = !w->res->timed_out;
            watch_start_kill(w, now);
        }
        if (!w->exited && (w->pid_fd < 0 || (idx_pid >= 0 && p[idx_pid].revents)))
            watch_reap(w, now);
        if (!w->exited && !w->killing && w->o->deadline_usec && now >= w->o->deadline_usec) {
            w->res->timed_out = !w->res->cancelled;
            watch_start_kill(w, now);
        }
        if (!w->exited && w->killing && now >= w->kill_at) {
            (void)kill(-w->pid, SIGKILL);
            w->kill_at = UINT64_MAX;
        }
        watch_progress(w, now);
    }
}

void actions_proc_result_done(struct actions_proc_result *r)
{
    if (!r)
        return;
    actions_tail_done(&r->out);
    actions_tail_done(&r->err);
    *r = (struct actions_proc_result){0};
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) {
            (void)close(fds[i]);
            fds[i] = -1;
        }
}

/* After fork: the exec outcome from the report pipe (0: the exec worked). */
static int read_report(int fd, struct child_report *rep)
{
    for (;;) {
        ssize_t n = read(fd, rep, sizeof(*rep));
        if (n < 0 && errno == EINTR)
            continue;
        return n == (ssize_t)sizeof(*rep) ? 1 : 0;
    }
}

/* Forks the child; returns its pid with the read ends of its stdout,
 * stderr and report pipes in fds. */
static int spawn(const struct actions_proc_opts *o, char **cands, pid_t *ret_pid, int ret_fds[3])
{
    /* out[2], err[2], report[2], null */
    int fds[7] = {-1, -1, -1, -1, -1, -1, -1};
    int r = 0;
    if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(fds + 2, O_CLOEXEC) < 0 || pipe2(fds + 4, O_CLOEXEC) < 0)
        r = -errno;
    if (r == 0) {
        fds[6] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fds[6] < 0)
            r = -errno;
    }
    if (r < 0) {
        close_all(fds, ARRAY_SIZE(fds));
        return r;
    }
    struct child_args ca = {.candidates = cands,
                            .argv = o->argv,
                            .envp = o->envp,
                            .root = o->root,
                            .cwd = o->cwd,
                            .null_fd = fds[6],
                            .out_fd = fds[1],
                            .err_fd = fds[3],
                            .report_fd = fds[5]};
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        close_all(fds, ARRAY_SIZE(fds));
        return r;
    }
    if (pid == 0)
        child_main(&ca);
    (void)setpgid(pid, pid); /* both sides, so no signal can miss the group */
    ret_fds[0] = fds[0];
    ret_fds[1] = fds[2];
    ret_fds[2] = fds[4];
    fds[0] = fds[2] = fds[4] = -1;
    close_all(fds, ARRAY_SIZE(fds));
    *ret_pid = pid;
    return 0;
}

int actions_proc_run(const struct actions_proc_opts *o, struct actions_proc_result *ret)
{
    assert_return(o && ret && o->argv && o->argv[0] && o->envp, -EINVAL);
    _cleanup_(actions_proc_result_done) struct actions_proc_result res = {0};
    _cleanup_(actions_strv_freep) char **cands = NULL;
    int r = program_candidates(o->argv[0], o->envp, &cands);
    if (r < 0)
        return r;
    if (actions_tail_init(&res.out, o->tail) < 0 || actions_tail_init(&res.err, o->tail) < 0)
        return -ENOMEM;
    uint64_t start = actions_now_usec();
    pid_t pid = -1;
    int keep[3] = {-1, -1, -1};
    r = spawn(o, cands, &pid, keep);
    if (r < 0)
        return r;

    struct child_report rep;
    bool failed = read_report(keep[2], &rep) > 0;
    (void)close(keep[2]);
    if (failed) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        (void)close(keep[0]);
        (void)close(keep[1]);
        res.exec_errno = rep.err > 0 ? rep.err : EIO;
    } else {
        if (o->progress) {
            char line[64];
            snprintf(line, sizeof(line), "started pid %d", (int)pid);
            o->progress(line, o->userdata);
        }
        struct watch w = {.o = o,
                          .res = &res,
                          .pid = pid,
                          .out_fd = keep[0],
                          .err_fd = keep[1],
                          .pid_fd = pidfd_open(pid, 0),
                          .last_progress = actions_now_usec()};
        (void)fcntl(w.out_fd, F_SETFL, O_NONBLOCK);
        (void)fcntl(w.err_fd, F_SETFL, O_NONBLOCK);
        watch_loop(&w);
        int left[3] = {w.out_fd, w.err_fd, w.pid_fd};
        close_all(left, ARRAY_SIZE(left));
    }
    res.seconds = (double)(actions_now_usec() - start) / 1e6;
    *ret = res;
    res = (struct actions_proc_result){0};
    return 0;
}
