/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status errors: decoding (kube_error_from_status), classification by reason
 * first and code second (reference/kube-api.md section 2.8), the errno
 * mapping of kube.h, the turning of whole HTTP answers into results
 * (kube_response_finish) and Retry-After parsing.
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
#include "kube/kube-internal.h"

enum {
    NF = 1 << 0,  /* kube_is_not_found */
    CF = 1 << 1,  /* kube_is_conflict */
    AE = 1 << 2,  /* kube_is_already_exists */
    GO = 1 << 3,  /* kube_is_gone */
    IV = 1 << 4,  /* kube_is_invalid */
    TMR = 1 << 5, /* kube_is_too_many_requests */
};

struct class_case {
    long code;
    const char *reason;
    const char *extra; /* more Status members, JSON without braces, or NULL */
    unsigned preds;
    int err;
};

static const struct class_case class_cases[] = {
        /* The reasons of errors.go with their codes. */
        {400, "BadRequest", NULL, 0, -EINVAL},
        {401, "Unauthorized", NULL, 0, -EACCES},
        {403, "Forbidden", NULL, 0, -EACCES},
        {404, "NotFound", NULL, NF, -ENOENT},
        {405, "MethodNotAllowed", NULL, 0, -EIO},
        {406, "NotAcceptable", NULL, 0, -EIO},
        {409, "AlreadyExists", NULL, AE, -EEXIST},
        {409, "Conflict", NULL, CF, -ECANCELED},
        {410, "Expired", NULL, GO, -ESTALE},
        {410, "Gone", NULL, GO, -ESTALE},
        {413, "RequestEntityTooLarge", NULL, 0, -EIO},
        {415, "UnsupportedMediaType", NULL, 0, -EIO},
        {422, "Invalid", NULL, IV, -EINVAL},
        {429, "TooManyRequests", NULL, TMR, -EAGAIN},
        {500, "InternalError", NULL, 0, -EIO},
        {500, "ServerTimeout", NULL, 0, -EIO},
        {503, "ServiceUnavailable", NULL, 0, -EAGAIN},
        {504, "Timeout", NULL, 0, -ETIMEDOUT},
        /* 504 "Too large resource version" is treated like 410. */
        {504, "Timeout",
         "\"message\":\"Timeout: Too large resource version: 9, current: 3\","
         "\"details\":{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\","
         "\"message\":\"Too large resource version\"}],\"retryAfterSeconds\":1}",
         GO, -ESTALE},
        {504, "Timeout", "\"message\":\"Timeout: Too large resource version: 9, current: 3\"", GO,
         -ESTALE},
        {504, "", "\"details\":{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\"}]}", GO,
         -ESTALE},
        /* Reason first: a known reason wins over the code. */
        {500, "NotFound", NULL, NF, -ENOENT},
        {404, "Conflict", NULL, CF, -ECANCELED},
        {409, "Invalid", NULL, IV, -EINVAL},
        {200, "Expired", NULL, GO, -ESTALE},
        {404, "InternalError", NULL, 0, -EIO},
        /* AlreadyExists is matched by reason only (apierrors.IsAlreadyExists). */
        {409, "", NULL, CF, -ECANCELED},
        /* An empty or unknown reason falls back to the code. */
        {404, "", NULL, NF, -ENOENT},
        {404, "NoSuchThing", NULL, NF, -ENOENT},
        {409, "Weird", NULL, CF, -ECANCELED},
        {410, "", NULL, GO, -ESTALE},
        {422, "", NULL, IV, -EINVAL},
        {429, "", NULL, TMR, -EAGAIN},
        {400, "", NULL, 0, -EINVAL},
        {401, "", NULL, 0, -EACCES},
        {403, "", NULL, 0, -EACCES},
        {503, "", NULL, 0, -EAGAIN},
        {504, "", NULL, 0, -ETIMEDOUT},
        {500, "", NULL, 0, -EIO},
        {418, "", NULL, 0, -EIO},
        {0, "", NULL, 0, -EIO},
};

