/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rendered Tinkerbell workflow: YAML (pkg/yamljson) decoded the way Go's
 * yaml.v3 decodes it into tink's Workflow/Task/Action structs, then
 * validated with upstream's rules (template_validator.go) plus anvil's
 * "retries" extension. The result is the JSON document pkg/workflow
 * consumes (see tmpl_parse_workflow() in tmpl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "tmpl/tmpl-internal.h"
#include "yamljson/yamljson.h"

#define NAME_MAX_BYTES 199 /* upstream: 0 < len(name) < 200 */
#define SHOWN          100 /* bytes of a value quoted in a message */

/* A string field that got a number or boolean: its value is replaced by
 * the scalar's text as written, once the whole document is converted. */
struct fixup {
    char *pointer;
    json_t *container; /* borrowed: lives in the result */
    char *key;         /* NULL: array element */
    size_t index;
};

struct wf {
    const char *yaml;
    size_t len;
    struct tmpl_error *err;
    struct buf ptr; /* JSON pointer of the value being converted */
    struct fixup *fixups;
    size_t n_fixups;
    size_t cap_fixups;
};

/* ---------------------------------------------------------------- pointer */

static size_t ptr_push(struct wf *w, const char *key, size_t key_len)
{
    size_t mark = w->ptr.len;
    int r = buf_append(&w->ptr, "/", 1);
    if (r >= 0 && !memchr(key, '~', key_len) && !memchr(key, '/', key_len))
        return buf_append(&w->ptr, key, key_len) < 0 ? SIZE_MAX : mark;
    for (size_t i = 0; r >= 0 && i < key_len; i++) {
        if (key[i] == '~')
            r = buf_append(&w->ptr, "~0", 2);
        else if (key[i] == '/')
            r = buf_append(&w->ptr, "~1", 2);
        else
            r = buf_append(&w->ptr, key + i, 1);
    }
    return r < 0 ? SIZE_MAX : mark;
}

static size_t ptr_push_index(struct wf *w, size_t i)
{
    char idx[32];
    int n = snprintf(idx, sizeof(idx), "%zu", i);
    return ptr_push(w, idx, (size_t)n);
}

static void ptr_pop(struct wf *w, size_t mark)
{
    w->ptr.len = mark;
    if (w->ptr.data)
        w->ptr.data[mark] = '\0';
}

/* ----------------------------------------------------------------- errors */

/* Line and column of the node at pointer, or of its nearest located
 * ancestor; 0 when unknown. */
static void locate(const struct wf *w, const char *pointer, int *line, int *col)
{
    _cleanup_free_ char *p = strdup(pointer);

    *line = *col = 0;
    while (p) {
        struct tmpl_yaml_query q = {.pointer = p};
        int r = tmpl_yaml_locate(w->yaml, w->len, &q, 1);
        free(q.scalar);
        if (r < 0)
            return;
        if (q.line > 0) {
            *line = q.line;
            *col = q.column;
            return;
        }
        char *slash = strrchr(p, '/');
        if (!slash)
            return;
        *slash = '\0';
    }
}

static const char *yaml_tag(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "!!map";
    case JSON_ARRAY:
        return "!!seq";
    case JSON_STRING:
        return "!!str";
    case JSON_INTEGER:
        return "!!int";
    case JSON_REAL:
        return "!!float";
    case JSON_TRUE:
    case JSON_FALSE:
        return "!!bool";
    default:
        return "!!null";
    }
}

/* yaml.v3's "cannot unmarshal !!str `abc` into int64", with the line. */
static int decode_error(struct wf *w, const json_t *v, const char *go_type)
{
    _cleanup_buf_ struct buf shown = BUF_INIT(SHOWN + 8);
    char where[32] = "";
    int line, col;

    if (!w->err)
        return -EBADMSG;
    locate(w, buf_str(&w->ptr), &line, &col);
    if (line > 0)
        (void)snprintf(where, sizeof(where), "line %d: ", line);
    if (!json_is_array(v) && !json_is_object(v)) {
        if (json_is_string(v))
            (void)buf_append(&shown, json_string_value(v),
                             MIN(json_string_length(v), (size_t)SHOWN));
        else
            (void)tmpl_json_encode(NULL, &shown, v, false, false);
    }
    *w->err = (struct tmpl_error){.line = line, .column = col};
    (void)snprintf(w->err->message, sizeof(w->err->message),
                   "yaml: unmarshal errors: %scannot unmarshal %s%s%s%s into %s", where,
                   yaml_tag(v), shown.len ? " `" : "", buf_str(&shown), shown.len ? "`" : "",
                   go_type);
    return -EBADMSG;
}

