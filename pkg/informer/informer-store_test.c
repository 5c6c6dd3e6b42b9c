/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: keys, the ready-made index functions, upserts and deletes with
 * their index maintenance, replace() diffs, failure atomicity, and readers
 * racing a writer (run this one under TSan too). JSON literals use single
 * quotes for readability; J() turns them into double quotes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/json-cleanup.h"
#include "informer/informer-internal.h"

static json_t *J(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    free(s);
    return v;
}

/* A Hardware with one interface (mac/ip may be NULL) and an agentID. */
static json_t *
hw(const char *name, const char *rv, const char *mac, const char *ip, const char *agent)
{
    json_t *dhcp = json_object();
    if (mac)
        json_object_set_new(dhcp, "mac", json_string(mac));
    if (ip)
        json_object_set_new(dhcp, "ip", json_pack("{s:s}", "address", ip));
    json_t *spec = json_pack("{s:[{s:o}]}", "interfaces", "dhcp", dhcp);
    if (agent)
        json_object_set_new(spec, "agentID", json_string(agent));
    json_t *o = json_pack("{s:{s:s,s:s,s:s},s:o}", "metadata", "name", name, "namespace", "default",
                          "resourceVersion", rv, "spec", spec);
    assert_non_null(o);
    return o;
}

static struct store *hw_store(void)
{
    struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_MAC, store_index_hardware_mac, NULL), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_IP, store_index_hardware_ip, NULL), 0);
    assert_int_equal(store_add_index(s, STORE_INDEX_AGENT_ID, store_index_hardware_agent_id, NULL),
                     0);
    return s;
}

static void assert_consistent(struct store *s)
{
    const char *why = NULL;
    int r = store_check(s, &why);
    if (r < 0)
        fail_msg("store inconsistent: %s", why);
}

/* Names of the objects in arr, comma-separated. */
static char *names(const json_t *arr)
{
    static char out[1024];
    out[0] = '\0';
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (i)
            strcat(out, ",");
        strcat(out, json_string_value(json_object_get(json_object_get(o, "metadata"), "name")));
    }
    return out;
}

static void assert_lookup(struct store *s, const char *index, const char *value, const char *want)
{
    _cleanup_json_ json_t *arr = NULL;
    assert_int_equal(store_by_index(s, index, value, &arr), 0);
    assert_string_equal(names(arr), want);
}

/* ------------------------------------------------------------ keys */

static void test_store_key_of_table(void **state)
{
    (void)state;
    char long_name[700];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    char long_json[800];
    snprintf(long_json, sizeof(long_json), "{'metadata':{'name':'%s'}}", long_name);

    static const struct {
        const char *json;
        int ret;
        const char *key;
    } cases[] = {
            {"{'metadata':{'name':'a','namespace':'ns'}}", 0, "ns/a"},
            {"{'metadata':{'name':'a'}}", 0, "a"},
            {"{'metadata':{'name':'a','namespace':''}}", 0, "a"},
            {"{'metadata':{'name':'a','namespace':null}}", 0, "a"},
            {"{'metadata':{}}", -EBADMSG, NULL},
            {"{'metadata':{'name':''}}", -EBADMSG, NULL},
            {"{'metadata':{'name':5}}", -EBADMSG, NULL},
            {"{'metadata':{'name':'a/b'}}", -EBADMSG, NULL},
            {"{'metadata':{'name':'a','namespace':'x/y'}}", -EBADMSG, NULL},
            {"{'metadata':{'name':'a','namespace':7}}", -EBADMSG, NULL},
            {"{'metadata':{'name':'a\\u0000b'}}", -EBADMSG, NULL},
            {"{'metadata':'x'}", -EBADMSG, NULL},
            {"{}", -EBADMSG, NULL},
            {"[]", -EBADMSG, NULL},
            {"'str'", -EBADMSG, NULL},
            {NULL, -EBADMSG, NULL}, /* the long name */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *o = J(cases[i].json ? cases[i].json : long_json);
        _cleanup_free_ char *key = NULL;
        int r = store_key_of(o, &key);
        if (r != cases[i].ret)
            fail_msg("case %zu (%s): got %d want %d", i, cases[i].json, r, cases[i].ret);
        if (cases[i].key)
            assert_string_equal(key, cases[i].key);
        else
            assert_null(key);
    }
    assert_int_equal(store_key_of(NULL, NULL), -EINVAL);
}

/* ---------------------------------------------------- index functions */

