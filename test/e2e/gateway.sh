#!/usr/bin/env bash
# The agent gateway of anvil-controller against anvil-apiserver, with
# simulated agents (gateway-fleet) as real WebSocket clients: discovery only,
# bad and missing tokens, duplicate agents, enrollment by WorkflowRuleSet to
# SUCCESS, pre-registered Hardware with an enrollment hint, the manual
# approval gate, an agent killed mid-action and re-served, per-machine
# secrets, and 200 agents enrolling while the controller is SIGKILLed.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
FLEET=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}/gateway-fleet
[ -x "$FLEET" ] || skip_all "gateway-fleet is not built (make e2e-drivers)"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }
K apply -f "$E2E_TOP/crds/" >/dev/null
K wait --for condition=established --timeout=20s -f "$E2E_TOP/crds/" >/dev/null
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fleet}\n' | K apply -f - >/dev/null

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/agent.key"
CTL_PORT=$(free_port)
GW_PORT=$(free_port)
GW=127.0.0.1:$GW_PORT
CTL_PID=
start_controller() {
    "$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$CTL_PORT" \
        --gateway-listen "$GW" --agent-key-file "$E2E_TMP/agent.key" --leader-elect=false \
        --kube-qps 500 --kube-burst 1000 "$@" >>"$E2E_TMP/controller.log" 2>&1 &
    CTL_PID=$!
    E2E_PIDS+=("$CTL_PID")
    wait_for 30 curl -sf "http://127.0.0.1:$CTL_PORT/readyz" >/dev/null
}
stop_controller() { kill "$CTL_PID" 2>/dev/null; wait "$CTL_PID" 2>/dev/null; }
fleet() { "$FLEET" --gateway "$GW" --key-file "$E2E_TMP/agent.key" "$@"; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read().splitlines()[-1]); print(eval("d"+sys.argv[1]))' "$1"; }
metric() { curl -sf "http://127.0.0.1:$CTL_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# --- discovery only
start_controller --auto-discovery --auto-discovery-namespace fleet
out=$(fleet --agents 3 --prefix 10 --until idle-no-workflow --timeout 20)
# hack/install-deps.sh installs lws' libev plugin: the gateway must run on epoll, not poll(2).
check "the gateway runs on the epoll (libev) loop" grep -q 'agent gateway event loop.*loop=epoll' "$E2E_TMP/controller.log"
check "discovery: three agents told no-workflow" test "$(echo "$out" | json_field '["done"]')" = 3
expect_match "discovery: one Hardware per agent, named discovery-<mac>" \
    "discovery-02-10-00-00-00-00.*discovery-02-10-00-00-00-01.*discovery-02-10-00-00-00-02" \
    sh -c "kubectl get hw -n fleet -o name | tr '\n' ' '"
hw=$(K get hw -n fleet discovery-02-10-00-00-00-01 -o json)
check "discovery: label, agentID, MAC and disks from the attributes" /usr/bin/python3 -c '
import json,sys
h=json.loads(sys.argv[1]); m=h["metadata"]; s=h["spec"]
assert m["labels"]["tinkerbell.org/auto-discovered"]=="true", m
a=json.loads(m["annotations"]["tinkerbell.org/agent-attributes"])
assert a["cpu"]["totalCores"]==4, a
assert s["agentID"]=="02:10:00:00:00:01", s
assert s["interfaces"][0]["dhcp"]["mac"]=="02:10:00:00:00:01", s
assert s["disks"][0]["device"]=="/dev/vda", s
assert s["auto"]["enrollmentEnabled"] is False, s' "$hw"
check "discovery: no Workflow is created" test -z "$(K get wf -A -o name)"
fleet --agents 3 --prefix 10 --until idle-no-workflow --timeout 20 >/dev/null
check "discovery: reconnecting agents create nothing new" test "$(K get hw -n fleet -o name | wc -l)" = 3
fleet --id same-agent --agents 8 --until connected --timeout 3 >/dev/null 2>&1
check "discovery: eight concurrent connects of one agent make one Hardware" \
    test "$(K get hw -n fleet -o name | grep -c discovery-same-agent)" = 1

# --- authentication
out=$("$FLEET" --gateway "$GW" --id 02:10:00:00:00:09 --token not-a-token --expect-error unauthorized --timeout 10 2>&1)
check "auth: a malformed token is refused" test "$(echo "$out" | json_field '["errors"]["unauthorized"]')" = 1
other=$("$ANVIL_BIN/anvil-controller" mint-token --agent-id 02:10:00:00:00:08 --agent-key-file "$E2E_TMP/agent.key")
out=$("$FLEET" --gateway "$GW" --id 02:10:00:00:00:09 --token "$other" --expect-error unauthorized --timeout 10 2>&1)
check "auth: another agent's token is refused" test "$(echo "$out" | json_field '["done"]')" = 1
expired=$("$ANVIL_BIN/anvil-controller" mint-token --agent-id 02:10:00:00:00:09 --ttl 1 --agent-key-file "$E2E_TMP/agent.key")
sleep 2
out=$("$FLEET" --gateway "$GW" --id 02:10:00:00:00:09 --token "$expired" --expect-error unauthorized --timeout 10 2>&1)
check "auth: an expired token is refused" test "$(echo "$out" | json_field '["done"]')" = 1
out=$("$FLEET" --gateway "$GW" --id 02:10:00:00:00:09 --expect-error unauthorized --timeout 10 2>&1)
check "auth: a hello without a token is refused" test "$(echo "$out" | json_field '["done"]')" = 1
expect_match "auth: refusals are logged with the peer address" \
    'agent refused.*peer=127.0.0.1:[0-9]+ agent=02:10:00:00:00:09 reason=unauthorized detail="token expired"' \
    cat "$E2E_TMP/controller.log"
check "auth: refusals are counted" test "$(metric 'anvil_gateway_refused_total{reason="unauthorized"}')" -ge 4
check "auth: no Hardware for refused agents" test -z "$(K get hw -n fleet -o name | grep 02-10-00-00-00-09)"

# --- duplicate agents: the second live connection is refused
fleet --id 02:10:00:00:00:00 --until idle-never --timeout 6 >"$E2E_TMP/first.out" 2>&1 &
first=$!
sleep 1
out=$(fleet --id 02:10:00:00:00:00 --expect-error duplicate-agent --timeout 5 2>&1)
check "duplicate: a second connection for a live agent ID is refused" \
    test "$(echo "$out" | json_field '["errors"]["duplicate-agent"]')" = 1
wait $first
check "duplicate: counted" test "$(metric 'anvil_gateway_refused_total{reason="duplicate-agent"}')" -ge 1
stop_controller

# --- enrollment by rule set, to SUCCESS
cat >"$E2E_TMP/enroll.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata: {name: enroll, namespace: fleet}
spec:
  data: |
    version: "0.1"
    name: enroll
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.worker_id}}"
        actions:
          - name: one
            image: anvil/exec
            timeout: 60
            command: ["true"]
          - name: two
            image: anvil/exec
            timeout: 60
            environment:
              TOKEN: secret://machine-secret/token
            command: ["true"]
