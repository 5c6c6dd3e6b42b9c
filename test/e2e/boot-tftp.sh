#!/usr/bin/env bash
# anvil-boot TFTP in network namespaces: curl downloads every iPXE binary of
# --ipxe-dir byte-identical with blksize 512 and 1468 (upstream names too:
# snp-x86_64.efi is Debian's snponly.efi, <mac>/ipxe.efi follows Debian's
# symlink), tsize is answered with the file size, 32 downloads run at once,
# traversal, unknown names and writes get TFTP errors, and both the
# ephemeral-port and single-port modes work. See boot-lib.bash.
. "$(dirname "$0")/boot-lib.bash"
boot_require curl kubectl python3
[ -d /usr/lib/ipxe ] || skip_all "Debian's ipxe package is not installed (/usr/lib/ipxe)"
boot_ns_up || { not_ok "namespaces"; e2e_done; exit 1; }
boot_apiserver || exit 1
ip -n "$NS_C" addr add "$BOOT_CLI_IP/16" dev bc

# tftp_probe NAME [OPTIONS...]: one raw request; prints the server's first
# answer as "ERROR <code>" or "OACK k=v ..." or "DATA <n>".
tftp_probe() {
    in_cli python3 - "$BOOT_SRV_IP" "$@" <<'PY'
import socket, struct, sys
srv, name, opcode = sys.argv[1], sys.argv[2], 1
args = sys.argv[3:]
if args and args[0] == "write":
    opcode, args = 2, args[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
req = struct.pack("!H", opcode) + name.encode("latin1") + b"\0octet\0"
for a in args:
    k, v = a.split("=")
    req += k.encode() + b"\0" + v.encode() + b"\0"
s.sendto(req, (srv, 69))
d, peer = s.recvfrom(70000)
op = struct.unpack("!H", d[:2])[0]
if op == 5:
    print("ERROR %d" % struct.unpack("!H", d[2:4])[0])
elif op == 6:
    f = d[2:].split(b"\0")
    print("OACK " + " ".join("%s=%s" % (f[i].decode(), f[i + 1].decode()) for i in range(0, len(f) - 1, 2)))
    s.sendto(struct.pack("!HH", 5, 0) + b"done\0", peer)
else:
    print("DATA %d" % (len(d) - 4))
PY
}

tftp_suite() {
    local mode=$1 f base
    for f in /usr/lib/ipxe/*; do
        base=$(basename "$f")
        # The boot files anvil-boot serves; ipxe-qemu adds NIC option ROMs
        # (*.rom) and a qemu/ directory here, which are QEMU's, not boot files.
        case "$base" in ipxe.iso|ipxe.lkrn|*.rom) continue ;; esac
        [ -f "$f" ] || continue
        for bs in 512 1468; do
            rm -f "$E2E_TMP/got"
            if in_cli curl -sf --tftp-blksize "$bs" -o "$E2E_TMP/got" "tftp://$BOOT_SRV_IP/52:54:00:12:34:56/$base" &&
                cmp -s "$E2E_TMP/got" "$(readlink -f "$f")"; then
                ok "$mode: $base byte-identical with blksize $bs"
            else
                not_ok "$mode: $base with blksize $bs"
            fi
        done
    done
    in_cli curl -sf --tftp-blksize 1468 -o "$E2E_TMP/got" "tftp://$BOOT_SRV_IP/snp-x86_64.efi" &&
        cmp -s "$E2E_TMP/got" /usr/lib/ipxe/snponly.efi && ok "$mode: snp-x86_64.efi is served as snponly.efi" ||
        not_ok "$mode: snp-x86_64.efi"
    size=$(stat -Lc %s /usr/lib/ipxe/ipxe.efi)
    expect_match "$mode: tsize answered with the file size" "^OACK blksize=1468 tsize=$size$" \
        tftp_probe ipxe.efi blksize=1468 tsize=0
    expect_match "$mode: traversal refused (ERROR 2)" '^ERROR 2$' tftp_probe ../../../etc/passwd
    expect_match "$mode: traversal below a MAC refused (ERROR 2)" '^ERROR 2$' tftp_probe 52:54:00:12:34:56/../../etc/shadow
    expect_match "$mode: unknown name (ERROR 1)" '^ERROR 1$' tftp_probe /etc/passwd
    expect_match "$mode: ipxe.iso is not a boot file (ERROR 1)" '^ERROR 1$' tftp_probe ipxe.iso
    expect_match "$mode: write request refused (ERROR 2)" '^ERROR 2$' tftp_probe undionly.kpxe write
    expect_match "$mode: bad option value (ERROR 8)" '^ERROR 8$' tftp_probe undionly.kpxe blksize=7
    # 32 concurrent downloads, each checked.
    local pids=() i bad=0
    for i in $(seq 1 32); do
        in_cli curl -sf --tftp-blksize 1468 -o "$E2E_TMP/par-$i" "tftp://$BOOT_SRV_IP/ipxe.efi" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
    for i in $(seq 1 32); do cmp -s "$E2E_TMP/par-$i" /boot/ipxe.efi || bad=$((bad + 1)); done
    [ $bad = 0 ] && ok "$mode: 32 concurrent downloads, all byte-identical" || not_ok "$mode: $bad of 32 concurrent downloads bad"
}

boot_start --dhcp-enabled=false || exit 1
tftp_suite ephemeral
done0=$(boot_metric 'anvil_boot_tftp_transfers_total{result="done"}')
[ "$done0" -ge 40 ] && ok "transfers counted in /metrics ($done0)" || not_ok "transfers_total=$done0"
[ "$(boot_metric anvil_boot_tftp_transfers_active)" = 0 ] && ok "no transfer left running" || not_ok "active transfers left"
boot_stop
boot_start --dhcp-enabled=false --tftp-single-port || exit 1
tftp_suite single-port
boot_stop
[ "$BOOT_RC" = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM exit $BOOT_RC"
e2e_done
