/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition of request counts, latencies and store state. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver-internal.h"
#include "apistore/apistore.h"

#define MAX_SERIES 512

struct series {
    char verb[16];
    char resource[64];
    int code;
    uint64_t count;
    double seconds;
};

struct api_metrics {
    struct series v[MAX_SERIES];
    size_t n;
    uint64_t dropped;
};

int api_metrics_new(struct api_metrics **ret)
{
    *ret = calloc(1, sizeof(**ret));
    return *ret ? 0 : -ENOMEM;
}

struct api_metrics *api_metrics_free(struct api_metrics *m)
{
    free(m);
    return NULL;
}

/* The resource label: the plural after /api/v1 or /apis/<g>/<v>, skipping
 * namespaces/<ns>; non-resource paths keep their first segment. */
static void resource_label(const char *path, char *out, size_t n)
{
    struct api_path p;
    if (path && api_path_parse(path, &p) == 0) {
        if (p.kind == API_PATH_RESOURCE)
            snprintf(out, n, "%s", p.resource);
        else if (p.kind == API_PATH_DISCOVERY)
            snprintf(out, n, "discovery");
        else if (p.kind == API_PATH_OPENAPI_V3 || p.kind == API_PATH_OPENAPI_V2)
            snprintf(out, n, "openapi");
        else
            snprintf(out, n, "other");
        api_path_clear(&p);
        return;
    }
    snprintf(out, n, "unknown");
}

void api_metrics_request(
        struct api_metrics *m, const char *verb, const char *path, int code, double seconds)
{
    char res[64];
    resource_label(path, res, sizeof(res));
    for (size_t i = 0; i < m->n; i++) {
        struct series *s = &m->v[i];
        if (s->code == code && strcmp(s->verb, verb) == 0 && strcmp(s->resource, res) == 0) {
            s->count++;
            s->seconds += seconds;
            return;
        }
    }
    if (m->n == MAX_SERIES) {
        m->dropped++;
        return;
    }
    struct series *s = &m->v[m->n++];
    snprintf(s->verb, sizeof(s->verb), "%s", verb);
    snprintf(s->resource, sizeof(s->resource), "%s", res);
    s->code = code;
    s->count = 1;
    s->seconds = seconds;
}

int api_metrics_render(struct apiserver *s, struct buf *out)
{
    struct api_metrics *m = s->metrics;
    int r = buf_append_str(out, "# HELP apiserver_request_total Requests by verb, resource and "
                                "HTTP code.\n# TYPE apiserver_request_total counter\n");
    for (size_t i = 0; r == 0 && i < m->n; i++)
        r = buf_printf(out,
                       "apiserver_request_total{verb=\"%s\",resource=\"%s\",code=\"%d\"} %" PRIu64
                       "\n",
                       m->v[i].verb, m->v[i].resource, m->v[i].code, m->v[i].count);
    if (r == 0)
        r = buf_append_str(out, "# HELP apiserver_request_duration_seconds Time to handle a "
                                "request (watches: to start the stream).\n# TYPE "
                                "apiserver_request_duration_seconds summary\n");
    for (size_t i = 0; r == 0 && i < m->n; i++)
        r = buf_printf(out,
                       "apiserver_request_duration_seconds_sum{verb=\"%s\",resource=\"%s\"} %.6f\n"
                       "apiserver_request_duration_seconds_count{verb=\"%s\",resource=\"%s\"} "
                       "%" PRIu64 "\n",
                       m->v[i].verb, m->v[i].resource, m->v[i].seconds, m->v[i].verb,
                       m->v[i].resource, m->v[i].count);
    struct apistore_stats st;
    apistore_get_stats(s->store, &st);
    if (r == 0)
        r = buf_printf(out,
                       "# TYPE anvil_apiserver_watchers gauge\nanvil_apiserver_watchers %zu\n"
                       "# TYPE anvil_apiserver_revision gauge\nanvil_apiserver_revision %" PRIu64
                       "\n"
                       "# TYPE anvil_apiserver_compacted_revision gauge\n"
                       "anvil_apiserver_compacted_revision %" PRIu64 "\n"
                       "# TYPE anvil_apistore_writes_total counter\n"
                       "anvil_apistore_writes_total %" PRIu64 "\n"
                       "# TYPE anvil_apistore_conflicts_total counter\n"
                       "anvil_apistore_conflicts_total %" PRIu64 "\n"
                       "# TYPE anvil_apistore_compactions_total counter\n"
                       "anvil_apistore_compactions_total %" PRIu64 "\n"
                       "# TYPE anvil_apiserver_metric_series_dropped_total counter\n"
                       "anvil_apiserver_metric_series_dropped_total %" PRIu64 "\n",
                       api_watchers_count(s->watchers), apistore_revision(s->store),
                       apistore_compacted_revision(s->store), st.writes, st.conflicts,
                       st.compactions, m->dropped);
    return r;
}
