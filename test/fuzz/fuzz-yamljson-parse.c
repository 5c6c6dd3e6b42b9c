/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML parser: any bytes are parsed as one document and as a stream; every
 * document parsed is dumped, and the dump must parse back to an equal value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "yamljson/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const json_t *v)
{
    struct yamljson_error err;
    json_t *back = NULL;
    char *text = NULL;
    int r;

    r = yamljson_dump(v, &text);
    if (r == -ENOMEM)
        return;
    if (r != 0)
        abort();
    r = yamljson_parse(text, strlen(text), &back, &err);
    if (r != -ENOMEM && (r != 0 || !json_equal(v, back)))
        abort();
    json_decref(back);
    free(text);
}

static void check_error(int r, const struct yamljson_error *err)
{
    if (r == -ENOMEM)
        return;
    if (r != -EBADMSG && r != -E2BIG && r != -ENODATA)
        abort();
    if (err->line < 1 || err->column < 1 || !memchr(err->message, '\0', sizeof(err->message)) ||
        err->message[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yamljson_error err;
    json_t *v = NULL, *all = NULL;
    size_t i;
    int r;

    if (size > 64 * 1024)
        return 0;

    memset(&err, 0, sizeof(err));
    r = yamljson_parse((const char *)data, size, &v, &err);
    if (r == 0)
        check_round_trip(v);
    else
        check_error(r, &err);
    json_decref(v);

    memset(&err, 0, sizeof(err));
    r = yamljson_parse_all((const char *)data, size, &all, &err);
    if (r == 0) {
        json_t *doc;
        json_array_foreach(all, i, doc)
        {
            check_round_trip(doc);
        }
    } else if (r == -E2BIG || r == -ENODATA)
        abort(); /* only yamljson_parse() gives these */
    else
        check_error(r, &err);
    json_decref(all);
    return 0;
}
