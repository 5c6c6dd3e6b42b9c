#!/usr/bin/env bash
# anvil-boot HTTP and syslog in network namespaces: the per-Hardware iPXE
# script carries upstream's kernel arguments, unknown MACs get 404 (the
# static script in auto-proxy), iPXE binaries by [<mac>/]<name>,
# boot-environment files with Range and HEAD, the metadata tree by source
# IP (and X-Forwarded-For from a trusted proxy only), syslog lines re-logged
# with the sender's Hardware, health, metrics and one-line flag errors.
. "$(dirname "$0")/boot-lib.bash"
boot_require curl kubectl python3
[ -d /usr/lib/ipxe ] || skip_all "Debian's ipxe package is not installed (/usr/lib/ipxe)"
boot_ns_up || { not_ok "namespaces"; e2e_done; exit 1; }
boot_apiserver || exit 1
ip -n "$NS_C" addr add "$BOOT_CLI_IP/16" dev bc
URL=http://$BOOT_SRV_IP:7080

# --- flags: one clear line and exit 2
out=$("$ANVIL_BIN/anvil-boot" --dhcp-mode sideways 2>&1); rc=$?
[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q -- --dhcp-mode &&
    ok "bad --dhcp-mode: exit 2 naming the flag" || not_ok "bad flag (rc=$rc): $out"
out=$(in_srv "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip "$BOOT_SRV_IP" --ipxe-dir /nonexistent 2>&1); rc=$?
[ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q -- --ipxe-dir &&
    ok "missing --ipxe-dir: exit 1 with one line" || not_ok "missing ipxe dir (rc=$rc): $out"

cat >"$E2E_TMP/hw.yaml" <<YAML
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata: {name: web1, namespace: default}
spec:
  agentID: agent-web1
  userData: "#cloud-config\nhostname: web1\n"
  interfaces:
  - dhcp:
      mac: "$BOOT_CLI_MAC"
      arch: x86_64
      hostname: web1
      vlan_id: "42"
      ip: {address: $BOOT_CLI_IP, netmask: 255.255.0.0, gateway: 10.77.0.1}
    netboot:
      allowPXE: true
      osie: {kernelParams: [quiet]}
  metadata:
    facility: {facility_code: lab1, plan_slug: c3.small}
    instance:
      id: i-web1
      hostname: web1.example
      tags: [blue, green]
---
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata: {name: denied, namespace: default}
spec:
  interfaces:
  - dhcp: {mac: "02:00:00:00:00:20", ip: {address: 10.77.0.20, netmask: 255.255.0.0}}
    netboot: {allowPXE: false}
---
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata: {name: chain, namespace: default}
spec:
  interfaces:
  - dhcp: {mac: "02:00:00:00:00:21", ip: {address: 10.77.0.21, netmask: 255.255.0.0}}
    netboot: {allowPXE: true, ipxe: {url: "http://10.77.0.1:9999/custom.ipxe"}}
YAML
in_srv kubectl apply -f "$E2E_TMP/hw.yaml" >/dev/null
mkdir -p "$E2E_TMP/bootenv"
head -c 300000 /dev/urandom >"$E2E_TMP/bootenv/vmlinuz-x86_64"
head -c 1000 /dev/urandom >"$E2E_TMP/bootenv/initramfs-x86_64"
boot_start --dhcp-enabled=false --bootenv-dir "$E2E_TMP/bootenv" --gateway-addr 10.77.0.1:42113 \
    --extra-kernel-args "console=ttyS0 anvil.debug=1" --trusted-proxies 10.77.0.2/32 || exit 1
wait_for 10 sh -c "ip netns exec $NS_C curl -sf $URL/ipxe/script/$BOOT_CLI_MAC/auto.ipxe >/dev/null"

code() { in_cli curl -s -o /dev/null -w '%{http_code}' "$@"; }
script=$(in_cli curl -sf "$URL/ipxe/script/$BOOT_CLI_MAC/auto.ipxe")
line=$(echo "$script" | grep '^kernel ')
for arg in "worker_id=agent-web1" "hw_addr=$BOOT_CLI_MAC" "grpc_authority=10.77.0.1:42113" \
    "syslog_host=10.77.0.1" "facility=lab1" "vlan_id=42" "tinkerbell_tls=false" "console=ttyS0" \
    "anvil.debug=1" "quiet"; do
    case " $line " in *" $arg "*) ok "script kernel line has $arg" ;; *) not_ok "script lacks $arg: $line" ;; esac
done
echo "$script" | grep -q "set download-url http://10.77.0.1:7080/bootenv" &&
    ok "script fetches from anvil-boot's /bootenv by default" || not_ok "download-url: $(echo "$script" | grep download-url)"
[ "$(in_cli curl -sf "$URL/ipxe/script/auto.ipxe" | grep -c "worker_id=agent-web1")" = 1 ] &&
    ok "script without a MAC found by client address" || not_ok "script by client IP"
in_cli curl -sf "$URL/ipxe/script/02:00:00:00:00:21/auto.ipxe" | grep -q 'chain --autofree http://10.77.0.1:9999/custom.ipxe' &&
    ok "netboot.ipxe.url gives a chain script" || not_ok "chain script"
[ "$(code "$URL/ipxe/script/02:00:00:00:00:20/auto.ipxe")" = 404 ] && ok "allowPXE false: 404" || not_ok "allowPXE false not 404"
[ "$(code "$URL/ipxe/script/02:00:00:00:00:99/auto.ipxe")" = 404 ] && ok "unknown MAC: 404 outside auto-proxy" || not_ok "unknown MAC not 404"
[ "$(code "$URL/ipxe/script/$BOOT_CLI_MAC/other.ipxe")" = 404 ] && ok "script name other than auto.ipxe: 404" || not_ok "other.ipxe"

# --- binaries and boot-environment files
in_cli curl -sf -o "$E2E_TMP/b" "$URL/ipxe/binary/$BOOT_CLI_MAC/ipxe.efi" && cmp -s "$E2E_TMP/b" /boot/ipxe.efi &&
    ok "HTTP binary <mac>/ipxe.efi (Debian symlink followed)" || not_ok "HTTP ipxe.efi"
in_cli curl -sf -o "$E2E_TMP/b" "$URL/ipxe/binary/snp-x86_64.efi" && cmp -s "$E2E_TMP/b" /usr/lib/ipxe/snponly.efi &&
    ok "HTTP binary snp-x86_64.efi is snponly.efi" || not_ok "HTTP snp-x86_64.efi"
[ "$(code "$URL/ipxe/binary/snp-arm64.efi")" = 404 ] && ok "no arm64 binary in Debian: 404" || not_ok "snp-arm64.efi"
# Traversal: refused (403) or normalised away by the HTTP parser (404); never served.
for path in /ipxe/binary/../../etc/passwd /ipxe/binary/..%2f..%2fetc%2fpasswd /ipxe/binary/a/..%2F..%2F..%2Fetc/passwd \
    /bootenv/../hw.yaml /bootenv/..%2fhw.yaml /bootenv/.hidden /bootenv/%2e%2e; do
    c=$(code --path-as-is "$URL$path")
    case "$c" in 403|404) ok "traversal $path: $c" ;; *) not_ok "traversal $path: $c" ;; esac
