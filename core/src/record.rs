//! The `AuditRecord` (JSON schema `jwt-audit/v1`): one per verification, the same bytes from every
//! binding for the same token, configuration and clock.

use crate::context::RequestContext;
use crate::errors::{FailureKind, Severity, Step};
use crate::timefmt;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

pub use crate::claims::{ClaimNames, ClaimValues, NamesIter, ValuesIter};

/// The schema identifier written in every record.
pub const SCHEMA: &str = "jwt-audit/v1";

/// One verification, as an investigator needs to see it. Field names are public API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Always [`SCHEMA`].
    pub schema: Cow<'static, str>,
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
    ///
    /// The bytes are exactly those of `serde_json::to_string(&record)`, written by a hand-made
    /// writer (see [`write_json_line`](Self::write_json_line)).
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        write::record(self, &mut out);
        // The writer only appends `str`s and ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the record and a newline to `out` (the JSON Lines form). The same bytes as
    /// `serde_json::to_writer(out, record)` followed by `\n`, several times faster: fields are
    /// written in declaration order without going through serde, and strings that need no escape
    /// are copied whole.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        write::record(self, out);
        out.push(b'\n');
    }

    /// The record's `time` as its JSON writes it: RFC 3339 UTC with milliseconds.
    ///
    /// ```
    /// use jwt_audit::{RequestContext, Verifier};
    ///
    /// let verifier = Verifier::builder()
    ///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
    ///     .algorithms(["HS256"])
    ///     .now(1_700_000_000)
    ///     .build()?;
    /// let v = verifier.verify("not.a.token", &RequestContext::new());
    /// assert_eq!(v.record().time(), "2023-11-14T22:13:20.000Z");
    /// # Ok::<(), jwt_audit::ConfigError>(())
    /// ```
    pub fn time(&self) -> String {
        timefmt::format_rfc3339_ms(self.time_ms)
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
    /// The JSON name, e.g. `"authn_token_valid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthnTokenValid => "authn_token_valid",
            Self::AuthnTokenInvalid => "authn_token_invalid",
            Self::AuthnTokenReuse => "authn_token_reuse",
            Self::AuthzFail => "authz_fail",
        }
    }

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

impl Outcome {
    /// The JSON name, `"accepted"` or `"rejected"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
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

impl TokenInfo {
    /// The registered claims repeated in the token section, in its field order.
    pub const REGISTERED: [&'static str; 6] = ["jti", "iss", "aud", "iat", "nbf", "exp"];

    /// The field of registered claim `name`, if it is one.
    pub(crate) fn registered_mut(&mut self, name: &str) -> Option<&mut Option<Value>> {
        Some(match name {
            "jti" => &mut self.jti,
            "iss" => &mut self.iss,
            "aud" => &mut self.aud,
            "iat" => &mut self.iat,
            "nbf" => &mut self.nbf,
            "exp" => &mut self.exp,
            _ => return None,
        })
    }
}

/// The payload after redaction. Kept claims are shared with the verified payload, not copied.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClaimsInfo {
    /// Kept, hashed and masked claims, in name order.
    pub values: ClaimValues,
    /// Names of the claims left out (sorted, capped).
    pub dropped: ClaimNames,
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

impl Decision {
    /// The JSON name, `"allow"` or `"deny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// Which verifier produced the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierInfo {
    /// Shared by every record of a verifier (cloning the record does not copy it).
    pub name: Arc<str>,
    pub version: Arc<str>,
}

fn ser_time<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timefmt::format_rfc3339_ms(*ms))
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    timefmt::parse_rfc3339_ms(&s).ok_or_else(|| D::Error::custom("time is not RFC 3339 UTC"))
}

