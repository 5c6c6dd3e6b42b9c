#!/usr/bin/env python3
"""Reads one perfdhcp -x te report; prints JSON: achieved rate, sent,
received, drops and DISCOVER->OFFER latency percentiles (ms)."""
import json, re, sys

text = open(sys.argv[1]).read()
out = {"rate": 0.0, "do_sent": 0, "do_recv": 0, "do_drops": 0, "p50": None, "p99": None}
m = re.search(r"^Rate: ([0-9.]+)", text, re.M)
if m:
    out["rate"] = float(m.group(1))
sec = re.search(r"\*\*\*Statistics for: DISCOVER-OFFER\*\*\*(.*?)(\*\*\*|\Z)", text, re.S)
if sec:
    for k, key in (("do_sent", "sent packets"), ("do_recv", "received packets"), ("do_drops", "drops")):
        m = re.search(r"^" + key + r": (\d+)", sec.group(1), re.M)
        if m:
            out[k] = int(m.group(1))
ts = re.search(r"\*\*\*Timestamps for packets: DISCOVER-OFFER\*\*\*(.*?)(\*\*\*|\Z)", text, re.S)
lat = []
if ts:
    for a, b in re.findall(r"sent / received: ([0-9.]+) / ([0-9.]+)", ts.group(1)):
        lat.append((float(b) - float(a)) * 1000.0)
lat.sort()
if lat:
    out["p50"] = lat[len(lat) // 2]
    out["p99"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
print(json.dumps(out))
