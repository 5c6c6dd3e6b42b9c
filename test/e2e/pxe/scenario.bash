#!/usr/bin/env bash
# One machine's provisioning, checked and timed (sourced after rig.bash and
# manifests.bash; needs BOOTENV, MARKER and the stack from pxe_stack_up).

TIMINGS=()

# scenario NAME MAC bios|uefi TEMPLATE HARDWARE [prereg]
scenario() {
    local name=$1 mac=$2 fw=$3 tmpl=$4 hw=$5 kind=${6:-discovered}
    local dashed=${mac//:/-} disk=$E2E_TMP/$name.disk
    local wf=enrollment-$dashed
    echo "# --- $name: $fw, $kind, MAC $mac"
    truncate -s 32M "$disk"
    pxe_vm "$name" "$mac" "$disk" "$fw" || { not_ok "$name: QEMU starts"; return; }
    if pxe_wait_vm "$PXE_QEMU_TIMEOUT"; then
        ok "$name: the VM powered itself off ($(pxe_console_at "$name" 'qemu exit') s)"
    else
        not_ok "$name: the VM did not power off within $PXE_QEMU_TIMEOUT s"
    fi
    if ! grep -aq 'qemu exit 0$' "$E2E_TMP/$name.console"; then
        not_ok "$name: QEMU exited with status 0 ($(tail -1 "$E2E_TMP/$name.console"))"
        grep -a -E 'anvil-init|iPXE|Configuring|http://|Kernel panic|No bootable|error' "$E2E_TMP/$name.console" |
            tail -25 | sed 's/^/#   /'
        sed 's/^/#   qemu: /' "$E2E_TMP/$name.qemu.err" | tail -5
    fi
    if [ "$fw" = uefi ]; then
        expect_match "$name: the machine booted by UEFI (OVMF, iPXE's EFI driver)" "efi: EFI v[0-9.]+ by EDK II" \
            cat "$E2E_TMP/$name.console"
    else
        expect_match "$name: the machine booted by BIOS (SeaBIOS, iPXE ROM)" "SeaBIOS.*1\.16" cat "$E2E_TMP/$name.console"
    fi
    expect_match "$name: kubectl get wf shows $wf SUCCESS" "^$wf +.*SUCCESS" K get wf -n default
    expect_match "$name: the Workflow ran template $tmpl on Hardware $hw" "^$tmpl $hw SUCCESS$" \
        K get wf -n default "$wf" -o jsonpath='{.spec.templateRef} {.spec.hardwareRef} {.status.state}'
    expect_match "$name: kubectl get hw shows $hw" "^$hw " K get hw -n default
    if [ "$kind" = discovered ]; then
        check "$name: the discovered Hardware has the attributes annotation, its MAC and disk" python3 -c '
import json, sys
h = json.loads(sys.stdin.read()); m = h["metadata"]; s = h["spec"]
a = json.loads(m["annotations"]["tinkerbell.org/agent-attributes"])
assert m["labels"]["tinkerbell.org/auto-discovered"] == "true", m
assert s["interfaces"][0]["dhcp"]["mac"] == sys.argv[1], s
assert any(d["device"] == "/dev/vda" for d in s["disks"]), s
assert any(n.get("mac") == sys.argv[1] for n in a["networkInterfaces"]), a
' "$mac" < <(K get hw -n default "$hw" -o json)
    else
        check "$name: no discovery Hardware was made for the pre-registered MAC" \
            test -z "$(K get hw -n default -o name | grep "discovery-$dashed")"
    fi
    # The disk, read back on the host.
    check "$name: the disk starts with the image's MBR (first 446+66 bytes)" cmp -n 512 "$disk" "$BOOTENV/disk.img"
    dd if="$disk" of="$E2E_TMP/$name.part" bs=1M skip=1 status=none
    expect_match "$name: partition 1 holds the image's filesystem (/marker)" "^$MARKER$" \
        debugfs -R "cat /marker" "$E2E_TMP/$name.part"
    expect_match "$name: writefile wrote /etc/provisioned-by = '$tmpl $mac'" "^$tmpl $mac$" \
        debugfs -R "cat /etc/provisioned-by" "$E2E_TMP/$name.part"
    rm -f "$E2E_TMP/$name.part"
    # Syslog from the machine, in anvil-boot's log, tagged with its Hardware
    # (found by address, or by the ARP table's MAC for the address). Lines
    # sent before discovery made the Hardware cannot name it.
    local src
    src=$(grep -a "syslog message.*starting anvil-worker.*worker_id=$mac" "$E2E_TMP/boot.log" |
        sed -n 's/.* source=\([0-9.]*\) .*/\1/p' | tail -1)
    expect_match "$name: the machine's syslog lines reach anvil-boot (from ${src:-?})" "." \
        grep -a "syslog message.*source=${src:-none} " "$E2E_TMP/boot.log"
    expect_match "$name: anvil-worker's syslog lines are tagged hardware=default/$hw" \
        "source=${src:-none} hardware=default/$hw .*app=anvil-worker" cat "$E2E_TMP/boot.log"
    echo "#   $(grep -ac "syslog message.*source=${src:-none} hardware=default/$hw " "$E2E_TMP/boot.log") of" \
        "$(grep -ac "syslog message.*source=${src:-none} " "$E2E_TMP/boot.log") lines from $src tagged"
    pxe_timings "$name" "$mac" "$wf"
}

# pxe_timings NAME MAC WF: one line of stage times (s since QEMU start).
pxe_timings() {
    local name=$1 mac=$2 wf=$3 t0 actions
    t0=$(head -1 "$E2E_TMP/$name.console" | cut -d' ' -f1)
    # Each action: RUNNING to its final state in the gateway's log (ms).
    actions=$(K get wf -n default "$wf" -o json | python3 -c '
import datetime, json, re, sys
w = json.load(sys.stdin)
names = [a.get("name") for t in w.get("status", {}).get("tasks", []) for a in t.get("actions", [])]
ids = [a.get("id") for t in w.get("status", {}).get("tasks", []) for a in t.get("actions", [])]
def ts(line):
    m = re.search(r"ts=(\S+)Z", line)
    return datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
start, end, order = {}, {}, []
for line in open(sys.argv[1], errors="replace"):
    if "action status" not in line or "workflow=default/" + sys.argv[2] + " " not in line:
        continue
    a = re.search(r"action=(\S+)", line).group(1)
    if "state=RUNNING" in line:
        if a not in start:
            start[a] = ts(line); order.append(a)
    else:
        end[a] = ts(line)
out = []
for i, a in enumerate(order):
    n = names[ids.index(a)] if a in ids else (names[i] if i < len(names) else a)
    out.append("%s %.1f s" % (n, end.get(a, start[a]) - start[a]))
print(", ".join(out))' "$E2E_TMP/controller.log" "$wf" 2>&1)
    local line
    line="$name: DHCP $(pxe_console_at "$name" 'Configuring.*ok') s"
    line+=", script $(pxe_console_at "$name" "auto\\.ipxe.*ok") s"
    line+=", kernel+initramfs $(pxe_console_at "$name" 'initramfs-x86_64.*ok') s"
    line+=", Linux $(pxe_console_at "$name" 'Linux version') s"
    # /init's lines reach the serial console only when the script's last
    # console= is a registered one (not so with console=ttyS1 before ttyS0);
    # else the time its syslog line reached anvil-boot is used.
    local worker
    worker=$(pxe_console_at "$name" 'starting anvil-worker')
    [ "$worker" != - ] || worker=$(pxe_log_at "$E2E_TMP/boot.log" "syslog message.*starting anvil-worker.*worker_id=$mac" "$t0")
    line+=", worker $worker s"
    line+=", agent connect $(pxe_log_at "$E2E_TMP/controller.log" "agent connected.*agent=$mac" "$t0") s"
    line+=", actions [$actions]"
    line+=", powered off $(pxe_console_at "$name" 'qemu exit') s"
    TIMINGS+=("$line")
    echo "# $line"
}

