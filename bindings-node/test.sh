#!/usr/bin/env bash
# Builds the Node binding and runs all its tests: node --test (Verifier API, Express 4/5 over
# HTTP from CJS and ESM, every shared vector vs the Rust core, the README example, install from
# the source directory and from the packed tarball), tsc --noEmit over the type tests, and one
# short round of each benchmark.
# Needs Rust (cargo) and Node >= 20 with npm; installs everything else from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"

# napi builds for an explicit --target (target/<host>/release); build everything else there too,
# so the example and the from-source install test reuse the compiled dependencies.
CARGO_BUILD_TARGET="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_BUILD_TARGET

echo "== npm install from package-lock.json (dev tools: @napi-rs/cli, express 4 and 5, typescript, ...)"
# Not `npm ci`: npm 11 rejects this lockfile there because @napi-rs/cli's optional
# @napi-rs/lzma-* platform packages (engines: node >= 22) are not all recorded; `npm install`
# still installs the locked versions. --ignore-scripts: the package's own install hook builds
# without the napi CLI; here the addon is built below.
npm install --ignore-scripts --no-audit --no-fund

echo "== napi build --release"
npx napi build --platform --release --output-dir native

echo "== Rust oracle for the shared vectors"
cargo build --release --quiet -p jwt-audit-vector-oracle

echo "== node --test"
node --test test/*.test.js test/*.test.mjs

echo "== tsc --noEmit"
npx tsc --noEmit -p test/types

echo "== benchmarks, one short round each (they run; timings here mean nothing)"
node bench/bench.js --rounds 1 --ms 5 >/dev/null
node bench/breakdown.js --rounds 1 --ms 5 >/dev/null
echo "bindings-node: all tests passed"
