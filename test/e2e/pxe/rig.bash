#!/usr/bin/env bash
# The rig of test/e2e/pxe-qemu.sh and hack/demo.sh (sourced after
# test/e2e/lib.bash, not run): a blank QEMU machine on a private L2 network
# with the whole anvil stack beside it.
#
# Topology, two network namespaces:
#   anvp<rand>   "the provisioning host": bridge br0 10.78.0.1/24 with the
#                VMs' taps; anvil-apiserver on its loopback, anvil-controller
#                (gateway on 10.78.0.1:42113) and anvil-boot (auto-proxy
#                DHCP on br0, HTTP :7080, TFTP, syslog :514).
#   anvp<rand>r  "the site's router": veth rt 10.78.0.2/24 + fd78::2/64 on
#                the bridge; dnsmasq hands out addresses (10.78.0.100-150)
#                and sends IPv6 RAs (without RAs iPXE waits ~13 s per DHCP
#                round for a router). It serves no boot options: those come
#                from anvil-boot, as ProxyDHCP, as on a real site.
# Everything is started by us and killed (by PID) on exit, and both
# namespaces are deleted.

PXE_SRV_IP=10.78.0.1
PXE_RTR_IP=10.78.0.2
PXE_GW_PORT=42113
PXE_HTTP=http://$PXE_SRV_IP:7080
PXE_CACHE=${ANVIL_BOOTENV_CACHE:-${XDG_CACHE_HOME:-${PXE_REAL_HOME:-$HOME}/.cache}/anvil/bootenv}
PXE_QEMU_TIMEOUT=${ANVIL_PXE_QEMU_TIMEOUT:-240}
PXE_NS_UP=0
PXE_TAPS=0

# pxe_require: skips (exit 77) with the reason when the rig cannot exist here.
pxe_require() {
    [ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, taps)"
    [ -c /dev/net/tun ] || skip_all "/dev/net/tun does not exist: no tap devices, so no QEMU network"
    command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
    local t
    for t in dnsmasq kubectl mkfs.ext4 debugfs zstd cpio apt-get dpkg-deb python3 perl; do
        command -v "$t" >/dev/null || skip_all "$t is not installed (hack/install-deps.sh)"
    done
    [ -e /usr/lib/ipxe/qemu/efi-virtio.rom ] || skip_all "ipxe-qemu is not installed: QEMU's NIC has no PXE ROM"
    local tag=anvpprobe$$
    ip netns add "$tag" 2>/dev/null || skip_all "ip netns does not work here (no CAP_SYS_ADMIN?)"
    ip netns del "$tag"
}

in_ns() { ip netns exec "$PXE_NS" "$@"; }
in_rtr() { ip netns exec "$PXE_NS_R" "$@"; }
K() { ip netns exec "$PXE_NS" kubectl --kubeconfig "$KUBECONFIG" --request-timeout=20s "$@"; }

# pxe_bootenv DIR: builds the boot environment with $ANVIL_BIN/anvil-worker
# into DIR (ANVIL_PXE_BOOTENV=DIR2 uses a ready one instead). Skips when the
# Debian packages cannot be fetched.
pxe_bootenv() {
    local out=$1 rc=0 t0=$SECONDS
    if [ -n "${ANVIL_PXE_BOOTENV:-}" ]; then
        mkdir -p "$out"
        cp "$ANVIL_PXE_BOOTENV/vmlinuz-x86_64" "$ANVIL_PXE_BOOTENV/initramfs-x86_64" "$out/"
        echo "# boot environment from $ANVIL_PXE_BOOTENV"
        return 0
    fi
    [ -x "$ANVIL_BIN/anvil-worker" ] || skip_all "$ANVIL_BIN/anvil-worker is not built"
    mkdir -p "$out"
    cp "$ANVIL_BIN/anvil-worker" "$E2E_TMP/anvil-worker"
    "$E2E_TOP/hack/build-bootenv.sh" --out "$out" --worker "$E2E_TMP/anvil-worker" --cache "$PXE_CACHE" \
        >"$E2E_TMP/bootenv.log" 2>&1 || rc=$?
    if [ $rc = 3 ]; then
        sed 's/^/#   /' "$E2E_TMP/bootenv.log" | tail -5
        skip_all "build-bootenv.sh cannot fetch the Debian packages (no apt lists, no network, no cache)"
    fi
    if [ $rc != 0 ]; then
        sed 's/^/#   /' "$E2E_TMP/bootenv.log" | tail -20
        echo "# build-bootenv.sh failed (exit $rc)"
        return 1
    fi
    echo "# boot environment built in $((SECONDS - t0)) s: initramfs $(stat -c %s "$out/initramfs-x86_64") bytes," \
        "vmlinuz $(stat -c %s "$out/vmlinuz-x86_64") bytes"
}

