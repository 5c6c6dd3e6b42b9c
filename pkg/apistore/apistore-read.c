/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apistore reads: get, list (current state), list_at (state at a past
 * revision, from the log), events_since (log replay for watches) and the
 * list of stored resource keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "apistore/apistore-internal.h"
#include "base/macro.h"

/* Where the row fields sit in a result row; type < 0 when absent. */
struct row_columns {
    int ns, name, rev, type, labels, body;
};

static const struct row_columns list_columns = {0, 1, 2, -1, 3, 4};
static const struct row_columns event_columns = {0, 1, 2, 3, 4, 5};

static bool opt_len_ok(const char *v, size_t max, bool allow_empty)
{
    if (!v)
        return true;
    size_t len = strnlen(v, max + 1);
    return len <= max && (allow_empty || len > 0);
}

static bool list_opts_valid(const char *res, const struct apistore_list_opts *o)
{
    if (!apistore_key_valid(res, "", "x"))
        return false;
    return opt_len_ok(o->ns, APISTORE_NS_MAX, true) &&
           opt_len_ok(o->name, APISTORE_NAME_MAX, false) &&
           opt_len_ok(o->after_ns, APISTORE_NS_MAX, true) &&
           opt_len_ok(o->after_name, APISTORE_NAME_MAX, true);
}

static int
fill_row(sqlite3_stmt *st, const struct row_columns *c, const char *res, struct apistore_row *row)
{
    *row = (struct apistore_row){
            .res = res,
            .ns = (const char *)sqlite3_column_text(st, c->ns),
            .name = (const char *)sqlite3_column_text(st, c->name),
            .rev = (uint64_t)sqlite3_column_int64(st, c->rev),
            .type = APISTORE_ADDED,
            .labels = (const char *)sqlite3_column_text(st, c->labels),
            .body = (const char *)sqlite3_column_text(st, c->body),
    };
    /* The columns are NOT NULL: a NULL here is an allocation failure. */
    if (!row->ns || !row->name || !row->labels || !row->body)
        return -ENOMEM;
    row->body_len = (size_t)sqlite3_column_bytes(st, c->body);
    if (c->type >= 0) {
        const char *type = (const char *)sqlite3_column_text(st, c->type);
        if (apistore_event_type_from_string(type, &row->type) < 0)
            return -EIO;
    }
    return 0;
}

/* Steps st, calling fn for each row; stops after limit rows (0 = none) and
 * reports whether another row followed. Always resets st. */
static int iterate(struct apistore *s,
                   sqlite3_stmt *st,
                   const struct row_columns *c,
                   const char *res,
                   size_t limit,
                   apistore_row_fn fn,
                   void *userdata,
                   bool *ret_more)
{
    size_t count = 0;
    bool more = false;
    int r = 0;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = apistore_sql_errno(rc);
            break;
        }
        if (limit > 0 && count == limit) {
            more = true;
            break;
        }
        struct apistore_row row;
        r = fill_row(st, c, res, &row);
        if (r < 0)
            break;
        count++;
        s->busy = true;
        r = fn(&row, userdata);
        s->busy = false;
        if (r < 0)
            break;
        r = 0;
    }
    apistore_stmt_done(st);
    if (r == 0 && ret_more)
        *ret_more = more;
    return r;
}

/* LIMIT value: one more row than asked, to learn whether more follow. */
static int bind_limit(sqlite3_stmt *st, int idx, size_t limit)
{
    sqlite3_int64 v = limit == 0 || limit >= (size_t)INT64_MAX ? -1 : (sqlite3_int64)limit + 1;
    return apistore_sql_errno(sqlite3_bind_int64(st, idx, v));
}

static int bind_str(sqlite3_stmt *st, int idx, const char *v)
{
    if (!v)
        return apistore_sql_errno(sqlite3_bind_null(st, idx));
    return apistore_bind_text(st, idx, v, strlen(v));
}

/*
 * Binds ?1 res, ?2/?3 the lower bound and ?4 the name filter of a LIST or
 * LIST_AT statement. For the one-namespace variants the bound is a name
 * inside o->ns: an after key in an earlier namespace means "from the start",
 * one in a later namespace means "nothing left" (returns 1).
 */
static int bind_list(sqlite3_stmt *st, const char *res, const struct apistore_list_opts *o)
{
    const char *after_ns = o->after_name ? (o->after_ns ? o->after_ns : "") : "";
    const char *after_name = o->after_name ? o->after_name : "";
    const char *lo_ns = after_ns, *lo_name = after_name;
    if (o->ns) {
        int cmp = o->after_name ? strcmp(after_ns, o->ns) : -1;
        if (cmp > 0)
            return 1;
        lo_ns = o->ns;
        lo_name = cmp == 0 ? after_name : "";
    }
    int r = bind_str(st, 1, res);
    if (r == 0)
        r = bind_str(st, 2, lo_ns);
    if (r == 0)
        r = bind_str(st, 3, lo_name);
    if (r == 0)
        r = bind_str(st, 4, o->name);
    return r;
}

