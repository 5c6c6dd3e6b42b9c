/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw Redfish resources (untrusted: whatever the BMC served) mapped onto
 * Hardware.status.attributes.outOfBand. Every value is type-checked;
 * strings are cleaned and capped, numbers must be non-negative integers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "bmc/bmc-internal.h"
#include "workflow/workflow.h"

#define STR_MAX   256
#define ITEMS_MAX 256
#define MIB       (1024LL * 1024)
#define GIB       (1024LL * MIB)

/* dst[key] = cleaned src[field] when it is a non-empty string. */
static int put_str(json_t *dst, const char *key, const json_t *src, const char *field)
{
    const char *s = bmc_str(src, field);
    if (!s || !*s)
        return 0;
    json_t *v = bmc_string_clean(s, STR_MAX);
    if (!v)
        return -ENOMEM;
    if (json_string_length(v) == 0) {
        json_decref(v);
        return 0;
    }
    return json_object_set_new(dst, key, v) < 0 ? -ENOMEM : 0;
}

/* A non-negative integer src[field] (doubles with no fraction too). */
static bool get_uint(const json_t *src, const char *field, long long *ret)
{
    json_t *v = json_object_get(src, field);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *ret = json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.0e15 &&
        json_real_value(v) == (double)(long long)json_real_value(v)) {
        *ret = (long long)json_real_value(v);
        return true;
    }
    return false;
}

static int
put_uint(json_t *dst, const char *key, const json_t *src, const char *field, long long scale)
{
    long long v;
    if (!get_uint(src, field, &v))
        return 0;
    if (scale > 1 && v > INT64_MAX / scale)
        return 0;
    return json_object_set_new(dst, key, json_integer(v * (scale > 1 ? scale : 1))) < 0 ? -ENOMEM
                                                                                        : 0;
}

/* status {health, state} from a Redfish Status object. */
static int put_status(json_t *dst, const json_t *src)
{
    json_t *rs = bmc_obj(src, "Status");
    if (!rs)
        return 0;
    json_t *st = json_object();
    int r;
    if (!st)
        return -ENOMEM;
    if ((r = put_str(st, "health", rs, "Health")) < 0 ||
        (r = put_str(st, "state", rs, "State")) < 0) {
        json_decref(st);
        return r;
    }
    if (json_object_size(st) == 0) {
        json_decref(st);
        return 0;
    }
    return json_object_set_new(dst, "status", st) < 0 ? -ENOMEM : 0;
}

/* Common identity fields of a component. */
static int put_identity(json_t *dst, const json_t *src)
{
    int r;
    if ((r = put_str(dst, "vendor", src, "Manufacturer")) < 0 ||
        (r = put_str(dst, "model", src, "Model")) < 0 ||
        (r = put_str(dst, "serialNumber", src, "SerialNumber")) < 0 ||
        (r = put_str(dst, "partNumber", src, "PartNumber")) < 0)
        return r;
    return put_status(dst, src);
}

int bmc_mac_normalize(const char *s, char ret[18])
{
    char out[18];
    if (!s || strlen(s) != 17)
        return -EINVAL;
    for (size_t i = 0; i < 17; i++) {
        char ch = s[i];
        if (i % 3 == 2) {
            if (ch != ':' && ch != '-')
                return -EINVAL;
            out[i] = ':';
            continue;
        }
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return -EINVAL;
        out[i] = ch;
    }
    out[17] = '\0';
    memcpy(ret, out, sizeof(out));
    return 0;
}

static const char *nic_mac(const json_t *nic, char buf[18])
{
    if (bmc_mac_normalize(bmc_str(nic, "MACAddress"), buf) == 0 ||
        bmc_mac_normalize(bmc_str(nic, "PermanentMACAddress"), buf) == 0)
        return buf;
    return NULL;
}

static int map_product(json_t *oob, const json_t *sys)
{
    json_t *p = json_object(), *b;
    int r;
    if (!p || json_object_set_new(oob, "product", p) < 0)
        return -ENOMEM;
    if ((r = put_identity(p, sys)) < 0 || (r = put_str(p, "productName", sys, "Name")) < 0 ||
        (r = put_str(p, "sku", sys, "SKU")) < 0 || (r = put_str(p, "uuid", sys, "UUID")) < 0)
        return r;
    if (!bmc_str(sys, "BiosVersion"))
        return 0;
    b = json_object();
    if (!b || json_object_set_new(oob, "bios", b) < 0)
        return -ENOMEM;
    return put_str(b, "firmwareInstalled", sys, "BiosVersion");
}

