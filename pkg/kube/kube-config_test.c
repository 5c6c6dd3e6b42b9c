/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: the kubeconfig table (every field, data against file,
 * contexts, namespaces, exec), one error case per field checking the exact
 * one-line message, in-cluster configuration from a temporary directory,
 * the search order of kube_config_load, and the helpers underneath (base64,
 * RFC 3339, tokens).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube-internal.h"
#include "kube/kube-test.h"

static char test_dir[] = "/tmp/kube-config-test.XXXXXX";
static char *ca64, *key64, *cert64, *txt64;

static const char *const *subst_pairs(void)
{
    static const char *pairs[11];
    pairs[0] = "@DIR@";
    pairs[1] = test_dir;
    pairs[2] = "@CA64@";
    pairs[3] = ca64;
    pairs[4] = "@KEY64@";
    pairs[5] = key64;
    pairs[6] = "@CERT64@";
    pairs[7] = cert64;
    pairs[8] = "@TXT64@";
    pairs[9] = txt64;
    pairs[10] = NULL;
    return pairs;
}

static char *subst(const char *tmpl)
{
    return tmpl ? test_subst(tmpl, subst_pairs()) : NULL;
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(test_dir))
        return -1;
    ca64 = test_base64(test_cert_pem);
    cert64 = test_base64(test_cert_pem);
    key64 = test_base64(test_key_pem);
    txt64 = test_base64("hello, not PEM\n");
    test_write_file(test_dir, "ca.crt", test_cert_pem, 0644);
    test_write_file(test_dir, "client.crt", test_cert_pem, 0644);
    test_write_file(test_dir, "client.key", test_key_pem, 0600);
    test_write_file(test_dir, "notpem.txt", "hello\n", 0644);
    test_write_file(test_dir, "tok", "file-token\n", 0600);
    test_write_file(test_dir, "empty-tok", " \n", 0600);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_rf(test_dir);
    free(ca64);
    free(cert64);
    free(key64);
    free(txt64);
    return 0;
}

/* ---------------------------------------------------------------- the table */

struct cfg_want {
    const char *server;
    bool ca; /* ca_pem is the test certificate */
    bool insecure;
    const char *sni;
    bool client_cert; /* cert_pem/key_pem are the test pair */
    const char *token;
    const char *token_file;
    const char *exec_command;
    const char *exec_args; /* JSON */
    const char *exec_env;  /* JSON */
    const char *exec_api_version;
    const char *ns;
};

struct cfg_case {
    const char *name;
    const char *text;
    const char *context;
    struct cfg_want want;
};

#define CL(x)   "clusters: [{name: c, cluster: {server: 'https://k.example:6443'" x "}}]\n"
#define US(x)   "users: [{name: u, user: {" x "}}]\n"
#define CTX(x)  "contexts: [{name: x, context: {cluster: c" x "}}]\ncurrent-context: x\n"
#define CTXU(x) "contexts: [{name: x, context: {cluster: c, user: u" x "}}]\ncurrent-context: x\n"
#define SRV     "https://k.example:6443"

