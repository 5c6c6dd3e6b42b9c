/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The set of served resources: the built-in kinds anvil needs (namespaces,
 * secrets, configmaps, events, leases, CRDs) and every served version of
 * every established CRD.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "base/json-cleanup.h"

struct api_registry {
    struct api_resource **v;
    size_t n;
    size_t cap;
    uint64_t generation;
};

static void resource_free(struct api_resource *r)
{
    if (!r)
        return;
    free(r->group);
    free(r->version);
    free(r->plural);
    free(r->singular);
    free(r->kind);
    free(r->list_kind);
    json_decref(r->short_names);
    json_decref(r->categories);
    json_decref(r->schema);
    json_decref(r->printer_columns);
    json_decref(r->field_selectors);
    free(r->store_key);
    free(r->crd_name);
    free(r);
}

static int registry_append(struct api_registry *r, struct api_resource *res)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct api_resource **v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = res;
    r->generation++;
    return 0;
}

struct builtin_def {
    const char *group, *version, *plural, *singular, *kind;
    bool namespaced, has_status;
    const char *short_names; /* JSON array text */
    const char *categories;
    const char *columns; /* JSON array text of printer columns */
    const char *field_selectors;
};

static const struct builtin_def builtins[] = {
        {"", "v1", "namespaces", "namespace", "Namespace", false, true, "[\"ns\"]", "[]",
         "[{\"name\":\"Status\",\"type\":\"string\",\"jsonPath\":\".status.phase\"},"
         "{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":\".metadata.creationTimestamp\"}]",
         "[\"status.phase\"]"},
        {"", "v1", "secrets", "secret", "Secret", true, false, "[]", "[]",
         "[{\"name\":\"Type\",\"type\":\"string\",\"jsonPath\":\".type\"},"
         "{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":\".metadata.creationTimestamp\"}]",
         "[\"type\"]"},
        {"", "v1", "configmaps", "configmap", "ConfigMap", true, false, "[\"cm\"]", "[]",
         "[{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":\".metadata.creationTimestamp\"}]",
         "[]"},
        {"", "v1", "events", "event", "Event", true, false, "[\"ev\"]", "[]",
         "[{\"name\":\"Last Seen\",\"type\":\"date\",\"jsonPath\":\".lastTimestamp\"},"
         "{\"name\":\"Type\",\"type\":\"string\",\"jsonPath\":\".type\"},"
         "{\"name\":\"Reason\",\"type\":\"string\",\"jsonPath\":\".reason\"},"
         "{\"name\":\"Object\",\"type\":\"string\",\"jsonPath\":\".involvedObject.name\"},"
         "{\"name\":\"Message\",\"type\":\"string\",\"jsonPath\":\".message\"}]",
         "[\"involvedObject.kind\",\"involvedObject.namespace\",\"involvedObject.name\","
         "\"involvedObject.uid\",\"involvedObject.apiVersion\",\"involvedObject.resourceVersion\","
         "\"involvedObject.fieldPath\",\"reason\",\"reportingComponent\",\"source\",\"type\"]"},
        {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, false, "[]", "[]",
         "[{\"name\":\"Holder\",\"type\":\"string\",\"jsonPath\":\".spec.holderIdentity\"},"
         "{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":\".metadata.creationTimestamp\"}]",
         "[]"},
        {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
         "CustomResourceDefinition", false, true, "[\"crd\",\"crds\"]", "[\"api-extensions\"]",
         "[{\"name\":\"Created At\",\"type\":\"date\",\"format\":\"date-time\","
         "\"jsonPath\":\".metadata.creationTimestamp\",\"raw\":true}]",
         "[]"},
};

static char *make_store_key(const char *group, const char *plural)
{
    size_t n = strlen(group) + strlen(plural) + 2;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s/%s", group, plural);
    return k;
}

static char *list_kind_of(const char *kind)
{
    size_t n = strlen(kind) + 5;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%sList", kind);
    return s;
}

static int add_builtin(struct api_registry *r, const struct builtin_def *d)
{
    struct api_resource *res = calloc(1, sizeof(*res));
    if (!res)
        return -ENOMEM;
    res->group = strdup(d->group);
    res->version = strdup(d->version);
    res->plural = strdup(d->plural);
    res->singular = strdup(d->singular);
    res->kind = strdup(d->kind);
    res->list_kind = list_kind_of(d->kind);
    res->namespaced = d->namespaced;
    res->has_status = d->has_status;
    res->builtin = true;
    res->storage_version = true;
    res->short_names = json_loads(d->short_names, 0, NULL);
    res->categories = json_loads(d->categories, 0, NULL);
    res->printer_columns = json_loads(d->columns, 0, NULL);
    res->field_selectors = json_loads(d->field_selectors, 0, NULL);
    res->store_key = make_store_key(d->group, d->plural);
    if (!res->group || !res->version || !res->plural || !res->singular || !res->kind ||
        !res->list_kind || !res->short_names || !res->categories || !res->printer_columns ||
        !res->field_selectors || !res->store_key) {
        resource_free(res);
        return -ENOMEM;
    }
    int ret = registry_append(r, res);
    if (ret < 0)
        resource_free(res);
    return ret;
}

