#!/usr/bin/env bash
# Sets up whatever is missing and runs the village: the world server on 127.0.0.1:8080 with a
# SQLite database in ./data and a dozen generated residents walking and talking.
# Extra arguments go to `village serve` (e.g. --bind 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_build_tools
say "building the server (release; the first build takes a few minutes)"
cargo build --release --locked -p village-server
say "starting the village on http://127.0.0.1:8080 — Ctrl-C stops it and saves every position"
say "reads are open; for writes create the first admin (README.md, 'Accounts, agents and the board'):"
say "  $CARGO_TARGET_DIR/release/village admin create --username admin --password-stdin"
exec "$CARGO_TARGET_DIR/release/village" serve --demo-agents 12 "$@"
