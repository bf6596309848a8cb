//! `jwt-audit verify`: every token source, exit status and configuration error path.

mod common;

use base64::Engine;
use common::*;
use serde_json::{Value, json};
use std::path::Path;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn accepted_token_exits_0_with_one_record() {
    let token = hs256(&good_claims());
    let out = verify_hs256().arg(&token).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let records = records(&out.stdout);
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_valid_record(&record_schema(), r);
    assert_eq!(r["outcome"], "accepted");
    assert_eq!(r["claims"]["dropped"], json!(["email", "name"]));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    assert!(!all.contains(&token));
    assert!(
        !all.contains(token.rsplit('.').next().unwrap()),
        "the signature leaked"
    );
}

#[test]
fn rejected_token_exits_1() {
    let mut claims = good_claims();
    claims["exp"] = json!(NOW - 92);
    claims["aud"] = json!("billing-api");
    let out = verify_hs256().arg(hs256(&claims)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = &records(&out.stdout)[0];
    assert_eq!(r["failure"]["kind"], "expired");
    assert_eq!(
        r["failure"]["detail"],
        "exp is 92 s before now, leeway 30 s"
    );
    assert_eq!(r["failure"]["also"][0]["kind"], "audience_mismatch");
}

#[test]
fn token_file_is_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let token = hs256(&good_claims());
    let exact = write(dir.path(), "exact", &token);
    verify_hs256()
        .arg("--token-file")
        .arg(&exact)
        .assert()
        .code(0);
    // A trailing newline is part of the token: malformed, with a record, never a crash.
    let newline = write(dir.path(), "newline", format!("{token}\n"));
    let out = verify_hs256()
        .arg("--token-file")
        .arg(&newline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = &records(&out.stdout)[0];
    assert_eq!(r["failure"]["kind"], "malformed");
    assert_eq!(r["token"]["size"], token.len() + 1);
}

#[test]
fn token_file_with_invalid_utf8_is_a_malformed_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad", b"eyJhbGciOiJIUzI1NiJ9.\xff\xfe.c2ln");
    let out = verify_hs256()
        .arg("--token-file")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let r = &records(&out.stdout)[0];
    assert_valid_record(&record_schema(), r);
    assert_eq!(r["failure"]["kind"], "malformed");
}

