#!/usr/bin/env bash
# ipkit ping sweep vs fping over all 65,534 hosts of 127.0.0.0/16 (loopback
# only). Goal (issue 5): every host found, in at most 0.8x fping's time.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need fping fping
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
data=bench/data; mkdir -p $data
"$bin" ping --alive --rate 0 127.0.0.0/16 > $data/ipkit-alive.txt
fping -g 127.0.0.0/16 -a -q -i 0 -r 0 > $data/fping-alive.txt || true
echo "ipkit found $(wc -l < $data/ipkit-alive.txt), fping found $(wc -l < $data/fping-alive.txt) of 65534"
cmp -s $data/ipkit-alive.txt $data/fping-alive.txt && echo "ok: the same hosts, in the same order"
hyperfine -N --output=pipe --warmup 2 --runs 10 --export-json $data/ping.json \
  "$bin ping --alive --rate 0 127.0.0.0/16" \
  "fping -g 127.0.0.0/16 -a -q -i 0 -r 0"
python3 - $data/ping.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"{x['command']:50s} median {x['median']:.3f} s")
print(f"ratio ipkit/fping: {r[0]['median']/r[1]['median']:.2f}")
PY
