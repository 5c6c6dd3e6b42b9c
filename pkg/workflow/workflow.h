/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The Workflow state machine of anvil, as pure functions over jansson
 * values: the controller side (render -> PREPARING -> PENDING, RUNNING
 * timeouts, POST -> SUCCESS), the agent side used by the gateway (which
 * action to serve, how a status report changes the Workflow), the template
 * data for rendering, and the ULIDs that name tasks and actions.
 *
 * Nothing here does I/O, reads a clock or draws random bytes by itself: the
 * time comes in as milliseconds since the Unix epoch (struct workflow_env)
 * and randomness through a callback (struct workflow_ulid). Given the same
 * inputs, every function returns the same output, so the controller and the
 * gateway stay level-triggered and idempotent: they read an object, compute,
 * perform the listed effects, write the status, and may crash and repeat at
 * any point.
 *
 * Inputs are borrowed and never modified. Results are fresh values owned by
 * the caller. Functions are reentrant; a struct workflow_ulid belongs to one
 * thread at a time. Nothing logs. See docs/workflow.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

/* ---- ULIDs ------------------------------------------------------------- */

/* Characters in a ULID (Crockford base32: 10 for the 48-bit millisecond time,
 * 16 for 80 random bits). Buffers need one more byte for the NUL. */
#define WORKFLOW_ULID_LEN 26
/* Largest time a ULID can carry (2^48 - 1 ms, in the year 10889). */
#define WORKFLOW_ULID_TIME_MAX ((int64_t)0xffffffffffff)

/* Fills buf with len random bytes. Returns 0 or a negative errno, which the
 * caller passes through. */
typedef int (*workflow_random_fn)(void *userdata, void *buf, size_t len);

struct workflow_ulid;

/* Creates a ULID generator drawing randomness from random(userdata, ...).
 * Returns 0 and *ret (free with workflow_ulid_free()), -EINVAL for a NULL
 * random or ret, -ENOMEM. */
int workflow_ulid_new(struct workflow_ulid **ret, workflow_random_fn random, void *userdata);

/* Frees a generator; NULL is fine. Returns NULL. */
struct workflow_ulid *workflow_ulid_free(struct workflow_ulid *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct workflow_ulid *, workflow_ulid_free);

/* Writes the next ULID for time now_ms into ret (WORKFLOW_ULID_LEN characters
 * plus NUL). Within one millisecond, and when now_ms is earlier than the last
 * time used (a clock step back), the previous random part is incremented by
 * one instead of drawn again, so the ids of one generator are strictly
 * increasing as strings. Returns 0; -ERANGE when now_ms is outside
 * 0..WORKFLOW_ULID_TIME_MAX; -EOVERFLOW when 2^80 ids were minted in one
 * millisecond; the random source's error; -EINVAL for NULL arguments. ret is
 * written only on success. Not thread-safe. */
int workflow_ulid_next(struct workflow_ulid *g, int64_t now_ms, char ret[WORKFLOW_ULID_LEN + 1]);

/* Checks that s is a ULID (26 Crockford base32 characters, either case, the
 * first at most '7') and returns its time in *ret_ms (ret_ms may be NULL).
 * Returns 0 or -EINVAL. */
int workflow_ulid_parse(const char *s, int64_t *ret_ms);

/* ---- Time -------------------------------------------------------------- */

/* Length of the time stamps written into status: "2006-01-02T15:04:05Z". */
#define WORKFLOW_TIME_LEN 20

/* Formats ms since the epoch as RFC 3339 UTC with whole seconds (the form in
 * which Kubernetes serialises metav1.Time; milliseconds are truncated toward
 * the past). Returns 0, or -ERANGE outside the years 0000..9999. */
int workflow_time_format(int64_t ms, char ret[WORKFLOW_TIME_LEN + 1]);

/* Parses an RFC 3339 date-time ("2006-01-02T15:04:05.999Z", 'T'/'t', 'Z'/'z'
 * or a numeric "+hh:mm"/"-hh:mm" offset, up to 9 fraction digits, truncated
 * to milliseconds) into ms since the epoch. Returns 0 or -EINVAL; *ret_ms is
 * written only on success. */
int workflow_time_parse(const char *s, int64_t *ret_ms);

/* ---- States ------------------------------------------------------------ */

/* status.state. The strings are the monorepo's ("PENDING", ...); the
 * legacy "STATE_*" strings of tink <= v0.12 map to the two LEGACY values. */
