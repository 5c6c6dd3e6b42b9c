/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The message schema: one field table per message type, shared by the
 * decoder and the encoder so the two can never disagree, and the checks that
 * string values must pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto/agentproto-internal.h"

#define OFF(member) offsetof(struct agentproto_msg, member)

#define STR(k, req, chk, mx, m)                                                               \
    {                                                                                         \
        .key = (k), .kind = AGENTPROTO_F_STR, .required = (req), .check = (chk), .max = (mx), \
        .off = OFF(m)                                                                         \
    }

static const struct agentproto_field hello_fields[] = {
        STR("agentID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, hello.agent_id),
        STR("token", false, AGENTPROTO_C_TEXT, AGENTPROTO_TOKEN_MAX, hello.token),
        STR("agentVersion", false, AGENTPROTO_C_TEXT, AGENTPROTO_SHORT_MAX, hello.agent_version),
        {.key = "attributes", .kind = AGENTPROTO_F_OBJECT, .off = OFF(hello.attributes)},
};

static const struct agentproto_field status_fields[] = {
        STR("workflowID",
            true,
            AGENTPROTO_C_WORKFLOW_ID,
            AGENTPROTO_WORKFLOW_ID_MAX,
            status.workflow_id),
        STR("agentID", false, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, status.agent_id),
        STR("taskID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, status.task_id),
        STR("actionID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, status.action_id),
        STR("actionName", false, AGENTPROTO_C_TEXT, AGENTPROTO_NAME_MAX, status.action_name),
        {.key = "state", .kind = AGENTPROTO_F_STATE, .required = true, .off = OFF(status.state)},
        {.key = "executionStart",
         .kind = AGENTPROTO_F_TIME,
         .off = OFF(status.execution_start),
         .has_off = OFF(status.has_execution_start)},
        {.key = "executionStop",
         .kind = AGENTPROTO_F_TIME,
         .off = OFF(status.execution_stop),
         .has_off = OFF(status.has_execution_stop)},
        {.key = "executionDuration",
         .kind = AGENTPROTO_F_DURATION,
         .off = OFF(status.execution_duration_ns),
         .has_off = OFF(status.has_execution_duration)},
        STR("message", false, AGENTPROTO_C_MESSAGE, AGENTPROTO_MESSAGE_MAX, status.message),
};

#define STRV(k, chk, m)                                                                    \
    {                                                                                      \
        .key = (k), .kind = AGENTPROTO_F_STRV, .check = (chk), .max = AGENTPROTO_LIST_MAX, \
        .off = OFF(m)                                                                      \
    }

static const struct agentproto_field action_fields[] = {
        STR("workflowID",
            true,
            AGENTPROTO_C_WORKFLOW_ID,
            AGENTPROTO_WORKFLOW_ID_MAX,
            action.workflow_id),
        STR("taskID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, action.task_id),
        STR("agentID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, action.agent_id),
        STR("actionID", true, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, action.action_id),
        STR("name", true, AGENTPROTO_C_TEXT, AGENTPROTO_NAME_MAX, action.name),
        STR("image", true, AGENTPROTO_C_TEXT, AGENTPROTO_IMAGE_MAX, action.image),
        {.key = "timeout",
         .kind = AGENTPROTO_F_INT,
         .required = true,
         .min = 0,
         .imax = AGENTPROTO_TIMEOUT_MAX,
         .off = OFF(action.timeout)},
        STRV("command", AGENTPROTO_C_MESSAGE, action.command),
        STRV("volumes", AGENTPROTO_C_TEXT, action.volumes),
        STRV("environment", AGENTPROTO_C_ENV, action.environment),
        {.parent = "namespaces",
         .key = "network",
         .kind = AGENTPROTO_F_STR,
         .check = AGENTPROTO_C_TEXT,
         .max = AGENTPROTO_SHORT_MAX,
         .off = OFF(action.namespace_network)},
        {.parent = "namespaces",
         .key = "pid",
         .kind = AGENTPROTO_F_STR,
         .check = AGENTPROTO_C_TEXT,
         .max = AGENTPROTO_SHORT_MAX,
         .off = OFF(action.namespace_pid)},
        STR("pid", false, AGENTPROTO_C_TEXT, AGENTPROTO_SHORT_MAX, action.pid),
};

static const struct agentproto_field idle_fields[] = {
        STR("reason", true, AGENTPROTO_C_CODE, AGENTPROTO_SHORT_MAX, idle.reason),
        {.key = "retryAfterMs",
         .kind = AGENTPROTO_F_INT,
         .min = 0,
         .imax = AGENTPROTO_RETRY_MAX_MS,
         .off = OFF(idle.retry_after_ms)},
};

static const struct agentproto_field error_fields[] = {
        STR("code", true, AGENTPROTO_C_CODE, AGENTPROTO_SHORT_MAX, error.code),
        STR("message", false, AGENTPROTO_C_MESSAGE, AGENTPROTO_MESSAGE_MAX, error.message),
};

static const struct agentproto_field ack_fields[] = {
        STR("of", true, AGENTPROTO_C_ACK_OF, AGENTPROTO_SHORT_MAX, ack.of),
        STR("actionID", false, AGENTPROTO_C_TEXT, AGENTPROTO_ID_MAX, ack.action_id),
        {.key = "state", .kind = AGENTPROTO_F_STATE, .off = OFF(ack.state)},
};

struct agentproto_fields agentproto_fields_of(enum agentproto_type t)
{
#define F(a) ((struct agentproto_fields){a, ARRAY_SIZE(a)})
    switch (t) {
    case AGENTPROTO_HELLO:
        return F(hello_fields);
    case AGENTPROTO_STATUS:
        return F(status_fields);
    case AGENTPROTO_ACTION:
        return F(action_fields);
    case AGENTPROTO_IDLE:
        return F(idle_fields);
    case AGENTPROTO_ERROR:
        return F(error_fields);
    case AGENTPROTO_ACK:
        return F(ack_fields);
    default:
        return (struct agentproto_fields){NULL, 0};
    }
#undef F
}

static const char *const type_names[_AGENTPROTO_TYPE_MAX] = {
        [AGENTPROTO_HELLO] = "hello",   [AGENTPROTO_STATUS] = "status",
        [AGENTPROTO_ACTION] = "action", [AGENTPROTO_IDLE] = "idle",
        [AGENTPROTO_ERROR] = "error",   [AGENTPROTO_ACK] = "ack",
};

static const char *const state_names[_AGENTPROTO_STATE_MAX] = {
        [AGENTPROTO_STATE_RUNNING] = "RUNNING",
        [AGENTPROTO_STATE_SUCCESS] = "SUCCESS",
        [AGENTPROTO_STATE_FAILED] = "FAILED",
        [AGENTPROTO_STATE_TIMEOUT] = "TIMEOUT",
};

const char *agentproto_type_to_string(enum agentproto_type t)
{
    return t >= 0 && t < _AGENTPROTO_TYPE_MAX ? type_names[t] : NULL;
}

enum agentproto_type agentproto_type_from_string(const char *s)
{
    for (int i = 0; s && i < _AGENTPROTO_TYPE_MAX; i++)
        if (strcmp(s, type_names[i]) == 0)
            return (enum agentproto_type)i;
    return _AGENTPROTO_TYPE_INVALID;
}

const char *agentproto_state_to_string(enum agentproto_state s)
{
    return s > AGENTPROTO_STATE_UNSET && s < _AGENTPROTO_STATE_MAX ? state_names[s] : NULL;
}

enum agentproto_state agentproto_state_from_string(const char *s)
{
    for (int i = AGENTPROTO_STATE_UNSET + 1; s && i < _AGENTPROTO_STATE_MAX; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (enum agentproto_state)i;
    return AGENTPROTO_STATE_UNSET;
}

int agentproto_errorf(char **ret_error, int err, const char *fmt, ...)
{
    va_list ap;
    char *s;
    size_t n, i = 0;

    if (!ret_error)
        return err;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s)
        return -ENOMEM;
    n = strlen(s);
    while (i < n) {
        size_t l = base_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (l == 0)
            s[i++] = '?';
        else
            i += l;
    }
    *ret_error = s;
    return err;
}

/* True when v nests objects and arrays at most max levels deep. */
bool agentproto_json_depth_ok(const json_t *v, unsigned max)
{
    const char *key;
    json_t *e;
    size_t i;

    if (!json_is_object(v) && !json_is_array(v))
        return true;
    if (max == 0)
        return false;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if (!agentproto_json_depth_ok(e, max - 1))
                return false;
        }
        return true;
    }
    json_object_foreach((json_t *)v, key, e) {
        if (!agentproto_json_depth_ok(e, max - 1))
            return false;
    }
    return true;
}

static bool no_controls(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Lowercase letters, digits and the characters of extra only. */
static bool only_chars(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(extra, c))))
            return false;
    }
    return true;
}

