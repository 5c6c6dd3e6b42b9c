#!/usr/bin/env bash
# bench/informer: events/s a reflector applies to its store from a real
# watch against anvil-apiserver, the store's RSS per 10,000 Hardware, and
# the same store fed the same events in-process, measured in the same run
# (the ratio is what HTTP + JSON cost). Usage: bench/informer/run.sh [N]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANVIL_BIN:-$top/bin}
n=${1:-10000}
work=$(mktemp -d /tmp/anvil-bench-informer.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$pid" ] && wait $pid 2>/dev/null; rm -rf "$work"' EXIT

# The informer and its dependencies as the default build makes them.
libs="informer kube yamljson buf log base"
make -C "$top" --no-print-directory -s $(for m in $libs; do echo "build/cc/lib/lib$m.a"; done) >/dev/null
mkdir -p "$top/build/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -I"$top/pkg" -o "$top/build/bench/informer-bench" \
    "$top/bench/informer/bench.c" \
    -Wl,--start-group $(for m in $libs; do echo "$top/build/cc/lib/lib$m.a"; done) -Wl,--end-group \
    $(pkg-config --cflags --libs jansson libcurl yaml-0.1 openssl zlib) -lpthread -lm

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$work/data" \
    --write-kubeconfig "$work/kubeconfig" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
export KUBECONFIG=$work/kubeconfig HOME=$work
kubectl apply -f "$top/crds/tinkerbell.org_hardware.yaml" >/dev/null
kubectl wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org >/dev/null
echo "bench/informer: $n Hardware objects (~0.8 KiB each as served), indexes by MAC, IP and agentID"
"$top/build/bench/informer-bench" "$work/kubeconfig" "$n"
echo "targets: http_watch_events_per_s >= 20000"