static const struct cfg_case cfg_cases[] = {
        {"block style, as anvil-apiserver writes it",
         "apiVersion: v1\nkind: Config\nclusters:\n- name: anvil\n  cluster:\n"
         "    server: \"http://127.0.0.1:6443\"\nusers:\n- name: anvil\n  user: {}\n"
         "contexts:\n- name: anvil\n  context:\n    cluster: anvil\n    user: anvil\n"
         "    namespace: tink\ncurrent-context: anvil\n",
         NULL,
         {.server = "http://127.0.0.1:6443", .ns = "tink"}},
        {"minimal, namespace defaults", CL("") CTX(""), NULL, {.server = SRV, .ns = "default"}},
        {"trailing slashes stripped",
         "clusters: [{name: c, cluster: {server: 'https://k.example:6443/prefix//'}}]\n" CTX(""),
         NULL,
         {.server = "https://k.example:6443/prefix", .ns = "default"}},
        {"JSON is YAML",
         "{\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"" SRV "\"}}],"
         "\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\"}}],\"current-context\":"
         "\"x\"}",
         NULL,
         {.server = SRV, .ns = "default"}},
        {"certificate-authority-data",
         CL(", certificate-authority-data: @CA64@") CTX(""),
         NULL,
         {.server = SRV, .ca = true, .ns = "default"}},
        {"certificate-authority relative to the kubeconfig",
         CL(", certificate-authority: ca.crt") CTX(""),
         NULL,
         {.server = SRV, .ca = true, .ns = "default"}},
        {"certificate-authority absolute",
         CL(", certificate-authority: '@DIR@/ca.crt'") CTX(""),
         NULL,
         {.server = SRV, .ca = true, .ns = "default"}},
        {"data wins over a missing file",
         CL(", certificate-authority: nope.crt, certificate-authority-data: @CA64@") CTX(""),
         NULL,
         {.server = SRV, .ca = true, .ns = "default"}},
        {"empty data means unset",
         CL(", certificate-authority-data: ''") CTX(""),
         NULL,
         {.server = SRV, .ns = "default"}},
        {"insecure-skip-tls-verify and tls-server-name",
         CL(", insecure-skip-tls-verify: true, tls-server-name: api.internal") CTX(""),
         NULL,
         {.server = SRV, .insecure = true, .sni = "api.internal", .ns = "default"}},
        {"insecure false",
         CL(", insecure-skip-tls-verify: false") CTX(""),
         NULL,
         {.server = SRV, .ns = "default"}},
        {"client certificate and key data",
         CL("") US("client-certificate-data: @CERT64@, client-key-data: @KEY64@") CTXU(""),
         NULL,
         {.server = SRV, .client_cert = true, .ns = "default"}},
        {"client certificate and key files",
         CL("") US("client-certificate: client.crt, client-key: '@DIR@/client.key'") CTXU(""),
         NULL,
         {.server = SRV, .client_cert = true, .ns = "default"}},
        {"token",
         CL("") US("token: abc.def-123") CTXU(""),
         NULL,
         {.server = SRV, .token = "abc.def-123", .ns = "default"}},
        {"tokenFile read and kept for rotation",
         CL("") US("tokenFile: tok") CTXU(""),
         NULL,
         {.server = SRV, .token = "file-token", .token_file = "@DIR@/tok", .ns = "default"}},
        {"token wins over tokenFile (re-read later)",
         CL("") US("token: static, tokenFile: '@DIR@/tok'") CTXU(""),
         NULL,
         {.server = SRV, .token = "static", .token_file = "@DIR@/tok", .ns = "default"}},
        {"exec v1 with args and env",
         CL("") US("exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin, "
                   "args: [get-token, --x], env: [{name: A, value: '1'}], interactiveMode: Never, "
                   "installHint: 'see docs', provideClusterInfo: false}") CTXU(""),
         NULL,
         {.server = SRV,
          .exec_command = "@DIR@/./bin/plugin",
          .exec_args = "[\"get-token\",\"--x\"]",
          .exec_env = "[{\"name\":\"A\",\"value\":\"1\"}]",
          .exec_api_version = "client.authentication.k8s.io/v1",
          .ns = "default"}},
        {"exec v1beta1, command from $PATH",
         CL("") US("exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, "
                   "interactiveMode: IfAvailable}") CTXU(""),
         NULL,
         {.server = SRV,
          .exec_command = "aws",
          .exec_api_version = "client.authentication.k8s.io/v1beta1",
          .ns = "default"}},
        {"context namespace",
         CL("") CTX(", namespace: tink-system"),
         NULL,
         {.server = SRV, .ns = "tink-system"}},
        {"context without user",
         CL("") "contexts: [{name: x, context: {cluster: c}}]\n"
                "current-context: x\n",
         NULL,
         {.server = SRV, .ns = "default"}},
        {"null user",
         CL("") "users: [{name: u, user: null}]\n" CTXU(""),
         NULL,
         {.server = SRV, .ns = "default"}},
        {"current-context picks among several",
         "clusters: [{name: a, cluster: {server: 'https://a:1'}}, "
         "{name: b, cluster: {server: 'https://b:2'}}]\n"
         "users: [{name: ua, user: {token: ta}}, {name: ub, user: {token: tb}}]\n"
         "contexts: [{name: ca, context: {cluster: a, user: ua, namespace: na}}, "
         "{name: cb, context: {cluster: b, user: ub, namespace: nb}}]\ncurrent-context: cb\n",
         NULL,
         {.server = "https://b:2", .token = "tb", .ns = "nb"}},
        {"an explicit context wins over current-context",
         "clusters: [{name: a, cluster: {server: 'https://a:1'}}, "
         "{name: b, cluster: {server: 'https://b:2'}}]\n"
         "users: [{name: ua, user: {token: ta}}, {name: ub, user: {token: tb}}]\n"
         "contexts: [{name: ca, context: {cluster: a, user: ua, namespace: na}}, "
         "{name: cb, context: {cluster: b, user: ub, namespace: nb}}]\ncurrent-context: cb\n",
         "ca",
         {.server = "https://a:1", .token = "ta", .ns = "na"}},
        {"explicit context without current-context",
         CL("") "contexts: [{name: only, context: {cluster: c}}]\n",
         "only",
         {.server = SRV, .ns = "default"}},
        {"a name defined twice: the last one",
         "clusters: [{name: c, cluster: {server: 'https://first:1'}}, "
         "{name: c, cluster: {server: 'https://second:2'}}]\n" CTX(""),
         NULL,
         {.server = "https://second:2", .ns = "default"}},
        {"unused entries are not decoded",
         CL("") "users: [{name: u, user: {}}, {name: other, user: {client-key-data: '!!'}}]\n"
                "  \n" CTXU(""),
         NULL,
         {.server = SRV, .ns = "default"}},
};

