#!/usr/bin/env bash
# Smoke test of the boot environment (hack/build-bootenv.sh), booted directly
# in QEMU (TCG, no KVM assumed) on QEMU's user network.
#
# 1. Builds it twice with a stand-in anvil-worker (linked against libcurl and
#    jansson, so the library collection is exercised; it prints /proc/cmdline,
#    exits 3 on its first run and 0 on its second) and checks that both builds
#    are the same bytes, under 40 MiB, with the sha256 printed.
# 2. Boots it with two NICs, e1000 first and virtio-net second, hw_addr=
#    naming the second, and a blank virtio disk. On the serial console: /init
#    ran, loaded both NIC drivers and the disk's, picked the hw_addr NIC, got
#    its address by DHCP, set the clock from anvil_time= and then by SNTP, and
#    started the worker with the kernel arguments; the worker ran, its exit 3
#    was noticed, the anvil_debug shell came up (it formats the disk ext4 with
#    the initramfs' mkfs.ext4 and mounts it: ext4 loads on demand) and the
#    worker was restarted; busybox poweroff in that shell powers the VM off.
#    syslog_host got the kernel log, /init's log and the worker's output,
#    never the agent token.
# 3. When $ANVIL_BIN/anvil-worker exists, builds with it and boots again:
#    /init starts it with the kernel arguments and its output reaches
#    syslog_host (it runs with the libraries ldd collected).
#
# Skips (exit 77) without qemu-system-x86_64 or the build's tools, and when
# the Debian packages cannot be fetched. Prints sizes, build times and
# boot-to-worker times.
real_home=$HOME
. "$(dirname "$0")/lib.bash"

if [ "${ANVIL_TEST_UPSTREAM:-0}" = 1 ] || [ -n "${ANVIL_TEST_KUBECONFIG:-}" ]; then
    skip_all "the boot environment uses no API server: it runs in make test, not against an upstream one"
fi
cache=${ANVIL_BOOTENV_CACHE:-${XDG_CACHE_HOME:-$real_home/.cache}/anvil/bootenv}
qemu_timeout=${ANVIL_BOOTENV_QEMU_TIMEOUT:-300}

for tool in qemu-system-x86_64 cpio zstd apt-get dpkg-deb python3 cc; do
    command -v "$tool" >/dev/null ||
        skip_all "$tool is not installed (apt-get install qemu-system-x86 cpio zstd): the boot environment cannot be built or booted here"
done

# ---------------------------------------------------------------- stand-in

cat >"$E2E_TMP/standin.c" <<'EOF'
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Prints its run count, libcurl's version and /proc/cmdline (as JSON);
 * exits 3 on its first run and 0 afterwards. */
int main(void)
{
    char cmdline[4096] = "";
    FILE *f = fopen("/proc/cmdline", "r");
    if (f) {
        if (!fgets(cmdline, sizeof cmdline, f))
            cmdline[0] = 0;
        fclose(f);
    }
    cmdline[strcspn(cmdline, "\n")] = 0;
    int runs = 0;
    f = fopen("/run/standin-runs", "r");
    if (f) {
        if (fscanf(f, "%d", &runs) != 1)
            runs = 0;
        fclose(f);
    }
    runs++;
    f = fopen("/run/standin-runs", "w");
    if (f) {
        fprintf(f, "%d\n", runs);
        fclose(f);
    }
    json_t *o = json_pack("{s:s}", "cmdline", cmdline);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    printf("STANDIN-WORKER run=%d %s %s\n", runs, curl_version(), s ? s : "null");
    return runs == 1 ? 3 : 0;
}
EOF
if ! cc -O2 -o "$E2E_TMP/standin" "$E2E_TMP/standin.c" -lcurl -ljansson 2>"$E2E_TMP/standin.err"; then
    sed 's/^/#   /' "$E2E_TMP/standin.err"
    skip_all "the stand-in anvil-worker does not compile (libcurl and jansson headers missing?)"
