//! HTTP glue shared by every framework adapter (Express, FastAPI, Workers, axum, actix): Bearer
//! extraction (RFC 6750 §2.1), correlation ids, and the generic answer a client gets. The
//! specifics stay in the record; the client learns only `invalid_token` or `insufficient_scope`.

use crate::errors::FailureKind;
use crate::verifier::Verification;

/// What an `Authorization` header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// No header, or a scheme other than Bearer (e.g. `Basic`): no token presented.
    Missing,
    /// `Bearer` with an empty or syntactically invalid credential.
    Malformed,
    /// The token after `Bearer `.
    Bearer(&'a str),
}

/// Parses an `Authorization` header value. The scheme is case-insensitive; the token must be a
/// `b64token` (RFC 6750 §2.1).
///
/// ```
/// use jwt_audit::http::{bearer_credential, Credential};
/// assert_eq!(bearer_credential(Some("Bearer abc.def.ghi")), Credential::Bearer("abc.def.ghi"));
/// assert_eq!(bearer_credential(Some("bearer  abc")), Credential::Bearer("abc"));
/// assert_eq!(bearer_credential(Some("Basic dXNlcjpwYXNz")), Credential::Missing);
/// assert_eq!(bearer_credential(Some("Bearer")), Credential::Malformed);
/// assert_eq!(bearer_credential(None), Credential::Missing);
/// ```
pub fn bearer_credential(header: Option<&str>) -> Credential<'_> {
    let Some(h) = header.map(str::trim) else {
        return Credential::Missing;
    };
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credential::Missing;
    }
    let token = rest.trim_start_matches(' ');
    let b64token = |t: &str| {
        let body = t.trim_end_matches('=');
        !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
    };
    if b64token(token) {
        Credential::Bearer(token)
    } else {
        Credential::Malformed
    }
}

/// Longest `X-Request-Id` taken as a correlation id.
pub const MAX_CORRELATION_ID: usize = 128;

/// The correlation id for a request: `X-Request-Id` when it is printable ASCII (≤ 128 chars),
/// else the trace id of a valid W3C `traceparent`, else `None` (the caller generates one with
/// [`new_correlation_id`] and echoes it back).
///
/// ```
/// use jwt_audit::http::correlation_id;
/// assert_eq!(correlation_id(Some("req-7"), None).as_deref(), Some("req-7"));
/// let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// assert_eq!(correlation_id(None, Some(tp)).as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
/// assert_eq!(correlation_id(Some("bad\nid"), None), None);
/// ```
pub fn correlation_id(x_request_id: Option<&str>, traceparent: Option<&str>) -> Option<String> {
    if let Some(id) = x_request_id.map(str::trim) {
        if !id.is_empty()
            && id.len() <= MAX_CORRELATION_ID
            && id.bytes().all(|b| (0x21..0x7f).contains(&b))
        {
            return Some(id.to_string());
        }
    }
    let tp = traceparent?.trim();
    let parts: Vec<&str> = tp.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    if parts.len() >= 4
        && hex(parts[0], 2)
        && parts[0] != "ff"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
    {
        if parts[1].bytes().all(|b| b == b'0') {
            return None;
        }
        return Some(parts[1].to_string());
    }
    None
}

/// A fresh, time-ordered correlation id (UUIDv7).
pub fn new_correlation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The generic HTTP answer to a rejected verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// 401, 403 (insufficient scope) or 503 (fail-closed auditing could not record).
    pub status: u16,
    /// The `WWW-Authenticate` header value (RFC 6750 §3).
    pub www_authenticate: String,
    /// A JSON body with no claim values and no internal detail.
    pub body: &'static str,
}

/// The answer for a rejected verification; `None` when it was accepted.
///
/// ```
/// use jwt_audit::{Verifier, RequestContext, http::challenge};
/// let verifier = Verifier::builder().hmac_secret("a-very-long-secret-of-at-least-32-bytes!").algorithms(["HS256"]).build()?;
/// let c = challenge(&verifier.verify("x.y.z", &RequestContext::new())).unwrap();
/// assert_eq!((c.status, c.www_authenticate.as_str()), (401, r#"Bearer error="invalid_token""#));
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
pub fn challenge(v: &Verification) -> Option<Challenge> {
    let record = v.record();
    let kind = record.failure_kind()?;
    Some(match kind {
        FailureKind::MissingToken => Challenge {
            status: 401,
            www_authenticate: "Bearer".into(),
            body: r#"{"error":"unauthorized"}"#,
        },
        FailureKind::InsufficientScope => {
            let scopes = record
                .authz
                .as_ref()
                .map(|a| a.required.scopes.join(" "))
                .unwrap_or_default();
            // Scope names come from configuration, but quote-escape them anyway.
            let scopes: String = scopes
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
                .collect();
            let mut h = String::from(r#"Bearer error="insufficient_scope""#);
            if !scopes.is_empty() {
                h.push_str(&format!(r#", scope="{scopes}""#));
            }
            Challenge {
                status: 403,
                www_authenticate: h,
                body: r#"{"error":"insufficient_scope"}"#,
            }
        }
        FailureKind::AuditFailed => Challenge {
            status: 503,
            www_authenticate: r#"Bearer error="invalid_token""#.into(),
            body: r#"{"error":"temporarily_unavailable"}"#,
        },
        _ => Challenge {
            status: 401,
            www_authenticate: r#"Bearer error="invalid_token""#.into(),
            body: r#"{"error":"invalid_token"}"#,
        },
    })
}
