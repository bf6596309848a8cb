//! Where records go. [`AuditSink`] is deliberately tiny (receive a finished record; flush) so that
//! wrappers compose, in the manner of `tracing`'s `Layer`s.

use crate::record::AuditRecord;
use std::sync::Arc;

/// A destination for finished records. Implementations must be cheap to call on the hot path or
/// be wrapped in a non-blocking sink.
pub trait AuditSink: Send + Sync {
    /// Receives one finished record. An error is counted in `Verifier::stats()`; it changes the
    /// verification outcome only when fail-closed auditing is configured.
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError>;

    /// Receives several records at once, in order. The background thread of [`NonBlocking`] hands
    /// over everything it drained in one call, so a sink that can write a batch in one operation
    /// ([`JsonLinesSink`]: one `write` per batch) should override this. The default calls
    /// [`record`](Self::record) for each record and reports how many failed.
    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        let mut first: Option<SinkError> = None;
        let mut failed = 0;
        for record in records {
            if let Err(e) = self.record(record) {
                failed += 1;
                first.get_or_insert(e);
            }
        }
        match first {
            None => Ok(()),
            Some(error) => Err(BatchError { failed, error }),
        }
    }

    /// `true` if this sink writes each record as bytes that [`encode`](Self::encode) produces and
    /// [`write_encoded`](Self::write_encoded) writes ([`JsonLinesSink`]: its JSON line). The
    /// answer must not change over the sink's life. [`NonBlocking`] then encodes on the calling
    /// thread, while the record is still in that thread's cache and without keeping it alive,
    /// and its background thread only writes bytes. Default: `false`.
    fn encodes(&self) -> bool {
        false
    }

    /// Appends the bytes this sink writes for `record` to `out`. Called only when
    /// [`encodes`](Self::encodes) is `true`; the default appends nothing.
    fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
        let _ = (record, out);
    }

    /// Writes `bytes`, the output of [`encode`](Self::encode) for `records` records one after
    /// another, in order. An error says how many of those records were not (completely) written.
    /// Called only when [`encodes`](Self::encodes) is `true`; the default refuses everything.
    fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
        let _ = bytes;
        Err(BatchError {
            failed: records,
            error: SinkError::new("this audit sink does not take encoded records"),
        })
    }

    /// Pushes buffered records to their destination.
    fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Records this sink (or a sink it wraps) accepted and then lost: dropped on overflow, or
    /// failed in a background writer. Reported by `Verifier::stats()`.
    fn losses(&self) -> SinkLosses {
        SinkLosses::default()
    }
}

/// Counts of records a sink accepted but could not deliver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SinkLosses {
    /// Dropped because a bounded queue was full (`Overflow::DropNewest`).
    pub dropped: u64,
    /// Failed after being accepted (e.g. a background write error).
    pub failed: u64,
}

impl std::ops::Add for SinkLosses {
    type Output = SinkLosses;
    fn add(self, o: SinkLosses) -> SinkLosses {
        SinkLosses {
            dropped: self.dropped + o.dropped,
            failed: self.failed + o.failed,
        }
    }
}

/// A sink could not take a record. The message never contains record contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit sink error: {0}")]
pub struct SinkError(pub String);

impl SinkError {
    /// A sink error with a short, non-secret message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Some records of a batch could not be delivered (see [`AuditSink::record_batch`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{failed} audit record(s) not delivered: {error}")]
pub struct BatchError {
    /// How many records of the batch were not delivered.
    pub failed: usize,
    /// The first error met.
    pub error: SinkError,
}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Arc<S> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        (**self).record(record)
    }
    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        (**self).record_batch(records)
    }
    fn encodes(&self) -> bool {
        (**self).encodes()
    }
    fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
        (**self).encode(record, out)
    }
    fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
        (**self).write_encoded(bytes, records)
    }
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
    fn losses(&self) -> SinkLosses {
        (**self).losses()
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Box<S> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        (**self).record(record)
    }
    fn record_batch(&self, records: &[Arc<AuditRecord>]) -> Result<(), BatchError> {
        (**self).record_batch(records)
    }
    fn encodes(&self) -> bool {
        (**self).encodes()
    }
    fn encode(&self, record: &AuditRecord, out: &mut Vec<u8>) {
        (**self).encode(record, out)
    }
    fn write_encoded(&self, bytes: &[u8], records: usize) -> Result<(), BatchError> {
        (**self).write_encoded(bytes, records)
    }
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
    fn losses(&self) -> SinkLosses {
        (**self).losses()
    }
}

mod fanout;
mod filter;
mod jsonl;
mod memory;
#[cfg(not(target_arch = "wasm32"))]
mod nonblocking;
#[cfg(test)]
mod testutil;
mod tracing;

pub use self::tracing::{TARGET as TRACING_TARGET, TracingSink};
pub use fanout::FanOut;
pub use filter::{Filter, Sample};
pub use jsonl::JsonLinesSink;
pub use memory::MemorySink;
#[cfg(not(target_arch = "wasm32"))]
pub use nonblocking::{NonBlocking, Overflow};
mod spec;
pub use spec::builtin_sink;
