//! The non-blocking JSON Lines sink writing to a real temporary file: records per second, and what
//! it adds to `verify` compared with a no-op sink.
//!
//! `cargo bench -p jwt-audit-benches --bench sink -- --warm-up-time 1 --measurement-time 3`
//! (prefix `taskset -c 0` to put the verifying and the writing thread on one core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jwt_audit::AuditRecord;
use jwt_audit::sink::{AuditSink, JsonLinesSink, NonBlocking, Overflow};
use jwt_audit_benches::{Alg, Fixture, verifier_builder};
use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const QUEUE: usize = 64 * 1024;

/// A `NonBlocking(JsonLinesSink(file))` on a fresh temporary file, and a handle to empty that file
/// between samples (the sink appends, so it keeps writing at the new end).
fn file_sink() -> (
    Arc<NonBlocking<JsonLinesSink<File>>>,
    File,
    tempfile::TempPath,
) {
    let path = tempfile::NamedTempFile::new()
        .expect("temporary file")
        .into_temp_path();
    let sink = JsonLinesSink::file(&path).expect("open the temporary file");
    let truncate = OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("reopen the temporary file");
    (
        Arc::new(NonBlocking::new(sink, QUEUE, Overflow::Block)),
        truncate,
        path,
    )
}

/// Waits for the background writer, checks nothing was lost and empties the file.
fn drain(sink: &NonBlocking<JsonLinesSink<File>>, file: &File) {
    sink.flush().expect("flush");
    assert_eq!(sink.losses(), Default::default());
    file.set_len(0).expect("truncate");
}

/// Records per batch of the throughput benches.
const CHUNK: u64 = 16 * 1024;

/// Queues `iters` records, `CHUNK` at a time: `prepare(n)` (not timed) makes the input for `n`
/// records, `queue` queues them; the time of each chunk ends when `flush` returns.
fn in_chunks<T>(
    sink: &NonBlocking<JsonLinesSink<File>>,
    file: &File,
    iters: u64,
    prepare: impl Fn(u64) -> T,
    queue: impl Fn(T),
) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(CHUNK);
        left -= n;
        let input = prepare(n);
        let start = Instant::now();
        queue(input);
        sink.flush().expect("flush");
        elapsed += start.elapsed();
        drain(sink, file);
    }
    elapsed
}

/// `sink_jsonl_nonblocking/records`: records per second through `NonBlocking(JsonLinesSink(file))`
/// when the verifying thread hands over records it has just built, as `verify` does (in its
/// cache): 64 distinct records, queued in turn. `records_cold`: distinct records cloned from a
/// verified one `CHUNK` at a time outside the measured time, so that each is out of cache when
/// queued (and freed after use, wherever the sink frees it). The measured time ends when `flush`
/// returns: every record is encoded, written and the file flushed.
fn throughput(c: &mut Criterion) {
    let f = Fixture::new(Alg::HS256);
    let template = f.audit().record().clone();
    let distinct = |n: u64| -> Vec<Arc<AuditRecord>> {
        (0..n)
            .map(|i| {
                let mut r = (*template).clone();
                r.duration_us = i;
                Arc::new(r)
            })
            .collect()
    };
    let hot = distinct(64);
    let (sink, file, _path) = file_sink();
    let mut g = c.benchmark_group("sink_jsonl_nonblocking");
    g.throughput(Throughput::Elements(1));
    g.bench_function("records", |b| {
        b.iter_custom(|iters| {
            in_chunks(
                &sink,
                &file,
                iters,
                |n| n,
                |n| {
                    for r in hot.iter().cycle().take(n as usize) {
                        sink.record(r).expect("queued");
                    }
                },
            )
        })
    });
    g.bench_function("records_cold", |b| {
        b.iter_custom(|iters| {
            in_chunks(&sink, &file, iters, distinct, |records| {
                for r in records {
                    sink.record(&r).expect("queued");
                }
            })
        })
    });
    g.finish();
}

/// `sink_cost_hs256`: `verify` with a no-op sink vs with `NonBlocking(JsonLinesSink(file))`.
fn added_cost(c: &mut Criterion) {
    let noop = Fixture::new(Alg::HS256);
    let (sink, file, _path) = file_sink();
    let to_file = verifier_builder(Alg::HS256)
        .shared_sink(sink.clone())
        .build()
        .expect("verifier");
    assert!(to_file.verify(&noop.token, &noop.ctx).is_accepted());
    let mut g = c.benchmark_group("sink_cost_hs256");
    g.bench_function("noop_sink", |b| {
        b.iter(|| black_box(noop.verifier.verify(black_box(&noop.token), &noop.ctx)))
    });
    g.bench_function("nonblocking_jsonl_file", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            // Drain between chunks so the backlog (and the file) stays bounded; only the
            // verifying thread's time is measured.
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(QUEUE as u64 / 2);
                left -= chunk;
                let start = Instant::now();
                for _ in 0..chunk {
                    black_box(to_file.verify(black_box(&noop.token), &noop.ctx));
                }
                elapsed += start.elapsed();
                drain(&sink, &file);
            }
            elapsed
        })
    });
    g.finish();
}

/// `record_json`: one accepted record as a JSON line, serde_json on the derived `Serialize` vs
/// the record's own writer (same bytes).
fn record_json(c: &mut Criterion) {
    let record = Fixture::new(Alg::HS256).audit().record().clone();
    let mut serde_line = serde_json::to_vec(&*record).expect("serialises");
    serde_line.push(b'\n');
    let mut buf = Vec::with_capacity(4096);
    record.write_json_line(&mut buf);
    assert_eq!(buf, serde_line);
    let mut g = c.benchmark_group("record_json");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("serde_json", |b| {
        b.iter(|| {
            buf.clear();
            serde_json::to_writer(&mut buf, black_box(&*record)).expect("serialises");
            buf.push(b'\n');
        })
    });
    g.bench_function("write_json_line", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&record).write_json_line(&mut buf);
        })
    });
    g.finish();
}

criterion_group!(benches, record_json, throughput, added_cost);
criterion_main!(benches);
