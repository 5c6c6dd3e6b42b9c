/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_t -> block YAML through the libyaml emitter. Scalar styles are chosen
 * so that the text reads back as the same JSON value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/macro.h"
#include "buf/buf.h"
#include "yamljson/yamljson-internal.h"
#include "yamljson/yamljson.h"

struct dump {
    yaml_emitter_t emitter;
    struct buf out;
    int write_error;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    struct dump *d = data;

    d->write_error = buf_append(&d->out, buffer, size);
    return d->write_error >= 0;
}

/* Hands the event to the emitter (which owns it from then on). */
static int emit(struct dump *d, yaml_event_t *e)
{
    if (yaml_emitter_emit(&d->emitter, e))
        return 0;
    if (d->write_error < 0)
        return d->write_error;
    return d->emitter.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
}

static bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        size_t n = u[i] < 0x80 ? 1 : u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : u[i] >= 0xc2 ? 2 : 0;
        if (n == 0 || n > len - i || u[i] > 0xf4)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((u[i + k] & 0xc0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

static int emit_scalar(struct dump *d, const char *s, size_t len, yaml_scalar_style_t style)
{
    yaml_event_t e;

    if (!utf8_valid(s, len))
        return -EINVAL;
    if (!yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
        return -ENOMEM;
    return emit(d, &e);
}

static int emit_string(struct dump *d, const char *s, size_t len, bool key)
{
    yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

    if (len > (size_t)INT32_MAX)
        return -E2BIG;
    if (yamljson_plain_needs_quotes(s, len))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    else if (memchr(s, '\n', len))
        /* The emitter falls back to double quotes where a literal block
         * would not read back exactly. */
        style = key ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
    return emit_scalar(d, s, len, style);
}

/* The shortest %g form that reads back as the same double, always with a
 * '.' or an exponent so that it resolves as a float, not an integer. */
static void format_real(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        strncat(buf, ".0", size - strlen(buf) - 1);
}

static int emit_value(struct dump *d, const json_t *v, size_t depth)
{
    char text[64];
    yaml_event_t e;
    const char *key;
    size_t key_len, idx;
    json_t *child;
    int r;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (depth >= YAMLJSON_MAX_DUMP_DEPTH)
            return -ELOOP;
        if (!yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
            return -ENOMEM;
        r = emit(d, &e);
        json_object_keylen_foreach((json_t *)v, key, key_len, child)
        {
            if (r >= 0)
                r = emit_string(d, key, key_len, true);
            if (r >= 0)
                r = emit_value(d, child, depth + 1);
        }
        if (r < 0)
            return r;
        yaml_mapping_end_event_initialize(&e);
        return emit(d, &e);
    case JSON_ARRAY:
        if (depth >= YAMLJSON_MAX_DUMP_DEPTH)
            return -ELOOP;
        if (!yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
            return -ENOMEM;
        r = emit(d, &e);
        json_array_foreach(v, idx, child)
        {
            if (r >= 0)
                r = emit_value(d, child, depth + 1);
        }
        if (r < 0)
            return r;
        yaml_sequence_end_event_initialize(&e);
        return emit(d, &e);
    case JSON_STRING:
        return emit_string(d, json_string_value(v), json_string_length(v), false);
    case JSON_INTEGER:
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(d, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        format_real(json_real_value(v), text, sizeof(text));
        return emit_scalar(d, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE:
        return emit_scalar(d, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(d, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    default:
        return emit_scalar(d, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
}

static int emit_document(struct dump *d, const json_t *v)
{
    yaml_event_t e;
    int r;

    if (!yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING))
        return -ENOMEM;
    r = emit(d, &e);
    if (r < 0)
        return r;
    if (!yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1))
        return -ENOMEM;
    r = emit(d, &e);
    if (r < 0)
        return r;
    r = emit_value(d, v, 0);
    if (r < 0)
        return r;
    if (!yaml_document_end_event_initialize(&e, 1))
        return -ENOMEM;
    r = emit(d, &e);
    if (r < 0)
        return r;
    if (!yaml_stream_end_event_initialize(&e))
        return -ENOMEM;
    r = emit(d, &e);
    if (r < 0)
        return r;
    return yaml_emitter_flush(&d->emitter) ? 0 : (d->write_error < 0 ? d->write_error : -ENOMEM);
}

int yamljson_dump(const json_t *v, char **ret)
{
    _cleanup_free_ struct dump *d = NULL;
    char *text;
    int r;

    assert_return(v, -EINVAL);
    assert_return(ret, -EINVAL);

    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    if (!yaml_emitter_initialize(&d->emitter))
        return -ENOMEM;
    d->out = BUF_INIT(YAMLJSON_MAX_DUMP_BYTES);
    yaml_emitter_set_output(&d->emitter, write_handler, d);
    yaml_emitter_set_unicode(&d->emitter, 1);
    yaml_emitter_set_width(&d->emitter, -1);
    yaml_emitter_set_indent(&d->emitter, 2);
    yaml_emitter_set_break(&d->emitter, YAML_LN_BREAK);

    r = emit_document(d, v);
    yaml_emitter_delete(&d->emitter);
    if (r < 0) {
        buf_free(&d->out);
        return r;
    }
    text = buf_take(&d->out, NULL);
    if (!text)
        return -ENOMEM;
    *ret = text;
    return 0;
}
