#!/usr/bin/env bash
# Builds the npm package's WebAssembly outputs:
#   pkg/web/   ES module, explicit init (browsers, Cloudflare Workers / workerd)
#   pkg/node/  CommonJS, loads the module synchronously (Node)
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli of the Cargo.lock version, and
# `npm ci` (wasm-opt from npm binaryen). test.sh installs all three.
set -euo pipefail
cd "$(dirname "$0")"

target_dir=$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
cargo build -p jwt-audit-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/jwt_audit_wasm.wasm"

rm -rf pkg
wasm-bindgen --target web --out-dir pkg/web "$wasm"
wasm-bindgen --target nodejs --out-dir pkg/node "$wasm"
# The package is "type": "module"; the Node build is CommonJS, and so must be its copy of the
# JS snippet (js/handoff.js ends with one `export { … };` line for this).
echo '{ "type": "commonjs" }' > pkg/node/package.json
for f in pkg/node/snippets/*/js/handoff.js; do
  sed -i 's/^export { \(.*\) };$/module.exports = { \1 };/' "$f"
  grep -q '^module.exports = ' "$f"
done

# wasm-opt from npm binaryen (Debian's binaryen 108 produces modules that throw at init).
for dir in web node; do
  npx --no-install wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "pkg/$dir/jwt_audit_wasm_bg.wasm" -o "pkg/$dir/jwt_audit_wasm_bg.wasm" &
done
wait

size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
opt="pkg/web/jwt_audit_wasm_bg.wasm"
printf 'wasm-bindgen input %8d bytes\nafter wasm-opt -O3 %8d bytes, %d bytes gzip -9\n' \
  "$(size "$wasm")" "$(size "$opt")" "$(gz "$opt")" | tee pkg/SIZE.txt
