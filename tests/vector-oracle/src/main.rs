//! Prints, as one JSON object keyed by case name, the record the native core (aws-lc-rs, the
//! synchronous `verify`) writes for every case of `tests/vectors`, without `id`, `time` and
//! `duration_us`. Every binding compares its records with these.
//!
//! Usage: `cargo run -p jwt-audit-vector-oracle -- tests/vectors` (used by the Node, Python and
//! WASM bindings' vector tests).

use base64::Engine;
use jwt_audit::{RequestContext, Verifier, VerifierConfig};
use serde_json::{Map, Value};
use std::path::Path;

fn token_of(case: &Value) -> Vec<u8> {
    if let Some(r) = case.get("token_repeat") {
        let unit = r["unit"].as_str().unwrap_or_default();
        return unit
            .repeat(r["count"].as_u64().unwrap_or(0) as usize)
            .into_bytes();
    }
    if let Some(b) = case.get("token_bytes_b64").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("token_bytes_b64 is base64");
    }
    case["token"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec()
}

fn record_of(case: &Value) -> Result<Value, String> {
    let config =
        VerifierConfig::from_json_value(case["config"].clone()).map_err(|e| e.to_string())?;
    let verifier = Verifier::new(config).map_err(|e| e.to_string())?;
    let ctx: RequestContext = match case.get("context") {
        Some(c) => serde_json::from_value(c.clone()).map_err(|e| e.to_string())?,
        None => RequestContext::default(),
    };
    let v = verifier.verify(token_of(case), &ctx);
    let mut record = serde_json::to_value(&**v.record()).map_err(|e| e.to_string())?;
    if let Value::Object(m) = &mut record {
        for volatile in ["id", "time", "duration_us"] {
            m.remove(volatile);
        }
    }
    Ok(record)
}

fn main() -> Result<(), String> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: jwt-audit-vector-oracle <vectors dir>")?;
    let mut files: Vec<_> = std::fs::read_dir(Path::new(&dir))
        .map_err(|e| format!("{dir}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Map::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        for case in doc["cases"].as_array().into_iter().flatten() {
            let name = case["name"].as_str().unwrap_or_default().to_string();
            let record = record_of(case).map_err(|e| format!("{name}: {e}"))?;
            out.insert(name, record);
        }
    }
    println!("{}", Value::Object(out));
    Ok(())
}
