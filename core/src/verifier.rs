//! The verification pipeline (DESIGN.md): one pass, signature before time and claims, a record
//! for every call.

use crate::algorithm::{Algorithm, KeyFamily};
use crate::authz::{self, AuthzRequirement};
use crate::config::{
    KeySource, MAX_LEEWAY_SECONDS, MAX_TOKEN_BYTES_RANGE, OneOrMany, RedactionConfig,
    VerifierConfig,
};
use crate::context::RequestContext;
use crate::crypto;
use crate::errors::{ConfigError, FailureKind, Severity};
use crate::fingerprint::Fingerprinter;
use crate::header::{self, Header};
use crate::keys::{self, VerificationKey};
use crate::lifecycle::{LifecycleCheck, LifecycleVerdict, TokenIdentity};
use crate::payload::{Claim, Payload};
use crate::record::{
    AuditRecord, AuthzInfo, Event, FailedCheck, Failure, Outcome, SCHEMA, TokenInfo, VerifierInfo,
    new_record_id,
};
use crate::redaction::{Redactor, cap_str};
use crate::sink::{AuditSink, SinkLosses};
use crate::stats::{Counters, Stats};
// SIMD base64url (3× the `base64` crate on a token; the same inputs accepted, tested below).
use base64_simd::{Out, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};
use std::sync::Arc;
use web_time::{Instant, SystemTime, UNIX_EPOCH};

/// Largest encoded JOSE header accepted (a header is a few dozen bytes; this leaves room for
/// `x5c` chains without letting a header dominate the token).
pub const MAX_HEADER_BYTES: usize = 4096;
/// Most keys tried for one token without a `kid`.
const MAX_CANDIDATE_KEYS: usize = 8;
/// Caps on header strings copied into records.
const MAX_ALG_CHARS: usize = 32;
const MAX_KID_CHARS: usize = 128;
const MAX_TYP_CHARS: usize = 64;

/// Verifies JWTs and audits every verification. Cheap to clone and share across threads.
///
/// ```
/// use jwt_audit::{Verifier, RequestContext, FailureKind};
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .audience("orders-api")
///     .build()?;
/// let v = verifier.verify("eyJhbGciOiJub25lIn0.e30.", &RequestContext::new().path("/orders"));
/// assert!(!v.is_accepted());
/// assert_eq!(v.failure_kind(), Some(FailureKind::AlgorithmNotAllowed));
/// assert_eq!(v.record().severity, jwt_audit::Severity::Critical);
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Vec<VerificationKey>,
    allowed: Vec<Algorithm>,
    has_public_keys: bool,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    leeway: i64,
    required: Vec<String>,
    typ: Option<String>,
    max_token_bytes: usize,
    fixed_now: Option<i64>,
    redactor: Redactor,
    fingerprinter: Fingerprinter,
    /// Some allowed algorithm checks the SHA-256 of the signing input (see [`crypto::takes_sha256`]).
    sha256_signing_input: bool,
    info: VerifierInfo,
    sinks: Vec<Arc<dyn AuditSink>>,
    lifecycle: Vec<Arc<dyn LifecycleCheck>>,
    fail_closed: bool,
    counters: Counters,
}

/// The result of one verification: the decision, the verified claims (when accepted) and the record.
#[derive(Debug, Clone)]
pub struct Verification {
    record: Arc<AuditRecord>,
    claims: Option<Arc<Payload>>,
}

impl Verification {
    /// `true` when every check passed.
    pub fn is_accepted(&self) -> bool {
        self.record.is_accepted()
    }
    /// The full, verified claims (not redacted): only for an accepted token. The map is built
    /// from the payload on the first call (verifying and auditing do not need it), then kept.
    pub fn claims(&self) -> Option<&Map<String, Value>> {
        self.claims.as_deref().map(Payload::map)
    }
    /// The audit record (also handed to the sinks).
    pub fn record(&self) -> &Arc<AuditRecord> {
        &self.record
    }
    /// The first failed check, if rejected.
    pub fn failure_kind(&self) -> Option<FailureKind> {
        self.record.failure_kind()
    }
}

/// The pipeline stopped before the signature: verify [`PendingSignature::message`] against
/// [`PendingSignature::signature`] with one of [`PendingSignature::keys`] (public JWKs) using
/// [`PendingSignature::algorithm`], then call [`PendingSignature::finish`]. The WASM binding
/// answers with WebCrypto; the record is the same as on the native path.
pub enum Progress {
    /// Decided without a host step (HMAC, or rejected before the signature).
    Done(Verification),
    /// The host must check a signature.
    Signature(Box<PendingSignature>),
}

/// A verification waiting for the host's signature verdict.
pub struct PendingSignature {
    parsed: Parsed,
    message: Vec<u8>,
    ctx: RequestContext,
    authz: Option<AuthzRequirement>,
    start: Instant,
    verifier: Verifier,
}

