/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Background checkpoints. A checkpoint copies the WAL back into the database
 * and fdatasync()s both files; done inside the commit that crosses the WAL
 * threshold (SQLite's automatic checkpoint) it blocks the committing thread,
 * which in the API server is the event loop: every request and every watch
 * delivery waited 28-60 ms (median) and up to half a second for each one,
 * once every ~800 writes, on a busy disk. Here a helper thread with its own
 * connection runs PASSIVE checkpoints, which never block the writer; the
 * store's connection only signals it from its WAL hook.
 *
 * A WAL starts over from its beginning only when a write transaction begins
 * with every frame checkpointed, so under writes that never pause it keeps
 * growing. At APISTORE_WAL_MAX_PAGES the committing thread checkpoints the
 * rest itself (the old behaviour, 16 times rarer) and the helper holds off
 * until that succeeded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

struct apistore_ckpt {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sqlite3 *db;  /* the helper's connection, used by the helper only */
    bool stop;    /* lock */
    bool wanted;  /* a checkpoint was asked for and not started (lock) */
    bool running; /* a checkpoint is running (lock) */
    bool hold;    /* the committing thread is catching up itself (lock) */
    uint64_t runs;   /* checkpoints done by the helper (lock) */
    int last_error;  /* -errno of the helper's last checkpoint, 0 if it succeeded (lock) */
};

static void *ckpt_main(void *userdata)
{
    struct apistore_ckpt *c = userdata;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->stop && (!c->wanted || c->hold))
            pthread_cond_wait(&c->cond, &c->lock);
        if (c->stop)
            break;
        c->wanted = false;
        c->running = true;
        pthread_mutex_unlock(&c->lock);

        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

        pthread_mutex_lock(&c->lock);
        c->running = false;
        c->runs++;
        /* BUSY: another checkpoint was running; the next commit asks again. */
        c->last_error = (rc & 0xff) == SQLITE_BUSY ? 0 : apistore_sql_errno(rc);
        pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Called by SQLite on the committing thread after each commit; pages = WAL frames. */
static int ckpt_hook(void *userdata, sqlite3 *db, const char *name, int pages)
{
    struct apistore_ckpt *c = userdata;
    if (pages >= APISTORE_WAL_MAX_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->hold = true;
        pthread_mutex_unlock(&c->lock);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc == SQLITE_OK && log == done) {
            pthread_mutex_lock(&c->lock);
            c->hold = false;
            pthread_mutex_unlock(&c->lock);
        }
        return SQLITE_OK;
    }
    if (pages >= APISTORE_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->hold = false;
        c->wanted = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

static void ckpt_free(struct apistore_ckpt *c)
{
    if (!c)
        return;
    (void)sqlite3_close_v2(c->db);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int apistore_ckpt_start(struct apistore *s, bool sync_full)
{
    assert_return(s && s->db && !s->ckpt, -EINVAL);
    const char *path = sqlite3_db_filename(s->db, "main");
    if (!path || !path[0]) /* in-memory: no WAL */
        return 0;
    struct apistore_ckpt *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int r = -pthread_mutex_init(&c->lock, NULL);
    if (r < 0) {
        free(c);
        return r;
    }
    r = -pthread_cond_init(&c->cond, NULL);
    if (r < 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return r;
    }
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db,
                          sync_full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "PRAGMA journal_size_limit = 67108864;", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        r = c->db ? apistore_sql_errno(rc) : -ENOMEM;
        ckpt_free(c);
        return r;
    }
    r = -pthread_create(&c->thread, NULL, ckpt_main, c);
    if (r < 0) {
        ckpt_free(c);
        return r;
    }
    s->ckpt = c;
    (void)sqlite3_wal_hook(s->db, ckpt_hook, c);
    return 0;
}

void apistore_ckpt_stop(struct apistore *s)
{
    struct apistore_ckpt *c = s ? s->ckpt : NULL;
    if (!c)
        return;
    (void)sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    (void)pthread_join(c->thread, NULL);
    ckpt_free(c);
    s->ckpt = NULL;
}

int apistore_ckpt_wait(struct apistore *s, uint64_t *ret_runs)
{
    assert_return(s && ret_runs, -EINVAL);
    struct apistore_ckpt *c = s->ckpt;
    if (!c)
        return -ENOENT;
    pthread_mutex_lock(&c->lock);
    while ((c->wanted && !c->hold) || c->running)
        pthread_cond_wait(&c->cond, &c->lock);
    uint64_t runs = c->runs;
    int r = c->last_error;
    pthread_mutex_unlock(&c->lock);
    if (r < 0)
        return r;
    *ret_runs = runs;
    return 0;
}
