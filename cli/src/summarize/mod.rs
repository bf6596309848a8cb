//! `jwt-audit summarize`: streams JSON Lines audit logs (plain or gzip, files or stdin) into
//! totals, top-N tables and a timeline.
//!
//! Memory is bounded whatever the size of the log: lines are read one at a time with a length cap
//! ([`MAX_LINE_BYTES`]); values an attacker controls (`kid`, issuer, fingerprints, subjects, IPs)
//! are counted in [`TopK`] summaries of at most `2 × TOP_CAPACITY` entries each; the timeline
//! keeps at most [`MAX_BUCKETS`] buckets; examples are capped. Only the fields the summary uses
//! are parsed, borrowing from the line buffer.

mod report;
mod topk;

pub use report::{Detail, render_json, render_text};
pub use topk::TopK;

use crate::display::Format;
use crate::error::{CliError, Status};
use crate::input::{Source, read_line_capped};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

/// Longest line read as a record; longer lines are counted as "not a record".
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Values kept with certainty per top-N table (see [`TopK`]).
pub const TOP_CAPACITY: usize = 4096;
/// Most timeline buckets kept (a year of minutes is 525 600: use a coarser bucket for that).
pub const MAX_BUCKETS: usize = 200_000;
/// Most failure kinds with an example record.
const MAX_EXAMPLES: usize = 32;
/// Most "not a record" lines described individually.
const MAX_BAD_LINE_EXAMPLES: usize = 5;
/// The key counted for records without the value (no `kid`, no `iss`, ...).
pub const NONE: &str = "\0";

/// Width of the timeline buckets.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Bucket {
    /// One minute.
    #[value(name = "1m")]
    Minute,
    /// One hour.
    #[default]
    #[value(name = "1h")]
    Hour,
    /// One day (UTC).
    #[value(name = "1d")]
    Day,
}

impl Bucket {
    /// How many leading characters of an RFC 3339 time name the bucket.
    fn prefix_len(self) -> usize {
        match self {
            Self::Minute => 16,
            Self::Hour => 13,
            Self::Day => 10,
        }
    }

    /// `1m`, `1h` or `1d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "1m",
            Self::Hour => "1h",
            Self::Day => "1d",
        }
    }
}

/// Arguments of `summarize`.
#[derive(Args, Debug, Clone)]
pub struct SummarizeArgs {
    /// Audit logs, JSON Lines, plain or gzip (detected by content). None or `-`: stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Width of the rejection timeline buckets.
    #[arg(long, value_enum, default_value_t)]
    pub bucket: Bucket,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Rows in each top-N table of the text output.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// The first record of a failure kind, shown as an example.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Example {
    pub kind: String,
    pub severity: String,
    pub time: String,
    pub detail: String,
    pub method: Option<String>,
    pub path: Option<String>,
    pub client_ip: Option<String>,
}

/// A line that is not a record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    pub input: String,
    pub line: u64,
    pub reason: &'static str,
}

/// Records and rejections in one timeline bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BucketCount {
    pub records: u64,
    pub rejected: u64,
}

/// Everything `summarize` reports, accumulated one record at a time in bounded memory.
///
/// ```
/// use jwt_audit::{RequestContext, Verifier};
/// use jwt_audit_cli::summarize::{Bucket, Summary};
///
/// let verifier = Verifier::builder()
///     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
///     .algorithms(["HS256"])
///     .build()?;
/// let mut summary = Summary::new(Bucket::Minute);
/// let ctx = RequestContext::new().client_ip("198.51.100.66");
/// for (n, token) in ["garbage", "", "eyJhbGciOiJub25lIn0.e30."].iter().enumerate() {
///     let line = verifier.verify(token, &ctx).record().to_json();
///     summary.add_line("example", n as u64 + 1, line.as_bytes());
/// }
/// summary.add_line("example", 4, b"not a record");
/// assert_eq!((summary.records, summary.rejected, summary.not_records), (3, 3, 1));
/// assert_eq!(summary.rejected_client_ip.top(1), [("198.51.100.66", 3)]);
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Summary {
    pub bucket: Bucket,
    pub inputs: Vec<String>,
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub not_records: u64,
    pub bad_lines: Vec<BadLine>,
    pub kind: TopK,
    pub severity: TopK,
    pub alg: TopK,
    pub kid: TopK,
    pub issuer: TopK,
    pub rejected_fingerprint: TopK,
    pub rejected_subject: TopK,
    pub rejected_client_ip: TopK,
    pub timeline: BTreeMap<String, BucketCount>,
    /// Records whose bucket was not kept because [`MAX_BUCKETS`] was reached.
    pub timeline_overflow: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub examples: BTreeMap<String, Example>,
}

