/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkg/bmc: connections and Secrets, actions, the Task and Job state
 * machines, Machine status, inventory mapping of hostile Redfish values,
 * onboarding and the Workflow boot Jobs. Objects are JSON literals; the
 * clock is a number.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json-cleanup.h"
#include "bmc/bmc-internal.h"

#define T0 1794000000000LL /* 2026-11-07T... in ms */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON at %d: %s: %s", e.position, e.text, text);
    return v;
}

/* The string at a JSON pointer-ish dotted path ("a.b.0.c"), or NULL. */
static const char *at(const json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && v;
         tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v))
            v = json_array_get(v, strtoul(tok, NULL, 10));
        else
            v = json_object_get(v, tok);
    }
    return json_string_value(v);
}

static json_t *atv(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && v;
         tok = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10)) : json_object_get(v, tok);
    return v;
}

/* ----------------------------------------------------------- connection */

static void test_connection_parse_table(void **state)
{
    static const struct {
        const char *conn;
        int r;
        const char *endpoint;
        const char *secret_ns;
        const char *err;
    } cases[] = {
            {"{\"host\":\"10.0.0.5\",\"port\":623,\"authSecretRef\":{\"name\":\"s\"}}", 0,
             "https://10.0.0.5:443", "ns1", NULL},
            {"{\"host\":\"10.0.0.5\",\"port\":8443,\"authSecretRef\":{\"name\":\"s\","
             "\"namespace\":\"other\"}}",
             0, "https://10.0.0.5:8443", "other", NULL},
            {"{\"host\":\"bmc.lab\",\"providerOptions\":{\"redfish\":{\"port\":9000,"
             "\"useBasicAuth\":true,\"systemName\":\"s1\"}}}",
             0, "https://bmc.lab:9000", NULL, NULL},
            {"{\"host\":\"http://127.0.0.1\",\"providerOptions\":{\"redfish\":{\"port\":8000}}}", 0,
             "http://127.0.0.1:8000", NULL, NULL},
            {"{\"host\":\"127.0.0.1:8443\"}", 0, "https://127.0.0.1:8443", NULL, NULL},
            {"{\"host\":\"fd00::5\"}", 0, "https://[fd00::5]:443", NULL, NULL},
            {"{\"host\":\"[fd00::5]:444\"}", 0, "https://[fd00::5]:444", NULL, NULL},
            {"{\"host\":\"\"}", -EINVAL, NULL, NULL, "host is missing"},
            {"{\"port\":1}", -EINVAL, NULL, NULL, "host is missing"},
            {"{\"host\":\"a b\"}", -EINVAL, NULL, NULL, "not a host name"},
            {"{\"host\":\"h/evil\"}", -EINVAL, NULL, NULL, "not a host name"},
            {"{\"host\":\"h\",\"port\":70000}", -EINVAL, NULL, NULL, "out of range"},
            {"{\"host\":\"h\",\"providerOptions\":{\"redfish\":{\"port\":\"x\"}}}", -EINVAL, NULL,
             NULL, "out of range"},
            {"{\"host\":\"h:1\",\"providerOptions\":{\"redfish\":{\"port\":2}}}", -EINVAL, NULL,
             NULL, "has a port"},
            {"\"h\"", -EINVAL, NULL, NULL, "spec.connection is missing"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *conn = J(cases[i].conn);
        struct bmc_connection c = {0};
        char err[256] = "";
        int r = bmc_connection_parse(conn, "ns1", &c, err, sizeof(err));
        assert_int_equal(r, cases[i].r);
        if (r == 0) {
            assert_string_equal(c.endpoint, cases[i].endpoint);
            if (cases[i].secret_ns)
                assert_string_equal(c.secret_namespace, cases[i].secret_ns);
        } else {
            assert_null(c.endpoint);
            assert_non_null(strstr(err, cases[i].err));
        }
        bmc_connection_done(&c);
    }
    _cleanup_json_ json_t *full = J("{\"host\":\"h\",\"insecureTLS\":true,\"providerOptions\":{"
                                    "\"redfish\":{\"useBasicAuth\":true,\"systemName\":\"n2\"}}}");
    struct bmc_connection c = {0};
    assert_int_equal(bmc_connection_parse(full, "d", &c, NULL, 0), 0);
    assert_true(c.insecure_tls);
    assert_true(c.basic_auth);
    assert_string_equal(c.system_name, "n2");
    assert_null(c.secret_name);
    bmc_connection_done(&c);
}

static void test_secret_credentials_table(void **state)
{
    static const struct {
        const char *secret;
        int r;
        const char *user, *pass, *err;
    } cases[] = {
            /* admin / s3cret! */
            {"{\"data\":{\"username\":\"YWRtaW4=\",\"password\":\"czNjcmV0IQ==\"}}", 0, "admin",
             "s3cret!", NULL},
            {"{\"stringData\":{\"username\":\"u\",\"password\":\"\"}}", 0, "u", "", NULL},
            {"{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},\"data\":{\"username\":"
             "\"YWRtaW4=\"}}",
             -EINVAL, NULL, NULL, "secret n/s has no password"},
            {"{\"data\":{\"username\":\"YWRtaW4\",\"password\":\"eA==\"}}", -EINVAL, NULL, NULL,
             "not valid base64"},
            {"{\"data\":{\"username\":\"YW=u\",\"password\":\"eA==\"}}", -EINVAL, NULL, NULL,
             "not valid base64"},
            {"{\"data\":{\"username\":\"AA==\",\"password\":\"eA==\"}}", -EINVAL, NULL, NULL,
             "not valid base64"}, /* an embedded NUL */
            {"{\"data\":{\"username\":7,\"password\":\"eA==\"}}", -EINVAL, NULL, NULL,
             "no username"},
            {"[]", -EINVAL, NULL, NULL, "not an object"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *s = J(cases[i].secret);
        char *u = NULL, *p = NULL, err[256] = "";
        assert_int_equal(bmc_secret_credentials(s, &u, &p, err, sizeof(err)), cases[i].r);
        if (cases[i].r == 0) {
            assert_string_equal(u, cases[i].user);
            assert_string_equal(p, cases[i].pass);
        } else {
            assert_null(u);
            assert_null(p);
            assert_non_null(strstr(err, cases[i].err));
        }
        free(u);
        free(p);
    }
}

static void test_secret_ca_table(void **state)
{
    static const struct {
        const char *secret;
        int r;
        const char *pem;
    } cases[] = {
            {"{\"data\":{\"username\":\"YQ==\"}}", 0, NULL},
            {"{\"data\":{\"ca.crt\":\"LS0tLS1CRUdJTg==\"}}", 0, "-----BEGIN"},
            {"{\"stringData\":{\"ca.crt\":\"-----BEGIN X\"}}", 0, "-----BEGIN X"},
            {"{\"data\":{\"ca.crt\":\"!!!!\"}}", -EINVAL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *s = J(cases[i].secret);
        char *pem = (char *)"unset", err[128] = "";
        assert_int_equal(bmc_secret_ca(s, &pem, err, sizeof(err)), cases[i].r);
        if (cases[i].r < 0) {
            assert_non_null(strstr(err, "data.ca.crt is not valid base64"));
            continue;
        }
        if (cases[i].pem)
            assert_string_equal(pem, cases[i].pem);
        else
            assert_null(pem);
        if (cases[i].pem)
            free(pem);
    }
}

/* -------------------------------------------------------------- actions */

static void test_action_parse_table(void **state)
{
    static const struct {
        const char *action;
        int r;
        const char *describe;
        const char *err;
    } cases[] = {
            {"{\"powerAction\":\"off\"}", 0, "power off", NULL},
            {"{\"powerAction\":\"cycle\"}", 0, "power cycle", NULL},
            {"{\"bootDevice\":{\"device\":\"pxe\",\"efiBoot\":true}}", 0,
             "boot device pxe (once, EFI)", NULL},
            {"{\"bootDevice\":{\"device\":\"disk\",\"persistent\":true}}", 0,
             "boot device disk (persistent)", NULL},
            {"{\"oneTimeBootDeviceAction\":{\"device\":[\"cdrom\",\"pxe\"],\"efiBoot\":false}}", 0,
             "boot device cdrom (once)", NULL},
            {"{\"virtualMediaAction\":{\"mediaURL\":\"http://x/a.iso\",\"kind\":\"CD\"}}", 0,
             "insert virtual media http://x/a.iso", NULL},
            {"{\"virtualMediaAction\":{\"kind\":\"CD\"}}", 0, "eject virtual media CD", NULL},
            {"{}", -EINVAL, NULL, "exactly one"},
            {"{\"powerAction\":\"on\",\"bootDevice\":{\"device\":\"pxe\"}}", -EINVAL, NULL,
             "exactly one"},
            {"{\"powerAction\":\"explode\"}", -EINVAL, NULL, "unknown powerAction"},
            {"{\"powerAction\":1}", -EINVAL, NULL, "unknown powerAction"},
            {"{\"bootDevice\":{\"device\":\"floppy\"}}", -EINVAL, NULL,
             "unknown boot device floppy"},
            {"{\"bootDevice\":{\"device\":\"pxe\",\"efiBoot\":\"yes\"}}", -EINVAL, NULL,
             "must be booleans"},
            {"{\"bootDevice\":\"pxe\"}", -EINVAL, NULL, "must be an object"},
            {"{\"oneTimeBootDeviceAction\":{\"device\":[]}}", -EINVAL, NULL, "needs a device"},
            {"{\"virtualMediaAction\":{\"mediaURL\":\"x\"}}", -EINVAL, NULL, "needs a kind"},
            {"{\"virtualMediaAction\":{\"kind\":\"CD\",\"mediaURL\":5}}", -EINVAL, NULL,
             "needs a kind"},
            {"{\"firmwareUpdate\":{}}", -EINVAL, NULL, "unknown action firmwareUpdate"},
            {"[\"powerAction\"]", -EINVAL, NULL, "exactly one"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *a = J(cases[i].action);
        struct bmc_action act;
        char err[256] = "", desc[256];
        assert_int_equal(bmc_action_parse(a, &act, err, sizeof(err)), cases[i].r);
        if (cases[i].r == 0)
            assert_string_equal(bmc_action_describe(&act, desc, sizeof(desc)), cases[i].describe);
        else
            assert_non_null(strstr(err, cases[i].err));
    }
}

static void test_action_redfish_words_table(void **state)
{
    static const struct {
        enum bmc_power_action a;
        const char *type, *fallback, *expected;
    } cases[] = {
            {BMC_POWER_ON, "On", NULL, "on"},
            {BMC_POWER_OFF, "ForceOff", NULL, "off"},
            {BMC_POWER_SOFT, "GracefulShutdown", NULL, "off"},
            {BMC_POWER_STATUS, NULL, NULL, NULL},
            {BMC_POWER_CYCLE, "PowerCycle", "ForceRestart", "on"},
            {BMC_POWER_RESET, "ForceRestart", NULL, "on"},
            {_BMC_POWER_ACTION_MAX, NULL, NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *fb = "unset";
        const char *t = bmc_power_reset_type(cases[i].a, &fb);
        const char *e = bmc_power_expected(cases[i].a);
        assert_true(t == cases[i].type || (t && cases[i].type && !strcmp(t, cases[i].type)));
        assert_true(fb == cases[i].fallback ||
                    (fb && cases[i].fallback && !strcmp(fb, cases[i].fallback)));
        assert_true(e == cases[i].expected ||
                    (e && cases[i].expected && !strcmp(e, cases[i].expected)));
    }
    assert_string_equal(bmc_boot_device_target(BMC_BOOT_PXE), "Pxe");
    assert_string_equal(bmc_boot_device_target(BMC_BOOT_DISK), "Hdd");
    assert_string_equal(bmc_boot_device_target(BMC_BOOT_BIOS), "BiosSetup");
    assert_string_equal(bmc_boot_device_target(BMC_BOOT_CDROM), "Cd");
    assert_null(bmc_boot_device_target(BMC_BOOT_SAFE));
    assert_null(bmc_boot_device_target(_BMC_BOOT_DEVICE_MAX));
}

/* ---------------------------------------------------------------- tasks */

static void test_task_phase_status_and_expiry(void **state)
{
    _cleanup_json_ json_t *t = J("{\"metadata\":{\"name\":\"j-task-0\"},\"spec\":{}}");
    json_t *st = NULL;
    (void)state;
    assert_int_equal(bmc_task_phase(t), BMC_TASK_START);
    assert_int_equal(bmc_task_status(t, BMC_RESULT_STARTED, NULL, T0, &st), 0);
    assert_non_null(at(st, "startTime"));
    assert_null(json_object_get(st, "completionTime"));
    json_object_set_new(t, "status", st);
    assert_int_equal(bmc_task_phase(t), BMC_TASK_VERIFY);
    assert_false(bmc_task_expired(t, T0 + BMC_TASK_TIMEOUT_MS));
    assert_true(bmc_task_expired(t, T0 + BMC_TASK_TIMEOUT_MS + 1000));

    json_t *done = NULL;
    assert_int_equal(bmc_task_status(t, BMC_RESULT_FAILED, "boom\x01", T0 + 5000, &done), 0);
    assert_string_equal(at(done, "startTime"), at(json_object_get(t, "status"), "startTime"));
    assert_string_equal(at(done, "conditions.0.type"), "Failed");
    assert_string_equal(at(done, "conditions.0.status"), "True");
    assert_string_equal(at(done, "conditions.0.message"), "boom ");
    assert_non_null(at(done, "completionTime"));
    json_object_set_new(t, "status", done);
    assert_int_equal(bmc_task_phase(t), BMC_TASK_FINISHED);

    _cleanup_json_ json_t *bad = J("{\"status\":{\"startTime\":\"yesterday\"}}");
    assert_true(bmc_task_expired(bad, T0));
    assert_int_equal(bmc_task_status(t, _BMC_RESULT_MAX, NULL, T0, &st), -EINVAL);
    assert_int_equal(bmc_task_status(t, BMC_RESULT_STARTED, NULL, INT64_MIN / 2, &st), -EINVAL);
}

static void test_task_name_table(void **state)
{
    char long_name[260];
    char *n = NULL;
    (void)state;
    assert_int_equal(bmc_task_name("job", 3, &n), 0);
    assert_string_equal(n, "job-task-3");
    free(n);
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    assert_int_equal(bmc_task_name(long_name, 0, &n), -ENAMETOOLONG);
    assert_int_equal(bmc_task_name("", 0, &n), -EINVAL);
}

/* ----------------------------------------------------------------- jobs */

#define JOB                                                                                       \
    "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"u1\"},\"spec\":{\"machineRef\":" \
    "{\"name\":\"m\",\"namespace\":\"d\"},\"tasks\":[{\"powerAction\":\"off\"},"                  \
    "{\"bootDevice\":{\"device\":\"pxe\"}}]}}"
#define MACHINE "{\"metadata\":{\"name\":\"m\"},\"spec\":{\"connection\":{\"host\":\"h\"}}}"

static json_t *task_obj(const char *name, const char *uid, const char *cond, const char *msg)
{
    json_t *t = json_pack("{s:{s:s, s:[{s:s}]}}", "metadata", "name", name, "ownerReferences",
                          "uid", uid);
    if (cond)
        json_object_set_new(t, "status",
                            json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "startTime",
                                      "2026-01-01T00:00:00Z", "conditions", "type", cond, "status",
                                      "True", "message", msg ? msg : ""));
    else
        json_object_set_new(t, "status", json_pack("{s:s}", "startTime", "2026-01-01T00:00:00Z"));
    return t;
}

static void test_job_step_walk(void **state)
{
    _cleanup_json_ json_t *job = J(JOB), *machine = J(MACHINE);
    struct bmc_job_plan p;
    (void)state;

    /* First pass: Running, startTime and Task 0 with the Machine's connection. */
    assert_int_equal(bmc_job_step(job, machine, NULL, 0, T0, &p), 0);
    assert_string_equal(at(p.status, "conditions.0.type"), "Running");
    assert_string_equal(at(p.status, "conditions.0.status"), "True");
    assert_non_null(at(p.status, "startTime"));
    assert_string_equal(at(p.task, "metadata.name"), "j-task-0");
    assert_string_equal(at(p.task, "metadata.labels.owner-name"), "j");
    assert_string_equal(at(p.task, "metadata.ownerReferences.0.uid"), "u1");
    assert_string_equal(at(p.task, "spec.task.powerAction"), "off");
    assert_string_equal(at(p.task, "spec.connection.host"), "h");
    json_object_set(job, "status", p.status);
    bmc_job_plan_done(&p);

    /* Task 0 running: nothing to do. */
    json_t *t0 = task_obj("j-task-0", "u1", NULL, NULL);
    const json_t *list1[] = {t0};
    assert_int_equal(bmc_job_step(job, machine, list1, 1, T0 + 1000, &p), 0);
    assert_null(p.status);
    assert_null(p.task);
    assert_false(p.finished);
    bmc_job_plan_done(&p);

    /* Task 0 completed: Task 1; a stale Task 1 of another Job uid is ignored. */
    json_decref(t0);
    t0 = task_obj("j-task-0", "u1", "Completed", NULL);
    json_t *stale = task_obj("j-task-1", "u0", "Completed", NULL);
    const json_t *list2[] = {stale, t0};
    assert_int_equal(bmc_job_step(job, machine, list2, 2, T0 + 2000, &p), 0);
    assert_null(p.status);
    assert_string_equal(at(p.task, "metadata.name"), "j-task-1");
    assert_string_equal(at(p.task, "spec.task.bootDevice.device"), "pxe");
    bmc_job_plan_done(&p);

    /* Task 1 failed: the Job fails with its message. */
    json_t *t1 = task_obj("j-task-1", "u1", "Failed", "PATCH refused");
    const json_t *list3[] = {t0, t1};
    assert_int_equal(bmc_job_step(job, machine, list3, 2, T0 + 3000, &p), 0);
    assert_true(p.finished);
    assert_null(p.task);
    json_t *failed = bmc_condition_get(json_object_get(p.status, "conditions"), "Failed");
    assert_non_null(strstr(at(failed, "message"), "task j-task-1 failed: PATCH refused"));
    assert_string_equal(
            at(bmc_condition_get(json_object_get(p.status, "conditions"), "Running"), "status"),
            "False");
    assert_null(json_object_get(p.status, "completionTime"));
    bmc_job_plan_done(&p);

    /* Both completed: Completed with completionTime; then nothing more. */
    json_decref(t1);
    t1 = task_obj("j-task-1", "u1", "Completed", NULL);
    const json_t *list4[] = {t0, t1};
    assert_int_equal(bmc_job_step(job, machine, list4, 2, T0 + 4000, &p), 0);
    assert_true(p.finished);
    assert_non_null(at(p.status, "completionTime"));
    json_object_set(job, "status", p.status);
    assert_int_equal(bmc_job_outcome(job), 1);
    bmc_job_plan_done(&p);
    assert_int_equal(bmc_job_step(job, machine, list4, 2, T0 + 5000, &p), 0);
    assert_true(p.finished);
    assert_null(p.status);
    bmc_job_plan_done(&p);
    json_decref(t0);
    json_decref(t1);
    json_decref(stale);
}

static void test_job_step_errors_table(void **state)
{
    static const struct {
        const char *job;
        bool machine;
        bool finished, wait;
        const char *failed;
    } cases[] = {
            {JOB, false, false, true, NULL},
            {"{\"metadata\":{\"name\":\"j\"},\"spec\":{\"tasks\":[]}}", true, true, false,
             "spec.tasks is empty"},
            {"{\"metadata\":{\"name\":\"j\"},\"spec\":{}}", true, true, false,
             "spec.tasks is empty"},
            {"{\"metadata\":{\"name\":\"j\"},\"spec\":{\"tasks\":[{\"powerAction\":\"on\"},"
             "{\"bogus\":1}]}}",
             true, true, false, "spec.tasks[1]: unknown action bogus"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *job = J(cases[i].job), *m = J(MACHINE);
        struct bmc_job_plan p;
        assert_int_equal(bmc_job_step(job, cases[i].machine ? m : NULL, NULL, 0, T0, &p), 0);
        assert_int_equal(p.finished, cases[i].finished);
        assert_int_equal(p.wait, cases[i].wait);
        assert_null(p.task);
        if (cases[i].failed)
            assert_non_null(
                    strstr(at(bmc_condition_get(json_object_get(p.status, "conditions"), "Failed"),
                              "message"),
                           cases[i].failed));
        bmc_job_plan_done(&p);
    }
    struct bmc_job_plan p;
    _cleanup_json_ json_t *noname = J("{\"spec\":{}}");
    assert_int_equal(bmc_job_step(noname, NULL, NULL, 0, T0, &p), -EINVAL);
    assert_int_equal(bmc_job_step(NULL, NULL, NULL, 0, T0, &p), -EINVAL);
}

static void test_machine_status_table(void **state)
{
    _cleanup_json_ json_t *m = J("{\"metadata\":{\"name\":\"m\"}}");
    json_t *st = NULL;
    (void)state;
    assert_int_equal(bmc_machine_status(m, "on", true, NULL, T0, &st), 1);
    assert_string_equal(at(st, "powerState"), "on");
    assert_string_equal(at(st, "conditions.0.type"), "Contactable");
    assert_string_equal(at(st, "conditions.0.status"), "True");
    assert_null(atv(st, "conditions.0.message"));
    assert_non_null(at(st, "conditions.0.lastUpdateTime"));
    json_object_set_new(m, "status", st);
    assert_int_equal(bmc_machine_status(m, "on", true, NULL, T0 + 60000, &st), 0);
    json_decref(st);
    assert_int_equal(bmc_machine_status(m, "off", true, NULL, T0, &st), 1);
    json_decref(st);
    assert_int_equal(bmc_machine_status(m, "unknown", false, "401 Unauthorized", T0, &st), 1);
    assert_string_equal(at(st, "conditions.0.status"), "False");
    assert_string_equal(at(st, "conditions.0.message"), "401 Unauthorized");
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), 1);
    json_object_set_new(m, "status", st);
    assert_int_equal(bmc_machine_status(m, "unknown", false, "401 Unauthorized", T0, &st), 0);
    json_decref(st);
    assert_int_equal(bmc_machine_status(m, "unknown", false, "timed out", T0, &st), 1);
    json_decref(st);
}

/* ------------------------------------------------------------ inventory */

static const char raw_full[] =
        "{\"system\":{\"Manufacturer\":\"Dell Inc.\",\"Model\":\"PowerEdge R650\","
        "\"SerialNumber\":\"ABC123\",\"SKU\":\"S1\",\"UUID\":\"u-1\",\"BiosVersion\":\"1.2.3\","
        "\"Name\":\"System\",\"Status\":{\"Health\":\"OK\",\"State\":\"Enabled\"},"
        "\"Boot\":{\"BootSourceOverrideMode\":\"UEFI\"},"
        "\"MemorySummary\":{\"TotalSystemMemoryGiB\":64}},"
        "\"ethernetInterfaces\":[{\"Id\":\"NIC.1\",\"MACAddress\":\"B0-7B-25-00-11-22\","
        "\"SpeedMbps\":25000,\"MTUSize\":1500,\"LinkStatus\":\"LinkUp\"},"
        "{\"Id\":\"NIC.2\",\"PermanentMACAddress\":\"b0:7b:25:00:11:23\",\"SpeedMbps\":-5},"
        "{\"Id\":\"NIC.3\",\"MACAddress\":\"not-a-mac\"},"
        "{\"Id\":\"NIC.1b\",\"MACAddress\":\"b0:7b:25:00:11:22\"}, 42],"
        "\"processors\":[{\"Socket\":\"CPU.1\",\"Manufacturer\":\"Intel\",\"Model\":\"Xeon\","
        "\"TotalCores\":16,\"TotalThreads\":32,\"MaxSpeedMHz\":3500,\"InstructionSet\":\"x86-64\","
        "\"ProcessorType\":\"CPU\"},{\"Socket\":\"CPU.2\",\"TotalCores\":16.0,\"TotalThreads\":"
        "\"32\"},{\"ProcessorType\":\"GPU\",\"TotalCores\":1000}],"
        "\"memory\":[{\"DeviceLocator\":\"A1\",\"CapacityMiB\":32768,\"OperatingSpeedMhz\":3200},"
        "{\"DeviceLocator\":\"A2\",\"CapacityMiB\":32768}],"
        "\"storage\":[{\"StorageControllers\":[{\"Name\":\"PERC\",\"FirmwareVersion\":\"5\"}],"
        "\"drives\":[{\"Name\":\"Disk 0\",\"CapacityBytes\":960197124096,\"MediaType\":\"SSD\","
        "\"Protocol\":\"SATA\"}]}],"
        "\"simpleStorage\":[{\"Devices\":[{\"Name\":\"sda\",\"CapacityBytes\":1000}]}],"
        "\"chassis\":{\"SerialNumber\":\"CH-9\",\"ChassisType\":\"RackMount\"},"
        "\"manager\":{\"FirmwareVersion\":\"7.00\",\"Model\":\"iDRAC9\"},"
        "\"managerEthernetInterfaces\":[{\"Id\":\"iDRAC\",\"MACAddress\":\"AA:BB:CC:DD:EE:FF\"}]}";

static void test_inventory_out_of_band_full(void **state)
{
    _cleanup_json_ json_t *raw = J(raw_full), *oob = NULL;
    (void)state;
    assert_int_equal(bmc_inventory_out_of_band(raw, T0, &oob), 0);
    assert_string_equal(at(oob, "collectionMethod"), "redfish");
    assert_non_null(at(oob, "lastUpdated"));
    assert_string_equal(at(oob, "product.vendor"), "Dell Inc.");
    assert_string_equal(at(oob, "product.model"), "PowerEdge R650");
    assert_string_equal(at(oob, "product.serialNumber"), "ABC123");
    assert_string_equal(at(oob, "bios.firmwareInstalled"), "1.2.3");
    assert_int_equal(json_integer_value(atv(oob, "cpu.totalCores")), 32);
    assert_int_equal(json_integer_value(atv(oob, "cpu.totalThreads")), 32); /* "32" ignored */
    assert_int_equal(json_array_size(atv(oob, "cpu.sockets")), 2);          /* GPU skipped */
    assert_int_equal(json_integer_value(atv(oob, "memory.totalBytes")), 64LL << 30);
    assert_int_equal(json_array_size(atv(oob, "memory.modules")), 2);
    assert_int_equal(json_integer_value(atv(oob, "memory.modules.0.sizeBytes")), 32LL << 30);
    assert_string_equal(at(oob, "networkInterfaces.0.ports.0.mac"), "b0:7b:25:00:11:22");
    assert_int_equal(json_integer_value(atv(oob, "networkInterfaces.0.ports.0.speedMbps")), 25000);
    assert_string_equal(at(oob, "networkInterfaces.1.ports.0.mac"), "b0:7b:25:00:11:23");
    assert_null(atv(oob, "networkInterfaces.1.ports.0.speedMbps")); /* negative dropped */
    assert_null(atv(oob, "networkInterfaces.2.ports.0.mac"));       /* malformed dropped */
    assert_int_equal(json_array_size(atv(oob, "blockDevices")), 2);
    assert_int_equal(json_integer_value(atv(oob, "blockDevices.0.sizeBytes")), 960197124096LL);
    assert_string_equal(at(oob, "storageControllers.0.firmwareInstalled"), "5");
    assert_string_equal(at(oob, "chassis.serialNumber"), "CH-9");
    assert_string_equal(at(oob, "bmc.firmwareInstalled"), "7.00");
    assert_string_equal(at(oob, "bmc.nic.mac"), "aa:bb:cc:dd:ee:ff");
}

static void test_inventory_hostile_values(void **state)
{
    char big[2048];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    _cleanup_json_ json_t *raw =
            json_pack("{s:{s:s, s:s, s:i, s:[]}, s:s, s:[i, n], s:{}}", "system", "Model", big,
                      "SerialNumber", "a\tb", "Manufacturer", 5, "Boot", "processors", "nope",
                      "memory", 1, "storage");
    json_t *oob = NULL;
    (void)state;
    assert_int_equal(bmc_inventory_out_of_band(raw, T0, &oob), 0);
    assert_int_equal(strlen(at(oob, "product.model")), 256);
    assert_string_equal(at(oob, "product.serialNumber"), "a b");
    assert_null(atv(oob, "product.vendor"));
    assert_int_equal(json_array_size(atv(oob, "cpu.sockets")), 0);
    json_decref(oob);
    _cleanup_json_ json_t *nosys = J("{\"system\":[]}"), *notobj = J("[]");
    assert_int_equal(bmc_inventory_out_of_band(nosys, T0, &oob), -EINVAL);
    assert_int_equal(bmc_inventory_out_of_band(notobj, T0, &oob), -EINVAL);
}

static void test_mac_normalize_table(void **state)
{
    static const struct {
        const char *in;
        int r;
        const char *out;
    } cases[] = {
            {"AA:BB:CC:00:11:22", 0, "aa:bb:cc:00:11:22"},
            {"aa-bb-cc-00-11-22", 0, "aa:bb:cc:00:11:22"},
            {"aa:bb:cc:00:11", -EINVAL, NULL},
            {"aa:bb:cc:00:11:2g", -EINVAL, NULL},
            {"aabb.cc00.1122.", -EINVAL, NULL},
            {"aa:bb:cc:00:11:22:33", -EINVAL, NULL},
            {"", -EINVAL, NULL},
            {NULL, -EINVAL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[18] = "unchanged";
        assert_int_equal(bmc_mac_normalize(cases[i].in, out), cases[i].r);
        assert_string_equal(out, cases[i].out ? cases[i].out : "unchanged");
    }
}

static void test_inventory_due_table(void **state)
{
    static const struct {
        const char *hw, *machine;
        bool due;
    } cases[] = {
            {"{}", "{}", true},
            {"{\"status\":{\"attributes\":{\"outOfBand\":{\"lastUpdated\":\"2026-11-07T00:00:00Z\"}"
             "}}}",
             "{}", false},
            {"{\"status\":{\"attributes\":{\"outOfBand\":{\"lastUpdated\":\"2020-01-01T00:00:00Z\"}"
             "}}}",
             "{}", true},
            {"{\"status\":{\"attributes\":{\"outOfBand\":{\"lastUpdated\":\"2026-11-07T00:00:00Z\"}"
             "}}}",
             "{\"metadata\":{\"annotations\":{\"tinkerbell.org/refresh-inventory\":\"true\"}}}",
             true},
            {"{\"metadata\":{\"annotations\":{\"tinkerbell.org/disable-outofband-inventory\":"
             "\"true\"}}}",
             "{\"metadata\":{\"annotations\":{\"tinkerbell.org/refresh-inventory\":\"true\"}}}",
             false},
            {"{\"status\":{\"attributes\":{\"outOfBand\":{\"lastUpdated\":\"garbage\"}}}}", "{}",
             true},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *hw = J(cases[i].hw), *m = J(cases[i].machine);
        assert_int_equal(bmc_inventory_due(hw, m, 86400000, T0), cases[i].due);
    }
}

static void test_onboard_hardware(void **state)
{
    _cleanup_json_ json_t *raw = J(raw_full), *hw = NULL;
    _cleanup_json_ json_t *m = J("{\"metadata\":{\"name\":\"rack1-n1\",\"namespace\":\"lab\"}}");
    (void)state;
    assert_int_equal(bmc_onboard_hardware(m, raw, &hw), 0);
    assert_string_equal(at(hw, "kind"), "Hardware");
    assert_string_equal(at(hw, "metadata.name"), "rack1-n1");
    assert_string_equal(at(hw, "metadata.namespace"), "lab");
    assert_string_equal(
            json_string_value(json_object_get(atv(hw, "metadata.labels"), BMC_LABEL_ONBOARDED)),
            "rack1-n1");
    assert_string_equal(at(hw, "spec.bmcRef.kind"), "Machine");
    assert_string_equal(at(hw, "spec.bmcRef.name"), "rack1-n1");
    json_t *ifaces = atv(hw, "spec.interfaces");
    assert_int_equal(json_array_size(ifaces), 2); /* duplicate and malformed MACs dropped */
    assert_string_equal(at(ifaces, "0.dhcp.mac"), "b0:7b:25:00:11:22");
    assert_string_equal(at(ifaces, "1.dhcp.mac"), "b0:7b:25:00:11:23");
    assert_string_equal(at(ifaces, "0.dhcp.arch"), "x86_64");
    assert_true(json_is_true(atv(ifaces, "0.dhcp.uefi")));
    assert_true(json_is_true(atv(ifaces, "0.netboot.allowPXE")));

    _cleanup_json_ json_t *nomac = J("{\"system\":{},\"ethernetInterfaces\":[{\"Id\":\"x\"}]}");
    json_t *out = NULL;
    assert_int_equal(bmc_onboard_hardware(m, nomac, &out), -ENODATA);
    _cleanup_json_ json_t *noname = J("{\"metadata\":{}}");
    assert_int_equal(bmc_onboard_hardware(noname, raw, &out), -EINVAL);
    assert_null(out);
}

/* ---------------------------------------------------- workflow boot jobs */

#define WF(boot)                                                                          \
    "{\"metadata\":{\"name\":\"wf1\",\"namespace\":\"lab\",\"uid\":\"w-uid\"},\"spec\":{" \
    "\"bootOptions\":" boot "}}"
#define HW_BMC                                                                                  \
    "{\"metadata\":{\"name\":\"hw1\"},\"spec\":{\"bmcRef\":{\"kind\":\"Machine\",\"name\":"     \
    "\"bmc1\"},\"interfaces\":[{\"dhcp\":{\"mac\":\"aa:bb:cc:00:00:01\"}},{\"dhcp\":{\"uefi\":" \
    "true}}]}}"

static void test_boot_job_build_table(void **state)
{
    static const struct {
        const char *wf, *hw, *job;
        int r;
        size_t n_tasks;
        const char *check_path, *check_value, *err;
    } cases[] = {
            {WF("{\"bootMode\":\"netboot\"}"), HW_BMC, "netboot", 0, 3,
             "spec.tasks.1.bootDevice.device", "pxe", NULL},
            {WF("{\"bootMode\":\"isoboot\",\"isoURL\":\"http://10.0.0.1:7080/iso/x/hook.iso\"}"),
             HW_BMC, "iso-mount", 0, 5, "spec.tasks.2.virtualMediaAction.mediaURL",
             "http://10.0.0.1:7080/iso/x/hook.iso", NULL},
            {WF("{\"bootMode\":\"isoboot\"}"), HW_BMC, "iso-eject", 0, 1,
             "spec.tasks.0.virtualMediaAction.mediaURL", "", NULL},
            {WF("{\"bootMode\":\"customboot\",\"custombootConfig\":{\"preparingActions\":["
                "{\"powerAction\":\"reset\"}]}}"),
             HW_BMC, "customboot-preparing", 0, 1, "spec.tasks.0.powerAction", "reset", NULL},
            {WF("{\"bootMode\":\"isoboot\"}"), HW_BMC, "iso-mount", -EINVAL, 0, NULL, NULL,
             "needs bootOptions.isoURL"},
            {WF("{\"bootMode\":\"customboot\"}"), HW_BMC, "customboot-post", -EINVAL, 0, NULL, NULL,
             "postActions is empty"},
            {WF("{\"bootMode\":\"netboot\"}"), "{\"metadata\":{\"name\":\"hw1\"},\"spec\":{}}",
             "netboot", -EINVAL, 0, NULL, NULL, "Hardware hw1 has no spec.bmcRef"},
            {WF("{\"bootMode\":\"netboot\"}"), HW_BMC, "warp", -EINVAL, 0, NULL, NULL,
             "unknown boot job warp"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_json_ json_t *wf = J(cases[i].wf), *hw = J(cases[i].hw);
        json_t *job = NULL;
        char err[256] = "";
        assert_int_equal(
                bmc_boot_job_build(wf, hw, cases[i].job, "netboot-wf1", &job, err, sizeof(err)),
                cases[i].r);
        if (cases[i].r < 0) {
            assert_null(job);
            assert_non_null(strstr(err, cases[i].err));
            continue;
        }
        assert_string_equal(at(job, "metadata.name"), "netboot-wf1");
        assert_string_equal(at(job, "metadata.namespace"), "lab");
        assert_string_equal(at(job, "spec.machineRef.name"), "bmc1");
        assert_string_equal(at(job, "spec.machineRef.namespace"), "lab");
        assert_string_equal(at(job, "metadata.ownerReferences.0.kind"), "Workflow");
        assert_string_equal(at(job, "metadata.ownerReferences.0.uid"), "w-uid");
        assert_int_equal(json_array_size(atv(job, "spec.tasks")), cases[i].n_tasks);
        assert_string_equal(at(job, cases[i].check_path), cases[i].check_value);
        if (strcmp(cases[i].job, "netboot") == 0) {
            assert_string_equal(at(job, "spec.tasks.0.powerAction"), "off");
            assert_true(json_is_true(atv(job, "spec.tasks.1.bootDevice.efiBoot")));
            assert_string_equal(at(job, "spec.tasks.2.powerAction"), "on");
        }
        json_decref(job);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_connection_parse_table),
            cmocka_unit_test(test_secret_credentials_table),
            cmocka_unit_test(test_secret_ca_table),
            cmocka_unit_test(test_action_parse_table),
            cmocka_unit_test(test_action_redfish_words_table),
            cmocka_unit_test(test_task_phase_status_and_expiry),
            cmocka_unit_test(test_task_name_table),
            cmocka_unit_test(test_job_step_walk),
            cmocka_unit_test(test_job_step_errors_table),
            cmocka_unit_test(test_machine_status_table),
            cmocka_unit_test(test_inventory_out_of_band_full),
            cmocka_unit_test(test_inventory_hostile_values),
            cmocka_unit_test(test_mac_normalize_table),
            cmocka_unit_test(test_inventory_due_table),
            cmocka_unit_test(test_onboard_hardware),
            cmocka_unit_test(test_boot_job_build_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
