//! Fixtures shared by the criterion benches in `benches/benches/`: one signed token per algorithm
//! (530–830 bytes, `iss`/`aud` checked) and three ways to check it, so that every comparison in a
//! bench group runs on the same token in the same process:
//!
//! * [`Fixture::audit`]: `jwt_audit::Verifier::verify` with the full `AuditRecord` built and handed
//!   to a no-op sink ([`NoopSink`]);
//! * [`Fixture::bare_decode`]: bare `jsonwebtoken::decode::<serde_json::Value>` (aws_lc_rs backend)
//!   with the same issuer, audience, `exp` and `nbf` checks;
//! * [`Fixture::signature_only`]: the aws-lc-rs signature check alone, key parsed once, on the
//!   already-decoded signing input and signature.
//!
//! Tokens are signed with the PEM private keys of `tests/vectors/keys/` through jsonwebtoken's
//! `EncodingKey`.
//!
//! ```
//! use jwt_audit_benches::{Alg, Fixture};
//! let f = Fixture::new(Alg::ES256);
//! assert!(f.audit().is_accepted());
//! assert!(f.bare_decode().is_ok());
//! assert!(f.signature_only());
//! ```

use aws_lc_rs::{hmac, signature};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use jwt_audit::sink::{AuditSink, SinkError};
use jwt_audit::{AuditRecord, KeySource, RequestContext, Verification, Verifier};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// Issuer every fixture token carries and every verifier requires.
pub const ISSUER: &str = "https://auth.example.com";
/// Audience every verifier requires (the token lists two).
pub const AUDIENCE: &str = "orders-api";
/// `kid` of every fixture key.
pub const KID: &str = "bench-key-1";
/// Shortest and longest fixture token, in bytes.
pub const TOKEN_BYTES: std::ops::RangeInclusive<usize> = 530..=830;

/// The algorithms benchmarked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    HS256,
    RS256,
    PS256,
    ES256,
    EdDSA,
}

impl Alg {
    /// Every benchmarked algorithm.
    pub const ALL: [Alg; 5] = [Alg::HS256, Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA];

    /// The JOSE name, e.g. `"RS256"`.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::RS256 => "RS256",
            Alg::PS256 => "PS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }

    fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Alg::HS256 => jsonwebtoken::Algorithm::HS256,
            Alg::RS256 => jsonwebtoken::Algorithm::RS256,
            Alg::PS256 => jsonwebtoken::Algorithm::PS256,
            Alg::ES256 => jsonwebtoken::Algorithm::ES256,
            Alg::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// Private key file (PEM, or the secret for HMAC) and public key file in `tests/vectors/keys/`.
    fn key_files(self) -> (&'static str, &'static str) {
        match self {
            Alg::HS256 => ("hmac-32.txt", "hmac-32.txt"),
            Alg::RS256 | Alg::PS256 => ("rsa-1.private.pem", "rsa-1.pub.pem"),
            Alg::ES256 => ("ec-p256.private.pem", "ec-p256.pub.pem"),
            Alg::EdDSA => ("ed25519.private.pem", "ed25519.pub.pem"),
        }
    }
}

/// A sink that accepts every record and does nothing with it: the verifier still builds the full
/// record, so benches measure the audit layer without I/O.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopSink;

impl AuditSink for NoopSink {
    fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The aws-lc-rs signature check alone, with the key prepared once.
enum RawKey {
    Hmac(Box<hmac::Key>),
    Public(signature::ParsedPublicKey),
}

/// One algorithm's token, keys and verifiers.
pub struct Fixture {
    pub alg: Alg,
    /// The compact token.
    pub token: String,
    /// A jwt-audit verifier for this token's key and algorithm, issuer and audience, with a
    /// [`NoopSink`].
    pub verifier: Verifier,
    /// The request context passed to every `verify` (all five fields set, as an HTTP adapter does).
    pub ctx: RequestContext,
    decoding_key: DecodingKey,
    validation: Validation,
    raw_key: RawKey,
    message: Vec<u8>,
    signature: Vec<u8>,
}

/// `tests/vectors/keys/<name>` as text.
pub fn key_file(name: &str) -> String {
    let path = keys_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/keys")
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The DER body of a single-block PEM document.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body).expect("PEM body is base64")
}

