/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/agent-internal.h"
#include "base/json-cleanup.h"

/* ---- a fake sysroot under /tmp ---- */

static char root[128];

static void mkdirs(const char *path)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            (void)mkdir(p, 0755);
            *s = '/';
        }
    (void)mkdir(p, 0755);
}

static void parent_dirs(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdirs(p);
}

static void put_n(const char *rel, const char *data, size_t n)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    parent_dirs(rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail_msg("open %s: %s", p, strerror(errno));
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void put(const char *rel, const char *data)
{
    put_n(rel, data, strlen(data));
}

static void put_block(const char *name, const char *file, const char *data)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "big/sys/block/%s/%s", name, file);
    put(rel, data);
}

static void link_to(const char *rel, const char *target)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    parent_dirs(rel);
    if (symlink(target, p) < 0)
        fail_msg("symlink %s: %s", p, strerror(errno));
}

static void dir(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    mkdirs(p);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup_root(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/agent-attr-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    return 0;
}

static int teardown_root(void **state)
{
    (void)state;
    return nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v)
        fail_msg("bad test JSON: %s: %s", err.text, text);
    return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
    _cleanup_json_ json_t *want = J(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
        fail_msg("JSON differs\n got: %s\nwant: %s", g, w);
    }
}

/* ---- the whole tree ---- */

static const char cpuinfo_x86[] =
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU "
        "E5-2620 0 @ 2.00GHz\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu vme sse2\n\n"
        "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU "
        "E5-2620 0 @ 2.00GHz\nphysical id\t: 0\ncore id\t\t: 1\nflags\t\t: fpu vme sse2\n\n"
        "processor\t: 2\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 0\n\n"
        "processor\t: 3\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 1\n\n"
        "processor\t: 4\nvendor_id\t: AuthenticAMD\nmodel name\t: Other\nphysical id\t: 1\n"
        "core id\t\t: 0\nflags\t\t: fpu\n\n"
        "processor\t: 5\nvendor_id\t: AuthenticAMD\nphysical id\t: 1\ncore id\t\t: 0\n\n";

