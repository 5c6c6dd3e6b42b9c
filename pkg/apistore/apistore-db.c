/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore database handling: open/close, pragmas, schema, the statement
 * cache, the meta table and the SQLite error mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

#define APISTORE_SCHEMA_VERSION 1

/*
 * objects: the current state, one row per key (lists and gets).
 * events:  the revision log, one row per write; rev is the rowid, so replay
 *          "rev > N" is a range scan. events_key serves list_at (newest row
 *          of a key at or below a revision) and compaction.
 * meta:    "revision" and "compacted", written by compaction so the counter
 *          never goes backwards even when the log is emptied.
 */
static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS meta("
        "  key TEXT PRIMARY KEY,"
        "  value INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS objects("
        "  res TEXT NOT NULL,"
        "  ns TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  rev INTEGER NOT NULL,"
        "  labels TEXT NOT NULL,"
        "  body TEXT NOT NULL,"
        "  PRIMARY KEY(res, ns, name));"
        "CREATE TABLE IF NOT EXISTS events("
        "  rev INTEGER PRIMARY KEY,"
        "  res TEXT NOT NULL,"
        "  ns TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  type TEXT NOT NULL CHECK(type IN ('ADDED', 'MODIFIED', 'DELETED')),"
        "  ts INTEGER NOT NULL,"
        "  labels TEXT NOT NULL,"
        "  body TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS events_key ON events(res, ns, name, rev);"
        "PRAGMA user_version = 1;";

/* The newest row of a key at or below ?5, unless it is a tombstone. */
#define LIST_AT_SQL(nsfilter, order)                                              \
    "SELECT e.ns, e.name, e.rev, e.labels, e.body FROM events e"                  \
    " WHERE e.res = ?1 " nsfilter " AND (?4 IS NULL OR e.name = ?4)"              \
    " AND e.rev <= ?5 AND e.type <> 'DELETED'"                                    \
    " AND e.rev = (SELECT MAX(x.rev) FROM events x"                               \
    "   WHERE x.res = e.res AND x.ns = e.ns AND x.name = e.name AND x.rev <= ?5)" \
    " ORDER BY " order " LIMIT ?6"

static const char *const stmt_sql[_STMT_MAX] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",
        [STMT_OBJ_GET] = "SELECT rev, body FROM objects WHERE res = ?1 AND ns = ?2 AND name = ?3",
        [STMT_OBJ_INSERT] = "INSERT INTO objects(res, ns, name, rev, labels, body)"
                            " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                            " ON CONFLICT(res, ns, name) DO NOTHING",
        [STMT_OBJ_UPDATE] = "UPDATE objects SET rev = ?4, labels = ?5, body = ?6"
                            " WHERE res = ?1 AND ns = ?2 AND name = ?3"
                            " AND (?7 = 0 OR rev = ?7)",
        [STMT_OBJ_DELETE] = "DELETE FROM objects WHERE res = ?1 AND ns = ?2 AND name = ?3",
        [STMT_EV_INSERT] = "INSERT INTO events(rev, res, ns, name, type, ts, labels, body)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        /* ?2/?3: start strictly after (ns, name); ?4: exact name; ?5: limit */
        [STMT_LIST_ALL] = "SELECT ns, name, rev, labels, body FROM objects"
                          " WHERE res = ?1 AND (ns, name) > (?2, ?3)"
                          " AND (?4 IS NULL OR name = ?4)"
                          " ORDER BY ns, name LIMIT ?5",
        [STMT_LIST_NS] = "SELECT ns, name, rev, labels, body FROM objects"
                         " WHERE res = ?1 AND ns = ?2 AND name > ?3"
                         " AND (?4 IS NULL OR name = ?4)"
                         " ORDER BY name LIMIT ?5",
        [STMT_LIST_AT_ALL] = LIST_AT_SQL("AND (e.ns, e.name) > (?2, ?3)", "e.ns, e.name"),
        [STMT_LIST_AT_NS] = LIST_AT_SQL("AND e.ns = ?2 AND e.name > ?3", "e.name"),
        /* "+res": walk the rowid range after ?1 (what a watch replays) instead
         * of every event of the resource through events_key plus a sort. */
        [STMT_EVENTS_ALL] = "SELECT ns, name, rev, type, labels, body FROM events"
                            " WHERE rev > ?1 AND +res = ?2 ORDER BY rev",
        [STMT_EVENTS_NS] = "SELECT ns, name, rev, type, labels, body FROM events"
                           " WHERE rev > ?1 AND +res = ?2 AND +ns = ?3 ORDER BY rev",
        [STMT_RESOURCES] = "SELECT DISTINCT res FROM objects ORDER BY res",
        [STMT_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                          " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        /* Rows superseded by a newer row of the same key inside (?1, ?2],
         * and tombstones inside (?1, ?2]. Rows at or below ?1 were compacted
         * before, so the survivors there are the newest live row of their
         * key; they only go once a newer row of the key enters the batch. */
        [STMT_COMPACT_DELETE] = "DELETE FROM events WHERE rev IN ("
                                "  SELECT o.rev FROM events n JOIN events o"
                                "    ON o.res = n.res AND o.ns = n.ns AND o.name = n.name"
                                "    AND o.rev < n.rev"
                                "  WHERE n.rev > ?1 AND n.rev <= ?2)"
                                " OR (rev > ?1 AND rev <= ?2 AND type = 'DELETED')",
        /* The first revision in (?1, ?2] that is inside the time window. */
        [STMT_COMPACT_WINDOW] = "SELECT MIN(rev) FROM events WHERE rev > ?1 AND rev <= ?2"
                                " AND ts > ?3",
};

int apistore_sql_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

sqlite3_stmt *apistore_stmt(struct apistore *s, enum apistore_stmt id)
{
    sqlite3_stmt *st = s->stmt[id];
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return st;
}

void apistore_stmt_done(sqlite3_stmt *st)
{
    /* reset() repeats the error of the last step, which was already handled. */
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
}

int apistore_stmt_exec(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    apistore_stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : apistore_sql_errno(rc);
}

int apistore_bind_text(sqlite3_stmt *st, int idx, const char *text, size_t len)
{
    if (len > INT_MAX)
        return -E2BIG;
    return apistore_sql_errno(sqlite3_bind_text(st, idx, text, (int)len, SQLITE_STATIC));
}

int apistore_bind_u64(sqlite3_stmt *st, int idx, uint64_t v)
{
    if (v > INT64_MAX)
        return -ERANGE;
    return apistore_sql_errno(sqlite3_bind_int64(st, idx, (sqlite3_int64)v));
}

int apistore_tx_begin(struct apistore *s)
{
    return apistore_stmt_exec(apistore_stmt(s, STMT_BEGIN));
}

int apistore_tx_commit(struct apistore *s)
{
    return apistore_stmt_exec(apistore_stmt(s, STMT_COMMIT));
}

void apistore_tx_rollback(struct apistore *s)
{
    /* Some errors (SQLITE_FULL, IOERR, NOMEM) roll the transaction back
     * themselves; then this fails harmlessly. */
    if (sqlite3_get_autocommit(s->db))
        return;
    (void)apistore_stmt_exec(apistore_stmt(s, STMT_ROLLBACK));
}

int apistore_meta_set(struct apistore *s, const char *key, uint64_t value)
{
    sqlite3_stmt *st = apistore_stmt(s, STMT_META_SET);
    int r = apistore_bind_text(st, 1, key, strlen(key));
    if (r == 0)
        r = apistore_bind_u64(st, 2, value);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    return apistore_stmt_exec(st);
}

/* Runs a one-shot query returning one integer (NULL reads as 0). */
static int query_u64(sqlite3 *db, const char *sql, const char *arg, uint64_t *ret)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return apistore_sql_errno(rc);
    if (arg)
        rc = sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int r = 0;
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);
        *ret = v > 0 ? (uint64_t)v : 0;
    } else if (rc == SQLITE_DONE) {
        *ret = 0;
    } else {
        r = apistore_sql_errno(rc);
    }
    (void)sqlite3_finalize(st);
    return r;
}