#[test]
fn stdin_gives_one_record_per_line() {
    let good = hs256(&good_claims());
    let mut expired = good_claims();
    expired["exp"] = json!(NOW - 3600);
    let input = format!("{good}\r\n{}\ngarbage\n\n{good}", hs256(&expired));
    let out = verify_hs256().arg("-").write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let kinds: Vec<Value> = records(&out.stdout)
        .iter()
        .map(|r| r["failure"]["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            Value::Null,
            json!("expired"),
            json!("malformed"),
            json!("missing_token"),
            Value::Null
        ]
    );
    // All accepted: exit 0.
    let out = verify_hs256()
        .arg("-")
        .write_stdin(format!("{good}\n{good}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(records(&out.stdout).len(), 2);
}

#[test]
fn stdin_streams_thousands_of_tokens() {
    let good = hs256(&good_claims());
    let input = format!("{good}\n").repeat(5000);
    let out = verify_hs256().arg("-").write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(records(&out.stdout).len(), 5000);
}

#[test]
fn empty_stdin_is_a_usage_error() {
    let out = verify_hs256().arg("-").write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("no token on stdin"),
        "{}",
        stderr_of(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn pretty_prints_an_indented_record() {
    let out = verify_hs256()
        .args(["--pretty", &hs256(&good_claims())])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() > 20);
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["outcome"], "accepted");
}

#[test]
fn missing_key_file_names_the_flag() {
    let out = bin()
        .args([
            "verify",
            "--key",
            "/nonexistent/rsa.pem",
            "--alg",
            "RS256",
            "x.y.z",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--key /nonexistent/rsa.pem: cannot read"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_algorithm_names_the_flag() {
    let out = verify_hs256()
        .args(["--alg", "HS999", "a.b.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--alg: unsupported algorithm `HS999`"),
        "{err}"
    );
}

#[test]
fn missing_algorithms_and_keys_are_explained() {
    let out = bin()
        .args(["verify", "--secret-file"])
        .arg(key_path("hmac-32.txt"))
        .arg("a.b.c")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--alg"), "{}", stderr_of(&out));
    let out = bin()
        .args(["verify", "--alg", "RS256", "a.b.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("no key"), "{}", stderr_of(&out));
}

#[test]
fn missing_token_argument_is_a_usage_error() {
    let out = verify_hs256().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("TOKEN"), "{}", stderr_of(&out));
}

fn hs256_config(dir: &Path) -> Value {
    json!({
        "keys": [{"secret": String::from_utf8(secret()).unwrap(), "kid": "k1"}],
        "algorithms": ["HS256"],
        "issuer": ISSUER,
        "audience": [AUDIENCE],
        "now": NOW,
        "name": "from-config",
        "sink": {"file": dir.join("copy.jsonl")},
    })
}

#[test]
fn json_and_toml_configs_give_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let config = hs256_config(dir.path());
    let json_path = write(dir.path(), "c.json", config.to_string());
    let toml_path = write(dir.path(), "c.toml", toml::to_string(&config).unwrap());
    let token = hs256(&good_claims());
    let run = |path: &Path| {
        let out = bin()
            .arg("verify")
            .arg("--config")
            .arg(path)
            .arg(&token)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        records(&out.stdout).remove(0)
    };
    let (a, b) = (run(&json_path), run(&toml_path));
    assert_eq!(stable(&a), stable(&b));
    assert_eq!(a["verifier"]["name"], "from-config");
    // The `sink` option appended both records to the file as well.
    let copy = records(&std::fs::read(dir.path().join("copy.jsonl")).unwrap());
    assert_eq!(copy.len(), 2);
    assert_eq!(copy[0]["id"], a["id"]);
}

#[test]
fn flags_override_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hs256_config(dir.path());
    config["leeway_seconds"] = json!(301);
    config["name"] = json!("config-name");
    let path = write(dir.path(), "c.json", config.to_string());
    let token = hs256(&good_claims());
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .arg(&token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("config key `leeway_seconds` in"), "{err}");
    assert!(err.contains("above the maximum of 300"), "{err}");
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .args(["--leeway-seconds", "10", "--name", "flag-name", &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(records(&out.stdout)[0]["verifier"]["name"], "flag-name");
    // --now from the flag: the token is expired a day later.
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .args([
            "--leeway-seconds",
            "0",
            "--now",
            &(NOW + 86_400).to_string(),
            &token,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(records(&out.stdout)[0]["failure"]["kind"], "expired");
}

#[test]
fn bad_json_config_names_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "c.json", "{\n  \"algorithms\": [\"HS256\",]\n}");
    let out = verify_hs256()
        .arg("--config")
        .arg(&path)
        .arg("a.b.c")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--config") && err.contains("not valid JSON at line 2"),
        "{err}"
    );
}

#[test]
fn bad_toml_config_names_the_position_without_quoting_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "c.toml",
        "algorithms = [\"HS256\"]\nkeys = [{ secret = \"top-secret-value-1234567890\" }\n",
    );
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .arg("a.b.c")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("not valid TOML at line"), "{err}");
    assert!(!err.contains("top-secret-value"), "{err}");
}

#[test]
fn config_errors_name_the_key_and_never_show_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let private = std::fs::read_to_string(key_path("rsa-1.private.pem")).unwrap();
    let config = json!({"keys": [{"pem": private}], "algorithms": ["RS256"]});
    let path = write(dir.path(), "c.json", config.to_string());
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .arg("a.b.c")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("config key `keys[0].pem`"), "{err}");
    assert!(err.contains("private key"), "{err}");
    assert_no_token_material("stderr", &err);
    let config = json!({"keys": [{"secret": "x".repeat(32)}], "algorithms": ["HS256"], "leway": 3});
    let path = write(dir.path(), "typo.json", config.to_string());
    let out = bin()
        .arg("verify")
        .arg("--config")
        .arg(&path)
        .arg("a.b.c")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("leway"), "{}", stderr_of(&out));
}

