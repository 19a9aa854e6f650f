#!/usr/bin/env bash
# Sets up whatever is missing and runs the village: the world server on 127.0.0.1:8080 with a
# SQLite database in ./data and a dozen generated residents walking and talking, and the web
# viewer at http://127.0.0.1:8080/ (built the first time; rebuild with scripts/build-web.sh).
#
# When a Docker engine answers (`docker info`), the first three residents live in containers:
# the server also serves its API on ./data/api/api.sock, and the agent runtime
# (`village-runtime`) runs each of them as root in its own hardened container on this machine
# as node sparky1, with the in-container agent (`village-agent`) thinking with a local model:
# llama.cpp's server with Qwen2.5-Coder-1.5B-Instruct on 127.0.0.1:8091 (VILLAGE_LLM_LOCAL=coder-0.5b
# for the smaller, faster, weaker one), installed and checked into /var/cache/aivillage/llm the
# first time (scripts/local-llm.sh; VILLAGE_LLM_URL points
# the gateway at your own OpenAI-compatible server instead). Without a model they fall back to
# the scripted brain. Without an engine every resident is driven in-process, and the script
# says so.
#
# Extra arguments go to `village serve` (e.g. --bind 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/local-llm.sh
# The village's default model: the 1.5B. In the operator benchmark it solved 8 of 21 tasks where
# the 0.5B solved none, at about twice the time to a first answer (docs/PERFORMANCE.md, A1). The
# test command keeps the 0.5B (scripts/local-llm.sh's default): its tests check the plumbing
# against a real model, and the 0.5B is half the download and twice as fast on CI's 2 cores.
export VILLAGE_LLM_LOCAL="${VILLAGE_LLM_LOCAL:-coder-1.5b}"

# Residents given to the runtime when Docker is reachable.
CONTAINER_AGENTS=3

need_build_tools
say "building the server (release; the first build takes a few minutes)"
cargo build --release --locked -p village-server
# Built the first time, and again when the viewer's or the protocol's sources changed since (an
# old viewer would not speak a newer server's protocol).
if [ ! -f client/dist/index.html ]; then
  say "building the web viewer (the first build takes a while: Bevy for wasm32, size-optimised)"
  ./scripts/build-web.sh
elif [ -n "$(find client/src client/web shared/src Cargo.lock -newer client/dist/index.html -print -quit)" ]; then
  say "rebuilding the web viewer: its sources changed since client/dist was built"
  ./scripts/build-web.sh
fi
village="$CARGO_TARGET_DIR/release/village"
# Where `--bind` puts the server: the address to open, and the one the runtime talks to.
bind="127.0.0.1:8080"
previous=""
for arg in "$@"; do
  case "$arg" in
    --bind=*) bind="${arg#--bind=}" ;;
    *) [ "$previous" = "--bind" ] && bind="$arg" ;;
  esac
  previous="$arg"
done
say "starting the village: open http://$bind/ in a browser — Ctrl-C stops it and saves every position"
say "reads are open; for writes create the first admin (README.md, 'Accounts, agents and the board'):"
say "  $village admin create --username admin --password-stdin"

# The gateway's models: the operator's server (VILLAGE_LLM_URL, its model VILLAGE_LLM_MODEL,
# VILLAGE_LLM_TOOL_CALLS native or json_schema), else the local one started here; when neither
# answers, no model is served and agents use the scripted brain.
start_village_llm() {
  if [ -n "${VILLAGE__LLM__MODELS:-}" ]; then
    say "the gateway's models come from VILLAGE__LLM__MODELS"
    return 0
  fi
  if [ -n "${VILLAGE_LLM_URL:-}" ]; then
    LOCAL_LLM_ALIAS="${VILLAGE_LLM_MODEL:?set VILLAGE_LLM_MODEL to the name of the model at VILLAGE_LLM_URL}"
    say "the gateway's models are served by $VILLAGE_LLM_URL ($LOCAL_LLM_ALIAS)"
    VILLAGE__LLM__MODELS=$(local_llm_gateway_models "$VILLAGE_LLM_URL" "${VILLAGE_LLM_TOOL_CALLS:-native}")
    export VILLAGE__LLM__MODELS
    return 0
  fi
  # A slot (and prompt cache) per container agent and one spare; half the cores.
  local threads=$(( $(nproc) / 2 ))
  [ "$threads" -ge 1 ] || threads=1
  if VILLAGE_LLM_SLOTS="${VILLAGE_LLM_SLOTS:-$((CONTAINER_AGENTS + 1))}" \
     VILLAGE_LLM_THREADS="${VILLAGE_LLM_THREADS:-$threads}" start_local_llm data/llm-server.log; then
    say "the local model answers at $LOCAL_LLM_URL (log: data/llm-server.log)"
    VILLAGE__LLM__MODELS=$(local_llm_gateway_models "$LOCAL_LLM_URL" json_schema)
    export VILLAGE__LLM__MODELS
  else
    say "no local model (see above): the agents decide with the scripted brain"
  fi
}

