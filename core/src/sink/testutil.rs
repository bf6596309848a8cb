//! Test helpers for the sink modules: records built literally, recording/failing sinks, temp files.

use super::{AuditSink, SinkError, SinkLosses};
use crate::context::RequestContext;
use crate::errors::{FailureKind, Severity};
use crate::record::{
    AuditRecord, ClaimsInfo, Event, Failure, Outcome, SCHEMA, TokenInfo, VerifierInfo,
};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An accepted record with id `rec-<n>`.
pub(crate) fn accepted(n: u64) -> Arc<AuditRecord> {
    Arc::new(build(n, None))
}

/// A rejected record of the given kind with id `rec-<n>`.
pub(crate) fn rejected(n: u64, kind: FailureKind) -> Arc<AuditRecord> {
    Arc::new(build(n, Some(kind)))
}

fn build(n: u64, kind: Option<FailureKind>) -> AuditRecord {
    let values = [
        ("sub".to_string(), json!("user-17")),
        ("scope".to_string(), json!("orders:read orders:write")),
    ]
    .into_iter()
    .collect();
    AuditRecord {
        schema: SCHEMA.into(),
        id: format!("rec-{n}"),
        time_ms: 1_767_225_600_123 + n as i64,
        duration_us: 42,
        event: Event::for_failure(kind),
        outcome: if kind.is_none() {
            Outcome::Accepted
        } else {
            Outcome::Rejected
        },
        severity: kind.map_or(Severity::Info, FailureKind::severity),
        failure: kind.map(|kind| Failure {
            kind,
            step: kind.step(),
            detail: format!("{kind} in test"),
            also: Vec::new(),
        }),
        token: TokenInfo {
            fingerprint: Some("sha256:AAECAwQFBgcICQoLDA0ODw".to_string()),
            alg: Some("HS256".to_string()),
            kid: Some("k1".to_string()),
            typ: Some("JWT".to_string()),
            size: 180,
            trusted: kind.is_none(),
            jti: Some(json!(format!("jti-{n}"))),
            iss: Some(json!("https://issuer.example")),
            aud: Some(json!(["api"])),
            iat: Some(json!(1_767_225_000)),
            nbf: None,
            exp: Some(json!(1_767_229_200)),
        },
        claims: ClaimsInfo {
            values,
            dropped: ["email".to_string()].into_iter().collect(),
        },
        request: RequestContext::new()
            .correlation_id(format!("req-{n}"))
            .client_ip("203.0.113.7")
            .method("GET")
            .path("/orders"),
        authz: None,
        verifier: VerifierInfo {
            name: "jwt-audit".into(),
            version: "0.1.0".into(),
        },
    }
}

/// A path in the temp directory that no other test uses. The file is not created.
pub(crate) fn temp_path(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "jwt-audit-{tag}-{}-{nanos}-{n}.jsonl",
        std::process::id()
    ))
}

/// A sink that always fails and reports fixed losses.
#[derive(Debug, Default)]
pub(crate) struct FailingSink {
    pub(crate) calls: AtomicU64,
    pub(crate) losses: SinkLosses,
}

impl AuditSink for FailingSink {
    fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(SinkError::new("failing sink"))
    }
    fn flush(&self) -> Result<(), SinkError> {
        Err(SinkError::new("failing sink flush"))
    }
    fn losses(&self) -> SinkLosses {
        self.losses
    }
}
