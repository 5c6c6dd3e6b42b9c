#!/usr/bin/env bash
# bench/tftp: TFTP throughput (MiB/s) for 1 and 32 concurrent clients, at
# blksize 512 and 1468, for anvil-boot against tftpd-hpa and dnsmasq started
# by this same run on the same rig, with the ratio to the best peer, and the
# server CPU each spends per GiB served (user + system, forked children
# included) with the ratio to the most frugal peer.
#
# Rig: two network namespaces (anvb<rand>s / anvb<rand>c) joined by a veth
# pair. By default nothing is pinned (a TFTP server has the machine's cores;
# tftpd-hpa forks one process per transfer, dnsmasq serves all transfers from
# one thread, anvil-boot from one thread per CPU it may run on); PIN=1 puts
# the server on CPU 0 (anvil-boot then runs one thread) and the curl clients
# on CPU 1. Every download is checked with cmp. Bounded: each transfer has a
# timeout; every process is ours and killed at exit, its cgroup removed.
#   FILE_MIB=8 REPEATS=2 CLIENTS="1 32" BLKSIZES="512 1468" PIN=0 bench/tftp/run.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export ANVIL_BIN=${ANVIL_BIN:-$top/bin}
FILE_MIB=${FILE_MIB:-8}
CLIENTS=${CLIENTS:-"1 32"}
BLKSIZES=${BLKSIZES:-"512 1468"}
PIN=${PIN:-0}
SRV_CPU=()
CLI_CPU=()
if [ "$PIN" = 1 ]; then
    SRV_CPU=(taskset -c 0)
    CLI_CPU=(taskset -c 1)
