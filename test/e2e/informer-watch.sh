#!/usr/bin/env bash
# The informer against anvil-apiserver as real processes: (a) creates,
# updates and deletes reach the handlers and the MAC index follows them;
# (b) the server is SIGKILLed and restarted on the same data dir while
# objects keep changing: the informer resumes, its store ends equal to the
# server's list, and no update is delivered twice for one resourceVersion.
# The upstream tier runs (a) only.
. "$(dirname "$0")/lib.bash"
ANVIL_E2E_BIN=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}
[ -x "$ANVIL_E2E_BIN/informer-watch" ] || skip_all "no $ANVIL_E2E_BIN/informer-watch (make e2e-drivers)"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
start_apiserver || exit 1
kubectl apply -f "$E2E_TOP/crds/" >/dev/null
kubectl wait --for condition=established --timeout=20s crd/hardware.tinkerbell.org >/dev/null

HW=/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware
OUT=$E2E_TMP/informer.out

hw_json() { # name mac
    printf '{"apiVersion":"tinkerbell.org/v1alpha1","kind":"Hardware","metadata":{"name":"%s"},"spec":{"interfaces":[{"dhcp":{"mac":"%s"}}]}}' "$1" "$2"
}
create() { api POST "$HW" -H 'Content-Type: application/json' -d "$(hw_json "$1" "$2")" | head -1; }
patch() { api PATCH "$HW/$1" -H 'Content-Type: application/merge-patch+json' -d "$2" | head -1; }
delete() { api DELETE "$HW/$1" | head -1; }

# The server's list as "ITEM <ns>/<name> <rv>" lines, sorted by key.
server_items() {
    api GET /apis/tinkerbell.org/v1alpha1/hardware | tail -n +2 | python3 -c '
import json, sys
d = json.load(sys.stdin)
keys = sorted("%s/%s %s" % (i["metadata"]["namespace"], i["metadata"]["name"],
              i["metadata"]["resourceVersion"]) for i in d["items"])
for k in keys: print("ITEM " + k)'
}

# A tag that is new even inside $(...) subshells.
new_tag() { echo "$1$(date +%s%N)$RANDOM"; }
# dump: asks the driver for its store; prints the ITEM lines.
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
mac_lookup() { # MAC -> keys
    local tag
    tag=$(new_tag m)
    echo "mac $tag $1" >&3
    wait_for 10 grep -q "^MAC $tag" "$OUT" && grep "^MAC $tag" "$OUT" | cut -d' ' -f3-
}
store_equals_server() { [ "$(dump)" = "$(server_items)" ]; }

for i in 1 2 3; do create "pre-$i" "02:00:00:00:00:0$i" >/dev/null; done

mkfifo "$E2E_TMP/ctl"
"$ANVIL_E2E_BIN/informer-watch" --kubeconfig "$KUBECONFIG" <"$E2E_TMP/ctl" >"$OUT" 2>"$E2E_TMP/informer.err" &
DRIVER=$!
E2E_PIDS+=("$DRIVER")
exec 3>"$E2E_TMP/ctl"

wait_for 20 grep -q '^SYNCED ' "$OUT" && ok "informer synced" || not_ok "informer did not sync"
[ "$(grep -c '^ADD default/pre-' "$OUT")" = 3 ] && ok "initial list delivered as three adds" ||
    { not_ok "initial adds"; sed 's/^/#   /' "$OUT"; }

# --- (a) creates, updates and deletes reach the handlers
[ "$(create a1 aa:bb:cc:00:00:01)" = 201 ] || not_ok "create a1"
create a2 02:00:00:00:00:a2 >/dev/null
wait_for 10 grep -q '^ADD default/a1 ' "$OUT" && ok "create reaches on_add" || not_ok "no ADD for a1"
[ "$(mac_lookup aa:bb:cc:00:00:01)" = default/a1 ] && ok "MAC index finds a1" ||
    not_ok "MAC index lookup of a1"
patch a1 '{"spec":{"interfaces":[{"dhcp":{"mac":"aa:bb:cc:00:00:99"}}]}}' >/dev/null
wait_for 10 grep -q '^UPDATE default/a1 ' "$OUT" && ok "update reaches on_update" || not_ok "no UPDATE for a1"
[ -z "$(mac_lookup aa:bb:cc:00:00:01)" ] && [ "$(mac_lookup aa:bb:cc:00:00:99)" = default/a1 ] &&
    ok "MAC index follows the MAC change" || not_ok "MAC index after the change"
