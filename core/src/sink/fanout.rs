//! [`FanOut`]: one record to several sinks.

use super::{AuditSink, BatchError, SinkError, SinkLosses};
use crate::record::AuditRecord;
use std::fmt;
use std::sync::Arc;

/// Delivers every record to each of its sinks, in order.
///
/// A failing sink does not stop delivery to the others: every sink receives every record, and
/// the first error met is returned (for batches, the first sink's [`BatchError`], whose `failed`
/// counts the records that sink did not take). [`flush`](AuditSink::flush) flushes every sink
/// the same way. [`losses`](AuditSink::losses) is the sum over the sinks.
#[derive(Clone, Default)]
pub struct FanOut {
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl FanOut {
    /// Delivers to `sinks`.
    pub fn new(sinks: Vec<Arc<dyn AuditSink>>) -> Self {
        Self { sinks }
    }

    /// Adds a sink (builder style).
    pub fn with(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Adds a sink.
    pub fn push(&mut self, sink: Arc<dyn AuditSink>) {
        self.sinks.push(sink);
    }

    /// The sinks, in delivery order.
    pub fn sinks(&self) -> &[Arc<dyn AuditSink>] {
        &self.sinks
    }
}

impl fmt::Debug for FanOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FanOut")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl AuditSink for FanOut {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        let mut first = Ok(());
        for sink in &self.sinks {
            if let Err(e) = sink.record(record) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        let mut first = Ok(());
        for sink in &self.sinks {
            if let Err(e) = sink.record_batch(records) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    fn flush(&self) -> Result<(), SinkError> {
        let mut first = Ok(());
        for sink in &self.sinks {
            if let Err(e) = sink.flush() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    fn losses(&self) -> SinkLosses {
        self.sinks
            .iter()
            .fold(SinkLosses::default(), |acc, s| acc + s.losses())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::MemorySink;
    use crate::sink::testutil::{FailingSink, accepted};
    use std::sync::atomic::Ordering;

    #[test]
    fn delivers_to_all_when_one_fails() {
        let a = Arc::new(MemorySink::new());
        let bad = Arc::new(FailingSink::default());
        let b = Arc::new(MemorySink::new());
        let fan = FanOut::new(vec![a.clone(), bad.clone()]).with(b.clone());
        assert_eq!(fan.sinks().len(), 3);
        let err = fan.record(&accepted(1)).unwrap_err();
        assert_eq!(err, SinkError::new("failing sink"));
        let err = fan.record_batch(&[accepted(2), accepted(3)]).unwrap_err();
        assert_eq!(err.failed, 2);
        assert_eq!(bad.calls.load(Ordering::Relaxed), 3);
        for sink in [&a, &b] {
            let ids: Vec<_> = sink.records().iter().map(|r| r.id.clone()).collect();
            assert_eq!(ids, ["rec-1", "rec-2", "rec-3"]);
        }
        assert!(fan.flush().is_err());
    }

    #[test]
    fn returns_the_first_error() {
        let first = Arc::new(FailingSink::default());
        let mut fan = FanOut::default();
        fan.push(Arc::new(MemorySink::new()));
        fan.push(first);
        fan.push(Arc::new(TaggedFailure));
        assert_eq!(
            fan.record(&accepted(1)).unwrap_err(),
            SinkError::new("failing sink")
        );
    }

    #[test]
    fn succeeds_when_all_succeed_and_sums_losses() {
        let l1 = SinkLosses {
            dropped: 3,
            failed: 1,
        };
        let l2 = SinkLosses {
            dropped: 4,
            failed: 0,
        };
        let ok = FanOut::new(vec![
            Arc::new(MemorySink::new()),
            Arc::new(MemorySink::new()),
        ]);
        ok.record(&accepted(1)).unwrap();
        ok.record_batch(&[accepted(2)]).unwrap();
        ok.flush().unwrap();
        assert_eq!(ok.losses(), SinkLosses::default());
        let lossy = FanOut::new(vec![
            Arc::new(FailingSink {
                losses: l1,
                ..Default::default()
            }),
            Arc::new(FailingSink {
                losses: l2,
                ..Default::default()
            }),
        ]);
        assert_eq!(
            lossy.losses(),
            SinkLosses {
                dropped: 7,
                failed: 1
            }
        );
    }

    #[test]
    fn empty_fanout_accepts_everything() {
        let fan = FanOut::default();
        fan.record(&accepted(1)).unwrap();
        fan.flush().unwrap();
    }

    struct TaggedFailure;
    impl AuditSink for TaggedFailure {
        fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
            Err(SinkError::new("second"))
        }
    }
}
