#!/usr/bin/env bash
# pkg/kube against a real anvil-apiserver, through the kube-client driver:
# CRUD on a Hardware, the errno mapping of conflicts, missing and invalid
# objects, paging, a watch that survives SIGKILL of the server without
# missing or repeating an event, -ESTALE for a compacted revision, TLS with
# CA data and a token (plus insecure, tls-server-name and an exec plugin),
# and one-line errors for bad kubeconfigs. On the upstream tier everything but
# the SIGKILL and compaction parts (anvil-apiserver's) runs against
# kube-apiserver.
. "$(dirname "$0")/lib.bash"
ANVIL_E2E_BIN=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}
KC=$ANVIL_E2E_BIN/kube-client
[ -x "$KC" ] || skip_all "no kube-client driver in $ANVIL_E2E_BIN (make build/cc/e2e/kube-client)"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"

HW=tinkerbell.org/v1alpha1/hardware

# hw NAME [METADATA-EXTRA] [SPEC-BODY]: a Hardware as JSON.
hw() {
    printf '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"%s"%s},"spec":{%s}}' \
        "$1" "${2:-}" "${3:-}"
}

# field JSON-PATH: reads JSON on stdin, prints the value at a.b.c.
field() {
    python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1"
}

# fails DESC REGEX command...: ok when the command fails and stderr matches.
fails() {
    local desc=$1 re=$2; shift 2
    local out
    if out=$("$@" 2>&1); then
        not_ok "$desc (it succeeded)"
        echo "$out" | sed 's/^/#   /' | head -5
    elif echo "$out" | grep -Eq -- "$re"; then
        ok "$desc"
    else
        not_ok "$desc (wanted /$re/)"
        echo "$out" | sed 's/^/#   /' | head -5
    fi
}

install_crds() {
    kubectl apply -f "$E2E_TOP/crds/" >/dev/null &&
        kubectl wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org >/dev/null
}

stop_apiserver() {
    kill "$APISERVER_PID" 2>/dev/null
    wait "$APISERVER_PID" 2>/dev/null
    unset APISERVER_DATA
}

# ------------------------------------------------------------------ CRUD
APISERVER_DATA=$E2E_TMP/plain
start_apiserver || exit 1
install_crds || { not_ok "CRDs installed"; e2e_done; exit 1; }

out=$("$KC" create $HW default "$(hw h1)" 2>&1)
rv1=$(echo "$out" | field metadata.resourceVersion)
[ -n "$rv1" ] && ok "create returns the stored object (rv $rv1)" || { not_ok "create"; echo "# $out"; }
expect_match "get returns the object" '"name":"h1"' "$KC" get $HW default h1
out=$("$KC" update $HW default "$(hw h1 ",\"resourceVersion\":\"$rv1\"" '"agentID":"a1"')" 2>&1)
rv2=$(echo "$out" | field metadata.resourceVersion)
[ -n "$rv2" ] && [ "$rv2" != "$rv1" ] && [ "$(echo "$out" | field spec.agentID)" = a1 ] &&
    ok "update with the current resourceVersion" || { not_ok "update"; echo "# $out"; }
fails "update with a stale resourceVersion is a Conflict (-ECANCELED)" \
    '^error: ECANCELED http=409 reason=Conflict' \
    "$KC" update $HW default "$(hw h1 ",\"resourceVersion\":\"$rv1\"")"
fails "create twice is AlreadyExists (-EEXIST)" '^error: EEXIST http=409 reason=AlreadyExists' \
    "$KC" create $HW default "$(hw h1)"
fails "a missing object is NotFound (-ENOENT)" '^error: ENOENT http=404 reason=NotFound' \
    "$KC" get $HW default nope
fails "a schema violation is Invalid (-EINVAL)" '^error: EINVAL http=422 reason=Invalid' \
    "$KC" create $HW default "$(hw bad '' '"interfaces":[{"dhcp":{"mac":"not-a-mac"}}]')"
fails "Invalid carries its causes" 'cause: field=spec.interfaces\[0\]\.dhcp\.mac' \
    "$KC" create $HW default "$(hw bad '' '"interfaces":[{"dhcp":{"mac":"not-a-mac"}}]')"