static void test_store_index_functions_table(void **state)
{
    (void)state;
    static const struct {
        store_index_fn fn;
        const char *json;
        const char *want; /* comma-joined values */
    } cases[] = {
            {store_index_hardware_mac,
             "{'spec':{'interfaces':[{'dhcp':{'mac':'AA:BB:cc:00:11:22'}},{'dhcp':{'mac':'02:00:00:"
             "00:00:01'}}]}}",
             "aa:bb:cc:00:11:22,02:00:00:00:00:01"},
            {store_index_hardware_mac,
             "{'spec':{'interfaces':[{'dhcp':{'mac':'AA:00'}},{'dhcp':{'mac':'aa:00'}}]}}",
             "aa:00"},
            {store_index_hardware_mac,
             "{'spec':{'interfaces':[{'netboot':{}},{'dhcp':{'mac':7}},{'dhcp':{'mac':''}},{'dhcp':"
             "'x'}]}}",
             ""},
            {store_index_hardware_mac, "{'spec':{'interfaces':{'dhcp':{'mac':'aa'}}}}", ""},
            {store_index_hardware_mac, "{'spec':{}}", ""},
            {store_index_hardware_mac, "{}", ""},
            {store_index_hardware_mac, "[]", ""},
            {store_index_hardware_ip,
             "{'spec':{'interfaces':[{'dhcp':{'ip':{'address':'10.0.0.5'}}},{'dhcp':{'ip':{'"
             "address':'10.0.0.6'}}}]}}",
             "10.0.0.5,10.0.0.6"},
            {store_index_hardware_ip, "{'spec':{'interfaces':[{'dhcp':{'ip':'10.0.0.5'}}]}}", ""},
            {store_index_hardware_agent_id, "{'spec':{'agentID':'agent-1'}}", "agent-1"},
            {store_index_hardware_agent_id, "{'spec':{'agentID':''}}", ""},
            {store_index_hardware_agent_id, "{'status':{'agentID':'x'}}", ""},
            {store_index_workflow_agent_id, "{'status':{'agentID':'00:11'}}", "00:11"},
            {store_index_workflow_agent_id, "{'spec':{'agentID':'x'}}", ""},
            {store_index_workflow_agent_id, "{'status':{'agentID':null}}", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *o = J(cases[i].json);
        struct store_index_keys keys = {.values = json_array()};
        assert_int_equal(cases[i].fn(o, &keys, NULL), 0);
        char got[256] = "";
        size_t j;
        json_t *v;
        json_array_foreach(keys.values, j, v) {
            if (j)
                strcat(got, ",");
            strcat(got, json_string_value(v));
        }
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, got, cases[i].want);
        json_decref(keys.values);
    }
}