static int map_cpu(json_t *oob, const json_t *raw, const json_t *sys)
{
    json_t *cpu = json_object(), *sockets = json_array(), *p;
    long long cores = 0, threads = 0, v;
    size_t i;
    int r;
    if (!cpu || !sockets || json_object_set_new(oob, "cpu", cpu) < 0 ||
        json_object_set_new(cpu, "sockets", sockets) < 0) {
        json_decref(sockets);
        return -ENOMEM;
    }
    json_array_foreach(json_object_get(raw, "processors"), i, p)
    {
        const char *type = bmc_str(p, "ProcessorType");
        if (i >= ITEMS_MAX || !json_is_object(p) || (type && strcmp(type, "CPU") != 0))
            continue;
        json_t *s = json_object();
        if (!s || json_array_append_new(sockets, s) < 0)
            return -ENOMEM;
        if ((r = put_identity(s, p)) < 0 || (r = put_str(s, "socket", p, "Socket")) < 0 ||
            (r = put_str(s, "architecture", p, "ProcessorArchitecture")) < 0 ||
            (r = put_str(s, "instructionSet", p, "InstructionSet")) < 0 ||
            (r = put_uint(s, "cores", p, "TotalCores", 1)) < 0 ||
            (r = put_uint(s, "threads", p, "TotalThreads", 1)) < 0 ||
            (r = put_uint(s, "speedMHz", p, "MaxSpeedMHz", 1)) < 0)
            return r;
        if (get_uint(p, "TotalCores", &v) && v < (1LL << 32))
            cores += v;
        if (get_uint(p, "TotalThreads", &v) && v < (1LL << 32))
            threads += v;
    }
    json_t *sum = bmc_obj(sys, "ProcessorSummary");
    if (cores == 0 && get_uint(sum, "CoreCount", &v) && v < (1LL << 32))
        cores = v;
    if (threads == 0 && get_uint(sum, "LogicalProcessorCount", &v) && v < (1LL << 32))
        threads = v;
    if ((cores && json_object_set_new(cpu, "totalCores", json_integer(cores)) < 0) ||
        (threads && json_object_set_new(cpu, "totalThreads", json_integer(threads)) < 0))
        return -ENOMEM;
    return 0;
}

static int map_memory(json_t *oob, const json_t *raw, const json_t *sys)
{
    json_t *mem = json_object(), *mods = json_array(), *m;
    long long total = 0, v;
    size_t i;
    int r;
    if (!mem || !mods || json_object_set_new(oob, "memory", mem) < 0 ||
        json_object_set_new(mem, "modules", mods) < 0) {
        json_decref(mods);
        return -ENOMEM;
    }
    json_array_foreach(json_object_get(raw, "memory"), i, m)
    {
        if (i >= ITEMS_MAX || !json_is_object(m))
            continue;
        json_t *o = json_object();
        if (!o || json_array_append_new(mods, o) < 0)
            return -ENOMEM;
        if ((r = put_identity(o, m)) < 0 || (r = put_str(o, "slot", m, "DeviceLocator")) < 0 ||
            (r = put_str(o, "type", m, "MemoryDeviceType")) < 0 ||
            (r = put_uint(o, "sizeBytes", m, "CapacityMiB", MIB)) < 0 ||
            (r = put_uint(o, "speedMHz", m, "OperatingSpeedMhz", 1)) < 0)
            return r;
        if (get_uint(m, "CapacityMiB", &v) && v < (1LL << 40))
            total += v * MIB;
    }
    json_t *sum = bmc_obj(sys, "MemorySummary");
    json_t *gib = json_object_get(sum, "TotalSystemMemoryGiB");
    if (total == 0 && json_is_number(gib) && json_number_value(gib) > 0 &&
        json_number_value(gib) < 1e9)
        total = (long long)(json_number_value(gib) * (double)GIB);
    if (total && json_object_set_new(mem, "totalBytes", json_integer(total)) < 0)
        return -ENOMEM;
    return 0;
}

