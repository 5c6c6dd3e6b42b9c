/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers of /proc/cpuinfo and /proc/meminfo text, and upstream's size text. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

/* Logical CPUs beyond this many are ignored (Linux allows 8192). */
#define CPUINFO_RECORDS_MAX 65536
#define CPU_TEXT_MAX        128
#define CPU_FLAG_MAX        64

struct span {
    const char *p;
    size_t n;
};

/* One logical CPU: its package and core, and where its texts are. */
struct cpu_record {
    size_t index;
    int64_t package;
    int64_t core; /* -1: unknown */
    struct span vendor, model, flags;
};

struct cpuinfo {
    struct cpu_record *v;
    size_t n, cap;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static struct span trim(const char *p, size_t n)
{
    while (n > 0 && is_blank(p[0])) {
        p++;
        n--;
    }
    while (n > 0 && is_blank(p[n - 1]))
        n--;
    return (struct span){p, n};
}

static bool span_is(struct span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* A decimal number of at most 9 digits, else -1. */
static int64_t span_int(struct span s)
{
    int64_t v = 0;

    if (s.n == 0 || s.n > 9)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

static int cpuinfo_add(struct cpuinfo *ci)
{
    if (ci->n == CPUINFO_RECORDS_MAX)
        return 1; /* full: later CPUs are ignored */
    if (ci->n == ci->cap) {
        size_t cap = ci->cap ? ci->cap * 2 : 16;
        struct cpu_record *v = realloc(ci->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        ci->v = v;
        ci->cap = cap;
    }
    ci->v[ci->n] = (struct cpu_record){.index = ci->n, .package = 0, .core = -1};
    ci->n++;
    return 0;
}

/* Applies one "key : value" line to the current record. */
static void cpuinfo_field(struct cpu_record *r, struct span key, struct span val)
{
    if (span_is(key, "physical id")) {
        int64_t v = span_int(val);
        r->package = v < 0 ? 0 : v;
    } else if (span_is(key, "core id"))
        r->core = span_int(val);
    else if (span_is(key, "vendor_id") || (span_is(key, "CPU implementer") && !r->vendor.n))
        r->vendor = val;
    else if (span_is(key, "model name"))
        r->model = val;
    else if (span_is(key, "flags") || span_is(key, "Features"))
        r->flags = val;
}

static int cpuinfo_scan(const char *text, size_t len, struct cpuinfo *ci)
{
    bool full = false;

    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *colon = memchr(text + pos, ':', end - pos);
        if (colon) {
            struct span key = trim(text + pos, (size_t)(colon - text) - pos);
            struct span val = trim(colon + 1, end - (size_t)(colon - text) - 1);
            if (span_is(key, "processor") && !full) {
                int r = cpuinfo_add(ci);
                if (r < 0)
                    return r;
                full = r > 0;
            } else if (ci->n > 0 && !full)
                cpuinfo_field(&ci->v[ci->n - 1], key, val);
        }
        pos = end + 1;
    }
    return 0;
}

static int cmp_record(const void *a, const void *b)
{
    const struct cpu_record *x = a, *y = b;

    if (x->package != y->package)
        return x->package < y->package ? -1 : 1;
    if (x->core != y->core)
        return x->core < y->core ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int set_text(json_t *obj, const char *key, struct span s, size_t max)
{
    _cleanup_free_ char *v = agent_text_clean(s.p, s.n, max);

    if (!v)
        return -ENOMEM;
    if (!v[0])
        return 0;
    return json_object_set_new(obj, key, json_string(v)) < 0 ? -ENOMEM : 0;
}

/* True when the flag is short printable ASCII. */
static bool flag_ok(const char *p, size_t n)
{
    if (n == 0 || n > CPU_FLAG_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] > '~')
            return false;
    return true;
}

static int capabilities(struct span flags, json_t **ret)
{
    _cleanup_json_ json_t *arr = json_array();
    size_t i = 0;

    if (!arr)
        return -ENOMEM;
    while (i < flags.n && json_array_size(arr) < AGENT_CAPABILITIES_MAX) {
        while (i < flags.n && is_blank(flags.p[i]))
            i++;
        size_t start = i;
        while (i < flags.n && !is_blank(flags.p[i]))
            i++;
        if (i > start && flag_ok(flags.p + start, i - start) &&
            json_array_append_new(arr, json_stringn(flags.p + start, i - start)) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(arr);
    return 0;
}

/* The processors entry for records g[0..n) of one package. */
static int processor_entry(const struct cpu_record *g, size_t n, unsigned cores, json_t **ret)
{
    _cleanup_json_ json_t *p = json_object();
    const struct cpu_record *first = &g[0];
    json_t *caps = NULL;
    int r;

    if (!p)
        return -ENOMEM;
    for (size_t i = 1; i < n; i++)
        if (g[i].index < first->index)
            first = &g[i];
    if (json_object_set_new(p, "id", json_integer(MIN(g[0].package, (int64_t)UINT32_MAX))) < 0 ||
        json_object_set_new(p, "cores", json_integer(cores)) < 0 ||
        json_object_set_new(p, "threads", json_integer((json_int_t)n)) < 0)
        return -ENOMEM;
    r = set_text(p, "vendor", first->vendor, CPU_TEXT_MAX);
    if (r >= 0)
        r = set_text(p, "model", first->model, CPU_TEXT_MAX);
    if (r >= 0 && first->flags.n > 0) {
        r = capabilities(first->flags, &caps);
        if (r >= 0 && json_array_size(caps) > 0)
            r = json_object_set_new(p, "capabilities", caps) < 0 ? -ENOMEM : 0;
        else
            json_decref(caps);
    }
    if (r < 0)
        return r;
    *ret = TAKE_PTR(p);
    return 0;
}

static int cpu_object(struct cpuinfo *ci, json_t **ret)
{
    _cleanup_json_ json_t *cpu = json_object(), *procs = json_array();
    uint64_t total_cores = 0, total_threads = 0;

    if (!cpu || !procs)
        return -ENOMEM;
    qsort(ci->v, ci->n, sizeof(ci->v[0]), cmp_record);
    for (size_t i = 0; i < ci->n;) {
        size_t j = i;
        unsigned cores = 0;
        bool any_core = false;
        for (; j < ci->n && ci->v[j].package == ci->v[i].package; j++) {
            if (ci->v[j].core < 0)
                continue;
            any_core = true;
            if (j == i || ci->v[j].core != ci->v[j - 1].core)
                cores++;
        }
        if (!any_core)
            cores = (unsigned)(j - i);
        total_cores += cores;
        total_threads += j - i;
        if (json_array_size(procs) < AGENT_PROCESSORS_MAX) {
            json_t *p = NULL;
            int r = processor_entry(ci->v + i, j - i, cores, &p);
            if (r < 0)
                return r;
            if (json_array_append_new(procs, p) < 0)
                return -ENOMEM;
        }
        i = j;
    }
    if (json_object_set_new(cpu, "totalCores", json_integer((json_int_t)total_cores)) < 0 ||
        json_object_set_new(cpu, "totalThreads", json_integer((json_int_t)total_threads)) < 0 ||
        json_object_set(cpu, "processors", procs) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(cpu);
    return 0;
}

int agent_cpuinfo_parse(const char *text, size_t len, json_t **ret)
{
    struct cpuinfo ci = {0};
    int r;

    assert_return(text || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    r = cpuinfo_scan(text, MIN(len, (size_t)AGENT_CPUINFO_MAX), &ci);
    if (r >= 0 && ci.n == 0)
        r = -ENODATA;
    if (r >= 0)
        r = cpu_object(&ci, ret);
    free(ci.v);
    return r;
}

int agent_meminfo_parse(const char *text, size_t len, uint64_t *ret)
{
    assert_return(text || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *colon = memchr(text + pos, ':', end - pos);
        if (colon && span_is(trim(text + pos, (size_t)(colon - text) - pos), "MemTotal")) {
            struct span v = trim(colon + 1, end - (size_t)(colon - text) - 1);
            uint64_t n = 0;
            size_t i = 0;
            for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
                if (n > (UINT64_MAX - 9) / 10)
                    return -ERANGE;
                n = n * 10 + (uint64_t)(v.p[i] - '0');
            }
            if (i == 0)
                return -ENODATA;
            struct span unit = trim(v.p + i, v.n - i);
            if (span_is(unit, "kB")) {
                if (n > UINT64_MAX / 1024)
                    return -ERANGE;
                n *= 1024;
            } else if (unit.n != 0)
                return -ENODATA;
            *ret = n;
            return 0;
        }
        pos = end + 1;
    }
    return -ENODATA;
}

void agent_size_format(uint64_t bytes, char out[static 32])
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    unsigned u = 0;
    uint64_t unit = 1;

    if (bytes == 0) {
        out[0] = '\0';
        return;
    }
    /* The largest unit not above bytes (EB at most). */
    while (u + 1 < ARRAY_SIZE(units) && bytes / unit >= 1024) {
        unit *= 1024;
        u++;
    }
    uint64_t v = bytes / unit + (bytes % unit != 0);
    (void)snprintf(out, 32, "%" PRIu64 "%s", v, units[u]);
}
