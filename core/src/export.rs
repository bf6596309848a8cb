//! Output formats over the [`AuditRecord`]: OCSF Authentication (class 3002), the Elastic Common
//! Schema, and an OpenTelemetry LogRecord in OTLP/JSON.
//!
//! Each function is pure: it reads one record and builds a `serde_json::Value`, holding nothing the
//! record does not hold (no token, no signature, no key; claims only as the redaction policy left
//! them). The field-by-field mapping and the reasons behind it are in `docs/record-mappings.md`.
//!
//! Fields that have a standard home (time, id, outcome, severity, request context, subject) go
//! there. Everything else is carried as one `jwt_audit` block, the same in every format: the record
//! itself without `id`, `time` and `request`, under the record's own field names
//! (`unmapped.jwt_audit` in OCSF, `jwt_audit` in ECS, `jwt_audit.*` attributes in OpenTelemetry).
//! So `jwt_audit.failure.kind` or `jwt_audit.token.fingerprint` can be queried the same way in any
//! backend.

use crate::errors::Severity;
use crate::record::{AuditRecord, Outcome};
use crate::redaction::MASK;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::net::IpAddr;

/// The OCSF schema version the [`to_ocsf`] events conform to (`metadata.version`).
pub const OCSF_VERSION: &str = "1.3.0";
/// The ECS version the [`to_ecs`] documents conform to (`ecs.version`).
pub const ECS_VERSION: &str = "8.17.0";
/// `metadata.product.name` / `vendor_name` in OCSF events.
pub const PRODUCT: &str = "jwt-audit";
/// `auth_protocol` in OCSF events: OCSF has no JWT protocol id, so `auth_protocol_id` is 99 (Other).
pub const OCSF_AUTH_PROTOCOL: &str = "JWT";

const OCSF_CLASS_UID: u32 = 3002;
const OCSF_CATEGORY_UID: u32 = 3;
const OCSF_ACTIVITY_LOGON: u32 = 1;
const OCSF_AUTH_PROTOCOL_OTHER: u32 = 99;

/// HTTP methods OpenTelemetry semantic conventions treat as known; any other value is reported as
/// `_OTHER` with the original in `http.request.method_original`.
const KNOWN_HTTP_METHODS: [&str; 9] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

