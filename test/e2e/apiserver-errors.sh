#!/usr/bin/env bash
# Bad input gets a Kubernetes Status with the right code, and nothing
# acknowledged is lost when the server is killed mid-burst.
. "$(dirname "$0")/lib.bash"
start_apiserver --compaction-retain 5 --compaction-window 1 --compaction-interval 1 || exit 1
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
kubectl apply -f "$E2E_TOP/crds/" >/dev/null
kubectl wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org >/dev/null

HW=/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware
JSON=(-H 'Content-Type: application/json')

# is_status REASON: stdin is a Status with that reason ("": any; parsed:
# kube-apiserver indents JSON for curl's User-Agent, anvil-apiserver does not).
is_status() {
    python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("kind") == "Status" and sys.argv[1] in ("", d.get("reason")) else 1)' "$1" 2>/dev/null
}

# status_is DESC CODE REASON METHOD PATH [curl args]. With PLAIN_404=1, the
# upstream tier also accepts kube-apiserver's plain-text "404 page not found"
# for paths no API group serves (anvil-apiserver answers a Status there).
status_is() {
    local desc=$1 code=$2 reason=$3; shift 3
    local out
    out=$(api "$@")
    local got=${out%%$'\n'*} body=${out#*$'\n'}
    if [ "$got" = "$code" ] && echo "$body" | is_status "$reason"; then
        ok "$desc ($code $reason)"
    elif [ "${PLAIN_404:-0}" = 1 ] && [ "$APISERVER_UPSTREAM" = 1 ] && [ "$got" = 404 ] &&
        [ "$body" = "404 page not found" ]; then
        ok "$desc (404, kube-apiserver's plain-text body)"
    else
        not_ok "$desc: wanted $code $reason, got $got"
        echo "$body" | head -5 | sed 's/^/#   /'
    fi
    LAST_BODY=$body
}

status_is "malformed JSON" 400 BadRequest POST "$HW" "${JSON[@]}" -d '{"apiVersion": '
status_is "malformed YAML" 400 BadRequest POST "$HW" -H 'Content-Type: application/yaml' \
    --data-binary $'metadata:\n  name: [x\n'
status_is "schema violation (bad MAC pattern)" 422 Invalid POST "$HW" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"bad"},"spec":{"interfaces":[{"dhcp":{"mac":"not-a-mac"}}]}}'
echo "$LAST_BODY" | grep -q 'spec.interfaces\[0\].dhcp.mac' && ok "422 names the field" ||
    { not_ok "422 does not name the field"; echo "# $LAST_BODY"; }
status_is "wrong type" 422 Invalid POST "$HW" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"bad2"},"spec":{"interfaces":[{"dhcp":{"lease_time":"long"}}]}}'
status_is "strict field validation" 400 BadRequest POST "$HW?fieldValidation=Strict" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"bad3"},"spec":{"noSuchField":1}}'
PLAIN_404=1 status_is "unknown resource" 404 NotFound GET /apis/tinkerbell.org/v1alpha1/namespaces/default/gadgets
PLAIN_404=1 status_is "unknown group" 404 NotFound GET /apis/example.com/v1/widgets
status_is "missing object" 404 NotFound GET "$HW/nope"
status_is "missing namespace" 404 NotFound POST /apis/tinkerbell.org/v1alpha1/namespaces/nowhere/hardware \
    "${JSON[@]}" -d '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"x"}}'

api POST "$HW" "${JSON[@]}" -d '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"h1"},"spec":{}}' >/dev/null
status_is "create twice" 409 AlreadyExists POST "$HW" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"h1"},"spec":{}}'
status_is "update with a stale resourceVersion" 409 Conflict PUT "$HW/h1" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"h1","resourceVersion":"1"},"spec":{}}'
status_is "update without resourceVersion" 422 Invalid PUT "$HW/h1" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"h1"},"spec":{}}'
status_is "strategic merge patch on a custom resource" 415 UnsupportedMediaType PATCH "$HW/h1" \
    -H 'Content-Type: application/strategic-merge-patch+json' -d '{"spec":{}}'
