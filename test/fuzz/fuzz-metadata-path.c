/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata request path of pkg/metadata: the URL path, the
 * X-Forwarded-For header and the peer address, as raw bytes separated by
 * NULs ("<path>\0<xff>\0<peer>"). Checked on every input: a lookup always
 * answers 200 or 404, a traversal never answers 200, leaves need a
 * Hardware, and the client address is the peer unless the peer is a
 * trusted proxy, and never a trusted proxy's left neighbour's left.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "metadata/metadata-internal.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static const char hardware_json[] =
        "{\"spec\":{\"userData\":\"#cloud-config\\n\",\"metadata\":{"
        "\"facility\":{\"plan_slug\":\"p\",\"facility_code\":\"f\"},"
        "\"instance\":{\"id\":\"i\",\"hostname\":\"h\",\"tags\":[\"a\",\"b\"],"
        "\"operating_system\":{\"slug\":\"s\",\"distro\":\"d\",\"version\":\"v\","
        "\"image_tag\":\"t\"},"
        "\"ips\":[{\"address\":\"10.0.0.5\",\"family\":4},"
        "{\"address\":\"203.0.113.5\",\"family\":4,\"public\":true},"
        "{\"address\":\"2001:db8::5\",\"family\":6}]}}}}";

static bool has_dot_component(const char *p)
{
    for (const char *c = p; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return true;
    }
    return false;
}

static bool is_leaf(const char *norm)
{
    for (size_t i = 0; i < metadata_leaves_count; i++) {
        if (strcmp(metadata_leaves[i].path, norm) == 0)
            return true;
    }
    return false;
}

static void fuzz_lookup(const json_t *hw, const char *path)
{
    struct metadata_reply rep = {0};
    char *norm = NULL;

    int r = metadata_lookup(hw, path, &rep);
    check(r == 0 || r == -ENOMEM);
    if (r < 0)
        return;
    check(rep.status == 200 || rep.status == 404);
    check(rep.body && rep.body[rep.body_len] == '\0');

    int n = metadata_path_normalize(path, &norm);
    check(n == 0 || n == -ENOENT || n == -ENOMEM);
    if (has_dot_component(path) || strlen(path) > METADATA_PATH_MAX)
        check(n == -ENOENT && rep.status == 404);
    if (rep.status == 200) {
        check(n == 0);
        /* A leaf needs a Hardware; a listing is one name per line. */
        if (is_leaf(norm))
            check(hw != NULL);
        else
            check(rep.body_len > 0 && !strstr(rep.body, "\n\n") &&
                  rep.body[rep.body_len - 1] != '\n');
    }
    if (n == 0) {
        check(norm[0] != '/' && !strstr(norm, "//"));
        check(!norm[0] || norm[strlen(norm) - 1] != '/');
    }
    free(norm);
    metadata_reply_done(&rep);
}

static void fuzz_client_ip(const char *xff, const char *peer)
{
    static const char *const lists[] = {"", "10.0.0.0/8", "0.0.0.0/0,::/0", "10.0.0.0/8,fd00::/8"};

    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        struct metadata_cidr *trusted = NULL;
        size_t n = 0;
        char ip[METADATA_IP_STRLEN], peer_ip[METADATA_IP_STRLEN];
        struct metadata_addr peer_addr, got;

        check(metadata_cidr_list_parse(lists[l], &trusted, &n) == 0);
        int r = metadata_client_ip(peer, xff, trusted, n, ip);
        int p = metadata_addr_parse(peer, strlen(peer), &peer_addr);
        check((r == 0) == (p == 0));
        if (r == 0) {
            check(metadata_addr_format(&peer_addr, peer_ip) == 0);
            check(metadata_addr_parse(ip, strlen(ip), &got) == 0);
            bool peer_trusted = false;
            for (size_t i = 0; i < n; i++)
                peer_trusted = peer_trusted || metadata_cidr_contains(&trusted[i], &peer_addr);
            if (!peer_trusted || !xff[0])
                check(strcmp(ip, peer_ip) == 0);
        }
        free(trusted);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *hw;
    if (!hw) {
        hw = json_loads(hardware_json, 0, NULL);
        check(hw);
    }
    if (size > 3 * METADATA_XFF_MAX)
        return 0;

    /* Three NUL-terminated parts; missing ones are empty. */
    char *buf = calloc(size + 3, 1);
    check(buf);
    memcpy(buf, data, size);
    const char *path = buf;
    const char *xff = path + strlen(path) + 1; /* at most buf + size + 1 */
    const char *peer = xff + strlen(xff) + 1;  /* at most buf + size + 2 */

    fuzz_lookup(hw, path);
    fuzz_lookup(NULL, path);
    fuzz_client_ip(xff, peer);

    /* A CIDR list and a single CIDR from the same bytes. */
    struct metadata_cidr *v = NULL, c;
    size_t n = 0;
    if (metadata_cidr_list_parse(path, &v, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            check(v[i].prefix <= (v[i].addr.family == AF_INET ? 32u : 128u));
        free(v);
    }
    if (metadata_cidr_parse(path, &c) == 0)
        check(metadata_cidr_contains(&c, &c.addr));
    free(buf);
    return 0;
}
