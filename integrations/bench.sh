#!/usr/bin/env bash
# Measures what a request pays for the axum layer / actix middleware beyond `Verifier::verify`:
# criterion benches (same run) of verify alone, an in-process request without the layer, and the
# same request with it. Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")"
target=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
args=(--warm-up-time 2 --measurement-time "${MEASUREMENT_TIME:-5}")
cargo bench -p jwt-audit-axum --bench layer_overhead -- "${args[@]}"
cargo bench -p jwt-audit-actix --bench middleware_overhead -- "${args[@]}"
python3 - "$target/criterion" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
def est(group, name):
    e = json.loads((root / group / name / "new" / "estimates.json").read_text())
    return e["median"]["point_estimate"] / 1000.0  # µs
print("| framework | verify alone | request without layer | request with layer | layer overhead beyond verify | with layer / verify alone |")
print("|---|---|---|---|---|---|")
rows = []
for group, without, with_ in [("axum", "without_layer", "with_layer"),
                              ("actix", "without_middleware", "with_middleware")]:
    v, wo, w = est(group, "verify_alone"), est(group, without), est(group, with_)
    overhead = w - wo - v
    print(f"| {group} | {v:.2f} µs | {wo:.2f} µs | {w:.2f} µs | {overhead:.2f} µs ({overhead / v:.0%} of verify) | {w / v:.2f}x |")
pattern = est("actix", "match_pattern") - est("actix", "without_middleware")
print(f"\nOf the actix overhead, `HttpRequest::match_pattern()` (route pattern for the record) takes {pattern:.2f} µs.")
PY
