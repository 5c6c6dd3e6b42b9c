/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go duration strings (time.Duration.String / time.ParseDuration) and
 * RFC 3339 timestamps, as upstream's agents put them in action status.
 */
#include <errno.h>
#include <string.h>

#include "agentproto/agentproto-internal.h"

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL
#define SIGN_BIT  (1ULL << 63)

/* Writes the low prec decimal digits of v, without trailing zeros and with
 * a leading '.' when any remain, ending just before buf[*w]; returns
 * v / 10^prec. */
static uint64_t put_frac(char *buf, size_t *w, uint64_t v, int prec)
{
    bool printed = false;

    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(v % 10);

        printed = printed || digit != 0;
        if (printed)
            buf[--*w] = (char)('0' + digit);
        v /= 10;
    }
    if (printed)
        buf[--*w] = '.';
    return v;
}

static void put_uint(char *buf, size_t *w, uint64_t v)
{
    do {
        buf[--*w] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
}

static void put_str(char *buf, size_t *w, const char *s)
{
    size_t n = strlen(s);

    *w -= n;
    memcpy(buf + *w, s, n);
}

int agentproto_duration_format(int64_t ns, char ret[static AGENTPROTO_DURATION_STRLEN])
{
    char buf[AGENTPROTO_DURATION_STRLEN];
    size_t w = sizeof(buf);
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

    if (!ret)
        return -EINVAL;
    buf[--w] = '\0';
    if (u == 0) {
        memcpy(ret, "0s", 3);
        return 0;
    }
    if (u < NS_PER_S) {
        /* Below one second Go switches to the largest unit that fits. */
        if (u < NS_PER_US) {
            put_str(buf, &w, "ns");
            put_uint(buf, &w, u);
        } else if (u < NS_PER_MS) {
            put_str(buf, &w, "\xc2\xb5s"); /* "µs", U+00B5 like Go */
            put_uint(buf, &w, put_frac(buf, &w, u, 3));
        } else {
            put_str(buf, &w, "ms");
            put_uint(buf, &w, put_frac(buf, &w, u, 6));
        }
    } else {
        put_str(buf, &w, "s");
        u = put_frac(buf, &w, u, 9); /* whole seconds */
        put_uint(buf, &w, u % 60);
        u /= 60; /* minutes */
        if (u > 0) {
            put_str(buf, &w, "m");
            put_uint(buf, &w, u % 60);
            u /= 60; /* hours */
            if (u > 0) {
                put_str(buf, &w, "h");
                put_uint(buf, &w, u);
            }
        }
    }
    if (ns < 0)
        buf[--w] = '-';
    memcpy(ret, buf + w, sizeof(buf) - w);
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Integer part: digits at *s; -ERANGE past 2^63. */
static int leading_int(const char **s, uint64_t *ret)
{
    uint64_t x = 0;

    for (; is_digit(**s); (*s)++) {
        if (x > SIGN_BIT / 10)
            return -ERANGE;
        x = x * 10 + (uint64_t)(**s - '0');
        if (x > SIGN_BIT)
            return -ERANGE;
    }
    *ret = x;
    return 0;
}

/* Fraction digits at *s: the value and its scale (10^digits kept); digits
 * past what fits are dropped, as Go does. */
static void leading_fraction(const char **s, uint64_t *ret, double *ret_scale)
{
    uint64_t x = 0;
    double scale = 1;
    bool overflow = false;

    for (; is_digit(**s); (*s)++) {
        if (overflow)
            continue;
        if (x > SIGN_BIT / 10) {
            overflow = true;
            continue;
        }
        if (x * 10 + (uint64_t)(**s - '0') > SIGN_BIT) {
            overflow = true;
            continue;
        }
        x = x * 10 + (uint64_t)(**s - '0');
        scale *= 10;
    }
    *ret = x;
    *ret_scale = scale;
}

static uint64_t unit_of(const char *u, size_t n)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
            {"ns", 1},
            {"us", NS_PER_US},
            {"\xc2\xb5s", NS_PER_US}, /* U+00B5 micro sign */
            {"\xce\xbcs", NS_PER_US}, /* U+03BC Greek mu */
            {"ms", NS_PER_MS},
            {"s", NS_PER_S},
            {"m", 60 * NS_PER_S},
            {"h", 3600 * NS_PER_S},
    };

    for (size_t i = 0; i < ARRAY_SIZE(units); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ns;
    return 0;
}

/* One "<number><unit>" component at *s, added to *d. */
static int parse_component(const char **s, uint64_t *d)
{
    const char *start = *s, *u;
    uint64_t v = 0, f = 0, unit;
    double scale = 1;
    bool pre, post = false;

    if (!(**s == '.' || is_digit(**s)))
        return -EINVAL;
    if (leading_int(s, &v) < 0)
        return -ERANGE;
    pre = *s != start;
    if (**s == '.') {
        const char *fs = ++*s;
        leading_fraction(s, &f, &scale);
        post = *s != fs;
    }
    if (!pre && !post)
        return -EINVAL;
    for (u = *s; **s && **s != '.' && !is_digit(**s); (*s)++)
        ;
    unit = unit_of(u, (size_t)(*s - u));
    if (unit == 0)
        return -EINVAL;
    if (v > SIGN_BIT / unit)
        return -ERANGE;
    v *= unit;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)unit / scale));
        if (v > SIGN_BIT)
            return -ERANGE;
    }
    *d += v;
    return *d > SIGN_BIT ? -ERANGE : 0;
}

