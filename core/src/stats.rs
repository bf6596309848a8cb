//! Counters behind `Verifier::stats()`: outcomes, kinds, and records lost by sinks.

use crate::errors::FailureKind;
use crate::sink::SinkLosses;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a verifier's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub accepted: u64,
    pub rejected: u64,
    /// Rejections by failure kind (snake_case names).
    pub by_kind: BTreeMap<String, u64>,
    /// Records a sink refused (`AuditSink::record` returned an error).
    pub sink_errors: u64,
    /// Records dropped by a bounded queue.
    pub records_dropped: u64,
    /// Records a sink accepted and later failed to deliver.
    pub records_failed: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    by_kind: [AtomicU64; FailureKind::ALL.len()],
    sink_errors: AtomicU64,
}

impl Counters {
    pub(crate) fn count(&self, kind: Option<FailureKind>) {
        match kind {
            None => self.accepted.fetch_add(1, Relaxed),
            Some(k) => self.by_kind[k.index()].fetch_add(1, Relaxed),
        };
    }

    pub(crate) fn sink_error(&self) {
        self.sink_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, losses: SinkLosses) -> Stats {
        let mut by_kind = BTreeMap::new();
        let mut rejected = 0;
        for k in FailureKind::ALL {
            let n = self.by_kind[k.index()].load(Relaxed);
            if n > 0 {
                by_kind.insert(k.as_str().to_string(), n);
                rejected += n;
            }
        }
        Stats {
            accepted: self.accepted.load(Relaxed),
            rejected,
            by_kind,
            sink_errors: self.sink_errors.load(Relaxed),
            records_dropped: losses.dropped,
            records_failed: losses.failed,
        }
    }
}
