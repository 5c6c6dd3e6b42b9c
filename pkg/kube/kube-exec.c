/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.authentication.k8s.io exec credential plugins (v1 and v1beta1), as
 * client-go's plugin/pkg/client/auth/exec runs them: the command with its
 * args, the process environment plus the configured env, and
 * KUBERNETES_EXEC_INFO holding an ExecCredential request (never
 * interactive: stdin is /dev/null); stdout carries an ExecCredential whose
 * status has a token or a client certificate/key pair and an optional
 * expirationTimestamp. stderr is passed through for the plugin's messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

extern char **environ;

void kube_exec_cred_clear(struct kube_exec_cred *c)
{
    if (!c)
        return;
    free(c->token);
    free(c->cert_pem);
    free(c->key_pem);
    *c = (struct kube_exec_cred){0};
}

static int exec_fail(char **ret_error, int code, const char *msg)
{
    if (ret_error)
        *ret_error = strdup(msg);
    return code;
}

int kube_exec_cred_parse(const char *out,
                         size_t len,
                         const char *api_version,
                         struct kube_exec_cred *ret,
                         char **ret_error)
{
    _cleanup_json_ json_t *root = NULL;
    struct kube_exec_cred cred = {0};
    const char *av, *kind, *token, *cert, *key, *exp;
    json_t *status;

    assert_return(out && ret, -EINVAL);
    root = json_loadb(out, len, 0, NULL);
    if (!json_is_object(root))
        return exec_fail(ret_error, -EBADMSG, "exec plugin: output is not a JSON object");
    av = json_string_value(json_object_get(root, "apiVersion"));
    kind = json_string_value(json_object_get(root, "kind"));
    if (!kind || strcmp(kind, "ExecCredential") != 0)
        return exec_fail(ret_error, -EBADMSG, "exec plugin: output is not an ExecCredential");
    if (!av || (api_version && strcmp(av, api_version) != 0))
        return exec_fail(ret_error, -EBADMSG,
                         "exec plugin: ExecCredential apiVersion does not match the kubeconfig");
    status = json_object_get(root, "status");
    if (!json_is_object(status))
        return exec_fail(ret_error, -EBADMSG, "exec plugin: ExecCredential has no status");
    token = json_string_value(json_object_get(status, "token"));
    cert = json_string_value(json_object_get(status, "clientCertificateData"));
    key = json_string_value(json_object_get(status, "clientKeyData"));
    exp = json_string_value(json_object_get(status, "expirationTimestamp"));
    if (token && *token && !kube_token_valid(token))
        return exec_fail(ret_error, -EBADMSG, "exec plugin: status.token is not a usable token");
    if (!cert != !key || (cert && (!*cert || !*key)))
        return exec_fail(ret_error, -EBADMSG,
                         "exec plugin: status.clientCertificateData and clientKeyData go together");
    if (!(token && *token) && !cert)
        return exec_fail(ret_error, -EBADMSG,
                         "exec plugin: status has neither token nor clientCertificateData");
    if (cert &&
        (kube_pem_check_certs(cert, strlen(cert)) < 0 || kube_pem_check_key(key, strlen(key)) < 0))
        return exec_fail(ret_error, -EBADMSG,
                         "exec plugin: status.clientCertificateData/clientKeyData is not PEM");
    if (exp) {
        if (kube_time_parse_rfc3339(exp, &cred.expiry_unix) < 0)
            return exec_fail(ret_error, -EBADMSG,
                             "exec plugin: status.expirationTimestamp is not RFC 3339");
        cred.has_expiry = true;
    }
    if (token && *token)
        cred.token = strdup(token);
    if (cert) {
        cred.cert_pem = strdup(cert);
        cred.key_pem = strdup(key);
    }
    if ((token && *token && !cred.token) || (cert && (!cred.cert_pem || !cred.key_pem))) {
        kube_exec_cred_clear(&cred);
        return -ENOMEM;
    }
    *ret = cred;
    return 0;
}

/* environ, minus names the config overrides, plus the config's env and
 * KUBERNETES_EXEC_INFO. The strings of environ are borrowed; the others
 * are appended to *owned. */