static void test_store_index_keys_add_errors(void **state)
{
    (void)state;
    struct store_index_keys keys = {.values = json_array()};
    char big[STORE_INDEX_VALUE_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';

    assert_int_equal(store_index_keys_add(NULL, "a"), -EINVAL);
    assert_int_equal(store_index_keys_add(&keys, NULL), -EINVAL);
    assert_int_equal(store_index_keys_add(&keys, ""), -EINVAL);
    assert_int_equal(store_index_keys_add(&keys, big), -E2BIG);
    big[STORE_INDEX_VALUE_MAX] = '\0';
    assert_int_equal(store_index_keys_add(&keys, big), 0);
    assert_int_equal(store_index_keys_add(&keys, "a"), 0);
    assert_int_equal(store_index_keys_add(&keys, "a"), 0);
    assert_int_equal(json_array_size(keys.values), 2);
    json_decref(keys.values);

    /* A MAC longer than the cap makes the Hardware index fail. */
    char json[STORE_INDEX_VALUE_MAX + 100];
    snprintf(json, sizeof(json), "{'spec':{'interfaces':[{'dhcp':{'mac':'%s'}}]}}", big);
    _cleanup_json_ json_t *o = J(json);
    struct store_index_keys k2 = {.values = json_array()};
    assert_int_equal(store_index_hardware_mac(o, &k2, NULL), 0); /* exactly the cap is fine */
    json_decref(k2.values);
}

/* ------------------------------------------------------------ store */

static void test_store_add_get_update_delete(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    json_t *a1 = hw("a", "1", "AA:00", "10.0.0.1", "ag-a");
    json_t *old = NULL, *got = NULL;

    assert_int_equal(store_add(s, a1, &old), 0);
    assert_null(old);
    assert_int_equal(store_size(s), 1);
    assert_int_equal(store_get(s, "default/a", &got), 0);
    assert_ptr_equal(got, a1); /* the same immutable object, one more reference */
    json_decref(got);
    assert_int_equal(store_get(s, "default/b", &got), -ENOENT);
    assert_int_equal(store_get(s, "a", &got), -ENOENT);

    json_t *a2 = hw("a", "2", "AA:00", "10.0.0.1", "ag-a");
    assert_int_equal(store_update(s, a2, &old), 1);
    assert_ptr_equal(old, a1);
    json_decref(old);
    assert_int_equal(store_add(s, a2, NULL), 1); /* ret_old may be NULL */
    assert_int_equal(store_size(s), 1);

    assert_int_equal(store_delete(s, a1, &old), 0); /* by key, any version */
    assert_ptr_equal(old, a2);
    json_decref(old);
    assert_int_equal(store_delete(s, a1, &old), -ENOENT);
    assert_int_equal(store_delete_key(s, "default/a", NULL), -ENOENT);
    assert_int_equal(store_size(s), 0);
    assert_lookup(s, STORE_INDEX_MAC, "aa:00", "");
    assert_consistent(s);
    json_decref(a1);
    json_decref(a2);
}

static void test_store_rejects_bad_input(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    _cleanup_json_ json_t *noname = J("{'metadata':{'namespace':'x'}}");
    _cleanup_json_ json_t *notobj = J("[1]");
    _cleanup_json_ json_t *items = J("{'items':[]}");
    json_t *old = (json_t *)0x1;

    assert_int_equal(store_add(s, noname, &old), -EBADMSG);
    assert_int_equal(store_add(s, notobj, &old), -EBADMSG);
    assert_int_equal(store_update(s, NULL, &old), -EINVAL);
    assert_int_equal(store_delete(s, noname, &old), -EBADMSG);
    assert_ptr_equal(old, (json_t *)0x1); /* ret_old untouched on failure */
    assert_int_equal(store_add(NULL, noname, NULL), -EINVAL);
    assert_int_equal(store_replace(s, items, NULL), -EINVAL);
    assert_int_equal(store_replace(s, NULL, NULL), -EINVAL);
    assert_int_equal(store_get(s, NULL, &old), -EINVAL);
    assert_int_equal(store_list(s, NULL), -EINVAL);
    assert_int_equal(store_by_index(s, "mac", NULL, &old), -EINVAL);
    assert_int_equal(store_by_index(s, "nope", "x", &old), -ENOENT);
    assert_int_equal(store_size(s), 0);
    assert_int_equal(store_size(NULL), 0);
    assert_null(store_unref(NULL));
    assert_null(store_ref(NULL));
}

static void test_store_add_index_rules(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = NULL;
    assert_int_equal(store_new(&s), 0);
    assert_int_equal(store_add_index(s, "mac", store_index_hardware_mac, NULL), 0);
    assert_int_equal(store_add_index(s, "mac", store_index_hardware_ip, NULL), -EEXIST);
    assert_int_equal(store_add_index(s, "", store_index_hardware_ip, NULL), -EINVAL);
    assert_int_equal(store_add_index(s, "ip", NULL, NULL), -EINVAL);
    _cleanup_json_ json_t *a = hw("a", "1", NULL, NULL, NULL);
    assert_int_equal(store_add(s, a, NULL), 0);
    assert_int_equal(store_add_index(s, "ip", store_index_hardware_ip, NULL), -EBUSY);

    /* Even an empty replace counts as the first write. */
    _cleanup_store_ struct store *t = NULL;
    _cleanup_json_ json_t *empty = json_array();
    assert_int_equal(store_new(&t), 0);
    assert_int_equal(store_replace(t, empty, NULL), 0);
    assert_int_equal(store_add_index(t, "ip", store_index_hardware_ip, NULL), -EBUSY);
}

static void by_index_steps(struct store *s)
{
    static const struct {
        const char *op; /* "put" or "del" */
        const char *name, *mac, *ip, *agent;
        /* lookups after the step */
        const char *mac_q, *mac_want, *ip_q, *ip_want, *agent_q, *agent_want;
    } steps[] = {
            {"put", "a", "AA:00", "10.0.0.1", "ag1", "aa:00", "a", "10.0.0.1", "a", "ag1", "a"},
            {"put", "b", "bb:00", "10.0.0.1", "ag2", "bb:00", "b", "10.0.0.1", "a,b", "ag2", "b"},
            /* a's MAC changes: the old value must no longer find it */
            {"put", "a", "CC:00", "10.0.0.1", "ag1", "aa:00", "", "10.0.0.1", "a,b", "ag1", "a"},
            {"put", "a", "CC:00", "10.0.0.1", "ag1", "cc:00", "a", "10.0.0.2", "", "ag1", "a"},
            /* a loses its IP and agent, gains b's MAC */
            {"put", "a", "BB:00", NULL, NULL, "bb:00", "a,b", "10.0.0.1", "b", "ag1", ""},
            {"del", "b", NULL, NULL, NULL, "bb:00", "a", "10.0.0.1", "", "ag2", ""},
            {"del", "a", NULL, NULL, NULL, "bb:00", "", "cc:00", "", "ag1", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        if (strcmp(steps[i].op, "put") == 0) {
            _cleanup_json_ json_t *o =
                    hw(steps[i].name, "1", steps[i].mac, steps[i].ip, steps[i].agent);
            assert_true(store_add(s, o, NULL) >= 0);
        } else {
            char key[64];
            snprintf(key, sizeof(key), "default/%s", steps[i].name);
            assert_int_equal(store_delete_key(s, key, NULL), 0);
        }
        assert_consistent(s);
        assert_lookup(s, STORE_INDEX_MAC, steps[i].mac_q, steps[i].mac_want);
        assert_lookup(s, STORE_INDEX_IP, steps[i].ip_q, steps[i].ip_want);
        assert_lookup(s, STORE_INDEX_AGENT_ID, steps[i].agent_q, steps[i].agent_want);
    }
}

static void test_store_by_index_follows_changes(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    by_index_steps(s);
}

static const char *change_str(const struct store_change *c);

/* Compact mode: same answers, fresh copies instead of shared objects. */
static void test_store_compact_mode(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    assert_int_equal(store_set_compact(s), 0);
    by_index_steps(s);

    _cleanup_json_ json_t *a1 = hw("a", "1", "AA:00", "10.0.0.1", "ag-a");
    _cleanup_json_ json_t *a2 = hw("a", "2", "AA:01", "10.0.0.1", "ag-a");
    json_t *old = NULL, *got = NULL, *again = NULL;
    assert_int_equal(store_add(s, a1, &old), 0);
    assert_int_equal(store_get(s, "default/a", &got), 0);
    assert_int_equal(store_get(s, "default/a", &again), 0);
    assert_true(json_equal(got, a1));
    assert_ptr_not_equal(got, a1); /* a decoded copy */
    assert_ptr_not_equal(got, again);
    json_decref(got);
    json_decref(again);
    assert_int_equal(store_update(s, a2, &old), 1);
    assert_true(json_equal(old, a1));
    json_decref(old);
    assert_lookup(s, STORE_INDEX_MAC, "aa:01", "a");
    _cleanup_json_ json_t *all = NULL;
    assert_int_equal(store_list(s, &all), 0);
    assert_int_equal(json_array_size(all), 1);
    assert_true(json_equal(json_array_get(all, 0), a2));

    _cleanup_json_ json_t *items = json_array();
    json_array_append_new(items, hw("a", "2", "AA:01", NULL, NULL)); /* same rv: unchanged */
    json_array_append_new(items, hw("b", "3", "BB:00", NULL, NULL));
    _cleanup_store_diff_ struct store_diff *d = NULL;
    assert_int_equal(store_replace(s, items, &d), 0);
    assert_int_equal(d->n_unchanged, 1);
    assert_int_equal(d->n_changes, 1);
    assert_string_equal(change_str(&d->changes[0]), "add b 3");
    assert_int_equal(store_delete_key(s, "default/b", &old), 0);
    assert_true(json_equal(json_object_get(old, "metadata"),
                           json_object_get(json_array_get(items, 1), "metadata")));
    json_decref(old);
    assert_consistent(s);
    assert_int_equal(store_set_compact(s), -EBUSY); /* only before the first add */
    assert_int_equal(store_set_compact(NULL), -EINVAL);
}

/* Compact encoding: deflated against earlier objects, a new dictionary
 * for an object of another shape, every object back intact. */
static void test_store_compact_deflates_against_dictionaries(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    assert_int_equal(store_set_compact(s), 0);
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char name[16], mac[24], rv[16];
        snprintf(name, sizeof(name), "m%03d", i);
        snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        snprintf(rv, sizeof(rv), "%d", 100 + i);
        _cleanup_json_ json_t *o = hw(name, rv, mac, NULL, name);
        assert_int_equal(store_add(s, o, NULL), 0);
    }
    assert_int_equal(s->n_dicts, 1); /* the first object, good for all */
    size_t packed = 0, plain = 0;
    for (size_t k = 0; k < s->items.cap; k++) {
        const struct store_entry *e = s->items.slots[k];
        if (!e)
            continue;
        assert_null(e->obj);
        _cleanup_json_ json_t *o = store_compact_unpack(s, e->packed, e->packed_len);
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        assert_non_null(text);
        packed += e->packed_len;
        plain += strlen(text);
    }
    assert_true(packed * 3 < plain); /* several times smaller */
    for (int i = 0; i < N; i += 37) {
        char name[16], key[32], mac[24], rv[16];
        snprintf(name, sizeof(name), "m%03d", i);
        snprintf(key, sizeof(key), "default/%s", name);
        snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        snprintf(rv, sizeof(rv), "%d", 100 + i);
        _cleanup_json_ json_t *want = hw(name, rv, mac, NULL, name), *got = NULL;
        assert_int_equal(store_get(s, key, &got), 0);
        assert_true(json_equal(got, want));
    }
    /* Another shape of object: it becomes the second dictionary. */
    _cleanup_json_ json_t *odd = json_pack(
            "{s:{s:s,s:s,s:s},s:[s,s,s,s],s:{s:i,s:b}}", "metadata", "name", "odd", "namespace",
            "default", "resourceVersion", "7", "words", "zebra quartz", "vortex jumps",
            "unrelated text", "nothing shared with hardware", "numbers", "n", 12345, "flag", 1);
    assert_int_equal(store_add(s, odd, NULL), 0);
    assert_int_equal(s->n_dicts, 2);
    _cleanup_json_ json_t *got = NULL;
    assert_int_equal(store_get(s, "default/odd", &got), 0);
    assert_true(json_equal(got, odd));
    assert_consistent(s);
}

/* A damaged entry decodes to nothing rather than to garbage. */
static void test_store_compact_unpack_refuses_damage(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    assert_int_equal(store_set_compact(s), 0);
    _cleanup_json_ json_t *o = hw("a", "1", "AA:00", NULL, "ag-a");
    _cleanup_free_ unsigned char *p = NULL;
    size_t n = 0;
    _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
    assert_int_equal(store_compact_pack(s, text, strlen(text), &p, &n), 0);
    _cleanup_json_ json_t *back = store_compact_unpack(s, p, n);
    assert_true(json_equal(back, o));
    _cleanup_free_ unsigned char *bad = malloc(n);
    assert_non_null(bad);
    const struct {
        size_t at;
        unsigned char byte;
        size_t len;
    } cases[] = {
            {0, 3, n},      /* a dictionary that does not exist */
            {1, 0xee, n},   /* wrong length */
            {0, 0, 3},      /* shorter than the header */
            {0, 0, n - 2},  /* truncated data */
            {0, 0, 0},      /* empty */
            {0, 0xff, 4},   /* stored text that is not JSON */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(bad, p, n);
        if (cases[i].len > cases[i].at)
            bad[cases[i].at] = cases[i].byte;
        assert_null(store_compact_unpack(s, bad, cases[i].len));
    }
}

static int failing_index(const json_t *obj, struct store_index_keys *keys, void *userdata)
{
    (void)userdata;
    json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    if (json_object_get(labels, "bad"))
        return -EIO;
    return store_index_keys_add(keys, "all");
}

static void test_store_index_error_leaves_store_unchanged(void **state)
{
    (void)state;
    _cleanup_json_ json_t *a = hw("a", "1", "aa:00", NULL, NULL);

    /* The last index refuses labelled objects, after MAC has run. */
    _cleanup_store_ struct store *t = hw_store();
    assert_int_equal(store_add_index(t, "x", failing_index, NULL), 0);
    assert_int_equal(store_add(t, a, NULL), 0);
    _cleanup_json_ json_t *bad = hw("a", "2", "bb:00", NULL, NULL);
    json_object_set_new(json_object_get(bad, "metadata"), "labels", J("{'bad':'1'}"));
    assert_int_equal(store_add(t, bad, NULL), -EIO);
    assert_consistent(t);
    assert_lookup(t, STORE_INDEX_MAC, "aa:00", "a"); /* still the old object */
    assert_lookup(t, STORE_INDEX_MAC, "bb:00", "");
    json_t *got = NULL;
    assert_int_equal(store_get(t, "default/a", &got), 0);
    assert_ptr_equal(got, a);
    json_decref(got);

    /* replace() refuses as a whole. */
    _cleanup_json_ json_t *items = json_pack("[O,O]", hw("z", "1", NULL, NULL, NULL), bad);
    json_decref(json_array_get(items, 0)); /* json_pack O took a second ref */
    assert_int_equal(store_replace(t, items, NULL), -EIO);
    assert_int_equal(store_size(t), 1);
    assert_consistent(t);
}

/* jansson allocations fail from the n-th one on (when armed). */
static long alloc_budget = -1;

static void *failing_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

static void test_store_writes_atomic_on_allocation_failure(void **state)
{
    (void)state;
    /* Each write is tried with its n-th jansson allocation failing, for
     * every n until it succeeds: a failed write must leave the store
     * exactly as it was, indexes included. */
    static const struct {
        const char *op;
        const char *name, *mac, *ip;
    } writes[] = {
            {"add", "c", "cc:00", "10.0.0.3"}, /* new key, new values */
            {"add", "a", "bb:00", "10.0.0.2"}, /* MAC shared with b: a posting set */
            {"add", "b", "ee:00", "10.0.0.1"}, /* IP shared with a */
            {"replace", NULL, NULL, NULL},     /* a changed, b kept, c gone, d new */
    };
    _cleanup_store_ struct store *s = hw_store();
    _cleanup_json_ json_t *a = hw("a", "1", "aa:00", "10.0.0.1", "x");
    _cleanup_json_ json_t *b = hw("b", "1", "bb:00", "10.0.0.2", NULL);
    assert_int_equal(store_add(s, a, NULL), 0);
    assert_int_equal(store_add(s, b, NULL), 0);

    for (size_t w = 0; w < ARRAY_SIZE(writes); w++) {
        for (long n = 0;; n++) {
            _cleanup_json_ json_t *before = NULL, *obj = NULL, *items = NULL;
            assert_int_equal(store_list_keys(s, &before), 0);
            _cleanup_json_ json_t *macs_before = NULL;
            assert_int_equal(store_by_index(s, STORE_INDEX_MAC, "bb:00", &macs_before), 0);
            _cleanup_free_ char *macs_want = strdup(names(macs_before));
            if (strcmp(writes[w].op, "add") == 0)
                obj = hw(writes[w].name, "2", writes[w].mac, writes[w].ip, NULL);
            else
                items = json_pack("[o,o,o]", hw("a", "3", "ff:00", NULL, NULL),
                                  hw("b", "1", "bb:00", "10.0.0.2", NULL),
                                  hw("d", "1", "bb:00", "10.0.0.9", "y"));

            json_set_alloc_funcs(failing_malloc, free);
            alloc_budget = n;
            int r = obj ? store_add(s, obj, NULL) : store_replace(s, items, NULL);
            alloc_budget = -1;
            json_set_alloc_funcs(malloc, free);

            assert_consistent(s);
            if (r >= 0) {
                assert_true(n > 0); /* the failures were reached */
                break;
            }
            assert_int_equal(r, -ENOMEM);
            _cleanup_json_ json_t *after = NULL, *macs_after = NULL;
            assert_int_equal(store_list_keys(s, &after), 0);
            assert_true(json_equal(before, after));
            assert_int_equal(store_by_index(s, STORE_INDEX_MAC, "bb:00", &macs_after), 0);
            assert_string_equal(names(macs_after), macs_want);
            if (n > 200)
                fail_msg("write %zu never succeeds", w);
        }
    }
    assert_lookup(s, STORE_INDEX_MAC, "bb:00", "b,d");
    assert_lookup(s, STORE_INDEX_MAC, "ff:00", "a");
    assert_lookup(s, STORE_INDEX_IP, "10.0.0.3", "");
    assert_lookup(s, STORE_INDEX_AGENT_ID, "y", "d");
}

static const char *change_str(const struct store_change *c)
{
    static char out[128];
    const char *t = c->type == STORE_CHANGE_ADD      ? "add"
                    : c->type == STORE_CHANGE_UPDATE ? "update"
                                                     : "delete";
    const json_t *o = c->obj ? c->obj : c->old;
    snprintf(out, sizeof(out), "%s %s %s%s%s", t,
             json_string_value(json_object_get(json_object_get(o, "metadata"), "name")),
             c->old ? store_object_rv(c->old) : "", c->old && c->obj ? "->" : "",
             c->obj ? store_object_rv(c->obj) : "");
    return out;
}

static void test_store_replace_diff(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    _cleanup_json_ json_t *first = json_array();
    const char *names0[] = {"a", "b", "c", "e"};
    for (size_t i = 0; i < ARRAY_SIZE(names0); i++)
        json_array_append_new(first, hw(names0[i], "1", "aa:00", NULL, NULL));
    _cleanup_store_diff_ struct store_diff *d0 = NULL;
    assert_int_equal(store_replace(s, first, &d0), 0);
    assert_int_equal(d0->n_changes, 4);
    assert_string_equal(change_str(&d0->changes[0]), "add a 1");
    assert_string_equal(change_str(&d0->changes[3]), "add e 1");
    json_t *a_before = NULL;
    assert_int_equal(store_get(s, "default/a", &a_before), 0);

    /* a unchanged, b changed (new MAC), c and e gone, d new, one invalid
     * item and a duplicate of d. */
    _cleanup_json_ json_t *second = json_array();
    json_array_append_new(second, hw("d", "7", "dd:00", NULL, NULL));
    json_array_append_new(second, hw("b", "5", "bb:00", NULL, NULL));
    json_array_append_new(second, hw("a", "1", "ff:ff", NULL, NULL)); /* same rv: kept as is */
    json_array_append_new(second, J("{'metadata':{'resourceVersion':'3'}}"));
    json_array_append_new(second, hw("d", "8", "de:00", NULL, NULL));
    _cleanup_store_diff_ struct store_diff *d = NULL;
    assert_int_equal(store_replace(s, second, &d), 0);

    static const char *want[] = {"add d 7", "update b 1->5", "delete c 1", "delete e 1"};
    assert_int_equal(d->n_changes, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(change_str(&d->changes[i]), want[i]);
    assert_int_equal(d->n_unchanged, 1);
    assert_int_equal(d->n_skipped, 2);
    assert_int_equal(store_size(s), 3);
    assert_consistent(s);

    json_t *a_after = NULL;
    assert_int_equal(store_get(s, "default/a", &a_after), 0);
    assert_ptr_equal(a_after, a_before); /* unchanged objects keep their identity */
    json_decref(a_before);
    json_decref(a_after);
    assert_lookup(s, STORE_INDEX_MAC, "aa:00", "a");
    assert_lookup(s, STORE_INDEX_MAC, "bb:00", "b");
    assert_lookup(s, STORE_INDEX_MAC, "dd:00", "d");
    assert_lookup(s, STORE_INDEX_MAC, "ff:ff", "");

    /* Without resourceVersions, values decide. */
    _cleanup_json_ json_t *x1 = J("[{'metadata':{'name':'x'},'v':1}]");
    _cleanup_json_ json_t *x2 = J("[{'metadata':{'name':'x'},'v':1}]");
    _cleanup_json_ json_t *x3 = J("[{'metadata':{'name':'x'},'v':2}]");
    _cleanup_store_ struct store *u = NULL;
    assert_int_equal(store_new(&u), 0);
    assert_int_equal(store_replace(u, x1, NULL), 0);
    _cleanup_store_diff_ struct store_diff *e1 = NULL, *e2 = NULL;
    assert_int_equal(store_replace(u, x2, &e1), 0);
    assert_int_equal(e1->n_changes, 0);
    assert_int_equal(store_replace(u, x3, &e2), 0);
    assert_int_equal(e2->n_changes, 1);
    assert_int_equal(e2->changes[0].type, STORE_CHANGE_UPDATE);
}

static void test_store_list_snapshots(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    const char *order[] = {"c", "a", "b"};
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        _cleanup_json_ json_t *o = hw(order[i], "1", NULL, NULL, NULL);
        assert_int_equal(store_add(s, o, NULL), 0);
    }
    _cleanup_json_ json_t *cluster = J("{'metadata':{'name':'zz'}}");
    assert_int_equal(store_add(s, cluster, NULL), 0);

    _cleanup_json_ json_t *keys = NULL, *all = NULL;
    assert_int_equal(store_list_keys(s, &keys), 0);
    _cleanup_free_ char *dump = json_dumps(keys, JSON_COMPACT);
    assert_string_equal(dump, "[\"default/a\",\"default/b\",\"default/c\",\"zz\"]");
    assert_int_equal(store_list(s, &all), 0);
    assert_int_equal(json_array_size(all), 4);

    /* A snapshot and objects outlive their store. */
    json_t *a = NULL;
    assert_int_equal(store_get(s, "default/a", &a), 0);
    s = store_unref(s);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "metadata"), "name")),
                        "a");
    json_decref(a);
    assert_int_equal(json_array_size(all), 4);
}

