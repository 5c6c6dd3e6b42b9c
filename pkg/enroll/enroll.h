/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The pure part of anvil's auto capabilities: Quamina-style pattern matching
 * of agent attributes (WorkflowRuleSet rules), Tinkerbell's object-name
 * mangling, MAC normalisation, and the builders of the objects that discovery
 * (Hardware `discovery-<id>`) and enrollment (Workflow `enrollment-<id>`)
 * create, plus the pre-registration test "is this Hardware that agent".
 *
 * Everything works on jansson values and returns new values; inputs are never
 * modified. Nothing here does I/O, talks to Kubernetes or logs. Compiled
 * patterns and rule sets are immutable after creation, so matching one from
 * several threads at once is safe; all other functions are reentrant.
 *
 * The agent attributes follow Tinkerbell's JSON shape (cpu, memory,
 * blockDevices[], networkInterfaces[], pciDevices[], gpuDevices[], chassis,
 * bios, baseboard, product); docs/enroll.md has the pattern language.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/macro.h"

/* Longest pattern text enroll_pattern_compile() accepts, in bytes. */
#define ENROLL_PATTERN_MAX_BYTES (64 * 1024)
/* Deepest nesting of objects in one pattern (the root object is level 1). */
#define ENROLL_PATTERN_MAX_DEPTH 16
/* Most values and operators one pattern may hold, over all its fields. */
#define ENROLL_PATTERN_MAX_VALUES 1024
/* Longest string operand (exact value, prefix, wildcard, ...), in bytes. */
#define ENROLL_PATTERN_MAX_STRING 4096
/* Most arrays nested inside arrays that matching descends into in an event;
 * deeper values are not looked at. */
#define ENROLL_EVENT_MAX_ARRAY_DEPTH 32
/* Most rules (patterns) one WorkflowRuleSet may hold. */
#define ENROLL_RULESET_MAX_RULES 256

/* Kubernetes object names made by enroll_name_make() are at most this long. */
#define ENROLL_NAME_MAX          63
#define ENROLL_DISCOVERY_PREFIX  "discovery-"
#define ENROLL_ENROLLMENT_PREFIX "enrollment-"

/* Length of a normalised MAC "aa:bb:cc:dd:ee:ff" (without the NUL). */
#define ENROLL_MAC_STRLEN 17

#define ENROLL_LABEL_DISCOVERED      "tinkerbell.org/auto-discovered"
#define ENROLL_LABEL_ENROLLMENT      "tinkerbell.org/auto-enrollment"
#define ENROLL_ANNOTATION_ATTRIBUTES "tinkerbell.org/agent-attributes"
/* The attributes annotation is written only when its JSON text is at most
 * this many bytes; larger attributes are left out (as upstream does). */
#define ENROLL_ATTRIBUTES_ANNOTATION_MAX (64 * 1024)

/* Most disks and MACs taken from one agent's attributes (the rest are
 * ignored), which also bounds the de-duplication work. */
#define ENROLL_DISCOVERY_MAX_ITEMS 256

#define ENROLL_API_VERSION "tinkerbell.org/v1alpha1"

/* ---- patterns ---------------------------------------------------------- */

struct enroll_pattern;

/* Compiles one pattern from its JSON text (NUL-terminated, at most
 * ENROLL_PATTERN_MAX_BYTES). A pattern is a JSON object whose leaves are
 * arrays of allowed values or operators (docs/enroll.md).
 * Returns 0 and *ret (free with enroll_pattern_free()); -EINVAL for malformed
 * JSON, a pattern breaking the grammar or one of the caps, with *ret_error
 * (when ret_error is non-NULL) set to a malloc'd UTF-8 message naming the bad
 * part, e.g. `field "cpu.totalCores": numeric: "<<" is not a comparison`;
 * -ENOMEM. *ret is written only on success, *ret_error only on -EINVAL. */
int enroll_pattern_compile(const char *text, struct enroll_pattern **ret, char **ret_error);

/* Same as enroll_pattern_compile() for a pattern already parsed (borrowed for
 * the call; nothing of it is kept). */
int enroll_pattern_compile_json(const json_t *pattern,
                                struct enroll_pattern **ret,
                                char **ret_error);

/* True when event (the agent attributes, a JSON object) matches: every field
 * of the pattern matches. A NULL pattern, or an event that is not an object,
 * matches nothing. */
