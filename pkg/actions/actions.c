/* SPDX-License-Identifier: Apache-2.0 */
/*
 * actions_run(): validate what every executor relies on, pick the executor
 * by image, and turn its outcome into a result.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

#define DEFAULT_TAIL        4096
#define DEFAULT_INTERVAL_MS 1000
#define DEFAULT_GRACE_MS    5000
#define DEFAULT_TIMEOUT     3600 /* what the legacy tink-worker used for timeout 0 */
#define DEFAULT_PATH        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Room for the largest message before it is cut: two tails at three bytes
 * per input byte (U+FFFD) plus the header lines. */
#define MSG_BUF_MAX (4u * AGENTPROTO_MESSAGE_MAX + 4096u)

static const char *const after_names[_ACTIONS_AFTER_MAX] = {
        [ACTIONS_AFTER_NOTHING] = "nothing",
        [ACTIONS_AFTER_REBOOT] = "reboot",
        [ACTIONS_AFTER_POWEROFF] = "poweroff",
        [ACTIONS_AFTER_KEXEC] = "kexec",
};

const char *actions_after_to_string(enum actions_after a)
{
    if (a < 0 || a >= _ACTIONS_AFTER_MAX)
        return NULL;
    return after_names[a];
}

int actions_ctx_set(struct actions_ctx *c, enum agentproto_state state, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    c->state = state;
    buf_reset(&c->msg);
    int r = actions_text_append(&c->msg, text, (size_t)n);
    return r == -E2BIG ? 0 : r; /* an over-long message stays cut (empty) */
}

const char *actions_ctx_env(const struct actions_ctx *c, const char *name)
{
    return actions_env_get(&c->a->environment, name);
}

bool actions_ctx_cancelled(const struct actions_ctx *c)
{
    if (c->cancel_fd < 0)
        return false;
    struct pollfd p = {.fd = c->cancel_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

void actions_ctx_progress(struct actions_ctx *c, bool force, const char *fmt, ...)
{
    if (!c->progress)
        return;
    uint64_t now = actions_now_usec();
    if (!force && now < c->last_progress_usec + (uint64_t)c->o.progress_interval_ms * 1000u)
        return;
    c->last_progress_usec = now;
    _cleanup_free_ char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    struct buf b = BUF_INIT(4096);
    if (actions_text_append(&b, text, (size_t)n) == 0)
        c->progress(buf_str(&b), c->userdata);
    buf_free(&b);
}

int actions_ctx_child_env(const struct actions_ctx *c, char ***ret)
{
    const struct agentproto_strv *env = &c->a->environment;
    bool has_path = actions_ctx_env(c, "PATH") != NULL;
    _cleanup_(actions_strv_freep) char **v = calloc(env->n + 2, sizeof(char *));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < env->n; i++) {
        v[k] = strdup(env->v[i]);
        if (!v[k])
            return -ENOMEM;
        k++;
    }
    if (!has_path) {
        const char *p = c->o.search_path ? c->o.search_path : getenv("PATH");
        if (asprintf(&v[k], "PATH=%s", p && *p ? p : DEFAULT_PATH) < 0) {
            v[k] = NULL;
            return -ENOMEM;
        }
    }
    *ret = TAKE_PTR(v);
    return 0;
}

static int append_tail(struct buf *b, const char *name, const struct actions_tail *t)
{
    if (t->total == 0)
        return 0;
    int r = buf_printf(b, "\n--- %s ---\n", name);
    if (r < 0)
        return r;
    return actions_tail_render(t, b);
}

int actions_ctx_set_from_proc(struct actions_ctx *c,
                              const char *label,
                              const struct actions_proc_result *r)
{
    int k;
    if (r->exec_errno)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s cannot run: %s", label,
                               strerror(r->exec_errno));
    if (r->cancelled)
        k = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cancelled; %s process group killed",
                            label);
    else if (r->timed_out)
        k = actions_ctx_set(c, AGENTPROTO_STATE_TIMEOUT,
                            "timed out after %.1f s; %s process group killed", r->seconds, label);
    else if (r->exited && r->exit_code == 0)
        k = actions_ctx_set(c, AGENTPROTO_STATE_SUCCESS, "%s exited 0 after %.1f s", label,
                            r->seconds);
    else if (r->exited)
        k = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s exited with status %d after %.1f s",
                            label, r->exit_code, r->seconds);
    else
        k = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s killed by signal %d (%s)", label,
                            r->signal, strsignal(r->signal));
    if (k < 0)
        return k;
    k = append_tail(&c->msg, "stdout", &r->out);
    if (k >= 0)
        k = append_tail(&c->msg, "stderr", &r->err);
    return k == -E2BIG ? 0 : k;
}

static void ctx_done(struct actions_ctx *c)
{
    buf_free(&c->msg);
    free(c->kexec_kernel);
    free(c->kexec_initrd);
    free(c->kexec_cmdline);
}