# pxe_disk_image OUT MARKER: a 32 MiB raw disk, MBR with one Linux partition
# (sector 2048 to the end) holding an ext4 filesystem with /marker containing
# MARKER; OUT.zst is that image compressed. Sets PXE_PART_OFFSET (bytes).
pxe_disk_image() {
    local out=$1 marker=$2 root=$E2E_TMP/imgroot
    mkdir -p "$root/etc"
    printf '%s\n' "$marker" >"$root/marker"
    printf 'anvil test image\n' >"$root/etc/issue"
    PXE_PART_OFFSET=$((2048 * 512))
    truncate -s 31M "$E2E_TMP/part.img"
    mkfs.ext4 -q -F -L anvil-test -U 6c1f3a52-0b4e-4c59-9d0e-5a1b2c3d4e5f -E root_owner=0:0 \
        -d "$root" "$E2E_TMP/part.img" >/dev/null || return 1
    truncate -s 32M "$out"
    # The MBR: one partition entry (type 0x83, LBA 2048, 63488 sectors) and the signature.
    python3 - "$out" <<'PY' || return 1
import struct, sys
with open(sys.argv[1], "r+b") as f:
    entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", 2048, 63488)
    f.seek(440); f.write(struct.pack("<I", 0x414e5631) + b"\0\0")
    f.seek(446); f.write(entry + b"\0" * 48 + b"\x55\xaa")
PY
    dd if="$E2E_TMP/part.img" of="$out" bs=1M seek=1 conv=notrunc status=none || return 1
    rm -f "$E2E_TMP/part.img"
    zstd -q -f -19 "$out" -o "$out.zst"
}

# pxe_net_up: both namespaces, the bridge, the router's veth, dnsmasq.
# PXE_DNSMASQ_HOSTS may hold "MAC,IP" lines (fixed addresses).
pxe_net_up() {
    local suffix
    suffix=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
    PXE_NS=anvp$suffix
    PXE_NS_R=anvp${suffix}r
    ip netns add "$PXE_NS" && ip netns add "$PXE_NS_R" || return 1
    PXE_NS_UP=1
    ip -n "$PXE_NS" link set lo up
    ip -n "$PXE_NS_R" link set lo up
    ip -n "$PXE_NS" link add br0 type bridge
    ip -n "$PXE_NS" addr add "$PXE_SRV_IP/24" dev br0
    ip -n "$PXE_NS" addr add fd78::1/64 dev br0 nodad
    ip -n "$PXE_NS" link set br0 up
    ip link add rt netns "$PXE_NS_R" type veth peer name rtb netns "$PXE_NS" || return 1
    ip -n "$PXE_NS" link set rtb master br0
    ip -n "$PXE_NS" link set rtb up
    ip -n "$PXE_NS_R" addr add "$PXE_RTR_IP/24" dev rt
    ip -n "$PXE_NS_R" addr add fd78::2/64 dev rt nodad
    ip -n "$PXE_NS_R" link set rt up
    {
        echo "port=0"
        echo "interface=rt"
        echo "bind-interfaces"
        echo "dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0,1h"
        echo "dhcp-authoritative"
        echo "dhcp-leasefile=$E2E_TMP/dnsmasq.leases"
        echo "log-dhcp"
        echo "log-facility=$E2E_TMP/dnsmasq.log"
        echo "no-ping"
        if [ "${ANVIL_PXE_RA:-1}" = 1 ]; then # ANVIL_PXE_RA=0: measure without RAs
            echo "enable-ra"
            echo "dhcp-range=fd78::,ra-only,64"
        fi
        local h
        for h in ${PXE_DNSMASQ_HOSTS:-}; do echo "dhcp-host=$h"; done
    } >"$E2E_TMP/dnsmasq.conf"
    in_rtr dnsmasq -k -C "$E2E_TMP/dnsmasq.conf" --pid-file= >>"$E2E_TMP/dnsmasq.out" 2>&1 &
    E2E_PIDS+=($!)
}