/* ------------------------------------------------------ table model */

#define MODEL_KEYS 300
#define MODEL_MACS 40
#define MODEL_OPS  6000

/* What the store should hold: per key, present or not and its MAC number. */
struct model {
    bool present[MODEL_KEYS];
    unsigned mac[MODEL_KEYS];
    unsigned rv[MODEL_KEYS];
};

static uint32_t model_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void model_compare(struct store *s, const struct model *m)
{
    size_t n = 0;
    for (unsigned k = 0; k < MODEL_KEYS; k++)
        n += m->present[k];
    assert_int_equal(store_size(s), n);
    assert_consistent(s);
    for (unsigned mac = 0; mac < MODEL_MACS; mac++) {
        char want[MODEL_KEYS * 6] = "", value[32];
        for (unsigned k = 0; k < MODEL_KEYS; k++) /* names sort like keys: k%03u */
            if (m->present[k] && m->mac[k] == mac) {
                char name[8];
                snprintf(name, sizeof(name), "%sk%03u", *want ? "," : "", k);
                strcat(want, name);
            }
        snprintf(value, sizeof(value), "02:00:00:00:00:%02x", mac);
        assert_lookup(s, STORE_INDEX_MAC, value, want);
    }
}

/* Random adds, updates (often keeping the MAC another object shares) and
 * deletes across table growth, posting sets forming and shrinking back to
 * one entry, and relists, checked against a model; plain and compact. */