/// The fixture claims: registered claims, authorization claims and personal claims that the default
/// redaction policy drops, padded so that the signing input is 486 or 487 bytes (530–830 byte
/// tokens for every algorithm benchmarked).
pub fn claims(exp: i64) -> Value {
    let mut claims = json!({
        "iss": ISSUER,
        "sub": "user-4711",
        "aud": [AUDIENCE, "billing-api"],
        "exp": exp,
        "nbf": exp - 3600,
        "iat": exp - 3600,
        "jti": "0b6f3c2e-8a1d-4f5e-9c7b-2d4e6f8a0b1c",
        "scope": "orders:read orders:write",
        "roles": ["admin", "support"],
        "email": "ann.example@example.com",
        "tenant": "t-42",
        "name": "",
    });
    let header_len = URL_SAFE_NO_PAD
        .encode(br#"{"typ":"JWT","alg":"HS256","kid":"bench-key-1"}"#)
        .len();
    while header_len + 1 + URL_SAFE_NO_PAD.encode(claims.to_string()).len() < 486 {
        let name = claims["name"].as_str().unwrap_or_default().to_string() + "x";
        claims["name"] = Value::String(name);
    }
    claims
}

/// Signs `claims` for `alg` with the fixture key (header `typ: JWT`, `kid`).
pub fn sign(alg: Alg, claims: &Value) -> String {
    let private = key_file(alg.key_files().0);
    let key = match alg {
        Alg::HS256 => Ok(EncodingKey::from_secret(private.trim_end().as_bytes())),
        Alg::RS256 | Alg::PS256 => EncodingKey::from_rsa_pem(private.as_bytes()),
        Alg::ES256 => EncodingKey::from_ec_pem(private.as_bytes()),
        Alg::EdDSA => EncodingKey::from_ed_pem(private.as_bytes()),
    }
    .unwrap_or_else(|_| panic!("cannot load the {} signing key", alg.name()));
    let mut header = Header::new(alg.jsonwebtoken());
    header.kid = Some(KID.to_string());
    jsonwebtoken::encode(&header, claims, &key).expect("signing works")
}

/// A request context as an HTTP adapter fills it.
pub fn context() -> RequestContext {
    RequestContext::new()
        .correlation_id("4bf92f3577b34da6a3ce929d0e0e4736")
        .client_ip("203.0.113.7")
        .method("GET")
        .path("/orders/1234")
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) bench/1.0")
}

/// A verifier builder for `alg` with the fixture key, issuer and audience (system clock).
pub fn verifier_builder(alg: Alg) -> jwt_audit::VerifierBuilder {
    let public = key_file(alg.key_files().1);
    let source = match alg {
        Alg::HS256 => KeySource::secret(public.trim_end()),
        _ => KeySource::pem(public),
    };
    Verifier::builder()
        .key(source.with_kid(KID))
        .algorithms([alg.name()])
        .issuer(ISSUER)
        .audience(AUDIENCE)
}

impl Fixture {
    /// A valid token for `alg` (expires in an hour) and everything needed to check it.
    pub fn new(alg: Alg) -> Self {
        Self::with_token(alg, sign(alg, &claims(now() + 3600)))
    }

