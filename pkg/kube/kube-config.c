/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig (clientcmd/api/v1 Config) to struct kube_config: YAML through
 * pkg/yamljson, then the context that is asked for (or current-context), its
 * cluster and its user. Only those three entries are decoded in full; the
 * lists only need well-formed names. As in clientcmd, *-data fields
 * override their file counterparts, files are relative to the kubeconfig's
 * directory, a name defined twice means the last definition, and
 * insecure-skip-tls-verify cannot be combined with a CA. Every error is one
 * line: "<file>: <field>: <problem>", and never quotes a credential.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"
#include "yamljson/yamljson.h"

struct cfg_ctx {
    const char *path; /* for messages */
    const char *dir;  /* for relative file names */
    char **ret_error;
};

struct kube_config *kube_config_free(struct kube_config *c)
{
    if (!c)
        return NULL;
    free(c->server);
    free(c->ca_pem);
    free(c->tls_server_name);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->token);
    free(c->token_file);
    free(c->exec_command);
    json_decref(c->exec_args);
    json_decref(c->exec_env);
    free(c->namespace_);
    free(c->source);
    free(c->exec_api_version);
    free(c);
    return NULL;
}

/* "<path>: <field>: <message>" into *ret_error; returns -EINVAL. */
static int cfg_fail(struct cfg_ctx *x, const char *field, const char *fmt, ...) _printf_(3, 4);
static int cfg_fail(struct cfg_ctx *x, const char *field, const char *fmt, ...)
{
    _cleanup_buf_ struct buf b = BUF_INIT(4096);
    va_list ap;
    int r;

    if (!x->ret_error)
        return -EINVAL;
    r = buf_printf(&b, "%s: ", x->path);
    if (r >= 0 && field)
        r = buf_printf(&b, "%s: ", field);
    if (r >= 0) {
        va_start(ap, fmt);
        r = buf_vprintf(&b, fmt, ap);
        va_end(ap);
    }
    if (r == -ENOMEM)
        return r;
    /* One line, whatever the file name or the document holds. */
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char)b.data[i] < ' ' || b.data[i] == 0x7f)
            b.data[i] = '?';
    *x->ret_error = buf_take(&b, NULL);
    return *x->ret_error ? -EINVAL : -ENOMEM;
}

/* A name from the document, shortened for a message. */
#define CFG_NAME_MAX 64
static const char *cfg_name(const char *name, char out[static CFG_NAME_MAX + 4])
{
    size_t n = strlen(name);
    if (n <= CFG_NAME_MAX)
        return name;
    memcpy(out, name, CFG_NAME_MAX);
    memcpy(out + CFG_NAME_MAX, "...", 4);
    return out;
}

/* Optional string member: NULL when absent or null. */
static int
get_str(struct cfg_ctx *x, const json_t *o, const char *prefix, const char *key, const char **ret)
{
    json_t *v = json_object_get(o, key);

    *ret = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return cfg_fail(x, NULL, "%s%s%s: must be a string", prefix, *prefix ? "." : "", key);
    *ret = json_string_value(v);
    return 0;
}

static int
get_bool(struct cfg_ctx *x, const json_t *o, const char *prefix, const char *key, bool *ret)
{
    json_t *v = json_object_get(o, key);

    *ret = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return cfg_fail(x, NULL, "%s%s%s: must be true or false", prefix, *prefix ? "." : "", key);
    *ret = json_is_true(v);
    return 0;
}

