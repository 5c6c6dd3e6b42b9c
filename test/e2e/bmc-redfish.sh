#!/usr/bin/env bash
# The BMC reconciler against a Redfish emulator written by someone else:
# OpenStack sushy-tools' sushy-emulator with its fake driver, over HTTPS with
# a self-signed certificate and Basic auth (hack/sushy.sh installs it).
# Onboarding two fake nodes into two Hardware with the emulator's MACs and
# outOfBand inventory; a netboot Job (power off, one-time PXE, power on)
# checked on the emulator; PowerCycle (which the emulator refuses with 501)
# through its fallback; a Workflow with bootMode netboot driving the same
# Job; refresh-inventory; a wrong password; unreachable BMCs with bounded
# retries and no hang.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"
EMU=$("$E2E_TOP/hack/sushy.sh" 2>"$E2E_TMP/sushy-install.log") ||
    skip_all "sushy-tools could not be installed (hack/sushy.sh: $(tail -1 "$E2E_TMP/sushy-install.log"))"
PY=$(dirname "$EMU")/python
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }
K apply -f "$E2E_TOP/crds/" >/dev/null
K wait --for condition=established --timeout=20s -f "$E2E_TOP/crds/" >/dev/null

# --- the emulator: two fake systems, HTTPS with a throwaway certificate, Basic auth
EMU_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$E2E_TMP/emu.key" -out "$E2E_TMP/emu.crt" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
"$PY" -c 'import bcrypt,sys; print("admin:" + bcrypt.hashpw(b"password", bcrypt.gensalt(4)).decode())' \
    >"$E2E_TMP/htpasswd"
cat >"$E2E_TMP/emu.conf" <<EOF
SUSHY_EMULATOR_FAKE_DRIVER = True
SUSHY_EMULATOR_AUTH_FILE = '$E2E_TMP/htpasswd'
SUSHY_EMULATOR_STATE_DIR = '$E2E_TMP/emu-state'
SUSHY_EMULATOR_FAKE_SYSTEMS = [
  {'uuid': '0b3d0c2e-0000-4000-8000-000000000001', 'name': 'node-1', 'power_state': 'On',
   'nics': [{'mac': '52:54:00:AA:01:01'}, {'mac': '52:54:00:aa:01:02'}]},
  {'uuid': '0b3d0c2e-0000-4000-8000-000000000002', 'name': 'node-2', 'power_state': 'Off',
   'nics': [{'mac': '52:54:00:bb:02:01'}]},
]
EOF
"$EMU" --config "$E2E_TMP/emu.conf" -i 127.0.0.1 -p "$EMU_PORT" \
    --ssl-certificate "$E2E_TMP/emu.crt" --ssl-key "$E2E_TMP/emu.key" >"$E2E_TMP/emu.log" 2>&1 &
E2E_PIDS+=($!)
EMU_URL=https://127.0.0.1:$EMU_PORT
wait_for 30 curl -skf -u admin:password "$EMU_URL/redfish/v1/Systems" >/dev/null ||
    { not_ok "sushy-emulator did not start"; tail -20 "$E2E_TMP/emu.log" | sed 's/^/#   /'; e2e_done; exit 1; }
