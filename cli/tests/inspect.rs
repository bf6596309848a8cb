//! `jwt-audit inspect`: decoding without trusting, redacted like a record.

mod common;

use common::*;
use serde_json::{Value, json};

fn inspect_json(args: &[&str]) -> (i32, Value) {
    let out = bin()
        .arg("inspect")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// The record `verify` writes for `token` (with the test secret).
fn verify_record(token: &str, extra: &[&str]) -> Value {
    let out = verify_hs256().args(extra).arg(token).output().unwrap();
    records(&out.stdout).remove(0)
}

#[test]
fn shows_header_redacted_claims_and_relative_times() {
    let token = hs256(&good_claims());
    let out = bin()
        .args(["inspect", "--now", &NOW.to_string(), &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    for needle in [
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#""user-123""#,
        "2023-11-14T22:23:20Z  expires in 10m",
        "2023-11-14T22:12:20Z  issued 1m ago",
        "dropped      email, name",
        "signature 32 bytes",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(!text.contains("ann@example.com"));
    assert!(!text.contains(&token));
    assert!(!text.contains(token.rsplit('.').next().unwrap()));
}

#[test]
fn claims_and_fingerprint_match_the_record() {
    let token = hs256(&good_claims());
    let (code, doc) = inspect_json(&[&token]);
    assert_eq!(code, 0);
    let record = verify_record(&token, &[]);
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["claims"], record["claims"]);
    assert_eq!(doc["fingerprint"], record["token"]["fingerprint"]);
    assert_eq!(doc["size"], record["token"]["size"]);
    // With a fingerprint key, both switch to the keyed scheme and still agree.
    let key = key_path("hmac-48.txt");
    let key = key.to_str().unwrap();
    let (_, doc) = inspect_json(&["--fingerprint-key-file", key, &token]);
    let record = verify_record(&token, &["--fingerprint-key-file", key]);
    assert!(
        doc["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("hmac-sha256:")
    );
    assert_eq!(doc["fingerprint"], record["token"]["fingerprint"]);
}

#[test]
fn redaction_from_a_config_applies() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[redaction]\nhash = [\"email\"]\nmask = [\"sub\"]\n",
    )
    .unwrap();
    let (code, doc) = inspect_json(&["--config", config.to_str().unwrap(), &hs256(&good_claims())]);
    assert_eq!(code, 0);
    assert!(
        doc["claims"]["values"]["email"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(doc["claims"]["values"]["sub"], "***");
    assert_eq!(doc["claims"]["dropped"], json!(["name"]));
}

#[test]
fn malformed_inputs_get_a_clear_message_and_exit_1() {
    for (input, kind, detail) in [
        ("garbage", "malformed", "1 segments; a JWS has 3"),
        ("a.b.c", "malformed", "header is not"),
        ("eyJhbGciOiJIUzI1NiJ9.e30", "malformed", "2 segments"),
    ] {
        let (code, doc) = inspect_json(&[input]);
        assert_eq!(code, 1, "{input}");
        assert_eq!(doc["problem"]["kind"], kind, "{input}");
        assert!(
            doc["problem"]["detail"].as_str().unwrap().contains(detail),
            "{input}: {doc}"
        );
    }
    let out = bin()
        .args(["inspect", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("PROBLEM      missing_token"), "{text}");
    let big = "a".repeat(10_000);
    let (code, doc) = inspect_json(&[&big]);
    assert_eq!(
        (code, &doc["problem"]["kind"]),
        (1, &json!("token_too_large"))
    );
}

#[test]
fn refused_headers_are_flagged_but_still_decoded() {
    let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
    let out = bin().args(["inspect", none]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("PROBLEM      algorithm_not_allowed: alg none"),
        "{text}"
    );
    assert!(text.contains(r#""admin""#), "{text}");
}

#[test]
fn bearer_prefix_and_whitespace_are_removed() {
    let token = hs256(&good_claims());
    let (code, doc) = inspect_json(&[&format!("Bearer {token}\n")]);
    assert_eq!(code, 0);
    assert_eq!(doc["trimmed"], true);
    assert_eq!(
        doc["fingerprint"],
        verify_record(&token, &[])["token"]["fingerprint"]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let (code, doc) = inspect_json(&["--token-file", file.to_str().unwrap()]);
    assert_eq!(
        (code, &doc["claims"]["values"]["sub"]),
        (0, &json!("user-123"))
    );
}

#[test]
fn terminal_escapes_from_the_token_are_neutralised() {
    let mut claims = good_claims();
    claims["sub"] = json!("evil\u{1b}[2J\u{9b}31m\nFAKE LINE");
    let out = bin().args(["inspect", &hs256(&claims)]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(!text.contains("\nFAKE LINE"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    bin().arg("inspect").assert().code(2);
    bin()
        .args(["inspect", "--token-file", "/nonexistent/token"])
        .assert()
        .code(2);
    bin()
        .args(["inspect", "--format", "yaml", "a.b.c"])
        .assert()
        .code(2);
}
