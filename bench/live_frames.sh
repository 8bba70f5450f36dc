#!/usr/bin/env bash
# ipkit trace --live's frame rate: the whole screen (table, AS and country
# columns, tab-less title, detail pane with sparkline, histogram and
# responders) drawn N times on ratatui's TestBackend at 100x45 from a
# LiveTrace of 30 hops after 10,000 rounds (each hop's history full), in a
# release build. This is ipkit's own figure: no anchor draws this screen
# (mtr and trippy redraw on their own clocks), so there is no ratio.
# The issue's goal: >= 10 frames/s (the view redraws every 100 ms).
#
#   bash bench/live_frames.sh              # 2,000 frames
#   IPKIT_FRAMES=10000 bash bench/live_frames.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
IPKIT_FRAMES=${IPKIT_FRAMES:-2000} cargo test --release -q -p ipkit-cli --bin ipkit \
  live::trace::tests::frame_rate_of_thirty_hops_and_ten_thousand_rounds \
  -- --ignored --exact --nocapture 2>&1 | grep -E '^frames:|test result|panicked|FAILED'
