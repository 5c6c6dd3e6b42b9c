/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client on the wire against a scripted Redfish peer (a real HTTP(S)
 * server in a thread, redfish-test-peer.h): what the sushy-tools emulator
 * does not do is covered here with canned answers taken from the Redfish
 * schema: sessions and their logout, Basic fallbacks, wrong passwords,
 * ETag/If-Match with a 412 retry, 202 task monitors (done, failed, too
 * slow), PowerCycle refused with 501, boot overrides, virtual media,
 * Model/SerialNumber/Processors/Memory/Storage/SimpleStorage inventory, TLS
 * (insecure, pinned CA, wrong CA) and unreachable endpoints. The clock is
 * injected: no test sleeps.
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
#include "redfish/redfish-internal.h"
#include "redfish/redfish-test-peer.h"

/* Route tables list method, path, status and body positionally and name the
 * rest; the unnamed tail is zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ROOT_SESSIONS                                                                      \
    "{\"@odata.id\":\"/redfish/v1/\",\"Systems\":{\"@odata.id\":\"/redfish/v1/Systems\"}," \
    "\"SessionService\":{\"@odata.id\":\"/redfish/v1/SessionService\"},"                   \
    "\"Links\":{\"Sessions\":{\"@odata.id\":\"/redfish/v1/SessionService/Sessions\"}}}"
#define ROOT_BASIC "{\"Systems\":{\"@odata.id\":\"/redfish/v1/Systems\"}}"
#define SYSTEMS    "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1\"}]}"
#define SYSTEM_1                                                                                  \
    "{\"Id\":\"1\",\"Name\":\"node-a\",\"PowerState\":\"On\",\"Model\":\"R650\","                 \
    "\"SerialNumber\":\"SN123\",\"Boot\":{\"BootSourceOverrideTarget\":\"None\","                 \
    "\"BootSourceOverrideMode\":\"UEFI\",\"BootSourceOverrideTarget@Redfish.AllowableValues\":"   \
    "[\"Pxe\",\"Hdd\",\"Cd\",\"BiosSetup\"]},\"Actions\":{\"#ComputerSystem.Reset\":{\"target\":" \
    "\"/redfish/v1/Systems/1/Actions/ComputerSystem.Reset\",\"ResetType@Redfish."                 \
    "AllowableValues\":[\"On\",\"ForceOff\",\"PowerCycle\",\"ForceRestart\"]}},"                  \
    "\"EthernetInterfaces\":{\"@odata.id\":\"/redfish/v1/Systems/1/EthernetInterfaces\"},"        \
    "\"Processors\":{\"@odata.id\":\"/redfish/v1/Systems/1/Processors\"},"                        \
    "\"Memory\":{\"@odata.id\":\"/redfish/v1/Systems/1/Memory\"},"                                \
    "\"Storage\":{\"@odata.id\":\"/redfish/v1/Systems/1/Storage\"},"                              \
    "\"SimpleStorage\":{\"@odata.id\":\"/redfish/v1/Systems/1/SimpleStorage\"},"                  \
    "\"VirtualMedia\":{\"@odata.id\":\"/redfish/v1/Systems/1/VirtualMedia\"},"                    \
    "\"Links\":{\"Chassis\":[{\"@odata.id\":\"/redfish/v1/Chassis/1\"}],"                         \
    "\"ManagedBy\":[{\"@odata.id\":\"/redfish/v1/Managers/1\"}]}}"
#define ERR_BODY(msg) "{\"error\":{\"code\":\"Base.1.0.GeneralError\",\"message\":\"" msg "\"}}"

/* The routes every connected test starts with (Basic, no sessions). */
#define BASIC_ROUTES                                                  \
    {"GET", "/redfish/v1/", 200, ROOT_BASIC, .times = 0},             \
            {"GET", "/redfish/v1/Systems", 200, SYSTEMS, .times = 0}, \
    {                                                                 \
        "GET", "/redfish/v1/Systems/1", 200, SYSTEM_1, .times = 0     \
    }

struct fake_clock {
    uint64_t now;
    unsigned sleeps;
};

static void fake_sleep(void *ud, uint64_t ms)
{
    struct fake_clock *f = ud;
    f->now += ms;
    f->sleeps++;
}

static uint64_t fake_now(void *ud)
{
    return ((struct fake_clock *)ud)->now;
}

