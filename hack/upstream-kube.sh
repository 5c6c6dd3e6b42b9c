#!/usr/bin/env bash
# A real kube-apiserver + etcd + kube-controller-manager for anvil's upstream fidelity tier
# (make test-upstream, bench/apiserver; docs/fidelity.md). Nothing built here is committed: the
# binaries are compiled from the Go module proxy in a throwaway module outside the repository and
# cached per version.
#
#   upstream-kube.sh build       build (or reuse) kube-apiserver, etcd and kube-controller-manager;
#                                print their paths, one a line
#   upstream-kube.sh start DIR   start them on free loopback ports: CA, serving pair,
#                                service-account keys, admin token, logs, PIDs and DIR/kubeconfig
#                                in DIR; returns once /readyz answers
#   upstream-kube.sh stop DIR    stop what start DIR started, by the recorded PIDs
#   upstream-kube.sh env DIR     print KUBECONFIG=... for a started DIR
#
# Environment:
#   ANVIL_KUBE_VERSION          Kubernetes release (default below); etcd is the version that
#                               release pins in its go.mod
#   ANVIL_UPSTREAM_CACHE        cache root (default ~/.cache/anvil/upstream); binaries land in
#                               <cache>/<version>/bin
#   ANVIL_UPSTREAM_ETCD         "go" (default) or "debian" (Debian's etcd-server, installed with
#                               apt-get when missing; 3.4 on Debian 12)
#   ANVIL_UPSTREAM_KCM          0: no kube-controller-manager (namespaces then stay Terminating)
#   ANVIL_UPSTREAM_ETCD_FSYNC   0: etcd --unsafe-no-fsync (the durability anvil-apiserver gives
#                               without --sync-full; bench/apiserver uses it)
#   ANVIL_UPSTREAM_APISERVER_FLAGS  extra kube-apiserver flags
#
# The build needs the Go toolchain (>= the release's go directive) and the Go module proxy.
set -euo pipefail

KUBE_VERSION=${ANVIL_KUBE_VERSION:-v1.36.3}
CACHE_ROOT=${ANVIL_UPSTREAM_CACHE:-$HOME/.cache/anvil/upstream}
CACHE=$CACHE_ROOT/$KUBE_VERSION
BIN=$CACHE/bin
ETCD_FROM=${ANVIL_UPSTREAM_ETCD:-go}

die() { echo "upstream-kube: $*" >&2; exit 1; }
say() { echo "upstream-kube: $*" >&2; }

# staging_version v1.36.3 -> v0.36.3: the k8s.io staging modules are tagged v0.<minor>.<patch>.
staging_version() { echo "v0.${1#v1.}"; }

