/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Structured logging: one line per event on stderr, logfmt by default or
 * JSON lines. Fields are typed compound literals, never printf guessing:
 *
 *     log_info("offer sent", LOG_STR("mac", m), LOG_U64("xid", x));
 *
 * Each .c file names its component before including this header
 * (#define LOG_COMPONENT "dhcp"); the default is "anvil".
 *
 * The configuration (level, format, output fd) is process-wide and meant to
 * be set once by cmd/ before threads start. log_emit() is thread-safe: each
 * line is formatted in a private buffer and written with one write(2).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
    _LOG_LEVEL_MAX,
};

enum log_format {
    LOG_FORMAT_TEXT,
    LOG_FORMAT_JSON,
    _LOG_FORMAT_MAX,
};

enum log_field_type {
    LOG_FIELD_NONE,
    LOG_FIELD_STR,
    LOG_FIELD_INT,
    LOG_FIELD_UINT,
    LOG_FIELD_HEX,
    LOG_FIELD_BOOL,
    LOG_FIELD_DOUBLE,
    _LOG_FIELD_MAX,
};

struct log_field {
    const char *key;
    enum log_field_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        double d;
        bool b;
    } v;
};

#define LOG_STR(k, x)    ((struct log_field){.key = (k), .type = LOG_FIELD_STR, .v.s = (x)})
#define LOG_INT(k, x)    ((struct log_field){.key = (k), .type = LOG_FIELD_INT, .v.i = (int64_t)(x)})
#define LOG_U64(k, x)    ((struct log_field){.key = (k), .type = LOG_FIELD_UINT, .v.u = (uint64_t)(x)})
#define LOG_U32(k, x)    LOG_U64(k, x)
#define LOG_HEX(k, x)    ((struct log_field){.key = (k), .type = LOG_FIELD_HEX, .v.u = (uint64_t)(x)})
#define LOG_BOOL(k, x)   ((struct log_field){.key = (k), .type = LOG_FIELD_BOOL, .v.b = (x)})
#define LOG_DOUBLE(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_DOUBLE, .v.d = (x)})
/* An errno-style negative code, printed as its strerror text. */
#define LOG_ERRNO(r) LOG_STR("error", log_strerror(r))
#define LOG_NOFIELD_ ((struct log_field){.key = NULL, .type = LOG_FIELD_NONE})

#ifndef LOG_COMPONENT
#define LOG_COMPONENT "anvil"
#endif

/* Sets the minimum level printed. Not thread-safe against log_emit(). */
void log_set_level(enum log_level level);
/* Sets the output format. Not thread-safe against log_emit(). */
void log_set_format(enum log_format format);
/* Sets the file descriptor lines go to (default 2). */
void log_set_fd(int fd);
/* True when a line of this level would be printed. */
bool log_enabled(enum log_level level);

/* Parses "debug|info|warn|error" / "text|json". Returns 0 or -EINVAL. */
int log_level_from_string(const char *s, enum log_level *ret);
int log_format_from_string(const char *s, enum log_format *ret);

/* strerror(-r) for a negative errno code, thread-safe (static strings). */
const char *log_strerror(int r);

/* Formats and writes one line. Fields with a NULL key are skipped.
 * Never fails from the caller's point of view: a short write is dropped. */
void log_emit(enum log_level level,
              const char *component,
              const char *msg,
              const struct log_field *fields,
              size_t n_fields);

/* Formats one line into a caller buffer (for tests). Returns the length
 * that would have been written, like snprintf. */
size_t log_format_line(char *out,
                       size_t size,
                       enum log_format format,
                       const char *ts,
                       enum log_level level,
                       const char *component,
                       const char *msg,
                       const struct log_field *fields,
                       size_t n_fields);

#define LOG_FIELDS_(...)                                                     \
    ((const struct log_field[]){LOG_NOFIELD_, __VA_ARGS__}) + 1,             \
            (sizeof((const struct log_field[]){LOG_NOFIELD_, __VA_ARGS__}) / \
                     sizeof(struct log_field) -                              \
             1)

#define log_full(level, msg, ...)                                          \
    do {                                                                   \
        if (log_enabled(level))                                            \
            log_emit(level, LOG_COMPONENT, msg, LOG_FIELDS_(__VA_ARGS__)); \
    } while (0)

#define log_debug(msg, ...) log_full(LOG_LEVEL_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...)  log_full(LOG_LEVEL_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_full(LOG_LEVEL_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_full(LOG_LEVEL_ERROR, msg, __VA_ARGS__)
