/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WorkflowRuleSet compilation and selection. The rules of a set are OR-ed;
 * a set's score is the number of its rules that match, and the best score
 * wins (upstream's "most matching patterns").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/enroll-internal.h"

struct enroll_ruleset *enroll_ruleset_free(struct enroll_ruleset *rs)
{
    if (!rs)
        return NULL;
    for (size_t i = 0; i < rs->n_patterns; i++)
        enroll_pattern_free(rs->patterns[i]);
    free(rs->patterns);
    free(rs->namespace);
    free(rs->name);
    json_decref(rs->object);
    free(rs);
    return NULL;
}

static int compile_rules(struct enroll_ruleset *rs, const json_t *rules, char **ret_error)
{
    size_t n = json_array_size(rules);

    if (rules && !json_is_array(rules))
        return enroll_errorf(ret_error, "spec.rules: must be an array of strings");
    if (n > ENROLL_RULESET_MAX_RULES) {
        int r = enroll_errorf(ret_error, "spec.rules: more than %d rules",
                              ENROLL_RULESET_MAX_RULES);
        return r == -EINVAL ? -E2BIG : r;
    }
    if (n == 0)
        return 0;
    rs->patterns = calloc(n, sizeof(*rs->patterns));
    if (!rs->patterns)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(rules, i));
        _cleanup_free_ char *err = NULL;
        int r;

        if (!text)
            return enroll_errorf(ret_error, "spec.rules[%zu]: must be a string", i);
        r = enroll_pattern_compile(text, &rs->patterns[i], &err);
        if (r == -EINVAL)
            return enroll_errorf(ret_error, "spec.rules[%zu]: %s", i, err ? err : "invalid");
        if (r < 0)
            return r;
        rs->n_patterns = i + 1;
    }
    return 0;
}

int enroll_ruleset_new(const json_t *wrs, struct enroll_ruleset **ret, char **ret_error)
{
    _cleanup_(enroll_ruleset_freep) struct enroll_ruleset *rs = NULL;
    struct enroll_wrs_view view;
    const char *ns;
    int r;

    assert_return(ret, -EINVAL);
    r = enroll_wrs_view(wrs, &view, ret_error);
    if (r < 0)
        return r;
    rs = calloc(1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    rs->object = json_incref((json_t *)wrs);
    ns = enroll_json_str(json_object_get(wrs, "metadata"), "namespace");
    rs->namespace = strdup(ns ? ns : "");
    rs->name = strdup(view.name);
    if (!rs->namespace || !rs->name)
        return -ENOMEM;
    r = compile_rules(rs, json_object_get(json_object_get(wrs, "spec"), "rules"), ret_error);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(rs);
    return 0;
}

size_t enroll_ruleset_count_matches(const struct enroll_ruleset *rs, const json_t *attributes)
{
    size_t n = 0;

    if (!rs)
        return 0;
    for (size_t i = 0; i < rs->n_patterns; i++)
        if (enroll_pattern_match(rs->patterns[i], attributes))
            n++;
    return n;
}

const json_t *enroll_ruleset_object(const struct enroll_ruleset *rs)
{
    return rs ? rs->object : NULL;
}

const char *enroll_ruleset_namespace(const struct enroll_ruleset *rs)
{
    return rs ? rs->namespace : NULL;
}

const char *enroll_ruleset_name(const struct enroll_ruleset *rs)
{
    return rs ? rs->name : NULL;
}

/* True when a sorts before b by (namespace, name). */
static bool sorts_before(const struct enroll_ruleset *a, const struct enroll_ruleset *b)
{
    int c = strcmp(a->namespace, b->namespace);

    return c < 0 || (c == 0 && strcmp(a->name, b->name) < 0);
}

int enroll_ruleset_select(struct enroll_ruleset *const *sets,
                          size_t n,
                          const json_t *attributes,
                          size_t *ret_index,
                          size_t *ret_matches)
{
    size_t best = 0, best_matches = 0;

    assert_return(sets || n == 0, -EINVAL);
    for (size_t i = 0; i < n; i++) {
        size_t m;

        if (!sets[i])
            continue;
        m = enroll_ruleset_count_matches(sets[i], attributes);
        if (m == 0)
            continue;
        if (m > best_matches || (m == best_matches && sorts_before(sets[i], sets[best]))) {
            best = i;
            best_matches = m;
        }
    }
    if (best_matches == 0)
        return -ENOENT;
    if (ret_index)
        *ret_index = best;
    if (ret_matches)
        *ret_matches = best_matches;
    return 0;
}