if ! docker info >/dev/null 2>&1; then
  say "no Docker engine answers ('docker info' failed): every resident lives in-process; start"
  say "dockerd and run this again to see agents living in containers"
  exec "$village" serve --demo-agents 12 "$@"
fi

say "a Docker engine answers: building the agent runtime and the in-container agent"
# busybox gives the agents' image a shell for their shell tool.
command -v dpkg-query >/dev/null 2>&1 && need_packages busybox-static
cargo build --release --locked -p village-runtime -p village-agent --bins
mkdir -p data/api
start_village_llm
password_file="$PWD/data/runtime-password"
if [ ! -s "$password_file" ]; then
  say "creating the runtime's account (its password is kept in $password_file)"
  (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$password_file")
  if ! "$village" admin create --username runtime --role runtime --password-stdin \
    < "$password_file"; then
    rm -f "$password_file"
    echo "the account 'runtime' exists but its password file is gone: give it a new password" >&2
    echo "or remove ./data to start a fresh village" >&2
    exit 1
  fi
fi

# CPU-only machines get the tier table without GPUs, so every tier can be placed here.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  export VILLAGE__ECONOMY__TIERS_FILE="$PWD/deploy/tiers/cpu_only.toml"
fi
export VILLAGE__SERVER__API_SOCKET="$PWD/data/api/api.sock"
export VILLAGE__DEMO__CONTAINER_AGENTS="$CONTAINER_AGENTS"
"$village" serve --demo-agents 12 "$@" &
server_pid=$!
runtime_pid=""
# The launcher leaves containers running when it stops (a restarted launcher adopts them);
# this script also stops the ones it started (SIGTERM: each agent finishes its step) and
# removes them; their workspace volumes, with each agent's memory, stay for the next run.
stop_all() {
  stop_local_llm
  [ -n "$runtime_pid" ] && kill -TERM "$runtime_pid" 2>/dev/null && wait "$runtime_pid" || true
  local mine
  mine=$(docker ps -aq --filter label=app=aivillage --filter label=aivillage.node=sparky1)
  if [ -n "$mine" ]; then
    docker stop -t 5 $mine >/dev/null || true
    docker rm $mine >/dev/null || true
  fi
  kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
}
trap stop_all EXIT INT TERM
until [ -S data/api/api.sock ]; do
  kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid"; exit 1; }
  sleep 0.2
done

# The Debian base of deploy/agent-image/build.sh, when one was built: agents get bash, curl,
# git and python3 instead of busybox.
base_archive=$(ls -t data/agent-image/agent-base-*.tar 2>/dev/null | head -1 || true)
[ -n "$base_archive" ] && base_archive="$PWD/$base_archive"
say "starting the agent runtime: $CONTAINER_AGENTS residents in containers on sparky1 (this machine);"
say "  'docker ps --filter label=app=aivillage' lists them; its metrics: http://127.0.0.1:9464/metrics"
say "  agent image base: ${base_archive:-none (busybox shell; deploy/agent-image/build.sh makes a Debian one)}"
VILLAGE_RUNTIME__IMAGE__BASE_ARCHIVE="$base_archive" \
VILLAGE_RUNTIME__SERVER__URL="http://$bind" \
VILLAGE_RUNTIME__SERVER__USERNAME=runtime \
VILLAGE_RUNTIME__SERVER__PASSWORD_FILE="$password_file" \
VILLAGE_RUNTIME__LAUNCH__API_SOCKET_DIR="$PWD/data/api" \
VILLAGE_RUNTIME__IMAGE__AGENT_BINARY="$CARGO_TARGET_DIR/release/village-agent" \
  "$CARGO_TARGET_DIR/release/village-runtime" &
runtime_pid=$!
wait "$server_pid"
