#!/usr/bin/env bash
# bench/workflow: N Workflows (default 10,000) rendered and brought to PENDING
# by anvil-controller on anvil-apiserver: wall time, controller CPU seconds and
# RSS; then the instructions one render + parse costs (callgrind) beside the
# instructions of parsing the same rendered YAML alone.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANVIL_BIN:-$top/bin}
n=${1:-10000}
# The controller's default client-side limit (50 qps, burst 100, as client-go)
# caps status writes; a fleet installation raises it, as Tinkerbell's Helm
# chart does (100/100). The bench measures the controller, not the limiter.
qps=${ANVIL_BENCH_QPS:-2000}
work=$(mktemp -d /tmp/anvil-bench-wf.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
aport=$(free_port) cport=$(free_port)
"$bin/anvil-apiserver" --listen "127.0.0.1:$aport" --data-dir "$work/data" \
    --write-kubeconfig "$work/kubeconfig" >"$work/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$aport/readyz" >/dev/null && break; sleep 0.1; done
export KUBECONFIG=$work/kubeconfig HOME=$work
kubectl apply -f "$top/crds/" >/dev/null
kubectl wait --for condition=established -f "$top/crds/" >/dev/null
kubectl apply -f "$top/examples/hardware.yaml" -f "$top/examples/template.yaml" >/dev/null
tpl=$(kubectl get tpl -o jsonpath='{.items[0].metadata.name}')
hw=$(kubectl get hw -o jsonpath='{.items[0].metadata.name}')
mac=$(kubectl get hw "$hw" -o jsonpath='{.spec.interfaces[0].dhcp.mac}')
echo "bench/workflow: $n Workflows from template $tpl on Hardware $hw (controller --kube-qps $qps)"
python3 - "http://127.0.0.1:$aport" "$n" "$tpl" "$hw" "$mac" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
for i in range(n):
    wf = {"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Workflow", "metadata": {"name": "wf-%05d" % i},
          "spec": {"templateRef": sys.argv[3], "hardwareRef": sys.argv[4], "hardwareMap": {"device_1": sys.argv[5]}}}
    c.request("POST", "/apis/tinkerbell.org/v1alpha1/namespaces/default/workflows", json.dumps(wf),
              {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 201: sys.exit("create failed: %d" % r.status)
PY
start=$(date +%s.%N)
"$bin/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$cport" --gateway-listen off --leader-elect=false \
    --kube-qps "$qps" --kube-burst "$((qps * 2))" \
    >"$work/controller.log" 2>&1 &
cpid=$!
pids+=($cpid)
count_pending() {
    curl -s "http://127.0.0.1:$aport/apis/tinkerbell.org/v1alpha1/namespaces/default/workflows" |
        python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin)["items"] if w.get("status",{}).get("state")=="PENDING"))'
}
deadline=$((SECONDS + 900))
while [ "$(count_pending)" -lt "$n" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
end=$(date +%s.%N)
got=$(count_pending)
read -r utime stime < <(awk '{print $14, $15}' /proc/$cpid/stat)
tck=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/$cpid/status)
printf 'workflows_pending %d of %d\n' "$got" "$n"
printf 'wall_seconds %.1f s (controller start to all PENDING, %.0f workflows/s)\n' \
    "$(echo "$end - $start" | bc)" "$(echo "$got / ($end - $start)" | bc -l)"
printf 'controller_cpu_seconds %.2f s (user+system)\n' "$(echo "($utime + $stime) / $tck" | bc -l)"
printf 'controller_rss %.1f MB\n' "$(echo "$rss / 1024" | bc -l)"
if command -v valgrind >/dev/null; then
    mkdir -p "$top/build/bench"
    cc -std=c11 -D_GNU_SOURCE -O2 -I"$top/pkg" -o "$top/build/bench/workflow-render" "$top/bench/workflow/render.c" \
        -Wl,--start-group "$top/build/cc/lib/libtmpl.a" "$top/build/cc/lib/libworkflow.a" "$top/build/cc/lib/libyamljson.a" \
        "$top/build/cc/lib/libbuf.a" "$top/build/cc/lib/libbase.a" "$top/build/cc/lib/liblog.a" -Wl,--end-group \
        $(pkg-config --libs jansson yaml-0.1) -lm
    ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | awk '/Collected/ {print $4}'; }
    r0=$(ir "$top/build/bench/workflow-render" render 0)
    r1=$(ir "$top/build/bench/workflow-render" render 100)
    p1=$(ir "$top/build/bench/workflow-render" parse 100)
    render=$(( (r1 - r0) / 100 )) parse=$(( (p1 - r0) / 100 ))
    echo "render_plus_parse_instructions $render per template (callgrind)"
    echo "yaml_parse_only_instructions $parse per template (callgrind)"
    echo "ratio render+parse/parse $(echo "scale=2; $render / $parse" | bc)"
else
    echo "valgrind not installed: instruction counts skipped"
fi
