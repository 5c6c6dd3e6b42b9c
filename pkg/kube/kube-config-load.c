/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a configuration comes from (DESIGN.md: --kubeconfig, else
 * $KUBECONFIG, else the in-cluster service account, else ~/.kube/config),
 * and the in-cluster configuration itself (client-go's InClusterConfig,
 * reference/kube-api.md section 6.3).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kube/kube-internal.h"

static int set_error(char **ret_error, int code, const char *fmt, ...) _printf_(3, 4);
static int set_error(char **ret_error, int code, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int k;

    if (!ret_error)
        return code;
    va_start(ap, fmt);
    k = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (k < 0)
        return -ENOMEM;
    *ret_error = s;
    return code;
}

static int
load_file(const char *path, const char *context, struct kube_config **ret, char **ret_error)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r;

    r = kube_read_file(path, KUBE_MAX_KUBECONFIG, &text, &len);
    if (r == -ENOMEM)
        return r;
    if (r == -E2BIG)
        return set_error(ret_error, -EINVAL, "%s: larger than %zu bytes", path,
                         KUBE_MAX_KUBECONFIG);
    if (r < 0)
        return set_error(ret_error, r, "%s: %s", path, strerror(-r));
    return kube_config_parse(text, len, path, context, ret, ret_error);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

int kube_config_load(const struct kube_config_opts *opts,
                     struct kube_config **ret,
                     char **ret_error)
{
    const char *context = opts ? opts->context : NULL;
    const char *env, *home;
    int r, in_cluster;

    assert_return(ret, -EINVAL);
    if (opts && opts->kubeconfig)
        return load_file(opts->kubeconfig, context, ret, ret_error);

    env = getenv("KUBECONFIG");
    if (env && *env) {
        _cleanup_free_ char *list = strdup(env);
        if (!list)
            return -ENOMEM;
        /* Unlike kubectl the files are not merged: the first one that
         * exists is the configuration. */
        for (char *p = list, *next; p; p = next) {
            next = strchr(p, ':');
            if (next)
                *next++ = '\0';
            if (*p && file_exists(p))
                return load_file(p, context, ret, ret_error);
        }
    }

    r = kube_config_incluster(NULL, ret, NULL);
    if (r >= 0 || r == -ENOMEM)
        return r;
    in_cluster = r;

    home = getenv("HOME");
    if (home && *home) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/.kube/config", home) < 0)
            return -ENOMEM;
        if (file_exists(path))
            return load_file(path, context, ret, ret_error);
    }
    /* In a pod whose service account is not mounted: say what is missing. */
    if (in_cluster != -ENOENT)
        return kube_config_incluster(NULL, ret, ret_error);
    return set_error(ret_error, -ENOENT,
                     "no Kubernetes configuration: use --kubeconfig, set $KUBECONFIG, run in a "
                     "cluster or create ~/.kube/config");
}

static int incluster_token(const char *root, struct kube_config *c, char **ret_error)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r;

    if (asprintf(&c->token_file, "%s/token", root) < 0)
        return -ENOMEM;
    r = kube_read_file(c->token_file, KUBE_MAX_TOKEN_FILE, &text, &len);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return set_error(ret_error, -EINVAL, "in-cluster: %s: %s", c->token_file,
                         r == -E2BIG ? "file too large" : strerror(-r));
    r = kube_strdup_trimmed(text, len, &c->token);
    if (r < 0)
        return r;
    if (!kube_token_valid(c->token))
        return set_error(ret_error, -EINVAL, "in-cluster: %s: not a usable bearer token",
                         c->token_file);
    return 0;
}

static int incluster_ca(const char *root, struct kube_config *c, char **ret_error)
{
    _cleanup_free_ char *path = NULL, *pem = NULL;
    size_t len;
    int r;

    if (asprintf(&path, "%s/ca.crt", root) < 0)
        return -ENOMEM;
    r = kube_read_file(path, KUBE_MAX_PEM_FILE, &pem, &len);
    if (r == -ENOENT)
        return 0; /* client-go goes on with the system roots */
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return set_error(ret_error, -EINVAL, "in-cluster: %s: %s", path,
                         r == -E2BIG ? "file too large" : strerror(-r));
    if (kube_pem_check_certs(pem, len) < 0)
        return set_error(ret_error, -EINVAL, "in-cluster: %s: no PEM certificate", path);
    c->ca_pem = TAKE_PTR(pem);
    return 0;
}

static int incluster_namespace(const char *root, struct kube_config *c)
{
    _cleanup_free_ char *path = NULL, *text = NULL, *ns = NULL;
    const char *env = getenv("POD_NAMESPACE");
    size_t len;

    /* clientcmd's in-cluster namespace: $POD_NAMESPACE, then the file. */
    if (env && *env) {
        c->namespace_ = strdup(env);
        return c->namespace_ ? 0 : -ENOMEM;
    }
    if (asprintf(&path, "%s/namespace", root) < 0)
        return -ENOMEM;
    if (kube_read_file(path, 4096, &text, &len) == 0 && kube_strdup_trimmed(text, len, &ns) == 0 &&
        *ns) {
        c->namespace_ = TAKE_PTR(ns);
        return 0;
    }
    c->namespace_ = strdup("default");
    return c->namespace_ ? 0 : -ENOMEM;
}

int kube_config_incluster(const char *root, struct kube_config **ret, char **ret_error)
{
    _cleanup_(kube_config_freep) struct kube_config *c = NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    int r;

    assert_return(ret, -EINVAL);
    if (!host || !*host || !port || !*port)
        return set_error(ret_error, -ENOENT,
                         "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
                         "not set");
    if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) > 65535 ||
        atoi(port) == 0)
        return set_error(ret_error, -EINVAL, "in-cluster: KUBERNETES_SERVICE_PORT: not a port");
    if (strpbrk(host, "/[]@?# "))
        return set_error(ret_error, -EINVAL, "in-cluster: KUBERNETES_SERVICE_HOST: not a host");
    root = root ? root : KUBE_INCLUSTER_ROOT;

    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    /* An IPv6 address needs brackets in a URL (net.JoinHostPort). */
    if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port) <
        0) {
        c->server = NULL;
        return -ENOMEM;
    }
    r = incluster_token(root, c, ret_error);
    if (r >= 0)
        r = incluster_ca(root, c, ret_error);
    if (r >= 0)
        r = incluster_namespace(root, c);
    if (r < 0)
        return r;
    c->source = strdup("in-cluster");
    if (!c->source)
        return -ENOMEM;
    *ret = TAKE_PTR(c);
    return 0;
}
