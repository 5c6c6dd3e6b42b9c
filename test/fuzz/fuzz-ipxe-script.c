/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/ipxe script generation from a fuzzed Hardware object (JSON, NUL bytes
 * allowed). An optional top-level "fuzzConfig" object overrides the daemon
 * configuration. Checked on every input: a generated boot-environment or
 * static script has exactly the lines of a script made for a harmless
 * Hardware (no value can add a line, a command, a comment or a settings
 * expansion), every byte is printable or a line feed, and the kernel line's
 * arguments are single safe tokens.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipxe/ipxe-internal.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define MAC "52:54:00:12:34:56"

static const char benign_json[] = "{\"spec\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" MAC "\"},"
                                  "\"netboot\":{\"allowPXE\":true}}]}}";

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static size_t word_len(const char *p)
{
    return strcspn(p, " \n");
}

static bool word_is(const char *p, const char *w)
{
    size_t n = strlen(w);
    return word_len(p) == n && strncmp(p, w, n) == 0;
}

/* Checks the kernel line "kernel URL arg... && goto load_initrd ...". */
static void check_kernel_line(const char *line, size_t len)
{
    static const char tail[] = " && goto load_initrd || ";
    const char *end = line + len;
    const char *t = strstr(line, tail);

    check(t && t < end);
    check(word_is(line, "kernel"));
    const char *p = line + 7;
    check(word_is(p, "${download-url}/${kernel}"));
    p += word_len(p);
    while (p < t) {
        check(*p == ' ');
        p++;
        size_t n = word_len(p);
        check(n > 0 && p + n <= t);
        check(p[0] != '#');
        check(!word_is(p, "||") && !word_is(p, "&&") && !word_is(p, ";"));
        /* The only expansions on the argument list are the module's own. */
        const char *dollar = strstr(p, "${");
        if (dollar && dollar < p + n)
            check(word_is(p, "initrd=${initrd}") || word_is(p, "worker_id=${mac}") ||
                  word_is(p, "hw_addr=${mac}"));
        check(!memchr(p, '"', n) && !memchr(p, '\\', n));
        p += n;
    }
}

static void check_generic(const char *s)
{
    static const char *const first_words[] = {
            "#!ipxe", "echo", "set", "nslookup", "iseq", "kernel", "initrd", "boot", "imgfree",
            "exit",   ":retry_kernel", ":load_initrd", ":retry_initrd", ":boot", ":retry_boot",
            ":kernel_failed", ":initrd_failed", ":boot_failed",
    };

    check(strncmp(s, "#!ipxe\n", 7) == 0);
    for (const char *c = s; *c; c++)
        check(*c == '\n' || (*c >= 0x20 && *c <= 0x7e));
    check(s[strlen(s) - 1] == '\n');
    for (const char *line = s; *line; line = strchr(line, '\n') + 1) {
        size_t len = strcspn(line, "\n");
        if (len == 0)
            continue;
        bool known = false;
        for (size_t i = 0; i < sizeof(first_words) / sizeof(first_words[0]); i++)
            known = known || word_is(line, first_words[i]);
        check(known);
        if (word_is(line, "set")) {
            /* "set name value": three words, no more. */
            const char *v = line + 4;
            v += word_len(v);
            check(*v == ' ');
            v++;
            check(word_len(v) > 0 && v[word_len(v)] == '\n');
            check(v[0] != '#');
        }
        if (word_is(line, "kernel"))
            check_kernel_line(line, len);
    }
}

static size_t lines(const char *s)
{
    return count(s, "\n");
}

static void check_like(const char *s, const char *ref)
{
    check_generic(s);
    check(lines(s) == lines(ref));
    check(count(s, "${") <= count(ref, "${"));
    /* Line by line, the same command. */
    const char *a = s, *b = ref;
    while (*a && *b) {
        check(word_len(a) == word_len(b) && strncmp(a, b, word_len(a)) == 0);
        a = strchr(a, '\n') + 1;
        b = strchr(b, '\n') + 1;
    }
}

