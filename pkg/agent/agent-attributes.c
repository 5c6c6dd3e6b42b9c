/* SPDX-License-Identifier: Apache-2.0 */
/* The attributes object: file helpers, cpu, memory, DMI, and the size cap. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

/* Any sysfs attribute the agent reads fits this. */
#define SMALL_FILE_MAX 4096
#define MEMINFO_MAX    (64 * 1024)

int agent_path(char *out, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, AGENT_PATH_MAX, fmt, ap);
    va_end(ap);
    return n < 0 || n >= AGENT_PATH_MAX ? -ENAMETOOLONG : 0;
}

int agent_read_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *data = NULL;
    struct stat st;
    size_t len = 0, cap = 0;

    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EBADFD;
    for (;;) {
        if (len == cap) {
            if (cap >= max)
                break;
            size_t ncap = cap ? MIN(cap * 2, max) : MIN((size_t)4096, max);
            char *p = realloc(data, ncap + 1);
            if (!p)
                return -ENOMEM;
            data = p;
            cap = ncap;
        }
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (!data) {
        data = malloc(1);
        if (!data)
            return -ENOMEM;
    }
    data[len] = '\0';
    *ret = TAKE_PTR(data);
    *ret_len = len;
    return 0;
}

char *agent_value_at(int dirfd, const char *path)
{
    _cleanup_free_ char *raw = NULL;
    size_t len;
    char *v;

    if (agent_read_at(dirfd, path, SMALL_FILE_MAX, &raw, &len) < 0)
        return NULL;
    v = agent_text_clean(raw, len, AGENT_VALUE_MAX);
    if (v && !v[0]) {
        free(v);
        return NULL;
    }
    return v;
}

char **agent_strv_free(char **v)
{
    if (!v)
        return NULL;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
    return NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int agent_list_at(int dirfd, const char *path, char ***ret, size_t *ret_n)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        int r = -errno;
        (void)close(fd);
        return r;
    }
    while (n < AGENT_DIR_MAX && (errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **p = realloc(v, ncap * sizeof(*p));
            if (!p)
                goto oom;
            v = p;
            cap = ncap;
        }
        v[n] = strdup(de->d_name);
        if (!v[n])
            goto oom;
        v[++n] = NULL;
    }
    (void)closedir(d);
    if (!v) {
        v = calloc(1, sizeof(*v));
        if (!v)
            return -ENOMEM;
    }
    qsort(v, n, sizeof(*v), cmp_name);
    *ret = v;
    *ret_n = n;
    return 0;
oom:
    (void)closedir(d);
    if (v)
        v[n] = NULL;
    agent_strv_free(v);
    return -ENOMEM;
}

int agent_json_set_str(json_t *obj, const char *key, const char *value)
{
    if (!value || !value[0])
        return 0;
    return json_object_set_new(obj, key, json_string(value)) < 0 ? -ENOMEM : 0;
}

/* Sets key to obj when obj has members; always consumes obj. */
static int set_nonempty(json_t *attrs, const char *key, json_t *obj)
{
    if (json_object_size(obj) == 0 && json_array_size(obj) == 0) {
        json_decref(obj);
        return 0;
    }
    return json_object_set_new(attrs, key, obj) < 0 ? -ENOMEM : 0;
}

static int cpu(int rootfd, json_t *attrs)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    json_t *c = NULL;
    int r;

    if (agent_read_at(rootfd, "proc/cpuinfo", AGENT_CPUINFO_MAX, &text, &len) < 0)
        return 0;
    r = agent_cpuinfo_parse(text, len, &c);
    if (r == -ENODATA)
        return 0;
    if (r < 0)
        return r;
    return json_object_set_new(attrs, "cpu", c) < 0 ? -ENOMEM : 0;
}

/* Memory the machine has: online memory blocks times their size, when
 * sys/devices/system/memory says; 0 when it does not. */
