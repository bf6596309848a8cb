//! [`Filter`] and [`Sample`]: pass on only some records.

use super::{AuditSink, BatchError, SinkError, SinkLosses};
use crate::errors::ConfigError;
use crate::record::AuditRecord;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Passes on the records for which `predicate` returns `true`; the others are skipped (skipping
/// is not a loss and is not an error). For example, rejections only:
/// `Filter::new(inner, |r: &AuditRecord| !r.is_accepted())`.
pub struct Filter<S, F> {
    inner: S,
    predicate: F,
}

impl<S, F> Filter<S, F>
where
    S: AuditSink,
    F: Fn(&AuditRecord) -> bool + Send + Sync,
{
    /// Passes records matching `predicate` to `inner`.
    pub fn new(inner: S, predicate: F) -> Self {
        Self { inner, predicate }
    }

    /// The wrapped sink.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: fmt::Debug, F> fmt::Debug for Filter<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, F> AuditSink for Filter<S, F>
where
    S: AuditSink,
    F: Fn(&AuditRecord) -> bool + Send + Sync,
{
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        if (self.predicate)(record) {
            self.inner.record(record)
        } else {
            Ok(())
        }
    }

    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        let kept: Vec<_> = records
            .iter()
            .filter(|r| (self.predicate)(r))
            .cloned()
            .collect();
        if kept.is_empty() {
            Ok(())
        } else {
            self.inner.record_batch(&kept)
        }
    }

    fn flush(&self) -> Result<(), SinkError> {
        self.inner.flush()
    }

    fn losses(&self) -> SinkLosses {
        self.inner.losses()
    }
}

/// Rates are kept as parts per billion so that sampling is exact integer arithmetic.
const SCALE: u64 = 1_000_000_000;

/// Keeps a fixed fraction of accepted records and a fixed fraction of rejected records, e.g.
/// every rejection and 1 % of acceptances: `Sample::new(inner, 0.01, 1.0)`.
///
/// Sampling is deterministic and needs no random numbers: records of each outcome are numbered
/// `0, 1, 2, …` as they arrive, and record `n` is kept when `floor((n + 1) · rate)` exceeds
/// `floor(n · rate)`. So out of the first `N` records of an outcome exactly `floor(N · rate)` are
/// kept, evenly spaced (with rate 0.01: the 100th, 200th, …), also under concurrent callers.
/// Rates are resolved to a billionth. Skipped records are counted by [`skipped`](Self::skipped);
/// they are not losses.
#[derive(Debug)]
pub struct Sample<S> {
    inner: S,
    /// Per outcome, `[accepted, rejected]`: rate in parts per billion and records seen.
    rate_ppb: [u64; 2],
    seen: [AtomicU64; 2],
    skipped: AtomicU64,
}

impl<S: AuditSink> Sample<S> {
    /// Keeps `accepted_rate` of accepted and `rejected_rate` of rejected records.
    ///
    /// Each rate must be a number in `0.0..=1.0`; otherwise a [`ConfigError`] names the rate
    /// (`accepted_rate` or `rejected_rate`). Rates are not clamped: a rate of 1.5 is a mistake.
    pub fn new(inner: S, accepted_rate: f64, rejected_rate: f64) -> Result<Self, ConfigError> {
        Ok(Self {
            inner,
            rate_ppb: [
                ppb("accepted_rate", accepted_rate)?,
                ppb("rejected_rate", rejected_rate)?,
            ],
            seen: [AtomicU64::new(0), AtomicU64::new(0)],
            skipped: AtomicU64::new(0),
        })
    }

