#!/usr/bin/env bash
# ipkit grep vs ripgrep and GNU grep on a seeded 1 GB web log (IPv4 + IPv6 +
# lookalikes). Goal (issue 2): >= 1 GB/s, correct on lookalikes.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need rg ripgrep
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
data=bench/data; mkdir -p $data
if [ ! -f $data/web-1g.log ]; then
  python3 bench/gen_log.py $data/block.log $data/truth.txt 100
  for _ in $(seq 10); do cat $data/block.log; done > $data/web-1g.log
fi
size=$(stat -c %s $data/web-1g.log)
# Correctness on the first 10,000 lines: exactly the true addresses, in order.
head -n 10000 $data/block.log | "$bin" grep -o | sed -e 's/^\[\(.*\)\]:[0-9]*$/\1/' > $data/got.txt
diff -q $data/truth.txt $data/got.txt && echo "ok: ipkit grep -o finds exactly the true addresses (no lookalikes)"
echo "rg -o false positives on the same lines: $(head -n 10000 $data/block.log | rg -o '[0-9]{1,3}(\.[0-9]{1,3}){3}' | grep -cvxFf $data/truth.txt || true)"
hyperfine -N --output=pipe --warmup 1 --runs 7 --export-json $data/grep.json \
  "$bin grep -o -c $data/web-1g.log" \
  "rg -o -c '[0-9]{1,3}(\.[0-9]{1,3}){3}' $data/web-1g.log" \
  "grep -oE -c '[0-9]{1,3}(\.[0-9]{1,3}){3}' $data/web-1g.log"
python3 - $data/grep.json $size <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]; size = int(sys.argv[2])
for x in r: print(f"{x['command'][:70]:70s} {x['median']:.2f} s = {size/x['median']/1e6:,.0f} MB/s")
print(f"ratio ipkit/rg time: {r[0]['median']/r[1]['median']:.2f}")
PY
