/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything an action's fields go through before anything runs: image
 * reference mapping, environment checks and lookups, the option values
 * (modes, ids, booleans), word splitting, the docker and ctr argument
 * vectors (volumes parsed for ctr), the container name, and output text
 * repair. Input: NUL-separated fields, the first the image, then entries
 * tagged by their first byte ('e' environment, 'v' volume, 'c' command,
 * 'o' other values).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"
#include "base/utf8.h"

#define MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const struct buf *b)
{
    for (size_t i = 0; i < b->len;) {
        size_t l = base_utf8_decode(b->data + i, b->len - i, NULL);
        if (l == 0 || memchr(b->data + i, 0, l))
            abort();
        i += l;
    }
}

static void values(const char *s)
{
    mode_t m;
    uint32_t id;
    bool b;
    if (actions_parse_mode(s, &m) == 0 && m > 07777)
        abort();
    if (actions_parse_id(s, &id) == 0 && id == UINT32_MAX)
        abort();
    (void)actions_parse_bool(s, &b);
    char **v = NULL;
    size_t n = 0;
    if (actions_split(s, " ;\t", &v, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (!v[i][0] || strpbrk(v[i], " ;\t"))
                abort();
        if (v[n])
            abort();
        actions_strv_free(v);
    }
}

static void text(const char *s, size_t len)
{
    struct buf b = BUF_INIT(4 * len + 64);
    if (actions_text_append(&b, s, len) == 0)
        check_utf8(&b);
    buf_free(&b);
    struct actions_tail t;
    if (actions_tail_init(&t, len % 37) < 0)
        return;
    actions_tail_append(&t, s, len / 2);
    actions_tail_append(&t, s + len / 2, len - len / 2);
    struct buf out = BUF_INIT(8 * len + 128);
    if (actions_tail_render(&t, &out) == 0)
        check_utf8(&out);
    buf_free(&out);
    actions_tail_done(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *env[MAX_FIELDS], *vol[MAX_FIELDS], *cmd[MAX_FIELDS];
    size_t ne = 0, nv = 0, nc = 0;
    const char *image = copy;
    for (size_t off = strlen(copy) + 1; off < size; off += strlen(copy + off) + 1) {
        const char *f = copy + off;
        switch (f[0]) {
        case 'e':
            if (ne < MAX_FIELDS)
                env[ne++] = f + 1;
            break;
        case 'v':
            if (nv < MAX_FIELDS && f[1])
                vol[nv++] = f + 1;
            break;
        case 'c':
            if (nc < MAX_FIELDS)
                cmd[nc++] = f + 1;
            break;
        default:
            values(f);
        }
    }
    text((const char *)data, size);

    enum actions_kind k;
    int r = actions_image_kind(image, &k);
    if (r != 0 && r != -EINVAL && r != -ENOENT)
        abort();
    if (r == 0 && !actions_kind_to_string(k))
        abort();
    struct agentproto_action a = {.image = image,
                                  .name = nv ? vol[0] : "n",
                                  .action_id = nc ? cmd[0] : "id",
                                  .namespace_pid = ne ? env[0] : NULL,
                                  .namespace_network = nv > 1 ? vol[1] : NULL,
                                  .environment = {.v = env, .n = ne},
                                  .volumes = {.v = vol, .n = nv},
                                  .command = {.v = cmd, .n = nc}};
    size_t bad = 0;
    if (actions_env_check(&a.environment, &bad) == 0) {
        for (size_t i = 0; i < ne; i++) {
            size_t kl = strcspn(env[i], "=");
            char name[256];
            if (kl >= sizeof(name))
                continue;
            memcpy(name, env[i], kl);
            name[kl] = '\0';
            const char *v = actions_env_get(&a.environment, name);
            if (!v)
                abort();
        }
    } else if (bad >= ne) {
        abort();
    }
    char *cname = NULL;
    if (actions_oci_name(&a, &cname) == 0) {
        if (strspn(cname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
            strlen(cname))
            abort();
        static const char *const programs[] = {"/usr/bin/docker", "ctr"};
        for (size_t i = 0; i < 2 && r == 0 && actions_env_check(&a.environment, NULL) == 0; i++) {
            struct buf err = BUF_INIT(1024);
            char **argv = NULL;
            int ar = actions_oci_argv(&a, programs[i], cname, &argv, &err);
            if (ar != 0 && ar != -EINVAL && ar != -ENOMEM)
                abort();
            if (ar == 0) {
                size_t n = 0;
                while (argv[n])
                    n++;
                if (n < 3 + nc || strcmp(argv[0], programs[i]) != 0)
                    abort();
                for (size_t j = 0; j < nc; j++)
                    if (strcmp(argv[n - nc + j], cmd[j]) != 0)
                        abort();
                actions_strv_free(argv);
            } else if (ar == -EINVAL && !err.len) {
                abort();
            }
            buf_free(&err);
        }
        free(cname);
    }
    free(copy);
    return 0;
}