fi

# ---------------------------------------------------------------- builds

# build DIR WORKER: sets BUILD_SECONDS; the log is DIR.log.
build() {
    local t0=$SECONDS rc=0
    mkdir -p "$1"
    "$E2E_TOP/hack/build-bootenv.sh" --out "$1" --worker "$2" --cache "$cache" >"$1.log" 2>&1 || rc=$?
    BUILD_SECONDS=$((SECONDS - t0))
    if [ $rc = 3 ]; then
        sed 's/^/#   /' "$1.log"
        skip_all "build-bootenv.sh cannot fetch the Debian packages (no apt lists, no network, no cache)"
    fi
    if [ $rc != 0 ]; then
        not_ok "build-bootenv.sh --worker $2 failed (exit $rc)"
        sed 's/^/#   /' "$1.log" | tail -30
        e2e_done
        exit 1
    fi
    sed 's/^/#   /' "$1.log"
}
build_id() { sed -n 's/^build-bootenv: id \([0-9a-f]*\),.*/\1/p' "$1.log"; }

build "$E2E_TMP/s1" "$E2E_TMP/standin"
ok "build-bootenv.sh built the boot environment in $BUILD_SECONDS s"
build1_s=$BUILD_SECONDS
ID=$(build_id "$E2E_TMP/s1")
[ -n "$ID" ] && ok "the build prints its id ($ID)" || not_ok "the build printed no id"
isize=$(stat -c %s "$E2E_TMP/s1/initramfs-x86_64")
[ "$isize" -lt $((40 * 1024 * 1024)) ] && ok "initramfs-x86_64 is $isize bytes, under 40 MiB" ||
    not_ok "initramfs-x86_64 is $isize bytes, over 40 MiB"
grep -q "sha256 $(sha256sum <"$E2E_TMP/s1/initramfs-x86_64" | cut -d' ' -f1)" "$E2E_TMP/s1.log" &&
    ok "the build prints the initramfs' sha256" || not_ok "the printed sha256 is not the file's"

build "$E2E_TMP/s2" "$E2E_TMP/standin"
build2_s=$BUILD_SECONDS
for f in vmlinuz-x86_64 initramfs-x86_64; do
    if cmp -s "$E2E_TMP/s1/$f" "$E2E_TMP/s2/$f"; then
        ok "reproducible: $f identical in two builds ($(sha256sum <"$E2E_TMP/s1/$f" | cut -c1-16)...)"
    else
        not_ok "reproducible: $f differs between two builds"
        diff "$E2E_TMP/s1/manifest-x86_64.txt" "$E2E_TMP/s2/manifest-x86_64.txt" | sed 's/^/#   /'
    fi
done

# ---------------------------------------------------------------- helpers

# A syslog sink and an SNTP server on loopback; QEMU's user network reaches
# the host's 127.0.0.1 as 10.0.2.2.
cat >"$E2E_TMP/servers.py" <<'EOF'
import socket, struct, sys, threading
NTP_EPOCH = 2208988800
FIXED = 2000000000  # 2033-05-18T03:33:20Z

def sink(sock, path):
    with open(path, "ab", buffering=0) as f:
        while True:
            data, _ = sock.recvfrom(65535)
            f.write(data.rstrip(b"\n") + b"\n")

def sntp(sock):
    while True:
        req, peer = sock.recvfrom(512)
        if len(req) < 48:
            continue
        ts = struct.pack("!II", FIXED + NTP_EPOCH, 0)
        vn = (req[0] >> 3) & 7 or 4
        reply = bytes([(vn << 3) | 4, 1, 4, 0xEC]) + b"\0" * 8 + b"LOCL"
        reply += ts + req[40:48] + ts + ts
        sock.sendto(reply, peer)

syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); syslog.bind(("127.0.0.1", 0))
ntp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); ntp.bind(("127.0.0.1", 0))
with open(sys.argv[2], "w") as f:
    f.write("%d %d\n" % (syslog.getsockname()[1], ntp.getsockname()[1]))
threading.Thread(target=sink, args=(syslog, sys.argv[1]), daemon=True).start()
sntp(ntp)
EOF
python3 "$E2E_TMP/servers.py" "$E2E_TMP/syslog.txt" "$E2E_TMP/ports" &
E2E_PIDS+=($!)
wait_for 10 test -s "$E2E_TMP/ports" || { not_ok "helper servers did not start"; e2e_done; exit 1; }
read -r syslog_port ntp_port <"$E2E_TMP/ports"
gw_port=$(free_port) # nothing listens there: a real worker cannot reach a gateway
TOKEN=tok$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
MAC=52:54:00:12:34:56

# boot NAME DIR APPEND QEMU-ARGS...: starts QEMU on DIR's files, its serial
# console in $E2E_TMP/NAME.log and its input from fd 3 (a FIFO). Sets
# QEMU_PID and CONSOLE; $E2E_TMP/NAME.worker gets the time the worker line
# appeared.
boot() {
    local name=$1 dir=$2 append=$3
    shift 3
    CONSOLE=$E2E_TMP/$name.log
    : >"$E2E_TMP/syslog.txt"
    rm -f "$E2E_TMP/console.in"
    mkfifo "$E2E_TMP/console.in"
    exec 3<>"$E2E_TMP/console.in"
    QEMU_START=$(date +%s.%N)
    timeout "$qemu_timeout" qemu-system-x86_64 -machine pc,accel=tcg -m 512 -smp 1 -nographic \
        -no-reboot -kernel "$dir/vmlinuz-x86_64" -initrd "$dir/initramfs-x86_64" -append "$append" \
        "$@" <&3 >"$CONSOLE" 2>&1 &
    QEMU_PID=$!
    E2E_PIDS+=("$QEMU_PID")
    echo "# $name: qemu pid $QEMU_PID; console $CONSOLE"
    (
        while kill -0 $QEMU_PID 2>/dev/null; do
            if grep -aq 'anvil-init: .*starting anvil-worker' "$CONSOLE"; then
                date +%s.%N >"$E2E_TMP/$name.worker"
                break
            fi
            sleep 0.2
        done
    ) &
    E2E_PIDS+=($!)
}
stop_qemu() {
    kill "$QEMU_PID" 2>/dev/null
    wait "$QEMU_PID" 2>/dev/null
}
# worker_times NAME: "<wall> s wall, <uptime> s guest uptime" to the worker line.
worker_times() {
    local up wall
    up=$(console | grep -a -m1 'starting anvil-worker' | sed -n 's/.*anvil-init: \[\([0-9.]*\)\].*/\1/p')
    wall=$(awk -v a="$QEMU_START" -v b="$(cat "$E2E_TMP/$1.worker" 2>/dev/null)" \
        'BEGIN { if (b == "") print "?"; else printf "%.1f", b - a }')
    echo "$wall s wall, ${up:-?} s guest uptime"
}

console() { tr -d '\r' <"$CONSOLE"; }
syslog() { cat "$E2E_TMP/syslog.txt" 2>/dev/null; }
# wait_console SECONDS REGEX: until the console matches (or QEMU is gone).
wait_console() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do
        console | grep -aEq -- "$2" && return 0
        kill -0 $QEMU_PID 2>/dev/null || break
        sleep 0.2
    done
    console | grep -aEq -- "$2"
}
# expect_console DESCRIPTION REGEX [SECONDS]
expect_console() {
    if wait_console "${3:-$qemu_timeout}" "$2"; then
        ok "$1"
    else
        not_ok "$1 (wanted /$2/ on the console)"
        console | grep -a 'anvil-init\|udhcpc\|Kernel panic\|STANDIN' | tail -15 | sed 's/^/#   /'
    fi
}
expect_no_token() {
    if syslog | grep -q "$TOKEN"; then
        not_ok "the agent token reached syslog_host"
    else
        ok "the agent token never reaches syslog_host ($(syslog | wc -l) lines received)"
    fi
    if console | grep -a -e 'anvil-init' -e STANDIN -e 'comp=worker' | grep -q "$TOKEN"; then
        not_ok "/init or the worker printed the agent token"
    else
        ok "/init and the worker's output never print the agent token"
    fi
}

