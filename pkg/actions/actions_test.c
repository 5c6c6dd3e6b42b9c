/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anvil/exec, dispatch and the OCI delegate with real processes, plus the
 * pure helpers (image mapping, option parsing, message text).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "actions/actions-internal.h"

#define SCRATCH_ROOT "/tmp/task-actions"

static char scratch[256];

static int setup_scratch(void **state)
{
    (void)state;
    (void)mkdir(SCRATCH_ROOT, 0755);
    snprintf(scratch, sizeof(scratch), "%s/core-XXXXXX", SCRATCH_ROOT);
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown_scratch(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

struct capture {
    int progress_calls;
    char last[512];
    int cancel_w; /* written on "started" when >= 0 */
};

static void on_progress(const char *m, void *userdata)
{
    struct capture *cap = userdata;
    cap->progress_calls++;
    snprintf(cap->last, sizeof(cap->last), "%s", m);
    if (cap->cancel_w >= 0 && strncmp(m, "started", 7) == 0)
        assert_int_equal(write(cap->cancel_w, "x", 1), 1);
}

struct spec {
    const char *image;
    const char *cmd[8];
    const char *env[8];
    const char *vol[4];
    int64_t timeout;
};

static size_t count(const char *const *v, size_t max)
{
    size_t n = 0;
    while (n < max && v[n])
        n++;
    return n;
}

static struct agentproto_action make_action(const struct spec *s)
{
    return (struct agentproto_action){
            .workflow_id = "default/wf",
            .task_id = "task",
            .agent_id = "agent",
            .action_id = "a1",
            .name = "step",
            .image = s->image,
            .timeout = s->timeout,
            .command = {.v = s->cmd, .n = count(s->cmd, 8)},
            .environment = {.v = s->env, .n = count(s->env, 8)},
            .volumes = {.v = s->vol, .n = count(s->vol, 4)},
    };
}

static void run_spec(const struct spec *s,
                     const struct actions_opts *o,
                     int cancel_fd,
                     struct capture *cap,
                     struct actions_result *res)
{
    struct agentproto_action a = make_action(s);
    assert_int_equal(actions_run(&a, o, cancel_fd, on_progress, cap, res), 0);
    assert_non_null(res->message);
    assert_true(strlen(res->message) <= AGENTPROTO_MESSAGE_MAX);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" not found in \"%s\"", needle, hay);
}

static void test_exec_outcomes(void **state)
{
    (void)state;
    static const struct {
        struct spec s;
        enum agentproto_state want;
        const char *has[3];
    } cases[] = {
            {{.image = "anvil/exec", .cmd = {"/bin/sh", "-c", "echo hello; echo oops >&2"}},
             AGENTPROTO_STATE_SUCCESS,
             {"exited 0", "--- stdout ---\nhello", "--- stderr ---\noops"}},
            {{.image = "anvil/exec", .cmd = {"sh", "-c", "printf 'line1\\nline2\\n'; exit 3"}},
             AGENTPROTO_STATE_FAILED,
             {"exited with status 3", "line2", "command \"sh\""}},
            {{.image = "anvil/exec",
              .cmd = {"sh", "-c", "echo \"$FOO\" \"$PATH\""},
              .env = {"FOO=bar baz"}},
             AGENTPROTO_STATE_SUCCESS,
             {"bar baz /usr/bin:/bin"}},
            {{.image = "anvil/exec", .cmd = {"sh", "-c", "echo \"$PATH\""}, .env = {"PATH=/bin"}},
             AGENTPROTO_STATE_SUCCESS,
             {"\n/bin\n"}},
            {{.image = "anvil/exec", .cmd = {"sh", "-c", "kill -9 $$"}},
             AGENTPROTO_STATE_FAILED,
             {"killed by signal 9"}},
            {{.image = "anvil/exec", .cmd = {"sh", "-c", "printf 'bad \\377\\000 bytes'"}},
             AGENTPROTO_STATE_SUCCESS,
             {"bad \xef\xbf\xbd\xef\xbf\xbd bytes"}},
            {{.image = "anvil/exec:v1", .cmd = {"true"}}, AGENTPROTO_STATE_SUCCESS, {"exited 0"}},
    };
    struct actions_opts o = {.search_path = "/usr/bin:/bin"};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct capture cap = {.cancel_w = -1};
        struct actions_result res;
        run_spec(&cases[i].s, &o, -1, &cap, &res);
        if (res.state != cases[i].want)
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        for (size_t k = 0; k < 3 && cases[i].has[k]; k++)
            assert_contains(res.message, cases[i].has[k]);
        assert_int_equal(res.after, ACTIONS_AFTER_NOTHING);
        assert_true(cap.progress_calls >= 1); /* "started pid N" */
        actions_result_done(&res);
    }
}