impl PendingSignature {
    /// The algorithm to verify with.
    pub fn algorithm(&self) -> Algorithm {
        self.parsed.alg
    }
    /// The signing input (`header.payload`, ASCII).
    pub fn message(&self) -> &[u8] {
        &self.message
    }
    /// The decoded signature (for ES256/ES384: the fixed-size R||S form, as WebCrypto expects).
    pub fn signature(&self) -> &[u8] {
        &self.parsed.signature
    }
    /// Candidate public keys as JWKs (`kty`, `n`/`e`, `crv`/`x`/`y`); the signature is valid if
    /// it verifies with any of them.
    pub fn keys(&self) -> Vec<&Value> {
        let keys = &self.verifier.inner.keys;
        self.parsed
            .candidates
            .iter()
            .filter_map(|i| keys[i].public_jwk.as_ref())
            .collect()
    }
    /// Resumes the pipeline with the host's verdict and returns the finished verification.
    pub fn finish(self, signature_valid: bool) -> Verification {
        let v = self.verifier.clone();
        v.back(
            self.start,
            &self.ctx,
            self.parsed,
            signature_valid,
            self.authz.as_ref(),
        )
    }
}

/// What was presented, as far as it could be decoded.
#[derive(Default)]
struct Presented {
    size: usize,
    fingerprint: Option<String>,
    header: Option<Header>,
    payload: Option<Arc<Payload>>,
}

/// One failed check.
struct Check {
    kind: FailureKind,
    detail: String,
    severity: Option<Severity>,
}

impl Check {
    fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            severity: None,
        }
    }
    fn critical(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            severity: Some(Severity::Critical),
        }
    }
}

struct Parsed {
    presented: Presented,
    alg: Algorithm,
    candidates: Candidates,
    signing_input_len: usize,
    /// When the fingerprint pass computed it (see [`crypto::takes_sha256`]).
    signing_input_sha256: Option<[u8; 32]>,
    signature: Vec<u8>,
}

/// The configured keys a token may be verified with: at most [`MAX_CANDIDATE_KEYS`] indices,
/// kept inline (no allocation per token).
struct Candidates {
    keys: [usize; MAX_CANDIDATE_KEYS],
    len: usize,
}

