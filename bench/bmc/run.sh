#!/usr/bin/env bash
# bench/bmc: outOfBand inventory of N emulated BMCs (default 200 systems of one
# sushy-tools emulator with the fake driver, over HTTPS with Basic auth), each
# scraped with its own Redfish client and connection as anvil-controller does
# per Machine: first C concurrent conversations (default 16, the controller's
# --bmc-workers), then one BMC at a time, in the same run. Prints wall time,
# requests, TCP connections and the peak number in flight, and the ratio.
# Usage: bench/bmc/run.sh [N] [CONCURRENCY]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-200}
k=${2:-16}
work=$(mktemp -d /tmp/anvil-bench-bmc.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
emu=$("$top/hack/sushy.sh" 2>"$work/install.log") ||
    { echo "bench/bmc: SKIP: sushy-tools could not be installed: $(tail -1 "$work/install.log")"; exit 0; }
py=$(dirname "$emu")/python

libs="bmc redfish workflow buf log base"
make -C "$top" --no-print-directory -s $(for m in $libs; do echo "build/cc/lib/lib$m.a"; done) >/dev/null
mkdir -p "$top/build/bench"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -I"$top/pkg" -o "$top/build/bench/bmc-inventory" \
    "$top/bench/bmc/inventory.c" \
    -Wl,--start-group $(for m in $libs; do echo "$top/build/cc/lib/lib$m.a"; done) -Wl,--end-group \
    $(pkg-config --cflags --libs jansson libcurl openssl) -lpthread -lm

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$work/key.pem" \
    -out "$work/cert.pem" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
"$py" -c 'import bcrypt; print("admin:" + bcrypt.hashpw(b"password", bcrypt.gensalt(4)).decode())' >"$work/htpasswd"
prefix=5e1f0000-0000-4000-8000-
python3 - "$n" "$prefix" "$work" >"$work/emu.conf" <<'PY'
import sys
n, prefix, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
print("SUSHY_EMULATOR_FAKE_DRIVER = True")
print("SUSHY_EMULATOR_AUTH_FILE = %r" % (work + "/htpasswd"))
print("SUSHY_EMULATOR_STATE_DIR = %r" % (work + "/state"))
print("SUSHY_EMULATOR_FAKE_SYSTEMS = [")
for i in range(n):
    print("  {'uuid': '%s%012x', 'name': 'node-%03d', 'power_state': 'On', 'nics': "
          "[{'mac': '52:54:%02x:%02x:00:01'}, {'mac': '52:54:%02x:%02x:00:02'}]}," %
          (prefix, i, i, i >> 8, i & 255, i >> 8, i & 255))
print("]")
PY
"$emu" --config "$work/emu.conf" -i 127.0.0.1 -p "$port" --ssl-certificate "$work/cert.pem" \
    --ssl-key "$work/key.pem" >"$work/emu.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -skf -u admin:password "https://127.0.0.1:$port/redfish/v1/" >/dev/null && break; sleep 0.2; done
echo "bench/bmc: $n emulated BMCs (sushy-tools $("$py" -c 'import importlib.metadata as m; print(m.version("sushy-tools"))') fake driver, HTTPS + Basic auth, one Python process)"
par=$("$top/build/bench/bmc-inventory" "https://127.0.0.1:$port" admin password "$prefix" "$n" "$k")
echo "concurrent: $par"
seq=$("$top/build/bench/bmc-inventory" "https://127.0.0.1:$port" admin password "$prefix" "$n" 1)
echo "one_at_a_time: $seq"
pw=$(echo "$par" | sed 's/.*wall_s=\([0-9.]*\).*/\1/')
sw=$(echo "$seq" | sed 's/.*wall_s=\([0-9.]*\).*/\1/')
echo "wall_seconds concurrent=$pw one_at_a_time=$sw"
echo "ratio one_at_a_time/concurrent $(echo "scale=2; $sw / $pw" | bc)"
