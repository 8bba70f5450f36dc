#!/usr/bin/env bash
# ipkit trace --live vs mtr's curses view (mtr -t), side by side: CPU used
# over 60 s at mtr's pace (one round a second: ipkit's default --interval,
# one probe per hop and round, as mtr) on a 30-hop path — a chain of
# namespaces (client, 29 routers, server; IPv4; unique names, removed on
# exit; nothing leaves them). Each tool runs in its own tmux pane (a real
# terminal, 100x45 so all 30 hops are on screen); before measuring, both
# screens must show hop 30's address (the server), else the run fails.
# CPU: utime+stime of the tool's process from /proc over the 60 s window.
#
#   sudo bash bench/live.sh            # builds ipkit --release first
#   IPKIT_BIN=target/debug/ipkit sudo -E bash bench/live.sh
#   SECONDS_MEASURED=20 sudo -E bash bench/live.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/live.sh: needs root (network namespaces)" >&2; exit 1; }
need tmux tmux
need mtr mtr-tiny
if [ -n "${IPKIT_BIN:-}" ]; then
  bin=$(realpath "$IPKIT_BIN")
else
  cargo build --release -q -p ipkit-cli
  bin=$PWD/target/release/ipkit
fi
window=${SECONDS_MEASURED:-60}
hops=30
last=$hops # node index of the server
p=ipkit-bench-live-$$
sock=ipkit-bench-live-$$
ns() { echo "$p-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for i in $(seq 0 $last); do
    ip netns del "$(ns "$i")" 2>/dev/null || true
    rm -rf "/etc/netns/$(ns "$i")"
  done
}
trap cleanup EXIT
for i in $(seq 0 $last); do
  mkdir -p "/etc/netns/$(ns "$i")"
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "/etc/netns/$(ns "$i")/resolv.conf"
  : > "/etc/netns/$(ns "$i")/hosts"
  ip netns add "$(ns "$i")"
  ip -n "$(ns "$i")" link set lo up
  in_ns "$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.icmp_ratemask=0
  [ "$i" -ge 1 ] && [ "$i" -lt $last ] && in_ns "$i" sysctl -qw net.ipv4.ip_forward=1
done
# Link j joins node j (10.X.Y.1) and node j+1 (.2) in 198.18.j.0/24.
for j in $(seq 0 $((last - 1))); do
  l=$(ns "$j"); r=$(ns $((j + 1)))
  ip link add r0 netns "$l" type veth peer name l0 netns "$r"
  ip -n "$l" addr add "198.18.$j.1/24" dev r0
  ip -n "$r" addr add "198.18.$j.2/24" dev l0
  ip -n "$l" link set r0 up
  ip -n "$r" link set l0 up
done
for k in $(seq 0 $last); do
  n=$(ns "$k")
  [ "$k" -lt $last ] && ip -n "$n" route add default via "198.18.$k.2"
  [ "$k" -eq $last ] && ip -n "$n" route add default via "198.18.$((k - 1)).1"
  if [ "$k" -lt $last ]; then
    for j in $(seq 0 $((k - 2))); do
      ip -n "$n" route add "198.18.$j.0/24" via "198.18.$((k - 1)).1"
    done
  fi
done
server=198.18.$((last - 1)).2
for _ in $(seq 50); do in_ns 0 ping -c1 -W1 "$server" >/dev/null 2>&1 && break; sleep 0.2; done

# CPU ticks (utime + stime) of a pid.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

# measure NAME COMMAND...: run it in a tmux pane in the client namespace,
# wait for hop 30 on screen, then take CPU over the window; prints percent.
measure() {
  local name=$1; shift
  tmux -f /dev/null -L "$sock" new-session -d -s "$name" -x 100 -y 45 \
    ip netns exec "$(ns 0)" env NO_COLOR=1 TERM=xterm-256color "$@"
  local pane_pid pid=""
  pane_pid=$(tmux -L "$sock" display-message -p -t "$name" '#{pane_pid}')
  pid=$pane_pid
  local ok=""
  for _ in $(seq 150); do
    if tmux -L "$sock" capture-pane -p -t "$name" | grep -Eq "^ *$hops\.?[ |-]+.*$server( |$)"; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { echo "bench/live.sh: $name never showed hop $hops ($server):" >&2; tmux -L "$sock" capture-pane -p -t "$name" >&2; exit 1; }
  local a b
  a=$(ticks "$pid")
  sleep "$window"
  b=$(ticks "$pid")
  tmux -L "$sock" capture-pane -p -t "$name" > "/tmp/$p-$name.screen"
  tmux -L "$sock" kill-session -t "$name"
  python3 -c "print(f'{100 * ($b - $a) / $tck / $window:.2f}')"
}
ipkit_cpu=$(measure ipkit "$bin" trace --live -n "$server")
mtr_cpu=$(measure mtr mtr -t -n "$server")
echo "30 hops, 1 round/s, ${window} s, CPU % of one core:"
echo "  ipkit trace --live -n   $ipkit_cpu %"
echo "  mtr -t -n               $mtr_cpu %"
python3 -c "a, b = $ipkit_cpu, $mtr_cpu; print(f'  ratio ipkit/mtr         {a / b:.2f}' if b > 0 else '  ratio: mtr used no measurable CPU')"
echo "ipkit's redraw: every 100 ms (10 frames/s) and on each key (crates/ipkit-cli/src/cmd/trace/live.rs FRAME)"
echo "how fast it can draw (30 hops, 10,000 rounds): bash bench/live_frames.sh"
