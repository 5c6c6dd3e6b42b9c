#!/usr/bin/env bash
# manifests/ on a real kube-apiserver with RBAC enforced: `kubectl apply -k
# manifests/` is accepted; each ServiceAccount's permissions are exactly what
# its component needs (allowed and refused verbs checked one by one); then
# anvil-controller and anvil-boot run as local processes with kubeconfigs made
# from their ServiceAccounts' tokens (kubectl create token) and do their job:
# the controller leads through its Lease in anvil-system and renders a
# Workflow to PENDING with an Event, anvil-boot serves a Hardware's iPXE
# script. A 403 in either log fails the test; a ServiceAccount without the
# bindings shows that a missing permission is seen.
. "$(dirname "$0")/lib.bash"
e2e_upstream || skip_all "needs a real kube-apiserver with RBAC (make test-upstream)"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
start_apiserver || exit 1
K() { kubectl --request-timeout=20s "$@"; }
NS=anvil-system

# --- the manifests
check "apply -k manifests/" K apply -k "$E2E_TOP/manifests/"
check "CRDs established" K wait --for condition=established --timeout=30s -f "$E2E_TOP/crds/"
expect_match "anvil-controller Deployment: 2 replicas" "^2$" \
    K -n $NS get deploy anvil-controller -o jsonpath='{.spec.replicas}'
expect_match "anvil-controller elects a leader" "--leader-elect=true" \
    K -n $NS get deploy anvil-controller -o jsonpath='{.spec.template.spec.containers[0].args}'
expect_match "anvil-controller probes /healthz and /readyz on 8081" "^/healthz 8081 /readyz 8081$" \
    K -n $NS get deploy anvil-controller -o jsonpath='{.spec.template.spec.containers[0].livenessProbe.httpGet.path} {.spec.template.spec.containers[0].ports[1].containerPort} {.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].ports[1].containerPort}'
expect_match "anvil-boot: host network, only NET_BIND_SERVICE and NET_RAW" \
    '^true \["ALL"\] \["NET_BIND_SERVICE","NET_RAW"\]$' \
    K -n $NS get deploy anvil-boot -o jsonpath='{.spec.template.spec.hostNetwork} {.spec.template.spec.containers[0].securityContext.capabilities.drop} {.spec.template.spec.containers[0].securityContext.capabilities.add}'
expect_match "Services: gateway 42113, boot http 7080" "^42113 7080$" \
    sh -c "kubectl -n $NS get svc anvil-gateway -o jsonpath='{.spec.ports[0].port}'; echo -n ' '; kubectl -n $NS get svc anvil-boot -o jsonpath='{.spec.ports[0].port}'"
expect_match "server-side dry run of the whole tree passes admission" "serverside-applied|unchanged|configured" \
    K apply -k "$E2E_TOP/manifests/" --dry-run=server

# The agent key, created as docs/deploy.md says.
openssl rand -hex 32 | tr -d '\n' >"$E2E_TMP/agent-key"
check "agent-key Secret" K -n $NS create secret generic anvil-agent-key --from-file=agent-key="$E2E_TMP/agent-key"

# --- least privilege, verb by verb (the admin impersonates each ServiceAccount)
# can SA "VERB RESOURCE [flags]" yes|no
can() {
    local sa=$1 what=$2 want=$3 got
    # shellcheck disable=SC2086
    got=$(kubectl auth can-i $what --as "system:serviceaccount:$NS:$sa" 2>/dev/null)
    if [ "$got" = "$want" ]; then ok "$sa: can-i $what = $want"; else not_ok "$sa: can-i $what = '$got', want $want"; fi
}
can anvil-boot "list hardware.tinkerbell.org -A" yes
can anvil-boot "watch hardware.tinkerbell.org -A" yes
can anvil-boot "get hardware.tinkerbell.org -n default" yes
can anvil-boot "update hardware.tinkerbell.org -n default" no
can anvil-boot "list workflows.tinkerbell.org -A" no
can anvil-boot "get secrets -n $NS" no
can anvil-boot "create events -n default" no
can anvil-controller "list workflows.tinkerbell.org -A" yes
can anvil-controller "patch workflows.tinkerbell.org --subresource=status -n default" yes
can anvil-controller "update hardware.tinkerbell.org -n default" yes
can anvil-controller "delete hardware.tinkerbell.org -n default" no
can anvil-controller "list templates.tinkerbell.org -A" yes
can anvil-controller "update templates.tinkerbell.org -n default" no
can anvil-controller "create jobs.bmc.tinkerbell.org -n default" yes
can anvil-controller "create events -n default" yes
can anvil-controller "create leases.coordination.k8s.io -n $NS" yes
can anvil-controller "create leases.coordination.k8s.io -n default" no
can anvil-controller "get secrets -n $NS" yes
can anvil-controller "list secrets -n $NS" no
can anvil-controller "get secrets -n default" no
can anvil-controller "create customresourcedefinitions.apiextensions.k8s.io" no

