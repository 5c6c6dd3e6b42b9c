/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials: ExecCredential decoding (table), running real plugin scripts
 * (arguments, environment, KUBERNETES_EXEC_INFO, failures, the output cap,
 * the deadline), and the caches of struct kube_auth on injected clocks:
 * plugin output kept until its expiry or a 401, token files re-read after
 * 60 s with the last good token kept.
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

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"
#include "kube/kube-test.h"

#define V1     "client.authentication.k8s.io/v1"
#define V1BETA "client.authentication.k8s.io/v1beta1"
#define SEC    UINT64_C(1000000000)

static char test_dir[] = "/tmp/kube-auth-test.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(test_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_rf(test_dir);
    return 0;
}

static char *dir_path(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", test_dir, name) < 0)
        abort();
    return p;
}

/* ---------------------------------------------------------------- decoding */

struct cred_case {
    const char *name;
    const char *out;
    const char *api_version;
    int ret;
    const char *token;
    bool cert;
    int64_t expiry; /* 0: none */
    const char *error;
};

#define CRED(av, status) \
    "{\"apiVersion\":\"" av "\",\"kind\":\"ExecCredential\",\"status\":" status "}"

static void test_exec_cred_parse_table(void **state)
{
    char *cert_json = NULL, *key_json = NULL, *pair = NULL;
    json_t *j;

    (void)state;
    j = json_string(test_cert_pem);
    cert_json = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    j = json_string(test_key_pem);
    key_json = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    assert_true(asprintf(&pair, CRED(V1, "{\"clientCertificateData\":%s,\"clientKeyData\":%s}"),
                         cert_json, key_json) > 0);

    const struct cred_case cases[] = {
            {"token", CRED(V1, "{\"token\":\"t1\"}"), V1, 0, "t1", false, 0, NULL},
            {"v1beta1 with expiry",
             CRED(V1BETA, "{\"token\":\"t2\",\"expirationTimestamp\":"
                          "\"2026-11-21T05:23:01Z\"}"),
             V1BETA, 0, "t2", false, 1795238581, NULL},
            {"certificate pair", pair, V1, 0, NULL, true, 0, NULL},
            {"not JSON", "token", V1, -EBADMSG, NULL, false, 0,
             "exec plugin: output is not a JSON object"},
            {"wrong kind", "{\"apiVersion\":\"" V1 "\",\"kind\":\"Pod\",\"status\":{}}", V1,
             -EBADMSG, NULL, false, 0, "exec plugin: output is not an ExecCredential"},
            {"wrong apiVersion", CRED(V1BETA, "{\"token\":\"t\"}"), V1, -EBADMSG, NULL, false, 0,
             "exec plugin: ExecCredential apiVersion does not match the kubeconfig"},
            {"no status", "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}", V1, -EBADMSG,
             NULL, false, 0, "exec plugin: ExecCredential has no status"},
            {"empty status", CRED(V1, "{}"), V1, -EBADMSG, NULL, false, 0,
             "exec plugin: status has neither token nor clientCertificateData"},
            {"token with a newline", CRED(V1, "{\"token\":\"a\\nb\"}"), V1, -EBADMSG, NULL, false,
             0, "exec plugin: status.token is not a usable token"},
            {"certificate without key", CRED(V1, "{\"clientCertificateData\":\"x\"}"), V1, -EBADMSG,
             NULL, false, 0,
             "exec plugin: status.clientCertificateData and clientKeyData go together"},
            {"certificate not PEM",
             CRED(V1, "{\"clientCertificateData\":\"x\",\"clientKeyData\":\"y\"}"), V1, -EBADMSG,
             NULL, false, 0, "exec plugin: status.clientCertificateData/clientKeyData is not PEM"},
            {"bad expiry", CRED(V1, "{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}"), V1,
             -EBADMSG, NULL, false, 0, "exec plugin: status.expirationTimestamp is not RFC 3339"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct cred_case *t = &cases[i];
        struct kube_exec_cred c = {.token = (char *)"untouched"};
        char *err = NULL;
        int r = kube_exec_cred_parse(t->out, strlen(t->out), t->api_version, &c, &err);
        if (r != t->ret)
            fail_msg("%s: %d (%s)", t->name, r, err ? err : "");
        if (r < 0) {
            assert_string_equal(c.token, "untouched");
            assert_string_equal(err, t->error);
            free(err);
            continue;
        }
        assert_null(err);
        if (t->token)
            assert_string_equal(c.token, t->token);
        else
            assert_null(c.token);
        assert_int_equal(c.cert_pem != NULL, t->cert);
        assert_int_equal(c.key_pem != NULL, t->cert);
        assert_int_equal(c.has_expiry, t->expiry != 0);
        if (t->expiry)
            assert_int_equal(c.expiry_unix, t->expiry);
        kube_exec_cred_clear(&c);
    }
    free(cert_json);
    free(key_json);
    free(pair);
}

/* ---------------------------------------------------------------- plugins */

/* Prints a token made of its first argument, $PLUGIN_VAR and a run count,
 * and saves what it was given. */
static const char plugin_script[] =
        "#!/bin/sh\n"
        "n=$(cat \"$STATE/count\" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "
        "\"$STATE/count\"\n"
        "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$STATE/info\"\n"
        "exp=''\n"
        "[ -n \"$EXPIRY\" ] && exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"\n"
        "printf "
        "'{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s-%s-%s\"%s}}"
        "'"
        " \"$API\" \"$1\" \"$PLUGIN_VAR\" \"$n\" \"$exp\"\n";

static json_t *env_list(const char *api, const char *expiry)
{
    json_t *env = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "name", "PLUGIN_VAR", "value",
                            "v", "name", "STATE", "value", test_dir, "name", "API", "value", api);
    if (expiry)
        json_array_append_new(env, json_pack("{s:s, s:s}", "name", "EXPIRY", "value", expiry));
    return env;
}