---
apiVersion: v1
kind: Secret
metadata: {name: machine-secret, namespace: fleet}
stringData: {token: s3cr3t-value}
---
apiVersion: tinkerbell.org/v1alpha1
kind: WorkflowRuleSet
metadata: {name: fleet-sim, namespace: fleet}
spec:
  rules:
    - '{"product":{"name":["fleet-sim"]}}'
    - '{"networkInterfaces":{"mac":[{"prefix":"02:"}]}}'
  workflow:
    addAttributes: true
    template: {ref: enroll, agentValue: worker_id, kvs: {site: lab}}
---
apiVersion: tinkerbell.org/v1alpha1
kind: WorkflowRuleSet
metadata: {name: weaker, namespace: fleet}
spec:
  rules:
    - '{"networkInterfaces":{"mac":[{"prefix":"02:"}]}}'
  workflow:
    template: {ref: does-not-exist, agentValue: worker_id}
YAML
K apply -f "$E2E_TMP/enroll.yaml" >/dev/null
start_controller --auto-discovery --auto-discovery-namespace fleet --auto-enrollment --auto-discovery-auto-enrollment
out=$(fleet --agents 5 --prefix 20 --timeout 60 --env TOKEN)
check "enrollment: five agents run their workflows to the end" test "$(echo "$out" | json_field '["done"]')" = 5
check "enrollment: two actions served per agent" test "$(echo "$out" | json_field '["actions"]')" = 10
wf=$(K get wf -n fleet enrollment-02-20-00-00-00-03 -o json)
check "enrollment: Workflow from the best rule set, SUCCESS" /usr/bin/python3 -c '
import json,sys
w=json.loads(sys.argv[1]); m=w["metadata"]; s=w["spec"]
assert m["labels"]["tinkerbell.org/auto-enrollment"]=="true", m
assert m["ownerReferences"][0]["name"]=="fleet-sim", m
assert s["templateRef"]=="enroll", s
assert s["hardwareRef"]=="discovery-02-20-00-00-00-03", s
assert s["hardwareMap"]=={"worker_id":"02:20:00:00:00:03","site":"lab"}, s
assert w["status"]["state"]=="SUCCESS", w["status"]' "$wf"
check "secrets: the agent receives the resolved value" test "$(echo "$out" | json_field '["env"]["TOKEN"]')" = s3cr3t-value
check "secrets: Workflow status keeps the reference, not the value" \
    sh -c "echo '$wf' | grep -q 'secret://machine-secret/token' && ! echo '$wf' | grep -q s3cr3t-value"
