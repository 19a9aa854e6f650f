#!/usr/bin/env bash
# Runs the whole test suite as CI does: formatting, lints, the wasm32 builds of the protocol
# crate and the viewer, every unit and integration test (on SQLite and on a throwaway
# PostgreSQL cluster it starts and removes; the agent runtime's against the machine's Docker
# engine, started if needed; the real-model tests against the local model it starts on
# loopback, scripts/local-llm.sh), the API contract check (scripts/api-contract.sh), and a quick run
# of each benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/local-llm.sh

need_build_tools
need_viewer_packages
need_docker
# gVisor, for the test that runs a tier's agents in its sandbox (on a second engine of its own).
command -v dpkg-query >/dev/null 2>&1 && need_packages runsc
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

started=$(date +%s)
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
say "the shared protocol crate builds for wasm32"
cargo build --locked -p village-shared --target wasm32-unknown-unknown
say "the viewer builds for wasm32"
cargo check --locked -p village-client --target wasm32-unknown-unknown
say "the web viewer in client/dist (the headless-Chromium test loads it from a real server)"
./scripts/build-web.sh
say "a throwaway PostgreSQL cluster for the store and API tests"
start_test_postgres
# One thread: two collapse while cargo shares the two cores (docs/adr/0017-local-model.md).
say "the local model for the tests that call a real one (llama.cpp, Qwen2.5-Coder 0.5B, one thread)"
llm_dir=$(mktemp -d /tmp/village-llm.XXXXXX)
VILLAGE_LLM_PORT=$(free_local_port) VILLAGE_LLM_THREADS=1 VILLAGE_LLM_SLOTS=2 \
  start_local_llm "$llm_dir/server.log"
trap 'stop_test_postgres; stop_local_llm; rm -rf "$llm_dir"' EXIT
export VILLAGE_TEST_LLM_URL="$LOCAL_LLM_URL" VILLAGE_TEST_LLM_MODEL="$LOCAL_LLM_ALIAS"
# `cargo test` also builds the desktop viewer, which the Xvfb test runs against a real server
# (a separate `cargo build` of it would compile Bevy a second time with other features).
say "cargo test (the Docker tests use the machine's engine)"
cargo test --locked --workspace
# The debug `village` that `cargo test` built: the OpenAPI document it serves is validated and
# the server fuzzed against it (a minute or two; see docs/API.md, "The contract check").
say "the API contract: openapi-spec-validator and schemathesis against a real server"
./scripts/api-contract.sh
say "benchmarks, quick mode (figures: see docs/PERFORMANCE.md)"
VILLAGE_BENCH_QUICK=1 cargo test --locked -p village-server -p village-client -p village-runtime -p village-agent --benches
say "all checks passed in $(( $(date +%s) - started )) s"
