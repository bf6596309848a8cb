//! Verifies a few HS256 tokens and prints each AuditRecord as a JSON line.
//! Run: `cargo run -p jwt-audit --example quickstart`

use jsonwebtoken::{EncodingKey, Header, encode};
use jwt_audit::{RequestContext, Verifier, sink::JsonLinesSink};
use serde_json::json;

const SECRET: &str = "quickstart-secret-that-is-32-bytes-or-more";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = 1_700_000_000;
    let verifier = Verifier::builder()
        .hmac_secret(SECRET)
        .algorithms(["HS256"])
        .issuer("https://auth.example.com")
        .audience("orders-api")
        .now(now)
        .sink(JsonLinesSink::stdout())
        .build()?;

    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let mint = |claims: serde_json::Value| encode(&Header::default(), &claims, &key);
    let valid = mint(
        json!({"iss": "https://auth.example.com", "aud": "orders-api", "sub": "user-1",
        "email": "ann@example.com", "exp": now + 300, "iat": now}),
    )?;
    let expired = mint(
        json!({"iss": "https://auth.example.com", "aud": "orders-api", "sub": "user-1", "exp": now - 92}),
    )?;
    let wrong_aud =
        mint(json!({"iss": "https://auth.example.com", "aud": "billing-api", "exp": now + 300}))?;

    let ctx = RequestContext::new()
        .correlation_id("req-1")
        .client_ip("203.0.113.7")
        .method("GET")
        .path("/orders");
    for token in [
        valid.as_str(),
        expired.as_str(),
        wrong_aud.as_str(),
        "garbage",
        "",
    ] {
        let v = verifier.verify(token, &ctx);
        eprintln!(
            "{:<9} {}",
            if v.is_accepted() {
                "accepted"
            } else {
                "rejected"
            },
            v.failure_kind().map(|k| k.as_str()).unwrap_or("-")
        );
    }
    verifier.flush();
    Ok(())
}