static int cfg_strdup(const char *s, char **ret)
{
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

/* A file name from the kubeconfig, relative to its directory. */
static int cfg_resolve(struct cfg_ctx *x, const char *name, char **ret)
{
    if (name[0] == '/' || !x->dir)
        return cfg_strdup(name, ret);
    return asprintf(ret, "%s/%s", x->dir, name) < 0 ? -ENOMEM : 0;
}

enum pem_kind { PEM_CERTS, PEM_KEY };

/* field-data (base64) wins over field (a file). *ret stays NULL when
 * neither is set. */
static int cfg_pem(struct cfg_ctx *x,
                   const json_t *o,
                   const char *prefix,
                   const char *key,
                   enum pem_kind kind,
                   char **ret)
{
    _cleanup_free_ char *data_key = NULL, *file = NULL, *pem = NULL;
    const char *data, *name;
    size_t len;
    int r;

    *ret = NULL;
    if (asprintf(&data_key, "%s-data", key) < 0)
        return -ENOMEM;
    r = get_str(x, o, prefix, data_key, &data);
    if (r >= 0)
        r = get_str(x, o, prefix, key, &name);
    if (r < 0)
        return r;
    if (data && *data) {
        r = kube_base64_decode(data, strlen(data), &pem, &len);
        if (r == -EBADMSG || r == -E2BIG)
            return cfg_fail(x, NULL, "%s.%s: invalid base64", prefix, data_key);
        if (r < 0)
            return r;
        key = data_key;
    } else if (name && *name) {
        r = cfg_resolve(x, name, &file);
        if (r < 0)
            return r;
        r = kube_read_file(file, KUBE_MAX_PEM_FILE, &pem, &len);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return cfg_fail(x, NULL, "%s.%s: %s: %s", prefix, key, file,
                            r == -E2BIG ? "file too large" : strerror(-r));
    } else
        return 0;
    r = kind == PEM_CERTS ? kube_pem_check_certs(pem, len) : kube_pem_check_key(pem, len);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return cfg_fail(x, NULL, "%s.%s: %s", prefix, key,
                        kind == PEM_CERTS ? "no PEM certificate" : "no PEM private key");
    *ret = TAKE_PTR(pem);
    return 0;
}

/* Finds the entry named name in root[list] (last definition wins) and
 * returns entry[sub] (an empty object stands for a null one) and its index. */
static int cfg_find(struct cfg_ctx *x,
                    const json_t *root,
                    const char *list,
                    const char *sub,
                    const char *name,
                    const char *ref,
                    json_t **ret,
                    size_t *ret_idx)
{
    json_t *arr = json_object_get(root, list), *e, *found = NULL;
    size_t i, idx = 0;

    if (arr && !json_is_null(arr) && !json_is_array(arr))
        return cfg_fail(x, list, "must be a list");
    json_array_foreach(arr, i, e) {
        json_t *n = json_object_get(e, "name");
        if (!json_is_object(e))
            return cfg_fail(x, NULL, "%s[%zu]: must be a mapping", list, i);
        if (!json_is_string(n))
            return cfg_fail(x, NULL, "%s[%zu].name: must be a string", list, i);
        if (strcmp(json_string_value(n), name) == 0) {
            found = e;
            idx = i;
        }
    }
    if (!found) {
        char shown[CFG_NAME_MAX + 4];
        return cfg_fail(x, ref, "no %.*s named \"%s\"", (int)strlen(list) - 1, list,
                        cfg_name(name, shown));
    }
    e = json_object_get(found, sub);
    if (e && !json_is_null(e) && !json_is_object(e))
        return cfg_fail(x, NULL, "%s[%zu].%s: must be a mapping", list, idx, sub);
    *ret = e;
    *ret_idx = idx;
    return 0;
}

static int cfg_server(struct cfg_ctx *x, const char *field, const char *server, char **ret)
{
    bool scheme_ok = strncmp(server, "https://", 8) == 0 || strncmp(server, "http://", 7) == 0;
    CURLU *u;
    char *host = NULL;
    size_t n = strlen(server);
    int r = 0;

    /* Written out in full, as Go's url.Parse needs it: curl's parser would
     * forgive "https:/host". */
    if (!scheme_ok)
        return cfg_fail(x, field,
                        strstr(server, "://") ? "scheme must be https or http" : "not a URL");
    u = curl_url();
    if (!u)
        return -ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        r = cfg_fail(x, field, "not a URL");
    curl_free(host);
    curl_url_cleanup(u);
    if (r < 0)
        return r;
    while (n > 0 && server[n - 1] == '/')
        n--;
    *ret = strndup(server, n);
    return *ret ? 0 : -ENOMEM;
}

static int cfg_cluster(struct cfg_ctx *x, const json_t *cl, size_t idx, struct kube_config *c)
{
    char prefix[64], field[96];
    const char *server, *sni;
    int r;

    snprintf(prefix, sizeof(prefix), "clusters[%zu].cluster", idx);
    snprintf(field, sizeof(field), "%s.server", prefix);
    r = get_str(x, cl, prefix, "server", &server);
    if (r < 0)
        return r;
    if (!server || !*server)
        return cfg_fail(x, field, "required");
    r = cfg_server(x, field, server, &c->server);
    if (r < 0)
        return r;
    r = cfg_pem(x, cl, prefix, "certificate-authority", PEM_CERTS, &c->ca_pem);
    if (r >= 0)
        r = get_bool(x, cl, prefix, "insecure-skip-tls-verify", &c->insecure);
    if (r >= 0)
        r = get_str(x, cl, prefix, "tls-server-name", &sni);
    if (r < 0)
        return r;
    if (c->insecure && c->ca_pem)
        return cfg_fail(x, NULL,
                        "%s.insecure-skip-tls-verify: cannot be combined with a "
                        "certificate-authority",
                        prefix);
    if (sni && *sni)
        return cfg_strdup(sni, &c->tls_server_name);
    return 0;
}

static int
cfg_exec_lists(struct cfg_ctx *x, const json_t *ex, const char *prefix, struct kube_config *c)
{
    json_t *args = json_object_get(ex, "args"), *env = json_object_get(ex, "env"), *v;
    size_t i;

    if (args && !json_is_null(args)) {
        if (!json_is_array(args))
            return cfg_fail(x, NULL, "%s.args: must be a list", prefix);
        json_array_foreach(args, i, v) {
            if (!json_is_string(v))
                return cfg_fail(x, NULL, "%s.args[%zu]: must be a string", prefix, i);
        }
        c->exec_args = json_deep_copy(args);
        if (!c->exec_args)
            return -ENOMEM;
    }
    if (env && !json_is_null(env)) {
        if (!json_is_array(env))
            return cfg_fail(x, NULL, "%s.env: must be a list", prefix);
        json_array_foreach(env, i, v) {
            const char *name = json_string_value(json_object_get(v, "name"));
            if (!json_is_object(v))
                return cfg_fail(x, NULL, "%s.env[%zu]: must be a mapping", prefix, i);
            if (!name || !*name || strchr(name, '='))
                return cfg_fail(x, NULL, "%s.env[%zu].name: must be a variable name", prefix, i);
            if (!json_is_string(json_object_get(v, "value")))
                return cfg_fail(x, NULL, "%s.env[%zu].value: must be a string", prefix, i);
        }
        c->exec_env = json_deep_copy(env);
        if (!c->exec_env)
            return -ENOMEM;
    }
    return 0;
}

static int cfg_exec(struct cfg_ctx *x, const json_t *ex, const char *uprefix, struct kube_config *c)
{
    char prefix[96];
    const char *cmd, *av, *mode;
    int r;

    snprintf(prefix, sizeof(prefix), "%s.exec", uprefix);
    if (!json_is_object(ex))
        return cfg_fail(x, prefix, "must be a mapping");
    r = get_str(x, ex, prefix, "command", &cmd);
    if (r >= 0)
        r = get_str(x, ex, prefix, "apiVersion", &av);
    if (r >= 0)
        r = get_str(x, ex, prefix, "interactiveMode", &mode);
    if (r < 0)
        return r;
    if (!cmd || !*cmd)
        return cfg_fail(x, NULL, "%s.command: required", prefix);
    if (!av || (strcmp(av, "client.authentication.k8s.io/v1") != 0 &&
                strcmp(av, "client.authentication.k8s.io/v1beta1") != 0))
        return cfg_fail(x, NULL,
                        "%s.apiVersion: must be client.authentication.k8s.io/v1 or "
                        "/v1beta1",
                        prefix);
    if (mode && strcmp(mode, "Never") != 0 && strcmp(mode, "IfAvailable") != 0)
        return cfg_fail(x, NULL, "%s.interactiveMode: %s", prefix,
                        strcmp(mode, "Always") == 0 ? "Always is not supported (no terminal)"
                                                    : "must be Never, IfAvailable or Always");
    /* clientcmd resolves a command with a slash against the kubeconfig's
     * directory and leaves a bare name to $PATH. */
    if (strchr(cmd, '/'))
        r = cfg_resolve(x, cmd, &c->exec_command);
    else
        r = cfg_strdup(cmd, &c->exec_command);
    if (r >= 0)
        r = cfg_strdup(av, &c->exec_api_version);
    if (r < 0)
        return r;
    return cfg_exec_lists(x, ex, prefix, c);
}

static int
cfg_token_file(struct cfg_ctx *x, const char *prefix, const char *name, struct kube_config *c)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r;

    r = cfg_resolve(x, name, &c->token_file);
    if (r < 0)
        return r;
    if (c->token)
        return 0; /* token wins; the file is still re-read by the client */
    r = kube_read_file(c->token_file, KUBE_MAX_TOKEN_FILE, &text, &len);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return cfg_fail(x, NULL, "%s.tokenFile: %s: %s", prefix, c->token_file,
                        r == -E2BIG ? "file too large" : strerror(-r));
    r = kube_strdup_trimmed(text, len, &c->token);
    if (r < 0)
        return r;
    if (!kube_token_valid(c->token))
        return cfg_fail(x, NULL, "%s.tokenFile: %s: not a usable bearer token", prefix,
                        c->token_file);
    return 0;
}