static void check_str(const char *field, const char *got, const char *want_tmpl)
{
    char *want = subst(want_tmpl);
    if (!want != !got || (want && strcmp(got, want) != 0))
        fail_msg("%s: got '%s' want '%s'", field, got ? got : "(null)", want ? want : "(null)");
    free(want);
}

static void check_json(const char *field, const json_t *got, const char *want)
{
    json_t *w = want ? json_loads(want, 0, NULL) : NULL;
    if (!w != !got || (w && !json_equal(got, w)))
        fail_msg("%s differs", field);
    json_decref(w);
}

static void test_config_parse_table(void **state)
{
    char path[4200];

    (void)state;
    snprintf(path, sizeof(path), "%s/config", test_dir);
    for (size_t i = 0; i < ARRAY_SIZE(cfg_cases); i++) {
        const struct cfg_case *t = &cfg_cases[i];
        const struct cfg_want *w = &t->want;
        char *text = subst(t->text), *err = NULL;
        struct kube_config *c = NULL;
        int r = kube_config_parse(text, strlen(text), path, t->context, &c, &err);
        if (r != 0)
            fail_msg("%s: %d %s", t->name, r, err ? err : "");
        assert_null(err);
        check_str("server", c->server, w->server);
        check_str("ca", c->ca_pem, w->ca ? test_cert_pem : NULL);
        assert_int_equal(c->insecure, w->insecure);
        check_str("tls_server_name", c->tls_server_name, w->sni);
        check_str("cert", c->cert_pem, w->client_cert ? test_cert_pem : NULL);
        check_str("key", c->key_pem, w->client_cert ? test_key_pem : NULL);
        check_str("token", c->token, w->token);
        check_str("token_file", c->token_file, w->token_file);
        check_str("exec_command", c->exec_command, w->exec_command);
        check_json("exec_args", c->exec_args, w->exec_args);
        check_json("exec_env", c->exec_env, w->exec_env);
        check_str("exec_api_version", c->exec_api_version, w->exec_api_version);
        check_str("namespace", c->namespace_, w->ns);
        check_str("source", c->source, path);
        kube_config_free(c);
        free(text);
    }
}

/* ---------------------------------------------------------------- errors */

struct err_case {
    const char *text;
    const char *context;
    const char *message; /* after "<path>: "; a trailing '*' matches a prefix */
};

