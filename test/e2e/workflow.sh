#!/usr/bin/env bash
# The Workflow controller against anvil-apiserver and the real kubectl:
# rendering, broken templates, global timeout, allowPXE toggling, boot modes
# without a BMC, re-run by annotation, and convergence after SIGKILL while
# reconciling 1,000 Workflows.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }
K apply -f "$E2E_TOP/crds/" >/dev/null
K wait --for condition=established --timeout=20s -f "$E2E_TOP/crds/" >/dev/null

CTL_PORT=$(free_port)
start_controller() {
    "$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$CTL_PORT" --gateway-listen off \
        --leader-elect=false >>"$E2E_TMP/controller.log" 2>&1 &
    CTL_PID=$!
    E2E_PIDS+=("$CTL_PID")
    wait_for 30 curl -sf "http://127.0.0.1:$CTL_PORT/readyz" >/dev/null
}
start_controller
state_of() { K get wf "$1" -o jsonpath='{.status.state}'; }

cat >"$E2E_TMP/base.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: sm01
spec:
  disks:
  - device: /dev/vda
  interfaces:
  - dhcp:
      mac: 52:54:00:aa:bb:01
      hostname: sm01
    netboot:
      allowPXE: false
      allowWorkflow: true
---
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata:
  name: install
spec:
  data: |
    version: "0.1"
    name: install
    global_timeout: 3
    tasks:
      - name: os
        worker: "{{.device_1}}"
        actions:
          - name: wipe
            image: quay.io/tinkerbell/actions/writefile:latest
            timeout: 60
            environment:
              DEST_DISK: {{ index .Hardware.Disks 0 }}
              HOST: {{ (index .Hardware.Interfaces 0).DHCP.Hostname }}
          - name: reboot
            image: quay.io/tinkerbell/actions/reboot:latest
---
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata:
  name: broken
spec:
  data: |
    version: "0.1"
    name: broken
    tasks:
      - name: os
        worker: "{{.device_2}}"
        actions:
          - name: a
            image: alpine
YAML
K apply -f "$E2E_TMP/base.yaml" >/dev/null
mkwf() { # name template [extra spec yaml lines]
    printf 'apiVersion: tinkerbell.org/v1alpha1\nkind: Workflow\nmetadata:\n  name: %s\nspec:\n  templateRef: %s\n  hardwareRef: sm01\n  hardwareMap:\n    device_1: 52:54:00:aa:bb:01\n%s' "$1" "$2" "${3:-}" | K apply -f - >/dev/null
}

# --- render to PENDING
mkwf wf1 install
wait_for 15 sh -c "[ \"\$(kubectl get wf wf1 -o jsonpath='{.status.state}')\" = PENDING ]"
expect_match "rendered Workflow is PENDING" "^PENDING$" state_of wf1
expect_match "templateRendering successful" "^successful$" K get wf wf1 -o jsonpath='{.status.templateRendering}'
expect_match "template fields rendered from the Hardware" "/dev/vda.*sm01|sm01.*/dev/vda" \
    K get wf wf1 -o jsonpath='{.status.tasks[0].actions[0].environment}'
expect_match "task and action ids are ULIDs" '^[0-9A-HJKMNP-TV-Z]{26} [0-9A-HJKMNP-TV-Z]{26}$' \
    K get wf wf1 -o jsonpath='{.status.tasks[0].id} {.status.tasks[0].actions[0].id}'
expect_match "status.agentID is the task's worker" "^52:54:00:aa:bb:01$" K get wf wf1 -o jsonpath='{.status.agentID}'
expect_match "an Event records the rendering" "TemplateRendered" K describe wf wf1

# --- broken template
mkwf wf-broken broken
wait_for 15 sh -c "[ \"\$(kubectl get wf wf-broken -o jsonpath='{.status.templateRendering}')\" = failed ]"
expect_match "broken template: templateRendering failed" "^failed$" K get wf wf-broken -o jsonpath='{.status.templateRendering}'
expect_match "the condition names what failed" "device_2" K get wf wf-broken -o jsonpath='{.status.conditions}'