static int rule_error(struct wf *w, const char *pointer, const char *fmt, ...) _printf_(3, 4);
static int rule_error(struct wf *w, const char *pointer, const char *fmt, ...)
{
    va_list ap;
    int line, col;

    if (!w->err)
        return -EINVAL;
    locate(w, pointer, &line, &col);
    *w->err = (struct tmpl_error){.line = line, .column = col};
    va_start(ap, fmt);
    (void)vsnprintf(w->err->message, sizeof(w->err->message), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ------------------------------------------------------------- decoding */

static int add_fixup(struct wf *w, json_t *container, const char *key, size_t index)
{
    if (w->n_fixups == w->cap_fixups) {
        size_t cap = w->cap_fixups ? 2 * w->cap_fixups : 16;
        struct fixup *f = realloc(w->fixups, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        w->fixups = f;
        w->cap_fixups = cap;
    }
    struct fixup *f = &w->fixups[w->n_fixups];
    *f = (struct fixup){.pointer = strdup(buf_str(&w->ptr)),
                        .container = container,
                        .key = key ? strdup(key) : NULL,
                        .index = index};
    if (!f->pointer || (key && !f->key)) {
        free(f->pointer);
        free(f->key);
        return -ENOMEM;
    }
    w->n_fixups++;
    return 0;
}

/* Decodes v (at w->ptr) as a Go string and stores it in container under
 * key, or appends it when key is NULL. */
static int put_string(struct wf *w, const json_t *v, json_t *container, const char *key)
{
    json_t *s;
    size_t index = json_is_array(container) ? json_array_size(container) : 0;
    bool fix = false;

    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_incref((json_t *)v);
        break;
    case JSON_NULL:
        s = json_string("");
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        return decode_error(w, v, "string");
    default: {
        /* the JSON text for now; the YAML text replaces it below */
        struct buf b = BUF_INIT(64);
        if (tmpl_json_encode(NULL, &b, v, false, false) < 0) {
            buf_free(&b);
            return -ENOMEM;
        }
        s = json_stringn_nocheck(buf_str(&b), b.len);
        buf_free(&b);
        fix = true;
        break;
    }
    }
    if (!s)
        return -ENOMEM;
    if (key ? json_object_set_new_nocheck(container, key, s) < 0
            : json_array_append_new(container, s) < 0)
        return -ENOMEM;
    return fix ? add_fixup(w, container, key, index) : 0;
}

static int
field_string(struct wf *w, const json_t *obj, const char *name, json_t *out, bool nullable)
{
    const json_t *v = json_object_get(obj, name);
    size_t mark = ptr_push(w, name, strlen(name));
    int r;

    if (mark == SIZE_MAX)
        return -ENOMEM;
    if (!v || json_is_null(v))
        r = json_object_set_new_nocheck(out, name, nullable ? json_null() : json_string("")) < 0
                    ? -ENOMEM
                    : 0;
    else
        r = put_string(w, v, out, name);
    ptr_pop(w, mark);
    return r;
}

static int
field_int(struct wf *w, const json_t *obj, const char *name, const char *go_type, json_t *out)
{
    const json_t *v = json_object_get(obj, name);
    size_t mark = ptr_push(w, name, strlen(name));
    json_int_t i = 0;
    int r = 0;

    if (mark == SIZE_MAX)
        return -ENOMEM;
    if (json_is_integer(v))
        i = json_integer_value(v);
    else if (json_is_real(v)) {
        /* yaml.v3 truncates floats that fit */
        double d = json_real_value(v);
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            i = (json_int_t)d;
        else
            r = decode_error(w, v, go_type);
    } else if (v && !json_is_null(v))
        r = decode_error(w, v, go_type);
    if (r >= 0 && json_object_set_new_nocheck(out, name, json_integer(i)) < 0)
        r = -ENOMEM;
    ptr_pop(w, mark);
    return r;
}

static int field_list(struct wf *w, const json_t *obj, const char *name, json_t *out)
{
    const json_t *v = json_object_get(obj, name);
    size_t mark = ptr_push(w, name, strlen(name));
    json_t *list = json_array();
    int r = 0;

    if (mark == SIZE_MAX || !list || json_object_set_new_nocheck(out, name, list) < 0)
        return -ENOMEM;
    if (json_is_array(v)) {
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
            size_t m = ptr_push_index(w, i);
            r = m == SIZE_MAX ? -ENOMEM : put_string(w, json_array_get(v, i), list, NULL);
            ptr_pop(w, m == SIZE_MAX ? w->ptr.len : m);
        }
    } else if (v && !json_is_null(v))
        r = decode_error(w, v, "[]string");
    ptr_pop(w, mark);
    return r;
}

static int field_map(struct wf *w, const json_t *obj, const char *name, json_t *out)
{
    const json_t *v = json_object_get(obj, name);
    size_t mark = ptr_push(w, name, strlen(name));
    json_t *map = json_object();
    int r = 0;

    if (mark == SIZE_MAX || !map || json_object_set_new_nocheck(out, name, map) < 0)
        return -ENOMEM;
    if (json_is_object(v)) {
        for (void *it = json_object_iter((json_t *)v); r >= 0 && it;
             it = json_object_iter_next((json_t *)v, it)) {
            const char *key = json_object_iter_key(it);
            size_t m = ptr_push(w, key, json_object_iter_key_len(it));
            r = m == SIZE_MAX ? -ENOMEM : put_string(w, json_object_iter_value(it), map, key);
            ptr_pop(w, m == SIZE_MAX ? w->ptr.len : m);
        }
    } else if (v && !json_is_null(v))
        r = decode_error(w, v, "map[string]string");
    ptr_pop(w, mark);
    return r;
}

/* Decoded and type-checked like upstream, then dropped. */
static int ignored_fields(struct wf *w,
                          const json_t *obj,
                          const char *const *strings,
                          const char *const *lists)
{
    _cleanup_json_ json_t *scratch = json_object();
    int r = scratch ? 0 : -ENOMEM;

    for (size_t i = 0; r >= 0 && strings && strings[i]; i++)
        r = field_string(w, obj, strings[i], scratch, false);
    for (size_t i = 0; r >= 0 && lists && lists[i]; i++)
        r = field_list(w, obj, lists[i], scratch);
    return r;
}

static int need_struct(struct wf *w, const json_t *v, const char *go_type)
{
    if (!v || json_is_object(v) || json_is_null(v))
        return 0;
    return decode_error(w, v, go_type);
}

static int conv_namespaces(struct wf *w, const json_t *action, json_t *out)
{
    const json_t *v = json_object_get(action, "namespaces");
    size_t mark = ptr_push(w, "namespaces", 10);
    json_t *ns = json_object();
    int r;

    if (mark == SIZE_MAX || !ns || json_object_set_new_nocheck(out, "namespaces", ns) < 0)
        return -ENOMEM;
    r = need_struct(w, v, "workflow.ActionNamespace");
    if (r >= 0 && json_is_object(v)) {
        static const char *const keys[] = {"network", "pid"};
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(keys); i++) {
            r = field_string(w, v, keys[i], ns, false);
            /* an empty value is Go's zero value: unset */
            const json_t *s = json_object_get(ns, keys[i]);
            if (r >= 0 && json_string_length(s) == 0)
                (void)json_object_del(ns, keys[i]);
        }
    }
    ptr_pop(w, mark);
    return r;
}