static uint64_t physical_memory(int rootfd)
{
    _cleanup_free_ char *bs = agent_value_at(rootfd, "sys/devices/system/memory/block_size_bytes");
    char **names = NULL;
    size_t n = 0;
    uint64_t blocks = 0, size;
    char *end;

    if (!bs)
        return 0;
    errno = 0;
    size = strtoull(bs, &end, 16);
    if (errno || *end || size == 0 ||
        agent_list_at(rootfd, "sys/devices/system/memory", &names, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char path[AGENT_PATH_MAX];
        if (strncmp(names[i], "memory", 6) != 0 || !names[i][6] ||
            agent_path(path, "sys/devices/system/memory/%s/online", names[i]) < 0)
            continue;
        _cleanup_free_ char *online = agent_value_at(rootfd, path);
        if (online && strcmp(online, "1") == 0)
            blocks++;
    }
    agent_strv_free(names);
    if (blocks > UINT64_MAX / size)
        return 0;
    return blocks * size;
}

static int memory(int rootfd, json_t *attrs)
{
    _cleanup_free_ char *text = NULL;
    char total[32], usable[32];
    uint64_t usable_bytes = 0, total_bytes;
    json_t *m;
    size_t len;

    if (agent_read_at(rootfd, "proc/meminfo", MEMINFO_MAX, &text, &len) >= 0)
        (void)agent_meminfo_parse(text, len, &usable_bytes);
    total_bytes = physical_memory(rootfd);
    if (total_bytes < usable_bytes)
        total_bytes = usable_bytes;
    agent_size_format(total_bytes, total);
    agent_size_format(usable_bytes, usable);
    m = json_object();
    if (!m || agent_json_set_str(m, "total", total) < 0 ||
        agent_json_set_str(m, "usable", usable) < 0) {
        json_decref(m);
        return -ENOMEM;
    }
    return set_nonempty(attrs, "memory", m);
}

/* One DMI object: JSON key -> file under sys/class/dmi/id. */
struct dmi_field {
    const char *key;
    const char *file;
};

static int
dmi_object(int rootfd, json_t *attrs, const char *name, const struct dmi_field *f, size_t n)
{
    json_t *o = json_object();

    if (!o)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char path[AGENT_PATH_MAX];
        if (agent_path(path, "sys/class/dmi/id/%s", f[i].file) < 0)
            continue;
        _cleanup_free_ char *v = agent_value_at(rootfd, path);
        if (agent_json_set_str(o, f[i].key, v) < 0) {
            json_decref(o);
            return -ENOMEM;
        }
    }
    return set_nonempty(attrs, name, o);
}

static int dmi(int rootfd, json_t *attrs)
{
    static const struct dmi_field chassis[] = {
            {"serial", "chassis_serial"},
            {"vendor", "chassis_vendor"},
    };
    static const struct dmi_field bios[] = {
            {"vendor", "bios_vendor"},
            {"version", "bios_version"},
            {"releaseDate", "bios_date"},
    };
    static const struct dmi_field baseboard[] = {
            {"vendor", "board_vendor"},
            {"product", "board_name"},
            {"version", "board_version"},
            {"serialNumber", "board_serial"},
    };
    static const struct dmi_field product[] = {
            {"name", "product_name"},
            {"vendor", "sys_vendor"},
            {"serialNumber", "product_serial"},
    };
    int r = dmi_object(rootfd, attrs, "chassis", chassis, ARRAY_SIZE(chassis));
    if (r >= 0)
        r = dmi_object(rootfd, attrs, "bios", bios, ARRAY_SIZE(bios));
    if (r >= 0)
        r = dmi_object(rootfd, attrs, "baseboard", baseboard, ARRAY_SIZE(baseboard));
    if (r >= 0)
        r = dmi_object(rootfd, attrs, "product", product, ARRAY_SIZE(product));
    return r;
}

static size_t encoded_size(const json_t *attrs)
{
    return json_dumpb(attrs, NULL, 0, JSON_COMPACT);
}

/* Drops the CPU flags of every processor entry. */
static void drop_capabilities(json_t *attrs)
{
    json_t *procs = json_object_get(json_object_get(attrs, "cpu"), "processors");
    size_t i;
    json_t *p;

    json_array_foreach(procs, i, p)
        (void)json_object_del(p, "capabilities");
}

/* Keeps the encoded attributes under AGENT_ATTRIBUTES_MAX: CPU flags go
 * first, then the last entry of the longest list, one at a time. */
static void fit(json_t *attrs)
{
    static const char *const lists[] = {"pciDevices", "blockDevices", "networkInterfaces",
                                        "gpuDevices"};

    if (encoded_size(attrs) < AGENT_ATTRIBUTES_MAX)
        return;
    drop_capabilities(attrs);
    while (encoded_size(attrs) >= AGENT_ATTRIBUTES_MAX) {
        json_t *longest = json_object_get(json_object_get(attrs, "cpu"), "processors");
        for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
            json_t *l = json_object_get(attrs, lists[i]);
            if (json_array_size(l) > json_array_size(longest))
                longest = l;
        }
        if (json_array_size(longest) == 0)
            break; /* cannot happen with the value caps; do not loop */
        (void)json_array_remove(longest, json_array_size(longest) - 1);
    }
}

int agent_attributes(const char *sysroot, json_t **ret)
{
    _cleanup_json_ json_t *attrs = json_object();
    _cleanup_close_ int rootfd = -1;
    int r;

    assert_return(ret, -EINVAL);
    if (!attrs)
        return -ENOMEM;
    rootfd = open(sysroot ? sysroot : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -errno;
    r = cpu(rootfd, attrs);
    if (r >= 0)
        r = memory(rootfd, attrs);
    if (r >= 0)
        r = agent_block_devices(rootfd, attrs);
    if (r >= 0)
        r = agent_network_interfaces(rootfd, attrs);
    if (r >= 0)
        r = agent_pci_devices(rootfd, attrs);
    if (r >= 0)
        r = dmi(rootfd, attrs);
    if (r < 0)
        return r;
    fit(attrs);
    *ret = TAKE_PTR(attrs);
    return 0;
}