static const struct err_case err_cases[] = {
        {"clusters: [", NULL, "line *"},
        {"", NULL, "empty kubeconfig"},
        {"# only a comment\n", NULL, "empty kubeconfig"},
        {"[1, 2]", NULL, "not a kubeconfig (the document is not a mapping)"},
        {"a: 1\n---\nb: 2\n", NULL, "more than one YAML document"},
        {"kind: Pod\n", NULL, "kind: must be Config"},
        {"kind: 5\n", NULL, "kind: must be a string"},
        {CL(""), NULL, "current-context: not set (and no context was asked for)"},
        {CL("") "current-context: ''\n", NULL,
         "current-context: not set (and no context was asked for)"},
        {CL("") "current-context: [x]\n", NULL, "current-context: must be a string"},
        {CL("") CTX("") "\n", "other", "contexts: no context named \"other\""},
        {CL("") "contexts: []\ncurrent-context: nope\n", NULL,
         "current-context: no context named \"nope\""},
        {CL("") "contexts: []\ncurrent-context: \"a\\nb\\tc\"\n", NULL,
         "current-context: no context named \"a?b?c\""},
        {CL("") "contexts: []\ncurrent-context: "
                "n0123456789012345678901234567890123456789012345678901234567890123456789\n",
         NULL,
         "current-context: no context named "
         "\"n012345678901234567890123456789012345678901234567890123456789012...\""},
        {CL("") "contexts: 5\ncurrent-context: x\n", NULL, "contexts: must be a list"},
        {CL("") "contexts: [5]\ncurrent-context: x\n", NULL, "contexts[0]: must be a mapping"},
        {CL("") "contexts: [{name: 5}]\ncurrent-context: x\n", NULL,
         "contexts[0].name: must be a string"},
        {CL("") "contexts: [{name: x, context: 5}]\ncurrent-context: x\n", NULL,
         "contexts[0].context: must be a mapping"},
        {CL("") "contexts: [{name: x, context: {user: u}}]\ncurrent-context: x\n", NULL,
         "contexts[0].context.cluster: required"},
        {CL("") "contexts: [{name: y}, {name: x, context: {cluster: zz}}]\ncurrent-context: x\n",
         NULL, "contexts[1].context.cluster: no cluster named \"zz\""},
        {CL("") "contexts: [{name: x, context: {cluster: c, user: zz}}]\ncurrent-context: x\n",
         NULL, "contexts[0].context.user: no user named \"zz\""},
        {CL("") "contexts: [{name: x, context: {cluster: c, user: [u]}}]\ncurrent-context: x\n",
         NULL, "contexts[0].context.user: must be a string"},
        {CL("") CTX(", namespace: [a]"), NULL, "contexts[0].context.namespace: must be a string"},
        {"clusters: 5\n" CTX(""), NULL, "clusters: must be a list"},
        {"clusters: [{name: c}]\n" CTX(""), NULL, "clusters[0].cluster.server: required"},
        {"clusters: [{name: c, cluster: []}]\n" CTX(""), NULL,
         "clusters[0].cluster: must be a mapping"},
        {"clusters: [{name: b, cluster: {server: 'https://b:1'}}, {name: c, cluster: {}}]\n" CTX(
                 ""),
         NULL, "clusters[1].cluster.server: required"},
        {"clusters: [{name: c, cluster: {server: 5}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: must be a string"},
        {"clusters: [{name: c, cluster: {server: 'not a url'}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: not a URL"},
        {"clusters: [{name: c, cluster: {server: 'ftp://k:21'}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: scheme must be https or http"},
        {"clusters: [{name: c, cluster: {server: 'https:/k.example:6443'}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: not a URL"},
        {"clusters: [{name: c, cluster: {server: 'k.example:6443'}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: not a URL"},
        {"clusters: [{name: c, cluster: {server: 'https://'}}]\n" CTX(""), NULL,
         "clusters[0].cluster.server: not a URL"},
        {CL(", certificate-authority-data: 'not*base64'") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority-data: invalid base64"},
        {CL(", certificate-authority-data: 'aGVsbG8'") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority-data: invalid base64"},
        {CL(", certificate-authority-data: 5") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority-data: must be a string"},
        {CL(", certificate-authority-data: @TXT64@") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority-data: no PEM certificate"},
        {CL(", certificate-authority: missing.crt") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority: @DIR@/missing.crt: No such file or directory"},
        {CL(", certificate-authority: '@DIR@'") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority: @DIR@: Is a directory"},
        {CL(", certificate-authority: notpem.txt") CTX(""), NULL,
         "clusters[0].cluster.certificate-authority: no PEM certificate"},
        {CL(", insecure-skip-tls-verify: true, certificate-authority-data: @CA64@") CTX(""), NULL,
         "clusters[0].cluster.insecure-skip-tls-verify: cannot be combined with a "
         "certificate-authority"},
        {CL(", insecure-skip-tls-verify: 'true'") CTX(""), NULL,
         "clusters[0].cluster.insecure-skip-tls-verify: must be true or false"},
        {CL(", tls-server-name: 5") CTX(""), NULL,
         "clusters[0].cluster.tls-server-name: must be a string"},
        {CL("") "users: {}\n" CTXU(""), NULL, "users: must be a list"},
        {CL("") "users: [{name: u, user: 5}]\n" CTXU(""), NULL, "users[0].user: must be a mapping"},
        {CL("") US("client-certificate-data: @CERT64@, client-key-data: 'bad!'") CTXU(""), NULL,
         "users[0].user.client-key-data: invalid base64"},
        {CL("") US("client-certificate-data: @TXT64@, client-key-data: @KEY64@") CTXU(""), NULL,
         "users[0].user.client-certificate-data: no PEM certificate"},
        {CL("") US("client-certificate-data: @CERT64@, client-key-data: @CERT64@") CTXU(""), NULL,
         "users[0].user.client-key-data: no PEM private key"},
        {CL("") US("client-certificate-data: @CERT64@") CTXU(""), NULL,
         "users[0].user.client-key: required with client-certificate"},
        {CL("") US("client-key: client.key") CTXU(""), NULL,
         "users[0].user.client-certificate: required with client-key"},
        {CL("") US("client-certificate: nope.crt, client-key: client.key") CTXU(""), NULL,
         "users[0].user.client-certificate: @DIR@/nope.crt: No such file or directory"},
        {CL("") US("client-certificate: client.crt, client-key: notpem.txt") CTXU(""), NULL,
         "users[0].user.client-key: no PEM private key"},
        {CL("") US("token: 'a b'") CTXU(""), NULL,
         "users[0].user.token: not a usable bearer token"},
        {CL("") US("token: \"a\\nb\"") CTXU(""), NULL,
         "users[0].user.token: not a usable bearer token"},
        {CL("") US("token: 5") CTXU(""), NULL, "users[0].user.token: must be a string"},
        {CL("") US("tokenFile: nope") CTXU(""), NULL,
         "users[0].user.tokenFile: @DIR@/nope: No such file or directory"},
        {CL("") US("tokenFile: empty-tok") CTXU(""), NULL,
         "users[0].user.tokenFile: @DIR@/empty-tok: not a usable bearer token"},
        {CL("") US("exec: 5") CTXU(""), NULL, "users[0].user.exec: must be a mapping"},
        {CL("") US("exec: {apiVersion: client.authentication.k8s.io/v1}") CTXU(""), NULL,
         "users[0].user.exec.command: required"},
        {CL("") US("exec: {command: p}") CTXU(""), NULL,
         "users[0].user.exec.apiVersion: must be client.authentication.k8s.io/v1 or /v1beta1"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1alpha1}")
                 CTXU(""),
         NULL,
         "users[0].user.exec.apiVersion: must be client.authentication.k8s.io/v1 or /v1beta1"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, args: x}")
                 CTXU(""),
         NULL, "users[0].user.exec.args: must be a list"},
        {CL("") US(
                 "exec: {command: p, apiVersion: client.authentication.k8s.io/v1, args: [a, [b]]}")
                 CTXU(""),
         NULL, "users[0].user.exec.args[1]: must be a string"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, env: x}")
                 CTXU(""),
         NULL, "users[0].user.exec.env: must be a list"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, env: [5]}")
                 CTXU(""),
         NULL, "users[0].user.exec.env[0]: must be a mapping"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, "
                   "env: [{value: v}]}") CTXU(""),
         NULL, "users[0].user.exec.env[0].name: must be a variable name"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, "
                   "env: [{name: 'A=B', value: v}]}") CTXU(""),
         NULL, "users[0].user.exec.env[0].name: must be a variable name"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, "
                   "env: [{name: A, value: 5}]}") CTXU(""),
         NULL, "users[0].user.exec.env[0].value: must be a string"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, "
                   "interactiveMode: Always}") CTXU(""),
         NULL, "users[0].user.exec.interactiveMode: Always is not supported (no terminal)"},
        {CL("") US("exec: {command: p, apiVersion: client.authentication.k8s.io/v1, "
                   "interactiveMode: Sometimes}") CTXU(""),
         NULL, "users[0].user.exec.interactiveMode: must be Never, IfAvailable or Always"},
        {CL("") US("token: t, exec: {command: p, apiVersion: client.authentication.k8s.io/v1}")
                 CTXU(""),
         NULL, "users[0].user.exec: cannot be combined with token or tokenFile"},
        {CL("") US("auth-provider: {name: oidc}") CTXU(""), NULL,
         "users[0].user.auth-provider: not supported (use exec)"},
        {CL("") US("username: admin, password: secret") CTXU(""), NULL,
         "users[0].user.username: basic authentication is not supported"},
};