# ---------------------------------------------------------------- boot: stand-in

truncate -s 64M "$E2E_TMP/disk.img"
append="console=ttyS0 panic=-1 worker_id=$MAC hw_addr=$MAC grpc_authority=10.0.2.2:$gw_port"
append+=" tinkerbell_tls=false syslog_host=10.0.2.2:$syslog_port anvil_time=1900000000"
append+=" anvil_ntp=10.0.2.2:$ntp_port anvil_debug anvil_token=$TOKEN"
boot standin "$E2E_TMP/s1" "$append" \
    -netdev user,id=n0 -device e1000,netdev=n0,mac=52:54:00:00:00:01,romfile= \
    -netdev user,id=n1 -device virtio-net-pci,netdev=n1,mac=$MAC,romfile= \
    -drive file="$E2E_TMP/disk.img",format=raw,if=virtio

expect_console "/init ran, from the build just made ($ID)" "anvil-init: \[[0-9.]+\] anvil boot environment $ID on kernel"
expect_console "clock set from anvil_time=" "clock: set from anvil_time=1900000000 to 2030-03-17T"
expect_console "drivers loaded for both NICs and the disk" \
    "devices: net .*\((e1000|virtio_net),.*\((e1000|virtio_net),.*; block .*vda\(64MiB\)"
expect_console "DHCP starts on the hw_addr NIC (virtio-net), not the first one" \
    "network: DHCP on (eth[0-9]) \($MAC\)"
nic=$(console | sed -n "s/.*network: DHCP on \(eth[0-9]\) ($MAC).*/\1/p" | head -1)
if console | grep -q "network: DHCP on .*52:54:00:00:00:01"; then
    not_ok "DHCP was tried on the e1000 NIC before the hw_addr one"
fi
expect_console "the NIC got its address by DHCP" \
    "$nic: DHCP lease 10\.0\.2\.15/24 from 10\.0\.2\.2, routes: default via 10\.0\.2\.2, dns: 10\.0\.2\.3, lease 86400s"
expect_console "syslog forwarding to syslog_host" "syslog: forwarding .* to 10\.0\.2\.2:$syslog_port"
expect_console "clock set by SNTP from anvil_ntp=" "clock: set by SNTP from 10\.0\.2\.2:$ntp_port to 2033-05-18T03:33"
expect_console "anvil-worker started with the kernel arguments" \
    "starting anvil-worker \(attempt 1\): worker_id=$MAC grpc_authority=10\.0\.2\.2:$gw_port tinkerbell_tls=false syslog_host=10\.0\.2\.2:$syslog_port anvil_token=set on $nic"
expect_console "the worker ran with the libraries ldd collected, and read /proc/cmdline" \
    "STANDIN-WORKER run=1 libcurl/.*worker_id=$MAC hw_addr=$MAC grpc_authority=10\.0\.2\.2:$gw_port"
expect_console "its non-zero exit is noticed" "anvil-worker exited with status 3 after [0-9]+s; restarting in 1s"
expect_console "anvil_debug: a shell on the console after the failure" "anvil_debug: starting a shell on the console"
expect_console "anvil-worker restarted" "starting anvil-worker \(attempt 2\)"
expect_console "exit status 0 ends the restarts" "anvil-worker exited with status 0: done"
printf '%s\n' 'mkfs.ext4 -q -F /dev/vda && mount /dev/vda /mnt && echo hi >/mnt/f && umount /mnt && echo "TOOLS-$((6*7))"' >&3
expect_console "the debug shell runs mkfs.ext4 and mounts the disk (ext4 loaded on demand)" "^TOOLS-42" 120
sleep 2 # syslogd sends what it has
expect_match "syslog_host receives /init's log, from its first line" \
    "anvil-init: \[[0-9.]+\] anvil boot environment $ID" syslog
