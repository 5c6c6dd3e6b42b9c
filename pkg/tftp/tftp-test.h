/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Assertions for the table-driven tests of pkg/tftp that name the failing
 * table case, since cmocka's own assertions only give a line number.
 * Include after <cmocka.h>.
 */

#define check_case(cond, name)                                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_msg("case \"%s\": %s", (name), #cond);                                            \
    } while (0)

#define check_case_int(got, want, name)                                                            \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        if (got_ != want_)                                                                         \
            fail_msg("case \"%s\": %s is %lld, want %lld", (name), #got, got_, want_);             \
    } while (0)