static int conv_action(struct wf *w, const json_t *v, json_t *actions)
{
    static const char *const ignored[] = {"on-timeout", "on-failure", NULL};
    json_t *a = json_object();
    int r;

    if (!a || json_array_append_new(actions, a) < 0)
        return -ENOMEM;
    r = need_struct(w, v, "workflow.Action");
    if (r < 0)
        return r;
    r = field_string(w, v, "name", a, false);
    if (r >= 0)
        r = field_string(w, v, "image", a, false);
    if (r >= 0)
        r = field_int(w, v, "timeout", "int64", a);
    if (r >= 0)
        r = field_list(w, v, "command", a);
    if (r >= 0)
        r = ignored_fields(w, v, NULL, ignored);
    if (r >= 0)
        r = field_list(w, v, "volumes", a);
    if (r >= 0)
        r = field_map(w, v, "environment", a);
    if (r >= 0)
        r = field_string(w, v, "pid", a, true);
    if (r >= 0)
        r = conv_namespaces(w, v, a);
    if (r >= 0)
        r = field_int(w, v, "retries", "int64", a);
    return r;
}

static int conv_list_of(struct wf *w,
                        const json_t *obj,
                        const char *name,
                        const char *go_type,
                        json_t *out,
                        int (*conv)(struct wf *, const json_t *, json_t *))
{
    const json_t *v = json_object_get(obj, name);
    size_t mark = ptr_push(w, name, strlen(name));
    json_t *list = json_array();
    int r = 0;

    if (mark == SIZE_MAX || !list || json_object_set_new_nocheck(out, name, list) < 0)
        return -ENOMEM;
    if (json_is_array(v)) {
        for (size_t i = 0; r >= 0 && i < json_array_size(v); i++) {
            size_t m = ptr_push_index(w, i);
            r = m == SIZE_MAX ? -ENOMEM : conv(w, json_array_get(v, i), list);
            ptr_pop(w, m == SIZE_MAX ? w->ptr.len : m);
        }
    } else if (v && !json_is_null(v))
        r = decode_error(w, v, go_type);
    ptr_pop(w, mark);
    return r;
}

