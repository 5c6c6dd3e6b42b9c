/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore writes: create/update/delete in one transaction that bumps the
 * revision, stamps metadata.resourceVersion, updates `objects` and appends to
 * `events`; then the subscribers hear about each committed event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

/* One write of a transaction, kept until the subscribers have seen it. */
struct pending {
    const struct apistore_write *w;
    enum apistore_event_type type;
    uint64_t rev;
    char *body;
    size_t body_len;
    char *labels;
    json_t *saved; /* resourceVersion of w->obj before stamping */
    bool stamped;  /* w->obj was stamped: restore it if the transaction fails */
};

static int check_write(const struct apistore_write *w)
{
    if (!w || (unsigned)w->op >= _APISTORE_OP_MAX)
        return -EINVAL;
    if (!apistore_key_valid(w->res, w->ns, w->name))
        return -EINVAL;
    switch (w->op) {
    case APISTORE_CREATE:
        if (w->expected_rev != 0)
            return -EINVAL;
        return apistore_object_check(w->obj, w->ns, w->name);
    case APISTORE_UPDATE:
        return apistore_object_check(w->obj, w->ns, w->name);
    case APISTORE_DELETE:
        return w->obj ? apistore_object_check(w->obj, w->ns, w->name) : 0;
    default:
        return -EINVAL;
    }
}

static int bind_key(sqlite3_stmt *st, const struct apistore_write *w)
{
    int r = apistore_bind_text(st, 1, w->res, strlen(w->res));
    if (r == 0)
        r = apistore_bind_text(st, 2, w->ns, strlen(w->ns));
    if (r == 0)
        r = apistore_bind_text(st, 3, w->name, strlen(w->name));
    return r;
}

/* Runs an objects statement bound as (key, rev, labels, body). */
static int exec_object_stmt(struct apistore *s, sqlite3_stmt *st, const struct pending *p)
{
    int r = bind_key(st, p->w);
    if (r == 0)
        r = apistore_bind_u64(st, 4, p->rev);
    if (r == 0)
        r = apistore_bind_text(st, 5, p->labels, strlen(p->labels));
    if (r == 0)
        r = apistore_bind_text(st, 6, p->body, p->body_len);
    if (r == 0 && st == s->stmt[STMT_OBJ_UPDATE])
        r = apistore_bind_u64(st, 7, p->w->expected_rev);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    return apistore_stmt_exec(st);
}

static int append_event(struct apistore *s, const struct pending *p, int64_t ts)
{
    sqlite3_stmt *st = apistore_stmt(s, STMT_EV_INSERT);
    const char *type = apistore_event_type_to_string(p->type);
    int r = apistore_bind_u64(st, 1, p->rev);
    if (r == 0)
        r = apistore_bind_text(st, 2, p->w->res, strlen(p->w->res));
    if (r == 0)
        r = apistore_bind_text(st, 3, p->w->ns, strlen(p->w->ns));
    if (r == 0)
        r = apistore_bind_text(st, 4, p->w->name, strlen(p->w->name));
    if (r == 0)
        r = apistore_bind_text(st, 5, type, strlen(type));
    if (r == 0)
        r = apistore_sql_errno(sqlite3_bind_int64(st, 6, ts));
    if (r == 0)
        r = apistore_bind_text(st, 7, p->labels, strlen(p->labels));
    if (r == 0)
        r = apistore_bind_text(st, 8, p->body, p->body_len);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    return apistore_stmt_exec(st);
}

/* Looks up the stored revision of a key; with ret_obj also parses its body.
 * 0, -ENOENT, -EIO (unparsable stored body) or a SQLite error. */
static int
lookup(struct apistore *s, const struct apistore_write *w, uint64_t *ret_rev, json_t **ret_obj)
{
    sqlite3_stmt *st = apistore_stmt(s, STMT_OBJ_GET);
    int r = bind_key(st, w);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        r = -ENOENT;
    else if (rc != SQLITE_ROW)
        r = apistore_sql_errno(rc);
    if (r == 0 && ret_obj) {
        const void *body = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        /* Stored bodies may hold "\u0000" escapes: jansson accepted them. */
        json_t *obj = body ? json_loadb(body, (size_t)len, JSON_ALLOW_NUL, NULL) : NULL;
        if (!obj)
            r = body ? -EIO : -ENOMEM;
        else
            *ret_obj = obj;
    }
    if (r == 0)
        *ret_rev = (uint64_t)sqlite3_column_int64(st, 0);
    apistore_stmt_done(st);
    return r;
}

static int stamp(struct pending *p, json_t *obj, bool remember)
{
    int r = apistore_object_stamp(obj, p->rev, &p->body, &p->body_len, &p->labels, &p->saved);
    if (r < 0)
        return r;
    if (remember) {
        p->stamped = true;
    } else {
        json_decref(p->saved);
        p->saved = NULL;
    }
    return 0;
}

static int apply_create(struct apistore *s, struct pending *p)
{
    int r = stamp(p, p->w->obj, true);
    if (r < 0)
        return r;
    r = exec_object_stmt(s, apistore_stmt(s, STMT_OBJ_INSERT), p);
    if (r < 0)
        return r;
    if (sqlite3_changes(s->db) == 0)
        return -EEXIST;
    p->type = APISTORE_ADDED;
    return 0;
}

static int apply_update(struct apistore *s, struct pending *p)
{
    int r = stamp(p, p->w->obj, true);
    if (r < 0)
        return r;
    r = exec_object_stmt(s, apistore_stmt(s, STMT_OBJ_UPDATE), p);
    if (r < 0)
        return r;
    if (sqlite3_changes(s->db) == 0) {
        /* Missing, or present at another revision. */
        uint64_t cur;
        r = lookup(s, p->w, &cur, NULL);
        return r < 0 ? r : -ECANCELED;
    }
    p->type = APISTORE_MODIFIED;
    return 0;
}

