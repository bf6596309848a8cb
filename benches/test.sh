#!/usr/bin/env bash
# Tests of the bench fixtures, and every criterion bench run once in test mode (no timing).
set -euo pipefail
cd "$(dirname "$0")"
cargo test -p jwt-audit-benches
cargo test -p jwt-audit-benches --benches
