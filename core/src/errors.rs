//! Failure kinds (why a token was rejected) and configuration errors (why a verifier could not be built).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a token was rejected. Stable snake_case strings in JSON; new kinds may be added,
/// existing ones are never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// No token was presented.
    MissingToken,
    /// The token is larger than `max_token_bytes` (checked before any decoding).
    TokenTooLarge,
    /// Not three base64url segments of JSON objects.
    Malformed,
    /// `alg` is `none`, outside the allow-list, or does not fit the selected key's type.
    AlgorithmNotAllowed,
    /// A well-formed construct this verifier refuses: JWE, unknown `crit`, `b64: false`, an algorithm it does not implement.
    Unsupported,
    /// No configured key matches the token's `kid` / algorithm.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `now >= exp + leeway`.
    Expired,
    /// `now + leeway < nbf`.
    NotYetValid,
    /// `iat > now + leeway`.
    IssuedInFuture,
    /// `iss` is not one of the configured issuers.
    IssuerMismatch,
    /// No `aud` value is one of the configured audiences.
    AudienceMismatch,
    /// A required claim (or header, for `typ`) is absent.
    MissingClaim,
    /// A claim has the wrong type or value (e.g. a string `exp`, a `typ` mismatch).
    InvalidClaim,
    /// The `(iss, jti)` pair is on the revocation list.
    Revoked,
    /// The `(iss, jti)` pair was already presented.
    Replayed,
    /// The token lacks a required scope or role.
    InsufficientScope,
    /// Fail-closed auditing is on and the record could not be delivered.
    AuditFailed,
}

impl FailureKind {
    /// Every kind, in pipeline order.
    pub const ALL: [FailureKind; 18] = [
        Self::MissingToken,
        Self::TokenTooLarge,
        Self::Malformed,
        Self::AlgorithmNotAllowed,
        Self::Unsupported,
        Self::UnknownKey,
        Self::BadSignature,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
        Self::IssuerMismatch,
        Self::AudienceMismatch,
        Self::MissingClaim,
        Self::InvalidClaim,
        Self::Revoked,
        Self::Replayed,
        Self::InsufficientScope,
        Self::AuditFailed,
    ];

    /// The JSON name, e.g. `"bad_signature"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::TokenTooLarge => "token_too_large",
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::Unsupported => "unsupported",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::AudienceMismatch => "audience_mismatch",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::Revoked => "revoked",
            Self::Replayed => "replayed",
            Self::InsufficientScope => "insufficient_scope",
            Self::AuditFailed => "audit_failed",
        }
    }

    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// Default severity of a rejection of this kind.
    pub fn severity(self) -> Severity {
        match self {
            Self::MissingToken | Self::Expired | Self::NotYetValid => Severity::Low,
            Self::TokenTooLarge
            | Self::Malformed
            | Self::Unsupported
            | Self::UnknownKey
            | Self::IssuedInFuture
            | Self::AudienceMismatch
            | Self::MissingClaim
            | Self::InvalidClaim
            | Self::InsufficientScope => Severity::Medium,
            Self::AlgorithmNotAllowed
            | Self::BadSignature
            | Self::IssuerMismatch
            | Self::Revoked
            | Self::Replayed
            | Self::AuditFailed => Severity::High,
        }
    }

    /// The pipeline step that performs this check.
    pub fn step(self) -> Step {
        match self {
            Self::MissingToken | Self::TokenTooLarge => Step::Presence,
            Self::Malformed => Step::Structure,
            Self::AlgorithmNotAllowed | Self::Unsupported | Self::UnknownKey => Step::Header,
            Self::BadSignature => Step::Signature,
            Self::Expired | Self::NotYetValid | Self::IssuedInFuture => Step::Time,
            Self::IssuerMismatch
            | Self::AudienceMismatch
            | Self::MissingClaim
            | Self::InvalidClaim => Step::Claims,
            Self::Revoked | Self::Replayed => Step::Lifecycle,
            Self::InsufficientScope => Step::Authorization,
            Self::AuditFailed => Step::Audit,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pipeline steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Presence,
    Structure,
    Header,
    Signature,
    Time,
    Claims,
    Lifecycle,
    Authorization,
    Audit,
}

impl Step {
    /// The JSON name, e.g. `"signature"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Presence => "presence",
            Self::Structure => "structure",
            Self::Header => "header",
            Self::Signature => "signature",
            Self::Time => "time",
            Self::Claims => "claims",
            Self::Lifecycle => "lifecycle",
            Self::Authorization => "authorization",
            Self::Audit => "audit",
        }
    }
}

/// How much an event should worry a security team. Ordered: `Info < Low < … < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The JSON name, e.g. `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// A configuration problem, reported when the verifier is built, never at the first request.
///
/// `option` names the configuration key at fault (e.g. `"keys[2].secret"`), so every binding can
/// point the user at it. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid option `{option}`: {message}")]
pub struct ConfigError {
    /// The option at fault, in the canonical snake_case spelling (`keys[0].pem`, `leeway_seconds`).
    pub option: String,
    /// What is wrong, without secret values.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(option: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            option: option.into(),
            message: message.into(),
        }
    }
}
