//! Interleaved timing of every comparison of the criterion benches, for noisy shared machines:
//! within a comparison, rounds of each implementation alternate, so load from other processes hits
//! all of them alike. Prints Markdown table rows: the median and, in brackets, the minimum (the
//! least disturbed round) in µs per call, and the ratios of both.
//!
//! The last line is CPU time rather than wall time: what the non-blocking JSON Lines sink costs per
//! record on the queueing thread and on its background thread (from `/proc/<task>/schedstat`,
//! Linux), so other load on the machine does not enter it.
//!
//! `cargo run --release -p jwt-audit-benches --example interleaved [rounds]`

use jwt_audit::AuditRecord;
use jwt_audit::sink::{AuditSink, JsonLinesSink, NonBlocking, Overflow};
use jwt_audit::{FailureKind, config::DEFAULT_MAX_TOKEN_BYTES};
use jwt_audit_benches::{
    Alg, Fixture, claims, now, parse_header_and_payload, sign, tamper_signature, verifier_builder,
};
use std::fs::OpenOptions;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Calls per round and implementation.
const BATCH: u32 = 200;

fn per_call_us(f: &dyn Fn() -> bool) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(BATCH)
}

/// Median and minimum µs per call.
#[derive(Clone, Copy)]
struct Stat {
    median: f64,
    min: f64,
}

impl Stat {
    fn cell(self) -> String {
        format!("{:.3} [{:.3}]", self.median, self.min)
    }
    fn ratio(self, base: Stat) -> String {
        format!(
            "{:.2} [{:.2}]",
            self.median / base.median,
            self.min / base.min
        )
    }
}

/// Alternates `rounds` rounds of each implementation (`between` runs after each, untimed).
fn interleave<const N: usize>(
    rounds: usize,
    impls: [&dyn Fn() -> bool; N],
    between: &dyn Fn(),
) -> [Stat; N] {
    for i in &impls {
        assert!(i(), "every implementation gives the expected answer");
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
        Stat {
            median: t[t.len() / 2],
            min: t[0],
        }
    })
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    println!("µs per call: median of {rounds} interleaved rounds of {BATCH} calls [minimum]\n");

    println!(
        "| alg | jwt_audit | jsonwebtoken | signature_only | jwt_audit / jsonwebtoken | jwt_audit / signature_only |"
    );
    println!("|---|---|---|---|---|---|");
    for alg in Alg::ALL {
        let f = Fixture::new(alg);
        let [a, j, s] = interleave(
            rounds,
            [
                &|| f.audit().is_accepted(),
                &|| f.bare_decode().is_ok(),
                &|| f.signature_only(),
            ],
            &|| {},
        );
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            alg.name(),
            a.cell(),
            j.cell(),
            s.cell(),
            a.ratio(j),
            a.ratio(s)
        );
    }

    let hs = Fixture::new(Alg::HS256);
    let [parse, audit] = interleave(
        rounds,
        [&|| parse_header_and_payload(&hs.token).is_some(), &|| {
            hs.audit().is_accepted()
        }],
        &|| {},
    );
    println!(
        "\nparse (base64url + serde_json of header and payload): {}; jwt_audit HS256 {}; ratio {}",
        parse.cell(),
        audit.cell(),
        audit.ratio(parse)
    );

    let small = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1024);
    let large = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1024 * 1024);
    let too_large =
        |t: &str| hs.verifier.verify(t, &hs.ctx).failure_kind() == Some(FailureKind::TokenTooLarge);
    let [s, l] = interleave(
        rounds,
        [&|| too_large(&small), &|| too_large(&large)],
        &|| {},
    );
    println!(
        "oversized: limit + 1 KiB {}; limit + 1 MiB {}; ratio {}",
        s.cell(),
        l.cell(),
        l.ratio(s)
    );

    for (name, token, kind) in [
        (
            "bad_signature",
            tamper_signature(&hs.token),
            FailureKind::BadSignature,
        ),
        (
            "expired",
            sign(Alg::HS256, &claims(now() - 600)),
            FailureKind::Expired,
        ),
    ] {
        let f = Fixture::with_token(Alg::HS256, token);
        let [a, j] = interleave(
            rounds,
            [&|| f.audit().failure_kind() == Some(kind), &|| {
                f.bare_decode().is_err()
            }],
            &|| {},
        );
        println!(
            "rejected HS256 {name}: jwt_audit {}; jsonwebtoken {}; ratio {}",
            a.cell(),
            j.cell(),
            a.ratio(j)
        );
    }

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
    let [noop, file] = interleave(
        rounds,
        [&|| hs.audit().is_accepted(), &|| {
            to_file.verify(&hs.token, &hs.ctx).is_accepted()
        }],
        &|| {
            sink.flush().expect("flush");
            truncate.set_len(0).expect("truncate");
        },
    );
    assert_eq!(sink.losses(), Default::default());
    println!(
        "HS256 verify with a no-op sink {}; with NonBlocking(JsonLinesSink(file)) {}; added {:.3} [{:.3}]",
        noop.cell(),
        file.cell(),
        file.median - noop.median,
        file.min - noop.min
    );
    let template = hs.audit().record().clone();
    sink_cpu(rounds, &sink, &template, &|| {
        truncate.set_len(0).expect("truncate");
    });
}

