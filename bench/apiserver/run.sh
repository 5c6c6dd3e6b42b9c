#!/usr/bin/env bash
# bench/apiserver: anvil-apiserver throughput, list and watch latency and
# memory, each printed beside the raw SQLite insert rate of the same payloads
# measured in the same run. Usage: bench/apiserver/run.sh [N] [CONNS] [WATCHERS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANVIL_BIN:-$top/bin}
n=${1:-10000} conns=${2:-8} watchers=${3:-100}
work=$(mktemp -d /tmp/anvil-bench.XXXXXX)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$top/build/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -o "$top/build/bench/apiserver-load" "$top/bench/apiserver/load.c" \
    $(pkg-config --cflags --libs libcurl sqlite3)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$work/data" \
    --write-kubeconfig "$work/kubeconfig" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
export KUBECONFIG=$work/kubeconfig HOME=$work
kubectl apply -f "$top/crds/tinkerbell.org_hardware.yaml" >/dev/null
echo "bench/apiserver: $n Hardware objects (~1.1 KiB each), $conns connections, $watchers watchers"
"$top/build/bench/apiserver-load" "http://127.0.0.1:$port" "$pid" "$n" "$conns" "$watchers" "$work/raw.db"
echo "targets: creates >= 2000/s, watch p99 < 50 ms, RSS < 100 MB at 10,000 objects"