static void test_config_parse_errors_name_the_field(void **state)
{
    char path[4200];

    (void)state;
    snprintf(path, sizeof(path), "%s/config", test_dir);
    for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++) {
        const struct err_case *t = &err_cases[i];
        char *text = subst(t->text), *want = subst(t->message), *err = NULL;
        struct kube_config *c = (struct kube_config *)&c; /* must stay untouched */
        int r = kube_config_parse(text, strlen(text), path, t->context, &c, &err);
        size_t plen = strlen(path);
        if (r != -EINVAL || !err)
            fail_msg("case %zu (%s): ret %d", i, t->message, r);
        assert_ptr_equal(c, &c);
        if (strncmp(err, path, plen) != 0 || strncmp(err + plen, ": ", 2) != 0)
            fail_msg("case %zu: no file name in '%s'", i, err);
        size_t wl = strlen(want);
        bool prefix = wl > 0 && want[wl - 1] == '*';
        if (prefix ? strncmp(err + plen + 2, want, wl - 1) != 0 : strcmp(err + plen + 2, want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, err + plen + 2, want);
        assert_null(strchr(err, '\n'));
        /* ret_error may be NULL. */
        assert_int_equal(kube_config_parse(text, strlen(text), path, t->context, &c, NULL),
                         -EINVAL);
        free(err);
        free(text);
        free(want);
    }
}

