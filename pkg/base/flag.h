/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Command-line values for the cmd/ mains. Each parser returns 0 and writes
 * *ret, or prints "<program>: invalid value for FLAG: V (WANT)" to stderr
 * and returns -EINVAL, leaving *ret alone.
 */

#include <stdbool.h>

/* Prints the error line and returns -EINVAL (for checks of a main's own). */
int base_flag_invalid(const char *flag, const char *v, const char *want);

/* NULL (a bare --flag), "true" or "1" is true; "false" or "0" is false. */
int base_flag_bool(const char *flag, const char *v, bool *ret);

/* A decimal integer in [min, max]. want names the range in the error line;
 * NULL says "an integer from MIN to MAX" (or "... MIN or more"). */
int base_flag_int(const char *flag,
                  const char *v,
                  long long min,
                  long long max,
                  const char *want,
                  long long *ret);