/// CPU time used so far, in µs, by the thread at `task` (a `/proc` task directory), from its
/// `schedstat` (Linux).
fn cpu_us(task: &Path) -> Option<f64> {
    let stat = std::fs::read_to_string(task.join("schedstat")).ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e3)
}

/// The `/proc` task directory of the sink's background thread.
fn sink_thread() -> Option<PathBuf> {
    std::fs::read_dir("/proc/self/task").ok()?.find_map(|task| {
        let dir = task.ok()?.path();
        let name = std::fs::read_to_string(dir.join("comm")).ok()?;
        (name.trim() == "jwt-audit-sink").then_some(dir)
    })
}

/// CPU per record of `NonBlocking(JsonLinesSink(file))`, on the queueing thread and on the sink's
/// background thread: rounds of `BATCH` fresh records (cloned from a verified one just before
/// queueing, as `verify` builds them), each followed by a flush, alternating with the same loop
/// without the sink and with the loop that only encodes each record's JSON line (the part of the
/// queueing thread's cost that is the writer's). Prints the medians and the records per second
/// one core could sustain.
fn sink_cpu(
    rounds: usize,
    sink: &NonBlocking<JsonLinesSink<std::fs::File>>,
    template: &AuditRecord,
    between: &dyn Fn(),
) {
    let me = Path::new("/proc/thread-self");
    let (Some(_), Some(worker)) = (cpu_us(me), sink_thread()) else {
        println!("(sink CPU per record: needs /proc/<task>/schedstat)");
        return;
    };
    let cpu = |task: &Path| {
        // The kernel brings a running thread's count up to date only when it is switched out (or
        // at a scheduler tick, every few ms): yield first, so this thread's count includes
        // everything up to now. Without it, each round was charged for part of the work done
        // before it (the previous round's `between`, such as truncating the file).
        std::thread::yield_now();
        cpu_us(task).expect("schedstat")
    };
    /// What each round does with its records.
    #[derive(PartialEq)]
    enum Use {
        Nothing,
        Queue,
        Encode,
    }
    let uses = [Use::Nothing, Use::Queue, Use::Encode];
    let mut own: [Vec<f64>; 3] = Default::default();
    let mut background = Vec::new();
    let mut line = Vec::new();
    for _ in 0..rounds {
        for (what, times) in uses.iter().zip(&mut own) {
            let (start, start_bg) = (cpu(me), cpu(&worker));
            for i in 0..u64::from(BATCH) {
                let mut record = template.clone();
                record.duration_us = i;
                let record = Arc::new(record);
                match what {
                    Use::Nothing => {
                        black_box(&record);
                    }
                    Use::Queue => sink.record(&record).expect("queued"),
                    Use::Encode => {
                        line.clear();
                        record.write_json_line(&mut line);
                        black_box(&line);
                    }
                }
            }
            sink.flush().expect("flush");
            times.push((cpu(me) - start) / f64::from(BATCH));
            if *what == Use::Queue {
                background.push((cpu(&worker) - start_bg) / f64::from(BATCH));
            }
            between();
        }
    }
    assert_eq!(sink.losses(), Default::default());
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let [alone, queued, encoded] = own.map(median);
    let (caller, background) = (queued - alone, median(background));
    println!(
        "NonBlocking(JsonLinesSink(file)) CPU per fresh record: queueing thread {caller:.3} µs \
         (encoding its {} B line alone {:.3} µs), sink thread {background:.3} µs, total {:.3} µs \
         = {:.2} M records/s per core",
        line.len(),
        encoded - alone,
        caller + background,
        1.0 / (caller + background)
    );
}
