#!/usr/bin/env bash
# P7: the viewer with 10,000 moving agents. Builds the desktop viewer (release), runs the
# bench scene under Xvfb (Mesa's software renderer here; a real GPU elsewhere) with 0 agents
# (the baseline) and with AGENTS agents, and prints frame-time medians, p99s and their ratio;
# then the delta-apply bench (one tick of 10,000 moves through the headless viewer).
# FRAMES frames are timed after warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

agents=${AGENTS:-10000}
frames=${FRAMES:-300}
need_build_tools
need_viewer_packages
cargo build --release --locked -p village-client --bin village-viewer
viewer="$CARGO_TARGET_DIR/release/village-viewer"

display=${BENCH_DISPLAY:-:93}
if [ -z "${DISPLAY:-}" ]; then
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb 2>/dev/null || true' EXIT
  export DISPLAY=$display
  sleep 1
fi
run() { RUST_LOG=error "$viewer" --bench-agents "$1" --bench-frames "$frames" | tail -1; }
base=$(run 0)
full=$(run "$agents")
echo "baseline (0 agents):  $base"
echo "scene ($agents agents): $full"
python3 - "$base" "$full" <<'PY'
import json, sys
b, f = (json.loads(a) for a in sys.argv[1:3])
print(f"ratio {f['agents']} agents / empty: median {f['median_ms'] / b['median_ms']:.2f}x, "
      f"p99 {f['p99_ms'] / b['p99_ms']:.2f}x; {f['mean_fps']:.1f} fps with agents")
PY
cargo bench --locked -p village-client --bench delta_apply
