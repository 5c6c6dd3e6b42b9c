#!/usr/bin/env bash
# bench/apistore: creates/s of ~1 KiB Hardware objects (one transaction each)
# and list/list_at/events_since of all of them, printed beside bare SQLite
# inserts of the same bodies with the same pragmas, measured in the same run.
# Usage: bench/apistore/run.sh [N]   (default 10000)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
make -C "$top" --no-print-directory -s build/cc/test/apistore/apistore-bench_test
APISTORE_BENCH_N=${1:-10000} exec "$top/build/cc/test/apistore/apistore-bench_test"