static int apply_delete(struct apistore *s, struct pending *p)
{
    const struct apistore_write *w = p->w;
    /* jansson's own json_decrefp (base/json-cleanup.h clashes with jansson 2.14). */
    _cleanup_(json_decrefp) json_t *stored = NULL;
    uint64_t cur;
    int r = lookup(s, w, &cur, w->obj ? NULL : &stored);
    if (r < 0)
        return r;
    if (w->expected_rev != 0 && w->expected_rev != cur)
        return -ECANCELED;
    /* The DELETED event carries the last state with the deletion revision. */
    r = w->obj ? stamp(p, w->obj, true) : stamp(p, stored, false);
    if (r < 0)
        return r;
    sqlite3_stmt *st = apistore_stmt(s, STMT_OBJ_DELETE);
    r = bind_key(st, w);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    r = apistore_stmt_exec(st);
    if (r < 0)
        return r;
    p->type = APISTORE_DELETED;
    return 0;
}

static int apply_one(struct apistore *s, struct pending *p, int64_t ts)
{
    int r;
    switch (p->w->op) {
    case APISTORE_CREATE:
        r = apply_create(s, p);
        break;
    case APISTORE_UPDATE:
        r = apply_update(s, p);
        break;
    case APISTORE_DELETE:
        r = apply_delete(s, p);
        break;
    default:
        r = -EINVAL;
        break;
    }
    return r < 0 ? r : append_event(s, p, ts);
}

static void notify(struct apistore *s, const struct pending *p, size_t n)
{
    s->busy = true;
    for (size_t i = 0; i < n; i++) {
        const struct apistore_row row = {
                .res = p[i].w->res,
                .ns = p[i].w->ns,
                .name = p[i].w->name,
                .rev = p[i].rev,
                .type = p[i].type,
                .labels = p[i].labels,
                .body = p[i].body,
                .body_len = p[i].body_len,
        };
        for (size_t j = 0; j < s->n_subs; j++)
            (void)s->subs[j].fn(&row, s->subs[j].userdata);
    }
    s->busy = false;
}

/* Frees the pendings; on failure first puts back every stamped object's
 * resourceVersion, newest first (the same object may appear twice). */
static void pending_free(struct pending *p, size_t n, bool failed)
{
    for (size_t i = n; i-- > 0;) {
        if (failed && p[i].stamped)
            apistore_object_restore(p[i].w->obj, p[i].saved);
        else
            json_decref(p[i].saved);
        free(p[i].body);
        free(p[i].labels);
    }
    free(p);
}

/* The transaction proper: 0 with everything committed, or -errno with
 * nothing written. */
static int run_transaction(struct apistore *s, struct pending *p, size_t n)
{
    int r = apistore_tx_begin(s);
    if (r < 0)
        return r;
    int64_t ts = apistore_now(s);
    for (size_t i = 0; i < n && r == 0; i++)
        r = apply_one(s, &p[i], ts);
    if (r == 0)
        r = apistore_tx_commit(s);
    if (r < 0)
        apistore_tx_rollback(s);
    return r;
}

static int
write_batch(struct apistore *s, const struct apistore_write *w, size_t n, uint64_t *ret_rev)
{
    assert_return(s, -EINVAL);
    assert_return(w || n == 0, -EINVAL);
    APISTORE_ENTER(s);
    for (size_t i = 0; i < n; i++) {
        int r = check_write(&w[i]);
        if (r < 0)
            return r;
    }
    if (n == 0)
        return 0;
    if (n > INT64_MAX || s->rev > (uint64_t)INT64_MAX - n)
        return -EOVERFLOW;

    struct pending *p = calloc(n, sizeof(*p));
    if (!p)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        p[i].w = &w[i];
        p[i].rev = s->rev + i + 1;
    }

    int r = run_transaction(s, p, n);
    if (r < 0) {
        if (r == -ECANCELED)
            s->stats.conflicts++;
        pending_free(p, n, true);
        return r;
    }
    s->rev += n;
    s->stats.writes += n;
    notify(s, p, n);
    pending_free(p, n, false);
    if (ret_rev)
        *ret_rev = s->rev;
    return 0;
}

int apistore_write(struct apistore *s, const struct apistore_write *w, uint64_t *ret_rev)
{
    assert_return(w, -EINVAL);
    return write_batch(s, w, 1, ret_rev);
}

int apistore_write_batch(struct apistore *s, const struct apistore_write *w, size_t n)
{
    return write_batch(s, w, n, NULL);
}

int apistore_subscribe(struct apistore *s, apistore_row_fn fn, void *userdata)
{
    assert_return(s && fn, -EINVAL);
    APISTORE_ENTER(s);
    struct apistore_sub *subs = reallocarray(s->subs, s->n_subs + 1, sizeof(*subs));
    if (!subs)
        return -ENOMEM;
    subs[s->n_subs++] = (struct apistore_sub){.fn = fn, .userdata = userdata};
    s->subs = subs;
    return 0;
}

int apistore_unsubscribe(struct apistore *s, apistore_row_fn fn, void *userdata)
{
    assert_return(s && fn, -EINVAL);
    APISTORE_ENTER(s);
    for (size_t i = 0; i < s->n_subs; i++) {
        if (s->subs[i].fn == fn && s->subs[i].userdata == userdata) {
            memmove(&s->subs[i], &s->subs[i + 1], (s->n_subs - i - 1) * sizeof(s->subs[0]));
            s->n_subs--;
            return 0;
        }
    }
    return -ENOENT;
}
