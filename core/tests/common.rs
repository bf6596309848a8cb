//! Helpers shared by the core's integration tests: the record schema and the shared vectors.
#![allow(dead_code)]

use base64::Engine;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The shipped JSON Schema of the record, compiled.
pub fn record_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("schema/audit-record.v1.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Panics with every schema violation if `record` does not validate.
pub fn assert_valid_record(schema: &jsonschema::Validator, record: &Value) {
    let errors: Vec<String> = schema
        .iter_errors(record)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "record does not match the schema: {errors:#?}\n{record:#}"
    );
}

/// The token bytes of a vector case (`token`, `token_bytes_b64` or `token_repeat`).
pub fn case_token(case: &Value) -> Vec<u8> {
    if let Some(t) = case.get("token").and_then(Value::as_str) {
        return t.as_bytes().to_vec();
    }
    if let Some(b) = case.get("token_bytes_b64").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD.decode(b).unwrap();
    }
    if let Some(r) = case.get("token_repeat") {
        let unit = r["unit"].as_str().unwrap();
        return unit
            .repeat(r["count"].as_u64().unwrap() as usize)
            .into_bytes();
    }
    panic!("case {} has no token", case["name"]);
}

/// Every vector file: (path, parsed document).
pub fn vector_files() -> Vec<(PathBuf, Value)> {
    let dir = repo_root().join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, doc)
        })
        .filter(|(_, doc)| doc.get("cases").is_some_and(Value::is_array))
        .collect()
}

/// The record as JSON without the fields allowed to differ run to run.
pub fn comparable(record: &jwt_audit::AuditRecord) -> Value {
    let mut v: Value = serde_json::from_str(&record.to_json()).unwrap();
    let m = v.as_object_mut().unwrap();
    for k in ["id", "time", "duration_us"] {
        m.remove(k);
    }
    v
}
