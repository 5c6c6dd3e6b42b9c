/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3339 time stamps <-> milliseconds since the epoch, computed without the
 * C library's time zone machinery (no TZ, no locale, no static buffers).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workflow/workflow.h"

#define MS_PER_DAY INT64_C(86400000)

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic over
 * 400-year cycles of 146097 days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned mp = m > 2 ? m - 3 : m + 9;
    unsigned doy = (153 * mp + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int workflow_time_format(int64_t ms, char ret[WORKFLOW_TIME_LEN + 1])
{
    int64_t days, rem, y;
    unsigned mo, d;

    assert_return(ret, -EINVAL);
    days = ms / MS_PER_DAY;
    rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999)
        return -ERANGE;

    int64_t s = rem / 1000;
    char buf[WORKFLOW_TIME_LEN + 8];
    int n = snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, mo, d,
                     (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (n != WORKFLOW_TIME_LEN)
        return -ERANGE;
    memcpy(ret, buf, WORKFLOW_TIME_LEN + 1);
    return 0;
}

/* Reads exactly n decimal digits. */
static bool digits(const char **p, unsigned n, unsigned *ret)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *ret = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

int workflow_time_parse(const char *s, int64_t *ret_ms)
{
    unsigned y, mo, d, h, mi, sec, frac_ms = 0;
    int64_t offset_min = 0;
    const char *p = s;

    assert_return(s, -EINVAL);
    assert_return(ret_ms, -EINVAL);

    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d))
        return -EINVAL;
    if (*p != 'T' && *p != 't')
        return -EINVAL;
    p++;
    if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
        !digits(&p, 2, &sec))
        return -EINVAL;
    if (*p == '.') {
        unsigned n = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (n < 3)
                frac_ms = frac_ms * 10 + (unsigned)(*p - '0');
            n++;
            p++;
        }
        if (n == 0 || n > 9)
            return -EINVAL;
        for (; n < 3; n++)
            frac_ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        unsigned oh, om;
        int sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return -EINVAL;
        offset_min = sign * (int64_t)(oh * 60 + om);
    } else {
        return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -EINVAL;

    int64_t ms = days_from_civil(y, mo, d) * MS_PER_DAY +
                 ((int64_t)h * 3600 + (int64_t)mi * 60 + sec) * 1000 + frac_ms;
    *ret_ms = ms - offset_min * 60000;
    return 0;
}