/// A new record id: a UUIDv7 (RFC 9562) of `unix_ms`, unique and time-ordered.
///
/// Cheaper than `uuid::Uuid::now_v7()`, which asks the operating system for random bytes on every
/// call: here the 74 bits after the timestamp are a process-wide counter (42 bits, starting at a
/// random value, so ids of one process sort in creation order) and 32 bits mixed from the counter
/// and a per-process random seed (so processes do not collide). The timestamp never goes
/// backwards within a process, even if the system clock does.
pub(crate) fn new_record_id(unix_ms: i64) -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static SEED: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static LAST_MS: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        // The random bits of one OS-seeded UUIDv7.
        let seed = uuid::Uuid::now_v7().as_u128() as u64;
        NEXT.store(seed >> 23, Relaxed);
        seed
    });
    let ms = (unix_ms.max(0) as u64) & ((1 << 48) - 1);
    let ms = LAST_MS.fetch_max(ms, Relaxed).max(ms);
    let counter = NEXT.fetch_add(1, Relaxed) & ((1 << 42) - 1);
    let random = splitmix64(seed ^ counter) & 0xffff_ffff;
    let bits = (u128::from(ms) << 80)
        | (0x7 << 76)
        | (u128::from(counter >> 30) << 64)
        | (0b10 << 62)
        | (u128::from(counter & ((1 << 30) - 1)) << 32)
        | u128::from(random);
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::from_u128(bits)
        .hyphenated()
        .encode_lower(&mut buf)
        .to_string()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

/// The hand-written JSON writer behind [`AuditRecord::to_json`] and
/// [`AuditRecord::write_json_line`]. It produces exactly the bytes of `serde_json::to_writer` on
/// the derived `Serialize` (compact, fields in declaration order, claim objects with sorted keys);
/// the tests below compare the two on varied records. Numbers and strings that need escaping are
/// written by serde_json itself, so its number formatting and escapes are used unchanged.
mod write {
    use super::*;
    use crate::claims::ClaimJson;
    use crate::errors::Step;
    use serde_json::Map;

