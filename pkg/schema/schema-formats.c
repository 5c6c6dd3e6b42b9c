/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String formats apiextensions validates (kube-openapi's strfmt registry,
 * format names with dashes removed). The checks follow the upstream
 * validators' grammar where it is short (date, date-time, byte, uuid, mac,
 * ip, cidr, hostname, hexcolor, rgbcolor, ssn, bsonobjectid) and are looser
 * where upstream leans on big library parsers (uri, email, duration,
 * quantity). isbn and creditcard are accepted unchecked.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema-internal.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* time.Parse("2006-01-02", s): exact widths, real calendar days. */
static bool is_date(const char *s, size_t n)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) || !all_digits(s + 5, 2) ||
        !all_digits(s + 8, 2))
        return false;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* strfmt.IsDateTime: "<date>t<hh:mm:ss>[.frac](z|±hh:mm)", case-insensitive. */
static bool is_datetime(const char *s, size_t n)
{
    if (n < 4)
        return false;
    const char *t = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == 't' || s[i] == 'T') {
            t = s + i;
            break;
        }
    if (!t || !is_date(s, (size_t)(t - s)))
        return false;
    const char *p = t + 1, *end = s + n;
    /* the time part ends at the next 't' (strings.Split) */
    for (const char *q = p; q < end; q++)
        if (*q == 't' || *q == 'T')
            end = q;
    size_t m = (size_t)(end - p);
    if (m < 9 || p[2] != ':' || p[5] != ':' || !all_digits(p, 2) || !all_digits(p + 3, 2) ||
        !all_digits(p + 6, 2))
        return false;
    if (memcmp(p, "23", 2) > 0 || memcmp(p + 3, "59", 2) > 0 || memcmp(p + 6, "59", 2) > 0)
        return false;
    const char *q = p + 8;
    if (q < end && *q != 'z' && *q != 'Z' && *q != '+' && *q != '-') {
        q++; /* any separator, then digits */
        const char *d = q;
        while (q < end && isdigit((unsigned char)*q))
            q++;
        if (q == d)
            return false;
    }
    if (q < end && (*q == 'z' || *q == 'Z'))
        return q + 1 == end;
    if (end - q != 6 || (*q != '+' && *q != '-') || q[3] != ':')
        return false;
    return all_digits(q + 1, 2) && all_digits(q + 4, 2);
}

/* govalidator.IsBase64: standard alphabet, padded, non-empty. */
static bool is_base64(const char *s, size_t n)
{
    if (n == 0 || n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = isalnum((unsigned char)c) || c == '+' || c == '/';
        if (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='))
            continue;
        if (!ok)
            return false;
    }
    return true;
}

/* url.ParseRequestURI, loosely: an absolute path or scheme ":/" ..., no
 * control characters, well-formed %XX escapes. */
static bool is_uri(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == '%' && (i + 2 >= n || !all_hex(s + i + 1, 2)))
            return false;
    }
    if (s[0] == '/')
        return true;
    size_t i = 0;
    if (!isalpha((unsigned char)s[0]))
        return false;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    return i + 1 < n && s[i] == ':' && s[i + 1] == '/';
}

static bool is_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return false;
    return true;
}

static bool host_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* strfmt's HostnamePattern with letters/symbols approximated by non-ASCII
 * bytes: one label "x(-?x{0,62})?", or dotted labels "x([x-]{0,61}x)?"
 * followed by a last label "x(-?x){1,62}". */
static bool is_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 255 || memchr(s, '\0', n))
        return false;
    const char *p = s, *end = s + n;
    bool dotted = memchr(s, '.', n) != NULL;
    while (p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *le = dot ? dot : end;
        size_t len = (size_t)(le - p);
        if (len == 0 || len > 63 || !host_char((unsigned char)p[0]))
            return false;
        if (!dotted) {
            size_t i = 1;
            if (i < len && p[i] == '-')
                i++;
            for (; i < len; i++)
                if (!host_char((unsigned char)p[i]))
                    return false;
            return len - (p[1] == '-') <= 63;
        }
        if (dot) {
            for (size_t i = 1; i < len; i++)
                if (!host_char((unsigned char)p[i]) && p[i] != '-')
                    return false;
            if (p[len - 1] == '-')
                return false;
        } else {
            if (len < 2)
                return false;
            for (size_t i = 1; i < len; i++) {
                if (p[i] == '-' && (p[i - 1] == '-' || i + 1 == len))
                    return false;
                if (p[i] != '-' && !host_char((unsigned char)p[i]))
                    return false;
            }
        }
        p = dot ? dot + 1 : end;
        if (dot && p == end)
            return false;
    }
    return true;
}

