#!/usr/bin/env bash
# ipkit addr vs ipcalc and sipcalc: one address, whole process, side by side.
# Goal (issue 2): `ipkit addr 1.2.3.4` completes in under 5 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need ipcalc ipcalc
need sipcalc sipcalc
cargo build --release -q
bin=target/release/ipkit
# All three must agree on the network and broadcast (grep -q fails the run).
$bin addr --json 172.31.28.120/16 | grep -q '"broadcast": "172.31.255.255"'
$bin addr --json 172.31.28.120/16 | grep -q '"network": "172.31.0.0"'
ipcalc -n -b 172.31.28.120/16 | grep -q 'Broadcast: *172.31.255.255'
ipcalc -n -b 172.31.28.120/16 | grep -q 'Network: *172.31.0.0/16'
sipcalc 172.31.28.120/16 | grep -q 'Broadcast address.*- 172.31.255.255'
sipcalc 172.31.28.120/16 | grep -q 'Network address.*- 172.31.0.0'
echo "ok: ipkit, ipcalc and sipcalc agree on network and broadcast"
hyperfine -N --warmup 20 --runs 300 --export-json /tmp/ipkit-addr.json \
  "$bin addr 1.2.3.4" "$bin addr 172.31.28.120/16" "ipcalc 172.31.28.120/16" "sipcalc 172.31.28.120/16"
python3 - <<'PY'
import json
r = json.load(open("/tmp/ipkit-addr.json"))["results"]
for x in r:
    print(f"{x['command']:40s} mean {x['mean']*1000:.2f} ms  median {x['median']*1000:.2f} ms")
print(f"ratio ipkit/ipcalc (prefix): {r[1]['median']/r[2]['median']:.2f}")
print(f"ratio ipkit/sipcalc (prefix): {r[1]['median']/r[3]['median']:.2f}")
PY