int apistore_refresh_db_bytes(struct apistore *s)
{
    uint64_t pages, page_size;
    int r = query_u64(s->db, "PRAGMA page_count", NULL, &pages);
    if (r < 0)
        return r;
    r = query_u64(s->db, "PRAGMA page_size", NULL, &page_size);
    if (r < 0)
        return r;
    s->stats.db_bytes = pages * page_size;
    return 0;
}

static int64_t clock_realtime(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return 0;
    return (int64_t)ts.tv_sec;
}

int64_t apistore_now(struct apistore *s)
{
    return s->clock(s->clock_userdata);
}

void apistore_set_clock(struct apistore *s, apistore_clock_fn clock, void *userdata)
{
    s->clock = clock ? clock : clock_realtime;
    s->clock_userdata = clock ? userdata : NULL;
}

/* Errors of sqlite3_open_v2 and file I/O carry the real errno; prefer it. */
static int open_errno(sqlite3 *db, int rc)
{
    int prim = rc & 0xff;
    if (db && (prim == SQLITE_CANTOPEN || prim == SQLITE_IOERR || prim == SQLITE_PERM)) {
        int e = sqlite3_system_errno(db);
        if (e > 0)
            return -e;
    }
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        return -EBADMSG;
    return apistore_sql_errno(rc);
}