/// The record as an OCSF 1.3 Authentication event (class_uid 3002, activity Logon).
///
/// `status_id` is 1 (Success) when the token was accepted and 2 (Failure) otherwise, with the
/// failure kind in `status_code` and its detail in `status_detail`; `severity_id` follows the
/// record's severity (info → 1 Informational … critical → 5 Critical).
///
/// ```
/// use jwt_audit::{export, RequestContext, Verifier};
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .build()?;
/// let ctx = RequestContext::new().client_ip("203.0.113.7").method("GET").path("/orders");
/// let v = verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", &ctx);
///
/// let event = export::to_ocsf(v.record());
/// assert_eq!(event["class_uid"], 3002);
/// assert_eq!(event["activity_id"], 1);
/// assert_eq!(event["status_id"], 2);
/// assert_eq!(event["status_code"], "bad_signature");
/// assert_eq!(event["severity_id"], 4);
/// assert_eq!(event["auth_protocol"], "JWT");
/// assert_eq!(event["src_endpoint"]["ip"], "203.0.113.7");
/// assert_eq!(event["http_request"]["url"]["path"], "/orders");
/// assert_eq!(event["unmapped"]["jwt_audit"]["token"]["trusted"], false);
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
pub fn to_ocsf(record: &AuditRecord) -> Value {
    let (severity_id, severity) = ocsf_severity(record.severity);
    let (status_id, status) = match record.outcome {
        Outcome::Accepted => (1, "Success"),
        Outcome::Rejected => (2, "Failure"),
    };
    let req = &record.request;
    let mut e = Map::new();
    set(&mut e, "time", Some(record.time_ms));
    set(&mut e, "class_uid", Some(OCSF_CLASS_UID));
    set(&mut e, "class_name", Some("Authentication"));
    set(&mut e, "category_uid", Some(OCSF_CATEGORY_UID));
    set(
        &mut e,
        "category_name",
        Some("Identity & Access Management"),
    );
    set(&mut e, "activity_id", Some(OCSF_ACTIVITY_LOGON));
    set(&mut e, "activity_name", Some("Logon"));
    set(
        &mut e,
        "type_uid",
        Some(OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_LOGON),
    );
    set(&mut e, "type_name", Some("Authentication: Logon"));
    set(&mut e, "severity_id", Some(severity_id));
    set(&mut e, "severity", Some(severity));
    set(&mut e, "status_id", Some(status_id));
    set(&mut e, "status", Some(status));
    set(
        &mut e,
        "status_code",
        record.failure.as_ref().map(|f| f.kind.as_str()),
    );
    set(&mut e, "status_detail", failure_detail(record));
    set(&mut e, "message", Some(summary(record)));
    set(&mut e, "duration", Some(record.duration_us / 1000));
    set(&mut e, "auth_protocol_id", Some(OCSF_AUTH_PROTOCOL_OTHER));
    set(&mut e, "auth_protocol", Some(OCSF_AUTH_PROTOCOL));
    set(&mut e, "metadata.version", Some(OCSF_VERSION));
    set(&mut e, "metadata.uid", Some(record.id.as_str()));
    set(
        &mut e,
        "metadata.event_code",
        Some(serde_name(&record.event)),
    );
    set(
        &mut e,
        "metadata.correlation_uid",
        req.correlation_id.as_deref(),
    );
    set(&mut e, "metadata.product.name", Some(PRODUCT));
    set(&mut e, "metadata.product.vendor_name", Some(PRODUCT));
    set(
        &mut e,
        "metadata.product.version",
        Some(&*record.verifier.version),
    );
    set(&mut e, "service.name", Some(&*record.verifier.name));
    set(&mut e, "user.uid", subject(record));
    match client_ip(record) {
        Some(ip) => set(&mut e, "src_endpoint.ip", Some(ip.to_string())),
        None => set(&mut e, "src_endpoint.name", req.client_ip.as_deref()),
    }
    set(&mut e, "http_request.http_method", req.method.as_deref());
    set(&mut e, "http_request.url.path", req.path.as_deref());
    set(&mut e, "http_request.user_agent", req.user_agent.as_deref());
    set(&mut e, "unmapped.jwt_audit", Some(jwt_audit_block(record)));
    Value::Object(e)
}

/// The record as an Elastic Common Schema document (`event.kind: event`,
/// `event.category: ["authentication"]`, `event.outcome: success|failure`).
///
/// ```
/// use jwt_audit::{export, RequestContext, Verifier};
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .build()?;
/// let ctx = RequestContext::new().correlation_id("req-7").user_agent("curl/8.5");
/// let v = verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", &ctx);
///
/// let doc = export::to_ecs(v.record());
/// assert_eq!(doc["event"]["category"], serde_json::json!(["authentication"]));
/// assert_eq!(doc["event"]["outcome"], "failure");
/// assert_eq!(doc["event"]["action"], "authn_token_invalid");
/// assert_eq!(doc["labels"]["correlation_id"], "req-7");
/// assert_eq!(doc["user_agent"]["original"], "curl/8.5");
/// assert_eq!(doc["jwt_audit"]["failure"]["kind"], "bad_signature");
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
pub fn to_ecs(record: &AuditRecord) -> Value {
    let req = &record.request;
    let mut d = Map::new();
    set(&mut d, "@timestamp", Some(timestamp(record)));
    set(&mut d, "ecs.version", Some(ECS_VERSION));
    set(&mut d, "message", Some(summary(record)));
    set(&mut d, "event.kind", Some("event"));
    set(&mut d, "event.category", Some(json!(["authentication"])));
    set(&mut d, "event.type", Some(json!(["info"])));
    set(&mut d, "event.action", Some(serde_name(&record.event)));
    set(
        &mut d,
        "event.outcome",
        Some(match record.outcome {
            Outcome::Accepted => "success",
            Outcome::Rejected => "failure",
        }),
    );
    set(&mut d, "event.reason", failure_detail(record));
    set(
        &mut d,
        "event.severity",
        Some(ocsf_severity(record.severity).0),
    );
    set(&mut d, "event.id", Some(record.id.as_str()));
    set(
        &mut d,
        "event.duration",
        Some(record.duration_us.saturating_mul(1000)),
    );
    set(&mut d, "user.id", subject(record));
    set(&mut d, "source.address", req.client_ip.as_deref());
    set(
        &mut d,
        "source.ip",
        client_ip(record).map(|ip| ip.to_string()),
    );
    set(&mut d, "http.request.method", req.method.as_deref());
    set(&mut d, "url.path", req.path.as_deref());
    set(&mut d, "user_agent.original", req.user_agent.as_deref());
    set(&mut d, "trace.id", trace_id(record));
    set(
        &mut d,
        "labels.correlation_id",
        req.correlation_id.as_deref(),
    );
    set(&mut d, "jwt_audit", Some(jwt_audit_block(record)));
    Value::Object(d)
}

