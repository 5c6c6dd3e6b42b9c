/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Helpers shared by the apistore test executables: a per-test store in a
 * fresh temporary directory, object builders, and a row collector that
 * renders what a callback saw as one comparable string.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "apistore/apistore-internal.h"
#include "buf/buf.h"

struct fixture {
    char dir[64];
    char path[128];
    struct apistore *s;
};

static inline int fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/apistore-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -errno;
    snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
    return 0;
}

static inline int fixture_open(struct fixture *f, const struct apistore_opts *base)
{
    struct apistore_opts o = base ? *base : (struct apistore_opts){0};
    o.path = f->path;
    f->s = apistore_free(f->s);
    return apistore_open(&f->s, &o);
}

static inline void fixture_remove_files(struct fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char p[160];
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        (void)unlink(p);
    }
}

static inline void fixture_fini(struct fixture *f)
{
    f->s = apistore_free(f->s);
    fixture_remove_files(f);
    (void)rmdir(f->dir);
}

/* {"apiVersion":..,"kind":"Hardware","metadata":{"name","namespace","labels"},"spec":{"v":v}}
 * labels is JSON text or NULL. */
static inline json_t *make_obj(const char *ns, const char *name, const char *labels, int v)
{
    json_t *md = json_pack("{s:s}", "name", name);
    if (ns && ns[0])
        json_object_set_new(md, "namespace", json_string(ns));
    if (labels)
        json_object_set_new(md, "labels", json_loads(labels, 0, NULL));
    return json_pack("{s:s,s:s,s:o,s:{s:i}}", "apiVersion", "tinkerbell.org/v1alpha1", "kind",
                     "Hardware", "metadata", md, "spec", "v", v);
}

/* metadata.resourceVersion of a JSON text or object, "" when absent. */
static inline const char *obj_rv(const json_t *obj)
{
    const char *rv =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    return rv ? rv : "";
}

static inline int body_spec_v(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    int v = (int)json_integer_value(json_object_get(json_object_get(j, "spec"), "v"));
    json_decref(j);
    return v;
}

static inline int create(struct apistore *s,
                         const char *res,
                         const char *ns,
                         const char *name,
                         int v,
                         uint64_t *ret_rev)
{
    json_t *o = make_obj(ns, name, NULL, v);
    int r = apistore_write(
            s,
            &(struct apistore_write){
                    .op = APISTORE_CREATE, .res = res, .ns = ns, .name = name, .obj = o},
            ret_rev);
    json_decref(o);
    return r;
}

static inline int update(struct apistore *s,
                         const char *res,
                         const char *ns,
                         const char *name,
                         int v,
                         uint64_t expected,
                         uint64_t *ret_rev)
{
    json_t *o = make_obj(ns, name, NULL, v);
    int r = apistore_write(s,
                           &(struct apistore_write){.op = APISTORE_UPDATE,
                                                    .res = res,
                                                    .ns = ns,
                                                    .name = name,
                                                    .expected_rev = expected,
                                                    .obj = o},
                           ret_rev);
    json_decref(o);
    return r;
}

static inline int delete_obj(struct apistore *s,
                             const char *res,
                             const char *ns,
                             const char *name,
                             uint64_t expected,
                             uint64_t *ret_rev)
{
    return apistore_write(s,
                          &(struct apistore_write){.op = APISTORE_DELETE,
                                                   .res = res,
                                                   .ns = ns,
                                                   .name = name,
                                                   .expected_rev = expected},
                          ret_rev);
}

/*
 * Row collector: each row becomes "ns/name@rev" (list rows) or
 * "TYPE:ns/name@rev" (with_type), space separated, and the body is checked
 * to carry resourceVersion == rev and the right name.
 */
struct collector {
    struct buf out;
    bool with_type;
    bool with_v; /* append "=v" with spec.v of the body */
    size_t n;
    size_t stop_after; /* return -ECANCELED after this many rows (0 = never) */
    int bad_bodies;    /* rows whose body did not match the row */
};

#define COLLECTOR_INIT           \
    {                            \
        .out = BUF_INIT(1 << 20) \
    }

static inline int collect_fn(const struct apistore_row *row, void *userdata)
{
    struct collector *c = userdata;
    json_t *j = json_loadb(row->body, row->body_len, 0, NULL);
    char rv[24];
    snprintf(rv, sizeof(rv), "%" PRIu64, row->rev);
    const char *name = json_string_value(json_object_get(json_object_get(j, "metadata"), "name"));
    json_t *labels = json_loads(row->labels, 0, NULL);
    if (!j || strcmp(obj_rv(j), rv) != 0 || !name || strcmp(name, row->name) != 0 ||
        strlen(row->body) != row->body_len || !json_is_object(labels))
        c->bad_bodies++;
    json_decref(labels);
    if (c->out.len > 0)
        (void)buf_append_str(&c->out, " ");
    if (c->with_type)
        (void)buf_printf(&c->out, "%s:", apistore_event_type_to_string(row->type));
    (void)buf_printf(&c->out, "%s/%s@%" PRIu64, row->ns, row->name, row->rev);
    if (c->with_v)
        (void)buf_printf(&c->out, "=%d",
                         (int)json_integer_value(json_object_get(json_object_get(j, "spec"), "v")));
    json_decref(j);
    c->n++;
    if (c->stop_after && c->n >= c->stop_after)
        return -ECANCELED;
    return 0;
}

static inline void collector_reset(struct collector *c)
{
    buf_reset(&c->out);
    c->n = 0;
    c->bad_bodies = 0;
}