static json_t *status_json(long code, const char *reason, const char *extra)
{
    char text[1024];
    json_t *v;

    snprintf(text, sizeof(text),
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
             "\"reason\":\"%s\",\"code\":%ld%s%s}",
             reason, code, extra ? "," : "", extra ? extra : "");
    v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void test_error_classification_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(class_cases); i++) {
        const struct class_case *t = &class_cases[i];
        _cleanup_json_ json_t *st = status_json(t->code, t->reason, t->extra);
        struct kube_error e;
        unsigned got = 0;

        assert_int_equal(kube_error_from_status(&e, t->code, st), 0);
        got |= kube_is_not_found(&e) ? NF : 0;
        got |= kube_is_conflict(&e) ? CF : 0;
        got |= kube_is_already_exists(&e) ? AE : 0;
        got |= kube_is_gone(&e) ? GO : 0;
        got |= kube_is_invalid(&e) ? IV : 0;
        got |= kube_is_too_many_requests(&e) ? TMR : 0;
        if (got != t->preds || kube_error_to_errno(&e) != t->err)
            fail_msg("case %zu (%ld %s): predicates %#x want %#x, errno %d want %d", i, t->code,
                     t->reason, got, t->preds, kube_error_to_errno(&e), t->err);
        kube_error_clear(&e);
    }
}

static void test_error_predicates_accept_null(void **state)
{
    (void)state;
    assert_false(kube_is_not_found(NULL));
    assert_false(kube_is_conflict(NULL));
    assert_false(kube_is_already_exists(NULL));
    assert_false(kube_is_gone(NULL));
    assert_false(kube_is_invalid(NULL));
    assert_false(kube_is_too_many_requests(NULL));
    kube_error_clear(NULL);
    assert_int_equal(kube_error_from_status(NULL, 404, NULL), -EINVAL);
}

static void test_error_from_status_fields(void **state)
{
    _cleanup_json_ json_t *st = json_loads(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
            "\"message\":\"Hardware.tinkerbell.org \\\"h\\\" is invalid: spec.x: Invalid value\","
            "\"reason\":\"Invalid\",\"details\":{\"name\":\"h\",\"kind\":\"Hardware\","
            "\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":\"bad\",\"field\":"
            "\"spec.x\"}],\"retryAfterSeconds\":3},\"code\":422}",
            0, NULL);
    struct kube_error e;

    (void)state;
    assert_non_null(st);
    memset(&e, 0x55, sizeof(e)); /* an output: never read */
    assert_int_equal(kube_error_from_status(&e, 422, st), 0);
    assert_int_equal(e.http_code, 422);
    assert_string_equal(e.reason, "Invalid");
    assert_string_equal(e.message,
                        "Hardware.tinkerbell.org \"h\" is invalid: spec.x: Invalid value");
    assert_int_equal(e.retry_after, 3);
    assert_true(json_is_array(e.causes));
    assert_int_equal(json_array_size(e.causes), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(e.causes, 0), "field")),
                        "spec.x");
    /* A deep copy: the Status may go away. */
    json_decref(TAKE_PTR(st));
    assert_string_equal(json_string_value(json_object_get(json_array_get(e.causes, 0), "reason")),
                        "FieldValueInvalid");
    kube_error_clear(&e);
    assert_null(e.causes);
    assert_int_equal(e.http_code, 0);
    kube_error_clear(&e); /* twice is fine */
}

struct from_case {
    const char *name;
    long http_code;
    const char *body; /* JSON or NULL */
    long want_code;
    const char *reason;
    const char *message;
    long retry_after;
};

static const struct from_case from_cases[] = {
        {"not an object", 404, "[1]", 404, "", "", 0},
        {"not a Status kind", 404, "{\"kind\":\"Hardware\",\"reason\":\"NotFound\"}", 404, "", "",
         0},
        {"Status without kind", 409,
         "{\"status\":\"Failure\",\"reason\":\"Conflict\",\"message\":\"m\"}", 409, "Conflict", "m",
         0},
        {"no body", 503, NULL, 503, "", "", 0},
        {"code from the Status when none given", 0,
         "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}", 410, "Expired", "", 0},
        {"HTTP code wins over the Status code", 500,
         "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}", 500, "Expired", "", 0},
        {"absurd Status code ignored", 0, "{\"kind\":\"Status\",\"code\":99999}", 0, "", "", 0},
        {"wrong member types ignored", 400,
         "{\"kind\":\"Status\",\"reason\":5,\"message\":[],\"details\":{\"retryAfterSeconds\":"
         "\"3\","
         "\"causes\":{}}}",
         400, "", "", 0},
        {"negative retryAfterSeconds", 429,
         "{\"kind\":\"Status\",\"details\":{\"retryAfterSeconds\":-5}}", 429, "", "", 0},
        {"huge retryAfterSeconds capped", 429,
         "{\"kind\":\"Status\",\"details\":{\"retryAfterSeconds\":99999999}}", 429, "", "", 86400},
        {"long reason cut", 400,
         "{\"kind\":\"Status\",\"reason\":"
         "\"0123456789012345678901234567890123456789012345678901234567"
         "89ABCDEFGHIJ\"}",
         400, "012345678901234567890123456789012345678901234567890123456789ABC", "", 0},
        {"cut on a UTF-8 boundary", 400,
         "{\"kind\":\"Status\",\"reason\":"
         "\"012345678901234567890123456789012345678901234567890123456"
         "789AB\\u00e9\"}",
         400, "012345678901234567890123456789012345678901234567890123456789AB", "", 0},
};

