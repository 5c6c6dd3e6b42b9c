/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Random agent reports against the Workflow state machine. Two modes, chosen
 * by the first byte:
 *
 *   even: a scripted run. A fixed two-task, two-agent template is rendered,
 *         then each following byte group is one event: GetAction for an
 *         agent, a status report (current, stale, foreign or garbage ids;
 *         any state; fuzzer-chosen times and message), a controller
 *         reconcile after the clock moves, a re-run request, or the last
 *         report repeated.
 *   odd:  a raw Workflow JSON and report fields, separated by NUL bytes.
 *
 * After every step: states are valid, actions run in order, attempts never
 * exceed retries, ids are unique, every return code is documented, a
 * repeated report changes nothing, and a terminal Workflow never moves
 * except through a new re-run token.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workflow/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x)) {                                                            \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char *const template_doc =
        "{\"name\":\"f\",\"global_timeout\":600,\"tasks\":["
        "{\"name\":\"os\",\"worker\":\"A\",\"actions\":["
        "{\"name\":\"a0\",\"image\":\"i\",\"timeout\":60},"
        "{\"name\":\"a1\",\"image\":\"i\",\"timeout\":0,\"retries\":2}]},"
        "{\"name\":\"fw\",\"worker\":\"B\",\"actions\":["
        "{\"name\":\"b0\",\"image\":\"i\",\"timeout\":5,\"retries\":1}]}]}";

static const char *const report_states[] = {"RUNNING", "SUCCESS", "FAILED", "TIMEOUT", "PENDING"};

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

static int fuzz_random(void *userdata, void *buf, size_t len)
{
    uint32_t *seed = userdata;
    uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        *seed = *seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(*seed >> 16);
    }
    return 0;
}

static bool valid_action_state(const char *s)
{
    for (size_t i = 0; i < 4; i++)
        if (s && strcmp(s, report_states[i]) == 0)
            return true;
    return s && strcmp(s, "PENDING") == 0;
}

/* Invariants of a status produced by the state machine itself. */
static void check_status(const json_t *st)
{
    const char *state = json_string_value(json_object_get(st, "state"));
    enum workflow_state ws = workflow_state_from_string(state);
    json_t *tasks = json_object_get(st, "tasks"), *task, *action;
    json_t *seen = json_object();
    size_t t, a, n_actions = 0, n_success = 0;
    int phase = 0; /* 0: successes, 1: the current action seen, 2: pending tail */

    CHECK(seen);
    CHECK(ws <= WORKFLOW_STATE_TIMEOUT);
    json_array_foreach(tasks, t, task) {
        const char *tid = json_string_value(json_object_get(task, "id"));
        CHECK(tid && !json_object_get(seen, tid));
        json_object_set_new(seen, tid, json_true());
        json_array_foreach(json_object_get(task, "actions"), a, action) {
            const char *aid = json_string_value(json_object_get(action, "id"));
            const char *as = json_string_value(json_object_get(action, "state"));
            json_int_t retries = json_integer_value(json_object_get(action, "retries"));
            json_int_t attempts = json_integer_value(json_object_get(action, "attempts"));

            CHECK(aid && !json_object_get(seen, aid) && workflow_ulid_parse(aid, NULL) == 0);
            json_object_set_new(seen, aid, json_true());
            CHECK(valid_action_state(as));
            CHECK(attempts >= 0 && attempts <= retries);
            n_actions++;
            if (strcmp(as, "SUCCESS") == 0) {
                CHECK(phase == 0); /* actions succeed in order */
                n_success++;
            } else if (phase == 0) {
                phase = 1;
            } else {
                CHECK(strcmp(as, "PENDING") == 0); /* nothing past the current action ran */
            }
        }
    }
    if (ws == WORKFLOW_STATE_POST || ws == WORKFLOW_STATE_SUCCESS)
        CHECK(n_actions > 0 && n_success == n_actions);
    json_decref(seen);
}

static void replace_status(json_t *wf, json_t *status)
{
    if (status)
        CHECK(json_object_set(wf, "status", status) == 0);
}

static bool report_rc_ok(int r)
{
    return r == 0 || r == 1 || r == -EBADMSG || r == -ENOENT || r == -ESTALE || r == -EPROTO;
}

/* An id the report names: the current action, an old one, or garbage. */
static const char *pick_id(struct cursor *c, const json_t *wf, bool task, char *junk, size_t len)
{
    const json_t *tasks = json_object_get(json_object_get(wf, "status"), "tasks");
    uint8_t b = take(c);
    size_t ti = ((b >> 2) & 3) % 3, ai = ((b >> 4) & 3) % 3;
    json_t *tk = json_array_get(tasks, ti);

    switch (b & 3) {
    case 0:
    case 1:
        if (task)
            return json_string_value(json_object_get(tk, "id"));
        return json_string_value(
                json_object_get(json_array_get(json_object_get(tk, "actions"), ai), "id"));
    case 2:
        snprintf(junk, len, "%02x", take(c));
        return junk;
    default:
        return NULL;
    }
}

