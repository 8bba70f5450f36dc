#!/usr/bin/env bash
# ipkit trace vs traceroute (defaults), tracepath, `mtr -r -c 1` and trippy
# (when installed) in a 9-hop namespace lab with hop 4 silent — the lab of
# crates/ipkit-cli/tests/trace_lab.rs, built here by the script itself
# (namespaces with unique names, removed on exit; nothing leaves them).
# Four cases (issue 13, "Speed"): the responsive path, a destination that
# answers nothing, `--report -c 10`, and `--mtu` against tracepath over an
# MTU-1280 link (r5 — r6, set for that case only; both must name the same
# hop and pmtu, each run starting with the client's learnt PMTUs flushed). Before timing, every tool's hop
# list is checked against the lab's addressing; a difference fails the run.
#
#   sudo bash bench/trace.sh          # builds ipkit --release first
#   IPKIT_BIN=target/debug/ipkit sudo -E bash bench/trace.sh
#
# trippy: `cargo install --locked trippy --root ~/.cache/ipkit-bench` (the
# script looks for `trip` on PATH and there).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/trace.sh: needs root (network namespaces)" >&2; exit 1; }
need hyperfine hyperfine
need traceroute traceroute
need tracepath iputils-tracepath
need mtr mtr-tiny
need nft nftables
if [ -n "${IPKIT_BIN:-}" ]; then
  bin=$(realpath "$IPKIT_BIN")
else
  cargo build --release -q -p ipkit-cli
  bin=$PWD/target/release/ipkit
fi
trip=$(command -v trip || true)
[ -z "$trip" ] && [ -x "$HOME/.cache/ipkit-bench/bin/trip" ] && trip=$HOME/.cache/ipkit-bench/bin/trip
data=bench/data
mkdir -p $data

