/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client object: what it copies from the configuration, the pool of
 * curl easy handles (each keeps its own live connections, so a handle that
 * goes back to the pool keeps its keep-alive connection for the next call),
 * the per-transfer curl options (TLS from PEM blobs, credentials, headers,
 * TCP keepalive) and the request counters.
 *
 * tls-server-name: curl verifies the name in the URL, so the URL carries
 * the override and CURLOPT_CONNECT_TO sends the connection to the real
 * host, which is what Go's tls.Config.ServerName achieves.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kube_client *, kube_client_free);

static int dup_opt(const char *s, char **ret)
{
    *ret = NULL;
    if (!s)
        return 0;
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

/* base_url and, with tls_server_name over https, the connect-to rule. */
static int client_urls(struct kube_client *c, const struct kube_config *cfg)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int r = 0;

    if (!u)
        return -ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        r = -EINVAL;
    else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
        r = -EINVAL;
    if (r == 0) {
        size_t n = strlen(path);
        while (n > 0 && path[n - 1] == '/')
            n--;
        c->https = strcmp(scheme, "https") == 0;
        if (c->https && cfg->tls_server_name && *cfg->tls_server_name) {
            _cleanup_free_ char *rule = NULL;
            if (strpbrk(cfg->tls_server_name, ":/[]@?# ")) {
                r = -EINVAL;
            } else if (asprintf(&c->base_url, "https://%s:%s%.*s", cfg->tls_server_name, port,
                                (int)n, path) < 0 ||
                       asprintf(&rule, "%s:%s:%s:%s", cfg->tls_server_name, port, host, port) < 0) {
                c->base_url = NULL;
                r = -ENOMEM;
            } else {
                c->connect_to = curl_slist_append(NULL, rule);
                if (!c->connect_to)
                    r = -ENOMEM;
            }
        } else if (asprintf(&c->base_url, "%s://%s:%s%.*s", scheme, host, port, (int)n, path) < 0) {
            c->base_url = NULL;
            r = -ENOMEM;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return r;
}

int kube_client_new(struct kube_client **ret,
                    const struct kube_config *cfg,
                    const struct kube_client_opts *opts)
{
    _cleanup_(kube_client_freep) struct kube_client *c = NULL;
    struct kube_client_opts o = opts ? *opts : (struct kube_client_opts){0};
    int r;

    assert_return(ret && cfg && cfg->server, -EINVAL);
    if (o.qps < 0 || isnan(o.qps) || isinf(o.qps) || o.burst < 0 || o.timeout_ms < 0)
        return -EINVAL;
    if (o.user_agent && strpbrk(o.user_agent, "\r\n"))
        return -EINVAL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    c = calloc(1, sizeof(*c));
    if (!c) {
        curl_global_cleanup();
        return -ENOMEM;
    }
    /* From here kube_client_free() undoes everything, curl_global_init()
     * included; the locks are set up first so it may always take them. */
    if (pthread_mutex_init(&c->pool_lock, NULL) != 0 ||
        pthread_mutex_init(&c->stats_lock, NULL) != 0) {
        free(c);
        curl_global_cleanup();
        return -ENOMEM;
    }
    c->timeout_ms = o.timeout_ms ? o.timeout_ms : KUBE_DEFAULT_TIMEOUT_MS;
    r = kube_limiter_init(&c->limiter, o.qps > 0 ? o.qps : KUBE_DEFAULT_QPS,
                          o.burst > 0 ? o.burst : KUBE_DEFAULT_BURST, kube_now_ns());
    if (r < 0) {
        pthread_mutex_destroy(&c->pool_lock);
        pthread_mutex_destroy(&c->stats_lock);
        free(c);
        curl_global_cleanup();
        return r;
    }
    r = kube_auth_init(&c->auth, cfg, c->timeout_ms);
    if (r < 0) {
        kube_limiter_done(&c->limiter);
        pthread_mutex_destroy(&c->pool_lock);
        pthread_mutex_destroy(&c->stats_lock);
        free(c);
        curl_global_cleanup();
        return r;
    }
    c->insecure = cfg->insecure;
    r = client_urls(c, cfg);
    if (r < 0)
        return r;
    if (dup_opt(cfg->ca_pem, &c->ca_pem) < 0 || dup_opt(cfg->cert_pem, &c->cert_pem) < 0 ||
        dup_opt(cfg->key_pem, &c->key_pem) < 0 ||
        dup_opt(o.user_agent ? o.user_agent : KUBE_DEFAULT_USER_AGENT, &c->user_agent) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(c);
    return 0;
}

struct kube_client *kube_client_free(struct kube_client *c)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->base_url);
    curl_slist_free_all(c->connect_to);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->user_agent);
    kube_auth_done(&c->auth);
    kube_limiter_done(&c->limiter);
    pthread_mutex_destroy(&c->pool_lock);
    pthread_mutex_destroy(&c->stats_lock);
    free(c);
    curl_global_cleanup();
    return NULL;
}

