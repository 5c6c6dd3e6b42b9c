#!/usr/bin/env bash
# make run: the product on this machine. Starts anvil-apiserver on 127.0.0.1
# with its data under ./var/ (TLS with a generated pair and a bearer token,
# so kubectl authenticates), applies crds/, prints the one export line a user
# needs, and serves until Ctrl-C. Later components join here.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
port=${ANVIL_APISERVER_PORT:-6443}
mkdir -p "$var/apiserver"
if [ ! -s "$var/apiserver/tokens.csv" ]; then
    umask 077
    printf '%s,admin,admin\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$var/apiserver/tokens.csv"
fi
"$top/bin/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$var/apiserver" \
    --tls-generate --token-file "$var/apiserver/tokens.csv" \
    --write-kubeconfig "$var/kubeconfig" >>"$var/apiserver.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
    curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { echo "anvil-apiserver failed to start; see $var/apiserver.log" >&2; tail -5 "$var/apiserver.log" >&2; exit 1; }
    sleep 0.1
done
export KUBECONFIG=$var/kubeconfig
kubectl apply -f "$top/crds/" >/dev/null
kubectl wait --for condition=established --timeout=30s -f "$top/crds/" >/dev/null
echo "anvil-apiserver is serving https://127.0.0.1:$port (log: $var/apiserver.log); CRDs applied."
echo "In another shell:"
echo
echo "  export KUBECONFIG=$var/kubeconfig"
echo
echo "Ctrl-C stops it; the data stays in $var/."
wait $pid
