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
if [ ! -f $data/web-1g.log ] || [ ! -f $data/truth.txt.count ]; then
  python3 bench/gen_log.py $data/block.log $data/truth.txt 100
  for _ in $(seq 10); do cat $data/block.log; done > $data/web-1g.log
fi
size=$(stat -c %s $data/web-1g.log)
# Correctness on the first 10,000 lines: exactly the true addresses, in order.
head -n 10000 $data/block.log | "$bin" grep -o | sed -e 's/^\[\(.*\)\]:[0-9]*$/\1/' > $data/got.txt
if ! diff -q $data/truth.txt $data/got.txt; then
  echo "FAIL: ipkit grep -o on the first 10,000 lines differs from the generator's true addresses" >&2
  exit 1
fi
echo "ok: ipkit grep -o finds exactly the true addresses (no lookalikes)"
want=$(( $(cat $data/truth.txt.count) * 10 ))
echo "rg -o false positives on the same lines: $(head -n 10000 $data/block.log | rg -o '[0-9]{1,3}(\.[0-9]{1,3}){3}' | grep -cvxFf $data/truth.txt || true)"
# Each timed run writes its count to a file (a pipe, so GNU grep cannot stop
# early as it does on /dev/null); ipkit's, from the last timed run, must be
# every true address of the log.
hyperfine --shell=bash --warmup 1 --runs 7 --export-json $data/grep.json \
  "$bin grep -o -c $data/web-1g.log | cat > $data/count.ipkit" \
  "rg -o -c '[0-9]{1,3}(\.[0-9]{1,3}){3}' $data/web-1g.log | cat > $data/count.rg" \
  "grep -oE -c '[0-9]{1,3}(\.[0-9]{1,3}){3}' $data/web-1g.log | cat > $data/count.grep"
got=$(cat $data/count.ipkit)
if [ "$got" != "$want" ]; then
  echo "FAIL: the timed ipkit grep -o -c counted $got addresses; the log holds $want" >&2
  exit 1
fi
echo "ok: the timed runs counted all $want true addresses"
python3 - $data/grep.json $size <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]; size = int(sys.argv[2])
for x in r: print(f"{x['command'][:70]:70s} {x['median']:.2f} s = {size/x['median']/1e6:,.0f} MB/s")
print(f"ratio ipkit/rg time: {r[0]['median']/r[1]['median']:.2f}")
PY
