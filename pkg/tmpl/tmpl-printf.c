/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt.Sprintf's format parsing: literal text, "%%", flags "#0+- ", width
 * and precision (numbers, '*' from the arguments, explicit [n] argument
 * indexes) and the verb, with Go's error forms: %!(NOVERB), %!(BADWIDTH),
 * %!(BADPREC), %!v(BADINDEX), %!v(MISSING) and %!(EXTRA type=value, ...).
 * Printing each argument is tmpl-fmt.c's job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

/* Widths and precisions past this are "crazy long numbers" to Go. */
#define TOO_LARGE 1000000

struct printer {
    struct tmpl_exec *x;
    struct buf *b;
    const char *s;
    size_t end;
    size_t i; /* position in the format */
    json_t *const *argv;
    size_t argc;
    size_t arg;     /* next argument */
    bool reordered; /* an [n] index was used: no EXTRA report */
    bool good_arg;  /* the directive's argument index is valid */
};

/* Go's parsenum: digits at p->i. On a huge number the rest of the format
 * is given up, as Go does. */
static bool parse_num(struct printer *p, size_t end, int *ret)
{
    bool present = false;
    int n = 0;

    while (p->i < end && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        if (n > TOO_LARGE) {
            p->i = p->end;
            *ret = 0;
            return false;
        }
        n = n * 10 + (p->s[p->i] - '0');
        present = true;
        p->i++;
    }
    *ret = n;
    return present;
}

/* An explicit [n] argument index at p->i; *after tells whether one was
 * read. */
static void arg_number(struct printer *p, bool *after)
{
    *after = false;
    if (p->i >= p->end || p->s[p->i] != '[')
        return;
    p->reordered = true;
    for (size_t j = p->i + 1; j < p->end; j++) {
        if (p->s[j] != ']')
            continue;
        size_t open = p->i;
        int n;
        p->i = open + 1;
        bool ok = parse_num(p, j, &n) && p->i == j;
        p->i = j + 1;
        if (!ok || n < 1 || (size_t)n > p->argc) {
            p->good_arg = false;
            return;
        }
        p->arg = (size_t)n - 1;
        *after = true;
        return;
    }
    p->good_arg = false;
    p->i++; /* no closing bracket: only the '[' is consumed */
}

/* A '*' width or precision: the next argument, which must be an int. */
static bool int_from_arg(struct printer *p, int *ret)
{
    if (p->arg >= p->argc)
        return false;
    const json_t *v = p->argv[p->arg++];
    if (!json_is_integer(v))
        return false;
    json_int_t n = json_integer_value(v);
    if (n > TOO_LARGE || n < -TOO_LARGE)
        return false;
    *ret = (int)n;
    return true;
}

static void parse_flags(struct printer *p, struct tmpl_fmt_spec *f)
{
    for (; p->i < p->end; p->i++) {
        char c = p->s[p->i];
        if (c == '#')
            f->sharp = true;
        else if (c == '0')
            f->zero = !f->minus; /* zero padding only to the left */
        else if (c == '+')
            f->plus = true;
        else if (c == '-') {
            f->minus = true;
            f->zero = false;
        } else if (c == ' ')
            f->space = true;
        else
            return;
    }
}

static int parse_width(struct printer *p, struct tmpl_fmt_spec *f, bool *after)
{
    if (p->i < p->end && p->s[p->i] == '*') {
        p->i++;
        f->wid_present = int_from_arg(p, &f->wid);
        *after = false;
        if (f->wid < 0) {
            f->wid = -f->wid;
            f->minus = true;
            f->zero = false;
        }
        return f->wid_present ? 0 : buf_append_str(p->b, "%!(BADWIDTH)");
    }
    f->wid_present = parse_num(p, p->end, &f->wid);
    if (*after && f->wid_present)
        p->good_arg = false;
    return 0;
}