ok "sushy-emulator serves two fake systems over HTTPS with Basic auth"
emu_sys() { curl -skfL -u admin:password "$EMU_URL/redfish/v1/Systems/$1"; }
emu_field() { emu_sys "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

CTL_PORT=$(free_port)
"$ANVIL_BIN/anvil-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$CTL_PORT" \
    --gateway-listen off --leader-elect=false --bmc-poll-interval 2 --bmc-connect-timeout 1500 \
    >>"$E2E_TMP/controller.log" 2>&1 &
CTL_PID=$!
E2E_PIDS+=("$CTL_PID")
wait_for 30 curl -sf "http://127.0.0.1:$CTL_PORT/readyz" >/dev/null &&
    ok "anvil-controller ready with the bmc.tinkerbell.org informers" ||
    { not_ok "controller never ready"; tail -20 "$E2E_TMP/controller.log"; }

machine() { # machine NAME SYSTEM SECRET [HOST PORT]
    cat <<EOF
apiVersion: bmc.tinkerbell.org/v1alpha1
kind: Machine
metadata:
  name: $1
spec:
  connection:
    host: ${4:-127.0.0.1}
    insecureTLS: true
    authSecretRef: {name: $3, namespace: default}
    providerOptions:
      redfish: {port: ${5:-$EMU_PORT}, systemName: $2}
EOF
}
secret() { # secret NAME PASSWORD
    printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\ntype: kubernetes.io/basic-auth\nstringData: {username: admin, password: %s}\n' "$1" "$2"
}
{ secret bmc-creds password; echo ---; secret bad-creds wrong; } | K apply -f - >/dev/null ||
    not_ok "Secrets not created"
{ machine node-1 node-1 bmc-creds; echo ---; machine node-2 node-2 bmc-creds; } | K apply -f - >/dev/null

# --- onboarding: two Hardware with the emulator's MACs, power state, inventory
contactable() { K get machine "$1" -o jsonpath='{.status.conditions[?(@.type=="Contactable")].status}'; }
wait_for 30 sh -c "[ \"\$(kubectl get machine node-1 -o jsonpath='{.status.conditions[0].status}')\" = True ] &&
    [ \"\$(kubectl get machine node-2 -o jsonpath='{.status.conditions[0].status}')\" = True ]"
expect_match "Machine node-1 Contactable True" "^True$" contactable node-1
expect_match "powerState node-1 on, node-2 off (as the emulator says)" "^on off$" \
    sh -c 'echo $(kubectl get machine node-1 -o jsonpath="{.status.powerState}") $(kubectl get machine node-2 -o jsonpath="{.status.powerState}")'
wait_for 30 kubectl get hardware node-1 node-2 >/dev/null 2>&1
expect_match "onboarding created Hardware node-1 with the emulator's two MACs" \
    "^52:54:00:aa:01:01 52:54:00:aa:01:02$" K get hardware node-1 -o jsonpath='{.spec.interfaces[0].dhcp.mac} {.spec.interfaces[1].dhcp.mac}'
expect_match "and Hardware node-2 with its one MAC" "^52:54:00:bb:02:01$" \
    K get hardware node-2 -o jsonpath='{.spec.interfaces[*].dhcp.mac}'
expect_match "the Hardware points at its Machine (bmcRef)" "^Machine node-1$" \
    K get hardware node-1 -o jsonpath='{.spec.bmcRef.kind} {.spec.bmcRef.name}'
wait_for 20 sh -c "kubectl get hardware node-1 -o jsonpath='{.status.attributes.outOfBand.collectionMethod}' | grep -q redfish"
expect_match "outOfBand inventory: redfish, vendor, both NIC ports" "^redfish Sushy Emulator 52:54:00:aa:01:01 52:54:00:aa:01:02$" \
    K get hardware node-1 -o jsonpath='{.status.attributes.outOfBand.collectionMethod} {.status.attributes.outOfBand.product.vendor} {.status.attributes.outOfBand.networkInterfaces[*].ports[0].mac}'
expect_match "an Onboarded Event on the Machine" "Onboarded" K get events --field-selector involvedObject.name=node-1 -o jsonpath='{.items[*].reason}'

# --- a netboot Job: power off, one-time PXE, power on, verified on the emulator
cat <<'EOF' | K apply -f - >/dev/null
apiVersion: bmc.tinkerbell.org/v1alpha1
kind: Job
metadata:
  name: node-1-netboot
spec:
  machineRef: {name: node-1, namespace: default}
  tasks:
  - powerAction: "off"
  - bootDevice: {device: pxe, efiBoot: true}
  - powerAction: "on"
EOF
job_done() { K get job.bmc.tinkerbell.org "$1" -o jsonpath='{.status.conditions[?(@.type=="Completed")].status}{.status.conditions[?(@.type=="Failed")].status}'; }
wait_for 90 sh -c "kubectl get job.bmc.tinkerbell.org node-1-netboot -o jsonpath='{.status.conditions[?(@.type==\"Completed\")].status}{.status.conditions[?(@.type==\"Failed\")].status}' | grep -q True"
expect_match "the netboot Job completed" "^True$" K get job.bmc.tinkerbell.org node-1-netboot -o jsonpath='{.status.conditions[?(@.type=="Completed")].status}'
expect_match "its three Tasks ran in order, labelled owner-name" "^node-1-netboot-task-0 node-1-netboot-task-1 node-1-netboot-task-2$" \
    K get task.bmc.tinkerbell.org -l owner-name=node-1-netboot -o jsonpath='{.items[*].metadata.name}'
expect_match "task 0 verified the power-off by polling" "power off: power state off" \
    K get task.bmc.tinkerbell.org node-1-netboot-task-0 -o jsonpath='{.status.conditions[0].message}'
expect_match "the emulator shows PXE as the boot target, UEFI" "^Pxe UEFI$" \
    emu_field node-1 'd["Boot"]["BootSourceOverrideTarget"], d["Boot"]["BootSourceOverrideMode"]' 
expect_match "and the node powered on again" "^On$" emu_field node-1 'd["PowerState"]'
expect_match "Job startTime and completionTime set" "^20.*Z 20.*Z$" \
    K get job.bmc.tinkerbell.org node-1-netboot -o jsonpath='{.status.startTime} {.status.completionTime}'

# --- cycle: the emulator answers PowerCycle with 501; ForceRestart is the fallback
cat <<'EOF' | K apply -f - >/dev/null
apiVersion: bmc.tinkerbell.org/v1alpha1
kind: Job
metadata:
  name: node-1-cycle
spec:
  machineRef: {name: node-1, namespace: default}
  tasks:
  - powerAction: cycle
EOF
wait_for 60 sh -c "kubectl get job.bmc.tinkerbell.org node-1-cycle -o jsonpath='{.status.conditions[?(@.type==\"Completed\")].status}{.status.conditions[?(@.type==\"Failed\")].status}' | grep -q True"
expect_match "powerAction cycle completes despite PowerCycle 501" "^True$" \
    K get job.bmc.tinkerbell.org node-1-cycle -o jsonpath='{.status.conditions[?(@.type=="Completed")].status}'

# --- a Workflow with bootMode netboot creates the Job as upstream does
cat <<'EOF' | K apply -f - >/dev/null
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata:
  name: noop
spec:
  data: |
    version: "0.1"
    name: noop
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.device_1}}"
        actions:
          - name: hello
            image: hello
            timeout: 60
