//! The summary as text tables (for a terminal) or as one JSON document (for machines).

use super::{NONE, Summary, TopK};
use crate::display::safe;
use comfy_table::{Cell, CellAlignment, Table, presets};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Canonical order of severities, least severe first.
const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];
/// Width of the timeline bars.
const BAR_WIDTH: u64 = 40;
/// Timelines longer than this show only the busiest buckets in text.
const MAX_TEXT_BUCKETS: usize = 60;

fn label(v: &str) -> String {
    if v == NONE {
        "(none)".to_string()
    } else {
        safe(v).into_owned()
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn table(header: [&str; 3]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_BORDERS_ONLY);
    t.set_header(header.to_vec());
    for i in 1..3 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// One "value | count | share" table of the `n` largest counts of `topk`.
fn counts_table(title: &str, topk: &TopK, rows: Vec<(&str, u64)>, whole: u64) -> String {
    let mut t = table([title, "count", "share"]);
    let shown = rows.len();
    for (v, c) in rows {
        t.add_row(vec![
            Cell::new(label(v)),
            Cell::new(c),
            Cell::new(percent(c, whole)),
        ]);
    }
    let mut out = format!("{t}\n");
    if topk.tracked() > shown {
        let more = topk.tracked() - shown;
        let _ = writeln!(
            out,
            "  … {more} more value{}",
            if more == 1 { "" } else { "s" }
        );
    }
    if topk.max_error() > 0 {
        let _ = writeln!(
            out,
            "  (bounded counting: counts may be low by up to {})",
            topk.max_error()
        );
    }
    out
}

/// How much of the summary the text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Outcome, severity, failure kinds, client IPs, timeline and examples (the demo's stderr).
    Brief,
    /// Also the alg, kid and issuer totals and the top fingerprints and subjects.
    Full,
}

/// The summary as text: totals, top-N tables, the rejection timeline and an example per kind.
pub fn render_text(s: &Summary, top: usize, detail: Detail) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "jwt-audit summary: {} record(s) from {}",
        s.records,
        s.inputs.join(", ")
    );
    if let (Some(first), Some(last)) = (&s.first_time, &s.last_time) {
        let _ = writeln!(out, "time range: {first} to {last}");
    }
    if s.not_records > 0 {
        let _ = writeln!(out, "{} line(s) were not records:", s.not_records);
        for b in &s.bad_lines {
            let _ = writeln!(out, "  {} line {}: {}", safe(&b.input), b.line, b.reason);
        }
    }
    let _ = writeln!(
        out,
        "\naccepted {} ({})   rejected {} ({})\n",
        s.accepted,
        percent(s.accepted, s.records),
        s.rejected,
        percent(s.rejected, s.records)
    );
    if s.records == 0 {
        return out;
    }
    let severities: Vec<(&str, u64)> = SEVERITIES
        .iter()
        .rev()
        .filter_map(|name| {
            let c = s
                .severity
                .top(usize::MAX)
                .into_iter()
                .find(|(v, _)| v == name)?
                .1;
            Some((*name, c))
        })
        .chain(
            s.severity
                .top(usize::MAX)
                .into_iter()
                .filter(|(v, _)| !SEVERITIES.contains(v)),
        )
        .collect();
    out.push_str(&counts_table(
        "severity",
        &s.severity,
        severities,
        s.records,
    ));
    // Kinds are few and each one matters: all of them.
    out.push_str(&counts_table(
        "failure kind",
        &s.kind,
        s.kind.top(usize::MAX),
        s.rejected,
    ));
    if detail == Detail::Full {
        out.push_str(&counts_table("alg", &s.alg, s.alg.top(top), s.records));
        out.push_str(&counts_table("kid", &s.kid, s.kid.top(top), s.records));
        out.push_str(&counts_table(
            "issuer",
            &s.issuer,
            s.issuer.top(top),
            s.records,
        ));
    }
    out.push_str("\nrejections by\n");
    if detail == Detail::Full {
        out.push_str(&counts_table(
            "fingerprint",
            &s.rejected_fingerprint,
            s.rejected_fingerprint.top(top),
            s.rejected,
        ));
        out.push_str(&counts_table(
            "subject",
            &s.rejected_subject,
            s.rejected_subject.top(top),
            s.rejected,
        ));
    }
    out.push_str(&counts_table(
        "client ip",
        &s.rejected_client_ip,
        s.rejected_client_ip.top(top),
        s.rejected,
    ));
    render_timeline(s, &mut out);
    render_examples(s, &mut out);
    out
}