static void test_store_tables_follow_model(void **state)
{
    (void)state;
    for (int compact = 0; compact < 2; compact++) {
        _cleanup_store_ struct store *s = hw_store();
        if (compact)
            assert_int_equal(store_set_compact(s), 0);
        struct model m = {0};
        uint32_t x = 2463534242u + (uint32_t)compact;
        for (unsigned op = 0; op < MODEL_OPS; op++) {
            unsigned k = model_rand(&x) % MODEL_KEYS, what = model_rand(&x) % 10;
            char name[8], key[24], mac[32], ip[24], rv[16];
            snprintf(name, sizeof(name), "k%03u", k);
            snprintf(key, sizeof(key), "default/%s", name);
            if (what < 3) { /* delete */
                json_t *old = NULL;
                int r = store_delete_key(s, key, &old);
                assert_int_equal(r, m.present[k] ? 0 : -ENOENT);
                if (old) {
                    snprintf(rv, sizeof(rv), "%u", m.rv[k]);
                    assert_string_equal(store_object_rv(old), rv);
                    json_decref(old);
                }
                m.present[k] = false;
            } else if (what < 9) { /* add or update, half keep the MAC */
                unsigned mc = m.present[k] && what < 6 ? m.mac[k] : model_rand(&x) % MODEL_MACS;
                snprintf(mac, sizeof(mac), "02:00:00:00:00:%02X", mc); /* indexed lowercased */
                snprintf(ip, sizeof(ip), "10.0.%u.%u", k / 200, k % 200);
                snprintf(rv, sizeof(rv), "%u", op + 1);
                _cleanup_json_ json_t *o = hw(name, rv, mac, ip, what == 8 ? "shared" : NULL);
                assert_int_equal(store_add(s, o, NULL), m.present[k] ? 1 : 0);
                m.present[k] = true;
                m.mac[k] = mc;
                m.rv[k] = op + 1;
            } else { /* relist: half the objects kept, one changed, rest gone */
                _cleanup_json_ json_t *items = json_array();
                for (unsigned j = 0; j < MODEL_KEYS; j++) {
                    if (!m.present[j] || (j + op) % 2)
                        continue;
                    char n2[8], m2[32], r2[16];
                    snprintf(n2, sizeof(n2), "k%03u", j);
                    unsigned mc = j == k ? (m.mac[j] + 1) % MODEL_MACS : m.mac[j];
                    snprintf(m2, sizeof(m2), "02:00:00:00:00:%02x", mc);
                    snprintf(r2, sizeof(r2), "%u", j == k ? op + 1 : m.rv[j]);
                    json_array_append_new(items, hw(n2, r2, m2, NULL, NULL));
                    if (j == k) {
                        m.mac[j] = mc;
                        m.rv[j] = op + 1;
                    }
                }
                for (unsigned j = 0; j < MODEL_KEYS; j++)
                    if (m.present[j] && (j + op) % 2)
                        m.present[j] = false;
                assert_int_equal(store_replace(s, items, NULL), 0);
            }
            if (op % 500 == 0 || what == 9)
                model_compare(s, &m);
        }
        model_compare(s, &m);
    }
}

