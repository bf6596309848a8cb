#!/usr/bin/env bash
# Builds the npm package's WebAssembly outputs:
#   pkg/web/   ES module, explicit init (browsers, Cloudflare Workers / workerd)
#   pkg/node/  CommonJS, loads the module synchronously (Node)
# `./build.sh --bench` builds instead bench/.out/node/ and bench/.out/web/: the Node and web builds
# with the benchmark-only exports of src/bench.rs (cargo feature `bench`), which bench/bench.mjs
# (Node) and bench/floor.mjs (workerd) use to split a verification's cost; it leaves pkg/ alone.
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli of the Cargo.lock version, and
# `npm ci` (wasm-opt from npm binaryen). test.sh installs all three.
set -euo pipefail
cd "$(dirname "$0")"

features=()
outputs=(web:pkg/web nodejs:pkg/node)
if [ "${1:-}" = --bench ]; then
  features=(--features bench)
  outputs=(nodejs:bench/.out/node web:bench/.out/web)
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
# `+simd128` (WebAssembly SIMD: every current browser, Safari from 16.4, workerd, Node): sha2's
# SIMD backend hashes a 64-byte block in ~2/3 of the time of its portable one.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
  cargo build -p jwt-audit-wasm --target wasm32-unknown-unknown --profile wasm-release "${features[@]}"
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/jwt_audit_wasm.wasm"

# wasm-bindgen, then wasm-opt from npm binaryen (Debian's binaryen 108 produces modules that throw
# at init).
bindgen() {
  local target=$1 dir=$2
  rm -rf "$dir"
  wasm-bindgen --target "$target" --out-dir "$dir" "$wasm"
  if [ "$target" = nodejs ]; then
    # The package is "type": "module"; the Node build is CommonJS, and so must be its copy of the
    # JS snippet (src/handoff.js ends with one `export { … };` line for this).
    echo '{ "type": "commonjs" }' > "$dir/package.json"
    for f in "$dir"/snippets/*/src/handoff.js; do
      sed -i 's/^export { \(.*\) };$/module.exports = { \1 };/' "$f"
      grep -q '^module.exports = ' "$f"
    done
  fi
  npx --no-install wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$dir/jwt_audit_wasm_bg.wasm" -o "$dir/jwt_audit_wasm_bg.wasm"
}
pids=()
for output in "${outputs[@]}"; do
  bindgen "${output%%:*}" "${output#*:}" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

[ "${1:-}" = --bench ] && exit 0
size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
opt="pkg/web/jwt_audit_wasm_bg.wasm"
printf 'wasm-bindgen input %8d bytes\nafter wasm-opt -O3 %8d bytes, %d bytes gzip -9\n' \
  "$(size "$wasm")" "$(size "$opt")" "$(gz "$opt")" | tee pkg/SIZE.txt
