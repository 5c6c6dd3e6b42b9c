/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Helpers for the pkg/ipxe cmocka suites (include <cmocka.h> first). Hardware
 * objects are written with single quotes so that tables stay readable;
 * test_hw() turns them into JSON.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ipxe/ipxe-internal.h"

#define TEST_MAC  "52:54:00:12:34:56"
#define TEST_MAC2 "52:54:00:ab:cd:ef"

/* Parses single-quoted JSON; fails the test on a syntax error. */
static inline json_t *test_hw(const char *squoted)
{
    char *s = strdup(squoted);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        fail_msg("bad test JSON at %d: %s: %s", err.position, err.text, s);
    free(s);
    return j;
}

/* A Hardware with one interface for TEST_MAC; netboot is the JSON text of
 * the netboot block and extra_spec more spec members (may be ""). */
#define TEST_HW(extra_spec, dhcp_extra, netboot)                                                   \
    "{'apiVersion':'tinkerbell.org/v1alpha1','kind':'Hardware',"                                   \
    "'metadata':{'name':'hw1','namespace':'default'},"                                             \
    "'spec':{" extra_spec "'interfaces':[{'dhcp':{'mac':'" TEST_MAC "'" dhcp_extra "},"          \
    "'netboot':" netboot "}]}}"

#define TEST_HW_ALLOW(extra_spec, dhcp_extra, netboot_extra)                                       \
    TEST_HW(extra_spec, dhcp_extra, "{'allowPXE':true" netboot_extra "}")