pxe_net_down() {
    [ "$PXE_NS_UP" = 1 ] || return 0
    local p
    # Processes in our namespaces are ours (started by this script).
    for p in $(ip netns pids "$PXE_NS" 2>/dev/null) $(ip netns pids "$PXE_NS_R" 2>/dev/null); do
        kill "$p" 2>/dev/null
    done
    sleep 0.2
    for p in $(ip netns pids "$PXE_NS" 2>/dev/null) $(ip netns pids "$PXE_NS_R" 2>/dev/null); do
        kill -9 "$p" 2>/dev/null
    done
    ip netns del "$PXE_NS" 2>/dev/null
    ip netns del "$PXE_NS_R" 2>/dev/null
    PXE_NS_UP=0
}

pxe_cleanup() {
    e2e_cleanup
    pxe_net_down
}
trap pxe_cleanup EXIT

# pxe_stack_up BOOTENV_DIR: anvil-apiserver, CRDs, anvil-controller and
# anvil-boot in $PXE_NS. Logs: $E2E_TMP/{apiserver,controller,boot}.log.
pxe_stack_up() {
    local bootenv=$1
    export KUBECONFIG=$E2E_TMP/kubeconfig
    in_ns "$ANVIL_BIN/anvil-apiserver" --listen 127.0.0.1:6443 --data-dir "$E2E_TMP/apiserver" \
        --write-kubeconfig "$KUBECONFIG" >>"$E2E_TMP/apiserver.log" 2>&1 &
    E2E_PIDS+=($!)
    wait_for 20 in_ns curl -sf http://127.0.0.1:6443/readyz || {
        echo "# anvil-apiserver did not become ready"; tail -20 "$E2E_TMP/apiserver.log"; return 1; }
    K apply -f "$E2E_TOP/crds/" >/dev/null &&
        K wait --for condition=established --timeout=30s -f "$E2E_TOP/crds/" >/dev/null || return 1
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/agent.key"
    in_ns "$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen 127.0.0.1:8081 \
        --gateway-listen "$PXE_SRV_IP:$PXE_GW_PORT" --agent-key-file "$E2E_TMP/agent.key" --leader-elect=false \
        --auto-discovery --auto-discovery-namespace default --auto-enrollment --auto-discovery-auto-enrollment \
        >>"$E2E_TMP/controller.log" 2>&1 &
    E2E_PIDS+=($!)
    wait_for 30 in_ns curl -sf http://127.0.0.1:8081/readyz || {
        echo "# anvil-controller did not become ready"; tail -20 "$E2E_TMP/controller.log"; return 1; }
    in_ns "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip "$PXE_SRV_IP" \
        --dhcp-mode auto-proxy --dhcp-bind-interface br0 --bootenv-dir "$bootenv" \
        --gateway-addr "$PXE_SRV_IP:$PXE_GW_PORT" --agent-key-file "$E2E_TMP/agent.key" \
        --extra-kernel-args "console=ttyS0" >>"$E2E_TMP/boot.log" 2>&1 &
    E2E_PIDS+=($!)
    wait_for 30 in_ns curl -sf "$PXE_HTTP/readyz" || {
        echo "# anvil-boot did not become ready"; tail -20 "$E2E_TMP/boot.log"; return 1; }
}