static const char *check_workflow_id(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    size_t ns_len, name_len;

    if (!slash)
        return "must be \"<namespace>/<name>\"";
    ns_len = (size_t)(slash - s);
    name_len = len - ns_len - 1;
    if (ns_len == 0 || ns_len > 63 || !only_chars(s, ns_len, "-"))
        return "namespace must be 1-63 lowercase letters, digits or '-'";
    if (name_len == 0 || name_len > 253 || !only_chars(slash + 1, name_len, "-."))
        return "name must be 1-253 lowercase letters, digits, '-' or '.'";
    return NULL;
}

const char *agentproto_check_string(enum agentproto_check check, const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return "must not contain NUL bytes";
    switch (check) {
    case AGENTPROTO_C_TEXT:
        return no_controls(s, len) ? NULL : "must not contain control characters";
    case AGENTPROTO_C_MESSAGE:
        return NULL;
    case AGENTPROTO_C_WORKFLOW_ID:
        return check_workflow_id(s, len);
    case AGENTPROTO_C_CODE:
        return len > 0 && only_chars(s, len, "-") ? NULL
                                                  : "must be lowercase letters, digits and '-'";
    case AGENTPROTO_C_ENV: {
        const char *eq = memchr(s, '=', len);
        if (!eq || eq == s)
            return "must be \"KEY=VALUE\" with a non-empty KEY";
        return no_controls(s, (size_t)(eq - s)) ? NULL : "KEY must not contain control characters";
    }
    case AGENTPROTO_C_ACK_OF:
        return (len == 5 && memcmp(s, "hello", 5) == 0) || (len == 6 && memcmp(s, "status", 6) == 0)
                       ? NULL
                       : "must be \"hello\" or \"status\"";
    default:
        return "has an unknown check";
    }
}
