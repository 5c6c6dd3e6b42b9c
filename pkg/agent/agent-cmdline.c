/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel command line of the boot environment, and gateway authorities. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"
#include "agent/agent.h"
#include "base/macro.h"
#include "base/utf8.h"

/* The kernel's isspace() for parameters (lib/ctype.c: space and \t-\r). */
static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* One parameter: key[0..key_len), and the value (NULL for a bare flag). */
struct param {
    const char *key;
    size_t key_len;
    const char *val;
    size_t val_len;
};

/*
 * Reads the parameter starting at text[*pos] (not whitespace) and moves *pos
 * past it. The rules are the kernel's next_arg(): a leading '"' opens a
 * quote; whitespace ends the parameter only outside quotes and every '"'
 * toggles quoting; the first '=' splits key and value; a value starting with
 * '"' loses it and its trailing '"'; a parameter that started with '"' loses
 * its trailing '"'. Quotes elsewhere stay in the text.
 */
static void next_param(const char *text, size_t len, size_t *pos, struct param *p)
{
    size_t start = *pos, i, end, eq = 0;
    bool in_quote = false, quoted = false, has_eq = false;

    if (text[start] == '"') {
        start++;
        in_quote = quoted = true;
    }
    for (i = start; i < len; i++) {
        if (is_space(text[i]) && !in_quote)
            break;
        if (!has_eq && text[i] == '=') {
            has_eq = true;
            eq = i;
        }
        if (text[i] == '"')
            in_quote = !in_quote;
    }
    *pos = i;
    end = i;
    p->key = text + start;
    p->val = NULL;
    p->val_len = 0;
    if (!has_eq) {
        if (quoted && end > start && text[end - 1] == '"')
            end--;
        p->key_len = end - start;
        return;
    }
    size_t v = eq + 1;
    if (v < i && text[v] == '"') {
        v++;
        if (text[i - 1] == '"')
            end = i - 1;
    }
    if (quoted && text[i - 1] == '"')
        end = i - 1;
    p->key_len = eq - start;
    p->val = text + v;
    p->val_len = end > v ? end - v : 0;
}

static bool key_is(const struct param *p, const char *key)
{
    return p->key_len == strlen(key) && memcmp(p->key, key, p->key_len) == 0;
}

static int failf(char **ret_error, int err, const char *fmt, ...) _printf_(3, 4);
static int failf(char **ret_error, int err, const char *fmt, ...)
{
    va_list ap;

    if (!ret_error)
        return err;
    va_start(ap, fmt);
    if (vasprintf(ret_error, fmt, ap) < 0) {
        *ret_error = NULL;
        va_end(ap);
        return -ENOMEM;
    }
    va_end(ap);
    return err;
}

/* True when s[0..n) is valid UTF-8 without control characters. */
static bool printable_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        size_t l = base_utf8_decode(s + i, n - i, NULL);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

/* Go's strconv.ParseBool spellings. */
static int parse_bool(const char *s, size_t n)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (n == strlen(yes[i]) && memcmp(s, yes[i], n) == 0)
            return 1;
        if (n == strlen(no[i]) && memcmp(s, no[i], n) == 0)
            return 0;
    }
    return -EINVAL;
}

/* Replaces *slot with a copy of the value (NULL when empty). */
static int set_str(char **slot, const struct param *p)
{
    char *v = NULL;

    if (p->val_len > 0) {
        v = strndup(p->val, p->val_len);
        if (!v)
            return -ENOMEM;
    }
    free(*slot);
    *slot = v;
    return 0;
}

static int check_text(const struct param *p, size_t max, char **ret_error)
{
    if (p->val_len > max)
        return failf(ret_error, -EBADMSG, "%.*s: longer than %zu bytes", (int)p->key_len, p->key,
                     max);
    if (!printable_utf8(p->val, p->val_len))
        return failf(ret_error, -EBADMSG, "%.*s: must be UTF-8 text without control characters",
                     (int)p->key_len, p->key);
    return 0;
}