bool enroll_pattern_match(const struct enroll_pattern *p, const json_t *event);

/* Frees the pattern. NULL-safe; returns NULL. */
struct enroll_pattern *enroll_pattern_free(struct enroll_pattern *p);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct enroll_pattern *, enroll_pattern_free);

/* ---- rule sets --------------------------------------------------------- */

struct enroll_ruleset;

/* Compiles a WorkflowRuleSet object: every string of spec.rules becomes a
 * pattern, and spec.workflow is checked the way
 * enroll_enrollment_workflow() needs it, so a rule set that compiles can
 * always produce its Workflow. wrs is referenced (json_incref), not copied:
 * treat it as immutable while the rule set lives.
 * Returns 0 and *ret (free with enroll_ruleset_free()); -EINVAL with
 * *ret_error (when non-NULL; malloc'd) naming the field, e.g.
 * `spec.rules[1]: field "cpu": value must be an array or an object`;
 * -E2BIG past ENROLL_RULESET_MAX_RULES rules (with a message too); -ENOMEM. */
int enroll_ruleset_new(const json_t *wrs, struct enroll_ruleset **ret, char **ret_error);

/* Frees the rule set and drops its reference on the object. NULL-safe;
 * returns NULL. */
struct enroll_ruleset *enroll_ruleset_free(struct enroll_ruleset *rs);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct enroll_ruleset *, enroll_ruleset_free);

/* Number of the set's patterns that match attributes (0 for NULL arguments). */
size_t enroll_ruleset_count_matches(const struct enroll_ruleset *rs, const json_t *attributes);

/* The WorkflowRuleSet object, its metadata.namespace ("" when absent) and
 * metadata.name. Borrowed from rs. */
const json_t *enroll_ruleset_object(const struct enroll_ruleset *rs);
const char *enroll_ruleset_namespace(const struct enroll_ruleset *rs);
const char *enroll_ruleset_name(const struct enroll_ruleset *rs);

/* Picks the rule set for an agent: the one with the most matching patterns
 * wins; among equal counts the one whose (namespace, name) sorts first in
 * byte order wins, which is the order a Kubernetes list returns and hence the
 * set upstream picks. NULL entries are skipped.
 * Returns 0 with *ret_index and *ret_matches (either may be NULL); -ENOENT
 * when no set has a matching pattern (outputs untouched); -EINVAL for
 * sets == NULL with n > 0. */
int enroll_ruleset_select(struct enroll_ruleset *const *sets,
                          size_t n,
                          const json_t *attributes,
                          size_t *ret_index,
                          size_t *ret_matches);

/* ---- names and MACs ---------------------------------------------------- */

/* Makes prefix+id a valid Kubernetes object name exactly as Tinkerbell's
 * server does: surrounding Unicode white space of id is trimmed (an empty
 * result is an error); 'e' is prepended / appended when the name would start
 * / end with a character other than [A-Za-z0-9]; every other character
 * outside [A-Za-z0-9-] becomes '-'; runs of '-' collapse into one; the result
 * is lowercased and cut to ENROLL_NAME_MAX. Where upstream fails because the
 * cut leaves a trailing '-', the '-' is dropped instead.
 * prefix may be NULL or "". Returns 0 and *ret (malloc'd); -EINVAL for an id
 * that is NULL or only white space; -ENOMEM. */
int enroll_name_make(const char *prefix, const char *id, char **ret);

/* enroll_name_make(ENROLL_DISCOVERY_PREFIX, agent_id, ret): the Hardware name. */
int enroll_discovery_name(const char *agent_id, char **ret);

/* enroll_name_make(ENROLL_ENROLLMENT_PREFIX, agent_id, ret): the Workflow name. */
int enroll_enrollment_name(const char *agent_id, char **ret);

/* Normalises a 48-bit MAC written as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff,
 * aabb.ccdd.eeff or aabbccddeeff (hex digits in any case, one kind of
 * delimiter) into lowercase colon form in ret (ENROLL_MAC_STRLEN + 1 bytes,
 * NUL-terminated). Returns 0; -EINVAL for NULL or anything else (ret is then
 * untouched). */
int enroll_mac_normalize(const char *s, char ret[static ENROLL_MAC_STRLEN + 1]);

/* ---- discovery, enrollment, pre-registration --------------------------- */

