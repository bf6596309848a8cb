#!/usr/bin/env bash
# Builds @jwt-audit/wasm and runs all its tests: every vector under Node (records equal to the
# native core's), the JS API, the example Worker in workerd (miniflare), every vector and the
# example page in headless Chromium, and the TypeScript declarations.
# Installs what a fresh Debian machine with Rust, Node 20 and npm lacks. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

rustup target add wasm32-unknown-unknown >/dev/null

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' ../Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $want" ]; then
  cargo install wasm-bindgen-cli --version "$want" # not --locked: its locked deps no longer resolve
fi

npm ci --no-audit --no-fund

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update
  $sudo apt-get install -y chromium
fi

./build.sh

# The native core's records for every vector: what the WASM records must equal.
mkdir -p tests/.out
cargo run -q -p jwt-audit-vector-oracle -- ../tests/vectors > tests/.out/rust-records.json

node examples/node/quickstart.mjs
npx --no-install tsc -p tests/types
node --test tests/*.test.mjs