int api_registry_new(struct api_registry **ret)
{
    struct api_registry *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        int e = add_builtin(r, &builtins[i]);
        if (e < 0) {
            api_registry_free(r);
            return e;
        }
    }
    *ret = r;
    return 0;
}

struct api_registry *api_registry_free(struct api_registry *r)
{
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        resource_free(r->v[i]);
    free(r->v);
    free(r);
    return NULL;
}

const struct api_resource *api_registry_find(const struct api_registry *r,
                                             const char *group,
                                             const char *version,
                                             const char *plural)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct api_resource *res = r->v[i];
        if (strcmp(res->group, group) == 0 && strcmp(res->version, version) == 0 &&
            strcmp(res->plural, plural) == 0)
            return res;
    }
    return NULL;
}

size_t api_registry_count(const struct api_registry *r)
{
    return r->n;
}

const struct api_resource *api_registry_at(const struct api_registry *r, size_t i)
{
    return i < r->n ? r->v[i] : NULL;
}

uint64_t api_registry_generation(const struct api_registry *r)
{
    return r->generation;
}

void api_registry_remove_crd(struct api_registry *r, const char *crd_name)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i]->crd_name && strcmp(r->v[i]->crd_name, crd_name) == 0) {
            resource_free(r->v[i]);
            continue;
        }
        r->v[w++] = r->v[i];
    }
    if (w != r->n)
        r->generation++;
    r->n = w;
}

static char *json_strdup(const json_t *v, const char *fallback)
{
    const char *s = json_string_value(v);
    if (!s)
        s = fallback;
    return s ? strdup(s) : NULL;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return d;
}

/* One served version of a CRD as a resource. */
static int crd_version_resource(const json_t *crd, const json_t *ver, struct api_resource **ret)
{
    const json_t *spec = json_object_get(crd, "spec");
    const json_t *names = json_object_get(spec, "names");
    const char *kind = json_string_value(json_object_get(names, "kind"));
    struct api_resource *res = calloc(1, sizeof(*res));
    if (!res)
        return -ENOMEM;
    res->group = json_strdup(json_object_get(spec, "group"), "");
    res->version = json_strdup(json_object_get(ver, "name"), "");
    res->plural = json_strdup(json_object_get(names, "plural"), "");
    res->singular = json_string_value(json_object_get(names, "singular"))
                            ? json_strdup(json_object_get(names, "singular"), "")
                            : lower_dup(kind ? kind : "");
    res->kind = strdup(kind ? kind : "");
    res->list_kind = json_string_value(json_object_get(names, "listKind"))
                             ? json_strdup(json_object_get(names, "listKind"), "")
                             : list_kind_of(kind ? kind : "");
    res->namespaced =
            strcmp(api_str_or(json_string_value(json_object_get(spec, "scope")), ""), "Cluster");
    res->has_status = json_object_get(json_object_get(ver, "subresources"), "status") != NULL;
    res->storage_version = json_is_true(json_object_get(ver, "storage"));
    json_t *sn = json_object_get(names, "shortNames");
    json_t *cat = json_object_get(names, "categories");
    res->short_names = sn ? json_deep_copy(sn) : json_array();
    res->categories = cat ? json_deep_copy(cat) : json_array();
    json_t *schema = json_object_get(json_object_get(ver, "schema"), "openAPIV3Schema");
    res->schema = schema ? json_deep_copy(schema) : NULL;
    json_t *cols = json_object_get(ver, "additionalPrinterColumns");
    if (cols && json_array_size(cols) > 0)
        res->printer_columns = json_deep_copy(cols);
    else
        res->printer_columns = json_loads("[{\"name\":\"Age\",\"type\":\"date\","
                                          "\"jsonPath\":\".metadata.creationTimestamp\"}]",
                                          0, NULL);
    res->field_selectors = json_array();
    res->crd_name = json_strdup(json_object_get(json_object_get(crd, "metadata"), "name"), "");
    res->store_key = res->group && res->plural ? make_store_key(res->group, res->plural) : NULL;
    if (!res->group || !res->version || !res->plural || !res->singular || !res->kind ||
        !res->list_kind || !res->short_names || !res->categories || !res->printer_columns ||
        !res->field_selectors || !res->crd_name || !res->store_key) {
        resource_free(res);
        return -ENOMEM;
    }
    *ret = res;
    return 0;
}

int api_registry_put_crd(struct api_registry *r, const json_t *crd)
{
    const char *name = json_string_value(json_object_get(json_object_get(crd, "metadata"), "name"));
    json_t *versions = json_object_get(json_object_get(crd, "spec"), "versions");
    size_t i;
    json_t *ver;
    if (!name || !json_is_array(versions))
        return -EINVAL;
    api_registry_remove_crd(r, name);
    json_array_foreach(versions, i, ver) {
        if (json_is_false(json_object_get(ver, "served")))
            continue;
        struct api_resource *res;
        int e = crd_version_resource(crd, ver, &res);
        if (e < 0)
            return e;
        if ((e = registry_append(r, res)) < 0) {
            resource_free(res);
            return e;
        }
    }
    return 0;
}