int agentproto_duration_parse(const char *s, int64_t *ret)
{
    uint64_t d = 0;
    bool neg = false;
    int r;

    if (!s || !ret)
        return -EINVAL;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ret = 0;
        return 0;
    }
    if (*s == '\0')
        return -EINVAL;
    while (*s) {
        r = parse_component(&s, &d);
        if (r < 0)
            return r;
    }
    if (neg) {
        *ret = d == SIGN_BIT ? INT64_MIN : -(int64_t)d;
        return 0;
    }
    if (d > SIGN_BIT - 1)
        return -ERANGE;
    *ret = (int64_t)d;
    return 0;
}

/* ---- RFC 3339 ---------------------------------------------------------- */

/* First and last second of years 0000-9999 (proleptic Gregorian, UTC). */
#define TIME_MIN_SEC (-62167219200LL)
#define TIME_MAX_SEC 253402300799LL

/* Days since 1970-01-01 of a proleptic Gregorian date (the era arithmetic
 * of 400-year cycles of 146097 days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* Writes v as exactly n decimal digits at p. */
static void put_digits(char *p, unsigned v, size_t n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

int agentproto_time_format(const struct agentproto_time *t, char ret[static AGENTPROTO_TIME_STRLEN])
{
    char out[AGENTPROTO_TIME_STRLEN] = "0000-00-00T00:00:00";
    int64_t days, rem, y;
    unsigned m, d;
    size_t o = 19;

    if (!t || !ret)
        return -EINVAL;
    if (t->sec < TIME_MIN_SEC || t->sec > TIME_MAX_SEC || t->nsec < 0 || t->nsec >= 1000000000)
        return -ERANGE;
    days = t->sec / 86400;
    rem = t->sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    put_digits(out + 5, m, 2);
    put_digits(out + 8, d, 2);
    put_digits(out + 11, (unsigned)(rem / 3600), 2);
    put_digits(out + 14, (unsigned)(rem / 60 % 60), 2);
    put_digits(out + 17, (unsigned)(rem % 60), 2);
    if (t->nsec > 0) {
        unsigned ns = (unsigned)t->nsec;
        size_t n = 9;

        while (ns % 10 == 0) {
            ns /= 10;
            n--;
        }
        out[o++] = '.';
        put_digits(out + o, ns, n);
        o += n;
    }
    out[o++] = 'Z';
    out[o] = '\0';
    memcpy(ret, out, o + 1);
    return 0;
}

/* Reads exactly n digits at s. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *ret = v;
    return true;
}

/* The "Z" or "+HH:MM" / "-HH:MM" at s (the rest of the string): seconds east
 * of UTC. */
static int parse_offset(const char *s, int64_t *ret)
{
    unsigned oh, om;

    if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
        *ret = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' || !digits(s + 1, 2, &oh) ||
        !digits(s + 4, 2, &om) || oh > 23 || om > 59)
        return -EINVAL;
    *ret = (s[0] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    return 0;
}

int agentproto_time_parse(const char *s, struct agentproto_time *ret)
{
    unsigned y, mo, d, h, mi, sec, nsec = 0;
    int64_t off, t;
    const char *p;

    if (!s || !ret)
        return -EINVAL;
    if (strnlen(s, 20) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -EINVAL;
    p = s + 19;
    if (*p == '.') {
        size_t n = 0;

        for (p++; is_digit(p[n]); n++)
            if (n < 9)
                nsec = nsec * 10 + (unsigned)(p[n] - '0');
        if (n == 0 || n > 9)
            return -EINVAL;
        for (size_t i = n; i < 9; i++)
            nsec *= 10;
        p += n;
    }
    if (parse_offset(p, &off) < 0)
        return -EINVAL;
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    if (t < TIME_MIN_SEC || t > TIME_MAX_SEC)
        return -ERANGE;
    *ret = (struct agentproto_time){.sec = t, .nsec = (int32_t)nsec};
    return 0;
}