static int cfg_user(struct cfg_ctx *x, const json_t *u, size_t idx, struct kube_config *c)
{
    char prefix[64];
    const char *token, *token_file;
    json_t *ex;
    int r;

    snprintf(prefix, sizeof(prefix), "users[%zu].user", idx);
    if (json_object_get(u, "auth-provider"))
        return cfg_fail(x, NULL, "%s.auth-provider: not supported (use exec)", prefix);
    if (json_object_get(u, "username") || json_object_get(u, "password"))
        return cfg_fail(x, NULL, "%s.username: basic authentication is not supported", prefix);
    r = cfg_pem(x, u, prefix, "client-certificate", PEM_CERTS, &c->cert_pem);
    if (r >= 0)
        r = cfg_pem(x, u, prefix, "client-key", PEM_KEY, &c->key_pem);
    if (r < 0)
        return r;
    if (c->cert_pem && !c->key_pem)
        return cfg_fail(x, NULL, "%s.client-key: required with client-certificate", prefix);
    if (c->key_pem && !c->cert_pem)
        return cfg_fail(x, NULL, "%s.client-certificate: required with client-key", prefix);
    r = get_str(x, u, prefix, "token", &token);
    if (r >= 0)
        r = get_str(x, u, prefix, "tokenFile", &token_file);
    if (r < 0)
        return r;
    if (token && *token) {
        if (!kube_token_valid(token))
            return cfg_fail(x, NULL, "%s.token: not a usable bearer token", prefix);
        r = cfg_strdup(token, &c->token);
        if (r < 0)
            return r;
    }
    if (token_file && *token_file) {
        r = cfg_token_file(x, prefix, token_file, c);
        if (r < 0)
            return r;
    }
    ex = json_object_get(u, "exec");
    if (ex && !json_is_null(ex)) {
        if (c->token)
            return cfg_fail(x, NULL, "%s.exec: cannot be combined with token or tokenFile", prefix);
        return cfg_exec(x, ex, prefix, c);
    }
    return 0;
}

