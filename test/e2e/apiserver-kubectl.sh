#!/usr/bin/env bash
# The real kubectl against anvil-apiserver: every command of issue 2's list.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }

# --- CRDs
check "apply -f crds/" K apply -f "$E2E_TOP/crds/"
check "wait --for condition=established" K wait --for condition=established --timeout=20s \
    crd/hardware.tinkerbell.org crd/templates.tinkerbell.org crd/workflows.tinkerbell.org \
    crd/workflowrulesets.tinkerbell.org crd/machines.bmc.tinkerbell.org \
    crd/jobs.bmc.tinkerbell.org crd/tasks.bmc.tinkerbell.org
expect_match "get crd lists the seven CRDs" "workflows.tinkerbell.org" K get crd

# --- resources written as a Tinkerbell operator writes them
cat >"$E2E_TMP/hw.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: sm01
  namespace: default
  labels:
    rack: r1
spec:
  disks:
  - device: /dev/sda
  interfaces:
  - dhcp:
      arch: x86_64
      hostname: sm01
      ip:
        address: 192.168.2.11
        gateway: 192.168.2.1
        netmask: 255.255.255.0
      lease_time: 86400
      mac: 3c:ec:ef:4c:4f:54
      name_servers:
      - 1.1.1.1
      uefi: true
    netboot:
      allowPXE: true
      allowWorkflow: true
  metadata:
    instance:
      hostname: sm01
      id: 3c:ec:ef:4c:4f:54
YAML
cat >"$E2E_TMP/tpl.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata:
  name: ubuntu
spec:
  data: |
    version: "0.1"
    name: ubuntu
    global_timeout: 1800
    tasks:
      - name: os-installation
        worker: "{{.device_1}}"
        volumes: ["/dev:/dev"]
        actions:
          - name: stream-image
            image: quay.io/tinkerbell/actions/image2disk:latest
            timeout: 600
            environment:
              DEST_DISK: /dev/sda
              IMG_URL: http://10.1.1.11:8080/ubuntu.raw.gz
              COMPRESSED: true
YAML
cat >"$E2E_TMP/wf.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Workflow
metadata:
  name: sm01-install
spec:
  templateRef: ubuntu
  hardwareRef: sm01
  hardwareMap:
    device_1: 3c:ec:ef:4c:4f:54
YAML
check "apply Hardware" K apply -f "$E2E_TMP/hw.yaml"
check "apply Template" K apply -f "$E2E_TMP/tpl.yaml"
check "apply Workflow" K apply -f "$E2E_TMP/wf.yaml"

expect_match "get hw (short name, table)" "^sm01 " K get hw
expect_match "get hw -o wide" "^NAME" K get hw -o wide
expect_match "get hw -o yaml shows spec" "mac: 3c:ec:ef:4c:4f:54" K get hw sm01 -o yaml
expect_match "get hw -o json shows uid" '"uid": "[0-9a-f-]{36}"' K get hw sm01 -o json
expect_match "get tinkerbell (category) lists every kind" "workflow.tinkerbell.org/sm01-install" \
    K get tinkerbell -o name
expect_match "get hw -l rack=r1 selects" "^sm01 " K get hw -l rack=r1
expect_match "get hw -l rack=r2 selects nothing" "No resources found" K get hw -l rack=r2
expect_match "get hw -l 'rack in (r1,r3)'" "^sm01 " K get hw -l 'rack in (r1,r3)'
expect_match "get wf shows printer columns" "TEMPLATE.*STATE" K get wf
expect_match "get hw -A adds the namespace column" "^default +sm01" K get hw -A
expect_match "describe hw" "Name:.*sm01" K describe hw sm01

# --- watch sees ADDED, MODIFIED and DELETED
K get hw -w --output-watch-events >"$E2E_TMP/watch.out" 2>&1 &
wpid=$!
E2E_PIDS+=("$wpid")
wait_for 10 grep -q "ADDED.*sm01" "$E2E_TMP/watch.out"
K label hw sm01 stage=watched >/dev/null
cat >"$E2E_TMP/hw2.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: sm02
spec:
  interfaces:
  - dhcp:
      mac: 3c:ec:ef:4c:4f:55
