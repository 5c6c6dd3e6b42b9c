#!/usr/bin/env bash
# bench/dhcp: DHCP exchanges per second and DISCOVER->OFFER latency with
# Kea's perfdhcp at rising rates, for anvil-boot (reservation: full DORA for
# Hardware MACs; auto-proxy: PXE DISCOVER->OFFER) against peers started by
# this same run on the same rig: dnsmasq full DHCP (lease file on disk,
# no-ping), dnsmasq proxyDHCP, and Kea 2.2 memfile. Prints one table and the
# ratio of anvil-boot to the best peer of the same kind at each rate.
#
# Rig: two network namespaces (anvb<rand>s / anvb<rand>c, veth, 10.77.0.0/16).
# The server runs pinned to CPU 0, perfdhcp (single-threaded, relay mode:
# giaddr 10.77.0.2, unicast 67->67) pinned to CPU 1. Every run is bounded
# (PERIOD seconds); every process is ours and killed at exit.
#   RATES="1000 5000 10000 20000" PERIOD=8 CLIENTS=10000 bench/dhcp/run.sh
# SERVERS picks a subset (default: all of anvil-reservation anvil-auto-proxy
# dnsmasq-full dnsmasq-proxy kea); PERF_DIR=DIR records `perf record -g` of
# each anvil-boot run into DIR/perf-<mode>.data.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export ANVIL_BIN=${ANVIL_BIN:-$top/bin}
RATES=${RATES:-"1000 5000 10000 20000"}
PERIOD=${PERIOD:-8}
CLIENTS=${CLIENTS:-10000}
SERVERS=${SERVERS:-"anvil-reservation anvil-auto-proxy dnsmasq-full dnsmasq-proxy kea"}
PERF_DIR=${PERF_DIR:-}
want() { case " $SERVERS " in *" $1 "*) return 0 ;; esac; return 1; }
. "$top/test/e2e/boot-lib.bash"
E2E_KEEP=${E2E_KEEP:-0}
for t in perfdhcp dnsmasq kea-dhcp4 taskset kubectl python3; do
    command -v "$t" >/dev/null || { echo "bench/dhcp: SKIPPED: $t is not installed (hack/install-deps.sh)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "bench/dhcp: SKIPPED: needs root (network namespaces)"; exit 0; }
boot_ns_up || exit 1
ip -n "$NS_C" addr add "$BOOT_CLI_IP/16" dev bc
boot_apiserver || exit 1
echo "# creating $CLIENTS Hardware for the reservation runs" >&2
boot_hardware_list 0 "$CLIENTS" >"$E2E_TMP/list.json"
in_srv kubectl create --validate=false -f "$E2E_TMP/list.json" >/dev/null || exit 1
for i in $(seq 0 $((CLIENTS - 1))); do boot_mac_of "$i"; echo; done >"$E2E_TMP/macs.txt"
PXE_OPTS=(-o 60,505845436c69656e743a417263683a30303030303a554e44493a303032303031 -o 93,0000 -o 94,010201)
RESULTS=$E2E_TMP/results.jsonl
: >"$RESULTS"

# stale_drops: DISCOVERs anvil-boot shed as stale (0 for the peers).
stale_drops() {
    [ "$1" = anvil-boot ] || { echo 0; return; }
    ip netns exec "$NS_S" curl -s "http://$BOOT_SRV_IP:7080/metrics" |
        awk '$1 == "anvil_boot_dhcp_dropped_total{reason=\"stale\"}" { v = $2 } END { print v + 0 }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# rcvbuf_errors NS: UDP datagrams the kernel of that namespace dropped because
# a socket's receive queue was full (RcvbufErrors of /proc/net/snmp).
rcvbuf_errors() {
    ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp
}

SRV_PID=
srv_start() { # srv_start CMD...: the server under test, on CPU 0, in the server namespace
    ip netns exec "$NS_S" taskset -c 0 "$@" >>"$E2E_TMP/server.log" 2>&1 &
    SRV_PID=$!
    E2E_PIDS+=("$SRV_PID")
}
PERF_PID=
perf_start() { # perf_start NAME: profile the server under test while it runs
    [ -n "$PERF_DIR" ] || return 0
    perf record -q -g -o "$PERF_DIR/perf-$1.data" -p "$SRV_PID" >/dev/null 2>&1 &
    PERF_PID=$!
}
srv_stop() {
    [ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null
    PERF_PID=
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    SRV_PID=
}

# run NAME MODE KIND [perfdhcp args]: one perfdhcp run per rate.
run_rates() {
    local name=$1 mode=$2 kind=$3; shift 3
    local rate
    for rate in $RATES; do
        local t0 t1 out=$E2E_TMP/perf-$name-$rate.txt wait=(-W 500000)
        # perfdhcp 2.2 aborts when -W is combined with -i.
        case " $* " in *" -i "*) wait=() ;; esac
        t0=$(cpu_ticks "$SRV_PID")
        local s0 c0 s1 c1
        local st0 st1
        st0=$(stale_drops "$name")
        s0=$(rcvbuf_errors "$NS_S")
        c0=$(rcvbuf_errors "$NS_C")
        ip netns exec "$NS_C" taskset -c 1 timeout $((PERIOD + 30)) perfdhcp -4 -g single -x te -s 1 \
            -l "$BOOT_CLI_IP" -r "$rate" -R "$CLIENTS" -p "$PERIOD" -d 1 "${wait[@]}" "$@" "$BOOT_SRV_IP" \
            >"$out" 2>&1
        t1=$(cpu_ticks "$SRV_PID")
        s1=$(rcvbuf_errors "$NS_S")
        c1=$(rcvbuf_errors "$NS_C")
        st1=$(stale_drops "$name")
        python3 "$top/bench/dhcp/parse.py" "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d.update(name=sys.argv[1], mode=sys.argv[2], kind=sys.argv[3], offered=int(sys.argv[4]),
         cpu=(int(sys.argv[6]) - int(sys.argv[5])) / 100.0 / float(sys.argv[7]) * 100.0,
         srv_drops=int(sys.argv[8]), cli_drops=int(sys.argv[9]), stale=int(sys.argv[10]))
print(json.dumps(d))' "$name" "$mode" "$kind" "$rate" "$t0" "$t1" "$PERIOD" $((s1 - s0)) $((c1 - c0)) $((st1 - st0)) >>"$RESULTS"
        tail -1 "$RESULTS" >&2
    done
}

wait_dhcp_ready() { # a server is ready when it answers one relayed DISCOVER
    local i
    for i in $(seq 50); do
        ip netns exec "$NS_C" timeout 5 perfdhcp -4 -g single -l "$BOOT_CLI_IP" -n 1 -r 1 -d 0.2 -i "$@" \
            "$BOOT_SRV_IP" 2>/dev/null | grep -q '^received packets: 1' && return 0
        sleep 0.1
    done
    return 1
}

# --- anvil-boot reservation (full DORA, Hardware MACs)
if want anvil-reservation; then
    srv_start "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip "$BOOT_SRV_IP" \
        --dhcp-bind-interface bs --dhcp-mode reservation --tftp-enabled=false --syslog-enabled=false --log-level warn
    wait_for 60 sh -c "ip netns exec $NS_S curl -s http://$BOOT_SRV_IP:7080/metrics | grep -q 'anvil_store_objects{resource=\"hardware\"} $CLIENTS'"
    wait_dhcp_ready -M "$E2E_TMP/macs.txt" || echo "# anvil-boot reservation not answering" >&2
    perf_start reservation
    run_rates anvil-boot reservation full -M "$E2E_TMP/macs.txt"
    srv_stop
fi
# --- anvil-boot auto-proxy (PXE DISCOVER->OFFER, unknown MACs)
if want anvil-auto-proxy; then
    srv_start "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip "$BOOT_SRV_IP" \
        --dhcp-bind-interface bs --dhcp-mode auto-proxy --tftp-enabled=false --syslog-enabled=false --log-level warn
    wait_dhcp_ready "${PXE_OPTS[@]}" || echo "# anvil-boot auto-proxy not answering" >&2
    perf_start auto-proxy
    run_rates anvil-boot auto-proxy proxy -i "${PXE_OPTS[@]}"
    srv_stop
fi
# --- dnsmasq, full DHCP with its lease file on disk (its default), no ping
if want dnsmasq-full; then
    srv_start dnsmasq --no-daemon --port=0 --interface=bs --bind-interfaces --no-ping --quiet-dhcp \
        --dhcp-range=10.77.1.0,10.77.255.254,255.255.0.0,1h --dhcp-lease-max=1000000 \
        --dhcp-leasefile="$E2E_TMP/dnsmasq.leases" --pid-file= --conf-file=/dev/null
    wait_dhcp_ready || echo "# dnsmasq not answering" >&2
    run_rates dnsmasq full full
    srv_stop
fi
# --- dnsmasq proxyDHCP with a PXE service
if want dnsmasq-proxy; then
    srv_start dnsmasq --no-daemon --port=0 --interface=bs --bind-interfaces --quiet-dhcp \
        --dhcp-range=10.77.0.0,proxy,255.255.0.0 --pxe-service=x86PC,"PXE",undionly \
        --pid-file= --conf-file=/dev/null
    wait_dhcp_ready "${PXE_OPTS[@]}" || echo "# dnsmasq proxy not answering" >&2
    run_rates dnsmasq proxy proxy -i "${PXE_OPTS[@]}"
    srv_stop
fi
# --- Kea 2.2, memfile (persisted CSV), one thread
if want kea; then
    mkdir -p "$E2E_TMP/kea"
    cat >"$E2E_TMP/kea/kea.json" <<JSON
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["bs"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "name": "$E2E_TMP/kea/leases.csv", "lfc-interval": 0},
  "valid-lifetime": 3600,
  "subnet4": [{"subnet": "10.77.0.0/16", "pools": [{"pool": "10.77.1.0 - 10.77.255.254"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "WARN", "output_options": [{"output": "stderr"}]}]
}}
JSON
    srv_start env KEA_PIDFILE_DIR="$E2E_TMP/kea" KEA_LOCKFILE_DIR="$E2E_TMP/kea" kea-dhcp4 -c "$E2E_TMP/kea/kea.json"
    wait_dhcp_ready || echo "# kea not answering" >&2
    run_rates kea full full
    srv_stop
fi

python3 - "$RESULTS" "$CLIENTS" "$PERIOD" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def f(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))
print("\nDHCPv4, perfdhcp relay mode, %s clients, %ss per run; server on CPU 0, perfdhcp on CPU 1" % (sys.argv[2], sys.argv[3]))
print("full = DORA exchanges/s (4 packets), proxy = PXE DISCOVER->OFFER/s")
print("kernel drops: datagrams dropped on a full socket queue, at the server / at perfdhcp")
print("stale: DISCOVERs anvil-boot shed unanswered after waiting > 500 ms in its queue (overload)")
print("CPU us/exch: server CPU time per completed exchange (all packets it handled included); on a")
print("shared machine this is steadier than the rates, and 1e6 / it bounds what one core can sustain\n")
print("| server | mode | offered /s | achieved /s | DO drops % | offer p50 ms | offer p99 ms | server CPU % | CPU us/exch | kernel drops srv / perfdhcp | stale | vs best peer |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    peers = [p for p in rows if p["name"] != "anvil-boot" and p["kind"] == r["kind"] and p["offered"] == r["offered"]]
    ratio = "-"
    if r["name"] == "anvil-boot" and peers:
        best = max(p["rate"] for p in peers)
        ratio = "%.2fx" % (r["rate"] / best) if best > 0 else "inf"
    drops = 100.0 * r["do_drops"] / r["do_sent"] if r["do_sent"] else 0.0
    us = r["cpu"] / 100.0 * 1e6 / r["rate"] if r["rate"] > 0 else None
    print("| %s | %s | %d | %.0f | %.2f | %s | %s | %.0f | %s | %d / %d | %d | %s |" % (r["name"], r["mode"], r["offered"], r["rate"], drops,
          f(r["p50"], 3), f(r["p99"], 3), r["cpu"], f(us, 0), r["srv_drops"], r["cli_drops"], r.get("stale", 0), ratio))
PY
boot_ns_down
