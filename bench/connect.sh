#!/usr/bin/env bash
# ipkit connect vs OpenBSD nc (Debian's netcat-openbsd), side by side:
#  1. connect and close (-z) to a listener on 127.0.0.1, whole process;
#  2. 1 GiB from /dev/zero through the relay to a sink on 127.0.0.1 that
#     counts what it got: both must deliver every byte (checked before timing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need nc.openbsd netcat-openbsd
need perl perl
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
work=$(mktemp -d /tmp/ipkit-bench-connect.XXXXXX)
port=${PORT:-15150}
# The sink: accepts one connection at a time, counts its bytes to the end,
# writes the count to $work/count, closes.
perl -MIO::Socket::IP -e '
  my $s = IO::Socket::IP->new(LocalHost => "127.0.0.1", LocalPort => $ARGV[0],
    Listen => 128, ReuseAddr => 1) or die "listen: $@\n";
  while (my $c = $s->accept) {
    my ($n, $buf) = (0, "");
    while (my $r = sysread($c, $buf, 1 << 20)) { $n += $r }
    open(my $f, ">", "$ARGV[1]/count.tmp"); print $f "$n\n"; close $f;
    rename("$ARGV[1]/count.tmp", "$ARGV[1]/count");
    close $c;
  }' "$port" "$work" &
sink=$!
trap 'kill $sink 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do nc.openbsd -z 127.0.0.1 "$port" 2>/dev/null && break; sleep 0.1; done
size=$((1 << 30))
check() {
  rm -f "$work/count"
  bash -c "$1"
  for _ in $(seq 100); do [ -f "$work/count" ] && break; sleep 0.05; done
  got=$(cat "$work/count")
  [ "$got" = "$size" ] || { echo "bench: '$1' delivered $got bytes, not $size" >&2; exit 1; }
}
ipkit_relay="head -c $size /dev/zero | $bin connect 127.0.0.1 $port"
nc_relay="head -c $size /dev/zero | nc.openbsd -N 127.0.0.1 $port"
check "$ipkit_relay"
check "$nc_relay"
echo "ok: ipkit connect and nc -N both delivered $size bytes"
"$bin" connect -z 127.0.0.1 "$port"
nc.openbsd -z 127.0.0.1 "$port"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/z.json" \
  "$bin connect -z 127.0.0.1 $port" "nc.openbsd -z 127.0.0.1 $port"
hyperfine --warmup 1 --runs 7 --export-json "$work/relay.json" "$ipkit_relay" "$nc_relay"
python3 - "$work" "$size" <<'PY'
import json, sys
work, size = sys.argv[1], int(sys.argv[2])
z = json.load(open(f"{work}/z.json"))["results"]
r = json.load(open(f"{work}/relay.json"))["results"]
for x in z:
    print(f"{x['command']:45s} median {x['median']*1000:.2f} ms  mean {x['mean']*1000:.2f} ms")
print(f"ratio ipkit/nc (-z, median): {z[0]['median']/z[1]['median']:.2f}")
for x in r:
    print(f"{x['command'][:60]:60s} median {x['median']:.3f} s = {size/x['median']/2**20:.0f} MiB/s")
print(f"ratio ipkit/nc (relay throughput): {r[1]['median']/r[0]['median']:.2f}")
PY
