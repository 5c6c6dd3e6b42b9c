/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes apistore with arbitrary JSON bodies on an in-memory database.
 *
 * The input is a script, one command per line:
 *   byte 0  command: c create, u update, d delete (stored body), D delete with
 *           the body, b batch (create + update), g get, l list, a list_at,
 *           e events_since, k compact, m maintain
 *   byte 1  key selector (resource, namespace, name from a small table)
 *   byte 2  number: expected revision, revision or limit, depending on the command
 *   rest    JSON body (whatever jansson makes of it; unparsable means no body)
 *
 * Event timestamps come from a clock stuck at 0, so "m" (maintain at now =
 * 10 * byte 2) compacts once now passes the 300 s window.
 *
 * Invariants checked (abort on violation): the revision moves by exactly one
 * per committed write and never on a failed one; a stored body always carries
 * metadata.resourceVersion equal to its revision; get, list and list_at at
 * the current revision agree; every row handed to a callback is well formed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apistore/apistore-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 65536

static const struct {
    const char *res, *ns, *name;
} keys[] = {
        {"tinkerbell.org/hardware", "default", "a"},
        {"tinkerbell.org/hardware", "default", "b"},
        {"tinkerbell.org/hardware", "other", "a"},
        {"tinkerbell.org/hardware", "", "a"},
        {"/namespaces", "", "default"},
        {"tinkerbell.org/workflows", "default", "a"},
};

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x)) {                                                            \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* metadata.resourceVersion of a JSON text equals rev. */
static int body_has_rv(const char *body, size_t len, uint64_t rev)
{
    json_t *j = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
    const char *rv =
            json_string_value(json_object_get(json_object_get(j, "metadata"), "resourceVersion"));
    char want[24];
    snprintf(want, sizeof(want), "%" PRIu64, rev);
    int ok = rv && strcmp(rv, want) == 0;
    json_decref(j);
    return ok;
}

struct tally {
    size_t rows;
    uint64_t max_rev;
};

static int check_row(const struct apistore_row *row, void *userdata)
{
    struct tally *t = userdata;
    CHECK(row->res && row->ns && row->name && row->labels && row->body);
    CHECK(strlen(row->body) == row->body_len);
    CHECK(body_has_rv(row->body, row->body_len, row->rev));
    CHECK(apistore_event_type_to_string(row->type) != NULL);
    json_t *labels = json_loads(row->labels, 0, NULL);
    CHECK(json_is_object(labels));
    json_decref(labels);
    t->rows++;
    if (row->rev > t->max_rev)
        t->max_rev = row->rev;
    return 0;
}

static void do_write(struct apistore *s, char cmd, size_t k, uint64_t num, json_t *obj)
{
    uint64_t before = apistore_revision(s), rev = 0;
    int r;
    if (cmd == 'b') {
        json_t *copy = obj ? json_deep_copy(obj) : NULL;
        struct apistore_write w[2] = {
                {APISTORE_CREATE, keys[k].res, keys[k].ns, keys[k].name, 0, obj},
                {APISTORE_UPDATE, keys[k].res, keys[k].ns, keys[k].name, num, copy},
        };
        r = apistore_write_batch(s, w, 2);
        json_decref(copy);
        CHECK(apistore_revision(s) == (r == 0 ? before + 2 : before));
        return;
    }
    enum apistore_op op = cmd == 'c'   ? APISTORE_CREATE
                          : cmd == 'u' ? APISTORE_UPDATE
                                       : APISTORE_DELETE;
    struct apistore_write w = {
            .op = op,
            .res = keys[k].res,
            .ns = keys[k].ns,
            .name = keys[k].name,
            .expected_rev = op == APISTORE_CREATE ? 0 : num,
            .obj = cmd == 'd' ? NULL : obj,
    };
    r = apistore_write(s, &w, &rev);
    CHECK(r == 0 || r == -EINVAL || r == -EEXIST || r == -ENOENT || r == -ECANCELED || r == -E2BIG);
    CHECK(apistore_revision(s) == (r == 0 ? before + 1 : before));
    if (r < 0)
        return;
    CHECK(rev == before + 1);
    char *body = NULL;
    uint64_t got = 0;
    int g = apistore_get(s, keys[k].res, keys[k].ns, keys[k].name, &body, &got);
    if (op == APISTORE_DELETE) {
        CHECK(g == -ENOENT);
        return;
    }
    CHECK(g == 0 && got == rev);
    CHECK(body_has_rv(body, strlen(body), rev));
    free(body);
}

/* list() and list_at(current) see the same objects. */
static void check_lists(struct apistore *s, size_t k, uint64_t num)
{
    struct apistore_list_opts o = {.ns = (num & 1) ? keys[k].ns : NULL, .limit = num >> 4};
    struct tally now = {0}, at = {0};
    uint64_t rev = 0;
    bool more = false;
    CHECK(apistore_list(s, keys[k].res, &o, check_row, &now, &rev, &more) == 0);
    CHECK(rev == apistore_revision(s));
    CHECK(apistore_list_at(s, keys[k].res, rev, &o, check_row, &at, NULL) == 0);
    CHECK(now.rows == at.rows && now.max_rev == at.max_rev);
    CHECK(now.max_rev <= rev);
    CHECK(o.limit == 0 || now.rows <= o.limit);
}

static void run_line(struct apistore *s, const uint8_t *p, size_t len)
{
    if (len < 3)
        return;
    char cmd = (char)p[0];
    size_t k = p[1] % (sizeof(keys) / sizeof(keys[0]));
    uint64_t num = p[2];
    json_t *obj = json_loadb((const char *)p + 3, len - 3, JSON_ALLOW_NUL, NULL);
    uint64_t cur = apistore_revision(s), compacted = apistore_compacted_revision(s);
    struct tally t = {0};

    switch (cmd) {
    case 'c':
    case 'u':
    case 'd':
    case 'D':
    case 'b':
        do_write(s, cmd, k, num, obj);
        break;
    case 'g': {
        char *body = NULL;
        uint64_t rev = 0;
        int r = apistore_get(s, keys[k].res, keys[k].ns, keys[k].name, &body, &rev);
        CHECK(r == 0 || r == -ENOENT);
        CHECK(r < 0 || body_has_rv(body, strlen(body), rev));
        free(body);
        break;
    }
    case 'l':
        check_lists(s, k, num);
        break;
    case 'a': {
        int r = apistore_list_at(s, keys[k].res, num, NULL, check_row, &t, NULL);
        CHECK(r == (num < compacted ? -ESTALE : num > cur ? -ERANGE : 0));
        CHECK(t.max_rev <= num);
        break;
    }
    case 'e': {
        int r = apistore_events_since(s, keys[k].res, NULL, num, check_row, &t);
        CHECK(r == (num < compacted ? -ESTALE : num > cur ? -ERANGE : 0));
        CHECK(r < 0 || t.rows <= cur - num);
        break;
    }
    case 'k': {
        uint64_t target = cur ? num % (cur + 1) : 0;
        int r = apistore_compact(s, target);
        CHECK(r == (target > compacted ? 1 : 0));
        CHECK(apistore_compacted_revision(s) == (target > compacted ? target : compacted));
        break;
    }
    case 'm': {
        CHECK(apistore_maintain(s, (int64_t)num * 10) >= 0);
        /* retain_min = 2: the newest two revisions are never compacted */
        uint64_t c = apistore_compacted_revision(s);
        CHECK(c == compacted || c + 2 <= cur);
        break;
    }
    default:
        break;
    }
    json_decref(obj);
}

static int64_t clock_zero(void *userdata)
{
    (void)userdata;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    struct apistore *s = NULL;
    if (apistore_open(&s, &(struct apistore_opts){.path = ":memory:", .retain_min = 2}) < 0)
        abort();
    apistore_set_clock(s, clock_zero, NULL);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            run_line(s, data + start, i - start);
            start = i + 1;
        }
    }
    /* History at the compacted revision is still complete. */
    struct tally t = {0};
    CHECK(apistore_list_at(s, keys[0].res, apistore_compacted_revision(s), NULL, check_row, &t,
                           NULL) == 0);
    apistore_free(s);
    return 0;
}
