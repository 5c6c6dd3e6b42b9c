#!/usr/bin/env bash
# anvil-worker against the real gateway: anvil-apiserver + anvil-controller
# (discovery, enrollment, agent tokens) + anvil-worker as separate processes.
# An unknown worker enrolls through a WorkflowRuleSet and its anvil/exec
# actions really run (their side effects are checked), with a per-machine
# secret and a file written by the built-in writefile; a worker killed with
# SIGKILL mid-action is re-served the action when a new one connects; a
# worker whose token belongs to another machine is refused.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
[ -x "$ANVIL_BIN/anvil-worker" ] || skip_all "anvil-worker is not built"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }
K apply -f "$E2E_TOP/crds/" >/dev/null
K wait --for condition=established --timeout=20s -f "$E2E_TOP/crds/" >/dev/null

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/agent.key"
CTL_PORT=$(free_port)
GW_PORT=$(free_port)
"$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$CTL_PORT" \
    --gateway-listen "127.0.0.1:$GW_PORT" --agent-key-file "$E2E_TMP/agent.key" --leader-elect=false \
    --auto-discovery --auto-enrollment --auto-discovery-auto-enrollment >>"$E2E_TMP/controller.log" 2>&1 &
E2E_PIDS+=($!)
wait_for 30 curl -sf "http://127.0.0.1:$CTL_PORT/readyz" >/dev/null

OUT=$E2E_TMP/out
mkdir -p "$OUT/root"
cat >"$E2E_TMP/enroll.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: install-secret}
stringData: {password: hunter2}
---
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata: {name: worker-e2e}
spec:
  data: |
    version: "0.1"
    name: worker-e2e
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.worker_id}}"
        actions:
          - name: run-a-command
            image: anvil/exec
            timeout: 30
            environment:
              MACHINE: "{{.worker_id}}"
              PASSWORD: secret://install-secret/password
            command: ["sh", "-c", "echo \"\$MACHINE \$PASSWORD\" >> $OUT/exec-\$MACHINE.txt"]
          - name: slow-step
            image: anvil/exec
            timeout: 60
            command: ["sh", "-c", "echo run >> $OUT/slow-{{.worker_id}}.txt; sleep \$(cat $OUT/sleep 2>/dev/null || echo 0)"]
          - name: write-a-file
            image: quay.io/tinkerbell/actions/writefile:latest
            timeout: 30
            environment:
              DEST_DISK: $OUT/root
              DEST_PATH: /etc/provisioned-by
              CONTENTS: "enrolled as {{.worker_id}}"
              MODE: "0644"
              DIRMODE: "0755"
              UID: "0"
              GID: "0"
---
apiVersion: tinkerbell.org/v1alpha1
kind: WorkflowRuleSet
metadata: {name: workers}
spec:
  rules: ['{"networkInterfaces":{"mac":[{"exists":true}]}}', '{"cpu":{"totalCores":[{"exists":true}]}}']
  workflow:
    template: {ref: worker-e2e, agentValue: worker_id}
YAML
K apply -f "$E2E_TMP/enroll.yaml" >/dev/null

ID=52:54:00:e2:e0:01
TOKEN=$("$ANVIL_BIN/anvil-controller" mint-token --agent-id "$ID" --agent-key-file "$E2E_TMP/agent.key")
WORKER=("$ANVIL_BIN/anvil-worker" --gateway "127.0.0.1:$GW_PORT" --work-dir "$E2E_TMP" --no-reboot)
timeout -k 10 60 "${WORKER[@]}" --id "$ID" --token "$TOKEN" --exit-when-done >"$E2E_TMP/worker1.log" 2>&1
check "enroll: the worker exits after its workflow is done" test $? = 0
expect_match "enroll: Workflow enrollment-<mac> SUCCESS" SUCCESS \
    K get wf enrollment-52-54-00-e2-e0-01 -o jsonpath='{.status.state}'
expect_match "exec: the command ran with its environment and the resolved secret" \
    "^52:54:00:e2:e0:01 hunter2$" cat "$OUT/exec-$ID.txt"
expect_match "writefile: the built-in wrote the file from the Hardware's template data" \
    "^enrolled as 52:54:00:e2:e0:01$" cat "$OUT/root/etc/provisioned-by"
expect_match "discovery: the worker's Hardware carries its attributes" "cpu" \
    K get hw discovery-52-54-00-e2-e0-01 -o jsonpath='{.metadata.annotations.tinkerbell\.org/agent-attributes}'
check "secrets: the status never holds the secret value" \
    sh -c "! kubectl get wf enrollment-52-54-00-e2-e0-01 -o json | grep -q hunter2"

# A worker killed with SIGKILL in the middle of slow-step: a new worker is re-served it.
ID2=52:54:00:e2:e0:02
TOKEN2=$("$ANVIL_BIN/anvil-controller" mint-token --agent-id "$ID2" --agent-key-file "$E2E_TMP/agent.key")
echo 30 >"$OUT/sleep"
"${WORKER[@]}" --id "$ID2" --token "$TOKEN2" >"$E2E_TMP/worker2.log" 2>&1 &
w2=$!
E2E_PIDS+=($w2)
wait_for 30 test -s "$OUT/slow-$ID2.txt"
kill -9 "$w2"
wait "$w2" 2>/dev/null
pkill -9 -f "sleep 30" -P "$w2" 2>/dev/null
expect_match "mid-action: the Workflow stays RUNNING on the killed action" "RUNNING slow-step" \
    K get wf enrollment-52-54-00-e2-e0-02 -o jsonpath='{.status.state} {.status.currentState.actionName}'
echo 0 >"$OUT/sleep"
timeout -k 10 60 "${WORKER[@]}" --id "$ID2" --token "$TOKEN2" --exit-when-done >"$E2E_TMP/worker3.log" 2>&1
check "mid-action: the new worker finishes" test $? = 0
check "mid-action: slow-step ran again (twice in all)" test "$(wc -l <"$OUT/slow-$ID2.txt")" = 2
expect_match "mid-action: SUCCESS" SUCCESS K get wf enrollment-52-54-00-e2-e0-02 -o jsonpath='{.status.state}'

# A worker with another machine's token is refused and logged.
timeout -k 10 5 "${WORKER[@]}" --id 52:54:00:e2:e0:03 --token "$TOKEN" >"$E2E_TMP/worker4.log" 2>&1
expect_match "auth: the gateway refuses another machine's token" \
    'agent refused.*agent=52:54:00:e2:e0:03 reason=unauthorized' cat "$E2E_TMP/controller.log"
expect_match "auth: the worker logs the refusal" "unauthorized" cat "$E2E_TMP/worker4.log"
check "auth: no Hardware for the refused worker" \
    sh -c "! kubectl get hw discovery-52-54-00-e2-e0-03 >/dev/null 2>&1"
e2e_done
