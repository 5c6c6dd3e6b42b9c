/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --tls-generate: a self-signed certificate (also its own CA) for the
 * addresses kubectl will dial, and the kubeconfig that trusts it. kubectl
 * sends bearer tokens only over TLS, so this is what makes --token-file
 * usable without a PKI.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "apiserver/apiserver.h"
#include "base/macro.h"
#include "buf/buf.h"

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -EINVAL;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -EIO;
}

static int build_san(const char *const *sans, struct buf *out)
{
    struct in6_addr a6;
    struct in_addr a4;
    for (size_t i = 0; sans && sans[i]; i++) {
        bool ip = inet_pton(AF_INET, sans[i], &a4) == 1 || inet_pton(AF_INET6, sans[i], &a6) == 1;
        int r = buf_printf(out, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS", sans[i]);
        if (r < 0)
            return r;
    }
    return out->len ? 0 : -EINVAL;
}

static int write_pem(const char *path, mode_t mode, int (*fn)(FILE *, void *), void *arg)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = -errno;
        close(fd);
        return e;
    }
    int ok = fn(f, arg);
    if (fclose(f) != 0 || !ok)
        return -EIO;
    return 0;
}

static int pem_cert(FILE *f, void *x)
{
    return PEM_write_X509(f, x);
}

static int pem_key(FILE *f, void *k)
{
    return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

int apiserver_tls_generate(const char *cert_path, const char *key_path, const char *const *sans)
{
    int r = -EIO;
    _cleanup_buf_ struct buf san = BUF_INIT(8192);
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    if ((r = build_san(sans, &san)) < 0)
        return r;
    r = -EIO;
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    if (!key || !cert)
        goto out;
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto out;
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert))) {
        BN_free(bn);
        goto out;
    }
    BN_free(bn);
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"anvil-apiserver",
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    if (add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(cert, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") < 0 ||
        add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
        add_ext(cert, NID_subject_alt_name, buf_str(&san)) < 0)
        goto out;
    if (!X509_sign(cert, key, EVP_sha256()))
        goto out;
    if ((r = write_pem(key_path, 0600, pem_key, key)) < 0)
        goto out;
    r = write_pem(cert_path, 0644, pem_cert, cert);
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return r;
}

static int read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char tmp[4096];
    size_t n;
    int r = 0;
    while (r == 0 && (n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        r = buf_append(out, tmp, n);
    fclose(f);
    return r;
}

int apiserver_write_kubeconfig(const char *path,
                               const char *server,
                               const char *ca_path,
                               const char *token)
{
    _cleanup_buf_ struct buf ca = BUF_INIT(1024 * 1024);
    _cleanup_free_ char *b64 = NULL;
    int r;
    if (ca_path) {
        if ((r = read_file(ca_path, &ca)) < 0)
            return r;
        b64 = malloc(4 * ((ca.len + 2) / 3) + 1);
        if (!b64)
            return -ENOMEM;
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)ca.data, (int)ca.len);
    }
    _cleanup_free_ char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp", path) < 0)
        return -ENOMEM;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        r = -errno;
        close(fd);
        return r;
    }
    fprintf(f,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: anvil\n  cluster:\n"
            "    server: \"%s\"\n",
            server);
    if (b64)
        fprintf(f, "    certificate-authority-data: %s\n", b64);
    if (token)
        fprintf(f, "users:\n- name: anvil\n  user:\n    token: \"%s\"\n", token);
    else
        fprintf(f, "users:\n- name: anvil\n  user: {}\n");
    fprintf(f, "contexts:\n- name: anvil\n  context:\n    cluster: anvil\n    user: anvil\n"
               "    namespace: default\ncurrent-context: anvil\n");
    if (fclose(f) != 0)
        return -EIO;
    if (rename(tmp, path) < 0)
        return -errno;
    return 0;
}