    pub(super) fn record(r: &AuditRecord, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"schema\":");
        string(&r.schema, out);
        out.extend_from_slice(b",\"id\":");
        string(&r.id, out);
        out.extend_from_slice(b",\"time\":\"");
        timefmt::write_rfc3339_ms(r.time_ms, out);
        out.extend_from_slice(b"\",\"duration_us\":");
        uint(r.duration_us, out);
        out.extend_from_slice(b",\"event\":\"");
        out.extend_from_slice(r.event.as_str().as_bytes());
        out.extend_from_slice(b"\",\"outcome\":\"");
        out.extend_from_slice(r.outcome.as_str().as_bytes());
        out.extend_from_slice(b"\",\"severity\":\"");
        out.extend_from_slice(r.severity.as_str().as_bytes());
        out.extend_from_slice(b"\",\"failure\":");
        match &r.failure {
            None => out.extend_from_slice(b"null"),
            Some(f) => {
                check_fields(f.kind, f.step, &f.detail, out);
                out.extend_from_slice(b",\"also\":[");
                for (i, c) in f.also.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    check_fields(c.kind, c.step, &c.detail, out);
                    out.push(b'}');
                }
                out.extend_from_slice(b"]}");
            }
        }
        token(&r.token, out);
        out.extend_from_slice(b",\"claims\":{\"values\":{");
        for (i, (k, v)) in r.claims.values.json_iter().enumerate() {
            match v {
                ClaimJson::Text(text) => {
                    if i > 0 {
                        out.push(b',');
                    }
                    string(k, out);
                    out.push(b':');
                    out.extend_from_slice(text.as_bytes());
                }
                ClaimJson::Value(v) => member(i, k, v, out),
            }
        }
        out.extend_from_slice(b"},\"dropped\":");
        strings(r.claims.dropped.iter(), out);
        let q = &r.request;
        out.extend_from_slice(b"},\"request\":{\"correlation_id\":");
        opt_string(q.correlation_id.as_deref(), out);
        out.extend_from_slice(b",\"client_ip\":");
        opt_string(q.client_ip.as_deref(), out);
        out.extend_from_slice(b",\"method\":");
        opt_string(q.method.as_deref(), out);
        out.extend_from_slice(b",\"path\":");
        opt_string(q.path.as_deref(), out);
        out.extend_from_slice(b",\"user_agent\":");
        opt_string(q.user_agent.as_deref(), out);
        out.extend_from_slice(b"},\"authz\":");
        match &r.authz {
            None => out.extend_from_slice(b"null"),
            Some(a) => {
                out.extend_from_slice(b"{\"required\":");
                grants(&a.required, out);
                out.extend_from_slice(b",\"granted\":");
                grants(&a.granted, out);
                out.extend_from_slice(b",\"decision\":");
                name(a.decision.as_str(), out);
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"verifier\":{\"name\":");
        string(&r.verifier.name, out);
        out.extend_from_slice(b",\"version\":");
        string(&r.verifier.version, out);
        out.extend_from_slice(b"}}");
    }

    fn token(t: &TokenInfo, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"token\":{\"fingerprint\":");
        opt_string(t.fingerprint.as_deref(), out);
        out.extend_from_slice(b",\"alg\":");
        opt_string(t.alg.as_deref(), out);
        out.extend_from_slice(b",\"kid\":");
        opt_string(t.kid.as_deref(), out);
        out.extend_from_slice(b",\"typ\":");
        opt_string(t.typ.as_deref(), out);
        out.extend_from_slice(b",\"size\":");
        uint(t.size as u64, out);
        out.extend_from_slice(if t.trusted {
            b",\"trusted\":true"
        } else {
            b",\"trusted\":false"
        });
        for (key, v) in [
            (b",\"jti\":", &t.jti),
            (b",\"iss\":", &t.iss),
            (b",\"aud\":", &t.aud),
            (b",\"iat\":", &t.iat),
            (b",\"nbf\":", &t.nbf),
            (b",\"exp\":", &t.exp),
        ] {
            out.extend_from_slice(key);
            match v {
                None => out.extend_from_slice(b"null"),
                Some(v) => value(v, out),
            }
        }
        out.push(b'}');
    }

    /// `{"kind":…,"step":…,"detail":…` (the caller closes the object).
    fn check_fields(kind: FailureKind, step: Step, detail: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"kind\":");
        name(kind.as_str(), out);
        out.extend_from_slice(b",\"step\":");
        name(step.as_str(), out);
        out.extend_from_slice(b",\"detail\":");
        string(detail, out);
    }

    fn grants(g: &Grants, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"scopes\":");
        strings(g.scopes.iter().map(String::as_str), out);
        out.extend_from_slice(b",\"roles\":");
        strings(g.roles.iter().map(String::as_str), out);
        out.push(b'}');
    }

    fn strings<'a>(items: impl Iterator<Item = &'a str>, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, s) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(s, out);
        }
        out.push(b']');
    }

    /// An enum's snake_case name (never needs escaping).
    fn name(s: &str, out: &mut Vec<u8>) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }

    fn opt_string(s: Option<&str>, out: &mut Vec<u8>) {
        match s {
            Some(s) => string(s, out),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// A JSON string: copied whole when nothing in it needs an escape, else written by serde_json.
    #[inline]
    fn string(s: &str, out: &mut Vec<u8>) {
        if needs_escape(s.as_bytes()) {
            escaped(s, out);
        } else {
            out.reserve(s.len() + 2);
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
    }

    /// A string that needs escapes (rare): serde_json's own escaping.
    #[cold]
    #[inline(never)]
    fn escaped(s: &str, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }

    /// `true` if `b` holds a byte that JSON strings escape (`"`, `\`, or a control below 0x20).
    /// Sixteen bytes at a time from sixteen bytes on (a fold the compiler turns into vector
    /// compares), else eight or four at a time (exact "has a byte less than / equal to" word
    /// tricks); the bytes after the last whole block are tested as part of the last block
    /// (overlapping), so no byte loop runs.
    #[inline]
    pub(super) fn needs_escape(b: &[u8]) -> bool {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let word = crate::json::escape_bytes;
        #[inline(always)]
        fn block(c: &[u8]) -> bool {
            let c: [u8; 16] = c.try_into().unwrap_or_default();
            c.iter().fold(false, |found, &x| {
                found | (x < 0x20) | (x == b'"') | (x == b'\\')
            })
        }
        let le8 = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
        let le4 = |w: &[u8]| u64::from(u32::from_le_bytes(w.try_into().unwrap_or_default()));
        let n = b.len();
        if n >= 16 {
            let mut blocks = b.chunks_exact(16);
            let mut found = false;
            for c in &mut blocks {
                found |= block(c);
            }
            return found | (!blocks.remainder().is_empty() && block(&b[n - 16..]));
        }
        let found = if n >= 8 {
            word(le8(&b[..8])) | word(le8(&b[n - 8..]))
        } else if n >= 4 {
            word(le4(&b[..4]) | (le4(&b[n - 4..]) << 32))
        } else {
            // Up to three bytes, assembled in a register and padded with a byte that needs no
            // escape.
            word(
                b.iter()
                    .fold(ONES * u64::from(b'a'), |t, &c| (t << 8) | u64::from(c)),
            )
        };
        found != 0
    }

    /// `"00"`, `"01"`, … `"99"`: two digits per step.
    const DIGIT_PAIRS: [u8; 200] = {
        let mut t = [0; 200];
        let mut i = 0;
        while i < 100 {
            t[2 * i] = b'0' + (i / 10) as u8;
            t[2 * i + 1] = b'0' + (i % 10) as u8;
            i += 1;
        }
        t
    };

    /// `n` in decimal (the bytes of serde_json's `itoa`), four digits per step.
    fn uint(mut n: u64, out: &mut Vec<u8>) {
        let pair = |buf: &mut [u8; 20], i: usize, d: u64| {
            let d = d as usize * 2;
            buf[i] = DIGIT_PAIRS[d];
            buf[i + 1] = DIGIT_PAIRS[d + 1];
        };
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        while n >= 10_000 {
            let r = n % 10_000;
            n /= 10_000;
            i -= 4;
            pair(&mut buf, i, r / 100);
            pair(&mut buf, i + 2, r % 100);
        }
        if n >= 100 {
            i -= 2;
            pair(&mut buf, i, n % 100);
            n /= 100;
        }
        if n >= 10 {
            i -= 2;
            pair(&mut buf, i, n);
        } else {
            i -= 1;
            buf[i] = b'0' + n as u8;
        }
        out.extend_from_slice(&buf[i..]);
    }

    /// A JSON number: integers written here, anything else (floats, and integers beyond 64 bits
    /// with serde_json's `arbitrary_precision`) by serde_json's own formatting.
    fn number(n: &serde_json::Number, out: &mut Vec<u8>) {
        if let Some(u) = n.as_u64() {
            uint(u, out);
        } else if let Some(i) = n.as_i64().filter(|i| *i < 0) {
            out.push(b'-');
            uint(i.unsigned_abs(), out);
        } else {
            // Writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, n);
        }
    }

    /// One `"key":value` of a claims object (`i` > 0 adds the comma).
    fn member(i: usize, k: &str, v: &Value, out: &mut Vec<u8>) {
        if i > 0 {
            out.push(b',');
        }
        string(k, out);
        out.push(b':');
        value(v, out);
    }

    /// A claim value, objects with sorted keys (as [`Canonical`]).
    fn value(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(n) => number(n, out),
            Value::String(s) => string(s, out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    value(x, out);
                }
                out.push(b']');
            }
            Value::Object(m) => object(m, out),
        }
    }

    fn object(m: &Map<String, Value>, out: &mut Vec<u8>) {
        out.push(b'{');
        if m.keys().is_sorted() {
            for (i, (k, v)) in m.iter().enumerate() {
                member(i, k, v, out);
            }
        } else {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (i, (k, v)) in entries.into_iter().enumerate() {
                member(i, k, v, out);
            }
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The fast writer against serde_json on the derived `Serialize`.
    fn assert_same_bytes(r: &AuditRecord) {
        let serde = serde_json::to_string(r).unwrap();
        assert_eq!(r.to_json(), serde);
        let mut line = b"previous\n".to_vec();
        r.write_json_line(&mut line);
        assert_eq!(line, format!("previous\n{serde}\n").into_bytes());
    }

    fn base() -> AuditRecord {
        AuditRecord {
            schema: SCHEMA.into(),
            id: "0190a7c4-1f2e-7abc-8def-0123456789ab".to_string(),
            time_ms: 1_700_000_000_123,
            duration_us: 42,
            event: Event::AuthnTokenValid,
            outcome: Outcome::Accepted,
            severity: Severity::Info,
            failure: None,
            token: TokenInfo::default(),
            claims: ClaimsInfo::default(),
            request: RequestContext::default(),
            authz: None,
            verifier: VerifierInfo {
                name: "jwt-audit".into(),
                version: "0.1.0".into(),
            },
        }
    }

    fn tricky_strings() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "plain",
            "quote \" and backslash \\ and slash /",
            "newline\nreturn\rtab\tbackspace\u{8}formfeed\u{c}",
            "controls \u{0}\u{1}\u{1f} and DEL \u{7f}",
            "ünïcödé — 日本語 — emoji 🦀 — RTL \u{202e}",
            "\u{1b}[31mANSI\u{1b}[0m",
            "fifteen chars!!\"",
            "sixteen chars!!!\"",
            "seventeen chars!!\\",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push("x".repeat(300) + "\u{2028}");
        v.push("y".repeat(31) + "\n");
        v
    }

    #[test]
    fn fast_writer_matches_serde_on_varied_records() {
        let mut records = vec![base()];
        for s in tricky_strings() {
            let mut r = base();
            r.id = s.clone();
            r.event = Event::AuthnTokenInvalid;
            r.outcome = Outcome::Rejected;
            r.severity = Severity::Critical;
            r.failure = Some(Failure {
                kind: FailureKind::Expired,
                step: Step::Time,
                detail: s.clone(),
                also: vec![
                    FailedCheck {
                        kind: FailureKind::AudienceMismatch,
                        step: Step::Claims,
                        detail: s.clone(),
                    },
                    FailedCheck {
                        kind: FailureKind::MissingClaim,
                        step: Step::Claims,
                        detail: "jti is required".into(),
                    },
                ],
            });
            r.token = TokenInfo {
                fingerprint: Some("sha256:ungWv48Bz-pBQUDeXa4iIw".into()),
                alg: Some(s.clone()),
                kid: None,
                typ: Some("JWT".into()),
                size: usize::MAX,
                trusted: false,
                jti: Some(Value::String(s.clone())),
                iss: Some(json!({"z": s, "a": [1, {"y": null, "b": true}]})),
                aud: Some(json!(["a", s, null])),
                iat: Some(json!(1.5)),
                nbf: Some(json!(-1)),
                exp: Some(json!(u64::MAX)),
            };
            r.claims.values = [
                (s.clone(), Value::String(s.clone())),
                ("n".into(), Value::Null),
            ]
            .into_iter()
            .collect();
            r.claims.dropped = [s.clone(), "…(+3)".into()].into_iter().collect();
            r.request = RequestContext {
                correlation_id: Some(s.clone()),
                client_ip: None,
                method: Some("GET".into()),
                path: Some(s.clone()),
                user_agent: None,
            };
            r.authz = Some(AuthzInfo {
                required: Grants {
                    scopes: vec![s.clone()],
                    roles: vec![],
                },
                granted: Grants::default(),
                decision: Decision::Deny,
            });
            r.verifier.name = s.into();
            records.push(r);
        }
        let numbers = json!([
            0,
            -0.0,
            0.1,
            1e300,
            -1e-300,
            2.5e-8,
            123456789.125,
            1e21,
            1e15,
            f64::MAX,
            f64::MIN_POSITIVE,
            i64::MIN,
            i64::MAX,
            u64::MAX,
            9007199254740993u64
        ]);
        let mut r = base();
        r.claims.values = [
            ("numbers".into(), numbers),
            (
                "nested".into(),
                json!({"b": {"d": [[], {}], "c": [{"z": 1, "a": 2}]}, "a": "x", "A": "y", "é": 1}),
            ),
            ("empty".into(), json!({})),
        ]
        .into_iter()
        .collect();
        r.authz = Some(AuthzInfo {
            required: Grants {
                scopes: vec!["orders:read".into(), "orders:write".into()],
                roles: vec!["admin".into()],
            },
            granted: Grants {
                scopes: vec!["orders:read".into()],
                roles: vec![],
            },
            decision: Decision::Allow,
        });
        r.time_ms = -62_167_219_200_001;
        records.push(r);
        for (i, kind) in FailureKind::ALL.into_iter().enumerate() {
            let mut r = base();
            r.time_ms = i64::MAX / 1000 * (i as i64 % 3);
            r.event = [
                Event::AuthnTokenValid,
                Event::AuthnTokenInvalid,
                Event::AuthnTokenReuse,
                Event::AuthzFail,
            ][i % 4];
            r.severity = kind.severity();
            r.failure = Some(Failure {
                kind,
                step: kind.step(),
                detail: kind.to_string(),
                also: Vec::new(),
            });
            records.push(r);
        }
        for r in &records {
            assert_same_bytes(r);
        }
    }

    #[test]
    fn escape_detection_is_exact_at_every_position() {
        for len in 1..=40 {
            for pos in 0..len {
                for byte in 0..=0x7fu8 {
                    let mut b = vec![b'a'; len];
                    b[pos] = byte;
                    let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                    assert_eq!(write::needs_escape(&b), expected, "{len} {pos} {byte}");
                }
            }
        }
        assert!(!write::needs_escape("ünïcödé 🦀 \u{7f}".as_bytes()));
    }

    #[test]
    fn record_ids_are_unique_time_ordered_uuid_v7() {
        // Every caller passes the system clock (other tests run concurrently in this process).
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let ids: Vec<String> = (0..10_000).map(|_| new_record_id(ms)).collect();
        for id in &ids {
            let u = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(u.get_version_num(), 7);
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = u.get_timestamp().unwrap().to_unix();
            let id_ms = secs as i64 * 1000 + i64::from(nanos / 1_000_000);
            assert!((ms..ms + 60_000).contains(&id_ms), "{id}");
        }
        assert!(ids.is_sorted(), "one process's ids sort in creation order");
        // A clock that goes back does not break the order.
        let earlier = new_record_id(ms - 5_000);
        assert!(earlier > ids[ids.len() - 1]);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..5_000).map(|_| new_record_id(ms)).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.extend(ids);
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "ids are unique across threads");
    }

    #[test]
    fn unsorted_objects_are_written_sorted() {
        // With serde_json's `preserve_order` unified into a build, a Map keeps insertion order.
        let mut m = serde_json::Map::new();
        m.insert("b".into(), json!(1));
        m.insert("a".into(), json!({"d": 1, "c": 2}));
        let mut r = base();
        r.token.iss = Some(Value::Object(m));
        assert_same_bytes(&r);
        assert!(r.to_json().contains(r#""iss":{"a":{"c":2,"d":1},"b":1}"#));
    }

    #[test]
    fn integers_are_written_as_serde_writes_them() {
        let mut numbers: Vec<Value> = Vec::new();
        for p in 0..=19u32 {
            let t = 10u64.pow(p);
            for n in [t - 1, t, t + 1, t.saturating_mul(5)] {
                numbers.push(json!(n));
                numbers.push(json!(-(n.min(i64::MAX as u64) as i64)));
            }
        }
        numbers.extend([json!(u64::MAX), json!(i64::MIN), json!(-0.0), json!(0.0)]);
        let mut r = base();
        r.token.iat = Some(Value::Array(numbers.clone()));
        r.claims.values = [("n".to_string(), Value::Array(numbers))]
            .into_iter()
            .collect();
        r.duration_us = u64::MAX;
        r.token.size = 10_000;
        assert_same_bytes(&r);
    }

    proptest! {
        #[test]
        fn fast_writer_matches_serde_on_any_number(u in any::<u64>(), i in any::<i64>(), f in any::<f64>()) {
            let mut r = base();
            r.duration_us = u;
            r.token.exp = Some(json!([u, i, f]));
            r.claims.values = [("n".to_string(), json!({"u": u, "i": i, "f": f}))]
                .into_iter()
                .collect();
            prop_assert_eq!(r.to_json(), serde_json::to_string(&r).unwrap());
        }

        #[test]
        fn fast_writer_matches_serde_on_any_string(s in any::<String>(), t in "[\\x00-\\x7f]{0,40}") {
            let mut r = base();
            r.id = s.clone();
            r.request.user_agent = Some(t.clone());
            r.claims.values = [(t, json!([s.clone(), {"k": s}]))].into_iter().collect();
            prop_assert_eq!(r.to_json(), serde_json::to_string(&r).unwrap());
        }
    }
}