/* State of a scripted run. */
struct run {
    json_t *wf;
    json_t *doc;
    struct workflow_env env;
    struct workflow_report last; /* the last report that changed the status */
    bool have_last;
    char last_task[64], last_action[64], last_start[32], last_stop[32], last_msg[64];
    char msg[64], start[32], stop[32], junk1[8], junk2[8], token[8];
};

static void op_get_action(struct run *run, uint8_t op)
{
    struct workflow_next n = {0};

    CHECK(workflow_next_action(run->wf, (op & 8) ? "B" : "A", &n) == 0);
    CHECK(n.kind < _WORKFLOW_NEXT_MAX);
    if (n.kind == WORKFLOW_NEXT_ACTION) {
        json_t *resp = NULL;
        replace_status(run->wf, n.status);
        CHECK(workflow_action_response(run->wf, &n, &resp) == 0);
        CHECK(json_integer_value(json_object_get(resp, "timeout")) > 0);
        json_decref(resp);
    } else {
        CHECK(!n.status);
    }
    workflow_next_done(&n);
}

/* Copies an applied report for an exact repeat: its ids point into the
 * status that is about to be replaced. */
static void remember(struct run *run, const struct workflow_report *rep)
{
    run->last = *rep;
    snprintf(run->last_task, sizeof(run->last_task), "%s", rep->task_id);
    snprintf(run->last_action, sizeof(run->last_action), "%s", rep->action_id);
    run->last.task_id = run->last_task;
    run->last.action_id = run->last_action;
    if (rep->execution_start)
        run->last.execution_start = strcpy(run->last_start, rep->execution_start);
    if (rep->execution_stop)
        run->last.execution_stop = strcpy(run->last_stop, rep->execution_stop);
    if (rep->message)
        run->last.message = strcpy(run->last_msg, rep->message);
    run->have_last = true;
}

static void op_report(struct run *run, struct cursor *c, uint8_t op)
{
    struct workflow_plan plan = {0};
    struct workflow_report rep = {
            .agent_id = (op & 8)    ? "B"
                        : (op & 16) ? "A"
                                    : "",
            .task_id = pick_id(c, run->wf, true, run->junk1, sizeof(run->junk1)),
            .action_id = pick_id(c, run->wf, false, run->junk2, sizeof(run->junk2)),
            .state = report_states[take(c) % 5],
    };
    uint8_t f = take(c);
    int r;

    if (f & 1) {
        snprintf(run->start, sizeof(run->start), "2024-05-01T12:%02u:%02uZ", take(c) % 60,
                 take(c) % 61);
        rep.execution_start = run->start;
    }
    if (f & 2) {
        snprintf(run->stop, sizeof(run->stop), "2024-05-01T13:00:%02u.%03uZ", take(c) % 60,
                 take(c));
        rep.execution_stop = run->stop;
    }
    if (f & 4) {
        snprintf(run->msg, sizeof(run->msg), "m%c%c", take(c), take(c));
        rep.message = run->msg;
    }
    rep.execution_duration = (f & 8) ? "1m2.5s" : NULL;
    r = workflow_apply_report(run->wf, &run->env, &rep, &plan);
    CHECK(report_rc_ok(r));
    CHECK((r == 1) == (plan.status != NULL));
    if (r == 1) {
        remember(run, &rep);
        replace_status(run->wf, plan.status);
    }
    workflow_plan_done(&plan);
}

static void op_reconcile(struct run *run, struct cursor *c, uint8_t op)
{
    struct workflow_reconcile_opts opts = {0};
    struct workflow_plan plan = {0};

    run->env.now_ms += (int64_t)take(c) * (op & 8 ? 60000 : 1000);
    if (workflow_needs_render(run->wf)) {
        opts.rendered = (op & 16) ? run->doc : NULL;
        opts.render_error = "render failed";
    }
    CHECK(workflow_reconcile(run->wf, &run->env, &opts, &plan) == 0);
    replace_status(run->wf, plan.status);
    workflow_plan_done(&plan);
}

static void op_rerun(struct run *run, struct cursor *c)
{
    json_t *annotations = json_object_get(json_object_get(run->wf, "metadata"), "annotations");

    snprintf(run->token, sizeof(run->token), "%u", take(c) % 3);
    CHECK(json_object_set_new(annotations, "anvil.dev/rerun", json_string(run->token)) == 0);
}

/* The last applied report again: it must change nothing. */
static void op_repeat(struct run *run)
{
    struct workflow_plan plan = {0};

    if (!run->have_last)
        return;
    int r = workflow_apply_report(run->wf, &run->env, &run->last, &plan);
    CHECK(r == 0 || r == -ENOENT || r == -ESTALE);
    CHECK(!plan.status);
    run->have_last = false;
}