/// The record as one OpenTelemetry LogRecord in OTLP/JSON encoding (`timeUnixNano`,
/// `severityNumber`, `severityText`, `body`, `traceId`, `eventName`, `attributes` as a list of
/// `{key, value}`), ready to place in `resourceLogs[].scopeLogs[].logRecords[]` of an OTLP/HTTP
/// export request.
///
/// Attributes use semantic-convention names where they exist (`http.request.method`, `url.path`,
/// `client.address`, `user_agent.original`, `enduser.id`, `log.record.uid`) and `jwt_audit.*` for
/// the rest. `severityText` is the record's own severity (`"high"`); `severityNumber` maps it onto
/// the OpenTelemetry scale (info 9 INFO, low 13 WARN, medium 15 WARN3, high 17 ERROR,
/// critical 19 ERROR3).
///
/// ```
/// use jwt_audit::{export, RequestContext, Verifier};
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .build()?;
/// let ctx = RequestContext::new().method("GET").path("/orders");
/// let v = verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", &ctx);
///
/// let log = export::to_otel_log_record(v.record());
/// assert_eq!(log["severityText"], "high");
/// assert_eq!(log["severityNumber"], 17);
/// let attr = |key: &str| {
///     log["attributes"].as_array().unwrap().iter().find(|a| a["key"] == key).map(|a| a["value"].clone())
/// };
/// assert_eq!(attr("http.request.method").unwrap()["stringValue"], "GET");
/// assert_eq!(attr("url.path").unwrap()["stringValue"], "/orders");
/// assert_eq!(attr("jwt_audit.failure.kind").unwrap()["stringValue"], "bad_signature");
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
pub fn to_otel_log_record(record: &AuditRecord) -> Value {
    let req = &record.request;
    let mut attrs = Vec::new();
    let mut text = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            attrs.push(key_value(key, any_value(&Value::from(v))));
        }
    };
    text("log.record.uid", Some(record.id.as_str()));
    match req.method.as_deref() {
        Some(m) if !KNOWN_HTTP_METHODS.contains(&m) => {
            text("http.request.method", Some("_OTHER"));
            text("http.request.method_original", Some(m));
        }
        m => text("http.request.method", m),
    }
    text("url.path", req.path.as_deref());
    text("client.address", req.client_ip.as_deref());
    text("user_agent.original", req.user_agent.as_deref());
    text("enduser.id", subject(record));
    text("jwt_audit.correlation_id", req.correlation_id.as_deref());
    flatten("jwt_audit", &jwt_audit_block(record), &mut attrs);

    let mut log = Map::new();
    if let Some(ns) = u64::try_from(record.time_ms)
        .ok()
        .map(|ms| ms.saturating_mul(1_000_000).to_string())
    {
        set(&mut log, "timeUnixNano", Some(ns.clone()));
        set(&mut log, "observedTimeUnixNano", Some(ns));
    }
    set(
        &mut log,
        "severityNumber",
        Some(otel_severity(record.severity)),
    );
    set(&mut log, "severityText", Some(record.severity.as_str()));
    set(
        &mut log,
        "body",
        Some(json!({ "stringValue": summary(record) })),
    );
    set(
        &mut log,
        "eventName",
        Some(format!("jwt_audit.{}", serde_name(&record.event))),
    );
    set(&mut log, "traceId", trace_id(record));
    set(&mut log, "attributes", Some(Value::Array(attrs)));
    Value::Object(log)
}

/// The record without `id`, `time` and `request` (which have standard homes in every format), null
/// members left out. Claim values are kept exactly as redaction left them, nulls included.
fn jwt_audit_block(record: &AuditRecord) -> Value {
    let mut block = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut block {
        for k in ["id", "time", "request"] {
            m.remove(k);
        }
        let claims = m.remove("claims");
        prune_nulls(&mut block);
        if let (Value::Object(m), Some(claims)) = (&mut block, claims) {
            m.insert("claims".into(), claims);
        }
    }
    block
}

