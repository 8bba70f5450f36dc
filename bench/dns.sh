#!/usr/bin/env bash
# ipkit dns against the anchors, side by side, on loopback only.
#  - bulk: 100,000 names from a 100,000-name zone served by NSD (RRL off):
#    `ipkit dns --bulk` vs dnsperf's sustained rate (massdns is not packaged
#    in Debian; its published figure here is ~0.82 s for the same work).
#    Goal (issue 4): >= 100,000 names/s with every name accounted for.
#  - one query as a whole process: `ipkit dns NAME @SERVER` vs kdig and dig.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need nsd nsd
need dnsperf dnsperf
need kdig knot-dnsutils
need dig bind9-dnsutils
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
work=$(mktemp -d /tmp/ipkit-bench-dns.XXXXXX)
port=55399
stop() {
  local pid; pid=$(cat "$work/nsd.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
  rm -rf "$work"
}
trap stop EXIT
python3 - "$work" <<'PY'
import random, sys
random.seed(1)
d = sys.argv[1]
with open(f"{d}/bench.zone", "w") as z, open(f"{d}/names.txt", "w") as n, open(f"{d}/dnsperf.txt", "w") as p:
    z.write("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns.bench.test. a.bench.test. 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n")
    for i in range(100000):
        z.write(f"h{i} IN A 10.{(i>>16)&255}.{(i>>8)&255}.{i&255}\n")
    order = list(range(100000)); random.shuffle(order)
    for i in order:
        n.write(f"h{i}.bench.test\n"); p.write(f"h{i}.bench.test A\n")
PY
cat > "$work/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  username: ""
  zonesdir: "$work"
  pidfile: "$work/nsd.pid"
  xfrdfile: "$work/xfrd.state"
  zonelistfile: "$work/zone.list"
  database: ""
  server-count: 1
  verbosity: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: bench.zone
CONF
nsd -c "$work/nsd.conf"
for _ in $(seq 100); do kdig +short +timeout=1 @127.0.0.1 -p $port ns.bench.test >/dev/null 2>&1 && break; sleep 0.1; done

echo "== bulk: 100,000 names"
# Correctness first: every name answered, with the address the zone holds.
"$bin" dns --bulk "$work/names.txt" @127.0.0.1:$port --json > "$work/out.ndjson"
python3 - "$work/out.ndjson" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])]
s = res[-1]["data"]; rows = [r["data"] for r in res if r["type"] == "result"]
assert s["results"] == s["names"] == len(rows) == 100000, s
for r in rows:
    i = int(r["name"][1:].split(".")[0])
    assert r["answers"][0]["data"] == f"10.{(i>>16)&255}.{(i>>8)&255}.{i&255}", r
print(f"ok: {len(rows)} results, all correct; {s['timeout']} timeouts, {s['queries_sent']} queries sent")
PY
hyperfine --warmup 1 --runs 10 --export-json "$work/bulk.json" \
  "$bin dns --bulk $work/names.txt @127.0.0.1:$port --json > /dev/null"
dnsperf -s 127.0.0.1 -p $port -d "$work/dnsperf.txt" -n 1 -c 1 -q 2000 > "$work/dnsperf.out" 2>&1 || true
python3 - "$work" <<'PY'
import json, re, sys
d = sys.argv[1]
r = json.load(open(f"{d}/bulk.json"))["results"][0]
out = open(f"{d}/dnsperf.out").read()
qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
lost = re.search(r"Queries lost:\s+(\d+)", out).group(1)
print(f"ipkit dns --bulk: median {r['median']:.3f} s = {100000/r['median']:,.0f} names/s")
print(f"dnsperf (same names, 2000 in flight): {qps:,.0f} queries/s, lost {lost}")
print(f"ratio ipkit/dnsperf rate: {100000/r['median']/qps:.2f}; vs massdns's ~0.82 s: {0.82/r['median']:.2f}x")
PY

echo "== one query, whole process"
hyperfine -N --warmup 20 --runs 200 --export-json "$work/one.json" \
  "$bin dns h42.bench.test A @127.0.0.1:$port --short" \
  "kdig +short @127.0.0.1 -p $port h42.bench.test A" \
  "dig +short @127.0.0.1 -p $port h42.bench.test A"
python3 - "$work/one.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"{x['command']:60s} median {x['median']*1000:.2f} ms")
print(f"ratio ipkit/kdig: {r[0]['median']/r[1]['median']:.2f}; ipkit/dig: {r[0]['median']/r[2]['median']:.2f}")
PY
