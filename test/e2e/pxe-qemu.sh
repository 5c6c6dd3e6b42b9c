#!/usr/bin/env bash
# The product end to end: blank QEMU machines (TCG) PXE-boot from
# anvil-boot (auto-proxy ProxyDHCP beside the site's own DHCP server), run
# the boot environment, enroll through anvil-controller's gateway with the
# per-boot agent token, and provision their own disks.
#
# Scenarios (test/e2e/pxe/rig.bash has the network):
#   bios    no Hardware; SeaBIOS + QEMU's iPXE ROM (virtio-net). Discovered,
#           enrolled by the WorkflowRuleSet (template pxe-install):
#           image2disk of a zstd raw image with an ext4 partition onto
#           /dev/vda, writefile /etc/provisioned-by (with the MAC) into
#           partition 1, poweroff.
#   uefi    the same with OVMF and the ROM's iPXE EFI driver.
#   prereg  BIOS, Hardware pre-registered by MAC with the enrollment hint
#           anvil.dev/enrollment-template: pxe-prereg: that template runs.
# Each passes only when the Workflow is SUCCESS with the expected template,
# the Hardware exists (with the attributes annotation when discovered) and
# the host reads the image's bytes and the written file back from the VM's
# disk file. Per-stage timings are printed, and anvil-boot's log must carry
# the machine's syslog lines tagged with its Hardware.
#
# ANVIL_PXE_SCENARIOS="bios uefi prereg" picks scenarios; ANVIL_PXE_BOOTENV=DIR
# reuses a built boot environment (else hack/build-bootenv.sh runs with
# $ANVIL_BIN/anvil-worker). Skips (77) without root, /dev/net/tun, QEMU, or
# when the boot environment's Debian packages cannot be fetched.
PXE_REAL_HOME=$HOME
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/pxe/rig.bash"
. "$(dirname "$0")/pxe/manifests.bash"
. "$(dirname "$0")/pxe/scenario.bash"

if e2e_upstream; then
    skip_all "the PXE rig runs its own anvil-apiserver inside a network namespace: it runs in make test only"
fi
pxe_require
T0=$SECONDS
scenarios=${ANVIL_PXE_SCENARIOS:-bios uefi prereg}

BOOTENV=$E2E_TMP/bootenv
pxe_bootenv "$BOOTENV" || { not_ok "the boot environment builds"; e2e_done; exit 1; }
ok "boot environment ready ($(stat -c %s "$BOOTENV/initramfs-x86_64") bytes initramfs)"
MARKER="anvil-image-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pxe_disk_image "$BOOTENV/disk.img" "$MARKER" || { not_ok "the test disk image is made"; e2e_done; exit 1; }
ok "test disk image: $(stat -c %s "$BOOTENV/disk.img") bytes raw, $(stat -c %s "$BOOTENV/disk.img.zst") bytes zstd"

PREREG_MAC=52:54:00:a7:00:03
PREREG_IP=10.78.0.60
PXE_DNSMASQ_HOSTS="$PREREG_MAC,$PREREG_IP"
pxe_net_up || { not_ok "namespaces, bridge and dnsmasq"; e2e_done; exit 1; }
pxe_stack_up "$BOOTENV" || { not_ok "anvil-apiserver, anvil-controller and anvil-boot start"; e2e_done; exit 1; }
ok "stack up in $PXE_NS: anvil-apiserver, anvil-controller (gateway $PXE_SRV_IP:$PXE_GW_PORT), anvil-boot (auto-proxy on br0)"
pxe_manifests | K apply -f - >/dev/null && ok "Templates and WorkflowRuleSet applied" ||
    not_ok "Templates and WorkflowRuleSet applied"

for s in $scenarios; do
    case $s in
    bios) scenario bios 52:54:00:a7:00:01 bios pxe-install discovery-52-54-00-a7-00-01 ;;
    uefi) scenario uefi 52:54:00:a7:00:02 uefi pxe-install discovery-52-54-00-a7-00-02 ;;
    prereg)
        pxe_prereg_hardware rack1-node7 "$PREREG_MAC" "$PREREG_IP" | K apply -f - >/dev/null
        # Pre-registration happens before the machine boots: wait until
        # anvil-boot serves the Hardware's script, not the static one an
        # unknown MAC gets.
        static=$(in_ns curl -sf "$PXE_HTTP/ipxe/script/52:54:00:ff:ff:ff/auto.ipxe" | grep -v anvil_token | sed 's/52:54:00:ff:ff:ff/MAC/g')
        wait_for 20 sh -c "ip netns exec $PXE_NS curl -sf $PXE_HTTP/ipxe/script/$PREREG_MAC/auto.ipxe |
            grep -v anvil_token | sed 's/$PREREG_MAC/MAC/g' | grep -vqxF -e \"\$1\"" _ "$static" ||
            not_ok "prereg: anvil-boot serves the pre-registered Hardware's script"
        scenario prereg "$PREREG_MAC" bios pxe-prereg rack1-node7 prereg
        ;;
    *) not_ok "unknown scenario $s" ;;
    esac
done

# Syslog: the machines' lines reached anvil-boot (per-machine tagging is
# checked in each scenario).
n=$(grep -c 'syslog message' "$E2E_TMP/boot.log")
[ "$n" -gt 0 ] && ok "anvil-boot logged $n syslog lines from the machines" || not_ok "anvil-boot logged no syslog lines"
grep -a 'syslog message' "$E2E_TMP/boot.log" | grep -a 'anvil-worker' | head -3 | sed 's/^/#   /'

echo "# timings (seconds since QEMU started, TCG, load $(cut -d' ' -f1 /proc/loadavg)):"
for l in "${TIMINGS[@]}"; do echo "#   $l"; done
echo "# whole test: $((SECONDS - T0)) s"
e2e_done
