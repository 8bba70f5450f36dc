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
# The machine may be shared and loaded, so each rate is run REPEAT times
# (default 3), the receivers alternating burst by burst (the order turned
# round each repeat), and the medians are printed. With IPKIT_BASE (an
# older ipkit binary) that one is run in the same rotation, to judge a
# change under the same load.
#
#   sudo bash bench/mcast.sh                      # builds ipkit --release first
#   RATES="100000 200000" IPKIT_BIN=target/release/ipkit sudo -E bash bench/mcast.sh
#   REPEAT=5 IPKIT_BASE=/tmp/ipkit-old sudo -E bash bench/mcast.sh
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
REPEAT=${REPEAT:-3}
base=${IPKIT_BASE:+$(realpath "$IPKIT_BASE")}
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

run_iperf() { # RATE: datagrams iperf2's server counted
  local secs=$(( N / $1 + 4 )) out srv total lost
  out=$(mktemp)
  # iperf2's server: joins the group, prints its CSV report when the stream ends.
  ip netns exec "$rx" timeout $((secs + 10)) iperf -s -u -B 239.1.2.3 -l 64 -y C >"$out" 2>/dev/null &
  srv=$!
  sleep 1
  burst "$1"
  sleep 2
  kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  # CSV: …,jitter,lost,total,percent,…
  total=$(awk -F, 'NF>=13 {print $12}' "$out" | tail -1)
  lost=$(awk -F, 'NF>=13 {print $11}' "$out" | tail -1)
  rm -f "$out"
  echo $(( ${total:-0} - ${lost:-0} ))
}

run_ipkit() { # BINARY RATE: datagrams ipkit mcast join counted
  local secs=$(( N / $2 + 4 )) json rcv got
  json=$(mktemp)
  ip netns exec "$rx" "$1" --json mcast join 239.1.2.3:5001 -i eth0 -q -t "$secs" >"$json" &
  rcv=$!
  sleep 1
  burst "$2"
  wait "$rcv" || true
  got=$(grep '"type":"summary"' "$json" | sed 's/.*"received":\([0-9]*\).*/\1/')
  rcvbuf=$(grep '"type":"joined"' "$json" | sed -n 's/.*"receive_buffer":\([0-9]*\).*/\1/p')
  [ -n "$rcvbuf" ] && echo "ipkit $(basename "$1"): receive buffer $rcvbuf bytes" >&2
  rm -f "$json"
  echo "${got:-0}"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
loss() { echo $(( N > $1 ? N - $1 : 0 )); } # iperf2's client ends with a few extra datagrams

receivers="iperf ipkit${base:+ base}"
printf '%-10s %-24s %-24s %s\n' "rate/s" "iperf2 received(loss)" "ipkit received(loss)" "${base:+base received(loss)}"
for rate in $RATES; do
  declare -A got=([iperf]="" [ipkit]="" [base]="")
  for rep in $(seq "$REPEAT"); do
    order=$receivers
    [ $((rep % 2)) = 0 ] && order=$(echo "$receivers" | tr ' ' '\n' | tac | tr '\n' ' ')
    for who in $order; do
      case $who in
        iperf) n=$(run_iperf "$rate") ;;
        ipkit) n=$(run_ipkit "$bin" "$rate") ;;
        base) n=$(run_ipkit "$base" "$rate") ;;
      esac
      [ "$n" -gt 0 ] || { echo "bench: $who counted nothing at $rate/s" >&2; exit 1; }
      echo "  $rate/s repeat $rep: $who received $n" >&2
      got[$who]="${got[$who]} $n"
    done
  done
  line=$(printf '%-10s' "$rate")
  for who in $receivers; do
    m=$(echo "${got[$who]}" | median)
    line="$line $(printf '%-24s' "$m($(loss "$m"))")"
  done
  echo "$line"
done