static void test_error_from_status_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(from_cases); i++) {
        const struct from_case *t = &from_cases[i];
        _cleanup_json_ json_t *body = t->body ? json_loads(t->body, JSON_DECODE_ANY, NULL) : NULL;
        struct kube_error e;

        if (t->body)
            assert_non_null(body);
        assert_int_equal(kube_error_from_status(&e, t->http_code, body), 0);
        if (e.http_code != t->want_code || strcmp(e.reason, t->reason) != 0 ||
            strcmp(e.message, t->message) != 0 || e.retry_after != t->retry_after)
            fail_msg("%s: got %ld '%s' '%s' %ld", t->name, e.http_code, e.reason, e.message,
                     e.retry_after);
        assert_null(e.causes);
        kube_error_clear(&e);
    }
}

static void test_error_long_message_cut(void **state)
{
    char big[2000];
    struct kube_error e;
    json_t *st;

    (void)state;
    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    st = json_pack("{s:s, s:s}", "kind", "Status", "message", big);
    assert_int_equal(kube_error_from_status(&e, 500, st), 0);
    assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
    json_decref(st);
    kube_error_clear(&e);
}

/* ---------------------------------------------------------------- responses */

struct finish_case {
    const char *name;
    long code;
    const char *body;
    long retry_header;
    int ret;
    const char *reason;
    const char *message; /* expected err->message, NULL: not checked */
    long retry_after;
};

static const struct finish_case finish_cases[] = {
        {"200 object", 200, "{\"kind\":\"Hardware\"}", 0, 0, NULL, NULL, 0},
        {"201 object", 201, " {\"a\":1}\n", 0, 0, NULL, NULL, 0},
        {"200 empty body", 200, "", 0, 0, NULL, NULL, 0},
        {"204 whitespace body", 204, " \r\n", 0, 0, NULL, NULL, 0},
        {"200 not JSON", 200, "ok", 0, -EBADMSG, "", "the answer (HTTP 200) is not JSON", 0},
        {"200 truncated JSON", 200, "{\"a\":", 0, -EBADMSG, "", NULL, 0},
        {"404 Status", 404,
         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"message\":"
         "\"hardware.tinkerbell.org \\\"x\\\" not found\",\"code\":404}",
         0, -ENOENT, "NotFound", "hardware.tinkerbell.org \"x\" not found", 0},
        {"404 text", 404, "404 page not found\n", 0, -ENOENT, "", "404 page not found", 0},
        {"502 HTML", 502, "<html>\r\n<b>bad\tgateway</b>", 0, -EIO, "", "<html>", 0},
        {"500 control bytes", 500,
         "a\x01"
         "b\x7f"
         "c",
         0, -EIO, "", "a b c", 0},
        {"500 empty", 500, "", 0, -EIO, "", "the server answered HTTP 500", 0},
        {"301 redirect", 301, "", 0, -EIO, "", "the server answered HTTP 301", 0},
        {"429 Retry-After header", 429, "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\"}", 7,
         -EAGAIN, "TooManyRequests", NULL, 7},
        {"429 header beats details", 429,
         "{\"kind\":\"Status\",\"details\":{\"retryAfterSeconds\":2}}", 9, -EAGAIN, "", NULL, 9},
        {"429 details only", 429, "{\"kind\":\"Status\",\"details\":{\"retryAfterSeconds\":2}}", 0,
         -EAGAIN, "", NULL, 2},
        {"429 neither: one second", 429, "", 0, -EAGAIN, "", NULL, 1},
        {"503 neither: one second", 503, "unavailable", 0, -EAGAIN, "", "unavailable", 1},
        {"409 Conflict", 409, "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409}", 0,
         -ECANCELED, "Conflict", NULL, 0},
        {"409 AlreadyExists", 409, "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\"}", 0, -EEXIST,
         "AlreadyExists", NULL, 0},
        {"410 Expired", 410, "{\"kind\":\"Status\",\"reason\":\"Expired\"}", 0, -ESTALE, "Expired",
         NULL, 0},
        {"422 Invalid", 422, "{\"kind\":\"Status\",\"reason\":\"Invalid\"}", 0, -EINVAL, "Invalid",
         NULL, 0},
        {"401", 401, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\"}", 0, -EACCES,
         "Unauthorized", NULL, 0},
};

