/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images that are not built-ins run in a container, the way upstream's
 * agent runs every action: privileged, the action's environment and
 * volumes (binds), host PID/network namespaces when asked, `command` as
 * the container's command (the image's entrypoint kept), removed when it
 * ends. The docker CLI (or containerd's ctr) is driven as a child process
 * under the same timeout and cancellation as anvil/exec; on either the
 * container itself is removed too, since killing the client does not stop
 * it.
 *
 * With docker, values travel in the client's environment ("--env NAME"),
 * not on its command line, so secrets resolved by the gateway do not show
 * up in the process list.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

#define NAME_MAX_BYTES 128
#define CTR_NAMESPACE  "tinkerbell" /* the namespace upstream's agent uses */
#define CLEANUP_USEC   30000000u

/* Worker variables the docker client itself needs. */
static const char *const passthrough[] = {
        "HOME",
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CONTEXT",
        "XDG_RUNTIME_DIR",
        "CONTAINERD_ADDRESS",
        "CONTAINERD_NAMESPACE",
};

static bool is_ctr(const char *program)
{
    const char *base = strrchr(program, '/');
    base = base ? base + 1 : program;
    return strcmp(base, "ctr") == 0;
}

int actions_oci_name(const struct agentproto_action *a, char **ret)
{
    assert_return(a && ret, -EINVAL);
    struct buf b = BUF_INIT(4 * NAME_MAX_BYTES);
    int r = buf_printf(&b, "anvil_%.60s_%.60s", a->name ? a->name : "",
                       a->action_id ? a->action_id : "");
    if (r < 0)
        return r == -E2BIG ? -EINVAL : r;
    for (size_t i = 0; i < b.len; i++) {
        char ch = b.data[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            b.data[i] = '_';
    }
    *ret = buf_take(&b, NULL);
    return *ret ? 0 : -ENOMEM;
}

struct argv_builder {
    char **v;
    size_t n, cap;
    int error;
};

static void add(struct argv_builder *ab, const char *s)
{
    if (ab->error)
        return;
    if (ab->n + 2 > ab->cap) {
        size_t cap = ab->cap ? ab->cap * 2 : 32;
        char **v = realloc(ab->v, cap * sizeof(char *));
        if (!v) {
            ab->error = -ENOMEM;
            return;
        }
        ab->v = v;
        ab->cap = cap;
    }
    ab->v[ab->n] = strdup(s);
    if (!ab->v[ab->n]) {
        ab->error = -ENOMEM;
        return;
    }
    ab->v[++ab->n] = NULL;
}

_printf_(2, 3) static void addf(struct argv_builder *ab, const char *fmt, ...)
{
    if (ab->error)
        return;
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ab->error = -ENOMEM;
        return;
    }
    add(ab, s);
    free(s);
}

/* "src:dst[:opts]" -> a ctr --mount value. */
static int ctr_mount(struct argv_builder *ab, const char *vol, struct buf *err)
{
    const char *c1 = strchr(vol, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    size_t sl = c1 ? (size_t)(c1 - vol) : strlen(vol);
    const char *dst = c1 ? c1 + 1 : vol;
    size_t dl = c2 ? (size_t)(c2 - dst) : strlen(dst);
    const char *opt = c2 ? c2 + 1 : "rw";
    if (!c1 || sl == 0 || dl == 0 || vol[0] != '/' || dst[0] != '/' || strchr(opt, ':') ||
        strchr(vol, ',') || (strcmp(opt, "ro") != 0 && strcmp(opt, "rw") != 0)) {
        (void)buf_printf(err, "volume \"%.200s\" is not SRC:DST[:ro|rw] with absolute paths", vol);
        return -EINVAL;
    }
    add(ab, "--mount");
    addf(ab, "type=bind,src=%.*s,dst=%.*s,options=rbind:%s", (int)sl, vol, (int)dl, dst, opt);
    return 0;
}

static int
build_docker(struct argv_builder *ab, const struct agentproto_action *a, const char *name)
{
    add(ab, "run");
    add(ab, "--rm");
    add(ab, "--privileged");
    add(ab, "--name");
    add(ab, name);
    for (size_t i = 0; i < a->environment.n; i++) {
        const char *e = a->environment.v[i];
        addf(ab, "--env=%.*s", (int)strcspn(e, "="), e);
    }
    for (size_t i = 0; i < a->volumes.n; i++)
        addf(ab, "--volume=%s", a->volumes.v[i]);
    const char *pid = a->namespace_pid ? a->namespace_pid : a->pid;
    if (pid && *pid)
        addf(ab, "--pid=%s", pid);
    if (a->namespace_network && *a->namespace_network)
        addf(ab, "--network=%s", a->namespace_network);
    add(ab, a->image);
    for (size_t i = 0; i < a->command.n; i++)
        add(ab, a->command.v[i]);
    return 0;
}

static int build_ctr(struct argv_builder *ab,
                     const struct agentproto_action *a,
                     const char *name,
                     struct buf *err)
{
    add(ab, "--namespace");
    add(ab, CTR_NAMESPACE);
    add(ab, "run");
    add(ab, "--rm");
    add(ab, "--privileged");
    const char *pid = a->namespace_pid ? a->namespace_pid : a->pid;
    if (pid && strcmp(pid, "host") == 0) {
        add(ab, "--with-ns");
        add(ab, "pid:/proc/1/ns/pid");
    }
    if (a->namespace_network && strcmp(a->namespace_network, "host") == 0)
        add(ab, "--net-host");
    for (size_t i = 0; i < a->environment.n; i++) {
        add(ab, "--env");
        add(ab, a->environment.v[i]);
    }
    for (size_t i = 0; i < a->volumes.n; i++) {
        int r = ctr_mount(ab, a->volumes.v[i], err);
        if (r < 0)
            return r;
    }
    add(ab, a->image);
    add(ab, name);
    for (size_t i = 0; i < a->command.n; i++)
        add(ab, a->command.v[i]);
    return 0;
}

int actions_oci_argv(const struct agentproto_action *a,
                     const char *program,
                     const char *name,
                     char ***ret,
                     struct buf *err)
{
    assert_return(a && a->image && program && name && ret && err, -EINVAL);
    struct argv_builder ab = {0};
    add(&ab, program);
    int r = is_ctr(program) ? build_ctr(&ab, a, name, err) : build_docker(&ab, a, name);
    if (r >= 0)
        r = ab.error;
    if (r < 0) {
        if (ab.v)
            ab.v[ab.n] = NULL;
        actions_strv_free(ab.v);
        return r;
    }
    *ret = ab.v;
    return 0;
}

/* The client's environment: the action's variables, then the worker's own
 * client settings the action did not set, then PATH. */
static int client_env(struct actions_ctx *c, char ***ret)
{
    _cleanup_(actions_strv_freep) char **env = NULL;
    int r = actions_ctx_child_env(c, &env);
    if (r < 0)
        return r;
    size_t n = 0;
    while (env[n])
        n++;
    char **v = realloc(env, (n + ARRAY_SIZE(passthrough) + 1) * sizeof(char *));
    if (!v)
        return -ENOMEM;
    env = v;
    for (size_t i = 0; i < ARRAY_SIZE(passthrough); i++) {
        const char *val = getenv(passthrough[i]);
        env[n] = NULL;
        if (!val || actions_ctx_env(c, passthrough[i]))
            continue;
        if (asprintf(&env[n], "%s=%s", passthrough[i], val) < 0) {
            env[n] = NULL;
            return -ENOMEM;
        }
        n++;
    }
    env[n] = NULL;
    *ret = TAKE_PTR(env);
    return 0;
}

static int find_runtime(struct actions_ctx *c, char **ret)
{
    const char *path = c->o.search_path ? c->o.search_path : getenv("PATH");
    if (c->o.docker) {
        int r = actions_find_program(c->o.docker, path, ret);
        if (r == -ENOENT)
            return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                                   "image %s needs a container runtime; %s not found", c->a->image,
                                   c->o.docker);
        return r < 0 ? r : 1;
    }
    static const char *const names[] = {"docker", "ctr"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        int r = actions_find_program(names[i], path, ret);
        if (r != -ENOENT)
            return r < 0 ? r : 1;
    }
    return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "image %s needs docker or ctr, none found",
                           c->a->image);
}