/* journal_mode=WAL reports the mode in force instead of failing; an in-memory
 * database stays in "memory" mode, anything else must now be "wal". */
static int check_journal_mode(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return apistore_sql_errno(rc);
    int r = -EIO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0))
            r = 0;
    } else {
        r = open_errno(db, rc);
    }
    (void)sqlite3_finalize(st);
    return r;
}

/*
 * Durability: in WAL mode a commit appends its frames to the -wal file with
 * write(2) before COMMIT returns. From then on the data lives in the kernel's
 * page cache, which a crash of this process (SIGKILL, abort) does not touch;
 * the next open replays the WAL. So with synchronous=NORMAL no acknowledged
 * write is lost when the process dies. NORMAL only skips the fsync of the WAL
 * at each commit (it still syncs at checkpoints): after a power loss or kernel
 * crash the newest transactions may be rolled back, but the database stays
 * consistent. synchronous=FULL fsyncs the WAL at every commit and also
 * survives power loss, at the price of one fsync per write.
 *
 * Checkpoints run every 4000 WAL pages (16 MiB with 4 KiB pages) instead of
 * SQLite's 1000: a write touches about four pages (objects row and key index,
 * events row and key index), and checkpointing four times less often roughly
 * doubles create throughput. They run on a helper thread with its own
 * connection (apistore-checkpoint.c); wal_autocheckpoint stays as the policy
 * of a store without the helper. journal_size_limit trims the WAL file back
 * to 64 MiB after a checkpoint if it ever grew past that.
 *
 * One process per database: the revision counter lives in this process, so
 * a second writer would break it. An flock() on the database file, taken at
 * open and held until close, keeps a second process out (locking_mode stays
 * NORMAL so that the checkpointer's connection can share the file).
 */
static int setup_pragmas(sqlite3 *db, const struct apistore_opts *opts)
{
    char sql[256];
    int n = snprintf(sql, sizeof(sql),
                     "PRAGMA journal_mode = WAL;"
                     "PRAGMA synchronous = %s;"
                     "PRAGMA cache_size = -16384;"
                     "PRAGMA temp_store = MEMORY;"
                     "PRAGMA wal_autocheckpoint = %d;"
                     "PRAGMA journal_size_limit = 67108864;",
                     opts->sync_full ? "FULL" : "NORMAL", APISTORE_CHECKPOINT_PAGES);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return -EINVAL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return open_errno(db, rc);
    return check_journal_mode(db);
}

static int setup_schema(sqlite3 *db)
{
    uint64_t version;
    int r = query_u64(db, "PRAGMA user_version", NULL, &version);
    if (r < 0)
        return r;
    if (version > APISTORE_SCHEMA_VERSION)
        return -ENOTSUP;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        r = open_errno(db, rc);
        if (!sqlite3_get_autocommit(db))
            (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return 0;
}

/* The revision is the largest of: the newest event, the newest object and
 * the value compaction saved (the log may have been emptied). */
static int load_revisions(struct apistore *s)
{
    uint64_t ev, obj, meta_rev, meta_compacted;
    int r = query_u64(s->db, "SELECT MAX(rev) FROM events", NULL, &ev);
    if (r == 0)
        r = query_u64(s->db, "SELECT MAX(rev) FROM objects", NULL, &obj);
    if (r == 0)
        r = query_u64(s->db, "SELECT value FROM meta WHERE key = ?1", "revision", &meta_rev);
    if (r == 0)
        r = query_u64(s->db, "SELECT value FROM meta WHERE key = ?1", "compacted", &meta_compacted);
    if (r < 0)
        return r;
    s->rev = MAX(MAX(ev, obj), meta_rev);
    s->compacted = MIN(meta_compacted, s->rev);
    return 0;
}

static int prepare_statements(struct apistore *s)
{
    for (size_t i = 0; i < _STMT_MAX; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                                    NULL);
        if (rc != SQLITE_OK)
            return apistore_sql_errno(rc);
    }
    return 0;
}

/*
 * Takes the flock() that keeps a second process off the database file,
 * retrying for up to busy_ms; -EBUSY when another process keeps it. Nothing
 * to do for an in-memory database.
 */
