#!/usr/bin/env bash
# A compacted resourceVersion forces a relist that emits deletes: the
# informer is frozen and its server stopped; on a second server over the
# same data dir (a port the informer does not know) objects are deleted and
# changed and history is compacted past the informer's version; the first
# server comes back and the informer resumes: its watch gets 410 Expired,
# it relists and delivers DELETE for every object removed meanwhile.
. "$(dirname "$0")/lib.bash"
ANVIL_E2E_BIN=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}
[ -x "$ANVIL_E2E_BIN/informer-watch" ] || skip_all "no $ANVIL_E2E_BIN/informer-watch (make e2e-drivers)"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
COMPACT=(--compaction-retain 5 --compaction-window 1 --compaction-interval 1)
e2e_upstream && skip_all "needs anvil-apiserver (it stops and restarts the server)"
start_apiserver "${COMPACT[@]}" || exit 1
kubectl apply -f "$E2E_TOP/crds/" >/dev/null
kubectl wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org >/dev/null

HW=/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware
OUT=$E2E_TMP/informer.out
JSON=(-H 'Content-Type: application/json')
MERGE=(-H 'Content-Type: application/merge-patch+json')

hw_json() { printf '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"%s"},"spec":{}}' "$1"; }
server_items() {
    api GET /apis/tinkerbell.org/v1alpha1/hardware | tail -n +2 | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sorted("%s/%s %s" % (i["metadata"]["namespace"], i["metadata"]["name"],
                i["metadata"]["resourceVersion"]) for i in d["items"]):
    print("ITEM " + k)'
}
new_tag() { echo "$1$(date +%s%N)$RANDOM"; }
dump() {
    local tag
    tag=$(new_tag d)
    echo "dump $tag" >&3
    wait_for 10 grep -q "^END $tag\$" "$OUT" || return 1
    awk -v t="$tag" '$0 == "DUMP " t { on = 1; next } $0 == "END " t { on = 0 } on' "$OUT"
}
stats() {
    local tag
    tag=$(new_tag s)
    echo "stats $tag" >&3
    wait_for 10 grep -q "^STATS $tag " "$OUT" && grep "^STATS $tag " "$OUT"
}
stat_field() { stats | sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p"; }
store_equals_server() { [ "$(dump)" = "$(server_items)" ]; }

for i in $(seq 0 9); do api POST "$HW" "${JSON[@]}" -d "$(hw_json "h$i")" >/dev/null; done

mkfifo "$E2E_TMP/ctl"
"$ANVIL_E2E_BIN/informer-watch" --kubeconfig "$KUBECONFIG" --namespace default \
    --log-level "${INFORMER_LOG_LEVEL:-info}" <"$E2E_TMP/ctl" \
    >"$OUT" 2>"$E2E_TMP/informer.err" &
DRIVER=$!
E2E_PIDS+=("$DRIVER")
exec 3>"$E2E_TMP/ctl"
wait_for 20 grep -q '^SYNCED ' "$OUT" && ok "informer synced" || not_ok "informer did not sync"
wait_for 10 store_equals_server && ok "store holds the ten objects" || not_ok "initial store"
# One live event, so the stream is not a "very short watch" when it ends.
api PATCH "$HW/h9" "${MERGE[@]}" -d '{"spec":{"userData":"live"}}' >/dev/null
wait_for 10 grep -q '^UPDATE default/h9 ' "$OUT" && ok "a live update arrives over the watch" ||
    not_ok "no live update"
informer_rv=$(stats | sed -n 's/.* rv=\([0-9]*\) .*/\1/p')

# --- the informer is frozen (SIGSTOP) and its server stops. Freezing it
# keeps the test deterministic: a reconnect racing the server's exit can
# be reset, which makes a reflector relist at once (client-go does the
# same) instead of watching from its old version later.
kill -STOP "$DRIVER"
kill -TERM "$APISERVER_PID"
wait "$APISERVER_PID" 2>/dev/null

# --- changes the informer cannot see, on another port
PORT2=$(free_port)
"$ANVIL_BIN/anvil-apiserver" --listen "127.0.0.1:$PORT2" --data-dir "$APISERVER_DATA" "${COMPACT[@]}" \
    >>"$E2E_TMP/apiserver2.log" 2>&1 &
SECOND=$!
E2E_PIDS+=("$SECOND")
URL2=http://127.0.0.1:$PORT2
wait_for 20 curl -sf "$URL2/readyz" || not_ok "second server not ready"
for i in 0 1 2 3; do curl -s -o /dev/null -X DELETE "$URL2$HW/h$i"; done
for n in $(seq 1 10); do
    curl -s -o /dev/null -X PATCH "${MERGE[@]}" -d "{\"spec\":{\"userData\":\"$n\"}}" "$URL2$HW/h9"
done
curl -s -o /dev/null -X POST "${JSON[@]}" -d "$(hw_json new1)" "$URL2$HW"
compacted_past() {
    local c
    c=$(curl -s "$URL2/metrics" | sed -n 's/^anvil_apiserver_compacted_revision \([0-9]*\).*/\1/p')
    [ "${c:-0}" -gt "$informer_rv" ]
}
wait_for 20 compacted_past && ok "history compacted past the informer's version $informer_rv" ||
    not_ok "no compaction past $informer_rv"
curl -s --max-time 5 "$URL2$HW?watch=true&resourceVersion=$informer_rv" | grep -q '"code":410' &&
    ok "a watch from the informer's version now gets 410" || not_ok "no 410 for the old version"
kill -TERM "$SECOND"
wait "$SECOND" 2>/dev/null

# --- the informer's server comes back on the same data dir; the informer
# wakes up to a broken stream, watches from its old version and gets 410
start_apiserver_again || not_ok "restart"
kill -CONT "$DRIVER"
wait_for 90 store_equals_server && ok "after the relist the store equals the server's list" ||
    { not_ok "store differs from the server"; diff <(dump) <(server_items) | head -10 | sed 's/^/#   /'; }
for i in 0 1 2 3; do
    grep -q "^DELETE default/h$i " "$OUT" && ok "DELETE delivered for h$i, removed meanwhile" ||
        not_ok "no DELETE for h$i"
done
grep -q '^ADD default/new1 ' "$OUT" && ok "ADD delivered for new1, created meanwhile" || not_ok "no ADD for new1"
[ "$(grep -c '^UPDATE default/h9 ' "$OUT")" = 2 ] && ok "ten changes to h9 arrive as one UPDATE" ||
    not_ok "UPDATE lines for h9: $(grep -c '^UPDATE default/h9 ' "$OUT")"
grep -Eq '^(UPDATE|DELETE) default/h[45678] ' "$OUT" && not_ok "unchanged objects were reported" ||
    ok "unchanged objects gave no callback"
st=$(stats)
echo "# $st"
echo "$st" | grep -Eq ' expired=[1-9]' && ok "the 410 was counted" || not_ok "no 410 counted"
echo "$st" | grep -Eq ' relists=[1-9]' && ok "a relist was counted" || not_ok "no relist counted"

echo quit >&3
exec 3>&-
wait "$DRIVER" && ok "informer stopped cleanly" || not_ok "informer exit status"
e2e_done
