#!/usr/bin/env bash
# Short libFuzzer runs: each target starts from a scratch copy of its corpus
# (the repo corpus is never written), runs for SECONDS, and any crash input is
# kept under build/fuzz/artifacts/<target>/ to be added to the corpus.
# FUZZ_JOBS targets run at once (default: the number of CPUs).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=$1; shift
jobs=${FUZZ_JOBS:-$(nproc)}

# run_one BIN: one target; its verdict line (and the log tail on a crash) goes
# to build/fuzz/artifacts/<target>.result, its exit status says pass or fail.
run_one() {
    local bin=$1 name work art dict=()
    name=$(basename "$bin")
    work=$(mktemp -d)
    art=$top/build/fuzz/artifacts/$name
    mkdir -p "$art"
    if [ -d "$top/test/fuzz/corpus/$name" ]; then
        cp -r "$top/test/fuzz/corpus/$name/." "$work/"
    fi
    [ -f "$top/test/fuzz/$name.dict" ] && dict=(-dict="$top/test/fuzz/$name.dict")
    if "$bin" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/" -print_final_stats=1 "$work" >"$art.log" 2>&1; then
        echo "ok - fuzz $name ($(grep -m1 'stat::number_of_executed_units' "$art.log" | awk '{print $2}') execs)" >"$art.result"
        rm -rf "$work"
        return 0
    fi
    { echo "not ok - fuzz $name: crash input in $art"; tail -30 "$art.log"; } >"$art.result"
    rm -rf "$work"
    return 1
}

rm -f "$top"/build/fuzz/artifacts/*.result
running=0
for bin in "$@"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$bin" &
    running=$((running + 1))
done
wait || true

fails=0
for bin in "$@"; do
    result=$top/build/fuzz/artifacts/$(basename "$bin").result
    if [ -s "$result" ]; then cat "$result"; else echo "not ok - fuzz $(basename "$bin"): no result"; fi
    grep -qs '^ok - ' "$result" || fails=$((fails + 1))
done
echo "fuzz: $(( $# - fails )) passed, $fails failed"
[ $fails = 0 ]
