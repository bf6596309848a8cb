#!/usr/bin/env bash
# Installs every tool the tests need (idempotent) and runs every test of every component.
# This is the README's test command; .ci/run calls it on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

steps=0
step() { steps=$((steps + 1)); printf '\n==> %s\n' "$*"; }

step "Rust toolchain pieces"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown

step "Python packages for the vector generator check"
python3 -m pip install --quiet --disable-pip-version-check "cryptography>=42"

step "Formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests (core, CLI, integrations; bindings' crates build here too)"
cargo test --workspace

step "The core builds for wasm32-unknown-unknown"
cargo build -p jwt-audit --target wasm32-unknown-unknown

step "Shared vectors are in sync with their generator"
python3 tests/vectors/generate.py --check

# Each component ships its own test.sh that installs what it needs and runs its tests.
for component in cli integrations benches bindings-node bindings-python bindings-wasm; do
  if [[ -f "$component/test.sh" ]]; then
    step "$component"
    bash "$component/test.sh"
  fi
done

printf '\n==> All tests passed\nsteps: %d passed, 0 failed\n' "$steps"
