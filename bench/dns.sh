#!/usr/bin/env bash
# ipkit dns against the anchors, side by side in one run, on loopback only.
#  - bulk against NSD: 100,000 names of a 100,000-name zone (RRL off),
#    `ipkit dns --bulk` vs dnsperf (-q 2000). Goal: >= 140,000 names/s with
#    every name answered with the zone's address.
#  - bulk against dnsmasq (the same names from an addn-hosts file): ipkit's
#    adaptive window vs dnsperf, and ipkit with a fixed window of 2,000 (the
#    old default) for reference. Goal: none lost.
#  - one query as a whole process: `ipkit dns NAME @SERVER` vs kdig and dig.
# massdns is not in Debian, on crates.io, PyPI or npm (pymassdns on PyPI is a
# wrapper that needs the binary), so it is not compared here.
#
# Correctness is checked on the output of every timed bulk run (each run's
# NDJSON is parsed: every name once, with the right address, none lost); a
# disagreement exits non-zero. Single queries: each tool's answer is compared
# once, and hyperfine fails on any run that exits non-zero.
# IPKIT_BIN=path and NAMES=n override the binary and the name count (for
# trying the script out; the figures in RESULTS.md use the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need nsd nsd
need dnsperf dnsperf
need kdig knot-dnsutils
need dig bind9-dnsutils
need dnsmasq dnsmasq-base
if [ -z "${IPKIT_BIN:-}" ]; then
  cargo build --release -q -p ipkit-cli
  bin=$PWD/target/release/ipkit
else
  bin=$IPKIT_BIN
fi
names=${NAMES:-100000}
work=$(mktemp -d /tmp/ipkit-bench-dns.XXXXXX)
port=55399
dmport=55398
stop() {
  local f pid
  for f in "$work/nsd.pid" "$work/dnsmasq.pid"; do
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
  done
  rm -rf "$work"
}
trap stop EXIT
python3 - "$work" "$names" <<'PY'
import random, sys
random.seed(1)
d, n = sys.argv[1], int(sys.argv[2])
addr = lambda i: f"10.{(i>>16)&255}.{(i>>8)&255}.{i&255}"
with open(f"{d}/bench.zone", "w") as z, open(f"{d}/hosts", "w") as h:
    z.write("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns.bench.test. a.bench.test. 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n")
    for i in range(n):
        z.write(f"h{i} IN A {addr(i)}\n")
        h.write(f"{addr(i)} h{i}.bench.test\n")
order = list(range(n)); random.shuffle(order)
with open(f"{d}/names.txt", "w") as f, open(f"{d}/dnsperf.txt", "w") as p:
    for i in order:
        f.write(f"h{i}.bench.test\n"); p.write(f"h{i}.bench.test A\n")
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
dnsmasq --conf-file=/dev/null --port=$dmport --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --addn-hosts="$work/hosts" --user=root --pid-file="$work/dnsmasq.pid"
for p in $port $dmport; do
  for _ in $(seq 100); do kdig +short +timeout=1 @127.0.0.1 -p $p h1.bench.test >/dev/null 2>&1 && break; sleep 0.1; done
done