static void test_exec_tail_keeps_the_end(void **state)
{
    (void)state;
    struct spec s = {.image = "anvil/exec", .cmd = {"seq", "1", "20000"}};
    struct actions_opts o = {.output_tail = 16, .search_path = "/usr/bin:/bin"};
    struct capture cap = {.cancel_w = -1};
    struct actions_result res;
    run_spec(&s, &o, -1, &cap, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
    assert_contains(res.message, "bytes not shown]\n");
    assert_contains(res.message, "19999\n20000\n");
    assert_null(strstr(res.message, "19997"));
    actions_result_done(&res);
}

static bool process_gone(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')');
    return close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X');
}

static void test_exec_timeout_kills_the_group(void **state)
{
    (void)state;
    char pidfile[512], script[1024];
    snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid", scratch);
    snprintf(script, sizeof(script), "sleep 1000 & echo $! > %s; sleep 1000", pidfile);
    struct spec s = {.image = "anvil/exec", .cmd = {"sh", "-c", script}, .timeout = 1};
    struct actions_opts o = {.search_path = "/usr/bin:/bin"};
    struct capture cap = {.cancel_w = -1};
    struct actions_result res;
    uint64_t t0 = actions_now_usec();
    run_spec(&s, &o, -1, &cap, &res);
    uint64_t took = actions_now_usec() - t0;
    assert_int_equal(res.state, AGENTPROTO_STATE_TIMEOUT);
    assert_contains(res.message, "timed out");
    assert_true(took >= 1000000u && took < 5000000u);
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    assert_true(pid > 0);
    assert_true(process_gone(pid));
    actions_result_done(&res);
}

