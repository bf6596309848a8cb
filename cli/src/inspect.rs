//! `jwt-audit inspect`: decodes a token without trusting it.
//!
//! The token goes through the core's own pipeline with a throwaway HMAC key that can verify
//! nothing: size limit, structure checks, header policy, fingerprint and redaction are the core's,
//! so what is shown is exactly what an audit record would hold (`trusted: false`). Only the full
//! header is decoded here, for display.

use crate::config::{Override, Settings, fingerprint_key_override};
use crate::display::{Format, date, relative, safe};
use crate::error::{CliError, Status};
use crate::input::{MAX_SMALL_FILE, read_small_file};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Args;
use jwt_audit::record::AuditRecord;
use jwt_audit::{Algorithm, FailureKind, RequestContext, Verifier};
use serde_json::{Map, Value, json};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Arguments of `inspect`.
#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// The token (surrounding whitespace and a `Bearer ` prefix are removed), or `-` for stdin.
    #[arg(
        value_name = "TOKEN",
        required_unless_present = "token_file",
        conflicts_with = "token_file"
    )]
    pub token: Option<OsString>,
    /// Read the token from this file.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Clock for the relative times, unix seconds (default: the config's `now`, else the system clock).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub now: Option<i64>,
    /// Configuration file: its `redaction`, `fingerprint_key` and `max_token_bytes` apply, so the
    /// output matches your records. Keys are not used: nothing is verified.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Secret that keys fingerprints and hashed claims, as in your records.
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
    /// Size limit (default 8192, as in records: a larger token is not decoded).
    #[arg(long, value_name = "N")]
    pub max_token_bytes: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// What `inspect` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The record the core wrote for this token (with a key that verifies nothing).
    pub record: AuditRecord,
    /// The decoded JOSE header, when it is a JSON object.
    pub header: Option<Map<String, Value>>,
    /// Length of the decoded signature in bytes (the signature itself is never shown).
    pub signature_bytes: Option<usize>,
    /// Why the token cannot be decoded or would be refused by any verifier.
    pub problem: Option<(FailureKind, String)>,
    /// What was removed from the input before decoding (`Bearer ` prefix, whitespace).
    pub trimmed: bool,
    /// The clock the relative times use, unix seconds.
    pub now: i64,
}

impl Inspection {
    /// `true` when the token could not be decoded (too large, empty, malformed).
    pub fn undecodable(&self) -> bool {
        matches!(
            self.problem,
            Some((
                FailureKind::MissingToken | FailureKind::TokenTooLarge | FailureKind::Malformed,
                _
            ))
        )
    }
}

/// Runs `inspect`: exit status 0 when the token decoded, 1 when it could not be decoded.
pub fn run(args: &InspectArgs) -> Result<Status, CliError> {
    let raw = match (&args.token, &args.token_file) {
        (Some(t), _) if t == "-" => read_stdin()?,
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, Some(p)) => read_small_file("--token-file", p)?,
        (None, None) => {
            return Err(CliError::new(
                "no token: give TOKEN, --token-file PATH or -",
            ));
        }
    };
    let mut overrides: Vec<Override> = Vec::new();
    overrides.extend(fingerprint_key_override(
        args.fingerprint_key_file.as_deref(),
    )?);
    if let Some(n) = args.max_token_bytes {
        overrides.push(Override::new(
            "max_token_bytes",
            "--max-token-bytes",
            json!(n),
        ));
    }
    if let Some(n) = args.now {
        overrides.push(Override::new("now", "--now", json!(n)));
    }
    let mut settings = Settings::load(args.config.as_deref(), overrides)?;
    let inspection = inspect(&raw, &mut settings)?;
    let text = match args.format {
        Format::Text => render_text(&inspection),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(&inspection)).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| CliError::output(&e))?;
    Ok(if inspection.undecodable() {
        Status::Rejected
    } else {
        Status::Success
    })
}

fn read_stdin() -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    io::stdin()
        .take(MAX_SMALL_FILE as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
    Ok(bytes)
}

/// Decodes `raw` (trimmed of whitespace and a `Bearer ` prefix) under the settings' redaction,
/// fingerprint key and size limit. Keys and algorithms of the settings are replaced: nothing is
/// verified.
pub fn inspect(raw: &[u8], settings: &mut Settings) -> Result<Inspection, CliError> {
    let token = strip_bearer(raw.trim_ascii());
    let trimmed = token.len() != raw.len();
    let mut secret = [0u8; 48];
    aws_lc_rs::rand::fill(&mut secret)
        .map_err(|_| CliError::new("the system random number generator failed"))?;
    // A random key that no token can match: every token stays untrusted.
    settings.set(
        "keys",
        json!([{ "secret": URL_SAFE_NO_PAD.encode(secret) }]),
    );
    let all: Vec<&str> = Algorithm::ALL.iter().map(|a| a.as_str()).collect();
    settings.set("algorithms", json!(all));
    settings.take("sink");
    let config = settings.config()?;
    let now = config.now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let verifier = Verifier::new(config).map_err(|e| settings.error(&e))?;
    let v = verifier.verify(token, &RequestContext::new());
    let record = (**v.record()).clone();
    // With a key that verifies nothing, unknown_key and bad_signature say nothing about the token.
    let problem = record.failure.as_ref().and_then(|f| {
        matches!(
            f.kind,
            FailureKind::MissingToken
                | FailureKind::TokenTooLarge
                | FailureKind::Malformed
                | FailureKind::Unsupported
                | FailureKind::AlgorithmNotAllowed
        )
        .then(|| (f.kind, f.detail.clone()))
    });
    let too_large = matches!(problem, Some((FailureKind::TokenTooLarge, _)));
    let segments: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    let header = (!too_large)
        .then(|| URL_SAFE_NO_PAD.decode(segments[0]).ok())
        .flatten()
        .and_then(|h| serde_json::from_slice::<Map<String, Value>>(&h).ok());
    let signature_bytes = (!too_large && segments.len() == 3)
        .then(|| URL_SAFE_NO_PAD.decode(segments[2]).ok().map(|s| s.len()))
        .flatten();
    Ok(Inspection {
        record,
        header,
        signature_bytes,
        problem,
        trimmed,
        now,
    })
}