enum workflow_state {
    WORKFLOW_STATE_NEW,         /* "" or absent: not rendered yet */
    WORKFLOW_STATE_PREPARING,   /* allowPXE toggle / boot job before the agent runs */
    WORKFLOW_STATE_PENDING,     /* rendered; waiting for the agent */
    WORKFLOW_STATE_RUNNING,     /* the agent reported a first action */
    WORKFLOW_STATE_POST,        /* last action succeeded; post steps */
    WORKFLOW_STATE_SUCCESS,     /* terminal */
    WORKFLOW_STATE_FAILED,      /* terminal */
    WORKFLOW_STATE_TIMEOUT,     /* terminal */
    WORKFLOW_STATE_LEGACY,      /* STATE_PENDING, STATE_PREPARING, STATE_RUNNING: re-rendered */
    WORKFLOW_STATE_LEGACY_DONE, /* STATE_POST, STATE_SUCCESS, STATE_FAILED, STATE_TIMEOUT: terminal
                                 */
    WORKFLOW_STATE_UNKNOWN,     /* anything else: left alone */
    _WORKFLOW_STATE_MAX,
};

/* Maps a status.state string (NULL = absent = "") to its enum. */
enum workflow_state workflow_state_from_string(const char *s);

/* The string written for a state; "" for NEW, NULL for the LEGACY and
 * UNKNOWN values and out-of-range input. */
const char *workflow_state_to_string(enum workflow_state s);

/* True for SUCCESS, FAILED, TIMEOUT and LEGACY_DONE: the state machine never
 * moves such a Workflow again (only a re-run request does, see
 * workflow_reconcile()). */
bool workflow_state_is_terminal(enum workflow_state s);

/* The state of a Workflow object (status.state); UNKNOWN when wf is not an
 * object. */
enum workflow_state workflow_get_state(const json_t *wf);

/* ---- Template data ----------------------------------------------------- */

/* Builds the data object a Template is rendered with, as the upstream
 * controller does:
 *   - every key of hardware_map (spec.hardwareMap; NULL or an object) at the
 *     top level, e.g. {{.device_1}};
 *   - "Hardware": the legacy contract with Go field names: Disks (strings of
 *     spec.disks[].device), Interfaces (spec.interfaces[] with Go names:
 *     DHCP.MAC, DHCP.IP.Address, Netboot.AllowPXE, Netboot.OSIE.BaseURL, ...),
 *     UserData, VendorData (strings) and Metadata (spec.metadata with Go
 *     names: Instance.ID, Facility.PlanSlug, ...). As with Go structs every
 *     known field is present: strings "", numbers 0, booleans false, lists
 *     [], and nested optional structs (Go pointers) null when absent;
 *   - "hardware": the Hardware object itself with its JSON names;
 *   - "references": {} (referenced objects are added by the caller).
 * The three fixed keys win over hardware_map keys of the same name. A NULL
 * hardware gives the contract of an empty Hardware and "hardware" =
 * {"metadata":{},"spec":{},"status":{}}. Fields of the wrong JSON type are
 * read as their zero value. Returns 0 and *ret (owned by the caller),
 * -EINVAL when hardware or hardware_map is not an object or ret is NULL,
 * -ENOMEM. */
int workflow_template_data(const json_t *hardware, const json_t *hardware_map, json_t **ret);

/* ---- Shared inputs and outputs ----------------------------------------- */

/* The injected environment: the clock and the id source. ids is needed only
 * where ids are minted (a render, a retried action); pass NULL elsewhere
 * and such steps return -EINVAL. */
struct workflow_env {
    int64_t now_ms;            /* ms since the Unix epoch, UTC */
    struct workflow_ulid *ids; /* borrowed */
};

/* Effects the caller must carry out before writing the returned status. */
enum {
    /* Set every spec.interfaces[].netboot.allowPXE of the Hardware to true
     * (workflow_hardware_set_allow_pxe()) and update it. */
    WORKFLOW_EFFECT_ALLOW_PXE_TRUE = 1u << 0,
    /* The same with false. */
    WORKFLOW_EFFECT_ALLOW_PXE_FALSE = 1u << 1,
    /* Create the bmc Job plan.boot_job, named by workflow_boot_job_name(). */
    WORKFLOW_EFFECT_BOOT_JOB = 1u << 2,
    /* Reconcile again now: the next state step is due. */
    WORKFLOW_EFFECT_REQUEUE = 1u << 3,
    /* An error: reconcile again with rate-limited backoff. */
    WORKFLOW_EFFECT_BACKOFF = 1u << 4,
};