expect_match "syslog_host receives the kernel log" "kernel: .*Linux version" syslog
expect_match "syslog_host receives anvil-worker's output" "anvil-worker: STANDIN-WORKER run=1" syslog
expect_no_token
standin_times=$(worker_times standin)
printf 'poweroff\n' >&3
expect_console "busybox poweroff asks /init, which powers off" "anvil-init: \[[0-9.]+\] poweroff requested" 60
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ] && kill -0 "$QEMU_PID" 2>/dev/null; do sleep 0.2; done
if kill -0 "$QEMU_PID" 2>/dev/null; then
    not_ok "the VM did not power off"
else
    ok "the VM powered off (QEMU exited)"
fi
stop_qemu

# ---------------------------------------------------------------- boot: anvil-worker

real_isize=
if [ -x "$ANVIL_BIN/anvil-worker" ]; then
    # A copy, so that a rebuild of bin/ meanwhile cannot change the input.
    cp "$ANVIL_BIN/anvil-worker" "$E2E_TMP/anvil-worker"
    build "$E2E_TMP/r1" "$E2E_TMP/anvil-worker"
    build3_s=$BUILD_SECONDS
    ok "built with $ANVIL_BIN/anvil-worker in $BUILD_SECONDS s"
    real_isize=$(stat -c %s "$E2E_TMP/r1/initramfs-x86_64")
    RID=$(build_id "$E2E_TMP/r1")
    append="console=ttyS0 panic=-1 worker_id=$MAC hw_addr=$MAC grpc_authority=10.0.2.2:$gw_port"
    append+=" syslog_host=10.0.2.2:$syslog_port anvil_token=$TOKEN"
    boot worker "$E2E_TMP/r1" "$append" -netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=$MAC,romfile=
    expect_console "/init ran ($RID)" "anvil-init: \[[0-9.]+\] anvil boot environment $RID on kernel"
    expect_console "DHCP lease" "eth0: DHCP lease 10\.0\.2\.15/24"
    expect_console "anvil-worker started with the kernel arguments" \
        "starting anvil-worker \(attempt 1\): worker_id=$MAC grpc_authority=10\.0\.2\.2:$gw_port tinkerbell_tls=false syslog_host=10\.0\.2\.2:$syslog_port anvil_token=set on eth0"
    # It runs (the loader found its libraries) once it prints anything.
    end=$((SECONDS + 60))
    while [ $SECONDS -lt $end ] && ! syslog | grep -q 'anvil-worker: '; do sleep 0.5; done
    expect_match "anvil-worker runs in the boot environment and its output reaches syslog_host" \
        "anvil-worker: " syslog
    syslog | grep -m3 'anvil-worker: ' | sed 's/^/#   /'
    expect_no_token
    worker_boot_times=$(worker_times worker)
    stop_qemu
else
    echo "# $ANVIL_BIN/anvil-worker does not exist: the boot with the real worker is not run"
fi

echo "# figures (load average $(cut -d' ' -f1 /proc/loadavg)): vmlinuz $(stat -c %s "$E2E_TMP/s1/vmlinuz-x86_64") bytes;" \
    "initramfs $isize bytes with the stand-in${real_isize:+, $real_isize bytes with anvil-worker};" \
    "builds ${build1_s} s, ${build2_s} s${build3_s:+, ${build3_s} s}"
echo "# QEMU start to 'starting anvil-worker' (TCG): stand-in boot $standin_times${worker_boot_times:+; anvil-worker boot $worker_boot_times}"
e2e_done
