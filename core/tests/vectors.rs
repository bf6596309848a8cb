//! Runs every shared conformance vector (tests/vectors/*.json) through the native pipeline and
//! through the host-signature step (answered by an independent implementation, jsonwebtoken's
//! own crypto), checks outcome, kind, `also` and the full record, and validates each record
//! against the shipped JSON Schema.
//!
//! `JWT_AUDIT_BLESS=1 cargo test -p jwt-audit --test vectors` rewrites every `expected.record`
//! from the current core (review the diff: outcome, kind and `also` are still checked).

mod common;

use base64::Engine;
use jwt_audit::{Progress, RequestContext, Verifier, VerifierConfig};
use serde_json::Value;

/// Answers a host-signature request the way a host would: from the public JWK, with another
/// implementation than the core's native backend.
fn host_verify(p: &jwt_audit::PendingSignature) -> bool {
    let alg: jsonwebtoken::Algorithm = p.algorithm().as_str().parse().unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p.signature());
    p.keys().into_iter().any(|jwk| {
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        jsonwebtoken::crypto::verify(&sig, p.message(), &key, alg).unwrap_or(false)
    })
}

#[test]
fn shared_vectors() {
    let schema = common::record_schema();
    let bless = std::env::var_os("JWT_AUDIT_BLESS").is_some();
    let files = common::vector_files();
    assert!(!files.is_empty(), "no vector files in tests/vectors");
    let (mut cases, mut records_compared, mut failures) = (0, 0, Vec::new());
    for (path, mut doc) in files {
        let mut changed = false;
        for case in doc["cases"].as_array_mut().unwrap() {
            cases += 1;
            let name = case["name"].as_str().unwrap().to_string();
            let config = VerifierConfig::from_json_value(case["config"].clone())
                .unwrap_or_else(|e| panic!("{name}: config error {e}"));
            let verifier = Verifier::new(config).unwrap_or_else(|e| panic!("{name}: {e}"));
            let ctx: RequestContext =
                serde_json::from_value(case.get("context").cloned().unwrap_or(Value::Null))
                    .unwrap_or_default();
            let token = common::case_token(case);

            let native = verifier.verify(&token, &ctx);
            let hosted = match verifier.begin(&token, &ctx, None) {
                Progress::Done(v) => v,
                Progress::Signature(p) => {
                    let ok = host_verify(&p);
                    p.finish(ok)
                }
            };
            for (path_name, v) in [("native", &native), ("host", &hosted)] {
                // The hand-made writer (claims written from the payload text) and serde (claims
                // read through the payload's map) write the same bytes.
                assert_eq!(
                    v.record().to_json(),
                    serde_json::to_string(&**v.record()).unwrap(),
                    "{name}: writer and serde differ"
                );
                let record: Value = serde_json::from_str(&v.record().to_json()).unwrap();
                common::assert_valid_record(&schema, &record);
                let raw = String::from_utf8_lossy(&token);
                if token.len() >= 16 {
                    assert!(
                        !v.record().to_json().contains(raw.as_ref()),
                        "{name}: record contains the token"
                    );
                }
                let exp = &case["expected"];
                let got_kind = v.failure_kind().map(|k| k.as_str());
                let got_outcome = if v.is_accepted() {
                    "accepted"
                } else {
                    "rejected"
                };
                if exp["outcome"] != got_outcome || exp["kind"].as_str() != got_kind {
                    failures.push(format!(
                        "{name} [{path_name}]: expected {} {}, got {got_outcome} {got_kind:?} ({})",
                        exp["outcome"],
                        exp["kind"],
                        v.record()
                            .failure
                            .as_ref()
                            .map(|f| f.detail.as_str())
                            .unwrap_or("")
                    ));
                    continue;
                }
                if let Some(also) = exp.get("also").and_then(Value::as_array) {
                    let got: Vec<&str> = v
                        .record()
                        .failure
                        .as_ref()
                        .map(|f| f.also.iter().map(|c| c.kind.as_str()).collect())
                        .unwrap_or_default();
                    let want: Vec<&str> = also.iter().filter_map(Value::as_str).collect();
                    if got != want {
                        failures.push(format!(
                            "{name} [{path_name}]: also expected {want:?}, got {got:?}"
                        ));
                    }
                }
            }
            assert_eq!(
                common::comparable(native.record()),
                common::comparable(hosted.record()),
                "{name}: host path record differs"
            );
            match case["expected"].get("record") {
                _ if bless => {
                    case["expected"]["record"] = common::comparable(native.record());
                    changed = true;
                }
                Some(want) => {
                    records_compared += 1;
                    let got = common::comparable(native.record());
                    if &got != want {
                        failures.push(format!("{name}: record differs\n want {want}\n  got {got}"));
                    }
                }
                None => {}
            }
        }
        if changed {
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases > 0);
    eprintln!("{cases} vector cases passed; {records_compared} full records compared");
}
