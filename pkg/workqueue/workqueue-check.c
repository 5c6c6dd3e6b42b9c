/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structural self-check for tests and the fuzzer: every set, list and
 * counter must agree with the per-key records.
 */
#include <errno.h>
#include <stdint.h>

#include "workqueue/workqueue-internal.h"

static int check_entry(const struct wq *q, const struct wq_entry *e, size_t bucket)
{
    if ((e->hash & (q->table.n_buckets - 1)) != bucket)
        return -EUCLEAN;
    if (!(e->dirty || e->processing || e->heap_idx != WQ_HEAP_NONE || e->failures > 0))
        return -EUCLEAN; /* a record nothing refers to should be gone */
    if (e->queued != (e->dirty && !e->processing))
        return -EUCLEAN;
    if (e->key_len == 0 || e->key_len > q->max_key_len || e->key[e->key_len] != '\0')
        return -EUCLEAN;
    if (e->heap_idx != WQ_HEAP_NONE &&
        (e->heap_idx >= q->heap.len || q->heap.items[e->heap_idx] != e))
        return -EUCLEAN;
    if (wq_table_find(&q->table, e->key, e->key_len) != e)
        return -EUCLEAN;
    return 0;
}

static int check_table(const struct wq *q, size_t *ret_dirty, size_t *ret_proc, size_t *ret_queued)
{
    size_t n = 0, dirty = 0, proc = 0, queued = 0;
    for (size_t i = 0; i < q->table.n_buckets; i++)
        for (const struct wq_entry *e = q->table.buckets[i]; e; e = e->hash_next) {
            int r = check_entry(q, e, i);
            if (r < 0)
                return r;
            n++;
            dirty += e->dirty;
            proc += e->processing;
            queued += e->queued;
        }
    if (n != q->table.n_entries || n > q->max_keys)
        return -EUCLEAN;
    *ret_dirty = dirty;
    *ret_proc = proc;
    *ret_queued = queued;
    return 0;
}

static int check_lists(const struct wq *q)
{
    size_t n = 0;
    const struct wq_entry *last = NULL;
    for (const struct wq_entry *e = q->queue_head; e; e = e->queue_next) {
        if (!e->queued || ++n > q->n_queued)
            return -EUCLEAN;
        last = e;
    }
    if (n != q->n_queued || last != q->queue_tail)
        return -EUCLEAN;

    n = 0;
    const struct wq_entry *prev = NULL;
    for (const struct wq_entry *e = q->proc_head; e; e = e->proc_next) {
        if (!e->processing || e->proc_prev != prev || ++n > q->n_processing)
            return -EUCLEAN;
        prev = e;
    }
    return n == q->n_processing ? 0 : -EUCLEAN;
}

static int check_heap(const struct wq *q)
{
    for (size_t i = 0; i < q->heap.len; i++) {
        const struct wq_entry *e = q->heap.items[i];
        if (e->heap_idx != i)
            return -EUCLEAN;
        if (i > 0) {
            const struct wq_entry *p = q->heap.items[(i - 1) / 2];
            if (p->ready_ms > e->ready_ms ||
                (p->ready_ms == e->ready_ms && p->heap_seq > e->heap_seq))
                return -EUCLEAN;
        }
    }
    return 0;
}

int wq_check_invariants(struct wq *q)
{
    size_t dirty, proc, queued;
    int r = check_table(q, &dirty, &proc, &queued);
    if (r < 0)
        return r;
    if (dirty != q->n_dirty || proc != q->n_processing || queued != q->n_queued)
        return -EUCLEAN;
    r = check_lists(q);
    if (r < 0)
        return r;
    r = check_heap(q);
    if (r < 0)
        return r;
    /* The bucket never holds more than its burst. */
    if (q->bucket.mtokens > (int64_t)q->bucket.burst * 1000)
        return -EUCLEAN;
    return 0;
}
