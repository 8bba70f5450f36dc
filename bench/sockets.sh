#!/usr/bin/env bash
# ipkit sockets vs ss/netstat/lsof/fuser with 2k, 20k and 60k loopback TCP
# sockets (N connections = 2N sockets, spread over processes by
# sockets_load.py). Goals (issue 6): `ipkit sockets --tcp` with owners in
# <= 0.25x `ss -tanp`'s time and linear in the socket count; the owner of
# one port among 60k in <= 0.5x ss's time; memory bounded by the answer.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine hyperfine
need ss iproute2
need netstat net-tools
need lsof lsof
need fuser psmisc
need python3 python3
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
data=bench/data; mkdir -p $data
# Each stage runs in a fresh network namespace: no TIME_WAIT left from the
# stage before, none of the host's own sockets.
ns=ipkit-bench-$$
cleanup() { ip netns del $ns 2>/dev/null || true; }
trap cleanup EXIT
for connections in 1000 10000 30000; do
  sockets=$((connections * 2))
  cleanup; ip netns add $ns; ip -n $ns link set lo up
  coproc LOAD { ip netns exec $ns python3 bench/sockets_load.py $connections; }
  read -r ready <&"${LOAD[0]}"
  echo "== $sockets sockets (load: ${ready#ready })"
  # Same answer: every TCP socket and its owner, ipkit vs ss.
  in_ns="ip netns exec $ns"
  got=$($in_ns "$bin" sockets --tcp --json | grep -c '"type":"socket"')
  want=$($in_ns ss -tanH | wc -l)
  echo "sockets listed: ipkit $got, ss $want"
  owned=$($in_ns "$bin" sockets --tcp --json | grep '"type":"socket"' | grep -vc '"owners":\[\]' || true)
  ss_owned=$($in_ns ss -tanpH | grep -c 'users:' || true)
  echo "with an owner: ipkit $owned, ss $ss_owned"
  if [ "$got" != "$want" ] || [ "$owned" != "$ss_owned" ]; then
    echo "FAIL: ipkit and ss disagree on the sockets or their owners" >&2
    exit 1
  fi
  $in_ns /usr/bin/time -f "ipkit sockets --tcp: max RSS %M KB" "$bin" sockets --tcp > /dev/null
  cmds=("$bin sockets --tcp" "ss -tanp" "$bin sockets --tcp --no-owners" "ss -tan")
  if [ $connections -eq 30000 ]; then
    cmds+=("netstat -tanp" "lsof -nP -iTCP" "$bin sockets --port 5150" "ss -ltnp 'sport = :5150'" "fuser 5150/tcp")
  fi
  # hyperfine itself runs in the namespace, so every command runs directly.
  $in_ns hyperfine -N --output=pipe --warmup 1 --runs 5 --export-json $data/sockets-$sockets.json "${cmds[@]}" > /dev/null
  python3 - $data/sockets-$sockets.json "$bin" <<'PY'
import json, sys
r = {x["command"].replace(sys.argv[2], "ipkit"): x["median"] for x in json.load(open(sys.argv[1]))["results"]}
for c, t in r.items(): print(f"  {c:45s} median {t:.3f} s")
ip = "ipkit sockets --tcp"
print(f"  ratio ipkit/ss -tanp: {r[ip] / r['ss -tanp']:.2f}")
port = [c for c in r if c == "ipkit sockets --port 5150"]
ss_port = [c for c in r if c.startswith("ss -ltnp")]
if port and ss_port:
    print(f"  ratio port query ipkit/ss: {r[port[0]] / r[ss_port[0]]:.2f}")
PY
  exec {LOAD[1]}>&-
  wait
done