    /// The fixture for `alg` around a given token (e.g. expired, or with a bad signature).
    pub fn with_token(alg: Alg, token: String) -> Self {
        let public = key_file(alg.key_files().1);
        let verifier = verifier_builder(alg)
            .sink(NoopSink)
            .build()
            .expect("fixture verifier builds");
        let decoding_key = match alg {
            Alg::HS256 => Ok(DecodingKey::from_secret(public.trim_end().as_bytes())),
            Alg::RS256 | Alg::PS256 => DecodingKey::from_rsa_pem(public.as_bytes()),
            Alg::ES256 => DecodingKey::from_ec_pem(public.as_bytes()),
            Alg::EdDSA => DecodingKey::from_ed_pem(public.as_bytes()),
        }
        .expect("fixture decoding key loads");
        let mut validation = Validation::new(alg.jsonwebtoken());
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let raw_key = match alg {
            Alg::HS256 => RawKey::Hmac(Box::new(hmac::Key::new(
                hmac::HMAC_SHA256,
                public.trim_end().as_bytes(),
            ))),
            _ => {
                let params: &'static dyn signature::VerificationAlgorithm = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
                    _ => &signature::ED25519,
                };
                RawKey::Public(
                    signature::ParsedPublicKey::new(params, pem_der(&public))
                        .expect("aws-lc-rs parses the SPKI public key"),
                )
            }
        };
        let (message, sig64) = token.rsplit_once('.').expect("a compact JWS");
        let signature = URL_SAFE_NO_PAD.decode(sig64).unwrap_or_default();
        Fixture {
            alg,
            message: message.as_bytes().to_vec(),
            signature,
            token,
            verifier,
            ctx: context(),
            decoding_key,
            validation,
            raw_key,
        }
    }

    /// jwt-audit: verify and build the full record (handed to the no-op sink).
    pub fn audit(&self) -> Verification {
        self.verifier.verify(&self.token, &self.ctx)
    }

    /// Bare `jsonwebtoken::decode::<serde_json::Value>` with the same checks.
    pub fn bare_decode(&self) -> jsonwebtoken::errors::Result<jsonwebtoken::TokenData<Value>> {
        jsonwebtoken::decode::<Value>(&self.token, &self.decoding_key, &self.validation)
    }

    /// The aws-lc-rs signature check alone (prepared key, decoded signature).
    pub fn signature_only(&self) -> bool {
        match &self.raw_key {
            RawKey::Hmac(k) => hmac::verify(k, &self.message, &self.signature).is_ok(),
            RawKey::Public(k) => k.verify_sig(&self.message, &self.signature).is_ok(),
        }
    }
}

/// The token with the last signature character changed (a bad signature of the same length).
pub fn tamper_signature(token: &str) -> String {
    let mut t = token.to_string();
    let last = if t.ends_with('A') { "Q" } else { "A" };
    t.pop();
    t.push_str(last);
    t
}

/// Base64url decoding and JSON parsing of the header and the payload, nothing else (the structure
/// step that any JWT library pays).
pub fn parse_header_and_payload(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let mut part = || -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    Some((part()?, part()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_audit::FailureKind;

    #[test]
    fn every_fixture_token_is_in_range_and_accepted_by_all_three() {
        for alg in Alg::ALL {
            let f = Fixture::new(alg);
            assert!(
                TOKEN_BYTES.contains(&f.token.len()),
                "{}: {} bytes",
                alg.name(),
                f.token.len()
            );
            let v = f.audit();
            assert!(v.is_accepted(), "{}: {:?}", alg.name(), v.failure_kind());
            assert_eq!(v.record().claims.dropped, ["email", "name", "tenant"]);
            assert_eq!(f.bare_decode().unwrap().claims["iss"], ISSUER);
            assert!(f.signature_only(), "{}", alg.name());
        }
    }

    #[test]
    fn rejected_fixtures_are_rejected_by_all_three() {
        let good = Fixture::new(Alg::HS256);
        let bad = Fixture::with_token(Alg::HS256, tamper_signature(&good.token));
        assert_eq!(bad.audit().failure_kind(), Some(FailureKind::BadSignature));
        assert!(bad.bare_decode().is_err());
        assert!(!bad.signature_only());

        let expired = Fixture::with_token(Alg::HS256, sign(Alg::HS256, &claims(now() - 600)));
        assert_eq!(expired.audit().failure_kind(), Some(FailureKind::Expired));
        assert_eq!(
            expired.bare_decode().unwrap_err().kind(),
            &jsonwebtoken::errors::ErrorKind::ExpiredSignature
        );
        assert!(expired.signature_only());
    }

    #[test]
    fn structure_parse_reads_both_json_objects() {
        let f = Fixture::new(Alg::HS256);
        let (h, p) = parse_header_and_payload(&f.token).unwrap();
        assert_eq!(h["kid"], KID);
        assert_eq!(p["aud"][0], AUDIENCE);
        assert!(parse_header_and_payload("a.b.c").is_none());
    }
}