fn render_timeline(s: &Summary, out: &mut String) {
    let _ = writeln!(out, "\nrejections per {} (UTC)", s.bucket.as_str());
    let mut rows: Vec<(&String, &super::BucketCount)> = s.timeline.iter().collect();
    if rows.len() > MAX_TEXT_BUCKETS {
        let _ = writeln!(
            out,
            "  {} buckets; the {MAX_TEXT_BUCKETS} with most rejections (use a wider --bucket, or --format json for all):",
            rows.len()
        );
        rows.sort_by(|a, b| b.1.rejected.cmp(&a.1.rejected).then(a.0.cmp(b.0)));
        rows.truncate(MAX_TEXT_BUCKETS);
        rows.sort_by(|a, b| a.0.cmp(b.0));
    }
    let max = rows.iter().map(|r| r.1.rejected).max().unwrap_or(0).max(1);
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(vec!["bucket", "records", "rejected", ""]);
    for (bucket, c) in rows {
        let bar = "█".repeat((c.rejected * BAR_WIDTH).div_ceil(max) as usize);
        t.add_row(vec![
            Cell::new(label(bucket)),
            Cell::new(c.records).set_alignment(CellAlignment::Right),
            Cell::new(c.rejected).set_alignment(CellAlignment::Right),
            Cell::new(bar),
        ]);
    }
    let _ = writeln!(out, "{t}");
    if s.timeline_overflow > 0 {
        let _ = writeln!(
            out,
            "  {} record(s) fell outside the first {} buckets",
            s.timeline_overflow,
            super::MAX_BUCKETS
        );
    }
}

fn render_examples(s: &Summary, out: &mut String) {
    if s.examples.is_empty() {
        return;
    }
    let rank = |sev: &str| SEVERITIES.iter().position(|x| *x == sev).unwrap_or(0);
    let mut examples: Vec<_> = s.examples.values().collect();
    examples.sort_by(|a, b| {
        rank(&b.severity)
            .cmp(&rank(&a.severity))
            .then(a.kind.cmp(&b.kind))
    });
    let _ = writeln!(out, "\nfirst rejection of each kind, most severe first");
    for e in examples {
        let opt = |v: &Option<String>| v.as_deref().map_or("-".to_string(), label);
        let _ = writeln!(
            out,
            "  {:<8} {:<21} {} {} {} from {}: {}",
            label(&e.severity),
            label(&e.kind),
            label(&e.time),
            opt(&e.method),
            opt(&e.path),
            opt(&e.client_ip),
            label(&e.detail),
        );
    }
}

fn counts_json(t: &TopK) -> Value {
    let counts: Vec<Value> = t
        .top(usize::MAX)
        .into_iter()
        .map(|(v, c)| json!({"value": if v == NONE { Value::Null } else { json!(v) }, "count": c}))
        .collect();
    json!({"counts": counts, "max_error": t.max_error()})
}

/// The summary as one JSON document (every tracked value, the whole timeline).
pub fn render_json(s: &Summary) -> String {
    let timeline: Vec<Value> = s
        .timeline
        .iter()
        .map(|(b, c)| json!({"bucket": b, "records": c.records, "rejected": c.rejected}))
        .collect();
    let examples: Vec<&super::Example> = s.examples.values().collect();
    let doc = json!({
        "inputs": s.inputs,
        "records": s.records,
        "not_records": s.not_records,
        "not_record_examples": s.bad_lines,
        "time_range": {"first": s.first_time, "last": s.last_time},
        "outcome": {"accepted": s.accepted, "rejected": s.rejected},
        "severity": counts_json(&s.severity),
        "failure_kind": counts_json(&s.kind),
        "alg": counts_json(&s.alg),
        "kid": counts_json(&s.kid),
        "issuer": counts_json(&s.issuer),
        "rejected_by": {
            "fingerprint": counts_json(&s.rejected_fingerprint),
            "subject": counts_json(&s.rejected_subject),
            "client_ip": counts_json(&s.rejected_client_ip),
        },
        "bucket": s.bucket.as_str(),
        "timeline": timeline,
        "timeline_overflow": s.timeline_overflow,
        "examples": examples,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