delete a2 >/dev/null
wait_for 10 grep -q '^DELETE default/a2 ' "$OUT" && ok "delete reaches on_delete" || not_ok "no DELETE for a2"
wait_for 10 store_equals_server && ok "store equals the server's list" ||
    { not_ok "store differs from the server"; diff <(dump) <(server_items) | head -10 | sed 's/^/#   /'; }

if [ "$APISERVER_UPSTREAM" = 1 ]; then
    echo "# skip (upstream tier): (b) SIGKILLs and restarts anvil-apiserver on its data dir"
    echo quit >&3
    exec 3>&-
    wait "$DRIVER" && ok "informer stopped cleanly" || not_ok "informer exit status"
    e2e_done
    exit
fi

# --- (b) SIGKILL and restart while objects change
for i in $(seq 0 9); do create "k-$i" "02:00:00:00:01:0$i" >/dev/null; done
python3 - "$APISERVER_URL" "$E2E_TMP/writer.done" "$E2E_TMP/writer.stop" <<'PY' &
import http.client, json, os, sys, time, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
ok = 0
i = 0
deadline = time.time() + 120
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    i += 1
    name = "k-%d" % (i % 10)
    try:
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        if i % 37 == 0:
            c.request("DELETE", "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware/" + name)
        elif i % 41 == 0:
            body = {"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Hardware",
                    "metadata": {"name": name}, "spec": {}}
            c.request("POST", "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware",
                      json.dumps(body), {"Content-Type": "application/json"})
        else:
            c.request("PATCH", "/apis/tinkerbell.org/v1alpha1/namespaces/default/hardware/" + name,
                      json.dumps({"spec": {"userData": str(i)}}),
                      {"Content-Type": "application/merge-patch+json"})
        if c.getresponse().status < 300:
            ok += 1
        c.close()
    except OSError:
        time.sleep(0.05)
open(sys.argv[2], "w").write("%d\n" % ok)
PY
WRITER=$!
E2E_PIDS+=("$WRITER")
n_updates() { grep -c '^UPDATE default/k-' "$OUT"; }
updates_past() { [ "$(n_updates)" -ge "$1" ]; }
for round in 1 2 3; do
    # the informer is receiving live changes; then kill the server under it
    wait_for 20 updates_past $(($(n_updates) + 20)) || not_ok "no live updates before kill $round"
    kill -9 "$APISERVER_PID"
    wait "$APISERVER_PID" 2>/dev/null
    start_apiserver_again || not_ok "restart $round"
done
wait_for 20 updates_past $(($(n_updates) + 20)) && ok "updates flow again after the last restart" ||
    not_ok "no updates after the last restart"
touch "$E2E_TMP/writer.stop"
wait "$WRITER"
[ -s "$E2E_TMP/writer.done" ] && ok "writer made $(cat "$E2E_TMP/writer.done") changes across three SIGKILLs" ||
    not_ok "writer failed"
wait_for 60 store_equals_server && ok "after three SIGKILLs the store equals the server's list" ||
    { not_ok "store differs from the server after restarts"; diff <(dump) <(server_items) | head -10 | sed 's/^/#   /'; }
dups=$(awk '$1 == "ADD" { print $2, $3 } $1 == "UPDATE" { print $2, $4 }' "$OUT" | sort | uniq -d)
[ -z "$dups" ] && ok "no object delivered twice for the same resourceVersion" ||
    { not_ok "duplicate deliveries"; echo "$dups" | head -5 | sed 's/^/#   /'; }
st=$(stats)
echo "# $st"
restarts=$(echo "$st" | sed -n 's/.* restarts=\([0-9]*\).*/\1/p')
relists=$(echo "$st" | sed -n 's/.* relists=\([0-9]*\).*/\1/p')
[ "${restarts:-0}" -ge 3 ] && ok "the watch was restarted ($restarts times)" || not_ok "watch restarts: $restarts"
# client-go resumes a broken stream from the last version; a relist only
# follows a watch that broke within a second of starting with no event.
[ "${relists:-9}" -lt 3 ] && ok "resumed from the last version ($relists relists for 3 kills)" ||
    not_ok "every kill led to a relist ($relists)"
kill -0 "$DRIVER" 2>/dev/null && ok "informer survived the restarts" || not_ok "informer died"

echo quit >&3
exec 3>&-
wait "$DRIVER" && ok "informer stopped cleanly" || not_ok "informer exit status"
grep -q 'ERROR' "$OUT" && not_ok "driver printed errors" || ok "no driver errors"
e2e_done