static struct redfish_client *client_for(struct peer *p, bool tls, struct redfish_opts o)
{
    char endpoint[64];
    struct redfish_client *c = NULL;
    snprintf(endpoint, sizeof(endpoint), "%s://127.0.0.1:%d", tls ? "https" : "http", p->port);
    o.endpoint = endpoint;
    if (!o.username)
        o.username = "admin";
    if (!o.password)
        o.password = "secret";
    if (!o.timeout_ms)
        o.timeout_ms = 5000;
    assert_int_equal(redfish_client_new(&c, &o), 0);
    return c;
}

/* ------------------------------------------------------------- options */

static void test_client_new_endpoint_table(void **state)
{
    static const struct {
        const char *in;
        int r;
        const char *want;
    } cases[] = {
            {"10.0.0.5", 0, "https://10.0.0.5"},
            {"10.0.0.5:8443", 0, "https://10.0.0.5:8443"},
            {"https://bmc.example:443/", 0, "https://bmc.example:443"},
            {"http://127.0.0.1:8000", 0, "http://127.0.0.1:8000"},
            {"[fd00::1]:443", 0, "https://[fd00::1]:443"},
            {"ftp://10.0.0.5", -EINVAL, NULL},
            {"https://user@10.0.0.5", -EINVAL, NULL},
            {"https://10.0.0.5/redfish", -EINVAL, NULL},
            {"10.0.0.5?x=1", -EINVAL, NULL},
            {"", -EINVAL, NULL},
            {"https://", -EINVAL, NULL},
            {"host name", -EINVAL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct redfish_client *c = NULL;
        int r = redfish_client_new(
                &c,
                &(struct redfish_opts){.endpoint = cases[i].in, .username = "u", .password = "p"});
        assert_int_equal(r, cases[i].r);
        if (r == 0)
            assert_string_equal(c->endpoint, cases[i].want);
        else
            assert_null(c);
        redfish_client_free(c);
    }
}

static void test_client_new_bad_options(void **state)
{
    struct redfish_client *c = NULL;
    (void)state;
    assert_int_equal(redfish_client_new(&c, &(struct redfish_opts){.endpoint = "h"}), -EINVAL);
    assert_int_equal(redfish_client_new(&c, &(struct redfish_opts){.endpoint = "h",
                                                                   .username = "u",
                                                                   .password = "p",
                                                                   .retries = 11}),
                     -EINVAL);
    assert_int_equal(redfish_client_new(NULL, &(struct redfish_opts){0}), -EINVAL);
    assert_null(c);
    assert_null(redfish_client_free(NULL));
}

/* --------------------------------------------------------------- login */

static void test_connect_session_login_and_logout(void **state)
{
    struct canned routes[] = {
            {"GET", "/redfish/v1/", 200, ROOT_SESSIONS},
            {"POST", "/redfish/v1/SessionService/Sessions", 201, "{\"Id\":\"7\"}",
             .location = "/redfish/v1/SessionService/Sessions/7", .token = "tok-123"},
            {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
            {"DELETE", "/redfish/v1/SessionService/Sessions/7", 204, NULL},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_true(redfish_uses_session(c));
    assert_int_equal(redfish_connect(c, &err), 0); /* idempotent: nothing sent */
    assert_int_equal(peer_count(p), 3);
    struct seen root = peer_seen(p, 0), login = peer_seen(p, 1), sys = peer_seen(p, 2);
    assert_string_equal(root.auth, "");
    assert_string_equal(login.auth, "");
    assert_non_null(strstr(login.body, "\"UserName\":\"admin\""));
    assert_non_null(strstr(login.body, "\"Password\":\"secret\""));
    assert_string_equal(sys.token, "tok-123");
    assert_string_equal(sys.auth, "");
    redfish_client_free(c);
    assert_int_equal(peer_count_of(p, "DELETE", "/redfish/v1/SessionService/Sessions/7"), 1);
    assert_string_equal(peer_seen(p, 3).token, "tok-123");
    peer_stop(p);
}

/* Services without sessions: Basic on every request after the login try. */
static void test_connect_basic_fallback_table(void **state)
{
    static const struct {
        int status;
        const char *token;
        bool basic_opt;
        size_t login_posts;
    } cases[] = {
            {404, NULL, false, 1}, /* no Sessions collection (sushy-tools) */
            {405, NULL, false, 1}, /* method not allowed */
            {501, NULL, false, 1}, /* not implemented */
            {201, NULL, false, 1}, /* created but no X-Auth-Token */
            {201, "t", true, 0},   /* useBasicAuth: no login at all */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, ROOT_SESSIONS},
                {"POST", "/redfish/v1/SessionService/Sessions", cases[i].status, "{}",
                 .token = cases[i].token},
                {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c =
                client_for(p, false, (struct redfish_opts){.basic_auth = cases[i].basic_opt});
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_false(redfish_uses_session(c));
        assert_int_equal(peer_count_of(p, "POST", "/redfish/v1/SessionService/Sessions"),
                         cases[i].login_posts);
        /* base64("admin:secret") */
        assert_string_equal(peer_seen(p, peer_count(p) - 1).auth, "Basic YWRtaW46c2VjcmV0");
        redfish_client_free(c);
        peer_stop(p);
    }
}

static void test_connect_wrong_password_table(void **state)
{
    static const struct {
        bool sessions;
        int code;
    } cases[] = {{true, 401}, {false, 401}, {false, 403}};
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, cases[i].sessions ? ROOT_SESSIONS : ROOT_BASIC},
                {"POST", "/redfish/v1/SessionService/Sessions", cases[i].code,
                 ERR_BODY("Invalid username or password")},
                {"GET", "/redfish/v1/Systems", cases[i].code, ERR_BODY("Authorization required")},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){.password = "nope"});
        assert_int_equal(redfish_connect(c, &err), -EACCES);
        assert_int_equal(err.http_code, cases[i].code);
        assert_non_null(strstr(err.message, cases[i].code == 401 ? "401 Unauthorized: check the "
                                                                   "username and password"
                                                                 : "403 Forbidden"));
        assert_non_null(strstr(err.message,
                               cases[i].sessions ? "Invalid username" : "Authorization required"));
        assert_null(strstr(err.message, "nope"));
        redfish_client_free(c);
        peer_stop(p);
    }
}

