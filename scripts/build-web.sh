#!/usr/bin/env bash
# Builds the browser viewer into client/dist (served by the server at /): the client crate
# for wasm32 (size-tuned profile), wasm-bindgen's JS glue, and .br/.gz copies beside each
# file so the server can send them precompressed. No wasm-opt: Debian's binaryen 108 saved
# 0.1 % and broke the module's reference-typed table (docs/PERFORMANCE.md, P8).
# WEB_PROFILE=web-release (default, size-tuned) or dev (faster to build, larger).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

profile=${WEB_PROFILE:-web-release}
need_build_tools
if command -v dpkg-query >/dev/null 2>&1; then
  need_packages brotli gzip
fi
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, "", $0); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none})"
  # --locked first (the versions its authors tested); the registry mirror may lack one of
  # them, and then the newest compatible versions do.
  # --force: cargo's own record may say it is installed while the binary is gone.
  cargo install --force --locked --quiet wasm-bindgen-cli --version "$want" 2>/dev/null \
    || cargo install --force --quiet wasm-bindgen-cli --version "$want"
fi

say "building the viewer for wasm32 ($profile)"
cargo build --locked -p village-client --bin village-viewer --target wasm32-unknown-unknown --profile "$profile"
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$dir/village-viewer.wasm"

out=client/dist
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$out.tmp" --out-name village-viewer "$wasm"
# The page, its stylesheet and start script (files, not inline: the page's CSP allows
# scripts and styles from the server only).
cp client/web/index.html client/web/start.js client/web/village.css "$out.tmp/"
for f in "$out.tmp"/*.wasm "$out.tmp"/*.js "$out.tmp"/*.html "$out.tmp"/*.css; do
  gzip -9 -k -f "$f"
  brotli -q 9 -k -f "$f"
done
rm -rf "$out" && mv "$out.tmp" "$out"
raw=$(stat -c %s "$out/village-viewer_bg.wasm")
br=$(stat -c %s "$out/village-viewer_bg.wasm.br")
gz=$(stat -c %s "$out/village-viewer_bg.wasm.gz")
say "viewer built in $out: wasm $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip, $((br / 1024)) KiB brotli"
