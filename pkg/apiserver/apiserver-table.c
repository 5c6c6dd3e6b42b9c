/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta.k8s.io/v1 Table output from printer columns, as kube-apiserver's
 * tableconvertor does for custom resources: the first column is Name, then
 * each printer column in order; missing values are null cells; date columns
 * are humanised on the server ("5m").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "base/json-cleanup.h"
#include "buf/buf.h"

/* Walks one step ".name" or "[i]" / "[*]" of a simple JSONPath. Results
 * accumulate in out (array). */
static void jp_walk(const json_t *cur, const char *p, json_t *out, int depth)
{
    if (!cur || depth > 64)
        return;
    while (*p == ' ')
        p++;
    if (*p == '\0' || *p == '}') {
        json_array_append(out, (json_t *)cur);
        return;
    }
    if (*p == '.') {
        p++;
        char key[256];
        size_t n = 0;
        while (*p && *p != '.' && *p != '[' && *p != '}' && n + 1 < sizeof(key))
            key[n++] = *p++;
        key[n] = '\0';
        if (n == 0) {
            jp_walk(cur, p, out, depth + 1);
            return;
        }
        jp_walk(json_object_get(cur, key), p, out, depth + 1);
        return;
    }
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close)
            return;
        if (p[1] == '*') {
            size_t i;
            json_t *v;
            json_array_foreach((json_t *)cur, i, v)
                jp_walk(v, close + 1, out, depth + 1);
            return;
        }
        if (p[1] == '\'' || p[1] == '"') {
            char key[256];
            size_t n = (size_t)(close - p) - 3;
            if (close - p < 3 || n >= sizeof(key))
                return;
            memcpy(key, p + 2, n);
            key[n] = '\0';
            jp_walk(json_object_get(cur, key), close + 1, out, depth + 1);
            return;
        }
        char *end;
        long idx = strtol(p + 1, &end, 10);
        if (end != close)
            return;
        if (idx < 0)
            idx += (long)json_array_size(cur);
        if (idx >= 0)
            jp_walk(json_array_get(cur, (size_t)idx), close + 1, out, depth + 1);
        return;
    }
}

json_t *api_jsonpath_eval(const json_t *obj, const char *path)
{
    if (!path)
        return NULL;
    while (*path == ' ')
        path++;
    if (*path == '{')
        path++;
    json_t *out = json_array();
    if (!out)
        return NULL;
    jp_walk(obj, path, out, 0);
    size_t n = json_array_size(out);
    if (n == 0) {
        json_decref(out);
        return NULL;
    }
    if (n == 1) {
        json_t *v = json_incref(json_array_get(out, 0));
        json_decref(out);
        return v;
    }
    return out; /* several matches: an array, printed comma-joined */
}

static json_t *cell_text(const json_t *v)
{
    if (json_is_string(v))
        return json_incref((json_t *)v);
    if (json_is_array(v)) {
        struct buf b = BUF_INIT(64 * 1024);
        size_t i;
        json_t *e;
        json_array_foreach((json_t *)v, i, e) {
            if (i > 0)
                (void)buf_append(&b, ",", 1);
            if (json_is_string(e))
                (void)buf_append_str(&b, json_string_value(e));
            else {
                char *t = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
                if (t)
                    (void)buf_append_str(&b, t);
                free(t);
            }
        }
        json_t *s = json_string(buf_str(&b));
        buf_free(&b);
        return s;
    }
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *s = t ? json_string(t) : NULL;
    free(t);
    return s;
}