static int conv_task(struct wf *w, const json_t *v, json_t *tasks)
{
    json_t *t = json_object();
    int r;

    if (!t || json_array_append_new(tasks, t) < 0)
        return -ENOMEM;
    r = need_struct(w, v, "workflow.Task");
    if (r >= 0)
        r = field_string(w, v, "name", t, false);
    if (r >= 0)
        r = field_string(w, v, "worker", t, false);
    if (r >= 0)
        r = field_list(w, v, "volumes", t);
    if (r >= 0)
        r = field_map(w, v, "environment", t);
    if (r >= 0)
        r = conv_list_of(w, v, "actions", "[]workflow.Action", t, conv_action);
    return r;
}

static int conv_workflow(struct wf *w, const json_t *doc, json_t *out)
{
    static const char *const ignored[] = {"id", NULL};
    int r = need_struct(w, doc, "workflow.Workflow");

    if (r >= 0)
        r = field_string(w, doc, "name", out, false);
    if (r >= 0)
        r = field_string(w, doc, "version", out, true);
    if (r >= 0)
        r = ignored_fields(w, doc, ignored, NULL);
    if (r >= 0)
        r = field_int(w, doc, "global_timeout", "int", out);
    if (r >= 0)
        r = conv_list_of(w, doc, "tasks", "[]workflow.Task", out, conv_task);
    return r;
}

/* Replaces the JSON text of fixed-up scalars by their YAML text. */
static int apply_fixups(struct wf *w)
{
    _cleanup_free_ struct tmpl_yaml_query *q = NULL;
    int r;

    if (w->n_fixups == 0)
        return 0;
    q = calloc(w->n_fixups, sizeof(*q));
    if (!q)
        return -ENOMEM;
    for (size_t i = 0; i < w->n_fixups; i++)
        q[i].pointer = w->fixups[i].pointer;
    r = tmpl_yaml_locate(w->yaml, w->len, q, w->n_fixups);
    for (size_t i = 0; i < w->n_fixups; i++) {
        const struct fixup *f = &w->fixups[i];
        if (r >= 0 && q[i].scalar) {
            json_t *s = json_stringn_nocheck(q[i].scalar, q[i].scalar_len);
            if (!s)
                r = -ENOMEM;
            else if (f->key ? json_object_set_new_nocheck(f->container, f->key, s) < 0
                            : json_array_set_new(f->container, f->index, s) < 0)
                r = -ENOMEM;
        }
        free(q[i].scalar);
    }
    return r;
}

/* ------------------------------------------------------------- validation */

static bool name_ok(const json_t *name)
{
    size_t n = json_string_length(name);
    return n > 0 && n <= NAME_MAX_BYTES;
}

#define SHOW(v) (int)MIN(json_string_length(v), (size_t)SHOWN), json_string_value(v)
#define PREFIX  "validating workflow template: "

static int validate_action(struct wf *w, const json_t *a, size_t ti, size_t ai, json_t *seen)
{
    const json_t *name = json_object_get(a, "name"), *image = json_object_get(a, "image");
    char ptr[96], msg[200];

    (void)snprintf(ptr, sizeof(ptr), "/tasks/%zu/actions/%zu/name", ti, ai);
    if (!name_ok(name))
        return rule_error(w, ptr,
                          PREFIX "name cannot be empty or have more than 200 characters: %.*s",
                          SHOW(name));
    if (tmpl_reference_validate(json_string_value(image), json_string_length(image), msg,
                                sizeof(msg)) < 0) {
        (void)snprintf(ptr, sizeof(ptr), "/tasks/%zu/actions/%zu/image", ti, ai);
        return rule_error(w, ptr, PREFIX "invalid action image (%.*s): %s", SHOW(image), msg);
    }
    if (json_object_getn(seen, json_string_value(name), json_string_length(name)))
        return rule_error(w, ptr, PREFIX "two actions in a task cannot have same name: %.*s",
                          SHOW(name));
    if (json_object_setn_new_nocheck(seen, json_string_value(name), json_string_length(name),
                                     json_true()) < 0)
        return -ENOMEM;
    if (json_integer_value(json_object_get(a, "retries")) < 0) {
        (void)snprintf(ptr, sizeof(ptr), "/tasks/%zu/actions/%zu/retries", ti, ai);
        return rule_error(w, ptr, PREFIX "action %.*s: retries must be a non-negative integer",
                          SHOW(name));
    }
    return 0;
}

