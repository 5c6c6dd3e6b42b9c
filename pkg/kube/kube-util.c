/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers of the client: the monotonic clock, bounded file reads,
 * base64 and PEM checks (OpenSSL), token sanity and RFC 3339 timestamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kube/kube-internal.h"

uint64_t kube_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int kube_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_buf_ struct buf b = BUF_INIT(max);
    _cleanup_close_ int fd = -1;
    struct stat st;
    char chunk[16384];
    int r;

    assert_return(path && ret, -EINVAL);

    /* O_NONBLOCK: opening a FIFO must not wait for a writer. Regular files
     * and pipes (a shell's <(...)) are read; terminals and devices are not
     * configuration files. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        return -ENOTSUP;
    if (S_ISFIFO(st.st_mode) && fcntl(fd, F_SETFL, 0) < 0)
        return -errno;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        r = buf_append(&b, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
    size_t len;
    char *p = buf_take(&b, &len); /* "" for an empty file */
    if (!p)
        return -ENOMEM;
    if (ret_len)
        *ret_len = len;
    *ret = p;
    return 0;
}

int kube_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
    EVP_ENCODE_CTX *ctx = NULL;
    _cleanup_free_ char *out = NULL;
    int n = 0, m = 0, r = -EBADMSG;

    assert_return(in && ret, -EINVAL);
    if (len > INT_MAX / 2)
        return -E2BIG;
    out = malloc(len / 4 * 3 + 4);
    if (!out)
        return -ENOMEM;
    ctx = EVP_ENCODE_CTX_new();
    if (!ctx)
        return -ENOMEM;
    EVP_DecodeInit(ctx);
    /* EVP_DecodeUpdate returns -1 for a character outside the alphabet or
     * data after padding; EVP_DecodeFinal returns -1 when the input did not
     * end on a full quantum (missing padding), as Go's StdEncoding rejects. */
    if (EVP_DecodeUpdate(ctx, (unsigned char *)out, &n, (const unsigned char *)in, (int)len) >= 0 &&
        EVP_DecodeFinal(ctx, (unsigned char *)out + n, &m) == 1)
        r = 0;
    EVP_ENCODE_CTX_free(ctx);
    if (r < 0)
        return r;
    out[n + m] = '\0';
    if (ret_len)
        *ret_len = (size_t)(n + m);
    *ret = TAKE_PTR(out);
    return 0;
}

int kube_pem_check_certs(const char *pem, size_t len)
{
    BIO *bio;
    X509 *x;
    int n = 0;

    if (len > INT_MAX)
        return -EBADMSG;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return -ENOMEM;
    for (;;) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x)
            break;
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    return n > 0 ? 0 : -EBADMSG;
}

int kube_pem_check_key(const char *pem, size_t len)
{
    EVP_PKEY *k;
    BIO *bio;

    if (len > INT_MAX)
        return -EBADMSG;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return -ENOMEM;
    /* A NULL password callback argument with "" as the user data makes an
     * encrypted key fail instead of prompting on the terminal. */
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    ERR_clear_error();
    if (!k)
        return -EBADMSG;
    EVP_PKEY_free(k);
    return 0;
}

bool kube_token_valid(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

int kube_strdup_trimmed(const char *s, size_t len, char **ret)
{
    char *p;

    while (len > 0 && strchr(" \t\r\n\v\f", s[len - 1]) && s[len - 1] != '\0')
        len--;
    p = strndup(s, len);
    if (!p)
        return -ENOMEM;
    *ret = p;
    return 0;
}

static int parse_digits(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return -EINVAL;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

static int expect_char(const char **p, const char *set)
{
    if (**p == '\0' || !strchr(set, **p))
        return -EINVAL;
    (*p)++;
    return 0;
}

int kube_time_parse_rfc3339(const char *s, int64_t *ret_unix)
{
    int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
    const char *p = s;

    assert_return(s && ret_unix, -EINVAL);
    /* RFC 3339 section 5.6: date-time = full-date "T" full-time. */
    if (parse_digits(&p, 4, &year) < 0 || expect_char(&p, "-") < 0 ||
        parse_digits(&p, 2, &mon) < 0 || expect_char(&p, "-") < 0 ||
        parse_digits(&p, 2, &day) < 0 || expect_char(&p, "Tt ") < 0 ||
        parse_digits(&p, 2, &hour) < 0 || expect_char(&p, ":") < 0 ||
        parse_digits(&p, 2, &min) < 0 || expect_char(&p, ":") < 0 || parse_digits(&p, 2, &sec) < 0)
        return -EINVAL;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (parse_digits(&p, 2, &oh) < 0 || expect_char(&p, ":") < 0 ||
            parse_digits(&p, 2, &om) < 0)
            return -EINVAL;
    } else
        return -EINVAL;
    if (*p != '\0')
        return -EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
        oh > 23 || om > 59)
        return -EINVAL;

    struct tm tm = {
            .tm_year = year - 1900,
            .tm_mon = mon - 1,
            .tm_mday = day,
            .tm_hour = hour,
            .tm_min = min,
            .tm_sec = sec,
    };
    time_t t = timegm(&tm);
    if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31))
        return -EINVAL;
    *ret_unix = (int64_t)t - (int64_t)sign * (oh * 3600 + om * 60);
    return 0;
}
