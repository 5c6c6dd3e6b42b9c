#!/usr/bin/env bash
# Shared helpers for anvil's process-level tests. Source it from a test.
#
# Every test gets its API server from start_apiserver: by default a fresh
# anvil-apiserver (binary from $ANVIL_BIN) on a free loopback port with a
# temporary data dir; with ANVIL_TEST_UPSTREAM=1 (make test-upstream) a fresh
# real kube-apiserver + etcd + kube-controller-manager from
# hack/upstream-kube.sh instead; with ANVIL_TEST_KUBECONFIG set, the server
# that kubeconfig names (shared: the tests then see each other's objects).
# The same suite runs against all three.
set -u
E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ANVIL_BIN=${ANVIL_BIN:-$E2E_TOP/bin}
E2E_TMP=$(mktemp -d /tmp/anvil-e2e.XXXXXX)
E2E_PIDS=()
E2E_N=0
E2E_FAILED=0
# hack/upstream-kube.sh's build cache stays in the real home.
export ANVIL_UPSTREAM_CACHE=${ANVIL_UPSTREAM_CACHE:-$HOME/.cache/anvil/upstream}
export HOME=$E2E_TMP/home   # a private kubectl discovery/http cache per run
mkdir -p "$HOME"

e2e_cleanup() {
    local p i
    for p in "${E2E_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    if [ -n "${E2E_UPSTREAM_DIR:-}" ]; then
        # A daemon that ignores SIGTERM must not keep the upstream servers
        # alive past the test: 10 s, then SIGKILL; the API server last, so
        # the daemons stop against a live one.
        for i in $(seq 100); do
            for p in "${E2E_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && break; done
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        for p in "${E2E_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    fi
    for p in "${E2E_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    if [ -n "${E2E_UPSTREAM_DIR:-}" ]; then
        "$E2E_TOP/hack/upstream-kube.sh" stop "$E2E_UPSTREAM_DIR"
    fi
    if [ "${E2E_KEEP:-0}" = 1 ] || [ "$E2E_FAILED" != 0 ]; then
        echo "# kept $E2E_TMP"
    else
        rm -rf "$E2E_TMP"
    fi
}
trap e2e_cleanup EXIT

ok() { E2E_N=$((E2E_N + 1)); echo "ok $E2E_N - $*"; }
not_ok() { E2E_N=$((E2E_N + 1)); E2E_FAILED=$((E2E_FAILED + 1)); echo "not ok $E2E_N - $*"; }
skip_all() { echo "SKIP: $*"; exit 77; }

# check "description" command...: ok when the command succeeds.
check() {
    local desc=$1; shift
    local out
    if out=$("$@" 2>&1); then
        ok "$desc"
    else
        not_ok "$desc"
        echo "$out" | sed 's/^/#   /' | tail -20
    fi
}

