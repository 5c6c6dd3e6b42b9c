/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delay heap (client-go's waitForPriorityQueue): a binary min-heap of
 * entries ordered by deadline. Each entry records its index so a repeated
 * wq_add_after() with an earlier deadline can move it in O(log n). Equal
 * deadlines come out in the order they were set, which client-go leaves
 * unspecified; a fixed order keeps tests and fuzz replays deterministic.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "workqueue/workqueue-internal.h"

#define WQ_HEAP_MIN_CAP ((size_t)16)

static bool heap_less(const struct wq_entry *a, const struct wq_entry *b)
{
    if (a->ready_ms != b->ready_ms)
        return a->ready_ms < b->ready_ms;
    return a->heap_seq < b->heap_seq;
}

static void heap_set(struct wq_heap *h, size_t i, struct wq_entry *e)
{
    h->items[i] = e;
    e->heap_idx = i;
}

static void sift_up(struct wq_heap *h, size_t i)
{
    struct wq_entry *e = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(e, h->items[parent]))
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, e);
}

static void sift_down(struct wq_heap *h, size_t i)
{
    struct wq_entry *e = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && heap_less(h->items[child + 1], h->items[child]))
            child++;
        if (!heap_less(h->items[child], e))
            break;
        heap_set(h, i, h->items[child]);
        i = child;
    }
    heap_set(h, i, e);
}

int wq_heap_push(struct wq_heap *h, struct wq_entry *e, uint64_t ready_ms)
{
    assert(e->heap_idx == WQ_HEAP_NONE);
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : WQ_HEAP_MIN_CAP;
        if (cap < h->cap || cap > SIZE_MAX / sizeof(*h->items))
            return -ENOMEM;
        struct wq_entry **items = realloc(h->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    e->ready_ms = ready_ms;
    e->heap_seq = h->next_seq++;
    heap_set(h, h->len++, e);
    sift_up(h, e->heap_idx);
    return 0;
}

void wq_heap_decrease(struct wq_heap *h, struct wq_entry *e, uint64_t ready_ms)
{
    assert(e->heap_idx < h->len && h->items[e->heap_idx] == e);
    assert(ready_ms < e->ready_ms);
    e->ready_ms = ready_ms;
    e->heap_seq = h->next_seq++;
    sift_up(h, e->heap_idx);
}

struct wq_entry *wq_heap_peek(const struct wq_heap *h)
{
    return h->len > 0 ? h->items[0] : NULL;
}

struct wq_entry *wq_heap_pop(struct wq_heap *h)
{
    assert(h->len > 0);
    struct wq_entry *top = h->items[0];
    h->len--;
    if (h->len > 0) {
        heap_set(h, 0, h->items[h->len]);
        sift_down(h, 0);
    }
    top->heap_idx = WQ_HEAP_NONE;
    return top;
}

void wq_heap_done(struct wq_heap *h)
{
    free(h->items);
    *h = (struct wq_heap){0};
}
