#!/usr/bin/env bash
# ipkit ping sweep vs fping over all 65,534 hosts of 127.0.0.0/16 (loopback
# only). Goal (issue 5): every host found, in at most 0.8x fping's time.
#
# "Every host found" is checked in the timed runs themselves: each run writes
# what it found to a file, and the next run's --prepare step (then the last
# check below) compares it with the 65,534 hosts; a difference, or a run that
# exits non-zero, fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
data=bench/data
if [ "${1:-}" = --check ]; then
  # --check FILE: FILE (if a run left it) lists exactly the hosts of the range.
  [ -e "$2" ] || exit 0
  if ! sort -V "$2" | cmp -s - $data/ping-expected.txt; then
    echo "FAIL: $2 does not list the 65,534 hosts of 127.0.0.0/16 ($(wc -l < "$2") lines)" >&2
    exit 1
  fi
  rm -f "$2"
  exit 0
fi
. bench/lib.sh
need hyperfine hyperfine
need fping fping
cargo build --release -q -p ipkit-cli
bin=$PWD/target/release/ipkit
mkdir -p $data
python3 -c 'print("\n".join(f"127.0.{i >> 8}.{i & 255}" for i in range(1, 65535)))' > $data/ping-expected.txt
ours="$data/ping-ipkit.txt"
theirs="$data/ping-fping.txt"
rm -f "$ours" "$theirs"
hyperfine -N --output=pipe --warmup 2 --runs 10 --export-json $data/ping.json \
  --prepare "bash bench/ping.sh --check $ours" \
  "bash -c '$bin ping --alive --rate 0 127.0.0.0/16 > $ours'" \
  --prepare "bash bench/ping.sh --check $theirs" \
  "bash -c 'fping -g 127.0.0.0/16 -a -q -i 0 -r 0 > $theirs'"
# The last run of each: nothing came after it to check it.
bash bench/ping.sh --check "$ours"
bash bench/ping.sh --check "$theirs"
echo "ok: in every run, ipkit and fping found all 65,534 hosts"
python3 - $data/ping.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"{x['command'][:70]:70s} median {x['median']:.3f} s")
print(f"ratio ipkit/fping: {r[0]['median']/r[1]['median']:.2f}")
PY