out=$(fleet --agents 5 --prefix 20 --timeout 20)
check "enrollment: a finished agent reconnecting gets idle done, nothing re-runs" \
    test "$(echo "$out" | json_field '["actions"]')" = 0
check "enrollment: reconnecting makes no second Workflow" test "$(K get wf -n fleet -o name | wc -l)" = 5

# --- pre-registered Hardware with an enrollment hint
cat >"$E2E_TMP/prereg.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: rack1-node1
  namespace: fleet
  annotations: {anvil.dev/enrollment-template: prereg}
spec:
  interfaces:
    - dhcp: {mac: "02:30:00:00:00:00"}
---
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata: {name: prereg, namespace: fleet}
spec:
  data: |
    version: "0.1"
    name: prereg
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.worker_id}}"
        actions:
          - {name: only, image: anvil/exec, timeout: 60, command: ["true"]}
YAML
before=$(metric 'anvil_store_objects{resource="hardware"}')
K apply -f "$E2E_TMP/prereg.yaml" >/dev/null
# Pre-registration happens before the machine boots: let the controller see it first.
wait_for 20 test "$(metric 'anvil_store_objects{resource="hardware"}')" -gt "$before"
out=$(fleet --agents 1 --prefix 30 --timeout 30)
check "pre-registered: the agent runs to done" test "$(echo "$out" | json_field '["done"]')" = 1
check "pre-registered: matched by MAC, no discovery Hardware" \
    test -z "$(K get hw -n fleet -o name | grep 02-30-00-00-00-00)"
expect_match "pre-registered: the hinted template is used, with the Hardware" "prereg rack1-node1 SUCCESS" \
    K get wf -n fleet enrollment-02-30-00-00-00-00 -o jsonpath='{.spec.templateRef} {.spec.hardwareRef} {.status.state}'

# --- an agent killed mid-action is re-served on reconnect
fleet --agents 1 --prefix 40 --stall --timeout 30 >/dev/null
expect_match "mid-action: the workflow is RUNNING after the agent vanished" RUNNING \
    K get wf -n fleet enrollment-02-40-00-00-00-00 -o jsonpath='{.status.state}'
out=$(fleet --agents 1 --prefix 40 --timeout 30)
check "mid-action: the reconnecting agent is re-served and finishes" test "$(echo "$out" | json_field '["actions"]')" = 2
expect_match "mid-action: SUCCESS" SUCCESS K get wf -n fleet enrollment-02-40-00-00-00-00 -o jsonpath='{.status.state}'
stop_controller