static int lock_database(struct apistore *s, uint32_t busy_ms)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    if (!path || !path[0])
        return 0;
    s->lock_fd = open(path, O_RDWR | O_CLOEXEC);
    if (s->lock_fd < 0)
        return -errno;
    for (uint32_t waited = 0;; waited += 10) {
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -errno;
        if (waited >= busy_ms)
            return -EBUSY;
        (void)nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
}

static void apistore_freep(struct apistore **p)
{
    apistore_free(*p);
}

int apistore_open(struct apistore **ret, const struct apistore_opts *opts)
{
    assert_return(ret, -EINVAL);
    assert_return(opts && opts->path && opts->path[0], -EINVAL);
    assert_return(opts->window_sec >= 0, -EINVAL);
    assert_return(opts->busy_timeout_ms <= INT_MAX, -EINVAL);

    _cleanup_(apistore_freep) struct apistore *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->retain_min = opts->retain_min ? opts->retain_min : APISTORE_RETAIN_MIN_DEFAULT;
    s->window_sec = opts->window_sec ? opts->window_sec : APISTORE_WINDOW_SEC_DEFAULT;
    apistore_set_clock(s, NULL, NULL);
    s->lock_fd = -1;

    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(opts->path, &s->db, flags, NULL);
    if (rc != SQLITE_OK)
        return s->db ? open_errno(s->db, rc) : -ENOMEM;
    uint32_t busy =
            opts->busy_timeout_ms ? opts->busy_timeout_ms : APISTORE_BUSY_TIMEOUT_MS_DEFAULT;
    rc = sqlite3_busy_timeout(s->db, (int)busy);
    if (rc != SQLITE_OK)
        return apistore_sql_errno(rc);

    int r = lock_database(s, busy);
    if (r < 0)
        return r;
    r = setup_pragmas(s->db, opts);
    if (r < 0)
        return r;
    r = setup_schema(s->db);
    if (r < 0)
        return r;
    r = load_revisions(s);
    if (r < 0)
        return r;
    r = prepare_statements(s);
    if (r < 0)
        return r;
    r = apistore_refresh_db_bytes(s);
    if (r < 0)
        return r;
    r = apistore_ckpt_start(s, opts->sync_full);
    if (r < 0)
        return r;

    *ret = TAKE_PTR(s);
    return 0;
}

struct apistore *apistore_free(struct apistore *s)
{
    if (!s)
        return NULL;
    /* The checkpointer's connection goes first: the last one to close
     * checkpoints the whole WAL and removes it. */
    apistore_ckpt_stop(s);
    for (size_t i = 0; i < _STMT_MAX; i++)
        (void)sqlite3_finalize(s->stmt[i]);
    (void)sqlite3_close_v2(s->db);
    if (s->lock_fd >= 0)
        (void)close(s->lock_fd);
    free(s->subs);
    free(s);
    return NULL;
}

uint64_t apistore_revision(const struct apistore *s)
{
    return s ? s->rev : 0;
}

uint64_t apistore_compacted_revision(const struct apistore *s)
{
    return s ? s->compacted : 0;
}

void apistore_get_stats(const struct apistore *s, struct apistore_stats *ret)
{
    if (!ret)
        return;
    *ret = s ? s->stats : (struct apistore_stats){0};
}

const char *apistore_event_type_to_string(enum apistore_event_type t)
{
    static const char *const names[_APISTORE_EVENT_TYPE_MAX] = {
            [APISTORE_ADDED] = "ADDED",
            [APISTORE_MODIFIED] = "MODIFIED",
            [APISTORE_DELETED] = "DELETED",
    };
    if ((unsigned)t >= _APISTORE_EVENT_TYPE_MAX)
        return NULL;
    return names[t];
}

int apistore_event_type_from_string(const char *str, enum apistore_event_type *ret)
{
    for (int t = 0; t < _APISTORE_EVENT_TYPE_MAX; t++)
        if (str && strcmp(str, apistore_event_type_to_string(t)) == 0) {
            *ret = t;
            return 0;
        }
    return -EBADMSG;
}

bool apistore_key_valid(const char *res, const char *ns, const char *name)
{
    if (!res || !ns || !name)
        return false;
    size_t lr = strnlen(res, APISTORE_RES_MAX + 1);
    size_t ln = strnlen(ns, APISTORE_NS_MAX + 1);
    size_t lm = strnlen(name, APISTORE_NAME_MAX + 1);
    return lr > 0 && lr <= APISTORE_RES_MAX && ln <= APISTORE_NS_MAX && lm > 0 &&
           lm <= APISTORE_NAME_MAX;
}