/* bmc.tinkerbell.org Jobs a Workflow may need, named "<prefix>-<workflow>". */
enum workflow_boot_job {
    WORKFLOW_BOOT_JOB_NONE,
    WORKFLOW_BOOT_JOB_NETBOOT,              /* "netboot": PREPARING of bootMode netboot */
    WORKFLOW_BOOT_JOB_ISO_MOUNT,            /* "iso-mount": PREPARING of iso/isoboot */
    WORKFLOW_BOOT_JOB_ISO_EJECT,            /* "iso-eject": POST of iso/isoboot */
    WORKFLOW_BOOT_JOB_CUSTOMBOOT_PREPARING, /* "customboot-preparing" */
    WORKFLOW_BOOT_JOB_CUSTOMBOOT_POST,      /* "customboot-post" */
    _WORKFLOW_BOOT_JOB_MAX,
};

/* What the caller observed of the boot job the Workflow currently needs. */
enum workflow_job_state {
    WORKFLOW_JOB_ABSENT,   /* no such Job (yet) */
    WORKFLOW_JOB_RUNNING,  /* exists, not finished */
    WORKFLOW_JOB_COMPLETE, /* condition Completed */
    WORKFLOW_JOB_FAILED,   /* condition Failed */
    _WORKFLOW_JOB_STATE_MAX,
};

/* Longest Event message, NUL included (the events.k8s.io note limit). */
#define WORKFLOW_EVENT_MESSAGE_MAX 1024
/* Most Events one step returns. */
#define WORKFLOW_EVENTS_MAX 8
/* Longest message stored in status (conditions, action messages); longer
 * ones are cut at a UTF-8 character boundary. */
#define WORKFLOW_MESSAGE_MAX 4096

/* A Kubernetes Event to emit on the Workflow after the status is written. */
struct workflow_event {
    const char *type;   /* "Normal" or "Warning" (static) */
    const char *reason; /* CamelCase, static */
    char message[WORKFLOW_EVENT_MESSAGE_MAX];
};

/* The result of one step. status is the complete new status object to write
 * through the /status subresource, or NULL when nothing changed (then there is
 * nothing to write and no event to emit). Release with workflow_plan_done(). */
struct workflow_plan {
    json_t *status;
    unsigned effects;                /* WORKFLOW_EFFECT_* */
    enum workflow_boot_job boot_job; /* with WORKFLOW_EFFECT_BOOT_JOB */
    int64_t requeue_after_ms;        /* > 0: reconcile again after this long */
    size_t n_events;
    struct workflow_event events[WORKFLOW_EVENTS_MAX];
};

/* Releases what a plan owns and zeroes it; NULL is fine. */
void workflow_plan_done(struct workflow_plan *p);

/* ---- Controller -------------------------------------------------------- */

/* Inputs of workflow_reconcile() besides the Workflow. */
struct workflow_reconcile_opts {
    const json_t *hardware;   /* the spec.hardwareRef Hardware, NULL if absent or not found */
    const json_t *rendered;   /* tmpl_parse_workflow() result, when workflow_needs_render() */
    const char *render_error; /* or why rendering failed (template or Hardware not found,
                                 render or validation error) */
    bool bmc_jobs;            /* bmc.tinkerbell.org Jobs can be created */
    enum workflow_job_state boot_job; /* state of the Job workflow_boot_job_wanted() names */
};

/* Annotation that re-runs a Workflow: each new value resets it for a fresh
 * render (see workflow_reconcile()). */
#define WORKFLOW_RERUN_ANNOTATION "anvil.dev/rerun"
/* Longest re-run token honoured. */
#define WORKFLOW_RERUN_TOKEN_MAX 253
/* Condition type recording the last re-run token taken into account. */
#define WORKFLOW_CONDITION_RERUN "Rerun"

/* Per-action timeout used when an action says timeout 0 (or less): one hour,
 * as the legacy worker did. */
#define WORKFLOW_ACTION_TIMEOUT_DEFAULT_S 3600
/* Slack the controller grants an agent past an action's timeout before it
 * declares the action TIMEOUT itself (agent clocks drift; reports travel). */
#define WORKFLOW_ACTION_TIMEOUT_GRACE_MS 30000
/* Poll interval while a boot Job runs. */
#define WORKFLOW_BOOT_JOB_POLL_MS 5000

/* True when workflow_reconcile() needs a render result for wf: the state is
 * "" or a legacy non-terminal STATE_*, or a new re-run token is set (and the
 * Workflow is not disabled). False for non-objects. */
bool workflow_needs_render(const json_t *wf);

