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
def per_iter(group, name):
    """Per-iteration times (µs) of every criterion sample: (fastest sample, median sample).
    On a shared, loaded VM interference only ever adds time, so the fastest sample is the
    steadier figure; the median is shown beside it."""
    s = json.loads((root / group / name / "new" / "sample.json").read_text())
    t = sorted(time / iters / 1000.0 for time, iters in zip(s["times"], s["iters"]))
    return t[0], t[len(t) // 2]
print("| framework | statistic | verify alone | request without layer | request with layer | layer overhead beyond verify | with layer / verify alone |")
print("|---|---|---|---|---|---|---|")
for group, without, with_ in [("axum", "without_layer", "with_layer"),
                              ("actix", "without_middleware", "with_middleware")]:
    v, wo, w = per_iter(group, "verify_alone"), per_iter(group, without), per_iter(group, with_)
    for i, stat in enumerate(["fastest sample", "median sample"]):
        overhead = w[i] - wo[i] - v[i]
        print(f"| {group} | {stat} | {v[i]:.2f} µs | {wo[i]:.2f} µs | {w[i]:.2f} µs "
              f"| {overhead:.2f} µs ({overhead / v[i]:.0%} of verify) | {w[i] / v[i]:.2f}x |")
pattern = [p - wo for p, wo in zip(per_iter("actix", "match_pattern"), per_iter("actix", "without_middleware"))]
print(f"\nOf the actix overhead, `HttpRequest::match_pattern()` (the route pattern for the record) "
      f"takes {pattern[0]:.2f} µs (fastest) / {pattern[1]:.2f} µs (median).")
PY