/* The compact JSON text of attributes, as stored in the
 * ENROLL_ANNOTATION_ATTRIBUTES annotation. Returns 0 and *ret (malloc'd);
 * -E2BIG when longer than ENROLL_ATTRIBUTES_ANNOTATION_MAX; -EINVAL for
 * NULL attributes or one jansson cannot encode; -ENOMEM. */
int enroll_attributes_annotation(const json_t *attributes, char **ret);

/* The agent's MACs, normalised and without duplicates, as a new JSON array of
 * strings in *ret: agent_id first when it is itself a MAC, then every valid
 * attributes networkInterfaces[].mac in order, at most
 * ENROLL_DISCOVERY_MAX_ITEMS in all. Invalid or missing MACs are skipped.
 * attributes and agent_id may be NULL. Returns 0 or -ENOMEM. */
int enroll_attributes_macs(const json_t *attributes, const char *agent_id, json_t **ret);

struct enroll_discovery_opts {
    const char *namespace;   /* where the Hardware goes; required */
    bool enrollment_enabled; /* spec.auto.enrollmentEnabled */
};

/* Builds the Hardware that discovery creates for an unknown agent:
 * name discovery-<id> (enroll_discovery_name()), label
 * tinkerbell.org/auto-discovered=true, the attributes annotation (omitted
 * when larger than ENROLL_ATTRIBUTES_ANNOTATION_MAX or attributes is NULL),
 * spec.agentID, spec.auto.enrollmentEnabled, spec.disks[] = {device:
 * /dev/<name>} for each attributes blockDevices[] entry with a non-empty
 * size and a plain device name, and spec.interfaces[] = {dhcp: {mac}} for
 * each valid networkInterfaces[].mac (normalised, no duplicates); at most
 * ENROLL_DISCOVERY_MAX_ITEMS of each.
 * Returns 0 and *ret (a new object); -EINVAL for a NULL or blank agent_id,
 * NULL opts or an empty namespace; -ENOMEM. */
int enroll_discovery_hardware(const char *agent_id,
                              const json_t *attributes,
                              const struct enroll_discovery_opts *opts,
                              json_t **ret);

struct enroll_workflow_opts {
    const char *hardware_ref; /* spec.hardwareRef; NULL or "" leaves it out */
};

/* Builds the Workflow that enrollment creates for agent_id from the winning
 * WorkflowRuleSet wrs: name enrollment-<id>, namespace spec.workflow.namespace
 * or else the rule set's own, label tinkerbell.org/auto-enrollment=true, a
 * controller ownerReference to wrs (apiVersion, kind, name, uid), templateRef
 * = spec.workflow.template.ref, hardwareRef from opts, hardwareMap =
 * template.kvs plus [template.agentValue] = agent_id (agent_id wins a clash),
 * disabled copied when set, and the attributes annotation when
 * spec.workflow.addAttributes is true (and it fits). opts may be NULL.
 * Returns 0 and *ret; -EINVAL with *ret_error (when non-NULL; malloc'd)
 * naming the field for a blank agent_id or a rule set that cannot make a
 * Workflow (no metadata.name or metadata.uid, no template ref or agentValue,
 * a kvs value that is not a string, a spec.workflow.namespace other than the
 * rule set's own: owner references cannot cross namespaces); -ENOMEM. */
int enroll_enrollment_workflow(const json_t *wrs,
                               const char *agent_id,
                               const json_t *attributes,
                               const struct enroll_workflow_opts *opts,
                               json_t **ret,
                               char **ret_error);

enum enroll_hw_match {
    ENROLL_HW_MATCH_NONE,
    ENROLL_HW_MATCH_AGENT_ID, /* spec.agentID names this agent */
    ENROLL_HW_MATCH_MAC,      /* no spec.agentID; a dhcp.mac is one of the agent's MACs */
    _ENROLL_HW_MATCH_MAX,
};

/* Pre-registration test: does this Hardware belong to the agent? It does when
 * spec.agentID equals agent_id (byte for byte, or as the same MAC when both
 * are MACs). A Hardware whose spec.agentID names another agent never
 * matches. Without spec.agentID it matches when any interfaces[].dhcp.mac
 * equals, after normalisation, one of enroll_attributes_macs(attributes,
 * agent_id). NULL arguments give ENROLL_HW_MATCH_NONE. */
enum enroll_hw_match
enroll_hardware_match(const json_t *hardware, const char *agent_id, const json_t *attributes);
