/* SPDX-License-Identifier: Apache-2.0 */
#include "log/log.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The process-wide log configuration (see log.h). */
static enum log_level log_min_level = LOG_LEVEL_INFO;
static enum log_format log_out_format = LOG_FORMAT_TEXT;
static int log_out_fd = 2;

static const char *const level_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_DEBUG] = "debug",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_WARN] = "warn",
        [LOG_LEVEL_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
    if (level < _LOG_LEVEL_MAX)
        log_min_level = level;
}

void log_set_format(enum log_format format)
{
    if (format < _LOG_FORMAT_MAX)
        log_out_format = format;
}

void log_set_fd(int fd)
{
    log_out_fd = fd;
}

bool log_enabled(enum log_level level)
{
    return level >= log_min_level;
}

int log_level_from_string(const char *s, enum log_level *ret)
{
    if (!s || !ret)
        return -EINVAL;
    for (size_t i = 0; i < _LOG_LEVEL_MAX; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (enum log_level)i;
            return 0;
        }
    if (strcmp(s, "warning") == 0) {
        *ret = LOG_LEVEL_WARN;
        return 0;
    }
    return -EINVAL;
}

int log_format_from_string(const char *s, enum log_format *ret)
{
    if (!s || !ret)
        return -EINVAL;
    if (strcmp(s, "text") == 0 || strcmp(s, "logfmt") == 0) {
        *ret = LOG_FORMAT_TEXT;
        return 0;
    }
    if (strcmp(s, "json") == 0) {
        *ret = LOG_FORMAT_JSON;
        return 0;
    }
    return -EINVAL;
}

const char *log_strerror(int r)
{
    if (r < 0)
        r = -r;
    /* strerrordesc_np returns static text and is thread-safe (glibc >= 2.32). */
    const char *s = strerrordesc_np(r);
    return s ? s : "unknown error";
}

/* A tiny bounded writer: appends as much as fits and counts the rest. */
struct lw {
    char *out;
    size_t size;
    size_t len;
};

static void lw_putc(struct lw *w, char c)
{
    if (w->len + 1 < w->size)
        w->out[w->len] = c;
    w->len++;
}

static void lw_puts(struct lw *w, const char *s)
{
    for (; *s; s++)
        lw_putc(w, *s);
}

static void lw_printf(struct lw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lw_printf(struct lw *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        lw_puts(w, tmp);
}

static void lw_json_string(struct lw *w, const char *s)
{
    lw_putc(w, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            lw_puts(w, "\\\"");
            break;
        case '\\':
            lw_puts(w, "\\\\");
            break;
        case '\n':
            lw_puts(w, "\\n");
            break;
        case '\r':
            lw_puts(w, "\\r");
            break;
        case '\t':
            lw_puts(w, "\\t");
            break;
        default:
            if (*p < 0x20)
                lw_printf(w, "\\u%04x", *p);
            else
                lw_putc(w, (char)*p);
        }
    }
    lw_putc(w, '"');
}

static bool logfmt_needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
            return true;
    return false;
}

static void lw_logfmt_value(struct lw *w, const char *s)
{
    if (logfmt_needs_quotes(s))
        lw_json_string(w, s);
    else
        lw_puts(w, s);
}

static void lw_field_value(struct lw *w, enum log_format format, const struct log_field *f)
{
    switch (f->type) {
    case LOG_FIELD_STR:
        if (!f->v.s)
            lw_puts(w, format == LOG_FORMAT_JSON ? "null" : "\"\"");
        else if (format == LOG_FORMAT_JSON)
            lw_json_string(w, f->v.s);
        else
            lw_logfmt_value(w, f->v.s);
        break;
    case LOG_FIELD_INT:
        lw_printf(w, "%" PRId64, f->v.i);
        break;
    case LOG_FIELD_UINT:
        lw_printf(w, "%" PRIu64, f->v.u);
        break;
    case LOG_FIELD_HEX:
        lw_printf(w, format == LOG_FORMAT_JSON ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64, f->v.u);
        break;
    case LOG_FIELD_BOOL:
        lw_puts(w, f->v.b ? "true" : "false");
        break;
    case LOG_FIELD_DOUBLE:
        if (isfinite(f->v.d))
            lw_printf(w, "%.6g", f->v.d);
        else
            lw_puts(w, "null");
        break;
    case LOG_FIELD_NONE:
    case _LOG_FIELD_MAX:
        lw_puts(w, "null");
        break;
    }
}

size_t log_format_line(char *out,
                       size_t size,
                       enum log_format format,
                       const char *ts,
                       enum log_level level,
                       const char *component,
                       const char *msg,
                       const struct log_field *fields,
                       size_t n_fields)
{
    struct lw w = {.out = out, .size = size};
    const char *lvl = level < _LOG_LEVEL_MAX ? level_names[level] : "info";

    if (format == LOG_FORMAT_JSON) {
        lw_puts(&w, "{\"ts\":");
        lw_json_string(&w, ts);
        lw_puts(&w, ",\"level\":");
        lw_json_string(&w, lvl);
        lw_puts(&w, ",\"comp\":");
        lw_json_string(&w, component ? component : "anvil");
        lw_puts(&w, ",\"msg\":");
        lw_json_string(&w, msg ? msg : "");
        for (size_t i = 0; i < n_fields; i++) {
            if (!fields[i].key)
                continue;
            lw_putc(&w, ',');
            lw_json_string(&w, fields[i].key);
            lw_putc(&w, ':');
            lw_field_value(&w, format, &fields[i]);
        }
        lw_putc(&w, '}');
    } else {
        lw_puts(&w, "ts=");
        lw_puts(&w, ts);
        lw_puts(&w, " level=");
        lw_puts(&w, lvl);
        lw_puts(&w, " comp=");
        lw_logfmt_value(&w, component ? component : "anvil");
        lw_puts(&w, " msg=");
        lw_logfmt_value(&w, msg ? msg : "");
        for (size_t i = 0; i < n_fields; i++) {
            if (!fields[i].key)
                continue;
            lw_putc(&w, ' ');
            lw_puts(&w, fields[i].key);
            lw_putc(&w, '=');
            lw_field_value(&w, format, &fields[i]);
        }
    }
    lw_putc(&w, '\n');
    if (size > 0)
        out[w.len < size ? w.len : size - 1] = '\0';
    return w.len;
}

void log_emit(enum log_level level,
              const char *component,
              const char *msg,
              const struct log_field *fields,
              size_t n_fields)
{
    char ts[40], line[4096];
    struct timespec now;
    struct tm tm;

    if (!log_enabled(level))
        return;
    (void)clock_gettime(CLOCK_REALTIME, &now);
    (void)gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);

    size_t len = log_format_line(line, sizeof(line), log_out_format, ts, level, component, msg,
                                 fields, n_fields);
    if (len >= sizeof(line)) {
        /* Truncated: keep the line well-formed enough and terminated. */
        len = sizeof(line) - 1;
        line[len - 1] = '\n';
    }
    ssize_t r = write(log_out_fd, line, len);
    (void)r;
}
