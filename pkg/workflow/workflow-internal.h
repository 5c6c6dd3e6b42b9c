/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Shared helpers of pkg/workflow: typed reads of jansson objects, checked
 * writes, conditions, events, and the task/action cursor. Included only by
 * the module, its tests and its fuzzer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"
#include "workflow/workflow.h"

/* Action (and condition) state strings of the monorepo. */
#define WF_PENDING "PENDING"
#define WF_RUNNING "RUNNING"
#define WF_SUCCESS "SUCCESS"
#define WF_FAILED  "FAILED"
#define WF_TIMEOUT "TIMEOUT"

/* Condition types and their fixed messages (upstream wording). */
#define WF_COND_RENDERED         "TemplateRenderedSuccess"
#define WF_COND_NETBOOT_TRUE     "AllowNetbootTrue"
#define WF_COND_NETBOOT_FALSE    "AllowNetbootFalse"
#define WF_COND_JOB_SETUP_FAILED "BootJobSetupFailed"
#define WF_COND_JOB_RUNNING      "BootJobRunning"
#define WF_COND_JOB_COMPLETE     "BootJobComplete"
#define WF_COND_JOB_FAILED       "BootJobFailed"

/* ---- reads (NULL-safe; a wrong type reads as absent) ---- */
const char *wf_str(const json_t *obj, const char *key);
const char *wf_str_or_empty(const json_t *obj, const char *key);
int64_t wf_int(const json_t *obj, const char *key);
bool wf_true(const json_t *obj, const char *key);
json_t *wf_obj(const json_t *obj, const char *key);
json_t *wf_arr(const json_t *obj, const char *key);
bool wf_streq(const char *a, const char *b); /* NULL equals "" */

/* ---- checked writes: 0 or -ENOMEM (strings must be valid UTF-8) ---- */
int wf_set(json_t *obj, const char *key, json_t *value); /* steals value, NULL = -ENOMEM */
/* Sets every member of fields (an object, stolen; NULL = -ENOMEM) on obj. */
int wf_update(json_t *obj, json_t *fields);
int wf_set_str(json_t *obj, const char *key, const char *value);
int wf_set_int(json_t *obj, const char *key, int64_t value);
int wf_set_bool(json_t *obj, const char *key, bool value);
/* The object member key of obj, created (or replacing a non-object) when
 * needed; NULL on ENOMEM. */
json_t *wf_obj_ensure(json_t *obj, const char *key);

/* Length of the longest prefix of s[0..len) no longer than max bytes that
 * does not end inside a UTF-8 sequence. */
size_t wf_utf8_cut(const char *s, size_t len, size_t max);
/* True when s[0..len) is well-formed UTF-8. */
bool wf_utf8_valid(const char *s, size_t len);
/* Replaces every byte that does not start a well-formed sequence with '?'. */
void wf_utf8_scrub(char *s, size_t len);
/* A json string of s cut to WORKFLOW_MESSAGE_MAX bytes, ill-formed UTF-8
 * replaced; NULL on ENOMEM. */
json_t *wf_message_string(const char *s);

/* ---- conditions ---- */
/* Sets condition type in status.conditions[] to (cstatus, reason, message)
 * with time = now when any of them differs (or it is new); an unchanged
 * condition keeps its time. Returns 1 changed, 0 unchanged, -ENOMEM. */
int wf_condition_set(json_t *status,
                     const char *type,
                     const char *cstatus,
                     const char *reason,
                     const char *message,
                     int64_t now_ms);
/* The condition object of that type, or NULL. */
json_t *wf_condition_get(const json_t *status, const char *type);

/* ---- plans and events ---- */
/* Appends an Event (silently dropped past WORKFLOW_EVENTS_MAX). */
void wf_event(struct workflow_plan *p, const char *type, const char *reason, const char *fmt, ...)
        _printf_(4, 5);

/* ---- status walking ---- */
/* The first action, in task order, whose state is not SUCCESS. Returns 1 with
 * *ret_task and *ret_action, 0 when every action succeeded (or there are no
 * actions), -ENOENT when status has no tasks. */
int wf_cursor(const json_t *status, size_t *ret_task, size_t *ret_action);
json_t *wf_task_at(const json_t *status, size_t t);
json_t *wf_action_at(const json_t *status, size_t t, size_t a);
/* Sets status.currentState to the action (t, a) with its present state. */
int wf_current_state_set(json_t *status, const char *agent_id, size_t t, size_t a);
/* Makes status.agentID the agentID of task t; 1 changed, 0 same, -ENOMEM. */
int wf_agent_follow(json_t *status, size_t t);

/* Ends the action (t, a) of status with the failure state (WF_FAILED or
 * WF_TIMEOUT) and message: with retries left it goes back to PENDING under a
 * new id (attempts + 1) and the Workflow stays RUNNING, else the Workflow
 * takes the state. Events are added to plan. Returns 0, -EINVAL without
 * env->ids for a retry, -ENOMEM, or a ULID error. */
int wf_action_fail(json_t *status,
                   size_t t,
                   size_t a,
                   const char *state,
                   const char *message,
                   const struct workflow_env *env,
                   struct workflow_plan *plan);

/* ---- render ---- */
/* A fresh status from a rendered template document (tmpl_parse_workflow()
 * shape): tasks with new ULIDs, every action PENDING, agentID of the first
 * task, globalTimeout. Returns 0 and *ret; -EBADMSG with a description in
 * err when doc does not have the expected shape; -EINVAL without ids;
 * -ENOMEM or a ULID error. */
int wf_status_from_rendered(
        const json_t *doc, const struct workflow_env *env, json_t **ret, char *err, size_t errlen);

/* ---- re-run ---- */
/* The annotation's token when it is set, non-empty and not too long; else
 * NULL. *ret_invalid tells an over-long token apart. */
const char *wf_rerun_token(const json_t *wf, bool *ret_invalid);
/* True when the token differs from the one the Rerun condition recorded. */
bool wf_rerun_requested(const json_t *wf);