# pxe_vm NAME MAC DISK bios|uefi: starts a VM (TCG) on a new tap of br0, with
# DISK as a virtio disk, booting from the network. Its console goes to
# $E2E_TMP/NAME.console, every line prefixed with the wall time (seconds) it
# arrived. Sets VM_PID and VM_START.
pxe_vm() {
    local name=$1 mac=$2 disk=$3 fw=$4 tap
    tap=tap$PXE_TAPS
    PXE_TAPS=$((PXE_TAPS + 1))
    in_ns ip tuntap add dev "$tap" mode tap || return 1
    ip -n "$PXE_NS" link set "$tap" master br0
    ip -n "$PXE_NS" link set "$tap" up
    # Serial: ttyS0 and ttyS1 both into the console log, since a Hardware's
    # script may name ttyS1 (BIOS); OVMF writes to every serial port, so
    # UEFI gets ttyS0 only.
    local fwargs=(-machine pc,accel=tcg -serial chardev:c0 -serial chardev:c0)
    if [ "$fw" = uefi ]; then
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$E2E_TMP/$name.vars.fd"
        fwargs=(-machine q35,accel=tcg -serial chardev:c0
            -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
            -drive if=pflash,format=raw,unit=1,file="$E2E_TMP/$name.vars.fd")
    fi
    VM_START=$(date +%s.%N)
    echo "$VM_START qemu start" >"$E2E_TMP/$name.console"
    # virtio-net keeps QEMU's default ROM (efi-virtio.rom: iPXE for BIOS and
    # UEFI); an explicit romfile= makes SeaBIOS skip it (pxe-notes 5.2).
    (
        in_ns timeout "$PXE_QEMU_TIMEOUT" qemu-system-x86_64 "${fwargs[@]}" -m 1024 -smp 1 \
            -nographic -chardev stdio,id=c0,mux=on,signal=off -mon chardev=c0 -no-reboot \
            -netdev tap,id=n0,ifname="$tap",script=no,downscript=no \
            -device virtio-net-pci,netdev=n0,mac="$mac",bootindex=1 \
            -drive file="$disk",format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0 \
            -boot n </dev/null 2>"$E2E_TMP/$name.qemu.err" |
            perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\e\[[0-9;?]*[A-Za-z]//g; s/\r(?!$)/\n/g; s/\r$//;
                for my $l (split /\n/) { printf "%.3f %s\n", time, $l if length $l }' >>"$E2E_TMP/$name.console"
        echo "$(date +%s.%N) qemu exit ${PIPESTATUS[0]}" >>"$E2E_TMP/$name.console"
    ) &
    VM_PID=$!
    E2E_PIDS+=("$VM_PID")
}

# pxe_wait_vm SECONDS: until the VM's QEMU exits (the worker powered it off).
pxe_wait_vm() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ] && kill -0 "$VM_PID" 2>/dev/null; do sleep 0.5; done
    ! kill -0 "$VM_PID" 2>/dev/null
}

# pxe_console_at NAME REGEX: the arrival time of the first console line
# matching REGEX, as seconds since QEMU started ("-" when none).
pxe_console_at() {
    awk -v re="$2" 'NR == 1 { t0 = $1 } NR > 1 && $0 ~ re { printf "%.1f", $1 - t0; found = 1; exit }
        END { if (!found) printf "-" }' "$E2E_TMP/$1.console"
}

# pxe_log_at FILE REGEX T0: the ts= of the first matching log line, as
# seconds since T0 (epoch seconds) ("-" when none).
pxe_log_at() {
    local ts
    ts=$(grep -a -m1 -E -- "$2" "$1" | sed -n 's/.*ts=\([0-9TZ:.-]*\).*/\1/p')
    [ -n "$ts" ] || { printf -- -; return; }
    awk -v a="$3" -v b="$(date -d "$ts" +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
