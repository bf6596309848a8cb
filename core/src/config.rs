//! `VerifierConfig`: the one configuration every binding accepts, with the same names, defaults
//! and validation (DESIGN.md, "One configuration, everywhere").

use crate::errors::ConfigError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Default clock tolerance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;
/// Largest accepted `leeway_seconds`: more than five minutes hides real clock or expiry problems.
pub const MAX_LEEWAY_SECONDS: u64 = 300;
/// Default `max_token_bytes`.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
/// Bounds for `max_token_bytes`.
pub const MAX_TOKEN_BYTES_RANGE: std::ops::RangeInclusive<usize> = 64..=1024 * 1024;
/// Default verifier name written in records.
pub const DEFAULT_NAME: &str = "jwt-audit";

/// The verifier's configuration. Deserialise it from JSON/TOML (snake_case names) with
/// [`VerifierConfig::from_json_value`], or build it with [`crate::Verifier::builder`].
///
/// ```
/// let config = jwt_audit::VerifierConfig::from_json_str(r#"{
///     "keys": [{"secret": "a-very-long-secret-of-at-least-32-bytes!", "kid": "k1"}],
///     "algorithms": ["HS256"],
///     "issuer": "https://auth.example.com",
///     "audience": ["orders-api"]
/// }"#).unwrap();
/// assert_eq!(config.leeway_seconds, 30);
/// ```
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// Key sources; at least one.
    pub keys: Vec<KeySource>,
    /// Explicit allow-list; required, never `none`.
    pub algorithms: Vec<String>,
    /// Accepted `iss` values; when set, `iss` is required.
    #[serde(default)]
    pub issuer: Option<OneOrMany>,
    /// Accepted `aud` values; when set, `aud` is required and one value must match.
    #[serde(default)]
    pub audience: Option<OneOrMany>,
    /// Clock tolerance, 0..=300.
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    /// Claims that must be present; `None` means the default, `["exp"]`.
    #[serde(default)]
    pub required_claims: Option<Vec<String>>,
    /// Required `typ` header (compared case-insensitively, `application/` optional).
    #[serde(default)]
    pub typ: Option<String>,
    /// Size limit checked before any decoding.
    #[serde(default = "default_max_token_bytes")]
    pub max_token_bytes: usize,
    /// Fixed clock in unix seconds (tests, replaying old logs); absent = system clock.
    #[serde(default)]
    pub now: Option<i64>,
    /// Per-claim overrides of the default redaction policy.
    #[serde(default)]
    pub redaction: RedactionConfig,
    /// Secret that keys fingerprints and hashed claims (HMAC-SHA256); absent = plain SHA-256.
    #[serde(default)]
    pub fingerprint_key: Option<String>,
    /// This verifier's name in records.
    #[serde(default = "default_name")]
    pub name: String,
    /// Reject tokens whose record could not be delivered to a sink (fail-closed auditing).
    #[serde(default)]
    pub audit_fail_closed: bool,
}

fn default_leeway() -> u64 {
    DEFAULT_LEEWAY_SECONDS
}
fn default_max_token_bytes() -> usize {
    DEFAULT_MAX_TOKEN_BYTES
}
fn default_name() -> String {
    DEFAULT_NAME.to_string()
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            algorithms: Vec::new(),
            issuer: None,
            audience: None,
            leeway_seconds: DEFAULT_LEEWAY_SECONDS,
            required_claims: None,
            typ: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            now: None,
            redaction: RedactionConfig::default(),
            fingerprint_key: None,
            name: DEFAULT_NAME.to_string(),
            audit_fail_closed: false,
        }
    }
}

// Secrets never reach a Debug string.
impl fmt::Debug for VerifierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierConfig")
            .field("keys", &self.keys)
            .field("algorithms", &self.algorithms)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_seconds", &self.leeway_seconds)
            .field("required_claims", &self.required_claims)
            .field("typ", &self.typ)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("now", &self.now)
            .field("redaction", &self.redaction)
            .field(
                "fingerprint_key",
                &self.fingerprint_key.as_ref().map(|_| "[redacted]"),
            )
            .field("name", &self.name)
            .field("audit_fail_closed", &self.audit_fail_closed)
            .finish()
    }
}

/// An option name as JavaScript spells it: `leeway_seconds` → `leewaySeconds` (for bindings that
/// name options the way their callers write them).
///
/// ```
/// assert_eq!(jwt_audit::config::camel_case("max_token_bytes"), "maxTokenBytes");
/// assert_eq!(jwt_audit::config::snake_case("maxTokenBytes"), "max_token_bytes");
/// ```
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// An option's canonical name from its JavaScript spelling: `leewaySeconds` → `leeway_seconds`.
pub fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The option names JavaScript callers spell in camelCase, and their canonical names.
const CAMEL_CASE_OPTIONS: [(&str, &str); 5] = [
    ("leewaySeconds", "leeway_seconds"),
    ("requiredClaims", "required_claims"),
    ("maxTokenBytes", "max_token_bytes"),
    ("fingerprintKey", "fingerprint_key"),
    ("auditFailClosed", "audit_fail_closed"),
];