static bool is_ip(const char *s, size_t n, int family)
{
    char tmp[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof(tmp) || memchr(s, '\0', n))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (family == AF_INET)
        return inet_pton(AF_INET, tmp, addr) == 1 ||
               (memchr(s, '.', n) && inet_pton(AF_INET6, tmp, addr) == 1);
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

static bool is_cidr(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return false;
    size_t an = (size_t)(slash - s), pn = n - an - 1;
    if (pn == 0 || pn > 3 || !all_digits(slash + 1, pn))
        return false;
    int prefix = atoi(slash + 1);
    bool v6 = memchr(s, ':', an) != NULL;
    if (v6)
        return is_ip(s, an, AF_INET6) && prefix <= 128;
    return is_ip(s, an, AF_INET) && prefix <= 32;
}

/* net.ParseMAC: 6, 8 or 20 octets as xx:xx.., xx-xx.. or xxxx.xxxx.. */
static bool is_mac(const char *s, size_t n)
{
    if (n < 14)
        return false;
    if (s[2] == ':' || s[2] == '-') {
        if ((n + 1) % 3 != 0)
            return false;
        size_t groups = (n + 1) / 3;
        if (groups != 6 && groups != 8 && groups != 20)
            return false;
        for (size_t i = 0; i < groups; i++) {
            if (!all_hex(s + 3 * i, 2) || (i + 1 < groups && s[3 * i + 2] != s[2]))
                return false;
        }
        return true;
    }
    if (s[4] == '.') {
        if ((n + 1) % 5 != 0)
            return false;
        size_t groups = (n + 1) / 5;
        if (groups * 2 != 6 && groups * 2 != 8 && groups * 2 != 20)
            return false;
        for (size_t i = 0; i < groups; i++)
            if (!all_hex(s + 5 * i, 4) || (i + 1 < groups && s[5 * i + 4] != '.'))
                return false;
        return true;
    }
    return false;
}

/* (?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$ */
static bool is_uuid(const char *s, size_t n, char version)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t i = 0;
    for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
        if (g > 0 && i < n && s[i] == '-')
            i++;
        if (i + groups[g] > n || !all_hex(s + i, groups[g]))
            return false;
        if (version && g == 2 && s[i] != version)
            return false;
        if (version && version != '3' && g == 3 && !strchr("89abAB", s[i]))
            return false;
        i += groups[g];
    }
    return i == n;
}

static bool is_hexcolor(const char *s, size_t n)
{
    if (n > 0 && s[0] == '#')
        s++, n--;
    return (n == 3 || n == 6) && all_hex(s, n);
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && strchr(" \t\n\r\f\v", *p) && *p)
        p++;
    return p;
}

static bool is_rgbcolor(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    if (n < 10 || memcmp(p, "rgb(", 4) != 0 || s[n - 1] != ')')
        return false;
    p += 4;
    end--;
    for (int i = 0; i < 3; i++) {
        p = skip_space(p, end);
        const char *d = p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - d);
        if (len == 0 || len > 3 || (len > 1 && d[0] == '0') || atoi(d) > 255)
            return false;
        p = skip_space(p, end);
        if (i < 2) {
            if (p == end || *p != ',')
                return false;
            p++;
        }
    }
    return p == end;
}

static bool is_ssn(const char *s, size_t n)
{
    static const size_t groups[] = {3, 2, 4};
    size_t i = 0;
    for (size_t g = 0; g < 3; g++) {
        if (g > 0 && i < n && (s[i] == '-' || s[i] == ' '))
            i++;
        if (i + groups[g] > n || !all_digits(s + i, groups[g]))
            return false;
        i += groups[g];
    }
    return i == n;
}

