/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore compaction: bounds the revision log while keeping every revision
 * at or above the compacted revision reconstructable.
 *
 * A row of the log may go once it can no longer be the answer to "the newest
 * row of this key at or below R" for any R >= the target T, that is when a
 * newer row of the same key exists at or below T, or when it is a DELETED
 * tombstone at or below T (a key absent at T needs no row). What stays at or
 * below T is exactly one live row per key that existed at T.
 */
#include <errno.h>
#include <stdint.h>

#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

/* Compacts (s->compacted, hi] in one transaction and persists the compacted
 * revision together with the current revision (which must survive even if
 * this empties the log). */
static int compact_batch(struct apistore *s, uint64_t hi)
{
    int r = apistore_tx_begin(s);
    if (r < 0)
        return r;
    sqlite3_stmt *st = apistore_stmt(s, STMT_COMPACT_DELETE);
    r = apistore_bind_u64(st, 1, s->compacted);
    if (r == 0)
        r = apistore_bind_u64(st, 2, hi);
    if (r == 0)
        r = apistore_stmt_exec(st);
    else
        apistore_stmt_done(st);
    uint64_t deleted = r == 0 ? (uint64_t)sqlite3_changes(s->db) : 0;
    if (r == 0)
        r = apistore_meta_set(s, "compacted", hi);
    if (r == 0)
        r = apistore_meta_set(s, "revision", s->rev);
    if (r == 0)
        r = apistore_tx_commit(s);
    if (r < 0) {
        apistore_tx_rollback(s);
        return r;
    }
    s->compacted = hi;
    s->stats.compactions++;
    s->stats.events_deleted += deleted;
    return 0;
}

int apistore_compact(struct apistore *s, uint64_t target_rev)
{
    assert_return(s, -EINVAL);
    APISTORE_ENTER(s);
    if (target_rev > s->rev)
        return -ERANGE;
    if (target_rev <= s->compacted)
        return 0;
    while (s->compacted < target_rev) {
        uint64_t hi = MIN(target_rev, s->compacted + APISTORE_COMPACT_BATCH);
        int r = compact_batch(s, hi);
        if (r < 0)
            return r;
    }
    /* Only a statistic: a failure to read it is not a compaction failure. */
    (void)apistore_refresh_db_bytes(s);
    return 1;
}

/* The first revision in (lo, hi] whose event is newer than cutoff, or 0. */
static int
first_in_window(struct apistore *s, uint64_t lo, uint64_t hi, int64_t cutoff, uint64_t *ret)
{
    sqlite3_stmt *st = apistore_stmt(s, STMT_COMPACT_WINDOW);
    int r = apistore_bind_u64(st, 1, lo);
    if (r == 0)
        r = apistore_bind_u64(st, 2, hi);
    if (r == 0)
        r = apistore_sql_errno(sqlite3_bind_int64(st, 3, cutoff));
    int rc = r == 0 ? sqlite3_step(st) : SQLITE_OK;
    if (r == 0 && rc != SQLITE_ROW)
        r = apistore_sql_errno(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    if (r == 0) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0); /* NULL (none) reads 0 */
        *ret = v > 0 ? (uint64_t)v : 0;
    }
    apistore_stmt_done(st);
    return r;
}

int apistore_maintain(struct apistore *s, int64_t now_sec)
{
    assert_return(s, -EINVAL);
    APISTORE_ENTER(s);
    /* Keep the size statistic fresh at the maintenance cadence. */
    (void)apistore_refresh_db_bytes(s);
    if (s->rev <= s->retain_min)
        return 0;
    uint64_t hi = MIN(s->rev - s->retain_min, s->compacted + APISTORE_COMPACT_BATCH);
    if (hi <= s->compacted)
        return 0;

    int64_t cutoff = now_sec >= INT64_MIN + s->window_sec ? now_sec - s->window_sec : INT64_MIN;
    uint64_t first = 0;
    int r = first_in_window(s, s->compacted, hi, cutoff, &first);
    if (r < 0)
        return r;
    if (first > 0)
        hi = first - 1;
    if (hi <= s->compacted)
        return 0;

    r = compact_batch(s, hi);
    return r < 0 ? r : 1;
}
