#!/usr/bin/env bash
# bench/apiserver: anvil-apiserver against its peer, the real kube-apiserver + etcd, in one run:
# creates/s and updates/s, list latency with N objects, watch delivery p50/p99 with W watchers
# and memory (both processes for upstream), with the raw SQLite insert rate of the same payloads
# as anvil's own ceiling.
#   bench/apiserver/run.sh [N] [CONNS] [WATCHERS]
# Three servers, the same load generator and payloads:
#   anvil-http   anvil-apiserver, plain HTTP, no auth (its make-run default)
#   anvil-tls    anvil-apiserver with --tls-generate and a bearer token
#   upstream     kube-apiserver + etcd from hack/upstream-kube.sh (TLS and a bearer token), etcd
#                with --unsafe-no-fsync: the durability anvil-apiserver gives without --sync-full
#                (acknowledged writes survive a process kill, not a power cut)
# The ratios compare anvil-tls with upstream (same transport and auth). BENCH_UPSTREAM=0 skips
# the peer (it needs the Go toolchain and module proxy for its first build, ~8 min on 2 cores).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANVIL_BIN:-$top/bin}
n=${1:-10000} conns=${2:-8} watchers=${3:-100}
work=$(mktemp -d /tmp/anvil-bench.XXXXXX)
pid= tls_pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "$tls_pid" ] && kill "$tls_pid" 2>/dev/null && wait "$tls_pid" 2>/dev/null
    [ -d "$work/upstream" ] && "$top/hack/upstream-kube.sh" stop "$work/upstream"
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$top/build/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -o "$top/build/bench/apiserver-load" "$top/bench/apiserver/load.c" \
    $(pkg-config --cflags --libs libcurl sqlite3)
LOAD=$top/build/bench/apiserver-load
export ANVIL_UPSTREAM_CACHE=${ANVIL_UPSTREAM_CACHE:-$HOME/.cache/anvil/upstream}
export HOME=$work
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# anvil NAME [flags]: one anvil-apiserver run; figures in $work/NAME.out.
anvil() {
    local name=$1 port url token=
    shift
    port=$(free_port)
    url=http://127.0.0.1:$port
    case " $* " in *" --tls-generate "*) url=https://127.0.0.1:$port ;; esac
    "$bin/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$work/$name" \
        --write-kubeconfig "$work/$name.kubeconfig" "$@" >"$work/$name.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -skf "$url/readyz" >/dev/null && break; sleep 0.1; done
    KUBECONFIG=$work/$name.kubeconfig kubectl apply -f "$top/crds/tinkerbell.org_hardware.yaml" >/dev/null
    [ -f "$work/tokens.csv" ] && case " $* " in *" --token-file "*) token=$(cut -d, -f1 "$work/tokens.csv") ;; esac
    echo "--- $name (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$LOAD" "$url" "$pid" "$n" "$conns" "$watchers" "$work/raw.db" $token | tee "$work/$name.out"
    if [ "$name" = anvil-tls ]; then
        # Kept for the interleaved watch phase with upstream.
        tls_pid=$pid tls_url=$url tls_token=${token:--}
    else
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    fi
    pid=
}

echo "bench/apiserver: $n Hardware objects (~1.1 KiB each), $conns connections, $watchers watchers"
anvil anvil-http
printf 'bench-token-%s,bench,1\n' "$(openssl rand -hex 12)" >"$work/tokens.csv"
anvil anvil-tls --tls-generate --token-file "$work/tokens.csv"

peer=0
if [ "${BENCH_UPSTREAM:-1}" = 1 ]; then
    if ANVIL_UPSTREAM_KCM=0 ANVIL_UPSTREAM_ETCD_FSYNC=0 "$top/hack/upstream-kube.sh" start "$work/upstream" \
        >"$work/upstream.start.log" 2>&1; then
        u=$work/upstream
        KUBECONFIG=$u/kubeconfig kubectl apply -f "$top/crds/tinkerbell.org_hardware.yaml" >/dev/null
        KUBECONFIG=$u/kubeconfig kubectl wait --for condition=established --timeout=30s \
            crd/hardware.tinkerbell.org >/dev/null
        version=$(KUBECONFIG=$u/kubeconfig kubectl version -o json 2>/dev/null |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')
        echo "--- upstream (kube-apiserver $version + etcd, RSS of both; load average $(cut -d' ' -f1-3 /proc/loadavg))"
        "$LOAD" "$(cat "$u/url")" "$(cat "$u/kube-apiserver.pid"),$(cat "$u/etcd.pid")" "$n" "$conns" \
            "$watchers" "$work/raw.db" "$(cat "$u/admin.token")" | tee "$work/upstream.out"
        # The two servers side by side in one phase, their updates alternating, so both see the
        # same machine load (the sequential figures above can differ by the load of the moment).
        echo "--- interleaved watch phase: $watchers watchers each, ${WATCH_UPDATES:-300} updates each (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        "$LOAD" watch "$watchers" "${WATCH_UPDATES:-300}" anvil-tls "$tls_url" "$tls_token" \
            upstream "$(cat "$u/url")" "$(cat "$u/admin.token")" | tee "$work/interleaved.out"
        "$top/hack/upstream-kube.sh" stop "$u"
        peer=1
    else
        echo "--- upstream: not run (hack/upstream-kube.sh start failed):"
        tail -5 "$work/upstream.start.log"
    fi
fi

# Side by side: one row per figure, one column per server.
echo "--- side by side"
cols=(anvil-http anvil-tls)
[ $peer = 1 ] && cols+=(upstream)
python3 - "$work" "${cols[@]}" <<'PY'
import sys
work, cols = sys.argv[1], sys.argv[2:]
vals, order = {}, []
for c in cols:
    for line in open(f"{work}/{c}.out"):
        f = line.split()
        if len(f) < 2 or f[0] == "ratio" or f[0] == "sqlite_inserts_per_s":
            continue
        if f[0] not in order:
            order.append(f[0])
        vals[(f[0], c)] = float(f[1])
print("%-26s" % "figure" + "".join("%14s" % c for c in cols) + ("%22s" % "anvil-tls/upstream" if "upstream" in cols else ""))
for k in order:
    row = "%-26s" % k + "".join("%14s" % ("%.1f" % vals[(k, c)] if (k, c) in vals else "-") for c in cols)
    if "upstream" in cols and (k, "upstream") in vals and (k, "anvil-tls") in vals and vals[(k, "upstream")]:
        row += "%22s" % ("%.2fx" % (vals[(k, "anvil-tls")] / vals[(k, "upstream")]))
    print(row)
PY
if [ -s "$work/interleaved.out" ]; then
    awk '{p99[$1]=$6; p50[$1]=$3} END {if (p99["upstream"] > 0) printf "interleaved watch p50/p99 ms: anvil-tls %.2f / %.2f, upstream %.2f / %.2f, p99 ratio anvil-tls/upstream %.2fx\n", p50["anvil-tls"], p99["anvil-tls"], p50["upstream"], p99["upstream"], p99["anvil-tls"] / p99["upstream"]}' "$work/interleaved.out"
fi
echo "goals: creates >= 2x upstream at equal or better watch p99, RSS a fraction of kube-apiserver + etcd;"
echo "       creates >= 2000/s, watch p99 < 50 ms, RSS < 100 MB at 10,000 objects"
