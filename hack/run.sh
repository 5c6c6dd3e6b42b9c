#!/usr/bin/env bash
# make run: the product on this machine. Starts anvil-apiserver on 127.0.0.1
# with its data under ./var/ (TLS with a generated pair and a bearer token,
# so kubectl authenticates), applies crds/ and examples/try-it.yaml, starts anvil-boot and
# anvil-controller (agent gateway on 127.0.0.1:42113 with discovery, enrollment and agent tokens
# under var/agent.key) against it, prints what a user types next, and serves until Ctrl-C.
#
# anvil-boot is started in a mode that is safe on a developer laptop: HTTP,
# TFTP and syslog on 127.0.0.1 ports that need no root (ANVIL_BOOT_HTTP_PORT
# 7080, ANVIL_BOOT_TFTP_PORT 6969, ANVIL_BOOT_SYSLOG_PORT 5514), and DHCP off
# unless ANVIL_DHCP_INTERFACE names the interface to answer on (then DHCP
# runs there in ANVIL_DHCP_MODE, default auto-proxy, and the listeners bind
# to that interface's address; that needs root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
port=${ANVIL_APISERVER_PORT:-6443}
mkdir -p "$var/apiserver"
if [ ! -s "$var/agent.key" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$var/agent.key")
fi
if [ ! -s "$var/apiserver/tokens.csv" ]; then
    umask 077
    printf '%s,admin,admin\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$var/apiserver/tokens.csv"
fi
"$top/bin/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$var/apiserver" \
    --tls-generate --token-file "$var/apiserver/tokens.csv" \
    --write-kubeconfig "$var/kubeconfig" >>"$var/apiserver.log" 2>&1 &
pid=$!
boot_pid=
ctl_pid=
trap 'kill $ctl_pid $boot_pid $pid 2>/dev/null; wait $ctl_pid $boot_pid $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
    curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { echo "anvil-apiserver failed to start; see $var/apiserver.log" >&2; tail -5 "$var/apiserver.log" >&2; exit 1; }
    sleep 0.1
done
export KUBECONFIG=$var/kubeconfig
kubectl apply -f "$top/crds/" >/dev/null
kubectl wait --for condition=established --timeout=30s -f "$top/crds/" >/dev/null
kubectl apply -f "$top/examples/try-it.yaml" >/dev/null
mkdir -p /tmp/anvil-try-it
echo "anvil-apiserver is serving https://127.0.0.1:$port (log: $var/apiserver.log); CRDs and examples/try-it.yaml applied."

http_port=${ANVIL_BOOT_HTTP_PORT:-7080}
gw_port=${ANVIL_GATEWAY_PORT:-42113}
tftp_port=${ANVIL_BOOT_TFTP_PORT:-6969}
syslog_port=${ANVIL_BOOT_SYSLOG_PORT:-5514}
boot_ip=127.0.0.1
boot_args=(--dhcp-enabled=false)
if [ -n "${ANVIL_DHCP_INTERFACE:-}" ]; then
    boot_ip=$(ip -4 -o addr show dev "$ANVIL_DHCP_INTERFACE" | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
    [ -n "$boot_ip" ] || { echo "ANVIL_DHCP_INTERFACE=$ANVIL_DHCP_INTERFACE has no IPv4 address" >&2; exit 1; }
    boot_args=(--dhcp-mode "${ANVIL_DHCP_MODE:-auto-proxy}" --dhcp-bind-interface "$ANVIL_DHCP_INTERFACE")
fi
mkdir -p "$var/bootenv"
"$top/bin/anvil-boot" --kubeconfig "$var/kubeconfig" "${boot_args[@]}" --public-ip "$boot_ip" \
    --bind-address "$boot_ip" --http-port "$http_port" --tftp-port "$tftp_port" \
    --syslog-port "$syslog_port" --bootenv-dir "$var/bootenv" --agent-key-file "$var/agent.key" \
    --gateway-addr "$boot_ip:$gw_port" >>"$var/boot.log" 2>&1 &
boot_pid=$!
for _ in $(seq 100); do
    curl -sf "http://$boot_ip:$http_port/readyz" >/dev/null 2>&1 && break
    kill -0 $boot_pid 2>/dev/null || { echo "anvil-boot failed to start; see $var/boot.log" >&2; tail -5 "$var/boot.log" >&2; exit 1; }
    sleep 0.1
done
echo "anvil-boot is serving http://$boot_ip:$http_port and tftp://$boot_ip:$tftp_port" \
    "(DHCP: ${ANVIL_DHCP_INTERFACE:-off}; log: $var/boot.log; boot files: $var/bootenv/)."
ctl_port=${ANVIL_CONTROLLER_PORT:-8081}
"$top/bin/anvil-controller" --kubeconfig "$var/kubeconfig" --http-listen "127.0.0.1:$ctl_port" \
    --gateway-listen "$boot_ip:$gw_port" --agent-key-file "$var/agent.key" \
    --auto-discovery --auto-enrollment --auto-discovery-auto-enrollment \
    --leader-elect=false >>"$var/controller.log" 2>&1 &
ctl_pid=$!
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$ctl_port/readyz" >/dev/null 2>&1 && break
    kill -0 $ctl_pid 2>/dev/null || { echo "anvil-controller failed to start; see $var/controller.log" >&2; tail -5 "$var/controller.log" >&2; exit 1; }
    sleep 0.1
done
echo "anvil-controller is reconciling Workflows and serving agents on $boot_ip:$gw_port" \
    "(discovery and enrollment on; metrics http://127.0.0.1:$ctl_port/metrics; log: $var/controller.log)."
echo "In another shell:"
echo
echo "  export KUBECONFIG=$var/kubeconfig"
echo "  # a machine nobody registered: an anvil-worker by hand, with a token for its MAC"
echo "  bin/anvil-worker --gateway $boot_ip:$gw_port --id 52:54:00:00:00:01 --no-reboot --exit-when-done \\"
echo "      --token \"\$(bin/anvil-controller mint-token --agent-id 52:54:00:00:00:01 --agent-key-file var/agent.key)\""
echo "  kubectl get hardware,workflows        # discovery-52-54-00-00-00-01, enrollment-... SUCCESS"
echo "  cat /tmp/anvil-try-it/52:54:00:00:00:01/provisioned"
echo "  curl http://$boot_ip:$http_port/ipxe/script/52:54:00:12:34:56/auto.ipxe"
echo
echo "Ctrl-C stops everything; the data stays in $var/."
wait $pid
