#!/usr/bin/env bash
# anvil-controller against anvil-apiserver: informers sync and follow changes,
# health and metrics, one-line errors, leader election with failover.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
start_apiserver || exit 1
kubectl apply -f "$E2E_TOP/crds/" >/dev/null
kubectl wait --for condition=established --timeout=20s -f "$E2E_TOP/crds/" >/dev/null

# start_controller NAME [flags]: sets CTL_PORT_<NAME>, CTL_PID_<NAME>
start_controller() {
    local name=$1; shift
    local port
    port=$(free_port)
    "$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$port" --gateway-listen off \
        --identity "$name" "$@" >"$E2E_TMP/controller-$name.log" 2>&1 &
    local pid=$!
    E2E_PIDS+=("$pid")
    eval "CTL_PORT_$name=$port CTL_PID_$name=$pid"
}
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# --- bad configuration: one clear line, non-zero exit
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    certificate-authority-data: "!!!not-base64"\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n' >"$E2E_TMP/bad-kubeconfig"
out=$("$ANVIL_BIN/anvil-controller" --kubeconfig "$E2E_TMP/bad-kubeconfig" --http-listen 127.0.0.1:0 2>&1)
rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | grep -c .)" = 1 ] && echo "$out" | grep -q "certificate-authority-data" &&
    ok "bad kubeconfig: exit $rc with one line naming the field" ||
    { not_ok "bad kubeconfig handling (rc=$rc)"; echo "$out" | sed 's/^/#   /'; }
out=$("$ANVIL_BIN/anvil-controller" --kube-qps zero 2>&1)
[ $? = 2 ] && echo "$out" | grep -q -- "--kube-qps" && ok "bad flag: exit 2 naming the flag" || not_ok "bad flag handling"

# --- one controller: sync, readiness, informers follow changes
start_controller a
wait_for 20 curl -sf "http://127.0.0.1:$CTL_PORT_a/readyz" && ok "readyz once the caches synced" || not_ok "never ready"
check "healthz" curl -sf "http://127.0.0.1:$CTL_PORT_a/healthz"
kubectl apply -f "$E2E_TOP/examples/hardware.yaml" >/dev/null
wait_for 10 sh -c "curl -s http://127.0.0.1:$CTL_PORT_a/metrics | grep -q 'anvil_store_objects{resource=\"hardware\"} 1'" &&
    ok "the Hardware informer sees a new object" || not_ok "store never saw the Hardware"
kubectl delete -f "$E2E_TOP/examples/hardware.yaml" >/dev/null
wait_for 10 sh -c "curl -s http://127.0.0.1:$CTL_PORT_a/metrics | grep -q 'anvil_store_objects{resource=\"hardware\"} 0'" &&
    ok "the Hardware informer sees the delete" || not_ok "store never saw the delete"
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$CTL_PORT_a/metrics | awk '\$1==\"anvil_leader\"{print \$2}')\" = 1 ]" &&
    ok "a single controller leads" || not_ok "a single controller did not lead"

# --- a second replica stands by; the leader is killed; the standby takes over
start_controller b
wait_for 20 curl -sf "http://127.0.0.1:$CTL_PORT_b/readyz" >/dev/null
sleep 3
[ "$(metric "$CTL_PORT_b" anvil_leader)" = 0 ] && ok "the second replica stands by" || not_ok "two leaders"
kill -9 "$CTL_PID_a"
start=$SECONDS
wait_for 25 sh -c "[ \"\$(curl -s http://127.0.0.1:$CTL_PORT_b/metrics | awk '\$1==\"anvil_leader\"{print \$2}')\" = 1 ]"
took=$((SECONDS - start))
[ "$(metric "$CTL_PORT_b" anvil_leader)" = 1 ] && [ $took -le 20 ] && ok "standby leads ${took}s after the leader was killed" ||
    not_ok "standby did not take over within 20 s (${took}s)"

# --- SIGTERM releases the Lease: the next standby takes over at once
start_controller c
wait_for 20 curl -sf "http://127.0.0.1:$CTL_PORT_c/readyz" >/dev/null
kill -TERM "$CTL_PID_b"
wait "$CTL_PID_b"
rc=$?
[ $rc = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM exit status $rc"
start=$SECONDS
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$CTL_PORT_c/metrics | awk '\$1==\"anvil_leader\"{print \$2}')\" = 1 ]"
took=$((SECONDS - start))
[ "$(metric "$CTL_PORT_c" anvil_leader)" = 1 ] && [ $took -le 5 ] && ok "released Lease taken over in ${took}s" ||
    not_ok "released Lease not taken over quickly (${took}s)"
e2e_done
