/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI image references as github.com/distribution/reference's
 * ParseNormalizedNamed accepts them (validation only; nothing is
 * normalised for the caller):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 *   domain    := host [ ":" port ], host a DNS name or "[" IPv6 "]"
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest    := algorithm ":" hex{32,}, then sha256/384/512 lengths
 *
 * Short names are completed as Docker does before parsing ("alpine" is
 * docker.io/library/alpine), which decides what counts as a domain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

#define NAME_MAX_LEN 255

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
    return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool path_component_ok(const char *s, size_t n)
{
    size_t i = 0;

    if (n == 0 || !is_lower_alnum(s[0]))
        return false;
    for (;;) {
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return false;
        if (i >= n || !is_lower_alnum(s[i]))
            return false;
    }
}

static bool domain_name_ok(const char *s, size_t n)
{
    size_t i = 0;

    if (n == 0)
        return false;
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != '.')
            i++;
        size_t len = i - start;
        if (len == 0 || !is_alnum(s[start]) || !is_alnum(s[i - 1]))
            return false;
        for (size_t k = start; k < i; k++)
            if (!is_alnum(s[k]) && s[k] != '-')
                return false;
        if (i < n)
            i++; /* '.' */
        if (i == n && s[n - 1] == '.')
            return false;
    }
    return true;
}

static bool domain_ok(const char *s, size_t n)
{
    size_t host_end;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!is_hex(*p) && *p != ':')
                return false;
        host_end = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        host_end = colon ? (size_t)(colon - s) : n;
        if (!domain_name_ok(s, host_end))
            return false;
    }
    if (host_end == n)
        return true;
    if (s[host_end] != ':' || host_end + 1 == n)
        return false;
    for (size_t i = host_end + 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool all_path_components(const char *s, size_t n)
{
    size_t i = 0;
    while (i <= n) {
        const char *slash = memchr(s + i, '/', n - i);
        size_t end = slash ? (size_t)(slash - s) : n;
        if (!path_component_ok(s + i, end - i))
            return false;
        if (!slash)
            return true;
        i = end + 1;
    }
    return false;
}

/* The name part: returns the length of the path (the name without its
 * domain) or -1 when the grammar does not match. */
static ssize_t match_name(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (slash) {
        size_t d = (size_t)(slash - s);
        if (domain_ok(s, d) && all_path_components(slash + 1, n - d - 1))
            return (ssize_t)(n - d - 1);
    }
    return all_path_components(s, n) ? (ssize_t)n : -1;
}

static bool digest_pattern_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t i = 0, a;

    if (!colon)
        return false;
    a = (size_t)(colon - s);
    for (;;) {
        if (i >= a || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
        while (i < a && is_alnum(s[i]))
            i++;
        if (i == a)
            break;
        if (!strchr("-_+.", s[i]))
            return false;
        i++;
    }
    if (n - a - 1 < 32)
        return false;
    for (size_t k = a + 1; k < n; k++)
        if (!is_hex(s[k]))
            return false;
    return true;
}

/* The whole reference grammar; on success the path length and where the
 * digest starts (0 when absent). */
static bool match_reference(const char *s, size_t n, size_t *ret_path, size_t *ret_digest)
{
    const char *at = memchr(s, '@', n);
    size_t nt = at ? (size_t)(at - s) : n;

    *ret_digest = 0;
    if (at) {
        if (!digest_pattern_ok(at + 1, n - nt - 1))
            return false;
        *ret_digest = nt + 1;
    }
    /* A tag follows the first ':' after the last '/'. */
    size_t last_slash = 0;
    for (size_t i = 0; i < nt; i++)
        if (s[i] == '/')
            last_slash = i + 1;
    const char *colon = memchr(s + last_slash, ':', nt - last_slash);
    size_t name_len = nt;
    if (colon) {
        size_t t = (size_t)(colon - s) + 1, tl = nt - t;
        if (tl == 0 || tl > 128 || !is_word(s[t]))
            return false;
        for (size_t i = t; i < nt; i++)
            if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
                return false;
        name_len = t - 1;
    }
    ssize_t path = match_name(s, name_len);
    if (path < 0)
        return false;
    *ret_path = (size_t)path;
    return true;
}

static int fail(char *msg, size_t size, const char *fmt, ...) _printf_(3, 4);
static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && size)
        (void)vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int digest_validate(const char *s, size_t n, char *msg, size_t size)
{
    static const struct {
        const char *name;
        size_t hex;
    } algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
    const char *colon = memchr(s, ':', n);
    size_t a = colon ? (size_t)(colon - s) : 0;

    if (!colon || a == 0 || a + 1 == n)
        return fail(msg, size, "invalid checksum digest format");
    for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
        if (strlen(algs[i].name) != a || memcmp(s, algs[i].name, a) != 0)
            continue;
        if (n - a - 1 != algs[i].hex)
            return fail(msg, size, "invalid checksum digest length");
        for (size_t k = a + 1; k < n; k++)
            if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
                return fail(msg, size, "invalid checksum digest format");
        return 0;
    }
    /* go-digest's own grammar decides between "format" and "unsupported" */
    for (size_t k = 0; k < a; k++)
        if (!is_lower_alnum(s[k]) && !(k > 0 && strchr(".+_-", s[k]) && is_lower_alnum(s[k - 1])))
            return fail(msg, size, "invalid checksum digest format");
    return fail(msg, size, "unsupported digest algorithm");
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

