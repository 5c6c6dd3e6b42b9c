/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: an object as read from the API server (JSON), plus a reason
 * and a message, through events_ref_from_object() and events_record() to
 * the Event handed to the sink. Checked: a reference is accepted only with
 * a non-empty kind and name; a queued event becomes exactly one create
 * whose involvedObject repeats the reference, whose name is the object's
 * name (cut) plus 16 hex digits within 253 bytes, and whose message is a
 * prefix of the input of at most EVENTS_MAX_MESSAGE bytes.
 *
 * Input: "<json>\n<reason>\n<message>"; the reason's first byte also picks
 * the type.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events/events-test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz-events-object: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                       \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static bool same_opt(const json_t *involved, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(involved, key));
    if (!want || !*want)
        return got == NULL;
    return got && strcmp(got, want) == 0;
}

static void check_event(const json_t *ev, const struct events_ref *ref, const char *message)
{
    const json_t *inv = json_object_get(ev, "involvedObject");
    CHECK(same_opt(inv, "kind", ref->kind));
    CHECK(same_opt(inv, "name", ref->name));
    CHECK(same_opt(inv, "namespace", ref->namespace_));
    CHECK(same_opt(inv, "uid", ref->uid));
    CHECK(same_opt(inv, "apiVersion", ref->api_version));
    CHECK(same_opt(inv, "resourceVersion", ref->resource_version));
    const char *name = json_string_value(json_object_get(json_object_get(ev, "metadata"), "name"));
    CHECK(name);
    size_t n = strlen(name);
    CHECK(n <= EVENTS_NAME_MAX && n >= 17);
    CHECK(name[n - 17] == '.');
    CHECK(strspn(name + n - 16, "0123456789abcdef") == 16);
    CHECK(strncmp(name, ref->name, n - 17) == 0);
    const char *msg = json_string_value(json_object_get(ev, "message"));
    CHECK(msg);
    CHECK(strlen(msg) <= EVENTS_MAX_MESSAGE);
    CHECK(strncmp(msg, message, strlen(msg)) == 0);
    CHECK(json_integer_value(json_object_get(ev, "count")) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *reason = memchr(text, '\n', size);
    char *message = NULL;
    if (reason) {
        *reason++ = '\0';
        message = strchr(reason, '\n');
        if (message)
            *message++ = '\0';
    }
    json_t *obj = json_loads(text, JSON_DECODE_ANY, NULL);
    struct events_ref ref;
    int r = obj ? events_ref_from_object(obj, &ref) : -EINVAL;
    if (r < 0) {
        CHECK(r == -EINVAL);
        goto out;
    }
    CHECK(ref.kind && *ref.kind && ref.name && *ref.name);

    struct fake_sink sink;
    struct fake_clock clk = {.now_ms = 5000, .wall_ns = INT64_C(1795238581000000000)};
    CHECK(fake_sink_init(&sink) == 0);
    struct events_sink ops = fake_sink_ops(&sink);
    struct events_recorder *rec = NULL;
    CHECK(events_recorder_new(&rec, &ops,
                              &(struct events_opts){
                                      .component = "fuzz",
                                      .instance = "i",
                                      .clock = &(struct events_clock){.now_ms = fake_now_ms,
                                                                      .wall_ns = fake_wall_ns,
                                                                      .userdata = &clk},
                              }) == 0);
    const char *why = reason ? reason : "Fuzzed";
    enum events_type type = (why[0] & 1) ? EVENTS_WARNING : EVENTS_NORMAL;
    r = events_record(rec, &ref, type, why, message);
    if (r == 0) {
        CHECK(events_process_one(rec, NULL) == 1);
        CHECK(json_array_size(sink.calls) == 1);
        const json_t *c = json_array_get(sink.calls, 0);
        CHECK(strcmp(json_string_value(json_object_get(c, "op")), "create") == 0);
        check_event(json_object_get(c, "body"), &ref, message ? message : "");
        const char *ns = json_string_value(json_object_get(c, "ns"));
        CHECK(strcmp(ns, ref.namespace_ && *ref.namespace_ ? ref.namespace_ : "default") == 0);
    } else {
        CHECK(r == -EINVAL);
        CHECK(json_array_size(sink.calls) == 0);
    }
    events_recorder_free(rec);
    fake_sink_done(&sink);
out:
    json_decref(obj);
    free(text);
    return 0;
}