impl VerifierConfig {
    /// Parses a configuration from a JSON value with snake_case names. Errors name the option
    /// at fault (`keys[1].pem`, `leeway_seconds`).
    pub fn from_json_value(value: Value) -> Result<Self, ConfigError> {
        let config: Self = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let option = if path == "." {
                "config".to_string()
            } else {
                path
            };
            ConfigError::new(option, scrub_serde_message(&e.into_inner().to_string()))
        })?;
        Ok(config)
    }

    /// Parses a configuration from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ConfigError::new("config", format!("not valid JSON: {e}")))?;
        Self::from_json_value(value)
    }

    /// Parses a configuration written the JavaScript way (camelCase option names such as
    /// `leewaySeconds`); the Node and WASM bindings use this so both accept the same spelling.
    /// Snake_case names are accepted too; giving both spellings of one option is an error.
    pub fn from_js_value(mut value: Value) -> Result<Self, ConfigError> {
        if let Value::Object(map) = &mut value {
            for (camel, snake) in CAMEL_CASE_OPTIONS {
                if let Some(v) = map.remove(camel) {
                    if map.contains_key(snake) {
                        return Err(ConfigError::new(
                            camel,
                            format!("given twice (also as `{snake}`)"),
                        ));
                    }
                    map.insert(snake.to_string(), v);
                }
            }
        }
        Self::from_json_value(value).map_err(|mut e| {
            if let Some((camel, _)) = CAMEL_CASE_OPTIONS
                .iter()
                .find(|(_, s)| e.option.starts_with(s))
            {
                let snake = CAMEL_CASE_OPTIONS
                    .iter()
                    .find(|(c, _)| c == camel)
                    .map(|p| p.1)
                    .unwrap_or("");
                e.option = e.option.replacen(snake, camel, 1);
            }
            e
        })
    }

    /// The required claims in force (the default is `["exp"]`).
    pub fn effective_required_claims(&self) -> Vec<String> {
        self.required_claims
            .clone()
            .unwrap_or_else(|| vec!["exp".to_string()])
    }
}

// serde messages may quote the offending value; for key material that would leak a secret.
fn scrub_serde_message(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(expected) = msg
        .strip_prefix("unknown field `")
        .and_then(|m| m.split_once(", expected "))
    {
        // The option's name is already in `ConfigError::option`; list the valid ones.
        return format!("unknown option (expected {})", expected.1);
    }
    if msg.contains("-----BEGIN") || msg.len() > 200 {
        "has the wrong type or shape".to_string()
    } else {
        msg.to_string()
    }
}

/// One string or a list of strings (`issuer`, `audience`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

impl From<&str> for OneOrMany {
    fn from(s: &str) -> Self {
        Self::One(s.to_string())
    }
}

/// One key source: exactly one of `jwks`, `jwk`, `pem`, `secret`, with an optional `kid`
/// (for `pem` and `secret`; JWKs carry their own).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// A JWKS document (`{"keys": [...]}`), as an object or as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// One JWK, as an object or as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<Value>,
    /// A PEM public key: RSA (SPKI or PKCS#1), EC P-256/P-384 or Ed25519 (SPKI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// An HMAC secret (its UTF-8 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Key id matched against the token's `kid` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

impl KeySource {
    /// A JWKS document.
    pub fn jwks(doc: Value) -> Self {
        Self {
            jwks: Some(doc),
            ..Self::default()
        }
    }
    /// A single JWK.
    pub fn jwk(jwk: Value) -> Self {
        Self {
            jwk: Some(jwk),
            ..Self::default()
        }
    }
    /// A PEM public key.
    pub fn pem(pem: impl Into<String>) -> Self {
        Self {
            pem: Some(pem.into()),
            ..Self::default()
        }
    }
    /// An HMAC secret.
    pub fn secret(secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            ..Self::default()
        }
    }
    /// Sets the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match (&self.jwks, &self.jwk, &self.pem, &self.secret) {
            (Some(_), ..) => "jwks",
            (_, Some(_), ..) => "jwk",
            (_, _, Some(_), _) => "pem",
            (.., Some(_)) => "secret",
            _ => "empty",
        };
        f.debug_struct("KeySource")
            .field("kind", &kind)
            .field("kid", &self.kid)
            .finish()
    }
}

/// Per-claim overrides of the default redaction policy. A claim may appear in one list only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// Keep these claims verbatim (size-capped).
    pub keep: Vec<String>,
    /// Replace these claims' values by a keyed digest (same scheme as fingerprints).
    pub hash: Vec<String>,
    /// Replace these claims' values by `"***"`.
    pub mask: Vec<String>,
    /// Leave these claims out (their names are listed in `claims.dropped`).
    pub drop: Vec<String>,
}