static int parse_precision(struct printer *p, struct tmpl_fmt_spec *f, bool *after)
{
    if (p->i >= p->end || p->s[p->i] != '.')
        return 0;
    p->i++;
    if (*after)
        p->good_arg = false;
    arg_number(p, after);
    if (p->i < p->end && p->s[p->i] == '*') {
        p->i++;
        f->prec_present = int_from_arg(p, &f->prec);
        if (f->prec < 0) {
            f->prec = 0;
            f->prec_present = false;
        }
        *after = false;
        return f->prec_present ? 0 : buf_append_str(p->b, "%!(BADPREC)");
    }
    f->prec_present = parse_num(p, p->end, &f->prec);
    if (!f->prec_present) {
        f->prec = 0; /* "%.f" means precision 0 */
        f->prec_present = true;
    }
    return 0;
}

/* "%!" verb "(" what ")" */
static int bad(struct buf *b, uint32_t verb, const char *what)
{
    int r = buf_append_str(b, "%!");
    if (r >= 0)
        r = tmpl_utf8_append(b, verb);
    if (r >= 0)
        r = buf_append(b, "(", 1);
    if (r >= 0)
        r = buf_append_str(b, what);
    return r < 0 ? r : buf_append(b, ")", 1);
}

static int print_directive(struct printer *p, struct tmpl_fmt_spec *f, uint32_t verb)
{
    if (verb == '%')
        return buf_append(p->b, "%", 1); /* takes no argument, ignores flags */
    if (!p->good_arg)
        return bad(p->b, verb, "BADINDEX");
    if (p->arg >= p->argc)
        return bad(p->b, verb, "MISSING");
    if (verb == 'v') {
        /* %#v is Go syntax, %+v adds field names: neither is a flag for
         * the value itself */
        f->sharp_v = f->sharp;
        f->sharp = false;
        f->plus_v = f->plus;
        f->plus = false;
    }
    return tmpl_fmt_print(p->b, f, p->argv[p->arg++], (int)verb);
}

static int extra_args(struct printer *p)
{
    int r = buf_append_str(p->b, "%!(EXTRA ");
    for (size_t i = p->arg; r >= 0 && i < p->argc; i++) {
        if (i > p->arg)
            r = buf_append_str(p->b, ", ");
        if (r >= 0 && json_is_null(p->argv[i]))
            r = buf_append_str(p->b, "<nil>");
        else if (r >= 0) {
            r = buf_append_str(p->b, tmpl_type_name(p->argv[i]));
            if (r >= 0)
                r = buf_append(p->b, "=", 1);
            if (r >= 0)
                r = tmpl_fmt_value(p->x, p->b, p->argv[i]);
        }
    }
    return r < 0 ? r : buf_append(p->b, ")", 1);
}

int tmpl_fmt_sprintf(struct tmpl_exec *x,
                     struct buf *b,
                     const char *s,
                     size_t end,
                     json_t *const *argv,
                     size_t argc)
{
    struct printer p = {.x = x, .b = b, .s = s, .end = end, .argv = argv, .argc = argc};
    int r = 0;

    while (r >= 0 && p.i < end) {
        struct tmpl_fmt_spec f = {.x = x};
        size_t lit = p.i;
        bool after;
        uint32_t verb;

        while (p.i < end && s[p.i] != '%')
            p.i++;
        if (p.i > lit)
            r = buf_append(b, s + lit, p.i - lit);
        if (r < 0 || p.i >= end)
            break;
        p.i++; /* '%' */
        p.good_arg = true;
        parse_flags(&p, &f);
        arg_number(&p, &after);
        r = parse_width(&p, &f, &after);
        if (r >= 0)
            r = parse_precision(&p, &f, &after);
        if (r < 0)
            break;
        if (!after)
            arg_number(&p, &after);
        if (p.i >= end) {
            r = buf_append_str(b, "%!(NOVERB)");
            break;
        }
        p.i += tmpl_utf8_decode(s + p.i, end - p.i, &verb);
        r = print_directive(&p, &f, verb);
    }
    if (r >= 0 && !p.reordered && p.arg < p.argc)
        r = extra_args(&p);
    return r;
}