fi
. "$top/test/e2e/boot-lib.bash"
for t in in.tftpd dnsmasq curl taskset kubectl; do
    command -v "$t" >/dev/null || { echo "bench/tftp: SKIPPED: $t is not installed (hack/install-deps.sh)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "bench/tftp: SKIPPED: needs root (network namespaces)"; exit 0; }
boot_ns_up || exit 1
ip -n "$NS_C" addr add "$BOOT_CLI_IP/16" dev bc
boot_apiserver || exit 1
DIR=$E2E_TMP/tftproot
mkdir -p "$DIR" "$E2E_TMP/dl"
# One file under a name anvil-boot serves (its iPXE table) and the peers too.
head -c $((FILE_MIB * 1024 * 1024)) /dev/urandom >"$DIR/ipxe.efi"
RESULTS=$E2E_TMP/results.txt
: >"$RESULTS"

# The three servers run side by side, each on its own address of the server
# veth, and the measurements interleave (every combination against every
# server in turn, REPEATS times, the order rotating), so a change in the
# machine's load during the run does not favour whoever ran first.
REPEATS=${REPEATS:-2}
declare -A ADDR=([anvil-boot]=10.77.0.1 [tftpd-hpa]=10.77.0.3 [dnsmasq]=10.77.0.4)
declare -A SRV_PID=()
ip -n "$NS_S" addr add 10.77.0.3/16 dev bs
ip -n "$NS_S" addr add 10.77.0.4/16 dev bs
# Server CPU in microseconds, forked children included (tftpd-hpa forks one
# per transfer and lets the kernel reap it, so /proc's child times miss it):
# each server runs in a cgroup of its own (v2 cpu.stat, or v1 cpuacct);
# without cgroups, the process's own user + system time from /proc.
declare -A SRV_CG=()
cg_join() { # cg_join NAME PID
    local d
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        d=/sys/fs/cgroup/anvil-bench-$1-$$
    elif [ -d /sys/fs/cgroup/cpuacct ]; then
        d=/sys/fs/cgroup/cpuacct/anvil-bench-$1-$$
    else
        return 0
    fi
    mkdir "$d" 2>/dev/null || return 0
    if echo "$2" >"$d/cgroup.procs" 2>/dev/null; then SRV_CG[$1]=$d; else rmdir "$d"; fi
}
cg_cleanup() {
    local d
    for d in "${SRV_CG[@]}"; do rmdir "$d" 2>/dev/null; done
}
cpu_us() { # cpu_us NAME
    local d=${SRV_CG[$1]:-}
    if [ -n "$d" ] && [ -f "$d/cpu.stat" ]; then
        awk '$1 == "usage_usec" { print $2 }' "$d/cpu.stat"
    elif [ -n "$d" ]; then
        echo $(($(cat "$d/cpuacct.usage") / 1000))
    else
        awk -v hz="$(getconf CLK_TCK)" '{ n = split($0, f, ") "); split(f[n], v, " "); print (v[12] + v[13]) * 1000000 / hz }' "/proc/${SRV_PID[$1]}/stat"
    fi
}
srv_start() { # srv_start NAME CMD...
    local name=$1; shift
    ip netns exec "$NS_S" "${SRV_CPU[@]}" "$@" >>"$E2E_TMP/server-$name.log" 2>&1 &
    E2E_PIDS+=($!)
    SRV_PID[$name]=$! # ip netns exec and taskset exec the server: the same PID
    cg_join "$name" "$!"
    # Ready when one whole download works (one warm-up transfer per server).
    wait_for 20 ip netns exec "$NS_C" curl -sf --max-time 10 -o /dev/null "tftp://${ADDR[$name]}/ipxe.efi" ||
        echo "# $name did not answer TFTP" >&2
}
srv_start anvil-boot "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip 10.77.0.1 \
    --bind-address 10.77.0.1 --dhcp-enabled=false --syslog-enabled=false --ipxe-dir "$DIR" --log-level warn
srv_start tftpd-hpa in.tftpd --foreground --address 10.77.0.3:69 --secure "$DIR"
srv_start dnsmasq dnsmasq --no-daemon --port=0 --listen-address=10.77.0.4 --bind-interfaces --enable-tftp \
    --tftp-root="$DIR" --tftp-max=1000 --pid-file= --conf-file=/dev/null

once() { # once NAME BLKSIZE N: N concurrent downloads; appends "name bs n MiB/s bad cpu-s/GiB"
    local name=$1 bs=$2 n=$3 i start end bad=0 pids=() cpu0 cpu1
    rm -f "$E2E_TMP"/dl/*
    cpu0=$(cpu_us "$name")
    start=$(date +%s.%N)
    for i in $(seq 1 "$n"); do
        ip netns exec "$NS_C" "${CLI_CPU[@]}" curl -sf --max-time 120 --tftp-blksize "$bs" \
            -o "$E2E_TMP/dl/$i" "tftp://${ADDR[$name]}/ipxe.efi" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
    end=$(date +%s.%N)
    for i in $(seq 1 "$n"); do cmp -s "$E2E_TMP/dl/$i" "$DIR/ipxe.efi" || bad=$((bad + 1)); done
    sleep 0.3 # a forked tftpd-hpa child ends after the last ACK
    cpu1=$(cpu_us "$name")
    python3 -c 'import sys; n, mib, s, e = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]); cpu = (float(sys.argv[9]) - float(sys.argv[8])) / 1e6; print("%s %s %d %.2f %s %.3f" % (sys.argv[5], sys.argv[6], n, n * mib / (e - s), sys.argv[7], cpu * 1024 / (n * mib)))' \
        "$n" "$FILE_MIB" "$start" "$end" "$name" "$bs" "$bad" "$cpu0" "$cpu1" | tee -a "$RESULTS" >&2
}
servers=(anvil-boot tftpd-hpa dnsmasq)
for rep in $(seq 1 "$REPEATS"); do
    for bs in $BLKSIZES; do
        for n in $CLIENTS; do
            for k in 0 1 2; do once "${servers[$(((k + rep) % 3))]}" "$bs" "$n"; done
        done
    done
done

python3 - "$RESULTS" "$FILE_MIB" "$PIN" <<'PY'
import sys
raw = [l.split() for l in open(sys.argv[1]) if l.strip()]
# Mean over the repeats of each (server, blksize, clients); failures summed.
acc = {}
for name, bs, n, rate, bad, cpu in raw:
    a = acc.setdefault((name, bs, n), [0.0, 0, 0, 0.0])
    a[0] += float(rate); a[1] += 1; a[2] += int(bad); a[3] += float(cpu)
rows = [(k[0], k[1], k[2], "%.1f" % (v[0] / v[1]), str(v[2]), "%.1f" % (v[3] / v[1])) for k, v in acc.items()]
rows.sort(key=lambda r: (["anvil-boot", "tftpd-hpa", "dnsmasq"].index(r[0]), int(r[1]), int(r[2])))
print("\nTFTP over veth, one %s MiB file per client (curl), %s\n" % (sys.argv[2], "server on CPU 0, clients on CPU 1" if sys.argv[3] == "1" else "unpinned"))
print("| server | blksize | clients | MiB/s (aggregate, mean of repeats) | failed or corrupt | vs best peer | server CPU s per GiB | vs most frugal peer |")
print("|---|---|---|---|---|---|---|---|")
for name, bs, n, rate, bad, cpu in rows:
    peers = [r for r in rows if r[0] != "anvil-boot" and r[1] == bs and r[2] == n]
    ratio = cratio = "-"
    if name == "anvil-boot" and peers:
        best = max(float(r[3]) for r in peers)
        frugal = min(float(r[5]) for r in peers)
        ratio = "%.2fx" % (float(rate) / best) if best > 0 else "-"
        cratio = "%.2fx" % (float(cpu) / frugal) if frugal > 0 else "-"
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (name, bs, n, rate, bad, ratio, cpu, cratio))
PY
boot_ns_down
cg_cleanup