static int apply_param(struct agent_cmdline *c, const struct param *p, char **ret_error)
{
    int r;

    if (!p->val)
        return 0; /* a flag: none of ours */
    if (key_is(p, "worker_id")) {
        r = check_text(p, AGENTPROTO_ID_MAX, ret_error);
        return r < 0 ? r : set_str(&c->worker_id, p);
    }
    if (key_is(p, "anvil_token")) {
        r = check_text(p, AGENTPROTO_TOKEN_MAX, ret_error);
        return r < 0 ? r : set_str(&c->anvil_token, p);
    }
    if (key_is(p, "syslog_host")) {
        r = check_text(p, AGENT_HOST_MAX + 8, ret_error);
        return r < 0 ? r : set_str(&c->syslog_host, p);
    }
    if (key_is(p, "grpc_authority")) {
        if (p->val_len > 0) {
            _cleanup_free_ char *v = strndup(p->val, p->val_len), *host = NULL;
            uint16_t port;
            if (!v)
                return -ENOMEM;
            if (strlen(v) != p->val_len || agent_authority_parse(v, &host, &port) < 0)
                return failf(ret_error, -EBADMSG,
                             "grpc_authority: not HOST:PORT (IPv6 in brackets)");
        }
        return set_str(&c->grpc_authority, p);
    }
    if (key_is(p, "tinkerbell_tls") || key_is(p, "tinkerbell_insecure_tls")) {
        int *slot = key_is(p, "tinkerbell_tls") ? &c->tinkerbell_tls : &c->tinkerbell_insecure_tls;
        if (p->val_len == 0) {
            *slot = -1;
            return 0;
        }
        r = parse_bool(p->val, p->val_len);
        if (r < 0)
            return failf(ret_error, -EBADMSG, "%.*s: not a boolean (true or false)",
                         (int)p->key_len, p->key);
        *slot = r;
        return 0;
    }
    return 0;
}

int agent_cmdline_parse(const char *text, size_t len, struct agent_cmdline *ret, char **ret_error)
{
    struct agent_cmdline c = AGENT_CMDLINE_INIT;
    size_t pos = 0;
    int r = 0;

    assert_return(text || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    if (len > AGENT_CMDLINE_MAX)
        return failf(ret_error, -E2BIG, "command line: longer than %d bytes", AGENT_CMDLINE_MAX);
    if (len > 0 && memchr(text, '\0', len))
        return failf(ret_error, -EBADMSG, "command line: contains a NUL byte");
    for (;;) {
        struct param p;
        while (pos < len && is_space(text[pos]))
            pos++;
        if (pos >= len)
            break;
        next_param(text, len, &pos, &p);
        r = apply_param(&c, &p, ret_error);
        if (r < 0) {
            agent_cmdline_done(&c);
            return r;
        }
    }
    *ret = c;
    return 0;
}

void agent_cmdline_done(struct agent_cmdline *c)
{
    if (!c)
        return;
    free(c->worker_id);
    free(c->grpc_authority);
    free(c->anvil_token);
    free(c->syslog_host);
    *c = AGENT_CMDLINE_INIT;
}

static int parse_port(const char *s, uint16_t *ret)
{
    unsigned v = 0;
    size_t n = strlen(s);

    if (n == 0 || n > 5)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -EINVAL;
    *ret = (uint16_t)v;
    return 0;
}

static bool host_name_ok(const char *h, size_t n)
{
    if (n == 0 || n > AGENT_HOST_MAX || h[0] == '-' || h[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

int agent_authority_parse(const char *s, char **ret_host, uint16_t *ret_port)
{
    const char *host, *rest;
    size_t host_len;
    uint16_t port = AGENT_DEFAULT_PORT;

    assert_return(s && ret_host && ret_port, -EINVAL);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        char addr[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        if (!close || (size_t)(close - s - 1) >= sizeof(addr))
            return -EINVAL;
        host = s + 1;
        host_len = (size_t)(close - host);
        memcpy(addr, host, host_len);
        addr[host_len] = '\0';
        if (inet_pton(AF_INET6, addr, &a6) != 1)
            return -EINVAL;
        rest = close + 1;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            return -EINVAL; /* IPv6 without brackets */
        host = s;
        host_len = colon ? (size_t)(colon - s) : strlen(s);
        if (!host_name_ok(host, host_len))
            return -EINVAL;
        rest = host + host_len;
    }
    if (rest[0] == ':') {
        if (parse_port(rest + 1, &port) < 0)
            return -EINVAL;
    } else if (rest[0] != '\0')
        return -EINVAL;
    char *h = strndup(host, host_len);
    if (!h)
        return -ENOMEM;
    *ret_host = h;
    *ret_port = port;
    return 0;
}
