#!/usr/bin/env bash
# ipkit cidr merge vs iprange --optimize on 1,000,000 seeded random IPv4
# prefixes; then IPv6, which iprange cannot do. Goal (issue 2): no slower
# than iprange.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need iprange iprange
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
data=bench/data; mkdir -p $data
python3 - $data <<'PY'
import random, sys
random.seed(1)
d = sys.argv[1]
with open(f"{d}/v4-1m.txt", "w") as f:
    for _ in range(1_000_000):
        f.write(f"{random.randint(1,223)}.{random.randint(0,255)}.{random.randint(0,255)}.0/{random.randint(16,32)}\n")
with open(f"{d}/v6-1m.txt", "w") as f:
    for _ in range(1_000_000):
        f.write("2001:db8:%x:%x::/%d\n" % (random.randint(0, 65535), random.randint(0, 65535), random.randint(32, 64)))
PY
# Same set? Both outputs, re-expanded to ranges by ipkit, must be identical.
"$bin" cidr merge --file $data/v4-1m.txt > $data/ipkit-merge.txt
iprange --optimize $data/v4-1m.txt > $data/iprange-merge.txt
if cmp -s <("$bin" cidr cidr2range --file $data/ipkit-merge.txt) <("$bin" cidr cidr2range --file $data/iprange-merge.txt); then
  echo "ok: same address set ($(wc -l < $data/ipkit-merge.txt) prefixes from ipkit, $(wc -l < $data/iprange-merge.txt) from iprange)"
else
  echo "MISMATCH between ipkit and iprange"; exit 1
fi
hyperfine -N --warmup 2 --runs 10 --export-json $data/cidr.json \
  "$bin cidr merge --file $data/v4-1m.txt" \
  "iprange --optimize $data/v4-1m.txt" \
  "$bin cidr merge --file $data/v6-1m.txt"
python3 - $data/cidr.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"{x['command'][-60:]:60s} median {x['median']:.3f} s")
print(f"ratio ipkit/iprange (IPv4): {r[0]['median']/r[1]['median']:.2f}")
PY