CURL *kube_client_handle_get(struct kube_client *c)
{
    CURL *h = NULL;

    pthread_mutex_lock(&c->pool_lock);
    if (c->n_pool > 0)
        h = c->pool[--c->n_pool];
    pthread_mutex_unlock(&c->pool_lock);
    if (h) {
        curl_easy_reset(h); /* options go, live connections and caches stay */
        return h;
    }
    return curl_easy_init();
}

void kube_client_handle_put(struct kube_client *c, CURL *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&c->pool_lock);
    if (c->n_pool < KUBE_POOL_MAX_IDLE) {
        c->pool[c->n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    _cleanup_free_ char *line = NULL;
    struct curl_slist *l;

    if (asprintf(&line, "%s%s", name, value) < 0)
        return -ENOMEM;
    l = curl_slist_append(*list, line);
    if (!l)
        return -ENOMEM;
    *list = l;
    return 0;
}

static int setup_tls(struct kube_client *c, CURL *h, const struct kube_creds *creds)
{
    const char *cert = creds && creds->cert_pem ? creds->cert_pem : c->cert_pem;
    const char *key = creds && creds->cert_pem ? creds->key_pem : c->key_pem;
    CURLcode cc = CURLE_OK;

    if (c->ca_pem) {
        struct curl_blob ca = {
                .data = c->ca_pem, .len = strlen(c->ca_pem), .flags = CURL_BLOB_COPY};
        cc = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (cc == CURLE_OK && c->insecure) {
        cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cc == CURLE_OK && cert && key) {
        struct curl_blob cb = {.data = (void *)cert, .len = strlen(cert), .flags = CURL_BLOB_COPY};
        struct curl_blob kb = {.data = (void *)key, .len = strlen(key), .flags = CURL_BLOB_COPY};
        cc = curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (cc == CURLE_OK && c->connect_to)
        cc = curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    return cc == CURLE_OK ? 0 : cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EOPNOTSUPP;
}

int kube_client_setup(struct kube_client *c,
                      CURL *h,
                      const char *url,
                      const char *content_type,
                      const struct kube_creds *creds,
                      char *errbuf,
                      struct curl_slist **headers)
{
    struct curl_slist *list = NULL;
    CURLcode cc;
    int r;

    errbuf[0] = '\0';
    r = add_header(&list, "Accept: ", "application/json");
    /* An empty Expect: stops curl from waiting for "100 Continue". */
    if (r >= 0)
        r = add_header(&list, "Expect:", "");
    if (r >= 0 && content_type)
        r = add_header(&list, "Content-Type: ", content_type);
    /* As clientcmd does, credentials only travel over TLS. */
    if (r >= 0 && c->https && creds && creds->token)
        r = add_header(&list, "Authorization: Bearer ", creds->token);
    if (r < 0) {
        curl_slist_free_all(list);
        return r;
    }
    cc = curl_easy_setopt(h, CURLOPT_URL, url);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    /* client-go dials with a 30 s keepalive; idle watches die in
     * middleboxes without one. */
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 30L);
    if (cc != CURLE_OK) {
        curl_slist_free_all(list);
        return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EOPNOTSUPP;
    }
    r = c->https ? setup_tls(c, h, creds) : 0;
    if (r < 0) {
        curl_slist_free_all(list);
        return r;
    }
    *headers = list;
    return 0;
}

void kube_client_account(struct kube_client *c, long http_code, uint64_t elapsed_ns, bool throttled)
{
    size_t cls = http_code >= 100 && http_code < 600 ? (size_t)(http_code / 100) : 0;

    pthread_mutex_lock(&c->stats_lock);
    c->stats.requests++;
    c->stats.by_class[cls]++;
    c->stats.seconds_sum += (double)elapsed_ns / 1e9;
    if (throttled)
        c->stats.throttled++;
    pthread_mutex_unlock(&c->stats_lock);
}

void kube_client_get_stats(struct kube_client *c, struct kube_client_stats *ret)
{
    if (!c || !ret)
        return;
    pthread_mutex_lock(&c->stats_lock);
    *ret = c->stats;
    pthread_mutex_unlock(&c->stats_lock);
}

int kube_curl_error(CURLcode cc, const char *errbuf, struct kube_error *err)
{
    const char *msg = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);
    int r;

    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        r = -ETIMEDOUT;
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        r = -ECONNREFUSED;
        break;
    case CURLE_OUT_OF_MEMORY:
        r = -ENOMEM;
        break;
    default:
        r = -EIO;
        break;
    }
    return kube_error_local(err, r, "%s", msg);
}