static void reset_count(void)
{
    test_write_file(test_dir, "count", "0\n", 0644);
}

static void test_exec_run_plugin(void **state)
{
    _cleanup_free_ char *cmd = dir_path("plugin.sh"), *info_path = dir_path("info");
    _cleanup_json_ json_t *args = json_pack("[s]", "argument"), *env = env_list(V1, NULL);
    struct kube_exec_spec spec = {.command = cmd, .args = args, .env = env, .api_version = V1};
    struct kube_exec_cred c = {0};
    char *err = NULL, *info = NULL;

    (void)state;
    test_write_file(test_dir, "plugin.sh", plugin_script, 0755);
    reset_count();
    setenv("PLUGIN_VAR", "overridden-by-config", 1);
    assert_int_equal(kube_exec_run(&spec, 5000, &c, &err), 0);
    assert_null(err);
    assert_string_equal(c.token, "argument-v-1");
    assert_false(c.has_expiry);
    kube_exec_cred_clear(&c);
    unsetenv("PLUGIN_VAR");

    /* KUBERNETES_EXEC_INFO: an ExecCredential request, never interactive. */
    assert_int_equal(kube_read_file(info_path, 4096, &info, NULL), 0);
    json_t *req = json_loads(info, 0, NULL);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "apiVersion")), V1);
    assert_string_equal(json_string_value(json_object_get(req, "kind")), "ExecCredential");
    assert_true(json_is_false(json_object_get(json_object_get(req, "spec"), "interactive")));
    json_decref(req);
    free(info);
}

struct run_fail_case {
    const char *name;
    const char *script; /* NULL: the command does not exist */
    long timeout_ms;
    int ret;
    const char *error_prefix;
};

