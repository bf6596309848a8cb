//! The `AuditRecord` (JSON schema `jwt-audit/v1`): one per verification, the same bytes from every
//! binding for the same token, configuration and clock.

use crate::context::RequestContext;
use crate::errors::{FailureKind, Severity, Step};
use crate::timefmt;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// The schema identifier written in every record.
pub const SCHEMA: &str = "jwt-audit/v1";

/// One verification, as an investigator needs to see it. Field names are public API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Unique, time-ordered (UUIDv7).
    pub id: String,
    /// When the verification happened, unix milliseconds; JSON: RFC 3339 UTC with milliseconds.
    #[serde(
        rename = "time",
        serialize_with = "ser_time",
        deserialize_with = "de_time"
    )]
    pub time_ms: i64,
    /// Time spent verifying, in microseconds (host signature steps included).
    pub duration_us: u64,
    pub event: Event,
    pub outcome: Outcome,
    pub severity: Severity,
    /// `None` when accepted.
    pub failure: Option<Failure>,
    pub token: TokenInfo,
    pub claims: ClaimsInfo,
    pub request: RequestContext,
    /// Present when scopes or roles were checked.
    pub authz: Option<AuthzInfo>,
    pub verifier: VerifierInfo,
}

impl AuditRecord {
    /// The record as one line of JSON (no trailing newline). Object keys are sorted, so the bytes
    /// are the same whatever serde_json features the host build unified.
    pub fn to_json(&self) -> String {
        // Serialising plain data into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Appends the record and a newline to `out` (the JSON Lines form).
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }

    /// `true` when the token was accepted.
    pub fn is_accepted(&self) -> bool {
        self.outcome == Outcome::Accepted
    }

    /// The failure kind, if rejected.
    pub fn failure_kind(&self) -> Option<FailureKind> {
        self.failure.as_ref().map(|f| f.kind)
    }
}

/// OWASP-style event name (the `authn_` family extended for presented tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    AuthnTokenValid,
    AuthnTokenInvalid,
    /// A revoked or replayed token.
    AuthnTokenReuse,
    /// A valid token without the required scope or role.
    AuthzFail,
}

impl Event {
    pub(crate) fn for_failure(kind: Option<FailureKind>) -> Self {
        match kind {
            None => Self::AuthnTokenValid,
            Some(FailureKind::Revoked | FailureKind::Replayed) => Self::AuthnTokenReuse,
            Some(FailureKind::InsufficientScope) => Self::AuthzFail,
            Some(_) => Self::AuthnTokenInvalid,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Rejected,
}

/// Why the token was rejected: the first failing check, and every other check that failed after
/// the signature passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub step: Step,
    /// Short and non-secret, e.g. "exp is 92 s before now, leeway 30 s".
    pub detail: String,
    pub also: Vec<FailedCheck>,
}

/// A further failed check listed in [`Failure::also`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub kind: FailureKind,
    pub step: Step,
    pub detail: String,
}

/// What identifies the token, without the token. Values from an unverified token are marked
/// `trusted: false`, size-capped and redacted by the same policy as claims.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TokenInfo {
    /// `<scheme>:<base64url of 128 bits>`; `None` when the token was absent or too large to hash.
    pub fingerprint: Option<String>,
    pub alg: Option<String>,
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// Size of the presented token in bytes.
    pub size: usize,
    /// `true` only when the signature verified.
    pub trusted: bool,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub jti: Option<Value>,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub iss: Option<Value>,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub aud: Option<Value>,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub iat: Option<Value>,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub nbf: Option<Value>,
    #[serde(serialize_with = "ser_opt_canonical")]
    pub exp: Option<Value>,
}

/// The payload after redaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClaimsInfo {
    /// Kept, hashed and masked claims.
    #[serde(serialize_with = "ser_map_canonical")]
    pub values: BTreeMap<String, Value>,
    /// Names of the claims left out (sorted, capped).
    pub dropped: Vec<String>,
}

/// The outcome of a scope/role check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthzInfo {
    pub required: Grants,
    pub granted: Grants,
    pub decision: Decision,
}

/// Scopes and roles, required or granted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Grants {
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    #[default]
    Deny,
}

/// Which verifier produced the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierInfo {
    pub name: String,
    pub version: String,
}

fn ser_time<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timefmt::format_rfc3339_ms(*ms))
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    timefmt::parse_rfc3339_ms(&s).ok_or_else(|| D::Error::custom("time is not RFC 3339 UTC"))
}

/// Serialises a JSON value with object keys sorted, independent of serde_json's `preserve_order`.
pub(crate) struct Canonical<'a>(pub &'a Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, &Canonical(v))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&Canonical(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

fn ser_opt_canonical<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => Canonical(v).serialize(s),
        None => s.serialize_none(),
    }
}

fn ser_map_canonical<S: Serializer>(m: &BTreeMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut out = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        out.serialize_entry(k, &Canonical(v))?;
    }
    out.end()
}