/* time.ParseDuration ("1h30m", "-1.5s", "0") or strfmt's "<n> <unit>". */
static bool is_duration(const char *s, size_t n)
{
    static const char *const units[] = {"ns", "us", "µs", "μs", "ms", "s", "m", "h"};
    static const char *const words[] = {
            "ns",  "us",      "µs",     "ms",     "s",      "sec",   "secs",  "second",
            "seconds", "m",   "min",    "mins",   "minute", "minutes", "h",   "hr",
            "hour", "hours",  "d",      "day",    "days",   "w",     "wk",    "week",
            "weeks"};
    const char *p = s, *end = s + n;
    if (n == 1 && s[0] == '0')
        return true;
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    const char *digits = p;
    while (p < end && isdigit((unsigned char)*p))
        p++;
    const char *q = p;
    while (q < end && *q == ' ')
        q++;
    if (q > p && p > digits) {
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
            if ((size_t)(end - q) == strlen(words[i]) && memcmp(q, words[i], strlen(words[i])) == 0)
                return true;
        return false;
    }
    p = digits;
    if (p == end)
        return false;
    while (p < end) {
        const char *d = p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        bool any = p > d;
        if (p < end && *p == '.') {
            p++;
            const char *f = p;
            while (p < end && isdigit((unsigned char)*p))
                p++;
            any = any || p > f;
        }
        if (!any)
            return false;
        size_t best = 0;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i]);
            if ((size_t)(end - p) >= l && memcmp(p, units[i], l) == 0 && l > best)
                best = l;
        }
        if (best == 0) {
            /* the simple "<n><word>" form */
            for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if ((size_t)(end - p) == strlen(words[i]) && d == digits &&
                    memcmp(p, words[i], strlen(words[i])) == 0)
                    return true;
            return false;
        }
        p += best;
    }
    return true;
}

/* resource.Quantity: [+-]number then a binary, decimal or exponent suffix. */
static bool is_quantity(const char *s, size_t n)
{
    static const char *const suffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
                                           "m",  "k",  "M",  "G",  "T",  "P",  "E", ""};
    const char *p = s, *end = s + n;
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    const char *d = p;
    while (p < end && isdigit((unsigned char)*p))
        p++;
    bool any = p > d;
    if (p < end && *p == '.') {
        p++;
        const char *f = p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        any = any || p > f;
    }
    if (!any)
        return false;
    if (p < end && (*p == 'e' || *p == 'E') && p + 1 < end &&
        (isdigit((unsigned char)p[1]) || p[1] == '+' || p[1] == '-')) {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        return p < end && all_digits(p, (size_t)(end - p));
    }
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
        if ((size_t)(end - p) == strlen(suffixes[i]) &&
            memcmp(p, suffixes[i], strlen(suffixes[i])) == 0)
            return true;
    return false;
}

int schema_format_check(const char *name, const char *s, size_t n)
{
    if (strcmp(name, "datetime") == 0)
        return is_datetime(s, n);
    if (strcmp(name, "date") == 0)
        return is_date(s, n);
    if (strcmp(name, "byte") == 0)
        return is_base64(s, n);
    if (strcmp(name, "uri") == 0)
        return is_uri(s, n);
    if (strcmp(name, "email") == 0)
        return is_email(s, n);
    if (strcmp(name, "hostname") == 0)
        return is_hostname(s, n);
    if (strcmp(name, "ipv4") == 0)
        return is_ip(s, n, AF_INET);
    if (strcmp(name, "ipv6") == 0)
        return memchr(s, ':', n) && is_ip(s, n, AF_INET6);
    if (strcmp(name, "cidr") == 0)
        return is_cidr(s, n);
    if (strcmp(name, "mac") == 0)
        return is_mac(s, n);
    if (strcmp(name, "uuid") == 0)
        return is_uuid(s, n, 0);
    if (strncmp(name, "uuid", 4) == 0 && strchr("345", name[4]) && name[4] && !name[5])
        return is_uuid(s, n, name[4]);
    if (strcmp(name, "hexcolor") == 0)
        return is_hexcolor(s, n);
    if (strcmp(name, "rgbcolor") == 0)
        return is_rgbcolor(s, n);
    if (strcmp(name, "ssn") == 0)
        return is_ssn(s, n);
    if (strcmp(name, "bsonobjectid") == 0)
        return n == 24 && all_hex(s, n);
    if (strcmp(name, "duration") == 0)
        return is_duration(s, n);
    if (strcmp(name, "quantity") == 0)
        return is_quantity(s, n);
    if (strcmp(name, "password") == 0)
        return 1;
    return -1;
}
