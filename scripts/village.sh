#!/usr/bin/env bash
# Sets up whatever is missing and runs the village: the world server on 127.0.0.1:8080 with a
# SQLite database in ./data and a dozen generated residents walking and talking, and the web
# viewer at http://127.0.0.1:8080/ (built the first time; rebuild with scripts/build-web.sh).
# Extra arguments go to `village serve` (e.g. --bind 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_build_tools
say "building the server (release; the first build takes a few minutes)"
cargo build --release --locked -p village-server
if [ ! -f client/dist/index.html ]; then
  say "building the web viewer (the first build takes a while: Bevy for wasm32, size-optimised)"
  ./scripts/build-web.sh
fi
say "starting the village: open http://127.0.0.1:8080/ in a browser — Ctrl-C stops it and saves every position"
say "reads are open; for writes create the first admin (README.md, 'Accounts, agents and the board'):"
say "  $CARGO_TARGET_DIR/release/village admin create --username admin --password-stdin"
exec "$CARGO_TARGET_DIR/release/village" serve --demo-agents 12 "$@"
