/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compact mode's entry encoding: an object's compact JSON text, deflated
 * against a dictionary made of earlier objects of the same store. Objects
 * of one kind share almost all of their text (keys, labels, template
 * output), so the first object as a preset dictionary shrinks the next ones
 * several times more than deflate alone (a discovered Hardware: 890 -> ~100
 * bytes; a finished Workflow: 1450 -> ~200). Reads inflate (a few
 * microseconds) before the parse they already paid for.
 *
 * Encoding, held in the entry's block:
 *   0xff, text                    stored as is (deflate did not help)
 *   dict index, u32 LE length, raw deflate data (RFC 1951) under that dict
 *
 * Dictionaries are added, never changed or removed, under the write lock
 * (store_entry_build); readers hold at least the read lock, so an index in
 * an entry always names a dictionary that exists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/json-cleanup.h"
#include "base/macro.h"
#include "informer/informer-internal.h"

#define TAG_RAW    0xff
#define HEADER_LEN 5
#define WBITS      14 /* 16 KiB window: raw deflate is -WBITS */
#define MEMLEVEL   6  /* ~96 KiB of deflate state, freed after each object */

/* Deflates text under dict into out (capacity cap). Returns the length, or
 * -ENOBUFS when it does not fit, -ENOMEM. */
static int deflate_with(const unsigned char *dict, size_t dict_len, const char *text, size_t len,
                        unsigned char *out, size_t cap)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -WBITS, MEMLEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    int r = dict ? deflateSetDictionary(&z, dict, (uInt)dict_len) : Z_OK;
    if (r == Z_OK) {
        z.next_in = (unsigned char *)text;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        r = deflate(&z, Z_FINISH);
    }
    size_t n = z.total_out;
    deflateEnd(&z);
    if (r != Z_STREAM_END)
        return r == Z_OK || r == Z_BUF_ERROR ? -ENOBUFS : -ENOMEM;
    return (int)n;
}

/* Adds text as the next dictionary. 0, or -ENOSPC when there is no room or
 * the text is too long to be one, -ENOMEM. */
static int dict_add(struct store *s, const char *text, size_t len)
{
    if (s->n_dicts >= STORE_DICT_MAX || len > STORE_DICT_LEN_MAX)
        return -ENOSPC;
    unsigned char *d = malloc(len);
    if (!d)
        return -ENOMEM;
    memcpy(d, text, len);
    s->dicts[s->n_dicts].data = d;
    s->dicts[s->n_dicts].len = len;
    s->n_dicts++;
    return 0;
}

int store_compact_pack(struct store *s,
                       const char *text,
                       size_t len,
                       unsigned char **ret,
                       size_t *ret_len)
{
    if (len > UINT32_MAX || len > INT32_MAX / 2)
        return -E2BIG;
    /* The first object of the store is the first dictionary. */
    if (s->n_dicts == 0)
        (void)dict_add(s, text, len);
    size_t cap = HEADER_LEN + len;
    _cleanup_free_ unsigned char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    int n = -ENOBUFS;
    size_t di = 0;
    if (s->n_dicts > 0) {
        di = s->n_dicts - 1;
        n = deflate_with(s->dicts[di].data, s->dicts[di].len, text, len, buf + HEADER_LEN,
                         cap - HEADER_LEN);
        if (n == -ENOMEM)
            return n;
        /* Poorly served by the newest dictionary (another shape of object,
         * such as a rendered Workflow after pending ones): it becomes one. */
        if ((n < 0 || (size_t)n > len / 2) && dict_add(s, text, len) == 0) {
            di = s->n_dicts - 1;
            n = deflate_with(s->dicts[di].data, s->dicts[di].len, text, len, buf + HEADER_LEN,
                             cap - HEADER_LEN);
            if (n == -ENOMEM)
                return n;
        }
    }
    if (n < 0) { /* stored as is */
        buf[0] = TAG_RAW;
        memcpy(buf + 1, text, len);
        *ret_len = 1 + len;
    } else {
        buf[0] = (unsigned char)di;
        for (int i = 0; i < 4; i++)
            buf[1 + i] = (unsigned char)(len >> (8 * i));
        *ret_len = HEADER_LEN + (size_t)n;
    }
    *ret = TAKE_PTR(buf);
    return 0;
}

json_t *store_compact_unpack(const struct store *s, const unsigned char *p, size_t plen)
{
    if (!p || plen < 1)
        return NULL;
    if (p[0] == TAG_RAW)
        return json_loadb((const char *)p + 1, plen - 1, 0, NULL);
    if (plen < HEADER_LEN || p[0] >= s->n_dicts)
        return NULL;
    size_t len = 0;
    for (int i = 0; i < 4; i++)
        len |= (size_t)p[1 + i] << (8 * i);
    _cleanup_free_ char *text = malloc(len ? len : 1);
    if (!text)
        return NULL;
    z_stream z = {0};
    if (inflateInit2(&z, -WBITS) != Z_OK)
        return NULL;
    int r = inflateSetDictionary(&z, s->dicts[p[0]].data, (uInt)s->dicts[p[0]].len);
    if (r == Z_OK) {
        z.next_in = (unsigned char *)p + HEADER_LEN;
        z.avail_in = (uInt)(plen - HEADER_LEN);
        z.next_out = (unsigned char *)text;
        z.avail_out = (uInt)len;
        r = inflate(&z, Z_FINISH);
    }
    bool ok = r == Z_STREAM_END && z.total_out == len;
    inflateEnd(&z);
    return ok ? json_loadb(text, len, 0, NULL) : NULL;
}

void store_compact_done(struct store *s)
{
    for (size_t i = 0; i < s->n_dicts; i++)
        free(s->dicts[i].data);
    s->n_dicts = 0;
}