static int validate(struct wf *w, const json_t *wf)
{
    const json_t *name = json_object_get(wf, "name"), *tasks = json_object_get(wf, "tasks");
    _cleanup_json_ json_t *task_names = json_object();
    char ptr[64];
    int r;

    if (!task_names)
        return -ENOMEM;
    if (!name_ok(name))
        return rule_error(w, "/name",
                          PREFIX "name cannot be empty or have more than 200 characters: %.*s",
                          SHOW(name));
    if (json_array_size(tasks) == 0)
        return rule_error(w, "/tasks", PREFIX "template must have at least one task defined");
    for (size_t ti = 0; ti < json_array_size(tasks); ti++) {
        const json_t *t = json_array_get(tasks, ti);
        const json_t *tname = json_object_get(t, "name"), *actions = json_object_get(t, "actions");
        _cleanup_json_ json_t *action_names = json_object();
        if (!action_names)
            return -ENOMEM;
        (void)snprintf(ptr, sizeof(ptr), "/tasks/%zu/name", ti);
        if (!name_ok(tname))
            return rule_error(w, ptr,
                              PREFIX "name cannot be empty or have more than 200 characters: %.*s",
                              SHOW(tname));
        if (json_object_getn(task_names, json_string_value(tname), json_string_length(tname)))
            return rule_error(w, ptr, PREFIX "two tasks in a template cannot have same name (%.*s)",
                              SHOW(tname));
        if (json_object_setn_new_nocheck(task_names, json_string_value(tname),
                                         json_string_length(tname), json_true()) < 0)
            return -ENOMEM;
        for (size_t ai = 0; ai < json_array_size(actions); ai++) {
            r = validate_action(w, json_array_get(actions, ai), ti, ai, action_names);
            if (r < 0)
                return r;
        }
    }
    /* rendering must have produced a worker for every task */
    for (size_t ti = 0; ti < json_array_size(tasks); ti++) {
        const json_t *t = json_array_get(tasks, ti);
        if (json_string_length(json_object_get(t, "worker")) == 0) {
            (void)snprintf(ptr, sizeof(ptr), "/tasks/%zu/worker", ti);
            return rule_error(w, ptr,
                              "failed to render template, empty hardware address (task %.*s)",
                              SHOW(json_object_get(t, "name")));
        }
    }
    return 0;
}

int tmpl_parse_workflow(const char *yaml, size_t len, json_t **ret, struct tmpl_error *reterr)
{
    _cleanup_json_ json_t *docs = NULL, *out = NULL;
    struct wf w = {.yaml = yaml, .len = len, .err = reterr, .ptr = BUF_INIT(SIZE_MAX)};
    struct yamljson_error yerr;
    int r;

    if (reterr)
        *reterr = (struct tmpl_error){0};
    if (!yaml || !ret) {
        if (reterr)
            (void)snprintf(reterr->message, sizeof(reterr->message), "no workflow text");
        return -EINVAL;
    }
    r = yamljson_parse_all(yaml, len, &docs, &yerr);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        if (reterr) {
            reterr->line = yerr.line;
            reterr->column = yerr.column;
            (void)snprintf(reterr->message, sizeof(reterr->message), "yaml: line %d: %s", yerr.line,
                           yerr.message);
        }
        return -EBADMSG;
    }
    out = json_object();
    if (!out)
        return -ENOMEM;
    r = buf_append(&w.ptr, "", 0);
    if (r >= 0)
        r = conv_workflow(&w, json_array_size(docs) ? json_array_get(docs, 0) : json_null(), out);
    if (r >= 0)
        r = apply_fixups(&w);
    if (r >= 0)
        r = validate(&w, out);
    for (size_t i = 0; i < w.n_fixups; i++) {
        free(w.fixups[i].pointer);
        free(w.fixups[i].key);
    }
    free(w.fixups);
    buf_free(&w.ptr);
    if (r == -ENOMEM && reterr)
        (void)snprintf(reterr->message, sizeof(reterr->message), "out of memory");
    if (r < 0)
        return r;
    *ret = TAKE_PTR(out);
    return 0;
}
