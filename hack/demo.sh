#!/usr/bin/env bash
# make demo: a blank QEMU machine provisions itself, and the stack stays up.
#
# Builds the boot environment (hack/build-bootenv.sh, with bin/anvil-worker),
# starts anvil-apiserver, anvil-controller (discovery, enrollment, agent
# tokens) and anvil-boot (ProxyDHCP) in a private network namespace with a
# site DHCP server (dnsmasq) beside them, applies a WorkflowRuleSet and a
# Template, and PXE-boots a VM (QEMU, TCG, BIOS) that nobody registered. The
# VM is discovered, enrolled, writes a disk image onto its disk, stamps a
# file into it and powers off. Then everything stays up, with a kubectl
# wrapper printed, until Ctrl-C. Needs root (namespaces, taps); see
# docs/demo.md. ANVIL_DEMO_FIRMWARE=uefi boots with OVMF instead.
set -u
PXE_REAL_HOME=$HOME
here=$(cd "$(dirname "$0")" && pwd)
export E2E_KEEP=${E2E_KEEP:-0}
. "$here/../test/e2e/lib.bash"
. "$here/../test/e2e/pxe/rig.bash"
. "$here/../test/e2e/pxe/manifests.bash"
. "$here/../test/e2e/pxe/scenario.bash"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fw=${ANVIL_DEMO_FIRMWARE:-bios}
case $fw in bios | uefi) ;; *) echo "ANVIL_DEMO_FIRMWARE=$fw: use bios or uefi"; exit 2 ;; esac

pxe_require
say "building the boot environment (kernel + initramfs with anvil-worker; Debian packages are cached)"
BOOTENV=$E2E_TMP/bootenv
pxe_bootenv "$BOOTENV" || exit 1
MARKER="anvil-demo-image-$(date +%s)"
pxe_disk_image "$BOOTENV/disk.img" "$MARKER" || exit 1
echo "  disk image to install: 32 MiB raw (MBR + ext4), served as $PXE_HTTP/bootenv/disk.img.zst"

say "starting the stack in network namespace(s)"
pxe_net_up || exit 1
pxe_stack_up "$BOOTENV" || exit 1
pxe_manifests | K apply -f - || exit 1
cat >"$E2E_TMP/kubectl" <<EOF
#!/bin/sh
exec ip netns exec $PXE_NS kubectl --kubeconfig $KUBECONFIG "\$@"
EOF
chmod +x "$E2E_TMP/kubectl"
echo "  namespace $PXE_NS: anvil-apiserver 127.0.0.1:6443, anvil-controller (gateway $PXE_SRV_IP:$PXE_GW_PORT),"
echo "  anvil-boot (ProxyDHCP on br0, HTTP $PXE_HTTP); site DHCP + IPv6 RAs from dnsmasq in $PXE_NS_R"

MAC=52:54:00:de:00:01
say "booting a blank VM ($fw, TCG, MAC $MAC, no Hardware object) from the network"
echo "  console: $E2E_TMP/demo.console"
scenario demo "$MAC" "$fw" pxe-install "discovery-${MAC//:/-}"

say "what the cluster knows"
K get hw,wf -o wide
echo
K get wf "enrollment-${MAC//:/-}" -o jsonpath='{range .status.tasks[*].actions[*]}{.name}{"\t"}{.state}{"\t"}{.executionDuration}{"\t"}{.message}{"\n"}{end}'
echo
say "the VM's disk, read on this host"
dd if="$E2E_TMP/demo.disk" of="$E2E_TMP/demo.part" bs=1M skip=1 status=none
printf '  /etc/provisioned-by: '
debugfs -R "cat /etc/provisioned-by" "$E2E_TMP/demo.part" 2>/dev/null
rm -f "$E2E_TMP/demo.part"

say "the stack stays up until Ctrl-C"
cat <<EOF
  kubeconfig:  $KUBECONFIG   (the API server listens inside namespace $PXE_NS)
  kubectl:     sudo $E2E_TMP/kubectl get hw,wf
               sudo $E2E_TMP/kubectl get hw discovery-${MAC//:/-} -o yaml
  logs:        $E2E_TMP/{apiserver,controller,boot,dnsmasq}.log, console $E2E_TMP/demo.console
  boot again:  the machine's disk is $E2E_TMP/demo.disk (the Workflow is done, so a new boot idles)
EOF
[ "$E2E_FAILED" = 0 ] || echo "  NOTE: $E2E_FAILED check(s) failed above; the logs are kept"
trap 'echo; echo "stopping"; exit 0' INT TERM
while :; do sleep 1; done
