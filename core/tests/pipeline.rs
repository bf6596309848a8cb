//! Behaviour of the verifier beyond the shared vectors: configuration errors, sinks and
//! fail-closed auditing, stats, authorization, lifecycle hooks, the host step, concurrency.

mod common;

use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::sink::{AuditSink, MemorySink, SinkError};
use jwt_audit::{
    AuditRecord, AuthzRequirement, FailureKind, KeySource, Progress, ReplayGuard, RequestContext,
    RevocationList, Severity, Verifier, VerifierConfig,
};
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "pipeline-test-secret-0123456789abcdef";
const NOW: i64 = 1_700_000_000;

fn hs256(claims: Value) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn base() -> jwt_audit::VerifierBuilder {
    Verifier::builder()
        .hmac_secret(SECRET)
        .algorithms(["HS256"])
        .now(NOW)
}

fn good_claims() -> Value {
    json!({"iss": "https://auth.example.com", "aud": "orders-api", "sub": "u1", "exp": NOW + 60, "jti": "t1",
           "scope": "orders:read orders:write", "roles": ["admin"], "email": "ann@example.com"})
}

fn config_error(cfg: Value) -> jwt_audit::ConfigError {
    let cfg = VerifierConfig::from_json_value(cfg);
    match cfg {
        Err(e) => e,
        Ok(c) => Verifier::new(c)
            .err()
            .expect("configuration should be rejected"),
    }
}

