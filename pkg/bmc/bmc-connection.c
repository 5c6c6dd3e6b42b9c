/* SPDX-License-Identifier: Apache-2.0 */
/* Machine connections and the credentials Secret. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "bmc/bmc-internal.h"

#define IPMI_PORT  623
#define HTTPS_PORT 443
#define SECRET_MAX 4096  /* longest decoded username or password */
#define CA_MAX     65536 /* longest decoded CA bundle */

void bmc_connection_done(struct bmc_connection *c)
{
    if (!c)
        return;
    free(c->endpoint);
    free(c->system_name);
    free(c->secret_name);
    free(c->secret_namespace);
    *c = (struct bmc_connection){0};
}

/* A port from a JSON integer: 1..65535, 0 when absent. */
static int port_of(const json_t *v, long *ret)
{
    if (!v || json_is_null(v)) {
        *ret = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
        return -EINVAL;
    *ret = (long)json_integer_value(v);
    return 0;
}

static bool host_ok(const char *h, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == ':' ||
                  ch == '[' || ch == ']' || ch == '%';
        if (!ok)
            return false;
    }
    return true;
}

static int dup_or_null(char **dst, const char *s)
{
    if (!s || !*s)
        return 0;
    *dst = strdup(s);
    return *dst ? 0 : -ENOMEM;
}

int bmc_connection_parse(
        const json_t *conn, const char *ns, struct bmc_connection *ret, char *errbuf, size_t n)
{
    struct bmc_connection c = {0};
    const char *host = bmc_str(conn, "host"), *scheme = "https";
    json_t *redfish = bmc_obj(bmc_obj(conn, "providerOptions"), "redfish");
    json_t *secret = bmc_obj(conn, "authSecretRef");
    long port = 0, rport = 0;
    int r;

    assert_return(ret, -EINVAL);
    if (!json_is_object(conn))
        return bmc_fail(errbuf, n, -EINVAL, "spec.connection is missing");
    if (!host || !*host)
        return bmc_fail(errbuf, n, -EINVAL, "spec.connection.host is missing");
    if (strncmp(host, "https://", 8) == 0)
        host += 8;
    else if (strncmp(host, "http://", 7) == 0)
        host += 7, scheme = "http";
    size_t hl = strlen(host);
    if (hl > 0 && host[hl - 1] == '/')
        hl--;
    if (!host_ok(host, hl))
        return bmc_fail(errbuf, n, -EINVAL, "spec.connection.host %s is not a host name or address",
                        bmc_str(conn, "host"));
    if (port_of(json_object_get(conn, "port"), &port) < 0 ||
        port_of(json_object_get(redfish, "port"), &rport) < 0)
        return bmc_fail(errbuf, n, -EINVAL, "spec.connection port out of range 1..65535");
    if (!rport)
        rport = port && port != IPMI_PORT ? port : 0;
    bool bracketed = hl > 0 && host[0] == '[';
    bool has_port =
            !bracketed && memchr(host, ':', hl) && memchr(host, ':', hl) == memrchr(host, ':', hl);
    if (bracketed && memchr(host, ']', hl) && ((const char *)memchr(host, ']', hl))[1] == ':')
        has_port = true;
    if (has_port && rport)
        return bmc_fail(errbuf, n, -EINVAL, "spec.connection.host %s has a port and a port is set",
                        bmc_str(conn, "host"));
    /* A bare IPv6 literal gets brackets. */
    bool v6 = !bracketed && memchr(host, ':', hl) && !has_port;
    if (has_port)
        r = asprintf(&c.endpoint, "%s://%.*s", scheme, (int)hl, host);
    else
        r = asprintf(&c.endpoint, "%s://%s%.*s%s:%ld", scheme, v6 ? "[" : "", (int)hl, host,
                     v6 ? "]" : "",
                     rport ? rport : (strcmp(scheme, "http") == 0 ? 80 : HTTPS_PORT));
    if (r < 0) {
        c.endpoint = NULL;
        return -ENOMEM;
    }
    c.insecure_tls = bmc_true(conn, "insecureTLS");
    c.basic_auth = bmc_true(redfish, "useBasicAuth");
    if ((r = dup_or_null(&c.system_name, bmc_str(redfish, "systemName"))) < 0 ||
        (r = dup_or_null(&c.secret_name, bmc_str(secret, "name"))) < 0 ||
        (r = dup_or_null(&c.secret_namespace,
                         bmc_str(secret, "namespace") && *bmc_str(secret, "namespace")
                                 ? bmc_str(secret, "namespace")
                                 : ns)) < 0) {
        bmc_connection_done(&c);
        return r;
    }
    *ret = c;
    return 0;
}

/* Strict base64 (RFC 4648 §4, padded) of s into a new NUL-terminated
 * string. -EINVAL for bad input, more than max bytes (counted before the
 * padding, as always here) or an embedded NUL. */
static int base64_decode(const char *s, size_t max, char **ret)
{
    size_t len = strlen(s), n;
    unsigned char *out;
    if (len / 4 * 3 > max)
        return -EINVAL;
    int r = base_base64_decode(s, len, max, &out, &n);
    if (r < 0)
        return r;
    if (memchr(out, '\0', n)) {
        free(out);
        return -EINVAL;
    }
    *ret = (char *)out;
    return 0;
}

static int
secret_value(const json_t *secret, const char *key, size_t max, char **ret, char *errbuf, size_t n)
{
    const char *ns = bmc_str(bmc_obj(secret, "metadata"), "namespace");
    const char *name = bmc_str(bmc_obj(secret, "metadata"), "name");
    const char *b64 = bmc_str(bmc_obj(secret, "data"), key);
    const char *plain = bmc_str(bmc_obj(secret, "stringData"), key);
    int r;
    if (b64) {
        r = base64_decode(b64, max, ret);
        if (r == -EINVAL)
            return bmc_fail(errbuf, n, r, "secret %s/%s: data.%s is not valid base64", ns ? ns : "",
                            name ? name : "", key);
        return r;
    }
    if (plain) {
        if (strlen(plain) > max)
            return bmc_fail(errbuf, n, -EINVAL, "secret %s/%s: stringData.%s is too long",
                            ns ? ns : "", name ? name : "", key);
        *ret = strdup(plain);
        return *ret ? 0 : -ENOMEM;
    }
    return bmc_fail(errbuf, n, -EINVAL, "secret %s/%s has no %s", ns ? ns : "", name ? name : "",
                    key);
}

int bmc_secret_credentials(
        const json_t *secret, char **ret_user, char **ret_password, char *errbuf, size_t n)
{
    char *user = NULL, *pass = NULL;
    int r;
    assert_return(ret_user && ret_password, -EINVAL);
    if (!json_is_object(secret))
        return bmc_fail(errbuf, n, -EINVAL, "the credentials Secret is not an object");
    r = secret_value(secret, "username", SECRET_MAX, &user, errbuf, n);
    if (r < 0)
        return r;
    r = secret_value(secret, "password", SECRET_MAX, &pass, errbuf, n);
    if (r < 0) {
        free(user);
        return r;
    }
    *ret_user = user;
    *ret_password = pass;
    return 0;
}

int bmc_secret_ca(const json_t *secret, char **ret_pem, char *errbuf, size_t n)
{
    assert_return(ret_pem, -EINVAL);
    if (!bmc_str(bmc_obj(secret, "data"), "ca.crt") &&
        !bmc_str(bmc_obj(secret, "stringData"), "ca.crt")) {
        *ret_pem = NULL;
        return 0;
    }
    return secret_value(secret, "ca.crt", CA_MAX, ret_pem, errbuf, n);
}