YAML
K apply -f "$E2E_TMP/hw2.yaml" >/dev/null
K delete hw sm02 >/dev/null
wait_for 10 grep -q "DELETED.*sm02" "$E2E_TMP/watch.out"
expect_match "get -w saw ADDED" "ADDED +sm01" cat "$E2E_TMP/watch.out"
expect_match "get -w saw MODIFIED" "MODIFIED +sm01" cat "$E2E_TMP/watch.out"
expect_match "get -w saw DELETED" "DELETED +sm02" cat "$E2E_TMP/watch.out"
kill "$wpid" 2>/dev/null

# --- edit, patch, label, annotate
cat >"$E2E_TMP/editor.sh" <<'SH'
#!/bin/sh
sed -i 's/hostname: sm01$/hostname: sm01-edited/' "$1"
SH
chmod +x "$E2E_TMP/editor.sh"
check "edit via KUBE_EDITOR" env KUBE_EDITOR="$E2E_TMP/editor.sh" kubectl edit hw sm01
expect_match "edit applied" "sm01-edited" K get hw sm01 -o jsonpath='{.spec.interfaces[0].dhcp.hostname}'
gen_before=$(K get hw sm01 -o jsonpath='{.metadata.generation}')
check "patch --type merge" K patch hw sm01 --type merge -p '{"spec":{"userData":"#cloud-config"}}'
expect_match "merge patch applied" "#cloud-config" K get hw sm01 -o jsonpath='{.spec.userData}'
check "patch --type json" K patch hw sm01 --type json \
    -p '[{"op":"replace","path":"/spec/interfaces/0/dhcp/lease_time","value":3600}]'
expect_match "json patch applied" "^3600$" K get hw sm01 -o jsonpath='{.spec.interfaces[0].dhcp.lease_time}'
gen_after=$(K get hw sm01 -o jsonpath='{.metadata.generation}')
if [ "$gen_after" -gt "$gen_before" ]; then ok "spec patches bump generation ($gen_before -> $gen_after)"; else not_ok "generation did not move ($gen_before -> $gen_after)"; fi
expect_match "strategic merge patch is refused with 415" "not supported|415|UnsupportedMediaType" \
    K patch hw sm01 -p '{"spec":{"userData":"x"}}'
check "label" K label hw sm01 env=lab
check "annotate" K annotate hw sm01 owner=ops
expect_match "label stored" "^lab$" K get hw sm01 -o jsonpath='{.metadata.labels.env}'
expect_match "annotation stored" "^ops$" K get hw sm01 -o jsonpath='{.metadata.annotations.owner}'
gen_meta=$(K get hw sm01 -o jsonpath='{.metadata.generation}')
[ "$gen_meta" = "$gen_after" ] && ok "metadata-only changes keep generation" || not_ok "label moved generation $gen_after -> $gen_meta"

# --- apply again: unchanged, no new generation
K apply -f "$E2E_TMP/tpl.yaml" >/dev/null
gen1=$(K get tpl ubuntu -o jsonpath='{.metadata.generation}')
rv1=$(K get tpl ubuntu -o jsonpath='{.metadata.resourceVersion}')
expect_match "second apply is unchanged" "unchanged" K apply -f "$E2E_TMP/tpl.yaml"
gen2=$(K get tpl ubuntu -o jsonpath='{.metadata.generation}')
rv2=$(K get tpl ubuntu -o jsonpath='{.metadata.resourceVersion}')
[ "$gen1" = "$gen2" ] && [ "$rv1" = "$rv2" ] && ok "second apply keeps generation and resourceVersion" ||
    not_ok "second apply moved generation $gen1->$gen2 rv $rv1->$rv2"

# --- server-side apply
cat >"$E2E_TMP/ssa.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: ssa01
spec:
  interfaces:
  - dhcp:
      mac: 3c:ec:ef:00:00:01