#[test]
fn configuration_errors_are_typed_and_name_the_option() {
    let secret = json!([{"secret": SECRET}]);
    let cases = [
        (json!({"keys": secret, "algorithms": []}), "algorithms"),
        (
            json!({"keys": secret, "algorithms": ["none"]}),
            "algorithms[0]",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256", "ES512"]}),
            "algorithms[1]",
        ),
        (
            json!({"keys": [{"secret": "short"}], "algorithms": ["HS256"]}),
            "keys[0].secret",
        ),
        (
            json!({"keys": [{"secret": "x".repeat(40)}], "algorithms": ["HS512"]}),
            "keys[0].secret",
        ),
        (
            json!({"keys": secret, "algorithms": ["RS256"]}),
            "keys[0].secret",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "leeway_seconds": 3600}),
            "leeway_seconds",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "leeway_seconds": -1}),
            "leeway_seconds",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "max_token_bytes": 0}),
            "max_token_bytes",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "audience": []}),
            "audience",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "fingerprint_key": "short"}),
            "fingerprint_key",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "algorithm": ["HS256"]}),
            "algorithm",
        ),
        (json!({"keys": [], "algorithms": ["HS256"]}), "keys"),
        (
            json!({"keys": [{"secret": SECRET, "pem": "x"}], "algorithms": ["HS256"]}),
            "keys[0]",
        ),
        (
            json!({"keys": [{"pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}], "algorithms": ["RS256"]}),
            "keys[0].pem",
        ),
        (
            json!({"keys": [{"jwk": {"kty": "oct", "k": "c2VjcmV0"}}], "algorithms": ["HS256"]}),
            "keys[0].jwk",
        ),
        (
            json!({"keys": [{"jwks": {"keys": []}}], "algorithms": ["RS256"]}),
            "keys[0].jwks",
        ),
        (
            json!({"keys": secret, "algorithms": ["HS256"], "redaction": {"keep": ["a"], "mask": ["a"]}}),
            "redaction.mask",
        ),
    ];
    let unknown = config_error(json!({"keys": secret, "algorithms": ["HS256"], "bogus": 1}));
    assert_eq!(unknown.option, "bogus");
    assert!(
        unknown
            .message
            .starts_with("unknown option (expected one of `keys`"),
        "{unknown}"
    );
    for (cfg, option) in cases {
        let e = config_error(cfg.clone());
        assert_eq!(e.option, option, "{cfg}: {e}");
        assert!(
            !e.to_string().contains(SECRET),
            "error leaks the secret: {e}"
        );
    }
}

#[test]
fn camel_case_options_are_accepted_for_javascript() {
    let cfg = VerifierConfig::from_js_value(json!({"keys": [{"secret": SECRET}], "algorithms": ["HS256"], "leewaySeconds": 5, "maxTokenBytes": 1024})).unwrap();
    assert_eq!((cfg.leeway_seconds, cfg.max_token_bytes), (5, 1024));
    let e =
        VerifierConfig::from_js_value(json!({"keys": [], "algorithms": [], "leewaySeconds": "x"}))
            .unwrap_err();
    assert_eq!(e.option, "leewaySeconds");
}

#[test]
fn accepted_token_yields_claims_and_a_redacted_trusted_record() {
    let sink = Arc::new(MemorySink::new());
    let v = base()
        .issuer("https://auth.example.com")
        .audience("orders-api")
        .shared_sink(sink.clone())
        .build()
        .unwrap();
    let token = hs256(good_claims());
    let ctx = RequestContext::new()
        .correlation_id("c-1")
        .client_ip("192.0.2.1")
        .method("GET")
        .path("/o")
        .user_agent("t");
    let out = v.verify(&token, &ctx);
    assert!(out.is_accepted(), "{:?}", out.record().failure);
    assert_eq!(
        out.claims().unwrap()["email"],
        "ann@example.com",
        "the caller gets the full claims"
    );
    let r = &sink.records()[0];
    assert!(r.token.trusted);
    assert_eq!(r.severity, Severity::Info);
    assert_eq!(
        r.claims.dropped,
        ["email"],
        "personal data is dropped from the record by default"
    );
    assert_eq!(r.request, ctx);
    let json = r.to_json();
    assert!(
        !json.contains(&token)
            && !json.contains(token.rsplit('.').next().unwrap())
            && !json.contains(SECRET)
    );
    common::assert_valid_record(
        &common::record_schema(),
        &serde_json::from_str(&json).unwrap(),
    );
}

#[test]
fn signature_is_checked_before_time_and_claims() {
    let v = base().audience("orders-api").build().unwrap();
    let expired = hs256(json!({"aud": "billing", "exp": NOW - 1000}));
    let mut forged = expired.clone();
    forged.pop();
    forged.push(if expired.ends_with('A') { 'B' } else { 'A' });
    let out = v.verify(&forged, &RequestContext::new());
    assert_eq!(
        out.failure_kind(),
        Some(FailureKind::BadSignature),
        "a forged token is never merely expired"
    );
    assert!(!out.record().token.trusted);
    let out = v.verify(&expired, &RequestContext::new());
    let f = out.record().failure.clone().unwrap();
    assert_eq!(
        (f.kind, f.also[0].kind),
        (FailureKind::Expired, FailureKind::AudienceMismatch)
    );
    assert!(out.claims().is_none());
}

#[test]
fn exp_boundary_follows_rfc_7519() {
    let v = base().leeway_seconds(0).build().unwrap();
    assert!(
        v.verify(hs256(json!({"exp": NOW + 1})), &RequestContext::new())
            .is_accepted()
    );
    let at = v.verify(hs256(json!({"exp": NOW})), &RequestContext::new());
    assert_eq!(
        at.failure_kind(),
        Some(FailureKind::Expired),
        "reject on or after exp"
    );
    let s = v.verify(
        hs256(json!({"exp": (NOW + 100).to_string()})),
        &RequestContext::new(),
    );
    assert_eq!(
        s.failure_kind(),
        Some(FailureKind::InvalidClaim),
        "NumericDate is never a string"
    );
    assert!(
        v.verify(
            hs256(json!({"exp": NOW as f64 + 0.5})),
            &RequestContext::new()
        )
        .is_accepted()
    );
}

struct FailingSink;
impl AuditSink for FailingSink {
    fn record(&self, _: &Arc<AuditRecord>) -> Result<(), SinkError> {
        Err(SinkError::new("disk full"))
    }
}

#[test]
fn sink_failures_are_counted_and_only_fail_closed_changes_the_outcome() {
    let token = hs256(good_claims());
    let open = base().sink(FailingSink).build().unwrap();
    assert!(open.verify(&token, &RequestContext::new()).is_accepted());
    assert_eq!(open.stats().sink_errors, 1);

    let closed = base()
        .sink(FailingSink)
        .audit_fail_closed(true)
        .build()
        .unwrap();
    let out = closed.verify(&token, &RequestContext::new());
    assert_eq!(out.failure_kind(), Some(FailureKind::AuditFailed));
    assert!(out.claims().is_none());
    assert_eq!(jwt_audit::http::challenge(&out).unwrap().status, 503);
}

#[test]
fn stats_count_outcomes_and_kinds() {
    let v = base().build().unwrap();
    let ctx = RequestContext::new();
    v.verify(hs256(good_claims()), &ctx);
    v.verify("", &ctx);
    v.verify("a.b", &ctx);
    v.verify("a.b", &ctx);
    let s = v.stats();
    assert_eq!((s.accepted, s.rejected), (1, 3));
    assert_eq!(s.by_kind["malformed"], 2);
    assert_eq!(s.by_kind["missing_token"], 1);
}

#[test]
fn scopes_and_roles_are_enforced_with_authz_fail_records() {
    let sink = Arc::new(MemorySink::new());
    let v = base().shared_sink(sink.clone()).build().unwrap();
    let token = hs256(good_claims());
    let ok = v.verify_with(
        &token,
        &RequestContext::new(),
        &AuthzRequirement::new()
            .scopes(["orders:read"])
            .roles(["admin"]),
    );
    assert!(ok.is_accepted());
    assert_eq!(
        ok.record().authz.as_ref().unwrap().decision,
        jwt_audit::record::Decision::Allow
    );
    let denied = v.verify_with(
        &token,
        &RequestContext::new(),
        &AuthzRequirement::new().scopes(["orders:admin"]),
    );
    assert_eq!(denied.failure_kind(), Some(FailureKind::InsufficientScope));
    assert_eq!(denied.record().event, jwt_audit::record::Event::AuthzFail);
    let c = jwt_audit::http::challenge(&denied).unwrap();
    assert_eq!(
        (c.status, c.www_authenticate.as_str()),
        (
            403,
            r#"Bearer error="insufficient_scope", scope="orders:admin""#
        )
    );

    // A guard after the middleware: allowed emits nothing, denied emits one authz_fail record.
    let before = sink.records().len();
    assert!(
        v.authorize(&ok, &AuthzRequirement::new().scopes(["orders:write"]))
            .is_ok()
    );
    assert_eq!(sink.records().len(), before);
    let err = v
        .authorize(&ok, &AuthzRequirement::new().roles(["root"]))
        .unwrap_err();
    assert_eq!(err.failure_kind(), Some(FailureKind::InsufficientScope));
    assert_eq!(sink.records().len(), before + 1);
    assert_ne!(err.record().id, ok.record().id);
}

#[test]
fn revocation_and_replay_are_keyed_on_iss_and_jti() {
    let revoked = Arc::new(RevocationList::new());
    revoked.revoke("https://auth.example.com", "t1");
    let v = base().shared_lifecycle(revoked).build().unwrap();
    let out = v.verify(hs256(good_claims()), &RequestContext::new());
    assert_eq!(out.failure_kind(), Some(FailureKind::Revoked));
    assert_eq!(
        out.record().event,
        jwt_audit::record::Event::AuthnTokenReuse
    );

    let v = base().lifecycle(ReplayGuard::new(100)).build().unwrap();
    let token = hs256(good_claims());
    assert!(v.verify(&token, &RequestContext::new()).is_accepted());
    assert_eq!(
        v.verify(&token, &RequestContext::new()).failure_kind(),
        Some(FailureKind::Replayed)
    );
    // An expired presentation of a fresh jti does not burn it.
    let fresh = json!({"iss": "https://auth.example.com", "jti": "t2", "exp": NOW - 100});
    assert_eq!(
        v.verify(hs256(fresh), &RequestContext::new())
            .failure_kind(),
        Some(FailureKind::Expired)
    );
    assert!(
        v.verify(
            hs256(json!({"iss": "https://auth.example.com", "jti": "t2", "exp": NOW + 100})),
            &RequestContext::new()
        )
        .is_accepted()
    );
}

#[test]
fn host_step_only_for_asymmetric_signatures() {
    let v = base().build().unwrap();
    assert!(matches!(
        v.begin(hs256(good_claims()), &RequestContext::new(), None),
        Progress::Done(_)
    ));
    let pem =
        std::fs::read_to_string(common::repo_root().join("tests/vectors/keys/ec-p256.pub.pem"))
            .unwrap();
    let v = Verifier::builder()
        .key(KeySource::pem(pem))
        .algorithms(["ES256"])
        .now(NOW)
        .build()
        .unwrap();
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.AAAA";
    match v.begin(token, &RequestContext::new(), None) {
        Progress::Signature(p) => {
            assert_eq!(p.keys()[0]["kty"], "EC");
            assert_eq!(p.message(), b"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9");
            let done = p.finish(false);
            assert_eq!(done.failure_kind(), Some(FailureKind::BadSignature));
        }
        Progress::Done(d) => panic!("expected a host step, got {:?}", d.record().failure),
    }
}

#[test]
fn keyed_fingerprints_differ_and_are_stable() {
    let token = hs256(good_claims());
    let plain = base()
        .build()
        .unwrap()
        .verify(&token, &RequestContext::new());
    let keyed = base()
        .fingerprint_key("0123456789abcdef-key")
        .build()
        .unwrap();
    let a = keyed.verify(&token, &RequestContext::new());
    let b = keyed.verify(&token, &RequestContext::new());
    let (fp_plain, fp_a) = (
        plain.record().token.fingerprint.clone().unwrap(),
        a.record().token.fingerprint.clone().unwrap(),
    );
    assert!(fp_plain.starts_with("sha256:") && fp_a.starts_with("hmac-sha256:"));
    assert_eq!(a.record().token.fingerprint, b.record().token.fingerprint);
    assert_ne!(a.record().id, b.record().id, "ids are unique");
}

#[test]
fn oversized_tokens_are_rejected_before_decoding() {
    let v = base().build().unwrap();
    let out = v.verify("a".repeat(1 << 20), &RequestContext::new());
    assert_eq!(out.failure_kind(), Some(FailureKind::TokenTooLarge));
    assert_eq!(out.record().token.fingerprint, None, "not even hashed");
    assert_eq!(out.record().token.size, 1 << 20);
}

#[test]
fn verify_authorization_extracts_bearer_credentials() {
    let v = base().build().unwrap();
    let ctx = RequestContext::new();
    let token = hs256(good_claims());
    assert!(
        v.verify_authorization(Some(&format!("Bearer {token}")), &ctx, None)
            .is_accepted()
    );
    assert_eq!(
        v.verify_authorization(None, &ctx, None).failure_kind(),
        Some(FailureKind::MissingToken)
    );
    assert_eq!(
        v.verify_authorization(Some("Basic dXNlcjpwYXNz"), &ctx, None)
            .failure_kind(),
        Some(FailureKind::MissingToken)
    );
    assert_eq!(
        v.verify_authorization(Some("Bearer "), &ctx, None)
            .failure_kind(),
        Some(FailureKind::Malformed)
    );
}

#[test]
fn verifier_is_shared_across_threads_without_losing_records() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Verifier>();
    let sink = Arc::new(MemorySink::new());
    let v = base().shared_sink(sink.clone()).build().unwrap();
    let token = hs256(good_claims());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..250 {
                    assert!(v.verify(&token, &RequestContext::new()).is_accepted());
                }
            });
        }
    });
    assert_eq!(sink.records().len(), 2000);
    assert_eq!(v.stats().accepted, 2000);
}