static json_t *cell_value(const json_t *col, const json_t *obj, int64_t now)
{
    const char *type = json_string_value(json_object_get(col, "type"));
    const char *path = json_string_value(json_object_get(col, "jsonPath"));
    _cleanup_json_ json_t *v = api_jsonpath_eval(obj, path);
    if (!v || json_is_null(v))
        return json_null();
    if (type && strcmp(type, "date") == 0) {
        if (json_is_true(json_object_get(col, "raw")))
            return cell_text(v);
        int64_t t;
        char out[32];
        if (!json_is_string(v) || api_parse_rfc3339(json_string_value(v), &t) < 0)
            return json_string("<invalid>");
        api_human_duration(now - t, out, sizeof(out));
        return json_string(out);
    }
    if (type && (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0 ||
                 strcmp(type, "boolean") == 0)) {
        if (json_is_number(v) || json_is_boolean(v))
            return json_incref(v);
        return cell_text(v);
    }
    return cell_text(v);
}

static json_t *column_definitions(const json_t *columns)
{
    json_t *defs = json_pack("[{s:s,s:s,s:s,s:s,s:i}]", "name", "Name", "type", "string", "format",
                             "name", "description",
                             "Name must be unique within a namespace. More info: "
                             "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
                             "names#names",
                             "priority", 0);
    size_t i;
    json_t *c;
    json_array_foreach((json_t *)columns, i, c) {
        const char *type = json_string_value(json_object_get(c, "type"));
        if (json_is_true(json_object_get(c, "raw")))
            type = "string";
        json_array_append_new(
                defs,
                json_pack("{s:s,s:s,s:s,s:s,s:I}", "name",
                          api_str_or(json_string_value(json_object_get(c, "name")), ""), "type",
                          type ? type : "string", "format",
                          api_str_or(json_string_value(json_object_get(c, "format")), ""),
                          "description",
                          api_str_or(json_string_value(json_object_get(c, "description")), ""),
                          "priority",
                          (json_int_t)json_integer_value(json_object_get(c, "priority"))));
    }
    return defs;
}

static json_t *row_object(const json_t *obj, const char *include)
{
    if (include && strcmp(include, "None") == 0)
        return NULL;
    if (include && strcmp(include, "Object") == 0)
        return json_deep_copy(obj);
    json_t *meta = json_object_get(obj, "metadata");
    json_t *m = meta ? json_deep_copy(meta) : json_object();
    if (m)
        json_object_del(m, "managedFields");
    return json_pack("{s:s,s:s,s:o}", "kind", "PartialObjectMetadata", "apiVersion",
                     "meta.k8s.io/v1", "metadata", m ? m : json_object());
}

json_t *api_table_new(const json_t *columns, bool with_columns, const char *list_rv)
{
    json_t *t = json_pack("{s:s,s:s,s:{s:s},s:[]}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
                          "metadata", "resourceVersion", list_rv ? list_rv : "", "rows");
    if (t && with_columns)
        json_object_set_new(t, "columnDefinitions", column_definitions(columns));
    return t;
}

int api_table_append(json_t *table,
                     const json_t *columns,
                     const json_t *obj,
                     const char *include_object,
                     int64_t now_sec)
{
    json_t *cells = json_array();
    if (!cells)
        return -ENOMEM;
    const char *name = api_obj_str(obj, "metadata", "name");
    json_array_append_new(cells, json_string(name ? name : ""));
    size_t j;
    json_t *c;
    json_array_foreach((json_t *)columns, j, c)
        json_array_append_new(cells, cell_value(c, obj, now_sec));
    json_t *row = json_pack("{s:o}", "cells", cells);
    if (!row)
        return -ENOMEM;
    json_t *ro = row_object(obj, include_object);
    if (ro)
        json_object_set_new(row, "object", ro);
    return json_array_append_new(json_object_get(table, "rows"), row) < 0 ? -ENOMEM : 0;
}

json_t *api_table_build(const json_t *columns,
                        json_t *items,
                        const char *include_object,
                        bool with_columns,
                        const char *list_rv,
                        int64_t now_sec)
{
    json_t *t = api_table_new(columns, with_columns, list_rv);
    size_t i;
    json_t *obj;
    if (!t)
        return NULL;
    json_array_foreach(items, i, obj) {
        if (api_table_append(t, columns, obj, include_object, now_sec) < 0) {
            json_decref(t);
            return NULL;
        }
    }
    return t;
}