fn prune_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

/// Inserts `value` at a dotted `path`, creating the intermediate objects; `None` inserts nothing.
fn set<V: Into<Value>>(obj: &mut Map<String, Value>, path: &str, value: Option<V>) {
    let Some(value) = value else { return };
    match path.split_once('.') {
        None => {
            obj.insert(path.to_string(), value.into());
        }
        Some((head, rest)) => {
            let child = obj.entry(head).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                set(child, rest, Some(value));
            }
        }
    }
}

/// One line for humans: `JWT accepted` or `JWT rejected: <kind>: <detail>`.
fn summary(record: &AuditRecord) -> String {
    match &record.failure {
        None => "JWT accepted".to_string(),
        Some(f) => format!("JWT rejected: {}: {}", f.kind, f.detail),
    }
}

fn failure_detail(record: &AuditRecord) -> Option<&str> {
    record.failure.as_ref().map(|f| f.detail.as_str())
}

/// The JSON name of a unit enum (`Event`, `Step`, …).
fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `time` as the record writes it (RFC 3339 UTC, milliseconds).
fn timestamp(record: &AuditRecord) -> String {
    crate::timefmt::format_rfc3339_ms(record.time_ms)
}

/// The `sub` claim as the record holds it: verbatim, or its keyed digest when the redaction policy
/// hashes `sub`. Absent when the token had none, or `sub` was dropped, masked or not a string.
fn subject(record: &AuditRecord) -> Option<&str> {
    record
        .claims
        .values
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && *s != MASK)
}

fn client_ip(record: &AuditRecord) -> Option<IpAddr> {
    record.request.client_ip.as_deref()?.trim().parse().ok()
}

/// The correlation id when it has the shape of a W3C trace-id (32 lowercase hex digits, not all
/// zero), as `http::correlation_id` derives it from `traceparent`.
fn trace_id(record: &AuditRecord) -> Option<&str> {
    record.request.correlation_id.as_deref().filter(|id| {
        id.len() == 32
            && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && id.bytes().any(|b| b != b'0')
    })
}

/// OCSF `severity_id` and its caption; ECS `event.severity` uses the same numbers.
fn ocsf_severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OpenTelemetry `SeverityNumber`. Critical stays in the ERROR range: FATAL means the application
/// itself is failing.
fn otel_severity(s: Severity) -> u8 {
    match s {
        Severity::Info => 9,
        Severity::Low => 13,
        Severity::Medium => 15,
        Severity::High => 17,
        Severity::Critical => 19,
    }
}

fn key_value(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": value })
}

/// A JSON value as an OTLP `AnyValue` (64-bit integers as decimal strings, the protobuf JSON form).
fn any_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({}),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => json!({ "intValue": i.to_string() }),
            None => json!({ "doubleValue": n.as_f64() }),
        },
        Value::String(s) => json!({ "stringValue": s }),
        Value::Array(items) => {
            json!({ "arrayValue": { "values": items.iter().map(any_value).collect::<Vec<_>>() } })
        }
        Value::Object(m) => {
            let values: Vec<Value> = sorted(m).map(|(k, x)| key_value(k, any_value(x))).collect();
            json!({ "kvlistValue": { "values": values } })
        }
    }
}

/// Object members become dotted attribute keys; arrays and scalars become one attribute each.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in sorted(m) {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Null => {}
        other => out.push(key_value(prefix, any_value(other))),
    }
}