/* An update that keeps a value shared with other objects hands the index
 * the new entry; the replaced one is gone (ASan checks the old memory is
 * not read) and removal later leaves the value to the others. */
static void test_store_update_keeps_shared_values(void **state)
{
    (void)state;
    _cleanup_store_ struct store *s = hw_store();
    const char *order[] = {"b", "a", "c"};
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        _cleanup_json_ json_t *o = hw(order[i], "1", "aa:00", NULL, "ag");
        assert_int_equal(store_add(s, o, NULL), 0);
    }
    assert_lookup(s, STORE_INDEX_MAC, "aa:00", "a,b,c");
    static const struct {
        const char *name, *mac, *want_aa, *want_bb;
    } steps[] = {
            {"a", "aa:00", "a,b,c", ""}, /* same value, new entry */
            {"b", "bb:00", "a,c", "b"},  /* moves away */
            {"a", "bb:00", "c", "a,b"},  /* the set shrinks to one inline */
            {"c", "bb:00", "", "a,b,c"}, /* the value disappears */
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        char rv[8];
        snprintf(rv, sizeof(rv), "%zu", i + 2);
        _cleanup_json_ json_t *o = hw(steps[i].name, rv, steps[i].mac, NULL, "ag"), *old = NULL;
        assert_int_equal(store_update(s, o, &old), 1);
        assert_non_null(old);
        assert_lookup(s, STORE_INDEX_MAC, "aa:00", steps[i].want_aa);
        assert_lookup(s, STORE_INDEX_MAC, "bb:00", steps[i].want_bb);
        assert_lookup(s, STORE_INDEX_AGENT_ID, "ag", "a,b,c");
        assert_consistent(s);
    }
    assert_int_equal(store_delete_key(s, "default/b", NULL), 0);
    assert_int_equal(store_delete_key(s, "default/a", NULL), 0);
    assert_lookup(s, STORE_INDEX_MAC, "bb:00", "c");
    assert_lookup(s, STORE_INDEX_AGENT_ID, "ag", "c");
    assert_consistent(s);
}

