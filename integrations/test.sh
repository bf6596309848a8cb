#!/usr/bin/env bash
# Builds and tests the Rust framework integrations (jwt-audit-axum, jwt-audit-actix): the shared
# HTTP scenarios against real servers on 127.0.0.1:0, the tracing JSON output, every shared
# conformance vector through each adapter, doc tests; examples and benches are compiled (benches
# run once as tests). Needs only a Rust toolchain and crates.io.
set -euo pipefail
cd "$(dirname "$0")"
cargo test -p jwt-audit-axum -p jwt-audit-actix --all-targets
cargo test -p jwt-audit-axum -p jwt-audit-actix --doc