#[test]
fn key_flags_name_the_file_and_the_member_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = json!({"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]});
    let path = write(dir.path(), "jwks.json", jwks.to_string());
    let out = bin()
        .arg("verify")
        .arg("--jwks")
        .arg(&path)
        .args(["--alg", "RS256", "a.b.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("--jwks {} (keys[0].n)", path.display())),
        "{err}"
    );
    let short = write(dir.path(), "short.txt", "too-short\n");
    let out = bin()
        .arg("verify")
        .arg("--secret-file")
        .arg(&short)
        .args(["--alg", "HS256", "a.b.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("--secret-file {}:", short.display())),
        "{err}"
    );
    assert!(err.contains("9 bytes"), "{err}");
}

#[test]
fn public_keys_from_pem_and_jwks() {
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/vectors/keys.json")).unwrap(),
    )
    .unwrap();
    let case = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rsa-pkcs1-pem")
        .unwrap();
    let token = case["token"].as_str().unwrap();
    for (flag, file) in [
        ("--key", "rsa-1.pkcs1.pub.pem"),
        ("--key", "rsa-1.pub.pem"),
        ("--jwks", "jwks.json"),
    ] {
        let out = bin()
            .arg("verify")
            .arg(flag)
            .arg(key_path(file))
            .args(["--alg", "RS256", "--now", &NOW.to_string(), token])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{flag} {file}: {}",
            stderr_of(&out)
        );
    }
}

/// Every shared vector through the binary: `--config` with the case's config, `--token-file`
/// with its exact bytes.
#[test]
fn shared_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let schema = record_schema();
    let (mut ran, mut failures) = (0, Vec::new());
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let token: Vec<u8> = if let Some(t) = case["token"].as_str() {
                t.as_bytes().to_vec()
            } else if let Some(b) = case["token_bytes_b64"].as_str() {
                base64::engine::general_purpose::STANDARD.decode(b).unwrap()
            } else {
                let r = &case["token_repeat"];
                r["unit"]
                    .as_str()
                    .unwrap()
                    .repeat(r["count"].as_u64().unwrap() as usize)
                    .into_bytes()
            };
            let config = write(dir.path(), "config.json", case["config"].to_string());
            let token_file = write(dir.path(), "token", &token);
            let out = bin()
                .arg("verify")
                .arg("--config")
                .arg(&config)
                .arg("--token-file")
                .arg(&token_file)
                .output()
                .unwrap();
            ran += 1;
            let expected = &case["expected"];
            let want_code = if expected["outcome"] == "accepted" {
                0
            } else {
                1
            };
            if out.status.code() != Some(want_code) {
                failures.push(format!(
                    "{name}: exit {:?}: {}",
                    out.status.code(),
                    stderr_of(&out)
                ));
                continue;
            }
            let r = &records(&out.stdout)[0];
            assert_valid_record(&schema, r);
            let also: Vec<&Value> = r["failure"]["also"]
                .as_array()
                .map(|a| a.iter().map(|x| &x["kind"]).collect())
                .unwrap_or_default();
            let want_also: Vec<&Value> = expected["also"].as_array().unwrap().iter().collect();
            if r["outcome"] != expected["outcome"]
                || r["failure"]["kind"] != expected["kind"]
                || also != want_also
            {
                failures.push(format!(
                    "{name}: got {} {} {also:?}, want {} {} {want_also:?}",
                    r["outcome"], r["failure"]["kind"], expected["outcome"], expected["kind"]
                ));
                continue;
            }
            // The CLI passes no request context, so records of cases with one differ there.
            if let (Some(want), None) = (expected.get("record"), case.get("context")) {
                let mut want = want.clone();
                for f in ["id", "time", "duration_us"] {
                    want.as_object_mut().unwrap().remove(f);
                }
                if stable(r) != want {
                    failures.push(format!(
                        "{name}: record differs:\n{:#}\n{want:#}",
                        stable(r)
                    ));
                }
            }
        }
    }
    assert!(ran >= 300, "only {ran} cases");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn policy_flags_reach_the_core() {
    let token = hs256(&good_claims());
    let run = |args: &[&str]| {
        let out = verify_hs256().args(args).arg(&token).output().unwrap();
        let r = records(&out.stdout).remove(0);
        (
            out.status.code(),
            r["failure"]["kind"].clone(),
            r["failure"]["detail"].clone(),
        )
    };
    assert_eq!(run(&["--require", "exp", "--require", "jti"]).0, Some(0));
    let (code, kind, detail) = run(&["--require", "tenant"]);
    assert_eq!((code, kind), (Some(1), json!("missing_claim")));
    assert_eq!(detail, "tenant is required");
    let (code, kind, _) = run(&["--typ", "at+jwt"]);
    assert_eq!((code, kind), (Some(1), json!("invalid_claim")));
    let (code, kind, _) = run(&["--max-token-bytes", "64"]);
    assert_eq!((code, kind), (Some(1), json!("token_too_large")));
    let out = verify_hs256()
        .args(["--max-token-bytes", "10", &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--max-token-bytes: must be between 64 and"));
}

#[test]
fn invalid_utf8_lines_on_stdin_are_rejected_not_fatal() {
    let good = hs256(&good_claims());
    let mut input = b"\xff\xfe.\x80.x\n".to_vec();
    input.extend_from_slice(good.as_bytes());
    let out = verify_hs256().arg("-").write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let records = records(&out.stdout);
    assert_eq!(records[0]["failure"]["kind"], "malformed");
    assert_eq!(records[1]["outcome"], "accepted");
}
