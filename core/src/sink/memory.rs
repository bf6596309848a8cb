use super::{AuditSink, SinkError};
use crate::record::AuditRecord;
use std::sync::{Arc, Mutex};

/// Keeps every record in memory: for tests and for hosts that drain records themselves.
///
/// ```
/// use jwt_audit::{sink::MemorySink, Verifier, VerifierConfig, RequestContext};
/// use std::sync::Arc;
/// let sink = Arc::new(MemorySink::new());
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .sink(sink.clone())
///     .build()
///     .unwrap();
/// verifier.verify("not-a-jwt", &RequestContext::new());
/// assert_eq!(sink.records().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct MemorySink {
    records: Mutex<Vec<Arc<AuditRecord>>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the records received so far.
    pub fn records(&self) -> Vec<Arc<AuditRecord>> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Removes and returns the records received so far.
    pub fn take(&self) -> Vec<Arc<AuditRecord>> {
        self.records
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        self.records
            .lock()
            .map_err(|_| SinkError::new("memory sink poisoned"))?
            .push(record.clone());
        Ok(())
    }
}