#[derive(Deserialize)]
struct RecordLine<'a> {
    #[serde(borrow)]
    schema: Cow<'a, str>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow)]
    outcome: Cow<'a, str>,
    #[serde(borrow)]
    severity: Cow<'a, str>,
    #[serde(borrow)]
    failure: Option<FailureLine<'a>>,
    #[serde(borrow)]
    token: TokenLine<'a>,
    #[serde(borrow, default)]
    claims: Option<ClaimsLine<'a>>,
    #[serde(borrow, default)]
    request: Option<RequestLine<'a>>,
}

#[derive(Deserialize)]
struct FailureLine<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    detail: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct TokenLine<'a> {
    #[serde(borrow, default)]
    fingerprint: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    alg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    iss: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ClaimsLine<'a> {
    #[serde(borrow, default)]
    values: Option<SubjectLine<'a>>,
}

#[derive(Deserialize)]
struct SubjectLine<'a> {
    #[serde(borrow, default)]
    sub: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RequestLine<'a> {
    #[serde(borrow, default)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
}

/// A JSON value as text: strings unquoted, anything else as compact JSON.
fn raw_text(raw: &RawValue) -> Cow<'_, str> {
    let text = raw.get();
    if text.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(text) {
            return Cow::Owned(s);
        }
    }
    Cow::Borrowed(text)
}

/// `YYYY-MM-DDTHH:MM:SS` at the start, as every record's `time` is.
fn looks_like_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 20
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

impl Summary {
    /// An empty summary with this timeline bucket.
    pub fn new(bucket: Bucket) -> Self {
        let t = || TopK::new(TOP_CAPACITY);
        Self {
            bucket,
            inputs: Vec::new(),
            records: 0,
            accepted: 0,
            rejected: 0,
            not_records: 0,
            bad_lines: Vec::new(),
            kind: t(),
            severity: t(),
            alg: t(),
            kid: t(),
            issuer: t(),
            rejected_fingerprint: t(),
            rejected_subject: t(),
            rejected_client_ip: t(),
            timeline: BTreeMap::new(),
            timeline_overflow: 0,
            first_time: None,
            last_time: None,
            examples: BTreeMap::new(),
        }
    }

    /// Adds one line of a log. A line that is not a `jwt-audit/v1` record is counted (with the
    /// reason) and otherwise ignored; blank lines are skipped.
    pub fn add_line(&mut self, input: &str, line_no: u64, line: &[u8]) {
        if line.trim_ascii().is_empty() {
            return;
        }
        if let Err(reason) = self.add_record(line) {
            self.bad_line(input, line_no, reason);
        }
    }

    fn bad_line(&mut self, input: &str, line: u64, reason: &'static str) {
        self.not_records += 1;
        if self.bad_lines.len() < MAX_BAD_LINE_EXAMPLES {
            self.bad_lines.push(BadLine {
                input: input.to_string(),
                line,
                reason,
            });
        }
    }

