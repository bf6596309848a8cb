//! The shared conformance vectors (`tests/vectors/*.json`) sent through a framework adapter
//! (included with `#[path]` by the axum and actix suites). Each case becomes a request:
//! `Authorization: Bearer <token>`, and its context as the request's method, path,
//! `X-Request-Id`, `User-Agent` and `X-Real-IP` (the adapter is configured with
//! `ClientIp::header("x-real-ip")` and a catch-all route, so the record's path is the request
//! path). The answer must be 200 exactly when the case expects acceptance (401 otherwise), and the
//! one record must equal `expected.record` (minus `id`, `time`, `duration_us`), with the context
//! fields the case sets (the adapter fills the others from the request).
//!
//! Cases whose token cannot travel in a Bearer header (empty, whitespace, non-ASCII, raw bytes,
//! a `Bearer ` prefix of its own: RFC 6750 `b64token` only) are not sent; the core suite runs them.

use jwt_audit::sink::{AuditSink, MemorySink};
use jwt_audit::{AuditRecord, Verifier, VerifierConfig};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// One vector case.
pub struct Case {
    pub name: String,
    case: Value,
}

/// What to send for a case.
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Every case of every vector file, in file order.
pub fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).expect("readable"))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let Some(cases) = doc.get("cases").and_then(Value::as_array) else {
            continue; // e.g. keys.json's key material, not cases
        };
        for case in cases {
            out.push(Case {
                name: case["name"].as_str().expect("case name").to_string(),
                case: case.clone(),
            });
        }
    }
    out
}

/// Visible ASCII without spaces: what a header value or a request path can carry verbatim.
fn travels(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..0x7f).contains(&b))
}

impl Case {
    /// The token when it is a `b64token` (RFC 6750 §2.1), i.e. can be sent as a Bearer token.
    fn token(&self) -> Option<String> {
        let token = match (self.case.get("token_repeat"), self.case.get("token")) {
            (Some(r), _) => r["unit"].as_str()?.repeat(r["count"].as_u64()? as usize),
            (None, Some(t)) => t.as_str()?.to_string(),
            (None, None) => return None, // token_bytes_b64: not UTF-8
        };
        let body = token.trim_end_matches('=');
        let b64token = !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        b64token.then_some(token)
    }

    fn context(&self, field: &str) -> Option<&str> {
        self.case.get("context")?.get(field)?.as_str()
    }

    /// The request for this case, or `None` when its token cannot be sent as a Bearer token.
    pub fn request(&self) -> Option<HttpRequest> {
        let token = self.token()?;
        let mut headers = vec![("authorization", format!("Bearer {token}"))];
        for (field, header) in [
            ("correlation_id", "x-request-id"),
            ("user_agent", "user-agent"),
            ("client_ip", "x-real-ip"),
        ] {
            if let Some(v) = self.context(field).filter(|v| travels(v)) {
                headers.push((header, v.to_string()));
            }
        }
        let path = self
            .context("path")
            .filter(|p| p.starts_with('/') && travels(p))
            .unwrap_or("/vector");
        Some(HttpRequest {
            method: self.context("method").unwrap_or("GET").to_string(),
            path: path.to_string(),
            headers,
        })
    }

    /// The case's verifier, recording into the returned sink.
    pub fn verifier(&self) -> (Verifier, Arc<MemorySink>) {
        let config = VerifierConfig::from_json_value(self.case["config"].clone())
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        let sink = Arc::new(MemorySink::new());
        let verifier = Verifier::builder()
            .config(config)
            .shared_sink(sink.clone() as Arc<dyn AuditSink>)
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        (verifier, sink)
    }

    /// Checks the answer and the records against the expectation.
    pub fn check(&self, status: u16, records: &[Arc<AuditRecord>]) -> Result<(), String> {
        let expected = &self.case["expected"];
        let accepted = expected["outcome"] == "accepted";
        if status != if accepted { 200 } else { 401 } {
            return Err(format!(
                "status {status}, expected outcome {}",
                expected["outcome"]
            ));
        }
        let [record] = records else {
            return Err(format!("{} records, expected 1", records.len()));
        };
        let mut got = serde_json::to_value(&**record).map_err(|e| e.to_string())?;
        if let Some(want) = expected.get("record") {
            let got_obj = got.as_object_mut().ok_or("record is not an object")?;
            for field in ["id", "time", "duration_us"] {
                got_obj.remove(field);
            }
            // Context fields the case sets and HTTP can carry must match; the rest of `request`
            // comes from the HTTP request itself.
            let request = got_obj.remove("request").unwrap_or_default();
            for field in [
                "correlation_id",
                "client_ip",
                "method",
                "path",
                "user_agent",
            ] {
                if let Some(v) = self.context(field).filter(|v| travels(v)) {
                    if request[field] != v {
                        return Err(format!(
                            "request.{field} is {}, expected {v}",
                            request[field]
                        ));
                    }
                }
            }
            let mut want = want.clone();
            if let Some(w) = want.as_object_mut() {
                w.remove("request");
            }
            if got != want {
                return Err(format!("record differs:\n got  {got}\n want {want}"));
            }
        } else {
            let kind = record.failure_kind().map(|k| k.as_str());
            if expected["kind"].as_str() != kind {
                return Err(format!("kind {kind:?}, expected {}", expected["kind"]));
            }
        }
        Ok(())
    }
}

/// Runs every sendable case through `send` (which builds the adapter around the verifier, sends
/// the request and returns the status) and fails listing every mismatch.
pub fn run(mut send: impl FnMut(Verifier, &HttpRequest) -> u16) {
    let cases = cases();
    let (mut sent, mut failures) = (0, Vec::new());
    for case in &cases {
        let Some(request) = case.request() else {
            continue;
        };
        let (verifier, sink) = case.verifier();
        let status = send(verifier, &request);
        sent += 1;
        if let Err(e) = case.check(status, &sink.records()) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    eprintln!(
        "{sent} of {} vector cases sent through the adapter",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        sent * 10 >= cases.len() * 9,
        "only {sent} of {} cases sent",
        cases.len()
    );
}
