//! `jwt-audit summarize`: streaming, gzip, buckets, JSON output, bad lines.

mod common;

use common::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A demo log repeated to several MB, with a few lines that are not records.
struct Log {
    _dir: tempfile::TempDir,
    plain: PathBuf,
    gz: PathBuf,
    records: usize,
    rejected: usize,
    bad: usize,
}

const COPIES: usize = 25;

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let out = bin().args(["demo", "--quiet"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let demo = String::from_utf8(out.stdout).unwrap();
        let rejected = demo
            .lines()
            .filter(|l| l.contains(r#""outcome":"rejected""#))
            .count();
        let mut text = String::new();
        for i in 0..COPIES {
            text.push_str(&demo);
            if i % 10 == 0 {
                text.push_str("this is not json\n{\"schema\":\"other/v2\"}\n\n");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("audit.jsonl");
        std::fs::write(&plain, &text).unwrap();
        // Two gzip members, as `cat a.gz b.gz` or a rotating writer produces.
        let gz = dir.path().join("audit.jsonl.gz");
        let (first, second) = text.split_at(text.len() / 2);
        let mut bytes = Vec::new();
        for part in [first, second] {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(part.as_bytes()).unwrap();
            bytes.extend(enc.finish().unwrap());
        }
        std::fs::write(&gz, bytes).unwrap();
        Log {
            _dir: dir,
            plain,
            gz,
            records: 240 * COPIES,
            rejected: rejected * COPIES,
            bad: 2 * COPIES.div_ceil(10),
        }
    })
}

fn summarize_json(args: &[&str], files: &[&Path]) -> Value {
    let out = bin()
        .arg("summarize")
        .args(args)
        .args(["--format", "json"])
        .args(files)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "no progress bar without a terminal");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_multi_megabyte_log_is_summarised() {
    let l = log();
    assert!(std::fs::metadata(&l.plain).unwrap().len() > 4_000_000);
    let doc = summarize_json(&[], &[&l.plain]);
    assert_eq!(doc["records"], l.records);
    assert_eq!(doc["outcome"]["rejected"], l.rejected);
    assert_eq!(doc["outcome"]["accepted"], l.records - l.rejected);
    assert_eq!(doc["not_records"], l.bad);
    assert_eq!(doc["not_record_examples"][0]["reason"], "not JSON");
    assert_eq!(
        doc["not_record_examples"][1]["reason"],
        "JSON, but not a jwt-audit/v1 record"
    );
    let kinds = doc["failure_kind"]["counts"].as_array().unwrap();
    assert!(kinds.len() >= 8);
    assert_eq!(
        kinds
            .iter()
            .map(|k| k["count"].as_u64().unwrap())
            .sum::<u64>(),
        l.rejected as u64
    );
    let top_ip = &doc["rejected_by"]["client_ip"]["counts"][0];
    assert_eq!(top_ip["value"], "198.51.100.66");
    assert_eq!(doc["rejected_by"]["client_ip"]["max_error"], 0);
    assert_eq!(
        doc["time_range"]["first"].as_str().unwrap().get(..13),
        Some("2026-01-15T09")
    );
    assert_eq!(doc["examples"].as_array().unwrap().len(), kinds.len());
}

#[test]
fn gzip_and_stdin_give_the_same_summary() {
    let l = log();
    let plain = summarize_json(&[], &[&l.plain]);
    let gz = summarize_json(&[], &[&l.gz]);
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("inputs");
        v["not_record_examples"] = Value::Null;
        v
    };
    assert_eq!(strip(plain.clone()), strip(gz));
    let out = bin()
        .args(["summarize", "--format", "json"])
        .write_stdin(std::fs::read(&l.gz).unwrap())
        .output()
        .unwrap();
    let stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdin["inputs"][0], "<stdin>");
    assert_eq!(strip(plain), strip(stdin));
}

#[test]
fn several_files_add_up() {
    let l = log();
    let doc = summarize_json(&[], &[&l.plain, &l.gz]);
    assert_eq!(doc["records"], 2 * l.records);
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 2);
}

#[test]
fn buckets() {
    let l = log();
    for (bucket, n, first) in [
        ("1m", 15, "2026-01-15T09:00"),
        ("1h", 1, "2026-01-15T09"),
        ("1d", 1, "2026-01-15"),
    ] {
        let doc = summarize_json(&["--bucket", bucket], &[&l.plain]);
        let timeline = doc["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), n, "{bucket}");
        assert_eq!(timeline[0]["bucket"], first);
        let rejected: u64 = timeline
            .iter()
            .map(|b| b["rejected"].as_u64().unwrap())
            .sum();
        assert_eq!(rejected, l.rejected as u64);
    }
}

#[test]
fn text_report_for_humans() {
    let out = bin()
        .args(["summarize", "--bucket", "1m", "--top", "3"])
        .arg(&log().plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "jwt-audit summary: 6000 record(s)",
        "line(s) were not records",
        "failure kind",
        "198.51.100.66",
        "rejections per 1m (UTC)",
        "2026-01-15T09:07",
        "first rejection of each kind",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert_no_token_material("summary", &text);
}

#[test]
fn empty_input_and_bad_files() {
    let doc = {
        let out = bin()
            .args(["summarize", "--format", "json", "-"])
            .write_stdin("")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(doc["records"], 0);
    let out = bin()
        .args(["summarize", "/nonexistent/audit.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/audit.jsonl"));
    // A truncated gzip file is an error, not a silently short summary.
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.gz");
    let gz = std::fs::read(&log().gz).unwrap();
    std::fs::write(&cut, &gz[..gz.len() / 3]).unwrap();
    let out = bin().arg("summarize").arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    bin().args(["summarize", "--bucket", "5m"]).assert().code(2);
}

#[test]
fn overlong_lines_are_counted_not_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let mut text = "x".repeat(3 * 1024 * 1024);
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let doc = summarize_json(&[], &[&path]);
    assert_eq!(doc["not_records"], 1);
    assert_eq!(doc["not_record_examples"][0]["reason"], "longer than 1 MiB");
}