fails "a namespaced resource needs a namespace" '^error: EINVAL http=0' "$KC" get $HW - h1
expect_match "merge patch" '"agentID":"merged"' \
    "$KC" patch $HW default h1 merge '{"spec":{"agentID":"merged"}}'
expect_match "JSON patch" '"labels":\{"role":"worker"\}' \
    "$KC" patch $HW default h1 json '[{"op":"add","path":"/metadata/labels","value":{"role":"worker"}}]'
expect_match "server-side apply" '"agentID":"applied"' \
    "$KC" patch $HW default h1 apply "$(hw h1 '' '"agentID":"applied"')"
expect_match "merge patch of /status" '"status":\{"state":"Ready"\}' \
    "$KC" patch $HW default h1 merge '{"status":{"state":"Ready"}}' --status
cur=$("$KC" get $HW default h1 | field metadata.resourceVersion)
expect_match "update of /status" '"state":"Error"' \
    "$KC" update-status $HW default "$(hw h1 ",\"resourceVersion\":\"$cur\"" | sed 's/}$/,"status":{"state":"Error"}}/')"
expect_match "status changes leave the spec alone" '"agentID":"applied"' "$KC" get $HW default h1
fails "delete with a stale precondition is a Conflict" '^error: ECANCELED http=409' \
    "$KC" delete $HW default h1 --rv "$rv1"
expect_match "delete" '"status":"Success"' "$KC" delete $HW default h1
fails "deleted means NotFound" '^error: ENOENT http=404' "$KC" get $HW default h1
expect_match "cluster-scoped resources and the core group" '^rv=[0-9]+ continue= items=[1-9]' \
    "$KC" list cluster:v1/namespaces -
expect_match "requests are counted" '^requests=1 2xx=1 throttled=0$' "$KC" stats

# ------------------------------------------------------------------ paging
for i in 1 2 3 4 5 6 7; do "$KC" create $HW default "$(hw "p$i")" >/dev/null; done
page1=$("$KC" list $HW default --limit 3)
tok1=$(echo "$page1" | head -1 | sed -n 's/.* continue=\([^ ]*\) .*/\1/p')
[ "$(echo "$page1" | head -1 | sed 's/.*items=//')" = 3 ] && [ -n "$tok1" ] &&
    ok "limit 3 gives 3 items and a continue token" || { not_ok "first page"; echo "$page1" | sed 's/^/#   /'; }
page2=$("$KC" list $HW default --limit 3 --continue "$tok1")
tok2=$(echo "$page2" | head -1 | sed -n 's/.* continue=\([^ ]*\) .*/\1/p')
page3=$("$KC" list $HW default --limit 3 --continue "$tok2")
names=$( (echo "$page1"; echo "$page2"; echo "$page3") | grep -v '^rv=' | sort | tr '\n' ' ')
[ "$names" = "p1 p2 p3 p4 p5 p6 p7 " ] && echo "$page3" | head -1 | grep -q 'continue= items=1' &&
    ok "three pages hold every object once" || { not_ok "paging: $names"; echo "$page3" | sed 's/^/#   /'; }
expect_match "list_all follows the tokens" '^rv=[0-9]+ continue= items=7$' "$KC" list-all $HW default --page 2
expect_match "label selectors are sent" '^rv=[0-9]+ continue= items=0$' "$KC" list $HW default --selector 'role in (db)'

if [ "$APISERVER_UPSTREAM" = 1 ]; then
    echo "# skip (upstream tier): watch across SIGKILL and compaction need anvil-apiserver's restart and --compaction-* flags"
