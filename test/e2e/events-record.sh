#!/usr/bin/env bash
# Events recorded by pkg/events (through the test/e2e/events-record driver)
# against anvil-apiserver, read back the way an operator reads them:
# `kubectl describe` of a Hardware shows them under Events, repeats folded
# into one Event with the right count, and the spam filter capping a flood.
. "$(dirname "$0")/lib.bash"
ANVIL_E2E_BIN=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}
DRIVER=$ANVIL_E2E_BIN/events-record
[ -x "$DRIVER" ] || skip_all "no $DRIVER (make build/cc/e2e/events-record)"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }

check "apply the Hardware CRD" K apply -f "$E2E_TOP/crds/tinkerbell.org_hardware.yaml"
check "CRD established" K wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org
cat >"$E2E_TMP/hw.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: sm01
  namespace: default
spec:
  interfaces:
  - dhcp:
      mac: 3c:ec:ef:4c:4f:54
YAML
check "create Hardware sm01" K apply -f "$E2E_TMP/hw.yaml"

record() { "$DRIVER" --kubeconfig "$KUBECONFIG" --resource tinkerbell.org/v1alpha1/hardware \
    --namespace default --name sm01 "$@"; }

expect_match "five repeats: one create, four patches" \
    "recorded=5 created=1 patched=4 dropped_spam=0 dropped_full=0 failed=0 left=0" \
    record --reason WorkflowStarted --message "workflow sm01-install started" --repeat 5
expect_match "a warning: one create" "recorded=1 created=1 patched=0 .*failed=0 left=0" \
    record --type Warning --reason BootFailed --message "no DHCP offer within 60s"
expect_match "a flood of 40: 25 through the spam filter, 15 dropped" \
    "recorded=40 created=1 patched=24 dropped_spam=15 .*failed=0 left=0" \
    record --reason Flapping --message "link down" --repeat 40

describe=$(K describe hardware sm01 2>&1)
echo "$describe" | sed -n '/^Events:/,$p' | sed 's/^/#   /'
if echo "$describe" | grep -Eq "Normal +WorkflowStarted +.*\(x5 over .*\) +anvil-e2e.* +workflow sm01-install started"; then
    ok "describe shows the repeated event with x5"
else
    not_ok "describe shows the repeated event with x5"
fi
if echo "$describe" | grep -Eq "Warning +BootFailed +.*anvil-e2e.* +no DHCP offer within 60s"; then
    ok "describe shows the warning"
else
    not_ok "describe shows the warning"
fi
if echo "$describe" | grep -Eq "Normal +Flapping +.*\(x25 over .*\) +anvil-e2e.* +link down"; then
    ok "describe shows the flood capped at x25"
else
    not_ok "describe shows the flood capped at x25"
fi

# The stored objects, field by field.
events=$(api GET "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dsm01" | tail -n +2)
check_event() {
    echo "$events" | python3 -c '
import json, sys
want_reason, want_count, want_type = sys.argv[1], int(sys.argv[2]), sys.argv[3]
items = [e for e in json.load(sys.stdin)["items"] if e["reason"] == want_reason]
assert len(items) == 1, f"{len(items)} events with reason {want_reason}"
e = items[0]
io = e["involvedObject"]
assert io["kind"] == "Hardware" and io["name"] == "sm01" and io["namespace"] == "default", io
assert io["apiVersion"] == "tinkerbell.org/v1alpha1" and io["uid"] and io["resourceVersion"], io
assert e["count"] == want_count, e["count"]
assert e["type"] == want_type, e["type"]
assert e["source"]["component"] == "anvil-e2e" and e["reportingComponent"] == "anvil-e2e", e
assert e["reportingInstance"] and e["source"]["host"] == e["reportingInstance"], e
assert e["metadata"]["name"].startswith("sm01.") and len(e["metadata"]["name"]) == 5 + 16, e["metadata"]
assert e["firstTimestamp"] <= e["lastTimestamp"], e
' "$@"
}
check "stored WorkflowStarted event: fields and count 5" check_event WorkflowStarted 5 Normal
check "stored BootFailed event: fields and count 1" check_event BootFailed 1 Warning
check "stored Flapping event: count 25" check_event Flapping 25 Normal

# A missing object is a clear error, not a crash.
expect_match "missing object: one-line error" "events-record: get nope: " \
    record --name nope --reason R --message m
e2e_done