static void test_response_finish_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(finish_cases); i++) {
        const struct finish_case *t = &finish_cases[i];
        json_t *ret = (json_t *)&ret; /* a sentinel: must stay unless 0 */
        struct kube_error e;
        int r;

        memset(&e, 0x11, sizeof(e));
        r = kube_response_finish(t->code, t->body, strlen(t->body), t->retry_header, &ret, &e);
        if (r != t->ret)
            fail_msg("%s: got %d want %d", t->name, r, t->ret);
        if (r == 0) {
            assert_true(json_is_object(ret));
            json_decref(ret);
            continue;
        }
        assert_ptr_equal(ret, &ret);
        assert_int_equal(e.http_code, t->code);
        assert_string_equal(e.reason, t->reason);
        if (t->message)
            assert_string_equal(e.message, t->message);
        assert_int_equal(e.retry_after, t->retry_after);
        kube_error_clear(&e);
    }
}

static void test_response_finish_null_err(void **state)
{
    json_t *ret = NULL;

    (void)state;
    assert_int_equal(kube_response_finish(404,
                                          "{\"kind\":\"Status\",\"details\":{\"causes\":[{}]}}", 44,
                                          0, &ret, NULL),
                     -ENOENT);
    assert_int_equal(kube_response_finish(200, "x", 1, 0, &ret, NULL), -EBADMSG);
    assert_null(ret);
    assert_int_equal(kube_response_finish(200, NULL, 0, 0, &ret, NULL), 0);
    assert_true(json_is_object(ret));
    json_decref(ret);
}

struct retry_case {
    const char *value;
    long want;
};

static void test_retry_after_parse_table(void **state)
{
    /* now = Sun, 06 Nov 1994 08:49:37 GMT - 10 s */
    const int64_t now = 784111777 - 10;
    const struct retry_case cases[] = {
            {"5", 5},
            {" 12\r\n", 12},
            {"0", 0},
            {"86400", 86400},
            {"9999999999999999999999", 86400},
            {"Sun, 06 Nov 1994 08:49:37 GMT", 10},
            {"Sun, 06 Nov 1994 08:49:27 GMT", 0},
            {"Sat, 05 Nov 1994 08:49:37 GMT", 0},
            {"-3", 0},
            {"3 seconds", 0},
            {"", 0},
            {"soon", 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (kube_retry_after_parse(cases[i].value, now) != cases[i].want)
            fail_msg("'%s': got %ld want %ld", cases[i].value,
                     kube_retry_after_parse(cases[i].value, now), cases[i].want);
    assert_int_equal(kube_retry_after_parse(NULL, now), 0);
}

static void test_error_local_overwrites(void **state)
{
    struct kube_error e;

    (void)state;
    memset(&e, 0x77, sizeof(e));
    assert_int_equal(kube_error_local(&e, -ETIMEDOUT, "after %d ms", 5), -ETIMEDOUT);
    assert_int_equal(e.http_code, 0);
    assert_string_equal(e.reason, "");
    assert_string_equal(e.message, "after 5 ms");
    assert_null(e.causes);
    assert_int_equal(e.retry_after, 0);
    assert_int_equal(kube_error_local(NULL, -EIO, "x"), -EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_error_classification_table),
            cmocka_unit_test(test_error_predicates_accept_null),
            cmocka_unit_test(test_error_from_status_fields),
            cmocka_unit_test(test_error_from_status_table),
            cmocka_unit_test(test_error_long_message_cut),
            cmocka_unit_test(test_response_finish_table),
            cmocka_unit_test(test_response_finish_null_err),
            cmocka_unit_test(test_retry_after_parse_table),
            cmocka_unit_test(test_error_local_overwrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
