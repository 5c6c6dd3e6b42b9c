/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/ipxe, its tests and its fuzzer: what the script writers need
 * from a Hardware object, extracted once.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf/buf.h"
#include "ipxe/ipxe.h"

/*
 * The fields of one Hardware interface (the one whose dhcp.mac is the booted
 * MAC) and of the object around it. Strings are borrowed from the json_t and
 * are NULL when absent, empty or of the wrong JSON type. kernel_params is
 * the osie.kernelParams array or NULL.
 */
struct ipxe_machine {
    char mac[IPXE_MAC_STRLEN]; /* normalised booted MAC */
    const char *agent_id;      /* spec.agentID */
    const char *facility;      /* spec.metadata.facility.facility_code */
    const char *arch;          /* dhcp.arch */
    const char *vlan_id;       /* dhcp.vlan_id */
    bool allow_pxe;            /* netboot.allowPXE == true */
    const char *ipxe_url;      /* netboot.ipxe.url */
    const char *ipxe_contents; /* netboot.ipxe.contents */
    size_t ipxe_contents_len;
    const char *osie_base_url; /* netboot.osie.baseURL */
    const char *osie_kernel;   /* netboot.osie.kernel */
    const char *osie_initrd;   /* netboot.osie.initrd */
    const json_t *kernel_params; /* netboot.osie.kernelParams */
};

/*
 * Fills *ret from the Hardware object for the interface with this MAC.
 * Returns 0, -EINVAL (bad MAC, a string with an embedded NUL), -ENOENT (no
 * such interface) or -ENODATA (no netboot block); *reterr_field as in
 * ipxe_script_hardware(). Does not check allowPXE nor the safety rule.
 */
int ipxe_machine_from_hardware(const json_t *hardware,
                               const char *mac,
                               struct ipxe_machine *ret,
                               const char **reterr_field);

/* Checks the configuration: required fields, ranges and the safety rule.
 * Returns 0 or -EINVAL with *reterr_field set (may be NULL). */
int ipxe_config_check(const struct ipxe_config *cfg, const char **reterr_field);

/* The scheme test of a chain URL: "http://" or "https://" (any case)
 * followed by at least one byte. */
bool ipxe_url_is_http(const char *url);

/* The three script shapes, appended to b. Same errors as the public calls. */
int ipxe_write_custom(struct buf *b, const struct ipxe_machine *m, const char **reterr_field);
int ipxe_write_hook(struct buf *b,
                    const struct ipxe_machine *m,
                    const struct ipxe_config *cfg,
                    const char **reterr_field);
int ipxe_write_static(struct buf *b, const struct ipxe_config *cfg, const char **reterr_field);

#define IPXE_TOKEN_KEY "anvil_token"

/* True for "anvil_token" or "anvil_token=...": only the server sets it. */
bool ipxe_is_token_arg(const char *arg);