# bulk SERVER_PORT LABEL RUNS [ipkit flags...]: time ipkit's runs and dnsperf's,
# check every timed ipkit run's output, print the figures.
bulk() {
  python3 - "$work" "$bin" "$names" "$@" <<'PY'
import json, re, statistics, subprocess, sys, time
d, bin, n, port, label, runs, *flags = sys.argv[1:]
n, runs = int(n), int(runs)
addr = lambda i: f"10.{(i>>16)&255}.{(i>>8)&255}.{i&255}"
def check(path):
    rows, summary = 0, None
    seen = set()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "summary":
                summary = r["data"]; continue
            r = r["data"]; i = int(r["name"][1:].split(".")[0])
            got = [a["data"] for a in r["answers"]]
            if r["status"] != "NOERROR" or got != [addr(i)] or i in seen:
                return f"{r['name']}: {r['status']} {got}", summary
            seen.add(i); rows += 1
    if summary is None or rows != n or len(seen) != n or summary["answered"] != n:
        return f"{rows} of {n} names answered: {summary}", summary
    return None, summary
times, sent, peak = [], [], []
for k in range(runs + 1):  # the first run warms up and is checked, not timed
    out = f"{d}/bulk.ndjson"
    with open(out, "w") as f:
        t = time.perf_counter()
        subprocess.run([bin, "--json", "dns", "--bulk", f"{d}/names.txt", f"@127.0.0.1:{port}", *flags], stdout=f, check=False)
        dt = time.perf_counter() - t
    bad, s = check(out)
    if bad:
        print(f"FAIL {label}: ipkit {' '.join(flags)} run {k}: {bad}"); sys.exit(1)
    if k:
        times.append(dt); sent.append(s["queries_sent"]); peak.append(s["window_peak"])
med = statistics.median(times)
print(f"{label}: ipkit dns --bulk {' '.join(flags)}: median of {runs} {med:.3f} s = {n/med:,.0f} names/s; "
      f"all {n} answered and correct in every timed run; queries sent {min(sent)}-{max(sent)}; window peak {min(peak)}-{max(peak)}")
if flags:
    sys.exit(0)
qps, lost = [], []
for k in range(3):
    o = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", port, "-d", f"{d}/dnsperf.txt", "-n", "1", "-c", "1", "-q", "2000"],
                       capture_output=True, text=True).stdout
    qps.append(float(re.search(r"Queries per second:\s+([\d.]+)", o).group(1)))
    lost.append(int(re.search(r"Queries lost:\s+(\d+)", o).group(1)))
    noerror = int(re.search(r"NOERROR (\d+)", o).group(1)) if "NOERROR" in o else 0
    if noerror + lost[-1] != n:
        print(f"FAIL {label}: dnsperf accounted for {noerror} + {lost[-1]} of {n}"); sys.exit(1)
q = statistics.median(qps)
print(f"{label}: dnsperf -q 2000: median of 3 {q:,.0f} queries/s, lost {lost}")
print(f"{label}: ratio ipkit names/s / dnsperf queries/s: {n/med/q:.2f}")
PY
}

# reference PORT LABEL: one run with a fixed window of 2,000 (the old default).
reference() {
  python3 - "$work" "$bin" "$names" "$@" <<'PY'
import json, subprocess, sys, time
d, bin, n, port, label = sys.argv[1:]
t = time.perf_counter()
o = subprocess.run([bin, "--json", "dns", "--bulk", f"{d}/names.txt", f"@127.0.0.1:{port}", "--fixed-window", "--concurrency", "2000"],
                   capture_output=True, text=True).stdout
dt = time.perf_counter() - t
s = json.loads(o.splitlines()[-1])["data"]
print(f"{label}: for reference, a fixed window of 2,000 (the old default): {dt:.3f} s = {int(n)/dt:,.0f} names/s, "
      f"{s['queries_sent'] - int(n)} queries lost and re-sent, {s['timeout']} names timed out")
PY
}

echo "== bulk against NSD: $names names"
bulk $port nsd 7
reference $port nsd
echo "== bulk against dnsmasq: $names names"
bulk $dmport dnsmasq 3
reference $dmport dnsmasq

echo "== one query, whole process"
want=$(dig +short @127.0.0.1 -p $port h42.bench.test A)
for cmd in "$bin dns h42.bench.test A @127.0.0.1:$port --short" "kdig +short @127.0.0.1 -p $port h42.bench.test A"; do
  got=$($cmd)
  [ "$got" = "$want" ] || { echo "FAIL: '$cmd' printed '$got', dig '$want'"; exit 1; }
done
hyperfine -N --warmup 20 --runs 200 --export-json "$work/one.json" \
  "$bin dns h42.bench.test A @127.0.0.1:$port --short" \
  "kdig +short @127.0.0.1 -p $port h42.bench.test A" \
  "dig +short @127.0.0.1 -p $port h42.bench.test A" > "$work/one.out"
python3 - "$work/one.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"{x['command']:60s} median {x['median']*1000:.2f} ms")
print(f"ratio ipkit/kdig: {r[0]['median']/r[1]['median']:.2f}; ipkit/dig: {r[0]['median']/r[2]['median']:.2f}")
PY