---
apiVersion: tinkerbell.org/v1alpha1
kind: Workflow
metadata:
  name: wf-netboot
spec:
  templateRef: noop
  hardwareRef: node-2
  hardwareMap: {device_1: "52:54:00:bb:02:01"}
  bootOptions: {bootMode: netboot}
EOF
wait_for 90 sh -c "[ \"\$(kubectl get wf wf-netboot -o jsonpath='{.status.state}')\" = PENDING ]"
expect_match "bootMode netboot: Job netboot-wf-netboot completed and the Workflow is PENDING" "^PENDING True$" \
    sh -c 'echo $(kubectl get wf wf-netboot -o jsonpath="{.status.state}") $(kubectl get job.bmc.tinkerbell.org netboot-wf-netboot -o jsonpath="{.status.conditions[?(@.type==\"Completed\")].status}")'
expect_match "the Job is owned by the Workflow and targets node-2's Machine" "^Workflow wf-netboot node-2$" \
    K get job.bmc.tinkerbell.org netboot-wf-netboot -o jsonpath='{.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.spec.machineRef.name}'
expect_match "node-2 was powered on with PXE set" "^On Pxe$" emu_field node-2 'd["PowerState"], d["Boot"]["BootSourceOverrideTarget"]'

# --- refresh-inventory annotation: a new scrape, and the annotation is removed
before=$(K get hardware node-2 -o jsonpath='{.status.attributes.outOfBand.lastUpdated}')
sleep 1.1
K annotate machine node-2 tinkerbell.org/refresh-inventory=true >/dev/null
wait_for 20 sh -c "[ \"\$(kubectl get hardware node-2 -o jsonpath='{.status.attributes.outOfBand.lastUpdated}')\" != '$before' ]" &&
    ok "refresh-inventory forced a new outOfBand scrape" || not_ok "refresh-inventory did nothing"
wait_for 10 sh -c "! kubectl get machine node-2 -o jsonpath='{.metadata.annotations}' | grep -q refresh-inventory" &&
    ok "and the annotation was removed" || not_ok "annotation still there"