# expect_match "description" "regex" command...: ok when output matches.
expect_match() {
    local desc=$1 re=$2; shift 2
    local out
    out=$("$@" 2>&1)
    if echo "$out" | grep -Eq -- "$re"; then
        ok "$desc"
    else
        not_ok "$desc (wanted /$re/)"
        echo "$out" | sed 's/^/#   /' | tail -20
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS command...: polls (10 Hz) until the command succeeds.
wait_for() {
    local secs=$1; shift
    local end=$((SECONDS + secs))
    while [ $SECONDS -lt $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    "$@"
}

# start_apiserver [extra flags]: sets APISERVER_URL, KUBECONFIG, APISERVER_PID,
# APISERVER_DATA, APISERVER_PORT, APISERVER_ARGS, APISERVER_UPSTREAM (1 on the
# upstream tier, where the flags, meant for anvil-apiserver, are ignored).
start_apiserver() {
    if [ -n "${ANVIL_TEST_KUBECONFIG:-}" ]; then
        upstream_endpoint "$ANVIL_TEST_KUBECONFIG"
        return
    fi
    if [ "${ANVIL_TEST_UPSTREAM:-0}" = 1 ]; then
        start_upstream && upstream_endpoint "$E2E_UPSTREAM_DIR/kubeconfig"
        return
    fi
    APISERVER_UPSTREAM=0
    APISERVER_PORT=$(free_port)
    APISERVER_DATA=${APISERVER_DATA:-$E2E_TMP/apiserver}
    export KUBECONFIG=$E2E_TMP/kubeconfig
    APISERVER_ARGS=(--listen "127.0.0.1:$APISERVER_PORT" --data-dir "$APISERVER_DATA"
        --write-kubeconfig "$KUBECONFIG" "$@")
    "$ANVIL_BIN/anvil-apiserver" "${APISERVER_ARGS[@]}" >>"$E2E_TMP/apiserver.log" 2>&1 &
    APISERVER_PID=$!
    E2E_PIDS+=("$APISERVER_PID")
    APISERVER_URL=http://127.0.0.1:$APISERVER_PORT
    for a in "$@"; do
        case "$a" in --tls-generate|--tls-cert) APISERVER_URL=https://127.0.0.1:$APISERVER_PORT ;; esac
    done
    wait_for 20 curl -skf "$APISERVER_URL/readyz" || {
        echo "# anvil-apiserver did not become ready"; tail -20 "$E2E_TMP/apiserver.log"; return 1; }
}

# e2e_upstream: true on the upstream tier (usable before start_apiserver).
e2e_upstream() { [ -n "${ANVIL_TEST_KUBECONFIG:-}" ] || [ "${ANVIL_TEST_UPSTREAM:-0}" = 1 ]; }

# start_upstream [PREFIX...]: a private kube-apiserver + etcd +
# kube-controller-manager (hack/upstream-kube.sh start, run under PREFIX, e.g.
# `ip netns exec NS`) in $E2E_TMP/upstream, stopped by e2e_cleanup. Sets
# E2E_UPSTREAM_DIR; the admin kubeconfig is $E2E_UPSTREAM_DIR/kubeconfig.
start_upstream() {
    # A second start_apiserver in one test reuses the running server.
    [ -n "${E2E_UPSTREAM_DIR:-}" ] && [ -s "$E2E_UPSTREAM_DIR/kubeconfig" ] && return 0
    E2E_UPSTREAM_DIR=$E2E_TMP/upstream
    "$@" "$E2E_TOP/hack/upstream-kube.sh" start "$E2E_UPSTREAM_DIR" >>"$E2E_TMP/upstream.log" 2>&1 || {
        echo "# the upstream kube-apiserver did not start"; tail -20 "$E2E_TMP/upstream.log"; return 1; }
}

# upstream_endpoint KUBECONFIG: the real kube-apiserver that KUBECONFIG names
# (TLS, bearer token). kubectl and the drivers use KUBECONFIG itself; for the
# curl and python probes, which speak plain HTTP without credentials,
# APISERVER_URL is a `kubectl proxy` on a free loopback port that adds the
# kubeconfig's TLS and token (APISERVER_DIRECT_URL is the server itself).
upstream_endpoint() {
    export KUBECONFIG=$1
    APISERVER_UPSTREAM=1
    APISERVER_PID=
    APISERVER_DIRECT_URL=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
    kubectl proxy --address 127.0.0.1 --port 0 >"$E2E_TMP/proxy.out" 2>&1 &
    E2E_PIDS+=("$!")
    wait_for 20 grep -q '^Starting to serve on ' "$E2E_TMP/proxy.out" || {
        echo "# kubectl proxy did not start"; cat "$E2E_TMP/proxy.out"; return 1; }
    APISERVER_URL=http://$(sed -n 's/^Starting to serve on //p' "$E2E_TMP/proxy.out")
    wait_for 20 curl -sf "$APISERVER_URL/readyz"
}

# restart_apiserver: SIGKILL-free restart on the same port and data dir.
start_apiserver_again() {
    "$ANVIL_BIN/anvil-apiserver" "${APISERVER_ARGS[@]}" >>"$E2E_TMP/apiserver.log" 2>&1 &
    APISERVER_PID=$!
    E2E_PIDS+=("$APISERVER_PID")
    wait_for 20 curl -skf "$APISERVER_URL/readyz"
}

# api METHOD PATH [curl args...]: prints the HTTP code on the first line, then the body.
api() {
    local method=$1 path=$2; shift 2
    local auth=()
    [ -n "${APISERVER_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $APISERVER_TOKEN")
    curl -sk -X "$method" "${auth[@]}" -w '\n%{http_code}' "$@" "$APISERVER_URL$path" |
        awk '{ lines[NR] = $0 } END { print lines[NR]; for (i = 1; i < NR; i++) print lines[i] }'
}

# check_boot_warns_refused KUBECONFIG CODE NAME: anvil-boot run with KUBECONFIG
# (DHCP, TFTP and syslog off, default log level) warns that its Hardware list
# was refused with HTTP CODE. Leaves it running, on REFUSED_BOOT_PORT.
check_boot_warns_refused() {
    local log="$E2E_TMP/refused-$2.log"
    REFUSED_BOOT_PORT=$(free_port)
    "$ANVIL_BIN/anvil-boot" --kubeconfig "$1" --dhcp-enabled=false --tftp-enabled=false \
        --syslog-enabled=false --bind-address 127.0.0.1 --public-ip 127.0.0.1 \
        --http-port "$REFUSED_BOOT_PORT" >"$log" 2>&1 &
    E2E_PIDS+=("$!")
    wait_for 20 grep -Eq "level=warn.*cannot list.*code=$2" "$log" && ok "$3" ||
        { not_ok "$3"; tail -5 "$log" | sed 's/^/#   /'; }
}

# check_watch_client_leaves TOKEN: a watch client that disconnects mid-stream
# is let go: anvil-apiserver's watcher gauge returns to where it was and the server goes
# idle (a server that kept the stream would spin on the readable socket).
# anvil-apiserver only (its metric); needs APISERVER_URL and APISERVER_PID.
check_watch_client_leaves() {
    local auth=() t0 t1 g0
    [ -n "${1:-}" ] && auth=(-H "Authorization: Bearer $1")
    g0=$(curl -sk "${auth[@]}" "$APISERVER_URL/metrics" | awk '$1 == "anvil_apiserver_watchers" { print $2 }')
    curl -sk "${auth[@]}" --max-time 1 -o /dev/null \
        "$APISERVER_URL/api/v1/namespaces?watch=true&timeoutSeconds=600" || true
    check "a watch whose client left is ended (watchers gauge back to $g0)" wait_for 10 sh -c \
        "curl -sk ${auth[*]@Q} '$APISERVER_URL/metrics' | grep -qx 'anvil_apiserver_watchers $g0'"
    # CPU ticks (utime + stime) over 2 s idle: a spinning loop burns all 200.
    t0=$(awk '{ print $14 + $15 }' "/proc/$APISERVER_PID/stat")
    sleep 2
    t1=$(awk '{ print $14 + $15 }' "/proc/$APISERVER_PID/stat")
    check "the server is idle after the client left ($((t1 - t0)) CPU ticks in 2 s)" test $((t1 - t0)) -lt 100
}

e2e_done() {
    echo "# $E2E_N checks, $E2E_FAILED failed"
    [ "$E2E_FAILED" = 0 ]
}