static void test_config_parse_without_path(void **state)
{
    const char text[] = CL(", certificate-authority: missing.crt") CTX("") "garbage after len";
    struct kube_config *c = NULL;
    char *err = NULL;

    (void)state;
    /* Only len bytes count; files resolve against the working directory. */
    assert_int_equal(kube_config_parse(text, strlen(text) - strlen("garbage after len"), NULL, NULL,
                                       &c, &err),
                     -EINVAL);
    assert_string_equal(err, "<kubeconfig>: clusters[0].cluster.certificate-authority: "
                             "missing.crt: No such file or directory");
    free(err);
    assert_int_equal(kube_config_parse(NULL, 0, NULL, NULL, &c, NULL), -EINVAL);
    assert_int_equal(kube_config_parse(text, 10, NULL, NULL, NULL, NULL), -EINVAL);
    assert_null(kube_config_free(NULL));
}

/* ---------------------------------------------------------------- in-cluster */

static void set_service_env(const char *host, const char *port)
{
    if (host)
        setenv("KUBERNETES_SERVICE_HOST", host, 1);
    else
        unsetenv("KUBERNETES_SERVICE_HOST");
    if (port)
        setenv("KUBERNETES_SERVICE_PORT", port, 1);
    else
        unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_config_incluster_from_dir(void **state)
{
    char root[4200], *err = NULL, want_tf[4300];
    struct kube_config *c = NULL;

    (void)state;
    snprintf(root, sizeof(root), "%s/sa", test_dir);
    assert_int_equal(mkdir(root, 0755), 0);
    test_write_file(root, "token", "sa-token-1\n", 0600);
    test_write_file(root, "ca.crt", test_cert_pem, 0644);
    test_write_file(root, "namespace", "tink-system\n", 0644);
    unsetenv("POD_NAMESPACE");

    set_service_env("10.96.0.1", "443");
    assert_int_equal(kube_config_incluster(root, &c, &err), 0);
    assert_null(err);
    assert_string_equal(c->server, "https://10.96.0.1:443");
    assert_string_equal(c->token, "sa-token-1");
    snprintf(want_tf, sizeof(want_tf), "%s/token", root);
    assert_string_equal(c->token_file, want_tf);
    assert_string_equal(c->ca_pem, test_cert_pem);
    assert_string_equal(c->namespace_, "tink-system");
    assert_string_equal(c->source, "in-cluster");
    assert_false(c->insecure);
    c = kube_config_free(c);

    /* IPv6 service addresses are bracketed (net.JoinHostPort). */
    set_service_env("fd00:10:96::1", "6443");
    assert_int_equal(kube_config_incluster(root, &c, &err), 0);
    assert_string_equal(c->server, "https://[fd00:10:96::1]:6443");
    c = kube_config_free(c);

    /* $POD_NAMESPACE first; no namespace file means "default"; no CA
     * file means the system roots. */
    setenv("POD_NAMESPACE", "from-env", 1);
    assert_int_equal(kube_config_incluster(root, &c, &err), 0);
    assert_string_equal(c->namespace_, "from-env");
    c = kube_config_free(c);
    unsetenv("POD_NAMESPACE");
    test_write_file(root, "namespace", "", 0644);
    assert_int_equal(unlink(strcat(strcpy(want_tf, root), "/ca.crt")), 0);
    assert_int_equal(kube_config_incluster(root, &c, &err), 0);
    assert_string_equal(c->namespace_, "default");
    assert_null(c->ca_pem);
    c = kube_config_free(c);
    test_rm_rf(root);
}

struct incluster_err_case {
    const char *host, *port;
    bool token, bad_token, bad_ca;
    int ret;
    const char *message; /* with @ROOT@ */
};

static void test_config_incluster_errors(void **state)
{
    const struct incluster_err_case cases[] = {
            {NULL, "443", true, false, false, -ENOENT,
             "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"},
            {"10.0.0.1", NULL, true, false, false, -ENOENT,
             "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"},
            {"", "443", true, false, false, -ENOENT,
             "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"},
            {"10.0.0.1", "https", true, false, false, -EINVAL,
             "in-cluster: KUBERNETES_SERVICE_PORT: not a port"},
            {"10.0.0.1", "70000", true, false, false, -EINVAL,
             "in-cluster: KUBERNETES_SERVICE_PORT: not a port"},
            {"10.0.0.1/x", "443", true, false, false, -EINVAL,
             "in-cluster: KUBERNETES_SERVICE_HOST: not a host"},
            {"10.0.0.1", "443", false, false, false, -EINVAL,
             "in-cluster: @ROOT@/token: No such file or directory"},
            {"10.0.0.1", "443", true, true, false, -EINVAL,
             "in-cluster: @ROOT@/token: not a usable bearer token"},
            {"10.0.0.1", "443", true, false, true, -EINVAL,
             "in-cluster: @ROOT@/ca.crt: no PEM certificate"},
    };
    char root[4200];

    (void)state;
    snprintf(root, sizeof(root), "%s/sa-err", test_dir);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct incluster_err_case *t = &cases[i];
        const char *pairs[] = {"@ROOT@", root, NULL};
        struct kube_config *c = (struct kube_config *)&c;
        char *err = NULL, *want = test_subst(t->message, pairs);

        assert_int_equal(mkdir(root, 0755), 0);
        if (t->token)
            test_write_file(root, "token", t->bad_token ? "a b\n" : "tok\n", 0600);
        if (t->bad_ca)
            test_write_file(root, "ca.crt", "garbage", 0644);
        set_service_env(t->host, t->port);
        assert_int_equal(kube_config_incluster(root, &c, &err), t->ret);
        assert_ptr_equal(c, &c);
        assert_non_null(err);
        assert_string_equal(err, want);
        free(err);
        free(want);
        test_rm_rf(root);
    }
    set_service_env(NULL, NULL);
}