static void test_exec_cancel(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct spec s = {.image = "anvil/exec", .cmd = {"sleep", "1000"}};
    struct actions_opts o = {.search_path = "/usr/bin:/bin"};
    struct capture cap = {.cancel_w = p[1]};
    struct actions_result res;
    uint64_t t0 = actions_now_usec();
    run_spec(&s, &o, p[0], &cap, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_contains(res.message, "cancelled");
    assert_true(actions_now_usec() - t0 < 5000000u);
    actions_result_done(&res);

    /* Already readable: nothing starts. */
    cap = (struct capture){.cancel_w = -1};
    run_spec(&s, &o, p[0], &cap, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_contains(res.message, "cancelled before it started");
    assert_int_equal(cap.progress_calls, 0);
    actions_result_done(&res);
    close(p[0]);
    close(p[1]);
}

static void test_exec_bad_input(void **state)
{
    (void)state;
    static char huge[200 * 1024];
    memset(huge, 'x', sizeof(huge) - 1);
    memcpy(huge, "BIG=", 4);
    static const struct {
        struct spec s;
        const char *has;
    } cases[] = {
            {{.image = "anvil/exec"}, "needs a command"},
            {{.image = "anvil/exec", .cmd = {""}}, "needs a command"},
            {{.image = "anvil/exec", .cmd = {"no-such-program-anvil"}},
             "cannot run: No such file or directory"},
            {{.image = "anvil/exec", .cmd = {"/dev/null"}}, "cannot run: Permission denied"},
            {{.image = "anvil/exec", .cmd = {"true"}, .env = {"NOEQUALS"}},
             "environment entry 0 is not NAME=VALUE"},
            {{.image = "anvil/exec", .cmd = {"true"}, .env = {"=value"}}, "environment entry 0"},
            {{.image = "anvil/exec", .cmd = {"true"}, .env = {huge}}, "Argument list too long"},
            {{.image = "", .cmd = {"true"}}, "image reference \"\" is invalid"},
            {{.image = "bad image", .cmd = {"true"}}, "is invalid"},
            {{.image = "-v", .cmd = {"true"}}, "is invalid"},
            {{.image = NULL, .cmd = {"true"}}, "(none) is invalid"},
            {{.image = "anvil/nope", .cmd = {"true"}}, "names no anvil built-in"},
            {{.image = "anvil/exec", .cmd = {"true"}, .timeout = -1}, "timeout -1 is out of range"},
    };
    struct actions_opts o = {.search_path = "/usr/bin:/bin"};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct capture cap = {.cancel_w = -1};
        struct actions_result res;
        run_spec(&cases[i].s, &o, -1, &cap, &res);
        if (res.state != AGENTPROTO_STATE_FAILED)
            fail_msg("case %zu: state %d: %s", i, res.state, res.message);
        assert_contains(res.message, cases[i].has);
        actions_result_done(&res);
    }
    struct actions_result res;
    assert_int_equal(actions_run(NULL, NULL, -1, NULL, NULL, &res), -EINVAL);
    struct agentproto_action a = {.image = "anvil/exec"};
    assert_int_equal(actions_run(&a, NULL, -1, NULL, NULL, NULL), -EINVAL);
}

static void test_image_kind_table(void **state)
{
    (void)state;
    static const struct {
        const char *image;
        int r;
        enum actions_kind kind;
    } cases[] = {
            {"anvil/exec", 0, ACTIONS_KIND_EXEC},
            {"anvil/exec:latest", 0, ACTIONS_KIND_EXEC},
            {"anvil/image2disk", 0, ACTIONS_KIND_IMAGE2DISK},
            {"anvil/writefile", 0, ACTIONS_KIND_WRITEFILE},
            {"anvil/cexec", 0, ACTIONS_KIND_CEXEC},
            {"anvil/reboot", 0, ACTIONS_KIND_REBOOT},
            {"anvil/poweroff", 0, ACTIONS_KIND_POWEROFF},
            {"anvil/kexec", 0, ACTIONS_KIND_KEXEC},
            {"quay.io/tinkerbell/actions/image2disk:latest", 0, ACTIONS_KIND_IMAGE2DISK},
            {"quay.io/tinkerbell/actions/writefile:v1.0.0", 0, ACTIONS_KIND_WRITEFILE},
            {"quay.io/tinkerbell-actions/image2disk:v1.0.0", 0, ACTIONS_KIND_IMAGE2DISK},
            {"ghcr.io/tinkerbell/actions/cexec:latest", 0, ACTIONS_KIND_CEXEC},
            {"ghcr.io/tinkerbell/actions/kexec", 0, ACTIONS_KIND_KEXEC},
            {"tinkerbell/actions/reboot:v1", 0, ACTIONS_KIND_REBOOT},
            {"docker.io/tinkerbell/actions/poweroff:v1", 0, ACTIONS_KIND_POWEROFF},
            {"quay.io/tinkerbell/actions/image2disk@sha256:0123abcd", 0, ACTIONS_KIND_IMAGE2DISK},
            {"quay.io/tinkerbell/actions/image2disk:v1@sha256:0123", 0, ACTIONS_KIND_IMAGE2DISK},
            {"quay.io/tinkerbell/actions/oci2disk:latest", 0, ACTIONS_KIND_OCI},
            {"quay.io/tinkerbell/actions/exec:latest", 0, ACTIONS_KIND_OCI},
            {"quay.io/tinkerbell/actions/image2disk/extra:latest", 0, ACTIONS_KIND_OCI},
            {"quay.io/tinkerbell/actions/image2diskx", 0, ACTIONS_KIND_OCI},
            {"registry.local:5000/image2disk:latest", 0, ACTIONS_KIND_OCI},
            {"localhost:5000/anvil/exec", 0, ACTIONS_KIND_OCI},
            {"alpine", 0, ACTIONS_KIND_OCI},
            {"anvil/nope", -ENOENT, 0},
            {"anvil/", -EINVAL, 0}, /* not a built-in; no name */
            {"", -EINVAL, 0},
            {NULL, -EINVAL, 0},
            {"-privileged", -EINVAL, 0},
            {"a b", -EINVAL, 0},
            {"tab\there", -EINVAL, 0},
            {"caf\xc3\xa9", -EINVAL, 0},
            {":tag", -EINVAL, 0},
            {"@sha256:00", -EINVAL, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum actions_kind k = _ACTIONS_KIND_INVALID;
        int r = actions_image_kind(cases[i].image, &k);
        if (r != cases[i].r || (r == 0 && k != cases[i].kind))
            fail_msg("case %zu (%s): r=%d kind=%d", i, cases[i].image ? cases[i].image : "NULL", r,
                     k);
    }
    char longref[AGENTPROTO_IMAGE_MAX + 2];
    memset(longref, 'a', sizeof(longref) - 1);
    longref[sizeof(longref) - 1] = '\0';
    enum actions_kind k;
    assert_int_equal(actions_image_kind(longref, &k), -EINVAL);
    assert_string_equal(actions_kind_to_string(ACTIONS_KIND_IMAGE2DISK), "image2disk");
    assert_null(actions_kind_to_string(_ACTIONS_KIND_MAX));
}

static void test_oci_runtime_absent(void **state)
{
    (void)state;
    struct spec s = {.image = "alpine:3", .cmd = {"echo", "hi"}};
    struct actions_opts o = {.search_path = scratch};
    struct capture cap = {.cancel_w = -1};
    struct actions_result res;
    run_spec(&s, &o, -1, &cap, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_string_equal(res.message, "image alpine:3 needs docker or ctr, none found");
    actions_result_done(&res);

    o.docker = "/nonexistent/docker";
    run_spec(&s, &o, -1, &cap, &res);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_contains(res.message, "/nonexistent/docker not found");
    actions_result_done(&res);
}

static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static char *slurp(const char *path)
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

static void test_oci_docker_invocation(void **state)
{
    (void)state;
    char dir[512], docker[600], log[600], body[2048];
    snprintf(dir, sizeof(dir), "%s/bin", scratch);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(docker, sizeof(docker), "%s/docker", dir);
    snprintf(log, sizeof(log), "%s/docker.log", scratch);
    snprintf(body, sizeof(body),
             "#!/bin/sh\n"
             "echo \"== $*\" >> %s\n"
             "[ \"$1\" = run ] || exit 0\n"
             "echo \"FOO=$FOO\" >> %s\n"
             "echo container says hi\n"
             "exit \"${EXIT_WITH:-0}\"\n",
             log, log);
    write_script(docker, body);
    struct spec s = {.image = "quay.io/tinkerbell/actions/oci2disk:latest",
                     .cmd = {"--flag", "arg two"},
                     .env = {"FOO=secret value", "EXIT_WITH=0"},
                     .vol = {"/dev:/dev", "/lib/firmware:/lib/firmware:ro"}};
    struct agentproto_action a = make_action(&s);
    a.namespace_pid = "host";
    a.namespace_network = "host";
    char search[600];
    snprintf(search, sizeof(search), "%s:/usr/bin:/bin", dir);
    struct actions_opts o = {.search_path = search};
    struct capture cap = {.cancel_w = -1};
    struct actions_result res;
    assert_int_equal(actions_run(&a, &o, -1, on_progress, &cap, &res), 0);
    assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
    assert_contains(res.message, "container says hi");
    actions_result_done(&res);
    char *text = slurp(log);
    assert_non_null(text);
    assert_contains(text, "== rm --force anvil_step_a1\n");
    assert_contains(text, "== run --rm --privileged --name anvil_step_a1 --env=FOO "
                          "--env=EXIT_WITH --volume=/dev:/dev "
                          "--volume=/lib/firmware:/lib/firmware:ro --pid=host --network=host "
                          "quay.io/tinkerbell/actions/oci2disk:latest --flag arg two\n");
    assert_contains(text, "FOO=secret value\n");
    assert_null(strstr(text, "--env=FOO=")); /* values never on the command line */
    free(text);

    /* A failing container; the runtime named explicitly. */
    static const char *const env2[] = {"EXIT_WITH=7"};
    a.environment = (struct agentproto_strv){.v = env2, .n = 1};
    o = (struct actions_opts){.docker = docker};
    assert_int_equal(actions_run(&a, &o, -1, NULL, NULL, &res), 0);
    assert_int_equal(res.state, AGENTPROTO_STATE_FAILED);
    assert_contains(res.message, "docker run of quay.io/tinkerbell/actions/oci2disk:latest "
                                 "exited with status 7");
    actions_result_done(&res);
}

static void test_oci_ctr_argv(void **state)
{
    (void)state;
    struct spec s = {.image = "alpine:3",
                     .cmd = {"sh", "-c", "true"},
                     .env = {"A=1"},
                     .vol = {"/dev:/dev", "/a:/b:ro"}};
    struct agentproto_action a = make_action(&s);
    a.namespace_network = "host";
    a.pid = "host";
    struct buf err = BUF_INIT(1024);
    char **argv = NULL;
    assert_int_equal(actions_oci_argv(&a, "/usr/bin/ctr", "anvil_x", &argv, &err), 0);
    static const char *const want[] = {"/usr/bin/ctr",
                                       "--namespace",
                                       "tinkerbell",
                                       "run",
                                       "--rm",
                                       "--privileged",
                                       "--with-ns",
                                       "pid:/proc/1/ns/pid",
                                       "--net-host",
                                       "--env",
                                       "A=1",
                                       "--mount",
                                       "type=bind,src=/dev,dst=/dev,options=rbind:rw",
                                       "--mount",
                                       "type=bind,src=/a,dst=/b,options=rbind:ro",
                                       "alpine:3",
                                       "anvil_x",
                                       "sh",
                                       "-c",
                                       "true",
                                       NULL};
    for (size_t i = 0; want[i]; i++) {
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[ARRAY_SIZE(want) - 1]);
    actions_strv_free(argv);

    static const char *const bad_vols[] = {"relative:/x",  "/a",      "/a:/b:rw:z",
                                           "/a:/b:shared", "/a,b:/c", ":/x"};
    for (size_t i = 0; i < ARRAY_SIZE(bad_vols); i++) {
        const char *v[] = {bad_vols[i]};
        a.volumes = (struct agentproto_strv){.v = v, .n = 1};
        argv = NULL;
        buf_reset(&err);
        assert_int_equal(actions_oci_argv(&a, "ctr", "n", &argv, &err), -EINVAL);
        assert_null(argv);
        assert_contains(buf_str(&err), "is not SRC:DST");
    }
    buf_free(&err);

    char *name = NULL;
    a.name = "write disk!";
    a.action_id = "id/1";
    assert_int_equal(actions_oci_name(&a, &name), 0);
    assert_string_equal(name, "anvil_write_disk__id_1");
    free(name);
}

static void test_reboot_after_table(void **state)
{
    (void)state;
    static const struct {
        const char *image;
        bool allow;
        enum actions_after after;
        const char *has;
    } cases[] = {
            {"anvil/reboot", true, ACTIONS_AFTER_REBOOT, "reboot once this status is reported"},
            {"quay.io/tinkerbell/actions/reboot:latest", true, ACTIONS_AFTER_REBOOT, "reboot"},
            {"anvil/poweroff", true, ACTIONS_AFTER_POWEROFF, "power off once"},
            {"anvil/reboot", false, ACTIONS_AFTER_NOTHING, "not performed"},
            {"anvil/poweroff", false, ACTIONS_AFTER_NOTHING, "not performed"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct spec s = {.image = cases[i].image};
        struct actions_opts o = {.allow_reboot = cases[i].allow};
        struct capture cap = {.cancel_w = -1};
        struct actions_result res;
        run_spec(&s, &o, -1, &cap, &res);
        assert_int_equal(res.state, AGENTPROTO_STATE_SUCCESS);
        assert_int_equal(res.after, cases[i].after);
        assert_contains(res.message, cases[i].has);
        actions_result_done(&res);
    }
    struct actions_result none = {.after = ACTIONS_AFTER_NOTHING};
    assert_int_equal(actions_finish(&none), 0);
    struct actions_result bad = {.after = ACTIONS_AFTER_KEXEC};
    assert_int_equal(actions_finish(&bad), -EINVAL);
    bad.after = _ACTIONS_AFTER_MAX;
    assert_int_equal(actions_finish(&bad), -EINVAL);
    assert_int_equal(actions_finish(NULL), -EINVAL);
    assert_string_equal(actions_after_to_string(ACTIONS_AFTER_KEXEC), "kexec");
    assert_null(actions_after_to_string(_ACTIONS_AFTER_MAX));
    actions_result_done(NULL);
}

static void test_parse_values_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int r;
        bool v;
    } bools[] = {{"1", 0, true},   {"true", 0, true},   {"True", 0, true},    {"TRUE", 0, true},
                 {"t", 0, true},   {"0", 0, false},     {"false", 0, false},  {"F", 0, false},
                 {"", -EINVAL, 0}, {"yes", -EINVAL, 0}, {"tRuE", -EINVAL, 0}, {NULL, -EINVAL, 0}};
    for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
        bool b = !bools[i].v;
        assert_int_equal(actions_parse_bool(bools[i].s, &b), bools[i].r);
        if (bools[i].r == 0)
            assert_int_equal(b, bools[i].v);
    }
    static const struct {
        const char *s;
        int r;
        unsigned v;
    } modes[] = {{"0644", 0, 0644},    {"755", 0, 0755},      {"0o600", 0, 0600},
                 {"07777", 0, 07777},  {"0", 0, 0},           {"010000", -ERANGE, 0},
                 {"0999", -EINVAL, 0}, {"", -EINVAL, 0},      {"0o", -EINVAL, 0},
                 {"-644", -EINVAL, 0}, {"0644 ", -EINVAL, 0}, {"99999999999999999999", -EINVAL, 0}};
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        mode_t m = 0;
        int r = actions_parse_mode(modes[i].s, &m);
        if (r != modes[i].r || (r == 0 && m != modes[i].v))
            fail_msg("mode case %zu: r=%d m=%o", i, r, (unsigned)m);
    }
    static const struct {
        const char *s;
        int r;
        uint32_t v;
    } ids[] = {{"0", 0, 0},
               {"1000", 0, 1000},
               {"4294967294", 0, 4294967294u},
               {"4294967295", -ERANGE, 0},
               {"99999999999", -ERANGE, 0},
               {"-1", -EINVAL, 0},
               {"", -EINVAL, 0},
               {"12a", -EINVAL, 0},
               {NULL, -EINVAL, 0}};
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        uint32_t v = 0;
        int r = actions_parse_id(ids[i].s, &v);
        if (r != ids[i].r || (r == 0 && v != ids[i].v))
            fail_msg("id case %zu: r=%d v=%u", i, r, v);
    }
}

