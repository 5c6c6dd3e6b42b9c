#!/usr/bin/env bash
# Shared rig of the anvil-boot network tests (sourced, not run: it is not
# executable, so hack/run-tests.sh skips it).
#
# Topology: two network namespaces joined by a veth pair.
#   anvb<rand>s  server: veth "bs" 10.77.0.1/16; anvil-apiserver on its own
#                loopback (127.0.0.1), anvil-boot bound to "bs".
#   anvb<rand>c  client: veth "bc", MAC 02:00:00:00:00:10, no address
#                (udhcpc) or 10.77.0.2/16 (perfdhcp as a relay, HTTP, TFTP).
# Everything runs inside the two namespaces: nothing listens or answers on
# the host's own interfaces. Every PID we start is killed and both
# namespaces are deleted on exit.
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BOOT_SRV_IP=10.77.0.1
BOOT_CLI_IP=10.77.0.2
BOOT_CLI_MAC=02:00:00:00:00:10

boot_require() {
    [ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
    local tag=anvbprobe$$
    ip netns add "$tag" 2>/dev/null || skip_all "ip netns does not work here (no CAP_SYS_ADMIN?)"
    ip netns del "$tag"
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || skip_all "$t is not installed (hack/install-deps.sh)"
    done
}

boot_ns_up() {
    local suffix
    suffix=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
    NS_S=anvb${suffix}s
    NS_C=anvb${suffix}c
    ip netns add "$NS_S" && ip netns add "$NS_C" || return 1
    BOOT_NS_UP=1
    ip link add bs netns "$NS_S" type veth peer name bc netns "$NS_C" || return 1
    ip -n "$NS_S" link set lo up
    ip -n "$NS_C" link set lo up
    ip -n "$NS_S" addr add "$BOOT_SRV_IP/16" dev bs
    ip -n "$NS_C" link set bc address "$BOOT_CLI_MAC"
    ip -n "$NS_S" link set bs up
    ip -n "$NS_C" link set bc up
}

boot_ns_down() {
    [ "${BOOT_NS_UP:-0}" = 1 ] || return 0
    # Processes in the namespaces are ours (started by this script).
    local p
    for p in $(ip netns pids "$NS_S" 2>/dev/null) $(ip netns pids "$NS_C" 2>/dev/null); do
        kill "$p" 2>/dev/null
    done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    BOOT_NS_UP=0
}

boot_cleanup() {
    e2e_cleanup
    boot_ns_down
}
trap boot_cleanup EXIT

in_srv() { ip netns exec "$NS_S" "$@"; }
in_cli() { ip netns exec "$NS_C" "$@"; }

# boot_apiserver: anvil-apiserver inside the server namespace, CRDs applied.
# On the upstream tier: a private kube-apiserver + etcd + kube-controller-manager
# there instead (the host's loopback is not reachable from the namespace).
boot_apiserver() {
    local port=6443
    if e2e_upstream; then
        start_upstream in_srv || return 1
        export KUBECONFIG=$E2E_UPSTREAM_DIR/kubeconfig
        APISERVER_UPSTREAM=1
        APISERVER_URL=$(cat "$E2E_UPSTREAM_DIR/url")
    else
        export KUBECONFIG=$E2E_TMP/kubeconfig
        ip netns exec "$NS_S" "$ANVIL_BIN/anvil-apiserver" --listen "127.0.0.1:$port" --data-dir "$E2E_TMP/apiserver" \
            --write-kubeconfig "$KUBECONFIG" >>"$E2E_TMP/apiserver.log" 2>&1 &
        E2E_PIDS+=($!)
        APISERVER_URL=http://127.0.0.1:$port
        wait_for 20 in_srv curl -sf "$APISERVER_URL/readyz" || {
            echo "# anvil-apiserver did not become ready"; tail -20 "$E2E_TMP/apiserver.log"; return 1; }
    fi
    in_srv kubectl apply -f "$E2E_TOP/crds/" >/dev/null &&
        in_srv kubectl wait --for condition=established --timeout=30s -f "$E2E_TOP/crds/" >/dev/null
}

# boot_start [flags]: anvil-boot in the server namespace; sets BOOT_PID.
# HTTP on 7080, TFTP on 69, syslog on 514, DHCP on bs.
boot_start() {
    ip netns exec "$NS_S" "$ANVIL_BIN/anvil-boot" --kubeconfig "$KUBECONFIG" --public-ip "$BOOT_SRV_IP" \
        --dhcp-bind-interface bs "$@" >>"$E2E_TMP/boot.log" 2>&1 &
    BOOT_PID=$!
    E2E_PIDS+=("$BOOT_PID")
    wait_for 20 in_srv curl -sf "http://$BOOT_SRV_IP:7080/readyz" || {
        echo "# anvil-boot did not become ready"; tail -20 "$E2E_TMP/boot.log"; return 1; }
}

boot_stop() {
    [ -n "${BOOT_PID:-}" ] || return 0
    kill "$BOOT_PID" 2>/dev/null
    wait "$BOOT_PID" 2>/dev/null
    BOOT_RC=$?
    BOOT_PID=
}

# boot_metric NAME_WITH_LABELS: one value from /metrics (0 when absent).
boot_metric() {
    in_srv curl -s "http://$BOOT_SRV_IP:7080/metrics" |
        awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}

# boot_hardware_list FIRST_MAC_INDEX COUNT: a v1 List of COUNT Hardware,
# MAC 02:aa:00:XX:XX:XX = index, address 10.77.(1 + i/250).(1 + i%250).
boot_hardware_list() {
    python3 - "$1" "$2" <<'PY'
import json, sys
first, n = int(sys.argv[1]), int(sys.argv[2])
items = []
for i in range(first, first + n):
    mac = "02:aa:00:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
    ip = "10.77.%d.%d" % (1 + i // 250, 1 + i % 250)
    items.append({"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Hardware",
        "metadata": {"name": "m%05d" % i, "namespace": "default"},
        "spec": {"interfaces": [{"dhcp": {"mac": mac, "hostname": "m%05d" % i,
            "lease_time": 3600, "arch": "x86_64",
            "ip": {"address": ip, "netmask": "255.255.0.0", "gateway": "10.77.0.1"},
            "name_servers": ["10.77.0.1"]},
            "netboot": {"allowPXE": True, "allowWorkflow": True}}]}})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PY
}

# boot_mac_of INDEX / boot_ip_of INDEX: the values boot_hardware_list uses.
boot_mac_of() { printf '02:aa:00:%02x:%02x:%02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
boot_ip_of() { echo "10.77.$((1 + $1 / 250)).$((1 + $1 % 250))"; }

# boot_dhcp_probe ARGS...: a small relay-agent DHCP client (Python), run in
# the client namespace. It binds 10.77.0.2:67, so replies come back to it as
# to a relay (giaddr).
#   expect FILE [pxe]  lines "MAC EXPECTED_YIADDR|none [EXPECTED_FILE_SUBSTRING]":
#                      one DISCOVER each (PXE options with "pxe"), then checks
#                      the OFFER; prints "ok=N wrong=N missing=N unexpected=N"
#   malformed          sends the malformed packets of the suite, prints
#                      "sent=N replies=N"
boot_dhcp_probe() {
    in_cli python3 - "$BOOT_SRV_IP" "$BOOT_CLI_IP" "$@" <<'PY'
import os, socket, struct, sys, time
srv, me, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((me, 67))
s.settimeout(0.05)

def header(mac, xid, giaddr=me, op=1, hlen=6):
    ch = bytes(int(x, 16) for x in mac.split(":"))
    return struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, hlen, 1, xid, 0, 0,
                       b"\0"*4, b"\0"*4, b"\0"*4, socket.inet_aton(giaddr),
                       ch.ljust(16, b"\0"), b"\0"*64, b"\0"*128) + bytes([99, 130, 83, 99])

def opt(code, data):
    return bytes([code, len(data)]) + data

PXE = (opt(60, b"PXEClient:Arch:00000:UNDI:002001") + opt(93, b"\0\0") + opt(94, b"\1\2\1") +
       opt(97, b"\0" + os.urandom(16)))

def discover(mac, xid, pxe):
    return header(mac, xid) + opt(53, b"\1") + (PXE if pxe else b"") + b"\xff"

def parse_reply(d):
    if len(d) < 240:
        return None
    xid = struct.unpack("!I", d[4:8])[0]
    yi = socket.inet_ntoa(d[16:20])
    f = d[108:236].split(b"\0")[0].decode("latin1")
    i, opts = 240, {}
    while i < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        opts[d[i]] = opts.get(d[i], b"") + d[i + 2:i + 2 + d[i + 1]]
        i += 2 + d[i + 1]
    if 67 in opts and not f:
        f = opts[67].decode("latin1")
    return xid, yi, f

def collect(want, deadline):
    got = {}
    while time.time() < deadline and len(got) < want:
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            continue
        r = parse_reply(d)
        if r:
            got.setdefault(r[0], []).append(r)
    return got

if mode == "expect":
    lines = [l.split() for l in open(sys.argv[4]) if l.strip()]
    pxe = len(sys.argv) > 5 and sys.argv[5] == "pxe"
    ok = wrong = missing = unexpected = 0
    for base in range(0, len(lines), 200):
        chunk = lines[base:base + 200]
        xids = {}
        for n, l in enumerate(chunk):
            xid = 0x10000000 + base + n
            xids[xid] = l
            s.sendto(discover(l[0], xid, pxe), (srv, 67))
        want = sum(1 for l in chunk if l[1] != "none")
        got = collect(want, time.time() + 2.0)
        time.sleep(0.05)
        got.update(collect(10**9, time.time() + 0.1))
        for xid, l in xids.items():
            r = got.get(xid)
            if l[1] == "none":
                if r:
                    unexpected += 1
                continue
            if not r:
                missing += 1
            elif len(r) != 1 or r[0][1] != l[1] or (len(l) > 2 and l[2] not in r[0][2]):
                wrong += 1
                print("wrong", l, r, file=sys.stderr)
            else:
                ok += 1
    print("ok=%d wrong=%d missing=%d unexpected=%d" % (ok, wrong, missing, unexpected))
elif mode == "malformed":
    mac = "02:00:00:00:00:10"
    good = discover(mac, 1, True)
    bad_file = bytearray(good)
    bad_file[108:110] = b"\x0c\x7f"
    bad_file = bytes(bad_file)
    cases = [
        good[:100],                                   # truncated header
        good[:239],                                   # no room for the cookie
        good[:236] + b"\1\2\3\4" + good[240:],        # bad magic cookie
        good[:240] + opt(53, b"\1") + b"\x0c\x40abc",  # option runs past the end
        good[:240] + b"\x35\x02\x01\x01\xff",         # option 53 of length 2
        good[:240] + b"\x34\x01\x07" + opt(53, b"\1") + b"\xff",  # overload value 7
        good[:240] + b"\x34\x02\x01\x01\xff",         # overload of length 2
        bad_file[:240] + b"\x34\x01\x01" + opt(53, b"\1") + b"\xff",  # overloaded file: option runs past it
        header(mac, 9, op=3) + opt(53, b"\1") + b"\xff",      # op neither request nor reply
        header(mac, 10, hlen=17) + opt(53, b"\1") + b"\xff",  # hlen > 16
        good[:240] + opt(93, b"\0") + b"\xff",        # odd-length arch list
        good[:240] + b"\x52\x03\x01\x05\x00\xff",     # option 82 sub-option runs past
    ]
    for c in cases:
        s.sendto(c, (srv, 67))
    got = collect(10**9, time.time() + 1.0)
    print("sent=%d replies=%d" % (len(cases), sum(len(v) for v in got.values())))
PY
}