static const char *str_member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The configuration under test: fixed, or overridden by "fuzzConfig". */
static void fuzz_config(const json_t *root, struct ipxe_config *cfg, const char **extra, size_t max)
{
    static const char *const base_extra[] = {"tink_worker_image=quay.io/tinkerbell/tink-worker"};
    *cfg = (struct ipxe_config){
            .bootenv_url = "http://10.1.1.1:7080/bootenv",
            .grpc_authority = "10.1.1.1:42113",
            .syslog_host = "10.1.1.1",
            .extra_kernel_args = base_extra,
            .n_extra_kernel_args = 1,
            .retries = 1,
            .retry_delay = 1,
            .token = "tok",
    };
    const json_t *fc = json_object_get(root, "fuzzConfig");
    if (!json_is_object(fc))
        return;
    cfg->bootenv_url = str_member(fc, "bootenv_url");
    cfg->grpc_authority = str_member(fc, "grpc_authority");
    cfg->syslog_host = str_member(fc, "syslog_host");
    cfg->token = str_member(fc, "token");
    cfg->kernel_name = str_member(fc, "kernel_name");
    cfg->initrd_name = str_member(fc, "initrd_name");
    cfg->facility = str_member(fc, "facility");
    cfg->tinkerbell_tls = json_is_true(json_object_get(fc, "tls"));
    cfg->retries = (unsigned)json_integer_value(json_object_get(fc, "retries"));
    cfg->retry_delay = (unsigned)json_integer_value(json_object_get(fc, "retry_delay"));
    const json_t *ex = json_object_get(fc, "extra");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(ex) && n < max; i++) {
        const char *s = json_string_value(json_array_get(ex, i));
        if (s)
            extra[n++] = s;
    }
    cfg->extra_kernel_args = extra;
    cfg->n_extra_kernel_args = n;
}

static void fuzz_hardware(const json_t *hw,
                          const char *mac,
                          const struct ipxe_config *cfg,
                          int ref_r,
                          const char *ref)
{
    char *script = NULL;
    const char *field = NULL;

    int r = ipxe_script_hardware(hw, mac, cfg, &script, &field);
    check(r == 0 || r == -ENOENT || r == -ENODATA || r == -EPERM || r == -EINVAL || r == -E2BIG);
    check((r == 0) == (script != NULL));
    if (r == -EINVAL)
        check(field != NULL);
    /* A broken configuration is refused before the Hardware is read. */
    if (ref_r == -EINVAL)
        check(r == -EINVAL && strncmp(field, "config.", 7) == 0);
    if (r < 0)
        return;

    struct ipxe_machine m;
    const char *f2;
    check(ipxe_machine_from_hardware(hw, mac, &m, &f2) == 0);
    check(m.allow_pxe);
    if (m.ipxe_url) {
        static const char head[] =
                "#!ipxe\n\necho Loading custom iPXE script...\nchain --autofree ";
        size_t ulen = strlen(m.ipxe_url);
        check(ipxe_value_is_safe(m.ipxe_url, true) && ipxe_url_is_http(m.ipxe_url));
        check(strlen(script) == sizeof(head) - 1 + ulen + 1);
        check(strncmp(script, head, sizeof(head) - 1) == 0);
        check(memcmp(script + sizeof(head) - 1, m.ipxe_url, ulen) == 0);
        check(lines(script) == 4);
    } else if (m.ipxe_contents) {
        check(strncmp(script, "#!ipxe\n\necho Loading custom iPXE script...\n", 43) == 0);
    } else if (ref_r == 0) {
        check_like(script, ref);
    } else {
        /* The reference was too long; this Hardware's values are shorter. */
        check(ref_r == -E2BIG);
        check_generic(script);
    }
    free(script);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *benign;
    if (!benign) {
        benign = json_loads(benign_json, 0, NULL);
        check(benign);
    }
    if (size > 256 * 1024)
        return 0;
    json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!root)
        return 0;

    const char *extra[8];
    struct ipxe_config cfg;
    fuzz_config(root, &cfg, extra, 8);

    /* The reference: the same configuration and a harmless Hardware. */
    char *ref = NULL;
    const char *ref_field = NULL;
    int ref_r = ipxe_script_hardware(benign, MAC, &cfg, &ref, &ref_field);
    check(ref_r == 0 || ref_r == -EINVAL || ref_r == -E2BIG);

    const json_t *ifaces = json_object_get(json_object_get(root, "spec"), "interfaces");
    const char *macs[] = {
            MAC,
            json_string_value(json_object_get(json_object_get(json_array_get(ifaces, 0), "dhcp"),
                                              "mac")),
            json_string_value(json_object_get(json_object_get(json_array_get(ifaces, 1), "dhcp"),
                                              "mac")),
    };
    for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
        if (macs[i])
            fuzz_hardware(root, macs[i], &cfg, ref_r, ref);
    }

    /* The static script depends on the configuration alone. */
    char *st = NULL;
    const char *field = NULL;
    int r = ipxe_script_static(&cfg, &st, &field);
    check(r == 0 || r == -EINVAL || r == -E2BIG);
    if (ref_r == -EINVAL)
        check(r == -EINVAL);
    if (r == 0) {
        check_generic(st);
        check(count(st, "${mac}") == 3);
        free(st);
    }
    free(ref);
    json_decref(root);
    return 0;
}
