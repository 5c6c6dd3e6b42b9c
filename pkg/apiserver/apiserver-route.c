/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request path and query parsing: pure functions over strings, fuzzed by
 * test/fuzz/fuzz-apiserver-route.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"

#define MAX_SEGMENTS 12

void api_path_clear(struct api_path *p)
{
    free(p->group);
    free(p->version);
    free(p->ns);
    free(p->resource);
    free(p->name);
    free(p->subresource);
    free(p->rest);
    *p = (struct api_path){0};
}

static int dup_or_null(char **dst, const char *src)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : -ENOMEM;
}

/* Splits path on '/' into at most MAX_SEGMENTS non-empty segments in a
 * private copy. Empty segments ("a//b") and "." / ".." are rejected. */
static int split_path(char *copy, char **seg, size_t *n)
{
    *n = 0;
    char *save = NULL;
    if (copy[0] != '/' || strstr(copy, "//"))
        return -EINVAL;
    size_t len = strlen(copy);
    if (len > 1 && copy[len - 1] == '/')
        copy[len - 1] = '\0'; /* tolerate one trailing slash */
    for (char *p = copy + 1;; p = NULL) {
        char *t = strtok_r(p, "/", &save);
        if (!t)
            break;
        if (strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
            return -EINVAL;
        if (*n == MAX_SEGMENTS)
            return -EINVAL;
        seg[(*n)++] = t;
    }
    return 0;
}

static int join_rest(char **seg, size_t from, size_t n, char **ret)
{
    size_t total = 1;
    for (size_t i = from; i < n; i++)
        total += strlen(seg[i]) + 1;
    char *s = malloc(total);
    if (!s)
        return -ENOMEM;
    s[0] = '\0';
    for (size_t i = from; i < n; i++) {
        if (i > from)
            strcat(s, "/");
        strcat(s, seg[i]);
    }
    *ret = s;
    return 0;
}

/* Resource part after /api/v1 or /apis/g/v: seg[0..n). */
static int parse_resource(char **seg, size_t n, struct api_path *p)
{
    int r;
    if (n == 0)
        return 0; /* discovery of the group version */
    p->kind = API_PATH_RESOURCE;
    if (strcmp(seg[0], "namespaces") == 0 && n >= 3 &&
        !(n == 3 && (strcmp(seg[2], "status") == 0 || strcmp(seg[2], "finalize") == 0))) {
        /* namespaces/<ns>/<resource>[/<name>[/<sub>]] */
        if (n > 5)
            return -EINVAL;
        if ((r = dup_or_null(&p->ns, seg[1])) < 0 || (r = dup_or_null(&p->resource, seg[2])) < 0 ||
            (r = dup_or_null(&p->name, n > 3 ? seg[3] : NULL)) < 0 ||
            (r = dup_or_null(&p->subresource, n > 4 ? seg[4] : NULL)) < 0)
            return r;
        return 0;
    }
    if (n > 3)
        return -EINVAL;
    if ((r = dup_or_null(&p->resource, seg[0])) < 0 ||
        (r = dup_or_null(&p->name, n > 1 ? seg[1] : NULL)) < 0 ||
        (r = dup_or_null(&p->subresource, n > 2 ? seg[2] : NULL)) < 0)
        return r;
    return 0;
}

static int parse_segments(char **seg, size_t n, struct api_path *p)
{
    int r;
    if (n == 0)
        return -ENOENT;
    if (n == 1 && strcmp(seg[0], "version") == 0) {
        p->kind = API_PATH_VERSION;
        return 0;
    }
    if (strcmp(seg[0], "healthz") == 0 || strcmp(seg[0], "readyz") == 0 ||
        strcmp(seg[0], "livez") == 0) {
        p->kind = API_PATH_HEALTH;
        return join_rest(seg, 0, n, &p->rest);
    }
    if (n == 1 && strcmp(seg[0], "metrics") == 0) {
        p->kind = API_PATH_METRICS;
        return 0;
    }
    if (strcmp(seg[0], "openapi") == 0 && n >= 2) {
        if (strcmp(seg[1], "v2") == 0) {
            p->kind = API_PATH_OPENAPI_V2;
            return 0;
        }
        if (strcmp(seg[1], "v3") == 0) {
            p->kind = API_PATH_OPENAPI_V3;
            return join_rest(seg, 2, n, &p->rest);
        }
        return -ENOENT;
    }
    if (strcmp(seg[0], "api") == 0) {
        p->core = true;
        p->kind = API_PATH_DISCOVERY;
        if ((r = dup_or_null(&p->group, "")) < 0)
            return r;
        if (n == 1)
            return 0;
        if ((r = dup_or_null(&p->version, seg[1])) < 0)
            return r;
        return parse_resource(seg + 2, n - 2, p);
    }
    if (strcmp(seg[0], "apis") == 0) {
        p->kind = API_PATH_DISCOVERY;
        if (n == 1)
            return 0;
        if ((r = dup_or_null(&p->group, seg[1])) < 0)
            return r;
        if (n == 2)
            return 0;
        if ((r = dup_or_null(&p->version, seg[2])) < 0)
            return r;
        return parse_resource(seg + 3, n - 3, p);
    }
    return -ENOENT;
}

int api_path_parse(const char *path, struct api_path *ret)
{
    struct api_path p = {0};
    char *seg[MAX_SEGMENTS];
    size_t n;
    if (!path || strlen(path) > API_MAX_PATH)
        return -EINVAL;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    char *q = strchr(copy, '?');
    if (q)
        *q = '\0';
    int r = split_path(copy, seg, &n);
    if (r == 0)
        r = parse_segments(seg, n, &p);
    free(copy);
    if (r < 0) {
        api_path_clear(&p);
        return r;
    }
    *ret = p;
    return 0;
}

void api_query_init(struct api_query *q)
{
    *q = (struct api_query){.timeout_seconds = -1, .limit = 0};
}

void api_query_clear(struct api_query *q)
{
    free(q->label_selector);
    free(q->field_selector);
    free(q->resource_version);
    free(q->resource_version_match);
    free(q->cont);
    free(q->field_manager);
    free(q->field_validation);
    free(q->dry_run);
    free(q->propagation_policy);
    free(q->include_object);
    api_query_init(q);
}

static int parse_bool(const char *v, bool *out)
{
    if (!v || !*v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return 0;
    }
    return -EINVAL;
}

static int parse_ll(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < 0)
        return -EINVAL;
    *out = x;
    return 0;
}