/* ------------------------------------------------ readers vs. a writer */

#define RACE_OBJECTS 64
#define RACE_ROUNDS  300
#define RACE_READERS 3

struct race {
    struct store *s;
    atomic_bool done;
    /* readers record, the main thread asserts after join */
    atomic_uint bad;
    atomic_ulong reads;
};

static void race_mac(char *out, size_t n, unsigned obj, unsigned round)
{
    snprintf(out, n, "02:%02x:00:00:00:%02x", obj, round % 4);
}

static void *race_reader(void *p)
{
    struct race *race = p;
    unsigned i = 0;
    while (!atomic_load(&race->done) || i < 100) {
        char mac[32];
        unsigned obj = i % RACE_OBJECTS;
        race_mac(mac, sizeof(mac), obj, i / RACE_OBJECTS);
        json_t *arr = NULL;
        if (store_by_index(race->s, STORE_INDEX_MAC, mac, &arr) < 0) {
            atomic_fetch_add(&race->bad, 1);
            break;
        }
        /* Everything the MAC index returns must carry that MAC. */
        size_t j;
        json_t *o;
        json_array_foreach(arr, j, o) {
            json_t *ifaces = json_object_get(json_object_get(o, "spec"), "interfaces");
            const char *m = json_string_value(
                    json_object_get(json_object_get(json_array_get(ifaces, 0), "dhcp"), "mac"));
            if (!m || strcmp(m, mac) != 0)
                atomic_fetch_add(&race->bad, 1);
        }
        json_decref(arr);
        char key[64];
        snprintf(key, sizeof(key), "default/o%u", obj);
        json_t *got = NULL;
        if (store_get(race->s, key, &got) == 0) {
            _cleanup_free_ char *k = NULL;
            if (store_key_of(got, &k) < 0 || strcmp(k, key) != 0)
                atomic_fetch_add(&race->bad, 1);
            json_decref(got);
        }
        if (i % 97 == 0) {
            json_t *all = NULL;
            if (store_list(race->s, &all) < 0 || json_array_size(all) > RACE_OBJECTS)
                atomic_fetch_add(&race->bad, 1);
            json_decref(all);
        }
        atomic_fetch_add(&race->reads, 1);
        i++;
    }
    return NULL;
}

