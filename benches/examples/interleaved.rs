//! Interleaved A/B timing of the `verify_<alg>` comparisons: for every algorithm, rounds of
//! `jwt_audit`, `jsonwebtoken` and `signature_only` alternate, so load from other processes on a
//! shared machine hits all three alike. Prints the median and the minimum (the least disturbed
//! round) per implementation, in µs per verification, and the ratios of both. Then the same for
//! HS256 `verify` with a no-op sink against `verify` with `NonBlocking(JsonLinesSink(file))` on a
//! temporary file (the file is emptied and the queue drained between rounds, outside the timing).
//!
//! `cargo run --release -p jwt-audit-benches --example interleaved [rounds]`

use jwt_audit::sink::{AuditSink, JsonLinesSink, NonBlocking, Overflow};
use jwt_audit_benches::{Alg, Fixture, verifier_builder};
use std::fs::OpenOptions;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// Verifications per round and implementation.
const BATCH: u32 = 200;

fn per_call_us(f: &dyn Fn() -> bool) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(BATCH)
}

/// Alternates rounds of each implementation; returns (median, minimum) µs per call of each.
fn interleave<const N: usize>(
    rounds: usize,
    impls: [&dyn Fn() -> bool; N],
    between: &dyn Fn(),
) -> [(f64, f64); N] {
    for i in &impls {
        assert!(i(), "fixture verifies");
        per_call_us(*i);
    }
    let mut times: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(rounds));
    for _ in 0..rounds {
        for (t, i) in times.iter_mut().zip(&impls) {
            t.push(per_call_us(*i));
            between();
        }
    }
    times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        (t[t.len() / 2], t[0])
    })
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    println!(
        "µs per verification, median of {rounds} interleaved rounds of {BATCH} (minimum in brackets)"
    );
    println!(
        "{:<6} {:>16} {:>16} {:>16} | {:>12} {:>12}",
        "alg", "jwt_audit", "jsonwebtoken", "signature_only", "audit/jwt", "audit/sig"
    );
    for alg in Alg::ALL {
        let f = Fixture::new(alg);
        let [(am, an), (jm, jn), (sm, sn)] = interleave(
            rounds,
            [
                &|| f.audit().is_accepted(),
                &|| f.bare_decode().is_ok(),
                &|| f.signature_only(),
            ],
            &|| {},
        );
        println!(
            "{:<6} {:>16} {:>16} {:>16} | {:>12} {:>12}",
            alg.name(),
            format!("{am:.3} [{an:.3}]"),
            format!("{jm:.3} [{jn:.3}]"),
            format!("{sm:.3} [{sn:.3}]"),
            format!("{:.2} [{:.2}]", am / jm, an / jn),
            format!("{:.2} [{:.2}]", am / sm, an / sn),
        );
    }

    let f = Fixture::new(Alg::HS256);
    let path = tempfile::NamedTempFile::new()
        .expect("temporary file")
        .into_temp_path();
    let sink = Arc::new(NonBlocking::new(
        JsonLinesSink::file(&path).expect("open"),
        64 * 1024,
        Overflow::Block,
    ));
    let truncate = OpenOptions::new().write(true).open(&path).expect("reopen");
    let to_file = verifier_builder(Alg::HS256)
        .shared_sink(sink.clone())
        .build()
        .expect("verifier");
    let [(nm, nn), (fm, fn_)] = interleave(
        rounds,
        [&|| f.audit().is_accepted(), &|| {
            to_file.verify(&f.token, &f.ctx).is_accepted()
        }],
        &|| {
            sink.flush().expect("flush");
            truncate.set_len(0).expect("truncate");
        },
    );
    assert_eq!(sink.losses(), Default::default());
    println!(
        "HS256 verify, no-op sink {nm:.3} [{nn:.3}] µs; NonBlocking(JsonLinesSink(file)) {fm:.3} [{fn_:.3}] µs; added {:.3} [{:.3}] µs",
        fm - nm,
        fn_ - nn
    );
}