static void test_connect_not_redfish_table(void **state)
{
    static const struct {
        int status;
        const char *body;
        int r;
        const char *msg;
    } cases[] = {
            {200, "<html>login</html>", -EBADMSG, "not a JSON object"},
            {200, "[1,2]", -EBADMSG, "not a JSON object"},
            {200, "{\"Name\":\"x\"}", -EBADMSG, "no Systems link"},
            {200, "{\"Systems\":{\"@odata.id\":\"https://evil/x\"}}", -EBADMSG, "no Systems link"},
            {500, ERR_BODY("boom"), -EIO, "500 server error: boom"},
            {503, "{}", -EAGAIN, "503 Service Unavailable"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {{"GET", "/redfish/v1/", cases[i].status, cases[i].body}};
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_connect(c, &err), cases[i].r);
        assert_non_null(strstr(err.message, cases[i].msg));
        redfish_client_free(c);
        peer_stop(p);
    }
}

static void test_connect_unreachable_bounded_retries(void **state)
{
    struct redfish_client *c = NULL;
    struct redfish_error err = {0};
    struct redfish_stats st;
    struct canned none[] = {{"GET", "/x", 200, "{}"}};
    (void)state;
    /* A port that was just free: bind a peer, note its port, stop it. */
    struct peer *p = peer_start(none, 1, false);
    assert_non_null(p);
    char endpoint[64];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", p->port);
    peer_stop(p);
    assert_int_equal(redfish_client_new(&c, &(struct redfish_opts){.endpoint = endpoint,
                                                                   .username = "u",
                                                                   .password = "p",
                                                                   .retries = 3}),
                     0);
    assert_int_equal(redfish_connect(c, &err), -ECONNREFUSED);
    assert_int_equal(err.http_code, 0);
    assert_non_null(strstr(err.message, "connection refused"));
    redfish_client_get_stats(c, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.retries, 3);
    redfish_client_free(c);
}

static void test_body_cap(void **state)
{
    char big[3000];
    memset(big, ' ', sizeof(big) - 3);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    struct canned routes[] = {{"GET", "/redfish/v1/", 200, big}};
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){.max_body = 1024});
    assert_int_equal(redfish_connect(c, &err), -E2BIG);
    assert_non_null(strstr(err.message, "larger than 1024 bytes"));
    redfish_client_free(c);
    peer_stop(p);
}

/* ----------------------------------------------------------------- TLS */

