#!/usr/bin/env bash
# ipkit mcast join vs iperf2 (`iperf -s -u -B GROUP`) as receivers of the
# same burst: 1,000,000 datagrams of 64 bytes sent by iperf2's client to
# 239.1.2.3:5001 over a veth pair between two namespaces (unique names,
# removed on exit; nothing leaves them), at each rate in RATES (datagrams
# per second). For each rate the script prints the datagrams each receiver
# counted and its loss; the issue's goal: no loss from ipkit below the rate
# iperf2 sustains without loss, and at least that rate. The counts are
# checked: a receiver that counted nothing fails the run.
#
#   sudo bash bench/mcast.sh                      # builds ipkit --release first
#   RATES="100000 200000" IPKIT_BIN=target/release/ipkit sudo -E bash bench/mcast.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/mcast.sh: needs root (network namespaces)" >&2; exit 1; }
need iperf iperf
if [ -n "${IPKIT_BIN:-}" ]; then
  bin=$(realpath "$IPKIT_BIN")
else
  cargo build --release -q -p ipkit-cli
  bin=$PWD/target/release/ipkit
fi
RATES=${RATES:-"50000 100000 200000 400000"}
N=1000000
tx=ipkit-bench-tx-$$ rx=ipkit-bench-rx-$$
cleanup() { ip netns del "$tx" 2>/dev/null || true; ip netns del "$rx" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$tx"; ip netns add "$rx"
ip link add eth0 netns "$tx" type veth peer name eth0 netns "$rx"
ip -n "$tx" addr add 10.8.0.1/24 dev eth0; ip -n "$rx" addr add 10.8.0.2/24 dev eth0
for ns in "$tx" "$rx"; do
  ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default dev eth0
done

burst() { # RATE: send the burst from tx with iperf2's client
  ip netns exec "$tx" timeout 120 iperf -c 239.1.2.3 -u -T 1 -l 64 -b "${1}pps" -n $((N * 64)) >/dev/null
}

printf '%-10s %-22s %-22s\n' "rate/s" "iperf2 received(loss)" "ipkit received(loss)"
for rate in $RATES; do
  secs=$(( N / rate + 4 ))
  # iperf2's server: joins the group, prints its CSV report when the stream ends.
  out=$(mktemp)
  ip netns exec "$rx" timeout $((secs + 10)) iperf -s -u -B 239.1.2.3 -l 64 -y C >"$out" 2>/dev/null &
  srv=$!
  sleep 1
  burst "$rate"
  sleep 2
  kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  # CSV: …,jitter,lost,total,percent,…
  iperf_total=$(awk -F, 'NF>=13 {print $12}' "$out" | tail -1)
  iperf_lost=$(awk -F, 'NF>=13 {print $11}' "$out" | tail -1)
  iperf_got=$(( ${iperf_total:-0} - ${iperf_lost:-0} ))
  rm -f "$out"

  json=$(mktemp)
  ip netns exec "$rx" "$bin" --json mcast join 239.1.2.3:5001 -i eth0 -q -t "$secs" >"$json" &
  rcv=$!
  sleep 1
  burst "$rate"
  wait "$rcv" || true
  ipkit_got=$(grep '"type":"summary"' "$json" | sed 's/.*"received":\([0-9]*\).*/\1/')
  rm -f "$json"
  [ "${ipkit_got:-0}" -gt 0 ] && [ "$iperf_got" -gt 0 ] || { echo "bench: a receiver counted nothing at $rate/s" >&2; exit 1; }
  # iperf2's client ends its stream with a few extra datagrams; ipkit counts them.
  ipkit_loss=$(( N > ipkit_got ? N - ipkit_got : 0 ))
  iperf_loss=$(( N > iperf_got ? N - iperf_got : 0 ))
  printf '%-10s %-22s %-22s\n' "$rate" "$iperf_got($iperf_loss)" "$ipkit_got($ipkit_loss)"
done
