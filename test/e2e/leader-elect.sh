#!/usr/bin/env bash
# Leader election between real processes (pkg/leader through the
# test/e2e/leader-elect driver) on a coordination.k8s.io/v1 Lease served by
# anvil-apiserver: exactly one of two candidates leads; after SIGKILL of the
# leader the other takes over once the Lease has been quiet for its 15 s
# duration (and within 20 s); after SIGTERM the leader releases the Lease
# and a waiting candidate takes over within about 3 s.
#
# The candidates use client-go's 15 s lease and 10 s renew deadline with a
# 1 s retry period: with the default 2 s (jittered up to 4.4 s) a takeover
# after SIGKILL can take up to 15 + 2 * 4.4 s, beyond the 20 s asked here.
. "$(dirname "$0")/lib.bash"
ANVIL_E2E_BIN=${ANVIL_E2E_BIN:-$E2E_TOP/build/cc/e2e}
DRIVER=$ANVIL_E2E_BIN/leader-elect
[ -x "$DRIVER" ] || skip_all "no $DRIVER (make build/cc/e2e/leader-elect)"
start_apiserver || exit 1

LEASE=e2e-lease
declare -A PID

start_candidate() {
    "$DRIVER" --kubeconfig "$KUBECONFIG" --namespace default --name "$LEASE" --identity "$1" \
        --lease-duration 15s --renew-deadline 10s --retry-period 1s \
        >"$E2E_TMP/$1.out" 2>"$E2E_TMP/$1.err" &
    PID[$1]=$!
    E2E_PIDS+=("$!")
}

# is_leading ID: the candidate's last transition was "leading".
is_leading() {
    [ "$(grep -E "^(leading|stopped) $1\$" "$E2E_TMP/$1.out" 2>/dev/null | tail -1)" = "leading $1" ]
}
n_leaders() {
    local n=0 id
    for id in "$@"; do is_leading "$id" && n=$((n + 1)); done
    echo "$n"
}
one_of_leads() { [ "$(n_leaders "$@")" = 1 ]; }
holder() {
    api GET "/apis/coordination.k8s.io/v1/namespaces/default/leases/$LEASE" | tail -n +2 |
        python3 -c 'import json,sys; s=json.load(sys.stdin).get("spec",{}); print(s.get("holderIdentity") or "", s.get("leaseTransitions",0), s.get("leaseDurationSeconds",0), sep="|")'
}
elapsed_since() { python3 -c "print(f'{$EPOCHREALTIME - $1:.1f}')"; }
within() { python3 -c "import sys; sys.exit(0 if $1 <= $2 else 1)"; }
at_least() { python3 -c "import sys; sys.exit(0 if $1 >= $2 else 1)"; }

# --- two candidates: exactly one leads
start_candidate a
start_candidate b
if wait_for 20 one_of_leads a b; then ok "one of two candidates leads"; else not_ok "one of two candidates leads"; fi
both=0
for _ in $(seq 50); do # watch for 5 s that the other never leads too
    [ "$(n_leaders a b)" -gt 1 ] && both=1
    sleep 0.1
done
if [ $both = 0 ] && one_of_leads a b; then ok "never two leaders over 5 s"; else not_ok "never two leaders over 5 s"; fi
if is_leading a; then leader=a other=b; else leader=b other=a; fi
IFS="|" read -r h t d < <(holder)
if [ "$h" = "$leader" ] && [ "$t" = 0 ] && [ "$d" = 15 ]; then
    ok "Lease names the leader ($h, transitions $t, duration ${d}s)"
else
    not_ok "Lease names the leader (got '$h' $t $d, want $leader 0 15)"
fi
if command -v kubectl >/dev/null; then
    expect_match "kubectl sees the holder" "^$leader\$" \
        kubectl --request-timeout=10s get lease "$LEASE" -o 'jsonpath={.spec.holderIdentity}'
fi
expect_match "the follower observed the leader" "^leader $leader\$" cat "$E2E_TMP/$other.out"

# --- SIGKILL the leader: the other leads after the Lease went quiet for 15 s
kill -KILL "${PID[$leader]}"
t0=$EPOCHREALTIME
wait "${PID[$leader]}" 2>/dev/null # reap it quietly
if wait_for 25 is_leading "$other"; then
    took=$(elapsed_since "$t0")
    if within "$took" 20; then ok "after SIGKILL the other leads within 20 s (${took}s)";
    else not_ok "after SIGKILL the other leads within 20 s (${took}s)"; fi
    # the Lease was renewed at most 1 s before the kill: no takeover before 14 s
    if at_least "$took" 13.5; then ok "the takeover waited for the Lease to expire (${took}s)";
    else not_ok "the takeover waited for the Lease to expire (only ${took}s)"; fi
else
    not_ok "after SIGKILL the other leads"
fi
IFS="|" read -r h t d < <(holder)
if [ "$h" = "$other" ] && [ "$t" = 1 ]; then ok "Lease taken over (holder $h, transitions $t)";
else not_ok "Lease taken over (got '$h' $t)"; fi

# --- SIGTERM the leader: it releases, a waiting candidate leads within ~3 s
start_candidate c
if wait_for 10 grep -q "^leader $other\$" "$E2E_TMP/c.out"; then ok "a third candidate waits";
else not_ok "a third candidate waits"; fi
if is_leading c; then not_ok "the third candidate does not lead while $other does"; else
    ok "the third candidate does not lead while $other does"; fi
kill -TERM "${PID[$other]}"
t0=$EPOCHREALTIME
if wait_for 10 is_leading c; then
    took=$(elapsed_since "$t0")
    if within "$took" 3.5; then ok "after SIGTERM the waiting candidate leads within ~3 s (${took}s)";
    else not_ok "after SIGTERM the waiting candidate leads within ~3 s (${took}s)"; fi
else
    not_ok "after SIGTERM the waiting candidate leads"
fi
wait "${PID[$other]}"
rc=$?
if [ $rc = 0 ]; then ok "the released leader exited 0"; else not_ok "the released leader exited 0 (rc $rc)"; fi
expect_match "the released leader said it stopped" "^stopped $other\$" cat "$E2E_TMP/$other.out"
IFS="|" read -r h t d < <(holder)
if [ "$h" = c ] && [ "$t" = 2 ]; then ok "Lease held by c after 2 transitions";
else not_ok "Lease held by c after 2 transitions (got '$h' $t)"; fi

# --- the last one releases: empty holder, 1 s duration
kill -TERM "${PID[c]}"
wait "${PID[c]}"
IFS="|" read -r h t d < <(holder)
if [ -z "$h" ] && [ "$d" = 1 ]; then ok "released Lease has no holder and a 1 s duration";
else not_ok "released Lease has no holder and a 1 s duration (got '$h' $d)"; fi
for id in a b c; do
    if [ -s "$E2E_TMP/$id.err" ]; then echo "# $id stderr:"; sed 's/^/#   /' "$E2E_TMP/$id.err" | tail -5; fi
done
e2e_done