static void test_exec_run_failures(void **state)
{
    const struct run_fail_case cases[] = {
            {"missing command", NULL, 5000, -EIO, "exec plugin: cannot run "},
            {"non-zero exit", "#!/bin/sh\nexit 3\n", 5000, -EIO,
             "exec plugin: @CMD@ exited with status 3"},
            {"killed", "#!/bin/sh\nkill -9 $$\n", 5000, -EIO,
             "exec plugin: @CMD@ was killed by signal 9"},
            {"not JSON", "#!/bin/sh\necho token\n", 5000, -EIO,
             "exec plugin: output is not a JSON object"},
            /* stdin is /dev/null: a plugin reading it ends at once. */
            {"reads stdin", "#!/bin/sh\ncat\n", 5000, -EIO,
             "exec plugin: output is not a JSON object"},
            {"output over the cap", "#!/bin/sh\nhead -c 3000000 /dev/zero\n", 5000, -EIO,
             "exec plugin: reading the output of @CMD@: "},
            {"deadline", "#!/bin/sh\nexec sleep 30\n", 50, -ETIMEDOUT,
             "exec plugin: @CMD@ did not finish within 50 ms"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct run_fail_case *t = &cases[i];
        _cleanup_free_ char *cmd = dir_path(t->script ? "fail.sh" : "does-not-exist");
        const char *pairs[] = {"@CMD@", cmd, NULL};
        _cleanup_free_ char *want = test_subst(t->error_prefix, pairs);
        struct kube_exec_spec spec = {.command = cmd, .api_version = V1};
        struct kube_exec_cred c = {0};
        char *err = NULL;
        int r;

        if (t->script)
            test_write_file(test_dir, "fail.sh", t->script, 0755);
        r = kube_exec_run(&spec, t->timeout_ms, &c, &err);
        if (r != t->ret)
            fail_msg("%s: %d", t->name, r);
        assert_non_null(err);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("%s: '%s' does not start with '%s'", t->name, err, want);
        assert_null(c.token);
        free(err);
    }
}

/* ---------------------------------------------------------------- caches */

static struct kube_config *exec_config(const char *api, const char *expiry)
{
    struct kube_config *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->server = strdup("https://k:1");
    c->exec_command = dir_path("plugin.sh");
    c->exec_api_version = strdup(api);
    c->exec_args = json_pack("[s]", "a");
    c->exec_env = env_list(api, expiry);
    return c;
}

static const char *get_token(struct kube_auth *a, uint64_t now_ns, int64_t now_unix)
{
    static char token[128];
    struct kube_creds cr = {0};
    struct kube_error e;

    memset(&e, 0x33, sizeof(e));
    assert_int_equal(kube_auth_get(a, now_ns, now_unix, &cr, &e), 0);
    snprintf(token, sizeof(token), "%s", cr.token ? cr.token : "(none)");
    kube_creds_clear(&cr);
    return token;
}

static void test_auth_exec_cached_until_expiry(void **state)
{
    struct kube_config *cfg = exec_config(V1BETA, "2026-11-21T05:23:01Z"); /* 1795238581 */
    struct kube_auth a;

    (void)state;
    test_write_file(test_dir, "plugin.sh", plugin_script, 0755);
    reset_count();
    assert_int_equal(kube_auth_init(&a, cfg, 5000), 0);
    kube_config_free(cfg);
    assert_string_equal(get_token(&a, 0, 1795238000), "a-v-1");
    assert_string_equal(get_token(&a, 0, 1795238580), "a-v-1");
    assert_int_equal(a.exec_runs, 1);
    /* At the expiry the plugin runs again. */
    assert_string_equal(get_token(&a, 0, 1795238581), "a-v-2");
    assert_int_equal(a.exec_runs, 2);
    /* The new credential has the same (past) expiry: every call refreshes. */
    assert_string_equal(get_token(&a, 0, 1795238582), "a-v-3");
    kube_auth_done(&a);
}

static void test_auth_exec_without_expiry_until_401(void **state)
{
    struct kube_config *cfg = exec_config(V1, NULL);
    struct kube_auth a;

    (void)state;
    test_write_file(test_dir, "plugin.sh", plugin_script, 0755);
    reset_count();
    assert_int_equal(kube_auth_init(&a, cfg, 5000), 0);
    kube_config_free(cfg);
    assert_string_equal(get_token(&a, 0, 0), "a-v-1");
    assert_string_equal(get_token(&a, 0, INT64_MAX), "a-v-1");
    kube_auth_invalidate(&a);
    assert_string_equal(get_token(&a, 0, 0), "a-v-2");
    assert_int_equal(a.exec_runs, 2);
    kube_auth_done(&a);
}

static void test_auth_exec_failure_fills_err(void **state)
{
    struct kube_config *cfg = exec_config(V1, NULL);
    struct kube_creds cr = {.token = (char *)"untouched"};
    struct kube_error e;
    struct kube_auth a;

    (void)state;
    test_write_file(test_dir, "plugin.sh", "#!/bin/sh\nexit 7\n", 0755);
    assert_int_equal(kube_auth_init(&a, cfg, 5000), 0);
    kube_config_free(cfg);
    memset(&e, 0x44, sizeof(e));
    assert_int_equal(kube_auth_get(&a, 0, 0, &cr, &e), -EIO);
    assert_string_equal(cr.token, "untouched");
    assert_int_equal(e.http_code, 0);
    assert_non_null(strstr(e.message, "exited with status 7"));
    kube_auth_done(&a);
}

static void test_auth_token_file_rotation(void **state)
{
    struct kube_config cfg = {.server = (char *)"https://k:1", .token = (char *)"static"};
    struct kube_auth a;

    (void)state;
    cfg.token_file = dir_path("rotating");
    test_write_file(test_dir, "rotating", "first\n", 0600);
    assert_int_equal(kube_auth_init(&a, &cfg, 5000), 0);
    assert_string_equal(get_token(&a, 1 * SEC, 0), "first");
    test_write_file(test_dir, "rotating", "second\n", 0600);
    /* Younger than 60 s: the cached token. */
    assert_string_equal(get_token(&a, 60 * SEC, 0), "first");
    assert_string_equal(get_token(&a, 61 * SEC, 0), "second");
    /* A failed re-read keeps the last good token. */
    assert_int_equal(unlink(cfg.token_file), 0);
    assert_string_equal(get_token(&a, 200 * SEC, 0), "second");
    test_write_file(test_dir, "rotating", "bad token\n", 0600);
    assert_string_equal(get_token(&a, 300 * SEC, 0), "second");
    test_write_file(test_dir, "rotating", "third\n", 0600);
    assert_string_equal(get_token(&a, 301 * SEC, 0), "third");
    /* A 401 forces a re-read. */
    test_write_file(test_dir, "rotating", "fourth\n", 0600);
    kube_auth_invalidate(&a);
    assert_string_equal(get_token(&a, 302 * SEC, 0), "fourth");
    kube_auth_done(&a);

    /* Never readable: the static token of the config. */
    assert_int_equal(unlink(cfg.token_file), 0);
    assert_int_equal(kube_auth_init(&a, &cfg, 5000), 0);
    assert_string_equal(get_token(&a, 0, 0), "static");
    kube_auth_done(&a);

    /* Neither: an error naming the file. */
    cfg.token = NULL;
    assert_int_equal(kube_auth_init(&a, &cfg, 5000), 0);
    struct kube_creds cr = {0};
    struct kube_error e;
    assert_int_equal(kube_auth_get(&a, 0, 0, &cr, &e), -EACCES);
    assert_non_null(strstr(e.message, "rotating"));
    kube_auth_done(&a);
    free(cfg.token_file);
}

static void test_auth_static_and_none(void **state)
{
    struct kube_config cfg = {.server = (char *)"https://k:1", .token = (char *)"tok"};
    struct kube_auth a;

    (void)state;
    assert_int_equal(kube_auth_init(&a, &cfg, 1000), 0);
    assert_string_equal(get_token(&a, 0, 0), "tok");
    kube_auth_done(&a);
    cfg.token = NULL;
    assert_int_equal(kube_auth_init(&a, &cfg, 1000), 0);
    assert_string_equal(get_token(&a, 0, 0), "(none)");
    kube_auth_done(&a);
    /* exec without an apiVersion cannot work. */
    cfg.exec_command = (char *)"x";
    assert_int_equal(kube_auth_init(&a, &cfg, 1000), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exec_cred_parse_table),
            cmocka_unit_test(test_exec_run_plugin),
            cmocka_unit_test(test_exec_run_failures),
            cmocka_unit_test(test_auth_exec_cached_until_expiry),
            cmocka_unit_test(test_auth_exec_without_expiry_until_401),
            cmocka_unit_test(test_auth_exec_failure_fills_err),
            cmocka_unit_test(test_auth_token_file_rotation),
            cmocka_unit_test(test_auth_static_and_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