static int set_str(char **dst, const char *v)
{
    char *s = strdup(v ? v : "");
    if (!s)
        return -ENOMEM;
    free(*dst);
    *dst = s;
    return 0;
}

int api_query_add(struct api_query *q, const char *name, const char *value)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
            {"labelSelector", offsetof(struct api_query, label_selector)},
            {"fieldSelector", offsetof(struct api_query, field_selector)},
            {"resourceVersion", offsetof(struct api_query, resource_version)},
            {"resourceVersionMatch", offsetof(struct api_query, resource_version_match)},
            {"continue", offsetof(struct api_query, cont)},
            {"fieldManager", offsetof(struct api_query, field_manager)},
            {"fieldValidation", offsetof(struct api_query, field_validation)},
            {"dryRun", offsetof(struct api_query, dry_run)},
            {"propagationPolicy", offsetof(struct api_query, propagation_policy)},
            {"includeObject", offsetof(struct api_query, include_object)},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(name, strs[i].name) == 0)
            return set_str((char **)(void *)((char *)q + strs[i].off), value);
    if (strcmp(name, "watch") == 0)
        return parse_bool(value, &q->watch);
    if (strcmp(name, "allowWatchBookmarks") == 0)
        return parse_bool(value, &q->allow_watch_bookmarks);
    if (strcmp(name, "sendInitialEvents") == 0) {
        q->send_initial_events_set = true;
        return parse_bool(value, &q->send_initial_events);
    }
    if (strcmp(name, "force") == 0)
        return parse_bool(value, &q->force);
    if (strcmp(name, "pretty") == 0)
        return parse_bool(value, &q->pretty);
    if (strcmp(name, "limit") == 0)
        return parse_ll(value ? value : "", &q->limit);
    if (strcmp(name, "timeoutSeconds") == 0)
        return parse_ll(value ? value : "", &q->timeout_seconds);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' in place; rejects bad escapes and NUL. */
static int url_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -EINVAL;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

int api_query_parse(const char *raw, struct api_query *q)
{
    if (!raw || !*raw)
        return 0;
    if (strlen(raw) > API_MAX_PATH)
        return -EINVAL;
    char *copy = strdup(raw);
    if (!copy)
        return -ENOMEM;
    int r = 0;
    char *save = NULL;
    for (char *p = copy;; p = NULL) {
        char *kv = strtok_r(p, "&", &save);
        if (!kv)
            break;
        char *eq = strchr(kv, '=');
        char *v = NULL;
        if (eq) {
            *eq = '\0';
            v = eq + 1;
        }
        if ((r = url_decode(kv)) < 0 || (v && (r = url_decode(v)) < 0))
            break;
        if ((r = api_query_add(q, kv, v)) < 0)
            break;
    }
    free(copy);
    return r;
}
