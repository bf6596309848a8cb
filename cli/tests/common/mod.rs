//! Helpers shared by the CLI's integration tests, which run the real `jwt-audit` binary.
#![allow(dead_code)]

use assert_cmd::Command;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fixed clock most tests use (the vectors' `now`).
pub const NOW: i64 = 1_700_000_000;
pub const ISSUER: &str = "https://issuer.example";
pub const AUDIENCE: &str = "orders-api";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A shared test key (tests/vectors/keys).
pub fn key_path(name: &str) -> PathBuf {
    repo_root().join("tests/vectors/keys").join(name)
}

/// The HS256 secret of `hmac-32.txt`.
pub fn secret() -> Vec<u8> {
    std::fs::read(key_path("hmac-32.txt")).unwrap()
}

pub fn bin() -> Command {
    Command::cargo_bin("jwt-audit").unwrap()
}

/// `verify` with the HS256 test secret, issuer, audience and fixed clock.
pub fn verify_hs256() -> Command {
    let mut cmd = bin();
    cmd.arg("verify")
        .arg("--secret-file")
        .arg(key_path("hmac-32.txt"))
        .args(["--alg", "HS256", "--issuer", ISSUER, "--audience", AUDIENCE])
        .args(["--now", &NOW.to_string()]);
    cmd
}

/// An HS256 token signed with the test secret.
pub fn hs256(claims: &Value) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(&secret()),
    )
    .unwrap()
}

/// Claims that `verify_hs256` accepts, plus personal data the default policy drops.
pub fn good_claims() -> Value {
    serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-123", "iat": NOW - 60, "exp": NOW + 600,
        "jti": "t-1", "email": "ann@example.com", "name": "Ann"
    })
}

/// The shipped JSON Schema of the record, compiled.
pub fn record_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("schema/audit-record.v1.json"))
        .expect("schema/audit-record.v1.json is missing");
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Panics with every schema violation if `record` does not validate.
pub fn assert_valid_record(schema: &jsonschema::Validator, record: &Value) {
    let errors: Vec<String> = schema
        .iter_errors(record)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "record does not match the schema: {errors:#?}\n{record:#}"
    );
}

/// Parses JSON Lines output.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A record without the fields allowed to differ run to run.
pub fn stable(record: &Value) -> Value {
    let mut r = record.clone();
    let o = r.as_object_mut().unwrap();
    for f in ["id", "time", "duration_us"] {
        o.remove(f);
    }
    r
}

/// Fails if the text holds anything shaped like a token, a signature or key material: a JOSE
/// header (`eyJ`), a PEM armour, or a base64url run as long as an HS256 signature (43 chars).
pub fn assert_no_token_material(what: &str, text: &str) {
    assert!(!text.contains("eyJ"), "{what} holds a JOSE segment");
    assert!(
        !text.contains("-----BEGIN"),
        "{what} holds PEM key material"
    );
    let mut run = 0usize;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            run += 1;
            assert!(run < 43, "{what} holds a base64url run of 43+ characters");
        } else {
            run = 0;
        }
    }
}