status_is "bad label selector" 400 BadRequest GET "$HW?labelSelector=a%20in%20(" 
status_is "unsupported field selector" 400 BadRequest GET "$HW?fieldSelector=spec.agentID%3Dx"
# Found by running this suite against kube-apiserver (docs/fidelity.md): the
# same answers from both servers.
H1_UID=$(api GET "$HW/h1" | tail -n +2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["uid"])')
H1_RV=$(api GET "$HW/h1" | tail -n +2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
[ -n "$H1_UID" ] && [ "$H1_UID" != 00000000-0000-0000-0000-000000000000 ] || not_ok "h1 has a uid"
status_is "create with a resourceVersion (kube-apiserver: bare 500)" 500 "" POST "$HW" "${JSON[@]}" -d \
    '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"rv1","resourceVersion":"5"},"spec":{}}'
status_is "update naming another uid (precondition)" 409 Conflict PUT "$HW/h1" "${JSON[@]}" -d \
    "{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\",\"metadata\":{\"name\":\"h1\",\"uid\":\"00000000-0000-0000-0000-000000000000\",\"resourceVersion\":\"$H1_RV\"},\"spec\":{}}"
status_is "Secret data that is not base64" 400 BadRequest POST /api/v1/namespaces/default/secrets "${JSON[@]}" -d \
    '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bad-b64"},"data":{"k":"!!!"}}'
status_is "ConfigMap key with a space" 422 Invalid POST /api/v1/namespaces/default/configmaps "${JSON[@]}" -d \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad-key"},"data":{"bad key":"v"}}'
status_is "Event about an object in another namespace" 422 Invalid POST /api/v1/namespaces/default/events "${JSON[@]}" -d \
    '{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1"},"involvedObject":{"kind":"Hardware","namespace":"other","name":"h1"},"reason":"R","message":"m","type":"Normal"}'
status_is "Lease with a negative duration" 422 Invalid POST /apis/coordination.k8s.io/v1/namespaces/default/leases "${JSON[@]}" -d \
    '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l1"},"spec":{"leaseDurationSeconds":-1}}'
head -c 3200000 /dev/zero | tr '\0' 'a' >"$E2E_TMP/big.json"
status_is "body over 3 MiB" 413 RequestEntityTooLarge POST "$HW" "${JSON[@]}" --data-binary @"$E2E_TMP/big.json"
status_is "future resourceVersion" 504 Timeout GET "$HW?resourceVersion=99999999&resourceVersionMatch=NotOlderThan"

if [ "$APISERVER_UPSTREAM" = 1 ]; then
    # Compaction (--compaction-* flags) and SIGKILL-restart persistence are anvil-apiserver's.
    echo "# skip (upstream tier): compaction window and SIGKILL restart are anvil-apiserver specific"
    e2e_done
    exit
fi

# --- 410 for a compacted revision: write enough to pass the retention, then
# watch from the first revision.
for i in $(seq 1 20); do
    api PATCH "$HW/h1" -H 'Content-Type: application/merge-patch+json' -d "{\"spec\":{\"userData\":\"$i\"}}" >/dev/null
done
wait_for 10 sh -c "curl -s $APISERVER_URL/metrics | grep -Eq '^anvil_apiserver_compacted_revision [1-9]'"
out=$(curl -s --max-time 5 "$APISERVER_URL$HW?watch=true&resourceVersion=2")
echo "$out" | grep -q '"type":"ERROR".*"code":410' && ok "watch from a compacted revision gets ERROR 410 Expired" ||
    { not_ok "no 410 for a compacted watch"; echo "# $out" | head -3; }
status_is "exact list at a compacted revision" 410 Expired GET "$HW?resourceVersion=2&resourceVersionMatch=Exact"

# --- SIGKILL in the middle of a write burst
python3 - "$APISERVER_URL" "$E2E_TMP/acked" "$E2E_TMP/tried" <<'PY' &
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
acked = open(sys.argv[2], "w", buffering=1)
tried = open(sys.argv[3], "w", buffering=1)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
for i in range(100000):
    name = "burst-%06d" % i
    body = json.dumps({"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Hardware",
                       "metadata": {"name": name}, "spec": {"interfaces": [{"dhcp": {"mac": "02:00:00:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255)}}]}})
    tried.write(name + "\n")
    try:
        conn.request("POST", "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware", body,
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
    except Exception:
        break
    if r.status == 201:
        acked.write(name + "\n")
PY
burst=$!
wait_for 20 sh -c "[ \$(wc -l < $E2E_TMP/acked 2>/dev/null || echo 0) -ge 300 ]"
kill -9 "$APISERVER_PID"
wait "$burst" 2>/dev/null
n_acked=$(wc -l <"$E2E_TMP/acked")
start_apiserver_again || { not_ok "restart after SIGKILL"; e2e_done; exit 1; }
ok "restarted on the same data dir after SIGKILL ($n_acked writes acknowledged)"
kubectl get hw -o name | sed 's|.*/||' | grep '^burst-' | sort >"$E2E_TMP/present"
sort "$E2E_TMP/acked" >"$E2E_TMP/acked.s"
missing=$(comm -23 "$E2E_TMP/acked.s" "$E2E_TMP/present" | wc -l)
extra=$(comm -13 "$E2E_TMP/acked.s" "$E2E_TMP/present")
[ "$missing" = 0 ] && ok "every acknowledged write survived" || not_ok "$missing acknowledged writes lost"
bad_extra=$(echo "$extra" | grep -v '^$' | while read -r n; do grep -qx "$n" "$E2E_TMP/tried" || echo "$n"; done)
n_extra=$(echo "$extra" | grep -c .)
if [ -z "$bad_extra" ] && [ "$n_extra" -le 1 ]; then
    ok "nothing else: $n_extra in-flight write committed without its answer"
else
    not_ok "unexpected objects after restart: $(echo "$extra" | head -3)"
fi
e2e_done
