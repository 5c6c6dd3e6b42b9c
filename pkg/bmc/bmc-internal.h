/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of pkg/bmc shared by its files, its tests and its fuzzer. */

#include <stdarg.h>
#include <stdio.h>

#include "bmc/bmc.h"

/* Borrowed typed lookups; NULL (or false) when absent or of another type. */
static inline json_t *bmc_obj(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}

static inline const char *bmc_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static inline bool bmc_true(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* Writes a printf message into errbuf (n may be 0). Returns r. */
int bmc_fail(char *errbuf, size_t n, int r, const char *fmt, ...) _printf_(4, 5);

/* Sets (or replaces) the condition of type in the array conds:
 * {type, status, message?, lastUpdateTime?}. time_key NULL omits the time.
 * Returns 0 or -ENOMEM. */
int bmc_condition_set(json_t *conds,
                      const char *type,
                      const char *status,
                      const char *message,
                      const char *time_key,
                      const char *time);

/* The condition of type in conds, or NULL. */
json_t *bmc_condition_get(const json_t *conds, const char *type);

/* A JSON string of s with invalid UTF-8 dropped, control characters
 * turned into spaces, cut to at most max bytes on a character boundary;
 * NULL for a NULL s or on ENOMEM. */
json_t *bmc_string_clean(const char *s, size_t max);

/* RFC 3339 "2006-01-02T15:04:05Z" for now_ms into buf (21 bytes). */
int bmc_time(int64_t now_ms, char buf[21]);

/* A copy of the object's status (or a new empty object). NULL on ENOMEM. */
json_t *bmc_status_copy(const json_t *obj);
