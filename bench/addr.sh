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
# Both must agree on the network and broadcast.
$bin addr --json 172.31.28.120/16 | grep -q '"broadcast": "172.31.255.255"'
ipcalc -n -b 172.31.28.120/16 | grep -q 172.31.255.255
hyperfine -N --warmup 20 --runs 300 --export-json /tmp/ipkit-addr.json \
  "$bin addr 1.2.3.4" "$bin addr 172.31.28.120/16" "ipcalc 172.31.28.120/16" "sipcalc 172.31.28.120/16"
python3 - <<'PY'
import json
r = json.load(open("/tmp/ipkit-addr.json"))["results"]
for x in r:
    print(f"{x['command']:40s} mean {x['mean']*1000:.2f} ms  median {x['median']*1000:.2f} ms")
print(f"ratio ipkit/ipcalc (prefix): {r[1]['median']/r[2]['median']:.2f}")
PY