int apistore_get(struct apistore *s,
                 const char *res,
                 const char *ns,
                 const char *name,
                 char **ret_body,
                 uint64_t *ret_rev)
{
    assert_return(s, -EINVAL);
    assert_return(apistore_key_valid(res, ns, name), -EINVAL);
    APISTORE_ENTER(s);

    sqlite3_stmt *st = apistore_stmt(s, STMT_OBJ_GET);
    int r = bind_str(st, 1, res);
    if (r == 0)
        r = bind_str(st, 2, ns);
    if (r == 0)
        r = bind_str(st, 3, name);
    int rc = r == 0 ? sqlite3_step(st) : SQLITE_OK;
    if (r == 0 && rc == SQLITE_DONE)
        r = -ENOENT;
    else if (r == 0 && rc != SQLITE_ROW)
        r = apistore_sql_errno(rc);
    char *body = NULL;
    if (r == 0 && ret_body) {
        const char *text = (const char *)sqlite3_column_text(st, 1);
        body = text ? strndup(text, (size_t)sqlite3_column_bytes(st, 1)) : NULL;
        if (!body)
            r = -ENOMEM;
    }
    uint64_t rev = r == 0 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    apistore_stmt_done(st);
    if (r < 0)
        return r;
    if (ret_body)
        *ret_body = body;
    if (ret_rev)
        *ret_rev = rev;
    return 0;
}

int apistore_list(struct apistore *s,
                  const char *res,
                  const struct apistore_list_opts *o,
                  apistore_row_fn fn,
                  void *userdata,
                  uint64_t *ret_rev,
                  bool *ret_more)
{
    const struct apistore_list_opts none = {0};
    if (!o)
        o = &none;
    assert_return(s && fn, -EINVAL);
    assert_return(list_opts_valid(res, o), -EINVAL);
    APISTORE_ENTER(s);

    sqlite3_stmt *st = apistore_stmt(s, o->ns ? STMT_LIST_NS : STMT_LIST_ALL);
    int r = bind_list(st, res, o);
    if (r == 0)
        r = bind_limit(st, 5, o->limit);
    bool more = false;
    if (r == 0) {
        r = iterate(s, st, &list_columns, res, o->limit, fn, userdata, &more);
    } else {
        apistore_stmt_done(st);
        if (r == 1) /* the after key lies past the namespace: nothing left */
            r = 0;
    }
    if (r < 0)
        return r;
    /* Single-threaded: no write can land between the query and here. */
    if (ret_rev)
        *ret_rev = s->rev;
    if (ret_more)
        *ret_more = more;
    return 0;
}

/*
 * History at rev is complete when rev >= the compacted revision: compaction
 * keeps, per key, the newest row at or below its target unless that row is a
 * tombstone, so "the newest row of each key at or below rev" is the state at
 * rev for every rev >= the target.
 */
int apistore_list_at(struct apistore *s,
                     const char *res,
                     uint64_t rev,
                     const struct apistore_list_opts *o,
                     apistore_row_fn fn,
                     void *userdata,
                     bool *ret_more)
{
    const struct apistore_list_opts none = {0};
    if (!o)
        o = &none;
    assert_return(s && fn, -EINVAL);
    assert_return(list_opts_valid(res, o), -EINVAL);
    APISTORE_ENTER(s);
    if (rev < s->compacted)
        return -ESTALE;
    if (rev > s->rev)
        return -ERANGE;

    sqlite3_stmt *st = apistore_stmt(s, o->ns ? STMT_LIST_AT_NS : STMT_LIST_AT_ALL);
    int r = bind_list(st, res, o);
    if (r == 0)
        r = apistore_bind_u64(st, 5, rev);
    if (r == 0)
        r = bind_limit(st, 6, o->limit);
    if (r == 0)
        return iterate(s, st, &list_columns, res, o->limit, fn, userdata, ret_more);
    apistore_stmt_done(st);
    if (r < 0)
        return r;
    /* The after key lies past the namespace: nothing left. */
    if (ret_more)
        *ret_more = false;
    return 0;
}

int apistore_events_since(struct apistore *s,
                          const char *res,
                          const char *ns,
                          uint64_t since,
                          apistore_row_fn fn,
                          void *userdata)
{
    assert_return(s && fn, -EINVAL);
    assert_return(apistore_key_valid(res, ns ? ns : "", "x"), -EINVAL);
    APISTORE_ENTER(s);
    if (since < s->compacted)
        return -ESTALE;
    if (since > s->rev)
        return -ERANGE;

    sqlite3_stmt *st = apistore_stmt(s, ns ? STMT_EVENTS_NS : STMT_EVENTS_ALL);
    int r = apistore_bind_u64(st, 1, since);
    if (r == 0)
        r = bind_str(st, 2, res);
    if (r == 0 && ns)
        r = bind_str(st, 3, ns);
    if (r < 0) {
        apistore_stmt_done(st);
        return r;
    }
    return iterate(s, st, &event_columns, res, 0, fn, userdata, NULL);
}

int apistore_list_resources(struct apistore *s,
                            int (*fn)(const char *res, void *userdata),
                            void *userdata)
{
    assert_return(s && fn, -EINVAL);
    APISTORE_ENTER(s);

    sqlite3_stmt *st = apistore_stmt(s, STMT_RESOURCES);
    int r = 0;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = apistore_sql_errno(rc);
            break;
        }
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (!res) {
            r = -ENOMEM;
            break;
        }
        s->busy = true;
        r = fn(res, userdata);
        s->busy = false;
        if (r < 0)
            break;
        r = 0;
    }
    apistore_stmt_done(st);
    return r;
}
