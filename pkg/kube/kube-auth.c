/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request credentials and their caches, behind one lock per client:
 *   - an exec plugin's ExecCredential, kept until its expirationTimestamp
 *     (forever without one) or until a 401 (client-go's exec authenticator);
 *   - a token file (tokenFile, the in-cluster service-account token),
 *     re-read when the last read is older than 60 s, because projected
 *     tokens rotate; a failed re-read keeps the last good token, as
 *     client-go's cachingTokenSource does;
 *   - else the static token.
 * The plugin runs with the lock held, so concurrent callers wait for one
 * refresh instead of starting several.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube-internal.h"

void kube_creds_clear(struct kube_creds *c)
{
    if (!c)
        return;
    free(c->token);
    free(c->cert_pem);
    free(c->key_pem);
    *c = (struct kube_creds){0};
}

static int dup_opt(const char *s, char **ret)
{
    *ret = NULL;
    if (!s)
        return 0;
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

static int copy_json_opt(const json_t *v, json_t **ret)
{
    *ret = NULL;
    if (!v)
        return 0;
    *ret = json_deep_copy(v);
    return *ret ? 0 : -ENOMEM;
}

int kube_auth_init(struct kube_auth *a, const struct kube_config *cfg, long exec_timeout_ms)
{
    int r;

    assert_return(a && cfg, -EINVAL);
    *a = (struct kube_auth){.exec_timeout_ms = exec_timeout_ms};
    r = pthread_mutex_init(&a->lock, NULL);
    if (r != 0)
        return -r;
    if (dup_opt(cfg->token, &a->token) < 0 || dup_opt(cfg->token_file, &a->token_file) < 0 ||
        dup_opt(cfg->exec_command, &a->exec_command) < 0 ||
        dup_opt(cfg->exec_api_version, &a->exec_api_version) < 0 ||
        copy_json_opt(cfg->exec_args, &a->exec_args) < 0 ||
        copy_json_opt(cfg->exec_env, &a->exec_env) < 0) {
        kube_auth_done(a);
        return -ENOMEM;
    }
    if (a->exec_command && !a->exec_api_version) {
        kube_auth_done(a);
        return -EINVAL;
    }
    return 0;
}

void kube_auth_done(struct kube_auth *a)
{
    if (!a)
        return;
    free(a->token);
    free(a->token_file);
    free(a->file_token);
    free(a->exec_command);
    free(a->exec_api_version);
    json_decref(a->exec_args);
    json_decref(a->exec_env);
    kube_exec_cred_clear(&a->cred);
    pthread_mutex_destroy(&a->lock);
    *a = (struct kube_auth){0};
}

static int auth_exec_locked(struct kube_auth *a, int64_t now_unix, struct kube_error *err)
{
    struct kube_exec_spec spec = {
            .command = a->exec_command,
            .args = a->exec_args,
            .env = a->exec_env,
            .api_version = a->exec_api_version,
    };
    _cleanup_free_ char *msg = NULL;
    int r;

    if (a->cred_valid && !(a->cred.has_expiry && now_unix >= a->cred.expiry_unix))
        return 0;
    kube_exec_cred_clear(&a->cred);
    a->cred_valid = false;
    a->exec_runs++;
    r = kube_exec_run(&spec, a->exec_timeout_ms, &a->cred, &msg);
    if (r < 0)
        return kube_error_local(err, r, "%s", msg ? msg : "exec plugin failed");
    a->cred_valid = true;
    return 0;
}

static void auth_token_file_locked(struct kube_auth *a, uint64_t now_ns)
{
    _cleanup_free_ char *text = NULL, *token = NULL;
    size_t len;

    if (a->file_read && now_ns - a->file_read_ns < KUBE_TOKEN_FILE_REFRESH_NS)
        return;
    if (kube_read_file(a->token_file, KUBE_MAX_TOKEN_FILE, &text, &len) < 0 ||
        kube_strdup_trimmed(text, len, &token) < 0 || !kube_token_valid(token))
        return; /* keep the last good token; try again on the next call */
    free(a->file_token);
    a->file_token = TAKE_PTR(token);
    a->file_read = true;
    a->file_read_ns = now_ns;
}

int kube_auth_get(struct kube_auth *a,
                  uint64_t now_ns,
                  int64_t now_unix,
                  struct kube_creds *ret,
                  struct kube_error *err)
{
    struct kube_creds creds = {0};
    const char *token = NULL, *cert = NULL, *key = NULL;
    int r = 0;

    assert_return(a && ret, -EINVAL);
    pthread_mutex_lock(&a->lock);
    if (a->exec_command) {
        r = auth_exec_locked(a, now_unix, err);
        if (r >= 0) {
            token = a->cred.token;
            cert = a->cred.cert_pem;
            key = a->cred.key_pem;
        }
    } else if (a->token_file) {
        auth_token_file_locked(a, now_ns);
        token = a->file_token ? a->file_token : a->token;
        if (!token)
            r = kube_error_local(err, -EACCES, "cannot read a token from %s", a->token_file);
    } else
        token = a->token;
    if (r >= 0 && (dup_opt(token, &creds.token) < 0 || dup_opt(cert, &creds.cert_pem) < 0 ||
                   dup_opt(key, &creds.key_pem) < 0)) {
        kube_creds_clear(&creds);
        r = kube_error_local(err, -ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&a->lock);
    if (r < 0)
        return r;
    *ret = creds;
    return 0;
}

void kube_auth_invalidate(struct kube_auth *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    kube_exec_cred_clear(&a->cred);
    a->cred_valid = false;
    a->file_read = false;
    pthread_mutex_unlock(&a->lock);
}