# --- wrong password: Contactable False with a clear message
machine bad-pass node-1 bad-creds | K apply -f - >/dev/null
wait_for 20 sh -c "[ \"\$(kubectl get machine bad-pass -o jsonpath='{.status.conditions[0].status}')\" = False ]"
expect_match "wrong password: Contactable False" "^False$" contactable bad-pass
expect_match "with a message naming 401 and the credentials" "401 Unauthorized: check the username and password" \
    K get machine bad-pass -o jsonpath='{.status.conditions[0].message}'
expect_match "and no Hardware onboarded for it" "NotFound" K get hardware bad-pass

# --- TLS: a self-signed BMC without insecureTLS fails clearly; its CA pinned in the Secret works
{
    printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: pinned-creds}\nstringData:\n  username: admin\n  password: password\n  ca.crt: |\n'
    sed 's/^/    /' "$E2E_TMP/emu.crt"
} | K apply -f - >/dev/null
{ machine untrusted node-1 bmc-creds; echo ---; machine pinned node-1 pinned-creds; } |
    sed 's/insecureTLS: true/insecureTLS: false/' | K apply -f - >/dev/null
wait_for 20 sh -c "[ -n \"\$(kubectl get machine untrusted -o jsonpath='{.status.conditions[0].status}')\" ] &&
    [ -n \"\$(kubectl get machine pinned -o jsonpath='{.status.conditions[0].status}')\" ]"
expect_match "self-signed certificate without insecureTLS: Contactable False, says TLS" "^False .*TLS failed" \
    K get machine untrusted -o jsonpath='{.status.conditions[0].status} {.status.conditions[0].message}'
expect_match "the BMC's CA pinned through ca.crt in the Secret: Contactable True" "^True$" contactable pinned

# --- unreachable BMCs: bounded retries, no hang, the rest keeps working
DEAD_PORT=$(free_port)
machine refused node-1 bmc-creds 127.0.0.1 "$DEAD_PORT" | K apply -f - >/dev/null
machine blackhole node-1 bmc-creds 192.0.2.1 443 | K apply -f - >/dev/null
start=$SECONDS
wait_for 30 sh -c "[ \"\$(kubectl get machine refused -o jsonpath='{.status.conditions[0].status}')\" = False ] &&
    [ \"\$(kubectl get machine blackhole -o jsonpath='{.status.conditions[0].status}')\" = False ]"
took=$((SECONDS - start))
expect_match "closed port: Contactable False, connection refused" "connection refused" \
    K get machine refused -o jsonpath='{.status.conditions[0].message}'
expect_match "unroutable address: Contactable False (timed out or unreachable)" "timed out|unreachable|refused" \
    K get machine blackhole -o jsonpath='{.status.conditions[0].message}'
[ $took -le 20 ] && ok "both reported within ${took}s (connect timeout 1.5 s, 3 attempts)" ||
    not_ok "unreachable BMCs took ${took}s"
cat <<'EOF' | K apply -f - >/dev/null
apiVersion: bmc.tinkerbell.org/v1alpha1
kind: Job
metadata:
  name: node-2-off
spec:
  machineRef: {name: node-2, namespace: default}
  tasks:
  - powerAction: "off"
EOF
wait_for 60 sh -c "kubectl get job.bmc.tinkerbell.org node-2-off -o jsonpath='{.status.conditions[?(@.type==\"Completed\")].status}' | grep -q True" &&
    ok "a Job on a healthy Machine still completes while two BMCs are unreachable" ||
    not_ok "the healthy Job stalled"
expect_match "the controller counts unreachable BMCs in /metrics" "anvil_bmc_unreachable_total [1-9]" \
    curl -s "http://127.0.0.1:$CTL_PORT/metrics"
check "the controller is still healthy" curl -sf "http://127.0.0.1:$CTL_PORT/healthz"
kill -TERM "$CTL_PID"
wait_for 15 sh -c "! kill -0 $CTL_PID" && ok "SIGTERM stops the controller promptly" || not_ok "controller hung on SIGTERM"
wait "$CTL_PID" 2>/dev/null
rc=$?
! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$E2E_TMP/controller.log" && [ $rc = 0 ] &&
    ok "clean exit 0 (no sanitizer report)" ||
    { not_ok "controller exit $rc or sanitizer report"; grep -E -A5 'Sanitizer|runtime error' "$E2E_TMP/controller.log" | head -30 | sed 's/^/#   /'; }
e2e_done