static void test_store_concurrent_readers(void **state)
{
    (void)state;
    struct race race = {.s = hw_store()};
    atomic_init(&race.done, false);
    atomic_init(&race.bad, 0);
    atomic_init(&race.reads, 0);
    pthread_t readers[RACE_READERS];
    for (size_t i = 0; i < RACE_READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &race), 0);

    for (unsigned round = 0; round < RACE_ROUNDS; round++) {
        if (round % 50 == 49) {
            /* a relist: everything replaced, every third object gone */
            _cleanup_json_ json_t *items = json_array();
            for (unsigned o = 0; o < RACE_OBJECTS; o += 1 + (o % 3 == 0)) {
                char name[16], mac[32], rv[16];
                snprintf(name, sizeof(name), "o%u", o);
                snprintf(rv, sizeof(rv), "%u", round * 1000 + o);
                race_mac(mac, sizeof(mac), o, round);
                json_array_append_new(items, hw(name, rv, mac, NULL, NULL));
            }
            assert_int_equal(store_replace(race.s, items, NULL), 0);
            continue;
        }
        for (unsigned o = 0; o < RACE_OBJECTS; o++) {
            char name[16], mac[32], rv[16];
            snprintf(name, sizeof(name), "o%u", o);
            snprintf(rv, sizeof(rv), "%u", round * 1000 + o);
            race_mac(mac, sizeof(mac), o, round);
            _cleanup_json_ json_t *obj = hw(name, rv, mac, NULL, NULL);
            if ((round + o) % 7 == 0)
                (void)store_delete(race.s, obj, NULL);
            else
                assert_true(store_update(race.s, obj, NULL) >= 0);
        }
    }
    atomic_store(&race.done, true);
    for (size_t i = 0; i < RACE_READERS; i++)
        assert_int_equal(pthread_join(readers[i], NULL), 0);
    assert_int_equal(atomic_load(&race.bad), 0);
    assert_true(atomic_load(&race.reads) >= RACE_READERS * 100);
    assert_consistent(race.s);
    store_unref(race.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_store_key_of_table),
            cmocka_unit_test(test_store_index_functions_table),
            cmocka_unit_test(test_store_index_keys_add_errors),
            cmocka_unit_test(test_store_add_get_update_delete),
            cmocka_unit_test(test_store_rejects_bad_input),
            cmocka_unit_test(test_store_add_index_rules),
            cmocka_unit_test(test_store_by_index_follows_changes),
            cmocka_unit_test(test_store_compact_mode),
            cmocka_unit_test(test_store_compact_deflates_against_dictionaries),
            cmocka_unit_test(test_store_compact_unpack_refuses_damage),
            cmocka_unit_test(test_store_index_error_leaves_store_unchanged),
            cmocka_unit_test(test_store_replace_diff),
            cmocka_unit_test(test_store_writes_atomic_on_allocation_failure),
            cmocka_unit_test(test_store_list_snapshots),
            cmocka_unit_test(test_store_tables_follow_model),
            cmocka_unit_test(test_store_update_keeps_shared_values),
            cmocka_unit_test(test_store_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
