/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TFTP option extension (RFC 2347) and the options anvil understands:
 * blksize (RFC 2348), timeout and tsize (RFC 2349), windowsize (RFC 7440).
 * Each option is checked by name against its own range.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tftp/tftp-internal.h"

const char *const tftp_option_names[_TFTP_OPTION_MAX] = {
        [TFTP_OPTION_BLKSIZE] = "blksize",
        [TFTP_OPTION_TIMEOUT] = "timeout",
        [TFTP_OPTION_TSIZE] = "tsize",
        [TFTP_OPTION_WINDOWSIZE] = "windowsize",
};

/* The RFC range of each option's value. tsize is any 64-bit size. */
static const struct {
    uint64_t min, max;
} option_range[_TFTP_OPTION_MAX] = {
        [TFTP_OPTION_BLKSIZE] = {TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX},
        [TFTP_OPTION_TIMEOUT] = {TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX},
        [TFTP_OPTION_TSIZE] = {0, UINT64_MAX},
        [TFTP_OPTION_WINDOWSIZE] = {TFTP_WINDOWSIZE_MIN, TFTP_WINDOWSIZE_MAX},
};

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool tftp_ascii_caseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

int tftp_parse_uint(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

static int option_lookup(const char *name)
{
    for (int i = 0; i < _TFTP_OPTION_MAX; i++)
        if (tftp_ascii_caseeq(name, tftp_option_names[i]))
            return i;
    return -1;
}

static void option_set(struct tftp_options *o, enum tftp_option which, uint64_t v)
{
    o->present |= TFTP_OPTION_BIT(which);
    switch (which) {
    case TFTP_OPTION_BLKSIZE:
        o->blksize = (uint16_t)v;
        break;
    case TFTP_OPTION_TIMEOUT:
        o->timeout = (uint8_t)v;
        break;
    case TFTP_OPTION_TSIZE:
        o->tsize = v;
        break;
    case TFTP_OPTION_WINDOWSIZE:
        o->windowsize = (uint16_t)v;
        break;
    default:
        break;
    }
}

static int fail(struct tftp_parse_error *reterr, int r, const char *reason, const char *option)
{
    if (reterr)
        *reterr = (struct tftp_parse_error){.reason = reason, .option = option};
    return r;
}

static bool all_nul(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

int tftp_options_parse(const uint8_t *p,
                       size_t len,
                       struct tftp_options *ret,
                       struct tftp_parse_error *reterr)
{
    struct tftp_options o = {0};
    const uint8_t *end = p + len;

    while (p < end) {
        /* Trailing NULs are padding, not an empty option name. */
        if (all_nul(p, (size_t)(end - p)))
            break;
        const uint8_t *name_end = memchr(p, 0, (size_t)(end - p));
        if (!name_end)
            return fail(reterr, -EPROTO, "option name not terminated", NULL);
        const char *name = (const char *)p;
        if (name_end == p)
            return fail(reterr, -EPROTO, "empty option name", NULL);
        const uint8_t *value = name_end + 1;
        const uint8_t *value_end = value < end ? memchr(value, 0, (size_t)(end - value)) : NULL;
        if (!value_end)
            return fail(reterr, -EPROTO, "option without a terminated value", name);
        p = value_end + 1;

        /* RFC 2347: options the server does not support are ignored. */
        int which = option_lookup(name);
        if (which < 0)
            continue;
        if (o.present & TFTP_OPTION_BIT(which))
            return fail(reterr, -EPROTO, "duplicate option", name);
        uint64_t v;
        int r = tftp_parse_uint((const char *)value, (size_t)(value_end - value),
                                option_range[which].min, option_range[which].max, &v);
        if (r == -ERANGE)
            return fail(reterr, -EPROTO, "option value out of range", name);
        if (r < 0)
            return fail(reterr, -EPROTO, "option value not a number", name);
        option_set(&o, (enum tftp_option)which, v);
    }
    *ret = o;
    return 0;
}

static uint64_t option_value(const struct tftp_options *o, enum tftp_option which)
{
    switch (which) {
    case TFTP_OPTION_BLKSIZE:
        return o->blksize;
    case TFTP_OPTION_TIMEOUT:
        return o->timeout;
    case TFTP_OPTION_TSIZE:
        return o->tsize;
    case TFTP_OPTION_WINDOWSIZE:
        return o->windowsize;
    default:
        return 0;
    }
}

int tftp_options_write(uint8_t *out, size_t cap, const struct tftp_options *opts, size_t *ret_len)
{
    size_t n = 0;

    for (int i = 0; i < _TFTP_OPTION_MAX; i++) {
        if (!(opts->present & TFTP_OPTION_BIT(i)))
            continue;
        uint64_t v = option_value(opts, (enum tftp_option)i);
        if (v < option_range[i].min || v > option_range[i].max)
            return -EINVAL;
        char num[24];
        int k = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
        if (k < 0)
            return -EINVAL;
        size_t name_len = strlen(tftp_option_names[i]);
        size_t need = name_len + 1 + (size_t)k + 1;
        if (cap - n < need)
            return -ENOBUFS;
        memcpy(out + n, tftp_option_names[i], name_len + 1);
        n += name_len + 1;
        memcpy(out + n, num, (size_t)k + 1);
        n += (size_t)k + 1;
    }
    *ret_len = n;
    return 0;
}

int tftp_limits_check(const struct tftp_limits *lim)
{
    assert_return(lim, -EINVAL);
    if (lim->blksize_max < TFTP_BLKSIZE_MIN || lim->blksize_max > TFTP_BLKSIZE_MAX)
        return -EINVAL;
    if (lim->windowsize_max < TFTP_WINDOWSIZE_MIN)
        return -EINVAL;
    if (lim->timeout_ms == 0)
        return -EINVAL;
    return 0;
}

int tftp_options_negotiate(const struct tftp_options *requested,
                           enum tftp_mode mode,
                           const struct tftp_limits *lim,
                           uint64_t file_size,
                           struct tftp_options *ret)
{
    const struct tftp_limits def = TFTP_LIMITS_DEFAULT;
    struct tftp_options o = {0};
    unsigned want;

    assert_return(requested, -EINVAL);
    assert_return((unsigned)mode < _TFTP_MODE_MAX, -EINVAL);
    assert_return(ret, -EINVAL);
    if (!lim)
        lim = &def;
    if (tftp_limits_check(lim) < 0)
        return -EINVAL;

    want = requested->present;
    for (int i = 0; i < _TFTP_OPTION_MAX; i++) {
        if (!(want & TFTP_OPTION_BIT(i)))
            continue;
        uint64_t v = option_value(requested, (enum tftp_option)i);
        if (v < option_range[i].min || v > option_range[i].max)
            return -EPROTO;
    }

    /* RFC 2348: the server may answer a smaller block size than asked. */
    if (want & TFTP_OPTION_BIT(TFTP_OPTION_BLKSIZE))
        option_set(&o, TFTP_OPTION_BLKSIZE, MIN(requested->blksize, lim->blksize_max));
    /* RFC 2349: the timeout is acknowledged with the value requested. */
    if (want & TFTP_OPTION_BIT(TFTP_OPTION_TIMEOUT))
        option_set(&o, TFTP_OPTION_TIMEOUT, requested->timeout);
    /* RFC 2349: on a read request the client sends 0 and the server returns
     * the size. In netascii the size on the wire depends on the contents,
     * so the option is left out of the OACK there. */
    if ((want & TFTP_OPTION_BIT(TFTP_OPTION_TSIZE)) && mode == TFTP_MODE_OCTET)
        option_set(&o, TFTP_OPTION_TSIZE, file_size);
    /* RFC 7440: the server may answer a smaller window. */
    if (want & TFTP_OPTION_BIT(TFTP_OPTION_WINDOWSIZE))
        option_set(&o, TFTP_OPTION_WINDOWSIZE, MIN(requested->windowsize, lim->windowsize_max));

    *ret = o;
    return 0;
}