done
in_cli curl -sf -r 1000-1999 -o "$E2E_TMP/part" "$URL/bootenv/vmlinuz-x86_64" &&
    cmp -s "$E2E_TMP/part" <(tail -c +1001 "$E2E_TMP/bootenv/vmlinuz-x86_64" | head -c 1000) &&
    ok "bootenv Range 1000-1999 served exactly" || not_ok "bootenv Range"
[ "$(code -r 400000- "$URL/bootenv/vmlinuz-x86_64")" = 416 ] && ok "unsatisfiable Range: 416" || not_ok "416"
expect_match "HEAD gives the length and no body" '^200 0 300000' \
    in_cli curl -sI -o /dev/null -w '%{http_code} %{size_download} %header{content-length}' "$URL/bootenv/vmlinuz-x86_64"
in_cli curl -sf -o "$E2E_TMP/whole" "$URL/bootenv/vmlinuz-x86_64" && cmp -s "$E2E_TMP/whole" "$E2E_TMP/bootenv/vmlinuz-x86_64" &&
    ok "bootenv whole file" || not_ok "bootenv whole file"

# --- metadata by source IP
expect_match "metadata hostname by source IP" '^web1\.example$' in_cli curl -sf "$URL/2009-04-04/meta-data/hostname"
expect_match "metadata instance-id" '^i-web1$' in_cli curl -sf "$URL/2009-04-04/meta-data/instance-id"
expect_match "metadata facility" '^lab1$' in_cli curl -sf "$URL/2009-04-04/meta-data/facility"
expect_match "user-data" '^hostname: web1$' in_cli curl -sf "$URL/2009-04-04/user-data"
[ "$(in_srv curl -s -o /dev/null -w '%{http_code}' "$URL/2009-04-04/meta-data/hostname")" = 404 ] &&
    ok "metadata from an address with no Hardware: 404" || not_ok "metadata for unknown source"