    /// The wrapped sink.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// How many records were sampled out so far.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Decides whether `record` is kept, counting it.
    fn keep(&self, record: &AuditRecord) -> bool {
        let i = usize::from(!record.is_accepted());
        let rate = u128::from(self.rate_ppb[i]);
        let n = u128::from(self.seen[i].fetch_add(1, Ordering::Relaxed));
        let scale = u128::from(SCALE);
        let keep = (n + 1) * rate / scale > n * rate / scale;
        if !keep {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        keep
    }
}

fn ppb(option: &str, rate: f64) -> Result<u64, ConfigError> {
    if (0.0..=1.0).contains(&rate) {
        // In range, so the product is in 0..=1e9 and the cast is exact after rounding.
        Ok((rate * SCALE as f64).round() as u64)
    } else {
        Err(ConfigError::new(
            option,
            format!("must be a number from 0.0 to 1.0, got {rate}"),
        ))
    }
}

impl<S: AuditSink> AuditSink for Sample<S> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        if self.keep(record) {
            self.inner.record(record)
        } else {
            Ok(())
        }
    }

    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        let kept: Vec<_> = records.iter().filter(|r| self.keep(r)).cloned().collect();
        if kept.is_empty() {
            Ok(())
        } else {
            self.inner.record_batch(&kept)
        }
    }

    fn flush(&self) -> Result<(), SinkError> {
        self.inner.flush()
    }

    fn losses(&self) -> SinkLosses {
        self.inner.losses()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::FailureKind;
    use crate::sink::MemorySink;
    use crate::sink::testutil::{FailingSink, accepted, rejected};

    #[test]
    fn filter_keeps_matching_records_only() {
        let mem = Arc::new(MemorySink::new());
        let f = Filter::new(mem.clone(), |r: &AuditRecord| !r.is_accepted());
        f.record(&accepted(1)).unwrap();
        f.record(&rejected(2, FailureKind::Expired)).unwrap();
        f.record_batch(&[
            accepted(3),
            rejected(4, FailureKind::BadSignature),
            accepted(5),
        ])
        .unwrap();
        f.record_batch(&[accepted(6)]).unwrap();
        let ids: Vec<_> = mem.records().iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, ["rec-2", "rec-4"]);
        assert_eq!(f.losses(), SinkLosses::default());
    }

    #[test]
    fn filter_passes_errors_flush_and_losses_through() {
        let losses = SinkLosses {
            dropped: 2,
            failed: 5,
        };
        let f = Filter::new(
            FailingSink {
                losses,
                ..Default::default()
            },
            |_: &AuditRecord| true,
        );
        assert!(f.record(&accepted(1)).is_err());
        assert_eq!(f.record_batch(&[accepted(2)]).unwrap_err().failed, 1);
        assert!(f.flush().is_err());
        assert_eq!(f.losses(), losses);
        let skip_all = Filter::new(FailingSink::default(), |_: &AuditRecord| false);
        skip_all.record(&accepted(1)).unwrap();
        skip_all.record_batch(&[accepted(1)]).unwrap();
    }

    #[test]
    fn every_rejection_and_one_percent_of_acceptances() {
        let mem = Arc::new(MemorySink::new());
        let s = Sample::new(mem.clone(), 0.01, 1.0).unwrap();
        for i in 0..1000 {
            s.record(&accepted(i)).unwrap();
        }
        let kept = mem.take();
        assert_eq!(kept.len(), 10);
        let ids: Vec<_> = kept.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids[..3], ["rec-99", "rec-199", "rec-299"]);
        for i in 0..1000 {
            s.record(&rejected(i, FailureKind::Expired)).unwrap();
        }
        assert_eq!(mem.take().len(), 1000);
        assert_eq!(s.skipped(), 990);
    }

    #[test]
    fn accepted_rate_one_rejected_rate_small() {
        let mem = Arc::new(MemorySink::new());
        let s = Sample::new(mem.clone(), 1.0, 0.01).unwrap();
        for i in 0..1000 {
            s.record(&accepted(i)).unwrap();
            s.record(&rejected(i, FailureKind::Malformed)).unwrap();
        }
        let recs = mem.records();
        assert_eq!(recs.iter().filter(|r| r.is_accepted()).count(), 1000);
        assert_eq!(recs.iter().filter(|r| !r.is_accepted()).count(), 10);
    }

    #[test]
    fn sampling_is_exact_across_threads_and_batches() {
        let mem = Arc::new(MemorySink::new());
        let s = Arc::new(Sample::new(mem.clone(), 0.25, 0.0).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        s.record(&accepted(t * 1000 + i)).unwrap();
                    }
                    let batch: Vec<_> = (0..250).map(|i| accepted(t * 1000 + 500 + i)).collect();
                    s.record_batch(&batch).unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for i in 0..100 {
            s.record(&rejected(i, FailureKind::Revoked)).unwrap();
        }
        assert_eq!(mem.records().len(), 500);
        assert_eq!(s.skipped(), 1500 + 100);
    }

    #[test]
    fn odd_rates_keep_floor_of_n_times_rate() {
        for (rate, n, expected) in [(1.0 / 3.0, 1000, 333), (0.001, 999, 0), (0.7, 10, 7)] {
            let mem = Arc::new(MemorySink::new());
            let s = Sample::new(mem.clone(), rate, 1.0).unwrap();
            for i in 0..n {
                s.record(&accepted(i)).unwrap();
            }
            assert_eq!(mem.records().len(), expected, "rate {rate}");
        }
    }

    #[test]
    fn rates_outside_zero_to_one_are_rejected() {
        for (a, r, option) in [
            (1.5, 1.0, "accepted_rate"),
            (-0.1, 1.0, "accepted_rate"),
            (f64::NAN, 1.0, "accepted_rate"),
            (0.5, f64::INFINITY, "rejected_rate"),
            (0.5, 1.0000001, "rejected_rate"),
        ] {
            let err = Sample::new(MemorySink::new(), a, r).unwrap_err();
            assert_eq!(err.option, option);
        }
        assert!(Sample::new(MemorySink::new(), 0.0, 1.0).is_ok());
    }

    #[test]
    fn sample_passes_losses_and_errors_through() {
        let losses = SinkLosses {
            dropped: 1,
            failed: 1,
        };
        let s = Sample::new(
            FailingSink {
                losses,
                ..Default::default()
            },
            1.0,
            1.0,
        )
        .unwrap();
        assert!(s.record(&accepted(1)).is_err());
        assert_eq!(
            s.record_batch(&[accepted(2), accepted(3)])
                .unwrap_err()
                .failed,
            2
        );
        assert_eq!(s.losses(), losses);
        assert_eq!(s.skipped(), 0);
    }
}
