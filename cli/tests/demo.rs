//! `jwt-audit demo`: the records on stdout, the summary on stderr.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Run {
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// The demo runs once for all tests here (RSA key generation is slow in debug builds).
fn demo() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let start = Instant::now();
        let out = bin().arg("demo").output().unwrap();
        let elapsed = start.elapsed();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Run {
            stdout: out.stdout,
            stderr: String::from_utf8(out.stderr).unwrap(),
            elapsed,
        }
    })
}

#[test]
fn every_line_is_a_schema_valid_record() {
    let schema = record_schema();
    let records = records(&demo().stdout);
    assert_eq!(records.len(), 240);
    for r in &records {
        assert_valid_record(&schema, r);
    }
}

#[test]
fn both_outcomes_and_at_least_eight_failure_kinds_appear() {
    let records = records(&demo().stdout);
    let outcomes: BTreeSet<&str> = records
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, BTreeSet::from(["accepted", "rejected"]));
    let kinds: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r["failure"]["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 8, "{kinds:?}");
    for k in [
        "expired",
        "not_yet_valid",
        "audience_mismatch",
        "issuer_mismatch",
        "bad_signature",
        "algorithm_not_allowed",
        "unknown_key",
        "token_too_large",
        "malformed",
        "missing_token",
        "insufficient_scope",
        "revoked",
        "missing_claim",
        "unsupported",
    ] {
        assert!(kinds.contains(k), "no {k} in {kinds:?}");
    }
    // Every client algorithm was accepted at least once.
    let accepted_algs: BTreeSet<&str> = records
        .iter()
        .filter(|r| r["outcome"] == "accepted")
        .map(|r| r["token"]["alg"].as_str().unwrap())
        .collect();
    assert_eq!(
        accepted_algs,
        BTreeSet::from(["ES256", "EdDSA", "HS256", "RS256"])
    );
}

#[test]
fn attacks_are_recorded_as_such() {
    let records = records(&demo().stdout);
    let critical: Vec<&Value> = records
        .iter()
        .filter(|r| r["severity"] == "critical")
        .collect();
    let details: Vec<&str> = critical
        .iter()
        .map(|r| r["failure"]["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("alg none")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("key confusion")),
        "{details:?}"
    );
    for r in &critical {
        assert_eq!(r["request"]["client_ip"], "198.51.100.66");
        assert_eq!(r["token"]["trusted"], false);
    }
    // A tampered token is a bad signature, never "accepted" nor merely "expired".
    let tampered = records
        .iter()
        .find(|r| r["failure"]["kind"] == "bad_signature")
        .unwrap();
    assert!(
        tampered["claims"]["values"]["scope"]
            .as_str()
            .unwrap()
            .contains("orders:admin")
    );
}

#[test]
fn personal_data_is_redacted() {
    let records = records(&demo().stdout);
    let mobile = records
        .iter()
        .find(|r| r["outcome"] == "accepted" && r["token"]["alg"] == "RS256")
        .unwrap();
    assert_eq!(
        mobile["claims"]["dropped"],
        serde_json::json!(["email", "locale", "name"])
    );
    let text = String::from_utf8_lossy(&demo().stdout);
    assert!(!text.contains("@mail.example"));
}

#[test]
fn no_token_signature_or_key_material_is_printed() {
    let run = demo();
    assert_no_token_material("stdout", &String::from_utf8_lossy(&run.stdout));
    assert_no_token_material("stderr", &run.stderr);
}

#[test]
fn summary_goes_to_stderr() {
    let err = &demo().stderr;
    for needle in [
        "jwt-audit demo: 240 requests",
        "accepted",
        "rejected",
        "failure kind",
        "severity",
        "critical",
        "198.51.100.66",
        "first rejection of each kind",
        "jwt-audit summarize",
    ] {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}

#[test]
fn finishes_quickly() {
    // Well under 2 s in release; debug builds generate the RSA key far more slowly.
    let limit = if cfg!(debug_assertions) { 10 } else { 2 };
    assert!(
        demo().elapsed < Duration::from_secs(limit),
        "{:?}",
        demo().elapsed
    );
}

#[test]
fn output_is_reproducible_apart_from_ids_timing_and_key_dependent_values() {
    let again = bin().args(["demo", "--quiet"]).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stderr.is_empty(), "--quiet prints nothing on stderr");
    let normalise = |r: &Value| {
        let mut r = stable(r);
        r["token"]["fingerprint"] = Value::Null;
        r
    };
    let first: Vec<Value> = records(&demo().stdout).iter().map(normalise).collect();
    let second: Vec<Value> = records(&again.stdout).iter().map(normalise).collect();
    assert_eq!(first, second);
}

#[test]
fn out_writes_the_records_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.jsonl");
    std::fs::write(&path, "old content\n").unwrap();
    let out = bin()
        .args(["demo", "--requests", "120", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(text.contains("120 requests"), "{text}");
    let records = records(&std::fs::read(&path).unwrap());
    assert_eq!(records.len(), 120, "the file is replaced, not appended to");
}

#[test]
fn bad_arguments_are_usage_errors() {
    bin().args(["demo", "--requests", "5"]).assert().code(2);
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["demo", "--out"])
        .arg(dir.path().join("missing-dir/x.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
}