static int map_nics(json_t *oob, const json_t *raw)
{
    json_t *nics = json_array(), *n;
    size_t i;
    int r;
    if (!nics || json_object_set_new(oob, "networkInterfaces", nics) < 0)
        return -ENOMEM;
    json_array_foreach(json_object_get(raw, "ethernetInterfaces"), i, n)
    {
        char mac[18];
        if (i >= ITEMS_MAX || !json_is_object(n))
            continue;
        json_t *o = json_object(), *port = json_object(), *ports = json_array();
        if (!o || !port || !ports || json_array_append_new(nics, o) < 0 ||
            json_object_set_new(o, "ports", ports) < 0 || json_array_append_new(ports, port) < 0)
            return -ENOMEM;
        if ((r = put_str(o, "name", n, "Id")) < 0 ||
            (r = put_str(o, "description", n, "Name")) < 0 || (r = put_status(o, n)) < 0 ||
            (r = put_str(port, "portID", n, "Id")) < 0 ||
            (r = put_str(port, "linkStatus", n, "LinkStatus")) < 0 ||
            (r = put_uint(port, "speedMbps", n, "SpeedMbps", 1)) < 0 ||
            (r = put_uint(port, "mtu", n, "MTUSize", 1)) < 0)
            return r;
        if (nic_mac(n, mac) && json_object_set_new(port, "mac", json_string(mac)) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int add_block(json_t *devs, const json_t *d, const char *size_field)
{
    json_t *o = json_object();
    int r;
    if (!o || json_array_append_new(devs, o) < 0)
        return -ENOMEM;
    if ((r = put_identity(o, d)) < 0 || (r = put_str(o, "name", d, "Name")) < 0 ||
        (r = put_str(o, "type", d, "MediaType")) < 0 ||
        (r = put_str(o, "protocol", d, "Protocol")) < 0 ||
        (r = put_str(o, "firmwareInstalled", d, "Revision")) < 0 ||
        (r = put_uint(o, "sizeBytes", d, size_field, 1)) < 0)
        return r;
    return 0;
}

static int map_storage(json_t *oob, const json_t *raw)
{
    json_t *devs = json_array(), *ctrls = json_array(), *st, *d;
    size_t i, j;
    int r;
    if (!devs || !ctrls || json_object_set_new(oob, "blockDevices", devs) < 0 ||
        json_object_set_new(oob, "storageControllers", ctrls) < 0) {
        json_decref(ctrls);
        return -ENOMEM;
    }
    json_array_foreach(json_object_get(raw, "storage"), i, st)
    {
        if (i >= ITEMS_MAX || !json_is_object(st))
            continue;
        json_array_foreach(json_object_get(st, "drives"), j, d)
        {
            if (json_array_size(devs) >= ITEMS_MAX || !json_is_object(d))
                continue;
            if ((r = add_block(devs, d, "CapacityBytes")) < 0)
                return r;
        }
        json_array_foreach(json_object_get(st, "StorageControllers"), j, d)
        {
            if (json_array_size(ctrls) >= ITEMS_MAX || !json_is_object(d))
                continue;
            json_t *o = json_object();
            if (!o || json_array_append_new(ctrls, o) < 0)
                return -ENOMEM;
            if ((r = put_identity(o, d)) < 0 || (r = put_str(o, "name", d, "Name")) < 0 ||
                (r = put_str(o, "firmwareInstalled", d, "FirmwareVersion")) < 0)
                return r;
        }
    }
    /* SimpleStorage: the older schema, a list of devices per controller. */
    json_array_foreach(json_object_get(raw, "simpleStorage"), i, st)
    {
        if (i >= ITEMS_MAX || !json_is_object(st))
            continue;
        json_array_foreach(json_object_get(st, "Devices"), j, d)
        {
            if (json_array_size(devs) >= ITEMS_MAX || !json_is_object(d))
                continue;
            if ((r = add_block(devs, d, "CapacityBytes")) < 0)
                return r;
        }
    }
    return 0;
}

static int map_chassis_bmc(json_t *oob, const json_t *raw)
{
    json_t *ch = bmc_obj(raw, "chassis"), *mgr = bmc_obj(raw, "manager"), *o;
    int r;
    if (ch) {
        o = json_object();
        if (!o || json_object_set_new(oob, "chassis", o) < 0)
            return -ENOMEM;
        if ((r = put_identity(o, ch)) < 0 || (r = put_str(o, "sku", ch, "SKU")) < 0 ||
            (r = put_str(o, "type", ch, "ChassisType")) < 0)
            return r;
    }
    if (!mgr)
        return 0;
    o = json_object();
    if (!o || json_object_set_new(oob, "bmc", o) < 0)
        return -ENOMEM;
    if ((r = put_identity(o, mgr)) < 0 ||
        (r = put_str(o, "firmwareInstalled", mgr, "FirmwareVersion")) < 0)
        return r;
    json_t *nic = json_array_get(json_object_get(raw, "managerEthernetInterfaces"), 0);
    char mac[18];
    if (json_is_object(nic)) {
        json_t *n = json_object();
        if (!n || json_object_set_new(o, "nic", n) < 0)
            return -ENOMEM;
        if ((r = put_str(n, "portID", nic, "Id")) < 0 ||
            (r = put_uint(n, "speedMbps", nic, "SpeedMbps", 1)) < 0)
            return r;
        if (nic_mac(nic, mac) && json_object_set_new(n, "mac", json_string(mac)) < 0)
            return -ENOMEM;
    }
    return 0;
}

int bmc_inventory_out_of_band(const json_t *raw, int64_t now_ms, json_t **ret)
{
    char now[21];
    const json_t *sys = bmc_obj(raw, "system");
    int r;
    assert_return(ret, -EINVAL);
    if (!sys || bmc_time(now_ms, now) < 0)
        return -EINVAL;
    _cleanup_json_ json_t *oob =
            json_pack("{s:s, s:s}", "lastUpdated", now, "collectionMethod", "redfish");
    if (!oob)
        return -ENOMEM;
    if ((r = map_product(oob, sys)) < 0 || (r = map_cpu(oob, raw, sys)) < 0 ||
        (r = map_memory(oob, raw, sys)) < 0 || (r = map_nics(oob, raw)) < 0 ||
        (r = map_storage(oob, raw)) < 0 || (r = map_chassis_bmc(oob, raw)) < 0)
        return r;
    *ret = TAKE_PTR(oob);
    return 0;
}

int bmc_inventory_macs(const json_t *raw, json_t **ret)
{
    json_t *n;
    size_t i;
    assert_return(ret && json_is_object(raw), -EINVAL);
    _cleanup_json_ json_t *macs = json_array();
    if (!macs)
        return -ENOMEM;
    json_array_foreach(json_object_get(raw, "ethernetInterfaces"), i, n)
    {
        char mac[18];
        bool dup = false;
        size_t k;
        json_t *m;
        if (i >= ITEMS_MAX || !nic_mac(n, mac))
            continue;
        json_array_foreach(macs, k, m) dup = dup || strcmp(json_string_value(m), mac) == 0;
        if (!dup && json_array_append_new(macs, json_string(mac)) < 0)
            return -ENOMEM;
    }
    *ret = TAKE_PTR(macs);
    return 0;
}

bool bmc_inventory_due(const json_t *hardware,
                       const json_t *machine,
                       int64_t interval_ms,
                       int64_t now_ms)
{
    const char *off = bmc_str(bmc_obj(bmc_obj(hardware, "metadata"), "annotations"),
                              BMC_ANNOTATION_DISABLE_INVENTORY);
    const char *refresh = bmc_str(bmc_obj(bmc_obj(machine, "metadata"), "annotations"),
                                  BMC_ANNOTATION_REFRESH_INVENTORY);
    const char *last =
            bmc_str(bmc_obj(bmc_obj(bmc_obj(hardware, "status"), "attributes"), "outOfBand"),
                    "lastUpdated");
    int64_t t;
    if (off && strcmp(off, "true") == 0)
        return false;
    if (refresh && strcmp(refresh, "true") == 0)
        return true;
    if (!last || workflow_time_parse(last, &t) < 0)
        return true;
    return now_ms - t >= interval_ms;
}