static void test_env_and_split(void **state)
{
    (void)state;
    static const char *const env[] = {"A=1", "B=", "A=2", "C=x=y"};
    struct agentproto_strv sv = {.v = env, .n = 4};
    assert_string_equal(actions_env_get(&sv, "A"), "2");
    assert_string_equal(actions_env_get(&sv, "B"), "");
    assert_string_equal(actions_env_get(&sv, "C"), "x=y");
    assert_null(actions_env_get(&sv, "D"));
    assert_null(actions_env_get(&sv, ""));
    assert_int_equal(actions_env_check(&sv, NULL), 0);
    static const char *const bad[] = {"A=1", "B C=1"};
    size_t at = 99;
    assert_int_equal(actions_env_check(&(struct agentproto_strv){.v = bad, .n = 2}, &at), -EINVAL);
    assert_int_equal(at, 1);

    static const struct {
        const char *s, *seps;
        size_t n;
        const char *first, *last;
    } cases[] = {
            {"a b  c", " ", 3, "a", "c"},
            {";;x;y;;", ";", 2, "x", "y"},
            {"", " ", 0, NULL, NULL},
            {"   ", " ", 0, NULL, NULL},
            {"/bin/sh -c", " \t", 2, "/bin/sh", "-c"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char **v = NULL;
        size_t n = 99;
        assert_int_equal(actions_split(cases[i].s, cases[i].seps, &v, &n), 0);
        assert_int_equal(n, cases[i].n);
        assert_null(v[n]);
        if (n) {
            assert_string_equal(v[0], cases[i].first);
            assert_string_equal(v[n - 1], cases[i].last);
        }
        actions_strv_free(v);
    }
}

static void test_text_repair_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
            {"plain", 5, "plain"},
            {"caf\xc3\xa9", 5, "caf\xc3\xa9"},
            {"\xff", 1, "\xef\xbf\xbd"},
            {"a\0b", 3,
             "a\xef\xbf\xbd"
             "b"},
            {"\xc3", 1, "\xef\xbf\xbd"},                                 /* truncated sequence */
            {"\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
            {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
            {"\xf0\x9f\x98\x80!", 5, "\xf0\x9f\x98\x80!"},
            {"", 0, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT(1024);
        assert_int_equal(actions_text_append(&b, cases[i].in, cases[i].n), 0);
        assert_string_equal(buf_str(&b), cases[i].out);
        buf_free(&b);
    }
    struct buf small = BUF_INIT(4);
    assert_int_equal(actions_text_append(&small, "\xff\xff", 2), -E2BIG);
    buf_free(&small);
}

static void test_text_tail_and_message(void **state)
{
    (void)state;
    struct actions_tail t;
    assert_int_equal(actions_tail_init(&t, 8), 0);
    actions_tail_append(&t, "abc", 3);
    actions_tail_append(&t, "defgh", 5);
    actions_tail_append(&t, "ij", 2);
    struct buf b = BUF_INIT(1024);
    assert_int_equal(actions_tail_render(&t, &b), 0);
    assert_string_equal(buf_str(&b), "[2 bytes not shown]\ncdefghij");
    actions_tail_append(&t, "0123456789ABCDEF", 16);
    buf_reset(&b);
    assert_int_equal(actions_tail_render(&t, &b), 0);
    assert_string_equal(buf_str(&b), "[18 bytes not shown]\n89ABCDEF");
    actions_tail_done(&t);

    /* A cut through a character drops its remains. */
    assert_int_equal(actions_tail_init(&t, 3), 0);
    actions_tail_append(&t,
                        "x\xe2\x82\xac"
                        "ab",
                        6);
    buf_reset(&b);
    assert_int_equal(actions_tail_render(&t, &b), 0);
    assert_string_equal(buf_str(&b), "[3 bytes not shown]\nab");
    actions_tail_done(&t);

    /* Zero capacity counts only. */
    assert_int_equal(actions_tail_init(&t, 0), 0);
    actions_tail_append(&t, "abc", 3);
    assert_int_equal(t.total, 3);
    buf_reset(&b);
    assert_int_equal(actions_tail_render(&t, &b), 0);
    assert_string_equal(buf_str(&b), "");
    actions_tail_done(&t);
    buf_free(&b);

    /* Messages are cut to the cap on a character boundary. */
    struct buf big = BUF_INIT(4 * AGENTPROTO_MESSAGE_MAX);
    for (size_t i = 0; i < AGENTPROTO_MESSAGE_MAX; i++)
        assert_int_equal(buf_append(&big, "\xe2\x82\xac", 3), 0);
    char *m = NULL;
    assert_int_equal(actions_text_take_message(&big, &m), 0);
    size_t len = strlen(m);
    assert_true(len <= AGENTPROTO_MESSAGE_MAX);
    assert_string_equal(m + len - 3, "...");
    assert_int_equal((len - 3) % 3, 0);
    free(m);
    buf_free(&big);

    static const struct {
        uint64_t n;
        const char *s;
    } sizes[] = {{0, "0 B"},
                 {1023, "1023 B"},
                 {1024, "1.0 KiB"},
                 {12u * 1024 * 1024 + 512 * 1024, "12.5 MiB"},
                 {UINT64_MAX, "16.0 EiB"}};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        char s[ACTIONS_SIZE_STRLEN];
        actions_format_size(sizes[i].n, s);
        assert_string_equal(s, sizes[i].s);
    }
}

static void test_find_program(void **state)
{
    (void)state;
    char *p = NULL;
    assert_int_equal(actions_find_program("sh", "/nonexistent:/bin", &p), 0);
    assert_string_equal(p, "/bin/sh");
    free(p);
    assert_int_equal(actions_find_program("sh", "/nonexistent", &p), -ENOENT);
    assert_int_equal(actions_find_program("", "/bin", &p), -ENOENT);
    assert_int_equal(actions_find_program("/dev/null", NULL, &p), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exec_outcomes),
            cmocka_unit_test(test_exec_tail_keeps_the_end),
            cmocka_unit_test(test_exec_timeout_kills_the_group),
            cmocka_unit_test(test_exec_cancel),
            cmocka_unit_test(test_exec_bad_input),
            cmocka_unit_test(test_image_kind_table),
            cmocka_unit_test(test_oci_runtime_absent),
            cmocka_unit_test(test_oci_docker_invocation),
            cmocka_unit_test(test_oci_ctr_argv),
            cmocka_unit_test(test_reboot_after_table),
            cmocka_unit_test(test_parse_values_table),
            cmocka_unit_test(test_env_and_split),
            cmocka_unit_test(test_text_repair_table),
            cmocka_unit_test(test_text_tail_and_message),
            cmocka_unit_test(test_find_program),
    };
    return cmocka_run_group_tests(tests, setup_scratch, teardown_scratch);
}
