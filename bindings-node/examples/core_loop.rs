//! The Rust side of `bench/breakdown.js`: the core alone, in a Rust loop, on the tokens and the
//! configuration of the Node benchmark, so that the binding's own cost can be told apart from the
//! core's in the same run.
//!
//! `core_loop <case.json> <ms>`, where `case.json` is `{ "config": {...}, "tokens": [...] }`;
//! prints one JSON object: for `verify` alone and for `verify` + `AuditRecord::to_json`, the µs
//! per call in wall time and in this thread's CPU time.

use jwt_audit::{RequestContext, Verifier, VerifierConfig};
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, case, ms] = args.as_slice() else {
        eprintln!("usage: core_loop <case.json> <ms>");
        std::process::exit(2);
    };
    let case: Value = serde_json::from_str(&std::fs::read_to_string(case).expect("read the case"))
        .expect("the case is JSON");
    let config = VerifierConfig::from_js_value(case["config"].clone()).expect("config");
    let verifier = Verifier::new(config).expect("verifier");
    let tokens: Vec<String> = serde_json::from_value(case["tokens"].clone()).expect("tokens");
    let budget = Duration::from_millis(ms.parse().expect("ms"));
    let ctx = RequestContext::default();

    let verify = per_call(budget, &tokens, |t| {
        black_box(verifier.verify(t, &ctx));
    });
    let to_json = per_call(budget, &tokens, |t| {
        black_box(verifier.verify(t, &ctx).record().to_json());
    });
    println!("{}", json!({ "verify": verify, "verify_to_json": to_json }));
}

/// `{ wall, cpu }`: µs per call of `f` over the tokens in turn, for about `budget` after a
/// warm-up.
fn per_call(budget: Duration, tokens: &[String], mut f: impl FnMut(&str)) -> Value {
    for t in tokens.iter().cycle().take(1000) {
        f(t);
    }
    let (start, cpu_start) = (Instant::now(), thread_cpu());
    let mut n = 0usize;
    while start.elapsed() < budget {
        for t in tokens {
            f(t);
        }
        n += tokens.len();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    json!({ "wall": per(start.elapsed()), "cpu": per(thread_cpu() - cpu_start) })
}

/// CPU time of this thread (not inflated when other processes share the cores).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