static void make_machine(void)
{
    put("proc/cpuinfo", cpuinfo_x86);
    put("proc/meminfo", "MemTotal:         400000 kB\nMemFree:  1 kB\n");
    put("sys/devices/system/memory/block_size_bytes", "8000000\n");
    for (int i = 0; i < 4; i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/memory/memory%d/online", i);
        put(rel, "1\n");
    }
    put("sys/devices/system/memory/memory4/online", "0\n");

    put("sys/block/sda/size", "2097152\n");
    put("sys/block/sda/queue/rotational", "1\n");
    put("sys/block/sda/queue/physical_block_size", "4096\n");
    put("sys/block/sda/device/vendor", "ATA     \n");
    put("sys/block/sda/device/model", "QEMU HARDDISK   \n");
    put("sys/block/nvme0n1/size", "1000215216\n");
    put("sys/block/nvme0n1/queue/rotational", "0\n");
    put("sys/block/nvme0n1/queue/physical_block_size", "512\n");
    put("sys/block/nvme0n1/wwid", "eui.0025388b71b1e4a5\n");
    put("sys/block/nvme0n1/device/serial", "S4EWNX0N  \n");
    put("sys/block/nvme0n1/device/model", "Samsung SSD 970 EVO Plus 500GB\n");
    put("sys/block/vda/size", "not a number\n");
    put("sys/block/vda/queue/rotational", "0\n");
    put("sys/block/sr0/size", "0\n");
    put("sys/block/sr0/queue/rotational", "0\n");
    put("sys/block/loop0/size", "100\n");
    put("sys/block/ram0/size", "100\n");
    put("sys/block/zram0/size", "100\n");
    dir("sys/block/xyz0");

    put("sys/devices/pci0000:00/0000:00:03.0/net/eth0/address", "52:54:00:12:34:56\n");
    put("sys/devices/pci0000:00/0000:00:03.0/net/eth0/addr_assign_type", "0\n");
    put("sys/devices/pci0000:00/0000:00:03.0/net/eth0/speed", "1000\n");
    link_to("sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/net/eth0");
    put("sys/devices/pci0000:00/0000:00:04.0/net/eth1/address", "52:54:00:00:00:01\n");
    put("sys/devices/pci0000:00/0000:00:04.0/net/eth1/addr_assign_type", "1\n");
    put("sys/devices/pci0000:00/0000:00:04.0/net/eth1/speed", "-1\n");
    link_to("sys/class/net/eth1", "../../devices/pci0000:00/0000:00:04.0/net/eth1");
    put("sys/class/net/ens4/address", "52:54:00:AB:CD:EF\n"); /* a directory, not a link */
    put("sys/class/net/wlan0/address", "00:00:00:00:00:00\n");
    put("sys/devices/virtual/net/lo/address", "00:00:00:00:00:00\n");
    link_to("sys/class/net/lo", "../../devices/virtual/net/lo");
    put("sys/devices/virtual/net/br0/address", "52:54:00:99:99:99\n");
    link_to("sys/class/net/br0", "../../devices/virtual/net/br0");

    put("sys/bus/pci/devices/0000:00:03.0/vendor", "0x1af4\n");
    put("sys/bus/pci/devices/0000:00:03.0/device", "0x1000\n");
    put("sys/bus/pci/devices/0000:00:03.0/class", "0x020000\n");
    dir("sys/bus/pci/drivers/virtio-pci");
    link_to("sys/bus/pci/devices/0000:00:03.0/driver", "../../../../bus/pci/drivers/virtio-pci");
    put("sys/bus/pci/devices/0000:00:02.0/vendor", "0x1234\n");
    put("sys/bus/pci/devices/0000:00:02.0/device", "0x1111\n");
    put("sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n");
    put("sys/bus/pci/devices/0000:00:1f.0/class", "0xAB0000\n");
    put("sys/bus/pci/devices/0000:00:1f.0/vendor", "zz\n");
    dir("sys/bus/pci/devices/0000:00:99.0");

    put("sys/class/dmi/id/sys_vendor", "QEMU\n");
    put("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
    put("sys/class/dmi/id/bios_vendor", "SeaBIOS\n");
    put("sys/class/dmi/id/bios_version", "1.16.2-debian-1.16.2-1\n");
    put("sys/class/dmi/id/bios_date", "04/01/2014\n");
    put("sys/class/dmi/id/board_vendor", "\n");
    put("sys/class/dmi/id/chassis_vendor", "QEMU\n");
    put("sys/class/dmi/id/chassis_serial", "AB\x01\xff\n");
}

static void test_attributes_fake_machine(void **state)
{
    _cleanup_json_ json_t *attrs = NULL;

    (void)state;
    make_machine();
    assert_int_equal(agent_attributes(root, &attrs), 0);
    assert_json(attrs,
                "{\"cpu\":{\"totalCores\":3,\"totalThreads\":6,\"processors\":["
                "{\"id\":0,\"cores\":2,\"threads\":4,\"vendor\":\"GenuineIntel\","
                "\"model\":\"Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz\","
                "\"capabilities\":[\"fpu\",\"vme\",\"sse2\"]},"
                "{\"id\":1,\"cores\":1,\"threads\":2,\"vendor\":\"AuthenticAMD\","
                "\"model\":\"Other\",\"capabilities\":[\"fpu\"]}]},"
                "\"memory\":{\"total\":\"512MB\",\"usable\":\"391MB\"},"
                "\"blockDevices\":["
                "{\"name\":\"nvme0n1\",\"controllerType\":\"NVMe\",\"driveType\":\"SSD\","
                "\"size\":\"477GB\",\"physicalBlockSize\":\"512B\","
                "\"model\":\"Samsung SSD 970 EVO Plus 500GB\",\"serialNumber\":\"S4EWNX0N\","
                "\"wwn\":\"eui.0025388b71b1e4a5\"},"
                "{\"name\":\"sda\",\"controllerType\":\"SCSI\",\"driveType\":\"HDD\","
                "\"size\":\"1GB\",\"physicalBlockSize\":\"4KB\",\"vendor\":\"ATA\","
                "\"model\":\"QEMU HARDDISK\"},"
                "{\"name\":\"sr0\",\"controllerType\":\"SCSI\",\"driveType\":\"ODD\"},"
                "{\"name\":\"vda\",\"controllerType\":\"virtio\",\"driveType\":\"SSD\"},"
                "{\"name\":\"xyz0\",\"controllerType\":\"Unknown\",\"driveType\":\"Unknown\"}],"
                "\"networkInterfaces\":["
                "{\"name\":\"ens4\",\"mac\":\"52:54:00:ab:cd:ef\"},"
                "{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\",\"speed\":\"1000\"},"
                "{\"name\":\"eth1\"},{\"name\":\"wlan0\"}],"
                "\"pciDevices\":["
                "{\"vendor\":\"1234\",\"product\":\"1111\",\"class\":\"Display controller\"},"
                "{\"vendor\":\"1af4\",\"product\":\"1000\",\"class\":\"Network controller\","
                "\"driver\":\"virtio-pci\"},"
                "{\"class\":\"ab0000\"}],"
                "\"gpuDevices\":["
                "{\"vendor\":\"1234\",\"product\":\"1111\",\"class\":\"Display controller\"}],"
                "\"chassis\":{\"serial\":\"AB??\",\"vendor\":\"QEMU\"},"
                "\"bios\":{\"vendor\":\"SeaBIOS\",\"version\":\"1.16.2-debian-1.16.2-1\","
                "\"releaseDate\":\"04/01/2014\"},"
                "\"product\":{\"name\":\"Standard PC (Q35 + ICH9, 2009)\",\"vendor\":\"QEMU\"}}");
    /* What the gateway gets decodes as a hello. */
    _cleanup_free_ char *text = NULL;
    assert_int_equal(agentproto_encode(&(struct agentproto_msg){.type = AGENTPROTO_HELLO,
                                                                .hello = {.agent_id = "m",
                                                                          .attributes = attrs}},
                                       &text, NULL, NULL),
                     0);
}

static void test_attributes_empty_and_missing_roots(void **state)
{
    _cleanup_json_ json_t *attrs = NULL;
    char sub[256];

    (void)state;
    snprintf(sub, sizeof(sub), "%s/empty", root);
    mkdirs(sub);
    assert_int_equal(agent_attributes(sub, &attrs), 0);
    assert_json(attrs, "{}");
    snprintf(sub, sizeof(sub), "%s/missing", root);
    json_t *none = NULL;
    assert_int_equal(agent_attributes(sub, &none), -ENOENT);
    assert_null(none);
    /* A file is not a sysroot. */
    put("plainfile", "x");
    snprintf(sub, sizeof(sub), "%s/plainfile", root);
    assert_int_equal(agent_attributes(sub, &none), -ENOTDIR);
    /* A FIFO where a file should be is skipped, not read. */
    snprintf(sub, sizeof(sub), "%s/fifo/proc", root);
    mkdirs(sub);
    snprintf(sub, sizeof(sub), "%s/fifo/proc/cpuinfo", root);
    assert_int_equal(mkfifo(sub, 0600), 0);
    snprintf(sub, sizeof(sub), "%s/fifo", root);
    json_decref(attrs);
    attrs = NULL;
    assert_int_equal(agent_attributes(sub, &attrs), 0);
    assert_json(attrs, "{}");
}

/* Big values everywhere: the result still fits, flags go first. */
static void test_attributes_fit_under_cap(void **state)
{
    _cleanup_json_ json_t *attrs = NULL;
    char sub[256], flags[600 * 61 + 16], val[200], rel[256];
    size_t n;

    (void)state;
    snprintf(sub, sizeof(sub), "%s/big", root);

    n = (size_t)snprintf(flags, sizeof(flags), "processor: 0\nflags: ");
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(flags + n, sizeof(flags) - n, "%060d ", i);
    put("big/proc/cpuinfo", flags);
    memset(val, 'v', 150);
    val[150] = '\0';
    for (int i = 0; i < 70; i++) {
        char name[32];
        snprintf(name, sizeof(name), "sd%03d", i);
        put_block(name, "device/model", val);
        put_block(name, "device/vendor", val);
        put_block(name, "device/serial", val);
        put_block(name, "wwid", val);
    }
    for (int i = 0; i < 70; i++) {
        snprintf(rel, sizeof(rel), "big/sys/class/net/eth%0100d/address", i);
        put(rel, "52:54:00:12:34:56\n");
    }
    for (int i = 0; i < 300; i++) {
        snprintf(rel, sizeof(rel), "big/sys/bus/pci/devices/0000:%02x:%02x.0/vendor", i / 32,
                 i % 32);
        put(rel, "0x8086\n");
        snprintf(rel, sizeof(rel), "big/sys/bus/pci/devices/0000:%02x:%02x.0/class", i / 32,
                 i % 32);
        put(rel, "0x030000\n");
    }

    assert_int_equal(agent_attributes(sub, &attrs), 0);
    size_t size = json_dumpb(attrs, NULL, 0, JSON_COMPACT);
    assert_true(size < AGENT_ATTRIBUTES_MAX);
    if (size <= AGENT_ATTRIBUTES_MAX - 1024)
        fail_msg("size %zu", size); /* trimmed, not emptied */
    json_t *p0 = json_array_get(json_object_get(json_object_get(attrs, "cpu"), "processors"), 0);
    assert_non_null(p0);
    assert_null(json_object_get(p0, "capabilities"));
    assert_int_equal(json_integer_value(json_object_get(p0, "threads")), 1);
    /* Each list is capped first; then the list with the most entries (PCI
     * here) loses its tail. */
    assert_int_equal(json_array_size(json_object_get(attrs, "blockDevices")), AGENT_BLOCK_MAX);
    assert_int_equal(json_array_size(json_object_get(attrs, "networkInterfaces")), AGENT_NIC_MAX);
    size_t pci = json_array_size(json_object_get(attrs, "pciDevices"));
    assert_true(pci > 0 && pci < AGENT_PCI_MAX);
    assert_int_equal(json_array_size(json_object_get(attrs, "gpuDevices")), AGENT_GPU_MAX);
    /* Values are cut to AGENT_VALUE_MAX. */
    json_t *d0 = json_array_get(json_object_get(attrs, "blockDevices"), 0);
    assert_int_equal(strlen(json_string_value(json_object_get(d0, "model"))), AGENT_VALUE_MAX);
}

/* ---- the parsers ---- */

static void test_cpuinfo_parse_table(void **state)
{
    static const struct {
        const char *in;
        int err;
        const char *want;
    } cases[] = {
            /* arm64: no package or core ids, "Features" for flags. */
            {"processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: "
             "0x41\n\nprocessor\t: 1\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n",
             0,
             "{\"totalCores\":2,\"totalThreads\":2,\"processors\":[{\"id\":0,\"cores\":2,"
             "\"threads\":2,\"vendor\":\"0x41\",\"capabilities\":[\"fp\",\"asimd\"]}]}"},
            /* No trailing newline; junk ids count as package 0; a core id of junk is unknown. */
            {"processor:0\nphysical id: x\ncore id: 7\nprocessor:1\ncore id: zz", 0,
             "{\"totalCores\":1,\"totalThreads\":2,\"processors\":[{\"id\":0,\"cores\":1,"
             "\"threads\":2}]}"},
            /* Fields before the first processor line are ignored; bad flags skipped. */
            {"vendor_id: X\nprocessor: 0\nflags: ok \xff\xfe "
             "\x01"
             " also_ok\n",
             0,
             "{\"totalCores\":1,\"totalThreads\":1,\"processors\":[{\"id\":0,\"cores\":1,"
             "\"threads\":1,\"capabilities\":[\"ok\",\"also_ok\"]}]}"},
            {"", -ENODATA, NULL},
            {"vendor_id: GenuineIntel\nflags: fpu\n", -ENODATA, NULL},
            {"no colon here\n\n\n", -ENODATA, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *cpu = NULL;
        int r = agent_cpuinfo_parse(cases[i].in, strlen(cases[i].in), &cpu);
        if (r != cases[i].err)
            fail_msg("case %zu: got %d want %d", i, r, cases[i].err);
        if (r == 0)
            assert_json(cpu, cases[i].want);
        else
            assert_null(cpu);
        json_decref(cpu);
    }
}

static void test_cpuinfo_parse_many_packages(void **state)
{
    char text[AGENT_PROCESSORS_MAX * 2 * 48];
    size_t n = 0;
    json_t *cpu = NULL;

    (void)state;
    for (int i = 0; i < AGENT_PROCESSORS_MAX * 2; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "processor: %d\nphysical id: %d\n", i, i);
    assert_int_equal(agent_cpuinfo_parse(text, n, &cpu), 0);
    assert_int_equal(json_integer_value(json_object_get(cpu, "totalThreads")),
                     AGENT_PROCESSORS_MAX * 2);
    assert_int_equal(json_array_size(json_object_get(cpu, "processors")), AGENT_PROCESSORS_MAX);
    json_decref(cpu);
}

static void test_meminfo_parse_table(void **state)
{
    static const struct {
        const char *in;
        int err;
        uint64_t want;
    } cases[] = {
            {"MemTotal:       16323412 kB\n", 0, 16323412ULL * 1024},
            {"MemFree: 1 kB\nMemTotal: 2 kB\nMemTotal: 3 kB\n", 0, 2048},
            {"MemTotal: 5", 0, 5},
            {"MemTotal: kB\n", -ENODATA, 0},
            {"MemTotal: 5 MB\n", -ENODATA, 0},
            {"MemFree: 5 kB\n", -ENODATA, 0},
            {"", -ENODATA, 0},
            {"MemTotal: 99999999999999999999999 kB\n", -ERANGE, 0},
            {"MemTotal: 18014398509481984 kB\n", -ERANGE, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 42;
        int r = agent_meminfo_parse(cases[i].in, strlen(cases[i].in), &v);
        if (r != cases[i].err)
            fail_msg("case %zu: got %d want %d", i, r, cases[i].err);
        assert_int_equal(v, r == 0 ? cases[i].want : 42);
    }
}

static void test_size_format_table(void **state)
{
    static const struct {
        uint64_t in;
        const char *want;
    } cases[] = {
            {0, ""},
            {1, "1B"},
            {1023, "1023B"},
            {1024, "1KB"},
            {1025, "2KB"},
            {1536, "2KB"},
            {1024 * 1024 - 1, "1024KB"},
            {1024 * 1024, "1MB"},
            {16ULL << 30, "16GB"},
            {(16ULL << 30) + 1, "17GB"},
            {1ULL << 40, "1TB"},
            {1ULL << 50, "1PB"},
            {1ULL << 60, "1EB"},
            {UINT64_MAX, "16EB"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        agent_size_format(cases[i].in, out);
        assert_string_equal(out, cases[i].want);
    }
}

static void test_text_clean_table(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cases[] = {
            {"  ATA     \n", 128, "ATA"},
            {"a\tb\x01"
             "c\x7f",
             128, "a?b?c?"},
            {"caf\xc3\xa9", 128, "caf\xc3\xa9"},
            {"caf\xc3\xa9", 4, "caf"}, /* never half a character */
            {"\xc3\x28", 128, "?("},
            {"\xed\xa0\x80", 128, "???"}, /* a surrogate is not UTF-8 */
            {"abcdef", 3, "abc"},
            {"ab    cd", 4, "ab"}, /* a cut leaves no trailing space */
            {"", 10, ""},
            {"\n\n", 10, ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = agent_text_clean(cases[i].in, strlen(cases[i].in), cases[i].max);
        assert_non_null(out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\" want \"%s\"", i, out, cases[i].want);
        free(out);
    }
}

static void test_message_clean_table(void **state)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        size_t max;
        const char *want;
    } cases[] = {
            {"line 1\nline 2\n\n", 0, 100, "line 1\nline 2"},
            {"bad \xff byte", 0, 100, "bad \xef\xbf\xbd byte"},
            {"nul\0in", 6, 100, "nul\xef\xbf\xbdin"},
            {"0123456789", 0, 4, "6789"}, /* the tail is kept */
            {"\xc3\xa9\xc3\xa9", 0, 3, "\xc3\xa9"},
            {"x\xff", 0, 2, ""}, /* U+FFFD does not fit in 2 bytes */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        char *out = agent_message_clean(cases[i].in, len, cases[i].max);
        assert_non_null(out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\" want \"%s\"", i, out, cases[i].want);
        assert_true(strlen(out) <= cases[i].max);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_attributes_fake_machine),
            cmocka_unit_test(test_attributes_empty_and_missing_roots),
            cmocka_unit_test(test_attributes_fit_under_cap),
            cmocka_unit_test(test_cpuinfo_parse_table),
            cmocka_unit_test(test_cpuinfo_parse_many_packages),
            cmocka_unit_test(test_meminfo_parse_table),
            cmocka_unit_test(test_size_format_table),
            cmocka_unit_test(test_text_clean_table),
            cmocka_unit_test(test_message_clean_table),
    };
    return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
