#!/usr/bin/env bash
# Short libFuzzer runs: each target starts from a scratch copy of its corpus
# (the repo corpus is never written), runs for SECONDS, and any crash input is
# kept under build/fuzz/artifacts/<target>/ to be added to the corpus.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=$1; shift
fails=0
for bin in "$@"; do
    name=$(basename "$bin")
    work=$(mktemp -d)
    art=$top/build/fuzz/artifacts/$name
    mkdir -p "$art"
    if [ -d "$top/test/fuzz/corpus/$name" ]; then
        cp -r "$top/test/fuzz/corpus/$name/." "$work/"
    fi
    dict=()
    [ -f "$top/test/fuzz/$name.dict" ] && dict=(-dict="$top/test/fuzz/$name.dict")
    if "$bin" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/" -print_final_stats=1 "$work" >"$art.log" 2>&1; then
        echo "ok - fuzz $name ($(grep -m1 'stat::number_of_executed_units' "$art.log" | awk '{print $2}') execs)"
    else
        echo "not ok - fuzz $name: crash input in $art"
        tail -30 "$art.log"
        fails=$((fails + 1))
    fi
    rm -rf "$work"
done
echo "fuzz: $(( $# - fails )) passed, $fails failed"
[ $fails = 0 ]