YAML
expect_match "apply --server-side creates" "serverside-applied" K apply --server-side -f "$E2E_TMP/ssa.yaml"
sed -i 's/3c:ec:ef:00:00:01/3c:ec:ef:00:00:02/' "$E2E_TMP/ssa.yaml"
expect_match "apply --server-side updates" "serverside-applied" K apply --server-side -f "$E2E_TMP/ssa.yaml"
expect_match "server-side apply result" "3c:ec:ef:00:00:02" K get hw ssa01 -o jsonpath='{.spec.interfaces[0].dhcp.mac}'

# --- finalizers
K patch hw ssa01 --type merge -p '{"metadata":{"finalizers":["anvil.dev/test"]}}' >/dev/null
K delete hw ssa01 --wait=false >/dev/null
expect_match "delete with a finalizer leaves the object with deletionTimestamp" "^20" \
    K get hw ssa01 -o jsonpath='{.metadata.deletionTimestamp}'
expect_match "no new finalizers while deleting" "Forbidden|forbidden" \
    K patch hw ssa01 --type merge -p '{"metadata":{"finalizers":["anvil.dev/test","other"]}}'
check "removing the finalizer" K patch hw ssa01 --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
expect_match "object gone once the finalizer is removed" "NotFound|not found" K get hw ssa01

# --- delete
check "delete wf" K delete wf sm01-install
expect_match "deleted wf is gone" "not found" K get wf sm01-install

# --- status subresource rules
check "patch --subresource status" K patch hw sm01 --subresource status --type merge -p '{"status":{"state":"Ready"}}'
expect_match "status written through /status" "^Ready$" K get hw sm01 -o jsonpath='{.status.state}'
K patch hw sm01 --type merge -p '{"status":{"state":"Error"}}' >/dev/null 2>&1
expect_match "status ignored on the main resource" "^Ready$" K get hw sm01 -o jsonpath='{.status.state}'

# --- namespaces, secrets, configmaps
cat >"$E2E_TMP/lab.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: lab
---
apiVersion: v1
kind: Secret
metadata:
  name: bmc
  namespace: lab
stringData:
  username: admin
  password: pw
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  namespace: lab
data:
  mode: auto-proxy
YAML
check "apply namespace, secret, configmap" K apply -f "$E2E_TMP/lab.yaml"
expect_match "secret stringData stored as base64 data" "^YWRtaW4=$" K -n lab get secret bmc -o jsonpath='{.data.username}'
expect_match "configmap stored" "^auto-proxy$" K -n lab get configmap flags -o jsonpath='{.data.mode}'
if [ "$APISERVER_UPSTREAM" = 1 ]; then
    expect_match "kubectl create generators (protobuf bodies) work" "created" \
        K create configmap viaproto --from-literal=a=b
else
    expect_match "protobuf bodies (kubectl create generators) get 415" "UnsupportedMediaType|unknown format" \
        K create configmap viaproto --from-literal=a=b
fi
check "apply hw into lab" K -n lab apply -f "$E2E_TMP/hw2.yaml"
check "delete namespace" K delete namespace lab --wait=false
# kube-apiserver leaves the contents to the namespace controller: asynchronous.
wait_for 60 sh -c "kubectl -n lab get hw 2>&1 | grep -q 'No resources found'"
expect_match "namespace contents are gone" "No resources found" K -n lab get hw

# --- the kustomize tree (anvil-apiserver serves the namespace and CRDs part;
# the whole tree needs RBAC and apps/v1: test/e2e/upstream-rbac.sh)
if [ "$APISERVER_UPSTREAM" = 1 ]; then
    check "apply -k manifests/" K apply -k "$E2E_TOP/manifests/"
else
    check "apply -k manifests/base/" K apply -k "$E2E_TOP/manifests/base/"
fi
expect_match "manifests create the anvil-system namespace" "^anvil-system " K get ns anvil-system

# Plain HTTP: the client's FIN ends its watch (apiserver-tls.sh: TLS close_notify).
[ "$APISERVER_UPSTREAM" = 1 ] || check_watch_client_leaves "${APISERVER_TOKEN:-}"

e2e_done