# sa_kubeconfig SA FILE: a kubeconfig with a token of SA, as a pod would have it.
sa_kubeconfig() {
    local token ca
    token=$(K -n $NS create token "$1" --duration 1h) || return 1
    ca=$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
    cat >"$2" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$APISERVER_DIRECT_URL", certificate-authority-data: "$ca"}
users:
- name: $1
  user: {token: "$token"}
contexts:
- name: c
  context: {cluster: c, user: $1, namespace: $NS}
current-context: c
KC
}
check "token and kubeconfig for anvil-controller" sa_kubeconfig anvil-controller "$E2E_TMP/kc-controller"
check "token and kubeconfig for anvil-boot" sa_kubeconfig anvil-boot "$E2E_TMP/kc-boot"

# --- the objects a workflow needs (as the admin, in the default namespace)
cat >"$E2E_TMP/objs.yaml" <<'YAML'
apiVersion: tinkerbell.org/v1alpha1
kind: Hardware
metadata:
  name: rbac01
  namespace: default
spec:
  disks:
  - device: /dev/vda
  interfaces:
  - dhcp:
      mac: "52:54:00:aa:bb:71"
      hostname: rbac01
      ip: {address: 192.0.2.71, netmask: 255.255.255.0}
    netboot:
      allowPXE: true
      allowWorkflow: true
---
apiVersion: tinkerbell.org/v1alpha1
kind: Template
metadata:
  name: rbac-install
  namespace: default
spec:
  data: |
    version: "0.1"
    name: rbac-install
    global_timeout: 600
    tasks:
      - name: os
        worker: "{{.device_1}}"
        actions:
          - name: wipe
            image: quay.io/tinkerbell/actions/writefile:latest
            environment:
              DEST_DISK: {{ index .Hardware.Disks 0 }}
---
apiVersion: tinkerbell.org/v1alpha1
kind: Workflow
metadata:
  name: rbac-wf
  namespace: default
spec:
  templateRef: rbac-install
  hardwareRef: rbac01
  hardwareMap:
    device_1: "52:54:00:aa:bb:71"
YAML
check "Hardware, Template and Workflow applied" K apply -f "$E2E_TMP/objs.yaml"

# --- anvil-controller with its own token, flags as in manifests/controller.yaml
CTL_PORT=$(free_port)
ctl_flags=(--kubeconfig "$E2E_TMP/kc-controller" --http-listen "127.0.0.1:$CTL_PORT"
    --leader-elect=true --leader-election-namespace $NS --leader-election-id anvil-controller
    --identity rbac-e2e --log-level debug)
# The gateway flags exist once the gateway has landed in anvil-controller.
if "$ANVIL_BIN/anvil-controller" --help 2>&1 | grep -q -- --gateway-listen; then
    ctl_flags+=(--gateway-listen "127.0.0.1:$(free_port)" --agent-key-secret "$NS/anvil-agent-key")
fi
"$ANVIL_BIN/anvil-controller" "${ctl_flags[@]}" >"$E2E_TMP/controller.log" 2>&1 &
CTL_PID=$!
E2E_PIDS+=("$CTL_PID")
wait_for 30 curl -sf "http://127.0.0.1:$CTL_PORT/readyz" >/dev/null &&
    ok "anvil-controller ready with its ServiceAccount" || not_ok "anvil-controller never ready"