impl Candidates {
    /// The first [`MAX_CANDIDATE_KEYS`] of `keys`.
    fn new(keys: impl Iterator<Item = usize>) -> Self {
        let mut c = Self {
            keys: [0; MAX_CANDIDATE_KEYS],
            len: 0,
        };
        for (slot, key) in c.keys.iter_mut().zip(keys) {
            *slot = key;
            c.len += 1;
        }
        c
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.keys[..self.len].iter().copied()
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

enum Front {
    Rejected(Presented, Check),
    Ready(Parsed),
}

impl Verifier {
    /// Builds a verifier from a configuration; every problem is a [`ConfigError`] here.
    pub fn new(config: VerifierConfig) -> Result<Self, ConfigError> {
        Self::builder().config(config).build()
    }

    /// A builder, for options that are not data (sinks, lifecycle hooks).
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies `token` (the compact JWS, without `Bearer `), hands the record to the sinks and
    /// returns the decision. Never panics, whatever the input.
    pub fn verify(&self, token: impl AsRef<[u8]>, ctx: &RequestContext) -> Verification {
        self.verify_inner(token.as_ref(), ctx, None)
    }

    /// Like [`Verifier::verify`], and also requires scopes/roles (`insufficient_scope`, event
    /// `authz_fail`); the record's `authz` shows the decision.
    pub fn verify_with(
        &self,
        token: impl AsRef<[u8]>,
        ctx: &RequestContext,
        need: &AuthzRequirement,
    ) -> Verification {
        self.verify_inner(token.as_ref(), ctx, Some(need))
    }

    /// Verifies the credential of an HTTP `Authorization` header (see [`crate::http`]): no header
    /// or another scheme is `missing_token`; `Bearer` without a valid token is `malformed`.
    pub fn verify_authorization(
        &self,
        authorization: Option<&str>,
        ctx: &RequestContext,
        need: Option<&AuthzRequirement>,
    ) -> Verification {
        use crate::http::{Credential, bearer_credential};
        let start = Instant::now();
        let (kind, detail) = match bearer_credential(authorization) {
            Credential::Bearer(token) => return self.verify_inner(token.as_bytes(), ctx, need),
            Credential::Missing if authorization.is_some() => (
                FailureKind::MissingToken,
                "Authorization header is not a Bearer credential",
            ),
            Credential::Missing => (FailureKind::MissingToken, "no Authorization header"),
            Credential::Malformed => (
                FailureKind::Malformed,
                "Authorization header is not `Bearer <token>`",
            ),
        };
        let p = Presented {
            size: authorization.map_or(0, str::len),
            ..Presented::default()
        };
        self.reject_early(start, ctx, p, Check::new(kind, detail))
    }

    fn verify_inner(
        &self,
        token: &[u8],
        ctx: &RequestContext,
        need: Option<&AuthzRequirement>,
    ) -> Verification {
        let start = Instant::now();
        match self.front(token) {
            Front::Rejected(p, check) => self.reject_early(start, ctx, p, check),
            Front::Ready(parsed) => {
                let message = &token[..parsed.signing_input_len];
                let ok = self.check_signature(&parsed, message);
                self.back(start, ctx, parsed, ok, need)
            }
        }
    }

    /// Runs the pipeline up to the signature; asymmetric signatures are handed to the host
    /// (see [`Progress`]), HMAC is checked here.
    pub fn begin(
        &self,
        token: impl AsRef<[u8]>,
        ctx: &RequestContext,
        need: Option<&AuthzRequirement>,
    ) -> Progress {
        let token = token.as_ref();
        let start = Instant::now();
        match self.front(token) {
            Front::Rejected(p, check) => Progress::Done(self.reject_early(start, ctx, p, check)),
            Front::Ready(parsed) if parsed.alg.is_hmac() => {
                let ok = self.check_signature(&parsed, &token[..parsed.signing_input_len]);
                Progress::Done(self.back(start, ctx, parsed, ok, need))
            }
            Front::Ready(parsed) => Progress::Signature(Box::new(PendingSignature {
                message: token[..parsed.signing_input_len].to_vec(),
                parsed,
                ctx: ctx.clone(),
                authz: need.cloned(),
                start,
                verifier: self.clone(),
            })),
        }
    }

    /// Checks scopes/roles of an accepted verification (for guards that run after the
    /// authentication middleware). `Ok(())` when granted; otherwise a new `authz_fail` record is
    /// emitted and returned. A rejected verification is returned unchanged.
    pub fn authorize(&self, v: &Verification, need: &AuthzRequirement) -> Result<(), Verification> {
        let Some(claims) = v.claims.as_ref().filter(|_| v.is_accepted()) else {
            return Err(v.clone());
        };
        let start = Instant::now();
        let info = authz::evaluate(need, claims);
        if info.decision == crate::record::Decision::Allow {
            return Ok(());
        }
        let mut record = (*v.record).clone();
        let check = scope_check(&info);
        (record.id, record.time_ms) = self.stamp();
        record.duration_us = start.elapsed().as_micros() as u64;
        record.outcome = Outcome::Rejected;
        record.event = Event::AuthzFail;
        record.severity = check.kind.severity();
        record.failure = Some(Failure {
            kind: check.kind,
            step: check.kind.step(),
            detail: check.detail,
            also: Vec::new(),
        });
        record.authz = Some(info);
        Err(self.emit(record, None))
    }

    /// Flushes every sink.
    pub fn flush(&self) {
        for s in &self.inner.sinks {
            if s.flush().is_err() {
                self.inner.counters.sink_error();
            }
        }
    }

    /// Counts by outcome and failure kind, and records lost by sinks.
    pub fn stats(&self) -> Stats {
        let losses = self
            .inner
            .sinks
            .iter()
            .fold(SinkLosses::default(), |acc, s| acc + s.losses());
        self.inner.counters.snapshot(losses)
    }

    /// The name written in records.
    pub fn name(&self) -> &str {
        &self.inner.info.name
    }

    fn now_ms(&self) -> i64 {
        match self.inner.fixed_now {
            Some(s) => s.saturating_mul(1000),
            None => system_ms(),
        }
    }

    /// A new record's id (time-ordered on the system clock) and time (the configured clock), from
    /// one clock reading.
    fn stamp(&self) -> (String, i64) {
        let system = system_ms();
        let time = match self.inner.fixed_now {
            Some(s) => s.saturating_mul(1000),
            None => system,
        };
        (new_record_id(system), time)
    }

    /// Steps 1–3: presence and size, structure, header policy and key selection.
    fn front(&self, token: &[u8]) -> Front {
        let inner = &*self.inner;
        let mut p = Presented {
            size: token.len(),
            ..Presented::default()
        };
        if token.is_empty() {
            return Front::Rejected(
                p,
                Check::new(FailureKind::MissingToken, "no token was presented"),
            );
        }
        if token.len() > inner.max_token_bytes {
            let detail = format!(
                "token is {} bytes; the limit is {}",
                token.len(),
                inner.max_token_bytes
            );
            return Front::Rejected(p, Check::new(FailureKind::TokenTooLarge, detail));
        }
        // The first and last dots, and how many lie between them (memchr: SIMD, not byte by byte).
        let mut dots = memchr::memchr_iter(b'.', token);
        let (first, last) = (dots.next(), dots.next_back());
        let segments =
            1 + usize::from(first.is_some()) + usize::from(last.is_some()) + dots.count();
        let (fingerprint, signing_input_sha256) = match (segments, last) {
            (3, Some(last)) if inner.sha256_signing_input => inner
                .fingerprinter
                .fingerprint_and_prefix_sha256(token, last),
            _ => (inner.fingerprinter.fingerprint(token), None),
        };
        p.fingerprint = Some(fingerprint);
        if segments == 5 {
            return Front::Rejected(
                p,
                Check::new(
                    FailureKind::Unsupported,
                    "5 segments: JWE (encrypted tokens) is not accepted",
                ),
            );
        }
        if segments != 3 {
            return Front::Rejected(
                p,
                Check::new(
                    FailureKind::Malformed,
                    format!("{segments} segments; a JWS has 3"),
                ),
            );
        }
        // Exactly two dots: the header ends at the first, the signature starts after the last.
        let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
        let (h64, p64, s64) = (
            token.get(..first).unwrap_or(b""),
            token.get(first + 1..last).unwrap_or(b""),
            token.get(last + 1..).unwrap_or(b""),
        );
        if h64.len() > MAX_HEADER_BYTES {
            return Front::Rejected(
                p,
                Check::new(
                    FailureKind::Malformed,
                    format!("header is over {MAX_HEADER_BYTES} bytes"),
                ),
            );
        }
        let header = with_decoded(h64, |bytes| {
            header::parse(bytes).map_err(|e| {
                if e.contains("object") {
                    "header is not a JSON object"
                } else {
                    "header is not valid JSON"
                }
            })
        })
        .unwrap_or(Err("header is not base64url"));
        let header = match header {
            Ok(h) => h,
            Err(d) => return Front::Rejected(p, Check::new(FailureKind::Malformed, d)),
        };
        p.header = Some(header);
        let payload = with_decoded(p64, |bytes| {
            Payload::parse(bytes).map_err(|e| format!("payload {e}"))
        })
        .unwrap_or_else(|| Err("payload is not base64url".to_string()));
        match payload {
            Ok(m) => p.payload = Some(Arc::new(m)),
            Err(d) => return Front::Rejected(p, Check::new(FailureKind::Malformed, d)),
        }
        let signature = match URL_SAFE_NO_PAD.decode_to_vec(s64) {
            Ok(s) => s,
            Err(_) => {
                return Front::Rejected(
                    p,
                    Check::new(FailureKind::Malformed, "signature is not base64url"),
                );
            }
        };
        match self.header_policy(p.header.as_ref().unwrap_or(&Header::default())) {
            Ok((alg, candidates)) => Front::Ready(Parsed {
                presented: p,
                alg,
                candidates,
                signing_input_len: h64.len() + 1 + p64.len(),
                signing_input_sha256,
                signature,
            }),
            Err(check) => Front::Rejected(p, check),
        }
    }

    /// Step 3: the header decides nothing by itself; it only selects among configured keys.
    fn header_policy(&self, h: &Header) -> Result<(Algorithm, Candidates), Check> {
        use FailureKind::*;
        let inner = &*self.inner;
        let alg_name = match &h.alg {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(Check::new(Malformed, "header alg is not a string")),
            None => return Err(Check::new(Malformed, "header has no alg")),
        };
        if alg_name.eq_ignore_ascii_case("none") {
            return Err(Check::critical(
                AlgorithmNotAllowed,
                "alg none (unsigned token) is never accepted",
            ));
        }
        let Ok(alg) = alg_name.parse::<Algorithm>() else {
            return Err(Check::new(
                Unsupported,
                "alg is not an algorithm this verifier implements",
            ));
        };
        if !inner.allowed.contains(&alg) {
            let detail = format!("alg {alg} is not in the allow-list");
            // An HMAC token presented to a verifier holding public keys is the classic key-confusion attack.
            return Err(if alg.is_hmac() && inner.has_public_keys {
                Check::critical(
                    AlgorithmNotAllowed,
                    format!("{detail} (HMAC token against public keys: key confusion)"),
                )
            } else {
                Check::new(AlgorithmNotAllowed, detail)
            });
        }
        if h.enc {
            return Err(Check::new(
                Unsupported,
                "header has enc: JWE is not accepted",
            ));
        }
        match &h.b64 {
            None | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => {
                return Err(Check::new(
                    Unsupported,
                    "b64: false (unencoded payload, RFC 7797) is refused",
                ));
            }
            Some(_) => return Err(Check::new(Malformed, "header b64 is not a boolean")),
        }
        match &h.crit {
            None => {}
            Some(Value::Array(names))
                if !names.is_empty() && names.iter().all(Value::is_string) =>
            {
                return Err(Check::new(
                    Unsupported,
                    format!(
                        "crit lists {} extension(s) this verifier does not understand",
                        names.len()
                    ),
                ));
            }
            Some(_) => {
                return Err(Check::new(
                    Malformed,
                    "header crit is not a non-empty array of strings",
                ));
            }
        }
        let kid = match &h.kid {
            None => None,
            Some(Value::String(k)) => Some(k.as_str()),
            Some(_) => return Err(Check::new(Malformed, "header kid is not a string")),
        };
        // Keys named in the token (jwk, jku, x5u, x5c) are never consulted.
        let exact = kid.is_some_and(|k| inner.keys.iter().any(|key| key.kid.as_deref() == Some(k)));
        let named = |key: &VerificationKey| match kid {
            None => true,
            Some(k) if exact => key.kid.as_deref() == Some(k),
            // A key configured without a kid serves tokens with any kid.
            Some(_) => key.kid.is_none(),
        };
        let Some(first) = inner.keys.iter().position(named) else {
            return Err(Check::new(UnknownKey, "no configured key has this kid"));
        };
        let candidates = Candidates::new(
            (first..inner.keys.len())
                .filter(|&i| named(&inner.keys[i]) && inner.keys[i].serves(alg).is_some()),
        );
        if candidates.is_empty() {
            let fam = inner.keys[first].family;
            if kid.is_some() && inner.keys[first].kid.is_some() && fam != alg.family() {
                let detail = format!(
                    "kid names a key of type {}, which cannot verify {alg}",
                    fam.as_str()
                );
                return Err(if alg.is_hmac() || fam == KeyFamily::Hmac {
                    Check::critical(AlgorithmNotAllowed, format!("{detail} (key confusion)"))
                } else {
                    Check::new(AlgorithmNotAllowed, detail)
                });
            }
            if alg.is_hmac()
                && inner.has_public_keys
                && inner.keys.iter().all(|k| k.family != KeyFamily::Hmac)
            {
                return Err(Check::critical(
                    UnknownKey,
                    "no HMAC secret is configured (HMAC token against public keys: key confusion)",
                ));
            }
            return Err(Check::new(
                UnknownKey,
                match kid {
                    Some(_) => format!("the key with this kid does not serve {alg}"),
                    None => format!("no configured key serves {alg}"),
                },
            ));
        }
        Ok((alg, candidates))
    }

    fn check_signature(&self, parsed: &Parsed, message: &[u8]) -> bool {
        let keys = &self.inner.keys;
        parsed
            .candidates
            .iter()
            .any(|i| match keys[i].serves(parsed.alg) {
                Some(k) => crypto::verify(
                    k,
                    parsed.alg,
                    message,
                    parsed.signing_input_sha256.as_ref(),
                    &parsed.signature,
                ),
                None => false,
            })
    }

    fn reject_early(
        &self,
        start: Instant,
        ctx: &RequestContext,
        mut p: Presented,
        check: Check,
    ) -> Verification {
        let record = self.build_record(start, ctx, &mut p, false, vec![check], None);
        self.emit(record, None)
    }

    /// Steps 4–8 after the signature verdict.
    fn back(
        &self,
        start: Instant,
        ctx: &RequestContext,
        parsed: Parsed,
        signature_ok: bool,
        need: Option<&AuthzRequirement>,
    ) -> Verification {
        let mut p = parsed.presented;
        if !signature_ok {
            let n = parsed.candidates.len();
            let check = Check::new(
                FailureKind::BadSignature,
                format!(
                    "signature does not verify with {n} candidate key(s) for {}",
                    parsed.alg
                ),
            );
            let record = self.build_record(start, ctx, &mut p, false, vec![check], None);
            return self.emit(record, None);
        }
        let empty = Payload::default();
        let payload = p.payload.as_deref().unwrap_or(&empty);
        let no_header = Header::default();
        let header = p.header.as_ref().unwrap_or(&no_header);
        let now = self.now_ms().div_euclid(1000);
        let mut checks = self.claim_checks(header, payload, now);
        if checks.is_empty() {
            checks.extend(self.lifecycle_checks(payload, now));
        }
        let mut authz_info = None;
        if let Some(need) = need.filter(|n| !n.is_empty()) {
            let info = authz::evaluate(need, payload);
            if checks.is_empty() && info.decision != crate::record::Decision::Allow {
                checks.push(scope_check(&info));
            }
            authz_info = Some(info);
        }
        let accepted = checks.is_empty();
        let record = self.build_record(start, ctx, &mut p, true, checks, authz_info);
        let claims = if accepted { p.payload } else { None };
        self.emit(record, claims)
    }

    /// Steps 5 and 6: every failure is collected (the first is the kind, the rest `also`).
    fn claim_checks(&self, header: &Header, claims: &Payload, now: i64) -> Vec<Check> {
        use FailureKind::*;
        let inner = &*self.inner;
        let leeway = inner.leeway;
        let mut out = Vec::new();
        let mut missing_reported: Vec<&str> = Vec::new();
        let nowf = now as f64;
        let lw = leeway as f64;
        for name in ["exp", "nbf", "iat"] {
            let Some(v) = claims.get(name) else { continue };
            let Some(t) = v.as_f64() else {
                out.push(Check::new(
                    InvalidClaim,
                    format!("{name} is {}, not a NumericDate", v.type_name()),
                ));
                continue;
            };
            match name {
                "exp" if nowf >= t + lw => {
                    out.push(Check::new(
                        Expired,
                        format!("exp is {} s before now, leeway {leeway} s", secs(nowf - t)),
                    ));
                }
                "nbf" if nowf + lw < t => {
                    out.push(Check::new(
                        NotYetValid,
                        format!("nbf is {} s after now, leeway {leeway} s", secs(t - nowf)),
                    ));
                }
                "iat" if t > nowf + lw => {
                    out.push(Check::new(
                        IssuedInFuture,
                        format!("iat is {} s after now, leeway {leeway} s", secs(t - nowf)),
                    ));
                }
                _ => {}
            }
        }
        match (claims.get("iss"), &inner.issuers) {
            (None, Some(_)) => {
                out.push(Check::new(MissingClaim, "iss is required"));
                missing_reported.push("iss");
            }
            (Some(Claim::Str(iss)), Some(list)) if !list.iter().any(|i| i == iss) => {
                out.push(Check::new(
                    IssuerMismatch,
                    format!("iss is not one of the {} configured issuer(s)", list.len()),
                ));
            }
            (Some(Claim::Str(_)), _) | (_, None) => {}
            (Some(v), _) => out.push(Check::new(
                InvalidClaim,
                format!("iss is {}, not a string", v.type_name()),
            )),
        }
        // The aud values (all strings), or the type of the claim when it is not of that form.
        let aud = claims.strings("aud");
        match (aud, &inner.audiences) {
            (None, Some(_)) => {
                out.push(Check::new(MissingClaim, "aud is required"));
                missing_reported.push("aud");
            }
            (_, None) => {}
            (Some(Err(type_name)), _) => out.push(Check::new(
                InvalidClaim,
                format!("aud is {type_name}, not a string or array of strings"),
            )),
            (Some(Ok(values)), Some(list))
                if !values.iter().any(|a| list.iter().any(|l| a == l)) =>
            {
                out.push(Check::new(
                    AudienceMismatch,
                    format!(
                        "no aud value is one of the {} configured audience(s)",
                        list.len()
                    ),
                ));
            }
            _ => {}
        }
        if let Some(want) = &inner.typ {
            match &header.typ {
                None => out.push(Check::new(
                    MissingClaim,
                    format!("typ header is required ({want})"),
                )),
                Some(Value::String(t)) if normalize_typ(t) == *want => {}
                Some(_) => out.push(Check::new(
                    InvalidClaim,
                    format!("typ header is not {want}"),
                )),
            }
        }
        for name in &inner.required {
            if !claims.contains(name) && !missing_reported.contains(&name.as_str()) {
                out.push(Check::new(
                    MissingClaim,
                    format!("{} is required", cap_str(name, 64)),
                ));
            }
        }
        for name in ["sub", "jti"] {
            if let Some(v) = claims.get(name).filter(|v| v.as_str().is_none()) {
                out.push(Check::new(
                    InvalidClaim,
                    format!("{name} is {}, not a string", v.type_name()),
                ));
            }
        }
        out
    }

    /// Step 7: revocation and replay, on `(iss, jti)`.
    fn lifecycle_checks(&self, claims: &Payload, now: i64) -> Option<Check> {
        if self.inner.lifecycle.is_empty() {
            return None;
        }
        let id = TokenIdentity {
            iss: claims.get("iss").and_then(|c| c.as_str()),
            jti: claims.get("jti").and_then(|c| c.as_str()),
            exp: claims.get("exp").and_then(|c| c.as_f64()),
            now,
        };
        self.inner
            .lifecycle
            .iter()
            .find_map(|hook| match hook.check(&id) {
                LifecycleVerdict::Active => None,
                LifecycleVerdict::Revoked(d) => Some(Check::new(FailureKind::Revoked, d)),
                LifecycleVerdict::Replayed(d) => Some(Check::new(FailureKind::Replayed, d)),
            })
    }

    fn build_record(
        &self,
        start: Instant,
        ctx: &RequestContext,
        p: &mut Presented,
        trusted: bool,
        checks: Vec<Check>,
        authz: Option<AuthzInfo>,
    ) -> AuditRecord {
        let inner = &*self.inner;
        let claims = p
            .payload
            .as_ref()
            .map(|c| inner.redactor.redact(c))
            .unwrap_or_default();
        // Header strings are moved out of the header (consumed here: not needed after this),
        // capped if long.
        let mut h = p.header.take().unwrap_or_default();
        let capped = |slot: &mut Option<Value>, cap: usize| {
            Header::take_str(slot).map(|s| if s.len() <= cap { s } else { cap_str(&s, cap) })
        };
        let (alg, kid, typ) = (
            capped(&mut h.alg, MAX_ALG_CHARS),
            capped(&mut h.kid, MAX_KID_CHARS),
            capped(&mut h.typ, MAX_TYP_CHARS),
        );
        let mut token = TokenInfo {
            fingerprint: p.fingerprint.take(),
            alg,
            kid,
            typ,
            size: p.size,
            trusted,
            ..TokenInfo::default()
        };
        // The registered claims, redacted as in `claims`.
        if let Some(payload) = &p.payload {
            for name in TokenInfo::REGISTERED {
                if let Some(slot) = token.registered_mut(name) {
                    *slot = payload
                        .get(name)
                        .and_then(|c| inner.redactor.apply(name, c));
                }
            }
        }
        let kind = checks.first().map(|c| c.kind);
        let severity = match checks.first() {
            None => Severity::Info,
            Some(c) => c.severity.unwrap_or_else(|| c.kind.severity()),
        };
        let mut checks = checks.into_iter();
        let failure = checks.next().map(|first| Failure {
            kind: first.kind,
            step: first.kind.step(),
            detail: first.detail,
            also: checks
                .map(|c| FailedCheck {
                    kind: c.kind,
                    step: c.kind.step(),
                    detail: c.detail,
                })
                .collect(),
        });
        let (id, time_ms) = self.stamp();
        AuditRecord {
            schema: SCHEMA.into(),
            id,
            time_ms,
            duration_us: start.elapsed().as_micros() as u64,
            event: Event::for_failure(kind),
            outcome: if kind.is_none() {
                Outcome::Accepted
            } else {
                Outcome::Rejected
            },
            severity,
            failure,
            token,
            claims,
            request: cap_context(ctx),
            authz,
            verifier: inner.info.clone(),
        }
    }

    fn emit(&self, record: AuditRecord, claims: Option<Arc<Payload>>) -> Verification {
        let inner = &*self.inner;
        let mut record = Arc::new(record);
        let mut claims = claims;
        let mut delivered = true;
        for s in &inner.sinks {
            if s.record(&record).is_err() {
                inner.counters.sink_error();
                delivered = false;
            }
        }
        if !delivered && inner.fail_closed && record.is_accepted() {
            let mut r = (*record).clone();
            let kind = FailureKind::AuditFailed;
            r.outcome = Outcome::Rejected;
            r.event = Event::AuthnTokenInvalid;
            r.severity = kind.severity();
            r.failure = Some(Failure {
                kind,
                step: kind.step(),
                detail: "the audit record could not be delivered (fail-closed)".into(),
                also: Vec::new(),
            });
            record = Arc::new(r);
            claims = None;
        }
        inner.counters.count(record.failure_kind());
        Verification { record, claims }
    }
}

/// Decodes base64url `input` and hands the bytes to `f`; `None` if it is not base64url. Usual
/// headers and payloads (up to 512 bytes decoded) are decoded on the stack, not in a new `Vec`.
fn with_decoded<R>(input: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let mut small = [0u8; 512];
    if input.len() <= small.len() / 3 * 4 {
        let bytes = URL_SAFE_NO_PAD
            .decode(input, Out::from_slice(&mut small))
            .ok()?;
        return Some(f(bytes));
    }
    URL_SAFE_NO_PAD.decode_to_vec(input).ok().map(|v| f(&v))
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn scope_check(info: &AuthzInfo) -> Check {
    let missing = info
        .required
        .scopes
        .iter()
        .filter(|s| !info.granted.scopes.contains(s))
        .count()
        + info
            .required
            .roles
            .iter()
            .filter(|r| !info.granted.roles.contains(r))
            .count();
    let total = info.required.scopes.len() + info.required.roles.len();
    Check::new(
        FailureKind::InsufficientScope,
        format!("{missing} of {total} required scope(s)/role(s) not granted"),
    )
}

/// Whole seconds print without a fraction; NumericDates may be fractional.
fn secs(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.3}")
    }
}

/// RFC 7515 §4.1.9: `typ` is a media type, compared case-insensitively, `application/` optional.
fn normalize_typ(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    t.strip_prefix("application/")
        .map(str::to_string)
        .unwrap_or(t)
}

fn cap_context(ctx: &RequestContext) -> RequestContext {
    let cap = |v: &Option<String>, n: usize| v.as_deref().map(|s| cap_str(s, n));
    RequestContext {
        correlation_id: cap(&ctx.correlation_id, 128),
        client_ip: cap(&ctx.client_ip, 64),
        method: cap(&ctx.method, 16),
        path: cap(&ctx.path, 1024),
        user_agent: cap(&ctx.user_agent, 512),
    }
}

/// Builds a [`Verifier`]: data options (as in [`VerifierConfig`]) plus sinks and lifecycle hooks.
#[derive(Default)]
pub struct VerifierBuilder {
    config: VerifierConfig,
    sinks: Vec<Arc<dyn AuditSink>>,
    lifecycle: Vec<Arc<dyn LifecycleCheck>>,
}

impl VerifierBuilder {
    /// Replaces the data options with `config` (sinks and hooks are kept).
    pub fn config(mut self, config: VerifierConfig) -> Self {
        self.config = config;
        self
    }
    /// Adds a key source.
    pub fn key(mut self, key: KeySource) -> Self {
        self.config.keys.push(key);
        self
    }
    /// Adds an HMAC secret.
    pub fn hmac_secret(self, secret: impl Into<String>) -> Self {
        self.key(KeySource::secret(secret))
    }
    /// Adds a PEM public key.
    pub fn pem(self, pem: impl Into<String>) -> Self {
        self.key(KeySource::pem(pem))
    }
    /// Adds a JWKS document.
    pub fn jwks(self, doc: Value) -> Self {
        self.key(KeySource::jwks(doc))
    }
    /// Sets the algorithm allow-list.
    pub fn algorithms<I: IntoIterator<Item = S>, S: Into<String>>(mut self, algs: I) -> Self {
        self.config.algorithms = algs.into_iter().map(Into::into).collect();
        self
    }
    /// Adds an accepted issuer.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        let mut list = self
            .config
            .issuer
            .take()
            .map(|o| o.to_vec())
            .unwrap_or_default();
        list.push(iss.into());
        self.config.issuer = Some(OneOrMany::Many(list));
        self
    }
    /// Adds an accepted audience.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        let mut list = self
            .config
            .audience
            .take()
            .map(|o| o.to_vec())
            .unwrap_or_default();
        list.push(aud.into());
        self.config.audience = Some(OneOrMany::Many(list));
        self
    }
    /// Sets the clock tolerance (0..=300 s).
    pub fn leeway_seconds(mut self, s: u64) -> Self {
        self.config.leeway_seconds = s;
        self
    }
    /// Sets exactly the claims that must be present (replacing the default `["exp"]`).
    pub fn required_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.config.required_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// Requires this `typ` header.
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.config.typ = Some(typ.into());
        self
    }
    /// Sets the size limit.
    pub fn max_token_bytes(mut self, n: usize) -> Self {
        self.config.max_token_bytes = n;
        self
    }
    /// Fixes the clock (unix seconds).
    pub fn now(mut self, unix_seconds: i64) -> Self {
        self.config.now = Some(unix_seconds);
        self
    }
    /// Sets the redaction overrides.
    pub fn redaction(mut self, r: RedactionConfig) -> Self {
        self.config.redaction = r;
        self
    }
    /// Keys fingerprints and hashed claims.
    pub fn fingerprint_key(mut self, key: impl Into<String>) -> Self {
        self.config.fingerprint_key = Some(key.into());
        self
    }
    /// Names this verifier in records.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }
    /// Rejects tokens whose record could not be delivered.
    pub fn audit_fail_closed(mut self, on: bool) -> Self {
        self.config.audit_fail_closed = on;
        self
    }
    /// Adds a sink (several may be added; each receives every record).
    pub fn sink(mut self, sink: impl AuditSink + 'static) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }
    /// Adds a shared sink.
    pub fn shared_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }
    /// Adds a lifecycle hook (revocation list, replay guard, …).
    pub fn lifecycle(mut self, hook: impl LifecycleCheck + 'static) -> Self {
        self.lifecycle.push(Arc::new(hook));
        self
    }
    /// Adds a shared lifecycle hook.
    pub fn shared_lifecycle(mut self, hook: Arc<dyn LifecycleCheck>) -> Self {
        self.lifecycle.push(hook);
        self
    }

    /// Validates everything and builds the verifier.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        let c = self.config;
        if c.algorithms.is_empty() {
            return Err(ConfigError::new(
                "algorithms",
                "an explicit allow-list is required, e.g. [\"RS256\"]",
            ));
        }
        let mut allowed = Vec::new();
        for (i, a) in c.algorithms.iter().enumerate() {
            if a.eq_ignore_ascii_case("none") {
                return Err(ConfigError::new(
                    format!("algorithms[{i}]"),
                    "`none` is never allowed",
                ));
            }
            let alg = a.parse::<Algorithm>().map_err(|_| {
                let all: Vec<_> = Algorithm::ALL.iter().map(|a| a.as_str()).collect();
                ConfigError::new(
                    format!("algorithms[{i}]"),
                    format!(
                        "unsupported algorithm `{}` (supported: {})",
                        cap_str(a, 32),
                        all.join(", ")
                    ),
                )
            })?;
            if !allowed.contains(&alg) {
                allowed.push(alg);
            }
        }
        if c.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(ConfigError::new(
                "leeway_seconds",
                format!(
                    "{} is above the maximum of {MAX_LEEWAY_SECONDS}",
                    c.leeway_seconds
                ),
            ));
        }
        if !MAX_TOKEN_BYTES_RANGE.contains(&c.max_token_bytes) {
            return Err(ConfigError::new(
                "max_token_bytes",
                format!(
                    "must be between {} and {}",
                    MAX_TOKEN_BYTES_RANGE.start(),
                    MAX_TOKEN_BYTES_RANGE.end()
                ),
            ));
        }
        let non_empty = |opt: &Option<OneOrMany>,
                         name: &str|
         -> Result<Option<Vec<String>>, ConfigError> {
            match opt {
                None => Ok(None),
                Some(v) => {
                    let v = v.to_vec();
                    if v.is_empty() || v.iter().any(String::is_empty) {
                        return Err(ConfigError::new(
                            name,
                            "must be a non-empty string or a non-empty list of non-empty strings",
                        ));
                    }
                    Ok(Some(v))
                }
            }
        };
        let issuers = non_empty(&c.issuer, "issuer")?;
        let audiences = non_empty(&c.audience, "audience")?;
        let required = c.effective_required_claims();
        if let Some(i) = required.iter().position(String::is_empty) {
            return Err(ConfigError::new(
                format!("required_claims[{i}]"),
                "claim names cannot be empty",
            ));
        }
        let typ = match &c.typ {
            Some(t) if t.trim().is_empty() => {
                return Err(ConfigError::new("typ", "cannot be empty"));
            }
            Some(t) => Some(normalize_typ(t)),
            None => None,
        };
        if let Some(n) = c.now {
            if !(0..=253_402_300_799).contains(&n) {
                return Err(ConfigError::new(
                    "now",
                    "must be unix seconds between 1970 and 9999",
                ));
            }
        }
        if c.fingerprint_key.as_ref().is_some_and(|k| k.len() < 16) {
            return Err(ConfigError::new(
                "fingerprint_key",
                "must be at least 16 bytes",
            ));
        }
        if c.name.is_empty() || c.name.chars().count() > 128 {
            return Err(ConfigError::new("name", "must be 1 to 128 characters"));
        }
        let fingerprinter = Fingerprinter::new(c.fingerprint_key.as_deref().map(str::as_bytes));
        let redactor = Redactor::new(&c.redaction, fingerprinter.clone())?;
        let keys = keys::load_keys(&c.keys, &allowed)?;
        let has_public_keys = keys.iter().any(|k| k.family != KeyFamily::Hmac);
        let sha256_signing_input = allowed.iter().any(|&a| crypto::takes_sha256(a));
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys,
                allowed,
                has_public_keys,
                issuers,
                audiences,
                leeway: c.leeway_seconds as i64,
                required,
                typ,
                max_token_bytes: c.max_token_bytes,
                fixed_now: c.now,
                redactor,
                fingerprinter,
                sha256_signing_input,
                info: VerifierInfo {
                    name: c.name.into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
                sinks: self.sinks,
                lifecycle: self.lifecycle,
                fail_closed: c.audit_fail_closed,
                counters: Counters::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    /// base64url decoding accepts exactly what the `base64` crate's strict decoder accepts
    /// (lengths, trailing bits, alphabet, no padding), with the same bytes.
    fn decodes_as_the_base64_crate(s: &str) -> Result<(), TestCaseError> {
        let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok();
        prop_assert_eq!(
            with_decoded(s.as_bytes(), <[u8]>::to_vec),
            reference.clone()
        );
        prop_assert_eq!(URL_SAFE_NO_PAD.decode_to_vec(s).ok(), reference);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn base64url_in_the_alphabet(s in "[A-Za-z0-9_-]{0,800}") {
            decodes_as_the_base64_crate(&s)?;
        }

        #[test]
        fn base64url_with_foreign_characters(s in "[A-Za-z0-9_+/= .\n-]{0,16}") {
            decodes_as_the_base64_crate(&s)?;
        }
    }
}
