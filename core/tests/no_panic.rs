//! Property tests: no input panics, every input gets a record with a kind, and no record ever
//! contains the token, its signature segment or the key.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::{RequestContext, Verifier};
use proptest::prelude::*;
use std::sync::OnceLock;

const SECRET: &str = "property-test-secret-0123456789abcdef!";

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        Verifier::builder()
            .hmac_secret(SECRET)
            .pem(
                std::fs::read_to_string(
                    common::repo_root().join("tests/vectors/keys/rsa-1.pub.pem"),
                )
                .unwrap(),
            )
            .algorithms(["HS256", "RS256"])
            .audience("api")
            .now(1_700_000_000)
            .build()
            .unwrap()
    })
}

fn valid_token() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let claims =
            serde_json::json!({"aud": "api", "exp": 1_700_000_100, "sub": "u", "email": "e@x.y"});
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    })
}

fn check(token: &[u8]) {
    let v = verifier().verify(token, &RequestContext::new());
    let json = v.record().to_json();
    assert_eq!(v.is_accepted(), v.failure_kind().is_none());
    assert!(!json.contains(SECRET));
    let text = String::from_utf8_lossy(token);
    if token.len() >= 24 {
        assert!(!json.contains(text.as_ref()), "record contains the token");
    }
    if let Some(sig) = text
        .rsplit('.')
        .next()
        .filter(|s| s.len() >= 16 && text.matches('.').count() == 2)
    {
        assert!(!json.contains(sig), "record contains the signature segment");
    }
}

/// A JSON-ish fragment: often valid JSON objects, sometimes near misses.
fn jsonish() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\{(\"[a-z]{1,4}\":(\"[ -~]{0,8}\"|[0-9]{1,12}|true|null|\\[\\]|\\{\\}),?){0,5}\\}",
        "[ -~]{0,40}",
        Just("{\"alg\":\"HS256\"}".to_string()),
        Just("{\"alg\":\"RS256\",\"kid\":\"x\",\"crit\":[\"b64\"],\"b64\":false}".to_string()),
        Just("{\"alg\":\"none\"}".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_segments(h in jsonish(), p in jsonish(), sig in proptest::collection::vec(any::<u8>(), 0..300), dots in 0usize..6) {
        let mut token = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(h), URL_SAFE_NO_PAD.encode(p), URL_SAFE_NO_PAD.encode(sig));
        for _ in 0..dots { token.push('.'); }
        check(token.as_bytes());
    }

    #[test]
    fn mutated_valid_token(pos in 0usize..400, byte in any::<u8>(), op in 0u8..3) {
        let mut t = valid_token().as_bytes().to_vec();
        let i = pos % t.len();
        match op {
            0 => t[i] = byte,
            1 => t.insert(i, byte),
            _ => { t.remove(i); }
        }
        check(&t);
    }
}

#[test]
fn the_unmutated_token_is_accepted() {
    assert!(
        verifier()
            .verify(valid_token(), &RequestContext::new())
            .is_accepted()
    );
}