/* Runs a runtime housekeeping command (pull, remove), ignoring its result. */
static void run_quiet(char **env, const char *program, const char *const *args)
{
    char *argv[8] = {(char *)program};
    for (size_t i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
        argv[i + 1] = (char *)args[i];
    struct actions_proc_result res = {0};
    if (actions_proc_run(
                &(struct actions_proc_opts){.argv = argv,
                                            .envp = env,
                                            .cancel_fd = -1,
                                            .deadline_usec = actions_now_usec() + CLEANUP_USEC,
                                            .kill_grace_ms = 1000,
                                            .progress_interval_ms = 1000},
                &res) == 0)
        actions_proc_result_done(&res);
}

static void remove_container(char **env, const char *program, const char *name)
{
    if (is_ctr(program)) {
        run_quiet(env, program,
                  (const char *const[]){"--namespace", CTR_NAMESPACE, "task", "kill", "--signal",
                                        "SIGKILL", name, NULL});
        run_quiet(env, program,
                  (const char *const[]){"--namespace", CTR_NAMESPACE, "containers", "rm", name,
                                        NULL});
    } else {
        run_quiet(env, program, (const char *const[]){"rm", "--force", name, NULL});
    }
}

int actions_oci_run(struct actions_ctx *c)
{
    _cleanup_free_ char *program = NULL, *name = NULL;
    int r = find_runtime(c, &program);
    if (r <= 0)
        return r;
    r = actions_oci_name(c->a, &name);
    if (r < 0)
        return r;
    struct buf err = BUF_INIT(1024);
    _cleanup_(actions_strv_freep) char **argv = NULL;
    r = actions_oci_argv(c->a, program, name, &argv, &err);
    if (r == -EINVAL)
        r = actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "%s", buf_str(&err));
    buf_free(&err);
    if (r < 0 || !argv)
        return r;
    _cleanup_(actions_strv_freep) char **env = NULL;
    r = client_env(c, &env);
    if (r < 0)
        return r;
    /* A container left by an earlier attempt of this action would block the name. */
    remove_container(env, program, name);
    if (is_ctr(program))
        run_quiet(env, program,
                  (const char *const[]){"--namespace", CTR_NAMESPACE, "images", "pull", c->a->image,
                                        NULL});
    _cleanup_(actions_proc_result_done) struct actions_proc_result res = {0};
    r = actions_proc_run(
            &(struct actions_proc_opts){.argv = argv,
                                        .envp = env,
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
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cannot start %s: %s", program,
                               strerror(-r));
    if (res.timed_out || res.cancelled)
        remove_container(env, program, name);
    _cleanup_free_ char *label = NULL;
    if (asprintf(&label, "%s run of %.200s", is_ctr(program) ? "ctr" : "docker", c->a->image) < 0)
        return -ENOMEM;
    return actions_ctx_set_from_proc(c, label, &res);
}