# write_module DIR: the throwaway module that requires k8s.io/kubernetes at KUBE_VERSION and
# points each of its staging modules (./staging/src/k8s.io/X in its go.mod) at the published tag.
write_module() {
    local dir=$1 gomod sv
    command -v go >/dev/null || die "go is not on PATH (the build needs the Go toolchain)"
    mkdir -p "$dir"
    gomod=$(cd "$dir" && GOFLAGS="-mod=mod -buildvcs=false" go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
        sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@$KUBE_VERSION's go.mod"
    sv=$(staging_version "$KUBE_VERSION")
    {
        echo "module anvil.local/upstream-kube"
        echo
        sed -n 's/^go \(.*\)$/go \1/p' "$gomod"
        echo
        echo "require k8s.io/kubernetes $KUBE_VERSION"
        echo
        echo "replace ("
        sed -n "s|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*\$|\t\1 => \1 $sv|p" "$gomod"
        echo ")"
    } >"$dir/go.mod"
    mkdir -p "$dir/etcd"
    # etcd's own main package is in the root module, which is not importable; its body is one
    # call, made here against the server module the release pins.
    cat >"$dir/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
}

cmd_build() {
    local work ldf start
    if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] &&
        { [ "$ETCD_FROM" = debian ] || [ -x "$BIN/etcd" ]; }; then
        say "cached: $BIN"
    else
        start=$(date +%s)
        work=$CACHE/module
        rm -rf "$work"
        write_module "$work"
        say "resolving modules for k8s.io/kubernetes@$KUBE_VERSION"
        (cd "$work" && GOFLAGS="-mod=mod -buildvcs=false" go mod tidy >/dev/null 2>"$work/tidy.log") ||
            { cat "$work/tidy.log" >&2; die "go mod tidy failed (log above)"; }
        ldf="-s -w"
        ldf+=" -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
        ldf+=" -X k8s.io/component-base/version.gitMajor=1"
        ldf+=" -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
        ldf+=" -X k8s.io/component-base/version.gitTreeState=clean"
        ldf+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
        mkdir -p "$BIN"
        say "building kube-apiserver $KUBE_VERSION (several minutes on 2 cores)"
        (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "$ldf" \
            -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver) ||
            die "go build k8s.io/kubernetes/cmd/kube-apiserver failed"
        mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
        say "building kube-controller-manager $KUBE_VERSION (namespace and garbage-collector controllers)"
        (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "$ldf" \
            -o "$BIN/kube-controller-manager.tmp" k8s.io/kubernetes/cmd/kube-controller-manager) ||
            die "go build k8s.io/kubernetes/cmd/kube-controller-manager failed"
        mv "$BIN/kube-controller-manager.tmp" "$BIN/kube-controller-manager"
        if [ "$ETCD_FROM" = go ]; then
            say "building etcd $(cd "$work" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
            (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w" \
                -o "$BIN/etcd.tmp" ./etcd) || die "go build of etcd failed"
            mv "$BIN/etcd.tmp" "$BIN/etcd"
        fi
        say "built in $(( $(date +%s) - start ))s"
    fi
    if [ "$ETCD_FROM" = debian ]; then
        if ! command -v etcd >/dev/null 2>&1 && [ ! -x /usr/bin/etcd ]; then
            [ "$(id -u)" = 0 ] || die "etcd-server is missing and installing it needs root"
            say "installing Debian's etcd-server"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                etcd-server >/dev/null
        fi
    fi
    echo "$BIN/kube-apiserver"
    if [ "$ETCD_FROM" = debian ]; then echo /usr/bin/etcd; else echo "$BIN/etcd"; fi
    echo "$BIN/kube-controller-manager"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# pki DIR: a CA, the serving pair (loopback SANs plus the in-cluster names), the
# service-account key pair and a static token for the admin identity.
pki() {
    local d=$1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=anvil-upstream-ca" \
        -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
        -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n' \
        >"$d/apiserver.ext"
    openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
    openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
    local token
    token=$(openssl rand -hex 24)
    echo "$token,anvil-admin,anvil-admin-uid,system:masters" >"$d/tokens.csv"
    echo "$token" >"$d/admin.token"
    chmod 600 "$d"/*.key "$d/tokens.csv" "$d/admin.token"
}

# wait_ready URL CA TOKEN SECS PID: polls /readyz while PID lives.
wait_ready() {
    local end=$((SECONDS + $4))
    while [ $SECONDS -lt "$end" ]; do
        kill -0 "$5" 2>/dev/null || return 1
        curl -sf --max-time 2 --cacert "$2" -H "Authorization: Bearer $3" "$1/readyz" >/dev/null && return 0
        sleep 0.2
    done
    return 1
}

cmd_start() {
    local d=${1:?usage: upstream-kube.sh start DIR} bins etcd_port peer_port api_port token
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    [ ! -s "$d/kube-apiserver.pid" ] || ! kill -0 "$(cat "$d/kube-apiserver.pid")" 2>/dev/null ||
        die "$d already has a running kube-apiserver (upstream-kube.sh stop $d)"
    bins=$(cmd_build)
    local kas etcd kcm
    kas=$(echo "$bins" | sed -n 1p)
    etcd=$(echo "$bins" | sed -n 2p)
    kcm=$(echo "$bins" | sed -n 3p)
    pki "$d"
    token=$(cat "$d/admin.token")
    etcd_port=$(free_port)
    peer_port=$(free_port)
    api_port=$(free_port)
    local etcd_extra=()
    [ "${ANVIL_UPSTREAM_ETCD_FSYNC:-1}" = 0 ] && etcd_extra+=(--unsafe-no-fsync)
    "$etcd" --name anvil --data-dir "$d/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "anvil=http://127.0.0.1:$peer_port" \
        --listen-metrics-urls "" --log-level warn "${etcd_extra[@]}" \
        >"$d/etcd.log" 2>&1 &
    echo $! >"$d/etcd.pid"
    local i
    for i in $(seq 100); do
        curl -sf --max-time 1 "http://127.0.0.1:$etcd_port/health" >/dev/null && break
        kill -0 "$(cat "$d/etcd.pid")" 2>/dev/null || { tail -20 "$d/etcd.log" >&2; die "etcd exited"; }
        sleep 0.1
    done
    "$kas" --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
        --cert-dir "$d" --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
        --client-ca-file "$d/ca.crt" --token-auth-file "$d/tokens.csv" \
        --requestheader-client-ca-file "$d/ca.crt" --requestheader-allowed-names front-proxy-client \
        --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
        --requestheader-extra-headers-prefix X-Remote-Extra- \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
        --api-audiences https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
        --authorization-mode RBAC --profiling=false \
        --v 1 ${ANVIL_UPSTREAM_APISERVER_FLAGS:-} \
        >"$d/kube-apiserver.log" 2>&1 &
    echo $! >"$d/kube-apiserver.pid"
    local url=https://127.0.0.1:$api_port
    wait_ready "$url" "$d/ca.crt" "$token" 90 "$(cat "$d/kube-apiserver.pid")" || {
        tail -30 "$d/kube-apiserver.log" >&2
        cmd_stop "$d"
        die "kube-apiserver did not become ready"
    }
    cat >"$d/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: upstream
  cluster:
    server: $url
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: anvil-admin
  user:
    token: $token
contexts:
- name: upstream
  context: {cluster: upstream, user: anvil-admin, namespace: default}
current-context: upstream
KC
    chmod 600 "$d/kubeconfig"
    echo "$url" >"$d/url"
    # The namespace and garbage-collector controllers: without them a deleted namespace stays
    # Terminating and ownerReferences never cascade, which is not what a cluster does.
    if [ "${ANVIL_UPSTREAM_KCM:-1}" = 1 ]; then
        "$kcm" --kubeconfig "$d/kubeconfig" --authentication-kubeconfig "$d/kubeconfig" \
            --authorization-kubeconfig "$d/kubeconfig" \
            --controllers namespace-controller,garbage-collector-controller \
            --leader-elect=false --bind-address 127.0.0.1 --secure-port "$(free_port)" \
            --cert-dir "$d/kcm" --use-service-account-credentials=false --v 1 \
            >"$d/kube-controller-manager.log" 2>&1 &
        echo $! >"$d/kube-controller-manager.pid"
    fi
    say "kube-apiserver $KUBE_VERSION at $url (etcd 127.0.0.1:$etcd_port); KUBECONFIG=$d/kubeconfig"
}

# stop DIR: SIGTERM by recorded PID, SIGKILL after 10 s; only processes this script started.
cmd_stop() {
    local d=${1:?usage: upstream-kube.sh stop DIR} name pid i
    for name in kube-controller-manager kube-apiserver etcd; do
        [ -s "$d/$name.pid" ] || continue
        pid=$(cat "$d/$name.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$d/$name.pid"
    done
    return 0
}

case "${1:-}" in
build) cmd_build ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
env) echo "KUBECONFIG=${2:?usage: upstream-kube.sh env DIR}/kubeconfig" ;;
*) echo "usage: upstream-kube.sh build|start DIR|stop DIR|env DIR" >&2; exit 2 ;;
esac
