/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The logic of anvil's BMC reconciler for bmc.tinkerbell.org/v1alpha1
 * Machine, Job and Task (Rufio's resources), as pure functions over jansson
 * values: reading a Machine's connection and its Secret, parsing a Task's
 * action and mapping it onto Redfish words, the Job and Task state machines
 * and their status objects, the Machine status, the inventory that goes
 * into Hardware.status.attributes.outOfBand, the Hardware that onboarding
 * creates for a Machine, and the Jobs a Workflow's bootMode needs.
 *
 * Nothing here does I/O or reads a clock: times come in as milliseconds
 * since the Unix epoch. Inputs are borrowed and never modified; results
 * are fresh values owned by the caller. Reentrant; nothing logs.
 * See docs/bmc.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

#define BMC_API_VERSION "bmc.tinkerbell.org/v1alpha1"
/* Label on every Task naming the Job that owns it (Rufio's). */
#define BMC_LABEL_OWNER_NAME "owner-name"
/* Machine annotation forcing an inventory refresh (value "true"). */
#define BMC_ANNOTATION_REFRESH_INVENTORY "tinkerbell.org/refresh-inventory"
/* Hardware annotation opting out of inventory collection ("true"). */
#define BMC_ANNOTATION_DISABLE_INVENTORY "tinkerbell.org/disable-outofband-inventory"
/* Label on Hardware created by onboarding, value the Machine's name. */
#define BMC_LABEL_ONBOARDED "bmc.tinkerbell.org/onboarded-from"

/* A Task gives up after this long (Rufio's 10 minutes). */
#define BMC_TASK_TIMEOUT_MS (10 * 60 * 1000)
/* Power changes are verified by reading the state this often. */
#define BMC_POWER_POLL_MS 3000
/* Longest message written into a condition, NUL included. */
#define BMC_MESSAGE_MAX 1024

/* ---------------------------------------------------------- connection */

/* spec.connection of a Machine or Task, ready for pkg/redfish. */
struct bmc_connection {
    char *endpoint;         /* "https://host:port" (or http:// when host says so) */
    bool insecure_tls;      /* insecureTLS */
    bool basic_auth;        /* providerOptions.redfish.useBasicAuth */
    char *system_name;      /* providerOptions.redfish.systemName, NULL: the first */
    char *secret_name;      /* authSecretRef.name, NULL when unset */
    char *secret_namespace; /* authSecretRef.namespace, else the object's */
};

/* Reads connection (a spec.connection object). The Redfish port is
 * providerOptions.redfish.port when set, else connection.port unless it is
 * IPMI's 623 (the CRD default), else 443. host may carry an http:// or
 * https:// prefix. ns is the namespace of the object, used when
 * authSecretRef has none. Returns 0 and *ret (release with
 * bmc_connection_done()); -EINVAL with a message in errbuf (n bytes) for a
 * missing or malformed host or an out-of-range port; -ENOMEM. */
int bmc_connection_parse(const json_t *connection,
                         const char *ns,
                         struct bmc_connection *ret,
                         char *errbuf,
                         size_t n);

/* Frees what c owns and zeroes it. NULL is fine. */
void bmc_connection_done(struct bmc_connection *c);

/* Reads username and password from a core/v1 Secret: data (base64) first,
 * then stringData. Returns 0 with both strings (the caller frees them and
 * should wipe the password); -EINVAL with a message in errbuf when a key is
 * missing, not a string or not valid base64; -ENOMEM. */
int bmc_secret_credentials(
        const json_t *secret, char **ret_user, char **ret_password, char *errbuf, size_t n);

/* The optional "ca.crt" of the same Secret (data, base64, else stringData):
 * a PEM bundle that pins the BMC's certificate authority, an anvil
 * extension for BMCs with a private CA (insecureTLS is the alternative).
 * Returns 0 and *ret_pem (NULL when the key is absent; the caller frees);
 * -EINVAL with a message for bad base64 or more than 64 KiB; -ENOMEM. */
int bmc_secret_ca(const json_t *secret, char **ret_pem, char *errbuf, size_t n);

/* -------------------------------------------------------------- actions */

enum bmc_action_kind {
    BMC_ACTION_POWER,
    BMC_ACTION_BOOT_DEVICE,
    BMC_ACTION_VIRTUAL_MEDIA,
    _BMC_ACTION_KIND_MAX,
};

enum bmc_power_action {
    BMC_POWER_ON,
    BMC_POWER_OFF,  /* hard */
    BMC_POWER_SOFT, /* graceful shutdown */
    BMC_POWER_STATUS,
    BMC_POWER_CYCLE,
    BMC_POWER_RESET,
    _BMC_POWER_ACTION_MAX,
};

enum bmc_boot_device {
    BMC_BOOT_PXE,
    BMC_BOOT_DISK,
    BMC_BOOT_BIOS,
    BMC_BOOT_CDROM,
    BMC_BOOT_SAFE,
    _BMC_BOOT_DEVICE_MAX,
};

/* One Task action. Strings are borrowed from the parsed object. */
struct bmc_action {
    enum bmc_action_kind kind;
    enum bmc_power_action power;
    enum bmc_boot_device device;
    bool persistent;
    bool efi_boot;
    const char *media_url; /* "" ejects */
    const char *media_kind;
};

/* Parses an Action object (one of powerAction, bootDevice, the deprecated
 * oneTimeBootDeviceAction whose first device is used, virtualMediaAction).
 * Returns 0 and *ret; -EINVAL with a message in errbuf when there is not
 * exactly one known property, or a value is unknown or of the wrong type. */
int bmc_action_parse(const json_t *action, struct bmc_action *ret, char *errbuf, size_t n);

/* The Redfish ResetType for a power action ("On", "ForceOff",
 * "GracefulShutdown", "PowerCycle", "ForceRestart"), NULL for status and
 * out-of-range values. *ret_fallback (may be NULL) gets the type to try
 * when the BMC refuses the first (ForceRestart for cycle), else NULL. */
const char *bmc_power_reset_type(enum bmc_power_action a, const char **ret_fallback);

/* The power state ("on" or "off") a power action is verified against by
 * polling, or NULL when it is not polled (status). */
const char *bmc_power_expected(enum bmc_power_action a);

/* The BootSourceOverrideTarget of a device: "Pxe", "Hdd", "BiosSetup",
 * "Cd"; NULL for safe (no Redfish equivalent) and out-of-range values. */
const char *bmc_boot_device_target(enum bmc_boot_device d);

/* A human description of the action for messages ("power off", "boot
 * device pxe (once, EFI)", "insert virtual media http://..."), into buf. */
char *bmc_action_describe(const struct bmc_action *a, char *buf, size_t n);

/* ---------------------------------------------------------------- tasks */

enum bmc_task_phase {
    BMC_TASK_FINISHED, /* Completed or Failed: nothing to do */
    BMC_TASK_START,    /* no startTime: run the action */
    BMC_TASK_VERIFY,   /* started: poll until verified or timed out */
    _BMC_TASK_PHASE_MAX,
};

enum bmc_task_phase bmc_task_phase(const json_t *task);

enum bmc_result {
    BMC_RESULT_STARTED,   /* startTime = now */
    BMC_RESULT_COMPLETED, /* Completed True, completionTime */
    BMC_RESULT_FAILED,    /* Failed True with the message, completionTime */
    _BMC_RESULT_MAX,
};

/* The Task status after result, built on the current one (conditions of
 * other types kept, startTime kept once set). message may be NULL. Returns
 * 0 and *ret; -EINVAL; -ENOMEM. */
int bmc_task_status(const json_t *task,
                    enum bmc_result result,
                    const char *message,
                    int64_t now_ms,
                    json_t **ret);

/* True when the Task started more than BMC_TASK_TIMEOUT_MS before now (or
 * its startTime does not parse). */
bool bmc_task_expired(const json_t *task, int64_t now_ms);

/* "<job>-task-<index>". Returns 0 and *ret (free()), -ENAMETOOLONG past 253
 * characters, -EINVAL, -ENOMEM. */
int bmc_task_name(const char *job, size_t index, char **ret);

/* ----------------------------------------------------------------- jobs */

/* One step of a Job. Release with bmc_job_plan_done(). */
struct bmc_job_plan {
    json_t *status; /* the new Job status to write, NULL if unchanged */
    json_t *task;   /* a Task to create, NULL if none */
    bool wait;      /* the Machine is missing: try again later */
    bool finished;  /* Completed or Failed */
};

void bmc_job_plan_done(struct bmc_job_plan *p);

/* The next step for job given its Machine (NULL when not found) and the
 * Tasks labelled owner-name=<job> (others and Tasks owned by another Job
 * uid are ignored): Running + startTime first; then Task n is created with
 * the Machine's connection once Task n - 1 completed; a failed Task fails
 * the Job with its message; after the last Task the Job is Completed with a
 * completionTime. A Job whose spec.tasks is empty or holds an invalid
 * action fails at once. Returns 0 and *ret; -EINVAL; -ENOMEM. */
int bmc_job_step(const json_t *job,
                 const json_t *machine,
                 const json_t *const *tasks,
                 size_t n_tasks,
                 int64_t now_ms,
                 struct bmc_job_plan *ret);

/* The state of a Job as a Workflow sees it: 1 Completed, -1 Failed, 0
 * running or not started. */
int bmc_job_outcome(const json_t *job);

/* -------------------------------------------------------------- machine */

/* The Machine status for one poll: powerState ("on", "off" or "unknown")
 * and the Contactable condition (True, or False with message) with
 * lastUpdateTime now. Returns 1 and *ret when it differs from the current
 * status in anything but lastUpdateTime, 0 and *ret when only the time
 * moves; -EINVAL; -ENOMEM. */
int bmc_machine_status(const json_t *machine,
                       const char *power_state,
                       bool contactable,
                       const char *message,
                       int64_t now_ms,
                       json_t **ret);

/* ------------------------------------------------------------ inventory */

/* Maps a redfish_inventory() result onto the outOfBand shape (lastUpdated,
 * collectionMethod "redfish", product, bios, cpu, memory, networkInterfaces,
 * blockDevices, storageControllers, chassis, bmc). Only strings and
 * non-negative integers of the expected types are taken; strings are cut
 * to 256 bytes; MACs are normalised to lowercase colon form and dropped
 * when malformed. Returns 0 and *ret; -EINVAL when raw is not an object
 * with a "system" object; -ENOMEM. */
int bmc_inventory_out_of_band(const json_t *raw, int64_t now_ms, json_t **ret);

/* The host MACs of a raw inventory (EthernetInterfaces MACAddress, else
 * PermanentMACAddress), normalised and de-duplicated, in BMC order.
 * Returns 0 and a new array of strings; -EINVAL; -ENOMEM. */
int bmc_inventory_macs(const json_t *raw, json_t **ret);

/* Normalises a MAC ("AA-BB-CC-00-11-22", "aa:bb:...") into ret (18 bytes).
 * Returns 0 or -EINVAL. */
int bmc_mac_normalize(const char *s, char ret[18]);

/* True when the Hardware should get fresh inventory: it is not opted out,
 * and it has none, or it is older than interval_ms, or the Machine carries
 * the refresh annotation. */
bool bmc_inventory_due(const json_t *hardware,
                       const json_t *machine,
                       int64_t interval_ms,
                       int64_t now_ms);

/* The Hardware that onboarding creates for machine from its inventory:
 * named like the Machine, in its namespace, labelled BMC_LABEL_ONBOARDED,
 * spec.bmcRef pointing at it, one interface per host MAC with dhcp.mac,
 * dhcp.arch (from the processors) and dhcp.uefi (boot mode UEFI), netboot
 * allowPXE and allowWorkflow true. Returns 0 and *ret; -ENODATA when the
 * inventory has no MAC; -EINVAL; -ENOMEM. */
int bmc_onboard_hardware(const json_t *machine, const json_t *raw, json_t **ret);

/* ------------------------------------------------------ workflow boot jobs */

/* The Job a Workflow's bootOptions.bootMode needs, as upstream creates it:
 * job is "netboot", "iso-mount", "iso-eject", "customboot-preparing" or
 * "customboot-post"; name is the Job's name. machineRef is the Hardware's
 * spec.bmcRef in the Workflow's namespace; a controller ownerReference
 * points at the Workflow. netboot: power off, one-time pxe with efiBoot
 * when any interface has dhcp.uefi, power on. iso-mount: power off, eject,
 * insert bootOptions.isoURL, one-time cdrom, power on. iso-eject: eject.
 * customboot: the custombootConfig actions as given. Returns 0 and *ret;
 * -EINVAL with a message in errbuf (no bmcRef, no isoURL, no actions,
 * unknown job); -ENOMEM. */
int bmc_boot_job_build(const json_t *workflow,
                       const json_t *hardware,
                       const char *job,
                       const char *name,
                       json_t **ret,
                       char *errbuf,
                       size_t n);
