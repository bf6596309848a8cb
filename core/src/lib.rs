//! # jwt-audit
//!
//! A JWT verifier that never validates silently: every call to [`Verifier::verify`] returns a
//! decision **and** an [`AuditRecord`] — outcome, a precise [`FailureKind`], redacted claims, a
//! token fingerprint, timing and request context — and hands that record to the configured
//! [`sink::AuditSink`]s.

pub mod context;
pub mod errors;
pub mod record;
pub mod sink;
mod timefmt;

pub use context::RequestContext;
pub use errors::{ConfigError, FailureKind, Severity, Step};
pub use record::AuditRecord;
