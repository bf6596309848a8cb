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

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Arc<S> {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        (**self).record(record)
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
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
    fn losses(&self) -> SinkLosses {
        (**self).losses()
    }
}

mod memory;
pub use memory::MemorySink;