expect_match "X-Forwarded-For from a trusted proxy selects the Hardware" '^i-web1$' \
    in_cli curl -sf -H "X-Forwarded-For: 10.77.0.2" "$URL/2009-04-04/meta-data/instance-id"
[ "$(in_srv curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: 10.77.0.2" "$URL/2009-04-04/meta-data/instance-id")" = 404 ] &&
    ok "X-Forwarded-For from an untrusted peer is ignored" || not_ok "untrusted XFF believed"

# --- syslog: each line re-logged with the Hardware of its source address
in_cli python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"<30>Nov 21 07:00:00 web1 worker[12]: hello from the boot environment", ("10.77.0.1", 514)); s.sendto(b"<14>1 2026-11-21T07:00:00Z web1 agent 7 ID1 - structured hello", ("10.77.0.1", 514)); s.sendto(b"no priority", ("10.77.0.1", 514))'
wait_for 5 grep -q 'structured hello' "$E2E_TMP/boot.log"
expect_match "RFC 3164 line re-logged with its Hardware" 'msg="syslog message".*hardware=default/web1.*text="hello from the boot environment"' \
    grep 'hello from the boot' "$E2E_TMP/boot.log"
expect_match "RFC 5424 line re-logged" 'hardware=default/web1 format=rfc5424.*app=agent' grep 'structured hello' "$E2E_TMP/boot.log"
[ "$(boot_metric anvil_boot_syslog_messages_total)" = 2 ] && [ "$(boot_metric anvil_boot_syslog_malformed_total)" = 1 ] &&
    ok "syslog lines and malformed datagrams counted" || not_ok "syslog counters"
boot_stop

# --- auto-proxy: unknown machines get the static script; JSON logs; tokens
printf 'a-shared-key-of-32-bytes-for-tok\n' >"$E2E_TMP/agent.key"
boot_start --dhcp-enabled=false --dhcp-mode auto-proxy --log-format json --agent-key-file "$E2E_TMP/agent.key" || exit 1
# token_of SCRIPT: the agent ID and expiry the anvil_token= of the kernel line names.
token_of() {
    python3 -c '
import base64, re, sys
m = re.search(r"anvil_token=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)", sys.stdin.read())
p = m.group(1) + "=" * (-len(m.group(1)) % 4)
print(base64.urlsafe_b64decode(p).decode())'
}
tok=$(in_cli curl -sf "$URL/ipxe/script/$BOOT_CLI_MAC/auto.ipxe" | grep '^kernel ' | token_of 2>&1)
expect_match "--agent-key-file: the script carries anvil_token= for spec.agentID" '^agent-web1\.[0-9]{10}$' echo "$tok"
s=$(in_cli curl -sf "$URL/ipxe/script/02:00:00:00:00:99/auto.ipxe")
echo "$s" | grep -q 'worker_id=${mac}' && echo "$s" | grep -q '^#!ipxe' &&
    ok "auto-proxy: unknown MAC gets the static script with worker_id=\${mac}" || not_ok "static script: $s"
grep '"static iPXE script served"' "$E2E_TMP/boot.log" | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); assert d["mac"]=="02:00:00:00:00:99" and d["peer"]=="10.77.0.2", d' &&
    ok "the static script is logged with the MAC and the peer" || not_ok "static script log line"
tok=$(echo "$s" | grep '^kernel ' | token_of 2>&1)
expect_match "static script token is for the MAC in the path" '^02:00:00:00:00:99\.[0-9]{10}$' echo "$tok"
in_cli curl -sf "$URL/ipxe/script/$BOOT_CLI_MAC/auto.ipxe" | grep -q 'worker_id=agent-web1' &&
    ok "auto-proxy: known MAC still gets its own script" || not_ok "auto-proxy known MAC"
in_cli python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"<30>json please", ("10.77.0.1", 514))'
wait_for 5 grep -q 'json please' "$E2E_TMP/boot.log"
grep 'json please' "$E2E_TMP/boot.log" | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); assert d["hardware"]=="default/web1" and d["text"]=="json please", d' &&
    ok "--log-format json: the syslog line is one JSON object with the Hardware" || not_ok "JSON syslog line"
check "healthz" in_srv curl -sf "$URL/healthz"
check "readyz" in_srv curl -sf "$URL/readyz"
expect_match "metrics expose the HTTP routes" 'anvil_boot_http_requests_total\{route="ipxe_script"\} [1-9]' in_srv curl -sf "$URL/metrics"
boot_stop
[ "$BOOT_RC" = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM exit $BOOT_RC"
e2e_done
