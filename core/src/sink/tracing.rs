//! [`TracingSink`]: one `tracing` event per record.

use super::{AuditSink, SinkError};
use crate::errors::Severity;
use crate::record::{AuditRecord, Event, Outcome};
use std::fmt;
use std::sync::Arc;

/// The target of every event emitted by [`TracingSink`].
pub const TARGET: &str = "jwt_audit";

/// Emits one [`tracing`](https://docs.rs/tracing) event per record, with target `"jwt_audit"`, so
/// records flow into whatever subscriber the application already runs (fmt, JSON, OpenTelemetry).
///
/// Level by [`Severity`]:
///
/// | severity             | level   | typical records                                  |
/// |----------------------|---------|--------------------------------------------------|
/// | `info`, `low`        | `INFO`  | acceptances; expired, not-yet-valid, missing     |
/// | `medium`             | `WARN`  | malformed, unknown key, audience mismatch, scope |
/// | `high`, `critical`   | `ERROR` | bad signature, `alg` not allowed, replay, revoked|
///
/// Fields (absent values are not recorded): `record_id`, `event`, `outcome`, `severity`,
/// `failure_kind`, `fingerprint`, `correlation_id`, `client_ip`, `method`, `path`, and `record`:
/// the whole record as its one-line JSON. The message reads `jwt accepted` or
/// `jwt rejected: <failure kind>`. Nothing is formatted when no subscriber is interested in the
/// event's level and target. Never fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink {
    _private: (),
}

impl TracingSink {
    /// A sink emitting events with target `"jwt_audit"`.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The `tracing` level used for a record of this severity (see the table on [`TracingSink`]).
fn level_for(severity: Severity) -> tracing::Level {
    match severity {
        Severity::Info | Severity::Low => tracing::Level::INFO,
        Severity::Medium => tracing::Level::WARN,
        Severity::High | Severity::Critical => tracing::Level::ERROR,
    }
}

fn event_str(event: Event) -> &'static str {
    match event {
        Event::AuthnTokenValid => "authn_token_valid",
        Event::AuthnTokenInvalid => "authn_token_invalid",
        Event::AuthnTokenReuse => "authn_token_reuse",
        Event::AuthzFail => "authz_fail",
    }
}

fn outcome_str(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Accepted => "accepted",
        Outcome::Rejected => "rejected",
    }
}

/// Formats the record's JSON only when a subscriber records the field.
struct JsonOf<'a>(&'a AuditRecord);

impl fmt::Display for JsonOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_json())
    }
}

/// The event message.
struct Summary<'a>(&'a AuditRecord);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.failure_kind() {
            None => f.write_str("jwt accepted"),
            Some(kind) => write!(f, "jwt rejected: {kind}"),
        }
    }
}

macro_rules! emit {
    ($level:expr, $r:expr) => {{
        let r: &AuditRecord = $r;
        tracing::event!(
            target: TARGET,
            $level,
            record_id = r.id.as_str(),
            event = event_str(r.event),
            outcome = outcome_str(r.outcome),
            severity = r.severity.as_str(),
            failure_kind = r.failure_kind().map(|k| k.as_str()),
            fingerprint = r.token.fingerprint.as_deref(),
            correlation_id = r.request.correlation_id.as_deref(),
            client_ip = r.request.client_ip.as_deref(),
            method = r.request.method.as_deref(),
            path = r.request.path.as_deref(),
            record = %JsonOf(r),
            "{}",
            Summary(r)
        )
    }};
}

impl AuditSink for TracingSink {
    fn record(&self, record: &Arc<AuditRecord>) -> Result<(), SinkError> {
        let level = level_for(record.severity);
        if level == tracing::Level::ERROR {
            emit!(tracing::Level::ERROR, record);
        } else if level == tracing::Level::WARN {
            emit!(tracing::Level::WARN, record);
        } else {
            emit!(tracing::Level::INFO, record);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::FailureKind;
    use crate::sink::testutil::{accepted, rejected};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Level, Metadata, subscriber::Interest};

    #[derive(Debug)]
    struct Captured {
        level: Level,
        target: String,
        fields: BTreeMap<String, String>,
    }

    #[derive(Default)]
    struct Capture(Mutex<Vec<Captured>>);

    struct Fields<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Fields<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_string(), value.to_string());
        }
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0
                .insert(field.name().to_string(), format!("{value:?}"));
        }
    }

    impl tracing::Subscriber for &'static Capture {
        fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
            Interest::sometimes()
        }
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().push(Captured {
                level: *event.metadata().level(),
                target: event.metadata().target().to_string(),
                fields,
            });
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn capture(records: &[Arc<AuditRecord>]) -> Vec<Captured> {
        let cap: &'static Capture = Box::leak(Box::default());
        tracing::subscriber::with_default(cap, || {
            let sink = TracingSink::new();
            for r in records {
                sink.record(r).unwrap();
            }
        });
        std::mem::take(&mut *cap.0.lock().unwrap())
    }

    #[test]
    fn levels_follow_severity() {
        let events = capture(&[
            accepted(1),
            rejected(2, FailureKind::Expired),
            rejected(3, FailureKind::Malformed),
            rejected(4, FailureKind::BadSignature),
        ]);
        let levels: Vec<_> = events.iter().map(|e| e.level).collect();
        assert_eq!(
            levels,
            [Level::INFO, Level::INFO, Level::WARN, Level::ERROR]
        );
        assert!(events.iter().all(|e| e.target == TARGET));
        assert_eq!(level_for(Severity::Critical), Level::ERROR);
    }

    #[test]
    fn fields_are_structured() {
        let rec = rejected(7, FailureKind::BadSignature);
        let events = capture(std::slice::from_ref(&rec));
        let f = &events[0].fields;
        assert_eq!(f["record_id"], "rec-7");
        assert_eq!(f["event"], "authn_token_invalid");
        assert_eq!(f["outcome"], "rejected");
        assert_eq!(f["severity"], "high");
        assert_eq!(f["failure_kind"], "bad_signature");
        assert_eq!(f["fingerprint"], "sha256:AAECAwQFBgcICQoLDA0ODw");
        assert_eq!(f["correlation_id"], "req-7");
        assert_eq!(f["client_ip"], "203.0.113.7");
        assert_eq!(f["method"], "GET");
        assert_eq!(f["path"], "/orders");
        assert_eq!(f["message"], "jwt rejected: bad_signature");
        let back: AuditRecord = serde_json::from_str(&f["record"]).unwrap();
        assert_eq!(back, *rec);
    }

    #[test]
    fn absent_values_are_not_recorded() {
        let mut rec = (*accepted(1)).clone();
        rec.request = Default::default();
        rec.token.fingerprint = None;
        let events = capture(&[Arc::new(rec)]);
        let f = &events[0].fields;
        assert_eq!(f["message"], "jwt accepted");
        assert_eq!(f["event"], "authn_token_valid");
        for absent in ["failure_kind", "fingerprint", "correlation_id", "path"] {
            assert!(!f.contains_key(absent), "{absent} recorded");
        }
    }
}