static void scripted(struct cursor *c)
{
    uint32_t seed = 1;
    struct workflow_ulid *ids = NULL;
    struct run run = {
            .wf = json_pack("{s:{s:s, s:s, s:{}}, s:{s:s}}", "metadata", "name", "wf", "namespace",
                            "ns", "annotations", "spec", "templateRef", "t"),
            .doc = json_loads(template_doc, 0, NULL),
            .env = {.now_ms = 1714564800000},
    };

    CHECK(run.wf && run.doc && workflow_ulid_new(&ids, fuzz_random, &seed) == 0);
    run.env.ids = ids;

    for (int steps = 0; c->n > 0 && steps < 200; steps++) {
        uint8_t op = take(c);
        /* Only a re-run request may move a finished Workflow. */
        bool frozen = workflow_state_is_terminal(workflow_get_state(run.wf)) &&
                      !workflow_needs_render(run.wf);
        json_t *snapshot = frozen ? json_deep_copy(json_object_get(run.wf, "status")) : NULL;

        switch (op % 6) {
        case 0:
            op_get_action(&run, op);
            break;
        case 1:
        case 2:
            op_report(&run, c, op);
            break;
        case 3:
            op_reconcile(&run, c, op);
            break;
        case 4:
            op_rerun(&run, c);
            break;
        default:
            op_repeat(&run);
            break;
        }
        if (frozen)
            CHECK(json_equal(snapshot, json_object_get(run.wf, "status")));
        check_status(json_object_get(run.wf, "status"));
        json_decref(snapshot);
    }
    workflow_ulid_free(ids);
    json_decref(run.wf);
    json_decref(run.doc);
}

/* Raw mode: workflow JSON NUL agent NUL task NUL action NUL state NUL start
 * NUL stop NUL duration NUL message. */
static void raw(const uint8_t *data, size_t size)
{
    const char *fields[9] = {NULL};
    char *copy = malloc(size + 1);
    size_t nf = 0;
    uint32_t seed = 7;
    struct workflow_ulid *ids = NULL;

    CHECK(copy);
    memcpy(copy, data, size);
    copy[size] = '\0';
    fields[nf++] = copy;
    for (size_t i = 0; i < size && nf < 9; i++) {
        if (copy[i] == '\0')
            fields[nf++] = copy + i + 1;
    }
    json_t *wf = json_loads(fields[0], 0, NULL);
    CHECK(workflow_ulid_new(&ids, fuzz_random, &seed) == 0);
    if (json_is_object(wf)) {
        struct workflow_env env = {.now_ms = 1714564800000, .ids = ids};
        struct workflow_report rep = {
                .agent_id = fields[1],
                .task_id = fields[2],
                .action_id = fields[3],
                .state = fields[4],
                .execution_start = fields[5],
                .execution_stop = fields[6],
                .execution_duration = fields[7],
                .message = fields[8],
        };
        struct workflow_plan plan = {0}, again = {0};
        struct workflow_next next = {0};
        enum workflow_state before = workflow_get_state(wf);
        int r = workflow_apply_report(wf, &env, &rep, &plan);

        CHECK(report_rc_ok(r) || r == -EINVAL);
        if (workflow_state_is_terminal(before))
            CHECK(r != 1);
        if (r == 1) {
            json_t *wf2 = json_deep_copy(wf);
            CHECK(wf2 && json_object_set(wf2, "status", plan.status) == 0);
            /* Repeating it changes nothing (however odd the stored status). */
            r = workflow_apply_report(wf2, &env, &rep, &again);
            CHECK(r != 1 && !again.status);
            json_decref(wf2);
        }
        workflow_plan_done(&plan);

        if (fields[1] && fields[1][0] && workflow_next_action(wf, fields[1], &next) == 0) {
            json_t *resp = NULL;
            if (next.kind == WORKFLOW_NEXT_ACTION) {
                CHECK(workflow_action_response(wf, &next, &resp) == 0);
                json_decref(resp);
            }
            workflow_next_done(&next);
        }
        r = workflow_reconcile(wf, &env, &(struct workflow_reconcile_opts){.render_error = "x"},
                               &plan);
        CHECK(r == 0 || r == -EINVAL);
        if (r == 0 && workflow_state_is_terminal(before) && !workflow_needs_render(wf) &&
            plan.status)
            CHECK(workflow_state_from_string(
                          json_string_value(json_object_get(plan.status, "state"))) == before);
        workflow_plan_done(&plan);

        const json_t *list[1] = {wf};
        size_t idx;
        r = workflow_pick(list, 1, fields[1] ? fields[1] : "", &idx);
        CHECK(r == 0 || r == -ENOENT);
    }
    json_t *data_out = NULL;
    if (json_is_object(wf) &&
        workflow_template_data(json_object_get(wf, "spec"), NULL, &data_out) == 0)
        json_decref(data_out);
    json_decref(wf);
    workflow_ulid_free(ids);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 64 * 1024)
        return 0;
    if (data[0] & 1) {
        raw(data + 1, size - 1);
    } else {
        struct cursor c = {data + 1, size - 1};
        scripted(&c);
    }
    return 0;
}