/* One controller step for the Workflow object wf (metadata, spec, status).
 *   ""/legacy: with opts->rendered, the status is replaced by the rendered
 *     tasks (fresh ULIDs, every action PENDING), agentID = first task's
 *     worker, globalTimeout, templateRendering "successful", condition
 *     TemplateRenderedSuccess True; state PREPARING when
 *     bootOptions.toggleAllowNetboot or bootMode is set (REQUEUE), else
 *     PENDING. With opts->render_error: templateRendering "failed",
 *     TemplateRenderedSuccess False with the message, state unchanged,
 *     BACKOFF. spec.disabled: only status.agentID is set.
 *   PREPARING: ALLOW_PXE_TRUE once (toggledTrue, AllowNetbootTrue), then the
 *     boot job: without opts->bmc_jobs a BootJobSetupFailed condition says a
 *     BMC is needed and the state stays PREPARING; with it, BOOT_JOB until
 *     opts->boot_job is COMPLETE (-> PENDING) or FAILED (-> FAILED). No
 *     bootMode: PENDING.
 *   RUNNING: sets globalExecutionStop once the first action has started,
 *     TIMEOUT after it; an action RUNNING past its timeout + grace becomes
 *     TIMEOUT (or is retried); status.agentID follows the current task.
 *   POST: ALLOW_PXE_FALSE once if toggled, the post boot job, then the state
 *     becomes currentState.state (SUCCESS normally).
 *   PENDING, terminal, unknown: nothing.
 * Before all of this, a value of the anvil.dev/rerun annotation different
 * from the token recorded in the Rerun condition resets the status for a
 * fresh render, in any state.
 * Returns 0 and *ret; -EINVAL for bad arguments, for wf or env->ids missing
 * where needed, or when a render is needed and opts gives neither rendered
 * nor render_error; -ENOMEM; a ULID error. *ret is written only on success. */
int workflow_reconcile(const json_t *wf,
                       const struct workflow_env *env,
                       const struct workflow_reconcile_opts *opts,
                       struct workflow_plan *ret);

/* The boot job the Workflow's current state waits for (PREPARING or POST
 * with a bootMode that has one), else NONE; the caller looks it up by
 * workflow_boot_job_name() and passes its state in opts->boot_job. */
enum workflow_boot_job workflow_boot_job_wanted(const json_t *wf);

/* The Job name prefix ("netboot", "iso-mount", ...); NULL for NONE and
 * out-of-range values. */
const char *workflow_boot_job_to_string(enum workflow_boot_job job);

/* "<prefix>-<metadata.name>" for job. Returns 0 and *ret (free()), -EINVAL
 * for NONE or a Workflow without a name, -ENAMETOOLONG past 253 characters,
 * -ENOMEM. */
int workflow_boot_job_name(const json_t *wf, enum workflow_boot_job job, char **ret);

/* The Hardware with every spec.interfaces[].netboot.allowPXE set to allow
 * (netboot objects are created where missing). Returns 1 and *ret (a new
 * object) when something changes, 0 without touching *ret when every
 * interface already has that value (or there are none), -EINVAL when
 * hardware is not an object, -ENOMEM. */
int workflow_hardware_set_allow_pxe(const json_t *hardware, bool allow, json_t **ret);

/* ---- Agent side (gateway) ---------------------------------------------- */

/* Chooses which of the Workflows listed for agent_id (normally those whose
 * status.agentID is agent_id; others are ignored) the agent works on, so
 * that an old finished Workflow never hides a new one (Tinkerbell #964):
 * RUNNING first, then PENDING, then POST, then not yet ready (PREPARING, "",
 * legacy), then disabled, then terminal; within a rank the oldest
 * metadata.creationTimestamp, then namespace/name. Returns 0 and
 * *ret_index, -ENOENT when no Workflow names agent_id, -EINVAL for NULL
 * arguments. */
int workflow_pick(const json_t *const *wfs, size_t n, const char *agent_id, size_t *ret_index);

/* Why there is, or is not, an action for the agent. */
enum workflow_next_kind {
    WORKFLOW_NEXT_ACTION,      /* serve tasks[task].actions[action] */
    WORKFLOW_NEXT_NO_WORKFLOW, /* nothing to run (no tasks) -> NotFound */
    WORKFLOW_NEXT_PREPARING,   /* not rendered or PREPARING yet -> wait */
    WORKFLOW_NEXT_OTHER_AGENT, /* the current task belongs to another agent */
    WORKFLOW_NEXT_DONE,        /* every action succeeded; POST pending */
    WORKFLOW_NEXT_TERMINAL,    /* finished (or an action failed) */
    WORKFLOW_NEXT_DISABLED,    /* spec.disabled */
    _WORKFLOW_NEXT_MAX,
};