static void test_tls_table(void **state)
{
    static const struct {
        bool insecure;
        const char *ca;
        int r;
    } cases[] = {
            {true, NULL, 0},                 /* self-signed accepted on request */
            {false, test_ca_a_pem, 0},       /* pinned CA */
            {false, test_ca_b_pem, -EPROTO}, /* another CA */
            {false, NULL, -EPROTO},          /* system CAs do not know it */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {BASIC_ROUTES};
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), true);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c = client_for(
                p, true,
                (struct redfish_opts){.insecure_tls = cases[i].insecure, .ca_pem = cases[i].ca});
        assert_int_equal(redfish_connect(c, &err), cases[i].r);
        if (cases[i].r < 0) {
            assert_non_null(strstr(err.message, "TLS failed"));
            assert_non_null(strstr(err.message, "insecureTLS"));
        }
        redfish_client_free(c);
        peer_stop(p);
    }
}

/* -------------------------------------------------------- PATCH / ETag */

static void test_patch_if_match_retry_on_412(void **state)
{
    struct canned routes[] = {
            {"GET", "/redfish/v1/", 200, ROOT_BASIC},
            {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
            {"GET", "/redfish/v1/Systems/1", 200, SYSTEM_1, .etag = "W/\"1\"", .times = 1},
            {"GET", "/redfish/v1/Systems/1", 200, SYSTEM_1, .etag = "W/\"2\"", .times = 1},
            {"PATCH", "/redfish/v1/Systems/1", 412, ERR_BODY("etag mismatch"), .times = 1},
            {"PATCH", "/redfish/v1/Systems/1", 204, NULL},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    _cleanup_json_ json_t *body = json_pack("{s:s}", "AssetTag", "x");
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_int_equal(redfish_patch(c, "/redfish/v1/Systems/1", body, &err), 0);
    assert_int_equal(peer_count_of(p, "PATCH", "/redfish/v1/Systems/1"), 2);
    /* requests: root, Systems, GET(1), PATCH(412), GET(2), PATCH(204) */
    assert_string_equal(peer_seen(p, 3).if_match, "W/\"1\"");
    assert_string_equal(peer_seen(p, 5).if_match, "W/\"2\"");
    assert_string_equal(peer_seen(p, 5).body, "{\"AssetTag\":\"x\"}");
    redfish_client_free(c);
    peer_stop(p);
}

static void test_patch_412_twice_fails(void **state)
{
    struct canned routes[] = {
            BASIC_ROUTES,
            {"PATCH", "/redfish/v1/Systems/1", 412, ERR_BODY("etag mismatch")},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    _cleanup_json_ json_t *body = json_pack("{s:s}", "AssetTag", "x");
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_int_equal(redfish_patch(c, "/redfish/v1/Systems/1", body, &err), -ESTALE);
    assert_int_equal(err.http_code, 412);
    assert_non_null(strstr(err.message, "Precondition Failed"));
    assert_int_equal(peer_count_of(p, "PATCH", "/redfish/v1/Systems/1"), 2);
    redfish_client_free(c);
    peer_stop(p);
}

static void test_patch_odata_etag_and_none(void **state)
{
    struct canned routes[] = {
            {"GET", "/redfish/v1/", 200, ROOT_BASIC},
            {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
            {"GET", "/redfish/v1/Systems/1", 200, "{\"@odata.etag\":\"\\\"abc\\\"\"}", .times = 1},
            {"GET", "/redfish/v1/Systems/1", 200, "{}"},
            {"PATCH", "/redfish/v1/Systems/1", 200, "{}"},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    _cleanup_json_ json_t *body = json_object();
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_int_equal(redfish_patch(c, "/redfish/v1/Systems/1", body, &err), 0);
    assert_string_equal(peer_seen(p, 3).if_match, "\"abc\"");
    assert_int_equal(redfish_patch(c, "/redfish/v1/Systems/1", body, &err), 0);
    assert_string_equal(peer_seen(p, 5).if_match, ""); /* no ETag known: no If-Match */
    redfish_client_free(c);
    peer_stop(p);
}

/* --------------------------------------------------- 202 task monitors */

static void test_post_task_monitor_table(void **state)
{
    static const struct {
        const char *final_body;
        int polls_202;
        uint64_t timeout_ms;
        int r;
        const char *msg;
    } cases[] = {
            {"{\"TaskState\":\"Completed\"}", 2, 0, 0, NULL},
            {"{\"TaskState\":\"Exception\",\"Messages\":[{\"Message\":\"disk on fire\"}]}", 1, 0,
             -EIO, "ended Exception: disk on fire"},
            {"{\"TaskState\":\"Killed\"}", 1, 0, -EIO, "ended Killed"},
            {"{\"TaskState\":\"Completed\"}", 50, 10000, -ETIME, "still running after 10 s"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                BASIC_ROUTES,
                {"POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", 202,
                 "{\"TaskState\":\"New\"}", .location = "/redfish/v1/TaskService/Tasks/9"},
                {"GET", "/redfish/v1/TaskService/Tasks/9", 202, "{\"TaskState\":\"Running\"}",
                 .times = cases[i].polls_202},
                {"GET", "/redfish/v1/TaskService/Tasks/9", 200, cases[i].final_body},
        };
        struct fake_clock fc = {0};
        struct redfish_clock clk = {.sleep_ms = fake_sleep, .now_ms = fake_now, .userdata = &fc};
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        _cleanup_json_ json_t *body = json_pack("{s:s}", "ResetType", "On");
        json_t *out = NULL;
        assert_non_null(p);
        struct redfish_client *c =
                client_for(p, false,
                           (struct redfish_opts){.clock = &clk,
                                                 .task_poll_ms = 500,
                                                 .task_timeout_ms = cases[i].timeout_ms});
        assert_int_equal(redfish_connect(c, &err), 0);
        int r = redfish_post(c, "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", body, &out,
                             &err);
        assert_int_equal(r, cases[i].r);
        if (r == 0) {
            assert_string_equal(json_string_value(json_object_get(out, "TaskState")), "Completed");
            assert_int_equal(fc.sleeps, cases[i].polls_202);
            assert_int_equal(peer_count_of(p, "GET", "/redfish/v1/TaskService/Tasks/9"),
                             cases[i].polls_202 + 1);
        } else {
            assert_null(out);
            assert_non_null(strstr(err.message, cases[i].msg));
        }
        json_decref(out);
        redfish_client_free(c);
        peer_stop(p);
    }
}

/* ---------------------------------------------------------------- power */

static void test_reset_fallback_table(void **state)
{
    static const struct {
        const char *allowed; /* JSON array or NULL for none listed */
        int cycle_status;
        int r;
        const char *used;
        size_t cycle_posts, restart_posts;
    } cases[] = {
            {"[\"On\",\"PowerCycle\",\"ForceRestart\"]", 204, 0, "PowerCycle", 1, 0},
            {"[\"On\",\"PowerCycle\",\"ForceRestart\"]", 501, 0, "ForceRestart", 1, 1},
            {"[\"On\",\"ForceOff\",\"ForceRestart\"]", 204, 0, "ForceRestart", 0, 1},
            {NULL, 400, 0, "ForceRestart", 1, 1},
            {"[\"On\",\"ForceOff\"]", 204, -EOPNOTSUPP, NULL, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char sys[512];
        snprintf(sys, sizeof(sys),
                 "{\"PowerState\":\"On\",\"Actions\":{\"#ComputerSystem.Reset\":{\"target\":"
                 "\"/redfish/v1/Systems/1/Actions/ComputerSystem.Reset\"%s%s}}}",
                 cases[i].allowed ? ",\"ResetType@Redfish.AllowableValues\":" : "",
                 cases[i].allowed ? cases[i].allowed : "");
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, ROOT_BASIC},
                {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
                {"GET", "/redfish/v1/Systems/1", 200, sys},
                {"POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                 cases[i].cycle_status, ERR_BODY("Power state PowerCycle is not supported"),
                 .times = 1},
                {"POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", 204, NULL},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        const char *used = NULL;
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_int_equal(redfish_reset(c, "/redfish/v1/Systems/1", "PowerCycle", "ForceRestart",
                                       &used, &err),
                         cases[i].r);
        size_t cycle = 0, restart = 0;
        for (size_t k = 0; k < peer_count(p); k++) {
            struct seen s = peer_seen(p, k);
            cycle += strstr(s.body, "\"PowerCycle\"") != NULL;
            restart += strstr(s.body, "\"ForceRestart\"") != NULL;
        }
        assert_int_equal(cycle, cases[i].cycle_posts);
        assert_int_equal(restart, cases[i].restart_posts);
        if (cases[i].r == 0)
            assert_string_equal(used, cases[i].used);
        else
            assert_non_null(strstr(err.message, "does not offer ResetType PowerCycle"));
        redfish_client_free(c);
        peer_stop(p);
    }
}

static void test_power_get_table(void **state)
{
    static const struct {
        const char *body;
        int r;
        enum redfish_power want;
    } cases[] = {
            {"{\"PowerState\":\"On\"}", 0, REDFISH_POWER_ON},
            {"{\"PowerState\":\"off\"}", 0, REDFISH_POWER_OFF},
            {"{\"PowerState\":\"PoweringOn\"}", 0, REDFISH_POWER_POWERING_ON},
            {"{\"PowerState\":\"Paused\"}", 0, REDFISH_POWER_UNKNOWN},
            {"{\"PowerState\":7}", -EBADMSG, 0},
            {"{}", -EBADMSG, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, ROOT_BASIC},
                {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
                {"GET", "/redfish/v1/Systems/1", 200, cases[i].body},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        enum redfish_power st = _REDFISH_POWER_MAX;
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_int_equal(redfish_power_get(c, "/redfish/v1/Systems/1", &st, &err), cases[i].r);
        if (cases[i].r == 0)
            assert_int_equal(st, cases[i].want);
        else
            assert_int_equal(st, _REDFISH_POWER_MAX);
        redfish_client_free(c);
        peer_stop(p);
    }
}

/* ---------------------------------------------------------- boot device */

static void test_boot_override_table(void **state)
{
    static const struct {
        const char *system;
        const char *target;
        bool persistent, uefi;
        int r;
        const char *body;
    } cases[] = {
            {SYSTEM_1, "Pxe", false, true, 0,
             "{\"Boot\":{\"BootSourceOverrideTarget\":\"Pxe\",\"BootSourceOverrideEnabled\":"
             "\"Once\",\"BootSourceOverrideMode\":\"UEFI\"}}"},
            {SYSTEM_1, "Hdd", true, false, 0,
             "{\"Boot\":{\"BootSourceOverrideTarget\":\"Hdd\",\"BootSourceOverrideEnabled\":"
             "\"Continuous\",\"BootSourceOverrideMode\":\"Legacy\"}}"},
            {"{\"Boot\":{}}", "Cd", false, true, 0,
             "{\"Boot\":{\"BootSourceOverrideTarget\":\"Cd\",\"BootSourceOverrideEnabled\":"
             "\"Once\"}}"},
            {SYSTEM_1, "Usb", false, true, -EOPNOTSUPP, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, ROOT_BASIC},
                {"GET", "/redfish/v1/Systems", 200, SYSTEMS},
                {"GET", "/redfish/v1/Systems/1", 200, cases[i].system},
                {"PATCH", "/redfish/v1/Systems/1", 204, NULL},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_int_equal(redfish_boot_override(c, "/redfish/v1/Systems/1", cases[i].target,
                                               cases[i].persistent, cases[i].uefi, &err),
                         cases[i].r);
        if (cases[i].body)
            assert_string_equal(peer_seen(p, peer_count(p) - 1).body, cases[i].body);
        else
            assert_int_equal(peer_count_of(p, "PATCH", "/redfish/v1/Systems/1"), 0);
        redfish_client_free(c);
        peer_stop(p);
    }
}

/* --------------------------------------------------------- virtual media */

#define VM_COLL                                                                    \
    "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1/VirtualMedia/Floppy\"}," \
    "{\"@odata.id\":\"/redfish/v1/Systems/1/VirtualMedia/Cd\"}]}"
#define VM_FLOPPY "{\"Id\":\"Floppy\",\"MediaTypes\":[\"Floppy\"]}"

static void test_virtual_media_table(void **state)
{
    static const struct {
        const char *cd;
        const char *image;
        int r;
        const char *method, *path, *body;
    } cases[] = {
            {"{\"Id\":\"Cd\",\"MediaTypes\":[\"CD\",\"DVD\"],\"Actions\":{\"#VirtualMedia."
             "InsertMedia\":{\"target\":\"/redfish/v1/Systems/1/VirtualMedia/Cd/Actions/"
             "VirtualMedia.InsertMedia\"}}}",
             "http://10.0.0.1:7080/iso/hook.iso", 0, "POST",
             "/redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
             "{\"Image\":\"http://10.0.0.1:7080/iso/hook.iso\",\"Inserted\":true,"
             "\"WriteProtected\":true}"},
            {"{\"Id\":\"Cd\",\"MediaTypes\":[\"DVD\"],\"Inserted\":true,\"Image\":\"x\"}", "", 0,
             "PATCH", "/redfish/v1/Systems/1/VirtualMedia/Cd",
             "{\"Image\":null,\"Inserted\":false}"},
            {"{\"Id\":\"Cd\",\"MediaTypes\":[\"CD\"],\"Inserted\":false}", NULL, 0, NULL, NULL,
             NULL},
            {"{\"Id\":\"Usb\",\"MediaTypes\":[\"USBStick\"]}", "http://x/y.iso", -ENOENT, NULL,
             NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                BASIC_ROUTES,
                {"GET", "/redfish/v1/Systems/1/VirtualMedia", 200, VM_COLL},
                {"GET", "/redfish/v1/Systems/1/VirtualMedia/Floppy", 200, VM_FLOPPY},
                {"GET", "/redfish/v1/Systems/1/VirtualMedia/Cd", 200, cases[i].cd},
                {"POST", "/redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
                 204, NULL},
                {"PATCH", "/redfish/v1/Systems/1/VirtualMedia/Cd", 204, NULL},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_int_equal(
                redfish_virtual_media(c, "/redfish/v1/Systems/1", "CD", cases[i].image, &err),
                cases[i].r);
        struct seen last = peer_seen(p, peer_count(p) - 1);
        if (cases[i].method) {
            assert_string_equal(last.method, cases[i].method);
            assert_string_equal(last.path, cases[i].path);
            assert_string_equal(last.body, cases[i].body);
        } else {
            assert_string_equal(last.method, "GET");
        }
        if (cases[i].r == -ENOENT)
            assert_non_null(strstr(err.message, "no CD virtual media device"));
        redfish_client_free(c);
        peer_stop(p);
    }
}

/* ------------------------------------------------------------ inventory */

static void test_inventory_full_and_gaps(void **state)
{
    struct canned routes[] = {
            BASIC_ROUTES,
            {"GET", "/redfish/v1/Systems/1/EthernetInterfaces", 200,
             "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1/EthernetInterfaces/1\"},"
             "{\"@odata.id\":\"/redfish/v1/Systems/1/EthernetInterfaces/gone\"},"
             "{\"@odata.id\":\"../../etc/passwd\"}]}"},
            {"GET", "/redfish/v1/Systems/1/EthernetInterfaces/1", 200,
             "{\"Id\":\"1\",\"MACAddress\":\"AA:BB:CC:00:11:22\",\"SpeedMbps\":25000}"},
            {"GET", "/redfish/v1/Systems/1/Processors", 200,
             "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1/Processors/CPU0\"}]}"},
            {"GET", "/redfish/v1/Systems/1/Processors/CPU0", 200,
             "{\"Id\":\"CPU0\",\"TotalCores\":16,\"TotalThreads\":32}"},
            {"GET", "/redfish/v1/Systems/1/Memory", 501, ERR_BODY("Not implemented")},
            {"GET", "/redfish/v1/Systems/1/Storage", 200,
             "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1/Storage/RAID\"}]}"},
            {"GET", "/redfish/v1/Systems/1/Storage/RAID", 200,
             "{\"Id\":\"RAID\",\"Drives\":[{\"@odata.id\":\"/redfish/v1/Systems/1/Storage/RAID/"
             "Drives/0\"}]}"},
            {"GET", "/redfish/v1/Systems/1/Storage/RAID/Drives/0", 200,
             "{\"Id\":\"0\",\"CapacityBytes\":960197124096,\"MediaType\":\"SSD\"}"},
            {"GET", "/redfish/v1/Systems/1/SimpleStorage", 200,
             "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1/SimpleStorage/1\"}]}"},
            {"GET", "/redfish/v1/Systems/1/SimpleStorage/1", 200,
             "{\"Id\":\"1\",\"Devices\":[{\"Name\":\"sda\",\"CapacityBytes\":1000}]}"},
            {"GET", "/redfish/v1/Chassis/1", 200, "{\"Id\":\"1\",\"SerialNumber\":\"CH1\"}"},
            {"GET", "/redfish/v1/Managers/1", 200,
             "{\"Id\":\"1\",\"FirmwareVersion\":\"2.1\",\"EthernetInterfaces\":{\"@odata.id\":"
             "\"/redfish/v1/Managers/1/EthernetInterfaces\"}}"},
            {"GET", "/redfish/v1/Managers/1/EthernetInterfaces", 500, ERR_BODY("broken")},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    _cleanup_json_ json_t *raw = NULL;
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_int_equal(redfish_inventory(c, "/redfish/v1/Systems/1", &raw, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(raw, "system"), "Model")),
                        "R650");
    json_t *nics = json_object_get(raw, "ethernetInterfaces");
    assert_int_equal(json_array_size(nics), 1); /* the 404 member and the bad path skipped */
    assert_int_equal(json_array_size(json_object_get(raw, "processors")), 1);
    assert_null(json_object_get(raw, "memory")); /* 501 */
    json_t *st = json_array_get(json_object_get(raw, "storage"), 0);
    assert_int_equal(json_array_size(json_object_get(st, "drives")), 1);
    assert_int_equal(json_array_size(json_object_get(raw, "simpleStorage")), 1);
    assert_non_null(json_object_get(raw, "chassis"));
    assert_non_null(json_object_get(raw, "manager"));
    assert_null(json_object_get(raw, "managerEthernetInterfaces"));
    assert_int_equal(peer_count_of(p, "GET", "../../etc/passwd"), 0);
    redfish_client_free(c);
    peer_stop(p);
}

static void test_inventory_auth_lost_fails(void **state)
{
    struct canned routes[] = {
            BASIC_ROUTES,
            {"GET", "/redfish/v1/Systems/1/EthernetInterfaces", 401, ERR_BODY("expired")},
    };
    struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
    struct redfish_error err = {0};
    json_t *raw = NULL;
    (void)state;
    assert_non_null(p);
    struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
    assert_int_equal(redfish_connect(c, &err), 0);
    assert_int_equal(redfish_inventory(c, "/redfish/v1/Systems/1", &raw, &err), -EACCES);
    assert_null(raw);
    redfish_client_free(c);
    peer_stop(p);
}

static void test_system_find_table(void **state)
{
    static const struct {
        const char *name;
        int r;
        const char *want;
    } cases[] = {
            {NULL, 0, "/redfish/v1/Systems/a"},
            {"b", 0, "/redfish/v1/Systems/b"},      /* by the last segment */
            {"node-b", 0, "/redfish/v1/Systems/b"}, /* by Name */
            {"nope", -ENOENT, NULL},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct canned routes[] = {
                {"GET", "/redfish/v1/", 200, ROOT_BASIC},
                {"GET", "/redfish/v1/Systems", 200,
                 "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/a\"},"
                 "{\"@odata.id\":\"/redfish/v1/Systems/b\"}]}"},
                {"GET", "/redfish/v1/Systems/a", 200, "{\"Id\":\"a\",\"Name\":\"node-a\"}"},
                {"GET", "/redfish/v1/Systems/b", 200, "{\"Id\":\"b\",\"Name\":\"node-b\"}"},
        };
        struct peer *p = peer_start(routes, ARRAY_SIZE(routes), false);
        struct redfish_error err = {0};
        char *path = NULL;
        assert_non_null(p);
        struct redfish_client *c = client_for(p, false, (struct redfish_opts){0});
        assert_int_equal(redfish_system_find(c, "a", &path, &err), -ENOTCONN);
        assert_int_equal(redfish_connect(c, &err), 0);
        assert_int_equal(redfish_system_find(c, cases[i].name, &path, &err), cases[i].r);
        if (cases[i].want)
            assert_string_equal(path, cases[i].want);
        else
            assert_non_null(strstr(err.message, "no ComputerSystem named nope"));
        free(path);
        redfish_client_free(c);
        peer_stop(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_client_new_endpoint_table),
            cmocka_unit_test(test_client_new_bad_options),
            cmocka_unit_test(test_connect_session_login_and_logout),
            cmocka_unit_test(test_connect_basic_fallback_table),
            cmocka_unit_test(test_connect_wrong_password_table),
            cmocka_unit_test(test_connect_not_redfish_table),
            cmocka_unit_test(test_connect_unreachable_bounded_retries),
            cmocka_unit_test(test_body_cap),
            cmocka_unit_test(test_tls_table),
            cmocka_unit_test(test_patch_if_match_retry_on_412),
            cmocka_unit_test(test_patch_412_twice_fails),
            cmocka_unit_test(test_patch_odata_etag_and_none),
            cmocka_unit_test(test_post_task_monitor_table),
            cmocka_unit_test(test_reset_fallback_table),
            cmocka_unit_test(test_power_get_table),
            cmocka_unit_test(test_boot_override_table),
            cmocka_unit_test(test_virtual_media_table),
            cmocka_unit_test(test_inventory_full_and_gaps),
            cmocka_unit_test(test_inventory_auth_lost_fails),
            cmocka_unit_test(test_system_find_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
