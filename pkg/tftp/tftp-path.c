/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path policy: which file a requested TFTP name means. Pure string work; the
 * caller opens the result beneath its root directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp-internal.h"

/* The network boot programs of Debian's ipxe package (/usr/lib/ipxe; its
 * ipxe.lkrn and ipxe.iso are not PXE boot files). Upstream Tinkerbell's
 * snp-x86_64.efi is Debian's snponly.efi. */
static const struct tftp_name_map ipxe_files_default[] = {
        {"undionly.kpxe", "undionly.kpxe"},
        {"undionly.kkpxe", "undionly.kkpxe"},
        {"ipxe.pxe", "ipxe.pxe"},
        {"ipxe.efi", "ipxe.efi"},
        {"snponly.efi", "snponly.efi"},
        {"snp-x86_64.efi", "snponly.efi"},
        {NULL, NULL},
};

const struct tftp_name_map *tftp_ipxe_files_default(void)
{
    return ipxe_files_default;
}

/* "-VV-" + 32 + "-" + 16 + "-" + 2 hex digits. */
#define TRACEPARENT_LEN (4 + 32 + 1 + 16 + 1 + 2)

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Returns the length of name without a trailing traceparent suffix, which
 * Smee appends to boot file names when OpenTelemetry is on (compat 5.2):
 * "<file>-<2 hex>-<32 hex>-<16 hex>-<2 hex>". */
static size_t strip_traceparent(const char *name, size_t len)
{
    static const char shape[] = "-xx-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx-xx";
    _Static_assert(sizeof(shape) - 1 == TRACEPARENT_LEN, "traceparent shape");

    if (len < TRACEPARENT_LEN)
        return len;
    const char *s = name + len - TRACEPARENT_LEN;
    for (size_t i = 0; i < TRACEPARENT_LEN; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !is_hex(s[i]))
            return len;
    }
    return len - TRACEPARENT_LEN;
}

static bool byte_refused(unsigned char c)
{
    /* NUL would cut the name short for open(2); a backslash is a separator
     * to some clients; control bytes have no business in a file name. */
    return c == '\0' || c == '\\' || c < 0x20 || c == 0x7f;
}

static const char *ipxe_lookup(const struct tftp_name_map *table, const char *base, size_t len)
{
    for (; table->name; table++)
        if (strlen(table->name) == len && memcmp(table->name, base, len) == 0)
            return table->file;
    return NULL;
}

/* Copies the components of name[0..len) into out (room for len + 1),
 * dropping empty and "." components. Returns the length written or -EACCES
 * for a ".." component. */
static int path_clean(const char *name, size_t len, char *out)
{
    size_t n = 0, i = 0;

    while (i < len) {
        size_t j = i;
        while (j < len && name[j] != '/')
            j++;
        size_t clen = j - i;
        if (clen == 2 && name[i] == '.' && name[i + 1] == '.')
            return -EACCES;
        if (clen > 0 && !(clen == 1 && name[i] == '.')) {
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, name + i, clen);
            n += clen;
        }
        i = j + 1;
    }
    out[n] = '\0';
    return (int)n;
}

int tftp_path_map(const struct tftp_path_policy *policy,
                  const char *name,
                  size_t len,
                  enum tftp_root *ret_root,
                  char **ret_path)
{
    static const struct tftp_path_policy def = {0};
    const struct tftp_name_map *table;
    _cleanup_free_ char *clean = NULL;
    int n;

    assert_return(name || len == 0, -EINVAL);
    assert_return(ret_root, -EINVAL);
    assert_return(ret_path, -EINVAL);
    if (!policy)
        policy = &def;
    table = policy->ipxe_files ? policy->ipxe_files : ipxe_files_default;

    if (len > TFTP_NAME_MAX)
        return -EACCES;
    for (size_t i = 0; i < len; i++)
        if (byte_refused((unsigned char)name[i]))
            return -EACCES;

    len = strip_traceparent(name, len);
    while (len > 0 && name[0] == '/') {
        name++;
        len--;
    }

    clean = malloc(len + 1);
    if (!clean)
        return -ENOMEM;
    n = path_clean(name, len, clean);
    if (n < 0)
        return n;

    /* A name ending in "/" or "/." names a directory, never a served file
     * (n > 0 implies len > 0). */
    if (n == 0)
        return -ENOENT;
    bool dot_last = name[len - 1] == '.' && (len == 1 || name[len - 2] == '/');
    if (name[len - 1] == '/' || dot_last)
        return -ENOENT;
    const char *slash = strrchr(clean, '/');
    const char *base = slash ? slash + 1 : clean;

    /* Upstream's first TFTP route: an iPXE binary, by base name, so
     * "<mac>/ipxe.efi" is served as "ipxe.efi". */
    const char *file = ipxe_lookup(table, base, strlen(base));
    if (file) {
        char *copy = strdup(file);
        if (!copy)
            return -ENOMEM;
        *ret_root = TFTP_ROOT_IPXE;
        *ret_path = copy;
        return 0;
    }
    if (!policy->serve_assets)
        return -ENOENT;
    *ret_root = TFTP_ROOT_ASSET;
    *ret_path = TAKE_PTR(clean);
    return 0;
}