wait_for 30 sh -c "[ \"\$(kubectl -n $NS get lease anvil-controller -o jsonpath='{.spec.holderIdentity}')\" = rbac-e2e ]" &&
    ok "it holds the Lease $NS/anvil-controller" || not_ok "no Lease held in $NS"
wait_for 30 sh -c "[ \"\$(kubectl get wf rbac-wf -o jsonpath='{.status.state}')\" = PENDING ]"
expect_match "it renders the Workflow to PENDING" "^PENDING$" K get wf rbac-wf -o jsonpath='{.status.state}'
wait_for 15 sh -c "kubectl get events --field-selector involvedObject.name=rbac-wf -o name | grep -q ."
expect_match "it records an Event on the Workflow" "TemplateRendered" \
    K get events --field-selector involvedObject.name=rbac-wf -o jsonpath='{.items[*].reason}'

# --- anvil-boot with its own token: HTTP only, on loopback
BOOT_PORT=$(free_port)
"$ANVIL_BIN/anvil-boot" --kubeconfig "$E2E_TMP/kc-boot" --dhcp-enabled=false --tftp-enabled=false \
    --syslog-enabled=false --bind-address 127.0.0.1 --public-ip 127.0.0.1 --http-port "$BOOT_PORT" \
    --agent-key-file "$E2E_TMP/agent-key" --log-level debug >"$E2E_TMP/boot.log" 2>&1 &
BOOT_PID=$!
E2E_PIDS+=("$BOOT_PID")
wait_for 30 curl -sf "http://127.0.0.1:$BOOT_PORT/readyz" >/dev/null &&
    ok "anvil-boot ready with its ServiceAccount" || not_ok "anvil-boot never ready"
wait_for 15 curl -sf "http://127.0.0.1:$BOOT_PORT/ipxe/script/52:54:00:aa:bb:71/auto.ipxe" >/dev/null
script=$(curl -sf "http://127.0.0.1:$BOOT_PORT/ipxe/script/52:54:00:aa:bb:71/auto.ipxe")
echo "$script" | head -1 | grep -q '^#!ipxe' && echo "$script" | grep -q 'worker_id=52:54:00:aa:bb:71' &&
    ok "anvil-boot serves the Hardware's iPXE script" ||
    { not_ok "no iPXE script for rbac01"; echo "$script" | head -5 | sed 's/^/#   /'; }

# --- nothing was refused. The daemons run at debug level: a failed list is a
# warning, a failed watch a debug line (kube maps 401/403 to "Permission denied").
# A 403 as a number of its own: log timestamps carry milliseconds such as ".403Z".
DENIED='(^|[^.0-9])403([^0-9]|$)|forbidden|permission denied'
for c in controller boot; do
    if grep -Eiq "$DENIED" "$E2E_TMP/$c.log"; then
        not_ok "anvil-$c was refused something"
        grep -Ei "$DENIED" "$E2E_TMP/$c.log" | head -5 | sed 's/^/#   /'
    else
        ok "no 403 in anvil-$c's log"
    fi
done

# --- and a missing permission is seen: anvil-boot as a ServiceAccount with no bindings
K -n $NS create serviceaccount anvil-nobody >/dev/null
sa_kubeconfig anvil-nobody "$E2E_TMP/kc-nobody"
check_boot_warns_refused "$E2E_TMP/kc-nobody" 403 \
    "without the ClusterRole anvil-boot warns of the 403 at the default log level"
curl -sf "http://127.0.0.1:$REFUSED_BOOT_PORT/readyz" >/dev/null 2>&1 && not_ok "unbound anvil-boot claims ready" ||
    ok "and does not report ready"

# --- stop as the kubelet does: SIGTERM, then SIGKILL after a grace period
# (10 s here). Shutdown itself is controller.sh's subject; a daemon that
# outlives the grace period is reported, not failed, here.
for d in controller:$CTL_PID boot:$BOOT_PID; do
    pid=${d#*:}
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "# note: anvil-${d%%:*} still running 10 s after SIGTERM; SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
done
e2e_done