else
    # ------------------------------------------------------------------ watch across SIGKILL
    rv=$("$KC" list $HW default | head -1 | sed 's/rv=\([0-9]*\).*/\1/')
    "$KC" watch $HW default --rv "$rv" --reconnect --count 10 --timeout 60 \
        >"$E2E_TMP/watch.out" 2>"$E2E_TMP/watch.err" &
    WATCH_PID=$!
    E2E_PIDS+=("$WATCH_PID")
    for i in 1 2 3 4 5; do "$KC" create $HW default "$(hw "w$i")" >/dev/null; done
    wait_for 20 sh -c "[ \$(grep -c '^ADDED' '$E2E_TMP/watch.out') -ge 5 ]" &&
        ok "the watch delivers live events" || not_ok "the watch delivered $(wc -l <"$E2E_TMP/watch.out") events"
    kill -9 "$APISERVER_PID"
    wait "$APISERVER_PID" 2>/dev/null
    # Written while the watcher is still reconnecting: it must get them by replay.
    start_apiserver_again || { not_ok "anvil-apiserver restarts"; e2e_done; exit 1; }
    for i in 6 7 8 9 10; do "$KC" create $HW default "$(hw "w$i")" >/dev/null; done
    wait_for 30 sh -c "! kill -0 $WATCH_PID 2>/dev/null"
    wait "$WATCH_PID" 2>/dev/null
    watch_rc=$?
    got=$(awk '{print $1, $2}' "$E2E_TMP/watch.out" | sort | tr '\n' ' ')
    want=$(for i in 1 2 3 4 5 6 7 8 9 10; do echo "ADDED w$i"; done | sort | tr '\n' ' ')
    [ "$watch_rc" = 0 ] && [ "$got" = "$want" ] &&
        ok "after SIGKILL and restart the watch resumed: 10 events, none missing, none twice" ||
        { not_ok "watch across restart (rc $watch_rc): $got"; sed 's/^/#   /' "$E2E_TMP/watch.err" | tail -5; }
    grep -q "resuming from rv=" "$E2E_TMP/watch.err" &&
        ok "the watch reconnected from its last resourceVersion" || not_ok "no reconnect seen"
    rvs=$(awk '{print $3}' "$E2E_TMP/watch.out")
    [ "$rvs" = "$(echo "$rvs" | sort -n)" ] && ok "events arrive in resourceVersion order" ||
        not_ok "events out of order: $(echo $rvs)"
    stop_apiserver

    # ------------------------------------------------------------------ compaction: -ESTALE
    APISERVER_DATA=$E2E_TMP/compact
    start_apiserver --compaction-retain 5 --compaction-window 1 --compaction-interval 1 || exit 1
    install_crds || not_ok "CRDs installed (compaction server)"
    old=$("$KC" create $HW default "$(hw c1)" | field metadata.resourceVersion)
    for i in $(seq 1 20); do
        "$KC" patch $HW default c1 merge "{\"spec\":{\"agentID\":\"$i\"}}" >/dev/null
    done
    wait_for 15 sh -c "curl -s $APISERVER_URL/metrics | awk '/^anvil_apiserver_compacted_revision / { exit !(\$2 > $old) }'" ||
        not_ok "the server compacted past $old"
    out=$("$KC" watch $HW default --rv "$old" --timeout 10 2>&1)
    rc=$?
    [ "$rc" = 3 ] && echo "$out" | grep -q '^ESTALE .*code=410 reason=Expired' &&
        ok "a watch from a compacted revision ends with -ESTALE (410 Expired)" ||
        { not_ok "compacted watch: rc $rc"; echo "$out" | sed 's/^/#   /' | head -5; }
    fails "an exact list at a compacted revision is -ESTALE" '^error: ESTALE http=410 reason=Expired' \
        "$KC" list $HW default --rv "$old" --match Exact
    stop_apiserver
fi

# ------------------------------------------------------------------ TLS and tokens
echo "e2e-token-123,admin,uid-1" >"$E2E_TMP/tokens"
APISERVER_DATA=$E2E_TMP/tls
start_apiserver --tls-generate --token-file "$E2E_TMP/tokens" || exit 1
TLS_KC=$KUBECONFIG
TLS_TOKEN=e2e-token-123
[ "$APISERVER_UPSTREAM" = 1 ] && TLS_TOKEN=$(kubectl config view --raw --minify -o jsonpath='{.users[0].user.token}')
expect_match "the kubeconfig has CA data and a token" '^server=https://127\.0\.0\.1:[0-9]+ namespace=default source=.* token=yes ca=yes$' \
    "$KC" config
install_crds || not_ok "CRDs installed (TLS server)"
expect_match "create over TLS with CA data and a bearer token" '"name":"t1"' "$KC" create $HW default "$(hw t1)"
expect_match "get over TLS" '"name":"t1"' "$KC" get $HW default t1

