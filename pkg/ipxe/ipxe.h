/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * iPXE scripts for anvil-boot (Tinkerbell compat §5.4): the per-Hardware
 * script served at /ipxe/script/<mac>/auto.ipxe and the static script that
 * auto-proxy mode gives to machines with no Hardware.
 *
 * Pure functions: a Hardware object (json_t, as the API server returns it),
 * the MAC that booted and a configuration go in; a malloc'd script comes out.
 * Nothing here looks anything up, opens a socket or logs.
 *
 * Safety rule. iPXE has no quoting: a command line is split on whitespace,
 * a token starting with '#' ends the line, the tokens "||", "&&" and ";"
 * chain commands, and "${...}" in a token is replaced by a setting. The Linux
 * command line parser also treats '"' as a quote. So every value that comes
 * from a Hardware object or from the configuration and lands on a script line
 * must be a "safe token": 1..IPXE_VALUE_MAX bytes of printable ASCII
 * (0x21..0x7e) without '"', '\\', '\'' or the sequence "${". A token that
 * stands alone on the kernel line (an extra argument, an osie.kernelParams
 * entry, a chain URL) must also not start with '#' nor be "||", "&&" or ";".
 * A value that breaks the rule is refused (-EINVAL and the field's name in
 * *reterr_field), never rewritten: a machine boots with exactly what its
 * Hardware says or not at all. The one exception is netboot.ipxe.contents,
 * which is an operator-written script served verbatim (only NUL bytes are
 * refused).
 *
 * Errors (the HTTP layer's answer in brackets):
 *   -ENOENT   no interface of the Hardware has this MAC [404; static script in auto-proxy]
 *   -ENODATA  the interface has no netboot block        [404; static script in auto-proxy]
 *   -EPERM    netboot.allowPXE is not true              [404 in every mode]
 *   -EINVAL   a value breaks the safety rule, a bad MAC, a chain URL that is
 *             not http(s), or a configuration field out of range [500]
 *   -E2BIG    the kernel command line or the script is too long  [500]
 *   -ENOMEM
 *
 * Thread-safe: no global state; the inputs are only read.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Longest value accepted on a script line. */
#define IPXE_VALUE_MAX 1024
/* Longest kernel command line emitted (x86 COMMAND_LINE_SIZE is 2048; the
 * margin covers the expansion of ${initrd}). */
#define IPXE_CMDLINE_MAX 1984
/* Largest script produced (netboot.ipxe.contents included). */
#define IPXE_SCRIPT_MAX (1024 * 1024)
/* "aa:bb:cc:dd:ee:ff" plus NUL. */
#define IPXE_MAC_STRLEN 18

/* Smee's defaults for --ipxe-http-script-retries and -retry-delay. */
#define IPXE_RETRIES_DEFAULT     1
#define IPXE_RETRY_DELAY_DEFAULT 1
#define IPXE_RETRIES_MAX         100
#define IPXE_RETRY_DELAY_MAX     3600

/*
 * What the daemon's flags say; borrowed for the duration of each call. A
 * NULL string counts as empty. Every non-empty value must be a safe token.
 */
struct ipxe_config {
    const char *bootenv_url;    /* required: where kernel and initrd are fetched from */
    const char *kernel_name;    /* NULL/"" = "vmlinuz"; the script adds "-<arch>" */
    const char *initrd_name;    /* NULL/"" = "initramfs"; the script adds "-<arch>" */
    const char *grpc_authority; /* gateway host:port, for grpc_authority= */
    bool tinkerbell_tls;
    bool tinkerbell_insecure_tls;
    const char *syslog_host; /* IPv4 literal or DNS name; NULL/"" = none */
    const char *facility;    /* facility= when the Hardware has no facility_code */
    const char *const *extra_kernel_args; /* n_extra_kernel_args entries; "" entries skipped */
    size_t n_extra_kernel_args;
    unsigned retries;     /* extra attempts per step (0 = try once); <= IPXE_RETRIES_MAX */
    unsigned retry_delay; /* seconds between attempts; <= IPXE_RETRY_DELAY_MAX */
    const char *token;    /* per-boot token appended as anvil_token=<t>; NULL/"" = none */
};

/*
 * Normalises a MAC written as six hex octets separated by ':' or '-' (either
 * case) to lower-case colon form. Returns 0 and fills ret, or -EINVAL (ret
 * untouched).
 */
int ipxe_mac_normalize(const char *mac, char ret[IPXE_MAC_STRLEN]);

/*
 * The script for the machine whose NIC mac booted, given its Hardware
 * object. Chooses, as Smee does: netboot.ipxe.url (http/https only) ->
 * "chain --autofree <url>"; else netboot.ipxe.contents -> that script after a
 * header; else the boot-environment script with Smee's kernel arguments in
 * Smee's order, then cfg->token as anvil_token= last of all.
 *
 * On success returns 0 and *ret_script (NUL-terminated; free() it). On
 * failure returns one of the errors listed at the top of this header, leaves
 * *ret_script untouched and, if reterr_field is not NULL, points it at a
 * static string naming the field at fault ("spec.agentID", "config.token",
 * ...) or at NULL when no single field is to blame.
 */
int ipxe_script_hardware(const json_t *hardware,
                         const char *mac,
                         const struct ipxe_config *cfg,
                         char **ret_script,
                         const char **reterr_field);

/*
 * The static script for a machine with no Hardware (auto-proxy): worker_id
 * and hw_addr come from iPXE's own ${mac} and the architecture from
 * ${buildarch}; no facility, vlan_id or tinkerbell_insecure_tls. Returns 0
 * and *ret_script (free() it), -EINVAL (with *reterr_field as above), -E2BIG
 * or -ENOMEM.
 */
int ipxe_script_static(const struct ipxe_config *cfg, char **ret_script, const char **reterr_field);

/*
 * True when value may appear on a script line (the safety rule above);
 * standalone adds the rules for a token that is a whole argument.
 */
bool ipxe_value_is_safe(const char *value, bool standalone);