# The lab: node 0 client, 1..8 routers, 9 server; link j joins node j
# (.1/::1) and node j+1 (.2/::2) in 198.18.j.0/24 and 2001:db8:0:j::/64.
p=ipkit-bench-trace-$$
ns() { echo "$p-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
cleanup() {
  for i in $(seq 0 9); do
    ip netns del "$(ns "$i")" 2>/dev/null || true
    rm -rf "/etc/netns/$(ns "$i")"
  done
}
trap cleanup EXIT
for i in $(seq 0 9); do
  # Name lookups (traceroute's and mtr's defaults) stay inside: a resolver
  # on the namespace's loopback where nothing listens, and no hosts.
  mkdir -p "/etc/netns/$(ns "$i")"
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "/etc/netns/$(ns "$i")/resolv.conf"
  : > "/etc/netns/$(ns "$i")/hosts"
  ip netns add "$(ns "$i")"
  ip -n "$(ns "$i")" link set lo up
  for kv in net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
            net.ipv4.icmp_ratemask=0 net.ipv6.icmp.ratelimit=0 \
            net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000; do
    in_ns "$i" sysctl -qw "$kv"
  done
  if [ "$i" -ge 1 ] && [ "$i" -le 8 ]; then
    in_ns "$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  fi
done
for j in $(seq 0 8); do
  l=$(ns "$j"); r=$(ns $((j + 1)))
  ip link add r0 netns "$l" type veth peer name l0 netns "$r"
  ip -n "$l" addr add "198.18.$j.1/24" dev r0
  ip -n "$l" addr add "2001:db8:0:$j::1/64" dev r0 nodad
  ip -n "$r" addr add "198.18.$j.2/24" dev l0
  ip -n "$r" addr add "2001:db8:0:$j::2/64" dev l0 nodad
  ip -n "$l" link set r0 up
  ip -n "$r" link set l0 up
done
for k in $(seq 0 8); do
  n=$(ns "$k")
  ip -n "$n" route add default via "198.18.$k.2"
  ip -n "$n" -6 route add default via "2001:db8:0:$k::2"
  for j in $(seq 0 $((k - 2))); do
    ip -n "$n" route add "198.18.$j.0/24" via "198.18.$((k - 1)).1"
    ip -n "$n" -6 route add "2001:db8:0:$j::/64" via "2001:db8:0:$((k - 1))::1"
  done
done
ip -n "$(ns 9)" route add default via 198.18.8.1
ip -n "$(ns 9)" -6 route add default via 2001:db8:0:8::1
# Hop 4 sends no time-exceeded.
in_ns 4 nft -f - <<'NFT'
table inet ipkit_bench {
  chain quiet {
    type filter hook output priority 0;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
}
NFT
deaf() {
  in_ns 9 nft -f - <<'NFT'
table inet ipkit_bench {
  chain deaf {
    type filter hook input priority 0; policy drop;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
  }
}
NFT
}
# Wait until the server answers through the chain (neighbours resolved).
for _ in $(seq 50); do in_ns 0 traceroute -n -q1 -w1 198.18.8.2 >/dev/null 2>&1 && break; sleep 0.1; done

# Hop lists: "TTL ADDR" or "TTL *", one a line, from each tool's output.
hops() {
  python3 -c '
import ipaddress, re, sys
tool, text = sys.argv[1], sys.stdin.read()
hops = {}
for line in text.splitlines():
    line = line.lstrip("\u2502 ")  # trippy table rows start with a bar
    m = re.match(r"\s*(\d+)(?:\?|:|\.\|--|\s)", line)
    if not m or "[LOCALHOST]" in line:
        continue
    ttl = int(m.group(1))
    addrs = []
    for w in re.split(r"[\s(),\u2506\u2502]+", line[m.end():]):
        try:
            addrs.append(str(ipaddress.ip_address(w)))
        except ValueError:
            pass
    hops.setdefault(ttl, [])
    for a in addrs:
        if a not in hops[ttl]:
            hops[ttl].append(a)
for ttl in sorted(hops):
    print(ttl, " ".join(hops[ttl]) or "*")
' "$1"
}
expected() {  # $1: reached|silent, $2: 4|6
  for h in $(seq 1 9); do
    if [ "$h" = 4 ]; then echo "4 *"
    elif [ "$h" = 9 ] && [ "$1" = silent ]; then :
    elif [ "$2" = 6 ] && [ "$h" = 1 ]; then echo "1 2001:db8::2"
    elif [ "$2" = 6 ]; then echo "$h 2001:db8:0:$((h - 1))::2"
    else echo "$h 198.18.$((h - 1)).2"; fi
  done
}
# check NAME CASE FAMILY CMD...: the tool lists the lab's hops (for a silent
# destination: the routers' hops, then nothing but stars).
check() {
  local name=$1 case=$2 fam=$3; shift 3
  local got
  got=$(in_ns 0 "$@" 2>&1 | hops "$name" || true)
  if [ "$case" = silent ]; then
    if echo "$got" | awk '$1 > 8 && $2 != "*" { bad = 1 } END { exit !bad }'; then
      echo "FAIL: $name: an address past hop 8 for a silent destination:" >&2; echo "$got" >&2; exit 1
    fi
    got=$(echo "$got" | awk '$1 <= 8')
  fi
  if [ "$got" != "$(expected "$case" "$fam")" ]; then
    echo "FAIL: $name ($case, IPv$fam) did not list the lab's hops:" >&2
    diff <(expected "$case" "$fam") <(echo "$got") >&2 || true
    exit 1
  fi
  echo "ok: $name ($case, IPv$fam): every hop right"
}
x="ip netns exec $(ns 0)"
t4=198.18.8.2 t6=2001:db8:0:8::2

echo "== responsive path (hop 4 silent)"
for fam in 4 6; do
  t=$t4; [ $fam = 6 ] && t=$t6
  check ipkit reached $fam "$bin" trace -n "$t"
  check traceroute reached $fam traceroute -n "$t"
  check tracepath reached $fam tracepath -n "$t"
  check mtr reached $fam mtr -r -n -c 1 "$t"
  [ -n "$trip" ] && check trippy reached $fam "$trip" -m pretty -C 1 "$t"
done
cmds=("$x $bin trace $t4" "$x traceroute $t4" "$x tracepath $t4" "$x mtr -r -c 1 $t4"
      "$x $bin trace $t6")
[ -n "$trip" ] && cmds+=("$x $trip -m pretty -C 1 $t4")
hyperfine -N --output=pipe --warmup 1 --runs 5 --export-json $data/trace-reached.json "${cmds[@]}"

echo "== report, 10 rounds"
check "ipkit --report" reached 4 "$bin" trace --report -c 10 -n "$t4"
cmds=("$x $bin trace --report -c 10 $t4" "$x mtr -r -c 10 $t4")
[ -n "$trip" ] && cmds+=("$x $trip -m pretty -C 10 $t4")
hyperfine -N --output=pipe --runs 3 --export-json $data/trace-report.json "${cmds[@]}"

echo "== --mtu over the MTU-1280 link (r5 - r6)"
ip -n "$(ns 5)" link set r0 mtu 1280
ip -n "$(ns 6)" link set l0 mtu 1280
flush="ip -n $(ns 0) route flush cache"
flush6="ip -n $(ns 0) -6 route flush cache"
# "HOP PMTU" where the path narrowed: ipkit's `F=1280` hop, tracepath's
# `pmtu 1280` line (not its Resume: line), each after a flush.
for fam in 4 6; do
  t=$t4; [ $fam = 6 ] && t=$t6
  $flush; $flush6
  ours=$(in_ns 0 "$bin" trace --mtu -n "$t" | awk 'match($0, / F=[0-9]+/) { print $1, substr($0, RSTART + 3, RLENGTH - 3); exit }')
  $flush; $flush6
  theirs=$(in_ns 0 tracepath -n "$t" | awk '/pmtu [0-9]+/ && !/Resume/ && !/LOCALHOST/ { h = $1; sub(/[?:]+$/, "", h); for (i = 1; i < NF; i++) if ($i == "pmtu") print h, $(i + 1); exit }')
  if [ -z "$ours" ] || [ "$ours" != "$theirs" ]; then
    echo "FAIL: --mtu (IPv$fam): ipkit says '${ours}', tracepath '${theirs}' (hop pmtu)" >&2; exit 1
  fi
  echo "ok: ipkit --mtu and tracepath (IPv$fam): hop and pmtu '$ours'"
done
cmds=("$x $bin trace --mtu $t4" "$x tracepath $t4" "$x $bin trace --mtu $t6" "$x tracepath $t6")
hyperfine -N --output=pipe --warmup 1 --runs 5 --prepare "sh -c '$flush; $flush6'" \
  --export-json $data/trace-mtu.json "${cmds[@]}"
ip -n "$(ns 5)" link set r0 mtu 1500
ip -n "$(ns 6)" link set l0 mtu 1500

echo "== a destination that answers nothing"
deaf
for fam in 4 6; do
  t=$t4; [ $fam = 6 ] && t=$t6
  check ipkit silent $fam "$bin" trace -n "$t"
  check "traceroute -q1 -w1 -N32" silent $fam traceroute -n -q1 -w1 -N32 "$t"
done
check traceroute silent 4 traceroute -n "$t4"
check mtr silent 4 mtr -r -n -c 1 "$t4"
[ -n "$trip" ] && check trippy silent 4 "$trip" -m pretty -C 1 "$t4"
cmds=("$x $bin trace $t4" "$x traceroute $t4" "$x traceroute -q1 -w1 -N32 $t4"
      "$x mtr -r -c 1 $t4" "$x $bin trace $t6")
[ -n "$trip" ] && cmds+=("$x $trip -m pretty -C 1 $t4")
# ipkit exits 1 here (not reached): -i keeps hyperfine going.
hyperfine -N -i --output=pipe --runs 2 --export-json $data/trace-silent.json "${cmds[@]}"

python3 - $data/trace-reached.json $data/trace-report.json $data/trace-mtu.json $data/trace-silent.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"]
    ours = r[0]["median"]
    print(f"-- {path}")
    for x in r:
        words = x["command"].split()[4:]  # past "ip netns exec NAME"
        words[0] = words[0].rsplit("/", 1)[-1]
        cmd = " ".join(words)
        print(f"{cmd[:50]:50s} median {x['median']:7.3f} s   ipkit/this {ours / x['median']:6.3f}")
PY