fn strip_bearer(t: &[u8]) -> &[u8] {
    match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case(b"bearer ") => t[7..].trim_ascii(),
        _ => t,
    }
}

/// Time claims as value, date and distance from `now`.
fn times(i: &Inspection) -> Vec<(&'static str, f64, Option<String>, String)> {
    let t = &i.record.token;
    [("exp", &t.exp), ("nbf", &t.nbf), ("iat", &t.iat)]
        .into_iter()
        .filter_map(|(name, v)| {
            let secs = v.as_ref()?.as_f64()?;
            let rel = relative(secs - i.now as f64);
            let past = secs <= i.now as f64;
            let words = match (name, past) {
                ("exp", true) => format!("expired {rel}"),
                ("exp", false) => format!("expires {rel}"),
                ("nbf", true) => format!("valid since {rel}"),
                ("nbf", false) => format!("not valid until {rel}"),
                (_, true) => format!("issued {rel}"),
                (_, false) => format!("issued {rel} (in the future)"),
            };
            Some((name, secs, date(secs), words))
        })
        .collect()
}

/// The inspection as one JSON object.
pub fn to_json(i: &Inspection) -> Value {
    let t = &i.record.token;
    let times: Map<String, Value> = times(i)
        .into_iter()
        .map(|(name, secs, date, words)| {
            (
                name.to_string(),
                json!({"value": secs, "date": date, "relative": words}),
            )
        })
        .collect();
    json!({
        "verified": false,
        "size": t.size,
        "fingerprint": t.fingerprint,
        "signature_bytes": i.signature_bytes,
        "header": i.header,
        "claims": i.record.claims,
        "times": times,
        "now": i.now,
        "problem": i.problem.as_ref().map(|(k, d)| json!({"kind": k, "detail": d})),
        "trimmed": i.trimmed,
    })
}

/// The inspection for a terminal. Every value from the token is JSON-encoded and escaped.
pub fn render_text(i: &Inspection) -> String {
    let t = &i.record.token;
    let json = |v: &Value| safe(&v.to_string()).into_owned();
    let mut out = String::new();
    out.push_str("UNVERIFIED: decoded without checking the signature. Do not trust any of it.\n\n");
    let fp = t.fingerprint.as_deref().unwrap_or("-");
    let sig = i
        .signature_bytes
        .map_or("-".to_string(), |n| format!("{n} bytes"));
    out.push_str(&format!(
        "{:<12} {} bytes, signature {sig}\n{:<12} {fp}\n",
        "size", t.size, "fingerprint"
    ));
    if i.trimmed {
        out.push_str(&format!(
            "{:<12} whitespace or a Bearer prefix was removed before decoding\n",
            "note"
        ));
    }
    if let Some((kind, detail)) = &i.problem {
        out.push_str(&format!("{:<12} {kind}: {}\n", "PROBLEM", safe(detail)));
    }
    match &i.header {
        Some(h) => out.push_str(&format!(
            "{:<12} {}\n",
            "header",
            json(&Value::Object(h.clone()))
        )),
        None => out.push_str(&format!("{:<12} (not decodable)\n", "header")),
    }
    let claims = &i.record.claims;
    if claims.values.is_empty() && claims.dropped.is_empty() {
        out.push_str(&format!("{:<12} (none decoded)\n", "claims"));
    } else {
        out.push_str("claims       (redacted by the audit-record policy)\n");
        let times = times(i);
        for (name, v) in &claims.values {
            let when = times
                .iter()
                .find(|(n, ..)| *n == name)
                .map(|(_, _, d, w)| format!("  {}  {w}", d.as_deref().unwrap_or("(out of range)")))
                .unwrap_or_default();
            out.push_str(&format!("  {:<10} {}{when}\n", safe(name), json(v)));
        }
        if !claims.dropped.is_empty() {
            let names: Vec<_> = claims.dropped.iter().map(|n| safe(n)).collect();
            out.push_str(&format!("{:<12} {}\n", "dropped", names.join(", ")));
        }
    }
    out
}
