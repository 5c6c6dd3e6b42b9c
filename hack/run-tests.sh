#!/usr/bin/env bash
# Runs anvil's test executables and prints one closing line per phase.
#   run-tests.sh unit TEST... [-- REPLAY...]   cmocka executables, then fuzz-corpus replays
#   run-tests.sh e2e SCRIPT...                 integration scripts (TAP-ish "ok"/"not ok" lines;
#                                              exit 77 = skipped with a reason)
#   run-tests.sh summary                       totals over every phase since the last summary
# Results accumulate in build/test-results so `make test` can print one total.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/test-results
mkdir -p "$top/build"
mode=${1:-}; shift || true
passed=0 failed=0 skipped=0

record() { echo "$1 $2 $3" >>"$results"; }

case "$mode" in
unit)
    replays=()
    tests=()
    seen_sep=0
    for a in "$@"; do
        if [ "$a" = "--" ]; then seen_sep=1; continue; fi
        if [ $seen_sep = 1 ]; then replays+=("$a"); else tests+=("$a"); fi
    done
    for t in "${tests[@]}"; do
        log=$(mktemp)
        if "$t" >"$log" 2>&1; then
            n=$(grep -c '^\[       OK \]' "$log")
            passed=$((passed + n))
        else
            cat "$log"
            n_ok=$(grep -c '^\[       OK \]' "$log")
            n_bad=$(grep -c '^\[  FAILED  \]' "$log" | head -1)
            passed=$((passed + n_ok))
            failed=$((failed + (n_bad > 0 ? n_bad : 1)))
            echo "FAILED: $t"
        fi
        rm -f "$log"
    done
    for r in "${replays[@]}"; do
        name=$(basename "$r")
        corpus=$top/test/fuzz/corpus/$name
        if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
            echo "FAILED: fuzz target $name has no corpus in test/fuzz/corpus/$name"
            failed=$((failed + 1))
            continue
        fi
        if out=$("$r" "$corpus" 2>&1); then
            passed=$((passed + 1))
        else
            echo "$out" | tail -40
            echo "FAILED: replay of test/fuzz/corpus/$name"
            failed=$((failed + 1))
        fi
    done
    echo "unit: $passed passed, $failed failed"
    ;;
e2e)
    logdir=$top/build/e2e-logs
    mkdir -p "$logdir"
    for s in "$@"; do
        [ -x "$s" ] || continue
        name=$(basename "$s" .sh)
        log=$logdir/$name.log
        start=$(date +%s)
        timeout --kill-after=10 "${E2E_TIMEOUT:-1200}" "$s" >"$log" 2>&1
        rc=$?
        secs=$(( $(date +%s) - start ))
        n_ok=$(grep -c '^ok ' "$log")
        n_bad=$(grep -c '^not ok ' "$log")
        if [ $rc = 77 ]; then
            echo "SKIP $name: $(grep -m1 '^SKIP' "$log" || tail -1 "$log")"
            skipped=$((skipped + 1))
        elif [ $rc = 0 ] && [ "$n_bad" = 0 ]; then
            echo "PASS $name (${n_ok} checks, ${secs}s)"
            passed=$((passed + n_ok))
        else
            echo "FAIL $name (rc=$rc, ${secs}s); last lines of $log:"
            tail -60 "$log"
            passed=$((passed + n_ok))
            failed=$((failed + (n_bad > 0 ? n_bad : 1)))
        fi
    done
    echo "e2e: $passed passed, $failed failed, $skipped skipped"
    ;;
summary)
    if [ -f "$results" ]; then
        while read -r p f s; do
            passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
        done <"$results"
        rm -f "$results"
    fi
    echo "all: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" = 0 ]
    exit
    ;;
*)
    echo "usage: run-tests.sh unit|e2e|summary ..." >&2
    exit 2
    ;;
esac
record "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
