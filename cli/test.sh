#!/usr/bin/env bash
# Builds and tests the `jwt-audit` CLI: integration tests run the real binary for every
# subcommand, exit status and error path; the demo's records are validated against
# schema/audit-record.v1.json; every shared vector goes through `verify`.
# Needs only Rust (and the repository's schema/ and tests/vectors/). Idempotent; any cwd.
set -euo pipefail
cd "$(dirname "$0")"

if command -v rustup > /dev/null; then
  rustup component add clippy rustfmt 2> /dev/null || true
fi

cargo build -p jwt-audit-cli
cargo test -p jwt-audit-cli
cargo clippy -p jwt-audit-cli --all-targets -- -D warnings
cargo fmt -p jwt-audit-cli --check

# The README's "run it" command, end to end, in a release build: it must finish well under 2 s.
cargo build --release -p jwt-audit-cli
bin=../target/release/jwt-audit
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s%N)
"$bin" demo --quiet --out "$out"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "jwt-audit demo (release): ${elapsed_ms} ms, $(wc -l < "$out") records"
[ "$elapsed_ms" -lt 2000 ] || { echo "demo took ${elapsed_ms} ms (limit 2000)" >&2; exit 1; }
"$bin" summarize --bucket 1m "$out" > /dev/null
echo "cli: all tests passed"