static int exec_build_env(const struct kube_exec_spec *spec,
                          char ***ret,
                          struct buf *owned,
                          size_t *ret_n_owned)
{
    size_t n_env = 0, n_cfg = json_array_size(spec->env), k = 0;
    _cleanup_free_ char **envp = NULL;
    json_t *e;
    size_t i;
    int r;

    while (environ && environ[n_env])
        n_env++;
    envp = calloc(n_env + n_cfg + 2, sizeof(char *));
    if (!envp)
        return -ENOMEM;
    for (i = 0; i < n_env; i++) {
        bool overridden = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;
        size_t j;
        json_array_foreach(spec->env, j, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            size_t l = name ? strlen(name) : 0;
            if (l && strncmp(environ[i], name, l) == 0 && environ[i][l] == '=')
                overridden = true;
        }
        if (!overridden)
            envp[k++] = environ[i];
    }
    /* The owned strings are packed NUL-separated into one buffer and
     * pointed at after it stops moving. */
    json_array_foreach(spec->env, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *value = json_string_value(json_object_get(e, "value"));
        if (!name || !value)
            return -EINVAL;
        r = buf_printf(owned, "%s=%s", name, value);
        if (r >= 0)
            r = buf_append(owned, "", 1);
        if (r < 0)
            return r;
    }
    r = buf_printf(owned,
                   "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
                   "\"spec\":{\"interactive\":false}}",
                   spec->api_version);
    if (r >= 0)
        r = buf_append(owned, "", 1);
    if (r < 0)
        return r;
    *ret_n_owned = n_cfg + 1;
    for (const char *p = owned->data; p < owned->data + owned->len; p += strlen(p) + 1)
        envp[k++] = (char *)p;
    envp[k] = NULL;
    *ret = TAKE_PTR(envp);
    return 0;
}

static int exec_build_argv(const struct kube_exec_spec *spec, char ***ret)
{
    size_t n = json_array_size(spec->args), i;
    char **argv = calloc(n + 2, sizeof(char *));
    json_t *a;

    if (!argv)
        return -ENOMEM;
    argv[0] = (char *)spec->command;
    json_array_foreach(spec->args, i, a) {
        argv[i + 1] = (char *)json_string_value(a);
    }
    *ret = argv;
    return 0;
}

/* Reads the child's stdout until EOF, the cap or the deadline. */
static int exec_read_output(int fd, uint64_t deadline_ns, struct buf *out)
{
    char chunk[4096];

    for (;;) {
        uint64_t now = kube_now_ns();
        if (now >= deadline_ns)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ms = (int)MIN((deadline_ns - now) / 1000000 + 1, (uint64_t)60000);
        int k = poll(&pfd, 1, ms);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            continue;
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

static int exec_spawn(const struct kube_exec_spec *spec, int out_fd, pid_t *ret_pid)
{
    _cleanup_free_ char **argv = NULL, **envp = NULL;
    _cleanup_buf_ struct buf owned = BUF_INIT(1024 * 1024);
    posix_spawn_file_actions_t fa;
    size_t n_owned;
    int r;

    r = exec_build_argv(spec, &argv);
    if (r >= 0)
        r = exec_build_env(spec, &envp, &owned, &n_owned);
    if (r < 0)
        return r;
    r = posix_spawn_file_actions_init(&fa);
    if (r != 0)
        return -r;
    r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (r == 0)
        r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (r == 0)
        r = posix_spawnp(ret_pid, spec->command, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    return -r;
}

int kube_exec_run(const struct kube_exec_spec *spec,
                  long timeout_ms,
                  struct kube_exec_cred *ret,
                  char **ret_error)
{
    _cleanup_buf_ struct buf out = BUF_INIT(KUBE_MAX_EXEC_OUTPUT);
    _cleanup_close_ int rd = -1, wr = -1;
    char msg[512];
    int fds[2], r, status;
    pid_t pid;

    assert_return(spec && spec->command && spec->api_version && ret, -EINVAL);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    rd = fds[0];
    wr = fds[1];
    r = exec_spawn(spec, wr, &pid);
    if (r < 0) {
        snprintf(msg, sizeof(msg), "exec plugin: cannot run %s: %s", spec->command, strerror(-r));
        return exec_fail(ret_error, r == -ENOMEM ? r : -EIO, msg);
    }
    (void)close(TAKE_FD(wr));
    r = exec_read_output(rd, kube_now_ns() + (uint64_t)timeout_ms * 1000000, &out);
    if (r < 0)
        (void)kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (r == -ETIMEDOUT) {
        snprintf(msg, sizeof(msg), "exec plugin: %s did not finish within %ld ms", spec->command,
                 timeout_ms);
        return exec_fail(ret_error, r, msg);
    }
    if (r < 0) {
        snprintf(msg, sizeof(msg), "exec plugin: reading the output of %s: %s", spec->command,
                 strerror(-r));
        return exec_fail(ret_error, r == -ENOMEM ? r : -EIO, msg);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(msg, sizeof(msg), "exec plugin: %s %s %d", spec->command,
                 WIFEXITED(status) ? "exited with status" : "was killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return exec_fail(ret_error, -EIO, msg);
    }
    r = kube_exec_cred_parse(buf_str(&out), out.len, spec->api_version, ret, ret_error);
    return r == -EBADMSG ? -EIO : r;
}