# --- global timeout: an agent starts the first action, then goes silent
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
K patch wf wf1 --subresource status --type json -p "[
 {\"op\":\"replace\",\"path\":\"/status/state\",\"value\":\"RUNNING\"},
 {\"op\":\"replace\",\"path\":\"/status/tasks/0/actions/0/state\",\"value\":\"RUNNING\"},
 {\"op\":\"add\",\"path\":\"/status/tasks/0/actions/0/executionStart\",\"value\":\"$now\"}]" >/dev/null
wait_for 30 sh -c "[ \"\$(kubectl get wf wf1 -o jsonpath='{.status.state}')\" = TIMEOUT ]"
expect_match "expired global timeout -> TIMEOUT" "^TIMEOUT$" state_of wf1
expect_match "globalExecutionStop set" "^20" K get wf wf1 -o jsonpath='{.status.globalExecutionStop}'

# --- re-run by annotation
K annotate wf wf1 anvil.dev/rerun=first >/dev/null
wait_for 15 sh -c "[ \"\$(kubectl get wf wf1 -o jsonpath='{.status.state}')\" = PENDING ]"
expect_match "anvil.dev/rerun puts a finished Workflow back to PENDING" "^PENDING$" state_of wf1

# --- toggleAllowNetboot flips allowPXE on the Hardware
mkwf wf-toggle install "  bootOptions:
    toggleAllowNetboot: true
"
wait_for 15 sh -c "[ \"\$(kubectl get wf wf-toggle -o jsonpath='{.status.state}')\" = PENDING ]"
expect_match "toggleAllowNetboot: PREPARING then PENDING" "^PENDING$" state_of wf-toggle
expect_match "allowPXE turned true on the Hardware" "^true$" K get hw sm01 -o jsonpath='{.spec.interfaces[0].netboot.allowPXE}'
expect_match "AllowNetbootTrue condition" "AllowNetbootTrue" K get wf wf-toggle -o jsonpath='{.status.conditions}'

# --- a boot mode that needs a BMC waits in PREPARING with a clear condition
mkwf wf-netboot install "  bootOptions:
    bootMode: netboot
"
sleep 3
expect_match "bootMode netboot without BMC support stays PREPARING" "^PREPARING$" state_of wf-netboot
expect_match "and says why" "BMC|bmc" K get wf wf-netboot -o jsonpath='{.status.conditions}'

# --- 1,000 Workflows, controller SIGKILLed mid-way, all converge after restart
python3 - "$APISERVER_URL" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for i in range(1000):
    wf = {"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Workflow",
          "metadata": {"name": "bulk-%04d" % i},
          "spec": {"templateRef": "install", "hardwareRef": "sm01",
                   "hardwareMap": {"device_1": "52:54:00:aa:bb:01"}}}
    c.request("POST", "/apis/tinkerbell.org/v1alpha1/namespaces/default/workflows", json.dumps(wf),
              {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
PY
pending() { K get wf -o jsonpath='{range .items[*]}{.metadata.name} {.status.state}{"\n"}{end}' | grep -c '^bulk-.* PENDING$'; }
wait_for 60 sh -c "[ \$(kubectl get wf -o jsonpath='{range .items[*]}{.metadata.name} {.status.state}{\"\\n\"}{end}' | grep -c '^bulk-.* PENDING$') -ge 50 ]"
kill -9 "$CTL_PID"
before=$(pending)
start_controller
wait_for 120 sh -c "[ \$(kubectl get wf -o jsonpath='{range .items[*]}{.metadata.name} {.status.state}{\"\\n\"}{end}' | grep -c '^bulk-.* PENDING$') -ge 1000 ]"
after=$(pending)
[ "$after" = 1000 ] && ok "SIGKILL mid-reconcile of 1,000 Workflows: all converge ($before PENDING at the kill)" ||
    not_ok "only $after of 1,000 Workflows PENDING after restart"
bad=$(K get wf -o json | python3 -c '
import json, sys
bad = 0
for w in json.load(sys.stdin)["items"]:
    if not w["metadata"]["name"].startswith("bulk-"): continue
    t = w.get("status", {}).get("tasks", [])
    if len(t) != 1 or len(t[0]["actions"]) != 2 or any(a["state"] != "PENDING" for a in t[0]["actions"]): bad += 1
print(bad)')
[ "$bad" = 0 ] && ok "every converged Workflow has exactly one rendered task with PENDING actions" || not_ok "$bad Workflows malformed"
e2e_done