/* "action", "no-workflow", "preparing", "other-agent", "done", "terminal",
 * "disabled"; NULL out of range. */
const char *workflow_next_kind_to_string(enum workflow_next_kind k);

struct workflow_next {
    enum workflow_next_kind kind;
    size_t task, action; /* indexes into status.tasks[] / .actions[] for ACTION */
    json_t *status;      /* new status to write (currentState), NULL if unchanged */
};

/* Releases what n owns; NULL is fine. */
void workflow_next_done(struct workflow_next *n);

/* GetAction for one Workflow: in PENDING or RUNNING, the first action (in
 * task order) that has not succeeded is served again and again while it is
 * PENDING or RUNNING (a reconnecting agent resumes), provided its task's
 * agentID is agent_id; status.currentState is set to it. Returns 0 and *ret,
 * -EINVAL for bad arguments (agent_id must be 1..WORKFLOW_REPORT_ID_MAX bytes
 * of UTF-8), -ENOMEM. */
int workflow_next_action(const json_t *wf, const char *agent_id, struct workflow_next *ret);

/* The action message for next (kind ACTION) in wf as the agent receives it:
 * {"workflowID":"<ns>/<name>","taskID","agentID","actionID","name","image",
 *  "timeout" (effective seconds, never 0),"command":[],"volumes" (task's then
 *  action's),"environment" (task env overlaid by action env as "K=V",
 *  sorted),"pid" (namespaces.pid, else the legacy pid, else ""),
 *  "namespaces":{}}. Returns 0 and *ret, -EINVAL when next does not point at
 * an action of wf, -ENOMEM. */
int workflow_action_response(const json_t *wf, const struct workflow_next *next, json_t **ret);

/* The per-action timeout in seconds that applies to a status action object:
 * its timeout, or WORKFLOW_ACTION_TIMEOUT_DEFAULT_S when that is 0 or less. */
int64_t workflow_action_timeout_s(const json_t *action);

/* Caps on report fields (bytes); longer ids, times and durations are
 * malformed, longer messages are cut to WORKFLOW_MESSAGE_MAX. */
#define WORKFLOW_REPORT_ID_MAX       256
#define WORKFLOW_REPORT_DURATION_MAX 64

/* A ReportActionStatus from an agent. Strings are borrowed; NULL or "" means
 * absent for the times, duration and message. */
struct workflow_report {
    const char *agent_id;
    const char *task_id;
    const char *action_id;
    const char *state;              /* "RUNNING", "SUCCESS", "FAILED" or "TIMEOUT" */
    const char *execution_start;    /* RFC 3339 */
    const char *execution_stop;     /* RFC 3339 */
    const char *execution_duration; /* Go duration text, e.g. "1m2.5s" */
    const char *message;
};

/* Anvil extension: per-action retries (status action fields "retries" from
 * the template and "attempts", the retries used so far). */
#define WORKFLOW_ACTION_RETRIES_MAX 100

/* ReportActionStatus for wf. The report must name the action in progress
 * (the first one that has not succeeded) of a task assigned to the agent:
 * its state, times, duration and message are recorded, currentState follows
 * it, and the Workflow becomes RUNNING, POST (last action succeeded),
 * FAILED or TIMEOUT. A FAILED/TIMEOUT report for an action with retries left
 * instead puts it back to PENDING under a fresh ULID with attempts + 1 and a
 * Warning Event (late reports of the failed attempt then name an unknown
 * action). status.agentID moves on when a task completes.
 * Returns 1 and *ret (status set) when the status changes; 0 and *ret
 * (status NULL) when the report changes nothing (a repeated report);
 *   -EBADMSG  malformed: missing ids, unknown state, bad time, over-long
 *             field, invalid UTF-8 (InvalidArgument);
 *   -ENOENT   no task with that id for this agent, or no such action in it
 *             (NotFound);
 *   -ESTALE   the Workflow is terminal or not running, or the action is
 *             already finished: the report is late and is ignored
 *             (Tinkerbell #945);
 *   -EPROTO   the action is not the one in progress (an earlier action has
 *             not succeeded);
 *   -EINVAL   bad arguments (or env->ids NULL when a retry needs an id);
 *   -ENOMEM, or a ULID error.
 * *ret is written only on 0 and 1. */
int workflow_apply_report(const json_t *wf,
                          const struct workflow_env *env,
                          const struct workflow_report *report,
                          struct workflow_plan *ret);
