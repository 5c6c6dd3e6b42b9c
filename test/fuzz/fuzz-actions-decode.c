/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image2disk decompressor on untrusted bytes. The first byte picks the
 * format (auto, none, gzip, xz, zstd, bzip2) and the second the chunk size
 * the rest is fed in, so the fuzzer controls where the stream is split.
 * Output is counted and capped (a bomb stops at the cap); any return must
 * be one of the documented errors, and a finished stream's counters must
 * add up.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "actions/actions-internal.h"

#define OUT_CAP (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(const void *p, size_t len, void *userdata)
{
    uint64_t *total = userdata;
    (void)p;
    *total += len;
    return *total > OUT_CAP ? -EFBIG : 0;
}

static void check(int r)
{
    if (r != 0 && r != -EBADMSG && r != -EPIPE && r != -EFBIG && r != -E2BIG && r != -ENOMEM)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1024 * 1024)
        return 0;
    enum actions_compression c = (enum actions_compression)(data[0] % _ACTIONS_COMPRESSION_MAX);
    size_t chunk = (size_t)data[1] * 7 + 1;
    data += 2;
    size -= 2;
    uint64_t total = 0;
    struct actions_decoder *d = NULL;
    if (actions_decoder_new(&d, c, 64u * 1024u * 1024u, sink, &total) < 0)
        return 0;
    int r = 0;
    for (size_t off = 0; off < size && r == 0; off += chunk)
        r = actions_decoder_feed(d, data + off, size - off < chunk ? size - off : chunk);
    check(r);
    if (r == 0) {
        r = actions_decoder_finish(d);
        check(r);
        if (actions_decoder_bytes_in(d) != size)
            abort();
        if (actions_decoder_bytes_out(d) != total)
            abort();
        if (r == 0 && actions_decoder_format(d) == ACTIONS_COMPRESSION_NONE && total != size)
            abort();
    } else if (actions_decoder_finish(d) != r || !actions_decoder_error(d)[0]) {
        abort(); /* errors stick and carry a message */
    }
    actions_decoder_free(d);
    return 0;
}