# --- manual approval
start_controller --auto-discovery --auto-discovery-namespace fleet --auto-enrollment \
    --auto-discovery-auto-enrollment --auto-enrollment-approval=manual
fleet --agents 1 --prefix 50 --until idle-awaiting-approval --timeout 30 >"$E2E_TMP/held.out" 2>&1 &
held=$!
wait $held
check "approval: a discovered agent is held (idle awaiting-approval)" test $? = 0
expect_match "approval: its Hardware says allowWorkflow false" false \
    K get hw -n fleet discovery-02-50-00-00-00-00 -o jsonpath='{.spec.interfaces[0].netboot.allowWorkflow}'
wait_for 15 sh -c "kubectl get events -n fleet -o jsonpath='{.items[*].reason}' | grep -q AwaitingApproval"
expect_match "approval: an Event tells the operator" AwaitingApproval \
    K get events -n fleet -o jsonpath='{.items[*].reason}'
fleet --agents 1 --prefix 50 --timeout 60 >"$E2E_TMP/release.out" 2>&1 &
rel=$!
sleep 1
K annotate hw -n fleet discovery-02-50-00-00-00-00 anvil.dev/approved=true >/dev/null
wait $rel
check "approval: annotating releases it and the workflow runs" test $? = 0
expect_match "approval: SUCCESS after release" SUCCESS \
    K get wf -n fleet enrollment-02-50-00-00-00-00 -o jsonpath='{.status.state}'
stop_controller

# --- TLS
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=anvil-gateway \
    -keyout "$E2E_TMP/gw.key" -out "$E2E_TMP/gw.crt" >/dev/null 2>&1
start_controller --auto-discovery --auto-discovery-namespace fleet --auto-enrollment \
    --auto-discovery-auto-enrollment --gateway-tls-cert "$E2E_TMP/gw.crt" --gateway-tls-key "$E2E_TMP/gw.key"
out=$(fleet --agents 2 --prefix 70 --tls --timeout 30)
check "tls: agents enroll and finish over wss://" test "$(echo "$out" | json_field '["done"]')" = 2
out=$(fleet --agents 1 --prefix 71 --timeout 3 2>&1)
check "tls: a plain-text client gets nowhere" test "$(echo "$out" | json_field '["connects"]')" = 0
stop_controller
out=$("$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --gateway-tls-cert "$E2E_TMP/gw.crt" 2>&1)
check "tls: a certificate without a key is a flag error" test $? = 2
out=$("$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen 127.0.0.1:0 --gateway-listen 127.0.0.1:0 2>&1)
expect_match "auth: no agent key is a clear start error" "agent tokens need --agent-key-file or --agent-key-secret" echo "$out"

# --- 200 agents enrolling while the controller is SIGKILLed
start_controller --auto-discovery --auto-discovery-namespace fleet --auto-enrollment --auto-discovery-auto-enrollment
fleet --agents 200 --prefix 60 --timeout 240 >"$E2E_TMP/fleet200.out" 2>&1 &
f200=$!
wait_for 60 sh -c "test \$(kubectl get hw -n fleet -o name | grep -c 02-60-) -ge 40"
kill -9 "$CTL_PID"
wait "$CTL_PID" 2>/dev/null
start_controller --auto-discovery --auto-discovery-namespace fleet --auto-enrollment --auto-discovery-auto-enrollment
wait $f200
check "crash: every one of the 200 agents finishes after the controller restarts" test $? = 0
check "crash: exactly 200 Hardware" test "$(K get hw -n fleet -o name | grep -c 02-60-)" = 200
check "crash: exactly 200 Workflows" test "$(K get wf -n fleet -o name | grep -c 02-60-)" = 200
check "crash: all 200 SUCCESS" test "$(K get wf -n fleet -o jsonpath='{range .items[*]}{.metadata.name} {.status.state}{"\n"}{end}' | grep 02-60- | grep -c SUCCESS)" = 200
e2e_done
