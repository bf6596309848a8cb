//! # jwt-audit
//!
//! A JWT verifier that never validates silently: every call to [`Verifier::verify`] returns a
//! decision **and** an [`AuditRecord`] — outcome, a precise [`FailureKind`], redacted claims, a
//! token fingerprint, timing and request context — and hands that record to the configured
//! [`sink::AuditSink`]s.
//!
//! ```
//! use jwt_audit::{Verifier, RequestContext, sink::MemorySink};
//! use std::sync::Arc;
//!
//! let records = Arc::new(MemorySink::new());
//! let verifier = Verifier::builder()
//!     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
//!     .algorithms(["HS256"])
//!     .issuer("https://auth.example.com")
//!     .sink(records.clone())
//!     .build()?;
//!
//! let ctx = RequestContext::new().correlation_id("req-1").method("GET").path("/orders");
//! let v = verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", &ctx);
//! assert!(!v.is_accepted());
//! let record = &records.records()[0];
//! assert_eq!(record.failure_kind(), Some(jwt_audit::FailureKind::BadSignature));
//! assert_eq!(record.request.correlation_id.as_deref(), Some("req-1"));
//! // The record never holds the token itself, only its fingerprint.
//! assert!(record.token.fingerprint.as_deref().unwrap().starts_with("sha256:"));
//! # Ok::<(), jwt_audit::ConfigError>(())
//! ```

pub mod algorithm;
pub mod authz;
mod claims;
pub mod config;
pub mod context;
mod crypto;
pub mod errors;
pub mod export;
pub mod fingerprint;
mod header;
pub mod http;
pub mod http_context;
mod json;
mod keys;
pub mod lifecycle;
mod payload;
pub mod record;
pub mod redaction;
pub mod sink;
pub mod stats;
mod timefmt;
mod verifier;

pub use algorithm::Algorithm;
pub use authz::AuthzRequirement;
pub use config::{KeySource, OneOrMany, RedactionConfig, VerifierConfig};
pub use context::RequestContext;
pub use errors::{ConfigError, FailureKind, Severity, Step};
pub use fingerprint::Fingerprinter;
pub use lifecycle::{LifecycleCheck, LifecycleVerdict, ReplayGuard, RevocationList, TokenIdentity};
pub use record::AuditRecord;
pub use stats::Stats;
pub use verifier::{PendingSignature, Progress, Verification, Verifier, VerifierBuilder};

/// The README's Rust snippets run as doctests, so the quick start cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