static void fill_defaults(struct actions_opts *o)
{
    if (!o->work_dir || !*o->work_dir)
        o->work_dir = "/tmp";
    if (o->output_tail == 0)
        o->output_tail = DEFAULT_TAIL;
    o->output_tail = MIN(o->output_tail, (size_t)AGENTPROTO_MESSAGE_MAX / 2);
    if (o->progress_interval_ms == 0)
        o->progress_interval_ms = DEFAULT_INTERVAL_MS;
    if (o->kill_grace_ms == 0)
        o->kill_grace_ms = DEFAULT_GRACE_MS;
    if (o->default_timeout <= 0)
        o->default_timeout = DEFAULT_TIMEOUT;
}

/* Checks shared by every executor; 1 when the action may run. */
static int check_action(struct actions_ctx *c, enum actions_kind *ret_kind)
{
    const struct agentproto_action *a = c->a;
    size_t bad = 0;
    int r = actions_image_kind(a->image, ret_kind);
    if (r == -ENOENT)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "image %s names no anvil built-in (exec, image2disk, writefile, "
                               "cexec, reboot, poweroff, kexec)",
                               a->image);
    if (r < 0)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "image reference %s%.200s%s is invalid",
                               a->image ? "\"" : "", a->image ? a->image : "(none)",
                               a->image ? "\"" : "");
    if ((a->environment.n && !a->environment.v) || (a->command.n && !a->command.v) ||
        (a->volumes.n && !a->volumes.v))
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "action lists are malformed");
    if (actions_env_check(&a->environment, &bad) < 0)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "environment entry %zu is not NAME=VALUE", bad);
    for (size_t i = 0; i < a->command.n; i++)
        if (!a->command.v[i])
            return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "command entry %zu is null", i);
    for (size_t i = 0; i < a->volumes.n; i++)
        if (!a->volumes.v[i] || !*a->volumes.v[i])
            return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "volume entry %zu is empty", i);
    if (a->timeout < 0 || a->timeout > AGENTPROTO_TIMEOUT_MAX)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "timeout %" PRId64 " is out of range",
                               a->timeout);
    return 1;
}

static int dispatch(struct actions_ctx *c, enum actions_kind kind)
{
    switch (kind) {
    case ACTIONS_KIND_EXEC:
        return actions_exec_run(c);
    case ACTIONS_KIND_IMAGE2DISK:
        return actions_image2disk_run(c);
    case ACTIONS_KIND_WRITEFILE:
        return actions_writefile_run(c);
    case ACTIONS_KIND_CEXEC:
        return actions_cexec_run(c);
    case ACTIONS_KIND_REBOOT:
        return actions_reboot_run(c, ACTIONS_AFTER_REBOOT);
    case ACTIONS_KIND_POWEROFF:
        return actions_reboot_run(c, ACTIONS_AFTER_POWEROFF);
    case ACTIONS_KIND_KEXEC:
        return actions_kexec_run(c);
    case ACTIONS_KIND_OCI:
        return actions_oci_run(c);
    default:
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "no executor");
    }
}

int actions_run(const struct agentproto_action *a,
                const struct actions_opts *o,
                int cancel_fd,
                actions_progress_fn progress,
                void *userdata,
                struct actions_result *ret)
{
    assert_return(a && ret, -EINVAL);
    _cleanup_(ctx_done) struct actions_ctx c = {
            .a = a,
            .o = o ? *o : (struct actions_opts){0},
            .cancel_fd = cancel_fd,
            .progress = progress,
            .userdata = userdata,
            .state = AGENTPROTO_STATE_FAILED,
            .msg = BUF_INIT(MSG_BUF_MAX),
    };
    fill_defaults(&c.o);
    c.start_usec = actions_now_usec();
    int64_t timeout = a->timeout > 0 ? a->timeout : c.o.default_timeout;
    c.deadline_usec =
            c.start_usec + (uint64_t)MIN(timeout, (int64_t)AGENTPROTO_TIMEOUT_MAX) * 1000000u;

    enum actions_kind kind = _ACTIONS_KIND_INVALID;
    int r = check_action(&c, &kind);
    if (r > 0) {
        if (actions_ctx_cancelled(&c))
            r = actions_ctx_set(&c, AGENTPROTO_STATE_FAILED, "cancelled before it started");
        else
            r = dispatch(&c, kind);
    }
    if (r < 0)
        return r;
    if (c.state != AGENTPROTO_STATE_SUCCESS && c.state != AGENTPROTO_STATE_TIMEOUT)
        c.state = AGENTPROTO_STATE_FAILED;
    if (c.msg.len == 0 && buf_append_str(&c.msg, agentproto_state_to_string(c.state)) < 0)
        return -ENOMEM;

    char *message = NULL;
    r = actions_text_take_message(&c.msg, &message);
    if (r < 0)
        return r;
    *ret = (struct actions_result){
            .state = c.state,
            .message = message,
            .after = c.state == AGENTPROTO_STATE_SUCCESS ? c.after : ACTIONS_AFTER_NOTHING,
            .kexec_kernel = TAKE_PTR(c.kexec_kernel),
            .kexec_initrd = TAKE_PTR(c.kexec_initrd),
            .kexec_cmdline = TAKE_PTR(c.kexec_cmdline),
    };
    return 0;
}

void actions_result_done(struct actions_result *r)
{
    if (!r)
        return;
    free(r->message);
    free(r->kexec_kernel);
    free(r->kexec_initrd);
    free(r->kexec_cmdline);
    *r = (struct actions_result){0};
}