/* ---------------------------------------------------------------- load */

static void test_config_load_search_order(void **state)
{
    char path[4200], other[4200], home[4200], env[9000], *err = NULL;
    const char *pairs[] = {"@S@", "https://second:2", NULL};
    char *second = test_subst("clusters: [{name: c, cluster: {server: '@S@'}}]\n" CTX(""), pairs);
    struct kube_config *c = NULL;

    (void)state;
    set_service_env(NULL, NULL);
    snprintf(path, sizeof(path), "%s/config", test_dir);
    snprintf(other, sizeof(other), "%s/config2", test_dir);
    test_write_file(test_dir, "config", CL("") CTX(""), 0600);
    test_write_file(test_dir, "config2", second, 0600);
    free(second);

    /* --kubeconfig first, with a context. */
    assert_int_equal(kube_config_load(&(struct kube_config_opts){.kubeconfig = path}, &c, &err), 0);
    assert_string_equal(c->server, SRV);
    assert_string_equal(c->source, path);
    c = kube_config_free(c);
    assert_int_equal(
            kube_config_load(&(struct kube_config_opts){.kubeconfig = path, .context = "nope"}, &c,
                             &err),
            -EINVAL);
    free(err);
    err = NULL;

    /* A --kubeconfig that does not exist is an error, not a fallback. */
    snprintf(env, sizeof(env), "%s/absent", test_dir);
    assert_int_equal(kube_config_load(&(struct kube_config_opts){.kubeconfig = env}, &c, &err),
                     -ENOENT);
    assert_non_null(strstr(err, "absent: No such file or directory"));
    free(err);
    err = NULL;

    /* $KUBECONFIG: the first file of the list that exists. */
    snprintf(env, sizeof(env), "%s/absent::%s:%s", test_dir, other, path);
    setenv("KUBECONFIG", env, 1);
    assert_int_equal(kube_config_load(NULL, &c, &err), 0);
    assert_string_equal(c->server, "https://second:2");
    c = kube_config_free(c);

    /* Then ~/.kube/config. */
    snprintf(env, sizeof(env), "%s/absent", test_dir);
    setenv("KUBECONFIG", env, 1);
    snprintf(home, sizeof(home), "%s/home", test_dir);
    assert_int_equal(mkdir(home, 0755), 0);
    strcat(home, "/.kube");
    assert_int_equal(mkdir(home, 0755), 0);
    test_write_file(home, "config", CL("") CTX(", namespace: from-home"), 0600);
    home[strlen(home) - strlen("/.kube")] = '\0';
    setenv("HOME", home, 1);
    assert_int_equal(kube_config_load(NULL, &c, &err), 0);
    assert_string_equal(c->namespace_, "from-home");
    c = kube_config_free(c);

    /* Nothing anywhere. */
    unsetenv("KUBECONFIG");
    setenv("HOME", test_dir, 1);
    assert_int_equal(kube_config_load(NULL, &c, &err), -ENOENT);
    assert_non_null(strstr(err, "no Kubernetes configuration"));
    free(err);
    err = NULL;

    /* In a pod without its service account, the in-cluster error tells
     * what is missing. */
    set_service_env("10.0.0.1", "443");
    assert_int_equal(kube_config_load(NULL, &c, &err), -EINVAL);
    assert_non_null(strstr(err, "in-cluster: " KUBE_INCLUSTER_ROOT "/token"));
    free(err);
    set_service_env(NULL, NULL);
    test_rm_rf(home);
}

/* ---------------------------------------------------------------- helpers */