int tmpl_reference_validate(const char *ref, size_t len, char *msg, size_t size)
{
    char full[1024], lower[1024];
    const char *domain = "docker.io", *rest = ref;
    size_t domain_len = 9, rest_len = len, path, digest;
    bool library = false;
    int shown = (int)MIN(len, (size_t)200);

    if (msg && size)
        msg[0] = '\0';
    if (len == 64) {
        bool hex = true;
        for (size_t i = 0; i < len; i++)
            hex = hex && ((ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f'));
        if (hex)
            return fail(msg, size,
                        "invalid repository name (%.*s), cannot specify 64-byte hexadecimal "
                        "strings",
                        shown, ref);
    }
    if (memchr(ref, '\0', len) || len + 32 > sizeof(full))
        return fail(msg, size, "invalid reference format");

    /* splitDockerDomain */
    const char *slash = memchr(ref, '/', len);
    if (slash) {
        size_t d = (size_t)(slash - ref);
        bool looks_domain = memchr(ref, '.', d) || memchr(ref, ':', d) ||
                            (d == 9 && memcmp(ref, "localhost", 9) == 0) || has_upper(ref, d);
        if (looks_domain) {
            domain = ref;
            domain_len = d;
            rest = slash + 1;
            rest_len = len - d - 1;
        }
    }
    if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0) {
        domain = "docker.io";
        domain_len = 9;
    }
    if (domain_len == 9 && memcmp(domain, "docker.io", 9) == 0 && !memchr(rest, '/', rest_len))
        library = true;

    /* the repository (before any tag) must be lowercase */
    const char *colon = memchr(rest, ':', rest_len);
    size_t remote = colon ? (size_t)(colon - rest) : rest_len;
    if (has_upper(rest, remote))
        return fail(msg, size,
                    "invalid reference format: repository name (%s%.*s) must be lowercase",
                    library ? "library/" : "", (int)MIN(remote, (size_t)200), rest);

    int n = snprintf(full, sizeof(full), "%.*s/%s%.*s", (int)domain_len, domain,
                     library ? "library/" : "", (int)rest_len, rest);
    if (n < 0 || (size_t)n >= sizeof(full))
        return fail(msg, size, "invalid reference format");
    if (!match_reference(full, (size_t)n, &path, &digest)) {
        for (int i = 0; i <= n; i++)
            lower[i] = (full[i] >= 'A' && full[i] <= 'Z') ? (char)(full[i] + 32) : full[i];
        if (match_reference(lower, (size_t)n, &path, &digest))
            return fail(msg, size, "repository name must be lowercase");
        return fail(msg, size, "invalid reference format");
    }
    if (path > NAME_MAX_LEN)
        return fail(msg, size, "repository name must not be more than %d characters", NAME_MAX_LEN);
    if (digest)
        return digest_validate(full + digest, (size_t)n - digest, msg, size);
    return 0;
}