    fn add_record(&mut self, line: &[u8]) -> Result<(), &'static str> {
        let r: RecordLine<'_> = serde_json::from_slice(line).map_err(|e| {
            if e.is_data() {
                "JSON, but not a jwt-audit/v1 record"
            } else {
                "not JSON"
            }
        })?;
        if r.schema != jwt_audit::record::SCHEMA {
            return Err("JSON, but not a jwt-audit/v1 record");
        }
        let accepted = match &*r.outcome {
            "accepted" => true,
            "rejected" => false,
            _ => return Err("JSON, but not a jwt-audit/v1 record"),
        };
        if !looks_like_time(&r.time) {
            return Err("a record with an invalid time");
        }
        self.records += 1;
        if accepted {
            self.accepted += 1;
        } else {
            self.rejected += 1;
        }
        if self.first_time.as_deref().is_none_or(|f| *r.time < *f) {
            self.first_time = Some(r.time.to_string());
        }
        if self.last_time.as_deref().is_none_or(|l| *r.time > *l) {
            self.last_time = Some(r.time.to_string());
        }
        self.severity.add(&r.severity);
        let t = &r.token;
        self.alg.add(t.alg.as_deref().unwrap_or(NONE));
        self.kid.add(t.kid.as_deref().unwrap_or(NONE));
        match t.iss {
            Some(iss) => self.issuer.add(&raw_text(iss)),
            None => self.issuer.add(NONE),
        }
        self.add_to_timeline(&r.time, accepted);
        let Some(failure) = &r.failure else {
            return Ok(());
        };
        self.kind.add(&failure.kind);
        if let Some(fp) = &t.fingerprint {
            self.rejected_fingerprint.add(fp);
        }
        if let Some(sub) = r.claims.as_ref().and_then(|c| c.values.as_ref()?.sub) {
            self.rejected_subject.add(&raw_text(sub));
        }
        let request = r.request.as_ref();
        if let Some(ip) = request.and_then(|q| q.client_ip.as_deref()) {
            self.rejected_client_ip.add(ip);
        }
        if self.examples.len() < MAX_EXAMPLES && !self.examples.contains_key(&*failure.kind) {
            let s = |v: Option<&Cow<'_, str>>| v.map(|s| s.to_string());
            self.examples.insert(
                failure.kind.to_string(),
                Example {
                    kind: failure.kind.to_string(),
                    severity: r.severity.to_string(),
                    time: r.time.to_string(),
                    detail: s(failure.detail.as_ref()).unwrap_or_default(),
                    method: s(request.and_then(|q| q.method.as_ref())),
                    path: s(request.and_then(|q| q.path.as_ref())),
                    client_ip: s(request.and_then(|q| q.client_ip.as_ref())),
                },
            );
        }
        Ok(())
    }

    fn add_to_timeline(&mut self, time: &str, accepted: bool) {
        let key = &time[..self.bucket.prefix_len()];
        if !self.timeline.contains_key(key) {
            if self.timeline.len() >= MAX_BUCKETS {
                self.timeline_overflow += 1;
                return;
            }
            self.timeline
                .insert(key.to_string(), BucketCount::default());
        }
        let Some(slot) = self.timeline.get_mut(key) else {
            return;
        };
        slot.records += 1;
        slot.rejected += u64::from(!accepted);
    }

    /// Reads a whole input (one file or stdin), line by line.
    pub fn add_input(&mut self, source: &Source, progress: bool) -> Result<(), CliError> {
        let name = source.name();
        self.inputs.push(name.clone());
        let bar = progress_bar(source, progress);
        let mut reader = source.open("input", |raw| match &bar {
            Some(b) => Box::new(b.wrap_read(raw)),
            None => raw,
        })?;
        let mut buf = Vec::with_capacity(4096);
        let mut line_no = 0u64;
        loop {
            let line = read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES).map_err(|e| {
                CliError::new(format!("{name}: cannot read (line {}): {e}", line_no + 1))
            })?;
            let Some(line) = line else { break };
            line_no += 1;
            if line.truncated {
                self.bad_line(&name, line_no, "longer than 1 MiB");
            } else {
                self.add_line(&name, line_no, &buf);
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Ok(())
    }
}

/// A byte progress bar on stderr, only when asked for and stderr is a terminal.
fn progress_bar(source: &Source, wanted: bool) -> Option<ProgressBar> {
    if !wanted || !io::stderr().is_terminal() {
        return None;
    }
    let bar = match source.file_size() {
        Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let template = if source.file_size().is_some() {
        "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}"
    } else {
        "{msg} {spinner} {bytes} {binary_bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(source.name());
    Some(bar)
}

/// Runs `summarize`. Exit status 0 (lines that are not records are reported, not fatal).
pub fn run(args: &SummarizeArgs) -> Result<Status, CliError> {
    let mut summary = Summary::new(args.bucket);
    let sources: Vec<Source> = if args.files.is_empty() {
        vec![Source::Stdin]
    } else {
        args.files.iter().map(|p| Source::parse(p)).collect()
    };
    for source in &sources {
        summary.add_input(source, !args.no_progress)?;
    }
    let text = match args.format {
        Format::Text => render_text(&summary, args.top, Detail::Full),
        Format::Json => render_json(&summary),
    };
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| CliError::output(&e))?;
    Ok(Status::Success)
}