/* The context to use: its cluster, its user and its namespace. */
static int
cfg_context(struct cfg_ctx *x, const json_t *root, const char *context, struct kube_config *c)
{
    const char *ctx_name = context, *ref = "contexts", *cluster, *user, *ns;
    json_t *ctx, *cl, *u;
    size_t idx, cidx, uidx;
    char prefix[64], field[96];
    int r;

    if (!ctx_name) {
        r = get_str(x, root, "", "current-context", &ctx_name);
        if (r < 0)
            return r;
        if (!ctx_name || !*ctx_name)
            return cfg_fail(x, "current-context", "not set (and no context was asked for)");
        ref = "current-context";
    }
    r = cfg_find(x, root, "contexts", "context", ctx_name, ref, &ctx, &idx);
    if (r < 0)
        return r;
    snprintf(prefix, sizeof(prefix), "contexts[%zu].context", idx);
    r = get_str(x, ctx, prefix, "cluster", &cluster);
    if (r >= 0)
        r = get_str(x, ctx, prefix, "user", &user);
    if (r >= 0)
        r = get_str(x, ctx, prefix, "namespace", &ns);
    if (r < 0)
        return r;
    snprintf(field, sizeof(field), "%s.cluster", prefix);
    if (!cluster || !*cluster)
        return cfg_fail(x, field, "required");
    r = cfg_find(x, root, "clusters", "cluster", cluster, field, &cl, &cidx);
    if (r < 0)
        return r;
    if (!cl)
        return cfg_fail(x, NULL, "clusters[%zu].cluster.server: required", cidx);
    r = cfg_cluster(x, cl, cidx, c);
    if (r < 0)
        return r;
    if (user && *user) {
        snprintf(field, sizeof(field), "%s.user", prefix);
        r = cfg_find(x, root, "users", "user", user, field, &u, &uidx);
        if (r < 0)
            return r;
        r = u ? cfg_user(x, u, uidx, c) : 0;
        if (r < 0)
            return r;
    }
    return cfg_strdup(ns && *ns ? ns : "default", &c->namespace_);
}