sed 's/token: .*/token: "wrong-token"/' "$TLS_KC" >"$E2E_TMP/kc-badtoken"
fails "a wrong token is Unauthorized (-EACCES)" '^error: EACCES http=401' \
    "$KC" --kubeconfig "$E2E_TMP/kc-badtoken" get $HW default t1
grep -v certificate-authority-data "$TLS_KC" >"$E2E_TMP/kc-noca"
fails "without the CA the server certificate is refused" '^error: EIO http=0 .*(certificate|SSL)' \
    "$KC" --kubeconfig "$E2E_TMP/kc-noca" get $HW default t1
sed 's/^\(    server: .*\)$/\1\n    insecure-skip-tls-verify: true/' "$E2E_TMP/kc-noca" >"$E2E_TMP/kc-insecure"
expect_match "insecure-skip-tls-verify" '"name":"t1"' "$KC" --kubeconfig "$E2E_TMP/kc-insecure" get $HW default t1
sed 's/^\(    server: .*\)$/\1\n    tls-server-name: localhost/' "$TLS_KC" >"$E2E_TMP/kc-sni"
expect_match "tls-server-name verifies another name of the certificate" '"name":"t1"' \
    "$KC" --kubeconfig "$E2E_TMP/kc-sni" get $HW default t1
sed 's/^\(    server: .*\)$/\1\n    tls-server-name: not-in-the-cert.example/' "$TLS_KC" >"$E2E_TMP/kc-badsni"
fails "a tls-server-name the certificate lacks is refused" '^error: EIO http=0' \
    "$KC" --kubeconfig "$E2E_TMP/kc-badsni" get $HW default t1

cat >"$E2E_TMP/token-plugin" <<'EOF'
#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$1"
EOF
chmod +x "$E2E_TMP/token-plugin"
TLS_CLUSTER=$(kubectl --kubeconfig "$TLS_KC" config view --minify -o jsonpath='{.clusters[0].name}')
sed -e '/^users:/,$d' "$TLS_KC" >"$E2E_TMP/kc-exec"
cat >>"$E2E_TMP/kc-exec" <<EOF
users:
- name: anvil
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./token-plugin
      args: [$TLS_TOKEN]
      interactiveMode: Never
contexts:
- name: anvil
  context: {cluster: $TLS_CLUSTER, user: anvil, namespace: default}
current-context: anvil
EOF
expect_match "an exec credential plugin supplies the token" '"name":"t1"' \
    "$KC" --kubeconfig "$E2E_TMP/kc-exec" get $HW default t1
stop_apiserver

# ------------------------------------------------------------------ bad kubeconfigs
cert=$(sed -n 's/.*certificate-authority-data: *//p' "$TLS_KC")
printf 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {client-certificate-data: %s, client-key-data: "not*base64"}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n' \
    "$cert" >"$E2E_TMP/kc-bad"
out=$("$KC" --kubeconfig "$E2E_TMP/kc-bad" config 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "$E2E_TMP/kc-bad: users[0].user.client-key-data: invalid base64" ] &&
    ok "a bad kubeconfig gives one line naming the file and the field" ||
    { not_ok "bad kubeconfig (rc $rc)"; echo "$out" | sed 's/^/#   /'; }
printf 'clusters:\n  - name: [\n' >"$E2E_TMP/kc-syntax"
out=$("$KC" --kubeconfig "$E2E_TMP/kc-syntax" config 2>&1)
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "^$E2E_TMP/kc-syntax: line [0-9]* column [0-9]*: " &&
    ok "a YAML syntax error gives one line with its position" || { not_ok "syntax error"; echo "# $out"; }
out=$("$KC" --kubeconfig "$E2E_TMP/absent" config 2>&1)
[ "$out" = "$E2E_TMP/absent: No such file or directory" ] && ok "a missing kubeconfig is named" ||
    { not_ok "missing kubeconfig"; echo "# $out"; }
fails "a context that does not exist is named" 'contexts: no context named "nope"' \
    "$KC" --kubeconfig "$TLS_KC" --context nope config

e2e_done
