/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default boot entry of a GRUB configuration, for kexec without
 * KERNEL_PATH (upstream's kexec action reads /boot/grub/grub.conf the same
 * way). Only the shape distributions generate is understood: "set
 * default=N", then menuentry blocks with linux/linux16/linuxefi and
 * initrd/initrd16/initrdefi lines. The text comes from the disk being
 * provisioned, so it is treated as untrusted and bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

struct grub_entry {
    char *kernel, *initrd, *args;
};

static void entry_clear(struct grub_entry *e)
{
    free(e->kernel);
    free(e->initrd);
    free(e->args);
    *e = (struct grub_entry){0};
}

/* Copies a word or the rest of a line, dropping a "(hdX,...)" device
 * prefix from paths and GRUB's "\$" escapes. */
static char *grub_copy(const char *s, size_t n, bool path)
{
    if (path && n > 0 && s[0] == '(') {
        const char *close = memchr(s, ')', n);
        if (close) {
            n -= (size_t)(close + 1 - s);
            s = close + 1;
        }
    }
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '$')
            continue;
        out[k++] = s[i];
    }
    out[k] = '\0';
    return out;
}

static bool word_is(const char *w, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && memcmp(*set, w, n) == 0)
            return true;
    return false;
}

static long parse_default(const char *v, size_t n)
{
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v++;
        n -= 2;
    }
    long d = 0;
    if (n == 0 || n > 6)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0; /* "saved", a title or an id: the first entry */
        d = d * 10 + (v[i] - '0');
    }
    return d;
}

/* Handles one line inside a menuentry. */
static int entry_line(struct grub_entry *e, const char *w, size_t wn, const char *rest, size_t rn)
{
    static const char *const linux_words[] = {"linux", "linux16", "linuxefi", NULL};
    static const char *const initrd_words[] = {"initrd", "initrd16", "initrdefi", NULL};
    size_t an = 0; /* the first word of rest; rest is not NUL-terminated */
    while (an < rn && rest[an] != ' ' && rest[an] != '\t')
        an++;
    if (an == 0)
        return 0;
    if (word_is(w, wn, linux_words)) {
        entry_clear(e);
        const char *args = rest + an;
        size_t argn = rn - an;
        while (argn > 0 && (*args == ' ' || *args == '\t')) {
            args++;
            argn--;
        }
        e->kernel = grub_copy(rest, an, true);
        e->args = grub_copy(args, argn, false);
        return e->kernel && e->args ? 0 : -ENOMEM;
    }
    if (word_is(w, wn, initrd_words) && e->kernel) {
        /* Several files ("ucode.img initramfs.img"): the last is the
         * initramfs proper; kexec_file_load takes one. */
        const char *last = rest;
        size_t lastn = an;
        for (size_t i = an; i < rn;) {
            while (i < rn && (rest[i] == ' ' || rest[i] == '\t'))
                i++;
            size_t k = i;
            while (k < rn && rest[k] != ' ' && rest[k] != '\t')
                k++;
            if (k > i) {
                last = rest + i;
                lastn = k - i;
            }
            i = k;
        }
        free(e->initrd);
        e->initrd = grub_copy(last, lastn, true);
        return e->initrd ? 0 : -ENOMEM;
    }
    return 0;
}

int actions_grub_default(
        const char *text, size_t len, char **ret_kernel, char **ret_initrd, char **ret_args)
{
    assert_return((text || len == 0) && ret_kernel && ret_initrd && ret_args, -EINVAL);
    if (len > ACTIONS_GRUB_MAX)
        return -EFBIG;
    long want = 0, index = 0;
    bool in_entry = false, found = false;
    struct grub_entry cur = {0}, pick = {0};
    int r = 0;
    for (size_t pos = 0; pos < len && r == 0;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        while (ll > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            ll--;
        }
        while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == ' ' || line[ll - 1] == '\t'))
            ll--;
        size_t wn = 0;
        while (wn < ll && line[wn] != ' ' && line[wn] != '\t')
            wn++;
        const char *rest = line + wn;
        size_t rn = ll - wn;
        while (rn > 0 && (*rest == ' ' || *rest == '\t')) {
            rest++;
            rn--;
        }
        if (wn == 0 || line[0] == '#')
            continue;
        if (!in_entry && wn == 3 && memcmp(line, "set", 3) == 0 && rn > 8 &&
            memcmp(rest, "default=", 8) == 0) {
            want = parse_default(rest + 8, rn - 8);
        } else if (wn == 9 && memcmp(line, "menuentry", 9) == 0) {
            entry_clear(&cur);
            in_entry = true;
        } else if (in_entry && wn == 1 && line[0] == '}') {
            in_entry = false;
            if (cur.kernel && !found && index++ == want) {
                entry_clear(&pick);
                pick = cur;
                cur = (struct grub_entry){0};
                found = true;
            } else if (cur.kernel && index == 1 && !found) {
                pick = cur; /* the first entry, kept in case default is out of range */
                cur = (struct grub_entry){0};
            }
            entry_clear(&cur);
        } else if (in_entry) {
            r = entry_line(&cur, line, wn, rest, rn);
        }
    }
    entry_clear(&cur);
    if (r < 0 || !pick.kernel) {
        entry_clear(&pick);
        return r < 0 ? r : -ENOENT;
    }
    *ret_kernel = pick.kernel;
    *ret_initrd = pick.initrd;
    *ret_args = pick.args;
    return 0;
}
