//! Test oracle for the Node binding's conformance test: verifies every case of
//! `tests/vectors/*.json` with the Rust core directly and prints one JSON line per case,
//! `{"name": ..., "record": ...}`. `test/vectors.test.js` compares the binding's records with these.
//!
//! `cargo run --release -p jwt-audit-node --example vector_records -- tests/vectors`

use jwt_audit::{RequestContext, Verifier, VerifierConfig};
use serde_json::{Value, json};
use std::io::Write;

fn token_of(case: &Value) -> Vec<u8> {
    if let Some(r) = case.get("token_repeat") {
        let unit = r["unit"].as_str().unwrap_or_default();
        return unit
            .repeat(r["count"].as_u64().unwrap_or(0) as usize)
            .into_bytes();
    }
    if let Some(b) = case.get("token_bytes_b64").and_then(Value::as_str) {
        return decode_std_base64(b);
    }
    case["token"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec()
}

/// Standard base64 with padding (the vectors' `token_bytes_b64`), without another dependency.
fn decode_std_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|q| {
            let n = q
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &d)| acc | (u32::from(d) << (18 - 6 * i)));
            n.to_be_bytes()[1..q.len()].to_vec()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/vectors".into());
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = std::io::stdout().lock();
    for file in files {
        let doc: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
        let Some(cases) = doc.get("cases").and_then(Value::as_array) else {
            continue;
        };
        for case in cases {
            let config = VerifierConfig::from_json_value(case["config"].clone())?;
            let ctx: RequestContext = match case.get("context") {
                Some(c) => serde_json::from_value(c.clone())?,
                None => RequestContext::new(),
            };
            let v = Verifier::new(config)?.verify(token_of(case), &ctx);
            let record: Value = serde_json::from_str(&v.record().to_json())?;
            writeln!(out, "{}", json!({"name": case["name"], "record": record}))?;
        }
    }
    Ok(())
}