static void test_base64_decode_table(void **state)
{
    const struct {
        const char *in;
        int ret;
        const char *out;
    } cases[] = {
            {"aGVsbG8=", 0, "hello"},    {"aGVs\nbG8=", 0, "hello"},
            {"aGVs bG8=", 0, "hello"},   {"", 0, ""},
            {"aGVsbG8", -EBADMSG, NULL}, {"aGVsbG8==", -EBADMSG, NULL},
            {"a*Vs", -EBADMSG, NULL},    {"YQ==YQ==", -EBADMSG, NULL},
            {"=abc", -EBADMSG, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *out = NULL;
        size_t len = 99;
        int r = kube_base64_decode(cases[i].in, strlen(cases[i].in), &out, &len);
        if (r != cases[i].ret)
            fail_msg("'%s': %d", cases[i].in, r);
        if (r == 0) {
            assert_string_equal(out, cases[i].out);
            assert_int_equal(len, strlen(cases[i].out));
        } else
            assert_null(out);
        free(out);
    }
}

static void test_time_parse_rfc3339_table(void **state)
{
    const struct {
        const char *in;
        int ret;
        int64_t unix_s;
    } cases[] = {
            {"1970-01-01T00:00:00Z", 0, 0},
            {"2026-11-21T05:23:01Z", 0, 1795238581},
            {"2026-11-21T05:23:01.123456Z", 0, 1795238581},
            {"2026-11-21T07:23:01+02:00", 0, 1795238581},
            {"2026-11-21T00:23:01-05:00", 0, 1795238581},
            {"2026-11-21t05:23:01z", 0, 1795238581},
            {"2026-11-21 05:23:01Z", 0, 1795238581},
            {"2026-11-21T05:23:01", -EINVAL, 0},
            {"2026-11-21T05:23Z", -EINVAL, 0},
            {"2026-13-21T05:23:01Z", -EINVAL, 0},
            {"2026-11-21T25:23:01Z", -EINVAL, 0},
            {"2026-11-21T05:23:01.Z", -EINVAL, 0},
            {"2026-11-21T05:23:01+0200", -EINVAL, 0},
            {"2026-11-21T05:23:01Zjunk", -EINVAL, 0},
            {"", -EINVAL, 0},
            {"tomorrow", -EINVAL, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t t = -1;
        int r = kube_time_parse_rfc3339(cases[i].in, &t);
        if (r != cases[i].ret || (r == 0 && t != cases[i].unix_s))
            fail_msg("'%s': %d %lld", cases[i].in, r, (long long)t);
        if (r < 0)
            assert_int_equal(t, -1);
    }
}

static void test_token_valid_table(void **state)
{
    (void)state;
    assert_true(kube_token_valid("abc.DEF-123_~+/="));
    assert_false(kube_token_valid(""));
    assert_false(kube_token_valid(NULL));
    assert_false(kube_token_valid("a b"));
    assert_false(kube_token_valid("a\r\nX-Evil: 1"));
    assert_false(kube_token_valid("caf\xc3\xa9"));
    assert_false(kube_token_valid("tab\t"));
}

static void test_read_file_limits(void **state)
{
    char path[4200], *text = NULL;
    size_t len = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/tok", test_dir);
    assert_int_equal(kube_read_file(path, 5, &text, &len), -E2BIG);
    assert_null(text);
    assert_int_equal(kube_read_file(path, 11, &text, &len), 0);
    assert_string_equal(text, "file-token\n");
    assert_int_equal(len, 11);
    free(text);
    test_write_file(test_dir, "zero", "", 0600);
    snprintf(path, sizeof(path), "%s/zero", test_dir);
    assert_int_equal(kube_read_file(path, 5, &text, &len), 0);
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    free(text);
    text = NULL;
    assert_int_equal(kube_read_file(test_dir, 5, &text, &len), -EISDIR);
    /* Devices are not configuration files (and /dev/zero would never end). */
    assert_int_equal(kube_read_file("/dev/zero", 5, &text, &len), -ENOTSUP);
    assert_null(text);
    /* A pipe is read, as kubectl reads --kubeconfig <(...). */
    int fds[2];
    char fdpath[64];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "piped", 5), 5);
    close(fds[1]);
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fds[0]);
    assert_int_equal(kube_read_file(fdpath, 5, &text, &len), 0);
    assert_string_equal(text, "piped");
    free(text);
    close(fds[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config_parse_table),
            cmocka_unit_test(test_config_parse_errors_name_the_field),
            cmocka_unit_test(test_config_parse_without_path),
            cmocka_unit_test(test_config_incluster_from_dir),
            cmocka_unit_test(test_config_incluster_errors),
            cmocka_unit_test(test_config_load_search_order),
            cmocka_unit_test(test_base64_decode_table),
            cmocka_unit_test(test_time_parse_rfc3339_table),
            cmocka_unit_test(test_token_valid_table),
            cmocka_unit_test(test_read_file_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
