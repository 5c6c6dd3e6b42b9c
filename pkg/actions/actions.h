/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The worker's action executors (docs/actions.md): run one action received
 * from the gateway (struct agentproto_action) to completion and say how it
 * ended, in the shape of an agent status report.
 *
 * Dispatch is by image:
 *   anvil/exec                fork/exec `command` with the action's environment
 *   anvil/image2disk          stream a (gz/xz/zstd/bzip2) image to a disk or file
 *   anvil/writefile           write one file into a filesystem
 *   anvil/cexec               run commands on (or chrooted into) a filesystem
 *   anvil/reboot, poweroff    report, then reboot / power off (actions_finish)
 *   anvil/kexec               stage a kernel, then kexec into it (actions_finish)
 * The upstream Tinkerbell action images (quay.io/tinkerbell/actions/<name>,
 * quay.io/tinkerbell-actions/<name>, ghcr.io/tinkerbell/actions/<name>,
 * tinkerbell/actions/<name>, any tag or digest) map to the same built-ins
 * and honour those images' environment variables. Any other image runs
 * through docker (or ctr) when one is found.
 *
 * A run blocks its thread; the callbacks run on that thread. Different
 * threads may run actions at the same time (nothing global is kept), but a
 * machine normally runs one. Built-ins that mount filesystems need
 * CAP_SYS_ADMIN; everything else runs unprivileged.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentproto/agentproto.h"

struct actions_opts {
    const char *work_dir; /* scratch dir for mount points and staged kexec files (NULL: /tmp) */
    const char *docker;   /* docker or ctr binary for the OCI delegate (NULL: search PATH) */
    bool allow_reboot;    /* false: reboot/poweroff/kexec are reported, after stays NOTHING */
    size_t output_tail;   /* bytes of stdout and of stderr kept for the message (0: 4096) */
    /* Extensions. */
    const char *search_path;       /* PATH for commands, docker and ctr (NULL: the process's) */
    unsigned progress_interval_ms; /* least time between progress calls (0: 1000) */
    unsigned kill_grace_ms;        /* SIGTERM -> SIGKILL delay on timeout/cancel (0: 5000) */
    int64_t default_timeout;       /* seconds used for an action timeout of 0 (0: 3600) */
};

/* A progress line for a RUNNING status (valid UTF-8, short). Called from the
 * thread running the action; message is borrowed for the call. */
typedef void (*actions_progress_fn)(const char *message, void *userdata);

/* What the caller must do once the final status has been reported. */
enum actions_after {
    ACTIONS_AFTER_NOTHING,
    ACTIONS_AFTER_REBOOT,
    ACTIONS_AFTER_POWEROFF,
    ACTIONS_AFTER_KEXEC,
    _ACTIONS_AFTER_MAX,
};

struct actions_result {
    enum agentproto_state state; /* SUCCESS, FAILED or TIMEOUT */
    char *message;               /* malloc'd, valid UTF-8, at most AGENTPROTO_MESSAGE_MAX bytes */
    enum actions_after after;    /* what to do after the final status is reported */
    char *kexec_kernel, *kexec_initrd, *kexec_cmdline; /* staged copies, set for kexec */
};

/* Runs action a to completion (blocking). o may be NULL (all defaults).
 * cancel_fd: a descriptor that becomes readable when the run must stop (the
 * process group is killed and the result is FAILED "cancelled"); -1 for
 * none. progress may be NULL.
 *
 * Returns 0 and fills *ret (release with actions_result_done()) for every
 * outcome of the action itself, including bad input (empty command, missing
 * variables, unknown compression): those are FAILED results whose message
 * says what was wrong. Returns -EINVAL for NULL a or ret, -ENOMEM when not
 * even the result could be allocated; *ret is untouched then. a and o are
 * borrowed for the call. Thread-safe for distinct results. */
int actions_run(const struct agentproto_action *a,
                const struct actions_opts *o,
                int cancel_fd,
                actions_progress_fn progress,
                void *userdata,
                struct actions_result *ret);

/* Frees what r owns and zeroes it. NULL-safe; safe to call twice. */
void actions_result_done(struct actions_result *r);

/* Performs r->after: syncs filesystems, then reboot(2) (REBOOT, POWEROFF) or
 * kexec_file_load(2) of the staged kernel followed by reboot(KEXEC), with
 * the kexec tool from PATH as a fallback where the syscall is missing.
 * Returns 0 at once for ACTIONS_AFTER_NOTHING; otherwise returns only on
 * failure, with -errno (-EINVAL for a KEXEC result without a kernel). */
int actions_finish(const struct actions_result *r);

/* "SUCCESS"-style names are agentproto_state_to_string(); this one names
 * r->after values ("nothing", "reboot", "poweroff", "kexec"), NULL when out
 * of range. */
const char *actions_after_to_string(enum actions_after a);