int kube_config_parse(const char *text,
                      size_t len,
                      const char *path,
                      const char *context,
                      struct kube_config **ret,
                      char **ret_error)
{
    _cleanup_(kube_config_freep) struct kube_config *c = NULL;
    _cleanup_json_ json_t *root = NULL;
    _cleanup_free_ char *dir_copy = NULL;
    struct yamljson_error yerr = {0};
    struct cfg_ctx x = {.path = path ? path : "<kubeconfig>", .ret_error = ret_error};
    const char *kind;
    int r;

    assert_return(text || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    if (path && strchr(path, '/')) {
        dir_copy = strdup(path);
        if (!dir_copy)
            return -ENOMEM;
        x.dir = dirname(dir_copy);
    }

    r = yamljson_parse(text ? text : "", len, &root, &yerr);
    if (r == -ENOMEM)
        return r;
    if (r == -ENODATA)
        return cfg_fail(&x, NULL, "empty kubeconfig");
    if (r == -E2BIG)
        return cfg_fail(&x, NULL, "more than one YAML document");
    if (r < 0)
        return cfg_fail(&x, NULL, "line %d column %d: %s", yerr.line, yerr.column, yerr.message);
    if (!json_is_object(root))
        return cfg_fail(&x, NULL, "not a kubeconfig (the document is not a mapping)");
    r = get_str(&x, root, "", "kind", &kind);
    if (r < 0)
        return r;
    if (kind && strcmp(kind, "Config") != 0)
        return cfg_fail(&x, "kind", "must be Config");

    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    r = cfg_context(&x, root, context, c);
    if (r < 0)
        return r;
    r = cfg_strdup(x.path, &c->source);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(c);
    return 0;
}
