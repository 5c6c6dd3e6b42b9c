#!/usr/bin/env bash
# bench/fleet: N simulated agents (test/e2e/gateway-fleet: one process, N
# WebSocket connections, distinct MACs and attributes, each reporting success
# at once) against anvil-apiserver + anvil-controller with discovery,
# enrollment and agent tokens on. For each N (default 1000 and 10000):
# time until every Workflow is SUCCESS, controller RSS and CPU seconds, and
# API requests per enrolled machine, with the ratio against the goal
# (10,000 machines in < 60 s, RSS < 64 MB). No Go control plane can be built
# and run here as a peer, so the goal is the yardstick (see README).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANVIL_BIN:-$top/bin}
fleet=${ANVIL_E2E_BIN:-$top/build/cc/e2e}/gateway-fleet
qps=${ANVIL_BENCH_QPS:-5000}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
[ -x "$fleet" ] || make -C "$top" --no-print-directory build/cc/e2e/gateway-fleet >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() {
    local n=$1 work pids=() aport cport gport
    work=$(mktemp -d /tmp/anvil-bench-fleet.XXXXXX)
    trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' RETURN
    aport=$(free_port) cport=$(free_port) gport=$(free_port)
    "$bin/anvil-apiserver" --listen "127.0.0.1:$aport" --data-dir "$work/data" \
        --write-kubeconfig "$work/kubeconfig" >"$work/apiserver.log" 2>&1 &
    pids+=($!)
    local apid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$aport/readyz" >/dev/null && break; sleep 0.1; done
    export KUBECONFIG=$work/kubeconfig HOME=$work
    kubectl apply -f "$top/crds/" >/dev/null
    kubectl wait --for condition=established -f "$top/crds/" >/dev/null
    kubectl apply -f - >/dev/null <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata: {name: fleet}
spec:
  data: |
    version: "0.1"
    name: fleet
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.worker_id}}"
        actions:
          - {name: install, image: anvil/exec, timeout: 60, command: ["true"]}
---
apiVersion: tinkerbell.org/v1alpha1
kind: WorkflowRuleSet
metadata: {name: fleet}
spec:
  rules: ['{"product":{"name":["fleet-sim"]}}']
  workflow:
    template: {ref: fleet, agentValue: worker_id}
YAML
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/agent.key"
    "$bin/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$cport" \
        --gateway-listen "127.0.0.1:$gport" --agent-key-file "$work/agent.key" --leader-elect=false \
        --auto-discovery --auto-enrollment --auto-discovery-auto-enrollment \
        --kube-qps "$qps" --kube-burst "$((qps * 2))" >"$work/controller.log" 2>&1 &
    local cpid=$!
    pids+=($cpid)
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$cport/readyz" >/dev/null && break; sleep 0.1; done
    local out
    out=$("$fleet" --gateway "127.0.0.1:$gport" --key-file "$work/agent.key" --agents "$n" \
        --concurrency 500 --timeout 900 2>/dev/null | tail -1) || true
    local secs done_ success requests rss hwm utime stime tck
    secs=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
    done_=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["done"])')
    success=$(curl -s "http://127.0.0.1:$aport/apis/tinkerbell.org/v1alpha1/namespaces/default/workflows" |
        python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin)["items"] if w.get("status",{}).get("state")=="SUCCESS"))')
    requests=$(curl -s "http://127.0.0.1:$cport/metrics" | awk '/^anvil_kube_requests_total/ { s += $2 } END { print s }')
    read -r utime stime < <(awk '{print $14, $15}' /proc/$cpid/stat)
    tck=$(getconf CLK_TCK)
    rss=$(awk '/VmRSS/ {print $2}' /proc/$cpid/status)
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$cpid/status)
    local arss acpu
    arss=$(awk '/VmHWM/ {print $2}' /proc/$apid/status)
    acpu=$(awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' /proc/$apid/stat)
    echo "fleet N=$n"
    printf '  agents_done %d of %d; workflows_success %d\n' "$done_" "$n" "$success"
    printf '  seconds_to_all_success %.1f s (goal for 10,000: < 60 s; ratio goal/actual %.2f)\n' \
        "$secs" "$(echo "60 / $secs" | bc -l)"
    printf '  controller_cpu_seconds %.1f s\n' "$(echo "($utime + $stime) / $tck" | bc -l)"
    printf '  controller_rss %.1f MB now, %.1f MB peak (goal < 64 MB; ratio goal/peak %.2f)\n' \
        "$(echo "$rss / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)" "$(echo "65536 / $hwm" | bc -l)"
    printf '  apiserver_rss_peak %.1f MB; apiserver_cpu_seconds %.1f s\n' "$(echo "$arss / 1024" | bc -l)" "$acpu"
    printf '  api_requests_per_machine %.1f (controller requests %d)\n' "$(echo "$requests / $n" | bc -l)" "$requests"
}

for n in "${sizes[@]}"; do run_one "$n"; done