/// Members in key order, whatever map type serde_json was built with.
fn sorted(m: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

/// The Rust snippet of `docs/record-mappings.md` runs as a doctest, so the document cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../docs/record-mappings.md")]
struct RecordMappingsDoctests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthzRequirement, RequestContext, Verification, Verifier};
    use jsonwebtoken::{EncodingKey, Header, encode};

    const SECRET: &str = "export-test-secret-0123456789abcdef";
    const NOW: i64 = 1_700_000_000;
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn token(secret: &str) -> String {
        let claims = json!({
            "iss": "https://auth.example.com", "aud": "orders-api", "sub": "user-1", "exp": NOW + 60,
            "jti": "t-1", "scope": "orders:read", "email": "ann@example.com"
        });
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn verifier() -> Verifier {
        Verifier::builder()
            .hmac_secret(SECRET)
            .algorithms(["HS256"])
            .issuer("https://auth.example.com")
            .audience("orders-api")
            .now(NOW)
            .name("orders-api")
            .build()
            .unwrap()
    }

    fn ctx(correlation_id: &str, method: &str) -> RequestContext {
        RequestContext::new()
            .correlation_id(correlation_id)
            .client_ip("203.0.113.7")
            .method(method)
            .path("/orders")
            .user_agent("curl/8.5")
    }

    fn accepted() -> (String, Verification) {
        let t = token(SECRET);
        let v = verifier().verify(&t, &ctx(TRACE, "GET"));
        assert!(v.is_accepted());
        (t, v)
    }

    fn bad_signature() -> (String, Verification) {
        let t = token("another-secret-0123456789abcdefghijkl");
        let v = verifier().verify(&t, &ctx("req-42", "PROPFIND"));
        assert_eq!(v.failure_kind().map(|k| k.as_str()), Some("bad_signature"));
        (t, v)
    }

    fn authz_fail() -> (String, Verification) {
        let t = token(SECRET);
        let need = AuthzRequirement::new().scopes(["orders:admin"]);
        let v = verifier().verify_with(&t, &ctx(TRACE, "DELETE"), &need);
        assert_eq!(
            v.failure_kind().map(|k| k.as_str()),
            Some("insufficient_scope")
        );
        (t, v)
    }

    /// The value of an OTLP attribute, as its `AnyValue`.
    fn attr(log: &Value, key: &str) -> Option<Value> {
        let attrs = log["attributes"].as_array().unwrap();
        let mut hits = attrs.iter().filter(|a| a["key"] == key);
        let hit = hits.next().map(|a| a["value"].clone());
        assert!(hits.next().is_none(), "attribute {key} appears twice");
        hit
    }

    fn attr_str(log: &Value, key: &str) -> Option<String> {
        attr(log, key).map(|v| v["stringValue"].as_str().unwrap().to_string())
    }

    #[test]
    fn accepted_token_maps_to_success_everywhere() {
        let (_, v) = accepted();
        let r = v.record();

        let o = to_ocsf(r);
        assert_eq!(o["class_uid"], 3002);
        assert_eq!(o["class_name"], "Authentication");
        assert_eq!(o["category_uid"], 3);
        assert_eq!(o["activity_id"], 1);
        assert_eq!(o["activity_name"], "Logon");
        assert_eq!(o["type_uid"], 300201);
        assert_eq!(
            (&o["status_id"], &o["status"]),
            (&json!(1), &json!("Success"))
        );
        assert_eq!(
            (&o["severity_id"], &o["severity"]),
            (&json!(1), &json!("Informational"))
        );
        assert!(o.get("status_code").is_none() && o.get("status_detail").is_none());
        assert_eq!(o["time"], r.time_ms);
        assert_eq!(o["auth_protocol_id"], 99);
        assert_eq!(o["auth_protocol"], "JWT");
        assert_eq!(o["metadata"]["version"], OCSF_VERSION);
        assert_eq!(o["metadata"]["uid"], r.id.as_str());
        assert_eq!(o["metadata"]["correlation_uid"], TRACE);
        assert_eq!(o["metadata"]["event_code"], "authn_token_valid");
        assert_eq!(o["metadata"]["product"]["name"], "jwt-audit");
        assert_eq!(o["metadata"]["product"]["version"], &*r.verifier.version);
        assert_eq!(o["service"]["name"], "orders-api");
        assert_eq!(o["user"]["uid"], "user-1");
        assert_eq!(o["src_endpoint"]["ip"], "203.0.113.7");
        assert_eq!(o["http_request"]["http_method"], "GET");
        assert_eq!(o["http_request"]["url"]["path"], "/orders");
        assert_eq!(o["http_request"]["user_agent"], "curl/8.5");
        assert_eq!(o["message"], "JWT accepted");
        let ours = &o["unmapped"]["jwt_audit"];
        assert_eq!(ours["token"]["fingerprint"], json!(r.token.fingerprint));
        assert_eq!(ours["token"]["trusted"], true);
        assert_eq!(ours["claims"]["values"]["sub"], "user-1");
        assert_eq!(ours["claims"]["dropped"], json!(["email"]));
        assert_eq!(ours["verifier"]["name"], "orders-api");
        assert_eq!(ours["duration_us"], r.duration_us);
        for gone in ["id", "time", "request", "failure", "authz"] {
            assert!(
                ours.get(gone).is_none(),
                "{gone} should not be in the block"
            );
        }
        assert!(ours["token"].get("kid").is_none(), "nulls are left out");

        let e = to_ecs(r);
        assert_eq!(e["@timestamp"], serde_json::to_value(&**r).unwrap()["time"]);
        assert_eq!(e["ecs"]["version"], ECS_VERSION);
        assert_eq!(e["event"]["kind"], "event");
        assert_eq!(e["event"]["category"], json!(["authentication"]));
        assert_eq!(e["event"]["type"], json!(["info"]));
        assert_eq!(e["event"]["action"], "authn_token_valid");
        assert_eq!(e["event"]["outcome"], "success");
        assert_eq!(e["event"]["severity"], 1);
        assert_eq!(e["event"]["id"], r.id.as_str());
        assert_eq!(e["event"]["duration"], r.duration_us * 1000);
        assert!(e["event"].get("reason").is_none());
        assert_eq!(e["user"]["id"], "user-1");
        assert_eq!(e["source"]["ip"], "203.0.113.7");
        assert_eq!(e["source"]["address"], "203.0.113.7");
        assert_eq!(e["http"]["request"]["method"], "GET");
        assert_eq!(e["url"]["path"], "/orders");
        assert_eq!(e["user_agent"]["original"], "curl/8.5");
        assert_eq!(e["trace"]["id"], TRACE);
        assert_eq!(e["labels"]["correlation_id"], TRACE);
        assert_eq!(
            e["jwt_audit"], *ours,
            "the jwt_audit block is the same in OCSF and ECS"
        );

        let l = to_otel_log_record(r);
        assert_eq!(l["severityNumber"], 9);
        assert_eq!(l["severityText"], "info");
        assert_eq!(
            l["timeUnixNano"],
            format!("{}", r.time_ms as u64 * 1_000_000)
        );
        assert_eq!(l["traceId"], TRACE);
        assert_eq!(l["eventName"], "jwt_audit.authn_token_valid");
        assert_eq!(l["body"]["stringValue"], "JWT accepted");
        assert_eq!(
            attr_str(&l, "log.record.uid").as_deref(),
            Some(r.id.as_str())
        );
        assert_eq!(attr_str(&l, "http.request.method").as_deref(), Some("GET"));
        assert!(attr(&l, "http.request.method_original").is_none());
        assert_eq!(attr_str(&l, "url.path").as_deref(), Some("/orders"));
        assert_eq!(
            attr_str(&l, "client.address").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            attr_str(&l, "user_agent.original").as_deref(),
            Some("curl/8.5")
        );
        assert_eq!(attr_str(&l, "enduser.id").as_deref(), Some("user-1"));
        assert_eq!(
            attr_str(&l, "jwt_audit.correlation_id").as_deref(),
            Some(TRACE)
        );
        assert_eq!(
            attr(&l, "jwt_audit.token.trusted"),
            Some(json!({"boolValue": true}))
        );
        assert_eq!(
            attr(&l, "jwt_audit.token.exp"),
            Some(json!({"intValue": (NOW + 60).to_string()}))
        );
        assert_eq!(
            attr_str(&l, "jwt_audit.claims.values.scope").as_deref(),
            Some("orders:read")
        );
        assert_eq!(
            attr(&l, "jwt_audit.claims.dropped"),
            Some(json!({"arrayValue": {"values": [{"stringValue": "email"}]}}))
        );
        assert_eq!(
            attr_str(&l, "jwt_audit.token.fingerprint"),
            r.token.fingerprint.clone()
        );
    }

    #[test]
    fn bad_signature_maps_to_a_high_severity_failure() {
        let (_, v) = bad_signature();
        let r = v.record();
        let detail = r.failure.as_ref().unwrap().detail.clone();

        let o = to_ocsf(r);
        assert_eq!(
            (&o["status_id"], &o["status"]),
            (&json!(2), &json!("Failure"))
        );
        assert_eq!(o["status_code"], "bad_signature");
        assert_eq!(o["status_detail"], detail.as_str());
        assert_eq!(
            (&o["severity_id"], &o["severity"]),
            (&json!(4), &json!("High"))
        );
        assert_eq!(o["metadata"]["event_code"], "authn_token_invalid");
        assert_eq!(o["metadata"]["correlation_uid"], "req-42");
        assert_eq!(
            o["message"],
            format!("JWT rejected: bad_signature: {detail}")
        );
        assert_eq!(o["http_request"]["http_method"], "PROPFIND");
        // The claimed subject of a forged token is what an investigator looks for; the block
        // says it is untrusted.
        assert_eq!(o["user"]["uid"], "user-1");
        let ours = &o["unmapped"]["jwt_audit"];
        assert_eq!(ours["token"]["trusted"], false);
        assert_eq!(ours["failure"]["kind"], "bad_signature");
        assert_eq!(ours["failure"]["step"], "signature");
        assert_eq!(ours["outcome"], "rejected");
        assert_eq!(ours["severity"], "high");

        let e = to_ecs(r);
        assert_eq!(e["event"]["outcome"], "failure");
        assert_eq!(e["event"]["action"], "authn_token_invalid");
        assert_eq!(e["event"]["reason"], detail.as_str());
        assert_eq!(e["event"]["severity"], 4);
        assert_eq!(e["labels"]["correlation_id"], "req-42");
        assert!(e.get("trace").is_none(), "req-42 is not a trace id");
        assert_eq!(e["http"]["request"]["method"], "PROPFIND");
        assert_eq!(e["jwt_audit"]["token"]["trusted"], false);

        let l = to_otel_log_record(r);
        assert_eq!(l["severityNumber"], 17);
        assert_eq!(l["severityText"], "high");
        assert!(l.get("traceId").is_none());
        assert_eq!(l["eventName"], "jwt_audit.authn_token_invalid");
        assert_eq!(
            attr_str(&l, "http.request.method").as_deref(),
            Some("_OTHER")
        );
        assert_eq!(
            attr_str(&l, "http.request.method_original").as_deref(),
            Some("PROPFIND")
        );
        assert_eq!(
            attr_str(&l, "jwt_audit.failure.kind").as_deref(),
            Some("bad_signature")
        );
        assert_eq!(attr_str(&l, "jwt_audit.failure.detail"), Some(detail));
        assert_eq!(
            attr(&l, "jwt_audit.token.trusted"),
            Some(json!({"boolValue": false}))
        );
        assert_eq!(
            attr_str(&l, "jwt_audit.correlation_id").as_deref(),
            Some("req-42")
        );
    }

    #[test]
    fn authz_fail_maps_to_a_failure_with_the_decision() {
        let (_, v) = authz_fail();
        let r = v.record();

        let o = to_ocsf(r);
        assert_eq!(o["status_id"], 2);
        assert_eq!(o["status_code"], "insufficient_scope");
        assert_eq!(o["severity_id"], 3);
        assert_eq!(o["metadata"]["event_code"], "authz_fail");
        assert_eq!(o["user"]["uid"], "user-1");
        let authz = &o["unmapped"]["jwt_audit"]["authz"];
        assert_eq!(authz["decision"], "deny");
        assert_eq!(authz["required"]["scopes"], json!(["orders:admin"]));
        assert_eq!(authz["granted"]["scopes"], json!(["orders:read"]));
        assert_eq!(o["unmapped"]["jwt_audit"]["token"]["trusted"], true);

        let e = to_ecs(r);
        assert_eq!(e["event"]["action"], "authz_fail");
        assert_eq!(e["event"]["outcome"], "failure");
        assert_eq!(e["event"]["severity"], 3);
        assert_eq!(e["jwt_audit"]["authz"], *authz);
        assert_eq!(e["trace"]["id"], TRACE);

        let l = to_otel_log_record(r);
        assert_eq!(l["severityNumber"], 15);
        assert_eq!(l["severityText"], "medium");
        assert_eq!(l["eventName"], "jwt_audit.authz_fail");
        assert_eq!(
            attr_str(&l, "http.request.method").as_deref(),
            Some("DELETE")
        );
        assert_eq!(
            attr_str(&l, "jwt_audit.authz.decision").as_deref(),
            Some("deny")
        );
        assert_eq!(
            attr(&l, "jwt_audit.authz.required.scopes"),
            Some(json!({"arrayValue": {"values": [{"stringValue": "orders:admin"}]}}))
        );
    }

    #[test]
    fn nothing_leaves_that_the_record_does_not_hold() {
        for (token, v) in [accepted(), bad_signature(), authz_fail()] {
            let signature = token.rsplit('.').next().unwrap();
            for out in [
                to_ocsf(v.record()),
                to_ecs(v.record()),
                to_otel_log_record(v.record()),
            ] {
                let text = out.to_string();
                assert!(!text.contains(&token), "token in {text}");
                assert!(!text.contains(signature), "signature in {text}");
                assert!(!text.contains(SECRET), "secret in {text}");
                assert!(!text.contains("ann@example.com"), "dropped claim in {text}");
            }
        }
    }

    #[test]
    fn absent_context_and_subject_leave_fields_out() {
        let v = verifier().verify("", &RequestContext::new());
        let r = v.record();
        let o = to_ocsf(r);
        for absent in ["user", "src_endpoint", "http_request"] {
            assert!(o.get(absent).is_none(), "{absent} in {o}");
        }
        assert!(o["metadata"].get("correlation_uid").is_none());
        assert_eq!(o["status_code"], "missing_token");
        assert_eq!(o["severity_id"], 2);
        let e = to_ecs(r);
        for absent in [
            "user",
            "source",
            "http",
            "url",
            "user_agent",
            "trace",
            "labels",
        ] {
            assert!(e.get(absent).is_none(), "{absent} in {e}");
        }
        let l = to_otel_log_record(r);
        assert_eq!(l["severityNumber"], 13);
        let keys: Vec<&str> = l["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        assert!(
            keys.iter()
                .all(|k| k.starts_with("jwt_audit.") || *k == "log.record.uid")
        );
    }

    #[test]
    fn a_client_address_that_is_not_an_ip_keeps_its_text() {
        let v = verifier().verify("", &RequestContext::new().client_ip("unix:/run/app.sock"));
        let (o, e, l) = (
            to_ocsf(v.record()),
            to_ecs(v.record()),
            to_otel_log_record(v.record()),
        );
        assert_eq!(o["src_endpoint"], json!({"name": "unix:/run/app.sock"}));
        assert_eq!(e["source"], json!({"address": "unix:/run/app.sock"}));
        assert_eq!(
            attr_str(&l, "client.address").as_deref(),
            Some("unix:/run/app.sock")
        );
    }

    #[test]
    fn a_masked_subject_is_not_an_identity_and_a_hashed_one_is() {
        let build = |redaction: Value| {
            let cfg = crate::VerifierConfig::from_json_value(json!({
                "keys": [{"secret": SECRET}], "algorithms": ["HS256"], "now": NOW,
                "redaction": redaction
            }))
            .unwrap();
            Verifier::new(cfg).unwrap()
        };
        let t = token(SECRET);
        let masked = build(json!({"mask": ["sub"]})).verify(&t, &RequestContext::new());
        assert!(to_ecs(masked.record()).get("user").is_none());
        assert!(to_ocsf(masked.record()).get("user").is_none());

        let hashed = build(json!({"hash": ["sub"]})).verify(&t, &RequestContext::new());
        let digest = hashed
            .record()
            .claims
            .values
            .get("sub")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(digest, "user-1");
        assert_eq!(to_ecs(hashed.record())["user"]["id"], digest.as_str());
        assert_eq!(
            attr_str(&to_otel_log_record(hashed.record()), "enduser.id"),
            Some(digest)
        );
    }

    #[test]
    fn records_read_back_from_json_map_the_same() {
        for (_, v) in [accepted(), bad_signature(), authz_fail()] {
            let r = v.record();
            let back: AuditRecord = serde_json::from_str(&r.to_json()).unwrap();
            assert_eq!(to_ocsf(&back), to_ocsf(r));
            assert_eq!(to_ecs(&back), to_ecs(r));
            assert_eq!(to_otel_log_record(&back), to_otel_log_record(r));
        }
    }

    #[test]
    fn otlp_any_value_covers_every_json_type() {
        assert_eq!(any_value(&json!(null)), json!({}));
        assert_eq!(any_value(&json!(1.5)), json!({"doubleValue": 1.5}));
        assert_eq!(any_value(&json!(-3)), json!({"intValue": "-3"}));
        assert_eq!(
            any_value(&json!({"b": [true], "a": "x"})),
            json!({"kvlistValue": {"values": [
                {"key": "a", "value": {"stringValue": "x"}},
                {"key": "b", "value": {"arrayValue": {"values": [{"boolValue": true}]}}}
            ]}})
        );
    }
}
